//! JSON Lines input: one exchange a line, as `schemas/exchange.schema.json`
//! documents it. Read streaming with a cap on the line length, validated
//! line by line against the schema (compiled once), and followed as the
//! file grows (`--follow`).
//!
//! A line longer than the cap is never held: reading stops copying at the
//! cap and skips to the next newline, so a 2 GiB line costs a read, not
//! 2 GiB of memory.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use jsonschema::Validator;
use serde_json::{Map, Value};

use crate::model::RecordedResponse;

use super::cut::Cut;
use super::record::{BodyState, InputError, Position, Record, Recorded, Source};
use super::time::parse_ms;

/// The documented schema of one line.
pub const EXCHANGE_SCHEMA: &str = include_str!("../../schemas/exchange.schema.json");

/// Longest line read (a longer one is skipped and counted).
pub const DEFAULT_MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// Longest schema message quoted in an error.
const MAX_MESSAGE_CHARS: usize = 300;

/// Turns one line into a [`Record`]: JSON, the schema, then the fields.
pub struct LineParser {
    validator: Validator,
}

impl std::fmt::Debug for LineParser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineParser").finish_non_exhaustive()
    }
}

fn cap(mut message: String) -> String {
    if let Some((at, _)) = message.char_indices().nth(MAX_MESSAGE_CHARS) {
        message.truncate(at);
        message.push('…');
    }
    message
}

impl LineParser {
    /// Compiles the bundled schema (once per audit).
    pub fn new() -> Result<Self, String> {
        let schema: Value = serde_json::from_str(EXCHANGE_SCHEMA)
            .map_err(|e| format!("bundled exchange schema is not JSON: {e}"))?;
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .offline()
            .build(&schema)
            .map_err(|e| format!("bundled exchange schema does not compile: {e}"))?;
        Ok(LineParser { validator })
    }

    /// The record of line `line_no` of `file`.
    pub fn parse(&self, file: &Arc<str>, line_no: u64, line: &[u8]) -> Result<Record, InputError> {
        let position = Position::Line(line_no);
        let fail = |message: String| InputError {
            file: file.clone(),
            position,
            message,
            fatal: false,
        };
        let value: Value = serde_json::from_slice(line).map_err(|e| {
            let hint = if e.is_eof() { " (truncated?)" } else { "" };
            // serde_json says "at line 1 column C": the line is ours.
            let text = e.to_string();
            let what = text
                .rfind(" at line ")
                .map_or(text.as_str(), |i| &text[..i]);
            fail(format!(
                "not valid JSON{hint}: {what} at column {}",
                e.column()
            ))
        })?;
        if !self.validator.is_valid(&value) {
            let first = self
                .validator
                .iter_errors(&value)
                .next()
                .map(|e| {
                    let at = e.instance_path().as_str().to_string();
                    if at.is_empty() {
                        e.to_string()
                    } else {
                        format!("{at}: {e}")
                    }
                })
                .unwrap_or_default();
            return Err(fail(format!(
                "not an exchange (schemas/exchange.schema.json): {}",
                cap(first)
            )));
        }
        let Value::Object(map) = value else {
            return Err(fail("not an exchange: not a JSON object".into()));
        };
        to_record(
            map,
            Source {
                file: file.clone(),
                position,
            },
        )
        .map_err(fail)
    }
}

