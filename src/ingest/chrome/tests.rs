//! The Chrome reader through the ingest entry points, on small traces written inline. Each
//! test reads its input both ways (a mapped file and a stream) and expects the same trace.

use super::*;
use crate::ingest::{Format, Ingested, ingest_bytes, ingest_reader};
use crate::model::{BrowserWork, HeaviestWork, ScriptSource, SpanIdx, Trace};

fn mapped(s: &str) -> Result<Ingested> {
    ingest_bytes("t.json", s.as_bytes(), false)
}

fn streamed(s: &str) -> Result<Ingested> {
    ingest_reader("t.json", Box::new(s.as_bytes()), None)
}

/// Reads `s` both ways and checks that they agree on what the tests look at.
fn read_str(s: &str) -> Ingested {
    let a = mapped(s).expect("mapped read");
    let b = streamed(s).expect("streamed read");
    assert_eq!(a.stats.format, Format::ChromeTrace);
    assert_eq!(summary(&a.trace), summary(&b.trace), "mapped vs streamed");
    assert_eq!(a.stats.events, b.stats.events);
    assert_eq!(a.stats.skipped, b.stats.skipped);
    assert_eq!(a.stats.warnings.len(), b.stats.warnings.len());
    a
}

fn summary(t: &Trace) -> String {
    let spans: Vec<_> = t
        .spans
        .iter()
        .map(|s| (t.name(s), s.start, s.end, s.parent, s.busy, s.cut_off))
        .collect();
    let mains: Vec<_> = t
        .browser
        .main_threads
        .iter()
        .map(|m| (m.run_tasks, m.tasks.len(), m.legacy_tasks.len()))
        .collect();
    let net: Vec<_> = t
        .network
        .iter()
        .map(|n| (&n.request_id, n.server_wait, n.is_document))
        .collect();
    format!("{spans:?} {:?} {mains:?} {net:?}", t.executions)
}

#[test]
fn truncated_array_keeps_whole_events() {
    let t = r#"[{"ph":"M","pid":1,"tid":2,"name":"thread_name","args":{"name":"CrRendererMain"}},
{"ph":"X","name":"RunTask","pid":1,"tid":2,"ts":1000,"dur":60000},
{"ph":"X","name":"RunTask","pid":1,"tid":2,"ts":100000,"dur":70"#;
    let ing = read_str(t);
    let w = &ing.stats.warnings;
    assert!(
        w[0].contains("cut off") && w[0].contains("2 whole events"),
        "{w:?}"
    );
    let m = &ing.trace.browser.main_threads[0];
    assert_eq!(m.run_tasks, 1);
    assert_eq!(m.tasks.len(), 1);
    assert_eq!(m.tasks[0].duration, 60_000_000);
    assert_eq!(
        ing.trace.thread(m.thread).role_hint,
        Some(ThreadRole::EventLoop)
    );
}

/// A writer killed after a comma leaves `},` and no `]`; the object form cut inside
/// `traceEvents` also loses what came after, and says so louder.
#[test]
fn trailing_comma_and_truncated_object() {
    let t = "[{\"ph\":\"X\",\"name\":\"a\",\"pid\":1,\"tid\":1,\"ts\":1,\"dur\":2},\n";
    let ing = read_str(t);
    assert!(ing.stats.warnings[0].contains("no closing ]"));
    // A trailing comma before the `]` is harmless.
    let ing = read_str("[{\"ph\":\"X\",\"name\":\"a\",\"pid\":1,\"tid\":1,\"ts\":1,\"dur\":2},\n]");
    assert_eq!(ing.stats.events, 1);
    let o = r#"{"metadata":{"source":"DevTools"},"traceEvents":[{"ph":"X","name":"a","pid":1,"tid":1,"ts":1,"dur":2},{"ph":"X","#;
    let ing = read_str(o);
    let w = &ing.stats.warnings[0];
    assert!(w.starts_with("TRUNCATED") && w.contains("metadata"), "{w}");
}

/// Keys in any order, unknown keys and `displayTimeUnit` ignored (times stay µs).
#[test]
fn object_form_keys_in_any_order() {
    let t = r#"{"displayTimeUnit":"ns","stackFrames":{"1":{"name":"f"}},"systemTraceEvents":"x",
"traceEvents":[{"ph":"B","name":"a","pid":1,"tid":1,"ts":1.5},{"ph":"E","name":"a","pid":1,"tid":1,"ts":3}],
"metadata":{"source":"DevTools"}}"#;
    let ing = read_str(t);
    assert_eq!(ing.trace.spans[0].duration(), 1_500);
    assert!(ing.stats.warnings.is_empty(), "{:?}", ing.stats.warnings);
}

