//! A staff status change chosen as a deadlock victim is run once more (issue 12): InnoDB rolled it back whole, so
//! the retry writes the change exactly once and the phone gets 200, not a 500 for someone else's locks.

mod common;
mod staff_support;

use std::time::Duration;

use common::config;
use serde_json::json;
use sqlx::Executor;
use staff_support::*;

async fn count(pool: &sqlx::MySqlPool, sql: &str) -> i64 {
    sqlx::query_as::<_, (i64,)>(sql).fetch_one(pool).await.unwrap().0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_change_that_loses_a_deadlock_is_retried_once() {
    let s = start(config(&[]), Vec::new()).await;
    let reference = record(&s.db.pool, 12, "delivery", "cash_on_delivery", 1).await;
    advance(&s.db.pool, 12, &["accepted", "in_preparation"]).await;
    let luca = s.session("luca.b").await;
    let (restaurant_id,): (i64,) =
        sqlx::query_as("SELECT restaurant_id FROM orders WHERE shop_order_id = 12").fetch_one(&s.db.pool).await.unwrap();
    s.db.pool.execute("CREATE TABLE scratch (id INT AUTO_INCREMENT PRIMARY KEY, pad CHAR(100) NOT NULL)").await.unwrap();

    // Another transaction: heavy (InnoDB rolls back the lighter of two deadlocked transactions), holding the
    // restaurant's change counter that the staff change takes last.
    let mut other = s.db.pool.begin().await.unwrap();
    other
        .execute("INSERT INTO scratch (pad) SELECT 'x' FROM information_schema.columns a, information_schema.columns b LIMIT 3000")
        .await
        .unwrap();
    sqlx::query("SELECT version FROM restaurant_changes WHERE restaurant_id = ? FOR UPDATE")
        .bind(restaurant_id)
        .execute(&mut *other)
        .await
        .unwrap();

    // The pizzaiolo's "ready": locks the order, writes, then waits for the counter.
    let client = s.client.clone();
    let url = s.url(&format!("/v1/orders/{reference}/status"));
    let request = tokio::spawn(async move {
        let r = client.post(url).bearer_auth(luca).json(&json!({"status": "ready"})).send().await.unwrap();
        (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap())
    });
    // (This database's sessions only: the server is shared with other tests. Once the statement runs, the
    // transaction holds the order's lock; whether it is already waiting or about to, the next step deadlocks.)
    let waiting = "SELECT COUNT(*) FROM information_schema.processlist \
                   WHERE db = DATABASE() AND info LIKE 'INSERT INTO restaurant_changes%'";
    while count(&s.db.pool, waiting).await == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The other transaction now wants the order: a deadlock, which the staff change loses (this statement
    // succeeds only once the staff transaction was rolled back).
    sqlx::query("SELECT status FROM orders WHERE shop_order_id = 12 FOR UPDATE").execute(&mut *other).await.unwrap();
    other.commit().await.unwrap();

    let (status, body) = request.await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["changed"].as_bool(), body["status"].as_str()), (Some(true), Some("ready")), "{body}");
    // Written once: one history row, one event, one inbox row.
    let history = "SELECT COUNT(*) FROM order_status_history h JOIN orders o ON o.id = h.order_id \
                   WHERE o.shop_order_id = 12 AND h.to_status = 'ready'";
    assert_eq!(count(&s.db.pool, history).await, 1);
    let events = "SELECT COUNT(*) FROM outbox WHERE shop_order_id = 12 AND event_type = 'order.status_changed' \
                  AND JSON_UNQUOTE(JSON_EXTRACT(payload, '$.data.to')) = 'ready'";
    assert_eq!(count(&s.db.pool, events).await, 1);
    let inbox = "SELECT COUNT(*) FROM inbox WHERE shop_order_id = 12 AND received_via = 'staff'";
    assert_eq!(count(&s.db.pool, inbox).await, 1);
}
