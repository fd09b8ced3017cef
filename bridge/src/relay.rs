//! The relay engine: claims due deliveries, hands each to its [`Destination`], records the outcome.
//!
//! One dispatcher loop per engine claims as many rows as it has free worker slots and runs each delivery in its
//! own task; it wakes on an in-process [`Notify`] (new ingest, a finished delivery that may unblock the next event
//! of its order) and polls as a fallback (other processes, scheduled retries). A reaper returns expired leases.
//! Several engines — in one process or many — can share one database: the queue's leases keep them apart.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use sqlx::MySqlPool;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use tracing::{Instrument, info, warn};

use crate::config::DeliveryConfig;
use crate::destination::{Delivery, DeliveryError, Destination, Outcome};
use crate::ingest;
use crate::queue::{self, Claimed, Finish, Handed};

/// Largest batch one claim takes, whatever the concurrency.
const MAX_BATCH: usize = 64;

/// Exponential backoff after attempt `attempt` (1-based) failed: base·2^(attempt-1), at most `max`, ±20 % jitter.
/// A remote `Retry-After` is honoured (never retried sooner), clamped to `max`.
pub fn backoff(cfg: &DeliveryConfig, attempt: u32, retry_after: Option<Duration>) -> Duration {
    let exp = attempt.saturating_sub(1).min(30);
    let raw = cfg.backoff_base.saturating_mul(1u32 << exp).min(cfg.backoff_max);
    let jitter = rand::thread_rng().gen_range(0.8..=1.2);
    let delay = raw.mul_f64(jitter).min(cfg.backoff_max);
    match retry_after {
        Some(ra) => delay.max(ra.min(cfg.backoff_max)),
        None => delay,
    }
}

#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    pool: MySqlPool,
    destinations: HashMap<&'static str, Arc<dyn Destination>>,
    cfg: DeliveryConfig,
    owner: String,
    notify: Arc<Notify>,
    /// Worker slots, shared by claimed and handed-off deliveries.
    slots: Arc<Semaphore>,
    handoff: mpsc::UnboundedSender<(Handed, OwnedSemaphorePermit)>,
    handoff_rx: std::sync::Mutex<Option<mpsc::UnboundedReceiver<(Handed, OwnedSemaphorePermit)>>>,
    stopping: AtomicBool,
}

/// Worker slots reserved by the webhook handler for the delivery rows it is about to insert already leased to
/// this engine (the fast lane: no claim transaction between ingest and delivery). Dropping it without
/// [`Reservation::hand_off`] gives the slots back.
pub struct Reservation {
    inner: Arc<Inner>,
    permit: OwnedSemaphorePermit,
}

impl Reservation {
    /// (lease owner, lease duration) to write into the new delivery rows.
    pub fn lease(&self) -> (&str, Duration) {
        (&self.inner.owner, self.inner.cfg.lease)
    }

    /// After the commit: the engine re-checks the partition rule and delivers the rows of `handed.inbox_id`.
    pub fn hand_off(self, handed: Handed) {
        if self.inner.handoff.send((handed, self.permit)).is_err() {
            // Engine stopped: the rows stay leased to us and the reaper returns them when the lease expires.
            self.inner.notify.notify_one();
        }
    }
}

