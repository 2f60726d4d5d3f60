//! Every rule of issue 2, over real HTTP against a loopback reference.

use std::time::{Duration, Instant};

use opconform::reference::{ALPHA_TOKEN, BETA_TOKEN, ReferenceConfig};
use reqwest::Method;
use serde_json::{Value, json};

use super::support::{Kind, Ref, config, error_code, id_of, violations};

const LONG_53: &str = "op_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn s(n: usize) -> String {
    "k".repeat(n)
}

#[tokio::test]
async fn auth_missing_malformed_or_unknown_is_401_on_every_endpoint() {
    let r = Ref::start(config()).await;
    let id = r.fixture("running").await;
    let paths = [
        (Method::GET, "/v1/operations".to_string()),
        (Method::GET, format!("/v1/operations/{id}")),
        (Method::POST, format!("/v1/operations/{id}:cancel")),
        (Method::POST, format!("/v1/operations/{id}:wait?timeout=1")),
        (Method::POST, "/__fixtures/operations".to_string()),
    ];
    for (m, p) in &paths {
        let none = r.send(m.clone(), p, None, &[], None).await;
        assert_eq!(none.status, 401, "{m} {p} without a token");
        assert_eq!(none.header("www-authenticate").as_deref(), Some("Bearer"));
        assert_eq!(error_code(&none), 1001);
        for bad in [
            "Token sk_akua_test_alpha",
            "sk_akua_test_alpha",
            "Bearer sk_nope",
            "Bearer",
        ] {
            let resp = r
                .send(m.clone(), p, None, &[("authorization", bad)], None)
                .await;
            assert_eq!(resp.status, 401, "{m} {p} with {bad:?}");
        }
    }
    // Nothing above cancelled the operation.
    assert_eq!(r.get_op(&id).await.json()["state"], "RUNNING");
    r.stop().await;
}

#[tokio::test]
async fn foreign_workspace_operations_are_404_and_untouched() {
    let r = Ref::start(config()).await;
    let id = r.fixture("running").await;
    let before = r.get_op(&id).await;
    let get = r.get(&format!("/v1/operations/{id}"), BETA_TOKEN).await;
    assert_eq!(get.status, 404);
    let cancel = r
        .post(&format!("/v1/operations/{id}:cancel"), BETA_TOKEN, &[])
        .await;
    assert_eq!(cancel.status, 404);
    let wait = r
        .post(
            &format!("/v1/operations/{id}:wait?timeout=1"),
            BETA_TOKEN,
            &[],
        )
        .await;
    assert_eq!(wait.status, 404);
    // Same answer as an unknown id: existence does not leak.
    let unknown = r.get("/v1/operations/op_doesnotexist", BETA_TOKEN).await;
    assert_eq!(error_code(&get), error_code(&unknown));
    // Had the foreign cancel been applied, the operation would settle within
    // a step; a 1 s wait (20 steps) returns at once when it is done.
    let held = r.wait(&id, 1).await;
    assert_eq!(held.json()["done"], false, "{}", held.text());
    let after = r.get_op(&id).await;
    assert_eq!(after.json()["state"], "RUNNING");
    assert_eq!(before.header("etag"), after.header("etag"), "no effect");
    let list = r.get("/v1/operations?limit=100", BETA_TOKEN).await.json();
    assert!(
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["id"] != id.as_str())
    );
    r.stop().await;
}

#[tokio::test]
async fn akua_context_of_a_foreign_workspace_is_403() {
    let r = Ref::start(config()).await;
    let id = r.fixture("running").await;
    let ctx_own = [("akua-context", "ws_alpha")];
    let ctx_foreign = [("akua-context", "ws_beta")];
    let get_path = format!("/v1/operations/{id}");
    let own = r
        .send(Method::GET, &get_path, Some(ALPHA_TOKEN), &ctx_own, None)
        .await;
    assert_eq!(own.status, 200);
    for (m, p) in [
        (Method::GET, get_path.clone()),
        (Method::GET, "/v1/operations".to_string()),
        (Method::POST, format!("/v1/operations/{id}:cancel")),
        (Method::POST, format!("/v1/operations/{id}:wait?timeout=1")),
    ] {
        let resp = r
            .send(m.clone(), &p, Some(ALPHA_TOKEN), &ctx_foreign, None)
            .await;
        assert_eq!(resp.status, 403, "{m} {p}");
        assert_eq!(error_code(&resp), 1003);
    }
    assert_eq!(
        r.get_op(&id).await.json()["state"],
        "RUNNING",
        "403 had no effect"
    );
    // 403 takes precedence over 404 for an unknown id.
    let unknown = r
        .send(
            Method::GET,
            "/v1/operations/op_nope",
            Some(ALPHA_TOKEN),
            &ctx_foreign,
            None,
        )
        .await;
    assert_eq!(unknown.status, 403);
    r.stop().await;
}

