//! `POST /webhooks/prestashop`: verify (before any database work), parse, store durably, then answer.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use ocpizza_core::webhooks::{self, WebhookError};
use tracing::Instrument;

use super::error::ApiError;
use crate::app::AppState;
use crate::ingest::{self, Stored, Via};
use crate::queue::Handed;

/// The 400/401 answer for a refused signature check, with its reason code.
pub fn verify_error(e: &WebhookError) -> ApiError {
    let (status, reason) = match e {
        WebhookError::MissingHeader(_) => (StatusCode::BAD_REQUEST, "missing_header"),
        WebhookError::InvalidHeader(_) => (StatusCode::BAD_REQUEST, "invalid_header"),
        WebhookError::InvalidTimestamp => (StatusCode::BAD_REQUEST, "invalid_timestamp"),
        WebhookError::TooOld => (StatusCode::BAD_REQUEST, "timestamp_too_old"),
        WebhookError::TooNew => (StatusCode::BAD_REQUEST, "timestamp_too_new"),
        WebhookError::NoMatchingSignature => (StatusCode::UNAUTHORIZED, "no_matching_signature"),
        WebhookError::InvalidSecret(_) => (StatusCode::INTERNAL_SERVER_ERROR, "server_misconfigured"),
    };
    ApiError::new(status, reason, e.to_string())
}

fn header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, WebhookError> {
    match headers.get(name) {
        None => Ok(""),
        Some(v) => v.to_str().map_err(|_| WebhookError::InvalidHeader(name)),
    }
}

pub async fn receive(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = Instant::now();
    let result = handle(&app, &headers, body).await;
    let label = match &result {
        Ok((StatusCode::OK, _)) => "duplicate",
        Ok(_) => "accepted",
        Err(e) => e.reason,
    };
    metrics::counter!("ocpizza_ingest_total", "result" => label).increment(1);
    metrics::histogram!("ocpizza_ingest_seconds").record(started.elapsed().as_secs_f64());
    match result {
        Ok((status, body)) => (status, Json(body)).into_response(),
        Err(e) => {
            tracing::info!(reason = e.reason, status = e.status.as_u16(), "webhook refused");
            e.into_response()
        }
    }
}

async fn handle(
    app: &Arc<AppState>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, serde_json::Value), ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("body is larger than {} bytes", app.config.webhook_max_body),
            )
        } else {
            ApiError::bad_request("malformed_body", format!("could not read the body: {e}"))
        }
    })?;
    let id = header(headers, webhooks::HEADER_ID).map_err(|e| verify_error(&e))?;
    let ts = header(headers, webhooks::HEADER_TIMESTAMP).map_err(|e| verify_error(&e))?;
    let sig = header(headers, webhooks::HEADER_SIGNATURE).map_err(|e| verify_error(&e))?;
    // A present but malformed webhook-id is refused with the reason (verify would only say "invalid header").
    if !id.is_empty() {
        ocpizza_core::codes::check(ocpizza_core::codes::Code::WebhookId, webhooks::HEADER_ID, id)
            .map_err(|e| ApiError::bad_request("invalid_header", e.to_string()))?;
    }
    let now = chrono::Utc::now().timestamp();
    webhooks::verify(&app.secrets, id, ts, sig, &body, now, app.config.webhook_tolerance_secs)
        .map_err(|e| verify_error(&e))?;

    let (env, event) = ingest::parse_body(&body).map_err(|e| ApiError::bad_request(e.code(), e.to_string()))?;
    let span = tracing::info_span!("event", webhook_id = %id, event_type = %env.event_type);
    // Spawned: once started, the transaction runs to its end even if the sender hangs up.
    let (app2, id2) = (app.clone(), id.to_owned());
    let stored = tokio::spawn(async move { store_event(&app2, &id2, &body, &env, &event).await }.instrument(span))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("ingest task failed: {e}")))?
        .map_err(ApiError::database)?;
    Ok(match stored {
        Stored::Duplicate => (StatusCode::OK, serde_json::json!({ "status": "duplicate", "webhook_id": id })),
        Stored::Accepted { deliveries, .. } => (
            StatusCode::ACCEPTED,
            serde_json::json!({ "status": "accepted", "webhook_id": id, "deliveries": deliveries }),
        ),
    })
}

/// One transaction: inbox row + delivery rows. Then hands the rows to the local relay or nudges it.
async fn store_event(
    app: &AppState,
    id: &str,
    body: &[u8],
    env: &ocpizza_core::events::Envelope,
    event: &ocpizza_core::events::Event,
) -> Result<Stored, sqlx::Error> {
    let destinations = app.destinations_for(&env.event_type);
    // Fast lane: when this process has free worker slots, the rows are inserted leased to its relay.
    let reservation = app.engine.try_reserve(destinations.len());
    let received_at = chrono::Utc::now().naive_utc();
    let mut tx = app.pool.begin().await?;
    let lease = reservation.as_ref().map(|r| r.lease());
    let stored = ingest::store_leased(&mut tx, id, body, env, event, &destinations, Via::Webhook, lease).await?;
    match stored {
        Stored::Duplicate => tx.rollback().await?,
        Stored::Accepted { .. } => tx.commit().await?,
    }
    match &stored {
        Stored::Duplicate => tracing::info!("duplicate webhook id, nothing new"),
        Stored::Accepted { inbox_id, deliveries } => {
            match reservation {
                Some(r) => r.hand_off(Handed {
                    inbox_id: *inbox_id,
                    webhook_id: id.to_owned(),
                    body: body.to_vec(),
                    received_at,
                    partition_key: ingest::partition_key(event),
                    destinations: destinations.clone(),
                }),
                None => app.notify.notify_one(),
            }
            tracing::info!(inbox_id, deliveries, "event accepted");
        }
    }
    Ok(stored)
}
