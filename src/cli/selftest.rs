//! `opconform selftest`.

use std::path::PathBuf;
use std::time::Duration;

use crate::contract::Mode;
use crate::exit::ExitStatus;
use crate::reference::{self, FaultInfo};
use crate::run::{self, Detection, KillMatrix, RunOptions};

/// Arguments of `opconform selftest`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  opconform selftest\n  opconform selftest --fault done-lags-state --fault wait-no-wake\n  opconform selftest --cases cases/ --cases my-cases/ --concurrency 2\n  opconform selftest --settle-deadline 30"
)]
pub struct SelftestArgs {
    /// Test only this fault (repeatable; default: every catalogued fault).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// Case files or directories (repeatable; default: the bundled cases).
    #[arg(long = "cases", value_name = "PATH")]
    pub cases: Vec<PathBuf>,
    /// Cases run at once against each reference instance.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub concurrency: usize,
    /// Faulty reference instances run at once (each gets its own server).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub faults_at_once: usize,
    /// Upper bound of every `eventually` deadline (and `{{ settle_secs }}`),
    /// in seconds. The reference settles a cancel within one 100 ms step.
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    pub settle_deadline: u64,
    /// Run the suite in lenient mode. By default selftest runs it in strict
    /// mode: the reference implements akua's own conventions, so
    /// strict-only invariants count, and several faults break only those.
    #[arg(long)]
    pub lenient: bool,
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
    let cases = super::run::load(&args.cases)?;
    let rt = super::run::runtime()?;
    let options = RunOptions {
        mode: if args.lenient {
            Mode::Lenient
        } else {
            Mode::Strict
        },
        settle_deadline: Duration::from_secs(args.settle_deadline),
        ..RunOptions::default()
    };
    println!(
        "selftest: {} faults, suite in {} mode{}",
        faults.len(),
        mode_name(options.mode),
        if args.lenient {
            ""
        } else {
            " (--lenient for the lenient reading)"
        }
    );
    let matrix = rt
        .block_on(run::selftest(
            &cases,
            &options,
            &faults,
            args.concurrency,
            args.faults_at_once,
        ))
        .map_err(|e| {
            eprintln!("error: failed to {e}");
            ExitStatus::TargetUnreachable
        })?;
    print!("{}", render(&matrix, options.mode));
    Ok(if matrix.passes() {
        ExitStatus::Success
    } else {
        ExitStatus::InvariantFailed
    })
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Strict => "strict",
        Mode::Lenient => "lenient",
    }
}

/// The kill matrix as text.
fn render(m: &KillMatrix, mode: Mode) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let r = &m.reference;
    let _ = writeln!(
        out,
        "reference: {} ({} passed, {} failed, {} flaky, {} skipped, {} inconclusive)",
        if m.reference_failures.is_empty() {
            "ok"
        } else {
            "FAILED"
        },
        r.count("passed"),
        r.count("failed"),
        r.count("flaky"),
        r.count("skipped"),
        r.count("inconclusive"),
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
    let (mut detected, mut missed, mut generated) = (0, 0, 0);
    for row in &m.rows {
        let verdict = match &row.detection {
            Detection::Detected { by } => {
                detected += 1;
                format!("detected by {}", by.join(", "))
            }
            Detection::OtherInvariantsOnly { by } => {
                format!(
                    "MISSED: detected by OTHER invariants only: {} (breaks {})",
                    by.join(", "),
                    row.breaks.join(", ")
                )
            }
            Detection::Missed => format!("MISSED (breaks {})", row.breaks.join(", ")),
        };
        if !row.detected() {
            if row.generated_only {
                generated += 1;
            } else {
                missed += 1;
            }
        }
        let tag = if row.generated_only && !row.detected() {
            " [generated-only: fuzz is expected to find it]"
        } else {
            ""
        };
        let _ = writeln!(out, "{:<width$}  {verdict}{tag}", row.fault);
    }
    let _ = writeln!(
        out,
        "\nselftest result ({} mode): {}. {detected} detected; {missed} missed; {generated} generated-only not detected; reference {}",
        mode_name(mode),
        if m.passes() { "ok" } else { "FAILED" },
        if m.reference_failures.is_empty() {
            "clean"
        } else {
            "failing"
        }
    );
    out
}
