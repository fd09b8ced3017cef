//! One way to open OCPizza_DB: strict SQL mode and UTC on every connection, whoever connects.

use std::str::FromStr;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::{ConnectOptions, Executor};

use crate::DbError;

/// Session settings applied to every connection: the constraints only bite in strict mode, and all DATETIME
/// columns hold UTC.
pub const SESSION_SETUP: &str = "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,\
ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', time_zone = '+00:00'";

/// Parsed connection options; `mariadb://` is accepted as a synonym of `mysql://`.
pub fn options(url: &str) -> Result<MySqlConnectOptions, DbError> {
    let url = match url.strip_prefix("mariadb://") {
        Some(rest) => format!("mysql://{rest}"),
        None => url.to_owned(),
    };
    if !url.starts_with("mysql://") {
        return Err(DbError::BadUrl("expected mysql://user:password@host:port/database".into()));
    }
    let opts = MySqlConnectOptions::from_str(&url)
        .map_err(|e| DbError::BadUrl(e.to_string()))?
        .charset("utf8mb4")
        .log_statements(tracing::log::LevelFilter::Trace)
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
    Ok(opts)
}

pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// Ping a pooled connection before handing it out. Costs one round trip per acquire; worth it where the
    /// pool sits idle for hours with nobody closing stale connections (a PHP worker between requests). A
    /// long-running service whose pool reaps idle connections well within the server's `wait_timeout` can turn
    /// it off: a connection broken by a server restart then fails one statement, which the caller retries.
    pub test_before_acquire: bool,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings { max_connections: 10, acquire_timeout: Duration::from_secs(5), test_before_acquire: true }
    }
}

/// Connects eagerly (so that a wrong URL is reported now, precisely) with the default pool settings.
pub async fn connect(url: &str) -> Result<MySqlPool, DbError> {
    connect_with(url, PoolSettings::default()).await
}

pub async fn connect_with(url: &str, settings: PoolSettings) -> Result<MySqlPool, DbError> {
    let opts = options(url)?;
    let addr = format!("{}:{}", opts.get_host(), opts.get_port());
    let user = opts.get_username().to_owned();
    let name = opts.get_database().unwrap_or_default().to_owned();
    MySqlPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .test_before_acquire(settings.test_before_acquire)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute(SESSION_SETUP).await?;
                Ok(())
            })
        })
        .connect_with(opts)
        .await
        .map_err(|e| DbError::from_connect(e, &addr, &user, &name))
}
