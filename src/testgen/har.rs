//! Seeded generator of a HAR 1.2 file shaped like a browser's export (Chrome's or
//! Playwright's): one page, and per request an entry with its request and response headers,
//! content type and timings, the server wait (`timings.wait`) depending on the route. Used by
//! the `readers` bench.

use super::rng::Rng;
use std::fmt::Write as _;

/// `2026-11-24T00:00:00.000Z` plus `ms`.
fn iso(ms: u64) -> String {
    let secs = ms / 1000;
    format!(
        "2026-11-24T{:02}:{:02}:{:02}.{:03}Z",
        (secs / 3600) % 24,
        (secs / 60) % 60,
        secs % 60,
        ms % 1000
    )
}

fn headers(s: &mut String, pairs: &[(&str, &str)]) {
    s.push('[');
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, r#"{{"name":"{k}","value":"{v}"}}"#);
    }
    s.push(']');
}

/// About `target_bytes` of HAR (whole entries, so a little more), the same for the same seed.
/// Returns the bytes and the number of entries.
pub fn generate(target_bytes: usize, seed: u64) -> (Vec<u8>, u64) {
    let mut rng = Rng::new(seed);
    let mut s = String::with_capacity(target_bytes + 8192);
    let page = "page@0001";
    let _ = write!(
        s,
        r#"{{"log":{{"version":"1.2","creator":{{"name":"stallscope testgen","version":"1"}},"pages":[{{"startedDateTime":"{}","id":"{page}","title":"Shop","pageTimings":{{"onContentLoad":120,"onLoad":300}}}}],"entries":["#,
        iso(0)
    );
    let (mut t, mut n) = (0u64, 0u64);
    while s.len() < target_bytes {
        n += 1;
        t += rng.range(1, 20);
        let (path, mime, wait) = match rng.next_u64() % 4 {
            0 => ("/report/", "text/html; charset=utf-8", rng.range(200, 900)),
            1 => ("/api/orders/17", "application/json", rng.range(20, 120)),
            2 => ("/static/app.js", "text/javascript", rng.range(1, 5)),
            _ => ("/inventory/?as=png", "image/png", rng.range(50, 400)),
        };
        let (send, receive) = (0.05, rng.range(1, 30) as f64 / 10.0);
        let time = send + wait as f64 + receive;
        if n > 1 {
            s.push(',');
        }
        let _ = write!(
            s,
            r#"{{"pageref":"{page}","startedDateTime":"{}","time":{time:.3},"request":{{"method":"GET","url":"http://127.0.0.1:8000{path}","httpVersion":"HTTP/1.1","cookies":[],"headers":"#,
            iso(t)
        );
        headers(
            &mut s,
            &[
                ("Accept", "*/*"),
                ("Accept-Encoding", "gzip, deflate, br, zstd"),
                ("Host", "127.0.0.1:8000"),
                (
                    "User-Agent",
                    "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/156.0.0.0",
                ),
            ],
        );
        let _ = write!(
            s,
            r#","queryString":[],"headersSize":300,"bodySize":0}},"response":{{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","cookies":[],"headers":"#
        );
        let len = rng.range(200, 20_000).to_string();
        headers(
            &mut s,
            &[
                ("Content-Length", &len),
                ("Content-Type", mime),
                ("server", "uvicorn"),
                ("x-request-id", &format!("req-{n}")),
            ],
        );
        let _ = write!(
            s,
            r#","content":{{"size":{len},"mimeType":"{mime}"}},"redirectURL":"","headersSize":200,"bodySize":{len}}},"cache":{{}},"timings":{{"blocked":-1,"dns":-1,"connect":-1,"ssl":-1,"send":{send},"wait":{wait},"receive":{receive}}},"serverIPAddress":"127.0.0.1","_resourceType":"fetch"}}"#
        );
    }
    s.push_str("]}}\n");
    (s.into_bytes(), n)
}

#[cfg(test)]
mod tests {
    use super::generate;
    use crate::ingest::Format;

    /// Same seed, same bytes; every entry is one network request.
    #[test]
    fn generated_hars_read_with_every_entry() {
        let (a, n) = generate(300_000, 5);
        assert!(a.len() >= 300_000 && n > 100);
        assert_eq!(a, generate(300_000, 5).0);
        let ing = crate::ingest::ingest_bytes("gen.har", &a, false).expect("reads");
        assert_eq!(ing.stats.format, Format::Har);
        assert!(ing.stats.warnings.is_empty(), "{:?}", ing.stats.warnings);
        assert_eq!(ing.trace.network.len() as u64, n);
    }
}
