//! Serving a target's router on an ephemeral loopback port for one run, and
//! turning a [`Target`] into the runner's [`crate::run::Target`].

use std::net::SocketAddr;
use std::time::Duration;

use super::error::SuiteError;
use super::target::{Endpoint, Target, resolve_fixtures};
use crate::run;

/// How long shutdown waits for in-flight requests (long `:wait`s included).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A router served on `127.0.0.1:<port>` until [`Served::shutdown`].
#[derive(Debug)]
pub(crate) struct Served {
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Served {
    /// Stops accepting, lets in-flight requests finish (bounded), and waits.
    pub(crate) async fn shutdown(self) {
        let _ = self.shutdown.send(());
        let mut task = self.task;
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
            .await
            .is_err()
        {
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

/// The runner's target for `target`, serving it first when it is a router.
/// Must run inside the tokio runtime that will drive the run.
pub(crate) async fn start(target: Target) -> Result<(run::Target, Option<Served>), SuiteError> {
    let (base_url, served) = match target.endpoint {
        Endpoint::Url(url) => (url, None),
        Endpoint::Served { router, base_path } => {
            let (addr, served) = serve(router).await.map_err(SuiteError::Serve)?;
            (format!("http://{addr}{base_path}"), Some(served))
        }
    };
    let fixtures_url = match &target.fixtures {
        Some(f) => Some(
            resolve_fixtures(&base_url, f).map_err(|reason| SuiteError::BadUrl {
                what: "the fixtures URL",
                url: f.clone(),
                reason,
            })?,
        ),
        None => None,
    };
    Ok((
        run::Target {
            base_url,
            token: target.token,
            foreign_token: target.foreign_token,
            broad_token: target.broad_token,
            context: target.context,
            fixtures_url,
            static_ops: target.static_ops,
            embedded: target.embedded,
            faults: target.faults,
        },
        served,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_served_router_answers_on_loopback_and_stops() {
        let router = axum::Router::new().route("/v1/ping", axum::routing::get(|| async { "pong" }));
        let (t, served) = start(Target::router(router).fixtures("/fx")).await.unwrap();
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
        let (t, served) = start(Target::url("http://127.0.0.1:1/v1").token("x"))
            .await
            .unwrap();
        assert!(served.is_none());
        assert_eq!(t.base_url, "http://127.0.0.1:1/v1");
        assert_eq!(t.token.as_deref(), Some("x"));
        let bad = start(Target::url("nonsense").fixtures("/fx")).await;
        assert!(matches!(bad, Err(SuiteError::BadUrl { .. })), "{bad:?}");
    }
}
