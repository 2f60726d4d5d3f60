//! `opconform race`'s flags and profile, resolved once into what the run
//! needs (flag > profile > default): the target, the scenarios, the race
//! options and where the reports go. Everything that can be wrong with the
//! input is found here, before anything is sent (exit 2).

use std::path::PathBuf;

use crate::exit::ExitStatus;
use crate::gate::{FailOn, Gate};
use crate::race::{self, RaceOptions, Scenario};
use crate::reference;
use crate::report;
use crate::target::TargetSpec;

use super::args::RaceArgs;
use crate::cli::common;
use crate::cli::target_args::TargetArgs;

/// Everything `opconform race` does, decided.
pub(crate) struct RaceSettings {
    /// `--har`: where every exchange is recorded.
    pub recorder: Option<crate::target::Recorder>,
    /// What to race and how to reach it.
    pub spec: TargetSpec,
    /// True when the target is the embedded reference.
    pub embedded: bool,
    /// The scenarios, in report order.
    pub scenarios: Vec<Scenario>,
    /// N, R, mode, deadlines.
    pub options: RaceOptions,
    /// What fails the run: every race invariant is a MUST.
    pub gate: Gate,
    /// Reports to write, and where.
    pub formats: Vec<report::Format>,
    /// The reports' folder.
    pub out: PathBuf,
    /// Exit 0 when nothing was verified.
    pub allow_empty: bool,
    /// TLS certificates are not checked (a warning is printed).
    pub insecure: bool,
}

fn bad(msg: impl std::fmt::Display) -> ExitStatus {
    eprintln!("error: {msg}");
    ExitStatus::BadInput
}

impl RaceSettings {
    /// Resolves `args` over the chosen profile.
    pub(crate) fn resolve(args: &RaceArgs) -> Result<RaceSettings, ExitStatus> {
        let (profile, target_url) = args.target.start(&args.world, &args.faults)?;
        let formats = args.reports.formats(profile.report.as_ref())?;
        if args.clients < 2 {
            return Err(bad(format!(
                "--clients {}: a race needs at least 2 requests released together",
                args.clients
            )));
        }
        if args.repeat == 0 {
            return Err(bad("--repeat 0: every scenario needs at least 1 trial"));
        }
        let scenarios = select(&args.scenarios)?;
        let faults = reference::faults_named(&args.faults).map_err(bad)?;
        let world = args.world.world();
        let embedded = || race::embedded(world, faults);
        let mut spec = args.target.spec(&profile, embedded, false, false)?;
        let recorder = crate::cli::har::recorder(args.target.har.as_deref())?;
        if let Some(r) = &recorder {
            spec = spec.record(r.clone());
        }
        let defaults = RaceOptions::default();
        let (request_timeout, settle_deadline) = common::deadlines(
            (args.request_timeout, args.settle_deadline),
            &profile,
            (defaults.request_timeout, defaults.settle_deadline),
        );
        let options = RaceOptions {
            clients: args.clients,
            trials: args.repeat,
            mode: TargetArgs::mode(args.strict, args.lenient, &profile),
            request_timeout,
            settle_deadline,
            ..defaults
        };
        Ok(RaceSettings {
            recorder,
            insecure: args.target.insecure(&profile),
            embedded: target_url.is_none(),
            spec,
            scenarios,
            options,
            gate: Gate {
                fail_on: FailOn::Should,
                allow_flaky: false,
            },
            formats,
            out: args.reports.out(profile.out.as_ref()),
            allow_empty: args.allow_empty,
        })
    }
}

/// The scenarios whose names contain one of `filters` (all without
/// filters); a filter that matches none is an error naming them all.
pub(crate) fn select(filters: &[String]) -> Result<Vec<Scenario>, ExitStatus> {
    for f in filters {
        if !Scenario::ALL.iter().any(|s| s.name().contains(f.as_str())) {
            let names: Vec<String> = Scenario::ALL.iter().map(|s| s.name()).collect();
            return Err(bad(format!(
                "no race scenario matches `{f}`; the scenarios are: {}",
                names.join(", ")
            )));
        }
    }
    Ok(Scenario::ALL
        .into_iter()
        .filter(|s| filters.is_empty() || filters.iter().any(|f| s.name().contains(f.as_str())))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_select_by_substring_and_name_unknown_ones() {
        assert_eq!(select(&[]).expect("all").len(), Scenario::ALL.len());
        let keyed = select(&["lost-response-keyed".into()]).expect("some");
        assert_eq!(keyed.len(), 2);
        let two = select(&["lost-update".into(), "same-key".into()]).expect("two");
        assert_eq!(two, [Scenario::SameKey, Scenario::LostUpdate]);
        assert_eq!(select(&["nope".into()]), Err(ExitStatus::BadInput));
    }
}
