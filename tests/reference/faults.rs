//! The reference's own fault test: for every catalogued fault, one request
//! sequence (a probe) whose observation differs between the correct
//! reference and the reference with that fault switched on, in every
//! dialect and tempo (except where the fault's feature does not exist:
//! [`absent_in`]). The `match` has no wildcard arm, so a new fault without a
//! probe does not compile.

use std::time::{Duration, Instant};

use opconform::reference::{
    ALPHA_TOKEN, BETA_TOKEN, BROAD_TOKEN, Dialect, Fault, ReferenceConfig, Tempo, faults,
};
use reqwest::Method;
use serde_json::json;

use super::support::{Ref, config, id_of};

const STEP: Duration = Duration::from_millis(200);
/// How long a probe waits for an accepted cancel to settle. The reference
/// settles it within one step; 20 steps leave a loaded machine room, and
/// the wait ends as soon as the operation is done, so only a server that
/// never settles is watched this long.
const SETTLE_WITHIN: Duration = Duration::from_millis(20 * 200);
/// The `:wait` timeout of the wait probes: the faulty servers are told
/// apart by answering before it (ignores the timeout) or only at it (does
/// not wake), so its length is the margin, not a guess at scheduling.
const WAIT_SECS: u64 = 3;

fn cfg(dialect: Dialect, tempo: Tempo) -> ReferenceConfig {
    ReferenceConfig {
        step_length: STEP,
        dialect,
        tempo,
        ..config()
    }
}

/// Why `fault` cannot show in this world, when its feature is absent there.
fn absent_in(fault: Fault, dialect: Dialect, tempo: Tempo) -> Option<&'static str> {
    fault.absent_in(dialect, tempo)
}

async fn private_owner_ops(r: &Ref, n: usize) -> (String, Vec<String>) {
    let owner = format!("inst_{}", &uuid::Uuid::new_v4().simple().to_string()[..20]);
    let mut ids = Vec::new();
    for _ in 0..n {
        let op = r
            .fixture_as(
                ALPHA_TOKEN,
                json!({"state": "succeeded", "owner_type": "install", "owner_id": owner}),
            )
            .await;
        ids.push(id_of(&op));
    }
    (owner, ids)
}

/// Waits until the operation `id` is done (an accepted cancel settled).
async fn settled(r: &Ref, id: &str) {
    r.poll_until(id, SETTLE_WITHIN, |o| o["done"] == true).await;
}

/// Rounds of a race probe (see the race arms of [`probe`]).
const RACE_ROUNDS: usize = 6;
/// Requests a race probe releases together.
const RACE_CLIENTS: usize = 6;

/// Cancels of `id` from `n` tasks, each on a connection warmed by a GET
/// first, released together behind a barrier; their statuses.
async fn released(
    r: &Ref,
    id: &str,
    n: usize,
    headers: impl Fn(usize) -> Vec<(String, String)>,
) -> Vec<u16> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let mut tasks = Vec::new();
    for i in 0..n {
        let client = r.client.clone();
        let get = r.url(&format!("/v1/operations/{id}"));
        let url = r.url(&format!("/v1/operations/{id}:cancel"));
        let headers = headers(i);
        let barrier = std::sync::Arc::clone(&barrier);
        tasks.push(tokio::spawn(async move {
            // Warm a connection of the pool, so the cancel needs no connect.
            let _ = client.get(get).bearer_auth(ALPHA_TOKEN).send().await;
            barrier.wait().await;
            let mut req = client.post(url).bearer_auth(ALPHA_TOKEN);
            for (k, v) in headers {
                req = req.header(k, v);
            }
            req.send().await.map(|r| r.status().as_u16()).unwrap_or(0)
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap_or(0));
    }
    out
}

/// How many `cancel` steps the operation lists (one per transition).
async fn cancel_steps(r: &Ref, id: &str) -> usize {
    let op = r.get_op(id).await.json();
    op["steps"]
        .as_array()
        .map(|steps| steps.iter().filter(|s| s["name"] == "cancel").count())
        .unwrap_or(0)
}

/// Three `:wait`s and a cancel released together; how long the slowest
/// waiter took.
async fn waiters_racing_a_cancel(r: &Ref, id: &str) -> Duration {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(4));
    let mut waiters = Vec::new();
    for _ in 0..3 {
        let client = r.client.clone();
        let url = r.url(&format!("/v1/operations/{id}:wait?timeout={WAIT_SECS}"));
        let get = r.url(&format!("/v1/operations/{id}"));
        let barrier = std::sync::Arc::clone(&barrier);
        waiters.push(tokio::spawn(async move {
            let _ = client.get(get).bearer_auth(ALPHA_TOKEN).send().await;
            barrier.wait().await;
            let start = Instant::now();
            let _ = client.post(url).bearer_auth(ALPHA_TOKEN).send().await;
            start.elapsed()
        }));
    }
    barrier.wait().await;
    r.cancel(id, &[]).await;
    let mut slowest = Duration::ZERO;
    for w in waiters {
        slowest = slowest.max(w.await.unwrap_or(Duration::MAX));
    }
    slowest
}

