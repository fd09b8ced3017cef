//! Geocoding of delivery addresses (issue 12) against a local stand-in of Google's Geocoding API: the documented
//! request (`GET …/geocode/json?address=…&key=…`) and answer (`{"status", "results":[{"geometry":{"location":
//! {"lat","lng"}}}]}`, statuses OK, ZERO_RESULTS, OVER_QUERY_LIMIT…). Each address is asked once; the link and the
//! answer carry the coordinates.

mod common;
mod staff_support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use common::config;
use serde_json::{Value, json};
use staff_support::*;

type Calls = Arc<Mutex<Vec<BTreeMap<String, String>>>>;

async fn geocoding_standin() -> (String, Calls) {
    let calls: Calls = Arc::default();
    let app = axum::Router::new()
        .route(
            "/maps/api/geocode/json",
            axum::routing::get(|State(calls): State<Calls>, Query(q): Query<BTreeMap<String, String>>| async move {
                let n = {
                    let mut c = calls.lock().unwrap();
                    c.push(q.clone());
                    c.iter().filter(|x| x.get("address") == q.get("address")).count()
                };
                let address = q.get("address").cloned().unwrap_or_default();
                let body = if q.get("key").map(String::as_str) != Some("geo-key-123") {
                    json!({"status": "REQUEST_DENIED", "error_message": "The provided API key is invalid.", "results": []})
                } else if address.contains("Nulle part") {
                    json!({"status": "ZERO_RESULTS", "results": []})
                } else if address.contains("Saxe") && n == 1 {
                    json!({"status": "OVER_QUERY_LIMIT", "error_message": "You have exceeded your rate-limit.", "results": []})
                } else if address.contains("Saxe") {
                    json!({"status": "OK", "results": [{"formatted_address": address, "geometry": {"location": {"lat": 45.7597, "lng": 4.8467}}}]})
                } else {
                    json!({"status": "OK", "results": [{"formatted_address": address, "geometry": {"location": {"lat": 45.757814, "lng": 4.832011}}}]})
                };
                axum::Json(body)
            }),
        )
        .with_state(calls.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/maps/api/geocode/json"), calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_addresses_are_geocoded_once_and_the_link_uses_the_coordinates() {
    let (url, calls) = geocoding_standin().await;
    let s =
        start(config(&[("OCPIZZA_GEOCODING_KEY", "geo-key-123"), ("OCPIZZA_GEOCODING_URL", &url)]), Vec::new()).await;
    for (id, line1) in [(61, "8 rue de la République"), (62, "1 rue de Nulle part"), (63, "20 avenue de Saxe")] {
        let mut input = order_input(id, "delivery", "cash_on_delivery", 1);
        input["delivery_address"]["line1"] = json!(line1);
        ocpizza_db::store::record_order(&s.db.pool, &input).await.unwrap();
        advance(&s.db.pool, id, &["accepted", "in_preparation", "ready"]).await;
    }
    let karim = s.session("karim.h").await;
    let deliveries = |s: &Staffed, token: String| {
        let c = s.client.clone();
        let u = s.url("/v1/restaurants/BELLECOUR/deliveries");
        async move { c.get(u).bearer_auth(token).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let first = deliveries(&s, karim.clone()).await;
    let by_ref =
        |j: &Value, r: &str| j["orders"].as_array().unwrap().iter().find(|o| o["reference"] == r).unwrap().clone();
    let found = by_ref(&first, "STAFF61");
    assert_eq!(found["delivery"]["coordinates"], json!({"lat": 45.757814, "lng": 4.832011}));
    assert_eq!(
        found["delivery"]["navigation_url"],
        "https://www.google.com/maps/dir/?api=1&destination=45.757814%2C4.832011"
    );
    // No result: the text link, and the answer is remembered.
    let nowhere = by_ref(&first, "STAFF62");
    assert!(nowhere["delivery"].get("coordinates").is_none());
    assert!(nowhere["delivery"]["navigation_url"].as_str().unwrap().contains("Nulle%20part"));
    // Over the quota: the text link now, asked again on the next read.
    assert!(by_ref(&first, "STAFF63")["delivery"].get("coordinates").is_none());
    assert_eq!(calls.lock().unwrap().len(), 3);
    assert!(calls.lock().unwrap().iter().all(|q| q.get("key").map(String::as_str) == Some("geo-key-123")));

    let second = deliveries(&s, karim.clone()).await;
    assert_eq!(by_ref(&second, "STAFF63")["delivery"]["coordinates"], json!({"lat": 45.7597, "lng": 4.8467}));
    assert_eq!(calls.lock().unwrap().len(), 4, "only the address left to ask was asked again");
    let _ = deliveries(&s, karim).await;
    assert_eq!(calls.lock().unwrap().len(), 4, "each address once");
    let stored: Vec<(Option<String>,)> = sqlx::query_as(
        "SELECT a.geocode_status FROM customer_addresses a JOIN orders o ON o.delivery_address_id = a.id \
         WHERE o.shop_order_id IN (61, 62, 63) ORDER BY o.shop_order_id",
    )
    .fetch_all(&s.db.pool)
    .await
    .unwrap();
    assert_eq!(stored, [(Some("OK".into()),), (Some("ZERO_RESULTS".into()),), (Some("OK".into()),)]);
}
