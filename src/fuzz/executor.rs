//! Sending generated requests: one pooled client (no retries, no proxy, no
//! redirects, body cap — the runner's rules), the run's fixtures, and the
//! rendering of a [`FuzzRequest`] into method, URL and headers.
//!
//! The runner's `HttpClient` records and redacts every exchange; the fuzzer
//! sends thousands of requests a second and records only counterexamples,
//! so it keeps its own lean send path and builds [`Exchange`]s on demand.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::model::{Exchange, RecordedRequest, RecordedResponse};
use crate::redact::Redactor;
use crate::target::{
    EXCERPT_CAP, Pacer, PacingOptions, Target, TransportOptions, WAIT_INTERVAL, describe,
};

use super::body_cache::BodyCache;
use super::input::{
    AuthSpec, ContextSpec, FuzzRequest, IdSpec, IfMatchSpec, STALE_TAG, Slot, Verb,
};
use super::recent::Recent;
use super::strategies::OWNER_PLACEHOLDER;
use super::wire::Wire;

/// Path characters left as they are: unreserved ones.
const PATH_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'~')
    .remove(b'.');

/// Idempotency keys a session remembers at least (two generations of this
/// many are kept: bounded memory in long sessions). A key is seen again
/// within a session only when drawn twice (shrinking draws simple keys
/// again and again, close together).
const KEYS_REMEMBERED: usize = 1 << 20;

/// Characters of a session's key nonce.
pub const KEY_NONCE_LEN: usize = 8;

/// Keys at least this long (inside optional quotes) carry the session's
/// nonce; shorter ones may repeat an earlier session's key.
pub const KEY_NONCE_MIN: usize = 12;

/// A bearer token no target can know.
const INVALID_TOKEN: &str = "sk_akua_opconform_invalid_0000";

/// One fixture operation the run created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixture {
    /// Its id (`op_…`).
    pub id: String,
    /// Its entity-tag at creation, as sent in `ETag`.
    pub etag: Option<String>,
}

