//! Body checks over one Operation: the envelope (required keys, types,
//! nullability, enums, lengths) and the cross-field rules of
//! akua-operations.md §2.1.
//!
//! Ownership of failures: each wrong value is reported by exactly one
//! invariant. A null in a non-nullable field belongs to OP-NULLABLES; the
//! type of `state`, `owner_type`, `metadata`, `last_error`, `html_url` and
//! the timestamps belongs to their own invariants; everything else about
//! presence and type belongs to OP-SCHEMA-REQUIRED. The others return
//! `NotApplicable` when the value they need is missing or of the wrong type.

use serde_json::{Map, Value};

use super::invariant::{Endpoint, Observation, Outcome};
use super::json::{JsonType, expect_type, join_problems, kind, show, whole_number};

/// The four lifecycle states.
pub(crate) const STATES: [&str; 4] = ["RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"];

/// `owner_type` values paired with their `owner_id` prefix (pairing by name
/// is inferred; the prefixes are documented).
pub(crate) const OWNERS: [(&str, &str); 7] = [
    ("install", "inst_"),
    ("repository_change_request", "rcr_"),
    ("repository", "repo_"),
    ("workspace", "ws_"),
    ("machine", "mch_"),
    ("cluster", "clu_"),
    ("package", "pkg_"),
];

/// `metadata.type` values of the published union (Aug-2026 spec, 32 types).
pub(crate) const METADATA_TYPES: [&str; 32] = [
    "machine.create",
    "machine.delete",
    "machine.suspend",
    "machine.resume",
    "cluster.create",
    "cluster.delete",
    "cluster.suspend",
    "cluster.resume",
    "cluster.capabilities.refresh",
    "cluster.capability.ensure",
    "cluster.worker_bootstrap.revoke",
    "install.create",
    "install.render",
    "install.delete",
    "preview_hostname.bind_pinned",
    "preview_hostname.bind_floating",
    "preview_hostname.delete",
    "workspace.delete",
    "workspace.subscription.cancel",
    "workspace.subdomain.set_name",
    "custom_domain.create",
    "custom_domain.update",
    "custom_domain.delete",
    "cloudflare.private_origin_route.prepare",
    "cloudflare.private_origin_route.release",
    "package.create",
    "repository_change_request.create",
    "repository_change_request.accept",
    "repository_change_request.reject",
    "repository_change_request.withdraw",
    "repository_change_request.expire",
    "repository.delete",
];

/// The 15 required keys: name, JSON type, nullable. `None` as type means a
/// dedicated invariant judges the type.
const FIELDS: [(&str, Option<JsonType>, bool); 15] = [
    ("id", Some(JsonType::String), false),
    ("workspace_id", Some(JsonType::String), true),
    ("organization_id", Some(JsonType::String), true),
    ("owner_type", None, false),
    ("owner_id", Some(JsonType::String), false),
    ("parent_operation_id", Some(JsonType::String), true),
    ("state", None, false),
    ("done", Some(JsonType::Boolean), false),
    ("html_url", None, false),
    ("metadata", None, false),
    ("response", Some(JsonType::Object), true),
    ("error", Some(JsonType::Object), true),
    ("last_error", None, true),
    ("started_at", None, false),
    ("completed_at", None, true),
];

/// The 8 required step fields: name, JSON type, nullable, allowed values.
type StepField = (&'static str, JsonType, bool, &'static [&'static str]);
const STEP_FIELDS: [StepField; 8] = [
    ("name", JsonType::String, false, &[]),
    (
        "status",
        JsonType::String,
        false,
        &["pending", "running", "completed", "failed", "skipped"],
    ),
    (
        "execution_type",
        JsonType::String,
        false,
        &["system", "user", "approval", "skipped"],
    ),
    ("started_at", JsonType::Number, false, &[]),
    ("completed_at", JsonType::Number, true, &[]),
    ("error_message", JsonType::String, true, &[]),
    ("retryable", JsonType::Boolean, false, &[]),
    ("skippable", JsonType::Boolean, false, &[]),
];

const NULLABLE_NAMES: &str =
    "workspace_id, organization_id, parent_operation_id, response, error, last_error, completed_at";

fn object<'a>(obs: &Observation<'a>) -> Option<&'a Map<String, Value>> {
    obs.body.as_object()
}

fn field<'a>(obs: &Observation<'a>, key: &str) -> Option<&'a Value> {
    object(obs).and_then(|o| o.get(key))
}

/// `state` when it is one of the four documented values.
fn known_state<'a>(obs: &Observation<'a>) -> Option<&'a str> {
    field(obs, "state")
        .and_then(Value::as_str)
        .filter(|s| STATES.contains(s))
}

fn verdict(problems: Vec<String>) -> Outcome {
    if problems.is_empty() {
        Outcome::Pass
    } else {
        Outcome::Fail(join_problems(&problems))
    }
}

