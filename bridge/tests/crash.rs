//! The real binary is killed with SIGKILL in the middle of a burst and restarted: every acknowledged (2xx) event
//! must end delivered to the sink, each webhook id's delivery row done once, nothing lost; the sink deduplicates
//! by `webhook-id` (at-least-once delivery, exactly once in effect). The same kill with the Dolibarr stand-in as the
//! destination: every stored event applied, no Dolibarr object created twice; and with the APNs stand-in: every
//! stored order pushed to every kitchen device, again only where the kill lost APNs's answer.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use ocpizza_core::webhooks::{self, Secret};
use ocpizza_db::testing::TestDb;
use ocpizza_e2e::dolibarr::FakeDolibarr;

mod apns_support;
mod dolibarr_support;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SINK_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

type Seen = Arc<Mutex<HashMap<String, u32>>>;

/// A local receiver that checks the sink's signature and counts each webhook id.
async fn sink() -> (SocketAddr, Seen) {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let secret = Secret::parse(SINK_SECRET).unwrap();
    let app = Router::new().route(
        "/sink",
        post(move |headers: HeaderMap, body: bytes::Bytes| {
            let s = s.clone();
            let secret = secret.clone();
            async move {
                let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                let id = h("webhook-id");
                let now = chrono::Utc::now().timestamp();
                if webhooks::verify(&[secret], &id, &h("webhook-timestamp"), &h("webhook-signature"), &body, now, 300)
                    .is_err()
                {
                    return StatusCode::UNAUTHORIZED;
                }
                // Slow enough that deliveries are in flight when the bridge is killed.
                tokio::time::sleep(Duration::from_millis(5)).await;
                *s.lock().unwrap().entry(id).or_insert(0) += 1;
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, seen)
}

/// Starts `ocpizza-bridge serve` relaying to the sink and returns it with the address it logged.
fn start(db_url: &str, sink: SocketAddr) -> (Child, SocketAddr) {
    start_with(db_url, &sink_env(sink))
}

fn sink_env(sink: SocketAddr) -> [(&'static str, String); 2] {
    [("OCPIZZA_SINK_URL", format!("http://{sink}/sink")), ("OCPIZZA_SINK_SECRET", SINK_SECRET.into())]
}

/// Starts `ocpizza-bridge serve` with the destinations `dest_env` configures.
fn start_with(db_url: &str, dest_env: &[(&str, String)]) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ocpizza-bridge"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "info")
        .env("OCPIZZA_DATABASE_URL", db_url)
        .env("OCPIZZA_LISTEN", "127.0.0.1:0")
        .env("OCPIZZA_WEBHOOK_SECRETS", SECRET)
        .envs(dest_env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("OCPIZZA_DELIVERY_LEASE_SECS", "2")
        .env("OCPIZZA_DELIVERY_REAPER_SECS", "1")
        .env("OCPIZZA_DELIVERY_POLL_MS", "50")
        .env("OCPIZZA_DELIVERY_CONCURRENCY", "8")
        .env("OCPIZZA_DELIVERY_BACKOFF_BASE_MS", "100")
        .env("OCPIZZA_RECONCILE_INTERVAL_SECS", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bridge starts");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent
                && line.contains("ocpizza-bridge listening")
                && let Some(rest) = line.split("addr=").nth(1)
            {
                let addr: SocketAddr = rest.split_whitespace().next().unwrap().parse().unwrap();
                tx.send(addr).unwrap();
                sent = true;
            }
            // Keep draining so the child never blocks on a full pipe.
        }
    });
    let addr = rx.recv_timeout(Duration::from_secs(30)).expect("bridge logged its address");
    (child, addr)
}

/// Sends one webhook, signed now; its status, or `None` when the bridge did not answer (killed).
async fn send_webhook(
    client: &reqwest::Client,
    addr: SocketAddr,
    secret: &Secret,
    id: &str,
    body: &[u8],
) -> Option<u16> {
    let ts = chrono::Utc::now().timestamp();
    let sent = client
        .post(format!("http://{addr}/webhooks/prestashop"))
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", webhooks::sign(secret, id, ts, body))
        .body(body.to_vec())
        .send()
        .await;
    sent.ok().map(|r| r.status().as_u16())
}

fn body(i: i64) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "type": "order.status_changed", "timestamp": "2026-11-29T18:00:00Z",
        "data": { "shop_order_id": 10_000 + i % 50, "reference": format!("REF{i}"), "restaurant": "BELLECOUR",
                  "fulfilment": "takeaway", "from": "received", "to": "accepted", "note": null,
                  "changed_at": "2026-11-29T18:00:00Z" }
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_burst_loses_nothing_acknowledged() {
    let db = TestDb::new().await;
    let (sink_addr, seen) = sink().await;
    let (mut child, addr) = start(&db.url, sink_addr);

    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let secret = Secret::parse(SECRET).unwrap();
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let total = 400i64;
    let kill_after = 150usize;
    let (kill_tx, kill_rx) = tokio::sync::oneshot::channel::<()>();
    let kill_tx = Arc::new(Mutex::new(Some(kill_tx)));
    let mut workers = Vec::new();
    for w in 0..16i64 {
        let (client, secret, acked, kill_tx) = (client.clone(), secret.clone(), acked.clone(), kill_tx.clone());
        workers.push(tokio::spawn(async move {
            let mut i = w;
            while i < total {
                let id = format!("evt_crash_{i}");
                if send_webhook(&client, addr, &secret, &id, &body(i)).await.is_some_and(|s| (200..300).contains(&s)) {
                    let mut a = acked.lock().unwrap();
                    a.push(id);
                    if a.len() == kill_after
                        && let Some(tx) = kill_tx.lock().unwrap().take()
                    {
                        let _ = tx.send(());
                    }
                }
                i += 16;
            }
        }));
    }
    kill_rx.await.unwrap();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for w in workers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= kill_after, "burst acknowledged {}", acked.len());
    assert!((acked.len() as i64) < total, "the kill came too late to test anything");
    let inflight_at_kill = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM deliveries WHERE status = 'inflight'")
        .fetch_one(&db.pool)
        .await
        .unwrap();

    // Restart: the leases of the killed process expire, the reaper returns them, everything is delivered.
    let inbox = restart_until_delivered(&db.url, &db.pool, &sink_env(sink_addr)).await;
    let deliveries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries").fetch_one(&db.pool).await.unwrap();
    assert_eq!(deliveries as usize, inbox.len(), "one sink delivery per stored event");
    let seen = seen.lock().unwrap().clone();
    for id in &acked {
        assert!(inbox.contains(id), "acknowledged {id} is not stored");
        assert!(seen.contains_key(id), "acknowledged {id} never reached the sink");
    }
    // Stored but not acknowledged (committed, answer lost in the kill) is delivered too.
    for id in &inbox {
        assert!(seen.contains_key(id), "stored {id} never reached the sink");
    }
    // Redeliveries only for what was in flight at the kill (the sink dedupes them by webhook-id).
    let dups: u32 = seen.values().map(|n| n - 1).sum();
    assert!(
        i64::from(dups) <= inflight_at_kill.max(0) + 8,
        "{dups} redeliveries for {inflight_at_kill} deliveries in flight at the kill"
    );
    eprintln!(
        "acked {} of {total}, stored {}, in flight at kill {inflight_at_kill}, redelivered {dups}",
        acked.len(),
        inbox.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_database_deliver_each_event_once() {
    let db = TestDb::new().await;
    let (sink_addr, seen) = sink().await;
    let (mut a, addr_a) = start(&db.url, sink_addr);
    let (mut b, addr_b) = start(&db.url, sink_addr);
    let client = reqwest::Client::new();
    let secret = Secret::parse(SECRET).unwrap();
    let total = 200i64;
    let mut workers = Vec::new();
    for w in 0..8i64 {
        let (client, secret) = (client.clone(), secret.clone());
        workers.push(tokio::spawn(async move {
            let mut i = w;
            while i < total {
                let id = format!("evt_two_{i}");
                let body = body(i);
                // Each event to one process, then the same id again to the other (a shop retry after a timeout).
                let order = if i % 2 == 0 { [addr_a, addr_b] } else { [addr_b, addr_a] };
                let mut codes = Vec::new();
                for addr in order {
                    codes.push(send_webhook(&client, addr, &secret, &id, &body).await.expect("the bridge answers"));
                }
                assert_eq!(codes, vec![202, 200], "{id}");
                i += 8;
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let mut all_done = false;
    for _ in 0..300 {
        let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE status <> 'done'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        if open == 0 && seen.lock().unwrap().len() as i64 == total {
            all_done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    a.kill().unwrap();
    b.kill().unwrap();
    a.wait().unwrap();
    b.wait().unwrap();
    assert!(all_done, "not everything delivered");
    assert_eq!(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM inbox").fetch_one(&db.pool).await.unwrap(), total);
    let owners: i64 =
        sqlx::query_scalar("SELECT COUNT(DISTINCT lease_owner) FROM deliveries").fetch_one(&db.pool).await.unwrap();
    assert_eq!(owners, 0, "no lease left behind");
    let seen = seen.lock().unwrap().clone();
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
}

/// Starts the bridge again after the kill, lets it work until no delivery row is left open (bounded), stops it,
/// and returns the webhook ids stored.
async fn restart_until_delivered(db_url: &str, pool: &sqlx::MySqlPool, dest_env: &[(&str, String)]) -> Vec<String> {
    let (mut child, _addr) = start_with(db_url, dest_env);
    let mut done = false;
    for _ in 0..600 {
        let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE status <> 'done'")
            .fetch_one(pool)
            .await
            .unwrap();
        if open == 0 {
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(done, "deliveries still open after restart");
    sqlx::query_scalar("SELECT CONVERT(webhook_id USING utf8mb4) FROM inbox").fetch_all(pool).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_burst_creates_each_dolibarr_object_once() {
    use dolibarr_support::{KEY, created, paid};
    let db = TestDb::new().await;
    let fake = FakeDolibarr::start(KEY).await;
    // Each Dolibarr call takes a little while, so that the kill lands in the middle of an event's steps.
    fake.set_latency(Duration::from_millis(3));
    let dolibarr = [
        ("OCPIZZA_DOLIBARR_URL", fake.url()),
        ("OCPIZZA_DOLIBARR_API_KEY", KEY.to_owned()),
        ("OCPIZZA_DOLIBARR_BANK_ACCOUNT_ID", "1".to_owned()),
    ];
    let (mut child, addr) = start_with(&db.url, &dolibarr);
    let event = |t: &str, data: serde_json::Value| {
        let envelope = serde_json::json!({ "type": t, "timestamp": "2026-11-29T18:30:00Z", "data": data });
        serde_json::to_vec(&envelope).unwrap()
    };
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let secret = Secret::parse(SECRET).unwrap();
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let orders = 40i64;
    let mut workers = Vec::new();
    // 8 senders; each sends its orders' events one after the other (created, then paid), paced like a shop.
    for w in 0..8i64 {
        let (client, secret, acked) = (client.clone(), secret.clone(), acked.clone());
        let events: Vec<(String, Vec<u8>)> = (0..orders)
            .filter(|o| o % 8 == w)
            .flat_map(|o| {
                let id = 2000 + o;
                [
                    (format!("created_{id}"), event("order.created", serde_json::to_value(created(id, id)).unwrap())),
                    (format!("paid_{id}"), event("order.paid", serde_json::to_value(paid(id, 2440)).unwrap())),
                ]
            })
            .collect();
        workers.push(tokio::spawn(async move {
            for (id, b) in events {
                if send_webhook(&client, addr, &secret, &id, &b).await.is_some_and(|s| (200..300).contains(&s)) {
                    acked.lock().unwrap().push(id);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    // Killed once Dolibarr has seen a good part of the work (bounded wait).
    for _ in 0..2000 {
        if fake.requests().len() >= 150 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let calls_before_restart = fake.requests().len();
    let open_at_kill: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE status <> 'done'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    for w in workers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();

    let inbox = restart_until_delivered(&db.url, &db.pool, &dolibarr).await;
    for id in &acked {
        assert!(inbox.contains(id), "acknowledged {id} is not stored");
    }
    let stored = |prefix: &str| -> Vec<i64> {
        inbox.iter().filter_map(|id| id.strip_prefix(prefix)).map(|n| n.parse().unwrap()).collect()
    };
    let (created_ids, paid_ids) = (stored("created_"), stored("paid_"));
    assert!(open_at_kill > 0, "the kill came when everything was delivered: nothing tested");
    // Every stored event applied exactly once in effect: one customer, one order per shop order; one invoice and
    // one payment per paid order.
    assert_eq!(fake.thirdparties().len(), created_ids.len(), "one Dolibarr customer per shop customer");
    assert_eq!(fake.orders().len(), created_ids.len(), "one Dolibarr order per shop order");
    for id in &created_ids {
        assert_eq!(fake.order_by_ref_ext(&format!("PS-{id}")).len(), 1, "shop order {id}");
    }
    let invoices = fake.invoices();
    assert_eq!(invoices.len(), paid_ids.len(), "one invoice per paid order");
    for id in &paid_ids {
        let of_order: Vec<_> = invoices.iter().filter(|i| i["ref_client"] == format!("REF{id}")).collect();
        assert_eq!(of_order.len(), 1, "invoices of shop order {id}");
        assert_eq!(of_order[0]["paye"], "1", "shop order {id}'s invoice is paid");
    }
    assert_eq!(fake.payments().len(), paid_ids.len(), "one payment per paid order");
    eprintln!(
        "acked {} of {}, stored {}, {open_at_kill} deliveries open at the kill, Dolibarr calls {calls_before_restart} \
         before the kill, {} in all",
        acked.len(),
        2 * orders,
        inbox.len(),
        fake.requests().len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_burst_pushes_again_only_what_the_kill_left_unanswered() {
    use apns_support::{Rig, order_created, token};
    use ocpizza_core::events::Event;
    use ocpizza_core::status::Fulfilment;
    let rig = Rig::new().await;
    let devices: Vec<String> = (0..4).map(|i| token("a", 900 + i)).collect();
    for t in &devices {
        rig.device(t, "pizzaiolo").await;
    }
    // Each push takes a little while, so that some are in flight when the bridge is killed.
    rig.fake.set_delay(Duration::from_millis(5));
    let path = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    let apns = [
        ("OCPIZZA_APNS_KEY_FILE", path(&rig.settings.key_file)),
        ("OCPIZZA_APNS_KEY_ID", rig.settings.key_id.clone()),
        ("OCPIZZA_APNS_TEAM_ID", rig.settings.team_id.clone()),
        ("OCPIZZA_APNS_TOPIC", rig.settings.topic.clone()),
        ("OCPIZZA_APNS_ENDPOINT", rig.settings.endpoint.clone()),
        ("OCPIZZA_APNS_CA_FILE", path(rig.settings.ca_file.as_deref().unwrap())),
    ];
    let (mut child, addr) = start_with(&rig.db.url, &apns);
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let secret = Secret::parse(SECRET).unwrap();
    let orders = 40i64;
    let mut workers = Vec::new();
    for w in 0..8i64 {
        let (client, secret) = (client.clone(), secret.clone());
        workers.push(tokio::spawn(async move {
            for o in (0..orders).filter(|o| o % 8 == w) {
                let id = 3000 + o;
                let Event::OrderCreated(c) = order_created(id, &format!("REF{id}"), Fulfilment::Delivery) else {
                    unreachable!()
                };
                let b = serde_json::to_vec(&serde_json::json!({
                    "type": "order.created", "timestamp": "2026-11-29T18:30:00Z", "data": c
                }))
                .unwrap();
                send_webhook(&client, addr, &secret, &format!("created_{id}"), &b).await;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    // Killed once APNs has accepted part of the pushes (bounded wait).
    for _ in 0..2000 {
        if rig.fake.stats().accepted >= 40 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for w in workers {
        w.await.unwrap();
    }
    // What the database knew at the kill: pushes recorded as accepted, and those not (yet) recorded.
    async fn sends(pool: &sqlx::MySqlPool, sent: bool) -> Vec<(String, String)> {
        sqlx::query_as(
            "SELECT CONVERT(dv.token USING utf8mb4), CONVERT(i.webhook_id USING utf8mb4) FROM push_sends ps \
             JOIN devices dv ON dv.id = ps.device_id JOIN deliveries d ON d.id = ps.delivery_id \
             JOIN inbox i ON i.id = d.inbox_id WHERE (ps.status = 'sent') = ?",
        )
        .bind(sent)
        .fetch_all(pool)
        .await
        .unwrap()
    }
    let (sent_at_kill, unsent_at_kill) = (sends(rig.pool(), true).await, sends(rig.pool(), false).await);
    let open_at_kill: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE status <> 'done'")
        .fetch_one(rig.pool())
        .await
        .unwrap();
    assert!(open_at_kill > 0, "the kill came when everything was delivered: nothing tested");

    let stored = restart_until_delivered(&rig.db.url, rig.pool(), &apns).await;

    let mut pushed: HashMap<(String, String), u32> = HashMap::new();
    for p in rig.fake.accepted() {
        let order = p.headers.get("apns-collapse-id").cloned().unwrap_or_default();
        *pushed.entry((p.token, order)).or_insert(0) += 1;
    }
    let key = |token: &str, webhook_id: &str| (token.to_owned(), webhook_id.replace("created_", "REF"));
    let mut expected: Vec<_> = stored.iter().flat_map(|w| devices.iter().map(move |t| key(t, w))).collect();
    let mut got: Vec<_> = pushed.keys().cloned().collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected, "every stored order pushed to every kitchen device, and nothing else");
    for (t, w) in &sent_at_kill {
        assert_eq!(pushed[&key(t, w)], 1, "{w} to {t} was recorded as accepted before the kill, yet sent again");
    }
    let again: u32 = pushed.values().map(|n| n - 1).sum();
    assert!(
        again as usize <= unsent_at_kill.len(),
        "{again} pushes sent again for {} not recorded as accepted at the kill",
        unsent_at_kill.len()
    );
    eprintln!(
        "stored {} orders, {open_at_kill} deliveries open at the kill, pushes recorded {} / not recorded {} at the \
         kill, {} accepted in all, {again} sent again",
        stored.len(),
        sent_at_kill.len(),
        unsent_at_kill.len(),
        rig.fake.stats().accepted
    );
}
