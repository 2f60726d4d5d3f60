//! HAR 1.2 (<http://www.softwareishard.com/blog/har-12-spec/>): a streaming
//! reader over `log.entries` and a writer.
//!
//! **Reading.** A HAR file may be 1 GiB: it is never read whole. A byte
//! scanner ([`super::scan`]) walks the top-level object to `log`, then to
//! `entries`, skipping every other member (`pages`, `creator`, in any order)
//! without building it, and cuts out one entry at a time into a reused
//! buffer that serde_json parses. Memory is one chunk plus the largest
//! entry (capped). An entry that cannot be read is a located
//! [`InputError`] and reading goes on; only a file that ends inside an
//! entry, or that is not a HAR file, stops it.
//!
//! Real writers differ from the spec; the reader takes what they write:
//! `content.text` absent (the body is then not judged), `encoding: "base64"`,
//! `time` and timings of `-1`, HTTP/2 pseudo-headers (`:authority`,
//! `:path`, `:status`: used, not kept as headers), any header name case,
//! `postData` absent, a status of 0 with Chromium's `_error` for a request
//! that got no response, a UTF-8 byte order mark.
//!
//! **Writing.** [`HarWriter`] writes exchanges as they come (for `--har` on
//! run/race/fuzz); [`har_of_run`] writes a whole [`RunResult`]. Redaction is
//! the caller's: a `RunResult` is redacted already. Every member HAR 1.2
//! requires is written (cookies `[]`, sizes `-1` where unknown), because
//! Chromium's importer reads them without checking.

use std::io::{self, Read, Write};
use std::sync::Arc;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::model::{Exchange, RecordedRequest, RecordedResponse, RunResult};

use super::record::{
    BodyState, InputError, Position, Record, Source, caller_of, redact_headers, redact_url,
};
use super::scan::{Captured, ScanError, Scanner};
use super::time::{format_ms, parse_ms};

/// Largest entry read (a bigger one is skipped and counted): bounds memory.
pub const DEFAULT_MAX_ENTRY_BYTES: usize = 64 * 1024 * 1024;

// ---------------------------------------------------------------------------
// What is read: only the members the audit uses; every one optional where
// some writer leaves it out.

#[derive(Deserialize)]
struct EntryIn {
    #[serde(rename = "startedDateTime")]
    started: Option<String>,
    time: Option<f64>,
    request: RequestIn,
    response: Option<ResponseIn>,
    /// Chromium: why a request got no response (`net::ERR_...`).
    #[serde(rename = "_error")]
    error: Option<String>,
}

#[derive(Deserialize)]
struct RequestIn {
    method: Option<String>,
    url: Option<String>,
    #[serde(default)]
    headers: Vec<HeaderIn>,
    #[serde(rename = "postData")]
    post_data: Option<PostDataIn>,
}

#[derive(Deserialize)]
struct HeaderIn {
    name: String,
    #[serde(default)]
    value: String,
}

#[derive(Deserialize)]
struct PostDataIn {
    text: Option<String>,
    /// Not in HAR 1.2, but some writers base64 request bodies too.
    encoding: Option<String>,
}

#[derive(Deserialize)]
struct ResponseIn {
    #[serde(default)]
    status: f64,
    #[serde(default)]
    headers: Vec<HeaderIn>,
    content: Option<ContentIn>,
}

#[derive(Deserialize)]
struct ContentIn {
    size: Option<f64>,
    text: Option<String>,
    encoding: Option<String>,
}

/// Reads `log.entries` of a HAR file one entry at a time.
pub struct HarReader<R> {
    file: Arc<str>,
    scan: Scanner<R>,
    state: State,
    key: Vec<u8>,
    entry: Vec<u8>,
    max_entry: usize,
    index: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    Entries,
    Done,
}

