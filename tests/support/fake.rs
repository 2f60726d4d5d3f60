//! A tiny, deterministic Operations API with knobs for misbehaviour.
//! Time plays no part: an accepted cancel settles after a number of
//! reads, not after a delay.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// The token the fake accepts.
pub const TOKEN: &str = "tok_fake_secret_123";

/// How the fake misbehaves.
#[derive(Debug, Clone, Default)]
pub struct Behaviour {
    /// Status of an accepted cancel (default 202).
    pub cancel_status: Option<u16>,
    /// The first N cancels get a 500.
    pub fail_first_cancels: usize,
    /// The first N `running` fixtures are already SUCCEEDED on the
    /// server, although the provider said RUNNING.
    pub drift_first_fixtures: usize,
    /// The provider refuses this state with 400.
    pub refuse_state: Option<&'static str>,
    /// A rejected cancel (422) still changes the operation.
    pub rejected_cancel_mutates: bool,
    /// GET bodies padded to at least this many bytes.
    pub pad_get_body: Option<usize>,
    /// GET waits this long before answering.
    pub get_delay: Option<Duration>,
    /// An accepted cancel settles to CANCELLED after this many reads
    /// (`None`: never settles).
    pub settle_after_reads: Option<usize>,
    /// `:wait` answers 501 (forces the GET-polling fallback).
    pub no_wait: bool,
    /// Every accepted cancel body differs (a counter), even on replay.
    pub vary_cancel_bodies: bool,
    /// 401 bodies echo the Authorization header.
    pub echo_auth: bool,
    /// An accepted cancel settles at once (the 202 body still shows
    /// RUNNING), so a second cancel finds the operation done.
    pub settle_at_once: bool,
    /// A key already used on another operation is answered with this
    /// status (the IETF draft's 422), before anything else.
    pub key_reuse_status: Option<u16>,
}

#[derive(Debug, Default)]
pub struct Shared {
    pub behaviour: Behaviour,
    ops: Mutex<HashMap<String, (Value, Option<usize>)>>,
    keys: Mutex<HashMap<String, (String, String)>>,
    next: AtomicUsize,
    running_made: AtomicUsize,
    cancels: AtomicUsize,
    /// `METHOD path?query` of every request, as received.
    pub requests: Mutex<Vec<String>>,
    /// The body of every fixture request, parsed.
    pub fixture_bodies: Mutex<Vec<Value>>,
    /// Every Idempotency-Key a cancel carried, in order.
    pub sent_keys: Mutex<Vec<String>>,
}

impl Shared {
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    pub fn fixture_bodies(&self) -> Vec<Value> {
        self.fixture_bodies.lock().unwrap().clone()
    }
}

/// A running fake.
pub struct Fake {
    pub base_url: String,
    pub fixtures_url: String,
    pub shared: Arc<Shared>,
}

/// A contract-valid Operation (as GET shows it, with `steps`): every
/// body the fakes send passes the real body checks, so each test fails
/// only for the misbehaviour it switches on. List items drop `steps`.
pub fn operation(id: &str, state: &str) -> Value {
    let done = state != "RUNNING";
    let step = |name: &str, status: &str| {
        json!({
            "name": name,
            "status": status,
            "execution_type": "system",
            "started_at": 1_700_000_000u64,
            "completed_at": if status == "running" { Value::Null } else { json!(1_700_000_001u64) },
            "error_message": null,
            "retryable": false,
            "skippable": false,
        })
    };
    let steps = if done {
        vec![step("validate", "completed"), step("apply", "completed")]
    } else {
        vec![step("validate", "completed"), step("apply", "running")]
    };
    json!({
        "id": id,
        "workspace_id": "ws_fake",
        "organization_id": null,
        "owner_type": "workspace",
        "owner_id": "ws_fake",
        "parent_operation_id": null,
        "state": state,
        "done": done,
        "html_url": format!("https://example.test/operations/{id}"),
        "metadata": {"type": "workspace.delete"},
        "response": if state == "SUCCEEDED" { json!({"type": "workspace.delete"}) } else { Value::Null },
        "error": if state == "FAILED" || state == "CANCELLED" { json!({"message": "stopped"}) } else { Value::Null },
        "last_error": null,
        "started_at": 1_700_000_000u64,
        "completed_at": if done { json!(1_700_000_001u64) } else { Value::Null },
        "steps": steps,
    })
}

