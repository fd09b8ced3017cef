//! The PHP extension runs the store on a current-thread runtime with a pool of one or two connections: no store
//! function may need a second connection while it holds one (that would wait for the pool's acquire timeout).

mod store_fixture;

use std::time::Duration;

use ocpizza_db::connect::{PoolSettings, connect_with};
use ocpizza_db::store;
use serde_json::json;
use store_fixture::*;

#[tokio::test(flavor = "current_thread")]
async fn every_store_function_works_on_a_one_connection_pool() {
    let db = db().await;
    let pool = connect_with(
        &db.url,
        PoolSettings {
            max_connections: 1,
            acquire_timeout: Duration::from_secs(3),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let o = store::record_order(&pool, &order(5001)).await.unwrap();
    assert!(o.created);
    assert_eq!(
        store::record_order(&pool, &order(5001)).await.unwrap().order_id,
        o.order_id
    );
    let mut bad = order(5002);
    bad["lines"][0]["sku"] = json!("NOPE");
    assert_eq!(
        field(store::record_order(&pool, &bad).await.unwrap_err()),
        "lines[0].sku"
    );
    let p = json!({"shop_order_id": 5001, "transaction_key": "k", "amount_cents": 1650, "currency": "EUR",
                   "status": "paid", "raw_status": "CAPTURED"});
    assert!(store::record_payment(&pool, &p).await.unwrap().created);
    assert!(!store::record_payment(&pool, &p).await.unwrap().created);
    let mut wrong = p.clone();
    wrong["transaction_key"] = json!("k2");
    wrong["amount_cents"] = json!(1);
    assert_eq!(
        field(store::record_payment(&pool, &wrong).await.unwrap_err()),
        "amount_cents"
    );
    assert!(store::set_status(&pool, 5001, "accepted", None).await.unwrap());
    assert_eq!(
        field(store::set_status(&pool, 5001, "delivered", None).await.unwrap_err()),
        "status"
    );
    assert_eq!(store::available_products(&pool, "TESTA").await.unwrap().len(), 2);
    assert_eq!(store::restaurants(&pool).await.unwrap().len(), 1);
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let r = store::publish_outbox(
        &pool,
        &format!("http://{closed}"),
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        10,
    )
    .await
    .unwrap();
    assert_eq!(
        (r.published, r.failed, r.pending),
        (0, 1, 3),
        "created, paid, status_changed"
    );
    pool.close().await;
}
