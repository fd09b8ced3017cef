//! Reconciliation: outbox rows the shop never managed to publish (bridge unreachable, shop crashed) are ingested
//! by the bridge itself, exactly like a webhook: same inbox key (`webhook_id` = outbox `event_id`), and the same
//! transaction marks the outbox row published. Nothing then depends on the shop retrying.

use std::sync::Arc;
use std::time::Duration;

use sqlx::MySqlPool;
use tokio::sync::{Notify, watch};
use tracing::{Instrument, info, warn};

use crate::ingest::{self, Stored, Via};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub ingested: u64,
    /// Already in the inbox (the webhook arrived but the shop could not record it): only marked published.
    pub duplicates: u64,
    /// Rows whose payload the bridge refuses; their `last_error` says why and they stay unpublished.
    pub rejected: u64,
}

/// One pass over unpublished outbox rows older than `after`. `destinations_for` names the destinations that
/// take an event type (as for a webhook).
pub async fn run_once(
    pool: &MySqlPool,
    after: Duration,
    destinations_for: &(dyn Fn(&str) -> Vec<&'static str> + Sync),
) -> Result<Report, sqlx::Error> {
    let mut report = Report::default();
    let mut cursor = 0i64;
    let after_us = i64::try_from(after.as_micros()).unwrap_or(i64::MAX);
    loop {
        let mut conn = pool.acquire().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED").execute(&mut *conn).await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        // SKIP LOCKED: a row the shop is publishing right now is the shop's.
        let row: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT id, CONVERT(event_id USING utf8mb4), payload FROM outbox WHERE published_at IS NULL AND id > ? \
             AND created_at < NOW(6) - INTERVAL ? MICROSECOND ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
        )
        .bind(cursor)
        .bind(after_us)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((id, event_id, payload)) = row else {
            tx.commit().await?;
            break;
        };
        cursor = id;
        let span = tracing::info_span!("event", webhook_id = %event_id, via = "reconcile");
        let outcome = async {
            match ingest::parse_body(payload.as_bytes()) {
                Err(e) => {
                    warn!(error = %e, "outbox row refused by reconciliation");
                    sqlx::query("UPDATE outbox SET last_error = ? WHERE id = ?")
                        .bind(format!("bridge reconciliation refused it: {e}").chars().take(500).collect::<String>())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok::<_, sqlx::Error>(None)
                }
                Ok((env, event)) => {
                    let dests = destinations_for(&env.event_type);
                    let stored =
                        ingest::store(&mut tx, &event_id, payload.as_bytes(), &env, &event, &dests, Via::Reconcile)
                            .await?;
                    sqlx::query("UPDATE outbox SET published_at = NOW(6), last_error = NULL WHERE id = ?")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(Some(stored))
                }
            }
        }
        .instrument(span)
        .await?;
        match outcome {
            None => report.rejected += 1,
            Some(Stored::Duplicate) => report.duplicates += 1,
            Some(Stored::Accepted { .. }) => report.ingested += 1,
        }
    }
    Ok(report)
}

/// Names of the destinations that take an event type.
pub type DestinationsFor = Arc<dyn Fn(&str) -> Vec<&'static str> + Send + Sync>;

/// Runs [`run_once`] every `interval` until shutdown.
pub async fn run(
    pool: MySqlPool,
    interval: Duration,
    after: Duration,
    destinations_for: DestinationsFor,
    notify: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(interval);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        match run_once(&pool, after, &*destinations_for).await {
            Ok(r) if r == Report::default() => {}
            Ok(r) => {
                info!(ingested = r.ingested, duplicates = r.duplicates, rejected = r.rejected, "outbox reconciled");
                metrics::counter!("ocpizza_ingest_total", "result" => "reconciled").increment(r.ingested);
                if r.ingested > 0 {
                    notify.notify_one();
                }
            }
            Err(e) => warn!(error = %e, "outbox reconciliation failed; will retry"),
        }
    }
}
