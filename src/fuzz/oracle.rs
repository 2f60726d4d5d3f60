//! The oracle: from a generated request and what the run knows about its
//! fixtures, the statuses the contract accepts (akua-operations.md §4.1, via
//! the catalogue's status sets) and whether the input is in bounds.
//!
//! Precedence follows the reference and RFC 9110 §13.2.1: a bad credential
//! (401) or an out-of-bounds input (400 family) comes first; where the order
//! is not documented, the sets are united rather than guessed.

use crate::contract::id;
use crate::contract::{Mode, StatusSets, find};

use super::input::{AuthSpec, ContextSpec, FuzzRequest, IdSpec, IfMatchSpec, Slot, Verb};

/// Longest path id (S-OAS: 1–53).
pub const ID_MAX: usize = crate::contract::ID_MAX_CHARS;
/// Longest `akua-context` (1–53).
pub const CONTEXT_MAX: usize = 53;
/// Longest `idempotency-key` and `if-match` (1–64).
pub const TOKEN_MAX: usize = 64;

/// Whether the input is within the contract's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputClass {
    /// Every part is in bounds: a 400/422 rejection is a failure.
    Valid,
    /// Some part is out of bounds: a 2xx is a failure.
    Invalid,
    /// The contract does not say (non-ASCII header values, duplicates, odd
    /// encodings): only the status set applies.
    Ambiguous,
    /// The HTTP client refuses to send it (control characters): skipped.
    Unsendable,
}

/// What the contract accepts for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// Accepted statuses in the run's mode, sorted.
    pub accepted: Vec<u16>,
    /// Accepted in strict mode (for emitted case files).
    pub strict: Vec<u16>,
    /// Accepted in lenient mode on top of `strict`.
    pub lenient_extra: Vec<u16>,
    /// The invariant whose status set decides.
    pub invariant: &'static str,
    /// In bounds or not.
    pub class: InputClass,
}

impl Expectation {
    /// True when `status` is accepted.
    pub fn accepts(&self, status: u16) -> bool {
        self.accepted.contains(&status)
    }
}

/// What the oracle knows beyond the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OracleEnv {
    /// Lenient or strict.
    pub mode: Mode,
    /// The fixture's current entity-tag is known (the target sends ETag).
    pub etag_known: bool,
    /// The idempotency key was sent before in this run (replay or misuse
    /// possible).
    pub key_seen: bool,
}

/// How a header value arrives: hyper strips surrounding spaces and tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderShape {
    /// Visible ASCII of this many characters after trimming.
    Len(usize),
    /// Contains non-ASCII bytes.
    NonAscii,
    /// Contains control characters the client refuses to send.
    Unsendable,
}

/// The shape of a header value as the server sees it.
pub fn header_shape(value: &str) -> HeaderShape {
    if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return HeaderShape::Unsendable;
    }
    let trimmed = value.trim_matches([' ', '\t']);
    if !trimmed.is_ascii() {
        return HeaderShape::NonAscii;
    }
    HeaderShape::Len(trimmed.chars().count())
}

/// Statuses being united, strict and lenient separately (the oracle's
/// expectations and the stateful model's predictions).
#[derive(Debug, Default)]
pub(super) struct Union {
    strict: Vec<u16>,
    lenient: Vec<u16>,
    invariant: Option<&'static str>,
}

impl Union {
    pub(super) fn add(&mut self, invariant: &'static str) {
        let sets = statuses(invariant);
        self.strict.extend_from_slice(sets.strict);
        self.lenient.extend_from_slice(sets.lenient_extra);
        self.invariant.get_or_insert(invariant);
    }

    /// Attributes the union to `invariant`, whatever was added before.
    pub(super) fn attribute_to(&mut self, invariant: &'static str) {
        self.invariant = Some(invariant);
    }

    pub(super) fn add_codes(&mut self, strict: &[u16]) {
        self.strict.extend_from_slice(strict);
    }

    fn is_empty(&self) -> bool {
        self.strict.is_empty() && self.lenient.is_empty()
    }

