//! From judgements to the report model, one to one: each [`Judgement`] becomes one
//! [`VerdictOut`] through its family's renderer, each stall, episode and note one entry. No
//! decisions are made here.

use super::browser;
use super::rows::Row;
use super::schema::*;
use super::server;
use super::text::to_ms;
use crate::analyze::{Analysis, Detail, Judgement, Stall, Unit};
use crate::config::Config;
use crate::ingest::InputStats;
use crate::model::{ThreadIdx, Trace};

impl Report {
    pub fn new(cfg: &Config) -> Self {
        Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: "stallscope",
                version: env!("CARGO_PKG_VERSION"),
            },
            settings: Settings {
                slow_ms: to_ms(cfg.slow),
                stall_ms: to_ms(cfg.stall_threshold()),
            },
            inputs: Vec::new(),
            verdicts: Vec::new(),
            fast_endpoints: Vec::new(),
            long_spans: Vec::new(),
            stalls: Vec::new(),
            episodes: Vec::new(),
            victims: VictimsOut::default(),
            threads: Vec::new(),
            navigations: Vec::new(),
            network: Vec::new(),
            long_tasks: Vec::new(),
            main_threads: Vec::new(),
            tasks: Vec::new(),
            console_warnings: Vec::new(),
            joins: Vec::new(),
            task_victims: Vec::new(),
            page_loads: Vec::new(),
            page_joins: Vec::new(),
            advice: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Adds one analyzed input.
    pub fn add(&mut self, input: &InputStats, trace: &Trace, a: &Analysis, cfg: &Config) {
        let path = input.path.clone();
        self.inputs.push(InputOut {
            path: path.clone(),
            format: input.format.as_str(),
            gzip: input.gzip,
            events: input.events,
            skipped: input.skipped,
            spans: a.spans,
            requests: a.requests.len(),
            tasks: trace.tasks.totals.iter().map(|g| g.tasks).sum(),
            warnings: input.warnings.clone(),
            server_model: a.server_model.as_ref().map(server::server_model),
        });
        // `--top` limits the server rows; the other families' rows all show.
        let limit = cfg.top.unwrap_or(usize::MAX);
        let server_rows = a.judgements.iter().filter(|j| j.server().is_some());
        let other_rows = a.judgements.iter().filter(|j| j.server().is_none());
        for j in server_rows.take(limit).chain(other_rows) {
            let out = self.verdict_out(&path, j, a, cfg, server::Source::of(input.format, a));
            if let Some(ad) = &out.advice {
                self.advice.push(ad.clone());
            }
            self.verdicts.push(out);
        }
        self.add_browser(&path, &a.browser);
        self.add_runtime(&path, trace, a);
        for f in &a.fast {
            self.fast_endpoints.push(FastOut {
                input: path.clone(),
                endpoint: f.endpoint.clone(),
                requests: f.requests,
                p50_ms: to_ms(f.p50),
                p95_ms: to_ms(f.p95),
            });
        }
        for r in &a.root_spans {
            self.long_spans.push(RootSpansOut {
                input: path.clone(),
                name: r.name.clone(),
                spans: r.spans,
                p50_ms: to_ms(r.p50),
                p95_ms: to_ms(r.p95),
                max_ms: to_ms(r.max),
                slow_spans: r.slow,
                stalls: r.stalls,
                longest_stall_ms: to_ms(r.longest_stall),
            });
        }
        for s in &a.stalls {
            self.stalls.push(stall_out(
                &path,
                s,
                trace,
                server::Source::of(input.format, a),
            ));
        }
        for e in &a.episodes {
            self.episodes.push(episode_out(&path, e));
        }
        self.victims.delayed_requests += a.victims.delayed_requests;
        self.victims.episodes += a.victims.episodes;
        self.victims.max_delay_ms = self.victims.max_delay_ms.max(to_ms(a.victims.max_delay));
        for t in &a.threads {
            if t.executions == 0 && t.role == crate::model::ThreadRole::Unknown {
                continue;
            }
            self.threads.push(ThreadOut {
                input: path.clone(),
                key: t.key.clone(),
                name: t.name.clone(),
                role: t.role,
                polls: t.executions,
                evidence: server::role_evidence(&t.evidence),
            });
        }
        for n in &a.notes {
            let n = server::note_in(n, server::Source::of(input.format, a));
            self.notes.push(if cfg.inputs.len() > 1 {
                format!("{path}: {n}")
            } else {
                n
            });
        }
        // What the input cannot show: work shorter than the format's own logging floor.
        if let Some(floor) = input.logged_from {
            let n = logged_from_note(floor);
            self.notes.push(if cfg.inputs.len() > 1 {
                format!("{path}: {n}")
            } else {
                n
            });
        }
    }

