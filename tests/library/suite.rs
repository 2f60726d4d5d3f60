//! The `Suite` API against the reference server, served by the suite itself
//! on a loopback port, with and without faults.

use opconform::model::CaseOutcome;
use opconform::reference::{self, Fault, ReferenceConfig};
use opconform::{Suite, SuiteError, TargetSpec};

fn fast_reference() -> ReferenceConfig {
    ReferenceConfig {
        step_length: reference::EMBEDDED_STEP_LENGTH,
        ..ReferenceConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bundled_subset_passes_against_the_served_reference_in_both_modes() {
    for strict in [false, true] {
        let result = Suite::bundled()
            .expect("bundled cases load")
            .filter("lengths::")
            .strict(strict)
            .target(TargetSpec::reference(fast_reference()))
            .run()
            .await
            .expect("the suite runs");
        assert!(
            result.passed(),
            "strict={strict}\n{}",
            Suite::explain(&result)
        );
        assert!(result.cases.len() >= 6, "{} cases", result.cases.len());
        assert!(result.cases.iter().all(|c| c.name.starts_with("lengths::")));
        assert!(result.target.base_url.starts_with("http://127.0.0.1:"));
        assert!(result.target.embedded);
        assert_eq!(result.failures().count(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_is_reported_as_a_typed_failure_without_the_token() {
    let config = fast_reference().with_fault(Fault::KeyLenOffByOne);
    let result = Suite::bundled()
        .expect("bundled cases load")
        .filter("cancel_key_out_of_bounds")
        .target(TargetSpec::reference(config))
        .run()
        .await
        .expect("the suite runs");
    assert!(!result.passed());
    let failed: Vec<&str> = result.failures().map(|c| c.name.as_str()).collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].ends_with("[key len=65]"), "{failed:?}");
    assert!(
        result
            .failed_invariants()
            .any(|id| id == "CANCEL-KEY-BOUNDS")
    );
    let explained = Suite::explain(&result);
    assert!(explained.contains("key len=65"), "{explained}");
    assert!(explained.contains("CANCEL-KEY-BOUNDS"), "{explained}");
    let everything = format!(
        "{explained}{}",
        serde_json::to_string(&result).expect("json")
    );
    assert!(!everything.contains(reference::ALPHA_TOKEN), "token leaked");
    assert_eq!(result.target.faults, ["key-len-off-by-one"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_tower_service_can_be_the_target() {
    // The reference router used as a plain tower::Service, under /v1.
    let service = reference::router(fast_reference());
    let result = Suite::bundled()
        .expect("bundled cases load")
        .filter("auth::")
        .target(
            TargetSpec::service(service)
                .token(reference::ALPHA_TOKEN)
                .foreign_token(reference::BETA_TOKEN)
                .broad_token(reference::BROAD_TOKEN)
                .fixtures("/__fixtures/operations"),
        )
        .run()
        .await
        .expect("the suite runs");
    assert!(result.passed(), "{}", Suite::explain(&result));
    assert_eq!(
        result.count("skipped"),
        0,
        "the foreign or broad token was not used"
    );
    assert!(!result.target.embedded);
}

#[tokio::test]
async fn an_unreachable_target_is_an_error_that_hides_the_token() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let err = Suite::bundled()
        .expect("bundled cases load")
        .target(TargetSpec::url(format!("http://{addr}/v1")).token("sk_secret_tok"))
        .run()
        .await
        .expect_err("nothing listens there");
    assert!(matches!(err, SuiteError::Unreachable(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.starts_with("reach the target"), "{text}");
    assert!(!text.contains("sk_secret_tok"), "{text}");
}

#[tokio::test]
async fn running_without_a_target_is_an_error() {
    let err = Suite::bundled()
        .expect("bundled cases load")
        .run()
        .await
        .expect_err("no target");
    assert!(matches!(err, SuiteError::NoTarget), "{err:?}");
}

#[test]
fn a_bad_case_file_is_an_error_with_its_location() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("mine.toml");
    std::fs::write(
        &path,
        "[[case]]\nname = \"x\"\ninvariants = [\"GET-200\"]\n[[case.step]]\nrequest = { method = \"GET\", path = \"/operations\" }\nexpect = { stauts = [200] }\n",
    )
    .expect("write");
    let err = Suite::from_paths(&[&path]).expect_err("typo in expect");
    let SuiteError::Cases(errors) = &err else {
        panic!("not a case error: {err:?}")
    };
    let text = errors.join("\n");
    assert!(text.contains("mine.toml:6:"), "{text}");
    assert!(text.contains("status"), "no did-you-mean: {text}");
}

#[test]
fn run_harness_makes_trials_that_honour_the_filter() {
    let args = libtest_mimic::Arguments {
        filter: Some("wait::".into()),
        test_threads: Some(4),
        quiet: true,
        ..libtest_mimic::Arguments::default()
    };
    let run = opconform::harness::run_harness(&args, || {
        Ok(Suite::bundled()?.target(TargetSpec::reference(fast_reference())))
    })
    .expect("the harness runs");
    assert!(!run.conclusion.has_failed(), "{:?}", run.conclusion);
    assert!(run.conclusion.num_passed >= 3, "{:?}", run.conclusion);
    assert!(run.conclusion.num_filtered_out > 20, "{:?}", run.conclusion);
    assert_eq!(
        run.result.cases.len() as u64,
        run.conclusion.num_passed + run.conclusion.num_ignored
    );
    assert!(
        run.result
            .cases
            .iter()
            .all(|c| c.name.starts_with("wait::"))
    );
    assert!(
        run.result
            .cases
            .iter()
            .all(|c| c.outcome == CaseOutcome::Passed)
    );
}

#[test]
fn run_harness_list_sends_nothing() {
    let args = libtest_mimic::Arguments {
        list: true,
        ..libtest_mimic::Arguments::default()
    };
    // Nothing listens on port 1: listing must not probe it.
    let run = opconform::harness::run_harness(&args, || {
        Ok(Suite::bundled()?.target(TargetSpec::url("http://127.0.0.1:1/v1")))
    })
    .expect("listing runs");
    assert!(run.result.cases.is_empty());
    assert_eq!(run.conclusion.num_passed, 0);
}