#[tokio::test]
async fn every_length_bound_is_enforced_with_400() {
    let r = Ref::start(config()).await;
    let id = r.fixture("running").await;
    // id: 53 is in bounds (unknown → 404), 54 is out (400).
    assert_eq!(r.get_op(LONG_53).await.status, 404);
    let long54 = format!("{LONG_53}a");
    for path in [
        format!("/v1/operations/{long54}"),
        format!("/v1/operations/{long54}:cancel"),
        format!("/v1/operations/{long54}:wait?timeout=1"),
        "/v1/operations/:cancel".to_string(),
    ] {
        let m = if path.contains(':') {
            Method::POST
        } else {
            Method::GET
        };
        let resp = r.send(m, &path, Some(ALPHA_TOKEN), &[], None).await;
        assert_eq!(resp.status, 400, "{path}");
        assert_eq!(error_code(&resp), 2001);
    }
    let get_path = format!("/v1/operations/{id}");
    let ctx54 = format!("ws_{}", "a".repeat(51));
    for ctx in ["", ctx54.as_str()] {
        let resp = r
            .send(
                Method::GET,
                &get_path,
                Some(ALPHA_TOKEN),
                &[("akua-context", ctx)],
                None,
            )
            .await;
        assert_eq!(resp.status, 400, "akua-context of {} chars", ctx.len());
        assert_eq!(error_code(&resp), 2002);
    }
    for (name, code) in [("idempotency-key", 2003), ("if-match", 2004)] {
        for bad in [String::new(), s(65)] {
            let resp = r.cancel(&id, &[(name, &bad)]).await;
            assert_eq!(resp.status, 400, "{name} of {} chars", bad.len());
            assert_eq!(error_code(&resp), code);
            assert_eq!(resp.json()["errors"][0]["path"], json!(["header", name]));
        }
    }
    assert_eq!(
        r.get_op(&id).await.json()["state"],
        "RUNNING",
        "400s had no effect"
    );
    // 64 characters are in bounds.
    let key64 = s(64);
    assert_eq!(
        r.cancel(&id, &[("idempotency-key", &key64)]).await.status,
        202
    );
    let etag = r.get_op(&id).await.header("etag").unwrap();
    let padded = format!("{etag}, \"{}\"", "x".repeat(60 - etag.len()));
    assert!(padded.len() <= 64);
    assert_eq!(r.cancel(&id, &[("if-match", &padded)]).await.status, 202);
    r.stop().await;
}

#[tokio::test]
async fn cancel_running_is_202_then_settles_cancelled() {
    let r = Ref::start(config()).await;
    let id = r.fixture("running").await;
    let resp = r.cancel(&id, &[]).await;
    assert_eq!(resp.status, 202);
    let body = resp.json();
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["state"], "RUNNING", "the worker drains the step first");
    assert_eq!(body["done"], false);
    assert_eq!(body["error"], Value::Null);
    let done = r
        .poll_until(&id, Duration::from_secs(2), |o| o["done"] == true)
        .await;
    assert_eq!(done["state"], "CANCELLED");
    assert!(done["error"]["message"].is_string());
    assert!(done["completed_at"].as_u64().unwrap() >= done["started_at"].as_u64().unwrap());
    assert!(
        done["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] != "running")
    );
    // Done operations are immutable and reject cancel with 422, no change.
    let before = r.get_op(&id).await;
    let rejected = r.cancel(&id, &[]).await;
    assert_eq!(rejected.status, 422);
    assert_eq!(error_code(&rejected), 4001);
    // Nothing may change, now or a few steps later. A "nothing happens"
    // check can only watch for a while; a slow machine makes the watch
    // longer, it cannot make the check fail.
    tokio::time::sleep(Duration::from_millis(120)).await;
    let after = r.get_op(&id).await;
    assert_eq!(before.bytes, after.bytes);
    assert_eq!(before.header("etag"), after.header("etag"));
    r.stop().await;
}

#[tokio::test]
async fn cancel_of_every_terminal_fixture_is_422_and_changes_nothing() {
    let r = Ref::start(config()).await;
    for state in ["succeeded", "failed", "cancelled"] {
        let id = r.fixture(state).await;
        let before = r.get_op(&id).await;
        let b = before.json();
        assert_eq!(b["done"], true);
        assert_eq!(b["state"], state.to_uppercase());
        assert_eq!(b["error"].is_null(), state == "succeeded");
        assert_eq!(b["response"].is_null(), state != "succeeded");
        let resp = r.cancel(&id, &[("idempotency-key", state)]).await;
        assert_eq!(resp.status, 422, "{state}");
        // Replaying the same key returns the same 422 byte for byte.
        let again = r.cancel(&id, &[("idempotency-key", state)]).await;
        assert_eq!((again.status, &again.bytes), (422, &resp.bytes));
        assert_eq!(r.get_op(&id).await.bytes, before.bytes, "{state} unchanged");
    }
    r.stop().await;
}

