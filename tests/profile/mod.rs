//! `opconform.toml`: the malformed-file corpus, the documented example, the
//! JSON Schema, discovery, profile selection, tokens, waivers, and a fuzz
//! test that the loader never panics and always points inside the file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use opconform::case::FixtureState;
use opconform::contract::{Level, Mode};
use opconform::profile::{
    Config, ConfigError, Date, OPS_KEYS, PROFILE_KEYS, TOP_LEVEL_KEYS, WAIVER_KEYS, WaiverStatus,
    render_errors,
};
use opconform::report::Format;
use proptest::prelude::*;
use serde_json::Value as Json;

use crate::support::{crate_dir, toml_files};

fn corpus_dir() -> PathBuf {
    crate_dir().join("tests/data/config")
}

fn example_path() -> PathBuf {
    crate_dir().join("examples/opconform.toml")
}

fn date(s: &str) -> Date {
    s.parse().expect("test date")
}

/// One line of a `.expect` file: `LINE:COL message fragment [| help fragment]`.
struct Expected {
    line: u32,
    column: u32,
    message: String,
    help: Option<String>,
}

fn parse_expect(text: &str) -> Vec<Expected> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (pos, rest) = l.split_once(' ').expect("LINE:COL then a fragment");
            let (line, column) = pos.split_once(':').expect("LINE:COL");
            let (message, help) = match rest.split_once(" | ") {
                Some((m, h)) => (m.to_string(), Some(h.to_string())),
                None => (rest.to_string(), None),
            };
            Expected {
                line: line.parse().expect("line number"),
                column: column.parse().expect("column number"),
                message,
                help,
            }
        })
        .collect()
}

#[test]
fn malformed_corpus_reports_every_error_at_its_place() {
    let files = toml_files(&corpus_dir());
    assert!(files.len() >= 10, "corpus has only {} files", files.len());
    for file in files {
        let expect_file = file.with_extension("expect");
        let expected = parse_expect(
            &std::fs::read_to_string(&expect_file)
                .unwrap_or_else(|e| panic!("{}: {e}", expect_file.display())),
        );
        assert!(
            !expected.is_empty(),
            "{} expects nothing",
            expect_file.display()
        );
        let errors = match Config::load(&file) {
            Ok(_) => panic!("{} loaded without errors", file.display()),
            Err(errors) => errors,
        };
        let shown = render_errors(&errors);
        assert_eq!(
            errors.len(),
            expected.len(),
            "{}: wrong number of errors:\n{shown}",
            file.display()
        );
        for (err, exp) in errors.iter().zip(&expected) {
            let ctx = format!("{}:\n{err}", file.display());
            assert_eq!(
                (err.line, err.column),
                (Some(exp.line), Some(exp.column)),
                "{ctx}"
            );
            assert!(
                err.message.contains(&exp.message),
                "{ctx}\nwanted: {}",
                exp.message
            );
            if let Some(help) = &exp.help {
                let got = err.help.as_deref().unwrap_or_default();
                assert!(got.contains(help.as_str()), "{ctx}\nwanted help: {help}");
            }
            assert_eq!(err.file, file);
            // The rendered diagnostic names the place and underlines it.
            let text = err.to_string();
            assert!(text.contains(&format!("{}:{}:{}", file.display(), exp.line, exp.column)));
            assert!(text.contains(&format!("{} | ", exp.line)), "{text}");
            assert!(text.contains('^'), "{text}");
        }
    }
}

#[test]
fn literal_tokens_are_never_echoed() {
    for (name, secrets) in [
        (
            "04-literal-token.toml",
            &["DO_NOT_LEAK_1", "DO_NOT_LEAK_2"][..],
        ),
        ("06-bad-urls.toml", &["hunter2"][..]),
        ("16-token-in-env-key.toml", &["DO_NOT_LEAK_3"][..]),
    ] {
        let path = corpus_dir().join(name);
        let raw = std::fs::read_to_string(&path).unwrap();
        for s in secrets {
            assert!(raw.contains(s), "{name} should contain the secret {s}");
        }
        let errors = Config::load(&path).unwrap_err();
        let shown = format!("{}\n{errors:?}", render_errors(&errors));
        for s in secrets {
            assert!(!shown.contains(s), "{name} leaked {s}:\n{shown}");
        }
        assert!(shown.contains("[REDACTED]"), "{shown}");
    }
}

