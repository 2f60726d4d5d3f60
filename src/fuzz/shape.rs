//! What makes two failures the same failure: the property and invariant
//! they break and the *shape* of the (shrunk) input, never its literal
//! values. The property is part of it because one invariant seen by two
//! kinds of check (the stateful model's prediction, and the history of
//! what was read) is two kinds of evidence, each with its own shrunk
//! reproducer.
//!
//! The shape of a request ([`RequestShape`]) is its endpoint (verb), its
//! method, the kind of id it names and which parts it sets, each by class:
//! - the id: a fixture slot (and bare or prefixed), a literal id by length
//!   class (empty, 1–53, over 53) and character class (unreserved only,
//!   reserved or other ASCII, non-ASCII), or a raw percent-encoded segment;
//! - `%3A` before the verb or not; the credential kind;
//! - each header sent (`akua-context`, `idempotency-key`, `if-match`) by
//!   value class (empty, in bounds, over the bound, non-ASCII, control
//!   characters; `if-match` also by kind: current, stale, lists, `*`);
//!   which header is duplicated;
//! - each query parameter by name and whether its value is in bounds.
//!
//! The shape of a sequence ([`ActionShape`]s) is the kind of each executed
//! action up to the failing one: get, `:wait`, cancel (with its key use and
//! If-Match kind) or list, on the succeeded or a running fixture. A get or
//! `:wait` before the failing action is a read of its fixture, whichever
//! endpoint made it (it only gives the model and the history something to
//! compare against later).
//!
//! A history breach seen across a stateless session's requests has no
//! single failing input; its shape is the shared fixture whose history
//! broke ([`Shape::History`]).

use std::fmt;

use super::input::{AuthSpec, ContextSpec, DupHeader, FuzzRequest, IdSpec, IfMatchSpec, Method};
use super::input::{Slot, Verb};
use super::model::{Action, SEQUENCE_FIXTURES, TagChoice, TraceStep};
use super::oracle::{CONTEXT_MAX, HeaderShape, ID_MAX, TOKEN_MAX, header_shape, is_star};
use super::property::Property;

/// Length class of a literal id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Length {
    /// No characters.
    Empty,
    /// Within the bound.
    InBounds,
    /// Over the bound.
    OverBound,
}

/// Character class of a literal id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Chars {
    /// Only unreserved characters (`A-Z a-z 0-9 - . _ ~`): sent as they are.
    Unreserved,
    /// Some other ASCII character (percent-encoded in the path).
    Reserved,
    /// Some non-ASCII character.
    NonAscii,
}

/// The id a request names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdShape {
    /// None: the list.
    None,
    /// A fixture of the session.
    Fixture {
        /// Which one.
        slot: Slot,
        /// Sent without `op_`.
        bare: bool,
    },
    /// An id no fixture has.
    Literal {
        /// Its length class.
        length: Length,
        /// Its character class.
        chars: Chars,
    },
    /// A segment sent exactly as written (odd percent-encodings).
    Raw,
}

/// Class of a header value (as the server reads it: blanks trimmed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueClass {
    /// Nothing after trimming.
    Empty,
    /// Visible ASCII within the bound.
    InBounds,
    /// Visible ASCII over the bound.
    OverBound,
    /// Non-ASCII characters.
    NonAscii,
    /// Control characters (the client refuses to send them).
    Control,
}

/// The `akua-context` sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContextShape {
    /// The token's own workspace.
    Workspace,
    /// Any other value, by class.
    Literal(ValueClass),
}

/// The `if-match` sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IfMatchShape {
    /// The current tag.
    Current,
    /// A tag the operation never had.
    Stale,
    /// `"stale", <current>`.
    StaleThenCurrent,
    /// `<current>, "stale"`.
    CurrentThenStale,
    /// `*` (drawn as such or as a literal).
    Star,
    /// Any other literal, by class.
    Literal(ValueClass),
}

/// The shape of one request (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestShape {
    /// The endpoint aimed at.
    pub verb: Verb,
    /// The method sent.
    pub method: Method,
    /// The id.
    pub id: IdShape,
    /// `%3A` instead of `:` before the verb.
    pub colon_encoded: bool,
    /// The credential.
    pub auth: AuthSpec,
    /// `akua-context`, if sent.
    pub context: Option<ContextShape>,
    /// `idempotency-key`, if sent (cancel only).
    pub idempotency_key: Option<ValueClass>,
    /// `if-match`, if sent (cancel only).
    pub if_match: Option<IfMatchShape>,
    /// The header sent twice, if any.
    pub duplicate: Option<DupHeader>,
    /// Query parameters by name (sorted, once each) and whether the value
    /// is in bounds.
    pub query: Vec<(String, bool)>,
}

