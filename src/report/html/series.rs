//! The series the HTML page draws, for one input: lanes per event-loop thread (stalls, polls),
//! the blocking pool, stall episodes with the requests they delayed, and per endpoint its
//! requests over time with p50/p95. Bounded whatever the trace's size: polls and requests in
//! flight become [`BINS`] time bins, stalls and request points are cut to the longest
//! [`MAX_STALLS`] and a sample of [`MAX_POINTS`] (every victim and culprit first), and what was
//! cut is said in [`InputSeries::sampling`]. Figures in ms, rounded to 0.01 ms as in the JSON.

use super::super::build::episode_out;
use super::super::text::{episode_line, to_ms};
use super::super::timeline::{self, NO_THREAD};
use crate::analyze::stats::percentile;
use crate::analyze::{Analysis, Episode, Stall};
use crate::model::{Ns, Trace};
use serde::Serialize;
use std::collections::HashMap;

/// Time bins of a lane over the whole trace.
pub const BINS: usize = 2000;
/// Time bins of an endpoint's p50/p95 lines.
pub const PCT_BINS: usize = 50;
/// Polls kept as exact intervals over all lanes; beyond, lanes get bins.
pub const MAX_INTERVALS: usize = 20_000;
/// Stalls kept with their details (the longest); every stall is in the lanes' stall bins.
pub const MAX_STALLS: usize = 5_000;
/// Request points kept per input.
pub const MAX_POINTS: usize = 20_000;
/// Lanes drawn (event-loop threads first as the trace has them).
pub const MAX_LANES: usize = 32;
/// Endpoints drawn (most requests first).
pub const MAX_ENDPOINTS: usize = 40;
/// Episodes drawn (the longest).
pub const MAX_EPISODES: usize = 2_000;
/// Victims listed per episode.
pub const MAX_VICTIMS: usize = 500;
/// Victims listed over all episodes.
pub const MAX_VICTIMS_ALL: usize = 20_000;

/// Point flags: the request was delayed by a stall episode (a victim).
pub const DELAYED: u8 = 1;
/// The request ran a stall (a culprit).
pub const CULPRIT: u8 = 2;
/// The request was cut off by the end of the trace.
pub const CUT_OFF: u8 = 4;

