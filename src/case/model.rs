//! The case-file model: what a `cases/*.toml` file says, after loading.
//!
//! The JSON Schema `schemas/case.schema.json` describes the same shape for
//! editors and for the loader's validation pass; keep the two in step (a test
//! checks every bundled case against both).
//!
//! ```toml
//! #:schema ../schemas/case.schema.json
//! [[case]]
//! name = "cancel_succeeded_is_rejected"
//! description = "Cancel on a terminal operation is rejected with 422 (D-CANCEL)."
//! fixture = "succeeded"
//! invariants = ["CANCEL-TERMINAL-422", "CANCEL-NO-SIDE-EFFECT-ON-DONE"]
//!
//! [[case.step]]
//! request = { method = "POST", path = "/operations/{{ op.id }}:cancel" }
//! expect.status = "CANCEL-TERMINAL-422"   # accepted statuses come from the catalogue
//! expect.body = "error"
//! expect.unchanged = "op"
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::vocab::{BodyKind, FixtureState, OwnerType};

/// One loaded case file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// The cases, in file order.
    #[serde(rename = "case", default)]
    pub cases: Vec<Case>,
}

/// One case: fixtures, steps, and the invariants it evidences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Unique within the file; `[a-z0-9_]+`. Trial name is `<file stem>::<name>`.
    pub name: String,
    /// One or two sentences: what is checked and the clause it comes from.
    #[serde(default)]
    pub description: Option<String>,
    /// Shorthand for `fixtures = { op = "<state>" }`.
    #[serde(default)]
    pub fixture: Option<FixtureState>,
    /// Named fixtures the case needs, e.g. `{ a = "running", b = "running" }`.
    /// Each is created fresh (fixture provider) or taken from `--op STATE=ID`.
    /// Fixtures are created one at a time in name order (BTreeMap order), so
    /// `a` is older than `b`: list-ordering cases rely on it.
    /// Names are `[a-z][a-z0-9_]*` and must not be a template root
    /// (`capture`, `table`, `uuid`, `run_id`, `owner`).
    #[serde(default)]
    pub fixtures: BTreeMap<String, FixtureState>,
    /// Create every fixture of this trial with one fresh owner of this type
    /// (fixture provider body `owner_type` + `owner_id`). The runner makes a
    /// unique `owner_id` per trial: the type's prefix (`inst_`, ...) followed
    /// by 32 lowercase hex digits of a v4 UUID. Templates see it as
    /// `{{ owner.type }}` and `{{ owner.id }}`, so list cases can filter to
    /// exactly their own fixtures. Cases with an owner need a fixture
    /// provider (static `--op` ids have fixed owners) and are skipped without one.
    #[serde(default)]
    pub owner: Option<OwnerType>,
    /// Whose workspace the fixtures are created in: the run's token
    /// (default) or `foreign`, the second workspace's token (then the case
    /// needs one, and its fixtures belong to someone else: e.g. to check
    /// that a broad token cannot reach a workspace it does not cover).
    #[serde(default)]
    pub fixtures_as: FixturesAs,
    /// Capabilities the case needs beyond the fixtures; the case is skipped
    /// with the reason when one is missing.
    #[serde(default)]
    pub requires: Vec<Requirement>,
    /// Invariant IDs the case evidences (must exist in the catalogue).
    pub invariants: Vec<String>,
    /// Table expansion: one trial per value.
    #[serde(default)]
    pub table: Option<Table>,
    /// The steps, run in order; a failed step stops the case.
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
}

impl Case {
    /// Every fixture the case needs, with the `fixture` shorthand folded in
    /// under the name `op`.
    pub fn all_fixtures(&self) -> BTreeMap<String, FixtureState> {
        let mut all = self.fixtures.clone();
        if let Some(state) = self.fixture {
            all.insert("op".to_string(), state);
        }
        all
    }
}

