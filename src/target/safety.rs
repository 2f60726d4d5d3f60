//! The cancel guard: opconform only ever cancels operations it was handed
//! (by the fixture provider or `--op`), whatever shape the request path
//! takes.
//!
//! The check runs on the final URL, read the way a lenient server or a
//! proxy might read it: dot segments resolved, percent-encoding undone
//! (repeatedly, for double encoding), empty segments and `;parameters`
//! ignored, case folded. Anything that could be a cancel must then have
//! exactly the form `{base}/operations/{id}:cancel` with an `id` the case
//! owns; everything else is refused before it is sent.

use percent_encoding::percent_decode_str;

use crate::vocab::Endpoint;

use crate::contract::ID_MAX_CHARS;

/// Whether a request may name operation `id`; `owns` says whether `id`
/// (canonical or bare) is one the run was handed.
///
/// Safety rule (the book's "Which operations opconform touches"):
/// opconform must never change an operation it was not given. So
///
/// * a **mutating** request (`:cancel`, or any method other than GET/HEAD
///   and the `:wait` long-poll) may only name an owned operation, or an id
///   that cannot name a real operation: one containing `opconform`, the
///   empty id, or one over the 53-character limit;
/// * a **read-only** request (`GET /operations/{id}`, `POST :wait`) may name
///   any id: it cannot change anything, and not-found cases need ids of any
///   length (a one-character id cannot contain `opconform`). Bundled cases
///   still put `opconform` into every fabricated id whose length allows it,
///   so a target's logs show where a strange id came from.
pub fn may_name(method: &str, endpoint: Endpoint, id: &str, owns: &dyn Fn(&str) -> bool) -> bool {
    let read_only = endpoint == Endpoint::Wait
        || method.eq_ignore_ascii_case("GET")
        || method.eq_ignore_ascii_case("HEAD");
    read_only
        || owns(id)
        || id.to_ascii_lowercase().contains("opconform")
        || id.is_empty()
        || id.chars().count() > ID_MAX_CHARS
}

/// True when `method` + `path` (below the base URL, any encoding) may be a
/// cancel: an unsafe method whose decoded path mentions `cancel`.
pub fn is_cancel(method: &str, path: &str) -> bool {
    let m = method.to_ascii_uppercase();
    if matches!(m.as_str(), "GET" | "HEAD" | "OPTIONS") {
        return false;
    }
    let path = path.split(['?', '#']).next().unwrap_or("");
    decode_fully(path).to_ascii_lowercase().contains("cancel")
}

/// Checks a request about to be sent: it stays on the base URL's origin,
/// and if it may be a cancel, it names an operation `owns` accepts (or a
/// fabricated id, see [`may_name`]).
pub fn guard(
    method: &str,
    url: &str,
    base_url: &str,
    owns: &dyn Fn(&str) -> bool,
) -> Result<(), String> {
    let refuse = |why: &str| Err(format!("refusing to send {method} {url}: {why}"));
    let (Ok(target), Ok(base)) = (url::Url::parse(url), url::Url::parse(base_url)) else {
        // Not a URL: the client cannot send it either.
        return Ok(());
    };
    if !super::transport::same_origin(&target, &base) {
        return refuse("it leaves the target's origin");
    }
    if !is_cancel(method, target.path()) {
        return Ok(());
    }
    let segments = normalised_segments(target.path());
    let base_segments = normalised_segments(base.path());
    let Some(rest) = segments.strip_prefix(base_segments.as_slice()) else {
        return refuse("a cancel outside the base URL");
    };
    let shape = "a cancel must have the form /operations/{id}:cancel naming a fixture of this case";
    let [collection, last] = rest else {
        return refuse(shape);
    };
    if !collection.eq_ignore_ascii_case("operations") {
        return refuse(shape);
    }
    let Some((id, _verb)) = last.rsplit_once(':') else {
        return refuse(shape);
    };
    if !may_name("POST", Endpoint::Cancel, id, owns) {
        return refuse(&format!(
            "operation `{id}` is not a fixture of this case (fabricated ids must contain \
             `opconform`)"
        ));
    }
    Ok(())
}

/// Percent-decodes until nothing changes (at most a few rounds).
fn decode_fully(s: &str) -> String {
    let mut cur = s.to_string();
    for _ in 0..4 {
        let next = percent_decode_str(&cur).decode_utf8_lossy().into_owned();
        if next == cur {
            break;
        }
        cur = next;
    }
    cur
}

