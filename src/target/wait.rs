//! Is the target there? One probe, or `--wait-for-target`: poll a freshly
//! deployed server until it answers.

use std::future::Future;
use std::time::{Duration, Instant};

use super::client::{HttpClient, OutgoingRequest};
use super::live::Target;

/// Interval between probes while waiting for a target.
pub const WAIT_INTERVAL: Duration = Duration::from_millis(250);

/// Checks that `target` answers at all: one `GET /operations?limit=1`
/// through `client`. Any HTTP status counts as reachable; a connection
/// failure or timeout returns the reason (redacted).
pub async fn probe(client: &HttpClient, target: &Target, timeout: Duration) -> Result<(), String> {
    let mut headers = vec![("accept".to_string(), "application/json".to_string())];
    if let Some(t) = &target.token {
        headers.insert(0, ("authorization".into(), format!("Bearer {t}")));
    }
    let req = OutgoingRequest {
        method: "GET".into(),
        url: format!(
            "{}/operations?limit=1",
            target.base_url.trim_end_matches('/')
        ),
        headers,
        body: None,
        timeout,
    };
    let sent = client.send(&req).await;
    if sent.response.is_some() {
        Ok(())
    } else {
        Err(format!(
            "target {} is unreachable: {}",
            client.redactor().redact(&target.base_url),
            sent.exchange.error.unwrap_or_default()
        ))
    }
}

/// Reaches `target` before a run: one probe, or with
/// [`Target::wait_for_target`] a probe every [`WAIT_INTERVAL`] until it
/// answers or the wait has passed (returns the last reason). Failed polls
/// do not count towards the stopped-target breaker.
pub async fn reach(client: &HttpClient, target: &Target, timeout: Duration) -> Result<(), String> {
    let Some(wait) = target.wait_for_target else {
        return probe(client, target, timeout).await;
    };
    let pacer = client.pacer();
    let late = || {
        format!(
            "target {} did not answer within --wait-for-target",
            client.redactor().redact(&target.base_url)
        )
    };
    poll_until_answers(wait, WAIT_INTERVAL, late, || async {
        pacer.observe(true);
        let outcome = probe(client, target, timeout).await;
        pacer.observe(true);
        outcome
    })
    .await
    .map(|_| ())
}

/// The loop behind `--wait-for-target`, for any probe (the runner's and
/// the fuzzer's): runs `probe` every `interval`, each attempt cut at the
/// time left, until it succeeds (returns the number of probes) or `wait`
/// has passed (returns the last reason, with how long was waited).
/// `late` describes an attempt cut by the end of the wait.
pub async fn poll_until_answers<P, F>(
    wait: Duration,
    interval: Duration,
    late: impl Fn() -> String,
    mut probe: P,
) -> Result<u32, String>
where
    P: FnMut() -> F,
    F: Future<Output = Result<(), String>>,
{
    let until = Instant::now() + wait;
    let mut probes = 0u32;
    loop {
        probes += 1;
        let left = until.saturating_duration_since(Instant::now());
        let outcome = match tokio::time::timeout(left.max(Duration::from_millis(1)), probe()).await
        {
            Ok(r) => r,
            Err(_) => Err(late()),
        };
        match outcome {
            Ok(()) => return Ok(probes),
            Err(why) if Instant::now() + interval >= until => {
                return Err(format!(
                    "{why} (still after waiting {:.1} s, {probes} probe(s))",
                    wait.as_secs_f64()
                ));
            }
            Err(_) => tokio::time::sleep(interval).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[tokio::test]
    async fn polls_until_the_probe_succeeds() {
        let calls = Cell::new(0u32);
        let probes = poll_until_answers(
            Duration::from_secs(5),
            Duration::from_millis(5),
            String::new,
            || {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move { if n < 3 { Err("down".into()) } else { Ok(()) } }
            },
        )
        .await;
        assert_eq!(probes, Ok(3));
    }

    #[tokio::test]
    async fn gives_up_with_the_last_reason_and_the_wait() {
        let started = Instant::now();
        let e = poll_until_answers(
            Duration::from_millis(120),
            Duration::from_millis(20),
            || "late".to_string(),
            || async { Err::<(), _>("refused".to_string()) },
        )
        .await
        .unwrap_err();
        assert!(e.starts_with("refused (still after waiting 0.1 s"), "{e}");
        assert!(started.elapsed() >= Duration::from_millis(90));
        // An attempt that outlasts the wait is cut and described by `late`.
        let e = poll_until_answers(
            Duration::from_millis(50),
            Duration::from_millis(10),
            || "late".to_string(),
            std::future::pending::<Result<(), String>>,
        )
        .await
        .unwrap_err();
        assert!(e.starts_with("late (still after waiting"), "{e}");
    }
}
