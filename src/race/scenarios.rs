//! The race scenarios, as library functions: each runs R trials on fresh
//! fixtures against a base URL, records every trial as a [`History`],
//! judges it by the scenario's invariants and by linearizability, and
//! reports the violation rate with its Wilson interval and the spread of
//! the send instants of its races.
//!
//! | scenario | what is released together | invariants |
//! |---|---|---|
//! | `same-key` | N cancels with one Idempotency-Key | CONC-KEY-REPLAY-IDENTICAL, CONC-ONE-TRANSITION |
//! | `different-keys` | N cancels with N keys | CONC-ONE-TRANSITION |
//! | `lost-update` | N cancels with the If-Match all read | CONC-LOST-UPDATE |
//! | `completion-race` | N cancels at the instant the operation finishes | CONC-COMPLETION-RACE-LEGAL |
//! | `waiters-vs-cancel` | N-1 `:wait`s and a cancel | CONC-WAITERS-WAKE-ALIKE |
//! | `lost-response-*` | (a cancel whose response the client throws away, then retries) | RETRY-AFTER-LOST-RESPONSE |
//! | `key-misuse` | (a lost keyed cancel, then the key on other requests) | RETRY-KEY-MISUSE, RETRY-AFTER-LOST-RESPONSE |
//!
//! Every trial is also judged by CONC-NO-5XX and CONC-LINEARIZABLE.

pub mod explore;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Method;
use serde::Serialize;

use crate::contract::Mode;

use super::barrier::{self, Conn, Exchange, HangUp, Origin, Prepared, RaceError};
use super::history::{Answer, Call, CallKind, History, Initial, OpState, Outcome, Target, View};
use super::invariants as inv;
use super::linearizability::{self, Verdict as Lin, Witness};
use super::model::{Lifecycle, Spec, Statuses};
use super::sample::SplitMix;
use super::stats::{Rate, Z_95};

/// Where to race.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaceTarget {
    /// Base URL including `/v1`, e.g. `http://127.0.0.1:8080/v1`.
    pub base_url: String,
    /// Bearer token.
    pub token: String,
    /// `akua-context` to send (broad tokens).
    pub context: Option<String>,
    /// The fixture provider (`POST` `{"state": ...}` → 201 Operation).
    pub fixtures_url: String,
}

/// How to race.
#[derive(Debug, Clone, PartialEq)]
pub struct RaceOptions {
    /// N: requests released together (at least 2).
    pub clients: usize,
    /// R: trials per scenario.
    pub trials: usize,
    /// Lenient or strict.
    pub mode: Mode,
    /// What the model lets the operation do by itself.
    pub lifecycle: Lifecycle,
    /// How long a trial waits for its operation to become done.
    pub settle_deadline: Duration,
    /// The `:wait` timeout of `waiters-vs-cancel`, in seconds.
    pub wait_timeout_secs: u64,
    /// How soon after the terminal transition every waiter must answer
    /// (WAIT-WAKES: "about 1 s").
    pub wake_bound: Duration,
    /// Upper bound of one exchange.
    pub request_timeout: Duration,
    /// Search steps of the linearizability checker per history.
    pub search_budget: u64,
    /// z of the violation rate's interval.
    pub z: f64,
    /// Seed of the completion race's offsets.
    pub seed: u64,
}

impl Default for RaceOptions {
    fn default() -> Self {
        RaceOptions {
            clients: 8,
            trials: 20,
            mode: Mode::Lenient,
            lifecycle: Lifecycle::ANY,
            settle_deadline: Duration::from_secs(10),
            wait_timeout_secs: 3,
            wake_bound: Duration::from_secs(1),
            request_timeout: Duration::from_secs(75),
            search_budget: linearizability::DEFAULT_BUDGET,
            z: Z_95,
            seed: 0x5eed,
        }
    }
}

/// A race scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// N cancels with one Idempotency-Key.
    SameKey,
    /// N cancels with different keys on one running operation.
    DifferentKeys,
    /// N cancels with If-Match on the ETag they all read.
    LostUpdate,
    /// N cancels racing the operation's own completion.
    CompletionRace,
    /// `:wait` callers racing a cancel.
    WaitersVsCancel,
    /// A cancel whose response is lost, then retried.
    LostResponse {
        /// With an Idempotency-Key.
        keyed: bool,
        /// When the client hangs up.
        hang_up: HangUp,
    },
    /// A lost keyed cancel, then the key on other requests.
    KeyMisuse,
}

impl Scenario {
    /// Every scenario, in report order.
    pub const ALL: [Scenario; 10] = [
        Scenario::SameKey,
        Scenario::DifferentKeys,
        Scenario::LostUpdate,
        Scenario::CompletionRace,
        Scenario::WaitersVsCancel,
        Scenario::LostResponse {
            keyed: true,
            hang_up: HangUp::AfterRequest,
        },
        Scenario::LostResponse {
            keyed: true,
            hang_up: HangUp::AfterStatusLine,
        },
        Scenario::LostResponse {
            keyed: false,
            hang_up: HangUp::AfterRequest,
        },
        Scenario::LostResponse {
            keyed: false,
            hang_up: HangUp::AfterStatusLine,
        },
        Scenario::KeyMisuse,
    ];

    /// Its name, e.g. `lost-response-keyed-after-status-line`.
    pub fn name(self) -> String {
        match self {
            Scenario::SameKey => "same-key".into(),
            Scenario::DifferentKeys => "different-keys".into(),
            Scenario::LostUpdate => "lost-update".into(),
            Scenario::CompletionRace => "completion-race".into(),
            Scenario::WaitersVsCancel => "waiters-vs-cancel".into(),
            Scenario::LostResponse { keyed, hang_up } => format!(
                "lost-response-{}-{}",
                if keyed { "keyed" } else { "unkeyed" },
                hang_up.name()
            ),
            Scenario::KeyMisuse => "key-misuse".into(),
        }
    }

    /// The scenario with this name.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The invariants its trials are judged by.
    pub fn invariants(self) -> &'static [&'static str] {
        match self {
            Scenario::SameKey => &[
                inv::KEY_REPLAY_IDENTICAL,
                inv::ONE_TRANSITION,
                inv::NO_5XX,
                inv::LINEARIZABLE,
            ],
            Scenario::DifferentKeys => &[inv::ONE_TRANSITION, inv::NO_5XX, inv::LINEARIZABLE],
            Scenario::LostUpdate => &[inv::LOST_UPDATE, inv::NO_5XX, inv::LINEARIZABLE],
            Scenario::CompletionRace => {
                &[inv::COMPLETION_RACE_LEGAL, inv::NO_5XX, inv::LINEARIZABLE]
            }
            Scenario::WaitersVsCancel => &[inv::WAITERS_WAKE_ALIKE, inv::NO_5XX, inv::LINEARIZABLE],
            Scenario::LostResponse { .. } => &[
                inv::RETRY_AFTER_LOST_RESPONSE,
                inv::NO_5XX,
                inv::LINEARIZABLE,
            ],
            Scenario::KeyMisuse => &[
                inv::RETRY_KEY_MISUSE,
                inv::RETRY_AFTER_LOST_RESPONSE,
                inv::NO_5XX,
                inv::LINEARIZABLE,
            ],
        }
    }
}

