//! Shared test support: a test configuration, signed requests, event bodies, and a scripted test destination.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ocpizza_bridge::config::Config;
use ocpizza_bridge::destination::{DeliverFuture, Delivery, DeliveryError, Destination, Outcome};
use ocpizza_core::webhooks::{self, Secret};

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const OLD_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
pub const ADMIN: &str = "admin-token-0123456789";
pub const DEV_BELLECOUR: &str = "bellecour-token-0123456789";
pub const DEV_APP: &str = "app-token-0123456789abcdef";

/// Config for a test server on 127.0.0.1:0: two secrets (rotation), fast polling, short backoff, no reconciler.
pub fn config(extra: &[(&str, &str)]) -> Config {
    let mut m: BTreeMap<String, String> = [
        ("OCPIZZA_LISTEN", "127.0.0.1:0"),
        ("OCPIZZA_WEBHOOK_SECRETS", &format!("{SECRET},{OLD_SECRET}") as &str),
        ("OCPIZZA_ADMIN_TOKEN", ADMIN),
        ("OCPIZZA_DEVICE_TOKENS", &format!("BELLECOUR={DEV_BELLECOUR},app={DEV_APP}")),
        ("OCPIZZA_DELIVERY_POLL_MS", "50"),
        ("OCPIZZA_DELIVERY_BACKOFF_BASE_MS", "200"),
        ("OCPIZZA_DELIVERY_BACKOFF_MAX_SECS", "5"),
        ("OCPIZZA_DELIVERY_REAPER_SECS", "1"),
        ("OCPIZZA_SHUTDOWN_GRACE_SECS", "5"),
        ("OCPIZZA_RECONCILE_INTERVAL_SECS", "0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        m.insert(k.to_string(), v.to_string());
    }
    Config::from_map(&m).expect("test config is valid")
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub fn status_changed(shop_order_id: i64, from: &str, to: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "type": "order.status_changed",
        "timestamp": "2026-11-29T18:00:00.000000Z",
        "data": {
            "shop_order_id": shop_order_id, "reference": format!("REF{shop_order_id}"), "restaurant": "BELLECOUR",
            "fulfilment": "delivery", "from": from, "to": to, "note": null, "changed_at": "2026-11-29T18:00:00Z"
        }
    }))
    .unwrap()
}

pub fn stock_shortage() -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "type": "stock.shortage",
        "timestamp": "2026-11-29T18:00:00Z",
        "data": { "restaurant": "GERLAND", "shop_order_id": null, "reference": null,
                  "ingredients": [{"name": "Mozzarella", "unit": "g", "needed": 500, "available": 100, "missing": 400}] }
    }))
    .unwrap()
}

pub struct Signed {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
}

pub fn sign_with(secret: &str, id: &str, ts: i64, body: &[u8]) -> Signed {
    let s = Secret::parse(secret).unwrap();
    Signed { id: id.into(), timestamp: ts.to_string(), signature: webhooks::sign(&s, id, ts, body) }
}

pub async fn post_webhook(
    client: &reqwest::Client,
    addr: SocketAddr,
    signed: &Signed,
    body: &[u8],
) -> (u16, serde_json::Value) {
    let resp = try_post_webhook(client, addr, signed, body).await.expect("request sent");
    let status = resp.status().as_u16();
    let json = resp.json().await.unwrap_or(serde_json::Value::Null);
    (status, json)
}

/// [`post_webhook`], the transport error given back (a client that gives up, a server that is gone).
pub async fn try_post_webhook(
    client: &reqwest::Client,
    addr: SocketAddr,
    signed: &Signed,
    body: &[u8],
) -> reqwest::Result<reqwest::Response> {
    client
        .post(format!("http://{addr}/webhooks/prestashop"))
        .header("content-type", "application/json")
        .header("webhook-id", &signed.id)
        .header("webhook-timestamp", &signed.timestamp)
        .header("webhook-signature", &signed.signature)
        .body(body.to_vec())
        .send()
        .await
}

pub async fn send(client: &reqwest::Client, addr: SocketAddr, id: &str, body: &[u8]) -> (u16, serde_json::Value) {
    post_webhook(client, addr, &sign_with(SECRET, id, now(), body), body).await
}

/// What a scripted destination answers, attempt after attempt, for one webhook id (then `Done`).
#[derive(Debug, Clone)]
pub enum Step {
    Retry(Option<Duration>),
    Fatal,
    /// Takes this long, then succeeds.
    Slow(Duration),
}

#[derive(Debug, Clone)]
pub struct Call {
    pub webhook_id: String,
    pub attempt: u32,
    pub at: Instant,
    pub finished: Instant,
}

