//! The shared state behind every route, and the helpers the routes share:
//! authentication, bounds, lookup, snapshots and Operation responses.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::auth::{self, ContextRule, Grant, Scheme, Tokens};
use super::clock::Clock;
use super::config::ReferenceConfig;
use super::errors::{ApiError, ErrorKind};
use super::etag;
use super::faults::{Fault, FaultSet};
use super::idempotency::{KeyStore, StoredResponse};
use super::ids::{self, ID_MAX, OP_PREFIX};
use super::lifecycle::{self, LifecycleFaults, Snapshot};
use super::render::{self, RenderOpts};
use super::store::{OpRecord, Store};
use super::world::{Dialect, Tempo};

/// Documented bounds of `idempotency-key` and `if-match` (1–64).
pub(crate) const HEADER_TOKEN_MAX: usize = 64;

/// Everything a request handler needs.
#[derive(Debug)]
pub(crate) struct App {
    pub faults: FaultSet,
    pub dialect: Dialect,
    pub tempo: Tempo,
    pub clock: Clock,
    pub store: Store,
    pub keys: KeyStore,
    pub tokens: Tokens,
    pub cancel_write_latency: Duration,
}

/// A found operation and the id to show for it.
pub(crate) struct Found<'a> {
    pub rec: Arc<OpRecord>,
    /// Some only under the `bare-id-echo` fault.
    pub shown_id: Option<&'a str>,
}

impl App {
    /// The state for `config`.
    pub(crate) fn new(config: &ReferenceConfig) -> App {
        App {
            faults: FaultSet::from_infos(&config.faults),
            dialect: config.dialect,
            tempo: config.tempo,
            clock: Clock::with_live_step(config.step_length, config.live_step),
            store: Store::new(config.max_operations, config.retention),
            keys: KeyStore::new(config.idempotency_ttl, config.idempotency_capacity),
            tokens: Tokens::new(&config.tokens),
            cancel_write_latency: config.cancel_write_latency,
        }
    }

    /// True when `fault` is switched on.
    pub(crate) fn has(&self, fault: Fault) -> bool {
        self.faults.has(fault)
    }

