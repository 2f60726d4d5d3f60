//! A fixed, rich [`RunResult`] for report tests, snapshots and the README
//! screenshot. Not part of the supported API.
//!
//! It covers every case outcome across three case files: passed, failed (with
//! exchanges and failing checks), skipped, inconclusive, flaky, waived and
//! not run. Times and versions are fixed so snapshots are stable.

use crate::contract::id;
use crate::model::{
    CaseOutcome, CaseResult, CheckResult, Exchange, RecordedRequest, RecordedResponse, RunResult,
    StepResult, TargetInfo, Verdict,
};
use crate::vocab::Mode;

const BASE: &str = "https://staging.akua.example/v1";

fn auth_headers(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut headers = vec![
        ("authorization".to_string(), "Bearer [REDACTED]".to_string()),
        ("accept".to_string(), "application/json".to_string()),
    ];
    headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    headers
}

fn request(
    method: &str,
    path: &str,
    extra: &[(&str, &str)],
    body: Option<&str>,
) -> RecordedRequest {
    RecordedRequest {
        method: method.to_string(),
        url: format!("{BASE}{path}"),
        headers: auth_headers(extra),
        body: body.map(str::to_string),
    }
}

fn json_response(status: u16, body: &str) -> RecordedResponse {
    RecordedResponse {
        status,
        headers: vec![
            ("content-type".to_string(), "application/json".to_string()),
            ("etag".to_string(), "\"WzQ1Njc=\"".to_string()),
        ],
        body_excerpt: body.to_string(),
        body_truncated: false,
        body_bytes: body.len() as u64,
    }
}

fn exchange(request: RecordedRequest, response: RecordedResponse, elapsed_ms: u64) -> Exchange {
    Exchange {
        request,
        response: Some(response),
        error: None,
        elapsed_ms,
        retries: 0,
        at_ms: 0,
    }
}

/// A `POST` to `path` with an `Idempotency-Key`, answered with `response`.
fn keyed_post(path: &str, key: &str, response: RecordedResponse, elapsed_ms: u64) -> Exchange {
    let request = request("POST", path, &[("idempotency-key", key)], None);
    exchange(request, response, elapsed_ms)
}

/// A passed check of exchange `ex`.
fn pass(invariant: &str, expected: &str, actual: &str, ex: usize) -> CheckResult {
    check(invariant, Verdict::Pass, expected, actual, ex)
}

fn check(
    invariant: &str,
    verdict: Verdict,
    expected: &str,
    actual: &str,
    ex: usize,
) -> CheckResult {
    CheckResult {
        invariant: invariant.to_string(),
        verdict,
        expected: expected.to_string(),
        actual: actual.to_string(),
        exchange: Some(ex),
        elapsed_ms: None,
        kind: Default::default(),
    }
}

fn operation(id: &str, state: &str, done: bool) -> String {
    let completed = if done { "1767225660" } else { "null" };
    let error = if state == "CANCELLED" || state == "FAILED" {
        r#"{"message":"cancelled by request"}"#
    } else {
        "null"
    };
    format!(
        r#"{{"id":"{id}","done":{done},"state":"{state}","metadata":{{"type":"install.deploy"}},"owner_type":"install","owner_id":"ins_7f3a","started_at":1767225600,"completed_at":{completed},"error":{error},"response":null,"last_error":null,"html_url":"https://app.akua.example/ops/{id}"}}"#
    )
}

fn case(
    name: &str,
    file: &str,
    description: Option<&str>,
    invariants: &[&str],
    outcome: CaseOutcome,
    attempts: u32,
    steps: Vec<StepResult>,
) -> CaseResult {
    let duration_ms = steps.iter().map(|s| s.duration_ms).sum::<u64>() * u64::from(attempts);
    CaseResult {
        name: name.to_string(),
        file: file.to_string(),
        description: description.map(str::to_string),
        invariants: invariants.iter().map(|s| s.to_string()).collect(),
        outcome,
        attempts,
        steps,
        other_attempts: Vec::new(),
        duration_ms,
    }
}

