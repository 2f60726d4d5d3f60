//! The result model: what a run sent, what it saw and what it concluded.
//!
//! The runner and the fuzzer produce a [`RunResult`]; every reporter is a pure
//! function of one. Everything here is already redacted: the runner passes
//! requests through the [`crate::redact::Redactor`] before recording them.

use serde::{Deserialize, Serialize};

use crate::vocab::Mode;

/// Reason given to cases not run (and recorded on requests not sent) once
/// the target stopped answering.
pub const STOPPED_REASON: &str = "target stopped answering";

/// One whole run of the suite (or of a fuzz session) against one target.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunResult {
    /// `opconform` version that produced the result.
    pub tool_version: String,
    /// Version of the invariant catalogue the verdicts refer to.
    pub catalogue_version: String,
    /// What was tested.
    pub target: TargetInfo,
    /// Lenient (default) or strict reading of status codes.
    pub mode: Mode,
    /// Start of the run, RFC 3339 UTC.
    pub started_at: String,
    /// Wall time of the whole run.
    pub duration_ms: u64,
    /// Every case (trial) in plan order, including skipped ones.
    pub cases: Vec<CaseResult>,
    /// Per-invariant totals, in catalogue order.
    pub invariants: Vec<InvariantTotal>,
    /// Concurrent calls drawn on a time axis (race trials, concurrent fuzz
    /// histories): the minimal non-linearizable part of a failure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timelines: Vec<Timeline>,
}

/// Calls of concurrent clients on one time axis, one lane per client: the
/// evidence of a race (`opconform race`, `fuzz --concurrent-clients`).
/// Reporters draw it as text or inline SVG.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Timeline {
    /// The case it belongs to ([`CaseResult::name`]).
    pub case: String,
    /// What it shows, e.g. `trial 3: the minimal non-linearizable part`.
    pub title: String,
    /// The calls, in the order they were recorded.
    pub calls: Vec<TimelineCall>,
}

/// One call on a [`Timeline`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TimelineCall {
    /// Its number in the trial's history (`#3`).
    pub number: usize,
    /// The client (lane) that sent it.
    pub client: usize,
    /// When it was sent, in nanoseconds from the trial's origin.
    pub invoked_ns: u64,
    /// When its response had arrived in full; `None`: never (it may take
    /// effect at any later instant).
    pub returned_ns: Option<u64>,
    /// The status, when one was read.
    pub status: Option<u16>,
    /// One line: what it asked and what came back.
    pub label: String,
    /// How to colour it.
    pub tone: Tone,
}

/// How a [`TimelineCall`] ended, for its colour.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    /// A write answered 2xx.
    Accepted,
    /// A write answered 4xx (or another non-2xx below 500).
    Rejected,
    /// Answered 5xx.
    ServerError,
    /// No whole response.
    Lost,
    /// A read (get, `:wait`) answered.
    Read,
}

/// The system under test.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TargetInfo {
    /// Base URL including `/v1`.
    pub base_url: String,
    /// True when the embedded reference server was the target.
    pub embedded: bool,
    /// Faults switched on in the embedded reference (selftest), by name.
    pub faults: Vec<String>,
}

/// One trial: a case (or one row of a table-expanded case).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CaseResult {
    /// Trial name as shown by `--list` and used by filters: `file::case` or
    /// `file::case[variant]`.
    pub name: String,
    /// Case file the case came from, as given on the command line.
    pub file: String,
    /// The case's description, if it has one.
    pub description: Option<String>,
    /// Invariant IDs the case declares it evidences.
    pub invariants: Vec<String>,
    /// Final verdict after retries and confirmation runs.
    pub outcome: CaseOutcome,
    /// How many times the case ran (1, or more with retries/confirmation).
    pub attempts: u32,
    /// Steps of the attempt the verdict is based on (and, last, the watch
    /// of the case's operations after its steps, when there was one).
    pub steps: Vec<StepResult>,
    /// Every other attempt, in order, with its exchanges: a violation seen
    /// on any attempt is kept with its evidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_attempts: Vec<AttemptRecord>,
    /// Wall time of all attempts.
    pub duration_ms: u64,
}

/// One attempt of a case other than the one its verdict shows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AttemptRecord {
    /// 1-based attempt number.
    pub number: u32,
    /// How it ended: `passed`, `failed`, `moved` (the target's own movement
    /// explained every failing check), or `skipped`.
    pub ended: String,
    /// Why, for `moved` and `skipped`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Its steps.
    pub steps: Vec<StepResult>,
}

