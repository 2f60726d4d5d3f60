//! The audit engine: our own run's traffic audits clean; traffic built by
//! hand shows each request-set and history violation with its evidence;
//! memory stays bounded.

use std::io::Write;

use opconform::audit::{self, AuditOptions, Auditor, Input};
use opconform::contract::{Mode, Schemas};
use opconform::model::CaseOutcome;
use opconform::reference::{self, ReferenceConfig};
use opconform::{Suite, TargetSpec};

use super::support::{Line, audit_paths, failed, op, outcome};

fn write_lines(dir: &std::path::Path, name: &str, lines: &[Line]) -> std::path::PathBuf {
    let path = dir.join(name);
    let mut f = std::fs::File::create(&path).expect("create");
    for l in lines {
        writeln!(f, "{}", l.json()).expect("write");
    }
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_own_run_written_as_har_audits_clean_in_both_modes() {
    let config = ReferenceConfig {
        step_length: reference::EMBEDDED_STEP_LENGTH,
        ..ReferenceConfig::default()
    };
    let result = Suite::bundled()
        .expect("bundled cases load")
        .strict(true)
        .target(TargetSpec::reference(config))
        .run()
        .await
        .expect("the suite runs");
    assert!(result.passed(), "{}", Suite::explain(&result));
    let har = audit::har_of_run(&result);
    assert!(!har.contains("sk_akua_test"), "a token reached the HAR");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("run.har");
    std::fs::write(&path, &har).expect("write");
    for mode in [Mode::Strict, Mode::Lenient] {
        let (report, violations) = audit_paths(&[&path], mode);
        let shown: Vec<String> = violations.iter().map(|v| v.line()).collect();
        assert!(violations.is_empty(), "{mode:?}: {shown:#?}");
        assert_eq!(report.stats.input_errors, 0);
        assert!(report.stats.audited > 200, "{:?}", report.stats);
        assert!(report.result.passed(), "{mode:?}");
        assert_eq!(report.exit_status().code(), 0);
        // What the run's traffic shows, the audit saw hold.
        for id in [
            "OP-SCHEMA-REQUIRED",
            "OP-DONE-TERMINAL",
            "ERR-ENVELOPE",
            "OP-IMMUTABLE-DONE",
            "CANCEL-202-ENVELOPE",
            "CANCEL-REPLAY-IDEMPOTENT",
            "CANCEL-KEY-MISUSE",
            "CANCEL-TERMINAL-422",
            "CANCEL-KEY-BOUNDS",
            "REQ-ID-BOUNDS",
            "WAIT-TIMEOUT-REJECT",
            "LIST-LIMIT-BOUNDS",
            "LIST-OWNER-PAIR",
        ] {
            assert_eq!(outcome(&report, id), &CaseOutcome::Passed, "{mode:?} {id}");
        }
        // What it cannot show is listed, never passed.
        for id in ["AUTH-401", "CANCEL-NOT-FOUND", "LIST-WORKSPACE-SCOPE"] {
            match outcome(&report, id) {
                CaseOutcome::Skipped { reason } => {
                    assert!(
                        reason.starts_with("not observable in traffic: "),
                        "{reason}"
                    )
                }
                other => panic!("{id}: {other:?}"),
            }
        }
        let json = serde_json::to_string(&report.result).expect("serializes");
        assert!(!json.contains("sk_akua_test"), "a token reached the report");
    }
}

#[test]
fn replays_keys_and_refusals_are_judged_across_exchanges() {
    let dir = tempfile::tempdir().expect("tempdir");
    let running = |id| Some(op(id, "RUNNING"));
    let lines = vec![
        // A key answered 202, replayed with another body (strict), then
        // reused on another operation and answered 202.
        Line::new(0, "POST", "/operations/op_a:cancel", 202, running("op_a"))
            .header("idempotency-key", "k1"),
        Line::new(
            2,
            "POST",
            "/operations/op_a:cancel",
            202,
            Some(op("op_a", "CANCELLED")),
        )
        .header("idempotency-key", "k1"),
        Line::new(3, "POST", "/operations/op_b:cancel", 202, running("op_b"))
            .header("idempotency-key", "k1"),
        // A replay after settling answered 422.
        Line::new(
            4,
            "POST",
            "/operations/op_a:cancel",
            422,
            Some(r#"{"error":{"code":"x","message":"done"}}"#.into()),
        )
        .header("idempotency-key", "k1"),
        // op_c: seen RUNNING, a stale If-Match refused, then CANCELLED
        // with no accepted cancel in between.
        Line::new(5, "GET", "/operations/op_c", 200, running("op_c")),
        Line::new(
            6,
            "POST",
            "/operations/op_c:cancel",
            409,
            Some(r#"{"error":{"code":"aborted","message":"stale"}}"#.into()),
        )
        .header("if-match", "\"old\""),
        Line::new(
            8,
            "GET",
            "/operations/op_c",
            200,
            Some(op("op_c", "CANCELLED")),
        ),
        // op_d: seen done, then a fresh cancel answered 202.
        Line::new(
            9,
            "GET",
            "/operations/op_d",
            200,
            Some(op("op_d", "SUCCEEDED")),
        ),
        Line::new(
            10,
            "POST",
            "/operations/op_d:cancel",
            202,
            Some(op("op_d", "SUCCEEDED")),
        ),
        // op_d goes back to RUNNING.
        Line::new(11, "GET", "/operations/op_d", 200, running("op_d")),
        // A 65-character key accepted.
        Line::new(12, "POST", "/operations/op_e:cancel", 202, running("op_e"))
            .header("idempotency-key", &"k".repeat(65)),
    ];
    let path = write_lines(dir.path(), "g.jsonl", &lines);
    let (report, violations) = audit_paths(&[&path], Mode::Strict);
    assert_eq!(
        failed(&violations),
        [
            "CANCEL-IFMATCH-STALE",
            "CANCEL-KEY-BOUNDS",
            "CANCEL-KEY-MISUSE",
            "CANCEL-REPLAY-IDEMPOTENT",
            "CANCEL-REPLAY-IDENTICAL",
            "CANCEL-TERMINAL-422",
            "OP-DONE-MONOTONIC",
        ],
        "{:#?}",
        violations.iter().map(|v| v.line()).collect::<Vec<_>>()
    );
    assert_eq!(report.exit_status().code(), 1);
    // Every finding points at the exchanges that show it.
    let misuse = violations
        .iter()
        .find(|v| v.invariant == "CANCEL-KEY-MISUSE")
        .expect("misuse");
    let line = misuse.line();
    assert!(
        line.starts_with("2025-12-29T09:20:03.000Z CANCEL-KEY-MISUSE g.jsonl line 3 (2025-12-29T09:20:03.000Z) POST /v1/operations/op_b:cancel -> 202: "),
        "{line}"
    );
    assert!(line.contains("(earlier: g.jsonl line 1 (2025-12-29T09:20:00.000Z) POST /v1/operations/op_a:cancel -> 202)"), "{line}");
    let stale = violations
        .iter()
        .find(|v| v.invariant == "CANCEL-IFMATCH-STALE")
        .expect("stale");
    let at: Vec<String> = stale
        .evidence
        .iter()
        .map(|e| e.source().to_string())
        .collect();
    assert_eq!(at, ["g.jsonl line 6", "g.jsonl line 7"]);
    // Tokens never reach findings or reports.
    let json = serde_json::to_string(&report.result).expect("json");
    assert!(!json.contains("sk_akua_secret"));
    assert!(
        violations
            .iter()
            .all(|v| !format!("{v:?}").contains("sk_akua_secret"))
    );
    // In lenient mode the byte-for-byte replay rule is strict-only.
    let (report, violations) = audit_paths(&[&path], Mode::Lenient);
    assert!(!failed(&violations).contains(&"CANCEL-REPLAY-IDENTICAL".to_string()));
    assert!(matches!(
        outcome(&report, "CANCEL-REPLAY-IDENTICAL"),
        CaseOutcome::Skipped { .. }
    ));
}

#[test]
fn a_long_wait_recorded_first_is_judged_after_the_reads_that_ended_during_it() {
    // HAR order is request order: the :wait started first but answered
    // last. Judged in start order, its done:true would come before the
    // RUNNING reads (a false OP-DONE-MONOTONIC).
    let dir = tempfile::tempdir().expect("tempdir");
    let lines = vec![
        Line::new(
            0,
            "POST",
            "/operations/op_w:wait?timeout=10",
            200,
            Some(op("op_w", "SUCCEEDED")),
        )
        .took(9_000),
        Line::new(
            1,
            "GET",
            "/operations/op_w",
            200,
            Some(op("op_w", "RUNNING")),
        ),
        Line::new(
            5,
            "GET",
            "/operations/op_w",
            200,
            Some(op("op_w", "RUNNING")),
        ),
        Line::new(
            12,
            "GET",
            "/operations/op_w",
            200,
            Some(op("op_w", "SUCCEEDED")),
        ),
        // A :wait that answered done:false long before its timeout.
        Line::new(
            13,
            "POST",
            "/operations/op_x:wait?timeout=20",
            200,
            Some(op("op_x", "RUNNING")),
        )
        .took(300),
    ];
    let path = write_lines(dir.path(), "w.jsonl", &lines);
    let (_, violations) = audit_paths(&[&path], Mode::Lenient);
    assert_eq!(failed(&violations), ["WAIT-HOLDS"], "{violations:#?}");
}

#[test]
fn follows_operations_in_bounded_memory() {
    let schemas = Schemas::bundled().expect("schemas");
    let options = AuditOptions {
        max_operations: 100,
        retention: std::time::Duration::from_secs(5),
        ..AuditOptions::default()
    };
    let mut auditor = Auditor::new(&schemas, options);
    let parser = audit::LineParser::new().expect("parser");
    let file: std::sync::Arc<str> = "m.jsonl".into();
    let mut peak = 0;
    for i in 0..3_000u64 {
        // Half finish (dropped after the retention), half stay RUNNING
        // forever (dropped beyond the cap, least recently seen first).
        let id = format!("op_{i}");
        let state = if i % 2 == 0 { "SUCCEEDED" } else { "RUNNING" };
        let line = Line::new(
            i,
            "GET",
            &format!("/operations/{id}"),
            200,
            Some(op(&id, state)),
        )
        .json();
        let record = parser.parse(&file, i + 1, line.as_bytes()).expect("record");
        assert!(auditor.push(record).is_empty());
        peak = peak.max(auditor.operations_followed());
    }
    assert!(peak <= 101, "{peak} operations followed at once");
    let (report, late) = auditor.finish(audit::AuditMeta {
        inputs: vec!["m.jsonl".into()],
        started_at: "2026-01-01T00:00:00Z".into(),
        duration_ms: 0,
    });
    assert!(late.is_empty());
    assert_eq!(report.stats.operations, 3_000);
    assert!(report.result.passed());
}

#[test]
fn recordings_without_bodies_or_headers_are_not_failed_for_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bare.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"time":"2026-01-01T00:00:00Z","method":"GET","url":"/v1/operations/op_1","status":200}"#,
            "\n",
            r#"{"time":"2026-01-01T00:00:01Z","method":"GET","url":"/v1/operations","status":200,"response_body":"{\"data\":[],\"has_more\":false,\"next_cursor\":null}"}"#,
            "\n",
            r#"{"time":"2026-01-01T00:00:02Z","method":"GET","url":"/elsewhere","status":500}"#,
            "\n",
        ),
    )
    .expect("write");
    let (report, violations) = audit_paths(&[&path], Mode::Strict);
    assert!(violations.is_empty(), "{violations:#?}");
    assert_eq!(report.stats.audited, 2);
    assert_eq!(report.stats.ignored, 1);
    assert_eq!(report.stats.bodies_not_recorded, 1);
    assert_eq!(report.stats.headers_not_recorded, 2);
    assert_eq!(outcome(&report, "LIST-SHAPE"), &CaseOutcome::Passed);
    // HTTP-JSON-CONTENT-TYPE needs headers: shown by none of these.
    assert!(matches!(
        outcome(&report, "HTTP-JSON-CONTENT-TYPE"),
        CaseOutcome::Skipped { .. }
    ));
}

