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

use Observability::{Exchange, ExchangeSet, History, NotObservable, Request};

const CREDENTIALS: &str = "whether a credential is valid is not in the traffic: recordings redact or drop Authorization, so a header missing from the log is not a header missing on the wire";
const WORKSPACES: &str = "which workspaces a token covers, and which workspace an operation belongs to, is not in the traffic";
const EXISTENCE: &str = "whether an id exists is fixture knowledge: a 404 for an id the traffic never showed may be right, and operations may expire";

/// Every catalogue invariant: how traffic shows it, and (for the observable
/// ones) what exactly the audit judges. Catalogue order.
pub const TABLE: &[(&str, Observability, &str)] = &[
    (
        "OP-SCHEMA-REQUIRED",
        Exchange,
        "every recorded Operation body (get, wait, cancel, list items)",
    ),
    ("OP-NULLABLES", Exchange, "every recorded Operation body"),
    ("OP-ID-LEN", Exchange, "every recorded Operation body"),
    (
        "OP-ID-CANONICAL",
        Exchange,
        "a 2xx answer to a request naming a bare id carries op_<id>",
    ),
    (
        "OP-ID-BARE-ALIAS",
        ExchangeSet,
        "a bare id answered 404 after its op_ form was answered 2xx",
    ),
    ("OP-STATE-ENUM", Exchange, "every recorded Operation body"),
    (
        "OP-DONE-TERMINAL",
        Exchange,
        "every recorded Operation body",
    ),
    (
        "OP-ERROR-ON-FAIL",
        Exchange,
        "every recorded Operation body",
    ),
    (
        "OP-ERROR-NULL-OTHERWISE",
        Exchange,
        "every recorded Operation body",
    ),
    (
        "OP-RESPONSE-ONLY-SUCCESS",
        Exchange,
        "every recorded Operation body",
    ),
    (
        "OP-RESPONSE-ON-SUCCESS",
        Exchange,
        "every recorded Operation body (strict)",
    ),
    (
        "OP-RESPONSE-TYPE-MATCH",
        Exchange,
        "every recorded Operation body",
    ),
    (
        "OP-METADATA-TYPED",
        Exchange,
        "every recorded Operation body",
    ),
    (
        "OP-METADATA-KNOWN-TYPE",
        Exchange,
        "every recorded Operation body (strict)",
    ),
    ("OP-OWNER-ENUM", Exchange, "every recorded Operation body"),
    ("OP-OWNER-PREFIX", Exchange, "every recorded Operation body"),
    ("OP-COMPLETED-AT", Exchange, "every recorded Operation body"),
    ("OP-TIME-ORDER", Exchange, "every recorded Operation body"),
    ("OP-TS-SECONDS", Exchange, "every recorded Operation body"),
    ("OP-HTMLURL", Exchange, "every recorded Operation body"),
    (
        "OP-LAST-ERROR-SHAPE",
        Exchange,
        "every recorded Operation body",
    ),
    (
        "OP-LAST-ERROR-CLEARED",
        History,
        "an operation's reads in the order received",
    ),
    (
        "OP-IMMUTABLE-DONE",
        History,
        "every read after the first that showed done",
    ),
    (
        "OP-DONE-MONOTONIC",
        History,
        "every read after the first that showed done",
    ),
    (
        "HIST-STARTED-AT-STABLE",
        History,
        "an operation's reads in the order received",
    ),
    (
        "HIST-COMPLETED-AT-ONCE",
        History,
        "an operation's reads in the order received",
    ),
    (
        "HIST-STEPS-FORWARD",
        History,
        "an operation's reads in the order received",
    ),
    (
        "ETAG-CHANGES",
        History,
        "GET reads of one operation that carry an ETag",
    ),
    (
        "ETAG-STABLE",
        History,
        "GET reads of one operation that carry an ETag",
    ),
    (
        "HTTP-405-ALLOW",
        Exchange,
        "every recorded 405 (when response headers are recorded)",
    ),
    (
        "OP-STEPS-ON-GET",
        Exchange,
        "every recorded GET of one operation",
    ),
    ("OP-STEPS-OFF-LIST", Exchange, "every recorded list item"),
    (
        "OP-ETAG-HEADER",
        Exchange,
        "every recorded Operation answer with headers (strict)",
    ),
    (
        "HTTP-JSON-CONTENT-TYPE",
        Exchange,
        "every recorded Operation answer with headers",
    ),
    (
        "CANCEL-202-ENVELOPE",
        Exchange,
        "a 2xx cancel is 202 (200 lenient) with the operation named; any cancel answer is in the endpoint's documented set",
    ),
    (
        "CANCEL-ASYNC",
        NotObservable(
            "a permission, not a requirement (a 202 may still show RUNNING): no exchange can break it",
        ),
        "",
    ),
    (
        "CANCEL-SETTLES",
        ExchangeSet,
        "a read later than the settle deadline after an accepted cancel still shows the operation RUNNING",
    ),
    (
        "CANCEL-TERMINAL-422",
        ExchangeSet,
        "a cancel (not a replay) sent after a read showed the operation done",
    ),
    (
        "CANCEL-NO-SIDE-EFFECT-ON-DONE",
        NotObservable(
            "traffic shows it as OP-IMMUTABLE-DONE: any later change of a done operation is reported there, whatever caused it",
        ),
        "",
    ),
    (
        "CANCEL-REPLAY-IDEMPOTENT",
        ExchangeSet,
        "a cancel repeating an Idempotency-Key whose first use was answered 2xx, on the same operation",
    ),
    (
        "CANCEL-REPLAY-IDENTICAL",
        ExchangeSet,
        "2xx replays with one Idempotency-Key carry byte-identical bodies (strict)",
    ),
    (
        "CANCEL-AGAIN-ACCEPTED",
        NotObservable(
            "whether the first cancel was still draining when the second arrived is not in the traffic: a 422 is right if the operation finished in between",
        ),
        "",
    ),
    (
        "CANCEL-KEY-OPTIONAL",
        Request,
        "an in-bounds cancel without Idempotency-Key is not answered 400 (strict: lenient allows 400 for a done operation)",
    ),
    (
        "CANCEL-KEY-BOUNDS",
        Request,
        "a cancel with an empty or over-64-character Idempotency-Key",
    ),
    (
        "CANCEL-KEY-MISUSE",
        ExchangeSet,
        "an Idempotency-Key answered 2xx on one operation, used by the same caller on another",
    ),
    (
        "CANCEL-KEY-CONCURRENT",
        ExchangeSet,
        "cancels with one Idempotency-Key that overlap in time",
    ),
    (
        "CANCEL-IFMATCH-STALE",
        ExchangeSet,
        "a cancel refused with 409/412 for its If-Match, then the operation seen CANCELLED with no accepted cancel in between",
    ),
    (
        "CANCEL-IFMATCH-CURRENT",
        NotObservable(
            "whether a tag was still current when the cancel arrived is not in the traffic: the operation moves between reads",
        ),
        "",
    ),
    (
        "CANCEL-IFMATCH-BOUNDS",
        Request,
        "a cancel with an empty or over-64-character If-Match",
    ),
    (
        "CANCEL-IFMATCH-PRECEDENCE",
        ExchangeSet,
        "a cancel with If-Match sent after a read showed the operation done",
    ),
    ("CANCEL-NOT-FOUND", NotObservable(EXISTENCE), ""),
    (
        "REQ-ID-BOUNDS",
        Request,
        "a request whose path id is empty or over 53 characters",
    ),
    (
        "REQ-CONTEXT-BOUNDS",
        Request,
        "a request with an empty or over-53-character akua-context",
    ),
    (
        "PATH-COLON-ENCODING",
        ExchangeSet,
        "%3Acancel / %3Await answered 404 or 405 for an operation the traffic showed to exist (strict)",
    ),
    (
        "WAIT-200-ALWAYS",
        Exchange,
        "a 2xx :wait is 200; any :wait answer is in the endpoint's documented set",
    ),
    (
        "WAIT-TIMEOUT-BOUNDS",
        Request,
        "a :wait with timeout 1-60 (or none) is not rejected 400/422",
    ),
    (
        "WAIT-TIMEOUT-REJECT",
        Request,
        "a :wait with timeout outside 1-60 or not an integer",
    ),
    (
        "WAIT-HOLDS",
        Exchange,
        "a :wait answering done:false well before its timeout (needs recorded durations)",
    ),
    (
        "WAIT-WAKES",
        Exchange,
        "a :wait that held to its timeout although the server's Date shows the operation completed during it",
    ),
    (
        "WAIT-IMMEDIATE-IF-DONE",
        Exchange,
        "a :wait that held to its timeout on an operation done before it began (server clock)",
    ),
    ("WAIT-404", NotObservable(EXISTENCE), ""),
    ("LIST-SHAPE", Exchange, "every recorded list page"),
    ("LIST-CURSOR-END", Exchange, "every recorded list page"),
    ("LIST-LIMIT", Exchange, "every recorded list page"),
    (
        "LIST-LIMIT-BOUNDS",
        Request,
        "a list with limit outside 1-100 or not an integer",
    ),
    (
        "LIST-PAGING-COMPLETE",
        ExchangeSet,
        "pages fetched by following next_cursor repeat no item (gaps are not observable: the data set moves)",
    ),
    ("LIST-NEWEST-FIRST", Exchange, "every recorded list page"),
    (
        "LIST-OWNER-FILTER",
        Exchange,
        "a list with owner_type and owner_id: every item matches both",
    ),
    (
        "LIST-OWNER-PAIR",
        Request,
        "a list with owner_type but no owner_id, or an unknown owner_type",
    ),
    ("LIST-WORKSPACE-SCOPE", NotObservable(WORKSPACES), ""),
    ("AUTH-401", NotObservable(CREDENTIALS), ""),
    ("AUTH-403", NotObservable(WORKSPACES), ""),
    ("AUTH-CONTEXT-IMPLIED", NotObservable(WORKSPACES), ""),
    ("AUTH-CONTEXT-FOREIGN", NotObservable(WORKSPACES), ""),
    ("AUTH-CONTEXT-SELECTS", NotObservable(WORKSPACES), ""),
    ("AUTH-FOREIGN-ISOLATION", NotObservable(WORKSPACES), ""),
    ("ERR-ENVELOPE", Exchange, "every recorded 4xx body"),
    (
        "GET-200",
        Exchange,
        "a 2xx get is 200 with the operation named; any get answer is in the endpoint's documented set",
    ),
    (
        "LIST-200",
        Exchange,
        "a 2xx list is 200; an in-bounds list without a cursor is not rejected; any list answer is in the documented set",
    ),
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
