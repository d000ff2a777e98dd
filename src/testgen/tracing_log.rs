//! Seeded generator of a tracing-subscriber JSON log (FmtSpan::FULL, thread ids and names),
//! shaped like the demo server's: async I/O requests on two workers, some CPU-inline requests,
//! and spawn_blocking requests on pool threads. Used by the `ingest` bench, the
//! `gen_tracing_log` example and `scripts/bench-rss.sh`.

use super::rng::Rng;
use std::io::Write;

pub(super) fn ts(ns: u64) -> String {
    // 2026-11-24T00:00:00Z plus ns.
    let secs = ns / 1_000_000_000;
    let micros = (ns % 1_000_000_000) / 1000;
    format!(
        "2026-11-24T{:02}:{:02}:{:02}.{:06}Z",
        (secs / 3600) % 24,
        (secs / 60) % 60,
        secs % 60,
        micros
    )
}

pub(super) fn dur(ns: u64) -> String {
    let v = ns as f64;
    if v >= 1e9 {
        format!("{:.2}s", v / 1e9)
    } else if v >= 1e6 {
        format!("{:.1}ms", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1}µs", v / 1e3)
    } else {
        format!("{ns}ns")
    }
}

struct Line<'a> {
    t: u64,
    msg: &'a str,
    span: &'a str,
    spans: &'a str,
    thread: u32,
    extra: String,
}

fn line<'a>(
    t: u64,
    msg: &'a str,
    span: &'a str,
    spans: &'a str,
    thread: u32,
    extra: String,
) -> Line<'a> {
    Line {
        t,
        msg,
        span,
        spans,
        thread,
        extra,
    }
}

fn write_line(out: &mut Vec<u8>, l: &Line<'_>) {
    // Since tokio 1.50 every runtime thread has this name, blocking pool included.
    let name = "tokio-rt-worker";
    let _ = writeln!(
        out,
        r#"{{"timestamp":"{}","level":"INFO","fields":{{"message":"{}"{}}},"target":"demo_server","span":{},"spans":[{}],"threadName":"{}","threadId":"ThreadId({})"}}"#,
        ts(l.t),
        l.msg,
        l.extra,
        l.span,
        l.spans,
        name,
        l.thread
    );
}

/// The next request: its id and start (1-6 ms after the one before), its worker (thread 2 or
/// 3), its kind (0-9) and route (1 in 10 each `/report`, `/export`, `/thumbnail`, the rest
/// `/orders`). Shared with the text generator, so both write the same requests.
pub(super) fn next_request(rng: &mut Rng, t: &mut u64, id: &mut u64) -> (u32, u64, &'static str) {
    *id += 1;
    *t += rng.range(1_000_000, 6_000_000);
    let worker = 2 + (rng.next_u64() % 2) as u32;
    let kind = rng.next_u64() % 10;
    let route = match kind {
        0 => "/report",
        1 => "/export",
        2 => "/thumbnail",
        _ => "/orders",
    };
    (worker, kind, route)
}

