//! The last word on a case's verdict after it ran: a stopped target, a
//! target that kept throttling, and waivers.

use crate::model::{CaseOutcome, CaseResult, Verdict};

use crate::gate::Waivers;
use crate::target::STOPPED_REASON;

/// Applies, in order: a case that met the stopped-target breaker (a
/// request was not sent) is [`CaseOutcome::NotRun`] with its evidence
/// kept; a failure seen only on throttled responses (`429`/`503` with
/// `Retry-After`, retried up to the bound) is
/// [`CaseOutcome::Inconclusive`]; then the waivers.
pub fn settle(mut case: CaseResult, waivers: &Waivers) -> CaseResult {
    let not_sent = format!("not sent: {STOPPED_REASON}");
    let met_breaker = case
        .steps
        .iter()
        .flat_map(|s| &s.exchanges)
        .any(|e| e.error.as_deref() == Some(not_sent.as_str()))
        || matches!(&case.outcome, CaseOutcome::Skipped { reason } if reason.contains(&not_sent));
    if met_breaker {
        case.outcome = CaseOutcome::NotRun {
            reason: STOPPED_REASON.to_string(),
        };
        return case;
    }
    if case.outcome == CaseOutcome::Failed {
        if let Some(reason) = throttled_only(&case) {
            case.outcome = CaseOutcome::Inconclusive { reason };
            return case;
        }
    }
    waivers.apply(&mut case);
    case
}

/// When every failing check points at a throttled response: why.
fn throttled_only(case: &CaseResult) -> Option<String> {
    let mut worst: Option<(u16, u32)> = None;
    for step in &case.steps {
        for check in step.checks.iter().filter(|c| c.verdict == Verdict::Fail) {
            let ex = check.exchange.and_then(|i| step.exchanges.get(i))?;
            let resp = ex.response.as_ref()?;
            if !matches!(resp.status, 429 | 503) || resp.header("retry-after").is_none() {
                return None;
            }
            if worst.is_none_or(|(_, r)| ex.retries > r) {
                worst = Some((resp.status, ex.retries));
            }
        }
    }
    worst.map(|(status, retries)| {
        format!(
            "the target kept answering {status} with Retry-After ({retries} re-send(s) honoured); \
             throttling is not a contract failure, so no verdict"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CheckResult, Exchange, RecordedRequest, RecordedResponse, StepResult};

    fn exchange(status: Option<u16>, retry_after: bool, error: Option<&str>) -> Exchange {
        Exchange {
            request: RecordedRequest {
                method: "GET".into(),
                url: "http://h/v1/operations".into(),
                headers: vec![],
                body: None,
            },
            response: status.map(|s| RecordedResponse {
                status: s,
                headers: if retry_after {
                    vec![("retry-after".into(), "1".into())]
                } else {
                    vec![]
                },
                body_excerpt: String::new(),
                body_truncated: false,
                body_bytes: 0,
            }),
            error: error.map(String::from),
            elapsed_ms: 1,
            retries: 3,
            at_ms: 0,
        }
    }

    fn failed(ex: Exchange) -> CaseResult {
        CaseResult {
            name: "f::c".into(),
            file: "f.toml".into(),
            description: None,
            invariants: vec![],
            outcome: CaseOutcome::Failed,
            attempts: 1,
            steps: vec![StepResult {
                name: "s".into(),
                exchanges: vec![ex],
                checks: vec![CheckResult {
                    invariant: "X".into(),
                    verdict: Verdict::Fail,
                    expected: "status 200".into(),
                    actual: "status 429".into(),
                    exchange: Some(0),
                    elapsed_ms: None,
                    kind: Default::default(),
                }],
                duration_ms: 0,
            }],
            duration_ms: 0,
            other_attempts: Vec::new(),
        }
    }

    #[test]
    fn throttled_failure_is_inconclusive() {
        let c = settle(failed(exchange(Some(429), true, None)), &Waivers::default());
        assert!(
            matches!(&c.outcome, CaseOutcome::Inconclusive { reason } if reason.contains("429") && reason.contains("3 re-send")),
            "{:?}",
            c.outcome
        );
        // 429 without Retry-After, or a 500, is a failure like any other.
        let c = settle(
            failed(exchange(Some(429), false, None)),
            &Waivers::default(),
        );
        assert_eq!(c.outcome, CaseOutcome::Failed);
        let c = settle(failed(exchange(Some(500), true, None)), &Waivers::default());
        assert_eq!(c.outcome, CaseOutcome::Failed);
    }

    #[test]
    fn breaker_turns_the_case_into_not_run_and_keeps_evidence() {
        let c = settle(
            failed(exchange(
                None,
                false,
                Some("not sent: target stopped answering"),
            )),
            &Waivers::default(),
        );
        assert_eq!(
            c.outcome,
            CaseOutcome::NotRun {
                reason: STOPPED_REASON.into()
            }
        );
        assert_eq!(c.steps.len(), 1);
    }
}
