//! JSON Schemas of the bodies: compiled once, reused for every response.
//!
//! Two sources: the schemas bundled in `schemas/` (written from the
//! documented contract, embedded with `include_str!` so the binary works
//! anywhere), or the components of an OpenAPI 3.1 document (`--openapi`).
//! Either way the result is a [`Schemas`] that is built once per run and
//! shared by reference.

use std::path::Path;

use jsonschema::{Draft, Registry, Validator};
use serde_json::{Value, json};

use crate::vocab::BodyKind;

/// `$id` base of the bundled schemas. `.invalid` (RFC 2606) so that nothing
/// can ever be fetched from it.
const BUNDLED_BASE: &str = "https://opconform.invalid/schemas/";
/// URI the OpenAPI document is registered under; its internal `#/...`
/// references resolve against it.
const OPENAPI_URI: &str = "https://opconform.invalid/openapi/document.json";

const OPERATION_SCHEMA: &str = include_str!("../../schemas/operation.schema.json");
const OPERATION_STEP_SCHEMA: &str = include_str!("../../schemas/operation_step.schema.json");
const OPERATION_LIST_SCHEMA: &str = include_str!("../../schemas/operation_list.schema.json");
const ERROR_SCHEMA: &str = include_str!("../../schemas/error.schema.json");

/// The bundled schema files, by file name (for `--help`, docs and tests).
pub const BUNDLED_FILES: [(&str, &str); 4] = [
    ("operation.schema.json", OPERATION_SCHEMA),
    ("operation_step.schema.json", OPERATION_STEP_SCHEMA),
    ("operation_list.schema.json", OPERATION_LIST_SCHEMA),
    ("error.schema.json", ERROR_SCHEMA),
];

/// Longest violation message kept; a failing `anyOf` can quote a whole body.
const MAX_MESSAGE_CHARS: usize = 400;

/// One schema violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// JSON pointer into the body, e.g. `/state`.
    pub pointer: String,
    /// What is wrong, e.g. `"PAUSED" is not one of [...]`.
    pub message: String,
}

/// Failure to load or compile schemas.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// A schema or OpenAPI document could not be read or compiled.
    #[error("load schema {path}: {message}")]
    Load {
        /// File (or `bundled:NAME`).
        path: String,
        /// What went wrong and how to fix it.
        message: String,
    },
}

/// The compiled Operation, OperationList and error-envelope schemas.
pub struct Schemas {
    operation: Validator,
    list: Validator,
    /// Either documented envelope.
    error: Validator,
    /// akua's `ApiErrorResponse` alone (for precise messages).
    error_akua: Validator,
    /// The introduction page's `{error: {code, message}}` alone.
    error_intro: Validator,
    origin: String,
    notes: Vec<String>,
}

impl std::fmt::Debug for Schemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schemas")
            .field("origin", &self.origin)
            .field("notes", &self.notes)
            .finish_non_exhaustive()
    }
}

impl Schemas {
    /// The schemas bundled in `schemas/` (compiled in).
    ///
    /// ```
    /// use opconform::case::BodyKind;
    /// use opconform::contract::Schemas;
    /// let schemas = Schemas::bundled().unwrap();
    /// let bad = serde_json::json!({"error": {"code": 404, "message": "no"}});
    /// assert!(!schemas.validate(BodyKind::Error, &bad).is_empty());
    /// ```
    pub fn bundled() -> Result<Schemas, SchemaError> {
        let registry = bundled_registry(None)?;
        let akua = bundled_uri("error.schema.json#/$defs/ApiErrorResponse");
        Self::compile(
            &registry,
            "bundled",
            &bundled_uri("operation.schema.json"),
            &bundled_uri("operation_list.schema.json"),
            &akua,
            Vec::new(),
        )
    }

