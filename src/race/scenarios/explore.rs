//! Concurrent stateful exploration (`opconform fuzz --concurrent-clients
//! K`): random programs — K clients, each a short sequence of cancels (with
//! or without one of a few Idempotency-Keys, with or without an If-Match:
//! the ETag read first, `*`, or a stale one), reads and `:wait`s — run
//! against one fresh operation, the clients' first requests released
//! together, then one read after every answer. Each run is recorded as a [`History`](crate::race::history::History) and judged like a race
//! trial: CONC-NO-5XX and CONC-LINEARIZABLE against the sequential model.
//!
//! A failing program is shrunk twice: the program (drop a client, drop a
//! step; a candidate is kept when one of a few reruns fails again — races
//! are intermittent), then its history, to the minimal non-linearizable
//! part the checker reports.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::super::barrier::{self, Exchange, Prepared, RaceError};
use super::super::history::CallKind;
use super::super::sample::SplitMix;
use super::{RaceOptions, RaceTarget, Recorder, Session, Trial};

/// An `If-Match` a generated cancel sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IfMatch {
    /// None.
    Absent,
    /// The ETag the fixture was created with (when it sent one).
    Initial,
    /// `*`.
    Star,
    /// A tag the operation never had.
    Stale,
}

/// One request of a generated client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "op")]
pub enum Step {
    /// A cancel, with key number `key` (of a few shared by all clients) or
    /// none, and an `If-Match`.
    Cancel {
        /// Which of the shared keys, if any.
        key: Option<u8>,
        /// The `If-Match`.
        if_match: IfMatch,
    },
    /// `GET /operations/{id}`.
    Get,
    /// `:wait?timeout=1`.
    Wait,
}

impl Step {
    /// One line, e.g. `cancel key#1 if-match=initial`.
    pub fn label(&self) -> String {
        match self {
            Step::Get => "get".into(),
            Step::Wait => "wait".into(),
            Step::Cancel { key, if_match } => {
                let mut out = "cancel".to_string();
                if let Some(k) = key {
                    out.push_str(&format!(" key#{k}"));
                }
                if *if_match != IfMatch::Absent {
                    out.push_str(&format!(" if-match={if_match:?}").to_lowercase());
                }
                out
            }
        }
    }
}

/// K clients' sequences against one operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Program {
    /// One sequence per client.
    pub clients: Vec<Vec<Step>>,
}

impl Program {
    /// Requests in all.
    pub fn len(&self) -> usize {
        self.clients.iter().map(Vec::len).sum()
    }

