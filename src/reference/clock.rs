//! The lifecycle clock: every time computation of the reference goes
//! through here, so a short step length makes whole lifecycles run in
//! milliseconds.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Monotonic time, its Unix-seconds reading, and the step grid.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    origin: Instant,
    origin_unix_ms: u64,
    step: Duration,
}

impl Clock {
    /// A clock starting now with steps of `step` (at least 1 ms).
    pub(crate) fn new(step: Duration) -> Clock {
        let origin_unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        Clock {
            origin: Instant::now(),
            origin_unix_ms,
            step: step.max(Duration::from_millis(1)),
        }
    }

    /// Now.
    pub(crate) fn now(&self) -> Instant {
        Instant::now()
    }

    /// Unix seconds at `at` (the Operation's timestamps are seconds).
    pub(crate) fn unix_secs(&self, at: Instant) -> u64 {
        let since = at.saturating_duration_since(self.origin);
        let ms = self
            .origin_unix_ms
            .saturating_add(u64::try_from(since.as_millis()).unwrap_or(u64::MAX));
        ms / 1000
    }

    /// How many whole steps lie between `start` and `at`.
    pub(crate) fn steps_between(&self, start: Instant, at: Instant) -> u64 {
        let elapsed = at.saturating_duration_since(start).as_nanos();
        u64::try_from(elapsed / self.step.as_nanos()).unwrap_or(u64::MAX)
    }

    /// The `k`-th step boundary after `start`.
    pub(crate) fn boundary(&self, start: Instant, k: u64) -> Instant {
        let k = u32::try_from(k).unwrap_or(u32::MAX);
        start + self.step.saturating_mul(k)
    }

    /// The first step boundary strictly after `at` (where the worker has
    /// drained the step in progress at `at`).
    pub(crate) fn next_boundary(&self, start: Instant, at: Instant) -> Instant {
        self.boundary(start, self.steps_between(start, at).saturating_add(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_follow_the_step_grid() {
        let c = Clock::new(Duration::from_millis(10));
        let s = c.now();
        assert_eq!(c.steps_between(s, s), 0);
        assert_eq!(c.steps_between(s, s + Duration::from_millis(25)), 2);
        assert_eq!(c.boundary(s, 3), s + Duration::from_millis(30));
        assert_eq!(
            c.next_boundary(s, s + Duration::from_millis(20)),
            s + Duration::from_millis(30)
        );
        assert_eq!(
            c.next_boundary(s, s + Duration::from_millis(21)),
            s + Duration::from_millis(30)
        );
    }

    #[test]
    fn unix_seconds_are_plausible() {
        let c = Clock::new(Duration::ZERO);
        let secs = c.unix_secs(c.now());
        assert!(secs > 1_600_000_000 && secs < 100_000_000_000);
        assert_eq!(c.step, Duration::from_millis(1));
    }
}
