//! `headers`: a response header present, absent, or equal to a value (a
//! template).

use serde::{Deserialize, Serialize};

use crate::model::{CheckKind, CheckResult};

use super::super::issue::Issue;
use super::super::placeholders;
use super::super::semantic::Rules;
use super::super::spans::escape;
use super::super::{Expect, Step};
use super::kind::{ExpectKind, PlanLines, ResponseCx, check};

/// One header expectation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderExpect {
    /// Must (true) or must not (false) be present.
    #[serde(default)]
    pub present: Option<bool>,
    /// Must equal this (template).
    #[serde(default)]
    pub equals: Option<String>,
}

/// The `headers` key.
pub(crate) struct Kind;

impl ExpectKind for Kind {
    fn keys(&self) -> &'static [&'static str] {
        &["headers"]
    }

    fn example(&self) -> &'static str {
        r#"headers = { etag = { present = true }, content-type = { equals = "application/json" } }"#
    }

    fn validate(&self, step: &Step, rules: &mut Rules<'_, '_>) {
        for (name, header) in &step.expect.headers {
            let at = rules.at(&format!("headers/{}", escape(name)));
            if header.present == Some(false) && header.equals.is_some() {
                rules.push(
                    Issue::value(
                        at.clone(),
                        format!("header \"{name}\" cannot be absent and equal a value"),
                    )
                    .help("drop `present = false` or `equals`"),
                );
            }
            if let Some(equals) = &header.equals {
                rules.template(&format!("{at}/equals"), equals);
            }
        }
    }

    fn plan(&self, expect: &Expect, _base: &str, out: &mut PlanLines) {
        for (name, header) in &expect.headers {
            if let Some(present) = header.present {
                let what = if present { "present" } else { "absent" };
                out.summary.push(format!("headers {name} {what}"));
            }
            if let Some(equals) = &header.equals {
                out.summary
                    .push(format!("headers {name}: {}", placeholders(equals)));
            }
        }
    }

    fn respond(&self, expect: &Expect, cx: &ResponseCx<'_>, out: &mut Vec<CheckResult>) {
        let Some(answer) = &cx.answer else { return };
        let (mode, inv, idx) = (cx.mode, cx.invariant, Some(cx.index));
        let found = |got: Option<&str>, name: &str| match got {
            Some(v) => format!("`{name}: {v}`"),
            None => format!("no `{name}` header"),
        };
        for (name, he) in &expect.headers {
            let got = answer.header(name);
            if let Some(present) = he.present {
                let mut c = check(
                    inv,
                    got.is_some() == present,
                    format!(
                        "header `{name}` {}",
                        if present { "present" } else { "absent" }
                    ),
                    found(got, name),
                    idx,
                    mode,
                );
                c.kind = CheckKind::Expectation;
                out.push(c);
            }
            if let Some(equals) = &he.equals {
                let mut c = match cx.templates.render(equals) {
                    Ok(want) => check(
                        inv,
                        got == Some(want.as_str()),
                        format!("`{name}: {want}`"),
                        found(got, name),
                        idx,
                        mode,
                    ),
                    Err(e) => check(inv, false, format!("`{name}` renders"), e, idx, mode),
                };
                c.kind = CheckKind::Expectation;
                out.push(c);
            }
        }
    }
}
