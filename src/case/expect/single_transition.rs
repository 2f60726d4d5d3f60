//! `single_transition`: for a `parallel` step, at most one state
//! transition happened (concurrent cancels settle once) and the 2xx bodies
//! agree: all identical in strict mode (the IETF draft's replay of the
//! first response); in lenient mode a replay may show the operation's
//! current state (AIP-155), so bodies that show the same state must be
//! identical, and bodies may differ only as the one transition moves on.

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::super::issue::Issue;
use super::super::semantic::Rules;
use super::super::{Expect, Step};
use super::kind::{ExpectKind, Memo, PlanLines, Read, StepCx, check};
use crate::vocab::Mode;

/// The `single_transition` key.
pub(crate) struct Kind;

impl ExpectKind for Kind {
    fn keys(&self) -> &'static [&'static str] {
        &["single_transition"]
    }

    fn example(&self) -> &'static str {
        "single_transition = true"
    }

    fn validate(&self, step: &Step, rules: &mut Rules<'_, '_>) {
        if step.expect.single_transition && step.parallel.is_none() {
            rules.push(
                Issue::value(
                    rules.at("single_transition"),
                    "single_transition needs a parallel step",
                )
                .help("add `parallel = 20` to the step"),
            );
        }
    }

    fn plan(&self, expect: &Expect, _base: &str, out: &mut PlanLines) {
        if expect.single_transition {
            out.summary.push("single_transition".into());
        }
    }

    /// Every 2xx body identical, and at most one terminal state seen across
    /// those bodies and a fresh read of the fixture.
    fn after<'a>(
        &'a self,
        expect: &'a Expect,
        _memo: Memo,
        cx: &'a mut StepCx<'_>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if !expect.single_transition {
                return;
            }
            let ok: Vec<_> = cx.answers.iter().filter(|a| a.succeeded()).collect();
            let distinct = distinct_bodies(ok.iter().map(|a| a.body), cx.mode);
            let mut terminal_states: Vec<String> = ok
                .iter()
                .filter_map(|a| serde_json::from_slice::<serde_json::Value>(a.body).ok())
                .filter_map(|b| b.get("state").and_then(|s| s.as_str()).map(String::from))
                .collect();
            if let Some(id) = cx.route_fixture.and_then(|name| cx.io.fixture_id(name))
                && let Some(after) = cx.io.read(&id, Read::Get).await.body
                && let Some(s) = after.get("state").and_then(|s| s.as_str())
            {
                terminal_states.push(s.to_string());
            }
            terminal_states.retain(|s| s != "RUNNING");
            terminal_states.sort();
            terminal_states.dedup();
            let passed = distinct <= 1 && terminal_states.len() <= 1;
            let (expected, distinct_what) = match cx.mode {
                Mode::Strict => (
                    "every 2xx body identical and at most one transition",
                    "distinct bodies",
                ),
                Mode::Lenient => (
                    "2xx bodies identical where they show the same state, and at most one transition",
                    "distinct bodies for one state",
                ),
            };
            let c = check(
                cx.invariant,
                passed,
                expected,
                format!(
                    "{} 2xx responses with {distinct} {distinct_what}; terminal states seen: {:?}",
                    ok.len(),
                    terminal_states
                ),
                cx.answers.first().map(|a| a.index),
                cx.mode,
            );
            cx.io.record(c);
        })
    }
}

