//! What a relay destination (Dolibarr, APNs) is to the delivery engine.
//!
//! The engine claims a delivery row, hands its event to the destination, and records the result: `Ok` → done,
//! `Retry` → pending again after a backoff (at least `retry_after`), `Fatal` → dead at once with the reason kept.
//! Destinations must be idempotent: a lease that expires mid-call means the same event may be delivered again.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use ocpizza_core::events::Event;

/// One delivery handed to a destination.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub delivery_id: i64,
    pub inbox_id: i64,
    /// The `webhook-id` (= OCPizza_DB outbox event id).
    pub webhook_id: String,
    /// RFC 3339 timestamp of the event envelope.
    pub timestamp: String,
    pub event: Event,
    /// 1 for the first attempt.
    pub attempt: u32,
}

/// What a destination did; kept in the delivery row as JSON (e.g. the Dolibarr ids, the pushes sent).
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Done(serde_json::Value),
    /// Nothing to do for this destination (e.g. no device registered, event type not relevant).
    Skipped(String),
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeliveryError {
    /// Transient: try again later, not before `retry_after` when the remote said so.
    #[error("{reason}")]
    Retry { reason: String, retry_after: Option<Duration> },
    /// Permanent: retrying cannot help (bad data, business refusal); the delivery goes dead.
    #[error("{reason}")]
    Fatal { reason: String },
}

pub type DeliverFuture<'a> = Pin<Box<dyn Future<Output = Result<Outcome, DeliveryError>> + Send + 'a>>;

pub trait Destination: Send + Sync + 'static {
    /// Stable name stored in the `deliveries.destination` column: `dolibarr`, `apns`.
    fn name(&self) -> &'static str;
    /// Whether this destination wants a delivery row for events of this type at all.
    fn accepts(&self, event_type: &str) -> bool;
    fn deliver<'a>(&'a self, delivery: &'a Delivery) -> DeliverFuture<'a>;
}
