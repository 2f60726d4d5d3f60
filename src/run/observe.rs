//! Feeding what a case saw into its operations' histories
//! ([`crate::history`]): every Operation body of every exchange (list items
//! included), in the order received. A history rule a sighting breaks
//! becomes a failing check of the step that made the exchange.

use serde_json::Value;

use crate::contract::Endpoint;
use crate::history::{Breach, Sighting};
use crate::model::{CheckResult, Exchange, StepResult};

use super::checks::check;
use super::engine::{AttemptCtx, CaseObs, Engine, Src};
use crate::judge::route::{Route, classify};

impl Engine {
    /// The route (endpoint and operation id) an exchange's request named.
    pub(crate) fn route_of(&self, exchange: &Exchange) -> Route {
        let base = url::Url::parse(&self.target.base_url)
            .map(|u| u.path().trim_end_matches('/').to_string())
            .unwrap_or_default();
        let (path, query) = match url::Url::parse(&exchange.request.url) {
            Ok(u) => (u.path().to_string(), u.query().map(str::to_string)),
            Err(_) => (exchange.request.url.clone(), None),
        };
        let rel = path.strip_prefix(base.as_str()).unwrap_or(&path);
        let target = match query {
            Some(q) => format!("{rel}?{q}"),
            None => rel.to_string(),
        };
        classify(&exchange.request.method, &target)
    }

    /// Feeds the step's exchanges into the case's histories and notes which
    /// operations a cancel may have reached; appends a failing check for
    /// every history rule broken. True when one was.
    pub(crate) fn observe_step(
        &self,
        obs: &mut CaseObs,
        ctx: &AttemptCtx,
        step: &mut StepResult,
    ) -> bool {
        for (name, invariant) in &ctx.unchanged {
            if let Some(f) = ctx.vars.fixtures.get(name) {
                obs.must_not_cancel
                    .entry(f.id.clone())
                    .or_insert_with(|| invariant.clone());
            }
        }
        let mut breaches: Vec<(usize, Breach<Src>)> = Vec::new();
        let key_of = |e: &Exchange| {
            e.request
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("idempotency-key"))
                .map(|(_, v)| v.clone())
        };
        for exchange in &step.exchanges {
            if let Some(key) = key_of(exchange) {
                *obs.keys.entry(key).or_insert(0) += 1;
            }
        }
        for (i, exchange) in step.exchanges.iter().enumerate() {
            let route = self.route_of(exchange);
            note_cancel(obs, &route, exchange);
            // A key sent more than once: its answers may replay an earlier
            // snapshot (AIP-155), which is not the operation's state now.
            if key_of(exchange).is_some_and(|k| obs.keys.get(&k).is_some_and(|n| *n > 1)) {
                continue;
            }
            let src = format!(
                "attempt {}, step `{}`, exchange {} at {:.2} s",
                obs.attempt,
                step.name,
                i + 1,
                exchange.at_ms as f64 / 1000.0
            );
            for b in sight(obs, &route, exchange, &src) {
                breaches.push((i, b));
            }
        }
        let any = !breaches.is_empty();
        for (i, b) in breaches {
            obs.breached.insert(b.invariant);
            step.checks
                .push(breach_check(b, Some(i), self.options.mode));
        }
        any
    }
}

/// Records that a cancel may have reached an operation: an accepted one
/// (2xx), or one whose answer was lost or an error of the server's own
/// (it may have been applied).
fn note_cancel(obs: &mut CaseObs, route: &Route, exchange: &Exchange) {
    if route.endpoint != Endpoint::Cancel {
        return;
    }
    let Some(id) = &route.op_id else { return };
    let status = exchange.response.as_ref().map(|r| r.status);
    let reached = match status {
        None => !exchange
            .error
            .as_deref()
            .is_some_and(|e| e.starts_with("not sent")),
        Some(s) => (200..300).contains(&s) || s >= 500,
    };
    if reached {
        let id = canonical(id);
        obs.maybe_cancelled.entry(id).or_insert(exchange.at_ms);
    }
}

/// The canonical id of a path id (`op_` prefixed).
pub(crate) fn canonical(id: &str) -> String {
    if id.starts_with("op_") {
        id.to_string()
    } else {
        format!("op_{id}")
    }
}

/// Feeds one exchange's Operation bodies into the histories.
pub(crate) fn sight(
    obs: &mut CaseObs,
    route: &Route,
    exchange: &Exchange,
    src: &Src,
) -> Vec<Breach<Src>> {
    let Some(resp) = &exchange.response else {
        return Vec::new();
    };
    if !(200..300).contains(&resp.status) || resp.body_truncated || exchange.error.is_some() {
        return Vec::new();
    }
    let Ok(body) = serde_json::from_str::<Value>(&resp.body_excerpt) else {
        return Vec::new();
    };
    let path = url::Url::parse(&exchange.request.url)
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    let etag = resp.header("etag");
    let mut out = Vec::new();
    match route.endpoint {
        Endpoint::List => {
            for item in body
                .get("data")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                out.extend(obs.history.observe(Sighting {
                    at_ms: exchange.at_ms,
                    endpoint: Endpoint::List,
                    path: &path,
                    etag: None,
                    body: item,
                    src: src.clone(),
                }));
            }
        }
        Endpoint::Get | Endpoint::Wait | Endpoint::Cancel => {
            out.extend(obs.history.observe(Sighting {
                at_ms: exchange.at_ms,
                endpoint: route.endpoint,
                path: &path,
                etag,
                body: &body,
                src: src.clone(),
            }));
        }
        Endpoint::Other => {}
    }
    out
}

/// A history breach as a failing check of the exchange at `index`.
pub(crate) fn breach_check(
    b: Breach<Src>,
    index: Option<usize>,
    mode: crate::contract::Mode,
) -> CheckResult {
    let evidence = match b.evidence.as_slice() {
        [first, .., _] => format!(" (earlier: {first})"),
        _ => String::new(),
    };
    check(
        b.invariant,
        false,
        b.expected,
        format!("{}{evidence}", b.actual),
        index,
        mode,
    )
}
