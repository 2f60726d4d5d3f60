//! A counterexample as a ready-to-use case file (`--emit-case FILE`): TOML
//! in the format of `crate::case::model`, fixtures instead of literal ids,
//! statuses as explicit strict/lenient sets taken from the oracle or model.

use crate::contract::id;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::contract::find;

use super::executor::{Executor, KEY_NONCE_LEN, nonce_offset};
use super::input::{AuthSpec, ContextSpec, FuzzRequest, IdSpec, STALE_TAG, Slot, Verb};
use super::model::{Action, TagChoice, TraceStep};
use super::oracle::Expectation;
use super::strategies::OWNER_PLACEHOLDER;

/// A TOML string literal.
fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A template-safe value: literal `{`/`}` are kept out of minijinja.
/// A drawn idempotency key as a case file sends it: a key the session
/// marked with its nonce gets the first 8 characters of each attempt's
/// `uuid` there instead, so running the case again (the target still holds
/// the key) is no key reuse; other keys as drawn.
fn case_key(key: &str) -> String {
    match nonce_offset(key) {
        Some(at) => format!(
            "{}{{{{ uuid[:{KEY_NONCE_LEN}] }}}}{}",
            literal(&key[..at]),
            literal(&key[at + KEY_NONCE_LEN..])
        ),
        None => fresh_key(key),
    }
}

/// A short key without the session's nonce, made fresh the same way: its
/// first run of ASCII letters and digits (up to the nonce's length) becomes
/// as many characters of each attempt's `uuid`, so its length and its other
/// characters stay as drawn. A key with no such run (an encoding probe) is
/// kept as it is.
fn fresh_key(key: &str) -> String {
    let Some(start) = key.find(|c: char| c.is_ascii_alphanumeric()) else {
        return literal(key);
    };
    let run = key[start..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .take(KEY_NONCE_LEN)
        .count();
    format!(
        "{}{{{{ uuid[:{run}] }}}}{}",
        literal(&key[..start]),
        literal(&key[start + run..])
    )
}

fn literal(s: &str) -> String {
    if s.contains('{') || s.contains('}') {
        format!("{{% raw %}}{s}{{% endraw %}}")
    } else {
        s.to_string()
    }
}

fn inline_table(map: &BTreeMap<String, String>) -> String {
    let parts: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("{} = {}", q(k), q(v)))
        .collect();
    format!("{{ {} }}", parts.join(", "))
}

fn list(set: &[u16]) -> String {
    let v: Vec<String> = set.iter().map(u16::to_string).collect();
    format!("[{}]", v.join(", "))
}

fn status_line(strict: &[u16], lenient: &[u16]) -> String {
    format!(
        "expect.status = {{ strict = {}, lenient = {} }}\n",
        list(strict),
        list(lenient)
    )
}

fn body_line(strict: &[u16], lenient: &[u16], verb_is_list: bool) -> String {
    let all: BTreeSet<u16> = strict.iter().chain(lenient).copied().collect();
    if all.iter().all(|s| (200..300).contains(s)) {
        let kind = if verb_is_list {
            "operation_list"
        } else {
            "operation"
        };
        format!("expect.body = {}\n", q(kind))
    } else if all.iter().all(|s| (400..500).contains(s)) {
        "expect.body = \"error\"\n".to_string()
    } else {
        String::new()
    }
}

/// A catalogued invariant for the `invariants` list.
fn catalogued(id: &str) -> &str {
    if find(id).is_some() {
        id
    } else {
        id::ERR_ENVELOPE
    }
}

/// The first line of every emitted file.
const SCHEMA_LINE: &str = "#:schema ../schemas/case.schema.json\n";

/// The name of a session's `ordinal`-th case (1-based): `base_seed`, then
/// `base_seed_2`, `base_seed_3`, ... so that several cases in one file
/// have names of their own (the loader refuses duplicates).
fn case_name(base: &str, seed: u64, ordinal: usize) -> String {
    if ordinal <= 1 {
        format!("{base}_{seed}")
    } else {
        format!("{base}_{seed}_{ordinal}")
    }
}

/// One case file holding every counterexample's case (`files`: each as
/// [`stateless`] or [`stateful`] made it, with its own name): the schema
/// line once, then each file's comments and case in turn. A single file
/// comes back as it is.
pub fn combined(files: &[&str]) -> String {
    let mut out = String::from(SCHEMA_LINE);
    for (i, f) in files.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(f.strip_prefix(SCHEMA_LINE).unwrap_or(f));
    }
    out
}

/// The text in place of a case for a failure no case can replay (`why`),
/// shaped like a case file with no case in it.
pub fn no_case(what: &str, why: &str) -> String {
    format!("{SCHEMA_LINE}# Not a case: {what}.\n# {why}\n")
}

