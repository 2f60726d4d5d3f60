//! `opconform fuzz` over real HTTP against loopback reference servers: the
//! generated-only faults are found with a fixed seed and bounded cases, the
//! correct reference yields nothing, regressions are replayed first, and an
//! emitted case file loads and fails against the same fault.

mod options;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use assert_cmd::Command;
use opconform::case;
use opconform::contract::{Mode, Schemas};
use opconform::fuzz::{
    self, Counterexample, FuzzConfig, FuzzOutcome, FuzzRequest, IdSpec, Input, Property,
    Regression, Slot, Source, Verb,
};
use opconform::model::{CaseOutcome, CaseResult, Verdict};
use opconform::reference::{self, FaultInfo, ReferenceConfig, ReferenceServer};
use opconform::run::{Engine, RunOptions};
use opconform::target::{Target, World, embedded_config};

struct Env {
    rt: tokio::runtime::Runtime,
    server: Option<ReferenceServer>,
}

impl Env {
    fn start(fault: Option<&'static FaultInfo>) -> Env {
        Env::with_faults(fault.into_iter().collect())
    }

    /// A reference with every fault named switched on at once.
    fn with_faults(faults: Vec<&'static FaultInfo>) -> Env {
        Env::with_config(ReferenceConfig {
            step_length: Duration::from_millis(50),
            faults,
            ..ReferenceConfig::default()
        })
    }

    /// The correct reference in `world`, as `opconform fuzz --dialect
    /// --tempo` serves it.
    fn in_world(world: World) -> Env {
        Env::with_config(embedded_config(world, Vec::new()))
    }

    fn with_config(config: ReferenceConfig) -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
        let server = rt
            .block_on(ReferenceServer::start(config, addr))
            .expect("reference starts");
        Env {
            rt,
            server: Some(server),
        }
    }

    fn target(&self) -> Target {
        let s = self.server.as_ref().expect("server");
        Target {
            token: Some(reference::ALPHA_TOKEN.into()),
            context: Some("ws_alpha".into()),
            fixtures_url: Some(s.fixtures_url()),
            embedded: true,
            ..Target::at(s.base_url())
        }
    }

    fn fuzz(&self, config: &FuzzConfig) -> FuzzOutcome {
        fuzz::run(config, self.target(), &|_| {}).expect("fuzz runs")
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            self.rt.block_on(s.shutdown());
        }
    }
}

fn stateless(seed: u64, cases: u64) -> FuzzConfig {
    FuzzConfig {
        cases,
        seed,
        concurrency: 16,
        max_shrink_iters: 256,
        ..FuzzConfig::default()
    }
}

fn stateful(seed: u64, cases: u64) -> FuzzConfig {
    FuzzConfig {
        stateful: true,
        ..stateless(seed, cases)
    }
}

/// The invariants `fault` is catalogued to break.
fn catalogued_breaks(fault: &str) -> &'static [&'static str] {
    reference::fault(fault)
        .unwrap_or_else(|| panic!("{fault} is not catalogued"))
        .breaks
}

/// What a counterexample found against `fault` may blame: its `breaks`.
fn breaks(fault: &str) -> Vec<&'static str> {
    catalogued_breaks(fault).to_vec()
}

/// A counterexample found against `fault` blames what the fault breaks:
/// every violation names one of its `breaks`, so a counterexample for some
/// other reason (a false alarm, or a second bug) fails the test.
fn assert_blames_the_fault(fault: &str, cx: &Counterexample) {
    assert!(
        !cx.violations.is_empty(),
        "{fault}: a counterexample without a violation"
    );
    for v in &cx.violations {
        assert!(
            breaks(fault).contains(&v.invariant.as_str()),
            "{fault} breaks {:?}, but the counterexample blames {} ({}: expected {}, got {})\ninput: {:?}",
            breaks(fault),
            v.invariant,
            v.property.name(),
            v.expected,
            v.actual,
            cx.input
        );
    }
}

