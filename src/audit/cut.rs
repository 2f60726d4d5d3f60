//! One unit of input cut out of its file but not parsed yet: a JSON Lines
//! line or a HAR entry. Cutting is sequential (it walks the file); parsing
//! is not, so [`super::audit_files`] hands cuts to as many threads as the
//! machine has and judges the records in input order.

use std::sync::Arc;

use super::jsonl::LineParser;
use super::record::{InputError, Position, Record, Source};

/// A line or an entry, as bytes, with where it sits.
pub enum Cut {
    /// Line `line_no` (1-based) of a JSON Lines file.
    Line {
        /// The file, as shown.
        file: Arc<str>,
        /// 1-based.
        line_no: u64,
        /// The line, without its newline.
        bytes: Vec<u8>,
        /// The compiled line schema.
        parser: Arc<LineParser>,
    },
    /// `log.entries[index]` of a HAR file.
    Entry {
        /// The file, as shown.
        file: Arc<str>,
        /// 0-based.
        index: u64,
        /// The entry's JSON.
        bytes: Vec<u8>,
    },
}

impl Cut {
    /// The record, or the error that stands for it.
    pub fn parse(self) -> Result<Record, InputError> {
        match self {
            Cut::Line {
                file,
                line_no,
                bytes,
                parser,
            } => parser.parse(&file, line_no, &bytes),
            Cut::Entry { file, index, bytes } => {
                let position = Position::Entry(index);
                let source = Source {
                    file: file.clone(),
                    position,
                };
                super::har::parse_entry(&bytes, source).map_err(|message| InputError {
                    file,
                    position,
                    message,
                    fatal: false,
                })
            }
        }
    }
}
