//! Table expansion: every loaded case becomes one or more trials.

use super::load::LoadedFile;
use super::model::{PlannedCase, Table, TableRow};

/// The trials of `files`, in file order then case order; a case with a
/// table gives one trial per length (`<stem>::<case>[<name> len=<n>]`, value
/// `fill` repeated) then one per value (`<stem>::<case>[<name>=<value>]`).
pub fn plan(files: &[LoadedFile]) -> Vec<PlannedCase> {
    let mut planned = Vec::new();
    for file in files {
        for case in &file.file.cases {
            let base = format!("{}::{}", file.stem, case.name);
            match &case.table {
                None => planned.push(PlannedCase {
                    name: base,
                    file: file.display.clone(),
                    case: case.clone(),
                    table_row: None,
                }),
                Some(table) => {
                    for row in table_rows(table) {
                        planned.push(PlannedCase {
                            name: format!("{base}[{}]", row.label),
                            file: file.display.clone(),
                            case: case.clone(),
                            table_row: Some(row),
                        });
                    }
                }
            }
        }
    }
    planned
}

/// The rows of one table: lengths first, then values.
pub fn table_rows(table: &Table) -> Vec<TableRow> {
    let lengths = table.lengths.iter().map(|&n| match table.fill.as_deref() {
        Some(fill) => TableRow {
            label: format!("{} len={n}", table.name),
            value: fill.repeat(n),
            fresh_len: None,
        },
        None => {
            let row = TableRow {
                label: format!("{} len={n}", table.name),
                value: String::new(),
                fresh_len: Some(n),
            };
            TableRow {
                value: row.fresh_value(),
                ..row
            }
        }
    });
    let values = table.values.iter().map(|v| TableRow {
        label: format!("{}={v}", table.name),
        value: v.clone(),
        fresh_len: None,
    });
    lengths.chain(values).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_then_values() {
        let table = Table {
            name: "key".into(),
            lengths: vec![0, 3],
            values: vec!["abc".into()],
            fill: Some("x".into()),
        };
        let rows = table_rows(&table);
        let got: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.label.as_str(), r.value.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![("key len=0", ""), ("key len=3", "xxx"), ("key=abc", "abc")]
        );
    }

    #[test]
    fn without_fill_a_length_row_is_fresh_on_every_attempt() {
        let table = Table {
            name: "key".into(),
            lengths: vec![65, 0],
            values: vec![],
            fill: None,
        };
        let rows = table_rows(&table);
        let (a, b) = (rows[0].fresh_value(), rows[0].fresh_value());
        assert_eq!((a.len(), b.len()), (65, 65));
        assert_ne!(a, b, "a remembered value must not repeat across attempts");
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(rows[1].fresh_value(), "");
        // With a fill, the value is the fill, every time.
        let fixed = Table {
            fill: Some("z".into()),
            ..table
        };
        assert_eq!(table_rows(&fixed)[0].fresh_value(), "z".repeat(65));
    }
}
