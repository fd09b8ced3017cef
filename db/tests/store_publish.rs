//! publishOutbox against a small HTTP server on 127.0.0.1 that records what it receives, and against a closed port.

mod store_fixture;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use ocpizza_core::webhooks::{self, Secret};
use ocpizza_db::store::{self, PublishReport};
use store_fixture::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[derive(Debug, Clone)]
struct Request {
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// A stand-in bridge: answers every request with `status`, one request per connection.
struct Bridge {
    url: String,
    received: Arc<Mutex<Vec<Request>>>,
    status: Arc<AtomicU16>,
}

impl Bridge {
    async fn start() -> Bridge {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(204));
        let (r, s) = (received.clone(), status.clone());
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let (r, s) = (r.clone(), s.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let head_end = loop {
                        let n = sock.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break p + 4;
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                    let mut lines = head.split("\r\n");
                    let path = lines.next().unwrap_or("").split(' ').nth(1).unwrap_or("").to_owned();
                    let headers: HashMap<String, String> = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                        .collect();
                    let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
                    while buf.len() < head_end + len {
                        let n = sock.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    let body = buf[head_end..].to_vec();
                    r.lock().unwrap().push(Request { path, headers, body });
                    let code = s.load(Ordering::SeqCst);
                    let answer = if code < 300 { "" } else { "bridge says no" };
                    let resp = format!(
                        "HTTP/1.1 {code} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                        answer.len()
                    );
                    let _ = sock.write_all(resp.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        Bridge { url, received, status }
    }

    fn requests(&self) -> Vec<Request> {
        self.received.lock().unwrap().clone()
    }
}

async fn three_events(pool: &sqlx::MySqlPool) {
    store::record_order(pool, &order(4001)).await.unwrap();
    store::record_order(pool, &order(4002)).await.unwrap();
    store::set_status(pool, 4001, "accepted", None).await.unwrap();
}

async fn outbox_rows(pool: &sqlx::MySqlPool) -> Vec<(String, String, bool, i32, Option<String>)> {
    sqlx::query_as(
        "SELECT CAST(event_id AS CHAR), payload, published_at IS NOT NULL, attempts, last_error FROM outbox ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn pending_events_are_posted_signed_in_order_and_marked_published() {
    let db = db().await;
    three_events(&db.pool).await;
    let bridge = Bridge::start().await;
    let report = store::publish_outbox(&db.pool, &format!("{}/", bridge.url), SECRET, 100)
        .await
        .unwrap();
    assert_eq!(
        report,
        PublishReport {
            published: 3,
            failed: 0,
            pending: 0
        }
    );

    let rows = outbox_rows(&db.pool).await;
    let reqs = bridge.requests();
    assert_eq!(reqs.len(), 3);
    let secret = Secret::parse(SECRET).unwrap();
    let now = chrono::Utc::now().timestamp();
    for (req, row) in reqs.iter().zip(&rows) {
        assert_eq!(req.path, "/webhooks/prestashop");
        assert_eq!(req.headers["content-type"], "application/json");
        assert_eq!(req.headers["webhook-id"], row.0, "oldest first, webhook-id = event_id");
        assert_eq!(req.body, row.1.as_bytes(), "the stored payload, byte for byte");
        webhooks::verify(
            std::slice::from_ref(&secret),
            &req.headers["webhook-id"],
            &req.headers["webhook-timestamp"],
            &req.headers["webhook-signature"],
            &req.body,
            now,
            300,
        )
        .expect("signature verifies");
        assert!(row.2 && row.3 == 1 && row.4.is_none(), "{row:?}");
    }
    // Nothing left: a second run sends nothing.
    let again = store::publish_outbox(&db.pool, &bridge.url, SECRET, 100).await.unwrap();
    assert_eq!(
        again,
        PublishReport {
            published: 0,
            failed: 0,
            pending: 0
        }
    );
    assert_eq!(bridge.requests().len(), 3);
}

#[tokio::test]
async fn a_refusing_bridge_leaves_events_pending_and_they_are_resent_later() {
    let db = db().await;
    three_events(&db.pool).await;
    let bridge = Bridge::start().await;
    bridge.status.store(503, Ordering::SeqCst);
    let report = store::publish_outbox(&db.pool, &bridge.url, SECRET, 100).await.unwrap();
    assert_eq!(
        report,
        PublishReport {
            published: 0,
            failed: 3,
            pending: 3
        }
    );
    for row in outbox_rows(&db.pool).await {
        assert!(!row.2 && row.3 == 1);
        let err = row.4.unwrap();
        assert!(err.starts_with("HTTP 503: bridge says no"), "{err}");
        assert!(!err.contains("MfKQ9r8"), "no secret in last_error");
    }
    bridge.status.store(200, Ordering::SeqCst);
    let one = store::publish_outbox(&db.pool, &bridge.url, SECRET, 1).await.unwrap();
    assert_eq!(
        one,
        PublishReport {
            published: 1,
            failed: 0,
            pending: 2
        },
        "max bounds the batch"
    );
    let rest = store::publish_outbox(&db.pool, &bridge.url, SECRET, 100).await.unwrap();
    assert_eq!(
        rest,
        PublishReport {
            published: 2,
            failed: 0,
            pending: 0
        }
    );
    let reqs = bridge.requests();
    assert_eq!(reqs.len(), 6);
    assert_eq!(
        reqs[0].headers["webhook-id"], reqs[3].headers["webhook-id"],
        "same event id when re-sent"
    );
    assert_eq!(
        outbox_rows(&db.pool).await.iter().map(|r| r.3).collect::<Vec<_>>(),
        vec![2, 2, 2]
    );
}

#[tokio::test]
async fn a_down_bridge_costs_one_attempt_and_loses_nothing() {
    let db = db().await;
    three_events(&db.pool).await;
    // A port that was just free and is now closed: connection refused.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let report = store::publish_outbox(&db.pool, &format!("http://{closed}"), SECRET, 100)
        .await
        .unwrap();
    assert_eq!(
        report,
        PublishReport {
            published: 0,
            failed: 1,
            pending: 3
        },
        "stops at the first failure"
    );
    let rows = outbox_rows(&db.pool).await;
    assert_eq!(rows.iter().map(|r| r.3).collect::<Vec<_>>(), vec![1, 0, 0]);
    let err = rows[0].4.clone().unwrap();
    assert!(err.starts_with("connection failed"), "{err}");
    assert!(!err.contains("MfKQ9r8"), "no secret in last_error: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_publishers_at_once_send_each_event_once() {
    let db = db().await;
    for i in 0..6 {
        store::record_order(&db.pool, &order(4100 + i)).await.unwrap();
    }
    let bridge = Bridge::start().await;
    let pool = ocpizza_db::connect::connect_with(
        &db.url,
        ocpizza_db::connect::PoolSettings {
            max_connections: 4,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // Two stand-in bridges, one per publisher, to see who sent what.
    let bridge2 = Bridge::start().await;
    let (a, b) = tokio::join!(
        store::publish_outbox(&pool, &bridge.url, SECRET, 100),
        store::publish_outbox(&pool, &bridge2.url, SECRET, 100)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let rows = outbox_rows(&db.pool).await;
    assert!(
        rows.len() >= 6,
        "6 order.created (+ stock.shortage once the mozzarella runs out)"
    );
    assert_eq!((a.published + b.published) as usize, rows.len(), "{a:?} {b:?}");
    let mut sent: Vec<String> = bridge
        .requests()
        .into_iter()
        .chain(bridge2.requests())
        .map(|r| r.headers["webhook-id"].clone())
        .collect();
    assert_eq!(sent.len(), rows.len(), "no event sent twice");
    sent.sort();
    let mut expected: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    expected.sort();
    assert_eq!(sent, expected);
    assert!(rows.iter().all(|r| r.2 && r.3 == 1));
    pool.close().await;
}

#[tokio::test]
async fn bad_arguments_are_refused_by_name_without_echoing_the_secret() {
    let db = db().await;
    // Secrets the Standard Webhooks reference libraries refuse too (core/src/webhooks.rs, `Secret::parse`): a
    // character outside the base64 alphabet, `=` inside the text, a length no base64 text has, nothing after the
    // prefix. A short key (`whsec_c2hvcnQ=`, 5 bytes) is accepted, as they accept it.
    let cases = [
        ("http://127.0.0.1:9", "whsec_c2hvcnQ*c2hvcnQ=", 10, "secret"),
        ("http://127.0.0.1:9", "whsec_c2hvcnQ=c2hvcnQ=", 10, "secret"),
        ("http://127.0.0.1:9", "whsec_c2hvcnQ5c", 10, "secret"),
        ("http://127.0.0.1:9", "c2hvcnQ5c", 10, "secret"),
        ("http://127.0.0.1:9", "whsec_", 10, "secret"),
        ("http://127.0.0.1:9", "whsec_==", 10, "secret"),
        ("http://127.0.0.1:9", "", 10, "secret"),
        ("ftp://127.0.0.1/", SECRET, 10, "bridge_url"),
        ("not a url", SECRET, 10, "bridge_url"),
        ("http://127.0.0.1:9", SECRET, 0, "max"),
    ];
    for (url, secret, max, expected) in cases {
        let err = store::publish_outbox(&db.pool, url, secret, max).await.unwrap_err();
        assert!(
            !err.to_string().contains("c2hvcnQ") && !err.to_string().contains("MfKQ9r8"),
            "{err}"
        );
        assert_eq!(field(err), expected);
    }
}
