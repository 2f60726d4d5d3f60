//! The catalogue rendered for people and tools: the README reference table
//! (Markdown), an aligned text table and JSON. Pure functions; the CLI prints.

use serde_json::{Value, json};

use super::catalogue::{CATALOGUE_VERSION, catalogue};
use super::invariant::{Basis, Check, Invariant, Level};

/// `MUST` or `SHOULD`.
pub fn level_label(level: Level) -> &'static str {
    match level {
        Level::Must => "MUST",
        Level::Should => "SHOULD",
    }
}

/// `documented`, `standard` or `inferred`.
pub fn basis_label(basis: Basis) -> &'static str {
    match basis {
        Basis::Documented => "documented",
        Basis::Standard => "standard",
        Basis::Inferred => "inferred",
    }
}

fn join(codes: &[u16]) -> String {
    codes
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `422 / +400, 409`, `401`, or `—` for invariants without status sets.
pub fn statuses_label(inv: &Invariant) -> String {
    match inv.statuses {
        None => "—".to_string(),
        Some(sets) if sets.lenient_extra.is_empty() => join(sets.strict),
        Some(sets) => format!("{} / +{}", join(sets.strict), join(sets.lenient_extra)),
    }
}

fn level_cell(inv: &Invariant) -> String {
    if inv.strict_only {
        format!("{} (strict)", level_label(inv.level))
    } else {
        level_label(inv.level).to_string()
    }
}

fn check_label(check: Check) -> &'static str {
    match check {
        Check::Operation(_) => "operation",
        Check::List(_) => "list",
        Check::Error(_) => "error",
        Check::Response(_) => "response",
        Check::History => "history",
        Check::Case => "case",
    }
}

/// The README reference table, one row per invariant in catalogue order:
/// `| ID | Level | Basis | Statuses (strict / lenient adds) | Title | Clause |`.
/// `(strict)` after the level marks checks that only `--strict` runs.
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| ID | Level | Basis | Statuses (strict / lenient adds) | Title | Clause |\n\
         |---|---|---|---|---|---|\n",
    );
    for inv in catalogue() {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            inv.id,
            level_cell(inv),
            basis_label(inv.basis),
            statuses_label(inv),
            cell(inv.title),
            cell(inv.clause)
        ));
    }
    out
}

/// Text for a Markdown table cell: `<` would open an HTML tag (`op_<id>`)
/// and `|` would end the cell.
pub fn cell(text: &str) -> String {
    text.replace('<', "&lt;").replace('|', "\\|")
}

/// The catalogue as an aligned plain-text table (ID, level, basis,
/// statuses, title), for the terminal.
pub fn text_table() -> String {
    let header = [
        "ID",
        "LEVEL",
        "BASIS",
        "STATUSES (STRICT / +LENIENT)",
        "TITLE",
    ];
    let rows: Vec<[String; 5]> = catalogue()
        .iter()
        .map(|inv| {
            [
                inv.id.to_string(),
                level_cell(inv),
                basis_label(inv.basis).to_string(),
                statuses_label(inv),
                inv.title.to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i == cells.len() - 1 {
                text.push_str(cell);
            } else {
                let pad = widths[i] - cell.chars().count();
                text.push_str(cell);
                text.push_str(&" ".repeat(pad + 2));
            }
        }
        text.push('\n');
        text
    };
    let mut out = line(header);
    for row in &rows {
        out.push_str(&line([&row[0], &row[1], &row[2], &row[3], &row[4]]));
    }
    out
}

/// The catalogue as JSON: `{catalogue_version, invariants: [{id, title,
/// clause, level, basis, strict_only, check, statuses: {strict,
/// lenient_extra} | null}]}`.
pub fn catalogue_json() -> Value {
    let invariants: Vec<Value> = catalogue()
        .iter()
        .map(|inv| {
            json!({
                "id": inv.id,
                "title": inv.title,
                "clause": inv.clause,
                "level": level_label(inv.level),
                "basis": basis_label(inv.basis),
                "strict_only": inv.strict_only,
                "check": check_label(inv.check),
                "statuses": inv.statuses.map(|s| json!({
                    "strict": s.strict,
                    "lenient_extra": s.lenient_extra,
                })),
            })
        })
        .collect();
    json!({ "catalogue_version": CATALOGUE_VERSION, "invariants": invariants })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_has_a_header_and_one_row_per_invariant() {
        let table = markdown_table();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines[0],
            "| ID | Level | Basis | Statuses (strict / lenient adds) | Title | Clause |"
        );
        assert_eq!(lines.len(), catalogue().len() + 2);
        assert!(table.contains(
            "| `CANCEL-TERMINAL-422` | MUST | documented | 422 / +400, 409 | cancel on a done operation is rejected with 422 |"
        ));
        assert!(table.contains("| `OP-ETAG-HEADER` | SHOULD (strict) | inferred | — |"));
        for line in &lines {
            assert_eq!(line.matches('|').count(), 7, "{line}");
        }
    }

    #[test]
    fn text_table_aligns_columns() {
        let table = text_table();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), catalogue().len() + 1);
        let level_col = lines[0].find("LEVEL").unwrap_or(0);
        assert!(level_col > 0);
        for line in &lines[1..] {
            let prefix: String = line.chars().take(level_col).collect();
            assert!(prefix.ends_with("  "), "{line}");
            let next: String = line.chars().skip(level_col).take(1).collect();
            assert!(next == "M" || next == "S", "{line}");
        }
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("AUTH-401 ") && l.contains("401"))
        );
    }

    #[test]
    fn json_lists_every_invariant_with_statuses() {
        let value = catalogue_json();
        let list = value["invariants"].as_array().cloned().unwrap_or_default();
        assert_eq!(list.len(), catalogue().len());
        assert_eq!(value["catalogue_version"], CATALOGUE_VERSION);
        let stale = list
            .iter()
            .find(|i| i["id"] == "CANCEL-IFMATCH-STALE")
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            stale["statuses"],
            json!({"strict": [409], "lenient_extra": [412]})
        );
        assert_eq!(stale["check"], "case");
        assert_eq!(stale["level"], "MUST");
        let etag = list
            .iter()
            .find(|i| i["id"] == "OP-ETAG-HEADER")
            .cloned()
            .unwrap_or_default();
        assert_eq!(etag["strict_only"], true);
        assert_eq!(etag["statuses"], Value::Null);
    }
}
