//! recordRefund on a real MariaDB database of its own: the refunds table, its order.refunded event, idempotency on
//! the refund's key, and the rule that refunds never exceed what was paid (also under concurrent calls).

mod store_fixture;

use ocpizza_core::events::{Envelope, Event, RefundEvent};
use ocpizza_db::store::{self, RefundRecorded};
use serde_json::{Value, json};
use sqlx::MySqlPool;
use store_fixture::*;

const TOTAL: i64 = 1650;

fn paid(shop_order_id: i64, key: &str, raw: &str) -> Value {
    json!({"shop_order_id": shop_order_id, "transaction_key": key, "amount_cents": TOTAL, "currency": "EUR",
           "status": "paid", "raw_status": raw, "occurred_at": "2026-11-29T18:31:00Z"})
}

fn refund(shop_order_id: i64, key: &str, amount: i64) -> Value {
    json!({"shop_order_id": shop_order_id, "transaction_key": key, "amount_cents": amount, "currency": "EUR",
           "reason": "pizza froide", "source": "shop", "requested_by": "Marie",
           "occurred_at": "2026-11-29T20:00:00Z"})
}

async fn paid_order(pool: &MySqlPool, shop_order_id: i64) -> String {
    let key = format!("pay-{shop_order_id}");
    store::record_order(pool, &order(shop_order_id)).await.unwrap();
    assert!(store::record_payment(pool, &paid(shop_order_id, &key, "CAPTURED")).await.unwrap().created);
    key
}

/// Every table a refund write touches, with the refunds: equal snapshots = nothing written.
async fn written(pool: &MySqlPool) -> (Vec<(String, i64)>, i64) {
    (snapshot(pool).await, count(pool, "refunds").await)
}

fn refunds_of(evs: &[(String, Value)]) -> Vec<RefundEvent> {
    evs.iter()
        .filter(|e| e.0 == "order.refunded")
        .map(|e| {
            let env: Envelope = serde_json::from_value(e.1.clone()).unwrap();
            match Event::from_envelope(&env).unwrap() {
                Event::OrderRefunded(r) => r,
                other => panic!("{other:?}"),
            }
        })
        .collect()
}

