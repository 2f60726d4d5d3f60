//! Reaching a target: what the runner and the fuzzer share about the
//! system under test (its pace, and later its transport and launch).

mod embedded;
mod rate;

pub use embedded::{World, embedded_config, embedded_target, launch_embedded};
pub use rate::{Rate, RateError, RateUnit};
