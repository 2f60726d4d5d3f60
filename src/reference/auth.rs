//! Authentication and workspace selection (D-AUTH, D-INTRO): every request
//! needs `Authorization: Bearer <token>` (missing or malformed → 401); a
//! workspace token implies its workspace; an `akua-context` naming another
//! workspace → 403 (digest §6.9, reference choice).

use std::collections::HashMap;

use axum::http::HeaderMap;

use super::errors::{ApiError, ErrorKind};

/// Documented bounds of `akua-context` (1–53).
pub(crate) const CONTEXT_MAX: usize = 53;

/// How strictly the scheme is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// `Bearer` required (case-insensitive, RFC 9110 §11.1).
    Bearer,
    /// Any scheme or none (fault `auth-any-scheme`).
    Any,
}

/// The tokens the server accepts, by token.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tokens(HashMap<String, String>);

impl Tokens {
    /// From (token, workspace) pairs.
    pub(crate) fn new<'a>(grants: impl IntoIterator<Item = (&'a str, &'a str)>) -> Tokens {
        Tokens(
            grants
                .into_iter()
                .map(|(t, w)| (t.to_string(), w.to_string()))
                .collect(),
        )
    }

    /// The workspace of the request's bearer token.
    pub(crate) fn authenticate<'a>(
        &'a self,
        headers: &HeaderMap,
        scheme: Scheme,
    ) -> Result<&'a str, ApiError> {
        let unauthenticated = |m: &str| ApiError::new(ErrorKind::Unauthenticated, m);
        let value = headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| unauthenticated("missing Authorization: Bearer token"))?
            .to_str()
            .map_err(|_| unauthenticated("malformed Authorization header"))?;
        let token = match value.split_once(' ') {
            Some((s, t)) if s.eq_ignore_ascii_case("bearer") => t.trim(),
            Some((_, t)) if scheme == Scheme::Any => t.trim(),
            None if scheme == Scheme::Any => value.trim(),
            _ => return Err(unauthenticated("Authorization must be `Bearer <token>`")),
        };
        self.0
            .get(token)
            .map(String::as_str)
            .ok_or_else(|| unauthenticated("unknown or revoked token"))
    }
}

/// The `akua-context` header after its length check: None when absent.
pub(crate) fn context_header(
    headers: &HeaderMap,
    check_length: bool,
) -> Result<Option<&str>, ApiError> {
    let Some(raw) = headers.get("akua-context") else {
        return Ok(None);
    };
    let invalid =
        |m: &str| ApiError::new(ErrorKind::InvalidContext, m).at("header", "akua-context");
    let value = raw
        .to_str()
        .map_err(|_| invalid("akua-context must be visible ASCII"))?;
    let len = value.chars().count();
    if check_length && !(1..=CONTEXT_MAX).contains(&len) {
        return Err(invalid(&format!(
            "akua-context must be 1-{CONTEXT_MAX} characters, got {len}"
        )));
    }
    Ok(Some(value))
}

/// 403 when `context` names a workspace other than the token's.
pub(crate) fn check_context(context: Option<&str>, workspace: &str) -> Result<(), ApiError> {
    match context {
        Some(ctx) if ctx != workspace => Err(ApiError::new(
            ErrorKind::Forbidden,
            "the token does not cover the workspace named in akua-context",
        )
        .at("header", "akua-context")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn bearer_is_required_and_checked() {
        let t = Tokens::new([("tok", "ws_a")]);
        let ok = headers(&[("authorization", "Bearer tok")]);
        assert_eq!(t.authenticate(&ok, Scheme::Bearer).unwrap(), "ws_a");
        let lower = headers(&[("authorization", "bearer tok")]);
        assert_eq!(t.authenticate(&lower, Scheme::Bearer).unwrap(), "ws_a");
        for bad in ["tok", "Token tok", "Bearer nope", "Bearer"] {
            let h = headers(&[("authorization", bad)]);
            assert_eq!(
                t.authenticate(&h, Scheme::Bearer).unwrap_err().kind,
                ErrorKind::Unauthenticated,
                "{bad}"
            );
        }
        assert!(t.authenticate(&HeaderMap::new(), Scheme::Bearer).is_err());
        let token = headers(&[("authorization", "Token tok")]);
        assert_eq!(t.authenticate(&token, Scheme::Any).unwrap(), "ws_a");
    }

    #[test]
    fn context_bounds_and_foreign_workspace() {
        assert_eq!(context_header(&HeaderMap::new(), true).unwrap(), None);
        let h = headers(&[("akua-context", "ws_a")]);
        assert_eq!(context_header(&h, true).unwrap(), Some("ws_a"));
        let long = headers(&[(
            "akua-context",
            "ws_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        )]);
        assert_eq!(
            context_header(&long, true).unwrap_err().kind,
            ErrorKind::InvalidContext
        );
        assert!(context_header(&long, false).is_ok());
        assert!(check_context(Some("ws_a"), "ws_a").is_ok());
        assert!(check_context(None, "ws_a").is_ok());
        assert_eq!(
            check_context(Some("ws_b"), "ws_a").unwrap_err().kind,
            ErrorKind::Forbidden
        );
    }
}