/// Sends a keyed cancel of `id` on a raw connection, reads the status line
/// and hangs up (the response is lost); the status read.
async fn cancel_and_hang_up(r: &Ref, id: &str, key: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let addr = r.server.addr();
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "POST /v1/operations/{id}:cancel HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {ALPHA_TOKEN}\r\nidempotency-key: {key}\r\ncontent-length: 0\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n") && head.len() < 64 {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    drop(stream);
    String::from_utf8_lossy(&head)
        .split_whitespace()
        .nth(1)
        .unwrap_or("none")
        .to_string()
}

/// What a probe saw, as text to compare.
async fn probe(fault: Fault, r: &Ref) -> String {
    use Fault as F;
    match fault {
        F::ChangesAfterDone => {
            let id = r.fixture("succeeded").await;
            let first = r.get_op(&id).await;
            tokio::time::sleep(Duration::from_millis(600)).await;
            (first.bytes == r.get_op(&id).await.bytes).to_string()
        }
        F::EtagFrozen => {
            let id = r.fixture("running").await;
            let before = r.get_op(&id).await.header("etag");
            r.cancel(&id, &[]).await;
            (before == r.get_op(&id).await.header("etag")).to_string()
        }
        F::IfMatchUnquotedCompare => {
            let id = r.fixture("running").await;
            let etag = r.get_op(&id).await.header("etag").unwrap_or_default();
            r.cancel(&id, &[("if-match", &etag)])
                .await
                .status
                .to_string()
        }
        F::WaitAnswersLate => {
            let id = r.fixture("succeeded").await;
            (r.wait(&id, 1).await.elapsed < Duration::from_millis(1500)).to_string()
        }
        F::DoneLagsState => {
            let id = r.fixture("succeeded").await;
            r.get_op(&id).await.json()["done"].to_string()
        }
        F::Cancel200Settled => {
            let id = r.fixture("running").await;
            let b = r.cancel(&id, &[]).await.json();
            format!("{} {}", b["state"], b["error"])
        }
        F::ErrorSetWhileCancelling => {
            let id = r.fixture("running").await;
            r.cancel(&id, &[]).await.json()["error"].to_string()
        }
        F::CompletedAtMissing => {
            let id = r.fixture("cancelled").await;
            r.get_op(&id).await.json()["completed_at"]
                .is_null()
                .to_string()
        }
        F::ResponseOnFailure => {
            let id = r.fixture("failed").await;
            r.get_op(&id).await.json()["response"].to_string()
        }
        F::TimestampsMillis => {
            let id = r.fixture("running").await;
            (r.get_op(&id).await.json()["started_at"]
                .as_u64()
                .unwrap_or(0)
                < 100_000_000_000)
                .to_string()
        }
        F::LastErrorSticky => {
            // A live operation retries one step too (and is all there is in
            // the alternate dialect).
            let state = match r.dialect {
                Dialect::Akua => "retrying",
                Dialect::Alternate => "running",
            };
            let id = r.fixture(state).await;
            r.wait(&id, 5).await.json()["last_error"].to_string()
        }
        F::HtmlUrlRelative => {
            let id = r.fixture("running").await;
            r.get_op(&id).await.json()["html_url"]
                .as_str()
                .unwrap_or("")
                .starts_with("https://")
                .to_string()
        }
        F::ParentIdOmitted => {
            let id = r.fixture("running").await;
            r.get_op(&id)
                .await
                .json()
                .get("parent_operation_id")
                .is_some()
                .to_string()
        }
        F::StateLowercase => {
            let id = r.fixture("running").await;
            r.get_op(&id).await.json()["state"].to_string()
        }
        F::StepsMissingOnGet => {
            let id = r.fixture("running").await;
            r.get_op(&id)
                .await
                .json()
                .get("steps")
                .is_some()
                .to_string()
        }
        F::EtagMissing => {
            let id = r.fixture("running").await;
            r.get_op(&id).await.header("etag").is_some().to_string()
        }
        F::AuthOptionalOnWait => {
            let id = r.fixture("succeeded").await;
            let p = format!("/v1/operations/{id}:wait?timeout=1");
            r.send(Method::POST, &p, None, &[], None)
                .await
                .status
                .to_string()
        }
        F::AuthAnyScheme => {
            let h = [("authorization", "Token sk_akua_test_alpha")];
            r.send(Method::GET, "/v1/operations/op_missing", None, &h, None)
                .await
                .status
                .to_string()
        }
        F::ForeignOpVisible => {
            let id = r.fixture("running").await;
            r.get(&format!("/v1/operations/{id}"), BETA_TOKEN)
                .await
                .status
                .to_string()
        }
        F::ForeignCancelApplied => {
            let id = r.fixture("running").await;
            let status = r
                .post(&format!("/v1/operations/{id}:cancel"), BETA_TOKEN, &[])
                .await
                .status;
            // Untouched, it stays RUNNING; cancelled anyway, it is CANCELLED
            // at the next step. The long-poll returns as soon as it is done,
            // else holds the 20-step window.
            let op = r.wait(&id, SETTLE_WITHIN.as_secs()).await.json();
            format!("{status} {}", op["state"])
        }
        F::ContextIgnored => {
            // A workspace token naming another workspace (403 in akua,
            // ignored in alternate), and the broad token naming a workspace
            // it does not cover (403 / 404): with the fault it acts there.
            let id = r.fixture("running").await;
            let beta = id_of(&r.fixture_as(BETA_TOKEN, json!({"state": "running"})).await);
            let h = [("akua-context", "ws_beta")];
            let owned = r
                .send(
                    Method::GET,
                    &format!("/v1/operations/{id}"),
                    Some(ALPHA_TOKEN),
                    &h,
                    None,
                )
                .await
                .status;
            let broad = r
                .send(
                    Method::GET,
                    &format!("/v1/operations/{beta}"),
                    Some(BROAD_TOKEN),
                    &h,
                    None,
                )
                .await
                .status;
            format!("{owned} {broad}")
        }
        F::IdLenUnchecked => r
            .get_op(&format!("op_{}", "a".repeat(51)))
            .await
            .status
            .to_string(),
        F::ContextLenUnchecked => {
            let ctx = format!("ws_{}", "a".repeat(51));
            let h = [("akua-context", ctx.as_str())];
            r.send(
                Method::GET,
                "/v1/operations/op_x",
                Some(ALPHA_TOKEN),
                &h,
                None,
            )
            .await
            .status
            .to_string()
        }
        F::KeyLenOffByOne => {
            let id = r.fixture("running").await;
            r.cancel(&id, &[("idempotency-key", &"k".repeat(65))])
                .await
                .status
                .to_string()
        }
        F::KeyEmptyAccepted => {
            let id = r.fixture("running").await;
            r.cancel(&id, &[("idempotency-key", "")])
                .await
                .status
                .to_string()
        }
        F::IfMatchLenUnchecked => {
            let id = r.fixture("running").await;
            r.cancel(&id, &[("if-match", &"e".repeat(65))])
                .await
                .status
                .to_string()
        }
        F::ReplayNewBody => {
            let id = r.fixture("running").await;
            let first = r.cancel(&id, &[("idempotency-key", "k")]).await;
            settled(r, &id).await;
            let again = r.cancel(&id, &[("idempotency-key", "k")]).await;
            (first.bytes == again.bytes).to_string()
        }
        F::Replay422AfterDone => {
            let id = r.fixture("running").await;
            r.cancel(&id, &[("idempotency-key", "k")]).await;
            settled(r, &id).await;
            r.cancel(&id, &[("idempotency-key", "k")])
                .await
                .status
                .to_string()
        }
        F::KeyReusedAcrossOps => {
            let a = r.fixture("running").await;
            let b = r.fixture("running").await;
            r.cancel(&a, &[("idempotency-key", "k")]).await;
            r.cancel(&b, &[("idempotency-key", "k")])
                .await
                .status
                .to_string()
        }
        // The race faults: only requests released together (or a response
        // the client throws away) reach them. Each probe repeats its round
        // up to RACE_ROUNDS times on a fresh fixture and stops at the first
        // sighting: one round sees the bug with probability well above 1/2
        // (every request of a round lands inside the fault's 5 ms window
        // unless the machine stalls), so all rounds miss it with
        // probability below 2^-RACE_ROUNDS; the correct reference never
        // shows it (its lock and key store serialise the requests).
        F::IfMatchCheckThenAct => {
            for _ in 0..RACE_ROUNDS {
                let id = r.fixture("running").await;
                let etag = r.get_op(&id).await.header("etag").unwrap_or_default();
                let statuses = released(r, &id, RACE_CLIENTS, |_| {
                    vec![("if-match".to_string(), etag.clone())]
                })
                .await;
                if statuses.iter().filter(|s| (200..300).contains(*s)).count() >= 2 {
                    return "two winners".into();
                }
            }
            "at most one winner".into()
        }
        F::DoubleTransitionOnConcurrentCancels => {
            for round in 0..RACE_ROUNDS {
                let id = r.fixture("running").await;
                released(r, &id, RACE_CLIENTS, |i| {
                    vec![("idempotency-key".to_string(), format!("dt-{round}-{i}"))]
                })
                .await;
                if cancel_steps(r, &id).await >= 2 {
                    return "two transitions".into();
                }
            }
            "one transition".into()
        }
        F::WaitMissesWakeups => {
            for _ in 0..RACE_ROUNDS {
                let id = r.fixture("running").await;
                if waiters_racing_a_cancel(r, &id).await > Duration::from_secs(1) {
                    return "a waiter slept through the cancel".into();
                }
            }
            "every waiter woke".into()
        }
        F::KeyStoredAfterResponse => {
            // Hang up after the status line, let the cancel settle, retry:
            // a replay, or (the key forgotten) a fresh 422.
            let mut seen = String::new();
            for round in 0..RACE_ROUNDS {
                let id = r.fixture("running").await;
                let key = format!("lost-response-{round}");
                let status = cancel_and_hang_up(r, &id, &key).await;
                settled(r, &id).await;
                let retry = r.cancel(&id, &[("idempotency-key", &key)]).await.status;
                seen = format!("{status} then {retry}");
                if status != retry.to_string() {
                    break;
                }
            }
            seen
        }
        F::KeyRecordedAfterWrite => {
            let id = r.fixture("running").await;
            let key = [("idempotency-key", "race")];
            let mut tasks = Vec::new();
            for _ in 0..20 {
                let client = r.client.clone();
                let url = r.url(&format!("/v1/operations/{id}:cancel"));
                tasks.push(tokio::spawn(async move {
                    let _ = client
                        .post(url)
                        .bearer_auth(ALPHA_TOKEN)
                        .header(key[0].0, key[0].1)
                        .send()
                        .await;
                }));
            }
            for t in tasks {
                let _ = t.await;
            }
            let op = r.get_op(&id).await.json();
            let steps = op["steps"].as_array().cloned().unwrap_or_default();
            steps
                .iter()
                .filter(|s| s["name"] == "cancel")
                .count()
                .to_string()
        }
        F::IfMatchIgnored => {
            let id = r.fixture("running").await;
            r.cancel(&id, &[("if-match", "\"stale\"")])
                .await
                .status
                .to_string()
        }
        F::IfMatchBeforeTerminal => {
            let id = r.fixture("succeeded").await;
            r.cancel(&id, &[("if-match", "\"stale\"")])
                .await
                .status
                .to_string()
        }
        F::CancelTerminal200 => {
            let id = r.fixture("succeeded").await;
            r.cancel(&id, &[]).await.status.to_string()
        }
        F::CancelTerminalMutates => {
            let id = r.fixture("succeeded").await;
            r.cancel(&id, &[]).await;
            r.get_op(&id).await.json()["state"].to_string()
        }
        F::CancelNeverSettles => {
            let id = r.fixture("running").await;
            r.cancel(&id, &[]).await;
            // Settled (CANCELLED), or still not done after 20 steps.
            let op = r
                .observe_until(&id, SETTLE_WITHIN, |o| o["done"] == true)
                .await
                .unwrap_or_else(|op| op);
            op["state"].to_string()
        }
        F::Recancel409 => {
            // The second cancel must land while the first still drains; if
            // the operation settled in between (422, right for a done
            // operation), try again on a fresh one.
            let mut status = String::new();
            for _ in 0..5 {
                let id = r.fixture("running").await;
                r.cancel(&id, &[]).await;
                status = r.cancel(&id, &[]).await.status.to_string();
                if status != "422" {
                    break;
                }
            }
            status
        }
        F::BareIdEcho => {
            let id = r.fixture("running").await;
            r.get_op(id.trim_start_matches("op_")).await.json()["id"].to_string()
        }
        F::BareId404 => {
            let id = r.fixture("running").await;
            r.get_op(id.trim_start_matches("op_"))
                .await
                .status
                .to_string()
        }
        F::ColonEncoded404 => {
            let id = r.fixture("succeeded").await;
            r.post(
                &format!("/v1/operations/{id}%3Await?timeout=1"),
                ALPHA_TOKEN,
                &[],
            )
            .await
            .status
            .to_string()
        }
        F::WaitIgnoresTimeout => {
            // Held for the whole timeout? A server cannot answer a held
            // wait before its timeout, however loaded the machine. One
            // second: a live operation finishes by itself after about two,
            // and a wait that wakes on that is right, not a hold.
            let id = r.fixture("running").await;
            let held = r.wait(&id, 1).await;
            (held.elapsed >= Duration::from_secs(1) || held.json()["done"] == true).to_string()
        }
        F::WaitNoWake => {
            // Woke before the timeout? The cancel settles one step after
            // it is accepted; a server that does not wake answers only at
            // the timeout. The head start only orders the two requests.
            let id = r.fixture("running").await;
            let (w, _) = tokio::join!(r.wait(&id, WAIT_SECS), async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                r.cancel(&id, &[]).await
            });
            (w.elapsed < Duration::from_secs(WAIT_SECS)).to_string()
        }
        F::WaitTimeoutClamped => {
            let id = r.fixture("succeeded").await;
            r.post(
                &format!("/v1/operations/{id}:wait?timeout=61"),
                ALPHA_TOKEN,
                &[],
            )
            .await
            .status
            .to_string()
        }
        F::ListDropsPageBoundary => {
            let (owner, _) = private_owner_ops(r, 3).await;
            let mut seen = 0;
            let mut cursor = String::new();
            for _ in 0..5 {
                let p =
                    format!("/v1/operations?owner_type=install&owner_id={owner}&limit=1{cursor}");
                let page = r.get(&p, ALPHA_TOKEN).await.json();
                seen += page["data"].as_array().map_or(0, Vec::len);
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = format!("&cursor={c}"),
                    None => break,
                }
            }
            seen.to_string()
        }
        F::ListOldestFirst => {
            let (owner, ids) = private_owner_ops(r, 2).await;
            let page = r
                .get(
                    &format!("/v1/operations?owner_type=install&owner_id={owner}"),
                    ALPHA_TOKEN,
                )
                .await
                .json();
            (page["data"][0]["id"] == ids[1].as_str()).to_string()
        }
        F::ListIncludesSteps => {
            r.fixture("running").await;
            r.get("/v1/operations", ALPHA_TOKEN).await.json()["data"][0]
                .get("steps")
                .is_some()
                .to_string()
        }
        F::ListCursorOnLastPage => {
            let (owner, _) = private_owner_ops(r, 1).await;
            let page = r
                .get(
                    &format!("/v1/operations?owner_type=install&owner_id={owner}"),
                    ALPHA_TOKEN,
                )
                .await
                .json();
            page["next_cursor"].to_string()
        }
        F::ListLimitIgnored => {
            let (owner, _) = private_owner_ops(r, 3).await;
            let page = r
                .get(
                    &format!("/v1/operations?owner_type=install&owner_id={owner}&limit=2"),
                    ALPHA_TOKEN,
                )
                .await
                .json();
            page["data"].as_array().map_or(0, Vec::len).to_string()
        }
        F::ListLimitZeroAccepted => r
            .get("/v1/operations?limit=0", ALPHA_TOKEN)
            .await
            .status
            .to_string(),
        F::ListOwnerTypeAlone => r
            .get("/v1/operations?owner_type=install", ALPHA_TOKEN)
            .await
            .status
            .to_string(),
        F::ListCrossWorkspace => {
            let beta = id_of(&r.fixture_as(BETA_TOKEN, json!({"state": "running"})).await);
            r.get("/v1/operations", ALPHA_TOKEN)
                .await
                .text()
                .contains(&beta)
                .to_string()
        }
        F::ErrorEnvelopeHtml => {
            let resp = r.get_op("op_missing").await;
            format!("{:?}", resp.header("content-type"))
        }
        F::ErrorTextPlain => {
            // A validation error: 400 in akua's dialect, 422 in the other.
            let resp = r.get_op(&format!("op_{}", "a".repeat(51))).await;
            format!("{:?}", resp.header("content-type"))
        }
        F::ErrorCodeString => r.get_op("op_missing").await.text(),
        F::JsonContentTypeMissing => {
            let id = r.fixture("running").await;
            format!("{:?}", r.get_op(&id).await.header("content-type"))
        }
        F::IdDash500 => r.get_op("op_no-such-op").await.status.to_string(),
        F::KeyLen49To63Rejected => {
            let id = r.fixture("running").await;
            r.cancel(&id, &[("idempotency-key", &"k".repeat(50))])
                .await
                .status
                .to_string()
        }
        F::IfMatchListFirstOnly => {
            let id = r.fixture("running").await;
            let etag = r.get_op(&id).await.header("etag").unwrap_or_default();
            let list = format!("\"other\", {etag}");
            r.cancel(&id, &[("if-match", &list)])
                .await
                .status
                .to_string()
        }
    }
}

