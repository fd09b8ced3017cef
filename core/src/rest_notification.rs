//! SogeCommerce REST notifications (`kr-*` fields, sogecommerce.md §6): verification of `kr-hash` on the exact
//! posted bytes of `kr-answer`, then the answer's fields, normalised into the shape of [`crate::notification`]'s
//! form notifications (outcome, minor units, currency, transaction uuid, idempotency key).
//!
//! Order of checks, as for the form: field names (no duplicates) and the `kr-hash*` fields → the hash (nothing
//! unsigned is read before it, so an unauthenticated sender learns nothing about the answer's checks) → the JSON
//! answer, field by field, each refusal naming its path (`kr-answer.transactions[0].amount`).
//!
//! What the answer carries is read the way the official modules read it (Lyra's PayZen plugins, `convertRestResult`:
//! the first transaction's `uuid`, `amount`, `currency`, `detailedStatus` as `vads_trans_status`, `operationType`,
//! `transactionDetails.sequenceNumber`, `transactionDetails.cardDetails.legacyTransId` as `vads_trans_id`,
//! `creationDate`; `orderDetails.orderId` as `vads_order_id`).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::money::Currency;
use crate::notification::{NotificationError, Outcome, idempotency_key};
use crate::sogecommerce::{self, Mode};

/// The only `kr-hash-algorithm` the platform uses.
pub const HASH_ALGORITHM: &str = "sha256_hmac";
/// The answer type of a payment notification (the one this parser knows).
pub const ANSWER_TYPE: &str = "V4/Payment";

/// Which key signed `kr-hash` (`kr-hash-key`): the REST password (IPN) or the HMAC-SHA-256 key (browser return).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HashKey {
    Password,
    Sha256Hmac,
}

impl HashKey {
    pub fn as_str(self) -> &'static str {
        match self {
            HashKey::Password => "password",
            HashKey::Sha256Hmac => "sha256_hmac",
        }
    }
}

/// A verified, validated REST notification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestNotification {
    /// `shopId` (the form's `vads_site_id`).
    pub site_id: String,
    /// `orderDetails.orderId` (the form's `vads_order_id`).
    pub order_id: String,
    /// `orderStatus`: `PAID`, `UNPAID`, `RUNNING`, `ABANDONED`… (new words accepted).
    pub order_status: String,
    /// `orderCycle`: `OPEN` or `CLOSED`, when present.
    pub order_cycle: Option<String>,
    /// `transactions[0].transactionDetails.cardDetails.legacyTransId` (the form's `vads_trans_id`), when present.
    pub transaction_id: Option<String>,
    /// `transactions[0].uuid`, lowercase 32-hex.
    pub transaction_uuid: String,
    /// `transactions[0].creationDate` in UTC, `2026-11-29T18:30:05Z`, when present.
    pub transaction_date: Option<String>,
    pub amount_cents: i64,
    pub currency_numeric: u16,
    pub currency: &'static str,
    /// `transactions[0].detailedStatus` (the `vads_trans_status` values).
    pub raw_status: String,
    pub outcome: Outcome,
    /// `DEBIT`, `CREDIT` or `VERIFICATION`.
    pub operation_type: String,
    pub sequence_number: u32,
    pub mode: Mode,
    pub answer_type: String,
    pub hash_key: HashKey,
    /// The same key a form notification of the same transaction event gets (`sc:<shop>:u<uuid>:<op>:<seq>:<status>`):
    /// stable across re-sends, and a form IPN and a REST IPN of one event are one event.
    pub idempotency_key: String,
}

fn invalid(field: &str, reason: impl Into<String>) -> NotificationError {
    NotificationError::Invalid { field: field.to_owned(), reason: reason.into() }
}

fn signature(reason: impl Into<String>) -> NotificationError {
    NotificationError::Signature(reason.into())
}

