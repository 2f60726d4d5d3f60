//! The library entry point of `opconform race`: the scenarios against a
//! launched [`Target`], their reports and the run in the result model.

use std::time::{Instant, SystemTime};

use crate::model::RunResult;
use crate::reference::{FaultInfo, ReferenceConfig};
use crate::target::{HttpClient, Target, TargetSpec, World, embedded_config, reach};

/// Steps of the embedded reference under races: a cancel settles within
/// ~50 ms, so a trial takes a fraction of a second.
pub const EMBEDDED_STEP: std::time::Duration = std::time::Duration::from_millis(50);
/// Live steps of the embedded reference under races: a live operation
/// finishes in ~1 s.
pub const EMBEDDED_LIVE_STEP: std::time::Duration = std::time::Duration::from_millis(100);

/// The embedded reference races run against: `world`, `faults`, and the
/// short steps above.
pub fn embedded(world: World, faults: Vec<&'static FaultInfo>) -> TargetSpec {
    TargetSpec::reference(ReferenceConfig {
        step_length: EMBEDDED_STEP,
        live_step: EMBEDDED_LIVE_STEP,
        ..embedded_config(world, faults)
    })
}

/// Longest wait for one probe of the target before the races.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

use super::barrier::{Origin, RaceError};
use super::result::{self, RunInfo};
use super::scenarios::explore::{ExploreConfig, Explored};
use super::scenarios::{self, RaceOptions, RaceTarget, Scenario, ScenarioReport};

/// What a race run found.
#[derive(Debug, Clone)]
pub struct RaceRun {
    /// One report per scenario, in the order asked.
    pub reports: Vec<ScenarioReport>,
    /// The same, in the result model (what reports render and the gate reads).
    pub result: RunResult,
}

impl RaceTarget {
    /// Where to race on `target`: its base URL, token, `akua-context` and
    /// fixture provider (races need fresh operations for every trial).
    pub fn of(target: &Target) -> Result<RaceTarget, RaceError> {
        let token = target.token.clone().ok_or_else(|| {
            RaceError::Needs(
                "a token (--token or OPCONFORM_TOKEN): every race sends cancels".into(),
            )
        })?;
        let fixtures_url = target.fixtures_url.clone().ok_or_else(|| {
            RaceError::Needs(
                "a fixture provider (--fixtures URL): every trial races on a fresh operation"
                    .into(),
            )
        })?;
        // Races hold raw connections: plain http only, found before anything is sent.
        Origin::parse(&target.base_url)?;
        Origin::parse(&fixtures_url)?;
        Ok(RaceTarget {
            base_url: target.base_url.clone(),
            token,
            context: target.context.clone(),
            fixtures_url,
        })
    }
}

/// What a concurrent exploration found.
#[derive(Debug, Clone)]
pub struct ExploreRun {
    /// Programs run, and the first failure shrunk.
    pub explored: Explored,
    /// The same, in the result model.
    pub result: RunResult,
}

/// Explores `target` with random concurrent programs
/// (`fuzz --concurrent-clients K`).
pub async fn explore(target: &Target, config: &ExploreConfig) -> Result<ExploreRun, RaceError> {
    let started_at = SystemTime::now();
    let started = Instant::now();
    let on = ready(target, &config.options).await?;
    let explored = scenarios::explore::explore(&on, config).await?;
    let info = RunInfo {
        base_url: target.base_url.clone(),
        embedded: target.embedded,
        faults: target.faults.clone(),
        mode: config.options.mode,
        clients: config.clients,
        started_at,
        started,
    };
    let result = result::explored_result(&explored, config, &info, &target.redactor());
    Ok(ExploreRun { explored, result })
}

/// The race target of `target`, once it answers.
async fn ready(target: &Target, options: &RaceOptions) -> Result<RaceTarget, RaceError> {
    let on = RaceTarget::of(target)?;
    let client = HttpClient::new(target)
        .map_err(|e| RaceError::Needs(format!("a working HTTP client: {e}")))?;
    reach(&client, target, options.request_timeout.min(PROBE_TIMEOUT))
        .await
        .map_err(RaceError::Unreachable)?;
    Ok(on)
}

/// Runs `scenarios` against `target`, one after another.
pub async fn race(
    target: &Target,
    scenarios: &[Scenario],
    options: &RaceOptions,
) -> Result<RaceRun, RaceError> {
    let started_at = SystemTime::now();
    let started = Instant::now();
    let on = ready(target, options).await?;
    let reports = scenarios::run_all(&on, scenarios, options).await?;
    let info = RunInfo {
        base_url: target.base_url.clone(),
        embedded: target.embedded,
        faults: target.faults.clone(),
        mode: options.mode,
        clients: options.clients,
        started_at,
        started,
    };
    let redactor = target.redactor();
    if let Some(recorder) = &target.recorder {
        result::record_har(&reports, recorder, &target.base_url, &redactor);
    }
    let result = result::run_result(&reports, &info, &redactor);
    Ok(RaceRun { reports, result })
}
