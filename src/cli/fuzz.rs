//! `opconform fuzz`.

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::contract::Mode;
use crate::exit::ExitStatus;
use crate::fuzz::{self, FuzzConfig, FuzzError, FuzzTarget, Progress, Source};
use crate::reference::{self, ReferenceConfig, ReferenceServer};
use crate::report;

/// Arguments of `opconform fuzz`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  opconform fuzz --cases 5000 --seed 42\n  opconform fuzz --stateful --cases 200\n  opconform fuzz --fault id-dash-500 --emit-case cases/found.toml\n  opconform fuzz --target https://api.example.test/v1 --fixtures https://api.example.test/__fixtures/operations --time 60\n\nCounterexamples are appended to the regressions file (default .opconform/fuzz-regressions.jsonl) and replayed first on every later run."
)]
pub struct FuzzArgs {
    /// Base URL of the API under test, including `/v1` (default: start the
    /// embedded reference server).
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// Bearer token of the workspace under test.
    #[arg(long, env = "AKUA_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// A second workspace's token (accepted for symmetry with `run`; unused).
    #[arg(long, env = "AKUA_FOREIGN_TOKEN", hide_env_values = true)]
    pub foreign_token: Option<String>,
    /// The token's workspace id, sent as a valid `akua-context`.
    #[arg(long, value_name = "WS_ID")]
    pub context: Option<String>,
    /// Fixture provider URL (`POST {"state": ...}` returns a fresh Operation).
    #[arg(long, value_name = "URL")]
    pub fixtures: Option<String>,
    /// Demand akua's own conventions (strict status sets).
    #[arg(long)]
    pub strict: bool,
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
    /// Write the counterexample as a case file (TOML) here.
    #[arg(long, value_name = "FILE")]
    pub emit_case: Option<PathBuf>,
    /// Reports to write: any of junit,json,md,html.
    #[arg(long, value_name = "FORMATS")]
    pub report: Option<String>,
    /// Folder for reports.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub out: PathBuf,
    /// Per-request deadline in seconds ("no hang").
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub request_timeout: u64,
    /// Write the generated requests (--cases, --seed) as raw HTTP/1.1, one
    /// escaped request a line, for a load generator to replay; send none.
    #[arg(long, value_name = "FILE", hide = true, conflicts_with_all = ["stateful", "time"])]
    pub dump_requests: Option<PathBuf>,
    /// Step length of the embedded reference's lifecycle, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 50, hide = true)]
    pub step_ms: u64,
}

/// Runs `opconform fuzz`.
pub fn main(args: FuzzArgs) -> ExitStatus {
    match fuzz_main(args) {
        Ok(s) | Err(s) => s,
    }
}

fn bad(msg: impl std::fmt::Display) -> ExitStatus {
    eprintln!("error: {msg}");
    ExitStatus::BadInput
}

