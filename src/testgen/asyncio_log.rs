//! Seeded generator of a Python asyncio debug-mode log as an ASGI app writes it: uvicorn's
//! access lines, and for every callback that held the event loop longer than
//! `slow_callback_duration` the `asyncio` logger's `Executing <Task ...> took 0.205 seconds`
//! (or `<Handle ...>`) warning. Used by the `readers` bench.

use super::rng::Rng;
use std::io::Write;

/// `2026-11-24 HH:MM:SS,mmm` for `ms` after midnight.
fn asctime(ms: u64) -> String {
    let secs = ms / 1000;
    format!(
        "2026-11-24 {:02}:{:02}:{:02},{:03}",
        (secs / 3600) % 24,
        (secs / 60) % 60,
        secs % 60,
        ms % 1000
    )
}

/// About `target_bytes` of log (whole lines, so a little more), the same for the same seed.
/// Returns the bytes and the number of slow-callback lines.
pub fn generate(target_bytes: usize, seed: u64) -> (Vec<u8>, u64) {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(target_bytes + 4096);
    let (mut t, mut task, mut slow) = (0u64, 100u64, 0u64);
    let venv = "/srv/shop/.venv/lib/python3.11/site-packages";
    while out.len() < target_bytes {
        task += 1;
        t += rng.range(5, 40);
        let took = rng.range(100, 400);
        match rng.next_u64() % 3 {
            0 => {
                let _ = writeln!(
                    out,
                    "{} WARNING:asyncio:Executing <Task pending name='Task-{task}' coro=<ASGIHandler.handle.<locals>.process_request() running at {venv}/django/core/handlers/asgi.py:189> wait_for=<Future pending cb=[Task.task_wakeup()] created at /usr/lib/python3.11/asyncio/base_events.py:427> cb=[_wait.<locals>._on_completion() at /usr/lib/python3.11/asyncio/tasks.py:519] created at /usr/lib/python3.11/asyncio/tasks.py:384> took {}.{:03} seconds",
                    asctime(t + took),
                    took / 1000,
                    took % 1000
                );
                slow += 1;
            }
            1 => {
                let _ = writeln!(
                    out,
                    "{} WARNING:asyncio:Executing <Handle _SelectorSocketTransport._read_ready() created at /usr/lib/python3.11/asyncio/selector_events.py:255> took {}.{:03} seconds",
                    asctime(t + took),
                    took / 1000,
                    took % 1000
                );
                slow += 1;
            }
            _ => {}
        }
        let _ = writeln!(
            out,
            "{} INFO:uvicorn.access:127.0.0.1:{} - \"GET /orders/{} HTTP/1.1\" 200",
            asctime(t + took + 1),
            40_000 + task % 20_000,
            task % 97
        );
        // One loop runs one callback at a time: the next starts after this one ended.
        t += took + 1;
    }
    (out, slow)
}

#[cfg(test)]
mod tests {
    use super::generate;
    use crate::ingest::Format;

    /// Same seed, same bytes; every slow-callback line is one span, the access lines none.
    #[test]
    fn generated_logs_read_with_every_slow_callback() {
        let (a, n) = generate(200_000, 11);
        assert!(a.len() >= 200_000 && n > 100);
        assert_eq!(a, generate(200_000, 11).0);
        let lines = std::str::from_utf8(&a)
            .expect("utf-8")
            .lines()
            .filter(|l| l.contains("Executing <"))
            .count();
        assert_eq!(lines as u64, n);
        let ing = crate::ingest::ingest_bytes("gen.log", &a, false).expect("reads");
        assert_eq!(ing.stats.format, Format::AsyncioDebug);
        assert!(ing.stats.warnings.is_empty(), "{:?}", ing.stats.warnings);
        assert_eq!(ing.trace.spans.len() as u64, n);
    }
}
