//! The in-memory operation store: a map by canonical id, per-workspace and
//! per-owner indexes ordered by a monotonic sequence (newest first = highest
//! sequence; the sequence also breaks ties so the order is stable; a page
//! filtered by owner never scans other owners' operations, so lists stay
//! fast however many operations a long fuzz session creates), and a `Notify` per
//! operation that wakes `:wait` when a cancel is accepted. Locks are held
//! briefly and never across an `.await`.
//!
//! Memory is bounded the way a real service bounds it (digest §6.15):
//! a finished operation is evicted `retention` after it finished, and
//! beyond `max_operations` one of the oldest goes: the least recently read
//! of the [`EVICTION_SAMPLE`] oldest (sampled LRU, as Redis does), so an
//! operation a client keeps using (a fuzz session's shared fixtures)
//! survives a stream of fresh ones, and a fresh one is never evicted before
//! its creator could use it. An evicted id is gone from every index and
//! answers 404 like an unknown one; the caller drops its idempotency keys
//! ([`Evicted`]).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde_json::Value;
use serde_json::value::RawValue;
use tokio::sync::Notify;

use super::lifecycle::{Mutable, Plan};

/// What never changes about an operation, and what it is created from.
#[derive(Debug)]
pub(crate) struct OpFacts {
    /// Canonical id (`op_...`).
    pub id: String,
    /// Owning workspace.
    pub workspace: String,
    /// Documented owner type.
    pub owner_type: String,
    /// Prefixed owner id.
    pub owner_id: String,
    /// How it evolves.
    pub plan: Plan,
    /// Creation instant on the clock.
    pub created: Instant,
}

/// One operation: what never changes, plus its mutable part.
#[derive(Debug)]
pub(crate) struct OpRecord {
    /// Monotonic creation sequence (list order and cursor).
    pub seq: u64,
    /// Id, owner, plan and creation instant (read through `Deref`).
    pub facts: OpFacts,
    /// The `metadata` object, as compact JSON (a parsed `Value` with
    /// ordered maps costs several times the memory, times every stored
    /// operation).
    pub metadata: Box<RawValue>,
    /// The `response` object shown once SUCCEEDED, as compact JSON.
    pub response: Box<RawValue>,
    /// Cancel requests and fault-written state.
    pub mutable: Mutex<Mutable>,
    /// Signalled whenever `mutable` changes.
    pub changed: Notify,
    /// When it was last created or read (nanoseconds since the store's
    /// epoch), for the count eviction.
    last_read: AtomicU64,
}

impl std::ops::Deref for OpRecord {
    type Target = OpFacts;

    fn deref(&self) -> &OpFacts {
        &self.facts
    }
}

