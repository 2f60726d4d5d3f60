//! The reference against an independent tool: Schemathesis (property-based
//! testing from an OpenAPI document, PyPI `schemathesis`) runs every check it
//! has against `opconform serve` on loopback, limited to the four
//! operations paths, and must find nothing beyond the statuses akua
//! documents in prose but not in its OpenAPI document.
//!
//! Those statuses are declared through Schemathesis's own configuration:
//! a `schemathesis.toml` and the hooks file it names, which replaces
//! `status_code_conformance` by the same check plus the prose statuses
//! ([`PROSE_HOOKS`]), and extends `positive_data_acceptance` where a
//! schema-valid request meets a documented rejection. Everything else
//! Schemathesis reports fails the test, with its output in the message.
//!
//! Schemathesis is found through `SCHEMATHESIS` (the path of its `st`
//! executable), else `st` or `schemathesis` on PATH; `cargo xtask test`
//! installs it into a venv and sets `SCHEMATHESIS`. Developed with
//! Schemathesis 4.32.5.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use opconform::reference::ALPHA_TOKEN;
use serde_json::{Map, Value, json};

use super::support::published_openapi;

const BIN: &str = env!("CARGO_BIN_EXE_opconform");

/// The hooks file: Schemathesis's status check, with the statuses akua's
/// prose documents (akua-operations.md) where its OpenAPI document declares
/// none for the operation.
const PROSE_HOOKS: &str = r#"# Written by opconform's tests/reference/schemathesis.rs.
import schemathesis
from schemathesis.specs.openapi.checks import status_code_conformance as declared_statuses

# Statuses akua documents in prose, per operation, that its OpenAPI
# document does not declare (akua-operations.md sections 1 and 4.1).
PROSE_STATUSES = {
    # 400: the path id and akua-context are "Required string length: 1 - 53".
    "GET /operations/{id}": {400},
    # 400: id, akua-context, idempotency-key and if-match bounds (1-53,
    # 1-64). 409: a stale If-Match (akua's ABORTED convention), a key
    # reused on another operation or still in flight.
    "POST /operations/{id}:cancel": {400, 409},
    # 400: timeout is "1 <= x <= 60", and the id bounds.
    "POST /operations/{id}:wait": {400},
}


@schemathesis.check
def status_code_conformance_with_prose(ctx, response, case):
    try:
        return declared_statuses(ctx, response, case)
    except AssertionError:
        if response.status_code in PROSE_STATUSES.get(case.operation.label, ()):
            return None
        raise
"#;

/// The Schemathesis executable: `SCHEMATHESIS`, else `st` or
/// `schemathesis` on PATH (whichever answers `--version` as Schemathesis).
fn schemathesis() -> PathBuf {
    if let Some(path) = std::env::var_os("SCHEMATHESIS").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in ["st", "schemathesis"] {
            let candidate = dir.join(name);
            let is_schemathesis = candidate.is_file()
                && Command::new(&candidate)
                    .arg("--version")
                    .output()
                    .is_ok_and(|o| {
                        o.status.success() && String::from_utf8_lossy(&o.stdout).contains("version")
                    });
            if is_schemathesis {
                return candidate;
            }
        }
    }
    panic!(
        "Schemathesis was not found: set SCHEMATHESIS to the path of its `st` executable, \
         put `st` on PATH, or run `cargo xtask test` (it installs Schemathesis into a venv \
         and sets SCHEMATHESIS)"
    );
}

/// `opconform serve` on an ephemeral loopback port, stopped on drop.
struct Served {
    child: Child,
    base_url: String,
}