fn take_str(map: &mut Map<String, Value>, key: &str) -> Option<String> {
    match map.remove(key) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

fn headers(v: Option<Value>) -> Option<Vec<(String, String)>> {
    match v? {
        Value::Object(m) => {
            let mut out = Vec::with_capacity(m.len());
            for (k, v) in m {
                match v {
                    Value::String(s) => out.push((k, s)),
                    Value::Array(items) => {
                        for item in items {
                            if let Value::String(s) = item {
                                out.push((k.clone(), s));
                            }
                        }
                    }
                    _ => {}
                }
            }
            Some(out)
        }
        Value::Array(pairs) => Some(
            pairs
                .into_iter()
                .filter_map(|p| match p {
                    Value::Array(mut kv) if kv.len() == 2 => {
                        let v = kv.pop()?;
                        let k = kv.pop()?;
                        match (k, v) {
                            (Value::String(k), Value::String(v)) => Some((k, v)),
                            _ => None,
                        }
                    }
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    }
}

fn body(text: Option<String>, encoding: Option<String>) -> Result<Option<String>, String> {
    let Some(text) = text else { return Ok(None) };
    if encoding.as_deref() != Some("base64") {
        return Ok(Some(text));
    }
    let bytes = base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT
        .decode(text.trim().as_bytes())
        .map_err(|e| format!("a body marked base64 is not base64: {e}"))?;
    Ok(Some(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }))
}

/// A validated line's members as a record.
fn to_record(mut map: Map<String, Value>, source: Source) -> Result<Record, String> {
    let time = take_str(&mut map, "time").unwrap_or_default();
    let started_ms =
        parse_ms(&time).ok_or_else(|| format!("`time` \"{time}\" is not an RFC 3339 date-time"))?;
    let method = take_str(&mut map, "method").unwrap_or_default();
    let url = take_str(&mut map, "url").unwrap_or_default();
    let req_headers = headers(map.remove("request_headers")).unwrap_or_default();
    let req_body = body(
        take_str(&mut map, "request_body"),
        take_str(&mut map, "request_body_encoding"),
    )?;
    let status = map
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| *s >= 100);
    let duration = map.get("duration_ms").and_then(Value::as_f64);
    let mut error = take_str(&mut map, "error");
    let resp_headers = headers(map.remove("response_headers"));
    let truncated = map.get("response_body_truncated") == Some(&Value::Bool(true));
    let resp_body = body(
        take_str(&mut map, "response_body"),
        take_str(&mut map, "response_body_encoding"),
    );
    let (response, state) = match status {
        None => {
            error.get_or_insert_with(|| "no response (status null)".into());
            (None, BodyState::NotRecorded)
        }
        Some(status) => {
            let (text, state) = match resp_body {
                Ok(Some(t)) if truncated => (t, BodyState::Cut),
                Ok(Some(t)) => (t, BodyState::Complete),
                Ok(None) => (String::new(), BodyState::NotRecorded),
                Err(_) => (String::new(), BodyState::Cut),
            };
            let bytes = text.len() as u64;
            (
                Some(RecordedResponse {
                    status,
                    headers: resp_headers.clone().unwrap_or_default(),
                    body_excerpt: text,
                    body_truncated: state == BodyState::Cut,
                    body_bytes: bytes,
                }),
                state,
            )
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
        body: state,
        response_headers_known: resp_headers.is_some_and(|h| !h.is_empty()),
    }
    .into_record())
}

/// One line as read.
enum Line {
    /// A complete line (without its newline) in the buffer.
    Text,
    /// A line longer than the cap: skipped; its length.
    TooLong(u64),
}

/// Reads capped lines; shared by [`JsonlReader`] and [`Tailer`].
struct Lines {
    buf: Vec<u8>,
    /// Bytes of the current line beyond what `buf` kept (over the cap).
    over: u64,
    max_line: usize,
}

impl Lines {
    fn new(max_line: usize) -> Self {
        Lines {
            buf: Vec::new(),
            over: 0,
            max_line,
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        if self.over > 0 || self.buf.len() + bytes.len() > self.max_line {
            self.over += (self.buf.len() + bytes.len()) as u64;
            self.buf.clear();
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }

    fn take(&mut self) -> Line {
        if self.over > 0 {
            let n = self.over;
            self.over = 0;
            self.buf.clear();
            Line::TooLong(n)
        } else {
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
            Line::Text
        }
    }

    fn pending(&self) -> bool {
        !self.buf.is_empty() || self.over > 0
    }

    /// Reads up to the next newline. `Ok(true)`: a line is ready;
    /// `Ok(false)`: end of the input for now (a partial line stays held);
    /// `consumed` counts the bytes read.
    fn fill<R: BufRead>(&mut self, reader: &mut R, consumed: &mut u64) -> io::Result<bool> {
        loop {
            let avail = match reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                return Ok(false);
            }
            match avail.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.push(&avail[..i]);
                    reader.consume(i + 1);
                    *consumed += i as u64 + 1;
                    return Ok(true);
                }
                None => {
                    let n = avail.len();
                    self.push(avail);
                    reader.consume(n);
                    *consumed += n as u64;
                }
            }
        }
    }
}

fn too_long(file: &Arc<str>, line_no: u64, len: u64, max: usize) -> InputError {
    InputError {
        file: file.clone(),
        position: Position::Line(line_no),
        message: format!(
            "the line is {len} bytes, over the {} limit of --max-line-bytes (skipped; raise the limit to read it)",
            super::record::human_bytes(max as u64)
        ),
        fatal: false,
    }
}

/// True for a line with nothing but whitespace (skipped, not an error).
fn blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// Reads a JSON Lines file to its end, one cut (or error) a line.
pub struct JsonlReader<R> {
    file: Arc<str>,
    reader: R,
    parser: Arc<LineParser>,
    lines: Lines,
    line_no: u64,
    consumed: u64,
    done: bool,
}

impl JsonlReader<BufReader<File>> {
    /// Opens `path` (named `shown` in errors and evidence).
    pub fn open(path: &Path, shown: &str, parser: Arc<LineParser>) -> Result<Self, InputError> {
        let file = File::open(path).map_err(|e| InputError {
            file: shown.into(),
            position: Position::File,
            message: format!("cannot open: {e}"),
            fatal: true,
        })?;
        Ok(JsonlReader::new(
            BufReader::with_capacity(256 * 1024, file),
            shown.into(),
            parser,
        ))
    }
}

impl<R: BufRead> JsonlReader<R> {
    /// A reader over `reader`, named `file` in errors and evidence.
    pub fn new(reader: R, file: Arc<str>, parser: Arc<LineParser>) -> Self {
        JsonlReader {
            file,
            reader,
            parser,
            lines: Lines::new(DEFAULT_MAX_LINE_BYTES),
            line_no: 0,
            consumed: 0,
            done: false,
        }
    }

    /// Lines longer than `bytes` are skipped as errors.
    pub fn max_line_bytes(mut self, bytes: usize) -> Self {
        self.lines.max_line = bytes;
        self
    }
}

/// Each line cut out, not parsed yet: [`Cut::parse`] makes it a record
/// (on any thread).
impl<R: BufRead> Iterator for JsonlReader<R> {
    type Item = Result<Cut, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let ready = match self.lines.fill(&mut self.reader, &mut self.consumed) {
                Ok(ready) => ready,
                Err(e) => {
                    self.done = true;
                    return Some(Err(InputError {
                        file: self.file.clone(),
                        position: Position::Line(self.line_no + 1),
                        message: format!("read failed: {e}"),
                        fatal: true,
                    }));
                }
            };
            if !ready {
                self.done = true;
                // The last line may lack its newline.
                if !self.lines.pending() {
                    return None;
                }
            }
            self.line_no += 1;
            match self.lines.take() {
                Line::TooLong(n) => {
                    return Some(Err(too_long(
                        &self.file,
                        self.line_no,
                        n,
                        self.lines.max_line,
                    )));
                }
                Line::Text if blank(&self.lines.buf) => {}
                Line::Text => {
                    return Some(Ok(Cut::Line {
                        file: self.file.clone(),
                        line_no: self.line_no,
                        bytes: std::mem::take(&mut self.lines.buf),
                        parser: self.parser.clone(),
                    }));
                }
            }
            self.lines.buf.clear();
        }
        None
    }
}

