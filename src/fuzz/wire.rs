//! The fuzzer's lean HTTP/1.1 client for plain-`http` targets: hyper's
//! connection API with keep-alive connections owned by one thread, no
//! pool bookkeeping per request, no proxy, no redirects, no retries of a
//! request the target saw.
//!
//! A sending thread has its own [`Wire`] (connections belong to the
//! runtime that opened them). A request takes an idle connection or opens
//! one, and gives it back once the whole body is read. One kind of failure
//! is tried again, once, on a new connection: a kept-alive connection that
//! the target had closed before the request reached it (no response byte
//! came back), which every HTTP client has to expect.

use std::sync::Mutex;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;

/// What came back before any body check: status, headers, body (up to the
/// cap) and an error that cut the body short.
pub type Answer = (u16, Vec<(String, String)>, Vec<u8>, Option<String>);

/// No response: the connection could not be opened (`connect`), or the
/// exchange failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    /// True when no connection could be opened.
    pub connect: bool,
    /// What happened.
    pub message: String,
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl WireError {
    fn exchange(message: String) -> WireError {
        WireError {
            connect: false,
            message,
        }
    }
}

/// Keep-alive connections to one `http://host:port`.
#[derive(Debug)]
pub struct Wire {
    /// `http://authority` as URLs on this origin start.
    origin: String,
    /// `host:port` to connect to.
    addr: String,
    /// The `Host` header value.
    host: http::HeaderValue,
    idle: Mutex<Vec<SendRequest<Full<Bytes>>>>,
}

/// The text of an error and its causes, as one line.
/// The error for a body cut at the cap, worded as the runner words it.
pub fn over_cap(body_cap: usize) -> String {
    format!("response body exceeds the body cap of {body_cap} bytes (--max-body); reading stopped")
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// The request target (path and query) of `url` (which starts with
/// `origin`), as a URL parser normalises it. A target made only of
/// characters a parser leaves alone, with no dot segment, is taken as it
/// is (most generated requests; parsing each cost more than sending it).
pub fn target_of<'a>(url: &'a str, origin: &str) -> Result<std::borrow::Cow<'a, str>, String> {
    if let Some(target) = url.strip_prefix(origin)
        && target.starts_with('/')
        && target
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_~%:/?=&+,;@!$()*".contains(&b))
        && !has_dot_segment(target)
    {
        return Ok(std::borrow::Cow::Borrowed(target));
    }
    let url = url::Url::parse(url).map_err(|e| format!("invalid URL: {e}"))?;
    Ok(std::borrow::Cow::Owned(
        url[url::Position::BeforePath..].to_string(),
    ))
}

/// True when the path has a `.` or `..` segment (or one a parser decodes
/// to one, `%2e`), which a URL parser removes.
fn has_dot_segment(target: &str) -> bool {
    let path = target.split(['?', '#']).next().unwrap_or("");
    path.split('/').any(|seg| {
        // Count the dots, plain or `%2e`; anything else ends it.
        let mut rest = seg.as_bytes();
        let mut dots = 0;
        while !rest.is_empty() {
            if rest[0] == b'.' {
                rest = &rest[1..];
            } else if rest.len() >= 3
                && rest[0] == b'%'
                && rest[1] == b'2'
                && rest[2] | 0x20 == b'e'
            {
                rest = &rest[3..];
            } else {
                return false;
            }
            dots += 1;
        }
        (1..=2).contains(&dots)
    })
}

