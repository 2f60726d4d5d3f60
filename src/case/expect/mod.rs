//! A step's `expect` table as a table of kinds: each key is one small unit
//! in a file of its own that holds its serde type (parse), its load-time
//! rules (validate), its `--dry-run` lines (render) and its check.
//!
//! The loader validates through [`KINDS`] without knowing the runner; the
//! runner runs the phases of every kind in [`KINDS`] order (see
//! [`ExpectKind`]). Checks that need the network (`unchanged`,
//! `single_transition`, `eventually`) reach it through [`StepIo`], which the
//! runner implements, so nothing here depends on `crate::run`.
//!
//! Adding a key: a new file here with its type and an [`ExpectKind`]; in
//! this file its `mod` line, its field of [`Expect`] and its line in
//! [`KINDS`]; and its property in `schemas/case.schema.json`. The tests
//! below fail until the schema, the table, the plan and the malformed-case
//! corpus (`tests/data/malformed/`) all know it.

mod body;
mod eventually;
#[cfg(test)]
mod fake;
mod headers;
mod json;
mod json_is;
mod kind;
mod not_before_ms;
mod same_body_as;
mod single_transition;
mod status;
mod unchanged;
mod within_ms;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::vocab::BodyKind;

pub use eventually::{Eventually, Via};
pub use headers::HeaderExpect;
pub use json_is::JsonIs;
pub use status::{StatusExpect, accepted_statuses};

pub(crate) use body::body_checks;
pub(crate) use kind::{
    Answer, ExpectKind, Observed, Read, ResponseCx, StepCx, StepIo, Templates, after, before,
    check, last, plan, respond,
};

/// Expectations on one response. Every check made is attributed to an
/// invariant: `status` to the invariant it names (or `invariant`), body
/// invariants to their own IDs, the rest to `invariant`, else to the case's
/// first declared invariant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Accepted statuses.
    #[serde(default)]
    pub status: Option<StatusExpect>,
    /// The invariant the step's non-status checks evidence.
    #[serde(default)]
    pub invariant: Option<String>,
    /// The body must validate against this schema (`operation`, `error`,
    /// `operation_list`); body invariants then run on it.
    #[serde(default)]
    pub body: Option<BodyKind>,
    /// JSON-pointer equality: `{ "/id" = "{{ op.id }}", "/done" = false }`.
    /// String values are templates.
    #[serde(default)]
    pub json: BTreeMap<String, toml::Value>,
    /// JSON-pointer presence checks TOML cannot write as values:
    /// `{ "/next_cursor" = "null", "/data/3" = "absent" }`.
    #[serde(default)]
    pub json_is: BTreeMap<String, JsonIs>,
    /// Header expectations, by lowercase name.
    #[serde(default)]
    pub headers: BTreeMap<String, HeaderExpect>,
    /// Name of a fixture that must be byte-identical (as JSON) before and
    /// after this step (a rejected request had no effect).
    #[serde(default)]
    pub unchanged: Option<String>,
    /// The body must equal a captured body (replay equality), compared as
    /// bytes.
    #[serde(default)]
    pub same_body_as: Option<String>,
    /// For `parallel` steps: every 2xx body is identical, and at most one
    /// state transition happened.
    #[serde(default)]
    pub single_transition: bool,
    /// The response must arrive within this many ms of sending.
    #[serde(default)]
    pub within_ms: Option<u64>,
    /// The response must not arrive before this many ms (`:wait` holds).
    #[serde(default)]
    pub not_before_ms: Option<u64>,
    /// A condition on a fixture reached within a deadline, after the step.
    #[serde(default)]
    pub eventually: Option<Eventually>,
}