/// Parses a REST notification posted as `fields` (raw bytes, as received). `rest_password` verifies a
/// `kr-hash-key=password` message (IPN), `hmac_key` a `kr-hash-key=sha256_hmac` one (browser return); pass an empty
/// key to refuse that kind (an IPN endpoint should accept only the password). `mode` must equal
/// `orderDetails.mode`.
pub fn parse_rest_notification<'a, I>(
    fields: I,
    rest_password: &[u8],
    hmac_key: &[u8],
    mode: Mode,
) -> Result<RestNotification, NotificationError>
where
    I: IntoIterator<Item = (&'a [u8], &'a [u8])>,
{
    let fields: Vec<(&[u8], &[u8])> = fields.into_iter().collect();
    let get = |name: &str| -> Result<Option<&'a [u8]>, NotificationError> {
        let mut found = fields.iter().filter(|(n, _)| *n == name.as_bytes());
        let first = found.next().map(|(_, v)| *v);
        if found.next().is_some() {
            return Err(invalid(name, "duplicate field"));
        }
        Ok(first)
    };
    let required = |name: &str| -> Result<&'a [u8], NotificationError> {
        match get(name)? {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(invalid(name, "is required")),
        }
    };

    // 1. The hash fields, then the hash itself.
    let answer = required("kr-answer")?;
    let hash = get("kr-hash")?.filter(|h| !h.is_empty()).ok_or_else(|| signature("missing kr-hash field"))?;
    match required("kr-hash-algorithm")? {
        a if a == HASH_ALGORITHM.as_bytes() => {}
        _ => return Err(invalid("kr-hash-algorithm", format!("expected {HASH_ALGORITHM}, the only algorithm"))),
    }
    let (hash_key, key) = match required("kr-hash-key")? {
        b"password" => (HashKey::Password, rest_password),
        b"sha256_hmac" => (HashKey::Sha256Hmac, hmac_key),
        _ => return Err(invalid("kr-hash-key", "expected password or sha256_hmac")),
    };
    if key.is_empty() {
        return Err(signature(format!(
            "no key is configured for kr-hash-key={} on this endpoint",
            hash_key.as_str()
        )));
    }
    if hash.len() != 64 || !hash.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)) {
        return Err(signature("malformed kr-hash (expected 64 lowercase hexadecimal characters)"));
    }
    if !sogecommerce::verify_kr_hash(answer, hash, key) {
        return Err(signature(format!(
            "kr-hash does not match (HMAC-SHA-256 with the {} key of the {} mode)",
            match hash_key {
                HashKey::Password => "REST password",
                HashKey::Sha256Hmac => "HMAC-SHA-256",
            },
            mode.as_str()
        )));
    }

    // 2. The answer, signed: now read.
    let answer_type = match get("kr-answer-type")? {
        None | Some(b"") => return Err(invalid("kr-answer-type", "is required")),
        Some(t) if t == ANSWER_TYPE.as_bytes() => ANSWER_TYPE.to_owned(),
        Some(_) => return Err(invalid("kr-answer-type", format!("unknown answer type (expected {ANSWER_TYPE})"))),
    };
    let text = std::str::from_utf8(answer).map_err(|_| invalid("kr-answer", "not valid UTF-8"))?;
    let json: Value = serde_json::from_str(text).map_err(|e| invalid("kr-answer", format!("not valid JSON ({e})")))?;
    let root = Obj::root(&json)?;

    let site_id = root.str("shopId")?;
    if site_id.len() != 8 || !site_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(&root.path("shopId"), "expected 8 digits"));
    }
    let details = root.obj("orderDetails")?;
    let posted_mode = details.str("mode")?;
    if posted_mode != mode.as_str() {
        return Err(invalid(
            &details.path("mode"),
            format!("{posted_mode:?} does not match the configured mode {}", mode.as_str()),
        ));
    }
    let order_id = details.str("orderId")?;
    if order_id.is_empty() || order_id.chars().count() > 64 || order_id.chars().any(char::is_control) {
        return Err(invalid(&details.path("orderId"), "expected 1 to 64 printable characters"));
    }
    let order_status = word(&root, "orderStatus", 32)?;
    let order_cycle = match root.opt("orderCycle") {
        None => None,
        Some(_) => Some(word(&root, "orderCycle", 32)?),
    };

    let transactions = root.list("transactions")?;
    let first = transactions
        .first()
        .ok_or_else(|| invalid(&root.path("transactions"), "expected at least one transaction"))?;
    let tx = Obj::at(root.path("transactions[0]"), first)?;
    let uuid = tx.str("uuid")?;
    if uuid.len() != 32 || !uuid.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid(&tx.path("uuid"), "expected 32 hexadecimal characters"));
    }
    let uuid = uuid.to_ascii_lowercase();
    let amount_cents = match tx.get("amount")? {
        Value::Number(n) => n.as_i64().filter(|a| *a >= 0),
        _ => None,
    }
    .ok_or_else(|| invalid(&tx.path("amount"), "expected a non-negative integer (minor units)"))?;
    let currency = Currency::by_alpha(tx.str("currency")?)
        .ok_or_else(|| invalid(&tx.path("currency"), "expected a known ISO 4217 alphabetic code (e.g. EUR)"))?;
    let raw_status = word(&tx, "detailedStatus", 64)?;
    let operation_type = match tx.str("operationType")? {
        op @ ("DEBIT" | "CREDIT" | "VERIFICATION") => op.to_owned(),
        _ => return Err(invalid(&tx.path("operationType"), "expected DEBIT, CREDIT or VERIFICATION")),
    };
    let transaction_date = match tx.opt("creationDate") {
        None => None,
        Some(_) => {
            let d = DateTime::parse_from_rfc3339(tx.str("creationDate")?)
                .map_err(|_| invalid(&tx.path("creationDate"), "expected an ISO 8601 date-time with an offset"))?;
            Some(d.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Secs, true))
        }
    };
    let (sequence_number, transaction_id) = match tx.opt("transactionDetails") {
        None => (1, None),
        Some(_) => {
            let d = tx.obj("transactionDetails")?;
            let seq = match d.opt("sequenceNumber") {
                None => 1,
                Some(Value::Number(n)) => n
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| invalid(&d.path("sequenceNumber"), "expected a positive integer"))?,
                Some(_) => return Err(invalid(&d.path("sequenceNumber"), "expected a positive integer")),
            };
            let legacy = match d.opt("cardDetails") {
                None => None,
                Some(_) => {
                    let card = d.obj("cardDetails")?;
                    match card.opt("legacyTransId") {
                        None => None,
                        Some(_) => {
                            let id = card.str("legacyTransId")?;
                            if id.len() != 6 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                                return Err(invalid(&card.path("legacyTransId"), "expected 6 letters or digits"));
                            }
                            Some(id.to_owned())
                        }
                    }
                }
            };
            (seq, legacy)
        }
    };

    let outcome = Outcome::of(Some(&operation_type), &raw_status);
    let key = idempotency_key(
        site_id,
        Some(&uuid),
        "",
        &chrono::NaiveDateTime::default(),
        Some(&operation_type),
        sequence_number,
        &raw_status,
    );
    Ok(RestNotification {
        site_id: site_id.to_owned(),
        order_id: order_id.to_owned(),
        order_status,
        order_cycle,
        transaction_id,
        transaction_uuid: uuid,
        transaction_date,
        amount_cents,
        currency_numeric: currency.numeric,
        currency: currency.alpha,
        raw_status,
        outcome,
        operation_type,
        sequence_number,
        mode,
        answer_type,
        hash_key,
        idempotency_key: key,
    })
}

