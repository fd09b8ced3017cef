//! recordPayment, setStatus, availableProducts and restaurants on a real MariaDB database of their own.

mod store_fixture;


use ocpizza_core::events::{Envelope, Event};
use ocpizza_core::status::OrderStatus;
use ocpizza_db::store::{self, PaymentRecorded};
use serde_json::{Value, json};
use store_fixture::*;

fn payment(shop_order_id: i64, key: &str, status: &str) -> Value {
    json!({"shop_order_id": shop_order_id, "provider": "sogecommerce", "transaction_key": key,
           "amount_cents": 1650, "currency": "EUR", "status": status, "raw_status": "CAPTURED",
           "transaction_id": "123456", "occurred_at": "2026-11-29T18:31:00Z"})
}

#[tokio::test]
async fn a_paid_notification_is_recorded_once_with_an_order_paid_event() {
    let db = db().await;
    store::record_order(&db.pool, &order(3001)).await.unwrap();
    let first = store::record_payment(&db.pool, &payment(3001, "sc:12345678:123456:1:CAPTURED", "paid"))
        .await
        .unwrap();
    assert!(first.created);
    let before = snapshot(&db.pool).await;
    let again = store::record_payment(&db.pool, &payment(3001, "sc:12345678:123456:1:CAPTURED", "paid"))
        .await
        .unwrap();
    assert_eq!(
        again,
        PaymentRecorded {
            payment_id: first.payment_id,
            created: false
        }
    );
    assert_eq!(
        snapshot(&db.pool).await,
        before,
        "a replayed notification writes nothing"
    );

    let evs = events(&db.pool).await;
    assert_eq!(
        evs.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        vec!["order.created", "order.paid"]
    );
    let env: Envelope = serde_json::from_value(evs[1].1.clone()).unwrap();
    let Event::OrderPaid(p) = Event::from_envelope(&env).unwrap() else {
        panic!("wrong event")
    };
    assert_eq!(
        (p.shop_order_id, p.amount_cents, p.status.as_str()),
        (3001, 1650, "paid")
    );
    assert_eq!(p.occurred_at, "2026-11-29T18:31:00.000000Z");
    assert_eq!(p.restaurant, "TESTA");
}

