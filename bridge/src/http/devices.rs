//! `POST /v1/devices`, `DELETE /v1/devices/{token}`: the iOS app registers the APNs token of a device.
//!
//! Authenticated with a bearer token from OCPIZZA_DEVICE_TOKENS, compared in constant time against every
//! configured token; a token scoped to a restaurant may only (un)register devices of that restaurant.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::error::{ApiError, bearer, token_eq};
use crate::app::AppState;
use crate::config::TokenScope;

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

fn allowed(scope: &TokenScope, restaurant: &str) -> Result<(), ApiError> {
    match scope {
        TokenScope::App => Ok(()),
        TokenScope::Restaurant(code) if code == restaurant => Ok(()),
        TokenScope::Restaurant(code) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_restaurant",
            format!("this token belongs to restaurant {code} and may not manage devices of {restaurant}"),
        )),
    }
}

/// APNs device tokens are 32 bytes shown as 64 lower-case hex digits; longer ones are allowed (Apple may grow
/// them), up to the column's 200.
pub fn check_device_token(token: &str) -> Result<(), ApiError> {
    if token.len() < 64 || token.len() > 200 || !token.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(ApiError::unprocessable(
            "invalid_device_token",
            "token: expected 64 to 200 lower-case hexadecimal characters",
        ));
    }
    Ok(())
}

pub async fn register(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Json<Registration>, JsonRejection>,
) -> Result<Response, ApiError> {
    // A staff session token (issue 12) scopes the device to the staff member's restaurant and role.
    let session = super::staff::device_session(&app, &headers).await?;
    let scope = match &session {
        Some(member) => TokenScope::Restaurant(member.restaurant.clone()),
        None => authenticate(&app, &headers)?,
    };
    let Json(reg) = body.map_err(|e| ApiError::bad_request("malformed_body", e.body_text()))?;
    check_device_token(&reg.token)?;
    if !ENVIRONMENTS.contains(&reg.environment.as_str()) {
        return Err(ApiError::unprocessable("invalid_environment", "environment: expected sandbox or production"));
    }
    if !ROLES.contains(&reg.role.as_str()) {
        return Err(ApiError::unprocessable("invalid_role", "role: expected manager, pizzaiolo, driver or cashier"));
    }
    allowed(&scope, &reg.restaurant)?;
    if let Some(member) = &session {
        super::staff::check_device_role(member, &reg.role)?;
    }
    let restaurant: Option<(i64,)> = sqlx::query_as("SELECT id FROM restaurants WHERE code = ? AND active = TRUE")
        .bind(&reg.restaurant)
        .fetch_optional(&app.pool)
        .await
        .map_err(ApiError::database)?;
    let Some((restaurant_id,)) = restaurant else {
        return Err(ApiError::unprocessable(
            "unknown_restaurant",
            format!(
                "restaurant: no active restaurant has code {:?}",
                reg.restaurant.chars().take(20).collect::<String>()
            ),
        ));
    };
    // Re-registering (the same token, even after an unregistration) re-activates it and moves it if needed.
    let res = sqlx::query(
        "INSERT INTO devices (token, environment, restaurant_id, role) VALUES (?, ?, ?, ?) \
         ON DUPLICATE KEY UPDATE environment = VALUES(environment), restaurant_id = VALUES(restaurant_id), \
         role = VALUES(role), registered_at = CURRENT_TIMESTAMP(6), unregistered_at = NULL",
    )
    .bind(&reg.token)
    .bind(&reg.environment)
    .bind(restaurant_id)
    .bind(&reg.role)
    .execute(&app.pool)
    .await
    .map_err(ApiError::database)?;
    // MariaDB: 1 row affected = inserted, 2 = updated.
    let (status, what) =
        if res.rows_affected() == 1 { (StatusCode::CREATED, "registered") } else { (StatusCode::OK, "updated") };
    tracing::info!(restaurant = %reg.restaurant, role = %reg.role, environment = %reg.environment, what, "device registration");
    Ok((
        status,
        Json(serde_json::json!({
            "status": what, "restaurant": reg.restaurant, "role": reg.role, "environment": reg.environment
        })),
    )
        .into_response())
}

pub async fn unregister(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let scope = authenticate(&app, &headers)?;
    check_device_token(&token)?;
    let row: Option<(String, Option<chrono::NaiveDateTime>)> = sqlx::query_as(
        "SELECT CONVERT(r.code USING utf8mb4), d.unregistered_at FROM devices d JOIN restaurants r ON r.id = d.restaurant_id WHERE d.token = ?",
    )
    .bind(&token)
    .fetch_optional(&app.pool)
    .await
    .map_err(ApiError::database)?;
    let Some((restaurant, unregistered_at)) = row else {
        return Err(ApiError::not_found("unknown_device", "no device is registered with this token"));
    };
    allowed(&scope, &restaurant)?;
    if unregistered_at.is_none() {
        sqlx::query(
            "UPDATE devices SET unregistered_at = CURRENT_TIMESTAMP(6) WHERE token = ? AND unregistered_at IS NULL",
        )
        .bind(&token)
        .execute(&app.pool)
        .await
        .map_err(ApiError::database)?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
