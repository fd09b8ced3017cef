//! SogeCommerce IPN (hosted form, `vads_*` fields): verification, validation and normalisation.
//! See sogecommerce.md §3, §4 and §7.
//!
//! Order of checks: field-name structure and the `signature` field → signature (nothing unsigned is trusted,
//! and an unauthenticated sender learns nothing about the other fields) → `vads_ctx_mode` → every other field.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use serde::Serialize;

use crate::money::Currency;
use crate::sogecommerce::{self, Algorithm, FIELD_PREFIX, Mode};

/// What the order should make of a notification, grouped as the official module does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Paid,
    Pending,
    ToValidate,
    Cancelled,
    Failed,
    /// A `CREDIT` (money given back) that succeeded: a refund, never a payment.
    Refunded,
    /// A `CREDIT` not settled yet (`REFUND_TO_RETRY`, waiting…).
    RefundPending,
    /// A `CREDIT` cancelled, refused or failed: nothing was given back.
    RefundFailed,
}

impl Outcome {
    /// `paid`, `pending`, `to_validate`, `cancelled`, `failed` (the `payments.status` values).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Paid => "paid",
            Outcome::Pending => "pending",
            Outcome::ToValidate => "to_validate",
            Outcome::Cancelled => "cancelled",
            Outcome::Failed => "failed",
            Outcome::Refunded => "refunded",
            Outcome::RefundPending => "refund_pending",
            Outcome::RefundFailed => "refund_failed",
        }
    }

    /// Groups a transaction by its operation and status. A `CREDIT` is a refund whatever its status word (the
    /// official module maps a successful CREDIT to its "Refunded" state): its outcomes are never `paid`, so that a
    /// refund notification can never be recorded as a payment (`payments.status` has no refund value).
    pub fn of(operation_type: Option<&str>, status: &str) -> Outcome {
        let group = Outcome::from_trans_status(status);
        if operation_type != Some("CREDIT") {
            return group;
        }
        match group {
            Outcome::Paid => Outcome::Refunded,
            Outcome::Pending | Outcome::ToValidate => Outcome::RefundPending,
            _ => Outcome::RefundFailed,
        }
    }

    /// Groups a `vads_trans_status` (exact, case-sensitive). Unknown values, including other spellings such as
    /// `WAITING_AUTHORIZATION`, are `Failed`: never treat an unknown status as paid.
    pub fn from_trans_status(status: &str) -> Outcome {
        match status {
            "AUTHORISED" | "CAPTURED" | "ACCEPTED" | "PARTIALLY_AUTHORISED" => Outcome::Paid,
            "AUTHORISED_TO_VALIDATE" | "WAITING_AUTHORISATION_TO_VALIDATE" => Outcome::ToValidate,
            "INITIAL"
            | "WAITING_AUTHORISATION"
            | "UNDER_VERIFICATION"
            | "PRE_AUTHORISED"
            | "WAITING_FOR_PAYMENT"
            | "SUSPENDED"
            | "PENDING"
            | "REFUND_TO_RETRY" => Outcome::Pending,
            "ABANDONED" | "NOT_CREATED" | "CANCELLED" => Outcome::Cancelled,
            _ => Outcome::Failed,
        }
    }
}

/// A verified, validated notification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    pub site_id: String,
    pub order_id: String,
    pub transaction_id: String,
    /// Lowercase 32-hex; `None` when absent or empty.
    pub transaction_uuid: Option<String>,
    /// UTC ISO 8601 "2026-11-29T18:30:05Z" from vads_trans_date.
    pub transaction_date: String,
    pub amount_cents: i64,
    pub currency_numeric: u16,
    /// ISO 4217 alpha-3.
    pub currency: &'static str,
    pub raw_status: String,
    pub outcome: Outcome,
    /// `DEBIT`, `CREDIT` or `VERIFICATION`; `None` when absent or empty (cancelled/abandoned payments).
    pub operation_type: Option<String>,
    /// vads_url_check_src (`PAY`, `BO`, `BATCH`, `RETRY`…); `None` when absent or empty.
    pub trigger: Option<String>,
    pub sequence_number: u32,
    pub mode: Mode,
    /// Stable across gateway re-sends of the same event; never uses vads_hash. ASCII, at most 190 characters.
    pub idempotency_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotificationError {
    /// Bad or missing signature (PHP: `OCPizza\SignatureException`).
    #[error("signature: {0}")]
    Signature(String),
    /// A missing or malformed field (PHP: `OCPizza\ValidationException` naming the field).
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
}