#[tokio::test]
async fn parse_notification_keys_are_accepted_and_outcomes_map_to_events() {
    let db = db().await;
    store::record_order(&db.pool, &order(3002)).await.unwrap();
    // What SogeCommerce::parseNotification() returns, plus shop_order_id.
    let pending = json!({"shop_order_id": 3002, "idempotency_key": "k-pending", "outcome": "pending",
        "raw_status": "WAITING_AUTHORISATION", "amount_cents": 1650, "currency": "EUR", "currency_numeric": "978",
        "transaction_date": "2026-11-29T18:30:05Z", "transaction_uuid": null, "site_id": "12345678"});
    assert!(store::record_payment(&db.pool, &pending).await.unwrap().created);
    assert!(
        store::record_payment(&db.pool, &payment(3002, "k-refused", "failed"))
            .await
            .unwrap()
            .created
    );
    assert!(
        store::record_payment(&db.pool, &payment(3002, "k-abandoned", "cancelled"))
            .await
            .unwrap()
            .created
    );
    let types: Vec<String> = events(&db.pool).await.into_iter().map(|e| e.0).collect();
    assert_eq!(
        types,
        vec!["order.created", "order.payment_failed", "order.payment_failed"],
        "pending has no event"
    );
    let (provider, status): (String, String) =
        sqlx::query_as("SELECT provider, status FROM payments WHERE transaction_key = 'k-pending'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((provider.as_str(), status.as_str()), ("sogecommerce", "pending"));
}

#[tokio::test]
async fn payments_that_do_not_match_the_order_are_refused_and_write_nothing() {
    let db = db().await;
    store::record_order(&db.pool, &order(3003)).await.unwrap();
    store::record_order(&db.pool, &order(3004)).await.unwrap();
    store::record_payment(&db.pool, &payment(3004, "used", "paid"))
        .await
        .unwrap();
    let before = snapshot(&db.pool).await;
    let mut amount = payment(3003, "k1", "paid");
    amount["amount_cents"] = json!(1649);
    let mut currency = payment(3003, "k2", "paid");
    currency["currency"] = json!("USD");
    let cases = [
        (amount, "amount_cents"),
        (currency, "currency"),
        (payment(9999, "k3", "paid"), "shop_order_id"),
        (payment(3003, "used", "paid"), "transaction_key"),
        (payment(3003, "k4", "refunded"), "status"),
    ];
    for (input, expected) in cases {
        assert_eq!(
            field(store::record_payment(&db.pool, &input).await.unwrap_err()),
            expected
        );
    }
    assert_eq!(snapshot(&db.pool).await, before);
}

#[tokio::test]
async fn the_same_notification_from_many_tasks_at_once_is_one_payment() {
    let db = db().await;
    store::record_order(&db.pool, &order(3005)).await.unwrap();
    let created = race(&db.url, 8, |pool| async move {
        store::record_payment(&pool, &payment(3005, "same-event", "paid")).await
    })
    .await
    .into_iter()
    .filter(|r| r.as_ref().unwrap().created)
    .count();
    assert_eq!(created, 1);
    assert_eq!(count(&db.pool, "payments").await, 1);
    assert_eq!(events(&db.pool).await.iter().filter(|e| e.0 == "order.paid").count(), 1);
}

#[tokio::test]
async fn set_status_follows_the_state_machine_with_history_and_events() {
    let db = db().await;
    store::record_order(&db.pool, &order(3006)).await.unwrap();
    assert!(
        store::set_status(&db.pool, 3006, "accepted", Some("ok chef"))
            .await
            .unwrap()
    );
    assert!(
        !store::set_status(&db.pool, 3006, "accepted", None).await.unwrap(),
        "already there"
    );
    let before = snapshot(&db.pool).await;
    for (status, expected_field) in [
        ("ready", "status"),
        ("picked_up", "status"),
        ("shipped", "status"),
        ("received", "status"),
    ] {
        assert_eq!(
            field(store::set_status(&db.pool, 3006, status, None).await.unwrap_err()),
            expected_field
        );
    }
    assert_eq!(
        field(store::set_status(&db.pool, 424242, "accepted", None).await.unwrap_err()),
        "shop_order_id"
    );
    let long_note = "x".repeat(501);
    assert_eq!(
        field(
            store::set_status(&db.pool, 3006, "in_preparation", Some(&long_note))
                .await
                .unwrap_err()
        ),
        "note"
    );
    assert_eq!(snapshot(&db.pool).await, before, "refusals write nothing");

    for s in ["in_preparation", "ready", "out_for_delivery", "delivered"] {
        assert!(store::set_status(&db.pool, 3006, s, None).await.unwrap(), "{s}");
    }
    let err = store::set_status(&db.pool, 3006, "cancelled", None).await.unwrap_err();
    assert!(err.to_string().contains("final"), "{err}");

    let history: Vec<(i32, Option<String>, String, Option<String>)> = sqlx::query_as(
        "SELECT h.seq, h.from_status, h.to_status, h.note FROM order_status_history h \
         JOIN orders o ON o.id = h.order_id WHERE o.shop_order_id = 3006 ORDER BY h.seq",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let seqs: Vec<i32> = history.iter().map(|h| h.0).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(
        history[1],
        (2, Some("received".into()), "accepted".into(), Some("ok chef".into()))
    );
    assert_eq!(history[5].2, "delivered");

    let changes: Vec<Value> = events(&db.pool)
        .await
        .into_iter()
        .filter(|e| e.0 == "order.status_changed")
        .map(|e| e.1)
        .collect();
    assert_eq!(changes.len(), 5);
    let env: Envelope = serde_json::from_value(changes[0].clone()).unwrap();
    let Event::OrderStatusChanged(c) = Event::from_envelope(&env).unwrap() else {
        panic!("wrong event")
    };
    assert_eq!(
        (c.from, c.to, c.note.as_deref()),
        (OrderStatus::Received, OrderStatus::Accepted, Some("ok chef"))
    );
}

#[tokio::test]
async fn available_products_follow_the_stock_and_restaurants_list_active_ones() {
    let db = db().await;
    // Margherita: 250 dough, 80 sauce, 120 mozzarella (300 held) → available; Reine needs ham (none) → not.
    assert_eq!(
        store::available_products(&db.pool, "TESTA").await.unwrap(),
        vec!["DRINK-T-COLA".to_owned(), "PIZZA-T-MARGHERITA".to_owned()]
    );
    // Two margheritas leave 60 g of mozzarella: no margherita possible any more.
    let mut o = order(3007);
    o["lines"][0]["quantity"] = json!(2);
    o["total_cents"] = json!(2650);
    store::record_order(&db.pool, &o).await.unwrap();
    assert_eq!(
        store::available_products(&db.pool, "TESTA").await.unwrap(),
        vec!["DRINK-T-COLA".to_owned()]
    );
    assert_eq!(
        field(store::available_products(&db.pool, "NOPE").await.unwrap_err()),
        "restaurant"
    );
    assert_eq!(
        field(store::available_products(&db.pool, "TESTB").await.unwrap_err()),
        "restaurant"
    );

    let list = store::restaurants(&db.pool).await.unwrap();
    assert_eq!(list.len(), 1, "TESTB is inactive");
    let r = &list[0];
    assert_eq!(
        (r.code.as_str(), r.name.as_str(), r.phone.as_str()),
        ("TESTA", "Test A", "+33 4 00 00 00 01")
    );
    assert_eq!(
        (
            r.address.line1.as_str(),
            r.address.postcode.as_str(),
            r.address.city.as_str()
        ),
        ("1 place Test", "69002", "Lyon")
    );
    assert_eq!(r.delivery_postcodes, vec!["69001".to_owned(), "69002".to_owned()]);
}
