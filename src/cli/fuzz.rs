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

use super::target_args::{TargetArgs, parse_secs, warn_insecure};

/// Per-request deadline when neither `--request-timeout` nor the profile
/// sets one.
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

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
    /// Reports to write: any of junit,json,md,html.
    #[arg(long, value_name = "FORMATS")]
    pub report: Option<String>,
    /// Folder for reports.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub out: PathBuf,
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
    if args.follow_redirects {
        return Err(bad(
            "--follow-redirects: the fuzzer never follows redirects (a redirect status is \
             judged like any other); drop the flag",
        ));
    }
    let profile = args.target.load_profile()?;
    let formats = match &args.report {
        Some(list) => {
            report::Format::parse_list(list).map_err(|e| bad(format!("--report: {e}")))?
        }
        None => Vec::new(),
    };
    let target_url = args.target.target_url(&profile);
    TargetArgs::check_faults(target_url.as_deref(), &args.faults)?;
    if args.concurrency == 0 {
        return Err(bad("--concurrency must be at least 1"));
    }
    if args.max_failures == 0 {
        return Err(bad("--max-failures must be at least 1"));
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
        } else if args.lenient {
            Mode::Lenient
        } else {
            profile.mode().unwrap_or(Mode::Lenient)
        },
        regressions: (!args.no_regressions).then(|| args.regressions.clone()),
        request_timeout: args
            .request_timeout
            .or(profile.request_timeout)
            .unwrap_or(DEFAULT_REQUEST_TIMEOUT),
        max_failures: args.max_failures,
        ..FuzzConfig::default()
    };
    // Read and checked before anything is sent (exit 2, the file named).
    let ca_cert_pem = args.target.ca_cert_pem(&profile)?;
    let insecure = args.target.insecure(&profile);
    // What every target shares: transport, pacing, redaction.
    let common = FuzzTarget {
        ca_cert_pem,
        insecure,
        max_body: Some(args.target.body_cap(fuzz::DEFAULT_BODY_CAP)),
        rate: args.target.rate(&profile),
        secrets: args.target.secrets.clone(),
        wait_for_target: args.target.wait_for_target(&profile),
        ..FuzzTarget::default()
    };
    let rt = super::run::runtime()?;
    let (target, server) = match &target_url {
        Some(url) => {
            let (token, foreign_token) = args.target.tokens(&without_foreign_env(&profile))?;
            let mut common = common;
            // Never sent by the fuzzer, but a secret all the same.
            common.secrets.extend(foreign_token);
            (
                FuzzTarget {
                    base_url: url.clone(),
                    token,
                    workspace: args.target.context(&profile),
                    fixtures_url: args.target.fixtures(&profile),
                    embedded: false,
                    faults: Vec::new(),
                    ..common
                },
                None,
            )
        }
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
                    workspace: Some(
                        args.target
                            .context
                            .clone()
                            .unwrap_or_else(|| "ws_alpha".into()),
                    ),
                    fixtures_url: Some(server.fixtures_url()),
                    embedded: true,
                    faults: faults.iter().map(|f| f.name.to_string()).collect(),
                    ..common
                },
                Some(server),
            )
        }
    };
    let redactor = target.redactor();
    if insecure {
        warn_insecure();
    }
    if let Some(path) = &args.dump_requests {
        let dumped = fuzz::dump_requests(&config, target, rt.handle());
        if let Some(server) = server {
            rt.block_on(server.shutdown());
        }
        let lines = match dumped {
            Ok(lines) => lines,
            Err(FuzzError::Target(e)) => {
                eprintln!("error: failed to {}", redactor.redact(&e.to_string()));
                return Err(ExitStatus::TargetUnreachable);
            }
            Err(e) => return Err(bad(format!("failed to {e}"))),
        };
        let mut text = redactor.redact(&lines.join("\n")).into_owned();
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
        redactor.redact(&target.base_url)
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
            eprintln!("error: failed to {}", redactor.redact(&e.to_string()));
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
    let found = outcome.counterexamples.len();
    println!(
        "fuzz: {} regressions replayed; {} inputs, {} requests ({} generated in {:.2} s, {:.0} req/s), {} skipped (unsendable, or a cancel the guard refused); {} distinct {} ({} duplicates){}",
        outcome.replayed,
        outcome.cases,
        outcome.requests,
        outcome.generated_requests,
        secs,
        rate,
        outcome.skipped,
        found,
        if found == 1 { "failure" } else { "failures" },
        outcome.duplicates,
        if outcome.stopped_at_max {
            format!(", stopped at --max-failures {}", config.max_failures)
        } else {
            String::new()
        }
    );
    for (i, cx) in outcome.counterexamples.iter().enumerate() {
        let origin = match (cx.source, cx.replayable) {
            (Source::Regression, _) => "regression (replayed)".to_string(),
            (Source::Generated, true) => {
                format!("counterexample, shrunk in {} steps", cx.shrink_steps)
            }
            (Source::Generated, false) => {
                "history breach across the session's requests, not shrunk".to_string()
            }
        };
        println!(
            "\n---- failure {} of {found}: {origin}, seed {}, {} duplicates ----",
            i + 1,
            cx.seed,
            cx.duplicates
        );
        // Checks quote response bodies: everything printed is redacted.
        let r = |s: &str| redactor.redact(s).into_owned();
        for v in &cx.violations {
            println!(
                "  {} [{}]: expected {}, got {}",
                v.property.name(),
                v.invariant,
                r(&v.expected),
                r(&v.actual)
            );
        }
        println!("  shape: {}", cx.shape);
        match serde_json::to_string(&cx.input) {
            Ok(j) => println!("  input: {}", r(&j)),
            Err(e) => println!("  input: (not serialisable: {e})"),
        }
        for rep in &cx.reproducers {
            println!("  reproduce:\n    {}", r(rep).replace('\n', "\n    "));
        }
    }
    if outcome.persisted
        && let Some(p) = &config.regressions
    {
        println!(
            "regressions saved to {} (replayed first next time)",
            p.display()
        );
    }
    // The verdict first: it stands whatever happens to the files below.
    let verdict = if outcome.counterexamples.is_empty() {
        println!("fuzz: no counterexample");
        ExitStatus::Success
    } else {
        ExitStatus::InvariantFailed
    };
    // Requests were sent: a file that cannot be written is not bad input (2).
    let mut status = verdict;
    let cases = outcome
        .counterexamples
        .iter()
        .filter(|c| c.replayable)
        .count();
    match (&args.emit_case, outcome.case_file()) {
        (Some(path), Some(text)) => match std::fs::write(path, redactor.redact(&text).as_bytes()) {
            Ok(()) => println!(
                "case file written to {} ({cases} {})",
                path.display(),
                if cases == 1 { "case" } else { "cases" }
            ),
            Err(e) => {
                eprintln!("error: failed to write {}: {e}", path.display());
                status = verdict.with_report_not_written();
            }
        },
        (Some(path), None) if !outcome.counterexamples.is_empty() => println!(
            "no case file written to {}: no failure of this session replays as a case",
            path.display()
        ),
        _ => {}
    }
    if !formats.is_empty() {
        match report::write_reports_redacted(&outcome.result, &formats, &args.out, &redactor) {
            Ok(paths) => {
                for p in paths {
                    println!("report: {}", p.display());
                }
            }
            Err(e) => {
                eprintln!("error: failed to {e}");
                status = verdict.with_report_not_written();
            }
        }
    }
    Ok(status)
}

/// The profile without its foreign-token variable: the fuzzer sends no
/// second workspace's token, so a profile naming an unset one is no error.
fn without_foreign_env(profile: &crate::profile::Profile) -> crate::profile::Profile {
    crate::profile::Profile {
        foreign_token_env: None,
        ..profile.clone()
    }
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
