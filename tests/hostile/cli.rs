//! The real-target options as a user meets them: profiles and waivers,
//! `--dry-run`, `--partition`, the cancel guard over HTTP, TLS flags, and
//! bad input (exit 2 with a message that names the place and the fix).

use std::collections::BTreeSet;
use std::path::Path;

use super::server::{Behaviour, Hostile};
use super::{TOKEN, args, cases, run, run_full};
use crate::support::write;

fn profile_toml(target: &str, cases: &Path, waiver: Option<&str>) -> String {
    let mut t = format!(
        "default_profile = \"hostile\"\n\n[profile.hostile]\ntarget = \"{target}\"\n\
         token_env = \"HOSTILE_TOKEN_VAR\"\nops = {{ succeeded = \"op_hostile_0001\" }}\n\
         request_timeout_secs = 0.5\ndeadline_secs = 8\ncases = [\"{}\"]\n",
        cases.display()
    );
    if let Some(expires) = waiver {
        t.push_str(&format!(
            "\n[[profile.hostile.waiver]]\ninvariant = \"OP-SCHEMA-REQUIRED\"\n\
             reason = \"storm known (TICKET-7)\"\nexpires = {expires}\n"
        ));
    }
    t
}

fn token_env() -> Vec<(String, String)> {
    vec![("HOSTILE_TOKEN_VAR".into(), TOKEN.into())]
}

