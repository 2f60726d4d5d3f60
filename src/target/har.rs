//! Recording: every exchange a run, fuzz (or race) session makes, written
//! as HAR 1.2 as it is made ([`HarWriter`], [`Recorder`]).
//!
//! A [`Recorder`] is set on the live [`super::Target`] by
//! [`super::TargetSpec::record`]; every sender that holds the target (the
//! runner's [`super::HttpClient`], the fuzzer's executor) hands it each
//! exchange once it is recorded, that is redacted. Every member HAR 1.2
//! requires is written (cookies `[]`, sizes `-1` where unknown), because
//! Chromium's importer reads them without checking.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::model::Exchange;

use super::rfc3339::format_ms;

#[derive(Serialize)]
struct NameValue<'a> {
    name: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EntryOut<'a> {
    started_date_time: String,
    time: u64,
    request: RequestOut<'a>,
    response: ResponseOut<'a>,
    cache: serde_json::Map<String, serde_json::Value>,
    timings: TimingsOut,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<&'a str>,
    /// Chromium's member for a request that got no response.
    #[serde(rename = "_error", skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestOut<'a> {
    method: &'a str,
    url: &'a str,
    http_version: &'static str,
    cookies: [(); 0],
    headers: Vec<NameValue<'a>>,
    query_string: Vec<QueryOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    post_data: Option<PostDataOut<'a>>,
    headers_size: i64,
    body_size: i64,
}

