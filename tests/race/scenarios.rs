//! Race scenarios over real HTTP against the embedded reference: the
//! mechanics (warmed connections released together, hang-ups), every
//! scenario against the correct reference in all four worlds (no
//! violation), and each race fault detected within a stated budget with
//! the blame on an invariant it breaks.

use std::net::SocketAddr;
use std::time::Duration;

use opconform::contract::Mode;
use opconform::race::barrier::{self, HangUp, Origin, Prepared};
use opconform::race::scenarios::{self, RaceOptions, RaceTarget, Scenario, ScenarioReport};
use opconform::reference::{ALPHA_TOKEN, Dialect, Fault, ReferenceConfig, ReferenceServer, Tempo};

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().expect("loopback address")
}

/// A world of the reference with short steps: a cancel settles within
/// 50 ms, a live operation finishes in ~1 s (ten 100 ms live steps).
fn world(dialect: Dialect, tempo: Tempo) -> ReferenceConfig {
    ReferenceConfig {
        dialect,
        tempo,
        step_length: Duration::from_millis(50),
        live_step: Duration::from_millis(100),
        ..ReferenceConfig::default()
    }
}

fn target(server: &ReferenceServer) -> RaceTarget {
    RaceTarget {
        base_url: server.base_url(),
        token: ALPHA_TOKEN.to_string(),
        context: None,
        fixtures_url: server.fixtures_url(),
    }
}

fn options(clients: usize, trials: usize, mode: Mode) -> RaceOptions {
    RaceOptions {
        clients,
        trials,
        mode,
        settle_deadline: Duration::from_secs(5),
        wait_timeout_secs: 3,
        ..RaceOptions::default()
    }
}

