//! Operation histories: every representation of an operation a driver saw,
//! in the order received, and the catalogue's rules over them
//! (`Check::History` invariants).
//!
//! The runner feeds it what its cases and its watcher read, the stateful
//! fuzzer what its sequences read, and anything that replays recorded
//! traffic can feed it exchanges the same way: [`Histories::observe`] takes
//! one parsed Operation body with its receive time and tells at once which
//! rules it broke. Nothing here sends a request or reads a clock.
//!
//! Fairness to eventually consistent servers (digest §2.1 rule 8: in-flight
//! state "may lag actual execution by a few seconds"): a read that shows an
//! in-flight step exactly as an earlier read showed it is a stale read, not
//! a step going back; a `last_error` that contradicts the steps of the same
//! body is only a violation once the operation is done (its state final) or
//! after it persisted for the lag tolerance. What the docs call immutable
//! is held strictly: once a read shows `done: true`, no later read may
//! differ (OP-IMMUTABLE-DONE, OP-DONE-MONOTONIC).

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::contract::id;
use crate::vocab::Endpoint;

/// The invariants this module judges, in catalogue order.
pub const INVARIANTS: [&str; 8] = [
    id::OP_LAST_ERROR_CLEARED,
    id::OP_IMMUTABLE_DONE,
    id::OP_DONE_MONOTONIC,
    id::HIST_STARTED_AT_STABLE,
    id::HIST_COMPLETED_AT_ONCE,
    id::HIST_STEPS_FORWARD,
    id::ETAG_CHANGES,
    id::ETAG_STABLE,
];

const INVARIANT_STEPS: usize = 5;
const INVARIANT_ETAG_CHANGES: usize = 6;
const INVARIANT_ETAG_STABLE: usize = 7;

/// Fields that only differ between the list's representation (no per-step
/// detail) and the others; left out when comparing across endpoints.
const LIST_ONLY_DIFFERENCES: &[&str] = &["steps"];

/// Representations kept per operation for the ETag rules.
const ETAG_MEMORY: usize = 64;

/// One sighting of an operation: a parsed Operation body and where and
/// when it was received.
#[derive(Debug, Clone, Copy)]
pub struct Sighting<'a, S> {
    /// Receive time, in milliseconds from any fixed origin (the run's start).
    pub at_ms: u64,
    /// Which endpoint returned it (a list item: [`Endpoint::List`]).
    pub endpoint: Endpoint,
    /// The request path without the query, e.g. `/v1/operations/op_x`
    /// (ETags are compared between reads of one resource only).
    pub path: &'a str,
    /// The response's `ETag` header, if any.
    pub etag: Option<&'a str>,
    /// The Operation.
    pub body: &'a Value,
    /// The caller's reference to the exchange (shown as evidence).
    pub src: S,
}

/// A rule an operation's history broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach<S> {
    /// The invariant.
    pub invariant: &'static str,
    /// What the rule asks for.
    pub expected: String,
    /// What the history shows.
    pub actual: String,
    /// The sightings that show it, earliest first.
    pub evidence: Vec<S>,
}

/// How the rules read a history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tolerance {
    /// How long an in-flight inconsistency (a `last_error` naming a step
    /// that has since completed) may last before it counts (digest §5 #24:
    /// "harness tolerance ≥ 5 s").
    pub lag_ms: u64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance { lag_ms: 5_000 }
    }
}

/// One step as last seen: `(status rank, started_at, completed_at)`.
type StepState = (u8, Option<i64>, Option<i64>);

/// What is remembered of one step (by name and occurrence).
#[derive(Debug, Clone)]
struct StepTrack<S> {
    /// Order of first appearance among the operation's steps.
    first_seen: usize,
    /// Furthest state seen, and where.
    furthest: StepState,
    furthest_src: S,
    /// Every distinct state seen (stale reads may repeat one).
    seen: Vec<StepState>,
}

/// A `last_error` that contradicts the steps of a body (it names a step
/// that has completed since it failed), first seen when and where.
#[derive(Debug, Clone)]
struct Contradiction<S> {
    last_error: Value,
    step: String,
    since_ms: u64,
    src: S,
}

