//! `opconform invariants`.

use crate::exit::ExitStatus;

/// Arguments of `opconform invariants`.
#[derive(Debug, clap::Args)]
pub struct InvariantsArgs {}

/// Runs `opconform invariants`.
pub fn main(_args: InvariantsArgs) -> ExitStatus {
    eprintln!("opconform invariants: not built yet");
    ExitStatus::BadInput
}
