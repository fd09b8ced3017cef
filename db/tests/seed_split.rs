//! Issue 10: `seed` loads the chain's reference data only; the demo customers and orders come with
//! `--demo-orders`, with ids and references a real PrestaShop cannot produce, and neither touches real orders.

use ocpizza_db::seed::{self, DEMO_ID_MIN};
use ocpizza_db::store;
use ocpizza_db::testing::TestDb;
use serde_json::json;

async fn scalar(db: &TestDb, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&db.pool).await.unwrap();
    n
}

/// A real order as the module records it: PrestaShop's order 6 (a shop with its demo data has orders 1–5).
fn real_order() -> serde_json::Value {
    json!({
        "shop_order_id": 6, "reference": "XKBKNABJK", "restaurant": "BELLECOUR",
        "placed_at": "2026-12-01T19:30:00+01:00", "fulfilment": "delivery", "payment_method": "card_online",
        "currency": "EUR", "total_cents": 3120,
        "customer": {"shop_customer_id": 2, "email": "pub@prestashop.com", "first_name": "John", "last_name": "DOE"},
        "delivery_address": {"line1": "1 place Bellecour", "line2": "", "postcode": "69002", "city": "Lyon", "country": "FR"},
        "lines": [
            {"sku": "PIZZA-REINE", "name": "Pizza Reine", "quantity": 2, "unit_price_cents": 1190, "vat_rate": "10.00"},
            {"sku": "DRINK-COLA-33", "name": "Coca-Cola 33 cl", "quantity": 1, "unit_price_cents": 300, "vat_rate": "5.50"},
            {"kind": "delivery", "name": "Livraison", "quantity": 1, "unit_price_cents": 440, "vat_rate": "10.00"}
        ]
    })
}

/// Everything of the orders and customers, to compare before and after a seed.
async fn orders_and_customers(db: &TestDb) -> Vec<String> {
    let rows: Vec<(i64, String, i64, String, i64, String)> = sqlx::query_as(
        "SELECT o.shop_order_id, CAST(o.reference AS CHAR), c.shop_customer_id, c.email, o.total_cents, o.status \
         FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY o.shop_order_id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    rows.into_iter().map(|r| format!("{r:?}")).collect()
}

#[tokio::test]
async fn plain_seed_loads_reference_data_and_no_customer_or_order() {
    let db = TestDb::new().await;
    seed::load(&db.pool).await.unwrap();
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM restaurants").await, 5);
    assert!(scalar(&db, "SELECT COUNT(*) FROM products").await > 0);
    assert!(scalar(&db, "SELECT COUNT(*) FROM stock").await > 0);
    for table in ["customers", "customer_addresses", "orders", "order_lines", "payments", "order_status_history", "outbox"] {
        assert_eq!(scalar(&db, &format!("SELECT COUNT(*) FROM `{table}`")).await, 0, "{table} after a plain seed");
    }
}

#[tokio::test]
async fn demo_orders_use_ids_and_references_prestashop_cannot_produce() {
    let db = TestDb::new().await;
    seed::load_demo_orders(&db.pool).await.unwrap();
    assert!(scalar(&db, "SELECT COUNT(*) FROM orders").await >= 5);
    // PrestaShop's id_order / id_customer are INT(10) UNSIGNED: at most 4294967295.
    assert!(DEMO_ID_MIN > i64::from(u32::MAX));
    assert_eq!(scalar(&db, &format!("SELECT COUNT(*) FROM orders WHERE shop_order_id < {DEMO_ID_MIN}")).await, 0);
    assert_eq!(scalar(&db, &format!("SELECT COUNT(*) FROM customers WHERE shop_customer_id < {DEMO_ID_MIN}")).await, 0);
    // Order::generateReference(): 9 upper-case letters. Every demo reference has a digit and a hyphen.
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM orders WHERE reference REGEXP '^[A-Z]{9}$'").await, 0);
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM orders WHERE reference NOT LIKE 'DEMO-%'").await, 0);
}

#[tokio::test]
async fn seeding_a_database_with_real_orders_changes_none_of_them() {
    let db = TestDb::new().await;
    seed::load(&db.pool).await.unwrap();
    let real = store::record_order(&db.pool, &real_order()).await.unwrap();
    assert!(real.created);
    store::set_status(&db.pool, 6, "accepted", None).await.unwrap();
    let before = orders_and_customers(&db).await;
    let stock_before = scalar(&db, "SELECT CAST(SUM(quantity) AS SIGNED) FROM stock").await;

    seed::load(&db.pool).await.unwrap();
    assert_eq!(orders_and_customers(&db).await, before, "seed again");
    assert_eq!(scalar(&db, "SELECT CAST(SUM(quantity) AS SIGNED) FROM stock").await, stock_before, "stock kept");

    seed::load_demo_orders(&db.pool).await.unwrap();
    let after = orders_and_customers(&db).await;
    assert!(after.len() > before.len(), "demo orders added");
    assert!(before.iter().all(|row| after.contains(row)), "the real order is as it was: {before:?} in {after:?}");

    // The case: the module records order 6 again (a retry) → the same order; a different order 6 → refused.
    let again = store::record_order(&db.pool, &real_order()).await.unwrap();
    assert_eq!((again.order_id, again.created), (real.order_id, false));
    let mut other = real_order();
    other["reference"] = json!("AZERTYUIO");
    assert!(matches!(
        store::record_order(&db.pool, &other).await.unwrap_err(),
        store::StoreError::Validation { field, .. } if field == "shop_order_id"
    ));
}
