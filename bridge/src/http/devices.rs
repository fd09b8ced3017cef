//! `POST /v1/devices`, `DELETE /v1/devices/{token}`: the iOS app registers the APNs token of a device.
//!
//! Authenticated with a bearer token from OCPIZZA_DEVICE_TOKENS, compared in constant time against every
//! configured token; a token scoped to a restaurant may only (un)register devices of that restaurant.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::error::{ApiError, bearer, token_eq};
use crate::app::AppState;
use crate::config::TokenScope;
use ocpizza_core::codes::{self, Code, CodeError};

pub const ROLES: [&str; 4] = ["manager", "pizzaiolo", "driver", "cashier"];
pub const ENVIRONMENTS: [&str; 2] = ["sandbox", "production"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    pub token: String,
    pub environment: String,
    pub restaurant: String,
    pub role: String,
}

/// Finds the scope of the presented token; every configured token is compared (no early exit).
fn authenticate(app: &AppState, headers: &HeaderMap) -> Result<TokenScope, ApiError> {
    let given = bearer(headers)?;
    let mut found = None;
    for t in &app.config.device_tokens {
        if token_eq(given, t.token.expose()) && found.is_none() {
            found = Some(t.scope.clone());
        }
    }
    found.ok_or_else(|| ApiError::unauthorized("invalid_token", "the bearer token is not a device registration token"))
}

/// The one refusal a restaurant-scoped token gets for a device outside its scope: the restaurant named in the
/// body, a device another restaurant holds, and (on DELETE) a token no device has all answer the same, so that a
/// scoped caller cannot learn whether a token exists elsewhere.
fn not_yours(code: &str) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "wrong_restaurant",
        format!("this token belongs to restaurant {code}: it manages only that restaurant's devices, and this is not one"),
    )
}

fn allowed(scope: &TokenScope, restaurant: &str) -> Result<(), ApiError> {
    match scope {
        TokenScope::App => Ok(()),
        TokenScope::Restaurant(code) if code == restaurant => Ok(()),
        TokenScope::Restaurant(code) => Err(not_yours(code)),
    }
}

fn code_error(reason: &'static str, e: CodeError) -> ApiError {
    ApiError::unprocessable(reason, e.to_string())
}

/// APNs device tokens are 32 bytes shown as 64 lower-case hex digits; longer ones are allowed (Apple may grow
/// them), up to the column's 200 (`codes::Code::DeviceToken`).
pub fn check_device_token(token: &str) -> Result<(), ApiError> {
    codes::check(Code::DeviceToken, "token", token).map_err(|e| code_error("invalid_device_token", e))
}

pub async fn register(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Json<Registration>, JsonRejection>,
) -> Result<Response, ApiError> {
    let scope = authenticate(&app, &headers)?;
    let Json(reg) = body.map_err(|e| ApiError::bad_request("malformed_body", e.body_text()))?;
    check_device_token(&reg.token)?;
    if !ENVIRONMENTS.contains(&reg.environment.as_str()) {
        return Err(ApiError::unprocessable("invalid_environment", "environment: expected sandbox or production"));
    }
    if !ROLES.contains(&reg.role.as_str()) {
        return Err(ApiError::unprocessable("invalid_role", "role: expected manager, pizzaiolo, driver or cashier"));
    }
    // Checked before any query: a non-ASCII code compared with the ascii_bin column is a database error.
    codes::check(Code::Restaurant, "restaurant", &reg.restaurant).map_err(|e| code_error("invalid_restaurant", e))?;
    allowed(&scope, &reg.restaurant)?;
    let restaurant: Option<(i64,)> = sqlx::query_as("SELECT id FROM restaurants WHERE code = ? AND active = TRUE")
        .bind(&reg.restaurant)
        .fetch_optional(&app.pool)
        .await
        .map_err(ApiError::database)?;
    let Some((restaurant_id,)) = restaurant else {
        return Err(ApiError::unprocessable(
            "unknown_restaurant",
            format!("restaurant: no active restaurant has code {}", reg.restaurant),
        ));
    };
    let what = match upsert(&app.pool, &reg, restaurant_id, &scope).await.map_err(ApiError::database)? {
        Upsert::Inserted => "registered",
        Upsert::Updated => "updated",
        Upsert::HeldElsewhere => {
            let TokenScope::Restaurant(code) = &scope else { unreachable!("the app token may move any device") };
            tracing::warn!(restaurant = %code, "device registration refused: the device is another restaurant's");
            return Err(not_yours(code));
        }
    };
    let status = if what == "registered" { StatusCode::CREATED } else { StatusCode::OK };
    tracing::info!(restaurant = %reg.restaurant, role = %reg.role, environment = %reg.environment, what, "device registration");
    Ok((
        status,
        Json(serde_json::json!({
            "status": what, "restaurant": reg.restaurant, "role": reg.role, "environment": reg.environment
        })),
    )
        .into_response())
}