/// Which fixture of a sequence an action names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SequenceFixture {
    /// The succeeded one (`t`).
    Succeeded,
    /// One of the running ones (`a`, `b`).
    Running,
}

/// The idempotency key of a cancel in a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyUse {
    /// None sent.
    None,
    /// A key not sent before in the sequence.
    Fresh,
    /// A key sent before in the sequence.
    Again,
}

/// The shape of one executed action of a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionShape {
    /// A get or `:wait` before the failing action.
    Read(SequenceFixture),
    /// `GET /operations/{id}`.
    Get(SequenceFixture),
    /// `:wait`.
    Wait(SequenceFixture),
    /// `:cancel`.
    Cancel {
        /// On which fixture.
        fixture: SequenceFixture,
        /// Its key.
        key: KeyUse,
        /// Its If-Match.
        tag: TagChoice,
    },
    /// The sequence's list.
    List,
}

/// The shape of a failing input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Shape {
    /// One request.
    Request(RequestShape),
    /// A sequence, up to the failing action.
    Sequence(Vec<ActionShape>),
    /// A stateless session's history of one of its shared fixtures.
    History(Slot),
}

/// What identifies a failure: the property, the invariant and the shape.
/// Two failures with equal keys are one failure.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FailureKey {
    /// The property the headline violation breaks.
    pub property: Property,
    /// The invariant the headline violation is attributed to.
    pub invariant: String,
    /// The shape of the input.
    pub shape: Shape,
}

impl FailureKey {
    /// True when a failing input with key `self` is an instance of the
    /// failure `found` (found after shrinking): the same property and
    /// invariant, and
    /// every part `found` sets (anything other than its simplest value, the
    /// value shrinking moves towards) is set in `self` with the same class;
    /// for sequences, `found`'s actions appear in `self`'s in order and
    /// both fail on an action of the same shape. Shrinking only removes or
    /// simplifies parts, so such an input would shrink to `found`'s shape
    /// unless a part `found` lacks also matters; that is taken as the same
    /// failure without shrinking it (a second bug that needs the found
    /// shape and more shows once the first is fixed).
    pub fn instance_of(&self, found: &FailureKey) -> bool {
        if self.property != found.property || self.invariant != found.invariant {
            return false;
        }
        match (&self.shape, &found.shape) {
            (Shape::Request(raw), Shape::Request(f)) => raw.contains(f),
            (Shape::Sequence(raw), Shape::Sequence(f)) => contains_sequence(raw, f),
            (a, b) => a == b,
        }
    }
}

impl RequestShape {
    /// The shape of `req`.
    pub fn of(req: &FuzzRequest) -> RequestShape {
        let id = match (&req.id, req.verb) {
            (_, Verb::List) => IdShape::None,
            (IdSpec::Fixture { slot, bare }, _) => IdShape::Fixture {
                slot: *slot,
                bare: *bare,
            },
            (IdSpec::Literal(id), _) => literal_id(id),
            (IdSpec::RawSegment(_), _) => IdShape::Raw,
        };
        let cancel = req.verb == Verb::Cancel;
        let mut query: Vec<(String, bool)> = Vec::new();
        for (name, value) in &req.query {
            if !query.iter().any(|(n, _)| n == name) {
                query.push((name.clone(), query_in_bounds(name, value)));
            }
        }
        query.sort();
        RequestShape {
            verb: req.verb,
            method: req.method,
            id,
            colon_encoded: req.colon_encoded && matches!(req.verb, Verb::Cancel | Verb::Wait),
            auth: req.auth,
            context: req.context.as_ref().map(|c| match c {
                ContextSpec::Workspace => ContextShape::Workspace,
                ContextSpec::Literal(v) => ContextShape::Literal(value_class(v, CONTEXT_MAX)),
            }),
            idempotency_key: req
                .idempotency_key
                .as_deref()
                .filter(|_| cancel)
                .map(|k| value_class(k, TOKEN_MAX)),
            if_match: req.if_match.as_ref().filter(|_| cancel).map(|m| match m {
                IfMatchSpec::Current => IfMatchShape::Current,
                IfMatchSpec::Stale => IfMatchShape::Stale,
                IfMatchSpec::StaleThenCurrent => IfMatchShape::StaleThenCurrent,
                IfMatchSpec::CurrentThenStale => IfMatchShape::CurrentThenStale,
                IfMatchSpec::Star => IfMatchShape::Star,
                IfMatchSpec::Literal(v) if is_star(v) => IfMatchShape::Star,
                IfMatchSpec::Literal(v) => IfMatchShape::Literal(value_class(v, TOKEN_MAX)),
            }),
            duplicate: req.duplicate,
            query,
        }
    }

