//! The one pooled HTTP client and how a request becomes a recorded
//! [`Exchange`].
//!
//! reqwest 0.13 would retry some failures, use the system proxy and follow
//! redirects on its own; the harness must count and see every request it
//! sends, so all three are switched off. Bodies are read chunk by chunk and
//! cut at the body cap, because a hostile target may stream forever.

use std::time::{Duration, Instant};

use crate::model::{Exchange, RecordedRequest, RecordedResponse};
use crate::redact::Redactor;

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
}

impl HttpClient {
    /// One pooled client: no retries, no proxy, no redirects.
    pub fn new(
        body_cap: usize,
        excerpt_cap: usize,
        redactor: Redactor,
    ) -> Result<HttpClient, ClientError> {
        let client = reqwest::Client::builder()
            .retry(reqwest::retry::never())
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("opconform/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(HttpClient {
            client,
            body_cap,
            excerpt_cap,
            redactor,
        })
    }

    /// The redactor applied to every record.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Sends one request and records it. Never fails: transport problems are
    /// recorded in [`Exchange::error`].
    pub async fn send(&self, req: &OutgoingRequest) -> Sent {
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
        let outcome = match tokio::time::timeout(req.timeout, self.exchange(req)).await {
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
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body: Vec<u8> = Vec::new();
        let mut body_error = None;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > self.body_cap {
                        let room = self.body_cap - body.len();
                        body.extend_from_slice(&chunk[..room]);
                        body_error = Some(format!(
                            "response body exceeds the body cap of {} bytes; reading stopped",
                            self.body_cap
                        ));
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    body_error = Some(if e.is_timeout() {
                        timed_out()
                    } else {
                        format!("read response body: {}", describe(&e))
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

/// The error with its cause chain, on one line.
fn describe(err: &reqwest::Error) -> String {
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