#[tokio::test]
async fn a_second_cancel_while_cancelling_is_202_without_a_second_transition() {
    // The three cancels must land while the first drains (one step): a 2 s
    // step is room for a loaded machine; the test waits for the settle,
    // so it is no slower than the step.
    let step = Duration::from_secs(2);
    let cfg = ReferenceConfig {
        step_length: step,
        ..config()
    };
    let r = Ref::start(cfg).await;
    let id = r.fixture("running").await;
    let first = r.cancel(&id, &[]).await;
    let second = r.cancel(&id, &[("idempotency-key", "other")]).await;
    let third = r.cancel(&id, &[]).await;
    assert_eq!((first.status, second.status, third.status), (202, 202, 202));
    assert_eq!(
        first.header("etag"),
        second.header("etag"),
        "no new revision"
    );
    assert_eq!(first.bytes, third.bytes);
    let done = r.poll_until(&id, step * 5, |o| o["done"] == true).await;
    let cancels = done["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == "cancel")
        .count();
    assert_eq!(cancels, 1);
    r.stop().await;
}

#[tokio::test]
async fn etag_and_if_match_follow_rfc_9110_with_akuas_409() {
    let cfg = ReferenceConfig {
        step_length: Duration::from_millis(300),
        ..config()
    };
    let r = Ref::start(cfg).await;
    let id = r.fixture("running").await;
    let etag = r.get_op(&id).await.header("etag").unwrap();
    let bare = etag.trim_matches('"').to_string();
    // Stale, weak, and unrelated tags: 409, no effect.
    for stale in [
        "\"WzQ1Njc=\"",
        "WzQ1Njc=",
        &format!("W/{etag}"),
        "\"a\", \"b\"",
    ] {
        let resp = r.cancel(&id, &[("if-match", stale)]).await;
        assert_eq!(resp.status, 409, "If-Match {stale}");
        assert_eq!(error_code(&resp), 3003);
    }
    let unchanged = r.get_op(&id).await;
    assert_eq!(unchanged.header("etag").as_deref(), Some(etag.as_str()));
    assert_eq!(unchanged.json()["steps"].as_array().unwrap().len(), 2);
    // The current tag, in each accepted spelling, is accepted.
    for (i, current) in [
        etag.clone(),
        bare.clone(),
        format!("\"x\", {etag}"),
        "*".to_string(),
    ]
    .iter()
    .enumerate()
    {
        let id = if i == 0 {
            id.clone()
        } else {
            r.fixture("running").await
        };
        let etag_now = r.get_op(&id).await.header("etag").unwrap();
        let value = current
            .replace(&etag, &etag_now)
            .replace(&bare, etag_now.trim_matches('"'));
        let resp = r.cancel(&id, &[("if-match", &value)]).await;
        assert_eq!(resp.status, 202, "If-Match {value}");
        assert_ne!(
            resp.header("etag").as_deref(),
            Some(etag_now.as_str()),
            "revision moved"
        );
    }
    // Precedence: 401, 404 and 422 beat a stale If-Match.
    let stale = [("if-match", "\"stale\"")];
    let p = format!("/v1/operations/{id}:cancel");
    assert_eq!(
        r.send(Method::POST, &p, None, &stale, None).await.status,
        401
    );
    assert_eq!(r.post(&p, BETA_TOKEN, &stale).await.status, 404);
    let done = r.fixture("succeeded").await;
    assert_eq!(r.cancel(&done, &stale).await.status, 422);
    let ctx = [("if-match", "\"stale\""), ("akua-context", "ws_beta")];
    assert_eq!(r.cancel(&id, &ctx).await.status, 403);
    // GET, wait and fixture answers carry the ETag too (checked in support).
    assert!(r.wait(&done, 1).await.header("etag").is_some());
    r.stop().await;
}

#[tokio::test]
async fn idempotency_replay_is_byte_identical_and_keys_are_bound_to_one_operation() {
    let r = Ref::start(config()).await;
    let a = r.fixture("running").await;
    let b = r.fixture("running").await;
    let key = [("idempotency-key", "cancel-a-1")];
    let first = r.cancel(&a, &key).await;
    assert_eq!(first.status, 202);
    r.poll_until(&a, Duration::from_secs(2), |o| o["done"] == true)
        .await;
    // After settling, the replay is still the first 202, byte for byte.
    let replay = r.cancel(&a, &key).await;
    assert_eq!(replay.status, 202);
    assert_eq!(replay.bytes, first.bytes);
    assert_eq!(replay.header("etag"), first.header("etag"));
    // A bare-id replay, or the key as an RFC 8941 String, is the same request.
    let bare = a.trim_start_matches("op_");
    assert_eq!(r.cancel(bare, &key).await.bytes, first.bytes);
    let quoted = r.cancel(&a, &[("idempotency-key", "\"cancel-a-1\"")]).await;
    assert_eq!(quoted.bytes, first.bytes);
    // The same key on another operation: 409, and b is untouched.
    let misuse = r.cancel(&b, &key).await;
    assert_eq!(misuse.status, 409);
    assert_eq!(error_code(&misuse), 3001);
    assert_eq!(
        r.get_op(&b).await.json()["steps"].as_array().unwrap().len(),
        2
    );
    // Keys are scoped per workspace: beta may use the same key.
    let beta_op = id_of(&r.fixture_as(BETA_TOKEN, json!({"state": "running"})).await);
    let beta = r
        .post(
            &format!("/v1/operations/{beta_op}:cancel"),
            BETA_TOKEN,
            &key,
        )
        .await;
    assert_eq!(beta.status, 202);
    // Cancel without a key is fine.
    assert_eq!(r.cancel(&b, &[]).await.status, 202);
    r.stop().await;
}

#[tokio::test]
async fn the_same_key_with_another_if_match_is_another_request() {
    // The IETF draft: reusing a key "with a different request payload" is
    // an error; the request here differs in its If-Match.
    let r = Ref::start(config()).await;
    let id = r.fixture("running").await;
    let etag = r.get_op(&id).await.header("etag").expect("an ETag");
    let first = r
        .cancel(&id, &[("idempotency-key", "im-1"), ("if-match", &etag)])
        .await;
    assert_eq!(first.status, 202);
    for other in [vec![("if-match", "*")], vec![]] {
        let mut headers = vec![("idempotency-key", "im-1")];
        headers.extend(other);
        let misuse = r.cancel(&id, &headers).await;
        assert_eq!(misuse.status, 409, "{headers:?}");
        assert_eq!(error_code(&misuse), 3001);
    }
    // The same request again (surrounding spaces aside) is a replay.
    let padded = format!(" {etag} ");
    let replay = r
        .cancel(&id, &[("idempotency-key", "im-1"), ("if-match", &padded)])
        .await;
    assert_eq!(replay.bytes, first.bytes);
    r.stop().await;
}

#[tokio::test]
async fn a_duplicate_still_in_flight_gets_409() {
    let cfg = ReferenceConfig {
        cancel_write_latency: Duration::from_secs(1),
        ..config()
    };
    let r = Ref::start(cfg).await;
    let id = r.fixture("running").await;
    let key = [("idempotency-key", "slow")];
    // Both at once: whichever the server takes first holds the key for the
    // 1 s write, and the other arrives while it is in flight. Which one
    // wins is up to the scheduler, so the test does not assume it.
    let (a, b) = tokio::join!(r.cancel(&id, &key), r.cancel(&id, &key));
    let (first, second) = if a.status == 202 { (a, b) } else { (b, a) };
    assert_eq!(first.status, 202);
    assert_eq!(second.status, 409);
    assert_eq!(error_code(&second), 3002);
    let replay = r.cancel(&id, &key).await;
    assert_eq!(replay.bytes, first.bytes);
    r.stop().await;
}

#[tokio::test]
async fn two_hundred_concurrent_cancels_with_one_key_make_one_transition() {
    let cfg = ReferenceConfig {
        step_length: Duration::from_secs(5),
        ..config()
    };
    let r = Ref::start(cfg).await;
    let id = r.fixture("running").await;
    let before = r.get_op(&id).await.header("etag");
    let key = [("idempotency-key", "storm")];
    let all = futures_join_all((0..200).map(|_| r.cancel(&id, &key))).await;
    let accepted: Vec<_> = all.iter().filter(|x| x.status == 202).collect();
    assert!(!accepted.is_empty());
    for resp in &all {
        assert!(
            resp.status == 202 || resp.status == 409,
            "status {}",
            resp.status
        );
        if resp.status == 202 {
            assert_eq!(resp.bytes, accepted[0].bytes, "replays are byte-identical");
        } else {
            assert_eq!(error_code(resp), 3002);
        }
    }
    let op = r.get_op(&id).await;
    let cancels = op.json()["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == "cancel")
        .count();
    assert_eq!(cancels, 1, "exactly one transition");
    assert_ne!(op.header("etag"), before);
    r.stop().await;
}

/// `join_all` without the futures crate: spawn-free, polls all in one task.
async fn futures_join_all<F: std::future::Future>(futs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futs.map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, slot) in pinned.iter_mut().zip(out.iter_mut()) {
            if slot.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter()
        .map(|o| o.expect("every future finished"))
        .collect()
}

#[tokio::test]
async fn the_key_store_is_bounded_by_capacity_and_ttl() {
    let cfg = ReferenceConfig {
        idempotency_capacity: 2,
        // Long enough that "still remembered" below is not a race on a
        // loaded machine; the expiry is waited for, not slept for.
        idempotency_ttl: Duration::from_secs(2),
        step_length: Duration::from_secs(30), // operations stay cancelling
        ..config()
    };
    let r = Ref::start(cfg).await;
    let ops = [
        r.fixture("running").await,
        r.fixture("running").await,
        r.fixture("running").await,
        r.fixture("running").await,
    ];
    let mut k3_sent = Instant::now();
    for (op, key) in ops.iter().zip(["k1", "k2", "k3"]) {
        k3_sent = Instant::now();
        assert_eq!(r.cancel(op, &[("idempotency-key", key)]).await.status, 202);
    }
    // k1 was evicted by capacity: it is free for another operation.
    assert_eq!(
        r.cancel(&ops[3], &[("idempotency-key", "k1")]).await.status,
        202
    );
    // k3 is still remembered...
    assert_eq!(
        r.cancel(&ops[3], &[("idempotency-key", "k3")]).await.status,
        409
    );
    // ...until its TTL passes, and not before.
    let freed = crate::support::poll_until(
        Duration::from_secs(20),
        || async { r.cancel(&ops[3], &[("idempotency-key", "k3")]).await.status },
        |status| *status != 409,
    )
    .await;
    assert_eq!(freed, Ok(202));
    assert!(
        k3_sent.elapsed() >= Duration::from_secs(2),
        "k3 was forgotten {:?} after it was sent, before its 2 s TTL",
        k3_sent.elapsed()
    );
    r.stop().await;
}

#[tokio::test]
async fn retrying_sets_then_clears_last_error_then_succeeds() {
    // last_error is set for one step only: the step is long so that polling
    // every few ms cannot miss it on a loaded machine.
    let step = Duration::from_millis(400);
    let cfg = ReferenceConfig {
        step_length: step,
        ..config()
    };
    let r = Ref::start(cfg).await;
    let id = r.fixture("retrying").await;
    let failed = r
        .poll_until(&id, step * 10, |o| !o["last_error"].is_null())
        .await;
    assert_eq!(failed["state"], "RUNNING");
    assert_eq!(failed["last_error"]["step_name"], "apply");
    assert!(failed["last_error"]["message"].is_string());
    assert!(
        failed["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["status"] == "failed"
                && s["retryable"] == true
                && s["error_message"].is_string())
    );
    let cleared = r
        .poll_until(&id, step * 10, |o| o["last_error"].is_null())
        .await;
    assert_eq!(cleared["state"], "RUNNING");
    let done = r.poll_until(&id, step * 10, |o| o["done"] == true).await;
    assert_eq!(done["state"], "SUCCEEDED");
    assert!(done["last_error"].is_null() && done["error"].is_null());
    assert_eq!(done["response"]["type"], done["metadata"]["type"]);
    for t in [&done["started_at"], &done["completed_at"]] {
        let secs = t.as_u64().unwrap();
        assert!(
            secs > 1_600_000_000 && secs < 100_000_000_000,
            "Unix seconds: {secs}"
        );
    }
    r.stop().await;
}

#[tokio::test]
async fn running_fixtures_stay_running() {
    let r = Ref::start(ReferenceConfig {
        step_length: Duration::from_millis(5),
        ..config()
    })
    .await;
    let id = r.fixture("running").await;
    tokio::time::sleep(Duration::from_millis(200)).await; // 40 steps
    let op = r.get_op(&id).await.json();
    assert_eq!(
        (op["state"].as_str(), op["done"].as_bool()),
        (Some("RUNNING"), Some(false))
    );
    r.stop().await;
}

#[tokio::test]
async fn wait_wakes_on_the_terminal_transition() {
    // D-WAIT: "fires within milliseconds" of the transition. A server that
    // polls on its step grid is up to a step late, one that does not wake
    // answers at the 10 s timeout: half a step tells them apart and leaves
    // a loaded machine room.
    let step = Duration::from_millis(500);
    let on_time = step / 2;
    let r = Ref::start(ReferenceConfig {
        step_length: step,
        ..config()
    })
    .await;
    // Retrying succeeds exactly 3 steps after creation.
    let sent = Instant::now();
    let id = r.fixture("retrying").await;
    let created = Instant::now();
    let resp = r.wait(&id, 10).await;
    let back = Instant::now();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["state"], "SUCCEEDED");
    assert!(back >= sent + step * 3, "woke before the transition");
    let late = back.saturating_duration_since(created + step * 3);
    assert!(late < on_time, "woke {late:?} after the transition");

    // A cancel accepted during the wait moves the transition; it still wakes.
    let id = r.fixture("running").await;
    let (waited, cancelled_at) = tokio::join!(r.wait(&id, 10), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let c = r.cancel(&id, &[]).await;
        assert_eq!(c.status, 202);
        Instant::now()
    });
    let op = waited.json();
    assert_eq!(op["state"], "CANCELLED");
    let after_cancel = Instant::now().saturating_duration_since(cancelled_at);
    // The cancel settles at the next step boundary, at most a step away.
    assert!(after_cancel < step + on_time, "{after_cancel:?}");
    r.stop().await;
}

