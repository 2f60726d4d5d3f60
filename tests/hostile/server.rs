//! A misbehaving HTTP/1.1 server on raw tokio sockets: it can do what no
//! well-behaved framework lets a handler do (trickle headers, lie about
//! lengths, reset mid-body, never answer).
//!
//! The probe (`GET /v1/operations?limit=1`) is answered normally unless the
//! behaviour says otherwise, so runs get past it and meet the misbehaviour
//! on the cases' requests (`/v1/operations/{id}`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the server answers requests for one operation.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// `200` with a short non-JSON body (a case that only checks the status passes).
    Fine,
    /// The status line, then one header byte every 200 ms, forever.
    SlowHeaders,
    /// Headers promising 1000 bytes, then one byte every 200 ms.
    SlowBody,
    /// A chunked body that never ends.
    EndlessBody,
    /// `Content-Length: 10 TB`, a few bytes, then silence.
    HugeContentLength,
    /// A JSON content type with a truncated JSON body.
    InvalidJson,
    /// A JSON content type with bytes that are not UTF-8.
    InvalidUtf8,
    /// A JSON body labelled `text/html`.
    WrongContentType,
    /// 100 of 1000 promised bytes, then a TCP reset.
    ResetMidBody,
    /// `307` to this URL prefix (+ the request path).
    RedirectTo(String),
    /// `500` with a JSON error, every time.
    Storm500,
    /// `429` with `Retry-After: 0` for the first `n` operation requests
    /// (`usize::MAX`: always), then [`Behaviour::Fine`].
    Storm429(usize),
    /// Accept, read, never answer anything, the probe included.
    NeverAnswer,
    /// Answer the probe, then never answer anything.
    HangAfterProbe,
}

