//! The one pooled HTTP client and how a request becomes a recorded
//! [`Exchange`].
//!
//! reqwest 0.13 would retry some failures, use the system proxy and follow
//! redirects on its own; the harness must count and see every request it
//! sends, so all three are switched off. Bodies are read chunk by chunk and
//! cut at the body cap, because a hostile target may stream forever.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::model::{Exchange, RecordedRequest, RecordedResponse};
use crate::redact::Redactor;

use super::live::{EXCERPT_CAP, Target};
use super::pacing::Pacer;
use super::transport;

/// Building the client failed.
#[derive(Debug, thiserror::Error)]
#[error("build http client: {0}")]
pub struct ClientError(#[from] reqwest::Error);

/// A request ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingRequest {
    /// HTTP method.
    pub method: String,
    /// Absolute URL, path exactly as written.
    pub url: String,
    /// Headers in send order (unredacted).
    pub headers: Vec<(String, String)>,
    /// Body, if any.
    pub body: Option<String>,
    /// Whole-exchange timeout.
    pub timeout: Duration,
}

/// A response as read (unredacted, up to the body cap).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    /// Status code.
    pub status: u16,
    /// Headers in arrival order.
    pub headers: Vec<(String, String)>,
    /// Body bytes (cut at the cap).
    pub body: Vec<u8>,
}

impl RawResponse {
    /// First header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// Why the body is not JSON (empty when it is).
    pub fn json_error(&self) -> String {
        match serde_json::from_slice::<serde::de::IgnoredAny>(&self.body) {
            Ok(_) => String::new(),
            Err(e) if self.body.is_empty() => format!("empty body ({e})"),
            Err(e) => e.to_string(),
        }
    }
}

/// What one send produced.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The redacted record.
    pub exchange: Exchange,
    /// The raw response, when one arrived.
    pub response: Option<RawResponse>,
}

/// The pooled client plus the caps and redactor every exchange goes through.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    body_cap: usize,
    excerpt_cap: usize,
    redactor: Redactor,
    pub(crate) pacer: Arc<Pacer>,
    pub(crate) follow_redirects: bool,
    /// The start of the run: exchanges are stamped with their end from it.
    pub(crate) origin: Instant,
}