/// The reader keeps every task over its retention floor and judges none: the 50 ms task and
/// the 50.001 ms one are both kept (DevTools' rule, strictly over 50 ms, is analysis's).
#[test]
fn string_pids_and_tasks_over_the_floor() {
    let t = r#"[{"ph":"M","pid":"7","tid":"9","name":"thread_name","args":{"name":"CrRendererMain"}},
{"ph":"X","name":"RunTask","pid":"7","tid":"9","ts":"5","dur":50000},
{"ph":"X","name":"RunTask","pid":"7","tid":"9","ts":60000,"dur":50001}]"#;
    let ing = read_str(t);
    let m = &ing.trace.browser.main_threads[0];
    assert_eq!((m.pid.as_str(), m.tid.as_str()), ("7", "9"));
    let kept: Vec<Ns> = m.tasks.iter().map(|t| t.duration).collect();
    assert_eq!(kept, [50_000_000, 50_001_000]);
    assert_eq!(ing.trace.threads[0].key, "7:9");
}

/// A task at or under the retention floor is counted, not kept, and the work inside it is
/// dropped with it; one over the floor keeps its work.
///
/// ```text
/// t (ms):  0          10   20           32
/// task:    [RunTask 10 ms]  [RunTask 12 ms ]
/// work:     [Layout 5]       [Layout 6]
/// ```
#[test]
fn tasks_at_the_floor_are_counted_not_kept() {
    let t = r#"[{"ph":"M","pid":1,"tid":2,"name":"thread_name","args":{"name":"CrRendererMain"}},
{"ph":"X","name":"RunTask","pid":1,"tid":2,"ts":0,"dur":10000},
{"ph":"X","name":"Layout","pid":1,"tid":2,"ts":1000,"dur":5000},
{"ph":"X","name":"RunTask","pid":1,"tid":2,"ts":20000,"dur":12000},
{"ph":"X","name":"Layout","pid":1,"tid":2,"ts":21000,"dur":6000}]"#;
    assert_eq!(TASK_FLOOR, 10_000_000);
    let ing = read_str(t);
    let m = &ing.trace.browser.main_threads[0];
    assert_eq!(m.run_tasks, 2);
    assert_eq!(m.tasks.len(), 1);
    let kinds: Vec<(BrowserWork, Ns)> = m.tasks[0]
        .work
        .kinds
        .iter()
        .map(|k| (k.kind, k.total))
        .collect();
    assert_eq!(kinds, [(BrowserWork::Layout, 6_000_000)]);
}

/// B/E pair per thread, not globally: interleaved threads pair correctly; an unmatched E is
/// counted and warned about, not fatal.
#[test]
fn begin_end_pair_per_thread() {
    let t = r#"{"traceEvents":[
{"ph":"B","name":"a","pid":1,"tid":1,"ts":0},
{"ph":"B","name":"b","pid":1,"tid":2,"ts":5},
{"ph":"E","name":"a","pid":1,"tid":1,"ts":10},
{"ph":"E","name":"b","pid":1,"tid":2,"ts":30},
{"ph":"E","name":"zzz","pid":1,"tid":3,"ts":40}
],"metadata":{"source":"test"}}"#;
    let ing = read_str(t);
    let tr = &ing.trace;
    let durs: Vec<Ns> = tr.executions.iter().map(|e| e.duration()).collect();
    assert_eq!(durs.len(), 2);
    assert!(durs.contains(&10_000) && durs.contains(&25_000), "{durs:?}");
    assert!(
        ing.stats
            .warnings
            .iter()
            .any(|w| w.starts_with("1 end events")),
        "{:?}",
        ing.stats.warnings
    );
}

/// tracing-chrome's threaded style: args are Debug text, each B/E pair one poll of a span,
/// spans closed at their last exit; fields recorded later arrive on the E.
#[test]
fn tracing_chrome_threaded() {
    let t = r#"[
{"args":{"name":"tokio-runtime-worker"},"name":"thread_name","ph":"M","pid":1,"tid":0},
{".file":"src/main.rs",".line":9,"args":{"method":"GET","request_id":"1","route":"\"/orders\""},"cat":"app","name":"http.request","ph":"B","pid":1,"tid":0,"ts":10.0},
{"args":{"method":"GET","request_id":"1","route":"\"/orders\""},"cat":"app","name":"http.request","ph":"E","pid":1,"tid":0,"ts":20.0},
{"args":{"method":"GET","request_id":"1","route":"\"/orders\""},"cat":"app","name":"http.request","ph":"B","pid":1,"tid":0,"ts":50.0},
{"args":{"db":"\"pg\""},"cat":"app","name":"db.query","ph":"B","pid":1,"tid":0,"ts":55.0},
{"args":{"db":"\"pg\""},"cat":"app","name":"db.query","ph":"E","pid":1,"tid":0,"ts":58.0},
{"args":{"method":"GET","request_id":"1","route":"\"/orders\"","status":"200"},"cat":"app","name":"http.request","ph":"E","pid":1,"tid":0,"ts":60.0},
{"name":"event src/main.rs:12","cat":"app","ph":"i","s":"t","pid":1,"tid":0,"ts":61.0}
]"#;
    let ing = read_str(t);
    let tr = &ing.trace;
    assert_eq!(tr.spans.len(), 2);
    let req = &tr.spans[0];
    assert_eq!(tr.name(req), "http.request");
    assert_eq!(tr.field(req, "route"), Some("/orders"));
    assert_eq!(tr.field(req, "method"), Some("GET"));
    assert_eq!(tr.field(req, "status"), Some("200"));
    assert_eq!((req.start, req.end), (0, 50_000));
    assert_eq!((req.busy, req.idle), Some(20_000).zip(Some(30_000)).unzip());
    assert!(!req.cut_off);
    assert_eq!(tr.spans[1].parent, Some(SpanIdx(0)));
    assert_eq!(tr.executions.len(), 2);
    assert!(!tr.browser.is_browser);
    assert_eq!(tr.threads[0].name.as_deref(), Some("tokio-runtime-worker"));
    assert_eq!(
        tr.threads[0].role_hint, None,
        "runtime threads are judged by behaviour"
    );
}

