//! `opconform fuzz`'s flags and profile, resolved once into the session's
//! configuration and target (flag > profile > default). Everything that
//! can be wrong with the input is found here, before anything is sent.

use std::time::Duration;

use crate::exit::ExitStatus;
use crate::fuzz::FuzzConfig;
use crate::reference::{self, ReferenceConfig};
use crate::report;
use crate::target::{TargetSpec, embedded_config};

use super::args::FuzzArgs;
use crate::cli::target_args::TargetArgs;

/// Per-request deadline when neither `--request-timeout` nor the profile
/// sets one.
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The embedded reference's own workspace: the alpha token's.
const EMBEDDED_WORKSPACE: &str = "ws_alpha";

/// Everything `opconform fuzz` does, decided.
pub(crate) struct FuzzSettings {
    /// The session's configuration.
    pub config: FuzzConfig,
    /// What to fuzz and how to reach it.
    pub spec: TargetSpec,
    /// Reports to write.
    pub formats: Vec<report::Format>,
    /// TLS certificates are not checked (a warning is printed).
    pub insecure: bool,
    /// `--har`: where every exchange is recorded.
    pub recorder: Option<crate::target::Recorder>,
}

pub(crate) fn bad(msg: impl std::fmt::Display) -> ExitStatus {
    eprintln!("error: {msg}");
    ExitStatus::BadInput
}

impl FuzzSettings {
    /// Resolves `args` over the chosen profile.
    pub(crate) fn resolve(args: &FuzzArgs) -> Result<FuzzSettings, ExitStatus> {
        if args.follow_redirects {
            return Err(bad(
                "--follow-redirects: the fuzzer never follows redirects (a redirect status is \
                 judged like any other); drop the flag",
            ));
        }
        let (profile, target_url) = args.target.start(&args.world, &args.faults)?;
        let formats = args.reports.formats(None)?;
        if args.concurrency == 0 {
            return Err(bad("--concurrency must be at least 1"));
        }
        if args.max_failures == 0 {
            return Err(bad("--max-failures must be at least 1"));
        }
        let faults = reference::faults_named(&args.faults).map_err(bad)?;
        let world = args.world.world();
        let step_length = Duration::from_millis(args.step_ms.max(1));
        let embedded = || {
            let config = ReferenceConfig {
                step_length,
                ..embedded_config(world, faults)
            };
            TargetSpec::reference(config).context(EMBEDDED_WORKSPACE)
        };
        let mut spec = args.target.spec(&profile, embedded, false, false)?;
        let recorder = crate::cli::har::recorder(args.target.har.as_deref())?;
        if let Some(r) = &recorder {
            spec = spec.record(r.clone());
        }
        let config = FuzzConfig {
            cases: args
                .cases
                .unwrap_or(if args.time.is_some() { u64::MAX } else { 1000 }),
            time: args.time.map(Duration::from_secs),
            seed: args
                .seed
                .unwrap_or_else(|| uuid::Uuid::new_v4().as_u64_pair().0),
            stateful: args.stateful,
            concurrency: args.concurrency,
            mode: TargetArgs::mode(args.strict, args.lenient, &profile),
            regressions: (!args.no_regressions).then(|| args.regressions.clone()),
            request_timeout: args
                .request_timeout
                .or(profile.request_timeout)
                .unwrap_or(DEFAULT_REQUEST_TIMEOUT),
            max_failures: args.max_failures,
            list: !args.no_list && (target_url.is_some() || world.has_list()),
            ..FuzzConfig::default()
        };
        Ok(FuzzSettings {
            config,
            spec,
            formats,
            insecure: args.target.insecure(&profile),
            recorder,
        })
    }
}