/// The history of one operation, judged as it grows.
#[derive(Debug, Clone)]
pub struct OpHistory<S> {
    sightings: u64,
    /// The fingerprint of the last representation seen (list items are
    /// compared without steps).
    last: Option<Fingerprint>,
    /// When a sighting last differed from the one before it.
    changed_at_ms: u64,
    /// How often it did.
    changes: u64,
    started_at: Option<(Value, S)>,
    completed_at: Option<(Value, S)>,
    /// The first done representation, its endpoint and where.
    done: Option<(Value, Endpoint, S, u64)>,
    steps: HashMap<(String, usize), StepTrack<S>>,
    /// Steps seen `failed` while a given last_error (by its JSON) was set.
    failed_under: Vec<(Value, Vec<String>)>,
    contradiction: Option<Contradiction<S>>,
    last_error_seen: bool,
    last_error_reported: bool,
    /// (path, tag, representation, where) of GET reads with an ETag.
    tags: Vec<(String, String, Value, S)>,
    exercised: [bool; INVARIANTS.len()],
    tolerance: Tolerance,
}

fn rank(status: &str) -> Option<u8> {
    match status {
        "pending" => Some(0),
        // A failed step may be retried (running again): both are "in
        // progress" for the forward rule.
        "running" | "failed" => Some(1),
        "completed" | "skipped" => Some(2),
        _ => None,
    }
}

fn int(v: Option<&Value>) -> Option<i64> {
    v.and_then(Value::as_i64)
}

/// The representation compared across endpoints: the list leaves out
/// per-step detail, so `steps` is only compared when both carry it.
fn comparable(a: &Value, b: &Value) -> Vec<String> {
    let (Some(x), Some(y)) = (a.as_object(), b.as_object()) else {
        return if a == b {
            Vec::new()
        } else {
            vec!["the body".into()]
        };
    };
    let mut diffs = Vec::new();
    let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
    for k in keys {
        let (u, v) = (x.get(k), y.get(k));
        if LIST_ONLY_DIFFERENCES.contains(&k.as_str()) && (u.is_none() || v.is_none()) {
            continue;
        }
        if u != v {
            diffs.push(format!(
                "{k}: {} -> {}",
                short(u.unwrap_or(&Value::Null)),
                short(v.unwrap_or(&Value::Null))
            ));
        }
    }
    diffs
}

/// What [`comparable`] compares, hashed: the body without the list-only
/// fields, and those fields apart (compared only when both sides carry
/// them). Object keys are hashed in any order, as `Value`'s `==` compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    rest: u64,
    list_only: [Option<u64>; LIST_ONLY_DIFFERENCES.len()],
}

impl Fingerprint {
    fn of(body: &Value) -> Self {
        let mut list_only = [None; LIST_ONLY_DIFFERENCES.len()];
        let rest = match body.as_object() {
            Some(m) => m.iter().fold(OBJECT_SEED, |acc, (k, v)| {
                match LIST_ONLY_DIFFERENCES.iter().position(|f| f == k) {
                    Some(i) => {
                        list_only[i] = Some(hash_value(v));
                        acc
                    }
                    None => acc.wrapping_add(hash_entry(k, v)),
                }
            }),
            None => hash_value(body),
        };
        Fingerprint { rest, list_only }
    }

    /// True when [`comparable`] would find a difference (up to a hash
    /// collision, one in 2^64).
    fn differs(self, other: Fingerprint) -> bool {
        self.rest != other.rest
            || self
                .list_only
                .iter()
                .zip(other.list_only)
                .any(|(a, b)| matches!((a, b), (Some(x), Some(y)) if *x != y))
    }
}

const OBJECT_SEED: u64 = 0x9e37_79b9_7f4a_7c15;

fn hash_entry(k: &str, v: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    k.hash(&mut h);
    hash_value(v).hash(&mut h);
    h.finish()
}

/// A hash of `v` that agrees with `Value`'s `==` (object keys in any order).
fn hash_value(v: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    match v {
        Value::Null => 0u8.hash(&mut h),
        Value::Bool(b) => (1u8, b).hash(&mut h),
        Value::Number(n) => (2u8, n).hash(&mut h),
        Value::String(s) => (3u8, s).hash(&mut h),
        Value::Array(items) => {
            (4u8, items.len()).hash(&mut h);
            for item in items {
                hash_value(item).hash(&mut h);
            }
        }
        Value::Object(m) => {
            let sum = m.iter().fold(OBJECT_SEED, |acc, (k, v)| {
                acc.wrapping_add(hash_entry(k, v))
            });
            (5u8, sum).hash(&mut h);
        }
    }
    h.finish()
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 120 {
        let mut cut = 120;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}...", &s[..cut])
    } else {
        s
    }
}

