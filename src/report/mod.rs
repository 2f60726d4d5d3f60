//! Reporters: pure functions of one [`crate::model::RunResult`].
//!
//! SKELETON: the signatures below are fixed (the CLI calls them); the
//! reports work fills them in, one file per format.

pub mod console;

use std::path::{Path, PathBuf};

use crate::model::RunResult;

/// A report format for `--report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `opconform.junit.xml`
    Junit,
    /// `opconform.json`
    Json,
    /// `opconform.md`
    Markdown,
    /// `opconform.html`
    Html,
}

impl Format {
    /// Parses `junit,json,md,html` (any subset, any order).
    pub fn parse_list(list: &str) -> Result<Vec<Format>, String> {
        let mut out = Vec::new();
        for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let f = match part {
                "junit" => Format::Junit,
                "json" => Format::Json,
                "md" | "markdown" => Format::Markdown,
                "html" => Format::Html,
                other => {
                    return Err(format!(
                        "unknown report format `{other}`; expected junit, json, md or html"
                    ));
                }
            };
            if !out.contains(&f) {
                out.push(f);
            }
        }
        Ok(out)
    }

    /// The stable file name inside `--out`.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Junit => "opconform.junit.xml",
            Format::Json => "opconform.json",
            Format::Markdown => "opconform.md",
            Format::Html => "opconform.html",
        }
    }
}

/// Writing a report failed.
#[derive(Debug, thiserror::Error)]
#[error("write report {path}: {source}")]
pub struct ReportError {
    /// The file that could not be written.
    pub path: PathBuf,
    /// The I/O error.
    #[source]
    pub source: std::io::Error,
}

/// Writes every requested format into `out_dir` (created if missing) and
/// returns the paths written.
pub fn write_reports(
    _result: &RunResult,
    formats: &[Format],
    out_dir: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(out_dir).map_err(|source| ReportError {
        path: out_dir.to_path_buf(),
        source,
    })?;
    Ok(formats
        .iter()
        .map(|f| out_dir.join(f.file_name()))
        .collect())
}
