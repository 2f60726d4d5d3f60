//! Executing one step: build the request, send it (once or N times at
//! once), run the phases of every `expect` kind (`crate::case::expect`)
//! around it, and capture. What the kinds check is theirs; what is here is
//! the engine's own bookkeeping around a step.

use std::time::Instant;

use serde_json::Value;

use crate::case::expect::{self, Answer, ResponseCx, StepCx};
use crate::case::{FixtureState, PlannedCase, Requirement, Step};
use crate::contract::{Endpoint, Mode};
use crate::judge::route::Route;
use crate::model::{CheckResult, StepResult, Verdict};

use super::checks::check;
use super::engine::{AttemptCtx, AttemptEnd, Engine};
use super::request::{self, BuildError};
use super::step_io::{EngineIo, VarTemplates, answer, judged};
use crate::target::{OutgoingRequest, RawResponse, Sent};

impl Engine {
    /// Runs one step. `None` means "go on"; otherwise how the attempt ends.
    pub(crate) async fn run_step(
        &self,
        planned: &PlannedCase,
        ctx: &mut AttemptCtx,
        index: usize,
        step: &Step,
    ) -> (StepResult, Option<AttemptEnd>) {
        let started = Instant::now();
        let mode = self.options.mode;
        let mut result = StepResult {
            name: step
                .name
                .clone()
                .unwrap_or_else(|| format!("step {}", index + 1)),
            exchanges: Vec::new(),
            checks: Vec::new(),
            duration_ms: 0,
        };
        let step_inv = step
            .expect
            .invariant
            .clone()
            .or_else(|| planned.case.invariants.first().cloned())
            .unwrap_or_else(|| "UNATTRIBUTED".to_string());
        ctx.last_responses.clear();
        ctx.last_keyless_cancel_of = None;
        let finish = |mut r: StepResult, end: Option<AttemptEnd>| {
            r.duration_ms = started.elapsed().as_millis() as u64;
            let end = match end {
                Some(e) => Some(e),
                None if r.checks.iter().any(|c| c.verdict == Verdict::Fail) => {
                    Some(AttemptEnd::Failed)
                }
                None => None,
            };
            (r, end)
        };

        let built = match request::build(
            &self.renderer,
            &step.request,
            &ctx.vars,
            &self.target.base_url,
            &self.creds,
            self.options.request_timeout,
        ) {
            Ok(b) => b,
            Err(BuildError::Unavailable(reason)) => {
                return finish(result, Some(AttemptEnd::Skipped(reason)));
            }
            Err(BuildError::Template(e)) => {
                result.checks.push(check(
                    &step_inv,
                    false,
                    "the request template renders",
                    e.to_string(),
                    None,
                    mode,
                ));
                return finish(result, None);
            }
        };
        let route_fixture = fixture_named(ctx, &built.route);
        let is_cancel = built.route.endpoint == Endpoint::Cancel;
        ctx.last_keyless_cancel_of = if is_cancel
            && !built
                .outgoing
                .headers
                .iter()
                .any(|(k, _)| k == "idempotency-key")
        {
            route_fixture.clone()
        } else {
            None
        };

        // What every phase of the `expect` kinds shares.
        let expect = &step.expect;
        let frame = Frame {
            mode,
            invariant: &step_inv,
            route_fixture: route_fixture.as_deref(),
        };
        let mut io = self.io(ctx, &mut result);
        let memos = expect::before(expect, &mut frame.cx(&mut io, &[])).await;

        let copies = step.parallel.unwrap_or(1).max(1);
        let sents = self.send_copies(&built.outgoing, copies).await;
        let mut raws: Vec<(usize, RawResponse)> = Vec::new();
        for sent in sents {
            let idx = result.exchanges.len();
            result.exchanges.push(sent.exchange.clone());
            let judge = StepJudge {
                schemas: &self.schemas,
                mode,
                renderer: &self.renderer,
                vars: &ctx.vars,
            };
            result.checks.extend(judge_response(
                &judge,
                step,
                built.route.endpoint,
                &sent,
                idx,
                &step_inv,
            ));
            if let Some(raw) = sent.response {
                raws.push((idx, raw));
            }
        }
        ctx.last_responses = raws.iter().map(|(_, r)| r.clone()).collect();

        // A cancel of a running fixture refused (4xx): read the operation at
        // once, while the evidence is fresh. Its state and ETag tell an
        // operation that moved by itself (done, or another ETag) from a
        // refusal the target had no reason for.
        if is_cancel
            && raws.iter().any(|(_, r)| (400..500).contains(&r.status))
            && let Some(name) = &route_fixture
            && matches!(
                ctx.fixture_states.get(name),
                Some(FixtureState::Running | FixtureState::Retrying)
            )
            && let Some(f) = ctx.vars.fixtures.get(name)
        {
            let id = f.id.clone();
            self.read_fixture(&id, &mut result).await;
        }

        // An accepted cancel: the fixture may now legitimately finish.
        if is_cancel
            && raws.iter().any(|(_, r)| (200..300).contains(&r.status))
            && let Some(name) = &route_fixture
        {
            ctx.cancel_accepted.insert(name.clone());
        }

        let answers: Vec<Answer<'_>> = raws.iter().map(|(i, r)| answer(*i, r)).collect();
        let mut io = self.io(ctx, &mut result);
        expect::after(expect, memos, &mut frame.cx(&mut io, &answers)).await;

        // Captures come from the first 2xx response, else the first response.
        let chosen = raws
            .iter()
            .find(|(_, r)| (200..300).contains(&r.status))
            .or_else(|| raws.first());
        if let Some(end) = self.capture(planned, ctx, step, chosen, &step_inv, &mut result) {
            return finish(result, Some(end));
        }

        let mut io = self.io(ctx, &mut result);
        expect::last(expect, &mut frame.cx(&mut io, &answers)).await;
        finish(result, None)
    }

