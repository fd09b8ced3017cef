//! The "webhook sink" destination (OCPIZZA_SINK_URL), for tests and benchmarks: POSTs every event to a URL,
//! re-enveloped as `{type, timestamp, data}` with Standard Webhooks headers (`webhook-id` = the event's id, so
//! the receiver can deduplicate; signed when OCPIZZA_SINK_SECRET is set).
//!
//! 2xx → done; 408, 429, 5xx, timeouts and connection errors → retry (honouring `Retry-After`); other statuses →
//! dead.

use std::time::Duration;

use ocpizza_core::events::Envelope;
use ocpizza_core::webhooks::{self, Secret};

use crate::config::SinkConfig;
use crate::destination::{DeliverFuture, Delivery, DeliveryError, Destination, Outcome};

pub const NAME: &str = "sink";

pub struct SinkDestination {
    url: String,
    secret: Option<Secret>,
    client: reqwest::Client,
}

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("OCPIZZA_SINK_SECRET: {0}")]
    Secret(String),
    #[error("sink HTTP client: {0}")]
    Client(String),
}

impl SinkDestination {
    pub fn new(cfg: &SinkConfig) -> Result<SinkDestination, SinkError> {
        let secret = match &cfg.secret {
            Some(s) => Some(Secret::parse(s.expose()).map_err(|e| SinkError::Secret(e.to_string()))?),
            None => None,
        };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .tcp_nodelay(true)
            .pool_max_idle_per_host(256)
            .build()
            .map_err(|e| SinkError::Client(e.to_string()))?;
        Ok(SinkDestination { url: cfg.url.clone(), secret, client })
    }
}

/// Seconds of a `Retry-After` header (the delta-seconds form).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

impl Destination for SinkDestination {
    fn name(&self) -> &'static str {
        NAME
    }

    fn accepts(&self, _event_type: &str) -> bool {
        true
    }

    fn deliver<'a>(&'a self, delivery: &'a Delivery) -> DeliverFuture<'a> {
        Box::pin(async move {
            let tagged = serde_json::to_value(&delivery.event)
                .map_err(|e| DeliveryError::Fatal { reason: format!("event does not serialise: {e}") })?;
            let envelope = Envelope {
                event_type: tagged["type"].as_str().unwrap_or_default().to_owned(),
                timestamp: delivery.timestamp.clone(),
                data: tagged["data"].clone(),
            };
            let body = serde_json::to_vec(&envelope).expect("envelope serialises");
            let now = chrono::Utc::now().timestamp();
            let mut req = self
                .client
                .post(&self.url)
                .header("content-type", "application/json")
                .header(webhooks::HEADER_ID, &delivery.webhook_id)
                .header(webhooks::HEADER_TIMESTAMP, now.to_string());
            if let Some(secret) = &self.secret {
                req = req.header(webhooks::HEADER_SIGNATURE, webhooks::sign(secret, &delivery.webhook_id, now, &body));
            }
            match req.body(body).send().await {
                Ok(resp) if resp.status().is_success() => {
                    Ok(Outcome::Done(serde_json::json!({ "status": resp.status().as_u16() })))
                }
                Ok(resp) => {
                    let status = resp.status();
                    let after = retry_after(resp.headers());
                    let reason = format!("sink answered HTTP {}", status.as_u16());
                    if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
                        Err(DeliveryError::Retry { reason, retry_after: after })
                    } else {
                        Err(DeliveryError::Fatal { reason })
                    }
                }
                Err(e) => Err(DeliveryError::Retry { reason: format!("sink unreachable: {e}"), retry_after: None }),
            }
        })
    }
}
