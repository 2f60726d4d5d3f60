//! `--wait-for-target`: poll a freshly deployed server until it answers.

use std::time::{Duration, Instant};

use super::engine::Engine;

/// Probes the target every `interval` until it answers (returns the number
/// of probes) or `wait` has passed (returns the last reason). Failed polls
/// do not count towards the stopped-target breaker.
pub async fn wait_for_target(
    engine: &Engine,
    wait: Duration,
    interval: Duration,
) -> Result<u32, String> {
    let until = Instant::now() + wait;
    let mut probes = 0u32;
    loop {
        probes += 1;
        engine.client.pacer().observe(true);
        let left = until.saturating_duration_since(Instant::now());
        let outcome =
            match tokio::time::timeout(left.max(Duration::from_millis(1)), engine.probe()).await {
                Ok(r) => r,
                Err(_) => Err(format!(
                    "target {} did not answer within --wait-for-target",
                    engine.redactor().redact(&engine.target().base_url)
                )),
            };
        match outcome {
            Ok(()) => {
                engine.client.pacer().observe(true);
                return Ok(probes);
            }
            Err(why) if Instant::now() + interval >= until => {
                engine.client.pacer().observe(true);
                return Err(format!(
                    "{why} (still after waiting {:.1} s, {probes} probe(s))",
                    wait.as_secs_f64()
                ));
            }
            Err(_) => tokio::time::sleep(interval).await,
        }
    }
}