#[test]
fn a_broken_line_holding_a_token_is_masked() {
    let text = "[profile.a]\ntoken = \"sk_live_SYNTAX_LEAK\n";
    let errors = Config::parse(Path::new("t.toml"), text).unwrap_err();
    assert_eq!(errors.len(), 1);
    let shown = render_errors(&errors);
    assert!(shown.contains("parse TOML"), "{shown}");
    assert!(!shown.contains("SYNTAX_LEAK"), "{shown}");
    assert!(shown.contains("token = [REDACTED]"), "{shown}");
}

#[test]
fn the_documented_example_loads_with_every_setting() {
    let config = Config::load(example_path()).unwrap_or_else(|e| panic!("{}", render_errors(&e)));
    let base = example_path().parent().unwrap().to_path_buf();
    assert_eq!(config.default_profile(), Some("local"));
    let names: Vec<&str> = config.profiles().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["local", "staging"]);

    let local = config.profile(None).unwrap();
    assert_eq!(local.name, "local");
    assert_eq!(
        local.target.as_ref().unwrap().as_str(),
        "http://127.0.0.1:8080/v1"
    );
    assert_eq!(local.mode(), Some(Mode::Strict));
    assert_eq!(local.wait_for_target, Some(Duration::from_secs(10)));
    assert_eq!(local.rate, None);

    let s = config.profile(Some("staging")).unwrap();
    assert_eq!(
        s.target.as_ref().unwrap().host_str(),
        Some("staging.example.com")
    );
    assert_eq!(s.token_env.as_deref(), Some("STAGING_AKUA_TOKEN"));
    assert_eq!(
        s.foreign_token_env.as_deref(),
        Some("STAGING_AKUA_FOREIGN_TOKEN")
    );
    assert_eq!(s.context.as_deref(), Some("ws_j572abc123def456"));
    assert_eq!(
        s.fixtures.as_ref().unwrap().path(),
        "/__fixtures/operations"
    );
    assert_eq!(
        s.ops.get(&FixtureState::Running).map(String::as_str),
        Some("op_0123456789abcdef")
    );
    assert_eq!(
        s.ops.get(&FixtureState::Succeeded).map(String::as_str),
        Some("op_fedcba9876543210")
    );
    assert_eq!(s.ops.len(), 2);
    assert_eq!(s.mode(), Some(Mode::Lenient));
    assert_eq!(s.request_timeout, Some(Duration::from_secs(30)));
    assert_eq!(s.deadline, Some(Duration::from_secs(600)));
    assert_eq!(s.settle_deadline, Some(Duration::from_secs(60)));
    assert_eq!(s.rate.unwrap().per_second(), 5.0);
    assert_eq!(s.concurrency.map(|c| c.get()), Some(4));
    assert_eq!(
        s.ca_cert.as_deref(),
        Some(base.join("certs/staging-ca.pem").as_path())
    );
    assert_eq!(s.insecure, Some(false));
    assert_eq!(s.cases.as_deref(), Some(&[base.join("cases/")][..]));
    assert_eq!(
        s.report.as_deref(),
        Some(&[Format::Junit, Format::Html][..])
    );
    assert_eq!(
        s.out.as_deref(),
        Some(base.join("reports/staging").as_path())
    );
    assert_eq!(s.fail_on, Some(Level::Should));

    // The top-level waiver applies to both profiles; staging adds its own.
    let waived: Vec<&str> = s.waivers.iter().map(|w| w.invariant.as_str()).collect();
    assert_eq!(waived, ["LIST-NEWEST-FIRST", "OP-ETAG-HEADER"]);
    assert_eq!(local.waivers.len(), 1);
    let etag = s.waiver("OP-ETAG-HEADER").unwrap();
    assert_eq!(etag.expires, date("2027-01-31"));
    assert_eq!(etag.reason, "ETag support ships in 2027.1 (JIRA-123)");
    assert!(
        etag.defined_at
            .as_deref()
            .unwrap()
            .ends_with("opconform.toml:65:1"),
        "{:?}",
        etag.defined_at
    );
}

#[test]
fn waivers_are_active_through_their_expiry_day_then_fail() {
    let config = Config::load(example_path()).unwrap();
    let s = config.profile(Some("staging")).unwrap();
    let etag = s.waiver("OP-ETAG-HEADER").unwrap();
    assert_eq!(etag.status(date("2026-06-01")), WaiverStatus::Active);
    assert_eq!(etag.status(date("2027-01-31")), WaiverStatus::Active);
    assert_eq!(etag.status(date("2027-02-01")), WaiverStatus::Expired);
    assert!(
        etag.expired_message()
            .starts_with("waiver for OP-ETAG-HEADER expired on 2027-01-31")
    );
    assert!(s.waiver("LIST-LIMIT").is_none());
}

