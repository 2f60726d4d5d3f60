//! The run's overall verdict, counted from case outcomes and catalogue levels.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::contract::Level;
use crate::model::{CaseOutcome, RunResult, Verdict};

/// The headline of a run, as the reports show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Headline {
    /// No case failed, every case ran, and at least one passed.
    Passed,
    /// At least one case failed or was flaky.
    Failed,
    /// No case failed, but some did not run (deadline, unreachable target).
    Incomplete,
    /// Nothing was verified: no case passed (all skipped, inconclusive or
    /// throttled).
    Empty,
}

impl Headline {
    /// `PASSED`, `FAILED` or `INCOMPLETE`.
    pub fn label(self) -> &'static str {
        match self {
            Headline::Passed => "PASSED",
            Headline::Failed => "FAILED",
            Headline::Incomplete => "INCOMPLETE",
            Headline::Empty => "EMPTY",
        }
    }
}

/// Counts a CI gate decides on. Checks of cases whose final outcome is
/// `failed` or `flaky` count as failures (a violation seen once is a
/// violation); waived cases never do.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct RunVerdict {
    /// Distinct MUST invariants with a failing check in a failed case
    /// (unknown IDs count as MUST).
    pub failed_must: usize,
    /// Distinct SHOULD invariants with a failing check in a failed case.
    pub failed_should: usize,
    /// Cases that failed.
    pub failed_cases: usize,
    /// Failed cases with no failing check (a step could not complete).
    pub failed_without_check: usize,
    /// Cases that passed.
    pub passed: usize,
    /// Cases skipped (missing fixture, token or capability).
    pub skipped: usize,
    /// Cases with no verdict possible.
    pub inconclusive: usize,
    /// Cases that failed once and passed once.
    pub flaky: usize,
    /// Cases whose failures are all waived.
    pub waived: usize,
    /// Cases the run never reached.
    pub not_run: usize,
}

impl RunVerdict {
    /// The headline: failed beats incomplete beats empty beats passed.
    pub fn headline(&self) -> Headline {
        if self.failed_cases + self.flaky > 0 {
            Headline::Failed
        } else if self.not_run > 0 {
            Headline::Incomplete
        } else if self.passed == 0 {
            Headline::Empty
        } else {
            Headline::Passed
        }
    }

    /// Every case counted.
    pub fn total_cases(&self) -> usize {
        self.failed_cases
            + self.passed
            + self.skipped
            + self.inconclusive
            + self.flaky
            + self.waived
            + self.not_run
    }
}

pub(crate) use crate::gate::level_of;

/// Counts `result` for a gate (`--fail-on`) and for the report headlines.
pub fn verdict(result: &RunResult) -> RunVerdict {
    let mut v = RunVerdict::default();
    let mut must = BTreeSet::new();
    let mut should = BTreeSet::new();
    for case in &result.cases {
        match &case.outcome {
            CaseOutcome::Passed => v.passed += 1,
            CaseOutcome::Skipped { .. } => v.skipped += 1,
            CaseOutcome::Inconclusive { .. } => v.inconclusive += 1,
            CaseOutcome::Waived { .. } => v.waived += 1,
            CaseOutcome::NotRun { .. } => v.not_run += 1,
            CaseOutcome::Failed | CaseOutcome::Flaky => {
                if case.outcome == CaseOutcome::Flaky {
                    v.flaky += 1;
                } else {
                    v.failed_cases += 1;
                }
                let mut any = false;
                for check in case.steps.iter().flat_map(|s| &s.checks) {
                    if check.verdict != Verdict::Fail {
                        continue;
                    }
                    any = true;
                    match level_of(&check.invariant) {
                        Level::Must => must.insert(check.invariant.as_str()),
                        Level::Should => should.insert(check.invariant.as_str()),
                    };
                }
                if !any {
                    v.failed_without_check += 1;
                }
            }
        }
    }
    v.failed_must = must.len();
    v.failed_should = should.len();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::sample_result;

    #[test]
    fn sample_counts_every_outcome_once() {
        let v = verdict(&sample_result());
        assert_eq!(v.failed_cases, 2);
        assert_eq!(v.passed, 2);
        assert_eq!(v.skipped, 1);
        assert_eq!(v.inconclusive, 1);
        assert_eq!(v.flaky, 1);
        assert_eq!(v.waived, 1);
        assert_eq!(v.not_run, 1);
        assert_eq!(v.total_cases(), 9);
        // CANCEL-TERMINAL-422, CANCEL-NO-SIDE-EFFECT-ON-DONE, OP-DONE-TERMINAL,
        // WAIT-WAKES; the waived LIST-OWNER-FILTER does not count.
        assert_eq!(v.failed_must + v.failed_should, 4);
        assert_eq!(v.headline(), Headline::Failed);
    }

    #[test]
    fn not_run_without_failures_is_incomplete() {
        let mut r = sample_result();
        r.cases
            .retain(|c| !matches!(c.outcome, CaseOutcome::Failed | CaseOutcome::Flaky));
        let v = verdict(&r);
        assert_eq!(v.failed_cases, 0);
        assert_eq!(v.headline(), Headline::Incomplete);
        r.cases
            .retain(|c| !matches!(c.outcome, CaseOutcome::NotRun { .. }));
        assert_eq!(verdict(&r).headline(), Headline::Passed);
    }

    #[test]
    fn failed_case_without_failing_check_is_counted() {
        let mut r = sample_result();
        for case in &mut r.cases {
            if matches!(case.outcome, CaseOutcome::Failed | CaseOutcome::Flaky) {
                case.steps.clear();
            }
        }
        let v = verdict(&r);
        assert_eq!(v.failed_without_check, 3);
        assert_eq!(v.failed_must + v.failed_should, 0);
    }
}
