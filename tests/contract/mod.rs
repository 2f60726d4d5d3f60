//! Contract artefacts end to end: bundled schemas and akua's own OpenAPI
//! document (the repository's extract of it, and the document itself when
//! it is beside the clone; see `support::akua`) agree on valid and broken
//! bodies; wrong documents fail with errors that name the file and the
//! component; `opconform invariants` prints the catalogue.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use opconform::case::BodyKind;
use opconform::contract::{self, Schemas};
use serde_json::{Value, json};

use crate::support::akua;

/// akua's document(s) to check against, parsed: the repository's extract,
/// and the published document when it is beside the clone.
fn akua_docs() -> Vec<(PathBuf, Value)> {
    akua::documents()
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            let doc = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
            (path, doc)
        })
        .collect()
}

fn write_doc(dir: &Path, name: &str, doc: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec(doc).expect("serialises")).expect("writes");
    path
}

/// A RUNNING operation that satisfies akua's published union
/// (`machine.delete` metadata needs workspace_id, machine_id,
/// request_fingerprint).
fn running() -> Value {
    json!({
        "id": "op_j572abc123def456", "workspace_id": "ws_j572abc123def456",
        "organization_id": "org_j572abc123def456", "owner_type": "machine",
        "owner_id": "mch_j572abc123def456", "parent_operation_id": null,
        "state": "RUNNING", "done": false,
        "html_url": "https://akua.dev/machines/mch_j572abc123def456?tab=operations",
        "metadata": {"type": "machine.delete", "workspace_id": "ws_j572abc123def456",
                     "machine_id": "mch_j572abc123def456", "request_fingerprint": "fp1"},
        "response": null, "error": null,
        "last_error": {"message": "transient", "step_name": "drain"},
        "started_at": 1_767_000_000, "completed_at": null,
        "steps": [{"name": "drain", "status": "running", "execution_type": "system",
                   "started_at": 1_767_000_000, "completed_at": null, "error_message": null,
                   "retryable": true, "skippable": false}]
    })
}

fn succeeded() -> Value {
    let mut op = running();
    op["state"] = json!("SUCCEEDED");
    op["done"] = json!(true);
    op["completed_at"] = json!(1_767_000_030);
    op["response"] = json!({"type": "machine.delete", "machine_id": "mch_j572abc123def456"});
    op
}

fn valid_bodies() -> Vec<(BodyKind, Value)> {
    let mut list_item = succeeded();
    if let Some(o) = list_item.as_object_mut() {
        o.remove("steps");
    }
    vec![
        (BodyKind::Operation, running()),
        (BodyKind::Operation, succeeded()),
        (
            BodyKind::OperationList,
            json!({"data": [list_item, running()], "has_more": true, "next_cursor": "c_2"}),
        ),
        (
            BodyKind::OperationList,
            json!({"data": [], "has_more": false, "next_cursor": null}),
        ),
        (
            BodyKind::Error,
            json!({"success": false, "errors": [{"code": 7002, "message": "Resource not found",
                   "path": ["path", "id"], "metadata": {"k": "v"}}], "result": {}}),
        ),
        (
            BodyKind::Error,
            json!({"error": {"code": "not_found", "message": "Operation not found"}}),
        ),
    ]
}

/// Broken bodies with the pointer a violation must name.
fn broken_bodies() -> Vec<(BodyKind, Value, &'static str)> {
    let with = |key: &str, value: Value| {
        let mut op = running();
        op[key] = value;
        op
    };
    let mut missing = running();
    if let Some(o) = missing.as_object_mut() {
        o.remove("done");
    }
    let mut bad_step = running();
    bad_step["steps"][0]["status"] = json!("done");
    vec![
        (
            BodyKind::Operation,
            with("state", json!("PAUSED")),
            "/state",
        ),
        (BodyKind::Operation, with("done", json!(null)), "/done"),
        (
            BodyKind::Operation,
            with("id", json!("x".repeat(54))),
            "/id",
        ),
        (
            BodyKind::Operation,
            with("owner_type", json!("user")),
            "/owner_type",
        ),
        (
            BodyKind::Operation,
            with("started_at", json!(-1)),
            "/started_at",
        ),
        (
            BodyKind::Operation,
            with("html_url", json!("not a uri")),
            "/html_url",
        ),
        (
            BodyKind::Operation,
            with("error", json!({"msg": "x"})),
            "/error",
        ),
        (BodyKind::Operation, bad_step, "/steps/0/status"),
        (BodyKind::Operation, missing, ""),
        (
            BodyKind::OperationList,
            json!({"data": [], "has_more": "no", "next_cursor": null}),
            "/has_more",
        ),
        (
            BodyKind::OperationList,
            json!({"data": [{"id": "op_1"}], "has_more": false, "next_cursor": null}),
            "/data/0",
        ),
        (
            BodyKind::Error,
            json!({"success": false, "errors": [{"code": "7002", "message": "x"}], "result": {}}),
            "/errors/0/code",
        ),
        (
            BodyKind::Error,
            json!({"error": {"code": 404, "message": "x"}}),
            "/error/code",
        ),
    ]
}

