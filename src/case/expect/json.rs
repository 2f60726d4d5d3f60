//! `json`: the value at a JSON pointer equals a given value (string values
//! are templates).

use crate::model::{CheckKind, CheckResult};

use super::super::placeholders;
use super::super::semantic::Rules;
use super::super::{Expect, Step};
use super::kind::{ExpectKind, PlanLines, ResponseCx, check, short};

/// The kind of a check on the value at `pointer`: lifecycle fields may
/// change while an operation runs by itself.
pub(super) fn pointer_kind(pointer: &str) -> CheckKind {
    const LIFECYCLE: &[&str] = &[
        "/state",
        "/done",
        "/completed_at",
        "/error",
        "/response",
        "/last_error",
        "/steps",
    ];
    if LIFECYCLE
        .iter()
        .any(|p| pointer == *p || pointer.starts_with(&format!("{p}/")))
    {
        CheckKind::Lifecycle
    } else {
        CheckKind::Expectation
    }
}

/// `/id == "<op.id>"`: a value as the plan shows it.
pub(super) fn planned_value(value: &toml::Value) -> String {
    match serde_json::to_value(value) {
        Ok(v) => placeholders(&short(&v)),
        Err(_) => placeholders(&value.to_string()),
    }
}

/// The `json` key.
pub(crate) struct Kind;

impl ExpectKind for Kind {
    fn keys(&self) -> &'static [&'static str] {
        &["json"]
    }

    fn example(&self) -> &'static str {
        r#"json = { "/id" = "{{ op.id }}", "/done" = false }"#
    }

    fn validate(&self, step: &Step, rules: &mut Rules<'_, '_>) {
        let at = rules.at("json");
        rules.json_templates(&at, &step.expect.json);
    }

    fn plan(&self, expect: &Expect, _base: &str, out: &mut PlanLines) {
        for (pointer, value) in &expect.json {
            out.summary
                .push(format!("json {pointer} == {}", planned_value(value)));
        }
    }

    fn respond(&self, expect: &Expect, cx: &ResponseCx<'_>, out: &mut Vec<CheckResult>) {
        if cx.answer.is_none() {
            return;
        }
        let (mode, inv, idx) = (cx.mode, cx.invariant, Some(cx.index));
        for (pointer, want) in &expect.json {
            let want = serde_json::to_value(want)
                .map_err(|e| e.to_string())
                .and_then(|v| cx.templates.render_json(&v));
            let c = match (want, cx.json()) {
                (Err(e), _) => check(inv, false, format!("{pointer} renders"), e, idx, mode),
                (Ok(w), None) => check(
                    inv,
                    false,
                    format!("{pointer} == {}", short(&w)),
                    "body is not JSON",
                    idx,
                    mode,
                ),
                (Ok(w), Some(b)) => {
                    let got = b.pointer(pointer);
                    let mut c = check(
                        inv,
                        got == Some(&w),
                        format!("{pointer} == {}", short(&w)),
                        match got {
                            Some(g) => format!("{pointer} == {}", short(g)),
                            None => format!("no value at {pointer}"),
                        },
                        idx,
                        mode,
                    );
                    c.kind = pointer_kind(pointer);
                    c
                }
            };
            out.push(c);
        }
    }
}
