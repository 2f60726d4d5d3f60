//! One recorded exchange as the audit reads it, wherever it came from (a
//! HAR entry, a JSON Lines line), where it sits in its input, and the input
//! errors that stand for the entries that could not be read.
//!
//! Secrets are dropped here, as a record is made: credential headers keep
//! only their scheme, credential-looking query parameters and `sk_akua_`
//! tokens are replaced. What the audit reports is built from records, so a
//! token never reaches a finding.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::model::Exchange;
use crate::redact::REDACTED;

use super::time::format_ms;

/// Where an exchange (or an input error) sits in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Position {
    /// `log.entries[N]` of a HAR file (0-based, as the JSON path reads).
    Entry(u64),
    /// Line N of a JSON Lines file (1-based, as editors count).
    Line(u64),
    /// The file as a whole (it is not a HAR file, it cannot be opened ...).
    File,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Entry(n) => write!(f, "log.entries[{n}]"),
            Position::Line(n) => write!(f, "line {n}"),
            Position::File => Ok(()),
        }
    }
}

/// A file and a position in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Source {
    /// The file as named on the command line.
    pub file: Arc<str>,
    /// Where in it.
    pub position: Position,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Position::File => write!(f, "{}", self.file),
            p => write!(f, "{} {p}", self.file),
        }
    }
}

/// An entry or line that could not be read, or a file that is not an
/// input at all. The rest of the input is still audited (unless `fatal`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct InputError {
    /// The file as named on the command line.
    pub file: Arc<str>,
    /// The entry or line; [`Position::File`] for the file as a whole.
    pub position: Position,
    /// What is wrong, in words that help fix it.
    pub message: String,
    /// True when nothing after this point of the file can be read (a
    /// truncated HAR, a file that is not a HAR file, an I/O error).
    pub fatal: bool,
}

impl InputError {
    fn render(&self) -> String {
        match self.position {
            Position::File => format!("{}: {}", self.file, self.message),
            p => format!("{}: {p}: {}", self.file, self.message),
        }
    }
}

/// How much of a response body the recording holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyState {
    /// The whole body.
    Complete,
    /// None: the writer left it out (HAR `content.text` absent, a gateway
    /// that does not log bodies). Body rules are not judged: a recording
    /// without bodies is not a server that sends none.
    NotRecorded,
    /// Part of it (the writer cut it, or it could not be decoded). Not
    /// judged, for the same reason.
    Cut,
}

/// One recorded exchange, ready for the audit.
#[derive(Debug, Clone)]
pub struct Record {
    /// Where it came from.
    pub source: Source,
    /// When the request started, Unix milliseconds (the recording's clock).
    pub started_ms: i64,
    /// The exchange, redacted. `at_ms` is when the response ended, Unix
    /// milliseconds (start + duration); `response.body_excerpt` holds the
    /// whole recorded body.
    pub exchange: Exchange,
    /// How much of the response body was recorded.
    pub body: BodyState,
    /// True when the recording gives the exchange's duration (a HAR `time`
    /// of -1 or a line without `duration_ms` does not).
    pub duration_known: bool,
    /// True when the recording lists the response's headers (gateways often
    /// log none): header rules are only judged then.
    pub response_headers_known: bool,
    /// A hash of the caller's credential and `akua-context` as recorded
    /// (the value itself is dropped): Idempotency-Keys are scoped by it.
    /// Recordings that redact tokens make every caller one caller.
    pub caller: u64,
    /// What [`super::check::Prejudge`] worked out ahead (on a worker
    /// thread): the body parsed and the one judge's findings. `None`: the
    /// auditor works it out itself.
    pub ahead: Option<Box<super::check::Ahead>>,
}

/// What a reader took out of one line or entry, before it is a record.
pub(super) struct Recorded {
    pub source: Source,
    pub started_ms: i64,
    /// The duration, when the recording gives one.
    pub duration_ms: Option<f64>,
    pub method: String,
    /// As recorded: secrets are dropped by [`Recorded::into_record`].
    pub url: String,
    /// As recorded: secrets are dropped by [`Recorded::into_record`].
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    pub response: Option<crate::model::RecordedResponse>,
    pub error: Option<String>,
    pub body: BodyState,
    pub response_headers_known: bool,
}

