//! The race invariants: ID, title, source clause, level and basis, as a data
//! table. They are also appended to the contract catalogue (one block at the
//! end of `crate::contract::catalogue`, `Check::Case`, no status sets) so
//! fault entries may name them; the test below keeps the two copies equal
//! until the catalogue owns them outright.
//!
//! Status sets are not repeated here: the race model takes them from the
//! catalogue's single-request invariants (`crate::race::model::Spec`).

use crate::contract::{Basis, Level};

/// One race invariant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RaceInvariant {
    /// Stable ID, e.g. `CONC-LOST-UPDATE`.
    pub id: &'static str,
    /// One line: what must hold.
    pub title: &'static str,
    /// Where it comes from: a URL, or an RFC section.
    pub clause: &'static str,
    /// MUST or SHOULD.
    pub level: Level,
    /// Documented, standard or inferred.
    pub basis: Basis,
}

/// Every trial of every scenario is judged by it.
pub const LINEARIZABLE: &str = "CONC-LINEARIZABLE";
/// Concurrent cancels: exactly one transition.
pub const ONE_TRANSITION: &str = "CONC-ONE-TRANSITION";
/// Concurrent requests: no 5xx.
pub const NO_5XX: &str = "CONC-NO-5XX";
/// Concurrent duplicates with one key: one answer, replayed.
pub const KEY_REPLAY_IDENTICAL: &str = "CONC-KEY-REPLAY-IDENTICAL";
/// Cancels with one ETag: at most one wins.
pub const LOST_UPDATE: &str = "CONC-LOST-UPDATE";
/// A cancel racing completion: a legal final state.
pub const COMPLETION_RACE_LEGAL: &str = "CONC-COMPLETION-RACE-LEGAL";
/// `:wait` callers racing a cancel: all wake, alike.
pub const WAITERS_WAKE_ALIKE: &str = "CONC-WAITERS-WAKE-ALIKE";
/// A retry after a lost response: the first answer, one transition.
pub const RETRY_AFTER_LOST_RESPONSE: &str = "RETRY-AFTER-LOST-RESPONSE";
/// The same key on another request: rejected.
pub const RETRY_KEY_MISUSE: &str = "RETRY-KEY-MISUSE";

