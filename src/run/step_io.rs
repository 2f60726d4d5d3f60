//! The engine's side of the `expect` kinds ([`StepIo`]): fixture ids,
//! captured bodies, and reads of an operation, each recorded in the step
//! with the judge's body checks.

use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use serde_json::Value;

use crate::case::expect::{Answer, Observed, Read, StepIo, Templates, body_checks};
use crate::contract::Endpoint;
use crate::judge::{self, inferred_kind};
use crate::model::{CheckResult, StepResult};

use super::engine::{AttemptCtx, Engine, remaining};
use super::request::join_url;
use super::template::{Renderer, Vars};
use crate::target::{OutgoingRequest, RawResponse, Sent};

/// Slack added to a `:wait` request's own timeout before the client gives up.
const WAIT_SLACK: Duration = Duration::from_secs(5);

/// The checks' view of a response that arrived as exchange `index`.
pub(super) fn answer(index: usize, raw: &RawResponse) -> Answer<'_> {
    Answer {
        index,
        status: raw.status,
        headers: &raw.headers,
        body: &raw.body,
    }
}

/// The body of `sent` as the judge reads it: `json` is its parse (`None`:
/// not JSON, or cut short); the parser's message goes in `not_json`.
pub(super) fn judged<'a>(
    sent: &'a Sent,
    json: Option<&'a Value>,
    not_json: &'a mut String,
) -> judge::Body<'a> {
    match (&sent.exchange.error, json) {
        (Some(err), _) => judge::Body::Incomplete(err),
        (None, Some(b)) => judge::Body::Json(b),
        (None, None) => {
            *not_json = sent
                .response
                .as_ref()
                .map(RawResponse::json_error)
                .unwrap_or_default();
            judge::Body::NotJson(not_json)
        }
    }
}

/// An attempt's templates: the run's renderer with the attempt's variables.
pub(crate) struct VarTemplates<'a> {
    pub renderer: &'a Renderer,
    pub vars: &'a Vars,
}

impl Templates for VarTemplates<'_> {
    fn render(&self, template: &str) -> Result<String, String> {
        self.renderer
            .render(template, self.vars)
            .map_err(|e| e.to_string())
    }

    fn render_json(&self, value: &Value) -> Result<Value, String> {
        self.renderer
            .render_json(value, self.vars)
            .map_err(|e| e.to_string())
    }
}

/// One step of one attempt, as the kinds that talk to the target see it.
pub(super) struct EngineIo<'a> {
    pub engine: &'a Engine,
    pub ctx: &'a mut AttemptCtx,
    pub result: &'a mut StepResult,
}

impl Templates for EngineIo<'_> {
    fn render(&self, template: &str) -> Result<String, String> {
        self.templates().render(template)
    }

    fn render_json(&self, value: &Value) -> Result<Value, String> {
        self.templates().render_json(value)
    }
}

impl EngineIo<'_> {
    fn templates(&self) -> VarTemplates<'_> {
        VarTemplates {
            renderer: &self.engine.renderer,
            vars: &self.ctx.vars,
        }
    }
}

impl StepIo for EngineIo<'_> {
    fn fixture_id(&self, name: &str) -> Option<String> {
        self.ctx.vars.fixtures.get(name).map(|f| f.id.clone())
    }

    fn captured_body(&self, name: &str) -> Option<&[u8]> {
        self.ctx.bodies.get(name).map(Vec::as_slice)
    }

    fn read<'a>(&'a mut self, id: &'a str, how: Read) -> BoxFuture<'a, Observed> {
        Box::pin(self.engine.read_operation(id, how, self.result))
    }

    fn pause(&self, interval: Duration, deadline: Instant) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(interval.min(remaining(deadline))))
    }

    fn record(&mut self, check: CheckResult) {
        self.result.checks.push(check);
    }

    fn exchanges(&self) -> usize {
        self.result.exchanges.len()
    }

    fn must_not_cancel(&mut self, fixture: &str, invariant: &str) {
        self.ctx
            .unchanged
            .push((fixture.to_string(), invariant.to_string()));
    }

    fn settle_deadline(&self) -> Duration {
        self.engine.options.settle_deadline
    }

    fn poll_interval(&self) -> Duration {
        self.engine.options.poll_interval
    }
}

impl Engine {
    /// `GET /operations/{id}` with the run's token; records the exchange and
    /// its body checks in `result`. The body when the status is 200.
    pub(crate) async fn read_fixture(&self, id: &str, result: &mut StepResult) -> Option<Value> {
        self.read_operation(id, Read::Get, result).await.body
    }

    /// Reads operation `id` (GET, or a `:wait` long-poll) with the run's
    /// token; records the exchange and its body checks in `result`.
    pub(crate) async fn read_operation(
        &self,
        id: &str,
        how: Read,
        result: &mut StepResult,
    ) -> Observed {
        let (req, endpoint) = match how {
            Read::Get => (
                self.op_request(
                    "GET",
                    &format!("/operations/{id}"),
                    &[],
                    self.options.request_timeout,
                ),
                Endpoint::Get,
            ),
            Read::Wait { timeout_secs } => (
                self.op_request(
                    "POST",
                    &format!("/operations/{id}:wait"),
                    &[("timeout".into(), timeout_secs.to_string())],
                    Duration::from_secs(timeout_secs) + WAIT_SLACK,
                ),
                Endpoint::Wait,
            ),
        };
        let sent = self.client.send(&req).await;
        self.record_read(sent, endpoint, result)
    }

    /// Records a read made by the engine (not by the case) and applies the
    /// body checks to it. Its body when the status is 200.
    fn record_read(&self, sent: Sent, endpoint: Endpoint, result: &mut StepResult) -> Observed {
        let index = result.exchanges.len();
        let mut observed = Observed {
            index,
            status: sent.response.as_ref().map(|r| r.status),
            elapsed_ms: sent.exchange.elapsed_ms,
            body: None,
        };
        result.exchanges.push(sent.exchange.clone());
        let Some(raw) = &sent.response else {
            return observed;
        };
        let body = if sent.exchange.error.is_none() {
            raw.json()
        } else {
            None
        };
        let mut not_json = String::new();
        result.checks.extend(body_checks(
            &self.schemas,
            self.options.mode,
            inferred_kind(endpoint, raw.status),
            judged(&sent, body.as_ref(), &mut not_json),
            &sent.exchange,
            index,
            endpoint,
        ));
        if raw.status == 200 {
            observed.body = body;
        }
        observed
    }

    fn op_request(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        timeout: Duration,
    ) -> OutgoingRequest {
        let mut headers = Vec::new();
        if let Some(t) = &self.creds.token {
            headers.push(("authorization".to_string(), format!("Bearer {t}")));
        }
        if let Some(c) = &self.creds.context {
            headers.push(("akua-context".to_string(), c.clone()));
        }
        headers.push(("accept".to_string(), "application/json".to_string()));
        OutgoingRequest {
            method: method.into(),
            url: join_url(&self.target.base_url, path, query),
            headers,
            body: None,
            timeout,
        }
    }
}