fn header(seed: u64, what: &str, reproducers: &[String]) -> String {
    let mut out = String::from(SCHEMA_LINE);
    let _ = writeln!(out, "# Found by `opconform fuzz --seed {seed}`: {what}.");
    for r in reproducers {
        out.push_str("#\n# Reproduce:\n");
        for line in r.lines() {
            let _ = writeln!(out, "#   {line}");
        }
    }
    out.push('\n');
    out
}

/// A case file's header and the start of its one case, named after
/// `prefix`, `seed` and `ordinal`.
fn begin(prefix: &str, seed: u64, ordinal: usize, what: &str, reproducers: &[String]) -> String {
    let mut out = header(seed, what, reproducers);
    out.push_str("[[case]]\n");
    let _ = writeln!(out, "name = {}", q(&case_name(prefix, seed, ordinal)));
    out
}

/// The case file for one stateless counterexample.
pub fn stateless(
    req: &FuzzRequest,
    exp: &Expectation,
    exec: &Executor,
    seed: u64,
    ordinal: usize,
    what: &str,
    reproducers: &[String],
) -> String {
    let mut out = begin("fuzz_seed", seed, ordinal, what, reproducers);
    let _ = writeln!(
        out,
        "description = {}",
        q(&format!("Shrunk fuzz counterexample: {what}."))
    );
    let slot = req.slot();
    if let Some(slot) = slot {
        let _ = writeln!(out, "fixture = {}", q(slot.fixture_state().as_str()));
    }
    let owner = req.query.iter().any(|(_, v)| v == OWNER_PLACEHOLDER);
    if owner {
        // The owner is that of the case's fixtures: a list filtered by it
        // needs one (a case with an owner and no fixture does not load).
        if slot.is_none() {
            out.push_str("fixture = \"succeeded\"\n");
        }
        out.push_str("owner = \"install\"\n");
    }
    let etag = req.verb == Verb::Cancel && req.needs_etag() && slot.is_some();
    if etag {
        out.push_str("requires = [\"etag\"]\n");
    }
    let _ = writeln!(out, "invariants = [{}]", q(catalogued(exp.invariant)));
    if etag {
        out.push_str("\n[[case.step]]\nname = \"read the current entity-tag\"\n");
        out.push_str("request = { method = \"GET\", path = \"/operations/{{ op.id }}\" }\n");
        out.push_str("capture.etag = { header = \"etag\" }\n");
    }
    out.push_str("\n[[case.step]]\nname = \"the generated request\"\n");
    let mut path = String::from("/operations");
    if req.verb != Verb::List {
        path.push('/');
        match &req.id {
            IdSpec::Fixture { bare: true, .. } => path.push_str("{{ op.bare_id }}"),
            IdSpec::Fixture { bare: false, .. } => path.push_str("{{ op.id }}"),
            IdSpec::Literal(_) | IdSpec::RawSegment(_) => {
                let rendered = exec.render(req, None).url;
                let seg = rendered
                    .split("/operations/")
                    .nth(1)
                    .unwrap_or_default()
                    .split(['?'])
                    .next()
                    .unwrap_or_default()
                    .to_string();
                path = format!("/operations/{seg}");
            }
        }
        if !matches!(req.id, IdSpec::Literal(_) | IdSpec::RawSegment(_)) {
            let colon = if req.colon_encoded { "%3A" } else { ":" };
            match req.verb {
                Verb::Cancel => path.push_str(&format!("{colon}cancel")),
                Verb::Wait => path.push_str(&format!("{colon}wait")),
                _ => {}
            }
        }
    }
    let mut fields = vec![
        format!("method = {}", q(req.method.as_str())),
        format!("path = {}", q(&path)),
    ];
    let query: BTreeMap<String, String> = req
        .query
        .iter()
        .map(|(k, v)| {
            let v = if v == OWNER_PLACEHOLDER {
                "{{ owner.id }}".to_string()
            } else {
                literal(v)
            };
            (k.clone(), v)
        })
        .collect();
    if !query.is_empty() {
        fields.push(format!("query = {}", inline_table(&query)));
    }
    let mut headers = BTreeMap::new();
    match &req.context {
        Some(ContextSpec::Workspace) => {
            if let Some(ws) = &exec.target().context {
                headers.insert("akua-context".to_string(), literal(ws));
            }
        }
        Some(ContextSpec::Literal(v)) => {
            headers.insert("akua-context".to_string(), literal(v));
        }
        None => {}
    }
    if req.verb == Verb::Cancel {
        if let Some(k) = &req.idempotency_key {
            headers.insert("idempotency-key".into(), case_key(k));
        }
        if let Some(m) = &req.if_match {
            let current = if etag {
                "{{ capture.etag }}"
            } else {
                STALE_TAG
            };
            let v = match m {
                super::input::IfMatchSpec::Literal(v) => literal(v),
                other => super::executor::if_match_value(other, current),
            };
            headers.insert("if-match".into(), v);
        }
    }
    if !headers.is_empty() {
        fields.push(format!("headers = {}", inline_table(&headers)));
    }
    match req.auth {
        AuthSpec::Token => {}
        AuthSpec::None => fields.push("auth = \"none\"".into()),
        AuthSpec::Invalid => fields.push("auth = \"invalid\"".into()),
        AuthSpec::Malformed => fields.push("auth = \"malformed\"".into()),
    }
    let _ = writeln!(out, "request = {{ {} }}", fields.join(", "));
    if let Some(dup) = req.duplicate {
        let _ = writeln!(
            out,
            "# The fuzzer also sent a second `{}: dup` header, which case files cannot express.",
            dup.name()
        );
    }
    out.push_str(&status_line(&exp.strict, &exp.lenient_extra));
    out.push_str(&body_line(
        &exp.strict,
        &exp.lenient_extra,
        req.verb == Verb::List,
    ));
    let _ = slot.map(Slot::is_terminal);
    out
}