#[test]
fn a_profile_waiver_replaces_the_top_level_one() {
    let text = r#"
[[waiver]]
invariant = "LIST-LIMIT"
reason = "global"
expires = 2026-01-01

[[waiver]]
invariant = "LIST-SHAPE"
reason = "global"
expires = 2026-01-01

[profile.a]
waiver = [{ invariant = "LIST-LIMIT", reason = "longer here", expires = 2027-01-01 }]

[profile.b]
"#;
    let config = Config::parse(Path::new("c.toml"), text).unwrap();
    let a = config.profile(Some("a")).unwrap();
    let got: Vec<(&str, &str)> = a
        .waivers
        .iter()
        .map(|w| (w.invariant.as_str(), w.reason.as_str()))
        .collect();
    assert_eq!(
        got,
        [("LIST-SHAPE", "global"), ("LIST-LIMIT", "longer here")]
    );
    assert_eq!(config.profile(Some("b")).unwrap().waivers.len(), 2);
    assert_eq!(config.waivers().len(), 2);
}

#[test]
fn profile_selection_and_did_you_mean() {
    let text = "[profile.staging]\nstrict = true\n[profile.production]\nstrict = false\n";
    let config = Config::parse(Path::new("opconform.toml"), text).unwrap();
    // No --profile and no default_profile: nothing from the file applies.
    let none = config.profile(None).unwrap();
    assert_eq!((none.name.as_str(), none.strict), ("", None));
    assert_eq!(
        config.profile(Some("production")).unwrap().strict,
        Some(false)
    );

    let err = config.profile(Some("prod")).unwrap_err();
    assert_eq!(err.message, "unknown profile `prod`");
    assert_eq!(
        err.help.as_deref(),
        Some("did you mean `production`? available profiles: staging, production")
    );
    assert_eq!(err.file, Path::new("opconform.toml"));
    let err = config.profile(Some("qa")).unwrap_err();
    assert_eq!(
        err.help.as_deref(),
        Some("available profiles: staging, production")
    );
}

#[test]
fn tokens_come_from_the_named_variables() {
    let config = Config::load(example_path()).unwrap();
    let s = config.profile(Some("staging")).unwrap();
    let env: HashMap<&str, &str> = [
        ("STAGING_AKUA_TOKEN", "tok_main_123"),
        ("STAGING_AKUA_FOREIGN_TOKEN", "tok_foreign_456"),
    ]
    .into();
    let lookup = |name: &str| env.get(name).map(|v| v.to_string());
    let tokens = s.resolve_tokens(&lookup).unwrap();
    assert_eq!(tokens.token(), Some("tok_main_123"));
    assert_eq!(tokens.foreign_token(), Some("tok_foreign_456"));
    assert!(!format!("{tokens:?}").contains("tok_"));
    assert_eq!(
        tokens.redactor().redact("Bearer tok_main_123"),
        "Bearer [REDACTED]"
    );

    // Missing foreign token: the error names the variable and points at it.
    let only_main = |name: &str| (name == "STAGING_AKUA_TOKEN").then(|| "t".to_string());
    let err = s.resolve_tokens(&only_main).unwrap_err();
    assert_eq!(
        err.message,
        "read foreign token: environment variable `STAGING_AKUA_FOREIGN_TOKEN` is not set"
    );
    assert_eq!((err.line, err.column), (Some(36), Some(21)));
    assert_eq!(
        err.toml_path.as_deref(),
        Some("profile.staging.foreign_token_env")
    );
    assert!(
        err.to_string()
            .contains("export STAGING_AKUA_FOREIGN_TOKEN=")
    );
}

