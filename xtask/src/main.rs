//! opconform's own tasks (the cargo-xtask pattern: `cargo xtask <task>` is
//! an alias in `.cargo/config.toml`), so that a newcomer and CI run the same
//! thing and neither needs anything but cargo:
//!
//! - `cargo xtask test [ARGS]`: installs what the test suite needs and this
//!   machine lacks (or says exactly how, and stops), then `cargo test
//!   --locked --workspace --no-fail-fast [ARGS]`, and closes with one
//!   summary line.
//! - `cargo xtask ci`: what `.ci/run` runs: the same set-up, `cargo fmt`
//!   and `cargo clippy` checks, then the tests as above.
//! - `cargo xtask extract-schema [--check] [--from FILE]`: writes (or checks)
//!   `tests/data/akua-operations.schema.json` from akua's published document.

mod extract;
mod setup;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use setup::{Action, Host};

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  test [ARGS]       install what the tests need (or print how), then
                    `cargo test --locked --workspace --no-fail-fast [ARGS]`
  ci                set-up, `cargo fmt --check`, `cargo clippy -D warnings`, then the tests
  extract-schema    write tests/data/akua-operations.schema.json from
                    ../shared/contract/akua-openapi-public.json
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

/// Totals of libtest's `test result:` lines.
#[derive(Debug, Default, PartialEq, Eq)]
struct Totals {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl Totals {
    /// Adds `line` when it is a libtest closing line.
    fn add(&mut self, line: &str) {
        let Some(rest) = line.trim_end().strip_prefix("test result: ") else {
            return;
        };
        let counts = rest.split_once(". ").map_or(rest, |(_, c)| c);
        for part in counts.split("; ") {
            let Some((n, word)) = part.split_once(' ') else {
                continue;
            };
            let Ok(n) = n.parse::<u64>() else { continue };
            match word {
                "passed" => self.passed += n,
                "failed" => self.failed += n,
                "ignored" => self.ignored += n,
                _ => {}
            }
        }
    }
}

/// `cargo test --locked --workspace ARGS`, its output passed through as it
/// comes and its result lines added up.
fn cargo_test(schemathesis: &Path, args: &[String]) -> (Result<(), String>, Totals) {
    let mut totals = Totals::default();
    let mut command = cargo();
    command
        // --no-fail-fast: one failing binary must not hide the others'
        // results (CI shows every failure in one run).
        .args(["test", "--locked", "--workspace", "--no-fail-fast"])
        .args(args)
        // The fidelity test's Schemathesis (see the reference tests).
        .env("SCHEMATHESIS", schemathesis)
        .stdout(Stdio::piped());
    eprintln!(
        "xtask: cargo test --locked --workspace --no-fail-fast {}",
        args.join(" ")
    );
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => return (Err(format!("could not start cargo: {e}")), totals),
    };
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut out = std::io::stdout();
    let mut buf = [0u8; 8192];
    let mut line = Vec::new();
    // Forward chunks, not lines, so a running test's `test x ... ` shows at once.
    while let Ok(n) = stdout.read(&mut buf) {
        if n == 0 {
            break;
        }
        let _ = out.write_all(&buf[..n]);
        let _ = out.flush();
        for &b in &buf[..n] {
            if b == b'\n' {
                totals.add(&String::from_utf8_lossy(&line));
                line.clear();
            } else {
                line.push(b);
            }
        }
    }
    let result = match child.wait() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("cargo test failed ({status})")),
        Err(e) => Err(format!("waiting for cargo test: {e}")),
    };
    (result, totals)
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
    totals: &Totals,
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
        "xtask {task}: {checks}{verdict} ({} passed, {} failed, {} ignored); installed {installed}; wall time {}",
        totals.passed,
        totals.failed,
        totals.ignored,
        minutes(start.elapsed())
    )
}

fn test(args: &[String]) -> ExitCode {
    let start = Instant::now();
    let prepared = match prepare() {
        Ok(p) => p,
        Err(code) => return code,
    };
    let (result, totals) = cargo_test(&prepared.schemathesis, args);
    println!(
        "{}",
        summary("test", &prepared, "", &result, &totals, start)
    );
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
    let (result, totals) = cargo_test(&prepared.schemathesis, &[]);
    println!(
        "{}",
        summary(
            "ci",
            &prepared,
            "fmt ok, clippy ok, ",
            &result,
            &totals,
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
                from = PathBuf::from(path);
                args.next();
            }
            _ => {
                eprint!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
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
    fn totals_add_up_libtest_result_lines_and_nothing_else() {
        let mut t = Totals::default();
        for line in [
            "test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.50s",
            "test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.00s",
            "test totals::x ... ok",
            "running 5 tests",
        ] {
            t.add(line);
        }
        assert_eq!(
            t,
            Totals {
                passed: 15,
                failed: 2,
                ignored: 1
            }
        );
    }

    #[test]
    fn minutes_reads_like_a_stopwatch() {
        assert_eq!(minutes(Duration::from_millis(2_340)), "2.3s");
        assert_eq!(minutes(Duration::from_secs(605)), "10m05s");
    }
}
