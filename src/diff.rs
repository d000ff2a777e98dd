//! `stallscope diff`: two runs compared endpoint by endpoint. Each side is a saved
//! `--format json` report (schema v2) or a trace, analyzed here into the same report first.
//!
//! Rows are matched by their `fingerprint` (see [`crate::report::fingerprint`]: family, unit
//! and endpoint, never a figure), computed where a saved report has none. An endpoint with no
//! verdict row but listed in `fast_endpoints` (nothing heavy to judge) takes part with no
//! verdict, so a fix that leaves nothing heavy on the event loop shows as resolved.
//!
//! What a change is, per endpoint (decided here, worded in `report::diff`):
//!
//! | before     | after      | status      |
//! |------------|------------|-------------|
//! | no verdict | verdict    | `new`       |
//! | verdict    | no verdict | `resolved`  |
//! | verdict    | verdict    | `changed` when the verdict or pattern differs, else `unchanged` |
//! | no verdict | no verdict | `unchanged` (endpoints in `fast_endpoints` on both sides) |
//!
//! "No verdict" is an endpoint in `fast_endpoints` or absent from that run. An endpoint absent
//! from one run and without a verdict row in the other is not compared.
//!
//! An endpoint **regressed** when its verdict got worse (Bad < OK < Good < no verdict; an
//! Unknown verdict is not ranked), or when its p95 rose by more than the tolerance
//! (`after > before * (1 + tolerance)`, both measured: p95 > 0).

use crate::analyze::Verdict;
use crate::config::{Config, OutputFormat};
use crate::error::{Error, Result};
use crate::report::{Report, fingerprint};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::Path;

/// The diff document's own version (its JSON is not the analysis report).
pub const DIFF_SCHEMA_VERSION: u32 = 1;

/// A verdict row, or a fast endpoint, of one run: what the diff compares.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    /// `None`: no verdict row (the endpoint had nothing heavy to judge).
    pub verdict: Option<Verdict>,
    pub pattern: Option<String>,
    /// How many of `unit` the row judged (requests of a fast endpoint).
    pub count: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub stalls: usize,
    pub longest_stall_ms: f64,
}

/// One side of a diff: its rows by fingerprint, in report order.
#[derive(Debug, Clone)]
pub struct Side {
    pub path: String,
    /// `report` (a saved JSON report) or `trace` (analyzed here).
    pub kind: &'static str,
    pub rows: Vec<SideRow>,
    /// Rows of several inputs with the same fingerprint: the first (most severe) is kept.
    pub duplicates: usize,
}

#[derive(Debug, Clone)]
pub struct SideRow {
    pub fingerprint: String,
    pub endpoint: String,
    pub unit: String,
    pub figures: Figures,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    New,
    Changed,
    Resolved,
    Unchanged,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Changed => "changed",
            Status::Resolved => "resolved",
            Status::Unchanged => "unchanged",
        }
    }
}

/// Why an endpoint counts as regressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Regression {
    /// Its verdict got worse.
    Verdict,
    /// Its p95 rose by more than the tolerance.
    P95,
}

/// One endpoint compared.
#[derive(Debug, Clone)]
pub struct Change {
    pub endpoint: String,
    pub fingerprint: String,
    pub unit: String,
    pub status: Status,
    pub before: Option<Figures>,
    pub after: Option<Figures>,
    pub regressions: Vec<Regression>,
    /// The verdict got better (a better rank on both sides).
    pub improved: bool,
}

/// Two runs compared.
#[derive(Debug, Clone)]
pub struct Diff {
    pub baseline: Side,
    pub candidate: Side,
    pub tolerance: f64,
    /// Regressed first, then new, changed, resolved, unchanged; by endpoint within each.
    pub changes: Vec<Change>,
    /// Endpoints seen in one run only, without a verdict row: not compared.
    pub not_compared: usize,
}

impl Diff {
    pub fn regressed(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| !c.regressions.is_empty())
            .count()
    }

    pub fn count(&self, status: Status) -> usize {
        self.changes.iter().filter(|c| c.status == status).count()
    }
}

