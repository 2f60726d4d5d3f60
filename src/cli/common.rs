//! What every subcommand that runs cases needs: the case files, the
//! schemas, an async runtime, and the reports written at the end.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::case::PlannedCase;
use crate::contract::Schemas;
use crate::exit::ExitStatus;
use crate::model::RunResult;
use crate::profile::Profile;
use crate::race::RaceError;
use crate::redact::Redactor;
use crate::report;
use crate::run;

/// `--report` and `--out`, the same in every subcommand that writes reports.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReportArgs {
    /// Reports to write: any of junit,json,md,html.
    #[arg(long, value_name = "FORMATS")]
    pub report: Option<String>,
    /// Folder for reports [default: reports].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

impl ReportArgs {
    /// The formats of `--report`, else the profile's (none without either).
    pub(crate) fn formats(
        &self,
        from_profile: Option<&Vec<report::Format>>,
    ) -> Result<Vec<report::Format>, ExitStatus> {
        formats(self.report.as_deref(), from_profile)
    }

    /// The folder of `--out`, else the profile's, else `reports`.
    pub(crate) fn out(&self, from_profile: Option<&PathBuf>) -> PathBuf {
        self.out
            .clone()
            .or_else(|| from_profile.cloned())
            .unwrap_or_else(|| PathBuf::from("reports"))
    }
}

/// `(request timeout, settle deadline)`: each the flag's, else the
/// profile's, else the default's.
pub(crate) fn deadlines(
    flags: (Option<Duration>, Option<Duration>),
    profile: &Profile,
    defaults: (Duration, Duration),
) -> (Duration, Duration) {
    (
        flags.0.or(profile.request_timeout).unwrap_or(defaults.0),
        flags.1.or(profile.settle_deadline).unwrap_or(defaults.1),
    )
}

/// Prints a race (or concurrent fuzz) session that could not finish, and
/// its exit status: the target's fault when it could not be reached or
/// could not make fixtures, else bad input.
pub(crate) fn race_failed(e: RaceError, redactor: &Redactor) -> ExitStatus {
    eprintln!("error: {}", redactor.redact(&e.to_string()));
    match e {
        RaceError::Connect { .. } | RaceError::Unreachable(_) | RaceError::Fixture { .. } => {
            ExitStatus::TargetUnreachable
        }
        _ => ExitStatus::BadInput,
    }
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

/// Writes `formats` of `result` into `out` (each file redacted with
/// `redactor`) and prints their paths. Requests were sent, so a report
/// that cannot be written is not bad input: `verdict` becomes exit 5
/// unless it is worse.
pub(crate) fn write_reports(
    result: &RunResult,
    formats: &[report::Format],
    out: &Path,
    redactor: &Redactor,
    verdict: ExitStatus,
) -> ExitStatus {
    if formats.is_empty() {
        return verdict;
    }
    match report::write_reports_redacted(result, formats, out, redactor) {
        Ok(paths) => {
            for p in paths {
                println!("report: {}", p.display());
            }
            verdict
        }
        Err(e) => {
            eprintln!("error: failed to {e}");
            verdict.with_report_not_written()
        }
    }
}

/// `--report` (a comma list), else `from_profile`, else none.
pub(crate) fn formats(
    flag: Option<&str>,
    from_profile: Option<&Vec<report::Format>>,
) -> Result<Vec<report::Format>, ExitStatus> {
    match (flag, from_profile) {
        (Some(list), _) => report::Format::parse_list(list).map_err(|e| {
            eprintln!("error: --report: {e}");
            ExitStatus::BadInput
        }),
        (None, Some(list)) => Ok(list.clone()),
        (None, None) => Ok(Vec::new()),
    }
}
