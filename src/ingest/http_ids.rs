//! Ids that tie a browser's request to the server's: what the HTTP headers of a request or its
//! response carry, as the keys [`NetworkRequest::ids`](crate::model::NetworkRequest::ids) holds.
//!
//! - `traceparent` / `traceresponse` (W3C Trace Context, `00-<trace id>-<span id>-<flags>`), and
//!   a `Server-Timing` entry named `traceparent` with the same value as its `desc`:
//!   `trace:<trace id>` (32 lower-case hex digits);
//! - `x-request-id`, `request-id`, `x-correlation-id`: `request:<value>`.
//!
//! The same keys from a server span's fields: `analyze::page_join::id_of_field`.

use super::chrome::split_unquoted;

/// The trace id of a `traceparent` value, lower-case; `None` unless it is well formed (and not
/// all zeros, which the specification calls invalid).
fn trace_id(v: &str) -> Option<String> {
    let mut parts = v.trim().trim_matches('"').split('-');
    let (_version, id) = (parts.next()?, parts.next()?);
    (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) && id.bytes().any(|b| b != b'0'))
        .then(|| id.to_ascii_lowercase())
}

/// The keys one header gives (none for most headers).
pub fn from_header(name: &str, value: &str, out: &mut Vec<String>) {
    let name = name.trim();
    let is = |n: &str| name.eq_ignore_ascii_case(n);
    let mut push = |key: String| {
        if !out.contains(&key) {
            out.push(key);
        }
    };
    if is("traceparent") || is("traceresponse") {
        if let Some(id) = trace_id(value) {
            push(format!("trace:{id}"));
        }
    } else if is("x-request-id") || is("request-id") || is("x-correlation-id") {
        let v = value.trim();
        if !v.is_empty() {
            push(format!("request:{v}"));
        }
    } else if is("server-timing") {
        for entry in split_unquoted(value, ',') {
            let mut parts = split_unquoted(entry, ';').into_iter().map(str::trim);
            if !parts
                .next()
                .is_some_and(|n| n.eq_ignore_ascii_case("traceparent"))
            {
                continue;
            }
            let desc = parts.find_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.trim().eq_ignore_ascii_case("desc").then_some(v)
            });
            if let Some(id) = desc.and_then(trace_id) {
                push(format!("trace:{id}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(headers: &[(&str, &str)]) -> Vec<String> {
        let mut out = Vec::new();
        for (k, v) in headers {
            from_header(k, v, &mut out);
        }
        out
    }

    #[test]
    fn headers() {
        let tp = "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01";
        assert_eq!(
            keys(&[
                ("traceparent", tp),
                ("X-Request-ID", " 7 "),
                ("Content-Type", "text/html"),
                ("traceresponse", tp),
            ]),
            ["trace:4bf92f3577b34da6a3ce929d0e0e4736", "request:7"]
        );
        assert_eq!(
            keys(&[(
                "Server-Timing",
                r#"app;dur=3, traceparent;desc="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01""#
            )]),
            ["trace:0af7651916cd43dd8448eb211c80319c"]
        );
        // Malformed or all-zero trace ids, empty request ids: nothing.
        assert!(
            keys(&[
                ("traceparent", "00-xyz-00f067aa0ba902b7-01"),
                (
                    "traceparent",
                    "00-00000000000000000000000000000000-00f067aa0ba902b7-01"
                ),
                ("x-request-id", " "),
            ])
            .is_empty()
        );
    }
}
