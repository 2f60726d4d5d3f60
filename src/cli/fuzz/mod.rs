//! `opconform fuzz`: flags → settings ([`settings`]) → a live target →
//! the library's fuzz session → the console ([`print`]), the case file,
//! the reports and the exit code.

mod args;
mod concurrent;
mod print;
mod settings;

use std::path::Path;

use crate::exit::ExitStatus;
use crate::fuzz::{self, FuzzError, FuzzOutcome};
use crate::redact::Redactor;
use crate::target::{Launched, launch};

pub use args::FuzzArgs;
use settings::{FuzzSettings, bad};

use super::common;
use super::target_args::warn_insecure;

/// Runs `opconform fuzz`.
pub fn main(args: FuzzArgs) -> ExitStatus {
    match fuzz_main(&args) {
        Ok(s) | Err(s) => s,
    }
}

fn fuzz_main(args: &FuzzArgs) -> Result<ExitStatus, ExitStatus> {
    let s = FuzzSettings::resolve(args)?;
    let redactor = s.spec.redactor();
    let rt = common::runtime()?;
    let embedded = s.spec.url_str().is_none();
    let launched = rt.block_on(launch(s.spec)).map_err(|e| {
        if embedded {
            eprintln!("error: failed to start the embedded reference server: {e}");
            ExitStatus::TargetUnreachable
        } else {
            bad(format!("failed to {}", redactor.redact(&e.to_string())))
        }
    })?;
    if s.insecure {
        warn_insecure();
    }
    let Launched { target, served } = launched;
    if let Some(k) = args.concurrent_clients {
        let outcome = concurrent::run(&s.config, k, &target, &rt, &redactor);
        if let Some(served) = served {
            rt.block_on(served.shutdown());
        }
        let result = outcome?;
        return Ok(common::write_reports(
            &result.0,
            &s.formats,
            &args.reports.out(None),
            &redactor,
            result.1,
        ));
    }
    if let Some(path) = &args.dump_requests {
        let dumped = fuzz::dump_requests(&s.config, target, rt.handle());
        if let Some(served) = served {
            rt.block_on(served.shutdown());
        }
        return dump(dumped.map_err(|e| failed(e, &redactor))?, path, &redactor);
    }
    print::start(&s.config, &target, &redactor);
    let bar = print::progress_bar(&s.config);
    let outcome = fuzz::run(&s.config, target, &|p| print::progress(&bar, p));
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if let Some(served) = served {
        rt.block_on(served.shutdown());
    }
    let outcome = outcome.map_err(|e| failed(e, &redactor))?;
    print::outcome(&outcome, &s.config, &redactor);
    // The verdict first: it stands whatever happens to the files below.
    let verdict = if outcome.counterexamples.is_empty() {
        println!("fuzz: no counterexample");
        ExitStatus::Success
    } else {
        ExitStatus::InvariantFailed
    };
    let verdict = emit_case(&outcome, args.emit_case.as_deref(), &redactor, verdict);
    let verdict = super::har::finish(s.recorder.as_ref(), verdict);
    Ok(common::write_reports(
        &outcome.result,
        &s.formats,
        &args.reports.out(None),
        &redactor,
        verdict,
    ))
}

/// A session that could not run: the target (exit 3) or the input (2).
fn failed(e: FuzzError, redactor: &Redactor) -> ExitStatus {
    match e {
        FuzzError::Target(e) => {
            eprintln!("error: failed to {}", redactor.redact(&e.to_string()));
            ExitStatus::TargetUnreachable
        }
        FuzzError::NoFixtures => {
            bad("failed to run stateful fuzzing: it needs a fixture provider (--fixtures)")
        }
        e => bad(format!("failed to {e}")),
    }
}

/// `--dump-requests`: the generated requests, one escaped line each.
fn dump(lines: Vec<String>, path: &Path, redactor: &Redactor) -> Result<ExitStatus, ExitStatus> {
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
    Ok(ExitStatus::Success)
}

/// `--emit-case FILE`: every replayable failure as one case file. Requests
/// were sent: a file that cannot be written is exit 5, not bad input.
fn emit_case(
    outcome: &FuzzOutcome,
    path: Option<&Path>,
    redactor: &Redactor,
    verdict: ExitStatus,
) -> ExitStatus {
    let cases = outcome
        .counterexamples
        .iter()
        .filter(|c| c.replayable)
        .count();
    match (path, outcome.case_file()) {
        (Some(path), Some(text)) => match std::fs::write(path, redactor.redact(&text).as_bytes()) {
            Ok(()) => {
                println!(
                    "case file written to {} ({cases} {})",
                    path.display(),
                    if cases == 1 { "case" } else { "cases" }
                );
                verdict
            }
            Err(e) => {
                eprintln!("error: failed to write {}: {e}", path.display());
                verdict.with_report_not_written()
            }
        },
        (Some(path), None) if !outcome.counterexamples.is_empty() => {
            println!(
                "no case file written to {}: no failure of this session replays as a case",
                path.display()
            );
            verdict
        }
        _ => verdict,
    }
}
