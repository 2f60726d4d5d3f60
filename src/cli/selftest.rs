//! `opconform selftest`.

use std::path::PathBuf;
use std::time::Duration;

use crate::contract::Mode;
use crate::exit::ExitStatus;
use crate::reference::{self, FaultInfo};
use crate::run::{self, RunOptions};
use crate::selftest::{self, Detection, Expected, KillMatrix, race};

/// Arguments of `opconform selftest`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  opconform selftest\n  opconform selftest --dialect alternate --tempo live\n  opconform selftest --fault done-lags-state --fault wait-no-wake\n  opconform selftest --cases cases/ --cases my-cases/ --concurrency 2\n  opconform selftest --settle-deadline 30"
)]
pub struct SelftestArgs {
    /// Test only this fault (repeatable; default: every catalogued fault).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// Case files or directories (repeatable; default: the bundled cases).
    #[arg(long = "cases", value_name = "PATH")]
    pub cases: Vec<PathBuf>,
    /// Cases run at once against each reference instance.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub concurrency: usize,
    /// Faulty reference instances run at once (each gets its own server).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub faults_at_once: usize,
    /// Upper bound of every `eventually` deadline (and `{{ settle_secs }}`),
    /// in seconds. The reference settles a cancel within one 100 ms step.
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    pub settle_deadline: u64,
    /// Run the suite in lenient mode. By default selftest runs it in strict
    /// mode against the akua dialect (the reference implements akua's own
    /// conventions, so strict-only invariants count, and several faults
    /// break only those) and in lenient mode against the alternate one
    /// (which takes the other documented choices).
    #[arg(long, conflicts_with = "strict")]
    pub lenient: bool,
    /// Run the suite in strict mode whatever the dialect.
    #[arg(long)]
    pub strict: bool,
    /// Trials of each race scenario against the clean reference (0: no
    /// races). Each race fault is hunted with its own stated N and R.
    #[arg(long, value_name = "R", default_value_t = 5)]
    pub race_repeat: usize,
    /// Which world the reference serves: its dialect and tempo.
    #[command(flatten)]
    pub world: super::target_args::WorldArgs,
}

/// Runs `opconform selftest`.
pub fn main(args: SelftestArgs) -> ExitStatus {
    match selftest_main(args) {
        Ok(s) | Err(s) => s,
    }
}

fn selftest_main(args: SelftestArgs) -> Result<ExitStatus, ExitStatus> {
    let faults: Vec<&'static FaultInfo> = if args.faults.is_empty() {
        reference::faults().iter().collect()
    } else {
        reference::faults_named(&args.faults).map_err(|e| {
            eprintln!("error: {e}");
            ExitStatus::BadInput
        })?
    };
    let world = args.world.world();
    let mut cases = super::common::load(&args.cases)?;
    let skipped_list = !world.has_list();
    if skipped_list {
        // The dialect has no list endpoint (`--skip list`).
        cases.retain(|c| !c.name.contains("list"));
    }
    let rt = super::common::runtime()?;
    let mode = if args.lenient {
        Mode::Lenient
    } else if args.strict || world.dialect == reference::Dialect::Akua {
        Mode::Strict
    } else {
        Mode::Lenient
    };
    let options = RunOptions {
        mode,
        settle_deadline: Duration::from_secs(args.settle_deadline),
        settle_window: run::EMBEDDED_SETTLE_WINDOW,
        ..RunOptions::default()
    };
    println!(
        "selftest: {} faults, reference world {}, suite in {} mode{}",
        faults.len(),
        world.name(),
        mode_name(options.mode),
        if skipped_list {
            " (list cases skipped: this dialect has no list endpoint)"
        } else {
            ""
        }
    );
    let matrix = rt
        .block_on(selftest::selftest_in(
            world,
            selftest::Plan {
                cases: &cases,
                options: &options,
                faults: &faults,
                concurrency: args.concurrency,
                faults_at_once: args.faults_at_once,
            },
        ))
        .map_err(|e| {
            eprintln!("error: failed to {e}");
            ExitStatus::TargetUnreachable
        })?;
    print!("{}", render(&matrix));
    let races = if args.race_repeat == 0 {
        None
    } else {
        let races = rt
            .block_on(race::race_selftest(world, mode, &faults, args.race_repeat))
            .map_err(|e| {
                eprintln!("error: failed to {e}");
                ExitStatus::TargetUnreachable
            })?;
        print!("{}", render_races(&races));
        Some(races)
    };
    Ok(
        if matrix.passes() && races.as_ref().is_none_or(race::RaceMatrix::passes) {
            ExitStatus::Success
        } else {
            ExitStatus::InvariantFailed
        },
    )
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Strict => "strict",
        Mode::Lenient => "lenient",
    }
}

