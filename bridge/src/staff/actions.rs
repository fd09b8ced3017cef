//! What the restaurants do (issue 12): change an order's status, record a payment collected at the door or the
//! counter. Each is ONE transaction: the order store's own writes (`ocpizza_db::store`, the same rules as the
//! shop's `Store::setStatus` / `Store::recordPayment`), and the ingest of the outbox event it wrote into the
//! bridge's inbox and delivery queue — so the event is relayed at once, exactly once, and never waits for the
//! reconciler. The outbox row is marked published in the same transaction (as the reconciler does).

use ocpizza_core::status::OrderStatus;
use ocpizza_db::store::{StoreError, finish};
use ocpizza_db::store::input::NewPayment;
use ocpizza_db::store::status::{Actor, StaffChange, set_status_by_staff_in};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::{MySql, MySqlPool, Transaction};

use super::session::StaffMember;
use crate::ingest::{self, Via};

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// Input refused (the field is named); nothing written.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// The order is not in a state that allows it; `current` is its status.
    #[error("{reason}")]
    Conflict { reason: String, current: String, code: &'static str },
    /// The same Idempotency-Key was used for another request.
    #[error("Idempotency-Key: already used by this staff member for another request")]
    KeyReused,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// MySQL/MariaDB: deadlock (the transaction was chosen as the victim) and lock wait timeout.
const ER_LOCK_DEADLOCK: u16 = 1213;
const ER_LOCK_WAIT_TIMEOUT: u16 = 1205;

impl ActionError {
    /// The database rolled the transaction back because of another one's locks: running it again is safe.
    pub fn is_lock_conflict(&self) -> bool {
        match self {
            ActionError::Db(sqlx::Error::Database(db)) => db
                .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                .is_some_and(|m| matches!(m.number(), ER_LOCK_DEADLOCK | ER_LOCK_WAIT_TIMEOUT)),
            _ => false,
        }
    }
}

impl From<StoreError> for ActionError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Validation { field, reason } => ActionError::Invalid { field, reason },
            StoreError::Db(ocpizza_db::DbError::Sql(e)) => ActionError::Db(e),
            StoreError::Db(other) => ActionError::Db(sqlx::Error::Protocol(other.to_string())),
        }
    }
}

/// Who may set which status (issue 12); the state machine then decides whether the move is legal.
pub fn role_may_set(role: &str, to: OrderStatus) -> bool {
    use OrderStatus::*;
    match role {
        "manager" => true,
        "pizzaiolo" => matches!(to, InPreparation | Ready),
        "driver" => matches!(to, OutForDelivery | Delivered),
        "cashier" => matches!(to, Accepted | PickedUp),
        _ => false,
    }
}

/// Who may record a payment: the people who take the money.
pub fn role_may_collect(role: &str) -> bool {
    matches!(role, "driver" | "cashier")
}

fn actor(member: &StaffMember) -> Actor {
    Actor { staff_id: member.staff_id, name: member.name.clone(), role: member.role.clone() }
}

