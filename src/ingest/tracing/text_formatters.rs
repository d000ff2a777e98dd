//! The text reader on what tracing-subscriber itself prints: each formatter (`Full`,
//! `compact()`, `pretty()`, the pretty field formatter on one line), option (target, file and
//! line, thread ids and names, ANSI) and timer, written by the real formatter in this process
//! and read back. Every run records the same work: two requests `request{method, path}`, each
//! with a `db.query{sql}` child that sleeps 2 ms, on a thread named `tokio-rt-worker`.

use super::text::read;
use crate::ingest::{Format, InputStats};
use crate::model::{Trace, TraceBuilder};
use std::io::Write;
use std::sync::{Arc, Mutex};
use tracing_subscriber::fmt::format::{FmtSpan, PrettyFields, Writer};
use tracing_subscriber::fmt::time::FormatTime;

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::ErrorKind::Other)?
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn work() {
    for path in ["/a", "/b"] {
        let req = tracing::info_span!("request", method = "GET", path = path);
        let _r = req.enter();
        let q = tracing::info_span!("db.query", sql = %"SELECT * FROM t WHERE id = 1");
        let _q = q.enter();
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// Runs `work` under the subscriber made by `$builder` (writer and span events added) on a
/// thread named `tokio-rt-worker`, and returns what it printed.
macro_rules! printed {
    ($events:expr, $builder:expr) => {{
        let buf = Buf::default();
        let out = buf.clone();
        let sub = $builder
            .with_span_events($events)
            .with_writer(move || out.clone())
            .finish();
        std::thread::Builder::new()
            .name("tokio-rt-worker".into())
            .spawn(move || tracing::subscriber::with_default(sub, work))
            .expect("spawn")
            .join()
            .expect("join");
        let bytes = buf.0.lock().expect("lock").clone();
        String::from_utf8(bytes).expect("utf-8")
    }};
}

fn fmt() -> tracing_subscriber::fmt::SubscriberBuilder {
    tracing_subscriber::fmt().with_ansi(false)
}

fn read_text(text: &str) -> (Trace, InputStats) {
    let mut b = TraceBuilder::new();
    let mut stats = InputStats::new("x", Format::TracingText, false);
    let mut r = text.as_bytes();
    if let Err(e) = read("x", &mut r, &mut b, &mut stats) {
        panic!("{e}\n{text}");
    }
    (b.finish(), stats)
}

/// Each span as `name{k=v ...} in parent`, sorted.
fn spans(t: &Trace) -> Vec<String> {
    let mut out: Vec<String> = t
        .spans
        .iter()
        .map(|s| {
            let mut fields: Vec<String> = s
                .fields
                .iter()
                .map(|(k, v)| format!("{}={}", t.strings.resolve(*k), &**v))
                .collect();
            fields.sort();
            let parent = s.parent.map_or("-", |p| t.name(t.span(p)));
            format!("{}{{{}}} in {parent}", t.name(s), fields.join(" "))
        })
        .collect();
    out.sort();
    out
}

const EXPECTED: [&str; 4] = [
    "db.query{sql=SELECT * FROM t WHERE id = 1} in request",
    "db.query{sql=SELECT * FROM t WHERE id = 1} in request",
    "request{method=GET path=/a} in -",
    "request{method=GET path=/b} in -",
];

/// Checks the spans, their fields and parents, and (with `timed`) that every span lasted its
/// 2 ms sleep and has busy time.
#[track_caller]
fn check(text: &str, timed: bool) -> Trace {
    let (t, _) = read_text(text);
    assert_eq!(spans(&t), EXPECTED, "{text}");
    if timed {
        for s in &t.spans {
            assert!(s.duration() >= 2_000_000, "{} {text}", s.duration());
            assert!(s.busy.is_some_and(|b| b >= 2_000_000), "{text}");
        }
    }
    t
}

#[track_caller]
fn check_thread(t: &Trace, key: &str) {
    let keys: Vec<(&str, Option<&str>)> = t
        .threads
        .iter()
        .map(|th| (th.key.as_str(), th.name.as_deref()))
        .collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0].0, key, "{keys:?}");
    for s in &t.spans {
        assert!(s.closed_on.is_some());
    }
}

