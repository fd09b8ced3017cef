//! SogeCommerce REST `V4/Transaction/CancelOrRefund` (sogecommerce.md §6): the request body and what the answer
//! means. The HTTP call itself is the extension's (`OCPizza\SogeCommerce::cancelOrRefund`); this part is pure.
//!
//! The platform answers every REST call with an envelope `{"status": "SUCCESS"|"ERROR", "answer": {…}, …}` (read
//! that way by Lyra's own clients: `checkResult` of the PayZen plugins, `$response['status'] != 'SUCCESS'` then
//! `answer.errorCode` / `errorMessage` / `detailedErrorMessage`). On SUCCESS `answer` is the transaction after the
//! operation: a refund is a new `CREDIT` transaction; a cancellation brings the `DEBIT` back as `CANCELLED`; a partial
//! cancellation of a transaction not yet captured leaves the `DEBIT` with a smaller amount.

use serde::Serialize;
use serde_json::{Value, json};

use crate::codes::{self, Code};
use crate::money::Currency;
use crate::notification::Outcome;

/// `resolutionMode`: `AUTO` (cancel if not captured yet, else refund), `REFUND_ONLY`, `CANCELLATION_ONLY`.
pub const RESOLUTION_MODES: [&str; 3] = ["AUTO", "REFUND_ONLY", "CANCELLATION_ONLY"];

/// The path under the REST API base (`https://api-sogecommerce.societegenerale.eu/api-payment/`).
pub const PATH: &str = "V4/Transaction/CancelOrRefund";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CancelError {
    /// The caller's input (PHP: `ValidationException` naming the parameter).
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// The gateway refused, or its answer cannot be read, or it could not be reached (PHP: `GatewayException` with
    /// `errorCode`). Nothing was given back as far as we know.
    #[error("{message}")]
    Gateway { code: String, message: String },
}

fn invalid(field: &str, reason: impl Into<String>) -> CancelError {
    CancelError::Invalid { field: field.to_owned(), reason: reason.into() }
}

fn gateway(code: impl Into<String>, message: impl Into<String>) -> CancelError {
    CancelError::Gateway { code: code.into(), message: message.into() }
}

/// The checked request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelRequest {
    pub shop_id: String,
    pub uuid: String,
    pub amount_cents: i64,
    pub currency: &'static str,
    pub resolution_mode: &'static str,
}

impl CancelRequest {
    pub fn new(shop_id: &str, uuid: &str, amount_cents: i64, currency: &str, mode: &str) -> Result<Self, CancelError> {
        if shop_id.len() != 8 || !shop_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("shopId", "expected 8 digits"));
        }
        if uuid.len() != 32 || !uuid.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid("uuid", "expected the transaction's 32 hexadecimal characters"));
        }
        if amount_cents <= 0 {
            return Err(invalid("amountCents", "must be a positive number of minor units"));
        }
        codes::check(Code::Currency, "currency", currency).map_err(|e| invalid("currency", strip(&e.to_string())))?;
        let currency = Currency::by_alpha(currency)
            .ok_or_else(|| invalid("currency", "is not a currency the gateway accepts"))?
            .alpha;
        let resolution_mode = RESOLUTION_MODES
            .iter()
            .copied()
            .find(|m| *m == mode)
            .ok_or_else(|| invalid("resolutionMode", format!("must be one of {}", RESOLUTION_MODES.join(", "))))?;
        Ok(CancelRequest {
            shop_id: shop_id.to_owned(),
            uuid: uuid.to_ascii_lowercase(),
            amount_cents,
            currency,
            resolution_mode,
        })
    }

    /// The JSON body POSTed (amount in minor units, as every REST amount).
    pub fn body(&self) -> Value {
        json!({"uuid": self.uuid, "amount": self.amount_cents, "currency": self.currency,
               "resolutionMode": self.resolution_mode})
    }
}

fn strip(message: &str) -> String {
    message.split_once(": ").map_or(message, |(_, r)| r).to_owned()
}

