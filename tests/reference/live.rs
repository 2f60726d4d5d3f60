//! `Tempo::Live` over real HTTP: `running` fixtures move on their own,
//! fail one step once, retry it, and succeed in about 2 s; cancel and
//! `:wait` work on them; ETags follow every visible change. In both
//! dialects.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use opconform::reference::{Dialect, Tempo};
use serde_json::Value;

use super::support::{Ref, world};

/// Every distinct (body, ETag) a poller sees until the operation is done.
async fn observe(r: &Ref, id: &str) -> (Vec<(Value, String)>, Duration) {
    let start = Instant::now();
    let mut seen: Vec<(Value, String)> = Vec::new();
    loop {
        let resp = r.get_op(id).await;
        let etag = resp.header("etag").unwrap_or_default();
        let body = resp.json();
        let done = body["done"] == true;
        if seen.last().is_none_or(|(b, _)| *b != body) {
            seen.push((body, etag));
        }
        if done {
            return (seen, start.elapsed());
        }
        assert!(start.elapsed() < Duration::from_secs(6), "never finished");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn running_fixtures_progress_fail_once_retry_and_succeed_in_about_two_seconds() {
    for dialect in Dialect::ALL {
        let r = Ref::start(world(dialect, Tempo::Live)).await;
        let id = r.fixture("running").await;
        let (seen, took) = observe(&r, &id).await;
        assert!(
            (Duration::from_millis(1_700)..Duration::from_millis(3_000)).contains(&took),
            "{dialect}: took {took:?}"
        );
        assert!(seen.len() >= 9, "{dialect}: {} visible changes", seen.len());
        let last = &seen[seen.len() - 1].0;
        assert_eq!(last["state"], "SUCCEEDED");
        assert!(last["last_error"].is_null() && last["error"].is_null());
        // The failure shows early, then its retry clears it.
        let failed_at = seen
            .iter()
            .position(|(b, _)| !b["last_error"].is_null())
            .unwrap_or_else(|| panic!("{dialect}: no failed step seen"));
        let (failed, _) = &seen[failed_at];
        let step_name = failed["last_error"]["step_name"].as_str().expect("step");
        let step = failed["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .find(|s| s["name"] == step_name)
            .expect("the failed step is listed");
        assert_eq!(step["status"], "failed");
        assert!(step["error_message"].is_string());
        assert!(
            failed_at <= 5,
            "{dialect}: failure shown late ({failed_at})"
        );
        let (next, _) = &seen[failed_at + 1];
        assert!(
            next["last_error"].is_null(),
            "{dialect}: cleared at the next step"
        );
        let retried = next["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .find(|s| s["name"] == step_name)
            .expect("still listed");
        assert_eq!(retried["status"], "completed");
        // started_at never changes; completed_at is set once; step times
        // only move forward; every change has a new ETag.
        let mut step_times: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for (i, (b, tag)) in seen.iter().enumerate() {
            assert_eq!(b["started_at"], seen[0].0["started_at"]);
            assert_eq!(b["completed_at"].is_null(), i + 1 < seen.len());
            if i > 0 {
                assert_ne!(*tag, seen[i - 1].1, "{dialect}: a change kept its ETag");
            }
            for s in b["steps"].as_array().expect("steps") {
                let started = s["started_at"].as_u64().expect("started_at");
                let completed = s["completed_at"].as_u64().unwrap_or(0);
                let name = s["name"].as_str().unwrap_or_default().to_string();
                let prev = step_times
                    .insert(name, (started, completed))
                    .unwrap_or((0, 0));
                assert!(started >= prev.0 && completed >= prev.1, "{dialect}: {s}");
            }
        }
        // Equal representations keep equal tags.
        let a = r.get_op(&id).await;
        let b = r.get_op(&id).await;
        assert_eq!((&a.bytes, a.header("etag")), (&b.bytes, b.header("etag")));
        r.stop().await;
    }
}

#[tokio::test]
async fn wait_wakes_on_natural_completion() {
    let r = Ref::start(world(Dialect::Akua, Tempo::Live)).await;
    let id = r.fixture("running").await;
    let w = r.wait(&id, 10).await;
    assert_eq!(w.json()["state"], "SUCCEEDED");
    assert!(
        (Duration::from_millis(1_800)..Duration::from_millis(2_600)).contains(&w.elapsed),
        "{:?}",
        w.elapsed
    );
    r.stop().await;
}

#[tokio::test]
async fn a_cancel_during_live_progress_drains_and_settles_cancelled() {
    for dialect in Dialect::ALL {
        let r = Ref::start(world(dialect, Tempo::Live)).await;
        let id = r.fixture("running").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let c = r.cancel(&id, &[]).await;
        assert!(
            c.status == 200 || c.status == 202,
            "{dialect}: {}",
            c.status
        );
        assert_eq!(c.json()["state"], "RUNNING", "{dialect}: still draining");
        let w = r.wait(&id, 5).await;
        assert!(
            w.elapsed < Duration::from_millis(300),
            "{dialect}: {:?}",
            w.elapsed
        );
        let op = w.json();
        assert_eq!(op["state"], "CANCELLED");
        assert!(op["error"]["message"].is_string());
        assert!(
            op["steps"]
                .as_array()
                .expect("steps")
                .iter()
                .all(|s| s["status"] == "completed")
        );
        // Done is immutable: the live clock no longer moves it.
        tokio::time::sleep(Duration::from_millis(1_800)).await;
        assert_eq!(r.get_op(&id).await.json(), op);
        r.stop().await;
    }
}

#[tokio::test]
async fn terminal_and_retrying_fixtures_behave_as_when_frozen() {
    let r = Ref::start(world(Dialect::Akua, Tempo::Live)).await;
    for state in ["succeeded", "failed", "cancelled"] {
        let id = r.fixture(state).await;
        let first = r.get_op(&id).await;
        assert_eq!(first.json()["done"], true);
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(r.get_op(&id).await.bytes, first.bytes, "{state}");
    }
    // The retrying fixture keeps its three lifecycle steps (50 ms each).
    let id = r.fixture("retrying").await;
    let w = r.wait(&id, 5).await;
    assert_eq!(w.json()["state"], "SUCCEEDED");
    assert!(w.elapsed < Duration::from_millis(500), "{:?}", w.elapsed);
    r.stop().await;
}
