//! The one place that lists every fault: its name, what the bug does, and
//! the invariants (IDs from `crate::contract::catalogue`) a plain fixed case
//! must catch it with. Each fault is a realistic bug an implementer could
//! ship; the reference switches it on with a small `if app.has(Fault::X)`
//! branch where that bug would live.

use super::world::{Dialect, Tempo};
use crate::contract::id;

/// One catalogued fault: a realistic implementer bug the reference can
/// switch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultInfo {
    /// Stable name, e.g. `done-lags-state`.
    pub name: &'static str,
    /// One line: what the bug does.
    pub summary: &'static str,
    /// Invariant IDs the bug breaks (at least one must catch it).
    pub breaks: &'static [&'static str],
    /// True when only generated inputs (fuzz) can be expected to find it.
    pub generated_only: bool,
}

macro_rules! fault_catalogue {
    ($( $variant:ident = $name:literal, $summary:literal, [$($inv:expr),+ $(,)?], $gen:literal; )+) => {
        /// Every fault, as a value the reference branches on.
        // The summaries are plain text (`op_<id>` is not an HTML tag).
        #[allow(rustdoc::invalid_html_tags)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Fault {
            $(
                #[doc = $summary]
                $variant,
            )+
        }

        static FAULTS: &[FaultInfo] = &[
            $( FaultInfo { name: $name, summary: $summary, breaks: &[$($inv),+], generated_only: $gen }, )+
        ];

        static ALL: &[Fault] = &[ $( Fault::$variant, )+ ];
    };
}

