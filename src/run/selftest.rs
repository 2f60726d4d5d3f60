//! `selftest`: the suite against the clean reference and against each
//! catalogued fault, summarised as a kill matrix.

use std::collections::BTreeSet;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::case::PlannedCase;
use crate::contract::Schemas;
use crate::model::{CaseOutcome, RunResult, Verdict};
use crate::reference::{self, FaultInfo, ReferenceConfig, ReferenceServer};

use super::engine::Engine;
use super::options::{RunOptions, Target};
use super::run_all::run_all;

/// Selftest could not run.
#[derive(Debug, thiserror::Error)]
pub enum SelftestError {
    /// A target (reference instance) could not be started.
    #[error("start the reference server{}: {source}", fault.map(|f| format!(" with fault {f}")).unwrap_or_default())]
    Launch {
        /// The fault it was started with.
        fault: Option<&'static str>,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The engine could not be built.
    #[error(transparent)]
    Client(#[from] super::client::ClientError),
    /// Schemas could not be loaded.
    #[error(transparent)]
    Schemas(#[from] crate::contract::SchemaError),
}

/// Whether a fault was caught.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detection {
    /// At least one of the invariants the fault breaks failed.
    Detected {
        /// The failed invariants among the fault's `breaks`.
        by: Vec<String>,
    },
    /// Only invariants outside the fault's `breaks` failed (counts as missed).
    OtherInvariantsOnly {
        /// The failed invariants.
        by: Vec<String>,
    },
    /// Nothing failed.
    Missed,
}

/// One row of the kill matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRow {
    /// Fault name.
    pub fault: &'static str,
    /// What the fault does.
    pub summary: &'static str,
    /// The invariants it breaks.
    pub breaks: Vec<&'static str>,
    /// Only generated inputs (fuzz) are expected to find it.
    pub generated_only: bool,
    /// Every invariant that failed against it.
    pub failed_invariants: Vec<String>,
    /// The verdict.
    pub detection: Detection,
}

impl FaultRow {
    /// True when one of the fault's own invariants failed.
    pub fn detected(&self) -> bool {
        matches!(self.detection, Detection::Detected { .. })
    }
}

/// The result of a selftest.
#[derive(Debug, Clone)]
pub struct KillMatrix {
    /// The run against the clean reference.
    pub reference: RunResult,
    /// Cases that failed (or were flaky) against the clean reference.
    pub reference_failures: Vec<String>,
    /// One row per fault, in the order given.
    pub rows: Vec<FaultRow>,
}

impl KillMatrix {
    /// True when the reference passed everything and every fault outside the
    /// generated-only group was detected.
    pub fn passes(&self) -> bool {
        self.reference_failures.is_empty()
            && self.rows.iter().all(|r| r.generated_only || r.detected())
    }

