//! [`ConfigError`]: an error about the user's config file, rendered like a
//! compiler diagnostic that points into the file.

use std::fmt;
use std::path::{Path, PathBuf};

use super::source::{Position, Snippet};
use crate::diagnostic::{Diagnostic, Excerpt};

/// Something wrong with a config file (or with the profile chosen from it).
///
/// Errors found while reading the file carry the `line:column` they point at,
/// the dotted TOML path of the offending key and the source line; errors
/// without a place in the file (a missing file, an unknown `--profile`) carry
/// only the file.
///
/// `Display` renders the whole diagnostic:
///
/// ```text
/// error: rate must look like `10/s` or `600/min`
///  --> opconform.toml:7:8 (profile.staging.rate)
///   |
/// 7 | rate = "fast"
///   |        ^^^^^^
///   = help: write a whole number of requests per s, min or h, e.g. "5/s"
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The config file.
    pub file: PathBuf,
    /// 1-based line, when the error points into the file.
    pub line: Option<u32>,
    /// 1-based column in characters, when the error points into the file.
    pub column: Option<u32>,
    /// Dotted TOML path of the key, e.g. `profile.staging.rate`.
    pub toml_path: Option<String>,
    /// What is wrong: a lowercase fragment.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// The source line and the caret under it (boxed: errors travel in
    /// `Result`s and should stay small).
    pub snippet: Option<Box<Snippet>>,
}

impl ConfigError {
    /// An error about `file` as a whole (no position in it).
    pub fn whole_file(
        file: impl Into<PathBuf>,
        message: impl Into<String>,
        help: Option<String>,
    ) -> Self {
        ConfigError {
            file: file.into(),
            line: None,
            column: None,
            toml_path: None,
            message: message.into(),
            help,
            snippet: None,
        }
    }

    /// An error at a resolved position in `source`.
    pub(crate) fn at(
        file: &Path,
        position: Position,
        toml_path: Option<String>,
        message: impl Into<String>,
        help: Option<String>,
    ) -> Self {
        ConfigError {
            file: file.to_path_buf(),
            line: Some(clamp_u32(position.line)),
            column: Some(clamp_u32(position.column)),
            toml_path,
            message: message.into(),
            help,
            snippet: Some(Box::new(position.snippet)),
        }
    }

    /// `file:line:column`, or just the file.
    pub fn location(&self) -> String {
        match (self.line, self.column) {
            (Some(line), Some(column)) => format!("{}:{line}:{column}", self.file.display()),
            _ => self.file.display().to_string(),
        }
    }
}

/// Lines and columns of a file capped at 1 MiB always fit.
fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = self.line.map(|l| l as usize);
        let excerpt = match (&self.snippet, line) {
            (Some(snippet), Some(line)) => Some(Excerpt {
                line,
                text: &snippet.text,
                // A masked secret can make the shown line shorter than the
                // real one: the caret stops at the end of what is shown.
                column: snippet.column.min(snippet.text.chars().count() + 1),
                width: snippet.width,
            }),
            _ => None,
        };
        Diagnostic {
            message: &self.message,
            location: &self.location(),
            line,
            toml_path: self.toml_path.as_deref(),
            excerpt,
            help: self.help.as_deref(),
        }
        .fmt(f)
    }
}

impl std::error::Error for ConfigError {}

/// Renders every error, separated by blank lines, followed by a count, as a
/// compiler does: the text the CLI prints before exiting with code 2.
///
/// ```
/// use opconform::profile::{render_errors, ConfigError};
/// let errs = vec![ConfigError::whole_file("opconform.toml", "config file not found", None)];
/// let text = render_errors(&errs);
/// assert!(text.starts_with("error: config file not found"));
/// assert!(text.ends_with("1 error in opconform.toml"));
/// ```
pub fn render_errors(errors: &[ConfigError]) -> String {
    let mut out = String::new();
    for err in errors {
        out.push_str(&err.to_string());
        out.push_str("\n\n");
    }
    let file = errors
        .first()
        .map_or(Path::new("config"), |e| e.file.as_path());
    let noun = if errors.len() == 1 { "error" } else { "errors" };
    out.push_str(&format!("{} {noun} in {}", errors.len(), file.display()));
    out
}

#[cfg(test)]
mod tests {
    use super::super::source::Source;
    use super::*;

    #[test]
    fn display_points_into_the_file() {
        let source = Source::new(
            "opconform.toml",
            "[profile.staging]\nrate = \"fast\"\n".to_string(),
        );
        let pos = source.position(25..31, None);
        let err = ConfigError::at(
            source.path(),
            pos,
            Some("profile.staging.rate".into()),
            "rate must look like `10/s`",
            Some("write \"5/s\"".into()),
        );
        assert_eq!(
            err.to_string(),
            "error: rate must look like `10/s`\n \
             --> opconform.toml:2:8 (profile.staging.rate)\n  \
             |\n\
             2 | rate = \"fast\"\n  \
             |        ^^^^^^\n  \
             = help: write \"5/s\""
        );
    }

    #[test]
    fn display_without_position_names_the_file() {
        let err = ConfigError::whole_file("x.toml", "config file not found", None);
        assert_eq!(err.to_string(), "error: config file not found\n --> x.toml");
    }

    #[test]
    fn tabs_are_kept_in_the_caret_indent() {
        let source = Source::new("t.toml", "\tx = 1\n".to_string());
        let pos = source.position(1..2, None);
        let err = ConfigError::at(source.path(), pos, None, "m", None);
        assert!(err.to_string().ends_with("  | \t^"), "{err}");
    }

    #[test]
    fn caret_past_a_masked_secret_stops_at_the_shown_line() {
        let text = "token = \"sk_live_0123456789abcdef";
        let source = Source::new("t.toml", text.to_string());
        let pos = source.position(text.len()..text.len(), Some(5..text.len()));
        let err = ConfigError::at(source.path(), pos, None, "m", None);
        let expected = format!("1 | token[REDACTED]\n  | {}^", " ".repeat(15));
        assert!(err.to_string().ends_with(&expected), "{err}");
    }

    #[test]
    fn render_counts_errors() {
        let errs = vec![
            ConfigError::whole_file("a.toml", "one", None),
            ConfigError::whole_file("a.toml", "two", None),
        ];
        let text = render_errors(&errs);
        assert!(text.contains("error: one\n --> a.toml\n\nerror: two"));
        assert!(text.ends_with("2 errors in a.toml"));
    }
}
