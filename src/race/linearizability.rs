//! The linearizability checker: is there an order of a history's calls,
//! respecting real time (a call that returned before another was invoked
//! comes first), in which every call is legal for the sequential
//! [`model`](super::model)?
//!
//! The search is Wing & Gong's (1993), with Lowe's improvement (2017) as in
//! Porcupine and Knossos: call and return events sorted by time in a linked
//! list; the first call event whose call can be applied to the current set
//! of model states is linearized and lifted out of the list, and the search
//! backtracks when it meets a return event (that call cannot be put off any
//! longer). Every (linearized set, model states) configuration reached is
//! memoised, and a configuration met again is not explored twice. A call
//! whose response was lost never returns: it may take effect at any instant
//! after its invocation, or never.
//!
//! A history with no legal order is shrunk to a minimal part of it. Calls
//! are forgotten one at a time (any time, any outcome, or no effect at all)
//! as long as the rest still has no legal order: every call of the core
//! left is needed (forgetting any one of them makes the rest linearizable).
//! Forgetting only relaxes, but dropping a cancel outright could leave a
//! read unexplained (a violation made by the shrinking), so a forgotten
//! cancel stays in the part as context when the core without one of its
//! calls has a legal order only with that cancel. The part has no legal
//! order by itself.

use std::collections::HashSet;

use super::history::History;
use super::model::{Compiled, MState, ModelError, Overlap, Spec};

/// A limit on the search, so a pathological history cannot hang a run.
pub const DEFAULT_BUDGET: u64 = 2_000_000;

/// Most states the search follows at once. A step costs in proportion to
/// them, so more (calls forgotten while shrinking, which may have taken
/// effect anywhere) ends the search unproven rather than slow.
const MAX_STATES: usize = 256;

/// The checker's verdict on one history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A legal order exists; one of them (indices into the history).
    Linearizable {
        /// The calls in a legal order.
        order: Vec<usize>,
    },
    /// No legal order exists.
    NotLinearizable(Witness),
    /// The search budget ran out first (neither proven).
    Inconclusive {
        /// Search steps taken.
        steps: u64,
    },
}

impl Verdict {
    /// True unless proven not linearizable.
    pub fn is_ok(&self) -> bool {
        !matches!(self, Verdict::NotLinearizable(_))
    }
}

/// A minimal non-linearizable part of a history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    /// The calls of the part (indices into the history), in history order.
    pub calls: Vec<usize>,
    /// The longest legal order the search found among them.
    pub longest_prefix: Vec<usize>,
    /// The calls of the part no order can fit after that prefix.
    pub stuck: Vec<usize>,
}

