//! `opconform serve`.

use crate::exit::ExitStatus;

/// Arguments of `opconform serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {}

/// Runs `opconform serve`.
pub fn main(_args: ServeArgs) -> ExitStatus {
    eprintln!("opconform serve: not built yet");
    ExitStatus::BadInput
}