fault_catalogue! {
    // --- envelope fields and cross-field rules -------------------------------
    DoneLagsState = "done-lags-state",
        "done stays false after the state turns terminal (flag updated by a later job)",
        [id::OP_DONE_TERMINAL], false;
    Cancel200Settled = "cancel-200-settled",
        "cancel sets CANCELLED at once without error.message, skipping the drain",
        [id::OP_ERROR_ON_FAIL], false;
    ErrorSetWhileCancelling = "error-set-while-cancelling",
        "an accepted cancel writes error.message while the operation is still RUNNING",
        [id::OP_ERROR_NULL_OTHERWISE], false;
    CompletedAtMissing = "completed-at-missing",
        "terminal operations keep completed_at null",
        [id::OP_COMPLETED_AT], false;
    ResponseOnFailure = "response-on-failure",
        "FAILED operations also carry the typed response of the last step",
        [id::OP_RESPONSE_ONLY_SUCCESS], false;
    TimestampsMillis = "timestamps-millis",
        "timestamps are Unix milliseconds instead of seconds",
        [id::OP_TS_SECONDS], false;
    LastErrorSticky = "last-error-sticky",
        "last_error is never cleared after the failed step succeeds on retry",
        [id::OP_LAST_ERROR_CLEARED], false;
    HtmlUrlRelative = "html-url-relative",
        "html_url is a relative dashboard path, not an absolute URI",
        [id::OP_HTMLURL], false;
    ParentIdOmitted = "parent-id-omitted",
        "a null parent_operation_id is left out instead of sent as null",
        [id::OP_SCHEMA_REQUIRED], false;
    StateLowercase = "state-lowercase",
        "state is sent in lower case (running, cancelled, ...)",
        [id::OP_STATE_ENUM], false;
    StepsMissingOnGet = "steps-missing-on-get",
        "GET /operations/{id} leaves out steps",
        [id::OP_STEPS_ON_GET], false;
    EtagMissing = "etag-missing",
        "Operation responses carry no ETag header",
        [id::OP_ETAG_HEADER], false;
    ChangesAfterDone = "changes-after-done",
        "a finaliser job rewrites completed_at (a second later) ~400 ms after the operation became done",
        [id::OP_IMMUTABLE_DONE, id::HIST_COMPLETED_AT_ONCE], false;
    EtagFrozen = "etag-frozen",
        "the ETag is computed once at creation and never changes while the operation does",
        [id::ETAG_CHANGES], false;
    // --- auth and workspace isolation -----------------------------------------
    AuthOptionalOnWait = "auth-optional-on-wait",
        ":wait answers without an Authorization header",
        [id::AUTH_401], false;
    AuthAnyScheme = "auth-any-scheme",
        "the auth scheme is not checked: `Token sk_...` or a bare token is accepted",
        [id::AUTH_401], false;
    ForeignOpVisible = "foreign-op-visible",
        "GET returns an operation of another workspace",
        [id::AUTH_FOREIGN_ISOLATION], false;
    ForeignCancelApplied = "foreign-cancel-applied",
        "cancel of another workspace's operation answers 404 but cancels it anyway",
        [id::AUTH_FOREIGN_ISOLATION], false;
    ContextIgnored = "context-ignored",
        "akua-context is never checked: no 403 for a foreign workspace, and a broad token acts in any workspace it names",
        [id::AUTH_CONTEXT_FOREIGN], false;
    // --- length bounds ---------------------------------------------------------
    IdLenUnchecked = "id-len-unchecked",
        "a path id over 53 characters is looked up (404) instead of rejected (400)",
        [id::REQ_ID_BOUNDS], false;
    ContextLenUnchecked = "context-len-unchecked",
        "akua-context over 53 characters is not rejected with 400",
        [id::REQ_CONTEXT_BOUNDS], false;
    KeyLenOffByOne = "key-len-off-by-one",
        "an Idempotency-Key of 65 characters is accepted (check is > 65)",
        [id::CANCEL_KEY_BOUNDS], false;
    KeyEmptyAccepted = "key-empty-accepted",
        "an empty Idempotency-Key is treated as absent instead of rejected",
        [id::CANCEL_KEY_BOUNDS], false;
    IfMatchLenUnchecked = "ifmatch-len-unchecked",
        "an If-Match over 64 characters is compared (409) instead of rejected (400)",
        [id::CANCEL_IFMATCH_BOUNDS], false;
    // --- idempotency -------------------------------------------------------------
    ReplayNewBody = "replay-new-body",
        "a replay re-renders the current operation instead of the first response",
        [id::CANCEL_REPLAY_IDENTICAL], false;
    Replay422AfterDone = "replay-422-after-done",
        "the terminal check runs before the key lookup: a replay after settling gets 422",
        [id::CANCEL_REPLAY_IDEMPOTENT], false;
    KeyReusedAcrossOps = "key-reused-across-ops",
        "a key used on another operation replays that operation's response (no 409)",
        [id::CANCEL_KEY_MISUSE], false;
    KeyRecordedAfterWrite = "key-recorded-after-write",
        "the key is recorded only after the cancel write (~25 ms), so concurrent duplicates each cancel",
        [id::CANCEL_KEY_CONCURRENT], false;
    // --- If-Match ---------------------------------------------------------------
    IfMatchIgnored = "ifmatch-ignored",
        "If-Match is not compared: a stale tag still cancels",
        [id::CANCEL_IFMATCH_STALE], false;
    IfMatchBeforeTerminal = "ifmatch-before-terminal",
        "a stale If-Match on a done operation answers 409 instead of 422",
        [id::CANCEL_IFMATCH_PRECEDENCE], false;
    IfMatchUnquotedCompare = "ifmatch-unquoted-compare",
        "If-Match is compared verbatim with the tag stored without quotes: the ETag echoed as served is always stale",
        [id::CANCEL_IFMATCH_CURRENT], false;
    // --- terminal-state handling ---------------------------------------------------
    CancelTerminal200 = "cancel-terminal-200",
        "cancel of a done operation answers 200 with the operation instead of 422",
        [id::CANCEL_TERMINAL_422], false;
    CancelTerminalMutates = "cancel-terminal-mutates",
        "cancel of a done operation answers 422 but rewrites it to CANCELLED",
        [id::CANCEL_NO_SIDE_EFFECT_ON_DONE, id::OP_IMMUTABLE_DONE, id::HIST_COMPLETED_AT_ONCE, id::ETAG_STABLE, id::ETAG_CHANGES], false;
    CancelNeverSettles = "cancel-never-settles",
        "an accepted cancel is never acted on: the operation stays RUNNING",
        [id::CANCEL_SETTLES], false;
    Recancel409 = "recancel-409",
        "a second cancel while the first is draining answers 409 instead of 202",
        [id::CANCEL_AGAIN_ACCEPTED], false;
    // --- ids -----------------------------------------------------------------------
    BareIdEcho = "bare-id-echo",
        "the response id echoes the bare id of the request instead of op_<id>",
        [id::OP_ID_CANONICAL], false;
    BareId404 = "bare-id-404",
        "bare ids are not accepted (404)",
        [id::OP_ID_BARE_ALIAS], false;
    ColonEncoded404 = "colon-encoded-404",
        "%3Acancel and %3Await are not decoded before routing (404)",
        [id::PATH_COLON_ENCODING], false;
    // --- :wait -------------------------------------------------------------------------
    WaitIgnoresTimeout = "wait-ignores-timeout",
        ":wait returns at once while the operation is still RUNNING",
        [id::WAIT_HOLDS], false;
    WaitNoWake = "wait-no-wake",
        ":wait polls only at the timeout: it does not wake on the terminal transition",
        [id::WAIT_WAKES], false;
    WaitTimeoutClamped = "wait-timeout-clamped",
        ":wait clamps timeout 0 and 61 into 1..60 instead of rejecting them",
        [id::WAIT_TIMEOUT_REJECT], false;
    WaitAnswersLate = "wait-answers-late",
        "every :wait answer leaves through a flush queue 3 s after it should have been sent",
        [id::WAIT_HOLDS, id::WAIT_IMMEDIATE_IF_DONE, id::WAIT_WAKES], false;
    // --- list paging ---------------------------------------------------------------------
    ListDropsPageBoundary = "list-drops-page-boundary",
        "next_cursor points past the first item of the next page, which is never listed",
        [id::LIST_PAGING_COMPLETE], false;
    ListOldestFirst = "list-oldest-first",
        "each page is sorted oldest first",
        [id::LIST_NEWEST_FIRST], false;
    ListIncludesSteps = "list-includes-steps",
        "list items carry their steps",
        [id::OP_STEPS_OFF_LIST], false;
    ListCursorOnLastPage = "list-cursor-on-last-page",
        "the last page still carries a next_cursor while has_more is false",
        [id::LIST_CURSOR_END], false;
    ListLimitIgnored = "list-limit-ignored",
        "limit is ignored: pages always hold up to 50 items",
        [id::LIST_LIMIT], false;
    ListLimitZeroAccepted = "list-limit-zero-accepted",
        "limit=0 answers 200 with an empty page instead of 400",
        [id::LIST_LIMIT_BOUNDS], false;
    ListOwnerTypeAlone = "list-owner-type-alone",
        "owner_type without owner_id is accepted and ignored",
        [id::LIST_OWNER_PAIR], false;
    ListCrossWorkspace = "list-cross-workspace",
        "the list includes operations of every workspace",
        [id::LIST_WORKSPACE_SCOPE], false;
    // --- content types and error envelopes --------------------------------------------
    ErrorEnvelopeHtml = "error-envelope-html",
        "404s come from the framework's HTML error page",
        [id::ERR_ENVELOPE, id::HTTP_JSON_CONTENT_TYPE], false;
    ErrorTextPlain = "error-text-plain",
        "validation errors (400; 422 in the alternate dialect) are plain-text validator messages",
        [id::ERR_ENVELOPE, id::HTTP_JSON_CONTENT_TYPE], false;
    ErrorCodeString = "error-code-string",
        "error entries carry string codes (\"not_found\") instead of integers",
        [id::ERR_ENVELOPE], false;
    JsonContentTypeMissing = "json-content-type-missing",
        "Operation bodies are sent as text/plain",
        [id::HTTP_JSON_CONTENT_TYPE], false;
    // --- narrow input bands: only generated inputs find these --------------------------
    IdDash500 = "id-dash-500",
        "an unknown id containing '-' crashes the lookup (500) instead of 404",
        [id::CANCEL_NOT_FOUND, id::WAIT_404], true;
    KeyLen49To63Rejected = "key-len-49-63-rejected",
        "Idempotency-Keys of 49-63 characters are rejected (stale 48-char limit; only 64 was patched), before the id is looked up",
        [id::CANCEL_202_ENVELOPE, id::CANCEL_NOT_FOUND], true;
    IfMatchListFirstOnly = "ifmatch-list-first-only",
        "an If-Match list is compared by its first tag only",
        [id::CANCEL_IFMATCH_CURRENT], true;
    // --- races: only overlapping or interrupted requests reach these -------------------
    // Sequential clients never see them, so no fixed case can (they are
    // marked generated-only); the race scenarios (`crate::race`) find them.
    IfMatchCheckThenAct = "ifmatch-check-then-act",
        "If-Match is compared on a read taken ~5 ms before the cancel is written, outside the operation's lock: concurrent cancels with one ETag all win",
        [id::CONC_LOST_UPDATE, id::CONC_LINEARIZABLE], true;
    KeyStoredAfterResponse = "key-stored-after-response",
        "a key's answer is stored by a hook ~50 ms after the response is written, never if the client went away first: a retry after a lost response is processed afresh (422 once done)",
        [id::RETRY_AFTER_LOST_RESPONSE, id::CONC_LINEARIZABLE], true;
    DoubleTransitionOnConcurrentCancels = "double-transition-on-concurrent-cancels",
        "cancel reads \"not cancelling yet\" ~5 ms before it writes its cancel step, outside the lock: concurrent cancels with different keys each make a transition",
        [id::CONC_ONE_TRANSITION, id::CONC_LINEARIZABLE], true;
    WaitMissesWakeups = "wait-misses-wakeups",
        ":wait reads the operation ~5 ms before it subscribes to its changes: a cancel in between is missed until the timeout",
        [id::CONC_WAITERS_WAKE_ALIKE], true;
}