/// What a [`Tailer`] reports.
#[derive(Debug)]
pub enum TailEvent {
    /// A line read as an exchange.
    Record(Box<Record>),
    /// A line that is not one (or an over-long line, a read error).
    Error(InputError),
    /// Caught up with the writer: nothing more for now. A good moment to
    /// report what is pending (the audit's reorder window).
    Idle,
    /// The file was truncated or replaced (log rotation) and read again
    /// from its start: why.
    Reopened(String),
}

/// When a [`Tailer`] stops.
#[derive(Debug, Clone)]
pub struct TailOptions {
    /// How long to sleep when caught up.
    pub poll: Duration,
    /// Stop when this becomes true (Ctrl-C).
    pub stop: Arc<AtomicBool>,
    /// Stop at this instant, if given.
    pub until: Option<Instant>,
    /// Start at the end of the file (only new lines) instead of its start.
    pub from_end: bool,
    /// Longest line read.
    pub max_line: usize,
}

impl Default for TailOptions {
    fn default() -> Self {
        TailOptions {
            poll: Duration::from_millis(100),
            stop: Arc::new(AtomicBool::new(false)),
            until: None,
            from_end: false,
            max_line: DEFAULT_MAX_LINE_BYTES,
        }
    }
}

/// Follows a JSON Lines file as it grows (`tail -F`): reads what is there,
/// then polls for appended lines. A partial last line is held until its
/// newline arrives. A file replaced under its name (rotation) is read to
/// its end, then the new file from its start; a file truncated below what
/// was read is read again from its start. Ends when
/// [`TailOptions::stop`] is set or [`TailOptions::until`] passes.
pub struct Tailer {
    path: PathBuf,
    file: Arc<str>,
    parser: Arc<LineParser>,
    reader: BufReader<File>,
    identity: u64,
    consumed: u64,
    lines: Lines,
    line_no: u64,
    options: TailOptions,
    idle_reported: bool,
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.ino() ^ meta.dev().rotate_left(32)
}

