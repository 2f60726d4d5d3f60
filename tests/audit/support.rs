//! Building recorded exchanges by hand, and auditing them.

use opconform::audit::{self, AuditOptions, AuditReport, Input, Violation};
use opconform::contract::{Mode, Schemas};
use opconform::model::CaseOutcome;

/// Audits files with default options in `mode`; returns the report and
/// every violation as reported one by one.
pub fn audit_paths(paths: &[&std::path::Path], mode: Mode) -> (AuditReport, Vec<Violation>) {
    let schemas = Schemas::bundled().expect("schemas");
    // Shown by file name, as a user would name them on the command line.
    let inputs: Vec<Input> = paths
        .iter()
        .map(|p| Input {
            path: p.to_path_buf(),
            shown: p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        })
        .collect();
    let mut seen = Vec::new();
    let options = AuditOptions {
        mode,
        ..AuditOptions::default()
    };
    let report = audit::audit_files(&inputs, &schemas, options, |v| seen.push(v.clone()), |_| {});
    (report, seen)
}

/// `ID: actual` of every violation, sorted.
pub fn failed(violations: &[Violation]) -> Vec<String> {
    let mut v: Vec<String> = violations.iter().map(|v| v.invariant.clone()).collect();
    v.sort();
    v.dedup();
    v
}

/// The outcome label of case `audit::ID`.
pub fn outcome<'a>(report: &'a AuditReport, id: &str) -> &'a CaseOutcome {
    let name = format!("audit::{id}");
    &report
        .result
        .cases
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"))
        .outcome
}

/// A JSON Lines line for one exchange.
pub struct Line {
    pub time: String,
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub status: u16,
    pub body: Option<String>,
    pub duration_ms: u64,
}

impl Line {
    pub fn new(
        at_s: u64,
        method: &'static str,
        path: &str,
        status: u16,
        body: Option<String>,
    ) -> Self {
        Line {
            time: opconform::audit::time::format_ms(1_767_000_000_000 + (at_s as i64) * 1000),
            method,
            url: format!("https://api.example/v1{path}"),
            headers: vec![("authorization", "Bearer sk_akua_secret_token_1".into())],
            status,
            body,
            duration_ms: 20,
        }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }

    pub fn took(mut self, ms: u64) -> Self {
        self.duration_ms = ms;
        self
    }

    pub fn json(&self) -> String {
        let headers: serde_json::Map<String, serde_json::Value> = self
            .headers
            .iter()
            .map(|(k, v)| ((*k).to_string(), serde_json::Value::String(v.clone())))
            .collect();
        // A strong tag per representation, as a server would send it.
        let etag = format!("\"{:x}\"", {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            self.body.hash(&mut h);
            h.finish()
        });
        serde_json::json!({
            "time": self.time,
            "method": self.method,
            "url": self.url,
            "request_headers": headers,
            "status": self.status,
            "response_headers": {"content-type": "application/json", "etag": etag},
            "response_body": self.body,
            "duration_ms": self.duration_ms,
        })
        .to_string()
    }
}

/// An Operation body (valid against the bundled schema).
pub fn op(id: &str, state: &str) -> String {
    let done = state != "RUNNING";
    let error = if matches!(state, "FAILED" | "CANCELLED") {
        serde_json::json!({"message": "cancelled by request"})
    } else {
        serde_json::Value::Null
    };
    let response = if state == "SUCCEEDED" {
        serde_json::json!({"type": "install.create"})
    } else {
        serde_json::Value::Null
    };
    serde_json::json!({
        "id": id,
        "state": state,
        "done": done,
        "metadata": {"type": "install.create"},
        "owner_type": "install",
        "owner_id": "inst_1",
        "workspace_id": "ws_1",
        "organization_id": null,
        "parent_operation_id": null,
        "response": response,
        "error": error,
        "last_error": null,
        "started_at": 1_767_000_000,
        "completed_at": if done { serde_json::json!(1_767_000_010) } else { serde_json::Value::Null },
        "html_url": format!("https://akua.dev/operations/{id}"),
        "steps": [],
    })
    .to_string()
}
