//! What one `expect` kind is ([`ExpectKind`]), what it sees in each phase
//! of a step, and the drivers that run every kind of [`super::KINDS`] in
//! order.

use std::any::Any;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use serde_json::Value;

use crate::contract::{Endpoint, Mode, Schemas};
use crate::judge;
use crate::model::{CheckResult, Exchange};

use super::super::semantic::Rules;
use super::super::{Expect, Step};
use super::KINDS;

/// One `expect` key (or keys that only make sense together, like `status`
/// and `invariant`). Every method has a default that does nothing, so a
/// kind implements only the phases it takes part in. Each method looks at
/// its own field of [`Expect`] and does nothing when it is not set.
pub(crate) trait ExpectKind: Sync {
    /// The `expect` keys this kind reads, as spelt in case files.
    // Read by the tests that keep the schema, the model, the plan and the
    // malformed corpus in step with the table.
    #[cfg_attr(not(test), allow(dead_code))]
    fn keys(&self) -> &'static [&'static str];

    /// An inline-table body that sets every key of this kind, e.g.
    /// `status = [200]`, for the tests: it must load in a case with a
    /// running fixture `op`, a body captured as `first` and a parallel step.
    #[cfg_attr(not(test), allow(dead_code))]
    fn example(&self) -> &'static str;

    /// The rules the schema cannot express (references, contradictions),
    /// reported at the key they are about.
    fn validate(&self, _step: &Step, _rules: &mut Rules<'_, '_>) {}

    /// What `--dry-run` shows for the key: a summary and any request the
    /// runner makes for it besides the step's own.
    fn plan(&self, _expect: &Expect, _base: &str, _out: &mut PlanLines) {}

    /// Before the step's request, e.g. `unchanged` reads its fixture. What
    /// it returns is handed back to [`ExpectKind::after`].
    fn before<'a>(&'a self, _expect: &'a Expect, _cx: &'a mut StepCx<'_>) -> BoxFuture<'a, Memo> {
        Box::pin(std::future::ready(None))
    }

    /// On each response (or lost request): pure checks, in order.
    fn respond(&self, _expect: &Expect, _cx: &ResponseCx<'_>, _out: &mut Vec<CheckResult>) {}

    /// After every response, before the step's captures.
    fn after<'a>(
        &'a self,
        _expect: &'a Expect,
        _memo: Memo,
        _cx: &'a mut StepCx<'_>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(std::future::ready(()))
    }

    /// Last, after the step's captures: waiting on the target
    /// (`eventually`), which a capture that skips the case never starts.
    fn last<'a>(&'a self, _expect: &'a Expect, _cx: &'a mut StepCx<'_>) -> BoxFuture<'a, ()> {
        Box::pin(std::future::ready(()))
    }
}

/// What a kind keeps from [`ExpectKind::before`] for
/// [`ExpectKind::after`] (only the kind itself knows its type).
pub(crate) type Memo = Option<Box<dyn Any + Send>>;

/// `--dry-run` lines of one step's `expect`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct PlanLines {
    /// One short item per key set, e.g. `status CANCEL-TERMINAL-422`.
    pub summary: Vec<String>,
    /// Requests made for the expectations, e.g. `+ GET ... (unchanged)`.
    pub requests: Vec<String>,
}

/// Templates rendered with the attempt's variables (the runner's
/// renderer); errors as text for the check that reports them.
pub(crate) trait Templates {
    /// A string template.
    fn render(&self, template: &str) -> Result<String, String>;
    /// Every string inside a JSON value, as a template.
    fn render_json(&self, value: &Value) -> Result<Value, String>;
}

/// A response that arrived, as the checks see it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Answer<'a> {
    /// Index of its exchange in the step.
    pub index: usize,
    /// Status code.
    pub status: u16,
    /// Headers in arrival order.
    pub headers: &'a [(String, String)],
    /// Body bytes (cut at the run's cap).
    pub body: &'a [u8],
}

impl<'a> Answer<'a> {
    /// First header with this name (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A 2xx.
    pub(crate) fn succeeded(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// What the checks of one response see. Pure: no request is sent.
pub(crate) struct ResponseCx<'a> {
    /// Schemas for the body checks.
    pub schemas: &'a Schemas,
    /// The run's mode.
    pub mode: Mode,
    /// Renders the templates of expected values.
    pub templates: &'a dyn Templates,
    /// The endpoint the request named.
    pub endpoint: Endpoint,
    /// The recorded exchange.
    pub exchange: &'a Exchange,
    /// The response, `None` when none arrived.
    pub answer: Option<Answer<'a>>,
    /// The body as the judge reads it (parsed once for every kind), `None`
    /// when no response arrived.
    pub body: Option<judge::Body<'a>>,
    /// Index of the exchange in the step.
    pub index: usize,
    /// The step's invariant (`expect.invariant`, else the case's first).
    pub invariant: &'a str,
}

impl<'a> ResponseCx<'a> {
    /// The body, when it is complete JSON.
    pub(crate) fn json(&self) -> Option<&'a Value> {
        match self.body {
            Some(judge::Body::Json(value)) => Some(value),
            _ => None,
        }
    }
}

