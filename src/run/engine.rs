//! The engine: runs one planned case on fresh fixtures, judges every
//! attempt, and watches the case's operations once its steps are done.
//!
//! How a case's verdict is reached (README "Verdicts you can trust"):
//! - A violation seen on any attempt is a violation. A failing attempt is
//!   confirmed once on fresh fixtures; when the confirmation does not
//!   reproduce it the case is *flaky*, which fails the run unless flaky
//!   cases are allowed: races are intermittent by nature.
//! - An attempt whose every failing check the target's own movement
//!   explains (an operation that finished or changed by itself) *moved*: it
//!   is retried on fresh fixtures, and a case that only ever moved is
//!   *inconclusive*. Movement explains only specific evidence (see
//!   [`super::explain`]); a body invariant, a late answer or a 412 to the
//!   ETag just read with the ETag unchanged is never explained.
//! - After its steps, the case's running operations are watched until they
//!   are done and for a settle window after (see [`super::watch`]); what
//!   their history shows is judged like any other check, and a history
//!   violation fails the case at once.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::case::{FixtureState, PlannedCase, Requirement};
use crate::contract::Schemas;
use crate::history::{Histories, Tolerance};
use crate::model::{AttemptRecord, CaseOutcome, CaseResult, StepResult, Verdict};
use crate::redact::Redactor;

use crate::target::{ClientError, HttpClient, RawResponse, Target};

use super::fixtures::{Acquired, FixtureSource};
use super::options::RunOptions;
use super::request::Credentials;
use super::template::{OwnerVars, Renderer, Vars};

/// Runs cases against one target. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Engine {
    pub(crate) target: Target,
    pub(crate) options: RunOptions,
    pub(crate) schemas: Schemas,
    pub(crate) client: HttpClient,
    pub(crate) fixtures: FixtureSource,
    pub(crate) renderer: Renderer,
    pub(crate) creds: Credentials,
    pub(crate) run_id: String,
    pub(crate) quiet: Quiet,
}

/// The run's quiescence: how many cases of the run still run their steps.
/// Watchers of operations nobody cancelled stop once the run is quiet and
/// the operation has stood still for the settle window (a frozen operation
/// costs nothing; one that moves is followed until it is done).
#[derive(Debug, Default)]
pub(crate) struct Quiet {
    pending: AtomicUsize,
}

impl Quiet {
    /// `n` more cases will run their steps.
    pub(crate) fn register(&self, n: usize) {
        self.pending.fetch_add(n, Ordering::SeqCst);
    }

    /// True when no registered case is still running its steps.
    pub(crate) fn is_quiet(&self) -> bool {
        self.pending.load(Ordering::SeqCst) == 0
    }

    /// A guard that marks one registered case's steps done when dropped
    /// (also when the run deadline cancels the case).
    pub(crate) fn steps_of_one(&self) -> StepsGuard<'_> {
        StepsGuard { quiet: self }
    }
}

/// See [`Quiet::steps_of_one`].
pub(crate) struct StepsGuard<'a> {
    quiet: &'a Quiet,
}

impl Drop for StepsGuard<'_> {
    fn drop(&mut self) {
        let _ = self
            .quiet
            .pending
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
    }
}

/// How one attempt of a case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AttemptEnd {
    Passed,
    Failed,
    Skipped(String),
    /// Every failing check is explained by the target's own movement.
    Moved(String),
}

/// Where a sighting of an operation came from (evidence in messages).
pub(crate) type Src = String;

/// What a case knows across its attempts: the histories of its operations
/// and which of them a cancel may have reached.
#[derive(Debug)]
pub(crate) struct CaseObs {
    /// Every operation the case saw, by id.
    pub history: Histories<Src>,
    /// The case's running fixtures (all attempts): id, name, attempt, and
    /// when they were created (ms from the start of the run).
    pub running: Vec<(String, String, u32, u64)>,
    /// Operation ids a cancel of the case was accepted for (2xx), or may
    /// have reached (no response, 5xx), with when it was sent (ms).
    pub maybe_cancelled: HashMap<String, u64>,
    /// Operation ids with an `unchanged` expectation, and the invariant of
    /// that step: they must never end CANCELLED unless a cancel reached them.
    pub must_not_cancel: BTreeMap<String, String>,
    /// The attempt being run.
    pub attempt: u32,
    /// History rules broken during the steps (not reported as held).
    pub breached: std::collections::BTreeSet<&'static str>,
    /// Idempotency keys the case's cancels sent, with how often.
    pub keys: HashMap<String, u32>,
}

