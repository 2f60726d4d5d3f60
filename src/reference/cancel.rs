//! `POST /v1/operations/{id}:cancel` (D-CANCEL): 202 with the current
//! envelope while the worker drains the current step; 422 once done (done
//! operations are immutable); replays by Idempotency-Key (digest §3); a stale
//! If-Match → 409 (akua's convention, digest §3), after 401/403/404/422
//! (RFC 9110 §13.2.1). The alternate dialect answers 200, 409 and 412
//! instead (statuses from [`App::accepted_status`] and
//! [`ErrorKind::status_in`](super::errors::ErrorKind::status_in)).

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::app::{App, HEADER_TOKEN_MAX, bounded_header};
use super::errors::{ApiError, ErrorKind};
use super::etag::{self, ListRule};
use super::faults::Fault;
use super::idempotency::{Begin, Reservation, StoredResponse};
use super::lifecycle::{self, Forced, Snapshot};
use super::routes::Reply;
use super::store::OpRecord;

/// The slow write the `key-recorded-after-write` fault records keys after.
const FAULTY_WRITE_LATENCY: Duration = Duration::from_millis(25);

/// How long the check-then-act race faults spend between their early read
/// and their write (a round trip to another store): long enough that
/// requests released together land inside it, short enough that no
/// sequential client notices.
const RACE_WINDOW: Duration = Duration::from_millis(5);

/// How long after the response's bytes the `key-stored-after-response`
/// fault's hook commits the key's answer (a write to another store): long
/// enough that a client hanging up after the status line does so first,
/// even on a loaded machine.
const AFTER_RESPONSE_COMMIT: Duration = Duration::from_millis(50);

/// What the check-then-act race faults read before the operation's lock.
#[derive(Debug, Clone, Copy)]
struct EarlyRead {
    /// `ifmatch-check-then-act`: the If-Match verdict on the early read.
    if_match_stale: Option<bool>,
    /// `double-transition-on-concurrent-cancels`: the early read showed no
    /// cancel yet.
    not_cancelling: bool,
}

/// The `idempotency-key` header after its 1–64 check.
fn idempotency_key<'h>(app: &App, headers: &'h HeaderMap) -> Result<Option<&'h str>, ApiError> {
    let max = if app.has(Fault::KeyLenOffByOne) {
        HEADER_TOKEN_MAX + 1
    } else {
        HEADER_TOKEN_MAX
    };
    let min = usize::from(!app.has(Fault::KeyEmptyAccepted));
    let kind = ErrorKind::InvalidIdempotencyKey;
    let key = bounded_header(headers, "idempotency-key", min, max, kind)?;
    if let Some(k) = key {
        let len = k.chars().count();
        if app.has(Fault::KeyLen49To63Rejected) && (49..=63).contains(&len) {
            return Err(
                ApiError::new(kind, "idempotency-key is too long").at("header", "idempotency-key")
            );
        }
    }
    // The IETF draft sends the key as an RFC 8941 String ("..."); akua's
    // example is bare. Both spellings name the same key.
    let key = key.map(
        |k| match k.strip_prefix('"').and_then(|k| k.strip_suffix('"')) {
            Some(inner) if !inner.is_empty() => inner,
            _ => k,
        },
    );
    Ok(key.filter(|k| !k.is_empty()))
}

