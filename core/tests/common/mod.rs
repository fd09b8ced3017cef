//! Helpers shared by the integration tests: a realistic IPN field map, signed with a known key.
#![allow(dead_code)]

use ocpizza_core::sogecommerce::{self, Algorithm};

pub const KEY: &[u8] = b"1122334455667788";

/// An owned field map, in posting order.
pub type Fields = Vec<(Vec<u8>, Vec<u8>)>;

pub fn borrow(fields: &Fields) -> impl Iterator<Item = (&[u8], &[u8])> {
    fields.iter().map(|(n, v)| (n.as_slice(), v.as_slice()))
}

pub fn fields(pairs: &[(&str, &str)]) -> Fields {
    pairs
        .iter()
        .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect()
}

/// A typical end-of-payment IPN (without `signature`).
pub fn ipn_fields(status: &str) -> Fields {
    fields(&[
        ("vads_action_mode", "INTERACTIVE"),
        ("vads_amount", "2590"),
        ("vads_auth_result", "00"),
        ("vads_card_brand", "CB"),
        ("vads_card_number", "497010XXXXXX0055"),
        ("vads_ctx_mode", "TEST"),
        ("vads_currency", "978"),
        ("vads_cust_email", "camille.martin@example.test"),
        ("vads_cust_first_name", "Camille"),
        ("vads_cust_last_name", "Martin"),
        ("vads_effective_amount", "2590"),
        (
            "vads_hash",
            "a4e7c2b0d1f9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3",
        ),
        ("vads_operation_type", "DEBIT"),
        ("vads_order_id", "PS-000042"),
        ("vads_page_action", "PAYMENT"),
        ("vads_payment_config", "SINGLE"),
        ("vads_result", "00"),
        ("vads_sequence_number", "1"),
        ("vads_site_id", "12345678"),
        ("vads_trans_date", "20261129183005"),
        ("vads_trans_id", "660123"),
        ("vads_trans_status", status),
        ("vads_trans_uuid", "0b7f3a2c9d8e4f1a8b6c5d4e3f2a1b0c"),
        ("vads_url_check_src", "PAY"),
        ("vads_version", "V2"),
        ("vads_warranty_result", "YES"),
    ])
}

/// Appends the right `signature` for `key`/`alg`.
pub fn signed(mut f: Fields, key: &[u8], alg: Algorithm) -> Fields {
    f.retain(|(n, _)| n != b"signature");
    let sig = sogecommerce::sign(borrow(&f), key, alg);
    f.push((b"signature".to_vec(), sig.into_bytes()));
    f
}

/// Replaces (or adds) a field.
pub fn set(f: &mut Fields, name: &str, value: &[u8]) {
    match f.iter_mut().find(|(n, _)| n == name.as_bytes()) {
        Some(slot) => slot.1 = value.to_vec(),
        None => f.push((name.as_bytes().to_vec(), value.to_vec())),
    }
}

pub fn remove(f: &mut Fields, name: &str) {
    f.retain(|(n, _)| n != name.as_bytes());
}
