//! The one error type of the reference, rendered as akua's `ApiErrorResponse`
//! envelope (digest §1.6, S-OAS): `{"success": false, "errors": [{"code":
//! <int>, "message": "..."}], "result": {}}` with `content-type:
//! application/json`. akua publishes no code table, so the reference picks
//! stable integer codes per error kind: [`ERROR_CODES`].
//!
//! The alternate dialect answers with D-INTRO's envelope instead,
//! `{"error": {"code": "<snake_case>", "message": "..."}}`, and with the
//! statuses the standards allow where akua's convention differs (digest
//! §4.1 lenient column): [`ErrorKind::status_in`].

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::world::Dialect;

/// Every kind of error the reference answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Missing, malformed or unknown bearer token.
    Unauthenticated,
    /// `akua-context` names a workspace the token does not cover.
    Forbidden,
    /// Unknown operation, foreign operation, or unknown path.
    NotFound,
    /// Method not allowed on the path.
    MethodNotAllowed,
    /// Path id outside 1–53 characters.
    InvalidId,
    /// `akua-context` outside 1–53 characters or not visible ASCII.
    InvalidContext,
    /// `idempotency-key` outside 1–64 characters or not visible ASCII.
    InvalidIdempotencyKey,
    /// `if-match` outside 1–64 characters or not visible ASCII.
    InvalidIfMatch,
    /// `:wait` `timeout` not an integer 1–60.
    InvalidTimeout,
    /// list `limit` not an integer 1–100.
    InvalidLimit,
    /// list `cursor` not issued by this server.
    InvalidCursor,
    /// list `owner_type`/`owner_id` invalid or unpaired.
    InvalidOwnerFilter,
    /// fixture request body invalid.
    InvalidFixture,
    /// Idempotency-Key already used on another operation.
    IdempotencyKeyReused,
    /// Idempotency-Key still in flight.
    IdempotencyKeyInFlight,
    /// `If-Match` does not match the current entity-tag.
    PreconditionFailed,
    /// The operation is already done (cancel rejected).
    AlreadyDone,
    /// A cancellation is already in progress (fault `recancel-409` only).
    CancelInProgress,
    /// Unexpected failure.
    Internal,
}

/// One row of the code table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    /// The kind.
    pub kind: ErrorKind,
    /// HTTP status.
    pub status: u16,
    /// `errors[].code` in the envelope.
    pub code: u32,
    /// Short name (used by the `error-code-string` fault).
    pub name: &'static str,
}

/// The stable integer codes of the envelope, by kind.
pub const ERROR_CODES: &[ErrorCode] = &[
    ErrorCode {
        kind: ErrorKind::Unauthenticated,
        status: 401,
        code: 1001,
        name: "unauthenticated",
    },
    ErrorCode {
        kind: ErrorKind::Forbidden,
        status: 403,
        code: 1003,
        name: "permission_denied",
    },
    ErrorCode {
        kind: ErrorKind::NotFound,
        status: 404,
        code: 1004,
        name: "not_found",
    },
    ErrorCode {
        kind: ErrorKind::MethodNotAllowed,
        status: 405,
        code: 1005,
        name: "method_not_allowed",
    },
    ErrorCode {
        kind: ErrorKind::InvalidId,
        status: 400,
        code: 2001,
        name: "invalid_id",
    },
    ErrorCode {
        kind: ErrorKind::InvalidContext,
        status: 400,
        code: 2002,
        name: "invalid_akua_context",
    },
    ErrorCode {
        kind: ErrorKind::InvalidIdempotencyKey,
        status: 400,
        code: 2003,
        name: "invalid_idempotency_key",
    },
    ErrorCode {
        kind: ErrorKind::InvalidIfMatch,
        status: 400,
        code: 2004,
        name: "invalid_if_match",
    },
    ErrorCode {
        kind: ErrorKind::InvalidTimeout,
        status: 400,
        code: 2005,
        name: "invalid_timeout",
    },
    ErrorCode {
        kind: ErrorKind::InvalidLimit,
        status: 400,
        code: 2006,
        name: "invalid_limit",
    },
    ErrorCode {
        kind: ErrorKind::InvalidCursor,
        status: 400,
        code: 2007,
        name: "invalid_cursor",
    },
    ErrorCode {
        kind: ErrorKind::InvalidOwnerFilter,
        status: 400,
        code: 2008,
        name: "invalid_owner_filter",
    },
    ErrorCode {
        kind: ErrorKind::InvalidFixture,
        status: 400,
        code: 2009,
        name: "invalid_fixture",
    },
    ErrorCode {
        kind: ErrorKind::IdempotencyKeyReused,
        status: 409,
        code: 3001,
        name: "idempotency_key_reused",
    },
    ErrorCode {
        kind: ErrorKind::IdempotencyKeyInFlight,
        status: 409,
        code: 3002,
        name: "idempotency_key_in_flight",
    },
    ErrorCode {
        kind: ErrorKind::PreconditionFailed,
        status: 409,
        code: 3003,
        name: "aborted",
    },
    ErrorCode {
        kind: ErrorKind::AlreadyDone,
        status: 422,
        code: 4001,
        name: "operation_done",
    },
    ErrorCode {
        kind: ErrorKind::CancelInProgress,
        status: 409,
        code: 3004,
        name: "conflict",
    },
    ErrorCode {
        kind: ErrorKind::Internal,
        status: 500,
        code: 5000,
        name: "internal",
    },
];

