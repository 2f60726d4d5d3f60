//! Known linearizable and non-linearizable histories, the property that
//! simulated sequential histories are always linearizable, and shrinking.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::contract::Mode;
use crate::race::history::{Answer, Call, CallKind, Initial, Outcome, Target, View};
use crate::race::model::Lifecycle;
use crate::race::sample::{self, SampleConfig};

/// An Operation body: state, number of cancel steps, optional response.
fn op(state: &str, cancel_steps: usize) -> Value {
    let mut steps = vec![json!({"name": "validate"})];
    steps.extend((0..cancel_steps).map(|_| json!({"name": "cancel"})));
    let done = state != "RUNNING";
    json!({
        "id": "op_t",
        "state": state,
        "done": done,
        "response": if state == "SUCCEEDED" { json!({"type": "t"}) } else { Value::Null },
        "error": if matches!(state, "FAILED" | "CANCELLED") { json!({"message": "m"}) } else { Value::Null },
        "completed_at": if done { json!(100) } else { Value::Null },
        "steps": steps,
    })
}

fn answer(status: u16, body: &Value, etag: Option<&str>) -> Outcome {
    Outcome::Answered(Answer::new(
        status,
        etag.map(|t| format!("\"{t}\"")),
        body.to_string().as_bytes(),
    ))
}

fn error(status: u16) -> Outcome {
    Outcome::Answered(Answer::new(
        status,
        None,
        br#"{"success":false,"errors":[{"code":1,"message":"no"}],"result":{}}"#,
    ))
}

/// A history of a RUNNING operation whose ETag is `t1`.
fn running() -> History {
    History::new(Initial {
        etag: Some("\"t1\"".into()),
        view: View::of(&op("RUNNING", 0)),
    })
}

/// Calls appended to a history, one line each: who, what, when, and how it
/// ended.
trait Calls: Sized {
    /// A call answered between `span.0` and `span.1`.
    fn call(self, client: usize, kind: CallKind, span: (u64, u64), outcome: Outcome) -> Self;
    /// A call sent at `at` whose answer was lost (after its status line, when
    /// `status` is set).
    fn lost(self, client: usize, kind: CallKind, at: u64, status: Option<u16>) -> Self;
}

impl Calls for History {
    fn call(mut self, client: usize, kind: CallKind, span: (u64, u64), outcome: Outcome) -> Self {
        self.push(Call {
            client,
            kind,
            invoked_ns: span.0,
            returned_ns: Some(span.1),
            outcome,
        });
        self
    }

    fn lost(mut self, client: usize, kind: CallKind, at: u64, status: Option<u16>) -> Self {
        self.push(Call {
            client,
            kind,
            invoked_ns: at,
            returned_ns: None,
            outcome: Outcome::Lost {
                status,
                why: "test".into(),
            },
        });
        self
    }
}

/// An answer carrying the Operation body `op(state, cancel_steps)` and ETag
/// `etag`.
fn ok(status: u16, state: &str, cancel_steps: usize, etag: &str) -> Outcome {
    answer(status, &op(state, cancel_steps), Some(etag))
}

const GET: CallKind = CallKind::Get;
const WAIT: CallKind = CallKind::Wait;

fn cancel(key: Option<&str>, if_match: Option<&str>) -> CallKind {
    CallKind::cancel(key, if_match)
}

/// A cancel with an `Idempotency-Key` only.
fn keyed(key: &str) -> CallKind {
    cancel(Some(key), None)
}

/// A cancel with an `If-Match` only.
fn matching(tag: &str) -> CallKind {
    cancel(None, Some(tag))
}

/// A cancel with neither header.
fn plain() -> CallKind {
    cancel(None, None)
}

fn verdict(h: &History, mode: Mode, life: Lifecycle) -> Verdict {
    check(&Spec::new(mode, life), h, DEFAULT_BUDGET).expect("compiles")
}

fn strict(h: &History) -> Verdict {
    verdict(h, Mode::Strict, Lifecycle::FROZEN)
}

fn witness(v: Verdict) -> Witness {
    match v {
        Verdict::NotLinearizable(w) => w,
        other => panic!("expected a violation, got {other:?}"),
    }
}