    /// Did `invariant` fail against `fault`?
    pub fn caught_by(&self, fault: &str, invariant: &str) -> bool {
        self.rows
            .iter()
            .any(|r| r.fault == fault && r.failed_invariants.iter().any(|i| i == invariant))
    }
}

/// A target started for one selftest run.
#[derive(Debug)]
pub struct Launched {
    /// Where it is and its credentials/fixtures.
    pub target: Target,
    /// The reference instance to shut down afterwards, if any.
    pub server: Option<ReferenceServer>,
}

/// Invariants with a failing check in a failed or flaky case.
pub fn failed_invariants(result: &RunResult) -> Vec<String> {
    let mut out = BTreeSet::new();
    for case in &result.cases {
        if matches!(case.outcome, CaseOutcome::Failed | CaseOutcome::Flaky) {
            for check in case.steps.iter().flat_map(|s| &s.checks) {
                if check.verdict == Verdict::Fail {
                    out.insert(check.invariant.clone());
                }
            }
        }
    }
    out.into_iter().collect()
}

/// Classifies the failed invariants of a run against `fault`.
pub fn detection(fault: &FaultInfo, failed: &[String]) -> Detection {
    let by: Vec<String> = failed
        .iter()
        .filter(|i| fault.breaks.contains(&i.as_str()))
        .cloned()
        .collect();
    if !by.is_empty() {
        Detection::Detected { by }
    } else if !failed.is_empty() {
        Detection::OtherInvariantsOnly {
            by: failed.to_vec(),
        }
    } else {
        Detection::Missed
    }
}

/// Runs the suite once without a fault and once per fault, on targets
/// `launch` starts, one after another.
pub async fn selftest_with<F, Fut>(
    cases: &[PlannedCase],
    options: &RunOptions,
    faults: &[&'static FaultInfo],
    concurrency: usize,
    launch: F,
) -> Result<KillMatrix, SelftestError>
where
    F: Fn(Option<&'static FaultInfo>) -> Fut,
    Fut: Future<Output = Result<Launched, SelftestError>>,
{
    let once = |fault: Option<&'static FaultInfo>| {
        let launched = launch(fault);
        async move {
            let launched = launched.await?;
            let engine = Arc::new(Engine::new(
                launched.target,
                options.clone(),
                Schemas::bundled()?,
            )?);
            let result = run_all(engine, cases.to_vec(), concurrency).await;
            if let Some(server) = launched.server {
                server.shutdown().await;
            }
            Ok::<RunResult, SelftestError>(result)
        }
    };
    let reference = once(None).await?;
    let reference_failures = reference
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, CaseOutcome::Failed | CaseOutcome::Flaky))
        .map(|c| c.name.clone())
        .collect();
    let mut rows = Vec::new();
    for fault in faults {
        let result = once(Some(fault)).await?;
        let failed = failed_invariants(&result);
        rows.push(FaultRow {
            fault: fault.name,
            summary: fault.summary,
            breaks: fault.breaks.to_vec(),
            generated_only: fault.generated_only,
            detection: detection(fault, &failed),
            failed_invariants: failed,
        });
    }
    Ok(KillMatrix {
        reference,
        reference_failures,
        rows,
    })
}

/// The embedded reference as a selftest target: loopback, 20 ms steps,
/// fixtures on, both workspaces' tokens.
pub async fn launch_reference(
    fault: Option<&'static FaultInfo>,
) -> Result<Launched, SelftestError> {
    let config = ReferenceConfig {
        step_length: Duration::from_millis(20),
        faults: fault.into_iter().collect(),
        fixtures: true,
        ..ReferenceConfig::default()
    };
    let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
    let server = ReferenceServer::start(config, addr)
        .await
        .map_err(|source| SelftestError::Launch {
            fault: fault.map(|f| f.name),
            source,
        })?;
    let target = Target {
        base_url: server.base_url(),
        token: Some(reference::ALPHA_TOKEN.to_string()),
        foreign_token: Some(reference::BETA_TOKEN.to_string()),
        context: None,
        fixtures_url: Some(server.fixtures_url()),
        static_ops: Vec::new(),
        embedded: true,
        faults: fault.map(|f| vec![f.name.to_string()]).unwrap_or_default(),
    };
    Ok(Launched {
        target,
        server: Some(server),
    })
}

/// [`selftest_with`] against the embedded reference.
pub async fn selftest(
    cases: &[PlannedCase],
    options: &RunOptions,
    faults: &[&'static FaultInfo],
    concurrency: usize,
) -> Result<KillMatrix, SelftestError> {
    selftest_with(cases, options, faults, concurrency, launch_reference).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAULT: FaultInfo = FaultInfo {
        name: "f",
        summary: "s",
        breaks: &["A", "B"],
        generated_only: false,
    };

    #[test]
    fn detection_prefers_own_invariants() {
        assert_eq!(
            detection(&FAULT, &["B".into(), "C".into()]),
            Detection::Detected {
                by: vec!["B".into()]
            }
        );
        assert_eq!(
            detection(&FAULT, &["C".into()]),
            Detection::OtherInvariantsOnly {
                by: vec!["C".into()]
            }
        );
        assert_eq!(detection(&FAULT, &[]), Detection::Missed);
    }
}
