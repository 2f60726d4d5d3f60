//! Derived views of a [`RunResult`] that several formats share: one row per
//! case × invariant, and the failing invariants with their first failure.

use crate::contract::{self, Level};
use crate::model::{
    CaseOutcome, CaseResult, CheckResult, Exchange, RunResult, StepResult, Verdict,
};

use super::verdict::level_of;

/// Pseudo invariant ID of a row about the case itself (it failed without a
/// failing check, or it declares no invariant at all).
pub(crate) const CASE_ROW: &str = "(case)";

/// Status of one case × invariant row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RowStatus {
    Passed,
    /// Passed on a later attempt; the text says so.
    Flaky,
    Failed,
    /// Not checked; the reason says why (case skipped, inconclusive, not run,
    /// waived, or a check recorded as skipped).
    Skipped(String),
}

/// One case × invariant.
#[derive(Debug, Clone)]
pub(crate) struct Row<'a> {
    pub invariant: String,
    pub status: RowStatus,
    /// Checks for this invariant, with the step each belongs to.
    pub checks: Vec<(&'a StepResult, &'a CheckResult)>,
    /// Wall time of the steps that checked it (the whole case for a
    /// [`CASE_ROW`]).
    pub duration_ms: u64,
}

impl Row<'_> {
    /// The failing checks.
    pub fn failures(&self) -> impl Iterator<Item = &(&StepResult, &CheckResult)> {
        self.checks
            .iter()
            .filter(|(_, c)| c.verdict == Verdict::Fail)
    }
}

/// Every row of one case: declared invariants first, then the others in the
/// order their first check appears.
pub(crate) fn case_rows(case: &CaseResult) -> Vec<Row<'_>> {
    let mut ids: Vec<String> = Vec::new();
    for id in case.invariants.iter().chain(
        case.steps
            .iter()
            .flat_map(|s| s.checks.iter().map(|c| &c.invariant)),
    ) {
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    let mut rows: Vec<Row<'_>> = ids
        .into_iter()
        .map(|id| {
            let checks: Vec<_> = case
                .steps
                .iter()
                .flat_map(|s| s.checks.iter().map(move |c| (s, c)))
                .filter(|(_, c)| c.invariant == id)
                .collect();
            let mut duration_ms = 0;
            let mut last_step: Option<&StepResult> = None;
            for (step, _) in &checks {
                // Count each step once even when it checked the ID twice.
                if last_step.is_none_or(|p| !std::ptr::eq(p, *step)) {
                    duration_ms += step.duration_ms;
                    last_step = Some(step);
                }
            }
            let status = row_status(&case.outcome, &checks);
            Row {
                invariant: id,
                status,
                checks,
                duration_ms,
            }
        })
        .collect();

    let any_failed = rows.iter().any(|r| r.status == RowStatus::Failed);
    if rows.is_empty() || (case.outcome == CaseOutcome::Failed && !any_failed) {
        let status = match outcome_skip_reason(&case.outcome) {
            Some(reason) => RowStatus::Skipped(reason),
            None if case.outcome == CaseOutcome::Failed => RowStatus::Failed,
            None if case.outcome == CaseOutcome::Flaky => RowStatus::Flaky,
            None => RowStatus::Passed,
        };
        rows.push(Row {
            invariant: CASE_ROW.to_string(),
            status,
            checks: Vec::new(),
            duration_ms: case.duration_ms,
        });
    }
    rows
}

/// Why a whole case carries no verdict, when it does not.
pub(crate) fn outcome_skip_reason(outcome: &CaseOutcome) -> Option<String> {
    match outcome {
        CaseOutcome::Skipped { reason } => Some(format!("skipped: {reason}")),
        CaseOutcome::Inconclusive { reason } => Some(format!("inconclusive: {reason}")),
        CaseOutcome::NotRun { reason } => Some(format!("not run: {reason}")),
        CaseOutcome::Passed
        | CaseOutcome::Failed
        | CaseOutcome::Flaky
        | CaseOutcome::Waived { .. } => None,
    }
}

fn row_status(outcome: &CaseOutcome, checks: &[(&StepResult, &CheckResult)]) -> RowStatus {
    if let Some(reason) = outcome_skip_reason(outcome) {
        return RowStatus::Skipped(reason);
    }
    let failed = checks.iter().any(|(_, c)| c.verdict == Verdict::Fail);
    let passed = checks.iter().any(|(_, c)| c.verdict == Verdict::Pass);
    match outcome {
        CaseOutcome::Waived { reason } if failed => RowStatus::Skipped(format!("waived: {reason}")),
        // A flaky case passed in the end: its rows pass, with a note.
        CaseOutcome::Flaky if failed || passed => RowStatus::Flaky,
        _ if failed => RowStatus::Failed,
        _ if passed => RowStatus::Passed,
        _ => RowStatus::Skipped(match checks.first() {
            Some((_, c)) => format!("not checked: {}", c.actual),
            None => "not checked: no step of this case checked it".to_string(),
        }),
    }
}

/// Title of an invariant, or an empty string for unknown IDs.
pub(crate) fn title(id: &str) -> &'static str {
    contract::find(id).map_or("", |inv| inv.title)
}

/// Clause of an invariant (may be empty while the catalogue is filled in).
pub(crate) fn clause(id: &str) -> &'static str {
    contract::find(id).map_or("", |inv| inv.clause)
}

/// `MUST` or `SHOULD`.
pub(crate) fn level_label(id: &str) -> &'static str {
    match level_of(id) {
        Level::Must => "MUST",
        Level::Should => "SHOULD",
    }
}

