//! Which endpoint a request names, and which operation id: decided once,
//! here, for every driver (the runner's steps, the fuzzer's requests).

use crate::contract::Endpoint;

/// The endpoint and operation id a request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Which endpoint.
    pub endpoint: Endpoint,
    /// The operation id segment, percent-decoded (`None` for the list).
    pub op_id: Option<String>,
}

/// Classifies `method` + `path` (below the base URL; query allowed).
/// `%3A`/`%3a` count as `:` (the server must route them alike).
pub fn classify(method: &str, path: &str) -> Route {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let path = path.trim_end_matches('/');
    let other = Route {
        endpoint: Endpoint::Other,
        op_id: None,
    };
    if path == "/operations" {
        return Route {
            endpoint: if method.eq_ignore_ascii_case("GET") {
                Endpoint::List
            } else {
                Endpoint::Other
            },
            op_id: None,
        };
    }
    let Some(rest) = path.strip_prefix("/operations/") else {
        return other;
    };
    if rest.contains('/') {
        return other;
    }
    let decoded = percent_encoding::percent_decode_str(rest)
        .decode_utf8_lossy()
        .into_owned();
    let (id, verb) = match decoded.rsplit_once(':') {
        Some((id, verb)) => (id.to_string(), Some(verb.to_string())),
        None => (decoded, None),
    };
    let endpoint = match (method.to_ascii_uppercase().as_str(), verb.as_deref()) {
        ("POST", Some("cancel")) => Endpoint::Cancel,
        ("POST", Some("wait")) => Endpoint::Wait,
        ("GET", None) => Endpoint::Get,
        _ => Endpoint::Other,
    };
    Route {
        endpoint,
        op_id: Some(id),
    }
}

/// The route of an absolute request `url` on a target whose base URL has
/// the path `base_path` (e.g. `/v1`): the path below it, as sent.
pub fn route_of_url(method: &str, url: &str, base_path: &str) -> Route {
    // The path as sent (no re-encoding): after the authority.
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    let base = base_path.trim_end_matches('/');
    let below = path.strip_prefix(base).unwrap_or(path);
    classify(method, below)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_all_four_and_encodings() {
        assert_eq!(
            classify("GET", "/operations?limit=1").endpoint,
            Endpoint::List
        );
        let c = classify("POST", "/operations/op_1%3Acancel");
        assert_eq!(c.endpoint, Endpoint::Cancel);
        assert_eq!(c.op_id.as_deref(), Some("op_1"));
        assert_eq!(
            classify("POST", "/operations/op_1%3await?timeout=1").endpoint,
            Endpoint::Wait
        );
        assert_eq!(classify("GET", "/operations/op_1").endpoint, Endpoint::Get);
        assert_eq!(
            classify("GET", "/operations/op_1").op_id.as_deref(),
            Some("op_1")
        );
        assert_eq!(
            classify("DELETE", "/operations/op_1").endpoint,
            Endpoint::Other
        );
        assert_eq!(classify("GET", "/elsewhere").endpoint, Endpoint::Other);
    }

    #[test]
    fn urls_are_classified_below_the_base_path_as_sent() {
        let r = route_of_url("POST", "http://h:1/v1/operations/op_1%3Acancel?x=1", "/v1");
        assert_eq!(
            (r.endpoint, r.op_id.as_deref()),
            (Endpoint::Cancel, Some("op_1"))
        );
        assert_eq!(
            route_of_url("GET", "https://h/api/v1/operations", "/api/v1/").endpoint,
            Endpoint::List
        );
        assert_eq!(
            route_of_url("GET", "http://h/v1", "/v1").endpoint,
            Endpoint::Other
        );
    }
}
