//! Histories drawn from a simple simulation of one operation, for the
//! checker's property tests and its benchmark: a sequential run in which
//! every call takes effect at one instant, then (optionally) each call's
//! window widened around that instant, so the calls overlap while the run's
//! own order stays legal. Such a history is linearizable by construction.
//!
//! The simulation is written apart from [`model`](super::model) (it keeps a
//! revision counter, real keys and real bodies), so the property "every
//! simulated history is linearizable" tests the checker and the model
//! against an independent reading of the contract.

use std::collections::HashMap;

use serde_json::json;

use crate::contract::Mode;

use super::history::{Answer, Call, CallKind, History, Initial, Outcome, View};
use super::model::{Lifecycle, Statuses};

/// What to draw.
#[derive(Debug, Clone, Copy)]
pub struct SampleConfig {
    /// Calls in the history.
    pub calls: usize,
    /// Clients (lanes).
    pub clients: usize,
    /// Distinct idempotency keys the cancels pick from (0: none).
    pub keys: usize,
    /// Which statuses the simulated server answers with.
    pub mode: Mode,
    /// What the simulated operation does by itself.
    pub lifecycle: Lifecycle,
    /// Widen each call's window up to this many ns on either side of its
    /// instant (0: strictly sequential calls).
    pub overlap_ns: u64,
    /// One call in this many loses its response (0: none).
    pub lose_one_in: u64,
}

impl Default for SampleConfig {
    fn default() -> Self {
        SampleConfig {
            calls: 20,
            clients: 4,
            keys: 3,
            mode: Mode::Strict,
            lifecycle: Lifecycle::ANY,
            overlap_ns: 0,
            lose_one_in: 0,
        }
    }
}

/// SplitMix64: a small deterministic generator (no dependency).
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        n > 0 && self.below(n) == 0
    }

    fn pick(&mut self, set: &[u16]) -> u16 {
        set.get(self.below(set.len() as u64) as usize)
            .copied()
            .unwrap_or(599)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    Cancelling,
    Succeeded,
    Failed,
    Cancelled,
}

/// The first answer under a key, and the If-Match it was sent with.
type Stored = (Option<String>, u16, Vec<u8>, Option<String>);

/// The simulated operation.
struct Sim {
    phase: Phase,
    revision: u64,
    cancels: u8,
    completed_at: Option<u64>,
    /// key → (If-Match sent, status, body, ETag) of the first answer.
    keys: HashMap<String, Stored>,
}

impl Sim {
    fn etag(&self) -> String {
        format!("\"r{}\"", self.revision)
    }

    fn body(&self) -> Vec<u8> {
        let (state, done) = match self.phase {
            Phase::Running | Phase::Cancelling => ("RUNNING", false),
            Phase::Succeeded => ("SUCCEEDED", true),
            Phase::Failed => ("FAILED", true),
            Phase::Cancelled => ("CANCELLED", true),
        };
        let mut steps = vec![json!({"name": "validate"})];
        for _ in 0..self.cancels {
            steps.push(json!({"name": "cancel"}));
        }
        json!({
            "id": "op_sim",
            "state": state,
            "done": done,
            "revision_note": self.revision,
            "response": if state == "SUCCEEDED" { json!({"type": "t"}) } else { json!(null) },
            "error": if matches!(state, "FAILED" | "CANCELLED") { json!({"message": "m"}) } else { json!(null) },
            "completed_at": self.completed_at,
            "steps": steps,
        })
        .to_string()
        .into_bytes()
    }

    fn done(&self) -> bool {
        !matches!(self.phase, Phase::Running | Phase::Cancelling)
    }

    fn finish(&mut self, phase: Phase, at: u64) {
        self.phase = phase;
        self.revision += 1;
        self.completed_at = Some(at);
    }

    /// A move by itself, if the lifecycle allows one now.
    fn tick(&mut self, rng: &mut SplitMix, life: Lifecycle, at: u64) {
        if self.done() {
            return;
        }
        match rng.below(6) {
            0 if life.progresses => self.revision += 1,
            1 if self.phase == Phase::Cancelling => self.finish(Phase::Cancelled, at),
            2 if life.completes => self.finish(Phase::Succeeded, at),
            3 if life.completes && rng.one_in(3) => self.finish(Phase::Failed, at),
            _ => {}
        }
    }
}

