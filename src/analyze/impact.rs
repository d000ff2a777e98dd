//! The effect of a group's heavy work on concurrent requests: the evidence of last resort for
//! where the work ran, when no thread says so.

use super::requests::Request;
use super::verdict::Impact;
use crate::model::Ns;
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

const NOT_OBSERVER: u32 = u32::MAX;

/// The requests that can observe heavy work (nothing heavy of their own, not cut off), indexed
/// once per analysis so that judging a group costs what its own sections hold, not a pass over
/// every request (with thousands of endpoints, that pass per group was most of the run time).
#[derive(Debug, Default)]
pub(super) struct Observers {
    /// Observers, by start time.
    by_start: Vec<usize>,
    /// Per request: its endpoint's number, or [`NOT_OBSERVER`].
    endpoint: Vec<u32>,
    /// Per endpoint number: its observers' durations, sorted.
    durations: Vec<Vec<Ns>>,
}

impl Observers {
    pub(super) fn new(requests: &[Request]) -> Self {
        let mut numbers: HashMap<Arc<str>, u32> = HashMap::default();
        let mut o = Observers {
            endpoint: vec![NOT_OBSERVER; requests.len()],
            ..Observers::default()
        };
        let mut starts: Vec<(Ns, usize)> = Vec::new();
        for (i, r) in requests.iter().enumerate() {
            if !r.heavy.is_empty() || r.cut_off {
                continue;
            }
            let next = numbers.len() as u32;
            let e = *numbers.entry(r.endpoint.clone()).or_insert(next);
            if e == next {
                o.durations.push(Vec::new());
            }
            o.endpoint[i] = e;
            o.durations[e as usize].push(r.duration());
            starts.push((r.start, i));
        }
        for d in &mut o.durations {
            d.sort_unstable();
        }
        // (start, index) pairs sorted by value: no look-up into the requests per comparison.
        starts.sort_unstable();
        o.by_start = starts.into_iter().map(|(_, i)| i).collect();
        o
    }
}

/// The `k`-th smallest (from 0) of the sorted `all` without the sorted `removed` (a sub-multiset
/// of `all`), in O(log² n): the first value `v` of `all` with at least `k + 1` of `all` at or
/// below it once `removed` is taken out.
fn nth_without(all: &[Ns], removed: &[Ns], k: usize) -> Ns {
    let kept_upto = |v: Ns| all.partition_point(|x| *x <= v) - removed.partition_point(|x| *x <= v);
    let j = all.partition_point(|v| kept_upto(*v) < k + 1);
    all.get(j).or(all.last()).copied().unwrap_or(0)
}

/// Effect of a group's heavy work on the other requests.
///
/// Requests are split by whether they *started* inside one of the group's heavy sections
/// (selection on start time, not on overlap: a longer request overlaps more by chance, which
/// would bias the comparison). Each request that started inside is compared with the median of
/// its endpoint's requests that started outside (its nearest-rank median):
///
/// ```text
/// heavy:        [── 100 ms ──][── 100 ms ──]
/// started in:        [req ··· waited ··· ]          extra = its duration - baseline
/// started out:  [req]                       [req]   baseline: median of these
/// ```
///
/// A blocked event loop makes what is queued behind a poll wait up to the length of that poll;
/// work on its own thread makes nobody wait (CPU contention aside). So the mean extra time is
/// set against the typical heavy poll (`section_len`): the *stretch*. Means, not medians: with
/// one of two workers blocked only some requests wait, and the median extra is then 0.
/// The decision also asks whether the mean is clearly above noise (see [`judge`]).
pub(super) fn impact(
    observers: &Observers,
    sections: &[(Ns, Ns)],
    members: &[usize],
    requests: &[Request],
    section_len: Ns,
) -> Impact {
    let mut members = members.to_vec();
    members.sort_unstable();
    let is_member = |i: usize| members.binary_search(&i).is_ok();
    // Observers that started inside a section, per endpoint (`by_start` is sorted by start, so
    // each section is one range of it).
    let mut ins: Vec<(u32, usize)> = Vec::new();
    for &(s0, s1) in sections {
        let lo = observers
            .by_start
            .partition_point(|&i| requests[i].start < s0);
        let hi = observers
            .by_start
            .partition_point(|&i| requests[i].start < s1);
        for &i in observers.by_start.get(lo..hi).unwrap_or(&[]) {
            if !is_member(i) {
                ins.push((observers.endpoint[i], i));
            }
        }
    }
    ins.sort_unstable();
    // Members are never observers of their own group's work.
    let mut member_obs: Vec<(u32, Ns)> = members
        .iter()
        .filter(|&&i| observers.endpoint[i] != NOT_OBSERVER)
        .map(|&i| (observers.endpoint[i], requests[i].duration()))
        .collect();
    member_obs.sort_unstable();
    let mut extras: Vec<f64> = Vec::new();
    for run in ins.chunk_by(|a, b| a.0 == b.0) {
        let e = run[0].0;
        let all = &observers.durations[e as usize];
        // Outside = the endpoint's observers minus those inside and the members.
        let mut removed: Vec<Ns> = run.iter().map(|&(_, i)| requests[i].duration()).collect();
        let from = member_obs.partition_point(|m| m.0 < e);
        let to = member_obs.partition_point(|m| m.0 <= e);
        removed.extend(member_obs[from..to].iter().map(|m| m.1));
        removed.sort_unstable();
        let outs = all.len().saturating_sub(removed.len());
        if outs < 3 {
            continue;
        }
        // The nearest-rank median (`stats::median`) of `all` without `removed`.
        let base = nth_without(all, &removed, outs.div_ceil(2) - 1);
        extras.extend(
            run.iter()
                .map(|&(_, i)| (requests[i].duration() - base) as f64),
        );
    }
    let n = extras.len();
    if n == 0 {
        return Impact::default();
    }
    let mean = extras.iter().sum::<f64>() / n as f64;
    let var = extras.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n.max(2) - 1) as f64;
    let se = (var / n as f64).sqrt();
    let len = section_len.max(1) as f64;
    let round = |x: f64| (x * 100.0).round() / 100.0;
    Impact {
        observers: n,
        delay_ms: round(mean / 1e6),
        stretch: round(mean / len),
        stretch_low: round((mean - 2.0 * se) / len),
        stretch_high: round((mean + 2.0 * se) / len),
    }
}

