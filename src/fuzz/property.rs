//! The properties checked on every response, and the check itself: no 5xx,
//! no hang, status in the oracle's set (with valid-never-rejected and
//! invalid-never-accepted called out), 2xx bodies satisfy the schema and
//! every body invariant, error bodies match an error envelope; and, over
//! time, every operation's history keeps the lifecycle rules
//! (`super::sightings`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::case::BodyKind;
use crate::contract::{Endpoint, Mode, Schemas};
use crate::judge;
use crate::model::Exchange;

use super::executor::Observed;
use super::oracle::{Expectation, InputClass};

/// A property the fuzzer checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Property {
    /// No response is a 5xx.
    #[serde(rename = "no_5xx")]
    No5xx,
    /// Every response arrives before its deadline.
    NoHang,
    /// The status is in the contract's set for the input.
    StatusInContractSet,
    /// In-bounds input is never rejected as invalid (400/422).
    ValidNeverRejected,
    /// Out-of-bounds input is never accepted (2xx).
    InvalidNeverAccepted,
    /// 2xx bodies satisfy the schema and every body invariant.
    BodyContract,
    /// Error bodies match an error envelope.
    ErrorEnvelope,
    /// Sequences behave as the contract model predicts.
    StatefulModel,
    /// Every operation's history (the bodies read of it, in the order
    /// received) keeps the lifecycle rules of `crate::history`.
    History,
}

impl Property {
    /// Every property, in report order.
    pub const ALL: [Property; 9] = [
        Property::No5xx,
        Property::NoHang,
        Property::StatusInContractSet,
        Property::ValidNeverRejected,
        Property::InvalidNeverAccepted,
        Property::BodyContract,
        Property::ErrorEnvelope,
        Property::StatefulModel,
        Property::History,
    ];

    /// Snake-case name, used in trial names (`fuzz::no_5xx`).
    pub fn name(self) -> &'static str {
        match self {
            Property::No5xx => "no_5xx",
            Property::NoHang => "no_hang",
            Property::StatusInContractSet => "status_in_contract_set",
            Property::ValidNeverRejected => "valid_never_rejected",
            Property::InvalidNeverAccepted => "invalid_never_accepted",
            Property::BodyContract => "body_contract",
            Property::ErrorEnvelope => "error_envelope",
            Property::StatefulModel => "stateful_model",
            Property::History => "history",
        }
    }

    /// One line: what must hold.
    pub fn title(self) -> &'static str {
        match self {
            Property::No5xx => "no generated request gets a 5xx",
            Property::NoHang => "every response arrives before its deadline",
            Property::StatusInContractSet => "every status is in the contract's set for its input",
            Property::ValidNeverRejected => "in-bounds input is never rejected with 400/422",
            Property::InvalidNeverAccepted => "out-of-bounds input is never accepted with a 2xx",
            Property::BodyContract => "2xx bodies satisfy the schema and every body invariant",
            Property::ErrorEnvelope => "error bodies match a documented error envelope",
            Property::StatefulModel => "call sequences behave as the contract model predicts",
            Property::History => "every operation's history keeps the lifecycle rules",
        }
    }
}

/// One broken property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Which property.
    pub property: Property,
    /// The invariant ID the failure is attributed to.
    pub invariant: String,
    /// What the contract asks for.
    pub expected: String,
    /// What the target did.
    pub actual: String,
}

/// Status and transport checks for one response.
pub fn judge_status(exp: &Expectation, seen: &Observed, mode: Mode) -> Vec<Violation> {
    let Some(status) = seen.status else {
        let error = seen.error.clone().unwrap_or_else(|| "no response".into());
        let actual = if seen.timed_out {
            format!("hung: {error}")
        } else {
            error
        };
        return vec![Violation {
            property: Property::NoHang,
            invariant: exp.invariant.to_string(),
            expected: format!("a complete response ({})", judge::set_text(&exp.accepted)),
            actual,
        }];
    };
    let finding = judge::status(exp.invariant, &exp.accepted, status, mode);
    if !finding.failed() {
        return Vec::new();
    }
    let property = if status >= 500 {
        Property::No5xx
    } else if exp.class == InputClass::Valid && matches!(status, 400 | 422) {
        Property::ValidNeverRejected
    } else if exp.class == InputClass::Invalid && (200..300).contains(&status) {
        Property::InvalidNeverAccepted
    } else {
        Property::StatusInContractSet
    };
    vec![Violation {
        property,
        invariant: finding.invariant.into_owned(),
        expected: finding.expected.into_owned(),
        actual: finding.actual.into_owned(),
    }]
}