impl Recorded {
    /// The record: the caller hashed from the credentials as recorded,
    /// then the URL and the headers redacted.
    pub(super) fn into_record(self) -> Record {
        let caller = caller_of(
            self.request_headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        let elapsed_ms = self.duration_ms.map_or(0, |d| d.round() as u64);
        let exchange = Exchange {
            request: crate::model::RecordedRequest {
                method: self.method,
                url: redact_url(&self.url),
                headers: redact_headers(self.request_headers),
                body: self.request_body,
            },
            response: self.response,
            error: self.error,
            elapsed_ms,
            retries: 0,
            at_ms: u64::try_from(self.started_ms.saturating_add(elapsed_ms as i64)).unwrap_or(0),
        };
        Record {
            source: self.source,
            started_ms: self.started_ms,
            exchange,
            body: self.body,
            duration_known: self.duration_ms.is_some(),
            response_headers_known: self.response_headers_known,
            caller,
            ahead: None,
        }
    }
}

impl Record {
    /// When the response ended, Unix milliseconds.
    pub fn ended_ms(&self) -> i64 {
        self.started_ms
            .saturating_add(i64::try_from(self.exchange.elapsed_ms).unwrap_or(i64::MAX))
    }

    /// The request's path and query as sent (after the authority).
    pub fn path_and_query(&self) -> &str {
        path_and_query(&self.exchange.request.url)
    }

    /// The first request header with this name (case-insensitive).
    pub fn request_header(&self, name: &str) -> Option<&str> {
        self.exchange
            .request
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The compact evidence for this record.
    pub fn evidence(&self) -> Evidence {
        Evidence(Arc::new(EvidenceInner {
            source: self.source.clone(),
            time_ms: self.started_ms,
            method: self.exchange.request.method.clone().into_boxed_str(),
            path: self.path_and_query().into(),
            status: self.exchange.response.as_ref().map(|r| r.status),
        }))
    }
}

/// The path and query of an absolute URL (or the text itself when it is
/// already a path).
pub fn path_and_query(url: &str) -> &str {
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => url,
    }
}

/// A reference to one exchange, small enough to keep in histories: where it
/// is, when it started, its method, path and status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence(Arc<EvidenceInner>);

#[derive(Debug, PartialEq, Eq)]
struct EvidenceInner {
    source: Source,
    time_ms: i64,
    method: Box<str>,
    path: Box<str>,
    status: Option<u16>,
}

impl Evidence {
    /// Where the exchange is.
    pub fn source(&self) -> &Source {
        &self.0.source
    }

    /// When its request started, Unix milliseconds.
    pub fn time_ms(&self) -> i64 {
        self.0.time_ms
    }

    /// Its method.
    pub fn method(&self) -> &str {
        &self.0.method
    }

    /// Its path and query (redacted).
    pub fn path(&self) -> &str {
        &self.0.path
    }

    /// Its status (`None`: no response).
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.0;
        write!(
            f,
            "{} ({}) {} {}",
            e.source,
            format_ms(e.time_ms),
            e.method,
            e.path
        )?;
        match e.status {
            Some(s) => write!(f, " -> {s}"),
            None => write!(f, " -> no response"),
        }
    }
}

/// Headers whose values are credentials (compared case-insensitively).
const CREDENTIAL_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
    "x-auth-token",
];

/// True for a header whose value is a credential.
pub fn is_credential_header(name: &str) -> bool {
    CREDENTIAL_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
}

/// The redacted value of a credential header: its scheme (`Bearer`) is kept,
/// so a reader still sees which kind of credential was sent.
pub fn redact_credential(value: &str) -> String {
    match value.trim().split_once(' ') {
        Some((scheme, _)) if scheme.chars().all(|c| c.is_ascii_alphabetic()) => {
            format!("{scheme} {REDACTED}")
        }
        _ => REDACTED.to_string(),
    }
}

/// Query parameter names whose values are treated as credentials.
fn credential_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "token",
        "secret",
        "password",
        "api_key",
        "apikey",
        "signature",
    ]
    .iter()
    .any(|w| n.contains(w))
        || n == "key"
        || n == "auth"
        || n == "sig"
}

/// `url` with credential-looking query values and `sk_` tokens replaced.
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut out = scrub(base).into_owned();
    if let Some(query) = query {
        out.push('?');
        let (query, fragment) = match query.split_once('#') {
            Some((q, f)) => (q, Some(f)),
            None => (query, None),
        };
        for (i, pair) in query.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            match pair.split_once('=') {
                Some((k, _)) if credential_param(k) => {
                    out.push_str(k);
                    out.push('=');
                    out.push_str(REDACTED);
                }
                _ => out.push_str(&scrub(pair)),
            }
        }
        if let Some(f) = fragment {
            out.push('#');
            out.push_str(&scrub(f));
        }
    }
    out
}