/// Minimum observers, and the stretch band: heavy work blocks the event loop when even the low
/// end of the stretch's two-standard-error band is above `STRETCH_BLOCKS` (others clearly waited
/// for it), and runs on its own thread when even the high end is at most `STRETCH_FREE` (nobody
/// waited more than a few percent of a poll). Otherwise the effect is inconclusive.
///
/// Calibrated on the demo server's recordings (sample-traces/README.md): ~100 ms of CPU inline
/// on a 2-worker runtime gives stretches of 0.09 to 0.26 (low ends 0.05 to 0.20), the same CPU on
/// the blocking pool 0.00 (high ends at most 0.01).
pub(super) const IMPACT_MIN_OBSERVERS: usize = 3;
pub(super) const STRETCH_BLOCKS: f64 = 0.03;
pub(super) const STRETCH_FREE: f64 = 0.03;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::stats::median;

    fn req(endpoint: &str, start: Ns, end: Ns, heavy: bool) -> Request {
        let mut r = Request::awaiting(endpoint, start, end);
        if heavy {
            r.heavy = vec![(start, end)];
        }
        r
    }

    /// The definition, one pass over every request: what the index must reproduce.
    fn by_definition(sections: &[(Ns, Ns)], members: &[usize], requests: &[Request]) -> Vec<Ns> {
        let inside = |t: Ns| sections.iter().any(|s| s.0 <= t && t < s.1);
        let mut by: std::collections::BTreeMap<&str, (Vec<Ns>, Vec<Ns>)> = Default::default();
        for (i, r) in requests.iter().enumerate() {
            if members.contains(&i) || !r.heavy.is_empty() || r.cut_off {
                continue;
            }
            let e = by.entry(&r.endpoint).or_default();
            if inside(r.start) { &mut e.0 } else { &mut e.1 }.push(r.duration());
        }
        let mut extras = Vec::new();
        for (ins, outs) in by.into_values() {
            if ins.is_empty() || outs.len() < 3 {
                continue;
            }
            let base = median(outs);
            extras.extend(ins.iter().map(|d| d - base));
        }
        extras
    }

    /// 3 ms sections at 0 and 20 ms; the two `/a` observers starting inside one took 9 ms, the
    /// others 4, 5, 6 ms: baseline 5 ms, each observer 4 ms late. Members never observe.
    #[test]
    fn observers_inside_sections_against_their_endpoints_median() {
        let ms = 1_000_000;
        let mut rs = vec![
            req("GET /heavy", 0, 3 * ms, true),
            req("GET /heavy", 20 * ms, 23 * ms, true),
        ];
        rs.push(req("GET /a", ms, 10 * ms, false)); // inside: 9 ms
        rs.push(req("GET /a", 21 * ms, 30 * ms, false)); // inside: 9 ms
        for (s, d) in [(5, 4), (6, 5), (7, 6), (15, 5)] {
            rs.push(req("GET /a", s * ms, (s + d) * ms, false));
        }
        rs.push(req("GET /heavy", 2 * ms, 40 * ms, false)); // a member: not an observer
        let obs = Observers::new(&rs);
        let sections = [(0, 3 * ms), (20 * ms, 23 * ms)];
        let i = impact(&obs, &sections, &[0, 1, 8], &rs, 3 * ms);
        assert_eq!(i.observers, 2);
        assert_eq!(i.delay_ms, 4.0);
        assert_eq!(
            by_definition(&sections, &[0, 1, 8], &rs),
            vec![4 * ms, 4 * ms]
        );
    }

    /// Seeded random traces: the index gives the definition's observers and mean delay.
    #[test]
    fn index_matches_the_definition() {
        let mut seed: u64 = 7;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for _ in 0..200 {
            let n = 5 + next(60) as usize;
            let rs: Vec<Request> = (0..n)
                .map(|_| {
                    let s = next(1000) as Ns;
                    let e = format!("GET /{}", next(4));
                    req(&e, s, s + 1 + next(50) as Ns, next(5) == 0)
                })
                .collect();
            let members: Vec<usize> = (0..n).filter(|_| next(6) == 0).collect();
            let mut sections: Vec<(Ns, Ns)> = Vec::new();
            let mut t = 0;
            for _ in 0..next(6) {
                t += next(200) as Ns;
                let len = 1 + next(100) as Ns;
                sections.push((t, t + len));
                t += len;
            }
            let want = by_definition(&sections, &members, &rs);
            let got = impact(&Observers::new(&rs), &sections, &members, &rs, 10);
            assert_eq!(got.observers, want.len());
            if !want.is_empty() {
                let mean = want.iter().sum::<Ns>() as f64 / want.len() as f64;
                assert_eq!(got.delay_ms, (mean / 1e6 * 100.0).round() / 100.0);
            }
        }
    }
}