/// Every fault (present in this world) against the correct reference of
/// the same world.
async fn every_fault_changes_behaviour(dialect: Dialect, tempo: Tempo) {
    assert!(faults().len() >= 25);
    let mut tasks = Vec::new();
    let mut absent = Vec::new();
    for info in faults() {
        let fault = Fault::from_name(info.name).expect("catalogued");
        if let Some(why) = absent_in(fault, dialect, tempo) {
            absent.push((info.name, why));
            continue;
        }
        tasks.push(tokio::spawn(async move {
            let good = Ref::start(cfg(dialect, tempo)).await;
            let bad = Ref::start(cfg(dialect, tempo).with_fault(fault)).await;
            let (expected, observed) = tokio::join!(probe(fault, &good), probe(fault, &bad));
            // The faulted server still answers (a fault never crashes it).
            let alive = bad
                .send(
                    Method::POST,
                    "/__fixtures/operations",
                    Some(ALPHA_TOKEN),
                    &[],
                    Some(r#"{"state":"succeeded"}"#),
                )
                .await
                .status;
            good.stop().await;
            bad.stop().await;
            (info.name, expected, observed, alive)
        }));
    }
    let mut undetected = Vec::new();
    for t in tasks {
        let (name, expected, observed, alive) = t.await.expect("probe task");
        assert_eq!(alive, 201, "{name}: the faulted server stopped answering");
        if expected == observed {
            undetected.push(format!("{name}: both gave {expected}"));
        }
    }
    assert!(
        undetected.is_empty(),
        "{dialect}/{tempo}: faults without a visible effect: {undetected:#?}"
    );
    // The exemptions are few and named; a new one needs a reason above.
    let allowed = match (dialect, tempo) {
        (Dialect::Akua, _) => 0,
        (Dialect::Alternate, Tempo::Live) => 9,
        (Dialect::Alternate, Tempo::Frozen) => 10,
    };
    assert_eq!(absent.len(), allowed, "{absent:#?}");
}

// Two workers: the probes' servers and clients do not queue behind each
// other on one thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_changes_behaviour_over_http() {
    every_fault_changes_behaviour(Dialect::Akua, Tempo::Frozen).await;
}

