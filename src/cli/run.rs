//! `opconform run`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::case::{FixtureState, PlannedCase};
use crate::contract::Level;
use crate::contract::{Mode, Schemas};
use crate::exit::ExitStatus;
use crate::model::CaseOutcome;
use crate::redact::Redactor;
use crate::reference;
use crate::report::{self, console};
use crate::run::{self, Engine, FailOn, RunOptions, Target};

use super::target_args::{TargetArgs, parse_secs, warn_insecure};

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
    /// Reports to write: any of junit,json,md,html.
    #[arg(long, value_name = "FORMATS")]
    pub report: Option<String>,
    /// Folder for reports [default: reports].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
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

/// `--dialect` and `--tempo` of the embedded reference.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct WorldArgs {
    /// The embedded reference answers in akua's documented dialect or the
    /// alternate one (every other choice lenient mode accepts: 200 cancels,
    /// 412 stale If-Match, `{"error": ...}` envelopes, no list, ...).
    #[arg(long, value_name = "DIALECT", default_value = "akua", value_parser = parse_dialect)]
    pub dialect: reference::Dialect,
    /// The embedded reference's operations stay put (`frozen`) or move on
    /// their own (`live`: a step every ~200 ms, a retried step, done in ~2 s).
    #[arg(long, value_name = "TEMPO", default_value = "frozen", value_parser = parse_tempo)]
    pub tempo: reference::Tempo,
}

impl WorldArgs {
    /// The world these flags name.
    pub fn world(&self) -> crate::target::World {
        crate::target::World {
            dialect: self.dialect,
            tempo: self.tempo,
        }
    }

    /// Refuses a world other than the default together with a target.
    pub(crate) fn check(&self, target_url: Option<&str>) -> Result<(), ExitStatus> {
        if target_url.is_some() && self.world() != crate::target::World::default() {
            eprintln!(
                "error: --dialect and --tempo choose the embedded reference's world; they cannot be used with --target"
            );
            return Err(ExitStatus::BadInput);
        }
        Ok(())
    }
}

fn parse_dialect(s: &str) -> Result<reference::Dialect, String> {
    s.parse()
        .map_err(|e: reference::UnknownWorld| e.to_string())
}

fn parse_tempo(s: &str) -> Result<reference::Tempo, String> {
    s.parse()
        .map_err(|e: reference::UnknownWorld| e.to_string())
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

/// Loads `--cases` (or the bundled cases); prints every error.
pub(crate) fn load(paths: &[PathBuf]) -> Result<Vec<PlannedCase>, ExitStatus> {
    let loaded = if paths.is_empty() {
        run::load_bundled()
    } else {
        run::load_cases(paths)
    };
    loaded.map_err(|errors| {
        for e in &errors {
            // Loader errors render themselves rustc-style, `error: ...` first.
            if e.starts_with("error") {
                eprintln!("{e}");
            } else {
                eprintln!("error: {e}");
            }
        }
        eprintln!(
            "error: {} case file error(s); nothing was sent",
            errors.len()
        );
        ExitStatus::BadInput
    })
}

/// Bundled schemas, or those of `--openapi`.
pub(crate) fn schemas(openapi: Option<&PathBuf>) -> Result<Schemas, ExitStatus> {
    let loaded = match openapi {
        Some(p) => Schemas::from_openapi(p),
        None => Schemas::bundled(),
    };
    loaded.map_err(|e| {
        eprintln!("error: failed to {e}");
        ExitStatus::BadInput
    })
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, ExitStatus> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: failed to start the async runtime: {e}");
            ExitStatus::BadInput
        })
}

/// Runs `opconform run`.
pub fn main(args: RunArgs) -> ExitStatus {
    match run_main(args) {
        Ok(s) | Err(s) => s,
    }
}

