//! JSON Lines: the happy path, each kind of bad line, an over-long line,
//! and `--follow` over a file the test appends to while the tailer runs.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use opconform::audit::{self, AuditOptions, Input, TailOptions};
use opconform::contract::{Mode, Schemas};
use opconform::model::CaseOutcome;

use super::support::{Line, audit_paths, op, outcome};

#[test]
fn a_gateway_log_is_audited_line_by_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("gw.jsonl");
    let lines = [
        Line::new(
            0,
            "GET",
            "/operations/op_1",
            200,
            Some(op("op_1", "RUNNING")),
        ),
        Line::new(
            1,
            "POST",
            "/operations/op_1:cancel",
            202,
            Some(op("op_1", "RUNNING")),
        )
        .header("idempotency-key", "k"),
        Line::new(
            2,
            "POST",
            "/operations/op_1:cancel",
            202,
            Some(op("op_1", "RUNNING")),
        )
        .header("idempotency-key", "k"),
        Line::new(
            3,
            "GET",
            "/operations/op_1",
            200,
            Some(op("op_1", "CANCELLED")),
        ),
        Line::new(
            4,
            "GET",
            "/operations?limit=500",
            400,
            Some(r#"{"success":false,"errors":[{"code":3,"message":"limit"}],"result":{}}"#.into()),
        ),
    ];
    let text: String = lines.iter().map(|l| l.json() + "\n").collect();
    std::fs::write(&path, text).expect("write");
    let (report, violations) = audit_paths(&[&path], Mode::Strict);
    assert!(violations.is_empty(), "{violations:#?}");
    assert_eq!(report.stats.audited, 5);
    for id in [
        "CANCEL-REPLAY-IDEMPOTENT",
        "CANCEL-REPLAY-IDENTICAL",
        "CANCEL-SETTLES",
        "LIST-LIMIT-BOUNDS",
        "ERR-ENVELOPE",
    ] {
        assert_eq!(outcome(&report, id), &CaseOutcome::Passed, "{id}");
    }
    assert_eq!(report.exit_status().code(), 0);
}

#[test]
fn each_bad_line_is_named_by_file_and_line_and_the_rest_is_audited() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.jsonl");
    let good = Line::new(
        0,
        "GET",
        "/operations/op_1",
        200,
        Some(op("op_1", "RUNNING")),
    )
    .json();
    let truncated = &good[..good.len() / 2];
    let mut f = std::fs::File::create(&path).expect("create");
    writeln!(f, "{good}").expect("w");
    writeln!(f, "{truncated}").expect("w");
    writeln!(f, r#"{{"hello":"world"}}"#).expect("w");
    writeln!(
        f,
        r#"{{"time":"yesterday","method":"GET","url":"/v1/operations","status":200}}"#
    )
    .expect("w");
    // An over-long line, made on the fly: 16 MiB + 10 bytes, no newline
    // inside, then a good line after it.
    let long = vec![b'x'; 16 * 1024 * 1024 + 10];
    f.write_all(&long).expect("w");
    writeln!(f).expect("w");
    writeln!(f, "{good}").expect("w");
    write!(f, "{truncated}").expect("w");
    drop(f);
    let schemas = Schemas::bundled().expect("schemas");
    let mut errors = Vec::new();
    let report = audit::audit_files(
        &[Input {
            path: path.clone(),
            shown: "bad.jsonl".into(),
        }],
        &schemas,
        AuditOptions::default(),
        |_| {},
        |e| errors.push(e.to_string()),
    );
    let cut_at = truncated.len();
    assert_eq!(
        errors,
        [
            format!("bad.jsonl: line 2: not valid JSON (truncated?): EOF while parsing a string at column {cut_at}"),
            "bad.jsonl: line 3: not an exchange (schemas/exchange.schema.json): \"time\" is a required property".to_string(),
            "bad.jsonl: line 4: `time` \"yesterday\" is not an RFC 3339 date-time".to_string(),
            "bad.jsonl: line 5: the line is 16777226 bytes, over the 16 MiB limit of --max-line-bytes (skipped; raise the limit to read it)".to_string(),
            format!("bad.jsonl: line 7: not valid JSON (truncated?): EOF while parsing a string at column {cut_at}"),
        ]
    );
    assert_eq!(report.stats.audited, 2);
    assert_eq!(report.stats.input_errors, 5);
    assert_eq!(report.exit_status().code(), 2);
}

