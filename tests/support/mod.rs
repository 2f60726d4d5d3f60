//! Helpers shared by several test modules: the fake Operations API the
//! runner and CLI tests serve, and the file and corpus helpers.

pub mod akua;
pub mod fake;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The crate's root folder.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write test file");
    p
}

/// The `.toml` files of a corpus folder, sorted by name.
pub fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// The expected errors of a malformed case file's `.expect` text: one
/// `LINE:COL fragment` a line (`0:0`: the file as a whole; the fragment is
/// matched against the rendered error), `#` lines are comments.
pub fn parse_case_expect(text: &str) -> Vec<(usize, usize, String)> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (at, fragment) = line.split_once(' ').expect("LINE:COL fragment");
            let (l, c) = at.split_once(':').expect("LINE:COL");
            (
                l.parse().expect("line number"),
                c.parse().expect("column number"),
                fragment.trim().to_string(),
            )
        })
        .collect()
}

/// How often [`poll_until`] looks again.
pub const POLL_EVERY: Duration = Duration::from_millis(10);

/// Waits on state instead of a fixed sleep: calls `probe` until `holds`
/// accepts what it returns or `deadline` has passed. `Ok` is the first
/// value that held; `Err` the last one seen, for a test that expects the
/// condition never to hold (then the deadline is the observation window).
///
/// A fixed sleep sized for an idle machine is too short on a loaded one;
/// this returns as soon as the state is there, so the deadline can be
/// generous without making the suite slower.
pub async fn poll_until<T, F, Fut>(
    deadline: Duration,
    mut probe: F,
    holds: impl Fn(&T) -> bool,
) -> Result<T, T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let end = Instant::now() + deadline;
    loop {
        let value = probe().await;
        if holds(&value) {
            return Ok(value);
        }
        if Instant::now() >= end {
            return Err(value);
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

#[tokio::test]
async fn poll_until_returns_the_first_value_that_holds_or_the_last_at_the_deadline() {
    let mut n = 0;
    let found = poll_until(
        Duration::from_secs(5),
        || {
            n += 1;
            std::future::ready(n)
        },
        |v| *v == 3,
    )
    .await;
    assert_eq!(found, Ok(3));
    let started = Instant::now();
    let never = poll_until(
        Duration::from_millis(50),
        || std::future::ready(0),
        |v| *v == 1,
    )
    .await;
    assert_eq!(never, Err(0));
    assert!(started.elapsed() >= Duration::from_millis(50));
}
