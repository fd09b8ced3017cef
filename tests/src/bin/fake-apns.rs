//! The local APNs stand-in as a process, for `make demo`: writes its CA certificate and a fresh `.p8` key where
//! asked, prints `FAKE_APNS_ENDPOINT=https://127.0.0.1:<port>`, and keeps what it received (stats and accepted
//! pushes: token, headers, payload) in a JSON state file, rewritten whenever it changes. Stops by itself after
//! `--max-seconds`, or on Ctrl-C / SIGTERM.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use ocpizza_e2e::apns::{FakeApns, FakeApnsOptions};

#[derive(Parser)]
#[command(about = "Local APNs stand-in (HTTP/2 + TLS) that checks requests as Apple does")]
struct Args {
    /// Where to write the CA certificate (PEM) the bridge must trust (OCPIZZA_APNS_CA_FILE).
    #[arg(long)]
    ca_out: PathBuf,
    /// Where to write the provider key (.p8, PKCS#8 PEM) the bridge signs with (OCPIZZA_APNS_KEY_FILE).
    #[arg(long)]
    key_out: PathBuf,
    /// JSON state file: {"endpoint", "stats", "accepted": [...]}.
    #[arg(long)]
    state_file: Option<PathBuf>,
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: std::net::SocketAddr,
    #[arg(long, default_value = "fr.ocpizza.staff")]
    topic: String,
    #[arg(long, default_value = "OCPZTEAM01")]
    team_id: String,
    #[arg(long, default_value = "OCPZKEY001")]
    key_id: String,
    #[arg(long, default_value_t = 1000)]
    max_concurrent_streams: u32,
    #[arg(long, default_value_t = 3600)]
    max_seconds: u64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if !args.listen.ip().is_loopback() {
        return Err("--listen must be a loopback address".into());
    }
    let fake = FakeApns::start(FakeApnsOptions {
        topic: args.topic,
        team_id: args.team_id,
        key_id: args.key_id,
        max_concurrent_streams: args.max_concurrent_streams,
        keep_accepted: true,
        listen: args.listen,
    })
    .await?;
    std::fs::write(&args.ca_out, &fake.ca_pem)?;
    std::fs::write(&args.key_out, &fake.key_p8_pem)?;
    println!("FAKE_APNS_ENDPOINT={}", fake.endpoint());
    println!("FAKE_APNS_TOPIC={}", fake.options().topic);
    println!("FAKE_APNS_TEAM_ID={}", fake.options().team_id);
    println!("FAKE_APNS_KEY_ID={}", fake.options().key_id);

    let deadline = tokio::time::sleep(Duration::from_secs(args.max_seconds));
    tokio::pin!(deadline);
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let mut written = u64::MAX;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        tokio::select! {
            _ = &mut deadline => break,
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
            _ = tick.tick() => {
                let stats = fake.stats();
                if let Some(path) = &args.state_file
                    && stats.requests != written
                {
                        let state = serde_json::json!({
                            "endpoint": fake.endpoint(),
                            "stats": stats,
                            "accepted": fake.accepted(),
                        });
                        let tmp = path.with_extension("tmp");
                        std::fs::write(&tmp, serde_json::to_vec_pretty(&state)?)?;
                        std::fs::rename(&tmp, path)?;
                        written = stats.requests;
                }
            }
        }
    }
    Ok(())
}
