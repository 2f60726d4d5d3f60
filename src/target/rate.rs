//! [`Rate`]: how many requests per unit of time the runner may send.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

/// A request rate such as `10/s` or `600/min`.
///
/// ```
/// use opconform::profile::Rate;
/// use std::time::Duration;
/// let r = Rate::parse("600/min").unwrap();
/// assert_eq!(r.count().get(), 600);
/// assert_eq!(r.per(), Duration::from_secs(60));
/// assert_eq!(r.per_second(), 10.0);
/// assert_eq!(r.to_string(), "600/min");
/// assert!(Rate::parse("fast").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    count: NonZeroU32,
    unit: RateUnit,
}

/// The time unit of a [`Rate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateUnit {
    /// Per second: `s`, `sec`, `second`.
    Second,
    /// Per minute: `m`, `min`, `minute`.
    Minute,
    /// Per hour: `h`, `hour`.
    Hour,
}

impl RateUnit {
    fn duration(self) -> Duration {
        match self {
            RateUnit::Second => Duration::from_secs(1),
            RateUnit::Minute => Duration::from_secs(60),
            RateUnit::Hour => Duration::from_secs(3600),
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            RateUnit::Second => "s",
            RateUnit::Minute => "min",
            RateUnit::Hour => "h",
        }
    }
}

/// Why a rate was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    /// Not `N/unit`.
    #[error("parse rate `{0}`: expected COUNT/UNIT such as `10/s` or `600/min`")]
    Syntax(String),
    /// The count is zero or too large.
    #[error("parse rate `{0}`: the count must be a whole number from 1 to 4294967295")]
    Count(String),
    /// An unknown unit.
    #[error("parse rate `{0}`: unknown unit; expected s, min or h")]
    Unit(String),
}

impl Rate {
    /// A rate of `count` requests per `unit`.
    pub fn new(count: NonZeroU32, unit: RateUnit) -> Rate {
        Rate { count, unit }
    }

    /// Parses `COUNT/UNIT`: a whole number, `/`, then `s`/`sec`/`second`,
    /// `m`/`min`/`minute` or `h`/`hour` (spaces around the parts allowed).
    pub fn parse(text: &str) -> Result<Rate, RateError> {
        let shown = || text.chars().take(40).collect::<String>();
        let (count, unit) = text
            .split_once('/')
            .ok_or_else(|| RateError::Syntax(shown()))?;
        let count = count.trim();
        if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RateError::Syntax(shown()));
        }
        let count = count
            .parse::<u32>()
            .ok()
            .and_then(NonZeroU32::new)
            .ok_or_else(|| RateError::Count(shown()))?;
        let unit = match unit.trim() {
            "s" | "sec" | "second" => RateUnit::Second,
            "m" | "min" | "minute" => RateUnit::Minute,
            "h" | "hour" => RateUnit::Hour,
            _ => return Err(RateError::Unit(shown())),
        };
        Ok(Rate { count, unit })
    }

    /// Requests allowed per [`Rate::per`].
    pub fn count(self) -> NonZeroU32 {
        self.count
    }

    /// The unit.
    pub fn unit(self) -> RateUnit {
        self.unit
    }

    /// The period the count applies to.
    pub fn per(self) -> Duration {
        self.unit.duration()
    }

    /// Requests per second.
    pub fn per_second(self) -> f64 {
        f64::from(self.count.get()) / self.per().as_secs_f64()
    }

    /// The gap between two requests at a steady pace.
    pub fn interval(self) -> Duration {
        self.per() / self.count.get()
    }
}

impl FromStr for Rate {
    type Err = RateError;

    fn from_str(s: &str) -> Result<Rate, RateError> {
        Rate::parse(s)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.count, self.unit.suffix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_spaces() {
        assert_eq!(Rate::parse("10/s").unwrap().per_second(), 10.0);
        assert_eq!(Rate::parse(" 5 / sec ").unwrap().to_string(), "5/s");
        assert_eq!(
            Rate::parse("1/second").unwrap().interval(),
            Duration::from_secs(1)
        );
        assert_eq!(Rate::parse("120/m").unwrap().per_second(), 2.0);
        assert_eq!(
            Rate::parse("3600/hour").unwrap().interval(),
            Duration::from_secs(1)
        );
        assert_eq!(
            Rate::parse("4/s").unwrap().interval(),
            Duration::from_millis(250)
        );
    }

    #[test]
    fn rejects_bad_rates() {
        assert!(matches!(Rate::parse("10"), Err(RateError::Syntax(_))));
        assert!(matches!(Rate::parse("/s"), Err(RateError::Syntax(_))));
        assert!(matches!(Rate::parse("-1/s"), Err(RateError::Syntax(_))));
        assert!(matches!(Rate::parse("1.5/s"), Err(RateError::Syntax(_))));
        assert!(matches!(Rate::parse("0/s"), Err(RateError::Count(_))));
        assert!(matches!(
            Rate::parse("99999999999/s"),
            Err(RateError::Count(_))
        ));
        assert!(matches!(Rate::parse("10/day"), Err(RateError::Unit(_))));
        assert!(matches!(Rate::parse("10/s/s"), Err(RateError::Unit(_))));
    }

    #[test]
    fn display_round_trips() {
        for text in ["1/s", "600/min", "7/h"] {
            assert_eq!(Rate::parse(text).unwrap().to_string(), text);
        }
    }
}