/// The most distinct bodies among `bodies` that should be one: all of them
/// (strict), or those showing one `(state, done)` (lenient).
fn distinct_bodies<'b>(bodies: impl Iterator<Item = &'b [u8]>, mode: Mode) -> usize {
    /// `(state, done)` of a body; `None` in strict mode (one group).
    type Shown = Option<(Value, Value)>;
    let mut groups: Vec<(Shown, Vec<&[u8]>)> = Vec::new();
    for body in bodies {
        let key = match mode {
            Mode::Strict => None,
            Mode::Lenient => serde_json::from_slice::<Value>(body).ok().map(|b| {
                (
                    b.get("state").cloned().unwrap_or(Value::Null),
                    b.get("done").cloned().unwrap_or(Value::Null),
                )
            }),
        };
        let at = match groups.iter().position(|(k, _)| *k == key) {
            Some(at) => at,
            None => {
                groups.push((key, Vec::new()));
                groups.len() - 1
            }
        };
        let group = &mut groups[at].1;
        if !group.contains(&body) {
            group.push(body);
        }
    }
    groups.iter().map(|(_, g)| g.len()).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::after;
    use super::super::fake::{FakeIo, answer};
    use super::*;
    use crate::model::Verdict;
    use crate::vocab::Mode;

    /// `single_transition` judged over 200 answers with these bodies and a
    /// fresh read answering `read`, in `mode` (the context's default
    /// without one): the fake's record of it.
    async fn check(bodies: &[&[u8]], read: serde_json::Value, mode: Option<Mode>) -> FakeIo {
        let e = Expect {
            single_transition: true,
            ..Expect::default()
        };
        let answers: Vec<_> = bodies
            .iter()
            .enumerate()
            .map(|(i, b)| answer(i, 200, b))
            .collect();
        let mut io = FakeIo::with_op().answers([(200, read)]);
        let mut cx = io.cx(&answers);
        if let Some(mode) = mode {
            cx.mode = mode;
        }
        after(&e, Vec::new(), &mut cx).await;
        io
    }

    async fn judge(bodies: &[&[u8]], read: serde_json::Value) -> (Verdict, String) {
        let io = check(bodies, read, None).await;
        assert_eq!(io.reads.len(), 1, "a fresh read of the fixture");
        assert_eq!(io.checks.len(), 1);
        (io.checks[0].verdict, io.checks[0].actual.clone())
    }

    #[tokio::test]
    async fn identical_answers_and_one_transition_pass() {
        let body = br#"{"state":"CANCELLED"}"#;
        let (verdict, actual) = judge(&[body, body], json!({"state": "CANCELLED"})).await;
        assert_eq!(verdict, Verdict::Pass, "{actual}");
    }

    #[tokio::test]
    async fn different_answers_or_two_end_states_fail() {
        let (verdict, actual) = judge(
            &[
                br#"{"state":"CANCELLED"}"#,
                br#"{"state":"CANCELLED","x":1}"#,
            ],
            json!({"state": "CANCELLED"}),
        )
        .await;
        assert_eq!(verdict, Verdict::Fail);
        assert!(actual.contains("2 distinct bodies"), "{actual}");
        let body = br#"{"state":"CANCELLED"}"#;
        let (verdict, actual) = judge(&[body, body], json!({"state": "SUCCEEDED"})).await;
        assert_eq!(verdict, Verdict::Fail);
        assert!(actual.contains(r#"["CANCELLED", "SUCCEEDED"]"#), "{actual}");
    }

    #[tokio::test]
    async fn lenient_replays_may_show_the_current_state_but_one_state_one_body() {
        // A replay answering with the current state (AIP-155): the first
        // answer shows the transition, a later one the settled operation.
        let moving: [&[u8]; 3] = [
            br#"{"state":"RUNNING","done":false,"steps":["cancel"]}"#,
            br#"{"state":"RUNNING","done":false,"steps":["cancel"]}"#,
            br#"{"state":"CANCELLED","done":true,"steps":["cancel"]}"#,
        ];
        let judge_in = |mode: Mode, bodies: Vec<&'static [u8]>| async move {
            let io = check(&bodies, json!({"state": "CANCELLED"}), Some(mode)).await;
            (io.checks[0].verdict, io.checks[0].actual.clone())
        };
        assert_eq!(
            judge_in(Mode::Lenient, moving.to_vec()).await.0,
            Verdict::Pass
        );
        assert_eq!(
            judge_in(Mode::Strict, moving.to_vec()).await.0,
            Verdict::Fail
        );
        // Two writes: the same state shown with two representations.
        let twice: Vec<&'static [u8]> = vec![
            br#"{"state":"RUNNING","done":false,"steps":["cancel"]}"#,
            br#"{"state":"RUNNING","done":false,"steps":["cancel","cancel"]}"#,
        ];
        let (verdict, actual) = judge_in(Mode::Lenient, twice).await;
        assert_eq!(verdict, Verdict::Fail);
        assert!(
            actual.contains("2 distinct bodies for one state"),
            "{actual}"
        );
    }
}
