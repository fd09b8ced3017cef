//! Delivery rows for events stored before a destination took their type.
//!
//! The inbox keeps every event it accepts, even one no destination relays yet (issue 13: `order.refunded` was
//! stored for months before the Dolibarr destination wrote credit notes). A delivery row is only made at
//! ingest, for the destinations that take the type *then*; when a new version starts taking a type, the events
//! already stored have none. `ocpizza-bridge backfill --event-type <type>` makes the missing rows — pending,
//! first attempt, for each enabled destination taking the type — in inbox order, so each order's events still
//! reach a destination in arrival order among themselves. Running it twice makes nothing more (one row per
//! (inbox row, destination), the table's unique key). A running bridge picks the rows up at its next poll.

use std::sync::Arc;

use ocpizza_core::events;
use serde::Serialize;
use sqlx::MySqlPool;

use crate::destination::Destination;
use crate::ingest;

#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    #[error("--event-type: unknown event type {0:?} (one of {all})", all = events::ALL_TYPES.join(", "))]
    UnknownType(String),
    #[error("no enabled destination takes {0} events: nothing to backfill")]
    NoDestination(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// One event that got (or, in a dry run, would get) a delivery row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backfilled {
    pub inbox_id: i64,
    pub webhook_id: String,
    pub destination: &'static str,
    pub shop_order_id: Option<i64>,
    pub received_at: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    pub rows: Vec<Backfilled>,
    /// Stored bodies this version cannot read any more (left without a row; listed by id).
    pub unreadable: Vec<i64>,
}

/// Makes (or with `dry_run` only lists) the delivery rows missing for stored events of `event_type`, for each
/// of `destinations` that takes the type.
pub async fn run(
    pool: &MySqlPool,
    destinations: &[Arc<dyn Destination>],
    event_type: &str,
    dry_run: bool,
) -> Result<Report, BackfillError> {
    if !events::ALL_TYPES.contains(&event_type) {
        return Err(BackfillError::UnknownType(event_type.chars().take(60).collect()));
    }
    let takers: Vec<&'static str> =
        destinations.iter().filter(|d| d.accepts(event_type)).map(|d| d.name()).collect();
    if takers.is_empty() {
        return Err(BackfillError::NoDestination(event_type.to_owned()));
    }
    let mut report = Report::default();
    for dest in takers {
        let mut cursor = 0i64;
        loop {
            type Row = (i64, String, Vec<u8>, Option<i64>, chrono::NaiveDateTime);
            let batch: Vec<Row> = sqlx::query_as(
                "SELECT i.id, CONVERT(i.webhook_id USING utf8mb4), i.body, i.shop_order_id, i.received_at \
                 FROM inbox i WHERE i.event_type = ? AND i.id > ? \
                 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.inbox_id = i.id AND d.destination = ?) \
                 ORDER BY i.id LIMIT 500",
            )
            .bind(event_type)
            .bind(cursor)
            .bind(dest)
            .fetch_all(pool)
            .await?;
            let Some(last) = batch.last() else { break };
            cursor = last.0;
            for (inbox_id, webhook_id, body, shop_order_id, received_at) in batch {
                let Ok((_, event)) = ingest::parse_body(&body) else {
                    report.unreadable.push(inbox_id);
                    continue;
                };
                if !dry_run {
                    // The unique key (inbox_id, destination) makes a concurrent or repeated backfill a no-op.
                    sqlx::query(
                        "INSERT INTO deliveries (inbox_id, destination, partition_key) VALUES (?, ?, ?) \
                         ON DUPLICATE KEY UPDATE inbox_id = inbox_id",
                    )
                    .bind(inbox_id)
                    .bind(dest)
                    .bind(ingest::partition_key(&event))
                    .execute(pool)
                    .await?;
                }
                report.rows.push(Backfilled {
                    inbox_id,
                    webhook_id,
                    destination: dest,
                    shop_order_id,
                    received_at: received_at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                });
            }
        }
    }
    Ok(report)
}
