//! `eventually`: a condition on a fixture that must come true before a
//! deadline, observed through `:wait` long-polls (falling back to GET
//! polling on a non-200) or through GET polling.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{CheckKind, CheckResult};

use super::super::issue::Issue;
use super::super::semantic::Rules;
use super::super::{Expect, JsonIs, Step};
use super::json::planned_value;
use super::json_is::{describe_found, describe_json_is, json_is_holds};
use super::kind::{ExpectKind, PlanLines, Read, StepCx, check, short};

/// A condition on a fixture that must come true within a deadline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Eventually {
    /// Fixture name (default `op`).
    #[serde(default = "default_fixture_name")]
    pub fixture: String,
    /// JSON-pointer equality on the Operation, e.g. `{ "/done" = true }`.
    /// The condition is `json` and `json_is` holding on one observation;
    /// at least one of the two is non-empty.
    #[serde(default)]
    pub json: BTreeMap<String, toml::Value>,
    /// JSON-pointer presence on the Operation, e.g. `{ "/last_error" = "non_null" }`.
    #[serde(default)]
    pub json_is: BTreeMap<String, JsonIs>,
    /// Deadline in ms (the run's settle deadline caps it from above).
    pub within_ms: u64,
    /// `wait` (long-poll `:wait`) or `poll` (repeated GET).
    #[serde(default)]
    pub via: Via,
    /// The invariant this evidences (default: the step's).
    #[serde(default)]
    pub invariant: Option<String>,
}

fn default_fixture_name() -> String {
    "op".to_string()
}

/// How `eventually` observes the fixture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// `POST :wait` long-polls (falls back to polling on a non-200).
    #[default]
    Wait,
    /// `GET` every 50 ms.
    Poll,
}

/// The `eventually` key.
pub(crate) struct Kind;

impl ExpectKind for Kind {
    fn keys(&self) -> &'static [&'static str] {
        &["eventually"]
    }

    fn example(&self) -> &'static str {
        r#"eventually = { json = { "/done" = true }, json_is = { "/error" = "null" }, within_ms = 1000, via = "poll", invariant = "CANCEL-SETTLES" }"#
    }

    fn validate(&self, step: &Step, rules: &mut Rules<'_, '_>) {
        let Some(ev) = &step.expect.eventually else {
            return;
        };
        let at = rules.at("eventually");
        if !rules.scope.fixtures.contains(ev.fixture.as_str()) {
            let help = if ev.fixture == "op" {
                "\"op\" is the default; declare `fixture = \"running\"` or set `fixture = \"NAME\"` here".into()
            } else {
                rules.known_fixtures()
            };
            rules.push(
                Issue::value(
                    format!("{at}/fixture"),
                    format!(
                        "eventually observes fixture \"{}\", which the case does not declare",
                        ev.fixture
                    ),
                )
                .help(help),
            );
        }
        if ev.json.is_empty() && ev.json_is.is_empty() {
            rules.push(
                Issue::value(at.clone(), "eventually has no condition")
                    .help("add `json = { \"/done\" = true }` or `json_is = { ... }`"),
            );
        }
        rules.json_templates(&format!("{at}/json"), &ev.json);
        if let Some(id) = &ev.invariant {
            rules.invariant(&format!("{at}/invariant"), id);
        }
    }

    fn plan(&self, expect: &Expect, base: &str, out: &mut PlanLines) {
        let Some(ev) = &expect.eventually else { return };
        let condition = ev
            .json
            .iter()
            .map(|(p, v)| format!("{p} == {}", planned_value(v)))
            .chain(ev.json_is.iter().map(|(p, is)| describe_json_is(p, *is)))
            .collect::<Vec<_>>()
            .join(" and ");
        out.summary.push(format!(
            "eventually {}: {condition} within {} ms",
            ev.fixture, ev.within_ms
        ));
        let via = match ev.via {
            Via::Wait => "POST :wait long-polls, then GET",
            Via::Poll => "GET polls",
        };
        out.requests.push(format!(
            "+ {via} {base}/operations/<{}.id> for up to {} ms (eventually)",
            ev.fixture, ev.within_ms
        ));
    }

    fn last<'a>(&'a self, expect: &'a Expect, cx: &'a mut StepCx<'_>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let Some(ev) = &expect.eventually else { return };
            let invariant = ev.invariant.as_deref().unwrap_or(cx.invariant);
            let c = observe(ev, invariant, cx).await;
            cx.io.record(c);
        })
    }
}

