//! `setStatus`: moves an order along the state machine of `ocpizza_core::status`, appending history and an
//! `order.status_changed` event.

use ocpizza_core::events::{self, ChangeSource, StaffRef, StatusChanged};
use ocpizza_core::status::{Fulfilment, OrderStatus};
use sqlx::{MySqlConnection, MySqlPool};

use super::raw::invalid;
use super::{RETRIES, StoreError, changes, db_time, finish, is_retryable, now, outbox, rfc3339};

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

/// The order's status in OCPizza_DB, `None` when no such order was recorded. The module reads it before walking a
/// PrestaShop state to its OC Pizza status: the restaurants move orders through the bridge's staff API, and the
/// state the bridge then posts back to the shop finds OCPizza_DB already there (issue 12, no loop).
pub async fn order_status(pool: &MySqlPool, shop_order_id: i64) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT status FROM orders WHERE shop_order_id = ?")
        .bind(shop_order_id)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|(s,)| s))
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
    apply_in_as(tx, shop_order_id, to, note, None).await.map(|event| event.is_some())
}

/// [`apply_in`] with the author of the change: `Some` = a staff member through the bridge's staff API (history
/// `changed_by_staff_id`, event `source: restaurant` and `changed_by`). Returns the outbox event id when it moved.
async fn apply_in_as(
    tx: &mut MySqlConnection,
    shop_order_id: i64,
    to: OrderStatus,
    note: Option<&str>,
    actor: Option<&Actor>,
) -> Result<Option<String>, StoreError> {
    let at = now();
    let row: Option<(i64, i64, String, String, String, String)> = sqlx::query_as(
        "SELECT o.id, o.restaurant_id, CONVERT(o.reference USING utf8mb4), CONVERT(r.code USING utf8mb4), o.fulfilment, \
         o.status FROM orders o JOIN restaurants r ON r.id = o.restaurant_id WHERE o.shop_order_id = ? FOR UPDATE",
    )
    .bind(shop_order_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((order_id, restaurant_id, reference, restaurant, fulfilment, from)) = row else {
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
        return Ok(None);
    }
    sqlx::query("UPDATE orders SET status = ? WHERE id = ?")
        .bind(to.as_str())
        .bind(order_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO order_status_history (order_id, seq, from_status, to_status, note, changed_by_staff_id, changed_at) \
         SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ?, ? FROM order_status_history WHERE order_id = ?",
    )
    .bind(order_id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(note)
    .bind(actor.map(|a| a.staff_id))
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
        // The shop's own changes carry neither (the event stays as it always was); a staff member's say who made it.
        source: actor.map(|_| ChangeSource::Restaurant),
        changed_by: actor.map(|a| StaffRef { staff_id: a.staff_id, name: a.name.clone(), role: a.role.clone() }),
    };
    let event_id = outbox::append(&mut *tx, events::ORDER_STATUS_CHANGED, Some(shop_order_id), &data, at).await?;
    // The staff app's queue changed (last: see `changes`).
    changes::touch(tx, restaurant_id, order_id).await?;
    Ok(Some(event_id))
}

/// A staff member changing a status from a restaurant (the bridge's staff API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub staff_id: i64,
    pub name: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffChange {
    /// Moved; the `order.status_changed` outbox event was written with this id.
    Changed { from: OrderStatus, event_id: String },
    /// Already in that status: nothing written.
    Unchanged,
    /// Refused by `expected_status` or by the state machine; nothing written.
    Conflict { current: OrderStatus, reason: String },
}

/// The staff API's status change, inside the caller's transaction (which also ingests the event): the order row
/// is locked, then `expected` (when given) must be the current status, then the state machine decides, then the
/// same writes as `setStatus`, with the staff member as the author.
pub async fn set_status_by_staff_in(
    tx: &mut MySqlConnection,
    shop_order_id: i64,
    to: OrderStatus,
    note: Option<&str>,
    expected: Option<OrderStatus>,
    actor: &Actor,
) -> Result<StaffChange, StoreError> {
    let note = note.filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(invalid("note", format!("is longer than {MAX_NOTE_CHARS} characters")));
    }
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT fulfilment, status FROM orders WHERE shop_order_id = ? FOR UPDATE")
            .bind(shop_order_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((fulfilment, current)) = row else {
        return Err(invalid("shop_order_id", format!("no order {shop_order_id} was recorded")));
    };
    let fulfilment: Fulfilment = fulfilment.parse().map_err(|_| invalid("fulfilment", "unknown value in the database"))?;
    let current: OrderStatus = current.parse().map_err(|_| invalid("status", "unknown value in the database"))?;
    if let Some(expected) = expected
        && expected != current
    {
        return Ok(StaffChange::Conflict {
            current,
            reason: format!("expected_status: the order is {} now, not {}", current.as_str(), expected.as_str()),
        });
    }
    match current.check_transition(to, fulfilment) {
        Err(e) => Ok(StaffChange::Conflict { current, reason: e.to_string() }),
        Ok(false) => Ok(StaffChange::Unchanged),
        Ok(true) => match apply_in_as(tx, shop_order_id, to, note, Some(actor)).await? {
            Some(event_id) => Ok(StaffChange::Changed { from: current, event_id }),
            None => Ok(StaffChange::Unchanged),
        },
    }
}
