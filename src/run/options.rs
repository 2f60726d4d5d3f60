//! How the runner behaves ([`RunOptions`]); what it is pointed at is a
//! [`crate::target::Target`].

use std::time::Duration;

use crate::contract::Mode;
use crate::gate::Waivers;

/// Default [`RunOptions::settle_window`] against a target: a finaliser job
/// that rewrites a done operation a second later is still seen.
pub const DEFAULT_SETTLE_WINDOW: Duration = Duration::from_secs(2);

/// [`RunOptions::settle_window`] against the embedded reference: its
/// lifecycle steps take 100-200 ms, and its late-write fault acts 400 ms
/// after an operation is done.
pub const EMBEDDED_SETTLE_WINDOW: Duration = Duration::from_millis(500);

pub use crate::gate::FailOn;

/// Knobs of one run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Lenient (default) or strict status sets.
    pub mode: Mode,
    /// Per-request timeout (a request's `timeout_ms` overrides it).
    pub request_timeout: Duration,
    /// Upper bound for every `eventually` deadline.
    pub settle_deadline: Duration,
    /// Attempts on fresh fixtures when a fixture keeps finishing by itself.
    pub max_drift_attempts: u32,
    /// Interval of GET polling in `eventually`.
    pub poll_interval: Duration,
    /// How long a case's operations are watched after they are done (a
    /// done operation must not change), and how long one nobody cancelled
    /// must stand still before the watch gives up on it once the run is
    /// quiet.
    pub settle_window: Duration,
    /// Interval of the watch's GET polling.
    pub watch_interval: Duration,
    /// How long an in-flight inconsistency may last before it counts
    /// (eventual consistency, digest §5 #24).
    pub lag_tolerance: Duration,
    /// Whole-run deadline, from the start of the run; cases not finished by
    /// then are not run.
    pub deadline: Option<Duration>,
    /// Waivers of the chosen profile, with the day they are judged on.
    pub waivers: Waivers,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            mode: Mode::Lenient,
            request_timeout: Duration::from_secs(30),
            settle_deadline: Duration::from_secs(30),
            max_drift_attempts: 3,
            poll_interval: Duration::from_millis(50),
            settle_window: DEFAULT_SETTLE_WINDOW,
            watch_interval: Duration::from_millis(100),
            lag_tolerance: Duration::from_secs(5),
            deadline: Some(Duration::from_secs(600)),
            waivers: Waivers::default(),
        }
    }
}
