//! The routes under `/v1` (plus the fixture provider), with the order of
//! checks every endpoint shares: 401 (auth) → 400 (bounds) → 403
//! (akua-context) → 404 (lookup) → endpoint rules (422, then the If-Match 409:
//! RFC 9110 §13.2.1 lets 401/403/404/422 take precedence).
//!
//! axum 0.8 panics on `/{id}:cancel`, so `/v1/operations/{id}` takes GET and
//! POST and the verb is split off the last `:` after axum's Path extractor has
//! percent-decoded the segment (akua's CLI sends `%3A`, digest §3).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::app::{App, HEADER_TOKEN_MAX, bounded_header};
use super::config::ReferenceConfig;
use super::cursor;
use super::errors::{ApiError, ErrorKind};
use super::etag::{self, ListRule};
use super::faults::Fault;
use super::fixtures;
use super::ids::{self, split_verb};
use super::idempotency::{Begin, StoredResponse};
use super::lifecycle::Forced;
use super::render::{self, RenderOpts};
use super::store::{NewOp, Scope};

/// `:wait` timeout bounds and default (D-WAIT: "Default 30, max 60").
const WAIT_DEFAULT_SECS: u64 = 30;
const WAIT_MAX_SECS: u64 = 60;
/// List page size bounds and default (D-LIST: "1-100, default 50").
const LIST_DEFAULT_LIMIT: usize = 50;
const LIST_MAX_LIMIT: usize = 100;
/// The slow write the `key-recorded-after-write` fault records keys after.
const FAULTY_WRITE_LATENCY: Duration = Duration::from_millis(25);

type Reply = Result<Response, ApiError>;

/// The router of the reference for `config`.
pub(crate) fn router(config: &ReferenceConfig) -> Router {
    let app = Arc::new(App::new(config));
    let mut r = Router::new()
        .route("/v1/operations", get(list))
        .route("/v1/operations/{id}", get(get_operation).post(post_verb));
    if config.fixtures {
        r = r.route("/__fixtures/operations", post(create_fixture));
    }
    r = r
        .fallback(unknown_path)
        .method_not_allowed_fallback(method_not_allowed);
    let error_faults = [
        Fault::ErrorEnvelopeHtml,
        Fault::ErrorTextPlain,
        Fault::ErrorCodeString,
    ];
    if app.faults.any(&error_faults) {
        r = r.layer(axum::middleware::map_response_with_state(
            Arc::clone(&app),
            faulty_errors,
        ));
    }
    r.with_state(app)
}

async fn unknown_path(uri: Uri) -> ApiError {
    ApiError::new(ErrorKind::NotFound, format!("no route for {}", uri.path()))
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ErrorKind::MethodNotAllowed,
        "method not allowed: GET /v1/operations, GET /v1/operations/{id}, POST /v1/operations/{id}:cancel, POST /v1/operations/{id}:wait",
    )
}

/// The decoded `{id}` segment.
fn segment(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(s)| s).map_err(|e| {
        ApiError::new(ErrorKind::NotFound, format!("path not understood: {e}")).at("path", "id")
    })
}

async fn get_operation(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Reply {
    let segment = segment(path)?;
    let (id, verb) = split_verb(&segment);
    match verb {
        None => {}
        Some("cancel" | "wait") => {
            return Err(ApiError::new(
                ErrorKind::MethodNotAllowed,
                format!(":{} takes POST", verb.unwrap_or_default()),
            ));
        }
        Some(other) => {
            return Err(ApiError::new(ErrorKind::NotFound, format!("unknown method :{other}")));
        }
    }
    let ws = app.authenticate(&headers)?;
    let context = app.context(&headers)?;
    app.check_id(id)?;
    app.check_context(context, ws)?;
    let workspace = (!app.has(Fault::ForeignOpVisible)).then_some(ws);
    let found = app.lookup(id, workspace)?;
    let snap = app.snapshot(&found.rec, app.clock.now());
    let steps = !app.has(Fault::StepsMissingOnGet);
    let (resp, _) = app.operation_response(StatusCode::OK, &found.rec, &snap, found.shown_id, steps);
    Ok(resp)
}

async fn post_verb(
    State(app): State<Arc<App>>,
    uri: Uri,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    path: Result<Path<String>, PathRejection>,
) -> Reply {
    let segment = segment(path)?;
    let raw = uri.path();
    if app.has(Fault::ColonEncoded404) && (raw.contains("%3A") || raw.contains("%3a")) {
        return Err(ApiError::new(ErrorKind::NotFound, format!("no route for {raw}")));
    }
    let (id, verb) = split_verb(&segment);
    match verb {
        Some("cancel") => cancel(&app, id, &headers).await,
        Some("wait") => wait(&app, id, &headers, query.as_deref()).await,
        None => Err(ApiError::new(
            ErrorKind::MethodNotAllowed,
            "POST needs a method: /v1/operations/{id}:cancel or :wait",
        )),
        Some(other) => Err(ApiError::new(ErrorKind::NotFound, format!("unknown method :{other}"))),
    }
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
            return Err(ApiError::new(kind, "idempotency-key is too long").at("header", "idempotency-key"));
        }
    }
    Ok(key.filter(|k| !k.is_empty()))
}

