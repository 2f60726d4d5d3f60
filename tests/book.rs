//! The book (`docs/`, an mdBook) and the READMEs hold together, without
//! mdBook installed and without the network:
//!
//! - every relative link and image points at a file or folder that exists
//!   inside the repository, and every `#anchor` (same page or another page)
//!   is the slug of a heading there, as mdBook and GitHub make it;
//! - a chapter links to Markdown only inside `docs/src/` (mdBook turns every
//!   `.md` link into `.html`, which outside the book does not exist);
//! - every `{{#include FILE:ANCHOR}}` names a file and an anchor that exist,
//!   and the included text's links hold where it is included;
//! - every chapter file is in `SUMMARY.md` and every entry there is a file;
//! - the README stays short and keeps the two commands a newcomer needs.
//!
//! External `http(s)` links are not fetched. `cargo xtask book` builds the
//! book itself (`cargo xtask ci` does too).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

/// Links that are right although they point at nothing in the repository:
/// (page, target, why).
const NOT_FILES: [(&str, &str, &str); 1] = [(
    "docs/src/reports.md",
    "opconform.html",
    "a quoted Markdown report links to the HTML report written beside it",
)];

/// The README is a newcomer's page; everything else goes into the book.
const README_MAX_LINES: usize = 300;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A Markdown page, its path relative to the repository root.
#[derive(Debug, Clone)]
struct Page {
    path: PathBuf,
    /// The text as mdBook renders it: `{{#include}}`s expanded in chapters.
    text: String,
}

