//! One judge: how one exchange is judged, whoever sent it.
//!
//! The runner (a case step), the fuzzer (a generated request) and anything
//! that replays recorded traffic judge a response here and nowhere else:
//! the same status sets for each mode, the same strict-only rule, the same
//! body and response checks. Drivers differ only in where the accepted
//! statuses come from (a case's `expect.status`, the fuzzer's oracle) and
//! in how they report a [`Finding`] (a check of a case, a fuzz violation).
//!
//! Two rules are decided here once:
//! - **Strict-only invariants** are recorded as skipped in a lenient run,
//!   except for status expectations: those are judged with the set the mode
//!   accepts (lenient sets already hold what a fair reading allows), so a
//!   5xx is never excused by the invariant it is attributed to.
//! - **A body that cannot be judged** (cut short, not JSON) where the
//!   contract promises JSON is a failure of the schema invariant of that
//!   kind (an error envelope, an Operation, a list), never silently passed.

pub mod route;

use std::borrow::Cow;

use serde_json::Value;

use crate::contract::id;
use crate::contract::{self, Check, Endpoint, Invariant, Mode, Observation, Outcome, Schemas};
use crate::model::{Exchange, RecordedResponse, Verdict};
use crate::vocab::BodyKind;

/// One judged rule for one response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The invariant the rule belongs to.
    pub invariant: Cow<'static, str>,
    /// Pass, fail, or skip (strict-only in a lenient run).
    pub verdict: Verdict,
    /// What the contract asks for.
    pub expected: Cow<'static, str>,
    /// What the target did.
    pub actual: Cow<'static, str>,
}

impl Finding {
    /// True when the rule was broken.
    pub fn failed(&self) -> bool {
        self.verdict == Verdict::Fail
    }
}

/// The verdict of a non-status rule of `invariant`: strict-only invariants
/// are skipped in a lenient run.
pub fn verdict(invariant: &str, passed: bool, mode: Mode) -> Verdict {
    let strict_only = contract::find(invariant).is_some_and(|inv| inv.strict_only);
    if strict_only && mode == Mode::Lenient {
        Verdict::Skip
    } else if passed {
        Verdict::Pass
    } else {
        Verdict::Fail
    }
}

/// A finding of a non-status rule (see [`verdict`]); a skipped one says so
/// in `actual`.
pub fn finding(
    invariant: impl Into<Cow<'static, str>>,
    passed: bool,
    expected: impl Into<Cow<'static, str>>,
    actual: impl Into<Cow<'static, str>>,
    mode: Mode,
) -> Finding {
    let invariant = invariant.into();
    let verdict = verdict(&invariant, passed, mode);
    let mut actual = actual.into();
    if verdict == Verdict::Skip {
        actual = format!("{actual} (strict-only invariant; not checked in lenient mode)").into();
    }
    Finding {
        invariant,
        verdict,
        expected: expected.into(),
        actual,
    }
}

/// The name of a mode in messages.
pub fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Lenient => "lenient",
        Mode::Strict => "strict",
    }
}

/// A status expectation: `status` must be one of `accepted` (the set the
/// run's mode accepts, from the catalogue or a case). Never skipped: the
/// sets already encode the mode.
pub fn status(invariant: &str, accepted: &[u16], status: u16, mode: Mode) -> Finding {
    Finding {
        invariant: invariant.to_string().into(),
        verdict: if accepted.contains(&status) {
            Verdict::Pass
        } else {
            Verdict::Fail
        },
        expected: format!("status in {} ({})", set_text(accepted), mode_name(mode)).into(),
        actual: format!("status {status}").into(),
    }
}

/// `[200, 202]`.
pub fn set_text(set: &[u16]) -> String {
    let list: Vec<String> = set.iter().map(u16::to_string).collect();
    format!("[{}]", list.join(", "))
}

/// The schema kind a response body is judged against when nothing more
/// specific is known: from the endpoint and the status class.
///
/// Every 4xx is an error envelope, whatever it answered (ERR-ENVELOPE);
/// 5xx bodies are not covered by the contract.
pub fn inferred_kind(endpoint: Endpoint, status: u16) -> Option<BodyKind> {
    match (endpoint, status) {
        (_, 400..=499) => Some(BodyKind::Error),
        (Endpoint::Other, _) => None,
        (Endpoint::List, 200..=299) => Some(BodyKind::OperationList),
        (_, 200..=299) => Some(BodyKind::Operation),
        _ => None,
    }
}

