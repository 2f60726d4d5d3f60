//! TLS trust, redirects, and the paced send loop every request of a run
//! goes through.
//!
//! Redirects are never followed by default: the contract has none, and a
//! redirect is evidence. With `follow_redirects` they are followed by hand
//! (not by reqwest) so that each hop is decided here: the `Authorization`
//! header (and the akua context) never leave the origin the run started on.

use std::path::{Path, PathBuf};

use super::client::{HttpClient, OutgoingRequest, Sent};
use super::pacing::{STOPPED_REASON, Throttle};
use crate::model::{Exchange, RecordedRequest};

/// Most redirect hops followed for one request.
pub const MAX_REDIRECTS: usize = 5;

/// TLS and redirect settings of the HTTP client.
#[derive(Debug, Clone, Default)]
pub struct TransportOptions {
    /// Extra trusted CA certificates, PEM (`--ca-cert`), checked by
    /// [`load_ca_cert`].
    pub ca_cert_pem: Option<Vec<u8>>,
    /// Accept any certificate (`--insecure`).
    pub insecure: bool,
    /// Follow redirects (`--follow-redirects`), dropping credentials on
    /// hops to another origin.
    pub follow_redirects: bool,
}

/// A CA certificate file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The file could not be read.
    #[error("read CA certificate {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file holds no usable PEM certificate.
    #[error(
        "read CA certificate {path}: {why}; expected a PEM file with at least one \
         `-----BEGIN CERTIFICATE-----` block"
    )]
    NotPem {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        why: String,
    },
}

