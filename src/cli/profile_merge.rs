//! Layering the command line over a profile of `opconform.toml`
//! (flag > file > default), shared by the subcommands that talk to a
//! target.

use std::path::Path;

use crate::exit::ExitStatus;
use crate::profile::{Config, Profile, render_errors};

/// The profile to apply: `--profile NAME` (or the file's `default_profile`)
/// from `--config FILE` (or `./opconform.toml` when present). Without a
/// config file the profile is empty. Config errors are printed, rendered
/// with their place in the file, and give exit 2.
pub(crate) fn load_profile(
    config: Option<&Path>,
    name: Option<&str>,
) -> Result<Profile, ExitStatus> {
    let found = Config::discover(config).map_err(|errors| {
        eprintln!("{}", render_errors(&errors));
        ExitStatus::BadInput
    })?;
    let Some((_, config)) = found else {
        if let Some(name) = name {
            eprintln!(
                "error: --profile {name}: no config file; pass --config FILE or create ./{}",
                crate::profile::DEFAULT_CONFIG_FILE
            );
            return Err(ExitStatus::BadInput);
        }
        return Ok(Profile::default());
    };
    match config.profile(name) {
        Ok(p) => Ok(p.clone()),
        Err(e) => {
            eprintln!("{}", render_errors(&[e]));
            Err(ExitStatus::BadInput)
        }
    }
}

/// The run's tokens: `--token` / `--foreign-token`, else the variables the
/// profile names (`token_env`, `foreign_token_env`; named but unset is an
/// error, exit 2), else `AKUA_TOKEN` / `AKUA_FOREIGN_TOKEN`. The profile's
/// variables beat the generic ones so that a token exported for one
/// target is never sent to the target of another profile.
pub(crate) fn resolve_tokens(
    profile: &Profile,
    token_flag: Option<&str>,
    foreign_flag: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Option<String>, Option<String>), ExitStatus> {
    let mut named = profile.clone();
    if token_flag.is_some() {
        named.token_env = None;
    }
    if foreign_flag.is_some() {
        named.foreign_token_env = None;
    }
    let from_profile = named.resolve_tokens(env).map_err(|e| {
        eprintln!("{}", render_errors(&[e]));
        ExitStatus::BadInput
    })?;
    let generic = |var: &str| env(var).filter(|v| !v.trim().is_empty());
    let token = token_flag
        .map(String::from)
        .or_else(|| from_profile.token().map(String::from))
        .or_else(|| {
            profile
                .token_env
                .is_none()
                .then(|| generic("AKUA_TOKEN"))
                .flatten()
        });
    let foreign = foreign_flag
        .map(String::from)
        .or_else(|| from_profile.foreign_token().map(String::from))
        .or_else(|| {
            profile
                .foreign_token_env
                .is_none()
                .then(|| generic("AKUA_FOREIGN_TOKEN"))
                .flatten()
        });
    Ok((token, foreign))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn staging() -> Profile {
        Profile {
            token_env: Some("STAGING_TOKEN".into()),
            ..Profile::default()
        }
    }

    #[test]
    fn flag_beats_profile_beats_generic_env() {
        let e = env(&[
            ("STAGING_TOKEN", "tok_staging"),
            ("AKUA_TOKEN", "tok_local"),
        ]);
        let (t, _) = resolve_tokens(&staging(), Some("tok_flag"), None, &e).unwrap();
        assert_eq!(t.as_deref(), Some("tok_flag"));
        let (t, _) = resolve_tokens(&staging(), None, None, &e).unwrap();
        assert_eq!(t.as_deref(), Some("tok_staging"));
        let (t, f) = resolve_tokens(&Profile::default(), None, None, &e).unwrap();
        assert_eq!((t.as_deref(), f), (Some("tok_local"), None));
    }

    #[test]
    fn generic_token_never_stands_in_for_a_named_one() {
        let e = env(&[("AKUA_TOKEN", "tok_local")]);
        assert_eq!(
            resolve_tokens(&staging(), None, None, &e).unwrap_err(),
            ExitStatus::BadInput
        );
        // A flag makes the named variable unnecessary.
        let (t, _) = resolve_tokens(&staging(), Some("x"), None, &e).unwrap();
        assert_eq!(t.as_deref(), Some("x"));
    }
}
