//! `stallscope timeline`: one input's trace drawn in the terminal, one row per event-loop
//! worker or browser main thread (stalls and long tasks), one for the blocking pool taken
//! together, one density row per endpoint (requests in flight), the stall episodes numbered as
//! `analyze` lists them, and under it the worst windows (minimum mutator utilization,
//! [`crate::analyze::mmu`]). Draws what the analysis found; decides nothing.
//!
//! Each column covers `(to - from) / columns` of time. A worker's cell shows how much of the
//! column its stalls covered (`█` over half, `▓` less), else whether it ran polls (`░`), else
//! `·`. Density rows scale each row to its own busiest column: ` ▁▂▃▄▅▆▇█`.

use super::build::episode_out;
use super::text::{episode_line, safe};
use crate::analyze::Analysis;
use crate::analyze::mmu::{self, Mmu};
use crate::model::{Ns, ThreadIdx, ThreadRole, Trace};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Where a `--since`/`--until` points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeArg {
    /// From the start of the trace.
    Offset(Ns),
    /// A wall-clock time: Unix nanoseconds.
    Unix(Ns),
    /// A time of day (UTC), nanoseconds since midnight: the first such moment in the trace's day.
    TimeOfDay(Ns),
}

#[derive(Debug, Clone)]
pub struct TimelineOptions {
    pub since: Option<TimeArg>,
    pub until: Option<TimeArg>,
    /// Characters per line, labels included.
    pub width: usize,
    pub color: bool,
}

const LABEL: usize = 22;
/// The row of stalls without thread ids in a trace that has worker threads.
pub(super) const NO_THREAD: &str = "no thread id";
const RED: &str = "\x1b[31m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";
const DENSITY: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const DAY: Ns = 86_400_000_000_000;

/// Resolves a time argument to an offset in the trace; `Err` says why it cannot be.
fn resolve(arg: TimeArg, trace: &Trace, path: &str) -> Result<Ns, String> {
    let origin = || {
        trace.clock.origin_unix_ns.ok_or_else(|| {
            format!(
                "{path}: the trace has no wall-clock time: give --since/--until as offsets like 4.2s"
            )
        })
    };
    Ok(match arg {
        TimeArg::Offset(ns) => ns,
        TimeArg::Unix(ns) => ns - origin()?,
        TimeArg::TimeOfDay(tod) => (tod - origin()?.rem_euclid(DAY)).rem_euclid(DAY),
    })
}

/// Union of intervals, sorted, clipped to `[from, to)`.
pub(super) fn clip(mut iv: Vec<(Ns, Ns)>, from: Ns, to: Ns) -> Vec<(Ns, Ns)> {
    iv.retain(|&(s, e)| e > from && s < to);
    for x in &mut iv {
        *x = (x.0.max(from), x.1.min(to));
    }
    iv.sort_unstable();
    iv
}

/// Per column, the time `iv` covers in it (intervals may overlap: their sum is a load).
fn per_column(iv: &[(Ns, Ns)], from: Ns, col: f64, cols: usize) -> Vec<f64> {
    let mut v = vec![0.0; cols];
    for &(s, e) in iv {
        let a = ((s - from) as f64 / col).floor().max(0.0) as usize;
        let b = (((e - from) as f64 / col).ceil() as usize).min(cols);
        for (c, cell) in v.iter_mut().enumerate().take(b).skip(a) {
            let c0 = from as f64 + c as f64 * col;
            let c1 = c0 + col;
            let o = (e as f64).min(c1) - (s as f64).max(c0);
            if o > 0.0 {
                *cell += o;
            }
        }
    }
    v
}

fn secs(ns: Ns) -> String {
    format!("{:.2}", ns as f64 / 1e9)
}

fn pct(u: f64) -> String {
    let p = u * 100.0;
    if p > 0.0 && p < 1.0 {
        format!("{p:.1} %")
    } else {
        format!("{p:.0} %")
    }
}

fn window_words(w: Ns) -> String {
    if w >= 1_000_000_000 && w % 1_000_000_000 == 0 {
        format!("{} s", w / 1_000_000_000)
    } else {
        format!("{} ms", w / 1_000_000)
    }
}

