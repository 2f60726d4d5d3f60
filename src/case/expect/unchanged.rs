//! `unchanged`: a fixture reads the same before and after the step (a
//! rejected request had no effect).

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::super::semantic::Rules;
use super::super::{Expect, Step};
use super::kind::{ExpectKind, Memo, PlanLines, Read, StepCx, check, short};

/// The fixture's id and what the read before the request showed.
struct Before {
    id: String,
    body: Option<Value>,
}

/// The `unchanged` key.
pub(crate) struct Kind;

impl ExpectKind for Kind {
    fn keys(&self) -> &'static [&'static str] {
        &["unchanged"]
    }

    fn example(&self) -> &'static str {
        r#"unchanged = "op""#
    }

    fn validate(&self, step: &Step, rules: &mut Rules<'_, '_>) {
        if let Some(name) = &step.expect.unchanged {
            let at = rules.at("unchanged");
            rules.fixture_ref(&at, name, "unchanged");
        }
    }

    fn plan(&self, expect: &Expect, base: &str, out: &mut PlanLines) {
        if let Some(f) = &expect.unchanged {
            out.summary.push(format!("unchanged {f}"));
            out.requests.push(format!(
                "+ GET {base}/operations/<{f}.id> before and after (unchanged)"
            ));
        }
    }

    fn before<'a>(&'a self, expect: &'a Expect, cx: &'a mut StepCx<'_>) -> BoxFuture<'a, Memo> {
        Box::pin(async move {
            let name = expect.unchanged.as_deref()?;
            let Some(id) = cx.io.fixture_id(name) else {
                cx.io.record(check(
                    cx.invariant,
                    false,
                    format!("`unchanged` names a fixture of the case (`{name}`)"),
                    "no such fixture",
                    None,
                    cx.mode,
                ));
                return None;
            };
            let body = cx.io.read(&id, Read::Get).await.body;
            Some(Box::new(Before { id, body }) as Box<dyn std::any::Any + Send>)
        })
    }

    fn after<'a>(
        &'a self,
        expect: &'a Expect,
        memo: Memo,
        cx: &'a mut StepCx<'_>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let (Some(name), Some(before)) = (
                expect.unchanged.as_deref(),
                memo.and_then(|m| m.downcast::<Before>().ok()),
            ) else {
                return;
            };
            // `unchanged` is about a rejected request: when every answer
            // was a 2xx the request was accepted (a lenient status set may
            // allow that), and accepted requests may change the operation.
            let accepted = !cx.answers.is_empty() && cx.answers.iter().all(|a| a.succeeded());
            if accepted {
                return;
            }
            let read = cx.io.read(&before.id, Read::Get).await;
            let idx = Some(read.index);
            let expected = format!("fixture `{name}` unchanged by this step");
            cx.io.must_not_cancel(name, cx.invariant);
            let c = match (before.body, read.body) {
                (Some(b), Some(a)) => {
                    let diff = json_diff(&b, &a, 8);
                    // A running operation may progress by itself meanwhile;
                    // the watch then makes sure it never ends CANCELLED.
                    let natural = !diff.is_empty() && natural_progress(&b, &a);
                    check(
                        cx.invariant,
                        diff.is_empty() || natural,
                        expected,
                        if diff.is_empty() {
                            "identical before and after".to_string()
                        } else if natural {
                            format!(
                                "only progressed by itself meanwhile (the request had no \
                                 effect): {}",
                                diff.join("; ")
                            )
                        } else {
                            format!("changed: {}", diff.join("; "))
                        },
                        idx,
                        cx.mode,
                    )
                }
                (b, _) => check(
                    cx.invariant,
                    false,
                    expected,
                    format!(
                        "could not read the fixture {} the step",
                        if b.is_none() { "before" } else { "after" }
                    ),
                    idx,
                    cx.mode,
                ),
            };
            cx.io.record(c);
        })
    }
}

/// True when `after` differs from `before` only as a running operation
/// moves by itself: progress of its steps and `last_error`, or finishing
/// SUCCEEDED or FAILED (with what that sets). A change to anything else,
/// or to CANCELLED, is an effect of the request.
fn natural_progress(before: &Value, after: &Value) -> bool {
    const MOVING: &[&str] = &[
        "state",
        "done",
        "completed_at",
        "error",
        "response",
        "last_error",
        "steps",
    ];
    if before.get("state").and_then(Value::as_str) != Some("RUNNING") {
        return false;
    }
    if !matches!(
        after.get("state").and_then(Value::as_str),
        Some("RUNNING" | "SUCCEEDED" | "FAILED")
    ) {
        return false;
    }
    let (Some(b), Some(a)) = (before.as_object(), after.as_object()) else {
        return false;
    };
    b.keys()
        .chain(a.keys())
        .filter(|k| !MOVING.contains(&k.as_str()))
        .all(|k| b.get(k) == a.get(k))
}

/// Pointer-by-pointer differences between two JSON values (at most `max`).
pub(crate) fn json_diff(before: &Value, after: &Value, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    diff_into("", before, after, &mut out, max);
    out
}

