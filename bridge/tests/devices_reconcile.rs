//! Device registration (auth, validation, re-registration) and the outbox reconciliation.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use ocpizza_bridge::app::spawn_app;
use ocpizza_bridge::destination::Destination;
use ocpizza_bridge::ingest::{self, Via};
use ocpizza_db::testing::TestDb;

const TOKEN: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_registration_is_authenticated_scoped_and_validated() {
    let db = TestDb::new().await;
    restaurant(&db.pool, "BELLECOUR").await;
    restaurant(&db.pool, "GERLAND").await;
    let app = spawn_app(config(&[]), db.pool.clone(), Vec::new(), &[]).await.unwrap();
    let client = reqwest::Client::new();
    let url = format!("http://{}/v1/devices", app.addr);
    let reg = |token: &str, env: &str, restaurant: &str, role: &str| serde_json::json!({ "token": token, "environment": env, "restaurant": restaurant, "role": role });
    let post = |bearer: Option<&'static str>, body: serde_json::Value| {
        let client = client.clone();
        let url = url.clone();
        async move {
            let mut r = client.post(url).json(&body);
            if let Some(b) = bearer {
                r = r.bearer_auth(b);
            }
            let resp = r.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<serde_json::Value>().await.unwrap_or_default())
        }
    };

    let good = reg(TOKEN, "production", "BELLECOUR", "pizzaiolo");
    assert_eq!(post(None, good.clone()).await.0, 401);
    let (s, j) = post(Some("not-a-configured-token-at-all"), good.clone()).await;
    assert_eq!((s, j["reason"].as_str()), (401, Some("invalid_token")));
    // A restaurant's token cannot register for another restaurant.
    let (s, j) = post(Some(DEV_BELLECOUR), reg(TOKEN, "production", "GERLAND", "driver")).await;
    assert_eq!((s, j["reason"].as_str()), (403, Some("wrong_restaurant")), "{j}");

    for (body, reason) in [
        (reg("ABCDEF", "production", "BELLECOUR", "driver"), "invalid_device_token"),
        (reg(&TOKEN.to_uppercase(), "production", "BELLECOUR", "driver"), "invalid_device_token"),
        (reg(TOKEN, "staging", "BELLECOUR", "driver"), "invalid_environment"),
        (reg(TOKEN, "production", "BELLECOUR", "chef"), "invalid_role"),
    ] {
        let (s, j) = post(Some(DEV_APP), body).await;
        assert_eq!((s, j["reason"].as_str()), (422, Some(reason)), "{j}");
    }
    let (s, j) = post(Some(DEV_APP), reg(TOKEN, "production", "NOWHERE", "driver")).await;
    assert_eq!((s, j["reason"].as_str()), (422, Some("unknown_restaurant")), "{j}");
    let (s, j) = post(Some(DEV_APP), serde_json::json!({ "token": TOKEN })).await;
    assert_eq!((s, j["reason"].as_str()), (400, Some("malformed_body")), "{j}");
    assert_eq!(count(&db.pool, "SELECT COUNT(*) FROM devices").await, 0);

    let (s, j) = post(Some(DEV_BELLECOUR), good.clone()).await;
    assert_eq!(s, 201, "{j}");
    // Unregister, then register again: re-activated, registered_at moves forward.
    let del = |bearer: &'static str, token: String| {
        let client = client.clone();
        let addr = app.addr;
        async move {
            client
                .delete(format!("http://{addr}/v1/devices/{token}"))
                .bearer_auth(bearer)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let first: chrono::NaiveDateTime =
        sqlx::query_scalar("SELECT registered_at FROM devices").fetch_one(&db.pool).await.unwrap();
    assert_eq!(del(DEV_BELLECOUR, TOKEN.into()).await, 204);
    let unreg: Option<chrono::NaiveDateTime> =
        sqlx::query_scalar("SELECT unregistered_at FROM devices").fetch_one(&db.pool).await.unwrap();
    assert!(unreg.is_some());
    assert_eq!(del(DEV_APP, "0".repeat(64)).await, 404);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (s, j) = post(Some(DEV_APP), reg(TOKEN, "sandbox", "BELLECOUR", "driver")).await;
    assert_eq!(s, 200, "{j}");
    let (env, role, again, unreg): (String, String, chrono::NaiveDateTime, Option<chrono::NaiveDateTime>) =
        sqlx::query_as("SELECT environment, role, registered_at, unregistered_at FROM devices")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((env.as_str(), role.as_str(), unreg), ("sandbox", "driver", None));
    assert!(again > first);
    assert_eq!(count(&db.pool, "SELECT COUNT(*) FROM devices").await, 1);

    // A GERLAND device cannot be removed with BELLECOUR's token.
    let other = "f".repeat(64);
    assert_eq!(post(Some(DEV_APP), reg(&other, "production", "GERLAND", "manager")).await.0, 201);
    assert_eq!(del(DEV_BELLECOUR, other.clone()).await, 403);
    assert_eq!(del(DEV_APP, other).await, 204);
    app.shutdown().await;
}

