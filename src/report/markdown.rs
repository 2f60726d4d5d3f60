//! A short Markdown summary for `$GITHUB_STEP_SUMMARY` or a merge-request
//! comment: verdict, totals, the failing invariants, a link to the HTML.
//!
//! Every value from the run (case names, expected/actual text) is escaped:
//! it may hold `|`, backticks or HTML from a hostile target.

use std::fmt::Write as _;

use crate::model::{CaseOutcome, RunResult};

use super::digest::{self, seconds};
use super::verdict::{Headline, verdict};

/// Longest cell text before it is cut.
const CELL_MAX: usize = 120;
/// Most cases listed under "Not passed".
const LIST_MAX: usize = 20;

/// Renders the summary.
pub(crate) fn render(result: &RunResult) -> String {
    let v = verdict(result);
    let mut md = String::new();
    let icon = match v.headline() {
        Headline::Passed => "✅",
        Headline::Failed => "❌",
        Headline::Incomplete | Headline::Empty => "⚠️",
    };
    let detail = match v.headline() {
        Headline::Failed => format!(
            "{} of {} cases failed · {} MUST and {} SHOULD invariants broken",
            v.failed_cases + v.flaky,
            v.total_cases(),
            v.failed_must,
            v.failed_should
        ),
        Headline::Incomplete => format!("{} of {} cases did not run", v.not_run, v.total_cases()),
        Headline::Passed => format!("{} cases, no invariant broken", v.total_cases()),
        Headline::Empty => format!(
            "nothing verified: none of {} cases passed ({} skipped, {} inconclusive)",
            v.total_cases(),
            v.skipped,
            v.inconclusive
        ),
    };
    let _ = writeln!(
        md,
        "## {icon} opconform: {} — {detail}\n",
        v.headline().label()
    );
    let faults = if result.target.faults.is_empty() {
        String::new()
    } else {
        code(&result.target.faults.join(","))
    };
    let _ = writeln!(
        md,
        "Target {}{} · {} mode · started {} · {} s · opconform {}, catalogue {}\n",
        code(&result.target.base_url),
        if result.target.embedded {
            " (embedded reference)"
        } else {
            ""
        },
        match result.mode {
            crate::contract::Mode::Lenient => "lenient",
            crate::contract::Mode::Strict => "strict",
        },
        text(&result.started_at),
        seconds(result.duration_ms),
        text(&result.tool_version),
        text(&result.catalogue_version),
    );
    md.push_str(&faults_line(&faults));
    md.push_str("| Passed | Failed | Flaky | Skipped | Inconclusive | Waived | Not run |\n");
    md.push_str("|---:|---:|---:|---:|---:|---:|---:|\n");
    let _ = writeln!(
        md,
        "| {} | {} | {} | {} | {} | {} | {} |\n",
        v.passed, v.failed_cases, v.flaky, v.skipped, v.inconclusive, v.waived, v.not_run
    );

    let failing = digest::failing_invariants(result);
    if !failing.is_empty() {
        md.push_str("### Failing invariants\n\n");
        md.push_str("| Invariant | Level | Title | Failed checks | First failing case | Expected | Actual |\n");
        md.push_str("|---|---|---|---:|---|---|---|\n");
        for f in &failing {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {}{} | {} | {} |",
                code(&f.id),
                digest::level_label(&f.id),
                text(digest::title(&f.id)),
                f.failed_checks,
                code(&f.first_case.name),
                if f.cases.len() > 1 {
                    format!(" (+{} more)", f.cases.len() - 1)
                } else {
                    String::new()
                },
                text(&f.first_check.expected),
                text(&f.first_check.actual),
            );
        }
        md.push('\n');
    }

    let not_passed: Vec<_> = result
        .cases
        .iter()
        .filter(|c| !matches!(c.outcome, CaseOutcome::Passed | CaseOutcome::Failed))
        .collect();
    if !not_passed.is_empty() {
        let _ = writeln!(
            md,
            "<details><summary>{} cases neither passed nor failed</summary>\n",
            not_passed.len()
        );
        for case in not_passed.iter().take(LIST_MAX) {
            let why = match &case.outcome {
                CaseOutcome::Skipped { reason }
                | CaseOutcome::Inconclusive { reason }
                | CaseOutcome::Waived { reason }
                | CaseOutcome::NotRun { reason } => format!(": {}", text(reason)),
                CaseOutcome::Flaky => format!(": passed on attempt {}", case.attempts),
                CaseOutcome::Passed | CaseOutcome::Failed => String::new(),
            };
            let _ = writeln!(
                md,
                "- **{}** {}{why}",
                case.outcome.label(),
                code(&case.name)
            );
        }
        if not_passed.len() > LIST_MAX {
            let _ = writeln!(md, "- … and {} more", not_passed.len() - LIST_MAX);
        }
        md.push_str("\n</details>\n\n");
    }

    if !result.timelines.is_empty() {
        let _ = writeln!(
            md,
            "<details><summary>{} race timeline(s): the minimal non-linearizable parts</summary>\n",
            result.timelines.len()
        );
        for t in result.timelines.iter().take(LIST_MAX) {
            // Keys and ETags come from the wire: no backtick may close the fence.
            let drawn = super::timeline::text(t).replace('`', "'");
            let _ = writeln!(md, "{}\n\n```text\n{drawn}```\n", text(&t.title));
        }
        md.push_str("</details>\n\n");
    }

    md.push_str(
        "Full report with every request, response, diff and `curl` reproducer: \
         [opconform.html](opconform.html)\n",
    );
    md
}

