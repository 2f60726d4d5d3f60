//! Loading case files: the bundled ones (compiled in, so `opconform run`
//! works from any directory) or the paths given with `--cases`.

use std::path::{Path, PathBuf};

use crate::case::{self, PlannedCase};

mod generated {
    include!(concat!(env!("OUT_DIR"), "/bundled_cases.rs"));
}

/// The bundled case files: (file name, contents).
pub fn bundled_files() -> &'static [(&'static str, &'static str)] {
    generated::BUNDLED
}

/// Loads and plans case files; every error, rendered, when any file is bad.
pub fn load_cases(paths: &[PathBuf]) -> Result<Vec<PlannedCase>, Vec<String>> {
    let loaded = case::load_paths(paths)
        .map_err(|errs| errs.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    Ok(case::plan(&loaded))
}

/// Loads the bundled cases. They are written to a private temporary
/// directory for the loader, then named `cases/<file>` in results and errors.
pub fn load_bundled() -> Result<Vec<PlannedCase>, Vec<String>> {
    let root = std::env::temp_dir().join(format!("opconform-bundled-{}", uuid::Uuid::new_v4()));
    let dir = root.join("cases");
    let result = write_and_load(&dir);
    let _ = std::fs::remove_dir_all(&root);
    let prefix = format!("{}{}", dir.display(), std::path::MAIN_SEPARATOR);
    match result {
        Ok(mut planned) => {
            for p in &mut planned {
                p.file = p.file.replace(&prefix, "cases/");
            }
            Ok(planned)
        }
        Err(errs) => Err(errs
            .into_iter()
            .map(|e| e.replace(&prefix, "cases/"))
            .collect()),
    }
}

fn write_and_load(dir: &Path) -> Result<Vec<PlannedCase>, Vec<String>> {
    std::fs::create_dir_all(dir).map_err(|e| vec![format!("create {}: {e}", dir.display())])?;
    let mut paths = Vec::new();
    for (name, text) in bundled_files() {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| vec![format!("write {}: {e}", path.display())])?;
        paths.push(path);
    }
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    load_cases(&paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_cases_load_and_are_named_relative() {
        let planned = load_bundled().unwrap_or_else(|e| panic!("bundled cases invalid: {e:?}"));
        assert_eq!(planned.is_empty(), bundled_files().is_empty());
        for p in &planned {
            assert!(p.file.starts_with("cases/"), "{}", p.file);
        }
    }
}
