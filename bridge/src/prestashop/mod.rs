//! The `prestashop` destination (issue 12): a status change or a payment recorded in a restaurant (not by the
//! shop) becomes an entry of the PrestaShop order's history through the Webservice, so that the customer sees
//! the order move and gets PrestaShop's own e-mail for the state.
//!
//! Behaviour of the real Webservice (see /work/shared/reference/prestashop-webservice.md, checked on 8.2):
//! without URL rewriting only `webservice/dispatcher.php?url=…` works; request bodies are XML whatever the output
//! format; with `sendemail=1` and a failing mailer the state IS saved and the answer is 500 — so every attempt
//! first reads the order's `current_state` and posts only when the order is not there yet (a retry never posts
//! twice); an unknown order answers 404 (GET) or an empty 500 (POST).
//!
//! Events from the shop itself are skipped (they come from PrestaShop already): a status change counts as the
//! restaurant's when its data says `source: "restaurant"` (`StatusChanged::source`, written by the staff API), a payment when the staff API
//! recorded it (transaction key `staff:…`; the module records offline payments with provider `cash` as well).

use std::time::Duration;

use base64::Engine;
use ocpizza_core::events::Event;
use serde_json::Value;

use crate::config::PrestashopConfig;
use crate::destination::{DeliverFuture, Delivery, DeliveryError, Destination, Outcome};

pub const NAME: &str = "prestashop";

/// The Webservice endpoint and its credentials.
struct Shop {
    base: String,
    auth: String,
    client: reqwest::Client,
}

pub struct PrestashopDestination {
    shop: Shop,
    states: std::collections::BTreeMap<String, i64>,
    send_email: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PrestashopError {
    #[error("PrestaShop HTTP client: {0}")]
    Client(String),
    #[error("{0}")]
    Check(String),
}

fn retry(reason: String) -> DeliveryError {
    DeliveryError::Retry { reason, retry_after: None }
}

/// The first `{"errors":[{"code","message"}]}` entry of a PrestaShop answer, for the reason kept on the row.
fn ps_error(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| {
            v["errors"].as_array().and_then(|e| e.first()).map(|e| format!("code {}: {}", e["code"], e["message"]))
        })
        .unwrap_or_else(|| if body.trim().is_empty() { "empty body".into() } else { body.chars().take(200).collect() })
}

impl Shop {
    fn new(cfg: &PrestashopConfig) -> Result<Shop, PrestashopError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(cfg.timeout_secs.max(1)))
            .build()
            .map_err(|e| PrestashopError::Client(e.to_string()))?;
        Ok(Shop {
            base: format!("{}/webservice/dispatcher.php", cfg.url),
            // The key as the HTTP Basic user, empty password (what PrestaShop's dispatcher reads).
            auth: format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{}:", cfg.ws_key.expose()))
            ),
            client,
        })
    }

    async fn get(&self, resource: &str) -> Result<(u16, String), reqwest::Error> {
        let resp = self
            .client
            .get(&self.base)
            .query(&[("url", resource), ("output_format", "JSON")])
            .header(reqwest::header::AUTHORIZATION, &self.auth)
            .send()
            .await?;
        let status = resp.status().as_u16();
        Ok((status, resp.text().await.unwrap_or_default()))
    }
}

impl PrestashopDestination {
    pub fn new(cfg: &PrestashopConfig) -> Result<Self, PrestashopError> {
        Ok(PrestashopDestination {
            shop: Shop::new(cfg)?,
            states: cfg.states.clone(),
            send_email: cfg.send_email,
        })
    }

