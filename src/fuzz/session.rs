//! One fuzz session: replay the regressions file, then generate inputs
//! (stateless: `super::stateless`; stateful: sequences, one after another),
//! attribute every failing input to the session's distinct failures
//! (`super::found`), shrink and persist each new one, stop after
//! `max_failures` of them, and describe the session as a [`RunResult`].
//!
//! Call [`run`] from a plain thread (not from inside a tokio runtime). The
//! client side of a session runs on current-thread runtimes: the calling
//! thread's (fixtures, regressions, shrinking, stateful sequences) and one
//! per stateless sending thread, so no request crosses a thread. An
//! embedded target keeps serving from its own runtime's threads.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::contract::{self, Mode, Schemas};
use crate::model::{
    CaseOutcome, CaseResult, CheckResult, Exchange, RunResult, StepResult, TargetInfo, Verdict,
};
use crate::report::reproducer;

use super::check::{Checked, Judge, check_one};
use super::emit_case;
use super::executor::{ExecError, Executor};
use super::found::{Found, headline_first};
use super::input::FuzzRequest;
use super::model::{Action, TraceStep, run_sequence, sequence};
use super::property::{Property, Violation};
use super::regressions::{self, Input, Regression, RegressionError};
use super::shape::{FailureKey, Shape, sequence_shape};
use super::sightings::SharedHistory;
use super::stateless::{self, Attribute, Attributed, Failing, Shrunk};
use crate::target::Target;

/// Distinct failures a session collects unless told otherwise
/// (`--max-failures`): every distinct failure is worth reporting (as
/// Schemathesis reports every unique one), and a bug usually shows as one
/// to three shapes; the bound keeps the shrinking a badly broken target
/// costs in check (each new failure is shrunk, up to `max_shrink_iters`
/// requests).
pub const DEFAULT_MAX_FAILURES: usize = 16;

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
    /// Upper bound on shrink steps (per failure).
    pub max_shrink_iters: u32,
    /// Per-request deadline ("no hang").
    pub request_timeout: Duration,
    /// Longest generated sequence.
    pub max_sequence_len: usize,
    /// Stop once this many distinct failures are known (replayed
    /// regressions that still fail included); `1` stops at the first
    /// failing input. At least 1.
    pub max_failures: usize,
    /// The target offers the list endpoint; `false` generates no list
    /// request (a target that lacks it, as the alternate dialect does).
    pub list: bool,
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
            max_failures: DEFAULT_MAX_FAILURES,
            list: true,
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

/// One distinct failure: a (shrunk) failing input.
#[derive(Debug, Clone)]
pub struct Counterexample {
    /// Replayed or generated.
    pub source: Source,
    /// The input, as persisted.
    pub input: Input,
    /// What broke (the first is the headline: the one it was shrunk to keep).
    pub violations: Vec<Violation>,
    /// The exchanges of the final (shrunk) run.
    pub exchanges: Vec<Exchange>,
    /// Shrink steps taken.
    pub shrink_steps: u32,
    /// `curl` reproducers of the failing request(s).
    pub reproducers: Vec<String>,
    /// A ready-to-use case file (with [`Counterexample::replayable`]
    /// false, a file that says why it has no case).
    pub case_file: String,
    /// The seed of the run that found it.
    pub seed: u64,
    /// The shape of its input: with the headline's property and
    /// invariant, what makes it distinct (see `shape`).
    pub shape: Shape,
    /// Later failing inputs found to be this same failure (counted, not
    /// shrunk or reported again).
    pub duplicates: u64,
    /// The generated input that first showed it (stateless: its index;
    /// stateful: the sequence's number from 0); `None` when replayed.
    pub found_at_input: Option<u64>,
    /// False for a history breach seen across a stateless session's
    /// requests: no single input replays it, so it is neither persisted
    /// nor emitted as a case (`--stateful` finds such breaches as
    /// sequences, which replay).
    pub replayable: bool,
}

