use serde_json::{Value, json};

use super::*;

fn op(state: &str, steps: Value, last_error: Value) -> Value {
    let done = state != "RUNNING";
    json!({
        "id": "op_1",
        "state": state,
        "done": done,
        "started_at": 100,
        "completed_at": if done { json!(110) } else { Value::Null },
        "last_error": last_error,
        "error": if state == "CANCELLED" { json!({"message": "cancelled"}) } else { Value::Null },
        "response": Value::Null,
        "steps": steps,
    })
}

fn step(name: &str, status: &str, started: i64, completed: Option<i64>) -> Value {
    json!({"name": name, "status": status, "started_at": started, "completed_at": completed})
}

/// Feeds `(at_ms, endpoint, etag, body)` sightings; returns every breach
/// with the indices of its evidence.
fn feed(bodies: &[(u64, Endpoint, Option<&str>, Value)]) -> (Vec<Breach<usize>>, Histories<usize>) {
    let mut h = Histories::default();
    let mut out = Vec::new();
    for (i, (at, endpoint, etag, body)) in bodies.iter().enumerate() {
        out.extend(h.observe(Sighting {
            at_ms: *at,
            endpoint: *endpoint,
            path: "/v1/operations/op_1",
            etag: *etag,
            body,
            src: i,
        }));
    }
    (out, h)
}

fn ids(breaches: &[Breach<usize>]) -> Vec<&'static str> {
    breaches.iter().map(|b| b.invariant).collect()
}

const GET: Endpoint = Endpoint::Get;

#[test]
fn a_correct_lifecycle_breaks_nothing_and_exercises_the_rules() {
    let s1 = json!([
        step("plan", "completed", 100, Some(101)),
        step("apply", "running", 101, None)
    ]);
    let s2 = json!([
        step("plan", "completed", 100, Some(101)),
        step("apply", "failed", 101, Some(102))
    ]);
    let s3 = json!([
        step("plan", "completed", 100, Some(101)),
        step("apply", "completed", 103, Some(104))
    ]);
    let le = json!({"message": "timeout", "step_name": "apply"});
    let done = op("SUCCEEDED", s3.clone(), Value::Null);
    let (breaches, h) = feed(&[
        (0, GET, Some("\"a\""), op("RUNNING", s1, Value::Null)),
        (200, GET, Some("\"b\""), op("RUNNING", s2, le)),
        (400, GET, Some("\"c\""), op("RUNNING", s3, Value::Null)),
        (600, GET, Some("\"d\""), done.clone()),
        (900, GET, Some("\"d\""), done.clone()),
        (950, Endpoint::List, None, {
            let mut item = done;
            item.as_object_mut().expect("object").remove("steps");
            item
        }),
    ]);
    assert!(breaches.is_empty(), "{breaches:?}");
    let exercised = h.get("op_1").expect("followed").exercised();
    for id in INVARIANTS {
        assert!(exercised.contains(&id), "{id} not exercised: {exercised:?}");
    }
    assert_eq!(
        h.get("op_1").and_then(OpHistory::final_state),
        Some("SUCCEEDED")
    );
}

#[test]
fn a_change_after_done_breaks_immutability_with_both_sightings_as_evidence() {
    let mut later = op("CANCELLED", json!([]), Value::Null);
    later["completed_at"] = json!(111);
    let (b, _) = feed(&[
        (0, GET, None, op("CANCELLED", json!([]), Value::Null)),
        (400, GET, None, later),
    ]);
    assert_eq!(ids(&b), ["HIST-COMPLETED-AT-ONCE", "OP-IMMUTABLE-DONE"]);
    assert_eq!(b[1].evidence, vec![0, 1]);
    assert!(
        b[1].actual.contains("completed_at: 110 -> 111"),
        "{}",
        b[1].actual
    );
    assert!(b[1].actual.contains("400 ms"), "{}", b[1].actual);
}

#[test]
fn done_going_back_breaks_monotonicity() {
    let (b, _) = feed(&[
        (0, GET, None, op("SUCCEEDED", json!([]), Value::Null)),
        (10, GET, None, op("RUNNING", json!([]), Value::Null)),
    ]);
    assert_eq!(ids(&b), ["OP-DONE-MONOTONIC"]);
}

#[test]
fn started_at_must_not_change() {
    let mut moved = op("RUNNING", json!([]), Value::Null);
    moved["started_at"] = json!(99);
    let (b, _) = feed(&[
        (0, GET, None, op("RUNNING", json!([]), Value::Null)),
        (5, GET, None, moved),
    ]);
    assert_eq!(ids(&b), ["HIST-STARTED-AT-STABLE"]);
}

