//! [`TargetSpec`]: what to test and how to reach it, before anything is
//! started — a URL, a router or service opconform serves on an ephemeral
//! loopback port, or the embedded reference in a world with faults;
//! with credentials, fixtures, transport, rate, body cap and secrets.
//! `opconform run`, `opconform fuzz`, `selftest` and [`crate::Suite`] all
//! describe their target with one, and [`super::launch`] makes it live.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::Request;
use axum::response::IntoResponse;

use crate::reference::{self, FaultInfo, ReferenceConfig};
use crate::vocab::FixtureState;

use super::embedded::{World, embedded_config};
use super::live::DEFAULT_BODY_CAP;
use super::pacing::PacingOptions;
use super::rate::Rate;
use super::transport::TransportOptions;

/// Where the fixture provider of the reference (and of the example crate)
/// lives, relative to the server's origin.
pub(crate) const DEFAULT_FIXTURES_PATH: &str = "/__fixtures/operations";

/// The system under test: where it is, which credentials and fixtures to
/// use on it, and how to reach it. Build it with [`TargetSpec::url`],
/// [`TargetSpec::router`], [`TargetSpec::service`],
/// [`TargetSpec::reference`] or [`TargetSpec::embedded`], then chain the
/// setters.
///
/// ```
/// use opconform::TargetSpec;
/// use opconform::vocab::FixtureState;
///
/// let target = TargetSpec::url("http://127.0.0.1:8080/v1")
///     .token("sk_test_alpha")
///     .foreign_token("sk_test_beta")
///     // A path starting with `/` is resolved against the target's origin.
///     .fixtures("/__fixtures/operations")
///     .op(FixtureState::Succeeded, "op_0123");
/// // Tokens never show up in debug output.
/// assert!(!format!("{target:?}").contains("sk_test_alpha"));
/// ```
pub struct TargetSpec {
    pub(crate) endpoint: Endpoint,
    pub(crate) token: Option<String>,
    pub(crate) foreign_token: Option<String>,
    pub(crate) broad_token: Option<String>,
    pub(crate) context: Option<String>,
    pub(crate) fixtures: Option<String>,
    pub(crate) static_ops: Vec<(FixtureState, String)>,
    pub(crate) embedded: bool,
    pub(crate) faults: Vec<String>,
    pub(crate) transport: TransportOptions,
    pub(crate) pacing: PacingOptions,
    pub(crate) body_cap: usize,
    pub(crate) secrets: Vec<String>,
    pub(crate) wait_for_target: Option<Duration>,
    pub(crate) recorder: Option<super::har::Recorder>,
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

impl TargetSpec {
    fn new(endpoint: Endpoint) -> TargetSpec {
        TargetSpec {
            endpoint,
            token: None,
            foreign_token: None,
            broad_token: None,
            context: None,
            fixtures: None,
            static_ops: Vec::new(),
            embedded: false,
            faults: Vec::new(),
            transport: TransportOptions::default(),
            pacing: PacingOptions::default(),
            body_cap: DEFAULT_BODY_CAP,
            secrets: Vec::new(),
            wait_for_target: None,
            recorder: None,
        }
    }

    /// A server that is already running; `base_url` includes `/v1`, e.g.
    /// `https://api.example.test/v1`.
    pub fn url(base_url: impl Into<String>) -> TargetSpec {
        TargetSpec::new(Endpoint::Url(base_url.into()))
    }

    /// An `axum::Router`, served on `127.0.0.1:<ephemeral port>` while the
    /// suite runs. The API is expected under `/v1` (see [`TargetSpec::base_path`]).
    pub fn router(router: axum::Router) -> TargetSpec {
        TargetSpec::new(Endpoint::Served {
            router,
            base_path: "/v1".into(),
        })
    }

    /// Any `tower::Service` that answers HTTP requests (hyper, tonic-web,
    /// a `tower::ServiceBuilder` stack ...), served like [`TargetSpec::router`].
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use axum::{body::Body, extract::Request, http::Response};
    ///
    /// let svc = tower::service_fn(|_req: Request| async {
    ///     Ok::<_, Infallible>(Response::new(Body::from("hello")))
    /// });
    /// let target = opconform::TargetSpec::service(svc).token("sk_test");
    /// # let _ = target;
    /// ```
    pub fn service<S>(service: S) -> TargetSpec
    where
        S: tower::Service<Request, Error = Infallible> + Clone + Send + Sync + 'static,
        S::Response: IntoResponse,
        S::Future: Send + 'static,
    {
        TargetSpec::router(axum::Router::new().fallback_service(service))
    }

    /// The embedded reference server with `config` (faults included), its
    /// workspace, foreign and broad tokens and its fixture provider. Handy
    /// to try the library, and for selftests.
    pub fn reference(config: ReferenceConfig) -> TargetSpec {
        let faults = config.faults.iter().map(|f| f.name.to_string()).collect();
        let mut target = TargetSpec::router(reference::router(config))
            .token(reference::ALPHA_TOKEN)
            .foreign_token(reference::BETA_TOKEN)
            .broad_token(reference::BROAD_TOKEN)
            .fixtures(DEFAULT_FIXTURES_PATH);
        target.embedded = true;
        target.faults = faults;
        target
    }

    /// The embedded reference as `opconform run` without `--target` serves
    /// it: in `world` (dialect and tempo), with `faults`, on the embedded
    /// lifecycle clock.
    pub fn embedded(world: World, faults: Vec<&'static FaultInfo>) -> TargetSpec {
        TargetSpec::reference(embedded_config(world, faults))
    }

