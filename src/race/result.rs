//! A race run in the result model: one case per scenario (`race::same-key`,
//! ...), one step per trial with one check per invariant of the scenario,
//! the exchanges of every trial that violated one, and timelines of the
//! minimal non-linearizable parts (or, without one, of the first violating
//! trial). Every report writer then renders a race run as it renders a
//! suite run, and `gate::conclude` reads its end.

use std::time::{Duration, Instant, SystemTime};

use crate::clock::rfc3339;
use crate::contract::{self, Mode};
use crate::model::{
    CaseOutcome, CaseResult, CheckResult, Exchange, RecordedRequest, RecordedResponse, RunResult,
    StepResult, TargetInfo, Timeline, Verdict as CheckVerdict,
};
use crate::redact::Redactor;

use super::history::{Call, CallKind, Outcome, Target};
use super::invariants as inv;
use super::scenarios::explore::{ExploreConfig, Explored};
use super::scenarios::{ScenarioReport, Trial};
use super::timeline;

/// Timelines drawn per scenario at most (the first violating trials').
const TIMELINES_PER_SCENARIO: usize = 3;

/// The file every race case names.
pub const RACE_FILE: &str = "race";

/// The case name of a scenario: `race::lost-update`.
pub fn case_name(scenario: &str) -> String {
    format!("{RACE_FILE}::{scenario}")
}

/// What a race run is about, for the result.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// The target's base URL (redacted here).
    pub base_url: String,
    /// True for the embedded reference.
    pub embedded: bool,
    /// Its faults, by name.
    pub faults: Vec<String>,
    /// Lenient or strict.
    pub mode: Mode,
    /// N.
    pub clients: usize,
    /// When the run started.
    pub started_at: SystemTime,
    /// When the run started (monotonic).
    pub started: Instant,
}

/// The result of a race run.
pub fn run_result(reports: &[ScenarioReport], info: &RunInfo, redactor: &Redactor) -> RunResult {
    let mut timelines = Vec::new();
    let cases: Vec<CaseResult> = reports
        .iter()
        .map(|r| {
            let (case, drawn) = case_of(r, info, redactor);
            timelines.extend(drawn);
            case
        })
        .collect();
    assemble(cases, timelines, info, redactor)
}