impl NotificationError {
    fn invalid(field: &str, reason: impl Into<String>) -> Self {
        NotificationError::Invalid {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }

    /// The field named by an `Invalid` error (`signature` for signature errors).
    pub fn field(&self) -> &str {
        match self {
            NotificationError::Signature(_) => "signature",
            NotificationError::Invalid { field, .. } => field,
        }
    }
}

/// Longest field name we accept: real names are ~30 bytes; this bounds error messages and hashing work.
const MAX_NAME_LEN: usize = 128;

/// Verifies the signature (with `key`, `alg`), checks vads_ctx_mode == mode, validates and normalises.
/// Fields are raw bytes; a non-UTF-8 value is an Invalid error naming the field; duplicate names are refused.
pub fn parse_notification<'a, I>(
    fields: I,
    key: &[u8],
    mode: Mode,
    alg: Algorithm,
) -> Result<Notification, NotificationError>
where
    I: IntoIterator<Item = (&'a [u8], &'a [u8])>,
{
    // Sorted by name once: duplicates become neighbours, lookups are binary searches, and the vads_* fields
    // form one contiguous run already in signing order.
    let mut fields: Vec<(&[u8], &[u8])> = fields.into_iter().collect();
    fields.sort_unstable_by(|a, b| a.0.cmp(b.0));
    check_names(&fields)?;
    let vads = vads_run(&fields);

    check_signature(&fields, vads, key, mode, alg)?;
    check_mode(&fields, mode)?;
    check_utf8(vads)?;

    let site_id = site_id(&fields)?;
    let transaction_id = transaction_id(&fields)?;
    let date = parse_trans_date(required(&fields, "vads_trans_date")?)?;
    let amount_cents = amount(&fields)?;
    let currency = currency(&fields)?;
    let raw_status = trans_status(&fields)?;
    let order_id = order_id(&fields)?;
    let transaction_uuid = transaction_uuid(&fields)?;
    let operation_type = operation_type(&fields)?;
    let trigger = trigger(&fields)?;
    let sequence_number = sequence_number(&fields)?;

    let idempotency_key = idempotency_key(
        site_id,
        transaction_uuid.as_deref(),
        transaction_id,
        &date,
        operation_type,
        sequence_number,
        raw_status,
    );
    Ok(Notification {
        site_id: site_id.to_owned(),
        order_id: order_id.to_owned(),
        transaction_id: transaction_id.to_owned(),
        transaction_uuid,
        transaction_date: iso8601_utc(&date),
        amount_cents,
        currency_numeric: currency.numeric,
        currency: currency.alpha,
        raw_status: raw_status.to_owned(),
        outcome: Outcome::of(operation_type, raw_status),
        operation_type: operation_type.map(str::to_owned),
        trigger: trigger.map(str::to_owned),
        sequence_number,
        mode,
        idempotency_key,
    })
}

type Fields<'f, 'a> = &'f [(&'a [u8], &'a [u8])];

/// Step 1: the `signature` field is present and shaped as `alg` outputs, then it matches.
fn check_signature(
    fields: Fields,
    vads: Fields,
    key: &[u8],
    mode: Mode,
    alg: Algorithm,
) -> Result<(), NotificationError> {
    let signature = lookup(fields, "signature")
        .ok_or_else(|| NotificationError::Signature("missing signature field".into()))?;
    if signature.is_empty() {
        return Err(NotificationError::Signature("empty signature field".into()));
    }
    let well_formed = match alg {
        Algorithm::HmacSha256 => {
            signature.len() == 44
                && signature
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(b))
        }
        Algorithm::Sha1 => signature.len() == 40 && signature.iter().all(|b| b.is_ascii_hexdigit()),
    };
    if !well_formed {
        return Err(NotificationError::Signature(format!(
            "malformed signature for {alg}"
        )));
    }
    if !sogecommerce::verify_sorted(vads, signature, key, alg) {
        return Err(NotificationError::Signature(format!(
            "signature does not match ({alg} with the {} key)",
            mode.as_str()
        )));
    }
    Ok(())
}

