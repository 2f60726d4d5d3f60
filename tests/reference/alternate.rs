//! `Dialect::Alternate` over real HTTP: every documented alternative the
//! harness's lenient mode accepts (digest §4.1), one rule per test. The
//! client checks every error body against the `{"error": {...}}` envelope
//! and every Operation against S-OAS.

use std::time::Duration;

use opconform::reference::{ALPHA_TOKEN, BETA_TOKEN, BROAD_TOKEN, Dialect, ReferenceConfig, Tempo};
use reqwest::Method;
use serde_json::json;

use super::support::{Ref, error_name, id_of, world};

fn alternate() -> ReferenceConfig {
    world(Dialect::Alternate, Tempo::Frozen)
}

#[tokio::test]
async fn accepted_cancels_answer_200() {
    let r = Ref::start(alternate()).await;
    let first = r.fixture("running").await;
    let c = r.cancel(&first, &[("idempotency-key", "k1")]).await;
    assert_eq!(c.status, 200, "{}", c.text());
    assert_eq!(c.json()["id"], first.as_str());
    // A re-cancel while draining, and a replay with the same key.
    assert_eq!(r.cancel(&first, &[]).await.status, 200);
    let replay = r.cancel(&first, &[("idempotency-key", "k1")]).await;
    assert_eq!(replay.status, 200);
    assert_eq!(replay.bytes, c.bytes, "the first response, byte for byte");
    // A current If-Match.
    let other = r.fixture("running").await;
    let etag = r.get_op(&other).await.header("etag").expect("etag");
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    assert_eq!(r.cancel(&other, &[("if-match", &etag)]).await.status, 200);
    r.stop().await;
}

#[tokio::test]
async fn conflicts_use_409_412_and_422() {
    let r = Ref::start(alternate()).await;
    // Terminal: 409.
    let done = r.fixture("succeeded").await;
    let terminal = r.cancel(&done, &[]).await;
    assert_eq!(terminal.status, 409);
    assert_eq!(error_name(&terminal), "operation_done");
    // Stale If-Match on a done operation: the terminal conflict wins
    // (RFC 9110 §13.2.1).
    assert_eq!(
        r.cancel(&done, &[("if-match", "\"stale\"")]).await.status,
        409
    );
    // Stale If-Match on a RUNNING operation: 412, and no effect.
    let running = r.fixture("running").await;
    let stale = r.cancel(&running, &[("if-match", "\"stale\"")]).await;
    assert_eq!(stale.status, 412);
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(r.get_op(&running).await.json()["state"], "RUNNING");
    // The same key on another operation: 422.
    assert_eq!(
        r.cancel(&running, &[("idempotency-key", "shared")])
            .await
            .status,
        200
    );
    let elsewhere = r.fixture("running").await;
    let misuse = r.cancel(&elsewhere, &[("idempotency-key", "shared")]).await;
    assert_eq!(misuse.status, 422);
    assert_eq!(error_name(&misuse), "idempotency_key_reused");
    r.stop().await;
}

#[tokio::test]
async fn a_duplicate_still_in_flight_gets_409() {
    let r = Ref::start(ReferenceConfig {
        cancel_write_latency: Duration::from_millis(300),
        ..alternate()
    })
    .await;
    let id = r.fixture("running").await;
    let key = [("idempotency-key", "slow")];
    let (first, second) = tokio::join!(r.cancel(&id, &key), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        r.cancel(&id, &key).await
    });
    assert_eq!(first.status, 200);
    assert_eq!(second.status, 409);
    assert_eq!(error_name(&second), "idempotency_key_in_flight");
    r.stop().await;
}

#[tokio::test]
async fn bounds_violations_are_422() {
    let r = Ref::start(alternate()).await;
    let id = r.fixture("running").await;
    let long_id = format!("op_{}", "a".repeat(51));
    let cancel = format!("/v1/operations/{id}:cancel");
    let key65 = "k".repeat(65);
    let ctx54 = format!("ws_{}", "a".repeat(51));
    type Case<'a> = (Method, String, Vec<(&'a str, &'a str)>);
    let cases: Vec<Case> = vec![
        (Method::GET, format!("/v1/operations/{long_id}"), vec![]),
        (
            Method::POST,
            format!("/v1/operations/{long_id}:cancel"),
            vec![],
        ),
        (Method::POST, cancel.clone(), vec![("idempotency-key", "")]),
        (
            Method::POST,
            cancel.clone(),
            vec![("idempotency-key", &key65)],
        ),
        (Method::POST, cancel.clone(), vec![("if-match", "")]),
        (Method::POST, cancel.clone(), vec![("if-match", &key65)]),
        (Method::POST, cancel.clone(), vec![("akua-context", "")]),
        (Method::POST, cancel.clone(), vec![("akua-context", &ctx54)]),
        (
            Method::GET,
            format!("/v1/operations/{id}"),
            vec![("akua-context", &ctx54)],
        ),
    ];
    for (m, p, h) in &cases {
        let resp = r.send(m.clone(), p, Some(ALPHA_TOKEN), h, None).await;
        assert_eq!(resp.status, 422, "{m} {p} {h:?}: {}", resp.text());
    }
    for t in ["0", "61", "abc", "1.5", "-1", ""] {
        let p = format!("/v1/operations/{id}:wait?timeout={t}");
        assert_eq!(
            r.post(&p, ALPHA_TOKEN, &[]).await.status,
            422,
            "timeout={t}"
        );
    }
    // None of that cancelled anything.
    assert_eq!(r.get_op(&id).await.json()["state"], "RUNNING");
    r.stop().await;
}

