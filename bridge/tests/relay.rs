//! The relay engine and the admin API on a real MariaDB: retries with backoff, dead letters and replay, order
//! within a partition, two engines on one database, expired leases.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use ocpizza_bridge::app::spawn_app;
use ocpizza_bridge::config::DeliveryConfig;
use ocpizza_bridge::destination::Destination;
use ocpizza_bridge::ingest::{self, Via};
use ocpizza_bridge::relay::Engine;
use ocpizza_db::testing::TestDb;
use tokio::sync::watch;

/// Stores an event directly, as the webhook endpoint would, for tests of the engine alone.
async fn enqueue(pool: &sqlx::MySqlPool, id: &str, body: &[u8], dests: &[&'static str]) {
    let (env, event) = ingest::parse_body(body).unwrap();
    let mut tx = pool.begin().await.unwrap();
    ingest::store(&mut tx, id, body, &env, &event, dests, Via::Webhook).await.unwrap();
    tx.commit().await.unwrap();
}

fn fast(extra: impl FnOnce(&mut DeliveryConfig)) -> DeliveryConfig {
    let mut c = config(&[]).delivery;
    extra(&mut c);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_are_retried_with_backoff_then_done_once() {
    let db = TestDb::new().await;
    let dest = Scripted::new("alpha");
    dest.script("evt_retry", vec![Step::Retry(None), Step::Retry(None), Step::Retry(Some(Duration::from_secs(1)))]);
    let dests: Vec<Arc<dyn Destination>> = vec![dest.clone()];
    let app = spawn_app(config(&[]), db.pool.clone(), dests, &[]).await.unwrap();
    let client = reqwest::Client::new();
    assert_eq!(send(&client, app.addr, "evt_retry", &status_changed(1, "received", "accepted")).await.0, 202);
    assert!(wait_status(&db.pool, "evt_retry", "alpha", "done").await);

    let calls = dest.calls_for("evt_retry");
    assert_eq!(calls.iter().map(|c| c.attempt).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    // base 200 ms doubling with ±20 % jitter: ≥160 ms, ≥320 ms; then Retry-After 1 s is honoured.
    let gap = |i: usize| calls[i + 1].at.duration_since(calls[i].finished);
    assert!(gap(0) >= Duration::from_millis(160), "{:?}", gap(0));
    assert!(gap(1) >= Duration::from_millis(320), "{:?}", gap(1));
    assert!(gap(2) >= Duration::from_millis(1000), "{:?}", gap(2));
    let (attempt, last_error): (i32, Option<String>) =
        sqlx::query_as("SELECT attempt, last_error FROM deliveries").fetch_one(&db.pool).await.unwrap();
    assert_eq!(attempt, 4);
    assert_eq!(last_error, None, "a success clears the error of the attempts before it");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(dest.calls_for("evt_retry").len(), 4, "delivered again after done");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fatal_goes_dead_with_its_error_and_admin_replay_delivers_it() {
    let db = TestDb::new().await;
    let dest = Scripted::new("alpha");
    dest.script("evt_fatal", vec![Step::Fatal]);
    dest.script("evt_exhaust", vec![Step::Retry(None), Step::Retry(None), Step::Retry(None)]);
    let dests: Vec<Arc<dyn Destination>> = vec![dest.clone()];
    let app = spawn_app(config(&[("OCPIZZA_DELIVERY_MAX_ATTEMPTS", "2")]), db.pool.clone(), dests, &[]).await.unwrap();
    let client = reqwest::Client::new();
    send(&client, app.addr, "evt_fatal", &status_changed(2, "received", "accepted")).await;
    send(&client, app.addr, "evt_exhaust", &status_changed(3, "received", "accepted")).await;
    assert!(wait_status(&db.pool, "evt_fatal", "alpha", "dead").await);
    assert!(wait_status(&db.pool, "evt_exhaust", "alpha", "dead").await);
    assert_eq!(dest.calls_for("evt_fatal").len(), 1, "a fatal error is not retried");
    assert_eq!(dest.calls_for("evt_exhaust").len(), 2, "dead after max attempts");

    let base = format!("http://{}", app.addr);
    // Auth: no token, wrong token.
    let r = client.get(format!("{base}/admin/deliveries")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = client.get(format!("{base}/admin/deliveries")).bearer_auth("admin-token-0123456780").send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = client.get(format!("{base}/admin/deliveries?status=bogus")).bearer_auth(ADMIN).send().await.unwrap();
    assert_eq!(r.status(), 400);

    let list: serde_json::Value = client
        .get(format!("{base}/admin/deliveries?status=dead&destination=alpha&limit=10"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["count"], 2, "{list}");
    let fatal = list["deliveries"].as_array().unwrap().iter().find(|d| d["webhook_id"] == "evt_fatal").unwrap();
    assert_eq!(fatal["last_error"], "scripted fatal: refused");
    assert_eq!(fatal["event_type"], "order.status_changed");
    let exhausted = list["deliveries"].as_array().unwrap().iter().find(|d| d["webhook_id"] == "evt_exhaust").unwrap();
    assert!(exhausted["last_error"].as_str().unwrap().contains("gave up after 2 attempts"), "{exhausted}");

    // Replay one: a done one is refused (409), an unknown id is 404, the dead one runs again and is done.
    let id = fatal["id"].as_i64().unwrap();
    let r = client.post(format!("{base}/admin/deliveries/{id}/replay")).bearer_auth(ADMIN).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(wait_status(&db.pool, "evt_fatal", "alpha", "done").await);
    let r = client.post(format!("{base}/admin/deliveries/{id}/replay")).bearer_auth(ADMIN).send().await.unwrap();
    assert_eq!(r.status(), 409);
    let r = client.post(format!("{base}/admin/deliveries/999999/replay")).bearer_auth(ADMIN).send().await.unwrap();
    assert_eq!(r.status(), 404);

    // Replay all dead of a destination.
    let r = client.post(format!("{base}/admin/deliveries/replay")).bearer_auth(ADMIN).send().await.unwrap();
    assert_eq!(r.status(), 400, "destination is required");
    let r: serde_json::Value = client
        .post(format!("{base}/admin/deliveries/replay?destination=alpha"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["replayed"], 1);
    // Its script still has one failure left, then it succeeds on the second attempt of the replay.
    assert!(wait_status(&db.pool, "evt_exhaust", "alpha", "done").await);
    assert_eq!(dest.calls_for("evt_fatal").len(), 2);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_of_one_order_reach_a_destination_in_order_and_dead_does_not_block() {
    let db = TestDb::new().await;
    // Slow destination, many workers: without the partition rule the five events of order 5 would overlap.
    let dest = Scripted::with_delay("alpha", Duration::from_millis(30));
    dest.script("o5_e1", vec![Step::Retry(None)]);
    dest.script("o6_e1", vec![Step::Fatal]);
    let ids: Vec<String> = (1..=5).map(|i| format!("o5_e{i}")).collect();
    for id in &ids {
        enqueue(&db.pool, id, &status_changed(5, "received", "accepted"), &["alpha"]).await;
    }
    enqueue(&db.pool, "o6_e1", &status_changed(6, "received", "accepted"), &["alpha"]).await;
    enqueue(&db.pool, "o6_e2", &status_changed(6, "accepted", "in_preparation"), &["alpha"]).await;
    let (tx, rx) = watch::channel(false);
    let engine = Engine::new(db.pool.clone(), vec![dest.clone()], fast(|c| c.concurrency = 8));
    let h = tokio::spawn(engine.run(rx));
    for id in &ids {
        assert!(wait_status(&db.pool, id, "alpha", "done").await, "{id}");
    }
    assert!(wait_status(&db.pool, "o6_e2", "alpha", "done").await, "a dead event must not block the next one");
    assert_eq!(delivery_status(&db.pool, "o6_e1", "alpha").await.as_deref(), Some("dead"));
    tx.send(true).unwrap();
    h.await.unwrap();

    let calls = dest.calls.lock().unwrap().clone();
    let order5: Vec<&Call> = calls.iter().filter(|c| c.webhook_id.starts_with("o5_")).collect();
    // e1 failed once and was retried before e2 was ever tried.
    let seq: Vec<&str> = order5.iter().map(|c| c.webhook_id.as_str()).collect();
    assert_eq!(seq, vec!["o5_e1", "o5_e1", "o5_e2", "o5_e3", "o5_e4", "o5_e5"]);
    for w in order5.windows(2) {
        assert!(w[1].at >= w[0].finished, "overlapping deliveries within one order: {w:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_engines_on_one_database_never_deliver_a_row_twice() {
    let db = TestDb::new().await;
    let n = 120;
    for i in 0..n {
        // 40 orders of 3 events: ordering and exclusivity at once.
        enqueue(&db.pool, &format!("two_{i}"), &status_changed(1000 + (i % 40), "received", "accepted"), &["alpha"])
            .await;
    }
    let dest = Scripted::with_delay("alpha", Duration::from_millis(3));
    let (tx, rx) = watch::channel(false);
    let e1 = Engine::new(db.pool.clone(), vec![dest.clone()], fast(|c| c.concurrency = 6));
    let e2 = Engine::new(db.pool.clone(), vec![dest.clone()], fast(|c| c.concurrency = 6));
    assert_ne!(e1.owner(), e2.owner());
    let h1 = tokio::spawn(e1.run(rx.clone()));
    let h2 = tokio::spawn(e2.run(rx));
    let done = eventually(Duration::from_secs(60), || async {
        (count(&db.pool, "SELECT COUNT(*) FROM deliveries WHERE status = 'done'").await == n).then_some(())
    })
    .await;
    tx.send(true).unwrap();
    h1.await.unwrap();
    h2.await.unwrap();
    assert!(done.is_some(), "not all delivered");
    let calls = dest.calls.lock().unwrap().clone();
    assert_eq!(calls.len() as i64, n, "some row was delivered twice");
    assert_eq!(dest.overlaps.load(std::sync::atomic::Ordering::SeqCst), 0);
    // Each order's three events in id order.
    for order in 0..40 {
        let seen: Vec<usize> = calls
            .iter()
            .filter_map(|c| c.webhook_id.strip_prefix("two_").and_then(|s| s.parse::<usize>().ok()))
            .filter(|i| (i % 40) as i64 == order)
            .collect();
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted, "order {order} out of sequence");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_lease_is_reaped_and_delivered_and_a_late_finish_is_ignored() {
    let db = TestDb::new().await;
    enqueue(&db.pool, "evt_lease", &status_changed(77, "received", "accepted"), &["alpha"]).await;
    // A worker that claimed the row and died: lease already expired.
    let claimed =
        ocpizza_bridge::queue::claim(&db.pool, "dead-worker", &["alpha"], 10, Duration::from_millis(1)).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].attempt, 1);
    tokio::time::sleep(Duration::from_millis(20)).await;

    let dest = Scripted::new("alpha");
    let (tx, rx) = watch::channel(false);
    let engine = Engine::new(db.pool.clone(), vec![dest.clone()], fast(|_| {}));
    let h = tokio::spawn(engine.run(rx));
    assert!(wait_status(&db.pool, "evt_lease", "alpha", "done").await);
    tx.send(true).unwrap();
    h.await.unwrap();
    let calls = dest.calls_for("evt_lease");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].attempt, 2, "the dead worker's attempt counts");

    // The dead worker comes back and tries to record a failure: ignored, the row stays done.
    let applied = ocpizza_bridge::queue::finish(
        &db.pool,
        "dead-worker",
        &claimed[0],
        &ocpizza_bridge::queue::Finish::Dead { error: "late".into() },
    )
    .await
    .unwrap();
    assert!(!applied);
    assert_eq!(delivery_status(&db.pool, "evt_lease", "alpha").await.as_deref(), Some("done"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_releases_what_it_cannot_finish() {
    let db = TestDb::new().await;
    enqueue(&db.pool, "evt_slow", &status_changed(88, "received", "accepted"), &["alpha"]).await;
    let dest = Scripted::new("alpha");
    dest.script("evt_slow", vec![Step::Slow(Duration::from_secs(30))]);
    let (tx, rx) = watch::channel(false);
    let engine =
        Engine::new(db.pool.clone(), vec![dest.clone()], fast(|c| c.shutdown_grace = Duration::from_millis(200)));
    let h = tokio::spawn(engine.run(rx));
    assert!(wait_status(&db.pool, "evt_slow", "alpha", "inflight").await);
    tx.send(true).unwrap();
    h.await.unwrap();
    let (status, attempt, owner): (String, i32, Option<String>) =
        sqlx::query_as("SELECT status, attempt, CONVERT(lease_owner USING utf8mb4) FROM deliveries")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), attempt, owner), ("pending", 0, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fast_lane_keeps_order_and_exclusivity_under_concurrent_webhooks() {
    let db = TestDb::new().await;
    let dest = Scripted::with_delay("alpha", Duration::from_millis(5));
    let dests: Vec<Arc<dyn Destination>> = vec![dest.clone()];
    let app = spawn_app(config(&[("OCPIZZA_DELIVERY_CONCURRENCY", "16")]), db.pool.clone(), dests, &[]).await.unwrap();
    let client = reqwest::Client::new();
    // 8 senders, each sending 6 events one after the other; two senders share each of 4 orders, so one order
    // also receives events at the same instant.
    let mut senders = Vec::new();
    for w in 0..8i64 {
        let (client, addr) = (client.clone(), app.addr);
        senders.push(tokio::spawn(async move {
            for k in 0..6 {
                let id = format!("fl_{w}_{k}");
                let (status, _) = send(&client, addr, &id, &status_changed(900 + w % 4, "received", "accepted")).await;
                assert_eq!(status, 202);
            }
        }));
    }
    for s in senders {
        s.await.unwrap();
    }
    let all = eventually(Duration::from_secs(30), || async {
        (count(&db.pool, "SELECT COUNT(*) FROM deliveries WHERE status = 'done'").await == 48).then_some(())
    })
    .await;
    app.shutdown().await;
    assert!(all.is_some(), "not all delivered");
    let calls = dest.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 48, "a delivery ran twice");
    for order in 0..4i64 {
        let mine: Vec<&Call> = calls
            .iter()
            .filter(|c| {
                let w: i64 = c.webhook_id.split('_').nth(1).unwrap().parse().unwrap();
                w % 4 == order
            })
            .collect();
        assert_eq!(mine.len(), 12);
        // One at a time within an order.
        for w in mine.windows(2) {
            assert!(w[1].at >= w[0].finished, "overlap in order {order}: {w:?}");
        }
    }
    // Events a sender sent one after the other arrive in that order.
    for w in 0..8 {
        let ks: Vec<usize> = calls
            .iter()
            .filter_map(|c| c.webhook_id.strip_prefix(&format!("fl_{w}_")).map(|k| k.parse().unwrap()))
            .collect();
        assert_eq!(ks, (0..6).collect::<Vec<_>>(), "sender {w}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fast_lane_holds_an_order_back_per_destination_only() {
    let db = TestDb::new().await;
    // alpha takes its time over the order's first event; beta must not wait for alpha to deliver the second.
    let (alpha, beta) = (Scripted::new("alpha"), Scripted::new("beta"));
    alpha.script("pd_1", vec![Step::Slow(Duration::from_secs(3))]);
    let dests: Vec<Arc<dyn Destination>> = vec![alpha.clone(), beta.clone()];
    let app = spawn_app(config(&[]), db.pool.clone(), dests, &[]).await.unwrap();
    let client = reqwest::Client::new();
    assert_eq!(send(&client, app.addr, "pd_1", &status_changed(77, "received", "accepted")).await.0, 202);
    assert_eq!(send(&client, app.addr, "pd_2", &status_changed(77, "accepted", "in_preparation")).await.0, 202);
    for (id, dest) in [("pd_1", "alpha"), ("pd_2", "alpha"), ("pd_1", "beta"), ("pd_2", "beta")] {
        assert!(wait_status(&db.pool, id, dest, "done").await, "{id} to {dest}");
    }
    app.shutdown().await;
    let (a1, a2) = (&alpha.calls_for("pd_1")[0], &alpha.calls_for("pd_2")[0]);
    let (b1, b2) = (&beta.calls_for("pd_1")[0], &beta.calls_for("pd_2")[0]);
    assert!(a2.at >= a1.finished, "alpha got the order's events concurrently");
    assert!(b2.at >= b1.finished, "beta got the order's events concurrently");
    assert!(b2.finished < a1.finished, "beta's second event waited for alpha's first");
    assert_eq!((alpha.calls.lock().unwrap().len(), beta.calls.lock().unwrap().len()), (2, 2));
}
