//! `within_ms`: the response arrives within a deadline.

use crate::model::CheckResult;

use super::super::Expect;
use super::kind::{ExpectKind, PlanLines, ResponseCx, check};

/// The `within_ms` key.
pub(crate) struct Kind;

impl ExpectKind for Kind {
    fn keys(&self) -> &'static [&'static str] {
        &["within_ms"]
    }

    fn example(&self) -> &'static str {
        "within_ms = 5000"
    }

    fn plan(&self, expect: &Expect, _base: &str, out: &mut PlanLines) {
        if let Some(ms) = expect.within_ms {
            out.summary.push(format!("within_ms {ms}"));
        }
    }

    fn respond(&self, expect: &Expect, cx: &ResponseCx<'_>, out: &mut Vec<CheckResult>) {
        let (Some(within), Some(_)) = (expect.within_ms, &cx.answer) else {
            return;
        };
        let elapsed = cx.exchange.elapsed_ms;
        let mut c = check(
            cx.invariant,
            elapsed <= within,
            format!("response within {within} ms"),
            format!("response after {elapsed} ms"),
            Some(cx.index),
            cx.mode,
        );
        c.elapsed_ms = Some(elapsed);
        out.push(c);
    }
}
