//! Admin API (bearer OCPIZZA_ADMIN_TOKEN): list deliveries, replay one dead delivery or all of a destination.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::error::{ApiError, bearer, token_eq};
use crate::app::AppState;
use crate::queue::{self, ReplayOne};
use ocpizza_core::codes::{self, Code};

/// A destination name is checked before any query: compared with the ascii_bin column, a non-ASCII value would be
/// a database error (and over-long values are no destination).
fn check_destination(d: &str) -> Result<(), ApiError> {
    codes::check(Code::Destination, "destination", d).map_err(|e| ApiError::bad_request("invalid_destination", e.to_string()))
}

fn authorize(app: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let given = bearer(headers)?;
    match &app.config.admin_token {
        Some(t) if token_eq(given, t.expose()) => Ok(()),
        Some(_) => Err(ApiError::unauthorized("invalid_token", "the bearer token is not the admin token")),
        None => {
            Err(ApiError::unauthorized("admin_disabled", "the admin API is disabled (OCPIZZA_ADMIN_TOKEN is not set)"))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
    pub destination: Option<String>,
    pub limit: Option<u32>,
}

pub async fn list(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    authorize(&app, &headers)?;
    let Query(q) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    if let Some(s) = &q.status
        && !queue::STATUSES.contains(&s.as_str()) {
            return Err(ApiError::bad_request("invalid_status", "status: expected pending, inflight, done or dead"));
        }
    if let Some(d) = &q.destination {
        check_destination(d)?;
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("invalid_limit", "limit: expected 1 to 1000"));
    }
    let rows = queue::list(&app.pool, q.status.as_deref(), q.destination.as_deref(), limit)
        .await
        .map_err(ApiError::database)?;
    Ok(Json(serde_json::json!({ "count": rows.len(), "deliveries": rows })))
}

pub async fn replay_one(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    authorize(&app, &headers)?;
    let id: i64 = id
        .ok()
        .and_then(|Path(id)| id.parse().ok())
        .ok_or_else(|| ApiError::bad_request("invalid_id", "id: expected a delivery id (integer)"))?;
    match queue::replay_one(&app.pool, id).await.map_err(ApiError::database)? {
        ReplayOne::Replayed => {
            tracing::info!(delivery_id = id, "delivery replayed by an admin");
            app.notify.notify_one();
            Ok(Json(serde_json::json!({ "status": "replayed", "id": id })))
        }
        ReplayOne::NotFound => Err(ApiError::not_found("unknown_delivery", format!("no delivery has id {id}"))),
        ReplayOne::NotDead(s) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_dead",
            format!("delivery {id} is {s}; only dead deliveries are replayed"),
        )),
    }
}

#[derive(Debug, Deserialize)]
pub struct ReplayAllQuery {
    pub destination: Option<String>,
}

pub async fn replay_all(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<ReplayAllQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    authorize(&app, &headers)?;
    let Query(q) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let Some(destination) = q.destination.filter(|d| !d.is_empty()) else {
        return Err(ApiError::bad_request("missing_destination", "destination: required (e.g. ?destination=dolibarr)"));
    };
    check_destination(&destination)?;
    let n = queue::replay_dead(&app.pool, &destination).await.map_err(ApiError::database)?;
    tracing::info!(destination = %destination, replayed = n, "dead deliveries replayed by an admin");
    app.notify.notify_one();
    Ok(Json(serde_json::json!({ "status": "replayed", "destination": destination, "replayed": n })))
}
