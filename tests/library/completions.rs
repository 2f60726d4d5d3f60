//! `opconform completions SHELL` prints a completion script that knows the
//! subcommands, and every subcommand's help carries examples that parse.

use assert_cmd::Command;
use clap::Parser;

const SUBCOMMANDS: [&str; 6] = [
    "run",
    "serve",
    "selftest",
    "fuzz",
    "invariants",
    "completions",
];

#[test]
fn completions_for_bash_zsh_and_fish_name_every_subcommand() {
    for shell in ["bash", "zsh", "fish"] {
        let out = Command::cargo_bin("opconform")
            .expect("binary")
            .args(["completions", shell])
            .output()
            .expect("runs");
        assert!(out.status.success(), "{shell}: {out:?}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.len() > 500, "{shell}: only {} bytes", script.len());
        for sub in SUBCOMMANDS {
            assert!(
                script.contains(sub),
                "{shell} completions do not mention `{sub}`"
            );
        }
        // Options of subcommands too, not just their names.
        assert!(
            script.contains("settle-deadline"),
            "{shell}: no --settle-deadline"
        );
    }
}

#[test]
fn completions_reject_an_unknown_shell() {
    let out = Command::cargo_bin("opconform")
        .expect("binary")
        .args(["completions", "tcsh"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("bash"));
}

/// The words of one example line as a shell would pass them: quotes
/// removed, and cut at the first redirection or pipe (`>`, `|`).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for ch in line.chars() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(ch);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, '>' | '|') if !in_word => return words,
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    assert!(quote.is_none(), "unterminated quote in `{line}`");
    if in_word {
        words.push(word);
    }
    words
}

#[test]
fn shell_words_split_like_a_shell_and_stop_at_redirections() {
    assert_eq!(
        shell_words(r#"opconform a --x "b c" 'd' > out | jq '.x'"#),
        ["opconform", "a", "--x", "b c", "d"]
    );
    assert_eq!(
        shell_words("opconform completions zsh > \"${fpath[1]}/_opconform\""),
        ["opconform", "completions", "zsh"]
    );
}

/// Why an example's arguments would be refused after clap accepted them:
/// the values the subcommands validate themselves.
fn value_problems(words: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    for pair in words.windows(2) {
        let (flag, value) = (pair[0].as_str(), pair[1].as_str());
        match flag {
            "--fault" if opconform::reference::fault(value).is_none() => {
                problems.push(format!("unknown fault `{value}`"));
            }
            "--report" => {
                if let Err(e) = opconform::report::Format::parse_list(value) {
                    problems.push(format!("--report {value}: {e}"));
                }
            }
            "--rate" => {
                if let Err(e) = opconform::profile::Rate::parse(value) {
                    problems.push(format!("--rate {value}: {e}"));
                }
            }
            _ => {}
        }
    }
    problems
}

/// The `Examples:` lines of a help text (`opconform ...`, one a line).
fn example_lines(help: &str) -> Vec<String> {
    help.split_once("Examples:")
        .map(|(_, rest)| {
            rest.lines()
                .map(str::trim)
                .filter(|l| l.starts_with("opconform "))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_help_shows_examples_that_parse() {
    use clap::CommandFactory;
    let root = opconform::command_line::Cli::command();
    let mut problems = Vec::new();
    for sub in std::iter::once(None).chain(SUBCOMMANDS.iter().map(Some)) {
        let args: Vec<&str> = sub.into_iter().copied().chain(["--help"]).collect();
        // What the user sees: the help prints, with its examples.
        let out = Command::cargo_bin("opconform")
            .expect("binary")
            .args(&args)
            .output()
            .expect("runs");
        assert!(out.status.success(), "{args:?}: {out:?}");
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(
            shown.contains("Examples:"),
            "`opconform {}`:\n{shown}",
            args.join(" ")
        );
        // The examples as written (the printed help wraps long lines).
        let cmd = match sub {
            None => &root,
            Some(name) => root
                .find_subcommand(name)
                .unwrap_or_else(|| panic!("no subcommand {name}")),
        };
        let help = cmd
            .get_after_help()
            .map(ToString::to_string)
            .unwrap_or_default();
        let lines = example_lines(&help);
        if lines.len() < 2 {
            problems.push(format!(
                "`opconform {}` shows {} example(s)",
                args.join(" "),
                lines.len()
            ));
        }
        for line in lines {
            let words = shell_words(&line);
            // A subcommand's examples use that subcommand.
            if let Some(name) = sub
                && words.get(1).map(String::as_str) != Some(*name)
            {
                problems.push(format!("`opconform {name} --help` shows `{line}`"));
            }
            if let Err(e) = opconform::command_line::Cli::try_parse_from(&words) {
                problems.push(format!("`{line}` does not parse:\n{e}"));
            }
            problems.extend(
                value_problems(&words)
                    .into_iter()
                    .map(|p| format!("`{line}`: {p}")),
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_example_check_catches_a_broken_example() {
    // The checks above can fail: each of these is refused.
    for line in [
        "opconform fuzz --cases many",
        "opconform fuzz --no-such-flag",
        "opconform run --strictly",
    ] {
        assert!(
            opconform::command_line::Cli::try_parse_from(shell_words(line)).is_err(),
            "{line}"
        );
    }
    for line in [
        "opconform selftest --fault no-such-fault",
        "opconform run --report pdf",
        "opconform fuzz --rate fast",
    ] {
        assert_eq!(value_problems(&shell_words(line)).len(), 1, "{line}");
    }
}
