//! The shared parts of the rustc/Hurl-style diagnostics that case-file and
//! config-file errors render: byte offset → line:column arithmetic, and the
//! layout (`--> file:line:col (toml.path)`, the source line, a caret
//! underline, `= help:`). Each error type keeps its own policy (what a line
//! shows, where an offset at the end of the file lands, secret masking).

use std::fmt;
use std::ops::Range;

/// Where every line of a text starts, for offset → line lookups.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    /// Byte offset of the first byte of every line (one more than there are
    /// `\n`s: a final newline starts an empty last line).
    starts: Vec<usize>,
}

impl LineIndex {
    /// The index of `text`.
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// How many lines start in the text, counting the empty one after a
    /// final newline.
    pub(crate) fn starts(&self) -> usize {
        self.starts.len()
    }

    /// 0-based index of the line holding byte `offset`.
    pub(crate) fn line_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }

    /// Byte range of line `idx` in `text` (the text this index was built
    /// from), without its `\n` (a `\r` before it is kept).
    pub(crate) fn line(&self, text: &str, idx: usize) -> Range<usize> {
        let start = self.starts[idx];
        let end = self.starts.get(idx + 1).map_or(text.len(), |&s| s - 1);
        start..end
    }
}

/// The largest char boundary of `text` at or below `offset` (clamped to the
/// end), so slicing never panics on an offset inside a UTF-8 sequence.
pub(crate) fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// 1-based column, in characters, of byte `offset` on the line that starts
/// at byte `line_start`.
pub(crate) fn column(text: &str, line_start: usize, offset: usize) -> usize {
    text[line_start..offset].chars().count() + 1
}

/// How many characters a caret under `range` spans (at least 1).
pub(crate) fn width(text: &str, range: Range<usize>) -> usize {
    text[range].chars().count().max(1)
}

/// One source line to show under a diagnostic's location, and the part the
/// caret underlines.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Excerpt<'a> {
    /// 1-based line number, shown in the gutter.
    pub(crate) line: usize,
    /// The line's text.
    pub(crate) text: &'a str,
    /// 1-based column, in characters, where the caret starts; past the end
    /// of `text` the indent goes on in spaces.
    pub(crate) column: usize,
    /// How many carets.
    pub(crate) width: usize,
}

/// A diagnostic ready to render; `Display` writes it without a final newline.
///
/// ```text
/// error: unknown invariant ID "OP-DONE-TERMNAL"
///   --> cases/lifecycle.toml:12:15 (case[2].invariants[0])
///    |
/// 12 | invariants = ["OP-DONE-TERMNAL"]
///    |               ^^^^^^^^^^^^^^^^^
///    = help: did you mean "OP-DONE-TERMINAL"?
/// ```
#[derive(Debug, Clone, Copy)]
pub(crate) struct Diagnostic<'a> {
    /// What is wrong.
    pub(crate) message: &'a str,
    /// `file:line:col`, or just the file.
    pub(crate) location: &'a str,
    /// The line the location points at, which sizes the gutter.
    pub(crate) line: Option<usize>,
    /// Where in the document, e.g. `profile.staging.rate`.
    pub(crate) toml_path: Option<&'a str>,
    /// The source line to show.
    pub(crate) excerpt: Option<Excerpt<'a>>,
    /// How to fix it.
    pub(crate) help: Option<&'a str>,
}

impl fmt::Display for Diagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let gutter = self.line.map_or(1, |l| l.to_string().len());
        let pad = " ".repeat(gutter);
        write!(f, "error: {}\n{pad}--> {}", self.message, self.location)?;
        if let Some(path) = self.toml_path {
            write!(f, " ({path})")?;
        }
        if let Some(excerpt) = self.excerpt {
            write!(f, "\n{pad} |\n{} | {}", excerpt.line, excerpt.text)?;
            // Keep tabs in the indent so the caret lines up in a terminal.
            let before = excerpt.column.saturating_sub(1);
            let mut indent: String = excerpt
                .text
                .chars()
                .take(before)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let shown = indent.chars().count();
            indent.extend(std::iter::repeat_n(' ', before - shown));
            write!(f, "\n{pad} | {indent}{}", "^".repeat(excerpt.width))?;
        }
        if let Some(help) = self.help {
            write!(f, "\n{pad} = help: {help}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_lines_and_their_ranges() {
        let text = "a = 1\r\nbb\n";
        let index = LineIndex::new(text);
        assert_eq!(index.starts(), 3);
        assert_eq!(index.line_of(0), 0);
        assert_eq!(index.line_of(7), 1);
        assert_eq!(index.line_of(100), 2);
        assert_eq!(&text[index.line(text, 0)], "a = 1\r");
        assert_eq!(&text[index.line(text, 1)], "bb");
        assert_eq!(index.line(text, 2), 10..10);
    }

    #[test]
    fn columns_and_widths_count_characters() {
        let text = "é = \"ü\"";
        assert_eq!(column(text, 0, 5), 5);
        assert_eq!(width(text, 5..9), 3);
        assert_eq!(width(text, 5..5), 1);
        assert_eq!(floor_char_boundary(text, 1), 0);
        assert_eq!(floor_char_boundary(text, 99), text.len());
    }

    #[test]
    fn renders_like_rustc() {
        let d = Diagnostic {
            message: "bad",
            location: "f.toml:12:3",
            line: Some(12),
            toml_path: Some("a.b"),
            excerpt: Some(Excerpt {
                line: 12,
                text: "\tx = 1",
                column: 3,
                width: 2,
            }),
            help: Some("fix it"),
        };
        assert_eq!(
            d.to_string(),
            "error: bad\n  --> f.toml:12:3 (a.b)\n   |\n12 | \tx = 1\n   | \t ^^\n   = help: fix it"
        );
    }

    #[test]
    fn caret_past_the_end_of_the_text_is_padded() {
        let d = Diagnostic {
            message: "m",
            location: "f:1:4",
            line: Some(1),
            toml_path: None,
            excerpt: Some(Excerpt {
                line: 1,
                text: "ab",
                column: 4,
                width: 1,
            }),
            help: None,
        };
        assert!(d.to_string().ends_with("\n1 | ab\n  |    ^"), "{d}");
    }

    #[test]
    fn whole_file_diagnostic_is_two_lines() {
        let d = Diagnostic {
            message: "file is empty",
            location: "x.toml",
            line: None,
            toml_path: None,
            excerpt: None,
            help: None,
        };
        assert_eq!(d.to_string(), "error: file is empty\n --> x.toml");
    }
}
