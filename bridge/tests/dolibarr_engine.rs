//! The Dolibarr destination driven by the real relay engine over a real queue: a burst of orders while Dolibarr
//! is down, then back; a business error that goes dead instead of being retried forever.

mod dolibarr_support;

use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use dolibarr_support::*;
use ocpizza_bridge::config::DeliveryConfig;
use ocpizza_bridge::destination::Destination;
use ocpizza_bridge::ingest::{self, Via};
use ocpizza_bridge::relay::Engine;
use ocpizza_core::events::Event;
use ocpizza_core::status::{Fulfilment, OrderStatus};
use ocpizza_e2e::dolibarr::FaultKind;
use tokio::sync::watch;

async fn enqueue(pool: &sqlx::MySqlPool, id: &str, event: &Event) {
    let mut v = serde_json::to_value(event).unwrap();
    v["timestamp"] = serde_json::json!("2026-11-29T18:30:00Z");
    let body = serde_json::to_vec(&v).unwrap();
    let (env, event) = ingest::parse_body(&body).unwrap();
    let mut tx = pool.begin().await.unwrap();
    ingest::store(&mut tx, id, &body, &env, &event, &["dolibarr"], Via::Webhook).await.unwrap();
    tx.commit().await.unwrap();
}

fn fast(max_attempts: u32) -> DeliveryConfig {
    DeliveryConfig {
        max_attempts,
        poll_interval: Duration::from_millis(50),
        backoff_base: Duration::from_millis(50),
        backoff_max: Duration::from_millis(400),
        concurrency: 4,
        ..DeliveryConfig::default()
    }
}

async fn count(pool: &sqlx::MySqlPool, status: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE status = ?").bind(status).fetch_one(pool).await.unwrap()
}

/// Polls until `n` deliveries have `status` (bounded: 600 polls of 50 ms).
async fn wait_for(pool: &sqlx::MySqlPool, status: &str, n: i64) -> bool {
    for _ in 0..600 {
        if count(pool, status).await >= n {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_while_dolibarr_is_down_ends_with_every_order_exactly_once() {
    let env = env().await;
    env.fake.stop().await;
    let orders: Vec<i64> = (4001..=4006).collect();
    for &o in &orders {
        enqueue(&env.db.pool, &format!("evt_{o}_created"), &Event::OrderCreated(created(o, o % 3 + 1))).await;
    }
    for &o in &orders {
        enqueue(&env.db.pool, &format!("evt_{o}_paid"), &Event::OrderPaid(paid(o, 2440))).await;
        let st = status(o, Fulfilment::Delivery, OrderStatus::OutForDelivery, OrderStatus::Delivered);
        enqueue(&env.db.pool, &format!("evt_{o}_delivered"), &Event::OrderStatusChanged(st)).await;
    }
    let dest: Arc<dyn Destination> = Arc::new(env.other_destination());
    let engine = Engine::new(env.db.pool.clone(), vec![dest], fast(1000));
    let (stop, rx) = watch::channel(false);
    let task = tokio::spawn(engine.run(rx));

    // Let every order's first event fail a few times against a closed port, then bring Dolibarr back.
    for _ in 0..600 {
        let retried: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE attempt >= 3")
            .fetch_one(&env.db.pool)
            .await
            .unwrap();
        if retried >= orders.len() as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(count(&env.db.pool, "done").await, 0);
    env.fake.restart().await.unwrap();
    assert!(wait_for(&env.db.pool, "done", 18).await, "all 18 deliveries done");
    let _ = stop.send(true);
    task.await.unwrap();

    assert_eq!(count(&env.db.pool, "dead").await, 0);
    let c = env.fake.counts();
    assert_eq!(
        (c.thirdparties, c.products, c.orders, c.order_lines, c.invoices, c.payments),
        (3, 2, 6, 24, 6, 6),
        "{c:?}"
    );
    for &o in &orders {
        let order = env.only_order(o);
        assert_eq!(order["statut"], "3", "order {o} closed");
        assert_eq!(order["billed"], "1");
    }
    // Each delivery keeps what it did.
    let result: String = sqlx::query_scalar(
        "SELECT d.result FROM deliveries d JOIN inbox i ON i.id = d.inbox_id WHERE i.webhook_id = 'evt_4001_paid'",
    )
    .fetch_one(&env.db.pool)
    .await
    .unwrap();
    let result: serde_json::Value = serde_json::from_str(&result).unwrap();
    assert!(result["invoice_ref"].as_str().unwrap().starts_with("FA"), "{result}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn business_error_goes_dead_at_once_with_its_reason() {
    let env = env().await;
    env.fake.fail_matching(
        Some(Method::POST),
        Some("/thirdparties"),
        100,
        FaultKind::Business { code: "ErrorCustomerCodeAlreadyUsed".into() },
    );
    enqueue(&env.db.pool, "evt_biz", &Event::OrderCreated(created(4100, 1))).await;
    let dest: Arc<dyn Destination> = Arc::new(env.other_destination());
    let engine = Engine::new(env.db.pool.clone(), vec![dest], fast(50));
    let (stop, rx) = watch::channel(false);
    let task = tokio::spawn(engine.run(rx));
    assert!(wait_for(&env.db.pool, "dead", 1).await);
    let _ = stop.send(true);
    task.await.unwrap();
    let (attempt, last_error): (i32, Option<String>) =
        sqlx::query_as("SELECT attempt, last_error FROM deliveries").fetch_one(&env.db.pool).await.unwrap();
    assert_eq!(attempt, 1, "not retried");
    assert!(last_error.unwrap().contains("ErrorCustomerCodeAlreadyUsed"));
    assert_eq!(env.fake.request_count("POST", "/thirdparties"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_that_succeeds_after_a_failure_keeps_no_last_error() {
    let env = env().await;
    env.fake.fail_matching(Some(Method::POST), Some("/thirdparties"), 1, FaultKind::Unavailable { retry_after: None });
    enqueue(&env.db.pool, "evt_flaky_a", &Event::OrderCreated(created(4200, 1))).await;
    env.fake.fail_matching(Some(Method::POST), Some("/thirdparties"), 1, FaultKind::Unavailable { retry_after: None });
    enqueue(&env.db.pool, "evt_flaky_b", &Event::OrderCreated(created(4201, 2))).await;
    // With and without a finish window (successes gathered or recorded at once).
    for window in [Duration::ZERO, Duration::from_millis(20)] {
        sqlx::query("UPDATE deliveries SET status = 'pending', next_attempt_at = NOW(6) WHERE status = 'done'")
            .execute(&env.db.pool)
            .await
            .unwrap();
        let dest: Arc<dyn Destination> = Arc::new(env.other_destination());
        let engine = Engine::new(env.db.pool.clone(), vec![dest], DeliveryConfig { finish_window: window, ..fast(10) });
        let (stop, rx) = watch::channel(false);
        let task = tokio::spawn(engine.run(rx));
        assert!(wait_for(&env.db.pool, "done", 2).await);
        let _ = stop.send(true);
        task.await.unwrap();
        let rows: Vec<(i32, Option<String>)> =
            sqlx::query_as("SELECT attempt, last_error FROM deliveries").fetch_all(&env.db.pool).await.unwrap();
        assert!(rows.iter().all(|(_, e)| e.is_none()), "last_error cleared ({window:?}): {rows:?}");
        if window.is_zero() {
            assert!(rows.iter().all(|(a, _)| *a == 2), "each failed once first: {rows:?}");
        }
        // The second round starts from rows that failed before.
        sqlx::query("UPDATE deliveries SET last_error = 'an earlier failure'").execute(&env.db.pool).await.unwrap();
    }
}
