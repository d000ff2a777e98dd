//! The server family's rows: request-span judgements worded as table cells, evidence, advice
//! and notes.

use super::build::{row_victims, verdict_base};
use super::rows::{Row, verdict_label};
use super::schema::{MixedOut, ServerModelOut, VerdictOut};
use super::text::{fmt_duration as fmt_ms, plural, to_ms};
use crate::analyze::lifecycle::HeldBy;
use crate::analyze::requests::{IoShape, Placement, RequestWork};
use crate::analyze::route::RouteOrigin;
use crate::analyze::server_model::{Model, ModelEvidence, ServerModel};
use crate::analyze::threads::RoleEvidence;
use crate::analyze::timing::{TimingEvidence, TimingPlace};
use crate::analyze::{
    Analysis, Inferred, Judgement, LocationBy, Note, Pattern, Recorded, ServerEvidence,
    ServerJudgement, StallSource, Unit, Verdict, WorkersFrom,
};
use crate::config::Config;
use crate::model::ThreadRole;

/// What recorded an input, for advice on what else to record (issue 11: never ask for what the
/// file already has, nor for options of another tool). Wording only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// tracing-subscriber logs (JSON or text), and anything not listed below.
    Tracing,
    /// Chrome trace events: tracing-chrome, DevTools.
    Chrome,
    /// OpenTelemetry spans: OTLP/JSON, Jaeger, Zipkin. `threads`: they carry `thread.id`.
    Spans { threads: bool },
    /// viztracer (Chrome trace events of Python calls).
    Viztracer,
    /// Python asyncio's debug log.
    AsyncioLog,
}

impl Source {
    /// The source of an input of `format`, analyzed as `a`.
    pub fn of(format: crate::ingest::Format, a: &Analysis) -> Source {
        use crate::ingest::Format;
        match format {
            Format::OtlpJson | Format::JaegerJson | Format::ZipkinJson => Source::Spans {
                threads: !a.threads.is_empty(),
            },
            Format::AsyncioDebug => Source::AsyncioLog,
            Format::ChromeTrace
                if a.threads
                    .iter()
                    .any(|t| matches!(t.evidence, RoleEvidence::RunsLoopCallbacks { .. })) =>
            {
                Source::Viztracer
            }
            Format::ChromeTrace => Source::Chrome,
            _ => Source::Tracing,
        }
    }
}

/// The JSON row (with its table cells) of a server judgement.
pub(super) fn verdict_out(
    path: &str,
    j: &Judgement,
    v: &ServerJudgement,
    a: &Analysis,
    cfg: &Config,
    source: Source,
) -> VerdictOut {
    // Issue 11: the server model and framework the input shows, for this row's wording.
    let model = a.server_model.as_ref();
    let own_loop = model.and_then(|m| m.own_loop.iter().find(|e| *e.0 == j.subject));
    let django = model.is_some_and(|m| m.django);
    let wsgi = model.is_some_and(|m| m.model == Model::Wsgi);
    let mut row = row(j, v, cfg);
    let mut evidence: Vec<String> = v.evidence.iter().map(|e| evidence_in(e, source)).collect();
    if let Some((_, n)) = own_loop {
        row.pattern = format!("Async view under WSGI: {}", row.pattern);
        row.blocking_behavior.push_str(
            "; an event loop of its own per request: holds a pool thread for the whole request, like a sync view, and cannot stall other requests",
        );
        evidence.push(format!(
            "async view under WSGI: the work of {} ran in an event loop of its own, on a thread of its own, while the pool thread that opened the request waited: it holds a pool thread for the whole request, like a sync view, cannot stall other requests, and gains nothing over a sync view",
            plural(*n, "request", "requests")
        ));
    }
    let advice = match own_loop {
        Some(_) if j.verdict == Verdict::Bad => Some(format!(
            "{}: async view under WSGI: holds a pool thread for the whole request, like a sync view; serve it with an ASGI server (uvicorn, daphne) to benefit.",
            j.subject
        )),
        _ if django => django_advice(j, v, wsgi, source),
        _ => advice(j, v, source),
    };
    VerdictOut {
        p50_ms: to_ms(v.percentile(50.0)),
        p95_ms: to_ms(v.percentile(95.0)),
        max_ms: to_ms(v.durations.last().copied().unwrap_or(0)),
        slow_requests: v.slow,
        heavy_ms_p50: to_ms(v.heavy_p50),
        wait_ms_p50: to_ms(v.wait_p50),
        max_poll_ms: v.max_poll.map(to_ms),
        stalls: v.stalls,
        longest_stall_ms: to_ms(v.longest_stall),
        victims: row_victims(Unit::Requests, v.delays_caused, to_ms(v.max_delay)),
        event_loop_threads: v.loop_threads,
        blocking_threads: v.blocking_threads,
        impact: v.impact,
        evidence,
        advice,
        mixed: v
            .mixed
            .iter()
            .map(|o| MixedOut {
                pattern: o.pattern,
                verdict: o.verdict,
                requests: o.requests,
                heavy_ms_p50: to_ms(o.heavy_p50),
                wait_ms_p50: to_ms(o.wait_p50),
                stalls: o.stalls,
            })
            .collect(),
        ..verdict_base(path, j, row)
    }
}