/// A history of `config.calls` calls drawn with `seed`.
pub fn history(seed: u64, config: &SampleConfig) -> History {
    let mut rng = SplitMix::new(seed);
    let st = Statuses::from_catalogue(config.mode);
    let mut sim = Sim {
        phase: Phase::Running,
        revision: 1,
        cancels: 0,
        completed_at: None,
        keys: HashMap::new(),
    };
    let initial = Initial {
        etag: Some(sim.etag()),
        view: serde_json::from_slice(&sim.body())
            .ok()
            .as_ref()
            .and_then(View::of),
    };
    let mut seen_tags = vec![sim.etag()];
    let mut h = History::new(initial);
    let step_ns = 2 * config.overlap_ns + 10;
    for i in 0..config.calls {
        let instant = (i as u64 + 1) * step_ns;
        sim.tick(&mut rng, config.lifecycle, instant);
        let client = rng.below(config.clients.max(1) as u64) as usize;
        let (kind, status, body, etag) = match rng.below(5) {
            0 => (CallKind::Get, 200, sim.body(), Some(sim.etag())),
            1 => (CallKind::Wait, 200, sim.body(), Some(sim.etag())),
            _ => {
                let key = (config.keys > 0 && !rng.one_in(3))
                    .then(|| format!("k{}", rng.below(config.keys as u64)));
                let if_match = match rng.below(4) {
                    0 => Some(sim.etag()),
                    1 => Some(seen_tags[rng.below(seen_tags.len() as u64) as usize].clone()),
                    2 if rng.one_in(2) => Some("*".to_string()),
                    _ => None,
                };
                let (status, body, etag) =
                    cancel(&mut sim, &mut rng, &st, key.as_deref(), if_match.as_deref());
                (
                    CallKind::cancel(key.as_deref(), if_match.as_deref()),
                    status,
                    body,
                    etag,
                )
            }
        };
        if let Some(t) = &etag
            && !seen_tags.contains(t)
        {
            seen_tags.push(t.clone());
        }
        let widen = |rng: &mut SplitMix| rng.below(config.overlap_ns + 1);
        let invoked = instant - widen(&mut rng);
        let lost = rng.one_in(config.lose_one_in);
        let returned = instant + 1 + widen(&mut rng);
        let outcome = if lost {
            Outcome::Lost {
                status: None,
                why: "sampled loss".into(),
            }
        } else {
            Outcome::Answered(Answer::new(status, etag, &body))
        };
        h.push(Call {
            client,
            kind,
            invoked_ns: invoked,
            returned_ns: (!lost).then_some(returned),
            outcome,
        });
    }
    h
}

/// The simulated cancel: (status, body, ETag).
fn cancel(
    sim: &mut Sim,
    rng: &mut SplitMix,
    st: &Statuses,
    key: Option<&str>,
    if_match: Option<&str>,
) -> (u16, Vec<u8>, Option<String>) {
    let error = |status: u16| (status, br#"{"error":{"message":"no"}}"#.to_vec(), None);
    if let Some(k) = key
        && let Some((first_if_match, status, body, etag)) = sim.keys.get(k)
    {
        if first_if_match.as_deref() == if_match {
            // A replay: the first answer, byte for byte, with its ETag.
            return (*status, body.clone(), etag.clone());
        }
        return error(rng.pick(&st.key_misuse));
    }
    let matches = if_match.is_none_or(|m| m == "*" || m == sim.etag());
    let (status, body, etag, record) = if sim.done() {
        let s = if matches {
            rng.pick(&st.cancel_terminal)
        } else {
            rng.pick(&st.stale_terminal)
        };
        let (s, b, e) = error(s);
        (s, b, e, st.cancel_terminal.contains(&s))
    } else if !matches {
        let (s, b, e) = error(rng.pick(&st.stale_running));
        (s, b, e, false)
    } else if sim.phase == Phase::Running {
        sim.phase = Phase::Cancelling;
        sim.cancels += 1;
        sim.revision += 1;
        let set = if if_match.is_some() {
            &st.if_match_current
        } else {
            &st.cancel_running
        };
        (rng.pick(set), sim.body(), Some(sim.etag()), true)
    } else {
        let s = rng.pick(&st.cancel_again);
        if (200..300).contains(&s) {
            (s, sim.body(), Some(sim.etag()), true)
        } else {
            let (s, b, e) = error(s);
            (s, b, e, true)
        }
    };
    if let (Some(k), true) = (key, record) {
        sim.keys.insert(
            k.to_string(),
            (
                if_match.map(str::to_string),
                status,
                body.clone(),
                etag.clone(),
            ),
        );
    }
    (status, body, etag)
}
