//! The audit engine: recorded exchanges in, findings out, nothing sent.
//!
//! Each exchange is judged three ways (see [`super::observability`] for the
//! per-invariant decisions):
//! - **alone**, by the one judge ([`crate::judge::response`]: bodies,
//!   headers, error envelopes) and by the status the request alone lets
//!   one expect (a bound it breaks, the endpoint's documented set);
//! - **in its operation's history** ([`crate::history::OpHistory`]);
//! - **in sets**: replays with one Idempotency-Key, one key on two
//!   operations, a cancel refused for its If-Match and what followed, a
//!   cancel after the operation was seen done, pages along a cursor.
//!
//! **Order.** Histories need reads in the order their answers arrived, and
//! recordings are in request order (HAR) or log order. Records wait in a
//! small reorder window ordered by end time; one is released once a record
//! that started after its end has been read (nothing read later can have
//! ended before it), or when the window is full. A 30 s `:wait` recorded
//! first is thus judged after the reads that ended during it.
//!
//! **Memory** is bounded whatever the input's size: the reorder window,
//! the operations followed (done ones dropped after the retention period,
//! idle ones after the idle period, the least recently seen beyond a cap),
//! the keys and cursors remembered (by age and count), and the violations
//! listed per invariant (the rest are counted). Nothing here reads a clock:
//! every time is the recording's.
//!
//! **Assumption** for the request-set rules: the recording holds every
//! request to the operations it shows (a gateway's log does; one
//! browser's HAR may not). A cancel another client sent outside the
//! recording can make an operation CANCELLED after a refused cancel.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::contract::{self, Endpoint, Mode, Schemas, StatusSets, id};
use crate::history::{self, OpHistory, Sighting, Tolerance};
use crate::judge::{self, route::Route};
use crate::model::{
    CaseOutcome, CaseResult, CheckResult, Exchange, InvariantTotal, RunResult, StepResult,
    TargetInfo, Verdict,
};

use super::observability::{self, Observability};
use super::record::{BodyState, Evidence, InputError, Record, scrub};
use super::time::format_ms;

/// How the audit reads traffic.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// Lenient (default) or strict status sets and strict-only invariants.
    pub mode: Mode,
    /// Path of the API's base URL (`/v1`): exchanges outside
    /// `{base_path}/operations` are ignored (a browser's HAR holds pages,
    /// scripts and other APIs).
    pub base_path: String,
    /// How long a done operation's history is kept after it was first seen
    /// done (`--retention`).
    pub retention: Duration,
    /// How long an operation that is not done is kept without a sighting.
    pub idle: Duration,
    /// Most operations followed at once.
    pub max_operations: usize,
    /// Estimated bytes the followed histories may hold. Beyond it (or
    /// beyond `max_operations`) operations are dropped early: done ones
    /// first (longest done first), then the least recently seen. The
    /// estimate is from the bodies a history keeps (its last and first
    /// done representation, one per distinct ETag); parsed JSON takes about
    /// eight times its text.
    pub memory_budget: usize,
    /// How long an Idempotency-Key is remembered after its first 2xx use.
    pub key_window: Duration,
    /// Most keys remembered at once (oldest dropped).
    pub max_keys: usize,
    /// How long after an accepted cancel a read may still show RUNNING.
    pub settle_deadline: Duration,
    /// In-flight state may lag by this much (digest §5 #24).
    pub lag_tolerance: Duration,
    /// Records held to put answers in arrival order.
    pub reorder_window: usize,
    /// Violations listed with their evidence per invariant (the rest are
    /// counted).
    pub listed_per_invariant: usize,
    /// Bytes of a body kept in a listed violation's exchange.
    pub excerpt_bytes: usize,
    /// Longest JSON Lines line read (`--max-line-bytes`); a longer line is
    /// an input error, skipped without being held in memory.
    pub max_line_bytes: usize,
    /// Largest HAR entry read; a larger one is an input error, skipped.
    pub max_entry_bytes: usize,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            mode: Mode::Lenient,
            base_path: "/v1".into(),
            retention: Duration::from_secs(600),
            idle: Duration::from_secs(3600),
            max_operations: 20_000,
            memory_budget: 64 * 1024 * 1024,
            key_window: Duration::from_secs(24 * 3600),
            max_keys: 200_000,
            settle_deadline: Duration::from_secs(30),
            lag_tolerance: Duration::from_secs(5),
            reorder_window: 4096,
            listed_per_invariant: 50,
            excerpt_bytes: 4096,
            max_line_bytes: super::jsonl::DEFAULT_MAX_LINE_BYTES,
            max_entry_bytes: super::har::DEFAULT_MAX_ENTRY_BYTES,
        }
    }
}

/// One broken rule and the exchanges that show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The invariant.
    pub invariant: String,
    /// What the contract asks for.
    pub expected: String,
    /// What the traffic shows.
    pub actual: String,
    /// The exchanges that show it, earliest first; the last one is the
    /// exchange that completed the evidence.
    pub evidence: Vec<Evidence>,
    /// That last exchange, redacted, its bodies cut to the excerpt size.
    pub exchange: Option<Exchange>,
}

impl Violation {
    /// One line for `--follow`: time, invariant, where, what.
    pub fn line(&self) -> String {
        let (time, at) = match self.evidence.last() {
            Some(e) => (format_ms(e.time_ms()), e.to_string()),
            None => (String::new(), String::new()),
        };
        let mut line = format!(
            "{time} {} {at}: expected {}; got {}",
            self.invariant, self.expected, self.actual
        );
        if self.evidence.len() > 1 {
            let earlier: Vec<String> = self.evidence[..self.evidence.len() - 1]
                .iter()
                .map(ToString::to_string)
                .collect();
            line.push_str(&format!(" (earlier: {})", earlier.join("; ")));
        }
        scrub(&line).into_owned()
    }
}

/// Counts of what the audit read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditStats {
    /// Exchanges read.
    pub exchanges: u64,
    /// Of those, exchanges with the Operations API (judged).
    pub audited: u64,
    /// Exchanges elsewhere (other paths, other APIs): ignored.
    pub ignored: u64,
    /// Audited exchanges without a response (transport errors).
    pub without_response: u64,
    /// Audited responses whose body the recording does not hold (whole).
    pub bodies_not_recorded: u64,
    /// Audited responses recorded without their headers.
    pub headers_not_recorded: u64,
    /// Operations whose history was followed.
    pub operations: u64,
    /// Operations dropped before their retention ended, to stay within
    /// `max_operations` and `memory_budget` (later reads of them start a
    /// new history).
    pub dropped_early: u64,
    /// Entries or lines that could not be read.
    pub input_errors: u64,
}

/// The audit's verdict: a [`RunResult`] for the reporters, and what the
/// reports cannot show (the input's counts and errors).
#[derive(Debug, Clone)]
pub struct AuditReport {
    /// One case per catalogue invariant (see [`Auditor::finish`]).
    pub result: RunResult,
    /// What was read.
    pub stats: AuditStats,
    /// The first input errors (all are counted in `stats`).
    pub input_errors: Vec<InputError>,
}

impl AuditReport {
    /// The exit status under the default gate (every failed MUST or SHOULD
    /// counts, nothing verified is not a pass): see [`AuditReport::verdict`].
    pub fn exit_status(&self) -> crate::exit::ExitStatus {
        self.verdict(crate::gate::Gate::default(), false)
    }

    /// The exit status, by `run`'s reading of a result
    /// ([`crate::gate::conclude`]): a failed invariant that counts (1)
    /// wins; then input that could not be read (2: fix the recording);
    /// then nothing verified (4, unless `allow_empty`); else success.
    pub fn verdict(&self, gate: crate::gate::Gate, allow_empty: bool) -> crate::exit::ExitStatus {
        use crate::exit::ExitStatus;
        use crate::gate::Conclusion;
        match crate::gate::conclude(&self.result, gate, allow_empty) {
            Conclusion::Failed => ExitStatus::InvariantFailed,
            _ if self.stats.input_errors > 0 => ExitStatus::BadInput,
            Conclusion::Empty => ExitStatus::NothingVerified,
            // Nothing in an audit is left not run.
            Conclusion::Incomplete { .. } => ExitStatus::TargetUnreachable,
            Conclusion::Passed => ExitStatus::Success,
        }
    }
}

/// Names and times for [`Auditor::finish`].
#[derive(Debug, Clone)]
pub struct AuditMeta {
    /// The input files, as named on the command line.
    pub inputs: Vec<String>,
    /// When the audit started, RFC 3339.
    pub started_at: String,
    /// How long it took.
    pub duration_ms: u64,
}

/// Input errors kept with their text (the rest are counted).
const INPUT_ERRORS_KEPT: usize = 100;

#[derive(Debug, Default)]
struct Tally {
    passed: u64,
    failed: u64,
    skipped: u64,
    listed: Vec<Violation>,
}