#[test]
fn full_is_read_with_every_option() {
    check(&printed!(FmtSpan::CLOSE, fmt()), true);
    check(&printed!(FmtSpan::FULL, fmt()), true);
    check(&printed!(FmtSpan::CLOSE, fmt().with_ansi(true)), true);
    check(&printed!(FmtSpan::CLOSE, fmt().with_target(false)), true);
    check(
        &printed!(FmtSpan::CLOSE, fmt().with_file(true).with_line_number(true)),
        true,
    );
    check(
        &printed!(
            FmtSpan::CLOSE,
            fmt()
                .with_target(false)
                .with_file(true)
                .with_line_number(true)
        ),
        true,
    );
    let t = check(
        &printed!(
            FmtSpan::CLOSE,
            fmt().with_thread_ids(true).with_thread_names(true)
        ),
        true,
    );
    assert!(t.threads[0].key.starts_with("ThreadId("));
    assert_eq!(t.threads[0].name.as_deref(), Some("tokio-rt-worker"));
    let t = check(
        &printed!(FmtSpan::CLOSE, fmt().with_thread_names(true)),
        true,
    );
    check_thread(&t, "tokio-rt-worker");
}

/// `FmtSpan::NEW | FmtSpan::CLOSE` with thread ids: each span's creation and close threads.
#[test]
fn new_and_close_with_thread_ids_give_creation_and_close_threads() {
    let text = printed!(FmtSpan::NEW | FmtSpan::CLOSE, fmt().with_thread_ids(true));
    assert!(text.contains(": new"), "{text}");
    let t = check(&text, true);
    assert_eq!(t.threads.len(), 1, "{text}");
    for s in &t.spans {
        assert_eq!(s.opened_on, Some(crate::model::ThreadIdx(0)), "{text}");
        assert_eq!(s.closed_on, Some(crate::model::ThreadIdx(0)), "{text}");
    }
}

#[test]
fn compact_gives_each_span_its_fields() {
    let text = printed!(FmtSpan::CLOSE, fmt().compact());
    assert!(
        text.contains(": close time.busy="),
        "not the compact layout: {text}"
    );
    check(&text, true);
    check(&printed!(FmtSpan::FULL, fmt().compact()), true);
    check(
        &printed!(FmtSpan::CLOSE, fmt().compact().with_ansi(true)),
        true,
    );
    check(
        &printed!(FmtSpan::CLOSE, fmt().compact().with_target(false)),
        true,
    );
    check(
        &printed!(
            FmtSpan::CLOSE,
            fmt()
                .compact()
                .with_target(false)
                .with_file(true)
                .with_line_number(true)
        ),
        true,
    );
    check(
        &printed!(
            FmtSpan::CLOSE,
            fmt().compact().with_file(true).with_line_number(true)
        ),
        true,
    );
    let t = check(
        &printed!(FmtSpan::CLOSE, fmt().compact().with_thread_ids(true)),
        true,
    );
    assert!(t.threads[0].key.starts_with("ThreadId("));
}

#[test]
fn pretty_records_span_lines() {
    check(&printed!(FmtSpan::CLOSE, fmt().pretty()), true);
    check(&printed!(FmtSpan::FULL, fmt().pretty()), true);
    check(
        &printed!(FmtSpan::CLOSE, fmt().pretty().with_ansi(true)),
        true,
    );
    check(
        &printed!(FmtSpan::CLOSE, fmt().pretty().with_target(false)),
        true,
    );
    check(
        &printed!(FmtSpan::CLOSE, fmt().pretty().with_file(false)),
        true,
    );
    let t = check(
        &printed!(
            FmtSpan::CLOSE,
            fmt().pretty().with_thread_ids(true).with_thread_names(true)
        ),
        true,
    );
    assert!(t.threads[0].key.starts_with("ThreadId("));
    assert_eq!(t.threads[0].name.as_deref(), Some("tokio-rt-worker"));
}

