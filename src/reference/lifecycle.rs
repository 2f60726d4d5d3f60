//! The simulated lifecycle: an operation's visible state is derived lazily
//! from its plan, its creation time and any cancel request, read on the
//! [`Clock`]. No background task per operation is needed: `:wait` sleeps
//! until [`Snapshot::terminal_at`] (and is woken when a cancel moves it).
//!
//! Digest §2.1: `done` iff terminal; `error` set for FAILED/CANCELLED only;
//! `response` only for SUCCEEDED with `response.type == metadata.type`;
//! `last_error` set by a failed step and cleared on a successful retry;
//! `completed_at` null iff not done; timestamps Unix seconds.

use std::time::Instant;

use super::clock::Clock;

/// How a fixture operation evolves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    /// RUNNING until cancelled.
    Running,
    /// Created SUCCEEDED.
    Succeeded,
    /// Created FAILED.
    Failed,
    /// Created CANCELLED.
    Cancelled,
    /// RUNNING; at step 1 the `apply` step fails (last_error set), at step 2
    /// its retry succeeds (last_error cleared), at step 3 SUCCEEDED.
    Retrying,
}

/// Events of the retrying plan (fail, retry succeeds, succeed).
const RETRYING_EVENTS: u64 = 3;

/// The allowed fixture states, in the wire spelling.
pub(crate) const FIXTURE_STATES: &[&str] =
    &["running", "succeeded", "failed", "cancelled", "retrying"];

impl Plan {
    /// The plan for a fixture state (`running`, ...).
    pub(crate) fn from_fixture(state: &str) -> Option<Plan> {
        match state {
            "running" => Some(Plan::Running),
            "succeeded" => Some(Plan::Succeeded),
            "failed" => Some(Plan::Failed),
            "cancelled" => Some(Plan::Cancelled),
            "retrying" => Some(Plan::Retrying),
            _ => None,
        }
    }
}

/// The operation state (AIP-216 past participles for terminal states).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl State {
    /// The wire value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            State::Running => "RUNNING",
            State::Succeeded => "SUCCEEDED",
            State::Failed => "FAILED",
            State::Cancelled => "CANCELLED",
        }
    }

    /// True for SUCCEEDED, FAILED and CANCELLED.
    pub(crate) fn is_terminal(self) -> bool {
        self != State::Running
    }
}

/// What changes on an operation after creation (guarded by its mutex).
#[derive(Debug, Clone, Default)]
pub(crate) struct Mutable {
    /// When a cancel was accepted.
    pub cancel_at: Option<Instant>,
    /// False only under the `cancel-never-settles` fault.
    pub cancel_settles: bool,
    /// Cancel steps recorded beyond the first (only under a race fault).
    pub extra_cancels: u32,
    /// A state written over the plan by a faulty code path.
    pub forced: Option<Forced>,
}

/// A terminal CANCELLED written directly (faults only).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Forced {
    /// When it was written.
    pub at: Instant,
    /// Whether `error.message` was written too.
    pub with_error: bool,
}

/// Step status (OperationStep.status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StepStatus {
    Running,
    Completed,
    Failed,
}

impl StepStatus {
    /// The wire value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            StepStatus::Running => "running",
            StepStatus::Completed => "completed",
            StepStatus::Failed => "failed",
        }
    }
}

/// One step as shown at some instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StepView {
    pub name: &'static str,
    pub status: StepStatus,
    pub started_at: u64,
    pub completed_at: Option<u64>,
    pub error_message: Option<&'static str>,
    pub retryable: bool,
}

/// The operation as seen at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub state: State,
    pub error: Option<&'static str>,
    pub last_error: Option<(&'static str, &'static str)>,
    pub started_at: u64,
    pub completed_at: Option<u64>,
    pub has_response: bool,
    pub steps: Vec<StepView>,
    /// Counts every visible change; the ETag is derived from it.
    pub revision: u64,
    /// When the operation will become done, if that is already scheduled.
    pub terminal_at: Option<Instant>,
    /// True once a cancel was accepted.
    pub cancel_requested: bool,
}

impl Snapshot {
    /// True once terminal.
    pub(crate) fn done(&self) -> bool {
        self.state.is_terminal()
    }
}

/// Message of a CANCELLED operation's `error`.
pub(crate) const CANCELLED_MESSAGE: &str = "operation cancelled by request";
const FAILED_MESSAGE: &str = "step apply failed: quota exceeded in region";
const FAILED_STEP_MESSAGE: &str = "quota exceeded in region";
const RETRY_STEP_MESSAGE: &str = "upstream timeout; retrying";

/// Knobs that only faults turn.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LifecycleFaults {
    /// `last-error-sticky`: a successful retry does not clear last_error.
    pub last_error_sticky: bool,
}

