//! Reporters: pure functions of one [`crate::model::RunResult`]. They never
//! talk to the network; [`write_reports`] writes the requested formats.

pub mod console;
mod diff;
mod digest;
mod format;
mod html;
mod json;
mod junit;
mod markdown;
pub mod reproducer;
#[doc(hidden)]
pub mod sample;
pub mod timeline;
mod verdict;
mod write;

pub use format::Format;
pub use json::FORMAT_TAG;
pub use verdict::{Headline, RunVerdict, verdict};
pub use write::{ReportError, redact_result, render, write_reports, write_reports_redacted};
