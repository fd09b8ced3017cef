//! The rows behind a fan-out: the devices to reach (`devices`), and one `push_sends` row per (delivery, device)
//! recording what APNs answered, so that a retried delivery only sends to the devices still pending.

use chrono::{DateTime, NaiveDateTime, Utc};
use sqlx::MySqlPool;

use super::messages::StreetAddress;

/// A device still waiting for this delivery's push.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingSend {
    pub send_id: i64,
    pub device_id: i64,
    pub token: String,
    pub environment: String,
}

/// One row of the delivery's result.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct SendRow {
    pub device_id: i64,
    pub role: String,
    pub status: String,
    pub attempts: i32,
    pub apns_id: Option<String>,
    pub http_status: Option<i16>,
    pub reason: Option<String>,
}

/// The restaurant's id, `None` for an unknown code.
pub async fn restaurant_id(pool: &MySqlPool, code: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM restaurants WHERE code = ?")
        .bind(code)
        .fetch_optional(pool)
        .await
}

/// Where a delivery order goes, from OCPizza_DB (status events do not carry the address).
pub async fn delivery_address(
    pool: &MySqlPool,
    shop_order_id: i64,
) -> Result<Option<StreetAddress>, sqlx::Error> {
    type Row = (
        String,
        String,
        String,
        String,
        String,
        Option<f64>,
        Option<f64>,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT a.line1, a.line2, a.postcode, a.city, CONVERT(a.country USING utf8mb4), a.latitude, a.longitude \
         FROM orders o JOIN customer_addresses a ON a.id = o.delivery_address_id WHERE o.shop_order_id = ?",
    )
    .bind(shop_order_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(
        |(line1, line2, postcode, city, country, lat, lng)| StreetAddress {
            line1,
            line2,
            postcode,
            city,
            country,
            coordinates: lat.zip(lng),
        },
    ))
}

/// Adds a pending row for every active device of the restaurant with one of `roles` in one of `environments`;
/// rows that exist already (an earlier attempt) are kept as they are.
pub async fn enrol(
    pool: &MySqlPool,
    delivery_id: i64,
    restaurant_id: i64,
    roles: &[&str],
    environments: &[&str],
) -> Result<u64, sqlx::Error> {
    if roles.is_empty() || environments.is_empty() {
        return Ok(0);
    }
    let roles_in = vec!["?"; roles.len()].join(", ");
    let envs_in = vec!["?"; environments.len()].join(", ");
    let sql = format!(
        "INSERT INTO push_sends (delivery_id, device_id) \
         SELECT ?, d.id FROM devices d \
         WHERE d.restaurant_id = ? AND d.unregistered_at IS NULL AND d.environment IN ({envs_in}) AND d.role IN ({roles_in}) \
         ON DUPLICATE KEY UPDATE device_id = push_sends.device_id"
    );
    let mut q = sqlx::query(&sql).bind(delivery_id).bind(restaurant_id);
    for e in environments {
        q = q.bind(*e);
    }
    for r in roles {
        q = q.bind(*r);
    }
    Ok(q.execute(pool).await?.rows_affected())
}

/// Pending rows whose device got unregistered meanwhile are closed as `skipped`; the rest is returned.
pub async fn pending(pool: &MySqlPool, delivery_id: i64) -> Result<Vec<PendingSend>, sqlx::Error> {
    sqlx::query(
        "UPDATE push_sends s JOIN devices d ON d.id = s.device_id \
         SET s.status = 'skipped', s.reason = 'device unregistered' \
         WHERE s.delivery_id = ? AND s.status = 'pending' AND d.unregistered_at IS NOT NULL",
    )
    .bind(delivery_id)
    .execute(pool)
    .await?;
    sqlx::query_as(
        // ascii_bin columns come back as VARBINARY: cast to read them as text.
        "SELECT s.id AS send_id, s.device_id, CAST(d.token AS CHAR) AS token, d.environment FROM push_sends s JOIN devices d ON d.id = s.device_id \
         WHERE s.delivery_id = ? AND s.status = 'pending' ORDER BY s.id",
    )
    .bind(delivery_id)
    .fetch_all(pool)
    .await
}

pub async fn mark_sent(pool: &MySqlPool, send_id: i64, apns_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE push_sends SET status = 'sent', apns_id = ?, http_status = 200, reason = NULL, attempts = attempts + 1 \
         WHERE id = ?",
    )
    .bind(apns_id)
    .bind(send_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// A refusal that leaves the push to be tried again (retryable, or pending a fix for a relay bug).
pub async fn mark_attempt(
    pool: &MySqlPool,
    send_id: i64,
    http_status: Option<u16>,
    reason: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE push_sends SET http_status = ?, reason = ?, attempts = attempts + 1 WHERE id = ?",
    )
    .bind(http_status.map(|s| s as i16))
    .bind(truncate(reason))
    .bind(send_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// APNs says the token is dead (410 with its timestamp, or 400 BadDeviceToken / DeviceTokenNotForTopic with
/// `since` = now). The send is closed; the device is unregistered unless the app registered it again after `since`.
/// Returns whether the device was marked.
pub async fn mark_unregistered(
    pool: &MySqlPool,
    send_id: i64,
    device_id: i64,
    http_status: u16,
    reason: &str,
    since: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let since: NaiveDateTime = since.naive_utc();
    let mut tx = pool.begin().await?;
    sqlx::query(
        "UPDATE push_sends SET status = 'unregistered', http_status = ?, reason = ?, attempts = attempts + 1 WHERE id = ?",
    )
    .bind(http_status as i16)
    .bind(truncate(reason))
    .bind(send_id)
    .execute(&mut *tx)
    .await?;
    let marked = sqlx::query(
        "UPDATE devices SET unregistered_at = ? WHERE id = ? AND unregistered_at IS NULL AND registered_at <= ?",
    )
    .bind(since)
    .bind(device_id)
    .bind(since)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(marked == 1)
}

pub async fn rows(pool: &MySqlPool, delivery_id: i64) -> Result<Vec<SendRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.device_id, d.role, s.status, s.attempts, CAST(s.apns_id AS CHAR) AS apns_id, s.http_status, s.reason \
         FROM push_sends s JOIN devices d ON d.id = s.device_id WHERE s.delivery_id = ? ORDER BY s.id",
    )
    .bind(delivery_id)
    .fetch_all(pool)
    .await
}

fn truncate(reason: &str) -> String {
    reason.chars().take(64).collect()
}
