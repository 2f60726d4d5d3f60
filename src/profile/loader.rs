//! Turns the text of a config file into [`Config`] parts: parses it with
//! `toml_edit` (which keeps spans) and walks the document by hand, so that
//! every semantic problem is reported at its `line:column`, all at once.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::ops::Range;
use std::path::Path;

use toml_edit::{Item, TableLike};

use super::error::ConfigError;
use super::keys::{
    MAX_CONCURRENCY, OPS_KEYS, PROFILE_KEYS, SECRET_KEYS, TOP_LEVEL_KEYS, WAIVER_KEYS,
};
use super::settings::Profile;
use super::source::Source;
use super::walker::{Entry, Walker, kind};
use crate::case::FixtureState;
use crate::contract::Level;
use crate::gate::Date;
use crate::gate::Waiver;
use crate::report::Format;
use crate::suggest::did_you_mean;
use crate::target::Rate;

/// What a config file holds, before it becomes a `Config`.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub(crate) default_profile: Option<String>,
    pub(crate) profiles: Vec<Profile>,
    pub(crate) waivers: Vec<Waiver>,
}

/// Parses and checks `source`; relative paths in it are resolved against
/// `base_dir`.
pub(crate) fn load(source: &Source, base_dir: &Path) -> Result<Loaded, Vec<ConfigError>> {
    let doc = match toml_edit::Document::parse(source.text()) {
        Ok(doc) => doc,
        Err(err) => return Err(vec![syntax_error(source, &err)]),
    };
    let mut w = Walker::new(source);
    let mut default_profile = None;
    let mut profiles = Vec::new();
    let mut waivers = Vec::new();

    for e in w.entries(doc.as_table(), "", 0..0) {
        match e.key {
            "default_profile" => {
                default_profile = w
                    .nonempty_string(&e)
                    .map(|s| (s.to_string(), e.value_span.clone()));
            }
            "profile" => profiles = load_profiles(&mut w, &e, base_dir),
            "waiver" => waivers = load_waivers(&mut w, &e),
            key if secret_instead(key).is_some() => literal_secret(&mut w, &e),
            key if PROFILE_KEYS.contains(&key) => w.error(
                e.key_span.clone(),
                &e.path,
                format!("`{key}` must be set inside a profile"),
                Some(format!(
                    "move it under a profile table, e.g. [profile.local] then {key} = ..."
                )),
            ),
            _ => w.unknown_key(&e, TOP_LEVEL_KEYS, "the top level"),
        }
    }

    if let Some((name, span)) = &default_profile
        && !profiles.iter().any(|p| &p.name == name)
    {
        let help = profile_help(name, profiles.iter().map(|p| p.name.as_str()));
        w.error(
            span.clone(),
            "default_profile",
            format!("default profile `{name}` is not defined"),
            Some(help),
        );
    }

    // A profile's own waiver replaces a top-level one for the same invariant.
    for profile in &mut profiles {
        let own = std::mem::take(&mut profile.waivers);
        let mut merged: Vec<Waiver> = waivers
            .iter()
            .filter(|g| !own.iter().any(|o| o.invariant == g.invariant))
            .cloned()
            .collect();
        merged.extend(own);
        profile.waivers = merged;
    }

    if w.errors.is_empty() {
        Ok(Loaded {
            default_profile: default_profile.map(|(name, _)| name),
            profiles,
            waivers,
        })
    } else {
        Err(w.into_errors())
    }
}

/// The help for an unknown profile name: a did-you-mean, and the list.
pub(crate) fn profile_help<'a>(name: &str, names: impl Iterator<Item = &'a str> + Clone) -> String {
    let list: Vec<&str> = names.clone().collect();
    if list.is_empty() {
        return format!("no profiles are defined; add a [profile.{name}] table");
    }
    let available = format!("available profiles: {}", list.join(", "));
    match did_you_mean(name, names) {
        Some(s) => format!("did you mean `{s}`? {available}"),
        None => available,
    }
}

fn syntax_error(source: &Source, err: &toml_edit::TomlError) -> ConfigError {
    let span = err.span().unwrap_or(0..0);
    // A broken line may hold a literal token (`token = "sk_...`): never
    // echo the value of a secret key.
    let line = source.line_range(span.start);
    let line_text = &source.text()[line.clone()];
    let mask = line_text.split_once('=').and_then(|(key, _)| {
        let key = key.trim().rsplit('.').next().unwrap_or_default();
        secret_instead(key.trim().trim_matches(['"', '\'']))?;
        Some(line.start + key_end(line_text)..line.end)
    });
    let position = source.position(span, mask);
    // toml_edit's message is one line starting lowercase ("invalid ..."),
    // sometimes with trailing detail lines; keep the first.
    let message = err
        .message()
        .lines()
        .next()
        .unwrap_or("invalid TOML")
        .trim();
    let help = if message.contains("duplicate key") {
        "a key may appear only once in a table; remove one of them"
    } else {
        "see https://toml.io for the syntax"
    };
    ConfigError::at(
        source.path(),
        position,
        None,
        format!("parse TOML: {message}"),
        Some(help.into()),
    )
}