/// POST /v1/operations/{id}:cancel (D-CANCEL): 202 with the current
/// envelope while the worker drains the step; 422 once done; replays by
/// Idempotency-Key; If-Match compared strongly, stale → 409.
pub(crate) async fn cancel(app: &App, id: &str, headers: &HeaderMap) -> Reply {
    let grant = app.authenticate(headers)?;
    let context = app.context(headers)?;
    app.check_id(id)?;
    let key = idempotency_key(app, headers)?;
    let if_match_max = if app.has(Fault::IfMatchLenUnchecked) {
        usize::MAX
    } else {
        HEADER_TOKEN_MAX
    };
    let if_match = bounded_header(
        headers,
        "if-match",
        1,
        if_match_max,
        ErrorKind::InvalidIfMatch,
    )?;
    let ws = app.workspace(grant, context)?;
    let found = match app.lookup(id, Some(ws)) {
        Err(e)
            if matches!(e.kind, ErrorKind::NotFound | ErrorKind::Forbidden)
                && app.has(Fault::ForeignCancelApplied) =>
        {
            // The bug: the write happens before the workspace check.
            if let Ok(foreign) = app.lookup(id, None) {
                let now = app.clock.now();
                foreign.rec.with_mutable(|m| {
                    if m.cancel_at.is_none() {
                        m.cancel_at = Some(now);
                    }
                });
                foreign.rec.changed.notify_waiters();
                schedule_eviction(app, &foreign.rec, &app.snapshot(&foreign.rec, now));
            }
            return Err(e);
        }
        other => other?,
    };
    let rec = &found.rec;
    if app.has(Fault::Replay422AfterDone)
        && key.is_some()
        && app.snapshot(rec, app.clock.now()).done()
    {
        return Err(already_done(&rec.id));
    }
    let after_write = app.has(Fault::KeyRecordedAfterWrite);
    let mut reservation = None;
    if let Some(key) = key {
        // The fault looks the key up but reserves it only after the write.
        let looked_up = if after_write {
            app.keys
                .peek(ws, key, &rec.id, if_match, app.clock.now())
                .unwrap_or(Begin::Unreserved)
        } else {
            app.keys
                .begin_request(ws, key, &rec.id, if_match, app.clock.now())
        };
        match looked_up {
            Begin::Unreserved => {}
            Begin::Fresh(r) => reservation = Some(r),
            Begin::Replay(stored) => {
                if app.has(Fault::ReplayNewBody) {
                    let snap = app.snapshot(rec, app.clock.now());
                    let status =
                        StatusCode::from_u16(stored.status).unwrap_or(app.accepted_status());
                    return Ok(app
                        .operation_response(status, rec, &snap, found.shown_id, true)
                        .0);
                }
                return Ok(app.replay(&stored));
            }
            Begin::OtherOperation(stored) => {
                if let Some(stored) = stored.filter(|_| app.has(Fault::KeyReusedAcrossOps)) {
                    return Ok(app.replay(&stored));
                }
                return Err(ApiError::new(
                    ErrorKind::IdempotencyKeyReused,
                    "idempotency-key was already used for another operation",
                )
                .at("header", "idempotency-key"));
            }
            Begin::OtherRequest => {
                return Err(ApiError::new(
                    ErrorKind::IdempotencyKeyReused,
                    "idempotency-key was already used for another request on this operation (another if-match)",
                )
                .at("header", "idempotency-key"));
            }
            Begin::InFlight => {
                return Err(ApiError::new(
                    ErrorKind::IdempotencyKeyInFlight,
                    "a request with this idempotency-key is still in flight",
                )
                .at("header", "idempotency-key"));
            }
        }
    }
    let latency = if after_write {
        app.cancel_write_latency.max(FAULTY_WRITE_LATENCY)
    } else {
        app.cancel_write_latency
    };
    if !latency.is_zero() {
        // A client that goes away here drops the reservation, releasing the key.
        tokio::time::sleep(latency).await;
    }
    let early = if app.faults.any(&[
        Fault::IfMatchCheckThenAct,
        Fault::DoubleTransitionOnConcurrentCancels,
    ]) {
        // The bug of both: decide on a read taken outside the operation's
        // lock, then act after a round trip, when it may be stale.
        let snap = app.snapshot(rec, app.clock.now());
        let tag = app.tag(rec, &snap);
        let read = EarlyRead {
            if_match_stale: app
                .has(Fault::IfMatchCheckThenAct)
                .then(|| if_match.is_some_and(|v| !etag::matches(v, &tag, ListRule::Any))),
            not_cancelling: app.has(Fault::DoubleTransitionOnConcurrentCancels)
                && !snap.cancel_requested
                && !snap.done(),
        };
        tokio::time::sleep(RACE_WINDOW).await;
        Some(read)
    } else {
        None
    };
    let outcome = apply_cancel(app, rec, if_match, after_write && key.is_some(), early);
    rec.changed.notify_waiters();
    let (resp, stored) = match outcome {
        Ok(snap) => {
            schedule_eviction(app, rec, &snap);
            let status =
                if snap.done() && app.has(Fault::CancelTerminal200) && !snap.cancel_requested {
                    StatusCode::OK
                } else {
                    app.accepted_status()
                };
            app.operation_response(status, rec, &snap, found.shown_id, true)
        }
        Err(e) if e.kind == ErrorKind::AlreadyDone => {
            // A 422 (409) is a completed answer: a replay returns it too.
            let stored = app.stored_error(&e);
            schedule_eviction(app, rec, &app.snapshot(rec, app.clock.now()));
            (e.into_response(), stored)
        }
        Err(e) => return Err(e), // not recorded: the reservation is released
    };
    if let Some(r) = reservation {
        if app.has(Fault::KeyStoredAfterResponse) {
            return Ok(store_after_write(resp, r, stored));
        }
        r.finish(stored);
    } else if let (true, Some(key)) = (after_write, key) {
        app.keys
            .record(ws, key, &rec.id, if_match, stored, app.clock.now());
    }
    Ok(resp)
}