impl ErrorKind {
    /// The table row of this kind.
    pub fn code(self) -> &'static ErrorCode {
        ERROR_CODES
            .iter()
            .find(|c| c.kind == self)
            .expect("every ErrorKind has a row in ERROR_CODES (unit-tested)")
    }

    /// The HTTP status of this kind in `dialect` (the table's is akua's).
    pub fn status_in(self, dialect: Dialect) -> u16 {
        use ErrorKind as K;
        match (dialect, self) {
            (Dialect::Akua, k) => k.code().status,
            // Bounds and malformed input: 422 (RFC 9110 §15.5.21; digest
            // §4.1 "header over-length ... 422", "timeout out of range 422").
            (
                Dialect::Alternate,
                K::InvalidId
                | K::InvalidContext
                | K::InvalidIdempotencyKey
                | K::InvalidIfMatch
                | K::InvalidTimeout
                | K::InvalidLimit
                | K::InvalidCursor
                | K::InvalidOwnerFilter
                | K::InvalidFixture,
            ) => 422,
            // The IETF idempotency-key draft: a reused key is 422.
            (Dialect::Alternate, K::IdempotencyKeyReused) => 422,
            // RFC 9110 §13.1.1: a failed If-Match is 412.
            (Dialect::Alternate, K::PreconditionFailed) => 412,
            // A terminal operation conflicts with the cancel (§15.5.10).
            (Dialect::Alternate, K::AlreadyDone) => 409,
            (Dialect::Alternate, k) => k.code().status,
        }
    }
}

/// An error answer: kind plus a message for humans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
    /// `errors[].path`, e.g. `["header", "if-match"]`.
    pub path: Option<[&'static str; 2]>,
    /// The `Allow` header of a 405: the methods the resource supports.
    pub allow: Option<&'static str>,
}

impl ApiError {
    /// An error of `kind`.
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> ApiError {
        ApiError {
            kind,
            message: message.into(),
            path: None,
            allow: None,
        }
    }