/// A record waiting in the reorder window, ordered by end time.
struct Pending {
    ended: i64,
    seq: u64,
    record: Box<Record>,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.ended, self.seq) == (other.ended, other.seq)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.ended, self.seq).cmp(&(other.ended, other.seq))
    }
}

/// What is followed of one operation.
struct OpTrack {
    history: OpHistory<Evidence>,
    /// History invariants breached by this operation (bit per
    /// [`history::INVARIANTS`] entry): the rest it exercised passed.
    breached: u16,
    last_seen_ms: i64,
    /// The last read showed `done: true`.
    last_done: bool,
    /// When a read first showed it done (its end), and which.
    done_seen: Option<(i64, Evidence)>,
    /// The last accepted (2xx, not a replay) cancel: its end and which.
    accepted_cancel: Option<(i64, Evidence)>,
    /// CANCEL-SETTLES already judged for the accepted cancel.
    settle_judged: bool,
    /// A cancel refused for its If-Match while the operation was seen
    /// RUNNING, not yet followed by an accepted cancel.
    stale_refusal: Option<(i64, Evidence)>,
    /// Hashes of the distinct ETags its GET reads carried (the history
    /// keeps one representation per tag, up to 64).
    tags: Vec<u64>,
    /// Estimated bytes its history holds.
    weight: usize,
    /// The body hash of the last representation given to the history, and
    /// of the last GET given to it with its ETag's hash.
    last_fed: Option<u64>,
    last_get: Option<(u64, u64)>,
}

/// How big a representation given to a history is: its text's length and
/// the hash of its bytes (`None` for a list item, which has no bytes of its
/// own).
#[derive(Clone, Copy)]
struct Size {
    text_len: usize,
    bytes: Option<u64>,
}

/// Parsed JSON is about this many times its text, in memory.
const VALUE_EXPANSION: usize = 8;
/// What an operation's history holds besides bodies.
const HISTORY_OVERHEAD: usize = 2048;

/// One finding of the judge as cached: passes and skips by invariant,
/// failures with their text.
#[derive(Debug)]
pub struct Cached {
    index: usize,
    verdict: Verdict,
    expected: String,
    actual: String,
}

/// What the one judge found on one response, shared by the responses
/// with the same bytes.
type Findings = Arc<[Cached]>;

/// What [`Prejudge::prepare`] works out for a record ahead of the
/// auditor: its body parsed (when its kind is known and it is whole), the
/// hash of its bytes, and the one judge's findings.
#[derive(Debug, Clone)]
pub struct Ahead {
    parsed: Option<Result<Value, String>>,
    body_hash: u64,
    findings: Findings,
}

/// The first, order-free half of judging one exchange: its body parsed and
/// the one judge ([`judge::response`]) run on the response alone, with
/// its verdicts cached by what they may depend on (`judge_key`). Runs on
/// the worker threads of [`super::audit_files`] (one each), ahead of the [`Auditor`]
/// (which runs it itself for a record that comes without).
pub struct Prejudge<'s> {
    schemas: &'s Schemas,
    mode: Mode,
    base: String,
    index: HashMap<&'static str, usize>,
    cache: HashMap<u64, Findings>,
}

impl<'s> Prejudge<'s> {
    /// A prejudge for an audit with `opts`.
    pub fn new(schemas: &'s Schemas, opts: &AuditOptions) -> Self {
        Prejudge {
            schemas,
            mode: opts.mode,
            base: opts.base_path.trim_end_matches('/').to_string(),
            index: contract::ids()
                .iter()
                .enumerate()
                .map(|(i, id)| (*id, i))
                .collect(),
            cache: HashMap::new(),
        }
    }

    /// Works out [`Record::ahead`] for an exchange with the Operations API
    /// that has a response (the rest is left alone).
    pub fn prepare(&mut self, rec: &mut Record) {
        if rec.exchange.response.is_none() || !below_base(rec.path_and_query(), &self.base) {
            return;
        }
        let ahead = self.ahead(rec);
        rec.ahead = Some(Box::new(ahead));
    }

    fn ahead(&mut self, rec: &Record) -> Ahead {
        let req = &rec.exchange.request;
        let Some(resp) = &rec.exchange.response else {
            return Ahead {
                parsed: None,
                body_hash: 0,
                findings: Arc::new([]),
            };
        };
        let route = judge::route::route_of_url(&req.method, &req.url, &self.base);
        let kind = judge::inferred_kind(route.endpoint, resp.status);
        let parsed = match (rec.body, kind) {
            (BodyState::Complete, Some(_)) => Some(parse_body(&resp.body_excerpt)),
            _ => None,
        };
        // A body the recording does not hold whole is not judged (kind
        // None): only the rules over any response are.
        let judged_body = match &parsed {
            Some(Ok(v)) => Some(judge::Body::Json(v)),
            Some(Err(e)) => Some(judge::Body::NotJson(e)),
            None => None,
        };
        // Cached, since a polled operation answers the same bytes many
        // times. A :wait is judged afresh (its timing rules read the clock
        // headers and the duration).
        let body_hash = hash_bytes(resp.body_excerpt.as_bytes());
        let key =
            (route.endpoint != Endpoint::Wait).then(|| judge_key(&route, kind, rec, body_hash));
        if let Some(hit) = key.and_then(|k| self.cache.get(&k)) {
            return Ahead {
                parsed,
                body_hash,
                findings: hit.clone(),
            };
        }
        let findings: Findings = judge::response(
            self.schemas,
            self.mode,
            route.endpoint,
            judged_body.and(kind),
            judged_body.unwrap_or(judge::Body::Incomplete("")),
            &rec.exchange,
        )
        .into_iter()
        .filter_map(|f| {
            let index = *self.index.get(&*f.invariant)?;
            let failed = f.verdict == Verdict::Fail;
            Some(Cached {
                index,
                verdict: f.verdict,
                expected: if failed {
                    f.expected.into_owned()
                } else {
                    String::new()
                },
                actual: if failed {
                    f.actual.into_owned()
                } else {
                    String::new()
                },
            })
        })
        .collect();
        if let Some(k) = key {
            if self.cache.len() >= JUDGE_CACHE {
                self.cache.clear();
            }
            self.cache.insert(k, findings.clone());
        }
        Ahead {
            parsed,
            body_hash,
            findings,
        }
    }
}

/// True when `path` is `{base}/operations` or below it.
fn below_base(path: &str, base: &str) -> bool {
    path.strip_prefix(base)
        .and_then(|below| below.strip_prefix("/operations"))
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']))
}

/// The resolution of recorded times (HAR and JSON Lines writers keep
/// milliseconds): two exchanges closer than this may have overlapped.
const CLOCK_RESOLUTION_MS: i64 = 1;

/// Most verdicts cached (the cache is emptied when full).
const JUDGE_CACHE: usize = 1024;

/// What is remembered of an Idempotency-Key's first 2xx use.
struct KeyUse {
    op: String,
    started_ms: i64,
    ended_ms: i64,
    evidence: Evidence,
    /// Hash and length of the first answer's body, when recorded whole.
    body: Option<(u64, usize)>,
}

/// Items seen along one chain of list pages, by the cursor that continues it.
struct PageChain {
    ids: HashSet<String>,
    evidence: Evidence,
}

/// Most items remembered along one cursor chain.
const CHAIN_ITEMS: usize = 10_000;
/// Most cursor chains remembered.
const CHAINS: usize = 1024;

/// The audit over a stream of records. Feed it with [`Auditor::push`] (and
/// [`Auditor::input_error`]); end with [`Auditor::finish`].
pub struct Auditor<'s> {
    opts: AuditOptions,
    index: HashMap<&'static str, usize>,
    ids: Vec<&'static str>,
    tallies: Vec<Tally>,
    window: BinaryHeap<Reverse<Pending>>,
    watermark: i64,
    seq: u64,
    now_ms: i64,
    last_sweep_ms: i64,
    ops: HashMap<String, OpTrack>,
    keys: HashMap<(u64, String), KeyUse>,
    /// The earliest `ended_ms` among `keys` (none expire before it has
    /// aged past the window: the sweep skips them until then).
    oldest_key_ms: i64,
    chains: HashMap<(u64, String), PageChain>,
    chain_order: VecDeque<(u64, String)>,
    stats: AuditStats,
    input_errors: Vec<InputError>,
    /// Violations found since the last `push` or `flush` returned.
    found: Vec<Violation>,
    /// The estimated bytes of every followed history.
    weight: usize,
    /// The one judge, for records that come without [`Record::ahead`].
    prejudge: Prejudge<'s>,
}

fn hash_bytes(b: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    b.hash(&mut h);
    h.finish()
}

/// The canonical (`op_`) form of an operation id.
fn canonical(id: &str) -> String {
    if id.starts_with("op_") {
        id.to_string()
    } else {
        format!("op_{id}")
    }
}

