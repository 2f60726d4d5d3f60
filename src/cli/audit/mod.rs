//! `opconform audit`: flags → settings ([`settings`]) → the library's
//! [`crate::audit`] (whole files, or `--follow`) → the console
//! ([`print`]), the reports and the exit code. Nothing is sent.

mod args;
mod print;
mod settings;

use crate::audit;
use crate::exit::ExitStatus;
use crate::gate;
use crate::redact::Redactor;
use crate::report::console;

pub use args::AuditArgs;
use settings::AuditSettings;

use super::common;

/// Runs `opconform audit`.
pub fn main(args: AuditArgs) -> ExitStatus {
    match audit_main(&args) {
        Ok(s) | Err(s) => s,
    }
}

fn audit_main(args: &AuditArgs) -> Result<ExitStatus, ExitStatus> {
    let s = AuditSettings::resolve(args)?;
    // Records are scrubbed as they are read (credential headers, tokens).
    let redactor = Redactor::new(Vec::<String>::new());
    let mut errors = print::Errors::default();
    let mut violations = print::Violations::default();
    let report = match &s.follow {
        Some(tail) => {
            // Ctrl-C ends the tail; the runtime only waits for the signal.
            let rt = common::runtime()?;
            let stop = tail.stop.clone();
            rt.spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    stop.store(true, std::sync::atomic::Ordering::SeqCst);
                }
            });
            print::following(&s.inputs[0]);
            audit::follow(
                &s.inputs[0],
                &s.schemas,
                s.options,
                tail.clone(),
                print::violation,
                |e| errors.show(e),
                print::note,
            )
            .map_err(|e| {
                eprintln!("error: {e}");
                ExitStatus::BadInput
            })?
        }
        None => audit::audit_files(
            &s.inputs,
            &s.schemas,
            s.options,
            |v| violations.show(v),
            |e| errors.show(e),
        ),
    };
    violations.finish();
    errors.finish();
    let conclusion = gate::conclude(&report.result, s.gate, s.allow_empty);
    let summary = console::run_summary(&report.result, &redactor, s.gate, conclusion);
    print::out(summary.trim_end_matches('\n'));
    print::stats(&report);
    // The verdict first: it stands whatever happens to the report files.
    let verdict = report.verdict(s.gate, s.allow_empty);
    Ok(common::write_reports(
        &report.result,
        &s.formats,
        &s.out,
        &redactor,
        verdict,
    ))
}