fn common() -> Vec<String> {
    ["run", "--color", "never", "--test-threads", "1"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_from_the_default_file_with_an_active_waiver_reports_waived() {
    let server = Hostile::start(Behaviour::Storm500).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = cases(dir.path(), 2, false);
    write(
        dir.path(),
        "opconform.toml",
        &profile_toml(&server.base_url, &file, Some("2099-12-31")),
    );
    let ran = run_full(common(), None, token_env(), Some(dir.path().into())).await;
    ran.assert_clean();
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert!(
        ran.stdout.contains(
            "waived: OP-SCHEMA-REQUIRED: waived until 2099-12-31: storm known (TICKET-7)"
        ),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("2 waived"), "{}", ran.stdout);
    let summary_line = ran
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("OP-SCHEMA-REQUIRED"))
        .unwrap_or_default();
    assert!(summary_line.contains("waived"), "{summary_line}");
    // The token came from the variable the profile names, and was sent.
    assert!(
        server
            .authorizations()
            .iter()
            .all(|a| a.as_deref() == Some(&format!("Bearer {TOKEN}")[..]))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_waiver_fails_the_case_and_says_when_it_expired() {
    let server = Hostile::start(Behaviour::Storm500).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = cases(dir.path(), 1, false);
    let config = write(
        dir.path(),
        "staging.toml",
        &profile_toml(&server.base_url, &file, Some("2020-01-31")),
    );
    let mut a = common();
    a.extend(["--config".into(), config.display().to_string()]);
    a.extend(["--profile".into(), "hostile".into()]);
    let ran = run_full(a, None, token_env(), None).await;
    ran.assert_clean();
    assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
    assert!(
        ran.stdout
            .contains("waiver for OP-SCHEMA-REQUIRED expired on 2020-01-31"),
        "{}",
        ran.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_override_the_profile() {
    let never = Hostile::start(Behaviour::NeverAnswer).await;
    let fine = Hostile::start(Behaviour::Fine).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = cases(dir.path(), 1, false);
    let config = write(
        dir.path(),
        "c.toml",
        &profile_toml(&never.base_url, &file, None),
    );
    let mut a = common();
    a.extend(
        [
            "--config",
            &config.display().to_string(),
            "--target",
            &fine.base_url,
            "--token",
            "tok_from_flag",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    // The profile's token variable is not needed when --token is given.
    let ran = run_full(a, None, Vec::new(), None).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(never.requests(), 0);
    assert_eq!(
        fine.authorizations().last().cloned().flatten().as_deref(),
        Some("Bearer tok_from_flag")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_prints_the_plan_and_sends_nothing() {
    let server = Hostile::start(Behaviour::Fine).await;
    let mut a = common();
    a.extend(
        [
            "--target",
            &server.base_url,
            "--token",
            TOKEN,
            "--fixtures",
            &format!("{}/fixtures", server.origin),
            "--dry-run",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let ran = run(a, None).await;
    ran.assert_clean();
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(server.requests(), 0, "a dry run sent a request");
    let base = &server.base_url;
    assert!(
        ran.stdout
            .contains(&format!("POST {base}/operations/<op.id>:cancel")),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("authorization: Bearer <token>"));
    assert!(ran.stdout.contains(&format!(
        "POST {}/fixtures {{\"state\":\"running\"}}",
        server.origin
    )));
}

async fn listed(extra: &[&str]) -> (i32, Vec<String>, String) {
    let mut a = vec!["run".to_string(), "--list".to_string()];
    a.extend(extra.iter().map(|s| s.to_string()));
    let ran = run(a, None).await;
    let names = ran
        .stdout
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(String::from)
        .collect();
    (ran.code, names, ran.stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partition_splits_cases_deterministically_and_completely() {
    let (_, all, _) = listed(&[]).await;
    assert!(all.len() >= 6, "{all:?}");
    let mut union = BTreeSet::new();
    for shard in 1..=3usize {
        let (code, names, _) = listed(&["--partition", &format!("{shard}/3")]).await;
        assert_eq!(code, 0);
        let expected: Vec<String> = all
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 3 == shard - 1)
            .map(|(_, n)| n.clone())
            .collect();
        assert_eq!(names, expected, "shard {shard}");
        for n in names {
            assert!(union.insert(n), "a case is in two shards");
        }
    }
    assert_eq!(union.len(), all.len());
    // With a filter, shards split the selected cases.
    let (_, filtered, _) = listed(&["lifecycle"]).await;
    let (_, first, _) = listed(&["lifecycle", "--partition", "count:1/2"]).await;
    let expected: Vec<String> = filtered.iter().step_by(2).cloned().collect();
    assert_eq!(first, expected);
    for bad in ["0/3", "4/3", "x", "1/0"] {
        let (code, _, stderr) = listed(&["--partition", bad]).await;
        assert_eq!(code, 2, "{bad}");
        assert!(
            stderr.contains("N/M") || stderr.contains("between 1 and"),
            "{bad}: {stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_of_an_operation_not_handed_out_is_never_sent() {
    let server = Hostile::start(Behaviour::Fine).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::new();
    for (i, path) in [
        "/operations/op_victim:cancel",
        "/operations/op_victim%3Acancel",
        "/operations/op_victim%3acancel/",
        "/operations/{{ op.id }}/../op_victim:cancel",
        "/operations/{{ op.id }}%2F..%2Fop_victim%3Acancel",
        "/operations/op_victim%253Acancel?x=1",
    ]
    .iter()
    .enumerate()
    {
        text.push_str(&format!(
            "[[case]]\nname = \"sneaky_{i}\"\nfixture = \"succeeded\"\ninvariants = [\"CANCEL-TERMINAL-422\"]\n\
             [[case.step]]\nrequest = {{ method = \"POST\", path = \"{path}\" }}\nexpect.status = [422]\n\n"
        ));
    }
    let file = write(dir.path(), "sneaky.toml", &text);
    let ran = run(args(&server.base_url, &file, &dir.path().join("out")), None).await;
    ran.assert_clean();
    assert_eq!(
        server.op_requests(),
        0,
        "a cancel of a foreign operation was sent"
    );
    assert_eq!(
        ran.stdout.matches("skipped: refusing to send POST").count(),
        6,
        "{}",
        ran.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_flags() {
    let server = Hostile::start(Behaviour::Fine).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = cases(dir.path(), 1, false);
    let bad = write(dir.path(), "ca.pem", "-----BEGIN NOTHING-----\n");
    let mut a = args(&server.base_url, &file, &dir.path().join("out"));
    a.extend(["--ca-cert".into(), bad.display().to_string()]);
    let ran = run(a, None).await;
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stderr.contains("ca.pem") && ran.stderr.contains("BEGIN CERTIFICATE"),
        "{}",
        ran.stderr
    );
    assert_eq!(server.requests(), 0);
    let mut a = args(&server.base_url, &file, &dir.path().join("out"));
    a.push("--insecure".into());
    let ran = run(a, None).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert!(ran.stderr.contains("warning: --insecure"), "{}", ran.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_exits_2_naming_the_place_and_the_fix() {
    let server = Hostile::start(Behaviour::Fine).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = cases(dir.path(), 1, false);
    let run_with_config = |text: &str, name: &str| {
        let config = write(dir.path(), name, text);
        let mut a = common();
        a.extend(["--config".into(), config.display().to_string()]);
        a
    };
    // Malformed config: a bad rate, pointed at by line:column, with help.
    let a = run_with_config("[profile.a]\nrate = \"fast\"\n", "bad_rate.toml");
    let ran = run_full(a, None, token_env(), None).await;
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(ran.stderr.contains("bad_rate.toml:2:"), "{}", ran.stderr);
    assert!(ran.stderr.contains("help"), "{}", ran.stderr);
    // Not TOML at all.
    let a = run_with_config("[profile.a\n", "broken.toml");
    let ran = run_full(a, None, token_env(), None).await;
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(ran.stderr.contains("broken.toml:1:"), "{}", ran.stderr);
    // Unknown invariant in a waiver.
    let a = run_with_config(
        "[[waiver]]\ninvariant = \"OP-NOT-A-THING\"\nreason = \"r\"\nexpires = 2099-01-01\n",
        "waiver.toml",
    );
    let ran = run_full(a, None, token_env(), None).await;
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stderr.contains("unknown invariant `OP-NOT-A-THING`")
            && ran.stderr.contains("waiver.toml:2:"),
        "{}",
        ran.stderr
    );
    // Unknown profile: did-you-mean.
    let config = write(
        dir.path(),
        "p.toml",
        &profile_toml(&server.base_url, &file, None),
    );
    let mut a = common();
    a.extend(
        [
            "--config",
            &config.display().to_string(),
            "--profile",
            "hostle",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let ran = run_full(a, None, token_env(), None).await;
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stderr.contains("did you mean `hostile`"),
        "{}",
        ran.stderr
    );
    // The profile's token variable is unset.
    let mut a = common();
    a.extend(["--config".into(), config.display().to_string()]);
    let ran = run_full(a, None, Vec::new(), None).await;
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stderr.contains("HOSTILE_TOKEN_VAR") && ran.stderr.contains("export"),
        "{}",
        ran.stderr
    );
    // --profile without any config file.
    let mut a = common();
    a.extend(["--profile".into(), "staging".into()]);
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let ran = run_full(a, None, Vec::new(), Some(empty)).await;
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(ran.stderr.contains("--config FILE"), "{}", ran.stderr);
    // Unknown invariant in a case file: file and line.
    let bad_case = write(
        dir.path(),
        "bad_case.toml",
        "[[case]]\nname = \"x\"\nfixture = \"succeeded\"\ninvariants = [\"NO-SUCH-ID\"]\n[[case.step]]\nrequest = { method = \"GET\", path = \"/operations\" }\n",
    );
    let ran = run(
        args(&server.base_url, &bad_case, &dir.path().join("out")),
        None,
    )
    .await;
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stderr.contains("bad_case.toml:4") && ran.stderr.contains("NO-SUCH-ID"),
        "{}",
        ran.stderr
    );
    // Unknown flag: clap names it and suggests the right one.
    let mut a = common();
    a.push("--rate-limit".into());
    let ran = run(a, None).await;
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(ran.stderr.contains("--rate-limit"), "{}", ran.stderr);
    // A bad rate on the command line.
    let mut a = common();
    a.extend(["--rate".into(), "fast".into()]);
    let ran = run(a, None).await;
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(ran.stderr.contains("--rate"), "{}", ran.stderr);
    assert_eq!(server.requests(), 0, "bad input must send nothing");
}
