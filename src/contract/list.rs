//! Body checks over one OperationList page (akua-operations.md §1.4, §1.5).
//! Each item is also an Operation; the runner applies the Operation checks
//! to items separately.

use serde_json::Value;

use super::invariant::{Observation, Outcome};
use super::json::{join_problems, kind, show};

/// Items per page when the request names no `limit`.
pub(crate) const DEFAULT_LIMIT: u64 = 50;
/// Largest page the contract allows.
pub(crate) const MAX_LIMIT: u64 = 100;

/// A page key, a test of its value, and what the test expects.
type KeyRule = (&'static str, fn(&Value) -> bool, &'static str);

/// LIST-SHAPE: `data` array, `has_more` boolean, `next_cursor` string or null.
pub(crate) fn shape(obs: &Observation<'_>) -> Outcome {
    let Some(page) = obs.body.as_object() else {
        return Outcome::Fail(format!(
            "body is {} ({}), expected an object {{data, has_more, next_cursor}}",
            kind(obs.body),
            show(obs.body)
        ));
    };
    let mut problems = Vec::new();
    let checks: [KeyRule; 3] = [
        ("data", Value::is_array, "an array"),
        ("has_more", Value::is_boolean, "a boolean"),
        (
            "next_cursor",
            |v| v.is_string() || v.is_null(),
            "a string or null",
        ),
    ];
    for (key, ok, expected) in checks {
        match page.get(key) {
            None => problems.push(format!("{key} is missing")),
            Some(v) if ok(v) => {}
            Some(v) => problems.push(format!(
                "{key} is {} ({}), expected {expected}",
                kind(v),
                show(v)
            )),
        }
    }
    if problems.is_empty() {
        Outcome::Pass
    } else {
        Outcome::Fail(join_problems(&problems))
    }
}

/// LIST-CURSOR-END: `next_cursor` is null exactly when `has_more` is false.
pub(crate) fn cursor_end(obs: &Observation<'_>) -> Outcome {
    let has_more = obs.body.get("has_more").and_then(Value::as_bool);
    let cursor = obs
        .body
        .get("next_cursor")
        .filter(|c| c.is_null() || c.is_string());
    match (has_more, cursor) {
        (Some(true), Some(Value::Null)) => {
            Outcome::Fail("has_more is true but next_cursor is null".into())
        }
        (Some(false), Some(c @ Value::String(_))) => {
            Outcome::Fail(format!("has_more is false but next_cursor is {}", show(c)))
        }
        (Some(_), Some(_)) => Outcome::Pass,
        _ => Outcome::NotApplicable,
    }
}

/// The page size the request asked for, as the contract caps it: default 50,
/// at most 100. `None` when the request's `limit` is invalid (rejecting or
/// coercing it is LIST-LIMIT-BOUNDS' business).
fn requested_limit(obs: &Observation<'_>) -> Option<(u64, String)> {
    let Some(exchange) = obs.exchange else {
        return Some((MAX_LIMIT, format!("the maximum {MAX_LIMIT}")));
    };
    let Ok(url) = url::Url::parse(&exchange.request.url) else {
        return Some((MAX_LIMIT, format!("the maximum {MAX_LIMIT}")));
    };
    let limit = url
        .query_pairs()
        .filter(|(k, _)| k == "limit")
        .last()
        .map(|(_, v)| v.into_owned());
    match limit {
        None => Some((DEFAULT_LIMIT, format!("the default {DEFAULT_LIMIT}"))),
        Some(text) => match text.parse::<u64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Some((n, format!("limit={n}"))),
            Ok(n) if n > MAX_LIMIT => Some((
                MAX_LIMIT,
                format!("limit={n} coerced to the maximum {MAX_LIMIT}"),
            )),
            _ => None,
        },
    }
}

/// LIST-LIMIT: a page has at most `limit` items (default 50, never more
/// than 100).
pub(crate) fn limit(obs: &Observation<'_>) -> Outcome {
    let Some(data) = obs.body.get("data").and_then(Value::as_array) else {
        return Outcome::NotApplicable;
    };
    let Some((max, why)) = requested_limit(obs) else {
        return Outcome::NotApplicable;
    };
    if data.len() as u64 <= max {
        Outcome::Pass
    } else {
        Outcome::Fail(format!("page has {} items, more than {why}", data.len()))
    }
}