#[test]
fn discovery_prefers_the_explicit_file_then_the_local_one() {
    let dir = tempfile::tempdir().unwrap();
    assert!(Config::discover_in(dir.path(), None).unwrap().is_none());

    let errs = Config::discover_in(dir.path(), Some(Path::new("nope.toml"))).unwrap_err();
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].message.starts_with("read config file: "),
        "{}",
        errs[0]
    );
    assert_eq!(
        errs[0].help.as_deref(),
        Some("check the path given to --config")
    );
    assert_eq!(errs[0].line, None);

    std::fs::write(
        dir.path().join("opconform.toml"),
        "default_profile = \"a\"\n[profile.a]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("other.toml"), "[profile.b]\n").unwrap();
    let (path, config) = Config::discover_in(dir.path(), None).unwrap().unwrap();
    assert_eq!(path, dir.path().join("opconform.toml"));
    assert_eq!(config.profile(None).unwrap().name, "a");
    let (path, config) = Config::discover_in(dir.path(), Some(Path::new("other.toml")))
        .unwrap()
        .unwrap();
    assert_eq!(path, dir.path().join("other.toml"));
    assert_eq!(config.profiles()[0].name, "b");

    // A broken local file is an error, not "no config".
    std::fs::write(dir.path().join("opconform.toml"), "[profile.a\n").unwrap();
    let errs = Config::discover_in(dir.path(), None).unwrap_err();
    assert_eq!(errs[0].line, Some(1));

    // A folder named like the config file is not a config file.
    let nested = dir.path().join("nested");
    std::fs::create_dir_all(nested.join("opconform.toml")).unwrap();
    assert!(Config::discover_in(&nested, None).unwrap().is_none());
    assert!(Config::discover_in(&nested, Some(Path::new("opconform.toml"))).is_err());
}

#[test]
fn oversized_files_are_rejected_before_parsing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.toml");
    let line = "# padding padding padding padding padding padding padding\n";
    let big = line.repeat((opconform::profile::MAX_CONFIG_BYTES as usize / line.len()) + 2);
    std::fs::write(&path, big).unwrap();
    let errs = Config::load(&path).unwrap_err();
    assert!(errs[0].message.contains("larger than"), "{}", errs[0]);
}

