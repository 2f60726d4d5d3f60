//! The selftest kill matrix in every world of the reference, against an
//! expected-results table written from the contract
//! (`tests/data/kill_matrix.toml`, nextest's fixture-data model).
//!
//! Runs: strict in akua/frozen (every non-generated fault is visible), and
//! lenient in all four worlds (akua|alternate x frozen|live). In each run:
//! the clean reference passes (no failed or flaky case, at most two
//! inconclusive trials); every fault the table says the run can see is
//! killed decisively (a FAILED case, not flaky, not inconclusive) by an
//! invariant of its `caught_by`; and no fault the table says it cannot see
//! fails anything (that would be a false alarm against a fair server).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use opconform::contract::Mode;
use opconform::race::Scenario;
use opconform::reference::{self, Dialect, FaultInfo, Tempo};
use opconform::run::{self, RunOptions};
use opconform::selftest::{self, Detection, Expected, KillMatrix};
use opconform::target::World;

const TABLE: &str = "tests/data/kill_matrix.toml";

/// One fault's row of the table.
#[derive(Debug, Clone, Default)]
struct Row {
    caught_by: Vec<String>,
    lenient_accepts: Option<String>,
    unseen: BTreeMap<String, String>,
    generated_only: bool,
    race: Option<RaceRow>,
}

/// How `opconform race` kills a race fault: scenario, N, the budget R and
/// the least rate of violating trials.
#[derive(Debug, Clone, PartialEq)]
struct RaceRow {
    scenario: String,
    clients: usize,
    repeat: usize,
    min_rate: f64,
}

impl Row {
    /// Whether a run in `world` and `mode` can see the fault, and if not why.
    fn visible(&self, world: World, mode: Mode) -> Result<(), String> {
        if self.generated_only {
            return Err("generated-only".into());
        }
        if let Some(why) = self.unseen.get(&world.name()) {
            return Err(format!("unseen in {}: {why}", world.name()));
        }
        match (&self.lenient_accepts, mode) {
            (Some(why), Mode::Lenient) => Err(format!("lenient accepts it: {why}")),
            _ => Ok(()),
        }
    }
}

