//! Console output of `opconform run`: the failure message of a case, the
//! per-invariant summary and the closing `test result:` line.
//!
//! Pure functions of the results; every string goes through the
//! [`Redactor`] before it is returned.

use std::fmt::Write as _;

use crate::contract::{self, Level};
use crate::model::{CaseOutcome, CaseResult, RunResult, Verdict};
use crate::redact::Redactor;

/// Longest body excerpt shown in a failure message.
const BODY_SHOWN: usize = 400;

/// Every failed check of `case`: the invariant, expected vs actual, and the
/// request (method, URL, headers) and response that showed it.
pub fn failure_message(case: &CaseResult, redactor: &Redactor) -> String {
    let mut out = String::new();
    for step in &case.steps {
        for check in step.checks.iter().filter(|c| c.verdict == Verdict::Fail) {
            let level = match contract::find(&check.invariant).map(|i| i.level) {
                Some(Level::Should) => "SHOULD",
                _ => "MUST",
            };
            let _ = writeln!(
                out,
                "invariant {} ({level}) failed in step \"{}\"",
                check.invariant, step.name
            );
            let _ = writeln!(out, "  expected: {}", check.expected);
            let _ = writeln!(out, "  actual:   {}", check.actual);
            if let Some(ex) = check.exchange.and_then(|i| step.exchanges.get(i)) {
                let _ = writeln!(out, "  request:  {} {}", ex.request.method, ex.request.url);
                for (k, v) in &ex.request.headers {
                    let _ = writeln!(out, "            {k}: {v}");
                }
                match (&ex.response, &ex.error) {
                    (Some(r), _) => {
                        let body: String = r.body_excerpt.chars().take(BODY_SHOWN).collect();
                        let more =
                            if r.body_excerpt.chars().count() > BODY_SHOWN || r.body_truncated {
                                " ..."
                            } else {
                                ""
                            };
                        let _ = writeln!(
                            out,
                            "  response: {} after {} ms: {body}{more}",
                            r.status, ex.elapsed_ms
                        );
                    }
                    (None, Some(e)) => {
                        let _ = writeln!(out, "  response: none ({e})");
                    }
                    (None, None) => {}
                }
                if let (Some(_), Some(e)) = (&ex.response, &ex.error) {
                    let _ = writeln!(out, "  error:    {e}");
                }
            }
        }
    }
    if case.outcome == CaseOutcome::Flaky {
        let _ = writeln!(
            out,
            "(flaky: the violation above was seen once and not on the confirmation attempt; \
             a violation seen once is a violation)"
        );
    }
    for a in &case.other_attempts {
        let _ = writeln!(
            out,
            "(attempt {}: {}{})",
            a.number,
            a.ended,
            a.reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        );
    }
    if case.attempts > 1 {
        let _ = writeln!(out, "(attempts: {})", case.attempts);
    }
    redactor.redact(&out).into_owned()
}

