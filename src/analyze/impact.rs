//! The effect of a group's heavy work on concurrent requests: the evidence of last resort for
//! where the work ran, when no thread says so.

use super::requests::Request;
use super::stats::median;
use super::verdict::Impact;
use crate::model::Ns;
use std::collections::HashMap;

/// Effect of a group's heavy work on the other requests.
///
/// Requests are split by whether they *started* inside one of the group's heavy sections
/// (selection on start time, not on overlap: a longer request overlaps more by chance, which
/// would bias the comparison). Each request that started inside is compared with the median of
/// its endpoint's requests that started outside:
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
    sections: &[(Ns, Ns)],
    members: &[usize],
    requests: &[Request],
    section_len: Ns,
) -> Impact {
    let inside = |t: Ns| {
        let i = sections.partition_point(|s| s.1 <= t);
        sections.get(i).is_some_and(|s| s.0 <= t)
    };
    let mut member = vec![false; requests.len()];
    for &m in members {
        member[m] = true;
    }
    let mut by: HashMap<&str, (Vec<Ns>, Vec<Ns>)> = HashMap::new();
    for (i, r) in requests.iter().enumerate() {
        if member[i] || !r.heavy.is_empty() || r.cut_off {
            continue;
        }
        let e = by.entry(&r.endpoint).or_default();
        if inside(r.start) {
            e.0.push(r.duration());
        } else {
            e.1.push(r.duration());
        }
    }
    let mut extras: Vec<f64> = Vec::new();
    for (_, (ins, outs)) in by {
        if ins.is_empty() || outs.len() < 3 {
            continue;
        }
        let base = median(outs);
        extras.extend(ins.iter().map(|d| (d - base) as f64));
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