/// The pages checked: README.md, the README.md of each top-level folder, and
/// every Markdown file of `docs/src/` (includes expanded).
fn pages(root: &Path) -> Result<Vec<Page>, Vec<String>> {
    let mut paths = vec![PathBuf::from("README.md")];
    let mut folders: Vec<PathBuf> = read_dir(root)
        .into_iter()
        .filter(|p| p.is_dir())
        .filter(|p| !p.ends_with("target") && !p.ends_with(".git"))
        .collect();
    folders.sort();
    for folder in folders {
        let readme = folder.join("README.md");
        if readme.is_file() {
            paths.push(relative(root, &readme));
        }
    }
    paths.extend(chapter_files(root).into_iter().map(|p| relative(root, &p)));
    let mut pages = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let raw = match std::fs::read_to_string(root.join(&path)) {
            Ok(text) => text,
            Err(e) => {
                errors.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        let text = if path.starts_with("docs/src") {
            match expand_includes(root, &path, &raw) {
                Ok(text) => text,
                Err(mut e) => {
                    errors.append(&mut e);
                    continue;
                }
            }
        } else {
            raw
        };
        pages.push(Page { path, text });
    }
    if errors.is_empty() {
        Ok(pages)
    } else {
        Err(errors)
    }
}

fn read_dir(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect()
}

fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

/// The `.md` files of `docs/src/`, sorted.
fn chapter_files(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = read_dir(&root.join("docs/src"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    files
}

/// mdBook's `{{#include FILE}}` and `{{#include FILE:ANCHOR}}`, expanded as
/// mdBook does: the lines between `ANCHOR: name` and `ANCHOR_END: name`,
/// without any line that carries an anchor marker.
fn expand_includes(root: &Path, page: &Path, text: &str) -> Result<String, Vec<String>> {
    let mut out = String::new();
    let mut errors = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{#include ") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "{{#include ".len()..];
        let Some(end) = after.find("}}") else {
            errors.push(format!("{}: unterminated {{{{#include", page.display()));
            return Err(errors);
        };
        let spec = after[..end].trim();
        rest = &after[end + 2..];
        let (file, anchor) = match spec.split_once(':') {
            Some((file, anchor)) => (file, Some(anchor)),
            None => (spec, None),
        };
        let dir = page.parent().unwrap_or(Path::new(""));
        let included = root.join(dir).join(file);
        let whole = match std::fs::read_to_string(&included) {
            Ok(t) => t,
            Err(e) => {
                errors.push(format!(
                    "{}: {{{{#include {spec}}}}}: {}: {e}",
                    page.display(),
                    included.display()
                ));
                continue;
            }
        };
        match anchor {
            None => out.push_str(&whole),
            Some(anchor) if anchor.chars().all(|c| c.is_ascii_digit() || c == ':') => {
                errors.push(format!(
                    "{}: {{{{#include {spec}}}}}: line ranges are not checked; use an ANCHOR",
                    page.display()
                ));
            }
            Some(anchor) => match anchored(&whole, anchor) {
                Some(region) => {
                    out.push_str(region.trim_end_matches('\n'));
                }
                None => errors.push(format!(
                    "{}: {{{{#include {spec}}}}}: no `ANCHOR: {anchor}` ... `ANCHOR_END: {anchor}` in {file}",
                    page.display()
                )),
            },
        }
    }
    out.push_str(rest);
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The region of `text` between the lines marking `anchor`.
fn anchored(text: &str, anchor: &str) -> Option<String> {
    let marks = |line: &str, word: &str| {
        line.split_once(word).is_some_and(|(_, rest)| {
            rest.trim_start().starts_with(anchor) && {
                let after = &rest.trim_start()[anchor.len()..];
                !after.starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '-')
            }
        })
    };
    let mut region = String::new();
    let mut inside = false;
    for line in text.lines() {
        if marks(line, "ANCHOR_END:") {
            return inside.then_some(region);
        }
        if marks(line, "ANCHOR:") {
            inside = true;
            continue;
        }
        if inside && !line.contains("ANCHOR:") && !line.contains("ANCHOR_END:") {
            region.push_str(line);
            region.push('\n');
        }
    }
    None
}

/// The lines of `text` outside fenced code blocks, numbered from 1.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut lines = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let run = |c: char| trimmed.chars().take_while(|&x| x == c).count();
        match fence {
            None => {
                let (c, n) = if run('`') >= 3 {
                    ('`', run('`'))
                } else if run('~') >= 3 {
                    ('~', run('~'))
                } else {
                    lines.push((i + 1, line));
                    continue;
                };
                fence = Some((c, n));
            }
            Some((c, n)) => {
                if run(c) >= n && trimmed[run(c)..].trim().is_empty() {
                    fence = None;
                }
            }
        }
    }
    lines
}

/// `line` without its code spans (`` `x` ``, ```` ``x`` ````), whose text is
/// never a link.
fn without_code(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let ticks = rest[start..].chars().take_while(|&c| c == '`').count();
        let after = &rest[start + ticks..];
        let closing = "`".repeat(ticks);
        // The closing run must be exactly as long as the opening one.
        let mut search = 0;
        let mut end = None;
        while let Some(i) = after[search..].find(&closing) {
            let at = search + i;
            let longer = after[at + ticks..].starts_with('`');
            if !longer {
                end = Some(at);
                break;
            }
            search = at + after[at..].chars().take_while(|&c| c == '`').count();
        }
        match end {
            Some(at) => rest = &after[at + ticks..],
            None => {
                out.push_str(&rest[start..start + ticks]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The text of a heading as rendered: code spans keep their text, links
/// their text, emphasis markers go.
fn heading_text(raw: &str) -> String {
    let mut text = String::new();
    let mut rest = raw;
    // Code spans first: their text is kept as it is.
    while let Some(start) = rest.find('`') {
        text.push_str(&plain_inline(&rest[..start]));
        let ticks = rest[start..].chars().take_while(|&c| c == '`').count();
        let after = &rest[start + ticks..];
        match after.find(&"`".repeat(ticks)) {
            Some(end) => {
                text.push_str(after[..end].trim());
                rest = &after[end + ticks..];
            }
            None => {
                text.push_str(&rest[start..start + ticks]);
                rest = after;
            }
        }
    }
    text.push_str(&plain_inline(rest));
    text
}

/// Inline Markdown outside code: `[text](url)` to `text`, `*` dropped.
fn plain_inline(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("](") {
        let (before, after) = rest.split_at(i);
        out.push_str(&before.replace(['[', '*'], ""));
        let close = after.find(')').unwrap_or(after.len() - 1);
        rest = &after[close + 1..];
    }
    out.push_str(&rest.replace(['[', ']', '*'], ""));
    out
}

/// The id mdBook (`mdbook-html`'s `id_from_content`) and GitHub give a
/// heading: lowercase; letters, digits, `_` and `-` kept; whitespace becomes
/// `-`; everything else dropped.
fn slug(heading: &str) -> String {
    heading_text(heading)
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c)
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// The anchors of a page: one per ATX heading, a repeated slug getting
/// `-1`, `-2`, ... as in both renderers.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for (_, line) in prose_lines(text) {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let heading = line[hashes..].trim().trim_end_matches('#').trim_end();
        let id = slug(heading);
        let mut candidate = id.clone();
        let mut n = 0;
        while used.contains(&candidate) {
            n += 1;
            candidate = format!("{id}-{n}");
        }
        used.insert(candidate);
    }
    used
}

/// The link and image targets of a page outside code, with line numbers:
/// inline `[text](target "title")` and reference definitions `[x]: target`.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in prose_lines(text) {
        let line = without_code(line);
        let trimmed = line.trim_start();
        let definition = trimmed
            .strip_prefix('[')
            .and_then(|rest| rest.split_once("]:"))
            .filter(|(label, _)| !label.contains(']'));
        if let Some((_, target)) = definition {
            if let Some(target) = target.split_whitespace().next() {
                found.push((n, target.trim_matches(['<', '>']).to_string()));
            }
            continue;
        }
        let mut rest = line.as_str();
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            // Up to the `)` that balances the opening one.
            let mut depth = 0usize;
            let mut end = after.len();
            for (j, c) in after.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' if depth == 0 => {
                        end = j;
                        break;
                    }
                    ')' => depth -= 1,
                    _ => {}
                }
            }
            let inner = after[..end].trim();
            let target = if let Some(angled) = inner.strip_prefix('<') {
                angled.split('>').next().unwrap_or("")
            } else {
                inner.split_whitespace().next().unwrap_or("")
            };
            found.push((n, target.to_string()));
            rest = &after[end.min(after.len())..];
        }
    }
    found
}

