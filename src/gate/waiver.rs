//! [`Waiver`]: a known, accepted failure of one invariant, with a reason and
//! an expiry date. Waived failures are reported as "waived", never dropped;
//! an expired waiver fails the case.

use super::date::Date;

/// A waiver for one invariant.
///
/// ```
/// use opconform::profile::{Date, Waiver, WaiverStatus};
/// let w = Waiver::new("OP-ETAG-HEADER", "ETag ships in 2027.1", "2027-01-31".parse().unwrap());
/// assert_eq!(w.status("2027-01-31".parse().unwrap()), WaiverStatus::Active);
/// assert_eq!(w.status("2027-02-01".parse().unwrap()), WaiverStatus::Expired);
/// assert_eq!(w.expired_message(), "waiver for OP-ETAG-HEADER expired on 2027-01-31");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    /// The waived invariant ID (checked against the catalogue at load).
    pub invariant: String,
    /// Why the failure is accepted (a ticket, a release).
    pub reason: String,
    /// The last day the waiver applies (inclusive).
    pub expires: Date,
    /// `file:line:column` of the waiver, for messages; `None` when built in
    /// code.
    pub defined_at: Option<String>,
}

/// Whether a waiver still applies on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaiverStatus {
    /// On or before the expiry date: a failure of the invariant is reported
    /// as waived.
    Active,
    /// After the expiry date: the case fails with
    /// [`Waiver::expired_message`].
    Expired,
}

impl Waiver {
    /// A waiver built in code (not from a file).
    pub fn new(invariant: impl Into<String>, reason: impl Into<String>, expires: Date) -> Self {
        Waiver {
            invariant: invariant.into(),
            reason: reason.into(),
            expires,
            defined_at: None,
        }
    }

    /// The waiver's status on `today` (pass [`super::today_utc`] in the
    /// runner, a fixed date in tests). The expiry day itself is still active.
    pub fn status(&self, today: Date) -> WaiverStatus {
        if today > self.expires {
            WaiverStatus::Expired
        } else {
            WaiverStatus::Active
        }
    }

    /// The failure message for an expired waiver.
    pub fn expired_message(&self) -> String {
        let mut msg = format!("waiver for {} expired on {}", self.invariant, self.expires);
        if let Some(at) = &self.defined_at {
            msg.push_str(&format!(" ({at})"));
        }
        msg
    }

    /// The note for a waived failure: `waived until DATE: REASON`.
    pub fn waived_message(&self) -> String {
        format!("waived until {}: {}", self.expires, self.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn expiry_day_is_inclusive() {
        let w = Waiver::new("OP-ETAG-HEADER", "r", date("2026-12-31"));
        assert_eq!(w.status(date("2020-01-01")), WaiverStatus::Active);
        assert_eq!(w.status(date("2026-12-31")), WaiverStatus::Active);
        assert_eq!(w.status(date("2027-01-01")), WaiverStatus::Expired);
    }

    #[test]
    fn messages() {
        let mut w = Waiver::new("LIST-LIMIT", "JIRA-1", date("2026-01-02"));
        assert_eq!(w.waived_message(), "waived until 2026-01-02: JIRA-1");
        w.defined_at = Some("opconform.toml:9:1".into());
        assert_eq!(
            w.expired_message(),
            "waiver for LIST-LIMIT expired on 2026-01-02 (opconform.toml:9:1)"
        );
    }
}
