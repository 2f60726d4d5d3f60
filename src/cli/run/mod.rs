//! `opconform run`: flags → settings ([`settings`]) → the library's
//! [`Suite`] → the console summary, the reports and the exit code.

mod args;
mod settings;

use crate::exit::ExitStatus;
use crate::gate::{self, Conclusion};
use crate::harness::{Suite, SuiteError};
use crate::model::RunResult;
use crate::report::console;
use crate::run;

pub use args::RunArgs;
use settings::RunSettings;

use super::common;
use super::target_args::warn_insecure;

/// Runs `opconform run`.
pub fn main(args: RunArgs) -> ExitStatus {
    match run_main(&args) {
        Ok(s) | Err(s) => s,
    }
}

fn run_main(args: &RunArgs) -> Result<ExitStatus, ExitStatus> {
    let s = RunSettings::resolve(args)?;
    let redactor = s.spec.redactor();
    if args.dry_run {
        let selected = run::select(s.cases, &s.libtest, None);
        let shown = crate::target::unlaunched(&s.spec);
        print!("{}", redactor.redact(&run::plan_text(&selected, &shown)));
        return Ok(ExitStatus::Success);
    }
    if s.insecure && !s.libtest.list {
        warn_insecure();
    }
    let rt = common::runtime()?;
    let suite = Suite::with_cases(s.cases)
        .schemas(s.schemas)
        .options(s.options)
        .fail_on(s.gate.fail_on)
        .target(s.spec);
    let trial_run = suite.run_trials(&rt, &s.libtest).map_err(|e| match e {
        SuiteError::Unreachable(why) => {
            eprintln!("error: {why}");
            eprintln!("error: nothing was run; check --target and that the server is up");
            ExitStatus::TargetUnreachable
        }
        SuiteError::Launch(e) if s.embedded => {
            eprintln!("error: failed to start the embedded reference server: {e}");
            ExitStatus::TargetUnreachable
        }
        e => {
            eprintln!("error: failed to {}", redactor.redact(&e.to_string()));
            ExitStatus::BadInput
        }
    })?;
    if s.libtest.list {
        return Ok(ExitStatus::Success);
    }
    let result = trial_run.result;
    let conclusion = gate::conclude(&result, s.gate, s.allow_empty);
    print!(
        "{}",
        console::run_summary(&result, &redactor, s.gate, conclusion)
    );
    // The verdict first: it stands whatever happens to the report files.
    let verdict = verdict(&result, conclusion);
    Ok(common::write_reports(
        &result, &s.formats, &s.out, &redactor, verdict,
    ))
}

/// The exit code for `conclusion`, with the reason on stderr.
fn verdict(result: &RunResult, conclusion: Conclusion) -> ExitStatus {
    match conclusion {
        Conclusion::Passed => ExitStatus::Success,
        Conclusion::Failed => ExitStatus::InvariantFailed,
        Conclusion::Incomplete { stopped } => {
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
        }
        Conclusion::Empty => {
            eprintln!(
                "error: nothing was verified: no case passed ({} skipped, {} inconclusive); \
                 --allow-empty accepts that",
                result.count("skipped"),
                result.count("inconclusive")
            );
            ExitStatus::NothingVerified
        }
    }
}