/// The run of `cases` (and their `timelines`) described by `info`, totals
/// over the whole catalogue.
fn assemble(
    cases: Vec<CaseResult>,
    timelines: Vec<Timeline>,
    info: &RunInfo,
    redactor: &Redactor,
) -> RunResult {
    RunResult {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        catalogue_version: contract::CATALOGUE_VERSION.to_string(),
        target: TargetInfo {
            base_url: redactor.redact(&info.base_url).into_owned(),
            embedded: info.embedded,
            faults: info.faults.clone(),
        },
        mode: info.mode,
        started_at: rfc3339(info.started_at),
        duration_ms: millis(info.started.elapsed()),
        invariants: RunResult::totals(&cases, &contract::ids()),
        cases,
        timelines,
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// One line: how many trials violated, and how close the sends were.
pub fn summary(r: &ScenarioReport, clients: usize) -> String {
    let mut out = format!(
        "N = {clients}, R = {}: {} of trials violated an invariant",
        r.trials.len(),
        r.rate.label()
    );
    if let Some(s) = r.spread {
        out.push_str(&format!(
            "; send spread min {:?} / median {:?} / max {:?}",
            s.min, s.median, s.max
        ));
    }
    out
}

fn case_of(r: &ScenarioReport, info: &RunInfo, redactor: &Redactor) -> (CaseResult, Vec<Timeline>) {
    let name = case_name(&r.scenario.name());
    let outcome = match (&r.skipped, r.rate.violations) {
        (Some(reason), _) => CaseOutcome::Skipped {
            reason: reason.clone(),
        },
        (None, 0) if r.trials.is_empty() => CaseOutcome::Skipped {
            reason: "no trial ran (--repeat 0)".into(),
        },
        (None, 0) => CaseOutcome::Passed,
        // A violation seen once is a violation: races are intermittent.
        (None, _) => CaseOutcome::Failed,
    };
    let steps = r
        .trials
        .iter()
        .map(|t| step_of(t, &info.base_url, redactor))
        .collect();
    let timelines = r
        .trials
        .iter()
        .filter(|t| t.violated())
        .take(TIMELINES_PER_SCENARIO)
        .map(|t| timeline_of(t, &name, &format!("trial {}", t.index + 1), redactor))
        .collect();
    let case = CaseResult {
        name,
        file: RACE_FILE.into(),
        description: Some(summary(r, info.clients)),
        invariants: r
            .scenario
            .invariants()
            .iter()
            .map(|s| s.to_string())
            .collect(),
        outcome,
        attempts: 1,
        steps,
        other_attempts: Vec::new(),
        duration_ms: millis(r.elapsed),
    };
    (case, timelines)
}

/// The minimal non-linearizable part of `t` (every call without one) as a
/// timeline of case `case`.
fn timeline_of(t: &Trial, case: &str, what: &str, redactor: &Redactor) -> Timeline {
    let (calls, part): (&[usize], _) = match &t.witness {
        Some(w) => (&w.calls, "the minimal non-linearizable part"),
        None => (&[], "every call"),
    };
    let title = format!("{case} {what}: {part}");
    let mut drawn = timeline::of(&t.history, calls, case, &title);
    for c in &mut drawn.calls {
        c.label = redactor.redact(&c.label).into_owned();
    }
    drawn
}

/// The case name of a concurrent exploration.
pub const EXPLORE_CASE: &str = "fuzz::concurrent-clients";

/// A concurrent exploration (`fuzz --concurrent-clients K`) in the result
/// model: one case, judged by CONC-NO-5XX and CONC-LINEARIZABLE; when a
/// program failed, the run of its shrunk form (with every exchange) and
/// its minimal non-linearizable part as a timeline.
pub fn explored_result(
    explored: &Explored,
    config: &ExploreConfig,
    info: &RunInfo,
    redactor: &Redactor,
) -> RunResult {
    let ids = [inv::NO_5XX, inv::LINEARIZABLE];
    let mut description = format!(
        "K = {} clients, {} programs ({} requests), seed {}",
        config.clients, explored.programs, explored.requests, config.seed
    );
    let (outcome, steps, timelines) = match &explored.found {
        None => {
            let checks = ids
                .iter()
                .map(|id| CheckResult {
                    invariant: id.to_string(),
                    verdict: CheckVerdict::Pass,
                    expected: contract::find(id)
                        .map(|i| i.title.to_string())
                        .unwrap_or_default(),
                    actual: format!("held in every history of {} programs", explored.programs),
                    exchange: None,
                    elapsed_ms: None,
                    kind: Default::default(),
                })
                .collect();
            let step = StepResult {
                name: format!("{} programs", explored.programs),
                exchanges: Vec::new(),
                checks,
                duration_ms: millis(explored.elapsed),
            };
            let outcome = if explored.programs == 0 {
                CaseOutcome::Skipped {
                    reason: "no program ran".into(),
                }
            } else {
                CaseOutcome::Passed
            };
            (outcome, vec![step], Vec::new())
        }
        Some(found) => {
            description.push_str(&format!(
                "; a failing program of {} requests shrunk to {} in {} runs:\n{}",
                found.original.len(),
                found.shrunk.len(),
                found.shrink_runs,
                found.shrunk.label()
            ));
            let step = step_of(&found.trial, &info.base_url, redactor);
            let drawn = timeline_of(&found.trial, EXPLORE_CASE, "shrunk program", redactor);
            (CaseOutcome::Failed, vec![step], vec![drawn])
        }
    };
    let cases = vec![CaseResult {
        name: EXPLORE_CASE.into(),
        file: "fuzz".into(),
        description: Some(redactor.redact(&description).into_owned()),
        invariants: ids.iter().map(|s| s.to_string()).collect(),
        outcome,
        attempts: 1,
        steps,
        other_attempts: Vec::new(),
        duration_ms: millis(explored.elapsed),
    }];
    assemble(cases, timelines, info, redactor)
}

/// A trial as a step: one check per verdict; the exchanges only when it
/// violated an invariant (the evidence), to keep reports small.
fn step_of(t: &Trial, base_url: &str, redactor: &Redactor) -> StepResult {
    let violated = t.violated();
    let checks = t
        .verdicts
        .iter()
        .map(|v| CheckResult {
            invariant: v.invariant.to_string(),
            verdict: if v.passed {
                CheckVerdict::Pass
            } else {
                CheckVerdict::Fail
            },
            expected: contract::find(v.invariant)
                .map(|i| i.title.to_string())
                .unwrap_or_default(),
            actual: redactor.redact(&v.evidence).into_owned(),
            exchange: None,
            elapsed_ms: None,
            kind: Default::default(),
        })
        .collect();
    let exchanges = if violated {
        t.history
            .calls
            .iter()
            .map(|c| exchange_of(c, &t.operation, base_url, redactor))
            .collect()
    } else {
        Vec::new()
    };
    let mut name = format!("trial {}", t.index + 1);
    if !t.note.is_empty() {
        name.push_str(&format!(" ({})", t.note));
    }
    if let Some(s) = t.spread {
        name.push_str(&format!(", send spread {s:?}"));
    }
    let duration_ms = t
        .history
        .calls
        .iter()
        .filter_map(|c| c.returned_ns)
        .max()
        .map(|ns| ns / 1_000_000)
        .unwrap_or(0);
    StepResult {
        name: redactor.redact(&name).into_owned(),
        exchanges,
        checks,
        duration_ms,
    }
}

/// Writes every call of every trial to `recorder` (`--har`), as sent: each
/// at its trial's wall-clock origin plus its invocation time, with a comment
/// naming the scenario, the trial and the client.
pub fn record_har(
    reports: &[ScenarioReport],
    recorder: &crate::target::Recorder,
    base_url: &str,
    redactor: &Redactor,
) {
    for r in reports {
        for t in &r.trials {
            for c in &t.history.calls {
                let started =
                    t.origin_wall_ms + i64::try_from(c.invoked_ns / 1_000_000).unwrap_or(0);
                let comment = format!(
                    "race {} trial {} client {}",
                    r.scenario.name(),
                    t.index + 1,
                    c.client
                );
                recorder.record(
                    &exchange_of(c, &t.operation, base_url, redactor),
                    started,
                    Some(&comment),
                );
            }
        }
    }
}

/// A call as an exchange of the model: the request it stood for and the
/// digest of its answer (status, ETag, the start of the body).
fn exchange_of(c: &Call, operation: &str, base_url: &str, redactor: &Redactor) -> Exchange {
    let base = base_url.trim_end_matches('/');
    let (method, url, headers) = match &c.kind {
        CallKind::Get => ("GET", format!("{base}/operations/{operation}"), Vec::new()),
        CallKind::Wait => (
            "POST",
            format!("{base}/operations/{operation}:wait"),
            Vec::new(),
        ),
        CallKind::Cancel {
            key,
            if_match,
            target,
        } => {
            let id = match target {
                Target::Main => operation,
                Target::Other(other) => other.as_str(),
            };
            let mut headers = Vec::new();
            if let Some(k) = key {
                headers.push(("idempotency-key".to_string(), k.clone()));
            }
            if let Some(m) = if_match {
                headers.push(("if-match".to_string(), m.clone()));
            }
            ("POST", format!("{base}/operations/{id}:cancel"), headers)
        }
    };
    let headers = headers
        .into_iter()
        .map(|(k, v)| (k, redactor.redact(&v).into_owned()))
        .collect();
    let (response, error) = match &c.outcome {
        Outcome::Answered(a) => {
            let mut headers = Vec::new();
            if let Some(tag) = &a.etag {
                headers.push(("etag".to_string(), tag.clone()));
            }
            (
                Some(RecordedResponse {
                    status: a.status,
                    headers,
                    body_excerpt: redactor.redact(&a.excerpt).into_owned(),
                    body_truncated: a.excerpt.ends_with('…'),
                    body_bytes: a.excerpt.len() as u64,
                }),
                None,
            )
        }
        Outcome::Lost { status, why } => (
            None,
            Some(match status {
                Some(s) => format!("status {s} read, then {why}"),
                None => why.clone(),
            }),
        ),
    };
    Exchange {
        request: RecordedRequest {
            method: method.into(),
            url: redactor.redact(&url).into_owned(),
            headers,
            body: None,
        },
        response,
        error,
        elapsed_ms: c
            .returned_ns
            .map(|r| r.saturating_sub(c.invoked_ns) / 1_000_000)
            .unwrap_or(0),
        retries: 0,
        at_ms: c.returned_ns.unwrap_or(c.invoked_ns) / 1_000_000,
    }
}
