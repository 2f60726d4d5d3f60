//! The reference server of akua's Operations API, with named faults.
//!
//! It keeps the contract digested in `akua-operations.md` (cited as
//! D-CANCEL, D-WAIT, D-LIST, S-OAS, §n in comments), simulates lifecycles on
//! a clock with a configurable step, serves a fixture provider, and can
//! switch on catalogued [`faults`] so the harness can prove it catches bugs.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use opconform::reference::{ReferenceConfig, ReferenceServer};
//! let server = ReferenceServer::start(ReferenceConfig::default(), "127.0.0.1:0".parse().unwrap()).await?;
//! println!("{}", server.base_url());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod app;
mod auth;
mod cancel;
mod clock;
mod config;
mod cursor;
mod errors;
mod etag;
mod faults;
mod fixtures;
mod idempotency;
mod ids;
mod lifecycle;
mod list;
mod query;
mod render;
mod routes;
mod server;
mod store;
mod wait;
mod world;

pub use config::{
    ALPHA_TOKEN, BETA_TOKEN, BROAD_TOKEN, BROAD_WORKSPACES, DEFAULT_IDEMPOTENCY_CAPACITY,
    DEFAULT_MAX_OPERATIONS, DEFAULT_RETENTION, EMBEDDED_STEP_LENGTH, LIVE_STEP, ReferenceConfig,
    TokenGrant,
};
pub use errors::{ERROR_CODES, ErrorCode, ErrorKind};
pub use faults::{Fault, FaultInfo, UnknownFault, closest_fault, fault, faults, faults_named};
pub use server::{ReferenceServer, Served, router};
pub use world::{Dialect, Tempo, UnknownWorld};
