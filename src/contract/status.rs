//! The status sets of akua-operations.md §4.1: what strict mode demands
//! (akua's docs or its convention) and what lenient mode accepts on top
//! (what the cited standards allow). Case expectations use these through the
//! catalogue's `statuses`.

use super::invariant::StatusSets;

const fn sets(strict: &'static [u16], lenient_extra: &'static [u16]) -> StatusSets {
    StatusSets {
        strict,
        lenient_extra,
    }
}

/// Cancel a RUNNING operation: 202 (Google's CancelOperation answers 200).
pub(crate) const CANCEL_RUNNING: StatusSets = sets(&[202], &[200]);
/// Cancel a terminal operation: 422 (AIP-216 FAILED_PRECONDITION 400; 409).
pub(crate) const CANCEL_TERMINAL: StatusSets = sets(&[422], &[400, 409]);
/// Unknown or foreign-workspace id: 404 (AIP-211 allows 403).
pub(crate) const NOT_FOUND: StatusSets = sets(&[404], &[403]);
/// No, malformed or unknown bearer.
pub(crate) const UNAUTHENTICATED: StatusSets = sets(&[401], &[]);
/// Authenticated but not allowed: 403 (RFC 9110 allows hiding it as 404).
pub(crate) const FORBIDDEN: StatusSets = sets(&[403], &[404]);
/// Stale If-Match on a RUNNING operation: 409 ABORTED (RFC 9110 412).
pub(crate) const IF_MATCH_STALE_RUNNING: StatusSets = sets(&[409], &[412]);
/// Stale If-Match on a terminal operation: 422 takes precedence
/// (RFC 9110 §13.2.1); 409 and 412 are tolerated.
pub(crate) const IF_MATCH_STALE_TERMINAL: StatusSets = sets(&[422], &[409, 412]);
/// Matching If-Match on a RUNNING operation.
pub(crate) const IF_MATCH_CURRENT: StatusSets = sets(&[202], &[200]);
/// A second cancel (no key, so not a replay) while the first is still
/// draining: the operation is still in flight, so akua's 202 applies (digest
/// §3, §6 q.5 "probably 202"); 409 (a conflict with the cancellation already
/// in progress, RFC 9110 §15.5.10 / AIP ABORTED) and 200 are fair readings.
pub(crate) const CANCEL_AGAIN: StatusSets = sets(&[202], &[200, 409]);
/// Replay with the same Idempotency-Key on the same operation.
pub(crate) const REPLAY: StatusSets = sets(&[202], &[200]);
/// The same key on another operation: 409 (akua convention); 422 (IETF draft).
pub(crate) const KEY_MISUSE: StatusSets = sets(&[409], &[422]);
/// Concurrent duplicates with one key: each answer is the accepted 202 or
/// an in-flight 409; 200 tolerated.
pub(crate) const KEY_CONCURRENT: StatusSets = sets(&[202, 409], &[200]);
/// Over-length or empty header (Idempotency-Key, If-Match, akua-context).
pub(crate) const HEADER_BOUNDS: StatusSets = sets(&[400], &[422]);
/// Path id longer than 53 characters: 400; 404 (no such id) and 422 tolerated.
pub(crate) const PATH_ID_BOUNDS: StatusSets = sets(&[400], &[404, 422]);
/// A valid `:wait`, get or list.
pub(crate) const OK: StatusSets = sets(&[200], &[]);
/// `:wait` timeout out of 1-60, or not an integer.
pub(crate) const WAIT_TIMEOUT_BAD: StatusSets = sets(&[400], &[422]);
/// List with a bad `limit` or owner filter.
pub(crate) const LIST_BAD_QUERY: StatusSets = sets(&[400], &[422]);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::invariant::Mode;

    /// Every set with its §4.1 row: (set, strict, lenient additions).
    const TABLE: [(StatusSets, &[u16], &[u16]); 17] = [
        (CANCEL_RUNNING, &[202], &[200]),
        (CANCEL_AGAIN, &[202], &[200, 409]),
        (CANCEL_TERMINAL, &[422], &[400, 409]),
        (NOT_FOUND, &[404], &[403]),
        (UNAUTHENTICATED, &[401], &[]),
        (FORBIDDEN, &[403], &[404]),
        (IF_MATCH_STALE_RUNNING, &[409], &[412]),
        (IF_MATCH_STALE_TERMINAL, &[422], &[409, 412]),
        (IF_MATCH_CURRENT, &[202], &[200]),
        (REPLAY, &[202], &[200]),
        (KEY_MISUSE, &[409], &[422]),
        (KEY_CONCURRENT, &[202, 409], &[200]),
        (HEADER_BOUNDS, &[400], &[422]),
        (PATH_ID_BOUNDS, &[400], &[404, 422]),
        (OK, &[200], &[]),
        (WAIT_TIMEOUT_BAD, &[400], &[422]),
        (LIST_BAD_QUERY, &[400], &[422]),
    ];

    #[test]
    fn strict_takes_only_the_strict_set_and_lenient_adds_the_extras() {
        for (set, strict, extra) in TABLE {
            for status in 100..600u16 {
                let in_strict = strict.contains(&status);
                let in_extra = extra.contains(&status);
                assert_eq!(
                    set.accepts(status, Mode::Strict),
                    in_strict,
                    "{set:?} {status}"
                );
                assert_eq!(
                    set.accepts(status, Mode::Lenient),
                    in_strict || in_extra,
                    "{set:?} {status}"
                );
            }
        }
    }

    #[test]
    fn cancel_terminal_example() {
        assert!(CANCEL_TERMINAL.accepts(422, Mode::Strict));
        assert!(!CANCEL_TERMINAL.accepts(409, Mode::Strict));
        assert!(CANCEL_TERMINAL.accepts(409, Mode::Lenient));
        assert!(!CANCEL_TERMINAL.accepts(500, Mode::Lenient));
        assert_eq!(CANCEL_TERMINAL.accepted(Mode::Lenient), vec![400, 409, 422]);
    }
}
