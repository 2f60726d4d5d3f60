//! The shape of one invariant: data, plus a pure check function.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::Exchange;
pub use crate::vocab::{Endpoint, Mode};

/// How a requirement is worded in its source (RFC 2119 / AIP style).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// A failure fails the run.
    Must,
    /// A failure fails the run unless `--fail-on must` makes it a warning.
    Should,
}

/// Where an invariant comes from, as labelled in the contract digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Stated by akua's docs or published OpenAPI document.
    Documented,
    /// Stated by a standard the docs lean on (RFC, AIP, IETF draft).
    Standard,
    /// A reading of the docs that no source states outright.
    Inferred,
}

/// Accepted status codes for a status invariant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusSets {
    /// akua's documented status (or its convention where the docs are silent).
    pub strict: &'static [u16],
    /// What the lenient reading accepts on top of `strict`.
    pub lenient_extra: &'static [u16],
}

impl StatusSets {
    /// True when `status` is accepted in `mode`.
    pub fn accepts(&self, status: u16, mode: Mode) -> bool {
        self.strict.contains(&status)
            || (mode == Mode::Lenient && self.lenient_extra.contains(&status))
    }

    /// Every accepted status in `mode`, sorted.
    pub fn accepted(&self, mode: Mode) -> Vec<u16> {
        let mut all: Vec<u16> = self.strict.to_vec();
        if mode == Mode::Lenient {
            all.extend_from_slice(self.lenient_extra);
        }
        all.sort_unstable();
        all.dedup();
        all
    }
}

/// The result of checking one invariant against one observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The invariant held.
    Pass,
    /// The invariant was broken; the text says what was seen, e.g.
    /// `done is false but state is "CANCELLED"`.
    Fail(String),
    /// The observation says nothing about this invariant.
    NotApplicable,
}

/// What a body check sees.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    /// The parsed JSON body being checked (an Operation, a list, an error).
    pub body: &'a Value,
    /// The exchange the body came from, when there is one.
    pub exchange: Option<&'a Exchange>,
    /// Which endpoint answered.
    pub endpoint: Endpoint,
    /// Lenient or strict.
    pub mode: Mode,
}

/// How an invariant is checked.
#[derive(Clone, Copy)]
pub enum Check {
    /// A rule over one Operation body; the runner applies it to every
    /// Operation it sees (get, wait, cancel, and each list item).
    Operation(fn(&Observation<'_>) -> Outcome),
    /// A rule over one `OperationList` body.
    List(fn(&Observation<'_>) -> Outcome),
    /// A rule over one error (4xx) body.
    Error(fn(&Observation<'_>) -> Outcome),
    /// A rule over the status and headers of any response, whatever its
    /// body (e.g. a 405 names the allowed methods).
    Response(fn(&crate::model::RecordedResponse) -> Outcome),
    /// A rule over one operation's history: every representation of it the
    /// run saw, in the order received (`crate::history`).
    History,
    /// Evidenced by case expectations only (status sets, `unchanged`,
    /// `eventually`, replay equality ...). The runner attributes those checks
    /// to this invariant.
    Case,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Check::Operation(_) => "Operation",
            Check::List(_) => "List",
            Check::Error(_) => "Error",
            Check::Response(_) => "Response",
            Check::History => "History",
            Check::Case => "Case",
        })
    }
}

/// One entry of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Invariant {
    /// Stable ID that people grep reports for, e.g. `OP-DONE-TERMINAL`.
    pub id: &'static str,
    /// One line: what must hold.
    pub title: &'static str,
    /// Where it comes from: a doc URL, or an RFC/AIP section.
    pub clause: &'static str,
    /// MUST or SHOULD.
    pub level: Level,
    /// Documented, standard or inferred.
    pub basis: Basis,
    /// For status invariants: the strict and lenient accepted statuses.
    pub statuses: Option<StatusSets>,
    /// True for akua conventions that only `--strict` checks; in lenient mode
    /// its checks are recorded as skipped.
    pub strict_only: bool,
    /// How it is checked.
    pub check: Check,
}