    /// Takes Operation, OperationStep, OperationList and the error envelope
    /// from an OpenAPI 3.1 document (`--openapi FILE`, JSON).
    ///
    /// Internal `$ref`s resolve because the whole document is registered as
    /// one resource. The Jul-2026 `nullable: true` notation is rewritten to
    /// `type: [T, "null"]` first. Error bodies are checked against the
    /// document's `ApiErrorResponse` OR the introduction page's
    /// `{error: {code, message}}` (both are documented); when the document
    /// has no `ApiErrorResponse`, the bundled one is used and
    /// [`Schemas::notes`] says so.
    pub fn from_openapi(path: &Path) -> Result<Schemas, SchemaError> {
        let shown = path.display().to_string();
        let fail = |message: String| SchemaError::Load {
            path: shown.clone(),
            message,
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| fail(format!("cannot read the file: {e}")))?;
        let mut doc: Value = serde_json::from_str(&text).map_err(|e| {
            // serde_json's message ends with "at line L column C".
            fail(format!(
                "not valid JSON: {e}; --openapi takes a JSON document \
                 (convert YAML first, e.g. `yq -o json`)"
            ))
        })?;
        match doc.get("openapi").and_then(Value::as_str) {
            Some(v) if v.starts_with("3.") => {}
            Some(v) => {
                return Err(fail(format!(
                    "`openapi` is \"{v}\"; expected an OpenAPI 3.1 document"
                )));
            }
            None => {
                return Err(fail(
                    "no top-level `openapi` version string; expected an OpenAPI 3.1 document \
                     such as akua's openapi/public.json"
                        .into(),
                ));
            }
        }
        let components = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                fail(
                    "no `components.schemas` object; expected the Operation, OperationStep \
                     and OperationList components"
                        .into(),
                )
            })?;
        for name in ["Operation", "OperationStep", "OperationList"] {
            match components.get(name) {
                Some(Value::Object(_)) | Some(Value::Bool(_)) => {}
                Some(_) => {
                    return Err(fail(format!(
                        "component `components.schemas.{name}` is not a schema object"
                    )));
                }
                None => {
                    return Err(fail(format!(
                        "missing component `components.schemas.{name}`; the document must \
                         define Operation, OperationStep and OperationList"
                    )));
                }
            }
        }
        let has_error_schema = components.contains_key("ApiErrorResponse");
        rewrite_nullable(&mut doc);

        let registry = bundled_registry(Some(doc))
            .map_err(|e| fail(format!("cannot register the document: {}", load_message(e))))?;
        let component = |name: &str| format!("{OPENAPI_URI}#/components/schemas/{name}");
        let mut notes = Vec::new();
        let akua = if has_error_schema {
            component("ApiErrorResponse")
        } else {
            notes.push(format!(
                "{shown} has no `components.schemas.ApiErrorResponse`; error bodies are checked \
                 against the bundled error schema"
            ));
            bundled_uri("error.schema.json#/$defs/ApiErrorResponse")
        };
        // Every component is compiled here, so a broken one fails the load and
        // never a run.
        compile_one(&registry, &component("OperationStep"))
            .map_err(|e| fail(format!("component `OperationStep` does not compile: {e}")))?;
        Self::compile(
            &registry,
            &shown,
            &component("Operation"),
            &component("OperationList"),
            &akua,
            notes,
        )
        .map_err(|e| match e {
            SchemaError::Load { message, .. } => fail(message),
        })
    }

    fn compile(
        registry: &Registry<'_>,
        origin: &str,
        operation: &str,
        list: &str,
        akua_error: &str,
        notes: Vec<String>,
    ) -> Result<Schemas, SchemaError> {
        let fail = |what: &str, e: String| SchemaError::Load {
            path: origin.to_string(),
            message: format!("{what} schema does not compile: {e}"),
        };
        let intro = bundled_uri("error.schema.json#/$defs/IntroError");
        let either = json!({"anyOf": [{"$ref": akua_error}, {"$ref": intro}]});
        Ok(Schemas {
            operation: compile_one(registry, operation).map_err(|e| fail("Operation", e))?,
            list: compile_one(registry, list).map_err(|e| fail("OperationList", e))?,
            error: compile_value(registry, &either).map_err(|e| fail("error", e))?,
            error_akua: compile_one(registry, akua_error)
                .map_err(|e| fail("ApiErrorResponse", e))?,
            error_intro: compile_one(registry, &intro).map_err(|e| fail("error", e))?,
            origin: origin.to_string(),
            notes,
        })
    }

    /// Where the schemas came from: `bundled` or the OpenAPI file as given.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Things the user should know about the loaded schemas (e.g. a fallback
    /// to the bundled error schema). The CLI prints them.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Every violation of `body` against the schema for `kind`; empty when valid.
    ///
    /// For error bodies that match neither envelope, the violations of the
    /// envelope the body seems to attempt are returned (both when unclear),
    /// each message prefixed with the envelope's name.
    pub fn validate(&self, kind: BodyKind, body: &Value) -> Vec<SchemaViolation> {
        match kind {
            BodyKind::Operation => violations(&self.operation, body, ""),
            BodyKind::OperationList => violations(&self.list, body, ""),
            BodyKind::Error => {
                if self.error.is_valid(body) {
                    return Vec::new();
                }
                let (akua_like, intro_like) = match body.as_object() {
                    Some(o) => (
                        ["success", "errors", "result"]
                            .iter()
                            .any(|k| o.contains_key(*k)),
                        o.contains_key("error"),
                    ),
                    None => (false, false),
                };
                let mut out = Vec::new();
                if akua_like || !intro_like {
                    out.extend(violations(
                        &self.error_akua,
                        body,
                        "as ApiErrorResponse {success, errors, result}: ",
                    ));
                }
                if intro_like || !akua_like {
                    out.extend(violations(
                        &self.error_intro,
                        body,
                        "as {error: {code, message}}: ",
                    ));
                }
                out
            }
        }
    }
}

