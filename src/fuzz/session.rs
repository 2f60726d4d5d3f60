//! One fuzz session: replay the regressions file, then generate inputs with
//! a seeded proptest `TestRunner`, send them in concurrent batches, shrink
//! the first counterexample alone, persist it, and describe the session as
//! a [`RunResult`].
//!
//! Call [`run`] from a plain thread (not from inside a tokio runtime). The
//! client side of a session lives on that one thread: a current-thread
//! runtime drives the requests in flight while the same thread generates
//! (proptest value trees are not `Send`) and judges them, so no request
//! crosses a thread and no wake-up crosses a core. An embedded target keeps
//! serving from its own runtime's threads.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::contract::{self, Mode, Schemas};
use crate::model::{
    CaseOutcome, CaseResult, CheckResult, Exchange, RunResult, StepResult, TargetInfo, Verdict,
};
use crate::report::reproducer;

use super::body_cache::Judged;
use super::emit_case;
use super::executor::{
    ExecError, Executor, FuzzTarget, KEY_NONCE_MIN, Observed, Prepared, nonce_offset,
};
use super::input::FuzzRequest;
use super::model::{Action, TraceStep, run_sequence, sequence};
use super::oracle::{Expectation, InputClass, OracleEnv, expect};
use super::property::{Property, Violation, judge_body, judge_status};
use super::regressions::{self, Input, Regression, RegressionError};
use super::strategies::{StrategyOptions, request};

/// How a session runs.
#[derive(Debug, Clone)]
pub struct FuzzConfig {
    /// Generated inputs (requests, or sequences with `stateful`).
    pub cases: u64,
    /// Stop generating after this long (whichever of `cases`/`time` comes first).
    pub time: Option<Duration>,
    /// The seed: same seed, same inputs.
    pub seed: u64,
    /// Sequences against the model instead of single requests.
    pub stateful: bool,
    /// Requests in flight at once (stateless).
    pub concurrency: usize,
    /// Lenient (default) or strict status sets.
    pub mode: Mode,
    /// The regressions file (`None`: neither replay nor persist).
    pub regressions: Option<PathBuf>,
    /// Upper bound on shrink steps.
    pub max_shrink_iters: u32,
    /// Per-request deadline ("no hang").
    pub request_timeout: Duration,
    /// Longest generated sequence.
    pub max_sequence_len: usize,
}

impl Default for FuzzConfig {
    fn default() -> Self {
        FuzzConfig {
            cases: 1000,
            time: None,
            seed: 0,
            stateful: false,
            concurrency: 32,
            mode: Mode::Lenient,
            regressions: None,
            max_shrink_iters: 512,
            request_timeout: Duration::from_secs(10),
            max_sequence_len: 12,
        }
    }
}

/// Progress events for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Replaying this many regressions.
    Replaying(usize),
    /// Generated inputs done so far, of the planned total.
    Generated {
        /// Done.
        done: u64,
        /// Planned.
        total: u64,
    },
    /// Shrinking a counterexample; steps so far.
    Shrinking(u32),
}

/// Where a counterexample came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Replayed from the regressions file.
    Regression,
    /// Generated in this session.
    Generated,
}

/// A (shrunk) failing input.
#[derive(Debug, Clone)]
pub struct Counterexample {
    /// Replayed or generated.
    pub source: Source,
    /// The input, as persisted.
    pub input: Input,
    /// What broke (the first is the headline).
    pub violations: Vec<Violation>,
    /// The exchanges of the final (shrunk) run.
    pub exchanges: Vec<Exchange>,
    /// Shrink steps taken.
    pub shrink_steps: u32,
    /// `curl` reproducers of the failing request(s).
    pub reproducers: Vec<String>,
    /// A ready-to-use case file.
    pub case_file: String,
    /// The seed of the run that found it.
    pub seed: u64,
}

/// What a session did.
#[derive(Debug, Clone)]
pub struct FuzzOutcome {
    /// The seed used.
    pub seed: u64,
    /// Generated inputs checked.
    pub cases: u64,
    /// Requests sent (fixture creation and shrinking included).
    pub requests: u64,
    /// Generated requests sent in the generation phase (throughput basis).
    pub generated_requests: u64,
    /// Time of the generation phase.
    pub generation_time: Duration,
    /// Inputs the client refused to send (control characters).
    pub skipped: u64,
    /// Regressions replayed.
    pub replayed: usize,
    /// The counterexamples (regressions that still fail, or the one found).
    pub counterexamples: Vec<Counterexample>,
    /// True when a new counterexample was added to the regressions file.
    pub persisted: bool,
    /// The session as a result for the reporters.
    pub result: RunResult,
}

