//! What recorded traffic can show of each catalogue invariant, decided once
//! per invariant: an audit reads exchanges someone else chose to send, so it
//! knows no fixtures (whether an id exists, which workspaces a token
//! covers, whether an ETag was still current). Every invariant is either
//! judged on what traffic shows, or listed as "not observable in traffic"
//! with the reason: never passed by default.

/// How traffic shows an invariant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observability {
    /// On each exchange alone: its body, headers and status.
    Exchange,
    /// From the request alone (a bound the request breaks or keeps), the
    /// statuses its answer may have.
    Request,
    /// Over one operation's history (every representation seen, in order).
    History,
    /// Over sets of exchanges (replays with one key, a refused cancel and
    /// what followed, one key on two operations ...).
    ExchangeSet,
    /// Not observable in traffic, with the reason.
    NotObservable(&'static str),
}

impl Observability {
    /// `exchange`, `request`, `history`, `exchange set`, `not observable`.
    pub fn label(self) -> &'static str {
        match self {
            Observability::Exchange => "exchange",
            Observability::Request => "request",
            Observability::History => "history",
            Observability::ExchangeSet => "exchange set",
            Observability::NotObservable(_) => "not observable",
        }
    }
}

use crate::contract::id;
use Observability::{Exchange, ExchangeSet, History, NotObservable, Request};

const CREDENTIALS: &str = "whether a credential is valid is not in the traffic: recordings redact or drop Authorization, so a header missing from the log is not a header missing on the wire";
const WORKSPACES: &str = "which workspaces a token covers, and which workspace an operation belongs to, is not in the traffic";
const RACES: &str = "judged on trials whose requests opconform released together and timed itself, with the hang-ups it caused (`opconform race`): recorded traffic has no barrier, no known hang-ups and millisecond timestamps";
const EXISTENCE: &str = "whether an id exists is fixture knowledge: a 404 for an id the traffic never showed may be right, and operations may expire";