/// The exchange a check points at.
pub(crate) fn exchange_of<'a>(step: &'a StepResult, check: &CheckResult) -> Option<&'a Exchange> {
    check.exchange.and_then(|i| step.exchanges.get(i))
}

/// One failing invariant over the failed cases of a run.
#[derive(Debug, Clone)]
pub(crate) struct FailingInvariant<'a> {
    pub id: String,
    pub failed_checks: usize,
    pub cases: Vec<&'a str>,
    pub first_case: &'a CaseResult,
    pub first_check: &'a CheckResult,
}

/// Invariants with a failing check in a `failed` case (what fails a gate):
/// MUST before SHOULD, then in the order of `result.invariants`.
pub(crate) fn failing_invariants(result: &RunResult) -> Vec<FailingInvariant<'_>> {
    let mut out: Vec<FailingInvariant<'_>> = Vec::new();
    for case in result
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, CaseOutcome::Failed | CaseOutcome::Flaky))
    {
        for step in &case.steps {
            for check in step.checks.iter().filter(|c| c.verdict == Verdict::Fail) {
                match out.iter_mut().find(|f| f.id == check.invariant) {
                    Some(f) => {
                        f.failed_checks += 1;
                        if !f.cases.contains(&case.name.as_str()) {
                            f.cases.push(&case.name);
                        }
                    }
                    None => out.push(FailingInvariant {
                        id: check.invariant.clone(),
                        failed_checks: 1,
                        cases: vec![&case.name],
                        first_case: case,
                        first_check: check,
                    }),
                }
            }
        }
    }
    let position = |id: &str| {
        result
            .invariants
            .iter()
            .position(|t| t.id == id)
            .unwrap_or(usize::MAX)
    };
    out.sort_by_key(|f| (level_of(&f.id) != Level::Must, position(&f.id)));
    out
}

/// Body text pretty-printed when it is JSON, unchanged otherwise.
pub(crate) fn pretty_body(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_else(|_| body.to_string()),
        Err(_) => body.to_string(),
    }
}

/// Milliseconds as seconds with three decimals, e.g. `0.043`.
pub(crate) fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::sample_result;

    fn rows_of<'a>(r: &'a RunResult, name: &str) -> Vec<Row<'a>> {
        let case = r
            .cases
            .iter()
            .find(|c| c.name == name)
            .expect("case in sample");
        case_rows(case)
    }

    #[test]
    fn declared_invariants_come_first_then_checked_ones() {
        let r = sample_result();
        let rows = rows_of(&r, "cancel::cancel_done_is_rejected");
        let ids: Vec<_> = rows.iter().map(|r| r.invariant.as_str()).collect();
        assert_eq!(
            ids,
            [
                "CANCEL-TERMINAL-422",
                "CANCEL-NO-SIDE-EFFECT-ON-DONE",
                "OP-SCHEMA-REQUIRED",
                "OP-DONE-TERMINAL"
            ]
        );
        let st: Vec<_> = rows.iter().map(|r| r.status.clone()).collect();
        assert_eq!(
            st,
            [
                RowStatus::Failed,
                RowStatus::Failed,
                RowStatus::Passed,
                RowStatus::Failed
            ]
        );
        // OP-SCHEMA-REQUIRED was checked in the first step only.
        assert_eq!(rows[2].duration_ms, 90);
    }

    #[test]
    fn outcomes_map_to_row_statuses() {
        let r = sample_result();
        let skipped = rows_of(&r, "cancel::if_match_stale");
        assert_eq!(
            skipped[0].status,
            RowStatus::Skipped(
                "skipped: target sends no ETag, so no stale If-Match can be built".into()
            )
        );
        let waived = rows_of(&r, "list::owner_filter");
        assert!(
            matches!(&waived[0].status, RowStatus::Skipped(s) if s.starts_with("waived: AKUA-1234"))
        );
        let flaky = rows_of(&r, "cancel::replay_same_key[encoded]");
        assert!(flaky.iter().all(|r| r.status == RowStatus::Flaky));
        let passed = rows_of(&r, "cancel::cancel_running_returns_202");
        let etag = passed
            .iter()
            .find(|r| r.invariant == "OP-ETAG-HEADER")
            .expect("row");
        assert!(matches!(&etag.status, RowStatus::Skipped(s) if s.contains("strict-only")));
    }

    #[test]
    fn failed_case_without_failing_check_gets_a_case_row() {
        let mut r = sample_result();
        let case = r
            .cases
            .iter_mut()
            .find(|c| c.outcome == CaseOutcome::Failed)
            .expect("failed");
        case.steps.clear();
        let rows = case_rows(case);
        let last = rows.last().expect("rows");
        assert_eq!(last.invariant, CASE_ROW);
        assert_eq!(last.status, RowStatus::Failed);
    }

    #[test]
    fn failing_invariants_skip_waived_and_count_checks() {
        let r = sample_result();
        let f = failing_invariants(&r);
        let ids: Vec<_> = f.iter().map(|f| f.id.as_str()).collect();
        assert!(!ids.contains(&"LIST-OWNER-FILTER"));
        assert_eq!(f.len(), 4);
        let wakes = f.iter().find(|f| f.id == "WAIT-WAKES").expect("wait-wakes");
        assert_eq!(wakes.cases, ["wait::wait_wakes_on_done"]);
        assert_eq!(wakes.failed_checks, 1);
    }

    #[test]
    fn pretty_body_leaves_non_json_alone() {
        assert_eq!(pretty_body("<html>"), "<html>");
        assert_eq!(pretty_body(r#"{"a":1}"#), "{\n  \"a\": 1\n}");
        assert_eq!(seconds(9_912), "9.912");
        assert_eq!(seconds(43), "0.043");
    }
}