/// Observes the fixture until the condition holds or the deadline
/// (`ev.within_ms` capped by the settle deadline) passes. Every read is
/// recorded in the step and body-checked.
async fn observe(ev: &Eventually, invariant: &str, cx: &mut StepCx<'_>) -> CheckResult {
    let mode = cx.mode;
    let poll_interval = cx.io.poll_interval();
    let budget = Duration::from_millis(ev.within_ms).min(cx.io.settle_deadline());
    let Some(id) = cx.io.fixture_id(&ev.fixture) else {
        return check(
            invariant,
            false,
            format!(
                "`eventually` names a fixture of the case (`{}`)",
                ev.fixture
            ),
            "no such fixture",
            None,
            mode,
        );
    };
    let mut wanted: Vec<(&str, Value)> = Vec::new();
    for (pointer, v) in &ev.json {
        let rendered = serde_json::to_value(v)
            .map_err(|e| e.to_string())
            .and_then(|v| cx.io.render_json(&v));
        match rendered {
            Ok(v) => wanted.push((pointer, v)),
            Err(e) => {
                return check(
                    invariant,
                    false,
                    format!("{pointer} renders"),
                    e,
                    None,
                    mode,
                );
            }
        }
    }
    let condition = wanted
        .iter()
        .map(|(p, v)| format!("{p} == {}", short(v)))
        .chain(ev.json_is.iter().map(|(p, is)| describe_json_is(p, *is)))
        .collect::<Vec<_>>()
        .join(" and ");
    let expected = format!(
        "fixture `{}`: {condition} within {} ms",
        ev.fixture,
        budget.as_millis()
    );
    let started = Instant::now();
    let deadline = started + budget;
    let remaining = || deadline.saturating_duration_since(Instant::now());
    let mut use_wait = ev.via == Via::Wait;
    let mut last_seen;
    loop {
        let how = if use_wait {
            let secs = remaining().as_secs_f64().ceil().clamp(1.0, 60.0) as u64;
            Read::Wait { timeout_secs: secs }
        } else {
            Read::Get
        };
        let seen = cx.io.read(&id, how).await;
        let quick = seen.elapsed_ms < poll_interval.as_millis() as u64;
        match &seen.body {
            Some(body) => {
                let holds = wanted.iter().all(|(p, v)| body.pointer(p) == Some(v))
                    && ev
                        .json_is
                        .iter()
                        .all(|(p, is)| json_is_holds(body.pointer(p), *is));
                last_seen = wanted
                    .iter()
                    .map(|(p, _)| *p)
                    .chain(ev.json_is.keys().map(String::as_str))
                    .map(|p| describe_found(p, body.pointer(p)))
                    .collect::<Vec<_>>()
                    .join(" and ");
                if holds {
                    let elapsed = started.elapsed().as_millis() as u64;
                    let mut c = check(
                        invariant,
                        elapsed <= budget.as_millis() as u64,
                        expected,
                        format!("held after {elapsed} ms"),
                        Some(seen.index),
                        mode,
                    );
                    c.elapsed_ms = Some(elapsed);
                    return c;
                }
                if body.get("done") == Some(&Value::Bool(true)) {
                    // Done operations are immutable (S-OAS get/wait): the
                    // condition can no longer come true, so stop waiting.
                    last_seen.push_str(" (the operation is done; done operations never change)");
                    break;
                }
            }
            None => {
                if use_wait {
                    // `:wait` unusable here: fall back to polling.
                    use_wait = false;
                }
                last_seen = match seen.status {
                    Some(s) => format!("status {s}"),
                    None => "no response".into(),
                };
            }
        }
        if Instant::now() >= deadline {
            break;
        }
        if !use_wait || quick {
            cx.io.pause(poll_interval, deadline).await;
        }
    }
    let elapsed = started.elapsed().as_millis() as u64;
    let mut c = check(
        invariant,
        false,
        expected,
        format!("not reached after {elapsed} ms; last seen: {last_seen}"),
        cx.io.exchanges().checked_sub(1),
        mode,
    );
    c.elapsed_ms = Some(elapsed);
    // A condition on the lifecycle alone (e.g. `/last_error` set while
    // running) may have held between two reads of an operation that then
    // finished by itself: the engine may explain it as movement.
    if wanted
        .iter()
        .map(|(p, _)| *p)
        .chain(ev.json_is.keys().map(String::as_str))
        .all(|p| super::json::pointer_kind(p) == CheckKind::Lifecycle)
    {
        c.kind = CheckKind::Lifecycle;
    }
    c
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fake::FakeIo;
    use super::super::last;
    use super::*;
    use crate::model::Verdict;

    fn expect(via: Via) -> Expect {
        Expect {
            eventually: Some(Eventually {
                fixture: "op".into(),
                json: [("/state".to_string(), toml::Value::from("CANCELLED"))].into(),
                json_is: BTreeMap::new(),
                within_ms: 30_000,
                via,
                invariant: Some("CANCEL-SETTLES".into()),
            }),
            ..Expect::default()
        }
    }

    #[tokio::test]
    async fn holds_on_the_first_read_that_shows_it() {
        let mut io = FakeIo::with_op().answers([
            (200, json!({"state": "RUNNING", "done": false})),
            (200, json!({"state": "CANCELLED", "done": true})),
        ]);
        last(&expect(Via::Poll), &mut io.cx(&[])).await;
        assert_eq!(io.reads.len(), 2);
        assert!(
            io.reads
                .iter()
                .all(|(id, how)| id == "op_1" && *how == Read::Get)
        );
        let c = &io.checks[0];
        assert_eq!((c.verdict, c.exchange), (Verdict::Pass, Some(1)));
        assert_eq!(c.invariant, "CANCEL-SETTLES");
        assert_eq!(
            c.expected,
            "fixture `op`: /state == \"CANCELLED\" within 30000 ms"
        );
    }

    #[tokio::test]
    async fn a_done_operation_ends_the_wait_at_once() {
        let mut io =
            FakeIo::with_op().answers([(200, json!({"state": "SUCCEEDED", "done": true}))]);
        last(&expect(Via::Wait), &mut io.cx(&[])).await;
        assert_eq!(io.reads.len(), 1, "no second read of a done operation");
        let c = &io.checks[0];
        assert_eq!(c.verdict, Verdict::Fail);
        assert!(
            c.actual.ends_with(
                "last seen: /state == \"SUCCEEDED\" (the operation is done; done operations never change)"
            ),
            "{}",
            c.actual
        );
    }

    #[tokio::test]
    async fn a_lifecycle_condition_missed_by_the_reads_is_a_lifecycle_check() {
        // `/last_error` set while running may come and go between two reads
        // of an operation that then finishes: the engine may explain that as
        // the target's movement, so the check says it is about the lifecycle.
        let mut missed = expect(Via::Poll);
        let ev = missed.eventually.as_mut().expect("eventually");
        ev.json.clear();
        ev.json_is = [("/last_error".to_string(), JsonIs::NonNull)].into();
        let mut io = FakeIo::with_op().answers([(
            200,
            json!({"state": "SUCCEEDED", "done": true, "last_error": null}),
        )]);
        last(&missed, &mut io.cx(&[])).await;
        let c = &io.checks[0];
        assert_eq!((c.verdict, c.kind), (Verdict::Fail, CheckKind::Lifecycle));
        assert_eq!(
            c.exchange,
            Some(0),
            "it points at the read that shows it done"
        );

        // A condition on anything else stays what it was: never explained.
        let mut other = expect(Via::Poll);
        let ev = other.eventually.as_mut().expect("eventually");
        ev.json = [("/metadata/x".to_string(), toml::Value::from(1))].into();
        let mut io =
            FakeIo::with_op().answers([(200, json!({"state": "SUCCEEDED", "done": true}))]);
        last(&other, &mut io.cx(&[])).await;
        assert_ne!(io.checks[0].kind, CheckKind::Lifecycle);
    }

    #[tokio::test]
    async fn a_refused_wait_falls_back_to_polling() {
        let mut io = FakeIo::with_op().answers([
            (404, json!({})),
            (200, json!({"state": "CANCELLED", "done": true})),
        ]);
        last(&expect(Via::Wait), &mut io.cx(&[])).await;
        let how: Vec<Read> = io.reads.iter().map(|(_, how)| *how).collect();
        assert_eq!(how, [Read::Wait { timeout_secs: 30 }, Read::Get]);
        assert_eq!(io.checks[0].verdict, Verdict::Pass);
    }

    #[tokio::test]
    async fn an_unknown_fixture_fails_without_a_read() {
        let mut io = FakeIo::default();
        last(&expect(Via::Poll), &mut io.cx(&[])).await;
        assert!(io.reads.is_empty());
        assert_eq!(io.checks[0].actual, "no such fixture");
    }
}
