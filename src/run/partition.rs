//! CI sharding (`--partition N/M`), as nextest's `count:N/M`: of the cases
//! the filters select, the i-th in plan order (from 0) belongs to shard
//! `i mod M + 1`. Every case runs on exactly one of the M runners.

use std::fmt;
use std::str::FromStr;

use libtest_mimic::{Arguments, Trial};

use crate::case::PlannedCase;

/// Shard `shard` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// This runner's shard, 1..=count.
    pub shard: u32,
    /// Number of shards.
    pub count: u32,
}

/// A `--partition` value that is not `N/M` with 1 <= N <= M.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartitionError {
    /// Not of the form `N/M`.
    #[error(
        "parse partition `{0}`: expected N/M (or count:N/M), e.g. 1/3 for the first of three shards"
    )]
    Syntax(String),
    /// N or M is 0, or N > M.
    #[error("parse partition `{value}`: the shard must be between 1 and {count}, e.g. 1/{count}")]
    OutOfRange {
        /// The value given.
        value: String,
        /// M.
        count: u32,
    },
}

impl FromStr for Partition {
    type Err = PartitionError;

    fn from_str(s: &str) -> Result<Partition, PartitionError> {
        let body = s.strip_prefix("count:").unwrap_or(s);
        let syntax = || PartitionError::Syntax(s.to_string());
        let (n, m) = body.split_once('/').ok_or_else(syntax)?;
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(n) || !digits(m) {
            return Err(syntax());
        }
        let n: u32 = n.parse().map_err(|_| syntax())?;
        let m: u32 = m.parse().map_err(|_| syntax())?;
        if m == 0 || n == 0 || n > m {
            return Err(PartitionError::OutOfRange {
                value: s.to_string(),
                count: m.max(1),
            });
        }
        Ok(Partition { shard: n, count: m })
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.shard, self.count)
    }
}

impl Partition {
    /// True when the `index`-th selected case (from 0) is in this shard.
    pub fn contains(self, index: usize) -> bool {
        index % self.count as usize == (self.shard - 1) as usize
    }
}

/// The cases that `args`' filters (FILTER, `--skip`, `--exact`, as
/// libtest-mimic applies them) select, then those of `partition`'s shard.
pub fn select(
    cases: Vec<PlannedCase>,
    args: &Arguments,
    partition: Option<Partition>,
) -> Vec<PlannedCase> {
    cases
        .into_iter()
        .filter(|c| !args.is_filtered_out(&Trial::test(c.name.clone(), || Ok(()))))
        .enumerate()
        .filter(|(i, _)| partition.is_none_or(|p| p.contains(*i)))
        .map(|(_, c)| c)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_nextest() {
        assert_eq!(
            "2/3".parse::<Partition>(),
            Ok(Partition { shard: 2, count: 3 })
        );
        assert_eq!(
            "count:1/1".parse::<Partition>(),
            Ok(Partition { shard: 1, count: 1 })
        );
        for bad in [
            "", "1", "1/", "/2", "a/b", "1/2/3", "-1/2", "hash:1/2", " 1/2",
        ] {
            assert!(
                matches!(bad.parse::<Partition>(), Err(PartitionError::Syntax(_))),
                "{bad}"
            );
        }
        for bad in ["0/3", "4/3", "1/0", "0/0"] {
            assert!(
                matches!(
                    bad.parse::<Partition>(),
                    Err(PartitionError::OutOfRange { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn shards_cover_every_index_exactly_once() {
        for m in 1..6u32 {
            for i in 0..20usize {
                let owners = (1..=m)
                    .filter(|&n| Partition { shard: n, count: m }.contains(i))
                    .count();
                assert_eq!(owners, 1, "index {i} of {m} shards");
            }
        }
        assert!(Partition { shard: 1, count: 3 }.contains(3));
        assert!(Partition { shard: 2, count: 3 }.contains(1));
    }
}