/// The kill matrix as text.
fn render(m: &KillMatrix) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let r = &m.reference;
    let inconclusive = r.count("inconclusive");
    let reference_ok =
        m.reference_failures.is_empty() && inconclusive <= selftest::REFERENCE_INCONCLUSIVE_ALLOWED;
    let _ = writeln!(
        out,
        "reference: {} ({} passed, {} failed, {} flaky, {} skipped, {} inconclusive; at most {} inconclusive allowed)",
        if reference_ok { "ok" } else { "FAILED" },
        r.count("passed"),
        r.count("failed"),
        r.count("flaky"),
        r.count("skipped"),
        inconclusive,
        selftest::REFERENCE_INCONCLUSIVE_ALLOWED,
    );
    for name in &m.reference_failures {
        let _ = writeln!(out, "  reference failed: {name}");
    }
    let width = m
        .rows
        .iter()
        .map(|r| r.fault.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let _ = writeln!(out, "\n{:<width$}  verdict", "fault");
    let (mut detected, mut missed, mut unseen) = (0, 0, 0);
    for row in &m.rows {
        let verdict = match &row.detection {
            Detection::Detected { by } => format!("detected by {}", by.join(", ")),
            Detection::FlakyOnly { by } => format!(
                "only flaky: {} failed once, not on confirmation (not a kill)",
                by.join(", ")
            ),
            Detection::OtherInvariantsOnly { by } => format!(
                "detected by OTHER invariants only: {} (breaks {})",
                by.join(", "),
                row.breaks.join(", ")
            ),
            Detection::Missed => format!("not detected (breaks {})", row.breaks.join(", ")),
        };
        let tag = match row.expected {
            Expected::Visible if row.detected() => {
                detected += 1;
                String::new()
            }
            Expected::Visible => {
                missed += 1;
                " [MISSED]".to_string()
            }
            Expected::GeneratedOnly => {
                unseen += 1;
                let raced = reference::faults()
                    .iter()
                    .find(|f| f.name == row.fault)
                    .and_then(race::hunt);
                match raced {
                    Some(h) => format!(" [only races reach it: see races, {}]", h.scenario.name()),
                    None => " [generated-only: fuzz is expected to find it]".to_string(),
                }
            }
            Expected::Absent(why) => {
                unseen += 1;
                format!(" [absent in this world: {why}]")
            }
            Expected::LenientAccepts(why) => {
                unseen += 1;
                format!(" [lenient mode accepts it: {why}]")
            }
        };
        let _ = writeln!(out, "{:<width$}  {verdict}{tag}", row.fault);
    }
    let _ = writeln!(
        out,
        "\nselftest result ({}, {} mode): {}. {detected} detected; {missed} missed; {unseen} not visible here; reference {}",
        m.world.name(),
        mode_name(m.mode),
        if m.passes() { "ok" } else { "FAILED" },
        if reference_ok { "clean" } else { "failing" }
    );
    out
}

/// The race part as text: the clean reference's scenarios, then each race
/// fault with its scenario, N, R and violation rate.
fn render_races(m: &race::RaceMatrix) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let failures = m.reference_failures();
    let _ = writeln!(
        out,
        "\nraces: reference {} ({} scenarios{})",
        if failures.is_empty() { "ok" } else { "FAILED" },
        m.reference.len(),
        if failures.is_empty() {
            String::new()
        } else {
            format!("; violated: {}", failures.join(", "))
        }
    );
    let width = m.rows.iter().map(|r| r.fault.len()).max().unwrap_or(5);
    for row in &m.rows {
        let verdict = match (&row.report.skipped, &row.detection, row.unseen) {
            (Some(why), _, _) => format!("not run here: {why}"),
            (None, Detection::Detected { by }, _) => format!("detected by {}", by.join(", ")),
            (None, _, Some(why)) => format!("not visible here: {why}"),
            (None, Detection::Missed, None) => "not detected [MISSED]".to_string(),
            (None, other, None) => format!("{other:?} [MISSED]"),
        };
        let _ = writeln!(
            out,
            "{:<width$}  {} (N = {}, R = {}): {}; {verdict}",
            row.fault,
            row.hunt.scenario.name(),
            row.hunt.clients,
            row.hunt.trials,
            row.report.rate.label()
        );
    }
    let _ = writeln!(
        out,
        "races result: {}",
        if m.passes() { "ok" } else { "FAILED" }
    );
    out
}