/// The verdict of one case.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum CaseOutcome {
    /// Every check passed.
    Passed,
    /// A check failed, and failed again on a fresh fixture.
    Failed,
    /// Not run: a fixture, token or capability is unavailable.
    Skipped {
        /// Why, in words a user can act on.
        reason: String,
    },
    /// The target's own movement (an operation finishing or changing by
    /// itself) explained every failing check on every attempt; no verdict.
    Inconclusive {
        /// What kept happening.
        reason: String,
    },
    /// A violation was seen on one attempt and not on the confirmation
    /// attempt on a fresh fixture. Fails the run unless flaky cases are
    /// allowed (`--allow-flaky`): races are intermittent by nature.
    Flaky,
    /// Every failing check is covered by an unexpired waiver.
    Waived {
        /// The waiver's reason.
        reason: String,
    },
    /// The run stopped (deadline, unreachable target) before this case ran.
    NotRun {
        /// Why.
        reason: String,
    },
}

impl CaseOutcome {
    /// Short lowercase label: `passed`, `failed`, ...
    pub fn label(&self) -> &'static str {
        match self {
            CaseOutcome::Passed => "passed",
            CaseOutcome::Failed => "failed",
            CaseOutcome::Skipped { .. } => "skipped",
            CaseOutcome::Inconclusive { .. } => "inconclusive",
            CaseOutcome::Flaky => "flaky",
            CaseOutcome::Waived { .. } => "waived",
            CaseOutcome::NotRun { .. } => "not_run",
        }
    }
}

/// One step of a case: one request (or N concurrent copies of it) and the
/// checks made on the responses.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepResult {
    /// Step name (from the case file, or `step N`).
    pub name: String,
    /// Every HTTP exchange the step made, in send order (includes the reads
    /// made for `unchanged` and `eventually`).
    pub exchanges: Vec<Exchange>,
    /// Every check made, passed or not.
    pub checks: Vec<CheckResult>,
    /// Wall time of the step.
    pub duration_ms: u64,
}

/// One check, attributed to one invariant.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CheckResult {
    /// Invariant ID from the catalogue, e.g. `OP-DONE-TERMINAL`.
    pub invariant: String,
    /// Pass, fail or skip.
    pub verdict: Verdict,
    /// What the contract asks for, e.g. `status in [200, 202]`.
    pub expected: String,
    /// What the target did, e.g. `status 500`.
    pub actual: String,
    /// Index into the step's `exchanges` of the exchange that showed it.
    pub exchange: Option<usize>,
    /// Time the awaited condition took, for `eventually` and timing checks.
    pub elapsed_ms: Option<u64>,
    /// What kind of expectation this is (not reported): decides whether the
    /// target's own movement can explain a failure.
    #[serde(skip)]
    pub kind: CheckKind,
}

/// What kind of expectation a check is, for telling a violation from an
/// operation that moved by itself (see `run::engine`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CheckKind {
    /// Anything else: never explained by movement.
    #[default]
    Other,
    /// A status expectation.
    Status,
    /// A value of an operation's lifecycle fields (`/state`, `/done`, ...).
    Lifecycle,
    /// Another expectation on the answer's content (a JSON value, a
    /// header): explained only as a consequence of its exchange's status
    /// being explained (the answer of a done operation cannot show it).
    Expectation,
    /// "Not before N ms" (a `:wait` that held).
    HeldFloor,
    /// `unchanged`: a rejected request had no effect.
    Unchanged,
}

/// Verdict of one check.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The invariant held.
    Pass,
    /// The invariant was broken.
    Fail,
    /// Not checked (strict-only in lenient mode, missing capability, ...).
    Skip,
}

/// One HTTP request and what came back.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Exchange {
    /// The request as sent (token redacted).
    pub request: RecordedRequest,
    /// The response, when one arrived.
    pub response: Option<RecordedResponse>,
    /// Transport error (timeout, reset, body cap ...), when no response arrived
    /// or its body could not be read.
    pub error: Option<String>,
    /// Time from send to the end of the response body.
    pub elapsed_ms: u64,
    /// How often the request was sent again after a `429`/`503` with
    /// `Retry-After` (the recorded response is the last one).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retries: u32,
    /// When the exchange ended, in milliseconds from the start of the run.
    #[serde(default)]
    pub at_ms: u64,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A request as sent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// Absolute URL as sent (path exactly as written, e.g. with `%3A`).
    pub url: String,
    /// Headers in send order, secrets redacted.
    pub headers: Vec<(String, String)>,
    /// Body, if any.
    pub body: Option<String>,
}

/// Response headers as recorded: name and value (bytes that are not UTF-8
/// shown lossily), in the order received.
pub fn header_pairs(map: &http::HeaderMap) -> Vec<(String, String)> {
    map.iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// A response as received.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecordedResponse {
    /// HTTP status code.
    pub status: u16,
    /// Headers in arrival order.
    pub headers: Vec<(String, String)>,
    /// Body as (lossy) UTF-8, cut to the excerpt cap.
    pub body_excerpt: String,
    /// True when `body_excerpt` is shorter than the body.
    pub body_truncated: bool,
    /// Size of the whole body in bytes (up to the body cap).
    pub body_bytes: u64,
}

