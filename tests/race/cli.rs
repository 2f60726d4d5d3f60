//! `opconform race` as a process: the embedded reference passes every
//! scenario (exit 0); a race fault fails the run (exit 1) with the blame on
//! an invariant it breaks, the minimal non-linearizable part drawn as text
//! on the console and as inline SVG in the HTML report, and the run in the
//! JSON report; a URL target with its token (never printed); bad input
//! exits 2 before anything is sent.

use std::process::Output;

use opconform::reference::{ALPHA_TOKEN, ReferenceConfig, ReferenceServer};

/// Runs the binary off the async runtime's threads.
async fn opconform(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        assert_cmd::Command::new(env!("CARGO_BIN_EXE_opconform"))
            .env_remove("AKUA_TOKEN")
            .env_remove("OPCONFORM_TOKEN")
            .args(&args)
            .output()
            .expect("runs")
    })
    .await
    .expect("joins")
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_reference_passes_every_scenario() {
    let out = opconform(args(&[
        "race",
        "--strict",
        "--clients",
        "3",
        "--repeat",
        "2",
    ]))
    .await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("race: 10 scenario(s), N = 3, R = 2"),
        "{stdout}"
    );
    for name in [
        "same-key",
        "lost-update",
        "key-misuse",
        "lost-response-unkeyed-after-status-line",
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.trim_start().starts_with(name) && l.contains(" ok ")),
            "{name}: {stdout}"
        );
    }
    assert!(
        stdout.contains("race: 10 passed, 0 failed, 0 skipped"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_race_fault_fails_the_run_with_its_timeline_in_the_console_and_the_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().display().to_string();
    let out = opconform(args(&[
        "race",
        "--fault",
        "ifmatch-check-then-act",
        "--clients",
        "4",
        "--repeat",
        "4",
        "--report",
        "html,json,junit,md",
        "--out",
        &out_dir,
        "lost-update",
    ]))
    .await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("lost-update") && stdout.contains("FAILED"),
        "{stdout}"
    );
    assert!(stdout.contains("CONC-LOST-UPDATE"), "{stdout}");
    // The minimal non-linearizable part, as lanes of text.
    assert!(
        stdout.contains("the minimal non-linearizable part"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.trim_start().starts_with('c') && l.contains("|[#")),
        "{stdout}"
    );
    let html = std::fs::read_to_string(dir.path().join("opconform.html")).expect("html");
    let figure = html
        .find("<figure class=\"timeline\" data-kind=\"timeline\"><svg xmlns=\"http://www.w3.org/2000/svg\"")
        .expect("an inline SVG timeline in the failure card");
    assert!(html[figure..].contains("</svg></figure>"));
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("opconform.json")).expect("json"),
    )
    .expect("valid json");
    let case = &json["cases"][0];
    assert_eq!(case["name"], "race::lost-update");
    assert_eq!(case["outcome"]["verdict"], "failed");
    let failed: Vec<&str> = case["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .flat_map(|s| s["checks"].as_array().expect("checks"))
        .filter(|c| c["verdict"] == "fail")
        .map(|c| c["invariant"].as_str().expect("id"))
        .collect();
    let breaks = ["CONC-LOST-UPDATE", "CONC-LINEARIZABLE"];
    assert!(!failed.is_empty());
    assert!(failed.iter().all(|id| breaks.contains(id)), "{failed:?}");
    assert!(
        json["timelines"][0]["calls"]
            .as_array()
            .is_some_and(|c| c.len() >= 2),
        "{json:#}"
    );
    let junit = std::fs::read_to_string(dir.path().join("opconform.junit.xml")).expect("junit");
    assert!(
        junit.contains("race::lost-update") && junit.contains("<failure"),
        "{junit}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_target_is_raced_with_its_token_which_is_never_printed() {
    let server = ReferenceServer::start(
        ReferenceConfig {
            step_length: std::time::Duration::from_millis(50),
            ..ReferenceConfig::default()
        },
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("bind");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = opconform(args(&[
        "race",
        "--target",
        &server.base_url(),
        "--fixtures",
        &server.fixtures_url(),
        "--token",
        ALPHA_TOKEN,
        "--repeat",
        "2",
        "--clients",
        "3",
        "--report",
        "json,html",
        "--out",
        &dir.path().display().to_string(),
        "same-key",
        "lost-response-keyed",
    ]))
    .await;
    server.shutdown().await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("race: 3 passed"), "{stdout}");
    for report in ["opconform.json", "opconform.html"] {
        let body = std::fs::read_to_string(dir.path().join(report)).expect("report");
        assert!(!body.contains(ALPHA_TOKEN), "{report} leaks the token");
    }
    assert!(!stdout.contains(ALPHA_TOKEN) && !stderr.contains(ALPHA_TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_exits_2_and_says_what_to_fix() {
    let cases: [(&[&str], &str); 5] = [
        (&["race", "--clients", "1"], "at least 2 requests"),
        (&["race", "--repeat", "0"], "at least 1 trial"),
        (
            &["race", "no-such-scenario"],
            "no race scenario matches `no-such-scenario`; the scenarios are: same-key",
        ),
        (
            &[
                "race",
                "--target",
                "https://api.example.test/v1",
                "--fixtures",
                "https://api.example.test/f",
                "--token",
                "tok-race-cli-secret",
            ],
            "plain http:// URL",
        ),
        (
            &[
                "race",
                "--target",
                "http://127.0.0.1:9/v1",
                "--token",
                "tok-race-cli-secret",
            ],
            "a fixture provider (--fixtures URL)",
        ),
    ];
    for (argv, says) in cases {
        let out = opconform(args(argv)).await;
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{argv:?}: {stdout}\n{stderr}");
        assert!(stderr.contains(says), "{argv:?}: {stderr}");
    }
    let listed = opconform(args(&["race", "--list", "lost-response"])).await;
    let (stdout, _) = text(&listed);
    assert_eq!(listed.status.code(), Some(0));
    assert_eq!(stdout.lines().count(), 4, "{stdout}");
    assert!(
        stdout.contains("lost-response-keyed-after-request: RETRY-AFTER-LOST-RESPONSE"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn har_records_every_call_of_every_trial() {
    let dir = tempfile::tempdir().expect("tempdir");
    let har = dir.path().join("race.har");
    let out = opconform(args(&[
        "race",
        "--clients",
        "3",
        "--repeat",
        "1",
        "same-key",
        "lost-response-keyed-after-request",
        "--har",
        har.to_str().expect("utf-8 path"),
    ]))
    .await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&har).expect("the HAR is written"))
            .expect("the HAR is JSON");
    let entries = doc["log"]["entries"].as_array().expect("log.entries");
    let said = stdout
        .lines()
        .find_map(|l| l.strip_prefix("har: "))
        .unwrap_or_else(|| panic!("no har line: {stdout}"));
    assert!(
        said.contains(&format!("({} exchange(s))", entries.len())),
        "{said}"
    );
    // Three racing cancels plus the reads around them, and a hang-up whose
    // answer was never read (recorded without a response).
    assert!(entries.len() >= 6, "{}", entries.len());
    let comments: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["comment"].as_str())
        .collect();
    assert!(
        comments
            .iter()
            .any(|c| c.starts_with("race same-key trial 1 client")),
        "{comments:?}"
    );
    assert!(
        entries.iter().any(|e| e["request"]["url"]
            .as_str()
            .is_some_and(|u| u.ends_with(":cancel"))),
        "no cancel recorded"
    );
    let text = std::fs::read_to_string(&har).expect("read");
    assert!(
        !text.contains(opconform::reference::ALPHA_TOKEN),
        "a token in the HAR"
    );
}
