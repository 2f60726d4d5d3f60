//! What `opconform race` prints: the plan line, one line per scenario
//! (violation rate with its interval, send spread), then each failing
//! scenario's evidence and the minimal non-linearizable part as a text
//! timeline. Everything printed goes through the redactor.

use crate::model::{CaseOutcome, RunResult};
use crate::race::{RaceOptions, RaceRun, Scenario};
use crate::redact::Redactor;
use crate::report::timeline;
use crate::target::Target;

/// Failing trials whose evidence is printed per scenario.
const EVIDENCE_TRIALS: usize = 2;

/// The first line: target, N, R, mode, scenarios.
pub(super) fn start(options: &RaceOptions, scenarios: &[Scenario], target: &Target, r: &Redactor) {
    println!(
        "race: {} scenario(s), N = {}, R = {}, {:?}, target {}",
        scenarios.len(),
        options.clients,
        options.trials,
        options.mode,
        r.redact(&target.base_url)
    );
}

/// `--list`: the scenarios and the invariants they judge.
pub(super) fn list(scenarios: &[Scenario]) {
    for s in scenarios {
        println!("{}: {}", s.name(), s.invariants().join(", "));
    }
}

/// The scenario lines, then the evidence of every failing one.
pub(super) fn outcome(run: &RaceRun, r: &Redactor) -> String {
    let mut out = String::new();
    for rep in &run.reports {
        let status = match (&rep.skipped, rep.rate.violations) {
            (Some(_), _) => "skipped",
            (None, 0) => "ok",
            _ => "FAILED",
        };
        let spread = rep
            .spread
            .map(|s| format!("  send spread median {:?}, max {:?}", s.median, s.max))
            .unwrap_or_default();
        out.push_str(&format!(
            "  {:<42} {status:<7} {}{spread}\n",
            rep.scenario.name(),
            rep.rate.label()
        ));
        if let Some(why) = &rep.skipped {
            out.push_str(&format!("      skipped: {why}\n"));
        }
    }
    for rep in run.reports.iter().filter(|rep| rep.rate.violations > 0) {
        let case = crate::race::result::case_name(&rep.scenario.name());
        let by: Vec<String> = rep
            .failures_by_invariant()
            .iter()
            .map(|(id, n)| format!("{id} in {n} trial(s)"))
            .collect();
        out.push_str(&format!("\n{case}: {}\n", by.join(", ")));
        for t in rep
            .trials
            .iter()
            .filter(|t| t.violated())
            .take(EVIDENCE_TRIALS)
        {
            for v in t.verdicts.iter().filter(|v| !v.passed) {
                out.push_str(&format!(
                    "  trial {} {}: {}\n",
                    t.index + 1,
                    v.invariant,
                    v.evidence
                ));
            }
        }
        if let Some(tl) = run.result.timelines.iter().find(|t| t.case == case) {
            out.push_str(&format!("  {}:\n", tl.title));
            for line in timeline::text(tl).lines() {
                out.push_str(&format!("    {line}\n"));
            }
        }
    }
    r.redact(&out).into_owned()
}

/// The last line.
pub(super) fn totals(result: &RunResult) -> String {
    let failed = result.count("failed");
    let skipped = result.count("skipped");
    let passed = result
        .cases
        .iter()
        .filter(|c| c.outcome == CaseOutcome::Passed)
        .count();
    format!(
        "race: {passed} passed, {failed} failed, {skipped} skipped; {} ms\n",
        result.duration_ms
    )
}