#[cfg(not(unix))]
fn identity(_meta: &std::fs::Metadata) -> u64 {
    0
}

impl Tailer {
    /// Starts following `path` (named `shown` in errors and evidence).
    pub fn open(
        path: &Path,
        shown: &str,
        parser: Arc<LineParser>,
        options: TailOptions,
    ) -> Result<Self, InputError> {
        let fail = |e: io::Error| InputError {
            file: shown.into(),
            position: Position::File,
            message: format!("cannot open: {e}"),
            fatal: true,
        };
        let mut file = File::open(path).map_err(fail)?;
        let meta = file.metadata().map_err(fail)?;
        let mut consumed = 0;
        if options.from_end {
            use std::io::Seek;
            consumed = file.seek(io::SeekFrom::End(0)).map_err(fail)?;
        }
        Ok(Tailer {
            path: path.to_path_buf(),
            file: shown.into(),
            parser,
            reader: BufReader::with_capacity(256 * 1024, file),
            identity: identity(&meta),
            consumed,
            lines: Lines::new(options.max_line),
            line_no: 0,
            options,
            idle_reported: false,
        })
    }

    fn stopped(&self) -> bool {
        self.options.stop.load(Ordering::Relaxed)
            || self.options.until.is_some_and(|t| Instant::now() >= t)
    }

    /// After the end of the file: was it replaced or truncated? Reopens
    /// and says why when it was.
    fn check_rotation(&mut self) -> Option<String> {
        let meta = std::fs::metadata(&self.path).ok()?;
        let why = if identity(&meta) != self.identity {
            "replaced (rotated)"
        } else if meta.len() < self.consumed {
            "truncated"
        } else {
            return None;
        };
        let file = File::open(&self.path).ok()?;
        let meta = file.metadata().ok()?;
        self.identity = identity(&meta);
        self.reader = BufReader::with_capacity(256 * 1024, file);
        self.consumed = 0;
        self.line_no = 0;
        self.lines.buf.clear();
        self.lines.over = 0;
        Some(format!(
            "{} was {why}: reading it from its start",
            self.file
        ))
    }

    fn line_event(&mut self) -> Option<TailEvent> {
        self.line_no += 1;
        let event = match self.lines.take() {
            Line::TooLong(n) => Some(TailEvent::Error(too_long(
                &self.file,
                self.line_no,
                n,
                self.lines.max_line,
            ))),
            Line::Text if blank(&self.lines.buf) => None,
            Line::Text => Some(
                match self.parser.parse(&self.file, self.line_no, &self.lines.buf) {
                    Ok(r) => TailEvent::Record(Box::new(r)),
                    Err(e) => TailEvent::Error(e),
                },
            ),
        };
        self.lines.buf.clear();
        event
    }
}

impl Iterator for Tailer {
    type Item = TailEvent;

