//! `opconform`: parse the command line, call the library, exit.

/// mimalloc: the fuzzer and the reference server allocate many small,
/// short-lived buffers; glibc's allocator spent a tenth of the fuzzer's
/// time on them (see benches/README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    quiet_on_a_closed_pipe();
    opconform::command_line::main().into()
}

/// `opconform run | head`: once the reader has gone, stop quietly as Unix
/// tools do (exit 141, as SIGPIPE would) instead of a panic from the output
/// path (libtest-mimic unwraps its writes; `print!` panics too).
fn quiet_on_a_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("Broken pipe") || message.contains("BrokenPipe") {
            #[allow(clippy::exit)]
            std::process::exit(141);
        }
        default(info);
    }));
}
