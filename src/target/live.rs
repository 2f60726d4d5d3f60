//! [`Target`]: a target resolved and reachable, what the runner and the
//! fuzzer send to. [`super::launch`] makes one from a
//! [`super::TargetSpec`].

use std::time::Duration;

use crate::redact::Redactor;
use crate::vocab::FixtureState;

use super::pacing::PacingOptions;
use super::transport::TransportOptions;

/// Largest response body read by default (`--max-body`); a larger body is
/// cut there and recorded as an error.
pub const DEFAULT_BODY_CAP: usize = 8 * 1024 * 1024;

/// Bytes of each response body kept in a recorded exchange.
pub const EXCERPT_CAP: usize = 16 * 1024;

/// The system under test, resolved: where it answers, the credentials and
/// fixtures to use on it, and how to reach it (transport, pacing, body
/// cap), plus every secret to keep out of output.
#[derive(Clone, Default)]
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
    /// The token's workspace id, sent as `akua-context` on every request
    /// unless a case sets it.
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
    /// TLS trust and redirects.
    pub transport: TransportOptions,
    /// Rate, `Retry-After` handling and the stopped-target breaker.
    pub pacing: PacingOptions,
    /// Largest response body read; bigger bodies are cut and recorded as an
    /// error.
    pub body_cap: usize,
    /// More values to redact from every output besides the tokens
    /// (`--secret`).
    pub secrets: Vec<String>,
    /// Poll the target for up to this long until it answers before the
    /// first request (`--wait-for-target`); `None`: one probe.
    pub wait_for_target: Option<Duration>,
}

impl Target {
    /// A target at `base_url` with every other setting at its default.
    pub fn at(base_url: impl Into<String>) -> Target {
        Target {
            base_url: base_url.into(),
            body_cap: DEFAULT_BODY_CAP,
            ..Target::default()
        }
    }

    /// A redactor for every token and secret this target carries.
    pub fn redactor(&self) -> Redactor {
        let mut secrets: Vec<String> = self.secrets.clone();
        secrets.extend(self.token.iter().cloned());
        secrets.extend(self.foreign_token.iter().cloned());
        secrets.extend(self.broad_token.iter().cloned());
        Redactor::new(secrets)
    }

    /// The body cap, at least one byte ([`DEFAULT_BODY_CAP`] when unset).
    pub fn body_cap(&self) -> usize {
        if self.body_cap == 0 {
            DEFAULT_BODY_CAP
        } else {
            self.body_cap
        }
    }
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Hand-written so tokens and secrets never reach a log or panic.
        let hidden = |t: &Option<String>| t.as_ref().map(|_| "<redacted>");
        f.debug_struct("Target")
            .field("base_url", &self.base_url)
            .field("token", &hidden(&self.token))
            .field("foreign_token", &hidden(&self.foreign_token))
            .field("broad_token", &hidden(&self.broad_token))
            .field("context", &self.context)
            .field("fixtures_url", &self.fixtures_url)
            .field("static_ops", &self.static_ops)
            .field("embedded", &self.embedded)
            .field("faults", &self.faults)
            .field("transport", &self.transport)
            .field("pacing", &self.pacing)
            .field("body_cap", &self.body_cap)
            .field("secrets", &self.secrets.len())
            .field("wait_for_target", &self.wait_for_target)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redactor_covers_every_token_and_secret() {
        let t = Target {
            token: Some("tok_a".into()),
            foreign_token: Some("tok_b".into()),
            broad_token: Some("tok_c".into()),
            secrets: vec!["s3cret".into()],
            ..Target::default()
        };
        let r = t.redactor();
        assert!(r.is_clean(&r.redact("tok_a tok_b tok_c s3cret")));
        let shown = format!("{t:?}");
        for s in ["tok_a", "tok_b", "tok_c", "s3cret"] {
            assert!(!shown.contains(s), "{shown}");
        }
    }

    #[test]
    fn an_unset_body_cap_is_the_default() {
        assert_eq!(Target::default().body_cap(), DEFAULT_BODY_CAP);
        assert_eq!(Target::at("http://h/v1").body_cap, DEFAULT_BODY_CAP);
    }
}
