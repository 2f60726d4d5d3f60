//! The proof that recording and auditing agree with the runner: the
//! reference's traffic, recorded by `run --har` (the recorder on the live
//! target), audits clean in every world; each fault that traffic can show,
//! recorded the same way, fails the audit with an invariant it breaks
//! (`tests/data/audit_observability.toml`), and the faults traffic cannot
//! show fail nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use opconform::audit::{self, AuditOptions, AuditReport, Input};
use opconform::contract::{Mode, Schemas};
use opconform::reference::{self, FaultInfo};
use opconform::run::{self, RunOptions};
use opconform::target::{Recorder, World};
use opconform::{Suite, TargetSpec};

const TABLE: &str = "tests/data/audit_observability.toml";

/// One fault's row: the invariants the audit catches it with, or why
/// traffic cannot show it.
#[derive(Debug)]
enum Row {
    Catches(Vec<String>),
    /// Why traffic cannot show it, and what it may still show when the
    /// run's timing allows (`may_show`: e.g. listed operations that happen
    /// to span a second boundary show their order).
    NotObservable(String, Vec<String>),
}

fn load_table() -> BTreeMap<String, Row> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(TABLE);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{TABLE}: {e}"));
    let doc: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{TABLE}: {e}"));
    let faults = doc["faults"].as_table().expect("a [faults] table");
    faults
        .iter()
        .map(|(name, row)| {
            let row = row.as_table().expect("a table per fault");
            let parsed = match (row.get("audit_catches"), row.get("not_observable")) {
                (Some(c), None) => Row::Catches(
                    c.as_array()
                        .expect("audit_catches is a list")
                        .iter()
                        .map(|v| v.as_str().expect("an invariant id").to_string())
                        .collect(),
                ),
                (None, Some(why)) => Row::NotObservable(
                    why.as_str().expect("a reason").into(),
                    row.get("may_show")
                        .and_then(|v| v.as_array())
                        .map(|ids| {
                            ids.iter()
                                .map(|v| v.as_str().expect("an invariant id").to_string())
                                .collect()
                        })
                        .unwrap_or_default(),
                ),
                _ => panic!("{TABLE}: {name}: exactly one of audit_catches, not_observable"),
            };
            (name.clone(), parsed)
        })
        .collect()
}

/// The bundled suite against the embedded reference in `world` with
/// `faults`, every exchange recorded into `har` by the target's recorder.
async fn record_run(world: World, faults: Vec<&'static FaultInfo>, mode: Mode, har: &Path) {
    let recorder = Recorder::create(har).expect("create the HAR file");
    let mut suite = Suite::bundled()
        .expect("bundled cases load")
        .options(RunOptions {
            mode,
            // The reference settles within a step; faults that never
            // settle cost 10 s, enough for the audit to see the cancel go
            // unsettled past its deadline (3 s + 5 s lag, see `audit_file`).
            settle_deadline: Duration::from_secs(10),
            settle_window: run::EMBEDDED_SETTLE_WINDOW,
            ..RunOptions::default()
        })
        .target(TargetSpec::embedded(world, faults).record(recorder.clone()));
    if !world.has_list() {
        suite = suite.skip("list");
    }
    suite.run().await.expect("the suite runs");
    let written = recorder.finish().expect("the HAR file is written");
    assert!(written > 100, "only {written} exchanges recorded");
}

fn audit_file(har: &Path, mode: Mode) -> (AuditReport, Vec<audit::Violation>) {
    let schemas = Schemas::bundled().expect("schemas");
    let mut seen = Vec::new();
    let options = AuditOptions {
        mode,
        // `audit --settle-deadline 3`: the reference settles in a step.
        settle_deadline: Duration::from_secs(3),
        ..AuditOptions::default()
    };
    let report = audit::audit_files(
        &[Input::new(har)],
        &schemas,
        options,
        |v| seen.push(v.clone()),
        |e| panic!("our own HAR has an input error: {e}"),
    );
    (report, seen)
}