/// Step 2: a PRODUCTION shop never accepts a TEST notification, and the other way round.
fn check_mode(fields: Fields, mode: Mode) -> Result<(), NotificationError> {
    let ctx_mode = required(fields, "vads_ctx_mode")?;
    if ctx_mode != mode.as_str() {
        return Err(NotificationError::invalid(
            "vads_ctx_mode",
            format!(
                "{ctx_mode:?} does not match the configured mode {}",
                mode.as_str()
            ),
        ));
    }
    Ok(())
}

/// Step 3: every signed field, name and value, is UTF-8 (refused, never transcoded), used by us or not.
fn check_utf8(vads: Fields) -> Result<(), NotificationError> {
    for (name, value) in vads {
        if std::str::from_utf8(name).is_err() {
            return Err(NotificationError::invalid(
                &display_name(name),
                "field name is not valid UTF-8",
            ));
        }
        if std::str::from_utf8(value).is_err() {
            return Err(NotificationError::invalid(
                &display_name(name),
                "not valid UTF-8",
            ));
        }
    }
    Ok(())
}

/// n8.
fn site_id<'a>(fields: Fields<'_, 'a>) -> Result<&'a str, NotificationError> {
    let v = required(fields, "vads_site_id")?;
    if v.len() != 8 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NotificationError::invalid(
            "vads_site_id",
            "expected 8 digits",
        ));
    }
    Ok(v)
}

/// an6 (older docs: n6).
fn transaction_id<'a>(fields: Fields<'_, 'a>) -> Result<&'a str, NotificationError> {
    let v = required(fields, "vads_trans_id")?;
    if v.len() != 6 || !v.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(NotificationError::invalid(
            "vads_trans_id",
            "expected 6 letters or digits",
        ));
    }
    Ok(v)
}

/// Minor units: digits only (no sign, no decimal point), fits in i64.
fn amount(fields: Fields) -> Result<i64, NotificationError> {
    let v = required(fields, "vads_amount")?;
    if !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NotificationError::invalid(
            "vads_amount",
            "expected digits only (minor units)",
        ));
    }
    v.parse()
        .map_err(|_| NotificationError::invalid("vads_amount", "too large"))
}

/// ISO 4217 numeric, known to [`Currency`].
fn currency(fields: Fields) -> Result<&'static Currency, NotificationError> {
    Currency::parse_numeric(required(fields, "vads_currency")?).ok_or_else(|| {
        NotificationError::invalid(
            "vads_currency",
            "expected a known ISO 4217 numeric code (e.g. 978)",
        )
    })
}

/// Any status word (unknown ones are failures, not errors), bounded for the `raw_status` column.
fn trans_status<'a>(fields: Fields<'_, 'a>) -> Result<&'a str, NotificationError> {
    let v = required(fields, "vads_trans_status")?;
    if v.len() > 64 || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(NotificationError::invalid(
            "vads_trans_status",
            "expected at most 64 letters, digits or _",
        ));
    }
    Ok(v)
}

/// ans..64.
fn order_id<'a>(fields: Fields<'_, 'a>) -> Result<&'a str, NotificationError> {
    let v = required(fields, "vads_order_id")?;
    if v.chars().count() > 64 || v.chars().any(char::is_control) {
        return Err(NotificationError::invalid(
            "vads_order_id",
            "expected at most 64 printable characters",
        ));
    }
    Ok(v)
}

/// Optional 32 hex, normalised to lower case.
fn transaction_uuid(fields: Fields) -> Result<Option<String>, NotificationError> {
    match optional(fields, "vads_trans_uuid") {
        None => Ok(None),
        Some(u) if u.len() == 32 && u.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(Some(u.to_ascii_lowercase()))
        }
        Some(_) => Err(NotificationError::invalid(
            "vads_trans_uuid",
            "expected 32 hexadecimal characters",
        )),
    }
}

/// Optional: absent when the payment was cancelled or abandoned.
fn operation_type<'a>(fields: Fields<'_, 'a>) -> Result<Option<&'a str>, NotificationError> {
    match optional(fields, "vads_operation_type") {
        None => Ok(None),
        Some(op @ ("DEBIT" | "CREDIT" | "VERIFICATION")) => Ok(Some(op)),
        Some(_) => Err(NotificationError::invalid(
            "vads_operation_type",
            "expected DEBIT, CREDIT or VERIFICATION",
        )),
    }
}