/// Something a case needs besides fixtures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// A second workspace's token (`AKUA_FOREIGN_TOKEN`).
    ForeignToken,
    /// The target sends an `ETag` on Operation responses (checked at run time
    /// from the step's captures; the case is skipped when absent).
    Etag,
    /// A fixture provider (static ids are not enough, e.g. the case needs
    /// several fresh operations).
    FixtureProvider,
    /// A broad (multi-workspace) token (`AKUA_BROAD_TOKEN`) that selects its
    /// workspace with `akua-context`.
    BroadToken,
}

/// Whose token creates a case's fixtures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FixturesAs {
    /// The run's token: the workspace under test.
    #[default]
    Token,
    /// The second workspace's token (`AKUA_FOREIGN_TOKEN`).
    Foreign,
}

/// Table expansion: the case becomes one trial per row.
///
/// `lengths` makes strings of that many characters: of `fill` when it is
/// given, else fresh random characters on every attempt (a value a server
/// may remember, such as an idempotency key, must never repeat across
/// attempts or runs); `values` uses the given strings as they are. The row's value is `{{ table.value }}` in
/// templates, and its label (`len=65`, or the value) names the trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// Name shown in trial names, e.g. `key` gives `case[key len=65]`.
    pub name: String,
    /// Lengths to try.
    #[serde(default)]
    pub lengths: Vec<usize>,
    /// Literal values to try.
    #[serde(default)]
    pub values: Vec<String>,
    /// Character used to build `lengths` values (default: fresh random
    /// characters on every attempt).
    #[serde(default)]
    pub fill: Option<String>,
}

/// One step: a request and what its response must show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Shown in reports; defaults to `step N`.
    #[serde(default)]
    pub name: Option<String>,
    /// The request to send.
    pub request: Request,
    /// Send this many copies of the request at once (concurrency cases).
    /// Every response is checked.
    #[serde(default)]
    pub parallel: Option<u32>,
    /// What the response must show.
    #[serde(default)]
    pub expect: Expect,
    /// Values to keep for later steps: `{{ capture.<name> }}`.
    #[serde(default)]
    pub capture: BTreeMap<String, Capture>,
}

/// The request template. Strings may use `{{ op.id }}` (fixture id),
/// `{{ op.bare_id }}` (id without `op_`), `{{ capture.NAME }}`,
/// `{{ table.value }}`, `{{ uuid }}` (fresh per trial), `{{ run_id }}`,
/// and `{{ owner.type }}` / `{{ owner.id }}` when the case sets `owner`.
/// Templates are minijinja 3 syntax; the loader rejects unknown root names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// HTTP method (`GET`, `POST`, ...).
    pub method: String,
    /// Path below the base URL, e.g. `/operations/{{ op.id }}:cancel`. Sent
    /// exactly as written after templating (no re-encoding).
    pub path: String,
    /// Query parameters, in order.
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Extra headers (`idempotency-key`, `if-match`, `akua-context`, ...).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Request body, if any.
    #[serde(default)]
    pub body: Option<String>,
    /// Which credential goes in `Authorization`.
    #[serde(default)]
    pub auth: Auth,
    /// Per-request timeout override in milliseconds (long `:wait`s).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// Which credential a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Auth {
    /// `Bearer <token>` with the run's token (default).
    #[default]
    Token,
    /// No `Authorization` header.
    None,
    /// A malformed header (`Bearer` with no token, wrong scheme ...): `Basic abc`.
    Malformed,
    /// A well-formed bearer token that the target cannot know.
    Invalid,
    /// The second workspace's token (`AKUA_FOREIGN_TOKEN`).
    Foreign,
    /// The run's valid token under a scheme other than `Bearer`:
    /// `Token <token>`. A server that only looks at the token, not the
    /// scheme, accepts it. The token is redacted like the bearer one.
    WrongScheme,
    /// A broad (multi-workspace) token (`AKUA_BROAD_TOKEN`) that covers the
    /// workspace under test and selects it with `akua-context`.
    Broad,
}

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

