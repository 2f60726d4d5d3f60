//! A case file's text with byte offset → line:column mapping, for errors
//! that point into the file.

use std::ops::Range;

/// The text of one case file, indexed by line.
#[derive(Debug, Clone)]
pub(crate) struct SourceText<'a> {
    text: &'a str,
    /// Byte offset where each line starts.
    line_starts: Vec<usize>,
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
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceText { text, line_starts }
    }

    /// Where `span` starts. Offsets past the end clamp to the end; offsets
    /// inside a UTF-8 sequence round down to its start.
    pub(crate) fn locate(&self, span: Range<usize>) -> Location {
        let start = self.floor_boundary(span.start.min(self.text.len()));
        let end = self.floor_boundary(span.end.clamp(start, self.text.len()));
        let line_index = match self.line_starts.binary_search(&start) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let line_start = self.line_starts[line_index];
        let line_end = self.text[line_start..]
            .find('\n')
            .map_or(self.text.len(), |i| line_start + i);
        let line_text = self.text[line_start..line_end].trim_end_matches('\r');
        let column = self.text[line_start..start].chars().count() + 1;
        let visible_end = end.min(line_start + line_text.len()).max(start);
        let underline = self.text[start..visible_end].chars().count().max(1);
        Location {
            line: line_index + 1,
            column,
            line_text: line_text.replace('\t', " "),
            underline,
        }
    }

    fn floor_boundary(&self, mut offset: usize) -> usize {
        while offset > 0 && !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
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
