//! `same_body_as`: every response body equals, byte for byte, a body an
//! earlier step captured (a replay answers identically).

use futures_util::future::BoxFuture;

use super::super::issue::Issue;
use super::super::semantic::Rules;
use super::super::{Expect, Step};
use super::kind::{ExpectKind, Memo, PlanLines, StepCx, check};

/// The `same_body_as` key.
pub(crate) struct Kind;

impl ExpectKind for Kind {
    fn keys(&self) -> &'static [&'static str] {
        &["same_body_as"]
    }

    fn example(&self) -> &'static str {
        r#"same_body_as = "first""#
    }

    fn validate(&self, step: &Step, rules: &mut Rules<'_, '_>) {
        let Some(name) = &step.expect.same_body_as else {
            return;
        };
        let at = rules.at("same_body_as");
        if rules.body_captures.contains(name.as_str()) {
            return;
        }
        let issue = if rules.scope.captures.contains(name.as_str()) {
            Issue::value(at, format!("capture \"{name}\" is not a body capture")).help(format!(
                "capture it with `capture.{name} = {{ body = true }}`"
            ))
        } else {
            Issue::value(
                at,
                format!("same_body_as names capture \"{name}\", which no earlier step captures"),
            )
            .help(format!(
                "add `capture.{name} = {{ body = true }}` to an earlier step"
            ))
        };
        rules.push(issue);
    }

    fn plan(&self, expect: &Expect, _base: &str, out: &mut PlanLines) {
        if let Some(name) = &expect.same_body_as {
            out.summary.push(format!("same_body_as {name}"));
        }
    }

    fn after<'a>(
        &'a self,
        expect: &'a Expect,
        _memo: Memo,
        cx: &'a mut StepCx<'_>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let Some(name) = &expect.same_body_as else {
                return;
            };
            for answer in cx.answers {
                let c = match cx.io.captured_body(name) {
                    Some(body) => check(
                        cx.invariant,
                        body == answer.body,
                        format!("body byte-identical to captured body `{name}`"),
                        if body == answer.body {
                            "identical".to_string()
                        } else {
                            format!(
                                "differs: captured {} bytes, got {} bytes",
                                body.len(),
                                answer.body.len()
                            )
                        },
                        Some(answer.index),
                        cx.mode,
                    ),
                    None => check(
                        cx.invariant,
                        false,
                        format!("a captured body named `{name}`"),
                        "nothing captured under that name",
                        Some(answer.index),
                        cx.mode,
                    ),
                };
                cx.io.record(c);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::after;
    use super::super::fake::{FakeIo, answer};
    use super::*;
    use crate::model::Verdict;

    #[tokio::test]
    async fn every_answer_is_compared_byte_for_byte() {
        let e = Expect {
            same_body_as: Some("first".into()),
            ..Expect::default()
        };
        let mut io = FakeIo::default();
        io.bodies.insert("first".into(), b"{\"a\":1}".to_vec());
        let answers = [answer(0, 200, b"{\"a\":1}"), answer(1, 200, b"{\"a\": 1}")];
        after(&e, Vec::new(), &mut io.cx(&answers)).await;
        let verdicts: Vec<_> = io.checks.iter().map(|c| (c.verdict, c.exchange)).collect();
        assert_eq!(
            verdicts,
            [(Verdict::Pass, Some(0)), (Verdict::Fail, Some(1))]
        );
        assert_eq!(
            io.checks[1].actual,
            "differs: captured 7 bytes, got 8 bytes"
        );
        assert!(io.reads.is_empty());
    }
}