/// Presence and type problems of each step (nulls excluded: OP-NULLABLES).
fn step_problems(steps: &[Value]) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let Some(step) = step.as_object() else {
            problems.push(format!(
                "steps[{i}] is {} ({}), expected an object",
                kind(step),
                show(step)
            ));
            continue;
        };
        let missing: Vec<&str> = STEP_FIELDS
            .iter()
            .map(|f| f.0)
            .filter(|k| !step.contains_key(*k))
            .collect();
        if !missing.is_empty() {
            problems.push(format!("steps[{i}] lacks {}", missing.join(", ")));
        }
        for (key, ty, _, allowed) in STEP_FIELDS {
            let Some(value) = step.get(key).filter(|v| !v.is_null()) else {
                continue;
            };
            let path = || format!("steps[{i}].{key}");
            if !ty.matches(value) {
                problems.extend(expect_type(&path(), value, ty));
            } else if !allowed.is_empty() && !value.as_str().is_some_and(|s| allowed.contains(&s)) {
                problems.push(format!(
                    "{} is {}, not one of {}",
                    path(),
                    show(value),
                    allowed.join(", ")
                ));
            }
        }
    }
    problems
}

/// OP-SCHEMA-REQUIRED: all 15 keys present, documented types (step items
/// too, except on get where OP-STEPS-ON-GET owns them).
pub(crate) fn schema_required(obs: &Observation<'_>) -> Outcome {
    let Some(op) = object(obs) else {
        return Outcome::Fail(format!(
            "body is {} ({}), expected an Operation object",
            kind(obs.body),
            show(obs.body)
        ));
    };
    let mut problems = Vec::new();
    let missing: Vec<&str> = FIELDS
        .iter()
        .map(|f| f.0)
        .filter(|k| !op.contains_key(*k))
        .collect();
    if !missing.is_empty() {
        problems.push(format!("missing required keys: {}", missing.join(", ")));
    }
    for (key, ty, _) in FIELDS {
        let (Some(ty), Some(value)) = (ty, op.get(key)) else {
            continue;
        };
        if value.is_null() {
            continue;
        }
        if let Some(p) = expect_type(key, value, ty) {
            problems.push(p);
        }
    }
    for (key, max) in [("workspace_id", 53), ("organization_id", 54)] {
        if let Some(s) = op.get(key).and_then(Value::as_str) {
            let n = s.chars().count();
            if n == 0 || n > max {
                problems.push(format!("{key} has {n} characters, expected 1-{max}"));
            }
        }
    }
    for (key, inner) in [("response", "type"), ("error", "message")] {
        if let Some(Value::Object(o)) = op.get(key) {
            match o.get(inner) {
                Some(Value::String(_)) => {}
                Some(other) => problems.push(format!(
                    "{key}.{inner} is {} ({}), expected a string",
                    kind(other),
                    show(other)
                )),
                None => problems.push(format!("{key} is an object without {inner}")),
            }
        }
    }
    match op.get("steps") {
        None | Some(Value::Null) => {}
        Some(Value::Array(steps)) => {
            if obs.endpoint != Endpoint::Get {
                problems.extend(step_problems(steps));
            }
        }
        Some(other) => problems.push(format!(
            "steps is {} ({}), expected an array",
            kind(other),
            show(other)
        )),
    }
    verdict(problems)
}

/// OP-NULLABLES: null only in the seven nullable fields (and the two
/// nullable step fields).
pub(crate) fn nullables(obs: &Observation<'_>) -> Outcome {
    let Some(op) = object(obs) else {
        return Outcome::NotApplicable;
    };
    let mut nulls: Vec<String> = FIELDS
        .iter()
        .filter(|(key, _, nullable)| !nullable && op.get(*key).is_some_and(Value::is_null))
        .map(|(key, _, _)| (*key).to_string())
        .collect();
    match op.get("steps") {
        Some(Value::Null) => nulls.push("steps".into()),
        Some(Value::Array(steps)) => {
            for (i, step) in steps.iter().enumerate() {
                for (key, _, nullable, _) in STEP_FIELDS {
                    if !nullable && step.get(key).is_some_and(Value::is_null) {
                        nulls.push(format!("steps[{i}].{key}"));
                    }
                }
            }
        }
        _ => {}
    }
    if nulls.is_empty() {
        Outcome::Pass
    } else {
        Outcome::Fail(format!(
            "null where the contract forbids it: {} (only {NULLABLE_NAMES} may be null)",
            join_problems(&nulls)
        ))
    }
}

/// Longest operation id the contract allows (`Operation.id`, and the path
/// id: 1-53 characters).
pub const ID_MAX_CHARS: usize = 53;

/// OP-ID-LEN: `id` 1-53 characters; `parent_operation_id` too when a string.
pub(crate) fn id_len(obs: &Observation<'_>) -> Outcome {
    let mut judged = false;
    let mut problems = Vec::new();
    for key in ["id", "parent_operation_id"] {
        if let Some(s) = field(obs, key).and_then(Value::as_str) {
            judged = true;
            let n = s.chars().count();
            if n == 0 {
                problems.push(format!("{key} is empty"));
            } else if n > ID_MAX_CHARS {
                problems.push(format!(
                    "{key} has {n} characters, more than {ID_MAX_CHARS}"
                ));
            }
        }
    }
    if judged {
        verdict(problems)
    } else {
        Outcome::NotApplicable
    }
}

