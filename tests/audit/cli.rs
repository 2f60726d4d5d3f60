//! `opconform audit` and `--har` from the command line: the binary records
//! a run and audits it back, in a real headless Chromium the HAR file
//! loads, bad input is a located error with exit 2, and `--follow` prints
//! a violation while the file is still being written.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use opconform::reference;

use super::har::assert_har_shape;
use super::support::{Line, op};
use crate::reports::{Chromium, file_url};

fn opconform(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("opconform").expect("binary");
    c.current_dir(dir).timeout(Duration::from_secs(300));
    c
}

/// The lines of an audit's output that say what failed (the summary
/// lists every invariant).
fn failing_lines(out: &std::process::Output) -> String {
    let all = text(&out.stdout) + &text(&out.stderr);
    all.lines()
        .filter(|l| {
            l.contains("FAIL")
                || l.contains("error")
                || l.contains("expected")
                || l.starts_with("audit:")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A page that loads `har` as Chromium's DevTools HAR importer does
/// (front_end/models/har/HARFormat.ts: the same members read, with the
/// same checks that throw — an object where one is expected, dates that
/// parse, numbers that are numbers, `log.entries` an array) plus a URL
/// that parses, and writes `HAR-OK <entries>` or `HAR-BAD <why>`.
fn har_viewer_page(har: &str) -> String {
    let embedded = har.replace("</", "<\\/");
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"></head><body>
<pre id="verdict">NOT RUN</pre>
<script type="application/json" id="har">{embedded}</script>
<script>
function obj(d, what) {{ if (!d || typeof d !== 'object') throw what + ': an object is expected'; return d; }}
function safeDate(d, what) {{ const t = new Date(d); if (Number.isNaN(t.getTime())) throw what + ': invalid date ' + d; return t; }}
function safeNumber(d, what) {{ const n = Number(d); if (d === null || Number.isNaN(n)) throw what + ': not a number'; return n; }}
function optNumber(d, what) {{ return d !== undefined ? safeNumber(d, what) : undefined; }}
function pairs(a, what) {{ return Array.isArray(a) ? a.map((h, i) => {{ obj(h, what + '[' + i + ']'); return [String(h.name), String(h.value)]; }}) : []; }}
function entry(e, i) {{
  const w = 'log.entries[' + i + ']';
  obj(e, w);
  safeDate(e.startedDateTime, w + '.startedDateTime');
  safeNumber(e.time, w + '.time');
  const rq = obj(e.request, w + '.request');
  String(rq.method); new URL(String(rq.url)); String(rq.httpVersion);
  pairs(rq.headers, w + '.request.headers'); pairs(rq.queryString, w + '.request.queryString'); pairs(rq.cookies, w + '.request.cookies');
  if (rq.postData) {{ obj(rq.postData, w + '.request.postData'); String(rq.postData.mimeType); String(rq.postData.text); }}
  safeNumber(rq.headersSize, w + '.request.headersSize'); safeNumber(rq.bodySize, w + '.request.bodySize');
  const rs = obj(e.response, w + '.response');
  safeNumber(rs.status, w + '.response.status'); String(rs.statusText); String(rs.httpVersion);
  pairs(rs.headers, w + '.response.headers'); pairs(rs.cookies, w + '.response.cookies');
  const c = obj(rs.content, w + '.response.content');
  safeNumber(c.size, w + '.response.content.size'); String(c.mimeType);
  String(rs.redirectURL); safeNumber(rs.headersSize, w + '.response.headersSize'); safeNumber(rs.bodySize, w + '.response.bodySize');
  const t = obj(e.timings, w + '.timings');
  for (const k of ['blocked', 'dns', 'connect', 'ssl']) optNumber(t[k], w + '.timings.' + k);
  for (const k of ['send', 'wait', 'receive']) safeNumber(t[k], w + '.timings.' + k);
}}
try {{
  const root = obj(JSON.parse(document.getElementById('har').textContent), 'the file');
  const log = obj(root.log, 'log');
  String(log.version); obj(log.creator, 'log.creator');
  if (!Array.isArray(log.entries)) throw 'log.entries is expected to be an array';
  log.entries.forEach(entry);
  document.getElementById('verdict').textContent = 'HAR-OK ' + log.entries.length;
}} catch (e) {{
  document.getElementById('verdict').textContent = 'HAR-BAD ' + e;
}}
</script></body></html>"#
    )
}

/// What the page says of `har` in headless Chromium.
fn chromium_verdict(chromium: &Chromium, dir: &Path, name: &str, har: &str) -> String {
    let page = dir.join(format!("{name}.html"));
    std::fs::write(&page, har_viewer_page(har)).expect("write page");
    let dom = chromium.dump_dom(&file_url(&page, ""));
    let start = dom.find("<pre id=\"verdict\">").expect("verdict element") + 18;
    let end = start + dom[start..].find("</pre>").expect("verdict ends");
    dom[start..end].to_string()
}

#[test]
fn run_har_records_every_exchange_chromium_loads_it_and_audit_passes_then_fails_a_fault() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = opconform(dir.path())
        .args(["run", "-q", "--har", "ok.har"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("har: ok.har ("))
        .unwrap_or_else(|| panic!("no har line in {stdout}"));
    let written: usize = line
        .trim_start_matches("har: ok.har (")
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a count");
    let har = std::fs::read_to_string(dir.path().join("ok.har")).expect("read");
    for token in [
        reference::ALPHA_TOKEN,
        reference::BETA_TOKEN,
        reference::BROAD_TOKEN,
    ] {
        assert!(!har.contains(token), "a token reached the HAR");
    }
    assert_har_shape(&har);
    let v: serde_json::Value = serde_json::from_str(&har).expect("json");
    let entries = v["log"]["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), written);
    assert!(written > 300, "{written}");
    // Fixture creation and the reachability probe are recorded too.
    let urls: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["request"]["url"].as_str())
        .collect();
    assert!(
        urls.iter().any(|u| u.contains("/__fixtures/")),
        "no fixture request"
    );

    // Chromium loads it; the same page refuses broken files.
    let chromium = Chromium::new();
    assert_eq!(
        chromium_verdict(&chromium, dir.path(), "ok", &har),
        format!("HAR-OK {written}")
    );
    let mut broken = v.clone();
    broken["log"]["entries"][3]["timings"]
        .as_object_mut()
        .expect("timings")
        .remove("wait");
    let verdict = chromium_verdict(&chromium, dir.path(), "broken", &broken.to_string());
    assert_eq!(verdict, "HAR-BAD log.entries[3].timings.wait: not a number");
    broken = v.clone();
    broken["log"]["entries"][5]["startedDateTime"] = "yesterday".into();
    let verdict = chromium_verdict(&chromium, dir.path(), "baddate", &broken.to_string());
    assert!(
        verdict.starts_with("HAR-BAD log.entries[5].startedDateTime"),
        "{verdict}"
    );
    let verdict = chromium_verdict(&chromium, dir.path(), "nolog", r#"{"entries": []}"#);
    assert!(verdict.starts_with("HAR-BAD log: "), "{verdict}");

    // The recording audits clean, with the reports run writes.
    let out = opconform(dir.path())
        .args([
            "audit",
            "ok.har",
            "--report",
            "json,junit,md,html",
            "--out",
            "rep",
        ])
        .output()
        .expect("audit");
    assert_eq!(out.status.code(), Some(0), "{}", failing_lines(&out));
    for f in [
        "opconform.json",
        "opconform.junit.xml",
        "opconform.md",
        "opconform.html",
    ] {
        assert!(dir.path().join("rep").join(f).is_file(), "no report {f}");
    }
    let report = std::fs::read_to_string(dir.path().join("rep/opconform.json")).expect("json");
    assert!(
        report.contains("not observable in traffic: "),
        "{report:.300}"
    );

    // A fault traffic shows: the audit fails, blaming what it breaks, and
    // the finding names the entry, time, method and path.
    let out = opconform(dir.path())
        .args([
            "run",
            "-q",
            "--strict",
            "--fault",
            "etag-missing",
            "--har",
            "bad.har",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let out = opconform(dir.path())
        .args([
            "audit", "--strict", "bad.har", "--report", "json", "--out", "bad",
        ])
        .output()
        .expect("audit");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("OP-ETAG-HEADER"), "{stdout}");
    let report = std::fs::read_to_string(dir.path().join("bad/opconform.json")).expect("json");
    let r: serde_json::Value = serde_json::from_str(&report).expect("json");
    let case = r["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["name"] == "audit::OP-ETAG-HEADER")
        .expect("the case");
    assert_eq!(case["outcome"]["verdict"], "failed");
    let step = case["steps"][0]["name"].as_str().expect("a step");
    assert!(
        step.starts_with("bad.har log.entries[") && step.contains("Z) GET /v1/operations/op_"),
        "{step}"
    );
}

#[test]
fn fuzz_har_records_the_session_and_it_audits_clean() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = opconform(dir.path())
        .args([
            "fuzz",
            "--cases",
            "150",
            "--seed",
            "7",
            "--no-regressions",
            "--har",
            "fz.har",
        ])
        .output()
        .expect("fuzz");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let har = std::fs::read_to_string(dir.path().join("fz.har")).expect("read");
    assert_har_shape(&har);
    assert!(
        !har.contains(reference::ALPHA_TOKEN),
        "a token reached the HAR"
    );
    let v: serde_json::Value = serde_json::from_str(&har).expect("json");
    let entries = v["log"]["entries"].as_array().expect("entries");
    assert!(entries.len() > 100, "{}", entries.len());
    // The shared fixtures' creation is recorded too.
    assert!(
        entries.iter().any(|e| e["request"]["url"]
            .as_str()
            .is_some_and(|u| u.contains("/__fixtures/"))),
        "no fixture request recorded"
    );
    let out = opconform(dir.path())
        .args(["audit", "fz.har"])
        .output()
        .expect("audit");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn bad_input_is_a_located_error_exit_2_and_the_rest_is_audited() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = Line::new(
        0,
        "GET",
        "/operations/op_1",
        200,
        Some(op("op_1", "SUCCEEDED")),
    )
    .json();
    let lines = [
        good.clone(),
        r#"{"time":"2026-05-07T12:00:01Z","method":"GET""#.to_string(),
        r#"{"hello":"world"}"#.to_string(),
        format!("{{\"pad\":\"{}\"}}", "x".repeat(5000)),
        good,
    ];
    std::fs::write(dir.path().join("gw.jsonl"), lines.join("\n") + "\n").expect("write");
    let out = opconform(dir.path())
        .args(["audit", "gw.jsonl", "--max-line-bytes", "4096"])
        .output()
        .expect("audit");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("gw.jsonl: line 2: "), "{stderr}");
    assert!(stderr.contains("gw.jsonl: line 3: "), "{stderr}");
    assert!(stderr.contains("gw.jsonl: line 4: "), "{stderr}");
    assert!(
        stderr.contains("over the 4 KiB limit of --max-line-bytes"),
        "the cap is named: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("audit: 2 exchange(s) read"), "{stdout}");
    assert!(stdout.contains("3 input error(s)"), "{stdout}");

    // A HAR cut off in its third entry, and one without `log`.
    let har = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/har-1.2.schema.json"),
    )
    .map(|_| ())
    .ok();
    assert!(har.is_some());
    let mut w = opconform::audit::HarWriter::new(Vec::new(), "1").expect("writer");
    for i in 0..3 {
        let body = op(&format!("op_{i}"), "SUCCEEDED");
        let ex = opconform::model::Exchange {
            request: opconform::model::RecordedRequest {
                method: "GET".into(),
                url: format!("https://api.example/v1/operations/op_{i}"),
                headers: Vec::new(),
                body: None,
            },
            response: Some(opconform::model::RecordedResponse {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body_bytes: body.len() as u64,
                body_excerpt: body,
                body_truncated: false,
            }),
            error: None,
            elapsed_ms: 5,
            retries: 0,
            at_ms: 0,
        };
        w.entry(&ex, 1_767_000_000_000 + i * 1000, None)
            .expect("entry");
    }
    let full = String::from_utf8(w.finish().expect("finish")).expect("utf8");
    let cut = full.rfind("\"startedDateTime\"").expect("third entry") + 30;
    std::fs::write(dir.path().join("cut.har"), &full[..cut]).expect("write");
    std::fs::write(dir.path().join("nolog.har"), r#"{"entries": []}"#).expect("write");
    let out = opconform(dir.path())
        .args(["audit", "cut.har", "nolog.har"])
        .output()
        .expect("audit");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cut.har: log.entries[2]: "), "{stderr}");
    assert!(stderr.contains("nolog.har: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(text(&out.stdout).contains("audit: 2 exchange(s) read"));
}

#[test]
fn follow_prints_a_violation_while_the_file_grows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("live.jsonl");
    std::fs::write(&path, "").expect("create");
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("opconform"))
        .current_dir(dir.path())
        .args(["audit", "--follow", "live.jsonl", "--stop-after", "60"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let append = |line: String| {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("open");
        f.write_all((line + "\n").as_bytes()).expect("append");
    };
    // A done operation, then the same operation read RUNNING again.
    append(
        Line::new(
            0,
            "GET",
            "/operations/op_7",
            200,
            Some(op("op_7", "SUCCEEDED")),
        )
        .json(),
    );
    std::thread::sleep(Duration::from_millis(300));
    append(
        Line::new(
            2,
            "GET",
            "/operations/op_7",
            200,
            Some(op("op_7", "RUNNING")),
        )
        .json(),
    );
    let deadline = Instant::now() + Duration::from_secs(40);
    let violation = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) if l.starts_with("VIOLATION ") => break l,
            Ok(_) => {}
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("no violation line within 40 s");
            }
        }
    };
    // Printed while it still runs (it was told to follow for 60 s).
    let running = child.try_wait().expect("try_wait").is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert!(running, "the violation came only at the end");
    assert!(
        violation.contains("OP-DONE-TERMINAL") || violation.contains("OP-DONE-MONOTONIC"),
        "{violation}"
    );
    assert!(violation.contains("live.jsonl line 2"), "{violation}");
    assert!(violation.contains("GET /v1/operations/op_7"), "{violation}");
    assert!(!violation.contains("sk_akua_secret_token_1"), "{violation}");
}
