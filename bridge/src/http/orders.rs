//! What the staff app reads (issue 12): the restaurant's queue `GET /v1/restaurants/{code}/orders`, the drivers'
//! list `GET /v1/restaurants/{code}/deliveries`, and one order `GET /v1/orders/{reference}`. Session token
//! required; staff of another restaurant get 403.
//!
//! Polling the lists is cheap two ways, which combine:
//! - `ETag`: made of the restaurant's change version (`restaurant_changes`, bumped by every write of the order
//!   store in its own transaction), the filter and the cursor asked — not of the body. A request whose
//!   `If-None-Match` still matches is answered 304 after ONE primary-key read, without building the list.
//! - `cursor`: every list answer carries one; `?since=<cursor>` answers only the orders changed after it, in
//!   `orders` when they match the status filter, else in `removed` with their new status (the device drops them),
//!   and a new cursor. Opaque to clients; a cursor that is not ours, is another restaurant's or is ahead of the
//!   restaurant's changes is a 400 naming `since`.
//! The list and its version are read in one REPEATABLE READ snapshot, so the cursor never skips a change.
//!
//! `GET /v1/orders/{reference}` keeps a tag made of its body (SHA-256).

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ocpizza_core::status::OrderStatus;
use ocpizza_db::store::changes;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::staff::signed_in;
use crate::app::AppState;
use crate::staff::session::StaffMember;
use crate::staff::view::{self, MAX_ORDERS, Select};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Comma-separated statuses; default: every status that still needs someone.
    pub status: Option<String>,
    /// The `cursor` of an earlier answer: only what changed after it.
    pub since: Option<String>,
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

/// A position in a restaurant's changes: its version when the answer was read. On the wire: base64url of
/// `c1:<restaurant id>:<version>` — opaque to clients, checked when it comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub restaurant_id: i64,
    pub version: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("c1:{}:{}", self.restaurant_id, self.version))
    }

    /// The cursor of `raw`, which must be one of `restaurant_id`'s.
    pub fn parse(raw: &str, restaurant_id: i64) -> Result<Cursor, ApiError> {
        let not_ours = || {
            ApiError::bad_request(
                "invalid_cursor",
                "since: not a cursor of this API (give the `cursor` of an earlier answer, or read without `since`)",
            )
        };
        if raw.is_empty() || raw.len() > 64 {
            return Err(not_ours());
        }
        let text = URL_SAFE_NO_PAD.decode(raw).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(not_ours)?;
        let mut parts = text.split(':');
        let (Some("c1"), Some(r), Some(v), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(not_ours());
        };
        let number = |t: &str| t.parse::<i64>().ok().filter(|n| *n >= 0 && !t.starts_with('+'));
        let (Some(r), Some(version)) = (number(r), number(v)) else { return Err(not_ours()) };
        if r != restaurant_id {
            return Err(ApiError::bad_request("invalid_cursor", "since: the cursor is another restaurant's"));
        }
        Ok(Cursor { restaurant_id, version })
    }

    /// A cursor from the future: the database was restored or replaced since it was given.
    fn check_not_ahead(&self, version: i64) -> Result<(), ApiError> {
        if self.version > version {
            Err(ApiError::bad_request(
                "invalid_cursor",
                "since: the cursor is ahead of the restaurant's changes (the database was restored?): read the \
                 list again without `since`",
            ))
        } else {
            Ok(())
        }
    }
}

/// The tag of a list answer: what it was made of. The same version, filter and cursor give the same body (one
/// snapshot of the same data); the build is in it so that a new bridge release never answers 304 to a body
/// shaped by the previous one.
fn list_etag(delivery_only: bool, restaurant_id: i64, version: i64, statuses: &[String], since: Option<Cursor>) -> String {
    let key = format!(
        "{}|{}|{restaurant_id}|{version}|{}|{}",
        env!("CARGO_PKG_VERSION"),
        if delivery_only { "deliveries" } else { "orders" },
        statuses.join(","),
        since.map_or(-1, |c| c.version),
    );
    quoted_digest(key.as_bytes())
}

