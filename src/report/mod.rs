//! The report: judgements turned into the report model ([`Report`], what JSON serializes) and
//! its renderers (table, Markdown, JSON). This is the only module that words anything for
//! people; it decides nothing.

pub mod browser;
mod build;
mod markdown;
mod rows;
mod schema;
mod server;
mod table;
pub mod text;

#[cfg(test)]
mod tests;

use crate::analyze::{Pattern, Unit, Verdict, fmt_ms};
use crate::config::{Config, OutputFormat};
use std::io::{self, Write};

pub use rows::Row;
pub use schema::*;

impl Report {
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
                    Verdict::Bad,
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
                                text::plural(g.victims, "other task", "other tasks"),
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
                        verdict: rows::verdict_label(Verdict::Bad).into(),
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
                    Verdict::Unknown,
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
                        verdict: rows::verdict_label(Verdict::Unknown).into(),
                    },
                    None,
                )
            } else if g.kind == "blocking" && g.busy_ms > 0.0 {
                (
                    Pattern::Unknown,
                    Verdict::Unknown,
                    Row {
                        pattern: format!("Blocking task — {} ({} tasks)", g.site, g.tasks),
                        server_threads: "1 thread per task: the blocking pool".into(),
                        blocking_behavior: format!(
                            "Holds a pool thread {} per task; CPU or a blocking call: the recording cannot tell",
                            fmt_ms(((g.busy_ms / g.tasks.max(1) as f64) * 1e6) as i64)
                        ),
                        response_time_impact: "does not block the event loop".into(),
                        verdict: rows::verdict_label(Verdict::Unknown).into(),
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
                unit: Unit::Tasks,
                count: g.tasks,
                requests: None,
                p50_ms: 0.0,
                p95_ms: 0.0,
                max_ms: g.max_poll_ms,
                slow_requests: 0,
                heavy_ms_p50: 0.0,
                wait_ms_p50: 0.0,
                max_poll_ms: Some(g.max_poll_ms),
                stalls: g.long_polls,
                longest_stall_ms: if g.long_polls > 0 { g.max_poll_ms } else { 0.0 },
                victims: build::row_victims(Unit::Tasks, g.victims, g.max_delay_ms),
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
                source: "task-poll",
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
                unit: Unit::Tasks,
                delayed: e.victims as u64,
                max_delay_ms: e.max_delay_ms,
                held_idle: e.held_idle as u64,
                max_held_idle_ms: e.max_held_idle_ms,
            });
        }
        self.victims.delayed_tasks += c.victims as u64;
        self.victims.episodes += c.episodes.len();
        let worst = c
            .episodes
            .iter()
            .map(|e| e.max_delay_ms)
            .fold(0.0, f64::max);
        self.victims.max_delay_ms = self.victims.max_delay_ms.max(worst);
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
    pub fn worst(&self) -> Option<Verdict> {
        self.verdicts
            .iter()
            .map(|v| v.verdict)
            .filter(|l| *l != Verdict::Unknown)
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
