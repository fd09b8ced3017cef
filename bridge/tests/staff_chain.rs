//! The issue 12 scene on the bridge side, through the real HTTP API, the relay, the Dolibarr stand-in and the
//! PrestaShop Webservice stand-in: a pizzaiolo reads the queue and marks ready, a driver takes the order (a second
//! driver gets 409), goes out, collects cash (Dolibarr records a LIQ payment) and marks it delivered; the shop's
//! order follows each state.

mod common;
mod staff_support;

use std::sync::Arc;
use std::time::Duration;

use common::{config, eventually};
use ocpizza_bridge::config::{DolibarrConfig, SecretString};
use ocpizza_bridge::destination::Destination;
use ocpizza_bridge::dolibarr::DolibarrDestination;
use ocpizza_e2e::dolibarr::FakeDolibarr;
use ocpizza_e2e::prestashop_ws::FakePrestaShop;
use serde_json::json;
use staff_support::*;

const KEY: &str = "test-dolibarr-key-staff";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kitchen_to_doorstep_with_cash_recorded_in_dolibarr_as_liq() {
    let fake = FakeDolibarr::start(KEY).await;
    let s = start(config(&[]), Vec::new()).await;
    let dolibarr = DolibarrDestination::new(
        &DolibarrConfig {
            url: fake.url(),
            api_key: SecretString::new(KEY),
            bank_account_id: 1,
            payment_mode: "CB".into(),
            timeout_secs: 5,
            ca_file: None,
            timezone: chrono_tz::Europe::Paris,
            payment_types: Default::default(),
            bank_accounts: Default::default(),
        },
        s.db.pool.clone(),
    )
    .unwrap();
    let shop = FakePrestaShop::start("OCPZ0123456789ABCDEFGHIJKLMNOPQR").await;
    shop.add_state(15); // the module's "Prête"
    shop.add_order(21, 10); // awaiting cash on delivery
    let cfg = config(&[
        ("OCPIZZA_PRESTASHOP_URL", &shop.url()),
        ("OCPIZZA_PRESTASHOP_WS_KEY", "OCPZ0123456789ABCDEFGHIJKLMNOPQR"),
        ("OCPIZZA_PRESTASHOP_STATES", "ready=15"),
    ]);
    let prestashop =
        ocpizza_bridge::prestashop::PrestashopDestination::new(cfg.prestashop.as_ref().unwrap())
            .unwrap();
    let dests: Vec<Arc<dyn Destination>> = vec![Arc::new(dolibarr), Arc::new(prestashop)];
    // A second bridge process on the same database, this one with Dolibarr and PrestaShop: the staff talk to it.
    let app = ocpizza_bridge::app::spawn_app(cfg, s.db.pool.clone(), dests.clone(), &[]).await.unwrap();
    let url = |p: &str| format!("http://{}{p}", app.addr);
    let client = reqwest::Client::new();
    let sign_in = |login: &'static str| {
        let client = client.clone();
        let u = url("/v1/staff/sessions");
        async move {
            let (restaurant, _, pin, _) = STAFF.iter().find(|x| x.1 == login).unwrap();
            let r = client
                .post(u)
                .json(&json!({"restaurant": restaurant, "login": login, "pin": pin}))
                .send()
                .await
                .unwrap();
            r.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
        }
    };
    let call = |token: String, path: String, body: serde_json::Value, key: Option<&'static str>| {
        let client = client.clone();
        let u = url(&path);
        async move {
            let mut r = client.post(u).bearer_auth(token).json(&body);
            if let Some(k) = key {
                r = r.header("idempotency-key", k);
            }
            let r = r.send().await.unwrap();
            (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap_or_default())
        }
    };

    // The shop records the order; its order.created reaches Dolibarr (here through the bridge's reconciliation).
    let reference = record(&s.db.pool, 21, "delivery", "cash_on_delivery", 2).await;
    let names = |t: &str| {
        if t == "order.created" || t == "order.paid" || t == "order.status_changed" { vec!["dolibarr"] } else { vec![] }
    };
    ocpizza_bridge::reconcile::run_once(&s.db.pool, Duration::ZERO, &names).await.unwrap();
    app.notify.notify_one();
    assert!(
        eventually(Duration::from_secs(30), || async { (fake.order_by_ref_ext("PS-21").len() == 1).then_some(()) })
            .await
            .is_some(),
        "the Dolibarr order exists"
    );

    let (emma, luca, karim, julien) =
        (sign_in("emma.g").await, sign_in("luca.b").await, sign_in("karim.h").await, sign_in("julien.p").await);
    let st = |token: &String, to: &str, expected: Option<&str>| {
        let mut body = json!({"status": to});
        if let Some(e) = expected {
            body["expected_status"] = json!(e);
        }
        call(token.clone(), format!("/v1/orders/{reference}/status"), body, None)
    };
    assert_eq!(st(&emma, "accepted", None).await.0, 200);
    // The pizzaiolo reads the queue with the recipe, starts and finishes.
    let queue = client.get(url("/v1/restaurants/BELLECOUR/orders")).bearer_auth(&luca).send().await.unwrap();
    let queue: serde_json::Value = queue.json().await.unwrap();
    let mine =
        queue["orders"].as_array().unwrap().iter().find(|o| o["reference"] == reference.as_str()).unwrap().clone();
    assert!(!mine["lines"][0]["recipe"]["steps"].as_array().unwrap().is_empty());
    assert_eq!(st(&luca, "in_preparation", None).await.0, 200);
    assert_eq!(st(&luca, "ready", None).await.0, 200);
    // Two drivers take it: one wins.
    let (a, b) =
        tokio::join!(st(&karim, "out_for_delivery", Some("ready")), st(&julien, "out_for_delivery", Some("ready")));
    let mut codes = [a.0, b.0];
    codes.sort();
    assert_eq!(codes, [200, 409]);
    let driver = if a.0 == 200 { &karim } else { &julien };
    let (code, paid) = call(
        driver.clone(),
        format!("/v1/orders/{reference}/payments"),
        json!({"method": "cash", "amount_cents": 2 * 990 + 350}),
        Some("pay-21"),
    )
    .await;
    assert_eq!(code, 201, "{paid}");
    assert_eq!(st(driver, "delivered", Some("out_for_delivery")).await.0, 200);

    // Dolibarr: one payment, in cash (LIQ), for the whole amount; the order is delivered (invoiced and paid).
    let payment = eventually(Duration::from_secs(30), || async {
        let p = fake.payments();
        (!p.is_empty()).then_some(p)
    })
    .await
    .expect("a Dolibarr payment");
    assert_eq!(payment.len(), 1, "{payment:#?}");
    assert_eq!(payment[0]["type"], "LIQ", "{payment:#?}");
    assert_eq!(payment[0]["amount"], "23.30000000", "{payment:#?}");
    // The shop's order followed each state the restaurant set (accepted has no PrestaShop state by default).
    let followed = eventually(Duration::from_secs(30), || async {
        let h: Vec<i64> = shop.history(21).iter().map(|h| h.id_order_state).collect();
        (h.len() >= 4).then_some(h)
    })
    .await
    .unwrap_or_else(|| shop.history(21).iter().map(|h| h.id_order_state).collect());
    assert_eq!(followed, [3, 15, 4, 5]);
    app.shutdown().await;
}