fn bundled_uri(rest: &str) -> String {
    format!("{BUNDLED_BASE}{rest}")
}

/// A registry holding the bundled schemas and, optionally, an OpenAPI
/// document. No retriever: nothing outside it is ever fetched.
fn bundled_registry(openapi: Option<Value>) -> Result<Registry<'static>, SchemaError> {
    let mut resources = Vec::with_capacity(5);
    for (name, text) in BUNDLED_FILES {
        let value: Value = serde_json::from_str(text).map_err(|e| SchemaError::Load {
            path: format!("bundled:{name}"),
            message: format!("not valid JSON: {e}"),
        })?;
        resources.push((bundled_uri(name), Draft::Draft202012.create_resource(value)));
    }
    if let Some(doc) = openapi {
        resources.push((
            OPENAPI_URI.to_string(),
            Draft::Draft202012.create_resource(doc),
        ));
    }
    Registry::new()
        .draft(Draft::Draft202012)
        .extend(resources)
        .and_then(|b| b.prepare())
        .map_err(|e| SchemaError::Load {
            path: "bundled".into(),
            message: format!("cannot register the schemas: {e}"),
        })
}

fn load_message(e: SchemaError) -> String {
    match e {
        SchemaError::Load { message, .. } => message,
    }
}

fn compile_one(registry: &Registry<'_>, uri: &str) -> Result<Validator, String> {
    compile_value(registry, &json!({ "$ref": uri }))
}

fn compile_value(registry: &Registry<'_>, schema: &Value) -> Result<Validator, String> {
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .with_registry(registry)
        .offline()
        // Draft 2020-12 treats `format` as an annotation; html_url is
        // documented as `format: uri`, so assert it.
        .should_validate_formats(true)
        .should_ignore_unknown_formats(true)
        .build(schema)
        .map_err(|e| e.to_string())
}

fn violations(validator: &Validator, body: &Value, prefix: &str) -> Vec<SchemaViolation> {
    // Fast path: `is_valid` stops at the first error and builds none; only
    // invalid bodies pay for collecting every error.
    if validator.is_valid(body) {
        return Vec::new();
    }
    validator
        .iter_errors(body)
        .map(|err| SchemaViolation {
            pointer: err.instance_path().as_str().to_string(),
            message: cap(format!("{prefix}{err}")),
        })
        .collect()
}

