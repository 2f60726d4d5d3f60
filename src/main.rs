//! `opconform`: parse the command line, call the library, exit.

/// mimalloc: the fuzzer and the reference server allocate many small,
/// short-lived buffers; glibc's allocator spent a tenth of the fuzzer's
/// time on them (see benches/README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    opconform::command_line::main().into()
}