fn label(s: &str) -> String {
    let s: String = safe(s).chars().take(LABEL - 1).collect();
    format!("{s:<LABEL$}")
}

pub(super) struct Lane {
    pub(super) name: String,
    pub(super) stalls: Vec<(Ns, Ns)>,
    pub(super) busy: Vec<(Ns, Ns)>,
}

/// The lanes MMU is computed over, and what they are.
pub struct Lanes {
    pub(super) lanes: Vec<Lane>,
    /// The lanes are stalls without thread ids taken together as one worker.
    pub(super) unthreaded: bool,
}

pub(super) fn lanes(trace: &Trace, a: &Analysis, from: Ns, to: Ns) -> Lanes {
    let mut by_thread: BTreeMap<ThreadIdx, Lane> = BTreeMap::new();
    // The key first: thread names (`tokio-runtime-worker`) are alike and cut short.
    let name = |t: ThreadIdx| {
        let th = trace.thread(t);
        match &th.name {
            Some(n) if *n != th.key => format!("{} {}", th.key, n),
            _ => th.key.clone(),
        }
    };
    // A browser trace's main threads are event loops by the format's definition; its other
    // threads (IO, compositor, pools) may behave like event loops too, but its stalls and long
    // tasks are the main threads': only those get a row (and count in the worst windows).
    let defined = |t: ThreadIdx| trace.thread(t).role_hint == Some(ThreadRole::EventLoop);
    let browser = a.threads.iter().any(|t| defined(t.idx));
    for t in &a.threads {
        if t.role == ThreadRole::EventLoop && (!browser || defined(t.idx)) {
            by_thread.insert(
                t.idx,
                Lane {
                    name: name(t.idx),
                    stalls: Vec::new(),
                    busy: Vec::new(),
                },
            );
        }
    }
    let mut unthreaded = Vec::new();
    let long_tasks = a.browser.long_tasks.iter().map(|l| &l.stall);
    for s in a.stalls.iter().chain(long_tasks).chain(&a.runtime.stalls) {
        match s.thread {
            Some(t) => by_thread
                .entry(t)
                .or_insert_with(|| Lane {
                    name: name(t),
                    stalls: Vec::new(),
                    busy: Vec::new(),
                })
                .stalls
                .push((s.start, s.end)),
            None => unthreaded.push((s.start, s.end)),
        }
    }
    for e in &trace.executions {
        if let Some(l) = e.thread.and_then(|t| by_thread.get_mut(&t)) {
            l.busy.push((e.start, e.end));
        }
    }
    let mut out: Vec<Lane> = by_thread
        .into_values()
        .map(|l| Lane {
            name: l.name,
            stalls: clip(l.stalls, from, to),
            busy: clip(l.busy, from, to),
        })
        .collect();
    let only_unthreaded = out.is_empty() && !unthreaded.is_empty();
    if only_unthreaded {
        // No worker threads: the stalls are dealt to as many rows as were stalled at once (the
        // first row free at each start), or as many as the recording says the runtime had, so
        // that each moment shows how many workers were stalled.
        let mut rows: Vec<Vec<(Ns, Ns)>> = vec![Vec::new(); a.runtime.workers];
        let mut iv = clip(unthreaded, from, to);
        iv.sort_unstable();
        for (st, en) in iv {
            match rows.iter_mut().find(|r| r.last().is_none_or(|l| l.1 <= st)) {
                Some(r) => r.push((st, en)),
                None => rows.push(vec![(st, en)]),
            }
        }
        let n = rows.len();
        for (i, r) in rows.into_iter().enumerate() {
            out.push(Lane {
                name: format!("worker {} of {n}?", i + 1),
                stalls: r,
                busy: Vec::new(),
            });
        }
    } else if !unthreaded.is_empty() {
        out.push(Lane {
            name: NO_THREAD.into(),
            stalls: clip(unthreaded, from, to),
            busy: Vec::new(),
        });
    }
    Lanes {
        lanes: out,
        unthreaded: only_unthreaded,
    }
}

