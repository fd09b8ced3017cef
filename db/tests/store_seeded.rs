//! The store on the fictitious chain of the seed (what the shop and the demo actually run against).

mod store_fixture;

use ocpizza_db::store;
use ocpizza_db::testing::TestDb;
use serde_json::json;
use store_fixture::events;

#[tokio::test]
async fn the_seeded_chain_routes_offers_and_records_orders() {
    let db = TestDb::seeded().await;
    let list = store::restaurants(&db.pool).await.unwrap();
    let codes: Vec<&str> = list.iter().map(|r| r.code.as_str()).collect();
    for code in ["BELLECOUR", "CROIX-ROUSSE", "PART-DIEU", "VAISE", "GERLAND"] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    assert!(
        list.iter().all(|r| !r.delivery_postcodes.is_empty()),
        "every restaurant delivers somewhere"
    );

    // Gerland has no reblochon today: no Savoyarde there, but elsewhere.
    let gerland = store::available_products(&db.pool, "GERLAND").await.unwrap();
    let bellecour = store::available_products(&db.pool, "BELLECOUR").await.unwrap();
    assert!(!gerland.contains(&"PIZZA-SAVOYARDE".to_owned()));
    assert!(bellecour.contains(&"PIZZA-SAVOYARDE".to_owned()));
    assert!(gerland.contains(&"PIZZA-MARGHERITA".to_owned()) && gerland.contains(&"DRINK-COLA-33".to_owned()));

    // Vaise holds smoked salmon for two pizzas: a third is recorded, with a shortage event.
    let order = json!({
        "shop_order_id": 90001, "reference": "SEEDTEST1", "restaurant": "VAISE",
        "placed_at": "2026-11-29T20:00:00+01:00", "fulfilment": "takeaway", "payment_method": "at_restaurant",
        "currency": "EUR", "total_cents": 3 * 1450 + 300,
        "customer": {"shop_customer_id": 9_000_000_105_i64, "email": "aurelie.vidal@example.com", "first_name": "Aurélie",
                     "last_name": "Vidal", "phone": "+33 6 21 22 23 24"},
        "lines": [
            {"sku": "PIZZA-SAUMON", "name": "Pizza Saumon", "quantity": 3, "unit_price_cents": 1450, "vat_rate": "10.00"},
            {"sku": "DRINK-COLA-33", "name": "Coca-Cola 33 cl", "quantity": 1, "unit_price_cents": 300, "vat_rate": "5.50"}
        ]
    });
    let r = store::record_order(&db.pool, &order).await.unwrap();
    assert!(r.created);
    let (customers,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM customers WHERE shop_customer_id = 9000000105")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(customers, 1, "the seeded customer is reused");
    let short: Vec<_> = events(&db.pool)
        .await
        .into_iter()
        .filter(|(t, p)| t == "stock.shortage" && p["data"]["shop_order_id"] == 90001)
        .collect();
    assert_eq!(short.len(), 1);
    let ingredients = short[0].1["data"]["ingredients"].as_array().unwrap().clone();
    assert_eq!(ingredients.len(), 1, "{ingredients:?}");
    assert_eq!(ingredients[0]["name"], "Saumon fumé");
    assert_eq!(
        (ingredients[0]["needed"].as_i64(), ingredients[0]["missing"].as_i64()),
        (Some(210), Some(70))
    );
    assert!(
        !store::available_products(&db.pool, "VAISE")
            .await
            .unwrap()
            .contains(&"PIZZA-SAUMON".to_owned())
    );

    // The demo order 9000000008 is `received`: the staff accept it.
    assert!(store::set_status(&db.pool, 9_000_000_008, "accepted", None).await.unwrap());
}