impl HarReader<std::fs::File> {
    /// Opens `path` (named `shown` in errors and evidence).
    pub fn open(path: &std::path::Path, shown: &str) -> Result<Self, InputError> {
        let file = std::fs::File::open(path).map_err(|e| InputError {
            file: shown.into(),
            position: Position::File,
            message: format!("cannot open: {e}"),
            fatal: true,
        })?;
        // No BufReader: the scanner reads in large chunks itself.
        Ok(HarReader::new(file, shown.into()))
    }
}

impl<R: Read> HarReader<R> {
    /// A reader over `reader`, named `file` in errors and evidence.
    pub fn new(reader: R, file: Arc<str>) -> Self {
        HarReader {
            file,
            scan: Scanner::new(reader),
            state: State::Start,
            key: Vec::new(),
            entry: Vec::new(),
            max_entry: DEFAULT_MAX_ENTRY_BYTES,
            index: 0,
        }
    }

    /// Entries longer than `bytes` are skipped as errors.
    pub fn max_entry_bytes(mut self, bytes: usize) -> Self {
        self.max_entry = bytes;
        self
    }

    fn error(&self, position: Position, message: String, fatal: bool) -> InputError {
        InputError {
            file: self.file.clone(),
            position,
            message,
            fatal,
        }
    }

    fn scan_error(&self, e: ScanError, position: Position, inside: &str) -> InputError {
        let message = match e {
            ScanError::Io(e) => format!("read failed: {e}"),
            ScanError::Eof => format!("the file ends inside {inside} (truncated?)"),
            ScanError::Unexpected {
                expected,
                found,
                offset,
            } => format!("expected {expected} at byte {offset}, found `{found}`"),
        };
        self.error(position, message, true)
    }

    /// Walks from the top to the first byte inside `log.entries`.
    fn find_entries(&mut self) -> Result<(), InputError> {
        let top = |s: &Self, e| s.scan_error(e, Position::File, "the top-level object");
        match self.scan.peek().map_err(|e| top(self, e))? {
            Some(b'{') => self.scan.bump(),
            Some(b) => {
                let found = std::ascii::escape_default(b).to_string();
                return Err(self.error(
                    Position::File,
                    format!("not a HAR file: expected a JSON object, found `{found}` at byte 0"),
                    true,
                ));
            }
            None => {
                return Err(self.error(Position::File, "the file is empty".into(), true));
            }
        }
        let mut in_log = false;
        loop {
            let inside = if in_log {
                "the `log` object"
            } else {
                "the top-level object"
            };
            let b = self
                .scan
                .peek()
                .map_err(|e| self.scan_error(e, Position::File, inside))?;
            match b {
                Some(b'}') => {
                    let message = if in_log {
                        "the `log` object has no `entries` array: not a HAR file"
                    } else {
                        "no `log` object at the top level: not a HAR file"
                    };
                    return Err(self.error(Position::File, message.into(), true));
                }
                Some(b',') => self.scan.bump(),
                None => return Err(self.scan_error(ScanError::Eof, Position::File, inside)),
                Some(_) => {}
            }
            let mut key = std::mem::take(&mut self.key);
            let step = self
                .scan
                .key(&mut key)
                .and_then(|()| self.scan.expect(b':', "`:` after a key"))
                .and_then(|()| self.scan.peek().map(|b| b.unwrap_or(0)));
            let next = step.map_err(|e| self.scan_error(e, Position::File, inside));
            let wanted: &[u8] = if in_log { b"entries" } else { b"log" };
            let hit = key == wanted;
            self.key = key;
            let next = next?;
            match (hit, in_log, next) {
                (true, false, b'{') => {
                    self.scan.bump();
                    in_log = true;
                }
                (true, true, b'[') => {
                    self.scan.bump();
                    return Ok(());
                }
                (true, _, _) => {
                    let what = if in_log {
                        "`log.entries` is not an array"
                    } else {
                        "`log` is not an object"
                    };
                    return Err(self.error(
                        Position::File,
                        format!("{what}: not a HAR file"),
                        true,
                    ));
                }
                _ => {
                    self.scan
                        .value(None, 0)
                        .map_err(|e| self.scan_error(e, Position::File, inside))?;
                }
            }
        }
    }

