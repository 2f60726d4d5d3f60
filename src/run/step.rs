//! Executing one step: send (once or N times at once), check every
//! response, capture, and the before/after reads of `unchanged`.

use std::time::Instant;

use serde_json::Value;

use crate::case::{PlannedCase, Requirement, StatusExpect, Step};
use crate::contract::{Endpoint, Mode};
use crate::judge;
use crate::model::{CheckKind, CheckResult, StepResult, Verdict};

use super::checks::{
    accepted_statuses, body_checks, body_kind_fits, catalogue_statuses, check, describe_found,
    describe_json_is, inferred_kind, json_diff, json_is_holds, record, short,
};
use super::engine::{AttemptCtx, AttemptEnd, Engine};
use super::request::{self, BuildError, Built, join_url};
use crate::judge::route::Route;
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

        ctx.last_keyless_cancel_of = if built.route.endpoint == Endpoint::Cancel
            && !built
                .outgoing
                .headers
                .iter()
                .any(|(k, _)| k == "idempotency-key")
        {
            fixture_named(ctx, &built.route)
        } else {
            None
        };

        // `unchanged`: read the fixture before the step.
        let mut before: Option<(String, String, Option<Value>)> = None;
        if let Some(name) = &step.expect.unchanged {
            match ctx.vars.fixtures.get(name) {
                Some(f) => {
                    let id = f.id.clone();
                    let body = self.read_fixture(&id, &mut result).await;
                    before = Some((name.clone(), id, body));
                }
                None => result.checks.push(check(
                    &step_inv,
                    false,
                    format!("`unchanged` names a fixture of the case (`{name}`)"),
                    "no such fixture",
                    None,
                    mode,
                )),
            }
        }

        let copies = step.parallel.unwrap_or(1).max(1);
        let sents = self.send_copies(&built.outgoing, copies).await;
        let mut raws: Vec<(usize, RawResponse)> = Vec::new();
        for sent in sents {
            let idx = result.exchanges.len();
            result.exchanges.push(sent.exchange.clone());
            self.check_response(step, &built, &sent, idx, &step_inv, ctx, &mut result);
            if let Some(raw) = sent.response {
                raws.push((idx, raw));
            }
        }
        ctx.last_responses = raws.iter().map(|(_, r)| r.clone()).collect();

        // A cancel of a running fixture refused (4xx): read the operation at
        // once, while the evidence is fresh. Its state and ETag tell an
        // operation that moved by itself (done, or another ETag) from a
        // refusal the target had no reason for.
        if built.route.endpoint == Endpoint::Cancel
            && raws.iter().any(|(_, r)| (400..500).contains(&r.status))
            && let Some(name) = fixture_named(ctx, &built.route)
            && matches!(
                ctx.fixture_states.get(&name),
                Some(crate::case::FixtureState::Running | crate::case::FixtureState::Retrying)
            )
            && let Some(f) = ctx.vars.fixtures.get(&name)
        {
            let id = f.id.clone();
            self.read_fixture(&id, &mut result).await;
        }

        // An accepted cancel: the fixture may now legitimately finish.
        if built.route.endpoint == Endpoint::Cancel
            && raws.iter().any(|(_, r)| (200..300).contains(&r.status))
        {
            if let Some(name) = fixture_named(ctx, &built.route) {
                ctx.cancel_accepted.insert(name);
            }
        }

        if let Some(name) = &step.expect.same_body_as {
            for (idx, raw) in &raws {
                let c = match ctx.bodies.get(name) {
                    Some(body) => check(
                        &step_inv,
                        body == &raw.body,
                        format!("body byte-identical to captured body `{name}`"),
                        if body == &raw.body {
                            "identical".to_string()
                        } else {
                            format!(
                                "differs: captured {} bytes, got {} bytes",
                                body.len(),
                                raw.body.len()
                            )
                        },
                        Some(*idx),
                        mode,
                    ),
                    None => check(
                        &step_inv,
                        false,
                        format!("a captured body named `{name}`"),
                        "nothing captured under that name",
                        Some(*idx),
                        mode,
                    ),
                };
                result.checks.push(c);
            }
        }

        if step.expect.single_transition {
            let c = self
                .single_transition(ctx, &built.route, &raws, &step_inv, &mut result)
                .await;
            result.checks.push(c);
        }

        // `unchanged` is about a rejected request: when every answer was a
        // 2xx the request was accepted (a lenient status set may allow
        // that), and accepted requests may change the operation.
        let accepted = !raws.is_empty() && raws.iter().all(|(_, r)| (200..300).contains(&r.status));
        if let Some((name, id, before_body)) = before.filter(|_| !accepted) {
            let after_body = self.read_fixture(&id, &mut result).await;
            let idx = result.exchanges.len().checked_sub(1);
            let expected = format!("fixture `{name}` unchanged by this step");
            ctx.unchanged.push((name.clone(), step_inv.clone()));
            let c = match (before_body, after_body) {
                (Some(b), Some(a)) => {
                    let diff = json_diff(&b, &a, 8);
                    // A running operation may progress by itself meanwhile;
                    // the watch then makes sure it never ends CANCELLED.
                    let natural = !diff.is_empty() && natural_progress(&b, &a);
                    check(
                        &step_inv,
                        diff.is_empty() || natural,
                        expected,
                        if diff.is_empty() {
                            "identical before and after".to_string()
                        } else if natural {
                            format!(
                                "only progressed by itself meanwhile (the request had no \
                                 effect): {}",
                                diff.join("; ")
                            )
                        } else {
                            format!("changed: {}", diff.join("; "))
                        },
                        idx,
                        mode,
                    )
                }
                (b, _) => check(
                    &step_inv,
                    false,
                    expected,
                    format!(
                        "could not read the fixture {} the step",
                        if b.is_none() { "before" } else { "after" }
                    ),
                    idx,
                    mode,
                ),
            };
            result.checks.push(c);
        }

        // Captures come from the first 2xx response, else the first response.
        let chosen = raws
            .iter()
            .find(|(_, r)| (200..300).contains(&r.status))
            .or_else(|| raws.first());
        for (cap_name, cap) in &step.capture {
            let Some((idx, raw)) = chosen else {
                result.checks.push(check(
                    &step_inv,
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
                            return finish(
                                result,
                                Some(AttemptEnd::Skipped(
                                    "the target sends no ETag header on Operation responses".into(),
                                )),
                            );
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
                    &step_inv,
                    false,
                    format!("capture `{cap_name}`"),
                    why,
                    Some(*idx),
                    mode,
                )),
            }
        }

        if let Some(ev) = &step.expect.eventually {
            let inv = ev.invariant.clone().unwrap_or_else(|| step_inv.clone());
            let c = self.eventually(ctx, ev, &inv, &mut result).await;
            result.checks.push(c);
        }
        finish(result, None)
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

    /// Status, schema, body invariants, pointers, headers and timing of one response.
    #[allow(clippy::too_many_arguments)]
    fn check_response(
        &self,
        step: &Step,
        built: &Built,
        sent: &Sent,
        idx: usize,
        step_inv: &str,
        ctx: &AttemptCtx,
        result: &mut StepResult,
    ) {
        let judge = StepJudge {
            schemas: &self.schemas,
            mode: self.options.mode,
            renderer: &self.renderer,
            vars: &ctx.vars,
        };
        result.checks.extend(judge_response(
            &judge,
            step,
            built.route.endpoint,
            sent,
            idx,
            step_inv,
        ));
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
    let mode = j.mode;
    let mut out: Vec<CheckResult> = Vec::new();
    {
        let expect = &step.expect;
        let status_inv = match &expect.status {
            Some(StatusExpect::Invariant(id)) => id.clone(),
            _ => step_inv.to_string(),
        };
        let checks = &mut out;
        let Some(raw) = &sent.response else {
            let expected = match &expect.status {
                Some(s) => describe_status(s, mode),
                None => "a response".to_string(),
            };
            checks.push(check(
                &status_inv,
                false,
                expected,
                format!(
                    "no response: {}",
                    sent.exchange.error.clone().unwrap_or_default()
                ),
                Some(idx),
                mode,
            ));
            return out;
        };
        if let Some(s) = &expect.status {
            match accepted_statuses(s, mode, catalogue_statuses) {
                Ok(accepted) => {
                    let mut c = record(
                        judge::status(&status_inv, &accepted, raw.status, mode),
                        Some(idx),
                    );
                    c.kind = CheckKind::Status;
                    checks.push(c);
                }
                Err(why) => checks.push(check(
                    &status_inv,
                    false,
                    "a status set for this invariant",
                    why,
                    Some(idx),
                    mode,
                )),
            }
        }
        let body = if sent.exchange.error.is_none() {
            raw.json()
        } else {
            None
        };
        // An explicit body kind applies when the status class fits it. When
        // it does not (an error where an Operation was expected, or the
        // reverse) the status check already reports the difference; checking
        // the body against the schema the status implies keeps that one
        // finding from also failing unrelated body invariants.
        let explicit = expect.body.filter(|k| body_kind_fits(*k, raw.status));
        let kind = explicit.or_else(|| inferred_kind(endpoint, raw.status));
        let not_json = match (&sent.exchange.error, &body) {
            (None, None) => Some(raw.json_error()),
            _ => None,
        };
        let judged = match (&sent.exchange.error, &body) {
            (Some(err), _) => judge::Body::Incomplete(err),
            (None, Some(b)) => judge::Body::Json(b),
            (None, None) => judge::Body::NotJson(not_json.as_deref().unwrap_or("")),
        };
        checks.extend(body_checks(
            j.schemas,
            mode,
            kind,
            judged,
            &sent.exchange,
            idx,
            endpoint,
        ));
        for (pointer, want) in &expect.json {
            let want = serde_json::to_value(want)
                .map_err(|e| e.to_string())
                .and_then(|v| {
                    j.renderer
                        .render_json(&v, j.vars)
                        .map_err(|e| e.to_string())
                });
            let c = match (want, &body) {
                (Err(e), _) => check(
                    step_inv,
                    false,
                    format!("{pointer} renders"),
                    e,
                    Some(idx),
                    mode,
                ),
                (Ok(w), None) => check(
                    step_inv,
                    false,
                    format!("{pointer} == {}", short(&w)),
                    "body is not JSON",
                    Some(idx),
                    mode,
                ),
                (Ok(w), Some(b)) => {
                    let got = b.pointer(pointer);
                    let mut c = check(
                        step_inv,
                        got == Some(&w),
                        format!("{pointer} == {}", short(&w)),
                        match got {
                            Some(g) => format!("{pointer} == {}", short(g)),
                            None => format!("no value at {pointer}"),
                        },
                        Some(idx),
                        mode,
                    );
                    c.kind = pointer_kind(pointer);
                    c
                }
            };
            checks.push(c);
        }
        for (pointer, is) in &expect.json_is {
            let expected = describe_json_is(pointer, *is);
            let c = match &body {
                None => check(
                    step_inv,
                    false,
                    expected,
                    "body is not JSON",
                    Some(idx),
                    mode,
                ),
                Some(b) => {
                    let got = b.pointer(pointer);
                    let mut c = check(
                        step_inv,
                        json_is_holds(got, *is),
                        expected,
                        describe_found(pointer, got),
                        Some(idx),
                        mode,
                    );
                    c.kind = pointer_kind(pointer);
                    c
                }
            };
            checks.push(c);
        }
        let before_headers = checks.len();
        for (name, he) in &expect.headers {
            let got = raw.header(name);
            if let Some(present) = he.present {
                checks.push(check(
                    step_inv,
                    got.is_some() == present,
                    format!(
                        "header `{name}` {}",
                        if present { "present" } else { "absent" }
                    ),
                    match got {
                        Some(v) => format!("`{name}: {v}`"),
                        None => format!("no `{name}` header"),
                    },
                    Some(idx),
                    mode,
                ));
            }
            if let Some(equals) = &he.equals {
                let c = match j.renderer.render(equals, j.vars) {
                    Ok(want) => check(
                        step_inv,
                        got == Some(want.as_str()),
                        format!("`{name}: {want}`"),
                        match got {
                            Some(v) => format!("`{name}: {v}`"),
                            None => format!("no `{name}` header"),
                        },
                        Some(idx),
                        mode,
                    ),
                    Err(e) => check(
                        step_inv,
                        false,
                        format!("`{name}` renders"),
                        e.to_string(),
                        Some(idx),
                        mode,
                    ),
                };
                checks.push(c);
            }
        }
        for c in &mut checks[before_headers..] {
            c.kind = CheckKind::Expectation;
        }
        let elapsed = sent.exchange.elapsed_ms;
        if let Some(within) = expect.within_ms {
            let mut c = check(
                step_inv,
                elapsed <= within,
                format!("response within {within} ms"),
                format!("response after {elapsed} ms"),
                Some(idx),
                mode,
            );
            c.elapsed_ms = Some(elapsed);
            checks.push(c);
        }
        if let Some(not_before) = expect.not_before_ms {
            let mut c = check(
                step_inv,
                elapsed >= not_before,
                format!("response not before {not_before} ms"),
                format!("response after {elapsed} ms"),
                Some(idx),
                mode,
            );
            c.kind = CheckKind::HeldFloor;
            c.elapsed_ms = Some(elapsed);
            checks.push(c);
        }
    }
    out
}

