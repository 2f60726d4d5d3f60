//! What `opconform fuzz` prints: the start line, a progress bar on a
//! terminal, the session's counts and every distinct failure. Everything
//! printed goes through the redactor (checks quote response bodies).

use std::io::IsTerminal as _;

use crate::fuzz::{FuzzConfig, FuzzOutcome, Progress, Source};
use crate::redact::Redactor;
use crate::target::Target;

/// The first line: mode, seed and target.
pub(super) fn start(config: &FuzzConfig, target: &Target, redactor: &Redactor) {
    let mode = if config.stateful {
        "stateful"
    } else {
        "stateless"
    };
    println!(
        "fuzz: {mode}, seed {}, target {}",
        config.seed,
        redactor.redact(&target.base_url)
    );
}

/// A progress bar on stderr, when it is a terminal and not CI.
pub(super) fn progress_bar(config: &FuzzConfig) -> Option<indicatif::ProgressBar> {
    let quiet = std::env::var_os("CI").is_some() || !std::io::stderr().is_terminal();
    (!quiet).then(|| {
        let b = indicatif::ProgressBar::new(if config.cases == u64::MAX {
            0
        } else {
            config.cases
        });
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} fuzz [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
        ) {
            b.set_style(style);
        }
        b
    })
}

/// Moves the bar on a session event.
pub(super) fn progress(bar: &Option<indicatif::ProgressBar>, p: Progress) {
    let Some(b) = bar else { return };
    match p {
        Progress::Replaying(n) => b.set_message(format!("replaying {n} regressions")),
        Progress::Generated { done, .. } => {
            b.set_position(done);
            b.set_message("");
        }
        Progress::Shrinking(n) => b.set_message(format!("shrinking ({n})")),
    }
}

/// The session's counts, then every distinct failure with its evidence,
/// shape, input and reproducers, then where the regressions went.
pub(super) fn outcome(outcome: &FuzzOutcome, config: &FuzzConfig, redactor: &Redactor) {
    let secs = outcome.generation_time.as_secs_f64();
    let rate = if secs > 0.0 {
        outcome.generated_requests as f64 / secs
    } else {
        0.0
    };
    let found = outcome.counterexamples.len();
    println!(
        "fuzz: {} regressions replayed; {} inputs, {} requests ({} generated in {:.2} s, {:.0} req/s), {} skipped (unsendable, or a cancel the guard refused); {} distinct {} ({} duplicates){}",
        outcome.replayed,
        outcome.cases,
        outcome.requests,
        outcome.generated_requests,
        secs,
        rate,
        outcome.skipped,
        found,
        if found == 1 { "failure" } else { "failures" },
        outcome.duplicates,
        if outcome.stopped_at_max {
            format!(", stopped at --max-failures {}", config.max_failures)
        } else {
            String::new()
        }
    );
    let r = |s: &str| redactor.redact(s).into_owned();
    for (i, cx) in outcome.counterexamples.iter().enumerate() {
        let origin = match (cx.source, cx.replayable) {
            (Source::Regression, _) => "regression (replayed)".to_string(),
            (Source::Generated, true) => {
                format!("counterexample, shrunk in {} steps", cx.shrink_steps)
            }
            (Source::Generated, false) => {
                "history breach across the session's requests, not shrunk".to_string()
            }
        };
        println!(
            "\n---- failure {} of {found}: {origin}, seed {}, {} duplicates ----",
            i + 1,
            cx.seed,
            cx.duplicates
        );
        for v in &cx.violations {
            println!(
                "  {} [{}]: expected {}, got {}",
                v.property.name(),
                v.invariant,
                r(&v.expected),
                r(&v.actual)
            );
        }
        println!("  shape: {}", cx.shape);
        match serde_json::to_string(&cx.input) {
            Ok(j) => println!("  input: {}", r(&j)),
            Err(e) => println!("  input: (not serialisable: {e})"),
        }
        for rep in &cx.reproducers {
            println!("  reproduce:\n    {}", r(rep).replace('\n', "\n    "));
        }
    }
    if outcome.persisted
        && let Some(p) = &config.regressions
    {
        println!(
            "regressions saved to {} (replayed first next time)",
            p.display()
        );
    }
}