#[tokio::test]
async fn another_workspaces_operation_is_403_and_an_unknown_one_404() {
    let r = Ref::start(alternate()).await;
    let id = r.fixture("running").await;
    for (m, p) in [
        (Method::GET, format!("/v1/operations/{id}")),
        (Method::POST, format!("/v1/operations/{id}:cancel")),
        (Method::POST, format!("/v1/operations/{id}:wait?timeout=1")),
    ] {
        let resp = r.send(m.clone(), &p, Some(BETA_TOKEN), &[], None).await;
        assert_eq!(resp.status, 403, "{m} {p}");
        assert_eq!(error_name(&resp), "permission_denied");
    }
    assert_eq!(r.get_op(&id).await.json()["state"], "RUNNING", "no effect");
    let unknown = r.get("/v1/operations/op_doesnotexist", BETA_TOKEN).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(error_name(&unknown), "not_found");
    r.stop().await;
}

#[tokio::test]
async fn only_a_literal_colon_routes_a_verb() {
    let r = Ref::start(alternate()).await;
    let id = r.fixture("running").await;
    // `op_x%3Acancel` names the resource `op_x:cancel`: POST is not one of
    // its methods, and GET finds no such operation.
    let encoded = format!("/v1/operations/{id}%3Acancel");
    let post = r.post(&encoded, ALPHA_TOKEN, &[]).await;
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow").as_deref(), Some("GET, HEAD"));
    assert_eq!(r.get(&encoded, ALPHA_TOKEN).await.status, 404);
    let wait = format!("/v1/operations/{id}%3await?timeout=1");
    assert_eq!(r.post(&wait, ALPHA_TOKEN, &[]).await.status, 405);
    assert_eq!(r.get_op(&id).await.json()["state"], "RUNNING", "no effect");
    // The literal colon works, also with an encoded id character.
    let literal = format!("/v1/operations/{}:cancel", id.replace('_', "%5F"));
    assert_eq!(r.post(&literal, ALPHA_TOKEN, &[]).await.status, 200);
    r.stop().await;
}

#[tokio::test]
async fn akua_context_is_ignored_for_workspace_tokens_but_selects_for_broad_ones() {
    let r = Ref::start(alternate()).await;
    let id = r.fixture("running").await;
    let get = format!("/v1/operations/{id}");
    // "a workspace-owned token implies its workspace"
    for ctx in ["ws_beta", "ws_alpha", "ws_nowhere"] {
        let resp = r
            .send(
                Method::GET,
                &get,
                Some(ALPHA_TOKEN),
                &[("akua-context", ctx)],
                None,
            )
            .await;
        assert_eq!(resp.status, 200, "{ctx}");
    }
    // Broad: no header → ws_alpha; ws_gamma selects gamma; ws_beta is not
    // covered → 404.
    assert_eq!(r.get(&get, BROAD_TOKEN).await.status, 200);
    let in_gamma = r
        .send(
            Method::GET,
            &get,
            Some(BROAD_TOKEN),
            &[("akua-context", "ws_gamma")],
            None,
        )
        .await;
    assert_eq!(in_gamma.status, 403, "the operation is ws_alpha's");
    let uncovered = r
        .send(
            Method::GET,
            &get,
            Some(BROAD_TOKEN),
            &[("akua-context", "ws_beta")],
            None,
        )
        .await;
    assert_eq!(uncovered.status, 404);
    r.stop().await;
}

#[tokio::test]
async fn there_is_no_list_endpoint() {
    let r = Ref::start(alternate()).await;
    r.fixture("running").await;
    for (m, p) in [
        (Method::GET, "/v1/operations"),
        (Method::GET, "/v1/operations?limit=1"),
        (Method::POST, "/v1/operations"),
    ] {
        let resp = r.send(m.clone(), p, Some(ALPHA_TOKEN), &[], None).await;
        assert_eq!(resp.status, 404, "{m} {p}");
        assert_eq!(error_name(&resp), "not_found");
        assert_eq!(
            resp.header("content-type").as_deref(),
            Some("application/json")
        );
    }
    r.stop().await;
}

#[tokio::test]
async fn succeeded_operations_carry_a_null_response() {
    let r = Ref::start(alternate()).await;
    let op = r
        .fixture_as(ALPHA_TOKEN, json!({"state": "succeeded"}))
        .await;
    assert_eq!(op["state"], "SUCCEEDED");
    assert!(op.get("response").is_some_and(serde_json::Value::is_null));
    let again = r.get_op(&id_of(&op)).await.json();
    assert!(again["response"].is_null());
    r.stop().await;
}

#[tokio::test]
async fn fixtures_refuse_retrying_naming_the_allowed_states() {
    let r = Ref::start(alternate()).await;
    let resp = r
        .send(
            Method::POST,
            "/__fixtures/operations",
            Some(ALPHA_TOKEN),
            &[],
            Some(r#"{"state":"retrying"}"#),
        )
        .await;
    assert_eq!(resp.status, 422);
    assert!(
        resp.text()
            .contains("allowed states: running, succeeded, failed, cancelled\""),
        "{}",
        resp.text()
    );
    for state in ["running", "succeeded", "failed", "cancelled"] {
        r.fixture(state).await;
    }
    r.stop().await;
}