#[test]
fn steps_going_back_are_breaches_but_a_stale_read_is_not() {
    let early = json!([step("plan", "running", 100, None)]);
    let later = json!([
        step("plan", "completed", 100, Some(101)),
        step("apply", "running", 101, None)
    ]);
    // A stale read: exactly what was shown before.
    let (b, _) = feed(&[
        (0, GET, None, op("RUNNING", early.clone(), Value::Null)),
        (100, GET, None, op("RUNNING", later.clone(), Value::Null)),
        (150, GET, None, op("RUNNING", early, Value::Null)),
    ]);
    assert!(b.is_empty(), "{b:?}");
    // A state never shown before that is behind: a completed step running.
    let back = json!([
        step("plan", "running", 102, None),
        step("apply", "running", 101, None)
    ]);
    let (b, _) = feed(&[
        (0, GET, None, op("RUNNING", later.clone(), Value::Null)),
        (100, GET, None, op("RUNNING", back, Value::Null)),
    ]);
    assert_eq!(ids(&b), ["HIST-STEPS-FORWARD"]);
    assert!(b[0].actual.contains("status went back"), "{}", b[0].actual);
    // A finished step's completed_at rewritten.
    let rewritten = json!([
        step("plan", "completed", 100, Some(105)),
        step("apply", "running", 101, None)
    ]);
    let (b, _) = feed(&[
        (0, GET, None, op("RUNNING", later.clone(), Value::Null)),
        (100, GET, None, op("RUNNING", rewritten, Value::Null)),
    ]);
    assert_eq!(ids(&b), ["HIST-STEPS-FORWARD"]);
    // A step removed while a later one is shown.
    let removed = json!([step("apply", "running", 101, None)]);
    let (b, _) = feed(&[
        (0, GET, None, op("RUNNING", later, Value::Null)),
        (100, GET, None, op("RUNNING", removed, Value::Null)),
    ]);
    assert_eq!(ids(&b), ["HIST-STEPS-FORWARD"]);
    assert!(b[0].actual.contains("disappeared"), "{}", b[0].actual);
}

#[test]
fn a_retried_step_may_run_again() {
    let (b, _) = feed(&[
        (
            0,
            GET,
            None,
            op(
                "RUNNING",
                json!([step("apply", "failed", 100, Some(101))]),
                Value::Null,
            ),
        ),
        (
            100,
            GET,
            None,
            op(
                "RUNNING",
                json!([step("apply", "running", 102, None)]),
                Value::Null,
            ),
        ),
        (
            200,
            GET,
            None,
            op(
                "RUNNING",
                json!([step("apply", "completed", 102, Some(103))]),
                Value::Null,
            ),
        ),
    ]);
    assert!(b.is_empty(), "{b:?}");
}

#[test]
fn a_sticky_last_error_fails_once_the_operation_is_done() {
    let le = json!({"message": "timeout", "step_name": "apply"});
    let failed = json!([step("apply", "failed", 100, Some(101))]);
    let ok = json!([step("apply", "completed", 102, Some(103))]);
    // In flight, shorter than the lag tolerance: not yet.
    let (b, _) = feed(&[
        (0, GET, None, op("RUNNING", failed.clone(), le.clone())),
        (200, GET, None, op("RUNNING", ok.clone(), le.clone())),
    ]);
    assert!(b.is_empty(), "{b:?}");
    // Done with it: a breach, reported once.
    let (b, _) = feed(&[
        (0, GET, None, op("RUNNING", failed.clone(), le.clone())),
        (200, GET, None, op("RUNNING", ok.clone(), le.clone())),
        (400, GET, None, op("SUCCEEDED", ok.clone(), le.clone())),
        (500, GET, None, op("SUCCEEDED", ok.clone(), le.clone())),
    ]);
    assert_eq!(ids(&b), ["OP-LAST-ERROR-CLEARED"]);
    assert_eq!(b[0].evidence, vec![1, 2]);
    // In flight for longer than the tolerance: a breach too.
    let (b, _) = feed(&[
        (0, GET, None, op("RUNNING", ok.clone(), le.clone())),
        (6_000, GET, None, op("RUNNING", ok.clone(), le.clone())),
    ]);
    assert_eq!(ids(&b), ["OP-LAST-ERROR-CLEARED"]);
    // Without step_name: the steps seen failed while it was set.
    let anonymous = json!({"message": "timeout"});
    let (b, _) = feed(&[
        (0, GET, None, op("RUNNING", failed, anonymous.clone())),
        (200, GET, None, op("SUCCEEDED", ok, anonymous)),
    ]);
    assert_eq!(ids(&b), ["OP-LAST-ERROR-CLEARED"]);
    // A FAILED operation whose failed step is reported: consistent.
    let (b, _) = feed(&[(0, GET, None, {
        let mut f = op(
            "FAILED",
            json!([step("apply", "failed", 100, Some(101))]),
            le,
        );
        f["error"] = json!({"message": "timeout"});
        f
    })]);
    assert!(b.is_empty(), "{b:?}");
}