/// A running hostile server.
pub struct Hostile {
    /// `http://127.0.0.1:PORT/v1`.
    pub base_url: String,
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    requests: Arc<AtomicUsize>,
    op_requests: Arc<AtomicUsize>,
    authorizations: Arc<Mutex<Vec<Option<String>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Hostile {
    /// Starts a server with `behaviour` on 127.0.0.1, port 0.
    pub async fn start(behaviour: Behaviour) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let requests = Arc::new(AtomicUsize::new(0));
        let op_requests = Arc::new(AtomicUsize::new(0));
        let authorizations = Arc::new(Mutex::new(Vec::new()));
        let (r, o, a) = (
            Arc::clone(&requests),
            Arc::clone(&op_requests),
            Arc::clone(&authorizations),
        );
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (b, r, o, a) = (behaviour.clone(), r.clone(), o.clone(), a.clone());
                tokio::spawn(async move {
                    let _ = handle(stream, b, r, o, a).await;
                });
            }
        });
        Hostile {
            base_url: format!("http://{addr}/v1"),
            origin: format!("http://{addr}"),
            requests,
            op_requests,
            authorizations,
            task,
        }
    }

    /// Requests received (complete heads), the probe included.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Requests for `/v1/operations/{id}` received.
    pub fn op_requests(&self) -> usize {
        self.op_requests.load(Ordering::SeqCst)
    }

    /// The `Authorization` header of every request, in arrival order.
    pub fn authorizations(&self) -> Vec<Option<String>> {
        self.authorizations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

async fn handle(
    mut stream: TcpStream,
    behaviour: Behaviour,
    requests: Arc<AtomicUsize>,
    op_requests: Arc<AtomicUsize>,
    authorizations: Arc<Mutex<Vec<Option<String>>>>,
) -> std::io::Result<()> {
    let Some((path, auth)) = read_head(&mut stream).await? else {
        return Ok(());
    };
    requests.fetch_add(1, Ordering::SeqCst);
    authorizations
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(auth);
    let is_probe = !path.starts_with("/v1/operations/");
    match (&behaviour, is_probe) {
        (Behaviour::NeverAnswer, _) => return hang().await,
        (_, true) => return respond(&mut stream, "200 OK", "application/json", b"{}").await,
        _ => {}
    }
    let n = op_requests.fetch_add(1, Ordering::SeqCst);
    match behaviour {
        Behaviour::Fine => {
            respond(&mut stream, "200 OK", "application/json", &fine_body(&path)).await
        }
        Behaviour::SlowHeaders => {
            stream.write_all(b"HTTP/1.1 200 OK\r\n").await?;
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                stream.write_all(b"x").await?;
            }
        }
        Behaviour::SlowBody => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n")
                .await?;
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                stream.write_all(b" ").await?;
            }
        }
        Behaviour::EndlessBody => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
                .await?;
            let chunk = vec![b'a'; 64 * 1024];
            let head = format!("{:x}\r\n", chunk.len());
            loop {
                stream.write_all(head.as_bytes()).await?;
                stream.write_all(&chunk).await?;
                stream.write_all(b"\r\n").await?;
            }
        }
        Behaviour::HugeContentLength => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 10000000000000\r\n\r\n{\"id\":")
                .await?;
            hang().await
        }
        Behaviour::InvalidJson => {
            respond(&mut stream, "200 OK", "application/json", b"{\"id\": \"op_").await
        }
        Behaviour::InvalidUtf8 => {
            respond(
                &mut stream,
                "200 OK",
                "application/json",
                b"{\"id\": \"op_\xff\xfe\xc3\x28\"}",
            )
            .await
        }
        Behaviour::WrongContentType => {
            respond(
                &mut stream,
                "200 OK",
                "text/html",
                b"<html><body>{\"id\":\"op_hostile\"}</body></html>",
            )
            .await
        }
        Behaviour::ResetMidBody => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n")
                .await?;
            stream.write_all(&[b' '; 100]).await?;
            stream.flush().await?;
            tokio::time::sleep(Duration::from_millis(50)).await;
            stream.set_zero_linger()?;
            drop(stream);
            Ok(())
        }
        Behaviour::RedirectTo(prefix) => {
            let head = format!(
                "HTTP/1.1 307 Temporary Redirect\r\nlocation: {prefix}{path}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await?;
            stream.shutdown().await
        }
        Behaviour::Storm500 => {
            respond(
                &mut stream,
                "500 Internal Server Error",
                "application/json",
                br#"{"error":{"code":500,"message":"storm"}}"#,
            )
            .await
        }
        Behaviour::Storm429(limit) if n < limit => {
            let head = "HTTP/1.1 429 Too Many Requests\r\nretry-after: 0\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
            stream.write_all(head.as_bytes()).await?;
            stream.shutdown().await
        }
        Behaviour::Storm429(_) => {
            respond(&mut stream, "200 OK", "application/json", &fine_body(&path)).await
        }
        Behaviour::HangAfterProbe | Behaviour::NeverAnswer => hang().await,
    }
}

async fn hang() -> std::io::Result<()> {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    Ok(())
}

async fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.shutdown().await
}

/// Reads a request head and its body; the path and `Authorization`.
async fn read_head(stream: &mut TcpStream) -> std::io::Result<Option<(String, Option<String>)>> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1024];
    let end = loop {
        let n = stream.read(&mut byte).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&byte[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 64 * 1024 {
            return Ok(None);
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let path = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("")
        .to_string();
    let mut auth = None;
    let mut length = 0usize;
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("authorization") {
                auth = Some(v.trim().to_string());
            }
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut have = buf.len() - end;
    while have < length {
        let n = stream.read(&mut byte).await?;
        if n == 0 {
            break;
        }
        have += n;
    }
    Ok(Some((path, auth)))
}

/// A contract-valid answer for `GET /v1/operations/{id}`: the operation,
/// done (the one judge checks every body, so a "fine" answer must be one).
fn fine_body(path: &str) -> Vec<u8> {
    let id = path
        .trim_start_matches("/v1/operations/")
        .split(['?', ':'])
        .next()
        .unwrap_or("op_hostile");
    crate::support::fake::operation(id, "SUCCEEDED")
        .to_string()
        .into_bytes()
}