fn is_external(target: &str) -> bool {
    let scheme: String = target
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "+.-".contains(*c))
        .collect();
    !scheme.is_empty()
        && target[scheme.len()..].starts_with(':')
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
}

/// `path` with `.` and `..` resolved, without touching the file system;
/// `None` when it climbs above its start.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::Normal(p) => out.push(p),
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// Every problem with the links of `pages`, one line each.
fn check_links(root: &Path, pages: &[Page]) -> Vec<String> {
    let by_path: BTreeMap<&Path, &Page> = pages.iter().map(|p| (p.path.as_path(), p)).collect();
    let mut anchor_cache: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
    let mut anchors_of = |path: &Path| -> BTreeSet<String> {
        anchor_cache
            .entry(path.to_path_buf())
            .or_insert_with(|| match by_path.get(path) {
                Some(page) => anchors(&page.text),
                None => anchors(&std::fs::read_to_string(root.join(path)).unwrap_or_default()),
            })
            .clone()
    };
    let mut problems = Vec::new();
    for page in pages {
        let dir = page.path.parent().unwrap_or(Path::new(""));
        let in_book = page.path.starts_with("docs/src");
        for (line, target) in links(&page.text) {
            let at = format!("{}:{line}: `{target}`", page.path.display());
            if target.is_empty() {
                problems.push(format!("{at}: empty link"));
                continue;
            }
            if is_external(&target) {
                continue;
            }
            let (file, fragment) = match target.split_once('#') {
                Some((file, fragment)) => (file, Some(fragment)),
                None => (target.as_str(), None),
            };
            if !file.is_empty()
                && NOT_FILES
                    .iter()
                    .any(|(p, t, _)| Path::new(p) == page.path && *t == file)
            {
                continue;
            }
            let resolved = if file.is_empty() {
                page.path.clone()
            } else if file.starts_with('/') {
                problems.push(format!("{at}: an absolute path; link relative to the page"));
                continue;
            } else {
                match normalize(&dir.join(file)) {
                    Some(p) => p,
                    None => {
                        problems.push(format!("{at}: points outside the repository"));
                        continue;
                    }
                }
            };
            let on_disk = root.join(&resolved);
            if !on_disk.exists() {
                problems.push(format!("{at}: {} does not exist", resolved.display()));
                continue;
            }
            let markdown = resolved.extension().is_some_and(|e| e == "md");
            if in_book && markdown && !resolved.starts_with("docs/src") {
                problems.push(format!(
                    "{at}: mdBook renders a link to a .md file as .html, which exists only \
                     inside docs/src; link the folder or another file instead"
                ));
            }
            let Some(fragment) = fragment else { continue };
            if !markdown {
                continue; // a source file's #L12 is GitHub's, not ours to check
            }
            if !anchors_of(&resolved).contains(fragment) {
                problems.push(format!(
                    "{at}: no heading in {} has the anchor #{fragment}",
                    resolved.display()
                ));
            }
        }
    }
    problems
}

