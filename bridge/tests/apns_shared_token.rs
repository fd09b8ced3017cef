//! The provider token is shared through OCPizza_DB: a second bridge process (or the same one after a restart)
//! adopts the fresh token instead of signing its own — Apple answers 429 TooManyProviderTokenUpdates to a team
//! whose token changes within 20 minutes — and renewal past the age happens once for all processes.

use std::sync::Arc;
use std::time::Duration;

use ocpizza_bridge::apns::{JwtSigner, ManualClock};
use ocpizza_db::testing::TestDb;

const MIN: Duration = Duration::from_secs(60);

fn signer(der: &[u8], clock: Arc<ManualClock>, pool: &sqlx::MySqlPool) -> JwtSigner {
    JwtSigner::from_pkcs8_der(der, "KEY1234567", "TEAM123456", 50 * MIN, clock)
        .unwrap()
        .with_shared_store(pool.clone())
}

#[tokio::test]
async fn processes_share_one_token_and_renew_it_once() {
    let db = TestDb::new().await;
    let der = ring_p8();
    let clock = Arc::new(ManualClock::new());
    let first = signer(&der, clock.clone(), &db.pool);
    let t1 = first.token().await.unwrap();
    assert_eq!(first.signed_count(), 1);

    // A second process (or a restart) ten minutes later adopts it.
    clock.advance(10 * MIN);
    let second = signer(&der, clock.clone(), &db.pool);
    let t2 = second.token().await.unwrap();
    assert_eq!(t2.bearer, t1.bearer);
    assert_eq!(second.signed_count(), 0, "the second process must not sign a token of its own");

    // Past the renewal age, the first process to look renews, the other adopts the renewed token.
    clock.advance(41 * MIN);
    let t3 = second.token().await.unwrap();
    assert_ne!(t3.bearer, t1.bearer);
    assert_eq!(second.signed_count(), 1);
    let t4 = first.token().await.unwrap();
    assert_eq!(t4.bearer, t3.bearer);
    assert_eq!(first.signed_count(), 1, "the first process adopts instead of signing again");
}

#[tokio::test]
async fn a_token_refused_by_apns_is_replaced_even_when_young() {
    let db = TestDb::new().await;
    let der = ring_p8();
    let clock = Arc::new(ManualClock::new());
    let a = signer(&der, clock.clone(), &db.pool);
    let b = signer(&der, clock.clone(), &db.pool);
    let refused = a.token().await.unwrap();
    let replaced = a.replace_rejected(&refused).await.unwrap();
    assert_ne!(replaced.bearer, refused.bearer);
    assert_eq!(a.signed_count(), 2);
    // The other process picks up the replacement, not the refused token.
    let seen_by_b = b.token().await.unwrap();
    assert_eq!(seen_by_b.bearer, replaced.bearer);
    assert_eq!(b.signed_count(), 0);
}

/// A fresh P-256 PKCS#8 key, as an Apple `.p8` holds.
fn ring_p8() -> Vec<u8> {
    let rng = ring::rand::SystemRandom::new();
    ring::signature::EcdsaKeyPair::generate_pkcs8(&ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .unwrap()
        .as_ref()
        .to_vec()
}
