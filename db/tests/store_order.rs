//! recordOrder on a real MariaDB database of its own per test.

mod store_fixture;


use ocpizza_core::events::{Envelope, Event};
use ocpizza_db::store::{self, Recorded, StoreError};
use serde_json::json;
use store_fixture::*;

#[tokio::test]
async fn records_customer_address_order_lines_history_stock_and_event_in_one_go() {
    let db = db().await;
    let r = store::record_order(&db.pool, &order(1001)).await.unwrap();
    assert!(r.created);

    let (status, total, placed): (String, i64, chrono::NaiveDateTime) =
        sqlx::query_as("SELECT status, total_cents, placed_at FROM orders WHERE id = ?")
            .bind(r.order_id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), total), ("received", 1650));
    assert_eq!(placed.to_string(), "2026-11-29 18:30:00", "placed_at stored in UTC");

    let lines: Vec<(i16, String, Option<i64>, i32)> = sqlx::query_as(
        "SELECT line_no, kind, product_id, unit_price_cents FROM order_lines WHERE order_id = ? ORDER BY line_no",
    )
    .bind(r.order_id)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines.iter().map(|l| l.0).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert!(lines[0].2.is_some() && lines[1].2.is_some() && lines[2].2.is_none());
    assert_eq!(lines[2].1, "delivery");

    let history: Vec<(i32, Option<String>, String)> =
        sqlx::query_as("SELECT seq, from_status, to_status FROM order_status_history WHERE order_id = ?")
            .bind(r.order_id)
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(history, vec![(1, None, "received".to_owned())]);

    // One margherita: 250 g dough, 80 ml sauce, 120 g mozzarella; the cola has no recipe.
    assert_eq!(stock_of(&db.pool, "pâte").await, Some(4750));
    assert_eq!(stock_of(&db.pool, "sauce tomate").await, Some(1920));
    assert_eq!(stock_of(&db.pool, "mozzarella").await, Some(180));
    let moves: Vec<(i32, i32)> = sqlx::query_as(
        "SELECT delta, shortage FROM stock_movements WHERE order_id = ? AND reason = 'order' ORDER BY ingredient_id",
    )
    .bind(r.order_id)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(moves, vec![(-250, 0), (-80, 0), (-120, 0)]);

    let evs = events(&db.pool).await;
    assert_eq!(evs.len(), 1, "no shortage, so only order.created");
    assert_eq!(evs[0].0, "order.created");
    let env: Envelope = serde_json::from_value(evs[0].1.clone()).unwrap();
    let Event::OrderCreated(created) = Event::from_envelope(&env).unwrap() else {
        panic!("wrong event")
    };
    assert_eq!(created.shop_order_id, 1001);
    assert_eq!(created.placed_at, "2026-11-29T18:30:00.000000Z");
    assert_eq!(created.customer.first_name, "Léa");
    assert_eq!(created.lines.len(), 3);
    assert_eq!(created.delivery_address.unwrap().postcode, "69002");
}

#[tokio::test]
async fn recording_the_same_order_again_returns_it_and_writes_nothing() {
    let db = db().await;
    let first = store::record_order(&db.pool, &order(1002)).await.unwrap();
    let before = snapshot(&db.pool).await;
    let again = store::record_order(&db.pool, &order(1002)).await.unwrap();
    assert_eq!(
        again,
        Recorded {
            order_id: first.order_id,
            created: false
        }
    );
    assert_eq!(snapshot(&db.pool).await, before);
}

