//! JUnit XML in the dialect Jenkins and GitLab read (checked against
//! `tests/data/junit.xsd`).
//!
//! Shape: one `<testsuite>` per case file, one `<testcase>` per
//! case × invariant.
//!
//! Naming, and why: `name` is the invariant ID and `classname` is
//! `<file stem>.<case>`. Jenkins splits `classname` at its last `.` into
//! package and class, so its tree reads file → case → invariant, and its
//! "failed tests" list shows `cancel.cancel_done_is_rejected.CANCEL-TERMINAL-422`.
//! GitLab's test report lists `name` with `classname` beside it, so the
//! invariant ID people grep for is the first thing on each row. Putting the
//! case in `name` instead would hide which rule broke behind the case name.

use std::path::Path;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::model::{CaseOutcome, CaseResult, RunResult};

use super::digest::{self, CASE_ROW, Row, RowStatus};
use super::reproducer;

/// Renders `result` as JUnit XML.
pub(crate) fn render(result: &RunResult) -> Result<String, quick_junit::SerializeError> {
    let mut report = Report::new("opconform");
    report.set_time(Duration::from_millis(result.duration_ms));

    // Suites in the order their files first appear in the plan.
    let mut files: Vec<&str> = Vec::new();
    for case in &result.cases {
        if !files.contains(&case.file.as_str()) {
            files.push(&case.file);
        }
    }
    for file in files {
        let cases: Vec<&CaseResult> = result.cases.iter().filter(|c| c.file == file).collect();
        let mut suite = TestSuite::new(file);
        suite.set_time(Duration::from_millis(
            cases.iter().map(|c| c.duration_ms).sum(),
        ));
        // quick-junit takes a chrono timestamp; the model keeps RFC 3339 text,
        // which is what the attribute holds anyway.
        suite
            .extra
            .insert("timestamp".into(), result.started_at.as_str().into());
        suite.add_properties(suite_properties(result));
        for case in cases {
            for row in digest::case_rows(case) {
                suite.add_test_case(test_case(case, &row));
            }
        }
        report.add_test_suite(suite);
    }
    report.to_string()
}

fn suite_properties(result: &RunResult) -> Vec<Property> {
    let mut props = vec![
        Property::new("target", &result.target.base_url),
        Property::new("mode", mode_label(result)),
        Property::new("tool_version", &result.tool_version),
        Property::new("catalogue_version", &result.catalogue_version),
    ];
    if !result.target.faults.is_empty() {
        props.push(Property::new("faults", result.target.faults.join(",")));
    }
    props
}

fn mode_label(result: &RunResult) -> &'static str {
    match result.mode {
        crate::contract::Mode::Lenient => "lenient",
        crate::contract::Mode::Strict => "strict",
    }
}

/// `cancel.cancel_done_is_rejected` for `cases/cancel.toml` and
/// `cancel::cancel_done_is_rejected`.
fn classname(case: &CaseResult) -> String {
    let stem = Path::new(&case.file)
        .file_stem()
        .map_or_else(|| case.file.clone(), |s| s.to_string_lossy().into_owned());
    let short = case
        .name
        .rsplit_once("::")
        .map_or(case.name.as_str(), |(_, c)| c);
    format!("{stem}.{short}")
}

fn test_case(case: &CaseResult, row: &Row<'_>) -> TestCase {
    let status = match &row.status {
        RowStatus::Passed | RowStatus::Flaky => TestCaseStatus::success(),
        RowStatus::Skipped(reason) => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(reason.as_str());
            s
        }
        RowStatus::Failed => failure_status(case, row),
    };
    let mut tc = TestCase::new(row.invariant.as_str(), status);
    tc.set_classname(classname(case));
    tc.set_time(Duration::from_millis(row.duration_ms));
    if !row.checks.is_empty() {
        tc.set_assertions(row.checks.len());
    }
    if row.status == RowStatus::Flaky {
        // junit-10 has no flaky element; both Jenkins and GitLab show system-out.
        tc.set_system_out(format!(
            "flaky: failed on an earlier attempt and passed on a fresh fixture ({} attempts)",
            case.attempts
        ));
    }
    tc
}