    /// The next entry's bytes in `self.entry`, or `None` after the last.
    fn next_entry(&mut self) -> Option<Result<(), InputError>> {
        let position = Position::Entry(self.index);
        let inside = format!("log.entries[{}]", self.index);
        let b = match self.scan.peek() {
            Ok(b) => b,
            Err(e) => return Some(Err(self.scan_error(e, position, &inside))),
        };
        match b {
            Some(b']') => return None,
            Some(b',') if self.index > 0 => self.scan.bump(),
            Some(_) if self.index == 0 => {}
            Some(b) => {
                return Some(Err(self.scan_error(
                    self.scan.unexpected("`,` or `]` between entries", b),
                    position,
                    &inside,
                )));
            }
            None => {
                return Some(Err(self.scan_error(
                    ScanError::Eof,
                    Position::File,
                    "`log.entries`",
                )));
            }
        }
        let offset = self.scan.offset();
        let mut buf = std::mem::take(&mut self.entry);
        let cut = self.scan.value(Some(&mut buf), self.max_entry);
        self.entry = buf;
        match cut {
            Ok(Captured::Whole) => Some(Ok(())),
            Ok(Captured::OverCap) => Some(Err(self.error(
                position,
                format!(
                    "the entry at byte {offset} is longer than the {} limit (skipped)",
                    super::record::human_bytes(self.max_entry as u64)
                ),
                false,
            ))),
            Err(e) => Some(Err(self.scan_error(e, position, &inside))),
        }
    }
}

impl<R: Read> Iterator for HarReader<R> {
    type Item = Result<Record, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.state {
                State::Done => return None,
                State::Start => match self.find_entries() {
                    Ok(()) => self.state = State::Entries,
                    Err(e) => {
                        self.state = State::Done;
                        return Some(Err(e));
                    }
                },
                State::Entries => {
                    let position = Position::Entry(self.index);
                    let got = match self.next_entry() {
                        None => {
                            self.state = State::Done;
                            return None;
                        }
                        Some(got) => got,
                    };
                    self.index += 1;
                    return Some(match got {
                        Err(e) => {
                            if e.fatal {
                                self.state = State::Done;
                            }
                            Err(e)
                        }
                        Ok(()) => {
                            let source = Source {
                                file: self.file.clone(),
                                position,
                            };
                            parse_entry(&self.entry, source).map_err(|message| InputError {
                                file: self.file.clone(),
                                position,
                                message,
                                fatal: false,
                            })
                        }
                    });
                }
            }
        }
    }
}