/// Path segments after decoding, with `;params`, empty and `.` segments
/// dropped and `..` applied.
fn normalised_segments(path: &str) -> Vec<String> {
    let decoded = decode_fully(path).replace('\\', "/");
    let mut out: Vec<String> = Vec::new();
    for seg in decoded.split('/') {
        let seg = seg.split(';').next().unwrap_or("");
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s.to_string()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://127.0.0.1:9/v1";

    fn owned(id: &str) -> bool {
        id == "op_mine" || id == "mine"
    }

    fn check(method: &str, path: &str) -> Result<(), String> {
        guard(method, &format!("{BASE}{path}"), BASE, &owned)
    }

    #[test]
    fn get_may_name_any_id_but_cancel_may_not() {
        let f = |id: &str| id == "op_1" || id == "1";
        assert!(may_name("GET", Endpoint::Get, "z", &f));
        assert!(may_name("get", Endpoint::Get, "op_someone_else", &f));
        assert!(may_name("POST", Endpoint::Wait, "z", &f));
        assert!(!may_name("POST", Endpoint::Cancel, "z", &f));
        assert!(!may_name("POST", Endpoint::Cancel, "op_someone_else", &f));
        assert!(may_name("POST", Endpoint::Cancel, "op_1", &f));
        assert!(may_name("POST", Endpoint::Cancel, "1", &f));
        assert!(may_name("POST", Endpoint::Cancel, &"z".repeat(54), &f));
        assert!(may_name("POST", Endpoint::Cancel, "", &f));
        assert!(!may_name("POST", Endpoint::Cancel, &"z".repeat(53), &f));
        assert!(!may_name("PATCH", Endpoint::Other, "op_x", &f));
    }

    #[test]
    fn own_fixture_may_be_cancelled_in_every_spelling() {
        for path in [
            "/operations/op_mine:cancel",
            "/operations/mine:cancel",
            "/operations/op_mine%3Acancel",
            "/operations/op_mine%3acancel",
            "/operations/op_mine:cancel/",
            "/operations/op_mine:cancel?x=op_other",
            "/operations/op_mine:CANCEL",
            "//operations//op_mine:cancel",
            "/operations/./op_mine:cancel",
            "/operations/op_opconform_fake:cancel",
        ] {
            assert_eq!(check("POST", path), Ok(()), "{path}");
        }
    }

    #[test]
    fn foreign_operations_are_refused_in_every_spelling() {
        for path in [
            "/operations/op_other:cancel",
            "/operations/op_other%3Acancel",
            "/operations/op_other%3acancel",
            "/operations/op_other%253Acancel",
            "/operations/op_other:cancel/",
            "/operations/op_other:cancel?id=op_mine",
            "/operations/op_mine/../op_other:cancel",
            "/operations/op_mine/..%2Fop_other:cancel",
            "/operations/op_mine%2F..%2Fop_other:cancel",
            "/operations/op_mine/%2e%2e/op_other:cancel",
            "/operations/op_other;x=1:cancel",
            "/operations/op_other:Cancel",
            "/operations/op_mine/op_other:cancel",
            "/operations:cancel?name=op_other",
            "/operations/op_other/cancel",
            "/../operations/op_other:cancel",
            "/x/../operations/op_other:cancel",
            "/Operations/op_other:cancel",
            "/operations/op_other%3Acancel%3F",
        ] {
            assert!(check("POST", path).is_err(), "{path} was allowed");
        }
        assert!(check("PUT", "/operations/op_other:cancel").is_err());
    }

    #[test]
    fn reads_and_other_origins() {
        assert_eq!(check("GET", "/operations/op_other"), Ok(()));
        assert_eq!(check("POST", "/operations/op_other:wait"), Ok(()));
        assert!(
            guard("GET", "http://127.0.0.1:10/v1/operations", BASE, &owned)
                .unwrap_err()
                .contains("origin")
        );
    }

    #[test]
    fn cancel_detection() {
        assert!(is_cancel("post", "/operations/x%253Acancel"));
        assert!(is_cancel("POST", "/operations/x:Cancel/"));
        assert!(!is_cancel("GET", "/operations/x:cancel"));
        assert!(!is_cancel("POST", "/operations/x:wait?note=cancel"));
    }
}