// Two workers: the probes' servers and clients do not queue behind each
// other on one thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_changes_behaviour_over_http_live() {
    every_fault_changes_behaviour(Dialect::Akua, Tempo::Live).await;
}

// Two workers: the probes' servers and clients do not queue behind each
// other on one thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_changes_behaviour_over_http_alternate() {
    every_fault_changes_behaviour(Dialect::Alternate, Tempo::Frozen).await;
}

// Two workers: the probes' servers and clients do not queue behind each
// other on one thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_changes_behaviour_over_http_alternate_live() {
    every_fault_changes_behaviour(Dialect::Alternate, Tempo::Live).await;
}

#[tokio::test]
async fn key_recorded_after_write_breaks_only_concurrent_duplicates() {
    // The fault reserves the key after the write, yet still looks it up:
    // one request after another, replays and key misuse are answered as the
    // correct server answers them (it once skipped the lookup altogether,
    // so the fault broke every keyed case, not only the concurrent one).
    for dialect in [Dialect::Akua, Dialect::Alternate] {
        let r =
            Ref::start(cfg(dialect, Tempo::Frozen).with_fault(Fault::KeyRecordedAfterWrite)).await;
        let a = r.fixture("running").await;
        let b = r.fixture("running").await;
        let key = [("idempotency-key", "k-sequential")];
        let first = r.cancel(&a, &key).await;
        let replay = r.cancel(&a, &key).await;
        assert_eq!(
            (replay.status, &replay.bytes),
            (first.status, &first.bytes),
            "{dialect:?}: a sequential replay is the first response"
        );
        let misuse = r.cancel(&b, &key).await.status;
        assert!(
            [409, 422].contains(&misuse),
            "{dialect:?}: the key on another operation answered {misuse}"
        );
        r.stop().await;
    }
}

