use thiserror::Error;

/// Database failures, phrased for the person who has to fix them.
#[derive(Debug, Error)]
pub enum DbError {
    #[error("database URL is invalid: {0}")]
    BadUrl(String),
    #[error("cannot reach the database server at {addr}: {reason}")]
    Unreachable { addr: String, reason: String },
    #[error("the database server refused the credentials for user {user:?} (check OCPIZZA_DATABASE_URL)")]
    BadCredentials { user: String },
    #[error("database {name:?} does not exist on the server")]
    UnknownDatabase { name: String },
    #[error(
        "the database is ahead of this binary: it has migration {version} which this build does not know; \
         upgrade ocpizza-bridge before touching it"
    )]
    AheadOfBinary { version: i64 },
    #[error("migration {version} was changed after it was applied (checksum mismatch); restore the original file")]
    MigrationChanged { version: i64 },
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
}

impl DbError {
    /// Turns a connection-time sqlx error into the precise variant (unreachable, bad credentials, unknown db).
    pub(crate) fn from_connect(err: sqlx::Error, addr: &str, user: &str, name: &str) -> Self {
        match &err {
            sqlx::Error::Io(e) => DbError::Unreachable { addr: addr.to_owned(), reason: e.to_string() },
            sqlx::Error::PoolTimedOut => {
                DbError::Unreachable { addr: addr.to_owned(), reason: "timed out while connecting".into() }
            }
            sqlx::Error::Tls(e) => DbError::Unreachable { addr: addr.to_owned(), reason: format!("TLS: {e}") },
            sqlx::Error::Database(db) => match mysql_error_number(db.as_ref()) {
                // ER_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR, ER_ACCESS_DENIED_NO_PASSWORD_ERROR
                Some(1045) | Some(1044) | Some(1698) => DbError::BadCredentials { user: user.to_owned() },
                // ER_BAD_DB_ERROR
                Some(1049) => DbError::UnknownDatabase { name: name.to_owned() },
                _ => DbError::Sql(err),
            },
            _ => DbError::Sql(err),
        }
    }
}

/// The MySQL/MariaDB error number (e.g. 1062 duplicate key) of a database error, when it is one.
pub fn mysql_error_number(err: &dyn sqlx::error::DatabaseError) -> Option<u16> {
    err.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>().map(|e| e.number())
}
