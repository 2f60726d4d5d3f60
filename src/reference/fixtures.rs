//! The fixture provider (Pact "provider state" style):
//! `POST /__fixtures/operations` with the caller's bearer token and
//! `{"state": "running"|"succeeded"|"failed"|"cancelled"|"retrying",
//! "owner_type"?: ..., "owner_id"?: ...}` creates an operation in the token's
//! workspace (a broad token's: the one `akua-context` selects) and answers
//! 201 with it. The alternate dialect has no `retrying` state. `metadata` and `response` are variants
//! of akua's documented unions paired with the owner type, so every body
//! validates against S-OAS.

use serde::Deserialize;
use serde_json::{Value, json};

use super::errors::{ApiError, ErrorKind};
use super::ids;
use super::lifecycle::Plan;

/// Longest id part after the owner prefix (digest §2: max = prefix + 50).
const OWNER_ID_BODY_MAX: usize = 50;

/// The fixture request body.
#[derive(Debug, Deserialize)]
struct FixtureRequest {
    state: Option<Value>,
    owner_type: Option<Value>,
    owner_id: Option<Value>,
}

/// A validated fixture request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FixtureSpec {
    pub plan: Plan,
    pub owner_type: String,
    /// None: generate one with the right prefix.
    pub owner_id: Option<String>,
}

fn invalid(message: impl Into<String>, field: &'static str) -> ApiError {
    ApiError::new(ErrorKind::InvalidFixture, message).at("body", field)
}

/// Parses and checks a fixture request body; `states` are the allowed
/// states.
pub(crate) fn parse(body: &[u8], states: &[&str]) -> Result<FixtureSpec, ApiError> {
    let allowed = states.join(", ");
    let req: FixtureRequest = serde_json::from_slice(body).map_err(|e| {
        invalid(
            format!("body must be a JSON object like {{\"state\": \"running\"}}: {e}"),
            "state",
        )
    })?;
    let state = match &req.state {
        Some(Value::String(s)) => s.as_str(),
        _ => {
            return Err(invalid(
                format!("state is required; allowed states: {allowed}"),
                "state",
            ));
        }
    };
    let plan = Plan::from_fixture(state)
        .filter(|_| states.contains(&state))
        .ok_or_else(|| {
            invalid(
                format!("unknown state {state:?}; allowed states: {allowed}"),
                "state",
            )
        })?;
    let owner_type = match &req.owner_type {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => Some(t.clone()),
        Some(_) => return Err(invalid("owner_type must be a string", "owner_type")),
    };
    let owner_id = match &req.owner_id {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => Some(t.clone()),
        Some(_) => return Err(invalid("owner_id must be a string", "owner_id")),
    };
    let owner_type = match (owner_type, &owner_id) {
        (Some(t), _) => t,
        (None, Some(_)) => {
            return Err(invalid("owner_id needs owner_type as well", "owner_type"));
        }
        (None, None) => "install".to_string(),
    };
    let prefix = ids::owner_prefix(&owner_type).ok_or_else(|| {
        invalid(
            format!(
                "unknown owner_type {owner_type:?}; allowed: {}",
                ids::owner_type_list()
            ),
            "owner_type",
        )
    })?;
    if let Some(id) = &owner_id {
        let body = id.strip_prefix(prefix).ok_or_else(|| {
            invalid(
                format!("owner_id of a {owner_type} must start with {prefix:?}"),
                "owner_id",
            )
        })?;
        let ok_chars = body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if body.is_empty() || body.len() > OWNER_ID_BODY_MAX || !ok_chars {
            return Err(invalid(
                format!(
                    "owner_id must be {prefix} followed by 1-{OWNER_ID_BODY_MAX} of [A-Za-z0-9_-]"
                ),
                "owner_id",
            ));
        }
    }
    Ok(FixtureSpec {
        plan,
        owner_type,
        owner_id,
    })
}

/// A fresh owner id for `owner_type`.
pub(crate) fn new_owner_id(owner_type: &str) -> String {
    let prefix = ids::owner_prefix(owner_type).unwrap_or("inst_");
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}{}", &hex[..16])
}

