//! The command line: parse, dispatch, print, exit. The only place that
//! prints or decides the process exit code.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use clap::{Parser, Subcommand};

use crate::exit::ExitStatus;

mod audit;
mod common;
mod completions;
mod fuzz;
mod har;
mod invariants;
mod profile_merge;
mod race;
mod run;
mod selftest;
mod serve;
mod target_args;

/// Conformance harness for akua's Operations API
/// (`POST /v1/operations/{id}:cancel` and its siblings).
#[derive(Debug, Parser)]
#[command(
    name = "opconform",
    version,
    about,
    long_about = None,
    after_help = "Examples:\n  opconform run\n  opconform run --target https://api.example.test/v1 --fixtures https://api.example.test/__fixtures/operations --report junit,md\n  opconform selftest\n  opconform serve --addr 127.0.0.1:8080\n  opconform race --strict\n  opconform invariants --markdown\n  opconform audit staging.har\n\nExit codes: 0 passed, 1 an invariant failed (a flaky case too), 2 bad input (nothing sent), 3 target unreachable or deadline passed, 4 nothing verified (no case passed), 5 a report could not be written.\nIn Rust, run the suite from `cargo test`: see the README, \"opconform in your own cargo test\"."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the conformance suite against a target (default: the embedded reference server).
    Run(Box<run::RunArgs>),
    /// Serve the reference implementation of the Operations API.
    Serve(serve::ServeArgs),
    /// Run the suite against the reference and every catalogued fault; print the kill matrix.
    Selftest(selftest::SelftestArgs),
    /// Property-based fuzzing of the endpoints.
    Fuzz(Box<fuzz::FuzzArgs>),
    /// Check recorded traffic (HAR, JSON Lines) against the catalogue; sends nothing.
    Audit(Box<audit::AuditArgs>),
    /// Race concurrent and interrupted requests; check what the clients saw is linearizable.
    Race(Box<race::RaceArgs>),
    /// List the invariant catalogue.
    Invariants(invariants::InvariantsArgs),
    /// Print shell completions.
    Completions(completions::CompletionsArgs),
}

/// Parses the process arguments and runs the chosen subcommand.
pub fn main() -> ExitStatus {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return match err.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitStatus::Success
                }
                _ => ExitStatus::BadInput,
            };
        }
    };
    match cli.command {
        Command::Run(args) => run::main(*args),
        Command::Serve(args) => serve::main(args),
        Command::Selftest(args) => selftest::main(args),
        Command::Fuzz(args) => fuzz::main(*args),
        Command::Audit(args) => audit::main(*args),
        Command::Race(args) => race::main(*args),
        Command::Invariants(args) => invariants::main(args),
        Command::Completions(args) => completions::main(args),
    }
}