impl Counterexample {
    /// What identifies it among the session's failures.
    pub fn key(&self) -> FailureKey {
        let headline = self.violations.first();
        FailureKey {
            property: headline.map_or(Property::StatefulModel, |v| v.property),
            invariant: headline.map(|v| v.invariant.clone()).unwrap_or_default(),
            shape: self.shape.clone(),
        }
    }
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
    /// The distinct failures: regressions that still fail (in file order),
    /// then those generated (in input order).
    pub counterexamples: Vec<Counterexample>,
    /// Failing generated inputs that were one of `counterexamples` again.
    pub duplicates: u64,
    /// Failing generated inputs shrunk: every new failure, and each that
    /// shrank onto one already found (the rest of the duplicates were
    /// recognised without shrinking).
    pub shrunk: u64,
    /// True when generation stopped because `max_failures` distinct
    /// failures were known.
    pub stopped_at_max: bool,
    /// True when a new counterexample was added to the regressions file.
    pub persisted: bool,
    /// The session as a result for the reporters.
    pub result: RunResult,
}

impl FuzzOutcome {
    /// Every replayable counterexample's case in one case file
    /// (`--emit-case`): each case named apart (`fuzz_seed_S`,
    /// `fuzz_seed_S_2`, ...), each loadable; `None` when there is none.
    pub fn case_file(&self) -> Option<String> {
        let files: Vec<&str> = self
            .counterexamples
            .iter()
            .filter(|c| c.replayable)
            .map(|c| c.case_file.as_str())
            .collect();
        (!files.is_empty()).then(|| emit_case::combined(&files))
    }
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
    target: Target,
    progress: &dyn Fn(Progress),
) -> Result<FuzzOutcome, FuzzError> {
    let started = Instant::now();
    let rt = client_runtime()?;
    let started_at = SystemTime::now();
    let schemas = Schemas::bundled()?;
    let mut exec = Executor::new(target, config.request_timeout)?;
    rt.block_on(exec.setup())?;
    if config.stateful && !exec.has_fixtures() {
        return Err(FuzzError::NoFixtures);
    }
    // Stateless inputs read the shared fixtures again and again: one
    // history of them for the session. Sequences follow their own.
    let history = if config.stateful {
        None
    } else {
        SharedHistory::new(started, exec.shared_fixtures())
    };
    let judge = Judge {
        exec: &exec,
        schemas: &schemas,
        mode: config.mode,
        history: history.as_ref(),
    };
    let mut session = Session {
        config,
        exec: &exec,
        found: Found::new(),
        out: FuzzOutcome {
            seed: config.seed,
            cases: 0,
            requests: 0,
            generated_requests: 0,
            generation_time: Duration::ZERO,
            skipped: 0,
            replayed: 0,
            counterexamples: Vec::new(),
            duplicates: 0,
            shrunk: 0,
            stopped_at_max: false,
            persisted: false,
            result: empty_result(&exec, config.mode),
        },
    };

    // 1. Replay every persisted regression first; each that still fails
    // is reported (and counts towards max_failures).
    let saved = match &config.regressions {
        Some(p) => regressions::load(p)?,
        None => Vec::new(),
    };
    progress(Progress::Replaying(saved.len()));
    for r in &saved {
        session.out.replayed += 1;
        match &r.input {
            Input::Stateless(req) => {
                let c = rt.block_on(check_one(judge, req, None))?;
                session.out.requests += c.requests;
                if !c.violations.is_empty() {
                    let shape = stateless::shape_of(req, &c);
                    let replayable = !matches!(shape, Shape::History(_));
                    let cx = session.stateless_cx(
                        Source::Regression,
                        req,
                        c,
                        0,
                        r.seed,
                        shape,
                        None,
                        replayable,
                    );
                    session.add(cx)?;
                }
            }
            Input::Stateful(actions) if exec.has_fixtures() => {
                let run =
                    rt.block_on(run_sequence(&exec, &schemas, config.mode, started, actions))?;
                session.out.requests += run.requests;
                if !run.violations.is_empty() {
                    let cx = session.stateful_cx(
                        Source::Regression,
                        actions,
                        &run.trace,
                        run.violations,
                        0,
                        r.seed,
                        None,
                    );
                    session.add(cx)?;
                }
            }
            Input::Stateful(_) => {}
        }
    }

    // 2. Generate while fewer than max_failures distinct failures are known.
    if !session.enough() {
        let gen_started = Instant::now();
        if config.stateful {
            generate_stateful(config, judge, started, &rt, progress, &mut session)?;
        } else {
            let counts = stateless::generate(
                config,
                &exec,
                &schemas,
                history.as_ref(),
                &rt,
                progress,
                &mut session,
            )?;
            session.out.cases += counts.cases;
            session.out.requests += counts.requests + counts.shrink_requests;
            session.out.generated_requests += counts.requests;
            session.out.skipped += counts.skipped;
        }
        session.out.generation_time = gen_started.elapsed();
    }
    session.out.stopped_at_max = session.enough();
    let mut out = session.out;
    out.result = result(&exec, config, &out, started_at, started);
    Ok(out)
}

