//! Requests: which spans are requests, their endpoint, and what their time went into.
//!
//! A request is the outermost span that carries HTTP-ish fields (or is named as
//! `--request-span` says). Its descendants tell what the time went into:
//!
//! ```text
//! request  [────────────────────────── D ──────────────────────────]
//!   db.query     [── busy (blocking call) ──|── idle (awaiting) ──]   I/O-shaped child
//!   compute                                                [─busy─]   anything else: CPU
//! ```
//!
//! * I/O-shaped children are recognised by semantic conventions (`db.*`, `otel.kind=client`,
//!   `http.request.method` / `url.full` on a child, `rpc.system`, `messaging.system`,
//!   `peer.service`), by call-shaped names (db, sql, query, http, client, upstream, cache, ...),
//!   or by `--io-span`. Route and handler names are never looked at.
//! * `busy` is wall time: a blocking call inside an I/O child shows as busy, an awaited one as
//!   idle. That split, not any name, says whether the I/O blocks a thread.

use super::threads::ThreadInfo;
use crate::config::Config;
use crate::model::{Ns, SpanIdx, ThreadIdx, ThreadRole, Trace};

/// What a request's time went into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkKind {
    /// Mostly awaiting (idle), in I/O children or un-instrumented awaits.
    IoWait,
    /// Mostly inside I/O children that were busy: a blocking call held the thread.
    IoBlocking,
    /// Mostly busy outside I/O children: computation.
    Cpu,
    /// Nothing significant to judge.
    Light,
}

/// Where the busy part of a request ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    EventLoop,
    Offloaded,
    Unknown,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub span: SpanIdx,
    pub endpoint: String,
    pub start: Ns,
    pub end: Ns,
    pub busy: Ns,
    pub work_busy: Ns,
    pub io_wait: Ns,
    pub io_block: Ns,
    pub cpu: Ns,
    pub kind: WorkKind,
    /// Intervals where the heavy (CPU or blocking) work ran, merged, sorted.
    pub heavy: Vec<(Ns, Ns)>,
    /// The span names the heavy work ran in, and the I/O evidence seen.
    pub heavy_name: Option<String>,
    pub io_evidence: Option<String>,
    pub location: Location,
    pub location_evidence: Option<String>,
    /// Threads that ran this request's heavy work (with executions).
    pub threads: Vec<ThreadIdx>,
    pub polls: u32,
    pub max_poll: Option<Ns>,
    pub cut_off: bool,
}

impl Request {
    pub fn duration(&self) -> Ns {
        self.end - self.start
    }
}

const HTTP_KEYS: [&str; 12] = [
    "method",
    "route",
    "uri",
    "path",
    "status",
    "http.route",
    "http.request.method",
    "http.method",
    "http.target",
    "url.path",
    "http.url",
    "url.full",
];

fn is_request_span(trace: &Trace, idx: SpanIdx, cfg: &Config) -> bool {
    let span = trace.span(idx);
    if let Some(name) = &cfg.request_span {
        return trace.name(span) == name;
    }
    let kind = trace
        .field(span, "otel.kind")
        .or_else(|| trace.field(span, "span.kind"));
    if kind.is_some_and(|k| k.eq_ignore_ascii_case("server")) {
        return true;
    }
    if kind.is_some_and(|k| k.eq_ignore_ascii_case("client")) {
        return false;
    }
    HTTP_KEYS.iter().any(|k| trace.field(span, k).is_some())
}

/// `GET /orders` from the request span's fields; the path loses its query string.
pub fn endpoint_of(trace: &Trace, idx: SpanIdx) -> String {
    let span = trace.span(idx);
    let f = |keys: &[&str]| keys.iter().find_map(|k| trace.field(span, k));
    let method = f(&["http.request.method", "http.method", "method"]);
    let route = f(&[
        "http.route",
        "route",
        "url.path",
        "path",
        "http.target",
        "uri",
        "url.full",
        "http.url",
    ])
    .map(|r| r.split(['?', '#']).next().unwrap_or(r).to_string());
    match (method, route) {
        (Some(m), Some(r)) => format!("{m} {r}"),
        (None, Some(r)) => r,
        (Some(m), None) => format!("{m} {}", trace.name(span)),
        (None, None) => trace.name(span).to_string(),
    }
}

