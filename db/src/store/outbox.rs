//! Appending events to the transactional outbox (inside the caller's transaction).

use chrono::{DateTime, Utc};
use ocpizza_core::events::Envelope;
use rand::Rng;
use serde::Serialize;
use sqlx::MySqlConnection;

use super::{StoreError, db_time, rfc3339};

/// A fresh event id (`evt_` + 128 random bits in hex): unique across databases, so that the bridge's dedup by
/// `webhook-id` can never confuse two events.
pub fn new_event_id() -> String {
    format!("evt_{:032x}", rand::thread_rng().r#gen::<u128>())
}

/// Writes one event; its payload is the exact body that will be POSTed to the bridge.
pub async fn append(
    conn: &mut MySqlConnection,
    event_type: &str,
    shop_order_id: Option<i64>,
    data: &impl Serialize,
    at: DateTime<Utc>,
) -> Result<String, StoreError> {
    let envelope = Envelope {
        event_type: event_type.to_owned(),
        timestamp: rfc3339(at),
        data: serde_json::to_value(data).expect("event data serialises"),
    };
    let payload = serde_json::to_string(&envelope).expect("envelope serialises");
    let event_id = new_event_id();
    sqlx::query("INSERT INTO outbox (event_id, event_type, shop_order_id, payload, created_at) VALUES (?, ?, ?, ?, ?)")
        .bind(&event_id)
        .bind(event_type)
        .bind(shop_order_id)
        .bind(payload)
        .bind(db_time(at))
        .execute(conn)
        .await?;
    Ok(event_id)
}
