//! The distinct failures of a session (`--max-failures`): which failing
//! input is a new failure and which is one already found.
//!
//! A failure is identified by its [`FailureKey`]: the property and
//! invariant of its headline violation and the shape of its shrunk input
//! (`super::shape`).
//! Failing inputs are attributed in a fixed order (stateless: by input
//! index; stateful: by sequence number), so a seed names the same set of
//! failures whichever thread sent what first:
//! 1. an input whose own key was seen before, or that is an instance of a
//!    failure already found ([`FailureKey::instance_of`]), is a duplicate:
//!    counted, not shrunk;
//! 2. any other is shrunk (keeping its headline property and invariant);
//!    the shrunk input's key is a new failure, unless it is an instance of
//!    one already found (then a duplicate after all).

use std::collections::HashMap;

use super::property::Violation;
use super::shape::FailureKey;

/// The failures found so far, by the index of their counterexample.
#[derive(Debug, Default)]
pub struct Found {
    keys: Vec<FailureKey>,
    /// Keys of failing inputs (before shrinking) already attributed.
    seen: HashMap<FailureKey, usize>,
}

impl Found {
    /// Nothing found yet.
    pub fn new() -> Found {
        Found::default()
    }

    /// Distinct failures so far.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Records failure number [`Found::len`] under `key`; returns its index.
    pub fn add(&mut self, key: FailureKey) -> usize {
        let i = self.keys.len();
        self.seen.insert(key.clone(), i);
        self.keys.push(key);
        i
    }

    /// The failure a failing input with key `raw` (before any shrinking)
    /// is a duplicate of, if any (step 1 of the module docs).
    pub fn duplicate_of(&mut self, raw: &FailureKey) -> Option<usize> {
        if let Some(i) = self.seen.get(raw) {
            return Some(*i);
        }
        let i = self.keys.iter().position(|k| raw.instance_of(k))?;
        self.seen.insert(raw.clone(), i);
        Some(i)
    }

    /// After shrinking an input with key `raw` to one with key `shrunk`:
    /// the failure it turned out to duplicate, or `None` when it is new
    /// (then record it with [`Found::add`]). Either way `raw` is
    /// remembered, so an input of the same key is not shrunk again.
    pub fn shrunk_duplicate_of(&mut self, raw: FailureKey, shrunk: &FailureKey) -> Option<usize> {
        let i = self.keys.iter().position(|k| shrunk.instance_of(k));
        let at = i.unwrap_or(self.keys.len());
        self.seen.insert(raw, at);
        i
    }
}

/// Puts the first violation of `property` and `invariant` first (the
/// headline of a shrunk input is the one it was shrunk to keep).
pub fn headline_first(violations: &mut [Violation], headline: &Violation) {
    if let Some(i) = violations
        .iter()
        .position(|v| v.property == headline.property && v.invariant == headline.invariant)
    {
        violations[..=i].rotate_right(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::input::{FuzzRequest, IdSpec, Slot, Verb};
    use crate::fuzz::property::Property;
    use crate::fuzz::shape::{RequestShape, Shape};

    fn key(invariant: &str, id: &str, key: Option<&str>) -> FailureKey {
        let mut req = FuzzRequest {
            id: IdSpec::Literal(id.into()),
            ..FuzzRequest::plain(Verb::Cancel, Slot::Succeeded)
        };
        req.idempotency_key = key.map(str::to_string);
        FailureKey {
            property: Property::No5xx,
            invariant: invariant.into(),
            shape: Shape::Request(RequestShape::of(&req)),
        }
    }

    #[test]
    fn duplicates_are_attributed_before_and_after_shrinking() {
        let mut found = Found::new();
        let raw = key("CANCEL-NOT-FOUND", "op_opconform-x", Some("kkkk"));
        assert_eq!(found.duplicate_of(&raw), None, "nothing found yet");
        let shrunk = key("CANCEL-NOT-FOUND", "-", None);
        assert_eq!(found.shrunk_duplicate_of(raw.clone(), &shrunk), None);
        assert_eq!(found.add(shrunk.clone()), 0);
        // The same raw key again, an instance, and the shrunk key itself.
        assert_eq!(found.duplicate_of(&raw), Some(0));
        assert_eq!(
            found.duplicate_of(&key("CANCEL-NOT-FOUND", "a-b", Some("k"))),
            Some(0)
        );
        assert_eq!(found.duplicate_of(&shrunk), Some(0));
        // Another invariant is another failure.
        let other = key("CANCEL-202-ENVELOPE", "-", Some("k"));
        assert_eq!(found.duplicate_of(&other), None);
        // An input that shrinks onto a found failure is its duplicate, and
        // its raw key is remembered.
        let wide = key("CANCEL-NOT-FOUND", "a%b", None);
        assert_eq!(found.duplicate_of(&wide), None);
        assert_eq!(found.shrunk_duplicate_of(wide.clone(), &shrunk), Some(0));
        assert_eq!(found.duplicate_of(&wide), Some(0));
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn the_kept_violation_leads() {
        let v = |p, i: &str| Violation {
            property: p,
            invariant: i.into(),
            expected: String::new(),
            actual: String::new(),
        };
        let mut vs = vec![
            v(Property::BodyContract, "A"),
            v(Property::History, "B"),
            v(Property::History, "C"),
        ];
        headline_first(&mut vs, &v(Property::History, "C"));
        let order: Vec<&str> = vs.iter().map(|v| v.invariant.as_str()).collect();
        assert_eq!(order, ["C", "A", "B"]);
    }
}