fn faults_line(faults: &str) -> String {
    if faults.is_empty() {
        String::new()
    } else {
        format!("Reference faults switched on: {faults}\n\n")
    }
}

/// Plain cell text: one line, Markdown and HTML neutralised, cut to
/// [`CELL_MAX`] characters.
fn text(s: &str) -> String {
    let flat = s.replace("\r\n", " ⏎ ").replace(['\n', '\r'], " ⏎ ");
    let cut: String = if flat.chars().count() > CELL_MAX {
        let mut c: String = flat.chars().take(CELL_MAX - 1).collect();
        c.push('…');
        c
    } else {
        flat
    };
    let mut out = String::with_capacity(cut.len());
    for ch in cut.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(ch);
            }
            _ => out.push(ch),
        }
    }
    out
}

/// An inline code span that survives backticks and pipes in `s`.
fn code(s: &str) -> String {
    let flat = s.replace(['\n', '\r'], " ");
    let longest = flat.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    // Inside a table, GFM splits cells at `|` even inside code spans.
    let body = flat.replace('|', "\\|");
    let pad = if body.starts_with('`') || body.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::sample_result;

    #[test]
    fn summary_has_verdict_totals_table_and_link() {
        let md = render(&sample_result());
        assert!(
            md.starts_with("## ❌ opconform: FAILED — 3 of 9 cases failed"),
            "{md}"
        );
        assert!(md.contains("| 2 | 2 | 1 | 1 | 1 | 1 | 1 |"));
        assert!(md.contains(
            "| `CANCEL-TERMINAL-422` | MUST | cancel on a done operation is rejected with 422 | 1 | `cancel::cancel_done_is_rejected` | status in \\[422\\] | status 200 |"
        ));
        assert!(md.contains("[opconform.html](opconform.html)"));
        assert!(
            !md.contains("LIST-OWNER-FILTER` |"),
            "waived failures are not in the table"
        );
    }

    #[test]
    fn race_timelines_are_fenced_text_that_a_backtick_cannot_close() {
        use crate::model::{Timeline, TimelineCall, Tone};
        let mut r = sample_result();
        assert!(!render(&r).contains("race timeline"));
        r.timelines.push(Timeline {
            case: "race::lost-update".into(),
            title: "race::lost-update trial 1: the minimal non-linearizable part".into(),
            calls: vec![TimelineCall {
                number: 3,
                client: 1,
                invoked_ns: 0,
                returned_ns: Some(1_000_000),
                status: Some(202),
                label: "#3 c1 cancel key=```x → 202".into(),
                tone: Tone::Accepted,
            }],
        });
        let md = render(&r);
        assert!(md.contains("1 race timeline(s)"), "{md}");
        assert!(md.contains("```text\n"), "{md}");
        assert!(md.contains("key=\'\'\'x"), "{md}");
        assert_eq!(md.matches("```").count(), 2, "{md}");
    }

    #[test]
    fn hostile_text_cannot_break_the_table() {
        assert_eq!(text("a|b\n<script>"), "a\\|b ⏎ &lt;script&gt;");
        assert_eq!(code("x`y|z"), "``x`y\\|z``");
        assert_eq!(code("`"), "`` ` ``");
        assert_eq!(text(&"y".repeat(300)).chars().count(), CELL_MAX);
    }

    #[test]
    fn passing_run_says_so() {
        let mut r = sample_result();
        r.cases.retain(|c| c.outcome == CaseOutcome::Passed);
        let md = render(&r);
        assert!(md.starts_with("## ✅ opconform: PASSED — 2 cases, no invariant broken"));
        assert!(!md.contains("### Failing invariants"));
    }
}
