//! What `opconform audit` prints besides the run summary: violations as
//! they happen (`--follow`), input errors, and what was read.

use std::io::Write;

use crate::audit::{AuditReport, Input, InputError, Violation};

/// Input errors printed one by one before the rest are only counted.
const ERRORS_SHOWN: u64 = 20;

/// Input errors on stderr as they are met, the first [`ERRORS_SHOWN`].
#[derive(Default)]
pub(super) struct Errors {
    seen: u64,
}

impl Errors {
    pub(super) fn show(&mut self, e: &InputError) {
        self.seen += 1;
        if self.seen <= ERRORS_SHOWN {
            eprintln!("error: {e}");
        }
    }

    pub(super) fn finish(&self) {
        if self.seen > ERRORS_SHOWN {
            eprintln!(
                "error: {} more input error(s) not shown",
                self.seen - ERRORS_SHOWN
            );
        }
        if self.seen > 0 {
            eprintln!(
                "error: {} entr(y/ies) or line(s) could not be read and were not audited \
                 (the rest was); fix the recording, or drop them",
                self.seen
            );
        }
    }
}

/// Violations printed one by one (without `--follow`) before the rest are
/// only counted: the reports list them all (up to 50 per invariant).
const VIOLATIONS_SHOWN: u64 = 50;

/// Violations on stdout as they are found, the first [`VIOLATIONS_SHOWN`].
#[derive(Default)]
pub(super) struct Violations {
    seen: u64,
}

impl Violations {
    pub(super) fn show(&mut self, v: &Violation) {
        self.seen += 1;
        if self.seen <= VIOLATIONS_SHOWN {
            violation(v);
        }
    }

    pub(super) fn finish(&self) {
        if self.seen > VIOLATIONS_SHOWN {
            out(&format!(
                "... {} more violation(s) not shown (see --report)",
                self.seen - VIOLATIONS_SHOWN
            ));
        }
    }
}

/// `--follow` has started.
pub(super) fn following(input: &Input) {
    eprintln!(
        "audit: following {} (Ctrl-C to stop and report)",
        input.shown
    );
}

/// One violation on one line, at once (`--follow`).
pub(super) fn violation(v: &Violation) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "VIOLATION {}", v.line());
    let _ = out.flush();
}

/// A note while following (rotation, truncation).
pub(super) fn note(text: &str) {
    eprintln!("note: {text}");
}

/// What was read, after the summary.
pub(super) fn stats(report: &AuditReport) {
    let s = &report.stats;
    let secs = report.result.duration_ms as f64 / 1000.0;
    let rate = if secs > 0.0 {
        format!(", {:.0} exchanges/s", s.exchanges as f64 / secs)
    } else {
        String::new()
    };
    out(&format!(
        "audit: {} exchange(s) read in {secs:.1} s{rate}: {} with the Operations API audited, \
         {} elsewhere ignored, {} without a response, {} bodies and {} header sets not recorded; \
         {} operation(s) followed; {} input error(s)",
        s.exchanges,
        s.audited,
        s.ignored,
        s.without_response,
        s.bodies_not_recorded,
        s.headers_not_recorded,
        s.operations,
        s.input_errors
    ));
}

/// `text` and a newline on stdout; a closed pipe (`| head`) is not an error.
pub(super) fn out(text: &str) {
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "{text}");
    let _ = o.flush();
}
