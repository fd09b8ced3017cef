//! `flow-bench`: time from the IPN received to the kitchen's push accepted by the APNs stand-in, over N orders.
//!
//! Same set-up as the e2e tests (fresh seeded database, real bridge, stand-ins, the module's code on the PrestaShop
//! stand-in with the real extension). Per order, sequentially: cart and hosted form (not timed), then t0 just before
//! `demo-shop.php ipn` is spawned; the push time is when the APNs stand-in's accepted count grows (polled every
//! millisecond, in this process). demo-shop has no batch mode, so each IPN includes a PHP process start (measured
//! separately as "IPN call"). Prints p50/p99 and the build profile of the binaries used.
//!
//!   cargo build --release -p ocpizza-ext && cargo build --release -p ocpizza-bridge
//!   cargo run --release -p ocpizza-e2e --bin flow-bench -- --orders 200
//! (a release flow-bench uses target/release/ocpizza-bridge and libocpizza.so; a debug one, target/debug's).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use ocpizza_e2e::harness::{Database, Flow, FlowOptions, HarnessError};

#[derive(Debug, Parser)]
#[command(about = "IPN received → push accepted, p50/p99 over N orders")]
struct Args {
    /// Timed orders.
    #[arg(long, default_value_t = 200)]
    orders: usize,
    /// Untimed orders first (PHP opcache-less start, first JWT, first connections).
    #[arg(long, default_value_t = 5)]
    warmup: usize,
}

#[derive(Debug, thiserror::Error)]
enum BenchError {
    #[error(transparent)]
    Harness(#[from] HarnessError),
    #[error("{0}")]
    Flow(String),
}

/// The push that follows order number `target` of the run (the accepted count reaching it), bounded.
async fn push_seen(flow: &Flow, target: u64) -> Option<Instant> {
    for _ in 0..60_000 {
        if flow.apns.stats().accepted >= target {
            return Some(Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    None
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

async fn bench(args: &Args) -> Result<(), BenchError> {
    let flow = Flow::start(Database::seeded_test().await, FlowOptions::default()).await?;
    // Restock every restaurant so that 200 orders never make a pizza unavailable (not what is measured).
    sqlx::query("UPDATE stock SET quantity = 1000000")
        .execute(flow.pool())
        .await
        .map_err(HarnessError::from)?;
    let (mut total, mut ipn_call) = (Vec::new(), Vec::new());
    for i in 0..args.warmup + args.orders {
        let cart = flow
            .shop
            .cart("69002", &[("PIZZA-MARGHERITA", 1), ("DRINK-COLA-33", 1)])
            .await?;
        if !cart.problems.is_empty() {
            return Err(BenchError::Flow(format!(
                "cart refused: {:?}",
                cart.problems
            )));
        }
        flow.shop.checkout_card(cart.id).await?;
        let target = flow.apns.stats().accepted + 1;
        let t0 = Instant::now();
        let (ipn, pushed) = tokio::join!(
            async {
                let r = flow.shop.ipn(cart.id, "AUTHORISED", None).await;
                (r, Instant::now())
            },
            push_seen(&flow, target)
        );
        let (ipn, ipn_done) = ipn;
        let ipn = ipn?;
        if ipn["http_status"] != 200 {
            return Err(BenchError::Flow(format!("IPN refused: {ipn}")));
        }
        let pushed = pushed
            .ok_or_else(|| BenchError::Flow(format!("no push for order {}", ipn["order_id"])))?;
        if i >= args.warmup {
            total.push(pushed.duration_since(t0).as_secs_f64() * 1000.0);
            ipn_call.push(ipn_done.duration_since(t0).as_secs_f64() * 1000.0);
        }
    }
    let dead: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM deliveries WHERE status = 'dead'")
        .fetch_one(flow.pool())
        .await
        .map_err(HarnessError::from)?;
    if dead.0 != 0 {
        return Err(BenchError::Flow(format!("{} deliveries dead", dead.0)));
    }
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "flow-bench: {} orders (+{} warm-up), binaries from target/{profile} ({profile} build)",
        args.orders, args.warmup
    );
    for (name, v) in [
        ("IPN received → push accepted", &mut total),
        ("IPN call (PHP process)", &mut ipn_call),
    ] {
        v.sort_by(f64::total_cmp);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        println!(
            "  {name:<30} p50 {:>7.1} ms   p99 {:>7.1} ms   min {:>7.1}   max {:>7.1}   mean {:>7.1}",
            percentile(v, 50.0),
            percentile(v, 99.0),
            v[0],
            v[v.len() - 1],
            mean
        );
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args = Args::parse();
    if args.orders == 0 {
        eprintln!("error: --orders must be at least 1");
        return ExitCode::FAILURE;
    }
    // Bounded: a stuck run ends by itself.
    let limit = Duration::from_secs(60 + 10 * (args.orders + args.warmup) as u64);
    match tokio::time::timeout(limit, bench(&args)).await {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("flow-bench failed: {e}");
            ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("flow-bench failed: did not finish within {limit:?}");
            ExitCode::FAILURE
        }
    }
}