/// A list item: the Operation without per-step detail.
pub fn list_item(op: &Value) -> Value {
    let mut item = op.clone();
    if let Some(map) = item.as_object_mut() {
        map.remove("steps");
    }
    item
}

fn error(status: u16, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(
            json!({"success": false, "errors": [{"code": 7002, "message": message}], "result": {}}),
        ),
    )
        .into_response()
}

fn json_response(status: u16, body: String) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body,
    )
        .into_response()
}

fn authorized(s: &Shared, headers: &HeaderMap) -> Result<(), Box<Response>> {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth == format!("Bearer {TOKEN}") {
        Ok(())
    } else if s.behaviour.echo_auth {
        Err(Box::new(error(401, &format!("bad credentials: {auth}"))))
    } else {
        Err(Box::new(error(401, "unauthorized")))
    }
}

fn record(s: &Shared, method: &str, uri: &Uri) {
    s.requests.lock().unwrap().push(format!("{method} {uri}"));
}

/// One read of `id`: counts towards settling an accepted cancel.
fn read(s: &Shared, id: &str) -> Option<Value> {
    let mut ops = s.ops.lock().unwrap();
    let (op, pending) = ops.get_mut(id)?;
    if let Some(left) = pending {
        if *left == 0 {
            let mut settled = operation(id, "CANCELLED");
            settled["owner_type"] = op["owner_type"].clone();
            settled["owner_id"] = op["owner_id"].clone();
            *op = settled;
            *pending = None;
        } else {
            *left -= 1;
        }
    }
    Some(op.clone())
}

async fn create(
    State(s): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    record(&s, "POST", &uri);
    if let Err(r) = authorized(&s, &headers) {
        return *r;
    }
    let want: Value = serde_json::from_str(&body).unwrap_or_default();
    s.fixture_bodies.lock().unwrap().push(want.clone());
    let state = want["state"].as_str().unwrap_or("").to_string();
    if s.behaviour.refuse_state == Some(state.as_str()) {
        return error(400, &format!("state {state} not supported"));
    }
    let n = s.next.fetch_add(1, Ordering::SeqCst);
    let id = format!("op_fake{n}");
    let wire = match state.as_str() {
        "running" | "retrying" => "RUNNING",
        "succeeded" => "SUCCEEDED",
        "failed" => "FAILED",
        "cancelled" => "CANCELLED",
        _ => return error(400, "unknown state"),
    };
    let mut shown = operation(&id, wire);
    if let (Some(t), Some(o)) = (want["owner_type"].as_str(), want["owner_id"].as_str()) {
        shown["owner_type"] = json!(t);
        shown["owner_id"] = json!(o);
    }
    let mut stored = shown.clone();
    if wire == "RUNNING"
        && s.running_made.fetch_add(1, Ordering::SeqCst) < s.behaviour.drift_first_fixtures
    {
        stored = operation(&id, "SUCCEEDED");
        stored["owner_type"] = shown["owner_type"].clone();
        stored["owner_id"] = shown["owner_id"].clone();
    }
    s.ops.lock().unwrap().insert(id, (stored, None));
    (StatusCode::CREATED, axum::Json(shown)).into_response()
}

async fn get_op(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    record(&s, "GET", &uri);
    if let Some(d) = s.behaviour.get_delay {
        tokio::time::sleep(d).await;
    }
    if let Err(r) = authorized(&s, &headers) {
        return *r;
    }
    match read(&s, &id) {
        None => error(404, "not found"),
        Some(mut op) => {
            if let Some(pad) = s.behaviour.pad_get_body {
                op["padding"] = Value::String("x".repeat(pad));
            }
            json_response(200, op.to_string())
        }
    }
}