/// Reads and checks a PEM CA certificate (bundle) file.
pub fn load_ca_cert(path: &Path) -> Result<Vec<u8>, TransportError> {
    let bytes = std::fs::read(path).map_err(|source| TransportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let not_pem = |why: String| TransportError::NotPem {
        path: path.to_path_buf(),
        why,
    };
    match reqwest::Certificate::from_pem_bundle(&bytes) {
        Ok(certs) if certs.is_empty() => Err(not_pem("no certificate found".into())),
        Ok(_) => Ok(bytes),
        Err(e) => Err(not_pem(e.to_string())),
    }
}

/// Applies the TLS settings to a client builder.
pub fn configure(
    mut builder: reqwest::ClientBuilder,
    options: &TransportOptions,
) -> Result<reqwest::ClientBuilder, reqwest::Error> {
    if let Some(pem) = &options.ca_cert_pem {
        builder = builder.tls_certs_merge(reqwest::Certificate::from_pem_bundle(pem)?);
    }
    if options.insecure {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    Ok(builder)
}

/// True for `a` and `b` with the same scheme, host and port.
pub fn same_origin(a: &url::Url, b: &url::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The request for the next hop of a redirect, or `None` when `status` is
/// not a followable redirect. Credentials are dropped when the hop leaves
/// `origin`; `303` (and `301`/`302` after a POST) become a bodiless GET.
pub fn next_hop(
    origin: &url::Url,
    current: &OutgoingRequest,
    status: u16,
    location: Option<&str>,
) -> Option<OutgoingRequest> {
    if !matches!(status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let base = url::Url::parse(&current.url).ok()?;
    let next = base.join(location?).ok()?;
    if !matches!(next.scheme(), "http" | "https") {
        return None;
    }
    let mut req = current.clone();
    req.url = next.to_string();
    let to_get = status == 303 || (matches!(status, 301 | 302) && current.method == "POST");
    if to_get {
        req.method = "GET".into();
        req.body = None;
        req.headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
    }
    if !same_origin(origin, &next) {
        req.headers.retain(|(k, _)| {
            !k.eq_ignore_ascii_case("authorization")
                && !k.eq_ignore_ascii_case("akua-context")
                && !k.eq_ignore_ascii_case("cookie")
        });
    }
    Some(req)
}

impl HttpClient {
    /// Sends one request and records it, paced: waits for the run's rate,
    /// honours `Retry-After` on `429`/`503` (bounded; re-sends are counted
    /// in [`Exchange::retries`]), follows redirects only when configured,
    /// and sends nothing once the target stopped answering. Never fails:
    /// transport problems are recorded in [`Exchange::error`].
    pub async fn send(&self, req: &OutgoingRequest) -> Sent {
        let mut retries = 0u32;
        loop {
            let mut sent = self.send_following(req).await;
            sent.exchange.retries = retries;
            let Some(resp) = &sent.response else {
                return sent;
            };
            match self
                .pacer
                .on_response(resp.status, resp.header("retry-after"), retries)
            {
                Throttle::GiveUp => return sent,
                Throttle::RetryAfter(wait) => {
                    retries += 1;
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    async fn send_following(&self, req: &OutgoingRequest) -> Sent {
        let mut sent = self.send_paced(req).await;
        if !self.follow_redirects {
            return sent;
        }
        let Ok(origin) = url::Url::parse(&req.url) else {
            return sent;
        };
        let mut current = req.clone();
        for _ in 0..MAX_REDIRECTS {
            let Some(resp) = &sent.response else {
                return sent;
            };
            let Some(next) = next_hop(&origin, &current, resp.status, resp.header("location"))
            else {
                return sent;
            };
            sent = self.send_paced(&next).await;
            current = next;
        }
        sent
    }

    async fn send_paced(&self, req: &OutgoingRequest) -> Sent {
        if self.pacer.stopped() {
            return self.not_sent(req, STOPPED_REASON);
        }
        self.pacer.ready().await;
        let sent = self.send_once(req).await;
        let answered = sent.response.is_some()
            && !sent
                .exchange
                .error
                .as_deref()
                .is_some_and(|e| e.contains("request timeout"));
        self.pacer.observe(answered);
        sent
    }

    /// A record for a request that was deliberately not sent.
    fn not_sent(&self, req: &OutgoingRequest, why: &str) -> Sent {
        let redact = |s: &str| self.redactor().redact(s).into_owned();
        Sent {
            exchange: Exchange {
                request: RecordedRequest {
                    method: req.method.clone(),
                    url: redact(&req.url),
                    headers: req
                        .headers
                        .iter()
                        .map(|(k, v)| (k.clone(), redact(v)))
                        .collect(),
                    body: req.body.as_deref().map(redact),
                },
                response: None,
                error: Some(format!("not sent: {why}")),
                elapsed_ms: 0,
                retries: 0,
                at_ms: self.now_ms(),
            },
            response: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn req(method: &str, url: &str) -> OutgoingRequest {
        OutgoingRequest {
            method: method.into(),
            url: url.into(),
            headers: vec![
                ("authorization".into(), "Bearer tok".into()),
                ("akua-context".into(), "ws_1".into()),
                ("content-type".into(), "application/json".into()),
            ],
            body: Some("{}".into()),
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn cross_origin_hops_drop_credentials() {
        let origin = url::Url::parse("http://127.0.0.1:1/v1/x").unwrap();
        let r = req("POST", "http://127.0.0.1:1/v1/x");
        let same = next_hop(&origin, &r, 307, Some("/v1/y")).unwrap();
        assert_eq!(same.url, "http://127.0.0.1:1/v1/y");
        assert_eq!(same.method, "POST");
        assert!(same.headers.iter().any(|(k, _)| k == "authorization"));
        for other in [
            "http://127.0.0.1:2/v1/y",
            "https://127.0.0.1:1/v1/y",
            "http://localhost:1/v1/y",
        ] {
            let hop = next_hop(&origin, &r, 308, Some(other)).unwrap();
            assert!(
                hop.headers
                    .iter()
                    .all(|(k, _)| k != "authorization" && k != "akua-context"),
                "{other}"
            );
        }
    }

    #[test]
    fn see_other_becomes_get_and_non_redirects_stop() {
        let origin = url::Url::parse("http://h/v1").unwrap();
        let r = req("POST", "http://h/v1/x");
        let hop = next_hop(&origin, &r, 303, Some("http://h/v1/z")).unwrap();
        assert_eq!((hop.method.as_str(), hop.body.is_none()), ("GET", true));
        assert!(next_hop(&origin, &r, 200, Some("/y")).is_none());
        assert!(next_hop(&origin, &r, 302, None).is_none());
        assert!(next_hop(&origin, &r, 302, Some("file:///etc/passwd")).is_none());
    }

    #[test]
    fn ca_cert_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let e = load_ca_cert(&missing).unwrap_err().to_string();
        assert!(e.contains("missing.pem"), "{e}");
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        let e = load_ca_cert(&junk).unwrap_err().to_string();
        assert!(
            e.contains("junk.pem") && e.contains("BEGIN CERTIFICATE"),
            "{e}"
        );
    }
}
