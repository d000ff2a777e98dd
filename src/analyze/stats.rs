//! Order statistics shared by the detectors.

use crate::model::Ns;

/// Nearest-rank percentile of sorted values (p in 0..=100); 0 for no values.
pub fn percentile(sorted: &[Ns], p: f64) -> Ns {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The nearest-rank median (the lower middle for an even count).
pub fn median(mut v: Vec<Ns>) -> Ns {
    v.sort_unstable();
    percentile(&v, 50.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        assert_eq!(percentile(&[], 50.0), 0);
        assert_eq!(percentile(&[7], 95.0), 7);
        let v: Vec<Ns> = (1..=20).collect();
        assert_eq!(percentile(&v, 50.0), 10);
        assert_eq!(percentile(&v, 95.0), 19);
        assert_eq!(percentile(&v, 100.0), 20);
        assert_eq!(percentile(&v, 0.0), 1);
        assert_eq!(median(vec![4, 1, 3, 2]), 2);
    }
}
