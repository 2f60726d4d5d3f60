//! The flags of `opconform fuzz`.

use std::path::PathBuf;
use std::time::Duration;

use crate::fuzz;

use crate::cli::common::ReportArgs;
use crate::cli::target_args::{TargetArgs, WorldArgs, parse_secs};

/// Arguments of `opconform fuzz`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  opconform fuzz --cases 5000 --seed 42\n  opconform fuzz --stateful --cases 200\n  opconform fuzz --fault id-dash-500 --emit-case cases/found.toml\n  opconform fuzz --fault id-dash-500 --fault ifmatch-list-first-only --max-failures 5 --seed 1\n  opconform fuzz --stateful --fault cancel-terminal-mutates --max-failures 1\n  opconform fuzz --target https://api.example.test/v1 --fixtures https://api.example.test/__fixtures/operations --time 60\n  opconform fuzz --profile staging --rate 50/s --cases 2000\n  opconform fuzz --target https://localhost:8443/v1 --ca-cert dev-ca.pem --max-body 65536 --secret ws_j572abc123def456\n\nThe target options (--target, --profile, --config, tokens, --context, --fixtures, --rate, --ca-cert, --insecure, --max-body, --secret, --wait-for-target, --request-timeout) are those of `opconform run`, read from the same opconform.toml profiles (flag > profile > default). Redirects are never followed: a redirect status is judged like any other, so --follow-redirects is refused.\n\nA session keeps going after a failure: it collects distinct failures (a different property or invariant, or a different shape of the shrunk input: endpoint, method, which request parts are set and their classes, never literal values) up to --max-failures, shrinks each, and counts a failing input that is one of them again as a duplicate without shrinking it. Failures are attributed in input order, so a seed names the same failures at any --concurrency. --max-failures 1 stops at the first failing input.\n\nProperties: no 5xx, no hang, statuses in the contract's set, in-bounds input never rejected, out-of-bounds input never accepted, bodies and error envelopes, the stateful model, and `history`: every Operation body received (sequences' fixtures; the session's shared fixtures when stateless) is fed into its operation's history, whose lifecycle rules (done never reverts, done operations never change, steps only move forward, ETags change with the representation, ...) are those `opconform run` judges.\n\nEach distinct failure is appended to the regressions file (default .opconform/fuzz-regressions.jsonl) and replayed first on every later run; --emit-case FILE writes all of them as one case file, one case each (fuzz_seed_S, fuzz_seed_S_2, ...). A history breach seen across a stateless session's requests has no single-request replay: it is reported, not persisted or emitted (--stateful finds such breaches as sequences)."
)]
pub struct FuzzArgs {
    /// Which target, with which credentials and transport settings (the
    /// same options and profiles as `run`).
    #[command(flatten)]
    pub target: TargetArgs,
    /// Demand akua's own conventions (strict status sets).
    #[arg(long, conflicts_with = "lenient")]
    pub strict: bool,
    /// Lenient status sets even when the profile says `strict = true`.
    #[arg(long)]
    pub lenient: bool,
    /// Refused: the fuzzer never follows redirects (a redirect status is
    /// judged like any other); accepted by `run` only.
    #[arg(long)]
    pub follow_redirects: bool,
    /// Generated inputs (requests; sequences with --stateful).
    #[arg(long, value_name = "N", conflicts_with = "time")]
    pub cases: Option<u64>,
    /// Generate for this many seconds instead of a number of cases.
    #[arg(long, value_name = "SECS")]
    pub time: Option<u64>,
    /// Seed of the generator (default: random, printed).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Random call sequences against a model of the contract.
    #[arg(long)]
    pub stateful: bool,
    /// With --stateful: K clients race random call sequences on one
    /// operation at a time; every history must be linearizable
    /// (CONC-LINEARIZABLE), and a failing program is shrunk.
    #[arg(
        long,
        value_name = "K",
        requires = "stateful",
        conflicts_with = "dump_requests"
    )]
    pub concurrent_clients: Option<usize>,
    /// Requests in flight at once.
    #[arg(long, value_name = "C", default_value_t = 32)]
    pub concurrency: usize,
    /// Switch on a reference fault (repeatable; only without --target).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// The regressions file, replayed first and appended to.
    #[arg(long, value_name = "FILE", default_value = fuzz::DEFAULT_PATH)]
    pub regressions: PathBuf,
    /// Neither replay nor write the regressions file.
    #[arg(long)]
    pub no_regressions: bool,
    /// Write every counterexample as one case file (TOML) here, one case
    /// each.
    #[arg(long, value_name = "FILE")]
    pub emit_case: Option<PathBuf>,
    /// Stop once this many distinct failures are known (replayed
    /// regressions that still fail included); 1 stops at the first failing
    /// input. The default reports every distinct failure a session meets,
    /// as Schemathesis does, while bounding the shrinking a badly broken
    /// target costs (each new failure is shrunk; a bug usually shows as
    /// one to three shapes).
    #[arg(long, value_name = "N", default_value_t = fuzz::DEFAULT_MAX_FAILURES)]
    pub max_failures: usize,
    /// The target offers no list endpoint (`GET /operations`): generate no
    /// list request. Implied for the embedded reference in a dialect
    /// without one (`--dialect alternate`).
    #[arg(long)]
    pub no_list: bool,
    /// `--report` and `--out`.
    #[command(flatten)]
    pub reports: ReportArgs,
    /// Per-request deadline in seconds ("no hang") [default: 10]; fractions
    /// allowed, as in `run`.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub request_timeout: Option<Duration>,
    /// Write the generated requests (--cases, --seed) as raw HTTP/1.1, one
    /// escaped request a line, for a load generator to replay; send none.
    #[arg(long, value_name = "FILE", hide = true, conflicts_with_all = ["stateful", "time"])]
    pub dump_requests: Option<PathBuf>,
    /// Step length of the embedded reference's lifecycle, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 50, hide = true)]
    pub step_ms: u64,
    /// Which world the embedded reference serves (only without --target).
    #[command(flatten)]
    pub world: WorldArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::ExitStatus;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrap {
        #[command(flatten)]
        args: FuzzArgs,
    }

    #[test]
    fn cases_and_time_conflict_and_defaults_hold() {
        assert!(Wrap::try_parse_from(["x", "--cases", "5", "--time", "3"]).is_err());
        let w =
            Wrap::try_parse_from(["x", "--seed", "9", "--fault", "id-dash-500"]).expect("parses");
        assert_eq!(w.args.seed, Some(9));
        assert_eq!(w.args.concurrency, 32);
        assert_eq!(w.args.regressions, PathBuf::from(fuzz::DEFAULT_PATH));
    }

    #[test]
    fn unknown_faults_and_fault_with_target_are_bad_usage() {
        let w = Wrap::try_parse_from(["x", "--fault", "id-dash-50"]).expect("parses");
        assert_eq!(super::super::main(w.args), ExitStatus::BadInput);
        let w = Wrap::try_parse_from([
            "x",
            "--target",
            "http://127.0.0.1:9/v1",
            "--fault",
            "id-dash-500",
        ])
        .expect("parses");
        assert_eq!(super::super::main(w.args), ExitStatus::BadInput);
    }
}
