//! Verifying a realistic 40-field SogeCommerce IPN: the bare signature check and the full parse.
//! Run: `cargo bench -p ocpizza-core --bench verify`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use ocpizza_core::notification::parse_notification;
use ocpizza_core::sogecommerce::{self, Algorithm, Mode};
use sha2::Sha256;

const KEY: &[u8] = b"1122334455667788";

/// 40 fields as a real end-of-payment IPN posts them (39 vads_* + signature).
fn ipn() -> Vec<(Vec<u8>, Vec<u8>)> {
    let pairs: &[(&str, &str)] = &[
        ("vads_action_mode", "INTERACTIVE"),
        ("vads_amount", "3480"),
        ("vads_auth_mode", "FULL"),
        ("vads_auth_number", "3fe0a4"),
        ("vads_auth_result", "00"),
        ("vads_bank_code", "17807"),
        ("vads_bank_label", "Banque Populaire"),
        ("vads_capture_delay", "0"),
        ("vads_card_brand", "CB"),
        ("vads_card_country", "FR"),
        ("vads_card_number", "497010XXXXXX0055"),
        ("vads_contract_used", "5785350"),
        ("vads_ctx_mode", "TEST"),
        ("vads_currency", "978"),
        ("vads_cust_email", "camille.martin@example.test"),
        ("vads_cust_first_name", "Camille"),
        ("vads_cust_last_name", "Martin-Lefèvre"),
        ("vads_effective_amount", "3480"),
        ("vads_effective_creation_date", "20261129183005"),
        ("vads_effective_currency", "978"),
        ("vads_expiry_month", "6"),
        ("vads_expiry_year", "2028"),
        ("vads_extra_result", ""),
        (
            "vads_hash",
            "a4e7c2b0d1f9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3",
        ),
        ("vads_language", "fr"),
        ("vads_operation_type", "DEBIT"),
        ("vads_order_id", "PS-000042"),
        ("vads_page_action", "PAYMENT"),
        (
            "vads_payment_certificate",
            "9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d",
        ),
        ("vads_payment_config", "SINGLE"),
        ("vads_presentation_date", "20261129183005"),
        ("vads_result", "00"),
        ("vads_sequence_number", "1"),
        ("vads_site_id", "12345678"),
        ("vads_threeds_status", "Y"),
        ("vads_trans_date", "20261129183005"),
        ("vads_trans_id", "660123"),
        ("vads_trans_status", "AUTHORISED"),
        ("vads_trans_uuid", "0b7f3a2c9d8e4f1a8b6c5d4e3f2a1b0c"),
    ];
    let mut f: Vec<(Vec<u8>, Vec<u8>)> = pairs
        .iter()
        .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect();
    let sig = sogecommerce::sign(
        f.iter().map(|(n, v)| (n.as_slice(), v.as_slice())),
        KEY,
        Algorithm::HmacSha256,
    );
    f.push((b"signature".to_vec(), sig.into_bytes()));
    // Posted in an order other than the signing order, as a PHP array would be.
    f.reverse();
    assert_eq!(f.len(), 40);
    f
}

fn bench(c: &mut Criterion) {
    let f = ipn();
    let sig = f.iter().find(|(n, _)| n == b"signature").unwrap().1.clone();
    let fields = || f.iter().map(|(n, v)| (n.as_slice(), v.as_slice()));
    assert!(sogecommerce::verify(
        fields(),
        &sig,
        KEY,
        Algorithm::HmacSha256
    ));
    assert!(parse_notification(fields(), KEY, Mode::Test, Algorithm::HmacSha256).is_ok());

    c.bench_function("sogecommerce::verify 40 fields HMAC-SHA-256", |b| {
        b.iter(|| {
            sogecommerce::verify(
                black_box(fields()),
                black_box(&sig),
                black_box(KEY),
                Algorithm::HmacSha256,
            )
        })
    });
    // The floor: HMAC of the already-joined string, no sorting or field handling.
    let mut sorted: Vec<_> = fields().filter(|(n, _)| n.starts_with(b"vads_")).collect();
    sorted.sort_unstable();
    let mut joined: Vec<u8> = sorted
        .iter()
        .flat_map(|(_, v)| [*v, b"+"])
        .flatten()
        .copied()
        .collect();
    joined.extend_from_slice(KEY);
    c.bench_function("HMAC-SHA-256 of the joined string only", |b| {
        b.iter(|| {
            let mut m = <Hmac<Sha256> as Mac>::new_from_slice(black_box(KEY)).unwrap();
            m.update(black_box(&joined));
            m.finalize()
        })
    });
    c.bench_function("parse_notification 40 fields HMAC-SHA-256", |b| {
        b.iter(|| {
            parse_notification(
                black_box(fields()),
                black_box(KEY),
                Mode::Test,
                Algorithm::HmacSha256,
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