fn enum_check(obs: &Observation<'_>, key: &str, allowed: &[&str]) -> Outcome {
    match field(obs, key) {
        None | Some(Value::Null) => Outcome::NotApplicable,
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Outcome::Pass,
        Some(other) => Outcome::Fail(format!(
            "{key} is {}, not one of {}",
            show(other),
            allowed.join(", ")
        )),
    }
}

/// OP-STATE-ENUM.
pub(crate) fn state_enum(obs: &Observation<'_>) -> Outcome {
    enum_check(obs, "state", &STATES)
}

/// OP-OWNER-ENUM.
pub(crate) fn owner_enum(obs: &Observation<'_>) -> Outcome {
    let names: Vec<&str> = OWNERS.iter().map(|o| o.0).collect();
    enum_check(obs, "owner_type", &names)
}

/// OP-DONE-TERMINAL: `done == (state != RUNNING)`.
pub(crate) fn done_terminal(obs: &Observation<'_>) -> Outcome {
    let (Some(state), Some(done)) = (
        known_state(obs),
        field(obs, "done").and_then(Value::as_bool),
    ) else {
        return Outcome::NotApplicable;
    };
    if done == (state != "RUNNING") {
        Outcome::Pass
    } else {
        Outcome::Fail(format!("done is {done} but state is \"{state}\""))
    }
}

/// OP-ERROR-ON-FAIL: FAILED and CANCELLED carry `error.message`.
pub(crate) fn error_on_fail(obs: &Observation<'_>) -> Outcome {
    let Some(state) = known_state(obs).filter(|s| *s == "FAILED" || *s == "CANCELLED") else {
        return Outcome::NotApplicable;
    };
    match field(obs, "error") {
        None => Outcome::NotApplicable,
        Some(Value::Object(e)) => match e.get("message") {
            Some(Value::String(_)) => Outcome::Pass,
            Some(other) => Outcome::Fail(format!(
                "state is \"{state}\" but error.message is {}",
                show(other)
            )),
            None => Outcome::Fail(format!("state is \"{state}\" but error has no message")),
        },
        Some(other) => Outcome::Fail(format!("state is \"{state}\" but error is {}", show(other))),
    }
}

/// OP-ERROR-NULL-OTHERWISE: RUNNING and SUCCEEDED have `error: null`.
pub(crate) fn error_null_otherwise(obs: &Observation<'_>) -> Outcome {
    let Some(state) = known_state(obs).filter(|s| *s == "RUNNING" || *s == "SUCCEEDED") else {
        return Outcome::NotApplicable;
    };
    match field(obs, "error") {
        None => Outcome::NotApplicable,
        Some(Value::Null) => Outcome::Pass,
        Some(other) => Outcome::Fail(format!("state is \"{state}\" but error is {}", show(other))),
    }
}

/// OP-RESPONSE-ONLY-SUCCESS: a non-null `response` only when SUCCEEDED.
pub(crate) fn response_only_success(obs: &Observation<'_>) -> Outcome {
    let (Some(state), Some(response)) = (known_state(obs), field(obs, "response")) else {
        return Outcome::NotApplicable;
    };
    if response.is_null() || state == "SUCCEEDED" {
        Outcome::Pass
    } else {
        Outcome::Fail(format!(
            "state is \"{state}\" but response is {}",
            show(response)
        ))
    }
}

/// OP-RESPONSE-ON-SUCCESS: SUCCEEDED carries a non-null `response`.
pub(crate) fn response_on_success(obs: &Observation<'_>) -> Outcome {
    if known_state(obs) != Some("SUCCEEDED") {
        return Outcome::NotApplicable;
    }
    match field(obs, "response") {
        None => Outcome::NotApplicable,
        Some(Value::Null) => Outcome::Fail("state is \"SUCCEEDED\" but response is null".into()),
        Some(_) => Outcome::Pass,
    }
}

/// OP-RESPONSE-TYPE-MATCH: `response.type == metadata.type`.
pub(crate) fn response_type_match(obs: &Observation<'_>) -> Outcome {
    let response = field(obs, "response").and_then(|r| r.get("type"));
    let metadata = field(obs, "metadata").and_then(|m| m.get("type"));
    match (
        response.and_then(Value::as_str),
        metadata.and_then(Value::as_str),
    ) {
        (Some(r), Some(m)) if r == m => Outcome::Pass,
        (Some(r), Some(m)) => Outcome::Fail(format!(
            "response.type is \"{r}\" but metadata.type is \"{m}\""
        )),
        _ => Outcome::NotApplicable,
    }
}

/// OP-METADATA-TYPED: `metadata` is an object with a string `type`.
pub(crate) fn metadata_typed(obs: &Observation<'_>) -> Outcome {
    match field(obs, "metadata") {
        None | Some(Value::Null) => Outcome::NotApplicable,
        Some(Value::Object(m)) => match m.get("type") {
            Some(Value::String(_)) => Outcome::Pass,
            Some(other) => Outcome::Fail(format!(
                "metadata.type is {} ({}), expected a string",
                kind(other),
                show(other)
            )),
            None => Outcome::Fail("metadata has no type".into()),
        },
        Some(other) => Outcome::Fail(format!(
            "metadata is {} ({}), expected an object",
            kind(other),
            show(other)
        )),
    }
}

