//! Reaching a target, for the runner and the fuzzer alike: what it is
//! ([`TargetSpec`]: a URL, a router, or the embedded reference in a world
//! with faults, plus credentials, transport, rate, body cap and secrets),
//! making it live ([`launch`] → [`Target`]), the HTTP client every run
//! request goes through (pacing, TLS, redirects, body cap, redaction), the
//! cancel guard that keeps opconform to the operations it was given, and
//! waiting for a target to answer.

mod client;
mod embedded;
mod launch;
mod live;
mod pacing;
mod rate;
mod safety;
mod spec;
mod transport;
mod wait;

pub use client::{ClientError, HttpClient, OutgoingRequest, RawResponse, Sent, describe};
pub use embedded::{World, embedded_config};
pub use launch::{LaunchError, Launched, Served, launch, unlaunched};
pub use live::{DEFAULT_BODY_CAP, EXCERPT_CAP, Target};
pub use pacing::{Pacer, PacingOptions, STOPPED_REASON, Throttle, parse_retry_after};
pub use rate::{Rate, RateError, RateUnit};
pub use safety::{guard as cancel_guard, is_cancel, may_name};
pub use spec::TargetSpec;
pub use transport::{
    MAX_REDIRECTS, TransportError, TransportOptions, configure as configure_tls, load_ca_cert,
    next_hop, same_origin,
};
pub use wait::{WAIT_INTERVAL, poll_until_answers, probe, reach};