impl OpRecord {
    /// A copy of the mutable part (the lock is held only for the copy).
    pub(crate) fn mutable_copy(&self) -> Mutable {
        match self.mutable.lock() {
            Ok(m) => m.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Runs `f` on the mutable part under its lock.
    pub(crate) fn with_mutable<R>(&self, f: impl FnOnce(&mut Mutable) -> R) -> R {
        match self.mutable.lock() {
            Ok(mut m) => f(&mut m),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }
}

/// What a new operation is made of.
#[derive(Debug)]
pub(crate) struct NewOp {
    pub facts: OpFacts,
    pub metadata: Value,
    pub response: Value,
}

#[derive(Debug, Default)]
struct Inner {
    by_id: HashMap<String, Arc<OpRecord>>,
    by_workspace: HashMap<String, BTreeMap<u64, Arc<OpRecord>>>,
    /// Keyed by [`owner_key`].
    by_owner: HashMap<String, BTreeMap<u64, Arc<OpRecord>>>,
    all: BTreeMap<u64, Arc<OpRecord>>,
    /// Sequences in insertion order; may hold sequences already evicted by
    /// retention (skipped, compacted).
    queue: VecDeque<u64>,
    /// (eviction instant, sequence) of operations due to expire.
    expiry: BTreeSet<(Instant, u64)>,
    /// The eviction instant of each sequence in `expiry`.
    deadline_of: HashMap<u64, Instant>,
}

impl Inner {
    /// Takes `seq` out of every index; its id when it was there.
    fn remove(&mut self, seq: u64) -> Option<String> {
        let rec = self.all.remove(&seq)?;
        self.by_id.remove(&rec.id);
        if let Some(map) = self.by_workspace.get_mut(&rec.workspace) {
            map.remove(&seq);
            if map.is_empty() {
                self.by_workspace.remove(&rec.workspace);
            }
        }
        let owner = owner_key(&rec.owner_type, &rec.owner_id);
        if let Some(map) = self.by_owner.get_mut(&owner) {
            map.remove(&seq);
            if map.is_empty() {
                self.by_owner.remove(&owner);
            }
        }
        if let Some(at) = self.deadline_of.remove(&seq) {
            self.expiry.remove(&(at, seq));
        }
        Some(rec.id.clone())
    }
}

/// Ids of evicted operations (their idempotency keys go too).
pub(crate) type Evicted = Vec<String>;

/// `value` as compact JSON text.
fn compact(value: &Value) -> Box<RawValue> {
    serde_json::value::to_raw_value(value).unwrap_or_else(|_| RawValue::NULL.to_owned())
}

/// The key of an owner in the owner index.
fn owner_key(owner_type: &str, owner_id: &str) -> String {
    format!("{owner_type}\u{0}{owner_id}")
}

/// How many of the oldest operations the count eviction compares.
pub(crate) const EVICTION_SAMPLE: usize = 16;

/// Every operation the reference knows.
#[derive(Debug)]
pub(crate) struct Store {
    inner: RwLock<Inner>,
    next_seq: AtomicU64,
    max_operations: usize,
    retention: Duration,
    epoch: Instant,
}

impl Default for Store {
    fn default() -> Store {
        Store::new(usize::MAX, Duration::MAX)
    }
}

/// Which operations a list page draws from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope<'a> {
    /// One workspace (the contract).
    Workspace(&'a str),
    /// Every workspace (fault `list-cross-workspace`).
    All,
}

impl Store {
    /// A store keeping at most `max_operations` (at least 1), each finished
    /// one for `retention` after it finished.
    pub(crate) fn new(max_operations: usize, retention: Duration) -> Store {
        Store {
            inner: RwLock::default(),
            next_seq: AtomicU64::new(0),
            max_operations: max_operations.max(1),
            retention,
            epoch: Instant::now(),
        }
    }

    /// `at` as nanoseconds since the epoch (saturating).
    fn stamp(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Evicts every operation whose retention ended by `now`.
    pub(crate) fn sweep(&self, now: Instant) -> Evicted {
        // The common case (nothing due) only takes the read lock.
        let due = |inner: &Inner| inner.expiry.first().is_some_and(|(at, _)| *at <= now);
        if !due(&self.read()) {
            return Vec::new();
        }
        let mut inner = self.write();
        let mut gone = Vec::new();
        while due(&inner) {
            let Some((_, seq)) = inner.expiry.pop_first() else {
                break;
            };
            inner.deadline_of.remove(&seq);
            gone.extend(inner.remove(seq));
        }
        gone
    }

    /// Schedules the eviction of `rec`, finished (or due to finish) at
    /// `finished`, `retention` later; an earlier schedule stands.
    pub(crate) fn finishes_at(&self, rec: &OpRecord, finished: Instant) {
        let Some(at) = finished.checked_add(self.retention) else {
            return; // retention "forever"
        };
        let mut inner = self.write();
        if !inner.all.contains_key(&rec.seq) {
            return; // already evicted
        }
        match inner.deadline_of.get(&rec.seq).copied() {
            Some(old) if old <= at => {}
            old => {
                if let Some(old) = old {
                    inner.expiry.remove(&(old, rec.seq));
                }
                inner.expiry.insert((at, rec.seq));
                inner.deadline_of.insert(rec.seq, at);
            }
        }
    }

    /// How many operations are stored.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.read().all.len()
    }

    /// Stores a new operation and returns it, with the ids the count bound
    /// evicted to make room.
    pub(crate) fn insert(&self, new: NewOp) -> (Arc<OpRecord>, Evicted) {
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed) + 1;
        let rec = Arc::new(OpRecord {
            seq,
            facts: new.facts,
            metadata: compact(&new.metadata),
            response: compact(&new.response),
            mutable: Mutex::new(Mutable {
                cancel_settles: true,
                ..Mutable::default()
            }),
            changed: Notify::new(),
            last_read: AtomicU64::new(self.stamp(Instant::now())),
        });
        let mut inner = self.write();
        inner.by_id.insert(rec.id.clone(), Arc::clone(&rec));
        inner
            .by_workspace
            .entry(rec.workspace.clone())
            .or_default()
            .insert(seq, Arc::clone(&rec));
        inner
            .by_owner
            .entry(owner_key(&rec.owner_type, &rec.owner_id))
            .or_default()
            .insert(seq, Arc::clone(&rec));
        inner.all.insert(seq, Arc::clone(&rec));
        inner.queue.push_back(seq);
        let evicted = self.evict_over_count(&mut inner);
        (rec, evicted)
    }

    /// Evicts operations beyond `max_operations`: each time the least
    /// recently created or read of the [`EVICTION_SAMPLE`] oldest.
    fn evict_over_count(&self, inner: &mut Inner) -> Evicted {
        let mut gone = Vec::new();
        while inner.all.len() > self.max_operations {
            // Sequences retention already evicted leave the front first.
            while inner
                .queue
                .front()
                .is_some_and(|seq| !inner.all.contains_key(seq))
            {
                inner.queue.pop_front();
            }
            let victim = inner
                .queue
                .iter()
                .take(EVICTION_SAMPLE)
                .enumerate()
                .filter_map(|(i, seq)| {
                    let rec = inner.all.get(seq)?;
                    Some((rec.last_read.load(Ordering::Relaxed), i))
                })
                .min();
            let Some((_, i)) = victim else {
                break;
            };
            if let Some(seq) = inner.queue.remove(i) {
                gone.extend(inner.remove(seq));
            }
        }
        // Retention leaves evicted sequences in the queue: compact now and
        // then so it stays proportional to what is stored.
        if inner.queue.len() > inner.all.len().saturating_mul(2).max(1024) {
            let Inner { queue, all, .. } = inner;
            queue.retain(|seq| all.contains_key(seq));
        }
        gone
    }

    /// The operation with this canonical id, in any workspace (marked as
    /// read now, for the count eviction).
    pub(crate) fn get(&self, canonical_id: &str) -> Option<Arc<OpRecord>> {
        let rec = self.read().by_id.get(canonical_id).cloned()?;
        rec.last_read
            .fetch_max(self.stamp(Instant::now()), Ordering::Relaxed);
        Some(rec)
    }

    /// Up to `take` operations of `scope` with a sequence below `before`,
    /// newest first, of the owner `(owner_type, owner_id)` when one is
    /// given.
    pub(crate) fn page(
        &self,
        scope: Scope<'_>,
        before: Option<u64>,
        take: usize,
        owner: Option<(&str, &str)>,
    ) -> Vec<Arc<OpRecord>> {
        let inner = self.read();
        let (map, ws) = match (owner, scope) {
            (Some((t, id)), _) => match inner.by_owner.get(&owner_key(t, id)) {
                Some(map) => (map, scope),
                None => return Vec::new(),
            },
            (None, Scope::Workspace(ws)) => match inner.by_workspace.get(ws) {
                // The workspace index holds only that workspace.
                Some(map) => (map, Scope::All),
                None => return Vec::new(),
            },
            (None, Scope::All) => (&inner.all, Scope::All),
        };
        map.range(..before.unwrap_or(u64::MAX))
            .rev()
            .map(|(_, rec)| rec)
            .filter(|rec| match ws {
                Scope::Workspace(ws) => rec.workspace == ws,
                Scope::All => true,
            })
            .take(take)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(ws: &str, owner: &str) -> NewOp {
        NewOp {
            facts: OpFacts {
                id: super::super::ids::new_op_id(),
                workspace: ws.into(),
                owner_type: "install".into(),
                owner_id: owner.into(),
                plan: Plan::Running,
                created: Instant::now(),
            },
            metadata: Value::Null,
            response: Value::Null,
        }
    }

    #[test]
    fn pages_are_newest_first_and_workspace_scoped() {
        let store = Store::default();
        let a1 = store.insert(new("ws_a", "inst_1")).0;
        let a2 = store.insert(new("ws_a", "inst_2")).0;
        let b1 = store.insert(new("ws_b", "inst_1")).0;
        let page = store.page(Scope::Workspace("ws_a"), None, 10, None);
        assert_eq!(
            page.iter().map(|r| r.seq).collect::<Vec<_>>(),
            vec![a2.seq, a1.seq]
        );
        let next = store.page(Scope::Workspace("ws_a"), Some(a2.seq), 10, None);
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].id, a1.id);
        assert_eq!(store.page(Scope::All, None, 10, None).len(), 3);
        let filtered = store.page(
            Scope::Workspace("ws_a"),
            None,
            10,
            Some(("install", "inst_1")),
        );
        assert_eq!(filtered.len(), 1);
        assert_eq!(filtered[0].id, a1.id);
        // The owner index spans workspaces; the scope still applies.
        let everywhere = store.page(Scope::All, None, 10, Some(("install", "inst_1")));
        assert_eq!(
            everywhere.iter().map(|r| r.seq).collect::<Vec<_>>(),
            vec![b1.seq, a1.seq]
        );
        let after = store.page(Scope::All, Some(b1.seq), 10, Some(("install", "inst_1")));
        assert_eq!(after.len(), 1);
        assert!(
            store
                .page(Scope::All, None, 10, Some(("machine", "inst_1")))
                .is_empty()
        );
        assert!(store.get(&b1.id).is_some());
        assert!(store.get("op_missing").is_none());
        assert!(
            store
                .page(Scope::Workspace("ws_z"), None, 10, None)
                .is_empty()
        );
    }

    #[test]
    fn count_eviction_takes_the_least_recently_read_of_the_oldest() {
        let store = Store::new(3, Duration::MAX);
        let ops: Vec<_> = (0..3)
            .map(|_| store.insert(new("ws_a", "inst_1")).0)
            .collect();
        let (_, gone) = store.insert(new("ws_a", "inst_1"));
        assert_eq!(gone, vec![ops[0].id.clone()]);
        assert!(store.get(&ops[0].id).is_none());
        // Reading ops[1] again saves it; ops[2] is the least recently read.
        assert!(store.get(&ops[1].id).is_some());
        let (fresh, gone) = store.insert(new("ws_a", "inst_1"));
        assert_eq!(gone, vec![ops[2].id.clone()]);
        assert_eq!(store.len(), 3);
        assert!(store.get(&fresh.id).is_some());
        // Every index forgot them.
        let page = store.page(
            Scope::Workspace("ws_a"),
            None,
            10,
            Some(("install", "inst_1")),
        );
        assert_eq!(page.len(), 3);
        assert!(page.iter().all(|r| r.id != ops[0].id && r.id != ops[2].id));
    }

    #[test]
    fn an_operation_in_use_survives_a_stream_of_fresh_ones() {
        let store = Store::new(100, Duration::MAX);
        let (shared, _) = store.insert(new("ws_a", "inst_shared"));
        for i in 0..10_000 {
            let (fresh, gone) = store.insert(new("ws_a", "inst_fresh"));
            assert!(
                store.get(&fresh.id).is_some(),
                "a new one is never the victim"
            );
            assert!(!gone.contains(&shared.id), "evicted after {i}");
            if i % 10 == 0 {
                assert!(store.get(&shared.id).is_some());
            }
        }
        assert_eq!(store.len(), 100);
    }

    #[test]
    fn finished_operations_are_evicted_after_retention() {
        let store = Store::new(100, Duration::from_millis(50));
        let (a, _) = store.insert(new("ws_a", "inst_only_a"));
        let (b, _) = store.insert(new("ws_a", "inst_b"));
        let t0 = Instant::now();
        store.finishes_at(&a, t0);
        store.finishes_at(&a, t0 + Duration::from_secs(5)); // an earlier schedule stands
        assert!(store.sweep(t0 + Duration::from_millis(49)).is_empty());
        assert_eq!(
            store.sweep(t0 + Duration::from_millis(50)),
            vec![a.id.clone()]
        );
        assert!(store.get(&a.id).is_none());
        assert!(store.get(&b.id).is_some());
        assert!(
            store
                .page(Scope::All, None, 10, Some(("install", "inst_only_a")))
                .is_empty()
        );
        // Scheduling an evicted operation is a no-op.
        store.finishes_at(&a, t0);
        assert!(store.sweep(t0 + Duration::from_secs(60)).is_empty());
    }

    #[test]
    fn the_queue_stays_proportional_to_what_is_stored() {
        let store = Store::new(10, Duration::ZERO);
        let t0 = Instant::now();
        for _ in 0..5000 {
            let (rec, _) = store.insert(new("ws_a", "inst_q"));
            store.finishes_at(&rec, t0);
            store.sweep(t0);
        }
        assert_eq!(store.len(), 0);
        assert!(store.read().queue.len() <= 1025);
        assert!(store.read().by_owner.is_empty() && store.read().by_workspace.is_empty());
    }
}
