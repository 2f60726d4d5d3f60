//! The watch: after a case's steps, its running operations are read until
//! they are done and for a settle window after, so that rules only time
//! shows are judged (a done operation that changes later, an ETag that
//! never changes, a `last_error` never cleared, a rejected cancel that took
//! effect after all).
//!
//! When the watch of an operation ends:
//! - once it is seen done: a settle window (`--settle-window`) after that;
//! - while it is not done: once the run is quiet (every case's steps are
//!   done) and it stood still (no change, no cancel sent) for the settle
//!   window, or at the settle deadline. An operation that never moves costs
//!   nothing; one that moves is followed until it is done. Whether an
//!   accepted cancel settles in time is CANCEL-SETTLES's, judged by the
//!   case that waits for it.

use std::collections::BTreeSet;
use std::time::Instant;

use crate::case::PlannedCase;
use crate::contract::Endpoint;
use crate::model::{CheckResult, StepResult, Verdict};

use super::checks::check;
use super::engine::{CaseObs, Engine};
use super::observe::{breach_check, sight};
use crate::contract::id;
use crate::judge::route::Route;

/// One operation being watched.
struct Watched {
    id: String,
    name: String,
    attempt: u32,
    created_ms: u64,
    done: bool,
}

impl Engine {
    /// Watches the case's running operations (see the module docs) and
    /// judges what their histories show. `None` when there was nothing to
    /// watch or judge.
    pub(crate) async fn watch(
        &self,
        planned: &PlannedCase,
        obs: &mut CaseObs,
        deadline: Option<Instant>,
    ) -> Option<StepResult> {
        let started = Instant::now();
        let mode = self.options.mode;
        let window = self.options.settle_window.as_millis() as u64;
        let limit = self.options.settle_deadline.as_millis() as u64;
        let mut step = StepResult {
            name: "watch: the case's operations until done and settled".into(),
            exchanges: Vec::new(),
            checks: Vec::new(),
            duration_ms: 0,
        };
        let mut seen = BTreeSet::new();
        let mut targets: Vec<Watched> = obs
            .running
            .iter()
            .filter(|(id, ..)| seen.insert(id.clone()))
            .map(|(id, name, attempt, created_ms)| Watched {
                id: id.clone(),
                name: name.clone(),
                attempt: *attempt,
                created_ms: *created_ms,
                done: false,
            })
            .collect();
        let watch_start = self.client.now_ms();
        while targets.iter().any(|t| !t.done) && deadline.is_none_or(|d| Instant::now() < d) {
            for t in targets.iter_mut().filter(|t| !t.done) {
                let idx = step.exchanges.len();
                let body = self.read_fixture(&t.id, &mut step).await;
                let Some(exchange) = step.exchanges.get(idx).cloned() else {
                    t.done = true;
                    continue;
                };
                let route = Route {
                    endpoint: Endpoint::Get,
                    op_id: Some(t.id.clone()),
                };
                let src = format!(
                    "watch of `{}` (attempt {}) at {:.2} s",
                    t.name,
                    t.attempt,
                    exchange.at_ms as f64 / 1000.0
                );
                for b in sight(obs, &route, &exchange, &src) {
                    step.checks.push(breach_check(b, Some(idx), mode));
                }
                if body.is_none() {
                    // Gone or unreadable: nothing more to follow.
                    t.done = true;
                    continue;
                }
                let now = self.client.now_ms();
                let history = obs.history.get(&t.id);
                // Done: a settle window after. Not done: followed while it
                // moves; once every case's steps are done, it is left when
                // it stood still for the settle window (a frozen operation
                // costs nothing), or at the settle deadline.
                t.done = match history.and_then(|h| h.done_at_ms()) {
                    Some(done_at) => now >= done_at + window,
                    None => {
                        let changed = history
                            .and_then(|h| h.changed_at_ms())
                            .into_iter()
                            .chain(obs.maybe_cancelled.get(&t.id).copied())
                            .chain([t.created_ms])
                            .max()
                            .unwrap_or(t.created_ms);
                        (self.quiet.is_quiet() && now.saturating_sub(changed) >= window)
                            || now >= watch_start + limit
                    }
                };
            }
            if targets.iter().any(|t| !t.done) {
                tokio::time::sleep(self.options.watch_interval).await;
            }
        }
        // A rejected request must have had no effect: an operation of the
        // case that ended CANCELLED though no cancel of the case reached it.
        for t in &targets {
            let Some(h) = obs.history.get(&t.id) else {
                continue;
            };
            let cancelled = h.final_state() == Some("CANCELLED");
            if cancelled && !obs.maybe_cancelled.contains_key(&t.id) {
                let invariant = obs
                    .must_not_cancel
                    .get(&t.id)
                    .cloned()
                    .or_else(|| planned.case.invariants.first().cloned())
                    .unwrap_or_else(|| id::CANCEL_NO_SIDE_EFFECT_ON_DONE.into());
                step.checks.push(check(
                    &invariant,
                    false,
                    format!(
                        "fixture `{}` is only cancelled by a cancel the target accepted",
                        t.name
                    ),
                    "it ended CANCELLED although every cancel of it was rejected",
                    step.exchanges.len().checked_sub(1),
                    mode,
                ));
            }
        }
        // The history rules that applied and held.
        let mut failed: BTreeSet<String> = step
            .checks
            .iter()
            .filter(|c| c.verdict == Verdict::Fail)
            .map(|c| c.invariant.clone())
            .collect();
        failed.extend(obs.breached.iter().map(|s| s.to_string()));
        let mut exercised: BTreeSet<&'static str> = BTreeSet::new();
        for (_, h) in obs.history.iter() {
            exercised.extend(h.exercised());
        }
        for inv in crate::history::INVARIANTS {
            if exercised.contains(inv) && !failed.contains(inv) {
                step.checks.push(held(inv, mode));
            }
        }
        if step.exchanges.is_empty() && step.checks.is_empty() {
            return None;
        }
        step.duration_ms = started.elapsed().as_millis() as u64;
        Some(step)
    }
}

fn held(invariant: &str, mode: crate::contract::Mode) -> CheckResult {
    let title = crate::contract::find(invariant)
        .map_or_else(|| invariant.to_string(), |i| i.title.to_string());
    check(
        invariant,
        true,
        title,
        "held over the operations' histories",
        None,
        mode,
    )
}
