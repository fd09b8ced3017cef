//! `recordPayment`: one payment row per gateway event, idempotent on the event's `transaction_key`, with an
//! `order.paid` (status `paid`) or `order.payment_failed` (`failed`, `cancelled`) event. `pending` and
//! `to_validate` are stored without an event: a later notification settles them.

use ocpizza_core::events::{self, PaymentEvent};
use serde_json::Value;
use sqlx::{MySqlConnection, MySqlPool};

use super::input::{NewPayment, parse_payment};
use super::raw::invalid;
use super::{ER_DUP_ENTRY, RETRIES, StoreError, changes, db_time, errno, finish, is_retryable, now, outbox, rfc3339};

/// Providers of money taken by a restaurant rather than by the payment gateway.
pub const OFFLINE_PROVIDERS: [&str; 3] = ["cash", "card_terminal", "restaurant"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentRecorded {
    pub payment_id: i64,
    /// False when this transaction key was already recorded: nothing was written.
    pub created: bool,
}

pub async fn record_payment(pool: &MySqlPool, input: &Value) -> Result<PaymentRecorded, StoreError> {
    let payment = parse_payment(input)?;
    record_parsed(pool, &payment).await
}

pub async fn record_parsed(pool: &MySqlPool, p: &NewPayment) -> Result<PaymentRecorded, StoreError> {
    let mut attempt = 0;
    loop {
        match insert(pool, p).await {
            Ok(r) => return Ok(r),
            // The same notification recorded concurrently by another process.
            Err(e) if errno(&e) == Some(ER_DUP_ENTRY) => {
                return match existing(&mut *pool.acquire().await?, p).await? {
                    Some(found) => Ok(found),
                    None => Err(e),
                };
            }
            Err(e) if is_retryable(&e) && attempt < RETRIES => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}

async fn existing(conn: &mut MySqlConnection, p: &NewPayment) -> Result<Option<PaymentRecorded>, StoreError> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT pay.id, o.shop_order_id FROM payments pay JOIN orders o ON o.id = pay.order_id \
         WHERE pay.transaction_key = ?",
    )
    .bind(&p.transaction_key)
    .fetch_optional(conn)
    .await?;
    match row {
        None => Ok(None),
        Some((id, shop)) if shop == p.shop_order_id => Ok(Some(PaymentRecorded {
            payment_id: id,
            created: false,
        })),
        Some((_, shop)) => Err(invalid(
            "transaction_key",
            format!("is already recorded for another order (shop order {shop})"),
        )),
    }
}

async fn insert(pool: &MySqlPool, p: &NewPayment) -> Result<PaymentRecorded, StoreError> {
    let mut tx = pool.begin().await?;
    let result = insert_in(&mut tx, p).await;
    finish(tx, result).await
}

/// [`record_parsed`] inside the caller's transaction (the bridge's staff API, which stores its idempotent answer
/// and ingests the event in the same transaction). Same rules; the order row stays locked until the caller ends.
pub async fn record_in(tx: &mut MySqlConnection, p: &NewPayment) -> Result<PaymentRecorded, StoreError> {
    insert_in(tx, p).await
}

async fn insert_in(tx: &mut MySqlConnection, p: &NewPayment) -> Result<PaymentRecorded, StoreError> {
    let at = now();
    // Locking the order serialises the payments of one order (and its status changes).
    let order: Option<(i64, i64, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT o.id, o.restaurant_id, CONVERT(o.reference USING utf8mb4), CONVERT(r.code USING utf8mb4), o.payment_method, \
         CONVERT(o.currency USING utf8mb4), o.total_cents FROM orders o \
         JOIN restaurants r ON r.id = o.restaurant_id WHERE o.shop_order_id = ? FOR UPDATE",
    )
    .bind(p.shop_order_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((order_id, restaurant_id, reference, restaurant, payment_method, currency, total_cents)) = order else {
        return Err(invalid(
            "shop_order_id",
            format!("no order {} was recorded", p.shop_order_id),
        ));
    };
    if let Some(found) = existing(&mut *tx, p).await? {
        return Ok(found);
    }
    // Money collected offline (at the door, at the counter) is declared once per order, by whoever comes first: the
    // staff API when the driver or cashier takes it, the module when PrestaShop reaches a paid state (which the
    // bridge's `prestashop` destination may have caused). The second finds the order paid and writes nothing, so
    // the round trip through the shop records no second payment (issue 12).
    if p.status == "paid" && OFFLINE_PROVIDERS.contains(&p.provider.as_str()) {
        let paid: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM payments WHERE order_id = ? AND status = 'paid' ORDER BY id LIMIT 1")
                .bind(order_id)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some((payment_id,)) = paid {
            return Ok(PaymentRecorded { payment_id, created: false });
        }
    }
    if p.currency != currency {
        return Err(invalid(
            "currency",
            format!("is {} but the order is in {currency}", p.currency),
        ));
    }
    if p.amount_cents != total_cents {
        return Err(invalid(
            "amount_cents",
            format!("is {} but the order total is {total_cents}", p.amount_cents),
        ));
    }
    let occurred_at = p.occurred_at.unwrap_or(at);
    let payment_id = sqlx::query(
        "INSERT INTO payments (order_id, provider, transaction_key, amount_cents, currency, status, raw_status, \
         transaction_id, transaction_uuid, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(order_id)
    .bind(&p.provider)
    .bind(&p.transaction_key)
    .bind(p.amount_cents)
    .bind(&p.currency)
    .bind(&p.status)
    .bind(&p.raw_status)
    .bind(&p.transaction_id)
    .bind(&p.transaction_uuid)
    .bind(db_time(occurred_at))
    .execute(&mut *tx)
    .await?
    .last_insert_id() as i64;

    let event_type = match p.status.as_str() {
        "paid" => Some(events::ORDER_PAID),
        "failed" | "cancelled" => Some(events::ORDER_PAYMENT_FAILED),
        _ => None,
    };
    if let Some(event_type) = event_type {
        let data = PaymentEvent {
            shop_order_id: p.shop_order_id,
            reference,
            restaurant,
            payment_method,
            provider: p.provider.clone(),
            transaction_key: p.transaction_key.clone(),
            transaction_id: p.transaction_id.clone(),
            amount_cents: p.amount_cents,
            currency: p.currency.clone(),
            status: p.status.clone(),
            raw_status: p.raw_status.clone(),
            occurred_at: rfc3339(occurred_at),
        };
        outbox::append(&mut *tx, event_type, Some(p.shop_order_id), &data, at).await?;
    }
    // The staff app shows whether the order is paid (last: see `changes`). Any new payment row counts, so that the
    // rule stays "a row the view reads was written" whatever the view comes to read of payments.
    changes::touch(tx, restaurant_id, order_id).await?;
    Ok(PaymentRecorded {
        payment_id,
        created: true,
    })
}
