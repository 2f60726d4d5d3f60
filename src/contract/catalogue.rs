//! The invariant catalogue. SKELETON: the contract work fills in every entry
//! (clause, level, basis, statuses, check) and splits the checks into one file
//! per family; IDs and their meaning are fixed here so that faults, cases and
//! reports can name them.

use super::invariant::{Basis, Check, Invariant, Level};

/// Version of the catalogue; bump when an ID is added, removed or changes
/// meaning.
pub const CATALOGUE_VERSION: &str = "0.1.0";

macro_rules! stub {
    ($id:literal, $title:literal) => {
        Invariant {
            id: $id,
            title: $title,
            clause: "",
            level: Level::Must,
            basis: Basis::Documented,
            statuses: None,
            strict_only: false,
            check: Check::Case,
        }
    };
}

static CATALOGUE: &[Invariant] = &[
    stub!(
        "OP-SCHEMA-REQUIRED",
        "every Operation body has all required keys with the documented types"
    ),
    stub!(
        "OP-NULLABLES",
        "only the documented nullable fields are ever null"
    ),
    stub!(
        "OP-ID-LEN",
        "id is 1-53 characters; parent_operation_id too when non-null"
    ),
    stub!(
        "OP-ID-CANONICAL",
        "response id is the canonical op_ form, even for a bare-id request"
    ),
    stub!(
        "OP-ID-BARE-ALIAS",
        "a bare id and its op_ form name the same operation"
    ),
    stub!(
        "OP-STATE-ENUM",
        "state is RUNNING, SUCCEEDED, FAILED or CANCELLED"
    ),
    stub!(
        "OP-DONE-TERMINAL",
        "done is true exactly when state is terminal"
    ),
    stub!(
        "OP-ERROR-ON-FAIL",
        "FAILED and CANCELLED carry error.message"
    ),
    stub!(
        "OP-ERROR-NULL-OTHERWISE",
        "RUNNING and SUCCEEDED have error null"
    ),
    stub!(
        "OP-RESPONSE-ONLY-SUCCESS",
        "response is non-null only when SUCCEEDED"
    ),
    stub!("OP-RESPONSE-ON-SUCCESS", "SUCCEEDED carries a response"),
    stub!(
        "OP-RESPONSE-TYPE-MATCH",
        "response.type equals metadata.type"
    ),
    stub!(
        "OP-METADATA-TYPED",
        "metadata is an object with a string type"
    ),
    stub!(
        "OP-OWNER-ENUM",
        "owner_type is one of the 7 documented values"
    ),
    stub!(
        "OP-OWNER-PREFIX",
        "owner_id carries the prefix paired with owner_type"
    ),
    stub!(
        "OP-COMPLETED-AT",
        "completed_at is null exactly when done is false"
    ),
    stub!(
        "OP-TIME-ORDER",
        "completed_at >= started_at, for the operation and each step"
    ),
    stub!(
        "OP-TS-SECONDS",
        "timestamps are non-negative integer Unix seconds"
    ),
    stub!(
        "OP-HTMLURL",
        "html_url is an absolute URI of at most 2048 characters"
    ),
    stub!(
        "OP-LAST-ERROR-SHAPE",
        "last_error is null or {message, step_name?}"
    ),
    stub!(
        "OP-LAST-ERROR-CLEARED",
        "last_error is cleared when the failed step succeeds on retry"
    ),
    stub!(
        "OP-IMMUTABLE-DONE",
        "once done, every later read returns an identical operation"
    ),
    stub!(
        "OP-DONE-MONOTONIC",
        "done never goes back to false; state never leaves a terminal value"
    ),
    stub!(
        "OP-STEPS-ON-GET",
        "get returns steps, each with the 8 required fields"
    ),
    stub!("OP-STEPS-OFF-LIST", "list items carry no per-step detail"),
    stub!(
        "OP-ETAG-HEADER",
        "Operation responses carry a quoted ETag (akua convention)"
    ),
    stub!(
        "HTTP-JSON-CONTENT-TYPE",
        "JSON bodies are sent as application/json"
    ),
    stub!(
        "CANCEL-202-ENVELOPE",
        "cancel on a RUNNING operation returns 202 and the operation"
    ),
    stub!(
        "CANCEL-ASYNC",
        "the accepted-cancel body may still be RUNNING; it is a valid Operation"
    ),
    stub!(
        "CANCEL-SETTLES",
        "after an accepted cancel the operation becomes done within the deadline"
    ),
    stub!(
        "CANCEL-TERMINAL-422",
        "cancel on a done operation is rejected with 422"
    ),
    stub!(
        "CANCEL-NO-SIDE-EFFECT-ON-DONE",
        "a rejected cancel leaves the operation unchanged"
    ),
    stub!(
        "CANCEL-REPLAY-IDEMPOTENT",
        "a replay with the same Idempotency-Key returns the first response"
    ),
    stub!(
        "CANCEL-KEY-OPTIONAL",
        "cancel without Idempotency-Key is accepted"
    ),
    stub!(
        "CANCEL-KEY-BOUNDS",
        "an empty or >64-character Idempotency-Key is rejected"
    ),
    stub!(
        "CANCEL-KEY-MISUSE",
        "the same key on another operation is rejected"
    ),
    stub!(
        "CANCEL-KEY-CONCURRENT",
        "concurrent duplicates with one key make one transition"
    ),
    stub!(
        "CANCEL-IFMATCH-STALE",
        "a stale If-Match is rejected and has no effect"
    ),
    stub!("CANCEL-IFMATCH-CURRENT", "a current If-Match is accepted"),
    stub!(
        "CANCEL-IFMATCH-BOUNDS",
        "an empty or >64-character If-Match is rejected"
    ),
    stub!(
        "CANCEL-IFMATCH-PRECEDENCE",
        "401/403/404/422 take precedence over a failed precondition"
    ),
    stub!("CANCEL-NOT-FOUND", "an unknown id gets 404"),
    stub!(
        "REQ-ID-BOUNDS",
        "a path id longer than 53 characters is rejected"
    ),
    stub!(
        "REQ-CONTEXT-BOUNDS",
        "an empty or >53-character akua-context is rejected"
    ),
    stub!(
        "PATH-COLON-ENCODING",
        "%3Acancel and %3Await route like :cancel and :wait"
    ),
    stub!(
        "WAIT-200-ALWAYS",
        "a valid :wait returns 200 whether or not the operation finished"
    ),
    stub!(
        "WAIT-TIMEOUT-BOUNDS",
        "timeout is an integer 1-60, default 30"
    ),
    stub!(
        "WAIT-TIMEOUT-REJECT",
        "timeout 0, 61 or a non-integer is rejected"
    ),
    stub!(
        "WAIT-HOLDS",
        "a :wait on a RUNNING operation holds about timeout seconds"
    ),
    stub!(
        "WAIT-WAKES",
        "a :wait wakes soon after the operation becomes done"
    ),
    stub!(
        "WAIT-IMMEDIATE-IF-DONE",
        "a :wait on a done operation returns at once"
    ),
    stub!("WAIT-404", "a :wait on an unknown id gets 404"),
    stub!(
        "LIST-SHAPE",
        "data, has_more and next_cursor are always present"
    ),
    stub!(
        "LIST-CURSOR-END",
        "next_cursor is null exactly when has_more is false"
    ),
    stub!(
        "LIST-LIMIT",
        "a page has at most limit items (default 50, max 100)"
    ),
    stub!(
        "LIST-LIMIT-BOUNDS",
        "limit 0 is rejected; limit >100 is rejected or coerced"
    ),
    stub!(
        "LIST-PAGING-COMPLETE",
        "following cursors yields every item once"
    ),
    stub!("LIST-NEWEST-FIRST", "items are newest first"),
    stub!(
        "LIST-OWNER-FILTER",
        "with owner_type and owner_id, every item matches both"
    ),
    stub!("LIST-OWNER-PAIR", "owner_type without owner_id is rejected"),
    stub!(
        "LIST-WORKSPACE-SCOPE",
        "the list never includes another workspace's operations"
    ),
    stub!(
        "AUTH-401",
        "a missing, malformed or unknown bearer gets 401"
    ),
    stub!(
        "AUTH-403",
        "an authenticated caller without access gets 403"
    ),
    stub!(
        "AUTH-CONTEXT-IMPLIED",
        "a workspace token works without akua-context"
    ),
    stub!(
        "AUTH-CONTEXT-FOREIGN",
        "akua-context naming a workspace the token does not cover gets 403"
    ),
    stub!(
        "AUTH-FOREIGN-ISOLATION",
        "another workspace's operation gets 404 and is not touched"
    ),
    stub!(
        "ERR-ENVELOPE",
        "every 4xx body is one of the documented error envelopes"
    ),
];

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
