//! The crate's layering, checked over its source: every top-level module
//! may use only modules of a lower layer, so no two folders import each
//! other and a change low down never needs one high up. The layers, lowest
//! first, are the table below; a new module gets its row here.
//!
//! The check reads `src/` as text: every `crate::<module>` (and every name
//! of a `crate::{a, b}` group) outside comments and `#[cfg(test)]` code
//! counts; a file declared `#[cfg(test)] mod name;` is test code as a whole
//! (tests may reach anything).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Top-level modules by layer. A module may use any module of a lower layer.
const LAYERS: &[&[&str]] = &[
    // Words and small utilities everyone speaks.
    &["vocab", "redact", "suggest", "diagnostic", "exit", "clock"],
    // The result model: what was sent, seen and concluded.
    &["model"],
    // What the API promises: schemas and the invariant catalogue.
    &["contract"],
    // Reading the contract: one judge, histories, the gate, case files, and
    // the reference server (which only names invariants).
    &["judge", "history", "gate", "case", "reference"],
    // Reaching a target: transport, pacing, the embedded reference.
    &["target"],
    // The reports: pure functions of a result.
    &["report"],
    // The two drivers, and what replays traffic or races requests.
    &["run", "fuzz", "audit", "race"],
    // What sits above a driver: the kill matrix, profiles, the library.
    &["selftest", "profile", "harness"],
    // The command line.
    &["cli"],
];

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The code of a file without its test module and comment lines.
fn code_of(text: &str) -> String {
    let cut = text.find("#[cfg(test)]\nmod tests").unwrap_or(text.len());
    text[..cut]
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every top-level module of `src/` (folders and files but lib/main).
fn modules(src: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(src).expect("src/") {
        let path = entry.expect("entry").path();
        let name = path
            .file_stem()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if path.is_dir() || (name != "lib" && name != "main") {
            out.push(name);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Files declared as test-only modules (`#[cfg(test)]` then `mod name;`),
/// as paths below `src/`.
fn test_only_files(src: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let lines: Vec<&str> = text.lines().map(str::trim).collect();
            for pair in lines.windows(2) {
                if pair[0] != "#[cfg(test)]" {
                    continue;
                }
                let Some(name) = pair[1]
                    .strip_prefix("mod ")
                    .and_then(|r| r.strip_suffix(';'))
                else {
                    continue;
                };
                let here = path.parent().expect("in a folder");
                let stem = path.file_stem().expect("named").to_string_lossy();
                let base = if stem == "mod" || stem == "lib" || stem == "main" {
                    here.to_path_buf()
                } else {
                    here.join(stem.as_ref())
                };
                out.push(base.join(format!("{name}.rs")));
                out.push(base.join(name).join("mod.rs"));
            }
        }
    }
    out
}

/// The top-level modules named after `crate::` in `line`, groups included.
fn named_after_crate(line: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or("");
            out.extend(inner.split(',').map(ident).filter(|n| !n.is_empty()));
        } else {
            out.push(ident(rest));
        }
    }
    out
}

/// `module -> {used module -> first place}`.
fn uses(src: &Path, mods: &[String]) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let test_only = test_only_files(src);
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs")
                || path.ends_with("tests.rs")
                || test_only.contains(&path)
            {
                continue;
            }
            let rel = path.strip_prefix(src).expect("below src").to_path_buf();
            let top = rel
                .components()
                .next()
                .map(|c| {
                    c.as_os_str()
                        .to_string_lossy()
                        .trim_end_matches(".rs")
                        .to_string()
                })
                .unwrap_or_default();
            if top == "lib" || top == "main" {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("readable");
            for (n, line) in code_of(&text).lines().enumerate() {
                for name in named_after_crate(line) {
                    if name != top && mods.contains(&name) {
                        out.entry(top.clone())
                            .or_default()
                            .entry(name)
                            .or_insert_with(|| format!("{}:{}", rel.display(), n + 1));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn every_module_uses_only_lower_layers() {
    let src = crate_dir().join("src");
    let mods = modules(&src);
    for m in &mods {
        assert!(
            layer_of(m).is_some(),
            "src/{m} is in no layer: add it to LAYERS in tests/layering.rs"
        );
    }
    let mut wrong = Vec::new();
    for (module, used) in uses(&src, &mods) {
        let mine = layer_of(&module).unwrap_or(usize::MAX);
        for (other, at) in used {
            let theirs = layer_of(&other).unwrap_or(usize::MAX);
            if theirs >= mine {
                wrong.push(format!(
                    "{module} (layer {mine}) uses {other} (layer {theirs}) at src/{at}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

#[test]
fn the_check_sees_a_use_across_layers() {
    // The parser finds a `crate::` path in code, and not in comments or
    // in test modules.
    let text =
        "use crate::run::Engine;\n// crate::cli::x\n#[cfg(test)]\nmod tests { use crate::cli; }\n";
    let code = code_of(text);
    assert!(code.contains("crate::run"));
    assert!(!code.contains("crate::cli"));
    assert_eq!(
        named_after_crate("use crate::{run::Engine, target}; x(crate::cli::main())"),
        ["run", "target", "cli"]
    );
    assert!(layer_of("cli") > layer_of("run"));
    // A file declared `#[cfg(test)] mod agreement;` is test code.
    let src = crate_dir().join("src");
    assert!(test_only_files(&src).contains(&src.join("fuzz").join("agreement.rs")));
    assert!(layer_of("vocab") < layer_of("model"));
}
