//! One generated request, as data: serialisable (regressions replay it),
//! independent of the target (fixtures are named by slot, not by id).

use serde::{Deserialize, Serialize};

/// The endpoint a request is aimed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verb {
    /// `POST /operations/{id}:cancel`
    Cancel,
    /// `POST /operations/{id}:wait`
    Wait,
    /// `GET /operations/{id}`
    Get,
    /// `GET /operations`
    List,
}

impl Verb {
    /// The method the contract routes this endpoint on.
    pub fn method(self) -> Method {
        match self {
            Verb::Cancel | Verb::Wait => Method::Post,
            Verb::Get | Verb::List => Method::Get,
        }
    }

    /// The contract's endpoint.
    pub fn endpoint(self) -> crate::contract::Endpoint {
        use crate::contract::Endpoint;
        match self {
            Verb::Cancel => Endpoint::Cancel,
            Verb::Wait => Endpoint::Wait,
            Verb::Get => Endpoint::Get,
            Verb::List => Endpoint::List,
        }
    }
}

/// HTTP methods the fuzzer sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// DELETE
    Delete,
    /// PATCH
    Patch,
}

impl Method {
    /// The method name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
        }
    }
}

/// A fixture operation the run created, by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Slot {
    /// A RUNNING operation shared by reads (never cancelled).
    Running,
    /// A RUNNING operation created for this one request (cancels).
    FreshRunning,
    /// A SUCCEEDED operation.
    Succeeded,
    /// A FAILED operation.
    Failed,
    /// A CANCELLED operation.
    Cancelled,
}

impl Slot {
    /// The fixture-provider state that creates it.
    pub fn fixture_state(self) -> crate::case::FixtureState {
        use crate::case::FixtureState;
        match self {
            Slot::Running | Slot::FreshRunning => FixtureState::Running,
            Slot::Succeeded => FixtureState::Succeeded,
            Slot::Failed => FixtureState::Failed,
            Slot::Cancelled => FixtureState::Cancelled,
        }
    }

    /// True for the terminal slots.
    pub fn is_terminal(self) -> bool {
        matches!(self, Slot::Succeeded | Slot::Failed | Slot::Cancelled)
    }
}

/// The `{id}` path segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdSpec {
    /// A fixture's id, prefixed (`op_…`) or bare.
    Fixture {
        /// Which fixture.
        slot: Slot,
        /// Send it without the `op_` prefix.
        bare: bool,
    },
    /// An id no fixture has, percent-encoded into the path by the executor.
    Literal(String),
    /// A path segment sent exactly as written (odd percent-encodings).
    RawSegment(String),
}

/// Which credential goes in `Authorization`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthSpec {
    /// `Bearer <token>`.
    Token,
    /// No header.
    None,
    /// A well-formed bearer no target knows.
    Invalid,
    /// `Basic abc`.
    Malformed,
}

/// The `akua-context` header.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContextSpec {
    /// The token's own workspace (`--context`, or `ws_alpha` on the embedded reference).
    Workspace,
    /// Any other value.
    Literal(String),
}

/// The `if-match` header.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IfMatchSpec {
    /// The operation's current entity-tag.
    Current,
    /// A tag the operation never had.
    Stale,
    /// `"stale", <current>`: RFC 9110 matches any member.
    StaleThenCurrent,
    /// `<current>, "stale"`.
    CurrentThenStale,
    /// `*`.
    Star,
    /// Any other value (length bounds, odd characters).
    Literal(String),
}

/// The stale entity-tag the fuzzer sends.
pub const STALE_TAG: &str = "\"opconform-stale\"";

/// Which header a duplicate is sent for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DupHeader {
    /// `idempotency-key` twice.
    IdempotencyKey,
    /// `if-match` twice.
    IfMatch,
    /// `akua-context` twice.
    AkuaContext,
}

impl DupHeader {
    /// The header name.
    pub fn name(self) -> &'static str {
        match self {
            DupHeader::IdempotencyKey => "idempotency-key",
            DupHeader::IfMatch => "if-match",
            DupHeader::AkuaContext => "akua-context",
        }
    }
}

/// One generated request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FuzzRequest {
    /// The endpoint aimed at.
    pub verb: Verb,
    /// The method sent (usually `verb.method()`).
    pub method: Method,
    /// The operation id (unused for the list).
    pub id: IdSpec,
    /// `%3A` instead of `:` before the verb.
    pub colon_encoded: bool,
    /// The credential.
    pub auth: AuthSpec,
    /// `akua-context`, if sent.
    pub context: Option<ContextSpec>,
    /// `idempotency-key`, if sent.
    pub idempotency_key: Option<String>,
    /// `if-match`, if sent.
    pub if_match: Option<IfMatchSpec>,
    /// Send this header a second time with the value `dup`.
    pub duplicate: Option<DupHeader>,
    /// Query parameters in order (`timeout`, `limit`, `owner_type`, `owner_id`).
    pub query: Vec<(String, String)>,
}

impl FuzzRequest {
    /// A plain valid request for `verb` on `slot` (a starting point for tests).
    pub fn plain(verb: Verb, slot: Slot) -> FuzzRequest {
        FuzzRequest {
            verb,
            method: verb.method(),
            id: IdSpec::Fixture { slot, bare: false },
            colon_encoded: false,
            auth: AuthSpec::Token,
            context: None,
            idempotency_key: None,
            if_match: None,
            duplicate: None,
            query: Vec::new(),
        }
    }

    /// The first value of query parameter `name`.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The fixture slot the request names, if any.
    pub fn slot(&self) -> Option<Slot> {
        match (&self.id, self.verb) {
            (_, Verb::List) => None,
            (IdSpec::Fixture { slot, .. }, _) => Some(*slot),
            _ => None,
        }
    }

    /// True when the id segment carries an If-Match that needs the current tag.
    pub fn needs_etag(&self) -> bool {
        matches!(
            self.if_match,
            Some(
                IfMatchSpec::Current
                    | IfMatchSpec::StaleThenCurrent
                    | IfMatchSpec::CurrentThenStale
            )
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_through_json() {
        let mut r = FuzzRequest::plain(Verb::Cancel, Slot::FreshRunning);
        r.if_match = Some(IfMatchSpec::StaleThenCurrent);
        r.query.push(("limit".into(), "0".into()));
        let text = serde_json::to_string(&r).expect("serialises");
        let back: FuzzRequest = serde_json::from_str(&text).expect("parses");
        assert_eq!(back, r);
        assert!(back.needs_etag());
        assert_eq!(back.slot(), Some(Slot::FreshRunning));
        assert_eq!(back.query_param("limit"), Some("0"));
    }

    #[test]
    fn verbs_route_on_their_methods() {
        assert_eq!(Verb::Cancel.method(), Method::Post);
        assert_eq!(Verb::List.method(), Method::Get);
        assert!(Slot::Failed.is_terminal() && !Slot::FreshRunning.is_terminal());
    }
}