/// Ingests the outbox event `event_id` (written in `tx`) into the inbox (`received_via = 'staff'`) and the delivery
/// queue, and marks it published — the reconciler's path, inside the caller's transaction.
async fn ingest_own_event(
    tx: &mut Transaction<'_, MySql>,
    event_id: &str,
    destinations_for: &(dyn Fn(&str) -> Vec<&'static str> + Sync),
) -> Result<(), ActionError> {
    let (id, payload): (i64, String) =
        sqlx::query_as("SELECT id, payload FROM outbox WHERE event_id = ?").bind(event_id).fetch_one(&mut **tx).await?;
    let (env, event) = ingest::parse_body(payload.as_bytes())
        .map_err(|e| ActionError::Db(sqlx::Error::Protocol(format!("own event refused by ingest: {e}"))))?;
    let dests = destinations_for(&env.event_type);
    ingest::store(tx, event_id, payload.as_bytes(), &env, &event, &dests, Via::Staff).await?;
    sqlx::query("UPDATE outbox SET published_at = NOW(6), last_error = NULL WHERE id = ?")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusOutcome {
    pub changed: bool,
    pub previous: String,
    pub status: String,
}

/// What a staff member asks of an order's status: the target, a note, and the status they saw (two drivers taking
/// the same order: the second gets a conflict).
#[derive(Debug, Clone, Copy)]
pub struct StatusRequest<'a> {
    pub shop_order_id: i64,
    pub to: OrderStatus,
    pub note: Option<&'a str>,
    pub expected: Option<OrderStatus>,
}

/// `POST /v1/orders/{reference}/status` once the caller checked the role and the restaurant.
pub async fn set_status(
    pool: &MySqlPool,
    member: &StaffMember,
    req: StatusRequest<'_>,
    destinations_for: &(dyn Fn(&str) -> Vec<&'static str> + Sync),
) -> Result<StatusOutcome, ActionError> {
    // InnoDB may pick this transaction as a deadlock victim (it rolls it back) or give up waiting for a lock (`finish`
    // rolls back the rest): nothing of it stays, so it runs once more, from the order's status then, so that
    // `expected_status` and the state machine still decide.
    match set_status_once(pool, member, req, destinations_for).await {
        Err(e) if e.is_lock_conflict() => {
            tracing::info!(shop_order_id = req.shop_order_id, error = %e, "staff status change rolled back by a lock conflict; retrying once");
            set_status_once(pool, member, req, destinations_for).await
        }
        other => other,
    }
}

async fn set_status_once(
    pool: &MySqlPool,
    member: &StaffMember,
    req: StatusRequest<'_>,
    destinations_for: &(dyn Fn(&str) -> Vec<&'static str> + Sync),
) -> Result<StatusOutcome, ActionError> {
    let StatusRequest { shop_order_id, to, note, expected } = req;
    let mut tx = pool.begin().await?;
    let result = async {
        match set_status_by_staff_in(&mut tx, shop_order_id, to, note, expected, &actor(member)).await? {
            StaffChange::Changed { from, event_id } => {
                ingest_own_event(&mut tx, &event_id, destinations_for).await?;
                Ok(StatusOutcome { changed: true, previous: from.as_str().into(), status: to.as_str().into() })
            }
            StaffChange::Unchanged => {
                Ok(StatusOutcome { changed: false, previous: to.as_str().into(), status: to.as_str().into() })
            }
            StaffChange::Conflict { current, reason } => Err(ActionError::Conflict {
                reason,
                current: current.as_str().into(),
                code: if expected.is_some_and(|e| e != current) { "status_changed" } else { "invalid_transition" },
            }),
        }
    }
    .await;
    finish(tx, result).await
}

/// An answer to store and replay: HTTP status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub status: u16,
    pub body: Value,
    pub replayed: bool,
}

pub const PAYMENT_METHODS: [&str; 2] = ["cash", "card_terminal"];

/// `POST /v1/orders/{reference}/payments`: one transaction locks the order, replays the stored answer of this
/// staff member's key (or refuses the key reused for another request), checks that something is due and that the
/// amount is exactly that, records the payment with the order store's rules, ingests its `order.paid` event and
/// stores the answer.
#[allow(clippy::too_many_arguments)]
pub async fn record_payment(
    pool: &MySqlPool,
    member: &StaffMember,
    reference: &str,
    key: &str,
    method: &str,
    amount_cents: i64,
    destinations_for: &(dyn Fn(&str) -> Vec<&'static str> + Sync),
) -> Result<Stored, ActionError> {
    let request_hash: [u8; 32] =
        Sha256::digest(format!("POST /v1/orders/{reference}/payments\n{method}\n{amount_cents}").as_bytes()).into();
    let mut tx = pool.begin().await?;
    let result = async {
        let order: Option<(i64, String, String, i64, i64)> = sqlx::query_as(
            "SELECT o.shop_order_id, o.payment_method, CONVERT(o.currency USING utf8mb4), o.total_cents, \
             (SELECT COUNT(*) FROM payments p WHERE p.order_id = o.id AND p.status = 'paid') \
             FROM orders o WHERE o.reference = ? FOR UPDATE",
        )
        .bind(reference)
        .fetch_optional(&mut *tx)
        .await?;
        // Locking read: sees a concurrent request with the same key that committed while we waited for the order.
        let saved: Option<(Vec<u8>, i16, String)> = sqlx::query_as(
            "SELECT request_hash, response_status, response_body FROM staff_idempotency \
             WHERE staff_id = ? AND idempotency_key = ? FOR UPDATE",
        )
        .bind(member.staff_id)
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((hash, status, body)) = saved {
            if hash != request_hash {
                return Err(ActionError::KeyReused);
            }
            let body = serde_json::from_str(&body).unwrap_or(Value::Null);
            return Ok(Stored { status: status as u16, body, replayed: true });
        }
        let Some((shop_order_id, payment_method, currency, total, paid)) = order else {
            return Err(ActionError::Invalid { field: "reference".into(), reason: "no such order".into() });
        };
        if paid > 0 {
            return Err(ActionError::Conflict {
                reason: "the order is already paid".into(),
                current: "paid".into(),
                code: "already_paid",
            });
        }
        if payment_method == "card_online" {
            return Err(ActionError::Conflict {
                reason: "the order is paid online: there is nothing to collect".into(),
                current: "unpaid".into(),
                code: "paid_online",
            });
        }
        if amount_cents != total {
            return Err(ActionError::Invalid {
                field: "amount_cents".into(),
                reason: format!("is {amount_cents} but {total} is due"),
            });
        }
        let payment = NewPayment {
            shop_order_id,
            provider: method.to_owned(),
            transaction_key: format!("staff:{}:{key}", member.staff_id),
            amount_cents,
            currency: currency.clone(),
            status: "paid".into(),
            raw_status: "collected".into(),
            transaction_id: None,
            transaction_uuid: None,
            occurred_at: None,
        };
        let recorded = ocpizza_db::store::payment::record_in(&mut tx, &payment).await?;
        if recorded.created {
            // Under the order's lock the newest outbox row of the order is the one record_in just wrote.
            let (event_id,): (String,) = sqlx::query_as(
                "SELECT CONVERT(event_id USING utf8mb4) FROM outbox WHERE shop_order_id = ? ORDER BY id DESC LIMIT 1",
            )
            .bind(shop_order_id)
            .fetch_one(&mut *tx)
            .await?;
            ingest_own_event(&mut tx, &event_id, destinations_for).await?;
        }
        let body = serde_json::json!({
            "reference": reference, "payment_id": recorded.payment_id, "method": method,
            "amount_cents": amount_cents, "currency": currency, "paid": true,
        });
        sqlx::query(
            "INSERT INTO staff_idempotency (staff_id, idempotency_key, request_hash, response_status, response_body) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(member.staff_id)
        .bind(key)
        .bind(&request_hash[..])
        .bind(201i16)
        .bind(body.to_string())
        .execute(&mut *tx)
        .await?;
        Ok(Stored { status: 201, body, replayed: false })
    }
    .await;
    finish(tx, result).await
}
