//! No panic on hostile input to the tool itself: mutated (valid) case
//! files through load, plan and the dry-run printer, and the parsers of
//! the real-target options on arbitrary strings. Complements the
//! arbitrary-text fuzzing in `tests/cases.rs` and `tests/profile`. And the
//! cancel guard against generated spellings of `:cancel`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use opconform::run::{self, FixtureVars, Partition};
use opconform::target::Target;

/// The cancel guard's question: is `id` one of the case's fixtures?
fn owns(fixtures: &std::collections::BTreeMap<String, FixtureVars>, id: &str) -> bool {
    fixtures.values().any(|f| id == f.id || id == f.bare_id)
}

/// Bundled case files, to mutate.
const SEEDS: [&str; 3] = [
    "cases/lifecycle.toml",
    "cases/ids.toml",
    "cases/lengths.toml",
];

fn junk() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 1..6),
        Just(b"{{".to_vec()),
        Just(b"}}".to_vec()),
        Just(b"{% for x in y %}".to_vec()),
        Just(b"%3A".to_vec()),
        Just(b"\n[[case.step]]\n".to_vec()),
        Just(b"\n[[case]]\n".to_vec()),
        Just(b"parallel = 4294967295\n".to_vec()),
        Just(b"lengths = [0, 99999999]\n".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\n".to_vec()),
    ]
}

fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8, Vec<u8>)]) -> Vec<u8> {
    for (at, kind, junk) in edits {
        let len = bytes.len();
        let i = if len == 0 { 0 } else { at % len };
        match kind % 3 {
            0 if len > 0 => bytes[i] ^= 0x20,
            1 => {
                bytes.splice(i..i, junk.iter().copied());
            }
            _ => {
                let end = (i + junk.len()).min(len);
                bytes.drain(i..end);
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_case_files_load_plan_and_print_without_panicking(
        seed in 0..SEEDS.len(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), junk()), 1..5),
    ) {
        let original = std::fs::read(SEEDS[seed]).expect("bundled case file");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("mutated.toml");
        std::fs::write(&path, mutate(original, &edits)).expect("write");
        match run::load_cases(&[path]) {
            Ok(planned) => {
                let text = run::plan_text(&planned, &Target::default());
                prop_assert!(text.starts_with("plan: "));
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in &errors {
                    prop_assert!(!e.to_string().is_empty());
                }
            }
        }
    }

    #[test]
    fn option_parsers_never_panic(text in "(?s).{0,64}", method in "[A-Za-z]{0,8}") {
        let _ = text.parse::<Partition>();
        let _ = opconform::target::parse_retry_after(&text, std::time::SystemTime::now());
        let _ = opconform::profile::Rate::parse(&text);
        let mut fixtures = std::collections::BTreeMap::new();
        fixtures.insert("op".to_string(), FixtureVars::new("op_mine", "RUNNING"));
        let url = format!("http://127.0.0.1:9/v1/operations/{text}");
        let verdict = opconform::target::cancel_guard(&method, &url, "http://127.0.0.1:9/v1", &|id| owns(&fixtures, id));
        // Whatever the spelling, a cancel the guard lets through names the fixture
        // (or a fabricated opconform id) once decoded.
        if verdict.is_ok() && opconform::target::is_cancel(&method, &format!("/operations/{text}")) {
            let lower = text.to_ascii_lowercase();
            prop_assert!(
                lower.contains("mine") || lower.contains("opconform") || url::Url::parse(&url).is_err()
                    || text.chars().count() > 53,
                "guard let {method} {url} through"
            );
        }
    }
}

// ------------------------------------------------------------ cancel guard

const BASE: &str = "http://127.0.0.1:9/v1";

/// A generated cancel request: its path below the base URL, and the id a
/// lenient server (or proxy) would act on once it has decoded the path,
/// resolved dot segments and dropped `;params` and the query.
#[derive(Debug, Clone)]
struct CancelPath {
    method: &'static str,
    path: String,
    target: String,
    /// No dot segments, decoys or `;params`: the one shape the guard accepts.
    plain: bool,
}

/// The guard's rule (README, "Which operations opconform touches"): the
/// case's fixture (`op_mine`, or its bare id `mine`), or an id that cannot
/// name a real operation (containing `opconform`, empty, over 53 chars).
fn may_be_cancelled(id: &str) -> bool {
    id == "op_mine"
        || id == "mine"
        || id.to_ascii_lowercase().contains("opconform")
        || id.is_empty()
        || id.chars().count() > 53
}

fn target_id() -> impl Strategy<Value = String> {
    prop_oneof![
        // The fixture and near misses of it.
        Just("op_mine".to_string()),
        Just("mine".to_string()),
        Just("op_other".to_string()),
        Just("op_mine2".to_string()),
        Just("op_MINE".to_string()),
        Just("xop_mine".to_string()),
        Just("op_min".to_string()),
        "op_[a-z0-9_]{1,12}",
        // Marked as fabricated.
        Just("op_opconform_x".to_string()),
        Just("OPCONFORM".to_string()),
        "op_[a-z]{0,5}opconform[a-z]{0,5}",
        // Around the 53-character limit (51 to 63 characters).
        "op_[a-z]{48,60}",
        Just(String::new()),
    ]
}

/// `id` with some characters percent-encoded, once or twice (a lenient
/// server decodes them back).
fn spell_id(id: String) -> impl Strategy<Value = String> {
    let len = id.len();
    (0..=len, 0u8..3).prop_map(move |(at, how)| {
        if at == len || how == 0 {
            return id.clone();
        }
        let (head, tail) = id.split_at(at);
        let mut chars = tail.chars();
        let c = chars.next().expect("a character");
        let enc = format!("%{:02X}", c as u32);
        let enc = if how == 1 {
            enc
        } else {
            enc.replacen('%', "%25", 1)
        };
        format!("{head}{enc}{}", chars.as_str())
    })
}

fn cancel_path() -> impl Strategy<Value = CancelPath> {
    let decoy = prop_oneof![Just("op_mine"), Just("op_other"), Just("op_opconform_d")];
    let dots = prop_oneof![
        Just("/../"),
        Just("/%2e%2e/"),
        Just("%2F..%2F"),
        Just("/..%2F"),
        Just("/.%2E/")
    ];
    let mid = prop_oneof![
        3 => Just(String::new()),
        1 => Just("./".to_string()),
        1 => Just("/".to_string()),
        2 => (decoy.clone(), dots).prop_map(|(d, dots)| format!("{d}{dots}")),
        1 => decoy.prop_map(|d| format!("{d}/")),
    ];
    let pre = prop_oneof![
        3 => Just(""),
        1 => Just("./"),
        1 => Just("x/../"),
        1 => Just("%2e/"),
        1 => Just("../"),
    ];
    let colon = prop_oneof![
        Just(":"),
        Just("%3A"),
        Just("%3a"),
        Just("%253A"),
        Just("%253a"),
        Just("%25253A")
    ];
    let verb = prop_oneof![
        Just("cancel"),
        Just("CANCEL"),
        Just("Cancel"),
        Just("%63ancel"),
        Just("c%61ncel")
    ];
    let params = prop_oneof![3 => Just(""), 1 => Just(";x=1"), 1 => Just(";id=op_mine")];
    let after = prop_oneof![
        3 => Just(""),
        1 => Just("/"),
        1 => Just("//"),
        1 => Just(";v=1"),
    ];
    let query = prop_oneof![
        Just(""),
        Just("?id=op_mine"),
        Just("?name=op_other"),
        Just("?x=opconform"),
        Just("#op_mine")
    ];
    let method = prop_oneof![
        4 => Just("POST"),
        1 => Just("post"),
        1 => Just("PUT"),
        1 => Just("DELETE"),
        1 => Just("PATCH")
    ];
    target_id()
        .prop_flat_map(|id| (Just(id.clone()), spell_id(id)))
        .prop_flat_map(move |(id, spelled)| {
            (
                Just(id),
                Just(spelled),
                (pre.clone(), mid.clone(), params.clone()),
                (colon.clone(), verb.clone(), after.clone(), query.clone()),
                method.clone(),
            )
        })
        .prop_map(
            |(target, spelled, (pre, mid, params), (colon, verb, after, query), method)| {
                let plain = pre.is_empty()
                    && mid.is_empty()
                    && params.is_empty()
                    && (after.is_empty() || after.starts_with('/'));
                CancelPath {
                    method,
                    path: format!(
                        "/{pre}operations/{mid}{spelled}{params}{colon}{verb}{after}{query}"
                    ),
                    target,
                    plain,
                }
            },
        )
}

#[test]
fn generated_cancels_never_reach_an_operation_that_is_not_the_cases() {
    let mut fixtures = BTreeMap::new();
    fixtures.insert(
        "op".to_string(),
        run::FixtureVars::new("op_mine", "RUNNING"),
    );
    let config = Config {
        cases: 2048,
        failure_persistence: None,
        ..Config::default()
    };
    // A fixed seed: the coverage counts below are the same on every run.
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let (allowed, refused, foreign_refused) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    let outcome = runner.run(&cancel_path(), |c| {
        let url = format!("{BASE}{}", c.path);
        // Every generated request is one the guard must judge as a cancel.
        prop_assert!(
            opconform::target::is_cancel(c.method, &c.path),
            "{} {} is not seen as a cancel",
            c.method,
            c.path
        );
        let verdict =
            opconform::target::cancel_guard(c.method, &url, BASE, &|id| owns(&fixtures, id));
        match &verdict {
            Ok(()) => {
                allowed.fetch_add(1, Ordering::Relaxed);
                // The property: a cancel the guard lets through acts on the
                // case's own operation or an id no real operation has.
                prop_assert!(
                    may_be_cancelled(&c.target),
                    "the guard let {} {url} through: it cancels `{}`",
                    c.method,
                    c.target
                );
            }
            Err(why) => {
                refused.fetch_add(1, Ordering::Relaxed);
                prop_assert!(why.starts_with("refusing to send "), "{why}");
            }
        }
        if !may_be_cancelled(&c.target) && verdict.is_err() {
            foreign_refused.fetch_add(1, Ordering::Relaxed);
        }
        // And it is not a guard that refuses everything: the plain shape
        // naming an allowed id goes through, in every encoding.
        if c.plain && may_be_cancelled(&c.target) {
            prop_assert!(
                verdict.is_ok(),
                "{} {url} was refused: {verdict:?}",
                c.method
            );
        }
        Ok(())
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
    // The generator reaches both verdicts, often: the property is not vacuous.
    let (allowed, refused, foreign) = (
        allowed.into_inner(),
        refused.into_inner(),
        foreign_refused.into_inner(),
    );
    assert!(
        allowed >= 300,
        "only {allowed} of 2048 cancels were allowed"
    );
    assert!(
        refused >= 300,
        "only {refused} of 2048 cancels were refused"
    );
    assert!(
        foreign >= 200,
        "only {foreign} cancels of a foreign id were refused"
    );
}