/// serde_json's message without its "at line L column C" (positions inside
/// one cut-out entry would mislead).
fn serde_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// One HAR entry's JSON as a record.
fn parse_entry(bytes: &[u8], source: Source) -> Result<Record, String> {
    if bytes.first() != Some(&b'{') {
        return Err("not a HAR entry: not a JSON object".into());
    }
    let entry: EntryIn = serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => format!("not a HAR entry: {}", serde_message(&e)),
        _ => format!("not valid JSON: {}", serde_message(&e)),
    })?;
    let started_text = entry
        .started
        .ok_or_else(|| "missing `startedDateTime`".to_string())?;
    let started_ms = parse_ms(&started_text).ok_or_else(|| {
        format!("`startedDateTime` \"{started_text}\" is not an ISO 8601 date-time")
    })?;
    let duration = entry.time.filter(|t| t.is_finite() && *t >= 0.0);

    // HTTP/2 pseudo-headers: used to fill in what is missing, not kept.
    let mut pseudo = Pseudo::default();
    let mut req_headers = Vec::with_capacity(entry.request.headers.len());
    for h in entry.request.headers {
        if let Some(name) = h.name.strip_prefix(':') {
            pseudo.set(name, h.value);
        } else {
            req_headers.push((h.name, h.value));
        }
    }
    let method = entry
        .request
        .method
        .filter(|m| !m.is_empty())
        .or(pseudo.method.take())
        .ok_or_else(|| "the request has no method".to_string())?;
    let url = match entry.request.url.filter(|u| u.contains("://")) {
        Some(u) => u,
        None => match (&pseudo.authority, &pseudo.path) {
            (Some(a), Some(p)) => {
                format!("{}://{a}{p}", pseudo.scheme.as_deref().unwrap_or("https"))
            }
            _ => return Err("the request has no absolute `url`".into()),
        },
    };
    let caller = caller_of(req_headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let req_body = entry
        .request
        .post_data
        .and_then(|p| decode(p.text?, p.encoding.as_deref()).ok());

    let mut error = entry.error.filter(|e| !e.is_empty());
    let (response, body, headers_known) = match entry.response {
        None => (None, BodyState::NotRecorded, false),
        Some(r) => {
            let mut status_pseudo = None;
            let mut headers = Vec::with_capacity(r.headers.len());
            for h in r.headers {
                if h.name == ":status" {
                    status_pseudo = h.value.trim().parse::<u16>().ok();
                } else if !h.name.starts_with(':') {
                    headers.push((h.name, h.value));
                }
            }
            let status = if r.status >= 100.0 && r.status < 1000.0 {
                Some(r.status as u16)
            } else {
                status_pseudo
            };
            match status {
                None => {
                    error.get_or_insert_with(|| "no response recorded (status 0)".into());
                    (None, BodyState::NotRecorded, false)
                }
                Some(status) => {
                    let (text, state, size) = content(r.content);
                    let headers_known = !headers.is_empty();
                    let response = RecordedResponse {
                        status,
                        headers,
                        body_bytes: size.unwrap_or(text.len() as u64),
                        body_truncated: state == BodyState::Cut,
                        body_excerpt: text,
                    };
                    (Some(response), state, headers_known)
                }
            }
        }
    };
    let elapsed_ms = duration.map_or(0, |d| d.round() as u64);
    let exchange = Exchange {
        request: RecordedRequest {
            method,
            url: redact_url(&url),
            headers: redact_headers(req_headers),
            body: req_body,
        },
        response,
        error,
        elapsed_ms,
        retries: 0,
        at_ms: u64::try_from(started_ms.saturating_add(elapsed_ms as i64)).unwrap_or(0),
    };
    Ok(Record {
        source,
        started_ms,
        exchange,
        body,
        duration_known: duration.is_some(),
        response_headers_known: headers_known,
        caller,
        body_json: None,
    })
}

#[derive(Default)]
struct Pseudo {
    method: Option<String>,
    scheme: Option<String>,
    authority: Option<String>,
    path: Option<String>,
}

impl Pseudo {
    fn set(&mut self, name: &str, value: String) {
        match name {
            "method" => self.method = Some(value),
            "scheme" => self.scheme = Some(value),
            "authority" => self.authority = Some(value),
            "path" => self.path = Some(value),
            _ => {}
        }
    }
}

/// A body text as stored, decoded: base64 when the writer says so.
fn decode(text: String, encoding: Option<&str>) -> Result<String, ()> {
    match encoding {
        Some(enc) if enc.eq_ignore_ascii_case("base64") => {
            let compact: String = text.split_ascii_whitespace().collect();
            let bytes = base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT
                .decode(compact.as_bytes())
                .map_err(|_| ())?;
            Ok(match String::from_utf8(bytes) {
                Ok(s) => s,
                Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            })
        }
        _ => Ok(text),
    }
}

/// The response body a `content` holds: text, how complete, declared size.
fn content(content: Option<ContentIn>) -> (String, BodyState, Option<u64>) {
    let Some(c) = content else {
        return (String::new(), BodyState::NotRecorded, None);
    };
    let size = c.size.filter(|s| *s >= 0.0).map(|s| s as u64);
    let Some(text) = c.text else {
        // An empty body needs no text to be complete.
        return if size == Some(0) {
            (String::new(), BodyState::Complete, size)
        } else {
            (String::new(), BodyState::NotRecorded, size)
        };
    };
    match decode(text, c.encoding.as_deref()) {
        Err(()) => (String::new(), BodyState::Cut, size),
        // Text shorter than the declared (decoded) size: the writer cut it.
        Ok(t) if size.is_some_and(|s| (t.len() as u64) < s) => (t, BodyState::Cut, size),
        Ok(t) => (t, BodyState::Complete, size),
    }
}

