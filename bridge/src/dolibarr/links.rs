//! `dolibarr_links` / `dolibarr_customers`: every Dolibarr id the bridge obtained, stored the moment it is known,
//! and a per-order lock so that two bridge processes never work on the same order at once.

use sqlx::pool::PoolConnection;
use sqlx::{MySql, MySqlPool, Row};

use super::error::DolibarrError;

/// What the bridge knows of one shop order in Dolibarr.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Link {
    pub shop_order_id: i64,
    pub reference: String,
    pub shop_total_cents: Option<i64>,
    pub thirdparty_id: Option<i64>,
    pub order_id: Option<i64>,
    pub order_ref: Option<String>,
    pub order_validated: bool,
    pub dolibarr_total_cents: Option<i64>,
    pub total_mismatch: bool,
    pub invoice_id: Option<i64>,
    pub invoice_ref: Option<String>,
    pub invoice_validated: bool,
    pub payment_id: Option<i64>,
    pub paid: bool,
    pub closed: bool,
    pub cancelled: bool,
    pub needs_review: Option<String>,
}

const SELECT: &str = "SELECT shop_order_id, CONVERT(reference USING utf8mb4) AS reference, shop_total_cents, thirdparty_id, order_id, order_ref,
        order_validated_at IS NOT NULL AS order_validated, dolibarr_total_cents, total_mismatch, invoice_id,
        invoice_ref, invoice_validated_at IS NOT NULL AS invoice_validated, payment_id, paid_at IS NOT NULL AS paid,
        closed_at IS NOT NULL AS closed, cancelled_at IS NOT NULL AS cancelled, needs_review
    FROM dolibarr_links WHERE shop_order_id = ?";

fn flag(row: &sqlx::mysql::MySqlRow, col: &str) -> Result<bool, sqlx::Error> {
    Ok(row.try_get::<i64, _>(col)? != 0)
}

pub async fn load(pool: &MySqlPool, shop_order_id: i64) -> Result<Option<Link>, DolibarrError> {
    let Some(row) = sqlx::query(SELECT).bind(shop_order_id).fetch_optional(pool).await? else {
        return Ok(None);
    };
    Ok(Some(Link {
        shop_order_id: row.try_get("shop_order_id")?,
        reference: row.try_get("reference")?,
        shop_total_cents: row.try_get("shop_total_cents")?,
        thirdparty_id: row.try_get("thirdparty_id")?,
        order_id: row.try_get("order_id")?,
        order_ref: row.try_get("order_ref")?,
        order_validated: flag(&row, "order_validated")?,
        dolibarr_total_cents: row.try_get("dolibarr_total_cents")?,
        total_mismatch: row.try_get::<i8, _>("total_mismatch")? != 0,
        invoice_id: row.try_get("invoice_id")?,
        invoice_ref: row.try_get("invoice_ref")?,
        invoice_validated: flag(&row, "invoice_validated")?,
        payment_id: row.try_get("payment_id")?,
        paid: flag(&row, "paid")?,
        closed: flag(&row, "closed")?,
        cancelled: flag(&row, "cancelled")?,
        needs_review: row.try_get("needs_review")?,
    }))
}

/// The row of this order, created if missing (the shop total is filled in when known).
pub async fn ensure(
    pool: &MySqlPool,
    shop_order_id: i64,
    reference: &str,
    shop_total_cents: Option<i64>,
) -> Result<Link, DolibarrError> {
    sqlx::query(
        "INSERT INTO dolibarr_links (shop_order_id, reference, shop_total_cents) VALUES (?, ?, ?)
         ON DUPLICATE KEY UPDATE shop_total_cents = COALESCE(VALUES(shop_total_cents), shop_total_cents)",
    )
    .bind(shop_order_id)
    .bind(reference)
    .bind(shop_total_cents)
    .execute(pool)
    .await?;
    load(pool, shop_order_id)
        .await?
        .ok_or_else(|| DolibarrError::Inconsistent(format!("dolibarr_links row {shop_order_id} vanished")))
}

