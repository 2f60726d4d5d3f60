//! The one integration-test binary. Each module tests one area over real HTTP
//! against loopback servers the tests start.

mod profile;
mod reports;
mod cases;
mod fuzz;
mod reference;
mod contract;
mod cli;
mod runner;
