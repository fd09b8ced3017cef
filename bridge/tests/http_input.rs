//! Issue 14: bad input is never an outage, a credential never reaches past its scope.
//!
//! Every route taking a code that reaches an `ascii_bin` column refuses non-ASCII, over-long, empty and
//! control-character values with its documented 4xx naming the field, before any query (never 503
//! `database_unavailable`); a restaurant-scoped device token acts only on its restaurant's devices; `/readyz`
//! names what is down without the error text.

mod common;

use common::*;
use ocpizza_bridge::app::spawn_app;
use ocpizza_db::testing::TestDb;

const DEV_PART_DIEU: &str = "part-dieu-token-0123456789";
const T1: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn scoped_config() -> ocpizza_bridge::config::Config {
    config(&[(
        "OCPIZZA_DEVICE_TOKENS",
        &format!("BELLECOUR={DEV_BELLECOUR},PART-DIEU={DEV_PART_DIEU},app={DEV_APP}"),
    )])
}

/// (name, value) of the four kinds of bad value the issue names, for a field whose valid form is `good`.
fn bad_values(good: &str, max: usize) -> Vec<(&'static str, String)> {
    let mut accented = good.to_owned();
    accented.replace_range(1..2, "É");
    vec![
        ("non-ASCII", accented),
        ("over-long", good.chars().next().unwrap().to_string().repeat(max + 1)),
        ("empty", String::new()),
        ("control character", format!("{}\u{1}", &good[..good.len() - 1])),
    ]
}

