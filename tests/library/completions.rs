//! `opconform completions SHELL` prints a completion script that knows the
//! subcommands, and every subcommand's help carries examples.

use assert_cmd::Command;

const SUBCOMMANDS: [&str; 6] = [
    "run",
    "serve",
    "selftest",
    "fuzz",
    "invariants",
    "completions",
];

/// Subcommands whose help shows examples. `fuzz` gets its examples with the
/// fuzzer itself (its own branch); until then its help is a stub.
const WITH_EXAMPLES: [&str; 5] = ["run", "serve", "selftest", "invariants", "completions"];

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

#[test]
fn every_help_shows_examples() {
    let mut helps: Vec<Vec<&str>> = vec![vec!["--help"]];
    helps.extend(WITH_EXAMPLES.iter().map(|s| vec![*s, "--help"]));
    for args in helps {
        let out = Command::cargo_bin("opconform")
            .expect("binary")
            .args(&args)
            .output()
            .expect("runs");
        assert!(out.status.success(), "{args:?}: {out:?}");
        let help = String::from_utf8_lossy(&out.stdout);
        let examples = help
            .split_once("Examples:")
            .unwrap_or_else(|| panic!("`opconform {}` has no examples:\n{help}", args.join(" ")))
            .1;
        let lines = examples
            .lines()
            .filter(|l| l.trim_start().starts_with("opconform"))
            .count();
        assert!(
            lines >= 2,
            "`opconform {}` shows {lines} example(s)",
            args.join(" ")
        );
        // Examples must work: every fault they name exists.
        let words: Vec<&str> = examples.split_whitespace().collect();
        for pair in words.windows(2) {
            if pair[0] == "--fault" {
                assert!(
                    opconform::reference::fault(pair[1]).is_some(),
                    "`opconform {}` names unknown fault `{}`",
                    args.join(" "),
                    pair[1]
                );
            }
        }
    }
}
