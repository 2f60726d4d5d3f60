//! The fuzzer's side of [`crate::history`]: the Operation bodies a session
//! receives, fed into operation histories in the order received, and every
//! rule a sighting breaks as a violation of [`Property::History`].
//!
//! - Stateful: each sequence follows its own fixtures from its first read
//!   to its last ([`SequenceHistory`]). A sequence's fixtures are created
//!   for it and read by nothing else, so their history is the sequence's;
//!   keeping it per sequence bounds memory in long sessions and judges each
//!   shrink candidate on its own reads.
//! - Stateless: one history for the session over its shared fixtures
//!   ([`SharedHistory`]): the 2xx bodies of get, `:wait` and cancel on them,
//!   and the items of the session's own (owner-filtered) list pages. Per
//!   request fixtures (fresh RUNNING ones, one cancel each) are not
//!   followed: one read makes no history.
//!
//! Requests in flight at once have no order the target promises, so a
//! stateless sighting is fed only when its request was sent after the
//! latest sighting fed for that operation had arrived; an older read that
//! arrives late is skipped, never mistaken for the operation going back. A
//! body byte-identical to the last one fed for the same fixture and
//! endpoint is not parsed again within [`REPEAT_AFTER`] (it adds only the
//! time it was seen, which only the 5 s `last_error` rule reads), which
//! keeps the hot path fast. A cancel answer under a key sent before is a
//! replay of an earlier snapshot (AIP-155), not the state now: not fed.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::contract::Endpoint;
use crate::history::{Breach, Histories, Sighting};

use super::executor::{Fixture, Observed, Prepared};
use super::input::{FuzzRequest, Slot, Verb};
use super::property::{Property, Violation};
use super::strategies::OWNER_PLACEHOLDER;

/// How long a byte-identical body is not fed again (see the module docs).
pub const REPEAT_AFTER: Duration = Duration::from_millis(250);

/// Where a sighting was made, as its evidence reads (`input 812: GET
/// /v1/operations/op_x at 1.204 s`, or `step 3: ...` in a sequence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen(Arc<str>);

impl fmt::Display for Seen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Seen {
    fn new(origin: &str, prepared: &Prepared, path: &str, at_ms: u64) -> Seen {
        Seen(Arc::from(format!(
            "{origin}: {} {path} at {:.3} s",
            prepared.method,
            at_ms as f64 / 1000.0
        )))
    }
}

/// One exchange whose operations are fed into histories: when, from
/// which endpoint and path, its `ETag` (none for a list: the tag is the
/// page's, not an item's), and how the evidence names it.
struct Fed<'a> {
    at_ms: u64,
    endpoint: Endpoint,
    path: &'a str,
    etag: Option<&'a str>,
    src: Seen,
}

impl<'a> Fed<'a> {
    fn new(
        origin: &str,
        prepared: &'a Prepared,
        at_ms: u64,
        endpoint: Endpoint,
        etag: Option<&'a str>,
    ) -> Fed<'a> {
        let path = path_of(&prepared.url);
        Fed {
            at_ms,
            endpoint,
            path,
            etag: etag.filter(|_| endpoint != Endpoint::List),
            src: Seen::new(origin, prepared, path, at_ms),
        }
    }

    /// `op`, one operation of the exchange, fed into `histories`: the rules
    /// its history broke.
    fn observe(&self, histories: &mut Histories<Seen>, op: &Value) -> Vec<Breach<Seen>> {
        histories.observe(Sighting {
            at_ms: self.at_ms,
            endpoint: self.endpoint,
            path: self.path,
            etag: self.etag,
            body: op,
            src: self.src.clone(),
        })
    }
}

/// A breach as a failure of [`Property::History`], both sightings quoted.
pub fn violation(b: Breach<Seen>) -> Violation {
    let evidence: Vec<String> = b.evidence.iter().map(Seen::to_string).collect();
    Violation {
        property: Property::History,
        invariant: b.invariant.to_string(),
        expected: b.expected,
        actual: format!("{} (seen: {})", b.actual, evidence.join("; then ")),
    }
}

/// The path of a URL, without scheme, authority and query (what ETags are
/// compared by).
pub fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    path.split(['?', '#']).next().unwrap_or(path)
}

/// The operations one parsed body shows: the body itself, or the items
/// of a list page.
fn operations(endpoint: Endpoint, body: &Value) -> Vec<&Value> {
    if endpoint == Endpoint::List {
        body.get("data")
            .and_then(Value::as_array)
            .map(|items| items.iter().collect())
            .unwrap_or_default()
    } else {
        vec![body]
    }
}

/// The id an operation body names.
fn id_of(op: &Value) -> Option<&str> {
    op.get("id").and_then(Value::as_str)
}