async fn json_of(resp: reqwest::Response) -> (u16, serde_json::Value) {
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

fn percent(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_routes_refuse_bad_codes_naming_the_field() {
    let db = TestDb::new().await;
    restaurant(&db.pool, "BELLECOUR").await;
    let app = spawn_app(scoped_config(), db.pool.clone(), Vec::new(), &[]).await.unwrap();
    let client = reqwest::Client::new();
    let register = |bearer: &'static str, token: String, restaurant: String| {
        let client = client.clone();
        let url = format!("http://{}/v1/devices", app.addr);
        async move {
            let body = serde_json::json!({"token": token, "environment": "production", "restaurant": restaurant, "role": "driver"});
            json_of(client.post(url).bearer_auth(bearer).json(&body).send().await.unwrap()).await
        }
    };

    // The case: a one-letter typo in an app's settings was answered 503 "retry later".
    for bearer in [DEV_APP, DEV_BELLECOUR] {
        for (what, v) in bad_values("BELLECOUR", 16) {
            let (s, j) = register(bearer, T1.into(), v).await;
            assert_eq!((s, j["reason"].as_str()), (422, Some("invalid_restaurant")), "{what}: {j}");
            assert!(j["error"].as_str().unwrap().starts_with("restaurant: "), "{what}: {j}");
        }
        for (what, v) in bad_values(T1, 200) {
            let (s, j) = register(bearer, v, "BELLECOUR".into()).await;
            assert_eq!((s, j["reason"].as_str()), (422, Some("invalid_device_token")), "{what}: {j}");
            assert!(j["error"].as_str().unwrap().starts_with("token: "), "{what}: {j}");
        }
    }
    // Well-formed but unknown: still an answer about the input.
    let (s, j) = register(DEV_APP, T1.into(), "NOWHERE".into()).await;
    assert_eq!((s, j["reason"].as_str()), (422, Some("unknown_restaurant")), "{j}");

    // DELETE /v1/devices/{token}: the path segment, percent-encoded as a client would send it.
    for (what, v) in bad_values(T1, 200) {
        if v.is_empty() {
            continue; // an empty segment is another route (404 from the router), not this one
        }
        let url = format!("http://{}/v1/devices/{}", app.addr, percent(&v));
        let (s, j) = json_of(client.delete(url).bearer_auth(DEV_APP).send().await.unwrap()).await;
        assert_eq!((s, j["reason"].as_str()), (422, Some("invalid_device_token")), "{what}: {j}");
        assert!(j["error"].as_str().unwrap().starts_with("token: "), "{what}: {j}");
    }
    // A segment that is not UTF-8 once decoded: the same JSON refusal (axum's own answer is plain text).
    let url = format!("http://{}/v1/devices/{}", app.addr, "%FF".repeat(64));
    let (s, j) = json_of(client.delete(url).bearer_auth(DEV_APP).send().await.unwrap()).await;
    assert_eq!((s, j["reason"].as_str()), (422, Some("invalid_device_token")), "{j}");
    let url = format!("http://{}/admin/deliveries/%FF/replay", app.addr);
    let (s, j) = json_of(client.post(url).bearer_auth(ADMIN).send().await.unwrap()).await;
    assert_eq!((s, j["reason"].as_str()), (400, Some("invalid_id")), "{j}");
    assert_eq!(count(&db.pool, "SELECT COUNT(*) FROM devices").await, 0);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_routes_refuse_bad_destinations_naming_the_field() {
    let db = TestDb::new().await;
    let app = spawn_app(config(&[]), db.pool.clone(), Vec::new(), &[]).await.unwrap();
    let client = reqwest::Client::new();
    for (what, v) in bad_values("dolibarr", 32) {
        let q = percent(&v);
        let list = client
            .get(format!("http://{}/admin/deliveries?destination={q}", app.addr))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap();
        let (s, j) = json_of(list).await;
        assert_eq!((s, j["reason"].as_str()), (400, Some("invalid_destination")), "list {what}: {j}");
        assert!(j["error"].as_str().unwrap().starts_with("destination: "), "{what}: {j}");

        let replay = client
            .post(format!("http://{}/admin/deliveries/replay?destination={q}", app.addr))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap();
        let (s, j) = json_of(replay).await;
        // Empty = not given (documented as missing_destination since the first version).
        let expected = if v.is_empty() { "missing_destination" } else { "invalid_destination" };
        assert_eq!((s, j["reason"].as_str()), (400, Some(expected)), "replay {what}: {j}");
        assert!(j["error"].as_str().unwrap().starts_with("destination: "), "{what}: {j}");
    }
    // The exact query string.
    let resp = client
        .get(format!("http://{}/admin/deliveries?destination=%C3%A9%E2%80%A6", app.addr))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    // Valid names still work, known or not.
    for d in ["dolibarr", "nowhere"] {
        let resp = client
            .post(format!("http://{}/admin/deliveries/replay?destination={d}", app.addr))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap();
        let (s, j) = json_of(resp).await;
        assert_eq!((s, j["replayed"].as_i64()), (200, Some(0)), "{j}");
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_refuses_bad_ids_and_bad_codes_in_the_event_before_storing() {
    let db = TestDb::new().await;
    let app = spawn_app(config(&[]), db.pool.clone(), Vec::new(), &[]).await.unwrap();
    let client = reqwest::Client::new();
    let body = status_changed(7, "received", "accepted");

    // webhook-id: sent as raw header bytes (a non-ASCII or control byte is what a broken sender would send).
    for (what, mut v) in bad_values("msg_p5jXN8AQM9LWM0D4loKWxJek", 255) {
        if what == "control character" {
            // HTTP carries no other control byte in a header; a tab at either end would be trimmed as blank.
            v = "msg_\tp5jXN8AQ".into();
        }
        let signed = sign_with(SECRET, &v, now(), &body);
        let resp = client
            .post(format!("http://{}/webhooks/prestashop", app.addr))
            .header("webhook-id", reqwest::header::HeaderValue::from_bytes(v.as_bytes()).unwrap())
            .header("webhook-timestamp", &signed.timestamp)
            .header("webhook-signature", &signed.signature)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let (s, j) = json_of(resp).await;
        let expected = if v.is_empty() { "missing_header" } else { "invalid_header" };
        assert_eq!((s, j["reason"].as_str()), (400, Some(expected)), "{what}: {j}");
        assert!(j["error"].as_str().unwrap().contains("webhook-id"), "{what}: {j}");
    }

    // Codes inside a validly signed event: refused as invalid_data naming the field, nothing stored.
    let fields: [(&str, &str, usize); 2] = [("restaurant", "BELLECOUR", 16), ("reference", "REF7", 32)];
    for (field, good, max) in fields {
        for (what, v) in bad_values(good, max) {
            let mut ev: serde_json::Value = serde_json::from_slice(&body).unwrap();
            ev["data"][field] = v.into();
            let bytes = serde_json::to_vec(&ev).unwrap();
            let (s, j) = send(&client, app.addr, &format!("evt_{field}_{}", what.replace(' ', "_")), &bytes).await;
            assert_eq!((s, j["reason"].as_str()), (400, Some("invalid_data")), "{field} {what}: {j}");
            assert!(j["error"].as_str().unwrap().contains(&format!("data.{field}: ")), "{field} {what}: {j}");
        }
    }
    // A shortage for an unknown-shaped restaurant would have become a non-ASCII partition key.
    let mut shortage: serde_json::Value = serde_json::from_slice(&stock_shortage()).unwrap();
    shortage["data"]["restaurant"] = "GERLÂND".into();
    let (s, j) = send(&client, app.addr, "evt_shortage_accent", &serde_json::to_vec(&shortage).unwrap()).await;
    assert_eq!((s, j["reason"].as_str()), (400, Some("invalid_data")), "{j}");
    assert_eq!(count(&db.pool, "SELECT COUNT(*) FROM inbox").await, 0);

    // The valid event still passes.
    let (s, j) = send(&client, app.addr, "evt_ok", &body).await;
    assert_eq!(s, 202, "{j}");
    app.shutdown().await;
}

/// Issue 14 item 3, each route and each scope: BELLECOUR, PART-DIEU and the app token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restaurant_token_acts_only_on_its_restaurants_devices() {
    let db = TestDb::new().await;
    restaurant(&db.pool, "BELLECOUR").await;
    restaurant(&db.pool, "PART-DIEU").await;
    let app = spawn_app(scoped_config(), db.pool.clone(), Vec::new(), &[]).await.unwrap();
    let client = reqwest::Client::new();
    let register = |bearer: &'static str, token: &str, restaurant: &str, role: &str, env: &str| {
        let client = client.clone();
        let url = format!("http://{}/v1/devices", app.addr);
        let body = serde_json::json!({"token": token, "environment": env, "restaurant": restaurant, "role": role});
        async move { json_of(client.post(url).bearer_auth(bearer).json(&body).send().await.unwrap()).await }
    };
    let delete = |bearer: &'static str, token: &str| {
        let client = client.clone();
        let url = format!("http://{}/v1/devices/{token}", app.addr);
        async move { json_of(client.delete(url).bearer_auth(bearer).send().await.unwrap()).await }
    };
    let row = |token: &str| {
        let pool = db.pool.clone();
        let token = token.to_owned();
        async move {
            sqlx::query_as::<_, (String, String, String, bool)>(
                "SELECT CONVERT(r.code USING utf8mb4), d.role, d.environment, d.unregistered_at IS NULL \
                 FROM devices d JOIN restaurants r ON r.id = d.restaurant_id WHERE d.token = ?",
            )
            .bind(token)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let driver = "d".repeat(64);
    let (s, j) = register(DEV_PART_DIEU, &driver, "PART-DIEU", "driver", "production").await;
    assert_eq!(s, 201, "{j}");
    let held = ("PART-DIEU".to_owned(), "driver".to_owned(), "production".to_owned(), true);

    // The attack: BELLECOUR re-registers PART-DIEU's driver phone under its own code (was 200 `updated`).
    let (s, refused) = register(DEV_BELLECOUR, &driver, "BELLECOUR", "cashier", "sandbox").await;
    assert_eq!((s, refused["reason"].as_str()), (403, Some("wrong_restaurant")), "{refused}");
    // Naming PART-DIEU in the body does not help either.
    let (s, j) = register(DEV_BELLECOUR, &driver, "PART-DIEU", "cashier", "sandbox").await;
    assert_eq!((s, j["reason"].as_str()), (403, Some("wrong_restaurant")), "{j}");
    assert_eq!(row(&driver).await, held);

    // DELETE by another restaurant and DELETE of an unknown token: one answer, so nothing is learnt.
    let (s, not_yours) = delete(DEV_BELLECOUR, &driver).await;
    assert_eq!(s, 403, "{not_yours}");
    let (s, unknown) = delete(DEV_BELLECOUR, &"e".repeat(64)).await;
    assert_eq!(s, 403, "{unknown}");
    assert_eq!(not_yours, unknown);
    assert_eq!(row(&driver).await, held);
    // The app token is not scoped: an unknown token is a plain 404.
    let (s, j) = delete(DEV_APP, &"e".repeat(64)).await;
    assert_eq!((s, j["reason"].as_str()), (404, Some("unknown_device")), "{j}");

    // Each restaurant manages its own: re-register (200), unregister (204, twice), in both directions.
    let kitchen = "b".repeat(64);
    assert_eq!(register(DEV_BELLECOUR, &kitchen, "BELLECOUR", "pizzaiolo", "production").await.0, 201);
    assert_eq!(register(DEV_BELLECOUR, &kitchen, "BELLECOUR", "manager", "production").await.0, 200);
    assert_eq!(register(DEV_PART_DIEU, &kitchen, "PART-DIEU", "manager", "production").await.0, 403);
    assert_eq!(delete(DEV_PART_DIEU, &kitchen).await.0, 403);
    assert_eq!(register(DEV_PART_DIEU, &driver, "PART-DIEU", "manager", "production").await.0, 200);
    assert_eq!(delete(DEV_PART_DIEU, &driver).await.0, 204);
    assert_eq!(delete(DEV_PART_DIEU, &driver).await.0, 204);
    // Once PART-DIEU has unregistered it, the phone changed hands: BELLECOUR may register it.
    assert_eq!(delete(DEV_BELLECOUR, &driver).await.0, 403, "still PART-DIEU's row");
    let (s, j) = register(DEV_BELLECOUR, &driver, "BELLECOUR", "driver", "production").await;
    assert_eq!(s, 200, "{j}");
    assert_eq!(row(&driver).await.0, "BELLECOUR");
    // And the app token moves any device.
    let (s, j) = register(DEV_APP, &kitchen, "PART-DIEU", "driver", "sandbox").await;
    assert_eq!(s, 200, "{j}");
    assert_eq!(row(&kitchen).await, ("PART-DIEU".into(), "driver".into(), "sandbox".into(), true));
    assert_eq!(delete(DEV_BELLECOUR, &kitchen).await.0, 403);
    assert_eq!(delete(DEV_APP, &kitchen).await.0, 204);
    app.shutdown().await;
}

/// Two restaurants registering the same new token at the same instant: one gets it, the other is refused; the
/// row never changes hands behind the check (no 5xx either: no deadlock between the two first registrations).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_registrations_of_one_token_cannot_cross_the_scope() {
    let db = TestDb::new().await;
    restaurant(&db.pool, "BELLECOUR").await;
    restaurant(&db.pool, "PART-DIEU").await;
    let app = spawn_app(scoped_config(), db.pool.clone(), Vec::new(), &[]).await.unwrap();
    let client = reqwest::Client::new();
    for round in 0..5 {
        let token = format!("{round:x}").repeat(64);
        let mut tasks = Vec::new();
        for i in 0..8 {
            let (bearer, restaurant) =
                if i % 2 == 0 { (DEV_BELLECOUR, "BELLECOUR") } else { (DEV_PART_DIEU, "PART-DIEU") };
            let client = client.clone();
            let url = format!("http://{}/v1/devices", app.addr);
            let body = serde_json::json!({"token": token, "environment": "production", "restaurant": restaurant, "role": "driver"});
            tasks.push(tokio::spawn(async move {
                let resp = client.post(url).bearer_auth(bearer).json(&body).send().await.unwrap();
                (restaurant, resp.status().as_u16())
            }));
        }
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap());
        }
        let winner: String = sqlx::query_scalar(
            "SELECT CONVERT(r.code USING utf8mb4) FROM devices d JOIN restaurants r ON r.id = d.restaurant_id WHERE d.token = ?",
        )
        .bind(&token)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!(results.iter().filter(|(_, s)| *s == 201).count(), 1, "{results:?}");
        for (r, s) in &results {
            if *r == winner {
                assert!(*s == 201 || *s == 200, "{results:?}");
            } else {
                assert_eq!(*s, 403, "{results:?}");
            }
        }
    }
    app.shutdown().await;
}

/// Issue 14 item 6: which dependency is down, not its error text (which names the server and the user).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_names_what_is_down_without_the_error_text() {
    // A pool to a port where nothing listens, with a recognisable user and password.
    let pool = sqlx::mysql::MySqlPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_secs(2))
        .connect_lazy("mysql://readyz_user:readyz-pw-7f3a@127.0.0.1:9/ocpizza_readyz")
        .unwrap();
    let app = spawn_app(config(&[]), pool, Vec::new(), &["dolibarr"]).await.unwrap();
    let resp = reqwest::get(format!("http://{}/readyz", app.addr)).await.unwrap();
    assert_eq!(resp.status(), 503);
    let text = resp.text().await.unwrap();
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["database"], "unreachable");
    assert_eq!(body["migrations"], "not_checked");
    assert_eq!(body["down"], serde_json::json!(["database", "migrations"]));
    assert_eq!(body["destinations"]["dolibarr"], "disabled");
    for leak in ["readyz_user", "readyz-pw", "127.0.0.1", ":9", "refused", "error"] {
        assert!(!text.contains(leak), "{leak} in {text}");
    }
    app.shutdown().await;
}
