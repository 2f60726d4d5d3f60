//! The figures of the book's race chapter (docs/src/race.md,
//! "Benchmarks"): the linearizability checker's search time, race
//! scenarios per second against the embedded reference `opconform race`
//! serves, concurrent fuzz programs per second, and each race fault's
//! detection rate against N (requests released together) and R (trials).
//!
//! ```sh
//! cargo run --release --example race_bench            # everything
//! cargo run --release --example race_bench checker    # one part: checker,
//!                                                     # scenarios, explore, detection
//! ```
//!
//! A benchmark, not a test: it prints figures and asserts nothing.

// A bench reports its figures on stdout.
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use opconform::contract::Mode;
use opconform::race::HangUp;
use opconform::race::history::{Answer, Outcome};
use opconform::race::linearizability::{self, Verdict};
use opconform::race::model::{Lifecycle, Spec};
use opconform::race::sample::{self, SampleConfig};
use opconform::race::scenarios::{self, RaceOptions, RaceTarget, Scenario};
use opconform::race::stats::{self, Rate};
use opconform::race::{self, ExploreConfig};
use opconform::reference::{Fault, FaultInfo};
use opconform::target::{Launched, World, launch};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let part = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    if matches!(part.as_str(), "all" | "checker") {
        checker();
    }
    if matches!(part.as_str(), "all" | "scenarios") {
        throughput().await;
    }
    if matches!(part.as_str(), "all" | "explore") {
        explore().await;
    }
    if matches!(part.as_str(), "all" | "detection") {
        detection().await;
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

/// Check times of simulated histories: linearizable ones with overlapping
/// windows, fully concurrent ones, and ones made non-linearizable (a body
/// with a second transition), which are also shrunk.
fn checker() {
    println!(
        "## checker: search time per history (200 histories per row; 20 when non-linearizable)\n"
    );
    println!("| calls | windows | verdict | median | p99 | max |");
    println!("|---:|---|---|---:|---:|---:|");
    let spec = Spec::new(Mode::Strict, Lifecycle::ANY);
    for calls in [10usize, 20, 30] {
        for (label, overlap) in [
            ("overlapping ±30", 30u64),
            ("all concurrent", 1_000_000_000),
        ] {
            for broken in [false, true] {
                let mut times = Vec::new();
                let mut verdicts = (0, 0, 0);
                // Non-linearizable histories are shrunk too: fewer of them.
                let histories = if broken { 20 } else { 200 };
                for seed in 0..histories {
                    let config = SampleConfig {
                        calls,
                        overlap_ns: overlap,
                        lose_one_in: 8,
                        ..SampleConfig::default()
                    };
                    let mut h = sample::history(seed, &config);
                    if broken {
                        // The last answered operation body now lists two
                        // transitions: no legal order exists.
                        if let Some(c) = h
                            .calls
                            .iter_mut()
                            .rev()
                            .find(|c| c.outcome.answer().is_some_and(|a| a.view.is_some()))
                            && let Outcome::Answered(a) = &c.outcome
                        {
                            let body = serde_json::json!({"state": "RUNNING", "done": false,
                                "steps": [{"name": "cancel"}, {"name": "cancel"}]});
                            c.outcome = Outcome::Answered(Answer::new(
                                a.status,
                                a.etag.clone(),
                                body.to_string().as_bytes(),
                            ));
                        }
                    }
                    let t = Instant::now();
                    let v = linearizability::check(&spec, &h, linearizability::DEFAULT_BUDGET);
                    times.push(t.elapsed());
                    match v {
                        Ok(Verdict::Linearizable { .. }) => verdicts.0 += 1,
                        Ok(Verdict::NotLinearizable(_)) => verdicts.1 += 1,
                        _ => verdicts.2 += 1,
                    }
                }
                times.sort_unstable();
                println!(
                    "| {calls} | {label} | {} linearizable, {} not (shrunk), {} inconclusive | {:?} | {:?} | {:?} |",
                    verdicts.0,
                    verdicts.1,
                    verdicts.2,
                    percentile(&times, 0.5),
                    percentile(&times, 0.99),
                    times.last().copied().unwrap_or_default()
                );
            }
        }
    }
    println!();
}

/// The embedded reference as `opconform race` serves it (50 ms steps) in
/// the default world, with `faults`, and where to race on it.
async fn reference(faults: Vec<&'static FaultInfo>) -> (Launched, RaceTarget) {
    let launched = launch(race::embedded(World::default(), faults))
        .await
        .expect("serves");
    let target = RaceTarget::of(&launched.target).expect("a race target");
    (launched, target)
}

/// Trials per second of each scenario against the embedded reference
/// (akua, frozen, as `opconform race` serves it), N = 8, R = 20.
async fn throughput() {
    let (server, target) = reference(Vec::new()).await;
    let options = RaceOptions {
        clients: 8,
        trials: 20,
        mode: Mode::Strict,
        ..RaceOptions::default()
    };
    println!(
        "## scenarios against the embedded reference (akua/frozen, 50 ms step, N = 8, R = 20)\n"
    );
    println!("| scenario | trials/s | violations | send spread min / median / max |");
    println!("|---|---:|---|---|");
    let all = Instant::now();
    let mut trials = 0;
    for s in Scenario::ALL {
        let r = scenarios::run(&target, s, &options).await.expect("runs");
        trials += r.trials.len();
        let spread = r
            .spread
            .map(|sp| format!("{:?} / {:?} / {:?}", sp.min, sp.median, sp.max))
            .unwrap_or_else(|| "—".into());
        println!(
            "| {} | {:.1} | {} | {spread} |",
            s.name(),
            r.trials.len() as f64 / r.elapsed.as_secs_f64(),
            r.rate.label()
        );
    }
    let secs = all.elapsed().as_secs_f64();
    println!(
        "\nall ten scenarios: {trials} trials in {secs:.1} s = {:.1} trials/s\n",
        trials as f64 / secs
    );
    server.shutdown().await;
}

/// Each race fault's per-trial detection rate against N, with the trials
/// needed to see it with probability 99.9% (from the lower end of the
/// interval).
async fn detection() {
    println!("## detection rate per trial (akua/frozen, 50 ms step)\n");
    println!(
        "R for 99.9%: trials that see the fault with probability 99.9% at the interval's lower end.\n"
    );
    println!("| fault | scenario | N | R | rate (95% CI) | R for 99.9% | s/trial |");
    println!("|---|---|---:|---:|---|---:|---:|");
    let lost = |hang_up| Scenario::LostResponse {
        keyed: true,
        hang_up,
    };
    let rows: Vec<(Fault, Scenario, Vec<usize>, usize)> = vec![
        (
            Fault::IfMatchCheckThenAct,
            Scenario::LostUpdate,
            vec![2, 4, 8],
            30,
        ),
        (
            Fault::DoubleTransitionOnConcurrentCancels,
            Scenario::DifferentKeys,
            vec![2, 4, 8],
            30,
        ),
        (
            Fault::WaitMissesWakeups,
            Scenario::WaitersVsCancel,
            vec![2, 4, 8],
            10,
        ),
        (
            Fault::KeyStoredAfterResponse,
            lost(HangUp::AfterStatusLine),
            vec![2],
            30,
        ),
        (
            Fault::KeyStoredAfterResponse,
            lost(HangUp::AfterRequest),
            vec![2],
            30,
        ),
    ];
    for (fault, scenario, ns, trials) in rows {
        for n in ns {
            let (server, target) = reference(vec![fault.info()]).await;
            let options = RaceOptions {
                clients: n,
                trials,
                wait_timeout_secs: 3,
                ..RaceOptions::default()
            };
            let r = scenarios::run(&target, scenario, &options)
                .await
                .expect("runs");
            server.shutdown().await;
            let needed = stats::trials_to_detect(r.rate.low, 1e-3);
            println!(
                "| {} | {} | {n} | {trials} | {} | {} | {:.2} |",
                fault.info().name,
                scenario.name(),
                rate(&r.rate),
                if needed == u64::MAX {
                    "∞".into()
                } else {
                    needed.to_string()
                },
                r.elapsed.as_secs_f64() / trials as f64
            );
        }
    }
    println!();
}

/// Concurrent fuzz programs per second (`fuzz --stateful
/// --concurrent-clients K`) against the clean reference, K = 2, 4, 8.
async fn explore() {
    println!("## concurrent fuzz against the embedded reference (akua/frozen, 200 programs)\n");
    println!("| K | programs/s | requests/s | verdict |");
    println!("|---:|---:|---:|---|");
    for k in [2usize, 4, 8] {
        let (launched, _) = reference(Vec::new()).await;
        let config = ExploreConfig {
            clients: k,
            programs: 200,
            seed: 1,
            options: RaceOptions {
                clients: k,
                ..RaceOptions::default()
            },
            ..ExploreConfig::default()
        };
        let run = race::explore(&launched.target, &config)
            .await
            .expect("explores");
        launched.shutdown().await;
        let e = &run.explored;
        let secs = e.elapsed.as_secs_f64();
        println!(
            "| {k} | {:.1} | {:.0} | {} |",
            e.programs as f64 / secs,
            e.requests as f64 / secs,
            if e.found.is_some() {
                "FAILED"
            } else {
                "linearizable"
            }
        );
    }
    println!();
}

fn rate(r: &Rate) -> String {
    r.label()
}
