//! Load generator for `ocpizza-bridge serve`: unique, Standard-Webhooks-signed `order.status_changed` events over
//! N keep-alive connections, as fast as possible or at a fixed total rate, bounded by time and count.
//! With `--sink ADDR` it also runs the receiving end of the bridge's sink destination (OCPIZZA_SINK_URL =
//! http://ADDR/sink) and reports relay throughput and delivery lag (request sent → sink receipt, so ingest is
//! included: an upper bound of the relay's own lag).
//!
//! cargo run --release -p ocpizza-bridge --example loadgen -- --url http://127.0.0.1:8080/webhooks/prestashop \
//!     --secret whsec_… --connections 64 --duration 20

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use clap::Parser;
use ocpizza_core::webhooks::{self, Secret};

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8080/webhooks/prestashop")]
    url: String,
    #[arg(long)]
    secret: String,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Seconds to run.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Stop after this many requests in all (0: no limit).
    #[arg(long, default_value_t = 0)]
    requests: u64,
    /// Fixed total rate in requests/s (0: as fast as possible). Latency counts from the scheduled send time when
    /// the previous answer on the connection came later than it, else from the actual send.
    #[arg(long, default_value_t = 0)]
    rate: u64,
    /// Distinct shop orders the events are spread over (events of one order are relayed in order).
    #[arg(long, default_value_t = 100_000)]
    orders: u64,
    /// Run a sink receiver on this address and report relay throughput and lag.
    #[arg(long)]
    sink: Option<SocketAddr>,
    /// Seconds to wait for the relay to catch up after the load stops (with --sink).
    #[arg(long, default_value_t = 30)]
    drain: u64,
    /// With --sink: wait for this many deliveries (e.g. a backlog re-queued in the database) instead of the
    /// number accepted; use with --duration 0 to measure the relay alone.
    #[arg(long)]
    expect: Option<u64>,
}