/// POST /v1/operations/{id}:cancel (D-CANCEL): 202 with the current
/// envelope while the worker drains the step; 422 once done; replays by
/// Idempotency-Key; If-Match compared strongly, stale → 409.
async fn cancel(app: &App, id: &str, headers: &HeaderMap) -> Reply {
    let ws = app.authenticate(headers)?;
    let context = app.context(headers)?;
    app.check_id(id)?;
    let key = idempotency_key(app, headers)?;
    let if_match_max = if app.has(Fault::IfMatchLenUnchecked) {
        usize::MAX
    } else {
        HEADER_TOKEN_MAX
    };
    let if_match = bounded_header(headers, "if-match", 1, if_match_max, ErrorKind::InvalidIfMatch)?;
    app.check_context(context, ws)?;
    let found = match app.lookup(id, Some(ws)) {
        Err(e) if e.kind == ErrorKind::NotFound && app.has(Fault::ForeignCancelApplied) => {
            // The bug: the write happens before the workspace check.
            if let Ok(foreign) = app.lookup(id, None) {
                let now = app.clock.now();
                foreign.rec.with_mutable(|m| {
                    if m.cancel_at.is_none() {
                        m.cancel_at = Some(now);
                    }
                });
                foreign.rec.changed.notify_waiters();
            }
            return Err(e);
        }
        other => other?,
    };
    let rec = &found.rec;
    if app.has(Fault::Replay422AfterDone) && key.is_some() && app.snapshot(rec, app.clock.now()).done() {
        return Err(already_done(&rec.id));
    }
    let after_write = app.has(Fault::KeyRecordedAfterWrite);
    let mut reservation = None;
    if let Some(key) = key.filter(|_| !after_write) {
        match app.keys.begin(ws, key, &rec.id, app.clock.now()) {
            Begin::Fresh(r) => reservation = Some(r),
            Begin::Replay(stored) => {
                if app.has(Fault::ReplayNewBody) {
                    let snap = app.snapshot(rec, app.clock.now());
                    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::ACCEPTED);
                    return Ok(app.operation_response(status, rec, &snap, found.shown_id, true).0);
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
    let outcome = apply_cancel(app, rec, if_match, after_write && key.is_some());
    rec.changed.notify_waiters();
    let (resp, stored) = match outcome {
        Ok(snap) => {
            let status = if snap.done() && app.has(Fault::CancelTerminal200) && !snap.cancel_requested {
                StatusCode::OK
            } else {
                StatusCode::ACCEPTED
            };
            app.operation_response(status, rec, &snap, found.shown_id, true)
        }
        Err(e) if e.kind == ErrorKind::AlreadyDone => {
            // A 422 is a completed answer: a replay returns it too.
            let stored = StoredResponse {
                status: 422,
                body: e.envelope(false).into(),
                etag: None,
            };
            (e.into_response(), stored)
        }
        Err(e) => return Err(e), // not recorded: the reservation is released
    };
    if let Some(r) = reservation {
        r.finish(stored);
    } else if let (true, Some(key)) = (after_write, key) {
        app.keys.record(ws, key, &rec.id, stored, app.clock.now());
    }
    Ok(resp)
}

fn already_done(id: &str) -> ApiError {
    ApiError::new(
        ErrorKind::AlreadyDone,
        format!("operation {id} is already done; cancellation rejected"),
    )
}

/// The cancel transition, under the operation's lock.
fn apply_cancel(
    app: &App,
    rec: &super::store::OpRecord,
    if_match: Option<&str>,
    duplicate_write: bool,
) -> Result<super::lifecycle::Snapshot, ApiError> {
    let now = app.clock.now();
    let lf = app.lifecycle_faults();
    rec.with_mutable(|m| {
        let snap = super::lifecycle::snapshot(&app.clock, rec.plan, rec.created, m, now, lf);
        let tag = etag::tag(rec.seq, snap.revision);
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
        let mismatch = check_if_match && if_match.is_some_and(|v| !etag::matches(v, &tag, rule));
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
                ErrorKind::PreconditionFailed,
                "cancellation is already in progress",
            ));
        } else if duplicate_write {
            m.extra_cancels += 1;
        }
        // An operation already cancelling: 202 again, no second transition.
        Ok(super::lifecycle::snapshot(&app.clock, rec.plan, rec.created, m, now, lf))
    })
}