#[tokio::test]
async fn many_tasks_recording_the_same_order_at_once_write_exactly_one() {
    let db = db().await;
    let results: Vec<_> = race(&db.url, 12, |pool| async move { store::record_order(&pool, &order(1003)).await })
        .await
        .into_iter()
        .map(|r| r.expect("every caller gets the order"))
        .collect();
    assert_eq!(results.iter().filter(|r| r.created).count(), 1, "{results:?}");
    assert!(results.iter().all(|r| r.order_id == results[0].order_id));
    assert_eq!(count(&db.pool, "orders").await, 1);
    assert_eq!(count(&db.pool, "order_lines").await, 3);
    assert_eq!(count(&db.pool, "outbox").await, 1);
    assert_eq!(count(&db.pool, "stock_movements").await, 3);
    assert_eq!(stock_of(&db.pool, "mozzarella").await, Some(180));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_different_orders_share_stock_without_losing_updates() {
    let db = db().await;
    let pool = ocpizza_db::connect::connect_with(
        &db.url,
        ocpizza_db::connect::PoolSettings {
            max_connections: 8,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let mut o = order(2000 + i);
            o["lines"][0]["sku"] = json!("PIZZA-T-MARGHERITA");
            store::record_order(&pool, &o).await
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap().unwrap().created);
    }
    // 8 × 250 g of dough from 5000 g; mozzarella: 300 g for 8 × 120 g → 300 taken, 660 short in total.
    assert_eq!(stock_of(&db.pool, "pâte").await, Some(3000));
    assert_eq!(stock_of(&db.pool, "mozzarella").await, Some(0));
    let (taken, short): (i64, i64) = sqlx::query_as(
        "SELECT CAST(-SUM(delta) AS SIGNED), CAST(SUM(shortage) AS SIGNED) FROM stock_movements m \
         JOIN ingredients i ON i.id = m.ingredient_id WHERE i.name = 'mozzarella'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!((taken, short), (300, 660));
    pool.close().await;
}

#[tokio::test]
async fn a_shortage_takes_what_is_there_and_raises_a_stock_shortage_event() {
    let db = db().await;
    let mut o = order(1004);
    // 3 reines: 300 g mozzarella (300 held) and 180 g of ham, which TESTA never stocked.
    o["lines"] = json!([{"sku": "PIZZA-T-REINE", "name": "Reine", "quantity": 3, "unit_price_cents": 1200,
                         "vat_rate": "10.00"}]);
    o["total_cents"] = json!(3600);
    assert!(store::record_order(&db.pool, &o).await.unwrap().created);
    assert_eq!(stock_of(&db.pool, "mozzarella").await, Some(0));
    assert_eq!(
        stock_of(&db.pool, "jambon").await,
        Some(0),
        "a stock row at 0 is created for the shortage"
    );
    let ham: (i32, i32) = sqlx::query_as(
        "SELECT delta, shortage FROM stock_movements m JOIN ingredients i ON i.id = m.ingredient_id \
         WHERE i.name = 'jambon'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(ham, (0, 180));
    let evs = events(&db.pool).await;
    assert_eq!(
        evs.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        vec!["order.created", "stock.shortage"]
    );
    let env: Envelope = serde_json::from_value(evs[1].1.clone()).unwrap();
    let Event::StockShortage(s) = Event::from_envelope(&env).unwrap() else {
        panic!("wrong event")
    };
    assert_eq!(s.restaurant, "TESTA");
    assert_eq!(s.shop_order_id, Some(1004));
    let names: Vec<(&str, i64, i64)> = s
        .ingredients
        .iter()
        .map(|i| (i.name.as_str(), i.needed, i.missing))
        .collect();
    assert_eq!(names, vec![("jambon", 180, 180)], "mozzarella was exactly enough");

    // The next margherita finds no mozzarella: recorded anyway (a paid order is never refused), short 120 g.
    assert!(store::record_order(&db.pool, &order(1005)).await.unwrap().created);
    assert_eq!(stock_of(&db.pool, "mozzarella").await, Some(0));
    assert_eq!(
        events(&db.pool)
            .await
            .iter()
            .filter(|e| e.0 == "stock.shortage")
            .count(),
        2
    );
}

#[tokio::test]
async fn refusals_name_the_field_and_write_nothing() {
    let db = db().await;
    store::record_order(&db.pool, &order(1006)).await.unwrap();
    let before = snapshot(&db.pool).await;

    let mut unknown_sku = order(1007);
    unknown_sku["lines"][1]["sku"] = json!("PIZZA-NOPE");
    let mut withdrawn = order(1008);
    withdrawn["lines"][0]["sku"] = json!("PIZZA-T-OLD");
    let mut unknown_restaurant = order(1009);
    unknown_restaurant["restaurant"] = json!("NOWHERE");
    let mut closed = order(1010);
    closed["restaurant"] = json!("TESTB");
    let mut reused_reference = order(1011);
    reused_reference["reference"] = json!("REF1006");
    let mut bad_total = order(1012);
    bad_total["total_cents"] = json!(1);
    let cases = [
        (unknown_sku, "lines[1].sku"),
        (withdrawn, "lines[0].sku"),
        (unknown_restaurant, "restaurant"),
        (closed, "restaurant"),
        (reused_reference, "reference"),
        (bad_total, "total_cents"),
    ];
    for (input, expected) in cases {
        let err = store::record_order(&db.pool, &input).await.unwrap_err();
        assert_eq!(field(err), expected);
    }
    assert_eq!(snapshot(&db.pool).await, before);
}

#[tokio::test]
async fn a_failure_half_way_rolls_everything_back() {
    let db = db().await;
    store::record_order(&db.pool, &order(1013)).await.unwrap();
    // Fault injection on the real server: the stock movements (written after customer, address, order, lines,
    // history and stock updates) fail for this order only.
    sqlx::raw_sql(
        "CREATE TRIGGER t_fail BEFORE INSERT ON stock_movements FOR EACH ROW \
         IF (SELECT shop_order_id FROM orders WHERE id = NEW.order_id) = 1014 THEN \
           SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'; END IF",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let before = snapshot(&db.pool).await;
    let mut o = order(1014);
    o["customer"]["shop_customer_id"] = json!(777); // a new customer: its insert must be rolled back too
    let err = store::record_order(&db.pool, &o).await.unwrap_err();
    assert!(matches!(err, StoreError::Db(_)), "{err:?}");
    assert!(err.to_string().contains("injected failure"), "{err}");
    assert_eq!(snapshot(&db.pool).await, before);
    // And the same call succeeds once the fault is gone.
    sqlx::raw_sql("DROP TRIGGER t_fail").execute(&db.pool).await.unwrap();
    assert!(store::record_order(&db.pool, &o).await.unwrap().created);
}

#[tokio::test]
async fn customers_and_addresses_are_upserted_not_duplicated() {
    let db = db().await;
    let a = store::record_order(&db.pool, &order(1015)).await.unwrap();
    let mut o = order(1016);
    o["customer"]["email"] = json!("lea.m@example.org");
    let b = store::record_order(&db.pool, &o).await.unwrap();
    assert_eq!(count(&db.pool, "customers").await, 1);
    assert_eq!(count(&db.pool, "customer_addresses").await, 1);
    let ids: Vec<(i64, i64)> = sqlx::query_as("SELECT customer_id, delivery_address_id FROM orders WHERE id IN (?, ?)")
        .bind(a.order_id)
        .bind(b.order_id)
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(ids[0], ids[1]);
    let (email,): (String,) = sqlx::query_as("SELECT email FROM customers")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(email, "lea.m@example.org", "the shop's latest data wins");

    let mut takeaway = order(1017);
    takeaway["fulfilment"] = json!("takeaway");
    takeaway.as_object_mut().unwrap().remove("delivery_address");
    let t = store::record_order(&db.pool, &takeaway).await.unwrap();
    let (addr,): (Option<i64>,) = sqlx::query_as("SELECT delivery_address_id FROM orders WHERE id = ?")
        .bind(t.order_id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(addr, None);
}

/// The lookup before the transaction answers three questions in one query; they are still asked in this order:
/// an order already recorded is returned as it is (even if its restaurant has closed or its pizza was withdrawn
/// since), and only a new order is checked against the restaurant and the products.
#[tokio::test]
async fn a_recorded_order_is_returned_before_the_restaurant_and_products_are_checked() {
    let db = db().await;
    let first = store::record_order(&db.pool, &order(1020)).await.unwrap();
    sqlx::raw_sql(
        "UPDATE restaurants SET active = FALSE WHERE code = 'TESTA'; \
         UPDATE products SET active = FALSE WHERE sku = 'PIZZA-T-MARGHERITA'",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let before = snapshot(&db.pool).await;
    let again = store::record_order(&db.pool, &order(1020)).await.unwrap();
    assert_eq!(again, Recorded { order_id: first.order_id, created: false });
    assert_eq!(field(store::record_order(&db.pool, &order(1021)).await.unwrap_err()), "restaurant");
    sqlx::raw_sql("UPDATE restaurants SET active = TRUE WHERE code = 'TESTA'").execute(&db.pool).await.unwrap();
    assert_eq!(field(store::record_order(&db.pool, &order(1021)).await.unwrap_err()), "lines[0].sku");
    assert_eq!(snapshot(&db.pool).await, before);
}

/// Without any product line (a delivery fee alone) the lookup has no product part and the stock is not touched.
#[tokio::test]
async fn an_order_without_product_lines_is_recorded_without_stock_movements() {
    let db = db().await;
    let mut o = order(1022);
    o["lines"] = json!([{"kind": "delivery", "name": "Livraison", "quantity": 1, "unit_price_cents": 350,
                         "vat_rate": "20.00"}]);
    o["total_cents"] = json!(350);
    assert!(store::record_order(&db.pool, &o).await.unwrap().created);
    assert_eq!(count(&db.pool, "order_lines").await, 1);
    assert_eq!(count(&db.pool, "stock_movements").await, 0);
    assert_eq!(events(&db.pool).await.len(), 1);
}
