//! `eventually`: a condition on a fixture that must come true before a
//! deadline, observed through `:wait` long-polls (falling back to GET
//! polling on a non-200) or through GET polling.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::case::{Eventually, Via};
use crate::contract::Endpoint;
use crate::model::{CheckResult, StepResult};

use super::checks::{check, describe_found, describe_json_is, json_is_holds, short};
use super::engine::{AttemptCtx, Engine, remaining};
use super::request::join_url;
use crate::target::OutgoingRequest;

/// Slack added to a `:wait` request's own timeout before the client gives up.
const WAIT_SLACK: Duration = Duration::from_secs(5);

impl Engine {
    /// Observes the fixture until `ev.json` holds or the deadline
    /// (`ev.within_ms` capped by the settle deadline) passes. Every read is
    /// recorded in `result` and body-checked.
    pub(crate) async fn eventually(
        &self,
        ctx: &AttemptCtx,
        ev: &Eventually,
        invariant: &str,
        result: &mut StepResult,
    ) -> CheckResult {
        let mode = self.options.mode;
        let budget = Duration::from_millis(ev.within_ms).min(self.options.settle_deadline);
        let Some(fixture) = ctx.vars.fixtures.get(&ev.fixture) else {
            return check(
                invariant,
                false,
                format!(
                    "`eventually` names a fixture of the case (`{}`)",
                    ev.fixture
                ),
                "no such fixture",
                None,
                mode,
            );
        };
        let mut wanted: Vec<(String, Value)> = Vec::new();
        for (pointer, v) in &ev.json {
            let rendered = serde_json::to_value(v)
                .map_err(|e| e.to_string())
                .and_then(|v| {
                    self.renderer
                        .render_json(&v, &ctx.vars)
                        .map_err(|e| e.to_string())
                });
            match rendered {
                Ok(v) => wanted.push((pointer.clone(), v)),
                Err(e) => {
                    return check(
                        invariant,
                        false,
                        format!("{pointer} renders"),
                        e,
                        None,
                        mode,
                    );
                }
            }
        }
        let condition = wanted
            .iter()
            .map(|(p, v)| format!("{p} == {}", short(v)))
            .chain(ev.json_is.iter().map(|(p, is)| describe_json_is(p, *is)))
            .collect::<Vec<_>>()
            .join(" and ");
        let expected = format!(
            "fixture `{}`: {condition} within {} ms",
            ev.fixture,
            budget.as_millis()
        );
        let id = fixture.id.clone();
        let started = Instant::now();
        let deadline = started + budget;
        let mut use_wait = ev.via == Via::Wait;
        let mut last_seen;
        loop {
            let left = remaining(deadline);
            let (sent, endpoint) = if use_wait {
                let secs = left.as_secs_f64().ceil().clamp(1.0, 60.0) as u64;
                (
                    self.client
                        .send(&self.op_request(
                            "POST",
                            &format!("/operations/{id}:wait"),
                            &[("timeout".into(), secs.to_string())],
                            Duration::from_secs(secs) + WAIT_SLACK,
                        ))
                        .await,
                    Endpoint::Wait,
                )
            } else {
                (
                    self.client
                        .send(&self.op_request(
                            "GET",
                            &format!("/operations/{id}"),
                            &[],
                            self.options.request_timeout,
                        ))
                        .await,
                    Endpoint::Get,
                )
            };
            let status = sent.response.as_ref().map(|r| r.status);
            let quick = sent.exchange.elapsed_ms < self.options.poll_interval.as_millis() as u64;
            let idx = result.exchanges.len();
            match self.record_read(sent, endpoint, result) {
                Some(body) => {
                    let holds = wanted.iter().all(|(p, v)| body.pointer(p) == Some(v))
                        && ev
                            .json_is
                            .iter()
                            .all(|(p, is)| json_is_holds(body.pointer(p), *is));
                    last_seen = wanted
                        .iter()
                        .map(|(p, _)| p)
                        .chain(ev.json_is.keys())
                        .map(|p| describe_found(p, body.pointer(p)))
                        .collect::<Vec<_>>()
                        .join(" and ");
                    if holds {
                        let elapsed = started.elapsed().as_millis() as u64;
                        let mut c = check(
                            invariant,
                            elapsed <= budget.as_millis() as u64,
                            expected,
                            format!("held after {elapsed} ms"),
                            Some(idx),
                            mode,
                        );
                        c.elapsed_ms = Some(elapsed);
                        return c;
                    }
                    if body.get("done") == Some(&Value::Bool(true)) {
                        // Done operations are immutable (S-OAS get/wait): the
                        // condition can no longer come true, so stop waiting.
                        last_seen
                            .push_str(" (the operation is done; done operations never change)");
                        break;
                    }
                }
                None => {
                    if use_wait {
                        // `:wait` unusable here: fall back to polling.
                        use_wait = false;
                    }
                    last_seen = match status {
                        Some(s) => format!("status {s}"),
                        None => "no response".into(),
                    };
                }
            }
            if Instant::now() >= deadline {
                break;
            }
            if !use_wait || quick {
                tokio::time::sleep(self.options.poll_interval.min(remaining(deadline))).await;
            }
        }
        let elapsed = started.elapsed().as_millis() as u64;
        let mut c = check(
            invariant,
            false,
            expected,
            format!("not reached after {elapsed} ms; last seen: {last_seen}"),
            result.exchanges.len().checked_sub(1),
            mode,
        );
        c.elapsed_ms = Some(elapsed);
        c
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