/// OP-METADATA-KNOWN-TYPE: `metadata.type` is in the published union.
pub(crate) fn metadata_known_type(obs: &Observation<'_>) -> Outcome {
    match field(obs, "metadata")
        .and_then(|m| m.get("type"))
        .and_then(Value::as_str)
    {
        None => Outcome::NotApplicable,
        Some(t) if METADATA_TYPES.contains(&t) => Outcome::Pass,
        Some(t) => Outcome::Fail(format!(
            "metadata.type \"{t}\" is not one of the {} published types",
            METADATA_TYPES.len()
        )),
    }
}

/// OP-OWNER-PREFIX: `owner_id` starts with the prefix paired to `owner_type`.
pub(crate) fn owner_prefix(obs: &Observation<'_>) -> Outcome {
    let owner_type = field(obs, "owner_type").and_then(Value::as_str);
    let Some((owner_type, prefix)) = OWNERS.iter().find(|o| Some(o.0) == owner_type) else {
        return Outcome::NotApplicable;
    };
    match field(obs, "owner_id").and_then(Value::as_str) {
        None => Outcome::NotApplicable,
        Some(id) if id.starts_with(prefix) => Outcome::Pass,
        Some(id) => Outcome::Fail(format!(
            "owner_type is \"{owner_type}\" but owner_id {} does not start with \"{prefix}\"",
            show(&Value::String(id.to_string()))
        )),
    }
}

/// OP-COMPLETED-AT: `completed_at` is null exactly when `done` is false.
pub(crate) fn completed_at(obs: &Observation<'_>) -> Outcome {
    let (Some(done), Some(completed)) = (
        field(obs, "done").and_then(Value::as_bool),
        field(obs, "completed_at"),
    ) else {
        return Outcome::NotApplicable;
    };
    match (done, completed.is_null()) {
        (true, false) | (false, true) => Outcome::Pass,
        (true, true) => Outcome::Fail("done is true but completed_at is null".into()),
        (false, false) => Outcome::Fail(format!(
            "done is false but completed_at is {}",
            show(completed)
        )),
    }
}

/// OP-TIME-ORDER: `completed_at >= started_at`, for the operation and each step.
pub(crate) fn time_order(obs: &Observation<'_>) -> Outcome {
    fn pair(v: &Value) -> Option<(f64, f64)> {
        Some((
            v.get("started_at")?.as_f64()?,
            v.get("completed_at")?.as_f64()?,
        ))
    }
    let mut judged = false;
    let mut problems = Vec::new();
    if let Some((s, c)) = pair(obs.body) {
        judged = true;
        if c < s {
            problems.push(format!("completed_at {c} is before started_at {s}"));
        }
    }
    if let Some(steps) = field(obs, "steps").and_then(Value::as_array) {
        for (i, step) in steps.iter().enumerate() {
            if let Some((s, c)) = pair(step) {
                judged = true;
                if c < s {
                    problems.push(format!(
                        "steps[{i}].completed_at {c} is before steps[{i}].started_at {s}"
                    ));
                }
            }
        }
    }
    if judged {
        verdict(problems)
    } else {
        Outcome::NotApplicable
    }
}

/// OP-TS-SECONDS: timestamps are non-negative whole Unix seconds (below
/// 10^11, so milliseconds are caught).
pub(crate) fn ts_seconds(obs: &Observation<'_>) -> Outcome {
    const MILLIS_GUARD: f64 = 1e11;
    // (step index, key, value): paths are only written out for problems.
    let mut stamps: Vec<(Option<usize>, &str, &Value)> = Vec::new();
    for key in ["started_at", "completed_at"] {
        if let Some(v) = field(obs, key) {
            stamps.push((None, key, v));
        }
    }
    if let Some(steps) = field(obs, "steps").and_then(Value::as_array) {
        for (i, step) in steps.iter().enumerate() {
            for key in ["started_at", "completed_at"] {
                if let Some(v) = step.get(key) {
                    stamps.push((Some(i), key, v));
                }
            }
        }
    }
    // Nulls belong to OP-NULLABLES / are allowed for completed_at.
    stamps.retain(|(.., v)| !v.is_null());
    if stamps.is_empty() {
        return Outcome::NotApplicable;
    }
    let mut problems = Vec::new();
    for (step, key, value) in stamps {
        let problem = match whole_number(value) {
            None if value.is_number() => format!("is {}, not whole seconds", show(value)),
            None => format!(
                "is {} ({}), expected integer Unix seconds",
                kind(value),
                show(value)
            ),
            Some(n) if n < 0.0 => format!("is negative ({})", show(value)),
            Some(n) if n >= MILLIS_GUARD => format!(
                "is {}, which looks like milliseconds, not seconds",
                show(value)
            ),
            Some(_) => continue,
        };
        problems.push(match step {
            Some(i) => format!("steps[{i}].{key} {problem}"),
            None => format!("{key} {problem}"),
        });
    }
    verdict(problems)
}