impl Fault {
    /// Why the fault changes nothing in a world of the reference (so no
    /// suite can see it there), or `None` when it acts there.
    pub fn absent_in(self, dialect: Dialect, tempo: Tempo) -> Option<&'static str> {
        use Fault as F;
        match (self, dialect, tempo) {
            (
                F::ListDropsPageBoundary
                | F::ListOldestFirst
                | F::ListIncludesSteps
                | F::ListCursorOnLastPage
                | F::ListLimitIgnored
                | F::ListLimitZeroAccepted
                | F::ListOwnerTypeAlone
                | F::ListCrossWorkspace,
                Dialect::Alternate,
                _,
            ) => Some("the alternate dialect has no list endpoint"),
            (F::ColonEncoded404, Dialect::Alternate, _) => {
                Some("the alternate dialect routes only a literal `:` by design")
            }
            (F::LastErrorSticky, Dialect::Alternate, Tempo::Frozen) => {
                Some("no step ever fails there: no `retrying` fixture, nothing moves")
            }
            _ => None,
        }
    }

    /// Why what the fault does in a world, though visible, breaks no rule
    /// there (so no conformance run may fail it), or `None`.
    pub fn within_contract_in(self, _dialect: Dialect, tempo: Tempo) -> Option<&'static str> {
        match (self, tempo) {
            (Fault::CancelNeverSettles, Tempo::Live) => Some(
                "operations finish by themselves within ~2 s, well inside the settle deadline, \
                 and SUCCEEDED after an accepted cancel is within the contract",
            ),
            _ => None,
        }
    }

    /// Why the lenient reading accepts what the fault does (so only a
    /// strict run can see it), or `None` when lenient mode sees it too.
    pub fn lenient_accepts(self) -> Option<&'static str> {
        use Fault as F;
        match self {
            F::EtagMissing => {
                Some("an ETag header is akua's convention (OP-ETAG-HEADER is strict-only)")
            }
            F::ReplayNewBody => Some("AIP-155 allows a replay to return the current state"),
            F::ColonEncoded404 => Some("RFC 3986 does not make %3A and `:` equivalent"),
            F::Recancel409 => {
                Some("409 is a fair answer to a second cancel while the first drains")
            }
            F::IfMatchBeforeTerminal => {
                Some("409 and 412 are tolerated for a stale If-Match on a done operation")
            }
            F::IdLenUnchecked => Some("404 is tolerated for an over-length id (no such operation)"),
            _ => None,
        }
    }

    /// The catalogue entry of this fault.
    pub fn info(self) -> &'static FaultInfo {
        &FAULTS[self as usize]
    }

    /// The fault with this catalogue entry.
    pub fn from_info(info: &FaultInfo) -> Option<Fault> {
        Fault::from_name(info.name)
    }

    /// The fault with this name.
    pub fn from_name(name: &str) -> Option<Fault> {
        FAULTS
            .iter()
            .position(|f| f.name == name)
            .and_then(|i| ALL.get(i).copied())
    }

    /// Every fault, in catalogue order.
    pub fn all() -> &'static [Fault] {
        ALL
    }
}

