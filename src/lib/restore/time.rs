//! Reading the `--to-time` argument: unix seconds, or an RFC 3339 date and time.

use std::fmt;

/// An argument that is neither unix seconds nor RFC 3339.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadTime(pub String);

impl fmt::Display for BadTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is neither unix seconds nor an RFC 3339 time (e.g. 2026-11-22T10:48:00Z, \
             2026-11-22 11:48:00+01:00)",
            self.0
        )
    }
}

impl std::error::Error for BadTime {}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian calendar).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// A fixed-width decimal field.
fn number(text: &[u8], at: usize, width: usize) -> Option<u32> {
    let digits = text.get(at..at + width)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    digits.iter().try_fold(0u32, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}

/// Parses `YYYY-MM-DD(T|t| )HH:MM:SS[.fraction](Z|z|±HH:MM)`. The fraction is dropped
/// (changelog timestamps are whole seconds and the bound is inclusive).
fn rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let year = number(b, 0, 4)?;
    let month = number(b, 5, 2)?;
    let day = number(b, 8, 2)?;
    let hour = number(b, 11, 2)?;
    let minute = number(b, 14, 2)?;
    let second = number(b, 17, 2)?;
    let seps = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if seps.iter().any(|&(at, c)| b.get(at) != Some(&c))
        || !matches!(b.get(10), Some(b'T' | b't' | b' '))
    {
        return None;
    }
    let year = i64::from(year);
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut at = 19;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let digits = b
            .get(at..)?
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        at += digits;
    }
    let offset = match b.get(at..)? {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), ..] if b.len() == at + 6 && b.get(at + 3) == Some(&b':') => {
            let h = i64::from(number(b, at + 1, 2).filter(|&h| h <= 23)?);
            let m = i64::from(number(b, at + 4, 2).filter(|&m| m <= 59)?);
            let secs = h * 3600 + m * 60;
            if *sign == b'+' {
                secs
            } else {
                -secs
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(
        days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)
            - offset,
    )
}

/// Reads a point in time: unix seconds (`1795335903`) or RFC 3339
/// (`2026-11-22T10:48:00Z`, `2026-11-22T11:48:00+01:00`; `T` may be a space).
pub fn parse_time(text: &str) -> Result<u64, BadTime> {
    let bad = || BadTime(text.to_string());
    if !text.is_empty() && text.bytes().all(|c| c.is_ascii_digit()) {
        return text.parse().map_err(|_| bad());
    }
    rfc3339(text)
        .and_then(|t| u64::try_from(t).ok())
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds() {
        assert_eq!(parse_time("0"), Ok(0));
        assert_eq!(parse_time("1795335903"), Ok(1_795_335_903));
        assert!(parse_time("").is_err());
        assert!(parse_time("-5").is_err());
        assert!(parse_time("12a").is_err());
    }

    #[test]
    fn rfc3339_times() {
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_time("2023-11-14T22:13:20Z"), Ok(1_700_000_000));
        assert_eq!(parse_time("2023-11-14 23:13:20+01:00"), Ok(1_700_000_000));
        assert_eq!(
            parse_time("2023-11-14t17:13:20.999-05:00"),
            Ok(1_700_000_000)
        );
        assert_eq!(parse_time("2000-02-29T00:00:00z"), Ok(951_782_400));
        for bad in [
            "2023-11-14T22:13:20",
            "2023-11-14",
            "2023-02-29T00:00:00Z",
            "2023-13-01T00:00:00Z",
            "2023-11-14T24:00:00Z",
            "2023-11-14T22:13:20+0100",
            "2023-11-14T22:13:20.Z",
            "1969-12-31T23:59:59Z",
            "yesterday",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }
}
