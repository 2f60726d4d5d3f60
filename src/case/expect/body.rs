//! `body`: the schema the response body must validate against. The
//! judge's body and response rules run on every answer whether the key is
//! set or not; the key only says which schema applies.

use crate::contract::{Endpoint, Mode, Schemas};
use crate::judge::{self, inferred_kind, kind_fits};
use crate::model::{CheckResult, Exchange};
use crate::vocab::BodyKind;

use super::super::Expect;
use super::kind::{ExpectKind, PlanLines, ResponseCx, record};

/// Every rule the judge applies to one response except its status
/// expectation (see [`crate::judge::response`]), as checks of the exchange
/// at `index`.
pub(crate) fn body_checks(
    schemas: &Schemas,
    mode: Mode,
    kind: Option<BodyKind>,
    body: judge::Body<'_>,
    exchange: &Exchange,
    index: usize,
    endpoint: Endpoint,
) -> Vec<CheckResult> {
    judge::response(schemas, mode, endpoint, kind, body, exchange)
        .into_iter()
        .map(|f| record(f, Some(index)))
        .collect()
}

fn name(kind: BodyKind) -> &'static str {
    match kind {
        BodyKind::Operation => "operation",
        BodyKind::OperationList => "operation_list",
        BodyKind::Error => "error",
    }
}

/// The `body` key.
pub(crate) struct Kind;

impl ExpectKind for Kind {
    fn keys(&self) -> &'static [&'static str] {
        &["body"]
    }

    fn example(&self) -> &'static str {
        r#"body = "operation""#
    }

    fn plan(&self, expect: &Expect, _base: &str, out: &mut PlanLines) {
        if let Some(kind) = expect.body {
            out.summary.push(format!("body {}", name(kind)));
        }
    }

    fn respond(&self, expect: &Expect, cx: &ResponseCx<'_>, out: &mut Vec<CheckResult>) {
        let (Some(answer), Some(body)) = (&cx.answer, cx.body) else {
            return;
        };
        // An explicit body kind applies when the status class fits it. When
        // it does not (an error where an Operation was expected, or the
        // reverse) the status check already reports the difference; checking
        // the body against the schema the status implies keeps that one
        // finding from also failing unrelated body invariants.
        let explicit = expect.body.filter(|k| kind_fits(*k, answer.status));
        let kind = explicit.or_else(|| inferred_kind(cx.endpoint, answer.status));
        out.extend(body_checks(
            cx.schemas,
            cx.mode,
            kind,
            body,
            cx.exchange,
            cx.index,
            cx.endpoint,
        ));
    }
}
