//! The happy path of every event type against the Dolibarr stand-in, and what each leaves in Dolibarr and in
//! `dolibarr_links`.

mod dolibarr_support;

use dolibarr_support::*;
use ocpizza_bridge::destination::{Destination, Outcome};
use ocpizza_core::events::Event;
use ocpizza_core::status::{Fulfilment, OrderStatus};
use ocpizza_e2e::dolibarr::EmptyList;
use serde_json::json;
use sqlx::Row;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_created_makes_customer_products_order_with_ttc_lines_validated() {
    let env = env().await;
    let out = done(env.deliver(Event::OrderCreated(created(1001, 42))).await);

    let c = env.fake.counts();
    assert_eq!((c.thirdparties, c.products, c.orders, c.order_lines), (1, 2, 1, 4), "{c:?}");
    let tp = &env.fake.thirdparties()[0];
    assert_eq!(tp["ref_ext"], "PS-CUST-42");
    assert_eq!(tp["email"], "client42@example.com");
    assert_eq!(tp["name"], "Jeanne Martin");
    assert_eq!(tp["client"], "1");
    assert_eq!(tp["zip"], "69002");

    let order = env.only_order(1001);
    assert_eq!(order["ref_client"], "REF1001");
    assert_eq!(order["statut"], "1");
    let r = order["ref"].as_str().unwrap();
    assert!(r.starts_with("CO") && r.len() == "CO2611-0001".len(), "validated ref: {r}");
    // Every line is exactly the shop's TTC price: Dolibarr only rounds the HT/VAT split.
    assert_eq!(order["total_ttc"], "24.40000000");
    let lines = order["lines"].as_array().unwrap();
    assert_eq!(lines[0]["qty"], "2.00000000");
    assert_eq!(lines[0]["total_ttc"], "20.00000000");
    assert_eq!(lines[0]["total_ht"], "18.18000000");
    assert_eq!(lines[2]["product_type"], "1");
    assert_eq!(lines[2]["fk_product"], serde_json::Value::Null);
    assert_eq!(lines[3]["total_ttc"], "-1.00000000");
    // Placed 2026-11-29T18:30Z: the 29th in Paris, sent as noon that day, kept as that day by Dolibarr.
    assert_eq!(env.fake.day_of(&order["date"]), chrono::NaiveDate::from_ymd_opt(2026, 11, 29));

    assert_eq!(out["order_ref"], order["ref"]);
    assert_eq!(out["dolibarr_total_ttc"], "24.40");
    assert_eq!(out["total_mismatch"], false);
    assert_eq!(out["lines_added"], 4);
    assert_eq!(out["created"], json!(["thirdparty", "order", "validation"]));

    let link = env.link(1001).await;
    assert_eq!(link.get::<Option<i64>, _>("order_id"), order["id"].as_str().unwrap().parse().ok());
    assert_eq!(link.get::<Option<String>, _>("order_ref").as_deref(), order["ref"].as_str());
    assert_eq!(link.get::<Option<i64>, _>("dolibarr_total_cents"), Some(2440));
    assert_eq!(link.get::<i8, _>("total_mismatch"), 0);
    assert!(link.get::<Option<chrono::NaiveDateTime>, _>("order_validated_at").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paid_then_delivered_gives_validated_paid_invoice_and_closed_order() {
    let env = env().await;
    done(env.deliver(Event::OrderCreated(created(1002, 7))).await);
    let out = done(env.deliver(Event::OrderPaid(paid(1002, 2440))).await);

    let inv = &env.fake.invoices()[0];
    assert_eq!(env.fake.invoices().len(), 1);
    assert!(inv["ref"].as_str().unwrap().starts_with("FA"), "{inv}");
    assert_eq!(inv["statut"], "2");
    assert_eq!(inv["paye"], "1");
    assert_eq!(inv["ref_client"], "REF1002");
    assert_eq!(inv["total_ttc"], "24.40000000");
    let pays = env.fake.payments();
    assert_eq!(pays.len(), 1);
    assert_eq!(pays[0]["type"], "CB");
    assert_eq!(pays[0]["amount"], "24.40000000");
    assert_eq!(pays[0]["fk_bank_account"], "1");
    assert_eq!(pays[0]["num"], "REF1002");
    assert_eq!(out["invoice_ref"], inv["ref"]);
    assert_eq!(out["already_paid"], false);
    assert_eq!(out["amount_mismatch"], false);
    assert_eq!(env.only_order(1002)["billed"], "1");
    assert!(env.link_i64(1002, "payment_id").await.is_some());
    assert!(env.link_i64(1002, "invoice_id").await.is_some());

    // The payment types dictionary is read once and cached.
    done(env.deliver(Event::OrderCreated(created(1003, 7))).await);
    done(env.deliver(Event::OrderPaid(paid(1003, 2440))).await);
    assert_eq!(env.fake.request_count("GET", "/setup/dictionary/payment_types"), 1);

    let out = done(
        env.deliver(Event::OrderStatusChanged(status(
            1002,
            Fulfilment::Delivery,
            OrderStatus::OutForDelivery,
            OrderStatus::Delivered,
        )))
        .await,
    );
    assert_eq!(out["already_closed"], false);
    assert_eq!(env.only_order(1002)["statut"], "3");
    assert!(env.link(1002).await.get::<Option<chrono::NaiveDateTime>, _>("closed_at").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn takeaway_picked_up_closes_and_other_statuses_are_skipped() {
    let env = env().await;
    let mut ev = created(1004, 8);
    ev.fulfilment = Fulfilment::Takeaway;
    ev.delivery_address = None;
    ev.lines.retain(|l| l.kind != ocpizza_core::events::LineKind::Delivery);
    ev.total_cents = 2150;
    done(env.deliver(Event::OrderCreated(ev)).await);

    let before = env.fake.requests().len();
    let r = env
        .deliver(Event::OrderStatusChanged(status(
            1004,
            Fulfilment::Takeaway,
            OrderStatus::Received,
            OrderStatus::Accepted,
        )))
        .await;
    assert!(matches!(r, Ok(Outcome::Skipped(_))), "{r:?}");
    assert_eq!(env.fake.requests().len(), before, "a skipped status makes no Dolibarr call");

    done(
        env.deliver(Event::OrderStatusChanged(status(
            1004,
            Fulfilment::Takeaway,
            OrderStatus::Ready,
            OrderStatus::PickedUp,
        )))
        .await,
    );
    assert_eq!(env.only_order(1004)["statut"], "3");
    assert_eq!(env.only_order(1004)["total_ttc"], "21.50000000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_order_is_cancelled_with_a_note_and_invoiced_one_is_flagged() {
    let env = env().await;
    done(env.deliver(Event::OrderCreated(created(1005, 9))).await);
    let mut ev = status(1005, Fulfilment::Delivery, OrderStatus::Accepted, OrderStatus::Cancelled);
    ev.note = Some("client injoignable".into());
    let out = done(env.deliver(Event::OrderStatusChanged(ev.clone())).await);
    let order = env.only_order(1005);
    assert_eq!(order["statut"], "-1", "Dolibarr's cancelled status: {order}");
    let note = order["note_private"].as_str().unwrap();
    assert!(note.contains("ANNULÉE dans la boutique") && note.contains("client injoignable"), "{note}");
    assert_eq!(out["cancelled_in_dolibarr"], true);
    assert!(env.link(1005).await.get::<Option<chrono::NaiveDateTime>, _>("cancelled_at").is_some());
    // Delivered again (replay): nothing more changes.
    let requests = env.fake.request_count("POST", "/orders");
    done(env.deliver(Event::OrderStatusChanged(ev)).await);
    assert_eq!(env.fake.request_count("POST", "/orders"), requests);
    assert_eq!(env.fake.request_count("PUT", "/orders"), 1);

    // Paid, then cancelled: the invoice is left to a person (credit note), the order is only annotated.
    done(env.deliver(Event::OrderCreated(created(1006, 9))).await);
    done(env.deliver(Event::OrderPaid(paid(1006, 2440))).await);
    let out = done(
        env.deliver(Event::OrderStatusChanged(status(
            1006,
            Fulfilment::Delivery,
            OrderStatus::Ready,
            OrderStatus::Cancelled,
        )))
        .await,
    );
    assert_eq!(out["cancelled_in_dolibarr"], false);
    assert!(out["needs_review"].as_str().unwrap().contains("credit note"), "{out}");
    assert_eq!(env.only_order(1006)["statut"], "1");
    let review: Option<String> = env.link(1006).await.get("needs_review");
    assert!(review.unwrap().contains("credit note"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_are_found_by_ref_ext_then_email_and_products_reused() {
    let env = env().await;
    // Someone created the customer by hand in Dolibarr, and a namesake with the same e-mail claimed by another
    // shop customer: the free one is claimed (its ref_ext set), nothing is created.
    let other = env.fake.insert_thirdparty(
        json!({"name": "Homonyme", "email": "client50@example.com", "ref_ext": "PS-CUST-999", "client": 1}),
    );
    let by_hand =
        env.fake.insert_thirdparty(json!({"name": "Jeanne Martin", "email": "CLIENT50@example.com", "client": 1}));
    let out = done(env.deliver(Event::OrderCreated(created(1010, 50))).await);
    assert_eq!(out["thirdparty_id"], by_hand);
    assert_ne!(out["thirdparty_id"], other);
    assert_eq!(env.fake.counts().thirdparties, 2);
    let claimed =
        env.fake.thirdparties().into_iter().find(|t| t["id"].as_str() == Some(by_hand.to_string().as_str())).unwrap();
    assert_eq!(claimed["ref_ext"], "PS-CUST-50");

    // Next order of the same customer: known locally, so no search — only a look at the known thirdparty (it
    // may have been deleted by hand); products already exist.
    let searches = |env: &Env| env.fake.requests().iter().filter(|r| r.method == "GET" && r.path == "/thirdparties").count();
    let before = searches(&env);
    let looks = env.fake.request_count("GET", &format!("/thirdparties/{by_hand}"));
    done(env.deliver(Event::OrderCreated(created(1011, 50))).await);
    assert_eq!(searches(&env), before, "no thirdparty search for a known customer");
    assert_eq!(env.fake.request_count("GET", &format!("/thirdparties/{by_hand}")), looks + 1);
    assert_eq!(env.fake.counts().products, 2);
    assert_eq!(env.fake.counts().orders, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_the_same_when_empty_lists_are_200_empty_arrays() {
    let env = env().await;
    env.fake.set_empty_list(EmptyList::EmptyArray);
    done(env.deliver(Event::OrderCreated(created(1020, 60))).await);
    done(env.deliver(Event::OrderPaid(paid(1020, 2440))).await);
    let c = env.fake.counts();
    assert_eq!((c.thirdparties, c.products, c.orders, c.invoices, c.payments), (1, 2, 1, 1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepts_only_the_order_events_it_relays() {
    let env = env().await;
    assert_eq!(env.dest.name(), "dolibarr");
    for (t, want) in [
        ("order.created", true),
        ("order.paid", true),
        ("order.status_changed", true),
        ("order.payment_failed", false),
        ("stock.shortage", false),
    ] {
        assert_eq!(env.dest.accepts(t), want, "{t}");
    }
    let mut p = paid(1030, 100);
    p.status = "pending".into();
    assert!(matches!(env.deliver(Event::OrderPaid(p)).await, Ok(Outcome::Skipped(_))));
    assert!(env.fake.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_after_cancellation_is_flagged_not_retried() {
    let env = env().await;
    done(env.deliver(Event::OrderCreated(created(1040, 11))).await);
    done(
        env.deliver(Event::OrderStatusChanged(status(
            1040,
            Fulfilment::Delivery,
            OrderStatus::Received,
            OrderStatus::Cancelled,
        )))
        .await,
    );
    let r = env.deliver(Event::OrderPaid(paid(1040, 2440))).await;
    match r {
        Ok(Outcome::Skipped(why)) => assert!(why.contains("after the order was cancelled"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(env.fake.counts().invoices, 0);
    let review: Option<String> = env.link(1040).await.get("needs_review");
    assert!(review.unwrap().contains("refund"));
    // Same when the bridge's rows were lost: Dolibarr's cancelled status says it.
    sqlx::query("DELETE FROM dolibarr_links WHERE shop_order_id = 1040").execute(&env.db.pool).await.unwrap();
    match env.deliver(Event::OrderPaid(paid(1040, 2440))).await {
        Ok(Outcome::Skipped(why)) => assert!(why.contains("cancelled in Dolibarr"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(env.fake.counts().invoices, 0);
}
