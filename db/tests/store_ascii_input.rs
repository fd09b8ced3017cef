//! Issue 14, item 1: every store input that reaches an `ascii_bin` column (restaurant codes, SKUs, references,
//! currencies, countries, transaction keys) is checked before any query. Non-ASCII, over-long, empty and
//! control-character values are a `Validation` error naming the field, never a database error (MariaDB answers
//! `1267 Illegal mix of collations` when an `ascii_bin` column meets a non-ASCII `utf8mb4` parameter), and nothing
//! is written. One test per entry point, on a real MariaDB database, plus a bounded property test.

mod store_fixture;

use ocpizza_db::store::{self, StoreError};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRng, TestRunner};
use serde_json::{Value, json};
use store_fixture::*;

/// Bad values every code field must refuse by name: non-ASCII (the one-letter typo, a 4-byte emoji, a
/// Latin-1 look-alike), over-long, empty, blank, control characters (NUL, tab, newline, DEL).
fn bad_codes(max: usize) -> Vec<String> {
    vec![
        "BELLÉCOUR".to_owned(),
        "TESTA🍕".to_owned(),
        "TEＳTA".to_owned(), // full-width S
        "X".repeat(max + 1),
        "É".repeat(max + 1),
        String::new(),
        " ".to_owned(),
        "TESTA\0".to_owned(),
        "TES\tTA".to_owned(),
        "TESTA\n".to_owned(),
        "TESTA\u{7f}".to_owned(),
    ]
}

/// The refusal of the typo, as the caller reads it: the field, the offending character, the rule (the same
/// words as the bridge's, from `ocpizza_core::codes`).
const BELLECOUR_TYPO: &str = "restaurant: contains a non-ASCII character 'É' (expected 2 to 16 upper-case letters, \
                              digits or -, not starting with - (e.g. BELLECOUR))";

/// The refusal's field; panics (failing the test) on success or on a database error.
fn refused_field<T: std::fmt::Debug>(r: Result<T, StoreError>) -> String {
    match r {
        Err(StoreError::Validation { field, reason }) => {
            assert!(!reason.is_empty(), "a reason is given for {field}");
            field
        }
        Err(StoreError::Db(e)) => panic!("bad input answered as a database failure: {e}"),
        Ok(v) => panic!("bad input accepted: {v:?}"),
    }
}

#[tokio::test]
async fn available_products_refuses_a_bad_restaurant_code_by_name() {
    let db = db().await;
    for bad in bad_codes(16) {
        let r = store::available_products(&db.pool, &bad).await;
        assert_eq!(refused_field(r), "restaurant", "{bad:?}");
    }
    // The case, with the reason the caller reads.
    let err = store::available_products(&db.pool, "BELLÉCOUR")
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), BELLECOUR_TYPO);
    // Well-formed but unknown stays "unknown" (the database was asked).
    let err = store::available_products(&db.pool, "NOWHERE")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "restaurant: unknown restaurant code \"NOWHERE\""
    );
    assert!(store::available_products(&db.pool, "TESTA").await.is_ok());
}

/// `order` with the value at `ptr` replaced.
fn spoiled(ptr: &str, value: &str) -> Value {
    let mut o = order(4001);
    *o.pointer_mut(ptr).unwrap() = json!(value);
    o
}

#[tokio::test]
async fn record_order_refuses_bad_codes_by_name_and_writes_nothing() {
    let db = db().await;
    let before = snapshot(&db.pool).await;
    let fields: [(&str, &str, usize); 5] = [
        ("/restaurant", "restaurant", 16),
        ("/reference", "reference", 32),
        ("/currency", "currency", 3),
        ("/delivery_address/country", "delivery_address.country", 2),
        ("/lines/0/sku", "lines[0].sku", 64),
    ];
    for (ptr, field, max) in fields {
        for bad in bad_codes(max) {
            let r = store::record_order(&db.pool, &spoiled(ptr, &bad)).await;
            assert_eq!(refused_field(r), field, "{ptr} = {bad:?}");
        }
    }
    let err = store::record_order(&db.pool, &spoiled("/restaurant", "BELLÉCOUR"))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), BELLECOUR_TYPO);
    assert_eq!(snapshot(&db.pool).await, before, "nothing written");
    assert!(
        store::record_order(&db.pool, &order(4001))
            .await
            .unwrap()
            .created
    );
}

#[tokio::test]
async fn record_payment_refuses_bad_keys_and_currencies_by_name() {
    let db = db().await;
    store::record_order(&db.pool, &order(4002)).await.unwrap();
    let before = snapshot(&db.pool).await;
    let payment = |key: &str, value: &str| {
        let mut p = json!({"shop_order_id": 4002, "transaction_key": "sc:1:2:3", "amount_cents": 1650,
                           "currency": "EUR", "status": "paid"});
        p[key] = json!(value);
        p
    };
    for (key, max) in [("transaction_key", 190), ("currency", 3)] {
        for bad in bad_codes(max) {
            let r = store::record_payment(&db.pool, &payment(key, &bad)).await;
            assert_eq!(refused_field(r), key, "{key} = {bad:?}");
        }
    }
    // parseNotification()'s alias is named as the caller spelled it.
    let alias = json!({"shop_order_id": 4002, "idempotency_key": "sc:é", "amount_cents": 1650,
                       "currency": "EUR", "outcome": "paid"});
    assert_eq!(
        refused_field(store::record_payment(&db.pool, &alias).await),
        "idempotency_key"
    );
    assert_eq!(snapshot(&db.pool).await, before, "nothing written");
}