#[test]
fn concurrent_cancels_with_one_transition_are_linearizable() {
    let h = running()
        .call(0, keyed("a"), (0, 10), ok(202, "RUNNING", 1, "t2"))
        .call(1, keyed("b"), (1, 11), ok(202, "RUNNING", 1, "t2"))
        .call(2, GET, (2, 12), ok(200, "RUNNING", 0, "t1"))
        .call(2, GET, (20, 30), ok(200, "CANCELLED", 1, "t3"));
    match strict(&h) {
        // The read of the old state must come before both cancels.
        Verdict::Linearizable { order } => assert_eq!(order[0], 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn two_transitions_are_not_linearizable() {
    let h = running()
        .call(0, keyed("a"), (0, 10), ok(202, "RUNNING", 1, "t2"))
        .call(1, keyed("b"), (1, 11), ok(202, "RUNNING", 2, "t3"))
        .call(2, GET, (20, 30), ok(200, "RUNNING", 2, "t3"));
    let w = witness(strict(&h));
    // A body with two cancel steps is impossible on its own.
    assert_eq!(w.calls.len(), 1, "{w:?}");
    assert!(
        w.explain().contains("can take effect first"),
        "{}",
        w.explain()
    );
}

#[test]
fn two_accepted_cancels_with_one_if_match_are_a_lost_update() {
    let mut h = running()
        .call(0, GET, (0, 2), ok(200, "RUNNING", 0, "t1"))
        .call(1, GET, (0, 3), ok(200, "RUNNING", 0, "t1"))
        .call(0, matching("\"t1\""), (5, 10), ok(202, "RUNNING", 1, "t2"))
        .call(1, matching("\"t1\""), (5, 11), ok(202, "RUNNING", 1, "t2"))
        .call(2, GET, (20, 30), ok(200, "RUNNING", 1, "t2"));
    let w = witness(strict(&h));
    assert_eq!(w.calls, vec![2, 3], "{w:?}");
    assert_eq!(w.longest_prefix.len(), 1);
    // The correct answer to the second: stale.
    h.calls[3].outcome = error(409);
    assert!(matches!(strict(&h), Verdict::Linearizable { .. }));
    // 412 is stale only in lenient mode.
    h.calls[3].outcome = error(412);
    assert!(!strict(&h).is_ok());
    assert!(verdict(&h, Mode::Lenient, Lifecycle::FROZEN).is_ok());
    // With progress allowed, an ETag may go stale by itself; two winners
    // with one tag still cannot both be right.
    h.calls[3].outcome = ok(202, "RUNNING", 1, "t2");
    assert!(!verdict(&h, Mode::Lenient, Lifecycle::ANY).is_ok());
}

#[test]
fn a_replay_with_a_different_body_fails_strict_and_passes_lenient_when_current() {
    let mut h = running()
        .call(0, keyed("k"), (0, 10), ok(202, "RUNNING", 1, "t2"))
        .call(0, keyed("k"), (20, 30), ok(202, "CANCELLED", 1, "t3"));
    let w = witness(strict(&h));
    assert_eq!(w.calls, vec![0, 1]);
    // AIP-155: a replay may show the current state (CANCELLED by then).
    assert!(verdict(&h, Mode::Lenient, Lifecycle::FROZEN).is_ok());
    // Byte for byte: fine in both.
    h.calls[1].outcome = h.calls[0].outcome.clone();
    assert!(strict(&h).is_ok());
    // A replay that turned into 422 is no replay.
    h.calls[1].outcome = error(422);
    assert!(!verdict(&h, Mode::Lenient, Lifecycle::ANY).is_ok());
}

#[test]
fn the_in_flight_conflict_needs_an_overlapping_duplicate() {
    let mut h = running()
        .call(0, keyed("k"), (0, 10), ok(202, "RUNNING", 1, "t2"))
        .call(1, keyed("k"), (1, 2), error(409));
    assert!(strict(&h).is_ok());
    // After the first answered, a 409 is no longer an in-flight conflict:
    // the replay was due.
    h.calls[1].invoked_ns = 20;
    h.calls[1].returned_ns = Some(21);
    assert!(!strict(&h).is_ok());
}

#[test]
fn done_never_flips_back_and_never_mixes() {
    let accepted = || running().call(0, plain(), (0, 1), ok(202, "RUNNING", 1, "t2"));
    let h = accepted()
        .call(0, GET, (2, 3), ok(200, "CANCELLED", 1, "t3"))
        .call(0, GET, (4, 5), ok(200, "RUNNING", 1, "t2"));
    let w = witness(strict(&h));
    // The cancel stays as context: it explains the second read's marker.
    assert_eq!(w.calls, vec![0, 1, 2], "{w:?}");
    // CANCELLED with a response set: no state shows that.
    let mut mixed = op("CANCELLED", 1);
    mixed["response"] = json!({"type": "t"});
    let h = accepted().call(0, WAIT, (2, 3), answer(200, &mixed, Some("t3")));
    assert!(!verdict(&h, Mode::Lenient, Lifecycle::ANY).is_ok());
    // A done operation is immutable: another completed_at is another
    // representation.
    let mut later = op("CANCELLED", 1);
    later["completed_at"] = json!(101);
    let h = accepted()
        .call(0, GET, (2, 3), ok(200, "CANCELLED", 1, "t3"))
        .call(0, GET, (4, 5), answer(200, &later, Some("t3")));
    assert!(!verdict(&h, Mode::Lenient, Lifecycle::ANY).is_ok());
}

#[test]
fn completion_racing_a_cancel_is_legal_either_way_only_when_it_may_complete() {
    // The cancel lost the race: 422, and the operation SUCCEEDED by itself.
    let h = running().call(0, plain(), (0, 5), error(422)).call(
        1,
        GET,
        (6, 7),
        ok(200, "SUCCEEDED", 0, "t2"),
    );
    assert!(verdict(&h, Mode::Strict, Lifecycle::ANY).is_ok());
    // An operation that cannot finish by itself cannot answer that.
    assert!(!strict(&h).is_ok());
    // Accepted, then it finished naturally anyway (digest §3): legal.
    let h = running()
        .call(0, plain(), (0, 5), ok(202, "RUNNING", 1, "t2"))
        .call(1, GET, (6, 7), ok(200, "SUCCEEDED", 1, "t3"));
    assert!(verdict(&h, Mode::Strict, Lifecycle::ANY).is_ok());
    // A 422, yet CANCELLED with a transition: nobody's cancel was accepted.
    let h = running().call(0, plain(), (0, 5), error(422)).call(
        1,
        GET,
        (6, 7),
        ok(200, "CANCELLED", 1, "t2"),
    );
    assert!(!verdict(&h, Mode::Lenient, Lifecycle::ANY).is_ok());
}

#[test]
fn a_lost_cancel_may_have_acted_and_its_retry_must_replay_it() {
    let mut h = running()
        .lost(0, keyed("k"), 0, None)
        .call(1, GET, (10, 11), ok(200, "RUNNING", 1, "t2"))
        .call(1, GET, (20, 21), ok(200, "CANCELLED", 1, "t3"))
        // The retry gets a replay: whatever the first answer was, 2xx.
        .call(0, keyed("k"), (30, 31), ok(202, "RUNNING", 1, "t2"));
    assert!(strict(&h).is_ok());
    // The key forgotten: the retry is processed afresh, 422 once done.
    h.calls[3].outcome = error(422);
    let w = witness(verdict(&h, Mode::Lenient, Lifecycle::ANY));
    assert!(w.calls.contains(&0) && w.calls.contains(&3), "{w:?}");
    // The status line was read (202): a replay must keep it.
    let mut h =
        running()
            .lost(0, keyed("k"), 0, Some(202))
            .call(0, keyed("k"), (30, 31), error(422));
    assert!(!strict(&h).is_ok());
    // 409 is fine: the lost one may still be in flight at the server.
    h.calls[1].outcome = error(409);
    assert!(strict(&h).is_ok());
    // A lost cancel that never took effect: the retry is the first one.
    let mut h = running()
        .lost(0, keyed("k"), 0, None)
        .call(1, GET, (10, 11), ok(200, "RUNNING", 0, "t1"))
        .call(0, keyed("k"), (30, 31), ok(202, "RUNNING", 1, "t2"));
    assert!(strict(&h).is_ok());
    // A 5xx is an unknown outcome too, never a violation of this rule.
    h.calls[2].outcome = error(503);
    assert!(strict(&h).is_ok());
}

#[test]
fn another_request_with_the_same_key_is_misuse() {
    let other = CallKind::Cancel {
        key: Some("k".into()),
        if_match: Some("\"t1\"".into()),
        target: Target::Other("op_other".into()),
    };
    let mut h = running()
        .call(
            0,
            cancel(Some("k"), Some("\"t1\"")),
            (0, 1),
            ok(202, "RUNNING", 1, "t2"),
        )
        .call(0, cancel(Some("k"), Some("*")), (2, 3), error(409))
        .call(0, other, (4, 5), error(409));
    assert!(strict(&h).is_ok());
    // A replay instead of the misuse answer: the key ignored the request.
    h.calls[1].outcome = h.calls[0].outcome.clone();
    assert!(!strict(&h).is_ok());
    // 422 for misuse is lenient only.
    h.calls[1].outcome = error(422);
    assert!(!strict(&h).is_ok());
    assert!(verdict(&h, Mode::Lenient, Lifecycle::FROZEN).is_ok());
}

#[test]
fn an_unknown_tag_may_be_the_current_one_once() {
    // No initial ETag: the first If-Match may be the current tag.
    let mut h = History::new(Initial {
        etag: None,
        view: View::of(&op("RUNNING", 0)),
    })
    .call(0, matching("\"x\""), (0, 1), ok(202, "RUNNING", 1, "y"))
    .call(1, matching("\"x\""), (2, 3), error(409));
    assert!(strict(&h).is_ok());
    h.calls[1].outcome = h.calls[0].outcome.clone();
    assert!(!strict(&h).is_ok());
    // A weak tag never matches (strong comparison).
    let h = running().call(0, matching("W/\"t1\""), (0, 1), ok(202, "RUNNING", 1, "t2"));
    assert!(!strict(&h).is_ok());
}

#[test]
fn the_witness_is_one_minimal() {
    // Noise around a lost update: reads, a keyed replay, another client.
    let h = running()
        .call(3, GET, (0, 1), ok(200, "RUNNING", 0, "t1"))
        .call(0, matching("\"t1\""), (5, 10), ok(202, "RUNNING", 1, "t2"))
        .call(1, matching("\"t1\""), (5, 11), ok(202, "RUNNING", 1, "t2"))
        .call(2, keyed("k"), (6, 12), ok(202, "RUNNING", 1, "t2"))
        .call(2, keyed("k"), (13, 14), ok(202, "RUNNING", 1, "t2"))
        .call(3, WAIT, (15, 40), ok(200, "CANCELLED", 1, "t3"));
    let spec = Spec::new(Mode::Strict, Lifecycle::FROZEN);
    let w = witness(check(&spec, &h, DEFAULT_BUDGET).expect("compiles"));
    assert_eq!(w.calls, vec![1, 2], "{w:?}");
    // The part alone is not linearizable, and each call of it is needed.
    assert!(
        !check(&spec, &h.subset(&w.calls), DEFAULT_BUDGET)
            .expect("compiles")
            .is_ok()
    );
    for drop in &w.calls {
        let rest: Vec<usize> = w.calls.iter().copied().filter(|c| c != drop).collect();
        assert!(
            check(&spec, &h.subset(&rest), DEFAULT_BUDGET)
                .expect("compiles")
                .is_ok()
        );
    }
}

#[test]
fn a_tiny_budget_is_inconclusive_not_a_verdict() {
    let h = sample::history(
        7,
        &SampleConfig {
            calls: 20,
            overlap_ns: 40,
            ..SampleConfig::default()
        },
    );
    let spec = Spec::new(Mode::Strict, Lifecycle::ANY);
    assert!(matches!(
        check(&spec, &h, 3).expect("compiles"),
        Verdict::Inconclusive { .. }
    ));
}

#[test]
fn too_many_tags_is_an_error_not_a_panic() {
    let h = (0..200u64).fold(running(), |h, i| {
        h.call(
            0,
            GET,
            (i * 2, i * 2 + 1),
            ok(200, "RUNNING", 0, &format!("t{i}")),
        )
    });
    assert!(check(&Spec::new(Mode::Strict, Lifecycle::ANY), &h, DEFAULT_BUDGET).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Sequential histories of the simulated operation, in either mode and
    /// lifecycle, with lost answers: always linearizable.
    #[test]
    fn simulated_sequential_histories_are_linearizable(
        seed in any::<u64>(),
        calls in 1usize..24,
        keys in 0usize..4,
        lenient in any::<bool>(),
        live in any::<bool>(),
        lose in prop_oneof![Just(0u64), Just(5u64)],
    ) {
        let mode = if lenient { Mode::Lenient } else { Mode::Strict };
        let lifecycle = if live { Lifecycle::ANY } else { Lifecycle::FROZEN };
        let config = SampleConfig { calls, keys, mode, lifecycle, lose_one_in: lose, ..SampleConfig::default() };
        let h = sample::history(seed, &config);
        let v = check(&Spec::new(mode, lifecycle), &h, DEFAULT_BUDGET).expect("compiles");
        prop_assert!(matches!(v, Verdict::Linearizable { .. }), "{v:?}\n{h:#?}");
    }

    /// The same with overlapping windows around each call's instant.
    #[test]
    fn simulated_overlapping_histories_are_linearizable(seed in any::<u64>(), calls in 1usize..16) {
        let config = SampleConfig { calls, overlap_ns: 30, ..SampleConfig::default() };
        let h = sample::history(seed, &config);
        let v = check(&Spec::new(Mode::Strict, Lifecycle::ANY), &h, DEFAULT_BUDGET).expect("compiles");
        prop_assert!(matches!(v, Verdict::Linearizable { .. }), "{v:?}");
    }
}

#[test]
fn a_key_in_flight_for_another_request_may_answer_key_misuse() {
    // c0's stale cancel holds key k while c1 sends k with another If-Match:
    // the server may call that key misuse (422 in lenient mode), and the
    // stale cancel then leaves the key unbound.
    let stale = || running().call(0, cancel(Some("k"), Some("\"stale\"")), (0, 10), error(412));
    let h = stale()
        .call(1, cancel(Some("k"), Some("*")), (2, 8), error(422))
        .call(2, GET, (20, 30), ok(200, "RUNNING", 0, "t1"));
    assert!(
        verdict(&h, Mode::Lenient, Lifecycle::FROZEN).is_ok(),
        "{:?}",
        verdict(&h, Mode::Lenient, Lifecycle::FROZEN)
    );
    // Strict mode wants akua's 409 for key misuse.
    assert!(!verdict(&h, Mode::Strict, Lifecycle::FROZEN).is_ok());
    // Without the overlap, the key is fresh: 422 is no answer to it.
    let apart = stale().call(1, cancel(Some("k"), Some("*")), (12, 18), error(422));
    assert!(!verdict(&apart, Mode::Lenient, Lifecycle::FROZEN).is_ok());
}

#[test]
fn a_retry_overlapping_the_first_request_may_get_the_in_flight_conflict_after_its_effect() {
    // c0's keyed cancel takes effect early (c1's read shows it) but is
    // answered late; c2's retry with the key, sent after that read and
    // while c0 is still being answered, gets the in-flight 409.
    let answered_at = |end| {
        running()
            .call(0, keyed("k"), (0, end), ok(202, "RUNNING", 1, "t2"))
            .call(1, GET, (10, 20), ok(200, "RUNNING", 1, "t2"))
            .call(2, keyed("k"), (30, 40), error(409))
    };
    let h = answered_at(100);
    assert!(strict(&h).is_ok(), "{:?}", strict(&h));
    // Once c0 was answered, the retry is a replay: 409 is no answer.
    let late = answered_at(25);
    assert!(!strict(&late).is_ok());
}