    /// The grant of the request's bearer token (401 otherwise).
    pub(crate) fn authenticate<'a>(&'a self, headers: &HeaderMap) -> Result<&'a Grant, ApiError> {
        let scheme = if self.has(Fault::AuthAnyScheme) {
            Scheme::Any
        } else {
            Scheme::Bearer
        };
        self.tokens.authenticate(headers, scheme)
    }

    /// The `akua-context` header after its 1–53 check.
    pub(crate) fn context<'h>(&self, headers: &'h HeaderMap) -> Result<Option<&'h str>, ApiError> {
        auth::context_header(headers, !self.has(Fault::ContextLenUnchecked))
    }

    /// The workspace the request acts in (`akua-context` selects for broad
    /// tokens); 403/404 when the token does not cover the one named.
    pub(crate) fn workspace<'a>(
        &self,
        grant: &'a Grant,
        context: Option<&'a str>,
    ) -> Result<&'a str, ApiError> {
        let rule = if self.has(Fault::ContextIgnored) {
            ContextRule::Unchecked
        } else {
            ContextRule::Checked(self.dialect)
        };
        auth::workspace(grant, context, rule)
    }

    /// The status of an accepted cancel: 202 (akua, D-CANCEL) or 200
    /// (alternate; digest §4.1 lenient).
    pub(crate) fn accepted_status(&self) -> StatusCode {
        match self.dialect {
            Dialect::Akua => StatusCode::ACCEPTED,
            Dialect::Alternate => StatusCode::OK,
        }
    }

    /// Evicts operations whose retention ended, with their keys.
    pub(crate) fn sweep(&self, now: Instant) {
        self.keys.forget_ops(&self.store.sweep(now));
    }

    /// 400 unless the path id is 1–53 characters.
    pub(crate) fn check_id(&self, id: &str) -> Result<(), ApiError> {
        let len = id.chars().count();
        let too_long = len > ID_MAX && !self.has(Fault::IdLenUnchecked);
        if len == 0 || too_long {
            return Err(ApiError::new(
                ErrorKind::InvalidId,
                format!("id must be 1-{ID_MAX} characters, got {len}"),
            )
            .at("path", "id"));
        }
        Ok(())
    }

    /// The operation `id` names, if it is in `workspace` (None: any
    /// workspace). akua: unknown and foreign ids give the same 404 (no
    /// leak); alternate: a foreign id gives 403 (AIP-211).
    pub(crate) fn lookup<'a>(
        &self,
        id: &'a str,
        workspace: Option<&str>,
    ) -> Result<Found<'a>, ApiError> {
        let not_found = || {
            ApiError::new(ErrorKind::NotFound, format!("operation {id} not found")).at("path", "id")
        };
        if !id.starts_with(OP_PREFIX) && self.has(Fault::BareId404) {
            return Err(not_found());
        }
        self.sweep(self.clock.now());
        let Some(rec) = self.store.get(&ids::canonical(id)) else {
            if self.has(Fault::IdDash500) && id.contains('-') {
                return Err(ApiError::new(ErrorKind::Internal, "internal error"));
            }
            return Err(not_found());
        };
        if workspace.is_some_and(|ws| ws != rec.workspace) {
            return Err(match self.dialect {
                Dialect::Akua => not_found(),
                Dialect::Alternate => ApiError::new(
                    ErrorKind::Forbidden,
                    format!("operation {id} belongs to another workspace"),
                )
                .at("path", "id"),
            });
        }
        let shown_id = self.has(Fault::BareIdEcho).then_some(id);
        Ok(Found { rec, shown_id })
    }

    /// Knobs of the lifecycle that faults turn.
    pub(crate) fn lifecycle_faults(&self) -> LifecycleFaults {
        LifecycleFaults {
            last_error_sticky: self.has(Fault::LastErrorSticky),
            changes_after_done: self.has(Fault::ChangesAfterDone),
        }
    }

    /// The operation as seen at `now`.
    pub(crate) fn snapshot(&self, rec: &OpRecord, now: Instant) -> Snapshot {
        let m = rec.mutable_copy();
        lifecycle::snapshot(
            &self.clock,
            rec.plan,
            rec.created,
            &m,
            now,
            self.lifecycle_faults(),
        )
    }

    /// The entity-tag (unquoted) of `rec` as seen in `snap`.
    pub(crate) fn tag(&self, rec: &OpRecord, snap: &Snapshot) -> String {
        // The bug of `etag-frozen`: the tag is computed once, at creation.
        let revision = if self.has(Fault::EtagFrozen) {
            1
        } else {
            snap.revision
        };
        etag::tag(rec.seq, revision)
    }

    /// A recorded error answer (a 422/409 for a done operation is replayed
    /// like any completed answer).
    pub(crate) fn stored_error(&self, e: &ApiError) -> StoredResponse {
        let (status, body) = e.rendered(self.dialect);
        StoredResponse {
            status: status.as_u16(),
            body: body.into(),
            etag: None,
        }
    }

    /// An Operation response: JSON body, `ETag`, content type.
    pub(crate) fn operation_response(
        &self,
        status: StatusCode,
        rec: &OpRecord,
        snap: &Snapshot,
        shown_id: Option<&str>,
        steps: bool,
    ) -> (Response, StoredResponse) {
        let body = Bytes::from(render::operation(
            rec,
            snap,
            RenderOpts {
                steps,
                shown_id,
                faults: self.faults,
                dialect: self.dialect,
            },
        ));
        let etag = (!self.has(Fault::EtagMissing))
            .then(|| HeaderValue::from_str(&etag::header_value(&self.tag(rec, snap))).ok())
            .flatten();
        let stored = StoredResponse {
            status: status.as_u16(),
            body,
            etag,
        };
        (self.replay(&stored), stored)
    }

    /// A response with a recorded status, body and ETag.
    pub(crate) fn replay(&self, stored: &StoredResponse) -> Response {
        let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
        let mut resp = (status, stored.body.clone()).into_response();
        let headers = resp.headers_mut();
        headers.insert(header::CONTENT_TYPE, self.json_content_type());
        if let Some(etag) = &stored.etag {
            headers.insert(header::ETAG, etag.clone());
        }
        resp
    }

    /// `application/json` (or text/plain under `json-content-type-missing`).
    pub(crate) fn json_content_type(&self) -> HeaderValue {
        if self.has(Fault::JsonContentTypeMissing) {
            HeaderValue::from_static("text/plain; charset=utf-8")
        } else {
            HeaderValue::from_static("application/json")
        }
    }
}

/// A header that must be visible ASCII of 1–`max` characters, if present.
pub(crate) fn bounded_header<'h>(
    headers: &'h HeaderMap,
    name: &'static str,
    min: usize,
    max: usize,
    kind: ErrorKind,
) -> Result<Option<&'h str>, ApiError> {
    let Some(raw) = headers.get(name) else {
        return Ok(None);
    };
    let value = raw.to_str().map_err(|_| {
        ApiError::new(kind, format!("{name} must be visible ASCII")).at("header", name)
    })?;
    let len = value.chars().count();
    if len < min || len > max {
        return Err(ApiError::new(
            kind,
            format!("{name} must be 1-{HEADER_TOKEN_MAX} characters, got {len}"),
        )
        .at("header", name));
    }
    Ok(Some(value))
}
