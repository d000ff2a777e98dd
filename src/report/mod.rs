//! The report model (what JSON serializes) and the renderers. This is the only module that
//! formats text for people.

pub mod browser;
mod markdown;
mod rows;
mod table;

use crate::analyze::{Analysis, Level, Pattern, fmt_ms, ms};
use crate::config::{Config, OutputFormat};
use crate::ingest::InputReport;
use serde::Serialize;
use std::io::{self, Write};

pub use rows::Row;

/// Bumped on any incompatible change to the JSON output.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub settings: Settings,
    pub inputs: Vec<InputOut>,
    pub verdicts: Vec<VerdictOut>,
    pub fast_endpoints: Vec<FastOut>,
    pub stalls: Vec<StallOut>,
    pub episodes: Vec<EpisodeOut>,
    pub collateral: CollateralOut,
    pub threads: Vec<ThreadOut>,
    /// Browser traces: main-frame navigations with LCP and its subparts.
    pub navigations: Vec<browser::NavigationOut>,
    /// Browser traces: requests the browser made, with DevTools' server-response wait.
    pub network: Vec<browser::NetworkOut>,
    /// Browser traces: tasks over 50 ms on renderer main threads.
    pub long_tasks: Vec<browser::LongTaskOut>,
    /// Browser traces: per renderer main thread, DevTools' long-task figures.
    pub main_threads: Vec<browser::MainThreadOut>,
    /// tokio-console recordings: tasks grouped by spawn location (or task name / closure).
    pub tasks: Vec<crate::analyze::console::TaskGroup>,
    /// tokio-console's own warnings, reproduced offline.
    pub console_warnings: Vec<crate::analyze::console::ConsoleWarning>,
    /// tokio-console recordings joined to logs of the same run.
    pub joins: Vec<crate::model::JoinSummary>,
    /// tokio-console recordings: the tasks their stalls delayed or held idle.
    pub task_victims: Vec<TaskVictimsOut>,
    pub advice: Vec<String>,
    pub notes: Vec<String>,
}

/// Where a recording's row got its endpoint from.
#[derive(Debug, Clone)]
pub struct JoinedRow {
    pub logs: Vec<String>,
    /// Blocking tasks (else async tasks without long polls).
    pub blocking: bool,
}

/// The victims of one recording's stalls.
#[derive(Debug, Clone, Serialize)]
pub struct TaskVictimsOut {
    pub input: String,
    #[serde(flatten)]
    pub victims: crate::analyze::console::Victims,
}

