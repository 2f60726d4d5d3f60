//! `examples/server-crate` runs the conformance suite inside its own
//! `cargo test` (a `harness = false` test calling `opconform::harness_main`)
//! against its own server, and passes.
//!
//! It is built in a target folder of its own below ours
//! (`target/tmp/example-server-crate`): the first run compiles the example's
//! dependencies once; later runs only rebuild what changed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

#[test]
fn the_example_crate_passes_the_suite_in_its_own_cargo_test() {
    let out = cargo_in_example(&[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "cargo test failed\n{stdout}\n{stderr}"
    );
    // One trial line per case, as for any test.
    for trial in [
        "test auth::",
        "test idempotency::cancel_concurrent_duplicates_one_transition ... ok",
        "test lengths::",
        "test list::",
        "test wait::",
    ] {
        assert!(stdout.contains(trial), "no `{trial}` line in:\n{stdout}");
    }
    assert!(!stdout.contains("FAILED"), "{stdout}");
    // The per-invariant summary of harness_main, and the #[tokio::test]
    // using Suite::run.
    assert!(stdout.contains("CANCEL-SETTLES"), "{stdout}");
    assert!(
        stdout.contains("test cancel_cases_pass_in_strict_mode ... ok"),
        "{stdout}"
    );
    assert!(stderr.contains("Running tests/conformance.rs"), "{stderr}");

    // libtest filters and --list work through `cargo test`.
    let out = cargo_in_example(&["--test", "conformance", "--", "--list"]);
    assert!(out.status.success(), "{out:?}");
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.lines().filter(|l| l.ends_with(": test")).count() > 40,
        "{listed}"
    );

    let out = cargo_in_example(&["--test", "conformance", "--", "wait::"]);
    assert!(out.status.success(), "{out:?}");
    let filtered = String::from_utf8_lossy(&out.stdout);
    let trials: Vec<&str> = filtered
        .lines()
        .filter(|l| l.starts_with("test "))
        .collect();
    assert!(!trials.is_empty(), "{filtered}");
    assert!(
        trials.iter().all(|l| l.starts_with("test wait::")),
        "{trials:#?}"
    );
}