/// The table, in the order the catalogue lists them.
pub static RACE_INVARIANTS: &[RaceInvariant] = &[
    RaceInvariant {
        id: LINEARIZABLE,
        title: "every race trial has a legal sequential order: each call takes effect at one instant between its request and its response, by the rules of one operation",
        clause: "https://doi.org/10.1145/78969.78972 (Herlihy & Wing, linearizability), applied to the single-request rules of https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation and digest §4.1",
        level: Level::Must,
        basis: Basis::Inferred,
    },
    RaceInvariant {
        id: ONE_TRANSITION,
        title: "cancels of one RUNNING operation released together make exactly one transition to cancelling",
        clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (\"Requests cancellation of an in-flight operation\"; \"it transitions through the normal cancellation flow\"): one flow, however many requests",
        level: Level::Must,
        basis: Basis::Inferred,
    },
    RaceInvariant {
        id: NO_5XX,
        title: "requests released together are never answered with 5xx",
        clause: "https://github.com/akua-dev/cli/blob/f619e8170a40c5e496194bb154578bc88b92621c/openapi/public.json paths./operations/{id}:cancel (202, 401, 403, 404, 422 declared; no 5xx)",
        level: Level::Must,
        basis: Basis::Documented,
    },
    RaceInvariant {
        id: KEY_REPLAY_IDENTICAL,
        title: "cancels released together with one Idempotency-Key: every 2xx is the first answer again (byte for byte in strict mode), the rest are the in-flight conflict",
        clause: "https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/ (\"SHOULD respond with the result of the previously completed operation\"; retried while the original is still being processed: 409); AIP-155 allows the current state, so only strict mode compares bytes",
        level: Level::Must,
        basis: Basis::Standard,
    },
    RaceInvariant {
        id: LOST_UPDATE,
        title: "cancels released together with one If-Match ETag: at most one is accepted, every other one is rejected as stale",
        clause: "RFC 9110 §13.1.1 (If-Match prevents the \"lost update\" problem: a false condition MUST NOT perform the method)",
        level: Level::Must,
        basis: Basis::Standard,
    },
    RaceInvariant {
        id: COMPLETION_RACE_LEGAL,
        title: "a cancel racing the operation's completion leaves a legal final state: CANCELLED after an accepted cancel, or the natural terminal state; never a mix, and done never flips back",
        clause: "https://github.com/googleapis/googleapis/blob/master/google/longrunning/operations.proto (CancelOperation: \"check whether the cancellation succeeded or whether the operation completed despite cancellation\"; done: \"exactly one of error or response is set\"); https://akua-1dce587a.mintlify.app/api-reference/operations/wait-for-an-operation-to-reach-a-terminal-state (\"State for completed operations (done: true) is immutable.\")",
        level: Level::Must,
        basis: Basis::Documented,
    },
    RaceInvariant {
        id: WAITERS_WAKE_ALIKE,
        title: ":wait callers racing a cancel all wake within about 1 s of the terminal transition and all see the same terminal body",
        clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/wait-for-an-operation-to-reach-a-terminal-state (\"the response fires within milliseconds of the workflow reaching its terminal state\"; \"State for completed operations (done: true) is immutable.\")",
        level: Level::Must,
        basis: Basis::Documented,
    },
    RaceInvariant {
        id: RETRY_AFTER_LOST_RESPONSE,
        title: "a cancel retried after its response was lost gets the first answer again (same status; byte for byte in strict mode) and makes no second transition; without a key the retry is still safe",
        clause: "https://akua-1dce587a.mintlify.app/api-reference/operations/request-operation-cancellation (idempotency-key: \"Safe to retry after a timed-out or interrupted request.\"); https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/",
        level: Level::Must,
        basis: Basis::Documented,
    },
    RaceInvariant {
        id: RETRY_KEY_MISUSE,
        title: "a retry with the same Idempotency-Key but another request (another If-Match, another operation) is rejected as key misuse and changes nothing",
        clause: "https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/ (\"reuse an idempotency key with a different request payload\": 422; akua's convention elsewhere: 409)",
        level: Level::Must,
        basis: Basis::Standard,
    },
];

/// The race invariant with this ID.
pub fn find(id: &str) -> Option<&'static RaceInvariant> {
    RACE_INVARIANTS.iter().find(|i| i.id == id)
}

/// Every race invariant ID, in table order.
pub fn ids() -> impl Iterator<Item = &'static str> {
    RACE_INVARIANTS.iter().map(|i| i.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_upper_kebab_and_cite_a_source() {
        let mut seen = std::collections::HashSet::new();
        for inv in RACE_INVARIANTS {
            assert!(seen.insert(inv.id), "duplicate {}", inv.id);
            assert!(
                inv.id.split('-').all(|p| !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())),
                "{}",
                inv.id
            );
            assert!(
                inv.clause.contains("https://") || inv.clause.starts_with("RFC "),
                "{}: {}",
                inv.id,
                inv.clause
            );
            assert!(!inv.title.contains('|') && !inv.clause.contains('|'));
        }
        assert_eq!(RACE_INVARIANTS.len(), 9);
        assert!(find(LOST_UPDATE).is_some() && find("CONC-NOPE").is_none());
    }

    #[test]
    fn the_catalogue_carries_the_same_entries() {
        for inv in RACE_INVARIANTS {
            let c = crate::contract::find(inv.id)
                .unwrap_or_else(|| panic!("{} is not in the catalogue", inv.id));
            assert_eq!(
                (c.title, c.clause, c.level, c.basis),
                (inv.title, inv.clause, inv.level, inv.basis),
                "{}",
                inv.id
            );
            assert!(c.statuses.is_none() && !c.strict_only, "{}", inv.id);
            assert!(
                matches!(c.check, crate::contract::Check::Case),
                "{}",
                inv.id
            );
        }
    }
}