impl HttpClient {
    /// The client of a run against `target`: no retries, no proxy, no
    /// automatic redirects; body cap, TLS, redirects and pacing from the
    /// target; every record redacted of its tokens and secrets.
    pub fn new(target: &Target) -> Result<HttpClient, ClientError> {
        let builder = reqwest::Client::builder()
            .retry(reqwest::retry::never())
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("opconform/", env!("CARGO_PKG_VERSION")));
        let client = transport::configure(builder, &target.transport)?.build()?;
        Ok(HttpClient {
            client,
            body_cap: target.body_cap(),
            excerpt_cap: EXCERPT_CAP,
            redactor: target.redactor(),
            pacer: Arc::new(Pacer::new(target.pacing.clone())),
            follow_redirects: target.transport.follow_redirects,
            origin: Instant::now(),
        })
    }

    /// The run's pacing state.
    pub fn pacer(&self) -> &Pacer {
        &self.pacer
    }

    /// Milliseconds since the start of the run.
    pub fn now_ms(&self) -> u64 {
        self.origin.elapsed().as_millis() as u64
    }

    /// The redactor applied to every record.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Sends one request once, unpaced, and records it. Never fails:
    /// transport problems are recorded in [`Exchange::error`].
    pub async fn send_once(&self, req: &OutgoingRequest) -> Sent {
        let recorded = RecordedRequest {
            method: req.method.clone(),
            url: self.redactor.redact(&req.url).into_owned(),
            headers: req
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), self.redactor.redact(v).into_owned()))
                .collect(),
            body: req
                .body
                .as_ref()
                .map(|b| self.redactor.redact(b).into_owned()),
        };
        let started = Instant::now();
        // A little slack over the request timeout, so that a body cut off by
        // it is still recorded with its response (see `exchange`).
        let outer = req.timeout + Duration::from_millis(200);
        let outcome = match tokio::time::timeout(outer, self.exchange(req)).await {
            Ok(r) => r,
            Err(_) => Err(SendError {
                message: format!(
                    "no complete response within {} ms (request timeout)",
                    req.timeout.as_millis()
                ),
            }),
        };
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let (response, error) = match outcome {
            Ok((resp, body_error)) => (Some(resp), body_error),
            Err(e) => (None, Some(e.message)),
        };
        let recorded_response = response.as_ref().map(|r| self.record_response(r));
        Sent {
            exchange: Exchange {
                request: recorded,
                response: recorded_response,
                error: error.map(|e| self.redactor.redact(&e).into_owned()),
                elapsed_ms,
                retries: 0,
                at_ms: self.origin.elapsed().as_millis() as u64,
            },
            response,
        }
    }

    fn record_response(&self, r: &RawResponse) -> RecordedResponse {
        let cut = r.body.len().min(self.excerpt_cap);
        let excerpt = String::from_utf8_lossy(&r.body[..cut]);
        RecordedResponse {
            status: r.status,
            headers: r
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), self.redactor.redact(v).into_owned()))
                .collect(),
            body_excerpt: self.redactor.redact(&excerpt).into_owned(),
            body_truncated: cut < r.body.len(),
            body_bytes: r.body.len() as u64,
        }
    }

    async fn exchange(
        &self,
        req: &OutgoingRequest,
    ) -> Result<(RawResponse, Option<String>), SendError> {
        let fail = |message: String| SendError { message };
        let body_deadline = Instant::now() + req.timeout;
        let url = reqwest::Url::parse(&req.url)
            .map_err(|e| fail(format!("invalid url `{}`: {e}", req.url)))?;
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|e| fail(format!("invalid method `{}`: {e}", req.method)))?;
        let mut headers = reqwest::header::HeaderMap::new();
        for (k, v) in &req.headers {
            let name = reqwest::header::HeaderName::from_bytes(k.as_bytes())
                .map_err(|e| fail(format!("invalid header name `{k}`: {e}")))?;
            let value = reqwest::header::HeaderValue::from_str(v)
                .map_err(|e| fail(format!("invalid value for header `{k}`: {e}")))?;
            headers.append(name, value);
        }
        let mut builder = self
            .client
            .request(method, url)
            .headers(headers)
            .timeout(req.timeout);
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        let timed_out = || {
            format!(
                "no complete response within {} ms (request timeout)",
                req.timeout.as_millis()
            )
        };
        let mut response = builder.send().await.map_err(|e| SendError {
            message: if e.is_timeout() {
                timed_out()
            } else {
                describe(&e)
            },
        })?;
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = crate::model::header_pairs(response.headers());
        let mut body: Vec<u8> = Vec::new();
        let mut body_error = None;
        // A declared length over the cap is read only up to the cap.
        let declared_over = response
            .content_length()
            .filter(|l| *l > self.body_cap as u64);
        let over_cap = |len: Option<u64>| match len {
            Some(len) => format!(
                "response declares Content-Length {len}, over the body cap of {} bytes \
                 (--max-body)",
                self.body_cap
            ),
            None => format!(
                "response body exceeds the body cap of {} bytes (--max-body)",
                self.body_cap
            ),
        };
        loop {
            // The body has the rest of the request timeout; when it runs out
            // the part read so far is kept as evidence.
            let next = tokio::time::timeout_at(body_deadline.into(), response.chunk()).await;
            match next {
                Ok(Ok(Some(chunk))) => {
                    if body.len() + chunk.len() > self.body_cap {
                        let room = self.body_cap - body.len();
                        body.extend_from_slice(&chunk[..room]);
                        body_error = Some(format!("{}; reading stopped", over_cap(declared_over)));
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(Ok(None)) => break,
                Ok(Err(e)) if !e.is_timeout() => {
                    body_error = Some(format!("read response body: {}", describe(&e)));
                    break;
                }
                Ok(Err(_)) | Err(_) => {
                    body_error = Some(match declared_over {
                        Some(_) => format!(
                            "{}; {} bytes read before the request timeout",
                            over_cap(declared_over),
                            body.len()
                        ),
                        None => format!("{}; {} bytes of the body read", timed_out(), body.len()),
                    });
                    break;
                }
            }
        }
        Ok((
            RawResponse {
                status,
                headers,
                body,
            },
            body_error,
        ))
    }
}

struct SendError {
    message: String,
}

/// The error with its cause chain, on one line (also used by the fuzzer's
/// client).
pub fn describe(err: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
