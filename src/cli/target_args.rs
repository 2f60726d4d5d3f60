//! The options that say which target to talk to and how (`--target`,
//! `--profile`, tokens, TLS, `--rate`, `--max-body`, `--secret`,
//! `--wait-for-target` ...), shared by `run` and `fuzz` so that both take
//! the same names, parse them the same way, layer them the same way over a
//! profile (flag > file > default) and fail with the same messages.

use std::path::PathBuf;
use std::time::Duration;

use crate::exit::ExitStatus;
use crate::profile::{Profile, Rate};
use crate::reference;
use crate::target::{self, TargetSpec, TransportOptions};
use crate::vocab::Mode;

use super::profile_merge;

/// Target options of `run` and `fuzz`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TargetArgs {
    /// Base URL of the API under test, including `/v1` (default: the
    /// profile's `target`, else start the embedded reference server).
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// Config file with named profiles (default: ./opconform.toml if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Profile of the config file to apply (default: its `default_profile`);
    /// flags given here override it.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Bearer token of the workspace under test (else the profile's
    /// `token_env` variable, else AKUA_TOKEN).
    #[arg(long)]
    pub token: Option<String>,
    /// A second workspace's token, for `run`'s isolation cases (else the
    /// profile's `foreign_token_env` variable, else AKUA_FOREIGN_TOKEN).
    #[arg(long)]
    pub foreign_token: Option<String>,
    /// A broad (multi-workspace) token that covers the workspace under
    /// test, for the `akua-context` cases (else AKUA_BROAD_TOKEN; cases that
    /// need it are skipped without it).
    #[arg(long)]
    pub broad_token: Option<String>,
    /// Sent as `akua-context` (the token's workspace id) unless a request
    /// sets its own.
    #[arg(long, value_name = "WS_ID")]
    pub context: Option<String>,
    /// Fixture provider URL (`POST {"state": ...}` returns a fresh Operation).
    #[arg(long, value_name = "URL")]
    pub fixtures: Option<String>,
    /// Before the first request, poll the target for up to SECS until it
    /// answers (exit 3 if it never does).
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub wait_for_target: Option<Duration>,
    /// At most this many requests, e.g. `5/s`, `100/min` (all requests,
    /// fixture creation included).
    #[arg(long, value_name = "N/UNIT", value_parser = parse_rate)]
    pub rate: Option<Rate>,
    /// Extra CA certificate(s) to trust, PEM.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Do not check TLS certificates (throwaway servers only; prints a warning).
    #[arg(long)]
    pub insecure: bool,
    /// Largest response body read, in bytes [default: 8 MiB]; a larger body
    /// fails its check with the reason.
    #[arg(long, value_name = "BYTES")]
    pub max_body: Option<usize>,
    /// Another secret to redact from all output (repeatable).
    #[arg(long = "secret", value_name = "VALUE", hide_env_values = true)]
    pub secrets: Vec<String>,
    /// Record every exchange sent (redacted) as HAR 1.2 into FILE, for
    /// `opconform audit`, a browser's developer tools or any HAR viewer.
    #[arg(long, value_name = "FILE")]
    pub har: Option<PathBuf>,
}