#[test]
fn every_generated_only_fault_is_found_with_a_fixed_seed() {
    let generated: Vec<&'static FaultInfo> = reference::faults()
        .iter()
        .filter(|f| f.generated_only)
        // Race faults need requests released together, which the
        // sequential fuzzer never sends; the race scenarios (tests/race)
        // find them.
        .filter(|f| {
            !f.breaks
                .iter()
                .any(|b| opconform::race::invariants::find(b).is_some())
        })
        .collect();
    assert!(generated.len() >= 3);
    for fault in generated {
        let env = Env::start(Some(fault));
        let mut outcome = env.fuzz(&stateless(1, 600));
        if outcome.counterexamples.is_empty() {
            outcome = env.fuzz(&stateful(1, 120));
        }
        let cx = outcome
            .counterexamples
            .first()
            .unwrap_or_else(|| panic!("fault {} was not found", fault.name));
        assert_blames_the_fault(fault.name, cx);
        assert_eq!(cx.source, Source::Generated);
        assert!(!cx.reproducers.is_empty() && cx.reproducers[0].starts_with("curl "));
        assert!(
            cx.case_file
                .starts_with("#:schema ../schemas/case.schema.json\n")
        );
        assert!(
            outcome
                .result
                .cases
                .iter()
                .any(|c| c.outcome == CaseOutcome::Failed)
        );
    }
}

fn assert_no_counterexample(outcome: &FuzzOutcome) {
    assert!(
        outcome.counterexamples.is_empty(),
        "{:?}",
        outcome
            .counterexamples
            .first()
            .map(|c| (&c.input, &c.violations))
    );
}

#[test]
fn the_correct_reference_yields_no_counterexample() {
    let env = Env::start(None);
    let outcome = env.fuzz(&stateless(7, 1500));
    assert_no_counterexample(&outcome);
    assert_eq!(outcome.cases, 1500);
    assert!(outcome.generated_requests >= 1400);
    assert!(
        outcome
            .result
            .cases
            .iter()
            .all(|c| c.outcome == CaseOutcome::Passed)
    );
    // The same seed again against the same server: the keys drawn are the
    // same, and the server still holds them; each session's keys are its
    // own, so nothing is a false alarm.
    let again = env.fuzz(&stateless(7, 1500));
    assert_no_counterexample(&again);
    let outcome = env.fuzz(&stateful(7, 40));
    assert_no_counterexample(&outcome);
    assert!(
        outcome
            .result
            .cases
            .iter()
            .any(|c| c.name == "fuzz::stateful_model")
    );
}

#[test]
fn the_correct_reference_yields_no_counterexample_in_any_world() {
    // Other documented choices (the alternate dialect: 200, 409, 412, the
    // other error envelope, no list endpoint, `%3A` not routed, akua-context
    // ignored by a workspace token) and operations that move by themselves
    // (live tempo) are no counterexample, stateless or stateful; strict
    // mode holds akua's own dialect to akua's conventions.
    for world in World::ALL {
        let env = Env::in_world(world);
        let list = world.has_list();
        let mut modes = vec![Mode::Lenient];
        if world.dialect == reference::Dialect::Akua {
            modes.push(Mode::Strict);
        }
        for mode in modes {
            let config = FuzzConfig {
                mode,
                list,
                ..stateless(11, 1500)
            };
            let outcome = env.fuzz(&config);
            assert!(
                outcome.counterexamples.is_empty(),
                "{} {mode:?}: {:?}",
                world.name(),
                outcome
                    .counterexamples
                    .first()
                    .map(|c| (&c.input, &c.violations))
            );
            let config = FuzzConfig {
                mode,
                list,
                ..stateful(11, 40)
            };
            let outcome = env.fuzz(&config);
            assert!(
                outcome.counterexamples.is_empty(),
                "{} {mode:?} stateful: {:?}",
                world.name(),
                outcome
                    .counterexamples
                    .first()
                    .map(|c| (&c.input, &c.violations))
            );
        }
    }
}

