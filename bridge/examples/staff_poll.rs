//! Staff-app poll generator (issue 12 benchmark): N devices each poll a restaurant's queue every P seconds with
//! `If-None-Match` (the ETag of their last answer), for a fixed time; reports the latency p50/p99 and the count of
//! 200 and 304 answers. One sign-in shared by every device (the cost of a poll does not depend on the session).
//! Bounded: at most `--duration` seconds (≤ 600) and `--max-polls` requests, loopback addresses only.
//!
//! cargo run --release -p ocpizza-bridge --example staff_poll -- --base http://127.0.0.1:18080 \
//!     --restaurant BELLECOUR --login luca.b --pin 4821 --devices 100 --every-ms 2000 --duration 20

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base: String,
    #[arg(long, default_value = "BELLECOUR")]
    restaurant: String,
    #[arg(long)]
    login: String,
    #[arg(long)]
    pin: String,
    #[arg(long, default_value_t = 100)]
    devices: usize,
    #[arg(long, default_value_t = 2000)]
    every_ms: u64,
    /// Seconds to run (at most 600).
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Stop after this many polls in all.
    #[arg(long, default_value_t = 100_000)]
    max_polls: u64,
    /// `orders` (the queue) or `deliveries`.
    #[arg(long, default_value = "orders")]
    list: String,
}

/// A benchmark of our own bridge on this machine: never point it at anything else.
fn loopback(base: &str) -> bool {
    let rest = base.strip_prefix("http://").unwrap_or("");
    let host = rest.split('/').next().unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    assert!(loopback(&args.base), "--base must be a loopback http:// URL (127.0.0.1, localhost, [::1])");
    assert!(args.duration <= 600, "--duration: at most 600 seconds");
    assert!(matches!(args.list.as_str(), "orders" | "deliveries"), "--list: orders or deliveries");
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.devices).build().unwrap();
    let session: serde_json::Value = client
        .post(format!("{}/v1/staff/sessions", args.base))
        .json(&serde_json::json!({"restaurant": args.restaurant, "login": args.login, "pin": args.pin}))
        .send()
        .await
        .expect("sign in")
        .json()
        .await
        .expect("session JSON");
    let token = session["token"].as_str().expect("a token (is the PIN set?)").to_owned();
    let url = format!("{}/v1/restaurants/{}/{}", args.base, args.restaurant, args.list);
    let started = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let lat_us = Arc::new(Mutex::new(Vec::<u64>::new()));
    let counts = Arc::new(Mutex::new((0u64, 0u64, 0u64)));
    let end = Instant::now() + Duration::from_secs(args.duration);
    let mut tasks = Vec::new();
    for d in 0..args.devices {
        let (client, url, token, lat_us, counts, started) =
            (client.clone(), url.clone(), token.clone(), lat_us.clone(), counts.clone(), started.clone());
        let max_polls = args.max_polls;
        let every = Duration::from_millis(args.every_ms);
        // Devices spread evenly over the period, as phones polling independently would be.
        let offset = every * d as u32 / args.devices as u32;
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(offset).await;
            let mut tick = tokio::time::interval(every);
            let mut etag: Option<String> = None;
            while Instant::now() < end {
                tick.tick().await;
                if started.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= max_polls {
                    break;
                }
                let mut req = client.get(&url).bearer_auth(&token);
                if let Some(e) = &etag {
                    req = req.header("if-none-match", e);
                }
                let t = Instant::now();
                let Ok(resp) = req.send().await else {
                    counts.lock().unwrap().2 += 1;
                    continue;
                };
                let status = resp.status().as_u16();
                if let Some(e) = resp.headers().get("etag").and_then(|v| v.to_str().ok()) {
                    etag = Some(e.to_owned());
                }
                let _ = resp.bytes().await;
                lat_us.lock().unwrap().push(t.elapsed().as_micros() as u64);
                let mut c = counts.lock().unwrap();
                match status {
                    200 => c.0 += 1,
                    304 => c.1 += 1,
                    _ => c.2 += 1,
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let mut l = lat_us.lock().unwrap().clone();
    l.sort_unstable();
    let (ok, not_modified, other) = *counts.lock().unwrap();
    println!(
        "polls: {} ({} × 200, {} × 304, {} other) — p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        l.len(),
        ok,
        not_modified,
        other,
        pct(&l, 0.50),
        pct(&l, 0.99),
        l.last().copied().unwrap_or(0) as f64 / 1000.0
    );
}