    /// The strict set, the lenient extras (not already strict), both sorted
    /// without repeats, and the first invariant added (else `fallback`).
    pub(super) fn split(self, fallback: &'static str) -> (Vec<u16>, Vec<u16>, &'static str) {
        let mut strict = self.strict;
        strict.sort_unstable();
        strict.dedup();
        let mut extra: Vec<u16> = self
            .lenient
            .into_iter()
            .filter(|s| !strict.contains(s))
            .collect();
        extra.sort_unstable();
        extra.dedup();
        (strict, extra, self.invariant.unwrap_or(fallback))
    }

    fn finish(self, class: InputClass, mode: Mode, fallback: &'static str) -> Expectation {
        let (strict, extra, invariant) = self.split(fallback);
        let mut accepted = strict.clone();
        if mode == Mode::Lenient {
            accepted.extend_from_slice(&extra);
            accepted.sort_unstable();
        }
        Expectation {
            accepted,
            strict,
            lenient_extra: extra,
            invariant,
            class,
        }
    }
}

/// The catalogue's status sets of `id` (every ID used here has them).
fn statuses(id: &'static str) -> StatusSets {
    find(id).and_then(|inv| inv.statuses).unwrap_or(StatusSets {
        strict: &[],
        lenient_extra: &[],
    })
}

/// Invariant ID used for requests on a method the endpoint does not route.
pub const METHOD_INVARIANT: &str = "FUZZ-METHOD";