/// A status-like word: letters, digits and `_`, bounded.
fn word(o: &Obj, name: &str, max: usize) -> Result<String, NotificationError> {
    let v = o.str(name)?;
    if v.is_empty() || v.len() > max || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(invalid(&o.path(name), format!("expected 1 to {max} letters, digits or _")));
    }
    Ok(v.to_owned())
}

/// A JSON object of the answer and its path (`kr-answer.orderDetails`).
struct Obj<'a> {
    path: String,
    map: &'a Map<String, Value>,
}

impl<'a> Obj<'a> {
    fn root(v: &'a Value) -> Result<Obj<'a>, NotificationError> {
        Obj::at("kr-answer".to_owned(), v)
    }

    fn at(path: String, v: &'a Value) -> Result<Obj<'a>, NotificationError> {
        match v {
            Value::Object(map) => Ok(Obj { path, map }),
            _ => Err(invalid(&path, "expected a JSON object")),
        }
    }

    fn path(&self, name: &str) -> String {
        format!("{}.{name}", self.path)
    }

    /// Present and not null.
    fn opt(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    fn get(&self, name: &str) -> Result<&'a Value, NotificationError> {
        self.opt(name).ok_or_else(|| invalid(&self.path(name), "is required"))
    }

    fn str(&self, name: &str) -> Result<&'a str, NotificationError> {
        self.get(name)?.as_str().ok_or_else(|| invalid(&self.path(name), "expected a string"))
    }

    fn obj(&self, name: &str) -> Result<Obj<'a>, NotificationError> {
        Obj::at(self.path(name), self.get(name)?)
    }

    fn list(&self, name: &str) -> Result<&'a Vec<Value>, NotificationError> {
        self.get(name)?.as_array().ok_or_else(|| invalid(&self.path(name), "expected a list"))
    }
}