/// A request rendered for the wire.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Method.
    pub method: &'static str,
    /// Absolute URL.
    pub url: String,
    /// Headers in send order (unredacted; values may be non-UTF-8-safe strings).
    pub headers: Vec<(&'static str, String)>,
    /// Longest acceptable time to the end of the body.
    pub deadline: Duration,
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Observed {
    /// Status, when a response arrived.
    pub status: Option<u16>,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// Body bytes (up to the cap).
    pub body: Vec<u8>,
    /// Transport error or timeout.
    pub error: Option<String>,
    /// True when the error was the deadline.
    pub timed_out: bool,
    /// Time to the end of the body.
    pub elapsed: Duration,
}

impl Observed {
    /// First header with this name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Setting up or sending failed in a way that stops the run.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The client could not be built.
    #[error("build http client: {0}")]
    Client(#[from] reqwest::Error),
    /// The target did not answer.
    #[error("reach the target: {0}")]
    Unreachable(String),
    /// The fixture provider answered, but not with an operation.
    #[error("create a {state} fixture: {message}")]
    Fixture {
        /// The requested state.
        state: &'static str,
        /// What went wrong.
        message: String,
    },
}

/// The client, the target and the run's shared fixtures.
#[derive(Debug)]
pub struct Executor {
    /// The general client (TLS), built on first use.
    client: std::sync::OnceLock<reqwest::Client>,
    /// The lean client, for a plain-`http` target (else `client` sends).
    wire: Option<Wire>,
    /// The lean client for a plain-`http` fixture provider.
    fixture_wire: Option<Wire>,
    target: Target,
    redactor: Redactor,
    body_cap: usize,
    request_timeout: Duration,
    /// The session's rate limiter, shared by every thread; `None` (no
    /// `--rate`) costs the hot path one branch.
    pacer: Option<Arc<Pacer>>,
    /// Owner of the shared fixtures (list filters use it).
    pub owner_id: String,
    /// Owner of per-request fixtures (kept out of filtered lists).
    fresh_owner_id: String,
    /// This session's mark on idempotency keys (see [`Executor::session_key`]).
    key_nonce: String,
    shared: HashMap<Slot, Fixture>,
    keys_seen: Arc<Recent>,
    /// Responses already judged clean (checks are not repeated on them).
    pub clean: Arc<BodyCache>,
}

fn new_owner() -> String {
    format!("inst_{}", uuid::Uuid::new_v4().simple())
}

impl Executor {
    /// A client for `target`; no request is sent yet. Redirects are never
    /// followed (a redirect status is judged like any other), whatever the
    /// target's transport says.
    pub fn new(target: Target, request_timeout: Duration) -> Result<Executor, ExecError> {
        let client = std::sync::OnceLock::new();
        let wire = Wire::for_url(&target.base_url);
        let fixture_wire = target.fixtures_url.as_deref().and_then(Wire::for_url);
        let redactor = target.redactor();
        if let Some(pem) = &target.transport.ca_cert_pem {
            // Checked now, though the TLS client is built on first use: a bad
            // certificate is an error before anything is sent.
            reqwest::Certificate::from_pem_bundle(pem)?;
        }
        let pacer = target.pacing.rate.map(|rate| {
            Arc::new(Pacer::new(PacingOptions {
                rate: Some(rate),
                ..PacingOptions::default()
            }))
        });
        Ok(Executor {
            client,
            wire,
            fixture_wire,
            body_cap: target.body_cap(),
            target,
            redactor,
            request_timeout,
            pacer,
            owner_id: new_owner(),
            fresh_owner_id: new_owner(),
            key_nonce: uuid::Uuid::new_v4().simple().to_string()[..KEY_NONCE_LEN].to_string(),
            shared: HashMap::new(),
            keys_seen: Arc::new(Recent::new(KEYS_REMEMBERED)),
            clean: Arc::new(BodyCache::new()),
        })
    }

    /// The general client, built on first use (an `https` target or
    /// fixture provider): loading the TLS roots costs more than a short
    /// session against a plain-`http` target sends.
    fn general(&self) -> Result<&reqwest::Client, ExecError> {
        if let Some(c) = self.client.get() {
            return Ok(c);
        }
        let builder = reqwest::Client::builder()
            .retry(reqwest::retry::never())
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("opconform-fuzz/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(1024);
        let tls = TransportOptions {
            follow_redirects: false,
            ..self.target.transport.clone()
        };
        let built = crate::target::configure_tls(builder, &tls)?.build()?;
        Ok(self.client.get_or_init(|| built))
    }

    /// The same run (target, fixtures, keys sent, clean responses) with a
    /// client of its own: connections belong to the runtime that opened
    /// them, so each thread that sends gets its own.
    pub fn sibling(&self) -> Result<Executor, ExecError> {
        Ok(Executor {
            client: std::sync::OnceLock::new(),
            wire: Wire::for_url(&self.target.base_url),
            fixture_wire: self.target.fixtures_url.as_deref().and_then(Wire::for_url),
            target: self.target.clone(),
            redactor: self.redactor.clone(),
            body_cap: self.body_cap,
            request_timeout: self.request_timeout,
            pacer: self.pacer.clone(),
            owner_id: self.owner_id.clone(),
            fresh_owner_id: self.fresh_owner_id.clone(),
            key_nonce: self.key_nonce.clone(),
            shared: self.shared.clone(),
            keys_seen: Arc::clone(&self.keys_seen),
            clean: Arc::clone(&self.clean),
        })
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The redactor for recorded strings.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// The run's shared fixtures, by slot (empty without a provider).
    pub fn shared_fixtures(&self) -> &HashMap<Slot, Fixture> {
        &self.shared
    }

    /// True when fixtures can be created.
    pub fn has_fixtures(&self) -> bool {
        self.target.fixtures_url.is_some()
    }

    /// Checks the target answers (`GET /operations?limit=1`; polled for up
    /// to [`Target::wait_for_target`] when set) and creates the shared
    /// fixtures (one per slot) when a provider is configured.
    pub async fn setup(&mut self) -> Result<(), ExecError> {
        match self.target.wait_for_target {
            None => self.probe().await.map_err(ExecError::Unreachable)?,
            Some(wait) => {
                let late = || {
                    self.redactor
                        .redact(&format!(
                            "{}: did not answer within --wait-for-target",
                            self.target.base_url
                        ))
                        .into_owned()
                };
                crate::target::poll_until_answers(wait, WAIT_INTERVAL, late, || self.probe())
                    .await
                    .map_err(ExecError::Unreachable)?;
            }
        }
        if self.has_fixtures() {
            // Terminal fixtures first: providers back-date their started_at, and
            // lists are checked newest first by started_at.
            for slot in [
                Slot::Succeeded,
                Slot::Failed,
                Slot::Cancelled,
                Slot::Running,
            ] {
                let owner = self.owner_id.clone();
                let f = self
                    .create_fixture(slot.fixture_state().as_str(), &owner)
                    .await?;
                self.shared.insert(slot, f);
            }
        }
        Ok(())
    }

    /// One probe: any response counts as an answer.
    async fn probe(&self) -> Result<(), String> {
        let probe = Prepared {
            method: "GET",
            url: format!("{}/operations?limit=1", self.base()),
            headers: self.auth_headers(AuthSpec::Token),
            deadline: self.request_timeout,
        };
        let seen = self.send(&probe).await;
        if seen.status.is_some() {
            return Ok(());
        }
        Err(self
            .redactor
            .redact(&format!(
                "{}: {}",
                self.target.base_url,
                seen.error.unwrap_or_default()
            ))
            .into_owned())
    }

    /// Waits for the rate limiter, when there is one.
    async fn pace(&self) {
        if let Some(p) = &self.pacer {
            p.ready().await;
        }
    }

    fn base(&self) -> &str {
        self.target.base_url.trim_end_matches('/')
    }

    /// The endpoint a prepared request names, as the runner's judge reads
    /// it (`judge::route`): the path as sent, below the base URL's path.
    pub fn endpoint_of(&self, p: &Prepared) -> crate::contract::Endpoint {
        let base_path = self
            .base()
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
            .unwrap_or("");
        crate::judge::route::route_of_url(p.method, &p.url, base_path).endpoint
    }

    fn auth_headers(&self, auth: AuthSpec) -> Vec<(&'static str, String)> {
        let mut h = Vec::with_capacity(6);
        match auth {
            AuthSpec::Token => {
                if let Some(t) = &self.target.token {
                    h.push(("authorization", format!("Bearer {t}")));
                }
            }
            AuthSpec::None => {}
            AuthSpec::Invalid => h.push(("authorization", format!("Bearer {INVALID_TOKEN}"))),
            AuthSpec::Malformed => h.push(("authorization", "Basic abc".to_string())),
        }
        h.push(("accept", "application/json".to_string()));
        h
    }

    /// Creates one operation through the fixture provider.
    pub async fn create_fixture(
        &self,
        state: &'static str,
        owner_id: &str,
    ) -> Result<Fixture, ExecError> {
        let Some(url) = &self.target.fixtures_url else {
            return Err(ExecError::Fixture {
                state,
                message: "no fixture provider (--fixtures)".into(),
            });
        };
        let body =
            serde_json::json!({"state": state, "owner_type": "install", "owner_id": owner_id});
        let fail = |message: String| ExecError::Fixture { state, message };
        let redact = |m: &str| self.redactor.redact(m).into_owned();
        self.pace().await;
        let (status, etag, bytes) = if let Some(wire) = &self.fixture_wire {
            let mut headers = HeaderMap::with_capacity(3);
            headers.insert(
                reqwest::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            if let Some(t) = &self.target.token {
                let v = HeaderValue::from_str(&format!("Bearer {t}"))
                    .map_err(|_| fail("the token is not a valid header value".into()))?;
                headers.insert(reqwest::header::AUTHORIZATION, v);
            }
            let target =
                super::wire::target_of(url, wire.origin()).map_err(|e| fail(redact(&e)))?;
            let sent = tokio::time::timeout(
                self.request_timeout,
                wire.send(
                    &reqwest::Method::POST,
                    &target,
                    &headers,
                    bytes::Bytes::from(body.to_string()),
                    self.body_cap,
                ),
            )
            .await
            .map_err(|_| {
                fail(format!(
                    "no response within {} ms",
                    self.request_timeout.as_millis()
                ))
            })?;
            let (status, headers, bytes, error) = sent.map_err(|e| {
                if e.connect {
                    ExecError::Unreachable(redact(&e.message))
                } else {
                    fail(redact(&e.message))
                }
            })?;
            if let Some(e) = error {
                return Err(fail(redact(&e)));
            }
            let etag = headers
                .into_iter()
                .find(|(k, _)| k == "etag")
                .map(|(_, v)| v);
            (status, etag, bytes::Bytes::from(bytes))
        } else {
            let mut req = self
                .general()?
                .post(url)
                .timeout(self.request_timeout)
                .json(&body);
            if let Some(t) = &self.target.token {
                req = req.bearer_auth(t);
            }
            let resp = req.send().await.map_err(|e| {
                if e.is_connect() {
                    ExecError::Unreachable(redact(&e.to_string()))
                } else {
                    fail(redact(&e.to_string()))
                }
            })?;
            let status = resp.status().as_u16();
            let etag = resp
                .headers()
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let bytes = resp.bytes().await.map_err(|e| fail(e.to_string()))?;
            (status, etag, bytes)
        };
        if !(200..300).contains(&status) {
            return Err(fail(format!("the provider answered {status}")));
        }
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| fail(format!("body is not JSON: {e}")))?;
        let id = value
            .get("id")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| fail("the body has no string `id`".into()))?;
        Ok(Fixture {
            id: id.to_string(),
            etag,
        })
    }

    /// The idempotency key as this session sends it. Keys live for hours on
    /// a target, so a key a generator drew again in a later session (the
    /// same seed, say) would meet the earlier session's request. A key of
    /// [`KEY_NONCE_MIN`] or more visible ASCII characters, spaces or tabs (inside optional
    /// quotes) gets its first characters replaced with this session's
    /// nonce: same length, still valid, unique to the session; the same
    /// drawn key twice in one session stays the same key. Other keys (short,
    /// non-ASCII, with control characters) are sent as drawn.
    pub fn session_key(&self, key: &str) -> String {
        let Some(start) = nonce_offset(key) else {
            return key.to_string();
        };
        let mut out = String::with_capacity(key.len());
        out.push_str(&key[..start]);
        out.push_str(&self.key_nonce);
        out.push_str(&key[start + KEY_NONCE_LEN..]);
        out
    }

    /// Whether this key was sent before, and remembers it. Keys are
    /// compared as the server sees them: trimmed, and `"k"` (the RFC 8941
    /// String form of the IETF draft) is the same key as `k`.
    pub fn key_seen(&self, key: &str) -> bool {
        let key = key.trim_matches([' ', '\t']);
        let key = match key.strip_prefix('"').and_then(|k| k.strip_suffix('"')) {
            Some(inner) if !inner.is_empty() => inner,
            _ => key,
        };
        self.keys_seen.insert(self.keys_seen.key_of(key))
    }

    /// The fixture a request acts on: shared, or a fresh one for
    /// [`Slot::FreshRunning`].
    pub async fn fixture_for(&self, req: &FuzzRequest) -> Result<Option<Fixture>, ExecError> {
        match req.slot() {
            None => Ok(None),
            Some(Slot::FreshRunning) => {
                let owner = self.fresh_owner_id.clone();
                self.create_fixture("running", &owner).await.map(Some)
            }
            Some(slot) => Ok(self.shared.get(&slot).cloned()),
        }
    }

    /// Renders `req` against `fixture` (the slot's operation, if any).
    pub fn render(&self, req: &FuzzRequest, fixture: Option<&Fixture>) -> Prepared {
        let mut url = String::with_capacity(self.target.base_url.len() + 96);
        url.push_str(self.base());
        url.push_str("/operations");
        if req.verb != Verb::List {
            url.push('/');
            match &req.id {
                IdSpec::Fixture { bare, .. } => {
                    let id = fixture.map_or("op_missing_fixture", |f| f.id.as_str());
                    let id = if *bare {
                        id.strip_prefix("op_").unwrap_or(id)
                    } else {
                        id
                    };
                    url.extend(utf8_percent_encode(id, PATH_SET));
                }
                IdSpec::Literal(id) => url.extend(utf8_percent_encode(id, PATH_SET)),
                IdSpec::RawSegment(raw) => url.push_str(raw),
            }
            let colon = if req.colon_encoded { "%3A" } else { ":" };
            match req.verb {
                Verb::Cancel => {
                    url.push_str(colon);
                    url.push_str("cancel");
                }
                Verb::Wait => {
                    url.push_str(colon);
                    url.push_str("wait");
                }
                Verb::Get | Verb::List => {}
            }
        }
        if !req.query.is_empty() {
            let mut ser = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in &req.query {
                let v = if v == OWNER_PLACEHOLDER {
                    self.owner_id.as_str()
                } else {
                    v.as_str()
                };
                ser.append_pair(k, v);
            }
            url.push('?');
            url.push_str(&ser.finish());
        }
        let mut headers = self.auth_headers(req.auth);
        match &req.context {
            None => {}
            Some(ContextSpec::Workspace) => {
                if let Some(ws) = &self.target.context {
                    headers.push(("akua-context", ws.clone()));
                }
            }
            Some(ContextSpec::Literal(v)) => headers.push(("akua-context", v.clone())),
        }
        if req.verb == Verb::Cancel {
            if let Some(k) = &req.idempotency_key {
                headers.push(("idempotency-key", self.session_key(k)));
            }
            if let Some(m) = &req.if_match {
                let current = fixture.and_then(|f| f.etag.as_deref()).unwrap_or(STALE_TAG);
                headers.push(("if-match", if_match_value(m, current)));
            }
        }
        if let Some(dup) = req.duplicate {
            headers.push((dup.name(), "dup".to_string()));
        }
        let mut deadline = self.request_timeout;
        if req.verb == Verb::Wait
            && let Some(t) = req
                .query_param("timeout")
                .and_then(|t| t.parse::<u64>().ok())
            && t <= 60
        {
            deadline = deadline.max(Duration::from_secs(t + 5));
        }
        Prepared {
            method: req.method.as_str(),
            url,
            headers,
            deadline,
        }
    }

    /// A request for a path below the base URL with the run's token.
    pub fn plain(
        &self,
        method: &'static str,
        path_and_query: &str,
        extra: Vec<(&'static str, String)>,
    ) -> Prepared {
        let mut headers = self.auth_headers(AuthSpec::Token);
        headers.extend(extra);
        Prepared {
            method,
            url: format!("{}{path_and_query}", self.base()),
            headers,
            deadline: self.request_timeout,
        }
    }

    /// True when the run's cancel guard lets `prepared` go: a request on
    /// one of the session's fixtures always may; any other (a generated or
    /// raw id) goes through the runner's guard, read as a lenient server
    /// or proxy might read the path, so that nothing the session sends can
    /// cancel an operation it did not create (the id must then carry
    /// `opconform`, be empty or be longer than any id; see `target::safety`).
    /// A wrong method on an operation (`DELETE /operations/7`) is held to
    /// the runner's rule for any request that may change an operation
    /// ([`crate::target::may_name`]): it names a fabricated id too.
    pub fn may_send(&self, req: &FuzzRequest, prepared: &Prepared) -> bool {
        if matches!(req.id, IdSpec::Fixture { .. }) {
            return true;
        }
        let guarded = match guard_shortcut(req, prepared) {
            Some(answer) => answer,
            None => self.guard(prepared),
        };
        // The contract's methods on the contract's paths are a read, a
        // `:wait` or a cancel, which the guard has judged.
        guarded && (req.method == req.verb.method() || self.may_change(prepared))
    }

    /// The runner's rule for a request that may change an operation: a GET
    /// or HEAD, a `:wait`, or one naming a fabricated id (marked, empty, or
    /// longer than any id).
    fn may_change(&self, prepared: &Prepared) -> bool {
        if matches!(prepared.method, "GET" | "HEAD") {
            return true;
        }
        let base_path = self
            .base()
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
            .unwrap_or("");
        let route = crate::judge::route::route_of_url(prepared.method, &prepared.url, base_path);
        route.op_id.is_none_or(|id| {
            crate::target::may_name(prepared.method, route.endpoint, &id, &|_| false)
        })
    }

    /// The runner's cancel guard itself.
    fn guard(&self, prepared: &Prepared) -> bool {
        crate::target::cancel_guard(
            prepared.method,
            &prepared.url,
            &self.target.base_url,
            &|_| false,
        )
        .is_ok()
    }

    /// True when the client would refuse these headers (control characters).
    pub fn unsendable(prepared: &Prepared) -> bool {
        prepared
            .headers
            .iter()
            .any(|(_, v)| HeaderValue::from_bytes(v.as_bytes()).is_err())
    }

    /// Sends one request; never fails (transport errors are in the result).
    pub async fn send(&self, p: &Prepared) -> Observed {
        self.pace().await;
        let started = Instant::now();
        let outcome = tokio::time::timeout(p.deadline, self.exchange(p)).await;
        let elapsed = started.elapsed();
        match outcome {
            Ok(Ok((status, headers, body, error))) => Observed {
                status: Some(status),
                headers,
                body,
                error,
                timed_out: false,
                elapsed,
            },
            Ok(Err(e)) => Observed {
                status: None,
                headers: Vec::new(),
                body: Vec::new(),
                error: Some(self.redactor.redact(&e).into_owned()),
                timed_out: false,
                elapsed,
            },
            Err(_) => Observed {
                status: None,
                headers: Vec::new(),
                body: Vec::new(),
                error: Some(format!(
                    "no complete response within {} ms",
                    p.deadline.as_millis()
                )),
                timed_out: true,
                elapsed,
            },
        }
    }

    async fn exchange(
        &self,
        p: &Prepared,
    ) -> Result<(u16, Vec<(String, String)>, Vec<u8>, Option<String>), String> {
        let method = reqwest::Method::from_bytes(p.method.as_bytes()).map_err(|e| e.to_string())?;
        let mut headers = HeaderMap::with_capacity(p.headers.len());
        for (k, v) in &p.headers {
            let value = HeaderValue::from_bytes(v.as_bytes())
                .map_err(|e| format!("invalid value for header `{k}`: {e}"))?;
            headers.append(HeaderName::from_static(k), value);
        }
        if let Some(wire) = &self.wire {
            // The request target as a URL parser normalises it, exactly as
            // the general client (and the request dump) send it.
            let target = super::wire::target_of(&p.url, wire.origin())?;
            return wire
                .send(
                    &method,
                    &target,
                    &headers,
                    bytes::Bytes::new(),
                    self.body_cap,
                )
                .await
                .map_err(|e| e.message);
        }
        let mut resp = self
            .general()
            .map_err(|e| e.to_string())?
            .request(method, p.url.as_str())
            .headers(headers)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let status = resp.status().as_u16();
        let headers = crate::model::header_pairs(resp.headers());
        // Sized from Content-Length (capped) so a body is not regrown and
        // copied chunk by chunk.
        let hint = resp
            .content_length()
            .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX))
            .min(self.body_cap)
            .min(1024 * 1024);
        let mut body = Vec::with_capacity(hint);
        let mut error = None;
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > self.body_cap {
                        let room = self.body_cap - body.len();
                        body.extend_from_slice(&chunk[..room]);
                        error = Some(super::wire::over_cap(self.body_cap));
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    error = Some(format!("read response body: {}", describe(&e)));
                    break;
                }
            }
        }
        Ok((status, headers, body, error))
    }

    /// A lean, unredacted exchange for the body checks (which read only the
    /// status and response headers); never stored.
    pub fn for_checks(p: &Prepared, seen: &Observed) -> Exchange {
        Exchange {
            request: RecordedRequest {
                method: p.method.to_string(),
                url: p.url.clone(),
                headers: Vec::new(),
                body: None,
            },
            response: seen.status.map(|status| RecordedResponse {
                status,
                headers: seen.headers.clone(),
                body_excerpt: String::new(),
                body_truncated: false,
                body_bytes: seen.body.len() as u64,
            }),
            error: None,
            elapsed_ms: 0,
            retries: 0,
            at_ms: 0,
        }
    }

    /// The redacted record of one exchange (for reports and reproducers).
    pub fn record(&self, p: &Prepared, seen: &Observed) -> Exchange {
        let r = |s: &str| self.redactor.redact(s).into_owned();
        let request = RecordedRequest {
            method: p.method.to_string(),
            url: r(&p.url),
            headers: p
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), r(v)))
                .collect(),
            body: None,
        };
        let response = seen.status.map(|status| {
            let cut = seen.body.len().min(EXCERPT_CAP);
            RecordedResponse {
                status,
                headers: seen
                    .headers
                    .iter()
                    .map(|(k, v)| (k.clone(), r(v)))
                    .collect(),
                body_excerpt: r(&String::from_utf8_lossy(&seen.body[..cut])),
                body_truncated: cut < seen.body.len(),
                body_bytes: seen.body.len() as u64,
            }
        });
        Exchange {
            request,
            response,
            error: seen.error.as_deref().map(r),
            elapsed_ms: seen.elapsed.as_millis() as u64,
            retries: 0,
            at_ms: 0,
        }
    }
}

