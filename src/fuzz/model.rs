//! The stateful test: random sequences of get / cancel / `:wait` / list on
//! fixtures the sequence creates, run against a model of the contract.
//!
//! A hand-rolled sequence strategy (a `Vec` of abstract actions, shrunk by
//! proptest) rather than proptest-state-machine: actions name fixtures and
//! keys by index and are interpreted against the model as it evolves, so
//! every shrunk sequence is still meaningful and failures are returned as
//! values (no panics).
//!
//! The model: RUNNING → an accepted cancel (202; 200 lenient) → eventually
//! done (CANCELLED, or SUCCEEDED/FAILED); a done operation rejects cancel
//! (422 family) and never changes; a replay with the same key returns the
//! same status and body; a key used on another operation is refused (409
//! family); a stale If-Match is refused (409/412) and has no effect.

use crate::contract::id;
use std::collections::HashMap;
use std::time::Instant;

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::contract::{Endpoint, Mode, Schemas};
use crate::model::Exchange;
use crate::vocab::FixtureState;

use super::executor::{Executor, Fixture, Observed, Prepared, if_match_value};
use super::input::STALE_TAG;
use super::oracle::Union;
use super::property::{Property, Violation, judge_body};
use super::sightings::SequenceHistory;

/// Fixtures of one sequence, in creation order: one succeeded and two
/// running operations (the terminal one first: providers back-date its
/// `started_at`, and lists are checked newest first by `started_at`).
pub const SEQUENCE_FIXTURES: [(&str, &str); 3] =
    [("t", "succeeded"), ("a", "running"), ("b", "running")];

/// Which idempotency key a cancel sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyChoice {
    /// None.
    None,
    /// A key never used before, of this length.
    Fresh(usize),
    /// The n-th key used so far in the sequence (modulo their number).
    Reuse(usize),
}

/// Which If-Match a cancel sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TagChoice {
    /// None.
    None,
    /// The tag last seen for the operation.
    Current,
    /// A tag it never had.
    Stale,
    /// `"stale", <current>`.
    StaleThenCurrent,
    /// `<current>, "stale"`.
    CurrentThenStale,
    /// `*`.
    Star,
}

/// One abstract action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// `GET /operations/{op}`.
    Get {
        /// Fixture index (modulo 3).
        op: usize,
    },
    /// `POST /operations/{op}:cancel`.
    Cancel {
        /// Fixture index (modulo 3).
        op: usize,
        /// Idempotency key.
        key: KeyChoice,
        /// If-Match.
        tag: TagChoice,
    },
    /// `POST /operations/{op}:wait?timeout=1` (a get while the model says
    /// the operation would hold).
    Wait {
        /// Fixture index (modulo 3).
        op: usize,
    },
    /// `GET /operations?owner_type=install&owner_id=<sequence owner>`.
    List,
}

/// Sequences of 1..=`max_len` actions.
pub fn sequence(max_len: usize, list: bool) -> BoxedStrategy<Vec<Action>> {
    let key = prop_oneof![
        3 => Just(KeyChoice::None),
        3 => (20usize..=64).prop_map(KeyChoice::Fresh),
        3 => (0usize..8).prop_map(KeyChoice::Reuse),
    ];
    let tag = prop_oneof![
        4 => Just(TagChoice::None),
        2 => Just(TagChoice::Current),
        2 => Just(TagChoice::Stale),
        2 => Just(TagChoice::StaleThenCurrent),
        1 => Just(TagChoice::CurrentThenStale),
        1 => Just(TagChoice::Star),
    ];
    let action = prop_oneof![
        3 => (0usize..3).prop_map(|op| Action::Get { op }),
        5 => (0usize..3, key, tag).prop_map(|(op, key, tag)| Action::Cancel { op, key, tag }),
        1 => (0usize..3).prop_map(|op| Action::Wait { op }),
        u32::from(list) => Just(Action::List),
    ];
    proptest::collection::vec(action, 1..=max_len.max(1)).boxed()
}

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Running,
    CancelRequested,
    Done(String),
}

#[derive(Debug, Clone)]
struct OpModel {
    fixture: Fixture,
    phase: Phase,
    /// Body of the first get that showed it done (immutability).
    done_body: Option<Value>,
    /// Invariant to blame if the state moves without an accepted cancel.
    blame: &'static str,
}

