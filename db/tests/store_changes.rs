//! The staff app's change counter (migration 20261207000030): every store write that changes what the staff
//! lists show bumps the restaurant's version by one in its own transaction and stamps the order with it; a write
//! that writes nothing, or a refund (not shown), leaves it; concurrent writers never share a version.

mod store_fixture;

use ocpizza_db::store;
use serde_json::json;
use sqlx::MySqlPool;
use store_fixture::*;

/// (restaurant version, the order's change_seq)
async fn versions(pool: &MySqlPool, shop_order_id: i64) -> (i64, i64) {
    sqlx::query_as(
        "SELECT COALESCE(c.version, 0), o.change_seq FROM orders o \
         LEFT JOIN restaurant_changes c ON c.restaurant_id = o.restaurant_id WHERE o.shop_order_id = ?",
    )
    .bind(shop_order_id)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn each_write_the_lists_show_bumps_the_version_once_and_nothing_else_does() {
    let db = db().await;
    let pool = &db.pool;
    store::record_order(pool, &order(5001)).await.unwrap();
    assert_eq!(versions(pool, 5001).await, (1, 1), "a new order");
    store::record_order(pool, &order(5001)).await.unwrap();
    assert_eq!(versions(pool, 5001).await, (1, 1), "a replayed order writes nothing");

    assert!(store::set_status(pool, 5001, "accepted", None).await.unwrap());
    assert_eq!(versions(pool, 5001).await, (2, 2), "a status change");
    assert!(!store::set_status(pool, 5001, "accepted", None).await.unwrap());
    assert!(store::set_status(pool, 5001, "delivered", None).await.is_err());
    assert_eq!(versions(pool, 5001).await, (2, 2), "the same status, a refused one");

    let pay = json!({"shop_order_id": 5001, "provider": "sogecommerce", "transaction_key": "chg-pay",
                     "amount_cents": 1650, "currency": "EUR", "status": "paid", "raw_status": "CAPTURED",
                     "occurred_at": "2026-11-29T18:31:00Z"});
    store::record_payment(pool, &pay).await.unwrap();
    assert_eq!(versions(pool, 5001).await, (3, 3), "a payment");
    store::record_payment(pool, &pay).await.unwrap();
    assert_eq!(versions(pool, 5001).await, (3, 3), "a replayed payment");

    // Another order of the restaurant moves the version, not this order's change_seq.
    store::record_order(pool, &order(5002)).await.unwrap();
    assert_eq!(versions(pool, 5001).await, (4, 3));
    assert_eq!(versions(pool, 5002).await, (4, 4));

    store::record_refund(
        pool,
        &json!({"shop_order_id": 5001, "transaction_key": "chg-rf", "amount_cents": 500, "currency": "EUR",
                "reason": "pizza froide", "source": "shop", "occurred_at": "2026-11-29T20:00:00Z"}),
    )
    .await
    .unwrap();
    assert_eq!(versions(pool, 5001).await, (4, 3), "a refund is not shown in the staff lists");
}

#[tokio::test]
async fn concurrent_writers_of_one_restaurant_get_distinct_versions() {
    let db = db().await;
    let n = 8;
    let next = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(6000));
    let results = race(&db.url, n, move |pool| {
        // Each task its own order: they share only the restaurant's counter row.
        let id = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        async move { store::record_order(&pool, &order(id)).await.map(|_| id) }
    })
    .await;
    let ids: Vec<i64> = results.into_iter().map(|r| r.unwrap()).collect();
    let mut seqs = Vec::new();
    for id in &ids {
        seqs.push(versions(&db.pool, *id).await.1);
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=n as i64).collect::<Vec<_>>(), "one version each, none lost");
    assert_eq!(versions(&db.pool, ids[0]).await.0, n as i64);
}