#[tokio::test]
async fn wait_holds_for_the_timeout_and_returns_at_once_when_done() {
    let r = Ref::start(config()).await;
    let id = r.fixture("running").await;
    let held = r.wait(&id, 1).await;
    assert_eq!(held.status, 200);
    assert_eq!(held.json()["done"], false);
    // At least the timeout (a held answer cannot come earlier), and not the
    // 30 s default: the bound only needs to tell 1 s from 30 s.
    assert!(
        held.elapsed >= Duration::from_secs(1) && held.elapsed < Duration::from_secs(10),
        "{:?}",
        held.elapsed
    );
    let done = r.fixture("failed").await;
    let quick = r.wait(&done, 30).await;
    assert_eq!(quick.json()["state"], "FAILED");
    // At once, not after a hold: 20 steps (1 s) is far below the 30 s it
    // asked for and roomy for a loaded machine.
    assert!(
        quick.elapsed < config().step_length * 20,
        "{:?}",
        quick.elapsed
    );
    // Default timeout (30) is accepted; a done op answers at once.
    let dflt = r
        .post(&format!("/v1/operations/{done}:wait"), ALPHA_TOKEN, &[])
        .await;
    assert_eq!(dflt.status, 200);
    assert_eq!(r.wait("op_missing", 1).await.status, 404);
    r.stop().await;
}