/// Verdict rank, worst first; `None` (no verdict row) is best. Unknown is not ranked.
fn rank(v: Option<Verdict>) -> Option<u8> {
    match v {
        Some(Verdict::Bad) => Some(0),
        Some(Verdict::Ok) => Some(1),
        Some(Verdict::Good) => Some(2),
        Some(Verdict::Unknown) => None,
        None => Some(3),
    }
}

/// Compares two sides (see the module documentation for the rules).
pub fn compare(baseline: Side, candidate: Side, tolerance: f64) -> Diff {
    let mut keys: Vec<(&str, &str, &str)> = Vec::new();
    for r in baseline.rows.iter().chain(&candidate.rows) {
        if !keys.iter().any(|k| k.0 == r.fingerprint) {
            keys.push((&r.fingerprint, &r.endpoint, &r.unit));
        }
    }
    let find = |side: &Side, fp: &str| {
        side.rows
            .iter()
            .find(|r| r.fingerprint == fp)
            .map(|r| r.figures.clone())
    };
    let mut changes = Vec::new();
    let mut not_compared = 0;
    for (fp, endpoint, unit) in keys {
        let before = find(&baseline, fp);
        let after = find(&candidate, fp);
        let vb = before.as_ref().and_then(|f| f.verdict);
        let va = after.as_ref().and_then(|f| f.verdict);
        let status = match (vb, va) {
            (None, Some(_)) => Status::New,
            (Some(_), None) => Status::Resolved,
            (Some(b), Some(a)) => {
                let same_pattern =
                    before.as_ref().map(|f| &f.pattern) == after.as_ref().map(|f| &f.pattern);
                if a == b && same_pattern {
                    Status::Unchanged
                } else {
                    Status::Changed
                }
            }
            (None, None) => {
                if before.is_none() || after.is_none() {
                    not_compared += 1;
                    continue;
                }
                Status::Unchanged
            }
        };
        let mut regressions = Vec::new();
        let (rb, ra) = (rank(vb), rank(va));
        if let (Some(rb), Some(ra)) = (rb, ra)
            && ra < rb
        {
            regressions.push(Regression::Verdict);
        }
        if let (Some(b), Some(a)) = (&before, &after)
            && b.p95_ms > 0.0
            && a.p95_ms > 0.0
            && a.p95_ms > b.p95_ms * (1.0 + tolerance)
        {
            regressions.push(Regression::P95);
        }
        let improved = matches!((rb, ra), (Some(rb), Some(ra)) if ra > rb);
        changes.push(Change {
            endpoint: endpoint.to_string(),
            fingerprint: fp.to_string(),
            unit: unit.to_string(),
            status,
            before,
            after,
            regressions,
            improved,
        });
    }
    changes.sort_by(|a, b| {
        (a.regressions.is_empty(), a.status, &a.endpoint).cmp(&(
            b.regressions.is_empty(),
            b.status,
            &b.endpoint,
        ))
    });
    Diff {
        baseline,
        candidate,
        tolerance,
        changes,
        not_compared,
    }
}

// ------------------------------------------------------------------ reading a side

/// What the diff reads of a saved report: only these keys (others are ignored).
#[derive(Debug, Deserialize)]
struct Saved {
    schema_version: u32,
    verdicts: Vec<SavedRow>,
    #[serde(default)]
    fast_endpoints: Vec<SavedFast>,
}

#[derive(Debug, Deserialize)]
struct SavedRow {
    endpoint: String,
    #[serde(default)]
    fingerprint: Option<String>,
    pattern: String,
    verdict: String,
    unit: String,
    count: usize,
    p50_ms: f64,
    p95_ms: f64,
    stalls: usize,
    longest_stall_ms: f64,
}

#[derive(Debug, Deserialize)]
struct SavedFast {
    endpoint: String,
    requests: usize,
    p50_ms: f64,
    p95_ms: f64,
}

