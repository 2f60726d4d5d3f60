//! Stateless generation: two threads generate, send and judge inputs while
//! the calling thread attributes failing ones, in input order, to the
//! distinct failures of the session (`super::found`), shrinks each new one
//! and stops generation once `--max-failures` are found.
//!
//! Input `i` goes to thread `i % 2` and is generated from its own seed
//! (`input_runner`), so any thread can make it again: the attributing
//! thread regenerates a failing input's value tree by its index to shrink
//! it (value trees are not `Send`). Each sending thread publishes the
//! lowest index it has not finished; failing inputs below the lowest of
//! them are complete and attributed in index order, so which failures a
//! seed names does not depend on which thread was faster. Once the N-th
//! distinct failure is found at index `j`, no input after `j` is started
//! and failing inputs after `j` are not counted. With `--max-failures 1`
//! the first failing input found stops generation at once (the first
//! failure in index order is always new); inputs before it still finish.
//!
//! A failing input whose key was attributed already when it finished waits
//! as a mark, not with its recorded exchange: a badly broken target fails
//! most inputs, and they wait while a new failure is shrunk.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::Config;

use crate::contract::Schemas;

use super::check::{Checked, Judge, check_one};
use super::executor::{ExecError, Executor};
use super::input::FuzzRequest;
use super::property::{Property, Violation};
use super::session::{FuzzConfig, FuzzError, Progress, client_runtime, input_runner};
use super::shape::{FailureKey, RequestShape, Shape};
use super::sightings::SharedHistory;
use super::strategies::{StrategyOptions, request};

/// Threads that generate, send and judge (at most one per request in
/// flight). Which inputs a seed names does not depend on it.
const SHARDS: u64 = 2;

/// How long the attributing thread sleeps when nothing is ready (it
/// reports progress as it wakes).
const POLL: Duration = Duration::from_millis(20);

/// One failing input, as sent.
pub struct Failing {
    /// Its index.
    pub index: u64,
    /// The input.
    pub req: FuzzRequest,
    /// Its result.
    pub checked: Checked,
}

/// The shape of a failing stateless input: a history breach of a shared
/// fixture is that fixture's, whatever request showed it; anything else is
/// the request's.
pub fn shape_of(req: &FuzzRequest, c: &Checked) -> Shape {
    match (c.violations.first(), c.history_slot) {
        (Some(v), Some(slot)) if v.property == Property::History => Shape::History(slot),
        _ => Shape::Request(RequestShape::of(req)),
    }
}

/// The key of a failing stateless input (`None` when nothing failed).
pub fn key_of(req: &FuzzRequest, c: &Checked) -> Option<FailureKey> {
    let headline = c.violations.first()?;
    Some(FailureKey {
        property: headline.property,
        invariant: headline.invariant.clone(),
        shape: shape_of(req, c),
    })
}

/// What attributing one failing input decided.
pub struct Attributed {
    /// The session has found enough distinct failures.
    pub enough: bool,
    /// The input's own key and the failure it was attributed to: an input
    /// of the same key finished later is that failure again.
    pub raw: Option<(FailureKey, usize)>,
}

/// What the attributing side decides about failing inputs, in index order.
pub trait Attribute {
    /// Attributes `failing`; `shrink` shrinks it (the smallest failing
    /// input keeping `headline`'s property and invariant).
    fn attribute(
        &mut self,
        failing: Failing,
        shrink: &mut dyn FnMut(&FuzzRequest, &Checked, &Violation) -> Result<Shrunk, ExecError>,
    ) -> Result<Attributed, FuzzError>;

    /// Counts one more failing input as failure `i` (one whose key was
    /// already attributed); returns whether the session has enough.
    fn duplicate(&mut self, i: usize) -> bool;
}

/// A failing input waiting for its turn.
enum Pending {
    /// To attribute.
    Failing(Box<Failing>),
    /// Its key was already attributed to this failure when it finished:
    /// kept as this mark only (a badly broken target fails most inputs,
    /// and they wait while a failure is shrunk). Only inputs after the
    /// one that fixed the key can finish after it, so attributing in
    /// index order would find the same.
    Duplicate(usize),
}

