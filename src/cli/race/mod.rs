//! `opconform race`: flags → settings ([`settings`]) → a live target →
//! the library's race run ([`crate::race::race`]) → the console
//! ([`print`]), the reports and the exit code via `gate::conclude`.

mod args;
mod print;
mod settings;

use crate::exit::ExitStatus;
use crate::gate::{self, Conclusion};
use crate::race;
use crate::target::{Launched, launch};

pub use args::RaceArgs;
use settings::RaceSettings;

use super::common;
use super::target_args::warn_insecure;

/// Runs `opconform race`.
pub fn main(args: RaceArgs) -> ExitStatus {
    match race_main(&args) {
        Ok(s) | Err(s) => s,
    }
}

fn race_main(args: &RaceArgs) -> Result<ExitStatus, ExitStatus> {
    let s = RaceSettings::resolve(args)?;
    if args.list {
        print::list(&s.scenarios);
        return Ok(ExitStatus::Success);
    }
    let redactor = s.spec.redactor();
    let rt = common::runtime()?;
    let Launched { target, served } = rt.block_on(launch(s.spec)).map_err(|e| {
        eprintln!(
            "error: failed to start the target: {}",
            redactor.redact(&e.to_string())
        );
        if s.embedded {
            ExitStatus::TargetUnreachable
        } else {
            ExitStatus::BadInput
        }
    })?;
    if s.insecure {
        warn_insecure();
    }
    print::start(&s.options, &s.scenarios, &target, &redactor);
    let run = rt.block_on(race::race(&target, &s.scenarios, &s.options));
    if let Some(served) = served {
        rt.block_on(served.shutdown());
    }
    let run = run.map_err(|e| common::race_failed(e, &redactor))?;
    print!("{}", print::outcome(&run, &redactor));
    print!("{}", print::totals(&run.result));
    // The verdict first: it stands whatever happens to the report files.
    let verdict = match gate::conclude(&run.result, s.gate, s.allow_empty) {
        Conclusion::Passed => ExitStatus::Success,
        Conclusion::Failed => ExitStatus::InvariantFailed,
        Conclusion::Incomplete { .. } => ExitStatus::TargetUnreachable,
        Conclusion::Empty => {
            eprintln!(
                "error: nothing was verified: every scenario was skipped; --allow-empty accepts that"
            );
            ExitStatus::NothingVerified
        }
    };
    let verdict = super::har::finish(s.recorder.as_ref(), verdict);
    Ok(common::write_reports(
        &run.result,
        &s.formats,
        &s.out,
        &redactor,
        verdict,
    ))
}