#[tokio::test]
async fn set_status_refuses_bad_statuses_and_notes_by_name() {
    let db = db().await;
    store::record_order(&db.pool, &order(4003)).await.unwrap();
    let before = snapshot(&db.pool).await;
    for bad in [
        "accépted",
        "",
        "accepted\0",
        "x".repeat(10_000).as_str(),
        "ACCEPTED",
    ] {
        let r = store::set_status(&db.pool, 4003, bad, None).await;
        assert_eq!(refused_field(r), "status", "{bad:?}");
    }
    let r = store::set_status(&db.pool, 4003, "accepted", Some(&"é".repeat(501))).await;
    assert_eq!(refused_field(r), "note");
    for id in [0, -1, i64::MIN, i64::MAX] {
        let r = store::set_status(&db.pool, id, "accepted", None).await;
        assert_eq!(refused_field(r), "shop_order_id", "{id}");
    }
    assert_eq!(snapshot(&db.pool).await, before, "nothing written");
    // Any UTF-8 note fits the utf8mb4 column.
    assert!(
        store::set_status(&db.pool, 4003, "accepted", Some("Sonnez 2× 🍕\ttab"))
            .await
            .unwrap()
    );
}

/// Dates the `DATETIME(6)` columns cannot hold (MariaDB: 1000-01-01 to 9999-12-31) are input errors too.
#[tokio::test]
async fn instants_outside_what_the_database_holds_are_refused_by_name() {
    let db = db().await;
    let before = snapshot(&db.pool).await;
    for bad in [
        "9999-12-31T23:30:00-01:00",
        "0999-12-31T23:59:59Z",
        "0000-01-01T00:00:00Z",
    ] {
        let r = store::record_order(&db.pool, &spoiled("/placed_at", bad)).await;
        assert_eq!(refused_field(r), "placed_at", "{bad}");
    }
    store::record_order(&db.pool, &order(4004)).await.unwrap();
    let before_payment = snapshot(&db.pool).await;
    let p = json!({"shop_order_id": 4004, "transaction_key": "k", "amount_cents": 1650, "currency": "EUR",
                   "status": "paid", "occurred_at": "9999-12-31T23:59:59-00:30"});
    assert_eq!(
        refused_field(store::record_payment(&db.pool, &p).await),
        "occurred_at"
    );
    assert_eq!(snapshot(&db.pool).await, before_payment);
    assert_ne!(before, before_payment);
}

/// Any string at all in a code field: the store answers (a result or a refusal), never a database error.
/// Bounded (`PROPTEST_CASES` raises it).
#[test]
fn arbitrary_strings_in_code_fields_are_never_a_database_error() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(db());
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(48);
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    // A fixed seed: the same cases at every run.
    let rng = TestRng::deterministic_rng(config.rng_algorithm);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let pointers = [
        "/restaurant",
        "/reference",
        "/currency",
        "/delivery_address/country",
        "/lines/0/sku",
        "/customer/email",
        "/customer/first_name",
        "/delivery_address/postcode",
        "/lines/0/name",
        "/placed_at",
    ];
    // Arbitrary Unicode, ASCII with controls, and near-misses of the valid codes.
    let text = prop_oneof![
        any::<String>(),
        "[\\x00-\\x7f]{0,40}",
        "[A-Z0-9É_ -]{0,20}",
        "(TESTA|PIZZA-T-REINE|EUR|FR|REF1)[\\x00-\\x20é]?",
    ];
    let n = std::sync::atomic::AtomicI64::new(5000);
    runner
        .run(&(0..pointers.len(), text.clone(), text), |(i, a, b)| {
            let id = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut o = order(id);
            o["reference"] = json!(format!("PROP{id}"));
            *o.pointer_mut(pointers[i]).unwrap() = json!(a);
            let r = rt.block_on(store::record_order(&db.pool, &o));
            if let Err(StoreError::Db(e)) = r {
                return Err(TestCaseError::fail(format!("{} = {a:?}: database error {e}", pointers[i])));
            }
            let r = rt.block_on(store::available_products(&db.pool, &b));
            if let Err(StoreError::Db(e)) = r {
                return Err(TestCaseError::fail(format!("availableProducts({b:?}): database error {e}")));
            }
            let p = json!({"shop_order_id": id, "transaction_key": a, "amount_cents": 1650, "currency": b,
                           "status": "paid"});
            if let Err(StoreError::Db(e)) = rt.block_on(store::record_payment(&db.pool, &p)) {
                return Err(TestCaseError::fail(format!("recordPayment({a:?}, {b:?}): database error {e}")));
            }
            Ok(())
        })
        .unwrap();
}
