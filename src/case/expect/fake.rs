//! A scripted [`StepIo`] for the kinds' unit tests: reads answer from a
//! script, nothing waits, everything is recorded.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use serde_json::Value;

use crate::contract::Mode;
use crate::model::CheckResult;

use super::kind::{Answer, Observed, Read, StepCx, StepIo, Templates};

/// The invariant the fake step evidences.
pub(super) const INV: &str = "TEST-STEP";

#[derive(Default)]
pub(super) struct FakeIo {
    /// Fixture name → id.
    pub fixtures: BTreeMap<String, String>,
    /// Captured bodies.
    pub bodies: BTreeMap<String, Vec<u8>>,
    /// What each read answers, in turn (status, body); no response once
    /// the script is used up.
    pub script: VecDeque<(u16, Value)>,
    /// Every read made: id and how.
    pub reads: Vec<(String, Read)>,
    /// Every check recorded.
    pub checks: Vec<CheckResult>,
    /// Exchanges the step had before the kinds ran.
    pub earlier: usize,
    /// `must_not_cancel` registrations.
    pub must_not_cancel: Vec<(String, String)>,
}

impl FakeIo {
    pub(super) fn with_op() -> FakeIo {
        FakeIo {
            fixtures: [("op".to_string(), "op_1".to_string())].into(),
            ..FakeIo::default()
        }
    }

    pub(super) fn answers(mut self, script: impl IntoIterator<Item = (u16, Value)>) -> FakeIo {
        self.script.extend(script);
        self
    }

    /// A context for the phases around a request to `op`.
    pub(super) fn cx<'a>(&'a mut self, answers: &'a [Answer<'a>]) -> StepCx<'a> {
        StepCx {
            io: self,
            mode: Mode::Strict,
            invariant: INV,
            answers,
            route_fixture: Some("op"),
        }
    }
}

/// A response of the step's own request.
pub(super) fn answer(index: usize, status: u16, body: &[u8]) -> Answer<'_> {
    Answer {
        index,
        status,
        headers: &[],
        body,
    }
}

impl Templates for FakeIo {
    fn render(&self, template: &str) -> Result<String, String> {
        Ok(template.to_string())
    }

    fn render_json(&self, value: &Value) -> Result<Value, String> {
        Ok(value.clone())
    }
}

impl StepIo for FakeIo {
    fn fixture_id(&self, name: &str) -> Option<String> {
        self.fixtures.get(name).cloned()
    }

    fn captured_body(&self, name: &str) -> Option<&[u8]> {
        self.bodies.get(name).map(Vec::as_slice)
    }

    fn read<'a>(&'a mut self, id: &'a str, how: Read) -> BoxFuture<'a, Observed> {
        let index = self.exchanges();
        self.reads.push((id.to_string(), how));
        let next = self.script.pop_front();
        Box::pin(std::future::ready(Observed {
            index,
            status: next.as_ref().map(|(s, _)| *s),
            elapsed_ms: 0,
            body: next.filter(|(s, _)| *s == 200).map(|(_, b)| b),
        }))
    }

    fn pause(&self, _interval: Duration, _deadline: Instant) -> BoxFuture<'static, ()> {
        Box::pin(std::future::ready(()))
    }

    fn record(&mut self, check: CheckResult) {
        self.checks.push(check);
    }

    fn exchanges(&self) -> usize {
        self.earlier + self.reads.len()
    }

    fn must_not_cancel(&mut self, fixture: &str, invariant: &str) {
        self.must_not_cancel
            .push((fixture.to_string(), invariant.to_string()));
    }

    fn settle_deadline(&self) -> Duration {
        Duration::from_secs(60)
    }

    fn poll_interval(&self) -> Duration {
        Duration::from_millis(50)
    }
}
