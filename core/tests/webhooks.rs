//! Standard Webhooks v1: the official vector, rotation, tolerance edges, malformed headers.

use ocpizza_core::webhooks::{
    DEFAULT_TOLERANCE_SECS, Secret, WebhookError, sign, try_sign, validate_msg_id, verify,
};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const MSG_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS: i64 = 1614265330;
const BODY: &[u8] = br#"{"test": 2432232314}"#;
const SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

fn secret() -> Secret {
    Secret::parse(SECRET).unwrap()
}

fn other_secret() -> Secret {
    Secret::parse("whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=").unwrap()
}

fn check(secrets: &[Secret], sig_header: &str, now: i64) -> Result<(), WebhookError> {
    verify(
        secrets,
        MSG_ID,
        &TS.to_string(),
        sig_header,
        BODY,
        now,
        DEFAULT_TOLERANCE_SECS,
    )
}

#[test]
fn official_vector() {
    assert_eq!(sign(&secret(), MSG_ID, TS, BODY), SIG);
    assert_eq!(try_sign(&secret(), MSG_ID, TS, BODY).unwrap(), SIG);
    assert_eq!(check(&[secret()], SIG, TS), Ok(()));
}

#[test]
fn secret_forms() {
    // Without prefix, and without padding, give the same key.
    let no_prefix = Secret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    assert_eq!(sign(&no_prefix, MSG_ID, TS, BODY), SIG);
    let padded = other_secret();
    let unpadded = Secret::parse("whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY").unwrap();
    assert_eq!(
        sign(&padded, MSG_ID, TS, BODY),
        sign(&unpadded, MSG_ID, TS, BODY)
    );
    assert_eq!(
        Secret::from_bytes(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef").map(|s| sign(&s, MSG_ID, TS, BODY)),
        Ok(sign(&padded, MSG_ID, TS, BODY))
    );
}

/// The reference libraries' own secret cases. The Python library (`standardwebhooks/webhooks.py`, `Webhook.__init__`)
/// strips `whsec_` and decodes `secret + "=="`, so it takes unpadded secrets, whatever the unused bits of the last
/// character; its `test_signature_verification_with_unpadded_secret` uses `…LaLaS` (23-byte key, "needs one
/// padding") and `…LaLaSwBr` (25 bytes, "needs two"); `test_signature_verification_with_and_without_prefix` the
/// official secret without its prefix. The expected signatures below are the official message signed with
/// those keys as the Python library decodes them (computed with Python's `base64.b64decode(s + "==")` and
/// `hmac`; the same values appear in independent implementations' test suites).
#[test]
fn secrets_as_the_reference_libraries_read_them() {
    let cases = [
        ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", 23, "v1,LVOXivKoo4FWasi/IaHvzhE/u+7/cu2AME+zS/nXqzk="),
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", 23, "v1,LVOXivKoo4FWasi/IaHvzhE/u+7/cu2AME+zS/nXqzk="),
        ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS=", 23, "v1,LVOXivKoo4FWasi/IaHvzhE/u+7/cu2AME+zS/nXqzk="),
        ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr", 25, "v1,yK2tMbA6BHPrMEJ1lLv7UlJJbgFoqGenJkiajZ29evg="),
        ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr=", 25, "v1,yK2tMbA6BHPrMEJ1lLv7UlJJbgFoqGenJkiajZ29evg="),
        ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr==", 25, "v1,yK2tMbA6BHPrMEJ1lLv7UlJJbgFoqGenJkiajZ29evg="),
        (SECRET, 24, SIG),
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 24, SIG),
    ];
    for (text, len, expected) in cases {
        let s = Secret::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(s.len(), len, "{text}");
        // Signing and verifying alike (the shop signs, the bridge verifies).
        assert_eq!(sign(&s, MSG_ID, TS, BODY), expected, "{text}");
        assert_eq!(check(&[s.clone()], expected, TS), Ok(()), "{text}");
        assert_eq!(s.follows_advice(), len >= 24, "{text}");
    }
    // Any non-empty key, as the libraries take it (HMAC accepts any length): short and long ones too.
    assert_eq!(Secret::parse("whsec_c2hvcnQ=").unwrap().len(), 5);
    assert_eq!(Secret::parse(&format!("whsec_{}", "A".repeat(100))).unwrap().len(), 75);
    assert!(!Secret::parse("whsec_c2hvcnQ=").unwrap().follows_advice());
}