/// Where a session's nonce goes in `key` ([`KEY_NONCE_LEN`] bytes from
/// there), or `None` when the key is sent as drawn: fewer than
/// [`KEY_NONCE_MIN`] characters inside its optional quotes and blanks, or
/// anything but visible ASCII, spaces and tabs.
pub fn nonce_offset(key: &str) -> Option<usize> {
    let trimmed = key.trim_matches([' ', '\t']);
    let lead = key.len() - key.trim_start_matches([' ', '\t']).len();
    let quoted = trimmed.len() >= 2 && trimmed.starts_with('"') && trimmed.ends_with('"');
    let inner = &trimmed[usize::from(quoted)..trimmed.len() - usize::from(quoted)];
    let plain = inner
        .bytes()
        .all(|b| b.is_ascii_graphic() || b == b' ' || b == b'\t');
    (inner.len() >= KEY_NONCE_MIN && plain).then_some(lead + usize::from(quoted))
}

/// The cancel guard's answer for the common shapes, without parsing and
/// decoding the URL (the guard's cost showed in the request rate); `None`
/// when only the guard itself can tell. A read method is never a cancel; a
/// path with no `%` and no `cancel` in it cannot be one; a cancel of a
/// literal id made only of unreserved characters names exactly that id,
/// which the guard accepts when it carries the marker, is empty, or is
/// longer than any id. A property test holds it to the guard.
fn guard_shortcut(req: &FuzzRequest, prepared: &Prepared) -> Option<bool> {
    if matches!(prepared.method, "GET" | "HEAD" | "OPTIONS") {
        return Some(true);
    }
    let path = prepared.url.split(['?', '#']).next().unwrap_or("");
    if !path.contains('%') && !contains_ignore_case(path, "cancel") {
        return Some(true);
    }
    if req.verb != Verb::Cancel || req.colon_encoded {
        return None;
    }
    let IdSpec::Literal(id) = &req.id else {
        return None;
    };
    let unreserved = id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~'));
    unreserved.then(|| {
        id.is_empty()
            || id.len() > crate::fuzz::oracle::ID_MAX
            || contains_ignore_case(id, "opconform")
    })
}

