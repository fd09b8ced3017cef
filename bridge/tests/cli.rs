//! `ocpizza-bridge webhook sign|verify`, `doctor` and the refusals of `purge`, by running the built binary (the
//! purge itself against a database: tests/retention.rs).

mod cli_support;

use std::process::Command;

use cli_support::*;

#[test]
fn sign_prints_the_official_vector() {
    let out = run(&["webhook", "sign", "--secret", SECRET, "--id", ID, "--timestamp", TS], BODY);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), SIG);
}

#[test]
fn verify_accepts_the_vector_and_names_each_failure() {
    let verify = |id: &str, ts: &str, sig: &str, now: &str, body: &[u8]| {
        let mut args = vec!["webhook", "verify", "--secret", SECRET, "--now", now];
        for (flag, v) in [("--id", id), ("--timestamp", ts), ("--signature", sig)] {
            if !v.is_empty() {
                args.push(flag);
                args.push(v);
            }
        }
        run(&args, body)
    };
    let ok = verify(ID, TS, SIG, TS, BODY);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    // Another version's entry before ours is skipped.
    let ok = verify(ID, TS, &format!("v1a,AAAA {SIG}"), "1614265630", BODY);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));

    for (what, out, needle) in [
        ("missing signature", verify(ID, TS, "", TS, BODY), "missing header webhook-signature"),
        ("missing id", verify("", TS, SIG, TS, BODY), "missing header webhook-id"),
        ("invalid timestamp", verify(ID, "16142x", SIG, TS, BODY), "invalid header webhook-timestamp"),
        ("too old", verify(ID, TS, SIG, "1614265631", BODY), "too old"),
        ("too new", verify(ID, TS, SIG, "1614265029", BODY), "future"),
        ("tampered body", verify(ID, TS, SIG, TS, br#"{"test": 2432232315}"#), "no webhook-signature entry matches"),
    ] {
        assert!(!out.status.success(), "{what} passed");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{what}: {err}");
    }
}

#[test]
fn doctor_reports_each_check_and_fails_without_a_database() {
    let out = Command::new(env!("CARGO_BIN_EXE_ocpizza-bridge"))
        .arg("doctor")
        .env_remove("OCPIZZA_DATABASE_URL")
        .env_remove("OCPIZZA_DOLIBARR_URL")
        .env_remove("OCPIZZA_APNS_KEY_FILE")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(text.contains("FAILED  database: OCPIZZA_DATABASE_URL is not set"), "{text}");
    assert!(text.contains("SKIPPED dolibarr"), "{text}");

    let db_url = std::env::var("OCPIZZA_TEST_DATABASE_SERVER").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    let out = Command::new(env!("CARGO_BIN_EXE_ocpizza-bridge"))
        .arg("doctor")
        .env("OCPIZZA_DATABASE_URL", format!("{db_url}/ocpizza_no_such_database_h3"))
        .env("OCPIZZA_DOLIBARR_URL", "http://127.0.0.1:9/api/index.php")
        .env("OCPIZZA_DOLIBARR_API_KEY", "doctor-test-key")
        .env("OCPIZZA_DOLIBARR_BANK_ACCOUNT_ID", "1")
        .env_remove("OCPIZZA_APNS_KEY_FILE")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(text.contains("FAILED  database:") && text.contains("does not exist"), "{text}");
    assert!(text.contains("FAILED  dolibarr:"), "{text}");
    assert!(!text.contains("doctor-test-key"), "secret printed: {text}");
}

#[test]
fn purge_refuses_an_age_that_would_forget_too_much() {
    let purge = |days: &str, env: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ocpizza-bridge"));
        cmd.args(["purge", "--older-than-days", days])
            .env_remove("OCPIZZA_CONFIG")
            .env_remove("OCPIZZA_WEBHOOK_TOLERANCE_SECS")
            // Refused before any connection: this database does not exist.
            .env("OCPIZZA_DATABASE_URL", "mysql://root@127.0.0.1:9/ocpizza_purge_never_reached");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    for (days, env, needle) in [
        ("0", &[][..], "--older-than-days 0 would purge every delivered event"),
        ("36501", &[][..], "--older-than-days: must be at most 36500 days"),
        ("1", &[("OCPIZZA_WEBHOOK_TOLERANCE_SECS", "172800")][..], "not longer than OCPIZZA_WEBHOOK_TOLERANCE_SECS"),
    ] {
        let out = purge(days, env);
        assert!(!out.status.success(), "{days} accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{days}: {err}");
        assert!(out.stdout.is_empty(), "{days}: {}", String::from_utf8_lossy(&out.stdout));
    }
}

#[tokio::test]
async fn database_commands_take_the_url_from_the_configuration_file() {
    let db = ocpizza_db::testing::TestDb::empty().await;
    let file = std::env::temp_dir().join(format!("ocpizza-bridge-cli-{}.toml", db.name));
    std::fs::write(&file, format!("database_url = \"{}\"\n", db.url)).unwrap();
    let config = file.to_str().unwrap();
    let out = run(&["--config", config, "migrate"], b"");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Applied"), "{}", String::from_utf8_lossy(&out.stdout));
    let out = run(&["--config", config, "summary"], b"");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Neither flag, variable nor file: the error says where the URL may come from.
    let _ = std::fs::remove_file(&file);
    let out = run(&["summary"], b"");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--config"), "{}", String::from_utf8_lossy(&out.stderr));
}
