//! A trace written as a timeline, for detector tests: spans with their polls on named threads
//! (or without threads, or known only from their close), fed to the real
//! [`TraceBuilder`] in time order.
//!
//! ```text
//! let mut t = Timeline::new();
//! let w1 = t.thread("w1");
//! let r = t.request("GET /report", 0, 120);   // a request span, 0 to 120 ms
//! t.poll(r, Some(w1), 0, 100);                 // entered on w1 from 0 to 100 ms
//! let trace = t.finish();
//! ```

use crate::model::{FieldValue, Ns, SpanIdx, Sym, ThreadIdx, Trace, TraceBuilder};

pub const MS: Ns = 1_000_000;

/// A span of the timeline, by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct S(usize);

#[derive(Debug)]
struct SpanDef {
    name: String,
    fields: Vec<(String, String)>,
    parent: Option<S>,
    start: Ns,
    end: Ns,
    /// Known only from its close, with these busy and idle times.
    closed: Option<(Ns, Ns)>,
    depth: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Exit,
    Close,
    Open,
    Enter,
}

#[derive(Debug, Default)]
pub struct Timeline {
    threads: Vec<String>,
    spans: Vec<SpanDef>,
    polls: Vec<(S, Option<usize>, Ns, Ns)>,
}

impl Timeline {
    pub fn new() -> Self {
        Timeline::default()
    }

    /// A thread, by its key.
    pub fn thread(&mut self, key: &str) -> usize {
        self.threads.push(key.to_string());
        self.threads.len() - 1
    }

    /// A request span `GET /x` from `start_ms` to `end_ms`.
    pub fn request(&mut self, endpoint: &str, start_ms: f64, end_ms: f64) -> S {
        let (method, route) = endpoint.split_once(' ').unwrap_or(("GET", endpoint));
        self.span(
            "request",
            &[("method", method), ("route", route)],
            None,
            start_ms,
            end_ms,
        )
    }

    /// A span with fields, under `parent`.
    pub fn span(
        &mut self,
        name: &str,
        fields: &[(&str, &str)],
        parent: Option<S>,
        start_ms: f64,
        end_ms: f64,
    ) -> S {
        let depth = parent.map_or(0, |p| self.spans[p.0].depth + 1);
        self.spans.push(SpanDef {
            name: name.to_string(),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            parent,
            start: ms(start_ms),
            end: ms(end_ms),
            closed: None,
            depth,
        });
        S(self.spans.len() - 1)
    }

    /// The span ran (was entered) from `start_ms` to `end_ms`, on `thread` when known.
    pub fn poll(
        &mut self,
        span: S,
        thread: Option<usize>,
        start_ms: f64,
        end_ms: f64,
    ) -> &mut Self {
        self.polls.push((span, thread, ms(start_ms), ms(end_ms)));
        self
    }

    /// The span is known only from its close (`FmtSpan::CLOSE`): busy `busy_ms`, the rest idle.
    pub fn close_only(&mut self, span: S, busy_ms: f64) -> &mut Self {
        let d = &mut self.spans[span.0];
        let busy = ms(busy_ms);
        d.closed = Some((busy, (d.end - d.start - busy).max(0)));
        self
    }

    /// Builds the trace through [`TraceBuilder`], every event in time order.
    pub fn finish(self) -> Trace {
        let mut b = TraceBuilder::new();
        let threads: Vec<ThreadIdx> = self.threads.iter().map(|k| b.thread(k, None)).collect();
        let mut events: Vec<(Ns, Kind, isize, usize, Option<usize>)> = Vec::new();
        for (i, d) in self.spans.iter().enumerate() {
            if d.closed.is_some() {
                continue;
            }
            events.push((d.start, Kind::Open, d.depth as isize, i, None));
            events.push((d.end, Kind::Close, -(d.depth as isize), i, None));
        }
        for &(s, th, start, end) in &self.polls {
            events.push((start, Kind::Enter, self.spans[s.0].depth as isize, s.0, th));
            events.push((end, Kind::Exit, -(self.spans[s.0].depth as isize), s.0, th));
        }
        events.sort_by_key(|e| (e.0, e.1, e.2, e.3));
        let mut idx: Vec<Option<SpanIdx>> = vec![None; self.spans.len()];
        // Close-only spans are added parents first, as a log prints them children first but
        // the builder needs the parent's index.
        let mut order: Vec<usize> = (0..self.spans.len()).collect();
        order.sort_by_key(|&i| self.spans[i].depth);
        for i in order {
            let d = &self.spans[i];
            if let Some((busy, idle)) = d.closed {
                let name = b.intern(&d.name);
                let fields = fields(&mut b, &d.fields);
                let parent = d.parent.and_then(|p| idx[p.0]);
                idx[i] = Some(b.closed_span(
                    name,
                    None,
                    parent,
                    d.start,
                    d.end,
                    Some(busy),
                    Some(idle),
                    fields,
                    None,
                ));
            }
        }
        for (t, kind, _, i, th) in events {
            let thread = th.map(|k| threads[k]);
            match kind {
                Kind::Open => {
                    let d = &self.spans[i];
                    let name = b.intern(&d.name);
                    let fields = fields(&mut b, &d.fields);
                    let parent = d.parent.and_then(|p| idx[p.0]);
                    idx[i] = Some(b.open_span(name, None, parent, t, fields));
                }
                Kind::Enter => {
                    if let Some(s) = idx[i] {
                        b.enter(s, thread, t);
                    }
                }
                Kind::Exit => {
                    if let Some(s) = idx[i] {
                        b.exit(s, thread, t);
                    }
                }
                Kind::Close => {
                    if let Some(s) = idx[i] {
                        b.close(s, t, None, None, thread);
                    }
                }
            }
        }
        b.finish()
    }
}

fn ms(v: f64) -> Ns {
    (v * MS as f64).round() as Ns
}

fn fields(b: &mut TraceBuilder, f: &[(String, String)]) -> Vec<(Sym, FieldValue)> {
    f.iter()
        .map(|(k, v)| (b.intern(k), v.as_str().into()))
        .collect()
}