/// TOML to JSON the way editors feed TOML to JSON Schema: dates as strings.
fn toml_to_json(v: &toml::Value) -> Json {
    match v {
        toml::Value::String(s) => Json::String(s.clone()),
        toml::Value::Integer(i) => Json::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        toml::Value::Boolean(b) => Json::Bool(*b),
        toml::Value::Datetime(d) => Json::String(d.to_string()),
        toml::Value::Array(a) => Json::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Json::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

fn schema() -> Json {
    let text = std::fs::read_to_string(crate_dir().join("schemas/config.schema.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn validator() -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema())
        .unwrap()
}

fn as_json(text: &str) -> Json {
    toml_to_json(&toml::Value::Table(toml::from_str(text).unwrap()))
}

#[test]
fn the_schema_accepts_the_example_and_rejects_what_the_loader_rejects() {
    let v = validator();
    let example = std::fs::read_to_string(example_path()).unwrap();
    let doc = as_json(&example);
    let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");

    for (bad, why) in [
        ("[profile.a]\nrat = \"5/s\"\n", "unknown key"),
        ("[profile.a]\ntoken = \"sk\"\n", "literal token"),
        ("[profile.a]\nrate = \"fast\"\n", "bad rate"),
        ("[profile.a]\ntarget = \"ftp://x\"\n", "bad scheme"),
        ("[profile.a]\ndeadline_secs = 0\n", "zero timeout"),
        ("[profile.a]\nconcurrency = 0\n", "zero concurrency"),
        ("[profile.a]\ntoken_env = \"has space\"\n", "bad env name"),
        ("[profile.a]\nfail_on = \"maybe\"\n", "bad fail_on"),
        (
            "[[waiver]]\ninvariant = \"LIST-LIMIT\"\nreason = \"r\"\n",
            "missing expires",
        ),
        (
            "[[waiver]]\ninvariant = \"LIST-LIMIT\"\nreason = \"r\"\nexpires = \"2026-02-30\"\n",
            "bad date",
        ),
        ("[profile.\"bad name\"]\n", "bad profile name"),
    ] {
        assert!(!v.is_valid(&as_json(bad)), "schema accepted {why}");
        assert!(
            Config::parse(Path::new("x.toml"), bad).is_err(),
            "loader accepted {why}"
        );
    }
}

#[test]
fn the_schema_lists_exactly_the_keys_the_loader_accepts() {
    let s = schema();
    let keys = |v: &Json| -> Vec<String> {
        let mut k: Vec<String> = v["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        k.sort();
        k
    };
    let sorted = |list: &[&str]| -> Vec<String> {
        let mut k: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        k.sort();
        k
    };
    assert_eq!(keys(&s), sorted(TOP_LEVEL_KEYS));
    assert_eq!(keys(&s["$defs"]["profile"]), sorted(PROFILE_KEYS));
    assert_eq!(keys(&s["$defs"]["waiver"]), sorted(WAIVER_KEYS));
    assert_eq!(
        keys(&s["$defs"]["profile"]["properties"]["ops"]),
        sorted(OPS_KEYS)
    );
}

#[test]
fn every_catalogued_invariant_can_be_waived() {
    for id in opconform::contract::ids() {
        let text =
            format!("[[waiver]]\ninvariant = \"{id}\"\nreason = \"r\"\nexpires = 2026-01-01\n");
        let config = Config::parse(Path::new("x.toml"), &text)
            .unwrap_or_else(|e| panic!("{}", render_errors(&e)));
        assert_eq!(config.waivers()[0].invariant, id);
        // The schema's ID pattern admits every catalogue ID too.
        assert!(validator().is_valid(&as_json(&text)), "{id}");
    }
}

// ---------------------------------------------------------------- fuzzing

/// Checks the loader's promise for one file: no panic, and every error
/// points at a real line and column of the file.
fn check_load(bytes: &[u8]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
    let path = dir.path().join("opconform.toml");
    std::fs::write(&path, bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let Err(errors) = Config::load(&path) else {
        return Ok(());
    };
    prop_assert!(!errors.is_empty());
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    let line_count = lines.len().max(1);
    for err in &errors {
        check_error(err, &lines, line_count)?;
    }
    Ok(())
}

fn check_error(err: &ConfigError, lines: &[&str], line_count: usize) -> Result<(), TestCaseError> {
    let rendered = err.to_string();
    let (Some(line), Some(column)) = (err.line.map(|l| l as usize), err.column.map(|c| c as usize))
    else {
        return Err(TestCaseError::fail(format!(
            "error without a position: {rendered}"
        )));
    };
    prop_assert!(
        (1..=line_count).contains(&line),
        "line {} of {}: {}",
        line,
        line_count,
        rendered
    );
    let width = lines
        .get(line - 1)
        .map_or(0, |l| l.trim_end_matches('\r').chars().count());
    prop_assert!(
        column >= 1 && column <= width + 1,
        "column {} of {}: {}",
        column,
        width,
        rendered
    );
    prop_assert!(!err.message.is_empty());
    Ok(())
}

/// Bits of TOML and of config files that make interesting junk.
fn junk() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 1..8),
        Just(b"[".to_vec()),
        Just(b"]]".to_vec()),
        Just(b"\"".to_vec()),
        Just(b" = ".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\0".to_vec()),
        Just("é\u{feff}".as_bytes().to_vec()),
        Just(b"\n[[profile.staging.waiver]]\n".to_vec()),
        Just(b"\ntoken = \"sk_x\"\n".to_vec()),
        Just(b"\nrate = \"0/s\"\n".to_vec()),
        Just(b"\nexpires = 2026-02-30\n".to_vec()),
        Just(b"{ a = [1, {b = 2}] }".to_vec()),
        Just(b"'''".to_vec()),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(i, x)| Mutation::Flip(i, x)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), junk()).prop_map(|(i, j)| Mutation::Insert(i, j)),
        (any::<usize>(), 1..40usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len();
        let at = |i: usize| if len == 0 { 0 } else { i % (len + 1) };
        match m {
            Mutation::Flip(i, x) if len > 0 => bytes[i % len] ^= x,
            Mutation::Flip(..) => {}
            Mutation::Truncate(i) => bytes.truncate(at(*i)),
            Mutation::Insert(i, junk) => {
                let i = at(*i);
                bytes.splice(i..i, junk.iter().copied());
            }
            Mutation::Delete(i, n) => {
                let i = at(*i);
                let end = (i + n).min(len);
                bytes.drain(i..end);
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn fuzz_arbitrary_text_never_panics(text in "(?s).{0,200}") {
        check_load(text.as_bytes())?;
    }

    #[test]
    fn fuzz_arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        check_load(&bytes)?;
    }

    #[test]
    fn fuzz_mutated_example_never_panics(mutations in proptest::collection::vec(mutation(), 1..6)) {
        let valid = std::fs::read(example_path()).expect("example config");
        check_load(&apply(valid, &mutations))?;
    }
}
