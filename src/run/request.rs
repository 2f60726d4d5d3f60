//! Building the HTTP request of a step: templating, URL, auth, headers.

use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::case::{Auth, Request};

use super::template::{Renderer, TemplateError, Vars};
use crate::judge::route::{Route, classify};
use crate::target::{OutgoingRequest, may_name};

/// `Authorization` value sent for [`Auth::Malformed`].
pub const MALFORMED_AUTH: &str = "Basic b3Bjb25mb3Jt";
/// `Authorization` value sent for [`Auth::Invalid`].
pub const INVALID_AUTH: &str = "Bearer sk_akua_opconform_invalid_token";

/// The scheme [`Auth::WrongScheme`] puts before the run's token.
pub const WRONG_SCHEME: &str = "Token";

/// Query values are encoded except RFC 3986 unreserved characters.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Credentials and defaults every request of a run carries.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// The run's token.
    pub token: Option<String>,
    /// The second workspace's token.
    pub foreign_token: Option<String>,
    /// A broad (multi-workspace) token.
    pub broad_token: Option<String>,
    /// Default `akua-context`.
    pub context: Option<String>,
}

/// Why a request could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildError {
    /// A template failed to render (a case bug, or a missing capture).
    Template(TemplateError),
    /// The case cannot run here (missing token), or would name an operation
    /// the run does not own.
    Unavailable(String),
}

/// A built request and what it names.
#[derive(Debug, Clone)]
pub struct Built {
    /// The request.
    pub outgoing: OutgoingRequest,
    /// Endpoint and operation id.
    pub route: Route,
}

/// The `Authorization` header value for `auth`.
pub fn auth_header(auth: Auth, creds: &Credentials) -> Result<Option<String>, String> {
    match auth {
        Auth::Token => creds
            .token
            .as_ref()
            .map(|t| Some(format!("Bearer {t}")))
            .ok_or_else(|| "no token: pass --token or set AKUA_TOKEN".to_string()),
        Auth::WrongScheme => creds
            .token
            .as_ref()
            .map(|t| Some(format!("{WRONG_SCHEME} {t}")))
            .ok_or_else(|| "no token: pass --token or set AKUA_TOKEN".to_string()),
        Auth::None => Ok(None),
        Auth::Malformed => Ok(Some(MALFORMED_AUTH.to_string())),
        Auth::Invalid => Ok(Some(INVALID_AUTH.to_string())),
        Auth::Foreign => creds
            .foreign_token
            .as_ref()
            .map(|t| Some(format!("Bearer {t}")))
            .ok_or_else(|| {
                "no foreign token: pass --foreign-token or set AKUA_FOREIGN_TOKEN".to_string()
            }),
        Auth::Broad => creds
            .broad_token
            .as_ref()
            .map(|t| Some(format!("Bearer {t}")))
            .ok_or_else(|| {
                "no broad token: pass --broad-token or set AKUA_BROAD_TOKEN".to_string()
            }),
    }
}

/// `base` + `path` exactly as written, plus encoded query parameters.
pub fn join_url(base: &str, path: &str, query: &[(String, String)]) -> String {
    let mut url = format!("{}{}", base.trim_end_matches('/'), path);
    for (k, v) in query {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&utf8_percent_encode(k, QUERY).to_string());
        url.push('=');
        url.push_str(&utf8_percent_encode(v, QUERY).to_string());
    }
    url
}