/// Every catalogued fault.
pub fn faults() -> &'static [FaultInfo] {
    FAULTS
}

/// The fault with this name.
pub fn fault(name: &str) -> Option<&'static FaultInfo> {
    FAULTS.iter().find(|f| f.name == name)
}

/// The catalogued fault name closest to `name`, for a did-you-mean (the
/// crate-wide policy of `crate::suggest::did_you_mean`).
pub fn closest_fault(name: &str) -> Option<&'static str> {
    crate::suggest::did_you_mean(name, FAULTS.iter().map(|f| f.name))
}

/// A `--fault` name that is not in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault `{name}`{hint} (`opconform serve --list-faults` lists them)", hint = .suggestion.map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
pub struct UnknownFault {
    /// The name as given.
    pub name: String,
    /// The closest catalogued name, when one is close.
    pub suggestion: Option<&'static str>,
}

/// Looks up every name (as given to `--fault`, in order); the first unknown
/// one is an error with a did-you-mean. The one lookup every subcommand uses.
pub fn faults_named<S: AsRef<str>>(names: &[S]) -> Result<Vec<&'static FaultInfo>, UnknownFault> {
    names
        .iter()
        .map(|name| {
            let name = name.as_ref();
            fault(name).ok_or_else(|| UnknownFault {
                name: name.to_string(),
                suggestion: closest_fault(name),
            })
        })
        .collect()
}

