//! What the restaurants do (issue 12): `POST /v1/orders/{reference}/status` and
//! `POST /v1/orders/{reference}/payments` (with `Idempotency-Key`). The work is in `crate::staff::actions`.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ocpizza_core::status::OrderStatus;
use serde::Deserialize;

use super::error::ApiError;
use super::orders::{check_reference, same_restaurant};
use super::staff::signed_in;
use crate::app::AppState;
use crate::staff::actions::{self, ActionError, PAYMENT_METHODS};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    pub status: String,
    pub note: Option<String>,
    pub expected_status: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    pub method: String,
    pub amount_cents: i64,
}

fn parse_status(field: &'static str, s: &str) -> Result<OrderStatus, ApiError> {
    s.parse().map_err(|_| {
        let all: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
        ApiError::unprocessable("invalid_status", format!("{field}: must be one of {}", all.join(", ")))
    })
}

fn forbidden_role(message: String) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "role_not_allowed", message)
}

/// 409 keeps the `{error, reason}` shape and adds the order's current status.
fn conflict(reason: &str, message: &str, current: &str) -> Response {
    (StatusCode::CONFLICT, Json(serde_json::json!({ "error": message, "reason": reason, "current_status": current })))
        .into_response()
}

fn action_error(e: ActionError) -> Response {
    match e {
        ActionError::Invalid { field, reason } => {
            ApiError::unprocessable("invalid_field", format!("{field}: {reason}")).into_response()
        }
        ActionError::Conflict { reason, current, code } => conflict(code, &reason, &current),
        ActionError::KeyReused => ApiError::unprocessable(
            "idempotency_key_reused",
            "Idempotency-Key: already used by this staff member for a different request",
        )
        .into_response(),
        ActionError::Db(e) => ApiError::database(e).into_response(),
    }
}

/// The order's shop id and restaurant (404 unknown).
async fn find(app: &AppState, reference: &str) -> Result<(i64, String), ApiError> {
    check_reference(reference)?;
    let row: Option<(i64, String)> = sqlx::query_as(
        "SELECT o.shop_order_id, CONVERT(r.code USING utf8mb4) FROM orders o \
         JOIN restaurants r ON r.id = o.restaurant_id WHERE o.reference = ?",
    )
    .bind(reference)
    .fetch_optional(&app.pool)
    .await
    .map_err(ApiError::database)?;
    row.ok_or_else(|| ApiError::not_found("unknown_order", format!("no order has reference {reference}")))
}

pub async fn set_status(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    body: Result<Json<StatusRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let member = signed_in(&app, &headers).await?;
    let Json(req) = body.map_err(|e| ApiError::bad_request("malformed_body", e.body_text()))?;
    let to = parse_status("status", &req.status)?;
    let expected = req.expected_status.as_deref().map(|s| parse_status("expected_status", s)).transpose()?;
    if req.note.as_ref().is_some_and(|n| n.chars().count() > ocpizza_db::store::status::MAX_NOTE_CHARS) {
        return Err(ApiError::unprocessable("invalid_note", "note: is longer than 500 characters"));
    }
    let (shop_order_id, restaurant) = find(&app, &reference).await?;
    same_restaurant(&member, &restaurant)?;
    if !actions::role_may_set(&member.role, to) {
        return Err(forbidden_role(format!("status: a {} may not set {}", member.role, to.as_str())));
    }
    let request = actions::StatusRequest { shop_order_id, to, note: req.note.as_deref(), expected };
    let outcome = actions::set_status(&app.pool, &member, request, &|t| app.destinations_for(t)).await;
    match outcome {
        Ok(o) => {
            if o.changed {
                app.notify.notify_one();
                tracing::info!(reference = %reference, staff_id = member.staff_id, from = %o.previous, to = %o.status, "status set by staff");
            }
            Ok((
                StatusCode::OK,
                Json(serde_json::json!({
                    "reference": reference, "status": o.status, "previous_status": o.previous, "changed": o.changed
                })),
            )
                .into_response())
        }
        Err(e) => Ok(action_error(e)),
    }
}

/// Idempotency-Key: 1–100 printable ASCII characters without spaces (a UUID is typical).
fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let v = headers.get("idempotency-key").ok_or_else(|| {
        ApiError::bad_request("missing_idempotency_key", "Idempotency-Key: required (e.g. a UUID, the same on a retry)")
    })?;
    match v.to_str() {
        Ok(k) if (1..=100).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()) => Ok(k.to_owned()),
        _ => Err(ApiError::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key: expected 1 to 100 printable ASCII characters without spaces",
        )),
    }
}

pub async fn record_payment(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    body: Result<Json<PaymentRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let member = signed_in(&app, &headers).await?;
    let key = idempotency_key(&headers)?;
    let Json(req) = body.map_err(|e| ApiError::bad_request("malformed_body", e.body_text()))?;
    if !PAYMENT_METHODS.contains(&req.method.as_str()) {
        return Err(ApiError::unprocessable("invalid_method", "method: expected cash or card_terminal"));
    }
    if req.amount_cents <= 0 {
        return Err(ApiError::unprocessable("invalid_amount", "amount_cents: must be a positive number of cents"));
    }
    let (_, restaurant) = find(&app, &reference).await?;
    same_restaurant(&member, &restaurant)?;
    if !actions::role_may_collect(&member.role) {
        return Err(forbidden_role(format!("a {} may not record payments (drivers and cashiers do)", member.role)));
    }
    match actions::record_payment(&app.pool, &member, &reference, &key, &req.method, req.amount_cents, &|t| {
        app.destinations_for(t)
    })
    .await
    {
        Ok(stored) => {
            if !stored.replayed {
                app.notify.notify_one();
                tracing::info!(reference = %reference, staff_id = member.staff_id, method = %req.method, "payment recorded by staff");
            }
            let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::CREATED);
            Ok((status, Json(stored.body)).into_response())
        }
        Err(ActionError::Invalid { field, reason }) if field == "amount_cents" => {
            Err(ApiError::unprocessable("wrong_amount", format!("amount_cents: {reason}")))
        }
        Err(e) => Ok(action_error(e)),
    }
}
