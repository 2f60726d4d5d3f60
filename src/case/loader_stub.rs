//! PLACEHOLDER for the case loader (`case::load_paths`, `case::plan`).
//!
//! The case work builds the real loader (schema validation, did-you-mean,
//! line:column errors). This stub exists only so the runner compiles and
//! its tests run before that lands; DROP THIS FILE AT MERGE and keep the
//! real `load_paths`/`plan`/`LoadedFile`/`CaseFileError`.

use std::path::PathBuf;

use super::model::{CaseFile, PlannedCase, TableRow};

/// One parsed case file.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedFile {
    /// The path as given.
    pub path: String,
    /// Its cases.
    pub file: CaseFile,
}

/// A case file that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("load case file {path}: {message}")]
pub struct CaseFileError {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Reads and parses every `.toml` file named (directories are searched one
/// level deep); all errors are returned together.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<LoadedFile>, Vec<CaseFileError>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.is_dir() {
            match std::fs::read_dir(path) {
                Ok(entries) => {
                    let mut found: Vec<PathBuf> = entries
                        .filter_map(Result::ok)
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                        .collect();
                    found.sort();
                    files.extend(found);
                }
                Err(e) => errors.push(CaseFileError {
                    path: path.display().to_string(),
                    message: e.to_string(),
                }),
            }
        } else {
            files.push(path.clone());
        }
    }
    let mut loaded = Vec::new();
    for path in files {
        let shown = path.display().to_string();
        let parsed = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| toml::from_str::<CaseFile>(&text).map_err(|e| e.to_string()));
        match parsed {
            Ok(file) => loaded.push(LoadedFile { path: shown, file }),
            Err(message) => errors.push(CaseFileError {
                path: shown,
                message,
            }),
        }
    }
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(errors)
    }
}

/// One trial per case, or per table row.
pub fn plan(files: &[LoadedFile]) -> Vec<PlannedCase> {
    let mut out = Vec::new();
    for loaded in files {
        let stem = std::path::Path::new(&loaded.path)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        for case in &loaded.file.cases {
            let base = format!("{stem}::{}", case.name);
            match &case.table {
                None => out.push(PlannedCase {
                    name: base,
                    file: loaded.path.clone(),
                    case: case.clone(),
                    table_row: None,
                }),
                Some(table) => {
                    let fill = table.fill.clone().unwrap_or_else(|| "k".into());
                    let mut rows: Vec<TableRow> = table
                        .lengths
                        .iter()
                        .map(|n| TableRow {
                            label: format!("{} len={n}", table.name),
                            value: fill.repeat(*n),
                        })
                        .collect();
                    rows.extend(table.values.iter().map(|v| TableRow {
                        label: format!("{}={v}", table.name),
                        value: v.clone(),
                    }));
                    for row in rows {
                        out.push(PlannedCase {
                            name: format!("{base}[{}]", row.label),
                            file: loaded.path.clone(),
                            case: case.clone(),
                            table_row: Some(row),
                        });
                    }
                }
            }
        }
    }
    out
}