    /// Keeps the step's captures from `chosen` (index and response) for
    /// later steps. `Some` when the attempt ends here: a case that requires
    /// ETags is skipped on a target that sends none.
    fn capture(
        &self,
        planned: &PlannedCase,
        ctx: &mut AttemptCtx,
        step: &Step,
        chosen: Option<&(usize, RawResponse)>,
        step_inv: &str,
        result: &mut StepResult,
    ) -> Option<AttemptEnd> {
        let mode = self.options.mode;
        for (cap_name, cap) in &step.capture {
            let Some((idx, raw)) = chosen else {
                result.checks.push(check(
                    step_inv,
                    false,
                    format!("a response to capture `{cap_name}` from"),
                    "no response",
                    None,
                    mode,
                ));
                continue;
            };
            if cap.body {
                ctx.bodies.insert(cap_name.clone(), raw.body.clone());
                ctx.vars.capture.insert(
                    cap_name.clone(),
                    String::from_utf8_lossy(&raw.body).into_owned(),
                );
                continue;
            }
            let value = if let Some(h) = &cap.header {
                match raw.header(h) {
                    Some(v) => Ok(v.to_string()),
                    None => {
                        if h.eq_ignore_ascii_case("etag")
                            && planned.case.requires.contains(&Requirement::Etag)
                        {
                            return Some(AttemptEnd::Skipped(
                                "the target sends no ETag header on Operation responses".into(),
                            ));
                        }
                        Err(format!("header `{h}` absent"))
                    }
                }
            } else if let Some(p) = &cap.pointer {
                match raw.json().as_ref().and_then(|b| b.pointer(p).cloned()) {
                    Some(Value::String(s)) => Ok(s),
                    Some(other) => Ok(other.to_string()),
                    None => Err(format!("no JSON value at `{p}`")),
                }
            } else {
                Err("capture names no header, pointer or body".to_string())
            };
            match value {
                Ok(v) => {
                    ctx.vars.capture.insert(cap_name.clone(), v);
                }
                Err(why) => result.checks.push(check(
                    step_inv,
                    false,
                    format!("capture `{cap_name}`"),
                    why,
                    Some(*idx),
                    mode,
                )),
            }
        }
        None
    }

    /// The kinds' way to the target for one step of one attempt.
    fn io<'a>(&'a self, ctx: &'a mut AttemptCtx, result: &'a mut StepResult) -> EngineIo<'a> {
        EngineIo {
            engine: self,
            ctx,
            result,
        }
    }

    async fn send_copies(&self, req: &OutgoingRequest, copies: u32) -> Vec<Sent> {
        if copies == 1 {
            return vec![self.client.send(req).await];
        }
        let mut set = tokio::task::JoinSet::new();
        for i in 0..copies {
            let client = self.client.clone();
            let req = req.clone();
            set.spawn(async move { (i, client.send(&req).await) });
        }
        let mut out = Vec::new();
        while let Some(joined) = set.join_next().await {
            if let Ok(pair) = joined {
                out.push(pair);
            }
        }
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, s)| s).collect()
    }
}

/// What every phase of a step's `expect` kinds shares.
struct Frame<'a> {
    mode: Mode,
    invariant: &'a str,
    route_fixture: Option<&'a str>,
}

impl<'a> Frame<'a> {
    fn cx<'b>(&self, io: &'b mut EngineIo<'_>, answers: &'b [Answer<'b>]) -> StepCx<'b>
    where
        'a: 'b,
    {
        StepCx {
            io,
            mode: self.mode,
            invariant: self.invariant,
            answers,
            route_fixture: self.route_fixture,
        }
    }
}

/// What judging one response of a step needs beyond the response.
pub(crate) struct StepJudge<'a> {
    pub schemas: &'a crate::contract::Schemas,
    pub mode: Mode,
    pub renderer: &'a super::template::Renderer,
    pub vars: &'a super::template::Vars,
}

/// Every check a step's `expect` and the judge make on one response: the
/// status, the body against its schema and body invariants, pointers,
/// headers and timing. Pure: no request is sent.
pub(crate) fn judge_response(
    j: &StepJudge<'_>,
    step: &Step,
    endpoint: Endpoint,
    sent: &Sent,
    idx: usize,
    step_inv: &str,
) -> Vec<CheckResult> {
    let templates = VarTemplates {
        renderer: j.renderer,
        vars: j.vars,
    };
    // Parsed once for every kind; a body cut short is not judged as JSON.
    let json = match (&sent.response, &sent.exchange.error) {
        (Some(raw), None) => raw.json(),
        _ => None,
    };
    let mut not_json = String::new();
    let body = sent
        .response
        .as_ref()
        .map(|_| judged(sent, json.as_ref(), &mut not_json));
    let cx = ResponseCx {
        schemas: j.schemas,
        mode: j.mode,
        templates: &templates,
        endpoint,
        exchange: &sent.exchange,
        answer: sent.response.as_ref().map(|raw| answer(idx, raw)),
        body,
        index: idx,
        invariant: step_inv,
    };
    expect::respond(&step.expect, &cx)
}

/// The fixture whose id the route names.
fn fixture_named(ctx: &AttemptCtx, route: &Route) -> Option<String> {
    let id = route.op_id.as_deref()?;
    ctx.vars
        .fixtures
        .iter()
        .find(|(_, f)| f.id == id || f.bare_id == id)
        .map(|(n, _)| n.clone())
}