fn failure_status(case: &CaseResult, row: &Row<'_>) -> TestCaseStatus {
    if row.invariant == CASE_ROW {
        let error = case
            .steps
            .iter()
            .flat_map(|s| &s.exchanges)
            .find_map(|e| e.error.as_deref());
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
        s.set_message(match error {
            Some(e) => format!("case failed without a failing check: {e}"),
            None => "case failed without a failing check".to_string(),
        });
        s.set_description(case_error_text(case));
        return s;
    }
    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
    let level = digest::level_label(&row.invariant);
    s.set_type(format!("{level} invariant"));
    if let Some((_, first)) = row.failures().next() {
        s.set_message(one_line(&format!(
            "{}: expected {}, got {}",
            row.invariant, first.expected, first.actual
        )));
    }
    s.set_description(failure_text(case, row));
    s
}

/// First line of `text`, with a marker when more followed, cut to 200 chars.
fn one_line(text: &str) -> String {
    let flat: String = text.replace(['\r', '\n'], "; ");
    if flat.chars().count() > 200 {
        let cut: String = flat.chars().take(199).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

/// The failure body: which rule, what was expected and seen, where, and how
/// to replay it.
pub(crate) fn failure_text(case: &CaseResult, row: &Row<'_>) -> String {
    let mut out = String::new();
    let title = digest::title(&row.invariant);
    out.push_str(&format!(
        "{} ({}) {}\n",
        row.invariant,
        digest::level_label(&row.invariant),
        title
    ));
    let clause = digest::clause(&row.invariant);
    if !clause.is_empty() {
        out.push_str(&format!("clause: {clause}\n"));
    }
    out.push_str(&format!("case: {} ({})\n", case.name, case.file));
    for (step, check) in row.failures() {
        out.push_str(&format!("\nstep: {}\n", step.name));
        out.push_str(&format!("expected: {}\n", indent_tail(&check.expected)));
        out.push_str(&format!("actual:   {}\n", indent_tail(&check.actual)));
        if let Some(ms) = check.elapsed_ms {
            out.push_str(&format!("elapsed: {ms} ms\n"));
        }
        if let Some(ex) = digest::exchange_of(step, check) {
            out.push_str(&format!(
                "request: {} {}\n",
                ex.request.method, ex.request.url
            ));
            match (&ex.response, &ex.error) {
                (Some(resp), _) => out.push_str(&format!(
                    "response: {} in {} ms\n",
                    resp.status, ex.elapsed_ms
                )),
                (None, Some(err)) => out.push_str(&format!("error: {err}\n")),
                (None, None) => {}
            }
            out.push_str("reproduce:\n");
            out.push_str(&reproducer::curl(&ex.request));
            out.push('\n');
        }
    }
    out
}

fn case_error_text(case: &CaseResult) -> String {
    let mut out = format!("case: {} ({})\n", case.name, case.file);
    if case.outcome != CaseOutcome::Failed {
        return out;
    }
    for step in &case.steps {
        for ex in &step.exchanges {
            out.push_str(&format!("\nstep: {}\n", step.name));
            out.push_str(&format!(
                "request: {} {}\n",
                ex.request.method, ex.request.url
            ));
            if let Some(err) = &ex.error {
                out.push_str(&format!("error: {err}\n"));
            }
            out.push_str("reproduce:\n");
            out.push_str(&reproducer::curl(&ex.request));
            out.push('\n');
        }
    }
    out
}

/// Continuation lines of a multi-line value, indented under the label.
fn indent_tail(text: &str) -> String {
    text.replace('\n', "\n          ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::sample_result;

    #[test]
    fn one_suite_per_file_and_one_case_per_invariant() {
        let xml = render(&sample_result()).expect("renders");
        assert_eq!(xml.matches("<testsuite ").count(), 3);
        assert!(xml.contains(r#"<testsuite name="cases/cancel.toml""#));
        assert!(xml.contains(
            r#"<testcase name="CANCEL-TERMINAL-422" classname="cancel.cancel_done_is_rejected""#
        ));
        assert!(xml.contains(
            r#"message="CANCEL-TERMINAL-422: expected status in [422], got status 200""#
        ));
        assert!(xml.contains("curl --globoff --path-as-is"));
        assert!(xml.contains("Bearer $AKUA_TOKEN"));
    }

    #[test]
    fn skips_waivers_and_flakes_are_labelled() {
        let xml = render(&sample_result()).expect("renders");
        assert!(xml.contains(r#"<skipped message="waived: AKUA-1234"#));
        assert!(xml.contains(r#"<skipped message="inconclusive: the fixture"#));
        assert!(xml.contains(r#"<skipped message="not run: run deadline"#));
        assert!(xml.contains("flaky: failed on an earlier attempt"));
    }

    #[test]
    fn one_line_flattens_and_cuts() {
        assert_eq!(one_line("a\nb"), "a; b");
        assert_eq!(one_line(&"x".repeat(500)).chars().count(), 200);
    }
}
