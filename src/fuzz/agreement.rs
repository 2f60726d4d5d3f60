//! One judge, two drivers: a generated request with a generated response,
//! judged once by the fuzzer (oracle + `judge_status` + `judge_body`, as a
//! session does) and once by the runner (the case file the fuzzer emits for
//! that request, loaded by the case loader, its step judged by
//! `run::judge_response`, as a run does). The verdicts must be identical:
//! whether the status is accepted, and which body and response rules fail.
//!
//! One scoping difference is left out of the comparison on purpose: the
//! fuzzer judges LIST-NEWEST-FIRST only on its own owner-filtered pages
//! (other writers' operations mix into an unfiltered page), a choice of
//! which evidence counts, not of how it is judged.

use crate::contract::id;
use std::collections::BTreeSet;
use std::path::Path;

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::contract::{Mode, Schemas};
use crate::model::Verdict;
use crate::run::{Credentials, Renderer, StepJudge, Vars, build_request};
use crate::target::{RawResponse, Sent};

use super::executor::{Executor, Fixture, Observed};
use super::input::{FuzzRequest, IdSpec, Verb};
use super::oracle::{Expectation, InputClass, OracleEnv, expect};
use super::property::{judge_body, judge_status};
use super::strategies::{OWNER_PLACEHOLDER, StrategyOptions, request};
use crate::target::Target;

const BASE: &str = "http://127.0.0.1:9/v1";
const FIXTURE: &str = "op_fixture0001";
const ETAG: &str = "\"v1\"";
const OWNER: &str = "inst_0123456789abcdef0123456789abcdef";

/// A generated response: status, content type, Allow and ETag headers and
/// one of several bodies (valid and broken Operations, both error
/// envelopes, a list page, text, nothing).
fn response() -> impl Strategy<Value = (u16, bool, bool, u8)> {
    (
        prop::sample::select(vec![
            200u16, 202, 400, 401, 403, 404, 405, 409, 412, 422, 429, 500, 503,
        ]),
        any::<bool>(),
        any::<bool>(),
        0u8..8,
    )
}

fn body(kind: u8) -> Vec<u8> {
    let mut op = crate::contract::samples::running();
    op["id"] = json!(FIXTURE);
    let text = match kind {
        0 => op.to_string(),
        1 => {
            let mut broken = op;
            broken.as_object_mut().map(|o| o.remove("done"));
            broken.to_string()
        }
        2 => {
            op["state"] = json!("CANCELLED");
            op.to_string()
        }
        3 => json!({"success": false, "errors": [{"code": 7002, "message": "no"}], "result": {}})
            .to_string(),
        4 => json!({"error": {"code": "not_found", "message": "no"}}).to_string(),
        5 => {
            op.as_object_mut().map(|o| o.remove("steps"));
            json!({"data": [op], "has_more": false, "next_cursor": null}).to_string()
        }
        6 => "<html>oops</html>".to_string(),
        _ => String::new(),
    };
    text.into_bytes()
}

fn executor() -> Executor {
    Executor::new(
        Target {
            token: Some("sk_test".into()),
            context: Some("ws_alpha".into()),
            fixtures_url: Some("http://127.0.0.1:9/__fixtures/operations".into()),
            ..Target::at(BASE)
        },
        std::time::Duration::from_secs(5),
    )
    .expect("an executor needs no network")
}

/// The oracle's expectation of `req` on the fixture, whose ETag is known
/// and whose keys are all fresh.
fn expectation(req: &FuzzRequest, mode: Mode) -> Expectation {
    let env = OracleEnv {
        mode,
        etag_known: true,
        key_seen: false,
    };
    expect(req, &env)
}

/// What one driver concluded: was the status accepted, and which body and
/// response rules failed.
#[derive(Debug, PartialEq, Eq)]
struct Verdicts {
    status_ok: bool,
    failed: BTreeSet<String>,
}

fn fuzzer_verdict(
    exec: &Executor,
    schemas: &Schemas,
    mode: Mode,
    req: &FuzzRequest,
    seen: &Observed,
) -> Verdicts {
    let fixture = Fixture {
        id: FIXTURE.into(),
        etag: Some(ETAG.into()),
    };
    let prepared = exec.render(req, Some(&fixture));
    let exp = expectation(req, mode);
    let status = judge_status(&exp, seen, mode);
    let mut failed = BTreeSet::new();
    if seen.status.is_some_and(|s| (200..500).contains(&s)) {
        let lean = Executor::for_checks(&prepared, seen);
        for v in judge_body(schemas, mode, exec.endpoint_of(&prepared), seen, &lean) {
            failed.insert(v.invariant);
        }
    }
    Verdicts {
        status_ok: status.is_empty(),
        failed,
    }
}