impl Engine {
    /// Every 2xx body identical, and at most one state transition seen across
    /// those bodies and a fresh read of the fixture.
    async fn single_transition(
        &self,
        ctx: &AttemptCtx,
        route: &Route,
        raws: &[(usize, RawResponse)],
        step_inv: &str,
        result: &mut StepResult,
    ) -> CheckResult {
        let mode = self.options.mode;
        let ok: Vec<&RawResponse> = raws
            .iter()
            .map(|(_, r)| r)
            .filter(|r| (200..300).contains(&r.status))
            .collect();
        let mut distinct: Vec<&[u8]> = Vec::new();
        for r in &ok {
            if !distinct.contains(&r.body.as_slice()) {
                distinct.push(&r.body);
            }
        }
        let mut terminal_states: Vec<String> = ok
            .iter()
            .filter_map(|r| r.json())
            .filter_map(|b| b.get("state").and_then(|s| s.as_str()).map(String::from))
            .collect();
        if let Some(name) = fixture_named(ctx, route) {
            if let Some(f) = ctx.vars.fixtures.get(&name) {
                let id = f.id.clone();
                if let Some(after) = self.read_fixture(&id, result).await {
                    if let Some(s) = after.get("state").and_then(|s| s.as_str()) {
                        terminal_states.push(s.to_string());
                    }
                }
            }
        }
        terminal_states.retain(|s| s != "RUNNING");
        terminal_states.sort();
        terminal_states.dedup();
        let passed = distinct.len() <= 1 && terminal_states.len() <= 1;
        check(
            step_inv,
            passed,
            "every 2xx body identical and at most one transition",
            format!(
                "{} 2xx responses with {} distinct bodies; terminal states seen: {:?}",
                ok.len(),
                distinct.len(),
                terminal_states
            ),
            raws.first().map(|(i, _)| *i),
            mode,
        )
    }

