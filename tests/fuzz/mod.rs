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
    self, Counterexample, FuzzConfig, FuzzOutcome, FuzzRequest, FuzzTarget, IdSpec, Input,
    Property, Regression, Slot, Source, Verb,
};
use opconform::model::{CaseOutcome, CaseResult, Verdict};
use opconform::reference::{self, FaultInfo, ReferenceConfig, ReferenceServer};
use opconform::run::{Engine, RunOptions, Target};

struct Env {
    rt: tokio::runtime::Runtime,
    server: Option<ReferenceServer>,
}

impl Env {
    fn start(fault: Option<&'static FaultInfo>) -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let config = ReferenceConfig {
            step_length: Duration::from_millis(50),
            faults: fault.into_iter().collect(),
            ..ReferenceConfig::default()
        };
        let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
        let server = rt
            .block_on(ReferenceServer::start(config, addr))
            .expect("reference starts");
        Env {
            rt,
            server: Some(server),
        }
    }

    fn target(&self) -> FuzzTarget {
        let s = self.server.as_ref().expect("server");
        FuzzTarget {
            base_url: s.base_url(),
            token: Some(reference::ALPHA_TOKEN.into()),
            workspace: Some("ws_alpha".into()),
            fixtures_url: Some(s.fixtures_url()),
            embedded: true,
            faults: Vec::new(),
            ca_cert_pem: None,
            insecure: false,
            max_body: None,
            rate: None,
            secrets: Vec::new(),
            wait_for_target: None,
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

fn dash_request() -> FuzzRequest {
    FuzzRequest {
        id: IdSpec::Literal("op_opconform-b".into()),
        ..FuzzRequest::plain(Verb::Cancel, Slot::Succeeded)
    }
}

#[test]
fn a_persisted_regression_is_replayed_before_generation() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join(fuzz::DEFAULT_PATH);
    fuzz::append(
        &path,
        &Regression {
            input: Input::Stateless(dash_request()),
            property: Property::No5xx,
            invariant: "CANCEL-NOT-FOUND".into(),
            seed: 99,
            found_at: "2026-01-01T00:00:00Z".into(),
        },
    )
    .expect("persisted");
    let config = FuzzConfig {
        regressions: Some(path.clone()),
        ..stateless(3, 200)
    };
    let env = Env::start(reference::fault("id-dash-500"));
    let outcome = env.fuzz(&config);
    assert_eq!(outcome.replayed, 1);
    assert_eq!(
        outcome.cases, 0,
        "generation waits until the regression passes"
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
    assert_blames_the_fault("id-dash-500", first.counterexamples.first().expect("found"));
    let saved = fuzz::load(&path).expect("loads");
    assert_eq!(saved.len(), 1);
    // What is persisted is the blame too: the next run's first look.
    assert!(breaks("id-dash-500").contains(&saved[0].invariant.as_str()));
    let second = env.fuzz(&config);
    assert_eq!(second.replayed, 1);
    assert_eq!(second.counterexamples[0].source, Source::Regression);
    assert_eq!(second.counterexamples[0].input, saved[0].input);
    assert_blames_the_fault("id-dash-500", &second.counterexamples[0]);
}

fn run_case_file(env: &Env, path: &std::path::Path) -> CaseResult {
    let loaded = case::load_file(path).unwrap_or_else(|errs| {
        panic!(
            "emitted case does not load: {}",
            errs.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let planned = case::plan(&[loaded]);
    assert_eq!(planned.len(), 1);
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
    env.rt.block_on(engine.run_case(&planned[0]))
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
