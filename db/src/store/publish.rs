//! `publishOutbox`: sends pending outbox events to the bridge as Standard-Webhooks-signed POSTs.
//!
//! Delivery is at-least-once, and concurrent publishers do not send the same event twice at the same time: each
//! event is claimed with `SELECT … FOR UPDATE SKIP LOCKED` in a short READ COMMITTED transaction (no gap locks, so
//! order writes are never blocked) that is held only while its one POST runs (at most the 2 s timeout). A crash
//! between the bridge's 2xx and our commit re-sends the event later; the bridge deduplicates by `webhook-id`.

use std::time::Duration;

use ocpizza_core::webhooks::{self, Secret};
use sqlx::{Connection, MySqlConnection, MySqlPool};

use super::raw::invalid;
use super::{StoreError, db_time, finish, now};

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
pub const MAX_BATCH: i64 = 10_000;
const WEBHOOK_PATH: &str = "/webhooks/prestashop";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PublishReport {
    /// Answered 2xx by the bridge and marked published.
    pub published: u64,
    /// Attempted and refused or unreachable; still pending, `attempts` and `last_error` updated.
    pub failed: u64,
    /// Events still unpublished after this run (failed ones included).
    pub pending: u64,
}

/// `{bridge_url}/webhooks/prestashop`, refusing anything but an absolute http(s) URL.
pub fn endpoint(bridge_url: &str) -> Result<reqwest::Url, StoreError> {
    let base = reqwest::Url::parse(bridge_url.trim_end_matches('/'))
        .map_err(|e| invalid("bridge_url", format!("is not a URL ({e})")))?;
    if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
        return Err(invalid("bridge_url", "must be an http:// or https:// URL with a host"));
    }
    if base.query().is_some() || base.fragment().is_some() {
        return Err(invalid("bridge_url", "must not have a query string or fragment"));
    }
    let mut url = base.clone();
    url.set_path(&format!("{}{WEBHOOK_PATH}", base.path().trim_end_matches('/')));
    Ok(url)
}

/// The error and its causes, without the URL (which may carry credentials) and bounded for `last_error`.
fn describe(err: &reqwest::Error) -> String {
    let mut s = if err.is_timeout() {
        "timed out".to_owned()
    } else if err.is_connect() {
        "connection failed".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(err);
    while let Some(e) = source {
        s.push_str(": ");
        s.push_str(&e.to_string());
        source = e.source();
    }
    s.chars().take(400).collect()
}

enum Step {
    Nothing,
    Published(i64),
    /// `stop`: the bridge could not be reached, later events would fare no better.
    Failed {
        id: i64,
        stop: bool,
    },
}

/// Claims the next pending event after `cursor`, POSTs it, records the outcome (inside the caller's transaction).
async fn publish_next(
    tx: &mut MySqlConnection,
    client: &reqwest::Client,
    url: &reqwest::Url,
    secret: &Secret,
    cursor: i64,
) -> Result<Step, StoreError> {
    let row: Option<(i64, String, String)> = sqlx::query_as(
        "SELECT id, CONVERT(event_id USING utf8mb4), payload FROM outbox WHERE published_at IS NULL AND id > ? \
         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
    )
    .bind(cursor)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, event_id, payload)) = row else {
        return Ok(Step::Nothing);
    };
    // Signed now, at each attempt: the bridge refuses stale timestamps.
    let timestamp = chrono::Utc::now().timestamp();
    let signature = webhooks::sign(secret, &event_id, timestamp, payload.as_bytes());
    let sent = client
        .post(url.clone())
        .header("content-type", "application/json")
        .header("webhook-id", &event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(payload)
        .send()
        .await;
    let (error, stop) = match sent {
        Ok(resp) if resp.status().is_success() => (None, false),
        Ok(resp) => {
            let status = resp.status();
            let body = resp.text().await.unwrap_or_default();
            let body: String = body.chars().filter(|c| !c.is_control()).take(300).collect();
            (Some(format!("HTTP {}: {body}", status.as_u16())), false)
        }
        Err(e) => (Some(describe(&e)), true),
    };
    match error {
        None => {
            sqlx::query("UPDATE outbox SET published_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?")
                .bind(db_time(now()))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            Ok(Step::Published(id))
        }
        Some(error) => {
            sqlx::query("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?")
                .bind(error)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            Ok(Step::Failed { id, stop })
        }
    }
}

pub async fn publish_outbox(
    pool: &MySqlPool,
    bridge_url: &str,
    secret: &str,
    max: i64,
) -> Result<PublishReport, StoreError> {
    let url = endpoint(bridge_url)?;
    // The secret's own error messages never contain it.
    let secret = Secret::parse(secret).map_err(|e| invalid("secret", e.to_string()))?;
    if !(1..=MAX_BATCH).contains(&max) {
        return Err(invalid("max", format!("must be between 1 and {MAX_BATCH}")));
    }
    let client = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .no_proxy()
        .build()
        .map_err(|e| invalid("bridge_url", describe(&e)))?;

    let mut report = PublishReport::default();
    let mut cursor: i64 = 0;
    for _ in 0..max {
        let mut conn = pool.acquire().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            .execute(&mut *conn)
            .await?;
        let mut tx = conn.begin().await?;
        let step = publish_next(&mut tx, &client, &url, &secret, cursor).await;
        match finish(tx, step).await? {
            Step::Nothing => break,
            Step::Published(id) => {
                report.published += 1;
                cursor = id;
            }
            Step::Failed { id, stop } => {
                report.failed += 1;
                cursor = id;
                if stop {
                    break;
                }
            }
        }
    }
    let (pending,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL")
        .fetch_one(pool)
        .await?;
    report.pending = pending as u64;
    Ok(report)
}