/// How [`StepIo::read`] reads an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Read {
    /// `GET /operations/{id}`.
    Get,
    /// `POST /operations/{id}:wait?timeout=N` (seconds).
    Wait {
        /// The `timeout` query parameter.
        timeout_secs: u64,
    },
}

/// One read of an operation, recorded in the step with its body checks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Observed {
    /// Index of its exchange in the step.
    pub index: usize,
    /// Its status, `None` when no response arrived.
    pub status: Option<u16>,
    /// How long it took.
    pub elapsed_ms: u64,
    /// The Operation, when the status was 200 and the body JSON.
    pub body: Option<Value>,
}

/// What the kinds that talk to the target need from the runner. Every
/// read is recorded in the step, with the body checks of any response.
pub(crate) trait StepIo: Templates + Send {
    /// The id of the case's fixture `name`, if the case has one.
    fn fixture_id(&self, name: &str) -> Option<String>;
    /// A body an earlier step captured with `body = true`.
    fn captured_body(&self, name: &str) -> Option<&[u8]>;
    /// Reads operation `id`.
    fn read<'a>(&'a mut self, id: &'a str, how: Read) -> BoxFuture<'a, Observed>;
    /// Waits `interval` between two polls, but not past `deadline`.
    fn pause(&self, interval: Duration, deadline: Instant) -> BoxFuture<'static, ()>;
    /// Appends a check to the step.
    fn record(&mut self, check: CheckResult);
    /// How many exchanges the step has so far.
    fn exchanges(&self) -> usize;
    /// Fixture `name` must never end CANCELLED unless a cancel of the case
    /// reached it (the watch judges it, for `invariant`).
    fn must_not_cancel(&mut self, fixture: &str, invariant: &str);
    /// The run's settle deadline: the longest anything is waited for.
    fn settle_deadline(&self) -> Duration;
    /// Pause between two polls.
    fn poll_interval(&self) -> Duration;
}

/// What the phases around the request see.
pub(crate) struct StepCx<'a> {
    /// The runner.
    pub io: &'a mut dyn StepIo,
    /// The run's mode.
    pub mode: Mode,
    /// The step's invariant.
    pub invariant: &'a str,
    /// Every response that arrived, in send order (empty before the
    /// request).
    pub answers: &'a [Answer<'a>],
    /// The fixture the request's path names, if any.
    pub route_fixture: Option<&'a str>,
}

/// Every kind's checks of one response, in [`super::KINDS`] order.
pub(crate) fn respond(expect: &Expect, cx: &ResponseCx<'_>) -> Vec<CheckResult> {
    let mut out = Vec::new();
    for kind in KINDS {
        kind.respond(expect, cx, &mut out);
    }
    out
}

/// Every kind's phase before the request; one memo per kind.
pub(crate) async fn before(expect: &Expect, cx: &mut StepCx<'_>) -> Vec<Memo> {
    let mut memos = Vec::with_capacity(KINDS.len());
    for kind in KINDS {
        memos.push(kind.before(expect, cx).await);
    }
    memos
}

/// Every kind's phase after the responses, with its memo.
pub(crate) async fn after(expect: &Expect, memos: Vec<Memo>, cx: &mut StepCx<'_>) {
    let mut memos = memos.into_iter();
    for kind in KINDS {
        kind.after(expect, memos.next().flatten(), cx).await;
    }
}

/// Every kind's last phase.
pub(crate) async fn last(expect: &Expect, cx: &mut StepCx<'_>) {
    for kind in KINDS {
        kind.last(expect, cx).await;
    }
}

/// Every kind's `--dry-run` lines; `base` is the target's base URL.
pub(crate) fn plan(expect: &Expect, base: &str) -> PlanLines {
    let mut out = PlanLines::default();
    for kind in KINDS {
        kind.plan(expect, base, &mut out);
    }
    out
}

/// A check attributed to `invariant`; recorded as skipped when the invariant
/// is strict-only and the run is lenient (the judge's rule,
/// [`crate::judge::verdict`]).
pub(crate) fn check(
    invariant: &str,
    passed: bool,
    expected: impl Into<std::borrow::Cow<'static, str>>,
    actual: impl Into<std::borrow::Cow<'static, str>>,
    exchange: Option<usize>,
    mode: Mode,
) -> CheckResult {
    record(
        judge::finding(invariant.to_string(), passed, expected, actual, mode),
        exchange,
    )
}

/// A judge's finding as a check of the exchange at `exchange`.
pub(crate) fn record(f: judge::Finding, exchange: Option<usize>) -> CheckResult {
    CheckResult {
        invariant: f.invariant.into_owned(),
        verdict: f.verdict,
        expected: f.expected.into_owned(),
        actual: f.actual.into_owned(),
        exchange,
        elapsed_ms: None,
        kind: Default::default(),
    }
}

/// Short JSON text for messages.
pub(crate) fn short(value: &Value) -> String {
    let s = value.to_string();
    if s.len() > 200 {
        let mut cut = 200;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}...", &s[..cut])
    } else {
        s
    }
}