/// One piece of server evidence in words (for a tracing log).
pub(super) fn evidence(e: &ServerEvidence) -> String {
    evidence_in(e, Source::Tracing)
}

/// One piece of server evidence in words, for an input recorded by `source`.
pub(super) fn evidence_in(e: &ServerEvidence, source: Source) -> String {
    match e {
        ServerEvidence::IoCall(ev) => format!("I/O call: {}", io_shape(ev)),
        ServerEvidence::Awaits { idle, busy } => format!(
            "awaits (idle) {} per request, busy {} (medians)",
            fmt_ms(*idle),
            fmt_ms(*busy)
        ),
        ServerEvidence::BlockingIo { busy, idle } => format!(
            "the I/O call is busy (blocking) {} per request, idle {} (medians): busy is wall time, so the call held its thread",
            fmt_ms(*busy),
            fmt_ms(*idle)
        ),
        ServerEvidence::Cpu { busy, within } => format!(
            "busy outside I/O calls {} per request (median){}",
            fmt_ms(*busy),
            within
                .as_deref()
                .map(|h| format!(", in {h}"))
                .unwrap_or_default()
        ),
        ServerEvidence::Unmeasured => unmeasured(source),
        ServerEvidence::LongestPoll(p) => {
            format!("longest poll {}: it yields while it waits", fmt_ms(*p))
        }
        ServerEvidence::RanOffLoop {
            requests,
            of,
            example,
        } => format!(
            "ran off the event loop in {requests} of {of} requests: e.g. {}",
            placement(example)
        ),
        ServerEvidence::RanOnLoop {
            requests,
            of,
            example,
        } => format!(
            "ran on the event loop in {requests} of {of} requests: e.g. {}",
            placement(example)
        ),
        ServerEvidence::Impact { impact: i, poll } => format!(
            "{} lighter requests started while its work ran and took {:+.1} ms on average vs the median of their endpoint's requests started outside it: stretch {:.2} of a {} poll (±2 SE: {:.2}..{:.2})",
            i.observers,
            i.delay_ms,
            i.stretch,
            fmt_ms(*poll),
            i.stretch_low,
            i.stretch_high
        ),
        ServerEvidence::Unsettled {
            observers,
            enough_observers,
            stretch,
            recorded,
        } => format!(
            "where the work ran is not settled: {}; {}",
            if *enough_observers {
                format!("its effect on concurrent requests (stretch {stretch:.2}) is in between")
            } else {
                format!(
                    "only {observers} lighter requests started while it ran, too few to measure its effect on others"
                )
            },
            settle_with(*recorded, source)
        ),
        ServerEvidence::DelaysSuffered(n) => format!(
            "{n} of its requests were in flight during event-loop stalls and took longer than its healthy median"
        ),
        ServerEvidence::Stalls {
            count,
            threshold,
            inferred,
            longest,
        } => format!(
            "{} ≥ {} on event-loop threads{}, longest {}",
            plural(*count, "poll", "polls"),
            fmt_ms(*threshold),
            if *inferred > 0 {
                format!(" ({inferred} inferred)")
            } else {
                String::new()
            },
            fmt_ms(*longest)
        ),
        ServerEvidence::AlsoBehaved(o) => {
            let what = match o.kind {
                RequestWork::IoWait => format!("mostly awaited I/O, ~{} each", fmt_ms(o.wait_p50)),
                RequestWork::Cpu => format!("ran ~{} of CPU each", fmt_ms(o.heavy_p50)),
                RequestWork::IoBlocking => {
                    format!("made a blocking I/O call of ~{} each", fmt_ms(o.heavy_p50))
                }
                RequestWork::Light => "did little work".into(),
                RequestWork::Unmeasured => "have no busy or idle time".into(),
            };
            let stalls = if o.stalls > 0 {
                format!(", {}", plural(o.stalls, "stall", "stalls"))
            } else {
                String::new()
            };
            format!(
                "{} of {} requests {what}{stalls} (alone: {}, {})",
                o.requests,
                o.of,
                o.pattern.as_str(),
                verdict_label(o.verdict)
            )
        }
        ServerEvidence::MoreAtOnceThanWorkers {
            at_once,
            workers,
            from,
        } => format!(
            "up to {at_once} of its heavy sections held a thread at once, more than the {} ({}): they cannot all have run on the loop",
            plural(*workers, "event-loop worker", "event-loop workers"),
            match from {
                WorkersFrom::Threads => "threads seen interleaving requests",
                WorkersFrom::Option => "--workers",
            }
        ),
        ServerEvidence::DelaysCaused { count, max } => format!(
            "{count} other requests in flight during its stalls took longer than their endpoint's healthy median, by up to {}",
            fmt_ms(*max)
        ),
        ServerEvidence::Route(o) => route_origin(o),
        ServerEvidence::Timing(t) => timing_evidence(t),
    }
}