#[tokio::test]
async fn partial_then_full_refund_with_events_idempotent_and_never_beyond_what_was_paid() {
    let db = db().await;
    let pay_key = paid_order(&db.pool, 4001).await;

    let first = store::record_refund(&db.pool, &refund(4001, "rf-1", 500)).await.unwrap();
    assert!(first.created);
    assert_eq!(
        (first.amount_cents, first.paid_cents, first.refunded_total_cents, first.full),
        (500, TOTAL, 500, false)
    );
    let before = written(&db.pool).await;
    let again = store::record_refund(&db.pool, &refund(4001, "rf-1", 500)).await.unwrap();
    assert_eq!(
        again,
        RefundRecorded {
            refund_id: first.refund_id,
            created: false,
            amount_cents: 500,
            paid_cents: TOTAL,
            refunded_total_cents: 500,
            full: false
        }
    );
    assert_eq!(written(&db.pool).await, before, "a replayed refund writes nothing");

    // One cent more than what is left: refused by name, nothing written.
    let err = store::record_refund(&db.pool, &refund(4001, "rf-2", TOTAL - 500 + 1)).await.unwrap_err();
    assert_eq!(field(err), "amount_cents");
    assert_eq!(written(&db.pool).await, before);

    let rest = store::record_refund(&db.pool, &refund(4001, "rf-2", TOTAL - 500)).await.unwrap();
    assert!(rest.created);
    assert_eq!((rest.refunded_total_cents, rest.full), (TOTAL, true));
    let replayed = store::record_refund(&db.pool, &refund(4001, "rf-1", 500)).await.unwrap();
    assert_eq!(
        (replayed.created, replayed.amount_cents, replayed.refunded_total_cents, replayed.full),
        (false, 500, TOTAL, true),
        "a replay answers the order's totals now"
    );
    let err = store::record_refund(&db.pool, &refund(4001, "rf-3", 1)).await.unwrap_err();
    assert_eq!(field(err), "amount_cents", "nothing is left to refund");

    let evs = events(&db.pool).await;
    let types: Vec<&str> = evs.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(types, vec!["order.created", "order.paid", "order.refunded", "order.refunded"]);
    let r = refunds_of(&evs);
    assert_eq!(
        (r[0].amount_cents, r[0].refunded_total_cents, r[0].paid_cents, r[0].full),
        (500, 500, TOTAL, false)
    );
    assert_eq!((r[1].amount_cents, r[1].refunded_total_cents, r[1].full), (TOTAL - 500, TOTAL, true));
    assert_eq!(r[0].payment_transaction_key, pay_key, "the order's paid payment is found without its key");
    assert_eq!(
        (r[0].reference.as_str(), r[0].restaurant.as_str(), r[0].payment_method.as_str(), r[0].provider.as_str()),
        ("REF4001", "TESTA", "card_online", "sogecommerce")
    );
    assert_eq!((r[0].reason.as_deref(), r[0].source.as_str()), (Some("pizza froide"), "shop"));
    assert_eq!(r[0].requested_by.as_deref(), Some("Marie"));
    assert_eq!(r[0].occurred_at, "2026-11-29T20:00:00.000000Z");
    assert_eq!(r[0].transaction_key, "rf-1");

    let row: (i64, String, Option<String>) =
        sqlx::query_as("SELECT amount_cents, source, reason FROM refunds WHERE id = ?")
            .bind(first.refund_id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(row, (500, "shop".into(), Some("pizza froide".into())));
}

#[tokio::test]
async fn a_refund_key_of_another_order_or_payment_is_refused_by_name() {
    let db = db().await;
    let key_a = paid_order(&db.pool, 4011).await;
    paid_order(&db.pool, 4012).await;
    store::record_refund(&db.pool, &refund(4011, "rf-shared", 300)).await.unwrap();
    let before = written(&db.pool).await;
    let err = store::record_refund(&db.pool, &refund(4012, "rf-shared", 300)).await.unwrap_err();
    assert_eq!(field(err), "transaction_key");
    assert_eq!(written(&db.pool).await, before);

    // Same order, but the key is said to refund another payment of it.
    assert!(store::record_payment(&db.pool, &paid(4011, "pay-4011-captured", "CAPTURED")).await.unwrap().created);
    let before = written(&db.pool).await;
    let mut other = refund(4011, "rf-shared", 300);
    other["payment_transaction_key"] = json!("pay-4011-captured");
    assert_eq!(field(store::record_refund(&db.pool, &other).await.unwrap_err()), "transaction_key");
    // Naming the right payment is the same refund.
    other["payment_transaction_key"] = json!(key_a);
    assert!(!store::record_refund(&db.pool, &other).await.unwrap().created);
    assert_eq!(written(&db.pool).await, before);
}

#[tokio::test]
async fn only_a_paid_payment_of_a_known_order_in_its_currency_is_refunded() {
    let db = db().await;
    store::record_order(&db.pool, &order(4021)).await.unwrap();
    let pending = json!({"shop_order_id": 4021, "transaction_key": "pay-pending", "amount_cents": TOTAL,
                         "currency": "EUR", "status": "pending", "raw_status": "WAITING_AUTHORISATION"});
    store::record_payment(&db.pool, &pending).await.unwrap();
    let before = written(&db.pool).await;

    let err = store::record_refund(&db.pool, &refund(4021, "rf-x", 100)).await.unwrap_err();
    assert_eq!(field(err), "payment_transaction_key", "no paid payment");
    let mut named = refund(4021, "rf-x", 100);
    named["payment_transaction_key"] = json!("pay-pending");
    let err = store::record_refund(&db.pool, &named).await.unwrap_err();
    assert_eq!(field(err), "payment_transaction_key", "a pending payment");
    assert!(err_text(&db.pool, &named).await.contains("pending"));
    named["payment_transaction_key"] = json!("no-such-payment");
    assert_eq!(field(store::record_refund(&db.pool, &named).await.unwrap_err()), "payment_transaction_key");
    assert_eq!(field(store::record_refund(&db.pool, &refund(999_999, "rf-y", 100)).await.unwrap_err()), "shop_order_id");

    store::record_payment(&db.pool, &paid(4021, "pay-ok", "CAPTURED")).await.unwrap();
    let mut usd = refund(4021, "rf-z", 100);
    usd["currency"] = json!("USD");
    assert_eq!(field(store::record_refund(&db.pool, &usd).await.unwrap_err()), "currency");
    assert_eq!(written(&db.pool).await.1, before.1, "no refund row written");
    assert!(refunds_of(&events(&db.pool).await).is_empty());
}

async fn err_text(pool: &MySqlPool, input: &Value) -> String {
    store::record_refund(pool, input).await.unwrap_err().to_string()
}

#[tokio::test]
async fn the_same_money_seen_as_two_paid_rows_is_refunded_once() {
    // AUTHORISED then CAPTURED: two notifications, two `paid` rows, one payment's money.
    let db = db().await;
    store::record_order(&db.pool, &order(4031)).await.unwrap();
    store::record_payment(&db.pool, &paid(4031, "pay-auth", "AUTHORISED")).await.unwrap();
    store::record_payment(&db.pool, &paid(4031, "pay-capt", "CAPTURED")).await.unwrap();
    let mut a = refund(4031, "rf-a", 1000);
    a["payment_transaction_key"] = json!("pay-auth");
    store::record_refund(&db.pool, &a).await.unwrap();
    let mut b = refund(4031, "rf-b", 1000);
    b["payment_transaction_key"] = json!("pay-capt");
    assert_eq!(field(store::record_refund(&db.pool, &b).await.unwrap_err()), "amount_cents");
    b["amount_cents"] = json!(TOTAL - 1000);
    let r = store::record_refund(&db.pool, &b).await.unwrap();
    assert!(r.created);
    assert!(refunds_of(&events(&db.pool).await)[1].full);
}

#[tokio::test]
async fn concurrent_refunds_never_exceed_what_was_paid() {
    let db = db().await;
    paid_order(&db.pool, 4041).await;
    // 8 different refunds of 600 race on 1650 paid: exactly two fit.
    let results = race(&db.url, 8, |pool| async move {
        let key = format!("rf-race-{}", rand_suffix());
        store::record_refund(&pool, &refund(4041, &key, 600)).await
    })
    .await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 2, "{results:?}");
    for r in results.into_iter().filter_map(Result::err) {
        assert_eq!(field(r), "amount_cents");
    }
    let (sum,): (i64,) = sqlx::query_as("SELECT CAST(SUM(amount_cents) AS SIGNED) FROM refunds")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(sum, 1200);
    assert_eq!(refunds_of(&events(&db.pool).await).len(), 2);

    // The same refund from 8 tasks at once: one row, one event.
    let same = race(&db.url, 8, |pool| async move { store::record_refund(&pool, &refund(4041, "rf-same", 50)).await })
        .await;
    assert_eq!(same.iter().filter(|r| r.as_ref().unwrap().created).count(), 1);
    assert_eq!(count(&db.pool, "refunds").await, 3);
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    N.fetch_add(1, Ordering::Relaxed).to_string()
}

