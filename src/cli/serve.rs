//! `opconform serve`: the reference server of the Operations API, optionally
//! with catalogued faults, until Ctrl-C.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use crate::exit::ExitStatus;
use crate::reference::{
    DEFAULT_IDEMPOTENCY_CAPACITY, DEFAULT_MAX_OPERATIONS, DEFAULT_RETENTION, Dialect,
    ReferenceConfig, ReferenceServer, Tempo, TokenGrant, faults, faults_named,
};

/// Prints a line to stdout, ignoring a closed pipe (`serve | head` must
/// not panic the server).
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// Arguments of `opconform serve`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  opconform serve
  opconform serve --addr 127.0.0.1:18080 --step-ms 50
  opconform serve --fault done-lags-state --fault wait-no-wake
  opconform serve --token sk_akua_test_alpha=ws_alpha --token sk_other=ws_other
  opconform serve --token sk_broad=ws_alpha,ws_gamma
  opconform serve --dialect alternate --tempo live
  opconform serve --retention 60 --max-operations 5000
  opconform serve --list-faults

Create an operation to play with (Pact-style provider state):
  curl -s -X POST http://127.0.0.1:8080/__fixtures/operations \\
       -H 'Authorization: Bearer sk_akua_test_alpha' -d '{\"state\":\"running\"}'")]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Switch on a catalogued fault (repeatable; see --list-faults).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// List every catalogued fault (name, what it does, what it breaks) and exit.
    #[arg(long)]
    pub list_faults: bool,
    /// Which documented alternatives to answer with: akua (202, 422, 400,
    /// 409 on a stale If-Match, ApiErrorResponse, a list endpoint) or
    /// alternate (200, 409, 422, 412, {"error": {...}}, no list endpoint).
    #[arg(long, value_name = "DIALECT", default_value = "akua")]
    pub dialect: Dialect,
    /// frozen: `running` fixtures stay RUNNING until cancelled; live: they
    /// advance every --live-step-ms, fail one step once, retry it, and
    /// succeed after about ten changes.
    #[arg(long, value_name = "TEMPO", default_value = "frozen")]
    pub tempo: Tempo,
    /// Length of one simulated lifecycle step (the cancel drain, the
    /// `retrying` fixture's steps), in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub step_ms: u64,
    /// Step of a live operation (--tempo live), in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub live_step_ms: u64,
    /// Seconds a finished operation stays readable; then it answers 404.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_RETENTION.as_secs())]
    pub retention: u64,
    /// Operations kept at most; beyond it the least recently read of the
    /// 16 oldest is evicted (operations in use survive).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_OPERATIONS)]
    pub max_operations: usize,
    /// Turn the fixture endpoint POST /__fixtures/operations off (404).
    #[arg(long)]
    pub no_fixtures: bool,
    /// Accept TOKEN for WORKSPACE (repeatable; replaces the default
    /// tokens). TOKEN=WS1,WS2 defines a broad token covering several
    /// workspaces: akua-context selects one, WS1 without it (a trailing
    /// comma, TOKEN=WS1, makes a broad token of one workspace).
    #[arg(long = "token", value_name = "TOKEN=WORKSPACE[,WORKSPACE...]", value_parser = parse_grant)]
    pub tokens: Vec<TokenGrant>,
    /// How long an Idempotency-Key is remembered, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 24 * 3600)]
    pub idempotency_ttl_secs: u64,
    /// How many Idempotency-Keys are remembered at most (oldest evicted).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_IDEMPOTENCY_CAPACITY)]
    pub idempotency_capacity: usize,
}

fn parse_grant(s: &str) -> Result<TokenGrant, String> {
    let bad = || {
        format!(
            "expected TOKEN=WORKSPACE or TOKEN=WS1,WS2 (broad), \
             e.g. sk_akua_test_alpha=ws_alpha; got {s:?}"
        )
    };
    let (token, workspaces) = s.split_once('=').ok_or_else(bad)?;
    if token.is_empty() {
        return Err(bad());
    }
    if !workspaces.contains(',') {
        if workspaces.is_empty() {
            return Err(bad());
        }
        return Ok(TokenGrant::workspace(token, workspaces));
    }
    let list: Vec<&str> = workspaces.split(',').map(str::trim).collect();
    // Only a trailing comma may leave an empty name (`T=WS,`).
    let (last, rest) = list.split_last().ok_or_else(bad)?;
    if rest.is_empty() || rest.iter().any(|w| w.is_empty()) {
        return Err(bad());
    }
    let covered = rest.iter().chain((!last.is_empty()).then_some(last));
    Ok(TokenGrant::broad(token, covered.copied()))
}

/// The config the arguments describe, or the message for a bad fault name.
fn config(args: &ServeArgs) -> Result<ReferenceConfig, String> {
    let mut config = ReferenceConfig {
        dialect: args.dialect,
        tempo: args.tempo,
        step_length: Duration::from_millis(args.step_ms.max(1)),
        live_step: Duration::from_millis(args.live_step_ms.max(1)),
        retention: Duration::from_secs(args.retention),
        max_operations: args.max_operations.max(1),
        fixtures: !args.no_fixtures,
        idempotency_ttl: Duration::from_secs(args.idempotency_ttl_secs),
        idempotency_capacity: args.idempotency_capacity.max(1),
        ..ReferenceConfig::default()
    };
    if !args.tokens.is_empty() {
        config.tokens = args.tokens.clone();
    }
    config
        .faults
        .extend(faults_named(&args.faults).map_err(|e| e.to_string())?);
    Ok(config)
}