/// A non-negative decimal integer, digits only (`1.5`, `-1`, `+5` fail).
fn parse_uint(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// The decoded path id and whether its encoding is odd.
pub fn decoded_id(id: &IdSpec) -> Option<(String, bool)> {
    match id {
        IdSpec::Fixture { .. } => None,
        IdSpec::Literal(s) => Some((s.clone(), false)),
        IdSpec::RawSegment(raw) => {
            let bytes: Vec<u8> = percent_encoding::percent_decode_str(raw).collect();
            Some((String::from_utf8_lossy(&bytes).into_owned(), true))
        }
    }
}

/// Length of an id the fuzzer's fixtures have, as far as the oracle knows
/// (`op_` and 16 hex digits; real servers' ids are as short or a little
/// longer, well within the bound).
const FIXTURE_ID_LEN: usize = 19;

/// Statuses a server that does not decode `%3A` before routing answers a
/// verb path with (PATH-COLON-ENCODING is strict-only): it sees the unknown
/// resource `{id}:cancel`, so 404, or 405 for a POST on an operation.
pub const UNDECODED_VERB: &[u16] = &[404, 405];

/// The accepted statuses for `req`.
pub fn expect(req: &FuzzRequest, env: &OracleEnv) -> Expectation {
    let mut exp = expect_routed(req, env);
    if req.colon_encoded
        && matches!(req.verb, Verb::Cancel | Verb::Wait)
        && exp.class != InputClass::Unsendable
    {
        // Undecoded, `{id}%3A{verb}` is one id, with any method: a POST
        // meets 404/405, a GET is a read of that unknown id, which counts
        // its length as sent and reads akua-context.
        let mut undecoded = UNDECODED_VERB.to_vec();
        if req.method == super::input::Method::Get {
            let verb_len = match req.verb {
                Verb::Cancel => "%3Acancel".len(),
                _ => "%3Await".len(),
            };
            let id_len = decoded_id(&req.id).map_or(FIXTURE_ID_LEN, |(id, _)| id.chars().count());
            let mut read = req.clone();
            read.verb = Verb::Get;
            read.colon_encoded = false;
            read.id = IdSpec::Literal("o".repeat(id_len + verb_len));
            let lenient = OracleEnv {
                mode: Mode::Lenient,
                ..*env
            };
            undecoded.extend(expect_routed(&read, &lenient).accepted);
        }
        for s in &undecoded {
            if !exp.strict.contains(s) && !exp.lenient_extra.contains(s) {
                exp.lenient_extra.push(*s);
            }
        }
        exp.lenient_extra.sort_unstable();
        if env.mode == Mode::Lenient {
            exp.accepted = exp
                .strict
                .iter()
                .chain(&exp.lenient_extra)
                .copied()
                .collect();
            exp.accepted.sort_unstable();
            exp.accepted.dedup();
        }
    }
    exp
}

/// [`expect`] for a server that routes `%3A` like `:`.
fn expect_routed(req: &FuzzRequest, env: &OracleEnv) -> Expectation {
    let mode = env.mode;
    let mut ambiguous = false;
    let mut unsendable = false;
    let mut bounds = Union::default();
    let mut extra = Union::default();

    if req.method != req.verb.method() {
        let mut u = Union::default();
        u.add_codes(&[401, 404, 405]);
        u.invariant = Some(METHOD_INVARIANT);
        return u.finish(InputClass::Invalid, mode, METHOD_INVARIANT);
    }

    // The path id.
    let mut id_has_colon = false;
    if req.verb != Verb::List
        && let Some((id, odd)) = decoded_id(&req.id)
    {
        let len = id.chars().count();
        id_has_colon = id.contains(':');
        if id_has_colon && req.verb == Verb::Get {
            // `GET /operations/x:y` names a custom method (AIP-136): it may
            // be routed (404/405) before authentication.
            ambiguous = true;
            extra.add_codes(&[404, 405]);
        }
        if odd {
            ambiguous = true;
            extra.add(id::REQ_ID_BOUNDS);
            extra.add(id::CANCEL_NOT_FOUND);
        } else if len == 0 || len > ID_MAX {
            bounds.add(id::REQ_ID_BOUNDS);
            if len == 0 && req.verb == Verb::Get {
                // `GET /operations/` is the collection with a trailing slash.
                bounds.add_codes(&[404]);
            }
        }
    }

    // Headers.
    let mut foreign_context = false;
    match &req.context {
        None | Some(ContextSpec::Workspace) => {}
        Some(ContextSpec::Literal(v)) => match header_shape(v) {
            HeaderShape::Unsendable => unsendable = true,
            HeaderShape::NonAscii => {
                ambiguous = true;
                extra.add(id::REQ_CONTEXT_BOUNDS);
                extra.add(id::AUTH_CONTEXT_FOREIGN);
            }
            HeaderShape::Len(n) if n == 0 || n > CONTEXT_MAX => bounds.add(id::REQ_CONTEXT_BOUNDS),
            HeaderShape::Len(_) => foreign_context = true,
        },
    }
    if req.verb == Verb::Cancel {
        if let Some(key) = &req.idempotency_key {
            match header_shape(key) {
                HeaderShape::Unsendable => unsendable = true,
                HeaderShape::NonAscii => {
                    ambiguous = true;
                    extra.add(id::CANCEL_KEY_BOUNDS);
                }
                HeaderShape::Len(n) if n == 0 || n > TOKEN_MAX => bounds.add(id::CANCEL_KEY_BOUNDS),
                HeaderShape::Len(_) => {}
            }
        }
        if let Some(IfMatchSpec::Literal(v)) = &req.if_match {
            match header_shape(v) {
                HeaderShape::Unsendable => unsendable = true,
                HeaderShape::NonAscii => {
                    ambiguous = true;
                    extra.add(id::CANCEL_IFMATCH_BOUNDS);
                }
                HeaderShape::Len(n) if n == 0 || n > TOKEN_MAX => {
                    bounds.add(id::CANCEL_IFMATCH_BOUNDS)
                }
                HeaderShape::Len(_) => {}
            }
        }
    }
    if req.duplicate.is_some() {
        // Two values of one header: the contract is silent (a list for
        // If-Match, an error or the first value elsewhere).
        ambiguous = true;
        extra.add(id::CANCEL_KEY_BOUNDS);
        extra.add(id::CANCEL_IFMATCH_STALE);
        extra.add(id::AUTH_CONTEXT_FOREIGN);
    }

    // Query parameters.
    match req.verb {
        Verb::Wait => {
            if let Some(t) = req.query_param("timeout")
                && !parse_uint(t).is_some_and(|n| (1..=60).contains(&n))
            {
                bounds.add(id::WAIT_TIMEOUT_REJECT);
            }
        }
        Verb::List => {
            if let Some(l) = req.query_param("limit") {
                match parse_uint(l) {
                    Some(n) if (1..=100).contains(&n) => {}
                    Some(n) if n > 100 => {
                        // AIP-158: above the maximum "should coerce down".
                        bounds.add(id::LIST_LIMIT_BOUNDS);
                        bounds.lenient.push(200);
                    }
                    _ => bounds.add(id::LIST_LIMIT_BOUNDS),
                }
            }
            match (req.query_param("owner_type"), req.query_param("owner_id")) {
                (Some(t), _) if !crate::contract::OWNERS.iter().any(|(name, _)| *name == t) => {
                    bounds.add(id::LIST_OWNER_PAIR)
                }
                (Some(_), None) => bounds.add(id::LIST_OWNER_PAIR),
                (None, Some(_)) => {
                    // "Ignored otherwise" (prose) vs requires-together.
                    ambiguous = true;
                    extra.add(id::LIST_OWNER_PAIR);
                }
                _ => {}
            }
        }
        Verb::Cancel | Verb::Get => {}
    }

    if unsendable {
        return Union::default().finish(InputClass::Unsendable, mode, id::AUTH_401);
    }
    if req.auth != AuthSpec::Token {
        let mut u = Union::default();
        u.add(id::AUTH_401);
        u.strict.extend_from_slice(&bounds.strict);
        u.lenient.extend_from_slice(&bounds.lenient);
        if ambiguous {
            // An odd path may be refused before authentication.
            u.strict.extend_from_slice(&extra.strict);
            u.lenient.extend_from_slice(&extra.lenient);
        }
        return u.finish(InputClass::Invalid, mode, id::AUTH_401);
    }
    if !bounds.is_empty() {
        if foreign_context {
            bounds.add(id::AUTH_CONTEXT_FOREIGN);
        }
        if ambiguous {
            bounds.strict.extend_from_slice(&extra.strict);
            bounds.lenient.extend_from_slice(&extra.lenient);
        }
        return bounds.finish(InputClass::Invalid, mode, id::REQ_ID_BOUNDS);
    }

    let mut u = Union::default();
    if foreign_context {
        u.add(id::AUTH_CONTEXT_FOREIGN);
    }
    // akua-context is not declared on :wait and list: ignoring it is fine.
    // Elsewhere a workspace-owned token implies its workspace ("only needed
    // for broad tokens"): in lenient mode ignoring the header is a fair
    // reading, as the bundled auth cases accept; strict wants akua's 403.
    if !foreign_context || matches!(req.verb, Verb::Wait | Verb::List) || mode == Mode::Lenient {
        normal(req, env, &mut u, id_has_colon);
    }
    if ambiguous {
        u.strict.extend_from_slice(&extra.strict);
        u.lenient.extend_from_slice(&extra.lenient);
    }
    let class = if ambiguous {
        InputClass::Ambiguous
    } else {
        InputClass::Valid
    };
    u.finish(class, mode, id::GET_200)
}

/// True when an If-Match value is `*` as the server reads it (RFC 9110
/// §13.1.1; surrounding blanks are not part of a field value).
pub(crate) fn is_star(value: &str) -> bool {
    value.trim_matches([' ', '\t']) == "*"
}

/// Statuses for an in-bounds request, by endpoint and fixture state.
fn normal(req: &FuzzRequest, env: &OracleEnv, u: &mut Union, id_has_colon: bool) {
    let slot = match &req.id {
        IdSpec::Fixture { slot, .. } => Some(*slot),
        _ => None,
    };
    match (req.verb, slot) {
        (Verb::List, _) => u.add(id::LIST_200),
        (Verb::Get, Some(_)) => u.add(id::GET_200),
        (Verb::Wait, Some(_)) => u.add(id::WAIT_200_ALWAYS),
        (Verb::Wait, None) => u.add(id::WAIT_404),
        (Verb::Get, None) => {
            u.add(id::CANCEL_NOT_FOUND);
            if id_has_colon {
                // `GET /operations/x:y` names a custom method.
                u.add_codes(&[405]);
            }
        }
        (Verb::Cancel, None) => u.add(id::CANCEL_NOT_FOUND),
        (Verb::Cancel, Some(slot)) => {
            let stale = match &req.if_match {
                None | Some(IfMatchSpec::Star) => Some(false),
                // `*` drawn as a literal (blanks around it are trimmed by
                // the server) is `*`: it matches any current tag.
                Some(IfMatchSpec::Literal(v)) if is_star(v) => Some(false),
                Some(IfMatchSpec::Stale | IfMatchSpec::Literal(_)) => Some(true),
                Some(_) if env.etag_known => Some(false),
                Some(_) => None, // no tag known: either answer
            };
            if slot.is_terminal() {
                if stale != Some(false) {
                    u.add(id::CANCEL_IFMATCH_PRECEDENCE);
                }
                u.add(id::CANCEL_TERMINAL_422);
            } else {
                if stale != Some(true) {
                    if req.if_match.is_some() {
                        u.add(id::CANCEL_IFMATCH_CURRENT);
                    } else {
                        u.add(id::CANCEL_202_ENVELOPE);
                    }
                }
                if stale != Some(false) {
                    u.add(id::CANCEL_IFMATCH_STALE);
                }
                if slot == Slot::Running {
                    // The shared running fixture may have been cancelled.
                    u.add(id::CANCEL_TERMINAL_422);
                }
            }
            if env.key_seen && req.idempotency_key.is_some() {
                u.add(id::CANCEL_KEY_MISUSE);
                u.add(id::CANCEL_REPLAY_IDEMPOTENT);
                u.add(id::CANCEL_KEY_CONCURRENT);
                u.add(id::CANCEL_TERMINAL_422);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::input::{DupHeader, Method};

    fn env() -> OracleEnv {
        OracleEnv {
            mode: Mode::Lenient,
            etag_known: true,
            key_seen: false,
        }
    }

    fn unknown(verb: Verb, id: &str) -> FuzzRequest {
        FuzzRequest {
            id: IdSpec::Literal(id.into()),
            ..FuzzRequest::plain(verb, Slot::Succeeded)
        }
    }

    #[test]
    fn id_length_bound_is_53() {
        let e = expect(&unknown(Verb::Cancel, &"a".repeat(53)), &env());
        assert_eq!(
            (e.accepted.clone(), e.class),
            (vec![403, 404], InputClass::Valid)
        );
        let e = expect(&unknown(Verb::Cancel, &"a".repeat(54)), &env());
        assert_eq!(e.class, InputClass::Invalid);
        assert!(e.accepts(400) && !e.accepts(202));
        assert_eq!(e.invariant, "REQ-ID-BOUNDS");
    }

    #[test]
    fn key_bounds_are_1_to_64_after_trimming() {
        let mut r = FuzzRequest::plain(Verb::Cancel, Slot::FreshRunning);
        for (key, valid) in [
            ("k".repeat(64), true),
            ("k".repeat(65), false),
            (String::new(), false),
            ("  ".into(), false),
            (format!(" {} ", "k".repeat(64)), true),
        ] {
            r.idempotency_key = Some(key.clone());
            let e = expect(&r, &env());
            assert_eq!(e.class == InputClass::Valid, valid, "{key:?}");
            assert_eq!(e.accepts(202), valid, "{key:?}");
        }
        r.idempotency_key = Some("a\u{1}b".into());
        assert_eq!(expect(&r, &env()).class, InputClass::Unsendable);
        r.idempotency_key = Some("ключ".into());
        let e = expect(&r, &env());
        assert_eq!(e.class, InputClass::Ambiguous);
        assert!(e.accepts(202) && e.accepts(400));
    }

    #[test]
    fn terminal_cancel_and_if_match_precedence() {
        let mut r = FuzzRequest::plain(Verb::Cancel, Slot::Succeeded);
        assert_eq!(expect(&r, &env()).accepted, vec![400, 409, 422]);
        r.if_match = Some(IfMatchSpec::Stale);
        assert_eq!(expect(&r, &env()).accepted, vec![400, 409, 412, 422]);
        let strict = OracleEnv {
            mode: Mode::Strict,
            ..env()
        };
        assert_eq!(expect(&r, &strict).accepted, vec![422]);
        let mut r = FuzzRequest::plain(Verb::Cancel, Slot::FreshRunning);
        r.if_match = Some(IfMatchSpec::StaleThenCurrent);
        assert_eq!(expect(&r, &env()).accepted, vec![200, 202]);
        assert_eq!(expect(&r, &env()).invariant, "CANCEL-IFMATCH-CURRENT");
        r.if_match = Some(IfMatchSpec::Stale);
        assert_eq!(expect(&r, &env()).accepted, vec![409, 412]);
        // A literal `*` (seed 1 drew one) matches like `*`; any other
        // literal is a tag the operation never had.
        for star in ["*", " *\t"] {
            r.if_match = Some(IfMatchSpec::Literal(star.into()));
            assert_eq!(expect(&r, &env()).accepted, vec![200, 202], "{star:?}");
        }
        r.if_match = Some(IfMatchSpec::Literal("**".into()));
        assert_eq!(expect(&r, &env()).accepted, vec![409, 412]);
    }

    #[test]
    fn auth_query_method_and_duplicates() {
        let mut r = FuzzRequest::plain(Verb::Get, Slot::Succeeded);
        r.auth = AuthSpec::None;
        assert_eq!(expect(&r, &env()).accepted, vec![401]);
        let mut r = FuzzRequest::plain(Verb::Wait, Slot::Succeeded);
        for (t, ok) in [
            ("1", true),
            ("60", true),
            ("0", false),
            ("61", false),
            ("1.5", false),
            ("-1", false),
        ] {
            r.query = vec![("timeout".into(), t.into())];
            assert_eq!(expect(&r, &env()).accepts(200), ok, "{t}");
        }
        let mut r = FuzzRequest::plain(Verb::List, Slot::Succeeded);
        r.query = vec![("limit".into(), "101".into())];
        let e = expect(&r, &env());
        assert!(e.accepts(200) && e.accepts(400) && e.class == InputClass::Invalid);
        r.query = vec![("limit".into(), "0".into())];
        assert!(!expect(&r, &env()).accepts(200));
        r.query = vec![("owner_type".into(), "install".into())];
        assert!(!expect(&r, &env()).accepts(200));
        let mut r = FuzzRequest::plain(Verb::Cancel, Slot::Succeeded);
        r.method = Method::Get;
        assert_eq!(expect(&r, &env()).invariant, METHOD_INVARIANT);
        let mut r = FuzzRequest::plain(Verb::Cancel, Slot::FreshRunning);
        r.duplicate = Some(DupHeader::IfMatch);
        assert_eq!(expect(&r, &env()).class, InputClass::Ambiguous);
    }

    #[test]
    fn an_undecoded_colon_is_accepted_only_in_lenient_mode() {
        let mut r = FuzzRequest::plain(Verb::Wait, Slot::Succeeded);
        r.colon_encoded = true;
        let e = expect(&r, &env());
        assert_eq!(e.accepted, vec![200, 404, 405]);
        assert_eq!(
            (e.strict.clone(), e.lenient_extra.clone()),
            (vec![200], vec![404, 405])
        );
        let strict = OracleEnv {
            mode: Mode::Strict,
            ..env()
        };
        assert_eq!(expect(&r, &strict).accepted, vec![200]);
        r.colon_encoded = false;
        assert_eq!(expect(&r, &env()).accepted, vec![200]);
    }

    #[test]
    fn an_undecoded_verb_segment_may_be_an_overlong_id_with_any_method() {
        // GET /operations/{46 chars}%3Acancel: undecoded (lenient), the
        // segment is one id of 55 characters as sent.
        let mut r = FuzzRequest::plain(Verb::Cancel, Slot::Succeeded);
        r.id = IdSpec::Literal(format!("opconform{}", "a".repeat(37)));
        r.colon_encoded = true;
        r.method = Method::Get;
        let lenient = expect(&r, &env()).accepted;
        for s in [400, 404, 405, 422] {
            assert!(lenient.contains(&s), "{s} not in {lenient:?}");
        }
        // Strict: %3A is routed like `:`, so only the wrong method's answers.
        let strict = OracleEnv {
            mode: Mode::Strict,
            ..env()
        };
        assert!(!expect(&r, &strict).accepted.contains(&422));
        // A short id stays within bounds either way.
        r.id = IdSpec::Literal("opconform_x".into());
        assert!(!expect(&r, &env()).accepted.contains(&422));
    }

    #[test]
    fn a_foreign_context_is_403_on_get_and_optional_on_list() {
        let mut r = FuzzRequest::plain(Verb::Get, Slot::Succeeded);
        r.context = Some(ContextSpec::Literal("ws_other".into()));
        // Strict: akua's 403. Lenient: a workspace-owned token may ignore
        // the header (the docs: "only needed for broad tokens").
        let strict = OracleEnv {
            mode: Mode::Strict,
            ..env()
        };
        assert_eq!(expect(&r, &strict).accepted, vec![403]);
        assert_eq!(expect(&r, &env()).accepted, vec![200, 403, 404]);
        let mut r = FuzzRequest::plain(Verb::List, Slot::Succeeded);
        r.context = Some(ContextSpec::Literal("ws_other".into()));
        assert_eq!(expect(&r, &env()).accepted, vec![200, 403, 404]);
    }
}
