//! `opconform run` as a process: exit codes 0/1/2/3/5, redaction of secrets in
//! everything printed, and libtest's `--list`, filters, `--exact`, `--skip`.

use std::path::Path;
use std::process::Output;

use super::support::fake::{self, Behaviour, Fake};
use super::support::{crate_dir, parse_case_expect, toml_files, write};

const GOOD: &str = r#"
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
invariants = ["CANCEL-TERMINAL-422"]
[[case.step]]
request = { method = "POST", path = "/operations/{{ op.id }}:cancel" }
expect.status = [422]
expect.unchanged = "op"
"#;

const FAILING: &str = r#"
[[case]]
name = "expects_409"
fixture = "running"
invariants = ["CANCEL-IFMATCH-STALE"]
[[case.step]]
request = { method = "POST", path = "/operations/{{ op.id }}:cancel", headers = { if-match = "stale" } }
expect.status = [409]
"#;

/// Runs the binary off the async runtime's threads.
async fn opconform(args: Vec<String>, env_token: Option<&str>) -> Output {
    let token = env_token.map(String::from);
    tokio::task::spawn_blocking(move || {
        let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_opconform"));
        cmd.env_remove("AKUA_TOKEN")
            .env_remove("AKUA_FOREIGN_TOKEN");
        if let Some(t) = token {
            cmd.env("AKUA_TOKEN", t);
        }
        cmd.args(&args).output().unwrap()
    })
    .await
    .unwrap()
}

fn against(f: &Fake, cases: &Path) -> Vec<String> {
    vec![
        "run".into(),
        "--target".into(),
        f.base_url.clone(),
        "--fixtures".into(),
        f.fixtures_url.clone(),
        "--cases".into(),
        cases.display().to_string(),
        "--color".into(),
        "never".into(),
    ]
}

