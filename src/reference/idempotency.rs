//! The Idempotency-Key store for `:cancel`. Keys are scoped per workspace
//! (akua convention elsewhere: "Idempotency is workspace-scoped", digest §3);
//! a replay returns the first response byte for byte (IETF
//! draft-ietf-httpapi-idempotency-key-header: "respond with the result of the
//! previously completed operation"); a key bound to another operation, or to
//! the same operation with another `If-Match` (a different request: the
//! draft's "reuse an idempotency key with a different request payload"), or
//! one still in flight, answers 409 (akua's convention; the draft's 409 for
//! in-flight). Memory is bounded: entries expire after a TTL and the oldest
//! are evicted beyond a capacity; the keys of an evicted operation go with
//! it ([`KeyStore::forget_ops`]), so a key never names an operation the
//! store no longer has.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::HeaderValue;

/// A recorded response, replayed as is.
#[derive(Debug, Clone)]
pub(crate) struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// Exact body bytes.
    pub body: Bytes,
    /// The ETag header sent with it, if any.
    pub etag: Option<HeaderValue>,
}

#[derive(Debug)]
enum Slot {
    InFlight,
    Done(Arc<StoredResponse>),
}

#[derive(Debug)]
struct Entry {
    op_id: Arc<str>,
    /// The `If-Match` of the first request (trimmed), part of what makes a
    /// retry "the same request".
    if_match: Option<Box<str>>,
    slot: Slot,
    generation: u64,
}

impl Entry {
    /// What a request on `op_id` with this `If-Match` (trimmed) and this
    /// entry's key meets.
    fn found(&self, op_id: &str, if_match: Option<&str>) -> Begin {
        let same_request = self.if_match.as_deref() == if_match;
        match (&self.slot, &*self.op_id == op_id) {
            (Slot::Done(stored), false) => Begin::OtherOperation(Some(Arc::clone(stored))),
            (Slot::InFlight, false) => Begin::OtherOperation(None),
            (_, true) if !same_request => Begin::OtherRequest,
            (Slot::Done(stored), true) => Begin::Replay(Arc::clone(stored)),
            (Slot::InFlight, true) => Begin::InFlight,
        }
    }
}

/// (workspace, key), shared by the map, the order and the per-operation
/// index so a key's text is stored once.
type KeyId = Arc<(String, String)>;

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<KeyId, Entry>,
    /// Insertion order (all entries share one TTL, so the front expires first).
    order: VecDeque<(Instant, KeyId, u64)>,
    /// The keys bound to each operation (for [`KeyStore::forget_ops`]).
    by_op: HashMap<Arc<str>, HashSet<KeyId>>,
    next_generation: u64,
}

/// What `begin` found.
#[derive(Debug)]
pub(crate) enum Begin {
    /// A new key: process the request, then `finish` or drop the reservation.
    Fresh(Reservation),
    /// The same request completed before: send this.
    Replay(Arc<StoredResponse>),
    /// The key is bound to another operation (its recorded response, if any).
    OtherOperation(Option<Arc<StoredResponse>>),
    /// The key is bound to this operation but another request (another
    /// `If-Match`).
    OtherRequest,
    /// The first request with this key is still being processed.
    InFlight,
    /// A new key, looked up without a reservation ([`KeyStore::peek`]).
    Unreserved,
}

/// The bounded key store.
#[derive(Debug)]
pub(crate) struct KeyStore {
    inner: Arc<Mutex<Inner>>,
    ttl: Duration,
    capacity: usize,
}