/// The session's bookkeeping of distinct failures.
struct Session<'a> {
    config: &'a FuzzConfig,
    exec: &'a Executor,
    found: Found,
    out: FuzzOutcome,
}

impl Session<'_> {
    /// True once `max_failures` distinct failures are known.
    fn enough(&self) -> bool {
        self.found.len() >= self.config.max_failures.max(1)
    }

    /// One more failing input that is failure `i` again.
    fn count_duplicate(&mut self, i: usize) {
        if let Some(cx) = self.out.counterexamples.get_mut(i) {
            cx.duplicates += 1;
        }
        self.out.duplicates += 1;
    }

    /// Records a new distinct failure, and persists a generated one that
    /// replays.
    fn add(&mut self, cx: Counterexample) -> Result<(), FuzzError> {
        self.found.add(cx.key());
        if cx.source == Source::Generated
            && cx.replayable
            && let Some(path) = &self.config.regressions
            && let Some(v) = cx.violations.first()
        {
            self.out.persisted |= regressions::append(
                path,
                &Regression {
                    input: cx.input.clone(),
                    property: v.property,
                    invariant: v.invariant.clone(),
                    seed: cx.seed,
                    found_at: crate::clock::rfc3339(SystemTime::now()),
                },
            )?;
        }
        self.out.counterexamples.push(cx);
        Ok(())
    }

    /// The ordinal (1-based) the next counterexample gets.
    fn ordinal(&self) -> usize {
        self.out.counterexamples.len() + 1
    }

    #[allow(clippy::too_many_arguments)]
    fn stateless_cx(
        &self,
        source: Source,
        req: &FuzzRequest,
        c: Checked,
        steps: u32,
        seed: u64,
        shape: Shape,
        found_at_input: Option<u64>,
        replayable: bool,
    ) -> Counterexample {
        let exchanges: Vec<Exchange> = c.exchange.into_iter().collect();
        let reproducers: Vec<String> = exchanges
            .iter()
            .map(|e| reproducer::curl(&e.request))
            .collect();
        let what = c.violations.first().map(describe).unwrap_or_default();
        let case_file = if replayable {
            emit_case::stateless(
                req,
                &c.expectation,
                self.exec,
                seed,
                self.ordinal(),
                &what,
                &reproducers,
            )
        } else {
            emit_case::no_case(&what, NOT_REPLAYABLE)
        };
        Counterexample {
            source,
            input: Input::Stateless(req.clone()),
            violations: c.violations,
            exchanges,
            shrink_steps: steps,
            reproducers,
            case_file,
            seed,
            shape,
            duplicates: 0,
            found_at_input,
            replayable,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn stateful_cx(
        &self,
        source: Source,
        actions: &[Action],
        trace: &[TraceStep],
        violations: Vec<Violation>,
        steps: u32,
        seed: u64,
        found_at_input: Option<u64>,
    ) -> Counterexample {
        let exchanges: Vec<Exchange> = trace.iter().map(|s| s.exchange.clone()).collect();
        let reproducers: Vec<String> = exchanges
            .iter()
            .map(|e| reproducer::curl(&e.request))
            .collect();
        let what = violations.first().map(describe).unwrap_or_default();
        let case_file = emit_case::stateful(trace, seed, self.ordinal(), &what, &reproducers);
        Counterexample {
            source,
            input: Input::Stateful(actions.to_vec()),
            violations,
            exchanges,
            shrink_steps: steps,
            reproducers,
            case_file,
            seed,
            shape: Shape::Sequence(sequence_shape(trace)),
            duplicates: 0,
            found_at_input,
            replayable: true,
        }
    }
}

/// Why a stateless history breach has no case file.
const NOT_REPLAYABLE: &str = "It is a history breach seen across the session's requests on a shared fixture: no single request replays it, so it is not persisted either. `opconform fuzz --stateful` finds such breaches as call sequences, which shrink and replay.";

impl Attribute for Session<'_> {
    fn duplicate(&mut self, i: usize) -> bool {
        self.count_duplicate(i);
        self.enough()
    }

    fn attribute(
        &mut self,
        f: Failing,
        shrink: &mut dyn FnMut(&FuzzRequest, &Checked, &Violation) -> Result<Shrunk, ExecError>,
    ) -> Result<Attributed, FuzzError> {
        let Some(headline) = f.checked.violations.first().cloned() else {
            return Ok(Attributed {
                enough: self.enough(),
                raw: None,
            });
        };
        let raw = FailureKey {
            property: headline.property,
            invariant: headline.invariant.clone(),
            shape: stateless::shape_of(&f.req, &f.checked),
        };
        let attributed = |session: &Self, raw: FailureKey, i: usize| Attributed {
            enough: session.enough(),
            raw: Some((raw, i)),
        };
        if let Some(i) = self.found.duplicate_of(&raw) {
            self.count_duplicate(i);
            return Ok(attributed(self, raw, i));
        }
        if let Shape::History(_) = raw.shape {
            // Not one input's doing: reported as seen, not shrunk.
            let cx = self.stateless_cx(
                Source::Generated,
                &f.req,
                f.checked,
                0,
                self.config.seed,
                raw.shape.clone(),
                Some(f.index),
                false,
            );
            let i = self.found.len();
            self.add(cx)?;
            return Ok(attributed(self, raw, i));
        }
        let shrunk = shrink(&f.req, &f.checked, &headline)?;
        self.out.shrunk += 1;
        let shape = stateless::shape_of(&shrunk.req, &shrunk.checked);
        let key = FailureKey {
            property: headline.property,
            invariant: headline.invariant.clone(),
            shape: shape.clone(),
        };
        if let Some(i) = self.found.shrunk_duplicate_of(raw.clone(), &key) {
            self.count_duplicate(i);
            return Ok(attributed(self, raw, i));
        }
        let cx = self.stateless_cx(
            Source::Generated,
            &shrunk.req,
            shrunk.checked,
            shrunk.steps,
            self.config.seed,
            shape,
            Some(f.index),
            true,
        );
        let i = self.found.len();
        self.add(cx)?;
        Ok(attributed(self, raw, i))
    }
}