#[test]
fn bad_secrets_are_named_and_not_echoed() {
    for bad in [
        "",
        "whsec_",
        "whsec_not base64!",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS*",
        "whsec_==",
        "=",
        // 33 characters: one more than a multiple of 4, which no base64 text has (Python: "number of data
        // characters (33) cannot be 1 more than a multiple of 4").
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwB",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw====",
        "whsec_MfKQ9r8G=KYqrTwjUPD8ILPZIo2LaLaSw",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw ",
    ] {
        match Secret::parse(bad) {
            Err(WebhookError::InvalidSecret(msg)) => {
                assert!(msg.contains("secret"), "{msg}");
                if bad.len() > 8 {
                    assert!(
                        !msg.contains(&bad[6..]),
                        "the message must not echo the secret: {msg}"
                    );
                }
            }
            other => panic!("{bad:?}: {other:?}"),
        }
    }
}

#[test]
fn multiple_signatures_and_rotation() {
    let new = other_secret();
    let new_sig = sign(&new, MSG_ID, TS, BODY);
    // Sender signs with old and new secret during a rotation; a receiver knowing either one accepts.
    let both = format!("{new_sig} {SIG}");
    assert_eq!(check(&[secret()], &both, TS), Ok(()));
    assert_eq!(check(std::slice::from_ref(&new), &both, TS), Ok(()));
    // Receiver knowing both secrets accepts a message signed with only one of them.
    assert_eq!(check(&[new.clone(), secret()], SIG, TS), Ok(()));
    assert_eq!(check(&[secret(), new.clone()], &new_sig, TS), Ok(()));
    // Neither secret known.
    let third = Secret::from_bytes(&[7u8; 32]).unwrap();
    assert_eq!(
        check(&[third], &both, TS),
        Err(WebhookError::NoMatchingSignature)
    );
    assert_eq!(check(&[], SIG, TS), Err(WebhookError::NoMatchingSignature));
    // Extra spaces between entries are tolerated.
    assert_eq!(
        check(&[secret()], &format!("  v1,AAAA  {SIG} "), TS),
        Ok(())
    );
}

#[test]
fn other_versions_are_ignored() {
    let v1a = "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==";
    assert_eq!(check(&[secret()], &format!("{v1a} {SIG}"), TS), Ok(()));
    assert_eq!(
        check(&[secret()], v1a, TS),
        Err(WebhookError::NoMatchingSignature)
    );
    // The right MAC under another version label is not a v1 signature.
    let relabelled = SIG.replacen("v1,", "v2,", 1);
    assert_eq!(
        check(&[secret()], &relabelled, TS),
        Err(WebhookError::NoMatchingSignature)
    );
    // An entry without a comma is skipped.
    assert_eq!(check(&[secret()], &format!("garbage {SIG}"), TS), Ok(()));
}

#[test]
fn tolerance_edges_both_directions() {
    assert_eq!(check(&[secret()], SIG, TS + 300), Ok(()));
    assert_eq!(check(&[secret()], SIG, TS + 301), Err(WebhookError::TooOld));
    assert_eq!(check(&[secret()], SIG, TS - 300), Ok(()));
    assert_eq!(check(&[secret()], SIG, TS - 301), Err(WebhookError::TooNew));
    // Configurable tolerance.
    let v = |now, tol| verify(&[secret()], MSG_ID, &TS.to_string(), SIG, BODY, now, tol);
    assert_eq!(v(TS + 10, 10), Ok(()));
    assert_eq!(v(TS + 11, 10), Err(WebhookError::TooOld));
    assert_eq!(v(TS - 11, 10), Err(WebhookError::TooNew));
    assert_eq!(v(TS, 0), Ok(()));
    assert_eq!(v(TS + 1, 0), Err(WebhookError::TooOld));
    // Extreme clocks do not overflow.
    assert_eq!(v(i64::MAX, i64::MAX), Ok(()));
    assert_eq!(v(i64::MIN, 300), Err(WebhookError::TooNew));
    assert_eq!(v(i64::MAX, 300), Err(WebhookError::TooOld));
}

#[test]
fn a_fresh_timestamp_is_a_fresh_signature() {
    // Retries are re-signed with the attempt's timestamp; the old signature does not verify the new timestamp.
    let later = TS + 600;
    let resigned = sign(&secret(), MSG_ID, later, BODY);
    assert_ne!(resigned, SIG);
    assert_eq!(
        verify(
            &[secret()],
            MSG_ID,
            &later.to_string(),
            &resigned,
            BODY,
            later,
            300
        ),
        Ok(())
    );
    assert_eq!(
        verify(
            &[secret()],
            MSG_ID,
            &later.to_string(),
            SIG,
            BODY,
            later,
            300
        ),
        Err(WebhookError::NoMatchingSignature)
    );
}

