//! Applying the catalogue's body checks to one body.
//!
//! Each function returns one `(invariant, outcome)` pair per matching
//! catalogue entry, in catalogue order, INCLUDING `NotApplicable` outcomes
//! (filtering them is the caller's business) and including `strict_only`
//! entries (the caller records those as skipped in lenient mode).

use super::catalogue::id;
use super::catalogue::{catalogue, find};
use super::http;
use super::invariant::{Check, Invariant, Observation, Outcome};

/// The ID whose check applies to every kind of JSON body.
const CONTENT_TYPE_ID: &str = id::HTTP_JSON_CONTENT_TYPE;

/// Every `Check::Operation` invariant applied to one Operation body.
///
/// Call it for get, wait and cancel bodies with their endpoint, and for each
/// list item with `Endpoint::List` (then OP-STEPS-OFF-LIST applies, and the
/// page-level Content-Type is left to [`check_list`]).
///
/// ```
/// use opconform::contract::{check_operation, Endpoint, Mode, Observation, Outcome};
/// let body = serde_json::json!({"state": "CANCELLED", "done": false});
/// let obs = Observation { body: &body, exchange: None, endpoint: Endpoint::Get, mode: Mode::Lenient };
/// let done = check_operation(&obs)
///     .into_iter()
///     .find(|(inv, _)| inv.id == "OP-DONE-TERMINAL")
///     .map(|(_, outcome)| outcome);
/// assert_eq!(done, Some(Outcome::Fail("done is false but state is \"CANCELLED\"".into())));
/// ```
pub fn check_operation(obs: &Observation<'_>) -> Vec<(&'static Invariant, Outcome)> {
    catalogue()
        .iter()
        .filter_map(|inv| match inv.check {
            Check::Operation(f) => Some((inv, f(obs))),
            _ => None,
        })
        .collect()
}

/// Every `Check::List` invariant applied to one OperationList body, plus
/// HTTP-JSON-CONTENT-TYPE for the page (the runner also calls
/// [`check_operation`] on each item).
pub fn check_list(obs: &Observation<'_>) -> Vec<(&'static Invariant, Outcome)> {
    let mut out: Vec<(&'static Invariant, Outcome)> = catalogue()
        .iter()
        .filter_map(|inv| match inv.check {
            Check::List(f) => Some((inv, f(obs))),
            _ => None,
        })
        .collect();
    out.extend(content_type(obs));
    out
}

/// Every `Check::Error` invariant applied to one 4xx body, plus
/// HTTP-JSON-CONTENT-TYPE (`application/problem+json` is accepted).
pub fn check_error(obs: &Observation<'_>) -> Vec<(&'static Invariant, Outcome)> {
    let mut out: Vec<(&'static Invariant, Outcome)> = catalogue()
        .iter()
        .filter_map(|inv| match inv.check {
            Check::Error(f) => Some((inv, f(obs))),
            _ => None,
        })
        .collect();
    out.extend(content_type(obs));
    out
}

fn content_type(obs: &Observation<'_>) -> Option<(&'static Invariant, Outcome)> {
    find(CONTENT_TYPE_ID).map(|inv| (inv, http::json_content_type_any(obs)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::http::tests::exchange;
    use crate::contract::invariant::{Endpoint, Mode};
    use crate::contract::operation::tests::{cancelled, running};
    use serde_json::{Value, json};

    fn obs<'a>(
        body: &'a Value,
        endpoint: Endpoint,
        exchange: Option<&'a crate::model::Exchange>,
    ) -> Observation<'a> {
        Observation {
            body,
            exchange,
            endpoint,
            mode: Mode::Lenient,
        }
    }

    fn failures(pairs: &[(&'static Invariant, Outcome)]) -> Vec<&'static str> {
        pairs
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Fail(_)))
            .map(|(inv, _)| inv.id)
            .collect()
    }

    #[test]
    fn operation_checks_cover_every_operation_entry_and_pass_a_valid_body() {
        let ex = exchange(
            "http://h/v1/operations/op_1",
            200,
            &[("content-type", "application/json"), ("etag", "\"1\"")],
        );
        let body = cancelled();
        let pairs = check_operation(&obs(&body, Endpoint::Get, Some(&ex)));
        let expected = catalogue()
            .iter()
            .filter(|i| matches!(i.check, Check::Operation(_)))
            .count();
        assert_eq!(pairs.len(), expected);
        assert_eq!(failures(&pairs), Vec::<&str>::new());
    }

    #[test]
    fn one_wrong_field_fails_exactly_its_owner() {
        let mut body = running();
        body["done"] = json!(true);
        body["completed_at"] = json!(1_767_000_001);
        let pairs = check_operation(&obs(&body, Endpoint::Get, None));
        assert_eq!(failures(&pairs), vec!["OP-DONE-TERMINAL"]);
    }

    #[test]
    fn list_and_error_include_the_content_type_check() {
        let ex = exchange(
            "http://h/v1/operations",
            200,
            &[("content-type", "text/html")],
        );
        let page = json!({"data": [], "has_more": false, "next_cursor": null});
        let pairs = check_list(&obs(&page, Endpoint::List, Some(&ex)));
        assert_eq!(failures(&pairs), vec!["HTTP-JSON-CONTENT-TYPE"]);
        let ex = exchange(
            "http://h",
            404,
            &[("content-type", "application/problem+json")],
        );
        let err = json!({"error": {"code": "not_found", "message": "no"}});
        let pairs = check_error(&obs(&err, Endpoint::Cancel, Some(&ex)));
        assert_eq!(pairs.len(), 2);
        assert_eq!(failures(&pairs), Vec::<&str>::new());
        let pairs = check_error(&obs(&json!({"oops": 1}), Endpoint::Cancel, None));
        assert_eq!(failures(&pairs), vec!["ERR-ENVELOPE"]);
    }

    fn arb_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| json!(f)),
            prop_oneof![
                Just("RUNNING".to_string()),
                Just("CANCELLED".to_string()),
                Just("machine".to_string()),
                ".{0,60}",
            ]
            .prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 8, |inner| {
            let keys = prop_oneof![
                Just("state".to_string()),
                Just("done".to_string()),
                Just("steps".to_string()),
                Just("data".to_string()),
                Just("started_at".to_string()),
                Just("completed_at".to_string()),
                Just("metadata".to_string()),
                Just("response".to_string()),
                Just("error".to_string()),
                Just("errors".to_string()),
                Just("owner_type".to_string()),
                Just("html_url".to_string()),
                "[a-z_]{1,8}",
            ];
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(keys, inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 256,
            failure_persistence: None,
            ..proptest::test_runner::Config::default()
        })]
        /// Hostile bodies never panic a check, and every failure says something.
        #[test]
        fn checks_never_panic_on_any_json(body in arb_json()) {
            let ex = exchange("http://h/v1/operations?limit=7", 200, &[("content-type", "text/plain")]);
            for endpoint in [Endpoint::Get, Endpoint::List, Endpoint::Cancel, Endpoint::Wait] {
                let o = obs(&body, endpoint, Some(&ex));
                for (_, outcome) in check_operation(&o).into_iter().chain(check_list(&o)).chain(check_error(&o)) {
                    if let Outcome::Fail(text) = outcome {
                        proptest::prop_assert!(!text.is_empty());
                    }
                }
            }
        }
    }
}
