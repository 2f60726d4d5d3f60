//! The text of one config file and the arithmetic that turns byte spans into
//! `line:column` positions and one-line snippets for error messages.

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::diagnostic::{LineIndex, column, floor_char_boundary, width};

/// One config file as read from disk.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    path: PathBuf,
    text: String,
    lines: LineIndex,
}

/// Where an error points: 1-based line and column (in characters), plus the
/// line itself so the error can be rendered without the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Position {
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) snippet: Snippet,
}

/// One source line and the part of it an error points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// The line's text, without its line ending (secrets masked).
    pub text: String,
    /// 1-based column, in characters, where the caret starts.
    pub column: usize,
    /// How many characters the caret underlines (at least 1).
    pub width: usize,
}

impl Source {
    /// A source for `text`, read from `path`.
    pub(crate) fn new(path: impl Into<PathBuf>, text: String) -> Self {
        Source {
            path: path.into(),
            lines: LineIndex::new(&text),
            text,
        }
    }

    /// The file this text came from.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The whole text.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// How many lines the file has, as an editor counts them (a final line
    /// ending does not start a new line; an empty file has one line).
    pub(crate) fn line_count(&self) -> usize {
        let n = self.lines.starts();
        if n > 1 && self.text.ends_with('\n') {
            n - 1
        } else {
            n
        }
    }

    /// The position of `span` (clamped into the file), with its snippet.
    /// `mask` is a byte range whose text must not be shown (a secret); it is
    /// replaced by `[REDACTED]` in the snippet.
    pub(crate) fn position(&self, span: Range<usize>, mask: Option<Range<usize>>) -> Position {
        let start = floor_char_boundary(&self.text, span.start);
        let mut line_idx = self.lines.line_of(start);
        // An offset at the very end of a file that ends in a newline belongs
        // to the last real line, not to the empty "line" after it.
        if line_idx + 1 > self.line_count() {
            line_idx = self.line_count() - 1;
        }
        let line_start = self.lines.line(&self.text, line_idx).start;
        let line_end = self.line_end(line_idx);
        let start = start.clamp(line_start, line_end);
        let end = floor_char_boundary(&self.text, span.end.clamp(start, line_end));

        let column = column(&self.text, line_start, start);
        let width = width(&self.text, start..end);
        let text = match mask {
            Some(mask) if mask.start >= line_start && mask.start < line_end => {
                let mask_start = floor_char_boundary(&self.text, mask.start);
                let mask_end =
                    floor_char_boundary(&self.text, mask.end.clamp(mask_start, line_end));
                format!(
                    "{}[REDACTED]{}",
                    &self.text[line_start..mask_start],
                    &self.text[mask_end..line_end]
                )
            }
            _ => self.text[line_start..line_end].to_string(),
        };
        Position {
            line: line_idx + 1,
            column,
            snippet: Snippet {
                text,
                column,
                width,
            },
        }
    }

    /// The byte range of the line holding `offset` (without its ending).
    pub(crate) fn line_range(&self, offset: usize) -> Range<usize> {
        let idx = self.lines.line_of(offset.min(self.text.len()));
        self.lines.line(&self.text, idx).start..self.line_end(idx)
    }

    /// Byte offset of the end of line `idx` (before `\r\n` or `\n`).
    fn line_end(&self, idx: usize) -> usize {
        let range = self.lines.line(&self.text, idx);
        let line = &self.text[range.clone()];
        range.start + line.strip_suffix('\r').unwrap_or(line).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(text: &str) -> Source {
        Source::new("t.toml", text.to_string())
    }

    #[test]
    fn first_byte_is_line_one_column_one() {
        let p = src("a = 1\n").position(0..1, None);
        assert_eq!((p.line, p.column), (1, 1));
        assert_eq!(p.snippet.text, "a = 1");
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "# é\nname = \"ü\" x\n";
        let off = text.find('x').unwrap();
        let p = src(text).position(off..off + 1, None);
        assert_eq!((p.line, p.column), (2, 12));
    }

    #[test]
    fn end_of_file_after_newline_is_on_the_last_line() {
        let s = src("a = 1\nb = \n");
        assert_eq!(s.line_count(), 2);
        let p = s.position(12..12, None);
        assert_eq!(p.line, 2);
        assert_eq!(p.column, 5);
    }

    #[test]
    fn empty_file_has_line_one() {
        let s = src("");
        assert_eq!(s.line_count(), 1);
        let p = s.position(5..9, None);
        assert_eq!((p.line, p.column, p.snippet.width), (1, 1, 1));
    }

    #[test]
    fn crlf_is_not_part_of_the_line() {
        let p = src("a = 1\r\nbb = 2\r\n").position(7..9, None);
        assert_eq!(p.snippet.text, "bb = 2");
        assert_eq!((p.line, p.column, p.snippet.width), (2, 1, 2));
    }

    #[test]
    fn width_stops_at_the_end_of_the_line() {
        let p = src("x = \"\"\"a\nb\"\"\"\n").position(4..13, None);
        assert_eq!(p.snippet.width, 4); // `"""a`
    }

    #[test]
    fn mask_hides_the_secret() {
        let text = "token = \"sk_live_123\"\n";
        let p = src(text).position(0..5, Some(8..21));
        assert_eq!(p.snippet.text, "token = [REDACTED]");
        assert!(!p.snippet.text.contains("sk_live"));
    }

    #[test]
    fn offsets_inside_a_multibyte_char_do_not_panic() {
        let p = src("é").position(1..2, Some(1..2));
        assert_eq!(p.line, 1);
    }
}