/// Every failing trial of a report, with its evidence and timeline.
fn explain(r: &ScenarioReport) -> String {
    let mut out = format!("{}: {}\n", r.scenario.name(), r.rate.label());
    for t in r.trials.iter().filter(|t| t.violated()) {
        for v in t.verdicts.iter().filter(|v| !v.passed) {
            out.push_str(&format!(
                "  trial {} {}: {}\n",
                t.index, v.invariant, v.evidence
            ));
        }
        if let Some(text) = t.timeline_text() {
            out.push_str(&text);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warmed_connections_are_released_together_and_the_spread_is_measured() {
    let server = ReferenceServer::start(world(Dialect::Akua, Tempo::Frozen), loopback())
        .await
        .expect("bind");
    let (origin, base) = Origin::parse(&server.base_url()).expect("http");
    let auth = format!("Bearer {ALPHA_TOKEN}");
    let n = 8;
    let conns = barrier::connect_all(&origin, n).await.expect("connect");
    let get = Prepared::new(
        http::Method::GET,
        format!("{base}/operations/op_missing"),
        &[("authorization", &auth)],
        bytes::Bytes::new(),
    )
    .expect("valid");
    let (conns, exchanges) =
        barrier::release(conns, &origin, vec![get; n], Duration::from_secs(10)).await;
    assert_eq!(conns.len(), n, "every connection comes back for reuse");
    for ex in &exchanges {
        assert_eq!(ex.result.as_ref().map(|r| r.status), Ok(404));
        assert!(ex.received >= ex.sent);
    }
    // A sanity bound, not a timing test: the releases share one barrier.
    assert!(barrier::spread(&exchanges) < Duration::from_secs(1));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hang_up_after_the_status_line_was_processed_and_its_retry_replays_it() {
    let server = ReferenceServer::start(world(Dialect::Akua, Tempo::Frozen), loopback())
        .await
        .expect("bind");
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let fixture: serde_json::Value = client
        .post(server.fixtures_url())
        .bearer_auth(ALPHA_TOKEN)
        .json(&serde_json::json!({"state": "running"}))
        .send()
        .await
        .expect("fixture")
        .json()
        .await
        .expect("json");
    let id = fixture["id"].as_str().expect("id").to_string();
    let (origin, base) = Origin::parse(&server.base_url()).expect("http");
    let auth = format!("Bearer {ALPHA_TOKEN}");
    let cancel = Prepared::new(
        http::Method::POST,
        format!("{base}/operations/{id}:cancel"),
        &[("authorization", &auth), ("idempotency-key", "hang-up-1")],
        bytes::Bytes::new(),
    )
    .expect("valid");
    let hung = barrier::send_and_hang_up(
        &origin,
        &cancel,
        HangUp::AfterStatusLine,
        Duration::from_secs(10),
    )
    .await
    .expect("sent");
    assert_eq!(hung.status, Some(202), "{}", hung.why);
    let mut conn = barrier::connect(&origin).await.expect("connect");
    let retry = conn.send(&origin, &cancel, Duration::from_secs(10)).await;
    assert_eq!(retry.result.as_ref().map(|r| r.status), Ok(202));
    let op: serde_json::Value = client
        .get(format!("{}/operations/{id}", server.base_url()))
        .bearer_auth(ALPHA_TOKEN)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let cancels = op["steps"]
        .as_array()
        .map(|s| s.iter().filter(|s| s["name"] == "cancel").count());
    assert_eq!(cancels, Some(1), "{op:#}");
    server.shutdown().await;
}

/// Every scenario against the correct reference of one world: no
/// violation in any trial.
async fn clean_in(dialect: Dialect, tempo: Tempo, mode: Mode) {
    let server = ReferenceServer::start(world(dialect, tempo), loopback())
        .await
        .expect("bind");
    let opts = options(5, 5, mode);
    let reports = scenarios::run_all(&target(&server), &Scenario::ALL, &opts)
        .await
        .expect("runs");
    let mut problems = String::new();
    for r in &reports {
        assert!(
            r.skipped.is_none(),
            "{} skipped: {:?}",
            r.scenario.name(),
            r.skipped
        );
        assert_eq!(r.trials.len(), opts.trials, "{}", r.scenario.name());
        if r.rate.violations > 0 {
            problems.push_str(&explain(r));
        }
    }
    server.shutdown().await;
    assert!(
        problems.is_empty(),
        "{dialect}/{tempo} ({mode:?}):\n{problems}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_correct_reference_passes_every_scenario_akua_frozen_strict() {
    clean_in(Dialect::Akua, Tempo::Frozen, Mode::Strict).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_correct_reference_passes_every_scenario_akua_live() {
    clean_in(Dialect::Akua, Tempo::Live, Mode::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_correct_reference_passes_every_scenario_alternate_frozen() {
    clean_in(Dialect::Alternate, Tempo::Frozen, Mode::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_correct_reference_passes_every_scenario_alternate_live() {
    clean_in(Dialect::Alternate, Tempo::Live, Mode::Lenient).await;
}

/// Runs `scenario` against the reference with `fault` and checks that at
/// least `min` of the trials failed, every failure blaming an invariant
/// the fault breaks.
async fn detects(fault: Fault, scenario: Scenario, clients: usize, trials: usize, min: u64) {
    let server = ReferenceServer::start(
        world(Dialect::Akua, Tempo::Frozen).with_fault(fault),
        loopback(),
    )
    .await
    .expect("bind");
    let report = scenarios::run(
        &target(&server),
        scenario,
        &options(clients, trials, Mode::Lenient),
    )
    .await
    .expect("runs");
    server.shutdown().await;
    let breaks = fault.info().breaks;
    assert!(
        report.rate.violations >= min,
        "{} found {} in {}/{} trials only:\n{}",
        scenario.name(),
        fault.info().name,
        report.rate.violations,
        report.rate.trials,
        explain(&report)
    );
    for (id, n) in report.failures_by_invariant() {
        assert!(
            breaks.contains(&id),
            "{}: {id} failed in {n} trials, yet the fault breaks only {breaks:?}:\n{}",
            fault.info().name,
            explain(&report)
        );
    }
    // A linearizability failure carries its minimal part, drawn.
    for t in report
        .trials
        .iter()
        .filter(|t| t.failed().contains(&"CONC-LINEARIZABLE"))
    {
        let text = t.timeline_text().expect("a witness");
        assert!(text.contains("#"), "{text}");
        let svg = t.timeline_svg("witness").expect("a witness");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }
}

// Budgets: each fault shows in nearly every trial here (benches/README.md,
// "Races"); demanding min of R trials leaves a miss probability far below
// 1e-6 even if a loaded machine halved the per-trial rate.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ifmatch_check_then_act_is_a_lost_update() {
    detects(Fault::IfMatchCheckThenAct, Scenario::LostUpdate, 4, 12, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_transition_on_concurrent_cancels_breaks_one_transition() {
    detects(
        Fault::DoubleTransitionOnConcurrentCancels,
        Scenario::DifferentKeys,
        4,
        12,
        3,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_stored_after_response_breaks_the_retry_after_a_lost_response() {
    let lost = Scenario::LostResponse {
        keyed: true,
        hang_up: HangUp::AfterStatusLine,
    };
    detects(Fault::KeyStoredAfterResponse, lost, 2, 8, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_misses_wakeups_breaks_waiters_waking_alike() {
    detects(Fault::WaitMissesWakeups, Scenario::WaitersVsCancel, 4, 6, 2).await;
}
