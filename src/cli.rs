//! Command-line parsing (clap). Converts into [`Config`]; nothing below this module knows clap.

use clap::{Parser, Subcommand, ValueEnum};
use stallscope::config::{self, Config, FailOn, OutputFormat};
use stallscope::ingest::tracing::Timestamp;
use stallscope::report::timeline::{TimeArg, TimelineOptions};
use std::io::IsTerminal;
use std::path::PathBuf;

const EXAMPLES: &str = "\
EXAMPLES:
    Judge a service from its tracing-subscriber JSON log:
        stallscope analyze service.log

    Several files, gzip or not; '-' reads standard input:
        zcat app.log.gz | stallscope analyze -
        stallscope analyze page.json.gz console-recording.jsonl

    A browser's page load (HAR or DevTools trace) with the server's trace of the same run:
    each browser request is matched to the server request that served it, and its wait split
    into queued, handler and network time:
        stallscope analyze page.har server.otlp.jsonl
    The same two files, each reported on its own (no join):
        stallscope analyze --no-page-join page.har server.otlp.jsonl
    A tokio-console recording with a log of the same run: tasks are joined to the log's
    requests by time, so the recording's rows name endpoints:
        stallscope analyze app.log console-recording.jsonl

    JSON for scripts, markdown for a PR comment:
        stallscope analyze --format json service.log | jq '.verdicts[] | {endpoint, pattern, verdict}'
        stallscope analyze --format markdown service.log > report.md

    A self-contained HTML page for a post-incident review (verdicts with their evidence, a
    zoomable timeline per thread, latency over time per endpoint; opens offline):
        stallscope analyze --format html -o report.html service.log

    Endpoints are routes, not URLs: ids in paths become {id} (GET /users/{id}); state your
    own routes where that is not enough:
        stallscope analyze --route '^/files/.*=/files/{path}' --route '^/@([a-z]+)$=/@{user}' app.log

    Fail a CI job when an endpoint is judged Bad:
        stallscope analyze --fail-on bad service.log

    A CLOSE-only log (no thread ids) of a service whose runtime has 4 workers:
        stallscope analyze --workers 4 service.log

    Every log of an incident, whichever of them are damaged beyond reading:
        stallscope analyze --keep-going logs/*.log

EXIT CODES:
    0  success (verdicts printed, whatever they are)
    2  unreadable input or usage error (the message names the file and line or byte); with
       several inputs, the readable ones are reported first (--keep-going: exit as if all
       were read, the unreadable ones named as warnings)
    3  --fail-on triggered: a verdict at or above the given level is present";

#[derive(Debug, Parser)]
#[command(
    name = "stallscope",
    version,
    about = "Find long server-processing spans and event-loop stalls in saved traces, and judge per endpoint whether async helps or hurts.",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print the tool's own diagnostics to stderr (-v: debug, -vv: trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Threads for reading inputs (default: the machine's cores; 1 = one thread). The results
    /// are the same whatever the number; only the time differs.
    #[arg(long, value_name = "N", global = true, env = "STALLSCOPE_THREADS", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyze saved traces: tracing-subscriber logs (JSON or text), tracing-chrome files, Chrome
    /// DevTools Performance exports and HARs, tokio-console recordings and captures,
    /// OpenTelemetry spans (OTLP/JSON, Jaeger, Zipkin), viztracer traces, asyncio debug logs.
    #[command(after_help = EXAMPLES)]
    Analyze(AnalyzeArgs),
    /// Capture a running app's tasks from its console-subscriber server (the tokio-console API)
    /// into a file that `analyze` reads.
    #[command(after_help = RECORD_EXAMPLES)]
    Record(RecordArgs),
    /// Compare two runs per endpoint: new, resolved, changed and unchanged verdicts, p50/p95,
    /// stalls before -> after. Each side is a trace or a saved `analyze --format json` report.
    #[command(after_help = DIFF_EXAMPLES)]
    Diff(DiffArgs),
    /// Draw a trace in the terminal: a row per event-loop worker or browser main thread with
    /// its stalls, the blocking pool, requests in flight per endpoint, the stall episodes, and
    /// the worst windows (minimum mutator utilization for 10 ms, 100 ms and 1 s).
    #[command(after_help = TIMELINE_EXAMPLES)]
    Timeline(TimelineArgs),
}

const TIMELINE_EXAMPLES: &str = "\
EXAMPLES:
    The whole trace, as wide as the terminal:
        stallscope timeline service.log

    Zoom in on the incident, from 1.5 s to 3.8 s into the trace:
        stallscope timeline --since 1.5s --until 3.8s service.log

    Wall-clock times (traces with timestamps): RFC 3339, or a UTC time of day:
        stallscope timeline --since 2026-12-01T04:31:02Z --until 04:31:05 service.log

    For a file or a ticket: 120 columns, no colour:
        stallscope timeline --width 120 --color never service.log > timeline.txt

EXIT CODES:
    0  drawn
    2  unreadable input, a range outside the trace, or a usage error";

#[derive(Debug, clap::Args)]
pub struct TimelineArgs {
    /// Trace files; '-' is standard input. Each is drawn on its own.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Start of the range drawn: an offset into the trace (`4.2s`, `850ms`), a wall-clock time
    /// (`2026-12-01T04:31:02.5Z`) or a UTC time of day (`04:31:02.5`).
    #[arg(long, value_name = "TIME", value_parser = parse_time_arg)]
    pub since: Option<TimeArg>,
    /// End of the range drawn, in the same forms.
    #[arg(long, value_name = "TIME", value_parser = parse_time_arg)]
    pub until: Option<TimeArg>,
    /// Characters per line (default: the terminal's width, else 100).
    #[arg(long, value_name = "N")]
    pub width: Option<usize>,
    /// Colour stalls: auto = only on a terminal and never when NO_COLOR is set.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorArg,
    /// Event-loop stall threshold, as for `analyze`.
    #[arg(long, value_name = "DURATION", value_parser = config::parse_duration)]
    pub stall: Option<i64>,
}

fn parse_time_arg(s: &str) -> Result<TimeArg, String> {
    if let Ok(ns) = config::parse_duration(s) {
        return Ok(TimeArg::Offset(ns));
    }
    match stallscope::ingest::tracing::parse_timestamp(s) {
        Some(Timestamp::Unix(ns)) => Ok(TimeArg::Unix(ns)),
        Some(Timestamp::TimeOfDay(ns)) => Ok(TimeArg::TimeOfDay(ns)),
        _ => Err(format!(
            "invalid time '{s}': expected an offset like 4.2s, a time like 2026-12-01T04:31:02Z, or a time of day like 04:31:02"
        )),
    }
}

impl TimelineArgs {
    pub fn config(&self) -> Result<(Config, TimelineOptions), String> {
        if self.width.is_some_and(|w| w < 40) {
            return Err("--width must be at least 40".into());
        }
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let tty = std::io::stdout().is_terminal();
        let color = match self.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => !no_color && tty,
        };
        let width = self.width.unwrap_or_else(|| {
            tty.then(|| comfy_table::Table::new().width())
                .flatten()
                .map_or(100, usize::from)
        });
        let cfg = Config {
            inputs: self.files.clone(),
            stall: self.stall,
            ..Config::default()
        };
        Ok((
            cfg,
            TimelineOptions {
                since: self.since,
                until: self.until,
                width,
                color,
            },
        ))
    }
}

const DIFF_EXAMPLES: &str = "\
EXAMPLES:
    Did the fix work? Two traces of the same load, before and after:
        stallscope diff before.log after.log

    Saved reports work too (their verdict rows are matched by `fingerprint`):
        stallscope analyze --format json before.log > before.json
        stallscope diff before.json after.log

    Fail a CI job when an endpoint got worse (a worse verdict, or p95 up more than 10 %):
        stallscope diff --fail-on regressed --tolerance 10% main.json branch.log

    A PR comment:
        stallscope diff --format markdown before.log after.log > diff.md

EXIT CODES:
    0  compared (whatever changed)
    2  unreadable input or usage error
    3  --fail-on regressed: an endpoint regressed";

/// `--fail-on` of `diff`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DiffFailOnArg {
    /// Exit 3 when any endpoint got a worse verdict, or its p95 rose by more than --tolerance.
    Regressed,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The run before: a trace, or a saved `stallscope analyze --format json` report.
    #[arg(value_name = "BASELINE")]
    pub baseline: PathBuf,
    /// The run after, in the same forms.
    #[arg(value_name = "CANDIDATE")]
    pub candidate: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: DiffFormatArg,
    /// Exit with code 3 when an endpoint regressed.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub fail_on: Option<DiffFailOnArg>,
    /// How much a p95 may rise before it counts as a regression: `10%` (the default) or `0.1`.
    #[arg(long, value_name = "PERCENT", default_value = "10%", value_parser = parse_tolerance)]
    pub tolerance: f64,
    /// `--slow` for traces analyzed here (saved reports keep their own settings).
    #[arg(long, value_name = "DURATION", default_value = "200ms", value_parser = config::parse_duration)]
    pub slow: i64,
    /// `--stall` for traces analyzed here.
    #[arg(long, value_name = "DURATION", value_parser = config::parse_duration)]
    pub stall: Option<i64>,
}

/// `10%` or `0.1`: a fraction, at least 0.
fn parse_tolerance(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let v = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|p| p / 100.0),
        None => t.parse::<f64>(),
    }
    .map_err(|_| {
        format!("invalid tolerance '{s}': expected a percentage like 10% or a fraction like 0.1")
    })?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("invalid tolerance '{s}': must be 0 or more"));
    }
    Ok(v)
}

impl DiffArgs {
    pub fn config(&self) -> Config {
        Config {
            format: match self.format {
                DiffFormatArg::Table => OutputFormat::Table,
                DiffFormatArg::Json => OutputFormat::Json,
                DiffFormatArg::Markdown => OutputFormat::Markdown,
            },
            slow: self.slow,
            stall: self.stall,
            ..Config::default()
        }
    }
}

const RECORD_EXAMPLES: &str = "\
EXAMPLES:
    Capture 30 s from an app running console-subscriber on the default address:
        stallscope record --console http://127.0.0.1:6669 --duration 30s -o capture.jsonl
        stallscope analyze capture.jsonl

EXIT CODES:
    0  captured (also when the app stopped before the duration: what was captured is kept)
    2  could not connect, the server refused, or the output could not be written";

#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    /// The console-subscriber server's address.
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:6669")]
    pub console: String,
    /// How long to capture.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = config::parse_duration)]
    pub duration: i64,
    /// Where to write the capture ('-' for standard output).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: PathBuf,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Table,
    Json,
    Markdown,
    /// One self-contained page (verdict table, swimlane timeline, latency charts); best with
    /// -o FILE.
    Html,
}

/// `--format` of `diff`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DiffFormatArg {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FailOnArg {
    /// Exit 3 when any verdict is [X] Bad.
    Bad,
    /// Exit 3 when any verdict is [!] OK or [X] Bad.
    Ok,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// Trace files; '-' is standard input. gzip is detected from the content.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: FormatArg,

    /// Write the report to FILE instead of standard output ('-': standard output). The file
    /// is written once the report is complete: an input that cannot be read leaves none.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Long server-processing threshold: requests at or over it count as slow. The default,
    /// 200ms, is the server response time Google's PageSpeed guidance asks for.
    #[arg(long, value_name = "DURATION", default_value = "200ms", value_parser = config::parse_duration)]
    pub slow: i64,

    /// Event-loop stall threshold: a single poll at or over it stalled its worker. Default 10ms,
    /// the long-poll warning level of dial9 (tokio runtime telemetry).
    #[arg(long, value_name = "DURATION", value_parser = config::parse_duration)]
    pub stall: Option<i64>,

    /// Exit with code 3 when a verdict at or above this level is present.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOnArg>,

    /// With several inputs, some of them unreadable: report the readable ones and exit as if
    /// all were read (the unreadable ones are named as warnings) instead of exiting with 2.
    #[arg(long)]
    pub keep_going: bool,

    /// Do not join a browser input (a HAR, a DevTools trace) to the server inputs given with
    /// it: each input is reported on its own, as if given alone (no `page_joins`, no page-load
    /// lines).
    #[arg(long)]
    pub no_page_join: bool,

    /// Show only the N most severe verdict rows.
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,

    /// Name of the span that marks a request (default: root spans with HTTP fields such as
    /// method, route, uri, http.route).
    #[arg(long, value_name = "NAME")]
    pub request_span: Option<String>,

    /// Regular expression for span names that are I/O calls, added to the built-in ones
    /// (db.*/otel.kind=client fields; db, sql, query, http, client, cache ... in names).
    #[arg(long, value_name = "REGEX")]
    pub io_span: Option<String>,

    /// Event-loop workers of the traced service (tokio's default: one per CPU core). Used when
    /// the trace shows no worker threads (no thread ids): CPU-heavy work of one endpoint
    /// running at once on more requests than there are workers cannot all be on the loop.
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// State a route: a request path (no query, no host) that REGEX matches counts under the
    /// endpoint TEMPLATE ($1, ${name} name REGEX's groups). Repeatable; the first that matches
    /// wins. Without one, routes come from route/http.route/matched_path fields, or are derived
    /// from the path with its ids (42, UUIDs, long hex and random tokens) as {id}.
    #[arg(long = "route", value_name = "REGEX=TEMPLATE")]
    pub routes: Vec<String>,

    /// Colour the verdicts: auto = only on a terminal and never when NO_COLOR is set.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorArg,
}