#[derive(Debug, Clone)]
struct KeyUse {
    key: String,
    op: usize,
    tag: TagChoice,
    /// The `If-Match` value sent with it: "Current" names another tag once
    /// the operation changed, and a server may call that another request
    /// (key misuse) rather than a replay.
    if_match: Option<String>,
    /// Status and body of the completed answer, when it was recorded.
    stored: Option<(u16, Vec<u8>)>,
}

/// One executed step: what was sent, what the model accepted, what came back.
#[derive(Debug, Clone)]
pub struct TraceStep {
    /// The action as interpreted.
    pub action: Action,
    /// Fixture name (`a`, `b`, `t`) or `None` for the list.
    pub fixture: Option<&'static str>,
    /// Idempotency key sent.
    pub key: Option<String>,
    /// If-Match kind sent.
    pub tag: TagChoice,
    /// Accepted statuses (strict, lenient extra).
    pub strict: Vec<u16>,
    /// Also accepted in lenient mode.
    pub lenient_extra: Vec<u16>,
    /// The invariant the status set comes from.
    pub invariant: &'static str,
    /// Index of an earlier step whose body this one must equal (replay).
    pub same_body_as: Option<usize>,
    /// The recorded exchange.
    pub exchange: Exchange,
}

/// The outcome of one sequence run.
#[derive(Debug, Clone)]
pub struct SequenceRun {
    /// Every step made.
    pub trace: Vec<TraceStep>,
    /// The first broken expectation, if any (the run stops there).
    pub violations: Vec<Violation>,
    /// Requests sent (fixture creation included).
    pub requests: u64,
}

fn fail(invariant: &str, expected: impl Into<String>, actual: impl Into<String>) -> Violation {
    Violation {
        property: Property::StatefulModel,
        invariant: invariant.to_string(),
        expected: expected.into(),
        actual: actual.into(),
    }
}

fn body_state(seen: &Observed) -> Option<(String, Value)> {
    let v: Value = serde_json::from_slice(&seen.body).ok()?;
    let state = v.get("state")?.as_str()?.to_string();
    Some((state, v))
}

const TERMINAL: [&str; 3] = ["SUCCEEDED", "FAILED", "CANCELLED"];