/// The chapter files SUMMARY.md lists, in order.
fn summary_entries(summary: &str) -> Vec<String> {
    links(summary)
        .into_iter()
        .map(|(_, target)| target)
        .filter(|t| !is_external(t))
        .collect()
}

#[test]
fn every_link_and_anchor_in_the_book_and_the_readmes_resolves() {
    let pages = pages(root()).unwrap_or_else(|e| panic!("{}", e.join("\n")));
    assert!(pages.len() >= 14, "only {} pages", pages.len());
    let total: usize = pages.iter().map(|p| links(&p.text).len()).sum();
    assert!(
        total >= 60,
        "only {total} links found: is the parser blind?"
    );
    let problems = check_links(root(), &pages);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn summary_lists_every_chapter_once_and_only_chapters() {
    let src = root().join("docs/src");
    let summary = std::fs::read_to_string(src.join("SUMMARY.md")).expect("docs/src/SUMMARY.md");
    let listed = summary_entries(&summary);
    let mut seen = BTreeSet::new();
    for entry in &listed {
        assert!(seen.insert(entry.clone()), "SUMMARY.md lists {entry} twice");
        assert!(
            !entry.contains('/') && !entry.contains('#'),
            "SUMMARY.md entry {entry}: chapters are files of docs/src/ itself"
        );
    }
    let files: BTreeSet<String> = chapter_files(root())
        .iter()
        .filter_map(|p| p.file_name()?.to_str().map(str::to_string))
        .filter(|name| name != "SUMMARY.md")
        .collect();
    let not_listed: Vec<_> = files.difference(&seen).collect();
    let no_file: Vec<_> = seen.difference(&files).collect();
    assert!(
        not_listed.is_empty() && no_file.is_empty(),
        "chapters not in SUMMARY.md: {not_listed:?}; SUMMARY.md entries without a file: {no_file:?}"
    );
    assert_eq!(listed.first().map(String::as_str), Some("introduction.md"));
}

#[test]
fn docs_src_is_flat_and_every_other_file_in_it_is_used() {
    // Flat, so that a chapter's `../../x` names the repository's `x` both in
    // docs/src/ (GitHub) and in docs/book/ (the built book).
    let pages = pages(root()).unwrap_or_else(|e| panic!("{}", e.join("\n")));
    let targets: BTreeSet<String> = pages
        .iter()
        .filter(|p| p.path.starts_with("docs/src"))
        .flat_map(|p| links(&p.text).into_iter().map(|(_, t)| t))
        .collect();
    for entry in read_dir(&root().join("docs/src")) {
        let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or("");
        assert!(!entry.is_dir(), "docs/src/{name}: keep docs/src flat");
        if !name.ends_with(".md") {
            assert!(
                targets.contains(name),
                "docs/src/{name} is not used by any chapter"
            );
        }
    }
}

#[test]
fn the_readme_is_short_and_keeps_the_newcomers_two_commands() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let lines = readme.lines().count();
    assert!(
        lines <= README_MAX_LINES,
        "README.md has {lines} lines (at most {README_MAX_LINES}): move the detail into the book, docs/src/"
    );
    for command in ["cargo run --release -- run", "cargo xtask test"] {
        assert!(
            readme.contains(&format!("```sh\n{command}\n```")),
            "README.md lost its `{command}` block"
        );
    }
    let ci = std::fs::read_to_string(root().join(".ci/run")).expect(".ci/run");
    assert!(
        ci.contains("\ncargo xtask ci\n"),
        ".ci/run no longer runs `cargo xtask ci`"
    );
}

