//! `opconform selftest`.

use crate::exit::ExitStatus;

/// Arguments of `opconform selftest`.
#[derive(Debug, clap::Args)]
pub struct SelftestArgs {}

/// Runs `opconform selftest`.
pub fn main(_args: SelftestArgs) -> ExitStatus {
    eprintln!("opconform selftest: not built yet");
    ExitStatus::BadInput
}
