//! List pages judged item by item.
//!
//! A page of `GET /operations` is rarely byte-identical to an earlier one
//! (one item changed state, one more operation exists), but most of its
//! items are. [`is_clean`] judges each item's bytes once: an item already
//! judged clean is not parsed into a `Value`, schema-validated or run
//! through the Operation invariants again. The page itself is then checked
//! on a skeleton: its own fields in full, and of each item only the fields
//! that page-level checks read (`started_at`, for LIST-NEWEST-FIRST).
//!
//! The fast path only ever says "clean". Anything it cannot take (not an
//! object, `data` not an array, a malformed item) or anything that fails
//! sends the caller to the full check ([`super::property::judge_body`]),
//! which then produces the exact violations. A property test holds the two
//! to the same verdict on generated pages.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::case::BodyKind;
use crate::contract::{self, Endpoint, Invariant, Mode, Observation, Outcome, Schemas};
use crate::model::Exchange;

use super::body_cache::BodyCache;

/// Of one item, what page-level checks read (see `contract::list`). A new
/// page-level check that reads another item field must add it here; the
/// equivalence test fails until it does.
const SKELETON_FIELDS: [&str; 1] = ["started_at"];

/// True when any outcome fails (strict-only invariants count only in
/// strict mode; `ignore`d IDs never count).
fn fails(pairs: &[(&'static Invariant, Outcome)], mode: Mode, ignore: &[&str]) -> bool {
    pairs.iter().any(|(inv, outcome)| {
        matches!(outcome, Outcome::Fail(_))
            && !(inv.strict_only && mode == Mode::Lenient)
            && !ignore.contains(&inv.id)
    })
}

/// A page read in one pass: `data` as raw items, every other field parsed.
/// Duplicate keys: the last wins, as when parsing into a `Value`. A page
/// that is not an object, or whose `data` is not an array, does not parse.
struct RawPage<'a> {
    data: Option<Vec<&'a RawValue>>,
    rest: Map<String, Value>,
}

impl<'de> Deserialize<'de> for RawPage<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = RawPage<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list page object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RawPage<'de>, A::Error> {
                let mut page = RawPage {
                    data: None,
                    rest: Map::new(),
                };
                while let Some(key) = map.next_key::<String>()? {
                    if key == "data" {
                        page.data = Some(map.next_value()?);
                    } else {
                        page.rest.insert(key, map.next_value()?);
                    }
                }
                Ok(page)
            }
        }
        d.deserialize_map(Visit)
    }
}

/// Judges one item in full; its skeleton when clean.
fn judge_item(
    schemas: &Schemas,
    mode: Mode,
    raw: &RawValue,
    exchange: &Exchange,
    ignore: &[&str],
) -> Option<Value> {
    let item = serde_json::from_str::<Value>(raw.get()).ok()?;
    if !schemas.validate(BodyKind::Operation, &item).is_empty() {
        return None;
    }
    let obs = Observation {
        body: &item,
        exchange: Some(exchange),
        endpoint: Endpoint::List,
        mode,
    };
    if fails(&contract::check_operation(&obs), mode, ignore) {
        return None;
    }
    let fields: Map<String, Value> = SKELETON_FIELDS
        .iter()
        .filter_map(|k| Some((k.to_string(), item.get(k)?.clone())))
        .collect();
    Some(Value::Object(fields))
}