/// Async style: ids above 2^53 stay exact, a span per b/e pair nested by time within an id,
/// fields recorded later (on the `e`) kept.
#[test]
fn async_ids_are_exact_and_nest() {
    let t = r#"[{"ph":"b","name":"req","cat":"app","id":18446744073709551615,"pid":1,"tid":1,"ts":0,"args":{"route":"\"/a\""}},
{"ph":"b","name":"db","cat":"app","id":18446744073709551615,"pid":1,"tid":1,"ts":10},
{"ph":"b","name":"req","cat":"app","id":18446744073709551614,"pid":1,"tid":1,"ts":20,"args":{"route":"\"/b\""}},
{"ph":"e","name":"db","cat":"app","id":18446744073709551615,"pid":1,"tid":1,"ts":50},
{"ph":"b","name":"cache","cat":"app","id":18446744073709551615,"pid":1,"tid":2,"ts":52},
{"ph":"e","name":"cache","cat":"app","id":18446744073709551615,"pid":1,"tid":2,"ts":55},
{"ph":"e","name":"req","cat":"app","id":18446744073709551615,"pid":1,"tid":2,"ts":60,"args":{"route":"\"/a\"","status":"200"}},
{"ph":"e","name":"req","cat":"app","id":18446744073709551614,"pid":1,"tid":1,"ts":70}]"#;
    let ing = read_str(t);
    let tr = &ing.trace;
    assert_eq!(tr.spans.len(), 4);
    let by_name = |n: &str| tr.spans.iter().find(|s| tr.name(s) == n).expect(n);
    let (db, cache) = (by_name("db"), by_name("cache"));
    let parent = tr.span(db.parent.expect("nested"));
    assert_eq!(tr.field(parent, "route"), Some("/a"));
    assert_eq!(tr.field(parent, "status"), Some("200"));
    assert_eq!(
        cache.parent, db.parent,
        "the sibling after db closed nests under req"
    );
    assert_eq!(db.duration(), 40_000);
    assert!(tr.spans.iter().all(|s| !s.cut_off));
    // Each `b` and `e` names the thread it ran on: where the span was created and closed.
    let key = |t: Option<crate::model::ThreadIdx>| t.map(|t| tr.thread(t).key.as_str());
    assert_eq!(
        (key(db.opened_on), key(db.closed_on)),
        (Some("1:1"), Some("1:1"))
    );
    assert_eq!(
        (key(parent.opened_on), key(parent.closed_on)),
        (Some("1:1"), Some("1:2"))
    );
    assert_eq!(
        (key(cache.opened_on), key(cache.closed_on)),
        (Some("1:2"), Some("1:2"))
    );
}

/// Legacy async events (`S`/`F`) and `id2` scopes pair like `b`/`e`.
#[test]
fn legacy_async_and_id2() {
    let t = r#"[{"ph":"S","name":"load","cat":"c","id":"0x1","pid":1,"tid":1,"ts":0},
{"ph":"T","name":"load","cat":"c","id":"0x1","pid":1,"tid":1,"ts":5},
{"ph":"b","name":"x","cat":"c","id2":{"local":"0x1"},"pid":1,"tid":1,"ts":1},
{"ph":"b","name":"x","cat":"c","id2":{"local":"0x1"},"pid":2,"tid":1,"ts":2},
{"ph":"e","name":"x","cat":"c","id2":{"local":"0x1"},"pid":2,"tid":1,"ts":3},
{"ph":"e","name":"x","cat":"c","id2":{"local":"0x1"},"pid":1,"tid":1,"ts":8},
{"ph":"F","name":"load","cat":"c","id":"0x1","pid":1,"tid":1,"ts":10}]"#;
    let ing = read_str(t);
    let tr = &ing.trace;
    let durs: Vec<Ns> = tr.spans.iter().map(|s| s.duration()).collect();
    assert_eq!(durs, [10_000, 7_000, 1_000]);
    assert!(tr.spans.iter().all(|s| s.parent.is_none()));
}