fn diff_into(path: &str, a: &Value, b: &Value, out: &mut Vec<String>, max: usize) {
    if out.len() >= max || a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = format!("{path}/{}", k.replace('~', "~0").replace('/', "~1"));
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => diff_into(&p, u, v, out, max),
                    (Some(u), None) => out.push(format!("{p}: {} -> (absent)", short(u))),
                    (None, Some(v)) => out.push(format!("{p}: (absent) -> {}", short(v))),
                    (None, None) => {}
                }
                if out.len() >= max {
                    return;
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                diff_into(&format!("{path}/{i}"), u, v, out, max);
            }
        }
        _ => out.push(format!(
            "{}: {} -> {}",
            if path.is_empty() { "/" } else { path },
            short(a),
            short(b)
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fake::{FakeIo, INV, answer};
    use super::super::{after, before};
    use super::*;
    use crate::model::Verdict;

    fn expect() -> Expect {
        Expect {
            unchanged: Some("op".into()),
            ..Expect::default()
        }
    }

    /// The before phase, one answer of `status`, the after phase.
    async fn around(io: &mut FakeIo, status: u16) {
        let e = expect();
        let memos = before(&e, &mut io.cx(&[])).await;
        let answers = [answer(1, status, b"{}")];
        after(&e, memos, &mut io.cx(&answers)).await;
    }

    #[tokio::test]
    async fn a_rejected_request_reads_before_and_after_and_compares() {
        let op = json!({"id": "op_1", "state": "SUCCEEDED", "done": true});
        let mut io = FakeIo::with_op().answers([(200, op.clone()), (200, op)]);
        around(&mut io, 422).await;
        assert_eq!(io.reads.len(), 2);
        assert_eq!(io.checks.len(), 1, "{:?}", io.checks);
        assert_eq!(io.checks[0].verdict, Verdict::Pass);
        assert_eq!(io.checks[0].actual, "identical before and after");
        assert_eq!(io.checks[0].exchange, Some(1), "the read after");
        assert_eq!(io.must_not_cancel, [("op".to_string(), INV.to_string())]);

        let mut io = FakeIo::with_op().answers([
            (
                200,
                json!({"id": "op_1", "state": "SUCCEEDED", "done": true}),
            ),
            (
                200,
                json!({"id": "op_1", "state": "CANCELLED", "done": true}),
            ),
        ]);
        around(&mut io, 422).await;
        assert_eq!(io.checks[0].verdict, Verdict::Fail);
        assert_eq!(
            io.checks[0].actual,
            "changed: /state: \"SUCCEEDED\" -> \"CANCELLED\""
        );
    }

    #[tokio::test]
    async fn an_accepted_request_is_not_compared() {
        let op = json!({"id": "op_1", "state": "RUNNING", "done": false});
        let mut io = FakeIo::with_op().answers([(200, op)]);
        around(&mut io, 202).await;
        assert_eq!(io.reads.len(), 1, "only the read before");
        assert!(io.checks.is_empty() && io.must_not_cancel.is_empty());
    }

    #[tokio::test]
    async fn an_unreadable_fixture_or_an_unknown_one_fails() {
        let mut io = FakeIo::with_op();
        around(&mut io, 422).await;
        assert_eq!(io.checks[0].verdict, Verdict::Fail);
        assert_eq!(
            io.checks[0].actual,
            "could not read the fixture before the step"
        );

        let mut io = FakeIo::default();
        around(&mut io, 422).await;
        assert!(io.reads.is_empty());
        assert_eq!(io.checks.len(), 1);
        assert_eq!(io.checks[0].actual, "no such fixture");
    }

    #[test]
    fn diff_names_the_pointers() {
        let a = json!({"state": "RUNNING", "done": false, "x": [1, 2]});
        let b = json!({"state": "CANCELLED", "done": false, "x": [1, 3], "y": 1});
        let d = json_diff(&a, &b, 10);
        assert_eq!(
            d,
            vec![
                "/state: \"RUNNING\" -> \"CANCELLED\"",
                "/x/1: 2 -> 3",
                "/y: (absent) -> 1"
            ]
        );
    }

    #[test]
    fn only_a_running_operation_moving_by_itself_is_natural_progress() {
        let running = json!({"id": "op_1", "state": "RUNNING", "done": false, "steps": []});
        let progressed = json!({"id": "op_1", "state": "RUNNING", "done": false, "steps": [1]});
        let succeeded = json!({"id": "op_1", "state": "SUCCEEDED", "done": true, "steps": [1]});
        let cancelled = json!({"id": "op_1", "state": "CANCELLED", "done": true, "steps": []});
        let renamed = json!({"id": "op_2", "state": "RUNNING", "done": false, "steps": []});
        assert!(natural_progress(&running, &progressed));
        assert!(natural_progress(&running, &succeeded));
        assert!(!natural_progress(&running, &cancelled));
        assert!(!natural_progress(&running, &renamed));
        assert!(!natural_progress(&succeeded, &succeeded));
    }
}