enum Upsert {
    Inserted,
    Updated,
    /// The token is an active device of another restaurant and the caller is scoped to `restaurant_id`'s.
    HeldElsewhere,
}

/// Registers `reg` under `restaurant_id`. Re-registering (the same token, even after an unregistration)
/// re-activates it. A restaurant-scoped caller may not take a device another restaurant has registered (one it
/// unregistered may be taken: the phone changed hands); the app token may move any device.
///
/// The existing row is locked (`FOR UPDATE`, READ COMMITTED: no gap lock, so two first registrations of one
/// token cannot deadlock) and checked before it is updated; when there was none, a plain INSERT that meets a
/// row inserted meanwhile starts over, so the check always sees the row it lets through.
async fn upsert(
    pool: &sqlx::MySqlPool,
    reg: &Registration,
    restaurant_id: i64,
    scope: &TokenScope,
) -> Result<Upsert, sqlx::Error> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut conn = pool.acquire().await?;
        sqlx::Executor::execute(&mut *conn, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED").await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let row: Option<(i64, bool)> = sqlx::query_as(
            "SELECT restaurant_id, unregistered_at IS NULL FROM devices WHERE token = ? FOR UPDATE",
        )
        .bind(&reg.token)
        .fetch_optional(&mut *tx)
        .await?;
        match row {
            Some((held_by, active)) => {
                if matches!(scope, TokenScope::Restaurant(_)) && held_by != restaurant_id && active {
                    tx.rollback().await?;
                    return Ok(Upsert::HeldElsewhere);
                }
                sqlx::query(
                    "UPDATE devices SET environment = ?, restaurant_id = ?, role = ?, \
                     registered_at = CURRENT_TIMESTAMP(6), unregistered_at = NULL WHERE token = ?",
                )
                .bind(&reg.environment)
                .bind(restaurant_id)
                .bind(&reg.role)
                .bind(&reg.token)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                return Ok(Upsert::Updated);
            }
            None => {
                let inserted =
                    sqlx::query("INSERT INTO devices (token, environment, restaurant_id, role) VALUES (?, ?, ?, ?)")
                        .bind(&reg.token)
                        .bind(&reg.environment)
                        .bind(restaurant_id)
                        .bind(&reg.role)
                        .execute(&mut *tx)
                        .await;
                match inserted {
                    Ok(_) => {
                        tx.commit().await?;
                        return Ok(Upsert::Inserted);
                    }
                    // Registered by a concurrent request since our read: look again (once is enough, the row
                    // now exists and is never deleted).
                    Err(sqlx::Error::Database(db)) if db.is_unique_violation() && attempt < 3 => {
                        tx.rollback().await?;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }
}

pub async fn unregister(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    token: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let scope = authenticate(&app, &headers)?;
    // A segment that does not decode to UTF-8 is no device token either (axum's own answer would be plain text).
    let Ok(Path(token)) = token else {
        return Err(ApiError::unprocessable("invalid_device_token", "token: is not valid percent-encoded UTF-8"));
    };
    check_device_token(&token)?;
    let row: Option<(String, Option<chrono::NaiveDateTime>)> = sqlx::query_as(
        "SELECT CONVERT(r.code USING utf8mb4), d.unregistered_at FROM devices d JOIN restaurants r ON r.id = d.restaurant_id WHERE d.token = ?",
    )
    .bind(&token)
    .fetch_optional(&app.pool)
    .await
    .map_err(ApiError::database)?;
    let (restaurant, unregistered_at) = match (row, &scope) {
        (Some((r, u)), TokenScope::App) => (r, u),
        (None, TokenScope::App) => {
            return Err(ApiError::not_found("unknown_device", "no device is registered with this token"));
        }
        // Unknown or another restaurant's: the same answer (a scoped caller learns nothing about other devices).
        (Some((r, u)), TokenScope::Restaurant(code)) if *code == r => (r, u),
        (_, TokenScope::Restaurant(code)) => return Err(not_yours(code)),
    };
    if unregistered_at.is_none() {
        // Guarded by the restaurant too: a device moved meanwhile by the app token is not unregistered by the
        // token of the restaurant it left.
        sqlx::query(
            "UPDATE devices d JOIN restaurants r ON r.id = d.restaurant_id SET d.unregistered_at = CURRENT_TIMESTAMP(6) \
             WHERE d.token = ? AND r.code = ? AND d.unregistered_at IS NULL",
        )
        .bind(&token)
        .bind(&restaurant)
        .execute(&app.pool)
        .await
        .map_err(ApiError::database)?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
