//! Opaque list cursors: base64 of `c<sequence>`, the sequence of the last
//! item on the page (the next page starts strictly below it).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The cursor after an item with sequence `seq`.
pub(crate) fn encode(seq: u64) -> String {
    STANDARD.encode(format!("c{seq}"))
}

/// The sequence in `cursor`, or None when it is not one of ours.
pub(crate) fn decode(cursor: &str) -> Option<u64> {
    // Padded standard base64 with canonical padding and no stray trailing
    // bits, so a cursor has exactly one spelling.
    let bytes = STANDARD.decode(cursor).ok()?;
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
    fn cursors_are_padded_standard_base64() {
        assert_eq!(encode(1), "YzE=");
        assert_eq!(encode(42), "YzQy");
        assert_eq!(encode(123), "YzEyMw==");
    }

    #[test]
    fn rejects_non_canonical_base64() {
        // "YzE=" is the cursor of 1: other spellings of it are not ours.
        for bad in ["YzE", "YzF=", "YzE==", "Y zE=", "YzE=YzE=", "YzE\n"] {
            assert_eq!(decode(bad), None, "{bad}");
        }
        assert_eq!(decode("YzE="), Some(1));
    }

    #[test]
    fn rejects_foreign_cursors() {
        for bad in ["", "abc", "Zm9v", "YzE=x", "Yw==", "YythMQ==", "%%%"] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }
}
