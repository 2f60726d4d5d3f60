//! The selftest kill matrix as an expected-results table (nextest's
//! fixture-data model): every catalogued fault against the real embedded
//! reference, the bundled cases in strict mode, compared with
//! `tests/data/kill_matrix.toml` (each listed invariant must fail).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use opconform::contract::Mode;
use opconform::reference::{self, FaultInfo};
use opconform::run::{self, FaultRow, RunOptions};

const TABLE: &str = "tests/data/kill_matrix.toml";
const GENERATED_ONLY: &str = "generated-only";

/// What the table says about one fault.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expected {
    /// These invariants of the fault's `breaks` fail (sorted).
    CaughtBy(Vec<String>),
    /// Only generated inputs find it; the fixed cases must not.
    GeneratedOnly,
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expected::GeneratedOnly => write!(f, "\"{GENERATED_ONLY}\""),
            Expected::CaughtBy(ids) => {
                let quoted: Vec<String> = ids.iter().map(|i| format!("\"{i}\"")).collect();
                write!(f, "[{}]", quoted.join(", "))
            }
        }
    }
}

fn load_table() -> BTreeMap<String, Expected> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(TABLE);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{TABLE}: {e}"));
    let doc: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{TABLE}: {e}"));
    let faults = doc
        .get("faults")
        .and_then(toml::Value::as_table)
        .unwrap_or_else(|| panic!("{TABLE}: no [faults] table"));
    faults
        .iter()
        .map(|(name, v)| {
            let expected = match v {
                toml::Value::String(s) if s == GENERATED_ONLY => Expected::GeneratedOnly,
                toml::Value::Array(items) => {
                    let mut ids: Vec<String> = items
                        .iter()
                        .map(|i| {
                            i.as_str()
                                .unwrap_or_else(|| panic!("{TABLE}: {name}: not a string: {i}"))
                                .to_string()
                        })
                        .collect();
                    ids.sort();
                    assert!(!ids.is_empty(), "{TABLE}: {name}: empty list");
                    Expected::CaughtBy(ids)
                }
                other => panic!(
                    "{TABLE}: {name} = {other}: expected a list of invariant IDs or \"{GENERATED_ONLY}\""
                ),
            };
            (name.clone(), expected)
        })
        .collect()
}

/// What a selftest row shows, in the table's terms; `Err` is a stale
/// generated-only classification.
fn observed(row: &FaultRow) -> Result<Expected, String> {
    let mut caught: Vec<String> = row
        .failed_invariants
        .iter()
        .filter(|i| row.breaks.contains(&i.as_str()))
        .cloned()
        .collect();
    caught.sort();
    if row.generated_only {
        return if caught.is_empty() {
            Ok(Expected::GeneratedOnly)
        } else {
            Err(format!(
                "{} is generated-only but the bundled cases catch it by {caught:?}: \
                 drop its generated_only flag in src/reference/faults.rs",
                row.fault
            ))
        };
    }
    Ok(Expected::CaughtBy(caught))
}

/// True when the run caught every invariant the table requires (more of
/// the fault's `breaks` may fail too: some are only evidenced when timing
/// makes them visible, e.g. started_at order across a second boundary).
fn caught_at_least(want: &Expected, got: &Expected) -> bool {
    match (want, got) {
        (Expected::GeneratedOnly, Expected::GeneratedOnly) => true,
        (Expected::CaughtBy(w), Expected::CaughtBy(g)) => w.iter().all(|i| g.contains(i)),
        _ => false,
    }
}

#[test]
fn table_comparison_flags_misses_but_not_extra_catches() {
    let list = |ids: &[&str]| Expected::CaughtBy(ids.iter().map(|s| s.to_string()).collect());
    assert!(caught_at_least(&list(&["A"]), &list(&["A", "B"])));
    assert!(!caught_at_least(&list(&["A", "B"]), &list(&["A"])));
    assert!(!caught_at_least(&list(&["A"]), &list(&[])));
    assert!(caught_at_least(
        &Expected::GeneratedOnly,
        &Expected::GeneratedOnly
    ));
    assert!(!caught_at_least(&Expected::GeneratedOnly, &list(&["A"])));
    assert!(!caught_at_least(&list(&["A"]), &Expected::GeneratedOnly));
}

#[test]
fn table_names_every_catalogued_fault_and_agrees_on_generated_only() {
    let table = load_table();
    for info in reference::faults() {
        match table.get(info.name) {
            None => panic!("{TABLE} lacks fault {}", info.name),
            Some(Expected::GeneratedOnly) => assert!(
                info.generated_only,
                "{TABLE} lists {} as generated-only; the catalogue does not",
                info.name
            ),
            Some(Expected::CaughtBy(ids)) => {
                assert!(
                    !info.generated_only,
                    "{} is generated-only in the catalogue",
                    info.name
                );
                for id in ids {
                    assert!(
                        info.breaks.contains(&id.as_str()),
                        "{TABLE}: {} lists {id}, which is not in its breaks {:?}",
                        info.name,
                        info.breaks
                    );
                }
            }
        }
    }
    assert_eq!(
        table.len(),
        reference::faults().len(),
        "{TABLE} names unknown faults"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_matrix_matches_the_expected_results_table() {
    let table = load_table();
    let cases = run::load_bundled().expect("bundled cases load");
    let faults: Vec<&'static FaultInfo> = reference::faults().iter().collect();
    let options = RunOptions {
        mode: Mode::Strict,
        // The reference settles a cancel within one 100 ms step; 2 s caps
        // every `eventually` so faults that never settle cost 2 s, not 5.
        settle_deadline: Duration::from_secs(2),
        ..RunOptions::default()
    };
    let matrix = run::selftest(&cases, &options, &faults, 4, 6)
        .await
        .expect("selftest runs");
    assert!(
        matrix.reference_failures.is_empty(),
        "the clean reference fails: {:?}",
        matrix.reference_failures
    );
    let mut diff: Vec<String> = Vec::new();
    for row in &matrix.rows {
        let got = match observed(row) {
            Ok(got) => got,
            Err(stale) => {
                diff.push(format!("! {stale}"));
                continue;
            }
        };
        match table.get(row.fault) {
            None => diff.push(format!(
                "+ {} = {got}    (new fault, not in the table)",
                row.fault
            )),
            Some(want) if !caught_at_least(want, &got) => {
                let note = match &got {
                    Expected::CaughtBy(ids) if ids.is_empty() => format!(
                        "NEWLY MISSED; failed invariants: {:?}",
                        row.failed_invariants
                    ),
                    _ => "caught differently".to_string(),
                };
                diff.push(format!(
                    "~ {}: table {want}, run {got}    ({note})",
                    row.fault
                ));
            }
            Some(_) => {}
        }
    }
    for name in table.keys() {
        if !matrix.rows.iter().any(|r| r.fault == name) {
            diff.push(format!("- {name}    (in the table, not catalogued)"));
        }
    }
    assert!(
        diff.is_empty(),
        "the kill matrix differs from {TABLE}:\n{}\n",
        diff.join("\n")
    );
    // Every non-generated fault is caught, so the CLI's selftest passes too.
    assert!(matrix.passes());
}
