//! The sequential specification of ONE operation, for the linearizability
//! checker: what each call may answer and how it changes the operation, if
//! calls take effect one at a time.
//!
//! State: the phase (RUNNING → CANCELLING once a cancel is accepted →
//! terminal), whether a cancel was accepted (the transition marker: bodies
//! list one `cancel` step per transition), the current ETag once seen and
//! every ETag of an earlier revision, the terminal representation once seen
//! (done operations are immutable), and each Idempotency-Key with the
//! request it was first used for and its first answer.
//!
//! The operation also moves by itself, between calls: it may progress (a new
//! revision, so a new ETag) while in flight, a cancel settles it into
//! CANCELLED, and it may finish naturally (SUCCEEDED or FAILED, even after an
//! accepted cancel: digest §3). What it may do is a [`Lifecycle`].
//!
//! The model is nondeterministic (an unknown outcome, an ETag not seen yet,
//! a move by itself), so a step maps a state to a set of states; the checker
//! tracks sets (Porcupine's `NondeterministicModel`). Accepted statuses come
//! from the catalogue's single-request invariants in the run's [`Mode`].

use crate::contract::{self, Mode};

use super::history::{Call, CallKind, History, OpState, Outcome, Target, View, fnv1a};

/// What the operation may do without a client's call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifecycle {
    /// Its representation (and so its ETag) may change while in flight.
    pub progresses: bool,
    /// It may reach SUCCEEDED or FAILED by itself, cancelled or not.
    pub completes: bool,
}

impl Lifecycle {
    /// A server that may do anything the contract allows (a live target).
    pub const ANY: Lifecycle = Lifecycle {
        progresses: true,
        completes: true,
    };
    /// An operation that only moves when cancelled (the frozen reference).
    pub const FROZEN: Lifecycle = Lifecycle {
        progresses: false,
        completes: false,
    };
}

/// The accepted statuses of each kind of answer, in one mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statuses {
    /// Cancel of a RUNNING operation (CANCEL-202-ENVELOPE).
    pub cancel_running: Vec<u16>,
    /// Cancel while the first still drains (CANCEL-AGAIN-ACCEPTED).
    pub cancel_again: Vec<u16>,
    /// Cancel of a done operation (CANCEL-TERMINAL-422).
    pub cancel_terminal: Vec<u16>,
    /// Stale If-Match, in flight (CANCEL-IFMATCH-STALE).
    pub stale_running: Vec<u16>,
    /// Stale If-Match, done (CANCEL-IFMATCH-PRECEDENCE).
    pub stale_terminal: Vec<u16>,
    /// Current If-Match, in flight (CANCEL-IFMATCH-CURRENT).
    pub if_match_current: Vec<u16>,
    /// Replay of a 2xx (CANCEL-REPLAY-IDEMPOTENT).
    pub replay: Vec<u16>,
    /// The key of another request (CANCEL-KEY-MISUSE).
    pub key_misuse: Vec<u16>,
    /// The in-flight conflict: CANCEL-KEY-CONCURRENT's answers that are
    /// not an accepted cancel or a replay.
    pub key_in_flight: Vec<u16>,
    /// get and `:wait` (GET-200, WAIT-200-ALWAYS).
    pub read: Vec<u16>,
}

impl Statuses {
    /// The sets of the catalogue in `mode`.
    pub fn from_catalogue(mode: Mode) -> Statuses {
        let set = |id: &str| -> Vec<u16> {
            contract::find(id)
                .and_then(|inv| inv.statuses)
                .map(|s| s.accepted(mode))
                .unwrap_or_default()
        };
        let cancel_running = set("CANCEL-202-ENVELOPE");
        let replay = set("CANCEL-REPLAY-IDEMPOTENT");
        let key_in_flight = set("CANCEL-KEY-CONCURRENT")
            .into_iter()
            .filter(|s| !cancel_running.contains(s) && !replay.contains(s))
            .collect();
        let mut read = set("GET-200");
        read.extend(set("WAIT-200-ALWAYS"));
        read.sort_unstable();
        read.dedup();
        Statuses {
            cancel_again: set("CANCEL-AGAIN-ACCEPTED"),
            cancel_terminal: set("CANCEL-TERMINAL-422"),
            stale_running: set("CANCEL-IFMATCH-STALE"),
            stale_terminal: set("CANCEL-IFMATCH-PRECEDENCE"),
            if_match_current: set("CANCEL-IFMATCH-CURRENT"),
            key_misuse: set("CANCEL-KEY-MISUSE"),
            cancel_running,
            replay,
            key_in_flight,
            read,
        }
    }
}