/// A run against a staging target with one case of every outcome, spread over
/// `cases/cancel.toml`, `cases/wait.toml` and `cases/list.toml`.
pub fn sample_result() -> RunResult {
    let running = operation("op_j572abc123def456", "RUNNING", false);
    let cancelled_bad = operation("op_j572abc123def456", "CANCELLED", false);
    let done = operation("op_k9x1done0000001", "SUCCEEDED", true);

    let cases = vec![
        case(
            "cancel::cancel_running_returns_202",
            "cases/cancel.toml",
            Some("cancel on a RUNNING operation is accepted with 202"),
            &[id::CANCEL_202_ENVELOPE, id::CANCEL_ASYNC],
            CaseOutcome::Passed,
            1,
            vec![StepResult {
                name: "cancel".to_string(),
                exchanges: vec![keyed_post(
                    "/operations/op_j572abc123def456:cancel",
                    "opconform-1f2e",
                    json_response(202, &running),
                    41,
                )],
                checks: vec![
                    pass(id::CANCEL_202_ENVELOPE, "status in [202]", "status 202", 0),
                    pass(
                        id::CANCEL_ASYNC,
                        "a valid Operation",
                        "a valid Operation",
                        0,
                    ),
                    pass(
                        id::OP_SCHEMA_REQUIRED,
                        "all required keys",
                        "all required keys",
                        0,
                    ),
                    check(
                        id::OP_ETAG_HEADER,
                        Verdict::Skip,
                        "a quoted ETag header",
                        "strict-only: run with --strict to check",
                        0,
                    ),
                ],
                duration_ms: 43,
            }],
        ),
        case(
            "cancel::cancel_done_is_rejected",
            "cases/cancel.toml",
            Some("cancel on a done operation is rejected with 422 and changes nothing"),
            &[id::CANCEL_TERMINAL_422, id::CANCEL_NO_SIDE_EFFECT_ON_DONE],
            CaseOutcome::Failed,
            2,
            vec![
                StepResult {
                    name: "cancel the finished operation".to_string(),
                    exchanges: vec![exchange(
                        request(
                            "POST",
                            "/operations/op_k9x1done0000001%3Acancel",
                            &[
                                ("idempotency-key", "opconform-77aa"),
                                ("if-match", "\"WzQ1Njc=\""),
                            ],
                            Some("{}"),
                        ),
                        json_response(200, &done),
                        87,
                    )],
                    checks: vec![
                        check(
                            id::CANCEL_TERMINAL_422,
                            Verdict::Fail,
                            "status in [422]",
                            "status 200",
                            0,
                        ),
                        pass(
                            id::OP_SCHEMA_REQUIRED,
                            "all required keys",
                            "all required keys",
                            0,
                        ),
                    ],
                    duration_ms: 90,
                },
                StepResult {
                    name: "read it back".to_string(),
                    exchanges: vec![exchange(
                        request("GET", "/operations/op_k9x1done0000001", &[], None),
                        json_response(200, &cancelled_bad),
                        23,
                    )],
                    checks: vec![
                        check(
                            id::CANCEL_NO_SIDE_EFFECT_ON_DONE,
                            Verdict::Fail,
                            "state \"SUCCEEDED\"\ndone true\ncompleted_at 1767225660",
                            "state \"CANCELLED\"\ndone false\ncompleted_at null",
                            0,
                        ),
                        check(
                            id::OP_DONE_TERMINAL,
                            Verdict::Fail,
                            "done true when state is terminal",
                            "done is false but state is \"CANCELLED\"",
                            0,
                        ),
                    ],
                    duration_ms: 25,
                },
            ],
        ),
        case(
            "cancel::replay_same_key[encoded]",
            "cases/cancel.toml",
            Some("a replay with the same Idempotency-Key returns the first response"),
            &[id::CANCEL_REPLAY_IDEMPOTENT, id::PATH_COLON_ENCODING],
            CaseOutcome::Flaky,
            2,
            vec![StepResult {
                name: "replay".to_string(),
                exchanges: vec![
                    keyed_post(
                        "/operations/op_j572abc123def456%3Acancel",
                        "opconform-replay",
                        json_response(202, &running),
                        35,
                    ),
                    keyed_post(
                        "/operations/op_j572abc123def456%3Acancel",
                        "opconform-replay",
                        json_response(202, &running),
                        31,
                    ),
                ],
                checks: vec![
                    pass(id::PATH_COLON_ENCODING, "status in [202]", "status 202", 0),
                    pass(
                        id::CANCEL_REPLAY_IDEMPOTENT,
                        "same status and body as the first response",
                        "same status and body",
                        1,
                    ),
                ],
                duration_ms: 70,
            }],
        ),
        case(
            "cancel::if_match_stale",
            "cases/cancel.toml",
            None,
            &[id::CANCEL_IFMATCH_STALE],
            CaseOutcome::Skipped {
                reason: "target sends no ETag, so no stale If-Match can be built".to_string(),
            },
            0,
            Vec::new(),
        ),
        case(
            "wait::wait_wakes_on_done",
            "cases/wait.toml",
            Some("a :wait returns soon after the operation becomes done"),
            &[id::WAIT_WAKES],
            CaseOutcome::Failed,
            2,
            vec![StepResult {
                name: "wait while a cancel settles".to_string(),
                exchanges: vec![exchange(
                    request(
                        "POST",
                        "/operations/op_j572abc123def456:wait?timeout=10",
                        &[],
                        None,
                    ),
                    json_response(200, &operation("op_j572abc123def456", "CANCELLED", true)),
                    9_912,
                )],
                checks: vec![
                    CheckResult {
                        invariant: id::WAIT_WAKES.to_string(),
                        verdict: Verdict::Fail,
                        expected: "returns within 2000 ms of the operation becoming done"
                            .to_string(),
                        actual: "returned after 9912 ms; done at 1204 ms".to_string(),
                        exchange: Some(0),
                        elapsed_ms: Some(9_912),
                        kind: Default::default(),
                    },
                    pass(id::WAIT_200_ALWAYS, "status in [200]", "status 200", 0),
                ],
                duration_ms: 9_930,
            }],
        ),
        case(
            "wait::wait_holds_timeout",
            "cases/wait.toml",
            None,
            &[id::WAIT_HOLDS],
            CaseOutcome::Inconclusive {
                reason:
                    "the fixture operation finished by itself before the wait began (3 attempts)"
                        .to_string(),
            },
            3,
            Vec::new(),
        ),
        case(
            "list::paging_complete",
            "cases/list.toml",
            Some("following cursors yields every item once"),
            &[id::LIST_PAGING_COMPLETE, id::LIST_CURSOR_END],
            CaseOutcome::Passed,
            1,
            vec![StepResult {
                name: "page through".to_string(),
                exchanges: vec![
                    exchange(
                        request("GET", "/operations?limit=1", &[], None),
                        json_response(
                            200,
                            &format!(
                                r#"{{"data":[{running}],"has_more":true,"next_cursor":"c1"}}"#
                            ),
                        ),
                        18,
                    ),
                    exchange(
                        request("GET", "/operations?limit=1&cursor=c1", &[], None),
                        json_response(
                            200,
                            &format!(r#"{{"data":[{done}],"has_more":false,"next_cursor":null}}"#),
                        ),
                        16,
                    ),
                ],
                checks: vec![
                    pass(
                        id::LIST_CURSOR_END,
                        "next_cursor non-null while has_more",
                        "next_cursor \"c1\"",
                        0,
                    ),
                    pass(
                        id::LIST_CURSOR_END,
                        "next_cursor null when has_more is false",
                        "next_cursor null",
                        1,
                    ),
                    pass(
                        id::LIST_PAGING_COMPLETE,
                        "2 distinct items",
                        "2 distinct items",
                        1,
                    ),
                ],
                duration_ms: 36,
            }],
        ),
        case(
            "list::owner_filter",
            "cases/list.toml",
            None,
            &[id::LIST_OWNER_FILTER],
            CaseOutcome::Waived {
                reason: "AKUA-1234 owner_id filter ignored until 2026-09-30".to_string(),
            },
            2,
            vec![StepResult {
                name: "filter by owner".to_string(),
                exchanges: vec![exchange(
                    request(
                        "GET",
                        "/operations?owner_type=install&owner_id=ins_other",
                        &[],
                        None,
                    ),
                    json_response(
                        200,
                        &format!(r#"{{"data":[{running}],"has_more":false,"next_cursor":null}}"#),
                    ),
                    20,
                )],
                checks: vec![check(
                    id::LIST_OWNER_FILTER,
                    Verdict::Fail,
                    "every item has owner_id \"ins_other\"",
                    "data[0].owner_id is \"ins_7f3a\"",
                    0,
                )],
                duration_ms: 21,
            }],
        ),
        case(
            "list::workspace_scope",
            "cases/list.toml",
            None,
            &[id::LIST_WORKSPACE_SCOPE],
            CaseOutcome::NotRun {
                reason: "run deadline (120 s) passed".to_string(),
            },
            0,
            Vec::new(),
        ),
    ];

    let ids = crate::contract::ids();
    let invariants = RunResult::totals(&cases, &ids);
    RunResult {
        tool_version: "0.1.0".to_string(),
        catalogue_version: "0.1.0".to_string(),
        target: TargetInfo {
            base_url: BASE.to_string(),
            embedded: false,
            faults: Vec::new(),
        },
        mode: Mode::Lenient,
        started_at: "2026-03-01T12:00:00Z".to_string(),
        duration_ms: 10_412,
        cases,
        invariants,
        timelines: Vec::new(),
    }
}
