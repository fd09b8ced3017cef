//! Staff sign-in for the restaurants' shared iPhones (issue 12): PINs ([`password`]), sessions ([`session`]) and
//! the lockout of repeated failures ([`lockout`]). The HTTP side is `crate::http::staff`.

pub mod actions;
pub mod geocode;
pub mod lockout;
pub mod password;
pub mod session;
pub mod view;

use crate::config::SecretString;

pub const ROLES: [&str; 4] = ["manager", "pizzaiolo", "driver", "cashier"];

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("no active staff member of restaurant {restaurant} has login {login:?}")]
    UnknownStaff { restaurant: String, login: String },
    #[error("PIN hashing failed: {0}")]
    Hash(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A login: 1–40 characters, lower-case letters, digits, `.`, `_`, `-`, starting with a letter or digit (the
/// database checks the same pattern).
pub fn check_login(login: &str) -> Result<(), StaffError> {
    let ok = !login.is_empty()
        && login.len() <= 40
        && login.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && login.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(StaffError::Invalid {
            field: "login",
            reason: "expected 1 to 40 characters: a-z, 0-9, '.', '_', '-', starting with a letter or digit".into(),
        })
    }
}

/// A restaurant code as the database constrains it (`^[A-Z0-9][A-Z0-9-]{1,15}$`).
pub fn check_restaurant(code: &str) -> Result<(), StaffError> {
    let ok = (2..=16).contains(&code.len())
        && code.bytes().next().is_some_and(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(StaffError::Invalid { field: "restaurant", reason: "expected a restaurant code such as BELLECOUR".into() })
    }
}

/// `ocpizza-bridge staff set-pin RESTAURANT LOGIN`: stores the Argon2id hash of `pin` and revokes the member's
/// open sessions (a PIN is reset because it leaked or was forgotten; either way the old sign-ins should end).
/// Returns the number of sessions revoked.
pub async fn set_pin(
    pool: &sqlx::MySqlPool,
    restaurant: &str,
    login: &str,
    pin: SecretString,
) -> Result<u64, StaffError> {
    check_restaurant(restaurant)?;
    check_login(login)?;
    password::check_pin(pin.expose())?;
    let staff: Option<(i64,)> = sqlx::query_as(
        "SELECT s.id FROM staff s JOIN restaurants r ON r.id = s.restaurant_id WHERE r.code = ? AND s.login = ?",
    )
    .bind(restaurant)
    .bind(login)
    .fetch_optional(pool)
    .await?;
    let Some((staff_id,)) = staff else {
        return Err(StaffError::UnknownStaff { restaurant: restaurant.to_owned(), login: login.to_owned() });
    };
    let hash = password::hash_pin(pin).await?;
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE staff SET pin_hash = ? WHERE id = ?").bind(&hash).bind(staff_id).execute(&mut *tx).await?;
    let revoked = sqlx::query(
        "UPDATE staff_sessions SET revoked_at = UTC_TIMESTAMP(6) WHERE staff_id = ? AND revoked_at IS NULL",
    )
    .bind(staff_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(revoked)
}
