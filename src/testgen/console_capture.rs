//! Seeded generator of a live capture as `stallscope record` writes it (see `crate::capture`):
//! a header, then per one-second publish interval the tasks spawned in it and a statistics
//! snapshot of each task that changed, and an end line. The tasks are a demo server's: `/orders`
//! handlers (a few short polls), `/report` handlers (one 80-120 ms poll), and two runtime
//! workers. Used by the `readers` bench.

use super::rng::Rng;
use std::io::Write;

/// Unix time of the capture's start: 2026-11-24T00:00:00Z.
const T0: u64 = 1_795_478_400_000_000_000;
const SEC: u64 = 1_000_000_000;
const LAUNCH: &str = "tokio::runtime::scheduler::multi_thread::worker::Launch::launch::{{closure}}";

#[allow(clippy::too_many_arguments)]
fn stats(
    out: &mut Vec<u8>,
    id: u64,
    at: u64,
    created: u64,
    dropped: Option<u64>,
    polls: u64,
    busy: u64,
    first: u64,
    last: (u64, u64),
) {
    let dropped = dropped.map_or_else(|| "null".to_string(), |d| d.to_string());
    let _ = writeln!(
        out,
        r#"{{"stats":{{"id":{id},"at":{at},"created":{created},"dropped":{dropped},"polls":{polls},"busy_ns":{busy},"scheduled_ns":{},"first_poll":{first},"last_poll_started":{},"last_poll_ended":{},"wakes":{},"self_wakes":0,"waker_clones":{polls},"waker_drops":{polls}}}}}"#,
        polls * 2_000,
        last.0,
        last.1,
        polls.saturating_sub(1)
    );
}

/// About `target_bytes` of capture (whole lines, so a little more), the same for the same seed.
/// Returns the bytes and how many handler tasks of each route it holds (`/orders`, `/report`).
pub fn generate(target_bytes: usize, seed: u64) -> (Vec<u8>, [u64; 2]) {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(target_bytes + 64 * 1024);
    let _ = writeln!(
        out,
        r#"{{"stallscope_console_capture":1,"target":"http://127.0.0.1:6700","started_unix_ns":{T0}}}"#
    );
    for w in 1..=2u64 {
        let _ = writeln!(
            out,
            r#"{{"task":{{"id":{w},"kind":"blocking","name":null,"location":"tokio/src/runtime/scheduler/multi_thread/worker.rs:515:13","fields":{{"kind":"blocking","fn":"{LAUNCH}","task.id":"{w}","task.name":"","size.bytes":"8"}}}}}}"#
        );
    }
    let mut counts = [0u64; 2];
    let mut next_id: u64 = 100;
    let mut interval: u64 = 0;
    let mut worker_polls: u64 = 0;
    while out.len() < target_bytes {
        let start = T0 + interval * SEC;
        let at = start + SEC;
        let mut t = start;
        let mut done = Vec::new();
        while t < at - 200_000_000 {
            t += rng.range(1_000_000, 6_000_000);
            next_id += 1;
            let report = rng.chance(100);
            counts[usize::from(report)] += 1;
            let route = if report { "/report" } else { "/orders" };
            let _ = writeln!(
                out,
                r#"{{"task":{{"id":{next_id},"kind":"task","name":"{route}","location":"examples/demo_server.rs:138:67","fields":{{"kind":"task","task.name":"{route}","task.id":"{next_id}","size.bytes":"336"}}}}}}"#
            );
            done.push((next_id, t, report));
        }
        for (id, created, report) in done {
            let first = created + rng.range(10_000, 200_000);
            let (polls, busy, last) = if report {
                let cpu = rng.range(80_000_000, 120_000_000);
                (1, cpu, (first, first + cpu))
            } else {
                let n = rng.range(2, 6);
                let back = first + rng.range(40_000_000, 90_000_000);
                (n, n * 30_000, (back, back + 30_000))
            };
            stats(
                &mut out,
                id,
                at,
                created,
                Some(last.1 + 20_000),
                polls,
                busy,
                first,
                last,
            );
        }
        worker_polls += 1_000;
        for w in 1..=2u64 {
            stats(
                &mut out,
                w,
                at,
                T0,
                None,
                worker_polls,
                worker_polls * 1_000,
                T0 + 1_000,
                (at - 5_000, at - 4_000),
            );
        }
        interval += 1;
    }
    let _ = writeln!(
        out,
        r#"{{"end":{{"at":{},"updates":{interval},"reason":"duration"}}}}"#,
        T0 + interval * SEC + 1_000
    );
    (out, counts)
}

#[cfg(test)]
mod tests {
    use super::generate;
    use crate::ingest::Format;

    /// Same seed, same bytes; every handler task is counted in its route's group, and the
    /// `/report` tasks' busy time is their one poll each.
    #[test]
    fn generated_captures_read_with_every_task() {
        let (a, counts) = generate(300_000, 9);
        assert!(a.len() >= 300_000);
        assert_eq!(a, generate(300_000, 9).0);
        let ing = crate::ingest::ingest_bytes("gen.jsonl", &a, false).expect("reads");
        assert_eq!(ing.stats.format, Format::ConsoleCapture);
        let group = |site: &str| {
            ing.trace
                .tasks
                .totals
                .iter()
                .find(|g| g.site == site)
                .unwrap_or_else(|| panic!("no group {site}"))
        };
        assert_eq!(group("/orders").tasks, counts[0]);
        assert_eq!(group("/report").tasks, counts[1]);
        assert_eq!(group("/report").polls, counts[1]);
        assert!(group("/report").max_poll >= 80_000_000);
        assert!(counts[0] > 5 * counts[1] && counts[1] > 0, "{counts:?}");
    }
}
