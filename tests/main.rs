//! The one integration-test binary. Each module tests one area over real HTTP
//! against loopback servers the tests start.

mod cases;
mod cli;
mod profile;
mod reports;
mod runner;
mod contract;
mod library;
mod reference;
