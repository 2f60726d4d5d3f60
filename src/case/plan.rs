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
    let fill = table.fill.as_deref().unwrap_or("k");
    let lengths = table.lengths.iter().map(|&n| TableRow {
        label: format!("{} len={n}", table.name),
        value: fill.repeat(n),
    });
    let values = table.values.iter().map(|v| TableRow {
        label: format!("{}={v}", table.name),
        value: v.clone(),
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
    fn fill_defaults_to_k() {
        let table = Table {
            name: "id".into(),
            lengths: vec![2],
            values: vec![],
            fill: None,
        };
        assert_eq!(table_rows(&table)[0].value, "kk");
    }
}
