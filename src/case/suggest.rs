//! Did-you-mean suggestions by edit distance.

/// The candidate closest to `input`, when it is close enough to be a likely
/// typo (case-insensitive; distance at most a third of the longer name, min 1).
pub(crate) fn did_you_mean<'a, I>(input: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let lowered = input.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&lowered, &c.to_lowercase()), c))
        .filter(|(d, c)| {
            let limit = (input.chars().count().max(c.chars().count()) / 3).max(1);
            *d <= limit
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn suggests_close_names_only() {
        let ids = ["OP-DONE-TERMINAL", "OP-STATE-ENUM"];
        assert_eq!(
            did_you_mean("OP-DONE-TERMNAL", ids),
            Some("OP-DONE-TERMINAL")
        );
        assert_eq!(did_you_mean("get", ["GET", "POST"]), Some("GET"));
        assert_eq!(did_you_mean("zzzzzz", ids), None);
    }
}