#[derive(Debug, Serialize)]
pub struct InputSeries {
    pub input: String,
    /// The trace's end: the last thing that ended in it.
    pub end_ms: f64,
    /// Width of one lane bin.
    pub bin_ms: f64,
    pub lanes: Vec<LaneSeries>,
    /// Culprit names, referred to by index from `stalls`.
    pub names: Vec<String>,
    /// `[lane, start_ms, duration_ms, name, delayed, episode]`; episode -1 when none.
    pub stalls: Vec<(u32, f64, f64, u32, u64, i64)>,
    pub stalls_total: usize,
    pub episodes: Vec<EpisodeSeries>,
    pub episodes_total: usize,
    pub endpoints: Vec<EndpointSeries>,
    pub requests_total: usize,
    /// What the latency charts plot: `duration` (server requests) or `server wait` (the
    /// requests a browser made).
    pub value: &'static str,
    /// Browser navigations: `[start_ms, lcp_ms or -1, url]` (LCP from the trace's start).
    pub navigations: Vec<(f64, f64, String)>,
    /// What was aggregated or sampled, in words (empty when nothing was).
    pub sampling: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct LaneSeries {
    pub name: String,
    /// `thread` (an event-loop worker or main thread), `unthreaded` (stalls without thread
    /// ids), `pool` (the blocking pool taken together).
    pub kind: &'static str,
    /// Polls as `[start_ms, end_ms]`, when all lanes together have few enough.
    pub busy: Option<Vec<(f64, f64)>>,
    /// Otherwise per bin the fraction of it in polls (for the pool: threads busy at once).
    pub busy_bins: Option<Vec<f32>>,
    /// When stalls were cut: per bin the fraction of it in a stall, over every stall.
    pub stall_bins: Option<Vec<f32>>,
}

#[derive(Debug, Serialize)]
pub struct EpisodeSeries {
    /// As `analyze` numbers them.
    pub number: usize,
    pub start_ms: f64,
    pub end_ms: f64,
    /// The episode line of the terminal report.
    pub line: String,
    pub delayed: u64,
    /// Delayed requests drawn: `[endpoint, point]`.
    pub victims: Vec<(u32, u32)>,
    /// Delayed requests overlapping the episode (drawn or not).
    pub victims_total: usize,
}

#[derive(Debug, Serialize)]
pub struct EndpointSeries {
    pub name: String,
    pub requests: usize,
    /// `[start_ms, duration_ms, flags]`, by start.
    pub points: Vec<(f64, f64, u8)>,
    /// Per time bin with requests starting in it: `[bin middle ms, p50 ms, p95 ms]`, over every
    /// request (not only the points).
    pub pct: Vec<(f64, f64, f64)>,
    /// Per lane bin, the mean number of its requests in flight.
    pub in_flight: Vec<f32>,
}

fn round2(v: f64) -> f32 {
    ((v * 100.0).round() / 100.0) as f32
}

/// Per bin, the time `iv` covers in it over the bin's width.
fn bins(iv: &[(Ns, Ns)], end: Ns, n: usize) -> Vec<f32> {
    let w = end.max(1) as f64 / n as f64;
    let mut v = vec![0.0f64; n];
    for &(s, e) in iv {
        let (s, e) = (s.max(0) as f64, (e.min(end)) as f64);
        if e <= s {
            continue;
        }
        let a = ((s / w).floor() as usize).min(n - 1);
        let b = ((e / w).ceil() as usize).clamp(a + 1, n);
        for (c, cell) in v.iter_mut().enumerate().take(b).skip(a) {
            let c0 = c as f64 * w;
            let o = e.min(c0 + w) - s.max(c0);
            if o > 0.0 {
                *cell += o;
            }
        }
    }
    v.into_iter().map(|x| round2(x / w)).collect()
}

/// `k` of `m` items, evenly spread: their positions.
fn spread(m: usize, k: usize) -> impl Iterator<Item = usize> {
    (0..k.min(m)).map(move |j| j * m / k.min(m).max(1))
}

/// A request as the latency charts see it.
struct Item {
    endpoint: String,
    start: Ns,
    end: Ns,
    /// What the chart plots: the request's duration, or a browser request's server wait.
    value: Ns,
    flags: u8,
}

/// The series of one analyzed input.
pub fn build(path: &str, trace: &Trace, a: &Analysis) -> InputSeries {
    // A browser trace's requests and paints count too.
    let browser_end = a
        .browser
        .network
        .iter()
        .map(|n| n.end)
        .chain(
            a.browser
                .navigations
                .iter()
                .filter_map(|n| n.lcp.map(|l| n.start + l)),
        )
        .max()
        .unwrap_or(0);
    let end = timeline::extent(trace, a).max(browser_end).max(1);
    let mut sampling = Vec::new();
    let l = timeline::lanes(trace, a, 0, end);
    let mut lanes_in = l.lanes;
    if lanes_in.len() > MAX_LANES {
        sampling.push(format!(
            "{} of {} event-loop lanes are drawn.",
            MAX_LANES,
            lanes_in.len()
        ));
        lanes_in.truncate(MAX_LANES);
    }
    // Which lane each stall is on: the lanes hold the stalls' intervals as they are.
    let mut lane_of: HashMap<(Ns, Ns), Vec<u32>> = HashMap::new();
    for (i, lane) in lanes_in.iter().enumerate() {
        for &iv in &lane.stalls {
            lane_of.entry(iv).or_default().push(i as u32);
        }
    }
    let intervals: usize = lanes_in.iter().map(|x| x.busy.len()).sum();
    let exact = intervals <= MAX_INTERVALS;
    if !exact {
        sampling.push(format!(
            "The lanes show the share of each of {BINS} time bins spent in polls ({intervals} polls in all), not each poll."
        ));
    }
    let all_stalls: Vec<&Stall> = a
        .stalls
        .iter()
        .chain(a.browser.long_tasks.iter().map(|l| &l.stall))
        .chain(&a.runtime.stalls)
        .collect();
    let cut_stalls = all_stalls.len() > MAX_STALLS;
    let mut lanes: Vec<LaneSeries> = lanes_in
        .iter()
        .map(|x| LaneSeries {
            name: x.name.clone(),
            kind: if l.unthreaded || x.name == NO_THREAD {
                "unthreaded"
            } else {
                "thread"
            },
            busy: exact.then(|| x.busy.iter().map(|&(s, e)| (to_ms(s), to_ms(e))).collect()),
            busy_bins: (!exact).then(|| bins(&x.busy, end, BINS)),
            stall_bins: cut_stalls.then(|| bins(&x.stalls, end, BINS)),
        })
        .collect();
    if let Some(pool) = pool_lane(trace, a, end) {
        lanes.push(pool);
    }

    // Episodes, numbered as `analyze` lists them: a recording's, then the server's.
    let numbered: Vec<(usize, &Episode, bool)> = a
        .runtime
        .episodes
        .iter()
        .map(|e| (e, false))
        .chain(a.episodes.iter().map(|e| (e, true)))
        .enumerate()
        .map(|(n, (e, server))| (n, e, server))
        .collect();
    let episodes_total = numbered.len();
    let mut kept_eps = numbered.clone();
    if kept_eps.len() > MAX_EPISODES {
        kept_eps.sort_by_key(|e| std::cmp::Reverse(e.1.end - e.1.start));
        kept_eps.truncate(MAX_EPISODES);
        kept_eps.sort_by_key(|e| e.0);
        sampling.push(format!(
            "The {MAX_EPISODES} longest of {episodes_total} stall episodes are drawn."
        ));
    }

    // Requests per endpoint, most requests first: the server's requests, else the requests
    // a browser made (their server wait, DevTools' "Waiting for server response").
    let browser_requests = a.requests.is_empty() && !a.browser.network.is_empty();
    let culprits: std::collections::HashSet<usize> =
        all_stalls.iter().filter_map(|s| s.request).collect();
    let items: Vec<Item> = if browser_requests {
        a.browser
            .network
            .iter()
            .map(|n| Item {
                endpoint: crate::analyze::browser::endpoint(&n.method, &n.url),
                start: n.start,
                end: n.end.max(n.start),
                value: n.server_wait.unwrap_or(n.end - n.start),
                flags: 0,
            })
            .collect()
    } else {
        a.requests
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut flags = 0;
                if a.victims.victims.contains_key(&i) {
                    flags |= DELAYED;
                }
                if culprits.contains(&i) {
                    flags |= CULPRIT;
                }
                if r.cut_off {
                    flags |= CUT_OFF;
                }
                Item {
                    endpoint: r.endpoint.to_string(),
                    start: r.start,
                    end: r.end,
                    value: r.duration(),
                    flags,
                }
            })
            .collect()
    };
    let mut by_ep: Vec<(String, Vec<usize>)> = Vec::new();
    let mut ep_ix: HashMap<&str, usize> = HashMap::new();
    for (i, r) in items.iter().enumerate() {
        let k = *ep_ix.entry(&r.endpoint).or_insert_with(|| {
            by_ep.push((r.endpoint.clone(), Vec::new()));
            by_ep.len() - 1
        });
        by_ep[k].1.push(i);
    }
    by_ep.sort_by_key(|e| std::cmp::Reverse(e.1.len()));
    if by_ep.len() > MAX_ENDPOINTS {
        sampling.push(format!(
            "The {MAX_ENDPOINTS} endpoints with the most requests of {} are drawn.",
            by_ep.len()
        ));
        by_ep.truncate(MAX_ENDPOINTS);
    }
    let total = items.len();
    let mut point_of: HashMap<usize, (u32, u32)> = HashMap::new();
    let mut endpoints = Vec::with_capacity(by_ep.len());
    let mut shown = 0;
    for (k, (name, mut ix)) in by_ep.into_iter().enumerate() {
        ix.sort_by_key(|&i| items[i].start);
        let n = ix.len();
        let quota = (MAX_POINTS * n / total.max(1)).max(n.min(200));
        let keep: Vec<usize> = if n <= quota {
            ix.clone()
        } else {
            let mut take = vec![false; n];
            // Victims and culprits first (up to half), the slowest 20, then evenly spread.
            let flagged: Vec<usize> = (0..n).filter(|&j| items[ix[j]].flags != 0).collect();
            for p in spread(flagged.len(), quota / 2) {
                take[flagged[p]] = true;
            }
            let mut by_value: Vec<usize> = (0..n).collect();
            by_value.sort_by_key(|&j| std::cmp::Reverse(items[ix[j]].value));
            for &j in by_value.iter().take(20) {
                take[j] = true;
            }
            let left = quota.saturating_sub(take.iter().filter(|t| **t).count());
            let rest: Vec<usize> = (0..n).filter(|&j| !take[j]).collect();
            for p in spread(rest.len(), left) {
                take[rest[p]] = true;
            }
            (0..n).filter(|&j| take[j]).map(|j| ix[j]).collect()
        };
        shown += keep.len();
        let points: Vec<(f64, f64, u8)> = keep
            .iter()
            .enumerate()
            .map(|(p, &i)| {
                point_of.insert(i, (k as u32, p as u32));
                let r = &items[i];
                (to_ms(r.start), to_ms(r.value), r.flags)
            })
            .collect();
        // p50/p95 per time bin over every request of the endpoint, by start.
        let w = end as f64 / PCT_BINS as f64;
        let mut per_bin: Vec<Vec<Ns>> = vec![Vec::new(); PCT_BINS];
        for &i in &ix {
            let r = &items[i];
            let b = ((r.start.max(0) as f64 / w) as usize).min(PCT_BINS - 1);
            per_bin[b].push(r.value);
        }
        let pct = per_bin
            .iter_mut()
            .enumerate()
            .filter(|(_, v)| !v.is_empty())
            .map(|(b, v)| {
                v.sort_unstable();
                (
                    ((b as f64 + 0.5) * w / 1e4).round() / 100.0,
                    to_ms(percentile(v, 50.0)),
                    to_ms(percentile(v, 95.0)),
                )
            })
            .collect();
        let iv: Vec<(Ns, Ns)> = ix.iter().map(|&i| (items[i].start, items[i].end)).collect();
        endpoints.push(EndpointSeries {
            name,
            requests: n,
            points,
            pct,
            in_flight: bins(&iv, end, BINS / 4),
        });
    }
    if shown < total {
        sampling.push(format!(
            "Latency charts show {shown} of {total} requests (every delayed request and culprit first, up to half of each endpoint's share, its 20 slowest, the rest evenly over time); the p50/p95 lines are over all of them."
        ));
    }

    // Victims of each server episode: delayed requests in flight during it.
    let mut victims: Vec<usize> = if browser_requests {
        Vec::new()
    } else {
        a.victims.victims.keys().copied().collect()
    };
    victims.sort_by_key(|&i| a.requests[i].start);
    let longest = victims
        .iter()
        .map(|&i| a.requests[i].duration())
        .max()
        .unwrap_or(0);
    let mut listed = 0;
    let episodes: Vec<EpisodeSeries> = kept_eps
        .iter()
        .map(|&(n, e, server)| {
            let mut vs = Vec::new();
            let mut count = 0;
            if server {
                let from = victims.partition_point(|&i| a.requests[i].start < e.start - longest);
                let to = victims.partition_point(|&i| a.requests[i].start < e.end);
                for &i in &victims[from..to] {
                    let r = &a.requests[i];
                    if r.end > e.start && r.start < e.end {
                        count += 1;
                        if vs.len() < MAX_VICTIMS
                            && listed < MAX_VICTIMS_ALL
                            && let Some(&p) = point_of.get(&i)
                        {
                            vs.push(p);
                            listed += 1;
                        }
                    }
                }
            }
            EpisodeSeries {
                number: n + 1,
                start_ms: to_ms(e.start),
                end_ms: to_ms(e.end),
                line: episode_line(&episode_out(path, e)),
                delayed: e.delayed,
                victims: vs,
                victims_total: count,
            }
        })
        .collect();

    // Stalls with their details, the longest when there are too many.
    let runtime_eps: Vec<(Ns, Ns, usize)> = numbered
        .iter()
        .filter(|e| !e.2)
        .map(|e| (e.1.start, e.1.end, e.0))
        .collect();
    let server_eps: Vec<(Ns, Ns, usize)> = numbered
        .iter()
        .filter(|e| e.2)
        .map(|e| (e.1.start, e.1.end, e.0))
        .collect();
    let find_ep = |eps: &[(Ns, Ns, usize)], s: &Stall| -> i64 {
        let p = eps.partition_point(|e| e.0 <= s.start);
        p.checked_sub(1)
            .and_then(|p| eps.get(p))
            .filter(|e| s.start < e.1 || s.start == e.0)
            .map_or(-1, |e| e.2 as i64)
    };
    let mut order: Vec<usize> = (0..all_stalls.len()).collect();
    if cut_stalls {
        order.sort_by_key(|&i| std::cmp::Reverse(all_stalls[i].duration()));
        order.truncate(MAX_STALLS);
        order.sort_unstable();
        sampling.push(format!(
            "The {MAX_STALLS} longest of {} stalls are drawn one by one (with details on hover); the lanes' light red shows every stall.",
            all_stalls.len()
        ));
    }
    let mut names: Vec<String> = Vec::new();
    let mut name_ix: HashMap<&str, u32> = HashMap::new();
    let n_server = a.stalls.len();
    let n_browser = a.browser.long_tasks.len();
    let mut stalls = Vec::with_capacity(order.len());
    for i in order {
        let s = all_stalls[i];
        let Some(lane) = lane_of.get(&(s.start, s.end)).and_then(|v| v.first()) else {
            continue;
        };
        let name = *name_ix.entry(&s.culprit).or_insert_with(|| {
            names.push(s.culprit.clone());
            (names.len() - 1) as u32
        });
        let ep = if i < n_server {
            find_ep(&server_eps, s)
        } else if i >= n_server + n_browser {
            find_ep(&runtime_eps, s)
        } else {
            -1
        };
        stalls.push((
            *lane,
            to_ms(s.start),
            to_ms(s.duration()),
            name,
            s.delayed,
            ep,
        ));
    }
    InputSeries {
        input: path.to_string(),
        end_ms: to_ms(end),
        bin_ms: end as f64 / BINS as f64 / 1e6,
        lanes,
        names,
        stalls,
        stalls_total: all_stalls.len(),
        episodes,
        episodes_total,
        endpoints,
        requests_total: total,
        value: if browser_requests {
            "server wait"
        } else {
            "duration"
        },
        navigations: a
            .browser
            .navigations
            .iter()
            .map(|n| {
                (
                    to_ms(n.start),
                    n.lcp.map_or(-1.0, |l| to_ms(n.start + l)),
                    n.url.clone(),
                )
            })
            .collect(),
        sampling,
    }
}