/// The first value of query parameter `name`.
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    let query = query?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A non-negative decimal integer, digits only (so `1.5`, `-1`, `abc` fail).
fn parse_uint(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// POST /v1/operations/{id}:wait (D-WAIT): long-polls until done or the
/// timeout; answers 200 with the latest Operation either way, within
/// milliseconds of the terminal transition.
async fn wait(app: &App, id: &str, headers: &HeaderMap, query: Option<&str>) -> Reply {
    let anonymous = app.has(Fault::AuthOptionalOnWait) && !headers.contains_key(header::AUTHORIZATION);
    let ws = if anonymous {
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
    if let Some(ws) = ws {
        app.check_context(context, ws)?;
    }
    let found = app.lookup(id, ws)?;
    let rec = &found.rec;
    let start = app.clock.now();
    let deadline = if app.has(Fault::WaitIgnoresTimeout) {
        start
    } else {
        start + Duration::from_secs(timeout)
    };
    loop {
        // Register for wake-ups before reading, so no change is missed.
        let notified = rec.changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let now = app.clock.now();
        let snap = app.snapshot(rec, now);
        if snap.done() || now >= deadline {
            let (resp, _) = app.operation_response(StatusCode::OK, rec, &snap, found.shown_id, true);
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

/// GET /v1/operations (D-LIST): workspace-scoped, newest first, cursor
/// pagination, `owner_type` + `owner_id` filter; items without `steps`.
async fn list(State(app): State<Arc<App>>, headers: HeaderMap, RawQuery(query): RawQuery) -> Reply {
    let ws = app.authenticate(&headers)?;
    let context = app.context(&headers)?;
    let query = query.as_deref();
    let limit = match query_param(query, "limit") {
        None => LIST_DEFAULT_LIMIT,
        Some(raw) => {
            let n = parse_uint(&raw)
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| (1..=LIST_MAX_LIMIT).contains(n) || (*n == 0 && app.has(Fault::ListLimitZeroAccepted)))
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorKind::InvalidLimit,
                        format!("limit must be an integer from 1 to {LIST_MAX_LIMIT}, got {raw:?}"),
                    )
                    .at("query", "limit")
                })?;
            if app.has(Fault::ListLimitIgnored) { LIST_DEFAULT_LIMIT } else { n }
        }
    };
    let before = match query_param(query, "cursor") {
        None => None,
        Some(raw) => Some(cursor::decode(&raw).ok_or_else(|| {
            ApiError::new(ErrorKind::InvalidCursor, "cursor was not issued by this server; start again without it")
                .at("query", "cursor")
        })?),
    };
    let owner_type = query_param(query, "owner_type");
    let owner_id = query_param(query, "owner_id");
    let filter = match (owner_type, owner_id) {
        (Some(t), id) => {
            if ids::owner_prefix(&t).is_none() {
                return Err(ApiError::new(
                    ErrorKind::InvalidOwnerFilter,
                    format!("unknown owner_type {t:?}; allowed: {}", ids::owner_type_list()),
                )
                .at("query", "owner_type"));
            }
            match id {
                Some(id) => Some((t, id)),
                None if app.has(Fault::ListOwnerTypeAlone) => None,
                None => {
                    return Err(ApiError::new(
                        ErrorKind::InvalidOwnerFilter,
                        "owner_id is required when owner_type is set",
                    )
                    .at("query", "owner_id"));
                }
            }
        }
        // "Required when owner_type is set. Ignored otherwise." (D-LIST)
        (None, _) => None,
    };
    app.check_context(context, ws)?;
    let scope = if app.has(Fault::ListCrossWorkspace) {
        Scope::All
    } else {
        Scope::Workspace(ws)
    };
    let mut items = app.store.page(scope, before, limit.saturating_add(1), |rec| {
        filter
            .as_ref()
            .is_none_or(|(t, id)| rec.owner_type == *t && rec.owner_id == *id)
    });
    let has_more = items.len() > limit;
    let boundary = items.get(limit).map(|r| r.seq);
    items.truncate(limit);
    let last = items.last().map(|r| r.seq);
    let next_cursor = match (has_more, last) {
        (true, Some(_)) if app.has(Fault::ListDropsPageBoundary) => boundary.map(cursor::encode),
        (true, Some(seq)) => Some(cursor::encode(seq)),
        (false, Some(seq)) if app.has(Fault::ListCursorOnLastPage) => Some(cursor::encode(seq)),
        _ => None,
    };
    if app.has(Fault::ListOldestFirst) {
        items.reverse();
    }
    let now = app.clock.now();
    let opts = RenderOpts {
        steps: app.has(Fault::ListIncludesSteps),
        shown_id: None,
        faults: app.faults,
    };
    let mut body = Vec::with_capacity(64 + items.len() * 700);
    body.extend_from_slice(b"{\"data\":[");
    for (i, rec) in items.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        let snap = app.snapshot(rec, now);
        render::write_operation(&mut body, rec, &snap, opts);
    }
    body.extend_from_slice(b"],\"has_more\":");
    body.extend_from_slice(if has_more && last.is_some() { b"true" } else { b"false" });
    body.extend_from_slice(b",\"next_cursor\":");
    match next_cursor {
        Some(c) => body.extend_from_slice(format!("\"{c}\"").as_bytes()),
        None => body.extend_from_slice(b"null"),
    }
    body.push(b'}');
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, app.json_content_type());
    Ok(resp)
}