impl Wire {
    /// The `scheme://authority` requests go to, as URLs spell it.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// A client for the origin of `base_url`, when it is plain `http`.
    pub fn for_url(base_url: &str) -> Option<Wire> {
        let url = url::Url::parse(base_url).ok()?;
        if url.scheme() != "http" {
            return None;
        }
        let host = url.host_str()?;
        let port = url.port_or_known_default()?;
        let addr = format!("{host}:{port}");
        let host_header = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        Some(Wire {
            origin: format!("http://{host_header}"),
            addr,
            host: http::HeaderValue::from_str(&host_header).ok()?,
            idle: Mutex::new(Vec::new()),
        })
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, WireError> {
        let stream = tokio::net::TcpStream::connect(&self.addr)
            .await
            .map_err(|e| WireError {
                connect: true,
                message: format!("connect to {}: {e}", self.addr),
            })?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = http1::Builder::new()
            .handshake(TokioIo::new(stream))
            .await
            .map_err(|e| WireError::exchange(chain(&e)))?;
        // The connection is driven on this thread's runtime; it ends when
        // its sender is dropped or the target closes it.
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    /// An idle connection that is still open, if any.
    async fn idle(&self) -> Option<SendRequest<Full<Bytes>>> {
        loop {
            let mut sender = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop()?;
            if sender.ready().await.is_ok() {
                return Some(sender);
            }
        }
    }

    fn give_back(&self, sender: SendRequest<Full<Bytes>>) {
        if !sender.is_closed() {
            self.idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(sender);
        }
    }

    /// Sends one request (`target`: path and query) and reads the answer,
    /// keeping at most `body_cap` bytes of its body.
    pub async fn send(
        &self,
        method: &http::Method,
        target: &str,
        headers: &http::HeaderMap,
        body: Bytes,
        body_cap: usize,
    ) -> Result<Answer, WireError> {
        let build = || {
            let mut req = http::Request::new(Full::new(body.clone()));
            *req.method_mut() = method.clone();
            *req.uri_mut() = target
                .parse()
                .map_err(|e| WireError::exchange(format!("request target `{target}`: {e}")))?;
            let h = req.headers_mut();
            h.reserve(headers.len() + 2);
            h.insert(http::header::HOST, self.host.clone());
            h.insert(
                http::header::USER_AGENT,
                http::HeaderValue::from_static(concat!(
                    "opconform-fuzz/",
                    env!("CARGO_PKG_VERSION")
                )),
            );
            for (k, v) in headers {
                h.append(k, v.clone());
            }
            Ok::<_, WireError>(req)
        };
        let (mut sender, reused) = match self.idle().await {
            Some(s) => (s, true),
            None => (self.connect().await?, false),
        };
        let resp = match sender.send_request(build()?).await {
            Ok(r) => r,
            // A kept-alive connection the target closed: when the request
            // was never written (canceled), or it was a GET (safe to send
            // again) and no response came, it is sent once more on a new
            // connection. A POST is never sent twice.
            Err(e)
                if reused
                    && (e.is_canceled()
                        || (e.is_incomplete_message() && method == http::Method::GET)) =>
            {
                sender = self.connect().await?;
                sender
                    .send_request(build()?)
                    .await
                    .map_err(|e| WireError::exchange(chain(&e)))?
            }
            Err(e) => return Err(WireError::exchange(chain(&e))),
        };
        let status = resp.status().as_u16();
        let out_headers = crate::model::header_pairs(resp.headers());
        let hint = resp
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0)
            .min(body_cap)
            .min(1024 * 1024);
        let mut body = Vec::with_capacity(hint);
        let mut error = None;
        let mut incoming = resp.into_body();
        let mut complete = false;
        loop {
            match incoming.frame().await {
                Some(Ok(frame)) => {
                    let Ok(chunk) = frame.into_data() else {
                        continue;
                    };
                    if body.len() + chunk.len() > body_cap {
                        let room = body_cap - body.len();
                        body.extend_from_slice(&chunk[..room]);
                        error = Some(over_cap(body_cap));
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                Some(Err(e)) => {
                    error = Some(format!("read response body: {}", chain(&e)));
                    break;
                }
                None => {
                    complete = true;
                    break;
                }
            }
        }
        // A connection whose body was not read to its end is dropped.
        if complete {
            self.give_back(sender);
        }
        Ok((status, out_headers, body, error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parsed(url: &str) -> String {
        let u = url::Url::parse(url).expect("url");
        u[url::Position::BeforePath..].to_string()
    }

    proptest! {
        /// Taking a target as it is gives what parsing it gives.
        #[test]
        fn shortcut_targets_are_what_a_parser_makes(
            path in "(/[a-zA-Z0-9._~%:?=&+,;@!$'()*#\\-]{0,12}){1,4}"
        ) {
            let url = format!("http://127.0.0.1:9{path}");
            if let Ok(target) = target_of(&url, "http://127.0.0.1:9") {
                let expected = parsed(&url);
                prop_assert_eq!(target.as_ref(), expected.as_str());
            }
        }
    }

    #[test]
    fn dot_segments_and_odd_characters_go_through_the_parser() {
        let origin = "http://h:1";
        for (url, target) in [
            (
                "http://h:1/v1/operations/op_a:cancel",
                "/v1/operations/op_a:cancel",
            ),
            ("http://h:1/v1/operations/../x", "/v1/x"),
            ("http://h:1/v1/operations/%2E%2e/x", "/v1/x"),
            ("http://h:1/v1/operations/.%2e/x", "/v1/x"),
            ("http://h:1/v1/operations/a/./x", "/v1/operations/a/x"),
            ("http://h:1/v1/operations/.../x", "/v1/operations/.../x"),
            ("http://h:1/v1/operations/.a/x", "/v1/operations/.a/x"),
            ("http://h:1/v1/operations/a b", "/v1/operations/a%20b"),
            (
                "http://h:1/v1/operations?limit=1&x=a+b",
                "/v1/operations?limit=1&x=a+b",
            ),
        ] {
            assert_eq!(target_of(url, origin).expect("target"), target, "{url}");
            assert_eq!(parsed(url), target, "{url}");
        }
        let w = Wire::for_url("http://127.0.0.1:8080/v1").expect("plain http");
        assert_eq!(w.origin(), "http://127.0.0.1:8080");
        assert!(Wire::for_url("https://example.test/v1").is_none());
    }

    /// A loopback server that answers the first request on a connection
    /// with `body`, keeps the connection open, reads the next request and
    /// closes the connection without answering it: what a server closing
    /// idle keep-alive connections looks like at the wrong moment.
    async fn closing_server(body: &'static str) -> String {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut chunk = [0u8; 1024];
                    for answer in [true, false] {
                        let mut buf = Vec::new();
                        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                            match sock.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        }
                        if answer {
                            let reply = format!(
                                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
                                body.len()
                            );
                            let _ = sock.write_all(reply.as_bytes()).await;
                        }
                    }
                });
            }
        });
        format!("http://{addr}")
    }