async fn outbox(pool: &sqlx::MySqlPool, event_id: &str, payload: &[u8], age_secs: i64) {
    sqlx::query(
        "INSERT INTO outbox (event_id, event_type, shop_order_id, payload, created_at) \
         VALUES (?, 'order.status_changed', NULL, ?, NOW(6) - INTERVAL ? SECOND)",
    )
    .bind(event_id)
    .bind(std::str::from_utf8(payload).unwrap())
    .bind(age_secs)
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciliation_ingests_unpublished_outbox_rows_once() {
    let db = TestDb::new().await;
    let dest = Scripted::new("alpha");
    let dests: Vec<Arc<dyn Destination>> = vec![dest.clone()];
    // Old and unpublished: to pick up. Young: the shop may still send it. Already received by webhook: only
    // marked published. Bad payload: refused with a reason, stays unpublished.
    outbox(&db.pool, "evt_lost_1", &status_changed(501, "received", "accepted"), 120).await;
    outbox(&db.pool, "evt_lost_2", &status_changed(501, "accepted", "in_preparation"), 110).await;
    outbox(&db.pool, "evt_young", &status_changed(502, "received", "accepted"), 0).await;
    outbox(&db.pool, "evt_seen", &status_changed(503, "received", "accepted"), 100).await;
    outbox(&db.pool, "evt_bad", br#"{"type":"order.status_changed","timestamp":"x","data":{}}"#, 100).await;

    // The webhook of evt_seen arrived (stored as the webhook endpoint stores it, before the reconciler's first
    // pass, which starts with the app), but the shop never recorded it as published.
    let seen = status_changed(503, "received", "accepted");
    let (env, event) = ingest::parse_body(&seen).unwrap();
    let mut tx = db.pool.begin().await.unwrap();
    ingest::store(&mut tx, "evt_seen", &seen, &env, &event, &["alpha"], Via::Webhook).await.unwrap();
    tx.commit().await.unwrap();

    let app = spawn_app(
        config(&[("OCPIZZA_RECONCILE_INTERVAL_SECS", "1"), ("OCPIZZA_RECONCILE_AFTER_SECS", "60")]),
        db.pool.clone(),
        dests,
        &[],
    )
    .await
    .unwrap();

    assert!(wait_status(&db.pool, "evt_lost_1", "alpha", "done").await);
    assert!(wait_status(&db.pool, "evt_lost_2", "alpha", "done").await);
    let published = eventually(Duration::from_secs(10), || async {
        (count(&db.pool, "SELECT COUNT(*) FROM outbox WHERE published_at IS NOT NULL").await == 3).then_some(())
    })
    .await;
    assert!(published.is_some());
    // Let a few more passes run: nothing is ingested twice.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    app.shutdown().await;
    assert_eq!(count(&db.pool, "SELECT COUNT(*) FROM inbox").await, 3);
    assert_eq!(count(&db.pool, "SELECT COUNT(*) FROM inbox WHERE received_via = 'reconcile'").await, 2);
    assert_eq!(dest.calls_for("evt_seen").len(), 1);
    assert_eq!(dest.calls_for("evt_lost_1").len(), 1);
    let young: Option<chrono::NaiveDateTime> =
        sqlx::query_scalar("SELECT published_at FROM outbox WHERE event_id = 'evt_young'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(young.is_none());
    let bad: (Option<chrono::NaiveDateTime>, Option<String>) =
        sqlx::query_as("SELECT published_at, last_error FROM outbox WHERE event_id = 'evt_bad'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(bad.0.is_none());
    assert!(bad.1.unwrap().contains("bridge reconciliation refused it"));
    // Order of the two reconciled events of order 501 kept.
    let calls = dest.calls.lock().unwrap().clone();
    let pos = |id: &str| calls.iter().position(|c| c.webhook_id == id).unwrap();
    assert!(pos("evt_lost_1") < pos("evt_lost_2"));
}