impl KeyStore {
    /// A store remembering keys for `ttl`, at most `capacity` of them.
    pub(crate) fn new(ttl: Duration, capacity: usize) -> KeyStore {
        KeyStore {
            inner: Arc::new(Mutex::new(Inner::default())),
            ttl,
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The store with what expired by `now` gone, and the id of `key` in
    /// `workspace`.
    fn locate(
        &self,
        workspace: &str,
        key: &str,
        now: Instant,
    ) -> (std::sync::MutexGuard<'_, Inner>, KeyId) {
        let mut inner = self.lock();
        self.expire(&mut inner, now);
        (inner, Arc::new((workspace.to_string(), key.to_string())))
    }

    /// Looks `key` up for a request on `op_id` without `If-Match` and
    /// reserves it when new.
    #[cfg(test)]
    pub(crate) fn begin(&self, workspace: &str, key: &str, op_id: &str, now: Instant) -> Begin {
        self.begin_request(workspace, key, op_id, None, now)
    }

    /// Looks `key` up for a request on `op_id` with this `If-Match` and
    /// reserves it when new.
    pub(crate) fn begin_request(
        &self,
        workspace: &str,
        key: &str,
        op_id: &str,
        if_match: Option<&str>,
        now: Instant,
    ) -> Begin {
        let if_match = if_match.map(str::trim);
        let (mut inner, id) = self.locate(workspace, key, now);
        if let Some(entry) = inner.map.get(&id) {
            return entry.found(op_id, if_match);
        }
        while inner.map.len() >= self.capacity {
            match inner.order.pop_front() {
                Some((_, old, generation)) => remove_if_generation(&mut inner, &old, generation),
                None => break,
            }
        }
        inner.next_generation += 1;
        let generation = inner.next_generation;
        let op_id: Arc<str> = match inner.by_op.get_key_value(op_id) {
            Some((shared, _)) => Arc::clone(shared),
            None => Arc::from(op_id),
        };
        inner
            .by_op
            .entry(Arc::clone(&op_id))
            .or_default()
            .insert(Arc::clone(&id));
        inner.map.insert(
            Arc::clone(&id),
            Entry {
                op_id,
                if_match: if_match.map(Box::from),
                slot: Slot::InFlight,
                generation,
            },
        );
        inner.order.push_back((now, Arc::clone(&id), generation));
        // Aborted reservations leave stale order entries; compact now and then.
        if inner.order.len() > self.capacity.saturating_mul(2).max(64) {
            let Inner { map, order, .. } = &mut *inner;
            order.retain(|(_, k, g)| map.get(k).is_some_and(|e| e.generation == *g));
        }
        Begin::Fresh(Reservation {
            inner: Arc::clone(&self.inner),
            id: Some(id),
            generation,
        })
    }

    /// Looks `key` up for a request on `op_id` without reserving it (the
    /// `key-recorded-after-write` fault's path): `None` when it is new.
    pub(crate) fn peek(
        &self,
        workspace: &str,
        key: &str,
        op_id: &str,
        if_match: Option<&str>,
        now: Instant,
    ) -> Option<Begin> {
        let if_match = if_match.map(str::trim);
        let (inner, id) = self.locate(workspace, key, now);
        inner.map.get(&id).map(|entry| entry.found(op_id, if_match))
    }

    /// Records a response for `op_id` under `key` without a reservation (the
    /// `key-recorded-after-write` fault's path).
    pub(crate) fn record(
        &self,
        workspace: &str,
        key: &str,
        op_id: &str,
        if_match: Option<&str>,
        stored: StoredResponse,
        now: Instant,
    ) {
        if let Begin::Fresh(res) = self.begin_request(workspace, key, op_id, if_match, now) {
            res.finish(stored);
        }
    }

    fn expire(&self, inner: &mut Inner, now: Instant) {
        while let Some((at, _, _)) = inner.order.front() {
            if now.saturating_duration_since(*at) < self.ttl {
                break;
            }
            if let Some((_, id, generation)) = inner.order.pop_front() {
                remove_if_generation(inner, &id, generation);
            }
        }
    }

    /// Forgets every key bound to these operations (they were evicted:
    /// their ids now answer 404, and their keys are free again).
    pub(crate) fn forget_ops(&self, op_ids: &[String]) {
        if op_ids.is_empty() {
            return;
        }
        let mut inner = self.lock();
        for op in op_ids {
            if let Some(keys) = inner.by_op.remove(op.as_str()) {
                for id in keys {
                    inner.map.remove(&id);
                }
            }
        }
    }

    /// Keys currently remembered (in flight or done).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().map.len()
    }
}

fn remove_if_generation(inner: &mut Inner, id: &KeyId, generation: u64) {
    if inner
        .map
        .get(id)
        .is_some_and(|e| e.generation == generation)
        && let Some(entry) = inner.map.remove(id)
        && let Some(keys) = inner.by_op.get_mut(&entry.op_id)
    {
        keys.remove(id);
        if keys.is_empty() {
            inner.by_op.remove(&entry.op_id);
        }
    }
}

/// A reserved key. Dropped without `finish` (an error that must not be
/// replayed, or a client that went away mid-request), the key is released.
#[derive(Debug)]
pub(crate) struct Reservation {
    inner: Arc<Mutex<Inner>>,
    id: Option<KeyId>,
    generation: u64,
}

impl Reservation {
    /// Records the response to replay for this key.
    pub(crate) fn finish(mut self, stored: StoredResponse) {
        if let Some(id) = self.id.take() {
            let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(entry) = inner.map.get_mut(&id)
                && entry.generation == self.generation
            {
                entry.slot = Slot::Done(Arc::new(stored));
            }
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            remove_if_generation(&mut inner, &id, self.generation);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(body: &'static str) -> StoredResponse {
        StoredResponse {
            status: 202,
            body: Bytes::from_static(body.as_bytes()),
            etag: None,
        }
    }

    /// A key store of `ttl` and `capacity`, and the instant it starts at.
    fn keys(ttl: Duration, capacity: usize) -> (KeyStore, Instant) {
        (KeyStore::new(ttl, capacity), Instant::now())
    }

    /// True when `key` on `op` is answered with a replay at `at`.
    fn replays(store: &KeyStore, key: &str, op: &str, at: Instant) -> bool {
        matches!(store.begin("ws", key, op, at), Begin::Replay(_))
    }

    /// The reservation of a key seen for the first time.
    fn reserve(store: &KeyStore, key: &str, op: &str, at: Instant) -> Reservation {
        fresh(store.begin("ws", key, op, at))
    }

    fn fresh(b: Begin) -> Reservation {
        match b {
            Begin::Fresh(r) => r,
            other => panic!("expected a fresh key, got {other:?}"),
        }
    }

    #[test]
    fn peek_finds_without_reserving() {
        let (store, now) = keys(Duration::from_secs(60), 10);
        assert!(store.peek("ws", "k", "op_a", None, now).is_none());
        assert_eq!(store.len(), 0, "a peek reserves nothing");
        store.record("ws", "k", "op_a", None, stored("first"), now);
        assert!(matches!(
            store.peek("ws", "k", "op_a", None, now),
            Some(Begin::Replay(_))
        ));
        assert!(matches!(
            store.peek("ws", "k", "op_b", None, now),
            Some(Begin::OtherOperation(Some(_)))
        ));
        assert!(matches!(
            store.peek("ws", "k", "op_a", Some("\"e1\""), now),
            Some(Begin::OtherRequest)
        ));
    }

    #[test]
    fn replay_misuse_and_in_flight() {
        let (store, now) = keys(Duration::from_secs(60), 10);
        let r = reserve(&store, "k", "op_a", now);
        assert!(matches!(
            store.begin("ws", "k", "op_a", now),
            Begin::InFlight
        ));
        assert!(matches!(
            store.begin("ws", "k", "op_b", now),
            Begin::OtherOperation(None)
        ));
        r.finish(stored("first"));
        match store.begin("ws", "k", "op_a", now) {
            Begin::Replay(s) => assert_eq!(&s.body[..], b"first"),
            other => panic!("expected a replay, got {other:?}"),
        }
        assert!(matches!(
            store.begin("ws", "k", "op_b", now),
            Begin::OtherOperation(Some(_))
        ));
        // Another workspace has its own key space.
        drop(fresh(store.begin("ws_other", "k", "op_b", now)));
    }

    #[test]
    fn another_if_match_on_the_same_operation_is_another_request() {
        let (store, now) = keys(Duration::from_secs(60), 10);
        let r = fresh(store.begin_request("ws", "k", "op_a", Some("\"t1\""), now));
        assert!(matches!(
            store.begin_request("ws", "k", "op_a", Some("*"), now),
            Begin::OtherRequest
        ));
        assert!(matches!(
            store.begin_request("ws", "k", "op_a", Some(" \"t1\" "), now),
            Begin::InFlight
        ));
        r.finish(stored("first"));
        assert!(matches!(
            store.begin_request("ws", "k", "op_a", Some("\"t1\""), now),
            Begin::Replay(_)
        ));
        assert!(matches!(
            store.begin_request("ws", "k", "op_a", None, now),
            Begin::OtherRequest
        ));
        // Another operation is still told apart from another request.
        assert!(matches!(
            store.begin_request("ws", "k", "op_b", Some("\"t1\""), now),
            Begin::OtherOperation(Some(_))
        ));
    }

    #[test]
    fn a_dropped_reservation_releases_the_key() {
        let (store, now) = keys(Duration::from_secs(60), 10);
        drop(reserve(&store, "k", "op_a", now));
        assert_eq!(store.len(), 0);
        reserve(&store, "k", "op_b", now).finish(stored("b"));
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn capacity_evicts_the_oldest() {
        let (store, now) = keys(Duration::from_secs(60), 3);
        for k in ["k1", "k2", "k3", "k4", "k5"] {
            reserve(&store, k, "op_a", now).finish(stored("x"));
            assert!(store.len() <= 3);
        }
        assert_eq!(store.len(), 3);
        // k1 was evicted: it is fresh again, even on another operation.
        drop(reserve(&store, "k1", "op_b", now));
        assert!(replays(&store, "k5", "op_a", now));
    }

    #[test]
    fn ttl_expires_entries() {
        let (store, t0) = keys(Duration::from_millis(100), 10);
        reserve(&store, "k", "op_a", t0).finish(stored("x"));
        assert!(replays(&store, "k", "op_a", t0 + Duration::from_millis(50)));
        drop(reserve(
            &store,
            "k",
            "op_b",
            t0 + Duration::from_millis(150),
        ));
        assert_eq!(store.len(), 0);
    }

    #[test]
    fn many_aborted_reservations_stay_bounded() {
        let (store, now) = keys(Duration::from_secs(60), 4);
        for i in 0..10_000 {
            drop(reserve(&store, &format!("k{i}"), "op_a", now));
        }
        assert_eq!(store.len(), 0);
        assert!(store.lock().order.len() <= 65);
        assert!(store.lock().by_op.is_empty());
        store.record("ws", "r", "op_a", None, stored("r"), now);
        assert!(replays(&store, "r", "op_a", now));
    }

    #[test]
    fn forgetting_an_operation_frees_its_keys_only() {
        let (store, now) = keys(Duration::from_secs(60), 10);
        reserve(&store, "k1", "op_a", now).finish(stored("a1"));
        reserve(&store, "k2", "op_a", now).finish(stored("a2"));
        reserve(&store, "k3", "op_b", now).finish(stored("b"));
        let in_flight = reserve(&store, "k4", "op_a", now);
        store.forget_ops(&["op_a".to_string()]);
        assert_eq!(store.len(), 1);
        // The key of an evicted operation is free for another one.
        drop(reserve(&store, "k1", "op_c", now));
        assert!(replays(&store, "k3", "op_b", now));
        // A reservation of a forgotten operation records nothing.
        in_flight.finish(stored("late"));
        drop(reserve(&store, "k4", "op_c", now));
        assert_eq!(store.lock().by_op.len(), 1);
    }
}