/// The end of the trace: the last thing that ended in it.
pub(super) fn extent(trace: &Trace, a: &Analysis) -> Ns {
    let ends = trace
        .executions
        .iter()
        .map(|e| e.end)
        .chain(a.requests.iter().map(|r| r.end))
        .chain(a.stalls.iter().map(|s| s.end))
        .chain(a.runtime.stalls.iter().map(|s| s.end))
        .chain(a.runtime.episodes.iter().map(|e| e.end))
        .chain(a.browser.long_tasks.iter().map(|l| l.stall.end))
        .chain(trace.spans.iter().map(|s| s.end))
        .chain(trace.network.iter().map(net_end));
    ends.max().unwrap_or(0)
}

/// The MMU of the event-loop lanes for Go's three window sizes, and per window the worst
/// single lane. Empty when the trace has no event-loop lane.
pub fn worst_windows(
    trace: &Trace,
    a: &Analysis,
    from: Ns,
    to: Ns,
) -> Vec<(Mmu, Option<(String, Mmu)>)> {
    let l = lanes(trace, a, from, to);
    // The unthreaded lane joins the others only when it is the only one (its stalls may be
    // on any worker).
    let loop_lanes: Vec<&Lane> = l
        .lanes
        .iter()
        .filter(|x| l.unthreaded || x.name != NO_THREAD)
        .collect();
    let all: Vec<Vec<(Ns, Ns)>> = loop_lanes.iter().map(|x| x.stalls.clone()).collect();
    mmu::WINDOWS
        .iter()
        .filter_map(|&w| {
            let whole = mmu::mmu(&all, from, to, w)?;
            // Rows dealt from stalls without thread ids are not threads: no worst thread.
            let worst = (loop_lanes.len() > 1 && !l.unthreaded)
                .then(|| {
                    loop_lanes
                        .iter()
                        .filter_map(|x| {
                            mmu::mmu(std::slice::from_ref(&x.stalls), from, to, w)
                                .map(|m| (x.name.clone(), m))
                        })
                        .min_by(|a, b| a.1.utilization.total_cmp(&b.1.utilization))
                })
                .flatten();
            Some((whole, worst))
        })
        .collect()
}

/// Draws one input.
pub fn render(
    path: &str,
    trace: &Trace,
    a: &Analysis,
    opt: &TimelineOptions,
    out: &mut dyn Write,
) -> Result<io::Result<()>, String> {
    let end = extent(trace, a);
    let from = match opt.since {
        Some(t) => resolve(t, trace, path)?,
        None => 0,
    };
    let to = match opt.until {
        Some(t) => resolve(t, trace, path)?,
        None => end,
    };
    if to <= from {
        return Err(format!(
            "{path}: nothing to draw from {} s to {} s (the trace ends at {} s)",
            secs(from),
            secs(to),
            secs(end)
        ));
    }
    Ok(draw(path, trace, a, opt, from, to, out))
}