/// `needle` in `hay`, ASCII case folded, without allocating.
fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    hay.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// The If-Match header value for `spec` given the current tag.
pub fn if_match_value(spec: &IfMatchSpec, current: &str) -> String {
    match spec {
        IfMatchSpec::Current => current.to_string(),
        IfMatchSpec::Stale => STALE_TAG.to_string(),
        IfMatchSpec::StaleThenCurrent => format!("{STALE_TAG}, {current}"),
        IfMatchSpec::CurrentThenStale => format!("{current}, {STALE_TAG}"),
        IfMatchSpec::Star => "*".to_string(),
        IfMatchSpec::Literal(v) => v.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::input::{DupHeader, Method};

    fn exec() -> Executor {
        Executor::new(
            Target {
                token: Some("sekrit".into()),
                context: Some("ws_alpha".into()),
                ..Target::at("http://127.0.0.1:9/v1/")
            },
            Duration::from_secs(1),
        )
        .expect("client")
    }

    #[test]
    fn ids_are_percent_encoded_and_verbs_appended() {
        let e = exec();
        let mut r = FuzzRequest::plain(Verb::Cancel, Slot::Succeeded);
        r.id = IdSpec::Literal("a-b c/日:x".into());
        r.colon_encoded = true;
        let p = e.render(&r, None);
        assert_eq!(
            p.url,
            "http://127.0.0.1:9/v1/operations/a-b%20c%2F%E6%97%A5%3Ax%3Acancel"
        );
        assert_eq!(p.method, "POST");
        let f = Fixture {
            id: "op_abc".into(),
            etag: Some("\"T\"".into()),
        };
        r.id = IdSpec::Fixture {
            slot: Slot::Succeeded,
            bare: true,
        };
        r.colon_encoded = false;
        r.if_match = Some(IfMatchSpec::StaleThenCurrent);
        r.duplicate = Some(DupHeader::IfMatch);
        r.method = Method::Put;
        let p = e.render(&r, Some(&f));
        assert_eq!(p.url, "http://127.0.0.1:9/v1/operations/abc:cancel");
        assert!(
            p.headers
                .contains(&("if-match", format!("{STALE_TAG}, \"T\"")))
        );
        assert!(p.headers.contains(&("if-match", "dup".to_string())));
        assert_eq!(p.method, "PUT");
    }

    #[test]
    fn list_query_gets_the_owner_and_records_are_redacted() {
        let e = exec();
        let mut r = FuzzRequest::plain(Verb::List, Slot::Succeeded);
        r.query = vec![
            ("owner_id".into(), OWNER_PLACEHOLDER.into()),
            ("limit".into(), "a b".into()),
        ];
        let p = e.render(&r, None);
        assert!(
            p.url
                .ends_with(&format!("/operations?owner_id={}&limit=a+b", e.owner_id))
        );
        let seen = Observed {
            status: Some(200),
            headers: vec![],
            body: b"{}".to_vec(),
            error: None,
            timed_out: false,
            elapsed: Duration::ZERO,
        };
        let ex = e.record(&p, &seen);
        let text = serde_json::to_string(&ex).expect("json");
        assert!(!text.contains("sekrit"));
        assert!(text.contains("[REDACTED]"));
    }

    #[test]
    fn control_characters_are_unsendable() {
        let e = exec();
        let mut r = FuzzRequest::plain(Verb::Cancel, Slot::Succeeded);
        r.idempotency_key = Some("a\nb".into());
        assert!(Executor::unsendable(&e.render(&r, None)));
        r.idempotency_key = Some("ключ\tk".into());
        assert!(!Executor::unsendable(&e.render(&r, None)));
    }

    #[test]
    fn long_keys_carry_the_session_nonce() {
        let e = exec();
        let other = exec();
        let long = "abcdefghijklmnopqrstuvwxyz";
        let sent = e.session_key(long);
        assert_eq!(sent.len(), long.len());
        assert!(sent.starts_with(&e.key_nonce));
        assert!(sent.ends_with(&long[KEY_NONCE_LEN..]));
        assert_eq!(sent, e.session_key(long), "stable within a session");
        assert_ne!(sent, other.session_key(long), "differs between sessions");
        // Quotes and surrounding blanks stay where they are.
        let quoted = e.session_key(" \"abcdefghijklmnop\"\t");
        assert_eq!(quoted, format!(" \"{}ijklmnop\"\t", e.key_nonce));
        // Blanks inside a key are kept; only the first characters change.
        let blanks = e.session_key("abcdefgh\tij klmnop");
        assert_eq!(blanks, format!("{}\tij klmnop", e.key_nonce));
        // Short, non-ASCII and control-character keys are sent as drawn.
        for k in [
            "short",
            "ключключключключ",
            "abcdefghijk\u{1}mnop",
            "\"\"",
            "",
        ] {
            assert_eq!(e.session_key(k), k);
        }
        // A 64-character key stays at the bound.
        let max = "k".repeat(64);
        assert_eq!(e.session_key(&max).len(), 64);
    }

    #[test]
    fn target_options_reach_the_executor() {
        let e = exec();
        assert_eq!(e.body_cap, crate::target::DEFAULT_BODY_CAP);
        assert!(e.pacer.is_none(), "no --rate: nothing on the hot path");
        let e = Executor::new(
            Target {
                token: Some("sekrit".into()),
                body_cap: 1,
                pacing: PacingOptions {
                    rate: crate::target::Rate::parse("10/s").ok(),
                    ..PacingOptions::default()
                },
                secrets: vec!["ws_hidden".into()],
                ..Target::at("http://127.0.0.1:9/v1")
            },
            Duration::from_secs(1),
        )
        .expect("client");
        assert_eq!(e.body_cap, 1);
        let sibling = e.sibling().expect("sibling");
        match (&e.pacer, &sibling.pacer) {
            (Some(a), Some(b)) => assert!(Arc::ptr_eq(a, b), "one rate for all threads"),
            _ => panic!("--rate set no pacer"),
        }
        let out = e.redactor().redact("sekrit ws_hidden");
        assert_eq!(out, "[REDACTED] [REDACTED]");
        let bad = Executor::new(
            Target {
                transport: TransportOptions {
                    ca_cert_pem: Some(
                        b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n"
                            .to_vec(),
                    ),
                    ..TransportOptions::default()
                },
                ..Target::at("https://127.0.0.1:9/v1")
            },
            Duration::from_secs(1),
        );
        assert!(matches!(bad, Err(ExecError::Client(_))), "{bad:?}");
    }

    #[test]
    fn the_cancel_guard_keeps_generated_cancels_to_marked_ids() {
        let e = exec();
        let send = |verb: Verb, id: IdSpec| {
            let mut r = FuzzRequest::plain(verb, Slot::Succeeded);
            r.id = id;
            e.may_send(&r, &e.render(&r, None))
        };
        let lit = |s: &str| IdSpec::Literal(s.into());
        // A short id could name someone's operation (ids need not be akua's).
        assert!(!send(Verb::Cancel, lit("7")));
        assert!(!send(Verb::Cancel, lit("op_j572abc123def456")));
        assert!(send(Verb::Cancel, lit("op_opconform-b")));
        assert!(send(Verb::Cancel, lit("")));
        assert!(send(Verb::Cancel, lit(&"opconform".repeat(7))));
        // Encoded path tricks are read as a lenient server would read them.
        assert!(!send(
            Verb::Cancel,
            IdSpec::RawSegment("opconform%2F..%2Fop_j572abc123def456".into())
        ));
        assert!(send(
            Verb::Cancel,
            IdSpec::RawSegment("opconform%FF".into())
        ));
        // A wrong method on an operation may change it: a fabricated id
        // only, as the runner sends (`DELETE /operations/7` never goes).
        let wrong = |method: Method, id: &str| {
            let mut r = FuzzRequest::plain(Verb::Wait, Slot::Succeeded);
            r.method = method;
            r.id = lit(id);
            e.may_send(&r, &e.render(&r, None))
        };
        for m in [Method::Put, Method::Delete, Method::Patch] {
            assert!(!wrong(m, "op_"), "{m:?}");
            assert!(!wrong(m, "7"), "{m:?}");
            assert!(wrong(m, "op_opconform-x"), "{m:?}");
            assert!(wrong(m, ""), "{m:?}");
        }
        assert!(wrong(Method::Get, "7"));
        let mut r = FuzzRequest::plain(Verb::Get, Slot::Succeeded);
        r.method = Method::Post;
        r.id = lit("7");
        assert!(!e.may_send(&r, &e.render(&r, None)), "POST /operations/7");
        // Reads and the session's own fixtures always go.
        assert!(send(Verb::Get, lit("7")));
        assert!(send(
            Verb::Cancel,
            IdSpec::Fixture {
                slot: Slot::Running,
                bare: true
            }
        ));
    }

    proptest::proptest! {
        /// Where the shortcut answers, it answers as the guard does.
        #[test]
        fn the_guard_shortcut_agrees_with_the_guard(
            req in crate::fuzz::strategies::request(crate::fuzz::StrategyOptions { fixtures: true })
        ) {
            let e = exec();
            let p = e.render(&req, None);
            if let Some(answer) = guard_shortcut(&req, &p) {
                proptest::prop_assert_eq!(answer, e.guard(&p), "{:?}", p.url);
            }
        }
    }

    #[test]
    fn keys_are_remembered() {
        let e = exec();
        assert!(!e.key_seen("k"));
        assert!(e.key_seen("k"));
        assert!(e.key_seen(" \"k\""));
        assert!(!e.key_seen("\"\""));
    }
}