/// What timing alone showed for an endpoint, in words (issue 11: "say so, and how sure").
fn timing_evidence(t: &TimingEvidence) -> String {
    let how = if t.sure() { "sure" } else { "likely" };
    let alone = "judged from timing alone: the spans record no thread, poll or busy time";
    match *t {
        TimingEvidence::Serialized {
            sections,
            request_pairs,
            in_flight,
            quiet,
        } => format!(
            "{alone} ({how}): its {} never overlapped one another although {} of its requests were in progress at once, so one thread ran them in turn: the shared event loop; during them other requests were in flight {in_flight} times and {quiet} of those started or ended no span (waiting for the loop), the rest progressed on threads of their own",
            plural(sections, "work section", "work sections"),
            plural(request_pairs as usize, "pair", "pairs")
        ),
        TimingEvidence::AtOnce { sections, pairs } => format!(
            "{alone} ({how}): {} of its {} (of different requests) overlapped: they ran at once, on threads of their own, not on one event loop",
            plural(pairs as usize, "pair", "pairs"),
            plural(sections, "work section", "work sections")
        ),
        TimingEvidence::WorkUnsettled {
            sections,
            request_pairs,
        } => {
            if sections == 0 {
                format!(
                    "{alone}: none of its work spans lasted the stall threshold, so where they ran is not settled"
                )
            } else {
                format!(
                    "{alone}: its {} never overlapped, but only {} of its requests were in progress at once: too few to tell one loop from threads",
                    plural(sections, "work section", "work sections"),
                    plural(request_pairs as usize, "pair", "pairs")
                )
            }
        }
        TimingEvidence::Awaited { calls, crossing } => format!(
            "{alone} ({how}): {crossing} of its {} crossed a stall of the shared loop and none started or ended during one: each ended only once the loop was free, so they were awaited on the loop",
            plural(calls, "I/O call", "I/O calls")
        ),
        TimingEvidence::ProgressedDuringStalls {
            calls,
            crossing,
            inside,
        } => format!(
            "{alone} ({how}): its {} started or ended {inside} times while the shared loop was stalled ({crossing} crossed a stall): they progressed while the loop was held, so a thread of their own waited in them (a blocking call)",
            plural(calls, "I/O call", "I/O calls")
        ),
        TimingEvidence::IoInTurn {
            calls,
            request_pairs,
        } => format!(
            "{alone} ({how}): its {} never overlapped one another although {} of its requests were in progress at once: a blocking call, run in turn on the shared loop",
            plural(calls, "I/O call", "I/O calls"),
            plural(request_pairs as usize, "pair", "pairs")
        ),
        TimingEvidence::IoUnsettled {
            calls,
            loop_sections,
            crossing,
            inside,
            io_share,
            ..
        } => format!(
            "{alone}: its {} cover {io_share} % of a request (median); whether they held a thread is not settled: {}",
            plural(calls, "I/O call", "I/O calls"),
            if loop_sections == 0 {
                "no work was seen to stall a shared loop, so there is nothing to test them against"
                    .to_string()
            } else {
                format!(
                    "only {crossing} crossed one of the loop's {} and {inside} of their starts and ends fell inside one",
                    plural(loop_sections, "stall", "stalls")
                )
            }
        ),
    }
}

/// Where a route that is no template field came from, in words.
fn route_origin(o: &RouteOrigin) -> String {
    match o {
        RouteOrigin::Derived { field } => format!(
            "route derived from {field}: the requests record no route template (http.route, route, matched_path), so ids in their paths (numbers, UUIDs, long hex, random tokens) count as {{id}}; state routes with --route REGEX=TEMPLATE"
        ),
        RouteOrigin::Rule { regex } => format!("route from --route {regex}"),
    }
}

/// The short form of a route's origin for the table's pattern cell.
fn route_origin_short(o: &RouteOrigin) -> String {
    match o {
        RouteOrigin::Derived { field } => format!("route derived from {field}"),
        RouteOrigin::Rule { .. } => "route from --route".into(),
    }
}

fn io_shape(s: &IoShape) -> String {
    match s {
        IoShape::Field { span, key, value } => format!("{span} has {key}={value}"),
        IoShape::IoSpanOption { span } => format!("{span} matches --io-span"),
        IoShape::NamedLike { span, word } => format!("{span} is named like an I/O call ('{word}')"),
    }
}