/// POST /__fixtures/operations: a fresh operation in the caller's workspace.
async fn create_fixture(State(app): State<Arc<App>>, headers: HeaderMap, body: axum::body::Bytes) -> Reply {
    let ws = app.authenticate(&headers)?;
    let spec = fixtures::parse(&body)?;
    let id = ids::new_op_id();
    let owner_id = spec
        .owner_id
        .clone()
        .unwrap_or_else(|| fixtures::new_owner_id(&spec.owner_type));
    let created = app.clock.now();
    let (metadata, response) = fixtures::metadata_and_response(
        &spec.owner_type,
        &owner_id,
        ws,
        &id,
        app.clock.unix_secs(created),
    );
    let rec = app.store.insert(NewOp {
        id,
        workspace: ws.to_string(),
        owner_type: spec.owner_type,
        owner_id,
        plan: spec.plan,
        created,
        metadata,
        response,
    });
    let snap = app.snapshot(&rec, created);
    Ok(app.operation_response(StatusCode::CREATED, &rec, &snap, None, true).0)
}

/// Re-renders error responses under the error-envelope faults.
async fn faulty_errors(State(app): State<Arc<App>>, resp: Response) -> Response {
    let Some(err) = resp.extensions().get::<ApiError>().cloned() else {
        return resp;
    };
    let status = resp.status();
    let (content_type, body): (&'static str, Vec<u8>) = if app.has(Fault::ErrorEnvelopeHtml) && status == StatusCode::NOT_FOUND {
        ("text/html; charset=utf-8", b"<!doctype html><html><body><h1>404 Not Found</h1></body></html>".to_vec())
    } else if app.has(Fault::ErrorTextPlain) && status == StatusCode::BAD_REQUEST {
        ("text/plain; charset=utf-8", err.message.clone().into_bytes())
    } else if app.has(Fault::ErrorCodeString) {
        ("application/json", err.envelope(true))
    } else {
        return resp;
    };
    let (mut parts, _) = resp.into_parts();
    parts.headers.insert(header::CONTENT_TYPE, axum::http::HeaderValue::from_static(content_type));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_digits_only() {
        assert_eq!(parse_uint("30"), Some(30));
        for bad in ["", "1.5", "-1", "abc", "+5", " 5"] {
            assert_eq!(parse_uint(bad), None, "{bad}");
        }
    }

    #[test]
    fn query_params_are_decoded() {
        assert_eq!(query_param(Some("a=1&owner_id=inst%5Fx"), "owner_id").as_deref(), Some("inst_x"));
        assert_eq!(query_param(Some("a=1"), "b"), None);
        assert_eq!(query_param(None, "b"), None);
    }
}