const IO_FIELD_PREFIXES: [&str; 1] = ["db."];
const IO_FIELDS: [&str; 7] = [
    "http.request.method",
    "http.method",
    "url.full",
    "server.address",
    "peer.service",
    "rpc.system",
    "messaging.system",
];
const IO_WORDS: [&str; 28] = [
    "db",
    "database",
    "sql",
    "query",
    "http",
    "client",
    "upstream",
    "cache",
    "redis",
    "memcached",
    "file",
    "fs",
    "rpc",
    "grpc",
    "fetch",
    "s3",
    "kafka",
    "postgres",
    "postgresql",
    "mysql",
    "sqlite",
    "mongo",
    "mongodb",
    "elasticsearch",
    "dns",
    "socket",
    "download",
    "upload",
];

/// Why `idx` counts as an I/O call, if it does.
pub fn io_shape(trace: &Trace, idx: SpanIdx, cfg: &Config) -> Option<String> {
    let span = trace.span(idx);
    for (k, v) in &span.fields {
        let key = trace.strings.resolve(*k);
        if IO_FIELD_PREFIXES.iter().any(|p| key.starts_with(p)) || IO_FIELDS.contains(&key) {
            return Some(format!("{} has {key}={v}", trace.name(span)));
        }
        if (key == "otel.kind" || key == "span.kind")
            && (v.eq_ignore_ascii_case("client") || v.eq_ignore_ascii_case("producer"))
        {
            return Some(format!("{} has {key}={v}", trace.name(span)));
        }
    }
    let name = trace.name(span);
    if let Some(re) = &cfg.io_span {
        if re.is_match(name) {
            return Some(format!("{name} matches --io-span"));
        }
    }
    let lower = name.to_ascii_lowercase();
    lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| IO_WORDS.contains(w))
        .map(|w| format!("{name} is named like an I/O call ('{w}')"))
}

