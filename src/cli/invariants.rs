//! `opconform invariants`: list the invariant catalogue.

use std::io::Write;

use crate::contract;
use crate::exit::ExitStatus;

/// Arguments of `opconform invariants`.
#[derive(Debug, clap::Args)]
#[command(
    long_about = "List the invariant catalogue: every check's stable ID, level (MUST/SHOULD; \
                  \"(strict)\" marks akua conventions that only --strict runs), basis \
                  (documented, standard or inferred), accepted statuses (strict / what lenient \
                  mode adds) and title.",
    after_help = "Examples:\n  opconform invariants\n  opconform invariants --markdown > docs/invariants.md\n  opconform invariants --json | jq '.invariants[] | select(.strict_only) | .id'"
)]
pub struct InvariantsArgs {
    /// Print the README reference table (Markdown), with each invariant's clause.
    #[arg(long, conflicts_with = "json")]
    pub markdown: bool,
    /// Print the catalogue as JSON (with clauses, checks and status sets).
    #[arg(long)]
    pub json: bool,
}

/// Runs `opconform invariants`.
pub fn main(args: InvariantsArgs) -> ExitStatus {
    let text = if args.markdown {
        contract::markdown_table()
    } else if args.json {
        match serde_json::to_string_pretty(&contract::catalogue_json()) {
            Ok(json) => json + "\n",
            Err(err) => {
                eprintln!("error: failed to render the catalogue as JSON: {err}");
                return ExitStatus::BadInput;
            }
        }
    } else {
        format!(
            "{}\n{} invariants, catalogue {}\n",
            contract::text_table(),
            contract::catalogue().len(),
            contract::CATALOGUE_VERSION
        )
    };
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    ExitStatus::Success
}
