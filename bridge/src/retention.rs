//! Retention: the bridge forgets what it no longer needs, so that `inbox`, `deliveries` and `push_sends` stop growing
//! forever.
//!
//! Deleted once older than the cutoff (`OCPIZZA_RETENTION_DAYS`, default 90): delivery rows with status `done`
//! (by `finished_at`), then the APNs bookkeeping rows (`push_sends`, by `updated_at`) whose delivery row is gone (no
//! attempt of it can ever run again, so nothing needs to know which devices it reached), then inbox rows (by
//! `received_at`) left without any delivery row. Kept whatever their age:
//! `pending`, `inflight` and `dead` deliveries (a dead one waits for a person: admin replay) and every inbox row
//! that still has a delivery row, so nothing still owed to a destination is lost.
//!
//! Why forgetting an old inbox row (the `UNIQUE(source, webhook_id)` that makes a re-sent webhook a duplicate) is
//! safe: a copy of an old webhook re-sent as it was carries its old `webhook-timestamp`, which the signature check
//! refuses outside the tolerance (±300 s by default; the configuration refuses a retention not longer than the
//! tolerance); and the shop re-signs with the current time only the events still unpublished in its outbox. An inbox
//! row whose outbox event is still unpublished is kept anyway, so even a shop stuck for months gets a duplicate.
//!
//! Work goes in short statements: candidates are read without locks in primary-key order, `batch` at a time, then
//! deleted by primary key with every condition checked again. No statement deletes more than `batch` rows, and rows
//! the relay works on (pending, inflight) are never locked.

use std::time::Duration;

use chrono::NaiveDateTime;
use sqlx::{MySql, MySqlPool, QueryBuilder};
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;
use tracing::{info, warn};

/// Rows per statement: a short transaction, few locks, little undo.
pub const DEFAULT_BATCH: u32 = 1000;

/// How many rows a purge deleted, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// `done` delivery rows.
    pub deliveries: u64,
    /// APNs bookkeeping rows of deliveries no longer there.
    pub push_sends: u64,
    /// Inbox rows that had no delivery row left.
    pub inbox: u64,
}

impl PurgeReport {
    pub fn is_empty(&self) -> bool {
        self.deliveries == 0 && self.push_sends == 0 && self.inbox == 0
    }
}

/// `n` days as a duration.
pub fn days(n: u32) -> Duration {
    Duration::from_secs(u64::from(n) * 86_400)
}

/// Deletes `done` deliveries finished before now − `older_than`, then `push_sends` rows last updated before it whose
/// delivery row is gone, then inbox rows received before it that have no delivery row left (and whose outbox event,
/// if any, is published), `batch` rows per statement (0 counts as 1).
pub async fn purge(pool: &MySqlPool, older_than: Duration, batch: u32) -> Result<PurgeReport, sqlx::Error> {
    let batch = i64::from(batch.max(1));
    let micros = i64::try_from(older_than.as_micros()).unwrap_or(i64::MAX);
    // One cutoff for the whole run, from the server's clock (the one that wrote the timestamps). NULL: before the
    // first representable date, so nothing is that old.
    let cutoff: Option<NaiveDateTime> =
        sqlx::query_scalar("SELECT NOW(6) - INTERVAL ? MICROSECOND").bind(micros).fetch_one(pool).await?;
    let Some(cutoff) = cutoff else { return Ok(PurgeReport::default()) };
    Ok(PurgeReport {
        deliveries: purge_table(pool, &DELIVERIES, cutoff, batch).await?,
        push_sends: purge_table(pool, &PUSH_SENDS, cutoff, batch).await?,
        inbox: purge_table(pool, &INBOX, cutoff, batch).await?,
    })
}

/// The statements of one table. `delete` checks the conditions of `candidates` again: the candidates come from a
/// read without locks.
struct Table {
    candidates: &'static str,
    delete: &'static str,
}

/// The [`Table`] whose rows go once `$time` is before the cutoff and `$gone` holds: the cutoff is the second
/// parameter of `candidates` and the last of `delete` (bound by [`purge_table`]).
macro_rules! table {
    ($table:literal, $time:literal, $gone:literal) => {
        Table {
            candidates: concat!(
                "SELECT id FROM ", $table, " WHERE id > ? AND ", $time, " < ? AND ", $gone, " ORDER BY id LIMIT ?"
            ),
            delete: concat!("DELETE FROM ", $table, " WHERE ", $gone, " AND ", $time, " < "),
        }
    };
}

const DELIVERIES: Table = table!("deliveries", "finished_at", "status = 'done'");

// The delivery is gone (purged above, or in an earlier run): nothing will retry it. updated_at: a row still being
// retried has a recent one.
const PUSH_SENDS: Table = table!(
    "push_sends",
    "updated_at",
    "NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = push_sends.delivery_id)"
);

// No delivery row left: the event owes nothing to anyone. Unpublished in the outbox: the shop may still re-sign
// and send it with a fresh timestamp, and only this row makes that a duplicate.
const INBOX: Table = table!(
    "inbox",
    "received_at",
    "NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.inbox_id = inbox.id) \
     AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = inbox.webhook_id AND o.published_at IS NULL)"
);

async fn purge_table(pool: &MySqlPool, t: &Table, cutoff: NaiveDateTime, batch: i64) -> Result<u64, sqlx::Error> {
    let (mut cursor, mut deleted) = (0i64, 0u64);
    loop {
        // Keyset walk in id order: rows kept (dead, pending, recent…) are passed over once per run, never read again.
        // No assumption that ids follow time (imports, restores): the walk reads the table to its end once an hour,
        // without locks.
        let ids: Vec<i64> =
            sqlx::query_scalar(t.candidates).bind(cursor).bind(cutoff).bind(batch).fetch_all(pool).await?;
        let Some(&last) = ids.last() else { break };
        cursor = last;
        let mut q = QueryBuilder::<MySql>::new(t.delete);
        q.push_bind(cutoff).push(" AND id IN (");
        let mut sep = q.separated(", ");
        for id in &ids {
            sep.push_bind(*id);
        }
        q.push(")");
        deleted += q.build().execute(pool).await?.rows_affected();
        if (ids.len() as i64) < batch {
            break;
        }
    }
    Ok(deleted)
}

/// Purges every `every` (the first time at once) until shutdown; logs and counts what went.
pub async fn run(pool: MySqlPool, every: Duration, older_than: Duration, mut shutdown: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        // Each batch is its own statement: stopping between two loses nothing, the next start resumes.
        let purged = tokio::select! {
            r = purge(&pool, older_than, DEFAULT_BATCH) => r,
            _ = shutdown.changed() => return,
        };
        match purged {
            Ok(r) if r.is_empty() => {}
            Ok(r) => {
                info!(
                    deliveries = r.deliveries,
                    push_sends = r.push_sends,
                    inbox = r.inbox,
                    days = older_than.as_secs() / 86_400,
                    "purged old rows"
                );
                metrics::counter!("ocpizza_purged_total", "table" => "deliveries").increment(r.deliveries);
                metrics::counter!("ocpizza_purged_total", "table" => "push_sends").increment(r.push_sends);
                metrics::counter!("ocpizza_purged_total", "table" => "inbox").increment(r.inbox);
            }
            Err(e) => warn!(error = %e, "retention purge failed; will retry at the next run"),
        }
    }
}