/// requestTime is seconds, the other timing fields ms after it: server wait 2002.894 ms.
#[test]
fn network_request_units_redirects_and_server_timing() {
    let t = r#"[{"ph":"I","name":"ResourceSendRequest","pid":1,"tid":1,"ts":100,"args":{"data":{"requestId":"N1","url":"https://x.test/old","requestMethod":"GET"}}},
{"ph":"I","name":"ResourceSendRequest","pid":1,"tid":1,"ts":150,"args":{"data":{"requestId":"N1","url":"https://x.test/a?q=1","requestMethod":"GET"}}},
{"ph":"R","name":"navigationStart","pid":1,"tid":1,"ts":50,"args":{"frame":"F","data":{"navigationId":"N1","documentLoaderURL":"https://x.test/old","isLoadingMainFrame":true,"isOutermostMainFrame":true}}},
{"ph":"I","name":"ResourceReceiveResponse","pid":1,"tid":1,"ts":2000000,"args":{"data":{"requestId":"N1","statusCode":200,"mimeType":"text/html","timing":{"requestTime":52122.403283,"sendEnd":1.395,"receiveHeadersStart":2004.289,"receiveHeadersEnd":2004.335},"headers":[{"name":"Server-Timing","value":"db;dur=53.2, app;desc=\"x\";dur=47"},{"name":"x-request-id","value":"abc"}]}}},
{"ph":"I","name":"ResourceFinish","pid":1,"tid":1,"ts":2100000,"args":{"data":{"requestId":"N1","finishTime":52124.5}}},
{"ph":"I","name":"ResourceSendRequest","pid":1,"tid":1,"ts":200,"args":{"data":{"requestId":"1.2","url":"data:image/png;base64,AAAA"}}},
{"ph":"I","name":"ResourceSendRequest","pid":1,"tid":1,"ts":300,"args":{"data":{"requestId":"1.3","url":"https://x.test/cached.js"}}},
{"ph":"I","name":"ResourceMarkAsCached","pid":1,"tid":1,"ts":301,"args":{"data":{"requestId":"1.3"}}},
{"ph":"I","name":"ResourceReceiveResponse","pid":1,"tid":1,"ts":302,"args":{"data":{"requestId":"1.3","statusCode":"oops","timing":{"requestTime":1,"sendEnd":0,"receiveHeadersEnd":1}}}}]"#;
    let ing = read_str(t);
    let n = &ing.trace.network;
    assert_eq!(n.len(), 2, "data: URLs are dropped");
    let doc = &n[0];
    assert!(doc.is_document);
    assert_eq!(
        doc.url, "https://x.test/a?q=1",
        "the last redirect hop's URL"
    );
    assert_eq!(doc.redirects, 1);
    assert_eq!(doc.server_wait, Some(2_002_894_000));
    assert_eq!(doc.status, Some(200));
    assert_eq!(
        doc.server_timing,
        vec![
            ("db".to_string(), 53_200_000),
            ("app".to_string(), 47_000_000)
        ]
    );
    // Ids from the response headers, for the join to a server's spans.
    assert_eq!(doc.ids, ["request:abc"]);
    // From the memory cache: the timing is stale, the wait unknown (not 0).
    assert_eq!((n[1].server_wait, n[1].status), (None, None));
}

/// Work inside kept tasks, whatever the file order: per-kind totals count nested time once,
/// the heaviest script keeps its URL and function.
///
/// ```text
/// t (ms):  0        100       200
/// task:    [RunTask 150 ms ...........]
/// work:      [Eval 0-90 [FnCall 10-80]]  [Layout 100-120] [MinorGC 121-122]
/// ```
#[test]
fn work_inside_kept_tasks() {
    let t = r#"[
{"ph":"X","name":"FunctionCall","pid":1,"tid":2,"ts":10000,"dur":70000,"args":{"data":{"functionName":"render","url":"https://x.test/app.js"}}},
{"ph":"X","name":"Layout","pid":1,"tid":2,"ts":100000,"dur":20000},
{"ph":"X","name":"RunTask","pid":1,"tid":2,"ts":0,"dur":150000},
{"ph":"X","name":"EvaluateScript","pid":1,"tid":2,"ts":0,"dur":90000,"args":{"data":{"url":"https://x.test/app.js"}}},
{"ph":"X","name":"MinorGC","pid":1,"tid":2,"ts":121000,"dur":1000},
{"ph":"X","name":"Layout","pid":1,"tid":2,"ts":160000,"dur":5000},
{"ph":"M","pid":1,"tid":2,"name":"thread_name","args":{"name":"CrRendererMain"}}]"#;
    let ing = read_str(t);
    let task = &ing.trace.browser.main_threads[0].tasks[0];
    let kinds: Vec<(BrowserWork, u32, Ns, Ns)> = task
        .work
        .kinds
        .iter()
        .map(|k| (k.kind, k.count, k.total, k.longest))
        .collect();
    assert_eq!(
        kinds,
        [
            (BrowserWork::Script, 2, 90_000_000, 90_000_000),
            (BrowserWork::Layout, 1, 20_000_000, 20_000_000),
            (BrowserWork::Gc, 1, 1_000_000, 1_000_000),
        ]
    );
    let s = task.work.heaviest_script.as_ref().expect("a script");
    assert_eq!(
        (s.event.as_str(), s.url.as_str()),
        ("EvaluateScript", "https://x.test/app.js")
    );
    assert_eq!(
        task.work.heaviest,
        Some(HeaviestWork {
            event: "EvaluateScript".into(),
            source: Some(ScriptSource {
                url: "https://x.test/app.js".into(),
                function: String::new(),
            }),
            duration: 90_000_000,
        })
    );
}