/// Every other rule the judge applies to one response (its body against
/// the schema and body invariants of its kind, and the rules over any
/// response), as violations: the runner's checks, through the same judge.
pub fn judge_body(
    schemas: &Schemas,
    mode: Mode,
    endpoint: Endpoint,
    seen: &Observed,
    exchange: &Exchange,
) -> Vec<Violation> {
    let Some(status) = seen.status else {
        return Vec::new();
    };
    let kind = judge::inferred_kind(endpoint, status);
    let property = match kind {
        Some(BodyKind::Error) => Property::ErrorEnvelope,
        _ => Property::BodyContract,
    };
    let parsed;
    let parse_error;
    let body = match &seen.error {
        // A body cut short (over --max-body, or broken off) is judged by
        // why, as the runner does, not by the JSON error of the part read.
        Some(error) => judge::Body::Incomplete(error),
        None if kind.is_none() => judge::Body::NotJson(""),
        None => match serde_json::from_slice::<Value>(&seen.body) {
            Ok(v) => {
                parsed = v;
                judge::Body::Json(&parsed)
            }
            Err(e) => {
                parse_error = e.to_string();
                judge::Body::NotJson(&parse_error)
            }
        },
    };
    judge::response(schemas, mode, endpoint, kind, body, exchange)
        .into_iter()
        .filter(judge::Finding::failed)
        .map(|f| Violation {
            property,
            invariant: f.invariant.into_owned(),
            expected: f.expected.into_owned(),
            actual: f.actual.into_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn exp(accepted: &[u16], class: InputClass) -> Expectation {
        Expectation {
            accepted: accepted.to_vec(),
            strict: accepted.to_vec(),
            lenient_extra: vec![],
            invariant: "CANCEL-NOT-FOUND",
            class,
        }
    }

    fn seen(status: Option<u16>, body: &str) -> Observed {
        Observed {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
            error: status.is_none().then(|| "timed out".to_string()),
            timed_out: status.is_none(),
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn statuses_map_to_properties() {
        let p = |s, class| {
            judge_status(&exp(&[404], class), &seen(s, ""), Mode::Lenient)
                .first()
                .map(|v| v.property)
        };
        assert_eq!(p(Some(404), InputClass::Valid), None);
        assert_eq!(p(Some(500), InputClass::Valid), Some(Property::No5xx));
        assert_eq!(
            p(Some(400), InputClass::Valid),
            Some(Property::ValidNeverRejected)
        );
        assert_eq!(
            p(Some(202), InputClass::Invalid),
            Some(Property::InvalidNeverAccepted)
        );
        assert_eq!(
            p(Some(409), InputClass::Valid),
            Some(Property::StatusInContractSet)
        );
        assert_eq!(p(None, InputClass::Valid), Some(Property::NoHang));
    }

    #[test]
    fn error_bodies_must_be_an_envelope() {
        let schemas = Schemas::bundled().expect("schemas");
        let ex = crate::model::samples::unanswered("GET", "http://h/v1/operations/x");
        let good = seen(
            Some(404),
            r#"{"success":false,"errors":[{"code":7002,"message":"no"}],"result":{}}"#,
        );
        assert!(judge_body(&schemas, Mode::Lenient, Endpoint::Get, &good, &ex).is_empty());
        let bad = seen(Some(404), "<html>");
        let v = judge_body(&schemas, Mode::Lenient, Endpoint::Get, &bad, &ex);
        assert_eq!(v[0].property, Property::ErrorEnvelope);
        let bad = seen(Some(200), r#"{"state":"RUNNING"}"#);
        let v = judge_body(&schemas, Mode::Lenient, Endpoint::Get, &bad, &ex);
        assert!(
            v.iter().any(
                |v| v.property == Property::BodyContract && v.invariant == "OP-SCHEMA-REQUIRED"
            )
        );
    }
}