/// The case of `property` in a session's result.
fn property_case(outcome: &FuzzOutcome, property: Property) -> &CaseResult {
    let name = format!("fuzz::{}", property.name());
    outcome
        .result
        .cases
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name} in the result"))
}

#[test]
fn the_correct_reference_keeps_every_history() {
    let env = Env::start(None);
    // Sequences read their fixtures while they run, are cancelled and
    // settle: every read is fed into its operation's history.
    let outcome = env.fuzz(&stateful(11, 150));
    assert_no_counterexample(&outcome);
    assert_eq!(
        property_case(&outcome, Property::History).outcome,
        CaseOutcome::Passed
    );
    // Stateless: the shared fixtures, read thousands of times by two
    // threads at once.
    let outcome = env.fuzz(&stateless(11, 5000));
    assert_no_counterexample(&outcome);
    assert_eq!(
        property_case(&outcome, Property::History).outcome,
        CaseOutcome::Passed
    );
}

#[test]
fn a_history_breach_is_found_and_shrunk_in_a_sequence() {
    let fault = "cancel-terminal-mutates";
    let env = Env::start(reference::fault(fault));
    let outcome = env.fuzz(&stateful(1, 120));
    for cx in &outcome.counterexamples {
        assert_blames_the_fault(fault, cx);
    }
    let cx = outcome
        .counterexamples
        .iter()
        .find(|c| c.violations[0].property == Property::History)
        .unwrap_or_else(|| panic!("no history failure: {:?}", outcome.counterexamples));
    let headline = &cx.violations[0];
    // Both sightings are the evidence.
    assert!(
        headline.actual.contains("(seen: step ") && headline.actual.contains("; then step "),
        "{}",
        headline.actual
    );
    assert!(matches!(cx.shape, fuzz::Shape::Sequence(_)) && cx.shrink_steps > 0);
    assert_eq!(
        property_case(&outcome, Property::History).outcome,
        CaseOutcome::Failed
    );
    // The shrunk sequence alone still breaks the same rule of the history:
    // replayed as a regression in a session of its own.
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("regs.jsonl");
    fuzz::append(
        &path,
        &Regression {
            input: cx.input.clone(),
            property: headline.property,
            invariant: headline.invariant.clone(),
            seed: 1,
            found_at: "2026-01-01T00:00:00Z".into(),
        },
    )
    .expect("persisted");
    let replayed = env.fuzz(&FuzzConfig {
        regressions: Some(path),
        max_failures: 1,
        ..stateful(2, 10)
    });
    let again = &replayed.counterexamples[0];
    assert_eq!(again.source, Source::Regression);
    assert_eq!(
        (again.violations[0].property, &again.violations[0].invariant),
        (Property::History, &headline.invariant)
    );
    // Its case file fails against the fault for the fault's reason (the
    // runner judges the same histories) and passes against a correct
    // server.
    let file = dir.path().join("history.toml");
    std::fs::write(&file, &cx.case_file).expect("write");
    let r = run_case_file(&env, &file);
    assert_eq!(r.outcome, CaseOutcome::Failed, "{}", cx.case_file);
    let failed = failed_invariants(&r);
    assert!(
        !failed.is_empty() && failed.iter().all(|i| breaks(fault).contains(i)),
        "{failed:?}\n{}",
        cx.case_file
    );
    drop(env);
    assert_eq!(
        run_case_file(&Env::start(None), &file).outcome,
        CaseOutcome::Passed
    );
}

