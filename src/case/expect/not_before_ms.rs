//! `not_before_ms`: the response does not arrive before a floor (a `:wait`
//! that holds).

use crate::model::{CheckKind, CheckResult};

use super::super::issue::Issue;
use super::super::semantic::Rules;
use super::super::{Expect, Step};
use super::kind::{ExpectKind, PlanLines, ResponseCx, check};

/// The `not_before_ms` key.
pub(crate) struct Kind;

impl ExpectKind for Kind {
    fn keys(&self) -> &'static [&'static str] {
        &["not_before_ms"]
    }

    fn example(&self) -> &'static str {
        "not_before_ms = 900, within_ms = 5000"
    }

    fn validate(&self, step: &Step, rules: &mut Rules<'_, '_>) {
        let expect = &step.expect;
        if let (Some(min), Some(max)) = (expect.not_before_ms, expect.within_ms)
            && min >= max
        {
            rules.push(
                Issue::value(
                    rules.at("not_before_ms"),
                    format!("not_before_ms ({min}) must be below within_ms ({max})"),
                )
                .help("no response could satisfy both"),
            );
        }
    }

    fn plan(&self, expect: &Expect, _base: &str, out: &mut PlanLines) {
        if let Some(ms) = expect.not_before_ms {
            out.summary.push(format!("not_before_ms {ms}"));
        }
    }

    fn respond(&self, expect: &Expect, cx: &ResponseCx<'_>, out: &mut Vec<CheckResult>) {
        let (Some(not_before), Some(_)) = (expect.not_before_ms, &cx.answer) else {
            return;
        };
        let elapsed = cx.exchange.elapsed_ms;
        let mut c = check(
            cx.invariant,
            elapsed >= not_before,
            format!("response not before {not_before} ms"),
            format!("response after {elapsed} ms"),
            Some(cx.index),
            cx.mode,
        );
        c.kind = CheckKind::HeldFloor;
        c.elapsed_ms = Some(elapsed);
        out.push(c);
    }
}
