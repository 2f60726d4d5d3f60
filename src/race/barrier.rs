//! The mechanics of a race: N keep-alive connections opened and warmed
//! first (so no request of the race pays for a connect), then N prepared
//! requests released together behind a barrier, each task recording the
//! instant it handed its request to its connection and the instant the
//! whole response had arrived; the spread of the send instants says how
//! tightly the race was run. And the mechanics of a lost response: a
//! request written on a raw TCP connection that the client closes right
//! after writing it, or right after reading the status line.
//!
//! Plain `http` only, with hyper's client connection API as
//! `crate::fuzz::wire` uses it: no pool, no proxy, no redirects, no retries
//! (every request sent is one the history records).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Largest response body kept (a race reads Operations and error
/// envelopes; anything larger is cut and the exchange marked failed).
pub const BODY_CAP: usize = 1 << 20;

/// Why a race could not be run (not a verdict on the target).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RaceError {
    /// The URL is not a plain `http` URL with a host.
    #[error("race needs a plain http:// URL, got {0}")]
    NotHttp(String),
    /// A header value cannot be sent.
    #[error("invalid header {name}: {reason}")]
    BadHeader {
        /// Header name.
        name: String,
        /// Why.
        reason: String,
    },
    /// No connection could be opened.
    #[error("connect to {addr}: {reason}")]
    Connect {
        /// `host:port`.
        addr: String,
        /// The I/O error.
        reason: String,
    },
    /// The target did not answer a probe (or within `--wait-for-target`).
    #[error("{0}")]
    Unreachable(String),
    /// The target lacks what races need (a token, a fixture provider).
    #[error("race needs {0}")]
    Needs(String),
    /// The fixture provider did not create an operation.
    #[error("fixture {state:?}: {reason}")]
    Fixture {
        /// The state asked for.
        state: String,
        /// What came back.
        reason: String,
    },
}

/// One plain-`http` origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `host:port` to connect to.
    pub addr: String,
    /// The `Host` header.
    pub host: HeaderValue,
}

impl Origin {
    /// The origin of `url` and the path (and query) of `url` on it.
    pub fn parse(url: &str) -> Result<(Origin, String), RaceError> {
        let parsed = url::Url::parse(url).map_err(|_| RaceError::NotHttp(url.to_string()))?;
        if parsed.scheme() != "http" {
            return Err(RaceError::NotHttp(url.to_string()));
        }
        let host = parsed
            .host_str()
            .ok_or_else(|| RaceError::NotHttp(url.to_string()))?;
        let port = parsed
            .port_or_known_default()
            .ok_or_else(|| RaceError::NotHttp(url.to_string()))?;
        let host_header = match parsed.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        let mut path = parsed.path().trim_end_matches('/').to_string();
        if let Some(q) = parsed.query() {
            path.push('?');
            path.push_str(q);
        }
        Ok((
            Origin {
                addr: format!("{host}:{port}"),
                host: HeaderValue::from_str(&host_header).map_err(|e| RaceError::BadHeader {
                    name: "host".into(),
                    reason: e.to_string(),
                })?,
            },
            path,
        ))
    }
}

/// A prepared request: method, target (path and query), headers, body.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Method.
    pub method: Method,
    /// Path and query.
    pub target: String,
    /// Headers besides `host` and `content-length`.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Body (empty for the API's POSTs).
    pub body: Bytes,
}

impl Prepared {
    /// A request with these headers (names and values checked).
    pub fn new(
        method: Method,
        target: impl Into<String>,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<Prepared, RaceError> {
        let mut out = Vec::with_capacity(headers.len());
        for (name, value) in headers {
            let bad = |reason: String| RaceError::BadHeader {
                name: (*name).to_string(),
                reason,
            };
            let n = HeaderName::from_bytes(name.as_bytes()).map_err(|e| bad(e.to_string()))?;
            let v = HeaderValue::from_str(value).map_err(|e| bad(e.to_string()))?;
            out.push((n, v));
        }
        Ok(Prepared {
            method,
            target: target.into(),
            headers: out,
            body,
        })
    }

    fn request(&self, origin: &Origin) -> Option<http::Request<Full<Bytes>>> {
        let mut builder = http::Request::builder()
            .method(self.method.clone())
            .uri(&self.target)
            .header(http::header::HOST, origin.host.clone());
        for (n, v) in &self.headers {
            builder = builder.header(n, v);
        }
        builder.body(Full::new(self.body.clone())).ok()
    }

    /// The request as HTTP/1.1 bytes (for a raw connection).
    fn wire_bytes(&self, origin: &Origin) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.body.len());
        out.extend_from_slice(self.method.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.target.as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
        out.extend_from_slice(origin.host.as_bytes());
        out.extend_from_slice(b"\r\n");
        for (n, v) in &self.headers {
            out.extend_from_slice(n.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(v.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("content-length: {}\r\n\r\n", self.body.len()).as_bytes());
        out.extend_from_slice(&self.body);
        out
    }
}

/// A response read in full (up to [`BODY_CAP`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Status.
    pub status: u16,
    /// The `ETag` header.
    pub etag: Option<String>,
    /// The body.
    pub body: Bytes,
}

/// One request's fate: when it was handed to its connection, when its
/// response had arrived, and the response (or why none came).
#[derive(Debug, Clone)]
pub struct Exchange {
    /// Handed to the connection.
    pub sent: Instant,
    /// The whole response had arrived (or the exchange failed).
    pub received: Instant,
    /// The response, or what failed.
    pub result: Result<Received, String>,
}

/// One keep-alive HTTP/1.1 connection.
#[derive(Debug)]
pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
}