fn failed(report: &AuditReport) -> BTreeSet<String> {
    report
        .result
        .failures()
        .flat_map(|c| c.invariants.iter().cloned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_recorded_by_run_audits_clean_in_every_world() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut runs = vec![(World::ALL[0], Mode::Strict)];
    runs.extend(World::ALL.iter().map(|w| (*w, Mode::Lenient)));
    for (world, mode) in runs {
        let har = dir.path().join(format!(
            "ok-{}-{mode:?}.har",
            world.name().replace('/', "-")
        ));
        record_run(world, Vec::new(), mode, &har).await;
        let text = std::fs::read_to_string(&har).expect("read");
        for token in [reference::ALPHA_TOKEN, reference::BETA_TOKEN] {
            assert!(!text.contains(token), "a token reached the HAR");
        }
        let (report, violations) = audit_file(&har, mode);
        let shown: Vec<String> = violations.iter().map(|v| v.line()).collect();
        assert!(
            violations.is_empty(),
            "{} {mode:?}: the clean reference's traffic fails the audit:\n{}",
            world.name(),
            shown.join("\n")
        );
        assert_eq!(
            report.exit_status().code(),
            0,
            "{} {mode:?}: {:?}",
            world.name(),
            report.stats
        );
        assert!(report.stats.audited > 200, "{:?}", report.stats);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_traffic_shows_fails_the_audit_with_an_invariant_it_breaks() {
    let table = load_table();
    let faults = reference::faults();
    let names: BTreeSet<&str> = faults.iter().map(|f| f.name).collect();
    let rows: BTreeSet<&str> = table.keys().map(String::as_str).collect();
    assert_eq!(
        names, rows,
        "{TABLE} must name every fault, and only faults"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let world = World::ALL[0];
    // Four runs at a time: each is a few seconds of mostly waiting.
    let outcomes: Vec<(&FaultInfo, BTreeSet<String>, u8)> =
        futures_util::stream::iter(faults.iter())
            .map(|fault| {
                let har = dir.path().join(format!("{}.har", fault.name));
                async move {
                    record_run(world, vec![fault], Mode::Strict, &har).await;
                    let (report, _) = audit_file(&har, Mode::Strict);
                    (fault, failed(&report), report.exit_status().code())
                }
            })
            .buffer_unordered(4)
            .collect()
            .await;
    let mut problems = Vec::new();
    for (fault, failed, code) in outcomes {
        let breaks: BTreeSet<String> = fault.breaks.iter().map(|s| s.to_string()).collect();
        match &table[fault.name] {
            Row::Catches(ids) => {
                for id in ids {
                    if !breaks.contains(id) {
                        problems.push(format!(
                            "{}: the table says {id}, which it does not break",
                            fault.name
                        ));
                    }
                }
                let blamed: Vec<&String> = failed.iter().filter(|i| ids.contains(i)).collect();
                if code != 1 || blamed.is_empty() {
                    problems.push(format!(
                        "{}: the audit should fail {ids:?}; it exited {code} failing {failed:?}",
                        fault.name
                    ));
                }
            }
            Row::NotObservable(why, may_show) => {
                for id in may_show {
                    if !breaks.contains(id) {
                        problems.push(format!(
                            "{}: may_show names {id}, which it does not break",
                            fault.name
                        ));
                    }
                }
                let unexpected: Vec<&String> =
                    failed.iter().filter(|i| !may_show.contains(i)).collect();
                if !unexpected.is_empty() {
                    problems.push(format!(
                        "{}: not observable ({why}), yet the audit failed {unexpected:?}",
                        fault.name
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The book's table of what traffic shows (docs/src/audit.md) is the
/// code's decision for every invariant, row for row.
#[test]
fn the_books_observability_table_is_the_codes() {
    use opconform::audit::observability::{Observability, judged, observability};
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/src/audit.md");
    let book = std::fs::read_to_string(&path).expect("docs/src/audit.md");
    let mut stale = Vec::new();
    for inv in opconform::contract::catalogue() {
        let o = observability(inv.id).unwrap_or_else(|| panic!("{} is not decided", inv.id));
        let how = match o {
            Observability::NotObservable(why) => why.to_string(),
            _ => judged(inv.id).to_string(),
        };
        let row = format!(
            "| {} | {} | {} |",
            inv.id,
            o.label(),
            opconform::contract::markdown_cell(&how)
        );
        if !book.lines().any(|l| l == row) {
            stale.push(row);
        }
    }
    assert!(
        stale.is_empty(),
        "docs/src/audit.md lacks these rows (regenerate the table):\n{}",
        stale.join("\n")
    );
}
