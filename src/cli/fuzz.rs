//! `opconform fuzz`.

use crate::exit::ExitStatus;

/// Arguments of `opconform fuzz`.
#[derive(Debug, clap::Args)]
pub struct FuzzArgs {}

/// Runs `opconform fuzz`.
pub fn main(_args: FuzzArgs) -> ExitStatus {
    eprintln!("opconform fuzz: not built yet");
    ExitStatus::BadInput
}