#[test]
fn follow_reports_violations_as_lines_are_appended_and_survives_rotation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("live.jsonl");
    let append = |line: &str| {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .expect("open");
        f.write_all(line.as_bytes()).expect("append");
    };
    append(
        &(Line::new(
            0,
            "GET",
            "/operations/op_1",
            200,
            Some(op("op_1", "SUCCEEDED")),
        )
        .json()
            + "\n"),
    );

    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let (notes_tx, notes_rx) = std::sync::mpsc::channel::<String>();
    let input = Input {
        path: path.clone(),
        shown: "live.jsonl".into(),
    };
    let tail = TailOptions {
        poll: Duration::from_millis(20),
        stop: stop.clone(),
        until: Some(Instant::now() + Duration::from_secs(60)),
        ..TailOptions::default()
    };
    let worker = std::thread::spawn(move || {
        let schemas = Schemas::bundled().expect("schemas");
        audit::follow(
            &input,
            &schemas,
            AuditOptions::default(),
            tail,
            |v| {
                let _ = tx.send(v.line());
            },
            |e| {
                let _ = tx.send(format!("error: {e}"));
            },
            |n| {
                let _ = notes_tx.send(n.to_string());
            },
        )
    });
    let next = |what: &str| {
        rx.recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("no report of {what} while following"))
    };

    // A done operation goes back to RUNNING: reported as it happens, one
    // line, even though nothing follows it (the file goes idle).
    let back = Line::new(
        1,
        "GET",
        "/operations/op_1",
        200,
        Some(op("op_1", "RUNNING")),
    )
    .json();
    // Written in two parts: a partial line is held until its newline.
    let (a, b) = back.split_at(back.len() / 2);
    append(a);
    std::thread::sleep(Duration::from_millis(100));
    append(&format!("{b}\n"));
    let line = next("OP-DONE-MONOTONIC");
    assert!(
        line.contains(" OP-DONE-MONOTONIC live.jsonl line 2 "),
        "{line}"
    );
    assert!(!line.contains('\n'));
    append("{\"oops\n");
    assert_eq!(
        next("a bad line"),
        "error: live.jsonl: line 3: not valid JSON (truncated?): EOF while parsing a string at column 6"
    );

    // Rotation: the file is moved away and a new one starts.
    std::fs::rename(&path, dir.path().join("live.jsonl.1")).expect("rotate");
    append(
        &(Line::new(
            5,
            "POST",
            "/operations/op_2:cancel",
            202,
            Some(op("op_2", "RUNNING")),
        )
        .header("idempotency-key", &"k".repeat(65))
        .json()
            + "\n"),
    );
    let line = next("CANCEL-KEY-BOUNDS after rotation");
    assert!(
        line.contains(" CANCEL-KEY-BOUNDS live.jsonl line 1 "),
        "{line}"
    );
    assert!(
        notes_rx
            .recv_timeout(Duration::from_secs(5))
            .expect("note")
            .contains("replaced (rotated)")
    );

    // Truncation: the file is emptied and written again.
    std::fs::write(&path, "").expect("truncate");
    std::thread::sleep(Duration::from_millis(100));
    append(
        &(Line::new(
            6,
            "GET",
            "/operations?limit=0",
            200,
            Some(r#"{"data":[],"has_more":false,"next_cursor":null}"#.into()),
        )
        .json()
            + "\n"),
    );
    let line = next("LIST-LIMIT-BOUNDS after truncation");
    assert!(
        line.contains(" LIST-LIMIT-BOUNDS live.jsonl line 1 "),
        "{line}"
    );

    stop.store(true, Ordering::Relaxed);
    let report = worker.join().expect("joins").expect("follows");
    assert_eq!(report.stats.input_errors, 1);
    let mut failed_ids: Vec<&str> = report.result.failed_invariants().collect();
    failed_ids.sort_unstable();
    assert_eq!(
        failed_ids,
        [
            "CANCEL-KEY-BOUNDS",
            "LIST-LIMIT-BOUNDS",
            "OP-DONE-MONOTONIC"
        ]
    );
    assert_eq!(report.exit_status().code(), 1);
}

#[test]
fn follow_stops_at_its_deadline_on_a_quiet_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("quiet.jsonl");
    std::fs::write(&path, "").expect("write");
    let started = Instant::now();
    let tail = TailOptions {
        poll: Duration::from_millis(10),
        until: Some(Instant::now() + Duration::from_millis(300)),
        ..TailOptions::default()
    };
    let schemas = Schemas::bundled().expect("schemas");
    let report = audit::follow(
        &Input::new(&path),
        &schemas,
        AuditOptions::default(),
        tail,
        |_| {},
        |_| {},
        |_| {},
    )
    .expect("follows");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(report.stats.exchanges, 0);
    // Nothing verified.
    assert_eq!(report.exit_status().code(), 4);
    let missing = audit::follow(
        &Input::new(dir.path().join("none.jsonl")),
        &schemas,
        AuditOptions::default(),
        TailOptions::default(),
        |_| {},
        |_| {},
        |_| {},
    );
    assert!(
        missing
            .expect_err("no file")
            .to_string()
            .contains("none.jsonl: cannot open: ")
    );
}
