//! The `deliveries` table as a durable work queue: claim with leases, finish, reap, release, list, replay.
//!
//! Rules kept here and nowhere else:
//! - a claim picks candidates without locking, then locks them in one short READ COMMITTED transaction
//!   (`SELECT … FOR UPDATE SKIP LOCKED` by primary key, then `UPDATE` to `inflight` with a lease), then re-checks
//!   the partition rule on committed data; no lock is ever held across a destination call;
//! - first attempts are claimed ahead of retries;
//! - per destination, a row of a partition (one shop order) is delivered only when no older row of it is
//!   `pending`/`inflight` and no other row of it is `inflight`: an order's events reach a destination one at a
//!   time, in id order (= arrival order for events sent one after the other; two events of one order arriving at
//!   the same instant go in whichever order their commits land, never concurrently). A `dead` row does not
//!   block the rows after it: waiting forever behind an event that needs a person would stall the whole order;
//!   the dead row is listed and replayable;
//! - every finish is guarded by (lease_owner, attempt): a worker whose lease was reaped cannot overwrite the row.

use std::time::Duration;

use chrono::NaiveDateTime;
use serde::Serialize;
use sqlx::mysql::MySqlRow;
use sqlx::{Executor, MySql, MySqlPool, QueryBuilder, Row};

/// A delivery row this process now holds.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub inbox_id: i64,
    pub destination: String,
    /// Attempts started, this one included (1 for the first attempt).
    pub attempt: u32,
    pub webhook_id: String,
    pub body: Vec<u8>,
    pub received_at: NaiveDateTime,
}

