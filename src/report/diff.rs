//! A line diff of a check's expected and actual text, for the HTML report.

use serde::Serialize;

/// One line of a diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct DiffLine {
    /// `same`, `expected` (only in expected) or `actual` (only in actual).
    pub kind: &'static str,
    pub text: String,
}

/// Most lines diffed with the quadratic LCS; beyond that, the texts are shown
/// whole, one after the other (expected/actual text is short in practice).
const MAX_LINES: usize = 400;

/// Lines of `expected` and `actual`, common lines once, in order.
pub(crate) fn lines(expected: &str, actual: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    let line = |kind, text: &str| DiffLine {
        kind,
        text: text.to_string(),
    };
    if a.len() > MAX_LINES || b.len() > MAX_LINES {
        let mut out: Vec<DiffLine> = a.iter().map(|t| line("expected", t)).collect();
        out.extend(b.iter().map(|t| line("actual", t)));
        return out;
    }
    // lcs[i][j] = length of the longest common subsequence of a[i..], b[j..].
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len() + b.len());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push(line("same", a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] > lcs[i + 1][j]) {
            out.push(line("actual", b[j]));
            j += 1;
        } else {
            out.push(line("expected", a[i]));
            i += 1;
        }
    }
    // Group each run of changes as expected-then-actual, which reads better.
    let mut grouped = Vec::with_capacity(out.len());
    let mut pending_actual = Vec::new();
    for l in out {
        match l.kind {
            "actual" => pending_actual.push(l),
            "expected" => grouped.push(l),
            _ => {
                grouped.append(&mut pending_actual);
                grouped.push(l);
            }
        }
    }
    grouped.append(&mut pending_actual);
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(d: &[DiffLine]) -> Vec<String> {
        d.iter()
            .map(|l| {
                let sign = match l.kind {
                    "same" => ' ',
                    "expected" => '-',
                    _ => '+',
                };
                format!("{sign}{}", l.text)
            })
            .collect()
    }

    #[test]
    fn single_lines_show_both_sides() {
        assert_eq!(
            render(&lines("status in [422]", "status 200")),
            ["-status in [422]", "+status 200"]
        );
    }

    #[test]
    fn common_lines_are_kept_once() {
        let d = lines("a\nb\nc", "a\nx\nc");
        assert_eq!(render(&d), [" a", "-b", "+x", " c"]);
    }

    #[test]
    fn equal_texts_have_no_changes() {
        assert!(lines("a\nb", "a\nb").iter().all(|l| l.kind == "same"));
    }
}