/// One invariant's verdict on one trial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The invariant.
    pub invariant: &'static str,
    /// Whether it held.
    pub passed: bool,
    /// What was seen (call numbers refer to the trial's history).
    pub evidence: String,
}

/// One trial.
#[derive(Debug, Clone, Serialize)]
pub struct Trial {
    /// 0-based.
    pub index: usize,
    /// The id of the operation it raced on.
    pub operation: String,
    /// Everything the trial sent and received about its operation.
    pub history: History,
    /// Spread of the send instants of its release (races only).
    pub spread: Option<Duration>,
    /// Whether every request of its release was in flight at one instant.
    pub overlapped: Option<bool>,
    /// One per invariant of the scenario.
    pub verdicts: Vec<Verdict>,
    /// The minimal non-linearizable part, when CONC-LINEARIZABLE failed.
    #[serde(skip)]
    pub witness: Option<Witness>,
    /// What the trial set up (completion source, offset, ...).
    pub note: String,
    /// Unix milliseconds of the instant the calls' times count from (for
    /// `--har`: when each request was sent).
    #[serde(skip)]
    pub origin_wall_ms: i64,
}

impl Trial {
    /// True when an invariant failed.
    pub fn violated(&self) -> bool {
        self.verdicts.iter().any(|v| !v.passed)
    }

    /// The failed invariants.
    pub fn failed(&self) -> Vec<&'static str> {
        self.verdicts
            .iter()
            .filter(|v| !v.passed)
            .map(|v| v.invariant)
            .collect()
    }

    /// The minimal non-linearizable part as text, when there is one.
    pub fn timeline_text(&self) -> Option<String> {
        self.witness
            .as_ref()
            .map(|w| super::timeline::text(&self.history, &w.calls))
    }

    /// The minimal non-linearizable part as inline SVG, when there is one.
    pub fn timeline_svg(&self, title: &str) -> Option<String> {
        self.witness
            .as_ref()
            .map(|w| super::timeline::svg(&self.history, &w.calls, title))
    }
}

/// Send spreads over a scenario's trials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Spread {
    /// Smallest.
    pub min: Duration,
    /// Median.
    pub median: Duration,
    /// Largest.
    pub max: Duration,
}

/// What a scenario found.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioReport {
    /// Which scenario.
    pub scenario: Scenario,
    /// Its trials.
    pub trials: Vec<Trial>,
    /// Trials with a violation, with the Wilson interval.
    pub rate: Rate,
    /// Send spreads of its releases.
    pub spread: Option<Spread>,
    /// Why it did not run (the target lacks what it needs).
    pub skipped: Option<String>,
    /// How long it took.
    pub elapsed: Duration,
}

impl ScenarioReport {
    /// Trials failing each invariant.
    pub fn failures_by_invariant(&self) -> BTreeMap<&'static str, usize> {
        let mut out = BTreeMap::new();
        for t in &self.trials {
            for id in t.failed() {
                *out.entry(id).or_insert(0) += 1;
            }
        }
        out
    }

    /// The first trial with a violation.
    pub fn first_violation(&self) -> Option<&Trial> {
        self.trials.iter().find(|t| t.violated())
    }
}

/// Runs every scenario in `scenarios` one after another.
pub async fn run_all(
    target: &RaceTarget,
    scenarios: &[Scenario],
    options: &RaceOptions,
) -> Result<Vec<ScenarioReport>, RaceError> {
    let mut out = Vec::with_capacity(scenarios.len());
    for s in scenarios {
        out.push(run(target, *s, options).await?);
    }
    Ok(out)
}

/// Runs `scenario`: R trials on fresh fixtures.
pub async fn run(
    target: &RaceTarget,
    scenario: Scenario,
    options: &RaceOptions,
) -> Result<ScenarioReport, RaceError> {
    let started = Instant::now();
    let session = Session::open(target, options).await?;
    let mut trials = Vec::with_capacity(options.trials);
    let mut skipped = None;
    let completion = if scenario == Scenario::CompletionRace {
        match session.calibrate_completion().await? {
            Some(c) => Some(c),
            None => {
                skipped = Some("no operation of the target finishes within the settle deadline, not even after a cancel".into());
                None
            }
        }
    } else {
        None
    };
    if skipped.is_none() {
        for index in 0..options.trials {
            let trial = match scenario {
                Scenario::SameKey => session.cancels(index, true).await?,
                Scenario::DifferentKeys => session.cancels(index, false).await?,
                Scenario::LostUpdate => match session.lost_update(index).await? {
                    Some(t) => t,
                    None => {
                        skipped = Some("the target sends no ETag: no If-Match to race".into());
                        break;
                    }
                },
                Scenario::CompletionRace => match &completion {
                    Some(c) => session.completion_race(index, c).await?,
                    None => break,
                },
                Scenario::WaitersVsCancel => session.waiters(index).await?,
                Scenario::LostResponse { keyed, hang_up } => {
                    session.lost_response(index, keyed, hang_up).await?
                }
                Scenario::KeyMisuse => session.key_misuse(index).await?,
            };
            trials.push(trial);
        }
    }
    let violations = trials.iter().filter(|t| t.violated()).count() as u64;
    let mut spreads: Vec<Duration> = trials.iter().filter_map(|t| t.spread).collect();
    spreads.sort_unstable();
    let spread = (!spreads.is_empty()).then(|| Spread {
        min: spreads[0],
        median: spreads[spreads.len() / 2],
        max: spreads[spreads.len() - 1],
    });
    Ok(ScenarioReport {
        scenario,
        rate: Rate::new(violations, trials.len() as u64, options.z),
        trials,
        spread,
        skipped,
        elapsed: started.elapsed(),
    })
}

/// A fixture the provider created.
#[derive(Debug, Clone)]
struct Fixture {
    id: String,
    initial: Initial,
    /// When its 201 arrived.
    created: Instant,
}

/// How the completion race's operations finish.
#[derive(Debug, Clone)]
enum Completion {
    /// By themselves: a fixture in `state` is done about `after` later.
    Natural { state: String, after: Duration },
    /// After a first cancel: done about `after` after its answer.
    Drain { after: Duration },
}

/// What every trial of a run shares.
struct Session {
    api: Origin,
    base: String,
    fixtures: Origin,
    fixtures_path: String,
    auth: Vec<(String, String)>,
    options: RaceOptions,
    statuses: Statuses,
    /// Makes keys unique across runs against one server (keys live 24 h).
    nonce: String,
}