/// Pre-2019 task names (X or B/E) are kept too, apart; a task nested in another
/// counts once.
#[test]
fn legacy_and_nested_tasks() {
    let t = r#"[{"ph":"M","pid":1,"tid":2,"name":"thread_name","args":{"name":"CrRendererMain"}},
{"ph":"B","name":"MessageLoop::RunTask","pid":1,"tid":2,"ts":0,"args":{"src_func":"f"}},
{"ph":"E","name":"MessageLoop::RunTask","pid":1,"tid":2,"ts":70000,"args":{}},
{"ph":"X","name":"ThreadControllerImpl::RunTask","pid":1,"tid":2,"ts":100000,"dur":60000},
{"ph":"X","name":"RunTask","pid":1,"tid":2,"ts":200000,"dur":90000},
{"ph":"X","name":"RunTask","pid":1,"tid":2,"ts":210000,"dur":60000}]"#;
    let ing = read_str(t);
    let m = &ing.trace.browser.main_threads[0];
    assert_eq!(m.run_tasks, 2);
    assert_eq!(m.tasks.len(), 1, "the nested RunTask counts once");
    let legacy: Vec<(&str, Ns)> = m
        .legacy_tasks
        .iter()
        .map(|t| (t.name.as_str(), t.duration))
        .collect();
    assert_eq!(
        legacy,
        [
            ("MessageLoop::RunTask", 70_000_000),
            ("ThreadControllerImpl::RunTask", 60_000_000)
        ]
    );
}

/// LCP: the highest candidate index wins; the image URL comes from the matching
/// `LargestImagePaint::Candidate`; candidates without a navigation id (Chrome before M80) go to
/// the latest navigation of their frame.
#[test]
fn lcp_candidates() {
    let t = r#"[
{"ph":"R","name":"largestContentfulPaint::Candidate","pid":1,"tid":1,"ts":3000,"args":{"frame":"F","data":{"candidateIndex":2,"navigationId":"N1","isOutermostMainFrame":true,"nodeId":8,"type":"image"}}},
{"ph":"R","name":"navigationStart","pid":1,"tid":1,"ts":1000,"args":{"frame":"F","data":{"navigationId":"N1","documentLoaderURL":"https://a.test/","isLoadingMainFrame":true,"isOutermostMainFrame":true}}},
{"ph":"R","name":"largestContentfulPaint::Candidate","pid":1,"tid":1,"ts":2000,"args":{"frame":"F","data":{"candidateIndex":1,"navigationId":"N1","isOutermostMainFrame":true,"nodeId":5,"type":"text"}}},
{"ph":"R","name":"LargestImagePaint::Candidate","pid":1,"tid":1,"ts":3000,"args":{"data":{"DOMNodeId":8,"imageUrl":"https://a.test/hero.jpg"}}},
{"ph":"R","name":"navigationStart","pid":1,"tid":1,"ts":10000,"args":{"frame":"F","data":{"navigationId":"N2","documentLoaderURL":"https://a.test/next","isLoadingMainFrame":true}}},
{"ph":"R","name":"largestContentfulPaint::Candidate","pid":1,"tid":1,"ts":12500,"args":{"frame":"F","data":{"candidateIndex":1,"isMainFrame":true,"nodeId":9,"type":"text"}}},
{"ph":"R","name":"largestContentfulPaint::Candidate","pid":1,"tid":1,"ts":13000,"args":{"frame":"G","data":{"candidateIndex":5,"isMainFrame":false,"type":"text"}}}]"#;
    let ing = read_str(t);
    let navs = &ing.trace.browser.navigations;
    assert_eq!(navs.len(), 2);
    let l1 = navs[0].lcp.as_ref().expect("lcp 1");
    assert_eq!((l1.index, l1.kind.as_str()), (2, "image"));
    assert_eq!(l1.image_url.as_deref(), Some("https://a.test/hero.jpg"));
    assert_eq!(l1.at - navs[0].start, 2_000_000);
    let l2 = navs[1].lcp.as_ref().expect("lcp 2 by frame");
    assert_eq!(l2.at - navs[1].start, 2_500_000);
}

