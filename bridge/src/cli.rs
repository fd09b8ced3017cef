//! Command line: `migrate`, `seed` (and, with the bridge issue, `serve`, `webhook`, `doctor`).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "ocpizza-bridge", version, about = "OC Pizza order bridge: webhooks in, Dolibarr and APNs out")]
pub struct Cli {
    /// OCPizza_DB connection URL, e.g. mysql://ocpizza_bridge:secret@127.0.0.1:3306/ocpizza
    #[arg(long, env = "OCPIZZA_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply the embedded OCPizza_DB migrations.
    Migrate,
    /// Load the fictitious chain (restaurants, staff, menu, stock, customers, past orders); safe to run twice.
    Seed,
    /// Print a short summary of what the database holds.
    Summary,
}

pub fn run(cli: Cli) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let url = || {
        cli.database_url
            .clone()
            .ok_or_else(|| anyhow::anyhow!("OCPIZZA_DATABASE_URL is not set (or pass --database-url)"))
    };
    match cli.command {
        Command::Migrate => {
            let pool = ocpizza_db::connect(&url()?).await?;
            let applied = ocpizza_db::migrate::run(&pool).await?;
            if applied.is_empty() {
                println!("OCPizza_DB is up to date ({} migrations).", ocpizza_db::migrate::MIGRATOR.iter().count());
            } else {
                println!("Applied {} migration(s): {:?}", applied.len(), applied);
            }
        }
        Command::Seed => {
            let pool = ocpizza_db::connect(&url()?).await?;
            ensure_current(&pool).await?;
            ocpizza_db::seed::load(&pool).await?;
            println!("Fictitious data loaded.");
            print!("{}", ocpizza_db::seed::summary(&pool).await?);
        }
        Command::Summary => {
            let pool = ocpizza_db::connect(&url()?).await?;
            print!("{}", ocpizza_db::seed::summary(&pool).await?);
        }
    }
    Ok(())
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
