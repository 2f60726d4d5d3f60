//! `opconform run`'s flags and profile, resolved once into what the run
//! needs (ripgrep's `LowArgs → HiArgs`): the target, the options, the
//! gate, the cases and where the reports go. Everything that can be wrong
//! with the input is found here, before anything is sent (exit 2).

use std::path::PathBuf;
use std::time::Duration;

use crate::case::PlannedCase;
use crate::contract::{Level, Schemas};
use crate::exit::ExitStatus;
use crate::gate::{FailOn, Gate, Waivers};
use crate::reference;
use crate::report;
use crate::run::{self, RunOptions};
use crate::target::TargetSpec;

use super::args::{FailOnArg, RunArgs};
use crate::cli::common;
use crate::cli::target_args::TargetArgs;

/// Everything `opconform run` does, decided.
pub(crate) struct RunSettings {
    /// What to test and how to reach it.
    pub spec: TargetSpec,
    /// True when the target is the embedded reference.
    pub embedded: bool,
    /// Runner options (mode, deadlines, settle window, waivers).
    pub options: RunOptions,
    /// What fails the run.
    pub gate: Gate,
    /// The cases, after `--partition`.
    pub cases: Vec<PlannedCase>,
    /// The schemas bodies are judged against.
    pub schemas: Schemas,
    /// Reports to write, and where.
    pub formats: Vec<report::Format>,
    /// The reports' folder.
    pub out: PathBuf,
    /// The libtest options (filter, threads, `--list` ...).
    pub libtest: libtest_mimic::Arguments,
    /// Exit 0 when nothing was verified.
    pub allow_empty: bool,
    /// TLS certificates are not checked (a warning is printed).
    pub insecure: bool,
    /// `--har`: where every exchange is recorded.
    pub recorder: Option<crate::target::Recorder>,
}

impl RunSettings {
    /// Resolves `args` over the chosen profile (flag > profile > default).
    pub(crate) fn resolve(args: &RunArgs) -> Result<RunSettings, ExitStatus> {
        let (profile, target_url) = args.target.start(&args.world, &args.faults)?;
        let formats = args.reports.formats(profile.report.as_ref())?;
        let faults = reference::faults_named(&args.faults).map_err(|e| {
            eprintln!("error: {e}");
            ExitStatus::BadInput
        })?;
        let case_paths = match (&args.cases, &profile.cases) {
            (given, _) if !given.is_empty() => given.clone(),
            (_, Some(from_profile)) => from_profile.clone(),
            _ => Vec::new(),
        };
        let mut cases = common::load(&case_paths)?;
        let schemas = common::schemas(args.openapi.as_ref())?;
        let fail_on = match (args.fail_on, profile.fail_on) {
            (Some(FailOnArg::Must), _) | (None, Some(Level::Must)) => FailOn::Must,
            _ => FailOn::Should,
        };
        let world = args.world.world();
        let mut spec = args.target.spec(
            &profile,
            || TargetSpec::embedded(world, faults),
            args.follow_redirects,
            true,
        )?;
        let ops: Vec<_> = if args.ops.is_empty() {
            profile.ops.clone().into_iter().collect()
        } else {
            args.ops.clone()
        };
        if target_url.is_some() {
            for (state, id) in ops {
                spec = spec.op(state, id);
            }
        }
        let recorder = crate::cli::har::recorder(args.target.har.as_deref())?;
        if let Some(r) = &recorder {
            spec = spec.record(r.clone());
        }
        let embedded = target_url.is_none();
        if embedded && !world.has_list() {
            // As selftest does: the dialect has no list endpoint.
            let before = cases.len();
            cases.retain(|c| !c.name.contains("list"));
            eprintln!(
                "note: the reference in dialect {} offers no list endpoint; {} list cases are left out",
                world.dialect.as_str(),
                before - cases.len()
            );
        }
        let options = run_options(args, &profile, embedded);
        let mut libtest = args.libtest.to_libtest();
        if libtest.test_threads.is_none() {
            libtest.test_threads = args.concurrency.or(profile.concurrency).map(|n| n.get());
        }
        let cases = match args.partition {
            Some(p) => run::select(cases, &libtest, Some(p)),
            None => cases,
        };
        Ok(RunSettings {
            insecure: args.target.insecure(&profile),
            spec,
            embedded,
            options,
            gate: Gate {
                fail_on,
                allow_flaky: args.allow_flaky,
            },
            cases,
            schemas,
            formats,
            out: args.reports.out(profile.out.as_ref()),
            libtest,
            allow_empty: args.allow_empty,
            recorder,
        })
    }
}

/// The runner's options: flag > profile > default; the settle window is
/// shorter against the embedded reference, whose steps are quick.
fn run_options(args: &RunArgs, profile: &crate::profile::Profile, embedded: bool) -> RunOptions {
    let defaults = RunOptions::default();
    let mode = TargetArgs::mode(args.strict, args.lenient, profile);
    let (request_timeout, settle_deadline) = common::deadlines(
        (args.request_timeout, args.settle_deadline),
        profile,
        (defaults.request_timeout, defaults.settle_deadline),
    );
    RunOptions {
        mode,
        request_timeout,
        settle_deadline,
        deadline: Some(
            args.deadline
                .or(profile.deadline)
                .unwrap_or(Duration::from_secs(600)),
        ),
        waivers: Waivers::new(profile.waivers.clone(), None),
        settle_window: args.settle_window.unwrap_or(if embedded {
            run::EMBEDDED_SETTLE_WINDOW
        } else {
            defaults.settle_window
        }),
        ..defaults
    }
}
