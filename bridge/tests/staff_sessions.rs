//! Staff sign-in (issue 12): sessions, same answer for unknown logins, lockout with Retry-After, per-address limit,
//! expiry, revocation, deactivation, device registration with a session, and `staff set-pin` (real binary).

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;
use ocpizza_bridge::app::{RunningApp, spawn_app};
use ocpizza_bridge::config::SecretString;
use ocpizza_db::testing::TestDb;
use serde_json::{Value, json};

const DEVICE: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

struct Ctx {
    db: TestDb,
    app: RunningApp,
    client: reqwest::Client,
}

async fn start() -> Ctx {
    let db = TestDb::seeded().await;
    for (restaurant, login, pin) in
        [("BELLECOUR", "luca.b", "4821"), ("BELLECOUR", "karim.h", "7305"), ("GERLAND", "samir.k", "1111")]
    {
        ocpizza_bridge::staff::set_pin(&db.pool, restaurant, login, SecretString::new(pin)).await.unwrap();
    }
    let app = spawn_app(config(&[]), db.pool.clone(), Vec::new(), &[]).await.unwrap();
    Ctx { db, app, client: reqwest::Client::new() }
}

impl Ctx {
    async fn sign_in_raw(&self, body: Value) -> reqwest::Response {
        self.client.post(format!("http://{}/v1/staff/sessions", self.app.addr)).json(&body).send().await.unwrap()
    }
    async fn sign_in(&self, restaurant: &str, login: &str, pin: &str) -> (u16, Value) {
        let r = self.sign_in_raw(json!({"restaurant": restaurant, "login": login, "pin": pin})).await;
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }
    async fn token(&self, restaurant: &str, login: &str, pin: &str) -> String {
        let (s, j) = self.sign_in(restaurant, login, pin).await;
        assert_eq!(s, 201, "{j}");
        j["token"].as_str().unwrap().to_owned()
    }
    async fn sign_out(&self, token: &str) -> u16 {
        self.client
            .delete(format!("http://{}/v1/staff/sessions/current", self.app.addr))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
    async fn register(&self, bearer: &str, restaurant: &str, role: &str) -> (u16, Value) {
        let r = self
            .client
            .post(format!("http://{}/v1/devices", self.app.addr))
            .bearer_auth(bearer)
            .json(&json!({"token": DEVICE, "environment": "sandbox", "restaurant": restaurant, "role": role}))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_returns_a_hashed_shift_long_session_and_sign_out_revokes_it() {
    let c = start().await;
    let before = chrono::Utc::now();
    let (s, j) = c.sign_in("BELLECOUR", "luca.b", "4821").await;
    assert_eq!(s, 201, "{j}");
    let token = j["token"].as_str().unwrap();
    assert!(token.starts_with("ocps_") && token.len() == 5 + 64, "{token}");
    assert_eq!(j["staff"]["name"], "Luca Bianchi");
    assert_eq!(j["staff"]["role"], "pizzaiolo");
    assert_eq!(j["staff"]["restaurant"], "BELLECOUR");
    assert!(j["staff"]["id"].as_i64().unwrap() > 0);
    let expires: chrono::DateTime<chrono::Utc> = j["expires_at"].as_str().unwrap().parse().unwrap();
    let hours = (expires - before).num_minutes() as f64 / 60.0;
    assert!((11.9..=12.1).contains(&hours), "{hours}");
    // Only the SHA-256 is stored.
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT token_hash FROM staff_sessions").fetch_one(&c.db.pool).await.unwrap();
    assert_eq!(stored, ocpizza_bridge::staff::session::token_hash(token).to_vec());
    let clear: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM staff_sessions WHERE token_hash = ?")
        .bind(token.as_bytes())
        .fetch_one(&c.db.pool)
        .await
        .unwrap();
    assert_eq!(clear, 0);

    assert_eq!(c.sign_out(token).await, 204);
    assert_eq!(c.sign_out(token).await, 401, "a revoked session is dead");
    assert_eq!(c.sign_out("ocps_0000").await, 401);
    assert_eq!(c.sign_out("whatever-else").await, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_length_is_the_setting() {
    let db = TestDb::seeded().await;
    ocpizza_bridge::staff::set_pin(&db.pool, "BELLECOUR", "luca.b", SecretString::new("4821")).await.unwrap();
    let app =
        spawn_app(config(&[("OCPIZZA_STAFF_SESSION_HOURS", "8")]), db.pool.clone(), Vec::new(), &[]).await.unwrap();
    let c = Ctx { db, app, client: reqwest::Client::new() };
    let before = chrono::Utc::now();
    let (_, j) = c.sign_in("BELLECOUR", "luca.b", "4821").await;
    let expires: chrono::DateTime<chrono::Utc> = j["expires_at"].as_str().unwrap().parse().unwrap();
    let hours = (expires - before).num_minutes() as f64 / 60.0;
    assert!((7.9..=8.1).contains(&hours), "{hours}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_pin_unknown_login_and_no_pin_get_the_same_answer() {
    let c = start().await;
    let wrong = c.sign_in("BELLECOUR", "luca.b", "0000").await;
    let unknown = c.sign_in("BELLECOUR", "nobody.x", "0000").await;
    let no_pin = c.sign_in("BELLECOUR", "sofia.r", "0000").await; // seeded, never given a PIN
    let other_restaurant = c.sign_in("GERLAND", "luca.b", "4821").await;
    let no_restaurant = c.sign_in("NOWHERE", "luca.b", "4821").await;
    for (what, got) in [
        ("unknown", &unknown),
        ("no pin", &no_pin),
        ("other restaurant", &other_restaurant),
        ("no restaurant", &no_restaurant),
    ] {
        assert_eq!(got, &wrong, "{what}");
    }
    assert_eq!(wrong.0, 401);
    assert_eq!(wrong.1["reason"], "invalid_credentials");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_is_validated_with_the_field_named() {
    let c = start().await;
    for (body, status, reason) in [
        (json!({"restaurant": "BELLECOUR", "login": "luca.b", "pin": "12"}), 422, "invalid_pin"),
        (json!({"restaurant": "BELLECOUR", "login": "luca.b", "pin": "12ab"}), 422, "invalid_pin"),
        (json!({"restaurant": "BELLECOUR", "login": "Luca B", "pin": "4821"}), 422, "invalid_login"),
        (json!({"restaurant": "bellecour", "login": "luca.b", "pin": "4821"}), 422, "invalid_restaurant"),
        (json!({"restaurant": "BELLECOUR", "login": "luca.b"}), 400, "malformed_body"),
        (json!({"restaurant": "BELLECOUR", "login": "luca.b", "pin": 4821}), 400, "malformed_body"),
        (json!({"restaurant": "BELLECOUR", "login": "luca.b", "pin": "4821", "x": 1}), 400, "malformed_body"),
    ] {
        let r = c.sign_in_raw(body.clone()).await;
        assert_eq!(r.status().as_u16(), status, "{body}");
        let j: Value = r.json().await.unwrap();
        assert_eq!(j["reason"], reason, "{body}: {j}");
        if status == 422 {
            let field = reason.trim_start_matches("invalid_");
            assert!(j["error"].as_str().unwrap().starts_with(&format!("{field}:")), "{j}");
        }
    }
    // Refused input is no failed sign-in: the login is not closer to its lockout.
    assert_eq!(count(&c.db.pool, "SELECT COUNT(*) FROM staff_auth_failures").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_failures_lock_the_login_for_15_minutes_known_or_not() {
    let c = start().await;
    for login in ["luca.b", "ghost.z"] {
        for i in 0..5 {
            let (s, j) = c.sign_in("BELLECOUR", login, "9999").await;
            assert_eq!(s, 401, "{login} attempt {i}: {j}");
        }
        let r = c.sign_in_raw(json!({"restaurant": "BELLECOUR", "login": login, "pin": "4821"})).await;
        assert_eq!(r.status().as_u16(), 429, "{login}: locked even with the right PIN");
        let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((890..=900).contains(&retry), "{retry}");
        let j: Value = r.json().await.unwrap();
        assert_eq!(j["reason"], "locked");
    }
    // Another login of the same restaurant is not affected.
    c.token("BELLECOUR", "karim.h", "7305").await;
    // When the lock has passed, the right PIN signs in and clears the count.
    sqlx::query("UPDATE staff_auth_failures SET locked_until = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND")
        .execute(&c.db.pool)
        .await
        .unwrap();
    c.token("BELLECOUR", "luca.b", "4821").await;
    assert_eq!(
        count(&c.db.pool, "SELECT COUNT(*) FROM staff_auth_failures WHERE subject = 'login:BELLECOUR:luca.b'").await,
        0
    );
    // Four failures then a success: the count starts again, a fifth failure later does not lock.
    for _ in 0..4 {
        assert_eq!(c.sign_in("BELLECOUR", "karim.h", "0000").await.0, 401);
    }
    c.token("BELLECOUR", "karim.h", "7305").await;
    assert_eq!(c.sign_in("BELLECOUR", "karim.h", "0000").await.0, 401);
    c.token("BELLECOUR", "karim.h", "7305").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_rate_limited_per_client_address() {
    let c = start().await;
    // 30 failures spread over logins that never reach their own limit (4 each).
    for i in 0..30 {
        let (s, _) = c.sign_in("BELLECOUR", &format!("guess{}", i / 4), "0000").await;
        assert_eq!(s, 401, "attempt {i}");
    }
    let r = c.sign_in_raw(json!({"restaurant": "BELLECOUR", "login": "luca.b", "pin": "4821"})).await;
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let subject: String = sqlx::query_scalar(
        "SELECT CONVERT(subject USING utf8mb4) FROM staff_auth_failures WHERE locked_until IS NOT NULL",
    )
    .fetch_one(&c.db.pool)
    .await
    .unwrap();
    assert_eq!(subject, "addr:127.0.0.1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_sessions_and_deactivated_staff_are_refused_at_once() {
    let c = start().await;
    let luca = c.token("BELLECOUR", "luca.b", "4821").await;
    let karim = c.token("BELLECOUR", "karim.h", "7305").await;
    assert_eq!(c.register(&luca, "BELLECOUR", "pizzaiolo").await.0, 201);
    // Expiry: the session's end has passed.
    sqlx::query("UPDATE staff_sessions s JOIN staff st ON st.id = s.staff_id SET s.created_at = UTC_TIMESTAMP(6) - INTERVAL 13 HOUR, s.expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE st.login = 'luca.b'")
        .execute(&c.db.pool)
        .await
        .unwrap();
    let (s, j) = c.register(&luca, "BELLECOUR", "pizzaiolo").await;
    assert_eq!((s, j["reason"].as_str()), (401, Some("invalid_session")), "{j}");
    // Deactivation: every session of that person dies with it, without waiting for the expiry.
    assert_eq!(c.register(&karim, "BELLECOUR", "driver").await.0, 200);
    sqlx::query("UPDATE staff SET active = FALSE WHERE login = 'karim.h'").execute(&c.db.pool).await.unwrap();
    assert_eq!(c.register(&karim, "BELLECOUR", "driver").await.0, 401);
    assert_eq!(c.sign_out(&karim).await, 401);
    // And the deactivated member cannot sign in again (same answer as a wrong PIN).
    assert_eq!(c.sign_in("BELLECOUR", "karim.h", "7305").await, c.sign_in("BELLECOUR", "karim.h", "0000").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_registers_devices_of_its_own_restaurant_and_role_only() {
    let c = start().await;
    let samir = c.token("GERLAND", "samir.k", "1111").await;
    let (s, j) = c.register(&samir, "BELLECOUR", "driver").await;
    assert_eq!((s, j["reason"].as_str()), (403, Some("wrong_restaurant")), "{j}");
    let (s, j) = c.register(&samir, "GERLAND", "manager").await;
    assert_eq!((s, j["reason"].as_str()), (403, Some("wrong_role")), "{j}");
    assert_eq!(count(&c.db.pool, "SELECT COUNT(*) FROM devices").await, 0);
    let (s, j) = c.register(&samir, "GERLAND", "driver").await;
    assert_eq!(s, 201, "{j}");
    let (code, role): (String, String) = sqlx::query_as(
        "SELECT CONVERT(r.code USING utf8mb4), d.role FROM devices d JOIN restaurants r ON r.id = d.restaurant_id",
    )
    .fetch_one(&c.db.pool)
    .await
    .unwrap();
    assert_eq!((code.as_str(), role.as_str()), ("GERLAND", "driver"));
    // The configured device tokens keep working.
    let (s, j) = c.register(DEV_APP, "BELLECOUR", "pizzaiolo").await;
    assert_eq!(s, 200, "{j}");
    let (s, _) = c.register(DEV_BELLECOUR, "GERLAND", "pizzaiolo").await;
    assert_eq!(s, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_pin_command_reads_stdin_prints_nothing_secret_and_revokes_sessions() {
    let c = start().await;
    let old = c.token("BELLECOUR", "luca.b", "4821").await;
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ocpizza-bridge"))
            .args(args)
            .env("OCPIZZA_DATABASE_URL", &c.db.url)
            .env("RUST_LOG", "trace")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run(&["staff", "set-pin", "BELLECOUR", "luca.b"], "90817263\n");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(!stdout.contains("90817263") && !stderr.contains("90817263") && !stdout.contains("argon2"), "{stdout}");
    assert!(stdout.contains("1 open session(s) revoked"), "{stdout}");
    assert_eq!(c.sign_out(&old).await, 401);
    assert_eq!(c.sign_in("BELLECOUR", "luca.b", "4821").await.0, 401);
    c.token("BELLECOUR", "luca.b", "90817263").await;

    for (args, pin, needle) in [
        (&["staff", "set-pin", "BELLECOUR", "luca.b"][..], "123\n", "pin: expected 4 to 12 digits"),
        (&["staff", "set-pin", "BELLECOUR", "luca.b"][..], "1234567890123\n", "pin: expected 4 to 12 digits"),
        (&["staff", "set-pin", "BELLECOUR", "nobody.x"][..], "1234\n", "has login \"nobody.x\""),
        (&["staff", "set-pin", "bellecour", "luca.b"][..], "1234\n", "restaurant: expected"),
    ] {
        let out = run(args, pin);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains(pin.trim()), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_migration_derives_logins_for_the_staff_already_there() {
    let db = TestDb::empty().await;
    let mine = 20261207000001;
    for m in ocpizza_db::migrate::MIGRATOR.iter().filter(|m| m.version < mine) {
        sqlx::raw_sql(&m.sql).execute(&db.pool).await.unwrap();
    }
    sqlx::raw_sql(
        "INSERT INTO restaurants (code, name, address_line1, postcode, city, phone) VALUES \
           ('BELLECOUR', 'B', '1 rue', '69002', 'Lyon', '0400000000'), ('GERLAND', 'G', '2 rue', '69007', 'Lyon', '0400000001'); \
         INSERT INTO staff (restaurant_id, role, first_name, last_name) VALUES \
           (1, 'driver', 'Léa', 'Roux'), (1, 'driver', 'Léa', 'Rémy'), (2, 'driver', 'Léa', 'Roux'), \
           (1, 'cashier', 'Chloé Anne', 'Ébert'), (1, 'manager', '李', '王'), (1, 'driver', 'O''Neil', 'Smith')",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let m = ocpizza_db::migrate::MIGRATOR.iter().find(|m| m.version == mine).unwrap();
    sqlx::raw_sql(&m.sql).execute(&db.pool).await.unwrap();
    let logins: Vec<(i64, String)> = sqlx::query_as("SELECT id, CONVERT(login USING utf8mb4) FROM staff ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let logins: Vec<String> = logins.into_iter().map(|(_, l)| l).collect();
    assert_eq!(logins, ["lea.r", "lea.r2", "lea.r", "chloe-anne.e", "staff5", "oneil.s"]);
}