// ---------------------------------------------------------------------------
// Writing.

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

/// Every exchange of a run (each case's steps, its other attempts too) as
/// HAR 1.2 text, in the order the requests started. Each entry's comment
/// names the case and step. The result is written as it is: a `RunResult`
/// is redacted already.
///
/// The start of each request is the run's `started_at` plus the exchange's
/// `at_ms` (its end) minus its `elapsed_ms`.
pub fn har_of_run(result: &RunResult) -> String {
    let origin = parse_ms(&result.started_at).unwrap_or(0);
    let mut all: Vec<(i64, &Exchange, String)> = Vec::new();
    for case in &result.cases {
        let attempts =
            std::iter::once(&case.steps).chain(case.other_attempts.iter().map(|a| &a.steps));
        for steps in attempts {
            for step in steps {
                for ex in &step.exchanges {
                    let end = origin.saturating_add(i64::try_from(ex.at_ms).unwrap_or(0));
                    let start = end.saturating_sub(i64::try_from(ex.elapsed_ms).unwrap_or(0));
                    all.push((start, ex, format!("{} / {}", case.name, step.name)));
                }
            }
        }
    }
    // A stable sort keeps send order among equal starts.
    all.sort_by_key(|(start, ..)| *start);
    let mut w = match HarWriter::new(Vec::new(), &result.tool_version) {
        Ok(w) => w,
        Err(_) => return String::new(),
    };
    for (start, ex, comment) in &all {
        // Writing into a Vec cannot fail.
        let _ = w.entry(ex, *start, Some(comment));
    }
    let bytes = w.finish().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<Result<Record, InputError>> {
        HarReader::new(text.as_bytes(), "t.har".into()).collect()
    }

    const ENTRY: &str = r#"{"startedDateTime":"2026-05-07T12:00:00.000Z","time":12,
        "request":{"method":"GET","url":"https://h/v1/operations/op_1","headers":[]},
        "response":{"status":200,"headers":[{"name":"Content-Type","value":"application/json"}],
                    "content":{"size":2,"mimeType":"application/json","text":"{}"}}}"#;

    #[test]
    fn finds_entries_behind_other_members_in_any_order() {
        let text = format!(
            r#"{{"x":[1,{{"log":"no"}}],"log":{{"pages":[{{"id":"p"}}],"creator":{{"name":"c","version":"1"}},"entries":[{ENTRY},{ENTRY}],"comment":"after"}}}}"#
        );
        let got = read(&text);
        assert_eq!(got.len(), 2);
        let r = got[1].as_ref().expect("entry");
        assert_eq!(r.source.to_string(), "t.har log.entries[1]");
        assert_eq!(r.exchange.response.as_ref().map(|x| x.status), Some(200));
        assert_eq!(r.exchange.elapsed_ms, 12);
        assert!(r.response_headers_known);
    }

    #[test]
    fn not_a_har_file_says_why() {
        let msg = |t: &str| {
            read(t)
                .into_iter()
                .map(|r| r.err().map(|e| e.to_string()).unwrap_or_default())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            msg(r#"{"version":"1.2"}"#),
            ["t.har: no `log` object at the top level: not a HAR file"]
        );
        assert_eq!(
            msg(r#"{"log":{"version":"1.2"}}"#),
            ["t.har: the `log` object has no `entries` array: not a HAR file"]
        );
        assert_eq!(
            msg("[1]"),
            ["t.har: not a HAR file: expected a JSON object, found `[` at byte 0"]
        );
        assert_eq!(msg(""), ["t.har: the file is empty"]);
        assert_eq!(
            msg(r#"{"log":{"entries":7}}"#),
            ["t.har: `log.entries` is not an array: not a HAR file"]
        );
    }
}