/// What happened, from a SUCCESS answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CancelResult {
    /// `refund` (a new CREDIT transaction), `cancellation` (the DEBIT cancelled), `partial_cancellation` (the DEBIT,
    /// not captured yet, authorised for less).
    pub resolution: &'static str,
    /// The transaction of the answer: the CREDIT's own uuid for a refund, the DEBIT's otherwise.
    pub uuid: String,
    pub operation_type: String,
    pub status: Option<String>,
    pub detailed_status: String,
    pub amount_cents: i64,
    pub currency: String,
    /// `refunded`, `refund_pending`, `refund_failed` for a refund; `cancelled` for a cancellation; the DEBIT's
    /// group (`paid`…) for a partial cancellation.
    pub outcome: &'static str,
    /// True when the gateway says the money is given back (refunded, cancelled, or the authorisation reduced).
    pub confirmed: bool,
}

/// Reads the gateway's answer (`http_status`, `body`) to a request for `requested_uuid`.
pub fn read_answer(http_status: u16, body: &[u8], requested_uuid: &str) -> Result<CancelResult, CancelError> {
    let envelope: Option<Value> = serde_json::from_slice(body).ok();
    let status = envelope.as_ref().and_then(|v| v.get("status")).and_then(Value::as_str).map(str::to_owned);
    let status = status.as_deref();
    if status == Some("ERROR") || !(200..300).contains(&http_status) {
        let answer = envelope.as_ref().and_then(|v| v.get("answer"));
        let text = |k: &str| answer.and_then(|a| a.get(k)).and_then(Value::as_str).filter(|s| !s.is_empty());
        let code = text("errorCode").map(|c| c.chars().take(40).collect::<String>());
        let mut message = match (text("errorMessage"), &code) {
            (Some(m), _) => m.chars().take(300).collect::<String>(),
            (None, _) => format!("the gateway answered HTTP {http_status}"),
        };
        if let Some(d) = text("detailedErrorMessage") {
            message.push_str(&format!(" ({})", d.chars().take(300).collect::<String>()));
        }
        let code = code.unwrap_or_else(|| format!("HTTP_{http_status}"));
        return Err(gateway(code.clone(), format!("refused by the gateway: {message} [{code}]")));
    }
    let envelope = envelope.ok_or_else(|| gateway("INVALID_ANSWER", "the gateway's answer is not JSON"))?;
    if status != Some("SUCCESS") {
        return Err(gateway("INVALID_ANSWER", "the gateway's answer has no status SUCCESS or ERROR"));
    }
    let bad = |what: &str| gateway("INVALID_ANSWER", format!("the gateway's answer has no valid answer.{what}"));
    let tx = envelope.get("answer").filter(|a| a.is_object()).ok_or_else(|| bad("transaction"))?;
    let text = |k: &str| tx.get(k).and_then(Value::as_str);
    let uuid = text("uuid").filter(|u| u.len() == 32 && u.bytes().all(|b| b.is_ascii_hexdigit())).ok_or_else(|| bad("uuid"))?;
    let operation_type = text("operationType").filter(|o| ["DEBIT", "CREDIT"].contains(o)).ok_or_else(|| bad("operationType"))?;
    let detailed_status = text("detailedStatus").filter(|s| !s.is_empty() && s.len() <= 64).ok_or_else(|| bad("detailedStatus"))?;
    let amount_cents = tx.get("amount").and_then(Value::as_i64).filter(|a| *a >= 0).ok_or_else(|| bad("amount"))?;
    let currency = text("currency").filter(|c| Currency::by_alpha(c).is_some()).ok_or_else(|| bad("currency"))?;
    let (resolution, outcome, confirmed) = if operation_type == "CREDIT" {
        let o = Outcome::of(Some("CREDIT"), detailed_status);
        ("refund", o.as_str(), o == Outcome::Refunded)
    } else if !uuid.eq_ignore_ascii_case(requested_uuid) {
        return Err(gateway("INVALID_ANSWER", "the gateway answered with a DEBIT of another transaction"));
    } else if detailed_status == "CANCELLED" {
        ("cancellation", "cancelled", true)
    } else {
        let o = Outcome::from_trans_status(detailed_status);
        ("partial_cancellation", o.as_str(), o == Outcome::Paid || o == Outcome::ToValidate)
    };
    Ok(CancelResult {
        resolution,
        uuid: uuid.to_ascii_lowercase(),
        operation_type: operation_type.to_owned(),
        status: text("status").map(str::to_owned),
        detailed_status: detailed_status.to_owned(),
        amount_cents,
        currency: currency.to_owned(),
        outcome,
        confirmed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIT: &str = "0b7f3a2c9d8e4f1a8b6c5d4e3f2a1b0c";
    const CREDIT: &str = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";

    fn success(answer: Value) -> Vec<u8> {
        json!({"webService": "Transaction/CancelOrRefund", "version": "V4", "status": "SUCCESS", "answer": answer,
               "mode": "TEST"})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn the_request_is_checked_and_in_minor_units() {
        let r = CancelRequest::new("12345678", &DEBIT.to_uppercase(), 640, "EUR", "AUTO").unwrap();
        assert_eq!(r.body(), json!({"uuid": DEBIT, "amount": 640, "currency": "EUR", "resolutionMode": "AUTO"}));
        let field = |r: Result<CancelRequest, CancelError>| match r {
            Err(CancelError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(CancelRequest::new("1234", DEBIT, 640, "EUR", "AUTO")), "shopId");
        assert_eq!(field(CancelRequest::new("12345678", "x", 640, "EUR", "AUTO")), "uuid");
        assert_eq!(field(CancelRequest::new("12345678", DEBIT, 0, "EUR", "AUTO")), "amountCents");
        assert_eq!(field(CancelRequest::new("12345678", DEBIT, 1, "EUR ", "AUTO")), "currency");
        assert_eq!(field(CancelRequest::new("12345678", DEBIT, 1, "XXY", "AUTO")), "currency");
        assert_eq!(field(CancelRequest::new("12345678", DEBIT, 1, "EUR", "auto")), "resolutionMode");
    }

    #[test]
    fn answers_mean_refund_cancellation_or_refusal() {
        let credit = json!({"uuid": CREDIT, "operationType": "CREDIT", "status": "PAID", "detailedStatus": "AUTHORISED",
                            "amount": 640, "currency": "EUR"});
        let r = read_answer(200, &success(credit.clone()), DEBIT).unwrap();
        assert_eq!((r.resolution, r.outcome, r.confirmed, r.uuid.as_str()), ("refund", "refunded", true, CREDIT));

        let cancelled = json!({"uuid": DEBIT, "operationType": "DEBIT", "status": "UNPAID", "detailedStatus": "CANCELLED",
                               "amount": 1640, "currency": "EUR"});
        let r = read_answer(200, &success(cancelled), DEBIT).unwrap();
        assert_eq!((r.resolution, r.outcome, r.confirmed), ("cancellation", "cancelled", true));

        let reduced = json!({"uuid": DEBIT, "operationType": "DEBIT", "status": "PAID", "detailedStatus": "AUTHORISED",
                             "amount": 1000, "currency": "EUR"});
        let r = read_answer(200, &success(reduced), DEBIT).unwrap();
        assert_eq!((r.resolution, r.amount_cents, r.confirmed), ("partial_cancellation", 1000, true));

        let refused = json!({"status": "ERROR", "answer": {"errorCode": "PSP_999", "errorMessage": "refused",
                             "detailedErrorMessage": "amount too high"}});
        match read_answer(200, refused.to_string().as_bytes(), DEBIT) {
            Err(CancelError::Gateway { code, message }) => {
                assert_eq!(code, "PSP_999");
                assert!(message.contains("refused") && message.contains("amount too high"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let code = |r: Result<CancelResult, CancelError>| match r {
            Err(CancelError::Gateway { code, .. }) => code,
            other => panic!("{other:?}"),
        };
        assert_eq!(code(read_answer(401, b"", DEBIT)), "HTTP_401");
        assert_eq!(code(read_answer(200, b"<html>", DEBIT)), "INVALID_ANSWER");
        assert_eq!(code(read_answer(200, br#"{"status":"SUCCESS","answer":{}}"#, DEBIT)), "INVALID_ANSWER");
        let mut other = credit;
        other["operationType"] = json!("DEBIT");
        assert_eq!(code(read_answer(200, &success(other), DEBIT)), "INVALID_ANSWER", "a DEBIT of another uuid");
    }
}