impl RecordedResponse {
    /// First header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Totals for one invariant over the whole run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InvariantTotal {
    /// Invariant ID.
    pub id: String,
    /// Checks that passed.
    pub passed: u32,
    /// Checks that failed in cases that failed (or were waived).
    pub failed: u32,
    /// Checks that failed in flaky cases (seen once, not on confirmation).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub flaky: u32,
    /// Checks that failed in cases without a verdict: the target's own
    /// movement explained them (inconclusive), or the run stopped or
    /// skipped the case after them.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub inconclusive: u32,
    /// Checks that were skipped.
    pub skipped: u32,
    /// Names of the cases that evidenced it (made at least one check).
    pub cases: Vec<String>,
}

impl InvariantTotal {
    /// The totals of `id` before any check of it.
    fn none(id: String) -> InvariantTotal {
        InvariantTotal {
            id,
            passed: 0,
            failed: 0,
            flaky: 0,
            inconclusive: 0,
            skipped: 0,
            cases: Vec::new(),
        }
    }
}

impl RunResult {
    /// Recomputes [`RunResult::invariants`] from the cases, in the order of
    /// `catalogue_ids` (IDs not in the list come last, sorted).
    pub fn totals(cases: &[CaseResult], catalogue_ids: &[&str]) -> Vec<InvariantTotal> {
        use std::collections::BTreeMap;
        let mut by_id: BTreeMap<&str, InvariantTotal> = BTreeMap::new();
        for case in cases {
            for step in &case.steps {
                for check in &step.checks {
                    let total = by_id
                        .entry(check.invariant.as_str())
                        .or_insert_with(|| InvariantTotal::none(check.invariant.clone()));
                    match (check.verdict, &case.outcome) {
                        (Verdict::Pass, _) => total.passed += 1,
                        (Verdict::Skip, _) => total.skipped += 1,
                        (Verdict::Fail, CaseOutcome::Flaky) => total.flaky += 1,
                        (
                            Verdict::Fail,
                            CaseOutcome::Failed | CaseOutcome::Waived { .. } | CaseOutcome::Passed,
                        ) => total.failed += 1,
                        (
                            Verdict::Fail,
                            CaseOutcome::Inconclusive { .. }
                            | CaseOutcome::Skipped { .. }
                            | CaseOutcome::NotRun { .. },
                        ) => total.inconclusive += 1,
                    }
                    if total.cases.last() != Some(&case.name) {
                        total.cases.push(case.name.clone());
                    }
                }
            }
        }
        let mut out = Vec::with_capacity(by_id.len());
        for id in catalogue_ids {
            out.push(
                by_id
                    .remove(id)
                    .unwrap_or_else(|| InvariantTotal::none((*id).to_string())),
            );
        }
        out.extend(by_id.into_values());
        out
    }

    /// True when no case failed or was flaky, every case ran, and at least
    /// one case passed (an empty verification is not a pass): skipped,
    /// inconclusive and waived cases are allowed, as with `opconform run`'s
    /// exit code 0 under the default gate. For `--fail-on must` or
    /// `--allow-flaky`, use [`crate::gate::run_fails`].
    pub fn passed(&self) -> bool {
        self.failures().next().is_none()
            && self.count("flaky") == 0
            && self.not_run().next().is_none()
            && self
                .cases
                .iter()
                .any(|c| matches!(c.outcome, CaseOutcome::Passed | CaseOutcome::Waived { .. }))
    }

    /// The cases that failed (after confirmation on a fresh fixture).
    pub fn failures(&self) -> impl Iterator<Item = &CaseResult> {
        self.cases
            .iter()
            .filter(|c| c.outcome == CaseOutcome::Failed)
    }

    /// The cases the run stopped before they ran (deadline, unreachable target).
    pub fn not_run(&self) -> impl Iterator<Item = &CaseResult> {
        self.cases
            .iter()
            .filter(|c| matches!(c.outcome, CaseOutcome::NotRun { .. }))
    }

    /// IDs of the invariants with at least one failed check, in catalogue order.
    pub fn failed_invariants(&self) -> impl Iterator<Item = &str> {
        self.invariants
            .iter()
            .filter(|t| t.failed > 0)
            .map(|t| t.id.as_str())
    }