#[tokio::test]
async fn the_refunds_table_refuses_bad_rows_itself() {
    let db = db().await;
    paid_order(&db.pool, 4051).await;
    let (pid,): (i64,) = sqlx::query_as("SELECT id FROM payments").fetch_one(&db.pool).await.unwrap();
    let insert = |key: &str, amount: i64, currency: &str, source: &str, reason: Option<&str>| {
        let (key, currency, source, reason) = (key.to_owned(), currency.to_owned(), source.to_owned(), reason.map(str::to_owned));
        let pool = db.pool.clone();
        async move {
            sqlx::query(
                "INSERT INTO refunds (payment_id, transaction_key, amount_cents, currency, reason, source, occurred_at) \
                 VALUES (?, ?, ?, ?, ?, ?, NOW(6))",
            )
            .bind(pid)
            .bind(key)
            .bind(amount)
            .bind(currency)
            .bind(reason)
            .bind(source)
            .execute(&pool)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
        }
    };
    for (what, result, constraint) in [
        ("zero amount", insert("k1", 0, "EUR", "shop", None).await, "ck_refunds_amount"),
        ("lower-case currency", insert("k2", 5, "eur", "shop", None).await, "ck_refunds_currency"),
        ("unknown source", insert("k3", 5, "EUR", "customer", None).await, "ck_refunds_source"),
        ("blank reason", insert("k4", 5, "EUR", "shop", Some("  ")).await, "ck_refunds_reason"),
        ("empty key", insert("", 5, "EUR", "shop", None).await, "ck_refunds_transaction_key"),
    ] {
        let e = result.expect_err(what);
        assert!(e.contains(constraint), "{what}: {e}");
    }
    insert("k-ok", 5, "EUR", "gateway", Some("geste")).await.expect("a good row");
    let e = insert("k-ok", 5, "EUR", "shop", None).await.expect_err("duplicate key");
    assert!(e.contains("uq_refunds_transaction_key") || e.contains("Duplicate"), "{e}");
    sqlx::query("INSERT INTO outbox (event_id, event_type, payload) VALUES ('evt-r', 'order.refunded', '{}')")
        .execute(&db.pool)
        .await
        .expect("the outbox takes order.refunded");
}

