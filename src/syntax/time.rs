//! Time and calendar arithmetic shared by the ledger and frontmatter checks: RFC 3339
//! timestamps to and from seconds since the Unix epoch, and exact `YYYY-MM-DD` dates of the
//! proleptic Gregorian calendar.

/// Parses an RFC 3339 timestamp with an offset — `2025-10-18T12:10:00Z`,
/// `2025-10-18T12:10:00.123+02:00` — into seconds since the Unix epoch (UTC). Fractional
/// seconds are accepted and dropped. `t`/`z` may be lowercase (RFC 3339 §5.6); a space in
/// place of `T`, a missing offset or an offset without its colon are rejected, because the
/// ledger's readers are not required to understand them. A leap second (`:60`) is accepted
/// and counts as the first second of the next minute.
pub fn parse_rfc3339(ts: &str) -> Option<i64> {
    let bytes = ts.as_bytes();
    if bytes.len() < 20 {
        return None;
    }
    let (y, m, d) = parse_date(ts.get(..10)?)?;
    if !matches!(bytes[10], b'T' | b't') {
        return None;
    }
    let hour = two_digits(bytes, 11)?;
    let minute = two_digits(bytes, 14)?;
    let second = two_digits(bytes, 17)?;
    if bytes[13] != b':' || bytes[16] != b':' || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut at = 19;
    if bytes.get(at) == Some(&b'.') {
        let digits = bytes[at + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        at += 1 + digits;
    }
    let offset_seconds = match bytes.get(at..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let offset_hour = two_digits(bytes, at + 1)?;
            let offset_minute = two_digits(bytes, at + 4)?;
            if offset_hour > 23 || offset_minute > 59 {
                return None;
            }
            let magnitude = i64::from(offset_hour) * 3600 + i64::from(offset_minute) * 60;
            if *sign == b'-' { -magnitude } else { magnitude }
        }
        _ => return None,
    };
    let local = days_from_civil(y, m, d) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second);
    // Local time = UTC + offset, so UTC = local - offset.
    Some(local - offset_seconds)
}

/// Formats seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_rfc3339(epoch_secs: i64) -> String {
    let days = epoch_secs.div_euclid(86_400);
    let secs_of_day = epoch_secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60
    )
}

/// Days from 1970-01-01 to the proleptic Gregorian date `y-m-d` (negative before it). Uses
/// Howard Hinnant's `days_from_civil`, which shifts the year to start in March so that the
/// leap day falls at its end. Meant for valid dates (see [`is_valid_date`]); other inputs give
/// a number but not a meaningful one, and years too large for the arithmetic saturate.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let (y, m, d) = (i128::from(y), i128::from(m), i128::from(d));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400; // 0..=399
    let month_from_march = (m + 9) % 12; // March = 0 … February = 11
    let day_of_year = (153 * month_from_march + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    i64::try_from(days).unwrap_or(if days < 0 { i64::MIN } else { i64::MAX })
}

/// The inverse of [`days_from_civil`] (Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = i128::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097; // 0..=146096
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let d = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let m = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let y = year_of_era + era * 400 + i128::from(m <= 2);
    // Within i64 for every input: |days| / 365 is far below i64::MAX.
    (y as i64, m, d)
}

/// Gregorian leap years: every fourth year, except centuries not divisible by 400.
pub fn is_leap_year(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// Whether `y-m-d` is a real date of the proleptic Gregorian calendar.
pub fn is_valid_date(y: i64, m: u32, d: u32) -> bool {
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(y) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days_in_month).contains(&d)
}

/// Parses exactly `YYYY-MM-DD` (four-digit year, two-digit month and day) when it names a
/// real date, leap days included.
pub fn parse_date(text: &str) -> Option<(i64, u32, u32)> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let y = two_digits(bytes, 0)? * 100 + two_digits(bytes, 2)?;
    let m = two_digits(bytes, 5)?;
    let d = two_digits(bytes, 8)?;
    let y = i64::from(y);
    is_valid_date(y, m, d).then_some((y, m, d))
}

