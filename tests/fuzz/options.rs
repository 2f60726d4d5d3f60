//! `opconform fuzz` with the target options it shares with `run`, over
//! real HTTP against loopback servers these tests start: profiles (flag >
//! profile > default), `--max-body`, `--secret`, TLS flags, `--rate` and
//! `--wait-for-target`.

use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use opconform::reference::{self, ReferenceConfig, ReferenceServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::Env;
use crate::hostile::server::{Behaviour, Hostile};
use crate::support::write;

/// `opconform fuzz ARGS` in `dir`, quiet, with no token in the environment
/// unless `env` sets one.
fn fuzz(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::cargo_bin("opconform").expect("binary");
    c.current_dir(dir)
        .env("CI", "1")
        .env_remove("AKUA_TOKEN")
        .env_remove("AKUA_FOREIGN_TOKEN")
        .timeout(Duration::from_secs(120))
        .arg("fuzz")
        .args(["--no-regressions", "--concurrency", "4"])
        .args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("runs")
}

fn texts(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn staging_profile(target: &str, fixtures: &str) -> String {
    format!(
        "[profile.staging]\ntarget = \"{target}\"\ntoken_env = \"FUZZ_STAGING_TOKEN\"\n\
         context = \"ws_alpha\"\nfixtures = \"{fixtures}\"\nrequest_timeout_secs = 5\n"
    )
}

#[test]
fn a_profile_supplies_target_token_context_and_fixtures() {
    let env = Env::start(None);
    let t = env.target();
    let fixtures = t.fixtures_url.clone().expect("fixtures");
    let dir = tempfile::tempdir().expect("tmp");
    let config = write(
        dir.path(),
        "fuzz.toml",
        &staging_profile(&t.base_url, &fixtures),
    );
    let config = config.display().to_string();
    // Stateful fuzzing needs the profile's fixture provider; a missing
    // token or context would make valid calls fail (401/403): exit 0 means
    // all three came from the profile.
    let args = [
        "--config",
        &config,
        "--profile",
        "staging",
        "--stateful",
        "--cases",
        "12",
        "--seed",
        "3",
    ];
    let out = fuzz(
        dir.path(),
        &args,
        &[("FUZZ_STAGING_TOKEN", reference::ALPHA_TOKEN)],
    );
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("fuzz: stateful, seed 3, target {}", t.base_url)),
        "{stdout}"
    );
    assert!(stdout.contains("no counterexample"), "{stdout}");
    assert!(
        !stdout.contains(reference::ALPHA_TOKEN) && !stderr.contains(reference::ALPHA_TOKEN),
        "the token was printed:\n{stdout}\n{stderr}"
    );
    // The variable the profile names is required, as in `run`; the generic
    // AKUA_TOKEN never stands in for it.
    let out = fuzz(dir.path(), &args, &[("AKUA_TOKEN", reference::ALPHA_TOKEN)]);
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("FUZZ_STAGING_TOKEN"), "{stderr}");
    assert!(!stderr.contains(reference::ALPHA_TOKEN), "{stderr}");
}

#[test]
fn flags_beat_the_profile() {
    let env = Env::start(None);
    let t = env.target();
    let dir = tempfile::tempdir().expect("tmp");
    // The profile points at a port nobody listens on, with a token
    // variable that is not set, and would pace to one request a minute.
    write(
        dir.path(),
        "opconform.toml",
        "default_profile = \"dead\"\n[profile.dead]\ntarget = \"http://127.0.0.1:9/v1\"\n\
         token_env = \"FUZZ_UNSET_TOKEN_VAR\"\ncontext = \"ws_beta\"\nrate = \"1/min\"\n",
    );
    let out = fuzz(
        dir.path(),
        &[
            "--target",
            &t.base_url,
            "--token",
            reference::ALPHA_TOKEN,
            "--context",
            "ws_alpha",
            "--rate",
            "1000/s",
            "--cases",
            "60",
            "--seed",
            "4",
        ],
        &[],
    );
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("target {}", t.base_url)),
        "{stdout}"
    );
    assert!(stdout.contains("60 inputs"), "{stdout}");
    // Without the flags the profile applies: its dead target is exit 3.
    let out = fuzz(dir.path(), &["--token", "tok_x", "--cases", "5"], &[]);
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("127.0.0.1:9"), "{stderr}");
}

/// A server that answers every request `200` with a chunked body that
/// never ends.
async fn endless_server() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let chunk = vec![b'a'; 16 * 1024];
                let size = format!("{:x}\r\n", chunk.len());
                let start = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                              transfer-encoding: chunked\r\n\r\n";
                if stream.write_all(start).await.is_err() {
                    return;
                }
                loop {
                    if stream.write_all(size.as_bytes()).await.is_err()
                        || stream.write_all(&chunk).await.is_err()
                        || stream.write_all(b"\r\n").await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://{addr}/v1"), task)
}

#[test]
fn max_body_cuts_an_endless_body_and_reports_it() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (base, task) = rt.block_on(endless_server());
    let dir = tempfile::tempdir().expect("tmp");
    let started = Instant::now();
    let out = fuzz(
        dir.path(),
        &[
            "--target",
            &base,
            "--token",
            "tok_x",
            "--max-body",
            "1000",
            "--request-timeout",
            "5",
            "--cases",
            "30",
            "--seed",
            "1",
            "--report",
            "json",
            "--out",
            "r",
        ],
        &[],
    );
    task.abort();
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    // Each response is read to the cap and dropped: the session ends long
    // before a 5 s request timeout would, with bounded memory.
    assert!(started.elapsed() < Duration::from_secs(60));
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("r/opconform.json")).expect("report"),
    )
    .expect("json");
    let exchanges: Vec<&serde_json::Value> = report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .flat_map(|c| c["steps"].as_array().into_iter().flatten())
        .flat_map(|s| s["exchanges"].as_array().into_iter().flatten())
        .collect();
    assert!(!exchanges.is_empty(), "{report}");
    for ex in exchanges {
        assert_eq!(ex["response"]["body_bytes"], 1000, "{ex}");
        assert!(
            ex["error"]
                .as_str()
                .is_some_and(|e| e.contains("exceeds the body cap of 1000 bytes (--max-body)")),
            "{ex}"
        );
    }
}