/// Optional `vads_url_check_src` word (PAY, BO, BATCH, RETRY…; new values are accepted).
fn trigger<'a>(fields: Fields<'_, 'a>) -> Result<Option<&'a str>, NotificationError> {
    match optional(fields, "vads_url_check_src") {
        None => Ok(None),
        Some(t) if t.len() <= 32 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => {
            Ok(Some(t))
        }
        Some(_) => Err(NotificationError::invalid(
            "vads_url_check_src",
            "expected at most 32 letters, digits or _",
        )),
    }
}

/// Optional, 1 by default; a positive u32.
fn sequence_number(fields: Fields) -> Result<u32, NotificationError> {
    let Some(s) = optional(fields, "vads_sequence_number") else {
        return Ok(1);
    };
    s.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| s.parse::<u32>().ok())
        .flatten()
        .filter(|n| *n >= 1)
        .ok_or_else(|| {
            NotificationError::invalid("vads_sequence_number", "expected a positive integer")
        })
}

/// Refuses duplicate names (a form body may repeat a name; the signature would then be ambiguous) and absurd
/// ones. `fields` is sorted by name.
fn check_names(fields: &[(&[u8], &[u8])]) -> Result<(), NotificationError> {
    if let Some((name, _)) = fields.iter().find(|(name, _)| name.len() > MAX_NAME_LEN) {
        return Err(NotificationError::invalid(
            &display_name(name),
            "field name too long",
        ));
    }
    if let Some(w) = fields.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(NotificationError::invalid(
            &display_name(w[0].0),
            "duplicate field",
        ));
    }
    Ok(())
}

/// The `vads_*` fields of name-sorted `fields`: a contiguous run, since they share a prefix.
fn vads_run<'f, 'a>(fields: &'f [(&'a [u8], &'a [u8])]) -> &'f [(&'a [u8], &'a [u8])] {
    let start = fields.partition_point(|(n, _)| *n < FIELD_PREFIX);
    let len = fields[start..].partition_point(|(n, _)| n.starts_with(FIELD_PREFIX));
    &fields[start..start + len]
}

/// A field name fit for an error message: lossy UTF-8, control characters escaped, bounded; never empty (a body
/// such as `=a&=b` has a field with no name, and the error must still name something).
fn display_name(name: &[u8]) -> String {
    if name.is_empty() {
        return "(empty name)".to_owned();
    }
    let s: String = String::from_utf8_lossy(&name[..name.len().min(MAX_NAME_LEN)])
        .escape_debug()
        .collect();
    if name.len() > MAX_NAME_LEN {
        format!("{s}…")
    } else {
        s
    }
}

/// The value of `name` in name-sorted, duplicate-free `fields`.
fn lookup<'a>(fields: &[(&'a [u8], &'a [u8])], name: &str) -> Option<&'a [u8]> {
    fields
        .binary_search_by(|(n, _)| (*n).cmp(name.as_bytes()))
        .ok()
        .map(|i| fields[i].1)
}

/// A required field: present, non-empty, UTF-8.
fn required<'a>(fields: &[(&'a [u8], &'a [u8])], name: &str) -> Result<&'a str, NotificationError> {
    let raw = lookup(fields, name).ok_or_else(|| NotificationError::invalid(name, "missing"))?;
    let s = std::str::from_utf8(raw)
        .map_err(|_| NotificationError::invalid(name, "not valid UTF-8"))?;
    if s.is_empty() {
        return Err(NotificationError::invalid(name, "empty"));
    }
    Ok(s)
}

/// An optional field: `None` when absent or empty (the gateway posts blank optional fields). Must be called
/// after the UTF-8 check of all `vads_*` values.
fn optional<'a>(fields: &[(&'a [u8], &'a [u8])], name: &str) -> Option<&'a str> {
    lookup(fields, name)
        .and_then(|v| std::str::from_utf8(v).ok())
        .filter(|s| !s.is_empty())
}

/// `YYYYMMDDHHMMSS`, UTC, a real calendar date and time from 1970 on (no leap second: DATETIME refuses it).
fn parse_trans_date(s: &str) -> Result<NaiveDateTime, NotificationError> {
    let err = || {
        NotificationError::invalid(
            "vads_trans_date",
            "expected a real UTC date and time as YYYYMMDDHHMMSS",
        )
    };
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    // All ASCII digits: slicing is on char boundaries and every part parses.
    let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(u32::MAX);
    let year = n(0..4);
    if year < 1970 {
        return Err(err());
    }
    NaiveDate::from_ymd_opt(year as i32, n(4..6), n(6..8))
        .and_then(|d| d.and_hms_opt(n(8..10), n(10..12), n(12..14)))
        .ok_or_else(err)
}

/// `2026-11-29T18:30:05Z`.
fn iso8601_utc(d: &NaiveDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        d.year(),
        d.month(),
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    )
}

