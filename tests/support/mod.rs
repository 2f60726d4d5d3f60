//! Helpers shared by several test modules: the fake Operations API the
//! runner and CLI tests serve, and the file and corpus helpers.

pub mod fake;

use std::path::{Path, PathBuf};

/// The crate's root folder.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// akua's published OpenAPI document, from the project's `shared/contract`
/// folder: the nearest ancestor of the crate that has one. A checkout at
/// `/work/main` finds `/work/shared`, and so does a worktree one level
/// deeper (`/work/wt/NAME`), where a fixed `../shared` would miss it.
pub fn akua_openapi() -> PathBuf {
    const REL: &str = "shared/contract/akua-openapi-public.json";
    let dir = crate_dir();
    dir.ancestors()
        .skip(1)
        .map(|a| a.join(REL))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("no {REL} in any folder above {}", dir.display()))
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write test file");
    p
}

/// The `.toml` files of a corpus folder, sorted by name.
pub fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// The expected errors of a malformed case file's `.expect` text: one
/// `LINE:COL fragment` a line (`0:0`: the file as a whole; the fragment is
/// matched against the rendered error), `#` lines are comments.
pub fn parse_case_expect(text: &str) -> Vec<(usize, usize, String)> {
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
