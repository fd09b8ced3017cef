//! Faults: Dolibarr down then back, 503 with Retry-After, business 500 (fatal, not retried forever), bad key,
//! events ahead of their order, bad input, misconfiguration, timeouts, and the total-mismatch flag.

mod dolibarr_support;

use std::time::Duration;

use axum::http::Method;
use dolibarr_support::*;
use ocpizza_bridge::destination::{DeliveryError, Outcome};
use ocpizza_bridge::dolibarr::{DolibarrDestination, doctor};
use ocpizza_core::events::Event;
use ocpizza_e2e::dolibarr::{Counts, FaultKind};
use sqlx::Row;

fn fatal(r: Result<Outcome, DeliveryError>) -> String {
    match r {
        Err(DeliveryError::Fatal { reason }) => reason,
        other => panic!("expected Fatal, got {other:?}"),
    }
}

fn retry(r: Result<Outcome, DeliveryError>) -> (String, Option<Duration>) {
    match r {
        Err(DeliveryError::Retry { reason, retry_after }) => (reason, retry_after),
        other => panic!("expected Retry, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dolibarr_down_then_back_retries_then_completes_once() {
    let env = env().await;
    env.fake.stop().await;
    for _ in 0..3 {
        let (reason, _) = retry(env.deliver(Event::OrderCreated(created(3001, 1))).await);
        assert!(reason.contains("unreachable"), "{reason}");
        assert!(!reason.contains(KEY), "the key never appears in errors");
    }
    env.fake.restart().await.expect("listen again on the same port");
    done(env.deliver(Event::OrderCreated(created(3001, 1))).await);
    assert_eq!(
        env.fake.counts(),
        Counts { thirdparties: 1, products: 2, orders: 1, order_lines: 4, invoices: 0, payments: 0 }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unavailable_honours_retry_after() {
    let env = env().await;
    env.fake.fail_next(2, FaultKind::Unavailable { retry_after: Some(7) });
    let (reason, after) = retry(env.deliver(Event::OrderCreated(created(3002, 2))).await);
    assert!(reason.contains("503"), "{reason}");
    assert_eq!(after, Some(Duration::from_secs(7)));
    let (_, after) = retry(env.deliver(Event::OrderCreated(created(3002, 2))).await);
    assert_eq!(after, Some(Duration::from_secs(7)));
    done(env.deliver(Event::OrderCreated(created(3002, 2))).await);
    assert_eq!(env.fake.counts().orders, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn business_500_is_fatal_with_its_code_and_nothing_half_done_is_duplicated() {
    let env = env().await;
    env.fake.fail_matching(
        Some(Method::POST),
        Some("/thirdparties"),
        1,
        FaultKind::Business { code: "ErrorCustomerCodeAlreadyUsed".into() },
    );
    let reason = fatal(env.deliver(Event::OrderCreated(created(3003, 3))).await);
    assert!(reason.contains("ErrorCustomerCodeAlreadyUsed") && reason.contains("500"), "{reason}");
    assert_eq!(env.fake.counts().orders, 0);
    // Once fixed in Dolibarr, a replay goes through.
    done(env.deliver(Event::OrderCreated(created(3003, 3))).await);
    assert_eq!(env.fake.counts().thirdparties, 1);

    // A bare 500 (no business code) is a hiccup: retried.
    env.fake.fail_next(1, FaultKind::Status(500));
    retry(env.deliver(Event::OrderPaid(paid(3003, 2440))).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_errors_are_fatal_and_name_the_cause() {
    let env = env().await;
    // Wrong key: 401 is fatal (alert), not retried.
    let mut cfg = config(&env.fake.url());
    cfg.api_key = ocpizza_bridge::config::SecretString::new("wrong-key");
    let bad = DolibarrDestination::new(&cfg, env.db.pool.clone()).unwrap();
    let reason = fatal(deliver_with(&bad, Event::OrderCreated(created(3004, 4))).await);
    assert!(reason.contains("401") && reason.contains("api key"), "{reason}");
    assert!(!reason.contains("wrong-key"));
    // 403 (missing right) likewise.
    env.fake.fail_next(1, FaultKind::Status(403));
    assert!(fatal(env.deliver(Event::OrderCreated(created(3004, 4))).await).contains("403"));
    // Bad input: refused before any call, naming the field.
    let before = env.fake.requests().len();
    let mut ev = created(3005, 5);
    ev.currency = "USD".into();
    assert!(fatal(env.deliver(Event::OrderCreated(ev)).await).starts_with("currency:"));
    let mut ev = created(3005, 5);
    ev.lines[1].vat_rate = "abc".into();
    assert!(fatal(env.deliver(Event::OrderCreated(ev)).await).starts_with("lines.vat_rate:"));
    assert_eq!(env.fake.requests().len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_ahead_of_their_order_are_retried() {
    let env = env().await;
    let (reason, _) = retry(env.deliver(Event::OrderPaid(paid(3006, 2440))).await);
    assert!(reason.contains("not in Dolibarr yet"), "{reason}");
    let (reason, _) = retry(
        env.deliver(Event::OrderStatusChanged(status(
            3006,
            ocpizza_core::status::Fulfilment::Delivery,
            ocpizza_core::status::OrderStatus::OutForDelivery,
            ocpizza_core::status::OrderStatus::Delivered,
        )))
        .await,
    );
    assert!(reason.contains("not in Dolibarr yet"), "{reason}");
    assert_eq!(env.fake.counts().invoices, 0);
    done(env.deliver(Event::OrderCreated(created(3006, 6))).await);
    done(env.deliver(Event::OrderPaid(paid(3006, 2440))).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misconfigured_payment_is_fatal_with_the_reason() {
    let env = env().await;
    done(env.deliver(Event::OrderCreated(created(3007, 7))).await);
    // Account 2 of the stand-in is a cash account: a card payment is refused with 400.
    let mut cfg = config(&env.fake.url());
    cfg.bank_account_id = 2;
    let cash = DolibarrDestination::new(&cfg, env.db.pool.clone()).unwrap();
    let reason = fatal(deliver_with(&cash, Event::OrderPaid(paid(3007, 2440))).await);
    assert!(reason.contains("ErrorCashAccountAcceptsOnlyCashMoney"), "{reason}");
    assert_eq!(env.fake.counts().payments, 0);
    // An unknown payment mode code.
    let mut cfg = config(&env.fake.url());
    cfg.payment_mode = "BITCOIN".into();
    let odd = DolibarrDestination::new(&cfg, env.db.pool.clone()).unwrap();
    let reason = fatal(deliver_with(&odd, Event::OrderPaid(paid(3007, 2440))).await);
    assert!(reason.contains("BITCOIN"), "{reason}");
    // The right configuration then pays the invoice that was already created and validated.
    done(env.deliver(Event::OrderPaid(paid(3007, 2440))).await);
    assert_eq!((env.fake.counts().invoices, env.fake.counts().payments), (1, 1));
    // Bad settings are refused at construction.
    let mut cfg = config("ftp://example");
    assert!(DolibarrDestination::new(&cfg, env.db.pool.clone()).is_err());
    cfg = config(&env.fake.url());
    cfg.bank_account_id = 0;
    assert!(DolibarrDestination::new(&cfg, env.db.pool.clone()).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_dolibarr_times_out_and_is_retried() {
    let env = env().await;
    let mut cfg = config(&env.fake.url());
    cfg.timeout_secs = 1;
    let dest = DolibarrDestination::new(&cfg, env.db.pool.clone()).unwrap();
    env.fake.set_latency(Duration::from_millis(1500));
    let (reason, _) = retry(deliver_with(&dest, Event::OrderCreated(created(3008, 8))).await);
    assert!(reason.contains("timed out"), "{reason}");
    env.fake.set_latency(Duration::ZERO);
    done(deliver_with(&dest, Event::OrderCreated(created(3008, 8))).await);
    assert_eq!(env.fake.counts().orders, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_total_more_than_a_cent_off_is_flagged_not_failed() {
    let env = env().await;
    let mut ev = created(3009, 9);
    ev.total_cents = 2443; // the shop says 24.43, the lines make 24.40
    let out = done(env.deliver(Event::OrderCreated(ev)).await);
    assert_eq!(out["total_mismatch"], true);
    assert_eq!(out["dolibarr_total_ttc"], "24.40");
    assert_eq!(out["shop_total"], "24.43");
    let link = env.link(3009).await;
    assert_eq!(link.get::<i8, _>("total_mismatch"), 1);
    assert_eq!(link.get::<Option<i64>, _>("shop_total_cents"), Some(2443));

    let mut ev = created(3010, 9);
    ev.total_cents = 2441; // one cent: tolerated
    let out = done(env.deliver(Event::OrderCreated(ev)).await);
    assert_eq!(out["total_mismatch"], false);
    assert_eq!(env.link(3010).await.get::<i8, _>("total_mismatch"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_reports_the_version_or_the_reason() {
    let env = env().await;
    let ok = doctor(&config(&env.fake.url())).await.unwrap();
    assert!(ok.contains("21.0.1") && ok.contains("sogecommerce CB = 6") && ok.contains("cash LIQ = 4"), "{ok}");
    let mut cash = config(&env.fake.url());
    cash.bank_account_id = 2;
    let e = doctor(&cash).await.unwrap_err().to_string();
    assert!(e.contains("cash account"), "{e}");
    let mut missing = config(&env.fake.url());
    missing.bank_account_id = 77;
    assert!(doctor(&missing).await.unwrap_err().to_string().contains("does not exist"));
    let mut cfg = config(&env.fake.url());
    cfg.api_key = ocpizza_bridge::config::SecretString::new("nope");
    let e = doctor(&cfg).await.unwrap_err().to_string();
    assert!(e.contains("401"), "{e}");
    // Every provider's type and account is checked: a cash account takes only LIQ…
    let till = env.fake.add_bank_account("Caisse", 2);
    let mut cfg = config(&env.fake.url());
    cfg.bank_accounts.insert("cash".into(), till);
    let ok = doctor(&cfg).await.unwrap();
    assert!(ok.contains(&format!("cash LIQ = 4 on account {till} (Caisse)")), "{ok}");
    cfg.bank_accounts.insert("restaurant".into(), till);
    cfg.payment_types.insert("restaurant".into(), "CB".into());
    let e = doctor(&cfg).await.unwrap_err().to_string();
    assert!(e.contains("cash account") && e.contains("restaurant"), "{e}");
    let mut cfg = config(&env.fake.url());
    cfg.payment_types.insert("restaurant".into(), "CHQ".into());
    assert!(doctor(&cfg).await.unwrap_err().to_string().contains("cheque issuer"));
    // …and a type missing from the dictionary is named.
    env.fake.remove_payment_type("LIQ");
    let e = doctor(&config(&env.fake.url())).await.unwrap_err().to_string();
    assert!(e.contains("\"LIQ\"") && e.contains("cash"), "{e}");
    // A URL that is not the API root gets the missing part named.
    let e = doctor(&config(&format!("http://{}", env.fake.addr()))).await.unwrap_err().to_string();
    assert!(e.contains("/api/index.php"), "{e}");
    let e = doctor(&config(&format!("http://{}/dolibarr/", env.fake.addr()))).await.unwrap_err().to_string();
    assert!(e.contains("ending in /api/index.php"), "{e}");
    env.fake.stop().await;
    let e = doctor(&config(&env.fake.url())).await.unwrap_err().to_string();
    assert!(e.contains("unreachable") && !e.contains("ending in"), "{e}");
}