/// LIST-NEWEST-FIRST: `started_at` never increases along the page.
pub(crate) fn newest_first(obs: &Observation<'_>) -> Outcome {
    let Some(data) = obs.body.get("data").and_then(Value::as_array) else {
        return Outcome::NotApplicable;
    };
    let stamps: Vec<(usize, f64)> = data
        .iter()
        .enumerate()
        .filter_map(|(i, item)| Some((i, item.get("started_at")?.as_f64()?)))
        .collect();
    if stamps.len() < 2 {
        return Outcome::NotApplicable;
    }
    for pair in stamps.windows(2) {
        let ((i, older), (j, newer)) = (pair[0], pair[1]);
        if newer > older {
            return Outcome::Fail(format!(
                "data[{j}].started_at {newer} is newer than data[{i}].started_at {older}"
            ));
        }
    }
    Outcome::Pass
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::http::tests::exchange;
    use crate::contract::invariant::{Endpoint, Mode};
    use crate::model::Exchange;
    use serde_json::json;

    fn obs<'a>(body: &'a Value, exchange: Option<&'a Exchange>) -> Observation<'a> {
        Observation {
            body,
            exchange,
            endpoint: Endpoint::List,
            mode: Mode::Lenient,
        }
    }

    fn page(n: usize, has_more: bool, cursor: Value) -> Value {
        let data: Vec<Value> = (0..n)
            .map(|i| json!({"id": format!("op_{i}"), "started_at": 1000 - i as u64}))
            .collect();
        json!({"data": data, "has_more": has_more, "next_cursor": cursor})
    }

    #[test]
    fn shape_passes_a_page_and_names_every_problem() {
        assert_eq!(
            shape(&obs(&page(2, false, Value::Null), None)),
            Outcome::Pass
        );
        assert_eq!(
            shape(&obs(&json!({"data": {}, "next_cursor": 5}), None)),
            Outcome::Fail(
                "data is an object ({}), expected an array; has_more is missing; \
                 next_cursor is a number (5), expected a string or null"
                    .into()
            )
        );
        assert!(matches!(shape(&obs(&json!([]), None)), Outcome::Fail(_)));
    }

    #[test]
    fn cursor_end_pairs_has_more_with_the_cursor() {
        assert_eq!(
            cursor_end(&obs(&page(1, false, Value::Null), None)),
            Outcome::Pass
        );
        assert_eq!(
            cursor_end(&obs(&page(1, true, json!("c1")), None)),
            Outcome::Pass
        );
        assert_eq!(
            cursor_end(&obs(&page(1, true, Value::Null), None)),
            Outcome::Fail("has_more is true but next_cursor is null".into())
        );
        assert_eq!(
            cursor_end(&obs(&page(1, false, json!("c1")), None)),
            Outcome::Fail("has_more is false but next_cursor is \"c1\"".into())
        );
        assert_eq!(cursor_end(&obs(&json!({}), None)), Outcome::NotApplicable);
    }

    #[test]
    fn limit_uses_the_request_default_and_the_maximum() {
        let ex = exchange("http://h/v1/operations?limit=2", 200, &[]);
        assert_eq!(
            limit(&obs(&page(2, true, json!("c")), Some(&ex))),
            Outcome::Pass
        );
        assert_eq!(
            limit(&obs(&page(3, true, json!("c")), Some(&ex))),
            Outcome::Fail("page has 3 items, more than limit=2".into())
        );
        let ex = exchange("http://h/v1/operations", 200, &[]);
        assert_eq!(
            limit(&obs(&page(51, true, json!("c")), Some(&ex))),
            Outcome::Fail("page has 51 items, more than the default 50".into())
        );
        let ex = exchange("http://h/v1/operations?limit=500", 200, &[]);
        assert_eq!(
            limit(&obs(&page(100, true, json!("c")), Some(&ex))),
            Outcome::Pass
        );
        assert_eq!(
            limit(&obs(&page(101, true, json!("c")), Some(&ex))),
            Outcome::Fail(
                "page has 101 items, more than limit=500 coerced to the maximum 100".into()
            )
        );
        let ex = exchange("http://h/v1/operations?limit=abc", 200, &[]);
        assert_eq!(
            limit(&obs(&page(101, true, json!("c")), Some(&ex))),
            Outcome::NotApplicable
        );
        assert!(matches!(
            limit(&obs(&page(101, true, json!("c")), None)),
            Outcome::Fail(_)
        ));
    }

    #[test]
    fn newest_first_wants_non_increasing_started_at() {
        assert_eq!(
            newest_first(&obs(&page(3, false, Value::Null), None)),
            Outcome::Pass
        );
        let ties = json!({"data": [{"started_at": 5}, {"started_at": 5}]});
        assert_eq!(newest_first(&obs(&ties, None)), Outcome::Pass);
        let bad = json!({"data": [{"started_at": 5}, {"started_at": 4}, {"started_at": 9}]});
        assert_eq!(
            newest_first(&obs(&bad, None)),
            Outcome::Fail("data[2].started_at 9 is newer than data[1].started_at 4".into())
        );
        assert_eq!(
            newest_first(&obs(&page(1, false, Value::Null), None)),
            Outcome::NotApplicable
        );
    }
}