/// The histories of one sequence's fixtures.
#[derive(Debug)]
pub struct SequenceHistory {
    origin: Instant,
    histories: Histories<Seen>,
}

impl SequenceHistory {
    /// An empty history; receive times count from `origin` (the session's
    /// start).
    pub fn new(origin: Instant) -> SequenceHistory {
        SequenceHistory {
            origin,
            histories: Histories::default(),
        }
    }

    /// Feeds the answer to step `step` (0-based) aimed at `endpoint`;
    /// returns the history rules it broke. Anything but a complete 2xx is
    /// no sighting.
    pub fn feed(
        &mut self,
        step: usize,
        endpoint: Endpoint,
        prepared: &Prepared,
        seen: &Observed,
    ) -> Vec<Violation> {
        if !seen.status.is_some_and(|s| (200..300).contains(&s)) || seen.error.is_some() {
            return Vec::new();
        }
        let Ok(body) = serde_json::from_slice::<Value>(&seen.body) else {
            return Vec::new();
        };
        let at_ms = self.origin.elapsed().as_millis() as u64;
        let origin = format!("step {}", step + 1);
        let fed = Fed::new(&origin, prepared, at_ms, endpoint, seen.header("etag"));
        // Every item of the sequence's list is its own (the list is
        // filtered by the sequence's owner; LIST-OWNER-FILTER says so
        // otherwise).
        let mut out = Vec::new();
        for op in operations(endpoint, &body) {
            out.extend(fed.observe(&mut self.histories, op));
        }
        out.into_iter().map(violation).collect()
    }
}

/// One answer of a stateless session, as the shared history reads it.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    /// The generated input's index (`None`: a replayed regression).
    pub input: Option<u64>,
    /// The request as generated.
    pub req: &'a FuzzRequest,
    /// The request as sent.
    pub prepared: &'a Prepared,
    /// What came back.
    pub seen: &'a Observed,
    /// When the request was handed to the client.
    pub sent_at: Instant,
    /// A cancel under a key sent before (a replay).
    pub replay: bool,
}

/// What is remembered of one shared fixture.
#[derive(Debug, Default)]
struct Followed {
    /// When the latest sighting fed for it arrived.
    latest: Option<Instant>,
}

/// The last body fed for one (fixture or own list page, endpoint).
#[derive(Debug)]
struct LastFed {
    etag: Option<String>,
    body: Vec<u8>,
    at: Instant,
}

#[derive(Debug)]
struct Inner {
    histories: Histories<Seen>,
    followed: HashMap<Slot, Followed>,
    last: HashMap<(Option<Slot>, Endpoint), LastFed>,
}

/// The stateless session's history of its shared fixtures (see the module
/// docs); shared by the sending threads.
#[derive(Debug)]
pub struct SharedHistory {
    origin: Instant,
    /// The shared fixtures by id.
    slots: HashMap<String, Slot>,
    inner: Mutex<Inner>,
}

impl SharedHistory {
    /// The history of `shared`'s fixtures; receive times count from
    /// `origin`. `None` without fixtures.
    pub fn new(origin: Instant, shared: &HashMap<Slot, Fixture>) -> Option<SharedHistory> {
        if shared.is_empty() {
            return None;
        }
        Some(SharedHistory {
            origin,
            slots: shared.iter().map(|(s, f)| (f.id.clone(), *s)).collect(),
            inner: Mutex::new(Inner {
                histories: Histories::default(),
                followed: HashMap::new(),
                last: HashMap::new(),
            }),
        })
    }

