//! The routes under `/v1` (plus the fixture provider), with the order of
//! checks every endpoint shares: 401 (auth) → 400 (bounds) → 403
//! (akua-context) → 404 (lookup) → endpoint rules (422, then the If-Match 409:
//! RFC 9110 §13.2.1 lets 401/403/404/422 take precedence).
//!
//! axum 0.8 panics on `/{id}:cancel`, so `/v1/operations/{id}` takes GET and
//! POST and the verb is split off the last `:` of the raw segment
//! ([`ids::target`]: after percent-decoding in the akua dialect, a literal
//! `:` only in the alternate one). Every 405 carries `Allow` with exactly
//! the methods of the resource the path names (RFC 9110 §15.5.6).

use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::{get, post};

use super::app::App;
use super::cancel::cancel;
use super::config::ReferenceConfig;
use super::errors::{ApiError, ErrorKind};
use super::faults::Fault;
use super::fixtures;
use super::ids::{self, allowed_methods};
use super::lifecycle::{ALTERNATE_FIXTURE_STATES, FIXTURE_STATES, Plan};
use super::list::list;
use super::store::{NewOp, OpFacts};
use super::wait::wait;
use super::world::{Dialect, Tempo};

/// What every handler answers: a response, or the error envelope.
pub(crate) type Reply = Result<Response, ApiError>;

/// The collection path and the prefix of one operation's path.
const COLLECTION: &str = "/v1/operations";
const ITEM_PREFIX: &str = "/v1/operations/";
const FIXTURES: &str = "/__fixtures/operations";

