//! The schema migrations of OCPizza_DB, embedded at build time from the repository's `migrations/` folder.

use sqlx::MySqlPool;
use sqlx::migrate::{MigrateError, Migrator};

use crate::DbError;

pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// Applies every pending migration; refuses a database that has migrations this binary does not know.
pub async fn run(pool: &MySqlPool) -> Result<Vec<i64>, DbError> {
    let before = applied_versions(pool).await.unwrap_or_default();
    MIGRATOR.run(pool).await.map_err(|e| match e {
        MigrateError::VersionMissing(version) => DbError::AheadOfBinary { version },
        MigrateError::VersionMismatch(version) => DbError::MigrationChanged { version },
        MigrateError::Execute(e) => DbError::Migration(e.to_string()),
        other => DbError::Migration(other.to_string()),
    })?;
    Ok(MIGRATOR
        .iter()
        .map(|m| m.version)
        .filter(|v| !before.contains(v))
        .collect())
}

/// Versions recorded as successfully applied (empty on a fresh database).
pub async fn applied_versions(pool: &MySqlPool) -> Result<Vec<i64>, DbError> {
    let exists: Option<(i64,)> = sqlx::query_as(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '_sqlx_migrations'",
    )
    .fetch_optional(pool)
    .await?;
    if exists.is_none() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success = TRUE ORDER BY version").fetch_all(pool).await?;
    Ok(rows.into_iter().map(|(v,)| v).collect())
}

/// Where the database stands against this binary's migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaState {
    Current,
    /// Migrations of this binary not applied yet.
    Behind { pending: Vec<i64> },
    /// Migrations applied that this binary does not know: a newer binary migrated it.
    Ahead { unknown: Vec<i64> },
}

pub async fn state(pool: &MySqlPool) -> Result<SchemaState, DbError> {
    let applied = applied_versions(pool).await?;
    let known: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
    let unknown: Vec<i64> = applied.iter().copied().filter(|v| !known.contains(v)).collect();
    if !unknown.is_empty() {
        return Ok(SchemaState::Ahead { unknown });
    }
    let pending: Vec<i64> = known.into_iter().filter(|v| !applied.contains(v)).collect();
    if pending.is_empty() { Ok(SchemaState::Current) } else { Ok(SchemaState::Behind { pending }) }
}