/// Opens a connection to `origin`.
pub async fn connect(origin: &Origin) -> Result<Conn, RaceError> {
    let failed = |reason: String| RaceError::Connect {
        addr: origin.addr.clone(),
        reason,
    };
    let stream = tokio::net::TcpStream::connect(&origin.addr)
        .await
        .map_err(|e| failed(e.to_string()))?;
    // Each request leaves in one write, at once.
    let _ = stream.set_nodelay(true);
    let (sender, conn) = http1::Builder::new()
        .handshake(TokioIo::new(stream))
        .await
        .map_err(|e| failed(e.to_string()))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(Conn { sender })
}

/// Opens `n` connections at once.
pub async fn connect_all(origin: &Origin, n: usize) -> Result<Vec<Conn>, RaceError> {
    let all = futures_util::future::join_all((0..n).map(|_| connect(origin))).await;
    all.into_iter().collect()
}

impl Conn {
    /// Sends `req` and reads the whole response, within `timeout`.
    pub async fn send(&mut self, origin: &Origin, req: &Prepared, timeout: Duration) -> Exchange {
        let sent = Instant::now();
        let result = match req.request(origin) {
            None => Err("the request could not be built".to_string()),
            Some(r) => match tokio::time::timeout(timeout, exchange(&mut self.sender, r)).await {
                Ok(result) => result,
                Err(_) => Err(format!("no whole response within {timeout:?}")),
            },
        };
        Exchange {
            sent,
            received: Instant::now(),
            result,
        }
    }
}

async fn exchange(
    sender: &mut SendRequest<Full<Bytes>>,
    req: http::Request<Full<Bytes>>,
) -> Result<Received, String> {
    sender.ready().await.map_err(|e| e.to_string())?;
    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let etag = resp
        .headers()
        .get(http::header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut body = resp.into_body();
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| e.to_string())?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > BODY_CAP {
                return Err(format!("response body over {BODY_CAP} bytes"));
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(Received {
        status,
        etag,
        body: Bytes::from(bytes),
    })
}

/// Sends `reqs[i]` on `conns[i]`, all released together behind a barrier;
/// gives the connections back with the exchanges, in order.
pub async fn release(
    conns: Vec<Conn>,
    origin: &Origin,
    reqs: Vec<Prepared>,
    timeout: Duration,
) -> (Vec<Conn>, Vec<Exchange>) {
    let barrier = Arc::new(tokio::sync::Barrier::new(conns.len()));
    let origin = Arc::new(origin.clone());
    let tasks: Vec<_> = conns
        .into_iter()
        .zip(reqs)
        .map(|(mut conn, req)| {
            let barrier = Arc::clone(&barrier);
            let origin = Arc::clone(&origin);
            tokio::spawn(async move {
                barrier.wait().await;
                let ex = conn.send(&origin, &req, timeout).await;
                (conn, ex)
            })
        })
        .collect();
    let mut conns = Vec::with_capacity(tasks.len());
    let mut exchanges = Vec::with_capacity(tasks.len());
    for t in tasks {
        match t.await {
            Ok((conn, ex)) => {
                conns.push(conn);
                exchanges.push(ex);
            }
            Err(e) => {
                // A panicked or cancelled task: its connection is gone.
                let now = Instant::now();
                exchanges.push(Exchange {
                    sent: now,
                    received: now,
                    result: Err(format!("send task failed: {e}")),
                });
            }
        }
    }
    (conns, exchanges)
}

/// How far apart the requests of a release were sent: the last send
/// instant minus the first.
pub fn spread(exchanges: &[Exchange]) -> Duration {
    let first = exchanges.iter().map(|e| e.sent).min();
    let last = exchanges.iter().map(|e| e.sent).max();
    match (first, last) {
        (Some(a), Some(b)) => b.saturating_duration_since(a),
        _ => Duration::ZERO,
    }
}

/// True when every exchange was in flight at one common instant (the last
/// send came before the first response arrived), as seen by the client.
pub fn overlapped(exchanges: &[Exchange]) -> bool {
    let last_sent = exchanges.iter().map(|e| e.sent).max();
    let first_back = exchanges.iter().map(|e| e.received).min();
    matches!((last_sent, first_back), (Some(s), Some(r)) if s < r)
}

/// When the client hangs up on a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HangUp {
    /// Right after the request's last byte is written.
    AfterRequest,
    /// Right after the response's status line is read.
    AfterStatusLine,
}