/// The family a saved row comes from, as its fingerprint names it.
fn family_of(pattern: &str, unit: &str) -> &'static str {
    match (pattern, unit) {
        ("slow-server-response", _) => "slow-server-response",
        ("main-thread-long-tasks", _) => "main-thread-long-tasks",
        (_, "tasks") => "runtime-tasks",
        _ => "server",
    }
}

/// Does this look like a saved stallscope report? (Its first bytes hold one of its top-level
/// keys; traces never do.)
fn is_report(head: &[u8]) -> bool {
    let head = String::from_utf8_lossy(head);
    // `analyze --format json` writes `schema_version` first; a report re-serialized with sorted
    // keys (jq -S, Python) starts with `advice`. Traces have neither.
    head.trim_start().starts_with('{')
        && ["\"schema_version\"", "\"advice\"", "\"verdicts\""]
            .iter()
            .any(|k| head.contains(k))
}

/// Reads one side: a saved JSON report, or a trace analyzed with `cfg`'s settings.
pub fn read_side(path: &Path, cfg: &Config, diag: &mut dyn Write) -> Result<Side> {
    let name = path.display().to_string();
    let mut head = Vec::new();
    if name != "-" {
        let f = std::fs::File::open(path).map_err(|source| Error::Io {
            path: name.clone(),
            source,
        })?;
        f.take(4096)
            .read_to_end(&mut head)
            .map_err(|source| Error::Io {
                path: name.clone(),
                source,
            })?;
    }
    if is_report(&head) {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: name.clone(),
            source,
        })?;
        let saved: Saved = serde_json::from_str(&text).map_err(|e| {
            Error::line(
                &name,
                e.line() as u64,
                format!("not a stallscope JSON report (schema 2): {e}"),
            )
        })?;
        if saved.schema_version != 2 {
            return Err(Error::input(
                &name,
                format!(
                    "a stallscope report of schema_version {}: diff reads schema 2 (re-run \
                     `stallscope analyze --format json` with this version)",
                    saved.schema_version
                ),
            ));
        }
        return Ok(side_from_saved(name, "report", saved));
    }
    let one = Config {
        inputs: vec![path.to_path_buf()],
        format: OutputFormat::Json,
        ..cfg.clone()
    };
    let inputs = crate::pipeline::analyze_inputs(&one, diag, &mut |_| {})?;
    if let Some(e) = inputs.unreadable.into_iter().next() {
        return Err(e);
    }
    let mut report = Report::new(&one);
    for a in &inputs.analyzed {
        report.add(&a.ingested.stats, &a.ingested.trace, &a.analysis, &one);
    }
    let value = serde_json::to_value(&report)
        .map_err(|e| Error::input(&name, format!("cannot build the report: {e}")))?;
    let saved: Saved = serde_json::from_value(value)
        .map_err(|e| Error::input(&name, format!("cannot read back the report: {e}")))?;
    Ok(side_from_saved(name, "trace", saved))
}