fn assert_agrees_with_contract(schemas: &Schemas, label: &str) {
    for (kind, body) in valid_bodies() {
        let violations = schemas.validate(kind, &body);
        assert!(
            violations.is_empty(),
            "{label}: {kind:?} {body} -> {violations:?}"
        );
    }
    for (kind, body, pointer) in broken_bodies() {
        let violations = schemas.validate(kind, &body);
        assert!(
            violations.iter().any(|v| v.pointer == pointer),
            "{label}: expected a violation at {pointer:?} for {body}, got {violations:?}"
        );
        assert!(violations.iter().all(|v| !v.message.is_empty()));
    }
}

#[test]
fn bundled_schemas_accept_valid_bodies_and_reject_broken_ones() {
    let schemas = Schemas::bundled().expect("bundled schemas compile");
    assert_eq!(schemas.origin(), "bundled");
    assert!(schemas.notes().is_empty());
    assert_agrees_with_contract(&schemas, "bundled");
}

#[test]
fn akua_openapi_schemas_agree_with_the_bundled_ones() {
    for path in akua::documents() {
        let schemas = Schemas::from_openapi(&path)
            .unwrap_or_else(|e| panic!("{} loads: {e}", path.display()));
        assert!(schemas.notes().is_empty(), "{:?}", schemas.notes());
        assert_agrees_with_contract(&schemas, &path.display().to_string());
    }
}

#[test]
fn bundled_schemas_tolerate_unknown_metadata_types_and_extra_fields() {
    // Forward compatibility: a new union member or an extra key is not a
    // schema failure (OP-METADATA-KNOWN-TYPE reports it in strict mode).
    let schemas = Schemas::bundled().expect("bundled schemas compile");
    let mut op = running();
    op["metadata"] = json!({"type": "widget.spin"});
    op["new_field"] = json!({"anything": true});
    assert_eq!(schemas.validate(BodyKind::Operation, &op), Vec::new());
}

#[test]
fn every_violation_is_reported_not_just_the_first() {
    let schemas = Schemas::bundled().expect("bundled schemas compile");
    let mut op = running();
    op["state"] = json!("PAUSED");
    op["done"] = json!("yes");
    op["started_at"] = json!(-5);
    let pointers: Vec<String> = schemas
        .validate(BodyKind::Operation, &op)
        .into_iter()
        .map(|v| v.pointer)
        .collect();
    for p in ["/state", "/done", "/started_at"] {
        assert!(
            pointers.iter().any(|x| x == p),
            "{p} missing from {pointers:?}"
        );
    }
}

/// Rewrites `type: [T, "null"]` into the Jul-2026 `type: T, nullable: true`.
fn to_nullable_style(value: &mut Value) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(to_nullable_style),
        Value::Object(map) => {
            map.values_mut().for_each(to_nullable_style);
            let pair = match map.get("type") {
                Some(Value::Array(t)) if t.len() == 2 && t.contains(&json!("null")) => {
                    t.iter().find(|x| **x != json!("null")).cloned()
                }
                _ => None,
            };
            if let Some(t) = pair {
                map.insert("type".into(), t);
                map.insert("nullable".into(), json!(true));
            }
        }
        _ => {}
    }
}

#[test]
fn jul_2026_nullable_style_documents_load_and_accept_nulls() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (source, mut doc) in akua_docs() {
        to_nullable_style(&mut doc);
        assert_eq!(
            doc["components"]["schemas"]["Operation"]["properties"]["completed_at"]["nullable"],
            json!(true)
        );
        let path = write_doc(dir.path(), "jul.json", &doc);
        let schemas = Schemas::from_openapi(&path).expect("nullable-style document loads");
        assert_agrees_with_contract(&schemas, &format!("jul-2026 {}", source.display()));
    }
}

#[test]
fn a_document_without_an_error_schema_falls_back_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (source, mut doc) in akua_docs() {
        if let Some(s) = doc["components"]["schemas"].as_object_mut() {
            s.remove("ApiErrorResponse");
        }
        let path = write_doc(dir.path(), "noerr.json", &doc);
        let schemas = Schemas::from_openapi(&path).expect("loads with the bundled error schema");
        assert_eq!(schemas.notes().len(), 1);
        assert!(
            schemas.notes()[0].contains("noerr.json"),
            "{:?}",
            schemas.notes()
        );
        assert!(
            schemas.notes()[0].contains("bundled error schema"),
            "{:?}",
            schemas.notes()
        );
        assert_agrees_with_contract(&schemas, &format!("fallback {}", source.display()));
    }
}

