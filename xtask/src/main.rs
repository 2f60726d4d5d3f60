//! opconform's own tasks (the cargo-xtask pattern: `cargo xtask <task>` is
//! an alias in `.cargo/config.toml`), so that a newcomer and CI run the same
//! thing and neither needs anything but cargo:
//!
//! - `cargo xtask test [ARGS]`: installs what the test suite needs and this
//!   machine lacks (or says exactly how, and stops), then `cargo test
//!   --locked --workspace --no-fail-fast [ARGS]`, and closes with one
//!   summary line.
//! - `cargo xtask ci`: what `.ci/run` runs: the same set-up, `cargo fmt`
//!   and `cargo clippy` checks, the book, then the tests as above.
//! - `cargo xtask book`: builds the book, `docs/` (mdBook), into
//!   `docs/book/`, after installing the pinned mdBook if it is missing (into
//!   the target folder, with `cargo install`). Its links are checked by
//!   `cargo test` (`tests/book.rs`).
//! - `cargo xtask extract-schema [--check] [--from FILE]`: writes (or checks)
//!   `tests/data/akua-operations.schema.json` from akua's published document.

mod book;
mod extract;
mod setup;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use setup::{Action, Host};

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  test [ARGS]       install what the tests need (or print how), then
                    `cargo test --locked --workspace --no-fail-fast [ARGS]`
  ci                set-up, `cargo fmt --check`, `cargo clippy -D warnings`, the book,
                    then the tests
  book              build the book (docs/ into docs/book/), installing the pinned
                    mdBook first if it is missing
  extract-schema    write tests/data/akua-operations.schema.json from
                    shared/contract/akua-openapi-public.json in a folder above
                    (--check: compare instead; --from FILE: another copy)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = match args.split_first() {
        Some((task, rest)) => (task.as_str(), rest),
        None => ("", &[][..]),
    };
    match task {
        "test" => test(rest),
        "ci" if rest.is_empty() => ci(),
        "book" if rest.is_empty() => book_task(),
        "extract-schema" => extract_schema(rest),
        _ => {
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The folder of the root `Cargo.toml`.
pub(crate) fn workspace_root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

/// Cargo's target folder (the venv lives there, so `cargo clean` removes it).
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        // Cargo reads a relative CARGO_TARGET_DIR against the working folder.
        Some(dir) if !dir.is_empty() => std::env::current_dir()
            .map(|cwd| cwd.join(&dir))
            .unwrap_or_else(|_| dir.into()),
        _ => workspace_root().join("target"),
    }
}

/// `cargo`, as the cargo that runs us names itself.
fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(workspace_root());
    // `cargo run` gave us xtask's CARGO_PKG_* and CARGO_MANIFEST_*. Build
    // scripts that watch them (ring's does) would see a change from a plain
    // `cargo test` and rebuild, with everything above them, at every switch.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_PKG_")
            || key.starts_with("CARGO_MANIFEST_")
            || [
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
            ]
            .contains(&key.as_ref())
        {
            command.env_remove(key.as_ref());
        }
    }
    command
}

/// What the set-up did.
struct Prepared {
    schemathesis: PathBuf,
    installed: Vec<String>,
    took: Duration,
}

/// Makes the machine ready for the tests, or prints the commands that would
/// and returns the exit code to stop with (before anything is built).
fn prepare() -> Result<Prepared, ExitCode> {
    let start = Instant::now();
    let host = Host::current(target_dir().join("xtask/venv"));
    let plan = setup::plan(&host);
    let installed = match &plan.action {
        Action::Nothing => Vec::new(),
        Action::Manual { instructions, .. } => {
            eprint!("\n{instructions}\n");
            return Err(ExitCode::from(2));
        }
        Action::Install(steps) => {
            if let Err(e) = setup::apply(steps) {
                eprintln!("xtask: set-up failed: {e}");
                return Err(ExitCode::FAILURE);
            }
            // Installed is not the same as found: say so now, not as a
            // puzzling test failure later.
            let still = setup::missing(&host);
            if !still.is_empty() {
                eprintln!("xtask: still missing after the set-up:");
                for need in still {
                    eprintln!("  - {}", need.what());
                }
                return Err(ExitCode::FAILURE);
            }
            steps.iter().map(setup::Step::installs).collect()
        }
    };
    Ok(Prepared {
        schemathesis: plan.schemathesis,
        installed,
        took: start.elapsed(),
    })
}

