//! Amounts and dates as Dolibarr wants them: decimal strings parsed without floats, prices sent as JSON numbers,
//! dates as the Unix timestamp of noon of the chain's day (see [`chain_noon`]).

use chrono::{DateTime, NaiveDate, TimeZone};
use chrono_tz::Tz;
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

/// The calendar day an RFC 3339 instant falls on in the chain's timezone.
pub fn chain_day(rfc3339: &str, tz: Tz) -> Option<NaiveDate> {
    Some(DateTime::parse_from_rfc3339(rfc3339).ok()?.with_timezone(&tz).date_naive())
}

/// The Unix timestamp of noon, chain time, of the chain's day of an instant: what the bridge sends as a Dolibarr
/// date (order `date`, invoice `date`, payment `datepaye`).
///
/// Dolibarr stores those dates with `DoliDB::idate($ts)`, i.e. `dol_print_date($ts, …, 'tzserver')`: the day the
/// timestamp falls on *in its PHP timezone*, which is not ours (Debian's PHP defaults to UTC). Noon of our day is
/// still that day in any zone up to 12 h west and less than 12 h east of the chain's (UTC and Paris, Vladivostok
/// or Honolulu for a Paris chain), so Dolibarr gets the right day without knowing its PHP settings. A
/// `"YYYY-MM-DD"` string is no better: `dol_print_date()` reads it as midnight UTC and prints it in PHP's zone,
/// the day before anywhere west of UTC.
pub fn chain_noon(rfc3339: &str, tz: Tz) -> Option<i64> {
    let day = chain_day(rfc3339, tz)?;
    // No timezone changes offset around noon, so local noon exists once; `earliest` is belt and braces.
    tz.from_local_datetime(&day.and_hms_opt(12, 0, 0)?).earliest().map(|d| d.timestamp())
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
    fn dates_are_noon_of_the_chain_day() {
        use chrono::Utc;
        use chrono_tz::Europe::Paris;
        let noon = |y, m, d, h| Some(Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().timestamp());
        // Winter (CET, UTC+1): 2026-12-07 23:30 UTC is already the 8th in Paris.
        assert_eq!(chain_noon("2026-12-07T23:30:00Z", Paris), noon(2026, 12, 8, 11));
        assert_eq!(chain_noon("2026-12-07T21:30:00+01:00", Paris), noon(2026, 12, 7, 11));
        // Summer (CEST, UTC+2).
        assert_eq!(chain_noon("2026-07-14T23:30:00+02:00", Paris), noon(2026, 7, 14, 10));
        // Days Paris changes offset: the day of the change counts in its own offset at noon.
        assert_eq!(chain_noon("2026-03-29T00:30:00Z", Paris), noon(2026, 3, 29, 10));
        assert_eq!(chain_noon("2026-10-25T22:59:00Z", Paris), noon(2026, 10, 25, 11));
        assert_eq!(chain_day("2026-10-25T23:00:00Z", Paris), NaiveDate::from_ymd_opt(2026, 10, 26));
        // Another chain timezone.
        assert_eq!(chain_noon("2026-12-07T12:00:00Z", chrono_tz::Pacific::Noumea), noon(2026, 12, 7, 1));
        assert_eq!(chain_noon("not a date", Paris), None);
    }
}
