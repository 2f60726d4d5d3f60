//! [`Profile`]: one named target and how to test it, as the file says.
//! Every setting is optional so the CLI can layer flag > file > default.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use super::error::ConfigError;
use super::source::Position;
use super::tokens::Tokens;
use crate::case::FixtureState;
use crate::contract::{Level, Mode};
use crate::gate::Waiver;
use crate::report::Format;
use crate::target::Rate;

/// One `[profile.NAME]` table. Relative paths are already resolved against
/// the config file's folder.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// The profile's name (`""` for the implicit profile used when none is
    /// chosen).
    pub name: String,
    /// Base URL of the API, e.g. `https://staging.example.com/v1`.
    pub target: Option<Url>,
    /// Name of the environment variable holding the workspace token.
    pub token_env: Option<String>,
    /// Name of the environment variable holding a second workspace's token.
    pub foreign_token_env: Option<String>,
    /// The workspace context, e.g. `ws_j572abc123def456`.
    pub context: Option<String>,
    /// URL of the fixture provider.
    pub fixtures: Option<Url>,
    /// Static fixture operation ids by state (`ops = { running = "op_x" }`).
    pub ops: BTreeMap<FixtureState, String>,
    /// `true`: demand akua's own conventions; `false`: lenient.
    pub strict: Option<bool>,
    /// Per-request timeout.
    pub request_timeout: Option<Duration>,
    /// Deadline for the whole run.
    pub deadline: Option<Duration>,
    /// How long to wait for an operation to settle (e.g. after a cancel).
    pub settle_deadline: Option<Duration>,
    /// How long to wait for the target to come up before the first case.
    pub wait_for_target: Option<Duration>,
    /// Request pacing.
    pub rate: Option<Rate>,
    /// Cases run at the same time.
    pub concurrency: Option<NonZeroUsize>,
    /// Extra CA certificate (PEM) to trust.
    pub ca_cert: Option<PathBuf>,
    /// Skip TLS certificate verification.
    pub insecure: Option<bool>,
    /// Case files or folders to run instead of the bundled cases.
    pub cases: Option<Vec<PathBuf>>,
    /// Report formats to write.
    pub report: Option<Vec<Format>>,
    /// Folder for the reports.
    pub out: Option<PathBuf>,
    /// Lowest invariant level whose failure fails the run.
    pub fail_on: Option<Level>,
    /// Waivers: the file's top-level `[[waiver]]`s, then this profile's own
    /// (a profile's waiver replaces a top-level one for the same invariant).
    pub waivers: Vec<Waiver>,
    /// Where `token_env` / `foreign_token_env` are written, for errors.
    pub(crate) token_env_at: Option<Anchor>,
    pub(crate) foreign_token_env_at: Option<Anchor>,
}

/// A place in the config file that a later error can point at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Anchor {
    pub(crate) file: PathBuf,
    pub(crate) position: Position,
    pub(crate) toml_path: String,
}

impl Anchor {
    pub(crate) fn error(&self, message: String, help: Option<String>) -> ConfigError {
        ConfigError::at(
            &self.file,
            self.position.clone(),
            Some(self.toml_path.clone()),
            message,
            help,
        )
    }
}

impl Profile {
    /// The mode `strict` selects, when set.
    pub fn mode(&self) -> Option<Mode> {
        self.strict
            .map(|s| if s { Mode::Strict } else { Mode::Lenient })
    }

    /// The waiver for `invariant`, if any (active or expired).
    pub fn waiver(&self, invariant: &str) -> Option<&Waiver> {
        self.waivers.iter().find(|w| w.invariant == invariant)
    }

    /// Reads the tokens named by `token_env` and `foreign_token_env` through
    /// `env` (pass `&|name| std::env::var(name).ok()`; tests pass a map).
    /// A named variable that is unset or empty is an error that names it
    /// and points at the key; an unnamed one is simply `None`.
    ///
    /// ```
    /// use opconform::profile::Config;
    /// let config = Config::parse(
    ///     "opconform.toml",
    ///     "[profile.ci]\ntoken_env = \"CI_TOKEN\"\n",
    /// ).unwrap();
    /// let ci = config.profile(Some("ci")).unwrap();
    /// let tokens = ci
    ///     .resolve_tokens(&|name| (name == "CI_TOKEN").then(|| "sk_123".to_string()))
    ///     .unwrap();
    /// assert_eq!(tokens.token(), Some("sk_123"));
    /// let err = ci.resolve_tokens(&|_| None).unwrap_err();
    /// assert_eq!(err.message, "read token: environment variable `CI_TOKEN` is not set");
    /// assert_eq!(err.line, Some(2));
    /// ```
    pub fn resolve_tokens(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Tokens, ConfigError> {
        let token = self.read_env(
            "token",
            self.token_env.as_deref(),
            self.token_env_at.as_ref(),
            env,
        )?;
        let foreign_token = self.read_env(
            "foreign token",
            self.foreign_token_env.as_deref(),
            self.foreign_token_env_at.as_ref(),
            env,
        )?;
        Ok(Tokens {
            token,
            foreign_token,
        })
    }

    fn read_env(
        &self,
        what: &str,
        var: Option<&str>,
        at: Option<&Anchor>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<String>, ConfigError> {
        let Some(var) = var else {
            return Ok(None);
        };
        let problem = match env(var) {
            Some(value) if !value.trim().is_empty() => return Ok(Some(value)),
            Some(_) => "is empty",
            None => "is not set",
        };
        let message = format!("read {what}: environment variable `{var}` {problem}");
        let help = Some(format!(
            "export {var}=<token> before running, or name another variable in the profile"
        ));
        Err(match at {
            Some(at) => at.error(message, help),
            None => ConfigError::whole_file(PathBuf::new(), message, help),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_follows_strict() {
        let mut p = Profile::default();
        assert_eq!(p.mode(), None);
        p.strict = Some(true);
        assert_eq!(p.mode(), Some(Mode::Strict));
        p.strict = Some(false);
        assert_eq!(p.mode(), Some(Mode::Lenient));
    }

    #[test]
    fn unnamed_tokens_are_none_and_named_ones_are_read() {
        let mut p = Profile::default();
        let t = p.resolve_tokens(&|_| Some("x".into())).unwrap();
        assert_eq!(t, Tokens::default());
        p.foreign_token_env = Some("F".into());
        let t = p
            .resolve_tokens(&|n| (n == "F").then(|| "ftok".to_string()))
            .unwrap();
        assert_eq!((t.token(), t.foreign_token()), (None, Some("ftok")));
    }

    #[test]
    fn empty_variable_is_an_error_naming_it() {
        let p = Profile {
            token_env: Some("MY_TOKEN".into()),
            ..Profile::default()
        };
        let err = p.resolve_tokens(&|_| Some("  ".into())).unwrap_err();
        assert_eq!(
            err.message,
            "read token: environment variable `MY_TOKEN` is empty"
        );
    }
}