/// Byte offset of the value on a `key = value` line: past the first `=`
/// and the blanks after it.
fn key_end(line: &str) -> usize {
    line.find('=').map_or(line.len(), |i| {
        let rest = &line[i + 1..];
        i + 1 + (rest.len() - rest.trim_start_matches([' ', '\t']).len())
    })
}

/// The `_env` key to use instead of a secret-holding key.
fn secret_instead(key: &str) -> Option<&'static str> {
    SECRET_KEYS
        .iter()
        .find(|(secret, _)| *secret == key)
        .map(|(_, instead)| *instead)
}

/// A token written into the file: rejected, and never echoed.
fn literal_secret(w: &mut Walker<'_>, e: &Entry<'_>) {
    let instead = secret_instead(e.key).unwrap_or("token_env");
    w.error_masked(
        e.key_span.clone(),
        Some(e.value_span.clone()),
        &e.path,
        format!("`{}` would put a secret in the config file", e.key),
        Some(format!(
            "put the token in an environment variable and name it in {instead}, e.g. {instead} = \"STAGING_AKUA_TOKEN\""
        )),
    );
}

fn load_profiles(w: &mut Walker<'_>, e: &Entry<'_>, base_dir: &Path) -> Vec<Profile> {
    let Some(table) = e.item.as_table_like() else {
        w.error(
            e.value_span.clone(),
            &e.path,
            format!(
                "`profile` must be a table of named profiles, found {}",
                kind(e.item)
            ),
            Some("write one table per profile, e.g. [profile.staging]".into()),
        );
        return Vec::new();
    };
    let mut profiles = Vec::new();
    for pe in w.entries(table, &e.path, e.key_span.clone()) {
        let name_ok = !pe.key.is_empty()
            && pe
                .key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !name_ok {
            w.error(
                pe.key_span.clone(),
                &pe.path,
                format!("profile name {:?} is not a plain name", pe.key),
                Some("use letters, digits, `-` and `_`, e.g. [profile.staging-eu]".into()),
            );
        }
        let Some(settings) = pe.item.as_table_like() else {
            w.error(
                pe.value_span.clone(),
                &pe.path,
                format!(
                    "profile `{}` must be a table, found {}",
                    pe.key,
                    kind(pe.item)
                ),
                Some(format!(
                    "write [profile.{}] and put its settings below it",
                    pe.key
                )),
            );
            continue;
        };
        let profile = load_profile(w, &pe, settings, base_dir);
        if name_ok {
            profiles.push(profile);
        }
    }
    profiles
}

fn load_profile(
    w: &mut Walker<'_>,
    pe: &Entry<'_>,
    table: &dyn TableLike,
    base_dir: &Path,
) -> Profile {
    let mut p = Profile {
        name: pe.key.to_string(),
        ..Profile::default()
    };
    let what = format!("profile `{}`", pe.key);
    for e in w.entries(table, &pe.path, pe.value_span.clone()) {
        match e.key {
            "target" => p.target = w.url(&e),
            "fixtures" => p.fixtures = w.url(&e),
            "token_env" => {
                p.token_env = w.env_name(&e).map(str::to_string);
                p.token_env_at = Some(w.anchor(e.value_span.clone(), &e.path));
            }
            "foreign_token_env" => {
                p.foreign_token_env = w.env_name(&e).map(str::to_string);
                p.foreign_token_env_at = Some(w.anchor(e.value_span.clone(), &e.path));
            }
            "context" => p.context = plain_word(w, &e).map(str::to_string),
            "ops" => p.ops = load_ops(w, &e),
            "strict" => p.strict = w.boolean(&e),
            "insecure" => p.insecure = w.boolean(&e),
            "request_timeout_secs" => p.request_timeout = w.seconds(&e),
            "deadline_secs" => p.deadline = w.seconds(&e),
            "settle_deadline_secs" => p.settle_deadline = w.seconds(&e),
            "wait_for_target_secs" => p.wait_for_target = w.seconds(&e),
            "rate" => p.rate = load_rate(w, &e),
            "concurrency" => p.concurrency = load_concurrency(w, &e),
            "ca_cert" => p.ca_cert = w.path_value(&e).map(|c| base_dir.join(c)),
            "out" => p.out = w.path_value(&e).map(|o| base_dir.join(o)),
            "cases" => p.cases = load_cases(w, &e, base_dir),
            "report" => p.report = load_report(w, &e),
            "fail_on" => p.fail_on = load_fail_on(w, &e),
            "waiver" => p.waivers = load_waivers(w, &e),
            key if secret_instead(key).is_some() => literal_secret(w, &e),
            _ => w.unknown_key(&e, PROFILE_KEYS, &what),
        }
    }
    p
}

