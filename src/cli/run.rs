//! `opconform run`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::case::{FixtureState, PlannedCase};
use crate::contract::{Mode, Schemas};
use crate::exit::ExitStatus;
use crate::redact::Redactor;
use crate::reference::{self, ReferenceConfig, ReferenceServer};
use crate::report::{self, console};
use crate::run::{self, Engine, FailOn, RunOptions, Target};

/// Arguments of `opconform run`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  opconform run\n  opconform run --strict cancel\n  opconform run --target https://api.example.test/v1 --fixtures https://api.example.test/__fixtures/operations\n  opconform run --target URL --op running=op_123 --op succeeded=op_456 --report junit,json"
)]
pub struct RunArgs {
    /// Base URL of the API under test, including `/v1` (default: start the
    /// embedded reference server).
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// Bearer token of the workspace under test.
    #[arg(long, env = "AKUA_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// A second workspace's token, for isolation cases.
    #[arg(long, env = "AKUA_FOREIGN_TOKEN", hide_env_values = true)]
    pub foreign_token: Option<String>,
    /// Sent as `akua-context` on every request unless the case sets it.
    #[arg(long, value_name = "WS_ID")]
    pub context: Option<String>,
    /// Fixture provider URL (`POST {"state": ...}` returns a fresh Operation).
    #[arg(long, value_name = "URL")]
    pub fixtures: Option<String>,
    /// A static operation id to act on, e.g. `running=op_123` (repeatable).
    #[arg(long = "op", value_name = "STATE=ID", value_parser = parse_op)]
    pub ops: Vec<(FixtureState, String)>,
    /// Case files or directories (repeatable; default: the bundled cases).
    #[arg(long = "cases", value_name = "PATH")]
    pub cases: Vec<PathBuf>,
    /// Demand akua's own conventions (status codes, strict-only invariants).
    #[arg(long)]
    pub strict: bool,
    /// Take the schemas from this OpenAPI 3.1 document instead of the bundled ones.
    #[arg(long, value_name = "FILE")]
    pub openapi: Option<PathBuf>,
    /// Switch on a reference fault (repeatable; only without --target).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// Per-request timeout in seconds (a case's `timeout_ms` overrides it).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub request_timeout: u64,
    /// Upper bound of every `eventually` deadline, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub settle_deadline: u64,
    /// Whole-run deadline in seconds; cases not finished by then are not run (exit 3).
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    pub deadline: u64,
    /// Reports to write: any of junit,json,md,html.
    #[arg(long, value_name = "FORMATS")]
    pub report: Option<String>,
    /// Folder for reports.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    pub out: PathBuf,
    /// Another secret to redact from all output (repeatable).
    #[arg(long = "secret", value_name = "VALUE", hide_env_values = true)]
    pub secrets: Vec<String>,
    /// `should` (default): any failed MUST or SHOULD fails the run; `must`:
    /// SHOULD failures are printed as warnings.
    #[arg(long, value_enum, default_value = "should")]
    pub fail_on: FailOnArg,
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
            eprintln!("error: {e}");
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
    let formats = match &args.report {
        Some(list) => report::Format::parse_list(list).map_err(|e| {
            eprintln!("error: --report: {e}");
            ExitStatus::BadInput
        })?,
        None => Vec::new(),
    };
    if args.target.is_some() && !args.faults.is_empty() {
        eprintln!(
            "error: --fault switches on faults of the embedded reference; it cannot be used with --target"
        );
        return Err(ExitStatus::BadInput);
    }
    let mut faults = Vec::new();
    for name in &args.faults {
        match reference::fault(name) {
            Some(f) => faults.push(f),
            None => {
                let known: Vec<&str> = reference::faults().iter().map(|f| f.name).collect();
                eprintln!(
                    "error: unknown fault `{name}`; known faults: {}",
                    known.join(", ")
                );
                return Err(ExitStatus::BadInput);
            }
        }
    }
    let cases = load(&args.cases)?;
    let schemas = schemas(args.openapi.as_ref())?;
    let fail_on = match args.fail_on {
        FailOnArg::Must => FailOn::Must,
        FailOnArg::Should => FailOn::Should,
    };
    let options = RunOptions {
        mode: if args.strict {
            Mode::Strict
        } else {
            Mode::Lenient
        },
        request_timeout: Duration::from_secs(args.request_timeout.max(1)),
        settle_deadline: Duration::from_secs(args.settle_deadline),
        secrets: args.secrets.clone(),
        deadline: Some(Duration::from_secs(args.deadline)),
        ..RunOptions::default()
    };
    let rt = runtime()?;
    let libtest = args.libtest.to_libtest();

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

    let (target, server) = match &args.target {
        Some(url) => (
            Target {
                base_url: url.clone(),
                token: args.token.clone(),
                foreign_token: args.foreign_token.clone(),
                context: args.context.clone(),
                fixtures_url: args.fixtures.clone(),
                static_ops: args.ops.clone(),
                embedded: false,
                faults: Vec::new(),
            },
            None,
        ),
        None => {
            let config = ReferenceConfig {
                step_length: Duration::from_millis(20),
                faults: faults.clone(),
                fixtures: true,
                ..ReferenceConfig::default()
            };
            let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
            let server = rt
                .block_on(ReferenceServer::start(config, addr))
                .map_err(|e| {
                    eprintln!("error: failed to start the embedded reference server: {e}");
                    ExitStatus::TargetUnreachable
                })?;
            (
                Target {
                    base_url: server.base_url(),
                    token: Some(reference::ALPHA_TOKEN.to_string()),
                    foreign_token: Some(reference::BETA_TOKEN.to_string()),
                    context: args.context.clone(),
                    fixtures_url: Some(server.fixtures_url()),
                    static_ops: Vec::new(),
                    embedded: true,
                    faults: faults.iter().map(|f| f.name.to_string()).collect(),
                },
                Some(server),
            )
        }
    };
    let engine = Arc::new(Engine::new(target, options, schemas).map_err(|e| {
        eprintln!("error: failed to {e}");
        ExitStatus::BadInput
    })?);
    let redactor: Redactor = engine.redactor().clone();

    if let Err(why) = rt.block_on(engine.probe()) {
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
        .filter(|c| run::case_warns(c, fail_on))
        .collect();
    if !warnings.is_empty() {
        println!("\nwarnings (SHOULD invariants failed; --fail-on must):");
        for c in warnings {
            println!("---- {} ----", c.name);
            print!("{}", console::failure_message(c, &redactor));
        }
    }
    print!("{}", console::invariant_summary(&result, &redactor));
    let failed = run::run_fails(&result, fail_on);
    let incomplete = run::run_incomplete(&result);
    println!();
    println!("{}", console::closing_line(&result, failed || incomplete));

    if !formats.is_empty() {
        match report::write_reports(&result, &formats, &args.out) {
            Ok(paths) => {
                for p in paths {
                    println!("report: {}", p.display());
                }
            }
            Err(e) => {
                eprintln!("error: failed to {e}");
                return Err(ExitStatus::BadInput);
            }
        }
    }
    if let Some(server) = server {
        rt.block_on(server.shutdown());
    }
    Ok(if incomplete {
        eprintln!("error: the run deadline passed before every case ran");
        ExitStatus::TargetUnreachable
    } else if failed {
        ExitStatus::InvariantFailed
    } else {
        ExitStatus::Success
    })
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