/// Records calls into one trial's history.
struct Recorder {
    origin: Instant,
    history: History,
    /// The id of the operation the history is about.
    operation: String,
}

impl Recorder {
    fn new(fixture: &Fixture) -> Recorder {
        Recorder {
            origin: fixture.created,
            history: History::new(fixture.initial.clone()),
            operation: fixture.id.clone(),
        }
    }

    fn ns(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.origin).as_nanos()).unwrap_or(u64::MAX)
    }

    /// Records an exchange; returns the call's index.
    fn exchange(&mut self, client: usize, kind: CallKind, ex: &Exchange) -> usize {
        let (returned_ns, outcome) = match &ex.result {
            Ok(r) => (
                Some(self.ns(ex.received)),
                Outcome::Answered(Answer::new(r.status, r.etag.clone(), &r.body)),
            ),
            Err(why) => (
                None,
                Outcome::Lost {
                    status: None,
                    why: why.clone(),
                },
            ),
        };
        self.history.push(Call {
            client,
            kind,
            invoked_ns: self.ns(ex.sent),
            returned_ns,
            outcome,
        })
    }

    fn answer(&self, i: usize) -> Option<&Answer> {
        self.history.calls.get(i).and_then(|c| c.outcome.answer())
    }
}

impl Session {
    async fn open(target: &RaceTarget, options: &RaceOptions) -> Result<Session, RaceError> {
        let (api, base) = Origin::parse(&target.base_url)?;
        let (fixtures, fixtures_path) = Origin::parse(&target.fixtures_url)?;
        let mut auth = vec![(
            "authorization".to_string(),
            format!("Bearer {}", target.token),
        )];
        if let Some(c) = &target.context {
            auth.push(("akua-context".to_string(), c.clone()));
        }
        let nonce = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        Ok(Session {
            api,
            base,
            fixtures,
            fixtures_path,
            auth,
            options: RaceOptions {
                clients: options.clients.max(2),
                ..options.clone()
            },
            statuses: Statuses::from_catalogue(options.mode),
            nonce,
        })
    }

    fn spec(&self) -> Spec {
        Spec::new(self.options.mode, self.options.lifecycle)
    }

    fn timeout(&self) -> Duration {
        self.options.request_timeout
    }

    fn request(
        &self,
        method: Method,
        target: String,
        extra: &[(&str, &str)],
    ) -> Result<Prepared, RaceError> {
        let mut headers: Vec<(&str, &str)> = self
            .auth
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        headers.extend_from_slice(extra);
        Prepared::new(method, target, &headers, Bytes::new())
    }

    fn get(&self, id: &str) -> Result<Prepared, RaceError> {
        self.request(Method::GET, format!("{}/operations/{id}", self.base), &[])
    }

    fn wait(&self, id: &str, secs: u64) -> Result<Prepared, RaceError> {
        self.request(
            Method::POST,
            format!(
                "{}/operations/{id}:wait?timeout={}",
                self.base,
                secs.clamp(1, 60)
            ),
            &[],
        )
    }

    fn cancel(
        &self,
        id: &str,
        key: Option<&str>,
        if_match: Option<&str>,
    ) -> Result<Prepared, RaceError> {
        let mut extra = Vec::new();
        if let Some(k) = key {
            extra.push(("idempotency-key", k));
        }
        if let Some(m) = if_match {
            extra.push(("if-match", m));
        }
        self.request(
            Method::POST,
            format!("{}/operations/{id}:cancel", self.base),
            &extra,
        )
    }

    /// Client `i` of `conns` cancels `id` with `keys[i]`, all at once: the
    /// calls' indexes in the history, and the exchanges.
    async fn keyed_cancels(
        &self,
        rec: &mut Recorder,
        conns: Vec<Conn>,
        id: &str,
        keys: &[String],
    ) -> Result<(Vec<usize>, Vec<Exchange>), RaceError> {
        let reqs = keys
            .iter()
            .map(|k| self.cancel(id, Some(k), None))
            .collect::<Result<Vec<_>, _>>()?;
        let (_, exchanges) = barrier::release(conns, &self.api, reqs, self.timeout()).await;
        let racing = exchanges
            .iter()
            .zip(keys)
            .enumerate()
            .map(|(i, (ex, k))| rec.exchange(i, CallKind::cancel(Some(k), None), ex))
            .collect();
        Ok((racing, exchanges))
    }

    fn key(&self, trial: usize, i: usize) -> String {
        format!("race-{}-{trial}-{i}", self.nonce)
    }

    /// Creates a fixture in `state`.
    async fn fixture(&self, state: &str) -> Result<Fixture, RaceError> {
        let failed = |reason: String| RaceError::Fixture {
            state: state.to_string(),
            reason,
        };
        let mut conn = barrier::connect(&self.fixtures).await?;
        let mut headers: Vec<(&str, &str)> = self
            .auth
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        headers.push(("content-type", "application/json"));
        let body = serde_json::json!({ "state": state }).to_string();
        let req = Prepared::new(
            Method::POST,
            self.fixtures_path.clone(),
            &headers,
            Bytes::from(body),
        )?;
        let ex = conn.send(&self.fixtures, &req, self.timeout()).await;
        let r = ex.result.map_err(failed)?;
        let json: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
        let id = json.get("id").and_then(|v| v.as_str());
        match (r.status, id) {
            (201, Some(id)) => Ok(Fixture {
                id: id.to_string(),
                initial: Initial {
                    etag: r.etag,
                    view: View::of(&json),
                },
                created: ex.received,
            }),
            (status, _) => Err(failed(format!(
                "{status} {}",
                String::from_utf8_lossy(&r.body)
                    .chars()
                    .take(200)
                    .collect::<String>()
            ))),
        }
    }

    /// `n` connections, each warmed by a GET of `id` (recorded, clients
    /// 0..n).
    async fn warm(
        &self,
        rec: &mut Recorder,
        id: &str,
        n: usize,
    ) -> Result<(Vec<Conn>, Vec<usize>), RaceError> {
        let conns = barrier::connect_all(&self.api, n).await?;
        let get = self.get(id)?;
        let (conns, exchanges) =
            barrier::release(conns, &self.api, vec![get; n], self.timeout()).await;
        let calls = exchanges
            .iter()
            .enumerate()
            .map(|(i, ex)| rec.exchange(i, CallKind::Get, ex))
            .collect();
        Ok((conns, calls))
    }