/// A non-empty string without spaces or control characters (ids, context).
fn plain_word<'d>(w: &mut Walker<'_>, e: &Entry<'d>) -> Option<&'d str> {
    let s = w.nonempty_string(e)?;
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        w.error(
            e.value_span.clone(),
            &e.path,
            format!("`{}` must not contain spaces or control characters", e.key),
            None,
        );
        return None;
    }
    Some(s)
}

fn load_ops(w: &mut Walker<'_>, e: &Entry<'_>) -> std::collections::BTreeMap<FixtureState, String> {
    let mut ops = std::collections::BTreeMap::new();
    let Some(table) = e.item.as_table_like() else {
        w.error(
            e.value_span.clone(),
            &e.path,
            format!(
                "`ops` must be a table of operation ids by state, found {}",
                kind(e.item)
            ),
            Some("write ops = { running = \"op_x\", succeeded = \"op_y\" }".into()),
        );
        return ops;
    };
    for oe in w.entries(table, &e.path, e.value_span.clone()) {
        let state = match oe.key {
            "running" => FixtureState::Running,
            "succeeded" => FixtureState::Succeeded,
            "failed" => FixtureState::Failed,
            "cancelled" => FixtureState::Cancelled,
            "retrying" => FixtureState::Retrying,
            _ => {
                w.unknown_key(&oe, OPS_KEYS, "`ops`");
                continue;
            }
        };
        if let Some(id) = plain_word(w, &oe) {
            ops.insert(state, id.to_string());
        }
    }
    ops
}

fn load_rate(w: &mut Walker<'_>, e: &Entry<'_>) -> Option<Rate> {
    let Some(text) = e.item.as_str() else {
        let help = e
            .item
            .as_integer()
            .map(|n| format!("write the unit too: rate = \"{n}/s\""));
        w.error(
            e.value_span.clone(),
            &e.path,
            format!(
                "`rate` must be a string such as \"10/s\", found {}",
                kind(e.item)
            ),
            help,
        );
        return None;
    };
    match Rate::parse(text) {
        Ok(rate) => Some(rate),
        Err(err) => {
            w.error(
                e.value_span.clone(),
                &e.path,
                err.to_string(),
                Some(
                    "write a whole number of requests per s, min or h, e.g. rate = \"5/s\"".into(),
                ),
            );
            None
        }
    }
}

fn load_concurrency(w: &mut Walker<'_>, e: &Entry<'_>) -> Option<NonZeroUsize> {
    let Some(n) = e.item.as_integer() else {
        let help = e
            .item
            .as_str()
            .filter(|s| s.trim().parse::<i64>().is_ok())
            .map(|s| format!("remove the quotes: concurrency = {}", s.trim()));
        w.error(
            e.value_span.clone(),
            &e.path,
            format!(
                "`concurrency` must be a whole number, found {}",
                kind(e.item)
            ),
            help,
        );
        return None;
    };
    let ok = (1..=MAX_CONCURRENCY).contains(&n);
    let value = usize::try_from(n).ok().and_then(NonZeroUsize::new);
    match value {
        Some(v) if ok => Some(v),
        _ => {
            w.error(
                e.value_span.clone(),
                &e.path,
                format!("`concurrency` must be from 1 to {MAX_CONCURRENCY}, found {n}"),
                Some("remove the key to use the default".into()),
            );
            None
        }
    }
}

fn load_cases(
    w: &mut Walker<'_>,
    e: &Entry<'_>,
    base_dir: &Path,
) -> Option<Vec<std::path::PathBuf>> {
    let list = w.string_list(e)?;
    let mut out = Vec::new();
    for (i, (s, span)) in list.into_iter().enumerate() {
        if s.trim().is_empty() {
            w.error(
                span,
                &format!("{}[{i}]", e.path),
                "a case path must not be empty",
                Some("write the path of a case file or folder, e.g. \"cases/\"".into()),
            );
        } else {
            out.push(base_dir.join(s));
        }
    }
    Some(out)
}