/// A shrunk input.
pub struct Shrunk {
    /// The smallest input that still fails the same way.
    pub req: FuzzRequest,
    /// Its result.
    pub checked: Checked,
    /// Shrink steps taken.
    pub steps: u32,
}

/// What the threads share.
struct Shared<'a> {
    config: &'a FuzzConfig,
    pt: Config,
    schemas: &'a Schemas,
    history: Option<&'a SharedHistory>,
    deadline: Option<Instant>,
    /// Inputs at or after this index are not started.
    limit: AtomicU64,
    /// Set when a thread failed: every thread stops.
    halt: AtomicBool,
    /// Inputs done, all threads.
    done: AtomicU64,
    /// Per sending thread: the lowest index it has not finished
    /// (`u64::MAX` once it stopped).
    low: Vec<AtomicU64>,
    /// Failing inputs not yet attributed, by index.
    failing: Mutex<BTreeMap<u64, Pending>>,
    wake: Condvar,
    /// Keys of failing inputs attributed so far, and to which failure.
    known: RwLock<HashMap<FailureKey, usize>>,
}

impl Shared<'_> {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Pending>> {
        self.failing.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The failure inputs of key `key` were attributed to, if any.
    fn known(&self, key: &FailureKey) -> Option<usize> {
        self.known
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .copied()
    }
}

/// What one sending thread did.
#[derive(Default)]
pub struct Counts {
    /// Inputs checked.
    pub cases: u64,
    /// Requests sent for generated inputs.
    pub requests: u64,
    /// Requests sent while shrinking.
    pub shrink_requests: u64,
    /// Inputs not sent.
    pub skipped: u64,
}

/// Marks a sending thread finished when it ends, however it ends (the
/// attributing thread waits for every thread's mark).
struct Finished<'a> {
    shared: &'a Shared<'a>,
    k: usize,
}

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.shared.low[self.k].store(u64::MAX, Ordering::Release);
        let _guard = self.shared.lock();
        self.shared.wake.notify_all();
    }
}

/// Runs the stateless generation of a session (see the module docs):
/// `exec` and `rt` are the calling thread's (it shrinks with them),
/// `attribute` decides about failing inputs. Returns what was sent, and
/// the generation time.
pub fn generate(
    config: &FuzzConfig,
    exec: &Executor,
    schemas: &Schemas,
    history: Option<&SharedHistory>,
    rt: &tokio::runtime::Runtime,
    progress: &dyn Fn(Progress),
    attribute: &mut dyn Attribute,
) -> Result<Counts, FuzzError> {
    let shards = SHARDS.min(config.concurrency.max(1) as u64);
    let shared = Shared {
        config,
        pt: super::session::proptest_config(config),
        schemas,
        history,
        deadline: config.time.map(|t| Instant::now() + t),
        limit: AtomicU64::new(u64::MAX),
        halt: AtomicBool::new(false),
        done: AtomicU64::new(0),
        low: (0..shards).map(AtomicU64::new).collect(),
        failing: Mutex::new(BTreeMap::new()),
        wake: Condvar::new(),
        known: RwLock::new(HashMap::new()),
    };
    let siblings = (0..shards)
        .map(|_| exec.sibling())
        .collect::<Result<Vec<_>, _>>()?;
    let mut shrink_requests = 0u64;
    let (outcomes, attributed) = std::thread::scope(|scope| {
        let handles: Vec<_> = siblings
            .iter()
            .enumerate()
            .map(|(k, sibling)| {
                let shared = &shared;
                scope.spawn(move || {
                    let _finished = Finished { shared, k };
                    match client_runtime() {
                        Ok(rt) => shard(k as u64, shards, sibling, &rt, shared),
                        Err(e) => (
                            Counts::default(),
                            Some(ExecError::Unreachable(format!(
                                "start a client thread: {e}"
                            ))),
                        ),
                    }
                })
            })
            .collect();
        let attributed =
            attribute_in_order(&shared, exec, rt, progress, attribute, &mut shrink_requests);
        if attributed.is_err() {
            shared.halt.store(true, Ordering::Relaxed);
        }
        // A thread that panicked lost only its own inputs' results.
        let outcomes: Vec<_> = handles.into_iter().filter_map(|h| h.join().ok()).collect();
        (outcomes, attributed)
    });
    let mut counts = Counts {
        shrink_requests,
        ..Counts::default()
    };
    let mut error = None;
    for (c, e) in outcomes {
        counts.cases += c.cases;
        counts.requests += c.requests;
        counts.skipped += c.skipped;
        if error.is_none() {
            error = e;
        }
    }
    progress(Progress::Generated {
        done: counts.cases,
        total: config.cases,
    });
    attributed?;
    match error {
        Some(e) => Err(e.into()),
        None => Ok(counts),
    }
}