#[test]
fn slugs_are_the_ones_mdbook_and_github_make() {
    for (heading, id) in [
        ("Selftest: the kill matrix", "selftest-the-kill-matrix"),
        (
            "`[[case.step]]` and `request` fields",
            "casestep-and-request-fields",
        ),
        (
            "opconform in your own `cargo test`",
            "opconform-in-your-own-cargo-test",
        ),
        ("Profiles: `opconform.toml`", "profiles-opconformtoml"),
        (
            "`within_ms` and `not_before_ms`: timing",
            "within_ms-and-not_before_ms-timing",
        ),
        (
            "`parallel` + `single_transition`",
            "parallel--single_transition",
        ),
        ("The reference's worlds", "the-references-worlds"),
        ("A *real* [target](x.md) ", "a-real-target"),
    ] {
        assert_eq!(slug(heading), id, "{heading}");
    }
    let repeated = anchors("# A\n## b\n```sh\n# not a heading\n```\n## B\n## b\n");
    assert_eq!(
        repeated,
        ["a", "b", "b-1", "b-2"]
            .map(String::from)
            .into_iter()
            .collect()
    );
}

#[test]
fn links_are_found_outside_code_only() {
    let text = "See [a](a.md#x) and ![img](i.png \"title\") and `[no](code.md)`.\n\
                ```md\n[no](fenced.md)\n```\n\
                [`[[case]]` fields](#case-fields), [ext](https://example.com/(x))\n\
                [ref]: <ref.md>\n";
    let found: Vec<String> = links(text).into_iter().map(|(_, t)| t).collect();
    assert_eq!(
        found,
        [
            "a.md#x",
            "i.png",
            "#case-fields",
            "https://example.com/(x)",
            "ref.md"
        ]
    );
}

#[test]
fn a_broken_link_anchor_or_include_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("docs/src")).expect("mkdir");
    std::fs::write(
        root.join("README.md"),
        "# R\n\n## Quick start\n<!-- ANCHOR: q -->\nsee [this](#quick-start)\n<!-- ANCHOR_END: q -->\n\
         [gone](nothing.md) [bad](docs/src/a.md#nope) [good](docs/src/a.md#a-chapter)\n",
    )
    .expect("write");
    std::fs::write(
        root.join("docs/src/a.md"),
        "# A chapter\n\n{{#include ../../README.md:q}}\n[up](../../README.md)\n\
         [ok](#a-chapter) [bad](#b)\n",
    )
    .expect("write");
    std::fs::write(
        root.join("docs/src/b.md"),
        "{{#include ../../README.md:none}}\n",
    )
    .expect("write");
    let errors = pages(root).expect_err("b.md's include has no such anchor");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("no `ANCHOR: none`"), "{errors:?}");
    std::fs::remove_file(root.join("docs/src/b.md")).expect("rm");
    let pages = pages(root).expect("pages");
    let chapter = pages
        .iter()
        .find(|p| p.path.ends_with("a.md"))
        .expect("a.md");
    assert!(
        chapter.text.contains("see [this](#quick-start)\n"),
        "{}",
        chapter.text
    );
    assert!(!chapter.text.contains("ANCHOR"), "{}", chapter.text);
    let problems = check_links(root, &pages);
    let expected = [
        "README.md:7: `nothing.md`: nothing.md does not exist",
        "README.md:7: `docs/src/a.md#nope`: no heading in docs/src/a.md has the anchor #nope",
        // The included line's link holds in the README, not in the chapter.
        "docs/src/a.md:3: `#quick-start`: no heading in docs/src/a.md has the anchor #quick-start",
        "docs/src/a.md:4: `../../README.md`: mdBook renders a link to a .md file as .html, which \
         exists only inside docs/src; link the folder or another file instead",
        "docs/src/a.md:5: `#b`: no heading in docs/src/a.md has the anchor #b",
    ];
    assert_eq!(problems, expected);
}