    /// True without any request.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One line per client: `c0: cancel key#0; get`.
    pub fn label(&self) -> String {
        self.clients
            .iter()
            .enumerate()
            .map(|(i, steps)| {
                let s: Vec<String> = steps.iter().map(Step::label).collect();
                format!("c{i}: {}", s.join("; "))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A random program of `clients` clients with 1..=`max_steps` steps each.
    pub fn generate(rng: &mut SplitMix, clients: usize, max_steps: usize) -> Program {
        let step = |rng: &mut SplitMix| match rng.below(10) {
            0 => Step::Get,
            1 => Step::Wait,
            _ => Step::Cancel {
                key: (!rng.one_in(3)).then(|| rng.below(2) as u8),
                if_match: match rng.below(6) {
                    0 => IfMatch::Initial,
                    1 => IfMatch::Star,
                    2 => IfMatch::Stale,
                    _ => IfMatch::Absent,
                },
            },
        };
        Program {
            clients: (0..clients.max(1))
                .map(|_| {
                    let n = 1 + rng.below(max_steps.max(1) as u64) as usize;
                    (0..n).map(|_| step(rng)).collect()
                })
                .collect(),
        }
    }

    /// Smaller programs: without one client (while two remain), then
    /// without one step.
    fn shrinks(&self) -> Vec<Program> {
        let mut out = Vec::new();
        if self.clients.len() > 2 {
            for i in 0..self.clients.len() {
                let mut p = self.clone();
                p.clients.remove(i);
                out.push(p);
            }
        }
        for i in 0..self.clients.len() {
            for j in 0..self.clients[i].len() {
                let mut p = self.clone();
                p.clients[i].remove(j);
                if !p.clients[i].is_empty() || p.clients.len() > 2 {
                    p.clients.retain(|c| !c.is_empty());
                    out.push(p);
                }
            }
        }
        out
    }
}

/// How to explore.
#[derive(Debug, Clone)]
pub struct ExploreConfig {
    /// K: clients per program (at least 2).
    pub clients: usize,
    /// Programs to run.
    pub programs: u64,
    /// Stop generating after this long.
    pub time: Option<Duration>,
    /// The seed: same seed, same programs.
    pub seed: u64,
    /// Longest sequence per client.
    pub max_steps: usize,
    /// Reruns of a program while shrinking (all must pass to reject it).
    pub reruns: usize,
    /// Upper bound on program runs while shrinking.
    pub max_shrink_runs: u32,
    /// Mode, deadlines, search budget.
    pub options: RaceOptions,
}

impl Default for ExploreConfig {
    fn default() -> Self {
        ExploreConfig {
            clients: 3,
            programs: 50,
            time: None,
            seed: 0,
            max_steps: 3,
            reruns: 3,
            max_shrink_runs: 64,
            options: RaceOptions::default(),
        }
    }
}

/// A failing program, shrunk.
#[derive(Debug, Clone)]
pub struct Found {
    /// The program as generated.
    pub original: Program,
    /// The smallest program seen failing.
    pub shrunk: Program,
    /// Its failing run (history, verdicts, minimal non-linearizable part).
    pub trial: Trial,
    /// Program runs the shrinking took.
    pub shrink_runs: u32,
}

/// What an exploration did.
#[derive(Debug, Clone)]
pub struct Explored {
    /// Programs run (not counting shrinking).
    pub programs: u64,
    /// Requests sent by them.
    pub requests: u64,
    /// The first failure, shrunk.
    pub found: Option<Found>,
    /// How long it took.
    pub elapsed: Duration,
}

/// Runs random programs against `target` until one fails (then shrinks it)
/// or the budget is spent.
pub async fn explore(target: &RaceTarget, config: &ExploreConfig) -> Result<Explored, RaceError> {
    let started = Instant::now();
    let session = Session::open(target, &config.options).await?;
    let mut rng = SplitMix::new(config.seed);
    let (mut programs, mut requests) = (0, 0);
    let mut index = 0;
    while programs < config.programs && config.time.is_none_or(|t| started.elapsed() < t) {
        let program = Program::generate(&mut rng, config.clients.max(2), config.max_steps);
        let trial = session.program(index, &program).await?;
        index += 1;
        programs += 1;
        requests += program.len() as u64;
        if trial.violated() {
            let found = shrink(&session, program, trial, config, &mut index).await?;
            return Ok(Explored {
                programs,
                requests,
                found: Some(found),
                elapsed: started.elapsed(),
            });
        }
    }
    Ok(Explored {
        programs,
        requests,
        found: None,
        elapsed: started.elapsed(),
    })
}

async fn shrink(
    session: &Session,
    original: Program,
    trial: Trial,
    config: &ExploreConfig,
    index: &mut usize,
) -> Result<Found, RaceError> {
    let (mut best, mut best_trial) = (original.clone(), trial);
    let mut runs = 0u32;
    'outer: loop {
        for candidate in best.shrinks() {
            for _ in 0..config.reruns.max(1) {
                if runs >= config.max_shrink_runs {
                    break 'outer;
                }
                runs += 1;
                let t = session.program(*index, &candidate).await?;
                *index += 1;
                if t.violated() {
                    best = candidate;
                    best_trial = t;
                    continue 'outer;
                }
            }
        }
        break;
    }
    Ok(Found {
        original,
        shrunk: best,
        trial: best_trial,
        shrink_runs: runs,
    })
}

impl Session {
    /// Runs `program` on a fresh running operation: the clients' first
    /// requests released together, then each client's next ones as its
    /// answers come; then a last read. Judged by CONC-NO-5XX and
    /// CONC-LINEARIZABLE.
    async fn program(&self, index: usize, program: &Program) -> Result<Trial, RaceError> {
        let f = self.fixture("running").await?;
        let mut rec = Recorder::new(&f);
        let k = program.clients.len();
        let initial = f.initial.etag.clone();
        let keys: Vec<String> = (0..2).map(|i| self.key(index, i)).collect();
        let mut plans: Vec<Vec<(CallKind, Prepared)>> = Vec::with_capacity(k);
        for steps in &program.clients {
            let mut plan = Vec::with_capacity(steps.len());
            for step in steps {
                plan.push(match *step {
                    Step::Get => (CallKind::Get, self.get(&f.id)?),
                    Step::Wait => (CallKind::Wait, self.wait(&f.id, 1)?),
                    Step::Cancel { key, if_match } => {
                        let key = key.map(|i| keys[usize::from(i) % keys.len()].as_str());
                        let tag = match if_match {
                            IfMatch::Absent => None,
                            IfMatch::Initial => initial.clone(),
                            IfMatch::Star => Some("*".to_string()),
                            IfMatch::Stale => Some("\"opconform-stale\"".to_string()),
                        };
                        (
                            CallKind::cancel(key, tag.as_deref()),
                            self.cancel(&f.id, key, tag.as_deref())?,
                        )
                    }
                });
            }
            plans.push(plan);
        }
        let conns = barrier::connect_all(&self.api, k).await?;
        let start = Arc::new(tokio::sync::Barrier::new(k));
        let origin = Arc::new(self.api.clone());
        let timeout = self.timeout();
        let tasks: Vec<_> = conns
            .into_iter()
            .zip(plans)
            .map(|(mut conn, plan)| {
                let start = Arc::clone(&start);
                let origin = Arc::clone(&origin);
                tokio::spawn(async move {
                    start.wait().await;
                    let mut out = Vec::with_capacity(plan.len());
                    for (kind, req) in plan {
                        let ex = conn.send(&origin, &req, timeout).await;
                        out.push((kind, ex));
                    }
                    out
                })
            })
            .collect();
        let mut firsts: Vec<Exchange> = Vec::with_capacity(k);
        let mut done: Vec<(usize, CallKind, Exchange)> = Vec::new();
        for (client, t) in tasks.into_iter().enumerate() {
            let calls = t.await.unwrap_or_default();
            if let Some((_, ex)) = calls.first() {
                firsts.push(ex.clone());
            }
            done.extend(calls.into_iter().map(|(kind, ex)| (client, kind, ex)));
        }
        done.sort_by_key(|(_, _, ex)| ex.sent);
        for (client, kind, ex) in &done {
            rec.exchange(*client, kind.clone(), ex);
        }
        // A last read, after every answer (no wait: an operation no cancel
        // reached may never finish).
        let mut conn = barrier::connect(&self.api).await?;
        let ex = conn.send(&self.api, &self.get(&f.id)?, timeout).await;
        rec.exchange(k, CallKind::Get, &ex);
        let note = program.label().replace('\n', " | ");
        Ok(self.finish(index, rec, Vec::new(), Some(&firsts), note))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_are_seeded_and_shrink_towards_two_clients() {
        let a = Program::generate(&mut SplitMix::new(7), 4, 3);
        let b = Program::generate(&mut SplitMix::new(7), 4, 3);
        assert_eq!(a, b);
        assert_eq!(a.clients.len(), 4);
        assert!(a.clients.iter().all(|c| (1..=3).contains(&c.len())));
        for s in a.shrinks() {
            assert!(s.len() < a.len(), "{}", s.label());
            assert!(s.clients.len() >= 2 || a.clients.len() < 2);
            assert!(s.clients.iter().all(|c| !c.is_empty()));
        }
        let two = Program {
            clients: vec![vec![Step::Get], vec![Step::Get]],
        };
        // Two one-step clients are as small as a race gets.
        assert!(two.shrinks().is_empty());
        assert_eq!(two.label(), "c0: get\nc1: get");
    }
}
