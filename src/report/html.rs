//! One self-contained HTML file: inline CSS and JS, no network fetch, opens
//! from disk. Rendered with minijinja with HTML auto-escaping on, because
//! response bodies and headers come from the target and are untrusted.
//!
//! The JS never receives data through a script literal: everything is in
//! escaped HTML and the script reads the DOM, so a `</script>` in a body
//! cannot end the script.

use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::model::{CaseOutcome, CaseResult, Exchange, RunResult, Verdict};

use super::diff::{self, DiffLine};
use super::digest::{self, seconds};
use super::reproducer;
use super::verdict::{Headline, RunVerdict, verdict};

/// The template; `.html` in the name switches auto-escaping on.
const TEMPLATE_NAME: &str = "opconform.html";
const TEMPLATE: &str = include_str!("html.html");

#[derive(Serialize)]
struct Page {
    headline: &'static str,
    headline_class: &'static str,
    detail: String,
    target: String,
    embedded: bool,
    faults: Vec<String>,
    mode: &'static str,
    started_at: String,
    duration: String,
    tool_version: String,
    catalogue_version: String,
    counts: RunVerdict,
    total_cases: usize,
    invariants: Vec<InvariantRow>,
    failures: Vec<FailureCard>,
    cases: Vec<CaseRow>,
}

#[derive(Serialize)]
struct InvariantRow {
    id: String,
    title: &'static str,
    clause: ClauseView,
    level: &'static str,
    passed: u32,
    failed: u32,
    skipped: u32,
    cases: usize,
    verdict: &'static str,
}

#[derive(Serialize)]
struct CaseRow {
    name: String,
    file: String,
    description: Option<String>,
    outcome: &'static str,
    reason: Option<String>,
    attempts: u32,
    duration: String,
    invariants: Vec<String>,
    checks: usize,
    failed_checks: usize,
}

#[derive(Serialize)]
struct FailureCard {
    case: String,
    file: String,
    outcome: &'static str,
    reason: Option<String>,
    attempts: u32,
    duration: String,
    /// Race timelines of the case, as inline SVG (escaped by the renderer).
    timelines: Vec<String>,
    failures: Vec<FailureView>,
}

#[derive(Serialize)]
struct FailureView {
    invariant: String,
    title: &'static str,
    level: &'static str,
    clause: ClauseView,
    step: String,
    step_duration: String,
    expected: String,
    actual: String,
    diff: Vec<DiffLine>,
    elapsed_ms: Option<u64>,
    exchange: Option<ExchangeView>,
}

#[derive(Serialize)]
struct ExchangeView {
    method: String,
    url: String,
    request_headers: Vec<(String, String)>,
    request_body: Option<String>,
    status: Option<u16>,
    status_class: &'static str,
    response_headers: Vec<(String, String)>,
    response_body: Option<String>,
    truncated: bool,
    body_bytes: u64,
    error: Option<String>,
    elapsed: String,
    curl: String,
}

/// Renders `result` as one HTML page.
pub(crate) fn render(result: &RunResult) -> Result<String, minijinja::Error> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_template(TEMPLATE_NAME, TEMPLATE)?;
    let page = page(result);
    env.get_template(TEMPLATE_NAME)?.render(Serde(&page))
}