    /// `GET /operations/{id}` with the run's token; records the exchange and
    /// its body checks in `result`. The body when the status is 200.
    pub(crate) async fn read_fixture(&self, id: &str, result: &mut StepResult) -> Option<Value> {
        let path = format!("/operations/{id}");
        let mut headers = Vec::new();
        if let Some(t) = &self.creds.token {
            headers.push(("authorization".to_string(), format!("Bearer {t}")));
        }
        if let Some(c) = &self.creds.context {
            headers.push(("akua-context".to_string(), c.clone()));
        }
        headers.push(("accept".to_string(), "application/json".to_string()));
        let req = OutgoingRequest {
            method: "GET".into(),
            url: join_url(&self.target.base_url, &path, &[]),
            headers,
            body: None,
            timeout: self.options.request_timeout,
        };
        let sent = self.client.send(&req).await;
        self.record_read(sent, Endpoint::Get, result)
    }

    /// Records a read made by the engine (not by the case) and applies the
    /// body checks to it. The body when the status is 200.
    pub(crate) fn record_read(
        &self,
        sent: Sent,
        endpoint: Endpoint,
        result: &mut StepResult,
    ) -> Option<Value> {
        let idx = result.exchanges.len();
        result.exchanges.push(sent.exchange.clone());
        let raw = sent.response?;
        let body = if sent.exchange.error.is_none() {
            raw.json()
        } else {
            None
        };
        let not_json = match (&sent.exchange.error, &body) {
            (None, None) => Some(raw.json_error()),
            _ => None,
        };
        let judged = match (&sent.exchange.error, &body) {
            (Some(err), _) => judge::Body::Incomplete(err),
            (None, Some(b)) => judge::Body::Json(b),
            (None, None) => judge::Body::NotJson(not_json.as_deref().unwrap_or("")),
        };
        result.checks.extend(body_checks(
            &self.schemas,
            self.options.mode,
            inferred_kind(endpoint, raw.status),
            judged,
            &sent.exchange,
            idx,
            endpoint,
        ));
        if raw.status == 200 { body } else { None }
    }
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

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Lenient => "lenient",
        Mode::Strict => "strict",
    }
}

