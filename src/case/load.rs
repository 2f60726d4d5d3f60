//! Loading case files: read, parse with spans, validate against the schema,
//! deserialize, run the semantic checks; every error is collected.

use std::path::{Path, PathBuf};

use toml_edit::Document;

use super::error::CaseFileError;
use super::issue::Issue;
use super::model::{Case, CaseFile};
use super::schema;
use super::semantic;
use super::source::SourceText;
use super::spans::{self, SpanMap};
use crate::contract::{self, Invariant};

/// Case files larger than this are refused (they are hand-written).
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// One case file that loaded without error.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedFile {
    /// The path it was read from.
    pub path: PathBuf,
    /// The path as shown to users (as given).
    pub display: String,
    /// The file stem: the first part of trial names (`auth` in `auth::...`).
    pub stem: String,
    /// The cases.
    pub file: CaseFile,
}

/// Loads and checks one case file; `Err` holds every problem found.
pub fn load_file(path: &Path) -> Result<LoadedFile, Vec<CaseFileError>> {
    let bytes = read(path)?;
    load_bytes(path, &bytes, contract::catalogue())
}

/// Loads every file in `paths` (a directory stands for its `*.toml` files,
/// sorted by name); `Err` holds the problems of every file.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<LoadedFile>, Vec<CaseFileError>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.is_dir() {
            match toml_files_in(path) {
                Ok(found) if found.is_empty() => errors.push(CaseFileError::whole_file(
                    path,
                    "find case files: the directory has no *.toml files",
                )),
                Ok(found) => files.extend(found),
                Err(mut e) => errors.append(&mut e),
            }
        } else {
            files.push(path.clone());
        }
    }
    let mut loaded: Vec<LoadedFile> = Vec::new();
    for file in &files {
        match load_file(file) {
            Ok(ok) => loaded.push(ok),
            Err(mut errs) => errors.append(&mut errs),
        }
    }
    // Trial names are `<stem>::<case>`: two files with one stem would clash.
    for (i, file) in loaded.iter().enumerate() {
        if let Some(earlier) = loaded[..i].iter().find(|f| f.stem == file.stem) {
            let mut err = CaseFileError::whole_file(
                &file.path,
                format!(
                    "file stem \"{}\" is also used by {}",
                    file.stem, earlier.display
                ),
            );
            err.help = Some("trial names start with the file stem; rename one file".into());
            errors.push(err);
        }
    }
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(errors)
    }
}

fn toml_files_in(dir: &Path) -> Result<Vec<PathBuf>, Vec<CaseFileError>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        vec![CaseFileError::whole_file(
            dir,
            format!("read directory: {e}"),
        )]
    })?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    found.sort();
    Ok(found)
}

fn read(path: &Path) -> Result<Vec<u8>, Vec<CaseFileError>> {
    let size = std::fs::metadata(path)
        .map_err(|e| {
            vec![CaseFileError::whole_file(
                path,
                format!("read case file: {e}"),
            )]
        })?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(vec![CaseFileError::whole_file(
            path,
            format!("read case file: it is {size} bytes, over the {MAX_FILE_BYTES}-byte limit"),
        )]);
    }
    std::fs::read(path).map_err(|e| {
        vec![CaseFileError::whole_file(
            path,
            format!("read case file: {e}"),
        )]
    })
}

