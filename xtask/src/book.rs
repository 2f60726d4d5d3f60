//! The book in `docs/` (mdBook): finding the pinned mdBook, or installing it
//! with cargo, and building the book.
//!
//! Links and anchors are not checked here but in `cargo test`
//! (`tests/book.rs`), which needs no mdBook.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The mdBook release that builds the book: builds with the toolchain this
/// project uses (rust-version 1.88 at least) from crates.io with `--locked`
/// (checked when it was pinned; about 2 minutes of CPU).
pub const MDBOOK_VERSION: &str = "0.5.4";

/// What `mdbook --version` prints for the pinned release.
pub fn is_pinned(version_output: &str) -> bool {
    version_output.trim() == format!("mdbook v{MDBOOK_VERSION}")
}

/// The command that installs the pinned mdBook into `root` (`root/bin/mdbook`):
/// only the HTML renderer with its search index, not `serve` and `watch`,
/// which CI does not need (a writer who wants `mdbook serve` installs
/// mdBook with its defaults).
pub fn install_command(root: &Path) -> Vec<String> {
    [
        "install",
        "mdbook",
        "--locked",
        "--version",
        MDBOOK_VERSION,
        "--no-default-features",
        "--features",
        "search",
        "--quiet",
        "--root",
    ]
    .into_iter()
    .map(String::from)
    .chain([root.display().to_string()])
    .collect()
}

/// The pinned mdBook: the one installed into `root` if there is one, else
/// one on `path` (the `PATH` variable) of the pinned version. `version_of`
/// runs `mdbook --version` (a parameter, so that tests need not run
/// programs they write).
pub fn find(
    path: &OsStr,
    root: &Path,
    version_of: impl Fn(&Path) -> Option<String>,
) -> Option<PathBuf> {
    std::iter::once(root.join("bin/mdbook"))
        .chain(std::env::split_paths(path).map(|dir| dir.join("mdbook")))
        .filter(|candidate| candidate.is_file())
        .find(|candidate| version_of(candidate).is_some_and(|v| is_pinned(&v)))
}

/// `program --version`'s standard output, if it runs and succeeds.
pub fn version_of(program: &Path) -> Option<String> {
    let out = std::process::Command::new(program)
        .arg("--version")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_pinned_version_is_pinned() {
        assert!(is_pinned(&format!("mdbook v{MDBOOK_VERSION}\n")));
        assert!(!is_pinned("mdbook v0.4.52\n"));
        assert!(!is_pinned(""));
    }

    #[test]
    fn the_install_command_pins_the_version_and_the_folder() {
        let command = install_command(Path::new("/t/xtask/mdbook"));
        assert_eq!(
            command.join(" "),
            format!(
                "install mdbook --locked --version {MDBOOK_VERSION} --no-default-features \
                 --features search --quiet --root /t/xtask/mdbook"
            )
        );
    }

    #[test]
    fn the_installed_mdbook_comes_first_and_other_versions_are_passed_over() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("mdbook");
        let on_path = dir.path().join("path");
        let old = dir.path().join("old");
        for folder in [root.join("bin"), on_path.clone(), old.clone()] {
            std::fs::create_dir_all(&folder).expect("mkdir");
            std::fs::write(folder.join("mdbook"), "").expect("file");
        }
        let pinned = format!("mdbook v{MDBOOK_VERSION}\n");
        let version = |p: &Path| {
            Some(if p.starts_with(&old) {
                "mdbook v0.4.40\n".to_string()
            } else {
                pinned.clone()
            })
        };
        let path = std::env::join_paths([&old, &on_path]).expect("PATH");
        assert_eq!(find(&path, &root, version), Some(root.join("bin/mdbook")));
        std::fs::remove_file(root.join("bin/mdbook")).expect("rm");
        assert_eq!(find(&path, &root, version), Some(on_path.join("mdbook")));
        let only_old = std::env::join_paths([&old]).expect("PATH");
        assert_eq!(find(&only_old, &root, version), None);
        // A program that does not answer `--version` is not mdBook.
        assert_eq!(find(&path, &root, |_| None), None);
    }
}
