//! `opconform fuzz --stateful --concurrent-clients K`: random programs of
//! K racing clients on one operation at a time ([`crate::race::explore`]),
//! every history checked for linearizability; the first failing program
//! shrunk, printed with its minimal non-linearizable part as a timeline.

use crate::exit::ExitStatus;
use crate::gate::{self, Conclusion, FailOn};
use crate::model::RunResult;
use crate::race::{self, ExploreConfig, RaceOptions};
use crate::redact::Redactor;
use crate::report::timeline;
use crate::target::Target;

use super::settings::bad;
use crate::cli::common;
use crate::fuzz::FuzzConfig;

/// Runs the exploration; the result and the exit code it deserves.
pub(super) fn run(
    s: &FuzzConfig,
    clients: usize,
    target: &Target,
    rt: &tokio::runtime::Runtime,
    redactor: &Redactor,
) -> Result<(RunResult, ExitStatus), ExitStatus> {
    if clients < 2 {
        return Err(bad(format!(
            "--concurrent-clients {clients}: a race needs at least 2 clients"
        )));
    }
    let config = ExploreConfig {
        clients,
        programs: s.cases,
        time: s.time,
        seed: s.seed,
        options: RaceOptions {
            clients,
            mode: s.mode,
            request_timeout: s.request_timeout,
            ..RaceOptions::default()
        },
        ..ExploreConfig::default()
    };
    println!(
        "fuzz: stateful, {clients} concurrent clients, seed {}, target {}",
        config.seed,
        redactor.redact(&target.base_url)
    );
    let run = rt
        .block_on(race::explore(target, &config))
        .map_err(|e| common::race_failed(e, redactor))?;
    let e = &run.explored;
    println!(
        "fuzz: {} programs, {} requests, {:.1} s",
        e.programs,
        e.requests,
        e.elapsed.as_secs_f64()
    );
    if let Some(found) = &e.found {
        let mut out = format!(
            "\nfuzz: a history of {} requests has no legal order; the program shrunk to {} in {} runs:\n",
            found.original.len(),
            found.shrunk.len(),
            found.shrink_runs
        );
        for line in found.shrunk.label().lines() {
            out.push_str(&format!("  {line}\n"));
        }
        for v in found.trial.verdicts.iter().filter(|v| !v.passed) {
            out.push_str(&format!("  {}: {}\n", v.invariant, v.evidence));
        }
        for tl in &run.result.timelines {
            out.push_str(&format!("  {}:\n", tl.title));
            for line in timeline::text(tl).lines() {
                out.push_str(&format!("    {line}\n"));
            }
        }
        print!("{}", redactor.redact(&out));
    } else {
        println!("fuzz: every history was linearizable");
    }
    let verdict = match gate::conclude(&run.result, FailOn::Should, false) {
        Conclusion::Passed => ExitStatus::Success,
        Conclusion::Failed => ExitStatus::InvariantFailed,
        Conclusion::Incomplete { .. } => ExitStatus::TargetUnreachable,
        Conclusion::Empty => ExitStatus::NothingVerified,
    };
    Ok((run.result, verdict))
}
