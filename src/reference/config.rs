//! How the reference behaves: tokens, dialect and tempo, clock, faults,
//! fixtures, key store, retention.

use std::time::Duration;

use super::faults::{Fault, FaultInfo};
use super::world::{Dialect, Tempo};

/// Default token of workspace `ws_alpha`.
pub const ALPHA_TOKEN: &str = "sk_akua_test_alpha";
/// Default token of workspace `ws_beta`.
pub const BETA_TOKEN: &str = "sk_akua_test_beta";
/// Default broad (multi-workspace) token: covers `ws_alpha` and `ws_gamma`
/// (D-INTRO: "With a broad credential ... select the workspace with the
/// optional Akua-Context header"). Without `akua-context` it acts in
/// `ws_alpha`, the first workspace it covers (a reference choice: the docs
/// do not say what a broad token does without the header).
pub const BROAD_TOKEN: &str = "sk_akua_test_broad";
/// The workspaces [`BROAD_TOKEN`] covers, the default one first.
pub const BROAD_WORKSPACES: [&str; 2] = ["ws_alpha", "ws_gamma"];

/// Default step of `Tempo::Live`: a live operation takes ten steps, so it
/// finishes in about 2 s.
pub const LIVE_STEP: Duration = Duration::from_millis(200);
/// Default retention of finished operations. AIP-151 suggests days for a
/// real service; an hour keeps a long-running `serve` from holding every
/// finished operation, while a fuzz session (whose shared terminal fixtures
/// are finished from the start) runs an hour before they answer 404. Memory
/// is bounded by [`DEFAULT_MAX_OPERATIONS`] either way.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(3600);
/// Default cap on stored operations (about 1 KB each).
pub const DEFAULT_MAX_OPERATIONS: usize = 20_000;
/// Default cap on remembered Idempotency-Keys. A key with its recorded
/// answer takes about 500 B; 100,000 of them (the cap before) were half of
/// `serve`'s memory in a long fuzz session, which sends a fresh key every
/// few requests (benches/README.md, "Reference server memory").
pub const DEFAULT_IDEMPOTENCY_CAPACITY: usize = 20_000;

/// Step length of the embedded reference that `opconform run` (no target)
/// and `opconform selftest` start. Short enough that whole lifecycles take a
/// fraction of a second, long enough that a client polling every 50 ms sees
/// every intermediate state of the `retrying` fixture (its failed step is
/// visible for one step) and that a second cancel sent right after the
/// first finds the operation still draining.
pub const EMBEDDED_STEP_LENGTH: Duration = Duration::from_millis(100);

/// A bearer token and the workspaces it covers.
///
/// ```
/// use opconform::reference::TokenGrant;
/// let owned = TokenGrant::workspace("sk_a", "ws_a");
/// let broad = TokenGrant::broad("sk_b", ["ws_a", "ws_b"]);
/// assert!(!owned.broad && broad.broad);
/// assert_eq!(broad.default_workspace(), Some("ws_a"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    /// The bearer token.
    pub token: String,
    /// The workspaces it covers; the first is where it acts without
    /// `akua-context`. A workspace-owned token has exactly one.
    pub workspaces: Vec<String>,
    /// A broad (multi-workspace) credential: `akua-context` selects one of
    /// `workspaces`. A workspace-owned token implies its workspace (D-AUTH).
    pub broad: bool,
}

impl TokenGrant {
    /// A workspace-owned token (`sk_akua_...` of one workspace).
    pub fn workspace(token: impl Into<String>, workspace: impl Into<String>) -> TokenGrant {
        TokenGrant {
            token: token.into(),
            workspaces: vec![workspace.into()],
            broad: false,
        }
    }

    /// A broad token covering `workspaces` (the first is its default).
    pub fn broad<S: Into<String>>(
        token: impl Into<String>,
        workspaces: impl IntoIterator<Item = S>,
    ) -> TokenGrant {
        TokenGrant {
            token: token.into(),
            workspaces: workspaces.into_iter().map(Into::into).collect(),
            broad: true,
        }
    }

    /// Where the token acts without `akua-context`.
    pub fn default_workspace(&self) -> Option<&str> {
        self.workspaces.first().map(String::as_str)
    }
}

/// How the reference behaves.
#[derive(Debug, Clone)]
pub struct ReferenceConfig {
    /// Accepted tokens.
    pub tokens: Vec<TokenGrant>,
    /// Which documented alternatives the reference answers with.
    pub dialect: Dialect,
    /// Whether `running` fixtures move on their own.
    pub tempo: Tempo,
    /// Length of one simulated lifecycle step: the cancel drain, and each
    /// step of the `retrying` fixture.
    pub step_length: Duration,
    /// Step of a `running` fixture under [`Tempo::Live`] (default 200 ms).
    pub live_step: Duration,
    /// How long a finished operation stays readable (then 404).
    pub retention: Duration,
    /// How many operations are kept at most; beyond it one of the oldest
    /// is evicted: the least recently read of the 16 oldest, so operations
    /// in use survive.
    pub max_operations: usize,
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
                TokenGrant::workspace(ALPHA_TOKEN, "ws_alpha"),
                TokenGrant::workspace(BETA_TOKEN, "ws_beta"),
                TokenGrant::broad(BROAD_TOKEN, BROAD_WORKSPACES),
            ],
            dialect: Dialect::Akua,
            tempo: Tempo::Frozen,
            step_length: Duration::from_secs(1),
            live_step: LIVE_STEP,
            retention: DEFAULT_RETENTION,
            max_operations: DEFAULT_MAX_OPERATIONS,
            faults: Vec::new(),
            fixtures: true,
            idempotency_ttl: Duration::from_secs(24 * 3600),
            idempotency_capacity: DEFAULT_IDEMPOTENCY_CAPACITY,
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
    fn default_has_two_workspace_tokens_a_broad_one_and_no_faults() {
        let c = ReferenceConfig::default();
        assert_eq!(c.tokens.len(), 3);
        assert_eq!(c.tokens.iter().filter(|t| t.broad).count(), 1);
        assert_eq!((c.dialect, c.tempo), (Dialect::Akua, Tempo::Frozen));
        assert_eq!(c.live_step, Duration::from_millis(200));
        assert!(!c.has(Fault::WaitNoWake));
        let c = c
            .with_fault(Fault::WaitNoWake)
            .with_fault(Fault::WaitNoWake);
        assert!(c.has(Fault::WaitNoWake));
        assert_eq!(c.faults.len(), 1);
    }
}