/// The operation of `plan`, created at `created`, as seen at `now`.
pub(crate) fn snapshot(
    clock: &Clock,
    plan: Plan,
    created: Instant,
    m: &Mutable,
    now: Instant,
    faults: LifecycleFaults,
) -> Snapshot {
    let mut snap = match plan {
        Plan::Succeeded | Plan::Failed | Plan::Cancelled => terminal_fixture(clock, plan, created),
        Plan::Running | Plan::Retrying => in_flight(clock, plan, created, m, now, faults),
    };
    if let Some(forced) = m.forced
        && now >= forced.at
    {
        let at = clock.unix_secs(forced.at);
        snap.state = State::Cancelled;
        snap.error = forced.with_error.then_some(CANCELLED_MESSAGE);
        snap.has_response = false;
        snap.completed_at = Some(at.max(snap.started_at));
        snap.terminal_at = None;
        snap.revision += 1;
    }
    snap
}

fn terminal_fixture(clock: &Clock, plan: Plan, created: Instant) -> Snapshot {
    // started_at is the creation time, as for every other operation: the
    // list is ordered by creation ("newest first") and started_at is the
    // only timestamp a client can check that order with (digest §5 #50).
    // Backdating it would make a correctly ordered list look unordered. The
    // operation is created already done, so completed_at == started_at.
    let start = clock.unix_secs(created);
    let done = start;
    let completed = |name| StepView {
        name,
        status: StepStatus::Completed,
        started_at: start,
        completed_at: Some(done),
        error_message: None,
        retryable: false,
    };
    let (state, error, last_error, steps) = match plan {
        Plan::Failed => (
            State::Failed,
            Some(FAILED_MESSAGE),
            Some((FAILED_STEP_MESSAGE, "apply")),
            vec![
                completed("validate"),
                StepView {
                    status: StepStatus::Failed,
                    error_message: Some(FAILED_STEP_MESSAGE),
                    ..completed("apply")
                },
            ],
        ),
        Plan::Cancelled => (
            State::Cancelled,
            Some(CANCELLED_MESSAGE),
            None,
            vec![
                completed("validate"),
                completed("apply"),
                completed("cancel"),
            ],
        ),
        _ => (
            State::Succeeded,
            None,
            None,
            vec![
                completed("validate"),
                completed("apply"),
                completed("finalize"),
            ],
        ),
    };
    Snapshot {
        state,
        error,
        last_error,
        started_at: start,
        completed_at: Some(done),
        has_response: state == State::Succeeded,
        steps,
        revision: 1,
        terminal_at: None,
        cancel_requested: false,
    }
}