fn draw(
    path: &str,
    trace: &Trace,
    a: &Analysis,
    opt: &TimelineOptions,
    from: Ns,
    to: Ns,
    out: &mut dyn Write,
) -> io::Result<()> {
    let cols = opt.width.saturating_sub(LABEL).max(10);
    let col = (to - from) as f64 / cols as f64;
    let paint = |s: &str, c: &str| {
        if opt.color && !s.trim().is_empty() {
            format!("{c}{s}{RESET}")
        } else {
            s.to_string()
        }
    };
    writeln!(
        out,
        "{}: {}-{} s, {} columns of {:.1} ms",
        safe(path),
        secs(from),
        secs(to),
        cols,
        col / 1e6
    )?;
    // Time axis: a label every ~20 columns.
    let mut axis = vec![' '; cols];
    let mut c = 0;
    while c < cols {
        let t = format!("{}s", secs(from + (c as f64 * col) as Ns));
        if c + t.len() <= cols {
            for (i, ch) in t.chars().enumerate() {
                axis[c + i] = ch;
            }
        }
        c += 20;
    }
    writeln!(out, "{}{}", label(""), axis.iter().collect::<String>())?;

    // Episodes, numbered in the order `analyze` lists them: a recording's, then the server's.
    let all_episodes: Vec<&crate::analyze::Episode> =
        a.runtime.episodes.iter().chain(&a.episodes).collect();
    let episodes: Vec<_> = all_episodes
        .iter()
        .copied()
        .filter(|e| e.end > from && e.start < to)
        .collect();
    if !episodes.is_empty() {
        let mut row = vec![' '; cols];
        let span = |e: &crate::analyze::Episode| {
            let c0 = (((e.start.max(from) - from) as f64 / col) as usize).min(cols - 1);
            let c1 = (((e.end.min(to) - from) as f64 / col).ceil() as usize).clamp(c0 + 1, cols);
            (c0, c1)
        };
        for e in &episodes {
            let (c0, c1) = span(e);
            for cell in &mut row[c0..c1] {
                *cell = '─';
            }
        }
        for (n, e) in all_episodes.iter().enumerate() {
            if e.end <= from || e.start >= to {
                continue;
            }
            let (c0, _) = span(e);
            // The number where it fits; an episode too close to the one before keeps its
            // line only (the list below has them all).
            let num: Vec<char> = (n + 1).to_string().chars().collect();
            let free = c0 + num.len() <= cols
                && (c0 == 0 || !row[c0 - 1].is_ascii_digit())
                && row[c0..c0 + num.len()].iter().all(|c| !c.is_ascii_digit());
            if free {
                row[c0..c0 + num.len()].copy_from_slice(&num);
            }
        }
        let row: String = row.into_iter().collect();
        writeln!(out, "{}{}", label("episodes"), paint(&row, RED))?;
    }

    let l = lanes(trace, a, from, to);
    for lane in &l.lanes {
        let st = per_column(&lane.stalls, from, col, cols);
        let busy = per_column(&lane.busy, from, col, cols);
        let mut line = String::new();
        for c in 0..cols {
            let (s, b) = (st[c] / col, busy[c]);
            let cell = if s > 0.5 {
                paint("█", RED)
            } else if s > 0.0 {
                paint("▓", RED)
            } else if b > 0.0 {
                paint("░", DIM)
            } else {
                "·".to_string()
            };
            line.push_str(&cell);
        }
        writeln!(out, "{}{}", label(&lane.name), line)?;
    }
    // A HAR: the browser's requests are all there is.
    let network_only = l.lanes.is_empty() && !trace.network.is_empty();
    if l.lanes.is_empty() && !network_only {
        writeln!(
            out,
            "{}(no event-loop worker or main thread in this trace)",
            label("")
        )?;
    }

    // The blocking pool, taken together: how many of its threads ran at once.
    if let Some((threads, iv)) = pool_work(trace, a) {
        let load = per_column(&clip(iv, from, to), from, col, cols);
        // Nothing the trace shows ran there in the range (a browser's pools): no row.
        if load.iter().any(|&v| v > 0.0) {
            let name = format!("blocking pool ({threads})");
            writeln!(out, "{}{}", label(&name), density(&load))?;
        }
    }

    // Requests in flight, per endpoint, in the order endpoints were first seen.
    let mut endpoints: Vec<(&str, Vec<(Ns, Ns)>)> = Vec::new();
    for r in &a.requests {
        match endpoints.iter_mut().find(|(e, _)| *e == &*r.endpoint) {
            Some((_, v)) => v.push((r.start, r.end)),
            None => endpoints.push((&r.endpoint, vec![(r.start, r.end)])),
        }
    }
    for (e, iv) in endpoints {
        let load = per_column(&clip(iv, from, to), from, col, cols);
        writeln!(out, "{}{}", label(e), density(&load))?;
    }
    network_rows(trace, from, to, col, cols, opt.width, out)?;
    let polls = l.lanes.iter().any(|x| !x.busy.is_empty());
    if network_only {
        let text = format!(
            "The input holds the browser's requests only (no threads, no stalls): no worst \
             window to show; `stallscope analyze {}` judges their server waits.",
            safe(path)
        );
        return wrap(out, &text, opt.width, "", "  ");
    }
    let legend = format!(
        "{} stall over half the column; {} stall in part;{} · idle; ▁▂▃▄▅▆▇█ in flight",
        paint("█", RED),
        paint("▓", RED),
        if polls {
            format!(" {} polls;", paint("░", DIM))
        } else {
            String::new()
        },
    );
    wrap(out, &legend, opt.width, &label(""), &label(""))?;

    if !episodes.is_empty() {
        writeln!(
            out,
            "Episodes (numbered as `stallscope analyze` lists them):"
        )?;
        for (n, e) in all_episodes.iter().enumerate() {
            if e.end <= from || e.start >= to {
                continue;
            }
            let number = format!("  {:>2}  ", n + 1);
            let text = episode_line(&episode_out(path, e));
            wrap(out, &text, opt.width, &number, "      ")?;
        }
    }

    let worst = worst_windows(trace, a, from, to);
    if worst.is_empty() {
        return writeln!(
            out,
            "No event-loop worker or main thread: no worst window to show."
        );
    }
    let loop_lanes = l
        .lanes
        .iter()
        .filter(|x| l.unthreaded || x.name != NO_THREAD)
        .count();
    let what = if l.unthreaded {
        format!(
            "stalls without thread ids, dealt to {loop_lanes} worker rows (the most stalled at once, or the workers the recording names)"
        )
    } else if loop_lanes == 1 {
        "1 event-loop thread".to_string()
    } else {
        format!("{loop_lanes} event-loop threads together")
    };
    let head = format!(
        "Worst windows (minimum mutator utilization, as Go's execution tracer reports it; free = not in a stall; {what}):"
    );
    wrap(out, &head, opt.width, "", "  ")?;
    for (m, one) in worst {
        let shorter = if m.used < m.window {
            " window (here the whole range: "
        } else {
            " ("
        };
        let mut line = format!(
            "in the worst {}{}{}-{} s) the event loop was free {} of the time",
            window_words(m.window),
            shorter,
            secs(m.start),
            secs(m.end),
            pct(m.utilization)
        );
        if let Some((name, w)) = one {
            line.push_str(&format!(
                "; worst thread {} free {} ({}-{} s)",
                safe(&name),
                pct(w.utilization),
                secs(w.start),
                secs(w.end)
            ));
        }
        wrap(out, &line, opt.width, "  ", "    ")?;
    }
    Ok(())
}