impl CaseObs {
    fn new(options: &RunOptions) -> CaseObs {
        CaseObs {
            history: Histories::new(Tolerance {
                lag_ms: options.lag_tolerance.as_millis() as u64,
            }),
            running: Vec::new(),
            maybe_cancelled: HashMap::new(),
            must_not_cancel: BTreeMap::new(),
            attempt: 0,
            breached: std::collections::BTreeSet::new(),
            keys: HashMap::new(),
        }
    }
}

/// State of one attempt, shared by its steps.
#[derive(Debug, Default)]
pub(crate) struct AttemptCtx {
    pub vars: Vars,
    /// Captured bodies, byte for byte, for `same_body_as`.
    pub bodies: HashMap<String, Vec<u8>>,
    /// Fixture names a cancel of this attempt was accepted for (2xx).
    pub cancel_accepted: HashSet<String>,
    /// The state each fixture was created in.
    pub fixture_states: BTreeMap<String, FixtureState>,
    /// Raw responses of the last step (for explaining its failures).
    pub last_responses: Vec<RawResponse>,
    /// The fixture the last step cancelled without an Idempotency-Key, if
    /// it did.
    pub last_keyless_cancel_of: Option<String>,
    /// Fixtures an `unchanged` expectation named, with its invariant.
    pub unchanged: Vec<(String, String)>,
}

/// A case whose attempts ran; its watch is still to come.
#[derive(Debug)]
pub(crate) struct Stepped {
    outcome: CaseOutcome,
    steps: Vec<StepResult>,
    other_attempts: Vec<AttemptRecord>,
    attempts: u32,
    started: Instant,
    obs: CaseObs,
}

