//! `setStatus`: moves an order along the state machine of `ocpizza_core::status`, appending history and an
//! `order.status_changed` event.

use ocpizza_core::events::{self, StatusChanged};
use ocpizza_core::status::{Fulfilment, OrderStatus};
use sqlx::{MySqlConnection, MySqlPool};

use super::raw::invalid;
use super::{RETRIES, StoreError, db_time, finish, is_retryable, now, outbox, rfc3339};

pub const MAX_NOTE_CHARS: usize = 500;

/// `Ok(false)` when the order already has that status (nothing written), `Ok(true)` when it moved.
pub async fn set_status(
    pool: &MySqlPool,
    shop_order_id: i64,
    status: &str,
    note: Option<&str>,
) -> Result<bool, StoreError> {
    let to: OrderStatus = status.parse().map_err(|_| {
        let all: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
        invalid("status", format!("must be one of {}", all.join(", ")))
    })?;
    let note = note.filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(invalid("note", format!("is longer than {MAX_NOTE_CHARS} characters")));
    }
    let mut attempt = 0;
    loop {
        match apply(pool, shop_order_id, to, note).await {
            Err(e) if is_retryable(&e) && attempt < RETRIES => attempt += 1,
            other => return other,
        }
    }
}

async fn apply(pool: &MySqlPool, shop_order_id: i64, to: OrderStatus, note: Option<&str>) -> Result<bool, StoreError> {
    let mut tx = pool.begin().await?;
    let result = apply_in(&mut tx, shop_order_id, to, note).await;
    finish(tx, result).await
}

async fn apply_in(
    tx: &mut MySqlConnection,
    shop_order_id: i64,
    to: OrderStatus,
    note: Option<&str>,
) -> Result<bool, StoreError> {
    let at = now();
    let row: Option<(i64, String, String, String, String)> = sqlx::query_as(
        "SELECT o.id, CONVERT(o.reference USING utf8mb4), CONVERT(r.code USING utf8mb4), o.fulfilment, o.status FROM orders o \
         JOIN restaurants r ON r.id = o.restaurant_id WHERE o.shop_order_id = ? FOR UPDATE",
    )
    .bind(shop_order_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((order_id, reference, restaurant, fulfilment, from)) = row else {
        return Err(invalid(
            "shop_order_id",
            format!("no order {shop_order_id} was recorded"),
        ));
    };
    // Both columns are constrained to these values, so a parse failure means a corrupted row.
    let fulfilment: Fulfilment = fulfilment
        .parse()
        .map_err(|_| invalid("fulfilment", "unknown value in the database"))?;
    let from: OrderStatus = from
        .parse()
        .map_err(|_| invalid("status", "unknown value in the database"))?;
    let moved = from
        .check_transition(to, fulfilment)
        .map_err(|e| invalid("status", e.to_string().trim_start_matches("status: ").to_owned()))?;
    if !moved {
        return Ok(false);
    }
    sqlx::query("UPDATE orders SET status = ? WHERE id = ?")
        .bind(to.as_str())
        .bind(order_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO order_status_history (order_id, seq, from_status, to_status, note, changed_at) \
         SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ? FROM order_status_history WHERE order_id = ?",
    )
    .bind(order_id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(note)
    .bind(db_time(at))
    .bind(order_id)
    .execute(&mut *tx)
    .await?;
    let data = StatusChanged {
        shop_order_id,
        reference,
        restaurant,
        fulfilment,
        from,
        to,
        note: note.map(str::to_owned),
        changed_at: rfc3339(at),
    };
    outbox::append(&mut *tx, events::ORDER_STATUS_CHANGED, Some(shop_order_id), &data, at).await?;
    Ok(true)
}