#[derive(Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Settings {
    pub slow_ms: f64,
    pub stall_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct InputOut {
    pub path: String,
    pub format: &'static str,
    pub gzip: bool,
    pub events: u64,
    pub skipped: u64,
    pub spans: usize,
    pub requests: usize,
    /// Runtime tasks (tokio-console recordings and captures).
    pub tasks: u64,
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct VerdictOut {
    pub input: String,
    pub endpoint: String,
    pub pattern: Pattern,
    pub verdict: Level,
    pub requests: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    /// Requests at or over `--slow`.
    pub slow_requests: usize,
    /// Median per request of the heavy work (CPU, or the blocking I/O call).
    pub heavy_ms_p50: f64,
    /// Median per request of time spent awaiting.
    pub wait_ms_p50: f64,
    pub max_poll_ms: Option<f64>,
    pub stalls: usize,
    pub longest_stall_ms: f64,
    /// Other requests this endpoint's stalls delayed, and by how much at most.
    pub delayed_requests: usize,
    pub max_delay_ms: f64,
    pub event_loop_threads: usize,
    pub blocking_threads: usize,
    pub impact: Option<crate::analyze::Impact>,
    pub row: Row,
    pub evidence: Vec<String>,
    pub advice: Option<String>,
    /// A recording's row whose endpoint was joined from logs of the same run.
    #[serde(skip)]
    pub joined: Option<JoinedRow>,
}

#[derive(Debug, Serialize)]
pub struct FastOut {
    pub input: String,
    pub endpoint: String,
    pub requests: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct StallOut {
    pub input: String,
    pub thread: Option<String>,
    pub start_ms: f64,
    pub duration_ms: f64,
    pub culprit: String,
    pub delayed_requests: u64,
    pub inferred: bool,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct EpisodeOut {
    pub input: String,
    pub start_ms: f64,
    pub duration_ms: f64,
    pub stalls: usize,
    pub max_workers_blocked: usize,
    pub event_loop_threads: usize,
    pub all_workers_blocked_ms: f64,
    pub culprits: Vec<String>,
    pub delayed_requests: u64,
    pub max_delay_ms: f64,
    /// What the victims are: requests, or runtime tasks (console recordings).
    #[serde(skip)]
    pub unit: &'static str,
}

#[derive(Debug, Serialize, Default)]
pub struct CollateralOut {
    /// Distinct requests delayed by stall episodes.
    pub delayed_requests: u64,
    pub episodes: usize,
    pub max_delay_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct ThreadOut {
    pub input: String,
    pub key: String,
    pub name: Option<String>,
    pub role: crate::model::ThreadRole,
    pub polls: u64,
    pub evidence: String,
}

impl Report {
    pub fn new(cfg: &Config) -> Self {
        Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: "stallscope",
                version: env!("CARGO_PKG_VERSION"),
            },
            settings: Settings {
                slow_ms: ms(cfg.slow),
                stall_ms: ms(cfg.stall_threshold()),
            },
            inputs: Vec::new(),
            verdicts: Vec::new(),
            fast_endpoints: Vec::new(),
            stalls: Vec::new(),
            episodes: Vec::new(),
            collateral: CollateralOut::default(),
            threads: Vec::new(),
            navigations: Vec::new(),
            network: Vec::new(),
            long_tasks: Vec::new(),
            main_threads: Vec::new(),
            tasks: Vec::new(),
            console_warnings: Vec::new(),
            joins: Vec::new(),
            task_victims: Vec::new(),
            advice: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Adds one analyzed input.
    pub fn add(
        &mut self,
        input: &InputReport,
        trace: &crate::model::Trace,
        a: &Analysis,
        cfg: &Config,
    ) {
        let path = input.path.clone();
        self.inputs.push(InputOut {
            path: path.clone(),
            format: input.format.as_str(),
            gzip: input.gzip,
            events: input.events,
            skipped: input.skipped,
            spans: trace.spans.len(),
            requests: a.requests.len(),
            tasks: trace.tasks.totals.iter().map(|g| g.tasks).sum(),
            warnings: input.warnings.clone(),
        });
        let thread_label = |t: Option<crate::model::ThreadIdx>| {
            t.and_then(|t| trace.threads.get(t.0 as usize))
                .map(|th| match &th.name {
                    Some(n) if *n != th.key => format!("{} {}", n, th.key),
                    _ => th.key.clone(),
                })
        };
        let limit = cfg.top.unwrap_or(usize::MAX);
        for v in a.verdicts.iter().take(limit) {
            let row = rows::row(v, a, cfg);
            let advice = rows::advice(v);
            if let Some(ad) = &advice {
                self.advice.push(ad.clone());
            }
            self.verdicts.push(VerdictOut {
                input: path.clone(),
                endpoint: v.endpoint.clone(),
                pattern: v.pattern,
                verdict: v.level,
                requests: v.requests.len(),
                p50_ms: ms(v.percentile(50.0)),
                p95_ms: ms(v.percentile(95.0)),
                max_ms: ms(v.durations.last().copied().unwrap_or(0)),
                slow_requests: v.slow,
                heavy_ms_p50: ms(v.heavy_p50),
                wait_ms_p50: ms(v.wait_p50),
                max_poll_ms: v.max_poll.map(ms),
                stalls: v.stalls,
                longest_stall_ms: ms(v.longest_stall),
                delayed_requests: v.delayed_others,
                max_delay_ms: ms(v.max_delay),
                event_loop_threads: v.loop_threads,
                blocking_threads: v.blocking_threads,
                impact: v.impact,
                row,
                evidence: v.evidence.clone(),
                advice,
                joined: None,
            });
        }
        self.add_browser(&path, &a.browser);
        self.add_console(&path, &a.console, a.stall_threshold);
        for f in &a.fast {
            self.fast_endpoints.push(FastOut {
                input: path.clone(),
                endpoint: f.endpoint.clone(),
                requests: f.requests,
                p50_ms: f.p50_ms,
                p95_ms: f.p95_ms,
            });
        }
        for s in &a.stalls {
            self.stalls.push(StallOut {
                input: path.clone(),
                thread: thread_label(s.thread),
                start_ms: ms(s.start),
                duration_ms: ms(s.duration()),
                culprit: s.culprit.clone(),
                delayed_requests: s.delayed_requests,
                inferred: s.inferred,
                reason: s.reason.clone(),
            });
        }
        for e in &a.episodes {
            self.episodes.push(EpisodeOut {
                input: path.clone(),
                start_ms: ms(e.start),
                duration_ms: ms(e.end - e.start),
                stalls: e.stalls,
                max_workers_blocked: e.max_blocked,
                event_loop_threads: e.workers,
                all_workers_blocked_ms: ms(e.all_blocked),
                culprits: e.culprits.clone(),
                delayed_requests: e.victims,
                max_delay_ms: ms(e.max_delay),
                unit: "requests",
            });
        }
        self.collateral.delayed_requests += a.collateral.delayed_requests;
        self.collateral.episodes += a.collateral.episodes;
        self.collateral.max_delay_ms = self.collateral.max_delay_ms.max(ms(a.collateral.max_delay));
        for t in &a.threads {
            if t.activations == 0 && t.role == crate::model::ThreadRole::Unknown {
                continue;
            }
            self.threads.push(ThreadOut {
                input: path.clone(),
                key: t.key.clone(),
                name: t.name.clone(),
                role: t.role,
                polls: t.activations,
                evidence: t.evidence.clone(),
            });
        }
        for n in &a.notes {
            self.notes.push(if cfg.inputs.len() > 1 {
                format!("{path}: {n}")
            } else {
                n.clone()
            });
        }
    }

    fn add_console(
        &mut self,
        path: &str,
        c: &crate::analyze::console::ConsoleFindings,
        threshold: crate::model::Ns,
    ) {
        if c.is_empty() {
            return;
        }
        for g in &c.groups {
            let (pattern, level, row, advice) = if g.long_polls > 0 {
                let seen = c
                    .episodes
                    .iter()
                    .map(|e| e.workers_blocked)
                    .max()
                    .unwrap_or(1);
                let workers = if c.workers > 0 {
                    seen.min(c.workers)
                } else {
                    seen
                };
                let advice = format!(
                    "{}: its polls run {} without yielding on the event loop; move the CPU work to spawn_blocking or a rayon pool.",
                    g.site,
                    fmt_ms((g.max_poll_ms * 1e6) as i64)
                );
                (
                    Pattern::AsyncCpu,
                    Level::Bad,
                    Row {
                        pattern: format!(
                            "Async task with CPU-heavy polls — {} ({} tasks)",
                            g.site, g.tasks
                        ),
                        server_threads: format!(
                            "Event loop blocked: up to {workers} workers at once (inferred from overlapping polls: recordings have no thread ids)"
                        ),
                        blocking_behavior: format!(
                            "Blocks event loop: {} polls ≥ {}, longest {}",
                            g.long_polls,
                            fmt_ms(threshold),
                            fmt_ms((g.max_poll_ms * 1e6) as i64)
                        ),
                        response_time_impact: if g.victims > 0 {
                            let sites: Vec<String> = g
                                .victim_sites
                                .iter()
                                .take(3)
                                .map(|(s, n)| format!("{n} {s}"))
                                .collect();
                            format!(
                                "delayed {} ({}{}) by up to {} (woken, then waited for a worker)",
                                rows::plural(g.victims, "other task", "other tasks"),
                                sites.join(", "),
                                if g.victim_sites.len() > 3 {
                                    ", ..."
                                } else {
                                    ""
                                },
                                fmt_ms((g.max_delay_ms * 1e6) as i64)
                            )
                        } else {
                            "no other task was seen waiting for a worker".into()
                        },
                        verdict: rows::verdict_label(Level::Bad).into(),
                    },
                    Some(advice),
                )
            } else if g.joined_endpoint
                && g.kind != "blocking"
                && g.polls > 0
                // The tasks that only await an endpoint's blocking tasks: that row judges it.
                && !c
                    .groups
                    .iter()
                    .any(|o| o.site == g.site && o.kind == "blocking")
            {
                let life = g.busy_ms + g.scheduled_ms + g.idle_ms;
                let mut hit = Vec::new();
                if g.delayed_here > 0 {
                    hit.push(format!(
                        "{} waited for a worker behind other tasks' long polls, up to {}",
                        g.delayed_here,
                        fmt_ms((g.max_delay_here_ms * 1e6) as i64)
                    ));
                }
                if g.held_idle_here > 0 {
                    hit.push(format!(
                        "{} held idle while every worker was blocked, up to {}",
                        g.held_idle_here,
                        fmt_ms((g.max_held_idle_here_ms * 1e6) as i64)
                    ));
                }
                (
                    Pattern::Unknown,
                    Level::Unknown,
                    Row {
                        pattern: format!(
                            "Async tasks, short polls — {} ({} tasks)",
                            g.site, g.tasks
                        ),
                        server_threads: "Event loop with async tasks".into(),
                        blocking_behavior: format!(
                            "Does not block event loop: longest poll {}, {:.0} µs on average; idle {:.0}% of their life",
                            fmt_ms((g.max_poll_ms * 1e6) as i64),
                            g.mean_poll_us,
                            if life > 0.0 {
                                100.0 * g.idle_ms / life
                            } else {
                                0.0
                            }
                        ),
                        response_time_impact: if hit.is_empty() {
                            "none waited behind a long poll".into()
                        } else {
                            hit.join("; ")
                        },
                        verdict: rows::verdict_label(Level::Unknown).into(),
                    },
                    None,
                )
            } else if g.kind == "blocking" && g.busy_ms > 0.0 {
                (
                    Pattern::Unknown,
                    Level::Unknown,
                    Row {
                        pattern: format!("Blocking task — {} ({} tasks)", g.site, g.tasks),
                        server_threads: "1 thread per task: the blocking pool".into(),
                        blocking_behavior: format!(
                            "Holds a pool thread {} per task; CPU or a blocking call: the recording cannot tell",
                            fmt_ms(((g.busy_ms / g.tasks.max(1) as f64) * 1e6) as i64)
                        ),
                        response_time_impact: "does not block the event loop".into(),
                        verdict: rows::verdict_label(Level::Unknown).into(),
                    },
                    None,
                )
            } else {
                continue;
            };
            if let Some(a) = &advice {
                self.advice.push(a.clone());
            }
            self.verdicts.push(VerdictOut {
                input: path.to_string(),
                endpoint: g.site.clone(),
                pattern,
                verdict: level,
                requests: g.tasks,
                p50_ms: 0.0,
                p95_ms: 0.0,
                max_ms: g.max_poll_ms,
                slow_requests: 0,
                heavy_ms_p50: 0.0,
                wait_ms_p50: 0.0,
                max_poll_ms: Some(g.max_poll_ms),
                stalls: g.long_polls,
                longest_stall_ms: if g.long_polls > 0 { g.max_poll_ms } else { 0.0 },
                delayed_requests: g.victims,
                max_delay_ms: g.max_delay_ms,
                event_loop_threads: 0,
                blocking_threads: 0,
                impact: None,
                row,
                evidence: {
                    let mut ev = vec![format!(
                        "{} tasks, {} polls, busy {:.1} ms, scheduled {:.1} ms in all (tokio-console's figures, from the recording)",
                        g.tasks, g.polls, g.busy_ms, g.scheduled_ms
                    )];
                    if let (true, Some(j)) = (g.joined_endpoint, &c.join) {
                        ev.push(format!(
                            "the endpoint is joined from {} by time: these tasks' polls held its requests' executions (names are not compared)",
                            j.logs.join(", ")
                        ));
                    }
                    ev
                },
                advice,
                joined: match (&c.join, g.joined_endpoint) {
                    (Some(j), true) => Some(JoinedRow {
                        logs: j.logs.clone(),
                        blocking: g.kind == "blocking",
                    }),
                    _ => None,
                },
            });
        }
        for s in &c.stalls {
            self.stalls.push(StallOut {
                input: path.to_string(),
                thread: None,
                start_ms: s.start_ms,
                duration_ms: s.duration_ms,
                culprit: s.site.clone(),
                delayed_requests: 0,
                inferred: false,
                reason: Some(
                    "a measured poll; the recording has no thread ids, so which worker is unknown"
                        .into(),
                ),
            });
        }
        for e in &c.episodes {
            let mut culprits: Vec<String> = c
                .stalls
                .iter()
                .filter(|s| {
                    s.start_ms < e.start_ms + e.duration_ms
                        && s.start_ms + s.duration_ms > e.start_ms
                })
                .map(|s| s.site.clone())
                .collect();
            culprits.sort();
            culprits.dedup();
            self.episodes.push(EpisodeOut {
                input: path.to_string(),
                start_ms: e.start_ms,
                duration_ms: e.duration_ms,
                stalls: e.long_polls,
                max_workers_blocked: e.workers_blocked,
                event_loop_threads: c.workers,
                all_workers_blocked_ms: e.all_workers_blocked_ms.unwrap_or(0.0),
                culprits,
                delayed_requests: e.victims as u64,
                max_delay_ms: e.max_delay_ms,
                unit: "tasks",
            });
        }
        self.collateral.delayed_requests += c.victims as u64;
        self.collateral.episodes += c.episodes.len();
        let worst = c
            .episodes
            .iter()
            .map(|e| e.max_delay_ms)
            .fold(0.0, f64::max);
        self.collateral.max_delay_ms = self.collateral.max_delay_ms.max(worst);
        self.tasks.extend(c.groups.iter().cloned());
        self.joins.extend(c.join.iter().cloned());
        self.task_victims.push(TaskVictimsOut {
            input: path.to_string(),
            victims: c.victim_summary,
        });
        self.console_warnings.extend(c.warnings.iter().cloned());
        if !c.warnings.is_empty() {
            let mut lints: Vec<&str> = c.warnings.iter().map(|w| w.lint).collect();
            lints.sort_unstable();
            lints.dedup();
            let tasks: usize = c.warnings.iter().map(|w| w.tasks).sum();
            self.notes.push(format!(
                "{path}: tokio-console would warn: {} ({tasks} tasks; see console_warnings in --format json)",
                lints.join(", ")
            ));
        }
        for n in &c.notes {
            self.notes.push(format!("{path}: {n}"));
        }
    }

    /// Settles the blocking-task rows of recordings joined to logs of the same run: a
    /// recording cannot tell a blocking call from CPU work, but the log's verdict on the same
    /// endpoint, made off the event loop too, can. Call once every input is added.
    pub fn settle_joined(&mut self) {
        for i in 0..self.verdicts.len() {
            let v = &self.verdicts[i];
            let Some(joined) = v.joined.as_ref().filter(|_| v.pattern == Pattern::Unknown) else {
                continue;
            };
            // Only a verdict that fits what the recording saw: work off the event loop for
            // blocking tasks, nothing long on it for async tasks without long polls.
            let fits = |p: Pattern| {
                if joined.blocking {
                    matches!(p, Pattern::SyncIo | Pattern::SyncCpu)
                } else {
                    p == Pattern::AsyncIo
                }
            };
            let Some(log) = self.verdicts.iter().find(|l| {
                joined.logs.contains(&l.input) && l.endpoint == v.endpoint && fits(l.pattern)
            }) else {
                continue;
            };
            let (pattern, level, input) = (log.pattern, log.verdict, log.input.clone());
            let said = log.row.blocking_behavior.clone();
            let why = log.evidence.first().cloned().unwrap_or_default();
            let v = &mut self.verdicts[i];
            v.pattern = pattern;
            v.verdict = level;
            let mut said = said.chars();
            let said: String = said
                .next()
                .map(|c| c.to_lowercase().chain(said).collect())
                .unwrap_or_default();
            v.row.blocking_behavior = v.row.blocking_behavior.replace(
                "CPU or a blocking call: the recording cannot tell",
                &format!("per the log: {said}"),
            );
            v.row.verdict = rows::verdict_label(level).into();
            v.evidence.push(format!(
                "what the work is comes from {input}, a log of the same run: {} ({why})",
                pattern.as_str()
            ));
        }
    }

    /// The most severe verdict level present.
    pub fn worst(&self) -> Option<Level> {
        self.verdicts
            .iter()
            .map(|v| v.verdict)
            .filter(|l| *l != Level::Unknown)
            .min()
    }

    pub fn render(&self, cfg: &Config, out: &mut dyn Write) -> io::Result<()> {
        match cfg.format {
            OutputFormat::Json => {
                serde_json::to_writer_pretty(&mut *out, self)?;
                writeln!(out)
            }
            OutputFormat::Table => table::render(self, cfg, out),
            OutputFormat::Markdown => markdown::render(self, out),
        }
    }
}

/// The episode summary line shared by the table and markdown renderers.
pub(crate) fn episode_line(e: &EpisodeOut) -> String {
    let blocked = match (e.event_loop_threads, e.max_workers_blocked) {
        (w, m) if w > 0 && m >= w && e.all_workers_blocked_ms > 0.0 => format!(
            "{} blocked for {}",
            if w == 2 {
                "both workers".to_string()
            } else {
                format!("all {w} workers")
            },
            fmt_ms((e.all_workers_blocked_ms * 1e6) as i64)
        ),
        (w, m) if w > 0 => format!("{m} of {w} workers blocked at once"),
        (_, 1) => "one poll stalled at a time".to_string(),
        (_, m) => format!("up to {m} polls stalled at once"),
    };
    let victims = if e.delayed_requests > 0 {
        format!(
            "; delayed {} by up to {}",
            rows::plural(
                e.delayed_requests as usize,
                &format!("other {}", e.unit.trim_end_matches('s')),
                &format!("other {}", e.unit)
            ),
            fmt_ms((e.max_delay_ms * 1e6) as i64)
        )
    } else {
        String::new()
    };
    format!(
        "at {} for {}: {} by {}; {}{}",
        fmt_ms((e.start_ms * 1e6) as i64),
        fmt_ms((e.duration_ms * 1e6) as i64),
        if e.stalls == 1 {
            "1 stall".to_string()
        } else {
            format!("{} stalls", e.stalls)
        },
        e.culprits.join(", "),
        blocked,
        victims
    )
}