/// Merges overlapping intervals in place; returns them sorted.
pub fn merge(mut v: Vec<(Ns, Ns)>) -> Vec<(Ns, Ns)> {
    v.sort_unstable();
    let mut out: Vec<(Ns, Ns)> = Vec::with_capacity(v.len());
    for (s, e) in v {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// Total length of the overlap between sorted, merged `intervals` and `[s, e)`.
pub fn overlap(intervals: &[(Ns, Ns)], s: Ns, e: Ns) -> Ns {
    let first = intervals.partition_point(|iv| iv.1 <= s);
    intervals[first..]
        .iter()
        .take_while(|iv| iv.0 < e)
        .map(|iv| iv.1.min(e) - iv.0.max(s))
        .filter(|d| *d > 0)
        .sum()
}

fn significant(x: Ns, d: Ns) -> bool {
    x >= 1_000_000 && x * 10 >= d
}

/// Finds requests and measures each one.
pub fn find_requests(trace: &Trace, cfg: &Config, threads: &[ThreadInfo]) -> Vec<Request> {
    let children = trace.children();
    // Executions grouped by the root of their span.
    let mut exec_by_root: std::collections::HashMap<SpanIdx, Vec<usize>> = Default::default();
    for (i, e) in trace.executions.iter().enumerate() {
        exec_by_root
            .entry(trace.root_of(e.span))
            .or_default()
            .push(i);
    }
    let role = |t: Option<ThreadIdx>| {
        t.and_then(|t| threads.get(t.0 as usize))
            .map_or(ThreadRole::Unknown, |i| i.role)
    };
    let mut out = Vec::new();
    for i in 0..trace.spans.len() {
        let idx = SpanIdx(i as u32);
        if !is_request_span(trace, idx, cfg) {
            continue;
        }
        // Outermost only: skip a request span nested in another request span.
        let mut anc = trace.span(idx).parent;
        let mut nested = false;
        while let Some(p) = anc {
            if is_request_span(trace, p, cfg) {
                nested = true;
                break;
            }
            anc = trace.span(p).parent;
        }
        if nested {
            continue;
        }
        out.push(measure(
            trace,
            cfg,
            idx,
            &children,
            exec_by_root.get(&trace.root_of(idx)),
            &role,
        ));
    }
    out
}

fn measure(
    trace: &Trace,
    cfg: &Config,
    idx: SpanIdx,
    children: &[Vec<SpanIdx>],
    execs: Option<&Vec<usize>>,
    role: &dyn Fn(Option<ThreadIdx>) -> ThreadRole,
) -> Request {
    let span = trace.span(idx);
    let d = span.duration();
    let busy = span.busy.unwrap_or(0);
    // Walk descendants; stop at I/O children (their insides are the I/O call).
    let (mut io_wait, mut io_block, mut child_busy) = (0, 0, 0);
    let mut io_evidence = None;
    let mut heavy_child: Option<(SpanIdx, Ns)> = None;
    let mut io_children: Vec<SpanIdx> = Vec::new();
    let mut stack: Vec<(SpanIdx, bool)> = children[idx.0 as usize]
        .iter()
        .map(|c| (*c, true))
        .collect();
    while let Some((c, top)) = stack.pop() {
        let cs = trace.span(c);
        let cb = cs.busy.unwrap_or(0);
        if let Some(ev) = io_shape(trace, c, cfg) {
            io_block += cb;
            io_wait += cs.idle.unwrap_or_else(|| (cs.duration() - cb).max(0));
            if top {
                child_busy += cb;
            }
            io_evidence.get_or_insert(ev);
            io_children.push(c);
            continue;
        }
        if top {
            child_busy += cb;
        }
        if heavy_child.is_none_or(|(_, b)| cb > b) {
            heavy_child = Some((c, cb));
        }
        stack.extend(children[c.0 as usize].iter().map(|g| (*g, false)));
    }
    let work_busy = busy.max(child_busy);
    let cpu = (work_busy - io_block).max(0);
    let io_total = io_wait + io_block;
    let idle = span.idle.unwrap_or((d - busy).max(0));
    let kind = if io_total >= cpu && significant(io_total, d) {
        if io_block > io_wait {
            WorkKind::IoBlocking
        } else {
            WorkKind::IoWait
        }
    } else if significant(cpu, d) {
        WorkKind::Cpu
    } else if significant(idle, d) {
        WorkKind::IoWait
    } else {
        WorkKind::Light
    };

    // Executions of this request's tree.
    let mut polls = 0u32;
    let mut max_poll: Option<Ns> = None;
    let (mut on_loop, mut on_blocking) = (0, 0);
    let mut threads: Vec<ThreadIdx> = Vec::new();
    let mut exec_intervals = Vec::new();
    if let Some(list) = execs {
        for &i in list {
            let e = &trace.executions[i];
            polls += 1;
            max_poll = Some(max_poll.map_or(e.duration(), |m| m.max(e.duration())));
            match role(e.thread) {
                ThreadRole::EventLoop => on_loop += e.duration(),
                ThreadRole::Blocking => on_blocking += e.duration(),
                ThreadRole::Unknown => {}
            }
            if e.duration() >= 1_000_000 {
                exec_intervals.push((e.start, e.end));
                if let Some(t) = e.thread {
                    if !threads.contains(&t) {
                        threads.push(t);
                    }
                }
            }
        }
    }
    // Heavy sections: the long executions when we have them, else the heavy child's interval.
    let heavy_span = match kind {
        WorkKind::Cpu => heavy_child.map(|(c, _)| c).filter(|_| child_busy > 0),
        WorkKind::IoBlocking => io_children
            .iter()
            .copied()
            .max_by_key(|c| trace.span(*c).busy.unwrap_or(0)),
        _ => None,
    };
    let heavy = match kind {
        WorkKind::Cpu | WorkKind::IoBlocking if !exec_intervals.is_empty() => merge(exec_intervals),
        WorkKind::Cpu | WorkKind::IoBlocking => match heavy_span {
            Some(c) => vec![(trace.span(c).start, trace.span(c).end)],
            None => vec![(span.start, span.end)],
        },
        _ => Vec::new(),
    };
    let heavy_name = heavy_span.map(|c| trace.name(trace.span(c)).to_string());

    let (location, location_evidence) = if on_loop + on_blocking > 0 {
        if on_blocking * 2 >= work_busy && on_blocking >= 1_000_000 {
            (
                Location::Offloaded,
                Some(format!(
                    "{:.1} ms of its polls ran on blocking threads",
                    on_blocking as f64 / 1e6
                )),
            )
        } else if on_loop * 2 >= work_busy {
            (
                Location::EventLoop,
                Some(format!(
                    "{:.1} ms of its polls ran on event-loop threads",
                    on_loop as f64 / 1e6
                )),
            )
        } else {
            (Location::Unknown, None)
        }
    } else if child_busy > busy + (child_busy / 5).max(1_000_000) {
        (
            Location::Offloaded,
            Some(format!(
                "children were busy {:.1} ms while the request span itself was busy {:.1} ms: the work ran on another thread while the request awaited it",
                child_busy as f64 / 1e6,
                busy as f64 / 1e6
            )),
        )
    } else {
        (Location::Unknown, None)
    };
    Request {
        span: idx,
        endpoint: endpoint_of(trace, idx),
        start: span.start,
        end: span.end,
        busy,
        work_busy,
        io_wait,
        io_block,
        cpu,
        kind,
        heavy,
        heavy_name,
        io_evidence,
        location,
        location_evidence,
        threads,
        polls,
        max_poll,
        cut_off: span.cut_off,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TraceBuilder;

    fn f(b: &mut TraceBuilder, k: &str, v: &str) -> (crate::model::Sym, Box<str>) {
        (b.intern(k), v.into())
    }

    #[test]
    fn endpoint_strips_query() {
        let mut b = TraceBuilder::new();
        let n = b.intern("request");
        let fields = vec![f(&mut b, "method", "GET"), f(&mut b, "uri", "/a/b?x=1")];
        b.closed_span(n, None, None, 0, 10, Some(1), Some(9), fields, None);
        let t = b.finish();
        assert_eq!(endpoint_of(&t, SpanIdx(0)), "GET /a/b");
    }

    /// ```text
    /// req    [0 ───────────────── 100ms]  busy 1 ms
    ///   db     [5 ──── 85]  busy 0.1, idle 79.9 (awaited)   -> IoWait
    /// req2   [0 ───────────────── 100ms]  busy 95 ms
    ///   compute [2 ─── 97]  busy 95                          -> Cpu
    /// ```
    #[test]
    fn work_kind_from_busy_idle_of_children() {
        let mut b = TraceBuilder::new();
        let req = b.intern("http.request");
        let db = b.intern("db.query");
        let comp = b.intern("compute");
        let ms = 1_000_000;
        let f1 = vec![f(&mut b, "route", "/a")];
        let r1 = b.closed_span(
            req,
            None,
            None,
            0,
            100 * ms,
            Some(ms),
            Some(99 * ms),
            f1,
            None,
        );
        let dbf = vec![f(&mut b, "db.system", "postgresql")];
        b.closed_span(
            db,
            None,
            Some(r1),
            5 * ms,
            85 * ms,
            Some(ms / 10),
            Some(79 * ms + 9 * ms / 10),
            dbf,
            None,
        );
        let f2 = vec![f(&mut b, "route", "/b")];
        let r2 = b.closed_span(
            req,
            None,
            None,
            0,
            100 * ms,
            Some(95 * ms),
            Some(5 * ms),
            f2,
            None,
        );
        b.closed_span(
            comp,
            None,
            Some(r2),
            2 * ms,
            97 * ms,
            Some(95 * ms),
            Some(0),
            vec![],
            None,
        );
        let t = b.finish();
        let reqs = find_requests(&t, &Config::default(), &[]);
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[0].kind, WorkKind::IoWait);
        assert!(
            reqs[0]
                .io_evidence
                .as_deref()
                .unwrap()
                .contains("db.system=postgresql")
        );
        assert_eq!(reqs[1].kind, WorkKind::Cpu);
        assert_eq!(reqs[1].heavy, vec![(2 * ms, 97 * ms)]);
        assert_eq!(reqs[1].heavy_name.as_deref(), Some("compute"));
        assert_eq!(reqs[1].location, Location::Unknown);
    }

    /// A child busy while its parent request was idle ran elsewhere (spawn_blocking).
    #[test]
    fn child_busy_while_parent_idle_is_offloaded() {
        let mut b = TraceBuilder::new();
        let req = b.intern("http.request");
        let comp = b.intern("compute");
        let ms = 1_000_000;
        let f1 = vec![f(&mut b, "route", "/a")];
        let r = b.closed_span(
            req,
            None,
            None,
            0,
            100 * ms,
            Some(ms / 2),
            Some(99 * ms),
            f1,
            None,
        );
        b.closed_span(
            comp,
            None,
            Some(r),
            2 * ms,
            97 * ms,
            Some(95 * ms),
            Some(0),
            vec![],
            None,
        );
        let t = b.finish();
        let reqs = find_requests(&t, &Config::default(), &[]);
        assert_eq!(reqs[0].kind, WorkKind::Cpu);
        assert_eq!(reqs[0].location, Location::Offloaded);
    }

    #[test]
    fn overlap_and_merge() {
        let m = merge(vec![(10, 20), (0, 5), (15, 30)]);
        assert_eq!(m, vec![(0, 5), (10, 30)]);
        assert_eq!(overlap(&m, 3, 12), 4);
        assert_eq!(overlap(&m, 30, 40), 0);
        assert_eq!(overlap(&m, 0, 100), 25);
    }

    #[test]
    fn names_of_routes_are_not_io_evidence_but_child_conventions_are() {
        let mut b = TraceBuilder::new();
        let n = b.intern("handler_async_io");
        let s = b.closed_span(n, None, None, 0, 1, None, None, vec![], None);
        let k = b.intern("upstream_call");
        let s2 = b.closed_span(k, None, None, 0, 1, None, None, vec![], None);
        let t = b.finish();
        assert_eq!(io_shape(&t, s, &Config::default()), None);
        assert!(io_shape(&t, s2, &Config::default()).is_some());
    }
}