fn load_report(w: &mut Walker<'_>, e: &Entry<'_>) -> Option<Vec<Format>> {
    let list = w.string_list(e)?;
    let mut out: Vec<Format> = Vec::new();
    let mut ok = true;
    for (s, span) in list {
        match Format::parse_list(s) {
            Ok(formats) => out.extend(
                formats
                    .into_iter()
                    .filter(|f| !out.contains(f))
                    .collect::<Vec<_>>(),
            ),
            Err(message) => {
                ok = false;
                w.error(span, &e.path, message, None);
            }
        }
    }
    ok.then_some(out)
}

fn load_fail_on(w: &mut Walker<'_>, e: &Entry<'_>) -> Option<Level> {
    match w.string(e)? {
        "must" => Some(Level::Must),
        "should" => Some(Level::Should),
        other => {
            let help = match did_you_mean(other, ["must", "should"]) {
                Some(s) => format!("did you mean \"{s}\"?"),
                None => "write fail_on = \"must\" (only MUST failures fail the run) or \"should\""
                    .into(),
            };
            w.error(
                e.value_span.clone(),
                &e.path,
                format!("`fail_on` must be \"must\" or \"should\", found {other:?}"),
                Some(help),
            );
            None
        }
    }
}

fn load_waivers(w: &mut Walker<'_>, e: &Entry<'_>) -> Vec<Waiver> {
    let example = format!(
        "write one [[{}]] table (two brackets) per waiver, with invariant, reason and expires",
        e.path
    );
    let mut tables: Vec<(&dyn TableLike, Range<usize>, String)> = Vec::new();
    match e.item {
        Item::ArrayOfTables(aot) => {
            for (i, t) in aot.iter().enumerate() {
                let span = t.span().unwrap_or_else(|| e.key_span.clone());
                tables.push((t, span, format!("{}[{i}]", e.path)));
            }
        }
        Item::Value(toml_edit::Value::Array(array)) => {
            for (i, v) in array.iter().enumerate() {
                let span = v.span().unwrap_or_else(|| e.value_span.clone());
                let path = format!("{}[{i}]", e.path);
                match v.as_inline_table() {
                    Some(t) => tables.push((t, span, path)),
                    None => w.error(
                        span,
                        &path,
                        format!(
                            "each waiver must be a table, found {}",
                            kind(&Item::Value(v.clone()))
                        ),
                        Some(example.clone()),
                    ),
                }
            }
        }
        _ => {
            w.error(
                e.value_span.clone(),
                &e.path,
                format!(
                    "`waiver` must be an array of tables, found {}",
                    kind(e.item)
                ),
                Some(example),
            );
        }
    }

    let mut waivers: Vec<Waiver> = Vec::new();
    let mut first_at: HashMap<String, String> = HashMap::new();
    for (table, span, path) in tables {
        let Some((waiver, invariant_span)) = load_waiver(w, table, span.clone(), &path) else {
            continue;
        };
        if let Some(first) = first_at.get(&waiver.invariant) {
            w.error(
                invariant_span,
                &path,
                format!("invariant `{}` is waived twice", waiver.invariant),
                Some(format!("it is first waived at {first}; keep one waiver")),
            );
            continue;
        }
        first_at.insert(waiver.invariant.clone(), w.location(span));
        waivers.push(waiver);
    }
    waivers
}

/// One waiver table; `None` (with errors recorded) when it is not valid.
/// Also returns where the invariant ID is written.
fn load_waiver(
    w: &mut Walker<'_>,
    table: &dyn TableLike,
    span: Range<usize>,
    path: &str,
) -> Option<(Waiver, Range<usize>)> {
    let mut invariant = None;
    let mut reason = None;
    let mut expires = None;
    let mut seen = Vec::new();
    for e in w.entries(table, path, span.clone()) {
        seen.push(e.key);
        match e.key {
            "invariant" => {
                invariant = load_invariant_id(w, &e).map(|id| (id, e.value_span.clone()));
            }
            "reason" => {
                reason = w
                    .required_string(
                        &e,
                        "say why the failure is accepted, e.g. a ticket or a release",
                    )
                    .map(str::to_string);
            }
            "expires" => expires = load_date(w, &e),
            _ => w.unknown_key(&e, WAIVER_KEYS, "a waiver"),
        }
    }
    let missing: Vec<&str> = WAIVER_KEYS
        .iter()
        .copied()
        .filter(|k| !seen.contains(k))
        .collect();
    if !missing.is_empty() {
        let list = missing
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        w.error(
            span.clone(),
            path,
            format!("waiver is missing {list}"),
            Some(
                "every waiver needs invariant = \"ID\", reason = \"why\" and expires = YYYY-MM-DD"
                    .into(),
            ),
        );
    }
    let ((invariant, invariant_span), reason, expires) = (invariant?, reason?, expires?);
    Some((
        Waiver {
            invariant,
            reason,
            expires,
            defined_at: Some(w.location(span)),
        },
        invariant_span,
    ))
}