/// The `key-stored-after-response` bug: the key's answer is stored by a
/// hook that runs once the response is written. hyper drops the body of a
/// client that went away, and the reservation with it (the key is free
/// again, while the cancel stands).
fn store_after_write(resp: Response, reservation: Reservation, stored: StoredResponse) -> Response {
    let (mut parts, _) = resp.into_parts();
    // No length: hyper sends the body chunked and polls it to its end,
    // which is where the hook runs.
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = StoreAfterWrite {
        data: Some(stored.body.clone()),
        commit: None,
        pending: Some((reservation, stored)),
    };
    Response::from_parts(parts, Body::new(body))
}

/// The body of [`store_after_write`]: the bytes, then the commit, then the
/// end of the body.
struct StoreAfterWrite {
    data: Option<Bytes>,
    commit: Option<Pin<Box<tokio::time::Sleep>>>,
    pending: Option<(Reservation, StoredResponse)>,
}

impl hyper::body::Body for StoreAfterWrite {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
        let this = &mut *self;
        if let Some(data) = this.data.take() {
            return Poll::Ready(Some(Ok(hyper::body::Frame::data(data))));
        }
        if this.pending.is_none() {
            return Poll::Ready(None);
        }
        // Asked for more: the bytes are written.
        let commit = this
            .commit
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(AFTER_RESPONSE_COMMIT)));
        ready!(commit.as_mut().poll(cx));
        if let Some((reservation, stored)) = this.pending.take() {
            reservation.finish(stored);
        }
        Poll::Ready(None)
    }
}

/// Evicts `rec` a retention period after it finishes, now that a cancel
/// may have brought that forward (or a faulty path wrote a terminal state).
fn schedule_eviction(app: &App, rec: &OpRecord, snap: &Snapshot) {
    if let Some(at) = snap.terminal_at.or(snap.done_at) {
        app.store.finishes_at(rec, at);
    }
}

fn already_done(id: &str) -> ApiError {
    ApiError::new(
        ErrorKind::AlreadyDone,
        format!("operation {id} is already done; cancellation rejected"),
    )
}

/// The cancel transition, under the operation's lock (`early`: what a
/// race fault decided before taking it).
fn apply_cancel(
    app: &App,
    rec: &OpRecord,
    if_match: Option<&str>,
    duplicate_write: bool,
    early: Option<EarlyRead>,
) -> Result<Snapshot, ApiError> {
    let lf = app.lifecycle_faults();
    rec.with_mutable(|m| {
        // The instant is read under the lock: a cancel that waited for it
        // must not answer with the operation as it was before a cancel
        // that took the lock first (timestamps follow the lock order).
        let now = app.clock.now();
        let snap = lifecycle::snapshot(&app.clock, rec.plan, rec.created, m, now, lf);
        let tag = app.tag(rec, &snap);
        let rule = if app.has(Fault::IfMatchListFirstOnly) {
            ListRule::FirstOnly
        } else {
            ListRule::Any
        };
        let stale = || {
            let current = etag::header_value(&tag);
            ApiError::new(
                ErrorKind::PreconditionFailed,
                format!("if-match does not match the current entity-tag {current}"),
            )
            .at("header", "if-match")
        };
        let check_if_match = !app.has(Fault::IfMatchIgnored);
        let matches = |v: &str| {
            if app.has(Fault::IfMatchUnquotedCompare) {
                // The bug: the header is compared verbatim with the stored
                // tag, which is kept without its quotes.
                v == "*" || v == tag
            } else {
                etag::matches(v, &tag, rule)
            }
        };
        let mismatch = match early.and_then(|e| e.if_match_stale) {
            // `ifmatch-check-then-act`: the verdict on the early read stands.
            Some(stale) => stale,
            None => check_if_match && if_match.is_some_and(|v| !matches(v)),
        };
        if app.has(Fault::IfMatchBeforeTerminal) && mismatch {
            return Err(stale());
        }
        if snap.done() {
            if app.has(Fault::CancelTerminal200) {
                return Ok(snap);
            }
            if app.has(Fault::CancelTerminalMutates) {
                m.forced = Some(Forced {
                    at: now,
                    with_error: true,
                });
            }
            return Err(already_done(&rec.id));
        }
        if mismatch {
            return Err(stale());
        }
        if app.has(Fault::Cancel200Settled) {
            m.forced = Some(Forced {
                at: now,
                with_error: false,
            });
        } else if m.cancel_at.is_none() {
            m.cancel_at = Some(now);
            m.cancel_settles = !app.has(Fault::CancelNeverSettles);
        } else if app.has(Fault::Recancel409) {
            return Err(ApiError::new(
                ErrorKind::CancelInProgress,
                "cancellation is already in progress",
            ));
        } else if duplicate_write || early.is_some_and(|e| e.not_cancelling) {
            // A second cancel step: the write trusted a stale "not yet".
            m.extra_cancels += 1;
        }
        // An operation already cancelling: 202 again, no second transition.
        Ok(lifecycle::snapshot(
            &app.clock,
            rec.plan,
            rec.created,
            m,
            now,
            lf,
        ))
    })
}