#[derive(Serialize)]
struct QueryOut {
    name: String,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PostDataOut<'a> {
    mime_type: &'a str,
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResponseOut<'a> {
    status: u16,
    status_text: &'a str,
    http_version: &'static str,
    cookies: [(); 0],
    headers: Vec<NameValue<'a>>,
    content: ContentOut<'a>,
    #[serde(rename = "redirectURL")]
    redirect_url: &'a str,
    headers_size: i64,
    body_size: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContentOut<'a> {
    size: u64,
    mime_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

#[derive(Serialize)]
struct TimingsOut {
    blocked: i64,
    dns: i64,
    connect: i64,
    send: u64,
    wait: u64,
    receive: u64,
    ssl: i64,
}

/// Only bytes that are not ASCII (everything ASCII stays as written).
const NON_ASCII: &percent_encoding::AsciiSet = percent_encoding::CONTROLS;

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn query_of(url: &str) -> Vec<QueryOut> {
    url::Url::parse(url)
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| QueryOut {
                    name: k.into_owned(),
                    value: v.into_owned(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Writes a HAR 1.2 file entry by entry (for recording as requests go).
///
/// ```
/// use opconform::audit::har::HarWriter;
/// let mut w = HarWriter::new(Vec::new(), "0.1.0").unwrap();
/// let bytes = w.finish().unwrap();
/// let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
/// assert_eq!(v["log"]["creator"]["name"], "opconform");
/// ```
pub struct HarWriter<W: Write> {
    out: W,
    entries: u64,
}

impl<W: Write> HarWriter<W> {
    /// Starts the file: `log.version`, `log.creator` (`opconform`, `version`).
    pub fn new(mut out: W, version: &str) -> io::Result<Self> {
        let creator = serde_json::json!({"name": "opconform", "version": version});
        write!(
            out,
            "{{\"log\":{{\"version\":\"1.2\",\"creator\":{creator},\"entries\":["
        )?;
        Ok(HarWriter { out, entries: 0 })
    }

    /// Appends one exchange that started at `started_ms` (Unix ms), with
    /// an optional `comment` (e.g. the case and step).
    pub fn entry(
        &mut self,
        exchange: &Exchange,
        started_ms: i64,
        comment: Option<&str>,
    ) -> io::Result<()> {
        let req = &exchange.request;
        // A URL with bytes that are not ASCII is not a URI (HAR wants one):
        // percent-encode them, as browsers do on the wire.
        let url = if req.url.is_ascii() {
            std::borrow::Cow::Borrowed(req.url.as_str())
        } else {
            std::borrow::Cow::Owned(
                percent_encoding::utf8_percent_encode(&req.url, NON_ASCII).to_string(),
            )
        };
        let request = RequestOut {
            method: &req.method,
            url: &url,
            http_version: "HTTP/1.1",
            cookies: [],
            headers: req
                .headers
                .iter()
                .map(|(k, v)| NameValue { name: k, value: v })
                .collect(),
            query_string: query_of(&url),
            post_data: req.body.as_deref().map(|text| PostDataOut {
                mime_type: header(&req.headers, "content-type")
                    .unwrap_or("application/octet-stream"),
                text,
            }),
            headers_size: -1,
            body_size: req.body.as_ref().map_or(0, |b| b.len() as i64),
        };
        let response = match &exchange.response {
            Some(r) => ResponseOut {
                status: r.status,
                status_text: http::StatusCode::from_u16(r.status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or(""),
                http_version: "HTTP/1.1",
                cookies: [],
                headers: r
                    .headers
                    .iter()
                    .map(|(k, v)| NameValue { name: k, value: v })
                    .collect(),
                content: ContentOut {
                    size: r.body_bytes.max(r.body_excerpt.len() as u64),
                    mime_type: header(&r.headers, "content-type").unwrap_or("x-unknown"),
                    text: Some(&r.body_excerpt),
                    comment: r.body_truncated.then(|| {
                        format!(
                            "body cut to its first {} bytes by the recorder",
                            r.body_excerpt.len()
                        )
                    }),
                },
                redirect_url: header(&r.headers, "location").unwrap_or(""),
                headers_size: -1,
                body_size: i64::try_from(r.body_bytes).unwrap_or(-1),
            },
            // HAR has no "no response": status 0, as Chromium writes it.
            None => ResponseOut {
                status: 0,
                status_text: "",
                http_version: "",
                cookies: [],
                headers: Vec::new(),
                content: ContentOut {
                    size: 0,
                    mime_type: "x-unknown",
                    text: None,
                    comment: None,
                },
                redirect_url: "",
                headers_size: -1,
                body_size: -1,
            },
        };
        let entry = EntryOut {
            started_date_time: format_ms(started_ms),
            time: exchange.elapsed_ms,
            request,
            response,
            cache: serde_json::Map::new(),
            timings: TimingsOut {
                blocked: -1,
                dns: -1,
                connect: -1,
                send: 0,
                wait: exchange.elapsed_ms,
                receive: 0,
                ssl: -1,
            },
            comment,
            error: exchange
                .error
                .as_deref()
                .filter(|_| exchange.response.is_none()),
        };
        if self.entries > 0 {
            self.out.write_all(b",")?;
        }
        self.out.write_all(b"\n")?;
        serde_json::to_writer(&mut self.out, &entry)?;
        self.entries += 1;
        Ok(())
    }

    /// Closes the file; returns the writer (flushed).
    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(b"\n]}}\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Unix milliseconds now: what a sender takes just before it sends, for
/// [`Recorder::record`].
pub fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(0))
        .unwrap_or(0)
}

/// `--har FILE`: every exchange a session makes, written to a HAR 1.2 file
/// as it is made, from any thread. Clones share the file. Give it to a
/// target with [`super::TargetSpec::record`]; call [`Recorder::finish`]
/// when the session is over (the last clone dropped closes the file too).
///
/// Exchanges are written as they are given: senders give them recorded,
/// that is redacted of every token and secret of the target.
#[derive(Clone)]
pub struct Recorder {
    inner: Arc<Mutex<RecorderState>>,
    path: Arc<PathBuf>,
}

struct RecorderState {
    writer: Option<HarWriter<BufWriter<File>>>,
    entries: u64,
    /// The first write error (later writes are not tried).
    error: Option<String>,
}

impl Drop for RecorderState {
    fn drop(&mut self) {
        if let Some(w) = self.writer.take() {
            let _ = w.finish();
        }
    }
}

impl Recorder {
    /// Creates (or truncates) `path` and writes the start of the HAR file.
    pub fn create(path: &Path) -> io::Result<Recorder> {
        let file = File::create(path)?;
        let writer = HarWriter::new(
            BufWriter::with_capacity(64 * 1024, file),
            env!("CARGO_PKG_VERSION"),
        )?;
        Ok(Recorder {
            inner: Arc::new(Mutex::new(RecorderState {
                writer: Some(writer),
                entries: 0,
                error: None,
            })),
            path: Arc::new(path.to_path_buf()),
        })
    }

    /// The file written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `exchange` (recorded, so redacted), sent at `started_ms`
    /// ([`wall_ms`] taken just before sending: the recorded times must
    /// contain the server's, or overlapping requests would look apart),
    /// with an optional comment.
    pub fn record(&self, exchange: &Exchange, started: i64, comment: Option<&str>) {
        let mut state = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if state.error.is_some() {
            return;
        }
        let Some(w) = state.writer.as_mut() else {
            return;
        };
        match w.entry(exchange, started, comment) {
            Ok(()) => state.entries += 1,
            Err(e) => state.error = Some(e.to_string()),
        }
    }

    /// Closes the file: the entries written so far, or the first error.
    /// Later calls return the same count; exchanges given after it are
    /// not written.
    pub fn finish(&self) -> Result<u64, String> {
        let mut state = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(w) = state.writer.take()
            && let Err(e) = w.finish()
            && state.error.is_none()
        {
            state.error = Some(e.to_string());
        }
        match &state.error {
            Some(e) => Err(format!("write {}: {e}", self.path.display())),
            None => Ok(state.entries),
        }
    }
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("path", &self.path)
            .finish()
    }
}