    /// True when every part `found` sets is set here with the same class
    /// (see [`FailureKey::instance_of`]).
    fn contains(&self, found: &RequestShape) -> bool {
        fn part<T: PartialEq>(raw: &Option<T>, found: &Option<T>) -> bool {
            found.is_none() || raw == found
        }
        self.verb == found.verb
            && self.id == found.id
            && (found.method == found.verb.method() || self.method == found.method)
            && (!found.colon_encoded || self.colon_encoded)
            && (found.auth == AuthSpec::Token || self.auth == found.auth)
            && part(&self.context, &found.context)
            && part(&self.idempotency_key, &found.idempotency_key)
            && part(&self.if_match, &found.if_match)
            && part(&self.duplicate, &found.duplicate)
            && found.query.iter().all(|q| self.query.contains(q))
    }
}

/// `found` is a subsequence of `raw`, and both end on the same shape.
fn contains_sequence(raw: &[ActionShape], found: &[ActionShape]) -> bool {
    if raw.last() != found.last() {
        return false;
    }
    let mut rest = raw.iter();
    found.iter().all(|f| rest.any(|r| r == f))
}

fn literal_id(id: &str) -> IdShape {
    let n = id.chars().count();
    let length = match n {
        0 => Length::Empty,
        n if n > ID_MAX => Length::OverBound,
        _ => Length::InBounds,
    };
    let chars = if !id.is_ascii() {
        Chars::NonAscii
    } else if id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
    {
        Chars::Unreserved
    } else {
        Chars::Reserved
    };
    IdShape::Literal { length, chars }
}

fn value_class(value: &str, max: usize) -> ValueClass {
    match header_shape(value) {
        HeaderShape::Unsendable => ValueClass::Control,
        HeaderShape::NonAscii => ValueClass::NonAscii,
        HeaderShape::Len(0) => ValueClass::Empty,
        HeaderShape::Len(n) if n > max => ValueClass::OverBound,
        HeaderShape::Len(_) => ValueClass::InBounds,
    }
}

/// Whether a query value is in bounds for its parameter (the oracle's
/// bounds; `owner_id` is in bounds when it names the session's owner).
fn query_in_bounds(name: &str, value: &str) -> bool {
    let uint = |lo: u64, hi: u64| {
        !value.is_empty()
            && value.bytes().all(|b| b.is_ascii_digit())
            && value.parse::<u64>().is_ok_and(|n| (lo..=hi).contains(&n))
    };
    match name {
        "timeout" => uint(1, 60),
        "limit" => uint(1, 100),
        "owner_type" => crate::contract::OWNERS
            .iter()
            .any(|(name, _)| *name == value),
        "owner_id" => value == super::strategies::OWNER_PLACEHOLDER,
        _ => false,
    }
}

/// The shape of an executed sequence: its trace up to the failing step.
pub fn sequence_shape(trace: &[TraceStep]) -> Vec<ActionShape> {
    let mut keys: Vec<&str> = Vec::new();
    let last = trace.len().saturating_sub(1);
    trace
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let fixture = match step.fixture {
                Some(name) if name == SEQUENCE_FIXTURES[0].0 => SequenceFixture::Succeeded,
                _ => SequenceFixture::Running,
            };
            match &step.action {
                Action::Get { .. } | Action::Wait { .. } if i < last => ActionShape::Read(fixture),
                Action::Get { .. } => ActionShape::Get(fixture),
                Action::Wait { .. } => ActionShape::Wait(fixture),
                Action::List => ActionShape::List,
                Action::Cancel { .. } => {
                    let key = match step.key.as_deref() {
                        None => KeyUse::None,
                        Some(k) if keys.contains(&k) => KeyUse::Again,
                        Some(k) => {
                            keys.push(k);
                            KeyUse::Fresh
                        }
                    };
                    ActionShape::Cancel {
                        fixture,
                        key,
                        tag: step.tag,
                    }
                }
            }
        })
        .collect()
}

