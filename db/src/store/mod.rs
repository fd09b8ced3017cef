//! The order store: what the PHP extension's `OCPizza\Store` does, as plain async Rust over a `MySqlPool`.
//!
//! Every write is one transaction that also appends its outbox event(s), so an event exists if and only if the
//! change it announces was committed. Input arrives untyped (a PHP array converted to a JSON value), is
//! validated into the types of [`input`] first, and every refusal is a [`StoreError::Validation`] naming the field.

pub mod catalog;
pub mod changes;
pub mod input;
pub mod order;
pub mod outbox;
pub mod payment;
pub mod publish;
pub mod raw;
pub mod refund;
pub mod status;

use chrono::{DateTime, SecondsFormat, Utc};
use thiserror::Error;

use crate::DbError;

pub use catalog::{Restaurant, RestaurantAddress, available_products, restaurants};
pub use input::{NewOrder, NewPayment, parse_order, parse_payment};
pub use order::{Recorded, record_order};
pub use payment::{PaymentRecorded, record_payment};
pub use publish::{PublishReport, publish_outbox};
pub use refund::{RefundRecorded, parse_refund, record_refund};
pub use status::{order_status, set_status};

#[derive(Debug, Error)]
pub enum StoreError {
    /// The input is refused; `field` is a path such as `lines[2].quantity`. Nothing was written.
    #[error("{field}: {reason}")]
    Validation { field: String, reason: String },
    /// The database failed; the transaction was rolled back.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Db(DbError::Sql(e))
    }
}

impl StoreError {
    pub fn field(&self) -> Option<&str> {
        match self {
            StoreError::Validation { field, .. } => Some(field),
            StoreError::Db(_) => None,
        }
    }
}

/// MySQL/MariaDB error number of a database error (1062 duplicate key, 1213 deadlock, 1205 lock wait timeout).
pub(crate) fn errno(e: &StoreError) -> Option<u16> {
    match e {
        StoreError::Db(DbError::Sql(sqlx::Error::Database(db))) => db
            .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
            .map(|m| m.number()),
        _ => None,
    }
}

pub(crate) const ER_DUP_ENTRY: u16 = 1062;
const ER_LOCK_DEADLOCK: u16 = 1213;
const ER_LOCK_WAIT_TIMEOUT: u16 = 1205;

/// InnoDB may pick a transaction as a deadlock victim; the whole transaction was rolled back, so running it again
/// is safe.
pub(crate) fn is_retryable(e: &StoreError) -> bool {
    matches!(errno(e), Some(ER_LOCK_DEADLOCK) | Some(ER_LOCK_WAIT_TIMEOUT))
}

pub(crate) const RETRIES: usize = 5;

/// Ends a transaction: commit on success, explicit rollback on error. Never leave the rollback to `Drop`: on the
/// extension's current-thread runtime it would only run at the next call, holding row locks until then.
/// Generic over the error so that the bridge's own transactions around store calls (the staff API) end the same way.
pub async fn finish<T, E: From<sqlx::Error>>(
    tx: sqlx::Transaction<'_, sqlx::MySql>,
    result: Result<T, E>,
) -> Result<T, E> {
    match result {
        Ok(v) => {
            tx.commit().await?;
            Ok(v)
        }
        Err(e) => {
            // The error that matters is the first one; a failed rollback also ends the transaction server-side
            // when the connection is closed.
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

/// The RFC 3339 form used in every event: UTC with microseconds, `Z` suffix.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The instant as a UTC `DATETIME(6)` (every session runs with `time_zone = '+00:00'`).
pub(crate) fn db_time(t: DateTime<Utc>) -> chrono::NaiveDateTime {
    t.naive_utc()
}

/// Now, truncated to the microsecond that `DATETIME(6)` keeps.
pub(crate) fn now() -> DateTime<Utc> {
    let t = Utc::now();
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}