/// OP-HTMLURL: an absolute URI of at most 2048 characters.
pub(crate) fn html_url(obs: &Observation<'_>) -> Outcome {
    match field(obs, "html_url") {
        None | Some(Value::Null) => Outcome::NotApplicable,
        Some(Value::String(s)) => {
            let n = s.chars().count();
            if n > 2048 {
                return Outcome::Fail(format!("html_url has {n} characters, more than 2048"));
            }
            // The url crate quietly strips whitespace that RFC 3986 forbids.
            if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Outcome::Fail(format!(
                    "html_url {} contains whitespace or control characters",
                    show(&Value::String(s.clone()))
                ));
            }
            match url::Url::parse(s) {
                Ok(_) => Outcome::Pass,
                Err(e) => Outcome::Fail(format!(
                    "html_url {} is not an absolute URI ({e})",
                    show(&Value::String(s.clone()))
                )),
            }
        }
        Some(other) => Outcome::Fail(format!(
            "html_url is {} ({}), expected a string",
            kind(other),
            show(other)
        )),
    }
}

/// OP-LAST-ERROR-SHAPE: null or `{message: string, step_name?: string}`.
pub(crate) fn last_error_shape(obs: &Observation<'_>) -> Outcome {
    match field(obs, "last_error") {
        None => Outcome::NotApplicable,
        Some(Value::Null) => Outcome::Pass,
        Some(Value::Object(e)) => {
            let mut problems = Vec::new();
            match e.get("message") {
                Some(Value::String(_)) => {}
                None => problems.push("last_error has no message".to_string()),
                Some(other) => problems.push(format!(
                    "last_error.message is {} ({}), expected a string",
                    kind(other),
                    show(other)
                )),
            }
            match e.get("step_name") {
                None | Some(Value::String(_)) => {}
                Some(other) => problems.push(format!(
                    "last_error.step_name is {} ({}), expected a string or absent",
                    kind(other),
                    show(other)
                )),
            }
            verdict(problems)
        }
        Some(other) => Outcome::Fail(format!(
            "last_error is {} ({}), expected null or an object",
            kind(other),
            show(other)
        )),
    }
}

/// OP-STEPS-ON-GET: get returns `steps`, each step complete and valid.
pub(crate) fn steps_on_get(obs: &Observation<'_>) -> Outcome {
    if obs.endpoint != Endpoint::Get || object(obs).is_none() {
        return Outcome::NotApplicable;
    }
    match field(obs, "steps") {
        None => Outcome::Fail("get returned no steps key".into()),
        Some(Value::Null) => Outcome::NotApplicable,
        Some(Value::Array(steps)) => verdict(step_problems(steps)),
        Some(other) => Outcome::Fail(format!(
            "steps is {} ({}), expected an array",
            kind(other),
            show(other)
        )),
    }
}

