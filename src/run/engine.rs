//! The engine: runs one planned case with fresh fixtures, retries on
//! drift, and confirms failures before reporting them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use crate::case::{FixtureState, PlannedCase, Requirement};
use crate::contract::Schemas;
use crate::model::{CaseOutcome, CaseResult, StepResult, Verdict};
use crate::redact::Redactor;

use super::client::{ClientError, HttpClient, OutgoingRequest, RawResponse};
use super::fixtures::{Acquired, FixtureSource};
use super::options::{RunOptions, Target};
use super::request::{Credentials, join_url};
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
}

/// How one attempt of a case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AttemptEnd {
    Passed,
    Failed,
    Skipped(String),
    Drifted(String),
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
    /// Raw responses of the last step (for drift detection).
    pub last_responses: Vec<RawResponse>,
    /// The fixture the last step cancelled without an Idempotency-Key, if
    /// it did (for drift detection of a repeated cancel).
    pub last_keyless_cancel_of: Option<String>,
}

impl Engine {
    /// An engine for `target`. Fails only if the HTTP client cannot be built.
    pub fn new(
        target: Target,
        options: RunOptions,
        schemas: Schemas,
    ) -> Result<Engine, ClientError> {
        let redactor = target.redactor(&options.secrets);
        let client = HttpClient::from_options(&options, redactor)?;
        let fixtures = FixtureSource::new(target.fixtures_url.clone(), &target.static_ops);
        let creds = Credentials {
            token: target.token.clone(),
            foreign_token: target.foreign_token.clone(),
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

    /// Checks that the target answers at all: one `GET /operations?limit=1`.
    /// Any HTTP status counts as reachable; a connection failure or timeout
    /// returns the reason.
    pub async fn probe(&self) -> Result<(), String> {
        let mut headers = vec![("accept".to_string(), "application/json".to_string())];
        if let Some(t) = &self.creds.token {
            headers.insert(0, ("authorization".into(), format!("Bearer {t}")));
        }
        let req = OutgoingRequest {
            method: "GET".into(),
            url: join_url(
                &self.target.base_url,
                "/operations",
                &[("limit".into(), "1".into())],
            ),
            headers,
            body: None,
            timeout: self.options.request_timeout,
        };
        let sent = self.client.send(&req).await;
        if sent.response.is_some() {
            Ok(())
        } else {
            Err(format!(
                "target {} is unreachable: {}",
                self.redactor().redact(&self.target.base_url),
                sent.exchange.error.unwrap_or_default()
            ))
        }
    }

    /// Runs one case: fresh fixtures per attempt, retried when a fixture
    /// changes state by itself, failures confirmed once more.
    pub async fn run_case(&self, planned: &PlannedCase) -> CaseResult {
        let started = Instant::now();
        let mut attempts = 0u32;
        let mut drifts = 0u32;
        let mut first_failure: Option<Vec<StepResult>> = None;
        let (outcome, steps) = loop {
            attempts += 1;
            let (end, steps, from_static) = self.attempt(planned).await;
            match end {
                AttemptEnd::Skipped(reason) => match first_failure.take() {
                    // The confirmation run could not get a fixture: the failure stands.
                    Some(failed) => break (CaseOutcome::Failed, failed),
                    None => break (CaseOutcome::Skipped { reason }, steps),
                },
                AttemptEnd::Passed => match first_failure.take() {
                    Some(failed) => break (CaseOutcome::Flaky, failed),
                    None => break (CaseOutcome::Passed, steps),
                },
                AttemptEnd::Failed => {
                    if first_failure.is_some() {
                        break (CaseOutcome::Failed, steps);
                    }
                    if from_static {
                        break (CaseOutcome::Failed, annotate_unconfirmed(steps));
                    }
                    first_failure = Some(steps);
                }
                AttemptEnd::Drifted(reason) => {
                    drifts += 1;
                    if from_static {
                        break (
                            CaseOutcome::Inconclusive {
                                reason: format!(
                                    "{reason}; static ids give no fresh fixture to retry on"
                                ),
                            },
                            steps,
                        );
                    }
                    if drifts >= self.options.max_drift_attempts.max(1) {
                        let reason = match first_failure {
                            Some(_) => format!(
                                "failed once, then the fixture finished by itself on {drifts} \
                                 confirmation attempts: {reason}"
                            ),
                            None => format!(
                                "the fixture finished by itself on {drifts} attempts: {reason}"
                            ),
                        };
                        break (CaseOutcome::Inconclusive { reason }, steps);
                    }
                }
            }
        };
        CaseResult {
            name: planned.name.clone(),
            file: planned.file.clone(),
            description: planned.case.description.clone(),
            invariants: planned.case.invariants.clone(),
            outcome,
            attempts,
            steps,
            other_attempts: Vec::new(),
            duration_ms: started.elapsed().as_millis() as u64,
        }
    }

    /// One attempt on fresh fixtures. Returns how it ended, its steps, and
    /// whether its fixtures were static ids.
    async fn attempt(&self, planned: &PlannedCase) -> (AttemptEnd, Vec<StepResult>, bool) {
        if let Some(reason) = self.unmet_requirement(planned) {
            return (AttemptEnd::Skipped(reason), Vec::new(), false);
        }
        let cancels = planned
            .case
            .steps
            .iter()
            .any(|s| super::safety::is_cancel(&s.request.method, &s.request.path));
        // One fresh owner per attempt: a retry must not see the fixtures of
        // the attempt before it in an owner-filtered list.
        let owner = planned.case.owner.map(OwnerVars::fresh);
        let acquired = self
            .fixtures
            .acquire(
                planned,
                cancels,
                owner.as_ref(),
                &self.client,
                self.creds.token.as_deref(),
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
            Acquired::Drifted(reason) => return (AttemptEnd::Drifted(reason), Vec::new(), false),
        };
        let mut ctx = AttemptCtx {
            vars: Vars {
                fixtures,
                capture: BTreeMap::new(),
                table_value: planned.table_row.as_ref().map(|r| r.value.clone()),
                uuid: uuid::Uuid::new_v4().to_string(),
                run_id: self.run_id.clone(),
                owner,
                settle_secs: settle_secs(&self.options),
            },
            fixture_states: planned.case.all_fixtures(),
            ..AttemptCtx::default()
        };
        let mut steps = Vec::new();
        for (i, step) in planned.case.steps.iter().enumerate() {
            let (mut result, end) = self.run_step(planned, &mut ctx, i, step).await;
            match end {
                None => steps.push(result),
                Some(AttemptEnd::Failed) => {
                    let drift = self.detect_drift(&mut ctx, &mut result).await;
                    steps.push(result);
                    return match drift {
                        Some(reason) => (AttemptEnd::Drifted(reason), steps, from_static),
                        None => (AttemptEnd::Failed, steps, from_static),
                    };
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
        for req in &planned.case.requires {
            match req {
                Requirement::ForeignToken if self.creds.foreign_token.is_none() => {
                    return Some(
                        "needs a second workspace's token: pass --foreign-token or set \
                         AKUA_FOREIGN_TOKEN"
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

    /// After a failed step: did a `running` fixture finish by itself (no
    /// accepted cancel of this attempt)? Looks at the failing responses,
    /// then reads each such fixture afresh.
    async fn detect_drift(&self, ctx: &mut AttemptCtx, step: &mut StepResult) -> Option<String> {
        let candidates: Vec<(String, String, String)> = ctx
            .fixture_states
            .iter()
            .filter(|(name, state)| {
                **state == FixtureState::Running && !ctx.cancel_accepted.contains(*name)
            })
            .filter_map(|(name, _)| {
                ctx.vars
                    .fixtures
                    .get(name)
                    .map(|f| (name.clone(), f.id.clone(), f.bare_id.clone()))
            })
            .collect();
        if let Some(reason) = self.settled_before_repeat(ctx, step).await {
            return Some(reason);
        }
        if candidates.is_empty() {
            return None;
        }
        for resp in &ctx.last_responses {
            let Some(body) = resp.json() else { continue };
            let id = body.get("id").and_then(|v| v.as_str()).unwrap_or("");
            if body.get("done") == Some(&serde_json::Value::Bool(true)) {
                if let Some((name, ..)) = candidates.iter().find(|(_, i, b)| id == i || id == b) {
                    let state = body.get("state").and_then(|v| v.as_str()).unwrap_or("?");
                    return Some(format!(
                        "running fixture `{name}` showed done ({state}) before any accepted cancel"
                    ));
                }
            }
        }
        for (name, id, _) in candidates {
            if let Some(body) = self.read_fixture(&id, step).await {
                if body.get("done") == Some(&serde_json::Value::Bool(true)) {
                    let state = body.get("state").and_then(|v| v.as_str()).unwrap_or("?");
                    return Some(format!(
                        "running fixture `{name}` finished by itself ({state}) before any accepted cancel"
                    ));
                }
            }
        }
        None
    }
}

impl Engine {
    /// A repeated cancel (no key, after one of this attempt was accepted)
    /// that got the terminal rejection because the operation had already
    /// settled: right for a done operation, so not a finding, but the case
    /// could not observe what it wanted (a second cancel while draining).
    /// Retried on a fresh fixture like any other drift. Replays (with a key)
    /// never count: a replay must not turn into 422 (CANCEL-REPLAY-IDEMPOTENT).
    async fn settled_before_repeat(
        &self,
        ctx: &AttemptCtx,
        step: &mut StepResult,
    ) -> Option<String> {
        let name = ctx.last_keyless_cancel_of.as_ref()?;
        if !ctx.cancel_accepted.contains(name) || ctx.last_responses.is_empty() {
            return None;
        }
        let terminal = crate::contract::find("CANCEL-TERMINAL-422")
            .and_then(|inv| inv.statuses)
            .map(|sets| sets.accepted(self.options.mode))
            .unwrap_or_default();
        let statuses: Vec<u16> = ctx.last_responses.iter().map(|r| r.status).collect();
        if !statuses.iter().all(|s| terminal.contains(s)) {
            return None;
        }
        let id = ctx.vars.fixtures.get(name)?.id.clone();
        let body = self.read_fixture(&id, step).await?;
        if body.get("done") != Some(&serde_json::Value::Bool(true)) {
            return None;
        }
        let state = body.get("state").and_then(|v| v.as_str()).unwrap_or("?");
        Some(format!(
            "fixture `{name}` settled ({state}) before the repeated cancel reached it \
             (answered {statuses:?}, right for a done operation)"
        ))
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
