//! Politeness towards a target the harness does not control: one request
//! rate shared by every request of the run (fixture creation included),
//! `Retry-After` honoured on `429`/`503`, and a breaker that notices when
//! the target stopped answering.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::target::Rate;

pub use crate::model::STOPPED_REASON;

/// How requests are paced and retried.
#[derive(Debug, Clone)]
pub struct PacingOptions {
    /// At most this many requests per unit, over the whole run (`--rate`).
    pub rate: Option<Rate>,
    /// Re-sends of one request after a `429`/`503` with `Retry-After`.
    pub max_throttle_retries: u32,
    /// Longest `Retry-After` wait honoured; longer ones are cut to it.
    pub max_retry_wait: Duration,
    /// Consecutive requests without any response (timeouts, refused or
    /// reset connections) after which the target counts as stopped;
    /// 0 switches the breaker off.
    pub stop_after_failures: u32,
}

impl Default for PacingOptions {
    fn default() -> Self {
        PacingOptions {
            rate: None,
            max_throttle_retries: 3,
            max_retry_wait: Duration::from_secs(60),
            stop_after_failures: 3,
        }
    }
}

/// The shared pacing state of one run.
pub struct Pacer {
    limiter: Option<DefaultDirectRateLimiter>,
    options: PacingOptions,
    deadline: OnceLock<Instant>,
    consecutive_failures: AtomicU32,
}

impl fmt::Debug for Pacer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pacer")
            .field("options", &self.options)
            .field("deadline", &self.deadline.get())
            .field("consecutive_failures", &self.consecutive_failures)
            .finish()
    }
}

/// What to do with a response that asked the client to come back later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    /// Wait this long, then send again.
    RetryAfter(Duration),
    /// Give up and keep this response (retries used up, no usable
    /// `Retry-After`, or the wait would pass the run deadline).
    GiveUp,
}

impl Pacer {
    /// A pacer for `options`.
    pub fn new(options: PacingOptions) -> Pacer {
        let limiter = options.rate.map(|rate| {
            // Burst of one: requests are spread evenly, never bunched.
            let period = rate.interval().max(Duration::from_nanos(1));
            let quota = Quota::with_period(period)
                .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
                .allow_burst(NonZeroU32::MIN);
            RateLimiter::direct(quota)
        });
        Pacer {
            limiter,
            options,
            deadline: OnceLock::new(),
            consecutive_failures: AtomicU32::new(0),
        }
    }

    /// Sets the run deadline (the first call wins): no `Retry-After` wait
    /// reaches past it.
    pub fn arm_deadline(&self, deadline: Instant) {
        let _ = self.deadline.set(deadline);
    }

    /// Waits for the rate limiter's permission to send.
    pub async fn ready(&self) {
        if let Some(l) = &self.limiter {
            l.until_ready().await;
        }
    }

    /// Records whether a send got any response. A run of
    /// `stop_after_failures` sends without one trips the breaker; any
    /// response resets it.
    pub fn observe(&self, answered: bool) {
        if answered {
            self.consecutive_failures.store(0, Ordering::Relaxed);
        } else {
            self.consecutive_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// True when the target stopped answering (the breaker tripped).
    pub fn stopped(&self) -> bool {
        let n = self.options.stop_after_failures;
        n > 0 && self.consecutive_failures.load(Ordering::Relaxed) >= n
    }

    /// Decides about a response: `status` and its `Retry-After` value, after
    /// `retries` re-sends of this request.
    pub fn on_response(&self, status: u16, retry_after: Option<&str>, retries: u32) -> Throttle {
        if status != 429 && status != 503 {
            return Throttle::GiveUp;
        }
        if retries >= self.options.max_throttle_retries {
            return Throttle::GiveUp;
        }
        let Some(wait) = retry_after.and_then(|v| parse_retry_after(v, SystemTime::now())) else {
            return Throttle::GiveUp;
        };
        let wait = wait.min(self.options.max_retry_wait);
        if let Some(d) = self.deadline.get() {
            if Instant::now() + wait >= *d {
                return Throttle::GiveUp;
            }
        }
        Throttle::RetryAfter(wait)
    }
}

/// Parses a `Retry-After` value: delta-seconds or an HTTP-date (RFC 9110
/// §10.2.3). A date in the past means "now".
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Absurdly long numbers saturate; the caller caps the wait anyway.
        return Some(Duration::from_secs(
            value.parse::<u64>().unwrap_or(u64::MAX),
        ));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_delta_and_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(7)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("", now), None);
        assert!(parse_retry_after("99999999999999999999999", now).is_some());
    }

    #[test]
    fn throttle_decisions_are_bounded() {
        let p = Pacer::new(PacingOptions {
            max_throttle_retries: 2,
            max_retry_wait: Duration::from_secs(5),
            ..PacingOptions::default()
        });
        assert_eq!(p.on_response(200, Some("1"), 0), Throttle::GiveUp);
        assert_eq!(p.on_response(500, Some("1"), 0), Throttle::GiveUp);
        assert_eq!(p.on_response(429, None, 0), Throttle::GiveUp);
        assert_eq!(
            p.on_response(429, Some("1"), 0),
            Throttle::RetryAfter(Duration::from_secs(1))
        );
        assert_eq!(
            p.on_response(503, Some("3600"), 1),
            Throttle::RetryAfter(Duration::from_secs(5))
        );
        assert_eq!(p.on_response(429, Some("1"), 2), Throttle::GiveUp);
        p.arm_deadline(Instant::now() + Duration::from_millis(500));
        assert_eq!(p.on_response(429, Some("1"), 0), Throttle::GiveUp);
    }

    #[test]
    fn breaker_trips_after_consecutive_failures_and_resets() {
        let p = Pacer::new(PacingOptions::default());
        p.observe(false);
        p.observe(false);
        assert!(!p.stopped());
        p.observe(true);
        p.observe(false);
        p.observe(false);
        assert!(!p.stopped());
        p.observe(false);
        assert!(p.stopped());
        let off = Pacer::new(PacingOptions {
            stop_after_failures: 0,
            ..PacingOptions::default()
        });
        for _ in 0..10 {
            off.observe(false);
        }
        assert!(!off.stopped());
    }

    #[tokio::test]
    async fn rate_spreads_requests() {
        let p = Pacer::new(PacingOptions {
            rate: Some(Rate::parse("20/s").unwrap()),
            ..PacingOptions::default()
        });
        let started = Instant::now();
        for _ in 0..5 {
            p.ready().await;
        }
        // Five permits at 20/s: the first is free, four more take >= 200 ms.
        assert!(started.elapsed() >= Duration::from_millis(190));
    }
}
