//! What can go wrong before a suite produces a [`crate::model::RunResult`].

/// Why a suite could not run. Failed invariants are not errors: they are in
/// the [`crate::model::RunResult`]. Messages read after "failed to …".
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SuiteError {
    /// A case file is invalid; every problem found, rendered with file and
    /// line:column.
    #[error("load case files ({} error(s)):\n{}", .0.len(), .0.join("\n"))]
    Cases(Vec<String>),
    /// The JSON Schemas (bundled or from an OpenAPI document) did not load.
    #[error("load the schemas: {0}")]
    Schemas(#[from] crate::contract::SchemaError),
    /// [`crate::Suite::run`] was called without a target.
    #[error("run the suite: no target; call .target(TargetSpec::url(..)) or .serve_router(..)")]
    NoTarget,
    /// The target could not be made live: a URL that does not resolve, or
    /// a router that could not be served.
    #[error(transparent)]
    Launch(#[from] crate::target::LaunchError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Client(#[from] crate::target::ClientError),
    /// The tokio runtime of [`crate::harness_main`] could not be started.
    #[error("start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// The target did not answer `GET /operations?limit=1` at all (any HTTP
    /// status counts as an answer). Already redacted.
    #[error("reach the target: {0}")]
    Unreachable(String),
    /// Reports requested through the environment could not be written.
    #[error("write reports: {0}")]
    Reports(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_after_failed_to() {
        let e = SuiteError::Cases(vec!["a.toml:1:1: bad".into(), "b.toml:2:3: worse".into()]);
        let text = format!("failed to {e}");
        assert!(
            text.starts_with("failed to load case files (2 error(s)):"),
            "{text}"
        );
        assert!(text.contains("b.toml:2:3: worse"));
        let e = SuiteError::NoTarget;
        assert!(e.to_string().starts_with("run the suite"));
    }
}