fn load_table() -> BTreeMap<String, Row> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(TABLE);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{TABLE}: {e}"));
    let doc: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{TABLE}: {e}"));
    let faults = doc
        .get("faults")
        .and_then(toml::Value::as_table)
        .unwrap_or_else(|| panic!("{TABLE}: no [faults] table"));
    let strings = |v: Option<&toml::Value>, name: &str, key: &str| -> Vec<String> {
        v.and_then(toml::Value::as_array)
            .unwrap_or_else(|| panic!("{TABLE}: {name}.{key} must be a list"))
            .iter()
            .map(|i| {
                i.as_str()
                    .unwrap_or_else(|| panic!("{TABLE}: {name}.{key}: not a string: {i}"))
                    .to_string()
            })
            .collect()
    };
    faults
        .iter()
        .map(|(name, v)| {
            let t = v
                .as_table()
                .unwrap_or_else(|| panic!("{TABLE}: {name} must be a table"));
            for key in t.keys() {
                assert!(
                    [
                        "caught_by",
                        "lenient_accepts",
                        "unseen",
                        "generated_only",
                        "race"
                    ]
                    .contains(&key.as_str()),
                    "{TABLE}: {name}: unknown key {key}"
                );
            }
            let row = Row {
                caught_by: strings(t.get("caught_by"), name, "caught_by"),
                lenient_accepts: t
                    .get("lenient_accepts")
                    .and_then(toml::Value::as_str)
                    .map(str::to_string),
                unseen: t
                    .get("unseen")
                    .and_then(toml::Value::as_table)
                    .map(|u| {
                        u.iter()
                            .map(|(w, why)| {
                                (w.clone(), why.as_str().unwrap_or_default().to_string())
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                generated_only: t
                    .get("generated_only")
                    .and_then(toml::Value::as_bool)
                    .unwrap_or(false),
                race: t.get("race").map(|r| race_row(name, r)),
            };
            assert!(
                !row.caught_by.is_empty(),
                "{TABLE}: {name}: empty caught_by"
            );
            (name.clone(), row)
        })
        .collect()
}

fn race_row(name: &str, v: &toml::Value) -> RaceRow {
    let t = v
        .as_table()
        .unwrap_or_else(|| panic!("{TABLE}: {name}.race must be a table"));
    let int = |key: &str| -> usize {
        t.get(key)
            .and_then(toml::Value::as_integer)
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or_else(|| panic!("{TABLE}: {name}.race.{key} must be a positive integer"))
    };
    RaceRow {
        scenario: t
            .get("scenario")
            .and_then(toml::Value::as_str)
            .unwrap_or_else(|| panic!("{TABLE}: {name}.race.scenario must be a string"))
            .to_string(),
        clients: int("clients"),
        repeat: int("repeat"),
        min_rate: t
            .get("min_rate")
            .and_then(toml::Value::as_float)
            .filter(|r| (0.0..=1.0).contains(r) && *r > 0.0)
            .unwrap_or_else(|| panic!("{TABLE}: {name}.race.min_rate must be in (0, 1]")),
    }
}

#[test]
fn the_table_names_every_fault_and_agrees_with_what_the_reference_says_of_itself() {
    // The table is written from the contract; the reference describes its
    // own faults (`breaks`, where they are absent, what lenient accepts).
    // Both must tell the same story.
    let table = load_table();
    let worlds: Vec<String> = World::ALL.iter().map(|w| w.name()).collect();
    for info in reference::faults() {
        let row = table
            .get(info.name)
            .unwrap_or_else(|| panic!("{TABLE} lacks fault {}", info.name));
        for id in &row.caught_by {
            assert!(
                info.breaks.contains(&id.as_str()),
                "{TABLE}: {} is caught by {id}, which its catalogue entry does not break ({:?})",
                info.name,
                info.breaks
            );
        }
        assert_eq!(
            row.generated_only, info.generated_only,
            "{}: generated-only differs",
            info.name
        );
        for w in row.unseen.keys() {
            assert!(
                worlds.contains(w),
                "{TABLE}: {}: unknown world {w}",
                info.name
            );
        }
        for world in World::ALL {
            for mode in [Mode::Strict, Mode::Lenient] {
                let table_says = row.visible(world, mode).is_ok();
                let reference_says = Expected::of(info, world, mode) == Expected::Visible;
                assert_eq!(
                    table_says,
                    reference_says,
                    "{} in {} ({mode:?}): the table says {:?}, the reference says {:?}",
                    info.name,
                    world.name(),
                    row.visible(world, mode),
                    Expected::of(info, world, mode)
                );
            }
        }
    }
    assert_eq!(
        table.len(),
        reference::faults().len(),
        "{TABLE} names faults the catalogue does not have"
    );
}

#[test]
fn visibility_reads_the_row() {
    let row = Row {
        caught_by: vec!["A".into()],
        lenient_accepts: Some("fair".into()),
        unseen: [("alternate/live".to_string(), "no list".to_string())].into(),
        generated_only: false,
        race: None,
    };
    let w = |dialect, tempo| World { dialect, tempo };
    assert!(
        row.visible(w(Dialect::Akua, Tempo::Frozen), Mode::Strict)
            .is_ok()
    );
    assert!(
        row.visible(w(Dialect::Akua, Tempo::Frozen), Mode::Lenient)
            .is_err()
    );
    assert!(
        row.visible(w(Dialect::Alternate, Tempo::Live), Mode::Strict)
            .is_err()
    );
    let generated = Row {
        generated_only: true,
        ..Row::default()
    };
    assert!(generated.visible(World::default(), Mode::Strict).is_err());
}

/// The selftest of `world` in `mode`, judged against the table.
/// One world's selftest at a time: each already runs faults and cases in
/// parallel, and the verdicts that hang on timing (`:wait` holds and wakes,
/// a repeated cancel inside the drain) need the machine not to be swamped
/// by five selftests at once on two cores.
static ONE_WORLD_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn matrix_matches_the_table(world: World, mode: Mode) {
    let _turn = ONE_WORLD_AT_A_TIME.lock().await;
    let table = load_table();
    let mut cases = run::load_bundled().expect("bundled cases load");
    if !world.has_list() {
        cases.retain(|c| !c.name.contains("list"));
    }
    let faults: Vec<&'static FaultInfo> = reference::faults().iter().collect();
    let options = RunOptions {
        mode,
        // The reference settles a cancel within one 100 ms step; the
        // deadline caps every `eventually` (faults that never settle cost
        // it) and is the `:wait` timeout of `wait_wakes_when_cancel_settles`.
        // 5 s, as `opconform selftest` uses: a `:wait` that holds its whole
        // timeout after a settle ~0.1 s in must show a gap past the judge's
        // 3 s clock slack (second-granular `Date` and `completed_at`); with
        // 3 s the gap was 2 or 3 s by phase, and `wait-no-wake` was missed
        // about one run in five under load.
        settle_deadline: Duration::from_secs(5),
        settle_window: run::EMBEDDED_SETTLE_WINDOW,
        ..RunOptions::default()
    };
    let plan = selftest::Plan {
        cases: &cases,
        options: &options,
        faults: &faults,
        concurrency: 8,
        faults_at_once: 6,
    };
    let matrix = selftest::selftest_in(world, plan)
        .await
        .expect("selftest runs");
    let problems = compare(&matrix, &table);
    assert!(
        problems.is_empty(),
        "the kill matrix of {} ({mode:?}) differs from {TABLE}:\n{}\n",
        world.name(),
        problems.join("\n")
    );
    assert!(matrix.passes(), "selftest of {} fails", world.name());
}

/// Every difference between a run and the table, one line each.
fn compare(matrix: &KillMatrix, table: &BTreeMap<String, Row>) -> Vec<String> {
    let mut out = Vec::new();
    if !matrix.reference_failures.is_empty() {
        out.push(format!(
            "! the clean reference fails: {:?}",
            matrix.reference_failures
        ));
    }
    let inconclusive = matrix.reference.count("inconclusive");
    if inconclusive > selftest::REFERENCE_INCONCLUSIVE_ALLOWED {
        out.push(format!(
            "! the clean reference has {inconclusive} inconclusive trials"
        ));
    }
    for row in &matrix.rows {
        let Some(want) = table.get(row.fault) else {
            out.push(format!("+ {} is not in the table", row.fault));
            continue;
        };
        let killed_by: Vec<&String> = match &row.detection {
            Detection::Detected { by } => {
                by.iter().filter(|i| want.caught_by.contains(i)).collect()
            }
            _ => Vec::new(),
        };
        match want.visible(matrix.world, matrix.mode) {
            Ok(()) if killed_by.is_empty() => out.push(format!(
                "~ {}: not killed decisively by any of {:?}: {:?} (failed in failed cases: {:?})",
                row.fault, want.caught_by, row.detection, row.failed_invariants
            )),
            Ok(()) => {}
            Err(why) if !row.failed_invariants.is_empty() => out.push(format!(
                "~ {}: {why}, yet the run failed {:?}: a false alarm, or a stale row",
                row.fault, row.failed_invariants
            )),
            Err(_) => {}
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_matrix_akua_frozen_strict() {
    matrix_matches_the_table(World::default(), Mode::Strict).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_matrix_akua_frozen_lenient() {
    matrix_matches_the_table(World::ALL[0], Mode::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_matrix_akua_live_lenient() {
    matrix_matches_the_table(World::ALL[1], Mode::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_matrix_alternate_frozen_lenient() {
    matrix_matches_the_table(World::ALL[2], Mode::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_matrix_alternate_live_lenient() {
    matrix_matches_the_table(World::ALL[3], Mode::Lenient).await;
}

/// The table's race rows are exactly the faults selftest hunts with races,
/// with the same scenario, N and R; and races are what reveals them only.
#[test]
fn race_rows_state_what_selftest_hunts() {
    let table = load_table();
    for info in reference::faults() {
        let row = &table[info.name];
        let hunt = selftest::race::hunt(info);
        match (&row.race, hunt) {
            (None, None) => {}
            (Some(r), Some(h)) => {
                assert_eq!(
                    (r.scenario.as_str(), r.clients, r.repeat),
                    (h.scenario.name().as_str(), h.clients, h.trials),
                    "{TABLE}: {}.race differs from selftest's hunt",
                    info.name
                );
                assert!(
                    row.generated_only,
                    "{}: a race fault is generated-only",
                    info.name
                );
            }
            (r, h) => panic!(
                "{TABLE}: {}: race row {r:?}, selftest hunt {h:?}",
                info.name
            ),
        }
    }
}

/// `opconform race`'s library over real HTTP against the embedded
/// reference with each race fault: the stated scenario, N and R kill it at
/// the stated rate, every violation blamed on an invariant of caught_by.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn race_kills_each_race_fault_at_the_stated_rate_within_the_budget() {
    let table = load_table();
    let mut problems = Vec::new();
    let mut raced = 0;
    for info in reference::faults() {
        let row = &table[info.name];
        let Some(r) = &row.race else { continue };
        raced += 1;
        let scenario = Scenario::from_name(&r.scenario)
            .unwrap_or_else(|| panic!("{TABLE}: {}: no scenario {}", info.name, r.scenario));
        let run = selftest::race::race_reference(
            World::default(),
            vec![info],
            &[scenario],
            &selftest::race::options(r.clients, r.repeat, Mode::Lenient),
        )
        .await
        .expect("the race runs");
        let report = &run.reports[0];
        let need = (r.min_rate * r.repeat as f64).ceil() as u64;
        let own: u64 = report
            .trials
            .iter()
            .filter(|t| {
                let failed = t.failed();
                !failed.is_empty()
                    && failed
                        .iter()
                        .all(|id| row.caught_by.iter().any(|c| c == id))
            })
            .count() as u64;
        if own < need {
            problems.push(format!(
                "{}: {} killed it in {own} of {} trials, the table states at least {need} ({}); {}",
                info.name,
                r.scenario,
                r.repeat,
                r.min_rate,
                report.rate.label()
            ));
        }
        for (id, n) in report.failures_by_invariant() {
            if !row.caught_by.iter().any(|c| c == id) {
                problems.push(format!(
                    "{}: {id} failed in {n} trials, outside caught_by {:?}",
                    info.name, row.caught_by
                ));
            }
        }
        // The run concludes failed, as `opconform race` exits 1.
        assert_eq!(
            opconform::gate::conclude(&run.result, opconform::gate::FailOn::Should, false),
            opconform::gate::Conclusion::Failed,
            "{}",
            info.name
        );
    }
    assert_eq!(raced, 4, "the four race faults have race rows");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
