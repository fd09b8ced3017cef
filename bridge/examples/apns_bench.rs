//! APNs client benchmark against the local stand-in, on loopback:
//!
//! ```text
//! cargo run --release -p ocpizza-bridge --example apns_bench -- [--seconds 5] [--in-flight 100] [--sequential 5000]
//! ```
//!
//! Phase 1: `--in-flight` senders share the one HTTP/2 connection for `--seconds` (throughput, p50/p99/max).
//! Phase 2: one sender, `--sequential` pushes one after the other (p50/p99: the lone-push latency that Nagle's
//! algorithm would ruin). At the end the stand-in must have seen exactly one connection and one JWT.
//! The stand-in runs on its own runtime thread in the same process; both are bounded in count and time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use ocpizza_bridge::apns::messages::{KITCHEN, Notice};
use ocpizza_bridge::apns::{ApnsClient, ApnsSettings, Push, PushResult, SystemClock, payload};
use ocpizza_core::status::OrderStatus;
use ocpizza_e2e::apns::{FakeApns, FakeApnsOptions};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    #[arg(long, default_value_t = 100)]
    in_flight: usize,
    #[arg(long, default_value_t = 5000)]
    sequential: usize,
    /// Worker threads of the client runtime.
    #[arg(long, default_value_t = 2)]
    client_threads: usize,
    /// Worker threads of the stand-in's runtime.
    #[arg(long, default_value_t = 1)]
    server_threads: usize,
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn report(name: &str, mut lat_us: Vec<u32>, elapsed: Duration) {
    lat_us.sort_unstable();
    println!(
        "{name:<28} {:>8} pushes in {:>6.2} s = {:>9.0} /s   p50 {:>6.3} ms   p99 {:>6.3} ms   max {:>7.3} ms",
        lat_us.len(),
        elapsed.as_secs_f64(),
        lat_us.len() as f64 / elapsed.as_secs_f64(),
        percentile(&lat_us, 0.50),
        percentile(&lat_us, 0.99),
        *lat_us.last().unwrap_or(&0) as f64 / 1000.0,
    );
}

async fn send_ok(client: &ApnsClient, push: &Push<'_>) {
    match client.send(push).await.expect("token signs") {
        PushResult::Accepted { .. } => {}
        other => panic!("stand-in refused a benchmark push: {other:?}"),
    }
}

fn main() {
    let args = Args::parse();
    // The stand-in on a runtime of its own, as a remote APNs would be.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.server_threads)
        .enable_all()
        .build()
        .unwrap();
    let fake = server_rt
        .block_on(FakeApns::start(FakeApnsOptions {
            keep_accepted: false,
            ..FakeApnsOptions::default()
        }))
        .expect("stand-in starts");
    let dir = std::env::temp_dir().join(format!("ocpizza-apns-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("key.p8"), &fake.key_p8_pem).unwrap();
    std::fs::write(dir.join("ca.pem"), &fake.ca_pem).unwrap();
    let o = fake.options().clone();
    let mut settings = ApnsSettings::new(dir.join("key.p8"), &o.key_id, &o.team_id, &o.topic);
    settings.endpoint = fake.endpoint();
    settings.ca_file = Some(dir.join("ca.pem"));
    settings.max_in_flight = args.in_flight;

    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads)
        .enable_all()
        .build()
        .unwrap();
    client_rt.block_on(async {
        let signer = settings.signer(Arc::new(SystemClock)).unwrap();
        let client = Arc::new(settings.client_for(&settings.endpoint, signer).unwrap());
        let notice = Notice {
            restaurant: "BELLECOUR".into(),
            roles: KITCHEN,
            title: "Nouvelle commande XKBKN".into(),
            body: "2 pizzas, 1 boisson — livraison 69002 Lyon".into(),
            shop_order_id: 42,
            reference: "XKBKN".into(),
            status: OrderStatus::Received,
            navigation_url: None,
            coordinates: None,
        };
        let body: Arc<[u8]> = payload::build(&notice, payload::MAX_PAYLOAD)
            .unwrap()
            .into();
        let token = "ab".repeat(32);

        // Warm-up: connection, TLS, JWT, allocator.
        for _ in 0..500 {
            send_ok(
                &client,
                &Push {
                    device_token: &token,
                    collapse_id: "XKBKN",
                    payload: &body,
                    expiration: 0,
                },
            )
            .await;
        }

        let deadline = Instant::now() + Duration::from_secs(args.seconds);
        let start = Instant::now();
        let mut senders = Vec::new();
        for _ in 0..args.in_flight {
            let (client, body, token) = (client.clone(), body.clone(), token.clone());
            senders.push(tokio::spawn(async move {
                let mut lat = Vec::with_capacity(1 << 16);
                let push = Push {
                    device_token: &token,
                    collapse_id: "XKBKN",
                    payload: &body,
                    expiration: 0,
                };
                while Instant::now() < deadline {
                    let t = Instant::now();
                    send_ok(&client, &push).await;
                    lat.push(t.elapsed().as_micros() as u32);
                }
                lat
            }));
        }
        let mut all = Vec::new();
        for s in senders {
            all.extend(s.await.unwrap());
        }
        report(
            &format!("{} in flight", args.in_flight),
            all,
            start.elapsed(),
        );

        let push = Push {
            device_token: &token,
            collapse_id: "XKBKN",
            payload: &body,
            expiration: 0,
        };
        let mut lat = Vec::with_capacity(args.sequential);
        let start = Instant::now();
        for _ in 0..args.sequential {
            let t = Instant::now();
            send_ok(&client, &push).await;
            lat.push(t.elapsed().as_micros() as u32);
        }
        report("1 in flight (sequential)", lat, start.elapsed());
    });
    let stats = fake.stats();
    println!(
        "stand-in: {} connection(s), {} distinct JWT(s), {} requests, max {} concurrent streams, statuses {:?}",
        stats.connections,
        stats.distinct_jwts,
        stats.requests,
        stats.max_concurrent_streams,
        stats.by_status
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(stats.connections, 1, "exactly one connection");
    assert_eq!(stats.distinct_jwts, 1, "exactly one JWT");
}
