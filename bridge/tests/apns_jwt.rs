//! The provider token: reused, renewed once past the renewal age (single-flight under concurrency, with an
//! injected clock), re-signed once after 403 ExpiredProviderToken, then fatal; and the stand-in refuses what
//! Apple refuses (foreign key, too-frequent renewal).

mod apns_support;

use std::sync::Arc;
use std::time::Duration;

use apns_support::*;
use ocpizza_bridge::apns::{
    ApnsClient, ClientOptions, Clock, JwtSigner, ManualClock, Push, PushResult,
};
use ocpizza_bridge::destination::DeliveryError;
use ocpizza_core::status::Fulfilment;
use ocpizza_e2e::apns::Reply;

const MIN: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_is_kept_before_the_renewal_age_and_renewed_once_after_it() {
    let rig = Rig::new().await;
    for i in 0..50 {
        rig.device(&token("a", i), "pizzaiolo").await;
    }
    done(
        rig.deliver(1, order_created(1, "ORD1", Fulfilment::Takeaway), 1)
            .await,
    );
    assert_eq!(rig.fake.stats().distinct_jwts, 1);

    // 49 minutes: still the same token (renewal at 50 min).
    rig.advance(49 * MIN);
    done(
        rig.deliver(2, order_created(2, "ORD2", Fulfilment::Takeaway), 1)
            .await,
    );
    assert_eq!(rig.fake.stats().distinct_jwts, 1);

    // 51 minutes: 50 concurrent sends find the token stale; exactly one new token is signed and used.
    rig.advance(2 * MIN);
    done(
        rig.deliver(3, order_created(3, "ORD3", Fulfilment::Takeaway), 1)
            .await,
    );
    let stats = rig.fake.stats();
    assert_eq!(stats.distinct_jwts, 2, "{stats:?}");
    assert_eq!(rig.jwts_signed(), 2);
    assert_eq!(stats.accepted, 150);
    assert_eq!(
        stats.by_status.get(&429),
        None,
        "no TooManyProviderTokenUpdates: {stats:?}"
    );
    assert_eq!(
        stats.by_status.get(&403),
        None,
        "no ExpiredProviderToken: {stats:?}"
    );
    assert_eq!(stats.connections, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn renewal_is_single_flight() {
    let clock = Arc::new(SlowClock(ManualClock::new()));
    let der = ring_p8();
    let signer = Arc::new(
        JwtSigner::from_pkcs8_der(&der, "KEY1234567", "TEAM123456", 50 * MIN, clock.clone())
            .unwrap(),
    );
    let mut previous = signer.token().await.unwrap().serial;
    // Several rounds: a race that slips through once is unlikely to slip through every time.
    for round in 0..5u64 {
        clock.0.advance(50 * MIN);
        // All callers released at once, so that many find the token stale while the first one signs.
        let barrier = Arc::new(tokio::sync::Barrier::new(64));
        let mut tasks = Vec::new();
        for _ in 0..64 {
            let (s, b) = (signer.clone(), barrier.clone());
            tasks.push(tokio::spawn(async move {
                b.wait().await;
                s.token().await.unwrap()
            }));
        }
        let mut serials = std::collections::BTreeSet::new();
        for t in tasks {
            serials.insert(t.await.unwrap().serial);
        }
        assert_eq!(
            serials.len(),
            1,
            "round {round}: all 64 callers got the same new token"
        );
        assert!(!serials.contains(&previous));
        assert_eq!(
            signer.signed_count(),
            round + 2,
            "round {round}: exactly one new token"
        );
        previous = *serials.first().unwrap();
    }

    // A refused token is replaced once, whoever reports it.
    let current = signer.token().await.unwrap();
    let (a, b) = tokio::join!(
        signer.replace_rejected(&current),
        signer.replace_rejected(&current)
    );
    assert_eq!(a.unwrap().serial, b.unwrap().serial);
    assert_eq!(signer.signed_count(), 7);
}

#[test]
fn renewal_age_outside_apple_bounds_is_refused() {
    let der = ring_p8();
    let clock = Arc::new(ManualClock::new());
    for age in [19 * MIN, 60 * MIN] {
        let err = JwtSigner::from_pkcs8_der(&der, "KEY1234567", "TEAM123456", age, clock.clone())
            .unwrap_err();
        assert!(err.to_string().contains("token_renew_after"), "{err}");
    }
    let err = JwtSigner::from_pkcs8_der(&der, "KEY 12", "TEAM123456", 50 * MIN, clock.clone())
        .unwrap_err();
    assert!(err.to_string().contains("key_id"), "{err}");
    let err = JwtSigner::from_pkcs8_der(b"not a key", "KEY1234567", "TEAM123456", 50 * MIN, clock)
        .unwrap_err();
    assert!(err.to_string().contains("P-256"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_provider_token_is_resigned_once_then_fatal() {
    let rig = Rig::new().await;
    let dev = rig.device(&token("a", 1), "manager").await;
    rig.fake
        .script_next([Reply::error(403, "ExpiredProviderToken")]);
    done(
        rig.deliver(1, order_created(1, "ORD1", Fulfilment::Takeaway), 1)
            .await,
    );
    assert_eq!(rig.fake.stats().distinct_jwts, 2, "re-signed once");
    assert_eq!(rig.fake.accepted_for(&token("a", 1)), 1);

    rig.fake.script_next([
        Reply::error(403, "InvalidProviderToken"),
        Reply::error(403, "InvalidProviderToken"),
    ]);
    match rig
        .deliver(2, order_created(2, "ORD2", Fulfilment::Takeaway), 1)
        .await
    {
        Err(DeliveryError::Fatal { reason }) => {
            assert!(reason.contains("403 InvalidProviderToken"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        rig.jwts_signed(),
        3,
        "one re-sign per refusal, no loop"
    );
    // Not the device's fault: its push stays pending for a replay once the key is fixed.
    assert_eq!(rig.send_status(2, dev).await, "pending");
    assert!(!rig.is_unregistered(dev).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stand_in_refuses_a_foreign_key_and_a_too_early_renewal() {
    let rig = Rig::new().await;
    let ca = std::fs::read(rig.settings.ca_file.as_ref().unwrap()).unwrap();
    let o = rig.fake.options().clone();
    let client = |signer: JwtSigner| {
        ApnsClient::new(
            ClientOptions {
                endpoint: rig.fake.endpoint(),
                topic: o.topic.clone(),
                extra_root_pem: Some(ca.clone()),
                max_in_flight: 4,
                request_timeout: Duration::from_secs(10),
            },
            Arc::new(signer),
        )
        .unwrap()
    };
    let clock = Arc::new(ManualClock::new());
    let payload = br#"{"aps":{"alert":"x"}}"#;
    let t = token("a", 9);
    let push = Push {
        device_token: &t,
        collapse_id: "X",
        payload,
        expiration: 0,
    };

    let foreign = client(
        JwtSigner::from_pkcs8_der(&ring_p8(), &o.key_id, &o.team_id, 50 * MIN, clock.clone())
            .unwrap(),
    );
    assert!(matches!(
        foreign.send(&push).await.unwrap(),
        PushResult::Rejected { status: 403, ref reason, .. } if reason == "InvalidProviderToken"
    ));

    let key = std::fs::read_to_string(rig.settings.key_file.clone()).unwrap();
    let der = ocpizza_bridge::apns::jwt::read_p8(&rig.settings.key_file).unwrap();
    assert!(key.contains("BEGIN PRIVATE KEY"));
    let one = client(
        JwtSigner::from_pkcs8_der(&der, &o.key_id, &o.team_id, 50 * MIN, clock.clone()).unwrap(),
    );
    assert!(matches!(
        one.send(&push).await.unwrap(),
        PushResult::Accepted { .. }
    ));
    // A second signer of the same team signing its own token a second later: Apple says 429.
    clock.advance(Duration::from_secs(1));
    rig.fake.advance_clock(Duration::from_secs(1));
    let two = client(
        JwtSigner::from_pkcs8_der(&der, &o.key_id, &o.team_id, 50 * MIN, clock.clone()).unwrap(),
    );
    assert!(matches!(
        two.send(&push).await.unwrap(),
        PushResult::Rejected { status: 429, ref reason, .. } if reason == "TooManyProviderTokenUpdates"
    ));
    // A token older than an hour (the client's clock is behind): 403 ExpiredProviderToken, re-signed once with
    // the same old clock, still expired.
    rig.fake.advance_clock(61 * MIN);
    assert!(matches!(
        one.send(&push).await.unwrap(),
        PushResult::Rejected { status: 403, ref reason, .. } if reason == "ExpiredProviderToken"
    ));
}

/// A clock that takes 2 ms to read: the first renewer is still signing while the others check the token, so
/// that a renewal that is not single-flight shows up as several new tokens.
struct SlowClock(ManualClock);

impl Clock for SlowClock {
    fn now(&self) -> std::time::SystemTime {
        std::thread::sleep(Duration::from_millis(2));
        self.0.now()
    }
}

/// A fresh P-256 PKCS#8 key, as an Apple `.p8` holds.
fn ring_p8() -> Vec<u8> {
    let rng = ring::rand::SystemRandom::new();
    ring::signature::EcdsaKeyPair::generate_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &rng,
    )
    .unwrap()
    .as_ref()
    .to_vec()
}
