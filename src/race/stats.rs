//! The violation rate of a scenario and its Wilson score interval (Wilson
//! 1927; the interval R's `prop.test(x, n, correct = FALSE)` reports). It
//! behaves at 0 and n violations, where the normal approximation gives an
//! empty or negative interval: 0 violations in 10 trials still leaves an
//! upper bound of 28%, which is what a report must say.

use serde::Serialize;

/// z for a two-sided 95% interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// A rate with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rate {
    /// Trials that violated an invariant.
    pub violations: u64,
    /// Trials run.
    pub trials: u64,
    /// violations / trials (0 when no trial ran).
    pub point: f64,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
    /// The z the interval was computed with.
    pub z: f64,
}

impl Rate {
    /// The rate of `violations` in `trials`, with its Wilson interval at `z`.
    pub fn new(violations: u64, trials: u64, z: f64) -> Rate {
        let (low, high) = wilson(violations, trials, z);
        let point = if trials == 0 {
            0.0
        } else {
            violations as f64 / trials as f64
        };
        Rate {
            violations,
            trials,
            point,
            low,
            high,
            z,
        }
    }

    /// `3/50 = 6.0% (95% CI 2.1%–16.2%)`.
    pub fn label(&self) -> String {
        let pct = |x: f64| format!("{:.1}%", 100.0 * x);
        let level = if (self.z - Z_95).abs() < 1e-9 {
            "95%".to_string()
        } else {
            format!("z={}", self.z)
        };
        format!(
            "{}/{} = {} ({level} CI {}–{})",
            self.violations,
            self.trials,
            pct(self.point),
            pct(self.low),
            pct(self.high)
        )
    }
}

/// The Wilson score interval of `k` successes in `n` trials at `z`;
/// `(0, 1)` when `n` is 0 (nothing is known).
pub fn wilson(k: u64, n: u64, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n_f = n as f64;
    let p = k.min(n) as f64 / n_f;
    let z2 = z * z;
    let denom = 1.0 + z2 / n_f;
    let centre = (p + z2 / (2.0 * n_f)) / denom;
    let half = z * (p * (1.0 - p) / n_f + z2 / (4.0 * n_f * n_f)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Trials needed so that a bug shown with probability at least `p` per
/// trial is seen at least once with probability `1 - miss`:
/// `ceil(ln(miss) / ln(1 - p))`.
pub fn trials_to_detect(p: f64, miss: f64) -> u64 {
    if p >= 1.0 {
        return 1;
    }
    if p <= 0.0 || miss <= 0.0 {
        return u64::MAX;
    }
    (miss.ln() / (1.0 - p).ln()).ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-7
    }

    #[test]
    fn matches_known_values() {
        // R: prop.test(k, n, correct = FALSE)$conf.int
        for (k, n, low, high) in [
            (0, 10, 0.0, 0.277_532_8),
            (1, 10, 0.017_876_2, 0.404_150_0),
            (5, 10, 0.236_593_1, 0.763_406_9),
            (10, 10, 0.722_467_2, 1.0),
            (0, 100, 0.0, 0.036_993_5),
            (81, 263, 0.255_288_5, 0.366_209_6),
            (3, 50, 0.020_615_0, 0.162_170_9),
        ] {
            let (l, h) = wilson(k, n, Z_95);
            assert!(close(l, low) && close(h, high), "{k}/{n}: {l} {h}");
        }
    }

    #[test]
    fn edges_and_labels() {
        assert_eq!(wilson(0, 0, Z_95), (0.0, 1.0));
        // More violations than trials is clamped, not NaN.
        let (l, h) = wilson(5, 3, Z_95);
        assert!(l > 0.0 && h == 1.0);
        let r = Rate::new(3, 50, Z_95);
        assert_eq!(r.label(), "3/50 = 6.0% (95% CI 2.1%–16.2%)");
        assert_eq!(Rate::new(0, 0, Z_95).point, 0.0);
        assert!(Rate::new(1, 4, 1.0).label().contains("z=1"));
    }

    #[test]
    fn trials_to_detect_follow_the_geometric_bound() {
        assert_eq!(trials_to_detect(0.5, 1e-6), 20);
        assert_eq!(trials_to_detect(1.0, 1e-6), 1);
        assert_eq!(trials_to_detect(0.0, 0.5), u64::MAX);
        assert_eq!(trials_to_detect(0.8, 1e-6), 9);
    }
}