#[test]
fn input_errors_count_and_the_rest_is_audited() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = Line::new(
        0,
        "GET",
        "/operations/op_1",
        200,
        Some(op("op_1", "RUNNING")),
    )
    .json();
    let path = dir.path().join("mixed.jsonl");
    std::fs::write(&path, format!("{good}\nnot json\n{good}\n")).expect("write");
    let missing = dir.path().join("missing.har");
    let inputs = [Input::new(&path), Input::new(&missing)];
    let schemas = Schemas::bundled().expect("schemas");
    let mut errors = Vec::new();
    let report = audit::audit_files(
        &inputs,
        &schemas,
        AuditOptions::default(),
        |_| {},
        |e| errors.push(e.to_string()),
    );
    assert_eq!(report.stats.input_errors, 2);
    assert_eq!(report.stats.audited, 2);
    assert!(
        errors[0].ends_with("mixed.jsonl: line 2: not valid JSON: expected ident at column 2"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].contains("missing.har: cannot open: "),
        "{}",
        errors[1]
    );
    // Bad input is exit 2 when nothing failed.
    assert_eq!(report.exit_status().code(), 2);
    assert!(report.result.cases.iter().any(|c| c.name == "audit::input"));
}

#[test]
fn done_operations_are_dropped_after_the_retention_period() {
    // No cap in the way: only the retention bounds what is followed.
    let schemas = Schemas::bundled().expect("schemas");
    let options = AuditOptions {
        retention: std::time::Duration::from_secs(5),
        ..AuditOptions::default()
    };
    let mut auditor = Auditor::new(&schemas, options);
    let parser = audit::LineParser::new().expect("parser");
    let file: std::sync::Arc<str> = "r.jsonl".into();
    let mut peak = 0;
    for i in 0..2_000u64 {
        // One operation a second, each read done (twice, once done).
        let id = format!("op_{i}");
        for (n, at) in [(2 * i + 1, i), (2 * i + 2, i)] {
            let line = Line::new(
                at,
                "GET",
                &format!("/operations/{id}"),
                200,
                Some(op(&id, "SUCCEEDED")),
            )
            .json();
            let record = parser.parse(&file, n, line.as_bytes()).expect("record");
            assert!(auditor.push(record).is_empty());
        }
        peak = peak.max(auditor.operations_followed());
    }
    // 5 s of recording time, swept at least every 1.25 s, plus the reorder
    // window's lag: a handful, never thousands.
    assert!(peak <= 12, "{peak} operations followed at once");
    let (report, _) = auditor.finish(audit::AuditMeta {
        inputs: vec!["r.jsonl".into()],
        started_at: "2026-01-01T00:00:00Z".into(),
        duration_ms: 0,
    });
    assert_eq!(report.stats.operations, 2_000);
    assert_eq!(report.stats.dropped_early, 0, "the cap was not needed");
    assert!(report.result.passed());
}