/// Seconds as `run` and `fuzz` take them: a positive number (fractions
/// allowed), at most a year.
pub(crate) fn parse_secs(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds, e.g. 30 or 0.5"))?;
    if !secs.is_finite() || secs <= 0.0 || secs > 31_536_000.0 {
        return Err(format!("`{s}`: seconds must be above 0 and at most a year"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn parse_rate(s: &str) -> Result<Rate, String> {
    Rate::parse(s).map_err(|e| e.to_string())
}

impl TargetArgs {
    /// The profile to layer these flags over (see
    /// [`profile_merge::load_profile`]); errors are printed, exit 2.
    pub(crate) fn load_profile(&self) -> Result<Profile, ExitStatus> {
        profile_merge::load_profile(self.config.as_deref(), self.profile.as_deref())
    }

    /// Where every driver starts: the chosen profile and the target URL
    /// (flag > profile), with `--fault` and `--dialect`/`--tempo` refused
    /// for a URL target (they choose the embedded reference).
    pub(crate) fn start(
        &self,
        world: &WorldArgs,
        faults: &[String],
    ) -> Result<(Profile, Option<String>), ExitStatus> {
        let profile = self.load_profile()?;
        let target_url = self.target_url(&profile);
        Self::check_faults(target_url.as_deref(), faults)?;
        world.check(target_url.as_deref())?;
        Ok((profile, target_url))
    }

    /// `--strict` / `--lenient` over the profile's `strict`; lenient by
    /// default.
    pub(crate) fn mode(strict: bool, lenient: bool, profile: &Profile) -> Mode {
        if strict {
            Mode::Strict
        } else if lenient {
            Mode::Lenient
        } else {
            profile.mode().unwrap_or(Mode::Lenient)
        }
    }

    /// `--target`, else the profile's `target`; `None`: the embedded
    /// reference.
    pub(crate) fn target_url(&self, profile: &Profile) -> Option<String> {
        self.target
            .clone()
            .or_else(|| profile.target.as_ref().map(|u| u.to_string()))
    }

    /// Refuses `--fault` together with a target (flag or profile).
    pub(crate) fn check_faults(
        target_url: Option<&str>,
        faults: &[String],
    ) -> Result<(), ExitStatus> {
        if target_url.is_some() && !faults.is_empty() {
            eprintln!(
                "error: --fault switches on faults of the embedded reference; it cannot be used with --target"
            );
            return Err(ExitStatus::BadInput);
        }
        Ok(())
    }

    /// The tokens, flag > profile variable > generic variable (see
    /// [`profile_merge::resolve_tokens`]).
    pub(crate) fn tokens(
        &self,
        profile: &Profile,
    ) -> Result<(Option<String>, Option<String>), ExitStatus> {
        profile_merge::resolve_tokens(
            profile,
            self.token.as_deref(),
            self.foreign_token.as_deref(),
            &|name| std::env::var(name).ok(),
        )
    }

    /// `--broad-token`, else AKUA_BROAD_TOKEN.
    pub(crate) fn broad_token(&self) -> Option<String> {
        self.broad_token
            .clone()
            .or_else(|| std::env::var("AKUA_BROAD_TOKEN").ok())
            .filter(|t| !t.is_empty())
    }

    /// `--context`, else the profile's `context`.
    pub(crate) fn context(&self, profile: &Profile) -> Option<String> {
        self.context.clone().or_else(|| profile.context.clone())
    }

    /// `--fixtures`, else the profile's `fixtures`.
    pub(crate) fn fixtures(&self, profile: &Profile) -> Option<String> {
        self.fixtures
            .clone()
            .or_else(|| profile.fixtures.as_ref().map(|u| u.to_string()))
    }

    /// The PEM of `--ca-cert` (else the profile's `ca_cert`), read and
    /// checked before anything is sent; a bad file is exit 2, named.
    pub(crate) fn ca_cert_pem(&self, profile: &Profile) -> Result<Option<Vec<u8>>, ExitStatus> {
        match self.ca_cert.as_ref().or(profile.ca_cert.as_ref()) {
            Some(path) => target::load_ca_cert(path).map(Some).map_err(|e| {
                eprintln!("error: failed to {e}");
                ExitStatus::BadInput
            }),
            None => Ok(None),
        }
    }

    /// `--insecure`, or the profile's `insecure = true`.
    pub(crate) fn insecure(&self, profile: &Profile) -> bool {
        self.insecure || profile.insecure.unwrap_or(false)
    }

    /// `--rate`, else the profile's `rate`.
    pub(crate) fn rate(&self, profile: &Profile) -> Option<Rate> {
        self.rate.or(profile.rate)
    }

    /// `--wait-for-target`, else the profile's `wait_for_target_secs`.
    pub(crate) fn wait_for_target(&self, profile: &Profile) -> Option<Duration> {
        self.wait_for_target.or(profile.wait_for_target)
    }

    /// `--max-body`, else `default`; at least one byte.
    pub(crate) fn body_cap(&self, default: usize) -> usize {
        self.max_body.unwrap_or(default).max(1)
    }

    /// The target these flags and `profile` name, in one step: `--target`
    /// (or the profile's) with its tokens, context and fixture provider, or
    /// else `embedded` (the reference, with `--context` when given); with
    /// TLS, redirects, rate, body cap, secrets and the wait, whichever it
    /// is. Files are read and checked here (exit 2, named).
    /// `foreign_token_env` is false for drivers that never send a second
    /// workspace's token: a profile naming an unset variable is then no
    /// error, and a set one is still redacted.
    pub(crate) fn spec(
        &self,
        profile: &Profile,
        embedded: impl FnOnce() -> TargetSpec,
        follow_redirects: bool,
        foreign_token_env: bool,
    ) -> Result<TargetSpec, ExitStatus> {
        let transport = TransportOptions {
            ca_cert_pem: self.ca_cert_pem(profile)?,
            insecure: self.insecure(profile),
            follow_redirects,
        };
        let mut spec = match self.target_url(profile) {
            Some(url) => {
                let mut tokens_profile = profile.clone();
                if !foreign_token_env {
                    tokens_profile.foreign_token_env = None;
                }
                let (token, foreign) = self.tokens(&tokens_profile)?;
                let mut spec = TargetSpec::url(url);
                spec.token = token;
                if foreign_token_env {
                    spec.foreign_token = foreign;
                } else {
                    // Never sent, but a secret all the same.
                    spec = spec.secrets(foreign);
                }
                spec.broad_token = self.broad_token();
                spec.context = self.context(profile);
                spec.fixtures = self.fixtures(profile);
                spec
            }
            None => {
                let mut spec = embedded();
                if let Some(context) = &self.context {
                    spec.context = Some(context.clone());
                }
                spec
            }
        };
        spec = spec
            .transport(transport)
            .rate(self.rate(profile))
            .max_body(self.body_cap(target::DEFAULT_BODY_CAP))
            .secrets(self.secrets.iter().cloned())
            .wait_for_target(self.wait_for_target(profile));
        Ok(spec)
    }
}

/// `--dialect` and `--tempo` of the embedded reference.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct WorldArgs {
    /// The embedded reference answers in akua's documented dialect or the
    /// alternate one (every other choice lenient mode accepts: 200 cancels,
    /// 412 stale If-Match, `{"error": ...}` envelopes, no list, ...).
    #[arg(long, value_name = "DIALECT", default_value = "akua", value_parser = parse_dialect)]
    pub dialect: reference::Dialect,
    /// The embedded reference's operations stay put (`frozen`) or move on
    /// their own (`live`: a step every ~200 ms, a retried step, done in ~2 s).
    #[arg(long, value_name = "TEMPO", default_value = "frozen", value_parser = parse_tempo)]
    pub tempo: reference::Tempo,
}

impl WorldArgs {
    /// The world these flags name.
    pub fn world(&self) -> crate::target::World {
        crate::target::World {
            dialect: self.dialect,
            tempo: self.tempo,
        }
    }

    /// Refuses a world other than the default together with a target.
    pub(crate) fn check(&self, target_url: Option<&str>) -> Result<(), ExitStatus> {
        if target_url.is_some() && self.world() != crate::target::World::default() {
            eprintln!(
                "error: --dialect and --tempo choose the embedded reference's world; they cannot be used with --target"
            );
            return Err(ExitStatus::BadInput);
        }
        Ok(())
    }
}

fn parse_dialect(s: &str) -> Result<reference::Dialect, String> {
    s.parse()
        .map_err(|e: reference::UnknownWorld| e.to_string())
}

fn parse_tempo(s: &str) -> Result<reference::Tempo, String> {
    s.parse()
        .map_err(|e: reference::UnknownWorld| e.to_string())
}

/// The warning `--insecure` prints before anything is sent.
pub(crate) fn warn_insecure() {
    eprintln!(
        "warning: --insecure: TLS certificates are not checked; use this only against throwaway servers"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrap {
        #[command(flatten)]
        t: TargetArgs,
    }

    #[test]
    fn seconds_and_rates_parse_as_in_run() {
        assert_eq!(parse_secs("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_secs("0.5"), Ok(Duration::from_millis(500)));
        assert!(parse_secs("0").unwrap_err().contains("above 0"));
        assert!(parse_secs("soon").unwrap_err().contains("not a number"));
        assert!(parse_rate("fast").is_err());
        let w =
            Wrap::try_parse_from(["x", "--rate", "5/s", "--wait-for-target", "2"]).expect("parses");
        assert_eq!(w.t.wait_for_target, Some(Duration::from_secs(2)));
        assert_eq!(w.t.rate, Rate::parse("5/s").ok());
    }

    #[test]
    fn flags_beat_the_profile() {
        let profile = Profile {
            target: url::Url::parse("http://profile.test/v1").ok(),
            context: Some("ws_profile".into()),
            fixtures: url::Url::parse("http://profile.test/fx").ok(),
            rate: Rate::parse("1/s").ok(),
            wait_for_target: Some(Duration::from_secs(9)),
            insecure: Some(true),
            ..Profile::default()
        };
        let none = Wrap::try_parse_from(["x"]).expect("parses").t;
        assert_eq!(
            none.target_url(&profile).as_deref(),
            Some("http://profile.test/v1")
        );
        assert_eq!(none.context(&profile).as_deref(), Some("ws_profile"));
        assert_eq!(
            none.fixtures(&profile).as_deref(),
            Some("http://profile.test/fx")
        );
        assert_eq!(none.rate(&profile), Rate::parse("1/s").ok());
        assert_eq!(none.wait_for_target(&profile), Some(Duration::from_secs(9)));
        assert!(none.insecure(&profile));
        assert_eq!(none.body_cap(77), 77);
        let flags = Wrap::try_parse_from([
            "x",
            "--target",
            "http://flag.test/v1",
            "--context",
            "ws_flag",
            "--fixtures",
            "http://flag.test/fx",
            "--rate",
            "7/s",
            "--wait-for-target",
            "1",
            "--max-body",
            "0",
        ])
        .expect("parses")
        .t;
        assert_eq!(
            flags.target_url(&profile).as_deref(),
            Some("http://flag.test/v1")
        );
        assert_eq!(flags.context(&profile).as_deref(), Some("ws_flag"));
        assert_eq!(
            flags.fixtures(&profile).as_deref(),
            Some("http://flag.test/fx")
        );
        assert_eq!(flags.rate(&profile), Rate::parse("7/s").ok());
        assert_eq!(
            flags.wait_for_target(&profile),
            Some(Duration::from_secs(1))
        );
        assert_eq!(flags.body_cap(77), 1);
        assert_eq!(none.target_url(&Profile::default()), None);
        assert!(!none.insecure(&Profile::default()));
    }

    #[test]
    fn a_missing_ca_file_is_bad_input() {
        let w = Wrap::try_parse_from(["x", "--ca-cert", "/nonexistent/ca.pem"])
            .expect("parses")
            .t;
        assert_eq!(
            w.ca_cert_pem(&Profile::default()),
            Err(ExitStatus::BadInput)
        );
        assert_eq!(
            TargetArgs::check_faults(Some("http://x/v1"), &["f".into()]),
            Err(ExitStatus::BadInput)
        );
        assert_eq!(TargetArgs::check_faults(None, &["f".into()]), Ok(()));
    }
}