/// The fields a weak entity-tag must still tell apart: a change of state is
/// never "semantically equivalent" (RFC 9110 §8.8.1).
fn semantic(v: &Value) -> Value {
    let mut m = Map::new();
    for k in ["state", "done", "completed_at", "error", "response"] {
        if let Some(x) = v.get(k) {
            m.insert(k.to_string(), x.clone());
        }
    }
    Value::Object(m)
}

impl<S: Clone> OpHistory<S> {
    /// An empty history.
    pub fn new(tolerance: Tolerance) -> Self {
        OpHistory {
            sightings: 0,
            last: None,
            changed_at_ms: 0,
            changes: 0,
            started_at: None,
            completed_at: None,
            done: None,
            steps: HashMap::new(),
            failed_under: Vec::new(),
            contradiction: None,
            last_error_seen: false,
            last_error_reported: false,
            tags: Vec::new(),
            exercised: [false; INVARIANTS.len()],
            tolerance,
        }
    }

    /// The invariants some comparison of this history applied to (they
    /// passed unless a breach was reported).
    pub fn exercised(&self) -> Vec<&'static str> {
        INVARIANTS
            .iter()
            .zip(self.exercised)
            .filter(|(_, e)| *e)
            .map(|(id, _)| *id)
            .collect()
    }

    /// How many sightings the history holds.
    pub fn len(&self) -> u64 {
        self.sightings
    }

    /// True before the first sighting.
    pub fn is_empty(&self) -> bool {
        self.sightings == 0
    }

    /// True when two sightings differed (the operation moved while seen).
    pub fn moved(&self) -> bool {
        self.changes > 0
    }

    /// When a sighting last differed from the one before it; `None` when
    /// none did.
    pub fn changed_at_ms(&self) -> Option<u64> {
        (self.changes > 0).then_some(self.changed_at_ms)
    }

    /// When a read first showed the operation done.
    pub fn done_at_ms(&self) -> Option<u64> {
        self.done.as_ref().map(|(.., at)| *at)
    }

    /// The state of the first done read.
    pub fn final_state(&self) -> Option<&str> {
        self.done
            .as_ref()
            .and_then(|(b, ..)| b.get("state"))
            .and_then(Value::as_str)
    }

    /// Adds one sighting; returns the rules it broke.
    pub fn observe(&mut self, s: Sighting<'_, S>) -> Vec<Breach<S>> {
        let mut out = Vec::new();
        let body = s.body;
        if !body.is_object() {
            return out;
        }
        self.sightings += 1;
        let now = Fingerprint::of(body);
        if self.last.is_some_and(|prev| prev.differs(now)) {
            self.changed_at_ms = s.at_ms;
            self.changes += 1;
        }
        self.last = Some(now);
        self.started_at_rule(&s, &mut out);
        self.completed_at_rule(&s, &mut out);
        self.done_rules(&s, &mut out);
        self.steps_rule(&s, &mut out);
        self.last_error_rule(&s, &mut out);
        self.etag_rules(&s, &mut out);
        out
    }

    fn started_at_rule(&mut self, s: &Sighting<'_, S>, out: &mut Vec<Breach<S>>) {
        let Some(v) = s.body.get("started_at") else {
            return;
        };
        match &self.started_at {
            None => self.started_at = Some((v.clone(), s.src.clone())),
            Some((first, src)) => {
                mark(&mut self.exercised, id::HIST_STARTED_AT_STABLE);
                if first != v {
                    out.push(Breach {
                        invariant: id::HIST_STARTED_AT_STABLE,
                        expected: "started_at never changes".into(),
                        actual: format!("started_at was {first}, a later read shows {v}"),
                        evidence: vec![src.clone(), s.src.clone()],
                    });
                }
            }
        }
    }

    fn completed_at_rule(&mut self, s: &Sighting<'_, S>, out: &mut Vec<Breach<S>>) {
        let Some(v) = s.body.get("completed_at").filter(|v| !v.is_null()) else {
            if self.completed_at.is_some() {
                mark(&mut self.exercised, id::HIST_COMPLETED_AT_ONCE);
            }
            return;
        };
        match &self.completed_at {
            None => self.completed_at = Some((v.clone(), s.src.clone())),
            Some((first, src)) => {
                mark(&mut self.exercised, id::HIST_COMPLETED_AT_ONCE);
                if first != v {
                    out.push(Breach {
                        invariant: id::HIST_COMPLETED_AT_ONCE,
                        expected: "completed_at is set once and never changes".into(),
                        actual: format!("completed_at was {first}, a later read shows {v}"),
                        evidence: vec![src.clone(), s.src.clone()],
                    });
                }
            }
        }
    }

    fn done_rules(&mut self, s: &Sighting<'_, S>, out: &mut Vec<Breach<S>>) {
        let done = s.body.get("done") == Some(&Value::Bool(true));
        match &self.done {
            None if done => {
                self.done = Some((s.body.clone(), s.endpoint, s.src.clone(), s.at_ms));
            }
            None => {}
            Some((first, first_endpoint, src, at)) => {
                mark(&mut self.exercised, id::OP_DONE_MONOTONIC);
                if !done {
                    out.push(Breach {
                        invariant: id::OP_DONE_MONOTONIC,
                        expected: "done never goes back to false".into(),
                        actual: format!(
                            "a read showed done ({}), a read {} ms later shows done={} state={}",
                            short(first.get("state").unwrap_or(&Value::Null)),
                            s.at_ms.saturating_sub(*at),
                            short(s.body.get("done").unwrap_or(&Value::Null)),
                            short(s.body.get("state").unwrap_or(&Value::Null)),
                        ),
                        evidence: vec![src.clone(), s.src.clone()],
                    });
                    return;
                }
                mark(&mut self.exercised, id::OP_IMMUTABLE_DONE);
                let mut diffs = comparable(first, s.body);
                if *first_endpoint == Endpoint::List || s.endpoint == Endpoint::List {
                    // The list has no per-step detail ("steps" absent or []).
                    diffs.retain(|d| !d.starts_with("steps:"));
                }
                if !diffs.is_empty() {
                    out.push(Breach {
                        invariant: id::OP_IMMUTABLE_DONE,
                        expected: "once done, every later read returns an identical operation"
                            .into(),
                        actual: format!(
                            "{} ms after it was first seen done it changed: {}",
                            s.at_ms.saturating_sub(*at),
                            diffs.into_iter().take(4).collect::<Vec<_>>().join("; ")
                        ),
                        evidence: vec![src.clone(), s.src.clone()],
                    });
                }
            }
        }
    }

    fn steps_rule(&mut self, s: &Sighting<'_, S>, out: &mut Vec<Breach<S>>) {
        let Some(steps) = s.body.get("steps").and_then(Value::as_array) else {
            return;
        };
        if steps.is_empty() && s.endpoint == Endpoint::List {
            return;
        }
        let mut occurrences: HashMap<&str, usize> = HashMap::new();
        let mut present = std::collections::HashSet::new();
        for step in steps {
            let Some(name) = step.get("name").and_then(Value::as_str) else {
                continue;
            };
            let Some(r) = step.get("status").and_then(Value::as_str).and_then(rank) else {
                continue;
            };
            let n = occurrences.entry(name).or_insert(0);
            let key = (name.to_string(), *n);
            *n += 1;
            present.insert(key.clone());
            let state: StepState = (
                r,
                int(step.get("started_at")),
                int(step.get("completed_at")),
            );
            match self.steps.get_mut(&key) {
                None => {
                    let first_seen = self.steps.len();
                    self.steps.insert(
                        key,
                        StepTrack {
                            first_seen,
                            furthest: state,
                            furthest_src: s.src.clone(),
                            seen: vec![state],
                        },
                    );
                }
                Some(track) => {
                    self.exercised[INVARIANT_STEPS] = true;
                    if let Some(why) = backwards(track.furthest, state) {
                        // A stale read repeats a state seen before.
                        if !track.seen.contains(&state) {
                            out.push(Breach {
                                invariant: id::HIST_STEPS_FORWARD,
                                expected: "steps only move forward".into(),
                                actual: format!("step `{name}` (#{}): {why}", key.1 + 1),
                                evidence: vec![track.furthest_src.clone(), s.src.clone()],
                            });
                        }
                    } else {
                        track.furthest = state;
                        track.furthest_src = s.src.clone();
                    }
                    if !track.seen.contains(&state) && track.seen.len() < 16 {
                        track.seen.push(state);
                    }
                }
            }
        }
        // A step seen before and missing now. A stale read shows an older,
        // shorter list; a step missing while a step first shown after it is
        // present is a removal.
        let newest_present = present
            .iter()
            .filter_map(|k| self.steps.get(k).map(|t| t.first_seen))
            .max();
        let gone = self
            .steps
            .iter()
            .filter(|(k, t)| !present.contains(*k) && Some(t.first_seen) < newest_present)
            .min_by_key(|(_, t)| t.first_seen);
        if let Some((key, track)) = gone {
            out.push(Breach {
                invariant: id::HIST_STEPS_FORWARD,
                expected: "a step, once shown, is never removed".into(),
                actual: format!(
                    "step `{}` (#{}) disappeared while later steps are still shown",
                    key.0,
                    key.1 + 1
                ),
                evidence: vec![track.furthest_src.clone(), s.src.clone()],
            });
        }
    }

    fn last_error_rule(&mut self, s: &Sighting<'_, S>, out: &mut Vec<Breach<S>>) {
        let body = s.body;
        let last_error = body.get("last_error").filter(|v| v.is_object());
        let steps = body.get("steps").and_then(Value::as_array);
        let status_of = |name: &str| -> Option<&str> {
            steps?
                .iter()
                .rev()
                .find(|st| st.get("name").and_then(Value::as_str) == Some(name))
                .and_then(|st| st.get("status"))
                .and_then(Value::as_str)
        };
        let Some(le) = last_error else {
            // A last_error seen before is cleared now: the rule applied.
            self.contradiction = None;
            if self.last_error_seen {
                mark(&mut self.exercised, id::OP_LAST_ERROR_CLEARED);
            }
            return;
        };
        self.last_error_seen = true;
        // Which steps this last_error is about: its step_name, else the
        // steps seen failed while it was set.
        let named = le
            .get("step_name")
            .and_then(Value::as_str)
            .map(str::to_string);
        if named.is_none()
            && let Some(steps) = steps
        {
            let failed: Vec<String> = steps
                .iter()
                .filter(|st| st.get("status").and_then(Value::as_str) == Some("failed"))
                .filter_map(|st| st.get("name").and_then(Value::as_str).map(str::to_string))
                .collect();
            if !failed.is_empty() {
                let room = self.failed_under.len() < 16;
                match self.failed_under.iter_mut().find(|(v, _)| v == le) {
                    Some((_, names)) => {
                        for f in failed {
                            if !names.contains(&f) {
                                names.push(f);
                            }
                        }
                    }
                    None if room => {
                        self.failed_under.push((le.clone(), failed));
                    }
                    None => {}
                }
            }
        }
        let about: Vec<String> = match &named {
            Some(n) => vec![n.clone()],
            None => self
                .failed_under
                .iter()
                .find(|(v, _)| v == le)
                .map(|(_, names)| names.clone())
                .unwrap_or_default(),
        };
        if steps.is_none() || about.is_empty() {
            return;
        }
        let completed: Vec<&String> = about
            .iter()
            .filter(|n| status_of(n) == Some("completed"))
            .collect();
        let contradicts = !completed.is_empty() && completed.len() == about.len();
        if !contradicts {
            if self.contradiction.take().is_some() {
                mark(&mut self.exercised, id::OP_LAST_ERROR_CLEARED);
            }
            return;
        }
        let step = completed[0].clone();
        let since = match &self.contradiction {
            Some(c) if &c.last_error == le && c.step == step => c.since_ms,
            _ => {
                self.contradiction = Some(Contradiction {
                    last_error: le.clone(),
                    step: step.clone(),
                    since_ms: s.at_ms,
                    src: s.src.clone(),
                });
                s.at_ms
            }
        };
        let done = body.get("done") == Some(&Value::Bool(true));
        let lasted = s.at_ms.saturating_sub(since);
        mark(&mut self.exercised, id::OP_LAST_ERROR_CLEARED);
        if (done || lasted >= self.tolerance.lag_ms) && !self.last_error_reported {
            self.last_error_reported = true;
            let first = self
                .contradiction
                .as_ref()
                .map(|c| c.src.clone())
                .unwrap_or_else(|| s.src.clone());
            out.push(Breach {
                invariant: id::OP_LAST_ERROR_CLEARED,
                expected: "last_error is cleared once the failed step succeeds on retry".into(),
                actual: format!(
                    "step `{step}` completed but last_error still reports its failure ({}){}",
                    short(le),
                    if done {
                        " in the operation's final state".to_string()
                    } else {
                        format!(" {lasted} ms later")
                    }
                ),
                evidence: vec![first, s.src.clone()],
            });
        }
    }

    fn etag_rules(&mut self, s: &Sighting<'_, S>, out: &mut Vec<Breach<S>>) {
        let (Endpoint::Get, Some(tag)) = (s.endpoint, s.etag) else {
            return;
        };
        let weak = tag.starts_with("W/");
        for (path, t, repr, src) in &self.tags {
            if path != s.path {
                continue;
            }
            if t == tag {
                self.exercised[INVARIANT_ETAG_CHANGES] = true;
                let differs = if weak {
                    semantic(repr) != semantic(s.body)
                } else {
                    repr != s.body
                };
                if differs {
                    let diffs = comparable(repr, s.body);
                    out.push(Breach {
                        invariant: id::ETAG_CHANGES,
                        expected: "a changed operation gets a different entity-tag".into(),
                        actual: format!(
                            "ETag {tag} for two different representations ({})",
                            diffs.into_iter().take(3).collect::<Vec<_>>().join("; ")
                        ),
                        evidence: vec![src.clone(), s.src.clone()],
                    });
                    break;
                }
            } else if repr == s.body {
                self.exercised[INVARIANT_ETAG_STABLE] = true;
                out.push(Breach {
                    invariant: id::ETAG_STABLE,
                    expected: "an unchanged operation keeps its entity-tag".into(),
                    actual: format!("the same representation was served as {t} and as {tag}"),
                    evidence: vec![src.clone(), s.src.clone()],
                });
                break;
            } else {
                self.exercised[INVARIANT_ETAG_STABLE] = true;
            }
        }
        let known = self
            .tags
            .iter()
            .any(|(p, t, r, _)| p == s.path && t == tag && r == s.body);
        if !known && self.tags.len() < ETAG_MEMORY {
            self.tags.push((
                s.path.to_string(),
                tag.to_string(),
                s.body.clone(),
                s.src.clone(),
            ));
        }
    }
}

