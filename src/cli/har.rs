//! `--har FILE` of `run` and `fuzz` (and any driver whose target the CLI
//! builds from [`super::target_args::TargetArgs`]): the recorder is made
//! before anything is sent, set on the target spec, and closed at the end.

use std::path::Path;

use crate::exit::ExitStatus;
use crate::target::Recorder;

/// The recorder for `--har`, its file created now (a file that cannot be
/// created is bad input: nothing is sent).
pub(crate) fn recorder(path: Option<&Path>) -> Result<Option<Recorder>, ExitStatus> {
    let Some(path) = path else { return Ok(None) };
    Recorder::create(path).map(Some).map_err(|e| {
        eprintln!(
            "error: --har {}: cannot create the file: {e}; give a writable path",
            path.display()
        );
        ExitStatus::BadInput
    })
}

/// Closes the HAR file and prints where it is; a file that could not be
/// written makes `verdict` exit 5 unless it is worse (as a report).
pub(crate) fn finish(recorder: Option<&Recorder>, verdict: ExitStatus) -> ExitStatus {
    let Some(r) = recorder else { return verdict };
    match r.finish() {
        Ok(n) => {
            println!("har: {} ({n} exchange(s))", r.path().display());
            verdict
        }
        Err(e) => {
            eprintln!("error: failed to {e}");
            verdict.with_report_not_written()
        }
    }
}
