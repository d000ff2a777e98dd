//! Validated settings. Nothing below this module knows about clap.

use crate::model::Ns;
use regex::Regex;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Json,
    Markdown,
    /// One self-contained HTML page (`report::html`).
    Html,
}

/// `--fail-on`: exit 3 when a verdict at or above this level is present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailOn {
    /// Only `[X] Bad` verdicts fail.
    Bad,
    /// `[!] OK` and `[X] Bad` verdicts fail.
    Ok,
}

/// Default long server-processing threshold: 200 ms. Google's PageSpeed guidance ("reduce server
/// response time") asks for under 200 ms of server time; it is also the p95 budget most HTTP APIs
/// set themselves.
pub const DEFAULT_SLOW: Ns = 200_000_000;

/// Default event-loop stall threshold for tokio/tracing input: 10 ms, the poll duration at which
/// dial9 (tokio's runtime telemetry) warns, and the order of tokio's own guidance that a task
/// should not go more than 10-100 us between awaits (so 10 ms is already 100x too long).
pub const DEFAULT_STALL: Ns = 10_000_000;

/// Browser long-task threshold (RAIL, DevTools): 50 ms.
pub const BROWSER_LONG_TASK: Ns = 50_000_000;

/// One `--route REGEX=TEMPLATE`: a path the regex matches has its match replaced by the
/// template (`$1`, `${name}` name the regex's groups).
#[derive(Debug, Clone)]
pub struct RouteRule {
    pub regex: Regex,
    pub template: String,
}

impl RouteRule {
    /// Parses `REGEX=TEMPLATE`, split at the last `=` (a template holds no `=`; a regex may).
    pub fn parse(s: &str) -> Result<RouteRule, String> {
        let Some((re, template)) = s.rsplit_once('=') else {
            return Err(format!(
                "invalid --route '{s}': expected REGEX=TEMPLATE, like '^/users/[^/]+$=/users/{{name}}'"
            ));
        };
        if re.is_empty() || template.is_empty() {
            return Err(format!(
                "invalid --route '{s}': both the REGEX before '=' and the TEMPLATE after it are needed"
            ));
        }
        let regex = Regex::new(re).map_err(|e| format!("invalid --route regex '{re}': {e}"))?;
        Ok(RouteRule {
            regex,
            template: template.to_string(),
        })
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Input paths; `-` is standard input.
    pub inputs: Vec<PathBuf>,
    pub format: OutputFormat,
    pub slow: Ns,
    /// `None`: the format's default (see [`DEFAULT_STALL`]).
    pub stall: Option<Ns>,
    pub fail_on: Option<FailOn>,
    pub top: Option<usize>,
    /// Span name that marks a request, overriding the HTTP-field heuristic.
    pub request_span: Option<String>,
    /// Extra pattern for span names that are I/O (added to the built-in ones).
    pub io_span: Option<Regex>,
    /// Event-loop workers of the traced runtime, as the user states it (`--workers`); used
    /// where the trace shows no worker threads.
    pub workers: Option<usize>,
    /// `--route REGEX=TEMPLATE`, in the order given: the first whose regex matches a request's
    /// path makes its route (see `analyze::route`).
    pub routes: Vec<RouteRule>,
    pub color: bool,
    /// Show progress on stderr for long reads (the CLI sets it only when stderr is a terminal).
    pub progress: bool,
    /// Several inputs, some unreadable: exit as if all were read (they are named as warnings).
    pub keep_going: bool,
    /// Join browser inputs (a HAR, a DevTools trace) to server inputs of the same run
    /// (`analyze::page_join`); `--no-page-join` reports each on its own.
    pub page_join: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            inputs: Vec::new(),
            format: OutputFormat::Table,
            slow: DEFAULT_SLOW,
            stall: None,
            fail_on: None,
            top: None,
            request_span: None,
            io_span: None,
            workers: None,
            routes: Vec::new(),
            color: false,
            progress: false,
            keep_going: false,
            page_join: true,
        }
    }
}

impl Config {
    pub fn stall_threshold(&self) -> Ns {
        self.stall.unwrap_or(DEFAULT_STALL)
    }
}

/// Parses a duration like `200ms`, `1.5s`, `250us`, `250µs`, `900ns`; a bare number is ms.
pub fn parse_duration(s: &str) -> Result<Ns, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| {
        format!("invalid duration '{s}': expected a number with a unit, like 200ms")
    })?;
    let scale = match unit.trim() {
        "" | "ms" => 1e6,
        "s" => 1e9,
        "us" | "µs" | "μs" => 1e3,
        "ns" => 1.0,
        "m" | "min" => 60e9,
        other => {
            return Err(format!(
                "invalid duration '{s}': unknown unit '{other}' (use ns, us, ms, s or min)"
            ));
        }
    };
    let ns = value * scale;
    if !ns.is_finite() || ns < 0.0 || ns > i64::MAX as f64 {
        return Err(format!("invalid duration '{s}': out of range"));
    }
    Ok(ns.round() as Ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("200ms"), Ok(200_000_000));
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("250us"), Ok(250_000));
        assert_eq!(parse_duration("250µs"), Ok(250_000));
        assert_eq!(parse_duration("10"), Ok(10_000_000));
        assert!(parse_duration("10 parsecs").is_err());
        assert!(parse_duration("fast").is_err());
    }

    #[test]
    fn route_rules() {
        let r = RouteRule::parse("^/a/(?P<x>[0-9]+)=/a/{n}").expect("valid");
        assert_eq!(r.regex.as_str(), "^/a/(?P<x>[0-9]+)");
        assert_eq!(r.template, "/a/{n}");
        let r = RouteRule::parse("^/q=1$=/q").expect("splits at the last =");
        assert_eq!((r.regex.as_str(), r.template.as_str()), ("^/q=1$", "/q"));
        let e = RouteRule::parse("^/a/(=/a").expect_err("unclosed group");
        assert!(e.starts_with("invalid --route regex '^/a/('"), "{e}");
        assert!(RouteRule::parse("/a").is_err());
        assert!(RouteRule::parse("=/a").is_err());
    }
}
