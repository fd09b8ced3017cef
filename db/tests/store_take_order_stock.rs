//! recordOrder's last step, `take_order_stock` (migration 20261129000008): the procedure itself, the connection it
//! leaves behind, and the client-side statements used when the procedure cannot be called.

mod store_fixture;

use std::time::Duration;

use ocpizza_db::connect::{PoolSettings, connect_with};
use ocpizza_db::store::{self, StoreError};
use serde_json::json;
use sqlx::{Connection, Executor, MySqlConnection, MySqlPool};
use store_fixture::*;

/// Whether the session has a transaction open (`@@in_transaction`, MariaDB's; the tests run on MariaDB).
async fn in_transaction(conn: &mut MySqlConnection) -> bool {
    let (v,): (i64,) = sqlx::query_as("SELECT CAST(@@in_transaction AS SIGNED)").fetch_one(&mut *conn).await.unwrap();
    v != 0
}

/// A one-connection pool: whatever a call leaves on its connection, the next user of the pool gets.
async fn one_connection_pool(url: &str) -> MySqlPool {
    connect_with(
        url,
        PoolSettings {
            max_connections: 1,
            acquire_timeout: Duration::from_secs(3),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

/// Writes an order row of TESTA with the given (sku, quantity) product lines, inside the caller's transaction,
/// the way recordOrder does before taking the stock; returns (restaurant id, order id).
async fn order_rows(conn: &mut MySqlConnection, shop_order_id: i64, lines: &[(&str, i32)]) -> (i64, i64) {
    let (restaurant,): (i64,) = sqlx::query_as("SELECT id FROM restaurants WHERE code = 'TESTA'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let customer = sqlx::query("INSERT INTO customers (shop_customer_id, email, first_name, last_name) VALUES (?, ?, 'A', 'B')")
        .bind(shop_order_id)
        .bind(format!("c{shop_order_id}@example.fr"))
        .execute(&mut *conn)
        .await
        .unwrap()
        .last_insert_id();
    let order = sqlx::query(
        "INSERT INTO orders (shop_order_id, reference, restaurant_id, customer_id, fulfilment, payment_method, \
         currency, total_cents, status, placed_at) VALUES (?, ?, ?, ?, 'takeaway', 'card_online', 'EUR', 0, \
         'received', '2026-11-29 18:00:00')",
    )
    .bind(shop_order_id)
    .bind(format!("REF{shop_order_id}"))
    .bind(restaurant)
    .bind(customer)
    .execute(&mut *conn)
    .await
    .unwrap()
    .last_insert_id() as i64;
    for (no, (sku, qty)) in lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO order_lines (order_id, line_no, kind, product_id, name, quantity, unit_price_cents, vat_rate) \
             SELECT ?, ?, 'product', id, name, ?, 0, 10.00 FROM products WHERE sku = ?",
        )
        .bind(order)
        .bind(no as i64 + 1)
        .bind(*qty)
        .bind(*sku)
        .execute(&mut *conn)
        .await
        .unwrap();
    }
    (restaurant, order)
}

type ShortRow = (String, String, i64, i64, i64);

async fn call(conn: &mut MySqlConnection, restaurant: i64, order: i64) -> Result<Vec<ShortRow>, sqlx::Error> {
    sqlx::query_as("CALL take_order_stock(?, ?)")
        .bind(restaurant)
        .bind(order)
        .fetch_all(&mut *conn)
        .await
}

#[tokio::test]
async fn with_nothing_short_the_procedure_takes_the_stock_and_commits() {
    let db = db().await;
    let mut conn = MySqlConnection::connect(&db.url).await.unwrap();
    conn.execute("BEGIN").await.unwrap();
    // Two margheritas: 500 g dough, 160 ml sauce, 240 g mozzarella, all held.
    let (restaurant, order) = order_rows(&mut conn, 9001, &[("PIZZA-T-MARGHERITA", 2)]).await;
    assert!(in_transaction(&mut conn).await);
    let short = call(&mut conn, restaurant, order).await.unwrap();
    assert!(short.is_empty(), "{short:?}");
    assert!(!in_transaction(&mut conn).await, "committed by the procedure");
    // Visible from another session: committed.
    assert_eq!(stock_of(&db.pool, "pâte").await, Some(4500));
    assert_eq!(stock_of(&db.pool, "sauce tomate").await, Some(1840));
    assert_eq!(stock_of(&db.pool, "mozzarella").await, Some(60));
    let moves: Vec<(i32, i32)> =
        sqlx::query_as("SELECT delta, shortage FROM stock_movements WHERE order_id = ? ORDER BY ingredient_id")
            .bind(order)
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(moves, vec![(-500, 0), (-160, 0), (-240, 0)]);
}

#[tokio::test]
async fn with_a_shortage_it_returns_the_short_ingredients_and_leaves_the_transaction_open() {
    let db = db().await;
    let before = snapshot(&db.pool).await;
    let mut conn = MySqlConnection::connect(&db.url).await.unwrap();
    conn.execute("BEGIN").await.unwrap();
    // 4 reines: 1000 g dough (5000 held), 320 ml sauce, 400 g mozzarella (300 held), 240 g ham (never stocked).
    let (restaurant, order) = order_rows(&mut conn, 9002, &[("PIZZA-T-REINE", 3), ("PIZZA-T-REINE", 1)]).await;
    let short = call(&mut conn, restaurant, order).await.unwrap();
    assert_eq!(
        short,
        vec![
            ("mozzarella".to_owned(), "g".to_owned(), 400, 300, 100),
            ("jambon".to_owned(), "g".to_owned(), 240, 0, 240),
        ]
    );
    assert!(in_transaction(&mut conn).await, "the caller still has to write its stock.shortage event");
    let mine: Vec<(String, i32, i32)> = sqlx::query_as(
        "SELECT i.name, m.delta, m.shortage FROM stock_movements m JOIN ingredients i ON i.id = m.ingredient_id \
         WHERE m.order_id = ? ORDER BY m.ingredient_id",
    )
    .bind(order)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        mine,
        vec![
            ("pâte".to_owned(), -1000, 0),
            ("sauce tomate".to_owned(), -320, 0),
            ("mozzarella".to_owned(), -300, 100),
            ("jambon".to_owned(), 0, 240),
        ]
    );
    // The caller's rollback undoes all of it, the ham's new stock row included.
    conn.execute("ROLLBACK").await.unwrap();
    assert_eq!(snapshot(&db.pool).await, before);
}

#[tokio::test]
async fn an_order_without_recipes_only_commits() {
    let db = db().await;
    let mut conn = MySqlConnection::connect(&db.url).await.unwrap();
    conn.execute("BEGIN").await.unwrap();
    let (restaurant, order) = order_rows(&mut conn, 9003, &[("DRINK-T-COLA", 2)]).await;
    assert!(call(&mut conn, restaurant, order).await.unwrap().is_empty());
    assert!(!in_transaction(&mut conn).await);
    assert_eq!(count(&db.pool, "orders").await, 1);
    assert_eq!(count(&db.pool, "stock_movements").await, 0);
}

/// After recordOrder, whatever happened, the connection goes back to the pool with no transaction open: the
/// procedure's COMMIT, the client's COMMIT after a shortage, and the ROLLBACK after a failure all end it.
#[tokio::test]
async fn record_order_leaves_no_transaction_open_on_its_connection() {
    let db = db().await;
    let pool = one_connection_pool(&db.url).await;
    let check = |pool: MySqlPool| async move {
        let mut conn = pool.acquire().await.unwrap();
        in_transaction(&mut conn).await
    };

    assert!(store::record_order(&pool, &order(9101)).await.unwrap().created);
    assert!(!check(pool.clone()).await, "after the procedure's commit");

    let mut three_reines = order(9102);
    three_reines["lines"] = json!([{"sku": "PIZZA-T-REINE", "name": "Reine", "quantity": 3,
                                    "unit_price_cents": 1200, "vat_rate": "10.00"}]);
    three_reines["total_cents"] = json!(3600);
    assert!(store::record_order(&pool, &three_reines).await.unwrap().created);
    assert!(!check(pool.clone()).await, "after a shortage, committed by the client");
    assert_eq!(
        events(&db.pool).await.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        vec!["order.created", "order.created", "stock.shortage"]
    );

    sqlx::raw_sql(
        "CREATE TRIGGER t_fail BEFORE INSERT ON stock_movements FOR EACH ROW \
         IF (SELECT shop_order_id FROM orders WHERE id = NEW.order_id) = 9103 THEN \
           SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'; END IF",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let before = snapshot(&db.pool).await;
    let err = store::record_order(&pool, &order(9103)).await.unwrap_err();
    assert!(matches!(err, StoreError::Db(_)) && err.to_string().contains("injected failure"), "{err}");
    assert!(!check(pool.clone()).await, "after a failure inside the procedure, rolled back");
    assert_eq!(snapshot(&db.pool).await, before, "nothing of the failed call was written");
    pool.close().await;
}

/// A database without the procedure (the extension upgraded before `migrate` ran) — or, the same error path, a role
/// without EXECUTE on it — still records orders, with the same writes, from client-side statements.
#[tokio::test]
async fn without_the_procedure_the_same_writes_are_done_client_side() {
    let db = db().await;
    sqlx::raw_sql("DROP PROCEDURE take_order_stock").execute(&db.pool).await.unwrap();
    let pool = one_connection_pool(&db.url).await;

    assert!(store::record_order(&pool, &order(9201)).await.unwrap().created);
    assert_eq!(stock_of(&db.pool, "mozzarella").await, Some(180));
    let mut three_reines = order(9202);
    three_reines["lines"] = json!([{"sku": "PIZZA-T-REINE", "name": "Reine", "quantity": 3,
                                    "unit_price_cents": 1200, "vat_rate": "10.00"}]);
    three_reines["total_cents"] = json!(3600);
    assert!(store::record_order(&pool, &three_reines).await.unwrap().created);
    assert_eq!(stock_of(&db.pool, "mozzarella").await, Some(0));
    assert_eq!(stock_of(&db.pool, "jambon").await, Some(0), "a stock row at 0 for the ham");
    let (taken, short): (i64, i64) = sqlx::query_as(
        "SELECT CAST(-SUM(delta) AS SIGNED), CAST(SUM(shortage) AS SIGNED) FROM stock_movements m \
         JOIN ingredients i ON i.id = m.ingredient_id WHERE i.name = 'mozzarella'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!((taken, short), (300, 120));
    let evs = events(&db.pool).await;
    assert_eq!(
        evs.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        vec!["order.created", "order.created", "stock.shortage"]
    );
    let names: Vec<&str> = evs[2].1["data"]["ingredients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["mozzarella", "jambon"]);
    let mut conn = pool.acquire().await.unwrap();
    assert!(!in_transaction(&mut conn).await);
}
