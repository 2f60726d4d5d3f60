//! `single_transition`: for a `parallel` step, every 2xx body is identical
//! and at most one state transition happened (concurrent cancels settle
//! once).

use futures_util::future::BoxFuture;

use super::super::issue::Issue;
use super::super::semantic::Rules;
use super::super::{Expect, Step};
use super::kind::{ExpectKind, Memo, PlanLines, Read, StepCx, check};

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
            let mut distinct: Vec<&[u8]> = Vec::new();
            for a in &ok {
                if !distinct.contains(&a.body) {
                    distinct.push(a.body);
                }
            }
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
            let passed = distinct.len() <= 1 && terminal_states.len() <= 1;
            let c = check(
                cx.invariant,
                passed,
                "every 2xx body identical and at most one transition",
                format!(
                    "{} 2xx responses with {} distinct bodies; terminal states seen: {:?}",
                    ok.len(),
                    distinct.len(),
                    terminal_states
                ),
                cx.answers.first().map(|a| a.index),
                cx.mode,
            );
            cx.io.record(c);
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::after;
    use super::super::fake::{FakeIo, answer};
    use super::*;
    use crate::model::Verdict;

    async fn judge(bodies: &[&[u8]], read: serde_json::Value) -> (Verdict, String) {
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
        after(&e, Vec::new(), &mut io.cx(&answers)).await;
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
}
