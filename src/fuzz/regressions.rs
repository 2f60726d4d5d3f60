//! The regressions file: every counterexample found, one JSON object per
//! line, replayed before any new input is generated. Default path
//! [`DEFAULT_PATH`] (relative to the current directory); commit it so CI
//! replays what was found locally.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::input::FuzzRequest;
use super::model::Action;
use super::property::Property;

/// Where regressions are kept unless `--regressions` says otherwise.
pub const DEFAULT_PATH: &str = ".opconform/fuzz-regressions.jsonl";

/// A shrunk counterexample's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "input")]
pub enum Input {
    /// One request.
    Stateless(FuzzRequest),
    /// A sequence of actions on fresh fixtures.
    Stateful(Vec<Action>),
}

/// One persisted counterexample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Regression {
    /// What to replay.
    #[serde(flatten)]
    pub input: Input,
    /// The property it broke.
    pub property: Property,
    /// The invariant the failure was attributed to.
    pub invariant: String,
    /// Seed of the run that found it.
    pub seed: u64,
    /// When it was found (RFC 3339).
    pub found_at: String,
}

/// The regressions file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum RegressionError {
    /// I/O.
    #[error("read or write the regressions file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A line is not a regression.
    #[error(
        "parse the regressions file {path}:{line}:{column}: {message}; fix or delete that line"
    )]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

/// Every regression in `path`, in file order; a missing file has none.
pub fn load(path: &Path) -> Result<Vec<Regression>, RegressionError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(RegressionError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let r: Regression = serde_json::from_str(line).map_err(|e| RegressionError::Parse {
            path: path.to_path_buf(),
            line: i + 1,
            column: e.column(),
            message: e.to_string(),
        })?;
        out.push(r);
    }
    Ok(out)
}

/// Appends `r` unless the same input is already there; returns whether it
/// was added. Creates the parent directory.
pub fn append(path: &Path, r: &Regression) -> Result<bool, RegressionError> {
    let io = |source| RegressionError::Io {
        path: path.to_path_buf(),
        source,
    };
    if load(path)?.iter().any(|old| old.input == r.input) {
        return Ok(false);
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let line = serde_json::to_string(r).map_err(|e| io(std::io::Error::other(e)))?;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io)?;
    writeln!(f, "{line}").map_err(io)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::input::{IdSpec, Slot, Verb};

    fn sample() -> Regression {
        let mut req = FuzzRequest::plain(Verb::Cancel, Slot::Succeeded);
        req.id = IdSpec::Literal("a-b".into());
        Regression {
            input: Input::Stateless(req),
            property: Property::No5xx,
            invariant: "CANCEL-NOT-FOUND".into(),
            seed: 7,
            found_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn append_dedupes_and_load_reads_back() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("sub/regs.jsonl");
        assert!(load(&path).expect("missing is empty").is_empty());
        assert!(append(&path, &sample()).expect("append"));
        assert!(!append(&path, &sample()).expect("dedupe"));
        assert_eq!(load(&path).expect("load"), vec![sample()]);
    }

    #[test]
    fn a_bad_line_names_its_position() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("r.jsonl");
        std::fs::write(&path, "\n{\"kind\": 3}\n").expect("write");
        let err = load(&path).expect_err("bad line").to_string();
        assert!(err.contains("r.jsonl:2:"), "{err}");
    }
}
