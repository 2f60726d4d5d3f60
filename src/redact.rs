//! Secrets never reach output: every string that leaves the process through
//! the console, a report, a log line or an error message goes through a
//! [`Redactor`] first.

use std::borrow::Cow;

/// What a secret is replaced by.
pub const REDACTED: &str = "[REDACTED]";

/// Replaces every known secret (tokens, `--secret` values) with [`REDACTED`].
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so a secret that contains another is replaced whole.
    secrets: Vec<String>,
}

impl Redactor {
    /// A redactor for these secrets. Empty strings are ignored (they would
    /// match everywhere); secrets shorter than 4 bytes are still redacted.
    pub fn new<I, S>(secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut secrets: Vec<String> = secrets
            .into_iter()
            .map(Into::into)
            .filter(|s| !s.is_empty())
            .collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor { secrets }
    }

    /// Adds one more secret.
    pub fn add(&mut self, secret: impl Into<String>) {
        let secret = secret.into();
        if secret.is_empty() || self.secrets.contains(&secret) {
            return;
        }
        self.secrets.push(secret);
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// `text` with every secret replaced.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), REDACTED));
            }
        }
        out
    }

    /// True when `text` contains no known secret.
    pub fn is_clean(&self, text: &str) -> bool {
        !self.secrets.iter().any(|s| text.contains(s.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_every_occurrence_longest_first() {
        let r = Redactor::new(["sk_akua_test_alpha", "sk_akua_test_alpha_long"]);
        let out = r.redact("a sk_akua_test_alpha_long b sk_akua_test_alpha");
        assert_eq!(out, "a [REDACTED] b [REDACTED]");
        assert!(r.is_clean(&out));
    }

    #[test]
    fn empty_secret_is_ignored() {
        let r = Redactor::new([""]);
        assert_eq!(r.redact("abc"), "abc");
    }
}
