//! The one error shape of the HTTP API: `{"error": "<human sentence>", "reason": "<machine code>"}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub reason: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, reason, message: message.into() }
    }
    pub fn bad_request(reason: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, reason, message)
    }
    pub fn unprocessable(reason: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, reason, message)
    }
    pub fn unauthorized(reason: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, reason, message)
    }
    pub fn not_found(reason: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, reason, message)
    }
    /// A database failure: logged, answered 503 so that the sender retries.
    pub fn database(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "database error while serving a request");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "the database is unavailable; retry later",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.message, "reason": self.reason });
        (self.status, Json(body)).into_response()
    }
}

/// Bearer token of an `Authorization` header, if well formed.
pub fn bearer(headers: &axum::http::HeaderMap) -> Result<&str, ApiError> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing_token", "Authorization: Bearer <token> is required"))?;
    let value =
        value.to_str().map_err(|_| ApiError::unauthorized("invalid_token", "the Authorization header is not ASCII"))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(token.trim()),
        _ => Err(ApiError::unauthorized("invalid_token", "the Authorization header is not Bearer <token>")),
    }
}

/// Constant-time equality of a presented token and a configured one.
pub fn token_eq(given: &str, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    given.as_bytes().ct_eq(expected.as_bytes()).into()
}
