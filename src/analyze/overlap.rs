//! Intervals on one time line: merging, overlap, and the one concurrency sweep that every
//! family's stall episodes use.
//!
//! ```text
//! stall A   [──────────]
//! stall B        [──────────]      at once: 1, 2, 1
//! stall C                   [───]  touching B: same episode, never "at once" with it
//! merged    [───────────────────]  one episode
//! all held       [─────]           with 2 workers: the window where nobody was free
//! ```

use crate::model::Ns;

/// Merges overlapping or touching intervals; returns them sorted.
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

/// How long a level of concurrency must last to count as reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// Any instant counts: measured polls, exact to the nanosecond.
    Any,
    /// Only levels held this long count. Stalls inferred from busy times printed to ~3
    /// significant digits can seem to overlap by a fraction of a millisecond when they were
    /// back to back on one worker.
    AtLeast(Ns),
}

/// What the sweep found over one set of intervals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Concurrency {
    /// Most intervals in progress at one moment (at least 1 for a non-empty set).
    pub max_at_once: usize,
    /// Windows during which at least `workers` intervals were in progress (none for 0
    /// workers).
    pub all_held: Vec<(Ns, Ns)>,
}

impl Concurrency {
    /// Total time every worker was held.
    pub fn all_held_time(&self) -> Ns {
        self.all_held.iter().map(|(s, e)| e - s).sum()
    }
}

/// Sweeps `intervals` for the most in progress at once and the windows where `workers` or
/// more were. At one instant, ends come before starts: touching intervals are not at once.
pub fn concurrency(intervals: &[(Ns, Ns)], workers: usize, hold: Hold) -> Concurrency {
    // Starts and ends sorted apart (plain times sort several times faster than pairs), then
    // taken in order, an end before a start at the same instant.
    let mut starts: Vec<Ns> = intervals.iter().map(|iv| iv.0).collect();
    let mut ends: Vec<Ns> = intervals.iter().map(|iv| iv.1).collect();
    starts.sort_unstable();
    ends.sort_unstable();
    let (mut si, mut ei) = (0, 0);
    let points = std::iter::from_fn(|| match (starts.get(si), ends.get(ei)) {
        (Some(&s), Some(&e)) if s < e => {
            si += 1;
            Some((s, 1))
        }
        (_, Some(&e)) => {
            ei += 1;
            Some((e, -1))
        }
        (Some(&s), None) => {
            si += 1;
            Some((s, 1))
        }
        (None, None) => None,
    });
    let min_held = match hold {
        Hold::Any => 0,
        Hold::AtLeast(d) => d,
    };
    let mut out = Concurrency::default();
    let first = match (starts.first(), ends.first()) {
        (Some(&s), Some(&e)) => s.min(e),
        _ => 0,
    };
    let (mut cur, mut last) = (0i32, first);
    let mut since: Option<Ns> = None;
    for (t, d) in points {
        if t - last >= min_held {
            out.max_at_once = out.max_at_once.max(cur.max(0) as usize);
        }
        cur += d;
        last = t;
        if min_held == 0 {
            out.max_at_once = out.max_at_once.max(cur.max(0) as usize);
        }
        let held = workers > 0 && cur.max(0) as usize >= workers;
        match (since, held) {
            (None, true) => since = Some(t),
            (Some(s), false) => {
                if t > s {
                    out.all_held.push((s, t));
                }
                since = None;
            }
            _ => {}
        }
    }
    if out.max_at_once == 0 && !intervals.is_empty() {
        // Every level was shorter than the hold: count what was there.
        out.max_at_once = 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Ns = 1_000_000;

    #[test]
    fn merge_joins_overlapping_and_touching() {
        assert_eq!(
            merge(vec![(5, 9), (0, 3), (3, 4), (8, 12), (20, 21)]),
            vec![(0, 4), (5, 12), (20, 21)]
        );
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
    fn overlap_sums_parts() {
        let iv = [(0, 10), (20, 30)];
        assert_eq!(overlap(&iv, 5, 25), 10);
        assert_eq!(overlap(&iv, 10, 20), 0);
        assert_eq!(overlap(&iv, -5, 100), 20);
    }

    #[test]
    fn touching_is_not_at_once() {
        // A [0, 10), B [10, 20): one after the other on one worker.
        let c = concurrency(&[(0, 10 * MS), (10 * MS, 20 * MS)], 2, Hold::Any);
        assert_eq!(c.max_at_once, 1);
        assert!(c.all_held.is_empty());
    }

    #[test]
    fn all_held_windows() {
        // time   0    10   20   30   40
        // A      [═════════════]
        // B           [═════════════]
        // held        [════════]        with 2 workers
        let c = concurrency(&[(0, 30 * MS), (10 * MS, 40 * MS)], 2, Hold::Any);
        assert_eq!(c.max_at_once, 2);
        assert_eq!(c.all_held, vec![(10 * MS, 30 * MS)]);
        assert_eq!(c.all_held_time(), 20 * MS);
        // With 3 workers nobody is ever fully held; with 0 the count is unknown.
        assert!(
            concurrency(&[(0, 30), (10, 40)], 3, Hold::Any)
                .all_held
                .is_empty()
        );
        assert!(
            concurrency(&[(0, 30), (10, 40)], 0, Hold::Any)
                .all_held
                .is_empty()
        );
    }

    #[test]
    fn hold_ignores_brief_overlaps() {
        // Back-to-back polls whose rounded ends overlap by 0.2 ms.
        let iv = [(0, 50 * MS + MS / 5), (50 * MS, 100 * MS)];
        assert_eq!(concurrency(&iv, 2, Hold::Any).max_at_once, 2);
        assert_eq!(concurrency(&iv, 2, Hold::AtLeast(MS)).max_at_once, 1);
        // Held 0.2 ms, so "all held" still sums it: the time is real, the level is not.
        assert_eq!(
            concurrency(&iv, 2, Hold::AtLeast(MS)).all_held_time(),
            MS / 5
        );
        // Only tiny intervals: still one at a time.
        assert_eq!(concurrency(&[(0, 10)], 1, Hold::AtLeast(MS)).max_at_once, 1);
    }
}