#[tokio::test]
async fn the_correct_reference_gives_the_documented_answers_to_the_probes() {
    // Spot-check that the probes' correct observations are the contract's.
    let r = Ref::start(cfg(Dialect::Akua, Tempo::Frozen)).await;
    assert_eq!(probe(Fault::CancelTerminal200, &r).await, "422");
    assert_eq!(probe(Fault::IfMatchIgnored, &r).await, "409");
    assert_eq!(probe(Fault::IfMatchBeforeTerminal, &r).await, "422");
    assert_eq!(probe(Fault::KeyReusedAcrossOps, &r).await, "409");
    assert_eq!(probe(Fault::Recancel409, &r).await, "202");
    assert_eq!(probe(Fault::ListDropsPageBoundary, &r).await, "3");
    assert_eq!(probe(Fault::KeyRecordedAfterWrite, &r).await, "1");
    assert_eq!(probe(Fault::IdDash500, &r).await, "404");
    assert_eq!(probe(Fault::IfMatchListFirstOnly, &r).await, "202");
    assert_eq!(probe(Fault::KeyLen49To63Rejected, &r).await, "202");
    assert_eq!(probe(Fault::IfMatchUnquotedCompare, &r).await, "202");
    assert_eq!(probe(Fault::ContextIgnored, &r).await, "403 403");
    assert_eq!(probe(Fault::EtagFrozen, &r).await, "false");
    assert_eq!(probe(Fault::ChangesAfterDone, &r).await, "true");
    assert_eq!(probe(Fault::WaitAnswersLate, &r).await, "true");
    // The race probes: what a correct server does under them.
    assert_eq!(
        probe(Fault::IfMatchCheckThenAct, &r).await,
        "at most one winner"
    );
    assert_eq!(
        probe(Fault::DoubleTransitionOnConcurrentCancels, &r).await,
        "one transition"
    );
    assert_eq!(
        probe(Fault::WaitMissesWakeups, &r).await,
        "every waiter woke"
    );
    assert_eq!(
        probe(Fault::KeyStoredAfterResponse, &r).await,
        "202 then 202"
    );
    r.stop().await;
    // The alternate dialect's documented alternatives.
    let r = Ref::start(cfg(Dialect::Alternate, Tempo::Frozen)).await;
    assert_eq!(probe(Fault::CancelTerminal200, &r).await, "409");
    assert_eq!(probe(Fault::IfMatchIgnored, &r).await, "412");
    assert_eq!(probe(Fault::IfMatchBeforeTerminal, &r).await, "409");
    assert_eq!(probe(Fault::KeyReusedAcrossOps, &r).await, "422");
    assert_eq!(probe(Fault::Recancel409, &r).await, "200");
    assert_eq!(probe(Fault::IfMatchUnquotedCompare, &r).await, "200");
    assert_eq!(probe(Fault::ContextIgnored, &r).await, "200 404");
    assert_eq!(probe(Fault::ForeignOpVisible, &r).await, "403");
    assert_eq!(probe(Fault::IdLenUnchecked, &r).await, "422");
    r.stop().await;
}