impl Served {
    fn start(args: &[&str]) -> Served {
        let mut child = Command::new(BIN)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn opconform serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut base_url = String::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("banner line");
            if let Some(url) = line.trim().strip_prefix("base URL:") {
                base_url = url.trim().to_string();
            }
            if line.contains("Ctrl-C") {
                break;
            }
        }
        assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");
        Served { child, base_url }
    }

    fn origin(&self) -> &str {
        self.base_url.trim_end_matches("/v1")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // Our own child, by its handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates fixtures; returns (all ids, ids of done operations).
async fn fixtures(served: &Served) -> (Vec<String>, Vec<String>) {
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let mut all = Vec::new();
    let mut done = Vec::new();
    for state in [
        "running",
        "running",
        "running",
        "retrying",
        "succeeded",
        "failed",
        "cancelled",
    ] {
        let op: Value = client
            .post(format!("{}/__fixtures/operations", served.origin()))
            .bearer_auth(ALPHA_TOKEN)
            .body(json!({ "state": state }).to_string())
            .send()
            .await
            .expect("fixture")
            .json()
            .await
            .expect("fixture body");
        let id = op["id"].as_str().expect("id").to_string();
        if op["done"] == true {
            done.push(id.clone());
        }
        all.push(id);
    }
    (all, done)
}

/// A TOML string or array (JSON's syntax is TOML's for these).
fn toml(v: impl serde::Serialize) -> String {
    serde_json::to_string(&v).expect("serialises")
}

/// The configuration: every check (the status check with the prose
/// statuses), small bounded examples, real operation ids part of the time,
/// and `:wait` mostly on done operations with a 1 s timeout, so long-polls
/// rarely hold the run.
fn config(dir: &Path, ids: &[String], done: &[String]) -> PathBuf {
    let hooks = dir.join("prose_statuses.py");
    std::fs::write(&hooks, PROSE_HOOKS).expect("write hooks");
    let positive = |extra: &[&str]| {
        let mut statuses = vec!["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"];
        statuses.extend_from_slice(extra);
        toml(statuses)
    };
    let text = format!(
        r#"hooks = {hooks}
headers = {{ Authorization = {auth} }}
request-timeout = 20
generation.max-examples = 10

# Replaced by the hooks file's status_code_conformance_with_prose.
[checks.status_code_conformance]
enabled = false

[dictionaries.ops]
values = {ids}
[dictionaries.done]
values = {done}
[dictionaries.own-workspace]
values = ["ws_alpha"]
[dictionaries.short]
values = [1]

[parameters]
"header.akua-context" = {{ dictionary = "own-workspace", probability = 0.8 }}

[[operations]]
include-name = "GET /operations/{{id}}"
parameters = {{ "path.id" = {{ dictionary = "ops", probability = 0.7 }} }}

# 422: "If the operation has already reached a terminal state, cancellation
# is rejected with Unprocessable Entity" (D-CANCEL), for schema-valid input.
[[operations]]
include-name = "POST /operations/{{id}}:cancel"
parameters = {{ "path.id" = {{ dictionary = "ops", probability = 0.7 }} }}
checks.positive_data_acceptance.expected-statuses = {cancel}

[[operations]]
include-name = "POST /operations/{{id}}:wait"
parameters = {{ "path.id" = {{ dictionary = "done", probability = 0.7 }}, "query.timeout" = {{ dictionary = "short", probability = 0.9 }} }}
request-timeout = 30

# 400: "owner_id: Required when owner_type is set" and a cursor that is not
# "from a previous response's next_cursor" (D-LIST), for schema-valid input.
[[operations]]
include-name = "GET /operations"
checks.positive_data_acceptance.expected-statuses = {list}
"#,
        hooks = toml(hooks.to_string_lossy()),
        auth = toml(format!("Bearer {ALPHA_TOKEN}")),
        ids = toml(ids),
        done = toml(done),
        cancel = positive(&["422"]),
        list = positive(&["400"]),
    );
    let path = dir.join("schemathesis.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// Runs Schemathesis with `document` against a fresh `opconform serve`;
/// panics with its output unless it finds nothing.
async fn run(document: &Path, what: &str) {
    let st = schemathesis();
    // Live operations with 1 s steps finish 10 s after creation: a `:wait`
    // on one (a stateful link, a generated timeout up to 60) holds at most
    // that long, and the run (a few seconds) still meets RUNNING ones.
    let served = Served::start(&[
        "--step-ms",
        "100",
        "--tempo",
        "live",
        "--live-step-ms",
        "1000",
    ]);
    let (ids, done) = fixtures(&served).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path(), &ids, &done);
    let mut cmd = Command::new(&st);
    cmd.arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(document)
        .args(["--url", &served.base_url])
        .args(["--include-path-regex", "^/operations"])
        .arg("--no-color")
        .current_dir(dir.path())
        .env("NO_COLOR", "1");
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .unwrap_or_else(|e| panic!("run {}: {e}", st.display()));
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "Schemathesis ({what}) found problems (exit {:?}):\n{output}",
        out.status.code()
    );
    // It really tested the four operations (a filter typo would test none).
    assert!(
        output.contains("Tested: 4"),
        "Schemathesis ({what}) did not test the four operations:\n{output}"
    );
    drop(served);
}

/// The OpenAPI document of the main test: akua's published one when it is
/// beside the repository, else the operations extract in `tests/data`,
/// else one built from the bundled schemas.
fn document(dir: &Path) -> (PathBuf, &'static str) {
    if let Some(published) = published_openapi() {
        return (published, "akua's published OpenAPI document");
    }
    let extract =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/akua-operations.schema.json");
    if extract.is_file() {
        return (
            write_from_extract(dir, &extract),
            "the operations extract of akua's document, with the documented paths",
        );
    }
    (
        write_minimal(dir),
        "an OpenAPI document built from the bundled schemas",
    )
}

/// The extract holds akua's schemas only (no paths): the document built
/// from the bundled schemas, its paths and error envelope, with akua's
/// Operation, OperationStep, OperationList and error schemas from the
/// extract in place of the bundled ones.
fn write_from_extract(dir: &Path, extract: &Path) -> PathBuf {
    let text = std::fs::read_to_string(extract).expect("read the extract");
    let extract: Value = serde_json::from_str(&text).expect("the extract is JSON");
    let mut doc = minimal_openapi();
    let schemas = doc["components"]["schemas"]
        .as_object_mut()
        .expect("components.schemas");
    for (name, schema) in extract["components"]["schemas"]
        .as_object()
        .expect("the extract's components.schemas")
    {
        schemas.insert(name.clone(), schema.clone());
    }
    let path = dir.join("operations-extract.openapi.json");
    std::fs::write(&path, doc.to_string()).expect("write document");
    path
}

fn write_minimal(dir: &Path) -> PathBuf {
    let path = dir.join("operations.openapi.json");
    std::fs::write(&path, minimal_openapi().to_string()).expect("write document");
    path
}

/// A bundled schema as an OpenAPI component: no `$id`/`$schema`, file and
/// `#/$defs` references pointing at components.
fn component(file: &str) -> Value {
    fn rewrite(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.remove("$id");
                map.remove("$schema");
                if let Some(Value::String(r)) = map.get_mut("$ref") {
                    *r = match r.as_str() {
                        "operation.schema.json" => "#/components/schemas/Operation".into(),
                        "operation_step.schema.json" => "#/components/schemas/OperationStep".into(),
                        other => other.replace("#/$defs/", "#/components/schemas/"),
                    };
                }
                map.values_mut().for_each(rewrite);
            }
            Value::Array(items) => items.iter_mut().for_each(rewrite),
            _ => {}
        }
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(file);
    let text = std::fs::read_to_string(&path).expect("bundled schema");
    let mut schema: Value = serde_json::from_str(&text).expect("bundled schema is JSON");
    rewrite(&mut schema);
    schema
}

