//! "Your server": an axum application that serves akua's Operations API
//! under `/v1`, a health check, and a fixture provider for the test suite.
//!
//! The Operations API itself is delegated to opconform's reference
//! implementation so this example stays small and passes the whole suite;
//! replace [`operations_api`] with your own routes.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use opconform::reference::{ReferenceConfig, TokenGrant};

/// The token of the workspace the conformance tests act in.
pub const TEST_TOKEN: &str = "sk_example_test_alpha";
/// A second workspace's token, for the isolation cases.
pub const OTHER_TOKEN: &str = "sk_example_test_beta";

/// The whole application, as `main` serves it and the tests run it.
pub fn app() -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(operations_api())
}

/// `/v1/operations...` plus `POST /__fixtures/operations` (the fixture
/// provider the conformance suite uses to create operations in a known
/// state; serve it only in test builds or behind a flag in production).
pub fn operations_api() -> Router {
    opconform::reference::router(ReferenceConfig {
        tokens: vec![
            TokenGrant::workspace(TEST_TOKEN, "ws_alpha"),
            TokenGrant::workspace(OTHER_TOKEN, "ws_beta"),
        ],
        // Jobs advance one step every 100 ms: cancels settle within a
        // fraction of a second, and a client polling every 50 ms still sees
        // each intermediate state (the suite's `retrying` case needs that).
        step_length: Duration::from_millis(100),
        ..ReferenceConfig::default()
    })
}
