//! Issue 11: `whsec_` secrets whose base64 lost its `=` padding, as the Standard Webhooks reference libraries
//! accept them (Python's `test_signature_verification_with_unpadded_secret`: 23- and 25-byte keys), in
//! `ocpizza-bridge webhook sign|verify` (the built binary) and in `OCPIZZA_WEBHOOK_SECRETS` (a running bridge).

mod cli_support;
mod common;

use cli_support::{BODY, ID, TS};
use common::*;
use ocpizza_bridge::app::spawn_app;
use ocpizza_db::testing::TestDb;

fn run(args: &[&str]) -> std::process::Output {
    cli_support::run(args, BODY)
}

/// (secret, signature of the official message with the key the Python reference library decodes from it).
const UNPADDED: [(&str, &str); 2] = [
    ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", "v1,LVOXivKoo4FWasi/IaHvzhE/u+7/cu2AME+zS/nXqzk="),
    ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr", "v1,yK2tMbA6BHPrMEJ1lLv7UlJJbgFoqGenJkiajZ29evg="),
];

#[test]
fn cli_signs_and_verifies_with_unpadded_secrets() {
    for (secret, sig) in UNPADDED {
        let out = run(&["webhook", "sign", "--secret", secret, "--id", ID, "--timestamp", TS]);
        assert!(out.status.success(), "{secret}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), sig);
        let out = run(&["webhook", "verify", "--secret", secret, "--id", ID, "--timestamp", TS, "--signature", sig, "--now", TS]);
        assert!(out.status.success(), "{secret}: {}", String::from_utf8_lossy(&out.stderr));
    }
    // What the reference libraries refuse stays refused, naming the option and never echoing the secret.
    for bad in ["whsec_", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwB", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La!aSw"] {
        let out = run(&["webhook", "sign", "--secret", bad, "--id", ID, "--timestamp", TS]);
        assert!(!out.status.success(), "{bad} accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--secret: invalid webhook secret"), "{bad}: {err}");
        assert!(!err.contains("MfKQ"), "secret echoed: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_accepts_webhooks_signed_with_unpadded_secrets() {
    let db = TestDb::new().await;
    let secrets = format!("{},{}", UNPADDED[0].0, UNPADDED[1].0);
    let app = spawn_app(config(&[("OCPIZZA_WEBHOOK_SECRETS", &secrets)]), db.pool.clone(), Vec::new(), &[])
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let body = status_changed(5, "received", "accepted");
    for (i, (secret, _)) in UNPADDED.iter().enumerate() {
        let id = format!("evt_unpadded_{i}");
        let (s, j) = post_webhook(&client, app.addr, &sign_with(secret, &id, now(), &body), &body).await;
        assert_eq!(s, 202, "{secret}: {j}");
    }
    // A secret the bridge is not configured with is still refused.
    let (s, j) = send(&client, app.addr, "evt_other", &body).await;
    assert_eq!((s, j["reason"].as_str()), (401, Some("no_matching_signature")), "{j}");
    app.shutdown().await;
}
