//! Turning a verified event body into durable work: one transaction inserts the inbox row (keyed by
//! `(source, webhook_id)`) and one delivery row per destination that wants the event type. Used by the webhook
//! endpoint and by the outbox reconciliation alike, so both paths deduplicate against each other.

use ocpizza_core::events::{self, Envelope, Event};
use sqlx::{MySql, QueryBuilder, Transaction};

/// Every event comes from the shop, whichever path brought it; the unique key is (source, webhook_id).
pub const SOURCE: &str = "prestashop";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Webhook,
    Reconcile,
    /// Written and ingested in one transaction by the staff API (issue 12).
    Staff,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Via::Webhook => "webhook",
            Via::Reconcile => "reconcile",
            Via::Staff => "staff",
        }
    }
}

/// Why a body was refused; `code()` is the machine-readable reason of the 400 answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BodyError {
    #[error("body is not a JSON event envelope {{type, timestamp, data}}: {0}")]
    Malformed(String),
    #[error(
        "unknown event type {0:?} (expected one of order.created, order.paid, order.payment_failed, order.status_changed, stock.shortage, order.refunded)"
    )]
    UnknownType(String),
    #[error("data of {event_type} is invalid: {reason}")]
    InvalidData { event_type: String, reason: String },
}

impl BodyError {
    pub fn code(&self) -> &'static str {
        match self {
            BodyError::Malformed(_) => "malformed_body",
            BodyError::UnknownType(_) => "unknown_type",
            BodyError::InvalidData { .. } => "invalid_data",
        }
    }
}

/// Parses the exact bytes that were signed into the envelope and its typed event.
pub fn parse_body(body: &[u8]) -> Result<(Envelope, Event), BodyError> {
    let env: Envelope = serde_json::from_slice(body).map_err(|e| BodyError::Malformed(e.to_string()))?;
    if !events::ALL_TYPES.contains(&env.event_type.as_str()) {
        return Err(BodyError::UnknownType(env.event_type.chars().take(60).collect()));
    }
    if env.timestamp.trim().is_empty() {
        return Err(BodyError::Malformed("timestamp is empty".into()));
    }
    let event = Event::from_envelope(&env)
        .map_err(|e| BodyError::InvalidData { event_type: env.event_type.clone(), reason: e.to_string() })?;
    // Codes (restaurant, reference, SKUs, …) end up in ascii_bin columns and lookups: refused here, naming the
    // field, rather than as a database error at ingest or at every delivery attempt.
    ocpizza_core::codes::check_event(&event)
        .map_err(|e| BodyError::InvalidData { event_type: env.event_type.clone(), reason: e.to_string() })?;
    Ok((env, event))
}

/// Where one order's events queue up: the shop order id, or the restaurant for a shortage not tied to an order.
pub fn partition_key(event: &Event) -> String {
    match event.shop_order_id() {
        Some(id) => format!("order:{id}"),
        None => format!("restaurant:{}", event.restaurant()),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    Accepted { inbox_id: i64, deliveries: usize },
    Duplicate,
}

/// Inserts the inbox row and its pending delivery rows inside `tx` (the caller commits). On a duplicate id
/// nothing is inserted and the transaction stays usable.
pub async fn store(
    tx: &mut Transaction<'_, MySql>,
    webhook_id: &str,
    body: &[u8],
    env: &Envelope,
    event: &Event,
    destinations: &[&'static str],
    via: Via,
) -> Result<Stored, sqlx::Error> {
    store_leased(tx, webhook_id, body, env, event, destinations, via, None).await
}

/// [`store`], but with `leased_to` the delivery rows are inserted in flight, leased to that relay owner (see
/// `relay::Reservation`).
#[allow(clippy::too_many_arguments)]
pub async fn store_leased(
    tx: &mut Transaction<'_, MySql>,
    webhook_id: &str,
    body: &[u8],
    env: &Envelope,
    event: &Event,
    destinations: &[&'static str],
    via: Via,
    leased_to: Option<(&str, std::time::Duration)>,
) -> Result<Stored, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO inbox (source, webhook_id, event_type, event_time, shop_order_id, body, received_via) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(SOURCE)
    .bind(webhook_id)
    .bind(&env.event_type)
    .bind(env.timestamp.chars().take(40).collect::<String>())
    .bind(event.shop_order_id())
    .bind(body)
    .bind(via.as_str())
    .execute(&mut **tx)
    .await;
    let inbox_id = match inserted {
        Ok(r) => r.last_insert_id() as i64,
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => return Ok(Stored::Duplicate),
        Err(e) => return Err(e),
    };
    if !destinations.is_empty() {
        let key = partition_key(event);
        let mut q = QueryBuilder::<MySql>::new(
            "INSERT INTO deliveries (inbox_id, destination, partition_key, status, attempt, lease_owner, lease_until) ",
        );
        // Leased: the rows go straight to this process's relay (first attempt), no claim needed.
        let (status, attempt, owner, lease_us) = match leased_to {
            Some((owner, lease)) => {
                ("inflight", 1, Some(owner), Some(i64::try_from(lease.as_micros()).unwrap_or(i64::MAX)))
            }
            None => ("pending", 0, None, None),
        };
        q.push_values(destinations, |mut b, d| {
            b.push_bind(inbox_id)
                .push_bind(*d)
                .push_bind(&key)
                .push_bind(status)
                .push_bind(attempt)
                .push_bind(owner)
                .push_unseparated(", NOW(6) + INTERVAL ")
                .push_bind_unseparated(lease_us)
                .push_unseparated(" MICROSECOND");
        });
        q.build().execute(&mut **tx).await?;
    }
    Ok(Stored::Accepted { inbox_id, deliveries: destinations.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_errors_have_codes() {
        assert_eq!(parse_body(b"{").unwrap_err().code(), "malformed_body");
        assert_eq!(
            parse_body(br#"{"type":"order.exploded","timestamp":"2026-11-29T18:00:00Z","data":{}}"#)
                .unwrap_err()
                .code(),
            "unknown_type"
        );
        let e = parse_body(br#"{"type":"order.paid","timestamp":"2026-11-29T18:00:00Z","data":{"shop_order_id":"x"}}"#)
            .unwrap_err();
        assert_eq!(e.code(), "invalid_data");
        assert!(e.to_string().contains("order.paid"), "{e}");
        assert_eq!(parse_body(br#"{"test": 2432232314}"#).unwrap_err().code(), "malformed_body");
    }

    #[test]
    fn order_refunded_is_accepted_and_its_keys_checked() {
        let body = |paid_key: &str| {
            serde_json::json!({"type": "order.refunded", "timestamp": "2026-11-29T20:00:00Z", "data": {
                "shop_order_id": 9, "reference": "REF9", "restaurant": "BELLECOUR", "payment_method": "card_online",
                "provider": "sogecommerce", "payment_transaction_key": paid_key, "transaction_key": "r-1",
                "transaction_id": null, "transaction_uuid": null, "amount_cents": 500, "currency": "EUR",
                "paid_cents": 1650, "refunded_total_cents": 500, "full": false, "reason": null, "source": "shop",
                "requested_by": null, "occurred_at": "2026-11-29T20:00:00.000000Z"}})
            .to_string()
        };
        let (_, event) = parse_body(body("sc:1:u:CAPTURED").as_bytes()).unwrap();
        assert!(matches!(event, Event::OrderRefunded(_)));
        let e = parse_body(body("pay\u{e9}").as_bytes()).unwrap_err();
        assert_eq!(e.code(), "invalid_data");
        assert!(e.to_string().contains("data.payment_transaction_key"), "{e}");
    }
}