fn placement(p: &Option<Placement>) -> String {
    match p {
        None => String::new(),
        Some(Placement::OnBlockingThreads(t)) => format!(
            "{:.1} ms of its polls ran on blocking threads",
            *t as f64 / 1e6
        ),
        Some(Placement::OnLoopThreads(t)) => format!(
            "{:.1} ms of its polls ran on event-loop threads",
            *t as f64 / 1e6
        ),
        Some(Placement::ChildBusyWhileIdle { child_busy, busy }) => format!(
            "children were busy {:.1} ms while the request span itself was busy {:.1} ms: the work ran on another thread while the request awaited it",
            *child_busy as f64 / 1e6,
            *busy as f64 / 1e6
        ),
        Some(Placement::CreatedClosedOn {
            role,
            lifetime,
            held,
        }) => {
            let thread = match role {
                ThreadRole::EventLoop => "an event-loop worker",
                ThreadRole::Blocking => "a blocking-pool thread",
                ThreadRole::BlockOn => "the runtime's block_on thread",
                ThreadRole::Unknown => "a thread of unknown role",
            };
            let how = match held {
                Some(HeldBy::BusyTime) => ", busy through its life: it held that thread",
                Some(HeldBy::NoOtherEvent) => {
                    ", with no other span created or closed on it in between: it held that thread"
                }
                None => "",
            };
            format!(
                "its heaviest work span ({}) was created and closed on {thread}{how}",
                fmt_ms(*lifetime)
            )
        }
        Some(Placement::Timing(p)) => match p {
            TimingPlace::Serialized => {
                "its work sections ran in turn with those of its other requests (timing alone)"
            }
            TimingPlace::AtOnce => {
                "its work sections ran at once with those of its other requests (timing alone)"
            }
            TimingPlace::ProgressedDuringStalls => {
                "its I/O calls progressed while the shared loop was stalled (timing alone)"
            }
            TimingPlace::IoInTurn => {
                "its I/O calls ran in turn with those of its other requests (timing alone)"
            }
        }
        .into(),
    }
}

/// What showed a thread's role, in words.
pub(super) fn role_evidence(e: &RoleEvidence) -> String {
    match *e {
        RoleEvidence::FormatDefined => {
            "role defined by the trace format (a browser's renderer main thread, the loop of an asyncio debug log)".into()
        }
        RoleEvidence::NoExecutions => "no enter/exit events on this thread".into(),
        RoleEvidence::Interleaves {
            executions,
            trees,
            returns,
            repolls,
        } => format!(
            "{executions} polls of {trees} span trees; went back to one already polled {returns} times{}",
            if repolls > 0 {
                format!(", re-polled {repolls} times")
            } else {
                String::new()
            }
        ),
        RoleEvidence::SinglePoll => {
            "the only thread, and it ran 1 span tree in 1 poll: that shows neither an event loop nor a blocking thread"
                .into()
        }
        RoleEvidence::TaskKinds { polled, kinds } => {
            let counts: Vec<String> = [
                (kinds.task, "task"),
                (kinds.local, "local"),
                (kinds.blocking, "blocking"),
                (kinds.block_on, "block_on"),
                (kinds.unrecorded, "unrecorded"),
            ]
            .into_iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, k)| format!("{n} of kind {k}"))
            .collect();
            format!(
                "{} tokio's task spans: {}",
                if polled {
                    "polls of"
                } else {
                    "finished here, of"
                },
                counts.join(", ")
            )
        }
        RoleEvidence::RunsLoopCallbacks { callbacks } => format!(
            "ran asyncio's callback runner (Handle._run) {}: a Python event loop",
            plural(callbacks as usize, "time", "times")
        ),
        RoleEvidence::OneAtATime { trees, executions } => format!(
            "ran {} one at a time, each to completion ({})",
            plural(trees as usize, "span tree", "span trees"),
            plural(executions as usize, "poll", "polls")
        ),
        RoleEvidence::CreatedInterleaved {
            requests,
            overlapping,
        } => format!(
            "no polls recorded; created {}, {overlapping} of them while an earlier one was still in progress: it interleaves requests",
            plural(requests as usize, "request span", "request spans")
        ),
        RoleEvidence::WorkInterleaved {
            requests,
            overlapping,
        } => format!(
            "no polls recorded; no request span created on it, but it created and closed work spans of {}, {overlapping} pairs of them in progress at once: it interleaves requests (an event loop)",
            plural(requests as usize, "request", "requests")
        ),
        RoleEvidence::RequestsOneAtATime { requests } => format!(
            "no polls recorded; created {} one at a time, never two in progress at once: a thread per request",
            plural(requests as usize, "request span", "request spans")
        ),
        RoleEvidence::WorkOneAtATime { spans, requests } => format!(
            "no polls recorded; no request span created or closed on it; {} of {} created and closed on it one request at a time",
            plural(spans as usize, "work span", "work spans"),
            plural(requests as usize, "request", "requests")
        ),
    }
}

/// Why an endpoint's work is unmeasured, and what to record, by what recorded the input.
fn unmeasured(source: Source) -> String {
    match source {
        Source::Spans { threads } => format!(
            "the spans record only when each started and ended (OpenTelemetry, Jaeger and Zipkin spans have no busy or idle time) and these requests have no child span to time: computation cannot be told from waiting; {}",
            if threads {
                "child spans around the view's work (its HTTP client or database instrumentation, a manual span around CPU work) would let its time be placed"
            } else {
                "child spans around the view's work (its HTTP client or database instrumentation, a manual span around CPU work) and thread.id/thread.name on each span (a span processor: see the README) would let its time be placed"
            }
        ),
        Source::Viztracer => "viztracer recorded no call inside these requests (calls under --min_duration are dropped): computation cannot be told from waiting; record with a lower --min_duration and --log_async".into(),
        Source::AsyncioLog => "asyncio's debug log names only callbacks over slow_callback_duration: computation cannot be told from waiting; lower loop.slow_callback_duration, or record spans".into(),
        Source::Tracing | Source::Chrome => "the trace records only when its requests started and ended (tracing-chrome's async style without thread evidence, tower-http's events without span events): with no busy or idle time, computation cannot be told from waiting; record with tracing-chrome's threaded style, or tracing-subscriber with FmtSpan::CLOSE or FULL".into(),
    }
}

