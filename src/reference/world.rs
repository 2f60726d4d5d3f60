//! The reference's worlds: which documented choices it makes ([`Dialect`])
//! and whether its operations move on their own ([`Tempo`]). The harness's
//! verdicts must hold in every combination, so the reference can serve each.

use std::fmt;
use std::str::FromStr;

/// Which of the documented alternatives the reference answers with.
///
/// ```
/// use opconform::reference::Dialect;
/// assert_eq!("alternate".parse::<Dialect>(), Ok(Dialect::Alternate));
/// assert_eq!(Dialect::default().as_str(), "akua");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dialect {
    /// akua's documented answers and the akua convention: 202 on an accepted
    /// cancel, 422 on a terminal one, 400 on bounds, 409 on a stale If-Match,
    /// `ApiErrorResponse` envelopes, a list endpoint, `%3A` routed like `:`.
    #[default]
    Akua,
    /// Every alternative the harness's lenient mode accepts (digest §4.1):
    /// 200 on an accepted cancel, 409 on a terminal one, 422 on bounds, 412
    /// on a stale If-Match, 403 for another workspace's operation,
    /// `{"error": {...}}` envelopes, no list endpoint, only a literal `:`
    /// routes a verb, `response: null` on SUCCEEDED.
    Alternate,
}

impl Dialect {
    /// Every dialect.
    pub const ALL: [Dialect; 2] = [Dialect::Akua, Dialect::Alternate];

    /// The name `--dialect` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Akua => "akua",
            Dialect::Alternate => "alternate",
        }
    }
}

/// Whether operations move on their own.
///
/// ```
/// use opconform::reference::Tempo;
/// assert_eq!("live".parse::<Tempo>(), Ok(Tempo::Live));
/// assert!("fast".parse::<Tempo>().unwrap_err().to_string().contains("frozen, live"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Tempo {
    /// A `running` fixture stays RUNNING until cancelled.
    #[default]
    Frozen,
    /// A `running` fixture advances one step every `live_step`, fails one
    /// step once and retries it, and succeeds after about ten changes.
    Live,
}

impl Tempo {
    /// Every tempo.
    pub const ALL: [Tempo; 2] = [Tempo::Frozen, Tempo::Live];

    /// The name `--tempo` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Tempo::Frozen => "frozen",
            Tempo::Live => "live",
        }
    }
}

/// A dialect or tempo name that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{name}`; allowed: {allowed}")]
pub struct UnknownWorld {
    /// `dialect` or `tempo`.
    pub what: &'static str,
    /// The name as given.
    pub name: String,
    /// The allowed names, comma separated.
    pub allowed: String,
}

fn parse<T: Copy>(
    what: &'static str,
    s: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<T, UnknownWorld> {
    all.iter()
        .copied()
        .find(|v| name(*v) == s)
        .ok_or_else(|| UnknownWorld {
            what,
            name: s.to_string(),
            allowed: all.iter().map(|v| name(*v)).collect::<Vec<_>>().join(", "),
        })
}

impl FromStr for Dialect {
    type Err = UnknownWorld;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse("dialect", s, &Dialect::ALL, Dialect::as_str)
    }
}

impl FromStr for Tempo {
    type Err = UnknownWorld;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse("tempo", s, &Tempo::ALL, Tempo::as_str)
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Tempo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_errors_name_the_allowed_values() {
        for d in Dialect::ALL {
            assert_eq!(d.as_str().parse::<Dialect>(), Ok(d));
        }
        for t in Tempo::ALL {
            assert_eq!(t.as_str().parse::<Tempo>(), Ok(t));
        }
        let e = "Akua".parse::<Dialect>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown dialect `Akua`; allowed: akua, alternate"
        );
        let e = "".parse::<Tempo>().unwrap_err();
        assert_eq!(e.to_string(), "unknown tempo ``; allowed: frozen, live");
        assert_eq!(Dialect::default(), Dialect::Akua);
        assert_eq!(Tempo::default(), Tempo::Frozen);
    }
}
