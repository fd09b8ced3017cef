//! parse_notification: signature first, then mode, then each field; status groups; idempotency keys.

mod common;

use common::{Fields, KEY, borrow, ipn_fields, remove, set, signed};
use ocpizza_core::notification::{Notification, NotificationError, Outcome, parse_notification};
use ocpizza_core::sogecommerce::{Algorithm, Mode};

const HMAC: Algorithm = Algorithm::HmacSha256;

fn parse(f: &Fields) -> Result<Notification, NotificationError> {
    parse_notification(borrow(f), KEY, Mode::Test, HMAC)
}

/// Parses `f` after re-signing it, so that validation (not the signature) is what is tested.
fn parse_signed(f: Fields) -> Result<Notification, NotificationError> {
    parse(&signed(f, KEY, HMAC))
}

fn invalid_field(r: Result<Notification, NotificationError>) -> String {
    match r {
        Err(NotificationError::Invalid { field, reason }) => {
            assert!(!reason.is_empty());
            field
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn with(status: &str, edit: impl FnOnce(&mut Fields)) -> Fields {
    let mut f = ipn_fields(status);
    edit(&mut f);
    f
}

#[test]
fn normalises_a_paid_notification() {
    let n = parse_signed(ipn_fields("CAPTURED")).unwrap();
    assert_eq!(n.site_id, "12345678");
    assert_eq!(n.order_id, "PS-000042");
    assert_eq!(n.transaction_id, "660123");
    assert_eq!(
        n.transaction_uuid.as_deref(),
        Some("0b7f3a2c9d8e4f1a8b6c5d4e3f2a1b0c")
    );
    assert_eq!(n.transaction_date, "2026-11-29T18:30:05Z");
    assert_eq!(n.amount_cents, 2590);
    assert_eq!((n.currency_numeric, n.currency), (978, "EUR"));
    assert_eq!(n.raw_status, "CAPTURED");
    assert_eq!(n.outcome, Outcome::Paid);
    assert_eq!(n.operation_type.as_deref(), Some("DEBIT"));
    assert_eq!(n.trigger.as_deref(), Some("PAY"));
    assert_eq!(n.sequence_number, 1);
    assert_eq!(n.mode, Mode::Test);
    assert!(n.idempotency_key.is_ascii() && n.idempotency_key.len() <= 190);
    assert!(
        !n.idempotency_key.contains("a4e7c2b0"),
        "vads_hash must not be in the key"
    );

    let json = serde_json::to_value(&n).unwrap();
    assert_eq!(json["outcome"], "paid");
    assert_eq!(json["mode"], "TEST");
    assert_eq!(json["currency"], "EUR");
}

#[test]
fn every_status_group() {
    let groups: &[(Outcome, &[&str])] = &[
        (
            Outcome::Paid,
            &["AUTHORISED", "CAPTURED", "ACCEPTED", "PARTIALLY_AUTHORISED"],
        ),
        (
            Outcome::Pending,
            &[
                "INITIAL",
                "WAITING_AUTHORISATION",
                "UNDER_VERIFICATION",
                "PRE_AUTHORISED",
                "WAITING_FOR_PAYMENT",
                "SUSPENDED",
                "PENDING",
                "REFUND_TO_RETRY",
            ],
        ),
        (
            Outcome::ToValidate,
            &[
                "AUTHORISED_TO_VALIDATE",
                "WAITING_AUTHORISATION_TO_VALIDATE",
            ],
        ),
        (
            Outcome::Cancelled,
            &["ABANDONED", "NOT_CREATED", "CANCELLED"],
        ),
        (Outcome::Failed, &["REFUSED", "EXPIRED", "CAPTURE_FAILED"]),
        // Unknown values, other spellings and other cases are failures, never paid.
        (
            Outcome::Failed,
            &[
                "WAITING_AUTHORIZATION",
                "AUTHORIZED",
                "captured",
                "SOMETHING_NEW_2030",
            ],
        ),
    ];
    for (outcome, statuses) in groups {
        for status in *statuses {
            let n = parse_signed(ipn_fields(status)).unwrap_or_else(|e| panic!("{status}: {e}"));
            assert_eq!(n.outcome, *outcome, "{status}");
            assert_eq!(n.raw_status, *status);
        }
    }
    for (o, s) in [
        (Outcome::Paid, "paid"),
        (Outcome::Pending, "pending"),
        (Outcome::ToValidate, "to_validate"),
        (Outcome::Cancelled, "cancelled"),
        (Outcome::Failed, "failed"),
    ] {
        assert_eq!(o.as_str(), s);
        assert_eq!(serde_json::to_value(o).unwrap(), s);
    }
}

#[test]
fn cancelled_without_operation_type_or_uuid() {
    let f = with("ABANDONED", |f| {
        remove(f, "vads_operation_type");
        set(f, "vads_trans_uuid", b"");
        remove(f, "vads_sequence_number");
        set(f, "vads_url_check_src", b"");
    });
    let n = parse_signed(f).unwrap();
    assert_eq!(n.outcome, Outcome::Cancelled);
    assert_eq!(n.operation_type, None);
    assert_eq!(n.transaction_uuid, None);
    assert_eq!(n.trigger, None);
    assert_eq!(n.sequence_number, 1);
    assert_eq!(
        n.idempotency_key,
        "sc:12345678:t20261129-660123:-:1:ABANDONED"
    );
}

#[test]
fn signature_errors_come_first() {
    // Missing, empty, malformed (not UTF-8, wrong length), and wrong signatures are Signature errors, even when
    // other fields are broken too: nothing unsigned is looked at.
    let broken = with("CAPTURED", |f| set(f, "vads_amount", b"12.50"));
    let mut missing = broken.clone();
    remove(&mut missing, "signature");
    assert!(matches!(
        parse(&missing),
        Err(NotificationError::Signature(_))
    ));

    let mut f = signed(broken.clone(), KEY, HMAC);
    for bad in [
        &b""[..],
        b"\xff\xfe",
        b"abc",
        b"ycA5Do5tNvsnKdc/eP1bj2xa19z9q3iWPy9/rpesfS0= ",
    ] {
        set(&mut f, "signature", bad);
        let e = parse(&f).unwrap_err();
        assert!(
            matches!(e, NotificationError::Signature(_)),
            "{bad:?}: {e:?}"
        );
        assert_eq!(e.field(), "signature");
    }
    // Well-formed but wrong: tampered value.
    let mut t = signed(ipn_fields("CAPTURED"), KEY, HMAC);
    set(&mut t, "vads_amount", b"1");
    assert!(matches!(parse(&t), Err(NotificationError::Signature(_))));
    // Wrong key, wrong algorithm.
    let good = signed(ipn_fields("CAPTURED"), KEY, HMAC);
    assert!(matches!(
        parse_notification(borrow(&good), b"other-key", Mode::Test, HMAC),
        Err(NotificationError::Signature(_))
    ));
    assert!(matches!(
        parse_notification(borrow(&good), KEY, Mode::Test, Algorithm::Sha1),
        Err(NotificationError::Signature(_))
    ));
    // SHA-1 shops work the same way.
    let sha = signed(ipn_fields("CAPTURED"), KEY, Algorithm::Sha1);
    assert!(parse_notification(borrow(&sha), KEY, Mode::Test, Algorithm::Sha1).is_ok());
    // The message never contains the key.
    let e = parse_notification(borrow(&good), b"s3cr3t-key-value", Mode::Test, HMAC).unwrap_err();
    assert!(!e.to_string().contains("s3cr3t"), "{e}");
}

#[test]
fn mode_mismatch() {
    let f = signed(ipn_fields("CAPTURED"), KEY, HMAC);
    // A TEST notification signed with the right key is still refused by a PRODUCTION shop.
    let e = parse_notification(borrow(&f), KEY, Mode::Production, HMAC).unwrap_err();
    assert_eq!(invalid_field(Err(e)), "vads_ctx_mode");
    let prod = with("CAPTURED", |f| set(f, "vads_ctx_mode", b"PRODUCTION"));
    let prod = signed(prod, KEY, HMAC);
    assert!(parse_notification(borrow(&prod), KEY, Mode::Production, HMAC).is_ok());
    assert_eq!(
        invalid_field(parse_notification(borrow(&prod), KEY, Mode::Test, HMAC)),
        "vads_ctx_mode"
    );
    for bad in [&b"test"[..], b"", b"TEST "] {
        assert_eq!(
            invalid_field(parse_signed(with("CAPTURED", |f| set(
                f,
                "vads_ctx_mode",
                bad
            )))),
            "vads_ctx_mode"
        );
    }
    assert_eq!(
        invalid_field(parse_signed(with("CAPTURED", |f| remove(
            f,
            "vads_ctx_mode"
        )))),
        "vads_ctx_mode"
    );
}

#[test]
fn each_missing_required_field_is_named() {
    for name in [
        "vads_site_id",
        "vads_ctx_mode",
        "vads_trans_id",
        "vads_trans_date",
        "vads_amount",
        "vads_currency",
        "vads_trans_status",
        "vads_order_id",
    ] {
        let missing = with("CAPTURED", |f| remove(f, name));
        assert_eq!(invalid_field(parse_signed(missing)), name, "missing {name}");
        let empty = with("CAPTURED", |f| set(f, name, b""));
        assert_eq!(invalid_field(parse_signed(empty)), name, "empty {name}");
    }
}

#[test]
fn each_malformed_field_is_named() {
    let long_order_id = "x".repeat(65);
    let cases: &[(&str, &[&[u8]])] = &[
        (
            "vads_site_id",
            &[b"1234567", b"123456789", b"1234567a", b" 12345678"],
        ),
        (
            "vads_trans_id",
            &[
                b"12345",
                b"1234567",
                b"12 456",
                b"12-456",
                "12345é".as_bytes(),
            ],
        ),
        (
            "vads_trans_date",
            &[
                b"2026112918300",
                b"202611291830055",
                b"20261129183O05",
                b"20261329183005",
                b"20261131183005",
                b"20230229120000",
                b"20261129243005",
                b"20261129186005",
                b"20261129183060",
                b"2026-11-29T18:30",
            ],
        ),
        (
            "vads_amount",
            &[
                b"-1",
                b"+5",
                b"12.50",
                b"1 000",
                b"9223372036854775808",
                b"99999999999999999999999",
                b"0x10",
            ],
        ),
        ("vads_currency", &[b"999", b"EUR", b"97", b"9780", b"-978"]),
        (
            "vads_trans_status",
            &[b"CAPTURED ", b"CAP-TURED", "CAPTURÉ".as_bytes()],
        ),
        ("vads_order_id", &[long_order_id.as_bytes(), b"PS-1\n"]),
        (
            "vads_trans_uuid",
            &[
                b"0b7f3a2c9d8e4f1a8b6c5d4e3f2a1b0",
                b"0b7f3a2c-9d8e-4f1a-8b6c-5d4e3f2a1b0c",
                b"zb7f3a2c9d8e4f1a8b6c5d4e3f2a1b0c",
            ],
        ),
        ("vads_operation_type", &[b"debit", b"REFUND", b"DEBIT "]),
        ("vads_url_check_src", &[b"P A Y", b"PAY\n"]),
        (
            "vads_sequence_number",
            &[b"0", b"-1", b"x", b"1.0", b"4294967296", b" 1"],
        ),
    ];
    for (name, values) in cases {
        for v in *values {
            let f = with("CAPTURED", |f| set(f, name, v));
            assert_eq!(
                invalid_field(parse_signed(f)),
                *name,
                "{name}={:?}",
                String::from_utf8_lossy(v)
            );
        }
    }
    // Valid edge values.
    for (name, v, check) in [
        (
            "vads_amount",
            &b"0"[..],
            Box::new(|n: &Notification| n.amount_cents == 0) as Box<dyn Fn(&Notification) -> bool>,
        ),
        (
            "vads_amount",
            b"9223372036854775807",
            Box::new(|n: &Notification| n.amount_cents == i64::MAX),
        ),
        (
            "vads_amount",
            b"000125",
            Box::new(|n: &Notification| n.amount_cents == 125),
        ),
        (
            "vads_currency",
            b"392",
            Box::new(|n: &Notification| n.currency == "JPY" && n.currency_numeric == 392),
        ),
        (
            "vads_currency",
            b"036",
            Box::new(|n: &Notification| n.currency == "AUD"),
        ),
        (
            "vads_trans_date",
            b"20240229235959",
            Box::new(|n: &Notification| n.transaction_date == "2024-02-29T23:59:59Z"),
        ),
        (
            "vads_trans_uuid",
            b"0B7F3A2C9D8E4F1A8B6C5D4E3F2A1B0C",
            Box::new(|n: &Notification| {
                n.transaction_uuid.as_deref() == Some("0b7f3a2c9d8e4f1a8b6c5d4e3f2a1b0c")
            }),
        ),
        (
            "vads_sequence_number",
            b"3",
            Box::new(|n: &Notification| n.sequence_number == 3),
        ),
        (
            "vads_operation_type",
            b"CREDIT",
            Box::new(|n: &Notification| n.operation_type.as_deref() == Some("CREDIT")),
        ),
        (
            "vads_url_check_src",
            b"BATCH_AUTO",
            Box::new(|n: &Notification| n.trigger.as_deref() == Some("BATCH_AUTO")),
        ),
        (
            "vads_order_id",
            "Commande n°42 — Crème".as_bytes(),
            Box::new(|n: &Notification| n.order_id == "Commande n°42 — Crème"),
        ),
        (
            "vads_trans_id",
            b"aB12cD",
            Box::new(|n: &Notification| n.transaction_id == "aB12cD"),
        ),
    ] {
        let n = parse_signed(with("CAPTURED", |f| set(f, name, v)))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(check(&n), "{name}={:?}: {n:?}", String::from_utf8_lossy(v));
    }
}

#[test]
fn non_utf8_value_is_named() {
    // Signed by the sender, so the signature passes and the UTF-8 check names the field, used or not.
    for name in [
        "vads_order_id",
        "vads_cust_last_name",
        "vads_trans_status",
        "vads_extra_field",
    ] {
        let f = with("CAPTURED", |f| set(f, name, b"Cr\xe8me"));
        assert_eq!(invalid_field(parse_signed(f)), name);
    }
    // A non-vads field is not signed and not used: ignored.
    let f = with("CAPTURED", |f| set(f, "submit", b"\xff"));
    assert!(parse_signed(f).is_ok());
    // A non-UTF-8 vads name is named lossily.
    let mut f = ipn_fields("CAPTURED");
    f.push((b"vads_\xffx".to_vec(), b"1".to_vec()));
    let field = invalid_field(parse_signed(f));
    assert!(field.starts_with("vads_"), "{field}");
}

#[test]
fn duplicate_names_are_refused() {
    let mut f = signed(ipn_fields("CAPTURED"), KEY, HMAC);
    f.push((b"vads_amount".to_vec(), b"1".to_vec()));
    assert_eq!(invalid_field(parse(&f)), "vads_amount");
    let mut g = signed(ipn_fields("CAPTURED"), KEY, HMAC);
    let sig = g.iter().find(|(n, _)| n == b"signature").unwrap().1.clone();
    g.push((b"signature".to_vec(), sig));
    assert_eq!(invalid_field(parse(&g)), "signature");
    // A nameless field given twice (`=a&=b`) is still named in the error.
    let mut h = ipn_fields("CAPTURED");
    h.push((Vec::new(), b"a".to_vec()));
    h.push((Vec::new(), b"b".to_vec()));
    assert_eq!(invalid_field(parse(&h)), "(empty name)");
}

#[test]
fn idempotency_key_is_stable_across_resends() {
    let first = parse_signed(ipn_fields("CAPTURED")).unwrap();
    // A BO re-send: new vads_hash, other trigger, fields missing, posted in another order.
    let mut resend = with("CAPTURED", |f| {
        set(
            f,
            "vads_hash",
            b"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        );
        set(f, "vads_url_check_src", b"BO");
        remove(f, "vads_page_action");
        remove(f, "vads_payment_config");
        remove(f, "vads_action_mode");
    });
    resend.reverse();
    let again = parse_signed(resend).unwrap();
    assert_eq!(again.trigger.as_deref(), Some("BO"));
    assert_eq!(first.idempotency_key, again.idempotency_key);

    // Without uuid, trans_id + UTC day identify the transaction; the time of day and trans_id case do not matter.
    let no_uuid = |date: &[u8], id: &[u8]| {
        parse_signed(with("CAPTURED", |f| {
            remove(f, "vads_trans_uuid");
            set(f, "vads_trans_date", date);
            set(f, "vads_trans_id", id);
        }))
        .unwrap()
        .idempotency_key
    };
    assert_eq!(
        no_uuid(b"20261129000000", b"ab12cd"),
        no_uuid(b"20261129235959", b"AB12CD")
    );
    assert_ne!(
        no_uuid(b"20261129235959", b"ab12cd"),
        no_uuid(b"20261130000000", b"ab12cd")
    );
    assert_ne!(
        no_uuid(b"20261129120000", b"ab12cd"),
        no_uuid(b"20261129120000", b"ab12ce")
    );
    assert_ne!(no_uuid(b"20261129120000", b"ab12cd"), first.idempotency_key);

    // Each element of the key matters.
    let key = |edit: &dyn Fn(&mut Fields)| {
        let mut f = ipn_fields("CAPTURED");
        edit(&mut f);
        parse_signed(f).unwrap().idempotency_key
    };
    let base = first.idempotency_key.clone();
    assert_ne!(base, key(&|f| set(f, "vads_sequence_number", b"2")));
    assert_ne!(base, key(&|f| set(f, "vads_trans_status", b"AUTHORISED")));
    assert_ne!(base, key(&|f| set(f, "vads_operation_type", b"CREDIT")));
    assert_ne!(base, key(&|f| remove(f, "vads_operation_type")));
    assert_ne!(base, key(&|f| set(f, "vads_site_id", b"87654321")));
    assert_ne!(
        base,
        key(&|f| set(f, "vads_trans_uuid", b"1b7f3a2c9d8e4f1a8b6c5d4e3f2a1b0c"))
    );
    // uuid case does not matter; amount and order id are not part of the event identity.
    assert_eq!(
        base,
        key(&|f| set(f, "vads_trans_uuid", b"0B7F3A2C9D8E4F1A8B6C5D4E3F2A1B0C"))
    );
    assert_eq!(base, key(&|f| set(f, "vads_amount", b"2600")));
}

#[test]
fn error_messages_name_the_field() {
    let e = parse_signed(with("CAPTURED", |f| set(f, "vads_amount", b"12.50"))).unwrap_err();
    assert!(e.to_string().starts_with("vads_amount: "), "{e}");
    assert_eq!(e.field(), "vads_amount");
    let e = parse(&ipn_fields("CAPTURED")).unwrap_err();
    assert!(e.to_string().starts_with("signature: "), "{e}");
}

/// A refund made in the gateway's back office comes as a CREDIT notification: a refund outcome, never `paid`
/// (before issue 13 a CREDIT CAPTURED was read as paid), with its own idempotency key.
#[test]
fn a_credit_notification_is_a_refund() {
    let debit = parse_signed(ipn_fields("CAPTURED")).unwrap();
    let credit = parse_signed(with("CAPTURED", |f| {
        set(f, "vads_operation_type", b"CREDIT");
        set(f, "vads_url_check_src", b"MERCH_BO");
    }))
    .unwrap();
    assert_eq!(credit.outcome, Outcome::Refunded);
    assert_eq!(credit.outcome.as_str(), "refunded");
    assert_eq!(credit.operation_type.as_deref(), Some("CREDIT"));
    assert_ne!(credit.idempotency_key, debit.idempotency_key);
    assert!(credit.idempotency_key.contains(":CREDIT:"), "{}", credit.idempotency_key);
    let cancelled = parse_signed(with("CANCELLED", |f| set(f, "vads_operation_type", b"CREDIT"))).unwrap();
    assert_eq!(cancelled.outcome, Outcome::RefundFailed);
    let retry = parse_signed(with("REFUND_TO_RETRY", |f| set(f, "vads_operation_type", b"CREDIT"))).unwrap();
    assert_eq!(retry.outcome, Outcome::RefundPending);
}