/// Reference §7: site + (uuid, or trans_id + UTC day) + operation + sequence + status; never vads_hash.
/// A readable join of validated ASCII parts, at most ~140 characters (column: VARCHAR(190) ascii).
pub(crate) fn idempotency_key(
    site_id: &str,
    uuid: Option<&str>,
    trans_id: &str,
    date: &NaiveDateTime,
    operation: Option<&str>,
    sequence: u32,
    status: &str,
) -> String {
    let transaction = match uuid {
        Some(u) => format!("u{u}"),
        // trans_id is unique per shop per UTC day, case-insensitively.
        None => format!(
            "t{:04}{:02}{:02}-{}",
            date.year(),
            date.month(),
            date.day(),
            trans_id.to_ascii_uppercase()
        ),
    };
    format!(
        "sc:{site_id}:{transaction}:{}:{sequence}:{status}",
        operation.unwrap_or("-")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credit_is_a_refund_never_a_payment() {
        assert_eq!(Outcome::of(Some("CREDIT"), "CAPTURED"), Outcome::Refunded);
        assert_eq!(Outcome::of(Some("CREDIT"), "AUTHORISED"), Outcome::Refunded);
        assert_eq!(Outcome::of(Some("CREDIT"), "REFUND_TO_RETRY"), Outcome::RefundPending);
        assert_eq!(Outcome::of(Some("CREDIT"), "CANCELLED"), Outcome::RefundFailed);
        assert_eq!(Outcome::of(Some("CREDIT"), "WHATEVER"), Outcome::RefundFailed);
        assert_eq!(Outcome::of(Some("DEBIT"), "CAPTURED"), Outcome::Paid);
        assert_eq!(Outcome::of(None, "ABANDONED"), Outcome::Cancelled);
        assert_eq!(Outcome::Refunded.as_str(), "refunded");
    }

    #[test]
    fn status_groups() {
        assert_eq!(Outcome::from_trans_status("CAPTURED"), Outcome::Paid);
        assert_eq!(
            Outcome::from_trans_status("AUTHORISED_TO_VALIDATE"),
            Outcome::ToValidate
        );
        assert_eq!(
            Outcome::from_trans_status("WAITING_AUTHORISATION"),
            Outcome::Pending
        );
        assert_eq!(Outcome::from_trans_status("ABANDONED"), Outcome::Cancelled);
        assert_eq!(
            Outcome::from_trans_status("WAITING_AUTHORIZATION"),
            Outcome::Failed
        );
        assert_eq!(Outcome::from_trans_status("captured"), Outcome::Failed);
    }

    #[test]
    fn trans_dates() {
        assert_eq!(
            parse_trans_date("20261129183005").unwrap().to_string(),
            "2026-11-29 18:30:05"
        );
        assert!(parse_trans_date("20240229000000").is_ok());
        for bad in [
            "20230229000000",
            "20261329000000",
            "20261129240000",
            "20261129186000",
            "20261129183060",
            "2026112918300",
            "2026112918300x",
            "19691231235959",
            "00000101000000",
            "+0261129183005",
        ] {
            assert!(parse_trans_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn key_is_bounded_ascii() {
        let d = parse_trans_date("20261129183005").unwrap();
        let k = idempotency_key(
            "12345678",
            None,
            "ab12cd",
            &d,
            None,
            4_294_967_295,
            &"X".repeat(64),
        );
        assert!(k.len() <= 190 && k.is_ascii(), "{k}");
        assert_eq!(
            k,
            format!(
                "sc:12345678:t20261129-AB12CD:-:4294967295:{}",
                "X".repeat(64)
            )
        );
        let u = "0123456789abcdef0123456789abcdef";
        let k = idempotency_key(
            "12345678",
            Some(u),
            "ab12cd",
            &d,
            Some("VERIFICATION"),
            4_294_967_295,
            &"X".repeat(64),
        );
        assert!(k.len() <= 190, "{}", k.len());
    }
}