/// The specification: statuses, mode and lifecycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// Strict mode demands byte-identical replays; lenient mode also
    /// accepts a replay showing the current state (AIP-155).
    pub mode: Mode,
    /// Accepted statuses.
    pub statuses: Statuses,
    /// What the operation may do by itself.
    pub lifecycle: Lifecycle,
}

impl Spec {
    /// The specification in `mode` for an operation living `lifecycle`.
    pub fn new(mode: Mode, lifecycle: Lifecycle) -> Spec {
        Spec {
            mode,
            statuses: Statuses::from_catalogue(mode),
            lifecycle,
        }
    }
}

/// A history the model cannot hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// More distinct entity-tags than the state's bitmask holds.
    #[error("the history has more than {MAX_TAGS} distinct entity-tags")]
    TooManyTags,
    /// More distinct keys or requests than the model numbers.
    #[error("the history has more than {} distinct idempotency keys", u16::MAX)]
    TooManyKeys,
}

/// Most distinct entity-tags one history may carry (a u128 of stale ones).
pub const MAX_TAGS: usize = 128;

/// A phase of the operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Phase {
    Running,
    /// A cancel was accepted; not done yet.
    Cancelling,
    Done(OpState),
}

/// The first answer recorded under a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Recorded {
    /// Status and body hash.
    Known { status: u16, body: u64 },
    /// Only the status (the client lost the rest).
    Status(u16),
    /// Nothing seen: one of the statuses of this kind of answer.
    Class(Class),
}

/// A kind of answer, for an answer nobody saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Class {
    Accepted,
    Again,
    Terminal,
    /// A cancel of another operation: anything but a 5xx.
    Any,
}

/// Which other calls with the same key overlap a call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Overlap {
    /// At least one.
    pub same_key: bool,
    /// At least one sent for another request (another If-Match, another
    /// operation).
    pub other_request: bool,
}

impl Overlap {
    /// No other call with the key overlaps it.
    pub(crate) const NONE: Overlap = Overlap {
        same_key: false,
        other_request: false,
    };
}

/// A key and the request it was first used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct KeyRec {
    key: u16,
    request: u32,
    answer: Recorded,
}

/// One state of the model.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct MState {
    phase: Phase,
    /// A cancel was accepted (one transition).
    accepted: bool,
    /// The current revision's tag, once seen.
    tag: Option<u8>,
    /// Tags of earlier revisions (bit i: tag i).
    stale: u128,
    /// Hash of the terminal representation, once seen.
    seal: Option<u64>,
    /// Keys, sorted by key.
    keys: Vec<KeyRec>,
}

impl MState {
    fn key(&self, key: u16) -> Option<&KeyRec> {
        self.keys
            .binary_search_by_key(&key, |r| r.key)
            .ok()
            .and_then(|i| self.keys.get(i))
    }

    fn record(&mut self, rec: KeyRec) {
        match self.keys.binary_search_by_key(&rec.key, |r| r.key) {
            Ok(i) => self.keys[i] = rec,
            Err(i) => self.keys.insert(i, rec),
        }
    }

    /// A new revision: the current tag becomes stale.
    fn new_revision(&mut self) {
        if let Some(t) = self.tag.take() {
            self.stale |= 1u128 << t;
        }
    }
}

/// An If-Match as the model reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum IfMatch {
    Absent,
    /// `*`.
    Any,
    /// A list of tags; None: a member that can never match (weak, or not an
    /// entity-tag).
    Tags(Vec<Option<u8>>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Cancel {
        key: Option<u16>,
        request: u32,
        main: bool,
        if_match: IfMatch,
    },
    Read,
}