/// Accepted statuses: an invariant ID (its catalogue sets, lenient or strict
/// by mode), a list, or both sets spelled out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StatusExpect {
    /// `status = "CANCEL-TERMINAL-422"`.
    Invariant(String),
    /// `status = [200, 202]` (same in both modes).
    List(Vec<u16>),
    /// `status = { strict = [202], lenient = [200] }` (`lenient` adds to
    /// `strict`).
    Sets {
        /// Accepted in both modes.
        strict: Vec<u16>,
        /// Also accepted in lenient mode.
        #[serde(default)]
        lenient: Vec<u16>,
    },
}

/// What a JSON pointer must point at, for checks a TOML value cannot
/// express (TOML has no null).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonIs {
    /// Present, with the value `null`.
    Null,
    /// Present, with any value but `null`.
    NonNull,
    /// Not present at all (e.g. `/data/3` on a page of three items).
    Absent,
    /// Present, with any value (including `null`).
    Present,
}

/// One header expectation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderExpect {
    /// Must (true) or must not (false) be present.
    #[serde(default)]
    pub present: Option<bool>,
    /// Must equal this (template).
    #[serde(default)]
    pub equals: Option<String>,
}

/// A value kept from a response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capture {
    /// Take this response header.
    #[serde(default)]
    pub header: Option<String>,
    /// Take the JSON value at this pointer (strings without quotes).
    #[serde(default)]
    pub pointer: Option<String>,
    /// Take the whole body, byte for byte.
    #[serde(default)]
    pub body: bool,
}

/// A condition on a fixture that must come true within a deadline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Eventually {
    /// Fixture name (default `op`).
    #[serde(default = "default_fixture_name")]
    pub fixture: String,
    /// JSON-pointer equality on the Operation, e.g. `{ "/done" = true }`.
    /// The condition is `json` and `json_is` holding on one observation;
    /// at least one of the two is non-empty.
    #[serde(default)]
    pub json: BTreeMap<String, toml::Value>,
    /// JSON-pointer presence on the Operation, e.g. `{ "/last_error" = "non_null" }`.
    #[serde(default)]
    pub json_is: BTreeMap<String, JsonIs>,
    /// Deadline in ms (the run's settle deadline caps it from above).
    pub within_ms: u64,
    /// `wait` (long-poll `:wait`) or `poll` (repeated GET).
    #[serde(default)]
    pub via: Via,
    /// The invariant this evidences (default: the step's).
    #[serde(default)]
    pub invariant: Option<String>,
}

fn default_fixture_name() -> String {
    "op".to_string()
}

/// How `eventually` observes the fixture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// `POST :wait` long-polls (falls back to polling on a non-200).
    #[default]
    Wait,
    /// `GET` every 50 ms.
    Poll,
}

/// One trial after table expansion: what the runner executes.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedCase {
    /// Trial name: `<file stem>::<case name>` or `<file stem>::<case name>[<label>]`.
    pub name: String,
    /// The case file, as given (e.g. `cases/auth.toml`).
    pub file: String,
    /// The case.
    pub case: Case,
    /// The table row this trial runs, if the case has a table.
    pub table_row: Option<TableRow>,
}

/// One row of a table-expanded case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow {
    /// Shown in the trial name, e.g. `key len=65` or `timeout=abc`.
    pub label: String,
    /// `{{ table.value }}` in templates (for a fresh length row: a sample,
    /// see [`TableRow::fresh_value`]).
    pub value: String,
    /// A `lengths` row without `fill`: its value is drawn afresh, of this
    /// many characters, on every attempt.
    pub fresh_len: Option<usize>,
}

impl TableRow {
    /// The value for one attempt: the row's value, or for a fresh length
    /// row a new string of lowercase hex digits of that length.
    pub fn fresh_value(&self) -> String {
        match self.fresh_len {
            None => self.value.clone(),
            Some(n) => {
                let mut out = String::with_capacity(n + 32);
                while out.len() < n {
                    out.push_str(&uuid::Uuid::new_v4().simple().to_string());
                }
                out.truncate(n);
                out
            }
        }
    }
}