/// Renders and assembles one request.
pub fn build(
    renderer: &Renderer,
    req: &Request,
    vars: &Vars,
    base_url: &str,
    creds: &Credentials,
    default_timeout: Duration,
) -> Result<Built, BuildError> {
    let render = |s: &str| {
        renderer.render(s, vars).map_err(|e| {
            if s.contains("workspace_id")
                && vars.fixtures.values().any(|f| f.workspace_id.is_none())
            {
                BuildError::Unavailable(
                    "the fixture's workspace is unknown (the fixture provider's answer carries \
                     no workspace_id, or static ids were given)"
                        .into(),
                )
            } else {
                BuildError::Template(e)
            }
        })
    };
    let path = render(&req.path)?;
    let route = classify(&req.method, &path);
    if let Some(id) = &route.op_id {
        if !may_name(&req.method, route.endpoint, id, &|id| vars.owns(id)) {
            return Err(BuildError::Unavailable(format!(
                "refusing to send {} {path}: operation `{id}` is not a fixture of this case, \
                 and a request that may change an operation only names the case's own \
                 (fabricated ids must contain `opconform`)",
                req.method
            )));
        }
    }
    let mut query = Vec::new();
    for (k, v) in &req.query {
        query.push((k.clone(), render(v)?));
    }
    let mut headers: Vec<(String, String)> = Vec::new();
    if let Some(value) = auth_header(req.auth, creds).map_err(BuildError::Unavailable)? {
        headers.push(("authorization".into(), value));
    }
    let case_sets = |name: &str| req.headers.keys().any(|k| k.eq_ignore_ascii_case(name));
    if let Some(ctx) = &creds.context {
        if !case_sets("akua-context") {
            headers.push(("akua-context".into(), ctx.clone()));
        }
    }
    if !case_sets("accept") {
        headers.push(("accept".into(), "application/json".into()));
    }
    for (k, v) in &req.headers {
        headers.push((k.to_ascii_lowercase(), render(v)?));
    }
    let body = match &req.body {
        Some(b) => Some(render(b)?),
        None => None,
    };
    if body.is_some() && !case_sets("content-type") {
        headers.push(("content-type".into(), "application/json".into()));
    }
    let url = join_url(base_url, &path, &query);
    crate::target::cancel_guard(&req.method, &url, base_url, &|id| vars.owns(id))
        .map_err(BuildError::Unavailable)?;
    Ok(Built {
        outgoing: OutgoingRequest {
            method: req.method.to_ascii_uppercase(),
            url,
            headers,
            body,
            timeout: req
                .timeout_ms
                .map(Duration::from_millis)
                .unwrap_or(default_timeout),
        },
        route,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::FixtureVars;
    use std::collections::BTreeMap;

    fn creds() -> Credentials {
        Credentials {
            token: Some("tok".into()),
            foreign_token: None,
            broad_token: None,
            context: Some("ws_1".into()),
        }
    }

    fn vars() -> Vars {
        let mut v = Vars::default();
        v.fixtures
            .insert("op".into(), FixtureVars::new("op_1", "RUNNING"));
        v
    }

    fn request(path: &str) -> Request {
        Request {
            method: "post".into(),
            path: path.into(),
            query: BTreeMap::new(),
            headers: BTreeMap::new(),
            body: None,
            auth: Auth::Token,
            timeout_ms: None,
        }
    }

    /// `req` built against `base_url` with [`vars`], [`creds`] and a 1 s
    /// default timeout.
    fn build_on(base_url: &str, req: &Request) -> Result<Built, BuildError> {
        build(
            &Renderer::new(),
            req,
            &vars(),
            base_url,
            &creds(),
            Duration::from_secs(1),
        )
    }

    #[test]
    fn path_is_kept_exactly_and_query_encoded() {
        let mut r = request("/operations/{{ op.id }}%3Acancel");
        r.query.insert("timeout".into(), "a b&c".into());
        let b = build_on("http://h/v1/", &r).unwrap();
        assert_eq!(
            b.outgoing.url,
            "http://h/v1/operations/op_1%3Acancel?timeout=a%20b%26c"
        );
        assert_eq!(b.outgoing.method, "POST");
        assert_eq!(
            b.outgoing.headers[..2],
            [
                ("authorization".to_string(), "Bearer tok".to_string()),
                ("akua-context".to_string(), "ws_1".to_string())
            ]
        );
    }

    #[test]
    fn case_header_overrides_context() {
        let mut r = request("/operations/{{ op.id }}");
        r.headers.insert("Akua-Context".into(), "".into());
        let b = build_on("http://h/v1", &r).unwrap();
        let ctx: Vec<_> = b
            .outgoing
            .headers
            .iter()
            .filter(|(k, _)| k == "akua-context")
            .collect();
        assert_eq!(ctx, vec![&("akua-context".to_string(), String::new())]);
    }

    #[test]
    fn refuses_ids_it_does_not_own() {
        let r = request("/operations/op_someone_else:cancel");
        let err = build_on("http://h/v1", &r).unwrap_err();
        assert!(matches!(err, BuildError::Unavailable(m) if m.contains("op_someone_else")));
        // Mutating with a method other than POST, too.
        let mut del = request("/operations/op_someone_else");
        del.method = "DELETE".into();
        assert!(build_on("http://h/v1", &del).is_err());
        for ok in [
            "/operations/op_1:cancel",
            "/operations/1:cancel",
            "/operations/op_opconform_unknown_x:cancel",
            "/operations/OP_OPCONFORM_X%3Acancel",
            // Read-only: any id.
            "/operations/op_someone_else:wait",
            "/operations/z%3Await",
        ] {
            assert!(build_on("http://h/v1", &request(ok)).is_ok(), "{ok}");
        }
    }

    #[test]
    fn auth_variants() {
        let c = creds();
        assert_eq!(auth_header(Auth::None, &c).unwrap(), None);
        assert_eq!(
            auth_header(Auth::Malformed, &c).unwrap().as_deref(),
            Some(MALFORMED_AUTH)
        );
        assert_eq!(
            auth_header(Auth::Invalid, &c).unwrap().as_deref(),
            Some(INVALID_AUTH)
        );
        assert_eq!(
            auth_header(Auth::WrongScheme, &c).unwrap().as_deref(),
            Some("Token tok")
        );
        assert!(
            auth_header(Auth::WrongScheme, &Credentials::default())
                .unwrap_err()
                .contains("AKUA_TOKEN")
        );
        assert!(
            auth_header(Auth::Foreign, &c)
                .unwrap_err()
                .contains("AKUA_FOREIGN_TOKEN")
        );
    }
}
