//! What the staff app reads (issue 12): the restaurant's queue `GET /v1/restaurants/{code}/orders`, the drivers'
//! list `GET /v1/restaurants/{code}/deliveries`, and one order `GET /v1/orders/{reference}`. Session token
//! required; staff of another restaurant get 403.
//!
//! Polling: every list answer carries a strong `ETag` (SHA-256 of the body); a request whose `If-None-Match`
//! matches gets 304 without a body, so a device polling an unchanged queue every few seconds receives nothing.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ocpizza_core::status::OrderStatus;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::staff::signed_in;
use crate::app::AppState;
use crate::staff::session::StaffMember;
use crate::staff::view::{self, Select};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Comma-separated statuses; default: every status that still needs someone.
    pub status: Option<String>,
}

pub fn same_restaurant(member: &StaffMember, restaurant: &str) -> Result<(), ApiError> {
    if member.restaurant == restaurant {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_restaurant",
            format!("this session belongs to restaurant {} and may not read or change {restaurant}", member.restaurant),
        ))
    }
}

fn parse_statuses(raw: Option<&str>, default: &[&str]) -> Result<Vec<String>, ApiError> {
    let Some(raw) = raw else { return Ok(default.iter().map(|s| s.to_string()).collect()) };
    let mut out = Vec::new();
    for s in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if s.parse::<OrderStatus>().is_err() {
            let all: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
            return Err(ApiError::unprocessable(
                "invalid_status",
                format!("status: {:?} is not one of {}", s.chars().take(30).collect::<String>(), all.join(", ")),
            ));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    if out.is_empty() {
        return Err(ApiError::unprocessable("invalid_status", "status: give at least one status"));
    }
    Ok(out)
}

/// The body with its ETag, or 304 when the client already has it.
fn with_etag(headers: &HeaderMap, body: serde_json::Value) -> Response {
    let bytes = serde_json::to_vec(&body).expect("views serialise");
    let digest = Sha256::digest(&bytes);
    let etag: String = format!("\"{}\"", digest[..16].iter().map(|b| format!("{b:02x}")).collect::<String>());
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*");
    let etag_value = HeaderValue::from_str(&etag).expect("hex is a valid header value");
    if matches {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response();
    }
    (
        StatusCode::OK,
        [(header::ETAG, etag_value), (header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        bytes,
    )
        .into_response()
}

async fn list(
    app: &AppState,
    headers: &HeaderMap,
    code: &str,
    query: Result<Query<ListQuery>, QueryRejection>,
    default: &[&str],
    delivery_only: bool,
) -> Result<Response, ApiError> {
    let member = signed_in(app, headers).await?;
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    same_restaurant(&member, code)?;
    let statuses = parse_statuses(query.status.as_deref(), default)?;
    if delivery_only && let Some(geocoder) = &app.geocoder {
        // Best effort: an address not geocoded now is shown with its text and asked again on a later read.
        if let Err(e) =
            crate::staff::geocode::geocode_deliveries(&app.pool, geocoder, member.restaurant_id, &statuses).await
        {
            tracing::warn!(error = %e, "geocoding the deliveries failed");
        }
    }
    let orders = view::load(
        &app.pool,
        Select::Restaurant { restaurant_id: member.restaurant_id, statuses: &statuses, delivery_only },
    )
    .await
    .map_err(ApiError::database)?;
    Ok(with_etag(
        headers,
        serde_json::json!({ "restaurant": member.restaurant, "count": orders.len(), "orders": orders }),
    ))
}

pub async fn restaurant_orders(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(code): Path<String>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    list(&app, &headers, &code, query, &view::OPEN, false).await
}

pub async fn restaurant_deliveries(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(code): Path<String>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    list(&app, &headers, &code, query, &view::DELIVERY, true).await
}

/// Order references as the database constrains them.
pub fn check_reference(reference: &str) -> Result<(), ApiError> {
    if (1..=32).contains(&reference.len())
        && reference.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        Ok(())
    } else {
        Err(ApiError::unprocessable("invalid_reference", "reference: expected 1 to 32 characters A-Z, a-z, 0-9, _, -"))
    }
}

/// One order of the session's restaurant (404 unknown, 403 another restaurant's).
pub async fn load_one(app: &AppState, member: &StaffMember, reference: &str) -> Result<view::OrderView, ApiError> {
    check_reference(reference)?;
    let order = view::load(&app.pool, Select::Reference(reference))
        .await
        .map_err(ApiError::database)?
        .pop()
        .ok_or_else(|| ApiError::not_found("unknown_order", format!("no order has reference {reference}")))?;
    same_restaurant(member, &order.restaurant)?;
    Ok(order)
}

pub async fn order(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    let member = signed_in(&app, &headers).await?;
    let order = load_one(&app, &member, &reference).await?;
    Ok(with_etag(&headers, serde_json::to_value(order).expect("views serialise")))
}