fn describe_status(s: &StatusExpect, mode: Mode) -> String {
    match accepted_statuses(s, mode, catalogue_statuses) {
        Ok(v) => format!("status in {v:?} ({})", mode_name(mode)),
        Err(e) => e,
    }
}

/// The kind of a check on the value at `pointer`: lifecycle fields may
/// change while an operation runs by itself.
fn pointer_kind(pointer: &str) -> CheckKind {
    const LIFECYCLE: &[&str] = &[
        "/state",
        "/done",
        "/completed_at",
        "/error",
        "/response",
        "/last_error",
        "/steps",
    ];
    if LIFECYCLE
        .iter()
        .any(|p| pointer == *p || pointer.starts_with(&format!("{p}/")))
    {
        CheckKind::Lifecycle
    } else {
        CheckKind::Expectation
    }
}

/// True when `after` differs from `before` only as a running operation
/// moves by itself: progress of its steps and `last_error`, or finishing
/// SUCCEEDED or FAILED (with what that sets). A change to anything else,
/// or to CANCELLED, is an effect of the request.
fn natural_progress(before: &Value, after: &Value) -> bool {
    const MOVING: &[&str] = &[
        "state",
        "done",
        "completed_at",
        "error",
        "response",
        "last_error",
        "steps",
    ];
    if before.get("state").and_then(Value::as_str) != Some("RUNNING") {
        return false;
    }
    if !matches!(
        after.get("state").and_then(Value::as_str),
        Some("RUNNING" | "SUCCEEDED" | "FAILED")
    ) {
        return false;
    }
    let (Some(b), Some(a)) = (before.as_object(), after.as_object()) else {
        return false;
    };
    b.keys()
        .chain(a.keys())
        .filter(|k| !MOVING.contains(&k.as_str()))
        .all(|k| b.get(k) == a.get(k))
}
