//! Body check over one 4xx body: ERR-ENVELOPE. akua documents two envelopes
//! (akua-operations.md §1.6) and either one passes.

use serde_json::{Map, Value};

use super::invariant::{Observation, Outcome};
use super::json::{join_problems, kind, show};

/// Problems of `body` read as akua's `ApiErrorResponse`
/// `{success: false, errors: [{code: int, message, path?, metadata?}], result: {}}`.
fn api_error_problems(body: &Map<String, Value>) -> Vec<String> {
    let mut problems = Vec::new();
    match body.get("success") {
        Some(Value::Bool(false)) => {}
        Some(other) => problems.push(format!("success is {}, expected false", show(other))),
        None => problems.push("success is missing".into()),
    }
    match body.get("result") {
        Some(Value::Object(_)) => {}
        Some(other) => problems.push(format!(
            "result is {} ({}), expected an object",
            kind(other),
            show(other)
        )),
        None => problems.push("result is missing".into()),
    }
    match body.get("errors") {
        Some(Value::Array(entries)) => {
            for (i, entry) in entries.iter().enumerate() {
                entry_problems(i, entry, &mut problems);
            }
        }
        Some(other) => problems.push(format!(
            "errors is {} ({}), expected an array",
            kind(other),
            show(other)
        )),
        None => problems.push("errors is missing".into()),
    }
    problems
}

fn entry_problems(i: usize, entry: &Value, problems: &mut Vec<String>) {
    let Some(entry) = entry.as_object() else {
        problems.push(format!(
            "errors[{i}] is {}, expected an object",
            kind(entry)
        ));
        return;
    };
    match entry.get("code") {
        Some(code) if code.is_i64() || code.is_u64() => {}
        Some(other) => problems.push(format!(
            "errors[{i}].code is {}, expected an integer",
            show(other)
        )),
        None => problems.push(format!("errors[{i}].code is missing")),
    }
    match entry.get("message") {
        Some(Value::String(_)) => {}
        Some(other) => problems.push(format!(
            "errors[{i}].message is {}, expected a string",
            show(other)
        )),
        None => problems.push(format!("errors[{i}].message is missing")),
    }
    match entry.get("path") {
        None => {}
        Some(Value::Array(parts)) if parts.iter().all(Value::is_string) => {}
        Some(other) => problems.push(format!(
            "errors[{i}].path is {}, expected an array of strings",
            show(other)
        )),
    }
    match entry.get("metadata") {
        None => {}
        Some(Value::Object(m)) if m.values().all(Value::is_string) => {}
        Some(other) => problems.push(format!(
            "errors[{i}].metadata is {}, expected an object of strings",
            show(other)
        )),
    }
}

/// Problems of `body` read as the introduction page's
/// `{error: {code: string, message: string}}`.
fn intro_error_problems(body: &Map<String, Value>) -> Vec<String> {
    let Some(error) = body.get("error") else {
        return vec!["error is missing".into()];
    };
    let Some(error) = error.as_object() else {
        return vec![format!(
            "error is {} ({}), expected an object",
            kind(error),
            show(error)
        )];
    };
    let mut problems = Vec::new();
    for key in ["code", "message"] {
        match error.get(key) {
            Some(Value::String(_)) => {}
            Some(other) => {
                problems.push(format!("error.{key} is {}, expected a string", show(other)))
            }
            None => problems.push(format!("error.{key} is missing")),
        }
    }
    problems
}

/// ERR-ENVELOPE: the body is one of the two documented error envelopes.
pub(crate) fn envelope(obs: &Observation<'_>) -> Outcome {
    let Some(body) = obs.body.as_object() else {
        return Outcome::Fail(format!(
            "body is {} ({}), expected an error envelope object",
            kind(obs.body),
            show(obs.body)
        ));
    };
    let akua = api_error_problems(body);
    if akua.is_empty() {
        return Outcome::Pass;
    }
    let intro = intro_error_problems(body);
    if intro.is_empty() {
        return Outcome::Pass;
    }
    // Report against the envelope the body attempts.
    let attempts_akua = ["success", "errors", "result"]
        .iter()
        .any(|k| body.contains_key(*k));
    if attempts_akua {
        Outcome::Fail(format!("as ApiErrorResponse: {}", join_problems(&akua)))
    } else if body.contains_key("error") {
        Outcome::Fail(format!(
            "as {{error: {{code, message}}}}: {}",
            join_problems(&intro)
        ))
    } else {
        let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
        keys.truncate(10);
        Outcome::Fail(format!(
            "neither {{success, errors, result}} nor {{error: {{code, message}}}}; keys seen: [{}]",
            keys.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::invariant::{Endpoint, Mode};
    use serde_json::json;

    fn check(body: Value) -> Outcome {
        envelope(&Observation {
            body: &body,
            exchange: None,
            endpoint: Endpoint::Cancel,
            mode: Mode::Lenient,
        })
    }

    #[test]
    fn either_documented_envelope_passes() {
        assert_eq!(
            check(
                json!({"success": false, "errors": [{"code": 7002, "message": "Resource not found",
                "path": ["body", "name"], "metadata": {"k": "v"}}], "result": {}})
            ),
            Outcome::Pass
        );
        assert_eq!(
            check(json!({"error": {"code": "not_found", "message": "Operation not found"}})),
            Outcome::Pass
        );
        // Extra keys are allowed (forward compatibility).
        assert_eq!(
            check(json!({"error": {"code": "x", "message": "y", "request_id": "r"}, "trace": 1})),
            Outcome::Pass
        );
    }

    #[test]
    fn broken_envelopes_fail_with_what_was_seen() {
        assert_eq!(
            check(
                json!({"success": true, "errors": [{"code": "7002", "message": "x"}], "result": {}})
            ),
            Outcome::Fail(
                "as ApiErrorResponse: success is true, expected false; \
                 errors[0].code is \"7002\", expected an integer"
                    .into()
            )
        );
        assert_eq!(
            check(json!({"error": {"code": 404, "message": "x"}})),
            Outcome::Fail(
                "as {error: {code, message}}: error.code is 404, expected a string".into()
            )
        );
        assert_eq!(
            check(json!({"message": "nope"})),
            Outcome::Fail(
                "neither {success, errors, result} nor {error: {code, message}}; keys seen: [message]"
                    .into()
            )
        );
        assert!(matches!(check(json!("Not Found")), Outcome::Fail(_)));
        assert!(matches!(check(json!({"error": "x"})), Outcome::Fail(_)));
    }
}
