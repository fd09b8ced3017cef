//! `POST /webhooks/prestashop` over real HTTP against a real MariaDB database of its own.

mod common;

use std::sync::Arc;

use common::*;
use ocpizza_bridge::app::spawn_app;
use ocpizza_bridge::destination::Destination;
use ocpizza_db::testing::TestDb;

/// The partition the deliveries of one event were queued in.
async fn partition_of(db: &TestDb, webhook_id: &str) -> String {
    sqlx::query_scalar(
        "SELECT CONVERT(d.partition_key USING utf8mb4) FROM deliveries d JOIN inbox i ON i.id = d.inbox_id \
         WHERE i.webhook_id = ? LIMIT 1",
    )
    .bind(webhook_id)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

async fn rows(db: &TestDb) -> (i64, i64) {
    (count(&db.pool, "SELECT COUNT(*) FROM inbox").await, count(&db.pool, "SELECT COUNT(*) FROM deliveries").await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_event_is_stored_with_one_delivery_per_destination_then_delivered() {
    let db = TestDb::new().await;
    let a = Scripted::new("alpha");
    let b = Scripted::new("beta");
    let dests: Vec<Arc<dyn Destination>> = vec![a.clone(), b.clone()];
    let app = spawn_app(config(&[]), db.pool.clone(), dests, &["dolibarr"]).await.unwrap();
    let client = reqwest::Client::new();

    let body = status_changed(41, "ready", "out_for_delivery");
    let (status, json) = send(&client, app.addr, "evt_happy_1", &body).await;
    assert_eq!(status, 202, "{json}");
    assert_eq!(json["status"], "accepted");
    assert_eq!(json["deliveries"], 2);

    // The exact signed bytes are stored.
    let stored: Vec<u8> = sqlx::query_scalar("SELECT body FROM inbox WHERE webhook_id = 'evt_happy_1'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(stored, body);
    let key: String = sqlx::query_scalar("SELECT DISTINCT CONVERT(partition_key USING utf8mb4) FROM deliveries")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(key, "order:41");

    assert!(wait_status(&db.pool, "evt_happy_1", "alpha", "done").await);
    assert!(wait_status(&db.pool, "evt_happy_1", "beta", "done").await);
    assert_eq!(a.calls_for("evt_happy_1").len(), 1);
    assert_eq!(b.calls_for("evt_happy_1").len(), 1);
    let result: String = sqlx::query_scalar("SELECT result FROM deliveries WHERE destination = 'alpha'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(result.contains("evt_happy_1"), "{result}");

    // A shortage without an order is partitioned by restaurant.
    let (status, _) = send(&client, app.addr, "evt_short_1", &stock_shortage()).await;
    assert_eq!(status, 202);
    assert_eq!(partition_of(&db, "evt_short_1").await, "restaurant:GERLAND");

    // A refused payment, as the extension emits it: stored and partitioned by its order like the others (which
    // destinations take it is each destination's own test: Dolibarr and APNs take none).
    let failed = serde_json::to_vec(&serde_json::json!({
        "type": "order.payment_failed", "timestamp": "2026-11-29T18:05:00Z",
        "data": { "shop_order_id": 41, "reference": "XKBKNABJK", "restaurant": "BELLECOUR", "payment_method": "card",
                  "provider": "sogecommerce", "transaction_key": "sogecommerce:abc123", "transaction_id": "abc123",
                  "amount_cents": 2590, "currency": "EUR", "status": "failed", "raw_status": "REFUSED",
                  "occurred_at": "2026-11-29T18:04:59Z" }
    }))
    .unwrap();
    let (status, json) = send(&client, app.addr, "evt_failed_1", &failed).await;
    assert_eq!(status, 202, "{json}");
    assert!(wait_status(&db.pool, "evt_failed_1", "alpha", "done").await);
    assert_eq!(partition_of(&db, "evt_failed_1").await, "order:41");

    // /readyz reports the database, the migrations and which destinations are enabled.
    let ready: serde_json::Value =
        client.get(format!("http://{}/readyz", app.addr)).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["migrations"], "current");
    assert_eq!(ready["destinations"]["alpha"], "enabled");
    assert_eq!(ready["destinations"]["dolibarr"], "disabled");
    let health = client.get(format!("http://{}/healthz", app.addr)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let metrics = client.get(format!("http://{}/metrics", app.addr)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("ocpizza_ingest_total"), "{metrics}");
    assert!(metrics.contains("ocpizza_queue_depth{status=\"done\"}"), "{metrics}");
    assert!(metrics.contains("ocpizza_deliveries_total"), "{metrics}");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_name_their_reason_and_leave_no_row() {
    let db = TestDb::new().await;
    let dests: Vec<Arc<dyn Destination>> = vec![Scripted::new("alpha")];
    let app = spawn_app(config(&[]), db.pool.clone(), dests, &[]).await.unwrap();
    let client = reqwest::Client::new();
    let body = status_changed(7, "received", "accepted");
    let wrong = "whsec_dGhpcyBpcyBub3QgdGhlIHNlY3JldCB3ZSB1c2U=";

    let cases: Vec<(&str, Signed, Vec<u8>, u16, &str)> = vec![
        ("wrong secret", sign_with(wrong, "evt_r1", now(), &body), body.clone(), 401, "no_matching_signature"),
        (
            "body changed after signing",
            sign_with(SECRET, "evt_r2", now(), &body),
            status_changed(8, "received", "accepted"),
            401,
            "no_matching_signature",
        ),
        // Well past the 300 s tolerance: the server reads its clock a moment after `now()` here, possibly in the
        // next second (the exact edges are tested with a fixed clock in core/tests/webhooks.rs).
        ("too old", sign_with(SECRET, "evt_r3", now() - 330, &body), body.clone(), 400, "timestamp_too_old"),
        ("too new", sign_with(SECRET, "evt_r4", now() + 330, &body), body.clone(), 400, "timestamp_too_new"),
        (
            "non-numeric timestamp",
            Signed { timestamp: "12a".into(), ..sign_with(SECRET, "evt_r5", now(), &body) },
            body.clone(),
            400,
            "invalid_timestamp",
        ),
        (
            "missing signature",
            Signed { signature: "".into(), ..sign_with(SECRET, "evt_r6", now(), &body) },
            body.clone(),
            400,
            "missing_header",
        ),
        (
            "missing id",
            Signed { id: "".into(), ..sign_with(SECRET, "evt_r7", now(), &body) },
            body.clone(),
            400,
            "missing_header",
        ),
        (
            "signature not base64",
            Signed { signature: "v1,!!!notbase64".into(), ..sign_with(SECRET, "evt_r8", now(), &body) },
            body.clone(),
            400,
            "invalid_header",
        ),
        (
            "malformed JSON",
            sign_with(SECRET, "evt_r9", now(), b"{not json"),
            b"{not json".to_vec(),
            400,
            "malformed_body",
        ),
        (
            "unknown type",
            sign_with(
                SECRET,
                "evt_r10",
                now(),
                br#"{"type":"order.exploded","timestamp":"2026-11-29T18:00:00Z","data":{}}"#,
            ),
            br#"{"type":"order.exploded","timestamp":"2026-11-29T18:00:00Z","data":{}}"#.to_vec(),
            400,
            "unknown_type",
        ),
        (
            "invalid data",
            sign_with(
                SECRET,
                "evt_r11",
                now(),
                br#"{"type":"order.paid","timestamp":"2026-11-29T18:00:00Z","data":{"shop_order_id":"x"}}"#,
            ),
            br#"{"type":"order.paid","timestamp":"2026-11-29T18:00:00Z","data":{"shop_order_id":"x"}}"#.to_vec(),
            400,
            "invalid_data",
        ),
    ];
    for (what, signed, sent_body, want_status, want_reason) in cases {
        let (status, json) = post_webhook(&client, app.addr, &signed, &sent_body).await;
        assert_eq!(status, want_status, "{what}: {json}");
        assert_eq!(json["reason"], want_reason, "{what}: {json}");
        assert!(json["error"].as_str().is_some_and(|e| !e.is_empty()), "{what}: {json}");
        assert_eq!(rows(&db).await, (0, 0), "{what} left a row");
    }

    // Exactly at the tolerance still passes (integer seconds, like every reference library).
    let (status, json) =
        post_webhook(&client, app.addr, &sign_with(SECRET, "evt_edge", now() - 299, &body), &body).await;
    assert_eq!(status, 202, "{json}");

    // Too large a body: 413 with a reason, nothing stored.
    let big = vec![b' '; 300 * 1024];
    let (status, json) = post_webhook(&client, app.addr, &sign_with(SECRET, "evt_big", now(), &big), &big).await;
    assert_eq!(status, 413, "{json}");
    assert_eq!(json["reason"], "body_too_large");
    assert_eq!(rows(&db).await, (1, 1));
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_id_answers_2xx_and_adds_nothing_and_rotation_accepts_both_secrets() {
    let db = TestDb::new().await;
    let a = Scripted::new("alpha");
    let dests: Vec<Arc<dyn Destination>> = vec![a.clone()];
    let app = spawn_app(config(&[]), db.pool.clone(), dests, &[]).await.unwrap();
    let client = reqwest::Client::new();
    let body = status_changed(9, "accepted", "in_preparation");

    let (status, _) = send(&client, app.addr, "evt_dup", &body).await;
    assert_eq!(status, 202);
    assert!(wait_status(&db.pool, "evt_dup", "alpha", "done").await);
    // The shop retries (new timestamp, same id), even with a different body: 200, nothing new.
    for _ in 0..3 {
        let (status, json) = send(&client, app.addr, "evt_dup", &body).await;
        assert_eq!(status, 200, "{json}");
        assert_eq!(json["status"], "duplicate");
    }
    assert_eq!(rows(&db).await, (1, 1));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(a.calls_for("evt_dup").len(), 1);

    // Rotation: signed with the old secret only, or with both entries (old first), both accepted.
    let old = sign_with(OLD_SECRET, "evt_rot1", now(), &body);
    let (status, json) = post_webhook(&client, app.addr, &old, &body).await;
    assert_eq!(status, 202, "{json}");
    let ts = now();
    let both = Signed {
        signature: format!(
            "v1a,ignoredEd25519== {} {}",
            sign_with(OLD_SECRET, "evt_rot2", ts, &body).signature,
            sign_with(SECRET, "evt_rot2", ts, &body).signature
        ),
        ..sign_with(SECRET, "evt_rot2", ts, &body)
    };
    let (status, json) = post_webhook(&client, app.addr, &both, &body).await;
    assert_eq!(status, 202, "{json}");

    // Concurrent duplicates (shop retry racing the first attempt): exactly one inbox row.
    let body2 = status_changed(10, "received", "accepted");
    let signed = sign_with(SECRET, "evt_race", now(), &body2);
    let mut handles = Vec::new();
    for _ in 0..8 {
        let (client, s, b) = (
            client.clone(),
            Signed { ..sign_with(SECRET, &signed.id, signed.timestamp.parse().unwrap(), &body2) },
            body2.clone(),
        );
        let addr = app.addr;
        handles.push(tokio::spawn(async move { post_webhook(&client, addr, &s, &b).await.0 }));
    }
    let mut codes = Vec::new();
    for h in handles {
        codes.push(h.await.unwrap());
    }
    assert_eq!(codes.iter().filter(|c| **c == 202).count(), 1, "{codes:?}");
    assert!(codes.iter().all(|c| *c == 202 || *c == 200), "{codes:?}");
    assert_eq!(count(&db.pool, "SELECT COUNT(*) FROM inbox WHERE webhook_id = 'evt_race'").await, 1);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_says_not_ready_when_migrations_are_missing() {
    let db = TestDb::empty().await;
    let app = spawn_app(config(&[]), db.pool.clone(), Vec::new(), &["dolibarr", "apns"]).await.unwrap();
    let resp = reqwest::get(format!("http://{}/readyz", app.addr)).await.unwrap();
    assert_eq!(resp.status(), 503);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["database"], "reachable");
    // Fixed words only: the pending versions go to the log.
    assert_eq!(body["migrations"], "behind", "{body}");
    assert_eq!(body["down"], serde_json::json!(["migrations"]), "{body}");
    assert_eq!(body["destinations"]["apns"], "disabled");
    let health = reqwest::get(format!("http://{}/healthz", app.addr)).await.unwrap();
    assert_eq!(health.status(), 200, "alive even when not ready");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shop_gives_up_waiting_then_retries_and_the_event_is_stored_and_delivered_once() {
    use sqlx::Connection;
    let db = TestDb::new().await;
    let a = Scripted::new("alpha");
    let dests: Vec<Arc<dyn Destination>> = vec![a.clone()];
    let app = spawn_app(config(&[]), db.pool.clone(), dests, &[]).await.unwrap();
    // The database stalls (another session holds the inbox table), so the shop's request times out.
    let mut stall = sqlx::MySqlConnection::connect(&db.url).await.unwrap();
    sqlx::query("LOCK TABLES inbox WRITE").execute(&mut stall).await.unwrap();
    let body = status_changed(12, "received", "accepted");
    let impatient = reqwest::Client::builder().timeout(std::time::Duration::from_millis(300)).build().unwrap();
    let signed = sign_with(SECRET, "evt_timeout", now(), &body);
    let first = try_post_webhook(&impatient, app.addr, &signed, &body).await;
    assert!(first.as_ref().is_err_and(|e| e.is_timeout()), "the shop should have given up: {first:?}");
    // The database recovers: the request the shop gave up on still commits (its transaction runs to the end).
    sqlx::query("UNLOCK TABLES").execute(&mut stall).await.unwrap();
    assert!(wait_status(&db.pool, "evt_timeout", "alpha", "done").await, "the abandoned request was not stored");
    // The shop's retry (same id, new timestamp): acknowledged as a duplicate, nothing new.
    let (status, json) = send(&reqwest::Client::new(), app.addr, "evt_timeout", &body).await;
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["status"], "duplicate");
    app.shutdown().await;
    assert_eq!(rows(&db).await, (1, 1));
    assert_eq!(a.calls_for("evt_timeout").len(), 1);
}
