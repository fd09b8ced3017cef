//! `fake-dolibarr`: the local Dolibarr stand-in as a process, for `make demo` and manual runs.
//!
//! `fake-dolibarr --listen 127.0.0.1:8081 --api-key demo-dolibarr-key` serves the API at
//! `http://127.0.0.1:8081/api/index.php` and what it holds at `GET /_test/state`; stops on SIGINT/SIGTERM.
//! `--php-timezone Europe/Paris` makes it store dates as a Dolibarr whose PHP runs in that zone would.

use std::net::SocketAddr;

use clap::Parser;
use ocpizza_e2e::dolibarr::{EmptyList, FakeDolibarr};

#[derive(Debug, Parser)]
#[command(name = "fake-dolibarr", about = "Local stand-in of Dolibarr's REST API (state in memory)")]
struct Args {
    /// Address to listen on (loopback only).
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// The API key clients must send as DOLAPIKEY.
    #[arg(long, env = "FAKE_DOLIBARR_API_KEY", hide_env_values = true)]
    api_key: String,
    /// Answer empty searches with `200 []` instead of 404 "No … found".
    #[arg(long)]
    empty_as_array: bool,
    /// Behave as if Dolibarr's PHP `date.timezone` were this IANA zone (Debian's default is UTC).
    #[arg(long, default_value = "UTC")]
    php_timezone: chrono_tz::Tz,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    if !args.listen.ip().is_loopback() {
        eprintln!("error: --listen must be a loopback address, got {}", args.listen);
        return std::process::ExitCode::FAILURE;
    }
    let fake = match FakeDolibarr::start_on(args.listen, &args.api_key).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.listen);
            return std::process::ExitCode::FAILURE;
        }
    };
    if args.empty_as_array {
        fake.set_empty_list(EmptyList::EmptyArray);
    }
    fake.set_php_timezone(args.php_timezone);
    println!("fake Dolibarr listening on {} (state: http://{}/_test/state)", fake.url(), fake.addr());
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
    fake.stop().await;
    std::process::ExitCode::SUCCESS
}
