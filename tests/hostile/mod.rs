//! `opconform run` against targets that misbehave: each run must end within
//! its deadline without a panic, fail (or retry) the affected cases with
//! evidence, keep memory bounded, and never leak the token.

mod cli;
mod fuzz_inputs;
pub(crate) mod server;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use server::{Behaviour, Hostile};

/// A token the tests grep every output for.
pub const TOKEN: &str = "sk_akua_HOSTILE_canary_4242";
/// The static operation every hostile case reads.
const OP: &str = "op_hostile_0001";
/// No hostile run may take longer than this (the run's own deadline is 8 s).
const TEST_LIMIT: Duration = Duration::from_secs(15);

/// What one process run produced.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// `opconform.json`, when written.
    pub report: Option<Value>,
    /// Every file the run wrote, as text (for the token grep).
    pub files: String,
    /// Largest resident set size seen while it ran, in KiB.
    pub max_rss_kib: u64,
}

impl Ran {
    /// Every exchange of every case in the JSON report.
    pub fn exchanges(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for case in self.cases() {
            for step in case["steps"].as_array().into_iter().flatten() {
                out.extend(step["exchanges"].as_array().into_iter().flatten().cloned());
            }
        }
        out
    }

    /// The cases of the JSON report.
    pub fn cases(&self) -> Vec<Value> {
        self.report
            .as_ref()
            .and_then(|r| r["cases"].as_array().cloned())
            .unwrap_or_default()
    }

    /// Verdict labels of the cases, in plan order.
    pub fn verdicts(&self) -> Vec<String> {
        self.cases()
            .iter()
            .map(|c| c["outcome"]["verdict"].as_str().unwrap_or("?").to_string())
            .collect()
    }

    /// Asserts the common promises: no panic, no token anywhere.
    pub fn assert_clean(&self) {
        for (what, text) in [
            ("stdout", &self.stdout),
            ("stderr", &self.stderr),
            ("files", &self.files),
        ] {
            assert!(!text.contains(TOKEN), "token leaked into {what}:\n{text}");
            assert!(!text.contains("panicked"), "panic in {what}:\n{text}");
        }
    }
}

/// Case files: `n` reads of the static operation, expecting 200 (and an
/// Operation body when `body`).
pub fn cases(dir: &Path, n: usize, body: bool) -> PathBuf {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "[[case]]\nname = \"get_{i}\"\nfixture = \"succeeded\"\ninvariants = [\"OP-SCHEMA-REQUIRED\"]\n\
             [[case.step]]\nrequest = {{ method = \"GET\", path = \"/operations/{{{{ op.id }}}}\" }}\n\
             expect.status = [200]\n{}\n",
            if body { "expect.body = \"operation\"\n" } else { "" }
        ));
    }
    let path = dir.join("hostile.toml");
    std::fs::write(&path, text).expect("write cases");
    path
}

/// The usual arguments against `base_url` with the case file `cases`.
pub fn args(base_url: &str, cases: &Path, out: &Path) -> Vec<String> {
    [
        "run",
        "--target",
        base_url,
        "--token",
        TOKEN,
        "--op",
        &format!("succeeded={OP}"),
        "--cases",
        &cases.display().to_string(),
        "--color",
        "never",
        "--test-threads",
        "1",
        "--request-timeout",
        "0.5",
        "--deadline",
        "8",
        "--report",
        "json,md,html,junit",
        "--out",
        &out.display().to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Runs the binary as a child process (off the async runtime), sampling its
/// resident memory; kills it and fails the test if it outlives `TEST_LIMIT`.
pub async fn run(args: Vec<String>, out: Option<PathBuf>) -> Ran {
    run_full(args, out, Vec::new(), None).await
}

/// [`run`] with extra environment variables and a working directory.
pub async fn run_full(
    args: Vec<String>,
    out: Option<PathBuf>,
    envs: Vec<(String, String)>,
    cwd: Option<PathBuf>,
) -> Ran {
    tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_opconform"));
        cmd.args(&args)
            .env_remove("AKUA_TOKEN")
            .env_remove("AKUA_FOREIGN_TOKEN")
            .envs(envs);
        if let Some(dir) = cwd {
            cmd.current_dir(dir);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn opconform");
        let mut stdout_pipe = child.stdout.take().expect("stdout");
        let mut stderr_pipe = child.stderr.take().expect("stderr");
        let out_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stdout_pipe.read_to_string(&mut s);
            s
        });
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr_pipe.read_to_string(&mut s);
            s
        });
        let started = Instant::now();
        let mut max_rss_kib = 0;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            max_rss_kib = max_rss_kib.max(rss_kib(child.id()));
            if started.elapsed() > TEST_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                panic!("opconform {args:?} did not end within {TEST_LIMIT:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let stdout = out_reader.join().unwrap_or_default();
        let stderr = err_reader.join().unwrap_or_default();
        let mut files = String::new();
        let mut report = None;
        if let Some(dir) = out {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                if entry.file_name() == "opconform.json" {
                    report = serde_json::from_str(&text).ok();
                }
                files.push_str(&text);
            }
        }
        Ran {
            code: status.code().unwrap_or(-1),
            stdout,
            stderr,
            report,
            files,
            max_rss_kib,
        }
    })
    .await
    .expect("runner thread")
}