    /// Waits (`:wait`) until `id` is done, then reads it; both recorded as
    /// `client`. The final read's index.
    async fn settle(
        &self,
        rec: &mut Recorder,
        id: &str,
        client: usize,
    ) -> Result<usize, RaceError> {
        let mut conn = barrier::connect(&self.api).await?;
        let secs = self.options.settle_deadline.as_secs().max(1);
        let ex = conn
            .send(&self.api, &self.wait(id, secs)?, self.timeout())
            .await;
        rec.exchange(client, CallKind::Wait, &ex);
        let ex = conn.send(&self.api, &self.get(id)?, self.timeout()).await;
        Ok(rec.exchange(client, CallKind::Get, &ex))
    }

    /// Judges a trial: the scenario's own verdicts, then 5xx and
    /// linearizability over the whole history.
    fn finish(
        &self,
        index: usize,
        rec: Recorder,
        mut verdicts: Vec<Verdict>,
        release: Option<&[Exchange]>,
        note: String,
    ) -> Trial {
        let origin_wall_ms = crate::target::har::wall_ms()
            - i64::try_from(rec.origin.elapsed().as_millis()).unwrap_or(0);
        let Recorder {
            history, operation, ..
        } = rec;
        verdicts.push(no_5xx(&history));
        let (lin, witness) = linearizable(&self.spec(), &history, self.options.search_budget);
        verdicts.push(lin);
        Trial {
            index,
            operation,
            history,
            spread: release.map(barrier::spread),
            overlapped: release.map(barrier::overlapped),
            verdicts,
            witness,
            note,
            origin_wall_ms,
        }
    }

    /// `same-key` (one key) and `different-keys`.
    async fn cancels(&self, index: usize, one_key: bool) -> Result<Trial, RaceError> {
        let n = self.options.clients;
        let f = self.fixture("running").await?;
        let mut rec = Recorder::new(&f);
        let (conns, _) = self.warm(&mut rec, &f.id, n).await?;
        let keys: Vec<String> = (0..n)
            .map(|i| self.key(index, if one_key { 0 } else { i }))
            .collect();
        let (racing, exchanges) = self.keyed_cancels(&mut rec, conns, &f.id, &keys).await?;
        let last = self.settle(&mut rec, &f.id, n).await?;
        let mut verdicts = Vec::new();
        if let Some(why) = finished_first(&rec, &racing, last, base_steps(&f)) {
            // Nothing of these two to judge; linearizability still is.
            for id in [inv::KEY_REPLAY_IDENTICAL, inv::ONE_TRANSITION]
                .into_iter()
                .filter(|id| one_key || *id != inv::KEY_REPLAY_IDENTICAL)
            {
                verdicts.push(Verdict {
                    invariant: id,
                    passed: true,
                    evidence: why.clone(),
                });
            }
            return Ok(self.finish(index, rec, verdicts, Some(&exchanges), why));
        }
        if one_key {
            verdicts.push(self.replay_identical(&rec, &racing));
        }
        verdicts.push(one_transition(&rec, &racing, last, base_steps(&f)));
        Ok(self.finish(index, rec, verdicts, Some(&exchanges), String::new()))
    }

    /// CONC-KEY-REPLAY-IDENTICAL over the racing answers.
    fn replay_identical(&self, rec: &Recorder, racing: &[usize]) -> Verdict {
        let st = &self.statuses;
        let mut first: Option<(usize, &Answer)> = None;
        let mut problems = Vec::new();
        for &i in racing {
            let Some(a) = rec.answer(i) else {
                continue; // no answer: judged by CONC-NO-5XX
            };
            if (200..300).contains(&a.status) {
                match first {
                    None => first = Some((i, a)),
                    Some((j, f)) => {
                        if self.options.mode == Mode::Strict && a.body_hash != f.body_hash {
                            problems.push(format!("#{i} is not #{j} byte for byte"));
                        } else if a.status != f.status && !st.replay.contains(&a.status) {
                            problems.push(format!(
                                "#{i} answered {} after #{j}'s {}",
                                a.status, f.status
                            ));
                        }
                    }
                }
            } else if !st.key_in_flight.contains(&a.status) && a.status < 500 {
                problems.push(format!(
                    "#{i} answered {}, neither a replay nor the in-flight conflict {:?}",
                    a.status, st.key_in_flight
                ));
            }
        }
        if first.is_none() {
            problems.push("no cancel was accepted".into());
        }
        verdict(inv::KEY_REPLAY_IDENTICAL, problems, || {
            format!(
                "{} cancels with one key: one answer, replayed",
                racing.len()
            )
        })
    }

    /// `lost-update`; None when the target sends no ETag.
    async fn lost_update(&self, index: usize) -> Result<Option<Trial>, RaceError> {
        let n = self.options.clients;
        let f = self.fixture("running").await?;
        let mut rec = Recorder::new(&f);
        let (conns, reads) = self.warm(&mut rec, &f.id, n).await?;
        // The ETag every client read last (the latest read wins: an older
        // one would be stale for a plain reason).
        let latest = reads
            .iter()
            .filter_map(|i| {
                let c = rec.history.calls.get(*i)?;
                Some((c.returned_ns?, c.outcome.answer()?.etag.clone()?))
            })
            .max();
        let Some((_, etag)) = latest else {
            return Ok(None);
        };
        let reqs = vec![self.cancel(&f.id, None, Some(&etag))?; n];
        let (_, exchanges) = barrier::release(conns, &self.api, reqs, self.timeout()).await;
        let racing: Vec<usize> = exchanges
            .iter()
            .enumerate()
            .map(|(i, ex)| rec.exchange(i, CallKind::cancel(None, Some(&etag)), ex))
            .collect();
        self.settle(&mut rec, &f.id, n).await?;
        let st = &self.statuses;
        let mut winners = Vec::new();
        let mut problems = Vec::new();
        for &i in &racing {
            let Some(a) = rec.answer(i) else { continue };
            if (200..300).contains(&a.status) {
                winners.push(i);
            } else if !(st.stale_running.contains(&a.status)
                || st.stale_terminal.contains(&a.status)
                || a.status >= 500)
            {
                problems.push(format!("#{i} answered {}, not a stale If-Match", a.status));
            }
        }
        if winners.len() > 1 {
            problems.insert(
                0,
                format!(
                    "{} cancels with If-Match {etag} were all accepted: {}",
                    winners.len(),
                    list(&winners)
                ),
            );
        }
        let v = verdict(inv::LOST_UPDATE, problems, || {
            format!("{} accepted of {} with If-Match {etag}", winners.len(), n)
        });
        Ok(Some(self.finish(
            index,
            rec,
            vec![v],
            Some(&exchanges),
            String::new(),
        )))
    }