fn in_flight(
    clock: &Clock,
    plan: Plan,
    created: Instant,
    m: &Mutable,
    now: Instant,
    faults: LifecycleFaults,
) -> Snapshot {
    let s0 = clock.unix_secs(created);
    let b = |k| clock.unix_secs(clock.boundary(created, k));
    let cancel_at = m.cancel_at.filter(|c| *c <= now);
    let settle = cancel_at
        .filter(|_| m.cancel_settles)
        .map(|c| clock.next_boundary(created, c));
    let settled = settle.filter(|s| now >= *s);
    let plan_events = if plan == Plan::Retrying {
        RETRYING_EVENTS
    } else {
        0
    };
    // Plan events at boundaries before the settle apply; at the settle the
    // cancellation wins (the worker drained the step, then stopped).
    let k = match settled {
        Some(s) => clock.steps_between(created, s).saturating_sub(1),
        None => clock.steps_between(created, now),
    }
    .min(plan_events);

    let step = |name, status, started_at, completed_at| StepView {
        name,
        status,
        started_at,
        completed_at,
        error_message: None,
        retryable: false,
    };
    let mut steps = vec![step("validate", StepStatus::Completed, s0, Some(s0))];
    let mut last_error = None;
    let mut state = State::Running;
    let mut completed_at = None;
    if plan == Plan::Running || k == 0 {
        steps.push(step("apply", StepStatus::Running, s0, None));
    } else {
        steps.push(StepView {
            error_message: Some(RETRY_STEP_MESSAGE),
            retryable: true,
            ..step("apply", StepStatus::Failed, s0, Some(b(1)))
        });
        if k == 1 {
            last_error = Some((RETRY_STEP_MESSAGE, "apply"));
            steps.push(step("apply", StepStatus::Running, b(1), None));
        } else {
            if faults.last_error_sticky {
                last_error = Some((RETRY_STEP_MESSAGE, "apply"));
            }
            steps.push(step("apply", StepStatus::Completed, b(1), Some(b(2))));
            if k == 2 {
                steps.push(step("finalize", StepStatus::Running, b(2), None));
            } else {
                steps.push(step("finalize", StepStatus::Completed, b(2), Some(b(3))));
                state = State::Succeeded;
                completed_at = Some(b(3));
            }
        }
    }
    if let Some(c) = cancel_at {
        let cancels = 1 + m.extra_cancels;
        for _ in 0..cancels {
            steps.push(step(
                "cancel",
                StepStatus::Running,
                clock.unix_secs(c),
                None,
            ));
        }
    }
    let mut error = None;
    if let Some(s) = settled {
        let at = clock.unix_secs(s);
        for st in steps
            .iter_mut()
            .filter(|st| st.status == StepStatus::Running)
        {
            st.status = StepStatus::Completed;
            st.completed_at = Some(at);
        }
        state = State::Cancelled;
        error = Some(CANCELLED_MESSAGE);
        completed_at = Some(at);
    }
    let terminal_at = if state.is_terminal() {
        None
    } else {
        let plan_end = (plan == Plan::Retrying).then(|| clock.boundary(created, RETRYING_EVENTS));
        match (settle, plan_end) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    };
    let revision = 1
        + k
        + u64::from(cancel_at.is_some())
        + u64::from(m.extra_cancels)
        + u64::from(settled.is_some());
    Snapshot {
        state,
        error,
        last_error,
        started_at: s0,
        completed_at,
        has_response: state == State::Succeeded,
        steps,
        revision,
        terminal_at,
        cancel_requested: cancel_at.is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const STEP: Duration = Duration::from_millis(100);

    fn at(clock: &Clock, plan: Plan, m: &Mutable, ms: u64) -> (Instant, Snapshot) {
        let created = clock.now();
        let now = created + Duration::from_millis(ms);
        let snap = snapshot(clock, plan, created, m, now, LifecycleFaults::default());
        (created, snap)
    }

    #[test]
    fn running_stays_running_forever() {
        let clock = Clock::new(STEP);
        let (_, s) = at(&clock, Plan::Running, &Mutable::default(), 3_600_000);
        assert_eq!(s.state, State::Running);
        assert!(s.terminal_at.is_none() && s.completed_at.is_none() && s.error.is_none());
        assert_eq!(s.revision, 1);
    }

    #[test]
    fn retrying_fails_retries_then_succeeds() {
        let clock = Clock::new(STEP);
        let m = Mutable::default();
        let (c0, s) = at(&clock, Plan::Retrying, &m, 50);
        assert!(s.last_error.is_none());
        assert_eq!(s.terminal_at, Some(c0 + STEP * 3));
        let (_, s1) = at(&clock, Plan::Retrying, &m, 150);
        assert_eq!(s1.last_error, Some((RETRY_STEP_MESSAGE, "apply")));
        assert!(
            s1.steps
                .iter()
                .any(|st| st.status == StepStatus::Failed && st.retryable)
        );
        let (_, s2) = at(&clock, Plan::Retrying, &m, 250);
        assert!(s2.last_error.is_none());
        assert_eq!(s2.state, State::Running);
        let (_, s3) = at(&clock, Plan::Retrying, &m, 350);
        assert_eq!(s3.state, State::Succeeded);
        assert!(s3.has_response && s3.error.is_none() && s3.completed_at.is_some());
        assert!(s3.revision > s2.revision && s2.revision > s1.revision);
    }

    #[test]
    fn cancel_drains_the_current_step_then_settles() {
        let clock = Clock::new(STEP);
        let created = clock.now();
        let m = Mutable {
            cancel_at: Some(created + Duration::from_millis(120)),
            cancel_settles: true,
            ..Mutable::default()
        };
        let f = LifecycleFaults::default();
        let before = snapshot(
            &clock,
            Plan::Running,
            created,
            &m,
            created + Duration::from_millis(100),
            f,
        );
        assert_eq!(before.revision, 1);
        let accepted = snapshot(
            &clock,
            Plan::Running,
            created,
            &m,
            created + Duration::from_millis(150),
            f,
        );
        assert_eq!(accepted.state, State::Running);
        assert_eq!(accepted.revision, 2);
        assert_eq!(accepted.terminal_at, Some(created + STEP * 2));
        let settled = snapshot(&clock, Plan::Running, created, &m, created + STEP * 2, f);
        assert_eq!(settled.state, State::Cancelled);
        assert_eq!(settled.error, Some(CANCELLED_MESSAGE));
        assert!(settled.completed_at.is_some() && settled.terminal_at.is_none());
        assert!(
            settled
                .steps
                .iter()
                .all(|s| s.status != StepStatus::Running)
        );
        let later = snapshot(&clock, Plan::Running, created, &m, created + STEP * 50, f);
        assert_eq!(later, settled, "done operations are immutable");
    }

    #[test]
    fn terminal_fixtures_obey_the_cross_field_rules() {
        let clock = Clock::new(STEP);
        for plan in [Plan::Succeeded, Plan::Failed, Plan::Cancelled] {
            let (created, s) = at(&clock, plan, &Mutable::default(), 0);
            assert!(s.done() && s.completed_at.is_some());
            // Not backdated: started_at is the creation second, so list
            // order (creation) and started_at agree.
            assert_eq!(s.started_at, clock.unix_secs(created));
            assert!(s.completed_at >= Some(s.started_at));
            assert!(
                s.steps
                    .iter()
                    .all(|st| st.started_at >= s.started_at
                        && st.completed_at >= Some(st.started_at))
            );
            assert_eq!(s.error.is_some(), plan != Plan::Succeeded);
            assert_eq!(s.has_response, plan == Plan::Succeeded);
        }
        assert_eq!(Plan::from_fixture("retrying"), Some(Plan::Retrying));
        assert_eq!(Plan::from_fixture("paused"), None);
    }
}