#[test]
fn tampering_fails() {
    let s = [secret()];
    let ts = TS.to_string();
    assert_eq!(
        verify(&s, MSG_ID, &ts, SIG, br#"{"test": 2432232315}"#, TS, 300),
        Err(WebhookError::NoMatchingSignature)
    );
    assert_eq!(
        verify(&s, MSG_ID, &ts, SIG, br#"{"test":2432232314}"#, TS, 300),
        Err(WebhookError::NoMatchingSignature),
        "re-serialised body"
    );
    assert_eq!(
        verify(&s, "msg_p5jXN8AQM9LWM0D4loKWxJel", &ts, SIG, BODY, TS, 300),
        Err(WebhookError::NoMatchingSignature)
    );
    assert_eq!(
        verify(&s, MSG_ID, "1614265331", SIG, BODY, TS, 300),
        Err(WebhookError::NoMatchingSignature)
    );
}

#[test]
fn missing_and_malformed_headers() {
    let s = [secret()];
    let ts = TS.to_string();
    assert_eq!(
        verify(&s, "", &ts, SIG, BODY, TS, 300),
        Err(WebhookError::MissingHeader("webhook-id"))
    );
    assert_eq!(
        verify(&s, MSG_ID, "", SIG, BODY, TS, 300),
        Err(WebhookError::MissingHeader("webhook-timestamp"))
    );
    assert_eq!(
        verify(&s, MSG_ID, &ts, "", BODY, TS, 300),
        Err(WebhookError::MissingHeader("webhook-signature"))
    );
    assert_eq!(
        verify(&s, MSG_ID, &ts, "   ", BODY, TS, 300),
        Err(WebhookError::MissingHeader("webhook-signature"))
    );
    for bad_ts in [
        "abc",
        "1614265330.5",
        "-1614265330",
        " 1614265330",
        "1e9",
        "99999999999999999999999",
    ] {
        assert_eq!(
            verify(&s, MSG_ID, bad_ts, SIG, BODY, TS, 300),
            Err(WebhookError::InvalidTimestamp),
            "{bad_ts}"
        );
    }
    for bad_id in ["msg.1", "msg 1", "msg\n1", &"m".repeat(256)] {
        assert_eq!(
            verify(&s, bad_id, &ts, SIG, BODY, TS, 300),
            Err(WebhookError::InvalidHeader("webhook-id")),
            "{bad_id}"
        );
    }
    // Bad base64 in the only v1 entry, or a MAC of the wrong length.
    for bad_sig in [
        "v1,not*base64",
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE",
        "v1,AAAA",
        "v1,",
    ] {
        assert_eq!(
            check(&s, bad_sig, TS),
            Err(WebhookError::InvalidHeader("webhook-signature")),
            "{bad_sig}"
        );
    }
    // …but a good entry next to a bad one still passes.
    assert_eq!(check(&s, &format!("v1,not*base64 {SIG}"), TS), Ok(()));
    // Messages name the header.
    assert!(
        WebhookError::MissingHeader("webhook-id")
            .to_string()
            .contains("webhook-id")
    );
    assert!(
        WebhookError::InvalidTimestamp
            .to_string()
            .contains("webhook-timestamp")
    );
}

#[test]
fn msg_id_validation_on_sign() {
    assert_eq!(validate_msg_id(MSG_ID), Ok(()));
    assert_eq!(validate_msg_id("01JDQ0Y5V8F2KX3T9Z7M4N6P8R"), Ok(()));
    assert_eq!(
        try_sign(&secret(), "", TS, BODY),
        Err(WebhookError::MissingHeader("webhook-id"))
    );
    assert_eq!(
        try_sign(&secret(), "a.b", TS, BODY),
        Err(WebhookError::InvalidHeader("webhook-id"))
    );
    assert_eq!(
        try_sign(&secret(), MSG_ID, -1, BODY),
        Err(WebhookError::InvalidTimestamp)
    );
    assert_eq!(validate_msg_id(&"m".repeat(255)), Ok(()));
    assert_eq!(
        validate_msg_id(&"m".repeat(256)),
        Err(WebhookError::InvalidHeader("webhook-id"))
    );
}
