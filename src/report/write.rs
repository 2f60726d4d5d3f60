//! Writing the requested formats into `--out`, through a [`Redactor`].

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::model::RunResult;
use crate::redact::Redactor;

use super::format::Format;
use super::{html, json, junit, markdown};

/// Writing a report failed.
#[derive(Debug, thiserror::Error)]
#[error("write report {path}: {source}")]
pub struct ReportError {
    /// The file that could not be written.
    pub path: PathBuf,
    /// The I/O error (rendering errors are carried as [`std::io::ErrorKind::Other`]).
    #[source]
    pub source: std::io::Error,
}

/// Writes every requested format into `out_dir` (created if missing) and
/// returns the paths written. Same as [`write_reports_redacted`] with an
/// empty [`Redactor`]: the result is assumed to be redacted already.
pub fn write_reports(
    result: &RunResult,
    formats: &[Format],
    out_dir: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    write_reports_redacted(result, formats, out_dir, &Redactor::default())
}

/// Writes every requested format into `out_dir`, with `redactor` applied
/// twice as defence in depth: to every string of the result before
/// rendering (so escaping cannot disguise a secret), and to every rendered
/// file before it is written.
pub fn write_reports_redacted(
    result: &RunResult,
    formats: &[Format],
    out_dir: &Path,
    redactor: &Redactor,
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(out_dir).map_err(|source| ReportError {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let clean = redact_result(result, redactor);
    let mut written = Vec::with_capacity(formats.len());
    for &format in formats {
        let path = out_dir.join(format.file_name());
        let text = render(&clean, format).map_err(|source| ReportError {
            path: path.clone(),
            source,
        })?;
        let text = redactor.redact(&text);
        std::fs::write(&path, text.as_bytes()).map_err(|source| ReportError {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// One format as text, without redaction (callers redact).
pub fn render(result: &RunResult, format: Format) -> Result<String, std::io::Error> {
    let other = |what: &str, e: &dyn std::fmt::Display| {
        std::io::Error::other(format!("render {what}: {e}"))
    };
    match format {
        Format::Junit => junit::render(result).map_err(|e| other("junit xml", &e)),
        Format::Json => json::render(result).map_err(|e| other("json", &e)),
        Format::Markdown => Ok(markdown::render(result)),
        Format::Html => html::render(result).map_err(|e| other("html", &e)),
    }
}

/// `result` with every string (and every object key) passed through `redactor`.
pub fn redact_result(result: &RunResult, redactor: &Redactor) -> RunResult {
    let Ok(mut value) = serde_json::to_value(result) else {
        return result.clone();
    };
    redact_value(&mut value, redactor);
    serde_json::from_value(value).unwrap_or_else(|_| result.clone())
}

fn redact_value(value: &mut Value, redactor: &Redactor) {
    match value {
        Value::String(s) => {
            if !redactor.is_clean(s) {
                *s = redactor.redact(s).into_owned();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact_value(v, redactor)),
        Value::Object(map) => {
            let fields = std::mem::take(map);
            for (k, mut v) in fields {
                redact_value(&mut v, redactor);
                map.insert(redactor.redact(&k).into_owned(), v);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::sample_result;

    #[test]
    fn redact_result_reaches_nested_strings() {
        let mut r = sample_result();
        r.cases[0].steps[0].exchanges[0]
            .request
            .headers
            .push(("x-t".into(), "tok-SECRET-1".into()));
        r.cases[0].steps[0].checks[0].actual = "saw tok-SECRET-1".into();
        let clean = redact_result(&r, &Redactor::new(["tok-SECRET-1"]));
        let text = serde_json::to_string(&clean).expect("serializes");
        assert!(!text.contains("tok-SECRET-1"));
        assert!(text.contains("saw [REDACTED]"));
    }

    #[test]
    fn writes_the_stable_names() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("nested/reports");
        let all = [Format::Junit, Format::Json, Format::Markdown, Format::Html];
        let paths = write_reports(&sample_result(), &all, &out).expect("writes");
        let names: Vec<_> = paths
            .iter()
            .map(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        assert_eq!(
            names,
            [
                "opconform.junit.xml",
                "opconform.json",
                "opconform.md",
                "opconform.html"
            ]
        );
        assert!(paths.iter().all(|p| p.is_file()));
    }

    #[test]
    fn unwritable_dir_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("a-file");
        std::fs::write(&file, "x").expect("write");
        let err = write_reports(&sample_result(), &[Format::Json], &file).expect_err("not a dir");
        assert!(err.to_string().starts_with("write report "), "{err}");
        assert_eq!(err.path, file);
    }
}
