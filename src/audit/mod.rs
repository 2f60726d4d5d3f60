//! `opconform audit`: recorded exchanges checked against the catalogue,
//! with nothing sent.
//!
//! Inputs are HAR 1.2 files ([`har`]) and JSON Lines files, one exchange a
//! line ([`jsonl`], `schemas/exchange.schema.json`). Both are read
//! streaming into [`Record`]s; the [`Auditor`] judges them (alone, in
//! their operation's history, in sets) in bounded memory and ends with a
//! [`crate::model::RunResult`] for the usual reporters. What traffic can and
//! cannot show of each invariant is decided in [`observability`].
//!
//! [`audit_files`] reads whole files; [`follow`] tails a JSON Lines file
//! as it grows and reports each violation as it happens.

pub mod check;
pub mod har;
pub mod jsonl;
pub mod observability;
pub mod record;
mod scan;
pub use crate::target::rfc3339 as time;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub use check::{AuditMeta, AuditOptions, AuditReport, AuditStats, Auditor, Violation};
pub use har::{HarReader, HarWriter, har_of_run};
pub use jsonl::{JsonlReader, LineParser, TailEvent, TailOptions, Tailer};
pub use observability::Observability;
pub use record::{Evidence, InputError, Position, Record, Source};

use crate::contract::Schemas;

/// The format of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// HAR 1.2.
    Har,
    /// JSON Lines, one exchange a line.
    JsonLines,
}

/// The format of `path`: by extension (`.har`; `.jsonl`, `.ndjson`,
/// `.log`), else by content (a first line that is a whole JSON object with
/// `method` is JSON Lines; anything else is read as HAR).
pub fn detect_format(path: &Path) -> InputFormat {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("har") => return InputFormat::Har,
        Some("jsonl" | "ndjson" | "log") => return InputFormat::JsonLines,
        _ => {}
    }
    let mut head = vec![0; 64 * 1024];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let head = &head[..n];
    let first = head.split(|b| *b == b'\n').next().unwrap_or(&[]);
    match serde_json::from_slice::<serde_json::Value>(first) {
        Ok(v) if v.get("method").is_some() => InputFormat::JsonLines,
        _ => InputFormat::Har,
    }
}

/// One input: its path, and its name as shown in findings.
#[derive(Debug, Clone)]
pub struct Input {
    /// Where to read it.
    pub path: PathBuf,
    /// How findings name it (as given on the command line).
    pub shown: String,
}

impl Input {
    /// An input shown as its path.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let shown = path.display().to_string();
        Input { path, shown }
    }
}

fn now_rfc3339() -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(0))
        .unwrap_or(0);
    time::format_ms(ms)
}

/// Records read by the reading thread, handed over in batches.
type Batch = Vec<Result<Record, InputError>>;

/// Records per batch between the reading and the judging thread.
const BATCH: usize = 256;
/// Batches in flight between them (bounds the memory of the hand-over).
const BATCHES_IN_FLIGHT: usize = 4;

/// The records of one input, or its one error.
fn records_of(
    input: &Input,
    parser: &Result<Arc<LineParser>, String>,
    limits: (usize, usize),
) -> Box<dyn Iterator<Item = Result<Record, InputError>> + Send> {
    let fail = |message: String| {
        Box::new(std::iter::once(Err(InputError {
            file: input.shown.as_str().into(),
            position: Position::File,
            message,
            fatal: true,
        })))
    };
    match detect_format(&input.path) {
        InputFormat::Har => match HarReader::open(&input.path, &input.shown) {
            Ok(r) => Box::new(r.max_entry_bytes(limits.1)),
            Err(e) => Box::new(std::iter::once(Err(e))),
        },
        InputFormat::JsonLines => match parser {
            Err(msg) => fail(msg.clone()),
            Ok(p) => match JsonlReader::open(&input.path, &input.shown, p.clone()) {
                Ok(r) => Box::new(r.max_line_bytes(limits.0)),
                Err(e) => Box::new(std::iter::once(Err(e))),
            },
        },
    }
}