/// OP-STEPS-OFF-LIST: list items carry no per-step detail (`steps` absent
/// or `[]`).
pub(crate) fn steps_off_list(obs: &Observation<'_>) -> Outcome {
    if obs.endpoint != Endpoint::List || object(obs).is_none() {
        return Outcome::NotApplicable;
    }
    match field(obs, "steps") {
        None => Outcome::Pass,
        Some(Value::Null) => Outcome::NotApplicable,
        Some(Value::Array(steps)) if steps.is_empty() => Outcome::Pass,
        Some(Value::Array(steps)) => {
            Outcome::Fail(format!("list item carries {} steps", steps.len()))
        }
        Some(other) => Outcome::Fail(format!("list item carries steps {}", show(other))),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::contract::invariant::Mode;
    use serde_json::json;

    /// A valid RUNNING operation as get returns it.
    pub(crate) fn running() -> Value {
        json!({
            "id": "op_j572abc123def456", "workspace_id": "ws_j572abc123def456",
            "organization_id": "org_1", "owner_type": "machine", "owner_id": "mch_1",
            "parent_operation_id": null, "state": "RUNNING", "done": false,
            "html_url": "https://akua.dev/machines/mch_1?tab=operations",
            "metadata": {"type": "machine.delete", "machine_id": "mch_1"},
            "response": null, "error": null, "last_error": null,
            "started_at": 1_767_000_000, "completed_at": null,
            "steps": [{"name": "drain", "status": "running", "execution_type": "system",
                       "started_at": 1_767_000_000, "completed_at": null,
                       "error_message": null, "retryable": true, "skippable": false}]
        })
    }

    pub(crate) fn succeeded() -> Value {
        let mut op = running();
        op["state"] = json!("SUCCEEDED");
        op["done"] = json!(true);
        op["completed_at"] = json!(1_767_000_030);
        op["response"] = json!({"type": "machine.delete", "machine_id": "mch_1"});
        op
    }

    pub(crate) fn cancelled() -> Value {
        let mut op = running();
        op["state"] = json!("CANCELLED");
        op["done"] = json!(true);
        op["completed_at"] = json!(1_767_000_030);
        op["error"] = json!({"message": "cancelled by user"});
        op
    }

    fn on(endpoint: Endpoint, body: &Value, f: fn(&Observation<'_>) -> Outcome) -> Outcome {
        f(&Observation {
            body,
            exchange: None,
            endpoint,
            mode: Mode::Lenient,
        })
    }

    fn get(body: &Value, f: fn(&Observation<'_>) -> Outcome) -> Outcome {
        on(Endpoint::Get, body, f)
    }

    fn with(mut body: Value, key: &str, value: Value) -> Value {
        body[key] = value;
        body
    }

    fn without(mut body: Value, key: &str) -> Value {
        if let Some(o) = body.as_object_mut() {
            o.remove(key);
        }
        body
    }

    fn fail(outcome: Outcome) -> String {
        match outcome {
            Outcome::Fail(text) => text,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn schema_required() {
        for op in [running(), succeeded(), cancelled()] {
            assert_eq!(get(&op, super::schema_required), Outcome::Pass);
        }
        let text = fail(get(
            &without(without(running(), "done"), "html_url"),
            super::schema_required,
        ));
        assert_eq!(text, "missing required keys: done, html_url");
        assert_eq!(
            fail(get(
                &with(running(), "done", json!("false")),
                super::schema_required
            )),
            "done is a string (\"false\"), expected a boolean"
        );
        assert_eq!(
            fail(get(&json!([1]), super::schema_required)),
            "body is an array ([1]), expected an Operation object"
        );
        assert_eq!(
            fail(get(
                &with(running(), "workspace_id", json!("")),
                super::schema_required
            )),
            "workspace_id has 0 characters, expected 1-53"
        );
        assert_eq!(
            fail(get(
                &with(succeeded(), "response", json!({"x": 1})),
                super::schema_required
            )),
            "response is an object without type"
        );
        // Step items are judged here except on get.
        let mut bad_step = running();
        bad_step["steps"][0]["status"] = json!("done");
        assert_eq!(get(&bad_step, super::schema_required), Outcome::Pass);
        assert!(
            fail(on(Endpoint::Wait, &bad_step, super::schema_required))
                .contains("steps[0].status is \"done\"")
        );
        // A null in a non-nullable field is OP-NULLABLES' failure.
        assert_eq!(
            get(
                &with(running(), "done", Value::Null),
                super::schema_required
            ),
            Outcome::Pass
        );
    }

    #[test]
    fn nullables() {
        assert_eq!(get(&running(), super::nullables), Outcome::Pass);
        let text = fail(get(
            &with(running(), "state", Value::Null),
            super::nullables,
        ));
        assert!(
            text.starts_with("null where the contract forbids it: state ("),
            "{text}"
        );
        let mut step = running();
        step["steps"][0]["retryable"] = Value::Null;
        assert!(fail(get(&step, super::nullables)).contains("steps[0].retryable"));
        assert_eq!(get(&json!("x"), super::nullables), Outcome::NotApplicable);
    }

    #[test]
    fn id_len() {
        assert_eq!(get(&running(), super::id_len), Outcome::Pass);
        let long = format!("op_{}", "a".repeat(51));
        assert_eq!(
            fail(get(&with(running(), "id", json!(long)), super::id_len)),
            "id has 54 characters, more than 53"
        );
        assert_eq!(
            fail(get(
                &with(running(), "parent_operation_id", json!("")),
                super::id_len
            )),
            "parent_operation_id is empty"
        );
        assert_eq!(
            get(&with(running(), "id", json!(5)), super::id_len),
            Outcome::NotApplicable
        );
    }

    #[test]
    fn state_enum() {
        assert_eq!(get(&running(), super::state_enum), Outcome::Pass);
        assert_eq!(
            fail(get(
                &with(running(), "state", json!("PAUSED")),
                super::state_enum
            )),
            "state is \"PAUSED\", not one of RUNNING, SUCCEEDED, FAILED, CANCELLED"
        );
        assert!(fail(get(&with(running(), "state", json!(3)), super::state_enum)).contains("is 3"));
    }

    #[test]
    fn done_terminal() {
        assert_eq!(get(&cancelled(), super::done_terminal), Outcome::Pass);
        assert_eq!(get(&running(), super::done_terminal), Outcome::Pass);
        assert_eq!(
            fail(get(
                &with(cancelled(), "done", json!(false)),
                super::done_terminal
            )),
            "done is false but state is \"CANCELLED\""
        );
        assert_eq!(
            fail(get(
                &with(running(), "done", json!(true)),
                super::done_terminal
            )),
            "done is true but state is \"RUNNING\""
        );
        assert_eq!(
            get(&with(running(), "done", json!("no")), super::done_terminal),
            Outcome::NotApplicable
        );
    }

    #[test]
    fn error_on_fail() {
        assert_eq!(get(&cancelled(), super::error_on_fail), Outcome::Pass);
        assert_eq!(
            get(&running(), super::error_on_fail),
            Outcome::NotApplicable
        );
        let failed = with(
            with(cancelled(), "state", json!("FAILED")),
            "error",
            Value::Null,
        );
        assert_eq!(
            fail(get(&failed, super::error_on_fail)),
            "state is \"FAILED\" but error is null"
        );
        assert_eq!(
            fail(get(
                &with(cancelled(), "error", json!({})),
                super::error_on_fail
            )),
            "state is \"CANCELLED\" but error has no message"
        );
    }

    #[test]
    fn error_null_otherwise() {
        assert_eq!(
            get(&succeeded(), super::error_null_otherwise),
            Outcome::Pass
        );
        assert_eq!(
            get(&cancelled(), super::error_null_otherwise),
            Outcome::NotApplicable
        );
        assert_eq!(
            fail(get(
                &with(running(), "error", json!({"message": "x"})),
                super::error_null_otherwise
            )),
            "state is \"RUNNING\" but error is {\"message\":\"x\"}"
        );
    }

    #[test]
    fn response_only_success() {
        assert_eq!(
            get(&succeeded(), super::response_only_success),
            Outcome::Pass
        );
        assert_eq!(get(&running(), super::response_only_success), Outcome::Pass);
        assert_eq!(
            fail(get(
                &with(running(), "response", json!({"type": "machine.delete"})),
                super::response_only_success
            )),
            "state is \"RUNNING\" but response is {\"type\":\"machine.delete\"}"
        );
    }

    #[test]
    fn response_on_success() {
        assert_eq!(get(&succeeded(), super::response_on_success), Outcome::Pass);
        assert_eq!(
            get(&running(), super::response_on_success),
            Outcome::NotApplicable
        );
        assert_eq!(
            fail(get(
                &with(succeeded(), "response", Value::Null),
                super::response_on_success
            )),
            "state is \"SUCCEEDED\" but response is null"
        );
    }

    #[test]
    fn response_type_match() {
        assert_eq!(get(&succeeded(), super::response_type_match), Outcome::Pass);
        assert_eq!(
            get(&running(), super::response_type_match),
            Outcome::NotApplicable
        );
        assert_eq!(
            fail(get(
                &with(succeeded(), "response", json!({"type": "machine.create"})),
                super::response_type_match
            )),
            "response.type is \"machine.create\" but metadata.type is \"machine.delete\""
        );
    }

    #[test]
    fn metadata_typed_and_known_type() {
        assert_eq!(get(&running(), super::metadata_typed), Outcome::Pass);
        assert_eq!(get(&running(), super::metadata_known_type), Outcome::Pass);
        assert_eq!(
            fail(get(
                &with(running(), "metadata", json!({})),
                super::metadata_typed
            )),
            "metadata has no type"
        );
        assert_eq!(
            fail(get(
                &with(running(), "metadata", json!("x")),
                super::metadata_typed
            )),
            "metadata is a string (\"x\"), expected an object"
        );
        let unknown = with(running(), "metadata", json!({"type": "widget.spin"}));
        assert_eq!(get(&unknown, super::metadata_typed), Outcome::Pass);
        assert_eq!(
            fail(get(&unknown, super::metadata_known_type)),
            "metadata.type \"widget.spin\" is not one of the 32 published types"
        );
    }

    #[test]
    fn owner_enum_and_prefix() {
        assert_eq!(get(&running(), super::owner_enum), Outcome::Pass);
        assert_eq!(get(&running(), super::owner_prefix), Outcome::Pass);
        assert!(
            fail(get(
                &with(running(), "owner_type", json!("user")),
                super::owner_enum
            ))
            .starts_with("owner_type is \"user\", not one of install, ")
        );
        assert_eq!(
            fail(get(
                &with(running(), "owner_id", json!("clu_1")),
                super::owner_prefix
            )),
            "owner_type is \"machine\" but owner_id \"clu_1\" does not start with \"mch_\""
        );
        assert_eq!(
            get(
                &with(running(), "owner_type", json!("user")),
                super::owner_prefix
            ),
            Outcome::NotApplicable
        );
    }

    #[test]
    fn completed_at() {
        assert_eq!(get(&running(), super::completed_at), Outcome::Pass);
        assert_eq!(get(&cancelled(), super::completed_at), Outcome::Pass);
        assert_eq!(
            fail(get(
                &with(cancelled(), "completed_at", Value::Null),
                super::completed_at
            )),
            "done is true but completed_at is null"
        );
        assert_eq!(
            fail(get(
                &with(running(), "completed_at", json!(5)),
                super::completed_at
            )),
            "done is false but completed_at is 5"
        );
    }

    #[test]
    fn time_order() {
        assert_eq!(get(&cancelled(), super::time_order), Outcome::Pass);
        assert_eq!(
            fail(get(
                &with(cancelled(), "completed_at", json!(1)),
                super::time_order
            )),
            "completed_at 1 is before started_at 1767000000"
        );
        let mut step = running();
        step["steps"][0]["completed_at"] = json!(10);
        assert!(fail(get(&step, super::time_order)).starts_with("steps[0].completed_at 10"));
        assert_eq!(get(&json!({}), super::time_order), Outcome::NotApplicable);
    }

    #[test]
    fn ts_seconds() {
        assert_eq!(get(&cancelled(), super::ts_seconds), Outcome::Pass);
        assert_eq!(
            get(
                &with(running(), "started_at", json!(1_767_000_000.0)),
                super::ts_seconds
            ),
            Outcome::Pass
        );
        assert_eq!(
            fail(get(
                &with(running(), "started_at", json!(1_767_000_000_000_u64)),
                super::ts_seconds
            )),
            "started_at is 1767000000000, which looks like milliseconds, not seconds"
        );
        assert_eq!(
            fail(get(
                &with(running(), "started_at", json!(-1)),
                super::ts_seconds
            )),
            "started_at is negative (-1)"
        );
        assert_eq!(
            fail(get(
                &with(running(), "started_at", json!(1.5)),
                super::ts_seconds
            )),
            "started_at is 1.5, not whole seconds"
        );
        assert!(
            fail(get(
                &with(running(), "started_at", json!("2026-01-01")),
                super::ts_seconds
            ))
            .starts_with("started_at is a string")
        );
    }

    #[test]
    fn html_url() {
        assert_eq!(get(&running(), super::html_url), Outcome::Pass);
        assert!(
            fail(get(
                &with(running(), "html_url", json!("/ops/1")),
                super::html_url
            ))
            .starts_with("html_url \"/ops/1\" is not an absolute URI")
        );
        let long = format!("https://akua.dev/{}", "a".repeat(2048));
        assert!(
            fail(get(
                &with(running(), "html_url", json!(long)),
                super::html_url
            ))
            .ends_with("more than 2048")
        );
        assert!(
            fail(get(
                &with(running(), "html_url", json!("https://a b")),
                super::html_url
            ))
            .contains("whitespace")
        );
    }

    #[test]
    fn last_error_shape() {
        assert_eq!(get(&running(), super::last_error_shape), Outcome::Pass);
        let ok = with(
            running(),
            "last_error",
            json!({"message": "x", "step_name": "drain"}),
        );
        assert_eq!(get(&ok, super::last_error_shape), Outcome::Pass);
        assert_eq!(
            fail(get(
                &with(running(), "last_error", json!({"step_name": 1})),
                super::last_error_shape
            )),
            "last_error has no message; last_error.step_name is a number (1), expected a string or absent"
        );
        assert_eq!(
            fail(get(
                &with(running(), "last_error", json!("boom")),
                super::last_error_shape
            )),
            "last_error is a string (\"boom\"), expected null or an object"
        );
    }

    #[test]
    fn steps_on_get() {
        assert_eq!(get(&running(), super::steps_on_get), Outcome::Pass);
        assert_eq!(
            on(
                Endpoint::Cancel,
                &without(running(), "steps"),
                super::steps_on_get
            ),
            Outcome::NotApplicable
        );
        assert_eq!(
            fail(get(&without(running(), "steps"), super::steps_on_get)),
            "get returned no steps key"
        );
        let mut bad = running();
        bad["steps"][0]["execution_type"] = json!("robot");
        if let Some(step) = bad["steps"][0].as_object_mut() {
            step.remove("skippable");
        }
        assert_eq!(
            fail(get(&bad, super::steps_on_get)),
            "steps[0] lacks skippable; steps[0].execution_type is \"robot\", not one of system, user, approval, skipped"
        );
    }

    #[test]
    fn steps_off_list() {
        let list = |b: &Value| on(Endpoint::List, b, super::steps_off_list);
        assert_eq!(list(&without(running(), "steps")), Outcome::Pass);
        assert_eq!(list(&with(running(), "steps", json!([]))), Outcome::Pass);
        assert_eq!(fail(list(&running())), "list item carries 1 steps");
        assert_eq!(
            get(&running(), super::steps_off_list),
            Outcome::NotApplicable
        );
    }

    #[test]
    fn every_check_survives_hostile_json() {
        let hostile = [
            json!(null),
            json!(1),
            json!("op"),
            json!([running()]),
            json!({"state": {"x": 1}, "done": [], "steps": {"a": 1}, "metadata": [],
                   "response": "x", "error": 7, "started_at": "x", "completed_at": {},
                   "owner_type": 1, "owner_id": null, "html_url": 3, "last_error": []}),
            json!({"steps": [1, null, "x", {"started_at": -1e300, "completed_at": 1e300}]}),
        ];
        let checks: [fn(&Observation<'_>) -> Outcome; 21] = [
            super::schema_required,
            super::nullables,
            super::id_len,
            super::state_enum,
            super::owner_enum,
            super::done_terminal,
            super::error_on_fail,
            super::error_null_otherwise,
            super::response_only_success,
            super::response_on_success,
            super::response_type_match,
            super::metadata_typed,
            super::metadata_known_type,
            super::owner_prefix,
            super::completed_at,
            super::time_order,
            super::ts_seconds,
            super::html_url,
            super::last_error_shape,
            super::steps_on_get,
            super::steps_off_list,
        ];
        for body in &hostile {
            for endpoint in [Endpoint::Get, Endpoint::List, Endpoint::Cancel] {
                for check in checks {
                    // Must not panic; the outcome itself is covered above.
                    let _ = on(endpoint, body, check);
                }
            }
        }
        assert!(matches!(
            get(&hostile[4], super::schema_required),
            Outcome::Fail(_)
        ));
    }
}
