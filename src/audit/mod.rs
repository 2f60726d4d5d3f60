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
mod cut;
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
pub use cut::Cut;
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

/// Records parsed by a worker, handed over in batches.
type Batch = Vec<Result<Record, InputError>>;

/// Records per batch between the threads.
const BATCH: usize = 256;
/// Batches in flight at once, read and not yet judged (bounds the memory
/// of the hand-over).
const BATCHES_IN_FLIGHT: usize = 8;

/// The cuts of one input, or its one error.
fn cuts_of(
    input: &Input,
    parser: &Result<Arc<LineParser>, String>,
    limits: (usize, usize),
) -> Box<dyn Iterator<Item = Result<Cut, InputError>> + Send> {
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
/// A pipeline: one thread cuts the files into lines and entries; as many
/// workers as the machine has CPUs parse them (HAR entries, JSON Lines and
/// their schema, the bodies) and run the one judge on each response
/// alone; this thread judges the records in input order (histories,
/// sets). At most 8 batches of 256 records are between the first and
/// the last.
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
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 8));
    // A permit per batch in flight: the cutter takes one before it
    // sends a batch, the judge gives it back once the batch is judged.
    let (permit_tx, permit_rx) = std::sync::mpsc::sync_channel::<()>(BATCHES_IN_FLIGHT);
    let (cut_tx, cut_rx) =
        std::sync::mpsc::sync_channel::<(u64, Vec<Result<Cut, InputError>>)>(BATCHES_IN_FLIGHT);
    let (done_tx, done_rx) = std::sync::mpsc::channel::<(u64, Batch)>();
    let cut_rx = std::sync::Mutex::new(cut_rx);
    std::thread::scope(|scope| {
        let parser = &parser;
        scope.spawn(move || {
            let mut seq = 0;
            let mut batch = Vec::with_capacity(BATCH);
            let mut send = |batch: Vec<_>| {
                let sent = permit_tx.send(()).is_ok() && cut_tx.send((seq, batch)).is_ok();
                seq += 1;
                sent
            };
            for input in inputs {
                for item in cuts_of(input, parser, limits) {
                    batch.push(item);
                    if batch.len() == BATCH
                        && !send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                    {
                        return;
                    }
                }
            }
            send(batch);
        });
        for _ in 0..workers {
            let (cut_rx, done_tx) = (&cut_rx, done_tx.clone());
            let mut prejudge = check::Prejudge::new(schemas, auditor.options());
            scope.spawn(move || {
                loop {
                    let next = cut_rx
                        .lock()
                        .map_err(|_| ())
                        .and_then(|rx| rx.recv().map_err(|_| ()));
                    let Ok((seq, cuts)) = next else { return };
                    let records = cuts
                        .into_iter()
                        .map(|cut| {
                            let mut item = cut.and_then(Cut::parse);
                            if let Ok(record) = &mut item {
                                prejudge.prepare(record);
                            }
                            item
                        })
                        .collect();
                    if done_tx.send((seq, records)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        // Batches come back in any order: judged in input order.
        let mut waiting = std::collections::BTreeMap::new();
        let mut next = 0;
        for (seq, batch) in done_rx {
            waiting.insert(seq, batch);
            while let Some(batch) = waiting.remove(&next) {
                next += 1;
                for item in batch {
                    match item {
                        Ok(record) => auditor.push(record).iter().for_each(&mut on_violation),
                        Err(e) => {
                            on_error(&e);
                            auditor.input_error(e);
                        }
                    }
                }
                let _ = permit_rx.recv();
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
