//! `json_is`: what a JSON pointer points at, for checks a TOML value
//! cannot express (TOML has no null).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::CheckResult;

use super::super::Expect;
use super::json::pointer_kind;
use super::kind::{ExpectKind, PlanLines, ResponseCx, check, short};

/// What a JSON pointer must point at, for checks a TOML value cannot
/// express (TOML has no null).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonIs {
    /// Present, with the value `null`.
    Null,
    /// Present, with any value but `null`.
    NonNull,
    /// Not present at all (e.g. `/data/3` on a page of three items).
    Absent,
    /// Present, with any value (including `null`).
    Present,
}

/// What `is` expects at a pointer, for messages: `/next_cursor is null`.
pub(crate) fn describe_json_is(pointer: &str, is: JsonIs) -> String {
    let what = match is {
        JsonIs::Null => "null",
        JsonIs::NonNull => "present and not null",
        JsonIs::Absent => "absent",
        JsonIs::Present => "present",
    };
    format!("{pointer} is {what}")
}

/// True when the value `got` (None: nothing at the pointer) is what `is`
/// asks for.
pub(crate) fn json_is_holds(got: Option<&Value>, is: JsonIs) -> bool {
    match is {
        JsonIs::Null => got == Some(&Value::Null),
        JsonIs::NonNull => got.is_some_and(|v| !v.is_null()),
        JsonIs::Absent => got.is_none(),
        JsonIs::Present => got.is_some(),
    }
}

/// What was at a pointer, for messages: `/x == 1` or `nothing at /x`.
pub(crate) fn describe_found(pointer: &str, got: Option<&Value>) -> String {
    match got {
        Some(g) => format!("{pointer} == {}", short(g)),
        None => format!("nothing at {pointer}"),
    }
}

/// The `json_is` key.
pub(crate) struct Kind;

impl ExpectKind for Kind {
    fn keys(&self) -> &'static [&'static str] {
        &["json_is"]
    }

    fn example(&self) -> &'static str {
        r#"json_is = { "/error" = "null", "/response" = "absent" }"#
    }

    fn plan(&self, expect: &Expect, _base: &str, out: &mut PlanLines) {
        for (pointer, is) in &expect.json_is {
            out.summary
                .push(format!("json_is {}", describe_json_is(pointer, *is)));
        }
    }

    fn respond(&self, expect: &Expect, cx: &ResponseCx<'_>, out: &mut Vec<CheckResult>) {
        if cx.answer.is_none() {
            return;
        }
        let (mode, inv, idx) = (cx.mode, cx.invariant, Some(cx.index));
        for (pointer, is) in &expect.json_is {
            let expected = describe_json_is(pointer, *is);
            let c = match cx.json() {
                None => check(inv, false, expected, "body is not JSON", idx, mode),
                Some(b) => {
                    let got = b.pointer(pointer);
                    let mut c = check(
                        inv,
                        json_is_holds(got, *is),
                        expected,
                        describe_found(pointer, got),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_distinguishes_null_absent_and_present() {
        let body = serde_json::json!({"a": null, "b": 1, "c": [0]});
        let at = |p: &str| body.pointer(p);
        assert!(json_is_holds(at("/a"), JsonIs::Null));
        assert!(!json_is_holds(at("/b"), JsonIs::Null));
        assert!(!json_is_holds(at("/zz"), JsonIs::Null));
        assert!(json_is_holds(at("/b"), JsonIs::NonNull));
        assert!(!json_is_holds(at("/a"), JsonIs::NonNull));
        assert!(!json_is_holds(at("/zz"), JsonIs::NonNull));
        assert!(json_is_holds(at("/c/1"), JsonIs::Absent));
        assert!(!json_is_holds(at("/a"), JsonIs::Absent));
        assert!(json_is_holds(at("/a"), JsonIs::Present));
        assert!(json_is_holds(at("/c/0"), JsonIs::Present));
        assert!(!json_is_holds(at("/c/1"), JsonIs::Present));
        assert_eq!(
            describe_json_is("/a", JsonIs::NonNull),
            "/a is present and not null"
        );
        assert_eq!(describe_found("/b", at("/b")), "/b == 1");
        assert_eq!(describe_found("/q", None), "nothing at /q");
    }
}
