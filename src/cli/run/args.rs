//! The flags of `opconform run`.

use std::path::PathBuf;
use std::time::Duration;

use crate::case::FixtureState;
use crate::run;

use crate::cli::common::ReportArgs;
use crate::cli::target_args::{TargetArgs, WorldArgs, parse_secs};

/// Arguments of `opconform run`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  opconform run\n  opconform run --strict cancel\n  opconform run --target https://api.example.test/v1 --fixtures https://api.example.test/__fixtures/operations\n  opconform run --target URL --op running=op_123 --op succeeded=op_456 --report junit,json"
)]
pub struct RunArgs {
    /// Which target, with which credentials and transport settings
    /// (shared with `fuzz`).
    #[command(flatten)]
    pub target: TargetArgs,
    /// A static operation id to act on, e.g. `running=op_123` (repeatable).
    #[arg(long = "op", value_name = "STATE=ID", value_parser = parse_op)]
    pub ops: Vec<(FixtureState, String)>,
    /// Case files or directories (repeatable; default: the bundled cases).
    #[arg(long = "cases", value_name = "PATH")]
    pub cases: Vec<PathBuf>,
    /// Demand akua's own conventions (status codes, strict-only invariants).
    #[arg(long, conflicts_with = "lenient")]
    pub strict: bool,
    /// Lenient status sets even when the profile says `strict = true`.
    #[arg(long)]
    pub lenient: bool,
    /// Take the schemas from this OpenAPI 3.1 document instead of the bundled ones.
    #[arg(long, value_name = "FILE")]
    pub openapi: Option<PathBuf>,
    /// Switch on a reference fault (repeatable; only without --target).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// Per-request timeout in seconds [default: 30] (a case's `timeout_ms`
    /// overrides it).
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub request_timeout: Option<Duration>,
    /// Upper bound of every `eventually` deadline, in seconds [default: 30].
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub settle_deadline: Option<Duration>,
    /// Whole-run deadline in seconds [default: 600]; when it passes the run
    /// stops, reports what it has, and exits 3.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub deadline: Option<Duration>,
    /// Cases run at once (same as --test-threads).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<std::num::NonZeroUsize>,
    /// Follow redirects (never by default); the Authorization header is
    /// dropped on any hop to another origin.
    #[arg(long)]
    pub follow_redirects: bool,
    /// Run only shard N of M (as nextest's count:N/M): the i-th selected
    /// case in plan order runs on shard i mod M + 1.
    #[arg(long, value_name = "N/M", value_parser = parse_partition)]
    pub partition: Option<run::Partition>,
    /// Print every request each case would send, and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// `--report` and `--out`.
    #[command(flatten)]
    pub reports: ReportArgs,
    /// `should` (default): any failed MUST or SHOULD fails the run; `must`:
    /// SHOULD failures are printed as warnings.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOnArg>,
    /// Flaky cases (a violation seen on one attempt, not on its
    /// confirmation) do not fail the run. By default they do: a violation
    /// seen once is a violation.
    #[arg(long)]
    pub allow_flaky: bool,
    /// Exit 0 even when nothing was verified (no case passed: all skipped,
    /// inconclusive or throttled). By default that exits 4.
    #[arg(long)]
    pub allow_empty: bool,
    /// How long a case's operations are watched once done (a done operation
    /// must never change), in seconds [default: 2; 0.5 against the embedded
    /// reference].
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub settle_window: Option<Duration>,
    /// Which world the embedded reference serves (only without --target).
    #[command(flatten)]
    pub world: WorldArgs,
    /// libtest options: FILTER, --skip, --exact, --list, --test-threads ...
    #[command(flatten)]
    pub libtest: LibtestArgs,
}

/// The `cargo test` options, forwarded to libtest-mimic.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Selecting cases (as in `cargo test`)")]
pub struct LibtestArgs {
    /// Run only cases whose name contains FILTER (or equals it with --exact).
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,
    /// Skip cases whose name contains FILTER (repeatable).
    #[arg(long, value_name = "FILTER")]
    pub skip: Vec<String>,
    /// Match filters exactly rather than by substring.
    #[arg(long)]
    pub exact: bool,
    /// List the cases and exit; nothing is sent.
    #[arg(long)]
    pub list: bool,
    /// Number of cases run at once.
    #[arg(long, value_name = "N")]
    pub test_threads: Option<usize>,
    /// One character per case instead of one line.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Colour the trial lines: auto, always or never.
    #[arg(long, value_name = "WHEN")]
    pub color: Option<ColorArg>,
}

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorArg {
    /// Colour when writing to a terminal.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl LibtestArgs {
    /// The libtest-mimic arguments these stand for.
    pub fn to_libtest(&self) -> libtest_mimic::Arguments {
        libtest_mimic::Arguments {
            filter: self.filter.clone(),
            skip: self.skip.clone(),
            exact: self.exact,
            list: self.list,
            test_threads: self.test_threads,
            quiet: self.quiet,
            color: self.color.map(|c| match c {
                ColorArg::Auto => libtest_mimic::ColorSetting::Auto,
                ColorArg::Always => libtest_mimic::ColorSetting::Always,
                ColorArg::Never => libtest_mimic::ColorSetting::Never,
            }),
            ..libtest_mimic::Arguments::default()
        }
    }
}

/// `--fail-on` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOnArg {
    /// Only MUST failures fail the run.
    Must,
    /// MUST and SHOULD failures fail the run.
    Should,
}

fn parse_partition(s: &str) -> Result<run::Partition, String> {
    s.parse().map_err(|e: run::PartitionError| e.to_string())
}

fn parse_op(s: &str) -> Result<(FixtureState, String), String> {
    let (state, id) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not STATE=ID, e.g. running=op_123"))?;
    let state = match state {
        "running" => FixtureState::Running,
        "succeeded" => FixtureState::Succeeded,
        "failed" => FixtureState::Failed,
        "cancelled" => FixtureState::Cancelled,
        "retrying" => FixtureState::Retrying,
        other => {
            return Err(format!(
                "unknown state `{other}`; expected running, succeeded, failed, cancelled or retrying"
            ));
        }
    };
    if id.is_empty() {
        return Err("the operation id is empty".into());
    }
    Ok((state, id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_static_ops() {
        assert_eq!(
            parse_op("running=op_1").unwrap(),
            (FixtureState::Running, "op_1".to_string())
        );
        assert!(
            parse_op("paused=op_1")
                .unwrap_err()
                .contains("unknown state")
        );
        assert!(parse_op("op_1").is_err());
        assert!(parse_op("running=").is_err());
    }
}