impl fmt::Display for ValueClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueClass::Empty => "empty",
            ValueClass::InBounds => "in bounds",
            ValueClass::OverBound => "over the bound",
            ValueClass::NonAscii => "non-ASCII",
            ValueClass::Control => "control characters",
        })
    }
}

fn slot_name(slot: Slot) -> &'static str {
    match slot {
        Slot::Running => "running",
        Slot::FreshRunning => "fresh running",
        Slot::Succeeded => "succeeded",
        Slot::Failed => "failed",
        Slot::Cancelled => "cancelled",
    }
}

fn verb_name(verb: Verb) -> &'static str {
    match verb {
        Verb::Cancel => "cancel",
        Verb::Wait => "wait",
        Verb::Get => "get",
        Verb::List => "list",
    }
}

fn tag_name(tag: TagChoice) -> &'static str {
    match tag {
        TagChoice::None => "no if-match",
        TagChoice::Current => "if-match current",
        TagChoice::Stale => "if-match stale",
        TagChoice::StaleThenCurrent => "if-match stale,current",
        TagChoice::CurrentThenStale => "if-match current,stale",
        TagChoice::Star => "if-match *",
    }
}

impl fmt::Display for RequestShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", verb_name(self.verb), self.method.as_str())?;
        match self.id {
            IdShape::None => {}
            IdShape::Fixture { slot, bare } => {
                let bare = if bare { " (bare)" } else { "" };
                write!(f, ", id of the {} fixture{bare}", slot_name(slot))?;
            }
            IdShape::Literal { length, chars } => {
                let length = match length {
                    Length::Empty => "empty",
                    Length::InBounds => "1-53",
                    Length::OverBound => "over 53",
                };
                let chars = match chars {
                    Chars::Unreserved => "unreserved",
                    Chars::Reserved => "reserved characters",
                    Chars::NonAscii => "non-ASCII",
                };
                write!(f, ", literal id ({length}, {chars})")?;
            }
            IdShape::Raw => f.write_str(", raw percent-encoded id")?,
        }
        if self.colon_encoded {
            f.write_str(", %3A before the verb")?;
        }
        match self.auth {
            AuthSpec::Token => {}
            AuthSpec::None => f.write_str(", no credential")?,
            AuthSpec::Invalid => f.write_str(", unknown token")?,
            AuthSpec::Malformed => f.write_str(", malformed credential")?,
        }
        match self.context {
            None => {}
            Some(ContextShape::Workspace) => f.write_str(", akua-context own")?,
            Some(ContextShape::Literal(c)) => write!(f, ", akua-context {c}")?,
        }
        if let Some(c) = self.idempotency_key {
            write!(f, ", idempotency-key {c}")?;
        }
        match self.if_match {
            None => {}
            Some(IfMatchShape::Current) => f.write_str(", if-match current")?,
            Some(IfMatchShape::Stale) => f.write_str(", if-match stale")?,
            Some(IfMatchShape::StaleThenCurrent) => f.write_str(", if-match stale,current")?,
            Some(IfMatchShape::CurrentThenStale) => f.write_str(", if-match current,stale")?,
            Some(IfMatchShape::Star) => f.write_str(", if-match *")?,
            Some(IfMatchShape::Literal(c)) => write!(f, ", if-match {c}")?,
        }
        if let Some(d) = self.duplicate {
            write!(f, ", {} twice", d.name())?;
        }
        for (name, ok) in &self.query {
            let class = if *ok { "in bounds" } else { "out of bounds" };
            write!(f, ", {name} {class}")?;
        }
        Ok(())
    }
}