/// What came back, compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BodyObs {
    view: Option<View>,
    view_hash: u64,
    etag: Option<u8>,
    hash: u64,
}

/// One call, compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ModelCall {
    kind: Kind,
    key_name: Option<u16>,
    status: Option<u16>,
    body: Option<BodyObs>,
}

/// A history compiled against a [`Spec`]: interned tags, keys and
/// requests, and the initial state.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    spec: Spec,
    calls: Vec<ModelCall>,
    init: MState,
    /// `cancel` steps the operation listed before any call.
    base_steps: u8,
}

#[derive(Default)]
struct Interner {
    names: Vec<String>,
}

impl Interner {
    fn id(&mut self, name: &str) -> usize {
        match self.names.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                self.names.push(name.to_string());
                self.names.len() - 1
            }
        }
    }
}

/// The opaque part of an entity-tag: `"x"` and `x` are `x`; a weak tag
/// keeps its `W/` so it differs from the strong one.
fn opaque(tag: &str) -> String {
    let t = tag.trim();
    let (weak, rest) = match t.strip_prefix("W/") {
        Some(r) => (true, r),
        None => (false, t),
    };
    let inner = rest
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(rest);
    if weak {
        format!("W/{inner}")
    } else {
        inner.to_string()
    }
}

impl Spec {
    /// Compiles `history` for the checker.
    pub(crate) fn compile(&self, history: &History) -> Result<Compiled, ModelError> {
        let mut tags = Interner::default();
        let mut keys = Interner::default();
        let mut requests = Interner::default();
        let init_tag = match &history.initial.etag {
            Some(t) => Some(tag_id(t, &mut tags)?),
            None => None,
        };
        let mut calls = Vec::with_capacity(history.calls.len());
        for call in &history.calls {
            calls.push(compile_call(call, &mut tags, &mut keys, &mut requests)?);
        }
        let view = history.initial.view.as_ref();
        let phase = match view.map(|v| v.state) {
            Some(s) if s.is_terminal() => Phase::Done(s),
            _ => Phase::Running,
        };
        let seal = view.filter(|v| v.state.is_terminal()).map(view_hash);
        Ok(Compiled {
            spec: self.clone(),
            calls,
            init: MState {
                phase,
                accepted: false,
                tag: init_tag,
                stale: 0,
                seal,
                keys: Vec::new(),
            },
            base_steps: view.and_then(|v| v.cancel_steps).unwrap_or(0),
        })
    }
}

/// The id of an entity-tag (at most [`MAX_TAGS`] of them).
fn tag_id(t: &str, tags: &mut Interner) -> Result<u8, ModelError> {
    let id = tags.id(&opaque(t));
    u8::try_from(id)
        .ok()
        .filter(|i| usize::from(*i) < MAX_TAGS)
        .ok_or(ModelError::TooManyTags)
}

fn compile_call(
    call: &Call,
    tags: &mut Interner,
    keys: &mut Interner,
    requests: &mut Interner,
) -> Result<ModelCall, ModelError> {
    let small = |id: usize| u16::try_from(id).map_err(|_| ModelError::TooManyKeys);
    let (kind, key_name) = match &call.kind {
        CallKind::Get | CallKind::Wait => (Kind::Read, None),
        CallKind::Cancel {
            key,
            if_match,
            target,
        } => {
            let key = match key {
                Some(k) => Some(small(keys.id(k))?),
                None => None,
            };
            let target_name = match target {
                Target::Main => String::new(),
                Target::Other(id) => id.clone(),
            };
            let raw_if_match = if_match.as_deref().map(str::trim).unwrap_or("\u{0}");
            let request = u32::from(small(
                requests.id(&format!("{target_name}\u{0}{raw_if_match}")),
            )?);
            let if_match = match if_match.as_deref().map(str::trim) {
                None => IfMatch::Absent,
                Some("*") => IfMatch::Any,
                Some(list) => {
                    let mut members = Vec::new();
                    for m in list.split(',').map(str::trim).filter(|m| !m.is_empty()) {
                        if m.starts_with("W/") {
                            // Strong comparison: a weak tag never matches.
                            members.push(None);
                        } else {
                            members.push(Some(tag_id(m, tags)?));
                        }
                    }
                    IfMatch::Tags(members)
                }
            };
            (
                Kind::Cancel {
                    key,
                    request,
                    main: *target == Target::Main,
                    if_match,
                },
                key,
            )
        }
    };
    let (status, body) = match &call.outcome {
        Outcome::Lost { status, .. } => (*status, None),
        Outcome::Answered(a) => {
            let etag = match &a.etag {
                Some(t) => Some(tag_id(t, tags)?),
                None => None,
            };
            (
                Some(a.status),
                Some(BodyObs {
                    view_hash: a.view.as_ref().map(view_hash).unwrap_or(0),
                    view: a.view.clone(),
                    etag,
                    hash: a.body_hash,
                }),
            )
        }
    };
    Ok(ModelCall {
        kind,
        key_name,
        status,
        body,
    })
}