/// The four operations paths of akua's contract (akua-operations.md §1) as
/// an OpenAPI 3.1 document over the bundled schemas.
fn minimal_openapi() -> Value {
    let mut schemas = Map::new();
    schemas.insert("Operation".into(), component("operation.schema.json"));
    schemas.insert(
        "OperationStep".into(),
        component("operation_step.schema.json"),
    );
    schemas.insert(
        "OperationList".into(),
        component("operation_list.schema.json"),
    );
    let mut error = component("error.schema.json");
    if let Some(Value::Object(defs)) = error.as_object_mut().and_then(|e| e.remove("$defs")) {
        schemas.extend(defs);
    }
    schemas.insert("ErrorEnvelope".into(), error);
    let string = |min: u64, max: u64| json!({"type": "string", "minLength": min, "maxLength": max});
    let id = json!({"name": "id", "in": "path", "required": true, "schema": string(1, 53)});
    let context =
        json!({"name": "akua-context", "in": "header", "required": false, "schema": string(1, 53)});
    let body = |schema: &str| json!({"content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
    let responses = |ok: &str, ok_schema: &str, errors: &[&str]| {
        let mut r = Map::new();
        r.insert(ok.into(), {
            let mut b = body(ok_schema);
            b["description"] = json!("success");
            b
        });
        for status in errors {
            let mut b = body("ErrorEnvelope");
            b["description"] = json!("error");
            r.insert((*status).into(), b);
        }
        Value::Object(r)
    };
    json!({
        "openapi": "3.1.0",
        "info": {"title": "akua Operations API (from opconform's bundled schemas)", "version": "1.0.0"},
        "servers": [{"url": "/v1"}],
        "security": [{"BearerAuth": []}],
        "paths": {
            "/operations": {"get": {
                "operationId": "operations.list",
                "parameters": [
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                    {"name": "owner_type", "in": "query", "schema": {"enum": [
                        "install", "repository_change_request", "repository", "workspace",
                        "machine", "cluster", "package"]}},
                    {"name": "owner_id", "in": "query", "schema": {"type": "string"}}
                ],
                "responses": responses("200", "OperationList", &["400", "401", "403"])
            }},
            "/operations/{id}": {"get": {
                "operationId": "operations.get",
                "parameters": [id, context],
                "responses": responses("200", "Operation", &["401", "403", "404"])
            }},
            "/operations/{id}:cancel": {"post": {
                "operationId": "operations.cancel",
                "parameters": [id, context,
                    {"name": "idempotency-key", "in": "header", "schema": string(1, 64)},
                    {"name": "if-match", "in": "header", "schema": string(1, 64)}],
                "responses": responses("202", "Operation", &["401", "403", "404", "422"])
            }},
            "/operations/{id}:wait": {"post": {
                "operationId": "operations.wait",
                "parameters": [id,
                    {"name": "timeout", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 60}}],
                "responses": responses("200", "Operation", &["401", "403", "404"])
            }}
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {"BearerAuth": {"type": "http", "scheme": "bearer"}}
        }
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_nothing_beyond_the_statuses_akua_documents_in_prose() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (doc, what) = document(dir.path());
    run(&doc, what).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_agrees_with_a_document_built_from_the_bundled_schemas() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = write_minimal(dir.path());
    run(&doc, "the document built from the bundled schemas").await;
}

#[test]
fn the_built_document_resolves_and_accepts_the_reference_bodies() {
    // Every reference inside the built document resolves, and its schemas
    // accept what the reference sends, so the Schemathesis run above tests
    // the server, not a broken document.
    let doc = minimal_openapi();
    let validator = |name: &str| {
        let mut root = doc.clone();
        root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        root["$ref"] = json!(format!("#/components/schemas/{name}"));
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&root)
            .unwrap_or_else(|e| panic!("compile {name}: {e}"))
    };
    let op = json!({
        "id": "op_0123456789abcdef", "workspace_id": "ws_alpha", "organization_id": "org_acme",
        "owner_type": "install", "owner_id": "inst_1", "parent_operation_id": null,
        "state": "RUNNING", "done": false, "html_url": "https://akua.dev/installs/inst_1",
        "metadata": {"type": "install.create"}, "response": null, "error": null,
        "last_error": null, "started_at": 1_700_000_000, "completed_at": null,
        "steps": [{"name": "apply", "status": "running", "execution_type": "system",
                   "started_at": 1_700_000_000, "completed_at": null, "error_message": null,
                   "retryable": false, "skippable": false}]
    });
    assert!(validator("Operation").is_valid(&op));
    let mut bad = op.clone();
    bad["state"] = json!("PAUSED");
    assert!(
        !validator("Operation").is_valid(&bad),
        "the schemas are live"
    );
    let list = json!({"data": [op], "has_more": false, "next_cursor": null});
    assert!(validator("OperationList").is_valid(&list));
    let err =
        json!({"success": false, "errors": [{"code": 1004, "message": "not found"}], "result": {}});
    assert!(validator("ErrorEnvelope").is_valid(&err));
    assert!(!validator("ErrorEnvelope").is_valid(&json!({"errors": "nope"})));
    let paths = doc["paths"].as_object().expect("paths");
    assert_eq!(paths.len(), 4);
}