impl Engine {
    /// An engine for `target`. Fails only if the HTTP client cannot be built.
    pub fn new(
        target: Target,
        options: RunOptions,
        schemas: Schemas,
    ) -> Result<Engine, ClientError> {
        let client = HttpClient::new(&target)?;
        let fixtures = FixtureSource::new(target.fixtures_url.clone(), &target.static_ops);
        let creds = Credentials {
            token: target.token.clone(),
            foreign_token: target.foreign_token.clone(),
            broad_token: target.broad_token.clone(),
            context: target.context.clone(),
        };
        Ok(Engine {
            target,
            options,
            schemas,
            client,
            fixtures,
            renderer: Renderer::new(),
            creds,
            run_id: uuid::Uuid::new_v4().to_string(),
            quiet: Quiet::default(),
        })
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The options.
    pub fn options(&self) -> &RunOptions {
        &self.options
    }

    /// The redactor every recorded string went through.
    pub fn redactor(&self) -> &Redactor {
        self.client.redactor()
    }

    /// Checks that the target answers at all (one `GET /operations?limit=1`;
    /// any HTTP status counts), polling for up to the target's
    /// `wait_for_target` when set. A connection failure or timeout returns
    /// the reason, redacted.
    pub async fn reach(&self) -> Result<(), String> {
        crate::target::reach(&self.client, &self.target, self.options.request_timeout).await
    }

    /// One probe of the target, without waiting (see [`Engine::reach`]).
    pub async fn probe(&self) -> Result<(), String> {
        crate::target::probe(&self.client, &self.target, self.options.request_timeout).await
    }

    /// Runs one case on its own: its attempts, then the watch of its
    /// operations (which does not wait for other cases).
    pub async fn run_case(&self, planned: &PlannedCase) -> CaseResult {
        let stepped = self.run_steps(planned).await;
        self.finish(planned, stepped, None).await
    }

    /// Every attempt of a case (fresh fixtures each), up to its verdict
    /// before the watch.
    pub(crate) async fn run_steps(&self, planned: &PlannedCase) -> Stepped {
        let started = Instant::now();
        let mut obs = CaseObs::new(&self.options);
        let mut records: Vec<AttemptRecord> = Vec::new();
        let mut moved = 0u32;
        // The first decisive failure: its attempt number and steps.
        let mut violation: Option<(u32, Vec<StepResult>)> = None;
        let mut attempt = 0u32;
        let (outcome, steps) = loop {
            attempt += 1;
            obs.attempt = attempt;
            let (end, steps, from_static) = self.attempt(planned, &mut obs).await;
            let record =
                |ended: &str, reason: Option<String>, steps: Vec<StepResult>| AttemptRecord {
                    number: attempt,
                    ended: ended.to_string(),
                    reason,
                    steps,
                };
            match end {
                AttemptEnd::Passed => match violation.take() {
                    Some((_, failed)) => {
                        records.push(record("passed", None, steps));
                        break (CaseOutcome::Flaky, failed);
                    }
                    None => break (CaseOutcome::Passed, steps),
                },
                AttemptEnd::Failed => match violation.take() {
                    Some((n, first)) => {
                        records.push(AttemptRecord {
                            number: n,
                            ended: "failed".into(),
                            reason: None,
                            steps: first,
                        });
                        break (CaseOutcome::Failed, steps);
                    }
                    None if from_static => {
                        break (CaseOutcome::Failed, annotate_unconfirmed(steps));
                    }
                    None => violation = Some((attempt, steps)),
                },
                AttemptEnd::Skipped(reason) => match violation.take() {
                    // The confirmation could not run: the violation stands.
                    Some((_, failed)) => {
                        records.push(record("skipped", Some(reason), steps));
                        break (CaseOutcome::Failed, failed);
                    }
                    None => break (CaseOutcome::Skipped { reason }, steps),
                },
                AttemptEnd::Moved(reason) => {
                    moved += 1;
                    let exhausted = from_static || moved >= self.options.max_drift_attempts.max(1);
                    if !exhausted {
                        records.push(record("moved", Some(reason), steps));
                        continue;
                    }
                    match violation.take() {
                        // The violation stands; the confirmations could
                        // not reproduce or refute it.
                        Some((_, failed)) => {
                            records.push(record("moved", Some(reason), steps));
                            break (CaseOutcome::Failed, failed);
                        }
                        None => {
                            let reason = if from_static {
                                format!("{reason}; static ids give no fresh fixture to retry on")
                            } else {
                                format!(
                                    "the target's own movement explained every failure on {moved} attempts; last: {reason}"
                                )
                            };
                            break (CaseOutcome::Inconclusive { reason }, steps);
                        }
                    }
                }
            }
        };
        records.sort_by_key(|r| r.number);
        Stepped {
            outcome,
            steps,
            other_attempts: records,
            attempts: attempt,
            started,
            obs,
        }
    }

    /// Watches the case's operations (until `deadline` at the latest) and
    /// settles its verdict.
    pub(crate) async fn finish(
        &self,
        planned: &PlannedCase,
        stepped: Stepped,
        deadline: Option<Instant>,
    ) -> CaseResult {
        let Stepped {
            mut outcome,
            mut steps,
            other_attempts,
            attempts,
            started,
            mut obs,
        } = stepped;
        let ran = !matches!(outcome, CaseOutcome::Skipped { .. }) || !obs.running.is_empty();
        if ran && let Some(watch) = self.watch(planned, &mut obs, deadline).await {
            let violated = watch.checks.iter().any(|c| c.verdict == Verdict::Fail);
            if violated && outcome != CaseOutcome::Failed {
                // A history violation needs no confirmation: it was seen.
                outcome = CaseOutcome::Failed;
            }
            steps.push(watch);
        }
        CaseResult {
            name: planned.name.clone(),
            file: planned.file.clone(),
            description: planned.case.description.clone(),
            invariants: planned.case.invariants.clone(),
            outcome,
            attempts,
            steps,
            other_attempts,
            duration_ms: started.elapsed().as_millis() as u64,
        }
    }

    /// One attempt on fresh fixtures. Returns how it ended, its steps, and
    /// whether its fixtures were static ids.
    async fn attempt(
        &self,
        planned: &PlannedCase,
        obs: &mut CaseObs,
    ) -> (AttemptEnd, Vec<StepResult>, bool) {
        if let Some(reason) = self.unmet_requirement(planned) {
            return (AttemptEnd::Skipped(reason), Vec::new(), false);
        }
        let cancels = planned
            .case
            .steps
            .iter()
            .any(|s| crate::target::is_cancel(&s.request.method, &s.request.path));
        // One fresh owner per attempt: a retry must not see the fixtures of
        // the attempt before it in an owner-filtered list.
        let owner = planned.case.owner.map(OwnerVars::fresh);
        let fixture_token = match planned.case.fixtures_as {
            crate::case::FixturesAs::Token => self.creds.token.as_deref(),
            crate::case::FixturesAs::Foreign => self.creds.foreign_token.as_deref(),
        };
        let acquired = self
            .fixtures
            .acquire(
                planned,
                cancels,
                owner.as_ref(),
                &self.client,
                fixture_token,
                self.options.request_timeout,
            )
            .await;
        let (fixtures, from_static) = match acquired {
            Acquired::Ready {
                fixtures,
                from_static,
            } => (fixtures, from_static),
            Acquired::Unavailable(reason) => {
                return (AttemptEnd::Skipped(reason), Vec::new(), false);
            }
            Acquired::Drifted(reason) => return (AttemptEnd::Moved(reason), Vec::new(), false),
        };
        let fixture_states = planned.case.all_fixtures();
        let created_ms = self.client.now_ms();
        for (name, state) in &fixture_states {
            if matches!(state, FixtureState::Running | FixtureState::Retrying)
                && let Some(f) = fixtures.get(name)
            {
                obs.running
                    .push((f.id.clone(), name.clone(), obs.attempt, created_ms));
            }
        }
        let mut ctx = AttemptCtx {
            vars: Vars {
                fixtures,
                capture: BTreeMap::new(),
                table_value: planned.table_row.as_ref().map(|r| r.fresh_value()),
                uuid: uuid::Uuid::new_v4().to_string(),
                run_id: self.run_id.clone(),
                owner,
                settle_secs: settle_secs(&self.options),
            },
            fixture_states,
            ..AttemptCtx::default()
        };
        let mut steps = Vec::new();
        for (i, step) in planned.case.steps.iter().enumerate() {
            let (mut result, end) = self.run_step(planned, &mut ctx, i, step).await;
            let breached = self.observe_step(obs, &ctx, &mut result);
            let end = match end {
                None if breached => Some(AttemptEnd::Failed),
                other => other,
            };
            match end {
                None => steps.push(result),
                Some(AttemptEnd::Failed) => {
                    steps.push(result);
                    let end = match self.explain(&ctx, obs, &mut steps).await {
                        Some(reason) => AttemptEnd::Moved(reason),
                        None => AttemptEnd::Failed,
                    };
                    return (end, steps, from_static);
                }
                Some(other) => {
                    steps.push(result);
                    return (other, steps, from_static);
                }
            }
        }
        (AttemptEnd::Passed, steps, from_static)
    }

    fn unmet_requirement(&self, planned: &PlannedCase) -> Option<String> {
        if planned.case.fixtures_as == crate::case::FixturesAs::Foreign {
            if self.creds.foreign_token.is_none() {
                return Some(
                    "its fixtures belong to a second workspace: pass --foreign-token or set \
                     AKUA_FOREIGN_TOKEN"
                        .into(),
                );
            }
            if !self.fixtures.has_provider() {
                return Some(
                    "its fixtures belong to a second workspace: needs a fixture provider \
                     (--fixtures URL)"
                        .into(),
                );
            }
        }
        for req in &planned.case.requires {
            match req {
                Requirement::ForeignToken if self.creds.foreign_token.is_none() => {
                    return Some(
                        "needs a second workspace's token: pass --foreign-token or set \
                         AKUA_FOREIGN_TOKEN"
                            .into(),
                    );
                }
                Requirement::BroadToken if self.creds.broad_token.is_none() => {
                    return Some(
                        "needs a broad (multi-workspace) token: pass --broad-token or set \
                         AKUA_BROAD_TOKEN"
                            .into(),
                    );
                }
                Requirement::FixtureProvider if !self.fixtures.has_provider() => {
                    return Some(
                        "needs a fixture provider (--fixtures URL); static ids are not enough"
                            .into(),
                    );
                }
                _ => {}
            }
        }
        for step in &planned.case.steps {
            if let Err(reason) = super::request::auth_header(step.request.auth, &self.creds) {
                return Some(reason);
            }
        }
        None
    }
}

/// Marks a failure that could not be confirmed on a fresh fixture.
fn annotate_unconfirmed(mut steps: Vec<StepResult>) -> Vec<StepResult> {
    for step in &mut steps {
        for check in &mut step.checks {
            if check.verdict == Verdict::Fail {
                check.actual.push_str(
                    " (static fixture: not confirmed on a fresh fixture, reported on first failure)",
                );
            }
        }
    }
    steps
}

/// Time left until `deadline`, zero when passed.
pub(crate) fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

/// `{{ settle_secs }}`: the settle deadline in whole seconds, within the
/// `:wait` timeout range (1..=60) and below the request timeout, so a `:wait`
/// that uses it as its timeout is answered before the request gives up.
fn settle_secs(options: &RunOptions) -> u64 {
    let settle = options.settle_deadline.as_secs().max(1);
    let below_request = options.request_timeout.as_secs().saturating_sub(1).max(1);
    settle.min(below_request).min(60)
}
