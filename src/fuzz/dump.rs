//! Generated requests written out for a plain load generator: the same
//! seed and strategy as a stateless session, rendered against the target's
//! real fixtures, each as a raw HTTP/1.1 request on one line (so `wrk` can
//! replay the fuzzer's exact request mix; see `benches/fuzz_vs_wrk.sh`).

use std::fmt::Write as _;

use proptest::strategy::{Strategy, ValueTree};

use super::executor::{Executor, Prepared};
use super::session::{FuzzConfig, FuzzError, input_runner, proptest_config};
use super::strategies::{StrategyOptions, request};
use crate::target::Target;

/// Stands for the bearer token in dumped requests.
pub const TOKEN_PLACEHOLDER: &str = "{token}";

/// Generates `config.cases` stateless requests (seed `config.seed`),
/// creates their fixtures on `target` (shared ones, and a fresh running one
/// per request that asks for it), and returns one line per sendable request:
/// the raw HTTP/1.1 request with `%`, CR and LF percent-encoded and the
/// token replaced by [`TOKEN_PLACEHOLDER`]. Requests
/// the client would refuse are left out, as a session skips them.
pub fn dump_requests(
    config: &FuzzConfig,
    target: Target,
    handle: &tokio::runtime::Handle,
) -> Result<Vec<String>, FuzzError> {
    let mut exec = Executor::new(target, config.request_timeout)?;
    handle.block_on(exec.setup())?;
    let host = host_of(&exec.target().base_url);
    let strategy = request(StrategyOptions {
        fixtures: exec.has_fixtures(),
    });
    let pt = proptest_config(config);
    let mut out = Vec::new();
    for index in 0..config.cases {
        let Ok(tree) = strategy.new_tree(&mut input_runner(&pt, config.seed, index)) else {
            continue;
        };
        let req = tree.current();
        // A fresh running fixture per request that asks for one, as in a
        // session (a replay then cancels it once and meets a 409 after).
        let fixture = handle.block_on(exec.fixture_for(&req))?;
        let prepared = exec.render(&req, fixture.as_ref());
        if Executor::unsendable(&prepared) || !exec.may_send(&req, &prepared) {
            continue;
        }
        let mut line = escape(&raw(&prepared, &host));
        // The token never goes to a file: the replayer substitutes it.
        if let Some(t) = exec.target().token.as_deref().filter(|t| !t.is_empty()) {
            line = line.replace(&escape(t), TOKEN_PLACEHOLDER);
        }
        out.push(line);
    }
    Ok(out)
}

/// `host:port` of a base URL (what the client sends as `Host`).
fn host_of(base_url: &str) -> String {
    match url::Url::parse(base_url) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => String::new(),
        },
        Err(_) => String::new(),
    }
}

/// The request as the client sends it (origin-form target, `Host`, the
/// rendered headers in order, an empty body).
fn raw(p: &Prepared, host: &str) -> String {
    let target = match url::Url::parse(&p.url) {
        Ok(u) => match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        },
        Err(_) => p.url.clone(),
    };
    let mut s = format!("{} {target} HTTP/1.1\r\nhost: {host}\r\n", p.method);
    for (k, v) in &p.headers {
        let _ = write!(s, "{k}: {v}\r\n");
    }
    if p.method != "GET" {
        s.push_str("content-length: 0\r\n");
    }
    s.push_str("\r\n");
    s
}

/// One line: `%`, CR and LF percent-encoded.
fn escape(raw: &str) -> String {
    raw.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_requests_are_one_escaped_line() {
        let p = Prepared {
            method: "POST",
            url: "http://127.0.0.1:9/v1/operations/a%20b:cancel?x=1".into(),
            headers: vec![("idempotency-key", "k\t1".into())],
            deadline: std::time::Duration::from_secs(1),
        };
        let line = escape(&raw(&p, &host_of("http://127.0.0.1:9/v1")));
        assert_eq!(
            line,
            "POST /v1/operations/a%2520b:cancel?x=1 HTTP/1.1%0D%0Ahost: 127.0.0.1:9%0D%0Aidempotency-key: k\t1%0D%0Acontent-length: 0%0D%0A%0D%0A"
        );
        assert!(!line.contains('\n'));
    }
}
