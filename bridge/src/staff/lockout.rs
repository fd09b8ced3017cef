//! Counting failed sign-ins per subject (a login of a restaurant, or a client address) in the database, so that
//! every bridge process sees the same counts. A subject that reaches its limit inside the window is locked.

use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use sqlx::MySqlPool;

/// Failures of one login (known or not) before it is locked, and for how long (issue 12: 5, 15 minutes).
pub const LOGIN_MAX_FAILURES: i32 = 5;
pub const LOGIN_LOCK: Duration = Duration::from_secs(15 * 60);
/// Failures from one client address. A restaurant's iPhones share its one public address, so this is higher
/// than the per-login limit: it stops someone trying many logins, not a busy restaurant.
pub const ADDRESS_MAX_FAILURES: i32 = 30;
pub const ADDRESS_LOCK: Duration = Duration::from_secs(15 * 60);
/// Failures older than this are forgotten (the count restarts).
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

pub fn login_subject(restaurant: &str, login: &str) -> String {
    format!("login:{restaurant}:{login}")
}

pub fn address_subject(ip: std::net::IpAddr) -> String {
    format!("addr:{ip}")
}

fn chrono_dur(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// How long the subject stays locked, or `None`.
pub async fn locked_for(pool: &MySqlPool, subject: &str) -> Result<Option<Duration>, sqlx::Error> {
    let row: Option<(Option<NaiveDateTime>,)> =
        sqlx::query_as("SELECT locked_until FROM staff_auth_failures WHERE subject = ?")
            .bind(subject)
            .fetch_optional(pool)
            .await?;
    let now = Utc::now().naive_utc();
    Ok(row
        .and_then(|(until,)| until)
        .filter(|until| *until > now)
        .map(|until| (until - now).to_std().unwrap_or(Duration::ZERO)))
}

/// Counts one failure; locks the subject when the count reaches `max` inside the window.
pub async fn record_failure(pool: &MySqlPool, subject: &str, max: i32, lock: Duration) -> Result<(), sqlx::Error> {
    let now = Utc::now().naive_utc();
    let mut tx = pool.begin().await?;
    // Make the row exist, then lock it: concurrent failures of one subject queue up on the row.
    sqlx::query(
        "INSERT INTO staff_auth_failures (subject, failures, window_started_at) VALUES (?, 0, ?) \
         ON DUPLICATE KEY UPDATE subject = subject",
    )
    .bind(subject)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let (failures, started, locked_until): (i32, NaiveDateTime, Option<NaiveDateTime>) = sqlx::query_as(
        "SELECT failures, window_started_at, locked_until FROM staff_auth_failures WHERE subject = ? FOR UPDATE",
    )
    .bind(subject)
    .fetch_one(&mut *tx)
    .await?;
    // A window that has passed, or a lock that has ended, starts the count again.
    let expired = started + chrono_dur(WINDOW) <= now || locked_until.is_some_and(|u| u <= now);
    let (failures, started) = if expired { (1, now) } else { (failures + 1, started) };
    let locked_until = if failures >= max { Some(now + chrono_dur(lock)) } else { None };
    sqlx::query(
        "UPDATE staff_auth_failures SET failures = ?, window_started_at = ?, locked_until = ? WHERE subject = ?",
    )
    .bind(failures)
    .bind(started)
    .bind(locked_until)
    .bind(subject)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

pub async fn clear(pool: &MySqlPool, subject: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM staff_auth_failures WHERE subject = ?").bind(subject).execute(pool).await?;
    Ok(())
}
