//! [`harness_main`]: the suite as the `main` of a `harness = false`
//! integration test, so every case is a trial in `cargo test` output.
//!
//! Like `src/cli/`, this is a program's edge: it prints the errors that stop
//! the run and the per-invariant summary, and hands libtest's exit code back.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;

use libtest_mimic::Arguments;

use super::error::SuiteError;
use super::suite::Suite;
use crate::report::{self, console};
use crate::run::{self, FailOn, TrialRun};

/// Environment variable: reports to write after the trials, any of
/// `junit,json,md,html` (e.g. for CI).
pub const REPORT_ENV: &str = "OPCONFORM_REPORT";
/// Environment variable: folder for [`REPORT_ENV`] reports (default `reports`).
pub const REPORT_OUT_ENV: &str = "OPCONFORM_OUT";

/// Runs the suite `make` builds as `cargo test` trials and returns the
/// process exit code. Call it from the `main` of an integration test
/// declared with `harness = false`:
///
/// ```toml
/// # Cargo.toml
/// [[test]]
/// name = "conformance"
/// harness = false
/// ```
///
/// ```no_run
/// // tests/conformance.rs
/// use opconform::{Suite, TargetSpec};
///
/// fn main() -> std::process::ExitCode {
///     opconform::harness_main(|| {
///         // Runs inside the tokio runtime: `app()` may spawn tasks.
///         let app = axum::Router::new(); // your_server::app()
///         Ok(Suite::bundled()?.target(
///             TargetSpec::router(app)
///                 .token("sk_test_alpha")
///                 .fixtures("/__fixtures/operations"),
///         ))
///     })
/// }
/// ```
///
/// `cargo test --test conformance -- cancel`, `-- --exact NAME`, `--skip`,
/// `--list` and `--test-threads` work as for any test. With
/// `OPCONFORM_REPORT=junit,md` the reports are written to `OPCONFORM_OUT`
/// (default `reports/`) after the trials.
pub fn harness_main<F>(make: F) -> ExitCode
where
    F: FnOnce() -> Result<Suite, SuiteError>,
{
    let args = Arguments::from_args();
    match run_harness(&args, make) {
        Ok(trial_run) => {
            if !args.list {
                print!(
                    "{}",
                    console::invariant_summary(
                        &trial_run.result,
                        &crate::redact::Redactor::default(),
                        run::FailOn::Should,
                    )
                );
                if let Err(e) = write_env_reports(&trial_run) {
                    eprintln!("error: failed to {e}");
                    return ExitCode::FAILURE;
                }
                // Same rule as `opconform run`: cases the deadline stopped
                // are "ignored" trials, but the run is not a pass.
                if run::run_incomplete(&trial_run.result) {
                    eprintln!("error: the run deadline passed before every case ran");
                    return ExitCode::FAILURE;
                }
                // An empty verification is not a pass (`opconform run`'s
                // exit 4): every case skipped, inconclusive or throttled.
                if !trial_run.result.cases.is_empty()
                    && run::nothing_verified(&trial_run.result)
                    && !run::run_fails(&trial_run.result, FailOn::Should)
                {
                    eprintln!(
                        "error: nothing was verified: no case passed (all skipped, inconclusive \
                         or throttled)"
                    );
                    return ExitCode::FAILURE;
                }
            }
            trial_run.conclusion.exit_code()
        }
        Err(e) => {
            eprintln!("error: failed to {e}");
            ExitCode::FAILURE
        }
    }
}

/// What [`harness_main`] does, without printing or exiting: builds a
/// runtime, calls `make` inside it, serves the target, runs the trials
/// under `args` and returns libtest's counts and the [`crate::model::RunResult`].
pub fn run_harness<F>(args: &Arguments, make: F) -> Result<TrialRun, SuiteError>
where
    F: FnOnce() -> Result<Suite, SuiteError>,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(SuiteError::Runtime)?;
    let suite = {
        // Entered only while `make` runs: trials block on the runtime from
        // libtest's threads (the calling thread included), which must not
        // be inside it.
        let _entered = rt.enter();
        make()?
    };
    let run = suite.run_trials(&rt, args);
    // Long-polls still in flight must not keep the test process alive.
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    run
}

fn write_env_reports(trial_run: &TrialRun) -> Result<(), SuiteError> {
    let Ok(list) = std::env::var(REPORT_ENV) else {
        return Ok(());
    };
    let formats = report::Format::parse_list(&list)
        .map_err(|e| SuiteError::Reports(format!("{REPORT_ENV}: {e}")))?;
    let out = std::env::var_os(REPORT_OUT_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("reports"));
    let paths = report::write_reports(&trial_run.result, &formats, &out)
        .map_err(|e| SuiteError::Reports(e.to_string()))?;
    for p in paths {
        println!("report: {}", p.display());
    }
    Ok(())
}
