//! A thirdparty deleted by hand in Dolibarr after the bridge stored its id must not kill every later order of
//! that customer: the bridge notices it is gone and finds or creates the customer again.

mod dolibarr_support;

use dolibarr_support::*;
use ocpizza_core::events::Event;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thirdparty_deleted_in_dolibarr_is_recreated_for_the_next_order() {
    let env = env().await;
    done(env.deliver(Event::OrderCreated(created(2001, 77))).await);
    let first = env.link_i64(2001, "thirdparty_id").await.expect("thirdparty stored");
    assert!(env.fake.delete_thirdparty(first), "the stand-in held the thirdparty");

    // The next order of the same customer: the stored id is stale.
    done(env.deliver(Event::OrderCreated(created(2002, 77))).await);
    let second = env.link_i64(2002, "thirdparty_id").await.expect("thirdparty stored");
    assert_ne!(second, first, "a new thirdparty replaces the deleted one");
    let tps = env.fake.thirdparties();
    assert_eq!(tps.len(), 1, "{tps:?}");
    assert_eq!(tps[0]["ref_ext"], "PS-CUST-77");
    let order = env.only_order(2002);
    assert_eq!(order["socid"].as_str().map(|s| s.parse::<i64>().unwrap()), Some(second), "{order}");
    assert_eq!(order["statut"], "1");

    // And the one after that reuses the new mapping without creating anything more.
    done(env.deliver(Event::OrderCreated(created(2003, 77))).await);
    assert_eq!(env.link_i64(2003, "thirdparty_id").await, Some(second));
    assert_eq!(env.fake.thirdparties().len(), 1);
}