impl AnalyzeArgs {
    pub fn into_config(self) -> Result<Config, String> {
        let io_span = match self.io_span {
            Some(re) => {
                Some(regex::Regex::new(&re).map_err(|e| format!("invalid --io-span regex: {e}"))?)
            }
            None => None,
        };
        let routes = self
            .routes
            .iter()
            .map(|r| config::RouteRule::parse(r))
            .collect::<Result<Vec<_>, _>>()?;
        if self.top == Some(0) {
            return Err("--top must be at least 1".into());
        }
        if self.workers == Some(0) {
            return Err("--workers must be at least 1".into());
        }
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match self.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => !no_color && std::io::stdout().is_terminal(),
        };
        Ok(Config {
            inputs: self.files,
            format: match self.format {
                FormatArg::Table => OutputFormat::Table,
                FormatArg::Json => OutputFormat::Json,
                FormatArg::Markdown => OutputFormat::Markdown,
                FormatArg::Html => OutputFormat::Html,
            },
            slow: self.slow,
            stall: self.stall,
            fail_on: self.fail_on.map(|f| match f {
                FailOnArg::Bad => FailOn::Bad,
                FailOnArg::Ok => FailOn::Ok,
            }),
            top: self.top,
            request_span: self.request_span,
            io_span,
            workers: self.workers,
            routes,
            color,
            progress: std::io::stderr().is_terminal(),
            keep_going: self.keep_going,
            page_join: !self.no_page_join,
        })
    }
}
