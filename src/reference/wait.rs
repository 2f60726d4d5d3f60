//! `POST /v1/operations/{id}:wait` (D-WAIT): long-polls until the operation
//! is done or `timeout` (integer 1–60, default 30) elapses; 200 with the
//! latest Operation either way. "The response fires within milliseconds of
//! the workflow reaching its terminal state": the handler sleeps until the
//! scheduled transition and is woken by the operation's `Notify` when a
//! cancel moves it.

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode, header};

use super::app::App;
use super::errors::{ApiError, ErrorKind};
use super::faults::Fault;
use super::query::{parse_uint, query_param};
use super::routes::Reply;

/// `:wait` timeout default and maximum (D-WAIT: "Default 30, max 60").
const WAIT_DEFAULT_SECS: u64 = 30;
const WAIT_MAX_SECS: u64 = 60;

/// How late the `wait-answers-late` fault's flush queue sends answers.
const LATE_FLUSH: Duration = Duration::from_secs(3);

/// How long after its read the `wait-misses-wakeups` fault subscribes.
const LATE_SUBSCRIBE: Duration = Duration::from_millis(5);

/// Handles `:wait` for the operation `id`.
pub(crate) async fn wait(app: &App, id: &str, headers: &HeaderMap, query: Option<&str>) -> Reply {
    let anonymous =
        app.has(Fault::AuthOptionalOnWait) && !headers.contains_key(header::AUTHORIZATION);
    let grant = if anonymous {
        None
    } else {
        Some(app.authenticate(headers)?)
    };
    let context = app.context(headers)?;
    app.check_id(id)?;
    let timeout = match query_param(query, "timeout") {
        None => WAIT_DEFAULT_SECS,
        Some(raw) => {
            let invalid = || {
                ApiError::new(
                    ErrorKind::InvalidTimeout,
                    format!("timeout must be an integer from 1 to {WAIT_MAX_SECS}, got {raw:?}"),
                )
                .at("query", "timeout")
            };
            let n = parse_uint(&raw).ok_or_else(invalid)?;
            if app.has(Fault::WaitTimeoutClamped) {
                n.clamp(1, WAIT_MAX_SECS)
            } else if (1..=WAIT_MAX_SECS).contains(&n) {
                n
            } else {
                return Err(invalid());
            }
        }
    };
    let ws = match grant {
        Some(grant) => Some(app.workspace(grant, context)?),
        None => None,
    };
    let found = app.lookup(id, ws)?;
    let rec = &found.rec;
    let start = app.clock.now();
    let deadline = if app.has(Fault::WaitIgnoresTimeout) {
        start
    } else {
        start + Duration::from_secs(timeout)
    };
    let late_subscribe = app.has(Fault::WaitMissesWakeups);
    loop {
        // Register for wake-ups before reading, so no change is missed.
        let mut notified = Box::pin(rec.changed.notified());
        notified.as_mut().enable();
        let now = app.clock.now();
        let snap = app.snapshot(rec, now);
        if late_subscribe && !(snap.done() || now >= deadline) {
            // The bug: the subscription is set up only after the read and a
            // round trip, so a change in between wakes nobody.
            tokio::time::sleep(LATE_SUBSCRIBE).await;
            notified = Box::pin(rec.changed.notified());
            notified.as_mut().enable();
        }
        if snap.done() || now >= deadline {
            let (resp, _) =
                app.operation_response(StatusCode::OK, rec, &snap, found.shown_id, true);
            if app.has(Fault::WaitAnswersLate) {
                // The bug: answers go through a flush queue that drains late.
                tokio::time::sleep(LATE_FLUSH).await;
            }
            return Ok(resp);
        }
        if app.has(Fault::WaitNoWake) {
            tokio::time::sleep_until(deadline.into()).await;
            continue;
        }
        let wake = snap.terminal_at.map_or(deadline, |t| t.min(deadline));
        tokio::select! {
            () = tokio::time::sleep_until(wake.into()) => {}
            () = &mut notified => {}
        }
    }
}