fn quoted_digest(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    format!("\"{}\"", digest[..16].iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

/// The body with `etag`, or 304 when the client already has it.
fn respond(headers: &HeaderMap, etag: &str, body: &impl Serialize) -> Response {
    let etag_value = HeaderValue::from_str(etag).expect("hex is a valid header value");
    if if_none_match(headers, etag) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response();
    }
    let bytes = serde_json::to_vec(body).expect("views serialise");
    (
        StatusCode::OK,
        [(header::ETAG, etag_value), (header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        bytes,
    )
        .into_response()
}

/// The body with a tag made of its bytes (one order).
fn with_body_etag(headers: &HeaderMap, body: serde_json::Value) -> Response {
    let bytes = serde_json::to_vec(&body).expect("views serialise");
    respond(headers, &quoted_digest(&bytes), &body)
}

/// An order changed since the cursor that no longer matches the filter: the device drops it.
#[derive(Debug, Serialize)]
struct Removed {
    reference: String,
    status: String,
}

#[derive(Debug, Serialize)]
struct ListBody<'a> {
    restaurant: &'a str,
    count: usize,
    orders: Vec<view::OrderView>,
    removed: Vec<Removed>,
    cursor: String,
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
    let restaurant_id = member.restaurant_id;
    let since = query.since.as_deref().map(|c| Cursor::parse(c, restaurant_id)).transpose()?;

    // A device that has the answer: one primary-key read decides, before anything is built.
    if headers.contains_key(header::IF_NONE_MATCH) {
        let mut conn = app.pool.acquire().await.map_err(ApiError::database)?;
        let version = changes::version(&mut conn, restaurant_id).await.map_err(ApiError::database)?;
        if let Some(c) = since {
            c.check_not_ahead(version)?;
        }
        let etag = list_etag(delivery_only, restaurant_id, version, &statuses, since);
        if if_none_match(headers, &etag) {
            let etag = HeaderValue::from_str(&etag).expect("hex is a valid header value");
            return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
        }
    }

    if delivery_only && let Some(geocoder) = &app.geocoder {
        // Best effort: an address not geocoded now is shown with its text and asked again on a later read that
        // builds the list (a 304 asks nothing). A stored answer is a change of the restaurant's orders.
        if let Err(e) =
            crate::staff::geocode::geocode_deliveries(&app.pool, geocoder, member.restaurant_id, &statuses).await
        {
            tracing::warn!(error = %e, "geocoding the deliveries failed");
        }
    }

    let (version, orders, removed, cursor) = read_list(app, restaurant_id, &statuses, since, delivery_only)
        .await
        .map_err(ApiError::database)?;
    if let Some(c) = since {
        c.check_not_ahead(version)?;
    }
    let etag = list_etag(delivery_only, restaurant_id, version, &statuses, since);
    let body = ListBody { restaurant: &member.restaurant, count: orders.len(), orders, removed, cursor: cursor.encode() };
    Ok(respond(headers, &etag, &body))
}

type ListRead = (i64, Vec<view::OrderView>, Vec<Removed>, Cursor);

/// The version and the list in one snapshot: REPEATABLE READ, the version read first (so every change up to it
/// is in the snapshot, the counter row being held by each writer until its commit).
async fn read_list(
    app: &AppState,
    restaurant_id: i64,
    statuses: &[String],
    since: Option<Cursor>,
    delivery_only: bool,
) -> Result<ListRead, sqlx::Error> {
    let mut conn = app.pool.acquire().await?;
    // Applies to the next transaction only, whatever the server's default isolation.
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *conn).await?;
    let mut tx = sqlx::Acquire::begin(&mut *conn).await?;
    let read = async {
        let version = changes::version(&mut tx, restaurant_id).await?;
        let Some(since) = since else {
            let orders =
                view::load(&mut tx, Select::Restaurant { restaurant_id, statuses, delivery_only }).await?;
            return Ok((version, orders, Vec::new(), Cursor { restaurant_id, version }));
        };
        if since.version >= version {
            // Nothing changed (or a cursor from the future, refused by the caller).
            return Ok((version, Vec::new(), Vec::new(), Cursor { restaurant_id, version }));
        }
        let changed =
            view::load(&mut tx, Select::Changed { restaurant_id, since: since.version, delivery_only }).await?;
        // Cut at MAX_ORDERS: the list holds every change up to its last one, and the cursor says so.
        let upto = if changed.len() as i64 >= MAX_ORDERS {
            changed.last().map_or(version, |o| o.change_seq)
        } else {
            version
        };
        let (mut orders, gone): (Vec<_>, Vec<_>) =
            changed.into_iter().partition(|o| statuses.iter().any(|s| *s == o.status));
        orders.sort_by(|a, b| (&a.placed_at, &a.reference).cmp(&(&b.placed_at, &b.reference)));
        let removed = gone.into_iter().map(|o| Removed { reference: o.reference, status: o.status }).collect();
        Ok((version, orders, removed, Cursor { restaurant_id, version: upto }))
    }
    .await;
    ocpizza_db::store::finish(tx, read).await
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
    let mut conn = app.pool.acquire().await.map_err(ApiError::database)?;
    let order = view::load(&mut conn, Select::Reference(reference))
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
    Ok(with_body_etag(&headers, serde_json::to_value(order).expect("views serialise")))
}