fn page(result: &RunResult) -> Page {
    let v = verdict(result);
    let (headline_class, detail) = match v.headline() {
        Headline::Failed => (
            "failed",
            format!(
                "{} of {} cases failed; {} MUST and {} SHOULD invariants broken",
                v.failed_cases + v.flaky,
                v.total_cases(),
                v.failed_must,
                v.failed_should
            ),
        ),
        Headline::Incomplete => (
            "incomplete",
            format!("{} of {} cases did not run", v.not_run, v.total_cases()),
        ),
        Headline::Passed => (
            "passed",
            format!("{} cases, no invariant broken", v.total_cases()),
        ),
        Headline::Empty => (
            "incomplete",
            format!(
                "nothing verified: none of {} cases passed ({} skipped, {} inconclusive)",
                v.total_cases(),
                v.skipped,
                v.inconclusive
            ),
        ),
    };

    let failing: std::collections::HashSet<&str> = digest::failing_invariants(result)
        .iter()
        .map(|f| f.first_check.invariant.as_str())
        .collect();
    let mut invariants: Vec<InvariantRow> = result
        .invariants
        .iter()
        .map(|t| {
            let clause = digest::clause(&t.id);
            InvariantRow {
                id: t.id.clone(),
                title: digest::title(&t.id),
                clause: ClauseView::of(clause),
                level: digest::level_label(&t.id),
                passed: t.passed,
                failed: t.failed,
                skipped: t.skipped,
                cases: t.cases.len(),
                verdict: if failing.contains(t.id.as_str()) {
                    "failed"
                } else if t.failed > 0 {
                    // Every failing check of it is in a waived (or flaky) case.
                    "waived"
                } else if t.passed > 0 {
                    "passed"
                } else if t.skipped > 0 {
                    "skipped"
                } else {
                    "unchecked"
                },
            }
        })
        .collect();
    // Failures first, then checked before unchecked; catalogue order within.
    invariants.sort_by_key(|r| match r.verdict {
        "failed" => 0,
        "waived" => 1,
        "passed" | "skipped" => 2,
        _ => 3,
    });

    Page {
        headline: v.headline().label(),
        headline_class,
        detail,
        target: result.target.base_url.clone(),
        embedded: result.target.embedded,
        faults: result.target.faults.clone(),
        mode: match result.mode {
            crate::contract::Mode::Lenient => "lenient",
            crate::contract::Mode::Strict => "strict",
        },
        started_at: result.started_at.clone(),
        duration: seconds(result.duration_ms),
        tool_version: result.tool_version.clone(),
        catalogue_version: result.catalogue_version.clone(),
        total_cases: v.total_cases(),
        counts: v,
        invariants,
        failures: result
            .cases
            .iter()
            .filter_map(|c| failure_card(c, result))
            .collect(),
        cases: result.cases.iter().map(case_row).collect(),
    }
}

fn outcome_reason(outcome: &CaseOutcome) -> Option<String> {
    match outcome {
        CaseOutcome::Skipped { reason }
        | CaseOutcome::Inconclusive { reason }
        | CaseOutcome::Waived { reason }
        | CaseOutcome::NotRun { reason } => Some(reason.clone()),
        CaseOutcome::Passed | CaseOutcome::Failed | CaseOutcome::Flaky => None,
    }
}

fn case_row(case: &CaseResult) -> CaseRow {
    let checks = case.steps.iter().flat_map(|s| &s.checks);
    CaseRow {
        name: case.name.clone(),
        file: case.file.clone(),
        description: case.description.clone(),
        outcome: case.outcome.label(),
        reason: outcome_reason(&case.outcome),
        attempts: case.attempts,
        duration: seconds(case.duration_ms),
        invariants: case.invariants.clone(),
        checks: checks.clone().count(),
        failed_checks: checks.filter(|c| c.verdict == Verdict::Fail).count(),
    }
}

/// A card for every case with a failing check (failed, waived, or a flaky
/// case whose failing attempt was kept), and for failed cases without one.
fn failure_card(case: &CaseResult, result: &RunResult) -> Option<FailureCard> {
    let mut failures = Vec::new();
    for step in &case.steps {
        for check in step.checks.iter().filter(|c| c.verdict == Verdict::Fail) {
            let clause = digest::clause(&check.invariant);
            failures.push(FailureView {
                invariant: check.invariant.clone(),
                title: digest::title(&check.invariant),
                level: digest::level_label(&check.invariant),
                clause: ClauseView::of(clause),
                step: step.name.clone(),
                step_duration: seconds(step.duration_ms),
                expected: check.expected.clone(),
                actual: check.actual.clone(),
                diff: diff::lines(&check.expected, &check.actual),
                elapsed_ms: check.elapsed_ms,
                exchange: digest::exchange_of(step, check).map(exchange_view),
            });
        }
    }
    if failures.is_empty() && case.outcome == CaseOutcome::Failed {
        // No failing check: show every exchange, errors included.
        for step in &case.steps {
            for ex in &step.exchanges {
                failures.push(FailureView {
                    invariant: digest::CASE_ROW.to_string(),
                    title: "the case failed without a failing check",
                    level: "MUST",
                    clause: ClauseView::of(""),
                    step: step.name.clone(),
                    step_duration: seconds(step.duration_ms),
                    expected: "the step completes".to_string(),
                    actual: ex
                        .error
                        .clone()
                        .unwrap_or_else(|| "see the exchange".to_string()),
                    diff: Vec::new(),
                    elapsed_ms: None,
                    exchange: Some(exchange_view(ex)),
                });
            }
        }
    }
    if failures.is_empty() && case.outcome != CaseOutcome::Failed {
        return None;
    }
    Some(FailureCard {
        case: case.name.clone(),
        file: case.file.clone(),
        outcome: case.outcome.label(),
        reason: outcome_reason(&case.outcome),
        attempts: case.attempts,
        duration: seconds(case.duration_ms),
        timelines: result
            .timelines
            .iter()
            .filter(|t| t.case == case.name)
            .map(super::timeline::svg)
            .collect(),
        failures,
    })
}

