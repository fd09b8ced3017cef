//! The `prestashop` destination (issue 12) against the PrestaShop Webservice stand-in (tests/src/prestashop_ws.rs):
//! what the restaurants record reaches the shop's order history, the shop's own changes are not sent back, a 500
//! after a saved state is not posted twice, and `doctor` checks the key and the mapped states.

mod common;
mod staff_support;

use std::sync::Arc;
use std::time::Duration;

use common::{config, eventually};
use ocpizza_bridge::config::{Config, PrestashopConfig};
use ocpizza_bridge::destination::Destination;
use ocpizza_bridge::prestashop::{PrestashopDestination, doctor};
use ocpizza_e2e::prestashop_ws::{FakePrestaShop, PS_OS_PAYMENT};
use serde_json::json;
use staff_support::*;

const KEY: &str = "OCPZ0123456789ABCDEFGHIJKLMNOPQR";
/// The module's "Prête" state in this shop.
const READY: i64 = 15;

fn ps_config(url: &str, extra: &[(&str, &str)]) -> Config {
    let states = format!("ready={READY}");
    let mut pairs = vec![
        ("OCPIZZA_PRESTASHOP_URL", url),
        ("OCPIZZA_PRESTASHOP_WS_KEY", KEY),
        ("OCPIZZA_PRESTASHOP_STATES", states.as_str()),
    ];
    pairs.extend_from_slice(extra);
    config(&pairs)
}

async fn with_shop(extra: &[(&str, &str)]) -> (Staffed, FakePrestaShop) {
    let fake = FakePrestaShop::start(KEY).await;
    fake.add_state(READY);
    let cfg = ps_config(&fake.url(), extra);
    let s = start(cfg.clone(), Vec::new()).await;
    let dest = PrestashopDestination::new(cfg.prestashop.as_ref().unwrap()).unwrap();
    // The staff talk to a bridge process with the prestashop destination, on the same database.
    let app = ocpizza_bridge::app::spawn_app(cfg, s.db.pool.clone(), vec![Arc::new(dest) as Arc<dyn Destination>], &[])
        .await
        .unwrap();
    let s = Staffed { db: s.db, app, client: s.client };
    (s, fake)
}

async fn set(s: &Staffed, login: &str, reference: &str, to: &str) {
    let token = s.session(login).await;
    let (st, j) = s.post(&token, &format!("/v1/orders/{reference}/status"), json!({"status": to}), None).await;
    assert_eq!(st, 200, "{to}: {j}");
}