/// Request rows drawn at most; beyond, the longest are drawn (and the rest counted).
const NETWORK_ROWS: usize = 24;

/// The last byte of a browser request, by its own timing when it has one.
fn net_end(n: &crate::model::NetworkRequest) -> Ns {
    n.finish_time.unwrap_or(n.end).max(n.end)
}

/// A browser request's phases as the input gives them, each `(start, end, mark)`:
///
/// ```text
/// start          sent              first byte       last byte
///   |--- setup ---|===== wait ========|~~ receive ~~~|
/// ```
///
/// setup is blocked/queued + DNS + connect (+ TLS) + send. A request without a send and a first
/// byte (a cache hit, a failure) is one `+` bar, start to end.
fn phases(n: &crate::model::NetworkRequest) -> Vec<(Ns, Ns, char)> {
    let end = net_end(n);
    match (n.sent, n.first_byte) {
        (Some(sent), Some(first)) if n.start <= sent && sent <= first => vec![
            (n.start, sent, '-'),
            (sent, first, '='),
            (first, end.max(first), '~'),
        ],
        _ => vec![(n.start, end, '+')],
    }
}

/// One row per browser request (the [`NETWORK_ROWS`] longest when there are more, in the order
/// they started), each column showing the phase that covers most of it, then a density row of
/// the requests in flight. Nothing when the input has no browser requests in `[from, to)`.
fn network_rows(
    trace: &Trace,
    from: Ns,
    to: Ns,
    col: f64,
    cols: usize,
    width: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut shown: Vec<usize> = (0..trace.network.len())
        .filter(|&i| {
            let n = &trace.network[i];
            net_end(n) > from && n.start < to
        })
        .collect();
    if shown.is_empty() {
        return Ok(());
    }
    let in_range = shown.len();
    if in_range > NETWORK_ROWS {
        shown.sort_by_key(|&i| {
            let n = &trace.network[i];
            (std::cmp::Reverse(net_end(n) - n.start), i)
        });
        shown.truncate(NETWORK_ROWS);
    }
    shown.sort_by_key(|&i| (trace.network[i].start, i));
    writeln!(out, "{}browser requests:", label(""))?;
    for &i in &shown {
        let n = &trace.network[i];
        let parts: Vec<(char, Vec<f64>)> = phases(n)
            .into_iter()
            .map(|(s, e, mark)| {
                // A phase shorter than a column still shows: at least 1 ns of it.
                let iv = clip(vec![(s, e.max(s + 1))], from, to);
                (mark, per_column(&iv, from, col, cols))
            })
            .collect();
        let row: String = (0..cols)
            .map(|c| {
                parts
                    .iter()
                    .filter(|(_, v)| v[c] > 0.0)
                    .max_by(|a, b| a.1[c].total_cmp(&b.1[c]))
                    .map_or(' ', |(mark, _)| *mark)
            })
            .collect();
        let path = {
            let after = n.url.find("://").map_or(0, |i| i + 3);
            let rest = &n.url[after..];
            rest.find('/').map_or("/", |i| &rest[i..])
        };
        let method = if n.method.is_empty() {
            "GET"
        } else {
            &n.method
        };
        writeln!(out, "{}{row}", label(&format!("{method} {path}")))?;
    }
    if in_range > shown.len() {
        wrap(
            out,
            &format!(
                "({} more requests in this range not drawn: the {} longest are)",
                in_range - shown.len(),
                shown.len()
            ),
            width,
            &label(""),
            &label(""),
        )?;
    }
    let iv: Vec<(Ns, Ns)> = trace
        .network
        .iter()
        .map(|n| (n.start, net_end(n).max(n.start + 1)))
        .collect();
    let load = per_column(&clip(iv, from, to), from, col, cols);
    writeln!(out, "{}{}", label("requests in flight"), density(&load))?;
    wrap(
        out,
        "- blocked, DNS, connect, send; = waiting for the first byte (server time and a round \
         trip); ~ receiving; + no phases recorded (a cache hit, a failure)",
        width,
        &label(""),
        &label(""),
    )
}

