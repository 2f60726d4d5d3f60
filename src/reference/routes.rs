//! The routes under `/v1` (plus the fixture provider), with the order of
//! checks every endpoint shares: 401 (auth) → 400 (bounds) → 403
//! (akua-context) → 404 (lookup) → endpoint rules (422, then the If-Match 409:
//! RFC 9110 §13.2.1 lets 401/403/404/422 take precedence).
//!
//! axum 0.8 panics on `/{id}:cancel`, so `/v1/operations/{id}` takes GET and
//! POST and the verb is split off the last `:` after axum's Path extractor has
//! percent-decoded the segment (akua's CLI sends `%3A`, digest §3).

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::{get, post};

use super::app::App;
use super::cancel::cancel;
use super::config::ReferenceConfig;
use super::errors::{ApiError, ErrorKind};
use super::faults::Fault;
use super::fixtures;
use super::ids::{self, split_verb};
use super::list::list;
use super::store::NewOp;
use super::wait::wait;

/// What every handler answers: a response, or the error envelope.
pub(crate) type Reply = Result<Response, ApiError>;

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
            return Err(ApiError::new(
                ErrorKind::NotFound,
                format!("unknown method :{other}"),
            ));
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
    let (resp, _) =
        app.operation_response(StatusCode::OK, &found.rec, &snap, found.shown_id, steps);
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
        return Err(ApiError::new(
            ErrorKind::NotFound,
            format!("no route for {raw}"),
        ));
    }
    let (id, verb) = split_verb(&segment);
    match verb {
        Some("cancel") => cancel(&app, id, &headers).await,
        Some("wait") => wait(&app, id, &headers, query.as_deref()).await,
        None => Err(ApiError::new(
            ErrorKind::MethodNotAllowed,
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
    Ok(app
        .operation_response(StatusCode::CREATED, &rec, &snap, None, true)
        .0)
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
        } else if app.has(Fault::ErrorTextPlain) && status == StatusCode::BAD_REQUEST {
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