/// Runs one sequence on fresh fixtures; stops at the first violation.
/// Every Operation body it receives is fed into the sequence's history
/// (receive times from `origin`, the session's start); a history rule
/// broken is a violation of the step that showed it.
pub async fn run_sequence(
    exec: &Executor,
    schemas: &Schemas,
    mode: Mode,
    origin: Instant,
    actions: &[Action],
) -> Result<SequenceRun, super::executor::ExecError> {
    let mut history = SequenceHistory::new(origin);
    let owner = format!("inst_{}", uuid::Uuid::new_v4().simple());
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let mut ops = Vec::new();
    for (_, state) in SEQUENCE_FIXTURES {
        let fixture_state = match state {
            "running" => FixtureState::Running,
            _ => FixtureState::Succeeded,
        };
        let fixture = exec.create_fixture(fixture_state, &owner).await?;
        let phase = if state == "running" {
            Phase::Running
        } else {
            Phase::Done(state.to_uppercase())
        };
        ops.push(OpModel {
            fixture,
            phase,
            done_body: None,
            blame: id::OP_DONE_MONOTONIC,
        });
    }
    let mut run = SequenceRun {
        trace: Vec::new(),
        violations: Vec::new(),
        requests: SEQUENCE_FIXTURES.len() as u64,
    };
    let mut keys: Vec<KeyUse> = Vec::new();
    let mut key_steps: HashMap<String, usize> = HashMap::new();
    for (i, action) in actions.iter().enumerate() {
        let mut sets = Union::default();
        let mut same_body_as = None;
        let mut sent_key = None;
        let mut sent_tag = TagChoice::None;
        let mut sent_if_match: Option<String> = None;
        let mut replayed_key = false;
        let (prepared, fixture_name, op_index, interpreted) = match action {
            Action::List => {
                sets.add(id::LIST_200);
                let p = exec.plain(
                    "GET",
                    &format!("/operations?owner_type=install&owner_id={owner}&limit=100"),
                    Vec::new(),
                );
                (p, None, None, Action::List)
            }
            Action::Get { op } | Action::Wait { op } => {
                let op = op % ops.len();
                let holds = ops[op].phase == Phase::Running;
                let m = &ops[op];
                let (p, a) = if matches!(action, Action::Wait { .. }) && !holds {
                    sets.add(id::WAIT_200_ALWAYS);
                    (
                        exec.plain(
                            "POST",
                            &format!("/operations/{}:wait?timeout=1", m.fixture.id),
                            Vec::new(),
                        ),
                        Action::Wait { op },
                    )
                } else {
                    sets.add(id::GET_200);
                    (
                        exec.plain("GET", &format!("/operations/{}", m.fixture.id), Vec::new()),
                        Action::Get { op },
                    )
                };
                (p, Some(SEQUENCE_FIXTURES[op].0), Some(op), a)
            }
            Action::Cancel { op, key, tag } => {
                let op = op % ops.len();
                let mut headers: Vec<(&'static str, String)> = Vec::new();
                let reuse = match key {
                    KeyChoice::None => None,
                    KeyChoice::Fresh(len) => {
                        let mut k = format!("fz{nonce}{i}-");
                        while k.len() < *len {
                            k.push('k');
                        }
                        sent_key = Some(k);
                        None
                    }
                    KeyChoice::Reuse(n) if !keys.is_empty() => {
                        let u = keys[n % keys.len()].clone();
                        sent_key = Some(u.key.clone());
                        replayed_key = true;
                        Some(u)
                    }
                    KeyChoice::Reuse(_) => None,
                };
                if let Some(k) = &sent_key {
                    headers.push(("idempotency-key", k.clone()));
                }
                let m = &ops[op];
                let etag = m.fixture.etag.clone();
                let spec = match tag {
                    TagChoice::None => None,
                    TagChoice::Current => Some(super::input::IfMatchSpec::Current),
                    TagChoice::Stale => Some(super::input::IfMatchSpec::Stale),
                    TagChoice::StaleThenCurrent => {
                        Some(super::input::IfMatchSpec::StaleThenCurrent)
                    }
                    TagChoice::CurrentThenStale => {
                        Some(super::input::IfMatchSpec::CurrentThenStale)
                    }
                    TagChoice::Star => Some(super::input::IfMatchSpec::Star),
                };
                sent_tag = *tag;
                if let Some(spec) = &spec {
                    let value = if_match_value(spec, etag.as_deref().unwrap_or(STALE_TAG));
                    sent_if_match = Some(value.clone());
                    headers.push(("if-match", value));
                }
                let stale = match tag {
                    TagChoice::None | TagChoice::Star => Some(false),
                    TagChoice::Stale => Some(true),
                    _ if etag.is_some() => Some(false),
                    _ => None,
                };
                let normal = |sets: &mut Union| match &m.phase {
                    Phase::Done(_) => {
                        if stale != Some(false) {
                            sets.add(id::CANCEL_IFMATCH_PRECEDENCE);
                        }
                        sets.add(id::CANCEL_TERMINAL_422);
                    }
                    Phase::Running => {
                        if stale != Some(true) {
                            sets.add(if spec.is_some() {
                                id::CANCEL_IFMATCH_CURRENT
                            } else {
                                id::CANCEL_202_ENVELOPE
                            });
                        }
                        if stale != Some(false) {
                            sets.add(id::CANCEL_IFMATCH_STALE);
                        }
                    }
                    Phase::CancelRequested => {
                        sets.add(id::CANCEL_202_ENVELOPE);
                        sets.add(id::CANCEL_TERMINAL_422);
                        if spec.is_some() {
                            sets.add(id::CANCEL_IFMATCH_STALE);
                            sets.add(id::CANCEL_IFMATCH_PRECEDENCE);
                        }
                    }
                };
                match &reuse {
                    Some(u) if u.op != op && u.stored.is_some() => sets.add(id::CANCEL_KEY_MISUSE),
                    Some(u)
                        if u.op == op
                            && u.stored.is_some()
                            && u.tag == *tag
                            && u.if_match == sent_if_match =>
                    {
                        // A replay: the first answer again, byte for byte.
                        let (status, _) = u.stored.clone().unwrap_or((202, Vec::new()));
                        sets.attribute_to(id::CANCEL_REPLAY_IDEMPOTENT);
                        if (200..300).contains(&status) {
                            sets.add(id::CANCEL_REPLAY_IDEMPOTENT);
                        }
                        sets.add_codes(&[status]);
                        same_body_as = key_steps.get(&u.key).copied();
                    }
                    Some(_) => {
                        normal(&mut sets);
                        sets.add(id::CANCEL_KEY_MISUSE);
                        sets.add(id::CANCEL_REPLAY_IDEMPOTENT);
                    }
                    None => normal(&mut sets),
                }
                let p = exec.plain(
                    "POST",
                    &format!("/operations/{}:cancel", m.fixture.id),
                    headers,
                );
                (
                    p,
                    Some(SEQUENCE_FIXTURES[op].0),
                    Some(op),
                    Action::Cancel {
                        op,
                        key: key.clone(),
                        tag: *tag,
                    },
                )
            }
        };
        let seen = exec.send(&prepared).await;
        run.requests += 1;
        let exchange = exec.record(&prepared, &seen);
        let (strict, lenient_extra, invariant) = sets.split(id::CANCEL_202_ENVELOPE);
        let mut violations = check_step(
            exec,
            schemas,
            mode,
            &prepared,
            &seen,
            &exchange,
            &strict,
            &lenient_extra,
            invariant,
        );
        // The history rules before the model's own state checks: where both
        // see the same thing, the one module that judges histories (for
        // `run` too) says so. A cancel under a key sent before answers with
        // an earlier snapshot (a replay), not the state now: no sighting.
        let endpoint = match &interpreted {
            Action::List => Endpoint::List,
            Action::Get { .. } => Endpoint::Get,
            Action::Wait { .. } => Endpoint::Wait,
            Action::Cancel { .. } => Endpoint::Cancel,
        };
        if !replayed_key {
            violations.extend(history.feed(i, endpoint, &prepared, &seen));
        }
        // Model updates and state checks.
        if let (Some(op), Some(status)) = (op_index, seen.status) {
            let m = &mut ops[op];
            if let Some(tag) = seen.header("etag") {
                m.fixture.etag = Some(tag.to_string());
            }
            let observed = if (200..300).contains(&status) {
                body_state(&seen)
            } else {
                None
            };
            match &interpreted {
                Action::Cancel { .. } => {
                    if (200..300).contains(&status) && m.phase == Phase::Running {
                        m.phase = Phase::CancelRequested;
                    } else if !(200..300).contains(&status) {
                        m.blame = if matches!(m.phase, Phase::Done(_)) {
                            id::CANCEL_NO_SIDE_EFFECT_ON_DONE
                        } else {
                            id::CANCEL_IFMATCH_STALE
                        };
                    }
                    if let Some(k) = &sent_key
                        && !keys.iter().any(|u| &u.key == k)
                    {
                        // Only a 2xx is surely recorded under the key; whether
                        // a 422 is too is not documented (then either answer).
                        let stored = (200..300)
                            .contains(&status)
                            .then(|| (status, seen.body.clone()));
                        keys.push(KeyUse {
                            key: k.clone(),
                            op,
                            tag: sent_tag,
                            if_match: sent_if_match.clone(),
                            stored,
                        });
                        key_steps.insert(k.clone(), i);
                    }
                    if let Some(j) = same_body_as
                        && let Some(first) = run.trace.get(j)
                        && let Some(r) = &first.exchange.response
                    {
                        let first_body = keys
                            .iter()
                            .find(|u| Some(&u.key) == sent_key.as_ref())
                            .and_then(|u| u.stored.as_ref().map(|(_, b)| b.clone()))
                            .unwrap_or_else(|| r.body_excerpt.clone().into_bytes());
                        if first_body != seen.body && violations.is_empty() {
                            violations.push(fail(
                                id::CANCEL_REPLAY_IDEMPOTENT,
                                format!("the body of step {} again, byte for byte", j + 1),
                                "a different body",
                            ));
                        }
                    }
                }
                Action::Get { .. } | Action::Wait { .. } => {
                    if let Some((state, body)) = &observed {
                        if violations.is_empty()
                            && let Some(v) = state_check(
                                m,
                                state,
                                body,
                                matches!(interpreted, Action::Get { .. }),
                            )
                        {
                            violations.push(v);
                        }
                    }
                }
                Action::List => {}
            }
            if let Some((state, _)) = observed
                && TERMINAL.contains(&state.as_str())
                && !matches!(m.phase, Phase::Done(_))
                && m.phase == Phase::CancelRequested
            {
                m.phase = Phase::Done(state);
            }
        }
        if matches!(interpreted, Action::List)
            && violations.is_empty()
            && seen.status == Some(200)
            && let Ok(page) = serde_json::from_slice::<Value>(&seen.body)
        {
            for item in page
                .get("data")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let id = item.get("id").and_then(Value::as_str).unwrap_or_default();
                let state = item
                    .get("state")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                match ops.iter_mut().find(|m| m.fixture.id == id) {
                    None => {
                        violations.push(fail(
                            id::LIST_OWNER_FILTER,
                            "only this sequence's operations",
                            format!("item {id}"),
                        ));
                        break;
                    }
                    Some(m) => {
                        if let Some(v) = state_check(m, state, item, false) {
                            violations.push(v);
                            break;
                        }
                    }
                }
            }
        }
        run.trace.push(TraceStep {
            action: interpreted,
            fixture: fixture_name,
            key: sent_key,
            tag: sent_tag,
            strict,
            lenient_extra,
            invariant,
            same_body_as,
            exchange,
        });
        if !violations.is_empty() {
            run.violations = violations;
            break;
        }
    }
    Ok(run)
}