/// `text` in lines of at most `width` characters, broken between words.
fn wrap(out: &mut dyn Write, text: &str, width: usize, first: &str, rest: &str) -> io::Result<()> {
    let mut line = String::from(first);
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > width {
            writeln!(out, "{line}")?;
            line = String::from(rest);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    writeln!(out, "{line}")
}

fn density(load: &[f64]) -> String {
    let max = load.iter().copied().fold(0.0, f64::max);
    load.iter()
        .map(|&v| {
            if v <= 0.0 || max <= 0.0 {
                DENSITY[0]
            } else {
                DENSITY[((v / max * 8.0).ceil() as usize).clamp(1, 8)]
            }
        })
        .collect()
}

/// The blocking pool taken together: its thread count and when its threads ran: polls on pool
/// threads where the trace kept them, else the heavy work of requests that ran on the pool
/// (traces read as a stream keep no polls). None without a pool. Shared with the HTML lanes.
pub(super) fn pool_work(trace: &Trace, a: &Analysis) -> Option<(usize, Vec<(Ns, Ns)>)> {
    let pool: Vec<ThreadIdx> = a
        .threads
        .iter()
        .filter(|t| t.role == ThreadRole::Blocking)
        .map(|t| t.idx)
        .collect();
    if pool.is_empty() {
        return None;
    }
    let mut iv: Vec<(Ns, Ns)> = trace
        .executions
        .iter()
        .filter(|e| e.thread.is_some_and(|t| pool.contains(&t)))
        .map(|e| (e.start, e.end))
        .collect();
    if iv.is_empty() {
        iv = a
            .requests
            .iter()
            .filter(|r| r.per_thread.iter().any(|(t, _, _)| pool.contains(t)))
            .flat_map(|r| r.heavy.iter().copied())
            .collect();
    }
    Some((pool.len(), iv))
}
