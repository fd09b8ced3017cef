//! A burst fan-out: one HTTP/2 connection, one JWT, every kitchen device once, nobody else, and a retried
//! delivery sends nothing again. Also the French texts and the per-order collapse id.

mod apns_support;

use apns_support::*;
use ocpizza_bridge::destination::{Destination, Outcome};
use ocpizza_core::status::{Fulfilment, OrderStatus};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_of_200_pushes_uses_one_connection_and_one_jwt() {
    let rig = Rig::new().await;
    let roles = ["pizzaiolo", "manager", "cashier"];
    let mut kitchen = Vec::new();
    for i in 0..200u64 {
        let t = token("a", i);
        rig.device(&t, roles[(i % 3) as usize]).await;
        kitchen.push(t);
    }
    let driver = token("d", 1);
    rig.device(&driver, "driver").await;
    let gone = token("e", 1);
    let gone_id = rig.device(&gone, "pizzaiolo").await;
    sqlx::query("UPDATE devices SET unregistered_at = UTC_TIMESTAMP(6) WHERE id = ?")
        .bind(gone_id)
        .execute(rig.pool())
        .await
        .unwrap();
    let sandbox = token("f", 1);
    add_device(
        rig.pool(),
        rig.restaurant_id,
        &sandbox,
        "manager",
        "sandbox",
    )
    .await;

    let result = done(
        rig.deliver(1, order_created(501, "XKBKN", Fulfilment::Delivery), 1)
            .await,
    );
    assert_eq!(result["sent"], 200, "{result}");
    assert_eq!(result["devices"].as_array().unwrap().len(), 200);
    assert_eq!(result["body"], "2 pizzas, 1 boisson — livraison 69002 Lyon");

    let stats = rig.fake.stats();
    assert_eq!(stats.connections, 1, "{stats:?}");
    assert_eq!(stats.distinct_jwts, 1, "{stats:?}");
    assert_eq!(stats.accepted, 200, "{stats:?}");
    assert!(
        stats.max_concurrent_streams <= 100,
        "semaphore of 100 in flight: {stats:?}"
    );
    assert_eq!(rig.jwts_signed(), 1);
    for t in &kitchen {
        assert_eq!(rig.fake.accepted_for(t), 1, "{t}");
    }
    for t in [&driver, &gone, &sandbox] {
        assert_eq!(rig.fake.accepted_for(t), 0, "{t} must not be notified");
    }

    let push = &rig.fake.accepted()[0];
    assert_eq!(push.headers["apns-topic"], rig.fake.options().topic);
    assert_eq!(push.headers["apns-push-type"], "alert");
    assert_eq!(push.headers["apns-priority"], "10");
    assert_eq!(push.headers["apns-collapse-id"], "XKBKN");
    assert_eq!(
        push.payload["aps"]["alert"]["title"],
        "Nouvelle commande XKBKN"
    );
    assert_eq!(
        push.payload["aps"]["alert"]["body"],
        "2 pizzas, 1 boisson — livraison 69002 Lyon"
    );
    assert_eq!(push.payload["shop_order_id"], 501);
    assert_eq!(push.payload["reference"], "XKBKN");
    assert_eq!(push.payload["status"], "received");

    // The engine delivers the same delivery again (lease expired, or a replay): nothing is sent twice.
    let again = done(
        rig.deliver(1, order_created(501, "XKBKN", Fulfilment::Delivery), 2)
            .await,
    );
    assert_eq!(again["sent"], 200);
    assert_eq!(rig.fake.stats().accepted, 200);
    assert_eq!(rig.fake.stats().connections, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_goes_to_drivers_with_the_address_and_collapse_id_is_per_order() {
    let rig = Rig::new().await;
    let driver = token("d", 1);
    rig.device(&driver, "driver").await;
    let cashier = token("c", 1);
    rig.device(&cashier, "cashier").await;
    insert_delivery_order(rig.pool(), rig.restaurant_id, 601, "LIVR601").await;

    let ready = status_changed(
        601,
        "LIVR601",
        Fulfilment::Delivery,
        OrderStatus::InPreparation,
        OrderStatus::Ready,
    );
    let r = done(rig.deliver(10, ready, 1).await);
    assert_eq!(r["sent"], 1);
    let pushes = rig.fake.accepted();
    assert_eq!(pushes.len(), 1);
    assert_eq!(pushes[0].token, driver);
    assert_eq!(
        pushes[0].payload["aps"]["alert"]["title"],
        "Commande LIVR601 prête"
    );
    assert_eq!(
        pushes[0].payload["aps"]["alert"]["body"],
        "À livrer au 12 rue de la République, 3e étage, 69002 Lyon"
    );
    assert_eq!(pushes[0].payload["status"], "ready");
    assert_eq!(pushes[0].headers["apns-collapse-id"], "LIVR601");

    let takeaway = status_changed(
        602,
        "EMP602",
        Fulfilment::Takeaway,
        OrderStatus::InPreparation,
        OrderStatus::Ready,
    );
    done(rig.deliver(11, takeaway, 1).await);
    let pushes = rig.fake.accepted();
    assert_eq!(pushes.len(), 2);
    assert_eq!(pushes[1].token, cashier);
    assert_eq!(
        pushes[1].payload["aps"]["alert"]["body"],
        "Prête pour le retrait au comptoir"
    );
    assert_eq!(
        pushes[1].headers["apns-collapse-id"], "EMP602",
        "one collapse id per order"
    );

    // Statuses the staff set themselves notify nobody; payment events are not for APNs at all.
    let accepted = status_changed(
        601,
        "LIVR601",
        Fulfilment::Delivery,
        OrderStatus::Received,
        OrderStatus::Accepted,
    );
    assert!(matches!(
        rig.deliver(12, accepted, 1).await,
        Ok(Outcome::Skipped(_))
    ));
    assert!(rig.dest.accepts("order.created") && rig.dest.accepts("order.status_changed"));
    assert!(!rig.dest.accepts("order.paid") && !rig.dest.accepts("stock.shortage"));
    assert_eq!(rig.dest.name(), "apns");
    assert_eq!(rig.fake.stats().accepted, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_device_is_a_skip_not_an_error() {
    let rig = Rig::new().await;
    rig.device(&token("d", 1), "driver").await;
    let out = rig
        .deliver(1, order_created(1, "ABC", Fulfilment::Takeaway), 1)
        .await;
    match out {
        Ok(Outcome::Skipped(why)) => assert!(why.contains("pizzaiolo/manager/cashier"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(rig.fake.stats().requests, 0);
}
