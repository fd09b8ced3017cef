//! Hosted-form `signature` and REST `kr-hash`, on the documented example and on built cases.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{Fields, KEY, borrow, fields};
use hmac::{Hmac, Mac};
use ocpizza_core::sogecommerce::{Algorithm, kr_hash, sign, verify, verify_kr_hash};
use sha1::{Digest, Sha1};
use sha2::Sha256;
use unicode_normalization::UnicodeNormalization;

/// sogecommerce.md §2, in a scrambled posting order plus fields that must be ignored.
fn documented() -> Fields {
    fields(&[
        ("vads_version", "V2"),
        ("signature", "whatever"),
        ("vads_amount", "5124"),
        ("vads_action_mode", "INTERACTIVE"),
        ("vads_currency", "978"),
        ("vads_ctx_mode", "TEST"),
        ("submit", "Pay"),
        ("vads_payment_config", "SINGLE"),
        ("vads_page_action", "PAYMENT"),
        ("vads_site_id", "12345678"),
        ("vads_trans_id", "123456"),
        ("vads_trans_date", "20170129130025"),
        ("kr-answer", "{}"),
        ("VADS_UPPER", "not signed: the prefix is case-sensitive"),
    ])
}

const DOCUMENTED_S: &str =
    "INTERACTIVE+5124+TEST+978+PAYMENT+SINGLE+12345678+20170129130025+123456+V2+1122334455667788";

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn hmac_b64(msg: &[u8], key: &[u8]) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(msg);
    STANDARD.encode(m.finalize().into_bytes())
}

#[test]
fn documented_example_hmac_sha256() {
    let f = documented();
    assert_eq!(
        sign(borrow(&f), KEY, Algorithm::HmacSha256),
        "ycA5Do5tNvsnKdc/eP1bj2xa19z9q3iWPy9/rpesfS0="
    );
    assert!(verify(
        borrow(&f),
        b"ycA5Do5tNvsnKdc/eP1bj2xa19z9q3iWPy9/rpesfS0=",
        KEY,
        Algorithm::HmacSha256
    ));
    // The independent computation agrees, so the string S is the documented one.
    assert_eq!(
        hmac_b64(DOCUMENTED_S.as_bytes(), KEY),
        "ycA5Do5tNvsnKdc/eP1bj2xa19z9q3iWPy9/rpesfS0="
    );
}

