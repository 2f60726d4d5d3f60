//! The error a user sees for a bad case file, rendered rustc/Hurl style.

use std::fmt;
use std::path::PathBuf;

use crate::diagnostic::{Diagnostic, Excerpt};

/// One problem in one case file, with where it is and how to fix it.
///
/// ```text
/// error: unknown invariant ID "OP-DONE-TERMNAL"
///   --> cases/lifecycle.toml:12:15 (case[2].invariants[0])
///    |
/// 12 | invariants = ["OP-DONE-TERMNAL"]
///    |               ^^^^^^^^^^^^^^^^^
///    = help: did you mean "OP-DONE-TERMINAL"?
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFileError {
    /// The file, as given.
    pub file: PathBuf,
    /// 1-based line; 0 when the error is about the whole file (unreadable,
    /// empty directory ...).
    pub line: usize,
    /// 1-based column in characters; 0 with `line` 0.
    pub column: usize,
    /// Where in the document, e.g. `case[3].step[1].expect.status`
    /// (0-based indices); empty when the error is about the whole file.
    pub toml_path: String,
    /// What is wrong, and what is allowed.
    pub message: String,
    /// How to fix it, when there is something to say.
    pub help: Option<String>,
    /// The text of `line`, shown under the location.
    pub source_line: Option<String>,
    /// How many characters from `column` to underline (at least 1).
    pub underline: usize,
}

impl CaseFileError {
    /// An error about the whole file (no line to point at).
    pub fn whole_file(file: impl Into<PathBuf>, message: impl Into<String>) -> CaseFileError {
        CaseFileError {
            file: file.into(),
            line: 0,
            column: 0,
            toml_path: String::new(),
            message: message.into(),
            help: None,
            source_line: None,
            underline: 1,
        }
    }

    /// `file:line:col`, or just the file for whole-file errors.
    pub fn location(&self) -> String {
        if self.line == 0 {
            self.file.display().to_string()
        } else {
            format!("{}:{}:{}", self.file.display(), self.line, self.column)
        }
    }
}

impl fmt::Display for CaseFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = (self.line > 0).then_some(self.line);
        let excerpt = match (&self.source_line, line) {
            (Some(text), Some(line)) => Some(Excerpt {
                line,
                text,
                column: self.column,
                width: self.underline.max(1),
            }),
            _ => None,
        };
        Diagnostic {
            message: &self.message,
            location: &self.location(),
            line,
            toml_path: (!self.toml_path.is_empty()).then_some(self.toml_path.as_str()),
            excerpt,
            help: self.help.as_deref(),
        }
        .fmt(f)
    }
}

impl std::error::Error for CaseFileError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_rustc() {
        let err = CaseFileError {
            file: PathBuf::from("cases/lifecycle.toml"),
            line: 12,
            column: 15,
            toml_path: "case[2].invariants[0]".into(),
            message: "unknown invariant ID \"OP-DONE-TERMNAL\"".into(),
            help: Some("did you mean \"OP-DONE-TERMINAL\"?".into()),
            source_line: Some("invariants = [\"OP-DONE-TERMNAL\"]".into()),
            underline: 17,
        };
        let expected = "error: unknown invariant ID \"OP-DONE-TERMNAL\"\n  --> cases/lifecycle.toml:12:15 (case[2].invariants[0])\n   |\n12 | invariants = [\"OP-DONE-TERMNAL\"]\n   |               ^^^^^^^^^^^^^^^^^\n   = help: did you mean \"OP-DONE-TERMINAL\"?";
        assert_eq!(err.to_string(), expected);
    }

    #[test]
    fn whole_file_errors_have_no_snippet() {
        let err = CaseFileError::whole_file("cases/x.toml", "file is empty");
        assert_eq!(err.to_string(), "error: file is empty\n --> cases/x.toml");
    }
}