/// Runs `opconform serve`.
pub fn main(args: ServeArgs) -> ExitStatus {
    if args.list_faults {
        let width = faults().iter().map(|f| f.name.len()).max().unwrap_or(0);
        for f in faults() {
            let generated = if f.generated_only {
                " [generated inputs only]"
            } else {
                ""
            };
            say!(
                "{:width$}  {}  (breaks {}){generated}",
                f.name,
                f.summary,
                f.breaks.join(", ")
            );
        }
        return ExitStatus::Success;
    }
    let config = match config(&args) {
        Ok(c) => c,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitStatus::BadInput;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: failed to start the async runtime: {e}");
            return ExitStatus::TargetUnreachable;
        }
    };
    runtime.block_on(serve(args.addr, config))
}

async fn serve(addr: SocketAddr, config: ReferenceConfig) -> ExitStatus {
    let tokens = config.tokens.clone();
    let world = format!(
        "{} (live step {} ms)",
        config.tempo,
        config.live_step.as_millis()
    );
    let (dialect, tempo) = (config.dialect, config.tempo);
    let limits = format!(
        "{} operations, finished ones for {} s",
        config.max_operations,
        config.retention.as_secs()
    );
    let fault_names: Vec<&str> = config.faults.iter().map(|f| f.name).collect();
    let server = match ReferenceServer::start(config, addr).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: failed to listen on {addr}: {e}");
            return ExitStatus::BadInput;
        }
    };
    // These are the reference server's own test tokens, printed on purpose.
    say!("opconform reference server");
    say!("  base URL:    {}", server.base_url());
    say!("  fixture URL: {}", server.fixtures_url());
    say!("  dialect:     {dialect}");
    if tempo == Tempo::Live {
        say!("  tempo:       {world}");
    } else {
        say!("  tempo:       {tempo}");
    }
    say!("  keeps:       {limits}");
    for grant in &tokens {
        if grant.broad {
            say!(
                "  token:       {} (broad: {}; akua-context selects, default {})",
                grant.token,
                grant.workspaces.join(", "),
                grant.default_workspace().unwrap_or_default()
            );
        } else {
            say!(
                "  token:       {} (workspace {})",
                grant.token,
                grant.workspaces.join(", ")
            );
        }
    }
    if fault_names.is_empty() {
        say!("  faults:      none");
    } else {
        say!("  faults:      {}", fault_names.join(", "));
    }
    say!("Press Ctrl-C to stop.");
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("error: failed to listen for Ctrl-C: {e}");
    }
    say!("stopping (in-flight requests get up to 5 s)...");
    server.shutdown().await;
    ExitStatus::Success
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn parse(argv: &[&str]) -> Result<ServeArgs, clap::Error> {
        Wrapper::try_parse_from(std::iter::once("serve").chain(argv.iter().copied()))
            .map(|w| w.args)
    }

    #[test]
    fn defaults_and_flags() {
        let a = parse(&[]).unwrap();
        assert_eq!(a.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(a.step_ms, 1000);
        let c = config(&a).unwrap();
        assert!(c.fixtures && c.tokens.len() == 3);
        assert_eq!((c.dialect, c.tempo), (Dialect::Akua, Tempo::Frozen));
        assert_eq!(c.retention, DEFAULT_RETENTION);
        assert_eq!(c.max_operations, DEFAULT_MAX_OPERATIONS);
        let a = parse(&[
            "--step-ms",
            "5",
            "--no-fixtures",
            "--token",
            "t1=ws_x",
            "--fault",
            "wait-no-wake",
            "--idempotency-ttl-secs",
            "7",
            "--idempotency-capacity",
            "9",
            "--dialect",
            "alternate",
            "--tempo",
            "live",
            "--live-step-ms",
            "30",
            "--retention",
            "11",
            "--max-operations",
            "12",
        ])
        .unwrap();
        let c = config(&a).unwrap();
        assert_eq!(c.step_length, Duration::from_millis(5));
        assert!(!c.fixtures);
        assert_eq!(c.tokens, vec![TokenGrant::workspace("t1", "ws_x")]);
        assert_eq!((c.dialect, c.tempo), (Dialect::Alternate, Tempo::Live));
        assert_eq!(c.live_step, Duration::from_millis(30));
        assert_eq!(c.retention, Duration::from_secs(11));
        assert_eq!(c.max_operations, 12);
        assert_eq!(c.faults.len(), 1);
        assert_eq!(c.idempotency_ttl, Duration::from_secs(7));
        assert_eq!(c.idempotency_capacity, 9);
    }

    #[test]
    fn broad_tokens_take_a_workspace_list() {
        assert_eq!(
            parse_grant("t=ws_a,ws_b").unwrap(),
            TokenGrant::broad("t", ["ws_a", "ws_b"])
        );
        assert_eq!(
            parse_grant("t=ws_a,").unwrap(),
            TokenGrant::broad("t", ["ws_a"])
        );
        for bad in ["t=", "=ws", "t=,ws_b", "t=ws_a,,ws_b", "t=,", "t"] {
            assert!(parse_grant(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_values_are_rejected_with_the_fix() {
        assert!(parse(&["--token", "nowsp"]).is_err());
        let e = parse(&["--dialect", "google"]).unwrap_err().to_string();
        assert!(e.contains("akua, alternate"), "{e}");
        let e = parse(&["--tempo", "fast"]).unwrap_err().to_string();
        assert!(e.contains("frozen, live"), "{e}");
        let a = parse(&["--fault", "wait-no-wak"]).unwrap();
        let e = config(&a).unwrap_err();
        assert!(e.contains("did you mean `wait-no-wake`"), "{e}");
    }
}
