//! Authentication and workspace selection (D-AUTH, D-INTRO): every request
//! needs `Authorization: Bearer <token>` (missing or malformed → 401).
//!
//! A workspace-owned token implies its workspace. akua dialect: an
//! `akua-context` naming another workspace → 403 (digest §6.9, reference
//! choice). Alternate dialect: the header is ignored for such tokens, as the
//! docs say ("Only needed for broad tokens — a workspace-owned token implies
//! its workspace"), once its length is checked.
//!
//! A broad token covers several workspaces and `akua-context` selects one
//! (D-INTRO); one it does not cover → 403 (akua) / 404 (alternate); absent
//! → the first workspace it covers (reference choice).

use std::collections::HashMap;

use axum::http::HeaderMap;

use super::config::TokenGrant;
use super::errors::{ApiError, ErrorKind};
use super::world::Dialect;

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

/// What a token may act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grant {
    /// Covered workspaces, the default first (never empty).
    pub workspaces: Vec<String>,
    /// `akua-context` selects among `workspaces`.
    pub broad: bool,
}

impl Grant {
    /// Where the token acts without `akua-context`.
    pub(crate) fn default_workspace(&self) -> &str {
        self.workspaces.first().map_or("", String::as_str)
    }

    fn covers(&self, workspace: &str) -> bool {
        self.workspaces.iter().any(|w| w == workspace)
    }
}

/// How `akua-context` is honoured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContextRule {
    /// The contract (per dialect).
    Checked(Dialect),
    /// Fault `context-ignored`: never refused; a broad token acts in
    /// whatever workspace the header names.
    Unchecked,
}

/// The tokens the server accepts, by token.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tokens(HashMap<String, Grant>);

impl Tokens {
    /// From the configured grants (a grant without workspaces is skipped).
    pub(crate) fn new<'a>(grants: impl IntoIterator<Item = &'a TokenGrant>) -> Tokens {
        Tokens(
            grants
                .into_iter()
                .filter(|g| !g.workspaces.is_empty())
                .map(|g| {
                    (
                        g.token.clone(),
                        Grant {
                            workspaces: g.workspaces.clone(),
                            broad: g.broad,
                        },
                    )
                })
                .collect(),
        )
    }

    /// The grant of the request's bearer token.
    pub(crate) fn authenticate<'a>(
        &'a self,
        headers: &HeaderMap,
        scheme: Scheme,
    ) -> Result<&'a Grant, ApiError> {
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

/// The workspace a request acts in: the grant's, or the one `context`
/// selects; refused when the grant does not cover it.
pub(crate) fn workspace<'a>(
    grant: &'a Grant,
    context: Option<&'a str>,
    rule: ContextRule,
) -> Result<&'a str, ApiError> {
    let refuse = |dialect: Dialect| {
        // akua: 403, the reference's reading of "authenticated but not
        // allowed". Alternate: 404, which RFC 9110 allows so the workspace's
        // existence does not leak (digest §4.1 lenient column).
        let kind = match dialect {
            Dialect::Akua => ErrorKind::Forbidden,
            Dialect::Alternate => ErrorKind::NotFound,
        };
        Err(ApiError::new(
            kind,
            "the token does not cover the workspace named in akua-context",
        )
        .at("header", "akua-context"))
    };
    let own = grant.default_workspace();
    match (context, grant.broad, rule) {
        (None, _, _) => Ok(own),
        (Some(_), false, ContextRule::Unchecked) => Ok(own),
        (Some(ctx), true, ContextRule::Unchecked) => Ok(ctx),
        (Some(ctx), _, ContextRule::Checked(_)) if grant.covers(ctx) => Ok(ctx),
        // "a workspace-owned token implies its workspace"
        (Some(_), false, ContextRule::Checked(Dialect::Alternate)) => Ok(own),
        (Some(_), _, ContextRule::Checked(dialect)) => refuse(dialect),
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

    fn ws(g: &Grant) -> &str {
        g.default_workspace()
    }

    #[test]
    fn bearer_is_required_and_checked() {
        let t = Tokens::new(&[TokenGrant::workspace("tok", "ws_a")]);
        let ok = headers(&[("authorization", "Bearer tok")]);
        assert_eq!(ws(t.authenticate(&ok, Scheme::Bearer).unwrap()), "ws_a");
        let lower = headers(&[("authorization", "bearer tok")]);
        assert_eq!(ws(t.authenticate(&lower, Scheme::Bearer).unwrap()), "ws_a");
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
        assert_eq!(ws(t.authenticate(&token, Scheme::Any).unwrap()), "ws_a");
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
    }

    #[test]
    fn workspace_selection_per_token_kind_dialect_and_fault() {
        let owned = Grant {
            workspaces: vec!["ws_a".into()],
            broad: false,
        };
        let broad = Grant {
            workspaces: vec!["ws_a".into(), "ws_g".into()],
            broad: true,
        };
        let akua = ContextRule::Checked(Dialect::Akua);
        let alt = ContextRule::Checked(Dialect::Alternate);
        let kind = |r: Result<&str, ApiError>| r.unwrap_err().kind;
        // Workspace-owned tokens.
        assert_eq!(workspace(&owned, None, akua).unwrap(), "ws_a");
        assert_eq!(workspace(&owned, Some("ws_a"), akua).unwrap(), "ws_a");
        assert_eq!(
            kind(workspace(&owned, Some("ws_b"), akua)),
            ErrorKind::Forbidden
        );
        assert_eq!(workspace(&owned, Some("ws_b"), alt).unwrap(), "ws_a");
        assert_eq!(
            workspace(&owned, Some("ws_b"), ContextRule::Unchecked).unwrap(),
            "ws_a"
        );
        // Broad tokens.
        for rule in [akua, alt] {
            assert_eq!(workspace(&broad, None, rule).unwrap(), "ws_a");
            assert_eq!(workspace(&broad, Some("ws_g"), rule).unwrap(), "ws_g");
        }
        assert_eq!(
            kind(workspace(&broad, Some("ws_b"), akua)),
            ErrorKind::Forbidden
        );
        assert_eq!(
            kind(workspace(&broad, Some("ws_b"), alt)),
            ErrorKind::NotFound
        );
        assert_eq!(
            workspace(&broad, Some("ws_b"), ContextRule::Unchecked).unwrap(),
            "ws_b"
        );
    }
}