/// One column update; `col` is always one of our own constants, never input.
async fn set(
    pool: &MySqlPool,
    shop_order_id: i64,
    assignments: &str,
    binds: &[Option<i64>],
) -> Result<(), DolibarrError> {
    let sql = format!("UPDATE dolibarr_links SET {assignments} WHERE shop_order_id = ?");
    let mut q = sqlx::query(&sql);
    for b in binds {
        q = q.bind(*b);
    }
    q.bind(shop_order_id).execute(pool).await?;
    Ok(())
}

pub async fn set_thirdparty(pool: &MySqlPool, shop_order_id: i64, id: i64) -> Result<(), DolibarrError> {
    set(pool, shop_order_id, "thirdparty_id = ?", &[Some(id)]).await
}

pub async fn set_order(pool: &MySqlPool, shop_order_id: i64, id: i64) -> Result<(), DolibarrError> {
    set(pool, shop_order_id, "order_id = ?", &[Some(id)]).await
}

pub async fn set_order_validated(
    pool: &MySqlPool,
    shop_order_id: i64,
    order_ref: &str,
    dolibarr_total_cents: Option<i64>,
    mismatch: bool,
) -> Result<(), DolibarrError> {
    sqlx::query(
        "UPDATE dolibarr_links SET order_ref = ?, dolibarr_total_cents = ?, total_mismatch = ?,
             order_validated_at = COALESCE(order_validated_at, CURRENT_TIMESTAMP(6))
         WHERE shop_order_id = ?",
    )
    .bind(order_ref)
    .bind(dolibarr_total_cents)
    .bind(mismatch)
    .bind(shop_order_id)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn set_invoice(pool: &MySqlPool, shop_order_id: i64, id: i64) -> Result<(), DolibarrError> {
    set(pool, shop_order_id, "invoice_id = ?", &[Some(id)]).await
}

pub async fn set_invoice_validated(
    pool: &MySqlPool,
    shop_order_id: i64,
    invoice_ref: &str,
) -> Result<(), DolibarrError> {
    sqlx::query(
        "UPDATE dolibarr_links SET invoice_ref = ?,
             invoice_validated_at = COALESCE(invoice_validated_at, CURRENT_TIMESTAMP(6))
         WHERE shop_order_id = ?",
    )
    .bind(invoice_ref)
    .bind(shop_order_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// The payment is recorded (its id when we made it, `None` when Dolibarr already had one).
pub async fn set_paid(pool: &MySqlPool, shop_order_id: i64, payment_id: Option<i64>) -> Result<(), DolibarrError> {
    set(
        pool,
        shop_order_id,
        "payment_id = COALESCE(?, payment_id), paid_at = COALESCE(paid_at, CURRENT_TIMESTAMP(6))",
        &[payment_id],
    )
    .await
}

pub async fn set_closed(pool: &MySqlPool, shop_order_id: i64) -> Result<(), DolibarrError> {
    set(pool, shop_order_id, "closed_at = COALESCE(closed_at, CURRENT_TIMESTAMP(6))", &[]).await
}

pub async fn set_cancelled(pool: &MySqlPool, shop_order_id: i64, review: Option<&str>) -> Result<(), DolibarrError> {
    sqlx::query(
        "UPDATE dolibarr_links SET cancelled_at = COALESCE(cancelled_at, CURRENT_TIMESTAMP(6)),
             needs_review = COALESCE(?, needs_review)
         WHERE shop_order_id = ?",
    )
    .bind(review)
    .bind(shop_order_id)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn set_needs_review(pool: &MySqlPool, shop_order_id: i64, review: &str) -> Result<(), DolibarrError> {
    sqlx::query("UPDATE dolibarr_links SET needs_review = ? WHERE shop_order_id = ?")
        .bind(review)
        .bind(shop_order_id)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn customer(pool: &MySqlPool, shop_customer_id: i64) -> Result<Option<i64>, DolibarrError> {
    Ok(sqlx::query_scalar("SELECT thirdparty_id FROM dolibarr_customers WHERE shop_customer_id = ?")
        .bind(shop_customer_id)
        .fetch_optional(pool)
        .await?)
}

/// Drops the customer's mapping if it still points at `thirdparty_id` (deleted in Dolibarr).
pub async fn forget_customer(pool: &MySqlPool, shop_customer_id: i64, thirdparty_id: i64) -> Result<(), DolibarrError> {
    sqlx::query("DELETE FROM dolibarr_customers WHERE shop_customer_id = ? AND thirdparty_id = ?")
        .bind(shop_customer_id)
        .bind(thirdparty_id)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn set_customer(pool: &MySqlPool, shop_customer_id: i64, thirdparty_id: i64) -> Result<(), DolibarrError> {
    sqlx::query(
        "INSERT INTO dolibarr_customers (shop_customer_id, thirdparty_id) VALUES (?, ?)
         ON DUPLICATE KEY UPDATE thirdparty_id = VALUES(thirdparty_id)",
    )
    .bind(shop_customer_id)
    .bind(thirdparty_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// What a [`NamedLock`] protects.
#[derive(Debug, Clone, Copy)]
pub enum LockKind {
    /// Everything done for one shop order (events of one order never run concurrently).
    Order,
    /// Find-or-create of one shop customer's thirdparty (two orders of a new customer at once).
    Customer,
    /// Find-or-create of one product by SKU (several orders naming a product Dolibarr does not have yet).
    Product,
}

/// A MariaDB named lock, held on a connection of its own for as long as the work lasts. The connection is detached
/// from the pool: if the work is cancelled or the process dies, closing it releases the lock.
pub struct NamedLock {
    conn: Option<sqlx::MySqlConnection>,
    name: String,
}

impl NamedLock {
    /// `None` when another worker holds the lock for longer than `wait_secs`.
    pub async fn acquire(
        pool: &MySqlPool,
        kind: LockKind,
        id: i64,
        wait_secs: u32,
    ) -> Result<Option<NamedLock>, DolibarrError> {
        Self::acquire_key(pool, kind, &id.to_string(), wait_secs).await
    }

    /// Same, keyed by a string (a SKU): hashed, so any key fits MariaDB's 64-character lock names.
    pub async fn acquire_key(
        pool: &MySqlPool,
        kind: LockKind,
        key: &str,
        wait_secs: u32,
    ) -> Result<Option<NamedLock>, DolibarrError> {
        let conn: PoolConnection<MySql> = pool.acquire().await?;
        let mut conn = conn.detach();
        // Named locks are server-wide: a hash of the database name keeps two databases (two test runs) apart
        // while the name stays within MariaDB's 64 characters.
        let kind = match kind {
            LockKind::Order => "o",
            LockKind::Customer => "c",
            LockKind::Product => "p",
        };
        let key: String = match kind {
            // A SKU may be long or hold any character: 32 hex digits of its SHA-256 instead.
            "p" => ring::digest::digest(&ring::digest::SHA256, key.as_bytes()).as_ref()[..16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            _ => key.to_owned(),
        };
        let name: String = sqlx::query_scalar("SELECT CONCAT('dlb/', LEFT(SHA1(DATABASE()), 16), '/', ?, '/', ?)")
            .bind(kind)
            .bind(&key)
            .fetch_one(&mut conn)
            .await?;
        let got: Option<i64> =
            sqlx::query_scalar("SELECT GET_LOCK(?, ?)").bind(&name).bind(wait_secs).fetch_one(&mut conn).await?;
        if got == Some(1) { Ok(Some(NamedLock { conn: Some(conn), name })) } else { Ok(None) }
    }

    pub async fn release(mut self) {
        if let Some(mut conn) = self.conn.take() {
            let _ = sqlx::query("SELECT RELEASE_LOCK(?)").bind(&self.name).execute(&mut conn).await;
            let _ = sqlx::Connection::close(conn).await;
        }
    }
}