/// The calling thread's part: failing inputs attributed in index order as
/// the sending threads finish the inputs before them; progress reported.
fn attribute_in_order(
    shared: &Shared<'_>,
    exec: &Executor,
    rt: &tokio::runtime::Runtime,
    progress: &dyn Fn(Progress),
    attribute: &mut dyn Attribute,
    shrink_requests: &mut u64,
) -> Result<(), FuzzError> {
    let config = shared.config;
    let strategy = request(StrategyOptions {
        fixtures: exec.has_fixtures(),
    });
    let judge = Judge {
        exec,
        schemas: shared.schemas,
        mode: config.mode,
        history: shared.history,
    };
    let mut shrink = |req: &FuzzRequest,
                      index: u64,
                      first: &Checked,
                      headline: &Violation|
     -> Result<Shrunk, ExecError> {
        // The same input, made again from its index: its value tree.
        let tree = strategy
            .new_tree(&mut input_runner(&shared.pt, config.seed, index))
            .ok()
            .filter(|t| t.current() == *req);
        let Some(tree) = tree else {
            return Ok(Shrunk {
                req: req.clone(),
                checked: first.clone(),
                steps: 0,
            });
        };
        let (shrunk, requests) = shrink_stateless(
            tree,
            first.clone(),
            headline,
            config,
            judge,
            rt,
            index,
            progress,
        )?;
        *shrink_requests += requests;
        Ok(shrunk)
    };
    loop {
        let finished = shared
            .low
            .iter()
            .all(|l| l.load(Ordering::Acquire) == u64::MAX);
        let watermark = shared
            .low
            .iter()
            .map(|l| l.load(Ordering::Acquire))
            .min()
            .unwrap_or(u64::MAX);
        let ready: Vec<(u64, Pending)> = {
            let mut failing = shared.lock();
            let later = failing.split_off(&watermark);
            std::mem::replace(&mut *failing, later)
                .into_iter()
                .collect()
        };
        for (index, pending) in ready {
            // Past the N-th distinct failure: not counted.
            if index >= shared.limit.load(Ordering::Relaxed) {
                continue;
            }
            let enough = match pending {
                Pending::Duplicate(i) => attribute.duplicate(i),
                Pending::Failing(f) => {
                    let done = attribute.attribute(*f, &mut |req, first, headline| {
                        shrink(req, index, first, headline)
                    })?;
                    if let Some((key, i)) = done.raw {
                        shared
                            .known
                            .write()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(key, i);
                    }
                    done.enough
                }
            };
            if enough {
                shared.limit.fetch_min(index + 1, Ordering::Relaxed);
            }
        }
        progress(Progress::Generated {
            done: shared.done.load(Ordering::Relaxed),
            total: config.cases,
        });
        if finished || shared.halt.load(Ordering::Relaxed) {
            return Ok(());
        }
        let guard = shared.lock();
        let _ = shared.wake.wait_timeout(guard, POLL);
    }
}