/// `text` with akua API tokens (`sk_akua_...`, any `sk_` token) and bearer
/// credentials replaced: defence in depth for text a recording carried in
/// unexpected places (a token in a body, a header the list above misses).
pub fn scrub(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("sk_") && !text.contains("Bearer ") && !text.contains("bearer ") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let next = ["sk_", "Bearer ", "bearer "]
            .iter()
            .filter_map(|p| rest.find(p).map(|i| (i, *p)))
            .min_by_key(|(i, _)| *i);
        let Some((i, pat)) = next else {
            out.push_str(rest);
            break;
        };
        // `sk_` only as the start of a word (not "task_id").
        let word_start = i == 0
            || !rest[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        out.push_str(&rest[..i]);
        let after = &rest[i + pat.len()..];
        let token_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || "_-.~+/=".contains(c)))
            .unwrap_or(after.len());
        if pat == "sk_" && (!word_start || token_len < 4) {
            out.push_str(pat);
            rest = after;
            continue;
        }
        if pat != "sk_" {
            out.push_str(pat);
        }
        out.push_str(REDACTED);
        rest = &after[token_len..];
    }
    std::borrow::Cow::Owned(out)
}

/// The caller scope of a request: a hash of its credential and
/// `akua-context` headers as recorded.
pub fn caller_of<'a>(headers: impl Iterator<Item = (&'a str, &'a str)>) -> u64 {
    let mut auth = "";
    let mut context = "";
    for (k, v) in headers {
        if k.eq_ignore_ascii_case("authorization") {
            auth = v;
        } else if k.eq_ignore_ascii_case("akua-context") {
            context = v;
        }
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    auth.trim().hash(&mut h);
    context.trim().hash(&mut h);
    h.finish()
}

/// Request headers as kept: credentials redacted, other values scrubbed.
pub fn redact_headers(headers: Vec<(String, String)>) -> Vec<(String, String)> {
    headers
        .into_iter()
        .map(|(k, v)| {
            if is_credential_header(&k) {
                let v = redact_credential(&v);
                (k, v)
            } else {
                let v = match scrub(&v) {
                    std::borrow::Cow::Borrowed(_) => v,
                    std::borrow::Cow::Owned(s) => s,
                };
                (k, v)
            }
        })
        .collect()
}

/// `16 MiB`, `1 KiB`, `300-byte`: a limit in messages.
pub(crate) fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 && n % (1 << 20) == 0 {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n % (1 << 10) == 0 {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n}-byte")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_errors_name_file_and_entry() {
        let e = InputError {
            file: "t.har".into(),
            position: Position::Entry(3),
            message: "missing field `request`".into(),
            fatal: false,
        };
        assert_eq!(
            e.to_string(),
            "t.har: log.entries[3]: missing field `request`"
        );
        let e = InputError {
            file: "g.jsonl".into(),
            position: Position::File,
            message: "cannot open".into(),
            fatal: true,
        };
        assert_eq!(e.to_string(), "g.jsonl: cannot open");
    }

    #[test]
    fn credentials_never_survive() {
        assert_eq!(redact_credential("Bearer sk_akua_x1"), "Bearer [REDACTED]");
        assert_eq!(redact_credential("sk_akua_x1"), "[REDACTED]");
        assert_eq!(
            redact_url("https://h/v1/operations?access_token=abc&limit=2&owner_id=sk_akua_zzzz"),
            "https://h/v1/operations?access_token=[REDACTED]&limit=2&owner_id=[REDACTED]"
        );
        assert_eq!(scrub("task_id sk_1 x"), "task_id sk_1 x");
        assert_eq!(
            scrub("token sk_akua_test_alpha, Bearer eyJ.a.b!"),
            "token [REDACTED], Bearer [REDACTED]!"
        );
        let h = redact_headers(vec![
            ("Authorization".into(), "Bearer sk_akua_test_alpha".into()),
            ("x-note".into(), "sk_akua_test_alpha".into()),
            ("idempotency-key".into(), "k-1".into()),
        ]);
        assert_eq!(h[0].1, "Bearer [REDACTED]");
        assert_eq!(h[1].1, "[REDACTED]");
        assert_eq!(h[2].1, "k-1");
    }

    #[test]
    fn callers_differ_by_credential_and_context() {
        let a = caller_of([("Authorization", "Bearer a")].into_iter());
        let b = caller_of([("authorization", "Bearer b")].into_iter());
        let a2 = caller_of([("AUTHORIZATION", " Bearer a ")].into_iter());
        let ac = caller_of([("Authorization", "Bearer a"), ("akua-context", "ws_1")].into_iter());
        assert_ne!(a, b);
        assert_eq!(a, a2);
        assert_ne!(a, ac);
    }

    #[test]
    fn path_and_query_is_what_follows_the_authority() {
        assert_eq!(path_and_query("http://h:1/v1/x?y=1"), "/v1/x?y=1");
        assert_eq!(path_and_query("http://h"), "/");
        assert_eq!(path_and_query("/v1/x"), "/v1/x");
    }
}
