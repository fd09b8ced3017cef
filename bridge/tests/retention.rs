//! Retention: what the purge deletes (old `done` deliveries, old inbox rows left without any delivery) and what it
//! keeps (pending, inflight and dead deliveries and their inbox rows, recent rows, events still unpublished in the
//! outbox; APNs send records once their delivery is gone), in small batches, from `serve` at start-up and from
//! `ocpizza-bridge purge`.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use ocpizza_bridge::app::spawn_app;
use ocpizza_bridge::ingest::{self, Stored, Via};
use ocpizza_bridge::retention::{self, PurgeReport};
use ocpizza_db::testing::TestDb;
use sqlx::MySqlPool;

/// Stores an event exactly as a webhook does (inbox row + one pending delivery per destination), then moves it
/// `days_ago` into the past with UPDATE.
async fn event(pool: &MySqlPool, webhook_id: &str, days_ago: u32, destinations: &[&'static str]) -> i64 {
    let order = 9000 + i64::from(days_ago);
    let body = status_changed(order, "received", "accepted");
    let (env, ev) = ingest::parse_body(&body).unwrap();
    let mut tx = pool.begin().await.unwrap();
    let stored = ingest::store(&mut tx, webhook_id, &body, &env, &ev, destinations, Via::Webhook).await.unwrap();
    tx.commit().await.unwrap();
    let Stored::Accepted { inbox_id, .. } = stored else { panic!("{webhook_id} stored twice") };
    sqlx::query("UPDATE inbox SET received_at = NOW(6) - INTERVAL ? DAY WHERE id = ?")
        .bind(days_ago)
        .bind(inbox_id)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE deliveries SET created_at = NOW(6) - INTERVAL ? DAY, next_attempt_at = NOW(6) - INTERVAL ? DAY \
         WHERE inbox_id = ?",
    )
    .bind(days_ago)
    .bind(days_ago)
    .bind(inbox_id)
    .execute(pool)
    .await
    .unwrap();
    inbox_id
}

/// How the relay left a delivery.
#[derive(Clone, Copy)]
enum Left {
    /// Finished that many days ago.
    Done(u32),
    Dead(u32),
    /// Under a live lease of another process.
    Inflight,
    /// Waiting for its next retry.
    Pending,
}

async fn set(pool: &MySqlPool, inbox_id: i64, destination: &str, left: Left) {
    let (sql, days_ago) = match left {
        Left::Done(d) => {
            ("status = 'done', attempt = 1, result = '{}', finished_at = NOW(6) - INTERVAL ? DAY", Some(d))
        }
        Left::Dead(d) => {
            ("status = 'dead', attempt = 12, last_error = 'HTTP 422', finished_at = NOW(6) - INTERVAL ? DAY", Some(d))
        }
        Left::Inflight => (
            "status = 'inflight', attempt = 1, lease_owner = 'other-process', lease_until = NOW(6) + INTERVAL 1 MINUTE",
            None,
        ),
        Left::Pending => (
            "status = 'pending', attempt = 3, last_error = 'HTTP 503', next_attempt_at = NOW(6) + INTERVAL 1 HOUR",
            None,
        ),
    };
    let sql = format!("UPDATE deliveries SET {sql} WHERE inbox_id = ? AND destination = ?");
    let mut q = sqlx::query(&sql);
    if let Some(d) = days_ago {
        q = q.bind(d);
    }
    let res = q.bind(inbox_id).bind(destination).execute(pool).await.unwrap();
    assert_eq!(res.rows_affected(), 1, "{inbox_id} {destination}");
}

/// An event with one delivery to `destination`, received and delivered `days_ago`.
async fn delivered(pool: &MySqlPool, webhook_id: &str, days_ago: u32, destination: &'static str) -> i64 {
    let id = event(pool, webhook_id, days_ago, &[destination]).await;
    set(pool, id, destination, Left::Done(days_ago)).await;
    id
}

/// An outbox row for the event, published or not.
async fn outbox(pool: &MySqlPool, event_id: &str, published: bool) {
    sqlx::query(
        "INSERT INTO outbox (event_id, event_type, payload, published_at) \
         VALUES (?, 'order.status_changed', '{}', IF(?, NOW(6), NULL))",
    )
    .bind(event_id)
    .bind(published)
    .execute(pool)
    .await
    .unwrap();
}

