//! `opconform completions SHELL`.

use clap::CommandFactory;

use crate::exit::ExitStatus;

/// Arguments of `opconform completions`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  opconform completions bash > /etc/bash_completion.d/opconform\n  opconform completions zsh > \"${fpath[1]}/_opconform\"\n  opconform completions fish > ~/.config/fish/completions/opconform.fish"
)]
pub struct CompletionsArgs {
    /// The shell to print completions for.
    pub shell: clap_complete::Shell,
}

/// Prints completions for the chosen shell to standard output.
pub fn main(args: CompletionsArgs) -> ExitStatus {
    let mut cmd = super::Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "opconform", &mut std::io::stdout());
    ExitStatus::Success
}