fn run_main(args: RunArgs) -> Result<ExitStatus, ExitStatus> {
    let profile = args.target.load_profile()?;
    let formats = match (&args.report, &profile.report) {
        (Some(list), _) => report::Format::parse_list(list).map_err(|e| {
            eprintln!("error: --report: {e}");
            ExitStatus::BadInput
        })?,
        (None, Some(list)) => list.clone(),
        (None, None) => Vec::new(),
    };
    let target_url = args.target.target_url(&profile);
    TargetArgs::check_faults(target_url.as_deref(), &args.faults)?;
    args.world.check(target_url.as_deref())?;
    let faults = reference::faults_named(&args.faults).map_err(|e| {
        eprintln!("error: {e}");
        ExitStatus::BadInput
    })?;
    let case_paths = match (&args.cases, &profile.cases) {
        (given, _) if !given.is_empty() => given.clone(),
        (_, Some(from_profile)) => from_profile.clone(),
        _ => Vec::new(),
    };
    let cases = load(&case_paths)?;
    let schemas = schemas(args.openapi.as_ref())?;
    let fail_on = match (args.fail_on, profile.fail_on) {
        (Some(FailOnArg::Must), _) | (None, Some(Level::Must)) => FailOn::Must,
        _ => FailOn::Should,
    };
    let gate = run::Gate {
        fail_on,
        allow_flaky: args.allow_flaky,
    };
    let ca_cert_pem = args.target.ca_cert_pem(&profile)?;
    let insecure = args.target.insecure(&profile);
    let mode = if args.strict {
        Mode::Strict
    } else if args.lenient {
        Mode::Lenient
    } else {
        profile.mode().unwrap_or(Mode::Lenient)
    };
    let defaults = RunOptions::default();
    let options = RunOptions {
        mode,
        request_timeout: args
            .request_timeout
            .or(profile.request_timeout)
            .unwrap_or(defaults.request_timeout),
        settle_deadline: args
            .settle_deadline
            .or(profile.settle_deadline)
            .unwrap_or(defaults.settle_deadline),
        secrets: args.target.secrets.clone(),
        deadline: Some(
            args.deadline
                .or(profile.deadline)
                .unwrap_or(Duration::from_secs(600)),
        ),
        body_cap: args.target.body_cap(defaults.body_cap),
        pacing: run::PacingOptions {
            rate: args.target.rate(&profile),
            ..run::PacingOptions::default()
        },
        transport: run::TransportOptions {
            ca_cert_pem,
            insecure,
            follow_redirects: args.follow_redirects,
        },
        waivers: run::Waivers::new(profile.waivers.clone(), None),
        settle_window: args.settle_window.unwrap_or(if target_url.is_some() {
            defaults.settle_window
        } else {
            run::EMBEDDED_SETTLE_WINDOW
        }),
        ..defaults
    };
    let mut libtest = args.libtest.to_libtest();
    if libtest.test_threads.is_none() {
        libtest.test_threads = args.concurrency.or(profile.concurrency).map(|n| n.get());
    }
    let cases = match args.partition {
        Some(p) => run::select(cases, &libtest, Some(p)),
        None => cases,
    };
    let rt = runtime()?;

    if args.libtest.list {
        // Listing sends nothing: no server, no probe.
        let engine = Arc::new(
            Engine::new(Target::default(), options, schemas).map_err(|e| {
                eprintln!("error: failed to {e}");
                ExitStatus::BadInput
            })?,
        );
        let redactor = engine.redactor().clone();
        let render: run::FailureRenderer =
            Arc::new(move |c| console::failure_message(c, &redactor));
        run::run_trials(
            engine,
            cases,
            &libtest,
            rt.handle().clone(),
            fail_on,
            render,
        );
        return Ok(ExitStatus::Success);
    }

    let (token, foreign_token) = match &target_url {
        Some(_) => args.target.tokens(&profile)?,
        None => (None, None),
    };
    let mut static_ops = args.ops.clone();
    if static_ops.is_empty() {
        static_ops = profile.ops.iter().map(|(s, id)| (*s, id.clone())).collect();
    }
    let remote = target_url.as_ref().map(|url| Target {
        base_url: url.clone(),
        token: token.clone(),
        foreign_token: foreign_token.clone(),
        broad_token: args.target.broad_token(),
        context: args.target.context(&profile),
        fixtures_url: args.target.fixtures(&profile),
        static_ops,
        embedded: false,
        faults: Vec::new(),
    });

    if args.dry_run {
        let shown = remote.clone().unwrap_or_else(|| Target {
            context: args.target.context.clone(),
            embedded: true,
            ..Target::default()
        });
        let selected = run::select(cases, &libtest, None);
        let redactor = shown.redactor(&args.target.secrets);
        print!("{}", redactor.redact(&run::plan_text(&selected, &shown)));
        return Ok(ExitStatus::Success);
    }
    if insecure {
        warn_insecure();
    }

    let (target, server) = match remote {
        Some(t) => (t, None),
        None => {
            let world = args.world.world();
            let (mut target, server) = rt
                .block_on(crate::target::launch_embedded(world, faults.clone()))
                .map_err(|e| {
                    eprintln!("error: failed to start the embedded reference server: {e}");
                    ExitStatus::TargetUnreachable
                })?;
            target.context = args.target.context.clone();
            (target, Some(server))
        }
    };
    let engine = Arc::new(Engine::new(target, options, schemas).map_err(|e| {
        eprintln!("error: failed to {e}");
        ExitStatus::BadInput
    })?);
    let redactor: Redactor = engine.redactor().clone();

    let reachable = match args.target.wait_for_target(&profile) {
        Some(wait) => rt
            .block_on(run::wait_for_target(
                &engine,
                wait,
                Duration::from_millis(250),
            ))
            .map(|_| ()),
        None => rt.block_on(engine.probe()),
    };
    if let Err(why) = reachable {
        eprintln!("error: {}", redactor.redact(&why));
        eprintln!("error: nothing was run; check --target and that the server is up");
        return Err(ExitStatus::TargetUnreachable);
    }

    let render_redactor = redactor.clone();
    let render: run::FailureRenderer =
        Arc::new(move |c| console::failure_message(c, &render_redactor));
    let trial_run = run::run_trials(
        Arc::clone(&engine),
        cases,
        &libtest,
        rt.handle().clone(),
        fail_on,
        render,
    );
    let result = trial_run.result;

    let warnings: Vec<_> = result
        .cases
        .iter()
        .filter(|c| run::case_warns(c, gate))
        .collect();
    if !warnings.is_empty() {
        println!("\nwarnings (SHOULD invariants failed; --fail-on must):");
        for c in warnings {
            println!("---- {} ----", c.name);
            print!("{}", console::failure_message(c, &redactor));
        }
    }
    print!("{}", console::invariant_summary(&result, &redactor, gate));
    let retries: u64 = result
        .cases
        .iter()
        .flat_map(|c| &c.steps)
        .flat_map(|s| &s.exchanges)
        .map(|e| u64::from(e.retries))
        .sum();
    if retries > 0 {
        println!("\nthrottled: {retries} request(s) re-sent after 429/503 with Retry-After");
    }
    let failed = run::run_fails(&result, gate);
    let incomplete = run::run_incomplete(&result);
    let empty = !failed && !incomplete && run::nothing_verified(&result) && !args.allow_empty;
    let closing = if failed || incomplete {
        console::Closing::Failed
    } else if empty {
        console::Closing::Empty
    } else {
        console::Closing::Ok
    };
    println!();
    println!("{}", console::closing_line(&result, closing));

    // The verdict first: it stands whatever happens to the report files.
    let verdict = if incomplete {
        let stopped = result.cases.iter().any(|c| {
            matches!(&c.outcome, CaseOutcome::NotRun { reason } if reason == run::STOPPED_REASON)
        });
        let not_run = result.count("not_run");
        if stopped {
            eprintln!(
                "error: the target stopped answering (3 requests in a row without a response); \
                 {not_run} case(s) not run"
            );
        } else {
            eprintln!(
                "error: the run deadline passed before every case ran; {not_run} case(s) not run"
            );
        }
        ExitStatus::TargetUnreachable
    } else if failed {
        ExitStatus::InvariantFailed
    } else if empty {
        eprintln!(
            "error: nothing was verified: no case passed ({} skipped, {} inconclusive); \
             --allow-empty accepts that",
            result.count("skipped"),
            result.count("inconclusive")
        );
        ExitStatus::NothingVerified
    } else {
        ExitStatus::Success
    };

    let mut status = verdict;
    if !formats.is_empty() {
        let out = args
            .out
            .clone()
            .or_else(|| profile.out.clone())
            .unwrap_or_else(|| PathBuf::from("reports"));
        match report::write_reports(&result, &formats, &out) {
            Ok(paths) => {
                for p in paths {
                    println!("report: {}", p.display());
                }
            }
            Err(e) => {
                // Requests were sent, so this is not bad input (2).
                eprintln!("error: failed to {e}");
                status = verdict.with_report_not_written();
            }
        }
    }
    if let Some(server) = server {
        rt.block_on(server.shutdown());
    }
    Ok(status)
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
