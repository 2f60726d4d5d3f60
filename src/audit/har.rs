//! HAR 1.2 (<http://www.softwareishard.com/blog/har-12-spec/>): a streaming
//! reader over `log.entries` and a writer.
//!
//! **Reading.** A HAR file may be 1 GiB: it is never read whole. A byte
//! scanner (`scan`) walks the top-level object to `log`, then to
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

use std::io::Read;
use std::sync::Arc;

use base64::Engine as _;
use serde::Deserialize;

use crate::model::{Exchange, RecordedResponse, RunResult};

use super::cut::Cut;
use super::record::{BodyState, InputError, Position, Record, Recorded, Source};
use super::scan::{Captured, ScanError, Scanner};
use super::time::parse_ms;
pub use crate::target::har::HarWriter;

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

/// Reads `log.entries` of a HAR file one entry at a time, as cuts.
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
                    "the entry at byte {offset} is longer than the {} limit of --max-line-bytes (skipped; raise the limit to read it)",
                    super::record::human_bytes(self.max_entry as u64)
                ),
                false,
            ))),
            Err(e) => Some(Err(self.scan_error(e, position, &inside))),
        }
    }
}

/// Each entry cut out, not parsed yet: [`Cut::parse`] makes it a record
/// (on any thread).
impl<R: Read> Iterator for HarReader<R> {
    type Item = Result<Cut, InputError>;

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
                        Ok(()) => Ok(Cut::Entry {
                            file: self.file.clone(),
                            index: self.index - 1,
                            bytes: std::mem::take(&mut self.entry),
                        }),
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
pub(super) fn parse_entry(bytes: &[u8], source: Source) -> Result<Record, String> {
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
    Ok(Recorded {
        source,
        started_ms,
        duration_ms: duration,
        method,
        url,
        request_headers: req_headers,
        request_body: req_body,
        response,
        error,
        body,
        response_headers_known: headers_known,
    }
    .into_record())
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
        HarReader::new(text.as_bytes(), "t.har".into())
            .map(|cut| cut.and_then(Cut::parse))
            .collect()
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