/// How a delivery attempt ended, as the queue records it.
#[derive(Debug, Clone, PartialEq)]
pub enum Finish {
    Done(serde_json::Value),
    Retry { error: String, delay: Duration },
    Dead { error: String },
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// Claims up to `limit` due deliveries of the given destinations for `owner`, first attempts first.
pub async fn claim(
    pool: &MySqlPool,
    owner: &str,
    destinations: &[&str],
    limit: usize,
    lease: Duration,
) -> Result<Vec<Claimed>, sqlx::Error> {
    if destinations.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let mut conn = pool.acquire().await?;
    // 1. Candidates, without locks: the partition check reads other rows, and a locking read there would wait
    //    on (or skip) rows other workers are finishing. First attempts first, then due retries.
    let want = limit * 2;
    let mut candidates: Vec<i64> = Vec::with_capacity(want);
    for first in [true, false] {
        if candidates.len() >= want {
            break;
        }
        let mut q = QueryBuilder::<MySql>::new(
            "SELECT d.id FROM deliveries d WHERE d.status = 'pending' AND d.next_attempt_at <= NOW(6) AND ",
        );
        q.push(if first { "d.attempt = 0" } else { "d.attempt > 0" });
        q.push(" AND d.destination IN (");
        let mut sep = q.separated(", ");
        for d in destinations {
            sep.push_bind(*d);
        }
        q.push(") AND NOT ").push(BLOCKED).push(" ORDER BY d.next_attempt_at, d.id LIMIT ");
        q.push_bind((want - candidates.len()) as i64);
        let rows: Vec<(i64,)> = q.build_query_as().fetch_all(&mut *conn).await?;
        candidates.extend(rows.into_iter().map(|(id,)| id));
    }
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    // 2. Lock the candidates still pending and due, skipping those another claimer holds; keep `limit` of them
    //    in candidate order. READ COMMITTED: the locking read sees the latest committed state.
    conn.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED").await?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let mut q = QueryBuilder::<MySql>::new("SELECT id FROM deliveries WHERE id IN (");
    push_ids(&mut q, &candidates);
    q.push(") AND status = 'pending' AND next_attempt_at <= NOW(6) FOR UPDATE SKIP LOCKED");
    let locked: Vec<i64> =
        q.build_query_as::<(i64,)>().fetch_all(&mut *tx).await?.into_iter().map(|(id,)| id).collect();
    let ids: Vec<i64> = candidates.into_iter().filter(|id| locked.contains(id)).take(limit).collect();
    if ids.is_empty() {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    let mut q = QueryBuilder::<MySql>::new(
        "UPDATE deliveries SET status = 'inflight', attempt = attempt + 1, lease_until = NOW(6) + INTERVAL ",
    );
    q.push_bind(micros(lease));
    q.push(" MICROSECOND, lease_owner = ");
    q.push_bind(owner);
    q.push(" WHERE id IN (");
    push_ids(&mut q, &ids);
    q.push(")");
    q.build().execute(&mut *tx).await?;
    tx.commit().await?;

    // 3. The candidates came from a snapshot: an older row of the partition may have become pending since
    //    (a replay, a reaped lease). Re-check on committed data while fetching, and hand such rows back.
    fetch_leased(&mut conn, owner, &ids).await
}

/// What the webhook handler already holds of an event whose rows it inserted leased to its own relay: the
/// relay need not read it back.
#[derive(Debug, Clone)]
pub struct Handed {
    pub inbox_id: i64,
    pub webhook_id: String,
    pub body: Vec<u8>,
    /// When the handler stored it (the inbox row's own time differs by the insert's duration; used for metrics).
    pub received_at: NaiveDateTime,
    /// The rows' partition and destinations, as inserted.
    pub partition_key: String,
    pub destinations: Vec<&'static str>,
}

/// True when an older row of the same destination and partition is pending or in flight, or any other is in
/// flight: the row of `d` must wait (the partition rule of the module docs).
const BLOCKED: &str = "EXISTS (SELECT 1 FROM deliveries e FORCE INDEX (ix_deliveries_partition) \
     WHERE e.destination = d.destination \
     AND e.partition_key = d.partition_key AND e.id <> d.id \
     AND ((e.id < d.id AND e.status IN ('pending', 'inflight')) OR e.status = 'inflight'))";

/// Rows of one freshly ingested event that the webhook handler inserted already leased to `owner` (the fast
/// lane). Same re-check as a claim: a row with an older pending/inflight row in its partition is handed back.
/// One plain read of the event's partition (its destinations only) by `ix_deliveries_partition`, the rule
/// applied here by [`blocked_by`]: this runs once per webhook, and the correlated `EXISTS` of [`BLOCKED`] cost
/// MariaDB ≈ 25 % more per event (measured; it re-optimises the subquery on every execution). No filter on status
/// or owner in SQL either: it makes the optimizer build a row-id filter from the status indexes on every event.
/// A partition is one order's few events (or one restaurant's shortages) until the retention purge.
pub async fn adopt(pool: &MySqlPool, owner: &str, handed: &Handed) -> Result<Vec<Claimed>, sqlx::Error> {
    if handed.destinations.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = pool.acquire().await?;
    let mut q = QueryBuilder::<MySql>::new(
        "SELECT id, inbox_id, CONVERT(destination USING utf8mb4) AS destination, attempt, \
         status = 'inflight' AS inflight, status = 'pending' AS pending, lease_owner <=> ",
    );
    q.push_bind(owner);
    q.push(" AS ours FROM deliveries FORCE INDEX (ix_deliveries_partition) WHERE destination IN (");
    let mut sep = q.separated(", ");
    for d in &handed.destinations {
        sep.push_bind(*d);
    }
    q.push(") AND partition_key = ");
    q.push_bind(&handed.partition_key);
    let mut partition = Vec::new();
    for r in q.build().fetch_all(&mut *conn).await? {
        let flag = |c: &str| r.try_get::<i64, _>(c).map(|v| v != 0);
        partition.push(PartitionRow {
            id: r.try_get("id")?,
            inbox_id: r.try_get("inbox_id")?,
            destination: r.try_get("destination")?,
            attempt: attempt_of(&r)?,
            state: match (flag("inflight")?, flag("pending")?) {
                (true, _) if flag("ours")? => RowState::InflightOurs,
                (true, _) => RowState::Inflight,
                (false, true) => RowState::Pending,
                (false, false) => RowState::Finished,
            },
        });
    }
    partition.sort_by_key(|r| r.id);
    let rows = partition
        .iter()
        .filter(|r| r.inbox_id == handed.inbox_id && r.state == RowState::InflightOurs)
        .map(|r| {
            let claimed = Claimed {
                id: r.id,
                inbox_id: handed.inbox_id,
                destination: r.destination.clone(),
                attempt: r.attempt,
                webhook_id: handed.webhook_id.clone(),
                body: handed.body.clone(),
                received_at: handed.received_at,
            };
            (claimed, blocked_by(&partition, r))
        })
        .collect();
    keep_unblocked(&mut conn, owner, rows).await
}

/// One row of a partition as the fast lane's re-check sees it.
#[derive(Debug, Clone)]
struct PartitionRow {
    id: i64,
    inbox_id: i64,
    destination: String,
    attempt: u32,
    state: RowState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowState {
    Pending,
    /// In flight, leased to the process asking.
    InflightOurs,
    Inflight,
    /// Done or dead: blocks nothing.
    Finished,
}

/// [`BLOCKED`] applied to `row` over the rows of its partition read on committed data.
fn blocked_by(partition: &[PartitionRow], row: &PartitionRow) -> bool {
    partition.iter().any(|e| {
        e.destination == row.destination
            && e.id != row.id
            && match e.state {
                RowState::Inflight | RowState::InflightOurs => true,
                RowState::Pending => e.id < row.id,
                RowState::Finished => false,
            }
    })
}

/// Fetches the rows `ids` that `owner` holds, handing back those the partition rule says must wait.
async fn fetch_leased(conn: &mut sqlx::MySqlConnection, owner: &str, ids: &[i64]) -> Result<Vec<Claimed>, sqlx::Error> {
    let mut q = QueryBuilder::<MySql>::new(format!(
        "SELECT d.id, d.inbox_id, CONVERT(d.destination USING utf8mb4) AS destination, d.attempt, \
         CONVERT(i.webhook_id USING utf8mb4) AS webhook_id, i.body, i.received_at, {BLOCKED} AS blocked \
         FROM deliveries d JOIN inbox i ON i.id = d.inbox_id WHERE d.lease_owner = "
    ));
    q.push_bind(owner);
    q.push(" AND d.status = 'inflight' AND d.id IN (");
    push_ids(&mut q, ids);
    q.push(") ORDER BY d.id");
    let mut rows = Vec::new();
    for r in q.build().fetch_all(&mut *conn).await? {
        let claimed = Claimed {
            id: r.try_get("id")?,
            inbox_id: r.try_get("inbox_id")?,
            destination: r.try_get("destination")?,
            attempt: attempt_of(&r)?,
            webhook_id: r.try_get("webhook_id")?,
            body: r.try_get("body")?,
            received_at: r.try_get("received_at")?,
        };
        rows.push((claimed, r.try_get::<i64, _>("blocked")? != 0));
    }
    keep_unblocked(conn, owner, rows).await
}

fn attempt_of(r: &MySqlRow) -> Result<u32, sqlx::Error> {
    Ok(u32::try_from(r.try_get::<i32, _>("attempt")?).unwrap_or(0))
}

/// The rows to deliver now, after handing back to `pending` those the partition rule holds (flagged true).
async fn keep_unblocked(
    conn: &mut sqlx::MySqlConnection,
    owner: &str,
    rows: Vec<(Claimed, bool)>,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let (blocked, keep): (Vec<_>, Vec<_>) = rows.into_iter().partition(|(_, blocked)| *blocked);
    hand_back(conn, owner, &blocked.iter().map(|(c, _)| c.id).collect::<Vec<_>>()).await?;
    Ok(keep.into_iter().map(|(c, _)| c).collect())
}

/// Returns rows that must wait to `pending`, the attempt they were leased for not counted.
async fn hand_back(conn: &mut sqlx::MySqlConnection, owner: &str, ids: &[i64]) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut q = QueryBuilder::<MySql>::new(
        "UPDATE deliveries SET status = 'pending', attempt = attempt - 1, lease_until = NULL, lease_owner = NULL \
         WHERE status = 'inflight' AND lease_owner = ",
    );
    q.push_bind(owner);
    q.push(" AND id IN (");
    push_ids(&mut q, ids);
    q.push(")");
    q.build().execute(&mut *conn).await?;
    Ok(())
}

fn push_ids(q: &mut QueryBuilder<'_, MySql>, ids: &[i64]) {
    let mut sep = q.separated(", ");
    for id in ids {
        sep.push_bind(*id);
    }
}

/// Records the end of an attempt. Returns false when the row was no longer ours (lease reaped and re-claimed).
pub async fn finish(pool: &MySqlPool, owner: &str, claimed: &Claimed, finish: &Finish) -> Result<bool, sqlx::Error> {
    let guard = " WHERE id = ? AND status = 'inflight' AND lease_owner = ? AND attempt = ?";
    let res = match finish {
        Finish::Done(result) => {
            sqlx::query(&format!(
                "UPDATE deliveries SET status = 'done', result = ?, last_error = NULL, lease_until = NULL, \
                 lease_owner = NULL, finished_at = NOW(6){guard}"
            ))
            .bind(result.to_string())
            .bind(claimed.id)
            .bind(owner)
            .bind(claimed.attempt as i32)
            .execute(pool)
            .await?
        }
        Finish::Retry { error, delay } => {
            sqlx::query(&format!(
                "UPDATE deliveries SET status = 'pending', last_error = ?, lease_until = NULL, lease_owner = NULL, \
                 next_attempt_at = NOW(6) + INTERVAL ? MICROSECOND{guard}"
            ))
            .bind(truncate(error))
            .bind(micros(*delay))
            .bind(claimed.id)
            .bind(owner)
            .bind(claimed.attempt as i32)
            .execute(pool)
            .await?
        }
        Finish::Dead { error } => {
            sqlx::query(&format!(
                "UPDATE deliveries SET status = 'dead', last_error = ?, lease_until = NULL, lease_owner = NULL, \
                 finished_at = NOW(6){guard}"
            ))
            .bind(truncate(error))
            .bind(claimed.id)
            .bind(owner)
            .bind(claimed.attempt as i32)
            .execute(pool)
            .await?
        }
    };
    Ok(res.rows_affected() == 1)
}

/// Marks many successful attempts done in one statement (one commit). Returns how many rows were still ours.
pub async fn finish_done_batch(
    pool: &MySqlPool,
    owner: &str,
    done: &[(&Claimed, &serde_json::Value)],
) -> Result<u64, sqlx::Error> {
    if done.is_empty() {
        return Ok(0);
    }
    let mut q = QueryBuilder::<MySql>::new("UPDATE deliveries SET status = 'done', result = CASE id");
    for (c, v) in done {
        q.push(" WHEN ").push_bind(c.id).push(" THEN ").push_bind(v.to_string());
    }
    // A success clears the error of an earlier attempt: `last_error` describes the delivery as it is now.
    q.push(
        " END, last_error = NULL, lease_until = NULL, lease_owner = NULL, finished_at = NOW(6) \
         WHERE status = 'inflight' AND lease_owner = ",
    );
    q.push_bind(owner);
    q.push(" AND attempt = CASE id");
    for (c, _) in done {
        q.push(" WHEN ").push_bind(c.id).push(" THEN ").push_bind(c.attempt as i32);
    }
    q.push(" END AND id IN (");
    let mut sep = q.separated(", ");
    for (c, _) in done {
        sep.push_bind(c.id);
    }
    q.push(")");
    Ok(q.build().execute(pool).await?.rows_affected())
}

fn truncate(s: &str) -> String {
    if s.chars().count() <= 2000 { s.to_owned() } else { s.chars().take(1997).collect::<String>() + "..." }
}

/// Returns expired leases to `pending` (due now), or to `dead` once `max_attempts` attempts were started.
/// Returns how many rows were reaped.
pub async fn reap(pool: &MySqlPool, max_attempts: u32) -> Result<u64, sqlx::Error> {
    // MariaDB applies SET assignments left to right: read lease_owner before clearing it.
    let res = sqlx::query(
        "UPDATE deliveries SET \
           last_error = CONCAT('lease expired while held by ', lease_owner, ' (worker stopped or too slow)'), \
           status = IF(attempt >= ?, 'dead', 'pending'), \
           finished_at = IF(attempt >= ?, NOW(6), NULL), \
           next_attempt_at = NOW(6), lease_until = NULL, lease_owner = NULL \
         WHERE status = 'inflight' AND lease_until < NOW(6)",
    )
    .bind(max_attempts as i32)
    .bind(max_attempts as i32)
    .execute(pool)
    .await?;
    Ok(res.rows_affected())
}

/// Hands back every row `owner` still holds (graceful shutdown): due now, the interrupted attempt not counted.
pub async fn release_owned(pool: &MySqlPool, owner: &str) -> Result<u64, sqlx::Error> {
    let res = sqlx::query(
        "UPDATE deliveries SET status = 'pending', attempt = GREATEST(attempt - 1, 0), next_attempt_at = NOW(6), \
         lease_until = NULL, lease_owner = NULL, last_error = COALESCE(last_error, 'released at shutdown') \
         WHERE status = 'inflight' AND lease_owner = ?",
    )
    .bind(owner)
    .execute(pool)
    .await?;
    Ok(res.rows_affected())
}

/// One row of the admin listing.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeliveryView {
    pub id: i64,
    pub inbox_id: i64,
    pub webhook_id: String,
    pub event_type: String,
    pub destination: String,
    pub partition_key: String,
    pub status: String,
    pub attempt: i32,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    pub result: Option<serde_json::Value>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

pub const STATUSES: [&str; 4] = ["pending", "inflight", "done", "dead"];

fn rfc3339(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub async fn list(
    pool: &MySqlPool,
    status: Option<&str>,
    destination: Option<&str>,
    limit: u32,
) -> Result<Vec<DeliveryView>, sqlx::Error> {
    let mut q = QueryBuilder::<MySql>::new(
        "SELECT d.id, d.inbox_id, CONVERT(i.webhook_id USING utf8mb4) AS webhook_id, i.event_type, \
         CONVERT(d.destination USING utf8mb4) AS destination, CONVERT(d.partition_key USING utf8mb4) AS partition_key, \
         d.status, d.attempt, \
         d.next_attempt_at, d.last_error, d.result, d.created_at, d.finished_at \
         FROM deliveries d JOIN inbox i ON i.id = d.inbox_id WHERE 1 = 1",
    );
    if let Some(s) = status {
        q.push(" AND d.status = ").push_bind(s);
    }
    if let Some(d) = destination {
        q.push(" AND d.destination = ").push_bind(d);
    }
    q.push(" ORDER BY d.id LIMIT ").push_bind(i64::from(limit));
    let rows = q.build().fetch_all(pool).await?;
    rows.into_iter()
        .map(|r| {
            let result: Option<String> = r.try_get("result")?;
            Ok(DeliveryView {
                id: r.try_get("id")?,
                inbox_id: r.try_get("inbox_id")?,
                webhook_id: r.try_get("webhook_id")?,
                event_type: r.try_get("event_type")?,
                destination: r.try_get("destination")?,
                partition_key: r.try_get("partition_key")?,
                status: r.try_get("status")?,
                attempt: r.try_get("attempt")?,
                next_attempt_at: rfc3339(r.try_get("next_attempt_at")?),
                last_error: r.try_get("last_error")?,
                result: result.and_then(|s| serde_json::from_str(&s).ok()),
                created_at: rfc3339(r.try_get("created_at")?),
                finished_at: r.try_get::<Option<NaiveDateTime>, _>("finished_at")?.map(rfc3339),
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayOne {
    Replayed,
    NotFound,
    /// Only dead deliveries are replayed; carries the current status.
    NotDead(String),
}

/// Puts one dead delivery back in the queue as a fresh first attempt (its last error is kept until it runs).
pub async fn replay_one(pool: &MySqlPool, id: i64) -> Result<ReplayOne, sqlx::Error> {
    let res = sqlx::query(
        "UPDATE deliveries SET status = 'pending', attempt = 0, next_attempt_at = NOW(6), finished_at = NULL \
         WHERE id = ? AND status = 'dead'",
    )
    .bind(id)
    .execute(pool)
    .await?;
    if res.rows_affected() == 1 {
        return Ok(ReplayOne::Replayed);
    }
    let status: Option<(String,)> =
        sqlx::query_as("SELECT status FROM deliveries WHERE id = ?").bind(id).fetch_optional(pool).await?;
    Ok(match status {
        None => ReplayOne::NotFound,
        Some((s,)) => ReplayOne::NotDead(s),
    })
}

/// Puts every dead delivery of a destination back in the queue; returns how many.
pub async fn replay_dead(pool: &MySqlPool, destination: &str) -> Result<u64, sqlx::Error> {
    let res = sqlx::query(
        "UPDATE deliveries SET status = 'pending', attempt = 0, next_attempt_at = NOW(6), finished_at = NULL \
         WHERE destination = ? AND status = 'dead'",
    )
    .bind(destination)
    .execute(pool)
    .await?;
    Ok(res.rows_affected())
}

/// Queue depth by status and the age of the oldest pending delivery, for `/metrics`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueStats {
    pub by_status: Vec<(String, i64)>,
    pub oldest_pending_secs: f64,
}

pub async fn stats(pool: &MySqlPool) -> Result<QueueStats, sqlx::Error> {
    let counts: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM deliveries GROUP BY status").fetch_all(pool).await?;
    let by_status = STATUSES
        .iter()
        .map(|s| (s.to_string(), counts.iter().find(|(c, _)| c == s).map(|(_, n)| *n).unwrap_or(0)))
        .collect();
    let oldest: Option<(Option<i64>,)> = sqlx::query_as(
        "SELECT TIMESTAMPDIFF(MICROSECOND, MIN(created_at), NOW(6)) FROM deliveries WHERE status = 'pending'",
    )
    .fetch_optional(pool)
    .await?;
    let oldest_pending_secs = oldest.and_then(|(m,)| m).map(|m| m.max(0) as f64 / 1e6).unwrap_or(0.0);
    Ok(QueueStats { by_status, oldest_pending_secs })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, destination: &str, state: RowState) -> PartitionRow {
        PartitionRow { id, inbox_id: id, destination: destination.into(), attempt: 1, state }
    }

    #[test]
    fn fast_lane_row_waits_for_older_unfinished_or_any_inflight_row_of_its_destination() {
        use RowState::*;
        let mine = row(5, "dolibarr", InflightOurs);
        let with = |other: PartitionRow| blocked_by(&[other, mine.clone()], &mine);
        assert!(!blocked_by(std::slice::from_ref(&mine), &mine), "alone in its partition");
        assert!(with(row(3, "dolibarr", Pending)));
        assert!(with(row(3, "dolibarr", Inflight)));
        assert!(with(row(3, "dolibarr", InflightOurs)), "an older event this process is still delivering");
        assert!(!with(row(7, "dolibarr", Pending)), "a newer pending row waits for this one");
        assert!(with(row(7, "dolibarr", Inflight)), "never two rows of one order in flight");
        assert!(!with(row(3, "dolibarr", Finished)), "done or dead rows block nothing");
        assert!(!with(row(3, "apns", Inflight)), "other destinations have their own order");
    }
}
