//! [`Suite`]: the cases, the options and the target of one run, built
//! step by step and run with [`Suite::run`] or as `cargo test` trials.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use libtest_mimic::Arguments;

use super::error::SuiteError;
use crate::case::PlannedCase;
use crate::contract::{Mode, Schemas};
use crate::model::{CaseOutcome, RunResult};
use crate::report::console;
use crate::run::{self, Engine, FailOn, RunOptions, TrialRun};
use crate::target::{Launched, TargetSpec, launch, unlaunched};

/// A conformance suite ready to run: case files, options and a target.
///
/// ```no_run
/// # async fn demo() -> Result<(), opconform::SuiteError> {
/// use opconform::{Suite, TargetSpec};
///
/// let result = Suite::bundled()?
///     .strict(false)
///     .target(
///         TargetSpec::url("http://127.0.0.1:8080/v1")
///             .token("sk_test_alpha")
///             .fixtures("/__fixtures/operations"),
///     )
///     .run()
///     .await?;
/// assert!(result.passed(), "{}", opconform::Suite::explain(&result));
/// # Ok(())
/// # }
/// ```
pub struct Suite {
    cases: Vec<PlannedCase>,
    schemas: Option<Schemas>,
    options: RunOptions,
    fail_on: FailOn,
    concurrency: usize,
    target: Option<TargetSpec>,
}

