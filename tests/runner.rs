//! The runner engine over real HTTP against small loopback servers that
//! serve exactly what each test needs.

use std::sync::Arc;
use std::time::Duration;

use opconform::case::{CaseFile, PlannedCase};
use opconform::contract::{Mode, Schemas};
use opconform::model::{CaseOutcome, CaseResult, Verdict};
use opconform::run::{Engine, RunOptions};
use opconform::target::Target;

use super::support::fake::{self, Behaviour, Fake};

/// Plans every case of a TOML text (the case model only; no loader).
pub fn planned(toml_text: &str) -> Vec<PlannedCase> {
    let file: CaseFile = toml::from_str(toml_text).unwrap();
    file.cases
        .into_iter()
        .flat_map(|case| {
            // A table expands into one trial per row, as the planner does.
            let rows: Vec<Option<opconform::case::TableRow>> = match &case.table {
                Some(t) => opconform::case::table_rows(t)
                    .into_iter()
                    .map(Some)
                    .collect(),
                None => vec![None],
            };
            rows.into_iter()
                .map(|table_row| PlannedCase {
                    name: format!("t::{}", case.name),
                    file: "t.toml".into(),
                    case: case.clone(),
                    table_row,
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn one(toml_text: &str) -> PlannedCase {
    planned(toml_text).remove(0)
}

fn target(f: &Fake) -> Target {
    Target {
        base_url: f.base_url.clone(),
        token: Some(fake::TOKEN.into()),
        fixtures_url: Some(f.fixtures_url.clone()),
        ..Target::default()
    }
}

fn engine_with(target: Target, options: RunOptions) -> Engine {
    Engine::new(target, options, Schemas::bundled().unwrap()).unwrap()
}

async fn run(f: &Fake, options: RunOptions, case: &PlannedCase) -> CaseResult {
    engine_with(target(f), options).run_case(case).await
}

fn failing(r: &CaseResult) -> Vec<String> {
    r.steps
        .iter()
        .flat_map(|s| &s.checks)
        .filter(|c| c.verdict == Verdict::Fail)
        .map(|c| {
            format!(
                "{}: expected {} / actual {}",
                c.invariant, c.expected, c.actual
            )
        })
        .collect()
}

const CANCEL_RUNNING: &str = r#"
[[case]]
name = "cancel_running"
fixture = "running"
invariants = ["CANCEL-202-ENVELOPE"]
[[case.step]]
request = { method = "POST", path = "/operations/{{ op.id }}:cancel" }
expect.status = { strict = [202], lenient = [200] }
expect.json = { "/id" = "{{ op.id }}" }
"#;

#[tokio::test]
async fn status_sets_follow_lenient_and_strict() {
    let f = fake::start(Behaviour {
        cancel_status: Some(200),
        ..Behaviour::default()
    })
    .await;
    let case = one(CANCEL_RUNNING);
    let lenient = run(&f, RunOptions::default(), &case).await;
    assert_eq!(
        lenient.outcome,
        CaseOutcome::Passed,
        "{:?}",
        failing(&lenient)
    );
    let strict = run(
        &f,
        RunOptions {
            mode: Mode::Strict,
            ..RunOptions::default()
        },
        &case,
    )
    .await;
    assert_eq!(strict.outcome, CaseOutcome::Failed);
    // The failure was confirmed on a fresh fixture before being reported.
    assert_eq!(strict.attempts, 2);
    let f0 = failing(&strict);
    assert!(
        f0[0].contains("status in [202] (strict)") && f0[0].contains("status 200"),
        "{f0:?}"
    );
}

#[tokio::test]
async fn provider_refusal_skips_with_reason() {
    let f = fake::start(Behaviour {
        refuse_state: Some("retrying"),
        ..Behaviour::default()
    })
    .await;
    let case = one(r#"
[[case]]
name = "retrying"
fixture = "retrying"
invariants = ["OP-LAST-ERROR-CLEARED"]
[[case.step]]
request = { method = "GET", path = "/operations/{{ op.id }}" }
"#);
    let r = run(&f, RunOptions::default(), &case).await;
    match &r.outcome {
        CaseOutcome::Skipped { reason } => {
            assert!(
                reason.contains("refused") && reason.contains("retrying"),
                "{reason}"
            )
        }
        other => panic!("expected skipped, got {other:?}"),
    }
    // Nothing but the fixture request was sent.
    assert_eq!(f.shared.requests().len(), 1);
}

#[tokio::test]
async fn missing_foreign_token_skips_before_sending_anything() {
    let f = fake::start(Behaviour::default()).await;
    let case = one(r#"
[[case]]
name = "foreign"
fixture = "running"
invariants = ["AUTH-FOREIGN-ISOLATION"]
[[case.step]]
request = { method = "POST", path = "/operations/{{ op.id }}:cancel", auth = "foreign" }
expect.status = [404]
"#);
    let r = run(&f, RunOptions::default(), &case).await;
    assert!(
        matches!(&r.outcome, CaseOutcome::Skipped { reason } if reason.contains("AKUA_FOREIGN_TOKEN")),
        "{:?}",
        r.outcome
    );
    assert!(f.shared.requests().is_empty());
}

const REJECTED_CANCEL: &str = r#"
[[case]]
name = "cancel_done"
fixture = "succeeded"
invariants = ["CANCEL-NO-SIDE-EFFECT-ON-DONE"]
[[case.step]]
request = { method = "POST", path = "/operations/{{ op.id }}:cancel" }
expect.status = [422]
expect.body = "error"
expect.unchanged = "op"
"#;

#[tokio::test]
async fn unchanged_passes_and_detects_a_change() {
    let good = fake::start(Behaviour::default()).await;
    let r = run(&good, RunOptions::default(), &one(REJECTED_CANCEL)).await;
    assert_eq!(r.outcome, CaseOutcome::Passed, "{:?}", failing(&r));
    // before-read, the cancel, after-read
    assert_eq!(r.steps[0].exchanges.len(), 3);

    let bad = fake::start(Behaviour {
        rejected_cancel_mutates: true,
        ..Behaviour::default()
    })
    .await;
    let r = run(&bad, RunOptions::default(), &one(REJECTED_CANCEL)).await;
    assert_eq!(r.outcome, CaseOutcome::Failed);
    let f = failing(&r);
    // The case's own check, and the operation's history (a done operation
    // that changed), both naming the field.
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(f[0].starts_with("CANCEL-NO-SIDE-EFFECT-ON-DONE"), "{f:?}");
    assert!(f[0].contains("/html_url"), "{f:?}");
    assert!(f[1].starts_with("OP-IMMUTABLE-DONE"), "{f:?}");
    assert!(f[1].contains("html_url"), "{f:?}");
}

fn settles(via: &str, within_ms: u64) -> String {
    format!(
        r#"
[[case]]
name = "settles"
fixture = "running"
invariants = ["CANCEL-SETTLES"]
[[case.step]]
request = {{ method = "POST", path = "/operations/{{{{ op.id }}}}:cancel" }}
expect.status = [202]
expect.eventually = {{ json = {{ "/done" = true, "/state" = "CANCELLED" }}, within_ms = {within_ms}, via = "{via}" }}
"#
    )
}

#[tokio::test]
async fn eventually_via_wait_records_elapsed() {
    let f = fake::start(Behaviour {
        settle_after_reads: Some(2),
        ..Behaviour::default()
    })
    .await;
    let r = run(&f, RunOptions::default(), &one(&settles("wait", 10_000))).await;
    assert_eq!(r.outcome, CaseOutcome::Passed, "{:?}", failing(&r));
    let ev = r.steps[0]
        .checks
        .iter()
        .find(|c| c.expected.contains("/done == true"))
        .unwrap();
    assert_eq!(ev.invariant, "CANCEL-SETTLES");
    assert!(ev.elapsed_ms.is_some());
    assert!(
        f.shared
            .requests()
            .iter()
            .any(|r| r.contains(":wait?timeout=")),
        "{:?}",
        f.shared.requests()
    );
}

#[tokio::test]
async fn eventually_falls_back_to_polling_when_wait_fails() {
    let f = fake::start(Behaviour {
        settle_after_reads: Some(3),
        no_wait: true,
        ..Behaviour::default()
    })
    .await;
    let r = run(&f, RunOptions::default(), &one(&settles("wait", 10_000))).await;
    assert_eq!(r.outcome, CaseOutcome::Passed, "{:?}", failing(&r));
    let reqs = f.shared.requests();
    assert_eq!(
        reqs.iter().filter(|r| r.contains(":wait")).count(),
        1,
        "{reqs:?}"
    );
    assert!(
        reqs.iter()
            .filter(|r| r.starts_with("GET /v1/operations/op_"))
            .count()
            >= 3
    );
}

#[tokio::test]
async fn eventually_fails_at_the_settle_deadline() {
    let f = fake::start(Behaviour {
        settle_after_reads: None,
        ..Behaviour::default()
    })
    .await;
    let options = RunOptions {
        settle_deadline: Duration::from_millis(300),
        ..RunOptions::default()
    };
    // within_ms is capped by the settle deadline.
    let r = run(&f, options, &one(&settles("poll", 60_000))).await;
    assert_eq!(r.outcome, CaseOutcome::Failed);
    let c = r.steps[0]
        .checks
        .iter()
        .find(|c| c.verdict == Verdict::Fail)
        .unwrap();
    assert!(c.expected.contains("within 300 ms"), "{}", c.expected);
    assert!(
        c.actual.contains("not reached") && c.actual.contains("/done == false"),
        "{}",
        c.actual
    );
    assert!(c.elapsed_ms.is_some());
}

#[tokio::test]
async fn a_failure_then_a_pass_is_flaky() {
    let f = fake::start(Behaviour {
        fail_first_cancels: 1,
        ..Behaviour::default()
    })
    .await;
    let r = run(&f, RunOptions::default(), &one(CANCEL_RUNNING)).await;
    assert_eq!(r.outcome, CaseOutcome::Flaky);
    assert_eq!(r.attempts, 2);
    // The steps shown are those of the failing attempt.
    assert!(failing(&r)[0].contains("status 500"), "{:?}", failing(&r));
}

#[tokio::test]
async fn a_fixture_that_always_finishes_by_itself_is_inconclusive() {
    let f = fake::start(Behaviour {
        drift_first_fixtures: usize::MAX,
        ..Behaviour::default()
    })
    .await;
    let r = run(&f, RunOptions::default(), &one(CANCEL_RUNNING)).await;
    match &r.outcome {
        CaseOutcome::Inconclusive { reason } => {
            assert!(reason.contains("finished by itself"), "{reason}")
        }
        other => panic!("expected inconclusive, got {other:?}: {:?}", failing(&r)),
    }
    assert_eq!(r.attempts, 3);
}

#[tokio::test]
async fn drift_is_retried_on_a_fresh_fixture() {
    let f = fake::start(Behaviour {
        drift_first_fixtures: 1,
        ..Behaviour::default()
    })
    .await;
    let r = run(&f, RunOptions::default(), &one(CANCEL_RUNNING)).await;
    assert_eq!(r.outcome, CaseOutcome::Passed, "{:?}", failing(&r));
    assert_eq!(r.attempts, 2);
    let fixtures = f
        .shared
        .requests()
        .iter()
        .filter(|r| r.contains("__fixtures"))
        .count();
    assert_eq!(fixtures, 2);
}

const PARALLEL: &str = r#"
[[case]]
name = "concurrent_key"
fixture = "running"
invariants = ["CANCEL-KEY-CONCURRENT"]
[[case.step]]
request = { method = "POST", path = "/operations/{{ op.id }}:cancel", headers = { idempotency-key = "k-{{ uuid }}" } }
parallel = 4
expect.status = [202]
expect.single_transition = true
"#;

#[tokio::test]
async fn parallel_single_transition_passes_and_fails() {
    let good = fake::start(Behaviour::default()).await;
    let r = run(&good, RunOptions::default(), &one(PARALLEL)).await;
    assert_eq!(r.outcome, CaseOutcome::Passed, "{:?}", failing(&r));
    let cancels = good
        .shared
        .requests()
        .iter()
        .filter(|r| r.contains(":cancel"))
        .count();
    assert_eq!(cancels, 4);
    assert_eq!(r.steps[0].exchanges.len(), 5); // 4 cancels + 1 read

    let bad = fake::start(Behaviour {
        vary_cancel_bodies: true,
        ..Behaviour::default()
    })
    .await;
    let r = run(&bad, RunOptions::default(), &one(PARALLEL)).await;
    assert_eq!(r.outcome, CaseOutcome::Failed);
    assert!(
        failing(&r)[0].contains("distinct bodies"),
        "{:?}",
        failing(&r)
    );
}

#[tokio::test]
async fn body_cap_stops_reading_and_fails() {
    let f = fake::start(Behaviour {
        pad_get_body: Some(300_000),
        ..Behaviour::default()
    })
    .await;
    let case = one(r#"
[[case]]
name = "get"
fixture = "succeeded"
invariants = ["OP-SCHEMA-REQUIRED"]
[[case.step]]
request = { method = "GET", path = "/operations/{{ op.id }}" }
expect.status = [200]
"#);
    let capped = Target {
        body_cap: 64 * 1024,
        ..target(&f)
    };
    let r = engine_with(capped, RunOptions::default())
        .run_case(&case)
        .await;
    assert_eq!(r.outcome, CaseOutcome::Failed);
    let ex = &r.steps[0].exchanges[0];
    assert!(
        ex.error.as_deref().unwrap_or("").contains("body cap"),
        "{:?}",
        ex.error
    );
    assert_eq!(ex.response.as_ref().unwrap().body_bytes, 64 * 1024);
    assert!(failing(&r).iter().any(|f| f.contains("body cap")));
}

#[tokio::test]
async fn request_timeout_is_recorded_as_no_response() {
    let f = fake::start(Behaviour {
        get_delay: Some(Duration::from_secs(20)),
        ..Behaviour::default()
    })
    .await;
    let case = one(r#"
[[case]]
name = "slow"
fixture = "succeeded"
invariants = ["OP-SCHEMA-REQUIRED"]
[[case.step]]
request = { method = "GET", path = "/operations/{{ op.id }}", timeout_ms = 100 }
expect.status = [200]
"#);
    let r = run(&f, RunOptions::default(), &case).await;
    assert_eq!(r.outcome, CaseOutcome::Failed);
    assert!(
        failing(&r)[0].contains("no response") && failing(&r)[0].contains("timeout"),
        "{:?}",
        failing(&r)
    );
}

#[tokio::test]
async fn static_running_op_is_consumed_by_one_cancelling_case() {
    let f = fake::start(Behaviour::default()).await;
    // Create two operations through the provider, then use them as static ids.
    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    for state in ["running", "succeeded"] {
        let v: serde_json::Value = client
            .post(&f.fixtures_url)
            .bearer_auth(fake::TOKEN)
            .body(format!("{{\"state\":\"{state}\"}}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    let t = Target {
        base_url: f.base_url.clone(),
        token: Some(fake::TOKEN.into()),
        static_ops: vec![
            (opconform::case::FixtureState::Running, ids[0].clone()),
            (opconform::case::FixtureState::Succeeded, ids[1].clone()),
        ],
        ..Target::default()
    };
    let engine = engine_with(t, RunOptions::default());
    let first = engine.run_case(&one(CANCEL_RUNNING)).await;
    assert_eq!(first.outcome, CaseOutcome::Passed, "{:?}", failing(&first));
    let second = engine.run_case(&one(CANCEL_RUNNING)).await;
    assert!(
        matches!(&second.outcome, CaseOutcome::Skipped { reason } if reason.contains("already consumed")),
        "{:?}",
        second.outcome
    );
    // Terminal static ids are shared.
    for _ in 0..2 {
        let r = engine.run_case(&one(REJECTED_CANCEL)).await;
        assert_eq!(r.outcome, CaseOutcome::Passed, "{:?}", failing(&r));
    }
    // A failure on a static fixture is reported at once, with a note.
    let strict = engine_with(
        Target {
            base_url: f.base_url.clone(),
            token: Some(fake::TOKEN.into()),
            static_ops: vec![(opconform::case::FixtureState::Succeeded, ids[1].clone())],
            ..Target::default()
        },
        RunOptions::default(),
    );
    let r = strict
        .run_case(&one(&REJECTED_CANCEL.replace("[422]", "[409]")))
        .await;
    assert_eq!(r.outcome, CaseOutcome::Failed);
    assert_eq!(r.attempts, 1);
    assert!(failing(&r)[0].contains("not confirmed on a fresh fixture"));
}

#[tokio::test]
async fn never_names_an_operation_it_does_not_own() {
    let f = fake::start(Behaviour::default()).await;
    let case = one(r#"
[[case]]
name = "other"
fixture = "running"
invariants = ["CANCEL-NOT-FOUND"]
[[case.step]]
request = { method = "POST", path = "/operations/op_someone_elses:cancel" }
expect.status = [404]
"#);
    let r = run(&f, RunOptions::default(), &case).await;
    assert!(
        matches!(&r.outcome, CaseOutcome::Skipped { reason } if reason.contains("op_someone_elses")),
        "{:?}",
        r.outcome
    );
    assert!(
        !f.shared
            .requests()
            .iter()
            .any(|r| r.contains("op_someone_elses"))
    );
}

#[tokio::test]
async fn path_sent_as_written_captures_and_same_body() {
    let f = fake::start(Behaviour::default()).await;
    let case = one(r#"
[[case]]
name = "replay"
fixture = "running"
invariants = ["CANCEL-REPLAY-IDEMPOTENT"]
[[case.step]]
request = { method = "POST", path = "/operations/{{ op.id }}%3Acancel", headers = { idempotency-key = "key-{{ uuid }}" } }
expect.status = [202]
expect.headers = { content-type = { equals = "application/json" } }
capture.first = { body = true }
capture.id = { pointer = "/id" }
capture.key = { header = "content-type" }
[[case.step]]
request = { method = "POST", path = "/operations/{{ capture.id }}:cancel", headers = { idempotency-key = "key-{{ uuid }}" } }
expect.status = [202]
expect.same_body_as = "first"
expect.json = { "/id" = "{{ op.id }}", "/done" = false }
"#);
    let r = run(&f, RunOptions::default(), &case).await;
    assert_eq!(r.outcome, CaseOutcome::Passed, "{:?}", failing(&r));
    let reqs = f.shared.requests();
    assert!(reqs.iter().any(|r| r.contains("%3Acancel")), "{reqs:?}");
    // Without the replay the bodies would differ: same_body_as really compares.
    let bad = fake::start(Behaviour {
        vary_cancel_bodies: true,
        ..Behaviour::default()
    })
    .await;
    let r = run(&bad, RunOptions::default(), &case).await;
    assert_eq!(r.outcome, CaseOutcome::Failed);
    assert!(
        failing(&r)[0].contains("captured body `first`"),
        "{:?}",
        failing(&r)
    );
}

#[tokio::test]
async fn tokens_are_redacted_in_recorded_exchanges() {
    let f = fake::start(Behaviour {
        echo_auth: true,
        ..Behaviour::default()
    })
    .await;
    let case = one(r#"
[[case]]
name = "auth"
fixture = "succeeded"
invariants = ["AUTH-401"]
[[case.step]]
request = { method = "GET", path = "/operations/{{ op.id }}", headers = { authorization = "Bearer tok_fake_secret_123x" }, auth = "none" }
expect.status = [200]
"#);
    let r = run(&f, RunOptions::default(), &case).await;
    assert_eq!(r.outcome, CaseOutcome::Failed);
    let text = serde_json::to_string(&r).unwrap();
    assert!(!text.contains(fake::TOKEN), "{text}");
    assert!(text.contains("[REDACTED]"));
}

#[tokio::test]
async fn run_all_marks_cases_after_the_deadline_not_run() {
    let f = fake::start(Behaviour {
        get_delay: Some(Duration::from_secs(20)),
        ..Behaviour::default()
    })
    .await;
    let cases = planned(
        r#"
[[case]]
name = "slow"
fixture = "succeeded"
invariants = ["OP-SCHEMA-REQUIRED"]
[[case.step]]
request = { method = "GET", path = "/operations/{{ op.id }}" }
expect.status = [200]

[[case]]
name = "fast"
fixture = "succeeded"
invariants = ["CANCEL-TERMINAL-422"]
[[case.step]]
request = { method = "POST", path = "/operations/{{ op.id }}:cancel" }
expect.status = [422]
"#,
    );
    let options = RunOptions {
        deadline: Some(Duration::from_millis(300)),
        ..RunOptions::default()
    };
    let engine = Arc::new(engine_with(target(&f), options));
    let result = opconform::run::run_all(engine, cases, 1).await;
    assert_eq!(result.cases.len(), 2);
    assert_eq!(result.cases[0].name, "t::slow");
    assert!(matches!(
        result.cases[0].outcome,
        CaseOutcome::NotRun { .. }
    ));
    assert!(matches!(
        result.cases[1].outcome,
        CaseOutcome::NotRun { .. }
    ));
    assert!(opconform::run::run_incomplete(&result));
    assert_eq!(result.invariants.len(), opconform::contract::ids().len());
}

#[tokio::test]
async fn run_all_keeps_plan_order_and_totals() {
    let f = fake::start(Behaviour::default()).await;
    let mut cases = planned(REJECTED_CANCEL);
    cases.extend(planned(CANCEL_RUNNING));
    let engine = Arc::new(engine_with(target(&f), RunOptions::default()));
    let result = opconform::run::run_all(engine, cases, 4).await;
    let names: Vec<_> = result.cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["t::cancel_done", "t::cancel_running"]);
    assert_eq!(result.count("passed"), 2);
    let t = result
        .invariants
        .iter()
        .find(|t| t.id == "CANCEL-NO-SIDE-EFFECT-ON-DONE")
        .unwrap();
    assert!(t.passed >= 1 && t.failed == 0);
    assert_eq!(t.cases, vec!["t::cancel_done"]);
}

#[tokio::test]
async fn probe_tells_reachable_from_unreachable() {
    let f = fake::start(Behaviour::default()).await;
    assert!(
        engine_with(target(&f), RunOptions::default())
            .probe()
            .await
            .is_ok()
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let t = Target {
        base_url: format!("http://{addr}/v1"),
        ..Target::default()
    };
    let err = engine_with(t, RunOptions::default())
        .probe()
        .await
        .unwrap_err();
    assert!(err.contains("unreachable"), "{err}");
}

mod selftest {
    use super::*;
    use opconform::reference::FaultInfo;
    use opconform::selftest::{Detection, Launched, SelftestError};

    static CANCEL_200: FaultInfo = FaultInfo {
        name: "cancel-200",
        summary: "accepted cancel answers 200",
        breaks: &["CANCEL-202-ENVELOPE"],
        generated_only: false,
    };
    static MUTATES: FaultInfo = FaultInfo {
        name: "rejected-cancel-mutates",
        summary: "a rejected cancel still touches the operation",
        breaks: &["CANCEL-NO-SIDE-EFFECT-ON-DONE"],
        generated_only: false,
    };
    static WRONG_BREAKS: FaultInfo = FaultInfo {
        name: "cancel-500",
        summary: "cancel always fails with 500",
        breaks: &["OP-ETAG-HEADER"],
        generated_only: false,
    };
    static INVISIBLE: FaultInfo = FaultInfo {
        name: "invisible",
        summary: "changes nothing the cases look at",
        breaks: &["LIST-PAGING-COMPLETE"],
        generated_only: true,
    };

    fn behaviour(fault: Option<&'static FaultInfo>) -> Behaviour {
        match fault.map(|f| f.name) {
            Some("cancel-200") => Behaviour {
                cancel_status: Some(200),
                ..Behaviour::default()
            },
            Some("rejected-cancel-mutates") => Behaviour {
                rejected_cancel_mutates: true,
                ..Behaviour::default()
            },
            Some("cancel-500") => Behaviour {
                fail_first_cancels: usize::MAX,
                ..Behaviour::default()
            },
            _ => Behaviour::default(),
        }
    }

    async fn launch(fault: Option<&'static FaultInfo>) -> Result<Launched, SelftestError> {
        let f = fake::start(behaviour(fault)).await;
        Ok(Launched {
            target: target(&f),
            served: None,
        })
    }

    const SUITE: &str = r#"
[[case]]
name = "cancel_running"
fixture = "running"
invariants = ["CANCEL-202-ENVELOPE"]
[[case.step]]
request = { method = "POST", path = "/operations/{{ op.id }}:cancel" }
expect.status = [202]

[[case]]
name = "cancel_done"
fixture = "succeeded"
invariants = ["CANCEL-NO-SIDE-EFFECT-ON-DONE"]
[[case.step]]
request = { method = "POST", path = "/operations/{{ op.id }}:cancel" }
expect.unchanged = "op"
"#;

    #[tokio::test]
    async fn kill_matrix_expected_results() {
        let cases = planned(SUITE);
        let faults = [&CANCEL_200, &MUTATES, &WRONG_BREAKS, &INVISIBLE];
        let m =
            opconform::selftest::selftest_with(&cases, &RunOptions::default(), &faults, 2, launch)
                .await
                .unwrap();
        assert!(
            m.reference_failures.is_empty(),
            "{:?}",
            m.reference_failures
        );
        // The expected-results table: fault × invariant → detected.
        let table = [
            ("cancel-200", "CANCEL-202-ENVELOPE", true),
            ("cancel-200", "CANCEL-NO-SIDE-EFFECT-ON-DONE", false),
            (
                "rejected-cancel-mutates",
                "CANCEL-NO-SIDE-EFFECT-ON-DONE",
                true,
            ),
            ("rejected-cancel-mutates", "CANCEL-202-ENVELOPE", false),
            ("cancel-500", "CANCEL-202-ENVELOPE", true),
            ("invisible", "CANCEL-202-ENVELOPE", false),
        ];
        for (fault, inv, caught) in table {
            assert_eq!(
                m.caught_by(fault, inv),
                caught,
                "{fault} × {inv}: {:#?}",
                m.rows
            );
        }
        let verdicts: Vec<(&str, &Detection)> =
            m.rows.iter().map(|r| (r.fault, &r.detection)).collect();
        assert_eq!(
            verdicts,
            [
                (
                    "cancel-200",
                    &Detection::Detected {
                        by: vec!["CANCEL-202-ENVELOPE".into()]
                    }
                ),
                (
                    "rejected-cancel-mutates",
                    &Detection::Detected {
                        by: vec!["CANCEL-NO-SIDE-EFFECT-ON-DONE".into()]
                    }
                ),
                (
                    "cancel-500",
                    &Detection::OtherInvariantsOnly {
                        by: vec!["CANCEL-202-ENVELOPE".into()]
                    }
                ),
                ("invisible", &Detection::Missed),
            ]
        );
        // Detected only by other invariants counts as missed.
        assert!(!m.passes());
        let m2 = opconform::selftest::selftest_with(
            &cases,
            &RunOptions::default(),
            &[&CANCEL_200, &INVISIBLE],
            2,
            launch,
        )
        .await
        .unwrap();
        // A missed generated-only fault does not fail the selftest.
        assert!(m2.passes());
    }

    #[tokio::test]
    async fn a_failing_reference_fails_the_selftest() {
        let cases = planned(SUITE);
        let m =
            opconform::selftest::selftest_with(&cases, &RunOptions::default(), &[], 1, |_| async {
                let f = fake::start(Behaviour {
                    cancel_status: Some(200),
                    ..Behaviour::default()
                })
                .await;
                Ok(Launched {
                    target: target(&f),
                    served: None,
                })
            })
            .await
            .unwrap();
        assert_eq!(m.reference_failures, vec!["t::cancel_running"]);
        assert!(!m.passes());
    }
}

#[tokio::test]
async fn timing_expectations_use_the_exchange_time() {
    let f = fake::start(Behaviour::default()).await;
    let case = |extra: &str| {
        one(&format!(
            r#"
[[case]]
name = "timing"
fixture = "succeeded"
invariants = ["WAIT-IMMEDIATE-IF-DONE"]
[[case.step]]
request = {{ method = "POST", path = "/operations/{{{{ op.id }}}}:wait", query = {{ timeout = "1" }} }}
expect.status = [200]
{extra}
"#
        ))
    };
    // A loopback answer is well inside a minute...
    let r = run(&f, RunOptions::default(), &case("expect.within_ms = 60000")).await;
    assert_eq!(r.outcome, CaseOutcome::Passed, "{:?}", failing(&r));
    let c = r.steps[0]
        .checks
        .iter()
        .find(|c| c.expected.contains("within 60000 ms"))
        .unwrap();
    assert!(c.elapsed_ms.is_some());
    // ...and nowhere near a minute late.
    let r = run(
        &f,
        RunOptions::default(),
        &case("expect.not_before_ms = 60000"),
    )
    .await;
    assert_eq!(r.outcome, CaseOutcome::Failed);
    let f0 = failing(&r);
    assert!(
        f0[0].starts_with("WAIT-IMMEDIATE-IF-DONE") && f0[0].contains("not before 60000 ms"),
        "{f0:?}"
    );
}

const OWNED: &str = r#"
[[case]]
name = "owned"
owner = "machine"
fixtures = { a = "running", b = "succeeded" }
invariants = ["LIST-OWNER-FILTER"]
[[case.step]]
request = { method = "GET", path = "/operations", query = { owner_type = "{{ owner.type }}", owner_id = "{{ owner.id }}" } }
expect.status = [200]
expect.json = { "/data/0/owner_type" = "machine", "/data/0/owner_id" = "{{ owner.id }}", "/data/1/owner_id" = "{{ owner.id }}" }
expect.json_is = { "/data/2" = "absent", "/next_cursor" = "null" }
"#;

#[tokio::test]
async fn owner_is_one_fresh_owner_per_attempt_sent_to_the_provider() {
    let f = fake::start(Behaviour::default()).await;
    let case = one(OWNED);
    let r = run(&f, RunOptions::default(), &case).await;
    assert_eq!(r.outcome, CaseOutcome::Passed, "{:?}", failing(&r));
    let r2 = run(&f, RunOptions::default(), &case).await;
    assert_eq!(r2.outcome, CaseOutcome::Passed, "{:?}", failing(&r2));
    let bodies = f.shared.fixture_bodies();
    assert_eq!(bodies.len(), 4, "{bodies:?}");
    for b in &bodies {
        assert_eq!(b["owner_type"], "machine", "{b}");
        let id = b["owner_id"].as_str().unwrap();
        let hex = id.strip_prefix("mch_").unwrap_or_else(|| panic!("{id}"));
        assert!(
            hex.len() == 32 && hex.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')),
            "{id}"
        );
    }
    // Both fixtures of one attempt share the owner; the next attempt gets a new one.
    assert_eq!(bodies[0]["owner_id"], bodies[1]["owner_id"]);
    assert_eq!(bodies[2]["owner_id"], bodies[3]["owner_id"]);
    assert_ne!(bodies[0]["owner_id"], bodies[2]["owner_id"]);
    // The list step was filtered on the rendered owner.
    let owner = bodies[0]["owner_id"].as_str().unwrap();
    assert!(
        f.shared
            .requests()
            .iter()
            .any(|r| r.starts_with("GET /v1/operations?") && r.contains(owner)),
        "{:?}",
        f.shared.requests()
    );
    // Cases without an owner send no owner fields.
    let plain = fake::start(Behaviour::default()).await;
    run(&plain, RunOptions::default(), &one(CANCEL_RUNNING)).await;
    let b = &plain.shared.fixture_bodies()[0];
    assert!(
        b.get("owner_type").is_none() && b.get("owner_id").is_none(),
        "{b}"
    );
}

#[tokio::test]
async fn owner_case_is_skipped_on_static_ids() {
    let f = fake::start(Behaviour::default()).await;
    let t = Target {
        base_url: f.base_url.clone(),
        token: Some(fake::TOKEN.into()),
        static_ops: vec![
            (
                opconform::case::FixtureState::Running,
                "op_fake_static1".into(),
            ),
            (
                opconform::case::FixtureState::Succeeded,
                "op_fake_static2".into(),
            ),
        ],
        ..Target::default()
    };
    let r = engine_with(t, RunOptions::default())
        .run_case(&one(OWNED))
        .await;
    assert!(
        matches!(&r.outcome, CaseOutcome::Skipped { reason } if reason.contains("fixture provider") && reason.contains("owner")),
        "{:?}",
        r.outcome
    );
    assert!(f.shared.requests().is_empty());
}

#[tokio::test]
async fn json_is_checks_null_non_null_absent_and_present() {
    let f = fake::start(Behaviour::default()).await;
    let case = |json_is: &str| {
        one(&format!(
            r#"
[[case]]
name = "shape"
fixture = "succeeded"
invariants = ["OP-ERROR-NULL-OTHERWISE"]
[[case.step]]
request = {{ method = "GET", path = "/operations/{{{{ op.id }}}}" }}
expect.status = [200]
expect.json_is = {json_is}
"#
        ))
    };
    let good = case(
        r#"{ "/error" = "null", "/response" = "non_null", "/steps/5" = "absent", "/last_error" = "present" }"#,
    );
    let r = run(&f, RunOptions::default(), &good).await;
    assert_eq!(r.outcome, CaseOutcome::Passed, "{:?}", failing(&r));
    assert_eq!(
        r.steps[0]
            .checks
            .iter()
            .filter(|c| c.expected.starts_with('/'))
            .count(),
        4
    );
    for (json_is, expected, actual) in [
        (
            r#"{ "/error" = "non_null" }"#,
            "/error is present and not null",
            "/error == null",
        ),
        (
            r#"{ "/response" = "null" }"#,
            "/response is null",
            "/response == {",
        ),
        (
            r#"{ "/id" = "absent" }"#,
            "/id is absent",
            "/id == \"op_fake",
        ),
        (
            r#"{ "/nope" = "present" }"#,
            "/nope is present",
            "nothing at /nope",
        ),
        (
            r#"{ "/nope" = "null" }"#,
            "/nope is null",
            "nothing at /nope",
        ),
    ] {
        let r = run(&f, RunOptions::default(), &case(json_is)).await;
        assert_eq!(r.outcome, CaseOutcome::Failed, "{json_is}");
        let f0 = failing(&r);
        assert_eq!(f0.len(), 1, "{f0:?}");
        assert!(
            f0[0].starts_with("OP-ERROR-NULL-OTHERWISE")
                && f0[0].contains(expected)
                && f0[0].contains(actual),
            "{json_is}: {f0:?}"
        );
    }
}

#[tokio::test]
async fn eventually_json_is_waits_for_presence() {
    let f = fake::start(Behaviour {
        settle_after_reads: Some(2),
        ..Behaviour::default()
    })
    .await;
    let case = one(r#"
[[case]]
name = "settles"
fixture = "running"
invariants = ["CANCEL-SETTLES"]
[[case.step]]
request = { method = "POST", path = "/operations/{{ op.id }}:cancel" }
expect.status = [202]
expect.eventually = { json_is = { "/error" = "non_null", "/response" = "null" }, within_ms = 10000, via = "poll" }
"#);
    let r = run(&f, RunOptions::default(), &case).await;
    assert_eq!(r.outcome, CaseOutcome::Passed, "{:?}", failing(&r));
    let c = r.steps[0]
        .checks
        .iter()
        .find(|c| c.expected.contains("/error is present and not null"))
        .unwrap();
    assert!(c.actual.starts_with("held after"), "{}", c.actual);
    // The condition was met on the third read (two reads before settling).
    let reads = r.steps[0]
        .exchanges
        .iter()
        .filter(|e| e.request.method == "GET")
        .count();
    assert_eq!(reads, 3);

    // A done operation that does not meet the condition ends the wait early.
    let done = one(r#"
[[case]]
name = "never"
fixture = "succeeded"
invariants = ["OP-LAST-ERROR-SHAPE"]
[[case.step]]
request = { method = "GET", path = "/operations/{{ op.id }}" }
expect.status = [200]
expect.eventually = { json_is = { "/last_error" = "non_null" }, within_ms = 20000, via = "poll" }
"#);
    let started = std::time::Instant::now();
    let r = run(&f, RunOptions::default(), &done).await;
    assert_eq!(r.outcome, CaseOutcome::Failed);
    assert!(started.elapsed() < Duration::from_secs(5));
    let f0 = failing(&r);
    assert!(
        f0[0].contains("/last_error == null") && f0[0].contains("done operations never change"),
        "{f0:?}"
    );
}

const CANCEL_AGAIN: &str = r#"
[[case]]
name = "again"
fixture = "running"
invariants = ["CANCEL-AGAIN-ACCEPTED"]
[[case.step]]
request = { method = "POST", path = "/operations/{{ op.id }}:cancel" }
expect.status = [202]
[[case.step]]
request = { method = "POST", path = "/operations/{{ op.id }}:cancel" }
expect.status = "CANCEL-AGAIN-ACCEPTED"
"#;

#[tokio::test]
async fn a_repeated_cancel_that_meets_a_settled_operation_is_drift_not_a_failure() {
    let good = fake::start(Behaviour::default()).await;
    let r = run(&good, RunOptions::default(), &one(CANCEL_AGAIN)).await;
    assert_eq!(r.outcome, CaseOutcome::Passed, "{:?}", failing(&r));

    // The operation settles before the second cancel: 422 is right for a done
    // operation, so the case is retried, then inconclusive, never failed.
    let fast = fake::start(Behaviour {
        settle_at_once: true,
        ..Behaviour::default()
    })
    .await;
    let r = run(&fast, RunOptions::default(), &one(CANCEL_AGAIN)).await;
    match &r.outcome {
        CaseOutcome::Inconclusive { reason } => assert!(
            reason.contains("before the repeated cancel") && reason.contains("422"),
            "{reason}"
        ),
        other => panic!("expected inconclusive, got {other:?}: {:?}", failing(&r)),
    }
    assert_eq!(r.attempts, 3);

    // A replay (same key) that gets 422 is a finding, not drift.
    let replay = CANCEL_AGAIN.replace(
        r#"path = "/operations/{{ op.id }}:cancel" }"#,
        r#"path = "/operations/{{ op.id }}:cancel", headers = { idempotency-key = "k-{{ uuid }}" } }"#,
    );
    let fast = fake::start(Behaviour {
        settle_at_once: true,
        vary_cancel_bodies: true,
        ..Behaviour::default()
    })
    .await;
    let r = run(&fast, RunOptions::default(), &one(&replay)).await;
    assert_eq!(r.outcome, CaseOutcome::Failed, "{:?}", r.outcome);
    assert!(failing(&r)[0].contains("status 422"), "{:?}", failing(&r));
}

/// A case that sends a 65-character key from a `lengths` table (no fill),
/// against a server that accepts it (the bug) and answers a key reused on
/// another operation with 422, as the IETF draft says. Were the key the
/// same on the confirmation attempt, its 422 would look like the rejection
/// the case expects and the violation would pass as flaky.
const KEY_65: &str = r#"
[[case]]
name = "key_65"
fixture = "running"
table = { name = "key", lengths = [65] }
invariants = ["CANCEL-KEY-BOUNDS"]
[[case.step]]
request = { method = "POST", path = "/operations/{{ op.id }}:cancel", headers = { idempotency-key = "{{ table.value }}" } }
expect.status = "CANCEL-KEY-BOUNDS"
"#;

#[tokio::test]
async fn a_remembered_value_is_fresh_on_the_confirmation_attempt() {
    let f = fake::start(Behaviour {
        key_reuse_status: Some(422),
        ..Behaviour::default()
    })
    .await;
    let r = run(&f, RunOptions::default(), &one(KEY_65)).await;
    assert_eq!(r.outcome, CaseOutcome::Failed, "{:?}", failing(&r));
    let keys = f.shared.sent_keys.lock().unwrap().clone();
    assert_eq!(keys.len(), 2, "{keys:?} {:?}", failing(&r));
    assert_ne!(keys[0], keys[1], "the confirmation reused the key");
    assert!(keys.iter().all(|k| k.len() == 65), "{keys:?}");
    // The evidence of both attempts is kept.
    assert_eq!(r.other_attempts.len(), 1);
    assert_eq!(r.other_attempts[0].ended, "failed");
}

/// A cancel that fails once (a 500) and then works: flaky, and flaky
/// fails the run unless allowed.
const CANCEL_ONCE: &str = r#"
[[case]]
name = "cancel_once"
fixture = "running"
invariants = ["CANCEL-202-ENVELOPE"]
[[case.step]]
request = { method = "POST", path = "/operations/{{ op.id }}:cancel" }
expect.status = "CANCEL-202-ENVELOPE"
"#;

#[tokio::test]
async fn a_violation_seen_once_is_flaky_and_fails_the_run() {
    let f = fake::start(Behaviour {
        fail_first_cancels: 1,
        ..Behaviour::default()
    })
    .await;
    let r = run(&f, RunOptions::default(), &one(CANCEL_ONCE)).await;
    assert_eq!(r.outcome, CaseOutcome::Flaky);
    // The verdict shows the failing attempt; the passing one is kept too.
    assert!(
        failing(&r).iter().any(|c| c.contains("status 500")),
        "{:?}",
        failing(&r)
    );
    assert_eq!(r.other_attempts[0].ended, "passed");
    assert!(opconform::run::case_fails(
        &r,
        opconform::run::FailOn::Should
    ));
    let allowed = opconform::run::Gate {
        fail_on: opconform::run::FailOn::Should,
        allow_flaky: true,
    };
    assert!(!opconform::run::case_fails(&r, allowed));
}
