//! Command line: `serve`, `migrate`, `seed`, `summary`, `purge`, `webhook sign|verify`, `doctor`, `staff set-pin`,
//! `backfill`.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use ocpizza_core::codes::{self, Code};
use ocpizza_core::webhooks::{self, Secret};

use crate::config::{Config, SecretString};
use crate::destination::Destination;

#[derive(Debug, Parser)]
#[command(name = "ocpizza-bridge", version, about = "OC Pizza order bridge: webhooks in, Dolibarr and APNs out")]
pub struct Cli {
    /// OCPizza_DB connection URL, e.g. mysql://ocpizza_bridge:secret@127.0.0.1:3306/ocpizza
    #[arg(long, env = "OCPIZZA_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// Optional TOML configuration file (environment variables OCPIZZA_* win over it).
    #[arg(long, env = "OCPIZZA_CONFIG", global = true)]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service: webhook ingest, relay to Dolibarr/APNs, devices, admin API, health and metrics.
    Serve,
    /// Apply the embedded OCPizza_DB migrations.
    Migrate,
    /// Load the chain's reference data (restaurants, staff, menu, recipes, stock); safe to run twice, and on a
    /// database holding real orders (none is changed).
    Seed {
        /// Also load fictitious customers and past orders (demo and test databases only), with shop ids
        /// 9000000001+ and references DEMO-0001… that a real PrestaShop cannot produce.
        #[arg(long)]
        demo_orders: bool,
    },
    /// Print a short summary of what the database holds.
    Summary,
    /// Delete delivered (done) deliveries and inbox rows left without any delivery, once older than the retention;
    /// pending, inflight and dead deliveries are never deleted. `serve` does the same every hour.
    Purge {
        /// Age in days of the rows to delete (default: OCPIZZA_RETENTION_DAYS, 90).
        #[arg(long)]
        older_than_days: Option<u32>,
    },
    /// Standard Webhooks signatures, for integrators debugging their sender (body on stdin).
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Check every external service: database and migrations, Dolibarr /status, APNs key and JWT.
    Doctor,
    /// Staff sign-in on the restaurants' iPhones.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Make the delivery rows missing for events stored before an enabled destination took their type (e.g.
    /// `order.refunded` received before the Dolibarr destination wrote credit notes); safe to run twice.
    Backfill {
        /// The event type, e.g. order.refunded.
        #[arg(long)]
        event_type: String,
        /// Only list the events that would get a delivery row.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Give a staff member a PIN, read from stdin (4 to 12 digits); revokes the member's open sessions.
    SetPin {
        /// Restaurant code, e.g. BELLECOUR.
        restaurant: String,
        /// The staff member's login in that restaurant, e.g. luca.b.
        login: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Print the webhook-signature value of the body read on stdin.
    Sign {
        #[arg(long)]
        secret: String,
        #[arg(long)]
        id: String,
        #[arg(long, allow_hyphen_values = true)]
        timestamp: i64,
    },
    /// Verify a signature of the body read on stdin; exit 0 when valid, else 1 with the reason.
    Verify {
        /// May be given twice (secret rotation).
        #[arg(long, required = true)]
        secret: Vec<String>,
        #[arg(long, default_value = "")]
        id: String,
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        timestamp: String,
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        signature: String,
        /// Unix time to check the timestamp against (default: now).
        #[arg(long)]
        now: Option<i64>,
        /// Allowed clock skew in seconds, both ways.
        #[arg(long, default_value_t = webhooks::DEFAULT_TOLERANCE_SECS)]
        tolerance: i64,
    },
}

pub fn run(cli: Cli) -> ExitCode {
    // Pure computations do not need a runtime nor a configuration.
    if let Command::Webhook(cmd) = &cli.command {
        return webhook(cmd);
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(dispatch(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn read_stdin() -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    std::io::stdin().read_to_end(&mut body).map_err(|e| format!("cannot read the body on stdin: {e}"))?;
    Ok(body)
}

fn webhook(cmd: &WebhookCommand) -> ExitCode {
    let result = match cmd {
        WebhookCommand::Sign { secret, id, timestamp } => (|| -> Result<(), String> {
            let secret = Secret::parse(secret).map_err(|e| format!("--secret: {e}"))?;
            codes::check(Code::WebhookId, "--id", id).map_err(|e| e.to_string())?;
            let body = read_stdin()?;
            let sig = webhooks::try_sign(&secret, id, *timestamp, &body).map_err(|e| e.to_string())?;
            println!("{sig}");
            Ok(())
        })(),
        WebhookCommand::Verify { secret, id, timestamp, signature, now, tolerance } => (|| -> Result<(), String> {
            let secrets = secret
                .iter()
                .map(|s| Secret::parse(s).map_err(|e| format!("--secret: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            // An absent id is judged by verify (a receiver's "missing header"); a present one must be a valid id,
            // and the reason is said.
            if !id.is_empty() {
                codes::check(Code::WebhookId, "--id", id).map_err(|e| e.to_string())?;
            }
            let body = read_stdin()?;
            let now = now.unwrap_or_else(|| chrono::Utc::now().timestamp());
            webhooks::verify(&secrets, id, timestamp, signature, &body, now, *tolerance).map_err(|e| e.to_string())?;
            println!("valid");
            Ok(())
        })(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            // `verify` judges a signature; `sign` can only fail on its input.
            let what = if matches!(cmd, WebhookCommand::Verify { .. }) { "invalid" } else { "error" };
            eprintln!("{what}: {reason}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(url) = &cli.database_url {
        config.database_url = Some(SecretString::new(url.clone()));
    }
    Ok(config)
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    // The flag or variable alone when given: migrating must not depend on the rest of the configuration
    // being valid; else the configuration file's `database_url`.
    let url = || -> anyhow::Result<String> {
        if let Some(url) = &cli.database_url {
            return Ok(url.clone());
        }
        load_config(&cli)?.database_url.map(|u| u.expose().to_owned()).ok_or_else(|| {
            anyhow::anyhow!("OCPIZZA_DATABASE_URL is not set (or pass --database-url, or database_url in --config)")
        })
    };
    match cli.command {
        Command::Serve => {
            let config = load_config(&cli)?;
            serve(config).await?;
        }
        Command::Doctor => {
            let config = load_config(&cli)?;
            return Ok(doctor(&config).await);
        }
        Command::Migrate => {
            let pool = ocpizza_db::connect(&url()?).await?;
            let applied = ocpizza_db::migrate::run(&pool).await?;
            if applied.is_empty() {
                println!("OCPizza_DB is up to date ({} migrations).", ocpizza_db::migrate::MIGRATOR.iter().count());
            } else {
                println!("Applied {} migration(s): {:?}", applied.len(), applied);
            }
        }
        Command::Seed { demo_orders } => {
            let pool = ocpizza_db::connect(&url()?).await?;
            ensure_current(&pool).await?;
            if demo_orders {
                ocpizza_db::seed::load_demo_orders(&pool).await?;
                println!("Reference data and demo orders loaded.");
            } else {
                ocpizza_db::seed::load(&pool).await?;
                println!("Reference data loaded (no customer, no order; --demo-orders adds fictitious ones).");
            }
            print!("{}", ocpizza_db::seed::summary(&pool).await?);
        }
        Command::Summary => {
            let pool = ocpizza_db::connect(&url()?).await?;
            print!("{}", ocpizza_db::seed::summary(&pool).await?);
        }
        Command::Purge { older_than_days } => {
            let config = load_config(&cli)?;
            purge(&config, older_than_days).await?;
        }
        Command::Staff(StaffCommand::SetPin { ref restaurant, ref login }) => {
            let pool = ocpizza_db::connect(&url()?).await?;
            ensure_current(&pool).await?;
            let pin = read_pin()?;
            let revoked = crate::staff::set_pin(&pool, restaurant, login, pin).await?;
            println!("PIN set for {login} of {restaurant} ({revoked} open session(s) revoked).");
        }
        Command::Backfill { ref event_type, dry_run } => {
            let config = load_config(&cli)?;
            let pool = current_pool(&config).await?;
            let (destinations, _) = build_destinations(&config, &pool)?;
            let report = crate::backfill::run(&pool, &destinations, event_type, dry_run).await?;
            for r in &report.rows {
                println!(
                    "{} inbox {} ({}) shop order {} received {} -> {}",
                    if dry_run { "would queue" } else { "queued" },
                    r.inbox_id,
                    r.webhook_id,
                    r.shop_order_id.map(|o| o.to_string()).unwrap_or_else(|| "-".into()),
                    r.received_at,
                    r.destination
                );
            }
            for id in &report.unreadable {
                println!("skipped inbox {id}: its body is no longer a valid {event_type} event");
            }
            println!(
                "{} {} delivery row(s) for {event_type}.",
                if dry_run { "Would make" } else { "Made" },
                report.rows.len()
            );
        }
        Command::Webhook(_) => unreachable!("handled without a runtime"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The PIN on stdin: its first line, without the line ending. Never echoed, never logged.
fn read_pin() -> anyhow::Result<SecretString> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(|e| anyhow::anyhow!("cannot read the PIN on stdin: {e}"))?;
    Ok(SecretString::new(line.trim_end_matches(['\r', '\n'])))
}

/// A pool on the configured database, refused unless its migrations are current (the commands that write).
async fn current_pool(config: &Config) -> anyhow::Result<sqlx::MySqlPool> {
    let url = config
        .database_url
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("OCPIZZA_DATABASE_URL is not set (or pass --database-url)"))?;
    let pool = ocpizza_db::connect(url.expose()).await?;
    ensure_current(&pool).await?;
    Ok(pool)
}

/// `purge`: the same purge as `serve`'s hourly one, once, with the age given or configured.
async fn purge(config: &Config, older_than_days: Option<u32>) -> anyhow::Result<()> {
    let days = match older_than_days {
        Some(0) => anyhow::bail!(
            "--older-than-days 0 would purge every delivered event at once: give a number of days (1 or more)"
        ),
        Some(d) => {
            crate::config::check_retention_days(d, config.webhook_tolerance_secs)
                .map_err(|r| anyhow::anyhow!("--older-than-days: {r}"))?;
            d
        }
        None if config.retention_days == 0 => anyhow::bail!(
            "OCPIZZA_RETENTION_DAYS is 0 (keep everything): nothing purged; pass --older-than-days N to purge anyway"
        ),
        None => config.retention_days,
    };
    let pool = current_pool(config).await?;
    let r = crate::retention::purge(&pool, crate::retention::days(days), crate::retention::DEFAULT_BATCH).await?;
    println!(
        "Older than {days} days: deleted {} done delivery row(s), {} APNs send record(s) and {} inbox row(s).",
        r.deliveries, r.push_sends, r.inbox
    );
    Ok(())
}

/// The enabled destinations and the names of those left disabled.
pub type Destinations = (Vec<Arc<dyn Destination>>, Vec<&'static str>);

/// Builds the enabled destinations from the configuration; returns them and the names left disabled.
pub fn build_destinations(config: &Config, pool: &sqlx::MySqlPool) -> anyhow::Result<Destinations> {
    let mut enabled: Vec<Arc<dyn Destination>> = Vec::new();
    let mut disabled = Vec::new();
    match &config.dolibarr {
        Some(c) => enabled.push(Arc::new(
            crate::dolibarr::DolibarrDestination::new(c, pool.clone()).map_err(|e| anyhow::anyhow!("Dolibarr: {e}"))?,
        )),
        None => disabled.push("dolibarr"),
    }
    match &config.apns {
        Some(c) => enabled.push(Arc::new(
            crate::apns::ApnsDestination::new(&crate::apns::ApnsSettings::from_config(c), pool.clone())
                .map_err(|e| anyhow::anyhow!("APNs: {e}"))?,
        )),
        None => disabled.push("apns"),
    }
    match &config.prestashop {
        Some(c) => enabled.push(Arc::new(
            crate::prestashop::PrestashopDestination::new(c)
                .map_err(|e| anyhow::anyhow!("PrestaShop: {e}"))?,
        )),
        None => disabled.push("prestashop"),
    }
    if let Some(c) = &config.sink {
        enabled.push(Arc::new(crate::sink::SinkDestination::new(c)?));
    }
    Ok((enabled, disabled))
}

async fn serve(config: Config) -> anyhow::Result<()> {
    crate::telemetry::init(config.log_format);
    let url = config
        .database_url
        .clone()
        .ok_or_else(|| anyhow::anyhow!("OCPIZZA_DATABASE_URL is required (or pass --database-url)"))?;
    let pool = ocpizza_db::connect::connect_with(
        url.expose(),
        ocpizza_db::connect::PoolSettings {
            max_connections: config.database_max_connections,
            acquire_timeout: std::time::Duration::from_secs(5),
            // The pool's reaper closes idle connections after 10 min, far inside MariaDB's wait_timeout (8 h);
            // a connection broken by a server restart fails one statement: the webhook answers 503 and the shop
            // sends again, a claim or finish is retried by the relay. Saves a round trip per statement batch.
            test_before_acquire: false,
        },
    )
    .await?;
    ensure_current(&pool).await?;
    let (destinations, disabled) = build_destinations(&config, &pool)?;
    for d in &destinations {
        tracing::info!(destination = d.name(), "destination enabled");
    }
    for d in &disabled {
        tracing::warn!(destination = d, "destination disabled (not configured)");
    }
    let app = crate::app::spawn_app(config, pool, destinations, &disabled).await?;
    app.run_until_signal().await;
    Ok(())
}

/// One line per check, OK or FAILED with the reason; exit code 0 only when every configured check passed.
async fn doctor(config: &Config) -> ExitCode {
    let mut failed = false;
    let mut line = |name: &str, r: Result<String, String>| match r {
        Ok(detail) => println!("OK      {name}: {detail}"),
        Err(reason) => {
            failed = true;
            println!("FAILED  {name}: {reason}");
        }
    };
    match &config.database_url {
        None => line("database", Err("OCPIZZA_DATABASE_URL is not set".into())),
        Some(url) => match ocpizza_db::connect(url.expose()).await {
            Err(e) => {
                line("database", Err(e.to_string()));
                line("migrations", Err("not checked (no database)".into()));
            }
            Ok(pool) => {
                line("database", Ok("reachable".into()));
                let r = match ocpizza_db::migrate::state(&pool).await {
                    Ok(ocpizza_db::migrate::SchemaState::Current) => Ok("current".into()),
                    Ok(ocpizza_db::migrate::SchemaState::Behind { pending }) => {
                        Err(format!("pending {pending:?}: run `ocpizza-bridge migrate`"))
                    }
                    Ok(ocpizza_db::migrate::SchemaState::Ahead { unknown }) => {
                        Err(format!("database has unknown migrations {unknown:?}: upgrade ocpizza-bridge"))
                    }
                    Err(e) => Err(e.to_string()),
                };
                line("migrations", r);
            }
        },
    }
    match &config.dolibarr {
        None => println!("SKIPPED dolibarr: not configured (OCPIZZA_DOLIBARR_URL unset), destination disabled"),
        Some(c) => line("dolibarr", crate::dolibarr::doctor(c).await.map_err(|e| e.to_string())),
    }
    match &config.apns {
        None => println!("SKIPPED apns: not configured (OCPIZZA_APNS_KEY_FILE unset), destination disabled"),
        Some(c) => line(
            "apns",
            crate::apns::doctor(&crate::apns::ApnsSettings::from_config(c)).await.map_err(|e| e.to_string()),
        ),
    }
    match &config.prestashop {
        None => println!("SKIPPED prestashop: not configured (OCPIZZA_PRESTASHOP_URL unset), destination disabled"),
        Some(c) => line("prestashop", crate::prestashop::doctor(c).await.map_err(|e| e.to_string())),
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

async fn ensure_current(pool: &sqlx::MySqlPool) -> anyhow::Result<()> {
    use ocpizza_db::migrate::SchemaState;
    match ocpizza_db::migrate::state(pool).await? {
        SchemaState::Current => Ok(()),
        SchemaState::Behind { pending } => {
            anyhow::bail!("the database is missing migrations {pending:?}: run `ocpizza-bridge migrate` first")
        }
        SchemaState::Ahead { unknown } => Err(ocpizza_db::DbError::AheadOfBinary { version: unknown[0] }.into()),
    }
}
