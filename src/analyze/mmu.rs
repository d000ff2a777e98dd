//! Minimum mutator utilization (MMU) of the event loop, as Go's execution tracer reports it for
//! garbage collection (`go tool trace`, "Minimum mutator utilization"), with stalls in the place
//! of GC pauses.
//!
//! Go's definition: the *mutator utilization* is a step function of time, the fraction of
//! processors (Ps) free for the program at that moment (GC takes some of them); the utilization
//! of a window is that function's mean over the window; the MMU for a window size `w` is the
//! lowest utilization of any window of size `w` in the trace. Go computes it over all Ps at once
//! by default, and per P with `UtilPerProc`. Here the Ps are the event-loop workers (or a
//! browser's main thread) and a worker is not free while a stall holds it:
//!
//! ```text
//! worker 1:  ....[== stall ==]........      u(t) = 1 - (workers stalled at t) / workers
//! worker 2:  ..........[==== stall ====]
//! u(t):      1   |1/2 |  0  |   1/2    |1
//!                 <----- w ----->             utilization of this window: mean of u over it
//! ```
//!
//! The mean over a window starting at `s` is linear in `s` between the moments where `s` or
//! `s + w` crosses a step of `u`, so its minimum is at one of those moments or at an end of the
//! range: every stall start and end `e` gives the candidates `s = e` and `s = e - w`. Evaluating
//! them all with a prefix sum of stalled worker-time is exact (no sampling), in
//! `O(n log n)` for `n` stall edges.
//!
//! A window longer than the range is shortened to the range (Go does the same with the trace).

use crate::model::Ns;

/// The worst window of one size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mmu {
    /// The window size asked for, and the one used (shorter when the range is).
    pub window: Ns,
    pub used: Ns,
    /// Where the worst window starts and ends.
    pub start: Ns,
    pub end: Ns,
    /// Mean fraction of the workers free over that window, in `[0, 1]`.
    pub utilization: f64,
}

/// The window sizes the timeline reports: 10 ms, 100 ms and 1 s.
pub const WINDOWS: [Ns; 3] = [10_000_000, 100_000_000, 1_000_000_000];

/// Stalled worker-time as a function of time: the running sum of a step function.
struct Stalled {
    /// Times where the number of stalled workers changes, ascending.
    at: Vec<Ns>,
    /// Stalled worker-time (ns x workers) from the range start to `at[i]`.
    sum: Vec<i128>,
    /// Workers stalled from `at[i]` to the next change.
    level: Vec<i64>,
}

impl Stalled {
    fn new(lanes: &[Vec<(Ns, Ns)>], from: Ns, to: Ns) -> Self {
        let mut edges: Vec<(Ns, i64)> = Vec::new();
        for lane in lanes {
            // Overlapping stalls of one worker count once.
            let mut iv: Vec<(Ns, Ns)> = lane
                .iter()
                .map(|&(s, e)| (s.max(from), e.min(to)))
                .filter(|(s, e)| e > s)
                .collect();
            iv.sort_unstable();
            let mut merged: Vec<(Ns, Ns)> = Vec::new();
            for (s, e) in iv {
                match merged.last_mut() {
                    Some(last) if s <= last.1 => last.1 = last.1.max(e),
                    _ => merged.push((s, e)),
                }
            }
            for (s, e) in merged {
                edges.push((s, 1));
                edges.push((e, -1));
            }
        }
        edges.sort_unstable();
        let mut at = vec![from];
        let mut sum = vec![0i128];
        let mut level = vec![0i64];
        for (t, d) in edges {
            let i = at.len() - 1;
            if t == at[i] {
                level[i] += d;
            } else {
                sum.push(sum[i] + i128::from(level[i]) * i128::from(t - at[i]));
                at.push(t);
                level.push(level[i] + d);
            }
        }
        Stalled { at, sum, level }
    }

    /// Stalled worker-time from the range start to `t`.
    fn until(&self, t: Ns) -> i128 {
        let i = self.at.partition_point(|&a| a <= t).saturating_sub(1);
        self.sum[i] + i128::from(self.level[i]) * i128::from(t - self.at[i]).max(0)
    }
}

