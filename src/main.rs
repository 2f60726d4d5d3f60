//! `opconform`: parse the command line, call the library, exit.

fn main() -> std::process::ExitCode {
    opconform::cli::main().into()
}
