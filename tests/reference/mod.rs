//! The reference server (issue 2): every rule over real HTTP, schema checks
//! of every body against akua's published OpenAPI document, the fault
//! catalogue, and `opconform serve`.

mod alternate;
mod behaviour;
mod cli;
mod faults;
mod live;
mod retention;
mod schemathesis;
mod support;