    /// Finds how the target's operations finish: by themselves (a
    /// `retrying` fixture, or a `running` one that moves), or after a
    /// first cancel; None when nothing finishes within the deadline.
    async fn calibrate_completion(&self) -> Result<Option<Completion>, RaceError> {
        let deadline = self.options.settle_deadline;
        for (state, within) in [
            ("retrying", deadline),
            ("running", deadline.min(Duration::from_secs(5))),
        ] {
            let Ok(f) = self.fixture(state).await else {
                continue; // the provider does not offer it
            };
            if let Some(after) = self.done_after(&f.id, f.created, within).await? {
                return Ok(Some(Completion::Natural {
                    state: state.into(),
                    after,
                }));
            }
        }
        // Drain: the slowest of three settles after a cancel.
        let mut slowest = None;
        for _ in 0..3 {
            let f = self.fixture("running").await?;
            let mut conn = barrier::connect(&self.api).await?;
            let ex = conn
                .send(&self.api, &self.cancel(&f.id, None, None)?, self.timeout())
                .await;
            match self.done_after(&f.id, ex.received, deadline).await? {
                Some(d) => slowest = Some(slowest.map_or(d, |s: Duration| s.max(d))),
                None => return Ok(None),
            }
        }
        Ok(slowest.map(|after| Completion::Drain { after }))
    }