impl fmt::Display for ActionShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let on = |x: &SequenceFixture| match x {
            SequenceFixture::Succeeded => "succeeded",
            SequenceFixture::Running => "running",
        };
        match self {
            ActionShape::Read(x) => write!(f, "read {}", on(x)),
            ActionShape::Get(x) => write!(f, "get {}", on(x)),
            ActionShape::Wait(x) => write!(f, "wait {}", on(x)),
            ActionShape::List => f.write_str("list"),
            ActionShape::Cancel { fixture, key, tag } => {
                let key = match key {
                    KeyUse::None => "no key",
                    KeyUse::Fresh => "new key",
                    KeyUse::Again => "key again",
                };
                write!(f, "cancel {} ({key}, {})", on(fixture), tag_name(*tag))
            }
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::Request(r) => r.fmt(f),
            Shape::Sequence(actions) => {
                f.write_str("sequence: ")?;
                for (i, a) in actions.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" -> ")?;
                    }
                    a.fmt(f)?;
                }
                Ok(())
            }
            Shape::History(slot) => write!(
                f,
                "history of the shared {} fixture across the session's requests",
                slot_name(*slot)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(invariant: &str, req: &FuzzRequest) -> FailureKey {
        FailureKey {
            property: Property::No5xx,
            invariant: invariant.into(),
            shape: Shape::Request(RequestShape::of(req)),
        }
    }

    fn dash(id: &str) -> FuzzRequest {
        FuzzRequest {
            id: IdSpec::Literal(id.into()),
            ..FuzzRequest::plain(Verb::Cancel, Slot::Succeeded)
        }
    }

    #[test]
    fn shapes_ignore_literal_values_but_not_classes() {
        let a = RequestShape::of(&dash("-"));
        assert_eq!(a, RequestShape::of(&dash("op_opconform-abc")));
        assert_ne!(a, RequestShape::of(&dash(&"a".repeat(54))));
        assert_ne!(a, RequestShape::of(&dash("a b")));
        assert_ne!(a, RequestShape::of(&dash("é")));
        let mut get = dash("-");
        get.verb = Verb::Get;
        get.method = Method::Get;
        assert_ne!(a, RequestShape::of(&get));
        // Headers by class: any two in-bounds keys are one shape.
        let mut k1 = dash("-");
        k1.idempotency_key = Some("k".repeat(50));
        let mut k2 = dash("-");
        k2.idempotency_key = Some("x".repeat(60));
        assert_eq!(RequestShape::of(&k1), RequestShape::of(&k2));
        k2.idempotency_key = Some("x".repeat(65));
        assert_ne!(RequestShape::of(&k1), RequestShape::of(&k2));
        // A literal `*` is `*`; headers a verb does not send are not part
        // of its shape.
        let mut star = FuzzRequest::plain(Verb::Cancel, Slot::FreshRunning);
        star.if_match = Some(IfMatchSpec::Literal(" * ".into()));
        assert_eq!(RequestShape::of(&star).if_match, Some(IfMatchShape::Star));
        let mut g = FuzzRequest::plain(Verb::Get, Slot::Succeeded);
        g.idempotency_key = Some("k".into());
        assert_eq!(RequestShape::of(&g).idempotency_key, None);
        // Query values by bounds, parameters once each and sorted.
        let mut l = FuzzRequest::plain(Verb::List, Slot::Succeeded);
        l.query = vec![
            ("owner_id".into(), "{owner}".into()),
            ("limit".into(), "0".into()),
            ("limit".into(), "5".into()),
        ];
        assert_eq!(
            RequestShape::of(&l).query,
            vec![("limit".to_string(), false), ("owner_id".to_string(), true)]
        );
        assert_eq!(RequestShape::of(&l).id, IdShape::None);
    }

    #[test]
    fn an_input_with_more_parts_set_is_an_instance_of_a_found_failure() {
        let found = key("CANCEL-NOT-FOUND", &dash("-"));
        let mut raw = dash("op_opconform-xyz");
        raw.context = Some(ContextSpec::Workspace);
        raw.idempotency_key = Some("k".repeat(30));
        assert!(key("CANCEL-NOT-FOUND", &raw).instance_of(&found));
        // Another invariant, another verb or id class: not an instance.
        assert!(!key("CANCEL-202-ENVELOPE", &raw).instance_of(&found));
        raw.id = IdSpec::Literal("a%b".into());
        assert!(!key("CANCEL-NOT-FOUND", &raw).instance_of(&found));
        // A part the found failure sets must be set alike.
        let mut f = dash("-");
        f.if_match = Some(IfMatchSpec::StaleThenCurrent);
        let found = key("CANCEL-NOT-FOUND", &f);
        assert!(!key("CANCEL-NOT-FOUND", &dash("-")).instance_of(&found));
        let mut r = dash("-x");
        r.if_match = Some(IfMatchSpec::StaleThenCurrent);
        r.auth = AuthSpec::None;
        assert!(key("CANCEL-NOT-FOUND", &r).instance_of(&found));
        // The simplest value is a wildcard, any other must match.
        let mut f = dash("-");
        f.auth = AuthSpec::Invalid;
        let found = key("AUTH-401", &f);
        r.auth = AuthSpec::None;
        assert!(!key("AUTH-401", &r).instance_of(&found));
        r.auth = AuthSpec::Invalid;
        assert!(key("AUTH-401", &r).instance_of(&found));
    }

    #[test]
    fn sequences_are_instances_when_they_contain_the_found_actions_in_order() {
        use ActionShape::*;
        use SequenceFixture::*;
        let cancel_t = Cancel {
            fixture: Succeeded,
            key: KeyUse::None,
            tag: TagChoice::None,
        };
        let k = |actions: Vec<ActionShape>| FailureKey {
            property: Property::History,
            invariant: "OP-IMMUTABLE-DONE".into(),
            shape: Shape::Sequence(actions),
        };
        let found = k(vec![Read(Succeeded), cancel_t, Get(Succeeded)]);
        assert!(
            k(vec![
                Read(Succeeded),
                List,
                cancel_t,
                Read(Running),
                Get(Succeeded)
            ])
            .instance_of(&found)
        );
        // The model's view of the same invariant is another failure.
        let model = FailureKey {
            property: Property::StatefulModel,
            ..found.clone()
        };
        assert!(!found.instance_of(&model));
        // Out of order, or failing on another action: not an instance.
        assert!(!k(vec![cancel_t, Get(Succeeded), Get(Succeeded)]).instance_of(&found));
        assert!(!k(vec![Get(Succeeded), cancel_t, Get(Succeeded), List]).instance_of(&found));
        // A stateless history breach is one failure per fixture.
        let h = |slot| FailureKey {
            property: Property::History,
            invariant: "OP-IMMUTABLE-DONE".into(),
            shape: Shape::History(slot),
        };
        assert!(h(Slot::Succeeded).instance_of(&h(Slot::Succeeded)));
        assert!(!h(Slot::Failed).instance_of(&h(Slot::Succeeded)));
    }

    #[test]
    fn a_sequence_shape_reads_its_trace() {
        let step = |action: Action, fixture: Option<&'static str>, key: Option<&str>| TraceStep {
            action,
            fixture,
            key: key.map(str::to_string),
            tag: TagChoice::None,
            strict: vec![],
            lenient_extra: vec![],
            invariant: "GET-200",
            same_body_as: None,
            exchange: crate::model::samples::unanswered("GET", "http://h/v1/operations"),
        };
        let cancel = |op, key| {
            step(
                Action::Cancel {
                    op,
                    key: crate::fuzz::KeyChoice::None,
                    tag: TagChoice::None,
                },
                Some(SEQUENCE_FIXTURES[op].0),
                key,
            )
        };
        let trace = vec![
            step(Action::Wait { op: 0 }, Some("t"), None),
            cancel(1, Some("k1")),
            cancel(2, Some("k1")),
            cancel(0, None),
            step(Action::Get { op: 1 }, Some("a"), None),
            step(Action::Get { op: 0 }, Some("t"), None),
        ];
        use ActionShape::*;
        use SequenceFixture::*;
        let c = |fixture, key| Cancel {
            fixture,
            key,
            tag: TagChoice::None,
        };
        // Reads before the failing action are reads, whichever endpoint;
        // the failing one keeps its endpoint; keys by first use or again.
        assert_eq!(
            sequence_shape(&trace),
            vec![
                Read(Succeeded),
                c(Running, KeyUse::Fresh),
                c(Running, KeyUse::Again),
                c(Succeeded, KeyUse::None),
                Read(Running),
                Get(Succeeded),
            ]
        );
    }

    #[test]
    fn shapes_read_as_text() {
        let mut r = dash("-");
        r.idempotency_key = Some("k".into());
        assert_eq!(
            Shape::Request(RequestShape::of(&r)).to_string(),
            "cancel POST, literal id (1-53, unreserved), idempotency-key in bounds"
        );
        assert_eq!(
            Shape::Sequence(vec![
                ActionShape::Get(SequenceFixture::Succeeded),
                ActionShape::List
            ])
            .to_string(),
            "sequence: get succeeded -> list"
        );
    }
}