impl std::fmt::Debug for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Hand-written: the target's tokens and secrets never reach a log.
        f.debug_struct("Suite")
            .field("cases", &self.cases.len())
            .field("mode", &self.options.mode)
            .field("fail_on", &self.fail_on)
            .field("concurrency", &self.concurrency)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl Suite {
    /// A suite of already planned cases (`opconform run` loads and
    /// partitions them itself).
    pub(crate) fn with_cases(cases: Vec<PlannedCase>) -> Suite {
        Suite {
            cases,
            schemas: None,
            options: RunOptions::default(),
            fail_on: FailOn::default(),
            concurrency: 4,
            target: None,
        }
    }

    /// The case files compiled into opconform (what `opconform run` runs).
    ///
    /// ```
    /// let suite = opconform::Suite::bundled()?;
    /// assert!(suite.case_names().any(|n| n.starts_with("auth::")));
    /// # Ok::<(), opconform::SuiteError>(())
    /// ```
    pub fn bundled() -> Result<Suite, SuiteError> {
        run::load_bundled()
            .map(Suite::with_cases)
            .map_err(SuiteError::Cases)
    }

    /// Case files, or directories standing for their `*.toml` files (e.g.
    /// `&["cases/", "tests/my_cases.toml"]`). Every file is checked before
    /// anything is sent; the error lists every problem with file and
    /// line:column.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("mine.toml");
    /// std::fs::write(&path, r#"
    /// [[case]]
    /// name = "get_running"
    /// fixture = "running"
    /// invariants = ["GET-200"]
    /// [[case.step]]
    /// request = { method = "GET", path = "/operations/{{ op.id }}" }
    /// expect = { status = "GET-200", body = "operation" }
    /// "#).unwrap();
    /// let suite = opconform::Suite::from_paths(&[&path])?;
    /// assert_eq!(suite.case_names().collect::<Vec<_>>(), ["mine::get_running"]);
    /// # Ok::<(), opconform::SuiteError>(())
    /// ```
    pub fn from_paths<P: AsRef<Path>>(paths: &[P]) -> Result<Suite, SuiteError> {
        let paths: Vec<PathBuf> = paths.iter().map(|p| p.as_ref().to_path_buf()).collect();
        run::load_cases(&paths)
            .map(Suite::with_cases)
            .map_err(SuiteError::Cases)
    }

    /// The trial names, in plan order: `file::case` or `file::case[row]`.
    pub fn case_names(&self) -> impl Iterator<Item = &str> {
        self.cases.iter().map(|c| c.name.as_str())
    }

    /// The planned cases (after table expansion).
    pub fn cases(&self) -> &[PlannedCase] {
        &self.cases
    }

    /// Keeps only the cases whose trial name contains `substring` (for
    /// [`Suite::run`]; under [`crate::harness_main`] use `cargo test -- FILTER`).
    pub fn filter(mut self, substring: &str) -> Suite {
        self.cases.retain(|c| c.name.contains(substring));
        self
    }

    /// Drops the cases whose trial name contains `substring`.
    pub fn skip(mut self, substring: &str) -> Suite {
        self.cases.retain(|c| !c.name.contains(substring));
        self
    }

    /// Strict mode demands akua's own status conventions and runs the
    /// strict-only invariants; lenient (the default) accepts every status
    /// the contract allows.
    pub fn strict(mut self, strict: bool) -> Suite {
        self.options.mode = if strict { Mode::Strict } else { Mode::Lenient };
        self
    }

    /// Which failures fail a trial under [`crate::harness_main`]
    /// (default [`FailOn::Should`]). [`RunResult::passed`] is always the
    /// strict reading; use [`run::run_fails`] for `FailOn::Must`.
    pub fn fail_on(mut self, fail_on: FailOn) -> Suite {
        self.fail_on = fail_on;
        self
    }

    /// Cases run at once by [`Suite::run`] (default 4; trials under
    /// [`crate::harness_main`] follow `--test-threads`).
    pub fn concurrency(mut self, n: usize) -> Suite {
        self.concurrency = n.max(1);
        self
    }

    /// Judges bodies against `schemas` (loaded already).
    pub(crate) fn schemas(mut self, schemas: Schemas) -> Suite {
        self.schemas = Some(schemas);
        self
    }

    /// Takes the schemas from an OpenAPI 3.1 document instead of the
    /// bundled ones.
    pub fn openapi(mut self, path: impl AsRef<Path>) -> Result<Suite, SuiteError> {
        self.schemas = Some(Schemas::from_openapi(path.as_ref())?);
        Ok(self)
    }

    /// Every runner option at once (timeouts, deadlines, settle window,
    /// waivers). Set [`Suite::strict`] after it, not before. Body cap, rate,
    /// TLS and secrets belong to the target ([`TargetSpec`]).
    pub fn options(mut self, options: RunOptions) -> Suite {
        self.options = options;
        self
    }

    /// Upper bound of every `eventually` deadline (default 30 s).
    pub fn settle_deadline(mut self, deadline: Duration) -> Suite {
        self.options.settle_deadline = deadline;
        self
    }

    /// Whole-run deadline (default 10 min); cases not finished by then are
    /// `not_run`, and [`RunResult::passed`] is false.
    pub fn deadline(mut self, deadline: Duration) -> Suite {
        self.options.deadline = Some(deadline);
        self
    }

    /// What to run against.
    pub fn target(mut self, target: TargetSpec) -> Suite {
        self.target = Some(target);
        self
    }

    /// Shorthand for `.target(TargetSpec::router(router))`: serves `router`
    /// on `127.0.0.1:0` for the run, API under `/v1`, no token and no
    /// fixture provider. Use [`TargetSpec::router`] to set those.
    pub fn serve_router(self, router: axum::Router) -> Suite {
        self.target(TargetSpec::router(router))
    }

    /// Runs every case (at most [`Suite::concurrency`] at once) and returns
    /// the result. Failed invariants are in the result, not errors; an
    /// unreachable target is an error.
    pub async fn run(self) -> Result<RunResult, SuiteError> {
        let concurrency = self.concurrency;
        let cases = self.cases.clone();
        let (engine, launched) = self.start(true).await?;
        let result = run::run_all(engine, cases, concurrency).await;
        if let Some(launched) = launched {
            launched.shutdown().await;
        }
        Ok(result)
    }

    /// A human-readable account of every failed or unrun case of `result`
    /// (what was sent, what came back, which invariant broke): a good
    /// `assert!` message.
    pub fn explain(result: &RunResult) -> String {
        // Results are redacted by the runner already; nothing more to hide.
        let redactor = crate::redact::Redactor::default();
        let mut out = String::new();
        for case in result
            .cases
            .iter()
            .filter(|c| matches!(c.outcome, CaseOutcome::Failed | CaseOutcome::Flaky))
        {
            out.push_str(&format!("---- {} ----\n", case.name));
            out.push_str(&console::failure_message(case, &redactor));
        }
        for case in result.not_run() {
            out.push_str(&format!(
                "---- {} ---- {}\n",
                case.name,
                case.outcome.label()
            ));
        }
        let closing = if result.passed() {
            console::Closing::Ok
        } else if result.failures().next().is_none()
            && result.count("flaky") == 0
            && result.not_run().next().is_none()
        {
            console::Closing::Empty
        } else {
            console::Closing::Failed
        };
        out.push_str(&console::closing_line(result, closing));
        out
    }

    /// Runs the cases as libtest trials under `args` on `rt` (blocking).
    pub(crate) fn run_trials(
        self,
        rt: &tokio::runtime::Runtime,
        args: &Arguments,
    ) -> Result<TrialRun, SuiteError> {
        let fail_on = self.fail_on;
        let cases = self.cases.clone();
        // Listing sends nothing: no server, no probe.
        let (engine, launched) = rt.block_on(self.start(!args.list))?;
        let redactor = engine.redactor().clone();
        let render: run::FailureRenderer =
            Arc::new(move |c| console::failure_message(c, &redactor));
        let trial_run = run::run_trials(engine, cases, args, rt.handle().clone(), fail_on, render);
        if let Some(launched) = launched {
            rt.block_on(launched.shutdown());
        }
        Ok(trial_run)
    }

    /// The engine for this suite's target, made live first and reached
    /// (probed, or waited for) when `live`; without, nothing is started and
    /// nothing sent (`--list`).
    async fn start(self, live: bool) -> Result<(Arc<Engine>, Option<Launched>), SuiteError> {
        let schemas = match self.schemas {
            Some(s) => s,
            None => Schemas::bundled()?,
        };
        let spec = self.target.ok_or(SuiteError::NoTarget)?;
        if !live {
            let engine = Engine::new(unlaunched(&spec), self.options, schemas)?;
            return Ok((Arc::new(engine), None));
        }
        let launched = launch(spec).await?;
        let engine = Arc::new(Engine::new(launched.target.clone(), self.options, schemas)?);
        if let Err(why) = engine.reach().await {
            launched.shutdown().await;
            return Err(SuiteError::Unreachable(why));
        }
        Ok((engine, Some(launched)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_and_skip_select_by_trial_name() {
        let all = Suite::bundled().unwrap();
        let total = all.cases().len();
        let waits = Suite::bundled().unwrap().filter("wait::");
        assert!(waits.case_names().all(|n| n.starts_with("wait::")));
        assert!(!waits.cases().is_empty());
        let rest = Suite::bundled().unwrap().skip("wait::");
        assert_eq!(rest.cases().len() + waits.cases().len(), total);
    }

    #[test]
    fn debug_hides_secrets_and_tokens() {
        let suite = Suite::bundled()
            .unwrap()
            .options(RunOptions::default())
            .target(
                TargetSpec::url("http://h/v1")
                    .token("tok_secret")
                    .secret("hunter2"),
            );
        let shown = format!("{suite:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("tok_secret"), "{shown}");
    }
}