    /// Feeds one answer; returns the rules it broke, with the shared
    /// fixture whose history broke.
    pub fn feed(&self, a: &Answer<'_>) -> Vec<(Slot, Violation)> {
        let ok = a.seen.status.is_some_and(|s| (200..300).contains(&s))
            && a.seen.error.is_none()
            && !a.replay
            && a.req.method == a.req.verb.method();
        if !ok {
            return Vec::new();
        }
        let (slot, endpoint) = match a.req.verb {
            Verb::List if own_page(a.req) => (None, Endpoint::List),
            Verb::List => return Vec::new(),
            verb => match a.req.slot() {
                Some(Slot::FreshRunning) | None => return Vec::new(),
                Some(slot) => (Some(slot), verb.endpoint()),
            },
        };
        let etag = a.seen.header("etag");
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        // Taken under the lock: receive times grow in the order fed.
        let now = Instant::now();
        if let Some(last) = inner.last.get(&(slot, endpoint))
            && last.body == a.seen.body
            && last.etag.as_deref() == etag
            && now.duration_since(last.at) < REPEAT_AFTER
        {
            return Vec::new();
        }
        let late = |inner: &Inner, slot: Slot| {
            inner
                .followed
                .get(&slot)
                .and_then(|f| f.latest)
                .is_some_and(|latest| a.sent_at < latest)
        };
        if let Some(slot) = slot
            && late(&inner, slot)
        {
            return Vec::new();
        }
        let Ok(body) = serde_json::from_slice::<Value>(&a.seen.body) else {
            return Vec::new();
        };
        inner.last.insert(
            (slot, endpoint),
            LastFed {
                etag: etag.map(str::to_string),
                body: a.seen.body.clone(),
                at: now,
            },
        );
        let at_ms = now.duration_since(self.origin).as_millis() as u64;
        let origin = match a.input {
            Some(i) => format!("input {i}"),
            None => "a replayed regression".to_string(),
        };
        let fed = Fed::new(&origin, a.prepared, at_ms, endpoint, etag);
        let Inner {
            histories,
            followed,
            ..
        } = &mut *inner;
        let mut out = Vec::new();
        for op in operations(endpoint, &body) {
            // A list item is followed when it is a shared fixture, shown
            // once on the page, and no read of it that arrived after this
            // request was sent was fed already.
            let op_slot = match slot {
                Some(s) => s,
                None => {
                    let Some(s) = id_of(op).and_then(|id| self.slots.get(id)).copied() else {
                        continue;
                    };
                    let latest = followed.get(&s).and_then(|f| f.latest);
                    if latest.is_some_and(|l| a.sent_at < l || l == now) {
                        continue;
                    }
                    s
                }
            };
            followed.entry(op_slot).or_default().latest = Some(now);
            for b in fed.observe(histories, op) {
                out.push((op_slot, violation(b)));
            }
        }
        out
    }
}

