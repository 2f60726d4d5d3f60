//! RFC 3339 timestamps as Unix milliseconds, without a date-time crate:
//! recordings carry wall-clock times (HAR `startedDateTime`, a JSON Lines
//! `time`), and findings show them back.

/// Days from 1970-01-01 to `year-month-day` (proleptic Gregorian; Howard
/// Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `(year, month, day)` of a day count from 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u32, |n, d| {
        n.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Unix milliseconds of an RFC 3339 / ISO 8601 date-time, as HAR writers
/// and gateways print them: `2026-05-07T12:00:01.123Z`, a numeric offset
/// (`+02:00`, `+0200`), any number of fraction digits (mitmproxy writes
/// microseconds), `t`/space as separator. A missing offset is read as UTC
/// (some writers omit it; HAR requires it). `None` when it is not one.
///
/// ```
/// use opconform::target::rfc3339::{format_ms, parse_ms};
/// let ms = parse_ms("2026-05-07T14:00:01.5+02:00").unwrap();
/// assert_eq!(format_ms(ms), "2026-05-07T12:00:01.500Z");
/// assert!(parse_ms("yesterday").is_none());
/// ```
pub fn parse_ms(text: &str) -> Option<i64> {
    let s = text.trim().as_bytes();
    if s.len() < 19 || s[4] != b'-' || s[7] != b'-' || s[13] != b':' || s[16] != b':' {
        return None;
    }
    if !matches!(s[10], b'T' | b't' | b' ') {
        return None;
    }
    let year = i64::from(digits(&s[0..4])?);
    let month = digits(&s[5..7])?;
    let day = digits(&s[8..10])?;
    let hour = digits(&s[11..13])?;
    let minute = digits(&s[14..16])?;
    // 60 is a leap second: read as the last second of the minute.
    let second = digits(&s[17..19])?.min(59);
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
    {
        return None;
    }
    let mut rest = &s[19..];
    let mut millis = 0i64;
    if let Some(frac) = rest.strip_prefix(b".").or_else(|| rest.strip_prefix(b",")) {
        let n = frac.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let mut ms = 0i64;
        for (i, d) in frac[..n].iter().take(3).enumerate() {
            ms += i64::from(d - b'0') * [100, 10, 1][i];
        }
        millis = ms;
        rest = &frac[n..];
    }
    let offset_min: i64 = match rest {
        [] | b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let (h, m) = match tail {
                [h1, h2, b':', m1, m2] => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
                [h1, h2, m1, m2] => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
                [h1, h2] => (digits(&[*h1, *h2])?, 0),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let total = i64::from(h * 60 + m);
            if *sign == b'-' { -total } else { total }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_min * 60;
    Some(secs * 1000 + millis)
}

/// `2026-05-07T12:00:01.123Z` for Unix milliseconds.
pub fn format_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_formats_parse_to_the_same_instant() {
        let utc = parse_ms("2024-01-31T23:59:59.250Z").expect("chrome");
        for text in [
            "2024-02-01T00:59:59.250+01:00",    // Firefox, Charles
            "2024-02-01T00:59:59.250123+01:00", // mitmproxy (microseconds)
            "2024-01-31T23:59:59.25",           // no offset: UTC
            "2024-01-31t23:59:59.250z",
            "2024-01-31 18:59:59.250-0500",
        ] {
            assert_eq!(parse_ms(text), Some(utc), "{text}");
        }
        assert_eq!(format_ms(utc), "2024-01-31T23:59:59.250Z");
        assert_eq!(parse_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(format_ms(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn not_dates_are_refused() {
        for text in [
            "",
            "2024-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+5",
            "2024-01-01T00:00:00Zjunk",
            "Mon, 01 Jan 2024 00:00:00 GMT",
        ] {
            assert_eq!(parse_ms(text), None, "{text}");
        }
        assert!(parse_ms("2024-02-29T00:00:00Z").is_some());
    }

    #[test]
    fn round_trips_across_centuries() {
        for ms in [0, 951_782_400_000, 4_102_444_800_123, -2_208_988_800_000] {
            assert_eq!(parse_ms(&format_ms(ms)), Some(ms), "{ms}");
        }
    }
}
