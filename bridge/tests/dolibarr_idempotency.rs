//! Duplicates of every kind: the same event twice, an answer lost after Dolibarr did the work, a crash between
//! "created in Dolibarr" and "id stored", a product created by someone else meanwhile, two workers at once.

mod dolibarr_support;

use axum::http::Method;
use dolibarr_support::*;
use ocpizza_bridge::destination::DeliveryError;
use ocpizza_core::events::Event;
use ocpizza_core::status::{Fulfilment, OrderStatus};
use ocpizza_e2e::dolibarr::{Counts, FaultKind};

fn retry(r: Result<ocpizza_bridge::destination::Outcome, DeliveryError>) -> String {
    match r {
        Err(DeliveryError::Retry { reason, .. }) => reason,
        other => panic!("expected Retry, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_delivered_twice_changes_nothing_the_second_time() {
    let env = env().await;
    let events = [
        Event::OrderCreated(created(2001, 1)),
        Event::OrderPaid(paid(2001, 2440)),
        Event::OrderStatusChanged(status(
            2001,
            Fulfilment::Delivery,
            OrderStatus::OutForDelivery,
            OrderStatus::Delivered,
        )),
    ];
    for ev in &events {
        done(env.deliver(ev.clone()).await);
    }
    let after_first = env.fake.counts();
    let posts = env.fake.request_count("POST", "/");
    for ev in &events {
        let out = done(env.deliver(ev.clone()).await);
        if let Some(created) = out.get("created") {
            assert_eq!(created, &serde_json::json!([]), "nothing created on the replay: {out}");
        }
    }
    assert_eq!(env.fake.counts(), after_first);
    assert_eq!(
        after_first,
        Counts { thirdparties: 1, products: 2, orders: 1, order_lines: 4, invoices: 1, payments: 1 }
    );
    // The replay only reads (no create, validate, pay); the one POST is the close answered 304… which is skipped
    // too because the order is already closed.
    assert_eq!(env.fake.request_count("POST", "/"), posts, "no POST on replay");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_lost_after_the_work_was_done_never_duplicate() {
    let env = env().await;
    // Each create is carried out by Dolibarr but its answer is lost (503), once per kind of object.
    for prefix in ["/thirdparties", "/products", "/orders", "/lines", "/validate", "/createfromorder", "/payments"] {
        env.fake.fail_matching(Some(Method::POST), Some(prefix), 1, FaultKind::DoneButLost);
    }
    let mut attempts = 0;
    loop {
        attempts += 1;
        assert!(attempts <= 20, "converges in a bounded number of attempts");
        match env.deliver(Event::OrderCreated(created(2002, 2))).await {
            Ok(_) => break,
            Err(DeliveryError::Retry { .. }) => continue,
            Err(e) => panic!("{e:?}"),
        }
    }
    loop {
        attempts += 1;
        assert!(attempts <= 40);
        match env.deliver(Event::OrderPaid(paid(2002, 2440))).await {
            Ok(_) => break,
            Err(DeliveryError::Retry { .. }) => continue,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(attempts, 2 + 7, "each of the 7 lost answers cost exactly one retry");
    let lost = env.fake.requests().iter().filter(|r| r.method == "POST" && r.status == 503).count();
    assert_eq!(lost, 7);
    let c = env.fake.counts();
    assert_eq!(c, Counts { thirdparties: 1, products: 2, orders: 1, order_lines: 4, invoices: 1, payments: 1 });
    assert_eq!(env.only_order(2002)["total_ttc"], "24.40000000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_line_answer_does_not_duplicate_the_line() {
    let env = env().await;
    // The third line is added but its answer is lost: the retry sees 3 of 4 lines and adds only the last.
    env.fake.fail_matching(Some(Method::POST), Some("/orders/"), 3, FaultKind::Unavailable { retry_after: None });
    let r = env.deliver(Event::OrderCreated(created(2003, 3))).await;
    assert!(retry(r).contains("503"));
    env.fake.clear_faults();
    done(env.deliver(Event::OrderCreated(created(2003, 3))).await);
    assert_eq!(env.fake.counts().order_lines, 4);

    // Now the first line is added but its answer is lost: the retry finds it and adds only the other three.
    env.fake.fail_matching(Some(Method::POST), Some("/orders/"), 1, FaultKind::DoneButLost);
    retry(env.deliver(Event::OrderCreated(created(2004, 3))).await);
    assert_eq!(env.only_order(2004)["lines"].as_array().unwrap().len(), 1, "the first line was added, its answer lost");
    done(env.deliver(Event::OrderCreated(created(2004, 3))).await);
    let order = env.only_order(2004);
    assert_eq!(order["lines"].as_array().unwrap().len(), 4);
    assert_eq!(order["total_ttc"], "24.40000000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_between_create_and_store_is_resumed_by_lookup() {
    let env = env().await;
    done(env.deliver(Event::OrderCreated(created(2005, 5))).await);
    done(env.deliver(Event::OrderPaid(paid(2005, 2440))).await);
    // As if the process had died each time right after Dolibarr answered: the bridge remembers nothing.
    sqlx::query("DELETE FROM dolibarr_links").execute(&env.db.pool).await.unwrap();
    sqlx::query("DELETE FROM dolibarr_customers").execute(&env.db.pool).await.unwrap();
    let fresh = env.other_destination(); // and a new process: empty caches
    let c0 = env.fake.counts();
    done(deliver_with(&fresh, Event::OrderCreated(created(2005, 5))).await);
    let out = done(deliver_with(&fresh, Event::OrderPaid(paid(2005, 2440))).await);
    assert_eq!(out["already_paid"], true);
    assert_eq!(env.fake.counts(), c0);
    // The ids were found again and stored.
    assert!(env.link_i64(2005, "order_id").await.is_some());
    assert!(env.link_i64(2005, "invoice_id").await.is_some());
    assert!(env.link_i64(2005, "thirdparty_id").await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn product_created_by_someone_else_meanwhile_is_looked_up_again() {
    let env = env().await;
    done(env.deliver(Event::OrderCreated(created(2006, 6))).await);
    // A new process (empty cache) whose product search misses (404) although the product exists: the create
    // answers 500 ErrorProductAlreadyExists, which is resolved by a second lookup, not a failure.
    let fresh = env.other_destination();
    env.fake.fail_matching(Some(Method::GET), Some("/products"), 1, FaultKind::Status(404));
    done(deliver_with(&fresh, Event::OrderCreated(created(2007, 6))).await);
    assert_eq!(env.fake.counts().products, 2);
    assert!(env.fake.requests().iter().any(|r| r.method == "POST" && r.path == "/products" && r.status == 500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_the_same_order_make_one_order() {
    let env = env().await;
    let other = env.other_destination();
    env.fake.set_latency(std::time::Duration::from_millis(20));
    let (a, b) = tokio::join!(
        env.deliver(Event::OrderCreated(created(2008, 8))),
        deliver_with(&other, Event::OrderCreated(created(2008, 8))),
    );
    // One may have had to wait for the other's lock (or be told to retry); neither failed for good.
    for r in [&a, &b] {
        assert!(matches!(r, Ok(_) | Err(DeliveryError::Retry { .. })), "{r:?}");
    }
    if a.is_err() || b.is_err() {
        done(env.deliver(Event::OrderCreated(created(2008, 8))).await);
    }
    let c = env.fake.counts();
    assert_eq!((c.thirdparties, c.orders, c.order_lines), (1, 1, 4), "{c:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn already_validated_or_closed_304_paths_are_success() {
    let env = env().await;
    // Created and validated by a previous attempt whose validation answer was lost.
    env.fake.fail_matching(Some(Method::POST), Some("/orders/"), 5, FaultKind::DoneButLost);
    let mut n = 0;
    while env.deliver(Event::OrderCreated(created(2009, 9))).await.is_err() {
        n += 1;
        assert!(n < 10);
    }
    assert!(env.fake.requests().iter().any(|r| r.path.ends_with("/validate") && r.status == 503));
    assert_eq!(env.only_order(2009)["statut"], "1");

    // A person closed it in Dolibarr before the bridge's close arrived, and the bridge's view is stale.
    let id = env.only_order(2009)["id"].as_str().unwrap().to_owned();
    let http = reqwest::Client::new();
    let url = format!("{}/orders/{id}/close", env.fake.url());
    let r = http.post(&url).header("DOLAPIKEY", KEY).body("{}").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = http.post(&url).header("DOLAPIKEY", KEY).body("{}").send().await.unwrap();
    assert_eq!(r.status(), 304);
    assert!(r.bytes().await.unwrap().is_empty(), "304 has no body");
    let out = done(
        env.deliver(Event::OrderStatusChanged(status(
            2009,
            Fulfilment::Delivery,
            OrderStatus::OutForDelivery,
            OrderStatus::Delivered,
        )))
        .await,
    );
    assert_eq!(out["already_closed"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_orders_of_a_new_customer_at_once_make_one_thirdparty() {
    let env = env().await;
    let other = env.other_destination();
    env.fake.set_latency(std::time::Duration::from_millis(20));
    let (a, b) = tokio::join!(
        env.deliver(Event::OrderCreated(created(2010, 77))),
        deliver_with(&other, Event::OrderCreated(created(2011, 77))),
    );
    for (o, r) in [(2010, a), (2011, b)] {
        if r.is_err() {
            done(env.deliver(Event::OrderCreated(created(o, 77))).await);
        }
    }
    let c = env.fake.counts();
    assert_eq!((c.thirdparties, c.products, c.orders), (1, 2, 2), "{c:?}");
}
