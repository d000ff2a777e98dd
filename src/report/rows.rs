//! The five columns of a verdict row, with measured figures. Table, markdown and JSON share
//! these texts.

use crate::analyze::{Analysis, Level, LocationBy, Pattern, Verdict, fmt_ms};
use crate::config::Config;
use serde::Serialize;

/// One row of the verdict table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub pattern: String,
    pub server_threads: String,
    pub blocking_behavior: String,
    pub response_time_impact: String,
    pub verdict: String,
}

pub const HEADERS: [&str; 5] = [
    "Pattern",
    "Server Threads Used",
    "Blocking Behavior",
    "Response Time Impact",
    "Verdict",
];

impl Row {
    pub fn cells(&self) -> [&str; 5] {
        [
            &self.pattern,
            &self.server_threads,
            &self.blocking_behavior,
            &self.response_time_impact,
            &self.verdict,
        ]
    }
}

pub fn verdict_label(level: Level) -> &'static str {
    match level {
        Level::Bad => "[X] Bad",
        Level::Good => "[OK] Good",
        Level::Ok => "[!] OK",
        Level::Unknown => "[?] Unknown",
    }
}

fn pattern_label(v: &Verdict) -> &'static str {
    match v.pattern {
        Pattern::SyncIo => "Sync handler with slow blocking I/O",
        Pattern::AsyncIo => "Async handler awaiting slow I/O",
        Pattern::AsyncCpu => "Async handler with CPU-heavy task",
        Pattern::SyncCpu => "Sync handler with CPU-heavy task",
        Pattern::AsyncBlockingIo => "Async handler with blocking I/O call",
        Pattern::SlowServerResponse => "Slow server response",
        Pattern::MainThreadLongTasks => "Main-thread long tasks",
        Pattern::Unknown => match v.kind {
            crate::analyze::requests::WorkKind::IoBlocking => "Blocking I/O, thread unknown",
            crate::analyze::requests::WorkKind::Unmeasured => "Handler with unmeasured work",
            _ => "CPU-heavy handler, thread unknown",
        },
    }
}

pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn workers(v: &Verdict) -> String {
    if v.threads_known && v.loop_threads > 0 {
        plural(v.loop_threads, "worker", "workers")
    } else {
        "workers".into()
    }
}

