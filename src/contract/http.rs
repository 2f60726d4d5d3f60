//! Checks on the HTTP envelope of a body: its Content-Type and, for
//! Operation responses, akua's ETag convention. Both need the exchange and
//! return `NotApplicable` without one.

use super::invariant::{Endpoint, Observation, Outcome};

/// HTTP-JSON-CONTENT-TYPE for one Operation body. List items (endpoint
/// `List`) are `NotApplicable`: the page's Content-Type is judged once by
/// [`json_content_type_any`] from `check_list`.
pub(crate) fn json_content_type(obs: &Observation<'_>) -> Outcome {
    if obs.endpoint == Endpoint::List {
        return Outcome::NotApplicable;
    }
    json_content_type_any(obs)
}

/// HTTP-JSON-CONTENT-TYPE for any body: `application/json` (parameters
/// allowed) or any `+json` type such as `application/problem+json`.
pub(crate) fn json_content_type_any(obs: &Observation<'_>) -> Outcome {
    let Some(response) = obs.exchange.and_then(|e| e.response.as_ref()) else {
        return Outcome::NotApplicable;
    };
    let Some(value) = response.header("content-type") else {
        return Outcome::Fail("no Content-Type header on a JSON body".into());
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let json_like = match essence.split_once('/') {
        Some((ty, sub)) => {
            !ty.is_empty() && (essence == "application/json" || sub.ends_with("+json"))
        }
        None => false,
    };
    if json_like {
        Outcome::Pass
    } else {
        Outcome::Fail(format!("Content-Type is {value:?}, not application/json"))
    }
}

/// OP-ETAG-HEADER: a 2xx Operation response from get, wait or cancel carries
/// a quoted entity-tag (`"x"` or `W/"x"`, RFC 9110 §8.8.3).
pub(crate) fn etag_header(obs: &Observation<'_>) -> Outcome {
    if !matches!(
        obs.endpoint,
        Endpoint::Get | Endpoint::Wait | Endpoint::Cancel
    ) {
        return Outcome::NotApplicable;
    }
    let Some(response) = obs.exchange.and_then(|e| e.response.as_ref()) else {
        return Outcome::NotApplicable;
    };
    if !(200..300).contains(&response.status) {
        return Outcome::NotApplicable;
    }
    match response.header("etag") {
        None => Outcome::Fail(format!("no ETag header on a {} response", response.status)),
        Some(tag) => {
            let opaque = tag.strip_prefix("W/").unwrap_or(tag);
            let quoted = opaque.len() >= 2
                && opaque.starts_with('"')
                && opaque.ends_with('"')
                && !opaque[1..opaque.len() - 1].contains('"');
            if quoted {
                Outcome::Pass
            } else {
                Outcome::Fail(format!("ETag is {tag:?}, not a quoted entity-tag"))
            }
        }
    }
}

/// HTTP-405-ALLOW: a 405 carries a non-empty `Allow` header (RFC 9110
/// §15.5.6). Any other status is `NotApplicable`.
pub(crate) fn allow_on_405(response: &crate::model::RecordedResponse) -> Outcome {
    if response.status != 405 {
        return Outcome::NotApplicable;
    }
    match response.header("allow") {
        Some(v) if v.split(',').any(|m| !m.trim().is_empty()) => Outcome::Pass,
        Some(v) => Outcome::Fail(format!("405 with an empty Allow header ({v:?})")),
        None => Outcome::Fail("405 without an Allow header".into()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::contract::invariant::Mode;
    use crate::model::Exchange;
    use serde_json::{Value, json};

    /// An exchange with this URL, status and response headers.
    pub(crate) fn exchange(url: &str, status: u16, headers: &[(&str, &str)]) -> Exchange {
        crate::model::samples::exchange("GET", url, status, headers)
    }

    fn run(
        f: fn(&Observation<'_>) -> Outcome,
        endpoint: Endpoint,
        exchange: Option<&Exchange>,
    ) -> Outcome {
        let body: Value = json!({});
        f(&Observation {
            body: &body,
            exchange,
            endpoint,
            mode: Mode::Strict,
        })
    }

    #[test]
    fn content_type_accepts_json_with_parameters_and_plus_json() {
        for ct in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/problem+json",
            "application/vnd.akua.operation+json; v=1",
        ] {
            let ex = exchange("http://x/v1/operations/op_1", 200, &[("Content-Type", ct)]);
            assert_eq!(
                run(json_content_type, Endpoint::Get, Some(&ex)),
                Outcome::Pass,
                "{ct}"
            );
        }
    }

    #[test]
    fn content_type_rejects_other_types_and_absence() {
        let ex = exchange("http://x", 200, &[("content-type", "text/plain")]);
        assert_eq!(
            run(json_content_type, Endpoint::Get, Some(&ex)),
            Outcome::Fail("Content-Type is \"text/plain\", not application/json".into())
        );
        let ex = exchange("http://x", 200, &[]);
        assert_eq!(
            run(json_content_type, Endpoint::Cancel, Some(&ex)),
            Outcome::Fail("no Content-Type header on a JSON body".into())
        );
        let ex = exchange("http://x", 200, &[("content-type", "+json")]);
        assert!(matches!(
            run(json_content_type, Endpoint::Get, Some(&ex)),
            Outcome::Fail(_)
        ));
    }

    #[test]
    fn content_type_needs_an_exchange_and_skips_list_items() {
        assert_eq!(
            run(json_content_type, Endpoint::Get, None),
            Outcome::NotApplicable
        );
        let ex = exchange("http://x", 200, &[("content-type", "text/html")]);
        assert_eq!(
            run(json_content_type, Endpoint::List, Some(&ex)),
            Outcome::NotApplicable
        );
        assert!(matches!(
            run(json_content_type_any, Endpoint::List, Some(&ex)),
            Outcome::Fail(_)
        ));
    }

    #[test]
    fn etag_must_be_a_quoted_entity_tag() {
        for tag in ["\"WzQ1Njc=\"", "W/\"v7\""] {
            let ex = exchange("http://x", 200, &[("ETag", tag)]);
            assert_eq!(
                run(etag_header, Endpoint::Get, Some(&ex)),
                Outcome::Pass,
                "{tag}"
            );
        }
        let ex = exchange("http://x", 202, &[("etag", "WzQ1Njc=")]);
        assert_eq!(
            run(etag_header, Endpoint::Cancel, Some(&ex)),
            Outcome::Fail("ETag is \"WzQ1Njc=\", not a quoted entity-tag".into())
        );
        let ex = exchange("http://x", 200, &[]);
        assert_eq!(
            run(etag_header, Endpoint::Wait, Some(&ex)),
            Outcome::Fail("no ETag header on a 200 response".into())
        );
    }

    #[test]
    fn etag_is_not_judged_on_errors_lists_or_without_exchange() {
        let ex = exchange("http://x", 404, &[]);
        assert_eq!(
            run(etag_header, Endpoint::Get, Some(&ex)),
            Outcome::NotApplicable
        );
        let ex = exchange("http://x", 200, &[]);
        assert_eq!(
            run(etag_header, Endpoint::List, Some(&ex)),
            Outcome::NotApplicable
        );
        assert_eq!(
            run(etag_header, Endpoint::Get, None),
            Outcome::NotApplicable
        );
    }

    #[test]
    fn a_405_names_its_methods() {
        let allow = |headers: &[(&str, &str)]| {
            let e = exchange("http://h/v1/operations/op_x", 405, headers);
            allow_on_405(e.response.as_ref().expect("response"))
        };
        assert_eq!(allow(&[("allow", "GET")]), Outcome::Pass);
        assert_eq!(allow(&[("Allow", "GET, HEAD")]), Outcome::Pass);
        assert!(matches!(allow(&[]), Outcome::Fail(m) if m.contains("without")));
        assert!(matches!(allow(&[("allow", " , ")]), Outcome::Fail(m) if m.contains("empty")));
        let ok = exchange("http://h/v1/operations/op_x", 404, &[]);
        assert_eq!(
            allow_on_405(ok.response.as_ref().expect("response")),
            Outcome::NotApplicable
        );
    }
}