/// The two ASCII digits at `at..at + 2` as a number.
fn two_digits(bytes: &[u8], at: usize) -> Option<u32> {
    match bytes.get(at..at + 2)? {
        [tens @ b'0'..=b'9', ones @ b'0'..=b'9'] => {
            Some(u32::from(tens - b'0') * 10 + u32::from(ones - b'0'))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_with_an_offset_parse_to_utc_seconds() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2025-10-18T12:10:00Z"), Some(1_760_789_400));
        // The same instant in other offsets.
        assert_eq!(
            parse_rfc3339("2025-10-18T14:10:00+02:00"),
            Some(1_760_789_400)
        );
        assert_eq!(
            parse_rfc3339("2025-10-18T17:40:00+05:30"),
            Some(1_760_789_400)
        );
        assert_eq!(
            parse_rfc3339("2025-10-18T08:10:00-04:00"),
            Some(1_760_789_400)
        );
        assert_eq!(
            parse_rfc3339("2025-10-18T12:10:00-00:00"),
            Some(1_760_789_400)
        );
        // Fractional seconds are accepted and dropped.
        assert_eq!(
            parse_rfc3339("2025-10-18T12:10:00.123Z"),
            Some(1_760_789_400)
        );
        assert_eq!(
            parse_rfc3339("2025-10-18T14:10:00.999999+02:00"),
            Some(1_760_789_400)
        );
        assert_eq!(parse_rfc3339("2025-10-18t12:10:00z"), Some(1_760_789_400));
        // Before the epoch.
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z"), Some(-1));
        // A leap second is the next minute's first second.
        assert_eq!(
            parse_rfc3339("2016-12-31T23:59:60Z"),
            parse_rfc3339("2017-01-01T00:00:00Z")
        );
    }

    #[test]
    fn leap_days_follow_the_gregorian_rules() {
        assert_eq!(
            parse_rfc3339("2024-02-29T00:00:00Z"),
            parse_rfc3339("2024-03-01T00:00:00Z").map(|t| t - 86_400)
        );
        assert_eq!(parse_rfc3339("2025-02-29T00:00:00Z"), None);
        assert!(parse_rfc3339("2000-02-29T00:00:00Z").is_some());
        assert_eq!(parse_rfc3339("1900-02-29T00:00:00Z"), None);
    }

    #[test]
    fn malformed_timestamps_are_rejected() {
        for bad in [
            "2025-10-18T12:10:00",        // no offset
            "2025-10-18T12:10:00.5",      // no offset after a fraction
            "2025-10-18 12:10:00Z",       // space separator
            "2025-10-18T12:10Z",          // no seconds
            "2025-10-18T25:00:00Z",       // hour 25
            "2025-10-18T24:00:00Z",       // hour 24
            "2025-10-18T12:60:00Z",       // minute 60
            "2025-10-18T12:10:61Z",       // second 61
            "2025-02-30T12:10:00Z",       // Feb 30
            "2025-13-01T12:10:00Z",       // month 13
            "2025-10-18T12:10:00.Z",      // empty fraction
            "2025-10-18T12:10:00+0200",   // offset without colon
            "2025-10-18T12:10:00+24:00",  // offset hour out of range
            "2025-10-18T12:10:00+02:60",  // offset minute out of range
            "2025-10-18T12:10:00+02",     // short offset
            "2025-10-18T12:10:00Z ",      // trailing space
            " 2025-10-18T12:10:00Z",      // leading space
            "2025-10-18T12:10:00ZZ",      // trailing garbage
            "2025-1-18T12:10:00Z",        // one-digit month
            "+2025-10-18T12:10:00Z",      // signed year
            "2025-10-18T12:10:00\u{ff}Z", // non-ASCII
            "2025-10-18é12:10:00Z",       // non-ASCII separator
            "",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?} parsed");
        }
    }

    #[test]
    fn format_round_trips_with_parse() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(1_760_789_400), "2025-10-18T12:10:00Z");
        assert_eq!(format_rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(format_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        // Every day across several leap cycles, at an odd time of day.
        let start = parse_rfc3339("1896-01-01T00:00:00Z").unwrap();
        for day in 0..(365 * 210) {
            let t = start + day * 86_400 + 45_296;
            assert_eq!(parse_rfc3339(&format_rfc3339(t)), Some(t), "day {day}");
        }
    }

    #[test]
    fn civil_days_match_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2025, 10, 18), 20_379);
        // Out-of-range input gives some number instead of overflowing.
        let _ = days_from_civil(i64::MAX, 12, 31);
        let _ = days_from_civil(i64::MIN, 0, 0);
        let _ = format_rfc3339(i64::MAX);
        let _ = format_rfc3339(i64::MIN);
    }

    #[test]
    fn dates_must_be_exact_and_real() {
        assert_eq!(parse_date("2025-10-18"), Some((2025, 10, 18)));
        assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
        assert_eq!(parse_date("2000-02-29"), Some((2000, 2, 29)));
        assert_eq!(parse_date("0001-01-01"), Some((1, 1, 1)));
        assert_eq!(parse_date("2025-12-31"), Some((2025, 12, 31)));
        for bad in [
            "2025-02-29",
            "1900-02-29",
            "2025-04-31",
            "2025-00-10",
            "2025-10-00",
            "2025-10-32",
            "2025-13-01",
            "2025-1-18",
            "25-10-18",
            "2025/10/18",
            "2025-10-18 ",
            "2025-10-18T00:00:00Z",
            "20251018",
            "２０２５-10-18",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?} parsed");
        }
        assert!(is_valid_date(2024, 2, 29));
        assert!(!is_valid_date(2023, 2, 29));
        assert!(!is_valid_date(2023, 0, 1));
    }
}