fn exchange_view(ex: &Exchange) -> ExchangeView {
    let resp = ex.response.as_ref();
    ExchangeView {
        method: ex.request.method.clone(),
        url: ex.request.url.clone(),
        request_headers: ex.request.headers.clone(),
        request_body: ex.request.body.as_deref().map(digest::pretty_body),
        status: resp.map(|r| r.status),
        status_class: match resp.map(|r| r.status / 100) {
            Some(2) => "s2xx",
            Some(3) => "s3xx",
            Some(4) => "s4xx",
            Some(_) => "s5xx",
            None => "serr",
        },
        response_headers: resp.map(|r| r.headers.clone()).unwrap_or_default(),
        response_body: resp.map(|r| {
            if r.body_truncated {
                // A cut JSON body does not parse; show it as received.
                r.body_excerpt.clone()
            } else {
                digest::pretty_body(&r.body_excerpt)
            }
        }),
        truncated: resp.is_some_and(|r| r.body_truncated),
        body_bytes: resp.map_or(0, |r| r.body_bytes),
        error: ex.error.clone(),
        elapsed: format!("{} ms", ex.elapsed_ms),
        curl: reproducer::curl(&ex.request),
    }
}

/// A clause as shown: a long URL becomes a short link (its last path
/// segment, the full URL in `href` and `title`) followed by the note the
/// catalogue gives after it, so the table never overflows the page.
#[derive(Serialize, Debug, PartialEq, Eq)]
struct ClauseView {
    url: Option<&'static str>,
    label: String,
    note: &'static str,
}

impl ClauseView {
    fn of(clause: &'static str) -> ClauseView {
        let (head, note) = match clause.split_once(char::is_whitespace) {
            Some((head, rest)) => (head, rest.trim()),
            None => (clause, ""),
        };
        if !(head.starts_with("https://") || head.starts_with("http://")) {
            return ClauseView {
                url: None,
                label: String::new(),
                note: clause,
            };
        }
        let path = head.split(['?', '#']).next().unwrap_or(head);
        let label = path
            .trim_end_matches('/')
            .rsplit('/')
            .find(|s| !s.is_empty() && !s.contains(':'))
            .unwrap_or(path)
            .to_string();
        ClauseView {
            url: Some(head),
            label,
            note,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::sample_result;

    #[test]
    fn clause_urls_become_short_links_with_their_note() {
        let c =
            ClauseView::of("https://example.test/api/request-operation-cancellation (\"quoted\")");
        assert_eq!(
            c.url,
            Some("https://example.test/api/request-operation-cancellation")
        );
        assert_eq!(c.label, "request-operation-cancellation");
        assert_eq!(c.note, "(\"quoted\")");
        let plain = ClauseView::of("RFC 9110 §13.2.1");
        assert_eq!(plain.url, None);
        assert_eq!(plain.note, "RFC 9110 §13.2.1");
    }

    #[test]
    fn renders_without_external_resources() {
        let html = render(&sample_result()).expect("renders");
        assert!(html.starts_with("<!DOCTYPE html>"));
        for needle in ["src=\"http", "href=\"//", "@import", "url(http", "<link "] {
            assert!(!html.contains(needle), "page fetches something: {needle}");
        }
    }

    #[test]
    fn hostile_body_is_escaped() {
        let mut r = sample_result();
        let ex = r.cases[1].steps[0].exchanges[0]
            .response
            .as_mut()
            .expect("response");
        ex.body_excerpt = "<script>alert(1)</script></script><img src=x onerror=alert(2)>".into();
        let html = render(&r).expect("renders");
        assert!(!html.contains("<script>alert(1)"));
        assert!(!html.contains("<img src=x"));
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
            "escaped body present"
        );
        assert_eq!(
            html.matches("<script>").count(),
            1,
            "only the page's own script"
        );
    }

    #[test]
    fn invariant_rows_put_failures_first() {
        let p = page(&sample_result());
        let first_non_failed = p
            .invariants
            .iter()
            .position(|r| r.verdict != "failed")
            .expect("some pass");
        assert!(
            p.invariants[..first_non_failed]
                .iter()
                .all(|r| r.failed > 0)
        );
        // The waived failure comes next, labelled as such.
        assert_eq!(p.invariants[first_non_failed].id, "LIST-OWNER-FILTER");
        assert_eq!(p.invariants[first_non_failed].verdict, "waived");
        assert!(
            p.invariants[first_non_failed + 1..]
                .iter()
                .all(|r| r.failed == 0)
        );
        // Two failed cases and one waived case with failing checks.
        assert_eq!(p.failures.len(), 3);
    }
}
