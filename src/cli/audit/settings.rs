//! `opconform audit`'s flags resolved once into what the audit needs:
//! the inputs, the options, the gate and the reports. Everything wrong with
//! the command line is found here (exit 2).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::audit::{AuditOptions, Input, TailOptions};
use crate::contract::{Mode, Schemas};
use crate::exit::ExitStatus;
use crate::gate::{FailOn, Gate};
use crate::report;

use super::args::AuditArgs;
use crate::cli::common;
use crate::cli::run::FailOnArg;

/// Everything `opconform audit` does, decided.
pub(crate) struct AuditSettings {
    /// The files, as named on the command line.
    pub inputs: Vec<Input>,
    /// How traffic is read and judged.
    pub options: AuditOptions,
    /// With `--follow`: how the file is tailed.
    pub follow: Option<TailOptions>,
    /// The schemas bodies are judged against.
    pub schemas: Schemas,
    /// What fails the audit.
    pub gate: Gate,
    /// Exit 0 when nothing was verified.
    pub allow_empty: bool,
    /// Reports to write, and where.
    pub formats: Vec<report::Format>,
    /// The reports' folder.
    pub out: PathBuf,
}

fn bad(message: String) -> ExitStatus {
    eprintln!("error: {message}");
    ExitStatus::BadInput
}

impl AuditSettings {
    pub(crate) fn resolve(args: &AuditArgs) -> Result<AuditSettings, ExitStatus> {
        let formats = args.reports.formats(None)?;
        let schemas = common::schemas(args.openapi.as_ref())?;
        if args.follow && args.files.len() != 1 {
            return Err(bad(format!(
                "--follow tails one JSON Lines file; {} were given",
                args.files.len()
            )));
        }
        if args.follow
            && std::fs::metadata(&args.files[0]).is_ok_and(|m| m.is_file() && m.len() > 0)
            && crate::audit::detect_format(&args.files[0]) == crate::audit::InputFormat::Har
        {
            return Err(bad(format!(
                "{}: --follow tails JSON Lines, and this is a HAR file (one JSON document, \
                 complete only when closed); audit it without --follow",
                args.files[0].display()
            )));
        }
        for f in &args.files {
            if !args.follow && !f.is_file() {
                return Err(bad(format!(
                    "{}: no such file (give recorded traffic: a .har or .jsonl file)",
                    f.display()
                )));
            }
        }
        if args.max_line_bytes == Some(0) {
            return Err(bad("--max-line-bytes must be at least 1".into()));
        }
        let mut options = AuditOptions {
            mode: if args.strict {
                Mode::Strict
            } else {
                Mode::Lenient
            },
            ..AuditOptions::default()
        };
        if let Some(r) = args.retention {
            options.retention = r;
        }
        if let Some(d) = args.settle_deadline {
            options.settle_deadline = d;
        }
        if let Some(b) = &args.base_path {
            options.base_path = b.clone();
        }
        if let Some(n) = args.max_line_bytes {
            options.max_line_bytes = n;
            options.max_entry_bytes = n;
        }
        let follow = args.follow.then(|| TailOptions {
            stop: Arc::new(AtomicBool::new(false)),
            until: args.stop_after.map(|d| Instant::now() + d),
            from_end: args.from_end,
            max_line: options.max_line_bytes,
            ..TailOptions::default()
        });
        Ok(AuditSettings {
            inputs: args.files.iter().map(Input::new).collect(),
            options,
            follow,
            schemas,
            gate: Gate {
                fail_on: match args.fail_on {
                    Some(FailOnArg::Must) => FailOn::Must,
                    _ => FailOn::Should,
                },
                allow_flaky: false,
            },
            allow_empty: args.allow_empty,
            formats,
            out: args.reports.out(None),
        })
    }
}