fn view_hash(v: &View) -> u64 {
    fnv1a(format!("{v:?}").as_bytes())
}

impl Compiled {
    /// The state before any call.
    pub(crate) fn initial(&self) -> MState {
        self.init.clone()
    }

    /// How many calls.
    pub(crate) fn len(&self) -> usize {
        self.calls.len()
    }

    /// The key id of call `i`, if it is a cancel with a key.
    pub(crate) fn key_of(&self, i: usize) -> Option<u16> {
        self.calls.get(i).and_then(|c| c.key_name)
    }

    /// The request id of call `i`, if it is a cancel (same key, same
    /// request: a retry; same key, another request: key misuse).
    pub(crate) fn request_of(&self, i: usize) -> Option<u32> {
        match self.calls.get(i).map(|c| &c.kind) {
            Some(Kind::Cancel { request, .. }) => Some(*request),
            _ => None,
        }
    }

    /// True when call `i` is a read (get or `:wait`).
    pub(crate) fn is_read(&self, i: usize) -> bool {
        self.calls.get(i).is_some_and(|c| c.kind == Kind::Read)
    }

    /// Every state `s` may reach by itself (including `s`).
    fn closure(&self, s: &MState) -> Vec<MState> {
        let life = self.spec.lifecycle;
        let mut out = vec![s.clone()];
        let finish = |t: OpState| {
            let mut d = s.clone();
            d.new_revision();
            d.phase = Phase::Done(t);
            d.seal = None;
            d
        };
        match s.phase {
            Phase::Done(_) => {}
            Phase::Running | Phase::Cancelling => {
                if life.progresses {
                    let mut p = s.clone();
                    p.new_revision();
                    out.push(p);
                }
                if s.phase == Phase::Cancelling {
                    out.push(finish(OpState::Cancelled));
                }
                if life.completes {
                    out.push(finish(OpState::Succeeded));
                    out.push(finish(OpState::Failed));
                }
            }
        }
        out
    }

