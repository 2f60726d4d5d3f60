//! What a [`crate::Suite`] runs against: a URL, or a router/service the
//! suite serves on an ephemeral loopback port for the duration of the run.

use std::convert::Infallible;

use axum::extract::Request;
use axum::response::IntoResponse;

use crate::case::FixtureState;
use crate::reference::{self, ReferenceConfig};

/// Where the fixture provider of the reference (and of the example crate)
/// lives, relative to the server's origin.
pub(crate) const DEFAULT_FIXTURES_PATH: &str = "/__fixtures/operations";

/// The system under test: where it is and which credentials and fixtures
/// to use on it. Build it with [`Target::url`], [`Target::router`],
/// [`Target::service`] or [`Target::reference`], then chain the setters.
///
/// ```
/// use opconform::Target;
/// use opconform::case::FixtureState;
///
/// let target = Target::url("http://127.0.0.1:8080/v1")
///     .token("sk_test_alpha")
///     .foreign_token("sk_test_beta")
///     // A path starting with `/` is resolved against the target's origin.
///     .fixtures("/__fixtures/operations")
///     .op(FixtureState::Succeeded, "op_0123");
/// // Tokens never show up in debug output.
/// assert!(!format!("{target:?}").contains("sk_test_alpha"));
/// ```
pub struct Target {
    pub(crate) endpoint: Endpoint,
    pub(crate) token: Option<String>,
    pub(crate) foreign_token: Option<String>,
    pub(crate) broad_token: Option<String>,
    pub(crate) context: Option<String>,
    pub(crate) fixtures: Option<String>,
    pub(crate) static_ops: Vec<(FixtureState, String)>,
    pub(crate) embedded: bool,
    pub(crate) faults: Vec<String>,
}

/// Where requests go.
pub(crate) enum Endpoint {
    /// A running server: base URL including `/v1`.
    Url(String),
    /// Served by the suite on `127.0.0.1:0`; the base URL is the origin
    /// followed by `base_path`.
    Served {
        router: axum::Router,
        base_path: String,
    },
}

impl Target {
    fn new(endpoint: Endpoint) -> Target {
        Target {
            endpoint,
            token: None,
            foreign_token: None,
            broad_token: None,
            context: None,
            fixtures: None,
            static_ops: Vec::new(),
            embedded: false,
            faults: Vec::new(),
        }
    }

    /// A server that is already running; `base_url` includes `/v1`, e.g.
    /// `https://api.example.test/v1`.
    pub fn url(base_url: impl Into<String>) -> Target {
        Target::new(Endpoint::Url(base_url.into()))
    }

    /// An `axum::Router`, served on `127.0.0.1:<ephemeral port>` while the
    /// suite runs. The API is expected under `/v1` (see [`Target::base_path`]).
    pub fn router(router: axum::Router) -> Target {
        Target::new(Endpoint::Served {
            router,
            base_path: "/v1".into(),
        })
    }

    /// Any `tower::Service` that answers HTTP requests (hyper, tonic-web,
    /// a `tower::ServiceBuilder` stack ...), served like [`Target::router`].
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use axum::{body::Body, extract::Request, http::Response};
    ///
    /// let svc = tower::service_fn(|_req: Request| async {
    ///     Ok::<_, Infallible>(Response::new(Body::from("hello")))
    /// });
    /// let target = opconform::Target::service(svc).token("sk_test");
    /// # let _ = target;
    /// ```
    pub fn service<S>(service: S) -> Target
    where
        S: tower::Service<Request, Error = Infallible> + Clone + Send + Sync + 'static,
        S::Response: IntoResponse,
        S::Future: Send + 'static,
    {
        Target::router(axum::Router::new().fallback_service(service))
    }

    /// The embedded reference server with `config` (faults included), its
    /// two workspace tokens and its fixture provider: what `opconform run`
    /// without `--target` tests. Handy to try the library, and for selftests.
    pub fn reference(config: ReferenceConfig) -> Target {
        let faults = config.faults.iter().map(|f| f.name.to_string()).collect();
        let mut target = Target::router(reference::router(config))
            .token(reference::ALPHA_TOKEN)
            .foreign_token(reference::BETA_TOKEN)
            .broad_token(reference::BROAD_TOKEN)
            .fixtures(DEFAULT_FIXTURES_PATH);
        target.embedded = true;
        target.faults = faults;
        target
    }