/// True when the page `body` passes the list schema, every list invariant
/// and, for each item, the Operation schema and invariants: what
/// `judge_body` would find clean. `false` means "judge it in full".
pub fn is_clean(
    schemas: &Schemas,
    mode: Mode,
    body: &[u8],
    exchange: &Exchange,
    items: &BodyCache,
    ignore: &[&str],
) -> bool {
    let Ok(RawPage {
        data: Some(raw_items),
        rest,
    }) = serde_json::from_slice::<RawPage<'_>>(body)
    else {
        return false;
    };
    let mut skeletons = Vec::with_capacity(raw_items.len());
    for raw in raw_items {
        // Item verdicts depend on the ignored IDs too; the session always
        // passes the same list for the same kind of page.
        let key = items.item_key(mode, ignore, raw.get());
        let skeleton = match items.clean_item(key) {
            Some(s) => s,
            None => {
                let Some(s) = judge_item(schemas, mode, raw, exchange, ignore) else {
                    return false;
                };
                items.mark_item_clean(key, s.clone());
                s
            }
        };
        skeletons.push(skeleton);
    }
    // The envelope against the list schema; the items were validated one
    // by one against the Operation schema its `data.items` refers to.
    let mut page = rest;
    page.insert("data".to_string(), Value::Array(Vec::new()));
    let mut page = Value::Object(page);
    if !schemas.validate(BodyKind::OperationList, &page).is_empty() {
        return false;
    }
    page["data"] = Value::Array(skeletons);
    let obs = Observation {
        body: &page,
        exchange: Some(exchange),
        endpoint: Endpoint::List,
        mode,
    };
    !fails(&contract::check_list(&obs), mode, ignore)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::samples::{cancelled, running, succeeded};
    use crate::fuzz::executor::Observed;
    use crate::fuzz::property::judge_body;
    use crate::model::{RecordedRequest, RecordedResponse};
    use proptest::prelude::*;
    use serde_json::json;
    use std::time::Duration;

    fn list_item(base: Value) -> Value {
        let mut item = base;
        if let Some(o) = item.as_object_mut() {
            o.remove("steps");
        }
        item
    }

    /// An item: valid (three states), or broken in one of many ways, with
    /// a started_at drawn from a small range so orders vary.
    fn item() -> impl Strategy<Value = Value> {
        (0..12u8, 0..4i64, 0..3u8).prop_map(|(how, t, id)| {
            let mut op = list_item(match how % 3 {
                0 => running(),
                1 => succeeded(),
                _ => cancelled(),
            });
            op["id"] = json!(format!("op_j572abc123def45{id}"));
            op["started_at"] = json!(1_767_000_000 + t);
            match how {
                3 => op["done"] = json!(true),
                4 => op["state"] = json!("PAUSED"),
                5 => op["steps"] = json!([]),
                6 => {
                    if let Some(o) = op.as_object_mut() {
                        o.remove("html_url");
                    }
                }
                7 => op["started_at"] = json!("yesterday"),
                8 => op = json!("not an operation"),
                _ => {}
            }
            op
        })
    }

    /// A page: valid, or broken at page level, with a `limit` in the URL
    /// and a Content-Type that may be wrong.
    fn page() -> impl Strategy<Value = (Vec<u8>, String, String)> {
        (
            prop::collection::vec(item(), 0..6),
            0..7u8,
            prop::option::of(1..6u8),
            0..3u8,
        )
            .prop_map(|(items, how, limit, ct)| {
                let mut page = json!({"data": items, "has_more": false, "next_cursor": null});
                match how {
                    1 => page["has_more"] = json!(true),
                    2 => page["next_cursor"] = json!(7),
                    3 => page["data"] = json!({"not": "an array"}),
                    4 => page = json!([1, 2]),
                    5 => page["extra"] = json!({"x": [1, 2]}),
                    _ => {}
                }
                let mut text = serde_json::to_string(&page).expect("json");
                if how == 6 {
                    // Duplicate keys: the last one counts.
                    text = text.replacen('{', r#"{"has_more":"x","#, 1);
                }
                let url = match limit {
                    Some(n) => format!("http://h/v1/operations?limit={n}"),
                    None => "http://h/v1/operations".to_string(),
                };
                let ct = [
                    "application/json",
                    "text/plain",
                    "application/json; charset=utf-8",
                ][usize::from(ct)];
                (text.into_bytes(), url, ct.to_string())
            })
    }

    fn judge(
        schemas: &Schemas,
        mode: Mode,
        cache: &BodyCache,
        (body, url, ct): &(Vec<u8>, String, String),
        ignore: &[&str],
    ) -> (bool, bool) {
        let headers = vec![("content-type".to_string(), ct.clone())];
        let seen = Observed {
            status: Some(200),
            headers: headers.clone(),
            body: body.clone(),
            error: None,
            timed_out: false,
            elapsed: Duration::ZERO,
        };
        let exchange = Exchange {
            request: RecordedRequest {
                method: "GET".into(),
                url: url.clone(),
                headers: vec![],
                body: None,
            },
            response: Some(RecordedResponse {
                status: 200,
                headers,
                body_excerpt: String::new(),
                body_truncated: false,
                body_bytes: body.len() as u64,
            }),
            error: None,
            elapsed_ms: 0,
            retries: 0,
            at_ms: 0,
        };
        let full = judge_body(schemas, mode, Endpoint::List, &seen, &exchange)
            .iter()
            .all(|v| ignore.contains(&v.invariant.as_str()));
        let fast = is_clean(schemas, mode, body, &exchange, cache, ignore);
        (fast, full)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// The fast path and the full check agree on every page, whether
        /// its items were judged before (warm) or not (cold), in both
        /// modes, with and without the newest-first exemption.
        #[test]
        fn fast_path_agrees_with_the_full_check(
            earlier in page(),
            now in page(),
            strict in any::<bool>(),
            exempt in any::<bool>(),
        ) {
            let schemas = Schemas::bundled().expect("schemas");
            let mode = if strict { Mode::Strict } else { Mode::Lenient };
            let ignore: &[&str] = if exempt { &["LIST-NEWEST-FIRST"] } else { &[] };
            let cache = BodyCache::new();
            let _ = judge(&schemas, mode, &cache, &earlier, ignore);
            let (fast, full) = judge(&schemas, mode, &cache, &now, ignore);
            prop_assert_eq!(fast, full, "page {}", String::from_utf8_lossy(&now.0));
            // Judged again, every item is now cached: same verdict.
            let (again, _) = judge(&schemas, mode, &cache, &now, ignore);
            prop_assert_eq!(again, full);
        }
    }

    #[test]
    fn a_cached_item_still_counts_towards_page_checks() {
        let schemas = Schemas::bundled().expect("schemas");
        let cache = BodyCache::new();
        let mut older = list_item(running());
        older["started_at"] = json!(1_767_000_000);
        let mut newer = list_item(succeeded());
        newer["started_at"] = json!(1_767_000_010);
        let good =
            json!({"data": [newer.clone(), older.clone()], "has_more": false, "next_cursor": null});
        let bad = json!({"data": [older, newer], "has_more": false, "next_cursor": null});
        let as_case = |v: &Value| {
            (
                serde_json::to_vec(v).expect("json"),
                "http://h/v1/operations?limit=1".to_string(),
                "application/json".to_string(),
            )
        };
        // Both items become cached as clean; the reversed page breaks
        // newest-first, and both pages break limit=1.
        assert_eq!(
            judge(&schemas, Mode::Lenient, &cache, &as_case(&good), &[]),
            (false, false)
        );
        let mut unlimited = as_case(&good);
        unlimited.1 = "http://h/v1/operations".into();
        assert_eq!(
            judge(&schemas, Mode::Lenient, &cache, &unlimited, &[]),
            (true, true)
        );
        let mut reversed = as_case(&bad);
        reversed.1 = "http://h/v1/operations".into();
        assert_eq!(
            judge(&schemas, Mode::Lenient, &cache, &reversed, &[]),
            (false, false)
        );
    }
}