/// Records that a comparison of `id` was made.
fn mark(exercised: &mut [bool; INVARIANTS.len()], id: &str) {
    if let Some(i) = INVARIANTS.iter().position(|x| *x == id) {
        exercised[i] = true;
    }
}

/// Why `now` is behind `furthest` for one step, if it is.
fn backwards(furthest: StepState, now: StepState) -> Option<String> {
    let (r0, s0, c0) = furthest;
    let (r1, s1, c1) = now;
    if r1 < r0 {
        return Some(format!(
            "its status went back ({} -> {})",
            rank_name(r0),
            rank_name(r1)
        ));
    }
    if let (Some(a), Some(b)) = (s0, s1)
        && b < a
    {
        return Some(format!("started_at went back ({a} -> {b})"));
    }
    if r0 == 2
        && let (Some(a), Some(b)) = (c0, c1)
        && a != b
    {
        return Some(format!(
            "completed_at of a finished step changed ({a} -> {b})"
        ));
    }
    None
}

fn rank_name(r: u8) -> &'static str {
    match r {
        0 => "pending",
        1 => "running/failed",
        _ => "completed/skipped",
    }
}

/// Histories of many operations, by canonical id (the body's `id`).
#[derive(Debug, Clone)]
pub struct Histories<S> {
    ops: HashMap<String, OpHistory<S>>,
    tolerance: Tolerance,
}