    /// Number of cases with each outcome label.
    pub fn count(&self, label: &str) -> usize {
        self.cases
            .iter()
            .filter(|c| c.outcome.label() == label)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A case declaring OP-SCHEMA with one check of it, failed or passed.
    fn case(name: &str, outcome: CaseOutcome, failed_check: bool) -> CaseResult {
        let verdict = if failed_check {
            Verdict::Fail
        } else {
            Verdict::Pass
        };
        let checks = vec![samples::check("OP-SCHEMA", verdict, "a", "b", None)];
        let mut c = samples::case(name, outcome, Vec::new(), checks);
        c.invariants = vec!["OP-SCHEMA".into()];
        c
    }

    fn run(cases: Vec<CaseResult>) -> RunResult {
        samples::run(cases, &["OP-SCHEMA", "OP-OTHER"])
    }

    #[test]
    fn passed_allows_skips_but_not_failures_flakes_unrun_cases_or_nothing_verified() {
        let skipped = CaseOutcome::Skipped { reason: "r".into() };
        let ok = run(vec![
            case("a", CaseOutcome::Passed, false),
            case("b", skipped.clone(), false),
        ]);
        assert!(ok.passed());
        let flaky = run(vec![
            case("a", CaseOutcome::Passed, false),
            case("c", CaseOutcome::Flaky, true),
        ]);
        assert!(!flaky.passed(), "a violation seen once is a violation");
        let empty = run(vec![case("b", skipped, false)]);
        assert!(!empty.passed(), "an empty verification is not a pass");
        assert_eq!(ok.failures().count(), 0);
        assert_eq!(ok.failed_invariants().count(), 0);

        let bad = run(vec![
            case("a", CaseOutcome::Passed, false),
            case("b", CaseOutcome::Failed, true),
        ]);
        assert!(!bad.passed());
        let names: Vec<&str> = bad.failures().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["b"]);
        assert_eq!(bad.failed_invariants().collect::<Vec<_>>(), ["OP-SCHEMA"]);

        let stopped = run(vec![case(
            "a",
            CaseOutcome::NotRun {
                reason: "deadline".into(),
            },
            false,
        )]);
        assert!(!stopped.passed());
        assert_eq!(stopped.not_run().count(), 1);
    }
}

/// Small values of the model for the crate's unit tests: one exchange, one
/// check, a case of one step, a run of cases.
#[cfg(test)]
pub(crate) mod samples {
    use super::*;

    /// A `method url` exchange answered `status` with `headers` (no body).
    pub(crate) fn exchange(
        method: &str,
        url: &str,
        status: u16,
        headers: &[(&str, &str)],
    ) -> Exchange {
        Exchange {
            request: RecordedRequest {
                method: method.into(),
                url: url.into(),
                headers: Vec::new(),
                body: None,
            },
            response: Some(RecordedResponse {
                status,
                headers: headers
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                    .collect(),
                body_excerpt: String::new(),
                body_truncated: false,
                body_bytes: 0,
            }),
            error: None,
            elapsed_ms: 1,
            retries: 0,
            at_ms: 0,
        }
    }

    /// A `method url` exchange that got no response (and no error).
    pub(crate) fn unanswered(method: &str, url: &str) -> Exchange {
        let mut ex = exchange(method, url, 0, &[]);
        ex.response = None;
        ex.elapsed_ms = 0;
        ex
    }

    /// A check of `invariant` with this verdict, pointing at `exchange`.
    pub(crate) fn check(
        invariant: &str,
        verdict: Verdict,
        expected: &str,
        actual: &str,
        exchange: Option<usize>,
    ) -> CheckResult {
        CheckResult {
            invariant: invariant.into(),
            verdict,
            expected: expected.into(),
            actual: actual.into(),
            exchange,
            elapsed_ms: None,
            kind: Default::default(),
        }
    }

    /// A case of file `f.toml` with one step of these exchanges and checks.
    pub(crate) fn case(
        name: &str,
        outcome: CaseOutcome,
        exchanges: Vec<Exchange>,
        checks: Vec<CheckResult>,
    ) -> CaseResult {
        CaseResult {
            name: name.into(),
            file: "f.toml".into(),
            description: None,
            invariants: vec![],
            outcome,
            attempts: 1,
            steps: vec![StepResult {
                name: "s".into(),
                exchanges,
                checks,
                duration_ms: 0,
            }],
            duration_ms: 0,
            other_attempts: Vec::new(),
        }
    }

    /// A lenient run of `cases` against `http://x/v1`, totals over
    /// `catalogue_ids`.
    pub(crate) fn run(cases: Vec<CaseResult>, catalogue_ids: &[&str]) -> RunResult {
        RunResult {
            tool_version: "0".into(),
            catalogue_version: "0".into(),
            target: TargetInfo {
                base_url: "http://x/v1".into(),
                embedded: false,
                faults: Vec::new(),
            },
            mode: Mode::Lenient,
            started_at: "1970-01-01T00:00:00Z".into(),
            duration_ms: 0,
            invariants: RunResult::totals(&cases, catalogue_ids),
            timelines: Vec::new(),
            cases,
        }
    }
}
