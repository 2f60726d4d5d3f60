//! No panic on hostile input to the tool itself: mutated (valid) case
//! files through load, plan and the dry-run printer, and the parsers of
//! the real-target options on arbitrary strings. Complements the
//! arbitrary-text fuzzing in `tests/cases.rs` and `tests/profile`.

use proptest::prelude::*;

use opconform::run::{self, FixtureVars, Partition, Target};

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
        let _ = run::parse_retry_after(&text, std::time::SystemTime::now());
        let _ = opconform::profile::Rate::parse(&text);
        let mut fixtures = std::collections::BTreeMap::new();
        fixtures.insert("op".to_string(), FixtureVars::new("op_mine", "RUNNING"));
        let url = format!("http://127.0.0.1:9/v1/operations/{text}");
        let verdict = run::cancel_guard(&method, &url, "http://127.0.0.1:9/v1", &fixtures);
        // Whatever the spelling, a cancel the guard lets through names the fixture
        // (or a fabricated opconform id) once decoded.
        if verdict.is_ok() && run::is_cancel(&method, &format!("/operations/{text}")) {
            let lower = text.to_ascii_lowercase();
            prop_assert!(
                lower.contains("mine") || lower.contains("opconform") || url::Url::parse(&url).is_err()
                    || text.chars().count() > 53,
                "guard let {method} {url} through"
            );
        }
    }
}
