//! Entity-tags of operations and `If-Match` evaluation.
//!
//! The Operation has no revision field, so the reference sends an `ETag`
//! header (akua's convention elsewhere, digest §6.2): a quoted opaque tag,
//! base64 of `[<seq>.<revision>` in the style of akua's example `WzQ1Njc=`.
//! `If-Match` follows RFC 9110 §13.1.1 (`*` or a comma list of entity-tags,
//! strong comparison, so `W/` tags never match) and also accepts the bare
//! unquoted tag as in akua's example.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The opaque tag (without quotes) of revision `revision` of operation `seq`.
pub(crate) fn tag(seq: u64, revision: u64) -> String {
    STANDARD.encode(format!("[{seq}.{revision}"))
}

/// The ETag header value: the tag in quotes.
pub(crate) fn header_value(tag: &str) -> String {
    format!("\"{tag}\"")
}

/// How `If-Match` compares list members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListRule {
    /// Any member may match (RFC 9110).
    Any,
    /// Only the first member counts (fault `ifmatch-list-first-only`).
    FirstOnly,
}

/// True when `if_match` is satisfied by the current `tag`.
pub(crate) fn matches(if_match: &str, tag: &str, rule: ListRule) -> bool {
    let value = if_match.trim();
    if value == "*" {
        return true;
    }
    let members = value.split(',').map(str::trim).filter(|m| !m.is_empty());
    let take = match rule {
        ListRule::Any => usize::MAX,
        ListRule::FirstOnly => 1,
    };
    members.take(take).any(|member| member_matches(member, tag))
}

fn member_matches(member: &str, tag: &str) -> bool {
    if member.starts_with("W/") {
        return false; // strong comparison: weak tags never match
    }
    match member.strip_prefix('"') {
        Some(rest) => rest.strip_suffix('"') == Some(tag),
        None => member == tag,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_look_like_akuas_example() {
        let t = tag(12, 3);
        assert_eq!(t, "WzEyLjM="); // base64 of `[12.3`
        assert_eq!(header_value(&t), format!("\"{t}\""));
        assert_ne!(tag(12, 4), t);
    }

    #[test]
    fn if_match_forms() {
        let t = "WzEuMQ==";
        for ok in [
            "*",
            "\"WzEuMQ==\"",
            "WzEuMQ==",
            "\"x\", \"WzEuMQ==\"",
            " \"WzEuMQ==\" ",
        ] {
            assert!(matches(ok, t, ListRule::Any), "{ok}");
        }
        for bad in ["\"other\"", "W/\"WzEuMQ==\"", "\"WzEuMQ==", "", "x, y"] {
            assert!(!matches(bad, t, ListRule::Any), "{bad}");
        }
        assert!(!matches("\"x\", \"WzEuMQ==\"", t, ListRule::FirstOnly));
        assert!(matches("\"WzEuMQ==\", \"x\"", t, ListRule::FirstOnly));
    }
}