fn cap(mut message: String) -> String {
    if let Some((at, _)) = message.char_indices().nth(MAX_MESSAGE_CHARS) {
        message.truncate(at);
        message.push('…');
    }
    message
}

/// Rewrites OpenAPI 3.0-style `nullable: true` (still used by akua's
/// Jul-2026 document) into JSON Schema 2020-12, which ignores `nullable`.
fn rewrite_nullable(value: &mut Value) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(rewrite_nullable),
        Value::Object(map) => {
            for child in map.values_mut() {
                rewrite_nullable(child);
            }
            if map.get("nullable") != Some(&Value::Bool(true)) {
                return;
            }
            map.remove("nullable");
            if let Some(Value::Array(values)) = map.get_mut("enum") {
                if !values.contains(&Value::Null) {
                    values.push(Value::Null);
                }
            }
            match map.get_mut("type") {
                Some(Value::String(t)) => {
                    let t = std::mem::take(t);
                    map.insert("type".into(), json!([t, "null"]));
                }
                Some(Value::Array(types)) => {
                    if !types.iter().any(|t| t == "null") {
                        types.push(json!("null"));
                    }
                }
                _ => {
                    // `$ref`, `allOf`, `oneOf` ...: null OR the rest.
                    let rest = Value::Object(std::mem::take(map));
                    map.insert("anyOf".into(), json!([{"type": "null"}, rest]));
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op() -> Value {
        json!({
            "id": "op_abc", "workspace_id": "ws_1", "organization_id": null,
            "owner_type": "machine", "owner_id": "mch_1", "parent_operation_id": null,
            "state": "RUNNING", "done": false, "html_url": "https://akua.dev/x",
            "metadata": {"type": "machine.delete"}, "response": null, "error": null,
            "last_error": null, "started_at": 1, "completed_at": null
        })
    }

    #[test]
    fn bundled_accepts_a_valid_operation_and_reports_every_violation() {
        let s = Schemas::bundled().unwrap();
        assert!(s.validate(BodyKind::Operation, &op()).is_empty());
        let mut bad = op();
        bad["state"] = json!("PAUSED");
        bad["html_url"] = json!("not a uri");
        let v = s.validate(BodyKind::Operation, &bad);
        let pointers: Vec<&str> = v.iter().map(|v| v.pointer.as_str()).collect();
        assert!(pointers.contains(&"/state"), "{v:?}");
        assert!(pointers.contains(&"/html_url"), "{v:?}");
    }

    #[test]
    fn error_messages_name_the_attempted_envelope() {
        let s = Schemas::bundled().unwrap();
        let v = s.validate(
            BodyKind::Error,
            &json!({"error": {"code": 404, "message": "x"}}),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].pointer, "/error/code");
        assert!(v[0].message.starts_with("as {error"), "{}", v[0].message);
    }

    #[test]
    fn nullable_rewrite_covers_type_enum_and_refs() {
        let mut doc = json!({
            "a": {"type": "string", "nullable": true},
            "b": {"enum": ["x"], "type": "string", "nullable": true},
            "c": {"$ref": "#/x", "nullable": true},
            "d": {"type": "string", "nullable": false}
        });
        rewrite_nullable(&mut doc);
        assert_eq!(doc["a"], json!({"type": ["string", "null"]}));
        assert_eq!(
            doc["b"],
            json!({"enum": ["x", null], "type": ["string", "null"]})
        );
        assert_eq!(
            doc["c"],
            json!({"anyOf": [{"type": "null"}, {"$ref": "#/x"}]})
        );
        assert_eq!(doc["d"]["type"], json!("string"));
    }

    #[test]
    fn schemas_can_be_shared_across_tasks() {
        fn shared<T: Send + Sync>() {}
        shared::<Schemas>();
    }

    #[test]
    fn long_messages_are_capped_on_a_char_boundary() {
        let s = cap("é".repeat(1000));
        assert_eq!(s.chars().count(), MAX_MESSAGE_CHARS + 1);
    }
}