    #[test]
    fn a_kept_alive_connection_the_target_closed_is_replaced() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let base = closing_server("ok").await;
            let wire = Wire::for_url(&base).expect("wire");
            let headers = http::HeaderMap::new();
            for _ in 0..5 {
                let (status, _, body, error) = wire
                    .send(&http::Method::GET, "/x", &headers, Bytes::new(), 1024)
                    .await
                    .expect("answered");
                assert_eq!((status, body.as_slice(), error), (200, &b"ok"[..], None));
            }
            // A POST on such a connection is not sent twice: the failure is
            // reported (the last GET left an answered, open connection).
            let e = wire
                .send(&http::Method::POST, "/x", &headers, Bytes::new(), 1024)
                .await
                .expect_err("closed without an answer");
            assert!(!e.connect, "{e}");
        });
    }

    #[test]
    fn bodies_are_cut_at_the_cap_and_refusals_are_connect_errors() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let base = closing_server("0123456789abcdef").await;
            let wire = Wire::for_url(&base).expect("wire");
            let headers = http::HeaderMap::new();
            let (status, _, body, error) = wire
                .send(&http::Method::POST, "/y", &headers, Bytes::from("{}"), 10)
                .await
                .expect("answered");
            assert_eq!((status, body.as_slice()), (200, &b"0123456789"[..]));
            assert_eq!(error.as_deref(), Some(over_cap(10).as_str()));
            assert!(over_cap(10).contains("exceeds the body cap of 10 bytes (--max-body)"));
            // A port nothing listens on.
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            let port = listener.local_addr().expect("addr").port();
            drop(listener);
            let gone = Wire::for_url(&format!("http://127.0.0.1:{port}")).expect("wire");
            let e = gone
                .send(&http::Method::GET, "/", &headers, Bytes::new(), 10)
                .await
                .expect_err("refused");
            assert!(e.connect, "{e}");
        });
    }
}
