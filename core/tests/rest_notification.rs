//! parse_rest_notification: kr-hash on the exact posted bytes first, then each field of the answer by its path.

use ocpizza_core::notification::{NotificationError, Outcome, parse_notification};
use ocpizza_core::rest_notification::{HashKey, RestNotification, parse_rest_notification};
use ocpizza_core::sogecommerce::{self, Algorithm, Mode};
use serde_json::{Value, json};

const PASSWORD: &[u8] = b"testpassword_SbEbeOueaMDyg8Rtei1bSaiB5lms9V0ZDjzldGXGAnIwH";
const HMAC_KEY: &[u8] = b"38453613e7f44dc58732bad3dca2bca3";
const UUID: &str = "0b7f3a2c9d8e4f1a8b6c5d4e3f2a1b0c";

/// A REST IPN answer of a paid card payment, shaped as the platform sends it (documented fields only).
fn answer() -> Value {
    json!({
        "shopId": "12345678", "orderCycle": "CLOSED", "orderStatus": "PAID",
        "serverDate": "2026-11-29T18:30:07+00:00",
        "orderDetails": {"orderTotalAmount": 2590, "orderEffectiveAmount": 2590, "orderCurrency": "EUR",
                         "mode": "TEST", "orderId": "PS-000042", "_type": "V4/OrderDetails"},
        "customer": {"email": "camille.martin@example.test", "billingDetails": {"firstName": "Camille"}},
        "transactions": [{
            "shopId": "12345678", "uuid": UUID.to_uppercase(), "amount": 2590, "currency": "EUR",
            "paymentMethodType": "CARD", "status": "PAID", "detailedStatus": "CAPTURED", "operationType": "DEBIT",
            "creationDate": "2026-11-29T19:30:05+01:00", "errorCode": null,
            "transactionDetails": {"sequenceNumber": 1, "cardDetails": {"legacyTransId": "660123",
                "legacyTransDate": "2026-11-29T18:30:05+00:00", "effectiveBrand": "CB", "pan": "497010XXXXXX0055"}},
            "_type": "V4/PaymentTransaction"}],
        "_type": "V4/Payment"
    })
}

/// The posted fields of an IPN: kr-hash by the REST password over exactly `raw`.
fn post(raw: &str, key: &[u8], hash_key: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    vec![
        (b"kr-hash".to_vec(), sogecommerce::kr_hash(raw.as_bytes(), key).into_bytes()),
        (b"kr-hash-algorithm".to_vec(), b"sha256_hmac".to_vec()),
        (b"kr-hash-key".to_vec(), hash_key.as_bytes().to_vec()),
        (b"kr-answer-type".to_vec(), b"V4/Payment".to_vec()),
        (b"kr-answer".to_vec(), raw.as_bytes().to_vec()),
    ]
}

fn parse(f: &[(Vec<u8>, Vec<u8>)]) -> Result<RestNotification, NotificationError> {
    parse_rest_notification(f.iter().map(|(n, v)| (n.as_slice(), v.as_slice())), PASSWORD, HMAC_KEY, Mode::Test)
}

fn ipn(a: &Value) -> Result<RestNotification, NotificationError> {
    parse(&post(&a.to_string(), PASSWORD, "password"))
}