/// Loads a case file from its bytes, checking invariant IDs against
/// `catalogue`.
pub(crate) fn load_bytes(
    path: &Path,
    bytes: &[u8],
    catalogue: &[Invariant],
) -> Result<LoadedFile, Vec<CaseFileError>> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            let prefix = std::str::from_utf8(valid).unwrap_or_default();
            let at = SourceText::new(prefix).locate(prefix.len()..prefix.len());
            let mut err = CaseFileError::whole_file(
                path,
                format!("read case file: invalid UTF-8 at byte {}", e.valid_up_to()),
            );
            err.line = at.line;
            err.column = at.column;
            err.help = Some("case files must be UTF-8 text".into());
            return Err(vec![err]);
        }
    };
    let source = SourceText::new(text);
    let locate = |pointer: &str, issue: Issue, map: &SpanMap| -> CaseFileError {
        let (toml_path, span) = map.lookup_part(pointer, issue.part);
        located(
            path,
            &source,
            span.unwrap_or(0..0),
            toml_path,
            issue.message,
            issue.help,
        )
    };

    if text.trim().is_empty() {
        let mut err = CaseFileError::whole_file(path, "the case file is empty");
        err.help = Some("add at least one [[case]] table".into());
        return Err(vec![err]);
    }
    let document = match Document::parse(text.to_string()) {
        Ok(doc) => doc,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let message = format!("invalid TOML: {}", e.message().trim_end());
            return Err(vec![located(
                path,
                &source,
                span,
                String::new(),
                message,
                None,
            )]);
        }
    };
    let (json, map) = spans::index_document(document.as_table());

    let schema_issues = schema::validate(&json);
    let mut errors: Vec<CaseFileError> = Vec::new();
    let mut cases_to_check: Vec<(usize, Case)> = Vec::new();
    let mut file: Option<CaseFile> = None;
    if schema_issues.is_empty() {
        match toml_edit::de::from_document::<CaseFile>(document) {
            Ok(parsed) => {
                cases_to_check = parsed.cases.iter().cloned().enumerate().collect();
                file = Some(parsed);
            }
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let toml_path = map.path_at_offset(span.start);
                errors.push(located(
                    path,
                    &source,
                    span,
                    toml_path,
                    e.message().to_string(),
                    None,
                ));
            }
        }
    } else {
        // Keep checking the cases the schema had nothing against, so one
        // bad case does not hide the problems of the others.
        let bad_cases: Vec<Option<usize>> = schema_issues
            .iter()
            .map(|i| case_index(&i.pointer))
            .collect();
        let whole_file_issue = bad_cases.iter().any(Option::is_none);
        if !whole_file_issue && let Some(cases) = json.get("case").and_then(|c| c.as_array()) {
            for (i, value) in cases.iter().enumerate() {
                if !bad_cases.contains(&Some(i))
                    && let Ok(case) = serde_json::from_value::<Case>(value.clone())
                {
                    cases_to_check.push((i, case));
                }
            }
        }
        for issue in schema_issues {
            let pointer = issue.pointer.clone();
            errors.push(locate(&pointer, issue, &map));
        }
    }

    let names: Vec<(usize, &str)> = json
        .get("case")
        .and_then(|c| c.as_array())
        .map(|cases| {
            cases
                .iter()
                .enumerate()
                .filter_map(|(i, c)| c.get("name").and_then(|n| n.as_str()).map(|n| (i, n)))
                .collect()
        })
        .unwrap_or_default();
    let line_of = |index: usize| {
        let (_, span) = map.lookup(&format!("/case/{index}"));
        span.map(|s| source.locate(s).line)
    };
    let mut issues = semantic::check_names(names, line_of);
    for (index, case) in &cases_to_check {
        issues.extend(semantic::check_case(*index, case, catalogue));
    }
    for issue in issues {
        let pointer = issue.pointer.clone();
        errors.push(locate(&pointer, issue, &map));
    }

    match file {
        Some(file) if errors.is_empty() => Ok(LoadedFile {
            path: path.to_path_buf(),
            display: path.display().to_string(),
            stem: path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            file,
        }),
        _ => {
            errors.sort_by_key(|e| (e.line, e.column));
            Err(errors)
        }
    }
}

fn case_index(pointer: &str) -> Option<usize> {
    pointer
        .strip_prefix("/case/")?
        .split('/')
        .next()?
        .parse()
        .ok()
}

fn located(
    path: &Path,
    source: &SourceText<'_>,
    span: std::ops::Range<usize>,
    toml_path: String,
    message: String,
    help: Option<String>,
) -> CaseFileError {
    let at = source.locate(span);
    CaseFileError {
        file: path.to_path_buf(),
        line: at.line,
        column: at.column,
        toml_path,
        message,
        help,
        source_line: Some(at.line_text),
        underline: at.underline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<LoadedFile, Vec<CaseFileError>> {
        load_bytes(Path::new("t.toml"), text.as_bytes(), contract::catalogue())
    }

    const GOOD: &str = r#"[[case]]
name = "get_list"
invariants = ["LIST-SHAPE"]

[[case.step]]
request = { method = "GET", path = "/operations" }
expect.status = [200]
"#;

    #[test]
    fn loads_a_good_file() {
        let loaded = load(GOOD).expect("loads");
        assert_eq!(loaded.stem, "t");
        assert_eq!(loaded.file.cases[0].name, "get_list");
    }

    #[test]
    fn syntax_errors_have_a_location() {
        let errs = load("[[case]\nname = 1\n").expect_err("bad toml");
        assert_eq!(errs.len(), 1);
        assert_eq!((errs[0].line, errs[0].column), (1, 8));
        assert!(errs[0].message.starts_with("invalid TOML"), "{}", errs[0]);
    }

    #[test]
    fn a_bad_case_does_not_hide_others() {
        let text = format!(
            "{GOOD}\n[[case]]\nname = \"Bad\"\ninvariants = [\"LIST-SHAPE\"]\n[[case.step]]\nrequest = {{ method = \"GET\", path = \"/x\" }}\n\n[[case]]\nname = \"c\"\ninvariants = [\"LIST-SHAP\"]\n[[case.step]]\nrequest = {{ method = \"GET\", path = \"/x\" }}\n"
        );
        let errs = load(&text).expect_err("two problems");
        assert_eq!(errs.len(), 2, "{errs:#?}");
        assert!(errs[0].message.contains("does not match the pattern"));
        assert_eq!(errs[1].message, "unknown invariant ID \"LIST-SHAP\"");
        assert_eq!(errs[1].toml_path, "case[2].invariants[0]");
    }

    #[test]
    fn non_utf8_is_located() {
        let errs = load_bytes(
            Path::new("t.toml"),
            b"[[case]]\nname = \"\xff\"\n",
            contract::catalogue(),
        )
        .expect_err("not utf-8");
        assert_eq!((errs[0].line, errs[0].column), (2, 9));
        assert!(errs[0].message.contains("invalid UTF-8"));
    }

    #[test]
    fn empty_and_caseless_files_are_errors() {
        assert_eq!(
            load("  \n").expect_err("empty")[0].message,
            "the case file is empty"
        );
        let errs = load("# only a comment\ntitle = 1\n").expect_err("no cases");
        assert_eq!(errs.len(), 2, "{errs:#?}");
    }
}