/// VmRSS of a process in KiB (0 when it cannot be read).
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// Starts `behaviour`, runs `n` cases against it, checks the common promises.
async fn against(behaviour: Behaviour, n: usize, body: bool, extra: &[&str]) -> (Ran, Hostile) {
    let server = Hostile::start(behaviour).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = cases(dir.path(), n, body);
    let out = dir.path().join("out");
    let mut a = args(&server.base_url, &file, &out);
    a.extend(extra.iter().map(|s| s.to_string()));
    let ran = run(a, Some(out)).await;
    ran.assert_clean();
    assert!(
        ran.report.is_some(),
        "no JSON report; stderr:\n{}",
        ran.stderr
    );
    (ran, server)
}

/// The `error` of every exchange that has one.
fn errors(ran: &Ran) -> Vec<String> {
    ran.exchanges()
        .iter()
        .filter_map(|e| e["error"].as_str().map(String::from))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_time_out_and_fail_the_case() {
    let (ran, _s) = against(Behaviour::SlowHeaders, 1, false, &[]).await;
    assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(ran.verdicts(), ["failed"]);
    assert!(
        errors(&ran).iter().any(|e| e.contains("request timeout")),
        "{:?}",
        errors(&ran)
    );
    assert!(ran.stdout.contains("no response"), "{}", ran.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_body_times_out_with_the_partial_response_recorded() {
    let (ran, _s) = against(Behaviour::SlowBody, 1, true, &[]).await;
    assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(ran.verdicts(), ["failed"]);
    let ex = &ran.exchanges()[0];
    assert_eq!(ex["response"]["status"], 200, "{ex}");
    assert!(
        ex["error"]
            .as_str()
            .is_some_and(|e| e.contains("bytes of the body read")),
        "{ex}"
    );
    assert!(
        errors(&ran).iter().any(|e| e.contains("request timeout")),
        "{:?}",
        errors(&ran)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_body_is_cut_at_the_cap_and_memory_stays_bounded() {
    let cap = 1024 * 1024;
    let (ran, _s) = against(
        Behaviour::EndlessBody,
        1,
        true,
        &["--max-body", &cap.to_string()],
    )
    .await;
    assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
    let ex = &ran.exchanges()[0];
    assert_eq!(ex["response"]["body_bytes"], cap);
    assert!(
        ex["error"]
            .as_str()
            .is_some_and(|e| e.contains("exceeds the body cap of 1048576 bytes")),
        "{ex}"
    );
    assert!(ran.stdout.contains("--max-body"), "{}", ran.stdout);
    // A debug build of the whole tool is well under this; an uncapped read of
    // an endless body is not.
    assert!(
        ran.max_rss_kib > 0 && ran.max_rss_kib < 200 * 1024,
        "max RSS {} KiB",
        ran.max_rss_kib
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_content_length_is_read_at_most_up_to_the_cap() {
    let (ran, _s) = against(Behaviour::HugeContentLength, 1, true, &[]).await;
    assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
    assert!(
        errors(&ran)
            .iter()
            .any(|e| e.contains("Content-Length 10000000000000")),
        "{:?}",
        errors(&ran)
    );
    let read = ran.exchanges()[0]["response"]["body_bytes"]
        .as_u64()
        .unwrap_or(u64::MAX);
    assert!(read <= 8 * 1024 * 1024, "{read}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_that_are_not_json_fail_with_the_excerpt_as_evidence() {
    for (behaviour, shown) in [
        (Behaviour::InvalidJson, "{\"id\": \"op_"),
        (Behaviour::InvalidUtf8, "{\"id\": \"op_\u{fffd}"),
        (Behaviour::WrongContentType, "<html>"),
    ] {
        let (ran, _s) = against(behaviour.clone(), 1, true, &[]).await;
        assert_eq!(ran.code, 1, "{behaviour:?}: {}\n{}", ran.stdout, ran.stderr);
        assert_eq!(ran.verdicts(), ["failed"], "{behaviour:?}");
        assert!(
            ran.stdout.contains("body is not JSON"),
            "{behaviour:?}: {}",
            ran.stdout
        );
        let excerpt = ran.exchanges()[0]["response"]["body_excerpt"]
            .as_str()
            .unwrap_or("")
            .to_string();
        assert!(excerpt.starts_with(shown), "{behaviour:?}: {excerpt:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_mid_body_is_a_failure_with_the_read_error() {
    let (ran, _s) = against(Behaviour::ResetMidBody, 1, true, &[]).await;
    assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
    assert!(
        errors(&ran)
            .iter()
            .any(|e| e.contains("read response body")),
        "{:?}",
        errors(&ran)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_to_another_origin_never_carry_the_token() {
    let other = Hostile::start(Behaviour::Fine).await;
    // Not followed by default: the 307 is the evidence.
    let (ran, _s) = against(Behaviour::RedirectTo(other.origin.clone()), 1, false, &[]).await;
    assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
    assert!(ran.stdout.contains("status 307"), "{}", ran.stdout);
    assert_eq!(other.requests(), 0);
    // Followed on request, without the credentials.
    let (ran, _s) = against(
        Behaviour::RedirectTo(other.origin.clone()),
        1,
        false,
        &["--follow-redirects"],
    )
    .await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(other.op_requests(), 1);
    assert_eq!(other.authorizations(), vec![None]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_storm_fails_every_case_and_the_run_ends() {
    let (ran, s) = against(Behaviour::Storm500, 4, false, &[]).await;
    assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(ran.verdicts(), ["failed"; 4]);
    assert_eq!(s.op_requests(), 4, "a 500 is not retried");
    assert!(ran.stdout.contains("status 500"), "{}", ran.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_is_retried_a_bounded_number_of_times_and_is_no_verdict() {
    let (ran, s) = against(Behaviour::Storm429(usize::MAX), 2, false, &[]).await;
    // Throttling is no verdict: nothing was verified, so exit 4, and the
    // per-invariant table agrees with the closing line (no FAILED row).
    assert_eq!(ran.code, 4, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(ran.verdicts(), ["inconclusive"; 2]);
    assert!(!ran.stdout.contains("FAILED"), "{}", ran.stdout);
    assert!(ran.stdout.contains("test result: EMPTY"), "{}", ran.stdout);
    // One send and three re-sends per case.
    assert_eq!(s.op_requests(), 8);
    for ex in ran.exchanges() {
        assert_eq!(ex["retries"], 3, "{ex}");
        assert_eq!(ex["response"]["status"], 429);
    }
    assert!(
        ran.stdout.contains("throttled: 6 request(s) re-sent"),
        "{}",
        ran.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_429_burst_is_ridden_out() {
    let (ran, s) = against(Behaviour::Storm429(2), 1, false, &[]).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(ran.verdicts(), ["passed"]);
    assert_eq!(s.op_requests(), 3);
    assert_eq!(ran.exchanges()[0]["retries"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_is_unreachable() {
    let server = Hostile::start(Behaviour::NeverAnswer).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = cases(dir.path(), 3, false);
    let ran = run(args(&server.base_url, &file, &dir.path().join("out")), None).await;
    ran.assert_clean();
    assert_eq!(ran.code, 3, "{}\n{}", ran.stdout, ran.stderr);
    assert!(ran.stderr.contains("unreachable"), "{}", ran.stderr);
    // Waiting for it does not help, and ends.
    let mut a = args(&server.base_url, &file, &dir.path().join("out"));
    a.extend(["--wait-for-target".into(), "1".into()]);
    let ran = run(a, None).await;
    ran.assert_clean();
    assert_eq!(ran.code, 3, "{}\n{}", ran.stdout, ran.stderr);
    assert!(ran.stderr.contains("after waiting 1.0 s"), "{}", ran.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_stops_answering_is_detected_after_three_failures() {
    let (ran, s) = against(Behaviour::HangAfterProbe, 6, false, &[]).await;
    assert_eq!(ran.code, 3, "{}\n{}", ran.stdout, ran.stderr);
    // Cases run several at once: which three met the hanging target first
    // depends on scheduling, how many did does not.
    let mut verdicts = ran.verdicts();
    verdicts.sort();
    assert_eq!(
        verdicts,
        [
            "failed", "failed", "failed", "not_run", "not_run", "not_run"
        ]
    );
    assert_eq!(
        s.op_requests(),
        3,
        "nothing is sent after the breaker trips"
    );
    assert!(
        ran.stdout.contains("not run: target stopped answering"),
        "{}",
        ran.stdout
    );
    assert!(ran.stderr.contains("stopped answering"), "{}", ran.stderr);
}