/// The `metadata` and `response` variants paired with the owner.
pub(crate) fn metadata_and_response(
    owner_type: &str,
    owner_id: &str,
    workspace: &str,
    op_id: &str,
    unix_now: u64,
) -> (Value, Value) {
    let tail = op_id.trim_start_matches(ids::OP_PREFIX);
    match owner_type {
        "machine" => (
            json!({"type": "machine.create", "workspace_id": workspace, "cluster_id": "clu_fixture",
                   "instance_type": "cx22", "managed": true, "request_fingerprint": format!("fp_{tail}")}),
            json!({"type": "machine.create", "machine_id": owner_id, "provider_id": format!("hz-{tail}")}),
        ),
        "cluster" => (
            json!({"type": "cluster.create", "workspace_id": workspace, "region_id": "reg_eu_central",
                   "name": format!("fixture-{tail}")}),
            json!({"type": "cluster.create", "cluster_id": owner_id}),
        ),
        "package" => (
            json!({"type": "package.create", "idempotency_key": format!("fixture-{tail}"),
                   "workspace_id": workspace, "name": format!("fixture-{tail}")}),
            json!({"type": "package.create", "package_id": owner_id,
                   "package_version_id": format!("pkv_{tail}"), "repository_id": format!("repo_{tail}")}),
        ),
        "workspace" => (
            json!({"type": "workspace.delete", "workspace_id": workspace}),
            json!({"type": "workspace.delete", "workspace_id": workspace}),
        ),
        "repository" => (
            json!({"type": "repository.delete", "repository_id": owner_id}),
            json!({"type": "repository.delete", "purged_at": unix_now}),
        ),
        "repository_change_request" => (
            json!({"type": "repository_change_request.create", "workspace_id": workspace,
                   "parent_repository_id": format!("repo_{tail}"), "created_by_kind": "user"}),
            json!({"type": "repository_change_request.create", "repository_change_request_id": owner_id,
                   "fork_repository_id": format!("repo_fork_{tail}"), "expires_at": unix_now + 7 * 86_400}),
        ),
        _ => (
            json!({"type": "install.create", "idempotency_key": format!("fixture-{tail}"),
                   "workspace_id": workspace}),
            json!({"type": "install.create", "install_id": owner_id,
                   "argo_app_name": format!("app-{tail}"), "argo_app_namespace": "akua-installs"}),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::lifecycle::{ALTERNATE_FIXTURE_STATES, FIXTURE_STATES};

    #[test]
    fn parses_states_and_owners() {
        let s = parse(br#"{"state":"running"}"#, FIXTURE_STATES).unwrap();
        assert_eq!(s.plan, Plan::Running);
        assert_eq!(s.owner_type, "install");
        let s = parse(
            br#"{"state":"retrying","owner_type":"machine","owner_id":"mch_abc-1"}"#,
            FIXTURE_STATES,
        )
        .unwrap();
        assert_eq!(s.plan, Plan::Retrying);
        assert_eq!(s.owner_id.as_deref(), Some("mch_abc-1"));
        let s = parse(
            br#"{"state":"failed","owner_type":"cluster"}"#,
            FIXTURE_STATES,
        )
        .unwrap();
        assert_eq!(s.owner_id, None);
    }

    #[test]
    fn rejects_bad_requests_with_the_fix() {
        let e = parse(br#"{"state":"paused"}"#, FIXTURE_STATES).unwrap_err();
        assert!(
            e.message
                .contains("running, succeeded, failed, cancelled, retrying")
        );
        for bad in [
            &br#"{"state":"running","owner_type":"machine","owner_id":"clu_x"}"#[..],
            br#"{"state":"running","owner_type":"robot"}"#,
            br#"{"state":"running","owner_id":"inst_x"}"#,
            br#"{"state":"running","owner_type":"install","owner_id":"inst_"}"#,
            br#"{"state":"running","owner_type":"install","owner_id":"inst_a/b"}"#,
            br#"{"state":1}"#,
            br#"not json"#,
            br#"{}"#,
        ] {
            assert_eq!(
                parse(bad, FIXTURE_STATES).unwrap_err().kind,
                ErrorKind::InvalidFixture
            );
        }
    }

    #[test]
    fn the_alternate_states_have_no_retrying() {
        let e = parse(br#"{"state":"retrying"}"#, ALTERNATE_FIXTURE_STATES).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidFixture);
        assert!(
            e.message.contains("running, succeeded, failed, cancelled")
                && !e.message.contains("retrying,"),
            "{}",
            e.message
        );
        assert!(parse(br#"{"state":"running"}"#, ALTERNATE_FIXTURE_STATES).is_ok());
    }

    #[test]
    fn response_type_matches_metadata_type() {
        for (t, _) in ids::OWNER_TYPES {
            let owner = new_owner_id(t);
            let (m, r) = metadata_and_response(t, &owner, "ws_a", "op_0123", 1_700_000_000);
            assert_eq!(m["type"], r["type"], "{t}");
        }
    }
}