async fn states_of(fake: &FakePrestaShop, id_order: i64, n: usize) -> Vec<i64> {
    eventually(Duration::from_secs(30), || async {
        let h = fake.history(id_order);
        (h.len() >= n).then(|| h.iter().map(|r| r.id_order_state).collect::<Vec<_>>())
    })
    .await
    .unwrap_or_else(|| fake.history(id_order).iter().map(|r| r.id_order_state).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_restaurants_changes_and_cash_reach_the_shop_order_history() {
    // `paid` is not sent by default ("Delivered" is a paid state already); here the shop wants it.
    let (s, fake) = with_shop(&[("OCPIZZA_PRESTASHOP_STATES", "ready=15,paid=2")]).await;
    let reference = record(&s.db.pool, 31, "delivery", "cash_on_delivery", 1).await;
    fake.add_order(31, 10); // "Awaiting cash on delivery validation"
    set(&s, "emma.g", &reference, "accepted").await; // not mapped by default: nothing sent
    set(&s, "luca.b", &reference, "in_preparation").await;
    set(&s, "luca.b", &reference, "ready").await;
    set(&s, "karim.h", &reference, "out_for_delivery").await;
    let karim = s.session("karim.h").await;
    let (st, j) = s
        .post(
            &karim,
            &format!("/v1/orders/{reference}/payments"),
            json!({"method": "cash", "amount_cents": 1340}),
            Some("p31"),
        )
        .await;
    assert_eq!(st, 201, "{j}");
    set(&s, "karim.h", &reference, "delivered").await;
    assert_eq!(states_of(&fake, 31, 5).await, [3, READY, 4, PS_OS_PAYMENT, 5]);
    assert!(fake.history(31).iter().all(|h| h.sendemail), "the customer gets PrestaShop's e-mail");
    assert_eq!(fake.current_state(31), Some(5));
    // Every post was preceded by a read of the order (XML body, JSON output, the dispatcher entry point).
    let reqs = fake.requests();
    assert!(reqs.iter().all(|r| r.query.get("output_format").map(String::as_str) == Some("JSON")));
    assert_eq!(reqs.iter().filter(|r| r.method == "POST").count(), 5);
    assert!(reqs.iter().filter(|r| r.method == "GET").count() >= 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shops_own_changes_are_not_sent_back() {
    let (s, fake) = with_shop(&[]).await;
    record(&s.db.pool, 32, "delivery", "card_online", 1).await;
    fake.add_order(32, 2);
    // The shop's path: Store::setStatus and recordPayment (module), published by the reconciliation here.
    advance(&s.db.pool, 32, &["accepted", "in_preparation"]).await;
    ocpizza_db::store::record_payment(
        &s.db.pool,
        &json!({"shop_order_id": 32, "transaction_key": "sc-32", "amount_cents": 1340, "currency": "EUR",
                "status": "paid", "raw_status": "AUTHORISED"}),
    )
    .await
    .unwrap();
    let dests = |t: &str| if t == "order.status_changed" || t == "order.paid" { vec!["prestashop"] } else { vec![] };
    let r = ocpizza_bridge::reconcile::run_once(&s.db.pool, Duration::ZERO, &dests).await.unwrap();
    assert!(r.ingested >= 3, "{r:?}");
    s.app.notify.notify_one();
    let done = eventually(Duration::from_secs(30), || async {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE destination = 'prestashop' AND status = 'done'")
                .fetch_one(&s.db.pool)
                .await
                .unwrap();
        (n >= 3).then_some(n)
    })
    .await;
    assert!(done.is_some());
    assert!(fake.history(32).is_empty(), "{:?}", fake.history(32));
    assert!(fake.requests().is_empty(), "not even read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_after_a_saved_state_is_not_posted_twice() {
    let (s, fake) = with_shop(&[]).await;
    let reference = record(&s.db.pool, 33, "delivery", "cash_on_delivery", 1).await;
    advance(&s.db.pool, 33, &["accepted"]).await;
    fake.add_order(33, 10);
    fake.set_mailer_fails(true);
    set(&s, "luca.b", &reference, "in_preparation").await;
    // First attempt: saved, answered 500; the retry reads state 3 and stops there.
    let done = eventually(Duration::from_secs(30), || async {
        let row: Option<(String, i32)> = sqlx::query_as(
            "SELECT d.status, d.attempt FROM deliveries d WHERE d.destination = 'prestashop' AND d.status = 'done'",
        )
        .fetch_optional(&s.db.pool)
        .await
        .unwrap();
        row
    })
    .await
    .expect("delivered on a retry");
    assert_eq!(done.1, 2, "one failed attempt, then done");
    assert_eq!(fake.history(33).len(), 1, "posted once");
    assert_eq!(fake.current_state(33), Some(3));
}

/// The error of a dead `prestashop` delivery whose error matches `like`, once there is one.
async fn dead_prestashop_error(pool: &sqlx::MySqlPool, like: &str) -> String {
    eventually(Duration::from_secs(30), || async {
        sqlx::query_scalar::<_, Option<String>>(
            "SELECT last_error FROM deliveries WHERE destination = 'prestashop' AND status = 'dead' AND last_error LIKE ?",
        )
        .bind(like)
        .fetch_optional(pool)
        .await
        .unwrap()
        .flatten()
    })
    .await
    .expect("a dead prestashop delivery")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_order_or_a_refused_key_is_dead_with_the_reason() {
    let (s, fake) = with_shop(&[]).await;
    let reference = record(&s.db.pool, 34, "delivery", "cash_on_delivery", 1).await;
    advance(&s.db.pool, 34, &["accepted"]).await;
    // PrestaShop has no order 34.
    set(&s, "luca.b", &reference, "in_preparation").await;
    let dead = dead_prestashop_error(&s.db.pool, "%").await;
    assert!(dead.contains("PrestaShop has no order 34"), "{dead}");
    // A key that lost its order_histories POST permission: dead, PrestaShop's reason kept.
    fake.add_order(34, 3);
    fake.revoke("order_histories", "POST");
    set(&s, "luca.b", &reference, "ready").await;
    let dead = dead_prestashop_error(&s.db.pool, "%405%").await;
    assert!(dead.contains("code 25"), "{dead}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_checks_the_key_and_the_mapped_states() {
    let fake = FakePrestaShop::start(KEY).await;
    let cfg = |key: &str, states: &str| -> PrestashopConfig {
        Config::from_map(
            &[
                ("OCPIZZA_PRESTASHOP_URL".to_string(), fake.url()),
                ("OCPIZZA_PRESTASHOP_WS_KEY".to_string(), key.to_string()),
                ("OCPIZZA_PRESTASHOP_STATES".to_string(), states.to_string()),
            ]
            .into_iter()
            .collect(),
        )
        .unwrap()
        .prestashop
        .unwrap()
    };
    let ok = doctor(&cfg(KEY, "")).await.unwrap();
    assert!(ok.contains("5 mapped state(s) exist"), "{ok}");
    let e = doctor(&cfg(KEY, &format!("ready={READY}"))).await.unwrap_err().to_string();
    assert!(e.contains("ready=15"), "{e}");
    let e = doctor(&cfg("ZZZZ0123456789ABCDEFGHIJKLMNOPQR", "")).await.unwrap_err().to_string();
    assert!(e.contains("the key is refused") && e.contains("code 20"), "{e}");
    assert!(!e.contains("ZZZZ0123456789"), "{e}");
}