impl<S: Clone> Default for Histories<S> {
    fn default() -> Self {
        Histories::new(Tolerance::default())
    }
}

impl<S: Clone> Histories<S> {
    /// No history yet.
    pub fn new(tolerance: Tolerance) -> Self {
        Histories {
            ops: HashMap::new(),
            tolerance,
        }
    }

    /// Adds a sighting to the history of the operation it shows (by its
    /// `id`); returns the rules it broke. A body without a string `id` is
    /// not an operation anyone can follow: ignored.
    pub fn observe(&mut self, s: Sighting<'_, S>) -> Vec<Breach<S>> {
        let Some(id) = s.body.get("id").and_then(Value::as_str) else {
            return Vec::new();
        };
        let tolerance = self.tolerance;
        self.ops
            .entry(id.to_string())
            .or_insert_with(|| OpHistory::new(tolerance))
            .observe(s)
    }

    /// The history of one operation.
    pub fn get(&self, id: &str) -> Option<&OpHistory<S>> {
        self.ops.get(id)
    }

    /// Every operation followed, with its history.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &OpHistory<S>)> {
        self.ops.iter()
    }

    /// Forgets operations done for longer than `retention_ms` at `now_ms`
    /// (bounded memory when following traffic for a long time).
    pub fn forget_done_before(&mut self, now_ms: u64, retention_ms: u64) {
        self.ops.retain(|_, h| {
            h.done_at_ms()
                .is_none_or(|at| now_ms.saturating_sub(at) < retention_ms)
        });
    }

    /// Operations followed.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// True when nothing was followed.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

#[cfg(test)]
mod tests;
