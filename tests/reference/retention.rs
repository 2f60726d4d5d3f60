//! Bounded memory over real HTTP: finished operations are evicted a
//! retention period after they finished, and beyond `max_operations` the
//! least recently read of the oldest goes. An evicted id answers 404 like an unknown one,
//! and leaves neither the list nor the idempotency store.

use std::time::Duration;

use opconform::reference::{ALPHA_TOKEN, ReferenceConfig};
use serde_json::json;

use super::support::{Ref, config, error_code, id_of};

#[tokio::test]
async fn finished_operations_are_evicted_after_the_retention() {
    let r = Ref::start(ReferenceConfig {
        retention: Duration::from_millis(400),
        ..config()
    })
    .await;
    let done = r.fixture("succeeded").await;
    let running = r.fixture("running").await;
    let cancelled = r.fixture("running").await;
    let c = r.cancel(&cancelled, &[("idempotency-key", "kept")]).await;
    assert_eq!(c.status, 202);
    assert_eq!(r.get_op(&done).await.status, 200, "kept during retention");
    tokio::time::sleep(Duration::from_millis(600)).await;
    for id in [&done, &cancelled] {
        let gone = r.get_op(id).await;
        assert_eq!(gone.status, 404, "{id}");
        let unknown = r.get_op("op_neverexisted").await;
        assert_eq!(
            error_code(&gone),
            error_code(&unknown),
            "like an unknown id"
        );
        assert_eq!(r.wait(id, 1).await.status, 404);
        assert_eq!(r.cancel(id, &[]).await.status, 404);
    }
    // The replay of an evicted operation is a 404 too, and its key is free
    // for another operation.
    assert_eq!(
        r.cancel(&cancelled, &[("idempotency-key", "kept")])
            .await
            .status,
        404
    );
    assert_eq!(
        r.cancel(&running, &[("idempotency-key", "kept")])
            .await
            .status,
        202
    );
    // RUNNING operations are never evicted by retention.
    let list = r.get("/v1/operations?limit=100", ALPHA_TOKEN).await.json();
    let ids: Vec<&str> = list["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|o| o["id"].as_str())
        .collect();
    assert!(ids.contains(&running.as_str()));
    assert!(!ids.contains(&done.as_str()) && !ids.contains(&cancelled.as_str()));
    r.stop().await;
}

#[tokio::test]
async fn beyond_max_operations_the_least_recently_read_one_is_evicted() {
    let r = Ref::start(ReferenceConfig {
        max_operations: 3,
        ..config()
    })
    .await;
    let owner = format!("inst_{}", &uuid::Uuid::new_v4().simple().to_string()[..20]);
    let make = || async {
        id_of(
            &r.fixture_as(
                ALPHA_TOKEN,
                json!({"state": "running", "owner_type": "install", "owner_id": owner}),
            )
            .await,
        )
    };
    let a = make().await;
    let b = make().await;
    let c = make().await;
    let d = make().await;
    // None was read since its creation: `a`, the oldest, goes first.
    assert_eq!(r.get_op(&a).await.status, 404);
    // Reading `b` makes `c` the least recently read: it goes next.
    assert_eq!(r.get_op(&b).await.status, 200);
    let e = make().await;
    assert_eq!(r.get_op(&c).await.status, 404);
    for id in [&b, &d, &e] {
        assert_eq!(r.get_op(id).await.status, 200, "{id}");
    }
    // The owner-filtered list agrees.
    let page = r
        .get(
            &format!("/v1/operations?owner_type=install&owner_id={owner}"),
            ALPHA_TOKEN,
        )
        .await
        .json();
    let listed: Vec<&str> = page["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|o| o["id"].as_str())
        .collect();
    assert_eq!(listed, vec![e.as_str(), d.as_str(), b.as_str()]);
    r.stop().await;
}
