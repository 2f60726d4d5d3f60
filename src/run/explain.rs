//! Telling a violation from a target that moved by itself.
//!
//! Real operations finish and change while a case runs. A failing check is
//! *explained by movement* only when the evidence shows it, per kind of
//! check ([`CheckKind`]):
//! - a status: a cancel answered with the terminal rejection of the run's
//!   mode, and a fresh read shows the operation done by itself (or settled
//!   after an accepted cancel, for a repeated cancel without a key); or a
//!   409/412 to an `If-Match`, and a fresh read shows another ETag or state
//!   than the one sent (the same ETag and state: a violation);
//! - a lifecycle value (`/state`, `/done`, ...) or a `:wait` that did not
//!   hold: the body shows the operation finished by itself (SUCCEEDED or
//!   FAILED, with no cancel of the case reaching it), or it moved between
//!   reads;
//! - anything else (a body invariant, a late answer, a replay that is not
//!   identical, an `unchanged` that changed, a history rule): never.
//!
//! An attempt is *moved* only when every failing check is explained.

use serde_json::Value;

use crate::case::FixtureState;
use crate::contract::{Endpoint, find};
use crate::model::{CheckKind, CheckResult, StepResult, Verdict};

use super::engine::{AttemptCtx, CaseObs, Engine};
use super::observe::canonical;
use crate::contract::id;

impl Engine {
    /// When the target's own movement explains every failing check of the
    /// attempt's last step: why. `None` when any of them is a violation.
    /// Reads the fixtures concerned afresh (recorded in the last step).
    pub(crate) async fn explain(
        &self,
        ctx: &AttemptCtx,
        obs: &CaseObs,
        steps: &mut [StepResult],
    ) -> Option<String> {
        let failing: Vec<usize> = steps
            .last()?
            .checks
            .iter()
            .enumerate()
            .filter(|(_, c)| c.verdict == Verdict::Fail)
            .map(|(i, _)| i)
            .collect();
        if failing.is_empty() {
            return None;
        }
        // Tags the attempt saw for its operations: an If-Match is "current"
        // only when it is one of them.
        let seen_tags: Vec<(String, String)> = steps_tags(self, &*steps);
        let step = steps.last_mut()?;
        let mut reasons = Vec::new();
        // Statuses first: the other expectations on an answer whose status
        // movement explains are its consequences.
        let mut explained_exchanges = Vec::new();
        let (status_first, rest): (Vec<usize>, Vec<usize>) = failing
            .into_iter()
            .partition(|i| step.checks[*i].kind == CheckKind::Status);
        for i in status_first.into_iter().chain(rest) {
            let check = step.checks[i].clone();
            if matches!(
                check.kind,
                CheckKind::Expectation | CheckKind::Lifecycle | CheckKind::HeldFloor
            ) && check
                .exchange
                .is_some_and(|x| explained_exchanges.contains(&x))
            {
                continue;
            }
            match self.explain_one(ctx, obs, step, &check, &seen_tags).await {
                Ok(reason) => {
                    if check.kind == CheckKind::Status
                        && let Some(x) = check.exchange
                    {
                        explained_exchanges.push(x);
                    }
                    if !reasons.contains(&reason) {
                        reasons.push(reason);
                    }
                }
                Err(note) => {
                    if let Some(note) = note {
                        step.checks[i].actual.push_str(&format!("; {note}"));
                    }
                    return None;
                }
            }
        }
        Some(reasons.join("; "))
    }

