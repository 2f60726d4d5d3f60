//! A case file's text with byte offset → line:column mapping, for errors
//! that point into the file.

use std::ops::Range;

use crate::diagnostic::{LineIndex, column, floor_char_boundary, width};

/// The text of one case file, indexed by line.
#[derive(Debug, Clone)]
pub(crate) struct SourceText<'a> {
    text: &'a str,
    lines: LineIndex,
}

/// A resolved location: 1-based line and column (in characters), the line's
/// text and how many characters to underline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    pub line: usize,
    pub column: usize,
    pub line_text: String,
    pub underline: usize,
}

impl<'a> SourceText<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        SourceText {
            text,
            lines: LineIndex::new(text),
        }
    }

    /// Where `span` starts. Offsets past the end clamp to the end; offsets
    /// inside a UTF-8 sequence round down to its start.
    pub(crate) fn locate(&self, span: Range<usize>) -> Location {
        let text = self.text;
        let start = floor_char_boundary(text, span.start);
        let end = floor_char_boundary(text, span.end.clamp(start, text.len()));
        let line_index = self.lines.line_of(start);
        let line = self.lines.line(text, line_index);
        let line_text = text[line.clone()].trim_end_matches('\r');
        let visible_end = end.min(line.start + line_text.len()).max(start);
        Location {
            line: line_index + 1,
            column: column(text, line.start, start),
            line_text: line_text.replace('\t', " "),
            underline: width(text, start..visible_end),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_line_column_and_underline() {
        let src = SourceText::new("a = 1\ninvariants = [\"X-Y\"]\n");
        let at = src.locate(21..26);
        assert_eq!((at.line, at.column, at.underline), (2, 16, 5));
        assert_eq!(at.line_text, "invariants = [\"X-Y\"]");
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let src = SourceText::new("é = \"x\"");
        assert_eq!(src.locate(5..8).column, 5);
    }

    #[test]
    fn clamps_out_of_range_spans_and_multiline_underlines() {
        let src = SourceText::new("ab\ncd");
        let at = src.locate(100..200);
        assert_eq!((at.line, at.column, at.underline), (2, 3, 1));
        let first = src.locate(0..5);
        assert_eq!((first.line, first.underline), (1, 2));
    }
}