/// Events missing what their kind needs, and phases nothing uses, are counted as skipped; a
/// trace made of Chrome's threads says it comes from a browser.
#[test]
fn skipped_events_are_counted() {
    let t = r#"[{"ph":"M","pid":1,"tid":1,"name":"process_name","args":{"name":"Renderer"}},
{"ph":"X","ts":7,"tdur":4,"pid":1,"tid":1},
{"ph":"X","name":"a","pid":1,"tid":1,"ts":7},
{"ph":"C","name":"counter","pid":1,"tid":1,"ts":1,"args":{"v":1}},
{"ph":"s","name":"flow","id":1,"pid":1,"tid":1,"ts":1},
42,
{"ph":"X","name":"ok","pid":1,"tid":1,"ts":1,"dur":1}]"#;
    let ing = read_str(t);
    assert_eq!((ing.stats.events, ing.stats.skipped), (2, 5));
    assert!(ing.trace.browser.is_browser);
}

#[test]
fn not_a_trace_is_an_error_with_offset() {
    for read in [mapped, streamed] {
        let err = read("[1, 2, oops]").expect_err("not JSON").to_string();
        assert!(err.starts_with("t.json: byte "), "{err}");
        let err = read("{\"foo\": [1]}\n")
            .expect_err("no traceEvents")
            .to_string();
        assert!(
            err.contains("t.json") && err.contains("traceEvents"),
            "{err}"
        );
    }
}

/// No input, however cut or damaged, makes the reader panic: every prefix of a trace that uses
/// every event kind, and copies with single bytes overwritten.
#[test]
fn never_panics_on_damaged_input() {
    let t = r#"{"traceEvents":[{"ph":"M","pid":1,"tid":2,"name":"thread_name","args":{"name":"CrRendererMain"}},
{"ph":"X","name":"RunTask","pid":1,"tid":2,"ts":1e300,"dur":60000},{"ph":"X","name":"RunTask","pid":1,"tid":2,"ts":-9e18,"dur":9e18},
{"ph":"X","name":"FunctionCall","pid":1,"tid":2,"ts":10,"dur":7000,"args":{"data":{"url":"u","functionName":"f"}}},
{"ph":"B","name":"a","pid":1,"tid":2,"ts":5,"args":{"k":"\"v\\u{zz}\""}},{"ph":"E","pid":1,"tid":2,"ts":6},
{"ph":"b","name":"x","id2":{"global":"0x9"},"pid":1,"tid":2,"ts":1},{"ph":"e","name":"x","id2":{"global":"0x9"},"pid":1,"tid":2,"ts":1},
{"ph":"I","name":"ResourceSendRequest","pid":1,"tid":2,"ts":1,"args":{"data":{"requestId":"r","url":"https://a/"}}},
{"ph":"I","name":"ResourceReceiveResponse","pid":1,"tid":2,"ts":2,"args":{"data":{"requestId":"r","timing":{"requestTime":1e300,"sendEnd":-1,"receiveHeadersEnd":1e308},"headers":{"server-timing":"a;dur=1e300"}}}},
{"ph":"R","name":"navigationStart","pid":1,"tid":2,"ts":1,"args":{"data":{"documentLoaderURL":"https://a/","isLoadingMainFrame":true}}},
{"ph":"R","name":"largestContentfulPaint::Candidate","pid":1,"tid":2,"ts":2,"args":{"data":{"candidateIndex":-5,"isMainFrame":true,"nodeId":1e99,"type":"image"}}}
],"metadata":{}}"#;
    let bytes = t.as_bytes();
    let mut inputs: Vec<Vec<u8>> = (0..bytes.len()).map(|n| bytes[..n].to_vec()).collect();
    for i in (0..bytes.len()).step_by(3) {
        for b in [b'"', b'}', b']', b'0', b',', b'\\', 0xff] {
            let mut v = bytes.to_vec();
            v[i] = b;
            inputs.push(v);
        }
    }
    for input in inputs {
        let _ = ingest_bytes("t.json", &input, false);
        let _ = ingest_reader("t.json", Box::new(&input[..]), None);
    }
}

