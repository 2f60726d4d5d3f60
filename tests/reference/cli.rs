//! `opconform serve` as a process: start, banner, serve, Ctrl-C.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_opconform");

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// Starts `opconform serve --addr ADDR ARGS...` and returns it with its
/// banner (everything up to the Ctrl-C line).
async fn serve(addr: &str, args: &[&str]) -> (std::process::Child, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--addr", addr])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn opconform serve");
    let stdout = child.stdout.take().expect("stdout");
    let banner = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("line");
            let done = line.contains("Ctrl-C");
            lines.push(line);
            if done {
                break;
            }
        }
        lines.join("\n")
    })
    .await
    .expect("banner");
    (child, banner)
}

/// Ctrl-C, then the exit status (within 8 s).
async fn interrupt(child: &mut std::process::Child) -> std::process::ExitStatus {
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(kill.success());
    let start = Instant::now();
    loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            return s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(8),
            "serve did not stop on Ctrl-C"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn serve_prints_its_urls_and_tokens_serves_and_stops_on_ctrl_c() {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let (mut child, banner) = serve(&addr, &["--step-ms", "20", "--fault", "wait-no-wake"]).await;
    assert!(banner.contains(&format!("http://{addr}/v1")), "{banner}");
    assert!(
        banner.contains(&format!("http://{addr}/__fixtures/operations")),
        "{banner}"
    );
    assert!(
        banner.contains("sk_akua_test_alpha") && banner.contains("ws_beta"),
        "{banner}"
    );
    assert!(banner.contains("wait-no-wake"), "{banner}");
    assert!(banner.contains("dialect:     akua"), "{banner}");
    assert!(banner.contains("tempo:       frozen"), "{banner}");
    assert!(
        banner.contains("sk_akua_test_broad (broad: ws_alpha, ws_gamma"),
        "{banner}"
    );

    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let resp = client
        .post(format!("http://{addr}/__fixtures/operations"))
        .bearer_auth("sk_akua_test_alpha")
        .body(r#"{"state":"running"}"#)
        .send()
        .await
        .expect("fixture");
    assert_eq!(resp.status(), 201);

    let status = interrupt(&mut child).await;
    assert_eq!(status.code(), Some(0));
    assert!(
        client
            .get(format!("http://{addr}/v1/operations"))
            .send()
            .await
            .is_err(),
        "the port is closed after shutdown"
    );
}

#[tokio::test]
async fn serve_takes_a_dialect_a_tempo_limits_and_broad_tokens() {
    let addr = format!("127.0.0.1:{}", free_port());
    let (mut child, banner) = serve(
        &addr,
        &[
            "--dialect",
            "alternate",
            "--tempo",
            "live",
            "--live-step-ms",
            "20",
            "--retention",
            "30",
            "--max-operations",
            "50",
            "--token",
            "sk_one=ws_one",
            "--token",
            "sk_many=ws_one,ws_two",
        ],
    )
    .await;
    for line in [
        "dialect:     alternate",
        "tempo:       live (live step 20 ms)",
        "keeps:       50 operations, finished ones for 30 s",
        "token:       sk_one (workspace ws_one)",
        "token:       sk_many (broad: ws_one, ws_two; akua-context selects, default ws_one)",
    ] {
        assert!(banner.contains(line), "{line}\n{banner}");
    }
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    // The broad token creates in ws_two; the alternate dialect has no list.
    let op: serde_json::Value = client
        .post(format!("http://{addr}/__fixtures/operations"))
        .bearer_auth("sk_many")
        .header("akua-context", "ws_two")
        .body(r#"{"state":"running"}"#)
        .send()
        .await
        .expect("fixture")
        .json()
        .await
        .expect("json");
    assert_eq!(op["workspace_id"], "ws_two");
    let list = client
        .get(format!("http://{addr}/v1/operations"))
        .bearer_auth("sk_one")
        .send()
        .await
        .expect("list");
    assert_eq!(list.status(), 404);
    // Live at 20 ms a step: done within a second.
    let id = op["id"].as_str().expect("id");
    let waited: serde_json::Value = client
        .post(format!("http://{addr}/v1/operations/{id}:wait?timeout=5"))
        .bearer_auth("sk_many")
        .header("akua-context", "ws_two")
        .send()
        .await
        .expect("wait")
        .json()
        .await
        .expect("json");
    assert_eq!(waited["state"], "SUCCEEDED");
    assert!(waited["response"].is_null());
    assert_eq!(interrupt(&mut child).await.code(), Some(0));
}

#[test]
fn unknown_dialect_or_tempo_exits_2_naming_the_allowed_values() {
    for (flag, value, allowed) in [
        ("--dialect", "google", "akua, alternate"),
        ("--tempo", "fast", "frozen, live"),
    ] {
        let out = Command::new(BIN)
            .args(["serve", flag, value])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(allowed), "{err}");
    }
}

#[test]
fn unknown_fault_exits_2_with_a_did_you_mean() {
    let out = Command::new(BIN)
        .args(["serve", "--fault", "done-lag-state"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did you mean `done-lags-state`"), "{err}");
}

#[test]
fn list_faults_prints_every_fault_with_what_it_breaks() {
    let out = Command::new(BIN)
        .args(["serve", "--list-faults"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for f in opconform::reference::faults() {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(f.name))
            .unwrap_or_else(|| panic!("{} not listed", f.name));
        assert!(
            line.contains(f.summary) && line.contains(f.breaks[0]),
            "{line}"
        );
    }
}

#[test]
fn serve_help_has_examples() {
    let out = Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--addr",
        "--fault",
        "--list-faults",
        "--step-ms",
        "--no-fixtures",
        "--token",
        "--idempotency-ttl-secs",
        "--idempotency-capacity",
        "--dialect",
        "--tempo",
        "--live-step-ms",
        "--retention",
        "--max-operations",
        "TOKEN=WS1,WS2",
        "Examples:",
    ] {
        assert!(text.contains(flag), "help lacks {flag}");
    }
}
