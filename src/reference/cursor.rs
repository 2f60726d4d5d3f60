//! Opaque list cursors: base64 of `c<sequence>`, the sequence of the last
//! item on the page (the next page starts strictly below it).

use super::base64;

/// The cursor after an item with sequence `seq`.
pub(crate) fn encode(seq: u64) -> String {
    base64::encode(format!("c{seq}").as_bytes())
}

/// The sequence in `cursor`, or None when it is not one of ours.
pub(crate) fn decode(cursor: &str) -> Option<u64> {
    let bytes = base64::decode(cursor)?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let digits = text.strip_prefix('c')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for seq in [0, 1, 42, u64::MAX] {
            assert_eq!(decode(&encode(seq)), Some(seq));
        }
    }

    #[test]
    fn rejects_foreign_cursors() {
        for bad in ["", "abc", "Zm9v", "YzE=x", "Yw==", "YythMQ==", "%%%"] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }
}
