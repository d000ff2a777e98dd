//! Seeded generator of a tracing-subscriber JSON log (`FmtSpan::CLOSE`) of many requests to one
//! route, `/users/<id>/profile`, with as many distinct paths as asked: the input of the cost
//! bench (`benches/routes.rs`) and the scale tests of routes. Requests start 1-3 ms apart; 1 in
//! 10 is CPU-heavy (busy 15 ms, on the event loop), the others await I/O for 5-9 ms.
//!
//! [`Paths`] says how the distinct paths look: ids the route derivation collapses into one
//! endpoint, or words it keeps (one endpoint per path: the cost of many endpoints).

use super::rng::Rng;
use std::io::Write;

/// How the `distinct` paths of a generated log look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paths {
    /// `/users/4711/profile`: decimal ids, one endpoint `GET /users/{id}/profile` once derived.
    Ids,
    /// `/users/user-4711/profile`: not ids, so every path is an endpoint of its own.
    Words,
}

fn ts(ns: u64) -> String {
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

/// `requests` requests over `distinct` paths (request `i` asks for path `i % distinct`), the
/// same bytes for the same arguments.
pub fn generate(requests: usize, distinct: usize, paths: Paths, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let distinct = distinct.max(1);
    // (end, start, busy, path number, request id)
    let mut reqs: Vec<(u64, u64, u64, usize, usize)> = Vec::with_capacity(requests);
    let mut t = 1_000_000_000u64;
    for i in 0..requests {
        t += rng.range(1_000_000, 3_000_000);
        let (busy, idle) = if rng.chance(100) {
            (15_000_000, rng.range(0, 200_000))
        } else {
            (rng.range(50_000, 300_000), rng.range(5_000_000, 9_000_000))
        };
        reqs.push((t + busy + idle, t, busy, i % distinct, i));
    }
    reqs.sort_unstable();
    let mut out = Vec::with_capacity(requests * 260);
    for (end, start, busy, path, id) in reqs {
        let idle = end - start - busy;
        let n = 1000 + path;
        let uri = match paths {
            Paths::Ids => format!("/users/{n}/profile"),
            Paths::Words => format!("/users/user-{n}/profile"),
        };
        let _ = writeln!(
            out,
            r#"{{"timestamp":"{}","level":"INFO","fields":{{"message":"close","time.busy":"{}µs","time.idle":"{}µs"}},"target":"app","span":{{"method":"GET","uri":"{uri}","request_id":{id},"name":"request"}},"spans":[]}}"#,
            ts(end),
            busy / 1000,
            idle / 1000
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_and_the_asked_paths() {
        let a = generate(30, 10, Paths::Ids, 1);
        assert_eq!(a, generate(30, 10, Paths::Ids, 1));
        let text = String::from_utf8_lossy(&a);
        assert_eq!(text.lines().count(), 30);
        assert!(text.contains(r#""uri":"/users/1009/profile""#));
        assert!(!text.contains(r#""uri":"/users/1010/profile""#));
        let words = generate(30, 10, Paths::Words, 1);
        assert!(String::from_utf8_lossy(&words).contains("/users/user-1003/profile"));
    }
}