impl Witness {
    /// One sentence for a report.
    pub fn explain(&self) -> String {
        let list = |v: &[usize]| {
            v.iter()
                .map(|i| format!("#{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if self.longest_prefix.is_empty() {
            format!("no call of {} can take effect first", list(&self.calls))
        } else {
            format!(
                "calls {} have no legal order: the longest legal one is {}, and none of {} can come next",
                list(&self.calls),
                list(&self.longest_prefix),
                list(&self.stuck)
            )
        }
    }
}

/// Checks `history` against `spec` within `budget` search steps.
pub fn check(spec: &Spec, history: &History, budget: u64) -> Result<Verdict, ModelError> {
    let compiled = spec.compile(history)?;
    let windows: Vec<(u64, u64)> = history
        .calls
        .iter()
        .map(|c| (c.invoked_ns, c.returned_ns.unwrap_or(u64::MAX)))
        .collect();
    let observed = vec![Role::Observed; compiled.len()];
    match search(&compiled, &windows, &observed, budget) {
        Search::Found(order) => Ok(Verdict::Linearizable { order }),
        Search::OutOfBudget(steps) => Ok(Verdict::Inconclusive { steps }),
        Search::Impossible(_) => Ok(Verdict::NotLinearizable(shrink(
            &compiled, &windows, budget,
        ))),
    }
}

/// What one search found.
#[derive(Debug)]
enum Search {
    Found(Vec<usize>),
    /// No order; the longest legal prefix seen.
    Impossible(Vec<usize>),
    OutOfBudget(u64),
}

/// How the search treats a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// As recorded.
    Observed,
    /// Any time, unknown outcome (or no effect).
    Forgotten,
    /// Not in the history.
    Absent,
}

/// The core (calls forgotten one at a time while the rest stays
/// impossible), with the forgotten cancels it needs as context.
///
/// Shrinking is bounded, so a hostile history cannot make it slow: its
/// searches take at most 1/16 of `budget` in all (each at most 1/64 of
/// it), and at most `4n + 16` of them run. (A forgotten call may take
/// effect anywhere, so the state sets of these searches grow fast.) A search that is not proven impossible keeps its call, so the
/// witness stays a non-linearizable part, only perhaps not the smallest.
fn shrink(compiled: &Compiled, windows: &[(u64, u64)], budget: u64) -> Witness {
    let n = compiled.len();
    let searches_left = std::cell::Cell::new(4 * n + 16);
    let each = (budget / 64).max(1);
    let total = (budget / 16).max(1);
    let spent = std::cell::Cell::new(0u64);
    let impossible = |roles: &[Role]| {
        if searches_left.get() == 0 || spent.get() >= total {
            return false;
        }
        searches_left.set(searches_left.get() - 1);
        let this = each.min(total - spent.get());
        matches!(
            search_spending(compiled, windows, roles, this, &spent),
            Search::Impossible(_)
        )
    };
    let mut roles = vec![Role::Observed; n];
    // Reads first, and dropped outright: a read changes nothing, so a part
    // without it that has no legal order shows the whole has none (and the
    // searches get smaller). Then cancels, forgotten (their effect may be
    // what a later body shows); latest first.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| (!compiled.is_read(i), std::cmp::Reverse(windows[i].0)));
    for i in order {
        let dropped = if compiled.is_read(i) {
            Role::Absent
        } else {
            Role::Forgotten
        };
        roles[i] = dropped;
        if !impossible(&roles) {
            roles[i] = Role::Observed;
        }
    }
    let core: Vec<usize> = (0..n).filter(|i| roles[*i] == Role::Observed).collect();
    // A forgotten cancel is context when the core without one of its calls
    // has no legal order without it, but has one with it: it explains
    // what the rest of the core shows, so dropping it would leave a
    // violation the shrinking made.
    let mut calls = core.clone();
    for f in (0..n).filter(|i| roles[*i] == Role::Forgotten && !compiled.is_read(*i)) {
        let needed = core.iter().any(|&c| {
            let mut without = roles.clone();
            without[c] = Role::Absent;
            let with_f = impossible(&without);
            without[f] = Role::Absent;
            !with_f && impossible(&without)
        });
        if needed {
            calls.push(f);
        }
    }
    calls.sort_unstable();
    let only: Vec<Role> = (0..n)
        .map(|i| {
            if calls.contains(&i) {
                Role::Observed
            } else {
                Role::Absent
            }
        })
        .collect();
    let longest_prefix = match search(compiled, windows, &only, each) {
        Search::Impossible(prefix) => prefix,
        _ => Vec::new(),
    };
    let stuck = calls
        .iter()
        .copied()
        .filter(|i| !longest_prefix.contains(i))
        .collect();
    Witness {
        calls,
        longest_prefix,
        stuck,
    }
}

/// A set of call indices.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn clear(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }
}

const NIL: usize = usize::MAX;

/// One event of the list: a call's invocation or its return.
#[derive(Debug, Clone, Copy)]
struct Event {
    call: usize,
    is_return: bool,
}

/// The Wing–Gong search with Lowe's memoisation over the calls' windows
/// each call in its role.
fn search(compiled: &Compiled, windows: &[(u64, u64)], roles: &[Role], budget: u64) -> Search {
    let spent = std::cell::Cell::new(0);
    search_spending(compiled, windows, roles, budget, &spent)
}

/// [`search`], adding the steps it took to `spent`.
fn search_spending(
    compiled: &Compiled,
    windows: &[(u64, u64)],
    roles: &[Role],
    budget: u64,
    spent: &std::cell::Cell<u64>,
) -> Search {
    let mut steps = 0u64;
    let found = search_inner(compiled, windows, roles, budget, &mut steps);
    spent.set(spent.get().saturating_add(steps));
    found
}