#[tokio::test]
async fn wait_rejects_bad_timeouts_with_400() {
    let r = Ref::start(config()).await;
    let id = r.fixture("running").await;
    for t in ["0", "61", "abc", "1.5", "", "-1"] {
        let resp = r
            .post(
                &format!("/v1/operations/{id}:wait?timeout={t}"),
                ALPHA_TOKEN,
                &[],
            )
            .await;
        assert_eq!(resp.status, 400, "timeout={t}");
        assert_eq!(error_code(&resp), 2005);
        // Refused before any hold: a server that read "1.5" as 1 would
        // answer only after 1 s.
        assert!(resp.elapsed < Duration::from_secs(1), "{:?}", resp.elapsed);
    }
    // 60 is in bounds: cancel first so the wait returns at the settle.
    r.cancel(&id, &[]).await;
    let ok = r
        .post(
            &format!("/v1/operations/{id}:wait?timeout=60"),
            ALPHA_TOKEN,
            &[],
        )
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json()["state"], "CANCELLED");
    r.stop().await;
}

async fn page_all(r: &Ref, query: &str) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/operations?{query}&cursor={c}"),
            None => format!("/v1/operations?{query}"),
        };
        let resp = r.get(&path, ALPHA_TOKEN).await;
        assert_eq!(resp.status, 200, "{path}: {}", resp.text());
        let page = resp.json();
        pages += 1;
        let data = page["data"].as_array().unwrap();
        assert_eq!(
            page["has_more"].as_bool().unwrap(),
            !page["next_cursor"].is_null()
        );
        for item in data {
            assert!(item.get("steps").is_none(), "list items carry no steps");
            items.push(item.clone());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return (items, pages),
        }
    }
}

