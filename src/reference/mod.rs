//! The reference server of the Operations API, with named faults.
//!
//! SKELETON: the public API below is fixed (the runner, selftest, fuzz and
//! tests call it); the reference work fills in routes, store, lifecycle,
//! idempotency and faults behind it.

use std::net::SocketAddr;
use std::time::Duration;

/// Default token of workspace `ws_alpha`.
pub const ALPHA_TOKEN: &str = "sk_akua_test_alpha";
/// Default token of workspace `ws_beta`.
pub const BETA_TOKEN: &str = "sk_akua_test_beta";

/// A bearer token and the workspace it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    /// The bearer token.
    pub token: String,
    /// The workspace it implies, e.g. `ws_alpha`.
    pub workspace: String,
}

/// One catalogued fault: a realistic implementer bug the reference can
/// switch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultInfo {
    /// Stable name, e.g. `done-not-terminal`.
    pub name: &'static str,
    /// One line: what the bug does.
    pub summary: &'static str,
    /// Invariant IDs the bug breaks (at least one must catch it).
    pub breaks: &'static [&'static str],
    /// True when only generated inputs (fuzz) can be expected to find it.
    pub generated_only: bool,
}

/// Every catalogued fault.
pub fn faults() -> &'static [FaultInfo] {
    &[]
}

/// The fault with this name.
pub fn fault(name: &str) -> Option<&'static FaultInfo> {
    faults().iter().find(|f| f.name == name)
}

/// How the reference behaves.
#[derive(Debug, Clone)]
pub struct ReferenceConfig {
    /// Accepted tokens.
    pub tokens: Vec<TokenGrant>,
    /// Length of one simulated lifecycle step.
    pub step_length: Duration,
    /// Faults switched on.
    pub faults: Vec<&'static FaultInfo>,
    /// Serve `POST /__fixtures/operations`.
    pub fixtures: bool,
    /// How long an idempotency key is remembered.
    pub idempotency_ttl: Duration,
    /// How many idempotency keys are remembered at most (oldest evicted).
    pub idempotency_capacity: usize,
}

impl Default for ReferenceConfig {
    fn default() -> Self {
        ReferenceConfig {
            tokens: vec![
                TokenGrant {
                    token: ALPHA_TOKEN.into(),
                    workspace: "ws_alpha".into(),
                },
                TokenGrant {
                    token: BETA_TOKEN.into(),
                    workspace: "ws_beta".into(),
                },
            ],
            step_length: Duration::from_secs(1),
            faults: Vec::new(),
            fixtures: true,
            idempotency_ttl: Duration::from_secs(24 * 3600),
            idempotency_capacity: 100_000,
        }
    }
}

/// The axum router of the reference (for in-process tests with
/// `tower::ServiceExt::oneshot`, or to serve on your own listener).
pub fn router(_config: ReferenceConfig) -> axum::Router {
    axum::Router::new()
}

/// A reference server running on a loopback port.
#[derive(Debug)]
pub struct ReferenceServer {
    addr: SocketAddr,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl ReferenceServer {
    /// Binds `addr` (use port 0 for an ephemeral port) and serves until
    /// [`ReferenceServer::shutdown`].
    pub async fn start(
        config: ReferenceConfig,
        addr: SocketAddr,
    ) -> std::io::Result<ReferenceServer> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = router(config);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(ReferenceServer {
            addr,
            shutdown: tx,
            task,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Base URL including `/v1`, e.g. `http://127.0.0.1:41234/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The fixture provider URL, e.g. `http://127.0.0.1:41234/__fixtures/operations`.
    pub fn fixtures_url(&self) -> String {
        format!("http://{}/__fixtures/operations", self.addr)
    }

    /// Stops accepting, lets in-flight requests finish (bounded), and waits.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(());
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }
}