/// The MMU of `lanes` (one list of stall intervals per worker) over `[from, to)` for one window
/// size. `None` when there is no worker or the range is empty.
pub fn mmu(lanes: &[Vec<(Ns, Ns)>], from: Ns, to: Ns, window: Ns) -> Option<Mmu> {
    if lanes.is_empty() || to <= from || window <= 0 {
        return None;
    }
    let used = window.min(to - from);
    let stalled = Stalled::new(lanes, from, to);
    let last = to - used;
    let mut candidates: Vec<Ns> = vec![from, last];
    for &e in &stalled.at {
        candidates.push(e.clamp(from, last));
        candidates.push((e - used).clamp(from, last));
    }
    let capacity = i128::from(used) * lanes.len() as i128;
    let mut best: Option<(i128, Ns)> = None;
    for s in candidates {
        let held = stalled.until(s + used) - stalled.until(s);
        // The most stalled time; at equal time, the earliest window.
        if best.is_none_or(|(h, b)| held > h || (held == h && s < b)) {
            best = Some((held, s));
        }
    }
    let (held, start) = best?;
    Some(Mmu {
        window,
        used,
        start,
        end: start + used,
        utilization: 1.0 - held as f64 / capacity as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Independent check: the utilization of every window start, integrated nanosecond by
    /// nanosecond (small ranges only).
    fn brute(lanes: &[Vec<(Ns, Ns)>], from: Ns, to: Ns, w: Ns) -> f64 {
        let busy = |t: Ns| {
            lanes
                .iter()
                .filter(|l| l.iter().any(|&(s, e)| s <= t && t < e))
                .count() as f64
        };
        let n = lanes.len() as f64;
        (from..=to - w)
            .map(|s| (s..s + w).map(|t| 1.0 - busy(t) / n).sum::<f64>() / w as f64)
            .fold(f64::INFINITY, f64::min)
    }

    #[test]
    fn one_worker_one_stall() {
        // 0..1000 ns, one stall 200..500: a 100 ns window inside it is 0 % free; a 500 ns
        // window holds all 300 ns of it: 40 % free.
        let lanes = vec![vec![(200, 500)]];
        let m = mmu(&lanes, 0, 1000, 100).unwrap();
        assert_eq!(m.utilization, 0.0);
        assert_eq!((m.start, m.end), (200, 300));
        let m = mmu(&lanes, 0, 1000, 500).unwrap();
        assert!((m.utilization - 0.4).abs() < 1e-12);
        assert_eq!(m.start, 0);
    }

    #[test]
    fn two_workers_as_go_counts_them() {
        // Worker 1 stalled 100..400, worker 2 250..600: both from 250 to 400.
        let lanes = vec![vec![(100, 400)], vec![(250, 600)]];
        let m = mmu(&lanes, 0, 1000, 150).unwrap();
        assert_eq!(m.utilization, 0.0);
        assert_eq!(m.start, 250);
        // Every window size agrees with the nanosecond-by-nanosecond integral.
        for w in [1, 7, 50, 150, 333, 400, 999, 1000] {
            let m = mmu(&lanes, 0, 1000, w).unwrap();
            assert!(
                (m.utilization - brute(&lanes, 0, 1000, w)).abs() < 1e-9,
                "window {w}: {m:?}"
            );
        }
    }

    #[test]
    fn matches_brute_force_on_irregular_stalls() {
        let lanes = vec![
            vec![(10, 40), (35, 90), (300, 310), (600, 777)],
            vec![(0, 5), (500, 650)],
            vec![],
        ];
        for w in [1, 3, 20, 64, 100, 250, 500, 900] {
            let m = mmu(&lanes, 0, 900, w).unwrap();
            let b = brute(&lanes, 0, 900, w);
            assert!((m.utilization - b).abs() < 1e-9, "window {w}: {m:?} vs {b}");
        }
    }

    #[test]
    fn window_longer_than_the_range_is_the_range() {
        let lanes = vec![vec![(0, 250)]];
        let m = mmu(&lanes, 0, 1000, 5000).unwrap();
        assert_eq!(m.used, 1000);
        assert!((m.utilization - 0.75).abs() < 1e-12);
        assert_eq!(mmu(&[], 0, 1000, 10), None);
    }
}
