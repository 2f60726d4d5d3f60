//! The in-memory operation store: a map by canonical id, per-workspace and
//! per-owner indexes ordered by a monotonic sequence (newest first = highest
//! sequence; the sequence also breaks ties so the order is stable; a page
//! filtered by owner never scans other owners' operations, so lists stay
//! fast however many operations a long fuzz session creates), and a `Notify` per
//! operation that wakes `:wait` when a cancel is accepted. Locks are held
//! briefly and never across an `.await`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use serde_json::Value;
use tokio::sync::Notify;

use super::lifecycle::{Mutable, Plan};

/// One operation: what never changes, plus its mutable part.
#[derive(Debug)]
pub(crate) struct OpRecord {
    /// Monotonic creation sequence (list order and cursor).
    pub seq: u64,
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
    /// The `metadata` object.
    pub metadata: Value,
    /// The `response` object shown once SUCCEEDED.
    pub response: Value,
    /// Cancel requests and fault-written state.
    pub mutable: Mutex<Mutable>,
    /// Signalled whenever `mutable` changes.
    pub changed: Notify,
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
    pub id: String,
    pub workspace: String,
    pub owner_type: String,
    pub owner_id: String,
    pub plan: Plan,
    pub created: Instant,
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
}

/// The key of an owner in the owner index.
fn owner_key(owner_type: &str, owner_id: &str) -> String {
    format!("{owner_type}\u{0}{owner_id}")
}

/// Every operation the reference knows.
#[derive(Debug, Default)]
pub(crate) struct Store {
    inner: RwLock<Inner>,
    next_seq: AtomicU64,
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
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores a new operation and returns it.
    pub(crate) fn insert(&self, new: NewOp) -> Arc<OpRecord> {
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed) + 1;
        let rec = Arc::new(OpRecord {
            seq,
            id: new.id,
            workspace: new.workspace,
            owner_type: new.owner_type,
            owner_id: new.owner_id,
            plan: new.plan,
            created: new.created,
            metadata: new.metadata,
            response: new.response,
            mutable: Mutex::new(Mutable {
                cancel_settles: true,
                ..Mutable::default()
            }),
            changed: Notify::new(),
        });
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
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
        rec
    }

    /// The operation with this canonical id, in any workspace.
    pub(crate) fn get(&self, canonical_id: &str) -> Option<Arc<OpRecord>> {
        self.read().by_id.get(canonical_id).cloned()
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
            id: super::super::ids::new_op_id(),
            workspace: ws.into(),
            owner_type: "install".into(),
            owner_id: owner.into(),
            plan: Plan::Running,
            created: Instant::now(),
            metadata: Value::Null,
            response: Value::Null,
        }
    }

    #[test]
    fn pages_are_newest_first_and_workspace_scoped() {
        let store = Store::default();
        let a1 = store.insert(new("ws_a", "inst_1"));
        let a2 = store.insert(new("ws_a", "inst_2"));
        let b1 = store.insert(new("ws_b", "inst_1"));
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
}
