//! `opconform serve` as a process: start, banner, serve, Ctrl-C.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_opconform");

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

#[tokio::test]
async fn serve_prints_its_urls_and_tokens_serves_and_stops_on_ctrl_c() {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--addr",
            &addr,
            "--step-ms",
            "20",
            "--fault",
            "wait-no-wake",
        ])
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

    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(kill.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(8),
            "serve did not stop on Ctrl-C"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
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
        "Examples:",
    ] {
        assert!(text.contains(flag), "help lacks {flag}");
    }
}