#[tokio::test]
async fn list_pages_newest_first_through_a_private_owner_set() {
    let r = Ref::start(config()).await;
    let owner = format!("inst_{}", uuid::Uuid::new_v4().simple());
    let owner = &owner[..30];
    let mut created = Vec::new();
    for i in 0..7 {
        let state = ["running", "succeeded", "failed"][i % 3];
        let op = r
            .fixture_as(
                ALPHA_TOKEN,
                json!({"state": state, "owner_type": "install", "owner_id": owner}),
            )
            .await;
        created.push(id_of(&op));
    }
    r.fixture("running").await; // another owner, same workspace
    r.fixture_as(
        BETA_TOKEN,
        json!({"state": "running", "owner_type": "install", "owner_id": owner}),
    )
    .await;
    let (items, pages) =
        page_all(&r, &format!("owner_type=install&owner_id={owner}&limit=3")).await;
    assert_eq!(pages, 3);
    let ids: Vec<String> = items.iter().map(id_of).collect();
    let mut newest_first = created.clone();
    newest_first.reverse();
    assert_eq!(
        ids, newest_first,
        "every item once, newest first, own workspace only"
    );
    let first_page = r
        .get(
            &format!("/v1/operations?owner_type=install&owner_id={owner}&limit=3"),
            ALPHA_TOKEN,
        )
        .await
        .json();
    assert_eq!(first_page["data"].as_array().unwrap().len(), 3);
    assert_eq!(first_page["has_more"], true);
    // owner_id alone is ignored (D-LIST "Ignored otherwise"): unfiltered.
    let (all, _) = page_all(&r, &format!("owner_id={owner}&limit=100")).await;
    assert!(all.len() > created.len());
    assert!(all.iter().all(|o| o["workspace_id"] == "ws_alpha"));
    r.stop().await;
}

#[tokio::test]
async fn list_default_limit_is_50() {
    let r = Ref::start(config()).await;
    for _ in 0..51 {
        r.fixture("succeeded").await;
    }
    let page = r.get("/v1/operations", ALPHA_TOKEN).await.json();
    assert_eq!(page["data"].as_array().unwrap().len(), 50);
    assert_eq!(page["has_more"], true);
    let max = r.get("/v1/operations?limit=100", ALPHA_TOKEN).await.json();
    assert_eq!(max["data"].as_array().unwrap().len(), 51);
    assert_eq!(max["has_more"], false);
    assert!(max["next_cursor"].is_null());
    // Empty workspace: an empty page.
    let empty = r.get("/v1/operations", BETA_TOKEN).await.json();
    assert_eq!(
        empty,
        json!({"data": [], "has_more": false, "next_cursor": null})
    );
    r.stop().await;
}

#[tokio::test]
async fn list_rejects_bad_queries_with_400() {
    let r = Ref::start(config()).await;
    r.fixture("running").await;
    for (q, code) in [
        ("limit=0", 2006),
        ("limit=101", 2006),
        ("limit=abc", 2006),
        ("limit=2.5", 2006),
        ("limit=-1", 2006),
        ("cursor=notacursor", 2007),
        ("cursor=YzE", 2007),
        ("owner_type=install", 2008),
        ("owner_type=robot&owner_id=rob_1", 2008),
    ] {
        let resp = r.get(&format!("/v1/operations?{q}"), ALPHA_TOKEN).await;
        assert_eq!(resp.status, 400, "{q}");
        assert_eq!(error_code(&resp), code, "{q}");
    }
    for q in [
        "limit=1",
        "limit=100",
        "owner_type=machine&owner_id=mch_none",
    ] {
        assert_eq!(
            r.get(&format!("/v1/operations?{q}"), ALPHA_TOKEN)
                .await
                .status,
            200,
            "{q}"
        );
    }
    r.stop().await;
}

#[tokio::test]
async fn ids_are_canonical_and_colons_may_be_percent_encoded() {
    let r = Ref::start(config()).await;
    let id = r.fixture("running").await;
    let bare = id.trim_start_matches("op_");
    let by_bare = r.get_op(bare).await;
    assert_eq!(by_bare.json()["id"], id.as_str());
    assert_eq!(by_bare.bytes, r.get_op(&id).await.bytes);
    for encoded in ["%3A", "%3a"] {
        let w = r
            .post(
                &format!("/v1/operations/{bare}{encoded}wait?timeout=1"),
                ALPHA_TOKEN,
                &[],
            )
            .await;
        assert_eq!(w.status, 200, "{encoded}wait");
        assert_eq!(w.json()["id"], id.as_str());
    }
    let c = r
        .post(&format!("/v1/operations/{id}%3Acancel"), ALPHA_TOKEN, &[])
        .await;
    assert_eq!(c.status, 202);
    assert_eq!(c.json()["id"], id.as_str());
    r.stop().await;
}

#[tokio::test]
async fn unknown_paths_verbs_and_methods_get_the_envelope() {
    let r = Ref::start(config()).await;
    let id = r.fixture("running").await;
    let cases = [
        (Method::GET, "/nope".to_string(), 404),
        (Method::GET, "/v1".to_string(), 404),
        (Method::GET, "/v1/operations/a/b".to_string(), 404),
        (Method::POST, format!("/v1/operations/{id}:delete"), 404),
        (Method::POST, format!("/v1/operations/{id}"), 405),
        (Method::GET, format!("/v1/operations/{id}:cancel"), 405),
        (Method::DELETE, format!("/v1/operations/{id}"), 405),
        (Method::PUT, "/v1/operations".to_string(), 405),
        (Method::POST, "/v1/operations".to_string(), 405),
        (Method::GET, "/__fixtures/operations".to_string(), 405),
    ];
    for (m, p, status) in cases {
        let resp = r.send(m.clone(), &p, Some(ALPHA_TOKEN), &[], None).await;
        assert_eq!(resp.status, status, "{m} {p}");
        assert_eq!(resp.json()["success"], false);
    }
    r.stop().await;
}