impl Engine {
    pub fn new(pool: MySqlPool, destinations: Vec<Arc<dyn Destination>>, cfg: DeliveryConfig) -> Engine {
        let owner = format!("{}-{}", std::process::id(), &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let destinations = destinations.into_iter().map(|d| (d.name(), d)).collect();
        let slots = Arc::new(Semaphore::new(cfg.concurrency));
        let (handoff, handoff_rx) = mpsc::unbounded_channel();
        Engine {
            inner: Arc::new(Inner {
                pool,
                destinations,
                cfg,
                owner,
                notify: Arc::new(Notify::new()),
                slots,
                handoff,
                handoff_rx: std::sync::Mutex::new(Some(handoff_rx)),
                stopping: AtomicBool::new(false),
            }),
        }
    }

    /// Reserves `n` worker slots for rows the caller will insert already leased to this engine; `None` when the
    /// engine is busy or stopping (the rows are then inserted pending and claimed as usual).
    pub fn try_reserve(&self, n: usize) -> Option<Reservation> {
        if n == 0 || self.inner.stopping.load(AtomicOrdering::SeqCst) || self.inner.destinations.is_empty() {
            return None;
        }
        let permit = self.inner.slots.clone().try_acquire_many_owned(n as u32).ok()?;
        Some(Reservation { inner: self.inner.clone(), permit })
    }

    /// The lease owner this engine writes into the rows it claims.
    pub fn owner(&self) -> &str {
        &self.inner.owner
    }

    /// Wakes the dispatcher (call after committing new deliveries).
    pub fn notifier(&self) -> Arc<Notify> {
        self.inner.notify.clone()
    }

    /// Runs the dispatcher, the finisher and the reaper until `shutdown` turns true, then lets in-flight
    /// deliveries finish for the grace period and releases whatever is still held.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let inner = self.inner.clone();
        let names: Vec<&'static str> = inner.destinations.keys().copied().collect();
        let slots = inner.slots.clone();
        let mut handoffs = inner.handoff_rx.lock().unwrap().take().expect("an engine runs once");
        let mut tasks = JoinSet::new();
        let reaper = tokio::spawn(reaper(inner.clone(), shutdown.clone()));
        let (results, results_rx) = mpsc::unbounded_channel();
        let finisher = tokio::spawn(finisher(inner.clone(), results_rx));
        info!(owner = %inner.owner, destinations = ?names, concurrency = inner.cfg.concurrency, "relay engine started");

        // With a backlog, wait for half the slots before claiming again: fewer, larger claims.
        let big = (inner.cfg.concurrency / 2).clamp(1, MAX_BATCH) as u32;
        let mut backlog = false;
        // Whether a claim may find rows: after a claim that came back short, not until something says so (a
        // notify: new pending rows, a finished row that unblocks its order, a reaped lease) or the next poll
        // (other processes, retries falling due). A hand-off alone never does: its rows are already leased to us,
        // and claiming on every one would cost the database two queries per event for nothing.
        let mut claimable = true;
        let mut next_poll = tokio::time::Instant::now();
        'dispatch: while !*shutdown.borrow() {
            while tasks.try_join_next().is_some() {}
            while let Ok((handed, permit)) = handoffs.try_recv() {
                tasks.spawn(adopt(inner.clone(), handed, permit, results.clone()));
            }
            if !claimable {
                tokio::select! {
                    _ = inner.notify.notified() => claimable = true,
                    _ = tokio::time::sleep_until(next_poll) => claimable = true,
                    Some((handed, permit)) = handoffs.recv() => {
                        tasks.spawn(adopt(inner.clone(), handed, permit, results.clone()));
                    }
                    _ = shutdown.changed() => break 'dispatch,
                }
                continue;
            }
            let need = if backlog { big } else { 1 };
            let first = tokio::select! {
                p = slots.clone().acquire_many_owned(need) => p.expect("semaphore never closed"),
                Some((handed, permit)) = handoffs.recv() => {
                    tasks.spawn(adopt(inner.clone(), handed, permit, results.clone()));
                    continue;
                }
                _ = shutdown.changed() => break 'dispatch,
            };
            let want = (need as usize + slots.available_permits()).min(MAX_BATCH);
            let claimed = match queue::claim(&inner.pool, &inner.owner, &names, want, inner.cfg.lease).await {
                Ok(c) => c,
                Err(e) => {
                    warn!(error = %e, "claiming deliveries failed; retrying after the poll interval");
                    Vec::new()
                }
            };
            backlog = claimed.len() == want;
            if !backlog {
                claimable = false;
                next_poll = tokio::time::Instant::now() + inner.cfg.poll_interval;
            }
            if claimed.is_empty() {
                drop(first);
                if names.is_empty() {
                    // Nothing can ever be claimed; just wait for shutdown.
                    let _ = shutdown.changed().await;
                    break 'dispatch;
                }
                continue;
            }
            let mut first = Some(first);
            for row in claimed {
                let permit = match first.as_mut() {
                    Some(p) if p.num_permits() > 1 => p.split(1).expect("more than one permit"),
                    Some(_) => first.take().expect("present"),
                    None => slots.clone().acquire_owned().await.expect("semaphore never closed"),
                };
                let (inner, results) = (inner.clone(), results.clone());
                tasks.spawn(async move {
                    deliver_one(&inner, row, results).await;
                    drop(permit);
                });
            }
        }