/// A header value as the server sees it: its length in characters after
/// trimming, or `None` when it is not plain ASCII (the contract is silent).
fn header_len(value: &str) -> Option<usize> {
    let t = value.trim_matches([' ', '\t']);
    t.is_ascii().then_some(t.len())
}

fn parse_uint(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// A set of HTTP status codes (100 to 639), as bits: the status rules
/// unite a dozen sets on every exchange.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Codes([u64; 10]);

impl Codes {
    fn insert(&mut self, code: u16) {
        let code = usize::from(code);
        if let Some(word) = self.0.get_mut(code / 64) {
            *word |= 1 << (code % 64);
        }
    }

    fn contains(&self, code: u16) -> bool {
        let code = usize::from(code);
        self.0
            .get(code / 64)
            .is_some_and(|word| word & (1 << (code % 64)) != 0)
    }

    /// The codes, ascending.
    fn to_vec(self) -> Vec<u16> {
        (0..640u16).filter(|c| self.contains(*c)).collect()
    }
}

/// Status sets united, the way the oracle unites them.
#[derive(Default)]
struct Accepted {
    codes: Codes,
    mode: Option<Mode>,
}

impl Accepted {
    fn new(mode: Mode) -> Self {
        Accepted {
            codes: Codes::default(),
            mode: Some(mode),
        }
    }

    fn add(&mut self, sets: StatusSets) {
        self.codes(sets.strict);
        if self.mode.unwrap_or_default() == Mode::Lenient {
            self.codes(sets.lenient_extra);
        }
    }

    fn add_id(&mut self, id: &str) {
        if let Some(sets) = contract::find(id).and_then(|i| i.statuses) {
            self.add(sets);
        }
    }

    fn codes(&mut self, codes: &[u16]) {
        codes.iter().for_each(|c| self.codes.insert(*c));
    }

    /// Throttling and overload, on any endpoint (digest §4.1): 429 and 503;
    /// lenient accepts any 5xx.
    fn throttle(&mut self) {
        self.codes(&[429, 503]);
        if self.mode == Some(Mode::Lenient) {
            (500..=599).for_each(|c| self.codes.insert(c));
        }
    }

    fn finish(self) -> Codes {
        self.codes
    }
}

/// `[500..599]` shown compactly in messages.
fn set_text(set: &[u16]) -> String {
    let fives = (500..=599).all(|s| set.contains(&s));
    let shown: Vec<String> = set
        .iter()
        .filter(|s| !fives || !(500..=599).contains(*s))
        .map(u16::to_string)
        .chain(fives.then(|| "5xx".to_string()))
        .collect();
    format!("[{}]", shown.join(", "))
}

/// What a request alone says about its answer's status.
enum Expect {
    /// The request breaks a bound: these statuses, for this invariant.
    Bounds(&'static str, Codes),
    /// In bounds: the endpoint's documented set.
    InBounds(Codes),
    /// The contract is silent (non-ASCII header, repeated header, odd path).
    Silent,
}

struct Ctx<'r> {
    rec: &'r Record,
    route: Route,
    evidence: Evidence,
    status: u16,
    /// The body, parsed, when recorded whole and JSON.
    body: Option<Value>,
    /// The canonical id of the operation the path names.
    op: Option<String>,
    /// The request carried a bare id.
    bare: bool,
    key: Option<&'r str>,
    if_match: Option<&'r str>,
    /// Hash of the response body's bytes.
    body_hash: u64,
}

impl<'s> Auditor<'s> {
    /// An audit judged with `schemas`.
    pub fn new(schemas: &'s Schemas, opts: AuditOptions) -> Self {
        let ids = contract::ids();
        let index = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let tallies = ids.iter().map(|_| Tally::default()).collect();
        let prejudge = Prejudge::new(schemas, &opts);
        Auditor {
            opts,
            index,
            ids: ids.clone(),
            tallies,
            window: BinaryHeap::new(),
            watermark: i64::MIN,
            seq: 0,
            now_ms: i64::MIN,
            last_sweep_ms: i64::MIN,
            ops: HashMap::new(),
            keys: HashMap::new(),
            oldest_key_ms: i64::MAX,
            chains: HashMap::new(),
            chain_order: VecDeque::new(),
            stats: AuditStats::default(),
            input_errors: Vec::new(),
            found: Vec::new(),
            weight: 0,
            prejudge,
        }
    }

    /// Counts an entry or line that could not be read (kept for the report).
    /// The options it audits with.
    pub fn options(&self) -> &AuditOptions {
        &self.opts
    }

    pub fn input_error(&mut self, e: InputError) {
        self.stats.input_errors += 1;
        if self.input_errors.len() < INPUT_ERRORS_KEPT {
            self.input_errors.push(e);
        }
    }

    /// Operations followed now (for tests of bounded memory).
    pub fn operations_followed(&self) -> usize {
        self.ops.len()
    }

    /// Adds one record; returns the violations this made visible (of
    /// records released from the reorder window).
    pub fn push(&mut self, record: Record) -> Vec<Violation> {
        self.stats.exchanges += 1;
        self.watermark = self.watermark.max(record.started_ms);
        let ended = record.ended_ms();
        self.seq += 1;
        self.window.push(Reverse(Pending {
            ended,
            seq: self.seq,
            record: Box::new(record),
        }));
        while let Some(Reverse(top)) = self.window.peek() {
            if top.ended > self.watermark && self.window.len() <= self.opts.reorder_window {
                break;
            }
            if let Some(Reverse(mut p)) = self.window.pop() {
                self.process(&mut p.record);
            }
        }
        std::mem::take(&mut self.found)
    }

    /// Releases every record waiting in the reorder window (at the end of
    /// the input, or when a followed file is idle).
    pub fn flush(&mut self) -> Vec<Violation> {
        while let Some(Reverse(mut p)) = self.window.pop() {
            self.process(&mut p.record);
        }
        std::mem::take(&mut self.found)
    }

    fn tally(&mut self, id: &str) -> Option<&mut Tally> {
        let i = *self.index.get(id)?;
        self.tallies.get_mut(i)
    }

    fn pass(&mut self, id: &str) {
        if let Some(t) = self.tally(id) {
            t.passed += 1;
        }
    }

    fn skip(&mut self, id: &str) {
        if let Some(t) = self.tally(id) {
            t.skipped += 1;
        }
    }

    /// Records a finding of a non-status rule through the judge's rule for
    /// strict-only invariants.
    fn judged(
        &mut self,
        id: &'static str,
        passed: bool,
        expected: impl Into<std::borrow::Cow<'static, str>>,
        actual: impl Into<std::borrow::Cow<'static, str>>,
        evidence: Vec<Evidence>,
        rec: &Record,
    ) {
        let f = judge::finding(id, passed, expected, actual, self.opts.mode);
        match f.verdict {
            Verdict::Pass => self.pass(id),
            Verdict::Skip => self.skip(id),
            Verdict::Fail => self.fail(
                id,
                f.expected.into_owned(),
                f.actual.into_owned(),
                evidence,
                rec,
            ),
        }
    }

    fn fail(
        &mut self,
        id: &str,
        expected: String,
        actual: String,
        evidence: Vec<Evidence>,
        rec: &Record,
    ) {
        let listed = self.opts.listed_per_invariant;
        let excerpt = self.opts.excerpt_bytes;
        let v = Violation {
            invariant: id.to_string(),
            expected,
            actual,
            evidence,
            exchange: Some(excerpt_of(&rec.exchange, excerpt)),
        };
        if let Some(t) = self.tally(id) {
            t.failed += 1;
            if t.listed.len() < listed {
                t.listed.push(v.clone());
            }
        }
        self.found.push(v);
    }

    fn process(&mut self, rec: &mut Record) {
        let base = self.opts.base_path.trim_end_matches('/').to_string();
        if !below_base(rec.path_and_query(), &base) {
            self.stats.ignored += 1;
            return;
        }
        self.stats.audited += 1;
        self.now_ms = self.now_ms.max(rec.ended_ms());
        self.sweep();
        let Some(resp) = &rec.exchange.response else {
            self.stats.without_response += 1;
            return;
        };
        if rec.body != BodyState::Complete {
            self.stats.bodies_not_recorded += 1;
        }
        if !rec.response_headers_known {
            self.stats.headers_not_recorded += 1;
        }
        let req = &rec.exchange.request;
        let route = judge::route::route_of_url(&req.method, &req.url, &base);
        let Ahead {
            parsed,
            body_hash,
            findings,
        } = match rec.ahead.take() {
            Some(ahead) => *ahead,
            None => self.prejudge.ahead(rec),
        };
        let evidence = rec.evidence();

        // 1. The one judge: bodies, headers, error envelopes.
        for f in findings.iter() {
            let id = self.ids[f.index];
            if !rec.response_headers_known && HEADER_RULES.contains(&id) {
                // Gateways often log no response headers: not judged.
                continue;
            }
            match f.verdict {
                Verdict::Pass => self.tallies[f.index].passed += 1,
                Verdict::Skip => self.tallies[f.index].skipped += 1,
                Verdict::Fail => self.fail(
                    id,
                    f.expected.clone(),
                    f.actual.clone(),
                    vec![evidence.clone()],
                    rec,
                ),
            }
        }

        let op = match route.endpoint {
            Endpoint::Cancel | Endpoint::Wait | Endpoint::Get => route
                .op_id
                .as_deref()
                .filter(|id| !id.is_empty())
                .map(canonical),
            _ => None,
        };
        let bare = route
            .op_id
            .as_deref()
            .is_some_and(|id| !id.is_empty() && !id.starts_with("op_"));
        let ctx = Ctx {
            rec,
            evidence,
            status: resp.status,
            body: parsed.and_then(Result::ok),
            op,
            bare,
            key: rec.request_header("idempotency-key"),
            if_match: rec.request_header("if-match"),
            body_hash,
            route,
        };
        let expect = self.expect(&ctx);
        self.status_rule(&ctx, &expect);
        if matches!(expect, Expect::Bounds(..) | Expect::Silent) {
            // Refused for its shape (or the contract is silent): nothing it
            // says about operations or keys can be trusted.
            return;
        }
        self.exchange_rules(&ctx);
        let fresh = self.set_rules(&ctx);
        if fresh {
            self.feed_history(&ctx);
        }
    }

    /// What the request alone lets one expect of its status.
    fn expect(&self, ctx: &Ctx<'_>) -> Expect {
        let mode = self.opts.mode;
        let rec = ctx.rec;
        let endpoint = ctx.route.endpoint;
        if endpoint == Endpoint::Other {
            return Expect::Silent;
        }
        let mut bounds: Vec<&'static str> = Vec::new();
        let mut lenient_200 = false;
        // Repeated headers: the contract does not say which value counts.
        for name in ["idempotency-key", "if-match", "akua-context"] {
            let n = rec
                .exchange
                .request
                .headers
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                .count();
            if n > 1 {
                return Expect::Silent;
            }
        }
        if endpoint != Endpoint::List {
            let id = ctx.route.op_id.as_deref().unwrap_or("");
            let raw = ctx.rec.path_and_query();
            // An id with odd encodings (other than the verb's %3A) or a
            // colon of its own: the contract is silent.
            let raw_segment = raw
                .split(['?', '#'])
                .next()
                .unwrap_or("")
                .rsplit('/')
                .next()
                .unwrap_or("");
            let odd = raw_segment.contains('%')
                && !raw_segment
                    .to_ascii_lowercase()
                    .trim_end_matches("%3acancel")
                    .trim_end_matches("%3await")
                    .chars()
                    .all(|c| c != '%');
            if odd || id.contains(':') || !id.is_ascii() {
                return Expect::Silent;
            }
            let len = id.chars().count();
            if len == 0 || len > 53 {
                bounds.push(id::REQ_ID_BOUNDS);
            }
        }
        if let Some(v) = rec.request_header("akua-context") {
            match header_len(v) {
                None => return Expect::Silent,
                Some(n) if n == 0 || n > 53 => bounds.push(id::REQ_CONTEXT_BOUNDS),
                Some(_) => {}
            }
        }
        if endpoint == Endpoint::Cancel {
            for (value, id) in [
                (ctx.key, id::CANCEL_KEY_BOUNDS),
                (ctx.if_match, id::CANCEL_IFMATCH_BOUNDS),
            ] {
                if let Some(v) = value {
                    match header_len(v) {
                        None => return Expect::Silent,
                        Some(n) if n == 0 || n > 64 => bounds.push(id),
                        Some(_) => {}
                    }
                }
            }
        }
        // Only :wait and the list read their query.
        let query: Vec<(String, String)> = match endpoint {
            Endpoint::Wait | Endpoint::List => rec
                .exchange
                .request
                .url
                .split_once('?')
                .map(|(_, q)| q.split('#').next().unwrap_or(""))
                .map(|q| {
                    url::form_urlencoded::parse(q.as_bytes())
                        .map(|(k, v)| (k.into_owned(), v.into_owned()))
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let param = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let mut unknown_params = false;
        match endpoint {
            Endpoint::Wait => {
                if let Some(t) = param("timeout")
                    && !parse_uint(t).is_some_and(|n| (1..=60).contains(&n))
                {
                    bounds.push(id::WAIT_TIMEOUT_REJECT);
                }
            }
            Endpoint::List => {
                if let Some(l) = param("limit") {
                    match parse_uint(l) {
                        Some(n) if (1..=100).contains(&n) => {}
                        Some(n) if n > 100 => {
                            bounds.push(id::LIST_LIMIT_BOUNDS);
                            lenient_200 = true;
                        }
                        _ => bounds.push(id::LIST_LIMIT_BOUNDS),
                    }
                }
                match (param("owner_type"), param("owner_id")) {
                    (Some(t), _) if !contract::OWNERS.iter().any(|(name, _)| *name == t) => {
                        bounds.push(id::LIST_OWNER_PAIR)
                    }
                    (Some(_), None) => bounds.push(id::LIST_OWNER_PAIR),
                    // "Ignored otherwise" (prose) vs requires-together.
                    (None, Some(_)) => return Expect::Silent,
                    _ => {}
                }
                unknown_params = query
                    .iter()
                    .any(|(k, _)| !["limit", "owner_type", "owner_id"].contains(&k.as_str()));
            }
            _ => {}
        }
        let colon_encoded = ctx
            .rec
            .path_and_query()
            .to_ascii_lowercase()
            .contains("%3a");
        let mut acc = Accepted::new(mode);
        acc.throttle();
        acc.add_id(id::AUTH_401);
        if colon_encoded && mode == Mode::Lenient {
            // A server that does not decode %3A sees another resource
            // (PATH-COLON-ENCODING is strict-only).
            acc.codes(&[404, 405]);
        }
        if let Some(first) = bounds.first().copied() {
            for id in &bounds {
                acc.add_id(id);
            }
            if rec.request_header("akua-context").is_some() {
                // A foreign akua-context may be refused first.
                acc.add_id(id::AUTH_CONTEXT_FOREIGN);
            }
            if lenient_200 && mode == Mode::Lenient {
                acc.codes(&[200]);
            }
            return Expect::Bounds(first, acc.finish());
        }
        acc.add_id(id::AUTH_403);
        match endpoint {
            Endpoint::Cancel => {
                for id in [
                    id::CANCEL_202_ENVELOPE,
                    id::CANCEL_TERMINAL_422,
                    id::CANCEL_NOT_FOUND,
                    id::CANCEL_AGAIN_ACCEPTED,
                ] {
                    acc.add_id(id);
                }
                if ctx.if_match.is_some() {
                    for id in [
                        id::CANCEL_IFMATCH_STALE,
                        id::CANCEL_IFMATCH_PRECEDENCE,
                        id::CANCEL_IFMATCH_CURRENT,
                    ] {
                        acc.add_id(id);
                    }
                }
                if ctx.key.is_some() {
                    for id in [
                        id::CANCEL_REPLAY_IDEMPOTENT,
                        id::CANCEL_KEY_MISUSE,
                        id::CANCEL_KEY_CONCURRENT,
                    ] {
                        acc.add_id(id);
                    }
                }
            }
            Endpoint::Wait => {
                acc.add_id(id::WAIT_200_ALWAYS);
                acc.add_id(id::WAIT_404);
            }
            Endpoint::Get => {
                acc.add_id(id::GET_200);
                acc.add_id(id::CANCEL_NOT_FOUND);
            }
            Endpoint::List => {
                acc.add_id(id::LIST_200);
                if param("cursor").is_some() || unknown_params {
                    // An expired or foreign cursor, an unknown parameter:
                    // the contract does not say; a rejection is fair.
                    acc.codes(&[400, 422]);
                }
            }
            Endpoint::Other => {}
        }
        Expect::InBounds(acc.finish())
    }

    fn status_rule(&mut self, ctx: &Ctx<'_>, expect: &Expect) {
        let status = ctx.status;
        let endpoint = ctx.route.endpoint;
        let (id, accepted, why) = match expect {
            Expect::Silent => return,
            Expect::Bounds(id, set) => (*id, set, "the request breaks a documented bound"),
            Expect::InBounds(set) => {
                let id = match endpoint {
                    Endpoint::Cancel if status == 400 && ctx.key.is_none() => {
                        id::CANCEL_KEY_OPTIONAL
                    }
                    Endpoint::Cancel if self.draining(ctx).is_some() => id::CANCEL_AGAIN_ACCEPTED,
                    Endpoint::Cancel => id::CANCEL_202_ENVELOPE,
                    Endpoint::Wait
                        if matches!(status, 400 | 422)
                            && ctx.rec.path_and_query().contains("timeout=") =>
                    {
                        id::WAIT_TIMEOUT_BOUNDS
                    }
                    Endpoint::Wait => id::WAIT_200_ALWAYS,
                    Endpoint::Get => id::GET_200,
                    Endpoint::List => id::LIST_200,
                    Endpoint::Other => return,
                };
                (id, set, "an in-bounds request")
            }
        };
        if accepted.contains(status) {
            self.pass(id);
            if endpoint == Endpoint::Cancel
                && (200..300).contains(&status)
                && self.draining(ctx).is_some()
            {
                self.pass(id::CANCEL_AGAIN_ACCEPTED);
            }
            if endpoint == Endpoint::Cancel && ctx.key.is_none() && (200..300).contains(&status) {
                self.pass(id::CANCEL_KEY_OPTIONAL);
            }
            if endpoint == Endpoint::Wait
                && matches!(expect, Expect::InBounds(_))
                && ctx.rec.path_and_query().contains("timeout=")
            {
                self.pass(id::WAIT_TIMEOUT_BOUNDS);
            }
            return;
        }
        let mode = judge::mode_name(self.opts.mode);
        let mut evidence = Vec::new();
        let mut why = why.to_string();
        if id == id::CANCEL_AGAIN_ACCEPTED
            && let Some(first) = self.draining(ctx)
        {
            evidence.push(first);
            why = "another cancel of the operation was accepted before, and no read showed it done since".into();
        }
        evidence.push(ctx.evidence.clone());
        self.fail(
            id,
            format!("status in {} ({mode}; {why})", set_text(&accepted.to_vec())),
            format!("status {status}"),
            evidence,
            ctx.rec,
        );
    }

    /// The accepted cancel of the operation `ctx` cancels (without
    /// If-Match) again, when no read has shown it done since: the
    /// operation is still draining as far as the traffic shows.
    fn draining(&self, ctx: &Ctx<'_>) -> Option<Evidence> {
        if ctx.if_match.is_some() {
            return None;
        }
        let t = self.ops.get(ctx.op.as_deref()?)?;
        match (&t.accepted_cancel, &t.done_seen, t.last_done) {
            (Some((_, e)), None, false) => Some(e.clone()),
            _ => None,
        }
    }

    /// Rules over one exchange the judge does not make: the operation a
    /// 2xx names, owner filters, a :wait that did not hold.
    fn exchange_rules(&mut self, ctx: &Ctx<'_>) {
        let Some(body) = &ctx.body else { return };
        if !(200..300).contains(&ctx.status) {
            return;
        }
        let endpoint = ctx.route.endpoint;
        let rec = ctx.rec;
        let ev = || vec![ctx.evidence.clone()];
        if let (Some(op), Some(id)) = (&ctx.op, body.get("id").and_then(Value::as_str)) {
            let names = canonical(id) == *op;
            let inv = match endpoint {
                Endpoint::Cancel => id::CANCEL_202_ENVELOPE,
                Endpoint::Wait => id::WAIT_200_ALWAYS,
                _ => id::GET_200,
            };
            // A cancel answered with another operation's body is a key
            // replay gone wrong (CANCEL-KEY-MISUSE says so when the key
            // shows it); here it is the envelope.
            self.judged(
                inv,
                names,
                "the answer is the operation the path names",
                format!("the path names {op}, the body is {id}"),
                ev(),
                rec,
            );
            if ctx.bare && names {
                self.judged(
                    id::OP_ID_CANONICAL,
                    id.starts_with("op_"),
                    "the response id is op_<id> for a bare-id request",
                    format!("a request for the bare id got id \"{id}\""),
                    ev(),
                    rec,
                );
            }
        }
        match endpoint {
            Endpoint::List => {
                let q = |name: &str| query_param(&rec.exchange.request.url, name);
                if let (Some(t), Some(o)) = (q("owner_type"), q("owner_id")) {
                    let items = body.get("data").and_then(Value::as_array);
                    let bad = items.into_iter().flatten().enumerate().find(|(_, item)| {
                        item.get("owner_type").and_then(Value::as_str) != Some(&t)
                            || item.get("owner_id").and_then(Value::as_str) != Some(&o)
                    });
                    let actual = match bad {
                        Some((i, item)) => format!(
                            "/data/{i} has owner_type {} and owner_id {}",
                            item.get("owner_type").unwrap_or(&Value::Null),
                            item.get("owner_id").unwrap_or(&Value::Null)
                        ),
                        None => String::new(),
                    };
                    self.judged(
                        id::LIST_OWNER_FILTER,
                        bad.is_none(),
                        format!("every item has owner_type \"{t}\" and owner_id \"{o}\""),
                        actual,
                        ev(),
                        rec,
                    );
                }
            }
            Endpoint::Wait if rec.duration_known => {
                if body.get("done") != Some(&Value::Bool(false)) {
                    return;
                }
                let timeout = query_param(&rec.exchange.request.url, "timeout")
                    .and_then(|t| parse_uint(&t))
                    .unwrap_or(30);
                let floor = timeout * 1000;
                let elapsed = rec.exchange.elapsed_ms;
                // ±2 s (digest §5 #42).
                if elapsed + 2000 < floor {
                    self.judged(
                        id::WAIT_HOLDS,
                        false,
                        format!(
                            "a :wait on a RUNNING operation holds about its {timeout} s timeout"
                        ),
                        format!("it answered done:false after {elapsed} ms"),
                        ev(),
                        rec,
                    );
                } else {
                    self.pass(id::WAIT_HOLDS);
                }
            }
            _ => {}
        }
    }

    /// Rules over sets of exchanges. Returns whether the answer is a fresh
    /// representation of its operation (fed to the history): a replayed
    /// answer is the first answer again, not a new read.
    fn set_rules(&mut self, ctx: &Ctx<'_>) -> bool {
        let rec = ctx.rec;
        let status = ctx.status;
        let ok = (200..300).contains(&status);
        let endpoint = ctx.route.endpoint;
        let mode = self.opts.mode;
        let Some(op) = ctx.op.clone() else {
            if endpoint == Endpoint::List && ok {
                self.paging_rule(ctx);
            }
            return true;
        };

        // A bare id and its op_ form name the same operation.
        if ctx.bare && self.ops.contains_key(&op) {
            self.judged(
                id::OP_ID_BARE_ALIAS,
                status != 404,
                "a bare id names the same operation as its op_ form",
                format!("404 for the bare id, although {op} was answered before"),
                self.ops_evidence(&op, ctx),
                rec,
            );
        }
        // %3A routed like `:`.
        if matches!(endpoint, Endpoint::Cancel | Endpoint::Wait)
            && rec.path_and_query().to_ascii_lowercase().contains("%3a")
            && self.ops.contains_key(&op)
        {
            self.judged(
                id::PATH_COLON_ENCODING,
                !matches!(status, 404 | 405),
                "%3Acancel and %3Await are routed like :cancel and :wait",
                format!("status {status} for an operation answered before"),
                self.ops_evidence(&op, ctx),
                rec,
            );
        }
        if endpoint != Endpoint::Cancel {
            return ok;
        }

        // Idempotency-Key rules.
        let mut replay = false;
        if let Some(key) = ctx.key {
            let slot = (rec.caller, key.to_string());
            let window = i64::try_from(self.opts.key_window.as_millis()).unwrap_or(i64::MAX);
            let prev = self
                .keys
                .get(&slot)
                .filter(|k| rec.started_ms.saturating_sub(k.ended_ms) <= window);
            match prev {
                Some(prev) if prev.op == op => {
                    replay = true;
                    let evidence = vec![prev.evidence.clone(), ctx.evidence.clone()];
                    let prev_body = prev.body;
                    // Recorded times are whole milliseconds (starts and
                    // durations cut down): only a start more than a
                    // millisecond after the other's end is surely after it.
                    let overlap = rec.started_ms <= prev.ended_ms + CLOCK_RESOLUTION_MS
                        && prev.started_ms <= rec.ended_ms() + CLOCK_RESOLUTION_MS;
                    if overlap {
                        let mut acc = Accepted::new(mode);
                        acc.add_id(id::CANCEL_KEY_CONCURRENT);
                        acc.add_id(id::AUTH_401);
                        acc.throttle();
                        let set = acc.finish();
                        self.judged(
                            id::CANCEL_KEY_CONCURRENT,
                            set.contains(status),
                            format!(
                                "a concurrent duplicate is answered with a status in {}",
                                set_text(&set.to_vec())
                            ),
                            format!("status {status}"),
                            evidence.clone(),
                            rec,
                        );
                    } else {
                        let mut acc = Accepted::new(mode);
                        acc.add_id(id::CANCEL_REPLAY_IDEMPOTENT);
                        acc.add_id(id::AUTH_401);
                        acc.throttle();
                        let set = acc.finish();
                        self.judged(
                            id::CANCEL_REPLAY_IDEMPOTENT,
                            set.contains(status),
                            format!(
                                "a replay with the same Idempotency-Key is answered {} like the first",
                                set_text(&set.to_vec())
                            ),
                            format!("status {status} (the first use was answered 2xx)"),
                            evidence.clone(),
                            rec
                        );
                    }
                    if ok
                        && rec.body == BodyState::Complete
                        && let (Some(first), Some(resp)) = (prev_body, &rec.exchange.response)
                    {
                        let now = resp.body_excerpt.as_bytes();
                        let same = first == (hash_bytes(now), now.len());
                        // Two overlapping 2xx answers that differ are two
                        // transitions (or the key was not held while the
                        // first ran): the concurrency rule's business.
                        let (inv, expected) = if overlap {
                            (
                                id::CANCEL_KEY_CONCURRENT,
                                "a concurrent duplicate is refused (409) or answered with the first answer byte for byte",
                            )
                        } else {
                            (
                                id::CANCEL_REPLAY_IDENTICAL,
                                "a 2xx replay carries the first answer byte for byte",
                            )
                        };
                        self.judged(
                            inv,
                            same,
                            expected,
                            format!(
                                "the body differs from the first answer's ({} bytes, first {} bytes){}",
                                now.len(),
                                first.1,
                                summary(ctx.body.as_ref())
                            ),
                            evidence,
                            rec
                        );
                    }
                }
                Some(prev) => {
                    // The same key on another operation.
                    let evidence = vec![prev.evidence.clone(), ctx.evidence.clone()];
                    let first_op = prev.op.clone();
                    if ok {
                        self.judged(
                            id::CANCEL_KEY_MISUSE,
                            false,
                            format!(
                                "a key already used on {first_op} is refused on another operation ({})",
                                set_text(&status_sets(id::CANCEL_KEY_MISUSE, mode))
                            ),
                            format!("status {status} for {op}"),
                            evidence,
                            rec
                        );
                        replay = true;
                    } else if status_sets(id::CANCEL_KEY_MISUSE, mode).contains(&status) {
                        self.pass(id::CANCEL_KEY_MISUSE);
                    }
                }
                None if ok => {
                    let body = (rec.body == BodyState::Complete).then(|| {
                        let b = rec
                            .exchange
                            .response
                            .as_ref()
                            .map_or(&[][..], |r| r.body_excerpt.as_bytes());
                        (hash_bytes(b), b.len())
                    });
                    self.oldest_key_ms = self.oldest_key_ms.min(rec.ended_ms());
                    self.keys.insert(
                        slot,
                        KeyUse {
                            op: op.clone(),
                            started_ms: rec.started_ms,
                            ended_ms: rec.ended_ms(),
                            evidence: ctx.evidence.clone(),
                            body,
                        },
                    );
                }
                None => {}
            }
        }

        let done_seen = self.ops.get(&op).and_then(|t| t.done_seen.clone());
        // A cancel sent after a read showed the operation done.
        if !replay
            && let Some((done_at, done_ev)) = done_seen
            && done_at <= rec.started_ms
        {
            let (id, sets): (&str, &[&str]) = if ctx.if_match.is_some() {
                (
                    id::CANCEL_IFMATCH_PRECEDENCE,
                    &[id::CANCEL_IFMATCH_PRECEDENCE, id::CANCEL_TERMINAL_422],
                )
            } else {
                (id::CANCEL_TERMINAL_422, &[id::CANCEL_TERMINAL_422])
            };
            let mut acc = Accepted::new(mode);
            for s in sets {
                acc.add_id(s);
            }
            if ctx.key.is_some() {
                acc.add_id(id::CANCEL_KEY_MISUSE);
            }
            // Credentials, access and retention come first.
            acc.add_id(id::AUTH_401);
            acc.add_id(id::AUTH_403);
            acc.add_id(id::CANCEL_NOT_FOUND);
            acc.throttle();
            let set = acc.finish();
            self.judged(
                id,
                set.contains(status),
                format!(
                    "a cancel of an operation already done is refused with a status in {}",
                    set_text(&set.to_vec())
                ),
                format!("status {status}, after a read showed the operation done"),
                vec![done_ev, ctx.evidence.clone()],
                rec,
            );
            if ok {
                // Its body is the done operation (or the violation above).
                return true;
            }
        }

        if replay {
            return false;
        }
        let names_op = ctx
            .body
            .as_ref()
            .and_then(|b| b.get("id"))
            .and_then(Value::as_str)
            .is_none_or(|id| canonical(id) == op);
        let track_known = self.ops.contains_key(&op);
        if ok && names_op {
            let t = self.track(&op, rec.ended_ms());
            t.accepted_cancel = Some((rec.ended_ms(), ctx.evidence.clone()));
            t.settle_judged = false;
            if t.stale_refusal.take().is_some() {
                // Another accepted cancel explains a later CANCELLED.
                self.pass(id::CANCEL_IFMATCH_STALE);
            }
        } else if matches!(status, 409 | 412)
            && ctx.if_match.is_some()
            && track_known
            && let Some(t) = self.ops.get_mut(&op)
            && !t.last_done
            && t.accepted_cancel.is_none()
        {
            // Refused for its If-Match while the operation was seen RUNNING
            // and no cancel was accepted: it must not turn CANCELLED.
            t.stale_refusal = Some((rec.ended_ms(), ctx.evidence.clone()));
        }
        ok && names_op
    }

    /// Evidence that `op` was answered before (its first done read, or the
    /// accepted cancel), then this exchange.
    fn ops_evidence(&self, op: &str, ctx: &Ctx<'_>) -> Vec<Evidence> {
        let mut ev = Vec::new();
        if let Some(t) = self.ops.get(op)
            && let Some((_, e)) = t.done_seen.as_ref().or(t.accepted_cancel.as_ref())
        {
            ev.push(e.clone());
        }
        ev.push(ctx.evidence.clone());
        ev
    }

    fn paging_rule(&mut self, ctx: &Ctx<'_>) {
        let Some(body) = &ctx.body else { return };
        let url = &ctx.rec.exchange.request.url;
        let ids: Vec<String> = body
            .get("data")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|i| i.get("id").and_then(Value::as_str).map(str::to_string))
            .collect();
        let caller = ctx.rec.caller;
        let mut chain_ids = HashSet::new();
        let mut first_ev = ctx.evidence.clone();
        if let Some(cursor) = query_param(url, "cursor")
            && let Some(chain) = self.chains.get(&(caller, cursor))
        {
            let repeated: Vec<&String> = ids.iter().filter(|id| chain.ids.contains(*id)).collect();
            let evidence = vec![chain.evidence.clone(), ctx.evidence.clone()];
            let actual = match repeated.first() {
                Some(id) => format!(
                    "{} item(s) of earlier pages listed again, e.g. {id}",
                    repeated.len()
                ),
                None => String::new(),
            };
            let passed = repeated.is_empty();
            chain_ids = chain.ids.clone();
            first_ev = chain.evidence.clone();
            self.judged(
                id::LIST_PAGING_COMPLETE,
                passed,
                "following next_cursor lists every item once",
                actual,
                evidence,
                ctx.rec,
            );
        }
        if let Some(next) = body.get("next_cursor").and_then(Value::as_str) {
            for id in ids {
                if chain_ids.len() >= CHAIN_ITEMS {
                    break;
                }
                chain_ids.insert(id);
            }
            let slot = (caller, next.to_string());
            if self.chains.len() >= CHAINS
                && let Some(old) = self.chain_order.pop_front()
            {
                self.chains.remove(&old);
            }
            self.chain_order.push_back(slot.clone());
            self.chains.insert(
                slot,
                PageChain {
                    ids: chain_ids,
                    evidence: first_ev,
                },
            );
        }
    }

    fn track(&mut self, op: &str, now: i64) -> &mut OpTrack {
        let lag_ms = u64::try_from(self.opts.lag_tolerance.as_millis()).unwrap_or(u64::MAX);
        if !self.ops.contains_key(op) {
            self.stats.operations += 1;
            self.weight += HISTORY_OVERHEAD;
        }
        let t = self.ops.entry(op.to_string()).or_insert_with(|| OpTrack {
            history: OpHistory::new(Tolerance { lag_ms }),
            breached: 0,
            last_seen_ms: now,
            last_done: false,
            done_seen: None,
            accepted_cancel: None,
            settle_judged: false,
            stale_refusal: None,
            tags: Vec::new(),
            weight: HISTORY_OVERHEAD,
            last_fed: None,
            last_get: None,
        });
        t.last_seen_ms = t.last_seen_ms.max(now);
        t
    }

    fn feed_history(&mut self, ctx: &Ctx<'_>) {
        let Some(body) = &ctx.body else { return };
        let text_len = ctx
            .rec
            .exchange
            .response
            .as_ref()
            .map_or(0, |r| r.body_excerpt.len());
        if !(200..300).contains(&ctx.status) {
            return;
        }
        let rec = ctx.rec;
        let path_q = rec.path_and_query();
        let path = path_q.split(['?', '#']).next().unwrap_or("");
        let etag = if rec.response_headers_known {
            rec.exchange
                .response
                .as_ref()
                .and_then(|r| r.header("etag"))
        } else {
            None
        };
        match ctx.route.endpoint {
            Endpoint::List => {
                if let Some(items) = body.get("data").and_then(Value::as_array) {
                    let item_len = text_len / items.len().max(1);
                    for item in items {
                        let size = Size {
                            text_len: item_len,
                            bytes: None,
                        };
                        self.sight(ctx, Endpoint::List, path, None, item, size);
                    }
                }
            }
            Endpoint::Get | Endpoint::Wait | Endpoint::Cancel => {
                self.sight(
                    ctx,
                    ctx.route.endpoint,
                    path,
                    etag,
                    body,
                    Size {
                        text_len,
                        bytes: Some(ctx.body_hash),
                    },
                );
            }
            Endpoint::Other => {}
        }
    }

    fn sight(
        &mut self,
        ctx: &Ctx<'_>,
        endpoint: Endpoint,
        path: &str,
        etag: Option<&str>,
        body: &Value,
        Size { text_len, bytes }: Size,
    ) {
        let Some(id) = body.get("id").and_then(Value::as_str) else {
            return;
        };
        let rec = ctx.rec;
        let at = rec.ended_ms();
        let op = canonical(id);
        let settle_ms =
            i64::try_from((self.opts.settle_deadline + self.opts.lag_tolerance).as_millis())
                .unwrap_or(i64::MAX);
        let t = self.track(&op, at);
        // The same bytes as the representation the history saw last add
        // nothing to it (a polled operation answers them again and again):
        // not given again, unless a GET's ETag is new for them (the ETag
        // rules) or a last_error is set (its rule counts how long it lasts).
        let tag_hash = etag.map(|e| hash_bytes(e.as_bytes()));
        let repeat = bytes.is_some()
            && bytes == t.last_fed
            && body.get("last_error").is_none_or(Value::is_null)
            && (endpoint != Endpoint::Get
                || matches!((t.last_get, bytes, tag_hash), (Some(g), Some(b), Some(e)) if g == (b, e)));
        let breaches = if repeat {
            Vec::new()
        } else {
            t.last_fed = bytes;
            if endpoint == Endpoint::Get {
                t.last_get = bytes.zip(tag_hash);
            }
            t.history.observe(Sighting {
                at_ms: u64::try_from(at).unwrap_or(0),
                endpoint,
                path,
                etag,
                body,
                src: ctx.evidence.clone(),
            })
        };
        // What the history now holds, estimated (it never lets go of a
        // body before the operation is dropped).
        if endpoint == Endpoint::Get
            && let Some(tag) = etag
        {
            let h = hash_bytes(tag.as_bytes());
            if !t.tags.contains(&h) && t.tags.len() < 64 {
                t.tags.push(h);
            }
        }
        let estimate = HISTORY_OVERHEAD + VALUE_EXPANSION * text_len * (2 + t.tags.len());
        let grown = estimate.saturating_sub(t.weight);
        t.weight += grown;
        let done = body.get("done") == Some(&Value::Bool(true));
        let state = body.get("state").and_then(Value::as_str).unwrap_or("");
        t.last_done = done;
        if done && t.done_seen.is_none() {
            t.done_seen = Some((at, ctx.evidence.clone()));
        }
        for b in &breaches {
            if let Some(i) = history::INVARIANTS.iter().position(|x| *x == b.invariant) {
                t.breached |= 1 << i;
            }
        }
        // CANCEL-IFMATCH-STALE: a refused cancel changed nothing.
        let mut stale = None;
        if let Some((refused_at, refused_ev)) = t.stale_refusal.clone()
            && at > refused_at
        {
            if state == "CANCELLED" {
                t.stale_refusal = None;
                stale = Some((false, refused_ev));
            } else if done {
                t.stale_refusal = None;
                stale = Some((true, refused_ev));
            }
        }
        // CANCEL-SETTLES: done within the deadline after an accepted cancel.
        let mut settle = None;
        if let Some((accepted_at, accepted_ev)) = t.accepted_cancel.clone()
            && !t.settle_judged
        {
            if done {
                t.settle_judged = true;
                settle = Some((true, accepted_ev, at - accepted_at));
            } else if at - accepted_at > settle_ms {
                t.settle_judged = true;
                settle = Some((false, accepted_ev, at - accepted_at));
            }
        }
        self.weight += grown;
        for b in breaches {
            self.fail(b.invariant, b.expected, b.actual, b.evidence, rec);
        }
        if let Some((passed, refused_ev)) = stale {
            self.judged(
                id::CANCEL_IFMATCH_STALE,
                passed,
                "a cancel refused for its If-Match leaves the operation running (no other accepted cancel in the recording)",
                format!("{op} turned CANCELLED after the refused cancel"),
                vec![refused_ev, ctx.evidence.clone()],
                rec
            );
        }
        if let Some((passed, accepted_ev, after)) = settle {
            let deadline = self.opts.settle_deadline.as_secs();
            self.judged(
                id::CANCEL_SETTLES,
                passed,
                format!("after an accepted cancel the operation is done within {deadline} s"),
                format!("{op} still RUNNING {after} ms after the accepted cancel"),
                vec![accepted_ev, ctx.evidence.clone()],
                rec,
            );
        }
    }

    /// Drops what bounded memory cannot keep: done operations past the
    /// retention, idle ones past the idle period; beyond the count cap or
    /// the memory budget, done operations first (longest done first), then
    /// the least recently seen; keys past their window or beyond their cap.
    fn sweep(&mut self) {
        let now = self.now_ms;
        let every = 1000.min(self.opts.retention.as_millis() as i64 / 4).max(1);
        let over = self.ops.len() > self.opts.max_operations
            || self.weight > self.opts.memory_budget
            || self.keys.len() > self.opts.max_keys;
        if !over && now.saturating_sub(self.last_sweep_ms) < every {
            return;
        }
        self.last_sweep_ms = now;
        let retention = self.opts.retention.as_millis() as i64;
        let idle = self.opts.idle.as_millis() as i64;
        let expired: Vec<String> = self
            .ops
            .iter()
            .filter(|(_, t)| match &t.done_seen {
                Some((at, _)) => now.saturating_sub(*at) >= retention,
                None => now.saturating_sub(t.last_seen_ms) >= idle,
            })
            .map(|(k, _)| k.clone())
            .collect();
        for k in expired {
            self.drop_op(&k);
        }
        let (cap, budget) = (self.opts.max_operations, self.opts.memory_budget);
        if self.ops.len() > cap || self.weight > budget {
            // Down to 90% of both, in one pass (amortised): done operations
            // first, longest done first; then the least recently seen.
            let mut order: Vec<(bool, i64, String)> = self
                .ops
                .iter()
                .map(|(k, t)| match &t.done_seen {
                    Some((at, _)) => (false, *at, k.clone()),
                    None => (true, t.last_seen_ms, k.clone()),
                })
                .collect();
            order.sort_unstable();
            for (.., k) in order {
                if self.ops.len() <= cap * 9 / 10 && self.weight <= budget / 10 * 9 {
                    break;
                }
                self.drop_op(&k);
                self.stats.dropped_early += 1;
            }
        }
        let window = self.opts.key_window.as_millis() as i64;
        if now.saturating_sub(self.oldest_key_ms) >= window {
            self.keys
                .retain(|_, k| now.saturating_sub(k.ended_ms) < window);
            self.oldest_key_ms = self.oldest_ended_key();
        }
        if self.keys.len() > self.opts.max_keys {
            let mut ages: Vec<i64> = self.keys.values().map(|k| k.ended_ms).collect();
            let cut = ages.len() - self.opts.max_keys * 9 / 10;
            let (_, nth, _) = ages.select_nth_unstable(cut);
            let nth = *nth;
            self.keys.retain(|_, k| k.ended_ms > nth);
            self.oldest_key_ms = self.oldest_ended_key();
        }
    }

    fn oldest_ended_key(&self) -> i64 {
        self.keys
            .values()
            .map(|k| k.ended_ms)
            .min()
            .unwrap_or(i64::MAX)
    }

    fn drop_op(&mut self, op: &str) {
        if let Some(t) = self.ops.remove(op) {
            self.weight = self.weight.saturating_sub(t.weight);
            self.count_history(&t);
        }
    }

    /// The history rules an operation exercised and did not breach passed.
    fn count_history(&mut self, t: &OpTrack) {
        for id in t.history.exercised() {
            let i = history::INVARIANTS
                .iter()
                .position(|x| *x == id)
                .unwrap_or(0);
            if t.breached & (1 << i) == 0 {
                self.pass(id);
            }
        }
    }

    /// Ends the audit: flushes the window and builds the report (one case
    /// per catalogue invariant, in catalogue order, named `audit::ID`):
    /// - failed when traffic showed a violation (each listed violation is a
    ///   step: its exchange and a failing check naming the evidence);
    /// - passed when traffic showed it hold, with one summary check
    ///   counting how often (the totals carry the real counts);
    /// - skipped, with the reason, when it is not observable in traffic,
    ///   strict-only in a lenient audit, or observable but not shown.
    pub fn finish(mut self, meta: AuditMeta) -> (AuditReport, Vec<Violation>) {
        let late = self.flush();
        let ops: Vec<OpTrack> = self.ops.drain().map(|(_, t)| t).collect();
        for t in &ops {
            self.count_history(t);
        }
        let file = meta.inputs.join(", ");
        let mut cases = Vec::new();
        let mut totals = Vec::new();
        for (inv, tally) in contract::catalogue().iter().zip(&self.tallies) {
            let name = format!("audit::{}", inv.id);
            let how = observability::judged(inv.id);
            let obs = observability::observability(inv.id);
            // Not observable beats passed: such an invariant is never
            // reported as held.
            let outcome = if tally.failed > 0 {
                CaseOutcome::Failed
            } else if let Some(Observability::NotObservable(reason)) = obs {
                CaseOutcome::Skipped {
                    reason: format!("not observable in traffic: {reason}"),
                }
            } else if tally.passed > 0 {
                CaseOutcome::Passed
            } else if tally.skipped > 0 {
                CaseOutcome::Skipped {
                    reason: format!(
                        "strict-only invariant: judged with --strict ({} observation(s) in this traffic)",
                        tally.skipped
                    ),
                }
            } else {
                CaseOutcome::Skipped {
                    reason: format!(
                        "observable in traffic, but no exchange in the input showed it ({how})"
                    ),
                }
            };
            let mut steps: Vec<StepResult> = tally.listed.iter().map(violation_step).collect();
            let unlisted = tally.failed.saturating_sub(tally.listed.len() as u64);
            if unlisted > 0 {
                steps.push(StepResult {
                    name: format!("{unlisted} more violation(s), counted and not listed"),
                    exchanges: Vec::new(),
                    checks: Vec::new(),
                    duration_ms: 0,
                });
            }
            if tally.passed > 0 {
                steps.push(StepResult {
                    name: "traffic".into(),
                    exchanges: Vec::new(),
                    checks: vec![CheckResult {
                        invariant: inv.id.to_string(),
                        verdict: Verdict::Pass,
                        expected: how.to_string(),
                        actual: format!("held in {} observation(s)", tally.passed),
                        exchange: None,
                        elapsed_ms: None,
                        kind: Default::default(),
                    }],
                    duration_ms: 0,
                });
            }
            let counted = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
            totals.push(InvariantTotal {
                id: inv.id.to_string(),
                passed: counted(tally.passed),
                failed: counted(tally.failed),
                flaky: 0,
                inconclusive: 0,
                skipped: counted(tally.skipped),
                cases: if tally.passed + tally.failed + tally.skipped > 0 {
                    vec![name.clone()]
                } else {
                    Vec::new()
                },
            });
            cases.push(CaseResult {
                name,
                file: file.clone(),
                description: Some(match obs {
                    Some(o) if !how.is_empty() => format!("{} ({}): {how}", inv.title, o.label()),
                    _ => format!("{} (not observable in traffic)", inv.title),
                }),
                invariants: vec![inv.id.to_string()],
                outcome,
                attempts: 1,
                steps,
                other_attempts: Vec::new(),
                duration_ms: 0,
            });
        }
        if self.stats.input_errors > 0 {
            let first: Vec<String> = self
                .input_errors
                .iter()
                .take(3)
                .map(ToString::to_string)
                .collect();
            cases.push(CaseResult {
                name: "audit::input".into(),
                file: file.clone(),
                description: Some("entries and lines that could not be read".into()),
                invariants: Vec::new(),
                outcome: CaseOutcome::Skipped {
                    reason: format!(
                        "{} entr(y/ies) or line(s) could not be read and were not audited; first: {}",
                        self.stats.input_errors,
                        first.join("; ")
                    ),
                },
                attempts: 1,
                steps: Vec::new(),
                other_attempts: Vec::new(),
                duration_ms: 0,
            });
        }
        let result = RunResult {
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            catalogue_version: contract::CATALOGUE_VERSION.to_string(),
            target: TargetInfo {
                base_url: format!("audit of recorded traffic: {file}"),
                embedded: false,
                faults: Vec::new(),
            },
            mode: self.opts.mode,
            started_at: meta.started_at,
            duration_ms: meta.duration_ms,
            cases,
            invariants: totals,
            timelines: Vec::new(),
        };
        (
            AuditReport {
                result,
                stats: self.stats,
                input_errors: self.input_errors,
            },
            late,
        )
    }
}

/// A response body parsed (the parser's message when it is not JSON).
pub(crate) fn parse_body(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// What the judge's verdict on one response may depend on: endpoint,
/// status, body kind and bytes, every response header but `Date` (only
/// the `:wait` timing rules read it, and a `:wait` is never cached), and
/// the request's method and URL (LIST-LIMIT reads `limit`). Deliberately
/// wider than what today's rules read, so a new rule over a header cannot
/// be served a stale verdict.
fn judge_key(
    route: &Route,
    kind: Option<crate::case::BodyKind>,
    rec: &Record,
    body_hash: u64,
) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    route.endpoint.hash(&mut h);
    kind.map(|k| k as u8).hash(&mut h);
    rec.body.hash(&mut h);
    rec.response_headers_known.hash(&mut h);
    if let Some(r) = &rec.exchange.response {
        r.status.hash(&mut h);
        body_hash.hash(&mut h);
        for (name, value) in &r.headers {
            if !name.eq_ignore_ascii_case("date") {
                name.to_ascii_lowercase().hash(&mut h);
                value.hash(&mut h);
            }
        }
    }
    rec.exchange.request.method.hash(&mut h);
    rec.exchange.request.url.hash(&mut h);
    h.finish()
}

/// Response rules that read headers: not judged when the recording has
/// none.
const HEADER_RULES: &[&str] = &[
    id::HTTP_JSON_CONTENT_TYPE,
    id::OP_ETAG_HEADER,
    id::HTTP_405_ALLOW,
];

fn status_sets(id: &str, mode: Mode) -> Vec<u16> {
    contract::find(id)
        .and_then(|i| i.statuses)
        .map(|s| s.accepted(mode))
        .unwrap_or_default()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1.split('#').next()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// ` (state X, done Y)` of a body, for messages.
fn summary(body: Option<&Value>) -> String {
    match body {
        Some(b) => format!(
            "; now state {} done {}",
            b.get("state").unwrap_or(&Value::Null),
            b.get("done").unwrap_or(&Value::Null)
        ),
        None => String::new(),
    }
}

fn cut(text: &mut String, max: usize) -> bool {
    if text.len() <= max {
        return false;
    }
    let mut at = max;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    text.truncate(at);
    true
}

/// A listed violation's exchange: bodies cut, secrets scrubbed.
fn excerpt_of(ex: &Exchange, max: usize) -> Exchange {
    let mut ex = ex.clone();
    if let Some(b) = &mut ex.request.body {
        cut(b, max);
        *b = scrub(b).into_owned();
    }
    if let Some(r) = &mut ex.response {
        if cut(&mut r.body_excerpt, max) {
            r.body_truncated = true;
        }
        r.body_excerpt = scrub(&r.body_excerpt).into_owned();
    }
    ex
}

fn violation_step(v: &Violation) -> StepResult {
    let at = v
        .evidence
        .last()
        .map(ToString::to_string)
        .unwrap_or_default();
    let shown: Vec<String> = v.evidence.iter().map(ToString::to_string).collect();
    StepResult {
        name: scrub(&at).into_owned(),
        exchanges: v.exchange.iter().cloned().collect(),
        checks: vec![CheckResult {
            invariant: v.invariant.clone(),
            verdict: Verdict::Fail,
            expected: v.expected.clone(),
            actual: scrub(&format!("{} [shown by: {}]", v.actual, shown.join("; "))).into_owned(),
            exchange: v.exchange.as_ref().map(|_| 0),
            elapsed_ms: None,
            kind: Default::default(),
        }],
        duration_ms: 0,
    }
}