/// Failed checks of `id` in cases reported as waived.
fn waived_failures(result: &RunResult, id: &str) -> u32 {
    let n = result
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, CaseOutcome::Waived { .. }))
        .flat_map(|c| &c.steps)
        .flat_map(|s| &s.checks)
        .filter(|c| c.verdict == Verdict::Fail && c.invariant == id)
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The per-invariant table: passed/failed/skipped checks and the cases that
/// evidenced each invariant. Invariants no case touched are counted at the
/// end. A row reads `FAILED` exactly when its failures fail the run under
/// `gate` (so the table and the closing line never disagree): failures the
/// gate lets pass read `warning` (a SHOULD under `--fail-on must`) or
/// `flaky` (under `--allow-flaky`), failures in waived cases `waived`, and
/// failures in cases without a verdict `inconclusive`.
pub fn invariant_summary(
    result: &RunResult,
    redactor: &Redactor,
    gate: impl Into<crate::gate::Gate>,
) -> String {
    let gate = gate.into();
    let mut out = String::from("\ninvariants:\n");
    let width = result
        .invariants
        .iter()
        .map(|t| t.id.len())
        .max()
        .unwrap_or(0);
    let mut untouched = 0usize;
    for t in &result.invariants {
        if t.passed + t.failed + t.flaky + t.inconclusive + t.skipped == 0 {
            untouched += 1;
            continue;
        }
        let waived = waived_failures(result, &t.id);
        let counts = gate.fail_on.counts(crate::gate::level_of(&t.id));
        let counted_flaky = t.flaky > 0 && !gate.allow_flaky;
        let mark = if (t.failed > waived || counted_flaky) && counts {
            "FAILED"
        } else if t.failed > waived || (t.flaky > 0 && !gate.allow_flaky) {
            "warning"
        } else if t.flaky > 0 {
            "flaky"
        } else if t.failed > 0 {
            "waived"
        } else if t.passed > 0 {
            "ok"
        } else if t.inconclusive > 0 {
            "inconclusive"
        } else {
            "skipped"
        };
        let failed = t.failed + t.flaky;
        let mut cases: Vec<&str> = t.cases.iter().take(3).map(String::as_str).collect();
        let extra = t.cases.len().saturating_sub(3);
        let more = if extra > 0 {
            format!(" +{extra} more")
        } else {
            String::new()
        };
        if cases.is_empty() {
            cases.push("-");
        }
        let _ = writeln!(
            out,
            "  {:<width$}  {:<12} {:>4} passed; {:>3} failed; {:>3} inconclusive; {:>3} skipped  ({}{more})",
            t.id,
            mark,
            t.passed,
            failed,
            t.inconclusive,
            t.skipped,
            cases.join(", ")
        );
    }
    if untouched > 0 {
        let _ = writeln!(
            out,
            "  ({untouched} catalogued invariants were not evidenced by any case that ran)"
        );
    }
    redactor.redact(&out).into_owned()
}

/// What `opconform run` prints after the trial lines: the warnings (SHOULD
/// failures the gate lets pass), the invariant table, how many requests
/// were throttled, and the closing line for `conclusion`.
pub fn run_summary(
    result: &RunResult,
    redactor: &Redactor,
    gate: crate::gate::Gate,
    conclusion: crate::gate::Conclusion,
) -> String {
    let mut out = String::new();
    let warnings: Vec<_> = result
        .cases
        .iter()
        .filter(|c| crate::gate::case_warns(c, gate))
        .collect();
    if !warnings.is_empty() {
        out.push_str("\nwarnings (SHOULD invariants failed; --fail-on must):\n");
        for c in warnings {
            let _ = writeln!(out, "---- {} ----", c.name);
            out.push_str(&failure_message(c, redactor));
        }
    }
    out.push_str(&invariant_summary(result, redactor, gate));
    let retries: u64 = result
        .cases
        .iter()
        .flat_map(|c| &c.steps)
        .flat_map(|s| &s.exchanges)
        .map(|e| u64::from(e.retries))
        .sum();
    if retries > 0 {
        let _ = writeln!(
            out,
            "\nthrottled: {retries} request(s) re-sent after 429/503 with Retry-After"
        );
    }
    let _ = writeln!(out, "\n{}", closing_line(result, Closing::of(conclusion)));
    out
}

/// How a run closes: `ok`, `FAILED`, or `EMPTY` (nothing verified: no
/// case passed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// Every check that counts passed and something was verified.
    Ok,
    /// A failure counts, or the run is incomplete.
    Failed,
    /// No case passed (all skipped, inconclusive or throttled).
    Empty,
}

impl Closing {
    /// The closing word for how a run concluded.
    pub fn of(conclusion: crate::gate::Conclusion) -> Closing {
        use crate::gate::Conclusion;
        match conclusion {
            Conclusion::Passed => Closing::Ok,
            Conclusion::Failed | Conclusion::Incomplete { .. } => Closing::Failed,
            Conclusion::Empty => Closing::Empty,
        }
    }

    /// The word of the closing line.
    pub fn label(self) -> &'static str {
        match self {
            Closing::Ok => "ok",
            Closing::Failed => "FAILED",
            Closing::Empty => "EMPTY (nothing verified: no case passed)",
        }
    }
}

