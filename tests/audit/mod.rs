//! `opconform audit`'s core: HAR and JSON Lines readers, the HAR writer,
//! and the audit engine over recorded traffic (nothing sent).

mod cli;
mod engine;
mod har;
mod jsonl;
mod proof;
mod support;