    /// Polls `id` every 5 ms; how long after `since` it was first seen done.
    async fn done_after(
        &self,
        id: &str,
        since: Instant,
        within: Duration,
    ) -> Result<Option<Duration>, RaceError> {
        let mut conn = barrier::connect(&self.api).await?;
        let get = self.get(id)?;
        let end = Instant::now() + within;
        while Instant::now() < end {
            let ex = conn.send(&self.api, &get, self.timeout()).await;
            let done = ex
                .result
                .as_ref()
                .ok()
                .and_then(|r| serde_json::from_slice::<serde_json::Value>(&r.body).ok())
                .and_then(|b| b.get("done").and_then(serde_json::Value::as_bool))
                .unwrap_or(false);
            if done {
                return Ok(Some(ex.received.saturating_duration_since(since)));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(None)
    }

    /// `completion-race`.
    async fn completion_race(&self, index: usize, how: &Completion) -> Result<Trial, RaceError> {
        let n = self.options.clients;
        let mut rng = SplitMix::new(self.options.seed ^ (index as u64).wrapping_mul(0x9e37_79b9));
        // Offsets spread around the expected instant of completion, so
        // some trials cancel before it and some after.
        let u = (rng.below(1_000_000) as f64) / 1e6;
        let state = match how {
            Completion::Natural { state, .. } => state.as_str(),
            Completion::Drain { .. } => "running",
        };
        let f = self.fixture(state).await?;
        let mut rec = Recorder::new(&f);
        let (conns, _) = self.warm(&mut rec, &f.id, n).await?;
        let (release_at, note) = match how {
            Completion::Natural { after, state } => {
                let offset = after.mul_f64(0.7 + 0.6 * u);
                (
                    f.created + offset,
                    format!(
                        "{state} fixture finishes by itself ~{after:?} after creation; cancels at +{offset:?}"
                    ),
                )
            }
            Completion::Drain { after } => {
                let mut conn = barrier::connect(&self.api).await?;
                let first = self.cancel(&f.id, None, None)?;
                let ex = conn.send(&self.api, &first, self.timeout()).await;
                rec.exchange(n + 1, CallKind::cancel(None, None), &ex);
                let offset = after.mul_f64(1.5 * u);
                (
                    ex.received + offset,
                    format!("a first cancel drains ~{after:?}; the race at +{offset:?} after it"),
                )
            }
        };
        tokio::time::sleep_until(release_at.into()).await;
        let keys: Vec<String> = (0..n).map(|i| self.key(index, i)).collect();
        let (racing, exchanges) = self.keyed_cancels(&mut rec, conns, &f.id, &keys).await?;
        let last = self.settle(&mut rec, &f.id, n).await?;
        let v = self.completion_legal(&rec, &racing, last);
        Ok(self.finish(index, rec, vec![v], Some(&exchanges), note))
    }

    /// CONC-COMPLETION-RACE-LEGAL.
    fn completion_legal(&self, rec: &Recorder, racing: &[usize], last: usize) -> Verdict {
        let st = &self.statuses;
        let mut problems = Vec::new();
        let calls = &rec.history.calls;
        // Never a mix, in any representation.
        for (i, c) in calls.iter().enumerate() {
            if let Some(v) = c.outcome.answer().and_then(|a| a.view.as_ref())
                && let Some(why) = mixed(v)
            {
                problems.push(format!("#{i} shows {}: {why}", v.label()));
            }
        }
        // done never flips back: a read after (in real time) one showing
        // done shows done, in the same state.
        for (i, a) in calls.iter().enumerate() {
            let (Some(ra), Some(va)) = (
                a.returned_ns,
                a.outcome.answer().and_then(|x| x.view.as_ref()),
            ) else {
                continue;
            };
            if !va.done {
                continue;
            }
            for (j, b) in calls.iter().enumerate() {
                if b.kind.is_cancel() || b.invoked_ns <= ra {
                    continue;
                }
                if let Some(vb) = b.outcome.answer().and_then(|x| x.view.as_ref())
                    && (!vb.done || vb.state != va.state)
                {
                    problems.push(format!(
                        "#{j} shows {} after #{i} showed {}",
                        vb.label(),
                        va.label()
                    ));
                }
            }
        }
        let accepted = calls
            .iter()
            .filter(|c| c.kind.is_cancel())
            .any(|c| c.outcome.status().is_some_and(|s| (200..300).contains(&s)));
        match rec.answer(last).and_then(|a| a.view.as_ref()) {
            Some(v) if v.done => {
                if v.state == OpState::Cancelled && !accepted {
                    problems.push(format!(
                        "#{last} shows CANCELLED, yet no cancel was accepted"
                    ));
                }
            }
            Some(v) => problems.push(format!(
                "#{last} shows {} after the settle deadline",
                v.label()
            )),
            None => problems.push(format!("#{last} is no Operation")),
        }
        for &i in racing {
            if let Some(s) = calls[i].outcome.status()
                && s < 500
                && !(st.cancel_running.contains(&s)
                    || st.cancel_again.contains(&s)
                    || st.cancel_terminal.contains(&s))
            {
                problems.push(format!("#{i} answered {s}"));
            }
        }
        let won = racing
            .iter()
            .filter(|i| {
                calls[**i]
                    .outcome
                    .status()
                    .is_some_and(|s| (200..300).contains(&s))
            })
            .count();
        verdict(inv::COMPLETION_RACE_LEGAL, problems, || {
            let end = rec
                .answer(last)
                .and_then(|a| a.view.as_ref())
                .map(View::label)
                .unwrap_or_default();
            format!(
                "{won} of {} racing cancels accepted; final {end}",
                racing.len()
            )
        })
    }

    /// `waiters-vs-cancel`.
    async fn waiters(&self, index: usize) -> Result<Trial, RaceError> {
        let n = self.options.clients;
        let f = self.fixture("running").await?;
        let mut rec = Recorder::new(&f);
        let (conns, _) = self.warm(&mut rec, &f.id, n).await?;
        let timeout = self.options.wait_timeout_secs;
        let mut reqs = vec![self.wait(&f.id, timeout)?; n - 1];
        reqs.push(self.cancel(&f.id, None, None)?);
        let (_, exchanges) = barrier::release(conns, &self.api, reqs, self.timeout()).await;
        let mut waiters = Vec::new();
        for (i, ex) in exchanges.iter().enumerate() {
            if i + 1 < n {
                waiters.push(rec.exchange(i, CallKind::Wait, ex));
            } else {
                rec.exchange(i, CallKind::cancel(None, None), ex);
            }
        }
        self.settle(&mut rec, &f.id, n).await?;
        let v = self.wake_alike(&rec, &waiters);
        let note = format!("{} waiters (timeout {timeout} s) and one cancel", n - 1);
        Ok(self.finish(index, rec, vec![v], Some(&exchanges), note))
    }

    /// CONC-WAITERS-WAKE-ALIKE.
    fn wake_alike(&self, rec: &Recorder, waiters: &[usize]) -> Verdict {
        let calls = &rec.history.calls;
        let mut problems = Vec::new();
        let mut first: Option<(usize, &Answer)> = None;
        let mut earliest = u64::MAX;
        for &i in waiters {
            match calls[i].outcome.answer() {
                Some(a) if a.view.as_ref().is_some_and(|v| v.done) => {
                    earliest = earliest.min(calls[i].returned_ns.unwrap_or(u64::MAX));
                    match first {
                        None => first = Some((i, a)),
                        Some((j, f)) => {
                            let same = if self.options.mode == Mode::Strict {
                                a.body_hash == f.body_hash
                            } else {
                                a.view == f.view
                            };
                            if !same {
                                problems.push(format!("#{i} saw another terminal body than #{j}"));
                            }
                        }
                    }
                }
                Some(a) => problems.push(format!(
                    "#{i} answered {} {} (it never woke to the terminal state)",
                    a.status,
                    a.view.as_ref().map(View::label).unwrap_or_default()
                )),
                None => {} // judged by CONC-NO-5XX
            }
        }
        let bound = u64::try_from(self.options.wake_bound.as_nanos()).unwrap_or(u64::MAX);
        for &i in waiters {
            if let Some(r) = calls[i].returned_ns
                && earliest != u64::MAX
                && r > earliest.saturating_add(bound)
            {
                problems.push(format!(
                    "#{i} answered {:.0} ms after the first waiter (bound {:?})",
                    (r - earliest) as f64 / 1e6,
                    self.options.wake_bound
                ));
            }
        }
        verdict(inv::WAITERS_WAKE_ALIKE, problems, || {
            format!(
                "{} waiters woke within {:?} of each other, alike",
                waiters.len(),
                self.options.wake_bound
            )
        })
    }

    /// Hangs up on `req` and records it as a lost call of `client`.
    async fn hang_up(
        &self,
        rec: &mut Recorder,
        client: usize,
        kind: CallKind,
        req: &Prepared,
        at: HangUp,
    ) -> Result<(usize, Option<u16>), RaceError> {
        let h = barrier::send_and_hang_up(&self.api, req, at, self.timeout()).await?;
        let i = rec.history.push(Call {
            client,
            kind,
            invoked_ns: rec.ns(h.sent),
            returned_ns: None,
            outcome: Outcome::Lost {
                status: h.status,
                why: h.why,
            },
        });
        Ok((i, h.status))
    }

    /// Reads `id` as `client`; when it shows a transition, waits until it
    /// is done (the retry then meets a done operation: the hardest case
    /// for a key store).
    async fn observe_then_settle(
        &self,
        rec: &mut Recorder,
        id: &str,
        client: usize,
        base: u8,
    ) -> Result<(), RaceError> {
        // Room for the server to act on a request it did receive.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut conn = barrier::connect(&self.api).await?;
        let ex = conn.send(&self.api, &self.get(id)?, self.timeout()).await;
        let i = rec.exchange(client, CallKind::Get, &ex);
        let moved = rec
            .answer(i)
            .and_then(|a| a.view.as_ref())
            .is_some_and(|v| v.done || v.cancel_steps.is_some_and(|c| c > base));
        if moved {
            let secs = self.options.settle_deadline.as_secs().max(1);
            let ex = conn
                .send(&self.api, &self.wait(id, secs)?, self.timeout())
                .await;
            rec.exchange(client, CallKind::Wait, &ex);
        }
        Ok(())
    }

    /// `lost-response-*`.
    async fn lost_response(
        &self,
        index: usize,
        keyed: bool,
        at: HangUp,
    ) -> Result<Trial, RaceError> {
        let f = self.fixture("running").await?;
        let base = base_steps(&f);
        let mut rec = Recorder::new(&f);
        let key = keyed.then(|| self.key(index, 0));
        let cancel = self.cancel(&f.id, key.as_deref(), None)?;
        let kind = CallKind::cancel(key.as_deref(), None);
        let (_, lost_status) = self.hang_up(&mut rec, 0, kind.clone(), &cancel, at).await?;
        self.observe_then_settle(&mut rec, &f.id, 1, base).await?;
        let mut conn = barrier::connect(&self.api).await?;
        let mut retries = Vec::new();
        for _ in 0..if keyed { 2 } else { 1 } {
            let ex = conn.send(&self.api, &cancel, self.timeout()).await;
            retries.push(rec.exchange(0, kind.clone(), &ex));
        }
        let last = self.settle(&mut rec, &f.id, 1).await?;
        let v = self.retry_verdict(&rec, keyed, lost_status, &retries, last, base);
        let note = format!(
            "{} cancel, hung up {}{}",
            if keyed { "keyed" } else { "unkeyed" },
            at.name(),
            lost_status
                .map(|s| format!(" (status {s})"))
                .unwrap_or_default()
        );
        Ok(self.finish(index, rec, vec![v], None, note))
    }

    /// RETRY-AFTER-LOST-RESPONSE.
    fn retry_verdict(
        &self,
        rec: &Recorder,
        keyed: bool,
        lost_status: Option<u16>,
        retries: &[usize],
        last: usize,
        base: u8,
    ) -> Verdict {
        let st = &self.statuses;
        let mut problems = Vec::new();
        let answers: Vec<(usize, &Answer)> = retries
            .iter()
            .filter_map(|i| rec.answer(*i).map(|a| (*i, a)))
            .collect();
        if let Some(&(i, a)) = answers.first() {
            if keyed {
                let ok = match lost_status {
                    Some(s) => {
                        a.status == s
                            || (self.options.mode == Mode::Lenient
                                && st.replay.contains(&s)
                                && st.replay.contains(&a.status))
                    }
                    // Never processed: the retry is the first.
                    None => st.cancel_running.contains(&a.status) || st.replay.contains(&a.status),
                };
                if !ok {
                    problems.push(match lost_status {
                        Some(s) => format!(
                            "the retry #{i} answered {}, the lost answer was {s}",
                            a.status
                        ),
                        None => format!(
                            "the retry #{i} answered {}, neither the first cancel nor its replay",
                            a.status
                        ),
                    });
                }
                if let Some(&(j, b)) = answers.get(1) {
                    let same = if self.options.mode == Mode::Strict {
                        a.body_hash == b.body_hash && a.status == b.status
                    } else {
                        a.status == b.status
                    };
                    if !same {
                        problems.push(format!("the second retry #{j} differs from the first #{i}"));
                    }
                }
            } else if !(st.cancel_running.contains(&a.status)
                || st.cancel_again.contains(&a.status)
                || st.cancel_terminal.contains(&a.status)
                || a.status >= 500)
            {
                problems.push(format!("the retry #{i} answered {}", a.status));
            }
        }
        match rec.answer(last).and_then(|a| a.view.as_ref()) {
            Some(v) => {
                if let Some(c) = v.cancel_steps
                    && c != base + 1
                {
                    problems.push(format!(
                        "the final read #{last} shows {} transitions",
                        c.saturating_sub(base)
                    ));
                }
                if !v.done {
                    problems.push(format!(
                        "the final read #{last} shows {} after the settle deadline",
                        v.label()
                    ));
                }
            }
            None => problems.push(format!("the final read #{last} is no Operation")),
        }
        verdict(inv::RETRY_AFTER_LOST_RESPONSE, problems, || {
            let statuses: Vec<String> = answers.iter().map(|(_, a)| a.status.to_string()).collect();
            format!(
                "lost answer {}; retries answered {}; one transition",
                lost_status.map_or("unseen".to_string(), |s| s.to_string()),
                statuses.join(", ")
            )
        })
    }

    /// `key-misuse`.
    async fn key_misuse(&self, index: usize) -> Result<Trial, RaceError> {
        let a = self.fixture("running").await?;
        let b = self.fixture("running").await?;
        let base = base_steps(&a);
        let mut rec = Recorder::new(&a);
        let key = self.key(index, 0);
        let mut conn = barrier::connect(&self.api).await?;
        let ex = conn
            .send(&self.api, &self.get(&a.id)?, self.timeout())
            .await;
        let read = rec.exchange(0, CallKind::Get, &ex);
        let etag = rec.answer(read).and_then(|x| x.etag.clone());
        let first = self.cancel(&a.id, Some(&key), etag.as_deref())?;
        let first_kind = CallKind::cancel(Some(&key), etag.as_deref());
        let (_, lost_status) = self
            .hang_up(
                &mut rec,
                0,
                first_kind.clone(),
                &first,
                HangUp::AfterStatusLine,
            )
            .await?;
        let mut misuses = Vec::new();
        let mut problems = Vec::new();
        // Another If-Match on the same operation (only with an ETag to
        // differ from).
        if etag.is_some() {
            let ex = conn
                .send(
                    &self.api,
                    &self.cancel(&a.id, Some(&key), Some("*"))?,
                    self.timeout(),
                )
                .await;
            misuses.push(rec.exchange(0, CallKind::cancel(Some(&key), Some("*")), &ex));
        }
        // Another operation, with its own current ETag.
        let ex = conn
            .send(&self.api, &self.get(&b.id)?, self.timeout())
            .await;
        let b_tag = ex.result.as_ref().ok().and_then(|r| r.etag.clone());
        let other = self.cancel(&b.id, Some(&key), b_tag.as_deref())?;
        let ex = conn.send(&self.api, &other, self.timeout()).await;
        misuses.push(rec.exchange(
            0,
            CallKind::Cancel {
                key: Some(key.clone()),
                if_match: b_tag.clone(),
                target: Target::Other(b.id.clone()),
            },
            &ex,
        ));
        let ex = conn
            .send(&self.api, &self.get(&b.id)?, self.timeout())
            .await;
        let b_after = ex
            .result
            .as_ref()
            .ok()
            .and_then(|r| serde_json::from_slice::<serde_json::Value>(&r.body).ok())
            .as_ref()
            .and_then(View::of);
        match &b_after {
            Some(v)
                if v.state == OpState::Running && v.cancel_steps.unwrap_or(0) == base_steps(&b) => {
            }
            Some(v) => problems.push(format!(
                "the other operation {} now shows {}",
                b.id,
                v.label()
            )),
            None => problems.push(format!("the other operation {} could not be read", b.id)),
        }
        for &i in &misuses {
            if let Some(a) = rec.answer(i)
                && !self.statuses.key_misuse.contains(&a.status)
            {
                problems.insert(
                    0,
                    format!(
                        "#{i} ({}) answered {}, not key misuse {:?}",
                        rec.history.calls[i].kind.label(),
                        a.status,
                        self.statuses.key_misuse
                    ),
                );
            }
        }
        let misuse = verdict(inv::RETRY_KEY_MISUSE, problems, || {
            format!(
                "{} requests reusing the key were refused; {} untouched",
                misuses.len(),
                b.id
            )
        });
        // The same request again: the lost answer, replayed.
        let mut retries = Vec::new();
        for _ in 0..2 {
            let ex = conn.send(&self.api, &first, self.timeout()).await;
            retries.push(rec.exchange(0, first_kind.clone(), &ex));
        }
        let last = self.settle(&mut rec, &a.id, 1).await?;
        let retry = self.retry_verdict(&rec, true, lost_status, &retries, last, base);
        Ok(self.finish(index, rec, vec![misuse, retry], None, String::new()))
    }
}

/// Why there is nothing to race for: no racing cancel was accepted and the
/// operation ended SUCCEEDED or FAILED with no transition (a live target's
/// operation finished by itself first). None otherwise.
fn finished_first(rec: &Recorder, racing: &[usize], last: usize, base: u8) -> Option<String> {
    let accepted = racing.iter().any(|i| {
        rec.answer(*i)
            .is_some_and(|a| (200..300).contains(&a.status))
    });
    let v = rec.answer(last).and_then(|a| a.view.as_ref())?;
    let natural = matches!(v.state, OpState::Succeeded | OpState::Failed)
        && v.cancel_steps.is_none_or(|c| c == base);
    (!accepted && natural).then(|| {
        format!(
            "the operation finished by itself ({}) before the race: nothing to judge",
            v.state.as_str()
        )
    })
}

/// `cancel` steps the fixture listed when created.
fn base_steps(f: &Fixture) -> u8 {
    f.initial
        .view
        .as_ref()
        .and_then(|v| v.cancel_steps)
        .unwrap_or(0)
}

/// Why a representation mixes states, if it does.
fn mixed(v: &View) -> Option<&'static str> {
    if v.done != v.state.is_terminal() {
        Some("done disagrees with state")
    } else if v.state == OpState::Cancelled && v.has_response {
        Some("CANCELLED with a response")
    } else if v.state == OpState::Failed && v.has_response {
        Some("FAILED with a response")
    } else if v.state == OpState::Succeeded && v.has_error {
        Some("SUCCEEDED with an error")
    } else {
        None
    }
}

fn list(calls: &[usize]) -> String {
    calls
        .iter()
        .map(|i| format!("#{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn verdict(invariant: &'static str, problems: Vec<String>, ok: impl FnOnce() -> String) -> Verdict {
    if problems.is_empty() {
        Verdict {
            invariant,
            passed: true,
            evidence: ok(),
        }
    } else {
        Verdict {
            invariant,
            passed: false,
            evidence: problems.join("; "),
        }
    }
}

/// CONC-ONE-TRANSITION: some racing cancel accepted, the final read shows
/// exactly one transition, no read more than one.
fn one_transition(rec: &Recorder, racing: &[usize], last: usize, base: u8) -> Verdict {
    let mut problems = Vec::new();
    let accepted = racing
        .iter()
        .filter(|i| {
            rec.answer(**i)
                .is_some_and(|a| (200..300).contains(&a.status))
        })
        .count();
    if accepted == 0 {
        problems.push("no racing cancel was accepted".to_string());
    }
    for (i, c) in rec.history.calls.iter().enumerate() {
        if let Some(n) = c
            .outcome
            .answer()
            .and_then(|a| a.view.as_ref())
            .and_then(|v| v.cancel_steps)
            && n > base + 1
        {
            problems.push(format!("#{i} shows {} transitions", n - base));
        }
    }
    let marker = rec
        .answer(last)
        .and_then(|a| a.view.as_ref())
        .and_then(|v| v.cancel_steps);
    if let Some(n) = marker
        && n != base + 1
        && !problems.iter().any(|p| p.starts_with(&format!("#{last} ")))
    {
        problems.push(format!(
            "the final read #{last} shows {} transitions",
            n.saturating_sub(base)
        ));
    }
    verdict(inv::ONE_TRANSITION, problems, || match marker {
        Some(_) => format!("{accepted} of {} accepted; one transition", racing.len()),
        None => format!(
            "{accepted} of {} accepted; the target lists no steps (linearizability judges the rest)",
            racing.len()
        ),
    })
}

/// CONC-NO-5XX over every call that got an answer, and every call that
/// should have (a failed exchange that is not a deliberate hang-up).
fn no_5xx(h: &History) -> Verdict {
    let mut problems = Vec::new();
    for (i, c) in h.calls.iter().enumerate() {
        match &c.outcome {
            Outcome::Answered(a) if a.status >= 500 => {
                problems.push(format!("#{i} ({}) answered {}", c.kind.label(), a.status))
            }
            Outcome::Lost {
                status: Some(s), ..
            } if *s >= 500 => {
                problems.push(format!("#{i} ({}) answered {s}", c.kind.label()));
            }
            Outcome::Lost { why, status: None } if !why.starts_with("closed") => {
                problems.push(format!("#{i} ({}) got no answer: {why}", c.kind.label()));
            }
            _ => {}
        }
    }
    verdict(inv::NO_5XX, problems, || {
        format!("{} answers, none 5xx", h.calls.len())
    })
}

/// CONC-LINEARIZABLE, with the minimal part when it fails.
fn linearizable(spec: &Spec, h: &History, budget: u64) -> (Verdict, Option<Witness>) {
    match linearizability::check(spec, h, budget) {
        Ok(Lin::Linearizable { order }) => (
            Verdict {
                invariant: inv::LINEARIZABLE,
                passed: true,
                evidence: format!("a legal order: {}", list(&order)),
            },
            None,
        ),
        Ok(Lin::NotLinearizable(w)) => (
            Verdict {
                invariant: inv::LINEARIZABLE,
                passed: false,
                evidence: w.explain(),
            },
            Some(w),
        ),
        // Neither proven: not a violation (the budget is the harness's limit).
        Ok(Lin::Inconclusive { steps }) => (
            Verdict {
                invariant: inv::LINEARIZABLE,
                passed: true,
                evidence: format!("inconclusive: the search stopped after {steps} steps"),
            },
            None,
        ),
        Err(e) => (
            Verdict {
                invariant: inv::LINEARIZABLE,
                passed: true,
                evidence: format!("not checked: {e}"),
            },
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_every_scenario_names_real_invariants() {
        for s in Scenario::ALL {
            assert_eq!(Scenario::from_name(&s.name()), Some(s));
            for id in s.invariants() {
                assert!(inv::find(id).is_some(), "{}: {id}", s.name());
            }
            assert!(s.invariants().contains(&inv::LINEARIZABLE));
        }
        assert_eq!(Scenario::from_name("nope"), None);
        let names: std::collections::HashSet<String> =
            Scenario::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(names.len(), Scenario::ALL.len());
        // Every race invariant is judged by some scenario.
        for id in inv::ids() {
            assert!(
                Scenario::ALL.iter().any(|s| s.invariants().contains(&id)),
                "{id}"
            );
        }
    }

    #[test]
    fn mixes_are_named() {
        let v = |state: OpState, done: bool, resp: bool, err: bool| View {
            state,
            done,
            has_response: resp,
            has_error: err,
            cancel_steps: None,
            completed_at: None,
        };
        assert_eq!(
            mixed(&v(OpState::Cancelled, true, true, true)),
            Some("CANCELLED with a response")
        );
        assert_eq!(
            mixed(&v(OpState::Running, true, false, false)),
            Some("done disagrees with state")
        );
        assert_eq!(
            mixed(&v(OpState::Succeeded, true, true, true)),
            Some("SUCCEEDED with an error")
        );
        assert_eq!(mixed(&v(OpState::Succeeded, true, true, false)), None);
    }

    #[test]
    fn lost_calls_that_are_not_hang_ups_count_as_missing_answers() {
        let mut h = History::new(Initial::default());
        h.push(Call {
            client: 0,
            kind: CallKind::Get,
            invoked_ns: 0,
            returned_ns: None,
            outcome: Outcome::Lost {
                status: None,
                why: "connection reset".into(),
            },
        });
        h.push(Call {
            client: 1,
            kind: CallKind::cancel(None, None),
            invoked_ns: 0,
            returned_ns: None,
            outcome: Outcome::Lost {
                status: None,
                why: "closed right after the request was written".into(),
            },
        });
        let v = no_5xx(&h);
        assert!(!v.passed);
        assert!(
            v.evidence.contains("#0") && !v.evidence.contains("#1"),
            "{}",
            v.evidence
        );
    }
}
