//! One stateless request: rendered against its fixture, sent, its status
//! and body judged, and its Operation bodies on the session's shared
//! fixtures fed into the session's history (`super::sightings`).

use std::time::Instant;

use crate::contract::{Mode, Schemas};
use crate::model::Exchange;

use super::body_cache::Judged;
use super::executor::{ExecError, Executor, KEY_NONCE_MIN, Observed, Prepared, nonce_offset};
use super::input::{FuzzRequest, Slot};
use super::oracle::{Expectation, InputClass, OracleEnv, expect};
use super::property::{Violation, judge_body, judge_status};
use super::sightings::{Answer, SharedHistory};

/// What a request is checked with: the run's client, schemas, mode and,
/// with fixtures, the session's history of its shared fixtures.
#[derive(Clone, Copy)]
pub struct Judge<'a> {
    /// The client (and the run's fixtures).
    pub exec: &'a Executor,
    /// The schemas.
    pub schemas: &'a Schemas,
    /// Lenient or strict.
    pub mode: Mode,
    /// The shared fixtures' history (`None`: not followed).
    pub history: Option<&'a SharedHistory>,
}

/// One stateless request checked.
#[derive(Debug, Clone)]
pub struct Checked {
    /// What broke (status and body first, then history).
    pub violations: Vec<Violation>,
    /// The exchange, recorded when something broke.
    pub exchange: Option<Exchange>,
    /// What the oracle accepted.
    pub expectation: Expectation,
    /// Not sent (unsendable, or refused by the cancel guard).
    pub skipped: bool,
    /// Requests sent (a fresh fixture's creation included).
    pub requests: u64,
    /// The shared fixture whose history the first history violation is
    /// about.
    pub history_slot: Option<Slot>,
}

/// Checks `req`, generated input `input` (`None`: a replayed regression).
pub async fn check_one(
    judge: Judge<'_>,
    req: &FuzzRequest,
    input: Option<u64>,
) -> Result<Checked, ExecError> {
    let Judge {
        exec,
        schemas,
        mode,
        history,
    } = judge;
    let fixture = exec.fixture_for(req).await?;
    let mut requests = u64::from(req.slot() == Some(Slot::FreshRunning));
    let prepared = exec.render(req, fixture.as_ref());
    let refused = Executor::unsendable(&prepared) || !exec.may_send(req, &prepared);
    // The key as sent (this session's nonce in a long one; see
    // `session_key`), remembered only when the request goes out. Short keys
    // may have been used by an earlier run against the same target (keys
    // live for hours): either answer is then fine.
    let sent_key = prepared
        .headers
        .iter()
        .find(|(k, _)| *k == "idempotency-key")
        .map(|(_, v)| v.as_str());
    let key_seen = match (&req.idempotency_key, sent_key) {
        (Some(drawn), Some(sent)) if req.verb == super::input::Verb::Cancel && !refused => {
            exec.key_seen(sent)
                || (nonce_offset(drawn).is_none() && drawn.chars().count() < KEY_NONCE_MIN)
        }
        _ => false,
    };
    let env = OracleEnv {
        mode,
        etag_known: fixture.as_ref().is_none_or(|f| f.etag.is_some()),
        key_seen,
    };
    let exp = expect(req, &env);
    if exp.class == InputClass::Unsendable || refused {
        return Ok(Checked {
            violations: Vec::new(),
            exchange: None,
            expectation: exp,
            skipped: true,
            requests,
            history_slot: None,
        });
    }
    let sent_at = Instant::now();
    let seen = exec.send(&prepared).await;
    requests += 1;
    let mut violations = judge_status(&exp, &seen, mode);
    if let Some(status) = seen.status.filter(|s| (200..500).contains(s)) {
        if violations.is_empty() {
            let key = exec.clean.key(&Judged {
                endpoint: exec.endpoint_of(&prepared),
                mode,
                method: prepared.method,
                url: &prepared.url,
                status,
                headers: &seen.headers,
                body: &seen.body,
            });
            // Every check is a pure function of what the key covers: a
            // byte-identical exchange already judged clean is clean.
            if !exec.clean.is_clean(key) {
                violations = judge_body_filtered(exec, schemas, mode, req, &prepared, &seen);
                if violations.is_empty() {
                    exec.clean.mark_clean(key);
                }
            }
        } else {
            // A wrong status is judged in full too, as the runner judges
            // every response: the body may break more than the status.
            violations.extend(judge_body_filtered(
                exec, schemas, mode, req, &prepared, &seen,
            ));
        }
    }
    let mut history_slot = None;
    if let Some(h) = history {
        let breaches = h.feed(&Answer {
            input,
            req,
            prepared: &prepared,
            seen: &seen,
            sent_at,
            replay: key_seen,
        });
        history_slot = breaches.first().map(|(slot, _)| *slot);
        violations.extend(breaches.into_iter().map(|(_, v)| v));
    }
    Ok(Checked {
        exchange: (!violations.is_empty()).then(|| exec.record(&prepared, &seen)),
        violations,
        expectation: exp,
        skipped: false,
        requests,
        history_slot,
    })
}

/// The body checks for one response, with the newest-first rule limited to
/// this run's own (filtered) list pages. A list page whose items were
/// judged before is checked item by item (see `page`); the full check
/// runs when that finds anything, so violations read the same.
fn judge_body_filtered(
    exec: &Executor,
    schemas: &Schemas,
    mode: Mode,
    req: &FuzzRequest,
    prepared: &Prepared,
    seen: &Observed,
) -> Vec<Violation> {
    let lean = Executor::for_checks(prepared, seen);
    // Unfiltered pages mix operations other runs and providers created;
    // fixture providers back-date terminal fixtures' started_at, so the
    // started_at proxy of newest-first only holds for this run's own
    // (filtered) fixtures.
    let ignore: &[&str] = if req.verb == super::input::Verb::List
        && !(req.query_param("owner_id") == Some(super::strategies::OWNER_PLACEHOLDER)
            && req.query_param("owner_type") == Some("install"))
    {
        &["LIST-NEWEST-FIRST"]
    } else {
        &[]
    };
    if req.verb == super::input::Verb::List
        && seen.status.is_some_and(|s| (200..300).contains(&s))
        && super::page::is_clean(schemas, mode, &seen.body, &lean, &exec.clean, ignore)
    {
        return Vec::new();
    }
    let mut violations = judge_body(schemas, mode, exec.endpoint_of(prepared), seen, &lean);
    violations.retain(|v| !ignore.contains(&v.invariant.as_str()));
    violations
}
