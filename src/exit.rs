//! Exit codes are API: scripts and CI gates branch on them.
//!
//! One enum, one `match` with no wildcard arm. Each code has a test in
//! `tests/cli.rs`.

/// The process exit status of every `opconform` subcommand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitStatus {
    /// Everything ran and no failing invariant counts against the run
    /// (skips, waivers and inconclusive cases are allowed).
    Success,
    /// At least one invariant failed (or an expired waiver, a missed fault in
    /// `selftest`, a fuzz counterexample).
    InvariantFailed,
    /// The command line, a case file, a schema or a config file is invalid.
    /// Nothing was sent to the target.
    BadInput,
    /// The target could not be reached, stopped answering, or the run deadline
    /// passed before the suite finished.
    TargetUnreachable,
    /// Nothing was verified: requests were sent, but no case passed (every
    /// case was skipped, inconclusive or throttled). An empty verification is
    /// not a pass (cargo-nextest's `--no-tests=fail`); `--allow-empty` turns
    /// it into [`ExitStatus::Success`].
    NothingVerified,
    /// The run finished and its verdict was printed, but a report file could
    /// not be written. Requests were sent, so this is not
    /// [`ExitStatus::BadInput`].
    ReportNotWritten,
}

impl ExitStatus {
    /// The numeric code handed to the operating system.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::InvariantFailed => 1,
            ExitStatus::BadInput => 2,
            ExitStatus::TargetUnreachable => 3,
            ExitStatus::NothingVerified => 4,
            ExitStatus::ReportNotWritten => 5,
        }
    }

    /// One line for `--help` and the README table.
    pub fn meaning(self) -> &'static str {
        match self {
            ExitStatus::Success => {
                "all checks passed (skipped, waived and inconclusive cases allowed)"
            }
            ExitStatus::InvariantFailed => "an invariant failed",
            ExitStatus::BadInput => "bad usage, case file, schema or config; nothing was sent",
            ExitStatus::TargetUnreachable => {
                "target unreachable, stopped answering, or the run deadline passed"
            }
            ExitStatus::NothingVerified => {
                "nothing verified: no case passed (all skipped, inconclusive or throttled)"
            }
            ExitStatus::ReportNotWritten => "the run finished, but a report could not be written",
        }
    }

    /// Every status, in code order.
    pub const ALL: [ExitStatus; 6] = [
        ExitStatus::Success,
        ExitStatus::InvariantFailed,
        ExitStatus::BadInput,
        ExitStatus::TargetUnreachable,
        ExitStatus::NothingVerified,
        ExitStatus::ReportNotWritten,
    ];
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(status.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_ordered() {
        let codes: Vec<u8> = ExitStatus::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(codes, vec![0, 1, 2, 3, 4, 5]);
    }
}