        // Graceful stop: no new claims nor hand-offs; in-flight deliveries get the grace period, then are released.
        inner.stopping.store(true, AtomicOrdering::SeqCst);
        handoffs.close();
        while let Some((handed, permit)) = handoffs.recv().await {
            tasks.spawn(adopt(inner.clone(), handed, permit, results.clone()));
        }
        let grace = inner.cfg.shutdown_grace;
        let drained = tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
        }
        drop(results);
        let _ = finisher.await;
        match queue::release_owned(&inner.pool, &inner.owner).await {
            Ok(0) => {}
            Ok(n) => info!(released = n, "released deliveries still in flight at shutdown"),
            Err(e) => warn!(error = %e, "could not release in-flight deliveries; the reaper will return them"),
        }
        reaper.abort();
        info!(owner = %inner.owner, "relay engine stopped");
    }
}

/// Records results: successes that arrive within `finish_window` of each other are written in one statement
/// (one commit); retries and dead letters one by one. Wakes the dispatcher afterwards, since a finished row may unblock the next event of
/// its order.
async fn finisher(inner: Arc<Inner>, mut rx: mpsc::UnboundedReceiver<(Claimed, Finish)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH * 2);
    let cap = MAX_BATCH * 2;
    while rx.recv_many(&mut batch, cap).await > 0 {
        // Gather what else finishes within the window (or until the batch is full): one commit for all.
        let until = tokio::time::Instant::now() + inner.cfg.finish_window;
        while batch.len() < cap {
            let room = cap - batch.len();
            tokio::select! {
                n = rx.recv_many(&mut batch, room) => {
                    if n == 0 {
                        break;
                    }
                }
                _ = tokio::time::sleep_until(until) => break,
            }
        }
        let done: Vec<(&Claimed, &serde_json::Value)> = batch
            .iter()
            .filter_map(|(c, f)| match f {
                Finish::Done(v) => Some((c, v)),
                _ => None,
            })
            .collect();
        match retry_deadlocks(|| queue::finish_done_batch(&inner.pool, &inner.owner, &done)).await {
            Ok(n) if n < done.len() as u64 => {
                warn!(lost = done.len() as u64 - n, "leases were lost before the attempts finished; not recorded")
            }
            Ok(_) => {}
            Err(e) => {
                warn!(error = %e, "could not record delivery results; the leases will expire and they will be retried")
            }
        }
        for (c, f) in batch.iter().filter(|(_, f)| !matches!(f, Finish::Done(_))) {
            match retry_deadlocks(|| queue::finish(&inner.pool, &inner.owner, c, f)).await {
                Ok(true) => {}
                Ok(false) => {
                    warn!(delivery_id = c.id, "lease was lost before the attempt finished; the result is not recorded")
                }
                Err(e) => {
                    warn!(delivery_id = c.id, error = %e, "could not record the delivery result; the lease will expire and it will be retried")
                }
            }
        }
        batch.clear();
        inner.notify.notify_one();
    }
}

/// Delivers the rows of a freshly ingested event that were inserted leased to us.
async fn adopt(
    inner: Arc<Inner>,
    handed: Handed,
    mut permit: OwnedSemaphorePermit,
    results: mpsc::UnboundedSender<(Claimed, Finish)>,
) {
    let rows = match queue::adopt(&inner.pool, &inner.owner, &handed).await {
        Ok(rows) => rows,
        Err(e) => {
            warn!(error = %e, inbox_id = handed.inbox_id, "could not load handed-off deliveries; the reaper will return them");
            return;
        }
    };
    if rows.len() < permit.num_permits() {
        // Some rows were handed back (an order's other event is in flight): they wait for the dispatcher.
        inner.notify.notify_one();
    }
    let mut work = Vec::with_capacity(rows.len());
    for row in rows {
        // The last row runs on what is left of the reservation.
        let p = if permit.num_permits() > 1 { permit.split(1) } else { None };
        work.push((row, p));
    }
    let inner = &inner;
    futures_util::future::join_all(work.into_iter().map(|(row, p)| {
        let results = results.clone();
        async move {
            deliver_one(inner, row, results).await;
            drop(p);
        }
    }))
    .await;
    drop(permit);
}

/// Runs a single-statement write again when InnoDB chose it as a deadlock victim or its lock wait timed out:
/// the statement was rolled back and is safe to repeat (finishes are guarded by lease owner and attempt).
async fn retry_deadlocks<T, F, Fut>(mut f: F) -> Result<T, sqlx::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, sqlx::Error>>,
{
    let mut tries = 0;
    loop {
        match f().await {
            Err(sqlx::Error::Database(db))
                if tries < 5
                    // ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT
                    && matches!(
                        db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>().map(|e| e.number()),
                        Some(1213) | Some(1205)
                    ) =>
            {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(5 * tries)).await;
            }
            other => return other,
        }
    }
}