/// Generates at least `target_bytes` of log, the same bytes for the same `seed`.
///
/// Requests start 1-6 ms apart, on one of two workers (thread ids 2 and 3): 1 in 10 is
/// `GET /report` (80-120 ms of CPU inline, in a `compute` span), 1 in 10 `GET /export` (a
/// 60-100 ms `db.query` on a blocking-pool thread, ids 10-17), 1 in 10 `GET /thumbnail` (60-100 ms
/// of `compute` on a pool thread), the rest `GET /orders` (a `db.query` awaited for 40-90 ms).
pub fn generate_log(target_bytes: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(target_bytes + 4096);
    let mut t: u64 = 0;
    let mut id: u64 = 0;
    while out.len() < target_bytes {
        let (worker, kind, route) = next_request(&mut rng, &mut t, &mut id);
        let req = format!(
            r#"{{"method":"GET","request_id":{id},"route":"{route}","name":"http.request"}}"#
        );
        let ctx = req.clone();
        write_line(&mut out, &line(t, "new", &req, "", worker, String::new()));
        write_line(
            &mut out,
            &line(t + 5_000, "enter", &req, &ctx, worker, String::new()),
        );
        let (busy, end) = match kind {
            0 => {
                let child = r#"{"name":"compute"}"#;
                let ct = t + 10_000;
                let cpu = rng.range(80_000_000, 120_000_000);
                write_line(
                    &mut out,
                    &line(ct, "new", child, &ctx, worker, String::new()),
                );
                write_line(
                    &mut out,
                    &line(
                        ct,
                        "enter",
                        child,
                        &format!("{ctx},{child}"),
                        worker,
                        String::new(),
                    ),
                );
                write_line(
                    &mut out,
                    &line(ct + cpu, "exit", child, &ctx, worker, String::new()),
                );
                let extra = format!(r#","time.busy":"{}","time.idle":"2.0µs""#, dur(cpu));
                write_line(
                    &mut out,
                    &line(ct + cpu, "close", child, &ctx, worker, extra),
                );
                write_line(
                    &mut out,
                    &line(ct + cpu + 1000, "exit", &req, "", worker, String::new()),
                );
                (cpu, ct + cpu + 50_000)
            }
            1 | 2 => {
                let pool = 10 + (rng.next_u64() % 8) as u32;
                let child = if kind == 1 {
                    r#"{"db.operation":"SELECT","db.system":"postgresql","name":"db.query"}"#
                } else {
                    r#"{"name":"compute"}"#
                };
                write_line(
                    &mut out,
                    &line(t + 20_000, "exit", &req, "", worker, String::new()),
                );
                let bt = t + 100_000;
                let work = rng.range(60_000_000, 100_000_000);
                write_line(
                    &mut out,
                    &line(bt, "enter", &req, &ctx, pool, String::new()),
                );
                write_line(&mut out, &line(bt, "new", child, &ctx, pool, String::new()));
                write_line(
                    &mut out,
                    &line(
                        bt,
                        "enter",
                        child,
                        &format!("{ctx},{child}"),
                        pool,
                        String::new(),
                    ),
                );
                write_line(
                    &mut out,
                    &line(bt + work, "exit", child, &ctx, pool, String::new()),
                );
                let extra = format!(r#","time.busy":"{}","time.idle":"3.0µs""#, dur(work));
                write_line(
                    &mut out,
                    &line(bt + work, "close", child, &ctx, pool, extra),
                );
                write_line(
                    &mut out,
                    &line(bt + work + 1000, "exit", &req, "", pool, String::new()),
                );
                write_line(
                    &mut out,
                    &line(
                        bt + work + 50_000,
                        "enter",
                        &req,
                        &ctx,
                        worker,
                        String::new(),
                    ),
                );
                write_line(
                    &mut out,
                    &line(bt + work + 80_000, "exit", &req, "", worker, String::new()),
                );
                (work + 50_000, bt + work + 100_000)
            }
            _ => {
                let child =
                    r#"{"db.operation":"SELECT","db.system":"postgresql","name":"db.query"}"#;
                let io = rng.range(40_000_000, 90_000_000);
                write_line(
                    &mut out,
                    &line(t + 10_000, "new", child, &ctx, worker, String::new()),
                );
                write_line(
                    &mut out,
                    &line(
                        t + 12_000,
                        "enter",
                        child,
                        &format!("{ctx},{child}"),
                        worker,
                        String::new(),
                    ),
                );
                write_line(
                    &mut out,
                    &line(t + 20_000, "exit", child, &ctx, worker, String::new()),
                );
                write_line(
                    &mut out,
                    &line(t + 25_000, "exit", &req, "", worker, String::new()),
                );
                let back = t + io;
                write_line(
                    &mut out,
                    &line(back, "enter", &req, &ctx, worker, String::new()),
                );
                write_line(
                    &mut out,
                    &line(
                        back + 2_000,
                        "enter",
                        child,
                        &format!("{ctx},{child}"),
                        worker,
                        String::new(),
                    ),
                );
                write_line(
                    &mut out,
                    &line(back + 6_000, "exit", child, &ctx, worker, String::new()),
                );
                let extra = format!(r#","time.busy":"12.0µs","time.idle":"{}""#, dur(io));
                write_line(
                    &mut out,
                    &line(back + 7_000, "close", child, &ctx, worker, extra),
                );
                write_line(
                    &mut out,
                    &line(back + 9_000, "exit", &req, "", worker, String::new()),
                );
                (40_000, back + 20_000)
            }
        };
        let closed = req.replace(r#""route""#, r#""status":200,"route""#);
        let extra = format!(
            r#","time.busy":"{}","time.idle":"{}""#,
            dur(busy),
            dur((end - t).saturating_sub(busy))
        );
        write_line(&mut out, &line(end, "close", &closed, "", worker, extra));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::generate_log;
    use crate::Config;

    /// Same seed, same bytes; every request of the four routes is read and judged as the demo
    /// server's are.
    #[test]
    fn generated_logs_read_cleanly() {
        let a = generate_log(200_000, 42);
        assert!(a.len() >= 200_000);
        assert_eq!(a, generate_log(200_000, 42));
        assert_ne!(a, generate_log(200_000, 43));
        let cfg = Config::default();
        let ing = crate::ingest::ingest_bytes("gen.log", &a, false).expect("reads");
        assert!(ing.stats.warnings.is_empty(), "{:?}", ing.stats.warnings);
        let analysis = crate::analyze::analyze(&ing.trace, &cfg);
        let mut got: Vec<String> = analysis
            .judgements
            .iter()
            .map(|v| format!("{} {:?} {:?}", v.subject, v.pattern, v.verdict))
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                "GET /export SyncIo Bad",
                "GET /orders AsyncIo Good",
                "GET /report AsyncCpu Bad",
                "GET /thumbnail SyncCpu Ok",
            ]
        );
    }
}
