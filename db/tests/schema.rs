//! OCPizza_DB refuses bad rows on its own (seed document §5.1.7): every constraint is exercised here by inserting
//! the bad value into a real MariaDB, in strict mode, and checking the refusal names the rule.

use ocpizza_db::error::mysql_error_number;
use ocpizza_db::migrate::{self, SchemaState};
use ocpizza_db::testing::TestDb;
use ocpizza_db::{DbError, seed};

const ER_DUP_ENTRY: u16 = 1062;
const ER_NO_REFERENCED_ROW: u16 = 1452;
const ER_ROW_IS_REFERENCED: u16 = 1451;
const ER_TRUNCATED_WRONG_VALUE: u16 = 1366;
const ER_WARN_DATA_OUT_OF_RANGE: u16 = 1264;
const ER_DATA_TOO_LONG: u16 = 1406;
const ER_BAD_NULL: u16 = 1048;
const ER_SIGNAL_EXCEPTION: u16 = 1644;
/// CHECK constraint failed: MariaDB 4025, MySQL 3819.
const CHECK_FAILED: [u16; 2] = [4025, 3819];

enum Expect {
    Check(&'static str),
    Code(u16),
}

struct Case {
    what: &'static str,
    sql: &'static str,
    expect: Expect,
}

fn r(code: &str) -> String {
    format!("(SELECT id FROM restaurants WHERE code = '{code}')")
}

async fn assert_refused(db: &TestDb, case: &Case) {
    let err = sqlx::query(case.sql)
        .execute(&db.pool)
        .await
        .err()
        .unwrap_or_else(|| panic!("{}: the database accepted it: {}", case.what, case.sql));
    let sqlx::Error::Database(dberr) = &err else { panic!("{}: not a database error: {err}", case.what) };
    let number = mysql_error_number(dberr.as_ref()).expect("a MySQL error");
    match case.expect {
        Expect::Check(name) => {
            assert!(CHECK_FAILED.contains(&number), "{}: expected CHECK {name}, got {number}: {}", case.what, dberr.message());
            assert!(dberr.message().contains(name), "{}: expected CHECK {name}, got: {}", case.what, dberr.message());
        }
        Expect::Code(code) => {
            assert_eq!(number, code, "{}: {}", case.what, dberr.message());
        }
    }
}

#[tokio::test]
async fn migrations_apply_to_an_empty_database_and_report_current() {
    let db = TestDb::empty().await;
    assert_eq!(
        migrate::state(&db.pool).await.unwrap(),
        SchemaState::Behind { pending: migrate::MIGRATOR.iter().map(|m| m.version).collect() }
    );
    let applied = migrate::run(&db.pool).await.unwrap();
    assert_eq!(applied.len(), migrate::MIGRATOR.iter().count());
    assert_eq!(migrate::state(&db.pool).await.unwrap(), SchemaState::Current);
    // Running again is a no-op.
    assert!(migrate::run(&db.pool).await.unwrap().is_empty());
    // Every table is InnoDB and utf8mb4.
    let bad: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name, engine, table_collation FROM information_schema.tables \
         WHERE table_schema = DATABASE() AND table_name <> '_sqlx_migrations' \
           AND (engine <> 'InnoDB' OR table_collation NOT LIKE 'utf8mb4%')",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(bad.is_empty(), "tables not InnoDB/utf8mb4: {bad:?}");
}

#[tokio::test]
async fn a_database_ahead_of_the_binary_is_refused_with_a_clear_error() {
    let db = TestDb::new().await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (29991231000000, 'from a newer release', TRUE, x'00', 1)",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    assert_eq!(migrate::state(&db.pool).await.unwrap(), SchemaState::Ahead { unknown: vec![29991231000000] });
    let err = migrate::run(&db.pool).await.unwrap_err();
    assert!(matches!(err, DbError::AheadOfBinary { version: 29991231000000 }), "{err:?}");
    assert!(err.to_string().contains("ahead of this binary"), "{err}");
}

#[tokio::test]
async fn connection_errors_are_precise() {
    let err = ocpizza_db::connect("mysql://root@127.0.0.1:1/ocpizza").await.unwrap_err();
    assert!(matches!(err, DbError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("127.0.0.1:1"), "{err}");

    let server = ocpizza_db::testing::server_url();
    let err = ocpizza_db::connect(&format!("{}/ocpizza_no_such_db_4242", server)).await.unwrap_err();
    assert!(matches!(err, DbError::UnknownDatabase { .. }), "{err:?}");

    let bad_user = server.replacen("mysql://root", "mysql://ocpizza_nobody:wrong", 1);
    let err = ocpizza_db::connect(&format!("{bad_user}/")).await.unwrap_err();
    assert!(matches!(err, DbError::BadCredentials { .. }), "{err:?}");
    assert!(!err.to_string().contains("wrong"), "the password must not appear: {err}");

    let err = ocpizza_db::connect("postgres://x@127.0.0.1/y").await.unwrap_err();
    assert!(matches!(err, DbError::BadUrl(_)), "{err:?}");
}

#[tokio::test]
async fn seeding_twice_gives_the_same_row_counts() {
    let db = TestDb::new().await;
    seed::load_demo_orders(&db.pool).await.unwrap();
    let first = seed::counts(&db.pool).await.unwrap();
    seed::load_demo_orders(&db.pool).await.unwrap();
    let second = seed::counts(&db.pool).await.unwrap();
    assert_eq!(first, second);
    let summary = seed::summary(&db.pool).await.unwrap();
    assert!(summary.contains("Restaurants (5)") && summary.contains("BELLECOUR"), "{summary}");
    let count = |t: &str| first.iter().find(|(n, _)| *n == t).unwrap().1;
    assert_eq!(count("restaurants"), 5);
    assert!(count("staff") >= 20);
    assert!(count("orders") >= 5);
    let (pizzas,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM products p JOIN recipes r ON r.product_id = p.id WHERE p.kind = 'pizza' \
         AND EXISTS (SELECT 1 FROM recipe_ingredients ri WHERE ri.product_id = p.id)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(pizzas >= 12, "at least 12 pizzas with recipes, got {pizzas}");
    for kind in ["drink", "dessert"] {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM products WHERE kind = ?").bind(kind).fetch_one(&db.pool).await.unwrap();
        assert!(n > 0, "the menu has {kind}s");
    }
    // Seeded orders are consistent: lines sum to the total, history ends at the order's status.
    let (bad,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM orders o WHERE o.total_cents <> \
           (SELECT SUM(l.quantity * l.unit_price_cents) FROM order_lines l WHERE l.order_id = o.id) \
         OR o.status <> (SELECT h.to_status FROM order_status_history h WHERE h.order_id = o.id ORDER BY h.seq DESC LIMIT 1)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(bad, 0);
}

#[tokio::test]
async fn the_seeded_history_follows_the_state_machine() {
    use ocpizza_core::status::{Fulfilment, OrderStatus};
    let db = TestDb::seeded().await;
    let rows: Vec<(i64, String, Option<String>, String)> = sqlx::query_as(
        "SELECT o.shop_order_id, o.fulfilment, h.from_status, h.to_status FROM order_status_history h \
         JOIN orders o ON o.id = h.order_id ORDER BY o.shop_order_id, h.seq",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(!rows.is_empty());
    for (order, fulfilment, from, to) in rows {
        let f: Fulfilment = fulfilment.parse().unwrap();
        let to: OrderStatus = to.parse().unwrap();
        match from {
            None => assert_eq!(to, OrderStatus::INITIAL, "order {order}"),
            Some(from) => {
                let from: OrderStatus = from.parse().unwrap();
                assert_eq!(from.check_transition(to, f), Ok(true), "order {order}: {from} -> {to}");
            }
        }
    }
}

#[tokio::test]
async fn bad_rows_are_refused_by_the_database_itself() {
    let db = TestDb::seeded().await;
    let bel = r("BELLECOUR");
    let cust = "(SELECT id FROM customers WHERE shop_customer_id = 9000000101)";
    let pizza = "(SELECT id FROM products WHERE sku = 'PIZZA-REINE')";
    let order1 = "(SELECT id FROM orders WHERE shop_order_id = 9000000001)";
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let order_sql = |fulfilment: &str, addr: &str, method: &str, currency: &str, total: &str, status: &str| {
        leak(format!(
            "INSERT INTO orders (shop_order_id, reference, restaurant_id, customer_id, fulfilment, delivery_address_id, \
             payment_method, currency, total_cents, status, placed_at) VALUES \
             (9001, 'TESTREF01', {bel}, {cust}, '{fulfilment}', {addr}, '{method}', '{currency}', {total}, '{status}', NOW(6))"
        ))
    };
    let line_sql = |kind: &str, product: &str, qty: &str, price: &str, vat: &str| {
        leak(format!(
            "INSERT INTO order_lines (order_id, line_no, kind, product_id, name, quantity, unit_price_cents, vat_rate) \
             VALUES ({order1}, 99, '{kind}', {product}, 'Ligne test', {qty}, {price}, {vat})"
        ))
    };
    let product_sql = |sku: &str, kind: &str, price: &str, vat: &str| {
        leak(format!(
            "INSERT INTO products (sku, name, kind, price_cents, vat_rate) VALUES ('{sku}', 'Test', '{kind}', {price}, {vat})"
        ))
    };
    let customer_sql = |id: &str, email: &str| {
        leak(format!(
            "INSERT INTO customers (shop_customer_id, email, first_name, last_name) VALUES ({id}, '{email}', 'A', 'B')"
        ))
    };
    let cases = vec![
        // types
        Case { what: "text in an integer column", sql: product_sql("PIZZA-X1", "pizza", "'douze'", "10"), expect: Expect::Code(ER_TRUNCATED_WRONG_VALUE) },
        Case { what: "integer overflow", sql: product_sql("PIZZA-X2", "pizza", "99999999999", "10"), expect: Expect::Code(ER_WARN_DATA_OUT_OF_RANGE) },
        Case { what: "too long a name", sql: leak(format!("INSERT INTO ingredients (name, unit) VALUES ('{}', 'g')", "x".repeat(81))), expect: Expect::Code(ER_DATA_TOO_LONG) },
        Case { what: "missing mandatory value", sql: "INSERT INTO ingredients (name, unit) VALUES (NULL, 'g')", expect: Expect::Code(ER_BAD_NULL) },
        Case { what: "invalid date", sql: leak(format!("INSERT INTO orders (shop_order_id, reference, restaurant_id, customer_id, fulfilment, payment_method, currency, total_cents, placed_at) VALUES (9002, 'TESTREF02', {bel}, {cust}, 'takeaway', 'at_restaurant', 'EUR', 100, '2026-02-30 12:00:00')")), expect: Expect::Code(1292) },
        // ranges
        Case { what: "negative price", sql: product_sql("PIZZA-X3", "pizza", "-1", "10"), expect: Expect::Check("ck_products_price") },
        Case { what: "VAT above range", sql: product_sql("PIZZA-X4", "pizza", "100", "55"), expect: Expect::Check("ck_products_vat") },
        Case { what: "negative VAT", sql: product_sql("PIZZA-X5", "pizza", "100", "-5.5"), expect: Expect::Check("ck_products_vat") },
        Case { what: "negative order total", sql: order_sql("takeaway", "NULL", "at_restaurant", "EUR", "-100", "received"), expect: Expect::Check("ck_orders_total") },
        Case { what: "zero quantity", sql: line_sql("product", pizza, "0", "1190", "10"), expect: Expect::Check("ck_order_lines_quantity") },
        Case { what: "negative quantity", sql: line_sql("product", pizza, "-2", "1190", "10"), expect: Expect::Check("ck_order_lines_quantity") },
        Case { what: "negative price on a product line", sql: line_sql("product", pizza, "1", "-100", "10"), expect: Expect::Check("ck_order_lines_price") },
        Case { what: "positive discount", sql: line_sql("discount", "NULL", "1", "100", "10"), expect: Expect::Check("ck_order_lines_price") },
        Case { what: "line VAT out of range", sql: line_sql("product", pizza, "1", "1190", "31"), expect: Expect::Check("ck_order_lines_vat") },
        Case { what: "negative stock", sql: leak(format!("UPDATE stock SET quantity = -1 WHERE restaurant_id = {bel} LIMIT 1")), expect: Expect::Check("ck_stock_quantity") },
        Case { what: "recipe quantity zero", sql: "UPDATE recipe_ingredients SET quantity = 0 LIMIT 1", expect: Expect::Check("ck_recipe_ingredients_quantity") },
        Case { what: "payment amount negative", sql: leak(format!("INSERT INTO payments (order_id, provider, transaction_key, amount_cents, currency, status, raw_status, occurred_at) VALUES ({order1}, 'sogecommerce', 'k-neg', -5, 'EUR', 'paid', 'CAPTURED', NOW())")), expect: Expect::Check("ck_payments_amount") },
        Case { what: "weekday 8", sql: leak(format!("INSERT INTO restaurant_opening_hours (restaurant_id, weekday, opens_at, closes_at) VALUES ({bel}, 8, '10:00', '11:00')")), expect: Expect::Check("ck_opening_hours_weekday") },
        Case { what: "closing before opening", sql: leak(format!("INSERT INTO restaurant_opening_hours (restaurant_id, weekday, opens_at, closes_at) VALUES ({bel}, 1, '15:00', '11:00')")), expect: Expect::Check("ck_opening_hours_order") },
        // enumerations
        Case { what: "unknown order status", sql: order_sql("takeaway", "NULL", "at_restaurant", "EUR", "100", "shipped"), expect: Expect::Check("ck_orders_status") },
        Case { what: "unknown status on update", sql: "UPDATE orders SET status = 'lost' WHERE shop_order_id = 9000000001", expect: Expect::Check("ck_orders_status") },
        Case { what: "unknown fulfilment", sql: order_sql("drone", "NULL", "at_restaurant", "EUR", "100", "received"), expect: Expect::Check("ck_orders_fulfilment") },
        Case { what: "unknown payment method", sql: order_sql("takeaway", "NULL", "bitcoin", "EUR", "100", "received"), expect: Expect::Check("ck_orders_payment_method") },
        Case { what: "lowercase currency", sql: order_sql("takeaway", "NULL", "at_restaurant", "eur", "100", "received"), expect: Expect::Check("ck_orders_currency") },
        Case { what: "delivery without address", sql: order_sql("delivery", "NULL", "card_online", "EUR", "100", "received"), expect: Expect::Check("ck_orders_delivery_address") },
        Case { what: "unknown product kind", sql: product_sql("PIZZA-X6", "calzone", "100", "10"), expect: Expect::Check("ck_products_kind") },
        Case { what: "lowercase SKU", sql: product_sql("pizza-x7", "pizza", "100", "10"), expect: Expect::Check("ck_products_sku") },
        Case { what: "unknown staff role", sql: leak(format!("INSERT INTO staff (restaurant_id, role, first_name, last_name) VALUES ({bel}, 'chef', 'A', 'B')")), expect: Expect::Check("ck_staff_role") },
        Case { what: "unknown ingredient unit", sql: "INSERT INTO ingredients (name, unit) VALUES ('Sel', 'kg')", expect: Expect::Check("ck_ingredients_unit") },
        Case { what: "unknown line kind", sql: line_sql("tip", "NULL", "1", "100", "10"), expect: Expect::Check("ck_order_lines_kind") },
        Case { what: "product line without product", sql: line_sql("product", "NULL", "1", "100", "10"), expect: Expect::Check("ck_order_lines_product") },
        Case { what: "unknown payment status", sql: leak(format!("INSERT INTO payments (order_id, provider, transaction_key, amount_cents, currency, status, raw_status, occurred_at) VALUES ({order1}, 'sogecommerce', 'k-st', 5, 'EUR', 'ok', 'CAPTURED', NOW())")), expect: Expect::Check("ck_payments_status") },
        Case { what: "unknown device environment", sql: leak(format!("INSERT INTO devices (token, environment, restaurant_id, role) VALUES ('{}', 'staging', {bel}, 'driver')", "a".repeat(64))), expect: Expect::Check("ck_devices_environment") },
        Case { what: "malformed device token", sql: leak(format!("INSERT INTO devices (token, environment, restaurant_id, role) VALUES ('{}', 'sandbox', {bel}, 'driver')", "Z".repeat(64))), expect: Expect::Check("ck_devices_token") },
        Case { what: "unknown outbox event type", sql: "INSERT INTO outbox (event_id, event_type, payload) VALUES ('evt-1', 'order.exploded', '{}')", expect: Expect::Check("ck_outbox_event_type") },
        Case { what: "outbox payload not JSON", sql: "INSERT INTO outbox (event_id, event_type, payload) VALUES ('evt-2', 'order.created', '{oops')", expect: Expect::Check("payload") },
        // e-mails and formats
        Case { what: "e-mail without @", sql: customer_sql("9001", "marie.example.fr"), expect: Expect::Check("ck_customers_email") },
        Case { what: "e-mail without domain dot", sql: customer_sql("9002", "marie@localhost"), expect: Expect::Check("ck_customers_email") },
        Case { what: "e-mail with a space", sql: customer_sql("9003", "marie dupont@example.fr"), expect: Expect::Check("ck_customers_email") },
        Case { what: "staff e-mail malformed", sql: leak(format!("INSERT INTO staff (restaurant_id, role, first_name, last_name, email) VALUES ({bel}, 'driver', 'A', 'B', '@@')")), expect: Expect::Check("ck_staff_email") },
        Case { what: "shop customer id zero", sql: customer_sql("0", "zero@example.fr"), expect: Expect::Check("ck_customers_shop_id") },
        Case { what: "postcode not 5 digits", sql: leak(format!("INSERT INTO restaurant_delivery_postcodes (postcode, restaurant_id) VALUES ('6900', {bel})")), expect: Expect::Check("ck_delivery_postcodes_postcode") },
        Case { what: "country not ISO alpha-2", sql: leak(format!("INSERT INTO customer_addresses (customer_id, line1, postcode, city, country) VALUES ({cust}, '1 rue X', '69001', 'Lyon', 'fr')")), expect: Expect::Check("ck_customer_addresses_country") },
        Case { what: "restaurant code lowercase", sql: "INSERT INTO restaurants (code, name, address_line1, postcode, city, phone) VALUES ('bellecour2', 'X', '1 rue', '69002', 'Lyon', '0478000000')", expect: Expect::Check("ck_restaurants_code") },
        Case { what: "order reference with unsafe characters", sql: leak(format!("INSERT INTO orders (shop_order_id, reference, restaurant_id, customer_id, fulfilment, payment_method, currency, total_cents, placed_at) VALUES (9003, 'REF:01', {bel}, {cust}, 'takeaway', 'at_restaurant', 'EUR', 100, NOW())")), expect: Expect::Check("ck_orders_reference") },
        // foreign keys
        Case { what: "staff of an unknown restaurant", sql: "INSERT INTO staff (restaurant_id, role, first_name, last_name) VALUES (999999, 'driver', 'A', 'B')", expect: Expect::Code(ER_NO_REFERENCED_ROW) },
        Case { what: "order of an unknown customer", sql: leak(format!("INSERT INTO orders (shop_order_id, reference, restaurant_id, customer_id, fulfilment, payment_method, currency, total_cents, placed_at) VALUES (9004, 'TESTREF04', {bel}, 999999, 'takeaway', 'at_restaurant', 'EUR', 100, NOW())")), expect: Expect::Code(ER_NO_REFERENCED_ROW) },
        Case { what: "line of an unknown product", sql: line_sql("product", "999999", "1", "100", "10"), expect: Expect::Code(ER_NO_REFERENCED_ROW) },
        Case { what: "stock of an unknown ingredient", sql: leak(format!("INSERT INTO stock (restaurant_id, ingredient_id, quantity) VALUES ({bel}, 999999, 5)")), expect: Expect::Code(ER_NO_REFERENCED_ROW) },
        Case { what: "payment of an unknown order", sql: "INSERT INTO payments (order_id, provider, transaction_key, amount_cents, currency, status, raw_status, occurred_at) VALUES (999999, 'cash', 'k-fk', 5, 'EUR', 'paid', 'PAID', NOW())", expect: Expect::Code(ER_NO_REFERENCED_ROW) },
        Case { what: "deleting a restaurant that has orders", sql: "DELETE FROM restaurants WHERE code = 'BELLECOUR'", expect: Expect::Code(ER_ROW_IS_REFERENCED) },
        // uniqueness
        Case { what: "duplicate shop order id", sql: leak(format!("INSERT INTO orders (shop_order_id, reference, restaurant_id, customer_id, fulfilment, payment_method, currency, total_cents, placed_at) VALUES (9000000001, 'OTHERREF1', {bel}, {cust}, 'takeaway', 'at_restaurant', 'EUR', 100, NOW())")), expect: Expect::Code(ER_DUP_ENTRY) },
        Case { what: "duplicate order reference", sql: leak(format!("INSERT INTO orders (shop_order_id, reference, restaurant_id, customer_id, fulfilment, payment_method, currency, total_cents, placed_at) VALUES (9005, 'DEMO-0001', {bel}, {cust}, 'takeaway', 'at_restaurant', 'EUR', 100, NOW())")), expect: Expect::Code(ER_DUP_ENTRY) },
        Case { what: "duplicate SKU", sql: product_sql("PIZZA-REINE", "pizza", "100", "10"), expect: Expect::Code(ER_DUP_ENTRY) },
        Case { what: "duplicate customer", sql: customer_sql("9000000101", "other@example.fr"), expect: Expect::Code(ER_DUP_ENTRY) },
        Case { what: "duplicate payment transaction key", sql: leak(format!("INSERT INTO payments (order_id, provider, transaction_key, amount_cents, currency, status, raw_status, occurred_at) VALUES ({order1}, 'sogecommerce', 'seed-12345678-20261120-702131-DEBIT-1-CAPTURED', 2930, 'EUR', 'paid', 'CAPTURED', NOW())")), expect: Expect::Code(ER_DUP_ENTRY) },
        Case { what: "postcode served twice", sql: leak(format!("INSERT INTO restaurant_delivery_postcodes (postcode, restaurant_id) VALUES ('69002', {})", r("GERLAND"))), expect: Expect::Code(ER_DUP_ENTRY) },
        // append-only history
        Case { what: "rewriting history", sql: "UPDATE order_status_history SET note = 'oops' LIMIT 1", expect: Expect::Code(ER_SIGNAL_EXCEPTION) },
        Case { what: "deleting history", sql: "DELETE FROM order_status_history LIMIT 1", expect: Expect::Code(ER_SIGNAL_EXCEPTION) },
    ];
    for case in &cases {
        assert_refused(&db, case).await;
    }
    // Nothing of the refused statements was written.
    let after = seed::counts(&db.pool).await.unwrap();
    let reference = TestDb::seeded().await;
    assert_eq!(after, seed::counts(&reference.pool).await.unwrap());
}

#[tokio::test]
async fn valid_rows_of_the_same_shapes_are_accepted() {
    // The refusals above are not a side effect of broken statements: the same statements with good values pass.
    let db = TestDb::seeded().await;
    for sql in [
        "INSERT INTO products (sku, name, kind, price_cents, vat_rate) VALUES ('PIZZA-X1', 'Test', 'pizza', 0, 5.5)",
        "INSERT INTO customers (shop_customer_id, email, first_name, last_name) VALUES (9001, 'a.b+c@example.co.uk', 'A', 'B')",
        "INSERT INTO staff (restaurant_id, role, first_name, last_name, email) VALUES ((SELECT id FROM restaurants WHERE code = 'VAISE'), 'cashier', 'Jo', 'Lee', 'jo@ocpizza.fr')",
        "INSERT INTO order_lines (order_id, line_no, kind, product_id, name, quantity, unit_price_cents, vat_rate) VALUES ((SELECT id FROM orders WHERE shop_order_id = 9000000001), 99, 'discount', NULL, 'Remise', 1, -100, 10)",
        "INSERT INTO outbox (event_id, event_type, payload) VALUES ('evt-ok', 'order.created', '{\"a\":1}')",
    ] {
        sqlx::query(sql).execute(&db.pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}
