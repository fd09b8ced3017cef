//! Rows of our own for the store tests (independent of the seed): one open restaurant TESTA, one closed TESTB,
//! two pizzas with recipes, a drink without recipe, a withdrawn pizza.
#![allow(dead_code)]

use ocpizza_db::testing::TestDb;
use serde_json::{Value, json};
use sqlx::MySqlPool;

pub const FIXTURE: &str = r#"
INSERT INTO restaurants (code, name, address_line1, postcode, city, phone, active) VALUES
  ('TESTA', 'Test A', '1 place Test', '69002', 'Lyon', '+33 4 00 00 00 01', TRUE),
  ('TESTB', 'Test B', '2 place Test', '69003', 'Lyon', '+33 4 00 00 00 02', FALSE);
INSERT INTO restaurant_delivery_postcodes (postcode, restaurant_id) VALUES
  ('69002', (SELECT id FROM restaurants WHERE code = 'TESTA')),
  ('69001', (SELECT id FROM restaurants WHERE code = 'TESTA')),
  ('69003', (SELECT id FROM restaurants WHERE code = 'TESTB'));
INSERT INTO ingredients (name, unit) VALUES ('pâte', 'g'), ('sauce tomate', 'ml'), ('mozzarella', 'g'), ('jambon', 'g');
INSERT INTO products (sku, name, kind, price_cents, vat_rate, active) VALUES
  ('PIZZA-T-MARGHERITA', 'Margherita', 'pizza', 1000, 10.00, TRUE),
  ('PIZZA-T-REINE', 'Reine', 'pizza', 1200, 10.00, TRUE),
  ('DRINK-T-COLA', 'Cola 33 cl', 'drink', 300, 5.50, TRUE),
  ('PIZZA-T-OLD', 'Ancienne', 'pizza', 900, 10.00, FALSE);
INSERT INTO recipes (product_id, preparation_steps, bake_minutes, oven_celsius)
  SELECT id, 'Étaler, garnir, cuire.', 8, 300 FROM products WHERE kind = 'pizza';
INSERT INTO recipe_ingredients (product_id, ingredient_id, quantity)
  SELECT p.id, i.id, q.qty FROM (
    SELECT 'PIZZA-T-MARGHERITA' AS sku, 'pâte' AS ing, 250 AS qty UNION ALL
    SELECT 'PIZZA-T-MARGHERITA', 'sauce tomate', 80 UNION ALL
    SELECT 'PIZZA-T-MARGHERITA', 'mozzarella', 120 UNION ALL
    SELECT 'PIZZA-T-REINE', 'pâte', 250 UNION ALL
    SELECT 'PIZZA-T-REINE', 'sauce tomate', 80 UNION ALL
    SELECT 'PIZZA-T-REINE', 'mozzarella', 100 UNION ALL
    SELECT 'PIZZA-T-REINE', 'jambon', 60 UNION ALL
    SELECT 'PIZZA-T-OLD', 'pâte', 250) q
  JOIN products p ON p.sku = q.sku JOIN ingredients i ON i.name = q.ing;
INSERT INTO stock (restaurant_id, ingredient_id, quantity)
  SELECT r.id, i.id, q.qty FROM (
    SELECT 'pâte' AS ing, 5000 AS qty UNION ALL SELECT 'sauce tomate', 2000 UNION ALL SELECT 'mozzarella', 300) q
  JOIN ingredients i ON i.name = q.ing JOIN restaurants r ON r.code = 'TESTA';
"#;

pub async fn db() -> TestDb {
    let db = TestDb::new().await;
    sqlx::raw_sql(FIXTURE).execute(&db.pool).await.expect("fixture loads");
    db
}

/// A delivery order of TESTA: one margherita, one cola, the delivery fee.
pub fn order(shop_order_id: i64) -> Value {
    json!({
        "shop_order_id": shop_order_id,
        "reference": format!("REF{shop_order_id}"),
        "restaurant": "TESTA",
        "placed_at": "2026-11-29T19:30:00+01:00",
        "fulfilment": "delivery",
        "payment_method": "card_online",
        "currency": "EUR",
        "total_cents": 1000 + 300 + 350,
        "customer": {"shop_customer_id": 501, "email": "lea.martin@example.fr", "first_name": "Léa",
                     "last_name": "Martin", "phone": "+33 6 12 34 56 78"},
        "delivery_address": {"line1": "10 rue de la République", "line2": "", "postcode": "69002", "city": "Lyon",
                             "country": "FR"},
        "lines": [
            {"kind": "product", "sku": "PIZZA-T-MARGHERITA", "name": "Margherita", "quantity": 1,
             "unit_price_cents": 1000, "vat_rate": "10.00"},
            {"sku": "DRINK-T-COLA", "name": "Cola", "quantity": 1, "unit_price_cents": 300, "vat_rate": "5.50"},
            {"kind": "delivery", "name": "Livraison", "quantity": 1, "unit_price_cents": 350, "vat_rate": "20.00"}
        ]
    })
}

pub async fn count(pool: &MySqlPool, table: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM `{table}`"))
        .fetch_one(pool)
        .await
        .unwrap();
    n
}

/// Row counts of every table an order write touches, plus the stock levels: equal snapshots = nothing written.
pub async fn snapshot(pool: &MySqlPool) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for t in [
        "customers",
        "customer_addresses",
        "orders",
        "order_lines",
        "order_status_history",
        "stock_movements",
        "payments",
        "outbox",
        "stock",
    ] {
        out.push((t.to_owned(), count(pool, t).await));
    }
    let stock: Vec<(i64, i32)> =
        sqlx::query_as("SELECT ingredient_id, quantity FROM stock ORDER BY restaurant_id, ingredient_id")
            .fetch_all(pool)
            .await
            .unwrap();
    for (i, q) in stock {
        out.push((format!("stock[{i}]"), i64::from(q)));
    }
    out
}

pub async fn stock_of(pool: &MySqlPool, ingredient: &str) -> Option<i32> {
    sqlx::query_as::<_, (i32,)>(
        "SELECT s.quantity FROM stock s JOIN ingredients i ON i.id = s.ingredient_id \
         JOIN restaurants r ON r.id = s.restaurant_id WHERE r.code = 'TESTA' AND i.name = ?",
    )
    .bind(ingredient)
    .fetch_optional(pool)
    .await
    .unwrap()
    .map(|(q,)| q)
}

/// (event_type, payload) of the outbox in insertion order.
pub async fn events(pool: &MySqlPool) -> Vec<(String, Value)> {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT event_type, payload FROM outbox ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap();
    rows.into_iter()
        .map(|(t, p)| (t, serde_json::from_str(&p).unwrap()))
        .collect()
}

pub fn field(err: ocpizza_db::store::StoreError) -> String {
    match err {
        ocpizza_db::store::StoreError::Validation { field, .. } => field,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// Runs `call` from `n` tasks released together by a barrier, on a pool of `n` connections (so that the calls
/// really race inside MariaDB), and returns their results in task order.
#[allow(dead_code)] // each test binary uses its own subset of the fixture
pub async fn race<T, F, Fut>(url: &str, n: usize, call: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(MySqlPool) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let pool = ocpizza_db::connect::connect_with(
        url,
        ocpizza_db::connect::PoolSettings { max_connections: n as u32, ..Default::default() },
    )
    .await
    .unwrap();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let call = std::sync::Arc::new(call);
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (pool, barrier, call) = (pool.clone(), barrier.clone(), call.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                call(pool).await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(n);
    for t in tasks {
        results.push(t.await.expect("task"));
    }
    pool.close().await;
    results
}