fn fuzz_main(args: FuzzArgs) -> Result<ExitStatus, ExitStatus> {
    let formats = match &args.report {
        Some(list) => {
            report::Format::parse_list(list).map_err(|e| bad(format!("--report: {e}")))?
        }
        None => Vec::new(),
    };
    if args.target.is_some() && !args.faults.is_empty() {
        return Err(bad(
            "--fault switches on faults of the embedded reference; it cannot be used with --target",
        ));
    }
    if args.concurrency == 0 {
        return Err(bad("--concurrency must be at least 1"));
    }
    let faults = reference::faults_named(&args.faults).map_err(bad)?;
    let seed = args.seed.unwrap_or_else(|| {
        let u = uuid::Uuid::new_v4();
        u.as_u64_pair().0
    });
    let config = FuzzConfig {
        cases: args
            .cases
            .unwrap_or(if args.time.is_some() { u64::MAX } else { 1000 }),
        time: args.time.map(Duration::from_secs),
        seed,
        stateful: args.stateful,
        concurrency: args.concurrency,
        mode: if args.strict {
            Mode::Strict
        } else {
            Mode::Lenient
        },
        regressions: (!args.no_regressions).then(|| args.regressions.clone()),
        request_timeout: Duration::from_secs(args.request_timeout.max(1)),
        ..FuzzConfig::default()
    };
    let rt = super::run::runtime()?;
    let (target, server) = match &args.target {
        Some(url) => (
            FuzzTarget {
                base_url: url.clone(),
                token: args.token.clone(),
                workspace: args.context.clone(),
                fixtures_url: args.fixtures.clone(),
                embedded: false,
                faults: Vec::new(),
            },
            None,
        ),
        None => {
            let rc = ReferenceConfig {
                step_length: Duration::from_millis(args.step_ms.max(1)),
                faults: faults.clone(),
                fixtures: true,
                ..ReferenceConfig::default()
            };
            let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
            let server = rt.block_on(ReferenceServer::start(rc, addr)).map_err(|e| {
                eprintln!("error: failed to start the embedded reference server: {e}");
                ExitStatus::TargetUnreachable
            })?;
            (
                FuzzTarget {
                    base_url: server.base_url(),
                    token: Some(reference::ALPHA_TOKEN.to_string()),
                    workspace: Some(args.context.clone().unwrap_or_else(|| "ws_alpha".into())),
                    fixtures_url: Some(server.fixtures_url()),
                    embedded: true,
                    faults: faults.iter().map(|f| f.name.to_string()).collect(),
                },
                Some(server),
            )
        }
    };
    if let Some(path) = &args.dump_requests {
        let dumped = fuzz::dump_requests(&config, target, rt.handle());
        if let Some(server) = server {
            rt.block_on(server.shutdown());
        }
        let lines = match dumped {
            Ok(lines) => lines,
            Err(FuzzError::Target(e)) => {
                eprintln!("error: failed to {e}");
                return Err(ExitStatus::TargetUnreachable);
            }
            Err(e) => return Err(bad(format!("failed to {e}"))),
        };
        let mut text = lines.join("\n");
        text.push('\n');
        if let Err(e) = std::fs::write(path, text) {
            return Err(bad(format!("failed to write {}: {e}", path.display())));
        }
        println!(
            "fuzz: {} requests written to {}",
            lines.len(),
            path.display()
        );
        return Ok(ExitStatus::Success);
    }
    let quiet = std::env::var_os("CI").is_some() || !std::io::stderr().is_terminal();
    let bar = (!quiet).then(|| {
        let b = indicatif::ProgressBar::new(if config.cases == u64::MAX {
            0
        } else {
            config.cases
        });
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} fuzz [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
        ) {
            b.set_style(style);
        }
        b
    });
    let mode_label = if args.stateful {
        "stateful"
    } else {
        "stateless"
    };
    println!(
        "fuzz: {mode_label}, seed {seed}, target {}",
        redacted_url(&target)
    );
    let progress = |p: Progress| {
        if let Some(b) = &bar {
            match p {
                Progress::Replaying(n) => b.set_message(format!("replaying {n} regressions")),
                Progress::Generated { done, .. } => {
                    b.set_position(done);
                    b.set_message("");
                }
                Progress::Shrinking(n) => b.set_message(format!("shrinking ({n})")),
            }
        }
    };
    let outcome = fuzz::run(&config, target, &progress);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if let Some(server) = server {
        rt.block_on(server.shutdown());
    }
    let outcome = match outcome {
        Ok(o) => o,
        Err(FuzzError::Target(e)) => {
            eprintln!("error: failed to {e}");
            return Err(ExitStatus::TargetUnreachable);
        }
        Err(FuzzError::NoFixtures) => {
            return Err(bad(
                "failed to run stateful fuzzing: it needs a fixture provider (--fixtures)",
            ));
        }
        Err(e) => return Err(bad(format!("failed to {e}"))),
    };
    let secs = outcome.generation_time.as_secs_f64();
    let rate = if secs > 0.0 {
        outcome.generated_requests as f64 / secs
    } else {
        0.0
    };
    println!(
        "fuzz: {} regressions replayed; {} inputs, {} requests ({} generated in {:.2} s, {:.0} req/s), {} skipped (unsendable)",
        outcome.replayed,
        outcome.cases,
        outcome.requests,
        outcome.generated_requests,
        secs,
        rate,
        outcome.skipped
    );
    for cx in &outcome.counterexamples {
        let origin = match cx.source {
            Source::Regression => "regression (replayed)",
            Source::Generated => "counterexample",
        };
        println!(
            "\n---- {origin}, seed {}, shrunk in {} steps ----",
            cx.seed, cx.shrink_steps
        );
        for v in &cx.violations {
            println!(
                "  {} [{}]: expected {}, got {}",
                v.property.name(),
                v.invariant,
                v.expected,
                v.actual
            );
        }
        match serde_json::to_string(&cx.input) {
            Ok(j) => println!("  input: {j}"),
            Err(e) => println!("  input: (not serialisable: {e})"),
        }
        for r in &cx.reproducers {
            println!("  reproduce:\n    {}", r.replace('\n', "\n    "));
        }
    }
    if outcome.persisted
        && let Some(p) = &config.regressions
    {
        println!(
            "regression saved to {} (replayed first next time)",
            p.display()
        );
    }
    if let (Some(path), Some(cx)) = (&args.emit_case, outcome.counterexamples.first()) {
        if let Err(e) = std::fs::write(path, &cx.case_file) {
            return Err(bad(format!("failed to write {}: {e}", path.display())));
        }
        println!("case file written to {}", path.display());
    }
    if !formats.is_empty() {
        match report::write_reports(&outcome.result, &formats, &args.out) {
            Ok(paths) => {
                for p in paths {
                    println!("report: {}", p.display());
                }
            }
            Err(e) => return Err(bad(format!("failed to {e}"))),
        }
    }
    Ok(if outcome.counterexamples.is_empty() {
        println!("fuzz: no counterexample");
        ExitStatus::Success
    } else {
        ExitStatus::InvariantFailed
    })
}

fn redacted_url(t: &FuzzTarget) -> String {
    let r = crate::redact::Redactor::new(t.token.iter().cloned());
    r.redact(&t.base_url).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert_eq!(main(w.args), ExitStatus::BadInput);
        let w = Wrap::try_parse_from([
            "x",
            "--target",
            "http://127.0.0.1:9/v1",
            "--fault",
            "id-dash-500",
        ])
        .expect("parses");
        assert_eq!(main(w.args), ExitStatus::BadInput);
    }
}