fn search_inner(
    compiled: &Compiled,
    windows: &[(u64, u64)],
    roles: &[Role],
    budget: u64,
    steps: &mut u64,
) -> Search {
    let n = compiled.len();
    let window = |i: usize| {
        if roles[i] == Role::Forgotten {
            (0, u64::MAX)
        } else {
            windows[i]
        }
    };
    let present = |i: usize| roles[i] != Role::Absent;
    // Another call with the same key overlaps it: the in-flight conflict is
    // a legal answer.
    let concurrent: Vec<Overlap> = (0..n)
        .map(|i| {
            let Some(k) = compiled.key_of(i) else {
                return Overlap::NONE;
            };
            let (a0, a1) = window(i);
            let mut o = Overlap::NONE;
            for j in 0..n {
                let (b0, b1) = window(j);
                if j != i && present(j) && compiled.key_of(j) == Some(k) && a0 <= b1 && b0 <= a1 {
                    o.same_key = true;
                    o.other_request |= compiled.request_of(j) != compiled.request_of(i);
                }
            }
            o
        })
        .collect();
    // Events sorted by time; at equal times invocations first (the calls
    // then overlap: the more permissive reading).
    let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * n);
    for i in (0..n).filter(|i| present(*i)) {
        let (inv, ret) = window(i);
        events.push((inv, false, i));
        events.push((ret.max(inv), true, i));
    }
    events.sort_unstable();
    let events: Vec<Event> = events
        .into_iter()
        .map(|(_, is_return, call)| Event { call, is_return })
        .collect();
    let m = events.len();
    let head = m; // sentinel
    let mut next = vec![NIL; m + 1];
    let mut prev = vec![NIL; m + 1];
    // The chain head → 0 → 1 → … → m-1 → NIL.
    if m > 0 {
        next[head] = 0;
        prev[0] = head;
        for e in 1..m {
            next[e - 1] = e;
            prev[e] = e - 1;
        }
    }
    let mut ret_of = vec![NIL; n];
    for (e, ev) in events.iter().enumerate() {
        if ev.is_return {
            ret_of[ev.call] = e;
        }
    }
    let unlink = |e: usize, next: &mut Vec<usize>, prev: &mut Vec<usize>| {
        let (p, q) = (prev[e], next[e]);
        next[p] = q;
        if q != NIL {
            prev[q] = p;
        }
    };
    let relink = |e: usize, next: &mut Vec<usize>, prev: &mut Vec<usize>| {
        let (p, q) = (prev[e], next[e]);
        next[p] = e;
        if q != NIL {
            prev[q] = e;
        }
    };

    let mut states: Vec<MState> = vec![compiled.initial()];
    let mut linearized = Bits::new(n);
    let mut cache: HashSet<(Bits, Vec<MState>)> = HashSet::new();
    let mut stack: Vec<(usize, Vec<MState>)> = Vec::new();
    let mut best: Vec<usize> = Vec::new();
    let mut entry = next[head];
    while next[head] != NIL {
        *steps += 1;
        if *steps > budget {
            return Search::OutOfBudget(*steps);
        }
        if entry == NIL {
            // Only reachable if every remaining event were a call that
            // cannot go next; a return always comes later in the list.
            return Search::Impossible(best);
        }
        let ev = events[entry];
        if !ev.is_return {
            let forgotten = roles[ev.call] == Role::Forgotten;
            let after = compiled.step(&states, ev.call, forgotten, concurrent[ev.call]);
            if after.len() > MAX_STATES {
                // Too many possible states to follow: neither proven.
                return Search::OutOfBudget(*steps);
            }
            if !after.is_empty() {
                linearized.set(ev.call);
                if cache.insert((linearized.clone(), after.clone())) {
                    stack.push((entry, std::mem::replace(&mut states, after)));
                    unlink(entry, &mut next, &mut prev);
                    unlink(ret_of[ev.call], &mut next, &mut prev);
                    if stack.len() > best.len() {
                        best = stack.iter().map(|(e, _)| events[*e].call).collect();
                    }
                    entry = next[head];
                    continue;
                }
                linearized.clear(ev.call);
            }
            entry = next[entry];
        } else {
            // The call of this return is still pending: back up.
            let Some((e, before)) = stack.pop() else {
                return Search::Impossible(best);
            };
            let call = events[e].call;
            linearized.clear(call);
            states = before;
            relink(ret_of[call], &mut next, &mut prev);
            relink(e, &mut next, &mut prev);
            entry = next[e];
        }
    }
    Search::Found(stack.iter().map(|(e, _)| events[*e].call).collect())
}

#[cfg(test)]
mod tests;
