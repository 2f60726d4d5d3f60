//! The invariant catalogue: every check's stable ID, title, source clause,
//! level, basis, accepted statuses and check function. IDs and their meaning
//! are stable; faults, cases and reports name them.
//!
//! Levels and `strict_only` follow one rule: a server that is correct under a
//! fair reading of akua's docs (another documented status, either documented
//! error envelope, `steps` absent or `[]` on list items, a slower lifecycle,
//! SUCCEEDED with `response: null`) passes a lenient run. What only akua's
//! own conventions demand is `strict_only`.

use super::invariant::{Basis, Check, Invariant, Level};
use super::{error, http, list, operation, status};

/// Version of the catalogue; bump when an ID is added, removed or changes
/// meaning.
pub const CATALOGUE_VERSION: &str = "0.5.0";

/// Defines the catalogue and one constant per ID (`id::OP_DONE_TERMINAL`),
/// from one entry per invariant: adding an invariant is one entry here (and
/// its tests), and a mistyped ID in code does not compile.
macro_rules! catalogue {
    ( $( $name:ident = $id:literal { $( $field:ident : $value:expr ),* $(,)? } )* ) => {
        /// Every invariant ID as a constant, named after it (`-` becomes
        /// `_`): use these in code, so a typo does not compile.
        pub mod id {
            $(
                #[doc = concat!("`", $id, "`")]
                pub const $name: &str = $id;
            )*
        }

        static CATALOGUE: &[Invariant] = &[
            $( Invariant { id: $id, $( $field: $value ),* }, )*
        ];

        /// Each constant's name with its ID, for the test that they match.
        #[cfg(test)]
        const CONSTANT_NAMES: &[(&str, &str)] = &[ $( (stringify!($name), $id), )* ];
    };
}

