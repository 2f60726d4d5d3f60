//! The one integration-test binary. Each module tests one area over real HTTP
//! against loopback servers the tests start.

mod audit;
mod book;
mod cases;
mod cli;
mod contract;
mod fuzz;
mod hostile;
mod kill_matrix;
mod layering;
mod library;
mod profile;
mod race;
mod reference;
mod reports;
mod runner;
mod support;