/// The shown state against the model (and immutability once done).
fn state_check(m: &mut OpModel, state: &str, body: &Value, full: bool) -> Option<Violation> {
    match &m.phase {
        Phase::Running if state != "RUNNING" => Some(fail(
            m.blame,
            "state RUNNING (no cancel was accepted)",
            format!("state {state}"),
        )),
        Phase::CancelRequested if state != "RUNNING" && !TERMINAL.contains(&state) => Some(fail(
            id::CANCEL_SETTLES,
            "RUNNING, or a terminal state after the accepted cancel",
            format!("state {state}"),
        )),
        Phase::Done(s) if s != state => Some(fail(
            id::OP_IMMUTABLE_DONE,
            format!("state {s} (done operations never change)"),
            format!("state {state}"),
        )),
        Phase::Done(_) if full => {
            match &m.done_body {
                None => m.done_body = Some(body.clone()),
                Some(first) if first != body => {
                    return Some(fail(
                        id::OP_IMMUTABLE_DONE,
                        "the same object as the first read after done",
                        "a different object",
                    ));
                }
                Some(_) => {}
            }
            None
        }
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn check_step(
    exec: &Executor,
    schemas: &Schemas,
    mode: Mode,
    prepared: &Prepared,
    seen: &Observed,
    exchange: &Exchange,
    strict: &[u16],
    lenient_extra: &[u16],
    invariant: &'static str,
) -> Vec<Violation> {
    let Some(status) = seen.status else {
        return vec![Violation {
            property: Property::NoHang,
            invariant: invariant.to_string(),
            expected: "a complete response".into(),
            actual: seen.error.clone().unwrap_or_default(),
        }];
    };
    let mut accepted: Vec<u16> = strict.to_vec();
    if mode == Mode::Lenient {
        accepted.extend_from_slice(lenient_extra);
    }
    accepted.sort_unstable();
    let finding = crate::judge::status(invariant, &accepted, status, mode);
    let mut out = Vec::new();
    if finding.failed() {
        out.push(Violation {
            property: if status >= 500 {
                Property::No5xx
            } else {
                Property::StatefulModel
            },
            invariant: finding.invariant.into_owned(),
            expected: finding.expected.into_owned(),
            actual: finding.actual.into_owned(),
        });
    }
    out.extend(judge_body(
        schemas,
        mode,
        exec.endpoint_of(prepared),
        seen,
        exchange,
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

    #[test]
    fn sequences_are_reproducible_and_shrink_to_one_action() {
        let s = sequence(10, true);
        let tree_for = |seed| {
            let mut r = TestRunner::new_with_rng(
                Config::default(),
                TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
            );
            s.new_tree(&mut r).expect("tree")
        };
        assert_eq!(tree_for(1).current(), tree_for(1).current());
        let mut t = tree_for(2);
        while t.simplify() {}
        assert_eq!(t.current().len(), 1);
    }

    #[test]
    fn sets_unite_catalogue_sets() {
        let mut s = Union::default();
        s.add("CANCEL-202-ENVELOPE");
        s.add("CANCEL-TERMINAL-422");
        let (strict, extra, inv) = s.split("CANCEL-202-ENVELOPE");
        assert_eq!(strict, vec![202, 422]);
        assert_eq!(extra, vec![200, 400, 409]);
        assert_eq!(inv, "CANCEL-202-ENVELOPE");
    }
}
