//! `examples/server-crate` runs the conformance suite inside its own
//! `cargo test` (a `harness = false` test calling `opconform::harness_main`)
//! against its own server, and passes.
//!
//! It is built in a target folder of its own below ours
//! (`target/tmp/example-server-crate`): the first run compiles the example's
//! dependencies once; later runs only rebuild what changed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use opconform::reference::{self, ReferenceConfig};
use opconform::{Suite, TargetSpec};

fn cargo_in_example(args: &[&str]) -> Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("example-server-crate");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    Command::new(cargo)
        .arg("test")
        .arg("--offline")
        .arg("--manifest-path")
        .arg(root.join("examples/server-crate/Cargo.toml"))
        .args(args)
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("CARGO_TERM_COLOR", "never")
        .env_remove("OPCONFORM_REPORT")
        .output()
        .expect("cargo runs")
}

/// Trials that fail against opconform's own reference server with this
/// build of the runner (empty when the runner supports every case feature).
/// The example delegates to the reference, so it must conform exactly as well.
fn failing_on_the_reference() -> BTreeSet<String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let config = ReferenceConfig {
        step_length: reference::EMBEDDED_STEP_LENGTH,
        ..ReferenceConfig::default()
    };
    let result = rt
        .block_on(
            Suite::bundled()
                .expect("bundled cases load")
                .target(TargetSpec::reference(config))
                .run(),
        )
        .expect("the suite runs against the reference");
    result.failures().map(|c| c.name.clone()).collect()
}

fn failed_trials(stdout: &str) -> BTreeSet<String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("test ")?.strip_suffix(" ... FAILED"))
        .map(|name| name.trim().to_string())
        .collect()
}

#[test]
fn the_example_crate_runs_the_suite_in_its_own_cargo_test() {
    let out = cargo_in_example(&["--no-fail-fast"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Running tests/conformance.rs"),
        "the example did not build or run:\n{stderr}"
    );
    // One trial line per case, as for any test.
    for trial in [
        "test auth::cancel_without_token_401 ",
        "test idempotency::cancel_concurrent_duplicates_one_transition ",
        "test lengths::",
        "test list::",
        "test wait::",
    ] {
        assert!(stdout.contains(trial), "no `{trial}` line in:\n{stdout}");
    }
    // The per-invariant summary of harness_main, and the #[tokio::test]
    // that uses Suite::run.
    assert!(stdout.contains("CANCEL-SETTLES"), "{stdout}");
    assert!(
        stdout.contains("test cancel_cases_pass_in_strict_mode ... ok"),
        "{stdout}"
    );
    let expected = failing_on_the_reference();
    assert_eq!(
        failed_trials(&stdout),
        expected,
        "the example (the reference behind an app of its own) must fail exactly \
         where the reference does"
    );
    if expected.is_empty() {
        assert!(out.status.success(), "{stdout}\n{stderr}");
    }

    // libtest filters and --list work through `cargo test`.
    let out = cargo_in_example(&["--test", "conformance", "--", "--list"]);
    assert!(out.status.success(), "{out:?}");
    let listed = String::from_utf8_lossy(&out.stdout);
    let names = listed.lines().filter(|l| l.ends_with(": test")).count();
    assert_eq!(
        names,
        Suite::bundled().expect("bundled").cases().len(),
        "{listed}"
    );

    let out = cargo_in_example(&["--test", "conformance", "--", "wait::"]);
    assert!(out.status.success(), "{out:?}");
    let filtered = String::from_utf8_lossy(&out.stdout);
    let trials: Vec<&str> = filtered
        .lines()
        .filter(|l| l.starts_with("test ") && !l.starts_with("test result"))
        .collect();
    assert!(trials.len() >= 5, "{filtered}");
    assert!(
        trials
            .iter()
            .all(|l| l.starts_with("test wait::") && l.ends_with("... ok")),
        "{trials:#?}"
    );
}
