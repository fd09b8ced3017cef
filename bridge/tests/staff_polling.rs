//! Polling the staff lists cheaply (issue 12): the ETag is decided by the restaurant's change counter before any
//! list is built, it changes with every kind of change the list shows and with nothing else, and the `since`
//! cursor answers only what changed — the orders that left the filter included, under `removed`.

mod common;
mod staff_support;

use base64::Engine;
use common::config;
use serde_json::{Value, json};
use sqlx::Executor;
use staff_support::*;

/// GET with `If-None-Match`: (status, ETag, body).
async fn poll(s: &Staffed, token: &str, path: &str, etag: Option<&str>) -> (u16, String, Value) {
    let mut req = s.client.get(s.url(path)).bearer_auth(token);
    if let Some(tag) = etag {
        req = req.header("if-none-match", tag);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let tag = r.headers().get("etag").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, tag, r.json().await.unwrap_or(Value::Null))
}

fn refs(list: &Value, key: &str) -> Vec<String> {
    list[key].as_array().unwrap().iter().map(|o| o["reference"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_etag_changes_with_each_kind_of_change_and_with_nothing_else() {
    let s = start(config(&[]), Vec::new()).await;
    record(&s.db.pool, 12, "delivery", "cash_on_delivery", 1).await;
    record(&s.db.pool, 13, "delivery", "card_online", 1).await;
    ocpizza_db::store::record_payment(
        &s.db.pool,
        &json!({"shop_order_id": 13, "transaction_key": "sc-13", "amount_cents": 1340, "currency": "EUR",
                "status": "paid", "provider": "sogecommerce", "raw_status": "CAPTURED"}),
    )
    .await
    .unwrap();
    let luca = s.session("luca.b").await;
    let karim = s.session("karim.h").await;
    let path = "/v1/restaurants/BELLECOUR/orders";
    let (st, mut tag, _) = poll(&s, &luca, path, None).await;
    assert_eq!(st, 200);
    assert!(tag.starts_with('"') && tag.len() == 34, "{tag}");

    // Each step changes what the queue shows (or, for the refund, must not), then the tag is checked.
    let steps: Vec<(&str, bool)> = vec![
        ("nothing", false),
        ("another restaurant's new order", false),
        ("a new order", true),
        ("a status change from the shop", true),
        ("a status change from the staff API", true),
        ("a payment from the shop", true),
        ("a payment from the staff API", true),
        ("a refund (not shown in the queue)", false),
        ("a status change refused by the state machine", false),
    ];
    for (what, changes) in steps {
        match what {
            "nothing" => {}
            "another restaurant's new order" => {
                let mut input = order_input(40, "takeaway", "at_restaurant", 1);
                input["restaurant"] = json!("GERLAND");
                ocpizza_db::store::record_order(&s.db.pool, &input).await.unwrap();
            }
            "a new order" => {
                record(&s.db.pool, 14, "takeaway", "at_restaurant", 1).await;
            }
            "a status change from the shop" => advance(&s.db.pool, 12, &["accepted"]).await,
            "a status change from the staff API" => {
                let (st, j) = s.post(&luca, "/v1/orders/STAFF12/status", json!({"status": "in_preparation"}), None).await;
                assert_eq!(st, 200, "{j}");
            }
            "a payment from the shop" => {
                ocpizza_db::store::record_payment(
                    &s.db.pool,
                    &json!({"shop_order_id": 14, "transaction_key": "counter-14", "amount_cents": 990,
                            "currency": "EUR", "status": "paid", "provider": "restaurant", "raw_status": "PAID"}),
                )
                .await
                .unwrap();
            }
            "a payment from the staff API" => {
                advance(&s.db.pool, 12, &["ready", "out_for_delivery"]).await;
                let (_, t, _) = poll(&s, &luca, path, None).await;
                tag = t;
                let body = json!({"method": "cash", "amount_cents": 1340});
                let (st, j) = s.post(&karim, "/v1/orders/STAFF12/payments", body, Some("pay-12")).await;
                assert_eq!(st, 201, "{j}");
            }
            "a refund (not shown in the queue)" => {
                ocpizza_db::store::record_refund(
                    &s.db.pool,
                    &json!({"shop_order_id": 13, "transaction_key": "rf-13", "amount_cents": 300, "currency": "EUR",
                            "source": "shop", "reason": "pizza froide",
                            "occurred_at": "2026-12-07T20:00:00Z"}),
                )
                .await
                .unwrap();
            }
            "a status change refused by the state machine" => {
                assert!(ocpizza_db::store::set_status(&s.db.pool, 13, "delivered", None).await.is_err());
            }
            _ => unreachable!(),
        }
        let (st, new_tag, body) = poll(&s, &luca, path, Some(&tag)).await;
        if changes {
            assert_eq!(st, 200, "{what}: the tag must change");
            assert_ne!(new_tag, tag, "{what}");
            // The answer's own tag is the one a 304 then confirms.
            let (again, same, _) = poll(&s, &luca, path, Some(&new_tag)).await;
            assert_eq!((again, same.as_str()), (304, new_tag.as_str()), "{what}");
            tag = new_tag;
        } else {
            assert_eq!((st, new_tag.as_str(), &body), (304, tag.as_str(), &Value::Null), "{what}: the tag must stay");
        }
    }
    // The payment shows in the list that the new tag announced.
    let (_, _, list) = poll(&s, &luca, path, None).await;
    let o = list["orders"].as_array().unwrap().iter().find(|o| o["reference"] == "STAFF12").unwrap();
    assert_eq!(o["payment"]["paid"], true);
    // Filters and lists have tags of their own.
    let (_, other, _) = poll(&s, &luca, "/v1/restaurants/BELLECOUR/orders?status=received", None).await;
    let (_, deliveries, _) = poll(&s, &karim, "/v1/restaurants/BELLECOUR/deliveries", None).await;
    assert!(other != tag && deliveries != tag && other != deliveries);
}

/// The point of the counter: a matching `If-None-Match` is answered from the session and the counter alone. The
/// bridge runs here under a user that may read those and nothing of the orders: its 304s work, its lists fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_304_reads_no_order() {
    let s = start(config(&[]), Vec::new()).await;
    record(&s.db.pool, 12, "delivery", "cash_on_delivery", 1).await;
    let luca = s.session("luca.b").await;
    let (_, tag, _) = poll(&s, &luca, "/v1/restaurants/BELLECOUR/orders", None).await;
    let (_, dtag, _) = poll(&s, &luca, "/v1/restaurants/BELLECOUR/deliveries", None).await;

    let db = &s.db;
    let admin = ocpizza_db::connect(&format!("{}/", ocpizza_db::testing::server_url())).await.unwrap();
    let user = format!("ocpoll_{}", &db.name[db.name.len() - 6..]);
    let mut grants = vec![format!("CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY 'poll-pw-1'")];
    for table in ["staff_sessions", "staff", "restaurants", "restaurant_changes"] {
        grants.push(format!("GRANT SELECT ON `{}`.{table} TO '{user}'@'127.0.0.1'", db.name));
    }
    for stmt in &grants {
        admin.execute(stmt.as_str()).await.unwrap_or_else(|e| panic!("{stmt}: {e}"));
    }
    let host = ocpizza_db::testing::server_url().replace("mysql://root@", "");
    let pool = ocpizza_db::connect(&format!("mysql://{user}:poll-pw-1@{host}/{}", db.name)).await.unwrap();
    let result = async {
        let app = ocpizza_bridge::app::spawn_app(config(&[]), pool.clone(), Vec::new(), &[]).await.unwrap();
        let get = |path: &'static str, tag: Option<String>| {
            let mut req = s.client.get(format!("http://{}{path}", app.addr)).bearer_auth(&luca);
            if let Some(t) = tag {
                req = req.header("if-none-match", t);
            }
            req.send()
        };
        let r = get("/v1/restaurants/BELLECOUR/orders", Some(tag.clone())).await.unwrap();
        assert_eq!(r.status().as_u16(), 304);
        let r = get("/v1/restaurants/BELLECOUR/deliveries", Some(dtag.clone())).await.unwrap();
        assert_eq!(r.status().as_u16(), 304);
        // Without the tag the list is built, which this user may not do.
        let r = get("/v1/restaurants/BELLECOUR/orders", None).await.unwrap();
        assert!(r.status().is_server_error(), "{}", r.status());
    }
    .await;
    pool.close().await;
    admin.execute(format!("DROP USER '{user}'@'127.0.0.1'").as_str()).await.unwrap();
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn since_a_cursor_only_what_changed_comes_with_the_orders_that_left_the_filter() {
    let s = start(config(&[]), Vec::new()).await;
    record(&s.db.pool, 12, "delivery", "cash_on_delivery", 1).await;
    record(&s.db.pool, 13, "takeaway", "at_restaurant", 1).await;
    let luca = s.session("luca.b").await;
    let path = "/v1/restaurants/BELLECOUR/orders";
    let (_, _, full) = poll(&s, &luca, path, None).await;
    assert_eq!(refs(&full, "orders"), ["DEMO-0006", "STAFF12", "STAFF13"]);
    assert_eq!(full["removed"], json!([]));
    let cursor = full["cursor"].as_str().unwrap().to_owned();

    // Nothing changed: an empty answer with the same cursor, and a 304 on its tag.
    let since = format!("{path}?since={cursor}");
    let (st, tag, nothing) = poll(&s, &luca, &since, None).await;
    assert_eq!(st, 200);
    assert_eq!((nothing["count"].as_i64(), &nothing["orders"], &nothing["removed"]), (Some(0), &json!([]), &json!([])));
    assert_eq!(nothing["cursor"], cursor.as_str());
    assert_eq!(poll(&s, &luca, &since, Some(&tag)).await.0, 304);

    // One order moves on, one leaves the queue, one arrives, another restaurant changes: only ours, in their
    // new state, the one that left under `removed` with its status.
    advance(&s.db.pool, 12, &["accepted"]).await;
    advance(&s.db.pool, 13, &["cancelled"]).await;
    record(&s.db.pool, 14, "takeaway", "at_restaurant", 1).await;
    let mut gerland = order_input(40, "takeaway", "at_restaurant", 1);
    gerland["restaurant"] = json!("GERLAND");
    ocpizza_db::store::record_order(&s.db.pool, &gerland).await.unwrap();
    let (st, new_tag, changed) = poll(&s, &luca, &since, Some(&tag)).await;
    assert_eq!(st, 200, "{changed}");
    assert_ne!(new_tag, tag);
    assert_eq!(refs(&changed, "orders"), ["STAFF12", "STAFF14"], "{changed}");
    assert_eq!(changed["orders"][0]["status"], "accepted");
    assert_eq!(changed["count"], 2);
    assert_eq!(changed["removed"], json!([{"reference": "STAFF13", "status": "cancelled"}]));
    // Same shape as the full list's orders.
    let (_, _, now) = poll(&s, &luca, path, None).await;
    let full12 = now["orders"].as_array().unwrap().iter().find(|o| o["reference"] == "STAFF12").unwrap();
    assert_eq!(&changed["orders"][0], full12);
    assert_eq!(now["cursor"], changed["cursor"], "both read at the same version");
    let next = changed["cursor"].as_str().unwrap().to_owned();
    assert_ne!(next, cursor);

    // From the new cursor: nothing again. A filter applies to the changes (the new order is not "accepted").
    let (_, _, after) = poll(&s, &luca, &format!("{path}?since={next}"), None).await;
    assert_eq!(after["count"], 0);
    let (_, _, filtered) = poll(&s, &luca, &format!("{path}?status=accepted&since={cursor}"), None).await;
    assert_eq!(refs(&filtered, "orders"), ["STAFF12"]);
    assert_eq!(refs(&filtered, "removed"), ["STAFF13", "STAFF14"]);

    // Deliveries take the same cursor; takeaway orders never show there.
    let karim = s.session("karim.h").await;
    advance(&s.db.pool, 12, &["in_preparation", "ready"]).await;
    let (st, _, d) = poll(&s, &karim, &format!("/v1/restaurants/BELLECOUR/deliveries?since={next}"), None).await;
    assert_eq!(st, 200, "{d}");
    assert_eq!(refs(&d, "orders"), ["STAFF12"]);
    assert_eq!(d["removed"], json!([]));
    assert!(d["orders"][0]["delivery"]["navigation_url"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_cursor_is_refused_naming_since() {
    let s = start(config(&[]), Vec::new()).await;
    let luca = s.session("luca.b").await;
    let samir = s.session("samir.k").await;
    let (_, _, bellecour) = poll(&s, &luca, "/v1/restaurants/BELLECOUR/orders", None).await;
    let cursor = bellecour["cursor"].as_str().unwrap();
    let (st, _, gerland) = poll(&s, &samir, "/v1/restaurants/GERLAND/orders", None).await;
    assert_eq!(st, 200);
    assert_ne!(gerland["cursor"], bellecour["cursor"]);

    let (restaurant_id,): (i64,) =
        sqlx::query_as("SELECT id FROM restaurants WHERE code = 'BELLECOUR'").fetch_one(&s.db.pool).await.unwrap();
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    // A cursor as this API makes them, but for a version the restaurant has not reached (a restored database).
    let ahead = b64(&format!("c1:{restaurant_id}:999999"));
    let cases = [
        ("/v1/restaurants/BELLECOUR/orders?since=", "not a cursor"),
        ("/v1/restaurants/BELLECOUR/orders?since=%21%21", "not a cursor"),
        ("/v1/restaurants/BELLECOUR/orders?since=bm9wZQ", "not a cursor"),
        ("/v1/restaurants/BELLECOUR/deliveries?since=YzE6LTE6Mw", "not a cursor"),
        ("/v1/restaurants/GERLAND/orders?since=CURSOR", "another restaurant's"),
        ("/v1/restaurants/BELLECOUR/orders?since=AHEAD", "ahead"),
    ];
    for (path, says) in cases {
        let path = path.replace("CURSOR", cursor).replace("AHEAD", &ahead);
        let token = if path.contains("GERLAND") { &samir } else { &luca };
        for tag in [None, Some("\"0123\"")] {
            let (st, _, j) = poll(&s, token, &path, tag).await;
            assert_eq!((st, j["reason"].as_str()), (400, Some("invalid_cursor")), "{path}: {j}");
            let error = j["error"].as_str().unwrap();
            assert!(error.starts_with("since:") && error.contains(says), "{path}: {error}");
        }
    }
}
