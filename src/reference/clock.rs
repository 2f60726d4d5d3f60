//! The lifecycle clock: every time computation of the reference goes
//! through here, so a short step length makes whole lifecycles run in
//! milliseconds.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Monotonic time, its Unix-seconds reading, and two step grids: the
/// lifecycle step (cancel drain, `retrying` fixture) and the live step
/// (`Tempo::Live` progress).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    origin: Instant,
    origin_unix_ms: u64,
    step: Duration,
    live_step: Duration,
}

impl Clock {
    /// A clock starting now with steps of `step` (at least 1 ms) and live
    /// steps of 200 ms.
    #[cfg(test)]
    pub(crate) fn new(step: Duration) -> Clock {
        Clock::with_live_step(step, super::config::LIVE_STEP)
    }

    /// A clock starting now with steps of `step` and live steps of
    /// `live_step` (each at least 1 ms).
    pub(crate) fn with_live_step(step: Duration, live_step: Duration) -> Clock {
        let origin_unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        Clock {
            origin: Instant::now(),
            origin_unix_ms,
            step: step.max(Duration::from_millis(1)),
            live_step: live_step.max(Duration::from_millis(1)),
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

    /// How many live steps ended strictly before `at` (a live step ending
    /// exactly at `at` is not counted: at a cancel's settle instant the
    /// cancellation wins).
    pub(crate) fn live_steps_before(&self, start: Instant, at: Instant) -> u64 {
        let elapsed = at.saturating_duration_since(start).as_nanos();
        if elapsed == 0 {
            return 0;
        }
        u64::try_from((elapsed - 1) / self.live_step.as_nanos()).unwrap_or(u64::MAX)
    }

    /// How many whole live steps lie between `start` and `at`.
    pub(crate) fn live_steps_between(&self, start: Instant, at: Instant) -> u64 {
        let elapsed = at.saturating_duration_since(start).as_nanos();
        u64::try_from(elapsed / self.live_step.as_nanos()).unwrap_or(u64::MAX)
    }

    /// The `k`-th live step boundary after `start`.
    pub(crate) fn live_boundary(&self, start: Instant, k: u64) -> Instant {
        let k = u32::try_from(k).unwrap_or(u32::MAX);
        start + self.live_step.saturating_mul(k)
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
    fn live_steps_have_their_own_grid() {
        let c = Clock::with_live_step(Duration::from_millis(10), Duration::from_millis(30));
        let s = c.now();
        assert_eq!(c.live_steps_between(s, s + Duration::from_millis(59)), 1);
        assert_eq!(c.live_steps_between(s, s + Duration::from_millis(60)), 2);
        assert_eq!(c.live_steps_before(s, s + Duration::from_millis(60)), 1);
        assert_eq!(c.live_steps_before(s, s + Duration::from_millis(61)), 2);
        assert_eq!(c.live_steps_before(s, s), 0);
        assert_eq!(c.live_boundary(s, 2), s + Duration::from_millis(60));
    }

    #[test]
    fn unix_seconds_are_plausible() {
        let c = Clock::new(Duration::ZERO);
        let secs = c.unix_secs(c.now());
        assert!(secs > 1_600_000_000 && secs < 100_000_000_000);
        assert_eq!(c.step, Duration::from_millis(1));
    }
}
