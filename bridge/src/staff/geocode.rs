//! Geocoding delivery addresses (issue 12), when OCPIZZA_GEOCODING_KEY is set: Google's Geocoding API
//! (`GET …/maps/api/geocode/json?address=…&key=…` → `{"status", "results":[{"geometry":{"location":{"lat","lng"}}}]}`).
//! Each address is asked once: `OK` stores the coordinates, `ZERO_RESULTS` is remembered as such; a transient
//! answer (`OVER_QUERY_LIMIT`, `UNKNOWN_ERROR`, network) leaves the address to be asked on a later read; a refusal
//! (`REQUEST_DENIED`, `INVALID_REQUEST`) is logged. The key is never logged.

use std::time::Duration;

use serde_json::Value;
use sqlx::MySqlPool;

use crate::config::SecretString;

/// Addresses geocoded per deliveries read at most (the first read after a rush pays for a few calls only).
pub const MAX_PER_READ: i64 = 10;

pub struct Geocoder {
    url: String,
    key: SecretString,
    client: reqwest::Client,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Found { lat: f64, lng: f64 },
    NotFound,
}

impl Geocoder {
    pub fn new(url: &str, key: SecretString) -> Result<Geocoder, reqwest::Error> {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
        Ok(Geocoder { url: url.to_owned(), key, client })
    }

    /// `Err` = ask again later.
    pub async fn geocode(&self, address: &str) -> Result<Answer, String> {
        let resp = self
            .client
            .get(&self.url)
            .query(&[("address", address), ("key", self.key.expose())])
            .send()
            .await
            .map_err(|e| format!("geocoding unreachable: {}", e.without_url()))?;
        let status = resp.status();
        let body: Value = resp.json().await.map_err(|_| format!("geocoding answered HTTP {status} without JSON"))?;
        match body["status"].as_str().unwrap_or("") {
            "OK" => {
                let loc = &body["results"][0]["geometry"]["location"];
                match (loc["lat"].as_f64(), loc["lng"].as_f64()) {
                    (Some(lat), Some(lng)) if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lng) => {
                        Ok(Answer::Found { lat, lng })
                    }
                    _ => Err("geocoding answered OK without a location".into()),
                }
            }
            "ZERO_RESULTS" => Ok(Answer::NotFound),
            other => Err(format!(
                "geocoding answered {other}: {}",
                body["error_message"].as_str().unwrap_or("").chars().take(200).collect::<String>()
            )),
        }
    }
}

/// Geocodes the not-yet-asked addresses of the restaurant's deliveries in `statuses`, at most [`MAX_PER_READ`].
/// Two devices reading at once may both ask for one address; the first answer stored wins.
pub async fn geocode_deliveries(
    pool: &MySqlPool,
    geocoder: &Geocoder,
    restaurant_id: i64,
    statuses: &[String],
) -> Result<usize, sqlx::Error> {
    let mut q = sqlx::QueryBuilder::<sqlx::MySql>::new(
        "SELECT DISTINCT a.id, a.line1, a.line2, a.postcode, a.city, CONVERT(a.country USING utf8mb4) \
         FROM orders o JOIN customer_addresses a ON a.id = o.delivery_address_id \
         WHERE a.geocoded_at IS NULL AND o.fulfilment = 'delivery' AND o.restaurant_id = ",
    );
    q.push_bind(restaurant_id).push(" AND o.status IN (");
    let mut sep = q.separated(", ");
    for s in statuses {
        sep.push_bind(s.as_str());
    }
    q.push(") LIMIT ").push_bind(MAX_PER_READ);
    let rows: Vec<(i64, String, String, String, String, String)> = q.build_query_as().fetch_all(pool).await?;
    let mut done = 0;
    for (id, line1, line2, postcode, city, country) in rows {
        let address = super::view::Address { line1, line2, postcode, city, country };
        let (lat, lng, status) = match geocoder.geocode(&address.one_line()).await {
            Ok(Answer::Found { lat, lng }) => (Some(lat), Some(lng), "OK"),
            Ok(Answer::NotFound) => (None, None, "ZERO_RESULTS"),
            Err(reason) => {
                tracing::warn!(address_id = id, %reason, "address not geocoded; will ask again");
                continue;
            }
        };
        store(pool, id, lat, lng, status).await?;
        done += 1;
    }
    Ok(done)
}

/// Stores one answer and, in the same transaction, counts it as a change of every order delivered to that address
/// (their navigation link changes): the staff app's ETag and `since` cursor see it (`ocpizza_db::store::changes`).
async fn store(pool: &MySqlPool, id: i64, lat: Option<f64>, lng: Option<f64>, status: &str) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let result = async {
        let stored = sqlx::query(
            "UPDATE customer_addresses SET latitude = ?, longitude = ?, geocode_status = ?, \
             geocoded_at = UTC_TIMESTAMP(6) WHERE id = ? AND geocoded_at IS NULL",
        )
        .bind(lat)
        .bind(lng)
        .bind(status)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if stored == 0 {
            // Another read stored its answer first, and counted the change.
            return Ok(());
        }
        let orders: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT restaurant_id, id FROM orders WHERE delivery_address_id = ? ORDER BY restaurant_id, id FOR UPDATE",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        let mut by_restaurant: std::collections::BTreeMap<i64, Vec<i64>> = std::collections::BTreeMap::new();
        for (restaurant_id, order_id) in orders {
            by_restaurant.entry(restaurant_id).or_default().push(order_id);
        }
        for (restaurant_id, order_ids) in by_restaurant {
            ocpizza_db::store::changes::touch_orders(&mut tx, restaurant_id, &order_ids).await?;
        }
        Ok(())
    }
    .await;
    ocpizza_db::store::finish(tx, result).await
}