/// What would settle an unsettled location, given what the trace already records and what
/// recorded it.
fn settle_with(r: Recorded, source: Source) -> &'static str {
    match source {
        Source::Spans { threads: false } => {
            return "record thread.id and thread.name on each span (a span processor: see the README) to settle it";
        }
        Source::Spans { threads: true } => {
            return "the spans carry their threads but OpenTelemetry records no busy time: child spans around the work (its client or database instrumentation, a manual span around CPU work) settle it";
        }
        Source::Viztracer => {
            return "record with viztracer's --log_async (each asyncio Task on a track of its own) and a lower --min_duration to settle it";
        }
        Source::AsyncioLog => {
            return "asyncio's debug log has no threads nor requests: record spans with thread.id (OpenTelemetry and a span processor: see the README) to settle it";
        }
        Source::Tracing | Source::Chrome => {}
    }
    match (r.thread_ids, r.polls) {
        (false, false) => {
            "record thread ids (.with_thread_ids(true)) and ENTER/EXIT span events (FmtSpan::FULL) to settle it"
        }
        (false, true) => "record thread ids (.with_thread_ids(true)) to settle it",
        (true, false) => {
            "record ENTER/EXIT span events (FmtSpan::FULL, or tracing-chrome's threaded style) to settle it"
        }
        (true, true) => {
            "the trace has polls and thread ids, but no thread ran enough requests to show its role: a longer or busier recording settles it"
        }
    }
}

/// A note about a server input in words, for an input recorded by `source`.
pub(super) fn note_in(n: &Note, source: Source) -> String {
    if let Source::Spans { threads } = source {
        let add_threads = if threads {
            ""
        } else {
            " and thread.id/thread.name on each span (a span processor: see the README)"
        };
        match n {
            Note::OnlyStartEnd => {
                return format!(
                    "requests have a start and an end but no busy or idle time (OpenTelemetry, Jaeger and Zipkin spans record none) and no child span: where their work ran cannot be judged; child spans around the work (client or database instrumentation, a manual span around CPU work){add_threads} let it be placed"
                );
            }
            Note::NoPolls => {
                return format!(
                    "the spans record no polls nor busy time: stalls are inferred from child spans and threads{add_threads}"
                );
            }
            Note::CreationCloseThreads { workers, blocking } => {
                return format!(
                    "the spans record no polls nor busy time, but each names the thread that opened it (thread.id): {} created interleaved requests (event-loop workers), {} ran work spans one request at a time (blocking pool); a work span created and closed on a worker that held it through its life (no other span created or closed there meanwhile) is an inferred stall",
                    plural(*workers, "thread", "threads"),
                    plural(*blocking, "thread", "threads")
                );
            }
            _ => {}
        }
    }
    match n {
        Note::NoRequestSpans {
            spans,
            named,
            roots,
        } => {
            let why = match named {
                Some(name) => format!("no span is named {name} (--request-span)"),
                None => "request spans are the outermost spans with HTTP fields, a method (method, http.method, http.request.method) and a route (uri, path, route, http.route, url.path, http.target), or otel.kind=server".into(),
            };
            let roots: Vec<String> = roots
                .iter()
                .map(|(n, c)| format!("{n} ({})", plural(*c, "span", "spans")))
                .collect();
            let hint = if roots.is_empty() {
                String::new()
            } else {
                format!(", e.g. one of the most frequent root spans: {}", roots.join(", "))
            };
            format!(
                "no request spans found among {}: {why}; name yours with --request-span NAME{hint}",
                plural(*spans as usize, "span", "spans")
            )
        }
        Note::OnlyStartEnd => "requests have a start and an end but no poll, busy or idle time (tower-http's `finished processing request` events without span events, or tracing-chrome's async style without threads): where their work ran cannot be judged; record span events (tracing-subscriber's FmtSpan::CLOSE or FULL, tracing-chrome's threaded style)".into(),
        Note::NothingTimed => "no timestamps and no time.busy/time.idle (a log written with without_time() has neither): requests and endpoints only, no duration; record with a timer and FmtSpan::CLOSE or FULL".into(),
        Note::NoPolls => "no ENTER/EXIT span events: single polls cannot be seen, stalls are inferred from time.busy (record with FmtSpan::FULL or ACTIVE to measure them)".into(),
        Note::NoThreadIds => "no thread ids: which thread ran a poll is unknown (record with .with_thread_ids(true) to settle it)".into(),
        Note::CreationCloseThreads { workers, blocking } => format!(
            "no polls (ENTER/EXIT span events, or tracing-chrome's threaded style), but each span's creation and close name a thread: {} created interleaved requests (event-loop workers), {} ran work spans one request at a time (blocking pool); a work span created and closed on a worker that held it through its life (busy for 90 % of it or more, or no other span created or closed there meanwhile) is an inferred stall",
            plural(*workers, "thread", "threads"),
            plural(*blocking, "thread", "threads")
        ),
        Note::EndedAtLastExit { spans } => format!(
            "{} never closed (ENTER/EXIT without CLOSE): each ends at its last exit, its busy time is the sum of its enter -> exit intervals",
            plural(*spans as usize, "span", "spans")
        ),
        Note::TimingAlone { requests } => format!(
            "the spans record no thread, poll or busy time: {} judged from timing alone, from their child spans (I/O calls, other work) and what other requests did meanwhile (work of one endpoint that never overlaps though its requests do ran in turn on one event loop; I/O calls that start or end while that loop is stalled held a thread of their own); rows that timing cannot settle stay unknown with the reason. {}",
            plural(*requests, "request was", "requests were"),
            "Recording thread.id and thread.name on each span (a span processor: see the README) settles the rest"
        ),
        Note::NoBaseline(endpoints) => format!(
            "no healthy baseline (every request overlapped a stall) for {}: their delay is not counted",
            endpoints.join(", ")
        ),
    }
}

