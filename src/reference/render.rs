//! Renders an operation snapshot as akua's `Operation` JSON (S-OAS
//! `#/components/schemas/Operation`): all 15 required keys, nullables sent
//! as `null`, `steps` only where per-step detail is documented (get, and the
//! single-operation answers of cancel, wait and fixtures; never list items).
//! Serialised once per request, straight to bytes.

use serde::Serialize;
use serde_json::value::RawValue;

use super::faults::{Fault, FaultSet};
use super::lifecycle::{Snapshot, State};
use super::store::OpRecord;
use super::world::Dialect;

/// `organization_id` of every operation.
pub(crate) const ORGANIZATION_ID: &str = "org_acme";

/// What a rendering includes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RenderOpts<'a> {
    /// Include `steps`.
    pub steps: bool,
    /// The id to show instead of the canonical one (fault `bare-id-echo`).
    pub shown_id: Option<&'a str>,
    /// Faults switched on.
    pub faults: FaultSet,
    /// The alternate dialect sends `response: null` on SUCCEEDED (the
    /// schema allows null; digest §6.7).
    pub dialect: Dialect,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    message: &'a str,
}

#[derive(Serialize)]
struct LastError<'a> {
    message: &'a str,
    step_name: &'a str,
}

#[derive(Serialize)]
struct Step<'a> {
    name: &'a str,
    status: &'a str,
    execution_type: &'a str,
    started_at: u64,
    completed_at: Option<u64>,
    error_message: Option<&'a str>,
    retryable: bool,
    skippable: bool,
}

#[derive(Serialize)]
struct Operation<'a> {
    id: &'a str,
    workspace_id: Option<&'a str>,
    organization_id: Option<&'a str>,
    owner_type: &'a str,
    owner_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_operation_id: Option<Option<&'a str>>,
    state: &'a str,
    done: bool,
    html_url: String,
    metadata: &'a RawValue,
    response: Option<&'a RawValue>,
    error: Option<ErrorBody<'a>>,
    last_error: Option<LastError<'a>>,
    started_at: u64,
    completed_at: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    steps: Option<Vec<Step<'a>>>,
}

/// The Operation JSON of `rec` as seen in `snap`.
pub(crate) fn operation(rec: &OpRecord, snap: &Snapshot, opts: RenderOpts<'_>) -> Vec<u8> {
    serde_json::to_vec(&build(rec, snap, opts)).unwrap_or_default()
}

/// The JSON value (for list pages, which embed several).
pub(crate) fn write_operation(
    out: &mut Vec<u8>,
    rec: &OpRecord,
    snap: &Snapshot,
    opts: RenderOpts<'_>,
) {
    if serde_json::to_writer(&mut *out, &build(rec, snap, opts)).is_err() {
        out.extend_from_slice(b"null");
    }
}

fn build<'a>(rec: &'a OpRecord, snap: &'a Snapshot, opts: RenderOpts<'a>) -> Operation<'a> {
    let f = opts.faults;
    let ts = |secs: u64| {
        if f.has(Fault::TimestampsMillis) {
            secs.saturating_mul(1000)
        } else {
            secs
        }
    };
    let state = if f.has(Fault::StateLowercase) {
        match snap.state {
            State::Running => "running",
            State::Succeeded => "succeeded",
            State::Failed => "failed",
            State::Cancelled => "cancelled",
        }
    } else {
        snap.state.as_str()
    };
    let done = snap.done() && !f.has(Fault::DoneLagsState);
    let mut error = snap.error.map(|message| ErrorBody { message });
    if error.is_none() && snap.cancel_requested && f.has(Fault::ErrorSetWhileCancelling) {
        error = Some(ErrorBody {
            message: "cancellation requested",
        });
    }
    let typed_result = snap.has_response && opts.dialect == Dialect::Akua;
    let response = (typed_result
        || (snap.state == State::Failed && f.has(Fault::ResponseOnFailure)))
    .then_some(&*rec.response);
    let completed_at = if f.has(Fault::CompletedAtMissing) {
        None
    } else {
        snap.completed_at.map(ts)
    };
    let html_url = if f.has(Fault::HtmlUrlRelative) {
        format!(
            "/dashboard/{}s/{}?tab=operations",
            rec.owner_type, rec.owner_id
        )
    } else {
        format!(
            "https://akua.dev/{}s/{}?tab=operations",
            rec.owner_type, rec.owner_id
        )
    };
    let steps = opts.steps.then(|| {
        snap.steps
            .iter()
            .map(|s| Step {
                name: s.name,
                status: s.status.as_str(),
                execution_type: "system",
                started_at: ts(s.started_at),
                completed_at: s.completed_at.map(ts),
                error_message: s.error_message,
                retryable: s.retryable,
                skippable: false,
            })
            .collect()
    });
    Operation {
        id: opts.shown_id.unwrap_or(&rec.id),
        workspace_id: Some(&rec.workspace),
        organization_id: Some(ORGANIZATION_ID),
        owner_type: &rec.owner_type,
        owner_id: &rec.owner_id,
        parent_operation_id: if f.has(Fault::ParentIdOmitted) {
            None
        } else {
            Some(None)
        },
        state,
        done,
        html_url,
        metadata: &rec.metadata,
        response,
        error,
        last_error: snap
            .last_error
            .map(|(message, step_name)| LastError { message, step_name }),
        started_at: ts(snap.started_at),
        completed_at,
        steps,
    }
}