#[test]
fn a_stateless_session_sees_a_history_breach_across_its_requests() {
    let fault = "cancel-terminal-mutates";
    let env = Env::start(reference::fault(fault));
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("regs.jsonl");
    let outcome = env.fuzz(&FuzzConfig {
        regressions: Some(path.clone()),
        ..stateless(1, 3000)
    });
    let history: Vec<&Counterexample> = outcome
        .counterexamples
        .iter()
        .filter(|c| c.violations[0].property == Property::History)
        .collect();
    assert!(!history.is_empty(), "{:?}", outcome.counterexamples);
    for cx in &outcome.counterexamples {
        assert_blames_the_fault(fault, cx);
    }
    for cx in history {
        // One failure per shared fixture, however many requests show it;
        // no single request replays it: reported, not persisted or
        // emitted.
        assert!(
            matches!(cx.shape, fuzz::Shape::History(_)),
            "{:?}",
            cx.shape
        );
        assert!(!cx.replayable && cx.shrink_steps == 0);
        assert!(cx.violations[0].actual.contains("(seen: input "));
        assert!(!cx.case_file.contains("[[case]]"));
    }
    let saved = fuzz::load(&path).expect("loads");
    assert!(saved.iter().all(|r| r.property != Property::History));
    let replayable = outcome
        .counterexamples
        .iter()
        .filter(|c| c.replayable)
        .count();
    assert_eq!(saved.len(), replayable);
    assert_eq!(outcome.case_file().is_some(), replayable > 0);
}

fn dash_request() -> FuzzRequest {
    FuzzRequest {
        id: IdSpec::Literal("op_opconform-b".into()),
        ..FuzzRequest::plain(Verb::Cancel, Slot::Succeeded)
    }
}

fn dash_regression(path: &std::path::Path) {
    fuzz::append(
        path,
        &Regression {
            input: Input::Stateless(dash_request()),
            property: Property::No5xx,
            invariant: "CANCEL-NOT-FOUND".into(),
            seed: 99,
            found_at: "2026-01-01T00:00:00Z".into(),
        },
    )
    .expect("persisted");
}

#[test]
fn a_persisted_regression_is_replayed_before_generation() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join(fuzz::DEFAULT_PATH);
    dash_regression(&path);
    let config = FuzzConfig {
        regressions: Some(path.clone()),
        max_failures: 1,
        ..stateless(3, 200)
    };
    let env = Env::start(reference::fault("id-dash-500"));
    let outcome = env.fuzz(&config);
    assert_eq!(outcome.replayed, 1);
    assert_eq!(
        outcome.cases, 0,
        "with --max-failures 1, generation waits until the regression passes"
    );
    let cx = outcome
        .counterexamples
        .first()
        .expect("the regression still fails");
    assert_eq!(cx.source, Source::Regression);
    assert_eq!(cx.input, Input::Stateless(dash_request()));
    assert_eq!(cx.violations[0].property, Property::No5xx);
    assert_blames_the_fault("id-dash-500", cx);
    drop(env);
    let env = Env::start(None);
    let outcome = env.fuzz(&config);
    assert_eq!((outcome.replayed, outcome.cases), (1, 200));
    assert!(outcome.counterexamples.is_empty());
}

#[test]
fn a_failing_regression_does_not_hide_other_failures() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join(fuzz::DEFAULT_PATH);
    dash_regression(&path);
    let env = Env::start(reference::fault("id-dash-500"));
    let outcome = env.fuzz(&FuzzConfig {
        regressions: Some(path.clone()),
        ..stateless(1, 600)
    });
    // The regression is reported first, and generation went on.
    assert_eq!(outcome.replayed, 1);
    assert_eq!(outcome.cases, 600);
    let first = &outcome.counterexamples[0];
    assert_eq!(first.source, Source::Regression);
    // What generation finds again of the regression's failure is its
    // duplicate, not a second report of it; what else it finds is new.
    assert!(first.duplicates > 0, "{:?}", outcome.counterexamples);
    let keys: Vec<_> = outcome.counterexamples.iter().map(|c| c.key()).collect();
    assert!(keys[1..].iter().all(|k| *k != keys[0]));
    assert!(
        outcome.counterexamples.len() > 1,
        "the :wait and get shapes"
    );
    for cx in &outcome.counterexamples {
        assert_blames_the_fault("id-dash-500", cx);
    }
    // Only the new ones were appended.
    assert_eq!(
        fuzz::load(&path).expect("loads").len(),
        outcome.counterexamples.len()
    );
}