/// The runner's verdict on the same exchange, through the case file the
/// fuzzer emits for `req`. `None` when the runner would not send it.
fn runner_verdict(
    exec: &Executor,
    schemas: &Schemas,
    mode: Mode,
    req: &FuzzRequest,
    seen: &Observed,
) -> Option<Verdicts> {
    let exp = expectation(req, mode);
    let text = super::emit_case::stateless(req, &exp, exec, 1, 1, "agreement", &[]);
    let loaded = crate::case::load::load_bytes(
        Path::new("agreement.toml"),
        text.as_bytes(),
        crate::contract::catalogue(),
    )
    .unwrap_or_else(|e| panic!("the emitted case loads: {e:?}\n{text}"));
    let planned = crate::case::plan(&[loaded]);
    let case = &planned.first()?.case;
    let step = case
        .steps
        .iter()
        .find(|s| s.name.as_deref() == Some("the generated request"))?;
    let mut vars = Vars {
        uuid: "00000000-0000-4000-8000-000000000000".into(),
        run_id: "run".into(),
        settle_secs: 1,
        ..Vars::default()
    };
    vars.fixtures.insert(
        "op".into(),
        crate::run::FixtureVars::new(FIXTURE, "RUNNING"),
    );
    vars.capture.insert("etag".into(), ETAG.into());
    vars.owner = case.owner.map(|_| crate::run::OwnerVars {
        owner_type: "install".into(),
        id: OWNER.into(),
    });
    let creds = Credentials {
        token: Some("sk_test".into()),
        ..Credentials::default()
    };
    let renderer = Renderer::new();
    let built = build_request(
        &renderer,
        &step.request,
        &vars,
        BASE,
        &creds,
        std::time::Duration::from_secs(5),
    )
    .ok()?;
    let raw = RawResponse {
        status: seen.status?,
        headers: seen.headers.clone(),
        body: seen.body.clone(),
    };
    let sent = Sent {
        exchange: crate::model::Exchange {
            request: crate::model::RecordedRequest {
                method: built.outgoing.method.clone(),
                url: built.outgoing.url.clone(),
                headers: Vec::new(),
                body: None,
            },
            response: Some(crate::model::RecordedResponse {
                status: raw.status,
                headers: raw.headers.clone(),
                body_excerpt: String::new(),
                body_truncated: false,
                body_bytes: raw.body.len() as u64,
            }),
            error: None,
            elapsed_ms: 0,
            retries: 0,
            at_ms: 0,
        },
        response: Some(raw),
    };
    let judge = StepJudge {
        schemas,
        mode,
        renderer: &renderer,
        vars: &vars,
    };
    let step_inv = case.invariants.first().cloned().unwrap_or_default();
    let checks =
        crate::run::judge_response(&judge, step, built.route.endpoint, &sent, 0, &step_inv);
    let status_ok = checks
        .iter()
        .filter(|c| c.kind == crate::model::CheckKind::Status)
        .all(|c| c.verdict != Verdict::Fail);
    let failed = checks
        .iter()
        .filter(|c| c.kind != crate::model::CheckKind::Status && c.verdict == Verdict::Fail)
        .map(|c| c.invariant.clone())
        .collect();
    Some(Verdicts { status_ok, failed })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 400,
        failure_persistence: None,
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_runner_and_the_fuzzer_reach_the_same_verdict(
        req in request(StrategyOptions { fixtures: true, list: true }),
        (status, json_type, allow, kind) in response(),
        strict in any::<bool>(),
    ) {
        let mode = if strict { Mode::Strict } else { Mode::Lenient };
        // Requests the fuzzer would not send, or that a case file cannot
        // express (a duplicated header), have no verdict to compare.
        let exp = expect(&req, &OracleEnv { mode, etag_known: true, key_seen: false });
        prop_assume!(exp.class != InputClass::Unsendable && req.duplicate.is_none());
        prop_assume!(!matches!(req.id, IdSpec::RawSegment(_)) || req.verb == Verb::List);
        prop_assume!(req.query.iter().all(|(_, v)| v == OWNER_PLACEHOLDER || !v.contains('{')));
        let exec = executor();
        let schemas = Schemas::bundled().expect("bundled schemas");
        let mut headers = vec![(
            "content-type".to_string(),
            if json_type { "application/json" } else { "text/plain" }.to_string(),
        )];
        if allow {
            headers.push(("allow".into(), "GET".into()));
        }
        headers.push(("etag".into(), ETAG.into()));
        let seen = Observed {
            status: Some(status),
            headers,
            body: body(kind),
            error: None,
            timed_out: false,
            elapsed: std::time::Duration::ZERO,
        };
        let Some(runner) = runner_verdict(&exec, &schemas, mode, &req, &seen) else {
            // The runner's guard refused to send it: so does the fuzzer's.
            let prepared = exec.render(&req, Some(&Fixture { id: FIXTURE.into(), etag: Some(ETAG.into()) }));
            prop_assert!(!exec.may_send(&req, &prepared) || Executor::unsendable(&prepared), "{req:?}");
            return Ok(());
        };
        let mut fuzzer = fuzzer_verdict(&exec, &schemas, mode, &req, &seen);
        let mut runner = runner;
        for v in [&mut fuzzer, &mut runner] {
            v.failed.remove(id::LIST_NEWEST_FIRST);
        }
        prop_assert_eq!(fuzzer, runner, "request {:?}, status {}, body kind {}", req, status, kind);
    }
}

#[test]
fn the_agreement_test_sees_disagreement() {
    // A judge that differs must make the property fail: the same exchange,
    // judged in lenient mode by one driver and strict by the other.
    let exec = executor();
    let schemas = Schemas::bundled().expect("bundled schemas");
    let mut req = FuzzRequest::plain(Verb::Wait, super::input::Slot::Succeeded);
    req.colon_encoded = true;
    let seen = Observed {
        status: Some(405),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("allow".into(), "GET".into()),
        ],
        body: body(4),
        error: None,
        timed_out: false,
        elapsed: std::time::Duration::ZERO,
    };
    let lenient = fuzzer_verdict(&exec, &schemas, Mode::Lenient, &req, &seen);
    let strict = runner_verdict(&exec, &schemas, Mode::Strict, &req, &seen).expect("sent");
    assert!(
        lenient.status_ok,
        "lenient takes an undecoded %3A: {lenient:?}"
    );
    assert!(!strict.status_ok, "strict does not: {strict:?}");
    assert_ne!(lenient, strict);
    let _: Value = serde_json::from_slice(&body(0)).expect("valid JSON");
}
