//! Staff sessions: a 256-bit random bearer token, shown once to the app and stored as its SHA-256 only.
//! A session is valid until `expires_at` (one shift, OCPIZZA_STAFF_SESSION_HOURS), until revoked, and only while
//! the staff member and the restaurant are active — checked on every request, so deactivating someone ends
//! their sessions at once.

use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::MySqlPool;

/// Prefix of every session token: tells a session token from a configured device token at a glance (and lets
/// secret scanners find a leaked one).
pub const PREFIX: &str = "ocps_";

/// A fresh token: `ocps_` + 64 lower-case hex digits (32 bytes from the OS generator).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let mut s = String::with_capacity(PREFIX.len() + 64);
    s.push_str(PREFIX);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

pub fn looks_like_session_token(token: &str) -> bool {
    token.starts_with(PREFIX)
}

/// What is stored: the SHA-256 of the whole token string. A fast hash is right here (the token has 256 bits of
/// entropy; nothing to slow down), and the lookup by hash is an index seek, so no comparison leaks timing.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The signed-in staff member behind a valid session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub session_id: i64,
    pub staff_id: i64,
    pub name: String,
    pub role: String,
    pub restaurant_id: i64,
    pub restaurant: String,
}

impl StaffMember {
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.staff_id, "name": self.name, "role": self.role, "restaurant": self.restaurant
        })
    }
}

/// Opens a session for `staff_id`; returns the clear token (never stored) and its expiry.
pub async fn create(
    pool: &MySqlPool,
    staff_id: i64,
    valid_for: std::time::Duration,
) -> Result<(String, DateTime<Utc>), sqlx::Error> {
    let token = new_token();
    let now = micros(Utc::now());
    let expires_at = now + chrono::Duration::from_std(valid_for).unwrap_or(chrono::Duration::hours(12));
    sqlx::query("INSERT INTO staff_sessions (token_hash, staff_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
        .bind(&token_hash(&token)[..])
        .bind(staff_id)
        .bind(now.naive_utc())
        .bind(expires_at.naive_utc())
        .execute(pool)
        .await?;
    Ok((token, expires_at))
}

/// The staff member of a valid session, or `None` (unknown, expired, revoked, staff or restaurant inactive).
pub async fn authenticate(pool: &MySqlPool, token: &str) -> Result<Option<StaffMember>, sqlx::Error> {
    if !looks_like_session_token(token) {
        return Ok(None);
    }
    let row: Option<(i64, i64, String, String, String, i64, String)> = sqlx::query_as(
        "SELECT ss.id, s.id, s.first_name, s.last_name, s.role, r.id, CONVERT(r.code USING utf8mb4) \
         FROM staff_sessions ss JOIN staff s ON s.id = ss.staff_id JOIN restaurants r ON r.id = s.restaurant_id \
         WHERE ss.token_hash = ? AND ss.revoked_at IS NULL AND ss.expires_at > ? AND s.active AND r.active",
    )
    .bind(&token_hash(token)[..])
    .bind(Utc::now().naive_utc())
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(session_id, staff_id, first, last, role, restaurant_id, restaurant)| StaffMember {
        session_id,
        staff_id,
        name: format!("{first} {last}"),
        role,
        restaurant_id,
        restaurant,
    }))
}

pub async fn revoke(pool: &MySqlPool, session_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE staff_sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
        .bind(Utc::now().naive_utc())
        .bind(session_id)
        .execute(pool)
        .await?;
    Ok(())
}

fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_hex_with_a_prefix_and_differ() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), PREFIX.len() + 64);
        assert!(a[PREFIX.len()..].bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(token_hash(&a), token_hash(&b));
    }
}
