//! Waivers applied to a case's verdict: a failure whose every failing
//! check is covered by an active waiver is reported as waived (never
//! dropped); an expired waiver leaves the case failed and says so.

use super::{Date, Waiver, WaiverStatus, today_utc};
use crate::model::{CaseOutcome, CaseResult, Verdict};

/// The waivers of a run and the day they are judged on.
#[derive(Debug, Clone, Default)]
pub struct Waivers {
    /// The waivers (one per invariant; the first wins).
    pub list: Vec<Waiver>,
    /// The day to judge expiry on; `None` means today (UTC).
    pub today: Option<Date>,
}

impl Waivers {
    /// Waivers judged on `today` (tests) or on the real day (`None`).
    pub fn new(list: Vec<Waiver>, today: Option<Date>) -> Waivers {
        Waivers { list, today }
    }

    /// True when there is no waiver.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Applies the waivers to a finished case. Only [`CaseOutcome::Failed`]
    /// changes: to [`CaseOutcome::Waived`] when every failing check has an
    /// active waiver; otherwise each failing check under an expired waiver
    /// gets the expiry message appended to its `actual`.
    pub fn apply(&self, case: &mut CaseResult) {
        if self.list.is_empty() || case.outcome != CaseOutcome::Failed {
            return;
        }
        let today = self.today.unwrap_or_else(today_utc);
        let mut reasons: Vec<String> = Vec::new();
        let mut all_waived = true;
        let mut any_failing = false;
        for check in case
            .steps
            .iter_mut()
            .flat_map(|s| s.checks.iter_mut())
            .filter(|c| c.verdict == Verdict::Fail)
        {
            any_failing = true;
            match self.list.iter().find(|w| w.invariant == check.invariant) {
                Some(w) if w.status(today) == WaiverStatus::Active => {
                    let note = format!("{}: {}", w.invariant, w.waived_message());
                    if !reasons.contains(&note) {
                        reasons.push(note);
                    }
                }
                Some(w) => {
                    all_waived = false;
                    let msg = w.expired_message();
                    if !check.actual.contains(&msg) {
                        check.actual.push_str(&format!(" ({msg})"));
                    }
                }
                None => all_waived = false,
            }
        }
        if any_failing && all_waived {
            case.outcome = CaseOutcome::Waived {
                reason: reasons.join("; "),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CheckResult, StepResult};

    fn check(inv: &str, verdict: Verdict) -> CheckResult {
        CheckResult {
            invariant: inv.into(),
            verdict,
            expected: "e".into(),
            actual: "a".into(),
            exchange: None,
            elapsed_ms: None,
            kind: Default::default(),
        }
    }

    fn case(checks: Vec<CheckResult>) -> CaseResult {
        CaseResult {
            name: "f::c".into(),
            file: "f.toml".into(),
            description: None,
            invariants: vec![],
            outcome: CaseOutcome::Failed,
            attempts: 2,
            steps: vec![StepResult {
                name: "s".into(),
                exchanges: vec![],
                checks,
                duration_ms: 0,
            }],
            duration_ms: 0,
            other_attempts: Vec::new(),
        }
    }

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn waivers() -> Waivers {
        Waivers::new(
            vec![
                Waiver::new("A-1", "ticket 1", date("2026-06-30")),
                Waiver::new("B-2", "ticket 2", date("2026-01-31")),
            ],
            Some(date("2026-03-01")),
        )
    }

    #[test]
    fn fully_covered_failure_is_waived_with_reason() {
        let mut c = case(vec![check("A-1", Verdict::Fail), check("X", Verdict::Pass)]);
        waivers().apply(&mut c);
        assert_eq!(
            c.outcome,
            CaseOutcome::Waived {
                reason: "A-1: waived until 2026-06-30: ticket 1".into()
            }
        );
        // The evidence stays.
        assert_eq!(c.steps[0].checks[0].verdict, Verdict::Fail);
    }

    #[test]
    fn expired_waiver_fails_and_says_so() {
        let mut c = case(vec![check("B-2", Verdict::Fail)]);
        waivers().apply(&mut c);
        assert_eq!(c.outcome, CaseOutcome::Failed);
        assert!(
            c.steps[0].checks[0]
                .actual
                .contains("waiver for B-2 expired on 2026-01-31"),
            "{}",
            c.steps[0].checks[0].actual
        );
    }

    #[test]
    fn partly_covered_failure_stays_failed() {
        let mut c = case(vec![
            check("A-1", Verdict::Fail),
            check("C-3", Verdict::Fail),
        ]);
        waivers().apply(&mut c);
        assert_eq!(c.outcome, CaseOutcome::Failed);
        let mut passed = case(vec![check("A-1", Verdict::Pass)]);
        passed.outcome = CaseOutcome::Passed;
        waivers().apply(&mut passed);
        assert_eq!(passed.outcome, CaseOutcome::Passed);
        // A failed case without failing checks cannot be waived.
        let mut bare = case(vec![]);
        waivers().apply(&mut bare);
        assert_eq!(bare.outcome, CaseOutcome::Failed);
    }
}