async fn list(State(s): State<Arc<Shared>>, uri: Uri, headers: HeaderMap) -> Response {
    record(&s, "GET", &uri);
    if let Err(r) = authorized(&s, &headers) {
        return *r;
    }
    let query: HashMap<String, String> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let data: Vec<Value> = s
        .ops
        .lock()
        .unwrap()
        .values()
        .filter(|(o, _)| {
            query.get("owner_id").is_none_or(|id| o["owner_id"] == **id)
                && query
                    .get("owner_type")
                    .is_none_or(|t| o["owner_type"] == **t)
        })
        .map(|(o, _)| list_item(o))
        .collect();
    axum::Json(json!({"data": data, "has_more": false, "next_cursor": null})).into_response()
}

async fn verb(
    State(s): State<Arc<Shared>>,
    Path(rest): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    record(&s, "POST", &uri);
    if let Err(r) = authorized(&s, &headers) {
        return *r;
    }
    let Some((id, verb)) = rest.rsplit_once(':') else {
        return error(404, "no such route");
    };
    match verb {
        "wait" => {
            if s.behaviour.no_wait {
                return error(501, "wait not implemented");
            }
            match read(&s, id) {
                Some(op) => json_response(200, op.to_string()),
                None => error(404, "not found"),
            }
        }
        "cancel" => {
            let key = headers
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok())
                .map(String::from);
            if let Some(k) = &key {
                s.sent_keys.lock().unwrap().push(k.clone());
            }
            let n = s.cancels.fetch_add(1, Ordering::SeqCst);
            if n < s.behaviour.fail_first_cancels {
                return error(500, "internal error");
            }
            if let Some(k) = &key {
                if let Some((for_id, body)) = s.keys.lock().unwrap().get(k).cloned() {
                    if for_id == id && !s.behaviour.vary_cancel_bodies {
                        return json_response(s.behaviour.cancel_status.unwrap_or(202), body);
                    }
                    if for_id != id
                        && let Some(status) = s.behaviour.key_reuse_status
                    {
                        return error(status, "idempotency key reused on another operation");
                    }
                }
            }
            let mut ops = s.ops.lock().unwrap();
            let Some((op, pending)) = ops.get_mut(id) else {
                return error(404, "not found");
            };
            if op["done"] == Value::Bool(true) {
                if s.behaviour.rejected_cancel_mutates {
                    op["html_url"] = Value::String("https://example.test/touched".into());
                }
                return error(422, "operation already done");
            }
            *pending = s.behaviour.settle_after_reads;
            let mut body = op.clone();
            if s.behaviour.settle_at_once {
                let mut settled = operation(id, "CANCELLED");
                settled["owner_type"] = op["owner_type"].clone();
                settled["owner_id"] = op["owner_id"].clone();
                *op = settled;
                *pending = None;
            }
            if s.behaviour.vary_cancel_bodies {
                body["x_counter"] = json!(n);
            }
            let body = body.to_string();
            if let Some(k) = key {
                s.keys
                    .lock()
                    .unwrap()
                    .insert(k, (id.to_string(), body.clone()));
            }
            json_response(s.behaviour.cancel_status.unwrap_or(202), body)
        }
        _ => error(404, "no such verb"),
    }
}

/// Starts the fake on 127.0.0.1:0 on the current runtime.
pub async fn start(behaviour: Behaviour) -> Fake {
    let shared = Arc::new(Shared {
        behaviour,
        ..Shared::default()
    });
    let app = Router::new()
        .route("/__fixtures/operations", post(create))
        .route("/v1/operations", get(list))
        .route("/v1/operations/{rest}", get(get_op).post(verb))
        .with_state(Arc::clone(&shared));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Fake {
        base_url: format!("http://{addr}/v1"),
        fixtures_url: format!("http://{addr}/__fixtures/operations"),
        shared,
    }
}
