//! The flags of `opconform race`.

use std::time::Duration;

use crate::cli::common::ReportArgs;
use crate::cli::target_args::{TargetArgs, WorldArgs, parse_secs};

/// Arguments of `opconform race`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Scenarios: same-key, different-keys, lost-update, completion-race, waiters-vs-cancel, lost-response-{keyed,unkeyed}-{after-request,after-status-line}, key-misuse.\n\nExamples:\n  opconform race\n  opconform race --strict --clients 16 --repeat 50 lost-update\n  opconform race --fault ifmatch-check-then-act lost-update\n  opconform race --target http://127.0.0.1:8080/v1 --fixtures http://127.0.0.1:8080/__fixtures/operations --report html"
)]
pub struct RaceArgs {
    /// Which target, with which credentials and transport settings
    /// (shared with `run`; races need a fixture provider and plain http).
    #[command(flatten)]
    pub target: TargetArgs,
    /// Which world the embedded reference serves (only without --target).
    #[command(flatten)]
    pub world: WorldArgs,
    /// Switch on a reference fault (repeatable; only without --target).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// Demand akua's own conventions (statuses; byte-identical replays).
    #[arg(long, conflicts_with = "lenient")]
    pub strict: bool,
    /// Lenient status sets even when the profile says `strict = true`.
    #[arg(long)]
    pub lenient: bool,
    /// N: requests released together in each race (at least 2).
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub clients: usize,
    /// R: trials of each scenario, each on fresh fixtures (at least 1).
    #[arg(long, value_name = "R", default_value_t = 20)]
    pub repeat: usize,
    /// Per-request timeout in seconds [default: 75].
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub request_timeout: Option<Duration>,
    /// How long a trial waits for its operation to become done, in seconds
    /// [default: 10].
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub settle_deadline: Option<Duration>,
    /// List the scenarios (after the filters) and exit; nothing is sent.
    #[arg(long)]
    pub list: bool,
    /// `--report` and `--out`.
    #[command(flatten)]
    pub reports: ReportArgs,
    /// Exit 0 even when nothing was verified (every scenario skipped).
    #[arg(long)]
    pub allow_empty: bool,
    /// Run only scenarios whose name contains one of these (default: all).
    #[arg(value_name = "SCENARIO")]
    pub scenarios: Vec<String>,
}
