//! `GET /v1/operations` (D-LIST): workspace-scoped, newest first (by the
//! creation sequence, so ties are stable), cursor pagination (`limit` 1–100,
//! default 50; opaque cursor), `owner_type` + `owner_id` filter; items carry
//! no `steps` ("without per-step detail").

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;

use super::app::App;
use super::cursor;
use super::errors::{ApiError, ErrorKind};
use super::faults::Fault;
use super::ids;
use super::query::{parse_uint, query_param};
use super::render::{self, RenderOpts};
use super::routes::Reply;
use super::store::Scope;

/// List page size default and maximum (D-LIST: "1-100, default 50").
const LIST_DEFAULT_LIMIT: usize = 50;
const LIST_MAX_LIMIT: usize = 100;

/// Handles the list.
pub(crate) async fn list(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Reply {
    let grant = app.authenticate(&headers)?;
    let context = app.context(&headers)?;
    let query = query.as_deref();
    let limit = match query_param(query, "limit") {
        None => LIST_DEFAULT_LIMIT,
        Some(raw) => {
            let n = parse_uint(&raw)
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| {
                    (1..=LIST_MAX_LIMIT).contains(n)
                        || (*n == 0 && app.has(Fault::ListLimitZeroAccepted))
                })
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorKind::InvalidLimit,
                        format!("limit must be an integer from 1 to {LIST_MAX_LIMIT}, got {raw:?}"),
                    )
                    .at("query", "limit")
                })?;
            if app.has(Fault::ListLimitIgnored) {
                LIST_DEFAULT_LIMIT
            } else {
                n
            }
        }
    };
    let before = match query_param(query, "cursor") {
        // AIP-158: an empty page token means the first page, like an
        // absent one (clients that template `cursor={next}` send it empty).
        None => None,
        Some(raw) if raw.is_empty() => None,
        Some(raw) => Some(cursor::decode(&raw).ok_or_else(|| {
            ApiError::new(
                ErrorKind::InvalidCursor,
                "cursor was not issued by this server; start again without it",
            )
            .at("query", "cursor")
        })?),
    };
    let owner_type = query_param(query, "owner_type");
    let owner_id = query_param(query, "owner_id");
    let filter = match (owner_type, owner_id) {
        (Some(t), id) => {
            if ids::owner_prefix(&t).is_none() {
                return Err(ApiError::new(
                    ErrorKind::InvalidOwnerFilter,
                    format!(
                        "unknown owner_type {t:?}; allowed: {}",
                        ids::owner_type_list()
                    ),
                )
                .at("query", "owner_type"));
            }
            match id {
                Some(id) => Some((t, id)),
                None if app.has(Fault::ListOwnerTypeAlone) => None,
                None => {
                    return Err(ApiError::new(
                        ErrorKind::InvalidOwnerFilter,
                        "owner_id is required when owner_type is set",
                    )
                    .at("query", "owner_id"));
                }
            }
        }
        // "Required when owner_type is set. Ignored otherwise." (D-LIST)
        (None, _) => None,
    };
    let ws = app.workspace(grant, context)?;
    let now = app.clock.now();
    app.sweep(now);
    let scope = if app.has(Fault::ListCrossWorkspace) {
        Scope::All
    } else {
        Scope::Workspace(ws)
    };
    let mut items = app.store.page(
        scope,
        before,
        limit.saturating_add(1),
        filter.as_ref().map(|(t, id)| (t.as_ref(), id.as_ref())),
    );
    let has_more = items.len() > limit;
    let boundary = items.get(limit).map(|r| r.seq);
    items.truncate(limit);
    let last = items.last().map(|r| r.seq);
    let next_cursor = match (has_more, last) {
        (true, Some(_)) if app.has(Fault::ListDropsPageBoundary) => boundary.map(cursor::encode),
        (true, Some(seq)) => Some(cursor::encode(seq)),
        (false, Some(seq)) if app.has(Fault::ListCursorOnLastPage) => Some(cursor::encode(seq)),
        _ => None,
    };
    if app.has(Fault::ListOldestFirst) {
        items.reverse();
    }
    let opts = RenderOpts {
        steps: app.has(Fault::ListIncludesSteps),
        shown_id: None,
        faults: app.faults,
        dialect: app.dialect,
    };
    let mut body = Vec::with_capacity(64 + items.len() * 700);
    body.extend_from_slice(b"{\"data\":[");
    for (i, rec) in items.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        let snap = app.snapshot(rec, now);
        render::write_operation(&mut body, rec, &snap, opts);
    }
    body.extend_from_slice(b"],\"has_more\":");
    body.extend_from_slice(if has_more && last.is_some() {
        b"true"
    } else {
        b"false"
    });
    body.extend_from_slice(b",\"next_cursor\":");
    match next_cursor {
        Some(c) => body.extend_from_slice(format!("\"{c}\"").as_bytes()),
        None => body.extend_from_slice(b"null"),
    }
    body.push(b'}');
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, app.json_content_type());
    Ok(resp)
}
