//! `status`: the statuses a response may have; and `invariant`: the
//! invariant the step's other checks evidence.

use serde::{Deserialize, Serialize};

use crate::contract::{self, Mode, StatusSets};
use crate::judge;
use crate::model::{CheckKind, CheckResult};

use super::super::issue::Issue;
use super::super::semantic::Rules;
use super::super::{Expect, Step};
use super::kind::{ExpectKind, PlanLines, ResponseCx, check, record};

/// Accepted statuses: an invariant ID (its catalogue sets, lenient or strict
/// by mode), a list, or both sets spelled out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StatusExpect {
    /// `status = "CANCEL-TERMINAL-422"`.
    Invariant(String),
    /// `status = [200, 202]` (same in both modes).
    List(Vec<u16>),
    /// `status = { strict = [202], lenient = [200] }` (`lenient` adds to
    /// `strict`).
    Sets {
        /// Accepted in both modes.
        strict: Vec<u16>,
        /// Also accepted in lenient mode.
        #[serde(default)]
        lenient: Vec<u16>,
    },
}

/// The statuses `expect` accepts in `mode`; `lookup` gives an invariant's
/// catalogue sets.
pub fn accepted_statuses(
    expect: &StatusExpect,
    mode: Mode,
    lookup: impl Fn(&str) -> Option<StatusSets>,
) -> Result<Vec<u16>, String> {
    match expect {
        StatusExpect::Invariant(id) => lookup(id)
            .map(|sets| sets.accepted(mode))
            .ok_or_else(|| format!("the catalogue gives no status sets for {id}")),
        StatusExpect::List(list) => {
            let mut v = list.clone();
            v.sort_unstable();
            v.dedup();
            Ok(v)
        }
        StatusExpect::Sets { strict, lenient } => {
            let mut v = strict.clone();
            if mode == Mode::Lenient {
                v.extend_from_slice(lenient);
            }
            v.sort_unstable();
            v.dedup();
            Ok(v)
        }
    }
}

/// Catalogue lookup for [`accepted_statuses`].
fn catalogue_statuses(id: &str) -> Option<StatusSets> {
    contract::find(id).and_then(|inv| inv.statuses)
}

fn describe_status(s: &StatusExpect, mode: Mode) -> String {
    match accepted_statuses(s, mode, catalogue_statuses) {
        Ok(v) => format!("status in {v:?} ({})", judge::mode_name(mode)),
        Err(e) => e,
    }
}

/// The `status` and `invariant` keys.
pub(crate) struct Kind;

impl ExpectKind for Kind {
    fn keys(&self) -> &'static [&'static str] {
        &["status", "invariant"]
    }

    fn example(&self) -> &'static str {
        r#"status = { strict = [202], lenient = [200] }, invariant = "CANCEL-KEY-CONCURRENT""#
    }

    fn validate(&self, step: &Step, rules: &mut Rules<'_, '_>) {
        let expect = &step.expect;
        if let Some(StatusExpect::Invariant(id)) = &expect.status {
            let at = rules.at("status");
            if let Some(inv) = rules.invariant(&at, id)
                && inv.statuses.is_none()
            {
                rules.push(
                    Issue::value(at, format!("invariant {id} has no status sets in the catalogue"))
                        .help("name a status invariant, or spell the codes out: `[200]` or `{ strict = [202], lenient = [200] }`"),
                );
            }
        }
        if let Some(id) = &expect.invariant {
            let at = rules.at("invariant");
            rules.invariant(&at, id);
        }
    }

    fn plan(&self, expect: &Expect, _base: &str, out: &mut PlanLines) {
        if let Some(status) = &expect.status {
            out.summary.push(match status {
                StatusExpect::Invariant(id) => format!("status {id}"),
                StatusExpect::List(list) => format!("status {}", judge::set_text(list)),
                StatusExpect::Sets { strict, lenient } if lenient.is_empty() => {
                    format!("status {}", judge::set_text(strict))
                }
                StatusExpect::Sets { strict, lenient } => format!(
                    "status {} (lenient also {})",
                    judge::set_text(strict),
                    judge::set_text(lenient)
                ),
            });
        }
        if let Some(id) = &expect.invariant {
            out.summary.push(format!("invariant {id}"));
        }
    }

    fn respond(&self, expect: &Expect, cx: &ResponseCx<'_>, out: &mut Vec<CheckResult>) {
        let mode = cx.mode;
        let status_inv = match &expect.status {
            Some(StatusExpect::Invariant(id)) => id.as_str(),
            _ => cx.invariant,
        };
        // A lost request fails here, once: no other kind has an answer to
        // check.
        let Some(answer) = &cx.answer else {
            let expected = match &expect.status {
                Some(s) => describe_status(s, mode),
                None => "a response".to_string(),
            };
            out.push(check(
                status_inv,
                false,
                expected,
                format!(
                    "no response: {}",
                    cx.exchange.error.clone().unwrap_or_default()
                ),
                Some(cx.index),
                mode,
            ));
            return;
        };
        let Some(s) = &expect.status else { return };
        match accepted_statuses(s, mode, catalogue_statuses) {
            Ok(accepted) => {
                let mut c = record(
                    judge::status(status_inv, &accepted, answer.status, mode),
                    Some(cx.index),
                );
                c.kind = CheckKind::Status;
                out.push(c);
            }
            Err(why) => out.push(check(
                status_inv,
                false,
                "a status set for this invariant",
                why,
                Some(cx.index),
                mode,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETS: StatusSets = StatusSets {
        strict: &[422],
        lenient_extra: &[400, 409],
    };

    #[test]
    fn invariant_sets_follow_the_mode() {
        let lookup = |id: &str| (id == "X").then_some(SETS);
        let e = StatusExpect::Invariant("X".into());
        assert_eq!(
            accepted_statuses(&e, Mode::Strict, lookup).unwrap(),
            vec![422]
        );
        assert_eq!(
            accepted_statuses(&e, Mode::Lenient, lookup).unwrap(),
            vec![400, 409, 422]
        );
        let missing = StatusExpect::Invariant("Y".into());
        assert!(accepted_statuses(&missing, Mode::Lenient, lookup).is_err());
    }

    #[test]
    fn explicit_sets_and_lists() {
        let e = StatusExpect::Sets {
            strict: vec![202],
            lenient: vec![200],
        };
        let none = |_: &str| None;
        assert_eq!(
            accepted_statuses(&e, Mode::Strict, none).unwrap(),
            vec![202]
        );
        assert_eq!(
            accepted_statuses(&e, Mode::Lenient, none).unwrap(),
            vec![200, 202]
        );
        let l = StatusExpect::List(vec![404, 403, 404]);
        assert_eq!(
            accepted_statuses(&l, Mode::Strict, none).unwrap(),
            vec![403, 404]
        );
    }
}
