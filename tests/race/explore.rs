//! Concurrent stateful fuzzing over real HTTP: K clients racing random
//! programs on one operation at a time. The correct reference's histories
//! are linearizable in all four worlds; a race fault's are not, and the
//! failing program is shrunk with the blame on CONC-LINEARIZABLE; and the
//! command line (`fuzz --stateful --concurrent-clients K`) reports it.

use std::process::Output;

use opconform::contract::Mode;
use opconform::race::{self, ExploreConfig, RaceOptions};
use opconform::reference::{self, Dialect, Tempo};
use opconform::target::{World, launch};

fn config(clients: usize, programs: u64, seed: u64) -> ExploreConfig {
    ExploreConfig {
        clients,
        programs,
        seed,
        options: RaceOptions {
            clients,
            mode: Mode::Lenient,
            ..RaceOptions::default()
        },
        ..ExploreConfig::default()
    }
}

async fn explore(world: World, fault: Option<&str>, config: &ExploreConfig) -> race::ExploreRun {
    let faults = match fault {
        Some(f) => reference::faults_named(&[f.to_string()]).expect("a fault"),
        None => Vec::new(),
    };
    let launched = launch(race::embedded(world, faults)).await.expect("serves");
    let run = race::explore(&launched.target, config)
        .await
        .expect("explores");
    launched.shutdown().await;
    run
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_correct_reference_is_linearizable_in_every_world() {
    for (i, world) in World::ALL.into_iter().enumerate() {
        let run = explore(world, None, &config(3, 25, 11 + i as u64)).await;
        if let Some(found) = &run.explored.found {
            panic!(
                "{}: a false alarm:\n{}\n{:?}\n{}",
                world.name(),
                found.shrunk.label(),
                found.trial.verdicts,
                found.trial.timeline_text().unwrap_or_default()
            );
        }
        assert_eq!(run.explored.programs, 25);
        assert_eq!(run.result.cases[0].outcome.label(), "passed");
    }
    // The dialects differ only where the contract lets them.
    assert_eq!(World::ALL[0].dialect, Dialect::Akua);
    assert_eq!(World::ALL[1].tempo, Tempo::Live);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn race_faults_are_found_shrunk_and_blamed_on_linearizability() {
    for fault in [
        "double-transition-on-concurrent-cancels",
        "ifmatch-check-then-act",
    ] {
        let run = explore(World::default(), Some(fault), &config(3, 300, 5)).await;
        let found = run
            .explored
            .found
            .as_ref()
            .unwrap_or_else(|| panic!("{fault}: not found in 300 programs"));
        assert!(found.shrunk.len() <= found.original.len(), "{fault}");
        assert!(
            found.shrunk.clients.len() >= 2,
            "{fault}: a race keeps two clients"
        );
        let failed = found.trial.failed();
        assert_eq!(
            failed,
            ["CONC-LINEARIZABLE"],
            "{fault}: {:?}",
            found.trial.verdicts
        );
        let text = found.trial.timeline_text().expect("a minimal part");
        assert!(text.contains("cancel"), "{text}");
        let case = &run.result.cases[0];
        assert_eq!(
            (case.name.as_str(), case.outcome.label()),
            ("fuzz::concurrent-clients", "failed")
        );
        assert_eq!(run.result.timelines.len(), 1);
        let info = reference::faults_named(&[fault.to_string()]).expect("fault")[0];
        assert!(info.breaks.contains(&"CONC-LINEARIZABLE"), "{fault}");
    }
}

async fn opconform(args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        assert_cmd::Command::new(env!("CARGO_BIN_EXE_opconform"))
            .env_remove("AKUA_TOKEN")
            .args(&args)
            .output()
            .expect("runs")
    })
    .await
    .expect("joins")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_reports_a_shrunk_concurrent_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().display().to_string();
    let out = opconform(&[
        "fuzz",
        "--stateful",
        "--concurrent-clients",
        "3",
        "--cases",
        "300",
        "--seed",
        "3",
        "--no-regressions",
        "--fault",
        "double-transition-on-concurrent-cancels",
        "--report",
        "json,html",
        "--out",
        &out_dir,
    ])
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("has no legal order; the program shrunk to"),
        "{stdout}"
    );
    assert!(stdout.contains("CONC-LINEARIZABLE"), "{stdout}");
    assert!(
        stdout.contains("the minimal non-linearizable part"),
        "{stdout}"
    );
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("opconform.json")).expect("json"),
    )
    .expect("valid");
    assert_eq!(json["cases"][0]["name"], "fuzz::concurrent-clients");
    assert_eq!(json["cases"][0]["outcome"]["verdict"], "failed");
    assert!(json["timelines"][0]["calls"].is_array());
    let html = std::fs::read_to_string(dir.path().join("opconform.html")).expect("html");
    assert!(html.contains("<figure class=\"timeline\""));

    let clean = opconform(&[
        "fuzz",
        "--stateful",
        "--concurrent-clients",
        "2",
        "--cases",
        "10",
        "--seed",
        "1",
        "--no-regressions",
    ])
    .await;
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&clean.stdout)
    );
    for (argv, code) in [
        (&["fuzz", "--stateful", "--concurrent-clients", "1"][..], 2),
        (&["fuzz", "--concurrent-clients", "3"][..], 2),
    ] {
        let out = opconform(argv).await;
        assert_eq!(out.status.code(), Some(code), "{argv:?}");
    }
}