#[test]
fn the_parallel_pipeline_judges_in_input_order_as_one_thread_does() {
    // Many batches (256 records each) of reads where order matters: an
    // operation read done and then, on some, read running again
    // (OP-DONE-MONOTONIC), with lines that are not exchanges in between.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::new();
    for i in 0..1_500u64 {
        let id = format!("op_{i}");
        let path = format!("/operations/{id}");
        let mut lines = vec![
            Line::new(i, "GET", &path, 200, Some(op(&id, "RUNNING"))),
            Line::new(i + 1, "GET", &path, 200, Some(op(&id, "CANCELLED"))),
        ];
        if i % 97 == 0 {
            lines.push(Line::new(
                i + 2,
                "GET",
                &path,
                200,
                Some(op(&id, "RUNNING")),
            ));
        }
        for l in lines {
            text.push_str(&l.json());
            text.push('\n');
        }
        if i % 211 == 0 {
            text.push_str("{\"not\": \"an exchange\"}\n");
        }
    }
    let path = dir.path().join("ordered.jsonl");
    std::fs::write(&path, &text).expect("write");
    let (report, violations) = audit_paths(&[&path], Mode::Lenient);

    // The same records, read and judged on one thread.
    let schemas = Schemas::bundled().expect("schemas");
    let mut auditor = Auditor::new(&schemas, AuditOptions::default());
    let parser = std::sync::Arc::new(audit::LineParser::new().expect("parser"));
    let reader = audit::JsonlReader::new(
        std::io::BufReader::new(std::fs::File::open(&path).expect("open")),
        "ordered.jsonl".into(),
        parser,
    );
    let mut one_thread = Vec::new();
    for item in reader {
        match item.and_then(audit::Cut::parse) {
            Ok(record) => one_thread.extend(auditor.push(record)),
            Err(e) => auditor.input_error(e),
        }
    }
    let (expected, late) = auditor.finish(audit::AuditMeta {
        inputs: vec!["ordered.jsonl".into()],
        started_at: String::new(),
        duration_ms: 0,
    });
    one_thread.extend(late);

    let shown = |v: &[audit::Violation]| -> Vec<String> { v.iter().map(|v| v.line()).collect() };
    assert_eq!(shown(&violations), shown(&one_thread));
    assert_eq!(failed(&violations), ["OP-DONE-MONOTONIC"]);
    assert_eq!(violations.len(), 16, "{:#?}", shown(&violations));
    assert_eq!(report.stats.audited, expected.stats.audited);
    assert_eq!(report.stats.audited, 2 * 1_500 + 16);
    assert_eq!(report.stats.input_errors, 8);
    let outcomes = |r: &audit::AuditReport| -> Vec<(String, String)> {
        r.result
            .cases
            .iter()
            .map(|c| (c.name.clone(), format!("{:?}", c.outcome)))
            .collect()
    };
    assert_eq!(outcomes(&report), outcomes(&expected));
}