impl HangUp {
    /// `after-request`, `after-status-line`.
    pub fn name(self) -> &'static str {
        match self {
            HangUp::AfterRequest => "after-request",
            HangUp::AfterStatusLine => "after-status-line",
        }
    }
}

/// A request the client hung up on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HungUp {
    /// The request was written starting then.
    pub sent: Instant,
    /// The connection was closed then.
    pub closed: Instant,
    /// The status, when the status line was read.
    pub status: Option<u16>,
    /// What happened, for the history.
    pub why: String,
}

/// Writes `req` on a new raw connection and closes it as `at` says; the
/// status line is awaited at most `timeout`.
pub async fn send_and_hang_up(
    origin: &Origin,
    req: &Prepared,
    at: HangUp,
    timeout: Duration,
) -> Result<HungUp, RaceError> {
    let mut stream = tokio::net::TcpStream::connect(&origin.addr)
        .await
        .map_err(|e| RaceError::Connect {
            addr: origin.addr.clone(),
            reason: e.to_string(),
        })?;
    let _ = stream.set_nodelay(true);
    let sent = Instant::now();
    if let Err(e) = stream.write_all(&req.wire_bytes(origin)).await {
        return Ok(HungUp {
            sent,
            closed: Instant::now(),
            status: None,
            why: format!("write failed: {e}"),
        });
    }
    let (status, why) = match at {
        HangUp::AfterRequest => (
            None,
            "closed right after the request was written".to_string(),
        ),
        HangUp::AfterStatusLine => {
            match tokio::time::timeout(timeout, status_line(&mut stream)).await {
                Ok(Some(s)) => (Some(s), "closed right after the status line".to_string()),
                Ok(None) => (None, "closed: no status line came".to_string()),
                Err(_) => (None, format!("closed: no status line within {timeout:?}")),
            }
        }
    };
    drop(stream);
    Ok(HungUp {
        sent,
        closed: Instant::now(),
        status,
        why,
    })
}

/// Reads up to the end of the status line; its status code.
async fn status_line(stream: &mut tokio::net::TcpStream) -> Option<u16> {
    let mut line = Vec::with_capacity(32);
    let mut byte = [0u8; 1];
    // Byte by byte, so nothing after the status line is read.
    while !line.ends_with(b"\r\n") && line.len() < 256 {
        match stream.read(&mut byte).await {
            Ok(1) => line.push(byte[0]),
            _ => return None,
        }
    }
    std::str::from_utf8(&line)
        .ok()?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_plain_http_with_their_path() {
        let (o, path) = Origin::parse("http://127.0.0.1:8080/v1/").expect("http");
        assert_eq!(o.addr, "127.0.0.1:8080");
        assert_eq!(o.host, "127.0.0.1:8080");
        assert_eq!(path, "/v1");
        let (o, path) =
            Origin::parse("http://example.test/__fixtures/operations?x=1").expect("http");
        assert_eq!(o.addr, "example.test:80");
        assert_eq!(o.host, "example.test");
        assert_eq!(path, "/__fixtures/operations?x=1");
        for bad in ["https://a/v1", "ftp://a", "not a url"] {
            assert!(
                matches!(Origin::parse(bad), Err(RaceError::NotHttp(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn prepared_requests_refuse_header_injection_and_serialise_plainly() {
        let bad = Prepared::new(
            Method::POST,
            "/x",
            &[("idempotency-key", "a\r\nx: y")],
            Bytes::new(),
        );
        assert!(matches!(bad, Err(RaceError::BadHeader { .. })));
        let (o, _) = Origin::parse("http://h:1/").expect("http");
        let p = Prepared::new(
            Method::POST,
            "/v1/operations/op_1:cancel",
            &[("idempotency-key", "k")],
            Bytes::new(),
        )
        .expect("valid");
        assert_eq!(
            String::from_utf8(p.wire_bytes(&o)).expect("ascii"),
            "POST /v1/operations/op_1:cancel HTTP/1.1\r\nhost: h:1\r\nidempotency-key: k\r\ncontent-length: 0\r\n\r\n"
        );
    }

    #[test]
    fn spread_and_overlap_read_the_instants() {
        let t = Instant::now();
        let ms = Duration::from_millis;
        let ex = |s: u64, r: u64| Exchange {
            sent: t + ms(s),
            received: t + ms(r),
            result: Err(String::new()),
        };
        let both = [ex(0, 10), ex(2, 12)];
        assert_eq!(spread(&both), ms(2));
        assert!(overlapped(&both));
        assert!(!overlapped(&[ex(0, 1), ex(2, 3)]));
        assert_eq!(spread(&[]), Duration::ZERO);
    }
}