#[test]
fn pretty_fields_on_one_line() {
    let text = printed!(FmtSpan::CLOSE, fmt().fmt_fields(PrettyFields::new()));
    assert!(text.contains("close, time.busy: "), "{text}");
    check(&text, true);
}

/// A timer printing `prefix` and a time 1 ms later at each call (`{}` is the counter).
struct Counter(fn(u64) -> String, std::sync::atomic::AtomicU64);

impl FormatTime for Counter {
    fn format_time(&self, w: &mut Writer<'_>) -> std::fmt::Result {
        let n = self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        w.write_str(&(self.0)(n))
    }
}

#[test]
fn timers() {
    check(
        &printed!(
            FmtSpan::CLOSE,
            fmt().with_timer(tracing_subscriber::fmt::time::uptime())
        ),
        true,
    );
    // Without time, busy and idle go too: only the spans are left.
    let (t, _) = read_text(&printed!(FmtSpan::CLOSE, fmt().without_time()));
    assert_eq!(spans(&t), EXPECTED);
    for (timer, warns) in [
        (
            (|n| format!("Mar 04 20:18:44.{:03}", 100 + 10 * n)) as fn(u64) -> String,
            true,
        ),
        (|n| format!("10:39:09.{:06}", 10_000 * n), true),
        (|n| format!("2024-05-25 10:39:09.{:06}", 10_000 * n), false),
    ] {
        let text = printed!(
            FmtSpan::CLOSE,
            fmt().with_timer(Counter(timer, Default::default()))
        );
        let (t, stats) = read_text(&text);
        assert_eq!(spans(&t), EXPECTED, "{text}");
        // Each line is 10 ms after the one before; a span's end is its CLOSE line's time.
        let mut ends: Vec<_> = t.spans.iter().map(|s| s.end).collect();
        ends.sort_unstable();
        let steps: Vec<_> = ends.windows(2).map(|w| w[1] - w[0]).collect();
        assert_eq!(steps, [10_000_000; 3], "{text}");
        assert_eq!(
            stats
                .warnings
                .iter()
                .any(|w| w.contains("without a date") || w.contains("without a year")),
            warns,
            "{:?}",
            stats.warnings
        );
    }
}

/// ENTER/EXIT with thread ids, in every formatter: every poll is placed on its thread.
#[test]
fn polls_carry_their_thread_in_every_formatter() {
    for text in [
        printed!(FmtSpan::FULL, fmt().with_thread_ids(true)),
        printed!(FmtSpan::FULL, fmt().compact().with_thread_ids(true)),
        printed!(
            FmtSpan::FULL,
            fmt()
                .compact()
                .with_thread_ids(true)
                .with_thread_names(true)
        ),
        printed!(FmtSpan::FULL, fmt().pretty().with_thread_ids(true)),
    ] {
        let t = check(&text, true);
        // Two requests, each entered once (the child is entered inside it).
        assert_eq!(t.executions.len(), 2, "{text}");
        assert!(t.executions.iter().all(|e| e.thread.is_some()), "{text}");
        assert_eq!(t.threads.len(), 1, "{text}");
        assert!(t.threads[0].key.starts_with("ThreadId("), "{text}");
    }
}

/// Compact, CLOSE only, requests inside a `server` span that closes last: the requests' lines
/// are held until the server's own CLOSE says which fields are its.
#[test]
fn compact_requests_inside_a_long_lived_root() {
    let buf = Buf::default();
    let out = buf.clone();
    let sub = fmt()
        .compact()
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(move || out.clone())
        .finish();
    tracing::subscriber::with_default(sub, || {
        let server = tracing::info_span!("server", addr = "0.0.0.0:80");
        let _s = server.enter();
        work();
    });
    let text = String::from_utf8(buf.0.lock().expect("lock").clone()).expect("utf-8");
    let (t, _) = read_text(&text);
    let mut want: Vec<String> = EXPECTED
        .iter()
        .map(|s| s.replace(" in -", " in server"))
        .collect();
    want.push("server{addr=0.0.0.0:80} in -".into());
    want.sort();
    assert_eq!(spans(&t), want, "{text}");
}