/// Reads `s` mapped on one thread, then on one, two and three with chunks of a few bytes (so
/// the split path runs on a small text): the trace, warnings and errors must be the same.
fn same_split(s: &str) {
    let read = |threads: usize, chunk: usize| {
        crate::ingest::set_local_threads(threads);
        TEST_CHUNK.with(|c| c.set(chunk));
        let out = match mapped(s) {
            Ok(ing) => format!("{ing:?}"),
            Err(e) => format!("error: {e}"),
        };
        crate::ingest::set_local_threads(0);
        TEST_CHUNK.with(|c| c.set(0));
        out
    };
    let one = read(1, 0);
    // One thread takes the chunked path too for a big trace (a small chunk makes this one
    // big): one chunk decoded at a time, then applied.
    for threads in [1, 2, 3] {
        for chunk in [1, 7, 40, 150, 600] {
            let many = read(threads, chunk);
            assert!(
                many == one,
                "threads {threads}, chunk {chunk}, on\n{s}\n{many}\n---- vs one thread ----\n{one}"
            );
        }
    }
}

/// A trace of every kind of event the reader turns into something, `n` tasks long, with
/// strings and args that hold the bytes a boundary guess looks for.
fn many_events(n: usize, object: bool) -> String {
    let mut ev = vec![
        r#"{"ph":"M","pid":1,"tid":2,"name":"thread_name","args":{"name":"CrRendererMain"}}"#
            .to_string(),
    ];
    for i in 0..n {
        let ts = 1000 + i * 100_000;
        ev.push(format!(
            r#"{{"ph":"X","name":"RunTask","pid":1,"tid":2,"ts":{ts},"dur":{}}}"#,
            20_000 + i * 7_000
        ));
        ev.push(format!(
            r#"{{"ph":"X","name":"FunctionCall","pid":1,"tid":2,"ts":{},"dur":5000,"args":{{"data":{{"url":"a.js","frames":[{{"x":1}},{{"y":"}},{{"}}]}}}}}}"#,
            ts + 10
        ));
        ev.push(format!(
            r#"{{"ph":"B","name":"poll","pid":1,"tid":3,"ts":{ts}}},{{"ph":"E","pid":1,"tid":3,"ts":{}}}"#,
            ts + 40_000
        ));
        ev.push("7".into());
        ev.push(r#""a string }, { element""#.into());
    }
    let body = ev.join(",\n ");
    match object {
        true => format!(
            "{{\"metadata\":{{\"x\":[{{\"a\":1}},{{\"b\":2}}]}},\n\"traceEvents\": [\n {body}\n],\n\"after\":{{\"y\":[{{\"c\":3}}]}}}}"
        ),
        false => format!("[{body}]"),
    }
}

#[test]
fn split_path_reads_whole_traces_as_one_thread() {
    for object in [false, true] {
        let t = many_events(12, object);
        // The split path runs on it: its text before the first event opens the event array.
        let first = split::first_event("t.json", &t, object).expect("a plain opening");
        assert_eq!(&t[first..first + 6], r#"{"ph":"#);
        same_split(&t);
    }
}

#[test]
fn split_path_reads_damaged_traces_as_one_thread() {
    for object in [false, true] {
        let t = many_events(10, object);
        // Cut off everywhere a cut can land: inside strings, numbers, between events.
        for cut in (1..t.len()).step_by(97) {
            same_split(&t[..cut]);
        }
        let mid = t.len() / 2;
        let at = t[mid..].find(",\n").map_or(mid, |p| mid + p);
        // A trailing comma, garbage between events, a broken event, data after the trace.
        same_split(&format!("{},]", &t[..at]));
        same_split(&format!(
            "{}, {{\"ph\":\"X\" \"name\":1}}{}",
            &t[..at],
            &t[at..]
        ));
        same_split(&format!("{} x{}", &t[..at], &t[at..]));
        same_split(&format!("{}, ,{}", &t[..at], &t[at..]));
        same_split(&format!("{t}\n{{\"extra\":1}}"));
        same_split(&format!("{t} ]"));
    }
    // A duplicate traceEvents, a first element that is not an object, events never opened.
    same_split(
        r#"{"traceEvents":[{"ph":"X","name":"RunTask","pid":1,"tid":2,"ts":1,"dur":60000},{"ph":"i","ts":5}],"traceEvents":[{"ph":"X","name":"RunTask","pid":1,"tid":2,"ts":1,"dur":60000}]}"#,
    );
    same_split(
        r#"[5, {"ph":"X","name":"RunTask","pid":1,"tid":2,"ts":1,"dur":60000}, {"ph":"i","ts":5}]"#,
    );
    same_split(r#"[5, 6, "x", [1], {}, {}]"#);
    same_split(r#"[{}, {}, {"a":[{},{}]}, {}]"#);
}

/// Every Chrome trace under `dir` (gunzipped), read mapped on one thread and split into chunks
/// of 64 KiB on one and two threads and of 1 MiB on three: the same trace and warnings. Returns how
/// many were read.
fn same_split_on_files(dir: &std::path::Path) -> usize {
    use std::io::Read;
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("readable directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.to_string_lossy();
            n.ends_with(".json") || n.ends_with(".json.gz")
        })
        .collect();
    files.sort();
    let mut read = 0;
    for f in files {
        let raw = std::fs::read(&f).expect("readable file");
        let mut bytes = Vec::new();
        if raw.starts_with(&[0x1f, 0x8b]) {
            flate2::read::MultiGzDecoder::new(&raw[..])
                .read_to_end(&mut bytes)
                .expect("gunzips");
        } else {
            bytes = raw;
        }
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        if crate::ingest::sniff::sniff_bytes(text.as_bytes()) != Ok(Format::ChromeTrace) {
            continue;
        }
        let one = format!("{:?}", mapped(text));
        for (threads, chunk) in [(1, 64 << 10), (2, 64 << 10), (3, 1 << 20)] {
            crate::ingest::set_local_threads(threads);
            TEST_CHUNK.with(|c| c.set(chunk));
            let many = format!("{:?}", mapped(text));
            crate::ingest::set_local_threads(0);
            TEST_CHUNK.with(|c| c.set(0));
            assert!(many == one, "{} differs on {threads} threads", f.display());
        }
        read += 1;
    }
    read
}

#[test]
fn split_path_reads_the_chrome_samples_as_one_thread() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-traces");
    assert!(same_split_on_files(&dir) >= 5);
}

#[test]
#[ignore = "needs ../shared/corpus/chrome"]
fn split_path_reads_the_chrome_corpus_as_one_thread() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/chrome");
    assert!(same_split_on_files(&dir) >= 20);
}

/// What reading `input` as a stream gives, as text: one event at a time on one thread, in
/// batches on this thread (`ahead` false), or in batches found on a thread of their own
/// (`ahead`, as for a gzip read ahead), with `threads` threads and batches of `batch` bytes.
fn stream_read(input: &[u8], threads: usize, batch: usize, ahead: bool) -> String {
    crate::ingest::set_local_threads(threads);
    TEST_BATCH.with(|b| b.set(batch));
    let mut b = TraceBuilder::new();
    let mut stats = InputStats::new("t.json", Format::ChromeTrace, false);
    let result = match ahead {
        true => read_stream_ahead("t.json", input, &mut || {}, &mut b, &mut stats),
        false => read_stream("t.json", &mut &input[..], &mut b, &mut stats),
    };
    crate::ingest::set_local_threads(0);
    TEST_BATCH.with(|b| b.set(0));
    match result {
        Ok(()) => format!("{:?}\n{:?}", b.finish(), stats),
        Err(e) => format!("error: {e}"),
    }
}

/// Reads `input` as a stream one event at a time, then in batches of a few bytes to a few
/// hundred, on this thread and found on another, with two and three threads: the same trace,
/// warnings and errors.
fn same_batched(input: &[u8]) {
    let one = stream_read(input, 1, 0, false);
    for threads in [2, 3] {
        for batch in [1, 40, 300] {
            for ahead in [false, true] {
                let many = stream_read(input, threads, batch, ahead);
                assert!(
                    many == one,
                    "threads {threads}, batch {batch}, ahead {ahead}, on\n{}\n{many}\n---- vs one at a time ----\n{one}",
                    String::from_utf8_lossy(input)
                );
            }
        }
    }
}

#[test]
fn stream_batches_read_whole_and_damaged_traces_as_one_at_a_time() {
    for object in [false, true] {
        let t = many_events(6, object);
        same_batched(t.as_bytes());
        // Cut off everywhere a cut can land: inside strings, numbers, between events.
        for cut in (1..t.len()).step_by(41) {
            same_batched(&t.as_bytes()[..cut]);
        }
        let mid = t.len() / 2;
        let at = t[mid..].find(",\n").map_or(mid, |p| mid + p);
        let (front, back) = t.split_at(at);
        // A trailing comma, stray commas before and after a broken event, garbage between
        // events, an empty element, bytes that are not UTF-8, data after the trace.
        same_batched(format!("{front},]").as_bytes());
        same_batched(format!("{front}, {{\"ph\":\"X\" \"name\":1}}{back}").as_bytes());
        same_batched(
            format!("[{{}},,{{}}, {front}, {{\"ph\":\"X\" \"name\":1}}, ,{back}").as_bytes(),
        );
        same_batched(format!("{front} x{back}").as_bytes());
        same_batched(format!("{front}, ,{back}").as_bytes());
        same_batched(format!("{front},}}{back}").as_bytes());
        same_batched(format!("{t}\n{{\"extra\":1}}").as_bytes());
        let mut bytes = front.as_bytes().to_vec();
        bytes.extend_from_slice(b", {\"ph\":\"X\",\"name\":\"a\xff\",\"ts\":1,\"dur\":2}");
        bytes.extend_from_slice(back.as_bytes());
        same_batched(&bytes);
    }
    same_batched(br#"[5, 6, "x", [1], {}, {}]"#);
    same_batched(br#"[5, 6, "x"]"#);
    same_batched(b"[");
    same_batched(b"");
    same_batched(br#"{"other":[]}"#);
}
