//! Did-you-mean: the known name closest to a misspelt one.
//!
//! One policy for every user-facing name (case-file fields and invariant
//! IDs, config keys and profile names, reference fault names), so a typo
//! gets the same hint wherever it is made.

/// The candidate closest to `word`, when it is close enough to be a likely
/// typo: case-insensitive Levenshtein distance at most a third of the longer
/// of the two names (at least 1), or `word` (3+ characters) is a prefix of
/// the candidate (`request_timeout` for `request_timeout_secs`), which counts
/// as distance 1. On a tie the earlier candidate wins.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let word_len = lower.chars().count();
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let cand_lower = candidate.to_lowercase();
        let distance = if word_len >= 3 && cand_lower.starts_with(&lower) {
            // A prefix is a strong hint but not an exact match.
            1
        } else {
            strsim::levenshtein(&lower, &cand_lower)
        };
        let limit = (word_len.max(cand_lower.chars().count()) / 3).max(1);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn suggests_close_config_words_only() {
        let keys = ["rate", "target", "request_timeout_secs", "strict"];
        assert_eq!(did_you_mean("rat", keys), Some("rate"));
        assert_eq!(did_you_mean("tagret", keys), Some("target"));
        assert_eq!(did_you_mean("Target", keys), Some("target"));
        assert_eq!(
            did_you_mean("request_timeout", keys),
            Some("request_timeout_secs")
        );
        assert_eq!(did_you_mean("colour", keys), None);
        assert_eq!(did_you_mean("", keys), None);
    }

    #[test]
    fn counts_characters_not_bytes() {
        // One substitution of a two-byte character is one edit.
        assert_eq!(did_you_mean("éte", ["ete"]), Some("ete"));
    }

    #[test]
    fn earlier_candidate_wins_a_tie() {
        assert_eq!(did_you_mean("cat", ["bat", "hat"]), Some("bat"));
    }
}