pub fn row(v: &Verdict, a: &Analysis, cfg: &Config) -> Row {
    let n = v.requests.len();
    let pattern = format!("{} — {} ({} req)", pattern_label(v), v.endpoint, n);
    let inferred = match v.location_by {
        LocationBy::Impact => " (inferred from its effect on other requests)",
        LocationBy::ChildWhileIdle => " (request idle while its work ran elsewhere)",
        _ => "",
    };
    let server_threads = match v.pattern {
        Pattern::AsyncIo => match v.max_poll {
            Some(_) => {
                let polls: u32 = v.requests.iter().map(|&r| a.requests[r].polls).sum();
                format!(
                    "Event loop with async tasks: {:.1} polls per request",
                    polls as f64 / n.max(1) as f64
                )
            }
            None => "Event loop with async tasks".into(),
        },
        Pattern::AsyncCpu => format!("Event loop blocked by CPU: {}{inferred}", workers(v)),
        Pattern::AsyncBlockingIo => format!("Event loop blocked by I/O: {}{inferred}", workers(v)),
        Pattern::SyncIo | Pattern::SyncCpu => {
            if v.threads_known && v.blocking_threads > 0 {
                format!(
                    "1 thread per request: {} on the blocking pool",
                    plural(v.blocking_threads, "thread", "threads")
                )
            } else {
                format!("1 thread per request, off the event loop{inferred}")
            }
        }
        Pattern::Unknown if v.kind == crate::analyze::requests::WorkKind::Unmeasured => {
            "Unknown: the trace has no poll or busy times".into()
        }
        Pattern::Unknown => "Unknown: no thread ids, too little concurrency to infer".into(),
        Pattern::SlowServerResponse | Pattern::MainThreadLongTasks => String::new(),
    };
    let blocking_behavior = match v.pattern {
        Pattern::AsyncIo => {
            let mut s = format!(
                "Does not block event loop: awaits {} per request",
                fmt_ms(v.wait_p50)
            );
            if let Some(p) = v.max_poll {
                s.push_str(&format!(", longest poll {}", fmt_ms(p)));
            }
            s
        }
        Pattern::AsyncCpu | Pattern::AsyncBlockingIo if v.stalls > 0 => format!(
            "Blocks event loop: {}, longest {}",
            plural(v.stalls, "stall", "stalls"),
            fmt_ms(v.longest_stall)
        ),
        Pattern::AsyncCpu | Pattern::AsyncBlockingIo => {
            format!("Blocks event loop: {} per request", fmt_ms(v.heavy_p50))
        }
        Pattern::SyncIo => format!(
            "Blocks thread until I/O done: {} per request",
            fmt_ms(v.heavy_p50)
        ),
        Pattern::SyncCpu => format!(
            "Blocks its thread, not the event loop: {} CPU per request",
            fmt_ms(v.heavy_p50)
        ),
        Pattern::Unknown if v.kind == crate::analyze::requests::WorkKind::Unmeasured => {
            "Unknown: only span creation and close were recorded".into()
        }
        Pattern::Unknown => format!("Busy {} per request, thread unknown", fmt_ms(v.heavy_p50)),
        Pattern::SlowServerResponse | Pattern::MainThreadLongTasks => String::new(),
    };
    let mut impact = format!(
        "p50 {}, p95 {}",
        fmt_ms(v.percentile(50.0)),
        fmt_ms(v.percentile(95.0))
    );
    if v.slow > 0 {
        impact.push_str(&format!(
            "; {} ≥ {}",
            plural(v.slow, "req", "req"),
            fmt_ms(cfg.slow)
        ));
    }
    match v.pattern {
        Pattern::AsyncCpu | Pattern::AsyncBlockingIo if v.delayed_others > 0 => {
            impact.push_str(&format!(
                "; delayed {} by up to {}",
                plural(v.delayed_others, "other request", "other requests"),
                fmt_ms(v.max_delay)
            ))
        }
        Pattern::AsyncCpu | Pattern::AsyncBlockingIo => {
            if let Some(i) = v.impact.filter(|i| i.observers > 0 && i.delay_ms > 0.0) {
                impact.push_str(&format!(
                    "; requests started during it took {:+.0} ms on average",
                    i.delay_ms
                ));
            }
        }
        Pattern::AsyncIo if v.victims_here > 0 => impact.push_str(&format!(
            "; {} delayed by stalls",
            plural(v.victims_here, "req", "req")
        )),
        Pattern::SyncCpu | Pattern::SyncIo => {
            if let Some(i) = v.impact.filter(|i| i.observers > 0) {
                impact.push_str(&format!(
                    "; requests started during it: {:+.1} ms on average",
                    i.delay_ms
                ));
            }
        }
        _ => {}
    }
    Row {
        pattern,
        server_threads,
        blocking_behavior,
        response_time_impact: impact,
        verdict: verdict_label(v.level).into(),
    }
}

/// One line of advice for a Bad row.
pub fn advice(v: &Verdict) -> Option<String> {
    let what = v
        .heavy_name
        .as_deref()
        .map_or("the CPU work".to_string(), |h| {
            format!("the CPU work in `{h}`")
        });
    match (v.pattern, v.level) {
        (Pattern::AsyncCpu, _) => Some(format!(
            "{}: move {what} off the event loop (tokio::task::spawn_blocking, or a rayon pool for data-parallel work){}.",
            v.endpoint,
            if v.delayed_others > 0 {
                format!(
                    "; its stalls delayed {}",
                    plural(v.delayed_others, "other request", "other requests")
                )
            } else {
                String::new()
            }
        )),
        (Pattern::SyncIo, _) => Some(format!(
            "{}: await an async client instead of a blocking call: each request holds a pool thread for {} while it waits.",
            v.endpoint,
            fmt_ms(v.heavy_p50)
        )),
        (Pattern::AsyncBlockingIo, _) => Some(format!(
            "{}: the blocking I/O call runs on the event loop: await an async client instead of a blocking one (or wrap it in spawn_blocking).",
            v.endpoint
        )),
        (Pattern::Unknown, Level::Bad) => Some(format!(
            "{}: a blocking I/O call holds a thread for {} per request: await an async client instead.",
            v.endpoint,
            fmt_ms(v.heavy_p50)
        )),
        _ => None,
    }
}
