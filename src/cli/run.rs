//! `opconform run`.

use crate::exit::ExitStatus;

/// Arguments of `opconform run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {}

/// Runs `opconform run`.
pub fn main(_args: RunArgs) -> ExitStatus {
    eprintln!("opconform run: not built yet");
    ExitStatus::BadInput
}