fn load_invariant_id(w: &mut Walker<'_>, e: &Entry<'_>) -> Option<String> {
    let id = w.required_string(
        e,
        "write the ID of the waived invariant, e.g. \"OP-ETAG-HEADER\"",
    )?;
    if crate::contract::find(id).is_some() {
        return Some(id.to_string());
    }
    let ids = crate::contract::ids();
    let help = match did_you_mean(id, ids.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => "run `opconform invariants` to list the invariant IDs".into(),
    };
    w.error(
        e.value_span.clone(),
        &e.path,
        format!("unknown invariant `{id}`"),
        Some(help),
    );
    None
}

fn load_date(w: &mut Walker<'_>, e: &Entry<'_>) -> Option<Date> {
    let help = Some("write a date without quotes or time, e.g. expires = 2026-12-31".to_string());
    if let Some(dt) = e.item.as_datetime() {
        return match (dt.date, dt.time, dt.offset) {
            (Some(d), None, None) => match Date::new(d.year, d.month, d.day) {
                Ok(date) => Some(date),
                Err(err) => {
                    w.error(e.value_span.clone(), &e.path, err.to_string(), help);
                    None
                }
            },
            _ => {
                w.error(
                    e.value_span.clone(),
                    &e.path,
                    format!("`{}` must be a date without a time, found {dt}", e.key),
                    help,
                );
                None
            }
        };
    }
    let message = match e.item.as_str() {
        Some(s) if s.parse::<Date>().is_ok() => {
            format!("`{}` must be a TOML date, not a string", e.key)
        }
        _ => format!(
            "`{}` must be a date such as 2026-12-31, found {}",
            e.key,
            kind(e.item)
        ),
    };
    w.error(e.value_span.clone(), &e.path, message, help);
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Loaded, Vec<ConfigError>> {
        load(&Source::new("t.toml", text.to_string()), Path::new(""))
    }

    #[test]
    fn key_end_skips_blanks_after_the_equals_sign() {
        assert_eq!(key_end("token = \"x\""), 8);
        assert_eq!(key_end("token=\t'x'"), 7);
        assert_eq!(key_end("no equals"), 9);
    }

    #[test]
    fn errors_come_back_in_file_order() {
        // default_profile is checked last but written first.
        let errs = load_text("default_profile = \"x\"\n[profile.a]\nrate = 1\n").unwrap_err();
        let lines: Vec<Option<u32>> = errs.iter().map(|e| e.line).collect();
        assert_eq!(lines, [Some(1), Some(3)]);
    }

    #[test]
    fn dotted_and_inline_forms_load_like_tables() {
        let loaded = load_text(
            "profile.a.rate = \"2/s\"\nprofile.b = { strict = true, ops.running = \"op_1\" }\n",
        )
        .unwrap();
        assert_eq!(loaded.profiles.len(), 2);
        assert_eq!(
            loaded.profiles[0].rate.map(|r| r.to_string()).as_deref(),
            Some("2/s")
        );
        assert_eq!(loaded.profiles[1].strict, Some(true));
        assert_eq!(
            loaded.profiles[1]
                .ops
                .get(&FixtureState::Running)
                .map(String::as_str),
            Some("op_1")
        );
    }

    #[test]
    fn an_invalid_profile_does_not_hide_errors_in_others() {
        let errs =
            load_text("[profile.a]\nrate = \"x\"\n[profile.b]\nconcurrency = 0\n").unwrap_err();
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[1].toml_path.as_deref(), Some("profile.b.concurrency"));
    }

    #[test]
    fn profile_help_lists_and_suggests() {
        assert_eq!(
            profile_help("stagee", ["stage", "prod"].into_iter()),
            "did you mean `stage`? available profiles: stage, prod"
        );
        assert_eq!(
            profile_help("qa", ["stage", "prod"].into_iter()),
            "available profiles: stage, prod"
        );
        assert_eq!(
            profile_help("x", std::iter::empty()),
            "no profiles are defined; add a [profile.x] table"
        );
    }
}