    /// Where the API lives on a served router or service (default `/v1`).
    /// Has no effect on [`Target::url`] targets, whose URL says it.
    pub fn base_path(mut self, path: impl Into<String>) -> Target {
        if let Endpoint::Served { base_path, .. } = &mut self.endpoint {
            let path = path.into();
            *base_path = format!("/{}", path.trim_matches('/'));
            if base_path == "/" {
                base_path.clear();
            }
        }
        self
    }

    /// Bearer token of the workspace under test (redacted from every result).
    pub fn token(mut self, token: impl Into<String>) -> Target {
        self.token = Some(token.into());
        self
    }

    /// A second workspace's token, for the isolation cases (skipped without).
    pub fn foreign_token(mut self, token: impl Into<String>) -> Target {
        self.foreign_token = Some(token.into());
        self
    }

    /// A broad (multi-workspace) token that covers the workspace under test
    /// (and not the foreign token's), for the `akua-context` cases; they
    /// are skipped without one.
    pub fn broad_token(mut self, token: impl Into<String>) -> Target {
        self.broad_token = Some(token.into());
        self
    }

    /// Sent as `akua-context` on every request unless a case sets it.
    pub fn context(mut self, workspace: impl Into<String>) -> Target {
        self.context = Some(workspace.into());
        self
    }

    /// The fixture provider: `POST {"state": "running"}` returns a fresh
    /// Operation. An absolute URL, or a path starting with `/` that is
    /// resolved against the target's origin (handy for served routers,
    /// whose port is only known at run time).
    pub fn fixtures(mut self, url_or_path: impl Into<String>) -> Target {
        self.fixtures = Some(url_or_path.into());
        self
    }

    /// A static operation id in `state`, used when there is no fixture
    /// provider (cases needing several fresh operations are then skipped).
    pub fn op(mut self, state: FixtureState, id: impl Into<String>) -> Target {
        self.static_ops.push((state, id.into()));
        self
    }
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Hand-written so tokens never reach a log or panic message.
        let hidden = |t: &Option<String>| t.as_ref().map(|_| "<redacted>");
        let endpoint = match &self.endpoint {
            Endpoint::Url(url) => format!("url {url}"),
            Endpoint::Served { base_path, .. } => format!("served router, base path {base_path}"),
        };
        f.debug_struct("Target")
            .field("endpoint", &endpoint)
            .field("token", &hidden(&self.token))
            .field("foreign_token", &hidden(&self.foreign_token))
            .field("broad_token", &hidden(&self.broad_token))
            .field("context", &self.context)
            .field("fixtures", &self.fixtures)
            .field("static_ops", &self.static_ops)
            .field("embedded", &self.embedded)
            .field("faults", &self.faults)
            .finish()
    }
}

/// Resolves `fixtures` against the origin of `base_url` when it is a path.
pub(crate) fn resolve_fixtures(base_url: &str, fixtures: &str) -> Result<String, String> {
    if !fixtures.starts_with('/') {
        return Ok(fixtures.to_string());
    }
    let base = url::Url::parse(base_url).map_err(|e| format!("the base URL is invalid: {e}"))?;
    base.join(fixtures)
        .map(String::from)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_paths_resolve_against_the_origin() {
        assert_eq!(
            resolve_fixtures("http://127.0.0.1:9/v1", "/__fixtures/operations").unwrap(),
            "http://127.0.0.1:9/__fixtures/operations"
        );
        assert_eq!(
            resolve_fixtures("http://h/v1", "https://f.example/x").unwrap(),
            "https://f.example/x"
        );
        assert!(resolve_fixtures("not a url", "/x").is_err());
    }

    #[test]
    fn base_path_is_normalised() {
        let t = Target::router(axum::Router::new()).base_path("api/v1/");
        match t.endpoint {
            Endpoint::Served { base_path, .. } => assert_eq!(base_path, "/api/v1"),
            Endpoint::Url(_) => panic!("a router target became a URL"),
        }
        let t = Target::router(axum::Router::new()).base_path("/");
        match t.endpoint {
            Endpoint::Served { base_path, .. } => assert_eq!(base_path, ""),
            Endpoint::Url(_) => panic!("a router target became a URL"),
        }
    }

    #[test]
    fn debug_hides_tokens() {
        let t = Target::reference(ReferenceConfig::default());
        let shown = format!("{t:?}");
        assert!(!shown.contains(reference::ALPHA_TOKEN), "{shown}");
        assert!(!shown.contains(reference::BETA_TOKEN), "{shown}");
        assert!(shown.contains("<redacted>"));
    }
}