#[test]
fn documented_example_sha1() {
    let f = documented();
    let expected = hex(&Sha1::digest(DOCUMENTED_S.as_bytes()));
    let got = sign(borrow(&f), KEY, Algorithm::Sha1);
    assert_eq!(got, expected);
    assert_eq!(got.len(), 40);
    assert!(
        got.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    assert!(verify(
        borrow(&f),
        expected.as_bytes(),
        KEY,
        Algorithm::Sha1
    ));
    assert!(
        !verify(
            borrow(&f),
            expected.to_uppercase().as_bytes(),
            KEY,
            Algorithm::Sha1
        ),
        "hex is lowercase"
    );
}

#[test]
fn empty_values_are_kept() {
    let f = fields(&[("vads_a", "1"), ("vads_b", ""), ("vads_c", "3")]);
    assert_eq!(
        sign(borrow(&f), KEY, Algorithm::HmacSha256),
        hmac_b64(b"1++3+1122334455667788", KEY)
    );
    let dropped = fields(&[("vads_a", "1"), ("vads_c", "3")]);
    assert_ne!(
        sign(borrow(&f), KEY, Algorithm::HmacSha256),
        sign(borrow(&dropped), KEY, Algorithm::HmacSha256)
    );
    // Only empty fields: S is "++KEY".
    let only_empty = fields(&[("vads_x", ""), ("vads_y", "")]);
    assert_eq!(
        sign(borrow(&only_empty), KEY, Algorithm::HmacSha256),
        hmac_b64(b"++1122334455667788", KEY)
    );
    // No vads field at all: S is just the key.
    assert_eq!(
        sign(
            borrow(&fields(&[("other", "x")])),
            KEY,
            Algorithm::HmacSha256
        ),
        hmac_b64(KEY, KEY)
    );
}

#[test]
fn plus_inside_values_is_not_escaped() {
    let f = fields(&[("vads_a", "a+b"), ("vads_b", "c")]);
    assert_eq!(
        sign(borrow(&f), KEY, Algorithm::HmacSha256),
        hmac_b64(b"a+b+c+1122334455667788", KEY)
    );
    // The same S from other fields is the same signature: that is the scheme, not a bug in ours.
    let g = fields(&[("vads_a", "a"), ("vads_b", "b+c")]);
    assert_eq!(
        sign(borrow(&f), KEY, Algorithm::HmacSha256),
        sign(borrow(&g), KEY, Algorithm::HmacSha256)
    );
    let space = fields(&[("vads_a", "a b"), ("vads_b", "c")]);
    assert_ne!(
        sign(borrow(&f), KEY, Algorithm::HmacSha256),
        sign(borrow(&space), KEY, Algorithm::HmacSha256)
    );
}

#[test]
fn accented_utf8_and_normalisation_forms() {
    let nfc: String = "Crème brûlée à Fourvière".nfc().collect();
    let nfd: String = nfc.nfd().collect();
    assert_ne!(nfc.as_bytes(), nfd.as_bytes());
    let f_nfc = fields(&[("vads_cust_name", &nfc), ("vads_amount", "100")]);
    let f_nfd = fields(&[("vads_cust_name", &nfd), ("vads_amount", "100")]);
    let s_nfc = sign(borrow(&f_nfc), KEY, Algorithm::HmacSha256);
    assert_eq!(
        s_nfc,
        hmac_b64(format!("100+{nfc}+1122334455667788").as_bytes(), KEY)
    );
    assert_ne!(s_nfc, sign(borrow(&f_nfd), KEY, Algorithm::HmacSha256));
    assert!(!verify(
        borrow(&f_nfd),
        s_nfc.as_bytes(),
        KEY,
        Algorithm::HmacSha256
    ));
    assert_ne!(
        sign(borrow(&f_nfc), KEY, Algorithm::Sha1),
        sign(borrow(&f_nfd), KEY, Algorithm::Sha1)
    );
    // Latin-1 bytes of the same text are other bytes, hence another signature (we never transcode).
    let latin1: Vec<u8> = nfc.chars().map(|c| c as u32 as u8).collect();
    let f_latin1: Fields = vec![
        (b"vads_cust_name".to_vec(), latin1),
        (b"vads_amount".to_vec(), b"100".to_vec()),
    ];
    assert_ne!(s_nfc, sign(borrow(&f_latin1), KEY, Algorithm::HmacSha256));
}

#[test]
fn byte_order_not_numeric_order() {
    let f = fields(&[
        ("vads_product_label2", "two"),
        ("vads_product_label10", "ten"),
        ("vads_product_label1", "one"),
        ("vads_product_labelZ", "zed"),
        ("vads_product_label_", "underscore"),
        ("vads_product_labela", "lower"),
    ]);
    // '1' < '10' < '2' < 'Z' < '_' < 'a' in bytes.
    let s = "one+ten+two+zed+underscore+lower+1122334455667788";
    assert_eq!(
        sign(borrow(&f), KEY, Algorithm::HmacSha256),
        hmac_b64(s.as_bytes(), KEY)
    );
    // Byte order, not Unicode collation: 'é' (0xC3 0xA9) sorts after 'z'.
    let g = fields(&[("vads_é", "e-acute"), ("vads_z", "z")]);
    assert_eq!(
        sign(borrow(&g), KEY, Algorithm::HmacSha256),
        hmac_b64(b"z+e-acute+1122334455667788", KEY)
    );
}

#[test]
fn non_vads_keys_and_signature_are_ignored() {
    let base = fields(&[("vads_a", "1"), ("vads_b", "2")]);
    let mut noisy = base.clone();
    noisy.extend(fields(&[
        ("signature", "x"),
        ("submit", "Pay"),
        ("kr-hash", "y"),
        ("Vads_c", "3"),
        ("vads", "4"),
        ("xvads_d", "5"),
    ]));
    assert_eq!(
        sign(borrow(&base), KEY, Algorithm::HmacSha256),
        sign(borrow(&noisy), KEY, Algorithm::HmacSha256)
    );
    assert_eq!(
        sign(borrow(&base), KEY, Algorithm::Sha1),
        sign(borrow(&noisy), KEY, Algorithm::Sha1)
    );
    // A bare "vads_" name is a vads_ field.
    let mut bare = base.clone();
    bare.push((b"vads_".to_vec(), b"0".to_vec()));
    assert_ne!(
        sign(borrow(&base), KEY, Algorithm::HmacSha256),
        sign(borrow(&bare), KEY, Algorithm::HmacSha256)
    );
}

#[test]
fn tampering_fails() {
    for alg in [Algorithm::HmacSha256, Algorithm::Sha1] {
        let f = documented();
        let sig = sign(borrow(&f), KEY, alg);
        assert!(verify(borrow(&f), sig.as_bytes(), KEY, alg));
        for i in 0..f.len() {
            if !f[i].0.starts_with(b"vads_") {
                continue;
            }
            let mut v = f.clone();
            v[i].1.push(b'0');
            assert!(
                !verify(borrow(&v), sig.as_bytes(), KEY, alg),
                "value of {:?}",
                String::from_utf8_lossy(&f[i].0)
            );
            let mut n = f.clone();
            n[i].0.push(b'x');
            // The scheme signs values only: a rename is detected when it drops the field (out of the vads_
            // prefix, as here) or changes the sort order (below); a rename keeping the order is invisible by design.
            n[i].0[0] = b'V';
            assert!(
                !verify(borrow(&n), sig.as_bytes(), KEY, alg),
                "name of {:?}",
                String::from_utf8_lossy(&f[i].0)
            );
            let mut dropped = f.clone();
            dropped.remove(i);
            assert!(!verify(borrow(&dropped), sig.as_bytes(), KEY, alg));
        }
        // Renaming inside the prefix so that the order changes.
        let swap = fields(&[("vads_a", "1"), ("vads_b", "2")]);
        let swapped = fields(&[("vads_b", "1"), ("vads_a", "2")]);
        let s = sign(borrow(&swap), KEY, alg);
        assert!(!verify(borrow(&swapped), s.as_bytes(), KEY, alg));
        // Key.
        assert!(!verify(
            borrow(&f),
            sig.as_bytes(),
            b"1122334455667789",
            alg
        ));
        assert!(
            !verify(borrow(&f), sig.as_bytes(), b"1122334455667788 ", alg),
            "keys are not trimmed here"
        );
        // Signature itself: truncated, extended, empty, one char changed.
        assert!(!verify(
            borrow(&f),
            &sig.as_bytes()[..sig.len() - 1],
            KEY,
            alg
        ));
        assert!(!verify(borrow(&f), format!("{sig}=").as_bytes(), KEY, alg));
        assert!(!verify(borrow(&f), b"", KEY, alg));
        let mut bad = sig.clone().into_bytes();
        bad[3] = if bad[3] == b'a' { b'b' } else { b'a' };
        assert!(!verify(borrow(&f), &bad, KEY, alg));
    }
}

#[test]
fn wrong_algorithm_fails() {
    let f = documented();
    let hmac = sign(borrow(&f), KEY, Algorithm::HmacSha256);
    let sha1 = sign(borrow(&f), KEY, Algorithm::Sha1);
    assert!(!verify(borrow(&f), hmac.as_bytes(), KEY, Algorithm::Sha1));
    assert!(!verify(
        borrow(&f),
        sha1.as_bytes(),
        KEY,
        Algorithm::HmacSha256
    ));
    assert_eq!(hmac.len(), 44);
}

#[test]
fn values_are_raw_bytes() {
    // Invalid UTF-8 and NUL bytes are signed as they are (parse_notification is what refuses non-UTF-8).
    let f: Fields = vec![(b"vads_a".to_vec(), vec![0xff, 0x00, b'x'])];
    let mut s = vec![0xff, 0x00, b'x', b'+'];
    s.extend_from_slice(KEY);
    assert_eq!(
        sign(borrow(&f), KEY, Algorithm::HmacSha256),
        hmac_b64(&s, KEY)
    );
}

#[test]
fn kr_hash_hex_and_slash_tolerance() {
    let key = b"testpassword_abcdefghijklmnopqrstuvwxyz0123456789";
    let answer = br#"{"shopId":"12345678","orderCycle":"CLOSED","orderStatus":"PAID","serverDate":"2026-11-29T18:30:05+00:00","orderDetails":{"orderId":"PS-000042"},"url":"https:\/\/shop.example\/ipn"}"#;
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(answer);
    let expected = hex(&m.finalize().into_bytes());
    let h = kr_hash(answer, key);
    assert_eq!(h, expected);
    assert_eq!(h.len(), 64);
    assert!(verify_kr_hash(answer, h.as_bytes(), key));
    assert!(
        !verify_kr_hash(answer, h.to_uppercase().as_bytes(), key),
        "kr-hash is lowercase hex"
    );

    // A hash of the answer with \/ replaced by / (what some stacks sign) is accepted too.
    let unescaped = String::from_utf8(answer.to_vec())
        .unwrap()
        .replace("\\/", "/");
    let h2 = kr_hash(unescaped.as_bytes(), key);
    assert_ne!(h, h2);
    assert!(verify_kr_hash(answer, h2.as_bytes(), key));
    // …but not the other way round, and no other transformation.
    let reescaped = unescaped.replace('/', "\\/");
    assert!(verify_kr_hash(
        reescaped.as_bytes(),
        kr_hash(reescaped.as_bytes(), key).as_bytes(),
        key
    ));
    let spaced = String::from_utf8(answer.to_vec())
        .unwrap()
        .replace(':', ": ");
    assert!(!verify_kr_hash(
        answer,
        kr_hash(spaced.as_bytes(), key).as_bytes(),
        key
    ));

    // Tampering and wrong key.
    let mut tampered = answer.to_vec();
    tampered[20] ^= 1;
    assert!(!verify_kr_hash(&tampered, h.as_bytes(), key));
    assert!(!verify_kr_hash(answer, h.as_bytes(), b"prodpassword_other"));
    assert!(!verify_kr_hash(answer, &h.as_bytes()[..63], key));
    assert!(!verify_kr_hash(answer, b"", key));
}
