//! [`Tokens`]: the bearer tokens a profile names, read from the environment.
//! The config file only ever holds the variables' names.

use std::fmt;

use crate::redact::{REDACTED, Redactor};

/// The tokens resolved from the environment variables a profile names.
/// `Debug` never shows them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Tokens {
    /// From `token_env`, when the profile names one.
    pub(crate) token: Option<String>,
    /// From `foreign_token_env`, when the profile names one.
    pub(crate) foreign_token: Option<String>,
}

impl Tokens {
    /// Tokens given directly (e.g. by the CLI after its own flags).
    pub fn new(token: Option<String>, foreign_token: Option<String>) -> Self {
        Tokens {
            token,
            foreign_token,
        }
    }

    /// The workspace token.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The second workspace's token (for isolation cases).
    pub fn foreign_token(&self) -> Option<&str> {
        self.foreign_token.as_deref()
    }

    /// A redactor that hides both tokens.
    pub fn redactor(&self) -> Redactor {
        Redactor::new(self.token.iter().chain(&self.foreign_token).cloned())
    }
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |t: &Option<String>| t.as_ref().map(|_| REDACTED);
        f.debug_struct("Tokens")
            .field("token", &shown(&self.token))
            .field("foreign_token", &shown(&self.foreign_token))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_tokens() {
        let t = Tokens::new(Some("sk_secret_1".into()), Some("sk_secret_2".into()));
        let shown = format!("{t:?}");
        assert!(!shown.contains("sk_secret"), "{shown}");
        assert!(shown.contains(REDACTED));
    }

    #[test]
    fn redactor_hides_both() {
        let t = Tokens::new(Some("aaaa1111".into()), Some("bbbb2222".into()));
        assert_eq!(
            t.redactor().redact("x aaaa1111 bbbb2222"),
            "x [REDACTED] [REDACTED]"
        );
    }
}