/// `cargo test --locked --workspace --no-fail-fast ARGS`, with the venv's
/// Schemathesis.
fn cargo_test(schemathesis: &Path, args: &[String]) -> Result<(), String> {
    eprintln!(
        "xtask: cargo test --locked --workspace --no-fail-fast {}",
        args.join(" ")
    );
    let status = cargo()
        // --no-fail-fast: one failing binary must not hide the others'
        // results (CI shows every failure in one run).
        .args(["test", "--locked", "--workspace", "--no-fail-fast"])
        .args(args)
        // The fidelity test's Schemathesis (see the reference tests).
        .env("SCHEMATHESIS", schemathesis)
        .status()
        .map_err(|e| format!("could not start cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo test failed ({status})"))
    }
}

fn minutes(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// The one closing line.
fn summary(
    task: &str,
    prepared: &Prepared,
    checks: &str,
    tests: &Result<(), String>,
    start: Instant,
) -> String {
    let installed = if prepared.installed.is_empty() {
        "nothing".to_string()
    } else {
        format!(
            "{} in {}",
            prepared.installed.join(", "),
            minutes(prepared.took)
        )
    };
    let verdict = match tests {
        Ok(()) => "tests passed".to_string(),
        Err(e) => format!("FAILED: {e}"),
    };
    format!(
        "xtask {task}: {checks}{verdict}; installed {installed}; wall time {}",
        minutes(start.elapsed())
    )
}

/// What building the book installed (`None`: the pinned mdBook was there).
struct Book {
    installed: Option<String>,
    install_took: Duration,
}

/// Builds the book with the pinned mdBook, installing it into the target
/// folder first when neither it nor one on `PATH` is there.
fn build_book() -> Result<Book, String> {
    let root = target_dir().join("xtask/mdbook");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut built = Book {
        installed: None,
        install_took: Duration::ZERO,
    };
    let mdbook = match book::find(&path, &root, book::version_of) {
        Some(mdbook) => mdbook,
        None => {
            let start = Instant::now();
            let args = book::install_command(&root);
            eprintln!(
                "xtask: cargo {} (mdBook {}, once: a few minutes)",
                args.join(" "),
                book::MDBOOK_VERSION
            );
            let status = cargo()
                .args(&args)
                .status()
                .map_err(|e| format!("could not start cargo: {e}"))?;
            if !status.success() {
                return Err(format!(
                    "`cargo {}` failed ({status}); install mdBook {} by hand and put it on PATH",
                    args.join(" "),
                    book::MDBOOK_VERSION
                ));
            }
            built.installed = Some(format!("mdBook {}", book::MDBOOK_VERSION));
            built.install_took = start.elapsed();
            book::find(OsStr::new(""), &root, book::version_of).ok_or_else(|| {
                format!(
                    "mdBook {} is still not in {} after `cargo install`",
                    book::MDBOOK_VERSION,
                    root.join("bin").display()
                )
            })?
        }
    };
    eprintln!("xtask: {} build docs", mdbook.display());
    let status = Command::new(&mdbook)
        .args(["build", "docs"])
        .current_dir(workspace_root())
        .status()
        .map_err(|e| format!("could not start {}: {e}", mdbook.display()))?;
    if status.success() {
        Ok(built)
    } else {
        Err(format!("`mdbook build docs` failed ({status})"))
    }
}

fn book_task() -> ExitCode {
    let start = Instant::now();
    match build_book() {
        Ok(built) => {
            let installed = match built.installed {
                Some(what) => format!("{what} in {}", minutes(built.install_took)),
                None => "nothing".to_string(),
            };
            println!(
                "xtask book: built {}; installed {installed}; wall time {}",
                workspace_root().join("docs/book/index.html").display(),
                minutes(start.elapsed())
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!(
                "xtask book: FAILED: {e}; wall time {}",
                minutes(start.elapsed())
            );
            ExitCode::FAILURE
        }
    }
}

fn test(args: &[String]) -> ExitCode {
    let start = Instant::now();
    let prepared = match prepare() {
        Ok(p) => p,
        Err(code) => return code,
    };
    let result = cargo_test(&prepared.schemathesis, args);
    println!("{}", summary("test", &prepared, "", &result, start));
    if result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn ci() -> ExitCode {
    let start = Instant::now();
    // First: clippy builds mimalloc's C, so the C compiler must be there.
    let prepared = match prepare() {
        Ok(p) => p,
        Err(code) => return code,
    };
    let checks: [&[&str]; 2] = [
        &["fmt", "--all", "--", "--check"],
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
    ];
    for args in checks {
        eprintln!("xtask: cargo {}", args.join(" "));
        match cargo().args(args).status() {
            Ok(status) if status.success() => {}
            outcome => {
                println!(
                    "xtask ci: FAILED at `cargo {}` ({outcome:?}); wall time {}",
                    args.join(" "),
                    minutes(start.elapsed())
                );
                return ExitCode::FAILURE;
            }
        }
    }
    let mut prepared = prepared;
    match build_book() {
        Ok(built) => {
            prepared.installed.extend(built.installed);
            prepared.took += built.install_took;
        }
        Err(e) => {
            println!(
                "xtask ci: FAILED at the book: {e}; wall time {}",
                minutes(start.elapsed())
            );
            return ExitCode::FAILURE;
        }
    }
    let result = cargo_test(&prepared.schemathesis, &[]);
    println!(
        "{}",
        summary(
            "ci",
            &prepared,
            "fmt ok, clippy ok, book ok, ",
            &result,
            start
        )
    );
    if result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn extract_schema(args: &[String]) -> ExitCode {
    let root = workspace_root();
    let mut from = extract::published_path(&root);
    let mut check = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.as_slice().first()) {
            ("--check", _) => check = true,
            ("--from", Some(path)) => {
                from = Some(PathBuf::from(path));
                args.next();
            }
            _ => {
                eprint!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(from) = from else {
        eprintln!(
            "xtask extract-schema: no {} in any folder above {}; pass --from FILE",
            extract::PUBLISHED,
            root.display()
        );
        return ExitCode::FAILURE;
    };
    let made = std::fs::read_to_string(&from)
        .map_err(|e| format!("read {}: {e}", from.display()))
        .and_then(|text| {
            serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", from.display()))
        })
        .and_then(|doc| extract::extract(&doc).map_err(|e| format!("{}: {e}", from.display())))
        .map(|value| extract::render(&value));
    let text = match made {
        Ok(text) => text,
        Err(e) => {
            eprintln!("xtask extract-schema: {e}");
            return ExitCode::FAILURE;
        }
    };
    let out = extract::extract_path(&root);
    if check {
        let current = std::fs::read_to_string(&out).unwrap_or_default();
        if current == text {
            println!("{} is current", out.display());
            return ExitCode::SUCCESS;
        }
        eprintln!(
            "{} differs from the extract of {}: run `cargo xtask extract-schema`",
            out.display(),
            from.display()
        );
        return ExitCode::FAILURE;
    }
    match std::fs::write(&out, &text) {
        Ok(()) => {
            println!("wrote {} ({} bytes)", out.display(), text.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xtask extract-schema: write {}: {e}", out.display());
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_reads_like_a_stopwatch() {
        assert_eq!(minutes(Duration::from_millis(2_340)), "2.3s");
        assert_eq!(minutes(Duration::from_secs(605)), "10m05s");
    }
}