/// Every catalogue invariant: how traffic shows it, and (for the observable
/// ones) what exactly the audit judges. Catalogue order.
pub const TABLE: &[(&str, Observability, &str)] = &[
    (
        id::OP_SCHEMA_REQUIRED,
        Exchange,
        "every recorded Operation body (get, wait, cancel, list items)",
    ),
    (id::OP_NULLABLES, Exchange, "every recorded Operation body"),
    (id::OP_ID_LEN, Exchange, "every recorded Operation body"),
    (
        id::OP_ID_CANONICAL,
        Exchange,
        "a 2xx answer to a request naming a bare id carries op_<id>",
    ),
    (
        id::OP_ID_BARE_ALIAS,
        ExchangeSet,
        "a bare id answered 404 after its op_ form was answered 2xx",
    ),
    (id::OP_STATE_ENUM, Exchange, "every recorded Operation body"),
    (
        id::OP_DONE_TERMINAL,
        Exchange,
        "every recorded Operation body",
    ),
    (
        id::OP_ERROR_ON_FAIL,
        Exchange,
        "every recorded Operation body",
    ),
    (
        id::OP_ERROR_NULL_OTHERWISE,
        Exchange,
        "every recorded Operation body",
    ),
    (
        id::OP_RESPONSE_ONLY_SUCCESS,
        Exchange,
        "every recorded Operation body",
    ),
    (
        id::OP_RESPONSE_ON_SUCCESS,
        Exchange,
        "every recorded Operation body (strict)",
    ),
    (
        id::OP_RESPONSE_TYPE_MATCH,
        Exchange,
        "every recorded Operation body",
    ),
    (
        id::OP_METADATA_TYPED,
        Exchange,
        "every recorded Operation body",
    ),
    (
        id::OP_METADATA_KNOWN_TYPE,
        Exchange,
        "every recorded Operation body (strict)",
    ),
    (id::OP_OWNER_ENUM, Exchange, "every recorded Operation body"),
    (
        id::OP_OWNER_PREFIX,
        Exchange,
        "every recorded Operation body",
    ),
    (
        id::OP_COMPLETED_AT,
        Exchange,
        "every recorded Operation body",
    ),
    (id::OP_TIME_ORDER, Exchange, "every recorded Operation body"),
    (id::OP_TS_SECONDS, Exchange, "every recorded Operation body"),
    (id::OP_HTMLURL, Exchange, "every recorded Operation body"),
    (
        id::OP_LAST_ERROR_SHAPE,
        Exchange,
        "every recorded Operation body",
    ),
    (
        id::OP_LAST_ERROR_CLEARED,
        History,
        "an operation's reads in the order received",
    ),
    (
        id::OP_IMMUTABLE_DONE,
        History,
        "every read after the first that showed done",
    ),
    (
        id::OP_DONE_MONOTONIC,
        History,
        "every read after the first that showed done",
    ),
    (
        id::HIST_STARTED_AT_STABLE,
        History,
        "an operation's reads in the order received",
    ),
    (
        id::HIST_COMPLETED_AT_ONCE,
        History,
        "an operation's reads in the order received",
    ),
    (
        id::HIST_STEPS_FORWARD,
        History,
        "an operation's reads in the order received",
    ),
    (
        id::ETAG_CHANGES,
        History,
        "GET reads of one operation that carry an ETag",
    ),
    (
        id::ETAG_STABLE,
        History,
        "GET reads of one operation that carry an ETag",
    ),
    (
        id::HTTP_405_ALLOW,
        Exchange,
        "every recorded 405 (when response headers are recorded)",
    ),
    (
        id::OP_STEPS_ON_GET,
        Exchange,
        "every recorded GET of one operation",
    ),
    (id::OP_STEPS_OFF_LIST, Exchange, "every recorded list item"),
    (
        id::OP_ETAG_HEADER,
        Exchange,
        "every recorded Operation answer with headers (strict)",
    ),
    (
        id::HTTP_JSON_CONTENT_TYPE,
        Exchange,
        "every recorded Operation answer with headers",
    ),
    (
        id::CANCEL_202_ENVELOPE,
        Exchange,
        "a 2xx cancel is 202 (200 lenient) with the operation named; any cancel answer is in the endpoint's documented set",
    ),
    (
        id::CANCEL_ASYNC,
        NotObservable(
            "a permission, not a requirement (a 202 may still show RUNNING): no exchange can break it",
        ),
        "",
    ),
    (
        id::CANCEL_SETTLES,
        ExchangeSet,
        "a read later than the settle deadline after an accepted cancel still shows the operation RUNNING",
    ),
    (
        id::CANCEL_TERMINAL_422,
        ExchangeSet,
        "a cancel (not a replay) sent after a read showed the operation done",
    ),
    (
        id::CANCEL_NO_SIDE_EFFECT_ON_DONE,
        NotObservable(
            "traffic shows it as OP-IMMUTABLE-DONE: any later change of a done operation is reported there, whatever caused it",
        ),
        "",
    ),
    (
        id::CANCEL_REPLAY_IDEMPOTENT,
        ExchangeSet,
        "a cancel repeating an Idempotency-Key whose first use was answered 2xx, on the same operation",
    ),
    (
        id::CANCEL_REPLAY_IDENTICAL,
        ExchangeSet,
        "2xx replays with one Idempotency-Key carry byte-identical bodies (strict)",
    ),
    (
        id::CANCEL_AGAIN_ACCEPTED,
        ExchangeSet,
        "a cancel (without If-Match) after an accepted one, before any read showed the operation done, is accepted again (a 422 is not judged: the operation may have finished in between)",
    ),
    (
        id::CANCEL_KEY_OPTIONAL,
        Request,
        "an in-bounds cancel without Idempotency-Key is not answered 400 (strict: lenient allows 400 for a done operation)",
    ),
    (
        id::CANCEL_KEY_BOUNDS,
        Request,
        "a cancel with an empty or over-64-character Idempotency-Key",
    ),
    (
        id::CANCEL_KEY_MISUSE,
        ExchangeSet,
        "an Idempotency-Key answered 2xx on one operation, used by the same caller on another",
    ),
    (
        id::CANCEL_KEY_CONCURRENT,
        ExchangeSet,
        "cancels with one Idempotency-Key that overlap in time",
    ),
    (
        id::CANCEL_IFMATCH_STALE,
        ExchangeSet,
        "a cancel refused with 409/412 for its If-Match, then the operation seen CANCELLED with no accepted cancel in between",
    ),
    (
        id::CANCEL_IFMATCH_CURRENT,
        NotObservable(
            "whether a tag was still current when the cancel arrived is not in the traffic: the operation moves between reads",
        ),
        "",
    ),
    (
        id::CANCEL_IFMATCH_BOUNDS,
        Request,
        "a cancel with an empty or over-64-character If-Match",
    ),
    (
        id::CANCEL_IFMATCH_PRECEDENCE,
        ExchangeSet,
        "a cancel with If-Match sent after a read showed the operation done",
    ),
    (id::CANCEL_NOT_FOUND, NotObservable(EXISTENCE), ""),
    (
        id::REQ_ID_BOUNDS,
        Request,
        "a request whose path id is empty or over 53 characters",
    ),
    (
        id::REQ_CONTEXT_BOUNDS,
        Request,
        "a request with an empty or over-53-character akua-context",
    ),
    (
        id::PATH_COLON_ENCODING,
        ExchangeSet,
        "%3Acancel / %3Await answered 404 or 405 for an operation the traffic showed to exist (strict)",
    ),
    (
        id::WAIT_200_ALWAYS,
        Exchange,
        "a 2xx :wait is 200; any :wait answer is in the endpoint's documented set",
    ),
    (
        id::WAIT_TIMEOUT_BOUNDS,
        Request,
        "a :wait with timeout 1-60 (or none) is not rejected 400/422",
    ),
    (
        id::WAIT_TIMEOUT_REJECT,
        Request,
        "a :wait with timeout outside 1-60 or not an integer",
    ),
    (
        id::WAIT_HOLDS,
        Exchange,
        "a :wait answering done:false well before its timeout (needs recorded durations)",
    ),
    (
        id::WAIT_WAKES,
        Exchange,
        "a :wait that held to its timeout although the server's Date shows the operation completed during it",
    ),
    (
        id::WAIT_IMMEDIATE_IF_DONE,
        Exchange,
        "a :wait that held to its timeout on an operation done before it began (server clock)",
    ),
    (id::WAIT_404, NotObservable(EXISTENCE), ""),
    (id::LIST_SHAPE, Exchange, "every recorded list page"),
    (id::LIST_CURSOR_END, Exchange, "every recorded list page"),
    (id::LIST_LIMIT, Exchange, "every recorded list page"),
    (
        id::LIST_LIMIT_BOUNDS,
        Request,
        "a list with limit outside 1-100 or not an integer",
    ),
    (
        id::LIST_PAGING_COMPLETE,
        ExchangeSet,
        "pages fetched by following next_cursor repeat no item (gaps are not observable: the data set moves)",
    ),
    (id::LIST_NEWEST_FIRST, Exchange, "every recorded list page"),
    (
        id::LIST_OWNER_FILTER,
        Exchange,
        "a list with owner_type and owner_id: every item matches both",
    ),
    (
        id::LIST_OWNER_PAIR,
        Request,
        "a list with owner_type but no owner_id, or an unknown owner_type",
    ),
    (id::LIST_WORKSPACE_SCOPE, NotObservable(WORKSPACES), ""),
    (id::AUTH_401, NotObservable(CREDENTIALS), ""),
    (id::AUTH_403, NotObservable(WORKSPACES), ""),
    (id::AUTH_CONTEXT_IMPLIED, NotObservable(WORKSPACES), ""),
    (id::AUTH_CONTEXT_FOREIGN, NotObservable(WORKSPACES), ""),
    (id::AUTH_CONTEXT_SELECTS, NotObservable(WORKSPACES), ""),
    (id::AUTH_FOREIGN_ISOLATION, NotObservable(WORKSPACES), ""),
    (id::ERR_ENVELOPE, Exchange, "every recorded 4xx body"),
    (
        id::GET_200,
        Exchange,
        "a 2xx get is 200 with the operation named; any get answer is in the endpoint's documented set",
    ),
    (
        id::LIST_200,
        Exchange,
        "a 2xx list is 200; an in-bounds list without a cursor is not rejected; any list answer is in the documented set",
    ),
    (id::CONC_LINEARIZABLE, NotObservable(RACES), ""),
    (id::CONC_ONE_TRANSITION, NotObservable(RACES), ""),
    (id::CONC_NO_5XX, NotObservable(RACES), ""),
    (id::CONC_KEY_REPLAY_IDENTICAL, NotObservable(RACES), ""),
    (id::CONC_LOST_UPDATE, NotObservable(RACES), ""),
    (id::CONC_COMPLETION_RACE_LEGAL, NotObservable(RACES), ""),
    (id::CONC_WAITERS_WAKE_ALIKE, NotObservable(RACES), ""),
    (id::RETRY_AFTER_LOST_RESPONSE, NotObservable(RACES), ""),
    (id::RETRY_KEY_MISUSE, NotObservable(RACES), ""),
];

/// How traffic shows `id`; `None` for an ID the table does not know.
pub fn observability(id: &str) -> Option<Observability> {
    TABLE.iter().find(|(i, ..)| *i == id).map(|(_, o, _)| *o)
}

/// What the audit judges for `id` (empty for the not observable ones).
pub fn judged(id: &str) -> &'static str {
    TABLE
        .iter()
        .find(|(i, ..)| *i == id)
        .map_or("", |(_, _, how)| how)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_invariant_is_decided_once_in_catalogue_order() {
        let ids: Vec<&str> = crate::contract::catalogue().iter().map(|i| i.id).collect();
        let table: Vec<&str> = TABLE.iter().map(|(id, ..)| *id).collect();
        assert_eq!(table, ids);
        for (id, o, how) in TABLE {
            match o {
                NotObservable(reason) => {
                    assert!(how.is_empty() && reason.len() > 20, "{id}");
                }
                _ => assert!(!how.is_empty(), "{id}: say what is judged"),
            }
        }
    }
}