/// `wait-answers-late` delays all three kinds of answer: the one at the
/// timeout, the wake-up on a transition, and the one for a done operation.
#[tokio::test]
async fn wait_answers_late_delays_every_kind_of_answer() {
    for dialect in Dialect::ALL {
        let r = Ref::start(cfg(dialect, Tempo::Frozen).with_fault(Fault::WaitAnswersLate)).await;
        let done = r.fixture("succeeded").await;
        let running = r.fixture("running").await;
        let woken = r.fixture("running").await;
        let (at_once, held, wakes) = tokio::join!(r.wait(&done, 1), r.wait(&running, 1), async {
            let start = Instant::now();
            let (w, _) = tokio::join!(r.wait(&woken, 10), async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                r.cancel(&woken, &[]).await
            });
            (w, start.elapsed())
        });
        let late = |d: Duration| (3_000..4_500).contains(&d.as_millis());
        assert!(
            late(at_once.elapsed),
            "{dialect}: done {:?}",
            at_once.elapsed
        );
        assert_eq!(at_once.json()["done"], true);
        assert!(
            late(held.elapsed - Duration::from_secs(1)),
            "{dialect}: held {:?}",
            held.elapsed
        );
        assert_eq!(held.json()["done"], false);
        // Woken at the settle (~250 ms), sent 3 s later, far before 10 s.
        let (w, elapsed) = wakes;
        assert!(late(elapsed), "{dialect}: woken {elapsed:?}");
        assert_eq!(w.json()["state"], "CANCELLED");
        r.stop().await;
    }
}

/// `changes-after-done` rewrites an operation once, ~400 ms after it became
/// done, whichever way it got there: cancel drain, live finish, fixture.
#[tokio::test]
async fn changes_after_done_rewrites_each_way_of_becoming_done() {
    for dialect in Dialect::ALL {
        let r = Ref::start(cfg(dialect, Tempo::Live).with_fault(Fault::ChangesAfterDone)).await;
        let cancelled = r.fixture("running").await;
        let finishing = r.fixture("running").await;
        r.cancel(&cancelled, &[]).await;
        for id in [cancelled, finishing] {
            let first = r.wait(&id, 5).await;
            assert_eq!(first.json()["done"], true, "{dialect}");
            let again = r.get_op(&id).await;
            assert_eq!(first.json(), again.json(), "{dialect}: normal at first");
            tokio::time::sleep(Duration::from_millis(500)).await;
            let later = r.get_op(&id).await.json();
            assert_eq!(
                later["completed_at"].as_u64(),
                first.json()["completed_at"].as_u64().map(|c| c + 1),
                "{dialect}: rewritten once"
            );
            assert_ne!(r.get_op(&id).await.header("etag"), again.header("etag"));
        }
        r.stop().await;
    }
}