/// The closing line in libtest's form, e.g.
/// `test result: FAILED. 10 passed; 1 failed; 2 skipped; 0 inconclusive; 0 flaky; 0 not run; finished in 1.20s`.
pub fn closing_line(result: &RunResult, closing: Closing) -> String {
    let count = |f: fn(&CaseOutcome) -> bool| result.cases.iter().filter(|c| f(&c.outcome)).count();
    format!(
        "test result: {}. {} passed; {} failed; {} skipped; {} inconclusive; {} flaky; {} waived; {} not run; finished in {:.2}s",
        closing.label(),
        count(|o| *o == CaseOutcome::Passed),
        count(|o| *o == CaseOutcome::Failed),
        count(|o| matches!(o, CaseOutcome::Skipped { .. })),
        count(|o| matches!(o, CaseOutcome::Inconclusive { .. })),
        count(|o| *o == CaseOutcome::Flaky),
        count(|o| matches!(o, CaseOutcome::Waived { .. })),
        count(|o| matches!(o, CaseOutcome::NotRun { .. })),
        result.duration_ms as f64 / 1000.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CheckResult, Exchange, RecordedRequest, RecordedResponse, StepResult};

    fn case(outcome: CaseOutcome) -> CaseResult {
        CaseResult {
            name: "cancel::terminal".into(),
            file: "cases/cancel.toml".into(),
            description: None,
            invariants: vec!["CANCEL-TERMINAL-422".into()],
            outcome,
            attempts: 2,
            steps: vec![StepResult {
                name: "cancel".into(),
                exchanges: vec![Exchange {
                    request: RecordedRequest {
                        method: "POST".into(),
                        url: "http://h/v1/operations/op_1:cancel".into(),
                        headers: vec![("authorization".into(), "Bearer sk_secret".into())],
                        body: None,
                    },
                    response: Some(RecordedResponse {
                        status: 200,
                        headers: vec![],
                        body_excerpt: "{\"echo\":\"sk_secret\"}".into(),
                        body_truncated: false,
                        body_bytes: 20,
                    }),
                    error: None,
                    elapsed_ms: 3,
                    retries: 0,
                    at_ms: 0,
                }],
                checks: vec![CheckResult {
                    invariant: "CANCEL-TERMINAL-422".into(),
                    verdict: Verdict::Fail,
                    expected: "status in [422]".into(),
                    actual: "status 200".into(),
                    exchange: Some(0),
                    elapsed_ms: None,
                    kind: Default::default(),
                }],
                duration_ms: 3,
            }],
            duration_ms: 3,
            other_attempts: Vec::new(),
        }
    }

    fn run(cases: Vec<CaseResult>) -> RunResult {
        let mut run = crate::model::samples::run(cases, &contract::ids());
        run.target.base_url = "http://h/v1".into();
        run.duration_ms = 1500;
        run
    }

    #[test]
    fn failure_names_invariant_request_and_redacts() {
        let r = Redactor::new(["sk_secret"]);
        let msg = failure_message(&case(CaseOutcome::Failed), &r);
        assert!(
            msg.contains("invariant CANCEL-TERMINAL-422 (MUST) failed in step \"cancel\""),
            "{msg}"
        );
        assert!(msg.contains("expected: status in [422]"));
        assert!(msg.contains("actual:   status 200"));
        assert!(msg.contains("request:  POST http://h/v1/operations/op_1:cancel"));
        assert!(msg.contains("authorization: Bearer [REDACTED]"));
        assert!(!msg.contains("sk_secret"), "{msg}");
    }

    #[test]
    fn summary_and_closing_line() {
        let result = run(vec![
            case(CaseOutcome::Failed),
            CaseResult {
                steps: vec![],
                name: "x::skipped".into(),
                ..case(CaseOutcome::Skipped { reason: "r".into() })
            },
        ]);
        let s = invariant_summary(&result, &Redactor::default(), crate::gate::FailOn::Should);
        assert!(s.contains("CANCEL-TERMINAL-422"), "{s}");
        assert!(s.contains("FAILED"), "{s}");
        assert!(s.contains("cancel::terminal"), "{s}");
        let line = closing_line(&result, Closing::Failed);
        assert_eq!(
            line,
            "test result: FAILED. 0 passed; 1 failed; 1 skipped; 0 inconclusive; 0 flaky; 0 waived; 0 not run; finished in 1.50s"
        );
    }
}
