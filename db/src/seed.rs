//! The chain's data (the seed document's "données fictives"). [`load`] is the reference data a production database
//! needs — five restaurants around Lyon with their delivery postcodes, staff, a menu with recipes, stock — and nothing
//! else; [`load_demo_orders`] adds fictitious customers and past orders in various states, for demos and tests only.
//!
//! Every statement of `seed/*.sql` is keyed on a natural key (`INSERT … ON DUPLICATE KEY UPDATE` or
//! `INSERT IGNORE`), so loading twice changes nothing, and a database holding real orders keeps them as they are.
//! The demo rows use ids and references a real PrestaShop cannot produce ([`DEMO_ID_MIN`], `DEMO-0001`…): a real
//! order never meets one of them.

use std::fmt::Write;

use sqlx::MySqlPool;

use crate::DbError;

const CHAIN_SQL: &str = include_str!("../seed/chain.sql");
const DEMO_ORDERS_SQL: &str = include_str!("../seed/demo_orders.sql");

/// Smallest shop order / customer id of the demo rows: above PrestaShop's INT(10) UNSIGNED ids (max 4294967295).
pub const DEMO_ID_MIN: i64 = 9_000_000_000;

/// Loads the chain's reference data (restaurants, staff, menu, recipes, stock) in one transaction. No customer, no
/// order: what `ocpizza-bridge seed` runs on a production database.
pub async fn load(pool: &MySqlPool) -> Result<(), DbError> {
    let mut tx = pool.begin().await?;
    sqlx::raw_sql(CHAIN_SQL).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// The reference data plus the demo customers and past orders (`seed --demo-orders`, `make demo`, tests), in one
/// transaction.
pub async fn load_demo_orders(pool: &MySqlPool) -> Result<(), DbError> {
    let mut tx = pool.begin().await?;
    sqlx::raw_sql(CHAIN_SQL).execute(&mut *tx).await?;
    sqlx::raw_sql(DEMO_ORDERS_SQL).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// The tables summarised by [`summary`] and counted by the seed tests.
pub const TABLES: &[&str] = &[
    "restaurants",
    "restaurant_opening_hours",
    "restaurant_delivery_postcodes",
    "staff",
    "customers",
    "customer_addresses",
    "products",
    "ingredients",
    "recipes",
    "recipe_ingredients",
    "stock",
    "orders",
    "order_lines",
    "payments",
    "order_status_history",
    "stock_movements",
    "devices",
    "outbox",
];

/// Row count of each table of [`TABLES`], in that order.
pub async fn counts(pool: &MySqlPool) -> Result<Vec<(&'static str, i64)>, DbError> {
    let mut out = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        // Table names come from the constant list above, never from input.
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM `{table}`")).fetch_one(pool).await?;
        out.push((*table, n));
    }
    Ok(out)
}

/// A short, human-readable summary of what the database holds.
pub async fn summary(pool: &MySqlPool) -> Result<String, DbError> {
    let mut s = String::new();
    // ascii_bin columns (codes) come back as VARBINARY to sqlx: read them as text.
    let restaurants: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT CAST(r.code AS CHAR), r.name, r.city, \
           (SELECT COUNT(*) FROM restaurant_delivery_postcodes p WHERE p.restaurant_id = r.id), \
           (SELECT COUNT(*) FROM staff st WHERE st.restaurant_id = r.id AND st.active) \
         FROM restaurants r WHERE r.active ORDER BY r.code",
    )
    .fetch_all(pool)
    .await?;
    let _ = writeln!(s, "Restaurants ({}):", restaurants.len());
    for (code, name, city, postcodes, staff) in &restaurants {
        let _ = writeln!(s, "  {code:<14} {name:<32} {city:<24} {postcodes} postcode(s), {staff} staff");
    }
    let menu: Vec<(String, i64)> =
        sqlx::query_as("SELECT kind, COUNT(*) FROM products WHERE active GROUP BY kind ORDER BY kind").fetch_all(pool).await?;
    let menu: Vec<String> = menu.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let _ = writeln!(s, "Menu: {}", menu.join(", "));
    let orders: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY status").fetch_all(pool).await?;
    let orders: Vec<String> = orders.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let _ = writeln!(s, "Orders: {}", if orders.is_empty() { "none".to_owned() } else { orders.join(", ") });
    let _ = writeln!(s, "Rows per table:");
    for (table, n) in counts(pool).await? {
        let _ = writeln!(s, "  {table:<30} {n}");
    }
    Ok(s)
}