/// The case file for one stateful counterexample (statuses and replays;
/// state expectations of the model are noted in comments).
pub fn stateful(
    trace: &[TraceStep],
    seed: u64,
    ordinal: usize,
    what: &str,
    reproducers: &[String],
) -> String {
    let mut out = begin("fuzz_sequence_seed", seed, ordinal, what, reproducers);
    let _ = writeln!(
        out,
        "description = {}",
        q(&format!("Shrunk fuzz call sequence: {what}."))
    );
    out.push_str("fixtures = { a = \"running\", b = \"running\", t = \"succeeded\" }\n");
    out.push_str("owner = \"install\"\n");
    let needs_etag = trace
        .iter()
        .any(|s| !matches!(s.tag, TagChoice::None | TagChoice::Stale | TagChoice::Star));
    if needs_etag {
        out.push_str("requires = [\"etag\"]\n");
    }
    let last = trace
        .last()
        .map_or(id::CANCEL_202_ENVELOPE, |s| s.invariant);
    let _ = writeln!(out, "invariants = [{}]", q(catalogued(last)));
    let replayed: BTreeSet<usize> = trace.iter().filter_map(|s| s.same_body_as).collect();
    let mut current: BTreeMap<&str, String> = BTreeMap::new();
    if needs_etag {
        for f in ["a", "b", "t"] {
            let _ = write!(
                out,
                "\n[[case.step]]\nname = \"read the entity-tag of {f}\"\nrequest = {{ method = \"GET\", path = \"/operations/{{{{ {f}.id }}}}\" }}\ncapture.etag_{f} = {{ header = \"etag\" }}\n"
            );
            current.insert(f, format!("etag_{f}"));
        }
    }
    let mut keys: BTreeMap<String, String> = BTreeMap::new();
    for (i, step) in trace.iter().enumerate() {
        let f = step.fixture.unwrap_or("a");
        let _ = write!(
            out,
            "\n[[case.step]]\nname = {}\n",
            q(&format!("step {}: {:?}", i + 1, step.action))
        );
        let mut fields = Vec::new();
        match &step.action {
            Action::List => {
                fields.push("method = \"GET\"".to_string());
                fields.push("path = \"/operations\"".to_string());
                fields.push("query = { owner_type = \"install\", owner_id = \"{{ owner.id }}\", limit = \"100\" }".to_string());
            }
            Action::Get { .. } => {
                fields.push("method = \"GET\"".to_string());
                fields.push(format!("path = \"/operations/{{{{ {f}.id }}}}\""));
            }
            Action::Wait { .. } => {
                fields.push("method = \"POST\"".to_string());
                fields.push(format!("path = \"/operations/{{{{ {f}.id }}}}:wait\""));
                fields.push("query = { timeout = \"1\" }".to_string());
            }
            Action::Cancel { .. } => {
                fields.push("method = \"POST\"".to_string());
                fields.push(format!("path = \"/operations/{{{{ {f}.id }}}}:cancel\""));
                let mut headers = BTreeMap::new();
                if let Some(k) = &step.key {
                    let n = keys.len();
                    let templ = keys.entry(k.clone()).or_insert_with(|| {
                        let mut t = format!("{{{{ uuid }}}}-k{n}");
                        let shown = 36 + 2 + n.to_string().len();
                        for _ in shown..k.len() {
                            t.push('k');
                        }
                        t
                    });
                    headers.insert("idempotency-key".to_string(), templ.clone());
                }
                let cur = current.get(f).map_or_else(
                    || STALE_TAG.to_string(),
                    |c| format!("{{{{ capture.{c} }}}}"),
                );
                let tag = match step.tag {
                    TagChoice::None => None,
                    TagChoice::Current => Some(cur),
                    TagChoice::Stale => Some(STALE_TAG.to_string()),
                    TagChoice::StaleThenCurrent => Some(format!("{STALE_TAG}, {cur}")),
                    TagChoice::CurrentThenStale => Some(format!("{cur}, {STALE_TAG}")),
                    TagChoice::Star => Some("*".to_string()),
                };
                if let Some(t) = tag {
                    headers.insert("if-match".to_string(), t);
                }
                if !headers.is_empty() {
                    fields.push(format!("headers = {}", inline_table(&headers)));
                }
            }
        }
        let _ = writeln!(out, "request = {{ {} }}", fields.join(", "));
        out.push_str(&status_line(&step.strict, &step.lenient_extra));
        if let Some(j) = step.same_body_as {
            let _ = writeln!(out, "expect.same_body_as = \"body_{j}\"");
        }
        if replayed.contains(&i) {
            let _ = writeln!(out, "capture.body_{i} = {{ body = true }}");
        }
        let has_tag = step
            .exchange
            .response
            .as_ref()
            .is_some_and(|r| (200..300).contains(&r.status) && r.header("etag").is_some());
        if needs_etag && has_tag && step.fixture.is_some() && i + 1 < trace.len() {
            let name = format!("etag_{f}_{i}");
            let _ = writeln!(out, "capture.{name} = {{ header = \"etag\" }}");
            if let Some(f) = step.fixture {
                current.insert(f, name);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_keys_get_a_fresh_prefix_per_attempt() {
        assert_eq!(
            case_key("abcdefghijklmnop"),
            "{{ uuid[:8] }}ijklmnop".to_string()
        );
        assert_eq!(
            case_key(" \"abcdefgh{jklmnop\""),
            " \"{{ uuid[:8] }}{% raw %}{jklmnop\"{% endraw %}".to_string()
        );
        // Short keys carry no nonce: their first run of letters and digits
        // becomes that many characters of the uuid; a key without one is an
        // encoding probe and stays literal.
        assert_eq!(case_key("short"), "{{ uuid[:5] }}");
        assert_eq!(case_key("é-ab-1"), "é-{{ uuid[:2] }}-1");
        assert_eq!(case_key(" - "), " - ");
        // What the runner's template engine makes of it: 8 hex digits, then
        // the rest of the key, a new prefix each time.
        let env = minijinja::Environment::new();
        let render = |uuid: String| {
            env.render_str(&case_key("abcdefghijklmnop"), minijinja::context! { uuid })
                .expect("renders")
        };
        let a = render(uuid::Uuid::new_v4().to_string());
        let b = render(uuid::Uuid::new_v4().to_string());
        assert_eq!(a.len(), 16);
        assert!(a.ends_with("ijklmnop") && a[..8].bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn several_cases_share_one_file_under_names_of_their_own() {
        assert_eq!(case_name("fuzz_seed", 7, 1), "fuzz_seed_7");
        assert_eq!(case_name("fuzz_seed", 7, 3), "fuzz_seed_7_3");
        let one = format!("{SCHEMA_LINE}# a\n\n[[case]]\nname = \"x\"\n");
        let two = format!("{SCHEMA_LINE}# b\n\n[[case]]\nname = \"y\"\n");
        assert_eq!(combined(&[&one]), one);
        let both = combined(&[&one, &two]);
        assert_eq!(both.matches("#:schema").count(), 1);
        assert!(both.starts_with(&one) && both.ends_with("# b\n\n[[case]]\nname = \"y\"\n"));
        assert!(no_case("w", "why").starts_with(SCHEMA_LINE));
    }

    #[test]
    fn raw_wraps_braces_and_sets_render() {
        assert_eq!(literal("a{b"), "{% raw %}a{b{% endraw %}");
        assert_eq!(literal("ab"), "ab");
        assert_eq!(
            status_line(&[404], &[403]),
            "expect.status = { strict = [404], lenient = [403] }\n"
        );
        assert_eq!(
            body_line(&[404], &[403], false),
            "expect.body = \"error\"\n"
        );
        assert_eq!(
            body_line(&[202], &[200], false),
            "expect.body = \"operation\"\n"
        );
        assert_eq!(body_line(&[202], &[409], false), "");
        assert_eq!(catalogued("FUZZ-METHOD"), "ERR-ENVELOPE");
    }
}