catalogue! {
OP_SCHEMA_REQUIRED = "OP-SCHEMA-REQUIRED" {
    title: "every Operation body has all required keys with the documented types",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json components.schemas.Operation (required)",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Operation(operation::schema_required),
}
OP_NULLABLES = "OP-NULLABLES" {
    title: "only the documented nullable fields are ever null",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json components.schemas.Operation (type [T, \"null\"])",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Operation(operation::nullables),
}
OP_ID_LEN = "OP-ID-LEN" {
    title: "id is 1-53 characters; parent_operation_id too when non-null",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json components.schemas.Operation.id (minLength 1, maxLength 53)",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Operation(operation::id_len),
}
OP_ID_CANONICAL = "OP-ID-CANONICAL" {
    title: "response id is the canonical op_ form, even for a bare-id request",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (path id: \"Prefixed form op_<id> is canonical\")",
    level: Level::Should,
    basis: Basis::Inferred,
    statuses: None,
    strict_only: false,
    check: Check::Case,
}
OP_ID_BARE_ALIAS = "OP-ID-BARE-ALIAS" {
    title: "a bare id and its op_ form name the same operation",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (path id: \"bare IDs accepted during transition\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: Some(status::OK),
    strict_only: false,
    check: Check::Case,
}
OP_STATE_ENUM = "OP-STATE-ENUM" {
    title: "state is RUNNING, SUCCEEDED, FAILED or CANCELLED",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json components.schemas.Operation.state (enum)",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Operation(operation::state_enum),
}
OP_DONE_TERMINAL = "OP-DONE-TERMINAL" {
    title: "done is true exactly when state is terminal",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (done: \"True iff state is a terminal value.\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Operation(operation::done_terminal),
}
OP_ERROR_ON_FAIL = "OP-ERROR-ON-FAIL" {
    title: "FAILED and CANCELLED carry error.message",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (error: \"Populated when state is FAILED or CANCELLED.\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Operation(operation::error_on_fail),
}
OP_ERROR_NULL_OTHERWISE = "OP-ERROR-NULL-OTHERWISE" {
    title: "RUNNING and SUCCEEDED have error null",
    clause: "https://github.com/googleapis/googleapis/blob/master/google/longrunning/operations.proto (Operation.result: \"If done == false, neither error nor response is set\")",
    level: Level::Must,
    basis: Basis::Standard,
    statuses: None,
    strict_only: false,
    check: Check::Operation(operation::error_null_otherwise),
}
OP_RESPONSE_ONLY_SUCCESS = "OP-RESPONSE-ONLY-SUCCESS" {
    title: "response is non-null only when SUCCEEDED",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json paths./operations/{id}.get (\"response carries the typed result (SUCCEEDED)\")",
    level: Level::Must,
    basis: Basis::Inferred,
    statuses: None,
    strict_only: false,
    check: Check::Operation(operation::response_only_success),
}
OP_RESPONSE_ON_SUCCESS = "OP-RESPONSE-ON-SUCCESS" {
    title: "SUCCEEDED carries a response",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json paths./operations/{id}.get (\"response carries the typed result (SUCCEEDED)\"; the schema allows null)",
    level: Level::Should,
    basis: Basis::Documented,
    statuses: None,
    strict_only: true,
    check: Check::Operation(operation::response_on_success),
}
OP_RESPONSE_TYPE_MATCH = "OP-RESPONSE-TYPE-MATCH" {
    title: "response.type equals metadata.type",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json components.schemas.OperationResponse, OperationMetadata (shared type discriminators)",
    level: Level::Must,
    basis: Basis::Inferred,
    statuses: None,
    strict_only: false,
    check: Check::Operation(operation::response_type_match),
}
OP_METADATA_TYPED = "OP-METADATA-TYPED" {
    title: "metadata is an object with a string type",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json components.schemas.OperationMetadata (oneOf, required type)",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Operation(operation::metadata_typed),
}
OP_METADATA_KNOWN_TYPE = "OP-METADATA-KNOWN-TYPE" {
    title: "metadata.type is one of the published union's types (new types are not breaking)",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json components.schemas.OperationMetadata; AIP-216 (new enum values are not breaking)",
    level: Level::Should,
    basis: Basis::Documented,
    statuses: None,
    strict_only: true,
    check: Check::Operation(operation::metadata_known_type),
}
OP_OWNER_ENUM = "OP-OWNER-ENUM" {
    title: "owner_type is one of the 7 documented values",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json components.schemas.Operation.owner_type (enum)",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Operation(operation::owner_enum),
}
OP_OWNER_PREFIX = "OP-OWNER-PREFIX" {
    title: "owner_id carries the prefix paired with owner_type",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json components.schemas.Operation.owner_id (\"Prefix matches owner_type\")",
    level: Level::Must,
    basis: Basis::Inferred,
    statuses: None,
    strict_only: false,
    check: Check::Operation(operation::owner_prefix),
}
OP_COMPLETED_AT = "OP-COMPLETED-AT" {
    title: "completed_at is null exactly when done is false",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json components.schemas.Operation.completed_at (nullable)",
    level: Level::Must,
    basis: Basis::Inferred,
    statuses: None,
    strict_only: false,
    check: Check::Operation(operation::completed_at),
}
OP_TIME_ORDER = "OP-TIME-ORDER" {
    title: "completed_at >= started_at, for the operation and each step",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json components.schemas.Operation.started_at, completed_at",
    level: Level::Must,
    basis: Basis::Inferred,
    statuses: None,
    strict_only: false,
    check: Check::Operation(operation::time_order),
}
OP_TS_SECONDS = "OP-TS-SECONDS" {
    title: "timestamps are non-negative integer Unix seconds",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json components.schemas.Operation.started_at (\"Unix timestamp (seconds)\", minimum 0)",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Operation(operation::ts_seconds),
}
OP_HTMLURL = "OP-HTMLURL" {
    title: "html_url is an absolute URI of at most 2048 characters",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json components.schemas.Operation.html_url (format uri, maxLength 2048)",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Operation(operation::html_url),
}
OP_LAST_ERROR_SHAPE = "OP-LAST-ERROR-SHAPE" {
    title: "last_error is null or {message, step_name?}",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (last_error: {message, step_name})",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Operation(operation::last_error_shape),
}
OP_LAST_ERROR_CLEARED = "OP-LAST-ERROR-CLEARED" {
    title: "last_error is cleared when the failed step succeeds on retry",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json components.schemas.Operation.last_error (\"cleared when the step succeeds on retry\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::History,
}
OP_IMMUTABLE_DONE = "OP-IMMUTABLE-DONE" {
    title: "once done, every later read returns an identical operation",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/wait-for-an-operation-to-reach-a-terminal-state (\"State for completed operations (done: true) is immutable.\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::History,
}
OP_DONE_MONOTONIC = "OP-DONE-MONOTONIC" {
    title: "done never goes back to false; state never leaves a terminal value",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/wait-for-an-operation-to-reach-a-terminal-state (\"State for completed operations (done: true) is immutable.\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::History,
}
HIST_STARTED_AT_STABLE = "HIST-STARTED-AT-STABLE" {
    title: "an operation's started_at never changes",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json components.schemas.Operation.started_at (\"Unix timestamp (seconds)\" of the start; one start per operation)",
    level: Level::Must,
    basis: Basis::Inferred,
    statuses: None,
    strict_only: false,
    check: Check::History,
}
HIST_COMPLETED_AT_ONCE = "HIST-COMPLETED-AT-ONCE" {
    title: "completed_at is set once and never changes",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json components.schemas.Operation.completed_at; \"State for completed operations (done: true) is immutable.\"",
    level: Level::Must,
    basis: Basis::Inferred,
    statuses: None,
    strict_only: false,
    check: Check::History,
}
HIST_STEPS_FORWARD = "HIST-STEPS-FORWARD" {
    title: "steps only move forward: none disappears, no status or timestamp goes back (a failed step may be retried)",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json components.schemas.OperationStep (status pending, running, completed, failed, skipped); Operation.last_error (\"cleared when the step succeeds on retry\")",
    level: Level::Must,
    basis: Basis::Inferred,
    statuses: None,
    strict_only: false,
    check: Check::History,
}
ETAG_CHANGES = "ETAG-CHANGES" {
    title: "where ETags are sent, a changed operation gets a different entity-tag",
    clause: "RFC 9110 §8.8.1 (an entity-tag differentiates representations of the same resource), §8.8.3 (a strong validator changes whenever the representation data changes)",
    level: Level::Must,
    basis: Basis::Standard,
    statuses: None,
    strict_only: false,
    check: Check::History,
}
ETAG_STABLE = "ETAG-STABLE" {
    title: "where ETags are sent, an unchanged operation keeps its entity-tag",
    clause: "RFC 9110 §8.8.1 (entity-tags as validators), §13.1.1 (If-Match compares the current entity-tag: a tag that changes without the representation makes If-Match unusable)",
    level: Level::Should,
    basis: Basis::Standard,
    statuses: None,
    strict_only: false,
    check: Check::History,
}
HTTP_405_ALLOW = "HTTP-405-ALLOW" {
    title: "a 405 response names the allowed methods in an Allow header",
    clause: "RFC 9110 §15.5.6 (\"The origin server MUST generate an Allow header field in a 405 response\"), §10.2.1",
    level: Level::Must,
    basis: Basis::Standard,
    statuses: None,
    strict_only: false,
    check: Check::Response(http::allow_on_405),
}
OP_STEPS_ON_GET = "OP-STEPS-ON-GET" {
    title: "get returns steps, each with the 8 required fields",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json paths./operations/{id}.get 200 (\"Operation details (with steps)\"), components.schemas.OperationStep",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Operation(operation::steps_on_get),
}
OP_STEPS_OFF_LIST = "OP-STEPS-OFF-LIST" {
    title: "list items carry no per-step detail",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json paths./operations.get 200 (\"List of operations (without per-step detail)\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Operation(operation::steps_off_list),
}
OP_ETAG_HEADER = "OP-ETAG-HEADER" {
    title: "Operation responses carry a quoted ETag (akua convention)",
    clause: "RFC 9110 §8.8.3; akua convention elsewhere (\"409 ABORTED with the current etag\", https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json paths./snippets/{id}.patch)",
    level: Level::Should,
    basis: Basis::Inferred,
    statuses: None,
    strict_only: true,
    check: Check::Operation(http::etag_header),
}
HTTP_JSON_CONTENT_TYPE = "HTTP-JSON-CONTENT-TYPE" {
    title: "JSON bodies are sent as application/json",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json paths./operations/* responses (content application/json)",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Operation(http::json_content_type),
}
CANCEL_202_ENVELOPE = "CANCEL-202-ENVELOPE" {
    title: "cancel on a RUNNING operation returns 202 and the operation",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (202: \"Cancellation requested; operation transition is in progress\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: Some(status::CANCEL_RUNNING),
    strict_only: false,
    check: Check::Case,
}
CANCEL_ASYNC = "CANCEL-ASYNC" {
    title: "the accepted-cancel body may still be RUNNING; it is a valid Operation",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (\"Cancellation is asynchronous\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Case,
}
CANCEL_SETTLES = "CANCEL-SETTLES" {
    title: "after an accepted cancel the operation becomes done within the deadline",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (\"before settling into a terminal result\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Case,
}
CANCEL_TERMINAL_422 = "CANCEL-TERMINAL-422" {
    title: "cancel on a done operation is rejected with 422",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (\"cancellation is rejected with Unprocessable Entity\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: Some(status::CANCEL_TERMINAL),
    strict_only: false,
    check: Check::Case,
}
CANCEL_NO_SIDE_EFFECT_ON_DONE = "CANCEL-NO-SIDE-EFFECT-ON-DONE" {
    title: "a rejected cancel leaves the operation unchanged",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/wait-for-an-operation-to-reach-a-terminal-state (\"State for completed operations (done: true) is immutable.\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Case,
}
CANCEL_REPLAY_IDEMPOTENT = "CANCEL-REPLAY-IDEMPOTENT" {
    title: "a replay with the same Idempotency-Key returns the first response",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (\"Replaying the request with the same Idempotency-Key is supported.\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: Some(status::REPLAY),
    strict_only: false,
    check: Check::Case,
}
CANCEL_REPLAY_IDENTICAL = "CANCEL-REPLAY-IDENTICAL" {
    title: "a replay with the same Idempotency-Key returns the first response byte for byte",
    clause: "https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/ (retry after completion: \"SHOULD respond with the result of the previously completed operation\"); AIP-155 allows the current state instead, so only --strict checks it",
    level: Level::Should,
    basis: Basis::Standard,
    statuses: None,
    strict_only: true,
    check: Check::Case,
}
CANCEL_AGAIN_ACCEPTED = "CANCEL-AGAIN-ACCEPTED" {
    title: "a second cancel while the first is still draining is accepted again (202)",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (\"Requests cancellation of an in-flight operation\"; 422 only once terminal): the operation is still in flight, so 202; digest §6 q.5 leaves it open, so lenient also takes 409 (RFC 9110 §15.5.10 conflict with the cancellation in progress) and 200",
    level: Level::Must,
    basis: Basis::Inferred,
    statuses: Some(status::CANCEL_AGAIN),
    strict_only: false,
    check: Check::Case,
}
CANCEL_KEY_OPTIONAL = "CANCEL-KEY-OPTIONAL" {
    title: "cancel without Idempotency-Key is accepted",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (idempotency-key: optional header)",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: Some(status::CANCEL_RUNNING),
    strict_only: false,
    check: Check::Case,
}
CANCEL_KEY_BOUNDS = "CANCEL-KEY-BOUNDS" {
    title: "an empty or >64-character Idempotency-Key is rejected",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (idempotency-key: \"Required string length: 1 - 64\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: Some(status::HEADER_BOUNDS),
    strict_only: false,
    check: Check::Case,
}
CANCEL_KEY_MISUSE = "CANCEL-KEY-MISUSE" {
    title: "the same key on another operation is rejected",
    clause: "https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/ (error scenarios: key reused with a different request payload)",
    level: Level::Must,
    basis: Basis::Standard,
    statuses: Some(status::KEY_MISUSE),
    strict_only: false,
    check: Check::Case,
}
CANCEL_KEY_CONCURRENT = "CANCEL-KEY-CONCURRENT" {
    title: "concurrent duplicates with one key make one transition",
    clause: "https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/ (error scenarios: retried while the original request is still being processed)",
    level: Level::Must,
    basis: Basis::Standard,
    statuses: Some(status::KEY_CONCURRENT),
    strict_only: false,
    check: Check::Case,
}
CANCEL_IFMATCH_STALE = "CANCEL-IFMATCH-STALE" {
    title: "a stale If-Match is rejected and has no effect",
    clause: "RFC 9110 §13.1.1; AIP-154 (etag mismatch: ABORTED, HTTP 409)",
    level: Level::Must,
    basis: Basis::Standard,
    statuses: Some(status::IF_MATCH_STALE_RUNNING),
    strict_only: false,
    check: Check::Case,
}
CANCEL_IFMATCH_CURRENT = "CANCEL-IFMATCH-CURRENT" {
    title: "a current If-Match is accepted",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (if-match: \"Optional optimistic concurrency token\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: Some(status::IF_MATCH_CURRENT),
    strict_only: false,
    check: Check::Case,
}
CANCEL_IFMATCH_BOUNDS = "CANCEL-IFMATCH-BOUNDS" {
    title: "an empty or >64-character If-Match is rejected",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (if-match: \"Required string length: 1 - 64\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: Some(status::HEADER_BOUNDS),
    strict_only: false,
    check: Check::Case,
}
CANCEL_IFMATCH_PRECEDENCE = "CANCEL-IFMATCH-PRECEDENCE" {
    title: "401/403/404/422 take precedence over a failed precondition",
    clause: "RFC 9110 §13.2.1",
    level: Level::Must,
    basis: Basis::Standard,
    statuses: Some(status::IF_MATCH_STALE_TERMINAL),
    strict_only: false,
    check: Check::Case,
}
CANCEL_NOT_FOUND = "CANCEL-NOT-FOUND" {
    title: "an unknown id gets 404",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (404: \"Not found\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: Some(status::NOT_FOUND),
    strict_only: false,
    check: Check::Case,
}
REQ_ID_BOUNDS = "REQ-ID-BOUNDS" {
    title: "a path id longer than 53 characters is rejected",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (path id: \"Required string length: 1 - 53\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: Some(status::PATH_ID_BOUNDS),
    strict_only: false,
    check: Check::Case,
}
REQ_CONTEXT_BOUNDS = "REQ-CONTEXT-BOUNDS" {
    title: "an empty or >53-character akua-context is rejected",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (akua-context: \"Required string length: 1 - 53\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: Some(status::HEADER_BOUNDS),
    strict_only: false,
    check: Check::Case,
}
PATH_COLON_ENCODING = "PATH-COLON-ENCODING" {
    title: "%3Acancel and %3Await route like :cancel and :wait",
    clause: "https://github.com/akua-dev/cli/blob/599cbc462de311aafb48db20297a6b8db693e769/docs/architecture.md (the CLI sends %3A for ':'); RFC 3986 §2.2 does not make them equivalent",
    level: Level::Should,
    basis: Basis::Inferred,
    statuses: None,
    strict_only: true,
    check: Check::Case,
}
WAIT_200_ALWAYS = "WAIT-200-ALWAYS" {
    title: "a valid :wait returns 200 whether or not the operation finished",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/wait-for-an-operation-to-reach-a-terminal-state (\"Returns the latest Operation either way\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: Some(status::OK),
    strict_only: false,
    check: Check::Case,
}
WAIT_TIMEOUT_BOUNDS = "WAIT-TIMEOUT-BOUNDS" {
    title: "timeout is an integer 1-60, default 30",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/wait-for-an-operation-to-reach-a-terminal-state (timeout: \"Default 30, max 60.\", 1 <= x <= 60)",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: Some(status::OK),
    strict_only: false,
    check: Check::Case,
}
WAIT_TIMEOUT_REJECT = "WAIT-TIMEOUT-REJECT" {
    title: "timeout 0, 61 or a non-integer is rejected",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/wait-for-an-operation-to-reach-a-terminal-state (timeout: 1 <= x <= 60; no 400 declared)",
    level: Level::Must,
    basis: Basis::Inferred,
    statuses: Some(status::WAIT_TIMEOUT_BAD),
    strict_only: false,
    check: Check::Case,
}
WAIT_HOLDS = "WAIT-HOLDS" {
    title: "a :wait on a RUNNING operation holds about timeout seconds",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/wait-for-an-operation-to-reach-a-terminal-state (\"Long-polls server-side until ... or the timeout elapses\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Case,
}
WAIT_WAKES = "WAIT-WAKES" {
    title: "a :wait wakes soon after the operation becomes done",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/wait-for-an-operation-to-reach-a-terminal-state (\"the response fires within milliseconds of the workflow reaching its terminal state\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Case,
}
WAIT_IMMEDIATE_IF_DONE = "WAIT-IMMEDIATE-IF-DONE" {
    title: "a :wait on a done operation returns at once",
    clause: "https://github.com/googleapis/googleapis/blob/master/google/longrunning/operations.proto (WaitOperation: \"If the operation is already done, the latest state is immediately returned\")",
    level: Level::Must,
    basis: Basis::Standard,
    statuses: None,
    strict_only: false,
    check: Check::Case,
}
WAIT_404 = "WAIT-404" {
    title: "a :wait on an unknown id gets 404",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/wait-for-an-operation-to-reach-a-terminal-state (404: \"Not found\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: Some(status::NOT_FOUND),
    strict_only: false,
    check: Check::Case,
}
LIST_SHAPE = "LIST-SHAPE" {
    title: "data, has_more and next_cursor are always present",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/list-operations (OperationList: data, has_more, next_cursor required)",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::List(list::shape),
}
LIST_CURSOR_END = "LIST-CURSOR-END" {
    title: "next_cursor is null exactly when has_more is false",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/list-operations (next_cursor: \"or null if no more pages\")",
    level: Level::Must,
    basis: Basis::Inferred,
    statuses: None,
    strict_only: false,
    check: Check::List(list::cursor_end),
}
LIST_LIMIT = "LIST-LIMIT" {
    title: "a page has at most limit items (default 50, max 100)",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/list-operations (limit: \"Items per page (1-100, default 50)\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::List(list::limit),
}
LIST_LIMIT_BOUNDS = "LIST-LIMIT-BOUNDS" {
    title: "limit 0 is rejected; limit >100 is rejected or coerced",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/list-operations (limit: 1-100); AIP-158 (coerce above the maximum)",
    level: Level::Must,
    basis: Basis::Inferred,
    statuses: Some(status::LIST_BAD_QUERY),
    strict_only: false,
    check: Check::Case,
}
LIST_PAGING_COMPLETE = "LIST-PAGING-COMPLETE" {
    title: "following cursors yields every item once",
    clause: "https://akua-1dce587a.mintlify.app/apis/introduction (Pagination: cursor-based, next_cursor)",
    level: Level::Must,
    basis: Basis::Inferred,
    statuses: Some(status::OK),
    strict_only: false,
    check: Check::Case,
}
LIST_NEWEST_FIRST = "LIST-NEWEST-FIRST" {
    title: "items are newest first",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json paths./operations.get (\"Workspace-scoped list of long-running operations, newest first\"); started_at as the proxy",
    level: Level::Must,
    basis: Basis::Inferred,
    statuses: None,
    strict_only: false,
    check: Check::List(list::newest_first),
}
LIST_OWNER_FILTER = "LIST-OWNER-FILTER" {
    title: "with owner_type and owner_id, every item matches both",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json paths./operations.get (\"with ?owner_type=install&owner_id=<id> narrows to a single entity\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: Some(status::OK),
    strict_only: false,
    check: Check::Case,
}
LIST_OWNER_PAIR = "LIST-OWNER-PAIR" {
    title: "owner_type without owner_id is rejected",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/list-operations (owner_id: \"Required when owner_type is set\"; x-platform-query-contracts requires-together)",
    level: Level::Must,
    basis: Basis::Inferred,
    statuses: Some(status::LIST_BAD_QUERY),
    strict_only: false,
    check: Check::Case,
}
LIST_WORKSPACE_SCOPE = "LIST-WORKSPACE-SCOPE" {
    title: "the list never includes another workspace's operations",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json paths./operations.get (\"Workspace-scoped list\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Case,
}
AUTH_401 = "AUTH-401" {
    title: "a missing, malformed or unknown bearer gets 401",
    clause: "https://akua-1dce587a.mintlify.app/apis/authentication (\"Every API request requires an Authorization: Bearer header with a valid token.\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: Some(status::UNAUTHENTICATED),
    strict_only: false,
    check: Check::Case,
}
AUTH_403 = "AUTH-403" {
    title: "an authenticated caller without access gets 403",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (403: \"Forbidden\"); RFC 9110 §15.5.4 (404 may hide it)",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: Some(status::FORBIDDEN),
    strict_only: false,
    check: Check::Case,
}
AUTH_CONTEXT_IMPLIED = "AUTH-CONTEXT-IMPLIED" {
    title: "a workspace token works without akua-context",
    clause: "https://akua-1dce587a.mintlify.app/apis/authentication (\"calls made with a workspace API token operate on that workspace implicitly\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Case,
}
AUTH_CONTEXT_FOREIGN = "AUTH-CONTEXT-FOREIGN" {
    title: "akua-context naming a workspace a broad token does not cover gets 403 (a workspace token may ignore the header)",
    clause: "https://akua-1dce587a.mintlify.app/apis/introduction (Akua-Context selects the workspace of a broad credential); https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (akua-context: \"Only needed for broad tokens — a workspace-owned token implies its workspace\")",
    level: Level::Must,
    basis: Basis::Inferred,
    statuses: Some(status::FORBIDDEN),
    strict_only: false,
    check: Check::Case,
}
AUTH_CONTEXT_SELECTS = "AUTH-CONTEXT-SELECTS" {
    title: "a broad token acts in the workspace akua-context names, when it covers it",
    clause: "https://akua-1dce587a.mintlify.app/apis/introduction (\"With a broad credential (dashboard session or multi-workspace token), select the workspace with the optional Akua-Context header\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: Some(status::OK),
    strict_only: false,
    check: Check::Case,
}
AUTH_FOREIGN_ISOLATION = "AUTH-FOREIGN-ISOLATION" {
    title: "another workspace's operation gets 404 and is not touched",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json paths./operations.get (\"Workspace-scoped\"); AIP-211 (403 allowed)",
    level: Level::Must,
    basis: Basis::Inferred,
    statuses: Some(status::NOT_FOUND),
    strict_only: false,
    check: Check::Case,
}
ERR_ENVELOPE = "ERR-ENVELOPE" {
    title: "every 4xx body is one of the documented error envelopes",
    clause: "https://akua-1dce587a.mintlify.app/apis/introduction (error envelope); https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json components.schemas.ApiErrorResponse",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Error(error::envelope),
}
GET_200 = "GET-200" {
    title: "a valid get returns 200 and the operation",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json paths./operations/{id}.get (200: \"Operation details (with steps)\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: Some(status::OK),
    strict_only: false,
    check: Check::Case,
}
LIST_200 = "LIST-200" {
    title: "a valid list returns 200 and a page",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/list-operations (200: OperationList)",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: Some(status::OK),
    strict_only: false,
    check: Check::Case,
}
// --- races (`crate::race`): judged by race scenarios, not by case files;
// `crate::race::invariants` lists the same IDs and tests that both agree.
CONC_LINEARIZABLE = "CONC-LINEARIZABLE" {
    title: "every race trial has a legal sequential order: each call takes effect at one instant between its request and its response, by the rules of one operation",
    clause: "https://doi.org/10.1145/78969.78972 (Herlihy & Wing, linearizability), applied to the single-request rules of https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation and digest §4.1",
    level: Level::Must,
    basis: Basis::Inferred,
    statuses: None,
    strict_only: false,
    check: Check::Case,
}
CONC_ONE_TRANSITION = "CONC-ONE-TRANSITION" {
    title: "cancels of one RUNNING operation released together make exactly one transition to cancelling",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (\"Requests cancellation of an in-flight operation\"; \"it transitions through the normal cancellation flow\"): one flow, however many requests",
    level: Level::Must,
    basis: Basis::Inferred,
    statuses: None,
    strict_only: false,
    check: Check::Case,
}
CONC_NO_5XX = "CONC-NO-5XX" {
    title: "requests released together are never answered with 5xx",
    clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json paths./operations/{id}:cancel (202, 401, 403, 404, 422 declared; no 5xx)",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Case,
}
CONC_KEY_REPLAY_IDENTICAL = "CONC-KEY-REPLAY-IDENTICAL" {
    title: "cancels released together with one Idempotency-Key: every 2xx is the first answer again (byte for byte in strict mode), the rest are the in-flight conflict",
    clause: "https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/ (\"SHOULD respond with the result of the previously completed operation\"; retried while the original is still being processed: 409); AIP-155 allows the current state, so only strict mode compares bytes",
    level: Level::Must,
    basis: Basis::Standard,
    statuses: None,
    strict_only: false,
    check: Check::Case,
}
CONC_LOST_UPDATE = "CONC-LOST-UPDATE" {
    title: "cancels released together with one If-Match ETag: at most one is accepted, every other one is rejected as stale",
    clause: "RFC 9110 §13.1.1 (If-Match prevents the \"lost update\" problem: a false condition MUST NOT perform the method)",
    level: Level::Must,
    basis: Basis::Standard,
    statuses: None,
    strict_only: false,
    check: Check::Case,
}
CONC_COMPLETION_RACE_LEGAL = "CONC-COMPLETION-RACE-LEGAL" {
    title: "a cancel racing the operation's completion leaves a legal final state: CANCELLED after an accepted cancel, or the natural terminal state; never a mix, and done never flips back",
    clause: "https://github.com/googleapis/googleapis/blob/master/google/longrunning/operations.proto (CancelOperation: \"check whether the cancellation succeeded or whether the operation completed despite cancellation\"; done: \"exactly one of error or response is set\"); https://akua-1dce587a.mintlify.app/api-reference/operations/wait-for-an-operation-to-reach-a-terminal-state (\"State for completed operations (done: true) is immutable.\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Case,
}
CONC_WAITERS_WAKE_ALIKE = "CONC-WAITERS-WAKE-ALIKE" {
    title: ":wait callers racing a cancel all wake within about 1 s of the terminal transition and all see the same terminal body",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/wait-for-an-operation-to-reach-a-terminal-state (\"the response fires within milliseconds of the workflow reaching its terminal state\"; \"State for completed operations (done: true) is immutable.\")",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Case,
}
RETRY_AFTER_LOST_RESPONSE = "RETRY-AFTER-LOST-RESPONSE" {
    title: "a cancel retried after its response was lost gets the first answer again (same status; byte for byte in strict mode) and makes no second transition; without a key the retry is still safe",
    clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (idempotency-key: \"Safe to retry after a timed-out or interrupted request.\"); https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/",
    level: Level::Must,
    basis: Basis::Documented,
    statuses: None,
    strict_only: false,
    check: Check::Case,
}
RETRY_KEY_MISUSE = "RETRY-KEY-MISUSE" {
    title: "a retry with the same Idempotency-Key but another request (another If-Match, another operation) is rejected as key misuse and changes nothing",
    clause: "https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/ (\"reuse an idempotency key with a different request payload\": 422; akua's convention elsewhere: 409)",
    level: Level::Must,
    basis: Basis::Standard,
    statuses: None,
    strict_only: false,
    check: Check::Case,
}}

/// Every invariant, in catalogue order.
pub fn catalogue() -> &'static [Invariant] {
    CATALOGUE
}

/// The invariant with this ID.
pub fn find(id: &str) -> Option<&'static Invariant> {
    CATALOGUE.iter().find(|inv| inv.id == id)
}

/// Every ID, in catalogue order.
pub fn ids() -> Vec<&'static str> {
    CATALOGUE.iter().map(|inv| inv.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::invariant::Mode;

    /// The IDs the skeleton fixed; none may disappear.
    const SKELETON_IDS: &[&str] = &[
        "OP-SCHEMA-REQUIRED",
        "OP-NULLABLES",
        "OP-ID-LEN",
        "OP-ID-CANONICAL",
        "OP-ID-BARE-ALIAS",
        "OP-STATE-ENUM",
        "OP-DONE-TERMINAL",
        "OP-ERROR-ON-FAIL",
        "OP-ERROR-NULL-OTHERWISE",
        "OP-RESPONSE-ONLY-SUCCESS",
        "OP-RESPONSE-ON-SUCCESS",
        "OP-RESPONSE-TYPE-MATCH",
        "OP-METADATA-TYPED",
        "OP-OWNER-ENUM",
        "OP-OWNER-PREFIX",
        "OP-COMPLETED-AT",
        "OP-TIME-ORDER",
        "OP-TS-SECONDS",
        "OP-HTMLURL",
        "OP-LAST-ERROR-SHAPE",
        "OP-LAST-ERROR-CLEARED",
        "OP-IMMUTABLE-DONE",
        "OP-DONE-MONOTONIC",
        "OP-STEPS-ON-GET",
        "OP-STEPS-OFF-LIST",
        "OP-ETAG-HEADER",
        "HTTP-JSON-CONTENT-TYPE",
        "CANCEL-202-ENVELOPE",
        "CANCEL-ASYNC",
        "CANCEL-SETTLES",
        "CANCEL-TERMINAL-422",
        "CANCEL-NO-SIDE-EFFECT-ON-DONE",
        "CANCEL-REPLAY-IDEMPOTENT",
        "CANCEL-KEY-OPTIONAL",
        "CANCEL-KEY-BOUNDS",
        "CANCEL-KEY-MISUSE",
        "CANCEL-KEY-CONCURRENT",
        "CANCEL-IFMATCH-STALE",
        "CANCEL-IFMATCH-CURRENT",
        "CANCEL-IFMATCH-BOUNDS",
        "CANCEL-IFMATCH-PRECEDENCE",
        "CANCEL-NOT-FOUND",
        "REQ-ID-BOUNDS",
        "REQ-CONTEXT-BOUNDS",
        "PATH-COLON-ENCODING",
        "WAIT-200-ALWAYS",
        "WAIT-TIMEOUT-BOUNDS",
        "WAIT-TIMEOUT-REJECT",
        "WAIT-HOLDS",
        "WAIT-WAKES",
        "WAIT-IMMEDIATE-IF-DONE",
        "WAIT-404",
        "LIST-SHAPE",
        "LIST-CURSOR-END",
        "LIST-LIMIT",
        "LIST-LIMIT-BOUNDS",
        "LIST-PAGING-COMPLETE",
        "LIST-NEWEST-FIRST",
        "LIST-OWNER-FILTER",
        "LIST-OWNER-PAIR",
        "LIST-WORKSPACE-SCOPE",
        "AUTH-401",
        "AUTH-403",
        "AUTH-CONTEXT-IMPLIED",
        "AUTH-CONTEXT-FOREIGN",
        "AUTH-FOREIGN-ISOLATION",
        "ERR-ENVELOPE",
    ];

    fn upper_kebab(id: &str) -> bool {
        !id.is_empty()
            && id.split('-').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            })
    }

    #[test]
    fn every_constant_is_named_after_its_id() {
        assert_eq!(CONSTANT_NAMES.len(), catalogue().len());
        for (name, id) in CONSTANT_NAMES {
            assert_eq!(*name, id.replace('-', "_"), "constant {name} holds {id}");
        }
        assert_eq!(id::OP_DONE_TERMINAL, "OP-DONE-TERMINAL");
    }

    #[test]
    fn ids_are_unique_upper_kebab_with_title_and_clause() {
        let mut seen = std::collections::HashSet::new();
        for inv in catalogue() {
            assert!(seen.insert(inv.id), "duplicate id {}", inv.id);
            assert!(upper_kebab(inv.id), "{} is not UPPER-KEBAB-CASE", inv.id);
            assert!(!inv.title.trim().is_empty(), "{} has no title", inv.id);
            assert!(!inv.clause.trim().is_empty(), "{} has no clause", inv.id);
            assert!(
                !inv.title.contains('|') && !inv.clause.contains('|'),
                "{}: '|' breaks the table",
                inv.id
            );
        }
        assert!(!upper_kebab("op-lower") && !upper_kebab("OP--X") && !upper_kebab("OP_X"));
    }

    #[test]
    fn every_skeleton_id_is_kept() {
        for id in SKELETON_IDS {
            assert!(find(id).is_some(), "{id} was dropped");
        }
        assert_eq!(ids().len(), catalogue().len());
    }

    #[test]
    fn clauses_cite_a_source_table_url_or_a_standard() {
        for inv in catalogue() {
            let c = inv.clause;
            assert!(
                c.contains("https://") || c.starts_with("RFC ") || c.starts_with("AIP-"),
                "{}: {c}",
                inv.id
            );
        }
    }

    #[test]
    fn status_invariants_take_strict_in_strict_mode_and_extras_only_in_lenient() {
        let mut with_statuses = 0;
        for inv in catalogue() {
            let Some(sets) = inv.statuses else { continue };
            with_statuses += 1;
            assert!(
                matches!(inv.check, Check::Case),
                "{} has statuses but is a body check",
                inv.id
            );
            assert!(!sets.strict.is_empty(), "{}", inv.id);
            for s in sets.strict {
                assert!(
                    sets.accepts(*s, Mode::Strict) && sets.accepts(*s, Mode::Lenient),
                    "{} {s}",
                    inv.id
                );
            }
            for s in sets.lenient_extra {
                assert!(!sets.strict.contains(s), "{} lists {s} twice", inv.id);
                assert!(
                    !sets.accepts(*s, Mode::Strict),
                    "{} strict took {s}",
                    inv.id
                );
                assert!(
                    sets.accepts(*s, Mode::Lenient),
                    "{} lenient refused {s}",
                    inv.id
                );
            }
            assert!(!sets.accepts(500, Mode::Lenient), "{}", inv.id);
        }
        assert!(with_statuses >= 20, "{with_statuses}");
    }

    #[test]
    fn status_sets_match_the_digest_table() {
        let expect = |id: &str, strict: &[u16], extra: &[u16]| {
            let sets = find(id)
                .and_then(|i| i.statuses)
                .unwrap_or_else(|| panic!("{id} has no statuses"));
            assert_eq!((sets.strict, sets.lenient_extra), (strict, extra), "{id}");
        };
        expect("CANCEL-202-ENVELOPE", &[202], &[200]);
        expect("CANCEL-TERMINAL-422", &[422], &[400, 409]);
        expect("CANCEL-NOT-FOUND", &[404], &[403]);
        expect("AUTH-401", &[401], &[]);
        expect("AUTH-403", &[403], &[404]);
        expect("CANCEL-IFMATCH-STALE", &[409], &[412]);
        expect("CANCEL-IFMATCH-PRECEDENCE", &[422], &[409, 412]);
        expect("CANCEL-IFMATCH-CURRENT", &[202], &[200]);
        expect("CANCEL-REPLAY-IDEMPOTENT", &[202], &[200]);
        expect("CANCEL-AGAIN-ACCEPTED", &[202], &[200, 409]);
        expect("CANCEL-KEY-MISUSE", &[409], &[422]);
        expect("CANCEL-KEY-CONCURRENT", &[202, 409], &[200]);
        expect("CANCEL-KEY-BOUNDS", &[400], &[422]);
        expect("CANCEL-IFMATCH-BOUNDS", &[400], &[422]);
        expect("REQ-CONTEXT-BOUNDS", &[400], &[422]);
        expect("REQ-ID-BOUNDS", &[400], &[404, 422]);
        expect("WAIT-200-ALWAYS", &[200], &[]);
        expect("WAIT-TIMEOUT-REJECT", &[400], &[422]);
        expect("GET-200", &[200], &[]);
        expect("LIST-200", &[200], &[]);
        expect("LIST-LIMIT-BOUNDS", &[400], &[422]);
        expect("LIST-OWNER-PAIR", &[400], &[422]);
    }

    #[test]
    fn fair_reading_conventions_are_strict_only() {
        for id in [
            "OP-ETAG-HEADER",
            "OP-RESPONSE-ON-SUCCESS",
            "OP-METADATA-KNOWN-TYPE",
            "PATH-COLON-ENCODING",
            "CANCEL-REPLAY-IDENTICAL",
        ] {
            let inv = find(id).unwrap_or_else(|| panic!("{id}"));
            assert!(inv.strict_only, "{id}");
            assert_eq!(inv.level, Level::Should, "{id}");
        }
        assert!(!find("OP-DONE-TERMINAL").is_some_and(|i| i.strict_only));
    }
}