    /// The order's current state id, or `None` when PrestaShop has no such order.
    async fn current_state(&self, id_order: i64) -> Result<Option<i64>, DeliveryError> {
        let (status, body) = self
            .shop
            .get(&format!("orders/{id_order}"))
            .await
            .map_err(|e| retry(format!("PrestaShop unreachable: {e}")))?;
        match status {
            200 => {
                let v: Value = serde_json::from_str(&body)
                    .map_err(|_| retry(format!("orders/{id_order}: not JSON: {}", ps_error(&body))))?;
                // current_state comes as a string ("5") in PrestaShop's JSON output.
                let state = v["order"]["current_state"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .or_else(|| v["order"]["current_state"].as_i64());
                state.map(Some).ok_or_else(|| retry(format!("orders/{id_order}: no current_state in the answer")))
            }
            404 => Ok(None),
            401 | 403 | 405 => Err(DeliveryError::Fatal {
                reason: format!("PrestaShop refused the key ({status}): {}", ps_error(&body)),
            }),
            _ => Err(retry(format!("orders/{id_order}: HTTP {status}: {}", ps_error(&body)))),
        }
    }

    /// Whether the event is the restaurant's (not the shop's).
    fn made_in_a_restaurant(event: &Event) -> bool {
        match event {
            // The staff API's keys (`staff:<id>:<Idempotency-Key>`); the module records offline payments too
            // (`prestashop-order-<id>-paid`, provider cash), and those come from the shop.
            Event::OrderPaid(p) => p.transaction_key.starts_with("staff:"),
            // The staff API writes `source: restaurant`; the shop's changes have no source.
            Event::OrderStatusChanged(s) => s.from_restaurant(),
            _ => false,
        }
    }

    async fn apply(&self, delivery: &Delivery) -> Result<Outcome, DeliveryError> {
        let (id_order, key) = match &delivery.event {
            Event::OrderStatusChanged(s) => (s.shop_order_id, s.to.as_str().to_owned()),
            Event::OrderPaid(p) => (p.shop_order_id, "paid".to_owned()),
            _ => return Ok(Outcome::Skipped("not an event the shop needs".into())),
        };
        if !Self::made_in_a_restaurant(&delivery.event) {
            return Ok(Outcome::Skipped("from the shop itself".into()));
        }
        let Some(&target) = self.states.get(&key) else {
            return Ok(Outcome::Skipped(format!("{key} is mapped to no PrestaShop state (OCPIZZA_PRESTASHOP_STATES)")));
        };
        // Read first: an earlier attempt may have saved the state and still got a 500 (failing mailer).
        match self.current_state(id_order).await? {
            None => {
                return Err(DeliveryError::Fatal { reason: format!("PrestaShop has no order {id_order}") });
            }
            Some(current) if current == target => {
                return Ok(Outcome::Done(
                    serde_json::json!({ "id_order": id_order, "state": target, "already": true }),
                ));
            }
            Some(_) => {}
        }
        let body = format!(
            "<prestashop><order_history><id_order>{id_order}</id_order><id_order_state>{target}</id_order_state></order_history></prestashop>"
        );
        let mut query = vec![("url", "order_histories"), ("output_format", "JSON")];
        if self.send_email {
            query.push(("sendemail", "1"));
        }
        let resp = self
            .shop
            .client
            .post(&self.shop.base)
            .query(&query)
            .header(reqwest::header::AUTHORIZATION, &self.shop.auth)
            .header(reqwest::header::CONTENT_TYPE, "application/xml")
            .body(body)
            .send()
            .await
            .map_err(|e| retry(format!("PrestaShop unreachable: {e}")))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        match status {
            201 => {
                let id = serde_json::from_str::<Value>(&text).ok().and_then(|v| v["order_history"]["id"].as_i64());
                Ok(Outcome::Done(serde_json::json!({ "id_order": id_order, "state": target, "order_history": id })))
            }
            // 5xx: maybe saved anyway; the next attempt reads the state before posting again.
            s if s >= 500 || s == 408 || s == 429 => {
                Err(retry(format!("order_histories: HTTP {s}: {}", ps_error(&text))))
            }
            s => Err(DeliveryError::Fatal { reason: format!("order_histories: HTTP {s}: {}", ps_error(&text)) }),
        }
    }
}

impl Destination for PrestashopDestination {
    fn name(&self) -> &'static str {
        NAME
    }

    fn accepts(&self, event_type: &str) -> bool {
        matches!(event_type, "order.status_changed" | "order.paid")
    }

    fn deliver<'a>(&'a self, delivery: &'a Delivery) -> DeliverFuture<'a> {
        Box::pin(self.apply(delivery))
    }
}

/// `doctor`: the key reads orders, and every mapped state exists (needs `order_states` GET on the key).
pub async fn doctor(cfg: &PrestashopConfig) -> Result<String, PrestashopError> {
    let d = Shop::new(cfg)?;
    let check = |what: String, r: Result<(u16, String), reqwest::Error>| -> Result<u16, PrestashopError> {
        match r {
            Err(e) => Err(PrestashopError::Check(format!("{what}: PrestaShop unreachable: {e}"))),
            Ok((401, body)) | Ok((403, body)) | Ok((405, body)) => {
                Err(PrestashopError::Check(format!("{what}: the key is refused: {}", ps_error(&body))))
            }
            Ok((s, _)) => Ok(s),
        }
    };
    // Any id: 200 or 404 both prove the key may read orders.
    let s = check("orders".into(), d.get("orders/1").await)?;
    if s != 200 && s != 404 {
        return Err(PrestashopError::Check(format!("orders: unexpected HTTP {s} (is {} the shop?)", d.base)));
    }
    let mut missing = Vec::new();
    for (key, id) in &cfg.states {
        let s = check(format!("order state {id} ({key})"), d.get(&format!("order_states/{id}")).await)?;
        if s != 200 {
            missing.push(format!("{key}={id}"));
        }
    }
    if !missing.is_empty() {
        return Err(PrestashopError::Check(format!(
            "no such PrestaShop order state: {} (fix OCPIZZA_PRESTASHOP_STATES)",
            missing.join(", ")
        )));
    }
    Ok(format!("key accepted, {} mapped state(s) exist", cfg.states.len()))
}
