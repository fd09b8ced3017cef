//! `fake-sogecommerce`: the SogeCommerce REST stand-in (src/sogecommerce.rs, `V4/Transaction/CancelOrRefund`) as a
//! process, for the module's PHP tests (the real extension calling it over loopback) and manual runs.
//!
//! `fake-sogecommerce --shop-id 12345678 --password testpassword_… --transaction <uuid>:<cents>:<EUR>:captured`
//! listens on 127.0.0.1 (a free port unless `--port`), prints `listening on http://127.0.0.1:<port>/api-payment/`
//! as its first line of stdout, and serves what it received at `GET /_test/requests`. `--stall <uuid>` never answers
//! requests for that transaction (a client timeout). Stops on SIGINT/SIGTERM.

use clap::Parser;
use ocpizza_e2e::sogecommerce::FakeSogeCommerce;

#[derive(Debug, Parser)]
#[command(name = "fake-sogecommerce", about = "Local stand-in of SogeCommerce's REST API (CancelOrRefund), state in memory")]
struct Args {
    /// The shop id clients must send as the HTTP Basic user.
    #[arg(long)]
    shop_id: String,
    /// The REST password clients must send.
    #[arg(long, env = "FAKE_SOGECOMMERCE_PASSWORD", hide_env_values = true)]
    password: String,
    /// A known transaction: `<uuid>:<amount in minor units>:<currency>:<captured|authorised>`; repeatable.
    #[arg(long = "transaction")]
    transactions: Vec<String>,
    /// A transaction whose requests are never answered; repeatable.
    #[arg(long)]
    stall: Vec<String>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let fake = match FakeSogeCommerce::start(&args.shop_id, &args.password).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    for t in &args.transactions {
        let parts: Vec<&str> = t.split(':').collect();
        let (uuid, amount, currency, captured) = match parts.as_slice() {
            [u, a, c, k] if ["captured", "authorised"].contains(k) => match a.parse::<i64>() {
                Ok(a) => (*u, a, *c, *k == "captured"),
                Err(_) => {
                    eprintln!("error: --transaction {t}: the amount is not an integer");
                    return std::process::ExitCode::FAILURE;
                }
            },
            _ => {
                eprintln!("error: --transaction {t}: expected <uuid>:<cents>:<currency>:<captured|authorised>");
                return std::process::ExitCode::FAILURE;
            }
        };
        fake.add(uuid, amount, currency, captured);
    }
    for uuid in &args.stall {
        fake.stall(uuid);
    }
    println!("listening on {}", fake.api_url());
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot watch SIGTERM: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    std::process::ExitCode::SUCCESS
}