/// The JSON name of a stall's source.
pub(super) fn source_name(s: &StallSource) -> &'static str {
    match s {
        StallSource::EventLoopPoll => "event-loop-poll",
        StallSource::TaskPoll => "task-poll",
        StallSource::Inferred(_) => "inferred",
        StallSource::BrowserLongTask => "browser-long-task",
    }
}

/// Why a stall not measured on a known worker counts as one.
pub(super) fn stall_reason(s: &StallSource, source: Source) -> Option<String> {
    // Spans never have ENTER/EXIT events: what they lack, in their own terms.
    let lacking = match source {
        Source::Spans { .. } => "no polls nor busy time in spans",
        _ => "no ENTER/EXIT events",
    };
    match s {
        StallSource::EventLoopPoll | StallSource::BrowserLongTask => None,
        StallSource::TaskPoll => Some(
            "a measured poll; the recording has no thread ids, so which worker is unknown".into(),
        ),
        StallSource::Inferred(Inferred::UnthreadedPoll) => Some("no thread ids: a measured poll, placed on the event loop because this endpoint's work delays concurrent requests".into()),
        StallSource::Inferred(Inferred::RoleUnknown) => Some("a measured poll on a thread whose role the trace does not show (its only thread, one span tree in one poll): it held the thread this long, a stall if that thread runs an event loop".into()),
        StallSource::Inferred(Inferred::BusyTime { span }) => Some(format!(
            "{lacking}: from the busy time of {} (busy through its whole life)",
            span.as_deref().unwrap_or("the request span")
        )),
        StallSource::Inferred(Inferred::Timing { span }) => Some(format!(
            "no threads, polls or busy times: {} of an endpoint whose work ran in turn on the shared loop (timing alone); no other request on the loop started or ended a span meanwhile",
            span.as_deref().map_or("the request's work".to_string(), |s| format!("the span {s}"))
        )),
        StallSource::Inferred(Inferred::HeldWorker { span, by }) => Some(format!(
            "{lacking}: {span} was created and closed on this event-loop worker and held it through its life ({})",
            match by {
                HeldBy::BusyTime => "busy for 90 % of it or more",
                HeldBy::NoOtherEvent => "no other span created or closed on the worker meanwhile, as in most of its endpoint's requests",
            }
        )),
    }
}

/// Timing alone found the endpoint's time in I/O calls but could not tell whether they held a
/// thread.
fn timing_io_unsettled(v: &ServerJudgement) -> bool {
    v.evidence.iter().any(|e| {
        matches!(
            e,
            ServerEvidence::Timing(TimingEvidence::IoUnsettled { .. })
        )
    })
}

fn pattern_label(j: &Judgement, v: &ServerJudgement) -> &'static str {
    match j.pattern {
        Pattern::SyncIo => "Sync handler with slow blocking I/O",
        Pattern::AsyncIo => "Async handler awaiting slow I/O",
        Pattern::AsyncCpu => "Async handler with CPU-heavy task",
        Pattern::SyncCpu => "Sync handler with CPU-heavy task",
        Pattern::AsyncBlockingIo => "Async handler with blocking I/O call",
        Pattern::SlowServerResponse => "Slow server response",
        Pattern::MainThreadLongTasks => "Main-thread long tasks",
        Pattern::Unknown => match v.kind {
            RequestWork::IoBlocking => "Blocking I/O, thread unknown",
            RequestWork::Unmeasured if timing_io_unsettled(v) => {
                "Waits in I/O calls, thread unknown"
            }
            RequestWork::Unmeasured => "Handler with unmeasured work",
            _ => "CPU-heavy handler, thread unknown",
        },
    }
}

/// ": 2 workers" when the loop's threads are known, else nothing (the row says how it was
/// inferred instead).
fn workers(v: &ServerJudgement) -> String {
    if v.threads_known && v.loop_threads > 0 {
        format!(": {}", plural(v.loop_threads, "worker", "workers"))
    } else {
        String::new()
    }
}

