//! Staff sign-in over HTTP (issue 12): `POST /v1/staff/sessions`, `DELETE /v1/staff/sessions/current`, and the
//! session check every staff route uses ([`signed_in`]).
//!
//! A wrong PIN, an unknown login, a login without PIN and an unknown restaurant all get the same 401 after the same
//! Argon2 work. Failures are counted per restaurant + login (known or not: 5 → locked 15 min) and per client
//! address (30 in 15 min → locked 15 min); a locked subject answers 429 with `Retry-After` before any PIN check.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::error::{ApiError, bearer};
use crate::app::AppState;
use crate::config::SecretString;
use crate::staff::session::{self, StaffMember};
use crate::staff::{StaffError, check_login, check_restaurant, lockout, password};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub restaurant: String,
    pub login: String,
    pub pin: String,
}

impl From<StaffError> for ApiError {
    fn from(e: StaffError) -> Self {
        match e {
            StaffError::Invalid { field, reason } => {
                ApiError::unprocessable(invalid_reason(field), format!("{field}: {reason}"))
            }
            StaffError::Db(e) => ApiError::database(e),
            StaffError::UnknownStaff { .. } | StaffError::Hash(_) => {
                tracing::error!(error = %e, "staff sign-in failed unexpectedly");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "sign-in failed; retry")
            }
        }
    }
}

fn invalid_reason(field: &str) -> &'static str {
    match field {
        "restaurant" => "invalid_restaurant",
        "login" => "invalid_login",
        "pin" => "invalid_pin",
        _ => "invalid_field",
    }
}

fn too_many(wait: Duration, message: &str) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut resp = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "locked", message.to_owned()).into_response();
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    resp
}

fn invalid_credentials() -> ApiError {
    ApiError::unauthorized("invalid_credentials", "restaurant, login or PIN is wrong")
}

pub async fn sign_in(
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Json<SignIn>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body.map_err(|e| ApiError::bad_request("malformed_body", e.body_text()))?;
    check_restaurant(&req.restaurant)?;
    check_login(&req.login)?;
    password::check_pin(&req.pin)?;
    let pin = SecretString::new(req.pin);

    let address = lockout::address_subject(peer.ip());
    let login_subject = lockout::login_subject(&req.restaurant, &req.login);
    let db = ApiError::database;
    if let Some(wait) = lockout::locked_for(&app.pool, &address).await.map_err(db)? {
        return Ok(too_many(wait, "too many failed sign-ins from this address; retry later"));
    }
    if let Some(wait) = lockout::locked_for(&app.pool, &login_subject).await.map_err(db)? {
        return Ok(too_many(wait, "this login is locked after repeated failed sign-ins; retry later"));
    }

    let row: Option<(i64, Option<String>)> = sqlx::query_as(
        "SELECT s.id, CONVERT(s.pin_hash USING utf8mb4) FROM staff s JOIN restaurants r ON r.id = s.restaurant_id \
         WHERE r.code = ? AND r.active AND s.login = ? AND s.active",
    )
    .bind(&req.restaurant)
    .bind(&req.login)
    .fetch_optional(&app.pool)
    .await
    .map_err(db)?;
    let (staff_id, stored) = match row {
        Some((id, hash)) => (Some(id), hash),
        None => (None, None),
    };
    let ok = password::verify_pin(pin, stored).await?;
    let Some(staff_id) = staff_id.filter(|_| ok) else {
        lockout::record_failure(&app.pool, &login_subject, lockout::LOGIN_MAX_FAILURES, lockout::LOGIN_LOCK)
            .await
            .map_err(db)?;
        lockout::record_failure(&app.pool, &address, lockout::ADDRESS_MAX_FAILURES, lockout::ADDRESS_LOCK)
            .await
            .map_err(db)?;
        tracing::info!(restaurant = %req.restaurant, login = %req.login, client = %peer.ip(), "staff sign-in refused");
        return Err(invalid_credentials());
    };
    lockout::clear(&app.pool, &login_subject).await.map_err(db)?;
    let (token, expires_at) = session::create(&app.pool, staff_id, app.config.staff_session).await.map_err(db)?;
    let member = session::authenticate(&app.pool, &token).await.map_err(db)?.ok_or_else(invalid_credentials)?;
    tracing::info!(restaurant = %member.restaurant, staff_id, role = %member.role, "staff signed in");
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "token": token,
            "expires_at": ocpizza_db::store::rfc3339(expires_at),
            "staff": member.json(),
        })),
    )
        .into_response())
}

/// The staff member behind the request's bearer session token; 401 otherwise.
pub async fn signed_in(app: &AppState, headers: &HeaderMap) -> Result<StaffMember, ApiError> {
    let token = bearer(headers)?;
    session::authenticate(&app.pool, token).await.map_err(ApiError::database)?.ok_or_else(|| {
        ApiError::unauthorized("invalid_session", "the session is unknown, expired or revoked: sign in again")
    })
}

/// For `POST /v1/devices`: the staff member when the bearer token is a session token (a configured device token
/// gives `None` and keeps its own check); an invalid session token is 401.
pub async fn device_session(app: &AppState, headers: &HeaderMap) -> Result<Option<StaffMember>, ApiError> {
    match headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        Some(v) if v.split_once(' ').is_some_and(|(_, t)| session::looks_like_session_token(t.trim())) => {
            signed_in(app, headers).await.map(Some)
        }
        _ => Ok(None),
    }
}

/// A device registered with a session takes the staff member's role: another role in the body is refused.
pub fn check_device_role(member: &StaffMember, role: &str) -> Result<(), ApiError> {
    if member.role == role {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_role",
            format!("role: this session is a {}'s and may only register a {} device", member.role, member.role),
        ))
    }
}

pub async fn sign_out(State(app): State<Arc<AppState>>, headers: HeaderMap) -> Result<Response, ApiError> {
    let member = signed_in(&app, &headers).await?;
    session::revoke(&app.pool, member.session_id).await.map_err(ApiError::database)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