/// The set of faults switched on, as a bitset (checked on every request).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FaultSet(u128);

impl FaultSet {
    /// The set of these catalogue entries (names not in the catalogue are
    /// ignored).
    pub(crate) fn from_infos(infos: &[&FaultInfo]) -> FaultSet {
        let mut bits = 0u128;
        for info in infos {
            if let Some(f) = Fault::from_info(info) {
                bits |= 1 << (f as u32);
            }
        }
        FaultSet(bits)
    }

    /// True when `fault` is switched on.
    pub(crate) fn has(self, fault: Fault) -> bool {
        self.0 & (1 << (fault as u32)) != 0
    }

    /// True when any of `faults` is switched on.
    pub(crate) fn any(self, faults: &[Fault]) -> bool {
        faults.iter().any(|f| self.has(*f))
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn faults_named_keeps_order_and_names_the_first_unknown_one() {
        let found = faults_named(&["wait-no-wake", "done-lags-state"]).expect("both exist");
        assert_eq!(
            found.iter().map(|f| f.name).collect::<Vec<_>>(),
            ["wait-no-wake", "done-lags-state"]
        );
        let err = faults_named(&["wait-no-wake", "done-lags-stat", "nonsense"]).unwrap_err();
        assert_eq!(err.name, "done-lags-stat");
        assert_eq!(err.suggestion, Some("done-lags-state"));
        assert_eq!(
            err.to_string(),
            "unknown fault `done-lags-stat`; did you mean `done-lags-state`? \
             (`opconform serve --list-faults` lists them)"
        );
        let none = faults_named(&["zzzzzzzzzzzz"]).unwrap_err();
        assert_eq!(none.suggestion, None);
        assert!(faults_named::<&str>(&[]).expect("empty is fine").is_empty());
    }
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn catalogue_is_large_unique_and_names_real_invariants() {
        assert!(FAULTS.len() >= 25, "only {} faults", FAULTS.len());
        assert!(FAULTS.len() <= 128, "FaultSet holds 128 faults");
        assert_eq!(FAULTS.len(), ALL.len());
        let ids: HashSet<&str> = crate::contract::ids().into_iter().collect();
        let mut names = HashSet::new();
        for f in FAULTS {
            assert!(names.insert(f.name), "duplicate fault {}", f.name);
            assert!(
                f.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{} is not kebab-case",
                f.name
            );
            assert!(!f.breaks.is_empty(), "{} breaks nothing", f.name);
            for inv in f.breaks {
                assert!(
                    ids.contains(inv),
                    "{} names unknown invariant {inv}",
                    f.name
                );
            }
        }
        assert!(FAULTS.iter().filter(|f| f.generated_only).count() >= 3);
        for race in [
            Fault::IfMatchCheckThenAct,
            Fault::KeyStoredAfterResponse,
            Fault::DoubleTransitionOnConcurrentCancels,
            Fault::WaitMissesWakeups,
        ] {
            // No sequential client reaches them: no fixed case may be
            // expected to.
            assert!(race.info().generated_only, "{}", race.info().name);
        }
    }

    #[test]
    fn enum_and_table_agree() {
        for (i, f) in ALL.iter().enumerate() {
            assert_eq!(*f as usize, i);
            assert_eq!(Fault::from_name(f.info().name), Some(*f));
        }
    }

    #[test]
    fn fault_set_holds_exactly_the_chosen_faults() {
        let set = FaultSet::from_infos(&[Fault::WaitNoWake.info(), Fault::IdDash500.info()]);
        assert!(set.has(Fault::WaitNoWake));
        assert!(set.has(Fault::IdDash500));
        assert!(!set.has(Fault::DoneLagsState));
        assert!(set.any(&[Fault::DoneLagsState, Fault::WaitNoWake]));
        assert!(!FaultSet::default().has(Fault::WaitNoWake));
    }

    #[test]
    fn did_you_mean_finds_near_names_only() {
        assert_eq!(closest_fault("wait-no-wak"), Some("wait-no-wake"));
        assert_eq!(closest_fault("done-lag-state"), Some("done-lags-state"));
        assert_eq!(closest_fault("zzzzzzzzzzzzzzzzzzzzzzzzzz"), None);
    }
}