    /// Where the API lives on a served router or service (default `/v1`).
    /// Has no effect on [`TargetSpec::url`] targets, whose URL says it.
    pub fn base_path(mut self, path: impl Into<String>) -> TargetSpec {
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
    pub fn token(mut self, token: impl Into<String>) -> TargetSpec {
        self.token = Some(token.into());
        self
    }

    /// A second workspace's token, for the isolation cases (skipped without).
    pub fn foreign_token(mut self, token: impl Into<String>) -> TargetSpec {
        self.foreign_token = Some(token.into());
        self
    }

    /// A broad (multi-workspace) token that covers the workspace under test
    /// (and not the foreign token's), for the `akua-context` cases; they
    /// are skipped without one.
    pub fn broad_token(mut self, token: impl Into<String>) -> TargetSpec {
        self.broad_token = Some(token.into());
        self
    }

    /// Sent as `akua-context` on every request unless a case sets it.
    pub fn context(mut self, workspace: impl Into<String>) -> TargetSpec {
        self.context = Some(workspace.into());
        self
    }

    /// The fixture provider: `POST {"state": "running"}` returns a fresh
    /// Operation. An absolute URL, or a path starting with `/` that is
    /// resolved against the target's origin (handy for served routers,
    /// whose port is only known at run time).
    pub fn fixtures(mut self, url_or_path: impl Into<String>) -> TargetSpec {
        self.fixtures = Some(url_or_path.into());
        self
    }

    /// A static operation id in `state`, used when there is no fixture
    /// provider (cases needing several fresh operations are then skipped).
    pub fn op(mut self, state: FixtureState, id: impl Into<String>) -> TargetSpec {
        self.static_ops.push((state, id.into()));
        self
    }

    /// TLS trust (extra CA certificates, `--insecure`) and redirects.
    pub fn transport(mut self, transport: TransportOptions) -> TargetSpec {
        self.transport = transport;
        self
    }

    /// At most this many requests, all of them counted (`--rate`).
    pub fn rate(mut self, rate: Option<Rate>) -> TargetSpec {
        self.pacing.rate = rate;
        self
    }

    /// Every pacing knob at once: rate, `Retry-After` handling, the
    /// stopped-target breaker.
    pub fn pacing(mut self, pacing: PacingOptions) -> TargetSpec {
        self.pacing = pacing;
        self
    }

    /// Largest response body read (`--max-body`, at least one byte); a
    /// larger body is cut there and fails its check with the reason.
    pub fn max_body(mut self, bytes: usize) -> TargetSpec {
        self.body_cap = bytes.max(1);
        self
    }

    /// Another value to redact from every output (`--secret`).
    pub fn secret(mut self, value: impl Into<String>) -> TargetSpec {
        self.secrets.push(value.into());
        self
    }

    /// More values to redact from every output.
    pub fn secrets(mut self, values: impl IntoIterator<Item = String>) -> TargetSpec {
        self.secrets.extend(values);
        self
    }

    /// Before the first request, poll the target for up to `wait` until it
    /// answers (`--wait-for-target`).
    pub fn wait_for_target(mut self, wait: Option<Duration>) -> TargetSpec {
        self.wait_for_target = wait;
        self
    }

    /// Record every exchange sent to the target into `recorder`'s HAR file
    /// (`--har`). The runner and the fuzzer both honour it.
    pub fn record(mut self, recorder: super::har::Recorder) -> TargetSpec {
        self.recorder = Some(recorder);
        self
    }

    /// The URL of a [`TargetSpec::url`] target (`None` when opconform
    /// serves it).
    pub fn url_str(&self) -> Option<&str> {
        match &self.endpoint {
            Endpoint::Url(url) => Some(url),
            Endpoint::Served { .. } => None,
        }
    }

    /// A redactor for every token and secret given so far.
    pub fn redactor(&self) -> crate::redact::Redactor {
        let mut secrets = self.secrets.clone();
        secrets.extend(self.token.iter().cloned());
        secrets.extend(self.foreign_token.iter().cloned());
        secrets.extend(self.broad_token.iter().cloned());
        crate::redact::Redactor::new(secrets)
    }
}

impl std::fmt::Debug for TargetSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The settings as the live target would hold them, through its
        // hand-written Debug: tokens never reach a log or panic message.
        let endpoint = match &self.endpoint {
            Endpoint::Url(url) => format!("url {url}"),
            Endpoint::Served { base_path, .. } => format!("served router, base path {base_path}"),
        };
        f.debug_struct("TargetSpec")
            .field("endpoint", &endpoint)
            .field("settings", &super::launch::unlaunched(self))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_path_is_normalised() {
        let t = TargetSpec::router(axum::Router::new()).base_path("api/v1/");
        match t.endpoint {
            Endpoint::Served { base_path, .. } => assert_eq!(base_path, "/api/v1"),
            Endpoint::Url(_) => panic!("a router target became a URL"),
        }
        let t = TargetSpec::router(axum::Router::new()).base_path("/");
        match t.endpoint {
            Endpoint::Served { base_path, .. } => assert_eq!(base_path, ""),
            Endpoint::Url(_) => panic!("a router target became a URL"),
        }
    }

    #[test]
    fn debug_hides_tokens() {
        let t = TargetSpec::reference(ReferenceConfig::default()).secret("hunter2");
        let shown = format!("{t:?}");
        assert!(!shown.contains(reference::ALPHA_TOKEN), "{shown}");
        assert!(!shown.contains(reference::BETA_TOKEN), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn debug_never_shows_a_token() {
        let spec = TargetSpec::url("http://127.0.0.1:1/v1")
            .token("sk_live_spec_secret")
            .foreign_token("sk_live_other_secret");
        let shown = format!("{spec:?}");
        assert!(
            !shown.contains("spec_secret") && !shown.contains("other_secret"),
            "{shown}"
        );
        assert!(shown.contains("url http://127.0.0.1:1/v1"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
