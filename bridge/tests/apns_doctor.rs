//! `doctor`'s APNs line: the key is readable and signs a JWT, or the reason it is not, naming the setting.

mod apns_support;

use apns_support::*;
use ocpizza_bridge::apns::{ApnsError, doctor};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_reports_a_usable_key_and_names_what_is_wrong() {
    let rig = Rig::new().await;
    let line = doctor(&rig.settings)
        .await
        .expect("the stand-in's key signs");
    assert!(
        line.contains(&rig.settings.key_id) && line.contains("JWT signed"),
        "{line}"
    );
    assert!(
        !line.contains("PRIVATE KEY") && !line.contains("bearer"),
        "no secret in the report: {line}"
    );

    let mut missing = rig.settings.clone();
    missing.key_file = "/nonexistent/AuthKey.p8".into();
    let err = doctor(&missing).await.unwrap_err();
    assert!(matches!(err, ApnsError::KeyRead { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("apns.key_file /nonexistent/AuthKey.p8"),
        "{err}"
    );

    let dir = std::env::temp_dir().join(format!("ocpizza-apns-doctor-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let garbage = dir.join("garbage.p8");
    std::fs::write(
        &garbage,
        "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let mut bad = rig.settings.clone();
    bad.key_file = garbage;
    let err = doctor(&bad).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("not a P-256 (ES256) PKCS#8 private key"),
        "{err}"
    );

    let mut bad_ca = rig.settings.clone();
    bad_ca.ca_file = Some(dir.join("missing-ca.pem"));
    let err = doctor(&bad_ca).await.unwrap_err();
    assert!(err.to_string().starts_with("apns.ca_file"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