/// True for a list request of the session's own fixtures
/// (`owner_type=install&owner_id=<the session's owner>`).
fn own_page(req: &FuzzRequest) -> bool {
    req.query_param("owner_id") == Some(OWNER_PLACEHOLDER)
        && req.query_param("owner_type") == Some("install")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::samples::{cancelled, running, succeeded};
    use serde_json::json;

    const ID: &str = "op_j572abc123def456";

    fn fixtures() -> HashMap<Slot, Fixture> {
        let f = |id: &str| Fixture {
            id: id.into(),
            etag: None,
        };
        HashMap::from([
            (Slot::Succeeded, f(ID)),
            (Slot::Running, f("op_running0000001")),
        ])
    }

    fn prepared(method: &'static str, url: &str) -> Prepared {
        Prepared {
            method,
            url: url.into(),
            headers: vec![],
            deadline: Duration::from_secs(1),
        }
    }

    fn seen(status: u16, body: &serde_json::Value, etag: Option<&str>) -> Observed {
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        headers.extend(etag.map(|t| ("etag".to_string(), t.to_string())));
        Observed {
            status: Some(status),
            headers,
            body: serde_json::to_vec(body).expect("json"),
            error: None,
            timed_out: false,
            elapsed: Duration::ZERO,
        }
    }

    fn get() -> FuzzRequest {
        FuzzRequest::plain(Verb::Get, Slot::Succeeded)
    }

    fn feed(
        h: &SharedHistory,
        input: u64,
        req: &FuzzRequest,
        body: &serde_json::Value,
        sent_at: Instant,
    ) -> Vec<(Slot, Violation)> {
        let p = prepared("GET", &format!("http://h:1/v1/operations/{ID}?x=1"));
        h.feed(&Answer {
            input: Some(input),
            req,
            prepared: &p,
            seen: &seen(200, body, None),
            sent_at,
            replay: false,
        })
    }

    fn sightings(h: &SharedHistory) -> u64 {
        let inner = h.inner.lock().expect("lock");
        inner.histories.get(ID).map_or(0, |o| o.len())
    }

    #[test]
    fn paths_leave_out_origin_and_query() {
        assert_eq!(
            path_of("http://h:1/v1/operations/x?y=1"),
            "/v1/operations/x"
        );
        assert_eq!(path_of("https://h/v1/operations"), "/v1/operations");
        assert_eq!(path_of("http://h:1"), "");
    }

    #[test]
    fn a_done_fixture_that_changes_breaks_its_history_with_both_sightings() {
        let h = SharedHistory::new(Instant::now(), &fixtures()).expect("fixtures");
        let mut body = succeeded();
        body["id"] = json!(ID);
        assert!(feed(&h, 1, &get(), &body, Instant::now()).is_empty());
        let mut changed = cancelled();
        changed["id"] = json!(ID);
        let out = feed(&h, 2, &get(), &changed, Instant::now());
        let [(slot, v)] = out.as_slice() else {
            panic!("one breach expected: {out:?}");
        };
        assert_eq!(*slot, Slot::Succeeded);
        assert_eq!(v.property, Property::History);
        assert_eq!(v.invariant, "OP-IMMUTABLE-DONE");
        assert!(
            v.actual
                .contains(&format!("(seen: input 1: GET /v1/operations/{ID} at "))
                && v.actual
                    .contains(&format!("; then input 2: GET /v1/operations/{ID} at ")),
            "{}",
            v.actual
        );
    }

    #[test]
    fn late_overlapping_and_repeated_reads_are_not_fed() {
        let h = SharedHistory::new(Instant::now(), &fixtures()).expect("fixtures");
        let mut body = succeeded();
        body["id"] = json!(ID);
        let before = Instant::now();
        assert!(feed(&h, 1, &get(), &body, Instant::now()).is_empty());
        assert_eq!(sightings(&h), 1);
        // Byte-identical within REPEAT_AFTER: nothing new.
        assert!(feed(&h, 2, &get(), &body, Instant::now()).is_empty());
        assert_eq!(sightings(&h), 1);
        // Sent before the last fed read arrived: its place in the target's
        // order is unknown, so even a different body is not a breach.
        let mut older = running();
        older["id"] = json!(ID);
        assert!(feed(&h, 3, &get(), &older, before).is_empty());
        assert_eq!(sightings(&h), 1);
        // Replays, errors, fresh fixtures and other owners' pages: no
        // sighting.
        let p = prepared("GET", &format!("http://h:1/v1/operations/{ID}"));
        let mut cancel = FuzzRequest::plain(Verb::Cancel, Slot::Succeeded);
        cancel.idempotency_key = Some("k".into());
        let answer = |req: &FuzzRequest, status: u16, replay: bool| {
            h.feed(&Answer {
                input: Some(4),
                req,
                prepared: &p,
                seen: &seen(status, &older, None),
                sent_at: Instant::now(),
                replay,
            })
        };
        assert!(answer(&cancel, 200, true).is_empty());
        assert!(answer(&get(), 404, false).is_empty());
        assert!(
            answer(
                &FuzzRequest::plain(Verb::Cancel, Slot::FreshRunning),
                202,
                false
            )
            .is_empty()
        );
        assert!(answer(&FuzzRequest::plain(Verb::List, Slot::Succeeded), 200, false).is_empty());
        assert_eq!(sightings(&h), 1);
        // A read sent after the last one arrived is fed: it may break.
        let out = feed(&h, 5, &get(), &older, Instant::now());
        assert_eq!(
            out.iter()
                .map(|(_, v)| v.invariant.as_str())
                .collect::<Vec<_>>(),
            ["OP-DONE-MONOTONIC"]
        );
    }

    #[test]
    fn own_list_pages_feed_their_shared_items() {
        let h = SharedHistory::new(Instant::now(), &fixtures()).expect("fixtures");
        let mut list = FuzzRequest::plain(Verb::List, Slot::Succeeded);
        list.query = vec![
            ("owner_type".into(), "install".into()),
            ("owner_id".into(), OWNER_PLACEHOLDER.into()),
        ];
        let mut item = succeeded();
        item["id"] = json!(ID);
        item.as_object_mut().map(|o| o.remove("steps"));
        let mut other = succeeded();
        other["id"] = json!("op_someoneelse00001");
        let page = json!({"data": [item, other], "has_more": false, "next_cursor": null});
        let p = prepared("GET", "http://h:1/v1/operations?owner_type=install");
        let out = h.feed(&Answer {
            input: Some(1),
            req: &list,
            prepared: &p,
            seen: &seen(200, &page, None),
            sent_at: Instant::now(),
            replay: false,
        });
        assert!(out.is_empty());
        assert_eq!(sightings(&h), 1);
        let inner = h.inner.lock().expect("lock");
        assert!(inner.histories.get("op_someoneelse00001").is_none());
    }

    #[test]
    fn a_sequence_follows_its_reads_in_order() {
        let mut h = SequenceHistory::new(Instant::now());
        let p = prepared("GET", &format!("http://h:1/v1/operations/{ID}"));
        let mut body = succeeded();
        body["id"] = json!(ID);
        assert!(
            h.feed(0, Endpoint::Get, &p, &seen(200, &body, Some("\"a\"")))
                .is_empty()
        );
        // Not a sighting: an error answer.
        assert!(
            h.feed(1, Endpoint::Get, &p, &seen(404, &json!({}), None))
                .is_empty()
        );
        // The same tag for another representation.
        body["completed_at"] = json!(1_767_000_099);
        let out = h.feed(2, Endpoint::Get, &p, &seen(200, &body, Some("\"a\"")));
        let invariants: Vec<&str> = out.iter().map(|v| v.invariant.as_str()).collect();
        assert!(invariants.contains(&"ETAG-CHANGES"), "{out:?}");
        assert!(
            out.iter().all(|v| v.actual.contains("(seen: step 1: GET ")
                && v.actual.contains("; then step 3: GET ")),
            "{out:?}"
        );
    }
}
