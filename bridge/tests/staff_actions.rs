//! What the restaurants do (issue 12): status changes with role rules, the state machine, expected_status and
//! one transaction (status, history with the staff member, outbox event ingested and relayed); payments with
//! Idempotency-Key, the order store's rules, and the answer replayed.

mod common;
mod staff_support;

use std::sync::Arc;
use std::time::Duration;

use common::{Scripted, config, count, eventually};
use ocpizza_bridge::destination::Destination;
use serde_json::{Value, json};
use staff_support::*;

async fn status(s: &Staffed, token: &str, reference: &str, body: Value) -> (u16, Value) {
    s.post(token, &format!("/v1/orders/{reference}/status"), body, None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_may_set_what_and_the_state_machine_decides() {
    let s = start(config(&[]), Vec::new()).await;
    let delivery = record(&s.db.pool, 12, "delivery", "cash_on_delivery", 1).await;
    let takeaway = record(&s.db.pool, 13, "takeaway", "at_restaurant", 1).await;
    let (luca, karim, emma, claire, olivier) = (
        s.session("luca.b").await,
        s.session("karim.h").await,
        s.session("emma.g").await,
        s.session("claire.m").await,
        s.session("olivier.r").await,
    );
    // Roles: each refusal is 403 and writes nothing.
    for (who, to) in [
        (&luca, "accepted"),
        (&luca, "out_for_delivery"),
        (&karim, "ready"),
        (&karim, "cancelled"),
        (&emma, "in_preparation"),
        (&emma, "delivered"),
        (&luca, "cancelled"),
    ] {
        let (st, j) = status(&s, who, &delivery, json!({"status": to})).await;
        assert_eq!((st, j["reason"].as_str()), (403, Some("role_not_allowed")), "{to}: {j}");
    }
    let (st, j) = status(&s, &olivier, &delivery, json!({"status": "cancelled"})).await;
    assert_eq!((st, j["reason"].as_str()), (403, Some("wrong_restaurant")), "{j}");
    assert_eq!(
        count(&s.db.pool, "SELECT COUNT(*) FROM order_status_history WHERE changed_by_staff_id IS NOT NULL").await,
        0
    );

    // The state machine: a pizzaiolo cannot skip "accepted"; 409 says where the order is.
    let (st, j) = status(&s, &luca, &delivery, json!({"status": "ready"})).await;
    assert_eq!(
        (st, j["reason"].as_str(), j["current_status"].as_str()),
        (409, Some("invalid_transition"), Some("received")),
        "{j}"
    );
    let (st, j) = status(&s, &emma, &delivery, json!({"status": "accepted"})).await;
    assert_eq!((st, j["changed"].as_bool(), j["previous_status"].as_str()), (200, Some(true), Some("received")), "{j}");
    // The same status again: 200, changed false, nothing written.
    let (st, j) = status(&s, &emma, &delivery, json!({"status": "accepted"})).await;
    assert_eq!((st, j["changed"].as_bool()), (200, Some(false)), "{j}");
    // A takeaway is picked up, not delivered; the cashier hands it over.
    advance(&s.db.pool, 13, &["accepted", "in_preparation", "ready"]).await;
    let (st, j) = status(&s, &claire, &takeaway, json!({"status": "delivered"})).await;
    assert_eq!(
        (st, j["reason"].as_str(), j["current_status"].as_str()),
        (409, Some("invalid_transition"), Some("ready")),
        "{j}"
    );
    let (st, _) = status(&s, &emma, &takeaway, json!({"status": "picked_up"})).await;
    assert_eq!(st, 200);
    // A manager may cancel; a final status stays final.
    let (st, _) =
        status(&s, &claire, &delivery, json!({"status": "cancelled", "note": "client absent au téléphone"})).await;
    assert_eq!(st, 200);
    let (st, j) = status(&s, &claire, &delivery, json!({"status": "accepted"})).await;
    assert_eq!((st, j["current_status"].as_str()), (409, Some("cancelled")));

    // Input refusals name the field.
    for (body, st_want, reason) in [
        (json!({"status": "baking"}), 422, "invalid_status"),
        (json!({"status": "ready", "expected_status": "later"}), 422, "invalid_status"),
        (json!({"status": "ready", "note": "x".repeat(501)}), 422, "invalid_note"),
        (json!({"state": "ready"}), 400, "malformed_body"),
    ] {
        let (st, j) = status(&s, &claire, &delivery, body.clone()).await;
        assert_eq!((st, j["reason"].as_str()), (st_want, Some(reason)), "{body}: {j}");
    }
    let (st, j) = status(&s, &claire, "NOSUCH", json!({"status": "ready"})).await;
    assert_eq!((st, j["reason"].as_str()), (404, Some("unknown_order")));
    let (st, _) = status(&s, "ocps_nope", &delivery, json!({"status": "ready"})).await;
    assert_eq!(st, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_transaction_writes_status_history_and_an_event_from_the_restaurant_which_is_relayed() {
    let sink = Scripted::new("sink");
    let s = start(config(&[]), vec![sink.clone() as Arc<dyn Destination>]).await;
    let reference = record(&s.db.pool, 12, "delivery", "cash_on_delivery", 1).await;
    advance(&s.db.pool, 12, &["accepted"]).await;
    let luca = s.session("luca.b").await;
    let (st, j) = status(&s, &luca, &reference, json!({"status": "in_preparation", "note": "four 2"})).await;
    assert_eq!(st, 200, "{j}");
    let (staff_id, note): (Option<i64>, Option<String>) = sqlx::query_as(
        "SELECT h.changed_by_staff_id, h.note FROM order_status_history h JOIN orders o ON o.id = h.order_id \
         WHERE o.reference = ? AND h.to_status = 'in_preparation'",
    )
    .bind(&reference)
    .fetch_one(&s.db.pool)
    .await
    .unwrap();
    let luca_id: i64 =
        sqlx::query_scalar("SELECT id FROM staff WHERE login = 'luca.b'").fetch_one(&s.db.pool).await.unwrap();
    assert_eq!((staff_id, note.as_deref()), (Some(luca_id), Some("four 2")));
    // The shop's own changes keep no author.
    let shop: Option<i64> = sqlx::query_scalar(
        "SELECT h.changed_by_staff_id FROM order_status_history h JOIN orders o ON o.id = h.order_id \
         WHERE o.reference = ? AND h.to_status = 'accepted'",
    )
    .bind(&reference)
    .fetch_one(&s.db.pool)
    .await
    .unwrap();
    assert_eq!(shop, None);
    let (event_id, payload, published): (String, String, Option<chrono::NaiveDateTime>) = sqlx::query_as(
        "SELECT CONVERT(event_id USING utf8mb4), payload, published_at FROM outbox \
         WHERE shop_order_id = 12 AND event_type = 'order.status_changed' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&s.db.pool)
    .await
    .unwrap();
    let payload: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(payload["data"]["source"], "restaurant");
    assert_eq!(
        payload["data"]["changed_by"],
        json!({"staff_id": luca_id, "name": "Luca Bianchi", "role": "pizzaiolo"})
    );
    assert_eq!(
        (payload["data"]["from"].as_str(), payload["data"]["to"].as_str()),
        (Some("accepted"), Some("in_preparation"))
    );
    assert!(published.is_some(), "ingested by the bridge in the same transaction");
    let inbox: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox WHERE webhook_id = ?")
        .bind(&event_id)
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
    assert_eq!(inbox, 1);
    // Relayed without waiting for any reconciliation (off in the test config).
    let relayed = eventually(Duration::from_secs(20), || {
        let calls = sink.calls_for(&event_id);
        async move { (!calls.is_empty()).then_some(()) }
    })
    .await;
    assert!(relayed.is_some(), "the event reached the destination");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expected_status_makes_two_drivers_taking_one_order_safe() {
    let s = start(config(&[]), Vec::new()).await;
    let reference = record(&s.db.pool, 12, "delivery", "cash_on_delivery", 1).await;
    advance(&s.db.pool, 12, &["accepted", "in_preparation", "ready"]).await;
    let karim = s.session("karim.h").await;
    let julien = s.session("julien.p").await;
    let take = json!({"status": "out_for_delivery", "expected_status": "ready"});
    // Both at once: exactly one wins, the other gets 409 with the current status.
    let (a, b) =
        tokio::join!(status(&s, &karim, &reference, take.clone()), status(&s, &julien, &reference, take.clone()));
    let mut codes = [a.0, b.0];
    codes.sort();
    assert_eq!(codes, [200, 409], "{a:?} {b:?}");
    let loser = if a.0 == 409 { &a.1 } else { &b.1 };
    assert_eq!(
        (loser["reason"].as_str(), loser["current_status"].as_str()),
        (Some("status_changed"), Some("out_for_delivery"))
    );
    assert_eq!(count(&s.db.pool, "SELECT COUNT(*) FROM order_status_history WHERE to_status = 'out_for_delivery' AND changed_by_staff_id IS NOT NULL").await, 1);
    assert_eq!(
        count(
            &s.db.pool,
            "SELECT COUNT(*) FROM outbox WHERE shop_order_id = 12 AND payload LIKE '%\"to\":\"out_for_delivery\"%'"
        )
        .await,
        1
    );
}

async fn pay(s: &Staffed, token: &str, reference: &str, body: Value, key: Option<&str>) -> (u16, Value) {
    s.post(token, &format!("/v1/orders/{reference}/payments"), body, key).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_is_recorded_once_and_a_retry_with_the_same_key_gets_the_same_answer() {
    let sink = Scripted::new("sink");
    let s = start(config(&[]), vec![sink.clone() as Arc<dyn Destination>]).await;
    let reference = record(&s.db.pool, 12, "delivery", "cash_on_delivery", 2).await; // 2 × 990 + 350
    let online = record(&s.db.pool, 13, "delivery", "card_online", 1).await;
    let karim = s.session("karim.h").await;
    let luca = s.session("luca.b").await;
    let samir = s.session("samir.k").await;
    let cash = json!({"method": "cash", "amount_cents": 2330});

    let (st, j) = pay(&s, &karim, &reference, cash.clone(), None).await;
    assert_eq!((st, j["reason"].as_str()), (400, Some("missing_idempotency_key")));
    let (st, j) = pay(&s, &luca, &reference, cash.clone(), Some("k-1")).await;
    assert_eq!((st, j["reason"].as_str()), (403, Some("role_not_allowed")));
    let (st, j) = pay(&s, &samir, &reference, cash.clone(), Some("k-1")).await;
    assert_eq!((st, j["reason"].as_str()), (403, Some("wrong_restaurant")));
    let (st, j) = pay(&s, &karim, &reference, json!({"method": "cash", "amount_cents": 2000}), Some("k-1")).await;
    assert_eq!((st, j["reason"].as_str()), (422, Some("wrong_amount")), "{j}");
    assert!(j["error"].as_str().unwrap().contains("2330 is due"), "{j}");
    let (st, j) = pay(&s, &karim, &reference, json!({"method": "cheque", "amount_cents": 2330}), Some("k-1")).await;
    assert_eq!((st, j["reason"].as_str()), (422, Some("invalid_method")));
    let (st, j) = pay(&s, &karim, &online, json!({"method": "cash", "amount_cents": 1340}), Some("k-9")).await;
    assert_eq!((st, j["reason"].as_str()), (409, Some("paid_online")), "{j}");
    assert_eq!(
        count(
            &s.db.pool,
            "SELECT COUNT(*) FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.shop_order_id IN (12, 13)"
        )
        .await,
        0
    );

    // Four copies at once, same key: one payment, four identical answers.
    let (a, b, c, d) = tokio::join!(
        pay(&s, &karim, &reference, cash.clone(), Some("k-1")),
        pay(&s, &karim, &reference, cash.clone(), Some("k-1")),
        pay(&s, &karim, &reference, cash.clone(), Some("k-1")),
        pay(&s, &karim, &reference, cash.clone(), Some("k-1")),
    );
    for r in [&a, &b, &c, &d] {
        assert_eq!(r, &a, "same answer");
    }
    assert_eq!(a.0, 201, "{a:?}");
    assert_eq!(
        (a.1["method"].as_str(), a.1["amount_cents"].as_i64(), a.1["paid"].as_bool()),
        (Some("cash"), Some(2330), Some(true))
    );
    let (n, provider): (i64, String) = sqlx::query_as(
        "SELECT COUNT(*), MAX(p.provider) FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.shop_order_id = 12",
    )
    .fetch_one(&s.db.pool)
    .await
    .unwrap();
    assert_eq!((n, provider.as_str()), (1, "cash"));
    assert_eq!(count(&s.db.pool, "SELECT COUNT(*) FROM outbox WHERE shop_order_id = 12 AND event_type = 'order.paid' AND published_at IS NOT NULL").await, 1);
    // Later: the same key again is the same answer; the same key for something else is refused; a new key finds
    // the order paid.
    assert_eq!(pay(&s, &karim, &reference, cash.clone(), Some("k-1")).await, a);
    let (st, j) =
        pay(&s, &karim, &reference, json!({"method": "card_terminal", "amount_cents": 2330}), Some("k-1")).await;
    assert_eq!((st, j["reason"].as_str()), (422, Some("idempotency_key_reused")));
    let (st, j) = pay(&s, &karim, &reference, cash.clone(), Some("k-2")).await;
    assert_eq!((st, j["reason"].as_str(), j["current_status"].as_str()), (409, Some("already_paid"), Some("paid")));
    // The order.paid event went to the destinations.
    let event_id: String = sqlx::query_scalar(
        "SELECT CONVERT(event_id USING utf8mb4) FROM outbox WHERE shop_order_id = 12 AND event_type = 'order.paid'",
    )
    .fetch_one(&s.db.pool)
    .await
    .unwrap();
    let relayed = eventually(Duration::from_secs(20), || {
        let calls = sink.calls_for(&event_id);
        async move { (!calls.is_empty()).then_some(()) }
    })
    .await;
    assert!(relayed.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cash_declared_again_by_the_shop_after_the_driver_collected_it_is_not_recorded_twice() {
    let s = start(config(&[]), Vec::new()).await;
    let reference = record(&s.db.pool, 12, "delivery", "cash_on_delivery", 1).await;
    let karim = s.session("karim.h").await;
    let (st, j) = pay(&s, &karim, &reference, json!({"method": "cash", "amount_cents": 1340}), Some("k-12")).await;
    assert_eq!(st, 201, "{j}");
    // What the module records when PrestaShop then reaches a paid state (e.g. "Delivered" posted by the bridge).
    let again = ocpizza_db::store::record_payment(
        &s.db.pool,
        &json!({"shop_order_id": 12, "provider": "cash", "transaction_key": "prestashop-order-12-paid",
                "amount_cents": 1340, "currency": "EUR", "status": "paid", "raw_status": "PS_STATE_5"}),
    )
    .await
    .unwrap();
    assert!(!again.created);
    assert_eq!(again.payment_id, j["payment_id"].as_i64().unwrap());
    assert_eq!(
        count(
            &s.db.pool,
            "SELECT COUNT(*) FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.shop_order_id = 12"
        )
        .await,
        1
    );
    assert_eq!(
        count(&s.db.pool, "SELECT COUNT(*) FROM outbox WHERE shop_order_id = 12 AND event_type = 'order.paid'").await,
        1
    );
    // The other way round: the module declared it first, the driver's app then finds the order paid.
    let other = record(&s.db.pool, 14, "delivery", "cash_on_delivery", 1).await;
    ocpizza_db::store::record_payment(
        &s.db.pool,
        &json!({"shop_order_id": 14, "provider": "cash", "transaction_key": "prestashop-order-14-paid",
                "amount_cents": 1340, "currency": "EUR", "status": "paid", "raw_status": "PS_STATE_5"}),
    )
    .await
    .unwrap();
    let (st, j) = pay(&s, &karim, &other, json!({"method": "cash", "amount_cents": 1340}), Some("k-14")).await;
    assert_eq!((st, j["reason"].as_str()), (409, Some("already_paid")));
}