/// Sequences one after another; each failing one attributed as it comes
/// (see `found`), a new one shrunk while it still breaks its headline's
/// property and invariant.
fn generate_stateful(
    config: &FuzzConfig,
    judge: Judge<'_>,
    origin: Instant,
    rt: &tokio::runtime::Runtime,
    progress: &dyn Fn(Progress),
    session: &mut Session<'_>,
) -> Result<(), FuzzError> {
    let strategy = sequence(config.max_sequence_len, config.list);
    let mut runner = test_runner(config);
    let deadline = config.time.map(|t| Instant::now() + t);
    let run_one = |actions: &[Action]| {
        rt.block_on(run_sequence(
            judge.exec,
            judge.schemas,
            config.mode,
            origin,
            actions,
        ))
    };
    while session.out.cases < config.cases
        && deadline.is_none_or(|d| Instant::now() < d)
        && !session.enough()
    {
        let Ok(mut tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let actions = tree.current();
        let run = run_one(&actions)?;
        let index = session.out.cases;
        session.out.cases += 1;
        session.out.requests += run.requests;
        session.out.generated_requests += run.requests;
        progress(Progress::Generated {
            done: session.out.cases,
            total: config.cases,
        });
        let Some(headline) = run.violations.first().cloned() else {
            continue;
        };
        let raw = FailureKey {
            property: headline.property,
            invariant: headline.invariant.clone(),
            shape: Shape::Sequence(sequence_shape(&run.trace)),
        };
        if let Some(i) = session.found.duplicate_of(&raw) {
            session.count_duplicate(i);
            continue;
        }
        let same =
            |v: &Violation| v.property == headline.property && v.invariant == headline.invariant;
        let mut best = (actions, run);
        let mut steps = 0u32;
        let mut more = tree.simplify();
        while more && steps < config.max_shrink_iters {
            steps += 1;
            progress(Progress::Shrinking(steps));
            let candidate = tree.current();
            let r = run_one(&candidate)?;
            session.out.requests += r.requests;
            more = if r.violations.iter().any(same) {
                best = (candidate, r);
                tree.simplify()
            } else {
                tree.complicate()
            };
        }
        let (actions, mut run) = best;
        session.out.shrunk += 1;
        headline_first(&mut run.violations, &headline);
        let key = FailureKey {
            property: headline.property,
            invariant: headline.invariant.clone(),
            shape: Shape::Sequence(sequence_shape(&run.trace)),
        };
        if let Some(i) = session.found.shrunk_duplicate_of(raw, &key) {
            session.count_duplicate(i);
            continue;
        }
        let cx = session.stateful_cx(
            Source::Generated,
            &actions,
            &run.trace,
            run.violations,
            steps,
            config.seed,
            Some(index),
        );
        session.add(cx)?;
    }
    Ok(())
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
        started_at: crate::clock::rfc3339(SystemTime::now()),
        duration_ms: 0,
        cases: Vec::new(),
        invariants: Vec::new(),
        timelines: Vec::new(),
    }
}

