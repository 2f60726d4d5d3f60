//! Every ```toml block of the book's case-file reference
//! (`docs/src/case-files.md`) is a case file the loader accepts, so the
//! reference cannot drift from the code.

use std::path::Path;

use opconform::case;

/// The bodies of the fenced blocks of `markdown` whose info string is `lang`.
fn fenced_blocks(markdown: &str, lang: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut current {
            None if trimmed.starts_with("```") && trimmed[3..].trim() == lang => {
                current = Some((i + 1, String::new()));
            }
            Some(_) if trimmed.starts_with("```") => blocks.extend(current.take()),
            Some((_, body)) => {
                body.push_str(line);
                body.push('\n');
            }
            None => {}
        }
    }
    assert!(current.is_none(), "unterminated ```{lang} block");
    blocks
}

/// The book's chapter "Case files: reference", `docs/src/case-files.md`.
const CASE_REFERENCE: &str = "docs/src/case-files.md";

fn case_reference() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join(CASE_REFERENCE))
        .unwrap_or_else(|e| panic!("{CASE_REFERENCE}: {e}"));
    assert!(
        text.starts_with("# Case files: reference\n"),
        "{CASE_REFERENCE} is not the case-file reference"
    );
    text
}

#[test]
fn fenced_block_extraction_finds_only_the_language_asked_for() {
    let md = "x\n```toml\na = 1\n```\n```rust\nfn f() {}\n```\n  ```toml\nb = 2\n  ```\n";
    let blocks = fenced_blocks(md, "toml");
    assert_eq!(
        blocks,
        [(2, "a = 1\n".to_string()), (8, "b = 2\n".to_string())]
    );
}

#[test]
fn every_toml_example_in_the_case_reference_loads() {
    let text = case_reference();
    let blocks = fenced_blocks(&text, "toml");
    assert!(blocks.len() >= 15, "only {} toml blocks", blocks.len());
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cases = 0;
    let mut failures = Vec::new();
    for (n, (line, body)) in blocks.iter().enumerate() {
        let path = dir.path().join(format!("doc_example_{n}.toml"));
        std::fs::write(&path, body).expect("write temp case file");
        match case::load_file(&path) {
            Ok(loaded) => {
                assert!(
                    !loaded.file.cases.is_empty(),
                    "{CASE_REFERENCE}:{line}: the example has no [[case]]"
                );
                cases += loaded.file.cases.len();
            }
            Err(errors) => failures.push(format!(
                "{CASE_REFERENCE}:{line}:\n{}",
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(cases >= 20, "only {cases} cases in the examples");
}

#[test]
fn the_case_reference_shows_every_expect_field_and_request_auth() {
    let text = case_reference();
    let code: String = fenced_blocks(&text, "toml")
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    for field in [
        "status = \"",
        "status = [",
        "strict = [",
        "body = ",
        "json = {",
        "json_is = {",
        "headers = {",
        "unchanged = ",
        "same_body_as = ",
        "parallel = ",
        "single_transition",
        "within_ms",
        "not_before_ms",
        "eventually = {",
        "via = \"wait\"",
        "via = \"poll\"",
        "capture.",
        "lengths = [",
        "values = [",
        "fill = ",
        "fixtures = {",
        "owner = ",
        "requires = [",
        "auth = \"foreign\"",
        "auth = \"none\"",
        "timeout_ms",
        "invariant = ",
    ] {
        assert!(code.contains(field), "no example uses `{field}`");
    }
}