#[test]
fn a_found_counterexample_is_persisted_and_replayed_next_time() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("regs.jsonl");
    let config = FuzzConfig {
        regressions: Some(path.clone()),
        ..stateless(1, 600)
    };
    let env = Env::start(reference::fault("id-dash-500"));
    let first = env.fuzz(&config);
    assert!(first.persisted);
    assert!(!first.counterexamples.is_empty());
    for cx in &first.counterexamples {
        assert_blames_the_fault("id-dash-500", cx);
    }
    // Every distinct failure is persisted, each with its blame: the next
    // run's first look.
    let saved = fuzz::load(&path).expect("loads");
    assert_eq!(saved.len(), first.counterexamples.len());
    for (r, cx) in saved.iter().zip(&first.counterexamples) {
        assert_eq!(r.input, cx.input);
        assert_eq!(r.invariant, cx.violations[0].invariant);
        assert!(breaks("id-dash-500").contains(&r.invariant.as_str()));
    }
    let second = env.fuzz(&config);
    assert_eq!(second.replayed, saved.len());
    for (r, cx) in saved.iter().zip(&second.counterexamples) {
        assert_eq!(cx.source, Source::Regression);
        assert_eq!(cx.input, r.input);
        assert_blames_the_fault("id-dash-500", cx);
    }
    // Found again by generation, they are duplicates: nothing new.
    assert_eq!(second.counterexamples.len(), saved.len());
    assert!(!second.persisted);
}

/// Two generated-only faults at once.
const TWO_FAULTS: [&str; 2] = ["id-dash-500", "ifmatch-list-first-only"];

fn two_faults() -> Env {
    Env::with_faults(
        TWO_FAULTS
            .iter()
            .map(|f| reference::fault(f).expect("catalogued"))
            .collect(),
    )
}

/// The fault of `TWO_FAULTS` whose breaks every violation of `cx` is in.
fn which_fault(cx: &Counterexample) -> &'static str {
    TWO_FAULTS
        .into_iter()
        .find(|f| {
            cx.violations
                .iter()
                .all(|v| breaks(f).contains(&v.invariant.as_str()))
        })
        .unwrap_or_else(|| {
            panic!(
                "{:?} blames what neither of {TWO_FAULTS:?} breaks\ninput: {:?}",
                cx.violations, cx.input
            )
        })
}

#[test]
fn two_faults_are_both_found_in_one_session() {
    let env = two_faults();
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("regs.jsonl");
    let outcome = env.fuzz(&FuzzConfig {
        regressions: Some(path.clone()),
        ..stateless(1, 3000)
    });
    assert_eq!(outcome.cases, 3000, "the default keeps going");
    let mut faults: Vec<&str> = outcome.counterexamples.iter().map(which_fault).collect();
    faults.dedup();
    faults.sort_unstable();
    faults.dedup();
    assert_eq!(faults, TWO_FAULTS, "{:?}", outcome.counterexamples);
    // Distinct: no two share a key; every failing input beyond them is
    // counted once, as a duplicate of one of them, and most of those
    // were recognised without shrinking.
    let keys: Vec<_> = outcome.counterexamples.iter().map(|c| c.key()).collect();
    for (i, k) in keys.iter().enumerate() {
        assert!(!keys[..i].contains(k), "{k:?} twice");
    }
    let attributed: u64 = outcome.counterexamples.iter().map(|c| c.duplicates).sum();
    assert_eq!(attributed, outcome.duplicates);
    assert!(outcome.duplicates > 0);
    let failing = outcome.counterexamples.len() as u64 + outcome.duplicates;
    assert!(
        (outcome.counterexamples.len() as u64..failing).contains(&outcome.shrunk),
        "{} shrunk of {failing} failing inputs",
        outcome.shrunk
    );
    // Each is shrunk, with its reproducer, its regression line and its
    // step in the result.
    for cx in &outcome.counterexamples {
        assert_eq!(cx.source, Source::Generated);
        assert!(cx.replayable && cx.found_at_input.is_some());
        assert!(cx.reproducers[0].starts_with("curl "), "{cx:?}");
    }
    let saved = fuzz::load(&path).expect("loads");
    assert_eq!(
        saved.iter().map(|r| &r.input).collect::<Vec<_>>(),
        outcome
            .counterexamples
            .iter()
            .map(|c| &c.input)
            .collect::<Vec<_>>()
    );
    let steps: usize = outcome
        .result
        .cases
        .iter()
        .filter(|c| c.outcome == CaseOutcome::Failed)
        .map(|c| c.steps.len())
        .sum();
    assert_eq!(steps, outcome.counterexamples.len());
    // One case file with every case, each loadable, each failing against
    // the faults and passing against a correct server.
    let file = dir.path().join("found.toml");
    std::fs::write(&file, outcome.case_file().expect("cases")).expect("write");
    let results = run_case_files(&env, &file);
    assert_eq!(results.len(), outcome.counterexamples.len());
    for (r, cx) in results.iter().zip(&outcome.counterexamples) {
        assert_eq!(r.outcome, CaseOutcome::Failed, "{}", r.name);
        let fault = which_fault(cx);
        let failed = failed_invariants(r);
        assert!(
            failed.iter().all(|i| breaks(fault).contains(i)),
            "{}: {failed:?}",
            r.name
        );
    }
    let clean = Env::start(None);
    for r in run_case_files(&clean, &file) {
        assert_eq!(r.outcome, CaseOutcome::Passed, "{}", r.name);
    }
}