    /// A 405 for a resource that supports `allow` (RFC 9110 §15.5.6: "The
    /// origin server MUST generate an Allow header field in a 405").
    pub(crate) fn method_not_allowed(allow: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            allow: Some(allow),
            ..ApiError::new(ErrorKind::MethodNotAllowed, message)
        }
    }

    /// The same error, pointing at a request field.
    pub(crate) fn at(mut self, place: &'static str, name: &'static str) -> ApiError {
        self.path = Some([place, name]);
        self
    }

    /// The envelope as JSON bytes (with a string code under the
    /// `error-code-string` fault).
    pub(crate) fn envelope(&self, string_code: bool) -> Vec<u8> {
        #[derive(Serialize)]
        #[serde(untagged)]
        enum Code {
            Int(u32),
            Str(&'static str),
        }
        #[derive(Serialize)]
        struct Entry<'a> {
            code: Code,
            message: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            path: Option<[&'static str; 2]>,
        }
        #[derive(Serialize)]
        struct Envelope<'a> {
            success: bool,
            errors: [Entry<'a>; 1],
            result: serde_json::Map<String, serde_json::Value>,
        }
        let row = self.kind.code();
        let env = Envelope {
            success: false,
            errors: [Entry {
                code: if string_code {
                    Code::Str(row.name)
                } else {
                    Code::Int(row.code)
                },
                message: &self.message,
                path: self.path,
            }],
            result: serde_json::Map::new(),
        };
        serde_json::to_vec(&env).unwrap_or_default()
    }

    /// D-INTRO's envelope, `{"error": {"code": "not_found", "message":
    /// "..."}}` (the alternate dialect's).
    pub(crate) fn simple_envelope(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct Inner<'a> {
            code: &'static str,
            message: &'a str,
        }
        #[derive(Serialize)]
        struct Envelope<'a> {
            error: Inner<'a>,
        }
        let env = Envelope {
            error: Inner {
                code: self.kind.code().name,
                message: &self.message,
            },
        };
        serde_json::to_vec(&env).unwrap_or_default()
    }

    /// Status and body of this error in `dialect`.
    pub(crate) fn rendered(&self, dialect: Dialect) -> (StatusCode, Vec<u8>) {
        let status = StatusCode::from_u16(self.kind.status_in(dialect))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = match dialect {
            Dialect::Akua => self.envelope(false),
            Dialect::Alternate => self.simple_envelope(),
        };
        (status, body)
    }

    /// The response of this error in `dialect`.
    pub(crate) fn response_in(self, dialect: Dialect) -> Response {
        let (status, body) = self.rendered(dialect);
        let mut resp = (status, body).into_response();
        let headers = resp.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self.kind == ErrorKind::Unauthenticated {
            // RFC 6750 §3: a 401 names the scheme.
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(allow) = self.allow {
            headers.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        // Kept so the dialect and error-fault layers can re-render it.
        resp.extensions_mut().insert(self);
        resp
    }
}

impl IntoResponse for ApiError {
    /// akua's rendering; the alternate dialect's router re-renders errors
    /// from the [`ApiError`] kept in the response's extensions.
    fn into_response(self) -> Response {
        self.response_in(Dialect::Akua)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn code_table_is_complete_and_unique() {
        let codes: HashSet<u32> = ERROR_CODES.iter().map(|c| c.code).collect();
        assert_eq!(codes.len(), ERROR_CODES.len());
        assert_eq!(ErrorKind::AlreadyDone.code().status, 422);
        assert_eq!(ErrorKind::PreconditionFailed.code().status, 409);
    }

    #[test]
    fn envelope_has_the_documented_shape() {
        let e = ApiError::new(ErrorKind::NotFound, "operation op_x not found").at("path", "id");
        let v: serde_json::Value = serde_json::from_slice(&e.envelope(false)).unwrap();
        assert_eq!(v["success"], false);
        assert_eq!(v["errors"][0]["code"], 1004);
        assert_eq!(v["errors"][0]["path"][1], "id");
        assert_eq!(v["result"], serde_json::json!({}));
        let v: serde_json::Value = serde_json::from_slice(&e.envelope(true)).unwrap();
        assert_eq!(v["errors"][0]["code"], "not_found");
    }

    #[test]
    fn the_alternate_dialect_has_its_statuses_and_envelope() {
        let alt = Dialect::Alternate;
        for (kind, akua, alternate) in [
            (ErrorKind::InvalidId, 400, 422),
            (ErrorKind::InvalidTimeout, 400, 422),
            (ErrorKind::PreconditionFailed, 409, 412),
            (ErrorKind::AlreadyDone, 422, 409),
            (ErrorKind::IdempotencyKeyReused, 409, 422),
            (ErrorKind::IdempotencyKeyInFlight, 409, 409),
            (ErrorKind::NotFound, 404, 404),
            (ErrorKind::Forbidden, 403, 403),
        ] {
            assert_eq!(kind.status_in(Dialect::Akua), akua, "{kind:?}");
            assert_eq!(kind.status_in(alt), alternate, "{kind:?}");
        }
        let e = ApiError::new(ErrorKind::NotFound, "operation op_x not found");
        let (status, body) = e.rendered(alt);
        assert_eq!(status, 404);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"error": {"code": "not_found", "message": "operation op_x not found"}})
        );
        let r = ApiError::method_not_allowed("POST", ":wait takes POST").response_in(alt);
        assert_eq!(r.status(), 405);
        assert_eq!(r.headers()[header::ALLOW], "POST");
    }

    #[test]
    fn response_is_json_with_the_status() {
        let r = ApiError::new(ErrorKind::Unauthenticated, "missing bearer token").into_response();
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(r.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }
}