fn field_of(r: Result<RestNotification, NotificationError>) -> String {
    match r {
        Err(NotificationError::Invalid { field, reason }) => {
            assert!(!reason.is_empty());
            field
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn normalises_a_paid_rest_ipn_like_the_form() {
    let n = ipn(&answer()).unwrap();
    assert_eq!((n.site_id.as_str(), n.order_id.as_str()), ("12345678", "PS-000042"));
    assert_eq!((n.order_status.as_str(), n.order_cycle.as_deref()), ("PAID", Some("CLOSED")));
    assert_eq!(n.transaction_uuid, UUID, "lower-cased");
    assert_eq!(n.transaction_id.as_deref(), Some("660123"));
    assert_eq!(n.transaction_date.as_deref(), Some("2026-11-29T18:30:05Z"), "UTC");
    assert_eq!((n.amount_cents, n.currency, n.currency_numeric), (2590, "EUR", 978));
    assert_eq!((n.raw_status.as_str(), n.outcome), ("CAPTURED", Outcome::Paid));
    assert_eq!((n.operation_type.as_str(), n.sequence_number), ("DEBIT", 1));
    assert_eq!((n.mode, n.hash_key), (Mode::Test, HashKey::Password));

    // The form IPN of the same transaction event has the same idempotency key.
    let mut form: Vec<(Vec<u8>, Vec<u8>)> = [
        ("vads_amount", "2590"), ("vads_ctx_mode", "TEST"), ("vads_currency", "978"),
        ("vads_operation_type", "DEBIT"), ("vads_order_id", "PS-000042"), ("vads_sequence_number", "1"),
        ("vads_site_id", "12345678"), ("vads_trans_date", "20261129183005"), ("vads_trans_id", "660123"),
        ("vads_trans_status", "CAPTURED"), ("vads_trans_uuid", UUID),
    ]
    .iter()
    .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
    .collect();
    let sig = sogecommerce::sign(form.iter().map(|(k, v)| (k.as_slice(), v.as_slice())), b"k", Algorithm::HmacSha256);
    form.push((b"signature".to_vec(), sig.into_bytes()));
    let f = parse_notification(form.iter().map(|(k, v)| (k.as_slice(), v.as_slice())), b"k", Mode::Test, Algorithm::HmacSha256)
        .unwrap();
    assert_eq!(n.idempotency_key, f.idempotency_key);

    // A re-send (same answer, serialised again) keeps the key; another status or operation changes it.
    assert_eq!(ipn(&answer()).unwrap().idempotency_key, n.idempotency_key);
    let mut credit = answer();
    credit["transactions"][0]["operationType"] = json!("CREDIT");
    let c = ipn(&credit).unwrap();
    assert_eq!(c.outcome, Outcome::Refunded);
    assert_ne!(c.idempotency_key, n.idempotency_key);
}

#[test]
fn the_hash_is_checked_on_the_exact_bytes_before_anything_else() {
    let raw = answer().to_string();
    // The browser return's key, when allowed; refused when the endpoint gives no HMAC key.
    assert_eq!(parse(&post(&raw, HMAC_KEY, "sha256_hmac")).unwrap().hash_key, HashKey::Sha256Hmac);
    let f = post(&raw, HMAC_KEY, "sha256_hmac");
    let no_hmac = parse_rest_notification(f.iter().map(|(n, v)| (n.as_slice(), v.as_slice())), PASSWORD, b"", Mode::Test);
    assert!(matches!(no_hmac, Err(NotificationError::Signature(_))), "{no_hmac:?}");
    // Signed with the HMAC key but claiming the password: refused.
    assert!(matches!(parse(&post(&raw, HMAC_KEY, "password")), Err(NotificationError::Signature(_))));
    // One byte changed after signing (re-encoding the JSON would do that too): refused.
    let mut f = post(&raw, PASSWORD, "password");
    f[4].1 = raw.replace("\"amount\":2590", "\"amount\":2591").into_bytes();
    assert!(matches!(parse(&f), Err(NotificationError::Signature(_))));
    // A garbage answer with a bad hash says "signature", not what is wrong inside the answer.
    let mut f = post("{not json", b"other key", "password");
    assert!(matches!(parse(&f), Err(NotificationError::Signature(_))));
    // The `\/` tolerance: hashed over slashes unescaped, posted escaped.
    let mut a = answer();
    a["orderDetails"]["orderId"] = json!("PS/42");
    let unescaped = a.to_string();
    let escaped = unescaped.replace('/', "\\/");
    let mut g = post(&unescaped, PASSWORD, "password");
    g[4].1 = escaped.into_bytes();
    assert_eq!(parse(&g).unwrap().order_id, "PS/42");
    // Upper-case hex is not what the platform sends.
    f = post(&raw, PASSWORD, "password");
    f[0].1 = f[0].1.to_ascii_uppercase();
    assert!(matches!(parse(&f), Err(NotificationError::Signature(_))));
    // Missing hash.
    f = post(&raw, PASSWORD, "password");
    f.remove(0);
    assert!(matches!(parse(&f), Err(NotificationError::Signature(_))));
}

#[test]
fn header_fields_are_refused_by_name() {
    let raw = answer().to_string();
    let cases: Vec<(usize, &[u8], &str)> = vec![
        (1, b"sha1", "kr-hash-algorithm"),
        (2, b"secret", "kr-hash-key"),
        (3, b"V4/Charge", "kr-answer-type"),
        (3, b"", "kr-answer-type"),
    ];
    for (i, value, field) in cases {
        let mut f = post(&raw, PASSWORD, "password");
        f[i].1 = value.to_vec();
        assert_eq!(field_of(parse(&f)), field);
    }
    let mut f = post(&raw, PASSWORD, "password");
    f.push((b"kr-answer".to_vec(), raw.clone().into_bytes()));
    assert_eq!(field_of(parse(&f)), "kr-answer", "duplicate");
    let mut f = post(&raw, PASSWORD, "password");
    f.remove(4);
    assert_eq!(field_of(parse(&f)), "kr-answer");
}

#[test]
fn every_answer_field_is_refused_by_its_path() {
    let cases: Vec<(&str, Value, &str)> = vec![
        ("/shopId", json!(12345678), "kr-answer.shopId"),
        ("/shopId", json!("1234567"), "kr-answer.shopId"),
        ("/orderDetails/mode", json!("PRODUCTION"), "kr-answer.orderDetails.mode"),
        ("/orderDetails/orderId", json!(null), "kr-answer.orderDetails.orderId"),
        ("/orderDetails/orderId", json!("x".repeat(65)), "kr-answer.orderDetails.orderId"),
        ("/orderDetails", json!([]), "kr-answer.orderDetails"),
        ("/orderStatus", json!("PAID!"), "kr-answer.orderStatus"),
        ("/orderCycle", json!(3), "kr-answer.orderCycle"),
        ("/transactions", json!([]), "kr-answer.transactions"),
        ("/transactions", json!({}), "kr-answer.transactions"),
        ("/transactions/0", json!("tx"), "kr-answer.transactions[0]"),
        ("/transactions/0/uuid", json!("xyz"), "kr-answer.transactions[0].uuid"),
        ("/transactions/0/amount", json!("2590"), "kr-answer.transactions[0].amount"),
        ("/transactions/0/amount", json!(25.9), "kr-answer.transactions[0].amount"),
        ("/transactions/0/amount", json!(-1), "kr-answer.transactions[0].amount"),
        ("/transactions/0/currency", json!("978"), "kr-answer.transactions[0].currency"),
        ("/transactions/0/currency", json!("XYZ"), "kr-answer.transactions[0].currency"),
        ("/transactions/0/detailedStatus", json!(""), "kr-answer.transactions[0].detailedStatus"),
        ("/transactions/0/operationType", json!("REFUND"), "kr-answer.transactions[0].operationType"),
        ("/transactions/0/creationDate", json!("yesterday"), "kr-answer.transactions[0].creationDate"),
        ("/transactions/0/transactionDetails/sequenceNumber", json!(0), "kr-answer.transactions[0].transactionDetails.sequenceNumber"),
        ("/transactions/0/transactionDetails/cardDetails/legacyTransId", json!("66012"), "kr-answer.transactions[0].transactionDetails.cardDetails.legacyTransId"),
    ];
    for (pointer, value, field) in cases {
        let mut a = answer();
        *a.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer}")) = value.clone();
        assert_eq!(field_of(ipn(&a)), field, "{pointer} = {value}");
    }
    // Not JSON, or not an object, but correctly signed.
    assert_eq!(field_of(parse(&post("{oops", PASSWORD, "password"))), "kr-answer");
    assert_eq!(field_of(parse(&post("[1]", PASSWORD, "password"))), "kr-answer");
    // Optional parts absent: defaults.
    let mut a = answer();
    a["transactions"][0].as_object_mut().unwrap().remove("transactionDetails");
    a["transactions"][0].as_object_mut().unwrap().remove("creationDate");
    let n = ipn(&a).unwrap();
    assert_eq!((n.sequence_number, n.transaction_id, n.transaction_date), (1, None, None));
}

#[test]
fn unknown_statuses_are_not_paid() {
    let mut a = answer();
    a["transactions"][0]["detailedStatus"] = json!("WAITING_AUTHORIZATION");
    assert_eq!(ipn(&a).unwrap().outcome, Outcome::Failed);
    a["transactions"][0]["detailedStatus"] = json!("AUTHORISED_TO_VALIDATE");
    assert_eq!(ipn(&a).unwrap().outcome, Outcome::ToValidate);
    a["transactions"][0]["detailedStatus"] = json!("ABANDONED");
    a["orderStatus"] = json!("ABANDONED");
    assert_eq!(ipn(&a).unwrap().outcome, Outcome::Cancelled);
}