    /// The states after call `i` from any state of `set`, each first moved
    /// by itself as far as it may. `forgotten`: the call's times and answer
    /// are treated as unknown (shrinking). `concurrent`: which other calls
    /// with the same key overlap it.
    pub(crate) fn step(
        &self,
        set: &[MState],
        i: usize,
        forgotten: bool,
        concurrent: Overlap,
    ) -> Vec<MState> {
        let Some(call) = self.calls.get(i) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for s in set {
            for c in self.closure(s) {
                self.apply(&c, call, forgotten, concurrent, &mut out);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn apply(
        &self,
        s: &MState,
        call: &ModelCall,
        forgotten: bool,
        concurrent: Overlap,
        out: &mut Vec<MState>,
    ) {
        // A 5xx tells nothing of the effect: like a lost answer.
        let status = call.status.filter(|st| *st < 500 && !forgotten);
        let body = call.body.as_ref().filter(|_| status.is_some());
        let st = &self.spec.statuses;
        let allowed = |set: &[u16]| status.is_none_or(|x| set.contains(&x));
        match &call.kind {
            Kind::Read => {
                if status.is_none() {
                    out.push(s.clone());
                } else if allowed(&st.read) {
                    match body {
                        Some(b) => out.extend(self.observe(s, b)),
                        None => out.push(s.clone()),
                    }
                }
            }
            Kind::Cancel {
                key,
                request,
                main,
                if_match,
            } => {
                if status.is_none() {
                    // It may never have been processed.
                    out.push(s.clone());
                }
                if let Some(k) = key {
                    if let Some(rec) = s.key(*k) {
                        if rec.request == *request {
                            if concurrent.same_key
                                && status.is_some_and(|x| st.key_in_flight.contains(&x))
                            {
                                // The first request with the key took
                                // effect but is still being answered: a
                                // retry overlapping it may get the
                                // in-flight conflict, and nothing happens.
                                out.push(s.clone());
                            }
                            self.replay(s, *rec, status, body, out);
                        } else if allowed(&st.key_misuse) {
                            out.push(s.clone());
                        }
                        return;
                    }
                    if concurrent.same_key && status.is_some_and(|x| st.key_in_flight.contains(&x))
                    {
                        // The in-flight conflict: nothing happens.
                        out.push(s.clone());
                    } else if concurrent.other_request
                        && status.is_some_and(|x| st.key_misuse.contains(&x))
                    {
                        // The key is in flight for another request: key
                        // misuse, and nothing happens (the first request
                        // may still fail and leave the key unbound).
                        out.push(s.clone());
                    }
                }
                let mut fresh = Vec::new();
                self.fresh(s, *main, if_match, status, body, &mut fresh);
                for (mut n, class) in fresh {
                    if let (Some(k), Some(class)) = (key, class) {
                        let answer = match (status, body) {
                            (Some(x), Some(b)) => Recorded::Known {
                                status: x,
                                body: b.hash,
                            },
                            (Some(x), None) => Recorded::Status(x),
                            (None, _) => Recorded::Class(class),
                        };
                        n.record(KeyRec {
                            key: *k,
                            request: *request,
                            answer,
                        });
                    }
                    out.push(n);
                }
            }
        }
    }

    /// A cancel whose key (if any) is new: the states after it, each with
    /// the kind of answer a server records under the key (None: not
    /// recorded, e.g. a stale If-Match).
    fn fresh(
        &self,
        s: &MState,
        main: bool,
        if_match: &IfMatch,
        status: Option<u16>,
        body: Option<&BodyObs>,
        out: &mut Vec<(MState, Option<Class>)>,
    ) {
        let st = &self.spec.statuses;
        let allowed = |set: &[u16]| status.is_none_or(|x| set.contains(&x));
        if !main {
            // Another operation: outside this model.
            out.push((s.clone(), Some(Class::Any)));
            return;
        }
        for (matched, s1) in self.if_match(s, if_match) {
            match (s1.phase, matched) {
                (Phase::Done(_), _) => {
                    let set = if matched {
                        &st.cancel_terminal
                    } else {
                        &st.stale_terminal
                    };
                    if allowed(set) {
                        let recorded = status.is_none_or(|x| st.cancel_terminal.contains(&x));
                        out.push((s1, recorded.then_some(Class::Terminal)));
                    }
                }
                (Phase::Running, true) => {
                    let set = if *if_match == IfMatch::Absent {
                        &st.cancel_running
                    } else {
                        &st.if_match_current
                    };
                    if !allowed(set) {
                        continue;
                    }
                    let mut s2 = s1;
                    s2.phase = Phase::Cancelling;
                    s2.accepted = true;
                    s2.new_revision();
                    match body {
                        // The answer shows the operation after the cancel
                        // (or after it settled at once).
                        Some(b) if b.view.is_some() => {
                            for s3 in self.closure(&s2) {
                                if let Some(n) = self.observe(&s3, b) {
                                    out.push((n, Some(Class::Accepted)));
                                }
                            }
                        }
                        _ => out.push((s2, Some(Class::Accepted))),
                    }
                }
                (Phase::Cancelling, true) => {
                    if !allowed(&st.cancel_again) {
                        continue;
                    }
                    match body {
                        Some(b) if b.view.is_some() => {
                            if let Some(n) = self.observe(&s1, b) {
                                out.push((n, Some(Class::Again)));
                            }
                        }
                        _ => out.push((s1, Some(Class::Again))),
                    }
                }
                (Phase::Running | Phase::Cancelling, false) => {
                    if allowed(&st.stale_running) {
                        out.push((s1, None));
                    }
                }
            }
        }
    }

    /// Whether `if_match` holds in `s`: (matched, the state with what that
    /// teaches about tags).
    fn if_match(&self, s: &MState, if_match: &IfMatch) -> Vec<(bool, MState)> {
        let members = match if_match {
            IfMatch::Absent | IfMatch::Any => return vec![(true, s.clone())],
            IfMatch::Tags(m) => m,
        };
        let listed: Vec<u8> = members.iter().flatten().copied().collect();
        if s.tag.is_some_and(|t| listed.contains(&t)) {
            return vec![(true, s.clone())];
        }
        // Not matched: the listed tags belong to other revisions. A client
        // only sends a tag it was served, so they are earlier ones.
        let mut stale = s.clone();
        for t in &listed {
            if Some(*t) != s.tag {
                stale.stale |= 1u128 << t;
            }
        }
        let mut out = vec![(false, stale)];
        if s.tag.is_none() {
            // The current tag is not known yet: any listed tag that is not
            // an earlier one may be it.
            for t in listed {
                if s.stale & (1u128 << t) == 0 {
                    let mut m = s.clone();
                    m.tag = Some(t);
                    out.push((true, m));
                }
            }
        }
        out
    }

    /// A replay of `rec`'s first request.
    fn replay(
        &self,
        s: &MState,
        rec: KeyRec,
        status: Option<u16>,
        body: Option<&BodyObs>,
        out: &mut Vec<MState>,
    ) {
        let Some(x) = status else {
            out.push(s.clone());
            return;
        };
        let st = &self.spec.statuses;
        let lenient = self.spec.mode == Mode::Lenient;
        // Lenient: another status of the replay set for a 2xx replay.
        let same_status = |first: u16| {
            x == first || (lenient && st.replay.contains(&first) && st.replay.contains(&x))
        };
        let bind = |mut n: MState| {
            if let Some(b) = body {
                n.record(KeyRec {
                    answer: Recorded::Known {
                        status: x,
                        body: b.hash,
                    },
                    ..rec
                });
            }
            n
        };
        match rec.answer {
            Recorded::Known {
                status: first,
                body: hash,
            } => {
                if !same_status(first) {
                    return;
                }
                match body {
                    None => out.push(s.clone()),
                    Some(b) if b.hash == hash => out.push(s.clone()),
                    // AIP-155 "stale success responses": the current state.
                    Some(b) if lenient && b.view.is_some() => out.extend(self.observe(s, b)),
                    Some(_) => {}
                }
            }
            Recorded::Status(first) => {
                if same_status(first) {
                    out.push(bind(s.clone()));
                }
            }
            Recorded::Class(class) => {
                let fits = match class {
                    Class::Accepted => {
                        st.cancel_running.contains(&x) || st.if_match_current.contains(&x)
                    }
                    Class::Again => st.cancel_again.contains(&x),
                    Class::Terminal => st.cancel_terminal.contains(&x),
                    Class::Any => true,
                };
                if fits {
                    out.push(bind(s.clone()));
                }
            }
        }
    }

    /// `s` as it must be for `b` to be a representation of it, with what
    /// `b` teaches (its ETag, its terminal form); None when it cannot be.
    fn observe(&self, s: &MState, b: &BodyObs) -> Option<MState> {
        let mut n = s.clone();
        if let Some(v) = &b.view {
            if v.done != v.state.is_terminal() {
                return None;
            }
            match (v.state, n.phase) {
                (OpState::Running, Phase::Running | Phase::Cancelling) => {}
                (t, Phase::Done(d)) if t == d && t.is_terminal() => {
                    // Never a mix: exactly one of error and response.
                    let mixed = match t {
                        OpState::Succeeded => v.has_error,
                        _ => v.has_response,
                    };
                    if mixed {
                        return None;
                    }
                    match n.seal {
                        None => n.seal = Some(b.view_hash),
                        Some(h) if h == b.view_hash => {}
                        Some(_) => return None,
                    }
                }
                _ => return None,
            }
            if let Some(c) = v.cancel_steps
                && c != self.base_steps.saturating_add(u8::from(n.accepted))
            {
                return None;
            }
        }
        if let Some(t) = b.etag {
            if n.stale & (1u128 << t) != 0 {
                return None;
            }
            match n.tag {
                Some(cur) if cur == t => {}
                None => n.tag = Some(t),
                Some(_) => {
                    // Another tag: only a move by itself explains it.
                    let moving = matches!(n.phase, Phase::Running | Phase::Cancelling);
                    if !(moving && self.spec.lifecycle.progresses) {
                        return None;
                    }
                    n.new_revision();
                    n.tag = Some(t);
                }
            }
        }
        Some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::race::history::{Answer, Initial};

    fn body(state: &str, steps: usize, etag: &str) -> Answer {
        let steps: Vec<_> = (0..steps)
            .map(|_| serde_json::json!({"name": "cancel"}))
            .collect();
        let done = state != "RUNNING";
        let json = serde_json::json!({"state": state, "done": done, "steps": steps,
            "error": if state == "CANCELLED" { serde_json::json!({"message": "m"}) } else { serde_json::Value::Null },
            "response": null});
        Answer::new(
            202,
            Some(format!("\"{etag}\"")),
            json.to_string().as_bytes(),
        )
    }

    #[test]
    fn statuses_come_from_the_catalogue() {
        let strict = Statuses::from_catalogue(Mode::Strict);
        assert_eq!(strict.cancel_running, vec![202]);
        assert_eq!(strict.cancel_terminal, vec![422]);
        assert_eq!(strict.key_in_flight, vec![409]);
        assert_eq!(strict.read, vec![200]);
        let lenient = Statuses::from_catalogue(Mode::Lenient);
        assert_eq!(lenient.cancel_running, vec![200, 202]);
        assert_eq!(lenient.stale_running, vec![409, 412]);
        assert_eq!(lenient.key_misuse, vec![409, 422]);
        for set in [
            &lenient.cancel_again,
            &lenient.stale_terminal,
            &lenient.if_match_current,
            &lenient.replay,
        ] {
            assert!(!set.is_empty());
        }
    }

    #[test]
    fn a_cancel_moves_running_to_cancelling_and_marks_one_transition() {
        let spec = Spec::new(Mode::Strict, Lifecycle::FROZEN);
        let mut h = History::new(Initial {
            etag: Some("\"t1\"".into()),
            view: View::of(&serde_json::json!({"state": "RUNNING", "done": false, "steps": []})),
        });
        h.push(Call {
            client: 0,
            kind: CallKind::cancel(None, Some("\"t1\"")),
            invoked_ns: 0,
            returned_ns: Some(1),
            outcome: Outcome::Answered(body("RUNNING", 1, "t2")),
        });
        let c = spec.compile(&h).expect("compiles");
        let after = c.step(&[c.initial()], 0, false, Overlap::NONE);
        assert_eq!(after.len(), 1);
        assert_eq!(after[0].phase, Phase::Cancelling);
        assert!(after[0].accepted);
        // t1 is now stale, t2 current.
        assert_eq!(after[0].stale, 1);
        assert_eq!(after[0].tag, Some(1));
        // The same answer with two cancel steps is no state at all.
        h.calls[0].outcome = Outcome::Answered(body("RUNNING", 2, "t2"));
        let c = spec.compile(&h).expect("compiles");
        assert!(c.step(&[c.initial()], 0, false, Overlap::NONE).is_empty());
        // Forgotten, anything goes (including nothing happening).
        assert_eq!(c.step(&[c.initial()], 0, true, Overlap::NONE).len(), 2);
    }

    #[test]
    fn opaque_tags_ignore_quotes_but_not_weakness() {
        assert_eq!(opaque(" \"abc\" "), "abc");
        assert_eq!(opaque("abc"), "abc");
        assert_eq!(opaque("W/\"abc\""), "W/abc");
    }
}