#[test]
fn max_failures_1_stops_at_the_first_failure() {
    let env = two_faults();
    let outcome = env.fuzz(&FuzzConfig {
        max_failures: 1,
        ..stateless(1, 3000)
    });
    assert_eq!(outcome.counterexamples.len(), 1);
    assert!(outcome.stopped_at_max);
    assert!(outcome.cases < 3000, "stopped early: {}", outcome.cases);
    assert_eq!(outcome.shrunk, 1);
    which_fault(&outcome.counterexamples[0]);
    // The same first failure as a session that keeps going.
    let all = env.fuzz(&stateless(1, 3000));
    assert_eq!(
        outcome.counterexamples[0].key(),
        all.counterexamples[0].key()
    );
    let stateful = env.fuzz(&FuzzConfig {
        max_failures: 1,
        ..self::stateful(1, 120)
    });
    assert_eq!(stateful.counterexamples.len(), 1);
}

#[test]
fn a_seed_names_the_same_failures_whatever_the_concurrency() {
    let env = two_faults();
    let found = |concurrency| {
        let outcome = env.fuzz(&FuzzConfig {
            concurrency,
            ..stateless(1, 3000)
        });
        let failures: Vec<_> = outcome
            .counterexamples
            .iter()
            .map(|c| (c.key(), c.input.clone(), c.found_at_input, c.duplicates))
            .collect();
        (failures, outcome.duplicates)
    };
    let wide = found(32);
    assert!(wide.0.len() >= 2);
    assert_eq!(found(3), wide);
    assert_eq!(found(32), wide);
}

fn run_case_file(env: &Env, path: &std::path::Path) -> CaseResult {
    let mut results = run_case_files(env, path);
    assert_eq!(results.len(), 1);
    results.remove(0)
}