/// The router of the reference for `config`.
pub(crate) fn router(config: &ReferenceConfig) -> Router {
    let app = Arc::new(App::new(config));
    let mut r = Router::new().route("/v1/operations/{id}", get(get_operation).post(post_verb));
    // The alternate dialect has no list endpoint: the path names nothing.
    if config.dialect == Dialect::Akua {
        r = r.route(COLLECTION, get(list));
    }
    if config.fixtures {
        r = r.route(FIXTURES, post(create_fixture));
    }
    r = r
        .fallback(unknown_path)
        .method_not_allowed_fallback(method_not_allowed);
    if config.dialect != Dialect::Akua {
        r = r.layer(axum::middleware::map_response_with_state(
            Arc::clone(&app),
            dialect_errors,
        ));
    }
    let error_faults = [
        Fault::ErrorEnvelopeHtml,
        Fault::ErrorTextPlain,
        Fault::ErrorCodeString,
    ];
    // Added after the dialect layer, so it wraps it and sees its output.
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

/// A 405 from the router (a method no route of the path takes), with the
/// `Allow` of the resource the path names.
async fn method_not_allowed(State(app): State<Arc<App>>, uri: Uri) -> ApiError {
    let path = uri.path();
    let allow = if path == COLLECTION {
        Some("GET, HEAD")
    } else if path == FIXTURES {
        Some("POST")
    } else {
        path.strip_prefix(ITEM_PREFIX)
            .and_then(|raw| ids::target(raw, app.dialect))
            .and_then(|(_, verb)| allowed_methods(verb.as_deref()))
    };
    match allow {
        Some(allow) => ApiError::method_not_allowed(allow, format!("{path} allows {allow}")),
        // An unknown custom method names no resource at all.
        None => ApiError::new(ErrorKind::NotFound, format!("no route for {path}")),
    }
}

/// The id and verb of `/v1/operations/{segment}`.
fn target(app: &App, uri: &Uri) -> Result<(String, Option<String>), ApiError> {
    uri.path()
        .strip_prefix(ITEM_PREFIX)
        .and_then(|raw| ids::target(raw, app.dialect))
        .ok_or_else(|| {
            ApiError::new(ErrorKind::NotFound, "path not understood: not UTF-8").at("path", "id")
        })
}

async fn get_operation(State(app): State<Arc<App>>, uri: Uri, headers: HeaderMap) -> Reply {
    let (id, verb) = target(&app, &uri)?;
    match verb.as_deref() {
        None => {}
        Some(v @ ("cancel" | "wait")) => {
            return Err(ApiError::method_not_allowed(
                "POST",
                format!(":{v} takes POST"),
            ));
        }
        Some(other) => {
            return Err(ApiError::new(
                ErrorKind::NotFound,
                format!("unknown method :{other}"),
            ));
        }
    }
    let grant = app.authenticate(&headers)?;
    let context = app.context(&headers)?;
    app.check_id(&id)?;
    let ws = app.workspace(grant, context)?;
    let workspace = (!app.has(Fault::ForeignOpVisible)).then_some(ws);
    let found = app.lookup(&id, workspace)?;
    let snap = app.snapshot(&found.rec, app.clock.now());
    let steps = !app.has(Fault::StepsMissingOnGet);
    let (resp, _) =
        app.operation_response(StatusCode::OK, &found.rec, &snap, found.shown_id, steps);
    Ok(resp)
}

async fn post_verb(
    State(app): State<Arc<App>>,
    uri: Uri,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Reply {
    let raw = uri.path();
    if app.has(Fault::ColonEncoded404) && (raw.contains("%3A") || raw.contains("%3a")) {
        return Err(ApiError::new(
            ErrorKind::NotFound,
            format!("no route for {raw}"),
        ));
    }
    let (id, verb) = target(&app, &uri)?;
    match verb.as_deref() {
        Some("cancel") => cancel(&app, &id, &headers).await,
        Some("wait") => wait(&app, &id, &headers, query.as_deref()).await,
        None => Err(ApiError::method_not_allowed(
            "GET, HEAD",
            "POST needs a method: /v1/operations/{id}:cancel or :wait",
        )),
        Some(other) => Err(ApiError::new(
            ErrorKind::NotFound,
            format!("unknown method :{other}"),
        )),
    }
}

/// POST /__fixtures/operations: a fresh operation in the caller's workspace.
async fn create_fixture(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Reply {
    let grant = app.authenticate(&headers)?;
    // A workspace-owned token creates in its workspace whatever the header
    // says (as before broad tokens); a broad one where akua-context selects.
    let ws = if grant.broad {
        let context = app.context(&headers)?;
        app.workspace(grant, context)?
    } else {
        grant.default_workspace()
    };
    let states = match app.dialect {
        Dialect::Akua => FIXTURE_STATES,
        Dialect::Alternate => ALTERNATE_FIXTURE_STATES,
    };
    let spec = fixtures::parse(&body, states)?;
    let id = ids::new_op_id();
    let plan = match (spec.plan, app.tempo) {
        (Plan::Running, Tempo::Live) => Plan::live(&id),
        (plan, _) => plan,
    };
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
    app.sweep(created);
    let (rec, evicted) = app.store.insert(NewOp {
        facts: OpFacts {
            id,
            workspace: ws.to_string(),
            owner_type: spec.owner_type,
            owner_id,
            plan,
            created,
        },
        metadata,
        response,
    });
    app.keys.forget_ops(&evicted);
    let snap = app.snapshot(&rec, created);
    // Known now for terminal fixtures and for plans that finish on their own.
    if let Some(finished) = snap.terminal_at.or(snap.done_at) {
        app.store.finishes_at(&rec, finished);
    }
    Ok(app
        .operation_response(StatusCode::CREATED, &rec, &snap, None, true)
        .0)
}

/// Re-renders error responses in the alternate dialect (handlers and
/// extractors return akua's rendering).
async fn dialect_errors(State(app): State<Arc<App>>, resp: Response) -> Response {
    match resp.extensions().get::<ApiError>() {
        Some(err) => err.clone().response_in(app.dialect),
        None => resp,
    }
}

/// Re-renders error responses under the error-envelope faults.
async fn faulty_errors(State(app): State<Arc<App>>, resp: Response) -> Response {
    let Some(err) = resp.extensions().get::<ApiError>().cloned() else {
        return resp;
    };
    let status = resp.status();
    let (content_type, body): (&'static str, Vec<u8>) =
        if app.has(Fault::ErrorEnvelopeHtml) && status == StatusCode::NOT_FOUND {
            (
                "text/html; charset=utf-8",
                b"<!doctype html><html><body><h1>404 Not Found</h1></body></html>".to_vec(),
            )
        } else if app.has(Fault::ErrorTextPlain) && err.kind.code().status == 400 {
            // The validators' errors: 400 in akua's dialect, 422 in the other.
            (
                "text/plain; charset=utf-8",
                err.message.clone().into_bytes(),
            )
        } else if app.has(Fault::ErrorCodeString) {
            ("application/json", err.envelope(true))
        } else {
            return resp;
        };
    let (mut parts, _) = resp.into_parts();
    parts.headers.insert(
        header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static(content_type),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}
