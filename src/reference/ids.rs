//! Ids: `op_<id>` is canonical and bare ids are accepted (D-CANCEL: "Prefixed
//! form op_&lt;id&gt; is canonical; bare IDs accepted during transition"); the
//! custom-method verb is split off the last `:` of the decoded path segment
//! (axum 0.8 cannot route `/{id}:cancel`); owner types and their prefixes
//! (digest §2, pairing inferred).

use super::world::Dialect;

/// The prefix of canonical operation ids.
pub(crate) const OP_PREFIX: &str = "op_";

/// Documented bounds of the path id (1–53).
pub(crate) const ID_MAX: usize = 53;

/// The canonical form of a requested id.
pub(crate) fn canonical(id: &str) -> String {
    if id.starts_with(OP_PREFIX) {
        id.to_string()
    } else {
        format!("{OP_PREFIX}{id}")
    }
}

/// Splits `op_x:cancel` into (`op_x`, Some(`cancel`)); `op_x` into (`op_x`, None).
pub(crate) fn split_verb(segment: &str) -> (&str, Option<&str>) {
    match segment.rsplit_once(':') {
        Some((id, verb)) => (id, Some(verb)),
        None => (segment, None),
    }
}

/// The resource a `/v1/operations/{segment}` path names: the decoded id
/// and the custom method, if any. None when the segment does not decode to
/// UTF-8.
///
/// akua: the verb is split off the last `:` after percent-decoding, so
/// `op_x%3Acancel` is `op_x` + `cancel` (akua's CLI sends `%3A`, digest §3).
/// Alternate: only a literal `:` separates a verb (RFC 3986 §2.2: `%3A` and
/// `:` are not equivalent), so `op_x%3Acancel` names the resource
/// `op_x:cancel`.
pub(crate) fn target(raw_segment: &str, dialect: Dialect) -> Option<(String, Option<String>)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .ok()
            .map(|c| c.into_owned())
    };
    match dialect {
        Dialect::Akua => {
            let decoded = decode(raw_segment)?;
            let (id, verb) = split_verb(&decoded);
            Some((id.to_string(), verb.map(str::to_string)))
        }
        Dialect::Alternate => {
            let (raw_id, verb) = split_verb(raw_segment);
            let verb = match verb {
                Some(v) => Some(decode(v)?),
                None => None,
            };
            Some((decode(raw_id)?, verb))
        }
    }
}

/// The methods `/v1/operations/{segment}` supports (its `Allow`), or None
/// when the segment names no resource (an unknown custom method).
pub(crate) fn allowed_methods(verb: Option<&str>) -> Option<&'static str> {
    match verb {
        // axum serves HEAD wherever it serves GET (RFC 9110 §9.3.2).
        None => Some("GET, HEAD"),
        Some("cancel" | "wait") => Some("POST"),
        Some(_) => None,
    }
}

/// A fresh canonical id: `op_` and 16 lowercase hex characters.
pub(crate) fn new_op_id() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("{OP_PREFIX}{}", &hex[..16])
}

/// The documented owner types with their id prefixes (the contract's
/// table).
pub(crate) const OWNER_TYPES: &[(&str, &str)] = &crate::contract::OWNERS;

/// The id prefix paired with `owner_type`, or None for an unknown type.
pub(crate) fn owner_prefix(owner_type: &str) -> Option<&'static str> {
    OWNER_TYPES
        .iter()
        .find(|(t, _)| *t == owner_type)
        .map(|(_, p)| *p)
}

/// The owner types, comma separated (for error messages).
pub(crate) fn owner_type_list() -> String {
    OWNER_TYPES
        .iter()
        .map(|(t, _)| *t)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_adds_the_prefix_once() {
        assert_eq!(canonical("abc"), "op_abc");
        assert_eq!(canonical("op_abc"), "op_abc");
    }

    #[test]
    fn verb_is_split_off_the_last_colon() {
        assert_eq!(split_verb("op_a:cancel"), ("op_a", Some("cancel")));
        assert_eq!(split_verb("op_a"), ("op_a", None));
        assert_eq!(split_verb("a:b:wait"), ("a:b", Some("wait")));
        assert_eq!(split_verb(":wait"), ("", Some("wait")));
    }

    #[test]
    fn targets_per_dialect() {
        let t = |raw, d| target(raw, d).unwrap();
        let own = |id: &str, verb: Option<&str>| (id.to_string(), verb.map(str::to_string));
        assert_eq!(t("op_a:cancel", Dialect::Akua), own("op_a", Some("cancel")));
        assert_eq!(
            t("op_a%3Acancel", Dialect::Akua),
            own("op_a", Some("cancel"))
        );
        assert_eq!(t("op_a%3await", Dialect::Akua), own("op_a", Some("wait")));
        assert_eq!(
            t("op_a:cancel", Dialect::Alternate),
            own("op_a", Some("cancel"))
        );
        assert_eq!(
            t("op_a%3Acancel", Dialect::Alternate),
            own("op_a:cancel", None)
        );
        assert_eq!(
            t("op%5Fa:wait", Dialect::Alternate),
            own("op_a", Some("wait"))
        );
        assert_eq!(t("op_a", Dialect::Alternate), own("op_a", None));
        assert_eq!(target("op_%FF", Dialect::Akua), None);
        assert_eq!(target("op_%FF:wait", Dialect::Alternate), None);
        assert_eq!(allowed_methods(None), Some("GET, HEAD"));
        assert_eq!(allowed_methods(Some("wait")), Some("POST"));
        assert_eq!(allowed_methods(Some("delete")), None);
    }

    #[test]
    fn new_ids_are_canonical_and_short() {
        let id = new_op_id();
        assert!(id.starts_with(OP_PREFIX) && id.len() == 19);
        assert_ne!(new_op_id(), id);
    }

    #[test]
    fn owner_prefixes_pair_by_name() {
        assert_eq!(owner_prefix("machine"), Some("mch_"));
        assert_eq!(owner_prefix("repository"), Some("repo_"));
        assert_eq!(owner_prefix("robot"), None);
        assert!(owner_type_list().contains("repository_change_request"));
    }
}
