//! `recordRefund`: one `refunds` row per refund, linked to the paid payment it gives money back on, with an
//! `order.refunded` event in the same transaction. Idempotent on the refund's `transaction_key` (the gateway's
//! refund transaction or the shop's refund id): the same key again answers the existing refund, `created=false`;
//! the same key for another order or payment is refused naming `transaction_key`.
//!
//! What may be refunded: the refunds of an order together never exceed what its refunded payment took. The sum is
//! taken over the whole order, not only the payment named, because one payment of the order can appear as several
//! `paid` rows (AUTHORISED then CAPTURED notifications of the same money); capping per row would let the same
//! money be refunded twice. The order's row lock (the one `recordPayment` and `setStatus` take) serialises it.

use ocpizza_core::codes::{self, Code};
use ocpizza_core::events::{self, RefundEvent};
use serde_json::Value;
use sqlx::{MySqlConnection, MySqlPool};

use super::input::{code, parse_instant};
use super::raw::{Obj, invalid};
use super::{ER_DUP_ENTRY, RETRIES, StoreError, db_time, errno, finish, is_retryable, now, outbox, rfc3339};

/// Who may ask for a refund (`ck_refunds_source`).
pub const REFUND_SOURCES: [&str; 4] = ["shop", "gateway", "restaurant", "support"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefund {
    pub shop_order_id: i64,
    /// The refunded payment's `transaction_key`; `None` → the order's (first) paid payment.
    pub payment_transaction_key: Option<String>,
    /// The refunded payment's gateway uuid (when no key is given): the first paid payment with it. A gateway
    /// notification names the payment by its transaction, not by our key.
    pub payment_transaction_uuid: Option<String>,
    pub transaction_key: String,
    /// The refund; 0 when `still_authorised_cents` gives it instead.
    pub amount_cents: i64,
    /// A cancellation notified by the gateway says what the payment is still authorised for, not how much was
    /// given back: the refund is then what was left minus that (paid − refunded so far − still authorised).
    pub still_authorised_cents: Option<i64>,
    pub currency: String,
    pub reason: Option<String>,
    pub source: String,
    pub requested_by: Option<String>,
    pub transaction_id: Option<String>,
    pub transaction_uuid: Option<String>,
    pub occurred_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundRecorded {
    pub refund_id: i64,
    /// False when this refund's transaction key was already recorded: nothing was written.
    pub created: bool,
    /// This refund's amount (the recorded one when `created` is false).
    pub amount_cents: i64,
    /// What the refunded payment took.
    pub paid_cents: i64,
    /// All refunds of the order now, this one included.
    pub refunded_total_cents: i64,
    /// `refunded_total_cents == paid_cents`: nothing left to refund. Lets the shop pick its full or partial
    /// refund state without computing it.
    pub full: bool,
}

impl RefundRecorded {
    fn new(refund_id: i64, created: bool, amount_cents: i64, paid_cents: i64, refunded_total_cents: i64) -> Self {
        RefundRecorded {
            refund_id,
            created,
            amount_cents,
            paid_cents,
            refunded_total_cents,
            full: refunded_total_cents >= paid_cents,
        }
    }
}

/// Free text that, when given, must not be blank (`ck_refunds_reason`).
fn text(o: &Obj, name: &str, max: usize) -> Result<Option<String>, StoreError> {
    match o.opt_str(name, max)? {
        Some(s) if s.trim().is_empty() => Err(invalid(o.path(name), "must not be blank")),
        other => Ok(other),
    }
}

/// Accepts `idempotency_key` for `transaction_key` and `transaction_date` for `occurred_at` (the names of
/// `SogeCommerce::parseNotification()`'s result, as `recordPayment` does); `source` defaults to `shop`.
pub fn parse_refund(input: &Value) -> Result<NewRefund, StoreError> {
    let o = Obj::top(input)?;
    // A notification's result passed as is: only a refund that went through is one (a `refund_failed` CREDIT gave
    // nothing back, a `paid` DEBIT is a payment).
    if let Some(outcome) = o.opt_str("outcome", 32)?
        && outcome != "refunded"
    {
        return Err(invalid("outcome", format!("is {outcome:?}, only a \"refunded\" notification is a refund")));
    }
    let shop_order_id = o.req_int("shop_order_id")?;
    if shop_order_id <= 0 {
        return Err(invalid("shop_order_id", "must be a positive integer"));
    }
    let payment_transaction_key = match o.opt_str("payment_transaction_key", usize::MAX)? {
        None => None,
        Some(k) => {
            codes::check(Code::TransactionKey, "payment_transaction_key", &k)?;
            Some(k)
        }
    };
    let key_name = if !o.has("transaction_key") && o.has("idempotency_key") { "idempotency_key" } else { "transaction_key" };
    let transaction_key = code(&o, key_name, Code::TransactionKey)?;
    let payment_transaction_uuid = o.opt_str("payment_transaction_uuid", 64)?;
    if let Some(u) = &payment_transaction_uuid
        && !u.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(invalid("payment_transaction_uuid", "expected 1 to 64 letters or digits"));
    }
    let (amount_cents, still_authorised_cents) = match (o.has("amount_cents"), o.has("still_authorised_cents")) {
        (true, true) => {
            return Err(invalid(
                "still_authorised_cents",
                "give either amount_cents or still_authorised_cents, not both",
            ));
        }
        (false, true) => {
            let still = o.req_int("still_authorised_cents")?;
            if still < 0 {
                return Err(invalid("still_authorised_cents", "must not be negative"));
            }
            (0, Some(still))
        }
        _ => {
            let amount_cents = o.req_int("amount_cents")?;
            if amount_cents <= 0 {
                return Err(invalid("amount_cents", "must be a positive number of cents"));
            }
            (amount_cents, None)
        }
    };
    let currency = code(&o, "currency", Code::Currency)?;
    let source = match o.opt_str("source", 32)? {
        None => "shop".to_owned(),
        Some(s) if REFUND_SOURCES.contains(&s.as_str()) => s,
        Some(_) => return Err(invalid("source", format!("must be one of {}", REFUND_SOURCES.join(", ")))),
    };
    let date_name = if !o.has("occurred_at") && o.has("transaction_date") { "transaction_date" } else { "occurred_at" };
    Ok(NewRefund {
        shop_order_id,
        payment_transaction_key,
        payment_transaction_uuid,
        transaction_key,
        amount_cents,
        still_authorised_cents,
        currency,
        reason: text(&o, "reason", 255)?,
        source,
        requested_by: text(&o, "requested_by", 120)?,
        transaction_id: o.opt_str("transaction_id", 64)?,
        transaction_uuid: o.opt_str("transaction_uuid", 64)?,
        occurred_at: parse_instant(&o, date_name)?,
    })
}

pub async fn record_refund(pool: &MySqlPool, input: &Value) -> Result<RefundRecorded, StoreError> {
    let refund = parse_refund(input)?;
    record_parsed(pool, &refund).await
}

pub async fn record_parsed(pool: &MySqlPool, r: &NewRefund) -> Result<RefundRecorded, StoreError> {
    let mut attempt = 0;
    loop {
        match insert(pool, r).await {
            Ok(done) => return Ok(done),
            // The same refund recorded concurrently by another process.
            Err(e) if errno(&e) == Some(ER_DUP_ENTRY) => {
                return match existing(&mut *pool.acquire().await?, r).await? {
                    Some(found) => Ok(found),
                    None => Err(e),
                };
            }
            Err(e) if is_retryable(&e) && attempt < RETRIES => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}

/// The refund already recorded under this key, if it is the same refund (same order, and same payment when the
/// input names one).
async fn existing(conn: &mut MySqlConnection, r: &NewRefund) -> Result<Option<RefundRecorded>, StoreError> {
    let row: Option<(i64, i64, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT rf.id, o.shop_order_id, CONVERT(pay.transaction_key USING utf8mb4), rf.amount_cents, pay.amount_cents, \
         (SELECT CAST(COALESCE(SUM(r2.amount_cents), 0) AS SIGNED) FROM refunds r2 \
          JOIN payments p2 ON p2.id = r2.payment_id WHERE p2.order_id = o.id) \
         FROM refunds rf JOIN payments pay ON pay.id = rf.payment_id JOIN orders o ON o.id = pay.order_id \
         WHERE rf.transaction_key = ?",
    )
    .bind(&r.transaction_key)
    .fetch_optional(conn)
    .await?;
    match row {
        None => Ok(None),
        Some((_, shop, ..)) if shop != r.shop_order_id => Err(invalid(
            "transaction_key",
            format!("is already recorded for a refund of another order (shop order {shop})"),
        )),
        Some((_, _, paid_key, ..)) if r.payment_transaction_key.as_ref().is_some_and(|k| *k != paid_key) => {
            Err(invalid("transaction_key", "is already recorded for a refund of another payment of this order"))
        }
        Some((id, _, _, amount, paid, total)) => Ok(Some(RefundRecorded::new(id, false, amount, paid, total))),
    }
}

async fn insert(pool: &MySqlPool, r: &NewRefund) -> Result<RefundRecorded, StoreError> {
    let mut tx = pool.begin().await?;
    let result = insert_in(&mut tx, r).await;
    finish(tx, result).await
}

async fn insert_in(tx: &mut MySqlConnection, r: &NewRefund) -> Result<RefundRecorded, StoreError> {
    let at = now();
    // The order's row lock serialises its refunds with each other and with its payments and status changes.
    let order: Option<(i64, String, String, String)> = sqlx::query_as(
        "SELECT o.id, CONVERT(o.reference USING utf8mb4), CONVERT(r.code USING utf8mb4), o.payment_method \
         FROM orders o JOIN restaurants r ON r.id = o.restaurant_id WHERE o.shop_order_id = ? FOR UPDATE",
    )
    .bind(r.shop_order_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((order_id, reference, restaurant, payment_method)) = order else {
        return Err(invalid("shop_order_id", format!("no order {} was recorded", r.shop_order_id)));
    };
    if let Some(found) = existing(&mut *tx, r).await? {
        return Ok(found);
    }

    type PaymentRow = (i64, String, String, i64, String, String);
    let select = "SELECT id, CONVERT(transaction_key USING utf8mb4), provider, amount_cents, \
                  CONVERT(currency USING utf8mb4), status FROM payments WHERE order_id = ?";
    let payment: Option<PaymentRow> = match (&r.payment_transaction_key, &r.payment_transaction_uuid) {
        (Some(key), _) => sqlx::query_as(&format!("{select} AND transaction_key = ?"))
            .bind(order_id)
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?,
        (None, Some(uuid)) => {
            sqlx::query_as(&format!("{select} AND status = 'paid' AND transaction_uuid = ? ORDER BY id LIMIT 1"))
                .bind(order_id)
                .bind(uuid)
                .fetch_optional(&mut *tx)
                .await?
        }
        (None, None) => sqlx::query_as(&format!("{select} AND status = 'paid' ORDER BY id LIMIT 1"))
            .bind(order_id)
            .fetch_optional(&mut *tx)
            .await?,
    };
    let Some((payment_id, payment_key, provider, paid_cents, currency, status)) = payment else {
        return Err(match (&r.payment_transaction_key, &r.payment_transaction_uuid) {
            (Some(_), _) => invalid("payment_transaction_key", format!("no such payment of order {}", r.shop_order_id)),
            (None, Some(_)) => invalid(
                "payment_transaction_uuid",
                format!("order {} has no paid payment with this gateway transaction", r.shop_order_id),
            ),
            (None, None) => invalid(
                "payment_transaction_key",
                format!("order {} has no paid payment to refund", r.shop_order_id),
            ),
        });
    };
    if status != "paid" {
        return Err(invalid(
            "payment_transaction_key",
            format!("the payment is {status}, only a paid payment can be refunded"),
        ));
    }
    if r.currency != currency {
        return Err(invalid("currency", format!("is {} but the payment is in {currency}", r.currency)));
    }
    let (already,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(rf.amount_cents), 0) AS SIGNED) FROM refunds rf \
         JOIN payments pay ON pay.id = rf.payment_id WHERE pay.order_id = ?",
    )
    .bind(order_id)
    .fetch_one(&mut *tx)
    .await?;
    let amount_cents = match r.still_authorised_cents {
        None => r.amount_cents,
        Some(still) => {
            let left = paid_cents - already;
            if still >= left {
                return Err(invalid(
                    "still_authorised_cents",
                    format!("is {still} but only {left} of the {paid_cents} paid is left: nothing is cancelled"),
                ));
            }
            left - still
        }
    };
    let refunded_total_cents = already.saturating_add(amount_cents);
    if refunded_total_cents > paid_cents {
        return Err(invalid(
            "amount_cents",
            format!("is {amount_cents} but only {} of the {paid_cents} paid is left to refund", paid_cents - already),
        ));
    }

    let occurred_at = r.occurred_at.unwrap_or(at);
    let refund_id = sqlx::query(
        "INSERT INTO refunds (payment_id, transaction_key, amount_cents, currency, reason, source, requested_by, \
         transaction_id, transaction_uuid, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(payment_id)
    .bind(&r.transaction_key)
    .bind(amount_cents)
    .bind(&r.currency)
    .bind(&r.reason)
    .bind(&r.source)
    .bind(&r.requested_by)
    .bind(&r.transaction_id)
    .bind(&r.transaction_uuid)
    .bind(db_time(occurred_at))
    .execute(&mut *tx)
    .await?
    .last_insert_id() as i64;

    let data = RefundEvent {
        shop_order_id: r.shop_order_id,
        reference,
        restaurant,
        payment_method,
        provider,
        payment_transaction_key: payment_key,
        transaction_key: r.transaction_key.clone(),
        transaction_id: r.transaction_id.clone(),
        transaction_uuid: r.transaction_uuid.clone(),
        amount_cents,
        currency: r.currency.clone(),
        paid_cents,
        refunded_total_cents,
        full: refunded_total_cents == paid_cents,
        reason: r.reason.clone(),
        source: r.source.clone(),
        requested_by: r.requested_by.clone(),
        occurred_at: rfc3339(occurred_at),
    };
    outbox::append(&mut *tx, events::ORDER_REFUNDED, Some(r.shop_order_id), &data, at).await?;
    Ok(RefundRecorded::new(refund_id, true, amount_cents, paid_cents, refunded_total_cents))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field_of(input: Value) -> String {
        match parse_refund(&input) {
            Err(StoreError::Validation { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn good() -> Value {
        json!({"shop_order_id": 7, "transaction_key": "shop-refund-1", "amount_cents": "500", "currency": "EUR",
               "reason": "pizza froide", "requested_by": "Marie (back office)"})
    }

    #[test]
    fn a_good_refund_parses_with_defaults_and_aliases() {
        let r = parse_refund(&good()).unwrap();
        assert_eq!((r.amount_cents, r.source.as_str(), r.payment_transaction_key), (500, "shop", None));
        let aliased = json!({"shop_order_id": 7, "idempotency_key": "k", "amount_cents": 1, "currency": "EUR",
                             "transaction_date": "2026-11-29T20:00:00+01:00", "source": "gateway"});
        let r = parse_refund(&aliased).unwrap();
        assert_eq!(r.transaction_key, "k");
        let mut refunded = aliased.clone();
        refunded["outcome"] = json!("refunded");
        assert!(parse_refund(&refunded).is_ok());
        assert_eq!(r.occurred_at.unwrap().to_rfc3339(), "2026-11-29T19:00:00+00:00");
    }

    #[test]
    fn every_refusal_names_the_field() {
        let cases: Vec<(&str, Value, &str)> = vec![
            ("shop_order_id", json!(0), "shop_order_id"),
            ("transaction_key", json!(""), "transaction_key"),
            ("transaction_key", json!("rembourse\u{301}"), "transaction_key"),
            ("payment_transaction_key", json!("k\n"), "payment_transaction_key"),
            ("amount_cents", json!(0), "amount_cents"),
            ("amount_cents", json!(-5), "amount_cents"),
            ("amount_cents", json!("5.00"), "amount_cents"),
            ("currency", json!("eur"), "currency"),
            ("reason", json!("   "), "reason"),
            ("reason", json!("x".repeat(256)), "reason"),
            ("source", json!("customer"), "source"),
            ("requested_by", json!(["x"]), "requested_by"),
            ("occurred_at", json!("yesterday"), "occurred_at"),
            ("outcome", json!("refund_failed"), "outcome"),
            ("outcome", json!("paid"), "outcome"),
            ("still_authorised_cents", json!(-1), "still_authorised_cents"),
            ("still_authorised_cents", json!(100), "still_authorised_cents"), // with amount_cents too
            ("payment_transaction_uuid", json!("ab-12"), "payment_transaction_uuid"),
        ];
        for (name, value, expected) in cases {
            let mut input = good();
            input[name] = value.clone();
            assert_eq!(field_of(input), expected, "{name} = {value}");
        }
        let mut missing = good();
        missing.as_object_mut().unwrap().remove("amount_cents");
        assert_eq!(field_of(missing), "amount_cents");
    }
}