#[test]
fn etags_tell_representations_apart_and_stay_put() {
    let running = op("RUNNING", json!([]), Value::Null);
    let cancelled = op("CANCELLED", json!([]), Value::Null);
    // The same tag for two representations.
    let (b, _) = feed(&[
        (0, GET, Some("\"t1\""), running.clone()),
        (100, GET, Some("\"t1\""), cancelled.clone()),
    ]);
    assert_eq!(ids(&b), ["ETAG-CHANGES"]);
    // Two tags for one representation.
    let (b, _) = feed(&[
        (0, GET, Some("\"t1\""), running.clone()),
        (100, GET, Some("\"t2\""), running.clone()),
    ]);
    assert_eq!(ids(&b), ["ETAG-STABLE"]);
    // A weak tag may cover changes that are not semantic, not a state change.
    let mut progressed = running.clone();
    progressed["steps"] = json!([step("plan", "running", 100, None)]);
    let (b, _) = feed(&[
        (0, GET, Some("W/\"t1\""), running.clone()),
        (50, GET, Some("W/\"t1\""), progressed),
    ]);
    assert!(b.is_empty(), "{b:?}");
    let (b, _) = feed(&[
        (0, GET, Some("W/\"t1\""), running.clone()),
        (50, GET, Some("W/\"t1\""), cancelled),
    ]);
    assert_eq!(ids(&b), ["ETAG-CHANGES"]);
    // Other endpoints' tags are not compared (another target resource).
    let (b, _) = feed(&[
        (0, GET, Some("\"t1\""), running.clone()),
        (50, Endpoint::Wait, Some("\"t9\""), running),
    ]);
    assert!(b.is_empty(), "{b:?}");
}

#[test]
fn histories_follow_each_operation_and_forget_finished_ones() {
    let mut h: Histories<usize> = Histories::default();
    let a = op("SUCCEEDED", json!([]), Value::Null);
    let mut b = op("RUNNING", json!([]), Value::Null);
    b["id"] = json!("op_2");
    for (i, body) in [&a, &b].into_iter().enumerate() {
        h.observe(Sighting {
            at_ms: 0,
            endpoint: GET,
            path: "/x",
            etag: None,
            body,
            src: i,
        });
    }
    assert_eq!(h.len(), 2);
    h.forget_done_before(10_000, 5_000);
    assert!(h.get("op_1").is_none());
    assert!(h.get("op_2").is_some());
    // A body without an id is not followed.
    h.observe(Sighting {
        at_ms: 0,
        endpoint: GET,
        path: "/x",
        etag: None,
        body: &json!({"state": "RUNNING"}),
        src: 9,
    });
    assert_eq!(h.len(), 1);
}

#[test]
fn a_fingerprint_differs_exactly_where_the_comparison_finds_a_difference() {
    let running = op(
        "RUNNING",
        json!([step("apply", "running", 101, None)]),
        Value::Null,
    );
    let mut reordered = serde_json::Map::new();
    for (k, v) in running.as_object().unwrap().iter().rev() {
        reordered.insert(k.clone(), v.clone());
    }
    let reordered = Value::Object(reordered);
    let mut list_item = running.clone();
    list_item.as_object_mut().unwrap().remove("steps");
    let mut moved_step = running.clone();
    moved_step["steps"][0]["status"] = json!("completed");
    let mut float_time = running.clone();
    float_time["started_at"] = json!(100.0);
    let cases = [
        (&running, &running.clone()),
        (&running, &reordered),
        (&running, &list_item),
        (&list_item, &moved_step),
        (&running, &moved_step),
        (&running, &float_time),
        (&running, &op("CANCELLED", json!([]), Value::Null)),
        (&running, &json!("not an object")),
    ];
    for (a, b) in cases {
        assert_eq!(
            Fingerprint::of(a).differs(Fingerprint::of(b)),
            !comparable(a, b).is_empty(),
            "{a} vs {b}"
        );
    }
    // The operation moved: counted once per change, not per read.
    let (_, h) = feed(&[
        (0, GET, None, running.clone()),
        (1, Endpoint::List, None, list_item.clone()),
        (2, GET, None, reordered),
        (3, GET, None, moved_step),
    ]);
    let one = h.get("op_1").unwrap();
    assert!(one.moved());
    assert_eq!(one.changed_at_ms(), Some(3));
}