/// A session could not run.
#[derive(Debug, thiserror::Error)]
pub enum FuzzError {
    /// The target did not answer, or the fixture provider failed.
    #[error(transparent)]
    Target(#[from] ExecError),
    /// The regressions file.
    #[error(transparent)]
    Regressions(#[from] RegressionError),
    /// The schemas.
    #[error(transparent)]
    Schemas(#[from] contract::SchemaError),
    /// Stateful fuzzing needs fixtures.
    #[error("run stateful fuzzing: it needs a fixture provider (--fixtures)")]
    NoFixtures,
    /// The client's runtime could not start.
    #[error("start the client runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

/// Seed bytes from the user's `u64` (XorShift takes the first 16).
fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let v = seed
            .wrapping_add(i as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        chunk.copy_from_slice(&v.to_le_bytes());
    }
    out
}

/// The proptest config of a session: explicit, no failure persistence (the
/// regressions file is ours).
pub(super) fn proptest_config(config: &FuzzConfig) -> Config {
    Config {
        cases: u32::try_from(config.cases).unwrap_or(u32::MAX),
        failure_persistence: None,
        // XorShift: a quarter of the generation time of ChaCha, and
        // reproducible from the seed alike.
        rng_algorithm: RngAlgorithm::XorShift,
        max_shrink_iters: config.max_shrink_iters,
        ..Config::default()
    }
}

/// The seeded runner of a stateful session (sequences are generated one
/// after another).
pub fn test_runner(config: &FuzzConfig) -> TestRunner {
    TestRunner::new_with_rng(
        proptest_config(config),
        TestRng::from_seed(RngAlgorithm::XorShift, &seed_bytes(config.seed)[..16]),
    )
}

/// The seed of stateless input `index`: SplitMix64 of the session seed and
/// the index, so each input has a seed of its own.
fn input_seed(seed: u64, index: u64) -> u64 {
    let mut z = seed
        .wrapping_add(index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x6A09_E667_F3BC_C909);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The runner that generates stateless input `index` (of a session with
/// `pt`'s config): every input has its own seed, derived from the
/// session's, so a seed names the same inputs whatever the concurrency and
/// however the work is split between threads.
pub(super) fn input_runner(pt: &Config, seed: u64, index: u64) -> TestRunner {
    TestRunner::new_with_rng(
        pt.clone(),
        TestRng::from_seed(
            RngAlgorithm::XorShift,
            &seed_bytes(input_seed(seed, index))[..16],
        ),
    )
}

/// One stateless request checked.
#[derive(Debug, Clone)]
struct Checked {
    violations: Vec<Violation>,
    exchange: Option<Exchange>,
    expectation: Expectation,
    skipped: bool,
    requests: u64,
}

async fn check_one(
    exec: &Executor,
    schemas: &Schemas,
    mode: Mode,
    req: &FuzzRequest,
) -> Result<Checked, ExecError> {
    let fixture = exec.fixture_for(req).await?;
    let mut requests = u64::from(req.slot() == Some(super::input::Slot::FreshRunning));
    let prepared = exec.render(req, fixture.as_ref());
    let refused = Executor::unsendable(&prepared) || !exec.may_send(req, &prepared);
    // The key as sent (this session's nonce in a long one; see
    // `session_key`), remembered only when the request goes out. Short keys
    // may have been used by an earlier run against the same target (keys
    // live for hours): either answer is then fine.
    let sent_key = prepared
        .headers
        .iter()
        .find(|(k, _)| *k == "idempotency-key")
        .map(|(_, v)| v.as_str());
    let key_seen = match (&req.idempotency_key, sent_key) {
        (Some(drawn), Some(sent)) if req.verb == super::input::Verb::Cancel && !refused => {
            exec.key_seen(sent)
                || (nonce_offset(drawn).is_none() && drawn.chars().count() < KEY_NONCE_MIN)
        }
        _ => false,
    };
    let env = OracleEnv {
        mode,
        etag_known: fixture.as_ref().is_none_or(|f| f.etag.is_some()),
        key_seen,
    };
    let exp = expect(req, &env);
    if exp.class == InputClass::Unsendable || refused {
        return Ok(Checked {
            violations: Vec::new(),
            exchange: None,
            expectation: exp,
            skipped: true,
            requests,
        });
    }
    let seen = exec.send(&prepared).await;
    requests += 1;
    let mut violations = judge_status(&exp, &seen, mode);
    if let Some(status) = seen.status.filter(|s| (200..500).contains(s)) {
        if violations.is_empty() {
            let key = exec.clean.key(&Judged {
                endpoint: exec.endpoint_of(&prepared),
                mode,
                method: prepared.method,
                url: &prepared.url,
                status,
                headers: &seen.headers,
                body: &seen.body,
            });
            // Every check is a pure function of what the key covers: a
            // byte-identical exchange already judged clean is clean.
            if !exec.clean.is_clean(key) {
                violations = judge_body_filtered(exec, schemas, mode, req, &prepared, &seen);
                if violations.is_empty() {
                    exec.clean.mark_clean(key);
                }
            }
        } else {
            // A wrong status is judged in full too, as the runner judges
            // every response: the body may break more than the status.
            violations.extend(judge_body_filtered(
                exec, schemas, mode, req, &prepared, &seen,
            ));
        }
    }
    Ok(Checked {
        exchange: (!violations.is_empty()).then(|| exec.record(&prepared, &seen)),
        violations,
        expectation: exp,
        skipped: false,
        requests,
    })
}

/// The body checks for one response, with the newest-first rule limited to
/// this run's own (filtered) list pages. A list page whose items were
/// judged before is checked item by item (see `page`); the full check
/// runs when that finds anything, so violations read the same.
fn judge_body_filtered(
    exec: &Executor,
    schemas: &Schemas,
    mode: Mode,
    req: &FuzzRequest,
    prepared: &Prepared,
    seen: &Observed,
) -> Vec<Violation> {
    let lean = Executor::for_checks(prepared, seen);
    // Unfiltered pages mix operations other runs and providers created;
    // fixture providers back-date terminal fixtures' started_at, so the
    // started_at proxy of newest-first only holds for this run's own
    // (filtered) fixtures.
    let ignore: &[&str] = if req.verb == super::input::Verb::List
        && !(req.query_param("owner_id") == Some(super::strategies::OWNER_PLACEHOLDER)
            && req.query_param("owner_type") == Some("install"))
    {
        &["LIST-NEWEST-FIRST"]
    } else {
        &[]
    };
    if req.verb == super::input::Verb::List
        && seen.status.is_some_and(|s| (200..300).contains(&s))
        && super::page::is_clean(schemas, mode, &seen.body, &lean, &exec.clean, ignore)
    {
        return Vec::new();
    }
    let mut violations = judge_body(schemas, mode, exec.endpoint_of(prepared), seen, &lean);
    violations.retain(|v| !ignore.contains(&v.invariant.as_str()));
    violations
}

/// The session's own single-thread runtime (see the module docs).
pub(super) fn client_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Runs one session. Blocks; call it from a thread that is not running a
/// tokio runtime (an embedded target may serve from another runtime's
/// worker threads).
pub fn run(
    config: &FuzzConfig,
    target: FuzzTarget,
    progress: &dyn Fn(Progress),
) -> Result<FuzzOutcome, FuzzError> {
    let started = Instant::now();
    let rt = client_runtime()?;
    let started_at = SystemTime::now();
    let schemas = Arc::new(Schemas::bundled()?);
    let mut exec = Executor::new(target, config.request_timeout)?;
    rt.block_on(exec.setup())?;
    if config.stateful && !exec.has_fixtures() {
        return Err(FuzzError::NoFixtures);
    }
    let exec = Arc::new(exec);
    let mut out = FuzzOutcome {
        seed: config.seed,
        cases: 0,
        requests: 0,
        generated_requests: 0,
        generation_time: Duration::ZERO,
        skipped: 0,
        replayed: 0,
        counterexamples: Vec::new(),
        persisted: false,
        result: empty_result(&exec, config.mode),
    };

    // 1. Replay every persisted regression first.
    let saved = match &config.regressions {
        Some(p) => regressions::load(p)?,
        None => Vec::new(),
    };
    progress(Progress::Replaying(saved.len()));
    for r in &saved {
        out.replayed += 1;
        match &r.input {
            Input::Stateless(req) => {
                let c = rt.block_on(check_one(&exec, &schemas, config.mode, req))?;
                out.requests += c.requests;
                if !c.violations.is_empty() {
                    out.counterexamples.push(stateless_cx(
                        &exec,
                        Source::Regression,
                        req,
                        c,
                        0,
                        r.seed,
                    ));
                }
            }
            Input::Stateful(actions) if exec.has_fixtures() => {
                let run = rt.block_on(run_sequence(&exec, &schemas, config.mode, actions))?;
                out.requests += run.requests;
                if !run.violations.is_empty() {
                    out.counterexamples.push(stateful_cx(
                        Source::Regression,
                        actions,
                        &run.trace,
                        run.violations,
                        0,
                        r.seed,
                    ));
                }
            }
            Input::Stateful(_) => {}
        }
    }

    // 2. Generate, unless a regression still fails.
    if out.counterexamples.is_empty() {
        let gen_started = Instant::now();
        let found = if config.stateful {
            generate_stateful(config, &exec, &schemas, &rt, progress, &mut out)?
        } else {
            generate_stateless(config, &exec, &schemas, &rt, progress, &mut out)?
        };
        out.generation_time = gen_started.elapsed();
        if let Some(cx) = found {
            if let Some(path) = &config.regressions {
                let (property, invariant) = cx
                    .violations
                    .first()
                    .map(|v| (v.property, v.invariant.clone()))
                    .unwrap_or((Property::StatefulModel, String::new()));
                out.persisted = regressions::append(
                    path,
                    &Regression {
                        input: cx.input.clone(),
                        property,
                        invariant,
                        seed: config.seed,
                        found_at: crate::run::rfc3339(SystemTime::now()),
                    },
                )?;
            }
            out.counterexamples.push(cx);
        }
    }
    out.result = result(&exec, config, &out, started_at, started);
    Ok(out)
}

/// How often (in inputs) generation reports progress.
const PROGRESS_EVERY: u64 = 64;

/// Threads that generate, send and judge stateless inputs (at most one per
/// request in flight). Input `i` goes to thread `i % SHARDS`; which inputs
/// a seed names does not depend on it (see [`input_runner`]).
const SHARDS: u64 = 2;

/// One request in flight: its index and its result (`None` when checking
/// it panicked).
type Done = (u64, Option<Result<Checked, ExecError>>);

/// What is shared between the threads of a stateless session.
struct Shared<'a> {
    config: &'a FuzzConfig,
    pt: Config,
    schemas: &'a Schemas,
    deadline: Option<Instant>,
    /// Set when any thread found a counterexample or an error.
    stop: std::sync::atomic::AtomicBool,
    /// Inputs done, all threads.
    done: std::sync::atomic::AtomicU64,
}

/// What one thread did.
#[derive(Default)]
struct ShardOutcome {
    cases: u64,
    requests: u64,
    generated_requests: u64,
    skipped: u64,
    error: Option<ExecError>,
    /// Its first failing input (by index), shrunk: index, input, result,
    /// shrink steps.
    found: Option<(u64, FuzzRequest, Checked, u32)>,
}

fn generate_stateless(
    config: &FuzzConfig,
    exec: &Arc<Executor>,
    schemas: &Arc<Schemas>,
    rt: &tokio::runtime::Runtime,
    progress: &dyn Fn(Progress),
    out: &mut FuzzOutcome,
) -> Result<Option<Counterexample>, FuzzError> {
    let shards = SHARDS.min(config.concurrency.max(1) as u64);
    let shared = Shared {
        config,
        pt: proptest_config(config),
        schemas,
        deadline: config.time.map(|t| Instant::now() + t),
        stop: std::sync::atomic::AtomicBool::new(false),
        done: std::sync::atomic::AtomicU64::new(0),
    };
    let siblings = (1..shards)
        .map(|_| exec.sibling())
        .collect::<Result<Vec<_>, _>>()?;
    let outcomes: Vec<ShardOutcome> = std::thread::scope(|scope| {
        let others: Vec<_> = siblings
            .iter()
            .enumerate()
            .map(|(i, sibling)| {
                let shared = &shared;
                scope.spawn(move || match client_runtime() {
                    Ok(rt) => shard(i as u64 + 1, shards, sibling, &rt, shared, None),
                    Err(e) => ShardOutcome {
                        error: Some(ExecError::Unreachable(format!(
                            "start a client thread: {e}"
                        ))),
                        ..ShardOutcome::default()
                    },
                })
            })
            .collect();
        let mut outcomes = vec![shard(0, shards, exec, rt, &shared, Some(progress))];
        for handle in others {
            // A thread that panicked lost only its own inputs' results.
            outcomes.extend(handle.join().ok());
        }
        outcomes
    });
    let mut found: Option<(u64, FuzzRequest, Checked, u32)> = None;
    let mut error = None;
    for o in outcomes {
        out.cases += o.cases;
        out.requests += o.requests;
        out.generated_requests += o.generated_requests;
        out.skipped += o.skipped;
        if error.is_none() {
            error = o.error;
        }
        if let Some(f) = o.found
            && found.as_ref().is_none_or(|g| f.0 < g.0)
        {
            found = Some(f);
        }
    }
    progress(Progress::Generated {
        done: out.cases,
        total: config.cases,
    });
    if let Some(e) = error {
        return Err(e.into());
    }
    Ok(found.map(|(_, req, checked, steps)| {
        stateless_cx(exec, Source::Generated, &req, checked, steps, config.seed)
    }))
}

/// One thread's share of a stateless session: inputs `k`, `k + shards`,
/// ... sent through a sliding window on this thread's runtime (a new
/// request starts as soon as one finishes, so a slow response never
/// leaves the other slots idle), then its first failing input shrunk here,
/// where its value tree lives (value trees are not `Send`).
fn shard(
    k: u64,
    shards: u64,
    exec: &Executor,
    rt: &tokio::runtime::Runtime,
    shared: &Shared<'_>,
    progress: Option<&dyn Fn(Progress)>,
) -> ShardOutcome {
    use futures_util::FutureExt as _;
    use futures_util::StreamExt as _;
    use futures_util::stream::FuturesUnordered;
    use std::sync::atomic::Ordering;

    let config = shared.config;
    let (schemas, mode) = (shared.schemas, config.mode);
    let strategy = request(StrategyOptions {
        fixtures: exec.has_fixtures(),
    });
    // This thread's share of the window (the first threads take the rest).
    let conc = config.concurrency.max(1) as u64;
    let window = (conc / shards + u64::from(k < conc % shards)).max(1) as usize;
    let in_time = || shared.deadline.is_none_or(|d| Instant::now() < d);
    let mut trees: HashMap<u64, Box<dyn ValueTree<Value = FuzzRequest>>> = HashMap::new();
    let mut next = k;
    let mut o = ShardOutcome::default();
    let mut failing: Option<(u64, Checked, Box<dyn ValueTree<Value = FuzzRequest>>)> = None;
    rt.block_on(async {
        let mut inflight = FuturesUnordered::new();
        loop {
            while !shared.stop.load(Ordering::Relaxed)
                && inflight.len() < window
                && next < config.cases
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
                trees.insert(index, tree);
                // A panic while checking one request loses that request's
                // result, not the session.
                inflight.push(async move {
                    let checked =
                        std::panic::AssertUnwindSafe(check_one(exec, schemas, mode, &req))
                            .catch_unwind()
                            .await
                            .ok();
                    (index, checked)
                });
            }
            let Some((index, result)): Option<Done> = inflight.next().await else {
                break;
            };
            let Some(tree) = trees.remove(&index) else {
                continue;
            };
            o.cases += 1;
            match result {
                None => {}
                Some(Err(e)) => {
                    shared.stop.store(true, Ordering::Relaxed);
                    o.error.get_or_insert(e);
                }
                Some(Ok(c)) => {
                    o.requests += c.requests;
                    o.generated_requests += c.requests;
                    o.skipped += u64::from(c.skipped);
                    // This thread's first failing input by index wins:
                    // every earlier one was sent before it and is awaited.
                    if !c.violations.is_empty() {
                        shared.stop.store(true, Ordering::Relaxed);
                        if failing.as_ref().is_none_or(|(s, _, _)| index < *s) {
                            failing = Some((index, c, tree));
                        }
                    }
                }
            }
            let done = shared.done.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(progress) = progress
                && done % PROGRESS_EVERY == 0
            {
                progress(Progress::Generated {
                    done,
                    total: config.cases,
                });
            }
        }
    });
    if o.error.is_some() {
        return o;
    }
    if let Some((index, first, tree)) = failing {
        let property = first.violations[0].property;
        match shrink_stateless(tree, first, property, config, exec, schemas, rt, progress) {
            Ok((req, checked, steps, requests)) => {
                o.requests += requests;
                o.found = Some((index, req, checked, steps));
            }
            Err(e) => o.error = Some(e),
        }
    }
    o
}

/// Shrinks a failing input while it still breaks `property`: the smallest
/// failing input, its result, the steps taken and the requests sent.
#[allow(clippy::too_many_arguments)]
fn shrink_stateless(
    mut tree: Box<dyn ValueTree<Value = FuzzRequest>>,
    first: Checked,
    property: Property,
    config: &FuzzConfig,
    exec: &Executor,
    schemas: &Schemas,
    rt: &tokio::runtime::Runtime,
    progress: Option<&dyn Fn(Progress)>,
) -> Result<(FuzzRequest, Checked, u32, u64), ExecError> {
    let mut best = (tree.current(), first);
    let mut steps = 0u32;
    let mut requests = 0u64;
    if !tree.simplify() {
        return Ok((best.0, best.1, steps, requests));
    }
    while steps < config.max_shrink_iters {
        steps += 1;
        if let Some(progress) = progress {
            progress(Progress::Shrinking(steps));
        }
        let candidate = tree.current();
        let c = rt.block_on(check_one(exec, schemas, config.mode, &candidate))?;
        requests += c.requests;
        let fails = c.violations.iter().any(|v| v.property == property);
        let more = if fails {
            best = (candidate, c);
            tree.simplify()
        } else {
            tree.complicate()
        };
        if !more {
            break;
        }
    }
    Ok((best.0, best.1, steps, requests))
}

fn generate_stateful(
    config: &FuzzConfig,
    exec: &Arc<Executor>,
    schemas: &Arc<Schemas>,
    rt: &tokio::runtime::Runtime,
    progress: &dyn Fn(Progress),
    out: &mut FuzzOutcome,
) -> Result<Option<Counterexample>, FuzzError> {
    let strategy = sequence(config.max_sequence_len);
    let mut runner = test_runner(config);
    let deadline = config.time.map(|t| Instant::now() + t);
    while out.cases < config.cases && deadline.is_none_or(|d| Instant::now() < d) {
        let Ok(mut tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let actions = tree.current();
        let run = rt.block_on(run_sequence(exec, schemas, config.mode, &actions))?;
        out.cases += 1;
        out.requests += run.requests;
        out.generated_requests += run.requests;
        progress(Progress::Generated {
            done: out.cases,
            total: config.cases,
        });
        if run.violations.is_empty() {
            continue;
        }
        let property = run.violations[0].property;
        let mut best = (actions, run);
        let mut steps = 0u32;
        let mut more = tree.simplify();
        while more && steps < config.max_shrink_iters {
            steps += 1;
            progress(Progress::Shrinking(steps));
            let candidate = tree.current();
            let r = rt.block_on(run_sequence(exec, schemas, config.mode, &candidate))?;
            out.requests += r.requests;
            more = if r.violations.iter().any(|v| v.property == property) {
                best = (candidate, r);
                tree.simplify()
            } else {
                tree.complicate()
            };
        }
        let (actions, run) = best;
        return Ok(Some(stateful_cx(
            Source::Generated,
            &actions,
            &run.trace,
            run.violations,
            steps,
            config.seed,
        )));
    }
    Ok(None)
}

fn describe(v: &Violation) -> String {
    format!(
        "{} ({}): expected {}, got {}",
        v.property.name(),
        v.invariant,
        v.expected,
        v.actual
    )
}

fn stateless_cx(
    exec: &Executor,
    source: Source,
    req: &FuzzRequest,
    c: Checked,
    steps: u32,
    seed: u64,
) -> Counterexample {
    let exchanges: Vec<Exchange> = c.exchange.into_iter().collect();
    let reproducers: Vec<String> = exchanges
        .iter()
        .map(|e| reproducer::curl(&e.request))
        .collect();
    let what = c.violations.first().map(describe).unwrap_or_default();
    let case_file = emit_case::stateless(req, &c.expectation, exec, seed, &what, &reproducers);
    Counterexample {
        source,
        input: Input::Stateless(req.clone()),
        violations: c.violations,
        exchanges,
        shrink_steps: steps,
        reproducers,
        case_file,
        seed,
    }
}

fn stateful_cx(
    source: Source,
    actions: &[Action],
    trace: &[TraceStep],
    violations: Vec<Violation>,
    steps: u32,
    seed: u64,
) -> Counterexample {
    let exchanges: Vec<Exchange> = trace.iter().map(|s| s.exchange.clone()).collect();
    let reproducers: Vec<String> = exchanges
        .iter()
        .map(|e| reproducer::curl(&e.request))
        .collect();
    let what = violations.first().map(describe).unwrap_or_default();
    let case_file = emit_case::stateful(trace, seed, &what, &reproducers);
    Counterexample {
        source,
        input: Input::Stateful(actions.to_vec()),
        violations,
        exchanges,
        shrink_steps: steps,
        reproducers,
        case_file,
        seed,
    }
}

fn empty_result(exec: &Executor, mode: Mode) -> RunResult {
    let t = exec.target();
    RunResult {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        catalogue_version: contract::CATALOGUE_VERSION.to_string(),
        target: TargetInfo {
            base_url: exec.redactor().redact(&t.base_url).into_owned(),
            embedded: t.embedded,
            faults: t.faults.clone(),
        },
        mode,
        started_at: crate::run::rfc3339(SystemTime::now()),
        duration_ms: 0,
        cases: Vec::new(),
        invariants: Vec::new(),
    }
}

/// One case per property (passed, or failed with its counterexample).
fn result(
    exec: &Executor,
    config: &FuzzConfig,
    out: &FuzzOutcome,
    started_at: SystemTime,
    started: Instant,
) -> RunResult {
    let mut r = empty_result(exec, config.mode);
    r.started_at = crate::run::rfc3339(started_at);
    r.duration_ms = started.elapsed().as_millis() as u64;
    let props: Vec<Property> = Property::ALL
        .into_iter()
        .filter(|p| {
            (*p == Property::StatefulModel) == config.stateful
                || *p == Property::No5xx
                || *p == Property::NoHang
        })
        .collect();
    for p in props {
        let failing: Vec<&Counterexample> = out
            .counterexamples
            .iter()
            .filter(|c| c.violations.first().is_some_and(|v| v.property == p))
            .collect();
        let mut steps = Vec::new();
        for cx in &failing {
            let checks = cx
                .violations
                .iter()
                .map(|v| CheckResult {
                    invariant: v.invariant.clone(),
                    verdict: Verdict::Fail,
                    expected: v.expected.clone(),
                    actual: v.actual.clone(),
                    exchange: cx.exchanges.len().checked_sub(1),
                    elapsed_ms: None,
                    kind: Default::default(),
                })
                .collect();
            let origin = match cx.source {
                Source::Regression => "replayed regression",
                Source::Generated => "shrunk counterexample",
            };
            steps.push(StepResult {
                name: format!(
                    "{origin} (seed {}, {} shrink steps)",
                    cx.seed, cx.shrink_steps
                ),
                exchanges: cx.exchanges.clone(),
                checks,
                duration_ms: cx.exchanges.iter().map(|e| e.elapsed_ms).sum(),
            });
        }
        let invariants: Vec<String> = failing
            .iter()
            .filter_map(|c| c.violations.first().map(|v| v.invariant.clone()))
            .collect();
        r.cases.push(CaseResult {
            name: format!("fuzz::{}", p.name()),
            file: "fuzz".to_string(),
            description: Some(format!(
                "{} ({} inputs, seed {}, {} regressions replayed)",
                p.title(),
                out.cases,
                config.seed,
                out.replayed
            )),
            invariants,
            outcome: if failing.is_empty() {
                CaseOutcome::Passed
            } else {
                CaseOutcome::Failed
            },
            attempts: 1,
            steps,
            other_attempts: Vec::new(),
            duration_ms: r.duration_ms,
        });
    }
    r.invariants = RunResult::totals(&r.cases, &contract::ids());
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_differ_and_runners_are_reproducible() {
        assert_ne!(seed_bytes(1), seed_bytes(2));
        let c = FuzzConfig {
            seed: 5,
            ..FuzzConfig::default()
        };
        let s = request(StrategyOptions { fixtures: true });
        let a = s.new_tree(&mut test_runner(&c)).expect("tree").current();
        let b = s.new_tree(&mut test_runner(&c)).expect("tree").current();
        assert_eq!(a, b);
    }
}
