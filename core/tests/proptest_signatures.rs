//! Property tests: sign/verify round trips on arbitrary byte field maps, and single-byte mutations fail.

use std::collections::BTreeMap;

use ocpizza_core::sogecommerce::{Algorithm, kr_hash, sign, verify, verify_kr_hash};
use ocpizza_core::webhooks::{self, Secret};
use proptest::prelude::*;

/// Field maps with unique names: mostly `vads_<bytes>`, some other names; values are arbitrary bytes.
fn field_map() -> impl Strategy<Value = Vec<(Vec<u8>, Vec<u8>)>> {
    let name = prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..12).prop_map(|s| [b"vads_".as_slice(), &s].concat()),
        1 => proptest::collection::vec(any::<u8>(), 0..12),
    ];
    let value = proptest::collection::vec(any::<u8>(), 0..40);
    proptest::collection::btree_map(name, value, 1..20)
        .prop_map(|m: BTreeMap<_, _>| m.into_iter().collect())
}

fn alg() -> impl Strategy<Value = Algorithm> {
    prop_oneof![Just(Algorithm::HmacSha256), Just(Algorithm::Sha1)]
}

fn borrow(f: &[(Vec<u8>, Vec<u8>)]) -> impl Iterator<Item = (&[u8], &[u8])> {
    f.iter().map(|(n, v)| (n.as_slice(), v.as_slice()))
}

/// `\/` → `/`, byte-wise (independent of the crate's private helper).
fn unescape(a: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < a.len() {
        if a[i] == b'\\' && a.get(i + 1) == Some(&b'/') {
            out.push(b'/');
            i += 2;
        } else {
            out.push(a[i]);
            i += 1;
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn sign_then_verify(fields in field_map(), key in proptest::collection::vec(any::<u8>(), 0..40), alg in alg(), seed in any::<u64>()) {
        let sig = sign(borrow(&fields), &key, alg);
        prop_assert!(verify(borrow(&fields), sig.as_bytes(), &key, alg));
        // Posting order does not matter.
        let mut shuffled = fields.clone();
        let n = shuffled.len();
        shuffled.rotate_left((seed as usize) % n);
        if seed & 1 == 1 { shuffled.reverse(); }
        prop_assert!(verify(borrow(&shuffled), sig.as_bytes(), &key, alg));
        // Non-vads fields do not matter.
        let vads_only: Vec<_> = fields.iter().filter(|(n, _)| n.starts_with(b"vads_")).cloned().collect();
        prop_assert_eq!(sign(borrow(&vads_only), &key, alg), sig);
    }

    #[test]
    fn any_value_byte_mutation_fails(fields in field_map(), key in proptest::collection::vec(any::<u8>(), 1..40), alg in alg(),
                                     pick in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let sig = sign(borrow(&fields), &key, alg);
        let vads: Vec<usize> = (0..fields.len()).filter(|&i| fields[i].0.starts_with(b"vads_") && !fields[i].1.is_empty()).collect();
        prop_assume!(!vads.is_empty());
        // Pick one byte among all bytes of all non-empty vads values.
        let total: usize = vads.iter().map(|&i| fields[i].1.len()).sum();
        let mut at = pick.index(total);
        let mut mutated = fields.clone();
        for &i in &vads {
            if at < mutated[i].1.len() { mutated[i].1[at] ^= flip; break; }
            at -= mutated[i].1.len();
        }
        prop_assert!(!verify(borrow(&mutated), sig.as_bytes(), &key, alg));
    }

    #[test]
    fn any_key_or_signature_byte_mutation_fails(fields in field_map(), key in proptest::collection::vec(any::<u8>(), 1..40), alg in alg(),
                                                 k in any::<prop::sample::Index>(), s in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let sig = sign(borrow(&fields), &key, alg);
        let mut bad_key = key.clone();
        bad_key[k.index(key.len())] ^= flip;
        prop_assert!(!verify(borrow(&fields), sig.as_bytes(), &bad_key, alg));
        let mut bad_sig = sig.clone().into_bytes();
        bad_sig[s.index(sig.len())] ^= flip;
        prop_assert!(!verify(borrow(&fields), &bad_sig, &key, alg));
    }

    #[test]
    fn kr_hash_round_trip(answer in proptest::collection::vec(any::<u8>(), 0..200), key in proptest::collection::vec(any::<u8>(), 1..40),
                          i in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let h = kr_hash(&answer, &key);
        prop_assert!(verify_kr_hash(&answer, h.as_bytes(), &key));
        prop_assume!(!answer.is_empty());
        let mut tampered = answer.clone();
        let at = i.index(answer.len());
        tampered[at] ^= flip;
        // A mutation that creates a `\/` whose unescaping gives back the original is accepted by design; skip it.
        prop_assume!(unescape(&tampered) != answer);
        prop_assert!(!verify_kr_hash(&tampered, h.as_bytes(), &key));
    }

    #[test]
    fn webhook_round_trip(key in proptest::collection::vec(any::<u8>(), 24..=64), id in "[A-Za-z0-9_-]{1,40}",
                          ts in 0i64..4_000_000_000, body in proptest::collection::vec(any::<u8>(), 0..200),
                          skew in -300i64..=300, i in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let secret = Secret::from_bytes(&key).unwrap();
        let sig = webhooks::sign(&secret, &id, ts, &body);
        prop_assert_eq!(webhooks::verify(std::slice::from_ref(&secret), &id, &ts.to_string(), &sig, &body, ts + skew, 300), Ok(()));
        prop_assume!(!body.is_empty());
        let mut tampered = body.clone();
        tampered[i.index(body.len())] ^= flip;
        prop_assert_eq!(webhooks::verify(&[secret], &id, &ts.to_string(), &sig, &tampered, ts, 300),
                        Err(webhooks::WebhookError::NoMatchingSignature));
    }
}
