//! Amounts and dates as Dolibarr wants them: decimal strings parsed without floats, prices sent as JSON numbers,
//! dates as the Unix timestamp of midnight in Paris (Dolibarr keeps order dates at day precision, server time).

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use serde_json::Value;

/// `"24.64000000"`, `"-3.5"`, `"10"` → cents, rounded half away from zero. `None` if not a decimal.
pub fn parse_cents(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) || int.len() > 15 {
        return None;
    }
    let int: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let f = frac.as_bytes();
    let digit = |i: usize| f.get(i).map(|b| i64::from(b - b'0')).unwrap_or(0);
    let mut cents = int * 100 + digit(0) * 10 + digit(1);
    if digit(2) >= 5 {
        cents += 1;
    }
    Some(if neg { -cents } else { cents })
}

/// Cents as a JSON number with at most two decimals (`1099` → `10.99`): f64 prints the shortest representation
/// that reads back the same, so no binary noise reaches Dolibarr.
pub fn cents_json(cents: i64) -> Value {
    serde_json::Number::from_f64(cents as f64 / 100.0).map(Value::Number).unwrap_or(Value::Null)
}

/// Cents as a decimal string for messages, `-1099` → `"-10.99"`.
pub fn cents_str(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

/// A VAT rate string from the shop (`"10.00"`, `"5.5"`) as a JSON number, refusing anything but 0–100.
pub fn rate_json(rate: &str) -> Option<Value> {
    let r: f64 = rate.trim().parse().ok()?;
    if !(0.0..=100.0).contains(&r) || rate.trim().bytes().any(|b| !(b.is_ascii_digit() || b == b'.')) {
        return None;
    }
    serde_json::Number::from_f64(r).map(Value::Number)
}

/// Last Sunday of a month, at 01:00 UTC: when Europe/Paris switches between CET and CEST.
fn switch_instant(year: i32, month: u32) -> DateTime<Utc> {
    let mut d = NaiveDate::from_ymd_opt(year, month + 1, 1).expect("valid month") - Duration::days(1);
    while d.weekday() != Weekday::Sun {
        d -= Duration::days(1);
    }
    Utc.from_utc_datetime(&d.and_hms_opt(1, 0, 0).expect("valid time"))
}

/// Europe/Paris offset from UTC at an instant (EU rule since 1996: CEST from the last Sunday of March to the last
/// Sunday of October, both at 01:00 UTC).
fn paris_offset(at: DateTime<Utc>) -> Duration {
    let y = at.year();
    if at >= switch_instant(y, 3) && at < switch_instant(y, 10) { Duration::hours(2) } else { Duration::hours(1) }
}

/// The Unix timestamp of midnight, Paris time, of the Paris day an RFC 3339 instant falls on.
pub fn paris_midnight(rfc3339: &str) -> Option<i64> {
    let at = DateTime::parse_from_rfc3339(rfc3339).ok()?.with_timezone(&Utc);
    let local_day = (at + paris_offset(at)).date_naive();
    let naive_midnight = Utc.from_utc_datetime(&local_day.and_hms_opt(0, 0, 0)?);
    // Midnight is always before the 01:00 UTC switch of that day, so the offset of the evening before applies.
    let offset = paris_offset(naive_midnight - Duration::hours(2));
    Some((naive_midnight - offset).timestamp())
}

/// Unix timestamp of an RFC 3339 instant.
pub fn unix(rfc3339: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(rfc3339).ok().map(|d| d.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_strings_become_cents_without_floats() {
        assert_eq!(parse_cents("24.64000000"), Some(2464));
        assert_eq!(parse_cents("10"), Some(1000));
        assert_eq!(parse_cents("0.005"), Some(1));
        assert_eq!(parse_cents("0.00499999"), Some(0));
        assert_eq!(parse_cents("-3.5"), Some(-350));
        assert_eq!(parse_cents(".5"), Some(50));
        assert_eq!(parse_cents("1e3"), None);
        assert_eq!(parse_cents(""), None);
        assert_eq!(parse_cents("abc"), None);
    }

    #[test]
    fn cents_are_sent_as_short_decimals() {
        assert_eq!(cents_json(1099).to_string(), "10.99");
        assert_eq!(cents_json(-250).to_string(), "-2.5");
        assert_eq!(cents_json(1000).to_string(), "10.0");
        assert_eq!(cents_str(-1099), "-10.99");
        assert_eq!(rate_json("5.5").unwrap().to_string(), "5.5");
        assert!(rate_json("-1").is_none());
        assert!(rate_json("1e2").is_none());
    }

    #[test]
    fn dates_are_paris_midnight() {
        // Winter (CET, UTC+1): 2026-11-29 23:30 UTC is already 30 November in Paris.
        assert_eq!(
            paris_midnight("2026-11-29T23:30:00Z"),
            Some(Utc.with_ymd_and_hms(2026, 11, 29, 23, 0, 0).unwrap().timestamp())
        );
        assert_eq!(
            paris_midnight("2026-11-29T18:30:00Z"),
            Some(Utc.with_ymd_and_hms(2026, 11, 28, 23, 0, 0).unwrap().timestamp())
        );
        // Summer (CEST, UTC+2).
        assert_eq!(
            paris_midnight("2026-07-14T12:00:00+02:00"),
            Some(Utc.with_ymd_and_hms(2026, 7, 13, 22, 0, 0).unwrap().timestamp())
        );
        // Switch days: 29 March 2026 and 25 October 2026 start with the previous offset.
        assert_eq!(
            paris_midnight("2026-03-29T12:00:00Z"),
            Some(Utc.with_ymd_and_hms(2026, 3, 28, 23, 0, 0).unwrap().timestamp())
        );
        assert_eq!(
            paris_midnight("2026-10-25T12:00:00Z"),
            Some(Utc.with_ymd_and_hms(2026, 10, 24, 22, 0, 0).unwrap().timestamp())
        );
        assert_eq!(paris_midnight("not a date"), None);
    }
}