    fn next(&mut self) -> Option<TailEvent> {
        loop {
            if self.stopped() {
                return None;
            }
            match self.lines.fill(&mut self.reader, &mut self.consumed) {
                Ok(true) => {
                    self.idle_reported = false;
                    if let Some(event) = self.line_event() {
                        return Some(event);
                    }
                    continue;
                }
                Ok(false) => {}
                Err(e) => {
                    return Some(TailEvent::Error(InputError {
                        file: self.file.clone(),
                        position: Position::Line(self.line_no + 1),
                        message: format!("read failed: {e}"),
                        fatal: false,
                    }));
                }
            }
            // Caught up. A rotated file's last line may lack its newline:
            // it is complete once the file is replaced.
            let held = self.lines.pending();
            let rotated_line = if held {
                std::fs::metadata(&self.path)
                    .ok()
                    .filter(|m| identity(m) != self.identity)
                    .and_then(|_| self.line_event())
            } else {
                None
            };
            if let Some(event) = rotated_line {
                return Some(event);
            }
            if let Some(why) = self.check_rotation() {
                self.idle_reported = false;
                return Some(TailEvent::Reopened(why));
            }
            if !self.idle_reported {
                self.idle_reported = true;
                return Some(TailEvent::Idle);
            }
            let nap = match self.options.until {
                Some(t) => self
                    .options
                    .poll
                    .min(t.saturating_duration_since(Instant::now())),
                None => self.options.poll,
            };
            std::thread::sleep(nap);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(text: &str, max: usize) -> Vec<Result<Record, InputError>> {
        let parser = Arc::new(LineParser::new().expect("schema compiles"));
        JsonlReader::new(text.as_bytes(), "g.jsonl".into(), parser)
            .max_line_bytes(max)
            .map(|cut| cut.and_then(Cut::parse))
            .collect()
    }

    const LINE: &str = r#"{"time":"2026-05-07T12:00:00Z","method":"GET","url":"/v1/operations/op_1","status":200,"response_body":"{}","duration_ms":3.6,"response_headers":{"content-type":"application/json","x-multi":["a","b"]}}"#;

    #[test]
    fn reads_lines_skips_blanks_and_keeps_numbering() {
        let text = format!("{LINE}\n\n  \r\n{LINE}\r\n{LINE}");
        let got = parse_all(&text, 1 << 20);
        assert_eq!(got.len(), 3);
        let last = got[2].as_ref().expect("record");
        assert_eq!(last.source.to_string(), "g.jsonl line 5");
        assert_eq!(last.exchange.elapsed_ms, 4);
        assert!(last.duration_known);
        assert_eq!(
            last.exchange.response.as_ref().map(|r| r.headers.len()),
            Some(3)
        );
    }

    #[test]
    fn bad_lines_are_located_and_the_rest_is_read() {
        let long = format!("{{\"x\":\"{}\"}}", "a".repeat(300));
        let text = format!(
            "{LINE}\n{{\"time\":\"2026-05-07T12:00:00Z\",\"method\n{{\"time\":\"2026-05-07T12:00:00Z\",\"method\":\"GET\",\"url\":\"/x\",\"status\":\"ok\"}}\n{long}\n{LINE}\n"
        );
        let got = parse_all(&text, 250);
        let errors: Vec<String> = got
            .iter()
            .filter_map(|r| r.as_ref().err().map(ToString::to_string))
            .collect();
        assert_eq!(got.iter().filter(|r| r.is_ok()).count(), 2, "{errors:?}");
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert_eq!(
            errors[0],
            "g.jsonl: line 2: not valid JSON (truncated?): EOF while parsing a string at column 38"
        );
        assert_eq!(
            errors[1],
            "g.jsonl: line 3: not an exchange (schemas/exchange.schema.json): /status: \"ok\" is not of types \"null\", \"integer\""
        );
        assert_eq!(
            errors[2],
            "g.jsonl: line 4: the line is 308 bytes, over the 250-byte limit of --max-line-bytes (skipped; raise the limit to read it)"
        );
    }

    #[test]
    fn the_schema_examples_are_exchanges() {
        let schema: Value = serde_json::from_str(EXCHANGE_SCHEMA).expect("json");
        let parser = LineParser::new().expect("compiles");
        for example in schema["examples"].as_array().expect("examples") {
            let line = serde_json::to_vec(example).expect("serializes");
            let r = parser.parse(&"s".into(), 1, &line).expect("an exchange");
            // The example's credential is dropped, even redacted.
            assert_eq!(r.request_header("authorization"), Some("Bearer [REDACTED]"));
        }
    }
}
