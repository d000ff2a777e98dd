//! Seeded generator of a tracing-subscriber log in the default text format with full span
//! events (`FmtSpan::FULL`, thread names and ids): the same requests as
//! [`super::tracing_log`]'s JSON log (async I/O on two workers, CPU inline, and work on
//! blocking-pool threads), written as `fmt()` writes them. Used by the `readers` bench.

use super::rng::Rng;
use super::tracing_log::{dur, next_request, ts};
use std::io::Write;

const ORDERS_DB: &str = r#"db.query{db.system="postgresql" db.operation="SELECT"}"#;
const COMPUTE: &str = r#"compute{work="hash"}"#;

/// One line: `<time>  INFO tokio-rt-worker ThreadId(NN) <spans>: demo_server: <message>`.
fn event(out: &mut Vec<u8>, t: u64, thread: u32, chain: &str, msg: &str) {
    let _ = writeln!(
        out,
        "{}  INFO tokio-rt-worker ThreadId({thread:02}) {chain}: demo_server: {msg}",
        ts(t)
    );
}

fn close(busy: u64, idle: u64) -> String {
    format!("close time.busy={} time.idle={}", dur(busy), dur(idle))
}

/// Generates at least `target_bytes` of log, the same bytes for the same `seed`.
///
/// The requests, their routes, threads and timings are drawn as in
/// [`super::tracing_log::generate_log`]: `GET /report` runs 80-120 ms of `compute` inline on its
/// worker, `GET /export` a 60-100 ms `db.query` on a pool thread, `GET /thumbnail` 60-100 ms of
/// `compute` on a pool thread, and `GET /orders` awaits a 40-90 ms `db.query`.
pub fn generate_log(target_bytes: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(target_bytes + 4096);
    let mut t: u64 = 0;
    let mut id: u64 = 0;
    while out.len() < target_bytes {
        let (worker, kind, route) = next_request(&mut rng, &mut t, &mut id);
        let req = format!(r#"http.request{{method=GET route="{route}" request_id={id}}}"#);
        event(&mut out, t, worker, &req, "new");
        event(&mut out, t + 5_000, worker, &req, "enter");
        let (busy, end) = match kind {
            0 => {
                let child = format!("{req}:{COMPUTE}");
                let ct = t + 10_000;
                let cpu = rng.range(80_000_000, 120_000_000);
                event(&mut out, ct, worker, &child, "new");
                event(&mut out, ct, worker, &child, "enter");
                event(&mut out, ct + cpu, worker, &child, "exit");
                event(&mut out, ct + cpu, worker, &child, &close(cpu, 2_000));
                event(&mut out, ct + cpu + 1000, worker, &req, "exit");
                (cpu, ct + cpu + 50_000)
            }
            1 | 2 => {
                let pool = 10 + (rng.next_u64() % 8) as u32;
                let child = if kind == 1 {
                    format!("{req}:{ORDERS_DB}")
                } else {
                    format!("{req}:{COMPUTE}")
                };
                event(&mut out, t + 20_000, worker, &req, "exit");
                let bt = t + 100_000;
                let work = rng.range(60_000_000, 100_000_000);
                event(&mut out, bt, pool, &req, "enter");
                event(&mut out, bt, pool, &child, "new");
                event(&mut out, bt, pool, &child, "enter");
                event(&mut out, bt + work, pool, &child, "exit");
                event(&mut out, bt + work, pool, &child, &close(work, 3_000));
                event(&mut out, bt + work + 1000, pool, &req, "exit");
                event(&mut out, bt + work + 50_000, worker, &req, "enter");
                event(&mut out, bt + work + 80_000, worker, &req, "exit");
                (work + 50_000, bt + work + 100_000)
            }
            _ => {
                let child = format!("{req}:{ORDERS_DB}");
                let io = rng.range(40_000_000, 90_000_000);
                event(&mut out, t + 10_000, worker, &child, "new");
                event(&mut out, t + 12_000, worker, &child, "enter");
                event(&mut out, t + 20_000, worker, &child, "exit");
                event(&mut out, t + 25_000, worker, &req, "exit");
                let back = t + io;
                event(&mut out, back, worker, &req, "enter");
                event(&mut out, back + 2_000, worker, &child, "enter");
                event(&mut out, back + 6_000, worker, &child, "exit");
                event(&mut out, back + 7_000, worker, &child, &close(12_000, io));
                event(&mut out, back + 9_000, worker, &req, "exit");
                (40_000, back + 20_000)
            }
        };
        let closed =
            format!(r#"http.request{{method=GET route="{route}" request_id={id} status=200}}"#);
        let idle = (end - t).saturating_sub(busy);
        event(&mut out, end, worker, &closed, &close(busy, idle));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::generate_log;
    use crate::Config;
    use crate::ingest::Format;

    /// Same seed, same bytes; read as tracing text, every request is a span (one per
    /// `request_id`) and the four routes get the JSON log's verdicts.
    #[test]
    fn generated_text_logs_read_like_the_json_ones() {
        let a = generate_log(200_000, 42);
        assert!(a.len() >= 200_000);
        assert_eq!(a, generate_log(200_000, 42));
        assert_ne!(a, generate_log(200_000, 43));
        let ing = crate::ingest::ingest_bytes("gen.log", &a, false).expect("reads");
        assert_eq!(ing.stats.format, Format::TracingText);
        assert!(ing.stats.warnings.is_empty(), "{:?}", ing.stats.warnings);
        let text = std::str::from_utf8(&a).expect("utf-8");
        let requests = text
            .lines()
            .filter(|l| l.ends_with(": new") && l.matches("}:").count() == 1)
            .count();
        let roots = ing
            .trace
            .spans
            .iter()
            .filter(|s| s.parent.is_none())
            .count();
        assert_eq!(roots, requests);
        let analysis = crate::analyze::analyze(&ing.trace, &Config::default());
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
