//! [`launch`]: a [`TargetSpec`] made live. A URL is taken as it is; a
//! router, a service or the embedded reference is served on an ephemeral
//! loopback port until [`Launched::shutdown`]. The one place that starts a
//! server for a run: `opconform run`, `fuzz`, `selftest` and
//! [`crate::Suite`] all come through here.

use std::net::SocketAddr;
use std::time::Duration;

use super::live::Target;
use super::spec::{Endpoint, TargetSpec};

/// How long shutdown waits for in-flight requests (long `:wait`s included).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Why a target could not be made live. Messages read after "failed to …".
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LaunchError {
    /// A URL of the target could not be resolved.
    #[error("resolve {what} `{url}`: {reason}")]
    BadUrl {
        /// Which URL (`the fixtures URL`, ...).
        what: &'static str,
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The router, service or embedded reference could not be served on a
    /// loopback port.
    #[error("serve the target on 127.0.0.1: {0}")]
    Serve(std::io::Error),
}

/// A router served on `127.0.0.1:<port>` until [`Served::shutdown`].
#[derive(Debug)]
pub struct Served {
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Served {
    /// Stops accepting, lets in-flight requests finish (bounded), and waits.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(());
        let mut task = self.task;
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
            .await
            .is_err()
        {
            // Long-polls outlived the grace period: stop them.
            task.abort();
        }
    }
}

async fn serve(router: axum::Router) -> std::io::Result<(SocketAddr, Served)> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok((addr, Served { shutdown: tx, task }))
}

/// A live target and the server it may own.
#[derive(Debug)]
pub struct Launched {
    /// Where to send, with what.
    pub target: Target,
    /// The server opconform started for it, if any.
    pub served: Option<Served>,
}

impl Launched {
    /// Stops the server opconform started, if any.
    pub async fn shutdown(self) {
        if let Some(served) = self.served {
            served.shutdown().await;
        }
    }
}

/// Makes `spec` live: serves it first when it is a router, a service or the
/// embedded reference, and resolves its fixture provider against its
/// origin. Must run inside the tokio runtime that will drive the run.
pub async fn launch(spec: TargetSpec) -> Result<Launched, LaunchError> {
    let (base_url, served) = match spec.endpoint {
        Endpoint::Url(url) => (url, None),
        Endpoint::Served { router, base_path } => {
            let (addr, served) = serve(router).await.map_err(LaunchError::Serve)?;
            (format!("http://{addr}{base_path}"), Some(served))
        }
    };
    let fixtures_url = match &spec.fixtures {
        Some(f) => Some(
            resolve_fixtures(&base_url, f).map_err(|reason| LaunchError::BadUrl {
                what: "the fixtures URL",
                url: f.clone(),
                reason,
            })?,
        ),
        None => None,
    };
    Ok(Launched {
        target: Target {
            base_url,
            token: spec.token,
            foreign_token: spec.foreign_token,
            broad_token: spec.broad_token,
            context: spec.context,
            fixtures_url,
            static_ops: spec.static_ops,
            embedded: spec.embedded,
            faults: spec.faults,
            transport: spec.transport,
            pacing: spec.pacing,
            body_cap: spec.body_cap.max(1),
            secrets: spec.secrets,
            wait_for_target: spec.wait_for_target,
        },
        served,
    })
}

/// The target `spec` describes without starting anything: its URL, or an
/// empty one for a served target (`--list` and `--dry-run`, which send
/// nothing).
pub fn unlaunched(spec: &TargetSpec) -> Target {
    Target {
        base_url: spec.url_str().unwrap_or_default().to_string(),
        token: spec.token.clone(),
        foreign_token: spec.foreign_token.clone(),
        broad_token: spec.broad_token.clone(),
        context: spec.context.clone(),
        fixtures_url: spec.fixtures.clone(),
        static_ops: spec.static_ops.clone(),
        embedded: spec.embedded,
        faults: spec.faults.clone(),
        transport: spec.transport.clone(),
        pacing: spec.pacing.clone(),
        body_cap: spec.body_cap.max(1),
        secrets: spec.secrets.clone(),
        wait_for_target: spec.wait_for_target,
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

    #[tokio::test]
    async fn a_served_router_answers_on_loopback_and_stops() {
        let router = axum::Router::new().route("/v1/ping", axum::routing::get(|| async { "pong" }));
        let Launched { target: t, served } = launch(TargetSpec::router(router).fixtures("/fx"))
            .await
            .unwrap();
        assert!(
            t.base_url.starts_with("http://127.0.0.1:"),
            "{}",
            t.base_url
        );
        assert!(t.base_url.ends_with("/v1"));
        assert_eq!(
            t.fixtures_url.as_deref(),
            Some(t.base_url.replace("/v1", "/fx").as_str())
        );
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let body = client
            .get(format!("{}/ping", t.base_url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(body, "pong");
        let Some(served) = served else {
            panic!("a router target was not served")
        };
        served.shutdown().await;
        let after = client.get(format!("{}/ping", t.base_url)).send().await;
        assert!(after.is_err(), "still served after shutdown: {after:?}");
    }

    #[tokio::test]
    async fn url_targets_are_not_served() {
        let Launched { target: t, served } =
            launch(TargetSpec::url("http://127.0.0.1:1/v1").token("x"))
                .await
                .unwrap();
        assert!(served.is_none());
        assert_eq!(t.base_url, "http://127.0.0.1:1/v1");
        assert_eq!(t.token.as_deref(), Some("x"));
        let bad = launch(TargetSpec::url("nonsense").fixtures("/fx")).await;
        assert!(matches!(bad, Err(LaunchError::BadUrl { .. })), "{bad:?}");
    }
}