/// Audits `inputs` to their ends, in order, as one recording (one history
/// across files: pass a rotated log's parts oldest first). Each violation
/// is handed to `on_violation` as it is found; each input error to
/// `on_error`. A file that cannot be read is an input error; the other
/// files are still audited.
///
/// Two threads: one reads and parses (HAR entries, JSON Lines and their
/// schema, the bodies) and runs the one judge on each response alone; the
/// other judges in order (histories, sets); a few batches of records
/// between them.
pub fn audit_files(
    inputs: &[Input],
    schemas: &Schemas,
    options: AuditOptions,
    mut on_violation: impl FnMut(&Violation),
    mut on_error: impl FnMut(&InputError),
) -> AuditReport {
    let started_at = now_rfc3339();
    let clock = Instant::now();
    let limits = (options.max_line_bytes, options.max_entry_bytes);
    let mut auditor = Auditor::new(schemas, options);
    let parser = LineParser::new().map(Arc::new);
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(BATCHES_IN_FLIGHT);
        let parser = &parser;
        let mut prejudge = check::Prejudge::new(schemas, auditor.options());
        scope.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            for input in inputs {
                for mut item in records_of(input, parser, limits) {
                    if let Ok(record) = &mut item {
                        prejudge.prepare(record);
                    }
                    batch.push(item);
                    if batch.len() == BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        if tx.send(full).is_err() {
                            return;
                        }
                    }
                }
            }
            let _ = tx.send(batch);
        });
        for batch in rx {
            for item in batch {
                match item {
                    Ok(record) => auditor.push(record).iter().for_each(&mut on_violation),
                    Err(e) => {
                        on_error(&e);
                        auditor.input_error(e);
                    }
                }
            }
        }
    });
    let meta = AuditMeta {
        inputs: inputs.iter().map(|i| i.shown.clone()).collect(),
        started_at,
        duration_ms: 0,
    };
    let (mut report, late) = auditor.finish(meta);
    late.iter().for_each(&mut on_violation);
    report.result.duration_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
    report
}

/// Follows a JSON Lines file as it grows (`--follow`) until
/// `tail.stop` is set or `tail.until` passes, handing each violation to
/// `on_violation` as soon as it is visible (at the latest when the file
/// goes idle), each input error to `on_error`, and each note (rotation,
/// truncation) to `on_note`. Memory stays bounded: finished operations are
/// dropped after `options.retention`.
pub fn follow(
    input: &Input,
    schemas: &Schemas,
    options: AuditOptions,
    tail: TailOptions,
    mut on_violation: impl FnMut(&Violation),
    mut on_error: impl FnMut(&InputError),
    mut on_note: impl FnMut(&str),
) -> Result<AuditReport, InputError> {
    let started_at = now_rfc3339();
    let clock = Instant::now();
    let fail = |message: String| InputError {
        file: input.shown.as_str().into(),
        position: Position::File,
        message,
        fatal: true,
    };
    let parser = Arc::new(LineParser::new().map_err(fail)?);
    let tailer = Tailer::open(&input.path, &input.shown, parser, tail)?;
    let mut auditor = Auditor::new(schemas, options);
    for event in tailer {
        match event {
            TailEvent::Record(r) => auditor.push(*r).iter().for_each(&mut on_violation),
            TailEvent::Error(e) => {
                on_error(&e);
                auditor.input_error(e);
            }
            TailEvent::Idle => auditor.flush().iter().for_each(&mut on_violation),
            TailEvent::Reopened(why) => on_note(&why),
        }
    }
    let meta = AuditMeta {
        inputs: vec![input.shown.clone()],
        started_at,
        duration_ms: 0,
    };
    let (mut report, late) = auditor.finish(meta);
    late.iter().for_each(&mut on_violation);
    report.result.duration_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(report)
}