    /// One verdict row, by the family that judged it.
    fn verdict_out(
        &mut self,
        path: &str,
        j: &Judgement,
        a: &Analysis,
        cfg: &Config,
        source: server::Source,
    ) -> VerdictOut {
        match &j.detail {
            Detail::Server(s) => server::verdict_out(path, j, s, a, cfg, source),
            Detail::SlowResponse(s) => browser::slow_response_out(path, j, s),
            Detail::LongTasks(l) => browser::long_tasks_out(path, j, l),
            Detail::Runtime(r) => super::runtime::verdict_out(path, j, r, cfg),
        }
    }
}

/// The note for an input that logs only work over a floor (asyncio's slow-callback warning).
fn logged_from_note(floor: crate::model::Ns) -> String {
    let default = crate::ingest::asyncio::SLOW_CALLBACK_DEFAULT;
    let setting = if floor >= default {
        "0.1 s by default".to_string()
    } else {
        format!(
            "lowered here: it logged one of {}",
            super::text::fmt_duration(floor)
        )
    };
    format!(
        "asyncio logs only callbacks that held the loop for at least its slow_callback_duration ({setting}): shorter stalls are not in this file, so the stalls and counts here are a floor"
    )
}

/// `ThreadId(3)`, or `tokio-runtime-worker ThreadId(3)` when the thread has a name.
fn thread_label(trace: &Trace, t: Option<ThreadIdx>) -> Option<String> {
    t.and_then(|t| trace.threads.get(t.0 as usize))
        .map(|th| match &th.name {
            Some(n) if *n != th.key => format!("{} {}", n, th.key),
            _ => th.key.clone(),
        })
}

pub(super) fn stall_out(path: &str, s: &Stall, trace: &Trace, source: server::Source) -> StallOut {
    StallOut {
        input: path.to_string(),
        thread: thread_label(trace, s.thread),
        start_ms: to_ms(s.start),
        duration_ms: to_ms(s.duration()),
        culprit: s.culprit.clone(),
        source: server::source_name(&s.source),
        delayed_requests: s.delayed,
        inferred: s.inferred(),
        reason: server::stall_reason(&s.source, source),
    }
}

pub(super) fn episode_out(path: &str, e: &crate::analyze::Episode) -> EpisodeOut {
    EpisodeOut {
        input: path.to_string(),
        start_ms: to_ms(e.start),
        duration_ms: to_ms(e.end - e.start),
        stalls: e.stalls,
        max_workers_blocked: e.max_at_once,
        event_loop_threads: e.workers,
        all_workers_blocked_ms: to_ms(e.all_held),
        culprits: e.culprits.clone(),
        unit: e.unit,
        delayed: e.delayed,
        max_delay_ms: to_ms(e.max_delay),
        held_idle: e.held_idle,
        max_held_idle_ms: to_ms(e.max_held_idle),
    }
}

/// What every row says of its judgement, with the family's figures at 0 (or none) for the
/// family's renderer to fill in: `VerdictOut { p50_ms: .., ..verdict_base(path, j, row) }`.
pub(super) fn verdict_base(path: &str, j: &Judgement, row: Row) -> VerdictOut {
    VerdictOut {
        input: path.to_string(),
        endpoint: j.subject.clone(),
        fingerprint: fingerprint(family_name(&j.detail), unit_name(j.unit), &j.subject),
        pattern: j.pattern,
        verdict: j.verdict,
        unit: j.unit,
        count: j.count,
        requests: (j.unit == Unit::Requests).then_some(j.count),
        p50_ms: 0.0,
        p95_ms: 0.0,
        max_ms: 0.0,
        slow_requests: 0,
        heavy_ms_p50: 0.0,
        wait_ms_p50: 0.0,
        max_poll_ms: None,
        stalls: 0,
        longest_stall_ms: 0.0,
        victims: None,
        event_loop_threads: 0,
        blocking_threads: 0,
        impact: None,
        row,
        evidence: Vec::new(),
        advice: None,
        mixed: Vec::new(),
    }
}

/// The unit-aware victims of a row.
pub(super) fn row_victims(unit: Unit, delayed: usize, max_delay_ms: f64) -> Option<RowVictimsOut> {
    Some(RowVictimsOut {
        unit,
        delayed,
        max_delay_ms,
    })
}
