//! The runner's names for turning findings into [`crate::model::CheckResult`]s.
//! They live with the `expect` kinds (`crate::case::expect`), which make
//! most checks; the engine's own checks (histories, the watch) use the
//! same builders so every check follows the same strict-only rule.

pub use crate::case::expect::accepted_statuses;
pub(crate) use crate::case::expect::check;