/// Every kind, one line each, in the order a step runs them: the checks
/// of one response in this order (status first: `explain` reads the other
/// checks of an answer as consequences of its status), and the reads
/// after the responses in this order too.
pub(crate) static KINDS: [&dyn ExpectKind; 11] = [
    &status::Kind,
    &body::Kind,
    &json::Kind,
    &json_is::Kind,
    &headers::Kind,
    &within_ms::Kind,
    &not_before_ms::Kind,
    &unchanged::Kind,
    &same_body_as::Kind,
    &single_transition::Kind,
    &eventually::Kind,
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use super::*;

    fn registered_keys() -> Vec<&'static str> {
        let mut keys: Vec<&str> = KINDS
            .iter()
            .flat_map(|k| k.keys().iter().copied())
            .collect();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn a_key_belongs_to_one_kind() {
        let keys = registered_keys();
        let unique: BTreeSet<&str> = keys.iter().copied().collect();
        assert_eq!(unique.len(), keys.len(), "{keys:?}");
    }

    #[test]
    fn the_schema_lists_exactly_the_registered_keys() {
        let schema: serde_json::Value =
            serde_json::from_str(super::super::CASE_SCHEMA).expect("schema is JSON");
        let mut listed: Vec<&str> = schema["$defs"]["expect"]["properties"]
            .as_object()
            .expect("expect has properties")
            .keys()
            .map(String::as_str)
            .collect();
        listed.sort_unstable();
        assert_eq!(listed, registered_keys());
    }

    #[test]
    fn the_model_has_exactly_the_registered_keys() {
        // serde lists the fields it knows when it refuses an unknown one.
        let err = toml::from_str::<Expect>("not_a_key = 1").expect_err("unknown key");
        let message = err.to_string();
        let mut fields: Vec<&str> = message
            .split_once("expected one of ")
            .map(|(_, rest)| rest.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        fields.sort_unstable();
        assert_eq!(fields, registered_keys(), "{message}");
    }

    /// A case around one kind's example: a running fixture `op`, a first
    /// step capturing its body as `first`, and a parallel second step whose
    /// `expect` is the example.
    fn example_case(example: &str) -> String {
        format!(
            r#"[[case]]
name = "example"
fixture = "running"
invariants = ["CANCEL-KEY-CONCURRENT"]

[[case.step]]
request = {{ method = "GET", path = "/operations/{{{{ op.id }}}}" }}
capture.first = {{ body = true }}

[[case.step]]
request = {{ method = "POST", path = "/operations/{{{{ op.id }}}}:cancel" }}
parallel = 2
expect = {{ {example} }}
"#
        )
    }

    #[test]
    fn every_kind_has_a_valid_example_and_renders_every_key_in_the_plan() {
        let mut problems = Vec::new();
        for kind in KINDS {
            let text = example_case(kind.example());
            let loaded = super::super::load::load_bytes(
                Path::new("example.toml"),
                text.as_bytes(),
                crate::contract::catalogue(),
            );
            let file = match loaded {
                Ok(file) => file,
                Err(errors) => {
                    problems.push(format!(
                        "{:?}: the example does not load: {errors:?}",
                        kind.keys()
                    ));
                    continue;
                }
            };
            let expect = &file.file.cases[0].steps[1].expect;
            let lines = plan(expect, "https://t.test/v1");
            let summary = lines.summary.join("; ");
            for key in kind.keys() {
                if !lines
                    .summary
                    .iter()
                    .any(|l| l.starts_with(&format!("{key} ")) || l == key)
                {
                    problems.push(format!("`{key}` is not rendered in the plan: {summary:?}"));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn an_empty_expect_renders_nothing() {
        let lines = plan(&Expect::default(), "https://t.test/v1");
        assert!(lines.summary.is_empty() && lines.requests.is_empty());
    }

    fn malformed_corpus() -> Vec<PathBuf> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/malformed");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("the malformed corpus exists")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        files
    }

    #[test]
    fn every_key_has_a_malformed_case() {
        let mut paths: Vec<String> = Vec::new();
        for file in malformed_corpus() {
            if let Err(errors) = super::super::load_file(&file) {
                paths.extend(errors.into_iter().map(|e| e.toml_path));
            }
        }
        let untested: Vec<&str> = registered_keys()
            .into_iter()
            .filter(|key| {
                let at = format!(".expect.{key}");
                !paths.iter().any(|p| {
                    p.find(&at).is_some_and(|i| {
                        matches!(p[i + at.len()..].chars().next(), None | Some('.' | '['))
                    })
                })
            })
            .collect();
        assert!(
            untested.is_empty(),
            "no file in tests/data/malformed/ has an error at expect.{untested:?}; found {paths:?}"
        );
    }
}