#[test]
fn secrets_are_redacted_from_every_output() {
    let dir = tempfile::tempdir().expect("tmp");
    // `state-lowercase` makes every operation body a counterexample, and
    // operation bodies carry the workspace id.
    let run = |extra: &[&str], out: &str| {
        let mut args = vec![
            "--fault",
            "state-lowercase",
            "--cases",
            "300",
            "--seed",
            "1",
            "--report",
            "json,md",
            "--out",
            out,
            "--emit-case",
        ];
        let case = format!("{out}.toml");
        args.push(&case);
        args.extend(extra);
        let o = fuzz(dir.path(), &args, &[]);
        let (stdout, stderr) = texts(&o);
        assert_eq!(o.status.code(), Some(1), "{stdout}\n{stderr}");
        let files = [
            format!("{out}/opconform.json"),
            format!("{out}/opconform.md"),
            case,
        ]
        .map(|f| std::fs::read_to_string(dir.path().join(f)).expect("written"));
        format!("{stdout}\n{stderr}\n{}", files.join("\n"))
    };
    // Without --secret the workspace id shows (the check below can fail).
    let plain = run(&[], "plain");
    assert!(plain.contains("ws_alpha"), "{plain}");
    let hidden = run(&["--secret", "ws_alpha"], "hidden");
    assert!(!hidden.contains("ws_alpha"), "{hidden}");
    assert!(hidden.contains("[REDACTED]"), "{hidden}");
    assert!(!hidden.contains(reference::ALPHA_TOKEN), "{hidden}");
}

#[test]
fn tls_flags_check_the_ca_file_first_and_refuse_redirects() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let server = rt.block_on(Hostile::start(Behaviour::Fine));
    let dir = tempfile::tempdir().expect("tmp");
    let common = [
        "--target",
        &server.base_url,
        "--token",
        "tok_x",
        "--cases",
        "5",
    ];
    let out = fuzz(
        dir.path(),
        &[&common[..], &["--ca-cert", "/nonexistent/ca.pem"]].concat(),
        &[],
    );
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("read CA certificate /nonexistent/ca.pem"),
        "{stderr}"
    );
    let junk = write(dir.path(), "ca.pem", "-----BEGIN NOTHING-----\n");
    let junk = junk.display().to_string();
    let out = fuzz(
        dir.path(),
        &[&common[..], &["--ca-cert", &junk]].concat(),
        &[],
    );
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("ca.pem") && stderr.contains("BEGIN CERTIFICATE"),
        "{stderr}"
    );
    let out = fuzz(
        dir.path(),
        &[&common[..], &["--follow-redirects"]].concat(),
        &[],
    );
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("never follows redirects"), "{stderr}");
    assert_eq!(server.requests(), 0, "bad input must send nothing");
    // --insecure is accepted (with run's warning) and the session runs.
    let env = Env::start(None);
    let t = env.target();
    let out = fuzz(
        dir.path(),
        &[
            "--target",
            &t.base_url,
            "--token",
            reference::ALPHA_TOKEN,
            "--context",
            "ws_alpha",
            "--insecure",
            "--cases",
            "30",
        ],
        &[],
    );
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("warning: --insecure"), "{stderr}");
}

/// The "N generated in S s" figure of a session's summary line.
fn generation_secs(stdout: &str) -> f64 {
    let (_, rest) = stdout.split_once(" generated in ").expect("summary line");
    let (secs, _) = rest.split_once(" s").expect("seconds");
    secs.parse().expect("a number")
}

#[test]
fn rate_bounds_the_throughput() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = fuzz(
        dir.path(),
        &["--rate", "200/s", "--cases", "100", "--seed", "2"],
        &[],
    );
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    // 100 requests at 200/s, evenly spread: about 0.5 s. Only the lower
    // bound is asserted (a loaded machine is slower, never faster).
    let secs = generation_secs(&stdout);
    assert!(secs >= 0.4, "{secs} s: {stdout}");
}

fn free_port() -> SocketAddr {
    let l = StdListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr")
}

#[test]
fn wait_for_target_waits_for_a_late_server() {
    let addr = free_port();
    let base = format!("http://{addr}/v1");
    let dir = tempfile::tempdir().expect("tmp");
    let args = [
        "--target",
        base.as_str(),
        "--token",
        reference::ALPHA_TOKEN,
        "--context",
        "ws_alpha",
        "--cases",
        "30",
        "--seed",
        "6",
    ];
    // Nobody listens yet: one probe, exit 3.
    let out = fuzz(dir.path(), &args, &[]);
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    // The server comes up about 500 ms after the fuzzer starts waiting; the
    // fuzzer waits up to 20 s (it goes on as soon as the server answers, so
    // the margin costs nothing when the machine is idle).
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let late = rt.spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        ReferenceServer::start(ReferenceConfig::default(), addr).await
    });
    let out = fuzz(
        dir.path(),
        &[&args[..], &["--wait-for-target", "20"]].concat(),
        &[],
    );
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("30 inputs"), "{stdout}");
    let server = rt
        .block_on(late)
        .expect("joined")
        .expect("the late server started");
    rt.block_on(server.shutdown());
}