/// The properties a session of this kind checks.
fn checked_properties(stateful: bool) -> Vec<Property> {
    Property::ALL
        .into_iter()
        .filter(|p| match p {
            Property::StatefulModel => stateful,
            // A sequence's statuses are the model's.
            Property::StatusInContractSet
            | Property::ValidNeverRejected
            | Property::InvalidNeverAccepted => !stateful,
            _ => true,
        })
        .collect()
}

/// One case per property (passed, or failed with a step per distinct
/// failure whose headline breaks it).
fn result(
    exec: &Executor,
    config: &FuzzConfig,
    out: &FuzzOutcome,
    started_at: SystemTime,
    started: Instant,
) -> RunResult {
    let mut r = empty_result(exec, config.mode);
    r.started_at = crate::clock::rfc3339(started_at);
    r.duration_ms = started.elapsed().as_millis() as u64;
    let checked = checked_properties(config.stateful);
    // Every property a counterexample broke has its case, checked or not.
    let props: Vec<Property> = Property::ALL
        .into_iter()
        .filter(|p| {
            checked.contains(p)
                || out
                    .counterexamples
                    .iter()
                    .any(|c| c.violations.first().is_some_and(|v| v.property == *p))
        })
        .collect();
    for p in props {
        let failing: Vec<(usize, &Counterexample)> = out
            .counterexamples
            .iter()
            .enumerate()
            .filter(|(_, c)| c.violations.first().is_some_and(|v| v.property == p))
            .collect();
        let mut steps = Vec::new();
        for (i, cx) in &failing {
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
            let origin = match (cx.source, cx.replayable) {
                (Source::Regression, _) => "replayed regression",
                (Source::Generated, true) => "shrunk counterexample",
                (Source::Generated, false) => "history breach across the session",
            };
            steps.push(StepResult {
                name: format!(
                    "failure {} of {}: {origin} (seed {}, {} shrink steps, {} duplicates): {}",
                    i + 1,
                    out.counterexamples.len(),
                    cx.seed,
                    cx.shrink_steps,
                    cx.duplicates,
                    cx.shape
                ),
                exchanges: cx.exchanges.clone(),
                checks,
                duration_ms: cx.exchanges.iter().map(|e| e.elapsed_ms).sum(),
            });
        }
        let mut invariants: Vec<String> = Vec::new();
        for (_, c) in &failing {
            if let Some(v) = c.violations.first()
                && !invariants.contains(&v.invariant)
            {
                invariants.push(v.invariant.clone());
            }
        }
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
    use crate::fuzz::strategies::{StrategyOptions, request};

    #[test]
    fn seeds_differ_and_runners_are_reproducible() {
        assert_ne!(seed_bytes(1), seed_bytes(2));
        let c = FuzzConfig {
            seed: 5,
            ..FuzzConfig::default()
        };
        let s = request(StrategyOptions {
            fixtures: true,
            list: true,
        });
        let a = s.new_tree(&mut test_runner(&c)).expect("tree").current();
        let b = s.new_tree(&mut test_runner(&c)).expect("tree").current();
        assert_eq!(a, b);
    }
}
