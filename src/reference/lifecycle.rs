//! The simulated lifecycle: an operation's visible state is derived lazily
//! from its plan, its creation time and any cancel request, read on the
//! [`Clock`]. No background task per operation is needed: `:wait` sleeps
//! until [`Snapshot::terminal_at`] (and is woken when a cancel moves it).
//! That holds for `Tempo::Live` too: a live operation's progress is a pure
//! function of the time since its creation ([`Plan::Live`]).
//!
//! Digest §2.1: `done` iff terminal; `error` set for FAILED/CANCELLED only;
//! `response` only for SUCCEEDED with `response.type == metadata.type`;
//! `last_error` set by a failed step and cleared on a successful retry;
//! `completed_at` null iff not done; timestamps Unix seconds.

use std::time::{Duration, Instant};

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
    /// `Tempo::Live`'s `running` fixture: one of [`LIVE_STEPS`] completes
    /// every live step; step `fail_step` fails once (last_error set) and
    /// its retry completes at the next live step (last_error cleared);
    /// SUCCEEDED after [`LIVE_EVENTS`] live steps.
    Live {
        /// Index into [`LIVE_STEPS`] of the step that fails once.
        fail_step: u8,
    },
}

/// The steps of a live operation, in order.
pub(crate) const LIVE_STEPS: &[&str] = &[
    "validate",
    "reserve",
    "provision",
    "configure",
    "apply",
    "verify",
    "publish",
    "notify",
    "finalize",
];

/// Visible changes of a live operation: one per step plus the retry.
pub(crate) const LIVE_EVENTS: u64 = LIVE_STEPS.len() as u64 + 1;

/// Message of the live operation's failed attempt.
pub(crate) const LIVE_RETRY_MESSAGE: &str = "transient upstream error; retrying";

/// How long after becoming done the `changes-after-done` fault's
/// finaliser rewrites the operation.
pub(crate) const FINALISER_DELAY: Duration = Duration::from_millis(400);

impl Plan {
    /// The live plan of the operation `id`. The failing step is picked from
    /// the id (deterministic, no shared RNG) among steps 1–3, the first
    /// half, so every live operation shows its failure within ~0.8 s.
    pub(crate) fn live(id: &str) -> Plan {
        // FNV-1a: stable across runs and platforms, unlike std's hasher.
        let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        Plan::Live {
            fail_step: 1 + u8::try_from(hash % 3).unwrap_or(0),
        }
    }
}

/// Events of the retrying plan (fail, retry succeeds, succeed).
const RETRYING_EVENTS: u64 = 3;

/// The allowed fixture states, in the wire spelling.
pub(crate) const FIXTURE_STATES: &[&str] =
    &["running", "succeeded", "failed", "cancelled", "retrying"];

/// The fixture states of the alternate dialect: no `retrying` (its
/// operations' steps never fail; only `Tempo::Live` shows a retry).
pub(crate) const ALTERNATE_FIXTURE_STATES: &[&str] =
    &["running", "succeeded", "failed", "cancelled"];

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

impl StepView {
    /// A step with no error message, not retryable.
    fn new(
        name: &'static str,
        status: StepStatus,
        started_at: u64,
        completed_at: Option<u64>,
    ) -> StepView {
        StepView {
            name,
            status,
            started_at,
            completed_at,
            error_message: None,
            retryable: false,
        }
    }
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
    /// When the operation became done (None while RUNNING).
    pub done_at: Option<Instant>,
    /// True once a cancel was accepted.
    pub cancel_requested: bool,
}

impl Snapshot {
    /// True once terminal.
    pub(crate) fn done(&self) -> bool {
        self.state.is_terminal()
    }
}

/// How far an in-progress plan got by `now`: created at unix second `s0`,
/// `k` plan events seen, a cancel accepted at `cancel_at` that settled at
/// `settled`.
struct Progress {
    s0: u64,
    k: u64,
    cancel_at: Option<Instant>,
    settled: Option<Instant>,
}