/// True when libtest printed `test NAME ... VERDICT` (names are padded).
fn trial_line(stdout: &str, name: &str, verdict: &str) -> bool {
    stdout.lines().any(|l| {
        l.strip_prefix("test ")
            .and_then(|rest| rest.split_once(" ... "))
            .is_some_and(|(n, v)| n.trim_end() == name && v.starts_with(verdict))
    })
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_0_when_everything_passes() {
    let f = fake::start(Behaviour::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let cases = write(dir.path(), "good.toml", GOOD);
    let out = opconform(against(&f, &cases), Some(fake::TOKEN)).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        trial_line(&stdout, "good::cancel_running", "ok"),
        "{stdout}"
    );
    assert!(trial_line(&stdout, "good::cancel_done", "ok"), "{stdout}");
    assert!(stdout.contains("CANCEL-TERMINAL-422"), "{stdout}");
    let last = stdout.lines().rev().find(|l| !l.is_empty()).unwrap();
    assert!(
        last.starts_with("test result: ok. 2 passed; 0 failed; 0 skipped;"),
        "{last}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_1_on_failure_with_token_and_secrets_redacted() {
    let f = fake::start(Behaviour::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let cases = write(dir.path(), "bad.toml", FAILING);
    let mut args = against(&f, &cases);
    args.extend(["--secret".to_string(), "ws_fake".to_string()]);
    // Token from the flag this time (env covered above).
    args.extend(["--token".to_string(), fake::TOKEN.to_string()]);
    let out = opconform(args, None).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("invariant CANCEL-IFMATCH-STALE (MUST) failed"),
        "{stdout}"
    );
    assert!(stdout.contains("expected: status in [409]"), "{stdout}");
    assert!(stdout.contains("actual:   status 202"), "{stdout}");
    assert!(stdout.contains("request:  POST http://"), "{stdout}");
    assert!(
        stdout.contains("authorization: Bearer [REDACTED]"),
        "{stdout}"
    );
    assert!(stdout.contains("if-match: stale"), "{stdout}");
    for secret in [fake::TOKEN, "ws_fake"] {
        assert!(!stdout.contains(secret), "{secret} leaked:\n{stdout}");
        assert!(!stderr.contains(secret), "{secret} leaked:\n{stderr}");
    }
    assert!(
        stdout.contains("test result: FAILED. 0 passed; 1 failed"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_2_on_a_bad_case_file_and_nothing_is_sent() {
    let f = fake::start(Behaviour::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let cases = write(
        dir.path(),
        "broken.toml",
        "[[case]]\nname = \"x\"\nstep = 3\n",
    );
    let out = opconform(against(&f, &cases), Some(fake::TOKEN)).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("broken.toml"), "{stderr}");
    assert!(f.shared.requests().is_empty());
    // Bad usage is exit 2 as well.
    let out = opconform(vec!["run".into(), "--report".into(), "pdf".into()], None).await;
    assert_eq!(out.status.code(), Some(2));
    let out = opconform(
        vec![
            "run".into(),
            "--target".into(),
            f.base_url.clone(),
            "--fault".into(),
            "x".into(),
        ],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(f.shared.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_3_when_the_target_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let dir = tempfile::tempdir().unwrap();
    let cases = write(dir.path(), "good.toml", GOOD);
    let args = vec![
        "run".into(),
        "--target".into(),
        format!("http://{addr}/v1"),
        "--cases".into(),
        cases.display().to_string(),
    ];
    let out = opconform(args, Some(fake::TOKEN)).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stderr.contains("unreachable"), "{stderr}");
    assert!(!stdout.contains("running "), "no trial may start: {stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_3_when_the_run_deadline_passes() {
    let f = fake::start(Behaviour {
        get_delay: Some(std::time::Duration::from_secs(30)),
        ..Behaviour::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let cases = write(
        dir.path(),
        "slow.toml",
        r#"
[[case]]
name = "slow_get"
fixture = "succeeded"
invariants = ["OP-SCHEMA-REQUIRED"]
[[case.step]]
request = { method = "GET", path = "/operations/{{ op.id }}" }
expect.status = [200]
"#,
    );
    let mut args = against(&f, &cases);
    args.extend(["--deadline".into(), "1".into()]);
    let out = opconform(args, Some(fake::TOKEN)).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stdout.contains("not run: the run deadline"), "{stdout}");
    assert!(stdout.contains("1 not run"), "{stdout}");
}

/// `--out` below a regular file: the report folder cannot be created.
fn unwritable_out(dir: &Path) -> String {
    let file = write(dir, "not-a-dir", "a regular file\n");
    file.join("reports").display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_5_when_a_report_cannot_be_written_after_the_run() {
    let f = fake::start(Behaviour::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let out_dir = unwritable_out(dir.path());
    let report_args = [
        "--report".to_string(),
        "json,md".into(),
        "--out".into(),
        out_dir,
    ];

    // A passing run whose report cannot be written: 5, not 2 (requests were
    // sent), and the verdict is printed before the error.
    let good = write(dir.path(), "good.toml", GOOD);
    let mut args = against(&f, &good);
    args.extend(report_args.clone());
    let out = opconform(args, Some(fake::TOKEN)).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(5), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("test result: ok. 2 passed; 0 failed;"),
        "{stdout}"
    );
    assert!(stderr.contains("error: failed to"), "{stderr}");
    assert!(!stdout.contains("report: "), "{stdout}");
    assert!(
        f.shared.requests().iter().any(|r| r.contains(":cancel")),
        "the run sent its requests"
    );

    // A failing run keeps 1: the verdict wins over the missing report.
    let bad = write(dir.path(), "bad.toml", FAILING);
    let mut args = against(&f, &bad);
    args.extend(report_args.clone());
    let out = opconform(args, Some(fake::TOKEN)).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("error: failed to"), "{stderr}");

    // An incomplete run keeps 3.
    let slow = fake::start(Behaviour {
        get_delay: Some(std::time::Duration::from_secs(30)),
        ..Behaviour::default()
    })
    .await;
    let slow_case = write(
        dir.path(),
        "slow.toml",
        "[[case]]\nname = \"slow_get\"\nfixture = \"succeeded\"\ninvariants = [\"OP-SCHEMA-REQUIRED\"]\n\
         [[case.step]]\nrequest = { method = \"GET\", path = \"/operations/{{ op.id }}\" }\nexpect.status = [200]\n",
    );
    let mut args = against(&slow, &slow_case);
    args.extend(report_args.clone());
    args.extend(["--deadline".into(), "1".into()]);
    let out = opconform(args, Some(fake::TOKEN)).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stderr.contains("error: failed to"), "{stderr}");

    // `fuzz` writes its reports after sending too (embedded reference on
    // loopback): 5 without a counterexample, 1 with one.
    let fuzz = |extra: &[&str]| {
        let mut args: Vec<String> = ["fuzz", "--seed", "5", "--no-regressions"]
            .map(String::from)
            .to_vec();
        args.extend(report_args.clone());
        args.extend(extra.iter().map(|s| s.to_string()));
        opconform(args, None)
    };
    let out = fuzz(&["--cases", "20"]).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(5), "{stdout}\n{stderr}");
    assert!(stdout.contains("fuzz: no counterexample"), "{stdout}");
    assert!(stderr.contains("error: failed to"), "{stderr}");
    let out = fuzz(&["--fault", "state-lowercase", "--cases", "50"]).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("error: failed to"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_filter_exact_and_skip_behave_like_cargo_test() {
    let f = fake::start(Behaviour::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let cases = write(dir.path(), "good.toml", GOOD);

    let mut list = against(&f, &cases);
    list.push("--list".into());
    let out = opconform(list, Some(fake::TOKEN)).await;
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.ends_with(": test"))
            .collect::<Vec<_>>(),
        ["good::cancel_running: test", "good::cancel_done: test"]
    );
    assert!(f.shared.requests().is_empty(), "--list sends nothing");

    let mut filtered = against(&f, &cases);
    filtered.push("done".into());
    let (stdout, _) = text(&opconform(filtered, Some(fake::TOKEN)).await);
    assert!(stdout.contains("running 1 test"), "{stdout}");
    assert!(stdout.contains("1 filtered out"), "{stdout}");
    assert!(trial_line(&stdout, "good::cancel_done", "ok"), "{stdout}");

    let mut exact = against(&f, &cases);
    exact.extend(["--exact".into(), "good::cancel".into()]);
    let (stdout, _) = text(&opconform(exact, Some(fake::TOKEN)).await);
    assert!(stdout.contains("running 0 tests"), "{stdout}");

    let mut skip = against(&f, &cases);
    skip.extend(["--skip".into(), "running".into()]);
    let (stdout, _) = text(&opconform(skip, Some(fake::TOKEN)).await);
    assert!(stdout.contains("running 1 test"), "{stdout}");
    assert!(!trial_line(&stdout, "good::cancel_running", ""), "{stdout}");
}

const SKIPPED_CASE: &str = r#"
[[case]]
name = "isolation"
fixture = "running"
requires = ["foreign_token"]
invariants = ["AUTH-FOREIGN-ISOLATION"]
[[case.step]]
request = { method = "POST", path = "/operations/{{ op.id }}:cancel", auth = "foreign" }
expect.status = [404]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skipped_cases_show_the_reason_and_pass_the_run() {
    let f = fake::start(Behaviour::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let cases = write(
        dir.path(),
        "foreign.toml",
        &format!("{SKIPPED_CASE}\n{GOOD}"),
    );
    let out = opconform(against(&f, &cases), Some(fake::TOKEN)).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        trial_line(
            &stdout,
            "foreign::isolation",
            "ignored (skipped: needs a second workspace's token"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("2 passed; 0 failed; 1 skipped"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_4_when_nothing_was_verified() {
    // Every case skipped: requests were sent (the probe, nothing else), but
    // no case passed. An empty verification is not a pass.
    let f = fake::start(Behaviour::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let cases = write(dir.path(), "foreign.toml", SKIPPED_CASE);
    let out = opconform(against(&f, &cases), Some(fake::TOKEN)).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(4), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(
            "test result: EMPTY (nothing verified: no case passed). 0 passed; 0 failed; 1 skipped"
        ),
        "{stdout}"
    );
    assert!(stderr.contains("nothing was verified"), "{stderr}");
    // ... unless the user says an empty run is fine.
    let mut args = against(&f, &cases);
    args.push("--allow-empty".into());
    let out = opconform(args, Some(fake::TOKEN)).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("test result: ok. 0 passed"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_are_written_to_out() {
    let f = fake::start(Behaviour::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let cases = write(dir.path(), "good.toml", GOOD);
    let out_dir = dir.path().join("r");
    let mut args = against(&f, &cases);
    args.extend([
        "--report".into(),
        "json,junit".into(),
        "--out".into(),
        out_dir.display().to_string(),
    ]);
    let out = opconform(args, Some(fake::TOKEN)).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(out_dir.is_dir());
    assert!(
        stdout.contains("opconform.json") && stdout.contains("opconform.junit.xml"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_without_target_uses_the_embedded_reference() {
    let dir = tempfile::tempdir().unwrap();
    let cases = write(dir.path(), "good.toml", GOOD);
    let args = vec![
        "run".into(),
        "--cases".into(),
        cases.display().to_string(),
        "--deadline".into(),
        "120".into(),
    ];
    let out = opconform(args, None).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("running 2 tests"), "{stdout}");
    // The reference's tokens never reach the output.
    assert!(
        !stdout.contains(opconform::reference::ALPHA_TOKEN),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_in_a_world_without_a_list_endpoint_leaves_the_list_cases_out() {
    // `--dialect alternate` offers no list endpoint (as a real server may
    // not): `run` says so and leaves those cases out, as selftest does,
    // instead of failing the reference it serves.
    let args = [
        "run",
        "--dialect",
        "alternate",
        "--tempo",
        "frozen",
        "--skip",
        "lifecycle::",
    ]
    .map(String::from)
    .to_vec();
    let out = opconform(args, None).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("offers no list endpoint") && stderr.contains("list cases are left out"),
        "{stderr}"
    );
    assert!(!stdout.contains("list_"), "a list case ran:\n{stdout}");
    assert!(stdout.contains("cancel_"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_malformed_case_file_exits_2_with_its_location_and_sends_nothing() {
    let f = fake::start(Behaviour::default()).await;
    let files = toml_files(&crate_dir().join("tests/data/malformed"));
    assert!(files.len() >= 15, "corpus has {} files", files.len());
    let mut problems = Vec::new();
    for file in &files {
        let out = opconform(against(&f, file), Some(fake::TOKEN)).await;
        let (stdout, stderr) = text(&out);
        let name = file.display().to_string();
        if out.status.code() != Some(2) {
            problems.push(format!(
                "{name}: exit {:?}\n{stdout}\n{stderr}",
                out.status.code()
            ));
            continue;
        }
        let expect = file.with_extension("expect");
        let expected = std::fs::read_to_string(&expect)
            .unwrap_or_else(|e| panic!("{}: {e}", expect.display()));
        for (line, col, _) in parse_case_expect(&expected) {
            let at = if line == 0 {
                format!("--> {name}\n")
            } else {
                format!("--> {name}:{line}:{col}")
            };
            if !stderr.contains(&at) {
                problems.push(format!("{name}: no `{at}` in:\n{stderr}"));
            }
        }
        if !stderr.contains("nothing was sent") || stderr.contains("error: error:") {
            problems.push(format!("{name}: unexpected summary:\n{stderr}"));
        }
        if stdout.contains("running ") {
            problems.push(format!("{name}: a trial started:\n{stdout}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    assert!(f.shared.requests().is_empty(), "{:?}", f.shared.requests());
}

/// The README's main command: the bundled suite against the embedded
/// reference passes 100%, with nothing skipped, in both readings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bundled_suite_passes_fully_against_the_embedded_reference() {
    for mode in [None, Some("--strict")] {
        let mut args = vec!["run".to_string()];
        args.extend(mode.map(String::from));
        let out = opconform(args, None).await;
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{mode:?}\n{stdout}\n{stderr}");
        let closing = stdout
            .lines()
            .rev()
            .find(|l| l.starts_with("test result:"))
            .unwrap_or_else(|| panic!("no closing line\n{stdout}"));
        assert!(closing.starts_with("test result: ok."), "{closing}");
        for zero in [
            " 0 failed;",
            " 0 skipped;",
            " 0 inconclusive;",
            " 0 flaky;",
            " 0 not run;",
        ] {
            assert!(closing.contains(zero), "{mode:?}: {closing}");
        }
        let passed: usize = closing
            .trim_start_matches("test result: ok. ")
            .split(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(passed >= 70, "only {passed} cases passed: {closing}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_1_when_a_violation_was_seen_once_unless_flaky_cases_are_allowed() {
    // The first cancel gets a 500, the confirmation attempt's a 202: flaky.
    let case = r#"
[[case]]
name = "cancel_once"
fixture = "running"
invariants = ["CANCEL-202-ENVELOPE"]
[[case.step]]
request = { method = "POST", path = "/operations/{{ op.id }}:cancel" }
expect.status = "CANCEL-202-ENVELOPE"
"#;
    let dir = tempfile::tempdir().unwrap();
    let cases = write(dir.path(), "flaky.toml", case);
    let f = fake::start(Behaviour {
        fail_first_cancels: 1,
        ..Behaviour::default()
    })
    .await;
    let out = opconform(against(&f, &cases), Some(fake::TOKEN)).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("0 passed; 0 failed; 0 skipped; 0 inconclusive; 1 flaky"),
        "{stdout}"
    );
    assert!(
        stdout.contains("a violation seen once is a violation"),
        "{stdout}"
    );
    // The table and the closing line agree.
    assert!(
        stdout.contains("CANCEL-202-ENVELOPE            FAILED"),
        "{stdout}"
    );
    let f = fake::start(Behaviour {
        fail_first_cancels: 1,
        ..Behaviour::default()
    })
    .await;
    let mut args = against(&f, &cases);
    args.push("--allow-flaky".into());
    let out = opconform(args, Some(fake::TOKEN)).await;
    let (stdout, stderr) = text(&out);
    // Allowed, but nothing passed either: an empty verification.
    assert_eq!(out.status.code(), Some(4), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("CANCEL-202-ENVELOPE            flaky"),
        "{stdout}"
    );
}

#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    // `opconform run | head -2`: the reader goes away after two lines; the
    // run stops as Unix tools do (141, as by SIGPIPE), never with a panic.
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_opconform"))
        .arg("run")
        .env("CI", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("opconform starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    lines.read_line(&mut first).expect("a first line");
    drop(lines);
    let out = child.wait_with_output().expect("it ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "{stderr}");
}
