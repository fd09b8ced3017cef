//! Fuzz harness (proptest, bounded): parse_notification never panics on arbitrary input, and whatever it accepts
//! satisfies the Notification invariants. PROPTEST_CASES overrides the default of 2000 cases per property.

mod common;

use common::{Fields, KEY, borrow, ipn_fields, signed};
use ocpizza_core::money::Currency;
use ocpizza_core::notification::{Notification, NotificationError, parse_notification};
use ocpizza_core::sogecommerce::{Algorithm, Mode};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

const NAMES: &[&str] = &[
    "vads_site_id",
    "vads_ctx_mode",
    "vads_trans_id",
    "vads_trans_date",
    "vads_amount",
    "vads_currency",
    "vads_trans_status",
    "vads_order_id",
    "vads_trans_uuid",
    "vads_operation_type",
    "vads_url_check_src",
    "vads_sequence_number",
    "vads_hash",
    "signature",
    "vads_",
    "submit",
];

/// Values that sit near the validation boundaries, plus arbitrary bytes.
fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => proptest::collection::vec(any::<u8>(), 0..48),
        2 => "[0-9]{0,22}".prop_map(String::into_bytes),
        1 => "[0-9a-fA-F]{30,34}".prop_map(String::into_bytes),
        1 => "[A-Z_]{0,70}".prop_map(String::into_bytes),
        1 => "\\PC{0,70}".prop_map(String::into_bytes),
        1 => prop::sample::select(vec![
            "TEST", "PRODUCTION", "978", "392", "000", "20240229235959", "20261131000000", "99991231235959",
            "00000101000000", "9223372036854775807", "9223372036854775808", "0", "4294967295", "4294967296",
            "DEBIT", "CREDIT", "VERIFICATION", "CAPTURED", "12345678", "660123",
        ]).prop_map(|s| s.as_bytes().to_vec()),
    ]
}

fn name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::sample::select(NAMES).prop_map(|s| s.as_bytes().to_vec()),
        1 => proptest::collection::vec(any::<u8>(), 0..200),
        1 => proptest::collection::vec(any::<u8>(), 0..10).prop_map(|s| [b"vads_".as_slice(), &s].concat()),
    ]
}

/// Edits applied to a valid notification before re-signing (so validation, not the signature, is exercised).
#[derive(Debug, Clone)]
enum Edit {
    Set(Vec<u8>, Vec<u8>),
    Remove(usize),
    Duplicate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (name(), value()).prop_map(|(n, v)| Edit::Set(n, v)),
        1 => any::<usize>().prop_map(Edit::Remove),
        1 => any::<usize>().prop_map(Edit::Duplicate),
    ]
}

fn apply(f: &mut Fields, e: &Edit) {
    match e {
        Edit::Set(n, v) => match f.iter_mut().find(|(name, _)| name == n) {
            Some(slot) => slot.1 = v.clone(),
            None => f.push((n.clone(), v.clone())),
        },
        Edit::Remove(i) if !f.is_empty() => {
            let i = i % f.len();
            f.remove(i);
        }
        Edit::Duplicate(i) if !f.is_empty() => {
            let dup = f[i % f.len()].clone();
            f.push(dup);
        }
        _ => {}
    }
}

fn alg() -> impl Strategy<Value = Algorithm> {
    prop_oneof![Just(Algorithm::HmacSha256), Just(Algorithm::Sha1)]
}

fn lookup<'a>(f: &'a Fields, name: &str) -> Option<&'a [u8]> {
    f.iter()
        .find(|(n, _)| n == name.as_bytes())
        .map(|(_, v)| v.as_slice())
}

/// What an accepted notification must satisfy, checked against the raw fields it came from.
fn check_accepted(f: &Fields, n: &Notification) -> Result<(), TestCaseError> {
    prop_assert!(
        n.idempotency_key.is_ascii()
            && !n.idempotency_key.is_empty()
            && n.idempotency_key.len() <= 190
    );
    prop_assert!(n.amount_cents >= 0);
    let raw_amount = std::str::from_utf8(lookup(f, "vads_amount").unwrap()).unwrap();
    prop_assert_eq!(raw_amount.parse::<i64>().ok(), Some(n.amount_cents));
    prop_assert_eq!(
        Some(n.currency),
        Currency::by_numeric(n.currency_numeric).map(|c| c.alpha)
    );
    prop_assert_eq!(n.transaction_date.len(), 20);
    prop_assert!(n.transaction_date.ends_with('Z'));
    prop_assert_eq!(n.site_id.as_bytes(), lookup(f, "vads_site_id").unwrap());
    prop_assert_eq!(n.order_id.as_bytes(), lookup(f, "vads_order_id").unwrap());
    prop_assert!(n.sequence_number >= 1);
    prop_assert!(n.raw_status.len() <= 64);
    prop_assert_eq!(n.mode, Mode::Test);
    // No duplicate names were accepted.
    let mut names: Vec<_> = f.iter().map(|(n, _)| n.clone()).collect();
    names.sort();
    names.dedup();
    prop_assert_eq!(names.len(), f.len());
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// Arbitrary byte field maps with an arbitrary key: never a panic; accepting needs a right signature.
    #[test]
    fn arbitrary_maps(fields in proptest::collection::vec((name(), value()), 0..30), key in proptest::collection::vec(any::<u8>(), 0..20), alg in alg()) {
        let r = parse_notification(borrow(&fields), &key, Mode::Test, alg);
        if let Ok(n) = &r {
            check_accepted(&fields, n)?;
        }
    }

    /// Valid notifications edited then re-signed: never a panic; accepted ones satisfy the invariants; refusals
    /// are Invalid (the signature is right), naming a non-empty field.
    #[test]
    fn edited_and_resigned(edits in proptest::collection::vec(edit(), 1..6), alg in alg()) {
        let mut f = ipn_fields("CAPTURED");
        for e in &edits { apply(&mut f, e); }
        f.retain(|(n, _)| n != b"signature");
        let unique = { let mut n: Vec<_> = f.iter().map(|(n, _)| n.clone()).collect(); n.sort(); n.dedup(); n.len() == f.len() };
        let f = if unique { signed(f, KEY, alg) } else { f };
        match parse_notification(borrow(&f), KEY, Mode::Test, alg) {
            Ok(n) => check_accepted(&f, &n)?,
            Err(NotificationError::Invalid { field, reason }) => prop_assert!(!field.is_empty() && !reason.is_empty()),
            Err(NotificationError::Signature(m)) => prop_assert!(!unique, "right signature refused: {}", m),
        }
    }

    /// Valid notifications edited after signing: anything that changes a signed value is refused.
    #[test]
    fn edited_after_signing(edits in proptest::collection::vec(edit(), 1..4), alg in alg()) {
        let original = signed(ipn_fields("CAPTURED"), KEY, alg);
        let mut f = original.clone();
        for e in &edits { apply(&mut f, e); }
        if let Ok(n) = parse_notification(borrow(&f), KEY, Mode::Test, alg) {
            check_accepted(&f, &n)?;
            // Accepted only if the signed values, in byte order of names, are unchanged.
            let signed_values = |f: &Fields| {
                let mut v: Vec<_> = f.iter().filter(|(n, _)| n.starts_with(b"vads_")).cloned().collect();
                v.sort();
                v.into_iter().map(|(_, v)| v).collect::<Vec<_>>()
            };
            prop_assert_eq!(signed_values(&f), signed_values(&original));
        }
    }
}
