//! What the staff app reads (issue 12): the queue with recipes, ETag polling, deliveries, one order, and the
//! restaurant scope of a session.

mod common;
mod staff_support;

use common::config;
use serde_json::Value;
use staff_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_lists_open_orders_oldest_first_with_the_recipe_for_the_quantity_ordered() {
    let s = start(config(&[]), Vec::new()).await;
    let late = record(&s.db.pool, 41, "takeaway", "at_restaurant", 1).await;
    let early = record(&s.db.pool, 12, "delivery", "cash_on_delivery", 2).await;
    let luca = s.session("luca.b").await;
    let (st, j) = s.get(&luca, "/v1/restaurants/BELLECOUR/orders").await;
    assert_eq!(st, 200, "{j}");
    let refs: Vec<&str> = j["orders"].as_array().unwrap().iter().map(|o| o["reference"].as_str().unwrap()).collect();
    // The seed's open BELLECOUR order (DEMO-0006, ready) was placed before ours; its delivered one is not listed.
    assert_eq!(refs, ["DEMO-0006", early.as_str(), late.as_str()], "{j}");
    assert_eq!(j["count"], 3);
    let o = &j["orders"][1];
    assert_eq!(o["type"], "delivery");
    assert_eq!(o["status"], "received");
    assert_eq!(o["placed_at"], "2026-12-07T18:12:00.000000Z");
    assert_eq!(o["customer"]["first_name"], "Lucie");
    assert_eq!(o["notes"], serde_json::json!([]));
    let pizza = &o["lines"][0];
    assert_eq!((pizza["sku"].as_str(), pizza["quantity"].as_i64()), (Some("PIZZA-MARGHERITA"), Some(2)));
    let recipe = &pizza["recipe"];
    let qty = |name: &str| {
        recipe["ingredients"].as_array().unwrap().iter().find(|i| i["name"] == name).map(|i| i["quantity"].clone())
    };
    // The seed's Margherita: 80 g of tomato sauce and 125 g of mozzarella per pizza.
    assert_eq!(qty("Sauce tomate"), Some(Value::from(160)), "{recipe}");
    assert_eq!(qty("Mozzarella fior di latte"), Some(Value::from(250)), "{recipe}");
    assert_eq!(recipe["steps"][0], "Étaler le pâton à 30 cm.");
    assert_eq!(recipe["steps"].as_array().unwrap().len(), 5);
    assert_eq!((recipe["bake_minutes"].as_i64(), recipe["oven_celsius"].as_i64()), (Some(4), Some(400)));
    // The delivery-fee line has no recipe.
    assert_eq!(o["lines"][1]["kind"], "delivery");
    assert!(o["lines"][1].get("recipe").is_none());
    assert_eq!(o["payment"]["to_collect_cents"], 2 * 990 + 350);
    assert_eq!(o["payment"]["collect_with"], serde_json::json!(["cash"]));

    // A status filter, and refusals naming what is wrong.
    let (_, j) = s.get(&luca, "/v1/restaurants/BELLECOUR/orders?status=received,accepted").await;
    assert_eq!(j["count"], 2);
    let (st, j) = s.get(&luca, "/v1/restaurants/BELLECOUR/orders?status=baking").await;
    assert_eq!((st, j["reason"].as_str()), (422, Some("invalid_status")));
    assert!(j["error"].as_str().unwrap().starts_with("status:"), "{j}");
    let (st, j) = s.get(&luca, "/v1/restaurants/BELLECOUR/orders?sort=asc").await;
    assert_eq!((st, j["reason"].as_str()), (400, Some("invalid_query")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_with_if_none_match_gets_304_until_something_changes() {
    let s = start(config(&[]), Vec::new()).await;
    record(&s.db.pool, 12, "delivery", "cash_on_delivery", 1).await;
    let luca = s.session("luca.b").await;
    let url = s.url("/v1/restaurants/BELLECOUR/orders");
    let first = s.client.get(&url).bearer_auth(&luca).send().await.unwrap();
    assert_eq!(first.status().as_u16(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.len() == 34, "{etag}");
    let again = s.client.get(&url).bearer_auth(&luca).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    assert!(again.bytes().await.unwrap().is_empty());
    // A status change (here through the shop's path) gives a new body and a new tag.
    advance(&s.db.pool, 12, &["accepted"]).await;
    let changed = s.client.get(&url).bearer_auth(&luca).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(changed.status().as_u16(), 200);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
    // So does a payment (no status change).
    let etag = changed.headers()["etag"].to_str().unwrap().to_owned();
    ocpizza_db::store::record_payment(
        &s.db.pool,
        &serde_json::json!({"shop_order_id": 12, "transaction_key": "t-12", "amount_cents": 1340, "currency": "EUR",
                            "status": "paid", "provider": "cash", "raw_status": "CASH"}),
    )
    .await
    .unwrap();
    let paid = s.client.get(&url).bearer_auth(&luca).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(paid.status().as_u16(), 200);
    let j: Value = paid.json().await.unwrap();
    let o = j["orders"].as_array().unwrap().iter().find(|o| o["reference"] == "STAFF12").unwrap();
    assert_eq!((o["payment"]["paid"].as_bool(), o["payment"]["to_collect_cents"].as_i64()), (Some(true), Some(0)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_show_the_address_phone_amount_and_a_navigation_link() {
    let s = start(config(&[]), Vec::new()).await;
    let cash = record(&s.db.pool, 12, "delivery", "cash_on_delivery", 1).await;
    let card = record(&s.db.pool, 13, "delivery", "card_on_delivery", 1).await;
    let online = record(&s.db.pool, 14, "delivery", "card_online", 1).await;
    record(&s.db.pool, 15, "delivery", "cash_on_delivery", 1).await; // stays received: not the driver's yet
    for id in [12, 13, 14] {
        advance(&s.db.pool, id, &["accepted", "in_preparation", "ready"]).await;
    }
    advance(&s.db.pool, 13, &["out_for_delivery"]).await;
    let karim = s.session("karim.h").await;
    let (st, j) = s.get(&karim, "/v1/restaurants/BELLECOUR/deliveries").await;
    assert_eq!(st, 200, "{j}");
    let orders = j["orders"].as_array().unwrap();
    let refs: Vec<&str> = orders.iter().map(|o| o["reference"].as_str().unwrap()).collect();
    // The seed's ready BELLECOUR order is a takeaway: not listed.
    assert_eq!(refs, [cash.as_str(), card.as_str(), online.as_str()]);
    let o = &orders[0];
    assert_eq!(o["customer"]["phone"], "+33 6 98 76 54 32");
    assert_eq!(o["delivery"]["address"]["line1"], "8 rue de la République");
    assert_eq!(
        o["delivery"]["navigation_url"],
        "https://www.google.com/maps/dir/?api=1&destination=8%20rue%20de%20la%20R%C3%A9publique%2C%203e%20%C3%A9tage%2C%2069002%20Lyon%2C%20FR"
    );
    assert_eq!(
        (o["payment"]["to_collect_cents"].as_i64(), &o["payment"]["collect_with"]),
        (Some(1340), &serde_json::json!(["cash"]))
    );
    assert_eq!(orders[1]["payment"]["collect_with"], serde_json::json!(["card_terminal"]));
    assert_eq!(orders[1]["status"], "out_for_delivery");
    assert_eq!(
        (orders[2]["payment"]["to_collect_cents"].as_i64(), &orders[2]["payment"]["collect_with"]),
        (Some(0), &serde_json::json!([]))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_order_and_the_restaurant_scope() {
    let s = start(config(&[]), Vec::new()).await;
    let reference = record(&s.db.pool, 12, "delivery", "cash_on_delivery", 1).await;
    let luca = s.session("luca.b").await;
    let samir = s.session("samir.k").await;
    let (st, one) = s.get(&luca, &format!("/v1/orders/{reference}")).await;
    assert_eq!(st, 200, "{one}");
    let (_, list) = s.get(&luca, "/v1/restaurants/BELLECOUR/orders?status=received").await;
    assert_eq!(one, list["orders"][0], "same shape as in the lists");

    for path in [
        "/v1/restaurants/BELLECOUR/orders".to_owned(),
        "/v1/restaurants/BELLECOUR/deliveries".to_owned(),
        format!("/v1/orders/{reference}"),
    ] {
        let (st, j) = s.get(&samir, &path).await;
        assert_eq!((st, j["reason"].as_str()), (403, Some("wrong_restaurant")), "{path}: {j}");
        let (st, j) = s.get("", &path).await;
        assert_eq!(st, 401, "{path}: {j}");
        let (st, _) = s.get("ocps_0123", &path).await;
        assert_eq!(st, 401, "{path}");
    }
    // GERLAND's own seeded order is GERLAND's to read.
    let (st, _) = s.get(&samir, "/v1/orders/DEMO-0005").await;
    assert_eq!(st, 200);
    let (st, j) = s.get(&luca, "/v1/orders/NOSUCHREF").await;
    assert_eq!((st, j["reason"].as_str()), (404, Some("unknown_order")));
    let (st, j) = s.get(&luca, "/v1/orders/bad%21ref").await;
    assert_eq!((st, j["reason"].as_str()), (422, Some("invalid_reference")));
}