fn load_error(doc_text: &str, name: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    std::fs::write(&path, doc_text).expect("writes");
    match Schemas::from_openapi(&path) {
        Ok(_) => panic!("{name} should not load"),
        Err(err) => err.to_string(),
    }
}

#[test]
fn wrong_documents_fail_with_the_file_and_the_missing_component() {
    for (_, mut doc) in akua_docs() {
        if let Some(s) = doc["components"]["schemas"].as_object_mut() {
            s.remove("OperationList");
        }
        let text = serde_json::to_string(&doc).expect("serialises");
        let err = load_error(&text, "nolist.json");
        assert!(err.starts_with("load schema "), "{err}");
        assert!(err.contains("nolist.json"), "{err}");
        assert!(err.contains("components.schemas.OperationList"), "{err}");
    }

    let err = load_error("{\"openapi\": \"3.1.0\",\n  \"components\": ", "cut.json");
    assert!(err.contains("cut.json") && err.contains("line 2"), "{err}");

    let err = load_error("{\"swagger\": \"2.0\"}", "swagger.json");
    assert!(err.contains("openapi"), "{err}");

    let err = load_error(
        "{\"openapi\": \"3.1.0\", \"components\": {\"schemas\": {}}}",
        "empty.json",
    );
    assert!(err.contains("components.schemas.Operation"), "{err}");

    let broken = json!({"openapi": "3.1.0", "components": {"schemas": {
        "Operation": {"$ref": "#/components/schemas/Nowhere"},
        "OperationStep": {"type": "object"},
        "OperationList": {"type": "object"}
    }}});
    let err = load_error(&broken.to_string(), "dangling.json");
    assert!(
        err.contains("dangling.json") && err.contains("Operation"),
        "{err}"
    );

    let missing = Schemas::from_openapi(Path::new("/nonexistent/opconform/doc.json"))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        missing.contains("/nonexistent/opconform/doc.json"),
        "{missing}"
    );
}

#[test]
fn checks_agree_with_schemas_on_a_fair_server_body() {
    // A body a correct server may send under a fair reading: SUCCEEDED with
    // response null, no steps on a list item, the intro error envelope.
    use contract::{Endpoint, Mode, Observation, Outcome};
    let mut op = succeeded();
    op["response"] = Value::Null;
    if let Some(o) = op.as_object_mut() {
        o.remove("steps");
    }
    let obs = Observation {
        body: &op,
        exchange: None,
        endpoint: Endpoint::List,
        mode: Mode::Lenient,
    };
    for (inv, outcome) in contract::check_operation(&obs) {
        if let Outcome::Fail(text) = outcome {
            assert!(inv.strict_only, "{} failed a fair body: {text}", inv.id);
        }
    }
}

#[test]
fn cli_lists_the_catalogue_as_an_aligned_table() {
    let out = Command::cargo_bin("opconform")
        .expect("binary")
        .arg("invariants")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("ID "), "{text}");
    assert!(text.contains("CANCEL-TERMINAL-422"));
    assert!(text.contains("422 / +400, 409"));
    assert!(text.contains(&format!("{} invariants", contract::catalogue().len())));
}

#[test]
fn cli_markdown_is_the_library_table() {
    let out = Command::cargo_bin("opconform")
        .expect("binary")
        .args(["invariants", "--markdown"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        contract::markdown_table()
    );
}

#[test]
fn cli_json_is_the_catalogue() {
    let out = Command::cargo_bin("opconform")
        .expect("binary")
        .args(["invariants", "--json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let value: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(value, contract::catalogue_json());
    let ids: Vec<&str> = value["invariants"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, contract::ids());
}

#[test]
fn cli_rejects_markdown_with_json() {
    let out = Command::cargo_bin("opconform")
        .expect("binary")
        .args(["invariants", "--markdown", "--json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
}

/// The invariant table in the book's chapter "The invariant catalogue"
/// (`docs/src/invariants.md`) is what `opconform invariants --markdown`
/// prints today. Regenerate it with that command when this fails.
#[test]
fn book_invariant_table_is_current() {
    let chapter = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/src/invariants.md"
    ))
    .expect("docs/src/invariants.md exists");
    let start_marker = "<!-- invariants:start -->\n";
    let end_marker = "<!-- invariants:end -->";
    let start = chapter
        .find(start_marker)
        .expect("docs/src/invariants.md has the invariants:start marker")
        + start_marker.len();
    let end = chapter
        .find(end_marker)
        .expect("docs/src/invariants.md has the invariants:end marker");
    assert_eq!(
        &chapter[start..end],
        contract::markdown_table(),
        "the invariant table in docs/src/invariants.md is stale: run `cargo run -- invariants --markdown` and paste it between the markers"
    );
}
