//! Words and numbers for people: durations, plurals, and the episode line shared by the table
//! and Markdown renderers.

use super::schema::{EpisodeOut, RootSpansOut};
use crate::analyze::Unit;
use crate::model::Ns;

/// Milliseconds rounded to 0.01 ms, as the JSON report gives times.
pub fn to_ms(ns: Ns) -> f64 {
    (ns as f64 / 1e4).round() / 100.0
}

/// Milliseconds rounded to 0.001 ms (DevTools' figures are compared at that precision).
pub fn to_ms_exact(ns: Ns) -> f64 {
    (ns as f64 / 1e3).round() / 1e3
}

/// `12.3 ms`, `1.52 s`, `850 µs`.
pub fn fmt_duration(ns: Ns) -> String {
    let v = ns as f64;
    if v >= 1e9 {
        format!("{:.2} s", v / 1e9)
    } else if v >= 10e6 {
        format!("{:.0} ms", v / 1e6)
    } else if v >= 1e6 {
        format!("{:.1} ms", v / 1e6)
    } else {
        format!("{:.0} µs", v / 1e3)
    }
}

/// `s` with every control character (C0, DEL, C1: escape sequences, BEL, carriage returns,
/// newlines) shown escaped (`\u{1b}`), for text that goes to a terminal or a Markdown file.
/// Span names, fields and URLs come from the input: a route holding `ESC ] 0;title BEL` must not
/// retitle the user's terminal. (JSON escapes them itself.)
pub fn safe(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `1 stall`, `3 stalls`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `request`/`requests`, `task`/`tasks`, ... for a unit.
pub fn unit_words(unit: Unit) -> (&'static str, &'static str) {
    match unit {
        Unit::Requests => ("request", "requests"),
        Unit::Tasks => ("task", "tasks"),
        Unit::LongTasks => ("long task", "long tasks"),
    }
}

/// A navigation's LCP and its subparts in one line, shared by the table and the HTML page:
/// `URL: LCP 780 ms (image) = TTFB 90 ms + load delay 30 ms + load 600 ms + render delay 60 ms`,
/// then `DOMContentLoaded` and `load` when the input gives them (a HAR gives only those:
/// `URL: DOMContentLoaded 820 ms, load 900 ms`).
pub(crate) fn navigation_line(n: &super::browser::NavigationOut) -> String {
    let phases = n.phases.map(|p| {
        let mut parts = vec![format!("TTFB {:.0} ms", p.ttfb_ms)];
        if let Some(d) = p.load_delay_ms {
            parts.push(format!("load delay {d:.0} ms"));
        }
        if let Some(d) = p.load_duration_ms {
            parts.push(format!("load {d:.0} ms"));
        }
        parts.push(format!("render delay {:.0} ms", p.render_delay_ms));
        format!(" = {}", parts.join(" + "))
    });
    let events: Vec<String> = [
        ("DOMContentLoaded", n.dom_content_loaded_ms),
        ("load", n.load_ms),
    ]
    .into_iter()
    .filter_map(|(name, at)| at.map(|at| format!("{name} {at:.0} ms")))
    .collect();
    match n.lcp_ms {
        Some(lcp) => {
            let mut s = format!(
                "{}: LCP {lcp:.0} ms ({}){}",
                n.url,
                n.lcp_type.as_deref().unwrap_or("?"),
                phases.unwrap_or_default()
            );
            if !events.is_empty() {
                s.push_str(&format!("; {}", events.join(", ")));
            }
            s
        }
        None => format!("{}: {}", n.url, events.join(", ")),
    }
}

/// The episode summary line shared by the table and markdown renderers.
pub(crate) fn episode_line(e: &EpisodeOut) -> String {
    let blocked = match (e.event_loop_threads, e.max_workers_blocked) {
        (w, m) if w > 0 && m >= w && e.all_workers_blocked_ms > 0.0 => format!(
            "{} blocked for {}",
            if w == 1 {
                "the only worker".to_string()
            } else if w == 2 {
                "both workers".to_string()
            } else {
                format!("all {w} workers")
            },
            fmt_duration((e.all_workers_blocked_ms * 1e6) as i64)
        ),
        (w, m) if w > 0 => format!("{m} of {w} workers blocked at once"),
        (_, 1) => "one poll stalled at a time".to_string(),
        (_, m) => format!("up to {m} polls stalled at once"),
    };
    let victims = if e.delayed > 0 {
        let (one, many) = unit_words(e.unit);
        format!(
            "; delayed {} by up to {}",
            plural(
                e.delayed as usize,
                &format!("other {one}"),
                &format!("other {many}")
            ),
            fmt_duration((e.max_delay_ms * 1e6) as i64)
        )
    } else {
        String::new()
    };
    format!(
        "at {} for {}: {} by {}; {}{}",
        fmt_duration((e.start_ms * 1e6) as i64),
        fmt_duration((e.duration_ms * 1e6) as i64),
        plural(e.stalls, "stall", "stalls"),
        e.culprits.join(", "),
        blocked,
        victims
    )
}

/// The headline of an input where no span is a request: `0 requests found (no span had HTTP
/// fields; try --request-span NAME, e.g. one of: handle, step, run)`, naming the most frequent
/// root spans (`roots`, most frequent first); `named` is `--request-span` when it was given.
pub(crate) fn no_requests_headline(roots: &[&RootSpansOut], named: Option<&str>) -> String {
    let why = match named {
        Some(name) => format!("no span is named {name}"),
        None => "no span had HTTP fields".to_string(),
    };
    let names: Vec<&str> = roots.iter().take(3).map(|r| r.name.as_str()).collect();
    if names.is_empty() {
        format!("0 requests found ({why}; name request spans with --request-span NAME)")
    } else {
        format!(
            "0 requests found ({why}; try --request-span NAME, e.g. one of: {})",
            names.join(", ")
        )
    }
}

/// One root span name of an input without requests, when some of its spans were slow or it
/// stalled: `handle: 3 of 5 spans ≥ 200 ms (p50 251 ms, p95 251 ms, max 251 ms); 1 stall ≥ 10 ms, longest 120 ms`.
/// `None` when neither.
pub(crate) fn long_spans_line(r: &RootSpansOut, slow_ms: f64, stall_ms: f64) -> Option<String> {
    if r.slow_spans == 0 && r.stalls == 0 {
        return None;
    }
    let d = |ms: f64| fmt_duration((ms * 1e6).round() as Ns);
    let mut line = format!(
        "{}: {} of {} ≥ {} (p50 {}, p95 {}, max {})",
        r.name,
        r.slow_spans,
        plural(r.spans, "span", "spans"),
        d(slow_ms),
        d(r.p50_ms),
        d(r.p95_ms),
        d(r.max_ms)
    );
    if r.stalls > 0 {
        line.push_str(&format!(
            "; {} ≥ {}, longest {}",
            plural(r.stalls, "stall", "stalls"),
            d(stall_ms),
            d(r.longest_stall_ms)
        ));
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(fmt_duration(850_000), "850 µs");
        assert_eq!(fmt_duration(1_234_000), "1.2 ms");
        assert_eq!(fmt_duration(12_345_678), "12 ms");
        assert_eq!(fmt_duration(1_520_000_000), "1.52 s");
        assert_eq!(to_ms(12_345_678), 12.35);
        assert_eq!(to_ms_exact(12_345_678), 12.346);
        assert_eq!(plural(1, "stall", "stalls"), "1 stall");
        assert_eq!(plural(2, "stall", "stalls"), "2 stalls");
    }

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(safe("GET /orders"), "GET /orders");
        assert!(matches!(safe("GET /é"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(
            safe("GET /\u{1b}]0;pwned\u{7}\u{1b}[31mred\r\n\u{9b}"),
            "GET /\\u{1b}]0;pwned\\u{7}\\u{1b}[31mred\\r\\n\\u{9b}"
        );
    }
}