/// One thread's share: inputs `k`, `k + shards`, ... sent through a
/// sliding window on this thread's runtime (a new request starts as soon as
/// one finishes, so a slow response never leaves the other slots idle).
fn shard(
    k: u64,
    shards: u64,
    exec: &Executor,
    rt: &tokio::runtime::Runtime,
    shared: &Shared<'_>,
) -> (Counts, Option<ExecError>) {
    use futures_util::FutureExt as _;
    use futures_util::StreamExt as _;
    use futures_util::stream::FuturesUnordered;

    let config = shared.config;
    let judge = Judge {
        exec,
        schemas: shared.schemas,
        mode: config.mode,
        history: shared.history,
    };
    let strategy = request(StrategyOptions {
        fixtures: exec.has_fixtures(),
    });
    // This thread's share of the window (the first threads take the rest).
    let conc = config.concurrency.max(1) as u64;
    let window = (conc / shards + u64::from(k < conc % shards)).max(1) as usize;
    let in_time = || shared.deadline.is_none_or(|d| Instant::now() < d);
    let one_failure = config.max_failures <= 1;
    let mut next = k;
    let mut started: Vec<u64> = Vec::with_capacity(window);
    let mut counts = Counts::default();
    let mut error = None;
    rt.block_on(async {
        let mut inflight = FuturesUnordered::new();
        loop {
            while !shared.halt.load(Ordering::Relaxed)
                && inflight.len() < window
                && next < config.cases
                && next < shared.limit.load(Ordering::Relaxed)
                && in_time()
            {
                let index = next;
                next += shards;
                // A strategy without filters never rejects.
                let Ok(tree) = strategy.new_tree(&mut input_runner(&shared.pt, config.seed, index))
                else {
                    continue;
                };
                let req = tree.current();
                started.push(index);
                // A panic while checking one request loses that request's
                // result, not the session.
                inflight.push(async move {
                    let checked = std::panic::AssertUnwindSafe(check_one(judge, &req, Some(index)))
                        .catch_unwind()
                        .await
                        .ok();
                    (index, req, checked)
                });
            }
            let Some((index, req, result)) = inflight.next().await else {
                break;
            };
            started.retain(|i| *i != index);
            counts.cases += 1;
            match result {
                None => {}
                Some(Err(e)) => {
                    shared.halt.store(true, Ordering::Relaxed);
                    error.get_or_insert(e);
                }
                Some(Ok(checked)) => {
                    counts.requests += checked.requests;
                    counts.skipped += u64::from(checked.skipped);
                    if !checked.violations.is_empty() {
                        if one_failure {
                            // The first failing input by index is the one
                            // failure: nothing after it is needed.
                            shared.limit.fetch_min(index + 1, Ordering::Relaxed);
                        }
                        let pending = match key_of(&req, &checked).and_then(|k| shared.known(&k)) {
                            Some(i) => Pending::Duplicate(i),
                            None => Pending::Failing(Box::new(Failing {
                                index,
                                req,
                                checked,
                            })),
                        };
                        let mut failing = shared.lock();
                        failing.insert(index, pending);
                        shared.wake.notify_all();
                    }
                }
            }
            // Published after the failing input is: every failing input
            // below the published index is in the map.
            let low = started.iter().copied().min().unwrap_or(next);
            shared.low[k as usize].store(low, Ordering::Release);
            shared.done.fetch_add(1, Ordering::Relaxed);
        }
    });
    (counts, error)
}

/// Shrinks a failing input while it still breaks `headline`'s property and
/// invariant: the smallest failing input, its result and steps, and the
/// requests sent.
#[allow(clippy::too_many_arguments)]
fn shrink_stateless(
    mut tree: Box<dyn ValueTree<Value = FuzzRequest>>,
    first: Checked,
    headline: &Violation,
    config: &FuzzConfig,
    judge: Judge<'_>,
    rt: &tokio::runtime::Runtime,
    index: u64,
    progress: &dyn Fn(Progress),
) -> Result<(Shrunk, u64), ExecError> {
    let mut best = (tree.current(), first);
    let mut steps = 0u32;
    let mut requests = 0u64;
    let same = |v: &Violation| v.property == headline.property && v.invariant == headline.invariant;
    if tree.simplify() {
        while steps < config.max_shrink_iters {
            steps += 1;
            progress(Progress::Shrinking(steps));
            let candidate = tree.current();
            let c = rt.block_on(check_one(judge, &candidate, Some(index)))?;
            requests += c.requests;
            let more = if c.violations.iter().any(same) {
                best = (candidate, c);
                tree.simplify()
            } else {
                tree.complicate()
            };
            if !more {
                break;
            }
        }
    }
    let (req, mut checked) = best;
    super::found::headline_first(&mut checked.violations, headline);
    Ok((
        Shrunk {
            req,
            checked,
            steps,
        },
        requests,
    ))
}