#[tokio::test]
async fn fixtures_follow_the_provider_contract() {
    let r = Ref::start(config()).await;
    // Every owner type, with and without an explicit owner id: schema-valid
    // (checked by the client), in the caller's workspace.
    for (t, prefix) in [
        ("install", "inst_"),
        ("repository_change_request", "rcr_"),
        ("repository", "repo_"),
        ("workspace", "ws_"),
        ("machine", "mch_"),
        ("cluster", "clu_"),
        ("package", "pkg_"),
    ] {
        for state in ["running", "succeeded", "failed", "cancelled", "retrying"] {
            let op = r
                .fixture_as(BETA_TOKEN, json!({"state": state, "owner_type": t}))
                .await;
            assert_eq!(op["workspace_id"], "ws_beta");
            assert!(op["owner_id"].as_str().unwrap().starts_with(prefix));
            assert_eq!(op["organization_id"], "org_acme");
            assert!(op["html_url"].as_str().unwrap().starts_with("https://"));
        }
        let own = format!("{prefix}mine-1");
        let op = r
            .fixture_as(
                ALPHA_TOKEN,
                json!({"state": "succeeded", "owner_type": t, "owner_id": own}),
            )
            .await;
        assert_eq!(op["owner_id"], own.as_str());
        assert_eq!(op["response"]["type"], op["metadata"]["type"]);
    }
    let post = |body: &'static str| {
        r.send(
            Method::POST,
            "/__fixtures/operations",
            Some(ALPHA_TOKEN),
            &[],
            Some(body),
        )
    };
    let unknown = post(r#"{"state":"paused"}"#).await;
    assert_eq!(unknown.status, 400);
    assert!(
        unknown
            .text()
            .contains("running, succeeded, failed, cancelled, retrying")
    );
    for bad in [
        r#"{"state":"running","owner_type":"machine","owner_id":"clu_1"}"#,
        r#"{"state":"running","owner_type":"robot"}"#,
        r#"{"state":"running","owner_id":"inst_1"}"#,
        r#"not json"#,
    ] {
        assert_eq!(post(bad).await.status, 400, "{bad}");
    }
    r.stop().await;

    let off = Ref::start(ReferenceConfig {
        fixtures: false,
        ..config()
    })
    .await;
    let resp = off
        .send(
            Method::POST,
            "/__fixtures/operations",
            Some(ALPHA_TOKEN),
            &[],
            Some(r#"{"state":"running"}"#),
        )
        .await;
    assert_eq!(resp.status, 404);
    off.stop().await;
}

#[tokio::test]
async fn configured_tokens_replace_the_defaults() {
    let r = Ref::start(ReferenceConfig {
        tokens: vec![opconform::reference::TokenGrant::workspace(
            "sk_custom",
            "ws_custom",
        )],
        ..config()
    })
    .await;
    assert_eq!(r.get("/v1/operations", ALPHA_TOKEN).await.status, 401);
    let op = r.fixture_as("sk_custom", json!({"state": "running"})).await;
    assert_eq!(op["workspace_id"], "ws_custom");
    r.stop().await;
}

#[tokio::test]
async fn the_schema_checks_are_live() {
    // The client validates every body; prove the validators reject what the
    // published schemas forbid, so a passing suite means something.
    let r = Ref::start(config()).await;
    let op = r
        .fixture_as(ALPHA_TOKEN, json!({"state": "succeeded"}))
        .await;
    assert!(violations(Kind::Operation, &op).is_empty());
    let mut relative = op.clone();
    relative["html_url"] = json!("not a uri");
    assert!(
        !violations(Kind::Operation, &relative).is_empty(),
        "format is validated"
    );
    let mut missing = op.clone();
    missing
        .as_object_mut()
        .unwrap()
        .remove("parent_operation_id");
    assert!(!violations(Kind::Operation, &missing).is_empty());
    let mut wrong_variant = op.clone();
    wrong_variant["metadata"] = json!({"type": "install.create"});
    assert!(
        !violations(Kind::Operation, &wrong_variant).is_empty(),
        "metadata union is checked"
    );
    let mut bad_step = op.clone();
    bad_step["steps"][0]["status"] = json!("paused");
    assert!(
        !violations(Kind::Operation, &bad_step).is_empty(),
        "steps are checked"
    );
    let list = json!({"data": [op.clone()], "has_more": false, "next_cursor": null});
    assert!(violations(Kind::OperationList, &list).is_empty());
    assert!(!violations(Kind::OperationList, &json!({"data": [relative]})).is_empty());
    let err = r.get_op("op_missing").await.json();
    assert!(violations(Kind::Error, &err).is_empty());
    let mut string_code = err.clone();
    string_code["errors"][0]["code"] = json!("not_found");
    assert!(!violations(Kind::Error, &string_code).is_empty());
    r.stop().await;
}

#[tokio::test]
async fn the_broad_token_selects_its_workspace_with_akua_context() {
    use opconform::reference::BROAD_TOKEN;
    let r = Ref::start(config()).await;
    let gamma = [("akua-context", "ws_gamma")];
    // Without the header the broad token acts in ws_alpha, its first.
    let alpha_op = r.fixture_as(BROAD_TOKEN, json!({"state": "running"})).await;
    assert_eq!(alpha_op["workspace_id"], "ws_alpha");
    assert_eq!(r.get_op(&id_of(&alpha_op)).await.status, 200);
    // With ws_gamma it creates, reads, lists and cancels there.
    let r_gamma = r
        .send(
            Method::POST,
            "/__fixtures/operations",
            Some(BROAD_TOKEN),
            &gamma,
            Some(r#"{"state":"running"}"#),
        )
        .await;
    assert_eq!(r_gamma.status, 201);
    let gamma_id = id_of(&r_gamma.json());
    assert_eq!(r_gamma.json()["workspace_id"], "ws_gamma");
    let get = format!("/v1/operations/{gamma_id}");
    let seen = r
        .send(Method::GET, &get, Some(BROAD_TOKEN), &gamma, None)
        .await;
    assert_eq!(seen.status, 200);
    // ws_gamma's operation is not ws_alpha's: 404 without the header, and
    // for the alpha token.
    assert_eq!(r.get(&get, BROAD_TOKEN).await.status, 404);
    assert_eq!(r.get(&get, ALPHA_TOKEN).await.status, 404);
    let list = r
        .send(
            Method::GET,
            "/v1/operations",
            Some(BROAD_TOKEN),
            &gamma,
            None,
        )
        .await
        .json();
    let items = list["data"].as_array().expect("data");
    assert!(!items.is_empty() && items.iter().all(|o| o["workspace_id"] == "ws_gamma"));
    let cancel = format!("/v1/operations/{gamma_id}:cancel");
    let c = r
        .send(Method::POST, &cancel, Some(BROAD_TOKEN), &gamma, None)
        .await;
    assert_eq!(c.status, 202);
    // A workspace the broad token does not cover: 403 (akua), no effect.
    let beta = [("akua-context", "ws_beta")];
    let beta_id = id_of(&r.fixture_as(BETA_TOKEN, json!({"state": "running"})).await);
    for (m, p) in [
        (Method::GET, format!("/v1/operations/{beta_id}")),
        (Method::POST, format!("/v1/operations/{beta_id}:cancel")),
        (Method::GET, "/v1/operations".to_string()),
    ] {
        let resp = r.send(m.clone(), &p, Some(BROAD_TOKEN), &beta, None).await;
        assert_eq!(resp.status, 403, "{m} {p}");
    }
    let beta_op = r
        .get(&format!("/v1/operations/{beta_id}"), BETA_TOKEN)
        .await;
    assert_eq!(beta_op.json()["state"], "RUNNING");
    r.stop().await;
}

#[tokio::test]
async fn every_405_names_exactly_the_allowed_methods() {
    use opconform::reference::{Dialect, Tempo};
    for dialect in Dialect::ALL {
        let r = Ref::start(super::support::world(dialect, Tempo::Frozen)).await;
        let id = r.fixture("running").await;
        let item = format!("/v1/operations/{id}");
        let mut cases = vec![
            (Method::POST, item.clone(), "GET, HEAD"),
            (Method::DELETE, item.clone(), "GET, HEAD"),
            (Method::PUT, item.clone(), "GET, HEAD"),
            (Method::PATCH, item.clone(), "GET, HEAD"),
            (Method::OPTIONS, item.clone(), "GET, HEAD"),
            (Method::GET, "/__fixtures/operations".to_string(), "POST"),
            (Method::PUT, "/__fixtures/operations".to_string(), "POST"),
        ];
        for verb in ["cancel", "wait"] {
            let p = format!("{item}:{verb}");
            for m in [
                Method::GET,
                Method::HEAD,
                Method::OPTIONS,
                Method::PUT,
                Method::DELETE,
                Method::PATCH,
            ] {
                cases.push((m, p.clone(), "POST"));
            }
        }
        if dialect == Dialect::Akua {
            for m in [Method::POST, Method::PUT, Method::DELETE, Method::OPTIONS] {
                cases.push((m, "/v1/operations".to_string(), "GET, HEAD"));
            }
        }
        for (m, p, allow) in cases {
            let resp = r.send(m.clone(), &p, Some(ALPHA_TOKEN), &[], None).await;
            assert_eq!(resp.status, 405, "{dialect}: {m} {p}");
            assert_eq!(
                resp.header("allow").as_deref(),
                Some(allow),
                "{dialect}: {m} {p}"
            );
        }
        // And the methods named are served.
        assert_eq!(r.get_op(&id).await.status, 200);
        let head = r
            .send(Method::HEAD, &item, Some(ALPHA_TOKEN), &[], None)
            .await;
        assert_eq!(head.status, 200);
        // An unknown custom method names no resource: 404, any method.
        for m in [Method::GET, Method::POST, Method::DELETE] {
            let p = format!("{item}:delete");
            let resp = r.send(m.clone(), &p, Some(ALPHA_TOKEN), &[], None).await;
            assert_eq!(resp.status, 404, "{dialect}: {m} {p}");
        }
        r.stop().await;
    }
}

#[tokio::test]
async fn an_empty_cursor_is_the_first_page() {
    // AIP-158: an empty page token asks for the first page.
    let r = Ref::start(config()).await;
    let owner = format!("inst_{}", &uuid::Uuid::new_v4().simple().to_string()[..20]);
    for _ in 0..3 {
        r.fixture_as(
            ALPHA_TOKEN,
            json!({"state": "succeeded", "owner_type": "install", "owner_id": owner}),
        )
        .await;
    }
    let q = format!("/v1/operations?owner_type=install&owner_id={owner}&limit=2");
    let first = r.get(&q, ALPHA_TOKEN).await;
    let empty = r.get(&format!("{q}&cursor="), ALPHA_TOKEN).await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.bytes, first.bytes);
    assert_eq!(empty.json()["has_more"], true);
    // A cursor that is not ours is still refused.
    let bad = r.get(&format!("{q}&cursor=%20"), ALPHA_TOKEN).await;
    assert_eq!(bad.status, 400);
    r.stop().await;
}