/// The blocking pool taken together, as the terminal timeline draws it: polls on pool threads
/// where the trace kept them, else the heavy work of requests that ran there. Per bin, the
/// threads busy at once.
fn pool_lane(trace: &Trace, a: &Analysis, end: Ns) -> Option<LaneSeries> {
    let (threads, iv) = timeline::pool_work(trace, a)?;
    let b = bins(&iv, end, BINS);
    b.iter().any(|&v| v > 0.0).then(|| LaneSeries {
        name: format!("blocking pool ({threads})"),
        kind: "pool",
        busy: None,
        busy_bins: Some(b),
        stall_bins: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Ns = 1_000_000;

    #[test]
    fn bins_share_of_each_bin() {
        // 0-10 ms in 4 bins of 2.5 ms: 1-6 ms covers 60 % of bin 0, all of bin 1, 40 % of
        // bin 2.
        let b = bins(&[(MS, 6 * MS)], 10 * MS, 4);
        assert_eq!(b, vec![0.6, 1.0, 0.4, 0.0]);
        // Overlapping intervals add up (threads at once).
        let b = bins(&[(0, 10 * MS), (0, 5 * MS)], 10 * MS, 2);
        assert_eq!(b, vec![2.0, 1.0]);
    }

    #[test]
    fn spread_picks_evenly() {
        assert_eq!(spread(10, 5).collect::<Vec<_>>(), vec![0, 2, 4, 6, 8]);
        assert_eq!(spread(3, 5).collect::<Vec<_>>(), vec![0, 1, 2]);
        assert_eq!(spread(0, 5).count(), 0);
    }
}