/// A destination whose answers are scripted per webhook id; records every call and the peak concurrency per
/// webhook id (which must never exceed 1).
pub struct Scripted {
    pub name: &'static str,
    script: Mutex<HashMap<String, VecDeque<Step>>>,
    pub calls: Mutex<Vec<Call>>,
    in_flight: Mutex<HashMap<String, usize>>,
    pub overlaps: AtomicUsize,
    pub default_delay: Duration,
}

impl Scripted {
    pub fn new(name: &'static str) -> Arc<Scripted> {
        Scripted::with_delay(name, Duration::ZERO)
    }
    pub fn with_delay(name: &'static str, default_delay: Duration) -> Arc<Scripted> {
        Arc::new(Scripted {
            name,
            script: Mutex::new(HashMap::new()),
            calls: Mutex::new(Vec::new()),
            in_flight: Mutex::new(HashMap::new()),
            overlaps: AtomicUsize::new(0),
            default_delay,
        })
    }
    pub fn script(&self, webhook_id: &str, steps: Vec<Step>) {
        self.script.lock().unwrap().insert(webhook_id.into(), steps.into());
    }
    pub fn calls_for(&self, webhook_id: &str) -> Vec<Call> {
        self.calls.lock().unwrap().iter().filter(|c| c.webhook_id == webhook_id).cloned().collect()
    }
    pub fn successes(&self) -> Vec<String> {
        // Calls whose step was Done/Slow are the last call of each id that the script did not fail.
        self.calls.lock().unwrap().iter().map(|c| c.webhook_id.clone()).collect()
    }
}

impl Destination for Scripted {
    fn name(&self) -> &'static str {
        self.name
    }
    fn accepts(&self, _event_type: &str) -> bool {
        true
    }
    fn deliver<'a>(&'a self, d: &'a Delivery) -> DeliverFuture<'a> {
        Box::pin(async move {
            let at = Instant::now();
            {
                let mut f = self.in_flight.lock().unwrap();
                let n = f.entry(d.webhook_id.clone()).or_insert(0);
                *n += 1;
                if *n > 1 {
                    self.overlaps.fetch_add(1, Ordering::SeqCst);
                }
            }
            let step = self.script.lock().unwrap().get_mut(&d.webhook_id).and_then(|q| q.pop_front());
            let delay = match &step {
                Some(Step::Slow(t)) => *t,
                _ => self.default_delay,
            };
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            *self.in_flight.lock().unwrap().get_mut(&d.webhook_id).unwrap() -= 1;
            self.calls.lock().unwrap().push(Call {
                webhook_id: d.webhook_id.clone(),
                attempt: d.attempt,
                at,
                finished: Instant::now(),
            });
            match step {
                Some(Step::Retry(after)) => {
                    Err(DeliveryError::Retry { reason: format!("scripted failure #{}", d.attempt), retry_after: after })
                }
                Some(Step::Fatal) => Err(DeliveryError::Fatal { reason: "scripted fatal: refused".into() }),
                _ => Ok(Outcome::Done(serde_json::json!({ "seen": d.webhook_id, "attempt": d.attempt }))),
            }
        })
    }
}

/// Polls `f` every 20 ms until it returns Some, for at most `max` (a bound on a wait, not an assertion on speed).
pub async fn eventually<T, F, Fut>(max: Duration, mut f: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return Some(v);
        }
        if start.elapsed() > max {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn count(pool: &sqlx::MySqlPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap()
}

pub async fn delivery_status(pool: &sqlx::MySqlPool, webhook_id: &str, destination: &str) -> Option<String> {
    sqlx::query_scalar(
        "SELECT d.status FROM deliveries d JOIN inbox i ON i.id = d.inbox_id WHERE i.webhook_id = ? AND d.destination = ?",
    )
    .bind(webhook_id)
    .bind(destination)
    .fetch_optional(pool)
    .await
    .unwrap()
}

/// Waits (bounded) until the delivery of `webhook_id` has `status`.
pub async fn wait_status(pool: &sqlx::MySqlPool, webhook_id: &str, destination: &str, status: &str) -> bool {
    eventually(Duration::from_secs(20), || async {
        (delivery_status(pool, webhook_id, destination).await.as_deref() == Some(status)).then_some(())
    })
    .await
    .is_some()
}

/// A restaurant row for tests that do not load the seed.
pub async fn restaurant(pool: &sqlx::MySqlPool, code: &str) {
    sqlx::query(
        "INSERT IGNORE INTO restaurants (code, name, address_line1, postcode, city, phone) \
         VALUES (?, ?, '1 rue de test', '69002', 'Lyon', '+33 4 00 00 00 00')",
    )
    .bind(code)
    .bind(format!("OC Pizza {code}"))
    .execute(pool)
    .await
    .unwrap();
}