    /// `Ok(reason)` when movement explains `check`; `Err(note)` when it does
    /// not (with a note for the report when a re-read ruled it out).
    async fn explain_one(
        &self,
        ctx: &AttemptCtx,
        obs: &CaseObs,
        step: &mut StepResult,
        check: &CheckResult,
        seen_tags: &[(String, String)],
    ) -> Result<String, Option<String>> {
        let exchange = check
            .exchange
            .and_then(|i| step.exchanges.get(i))
            .cloned()
            .ok_or(None)?;
        let route = self.route_of(&exchange);
        let id = route.op_id.as_deref().map(canonical).ok_or(None)?;
        let Some((name, _)) = ctx.vars.fixtures.iter().find(|(_, f)| f.id == id) else {
            return Err(None);
        };
        let running = matches!(
            ctx.fixture_states.get(name),
            Some(FixtureState::Running | FixtureState::Retrying)
        );
        if !running {
            // A terminal fixture cannot move.
            return Err(None);
        }
        let reached = obs.maybe_cancelled.contains_key(&id);
        let body: Option<Value> = exchange
            .response
            .as_ref()
            .filter(|r| !r.body_truncated)
            .and_then(|r| serde_json::from_str(&r.body_excerpt).ok());
        match check.kind {
            CheckKind::Status => {
                let status = exchange.response.as_ref().map(|r| r.status).ok_or(None)?;
                if route.endpoint != Endpoint::Cancel {
                    return Err(None);
                }
                let mode = self.options.mode;
                let accepted = |inv: &str| {
                    find(inv)
                        .and_then(|i| i.statuses)
                        .map(|s| s.accepted(mode))
                        .unwrap_or_default()
                };
                let if_match = exchange
                    .request
                    .headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("if-match"))
                    .map(|(_, v)| v.clone());
                let keyless = !exchange
                    .request
                    .headers
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("idempotency-key"));
                // The read the step made right after the refusal (the
                // operation may have moved on since); else one now.
                let after = check.exchange.and_then(|x| self.read_after(step, x, &id));
                let (now, etag) = match after {
                    Some(read) => read,
                    None => self.reread(&id, step).await.ok_or(None)?,
                };
                let state = state_of(&now);
                let done = now.get("done") == Some(&Value::Bool(true));
                let current = |tag: &str| seen_tags.iter().any(|(op, t)| op == &id && t == tag);
                if let Some(sent) = if_match.filter(|t| current(t))
                    && accepted(id::CANCEL_IFMATCH_STALE).contains(&status)
                {
                    return match etag {
                        Some(tag) if tag == sent && !done => Err(Some(format!(
                            "a read right after shows the same ETag {tag} and state {state}: \
                             the If-Match was current"
                        ))),
                        Some(tag) => Ok(format!(
                            "fixture `{name}` changed between reading its ETag and the cancel \
                             (ETag {sent} -> {tag}, state {state})"
                        )),
                        None => Err(Some("a read right after shows no ETag".into())),
                    };
                }
                if accepted(id::CANCEL_TERMINAL_422).contains(&status) {
                    if !done {
                        return Err(Some(format!(
                            "a read right after shows the operation still {state}"
                        )));
                    }
                    if !ctx.cancel_accepted.contains(name) && !reached {
                        return Ok(format!(
                            "fixture `{name}` finished by itself ({state}) before the cancel reached it"
                        ));
                    }
                    if keyless && ctx.cancel_accepted.contains(name) {
                        return Ok(format!(
                            "fixture `{name}` settled ({state}) after the accepted cancel, before the \
                             repeated cancel reached it (answered {status}, right for a done operation)"
                        ));
                    }
                    return Err(None);
                }
                Err(None)
            }
            CheckKind::Lifecycle | CheckKind::HeldFloor => {
                let body = body.ok_or(None)?;
                if reached {
                    return Err(None);
                }
                let state = state_of(&body);
                let done = body.get("done") == Some(&Value::Bool(true));
                if done && matches!(state.as_str(), "SUCCEEDED" | "FAILED") {
                    return Ok(format!("fixture `{name}` finished by itself ({state})"));
                }
                if check.kind == CheckKind::Lifecycle
                    && !done
                    && state == "RUNNING"
                    && obs.history.get(&id).is_some_and(|h| h.moved())
                {
                    return Ok(format!("fixture `{name}` progressed by itself"));
                }
                Err(None)
            }
            CheckKind::Other | CheckKind::Unchanged | CheckKind::Expectation => Err(None),
        }
    }

    /// The first successful GET of `id` the step made after its exchange
    /// `index`: the body and its ETag.
    fn read_after(
        &self,
        step: &StepResult,
        index: usize,
        id: &str,
    ) -> Option<(Value, Option<String>)> {
        step.exchanges.iter().skip(index + 1).find_map(|e| {
            let route = self.route_of(e);
            let resp = e.response.as_ref()?;
            if route.endpoint != Endpoint::Get
                || route.op_id.as_deref().map(canonical).as_deref() != Some(id)
                || resp.status != 200
            {
                return None;
            }
            let body = serde_json::from_str(&resp.body_excerpt).ok()?;
            Some((body, resp.header("etag").map(str::to_string)))
        })
    }

    /// A fresh GET of `id`, recorded in `step`: the body and its ETag.
    async fn reread(&self, id: &str, step: &mut StepResult) -> Option<(Value, Option<String>)> {
        let body = self.read_fixture(id, step).await?;
        let etag = step
            .exchanges
            .last()
            .and_then(|e| e.response.as_ref())
            .and_then(|r| r.header("etag"))
            .map(str::to_string);
        Some((body, etag))
    }
}

fn state_of(body: &Value) -> String {
    body.get("state")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string()
}

/// Every `(operation id, ETag)` the attempt's reads of its operations
/// showed.
fn steps_tags(engine: &Engine, steps: &[StepResult]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for exchange in steps.iter().flat_map(|s| &s.exchanges) {
        let Some(tag) = exchange.response.as_ref().and_then(|r| r.header("etag")) else {
            continue;
        };
        let route = engine.route_of(exchange);
        if route.endpoint == Endpoint::Get
            && let Some(id) = route.op_id.as_deref()
        {
            out.push((canonical(id), tag.to_string()));
        }
    }
    out
}
