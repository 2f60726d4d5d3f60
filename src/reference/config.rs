//! How the reference behaves: tokens, clock, faults, fixtures, key store.

use std::time::Duration;

use super::faults::{Fault, FaultInfo};

/// Default token of workspace `ws_alpha`.
pub const ALPHA_TOKEN: &str = "sk_akua_test_alpha";
/// Default token of workspace `ws_beta`.
pub const BETA_TOKEN: &str = "sk_akua_test_beta";

/// Step length of the embedded reference that `opconform run` (no target)
/// and `opconform selftest` start. Short enough that whole lifecycles take a
/// fraction of a second, long enough that a client polling every 50 ms sees
/// every intermediate state of the `retrying` fixture (its failed step is
/// visible for one step) and that a second cancel sent right after the
/// first finds the operation still draining.
pub const EMBEDDED_STEP_LENGTH: Duration = Duration::from_millis(100);

/// A bearer token and the workspace it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    /// The bearer token.
    pub token: String,
    /// The workspace it implies, e.g. `ws_alpha`.
    pub workspace: String,
}

/// How the reference behaves.
#[derive(Debug, Clone)]
pub struct ReferenceConfig {
    /// Accepted tokens.
    pub tokens: Vec<TokenGrant>,
    /// Length of one simulated lifecycle step.
    pub step_length: Duration,
    /// Faults switched on.
    pub faults: Vec<&'static FaultInfo>,
    /// Serve `POST /__fixtures/operations`.
    pub fixtures: bool,
    /// How long an idempotency key is remembered.
    pub idempotency_ttl: Duration,
    /// How many idempotency keys are remembered at most (oldest evicted).
    pub idempotency_capacity: usize,
    /// Simulated latency of the durable cancel write, spent between reserving
    /// the idempotency key and recording the response (zero by default).
    /// Tests raise it to observe the in-flight window deterministically.
    pub cancel_write_latency: Duration,
}

impl Default for ReferenceConfig {
    fn default() -> Self {
        ReferenceConfig {
            tokens: vec![
                TokenGrant {
                    token: ALPHA_TOKEN.into(),
                    workspace: "ws_alpha".into(),
                },
                TokenGrant {
                    token: BETA_TOKEN.into(),
                    workspace: "ws_beta".into(),
                },
            ],
            step_length: Duration::from_secs(1),
            faults: Vec::new(),
            fixtures: true,
            idempotency_ttl: Duration::from_secs(24 * 3600),
            idempotency_capacity: 100_000,
            cancel_write_latency: Duration::ZERO,
        }
    }
}

impl ReferenceConfig {
    /// True when `fault` is switched on.
    pub fn has(&self, fault: Fault) -> bool {
        self.faults.iter().any(|f| f.name == fault.info().name)
    }

    /// This config with `fault` switched on as well.
    pub fn with_fault(mut self, fault: Fault) -> Self {
        if !self.has(fault) {
            self.faults.push(fault.info());
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_has_two_workspaces_and_no_faults() {
        let c = ReferenceConfig::default();
        assert_eq!(c.tokens.len(), 2);
        assert!(!c.has(Fault::WaitNoWake));
        let c = c
            .with_fault(Fault::WaitNoWake)
            .with_fault(Fault::WaitNoWake);
        assert!(c.has(Fault::WaitNoWake));
        assert_eq!(c.faults.len(), 1);
    }
}
