//! recordOrder never answers `created = false` for an order that is not the same (issue 10): a shop order id
//! already recorded with another reference, customer, order type or total is refused, naming `shop_order_id`.

mod store_fixture;

use ocpizza_db::store::{self, Recorded, StoreError};
use serde_json::{Value, json};
use store_fixture::*;

fn reason(err: StoreError) -> (String, String) {
    match err {
        StoreError::Validation { field, reason } => (field, reason),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn takeaway(mut o: Value) -> Value {
    o["fulfilment"] = json!("takeaway");
    o["payment_method"] = json!("at_restaurant");
    o.as_object_mut().unwrap().remove("delivery_address");
    o
}

#[tokio::test]
async fn the_same_shop_order_id_for_a_different_order_is_refused_and_writes_nothing() {
    let db = db().await;
    let first = store::record_order(&db.pool, &order(1030)).await.unwrap();
    assert!(first.created);
    let before = snapshot(&db.pool).await;

    let mut other_reference = order(1030);
    other_reference["reference"] = json!("XKBKNABJK");
    let mut other_customer = order(1030);
    other_customer["customer"]["shop_customer_id"] = json!(502);
    let mut other_total = order(1030);
    other_total["lines"][0]["unit_price_cents"] = json!(1470);
    other_total["total_cents"] = json!(1470 + 300 + 350);
    let cases = [
        (other_reference, "reference \"REF1030\", not \"XKBKNABJK\""),
        (other_customer, "customer.shop_customer_id 501, not 502"),
        (takeaway(order(1030)), "fulfilment delivery, not takeaway"),
        (other_total, "total_cents 1650, not 2120"),
    ];
    for (input, difference) in cases {
        let (field, why) = reason(store::record_order(&db.pool, &input).await.unwrap_err());
        assert_eq!(field, "shop_order_id");
        assert!(why.starts_with("1030 is already recorded for a different order"), "{why}");
        assert!(why.contains(difference), "{why} should say {difference}");
    }
    assert_eq!(snapshot(&db.pool).await, before, "nothing written by the refusals");

    // The very same order again is still the idempotent answer.
    let again = store::record_order(&db.pool, &order(1030)).await.unwrap();
    assert_eq!(again, Recorded { order_id: first.order_id, created: false });
}

#[tokio::test]
async fn every_difference_is_named_in_one_refusal() {
    let db = db().await;
    store::record_order(&db.pool, &order(1031)).await.unwrap();
    let mut o = takeaway(order(1031));
    o["reference"] = json!("OTHERREF");
    o["customer"]["shop_customer_id"] = json!(777);
    let (field, why) = reason(store::record_order(&db.pool, &o).await.unwrap_err());
    assert_eq!(field, "shop_order_id");
    for part in ["reference", "customer.shop_customer_id", "fulfilment"] {
        assert!(why.contains(part), "{why} names {part}");
    }
    assert!(!why.contains("total_cents"), "the total is the same: {why}");
}

/// Two processes recording two different orders under one shop order id at once: one is created, the other is
/// refused (the unique key path), never linked to the first.
#[tokio::test]
async fn concurrent_different_orders_with_one_shop_order_id_give_one_order_and_refusals() {
    let db = db().await;
    let results = race(&db.url, 8, |pool| async move {
        let n = rand_suffix();
        let mut o = order(1032);
        o["reference"] = json!(format!("RACE{n}"));
        store::record_order(&pool, &o).await
    })
    .await;
    let created = results.iter().filter(|r| matches!(r, Ok(Recorded { created: true, .. }))).count();
    assert_eq!(created, 1, "{results:?}");
    for r in &results {
        match r {
            Ok(Recorded { created: true, .. }) => {}
            Err(StoreError::Validation { field, .. }) => assert_eq!(field, "shop_order_id"),
            other => panic!("a different order must be refused, got {other:?}"),
        }
    }
    assert_eq!(count(&db.pool, "orders").await, 1);
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}