pub(super) fn row(j: &Judgement, v: &ServerJudgement, cfg: &Config) -> Row {
    let n = v.requests.len();
    let origin = v.evidence.iter().find_map(|e| match e {
        ServerEvidence::Route(o) => Some(format!("; {}", route_origin_short(o))),
        _ => None,
    });
    let pattern = format!(
        "{} — {} ({} req{})",
        pattern_label(j, v),
        j.subject,
        n,
        origin.unwrap_or_default()
    );
    let inferred = match v.location_by {
        LocationBy::Impact => " (inferred from its effect on other requests)",
        LocationBy::ChildWhileIdle => " (request idle while its work ran elsewhere)",
        LocationBy::Concurrency => " (more at once than there are workers)",
        LocationBy::CreationClose => " (from the threads its spans were created and closed on)",
        LocationBy::Timing => " (judged from timing alone)",
        _ => "",
    };
    let server_threads = match j.pattern {
        Pattern::AsyncIo => match v.max_poll {
            Some(_) => format!(
                "Event loop with async tasks: {:.1} polls per request",
                v.polls as f64 / n.max(1) as f64
            ),
            None => "Event loop with async tasks".into(),
        },
        Pattern::AsyncCpu => format!("Event loop blocked by CPU{}{inferred}", workers(v)),
        Pattern::AsyncBlockingIo => format!("Event loop blocked by I/O{}{inferred}", workers(v)),
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
        Pattern::Unknown if timing_io_unsettled(v) => {
            "Unknown: timing alone cannot tell whether its I/O calls held a thread".into()
        }
        Pattern::Unknown if v.kind == RequestWork::Unmeasured => {
            "Unknown: the trace has no poll or busy times".into()
        }
        Pattern::Unknown if v.threads_seen && !v.threads_known => {
            "Unknown: its thread shows no role (a single poll), too little concurrency to infer"
                .into()
        }
        Pattern::Unknown => "Unknown: no thread ids, too little concurrency to infer".into(),
        Pattern::SlowServerResponse | Pattern::MainThreadLongTasks => String::new(),
    };
    let blocking_behavior = match j.pattern {
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
        Pattern::Unknown if timing_io_unsettled(v) => {
            let io = v.evidence.iter().find_map(|e| match e {
                ServerEvidence::Timing(TimingEvidence::IoUnsettled { io_p50, .. }) => Some(*io_p50),
                _ => None,
            });
            format!(
                "In I/O calls {} per request: blocking or awaited not known",
                fmt_ms(io.unwrap_or(0))
            )
        }
        Pattern::Unknown if v.kind == RequestWork::Unmeasured && v.durations_known => {
            "Unknown: only start and end were recorded".into()
        }
        Pattern::Unknown if v.kind == RequestWork::Unmeasured => {
            "Unknown: no busy or idle time was recorded".into()
        }
        Pattern::Unknown => format!("Busy {} per request, thread unknown", fmt_ms(v.heavy_p50)),
        Pattern::SlowServerResponse | Pattern::MainThreadLongTasks => String::new(),
    };
    let mut impact = if v.durations_known {
        format!(
            "p50 {}, p95 {}",
            fmt_ms(v.percentile(50.0)),
            fmt_ms(v.percentile(95.0))
        )
    } else {
        "durations not recorded (no timestamps)".to_string()
    };
    if v.slow > 0 {
        impact.push_str(&format!(
            "; {} ≥ {}",
            plural(v.slow, "req", "req"),
            fmt_ms(cfg.slow)
        ));
    }
    match j.pattern {
        Pattern::AsyncCpu | Pattern::AsyncBlockingIo if v.delays_caused > 0 => {
            impact.push_str(&format!(
                "; delayed {} by up to {}",
                plural(v.delays_caused, "other request", "other requests"),
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
        Pattern::AsyncIo if v.delays_suffered > 0 => impact.push_str(&format!(
            "; {} delayed by stalls",
            plural(v.delays_suffered, "req", "req")
        )),
        Pattern::SyncCpu | Pattern::SyncIo => {
            if let Some(i) = v.impact.filter(|i| i.observers > 0) {
                impact.push_str(&format!(
                    "; other requests meanwhile: {:+.1} ms vs usual",
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
        verdict: verdict_label(j.verdict).into(),
    }
}

/// One line of advice for a Bad row: tokio's terms for Rust traces, neutral ones for spans of
/// any language.
fn advice(j: &Judgement, v: &ServerJudgement, source: Source) -> Option<String> {
    let rust = matches!(source, Source::Tracing | Source::Chrome);
    let what = v
        .heavy_name
        .as_deref()
        .map_or("the CPU work".to_string(), |h| {
            format!("the CPU work in `{h}`")
        });
    match (j.pattern, j.verdict) {
        (Pattern::AsyncCpu, _) => Some(format!(
            "{}: move {what} off the event loop ({}){}.",
            j.subject,
            if rust {
                "tokio::task::spawn_blocking, or a rayon pool for data-parallel work"
            } else {
                "a worker thread or process pool: in Python `asyncio.to_thread` or `loop.run_in_executor`"
            },
            if v.delays_caused > 0 {
                format!(
                    "; its stalls delayed {}",
                    plural(v.delays_caused, "other request", "other requests")
                )
            } else {
                String::new()
            }
        )),
        (Pattern::SyncIo, _) => Some(format!(
            "{}: await an async client instead of a blocking call: each request holds a pool thread for {} while it waits.",
            j.subject,
            fmt_ms(v.heavy_p50)
        )),
        (Pattern::AsyncBlockingIo, _) => Some(format!(
            "{}: the blocking I/O call runs on the event loop: await an async client instead of a blocking one (or run it on a worker thread: {}).",
            j.subject,
            if rust {
                "spawn_blocking"
            } else {
                "in Python `asyncio.to_thread`"
            }
        )),
        (Pattern::Unknown, Verdict::Bad) => Some(format!(
            "{}: a blocking I/O call holds a thread for {} per request: await an async client instead.",
            j.subject,
            fmt_ms(v.heavy_p50)
        )),
        _ => None,
    }
}

/// Advice for a Bad row in Django's terms, when the input shows Django (its request spans'
/// instrumentation scope); other rows as [`advice`].
fn django_advice(j: &Judgement, v: &ServerJudgement, wsgi: bool, source: Source) -> Option<String> {
    let what = v
        .heavy_name
        .as_deref()
        .map_or("the CPU work".to_string(), |h| {
            format!("the CPU work in `{h}`")
        });
    match j.pattern {
        Pattern::AsyncCpu => Some(format!(
            "{}: move {what} off the event loop: `await sync_to_async(fn, thread_sensitive=False)(...)` or a thread or process pool (`loop.run_in_executor`); the default `thread_sensitive=True` runs every such call on one shared thread, so concurrent requests would queue there{}.",
            j.subject,
            if v.delays_caused > 0 {
                format!(
                    "; its stalls delayed {}",
                    plural(v.delays_caused, "other request", "other requests")
                )
            } else {
                String::new()
            }
        )),
        Pattern::SyncIo if wsgi => Some(format!(
            "{}: each request holds a pool thread for {} while a blocking call waits; under WSGI an async view would hold it too: serve the app with an ASGI server (uvicorn) and make the view async, awaiting `httpx.AsyncClient` (or an async database driver) instead.",
            j.subject,
            fmt_ms(v.heavy_p50)
        )),
        Pattern::SyncIo => Some(format!(
            "{}: make it an async view awaiting `httpx.AsyncClient` (or an async database driver) instead of a blocking call: each request holds a thread for {} while it waits.",
            j.subject,
            fmt_ms(v.heavy_p50)
        )),
        Pattern::AsyncBlockingIo => Some(format!(
            "{}: a blocking call runs on the event loop: await `httpx.AsyncClient` (or an async database driver) instead, or wrap the call in `sync_to_async`.",
            j.subject
        )),
        _ => advice(j, v, source),
    }
}

/// The server model of an input in words (issue 11): the model, and one sentence per piece of
/// evidence.
pub fn server_model(m: &ServerModel) -> ServerModelOut {
    let evidence = m
        .evidence
        .iter()
        .map(|e| match e {
            ModelEvidence::SharedLoop {
                thread,
                requests,
                overlapping,
            } => format!(
                "thread {thread} opened no request but created and closed work spans of {}, {} in progress at once: one event loop shared by requests",
                plural(*requests as usize, "request", "requests"),
                plural(*overlapping as usize, "pair", "pairs")
            ),
            ModelEvidence::RequestThreads {
                threads,
                requests,
                most,
            } => format!(
                "{} opened on {}, each thread one request at a time (at most {most} on one thread)",
                plural(*requests as usize, "request span", "request spans"),
                plural(*threads, "thread", "threads")
            ),
            ModelEvidence::PeakInFlight(n) => {
                format!("at most {} in progress at once", plural(*n, "request", "requests"))
            }
            ModelEvidence::TimingInTurn {
                endpoint,
                sections,
                request_pairs,
                calls,
            } => format!(
                "timing alone (no threads recorded): the {} of {endpoint} never overlapped one another although {} of its requests were in progress at once: one thread ran them in turn, an event loop shared by requests",
                if *calls {
                    plural(*sections, "blocking call", "blocking calls")
                } else {
                    plural(*sections, "work section", "work sections")
                },
                plural(*request_pairs as usize, "pair", "pairs")
            ),
            ModelEvidence::OneOffThreads { threads } => format!(
                "{} opened no request and ran the work of one request each: an event loop of its own per request (an async view under WSGI), shared with no other request",
                plural(*threads, "thread", "threads")
            ),
        })
        .collect();
    ServerModelOut {
        model: m.model,
        evidence,
    }
}

/// The server model's headline, for the table and markdown headers.
pub fn server_model_headline(m: &ServerModelOut) -> String {
    use crate::analyze::server_model::Model;
    let what = match m.model {
        Model::Asgi => "ASGI, one event loop shared by requests",
        Model::Wsgi => "WSGI, a thread per request from a pool",
        Model::Unknown => "unknown",
    };
    format!("Server model: {what} ({})", m.evidence.join("; "))
}