async fn reaper(inner: Arc<Inner>, mut shutdown: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(inner.cfg.reaper_interval);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        match queue::reap(&inner.pool, inner.cfg.max_attempts).await {
            Ok(0) => {}
            Ok(n) => {
                warn!(reaped = n, "returned deliveries whose lease expired");
                inner.notify.notify_one();
            }
            Err(e) => warn!(error = %e, "reaper failed"),
        }
    }
}

async fn deliver_one(inner: &Inner, row: Claimed, results: mpsc::UnboundedSender<(Claimed, Finish)>) {
    let span = tracing::info_span!(
        "delivery",
        webhook_id = %row.webhook_id,
        destination = %row.destination,
        delivery_id = row.id,
        attempt = row.attempt
    );
    async {
        let started = Instant::now();
        let finish = attempt(inner, &row).await;
        let outcome = match &finish {
            Finish::Done(_) => "done",
            Finish::Retry { .. } => "retry",
            Finish::Dead { .. } => "dead",
        };
        metrics::histogram!("ocpizza_delivery_seconds", "destination" => row.destination.clone())
            .record(started.elapsed().as_secs_f64());
        metrics::counter!("ocpizza_deliveries_total", "destination" => row.destination.clone(), "outcome" => outcome)
            .increment(1);
        match &finish {
            Finish::Done(_) => {
                let lag = (chrono::Utc::now().naive_utc() - row.received_at).num_microseconds().unwrap_or(0);
                metrics::histogram!("ocpizza_delivery_lag_seconds", "destination" => row.destination.clone())
                    .record(lag.max(0) as f64 / 1e6);
                tracing::debug!("delivered");
            }
            Finish::Retry { error, delay } => {
                warn!(error = %error, retry_in_ms = delay.as_millis() as u64, "delivery failed, will retry")
            }
            Finish::Dead { error } => warn!(error = %error, "delivery is dead"),
        }
        // The finisher outlives every delivery task (it stops when the last sender is dropped).
        let _ = results.send((row, finish));
    }
    .instrument(span)
    .await
}

async fn attempt(inner: &Inner, row: &Claimed) -> Finish {
    let Some(dest) = inner.destinations.get(row.destination.as_str()) else {
        return Finish::Retry {
            error: format!("destination {} is not enabled here", row.destination),
            delay: inner.cfg.backoff_base,
        };
    };
    let (env, event) = match ingest::parse_body(&row.body) {
        Ok(p) => p,
        Err(e) => return Finish::Dead { error: format!("stored body no longer parses: {e}") },
    };
    let delivery = Delivery {
        delivery_id: row.id,
        inbox_id: row.inbox_id,
        webhook_id: row.webhook_id.clone(),
        timestamp: env.timestamp,
        event,
        attempt: row.attempt,
    };
    // Never outlive the lease: past it the reaper may hand the row to someone else.
    let budget = inner.cfg.lease.mul_f64(0.9);
    let result = match tokio::time::timeout(budget, dest.deliver(&delivery)).await {
        Ok(r) => r,
        Err(_) => Err(DeliveryError::Retry {
            reason: format!("no answer within {} ms", budget.as_millis()),
            retry_after: None,
        }),
    };
    match result {
        Ok(Outcome::Done(v)) => Finish::Done(v),
        Ok(Outcome::Skipped(reason)) => Finish::Done(serde_json::json!({ "skipped": reason })),
        Err(DeliveryError::Fatal { reason }) => Finish::Dead { error: reason },
        Err(DeliveryError::Retry { reason, retry_after }) => {
            if row.attempt >= inner.cfg.max_attempts {
                Finish::Dead { error: format!("gave up after {} attempts: {reason}", row.attempt) }
            } else {
                Finish::Retry { error: reason, delay: backoff(&inner.cfg, row.attempt, retry_after) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_honours_retry_after() {
        let cfg = DeliveryConfig {
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(3600),
            ..Default::default()
        };
        for _ in 0..200 {
            let d1 = backoff(&cfg, 1, None).as_secs_f64();
            assert!((4.0..=6.0).contains(&d1), "{d1}");
            let d3 = backoff(&cfg, 3, None).as_secs_f64();
            assert!((16.0..=24.0).contains(&d3), "{d3}");
            assert!(backoff(&cfg, 30, None) <= cfg.backoff_max);
            assert!(backoff(&cfg, 1, Some(Duration::from_secs(120))) >= Duration::from_secs(120));
            assert_eq!(backoff(&cfg, 1, Some(Duration::from_secs(999_999))), cfg.backoff_max);
        }
    }
}
