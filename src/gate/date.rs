//! Calendar dates for waiver expiry, without a date-time crate: a plain
//! `YYYY-MM-DD` value, and today's date in UTC from the system clock.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

/// A proleptic Gregorian calendar date (years 0 to 9999, as TOML allows).
///
/// ```
/// use opconform::profile::Date;
/// let d: Date = "2026-12-31".parse().unwrap();
/// assert_eq!(d.to_string(), "2026-12-31");
/// assert!(d < "2027-01-01".parse().unwrap());
/// assert!("2026-02-29".parse::<Date>().is_err()); // not a leap year
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    // Field order matters: the derived `Ord` compares year, month, day.
    year: u16,
    month: u8,
    day: u8,
}

/// Why a date was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not of the form `YYYY-MM-DD`.
    #[error("parse date `{0}`: expected YYYY-MM-DD")]
    Syntax(String),
    /// A month outside 1-12 or a day the month does not have.
    #[error("parse date {year:04}-{month:02}-{day:02}: no such day")]
    NoSuchDay {
        /// Year.
        year: u16,
        /// Month.
        month: u8,
        /// Day.
        day: u8,
    },
}

impl Date {
    /// The date, if it exists on the calendar.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Date, DateError> {
        if year > 9999 || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month)
        {
            return Err(DateError::NoSuchDay { year, month, day });
        }
        Ok(Date { year, month, day })
    }

    /// Year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// Month, 1-12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// Day of the month, 1-31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// The date `days` days after 1970-01-01 (negative: before), or `None`
    /// outside years 0-9999.
    pub fn from_days_since_epoch(days: i64) -> Option<Date> {
        let (y, m, d) = civil_from_days(days);
        let year = u16::try_from(y).ok()?;
        // The conversion always yields a real day, so `new` cannot fail
        // except on the year range.
        Date::new(year, m, d).ok()
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn days_since_epoch(self) -> i64 {
        days_from_civil(i64::from(self.year), self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Date, DateError> {
        let syntax = || DateError::Syntax(s.chars().take(40).collect());
        let b = s.as_bytes();
        let digits = |r: std::ops::Range<usize>| -> Option<u16> {
            let part = b.get(r)?;
            if !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            part.iter()
                .try_fold(0u16, |acc, d| Some(acc * 10 + u16::from(d - b'0')))
        };
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(syntax());
        }
        let (Some(year), Some(month), Some(day)) = (digits(0..4), digits(5..7), digits(8..10))
        else {
            return Err(syntax());
        };
        // Both fit: two digits are at most 99.
        Date::new(year, month as u8, day as u8)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Today's date in UTC, from the system clock. A clock before 1970 yields
/// 1970-01-01 (waivers then look active; the clock is wrong anyway).
///
/// ```
/// let today = opconform::profile::today_utc();
/// assert!(today.year() >= 2024);
/// ```
pub fn today_utc() -> Date {
    date_of(SystemTime::now())
}

/// The UTC date of `time`.
pub(crate) fn date_of(time: SystemTime) -> Date {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX);
    Date::from_days_since_epoch(days).unwrap_or(Date {
        year: 9999,
        month: 12,
        day: 31,
    })
}

fn is_leap(year: u16) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// The two conversions below count in 400-year eras (146 097 days each) of
// March-based years, so that the leap day falls at the end of a year and the
// month lengths follow the 153-days-per-5-months pattern.

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let m = i64::from(month);
    let y = if m <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let march_month = (m + 9) % 12; // March = 0 ... February = 11
    let day_of_year = (153 * march_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days.saturating_add(719_468); // days since 0000-03-01
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let march_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * march_month + 2) / 5 + 1;
    let month = if march_month < 10 {
        march_month + 3
    } else {
        march_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // day is 1..=31 and month 1..=12 by construction.
    (year, month as u8, day as u8)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Walks the calendar one day at a time: slow, obviously right, and
    /// independent of the era arithmetic it checks.
    fn next_day(d: Date) -> Date {
        if d.day < days_in_month(d.year, d.month) {
            Date {
                day: d.day + 1,
                ..d
            }
        } else if d.month < 12 {
            Date {
                month: d.month + 1,
                day: 1,
                ..d
            }
        } else {
            Date {
                year: d.year + 1,
                month: 1,
                day: 1,
            }
        }
    }

    #[test]
    fn civil_from_days_matches_a_day_by_day_walk() {
        let mut expected = Date::new(1900, 1, 1).unwrap();
        let start = expected.days_since_epoch();
        assert_eq!(start, -25_567);
        for days in start..start + 200 * 366 {
            assert_eq!(
                Date::from_days_since_epoch(days),
                Some(expected),
                "day {days}"
            );
            assert_eq!(expected.days_since_epoch(), days);
            expected = next_day(expected);
        }
    }

    #[test]
    fn known_dates() {
        let d = |s: &str| s.parse::<Date>().unwrap().days_since_epoch();
        assert_eq!(d("1970-01-01"), 0);
        assert_eq!(d("2000-02-29"), 11_016);
        assert_eq!(d("2000-03-01"), 11_017);
        assert_eq!(d("2024-01-01"), 19_723);
        assert_eq!(d("0000-01-01"), -719_528);
        assert_eq!(d("9999-12-31"), 2_932_896);
    }

    #[test]
    fn range_ends() {
        assert_eq!(Date::from_days_since_epoch(-719_529), None);
        assert_eq!(Date::from_days_since_epoch(2_932_897), None);
        assert_eq!(Date::from_days_since_epoch(i64::MAX), None);
        assert_eq!(Date::from_days_since_epoch(i64::MIN), None);
    }

    #[test]
    fn date_of_system_time() {
        // 2026-03-01T23:59:59Z
        let t = UNIX_EPOCH + Duration::from_secs(1_772_409_599);
        assert_eq!(date_of(t).to_string(), "2026-03-01");
        assert_eq!(
            date_of(t + Duration::from_secs(1)).to_string(),
            "2026-03-02"
        );
        assert_eq!(
            date_of(UNIX_EPOCH - Duration::from_secs(5)).to_string(),
            "1970-01-01"
        );
    }

    #[test]
    fn parse_rejects_malformed() {
        for bad in [
            "",
            "2026-1-01",
            "2026/01/01",
            "20260101",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "1900-02-29",
            "2026-01-01T00:00:00",
            "+026-01-01",
            "２０２６-01-01",
        ] {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
        assert!("2000-02-29".parse::<Date>().is_ok());
        assert!("2024-02-29".parse::<Date>().is_ok());
    }

    #[test]
    fn ordering_is_chronological() {
        let a: Date = "2026-12-31".parse().unwrap();
        let b: Date = "2027-01-01".parse().unwrap();
        assert!(a < b);
        assert_eq!(b.days_since_epoch() - a.days_since_epoch(), 1);
    }
}