#[derive(Default)]
struct Shared {
    acked_at: Mutex<HashMap<String, Instant>>,
    lags_us: Mutex<Vec<u64>>,
    first_delivery: Mutex<Option<Instant>>,
    last_delivery: Mutex<Option<Instant>>,
    delivered: AtomicU64,
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

async fn run_sink(addr: SocketAddr, shared: Arc<Shared>) {
    let app = Router::new().route(
        "/sink",
        post(move |headers: HeaderMap| {
            let shared = shared.clone();
            async move {
                let now = Instant::now();
                let id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                if let Some(at) = shared.acked_at.lock().unwrap().get(&id) {
                    shared.lags_us.lock().unwrap().push(now.saturating_duration_since(*at).as_micros() as u64);
                }
                shared.first_delivery.lock().unwrap().get_or_insert(now);
                *shared.last_delivery.lock().unwrap() = Some(now);
                shared.delivered.fetch_add(1, Ordering::Relaxed);
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(addr).await.expect("sink address free");
    axum::serve(listener, app).await.expect("sink runs");
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let secret = Secret::parse(&args.secret).expect("--secret is a whsec_ secret");
    let shared = Arc::new(Shared::default());
    if let Some(addr) = args.sink {
        tokio::spawn(run_sink(addr, shared.clone()));
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let run = format!("{:08x}", rand_u32());
    let counter = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.duration);
    let started = Instant::now();
    let per_conn_interval =
        (args.rate > 0).then(|| Duration::from_secs_f64(args.connections as f64 / args.rate as f64));
    let mut tasks = Vec::new();
    for c in 0..args.connections {
        let (client, secret, counter, shared, url) =
            (client.clone(), secret.clone(), counter.clone(), shared.clone(), args.url.clone());
        let (run, requests, orders, track) = (run.clone(), args.requests, args.orders, args.sink.is_some());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let (mut ok, mut failed) = (0u64, 0u64);
            // Spread the connections' schedules over one interval.
            let mut next = per_conn_interval.map(|iv| Instant::now() + iv.mul_f64(c as f64 / 64.0f64.max(1.0)));
            // When the previous answer came after this request's scheduled time, the server delayed it: latency
            // counts from the schedule (no coordinated omission). Otherwise the connection was idle and latency
            // counts from the actual send, so that this tool's own timer (tokio: 1 ms granularity, always late)
            // and its signing are not charged to the server.
            let mut last_done = Instant::now();
            loop {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                if Instant::now() >= deadline || (requests > 0 && n >= requests) {
                    break;
                }
                let id = format!("lg_{run}_{n}");
                let body = serde_json::to_vec(&serde_json::json!({
                    "type": "order.status_changed", "timestamp": "2026-11-29T18:00:00Z",
                    "data": { "shop_order_id": 1 + n % orders, "reference": format!("LG{n}"), "restaurant": "BELLECOUR",
                              "fulfilment": "takeaway", "from": "received", "to": "accepted", "note": null,
                              "changed_at": "2026-11-29T18:00:00Z" }
                }))
                .unwrap();
                let ts = chrono::Utc::now().timestamp();
                let sig = webhooks::sign(&secret, &id, ts, &body);
                let scheduled = match (&mut next, per_conn_interval) {
                    (Some(t), Some(iv)) => {
                        tokio::time::sleep_until((*t).into()).await;
                        let s = *t;
                        *t += iv;
                        s
                    }
                    _ => Instant::now(),
                };
                let sent = Instant::now();
                let start = if last_done > scheduled { scheduled } else { sent };
                if track {
                    shared.acked_at.lock().unwrap().insert(id.clone(), sent);
                }
                let resp = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("webhook-id", &id)
                    .header("webhook-timestamp", ts.to_string())
                    .header("webhook-signature", sig)
                    .body(body)
                    .send()
                    .await;
                let now = Instant::now();
                last_done = now;
                match resp {
                    Ok(r) if r.status().is_success() => ok += 1,
                    _ => failed += 1,
                }
                lat.push(now.saturating_duration_since(start).as_micros() as u64);
            }
            (lat, ok, failed)
        }));
    }
    let mut lat = Vec::new();
    let (mut ok, mut failed) = (0u64, 0u64);
    for t in tasks {
        let (l, o, f) = t.await.unwrap();
        lat.extend(l);
        ok += o;
        failed += f;
    }
    let elapsed = started.elapsed().as_secs_f64();
    lat.sort_unstable();
    println!(
        "ingest: {ok} accepted, {failed} failed in {elapsed:.2} s = {:.0} accepted/s over {} connections{}",
        ok as f64 / elapsed,
        args.connections,
        if args.rate > 0 { format!(" (target {} req/s)", args.rate) } else { String::new() }
    );
    println!(
        "ingest latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        pct(&lat, 0.5),
        pct(&lat, 0.9),
        pct(&lat, 0.99),
        pct(&lat, 1.0)
    );
    if args.sink.is_some() {
        let until = Instant::now() + Duration::from_secs(args.drain);
        let expect = args.expect.unwrap_or(ok);
        while shared.delivered.load(Ordering::Relaxed) < expect && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let delivered = shared.delivered.load(Ordering::Relaxed);
        let first = *shared.first_delivery.lock().unwrap();
        let last = *shared.last_delivery.lock().unwrap();
        let span = match (first, last) {
            (Some(a), Some(b)) => b.duration_since(a).as_secs_f64().max(1e-3),
            _ => 0.0,
        };
        let mut lags = shared.lags_us.lock().unwrap().clone();
        lags.sort_unstable();
        println!(
            "relay: {delivered} of {expect} delivered to the sink, {:.0} deliveries/s (first to last delivery)",
            if span > 0.0 { delivered as f64 / span } else { 0.0 }
        );
        println!(
            "delivery lag ms (send → sink receipt, ingest included): p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
            pct(&lags, 0.5),
            pct(&lags, 0.9),
            pct(&lags, 0.99),
            pct(&lags, 1.0)
        );
    }
}

fn rand_u32() -> u32 {
    use rand::Rng;
    rand::thread_rng().r#gen()
}
