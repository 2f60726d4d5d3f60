//! What the runner is pointed at ([`Target`]) and how it behaves ([`RunOptions`]).

use std::time::Duration;

use crate::case::FixtureState;
use crate::contract::Mode;
use crate::redact::Redactor;

use super::pacing::PacingOptions;
use super::transport::TransportOptions;
use crate::gate::Waivers;

/// The system under test and the credentials and fixtures to use on it.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// Base URL including `/v1`, e.g. `http://127.0.0.1:8080/v1`.
    pub base_url: String,
    /// Bearer token of the workspace under test.
    pub token: Option<String>,
    /// A second workspace's token, for isolation cases.
    pub foreign_token: Option<String>,
    /// A broad (multi-workspace) token that covers the workspace under test,
    /// for the `akua-context` cases.
    pub broad_token: Option<String>,
    /// Sent as `akua-context` on every request unless the case sets it.
    pub context: Option<String>,
    /// Fixture provider: `POST {"state": ...}` returns a fresh Operation.
    pub fixtures_url: Option<String>,
    /// Static operation ids (`--op running=op_x`), used when there is no
    /// provider. A static `running` id is consumed by the first case that
    /// cancels it; terminal ids are shared.
    pub static_ops: Vec<(FixtureState, String)>,
    /// True when this is the embedded reference server.
    pub embedded: bool,
    /// Faults switched on in the embedded reference, by name.
    pub faults: Vec<String>,
}

impl Target {
    /// A redactor for every secret this target carries plus `extra`.
    pub fn redactor(&self, extra: &[String]) -> Redactor {
        let mut secrets: Vec<String> = extra.to_vec();
        secrets.extend(self.token.iter().cloned());
        secrets.extend(self.foreign_token.iter().cloned());
        secrets.extend(self.broad_token.iter().cloned());
        Redactor::new(secrets)
    }
}

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
    /// Largest response body read; bigger bodies are cut and recorded as an error.
    pub body_cap: usize,
    /// Bytes of each body kept in the recorded exchange.
    pub excerpt_cap: usize,
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
    /// Extra secrets to redact (`--secret`).
    pub secrets: Vec<String>,
    /// Whole-run deadline, from the start of the run; cases not finished by
    /// then are not run.
    pub deadline: Option<Duration>,
    /// Rate, `Retry-After` handling and the stopped-target breaker.
    pub pacing: PacingOptions,
    /// TLS trust and redirects.
    pub transport: TransportOptions,
    /// Waivers of the chosen profile, with the day they are judged on.
    pub waivers: Waivers,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            mode: Mode::Lenient,
            request_timeout: Duration::from_secs(30),
            settle_deadline: Duration::from_secs(30),
            body_cap: 8 * 1024 * 1024,
            excerpt_cap: 16 * 1024,
            max_drift_attempts: 3,
            poll_interval: Duration::from_millis(50),
            settle_window: DEFAULT_SETTLE_WINDOW,
            watch_interval: Duration::from_millis(100),
            lag_tolerance: Duration::from_secs(5),
            secrets: Vec::new(),
            deadline: Some(Duration::from_secs(600)),
            pacing: PacingOptions::default(),
            transport: TransportOptions::default(),
            waivers: Waivers::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redactor_covers_both_tokens_and_secrets() {
        let t = Target {
            token: Some("tok_a".into()),
            foreign_token: Some("tok_b".into()),
            ..Target::default()
        };
        let r = t.redactor(&["s3cret".into()]);
        assert!(r.is_clean(&r.redact("tok_a tok_b s3cret")));
    }
}