/// True when a response with `status` can carry a body of `kind`: an
/// Operation or a list on 2xx, an error envelope on 4xx (the contract says
/// nothing of 5xx bodies).
pub fn kind_fits(kind: BodyKind, status: u16) -> bool {
    match kind {
        BodyKind::Operation | BodyKind::OperationList => (200..300).contains(&status),
        BodyKind::Error => (400..500).contains(&status),
    }
}

/// The invariant schema violations of `kind` are attributed to.
pub fn schema_invariant(kind: BodyKind) -> &'static str {
    match kind {
        BodyKind::Operation => id::OP_SCHEMA_REQUIRED,
        BodyKind::OperationList => id::LIST_SHAPE,
        BodyKind::Error => id::ERR_ENVELOPE,
    }
}

fn schema_name(kind: BodyKind) -> &'static str {
    match kind {
        BodyKind::Operation => "Operation",
        BodyKind::OperationList => "OperationList",
        BodyKind::Error => "an error envelope",
    }
}

/// A response body as a driver read it.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    /// Complete and parsed.
    Json(&'a Value),
    /// Complete, but not JSON (the parser's message).
    NotJson(&'a str),
    /// Not read to the end (over the body cap, broken off): why.
    Incomplete(&'a str),
}

/// Every rule of the catalogue that one response shows, except its status
/// expectation: the rules over any response (e.g. a 405 names its
/// methods), then, when `kind` is given, the body against that schema and
/// every body invariant of that kind. Passed rules are included; the
/// caller keeps what it reports.
pub fn response(
    schemas: &Schemas,
    mode: Mode,
    endpoint: Endpoint,
    kind: Option<BodyKind>,
    body: Body<'_>,
    exchange: &Exchange,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(resp) = &exchange.response {
        out.extend(response_rules(resp, mode));
    }
    if let Some(kind) = kind {
        out.extend(body_rules(schemas, mode, endpoint, kind, body, exchange));
    }
    out
}

/// The `Check::Response` rules for one response, whatever its body.
pub fn response_rules(resp: &RecordedResponse, mode: Mode) -> Vec<Finding> {
    contract::catalogue()
        .iter()
        .filter_map(|inv| match inv.check {
            Check::Response(f) => Some((inv, f(resp))),
            _ => None,
        })
        .filter_map(|(inv, outcome)| outcome_finding(inv, outcome, "", mode))
        .collect()
}

/// The schema of `kind` and every body invariant of that kind for one body.
pub fn body_rules(
    schemas: &Schemas,
    mode: Mode,
    endpoint: Endpoint,
    kind: BodyKind,
    body: Body<'_>,
    exchange: &Exchange,
) -> Vec<Finding> {
    let schema_id = schema_invariant(kind);
    let value = match body {
        Body::Json(v) => v,
        Body::NotJson(why) => {
            return vec![finding(
                schema_id,
                false,
                format!("a JSON body matching {}", schema_name(kind)),
                format!("body is not JSON: {why}"),
                mode,
            )];
        }
        Body::Incomplete(why) => {
            return vec![finding(
                schema_id,
                false,
                format!("a complete body matching {}", schema_name(kind)),
                why.to_string(),
                mode,
            )];
        }
    };
    let mut out = Vec::new();
    let violations = schemas.validate(kind, value);
    let actual = if violations.is_empty() {
        "valid".to_string()
    } else {
        violations
            .iter()
            .take(5)
            .map(|v| format!("{}: {}", v.pointer, v.message))
            .collect::<Vec<_>>()
            .join("; ")
    };
    out.push(finding(
        schema_id,
        violations.is_empty(),
        format!("body matches {}", schema_name(kind)),
        actual,
        mode,
    ));
    let obs = |body| Observation {
        body,
        exchange: Some(exchange),
        endpoint,
        mode,
    };
    let mut push = |pairs: Vec<(&'static Invariant, Outcome)>, prefix: &str| {
        out.extend(
            pairs
                .into_iter()
                .filter_map(|(inv, outcome)| outcome_finding(inv, outcome, prefix, mode)),
        );
    };
    match kind {
        BodyKind::Operation => push(contract::check_operation(&obs(value)), ""),
        BodyKind::OperationList => {
            push(contract::check_list(&obs(value)), "");
            if let Some(items) = value.get("data").and_then(Value::as_array) {
                for (i, item) in items.iter().enumerate() {
                    push(
                        contract::check_operation(&obs(item)),
                        &format!("/data/{i}: "),
                    );
                }
            }
        }
        BodyKind::Error => push(contract::check_error(&obs(value)), ""),
    }
    if endpoint == Endpoint::Wait && kind == BodyKind::Operation {
        out.extend(wait_timing(exchange, value, mode));
    }
    out
}

/// Rounding of the server's second-granular clocks (`Date`,
/// `completed_at`) plus the time the answer took to arrive.
const SERVER_CLOCK_SLACK_SECS: i64 = 3;

/// WAIT-WAKES and WAIT-IMMEDIATE-IF-DONE on one `:wait` answer, judged on
/// the server's own clock: an answer that came at its timeout showing the
/// operation done, although the server's `Date` says the operation
/// completed seconds before, held on after the transition (or after a done
/// operation, if it was done before the wait began). Nothing is judged
/// without a `Date` header, a `completed_at`, or when the answer came
/// before its timeout.
fn wait_timing(exchange: &Exchange, body: &Value, mode: Mode) -> Option<Finding> {
    let resp = exchange.response.as_ref()?;
    if body.get("done") != Some(&Value::Bool(true)) {
        return None;
    }
    let completed = body.get("completed_at")?.as_i64()?;
    let date = httpdate::parse_http_date(resp.header("date")?).ok()?;
    let date = i64::try_from(date.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs()).ok()?;
    let timeout_secs: u64 = url::Url::parse(&exchange.request.url)
        .ok()
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "timeout")
                .and_then(|(_, v)| v.parse().ok())
        })
        .unwrap_or(30);
    // Answered before its timeout: it did not hold on.
    if exchange.elapsed_ms + 500 < timeout_secs * 1000 {
        return None;
    }
    let gap = date - completed;
    if gap < SERVER_CLOCK_SLACK_SECS {
        return None;
    }
    let began = date - i64::try_from(exchange.elapsed_ms.div_ceil(1000)).unwrap_or(0);
    let (invariant, what) = if completed >= began - 1 {
        (
            id::WAIT_WAKES,
            "after the operation completed during the wait",
        )
    } else {
        (
            id::WAIT_IMMEDIATE_IF_DONE,
            "on an operation that was done before the wait began",
        )
    };
    Some(finding(
        invariant,
        false,
        "a :wait answers as soon as the operation is done",
        format!(
            "it held its whole {timeout_secs} s timeout {what}: the server's Date is {gap} s after completed_at"
        ),
        mode,
    ))
}