/// Every case of a case file, run against `env`.
fn run_case_files(env: &Env, path: &std::path::Path) -> Vec<CaseResult> {
    let loaded = case::load_file(path).unwrap_or_else(|errs| {
        panic!(
            "emitted cases do not load: {}",
            errs.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let planned = case::plan(&[loaded]);
    let s = env.server.as_ref().expect("server");
    let target = Target {
        base_url: s.base_url(),
        token: Some(reference::ALPHA_TOKEN.into()),
        foreign_token: Some(reference::BETA_TOKEN.into()),
        fixtures_url: Some(s.fixtures_url()),
        embedded: true,
        ..Target::default()
    };
    let options = RunOptions {
        mode: Mode::Lenient,
        max_drift_attempts: 1,
        ..RunOptions::default()
    };
    let engine = Arc::new(
        Engine::new(target, options, Schemas::bundled().expect("schemas")).expect("engine"),
    );
    planned
        .iter()
        .map(|p| env.rt.block_on(engine.run_case(p)))
        .collect()
}

/// The invariants of the failed checks of a case run.
fn failed_invariants(result: &CaseResult) -> Vec<&str> {
    result
        .steps
        .iter()
        .flat_map(|s| &s.checks)
        .filter(|c| c.verdict == Verdict::Fail)
        .map(|c| c.invariant.as_str())
        .collect()
}

#[test]
fn emitted_case_files_load_and_fail_against_the_same_fault() {
    let dir = tempfile::tempdir().expect("tmp");
    for (fault, config) in [
        ("id-dash-500", stateless(1, 600)),
        ("key-len-49-63-rejected", stateless(1, 600)),
        ("ifmatch-list-first-only", stateful(1, 120)),
    ] {
        let faulty = Env::start(reference::fault(fault));
        let outcome = faulty.fuzz(&config);
        let cx = outcome
            .counterexamples
            .first()
            .unwrap_or_else(|| panic!("{fault} not found"));
        assert_blames_the_fault(fault, cx);
        let path: PathBuf = dir.path().join(format!("{}.toml", fault.replace('-', "_")));
        std::fs::write(&path, &cx.case_file).expect("write");
        let replayed = run_case_file(&faulty, &path);
        assert_eq!(
            replayed.outcome,
            CaseOutcome::Failed,
            "{fault}:\n{}",
            cx.case_file
        );
        // The emitted case fails for the fault's reason, not another.
        let failed = failed_invariants(&replayed);
        assert!(
            !failed.is_empty() && failed.iter().all(|i| breaks(fault).contains(i)),
            "{fault} breaks {:?}; the emitted case failed on {failed:?}:\n{}",
            breaks(fault),
            cx.case_file
        );
        drop(faulty);
        // Against a correct server it passes, and again: a case that sends
        // a long idempotency key sends a new one each time.
        let clean = Env::start(None);
        for _ in 0..2 {
            assert_eq!(
                run_case_file(&clean, &path).outcome,
                CaseOutcome::Passed,
                "{fault}:\n{}",
                cx.case_file
            );
        }
    }
}

#[test]
fn cli_exit_codes() {
    let dir = tempfile::tempdir().expect("tmp");
    let bin = || {
        let mut c = Command::cargo_bin("opconform").expect("binary");
        c.current_dir(dir.path())
            .env("CI", "1")
            .env_remove("AKUA_TOKEN");
        c
    };
    let out = bin()
        .args([
            "fuzz", "--cases", "200", "--seed", "5", "--report", "json", "--out", "r",
        ])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(dir.path().join("r/opconform.json").exists());
    let out = bin()
        .args([
            "fuzz",
            "--cases",
            "400",
            "--seed",
            "1",
            "--fault",
            "id-dash-500",
            "--emit-case",
            "found.toml",
        ])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("seed 1") && stdout.contains("curl "),
        "{stdout}"
    );
    // Each printed violation (`  property [INVARIANT]: expected ...`) blames
    // what the fault breaks.
    let blamed: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("  ") && l.contains("]: expected "))
        .filter_map(|l| l.split_once(" [")?.1.split_once("]: ").map(|(i, _)| i))
        .collect();
    assert!(!blamed.is_empty(), "{stdout}");
    for invariant in blamed {
        assert!(
            breaks("id-dash-500").contains(&invariant),
            "{invariant}:\n{stdout}"
        );
    }
    assert!(dir.path().join("found.toml").exists());
    assert!(dir.path().join(fuzz::DEFAULT_PATH).exists());
    let out = bin()
        .args(["fuzz", "--cases", "1", "--time", "1"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let out = bin()
        .args(["fuzz", "--cases", "1", "--max-failures", "0"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-failures must be at least 1"));
    let out = bin()
        .args([
            "fuzz",
            "--target",
            "http://127.0.0.1:9/v1",
            "--cases",
            "5",
            "--no-regressions",
        ])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The `---- failure I of N: ...` headers of a session's console output.
fn failure_headers(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| l.starts_with("---- failure "))
        .collect()
}

#[test]
fn the_console_shows_every_distinct_failure_and_one_case_file_holds_them() {
    let dir = tempfile::tempdir().expect("tmp");
    let fuzz = |extra: &[&str]| {
        let mut args = vec![
            "fuzz",
            "--cases",
            "3000",
            "--seed",
            "1",
            "--no-regressions",
            "--fault",
            TWO_FAULTS[0],
            "--fault",
            TWO_FAULTS[1],
        ];
        args.extend_from_slice(extra);
        let out = Command::cargo_bin("opconform")
            .expect("binary")
            .current_dir(dir.path())
            .env("CI", "1")
            .args(&args)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let stdout = fuzz(&[
        "--emit-case",
        "found.toml",
        "--report",
        "json",
        "--out",
        "r",
    ]);
    let headers = failure_headers(&stdout);
    let n = headers.len();
    assert!(n >= 2, "{stdout}");
    assert!(
        stdout.contains(&format!("; {n} distinct failures (")),
        "the summary line counts them:\n{stdout}"
    );
    for (i, h) in headers.iter().enumerate() {
        assert!(
            h.starts_with(&format!(
                "---- failure {} of {n}: counterexample, shrunk in ",
                i + 1
            )),
            "{h}"
        );
    }
    assert_eq!(stdout.matches("\n  shape: ").count(), n, "{stdout}");
    assert_eq!(
        stdout.matches("\n  reproduce:\n    curl ").count(),
        n,
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("case file written to found.toml ({n} cases)")),
        "{stdout}"
    );
    let text = std::fs::read_to_string(dir.path().join("found.toml")).expect("written");
    assert_eq!(text.matches("\n[[case]]\n").count(), n, "{text}");
    assert!(text.contains("name = \"fuzz_seed_1\"") && text.contains("name = \"fuzz_seed_1_2\""));
    let loaded = case::load_file(&dir.path().join("found.toml")).expect("loads");
    assert_eq!(case::plan(&[loaded]).len(), n);
    // The report has a step per failure.
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("r/opconform.json")).expect("report"),
    )
    .expect("json");
    let steps: usize = report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["outcome"]["verdict"] == "failed")
        .map(|c| c["steps"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(steps, n, "{report}");
    // --max-failures 1: the first of them, alone.
    let one = fuzz(&["--max-failures", "1"]);
    assert_eq!(failure_headers(&one).len(), 1, "{one}");
    assert!(
        one.contains("1 distinct failure (0 duplicates), stopped at --max-failures 1"),
        "{one}"
    );
    let line = |s: &str| {
        s.lines()
            .skip_while(|l| !l.starts_with("---- failure 1 of"))
            .nth(1)
            .map(str::to_string)
    };
    assert_eq!(line(&one), line(&stdout));
}

#[test]
fn dumped_requests_are_raw_http_lines_without_the_token() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = Command::cargo_bin("opconform")
        .expect("binary")
        .current_dir(dir.path())
        .env("CI", "1")
        .args([
            "fuzz",
            "--cases",
            "40",
            "--seed",
            "3",
            "--dump-requests",
            "mix.txt",
        ])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("mix.txt")).expect("dump written");
    let lines: Vec<&str> = text.lines().collect();
    assert!(!lines.is_empty() && lines.len() <= 40);
    for line in &lines {
        let (method, rest) = line.split_once(' ').expect("request line");
        assert!(
            ["GET", "POST", "PUT", "DELETE", "PATCH"].contains(&method),
            "{line}"
        );
        assert!(rest.starts_with("/v1/operations"), "{line}");
        assert!(rest.contains(" HTTP/1.1%0D%0Ahost: 127.0.0.1:"), "{line}");
        assert!(line.ends_with("%0D%0A%0D%0A"), "{line}");
        assert!(!line.contains(reference::ALPHA_TOKEN), "{line}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains("authorization: Bearer {token}"))
    );
}
