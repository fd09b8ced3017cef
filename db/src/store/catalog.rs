//! Read side for the shop: the active restaurants (to route orders) and what each can make from its stock.

use ocpizza_core::codes::{self, Code};
use serde::Serialize;
use sqlx::MySqlPool;

use super::StoreError;
use super::raw::invalid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestaurantAddress {
    pub line1: String,
    pub postcode: String,
    pub city: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Restaurant {
    pub code: String,
    pub name: String,
    pub address: RestaurantAddress,
    pub phone: String,
    /// The postcodes this restaurant delivers to, sorted.
    pub delivery_postcodes: Vec<String>,
}

/// Active restaurants by code.
pub async fn restaurants(pool: &MySqlPool) -> Result<Vec<Restaurant>, StoreError> {
    let rows: Vec<(i64, String, String, String, String, String, String)> = sqlx::query_as(
        "SELECT id, CONVERT(code USING utf8mb4), name, address_line1, postcode, city, phone FROM restaurants \
         WHERE active ORDER BY code",
    )
    .fetch_all(pool)
    .await?;
    let postcodes: Vec<(i64, String)> = sqlx::query_as(
        "SELECT p.restaurant_id, p.postcode FROM restaurant_delivery_postcodes p \
         JOIN restaurants r ON r.id = p.restaurant_id WHERE r.active ORDER BY p.postcode",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, code, name, line1, postcode, city, phone)| Restaurant {
            code,
            name,
            address: RestaurantAddress { line1, postcode, city },
            phone,
            delivery_postcodes: postcodes
                .iter()
                .filter(|(r, _)| *r == id)
                .map(|(_, p)| p.clone())
                .collect(),
        })
        .collect())
}

/// SKUs of the active products the restaurant can make at least once from its current stock; a product without
/// recipe ingredients (drinks, desserts bought in) is available whenever it is active.
pub async fn available_products(pool: &MySqlPool, restaurant: &str) -> Result<Vec<String>, StoreError> {
    // Before the query: a non-ASCII code compared with the ascii_bin column is a database error (1267).
    codes::check(Code::Restaurant, "restaurant", restaurant)?;
    let found: Option<(i64, bool)> = sqlx::query_as("SELECT id, active FROM restaurants WHERE code = ?")
        .bind(restaurant)
        .fetch_optional(pool)
        .await?;
    let restaurant_id = match found {
        None => return Err(invalid("restaurant", format!("unknown restaurant code {restaurant:?}"))),
        Some((_, false)) => return Err(invalid("restaurant", "this restaurant is closed (inactive)")),
        Some((id, true)) => id,
    };
    let skus: Vec<(String,)> = sqlx::query_as(
        "SELECT CONVERT(p.sku USING utf8mb4) FROM products p WHERE p.active AND NOT EXISTS ( \
           SELECT 1 FROM recipe_ingredients ri \
           LEFT JOIN stock s ON s.restaurant_id = ? AND s.ingredient_id = ri.ingredient_id \
           WHERE ri.product_id = p.id AND COALESCE(s.quantity, 0) < ri.quantity) \
         ORDER BY p.sku",
    )
    .bind(restaurant_id)
    .fetch_all(pool)
    .await?;
    Ok(skus.into_iter().map(|(s,)| s).collect())
}