/// Where an operation stands: its state, `error` and `completed_at`.
type Standing = (State, Option<&'static str>, Option<u64>);

impl Progress {
    /// The running cancel steps, one per cancel step recorded.
    fn cancel_steps(&self, clock: &Clock, m: &Mutable) -> Vec<StepView> {
        let Some(c) = self.cancel_at else {
            return Vec::new();
        };
        let step = StepView::new("cancel", StepStatus::Running, clock.unix_secs(c), None);
        vec![step; 1 + m.extra_cancels as usize]
    }

    /// The snapshot: one revision per plan event, accepted cancel, extra
    /// cancel step and settle.
    fn snapshot(
        &self,
        m: &Mutable,
        steps: Vec<StepView>,
        (state, error, completed_at): Standing,
        last_error: Option<(&'static str, &'static str)>,
        terminal_at: Option<Instant>,
        done_at: Option<Instant>,
    ) -> Snapshot {
        let revision = 1
            + self.k
            + u64::from(self.cancel_at.is_some())
            + u64::from(m.extra_cancels)
            + u64::from(self.settled.is_some());
        Snapshot {
            state,
            error,
            last_error,
            started_at: self.s0,
            completed_at,
            has_response: state == State::Succeeded,
            steps,
            revision,
            terminal_at,
            done_at,
            cancel_requested: self.cancel_at.is_some(),
        }
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
    /// `changes-after-done`: a finaliser rewrites `completed_at` once,
    /// [`FINALISER_DELAY`] after the operation became done.
    pub changes_after_done: bool,
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
    let seen = Seen {
        clock,
        created,
        m,
        now,
        faults,
    };
    let mut snap = match plan {
        Plan::Succeeded | Plan::Failed | Plan::Cancelled => terminal_fixture(clock, plan, created),
        Plan::Running | Plan::Retrying => seen.in_flight(plan),
        Plan::Live { fail_step } => seen.live(fail_step),
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
        snap.done_at = Some(snap.done_at.map_or(forced.at, |d| d.min(forced.at)));
        snap.revision += 1;
    }
    if faults.changes_after_done
        && let Some(done_at) = snap.done_at
        && now >= done_at + FINALISER_DELAY
    {
        // The bug: a finaliser job stamps its own (later) second over the
        // completion time of an operation that was already done.
        snap.completed_at = snap.completed_at.map(|c| c + 1);
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
    let completed = |name| StepView::new(name, StepStatus::Completed, start, Some(done));
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
        done_at: Some(created),
        cancel_requested: false,
    }
}

/// What an in-progress plan's snapshot is computed from: the operation
/// created at `created`, its mutable part `m`, seen at `now` under `faults`.
#[derive(Clone, Copy)]
struct Seen<'a> {
    clock: &'a Clock,
    created: Instant,
    m: &'a Mutable,
    now: Instant,
    faults: LifecycleFaults,
}

impl Seen<'_> {
    fn in_flight(&self, plan: Plan) -> Snapshot {
        let s0 = self.clock.unix_secs(self.created);
        let b = |k| self.clock.unix_secs(self.clock.boundary(self.created, k));
        let cancel_at = self.m.cancel_at.filter(|c| *c <= self.now);
        let settle = cancel_at
            .filter(|_| self.m.cancel_settles)
            .map(|c| self.clock.next_boundary(self.created, c));
        let settled = settle.filter(|s| self.now >= *s);
        let plan_events = if plan == Plan::Retrying {
            RETRYING_EVENTS
        } else {
            0
        };
        // Plan events at boundaries before the settle apply; at the settle the
        // cancellation wins (the worker drained the step, then stopped).
        let k = match settled {
            Some(s) => self.clock.steps_between(self.created, s).saturating_sub(1),
            None => self.clock.steps_between(self.created, self.now),
        }
        .min(plan_events);

        let step = StepView::new;
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
                if self.faults.last_error_sticky {
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
        let progress = Progress {
            s0,
            k,
            cancel_at,
            settled,
        };
        steps.extend(progress.cancel_steps(self.clock, self.m));
        let mut error = None;
        if let Some(s) = settled {
            let at = self.clock.unix_secs(s);
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
        let plan_end =
            (plan == Plan::Retrying).then(|| self.clock.boundary(self.created, RETRYING_EVENTS));
        let terminal_at = if state.is_terminal() {
            None
        } else {
            match (settle, plan_end) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        };
        let done_at = if state.is_terminal() {
            settled.or(plan_end)
        } else {
            None
        };
        let standing = (state, error, completed_at);
        progress.snapshot(self.m, steps, standing, last_error, terminal_at, done_at)
    }

    /// A `Tempo::Live` operation at `now`: step `i` of [`LIVE_STEPS`] starts
    /// when step `i - 1` completes and completes one live step later, except
    /// step `fail` which fails after one live step and completes (retried) after
    /// a second. An accepted cancel drains on the lifecycle step grid as for
    /// every other operation; if the natural end comes first, it wins.
    fn live(&self, fail: u8) -> Snapshot {
        let fail = usize::from(fail);
        let s0 = self.clock.unix_secs(self.created);
        let t = |k: u64| {
            self.clock
                .unix_secs(self.clock.live_boundary(self.created, k))
        };
        let natural_end = self.clock.live_boundary(self.created, LIVE_EVENTS);
        let cancel_at = self
            .m
            .cancel_at
            .filter(|c| *c <= self.now && *c < natural_end);
        let settle = cancel_at
            .filter(|_| self.m.cancel_settles)
            .map(|c| self.clock.next_boundary(self.created, c))
            .filter(|s| *s < natural_end);
        let settled = settle.filter(|s| self.now >= *s);
        let finished = settled.is_none() && self.now >= natural_end;
        // Live steps that happened: those strictly before a settle (at the
        // settle the cancellation wins), all of them once naturally finished.
        let k = match settled {
            Some(s) => self.clock.live_steps_before(self.created, s),
            None => self.clock.live_steps_between(self.created, self.now),
        }
        .min(LIVE_EVENTS);
        // The live step at which step `i` completes.
        let completes = |i: usize| {
            let i = i as u64;
            if i < fail as u64 { i + 1 } else { i + 2 }
        };
        let mut steps = Vec::with_capacity(LIVE_STEPS.len() + 1);
        let mut last_error = None;
        for (i, name) in LIVE_STEPS.iter().copied().enumerate() {
            let start = if i == 0 { 0 } else { completes(i - 1) };
            if start > k {
                break;
            }
            let done = completes(i);
            let mut view = StepView::new(name, StepStatus::Running, t(start), None);
            if done <= k {
                view.status = StepStatus::Completed;
                view.completed_at = Some(t(done));
                if i == fail && self.faults.last_error_sticky {
                    last_error = Some((LIVE_RETRY_MESSAGE, name));
                }
            } else if i == fail && k > start {
                // Failed once; the retry completes at the next live step.
                view.status = StepStatus::Failed;
                view.completed_at = Some(t(start + 1));
                view.error_message = Some(LIVE_RETRY_MESSAGE);
                view.retryable = true;
                last_error = Some((LIVE_RETRY_MESSAGE, name));
            }
            steps.push(view);
        }
        let progress = Progress {
            s0,
            k,
            cancel_at,
            settled,
        };
        steps.extend(progress.cancel_steps(self.clock, self.m));
        let end = if finished { Some(natural_end) } else { settled };
        let mut state = State::Running;
        let mut error = None;
        let mut completed_at = None;
        if let Some(end) = end {
            let at = self.clock.unix_secs(end).max(s0);
            // The worker drained what was in progress: running steps complete,
            // and a failed step's retry (the step in progress) succeeds.
            for st in steps
                .iter_mut()
                .filter(|st| st.status != StepStatus::Completed)
            {
                let retried = st.status == StepStatus::Failed;
                st.status = StepStatus::Completed;
                st.completed_at = Some(at.max(st.completed_at.unwrap_or(at)));
                if retried {
                    st.error_message = None;
                    st.retryable = false;
                    if !self.faults.last_error_sticky {
                        last_error = None;
                    }
                }
            }
            state = if finished {
                State::Succeeded
            } else {
                error = Some(CANCELLED_MESSAGE);
                State::Cancelled
            };
            completed_at = Some(at);
        }
        let terminal_at = if state.is_terminal() {
            None
        } else {
            Some(settle.map_or(natural_end, |s| s.min(natural_end)))
        };
        let standing = (state, error, completed_at);
        progress.snapshot(self.m, steps, standing, last_error, terminal_at, end)
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

    const LIVE: Duration = Duration::from_millis(200);

    fn live_at(clock: &Clock, fail: u8, m: &Mutable, created: Instant, ms: u64) -> Snapshot {
        let f = LifecycleFaults::default();
        let now = created + Duration::from_millis(ms);
        snapshot(clock, Plan::Live { fail_step: fail }, created, m, now, f)
    }

    #[test]
    fn live_fail_step_is_deterministic_and_early() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..200 {
            let id = format!("op_{i:016x}");
            let plan = Plan::live(&id);
            assert_eq!(plan, Plan::live(&id));
            let Plan::Live { fail_step } = plan else {
                panic!("not live")
            };
            assert!((1..=3).contains(&fail_step));
            seen.insert(fail_step);
        }
        assert_eq!(seen.len(), 3, "every early step is picked for some id");
    }

    #[test]
    fn live_operations_change_every_step_fail_once_and_succeed_in_two_seconds() {
        let clock = Clock::with_live_step(STEP, LIVE);
        let created = clock.now();
        let m = Mutable::default();
        let fail = 2;
        let mut last = live_at(&clock, fail, &m, created, 0);
        assert_eq!(last.revision, 1);
        assert_eq!(last.terminal_at, Some(created + LIVE * 10));
        let mut saw_failure = false;
        for tick in 1..=LIVE_EVENTS {
            let s = live_at(&clock, fail, &m, created, tick * 200 + 10);
            assert_eq!(
                s.revision,
                last.revision + 1,
                "one visible change per live step"
            );
            assert_ne!(s, last);
            assert_eq!(s.started_at, last.started_at);
            // Steps only move forward.
            assert!(s.steps.len() >= last.steps.len());
            for (a, b) in last.steps.iter().zip(&s.steps) {
                assert_eq!(a.name, b.name);
                assert!(b.started_at >= a.started_at);
                assert!(b.completed_at >= a.completed_at);
            }
            if tick == 3 {
                // Step 2 ("provision") failed at its first end.
                let failed = &s.steps[2];
                assert_eq!(failed.status, StepStatus::Failed);
                assert_eq!(failed.error_message, Some(LIVE_RETRY_MESSAGE));
                assert_eq!(s.last_error, Some((LIVE_RETRY_MESSAGE, "provision")));
                saw_failure = true;
            }
            if tick == 4 {
                assert_eq!(s.steps[2].status, StepStatus::Completed);
                assert_eq!(s.steps[2].error_message, None);
                assert_eq!(s.last_error, None, "cleared by the successful retry");
            }
            if tick < LIVE_EVENTS {
                assert_eq!(s.state, State::Running);
                assert!(s.completed_at.is_none() && s.done_at.is_none());
            }
            last = s;
        }
        assert!(saw_failure);
        assert_eq!(last.state, State::Succeeded);
        assert!(last.has_response && last.error.is_none() && last.last_error.is_none());
        assert_eq!(last.done_at, Some(created + LIVE * 10));
        assert_eq!(last.steps.len(), LIVE_STEPS.len());
        assert!(last.steps.iter().all(|s| s.status == StepStatus::Completed));
        assert_eq!(
            last.completed_at,
            last.steps[LIVE_STEPS.len() - 1].completed_at
        );
        let later = live_at(&clock, fail, &m, created, 60_000);
        assert_eq!(later, last, "done operations are immutable");
    }

    #[test]
    fn a_cancel_during_live_progress_drains_then_settles() {
        let clock = Clock::with_live_step(STEP, LIVE);
        let created = clock.now();
        // Fail step 1 fails at 400 ms; cancel at 450 ms while it is failed.
        let m = Mutable {
            cancel_at: Some(created + Duration::from_millis(450)),
            cancel_settles: true,
            ..Mutable::default()
        };
        let accepted = live_at(&clock, 1, &m, created, 460);
        assert_eq!(accepted.state, State::Running);
        assert!(accepted.last_error.is_some());
        assert_eq!(accepted.terminal_at, Some(created + STEP * 5));
        let settled = live_at(&clock, 1, &m, created, 500);
        assert_eq!(settled.state, State::Cancelled);
        assert_eq!(settled.error, Some(CANCELLED_MESSAGE));
        assert_eq!(settled.done_at, Some(created + STEP * 5));
        assert_eq!(settled.last_error, None, "the drained retry succeeded");
        assert!(
            settled
                .steps
                .iter()
                .all(|s| s.status == StepStatus::Completed)
        );
        assert!(settled.revision > accepted.revision);
        assert_eq!(live_at(&clock, 1, &m, created, 9_000), settled);
        // A cancel whose drain would end after the natural end: SUCCEEDED.
        let late = Mutable {
            cancel_at: Some(created + Duration::from_millis(1_950)),
            cancel_settles: true,
            ..Mutable::default()
        };
        let done = live_at(&clock, 1, &late, created, 2_100);
        assert_eq!(done.state, State::Succeeded);
        assert!(done.steps.iter().all(|s| s.status == StepStatus::Completed));
        assert!(done.steps.iter().any(|s| s.name == "cancel"));
    }

    #[test]
    fn live_faults_keep_last_error_and_change_after_done() {
        let clock = Clock::with_live_step(STEP, LIVE);
        let created = clock.now();
        let m = Mutable::default();
        let sticky = LifecycleFaults {
            last_error_sticky: true,
            ..LifecycleFaults::default()
        };
        let at = |ms: u64, f| {
            let plan = Plan::Live { fail_step: 1 };
            snapshot(
                &clock,
                plan,
                created,
                &m,
                created + Duration::from_millis(ms),
                f,
            )
        };
        assert!(at(1_000, sticky).last_error.is_some());
        assert!(at(2_100, sticky).last_error.is_some());
        let finaliser = LifecycleFaults {
            changes_after_done: true,
            ..LifecycleFaults::default()
        };
        let done = at(2_000, finaliser);
        assert_eq!(done.state, State::Succeeded);
        assert_eq!(
            at(2_399, finaliser),
            done,
            "normal until the finaliser runs"
        );
        let rewritten = at(2_400, finaliser);
        assert_eq!(rewritten.completed_at, done.completed_at.map(|c| c + 1));
        assert_eq!(rewritten.revision, done.revision + 1);
        assert_eq!(at(9_000, finaliser), rewritten, "changes once");
        // Terminal fixtures too.
        let (c, s) = at_with(&clock, Plan::Succeeded, finaliser, 399);
        assert_eq!(s.revision, 1);
        let later = snapshot(
            &clock,
            Plan::Succeeded,
            c,
            &m,
            c + Duration::from_millis(400),
            finaliser,
        );
        assert_eq!(later.revision, 2);
    }

    fn at_with(clock: &Clock, plan: Plan, f: LifecycleFaults, ms: u64) -> (Instant, Snapshot) {
        let created = clock.now();
        let now = created + Duration::from_millis(ms);
        (
            created,
            snapshot(clock, plan, created, &Mutable::default(), now, f),
        )
    }
}
