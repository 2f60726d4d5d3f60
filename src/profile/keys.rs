//! Every key the config file accepts, in one place: the loader checks
//! against these lists (and suggests from them), and a test checks that
//! `schemas/config.schema.json` describes exactly the same keys.

/// Keys allowed at the top level of the file.
pub const TOP_LEVEL_KEYS: &[&str] = &["default_profile", "profile", "waiver"];

/// Keys allowed in a `[profile.NAME]` table.
pub const PROFILE_KEYS: &[&str] = &[
    "target",
    "token_env",
    "foreign_token_env",
    "context",
    "fixtures",
    "ops",
    "strict",
    "request_timeout_secs",
    "deadline_secs",
    "settle_deadline_secs",
    "wait_for_target_secs",
    "rate",
    "concurrency",
    "ca_cert",
    "insecure",
    "cases",
    "report",
    "out",
    "fail_on",
    "waiver",
];

/// Keys allowed in a `[[waiver]]` / `[[profile.NAME.waiver]]` table.
pub const WAIVER_KEYS: &[&str] = &["invariant", "reason", "expires"];

/// Keys allowed in a profile's `ops` table: the fixture states.
pub const OPS_KEYS: &[&str] = &["running", "succeeded", "failed", "cancelled", "retrying"];

/// Keys that would hold a secret; rejected with a hint to use the `_env`
/// key instead. Maps the key to the key that should be used.
pub(crate) const SECRET_KEYS: &[(&str, &str)] = &[
    ("token", "token_env"),
    ("foreign_token", "foreign_token_env"),
];

/// Largest accepted timeout, in seconds (one week): long enough for any run,
/// short enough that adding it to an `Instant` cannot overflow.
pub(crate) const MAX_SECS: f64 = 7.0 * 24.0 * 3600.0;

/// Largest accepted `concurrency`.
pub(crate) const MAX_CONCURRENCY: i64 = 1024;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::FixtureState;

    #[test]
    fn ops_keys_are_the_fixture_states() {
        let states = [
            FixtureState::Running,
            FixtureState::Succeeded,
            FixtureState::Failed,
            FixtureState::Cancelled,
            FixtureState::Retrying,
        ];
        let names: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, OPS_KEYS);
    }

    #[test]
    fn secret_keys_are_not_allowed_keys() {
        for (secret, instead) in SECRET_KEYS {
            assert!(!PROFILE_KEYS.contains(secret));
            assert!(PROFILE_KEYS.contains(instead));
        }
    }
}
