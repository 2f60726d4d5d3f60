//! The flags of `opconform audit`.

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::common::ReportArgs;
use crate::cli::run::FailOnArg;
use crate::cli::target_args::parse_secs;

/// Arguments of `opconform audit`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Input: HAR 1.2 (*.har: browsers' developer tools, mitmproxy, Charles, `opconform run --har`) or JSON Lines (*.jsonl, *.ndjson, *.log: one exchange a line, schemas/exchange.schema.json); other names are told apart by their first line.\n\nExamples:\n  opconform audit staging.har\n  opconform audit --strict gateway.jsonl.1 gateway.jsonl --report junit,html\n  opconform audit --follow /var/log/gateway/operations.jsonl\n\nExit codes: 0 passed, 1 an invariant failed, 2 input that could not be read (the rest is still audited), 4 nothing verified."
)]
pub struct AuditArgs {
    /// Recorded traffic, read in the order given as one recording (pass a
    /// rotated log's parts oldest first).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Demand akua's own conventions (status codes, strict-only invariants).
    #[arg(long, conflicts_with = "lenient")]
    pub strict: bool,
    /// Lenient status sets (the default).
    #[arg(long)]
    pub lenient: bool,
    /// Tail one JSON Lines file as it grows and print each violation on one
    /// line as it happens; stops on Ctrl-C (or after --stop-after).
    #[arg(long)]
    pub follow: bool,
    /// With --follow: only lines appended from now on.
    #[arg(long, requires = "follow")]
    pub from_end: bool,
    /// With --follow: stop after this many seconds and report.
    #[arg(long, value_name = "SECS", value_parser = parse_secs, requires = "follow")]
    pub stop_after: Option<Duration>,
    /// How long a done operation's history is kept, in seconds of the
    /// recording's time [default: 600].
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub retention: Option<Duration>,
    /// How long after an accepted cancel a read may still show the
    /// operation running (CANCEL-SETTLES), in seconds [default: 30].
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub settle_deadline: Option<Duration>,
    /// Path of the API's base URL; exchanges outside `{base}/operations`
    /// are ignored [default: /v1].
    #[arg(long, value_name = "PATH")]
    pub base_path: Option<String>,
    /// Longest JSON Lines line (and largest HAR entry) read, in bytes; a
    /// longer one is an input error and skipped [default: 16 MiB / 64 MiB].
    #[arg(long, value_name = "BYTES")]
    pub max_line_bytes: Option<usize>,
    /// Take the schemas from this OpenAPI 3.1 document instead of the bundled ones.
    #[arg(long, value_name = "FILE")]
    pub openapi: Option<PathBuf>,
    /// `--report` and `--out`.
    #[command(flatten)]
    pub reports: ReportArgs,
    /// `should` (default): any failed MUST or SHOULD fails the audit;
    /// `must`: SHOULD failures are printed as warnings.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOnArg>,
    /// Exit 0 even when the traffic verified nothing (no invariant shown to
    /// hold). By default that exits 4.
    #[arg(long)]
    pub allow_empty: bool,
}