/// A cancellation notified by the gateway names the payment by its uuid and says what is still authorised: the
/// store records the difference with what was left, step by step, and refuses a step that cancels nothing.
#[tokio::test]
async fn a_cancellation_by_still_authorised_amount_on_the_payment_named_by_its_uuid() {
    const PAID: &str = "ab12ab12ab12ab12ab12ab12ab12ab12";
    let db = db().await;
    store::record_order(&db.pool, &order(4031)).await.unwrap();
    let mut payment = paid(4031, "pay-4031", "AUTHORISED");
    payment["transaction_uuid"] = json!(PAID);
    store::record_payment(&db.pool, &payment).await.unwrap();
    let step = |key: &str, still: i64, uuid: &str| {
        json!({"shop_order_id": 4031, "transaction_key": key, "still_authorised_cents": still, "currency": "EUR",
               "payment_transaction_uuid": uuid, "source": "gateway"})
    };
    let before = written(&db.pool).await;
    let other = "cd34cd34cd34cd34cd34cd34cd34cd34";
    let err = store::record_refund(&db.pool, &step("c-x", 1000, other)).await.unwrap_err();
    assert_eq!(field(err), "payment_transaction_uuid");
    let err = store::record_refund(&db.pool, &step("c-x", TOTAL, PAID)).await.unwrap_err();
    assert_eq!(field(err), "still_authorised_cents", "authorised for the whole amount: nothing cancelled");
    let mut both = step("c-x", 1000, PAID);
    both["amount_cents"] = json!(650);
    assert_eq!(field(store::record_refund(&db.pool, &both).await.unwrap_err()), "still_authorised_cents");
    assert_eq!(written(&db.pool).await, before);

    let first = store::record_refund(&db.pool, &step("c-1000", 1000, PAID)).await.unwrap();
    assert_eq!(
        (first.created, first.amount_cents, first.refunded_total_cents, first.full),
        (true, TOTAL - 1000, TOTAL - 1000, false)
    );
    let again = store::record_refund(&db.pool, &step("c-1000", 1000, PAID)).await.unwrap();
    assert_eq!((again.created, again.amount_cents), (false, TOTAL - 1000));
    let rest = store::record_refund(&db.pool, &step("c-0", 0, PAID)).await.unwrap();
    assert_eq!((rest.created, rest.amount_cents, rest.refunded_total_cents, rest.full), (true, 1000, TOTAL, true));
    let amounts: Vec<i64> =
        sqlx::query_scalar("SELECT amount_cents FROM refunds ORDER BY id").fetch_all(&db.pool).await.unwrap();
    assert_eq!(amounts, vec![TOTAL - 1000, 1000]);
}