fn side_from_saved(path: String, kind: &'static str, saved: Saved) -> Side {
    let mut rows: Vec<SideRow> = Vec::new();
    let mut duplicates = 0;
    let mut push = |row: SideRow| {
        if rows.iter().any(|r| r.fingerprint == row.fingerprint) {
            duplicates += 1;
        } else {
            rows.push(row);
        }
    };
    for v in saved.verdicts {
        let fp = v
            .fingerprint
            .clone()
            .unwrap_or_else(|| fingerprint(family_of(&v.pattern, &v.unit), &v.unit, &v.endpoint));
        push(SideRow {
            fingerprint: fp,
            endpoint: v.endpoint,
            unit: v.unit,
            figures: Figures {
                verdict: Some(match v.verdict.as_str() {
                    "bad" => Verdict::Bad,
                    "ok" => Verdict::Ok,
                    "good" => Verdict::Good,
                    _ => Verdict::Unknown,
                }),
                pattern: Some(v.pattern),
                count: v.count,
                p50_ms: v.p50_ms,
                p95_ms: v.p95_ms,
                stalls: v.stalls,
                longest_stall_ms: v.longest_stall_ms,
            },
        });
    }
    for f in saved.fast_endpoints {
        push(SideRow {
            fingerprint: fingerprint("server", "requests", &f.endpoint),
            endpoint: f.endpoint,
            unit: "requests".into(),
            figures: Figures {
                verdict: None,
                pattern: None,
                count: f.requests,
                p50_ms: f.p50_ms,
                p95_ms: f.p95_ms,
                stalls: 0,
                longest_stall_ms: 0.0,
            },
        });
    }
    Side {
        path,
        kind,
        rows,
        duplicates,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(rows: Vec<(&str, Option<Verdict>, &str, f64, usize)>) -> Side {
        Side {
            path: "x".into(),
            kind: "report",
            duplicates: 0,
            rows: rows
                .into_iter()
                .map(|(e, v, p, p95, stalls)| SideRow {
                    fingerprint: fingerprint("server", "requests", e),
                    endpoint: e.into(),
                    unit: "requests".into(),
                    figures: Figures {
                        verdict: v,
                        pattern: (!p.is_empty()).then(|| p.to_string()),
                        count: 10,
                        p50_ms: p95 / 2.0,
                        p95_ms: p95,
                        stalls,
                        longest_stall_ms: 0.0,
                    },
                })
                .collect(),
        }
    }

    #[test]
    fn statuses_and_regressions() {
        use Verdict::*;
        let before = side(vec![
            ("GET /report", Some(Bad), "async-cpu", 640.0, 39),
            ("GET /orders", Some(Good), "async-io", 100.0, 0),
            ("GET /gone", Some(Ok), "sync-io", 300.0, 0),
            ("GET /fast", None, "", 10.0, 0),
            ("GET /only-before", None, "", 10.0, 0),
        ]);
        let after = side(vec![
            ("GET /report", Some(Good), "sync-cpu", 212.0, 0),
            // p95 up 10 % exactly: within the default tolerance.
            ("GET /orders", Some(Good), "async-io", 110.0, 0),
            ("GET /fast", None, "", 11.1, 0),
            ("GET /new", Some(Bad), "async-cpu", 500.0, 3),
        ]);
        let d = compare(before, after, 0.10);
        let by = |e: &str| d.changes.iter().find(|c| c.endpoint == e).unwrap();
        assert_eq!(by("GET /report").status, Status::Changed);
        assert!(by("GET /report").improved);
        assert!(by("GET /report").regressions.is_empty());
        assert_eq!(by("GET /orders").status, Status::Unchanged);
        assert!(by("GET /orders").regressions.is_empty());
        assert_eq!(by("GET /gone").status, Status::Resolved);
        assert!(by("GET /gone").improved);
        // 10 -> 11.1 ms is 11 % up: over the tolerance.
        assert_eq!(by("GET /fast").regressions, vec![Regression::P95]);
        assert_eq!(by("GET /new").status, Status::New);
        assert_eq!(by("GET /new").regressions, vec![Regression::Verdict]);
        assert_eq!(d.not_compared, 1);
        assert_eq!(d.regressed(), 2);
        // Regressed first.
        assert!(!d.changes[0].regressions.is_empty());
        assert!(!d.changes[1].regressions.is_empty());
    }

    #[test]
    fn unknown_verdicts_are_not_ranked() {
        let before = side(vec![("GET /a", Some(Verdict::Good), "async-io", 10.0, 0)]);
        let after = side(vec![("GET /a", Some(Verdict::Unknown), "unknown", 10.0, 0)]);
        let d = compare(before, after, 0.1);
        assert_eq!(d.changes[0].status, Status::Changed);
        assert!(d.changes[0].regressions.is_empty());
    }

    #[test]
    fn a_report_is_told_from_a_trace_by_its_head() {
        assert!(is_report(
            b"{\n  \"schema_version\": 2,\n  \"tool\": {\"name\": \"stallscope\""
        ));
        assert!(!is_report(b"{\"traceEvents\": []}"));
        assert!(!is_report(b"{\"timestamp\":\"2026\",\"level\":\"INFO\"}"));
    }
}
