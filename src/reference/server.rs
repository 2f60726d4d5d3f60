//! Serving the reference: the router, and a server on a loopback port for
//! tests, the runner and `opconform serve`.

use std::net::SocketAddr;
use std::time::Duration;

use super::config::ReferenceConfig;

/// How long shutdown waits for in-flight requests (long `:wait`s included).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The axum router of the reference (for in-process tests with
/// `tower::ServiceExt::oneshot`, or to serve on your own listener).
pub fn router(config: ReferenceConfig) -> axum::Router {
    super::routes::router(&config)
}

/// An axum router served on a bound listener until [`Served::shutdown`]:
/// the reference's server, and any router or service a run serves.
#[derive(Debug)]
pub struct Served {
    addr: SocketAddr,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Served {
    /// Binds `addr` (port 0: an ephemeral port) and serves `router`.
    pub async fn start(router: axum::Router, addr: SocketAddr) -> std::io::Result<Served> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Served {
            addr,
            shutdown: tx,
            task,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

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

/// A reference server running on a loopback port.
#[derive(Debug)]
pub struct ReferenceServer {
    served: Served,
}

impl ReferenceServer {
    /// Binds `addr` (use port 0 for an ephemeral port) and serves until
    /// [`ReferenceServer::shutdown`].
    pub async fn start(
        config: ReferenceConfig,
        addr: SocketAddr,
    ) -> std::io::Result<ReferenceServer> {
        Ok(ReferenceServer {
            served: Served::start(router(config), addr).await?,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.served.addr()
    }

    /// Base URL including `/v1`, e.g. `http://127.0.0.1:41234/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr())
    }

    /// The fixture provider URL, e.g. `http://127.0.0.1:41234/__fixtures/operations`.
    pub fn fixtures_url(&self) -> String {
        format!("http://{}/__fixtures/operations", self.addr())
    }

    /// Stops accepting, lets in-flight requests finish (bounded), and waits.
    pub async fn shutdown(self) {
        self.served.shutdown().await;
    }
}
