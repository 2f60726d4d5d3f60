//! The fixture-provider protocol, written once for `run` and `fuzz`:
//! `POST {"state": ..., "owner_type"?: ..., "owner_id"?: ...}` with the
//! caller's bearer token; a 2xx answer carries the new Operation. What is
//! sent and how the answer reads are here; each driver sends the request
//! with its own client (the runner records the exchange, the fuzzer uses its
//! fast wire).

use serde_json::Value;

use crate::vocab::FixtureState;

/// The request body asking for a fixture in `state`, owned by `owner`
/// (`(owner_type, owner_id)`) when given.
pub fn request_body(state: FixtureState, owner: Option<(&str, &str)>) -> String {
    let mut body = serde_json::json!({ "state": state.as_str() });
    if let Some((owner_type, owner_id)) = owner {
        body["owner_type"] = Value::String(owner_type.to_string());
        body["owner_id"] = Value::String(owner_id.to_string());
    }
    body.to_string()
}

/// The headers of a provider request besides the credential.
pub const REQUEST_HEADERS: [(&str, &str); 2] = [
    ("content-type", "application/json"),
    ("accept", "application/json"),
];

/// What a provider's answer gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provided {
    /// The new operation's id.
    pub id: String,
    /// Its `workspace_id`, when the body names one.
    pub workspace_id: Option<String>,
}

/// Why a provider's answer gives no usable fixture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No fixture: a non-2xx status, a body that is not an Operation.
    Unavailable(String),
    /// A `running` fixture that is already done: the target moved (or the
    /// provider does not keep running fixtures running).
    Drifted(String),
}

/// Reads a provider's answer (`status`, `body`) to a request for `state`.
pub fn read_answer(state: FixtureState, status: u16, body: &[u8]) -> Result<Provided, Refusal> {
    let what = state.as_str();
    if !(200..300).contains(&status) {
        let excerpt: String = String::from_utf8_lossy(body).chars().take(200).collect();
        return Err(Refusal::Unavailable(
            format!(
                "fixture provider refused a `{what}` fixture: status {status} {}",
                excerpt.trim()
            )
            .trim_end()
            .to_string(),
        ));
    }
    let body: Value = serde_json::from_slice(body).unwrap_or_default();
    let text = |key: &str| {
        body.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let Some(id) = text("id") else {
        return Err(Refusal::Unavailable(format!(
            "fixture provider answered {status} without an operation id for `{what}`"
        )));
    };
    if state == FixtureState::Running && body.get("done") == Some(&Value::Bool(true)) {
        return Err(Refusal::Drifted(format!(
            "the provider's `running` fixture {id} was already done"
        )));
    }
    Ok(Provided {
        id,
        workspace_id: text("workspace_id"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_names_the_state_and_the_owner_when_given() {
        assert_eq!(
            request_body(FixtureState::Running, None),
            r#"{"state":"running"}"#
        );
        let v: Value = serde_json::from_str(&request_body(
            FixtureState::Failed,
            Some(("install", "inst_1")),
        ))
        .expect("json");
        assert_eq!(
            v,
            serde_json::json!({"state": "failed", "owner_type": "install", "owner_id": "inst_1"})
        );
    }

    #[test]
    fn answers_read_the_same_for_every_driver() {
        let ok = read_answer(
            FixtureState::Running,
            201,
            br#"{"id":"op_1","workspace_id":"ws_a","done":false}"#,
        );
        assert_eq!(
            ok,
            Ok(Provided {
                id: "op_1".into(),
                workspace_id: Some("ws_a".into())
            })
        );
        assert_eq!(
            read_answer(FixtureState::Running, 201, br#"{"id":"op_1","done":true}"#),
            Err(Refusal::Drifted(
                "the provider's `running` fixture op_1 was already done".into()
            ))
        );
        // A done terminal fixture is what was asked for.
        assert!(
            read_answer(
                FixtureState::Succeeded,
                201,
                br#"{"id":"op_1","done":true}"#
            )
            .is_ok()
        );
        assert_eq!(
            read_answer(FixtureState::Retrying, 422, b"{\"error\":\"no\"}\n"),
            Err(Refusal::Unavailable(
                "fixture provider refused a `retrying` fixture: status 422 {\"error\":\"no\"}"
                    .into()
            ))
        );
        assert_eq!(
            read_answer(FixtureState::Running, 200, b"not json"),
            Err(Refusal::Unavailable(
                "fixture provider answered 200 without an operation id for `running`".into()
            ))
        );
    }
}
