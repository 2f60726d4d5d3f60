//! Turning one response into [`CheckResult`]s: statuses, schemas, body
//! invariants, JSON pointers and headers.

use serde_json::Value;

use crate::case::{BodyKind, JsonIs, StatusExpect};
use crate::contract::{self, Endpoint, Mode, Schemas, StatusSets};
use crate::judge;
use crate::model::{CheckResult, Exchange};

/// A check attributed to `invariant`; recorded as skipped when the invariant
/// is strict-only and the run is lenient (the judge's rule,
/// [`crate::judge::verdict`]).
pub fn check(
    invariant: &str,
    passed: bool,
    expected: impl Into<String>,
    actual: impl Into<String>,
    exchange: Option<usize>,
    mode: Mode,
) -> CheckResult {
    record(
        judge::finding(invariant, passed, expected, actual, mode),
        exchange,
    )
}

/// A judge's finding as a check of the exchange at `exchange`.
pub fn record(f: judge::Finding, exchange: Option<usize>) -> CheckResult {
    CheckResult {
        invariant: f.invariant,
        verdict: f.verdict,
        expected: f.expected,
        actual: f.actual,
        exchange,
        elapsed_ms: None,
        kind: Default::default(),
    }
}

/// The statuses `expect` accepts in `mode`; `lookup` gives an invariant's
/// catalogue sets.
pub fn accepted_statuses(
    expect: &StatusExpect,
    mode: Mode,
    lookup: impl Fn(&str) -> Option<StatusSets>,
) -> Result<Vec<u16>, String> {
    match expect {
        StatusExpect::Invariant(id) => lookup(id)
            .map(|sets| sets.accepted(mode))
            .ok_or_else(|| format!("the catalogue gives no status sets for {id}")),
        StatusExpect::List(list) => {
            let mut v = list.clone();
            v.sort_unstable();
            v.dedup();
            Ok(v)
        }
        StatusExpect::Sets { strict, lenient } => {
            let mut v = strict.clone();
            if mode == Mode::Lenient {
                v.extend_from_slice(lenient);
            }
            v.sort_unstable();
            v.dedup();
            Ok(v)
        }
    }
}

/// Catalogue lookup for [`accepted_statuses`].
pub fn catalogue_statuses(id: &str) -> Option<StatusSets> {
    contract::find(id).and_then(|inv| inv.statuses)
}

pub use crate::judge::{inferred_kind, kind_fits as body_kind_fits};

/// Every rule the judge applies to one response except its status
/// expectation (see [`crate::judge::response`]), as checks of the exchange
/// at `index`.
pub fn body_checks(
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

/// What `is` expects at a pointer, for messages: `/next_cursor is null`.
pub fn describe_json_is(pointer: &str, is: JsonIs) -> String {
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
pub fn json_is_holds(got: Option<&Value>, is: JsonIs) -> bool {
    match is {
        JsonIs::Null => got == Some(&Value::Null),
        JsonIs::NonNull => got.is_some_and(|v| !v.is_null()),
        JsonIs::Absent => got.is_none(),
        JsonIs::Present => got.is_some(),
    }
}

/// What was at a pointer, for messages: `/x == 1` or `nothing at /x`.
pub fn describe_found(pointer: &str, got: Option<&Value>) -> String {
    match got {
        Some(g) => format!("{pointer} == {}", short(g)),
        None => format!("nothing at {pointer}"),
    }
}

/// Short JSON text for messages.
pub fn short(value: &Value) -> String {
    let s = value.to_string();
    if s.len() > 200 {
        let mut cut = 200;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}...", &s[..cut])
    } else {
        s
    }
}

/// Pointer-by-pointer differences between two JSON values (at most `max`).
pub fn json_diff(before: &Value, after: &Value, max: usize) -> Vec<String> {
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
    use super::*;

    const SETS: StatusSets = StatusSets {
        strict: &[422],
        lenient_extra: &[400, 409],
    };

    #[test]
    fn invariant_sets_follow_the_mode() {
        let lookup = |id: &str| (id == "X").then_some(SETS);
        let e = StatusExpect::Invariant("X".into());
        assert_eq!(
            accepted_statuses(&e, Mode::Strict, lookup).unwrap(),
            vec![422]
        );
        assert_eq!(
            accepted_statuses(&e, Mode::Lenient, lookup).unwrap(),
            vec![400, 409, 422]
        );
        let missing = StatusExpect::Invariant("Y".into());
        assert!(accepted_statuses(&missing, Mode::Lenient, lookup).is_err());
    }

    #[test]
    fn explicit_sets_and_lists() {
        let e = StatusExpect::Sets {
            strict: vec![202],
            lenient: vec![200],
        };
        let none = |_: &str| None;
        assert_eq!(
            accepted_statuses(&e, Mode::Strict, none).unwrap(),
            vec![202]
        );
        assert_eq!(
            accepted_statuses(&e, Mode::Lenient, none).unwrap(),
            vec![200, 202]
        );
        let l = StatusExpect::List(vec![404, 403, 404]);
        assert_eq!(
            accepted_statuses(&l, Mode::Strict, none).unwrap(),
            vec![403, 404]
        );
    }

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

    #[test]
    fn diff_names_the_pointers() {
        let a = serde_json::json!({"state": "RUNNING", "done": false, "x": [1, 2]});
        let b = serde_json::json!({"state": "CANCELLED", "done": false, "x": [1, 3], "y": 1});
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
}