async fn inbox_ids(pool: &MySqlPool) -> BTreeSet<String> {
    sqlx::query_scalar::<_, String>("SELECT CONVERT(webhook_id USING utf8mb4) FROM inbox")
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

async fn deliveries(pool: &MySqlPool) -> BTreeSet<(String, String, String)> {
    sqlx::query_as::<_, (String, String, String)>(
        "SELECT CONVERT(i.webhook_id USING utf8mb4), CONVERT(d.destination USING utf8mb4), d.status \
         FROM deliveries d JOIN inbox i ON i.id = d.inbox_id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

fn set_of<const N: usize>(items: [&str; N]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn rows<const N: usize>(items: [(&str, &str, &str); N]) -> BTreeSet<(String, String, String)> {
    items.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_done_rows_go_and_everything_still_needed_stays() {
    let db = TestDb::new().await;
    let pool = &db.pool;
    // Oldest first.
    delivered(pool, "old-done", 120, "sink").await;
    event(pool, "old-no-destination", 119, &[]).await;
    let id = event(pool, "old-pending", 118, &["sink"]).await;
    set(pool, id, "sink", Left::Pending).await;
    let id = event(pool, "old-inflight", 117, &["sink"]).await;
    set(pool, id, "sink", Left::Inflight).await;
    let id = event(pool, "old-dead", 116, &["sink"]).await;
    set(pool, id, "sink", Left::Dead(116)).await;
    let id = event(pool, "old-half-dead", 115, &["sink", "apns"]).await;
    set(pool, id, "sink", Left::Done(115)).await;
    set(pool, id, "apns", Left::Dead(100)).await;
    event(pool, "old-unpublished", 114, &[]).await;
    outbox(pool, "old-unpublished", false).await;
    event(pool, "old-published", 113, &[]).await;
    outbox(pool, "old-published", true).await;
    let id = event(pool, "old-replayed-lately", 100, &["sink"]).await;
    set(pool, id, "sink", Left::Done(10)).await;
    delivered(pool, "recent-done", 10, "sink").await;
    event(pool, "recent-no-destination", 5, &[]).await;
    // Ids need not follow time (an import, a restore): an old row after recent ones goes too.
    delivered(pool, "old-after-recent", 150, "sink").await;

    let report = retention::purge(pool, retention::days(90), retention::DEFAULT_BATCH).await.unwrap();
    assert_eq!(report, PurgeReport { deliveries: 3, push_sends: 0, inbox: 4 });
    assert_eq!(
        inbox_ids(pool).await,
        set_of([
            "old-pending",
            "old-inflight",
            "old-dead",
            "old-half-dead",
            "old-unpublished",
            "old-replayed-lately",
            "recent-done",
            "recent-no-destination",
        ])
    );
    assert_eq!(
        deliveries(pool).await,
        rows([
            ("old-pending", "sink", "pending"),
            ("old-inflight", "sink", "inflight"),
            ("old-dead", "sink", "dead"),
            ("old-half-dead", "apns", "dead"),
            ("old-replayed-lately", "sink", "done"),
            ("recent-done", "sink", "done"),
        ])
    );
    // Nothing left to do: a second run deletes nothing.
    let again = retention::purge(pool, retention::days(90), retention::DEFAULT_BATCH).await.unwrap();
    assert!(again.is_empty(), "{again:?}");

    // Once the dead delivery is replayed and done, the rest of its event goes too.
    let (inbox_id,): (i64,) =
        sqlx::query_as("SELECT id FROM inbox WHERE webhook_id = 'old-half-dead'").fetch_one(pool).await.unwrap();
    set(pool, inbox_id, "apns", Left::Done(95)).await;
    let report = retention::purge(pool, retention::days(90), retention::DEFAULT_BATCH).await.unwrap();
    assert_eq!(report, PurgeReport { deliveries: 1, push_sends: 0, inbox: 1 });
    assert!(!inbox_ids(pool).await.contains("old-half-dead"));
}

/// An APNs send record (one per delivery and device) for the apns delivery of `inbox_id`, last updated `days_ago`.
async fn push_send(pool: &MySqlPool, inbox_id: i64, device_id: i64, status: &str, days_ago: u32) {
    sqlx::query(
        "INSERT INTO push_sends (delivery_id, device_id, status, attempts, apns_id, created_at, updated_at) \
         SELECT id, ?, ?, 1, IF(? = 'sent', UUID(), NULL), NOW(6) - INTERVAL ? DAY, NOW(6) - INTERVAL ? DAY \
         FROM deliveries WHERE inbox_id = ? AND destination = 'apns'",
    )
    .bind(device_id)
    .bind(status)
    .bind(status)
    .bind(days_ago)
    .bind(days_ago)
    .bind(inbox_id)
    .execute(pool)
    .await
    .unwrap();
}

async fn push_sends(pool: &MySqlPool) -> BTreeSet<(String, i64)> {
    sqlx::query_as::<_, (String, i64)>(
        "SELECT CONVERT(i.webhook_id USING utf8mb4), s.device_id FROM push_sends s \
         LEFT JOIN deliveries d ON d.id = s.delivery_id LEFT JOIN inbox i ON i.id = d.inbox_id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apns_send_records_go_with_their_delivery_only() {
    let db = TestDb::new().await;
    let pool = &db.pool;
    restaurant(pool, "GERLAND").await;
    let rid: i64 = sqlx::query_scalar("SELECT id FROM restaurants WHERE code = 'GERLAND'").fetch_one(pool).await.unwrap();
    let mut devices = Vec::new();
    for n in 0..2 {
        let token = format!("{:064x}", n + 1);
        let r = sqlx::query("INSERT INTO devices (token, environment, restaurant_id, role) VALUES (?, 'production', ?, 'driver')")
            .bind(token)
            .bind(rid)
            .execute(pool)
            .await
            .unwrap();
        devices.push(r.last_insert_id() as i64);
    }
    // Delivered long ago: the delivery and both its send records go.
    let id = delivered(pool, "push-old-done", 120, "apns").await;
    push_send(pool, id, devices[0], "sent", 120).await;
    push_send(pool, id, devices[1], "unregistered", 120).await;
    // Dead long ago (a device's push still pending): kept, a replay must not re-send to the device that got it.
    let id = event(pool, "push-old-dead", 110, &["apns"]).await;
    set(pool, id, "apns", Left::Dead(110)).await;
    push_send(pool, id, devices[0], "sent", 110).await;
    push_send(pool, id, devices[1], "pending", 110).await;
    // Delivered lately: kept.
    let id = delivered(pool, "push-recent-done", 5, "apns").await;
    push_send(pool, id, devices[0], "sent", 5).await;

    let report = retention::purge(pool, retention::days(90), 1).await.unwrap();
    assert_eq!(report, PurgeReport { deliveries: 1, push_sends: 2, inbox: 1 });
    assert_eq!(
        push_sends(pool).await,
        [("push-old-dead", devices[0]), ("push-old-dead", devices[1]), ("push-recent-done", devices[0])]
            .into_iter()
            .map(|(w, d)| (w.to_string(), d))
            .collect()
    );

    // A record whose delivery row vanished lately (deleted by hand, say) waits until it is old itself.
    let id = event(pool, "push-orphan", 1, &["apns"]).await;
    push_send(pool, id, devices[1], "sent", 1).await;
    sqlx::query("DELETE FROM deliveries WHERE inbox_id = ?").bind(id).execute(pool).await.unwrap();
    let again = retention::purge(pool, retention::days(90), retention::DEFAULT_BATCH).await.unwrap();
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(count(pool, "SELECT COUNT(*) FROM push_sends").await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_smaller_than_the_row_count_still_purge_everything() {
    let db = TestDb::new().await;
    let pool = &db.pool;
    let mut kept = BTreeSet::new();
    for n in 0..30u32 {
        let webhook_id = format!("batch-{n:02}");
        let id = event(pool, &webhook_id, 200 - n, &["sink", "apns"]).await;
        set(pool, id, "sink", Left::Done(200 - n)).await;
        // Every 7th event has a dead delivery: it stays, between rows that go, and the walk must pass it.
        if n % 7 == 3 {
            set(pool, id, "apns", Left::Dead(200 - n)).await;
            kept.insert(webhook_id);
        } else {
            set(pool, id, "apns", Left::Done(200 - n)).await;
        }
        if n % 6 == 0 {
            event(pool, &format!("batch-{n:02}-no-destination"), 200 - n, &[]).await;
        }
    }
    let report = retention::purge(pool, retention::days(90), 4).await.unwrap();
    // 30 events × 2 deliveries, less the 4 dead; 30 events less the 4 kept, plus 5 without a destination.
    assert_eq!(report, PurgeReport { deliveries: 56, push_sends: 0, inbox: 31 });
    assert_eq!(inbox_ids(pool).await, kept);
    assert_eq!(count(pool, "SELECT COUNT(*) FROM deliveries WHERE status = 'dead'").await, 4);
    assert_eq!(count(pool, "SELECT COUNT(*) FROM deliveries").await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_purges_at_start_up_unless_retention_is_zero() {
    let db = TestDb::new().await;
    let pool = &db.pool;
    for (webhook_id, days) in [("serve-old-1", 60), ("serve-old-2", 50), ("serve-recent", 3)] {
        delivered(pool, webhook_id, days, "sink").await;
    }

    // Retention off: nothing goes (the purge would run at once if it were on).
    let app = spawn_app(config(&[("OCPIZZA_RETENTION_DAYS", "0")]), pool.clone(), Vec::new(), &[]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.shutdown().await;
    assert_eq!(inbox_ids(pool).await.len(), 3);

    let app = spawn_app(config(&[("OCPIZZA_RETENTION_DAYS", "30")]), pool.clone(), Vec::new(), &[]).await.unwrap();
    let purged = eventually(Duration::from_secs(20), || async {
        (inbox_ids(pool).await == set_of(["serve-recent"])).then_some(())
    })
    .await;
    assert!(purged.is_some(), "left: {:?}", inbox_ids(pool).await);
    assert_eq!(deliveries(pool).await, rows([("serve-recent", "sink", "done")]));
    let metrics = reqwest::get(format!("http://{}/metrics", app.addr)).await.unwrap().text().await.unwrap();
    for line in ["ocpizza_purged_total{table=\"deliveries\"} 2", "ocpizza_purged_total{table=\"inbox\"} 2"] {
        assert!(metrics.lines().any(|l| l == line), "{line} not in:\n{metrics}");
    }
    app.shutdown().await;
}

/// `ocpizza-bridge purge` run as a binary against the test database.
fn purge_cli(db_url: &str, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ocpizza-bridge"));
    cmd.arg("purge").args(args).env("OCPIZZA_DATABASE_URL", db_url);
    cmd.env_remove("OCPIZZA_CONFIG").env_remove("OCPIZZA_RETENTION_DAYS").env_remove("OCPIZZA_WEBHOOK_TOLERANCE_SECS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("binary runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_purge_command_uses_the_retention_or_the_age_given() {
    let db = TestDb::new().await;
    let pool = &db.pool;
    for (webhook_id, days) in [("cli-100", 100), ("cli-40", 40), ("cli-5", 5)] {
        delivered(pool, webhook_id, days, "dolibarr").await;
    }
    let url = db.url.clone();
    let run = |args: &'static [&'static str], env: &'static [(&'static str, &'static str)]| {
        let url = url.clone();
        async move { tokio::task::spawn_blocking(move || purge_cli(&url, args, env)).await.unwrap() }
    };

    // Retention configured as 0 = keep everything: refused, nothing deleted.
    let out = run(&[], &[("OCPIZZA_RETENTION_DAYS", "0")]).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("OCPIZZA_RETENTION_DAYS is 0"), "{err}");
    assert_eq!(inbox_ids(pool).await.len(), 3);

    // Default: the configured retention, 90 days.
    let out = run(&[], &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "Older than 90 days: deleted 1 done delivery row(s), 0 APNs send record(s) and 1 inbox row(s)."
    );
    assert_eq!(inbox_ids(pool).await, set_of(["cli-40", "cli-5"]));

    let out = run(&["--older-than-days", "30"], &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Older than 30 days: deleted 1 done"));
    assert_eq!(inbox_ids(pool).await, set_of(["cli-5"]));
    assert_eq!(deliveries(pool).await, rows([("cli-5", "dolibarr", "done")]));
}
