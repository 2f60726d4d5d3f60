//! # opconform
//!
//! A conformance harness for akua's Operations API, centred on
//! `POST /v1/operations/{id}:cancel`. It loads JSON Schemas and declarative
//! case files, runs them against a target URL (or the embedded reference
//! server), and reports pass/fail per invariant.

pub mod case;
pub mod cli;
pub mod contract;
pub mod exit;
pub mod fuzz;
pub mod model;
pub mod profile;
pub mod redact;
pub mod reference;
pub mod report;
pub mod run;