fn outcome_finding(
    inv: &'static Invariant,
    outcome: Outcome,
    prefix: &str,
    mode: Mode,
) -> Option<Finding> {
    match outcome {
        Outcome::Pass => Some(finding(inv.id, true, inv.title, "held", mode)),
        Outcome::Fail(msg) => Some(finding(
            inv.id,
            false,
            inv.title,
            format!("{prefix}{msg}"),
            mode,
        )),
        Outcome::NotApplicable => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(status: u16, headers: &[(&str, &str)]) -> Exchange {
        let mut e =
            crate::model::samples::exchange("POST", "http://h/v1/operations/op_x", status, headers);
        e.elapsed_ms = 0;
        e
    }

    fn failed(findings: &[Finding]) -> Vec<&str> {
        findings
            .iter()
            .filter(|f| f.failed())
            .map(|f| &*f.invariant)
            .collect()
    }

    #[test]
    fn status_findings_use_the_given_set_and_are_never_skipped() {
        // PATH-COLON-ENCODING is strict-only: its status expectation is
        // still judged in a lenient run, with the lenient set.
        let f = status("PATH-COLON-ENCODING", &[200, 404, 405], 500, Mode::Lenient);
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(f.expected, "status in [200, 404, 405] (lenient)");
        assert_eq!(f.actual, "status 500");
        let f = status("PATH-COLON-ENCODING", &[200, 404, 405], 405, Mode::Lenient);
        assert_eq!(f.verdict, Verdict::Pass);
    }

    #[test]
    fn other_strict_only_rules_are_skipped_in_lenient_mode_only() {
        let lenient = finding("OP-ETAG-HEADER", false, "e", "a", Mode::Lenient);
        assert_eq!(lenient.verdict, Verdict::Skip);
        assert!(lenient.actual.contains("strict-only"));
        let strict = finding("OP-ETAG-HEADER", false, "e", "a", Mode::Strict);
        assert_eq!(strict.verdict, Verdict::Fail);
        assert_eq!(
            finding("OP-DONE-TERMINAL", false, "e", "a", Mode::Lenient).verdict,
            Verdict::Fail
        );
    }

    #[test]
    fn a_body_that_cannot_be_judged_fails_the_schema_of_its_kind() {
        let schemas = Schemas::bundled().expect("schemas");
        let ex = exchange(404, &[("content-type", "text/html")]);
        let f = response(
            &schemas,
            Mode::Lenient,
            Endpoint::Get,
            Some(BodyKind::Error),
            Body::NotJson("expected value at line 1"),
            &ex,
        );
        assert_eq!(failed(&f), ["ERR-ENVELOPE"]);
        let f = body_rules(
            &schemas,
            Mode::Lenient,
            Endpoint::Get,
            BodyKind::Operation,
            Body::Incomplete("body over the 10-byte cap"),
            &ex,
        );
        assert_eq!(failed(&f), ["OP-SCHEMA-REQUIRED"]);
        assert!(f[0].actual.contains("cap"));
    }

    #[test]
    fn both_error_envelopes_pass_and_a_405_must_name_its_methods() {
        let schemas = Schemas::bundled().expect("schemas");
        let json = ("content-type", "application/json");
        for body in [
            serde_json::json!({"success": false, "errors": [{"code": 7002, "message": "no"}], "result": {}}),
            serde_json::json!({"error": {"code": "not_found", "message": "no"}}),
        ] {
            let ex = exchange(404, &[json]);
            let f = response(
                &schemas,
                Mode::Lenient,
                Endpoint::Get,
                Some(BodyKind::Error),
                Body::Json(&body),
                &ex,
            );
            assert!(failed(&f).is_empty(), "{body}: {f:?}");
        }
        let body = serde_json::json!({"error": {"code": "method_not_allowed", "message": "no"}});
        let without = exchange(405, &[json]);
        let f = response(
            &schemas,
            Mode::Lenient,
            Endpoint::Other,
            inferred_kind(Endpoint::Other, 405),
            Body::Json(&body),
            &without,
        );
        assert_eq!(failed(&f), ["HTTP-405-ALLOW"]);
        let with = exchange(405, &[json, ("allow", "GET")]);
        let f = response(
            &schemas,
            Mode::Lenient,
            Endpoint::Cancel,
            Some(BodyKind::Error),
            Body::Json(&body),
            &with,
        );
        assert!(failed(&f).is_empty(), "{f:?}");
    }

    #[test]
    fn a_wait_that_held_past_the_transition_is_caught_on_the_server_clock() {
        let schemas = Schemas::bundled().expect("schemas");
        let mut op = crate::contract::samples::cancelled();
        op["completed_at"] = serde_json::json!(1_767_000_030);
        let at = |secs: u64| {
            httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        };
        let wait = |date: &str, elapsed_ms: u64| {
            let mut ex = exchange(200, &[("content-type", "application/json"), ("date", date)]);
            ex.request.url = "http://h/v1/operations/op_x:wait?timeout=5".into();
            ex.elapsed_ms = elapsed_ms;
            ex
        };
        let judge = |ex: &Exchange| {
            let f = body_rules(
                &schemas,
                Mode::Lenient,
                Endpoint::Wait,
                BodyKind::Operation,
                Body::Json(&op),
                ex,
            );
            failed(&f)
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        // Held its 5 s while the operation completed 4 s before the answer.
        assert_eq!(judge(&wait(&at(1_767_000_034), 5_000)), ["WAIT-WAKES"]);
        // Held its 5 s on an operation done long before it began.
        assert_eq!(
            judge(&wait(&at(1_767_000_300), 5_000)),
            ["WAIT-IMMEDIATE-IF-DONE"]
        );
        // Woke at once: nothing to say.
        assert!(judge(&wait(&at(1_767_000_034), 40)).is_empty());
        // Held to the timeout, but the operation completed at its end.
        assert!(judge(&wait(&at(1_767_000_031), 5_000)).is_empty());
    }

    #[test]
    fn kinds_follow_endpoint_and_status() {
        assert_eq!(
            inferred_kind(Endpoint::List, 200),
            Some(BodyKind::OperationList)
        );
        assert_eq!(
            inferred_kind(Endpoint::Cancel, 202),
            Some(BodyKind::Operation)
        );
        assert_eq!(inferred_kind(Endpoint::Wait, 404), Some(BodyKind::Error));
        assert_eq!(inferred_kind(Endpoint::Get, 500), None);
        assert_eq!(inferred_kind(Endpoint::Other, 200), None);
        assert_eq!(inferred_kind(Endpoint::Other, 405), Some(BodyKind::Error));
        assert!(kind_fits(BodyKind::Operation, 202));
        assert!(!kind_fits(BodyKind::Operation, 404));
        assert!(!kind_fits(BodyKind::Error, 503));
        assert!(!kind_fits(BodyKind::Error, 200));
        assert!(!kind_fits(BodyKind::OperationList, 400));
    }
}
