//! The Dolibarr destination: shop orders become Dolibarr customers, orders, invoices and payments.
//!
//! | event | in Dolibarr |
//! |---|---|
//! | `order.created` | thirdparty found (ref_ext `PS-CUST-<id>`, then e-mail) or created; order found (ref_ext `PS-<shop_order_id>`) or created as a draft without lines, each line added with `price_base_type` TTC, order validated; `total_ttc` compared with the shop total (> 1 cent apart → flagged, not failed) |
//! | `order.paid` (status `paid`) | invoice found (order's linked invoices, then ref_client) or created from the order, validated, payment recorded unless the invoice already has one; order set invoiced |
//! | `order.status_changed` → `delivered`/`picked_up` | order closed |
//! | `order.status_changed` → `cancelled` | order set back to draft with a note (the REST API has no cancel); if invoiced, only noted and flagged for a credit note |
//! | other events and statuses | skipped (`order.payment_failed`, `stock.shortage` and, until credit notes are written, `order.refunded` get no delivery row) |
//!
//! Every step looks up before it creates and every id is stored in `dolibarr_links` as soon as Dolibarr returns
//! it, so a retry resumes where the last attempt stopped. A MariaDB named lock per order keeps two bridge
//! processes off the same order.

mod client;
mod created;
mod error;
mod links;
mod model;
mod money;
mod paid;
mod status;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;
use sqlx::MySqlPool;
use tokio::sync::OnceCell;

pub use client::{Answer, Client};
pub use error::DolibarrError;
pub use links::Link;

use crate::config::DolibarrConfig;
use crate::destination::{DeliverFuture, Delivery, DeliveryError, Destination, Outcome};
use ocpizza_core::events::{self, Event};

/// How long a delivery waits for another worker busy with the same order before giving up (and retrying later).
pub(crate) const LOCK_WAIT_SECS: u32 = 5;

pub struct DolibarrDestination {
    client: Client,
    pool: MySqlPool,
    bank_account_id: i64,
    payment_mode: String,
    /// Dolibarr id of the payment mode (dictionary row), looked up once by code.
    payment_type_id: OnceCell<i64>,
    /// SKU → product id; products are never deleted by the bridge, so a hit stays true.
    products: Mutex<HashMap<String, i64>>,
}

fn client_for(cfg: &DolibarrConfig) -> Result<Client, DolibarrError> {
    let ca = match &cfg.ca_file {
        Some(p) => Some(std::fs::read(p).map_err(|e| DolibarrError::Config(format!("CA file {}: {e}", p.display())))?),
        None => None,
    };
    Client::new(&cfg.url, cfg.api_key.expose(), Duration::from_secs(cfg.timeout_secs.max(1)), ca.as_deref())
}

impl DolibarrDestination {
    pub fn new(cfg: &DolibarrConfig, pool: MySqlPool) -> Result<Self, DolibarrError> {
        if cfg.bank_account_id <= 0 {
            return Err(DolibarrError::Config("bank_account_id must be a positive integer".into()));
        }
        if cfg.payment_mode.trim().is_empty() {
            return Err(DolibarrError::Config("payment_mode must not be empty".into()));
        }
        Ok(DolibarrDestination {
            client: client_for(cfg)?,
            pool,
            bank_account_id: cfg.bank_account_id,
            payment_mode: cfg.payment_mode.trim().to_owned(),
            payment_type_id: OnceCell::new(),
            products: Mutex::new(HashMap::new()),
        })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Applies one event; the typed error says whether a retry can help.
    pub async fn apply(&self, event: &Event) -> Result<Outcome, DolibarrError> {
        let Some(shop_order_id) = event.shop_order_id() else {
            return Ok(Outcome::Skipped("event without an order".into()));
        };
        if !self.wants(event) {
            return Ok(Outcome::Skipped(format!("{} is not relayed to Dolibarr", describe(event))));
        }
        let Some(lock) =
            links::NamedLock::acquire(&self.pool, links::LockKind::Order, shop_order_id, LOCK_WAIT_SECS).await?
        else {
            return Err(DolibarrError::NotYet(format!("order {shop_order_id} is being processed by another worker")));
        };
        let result = match event {
            Event::OrderCreated(e) => created::apply(self, e).await,
            Event::OrderPaid(e) => paid::apply(self, e).await,
            Event::OrderStatusChanged(e) => status::apply(self, e).await,
            _ => Ok(Outcome::Skipped("not relayed".into())),
        };
        lock.release().await;
        result
    }

    /// Whether this particular event has anything to do in Dolibarr (beyond its type).
    fn wants(&self, event: &Event) -> bool {
        use ocpizza_core::status::OrderStatus::*;
        match event {
            Event::OrderCreated(_) => true,
            Event::OrderPaid(p) => p.status == "paid",
            Event::OrderStatusChanged(s) => matches!(s.to, Delivered | PickedUp | Cancelled),
            Event::OrderPaymentFailed(_) | Event::StockShortage(_) => false,
            // Not relayed yet (credit notes come with issue 13's Dolibarr part): `accepts` leaves it out, so no
            // delivery row waits on it, and a cancel-after-payment keeps its `needs_review` flag for a credit note
            // made by hand.
            Event::OrderRefunded(_) => false,
        }
    }

    pub(crate) async fn payment_type_id(&self) -> Result<i64, DolibarrError> {
        self.payment_type_id
            .get_or_try_init(|| async {
                let types =
                    self.client.list("/setup/dictionary/payment_types", &[("active", "1"), ("limit", "200")]).await?;
                types
                    .iter()
                    .find(|t| model::str_field(t, "code") == Some(self.payment_mode.as_str()))
                    .and_then(model::id_of)
                    .ok_or_else(|| {
                        DolibarrError::Config(format!(
                            "payment mode {:?} is not in Dolibarr's payment types dictionary",
                            self.payment_mode
                        ))
                    })
            })
            .await
            .copied()
    }

    /// The Dolibarr order of a shop order that `order.created` has already made, with the bridge's link row.
    /// Not there yet (or still a draft, unless `allow_draft`) → [`DolibarrError::NotYet`], retried: the events of
    /// one order are applied in order.
    pub(crate) async fn existing_order(
        &self,
        shop_order_id: i64,
        reference: &str,
        allow_draft: bool,
    ) -> Result<(Link, Value), DolibarrError> {
        model::check_ref("reference", reference)?;
        let link = links::ensure(&self.pool, shop_order_id, reference, None).await?;
        let not_yet =
            || DolibarrError::NotYet(format!("order {reference} is not in Dolibarr yet (order.created not applied)"));
        let order = match link.order_id {
            Some(id) => self.client.get_object(&format!("/orders/{id}")).await?.ok_or_else(|| {
                DolibarrError::Inconsistent(format!(
                    "order {id} recorded for shop order {shop_order_id} no longer exists in Dolibarr"
                ))
            })?,
            None => {
                let filter = model::filter_eq("ref_ext", &model::order_ref_ext(shop_order_id))?;
                let found = self.client.search("/orders", &filter, 5).await?;
                let order = found.into_iter().next().ok_or_else(not_yet)?;
                let id = model::id_of(&order).ok_or_else(not_yet)?;
                links::set_order(&self.pool, shop_order_id, id).await?;
                order
            }
        };
        if !allow_draft && model::int_field(&order, "statut") == model::status::DRAFT {
            return Err(not_yet());
        }
        let link = links::load(&self.pool, shop_order_id).await?.unwrap_or(link);
        Ok((link, order))
    }

    fn cached_product(&self, sku: &str) -> Option<i64> {
        self.products.lock().ok()?.get(sku).copied()
    }

    fn cache_product(&self, sku: &str, id: i64) {
        if let Ok(mut m) = self.products.lock() {
            m.insert(sku.to_owned(), id);
        }
    }
}

fn describe(event: &Event) -> String {
    match event {
        Event::OrderPaid(p) => format!("order.paid with status {:?}", p.status),
        Event::OrderStatusChanged(s) => format!("status {}", s.to),
        Event::OrderCreated(_) => events::ORDER_CREATED.into(),
        Event::OrderPaymentFailed(_) => events::ORDER_PAYMENT_FAILED.into(),
        Event::StockShortage(_) => events::STOCK_SHORTAGE.into(),
        Event::OrderRefunded(_) => events::ORDER_REFUNDED.into(),
    }
}

impl Destination for DolibarrDestination {
    fn name(&self) -> &'static str {
        "dolibarr"
    }

    fn accepts(&self, event_type: &str) -> bool {
        matches!(event_type, events::ORDER_CREATED | events::ORDER_PAID | events::ORDER_STATUS_CHANGED)
    }

    fn deliver<'a>(&'a self, delivery: &'a Delivery) -> DeliverFuture<'a> {
        Box::pin(async move {
            self.apply(&delivery.event).await.map_err(|e| {
                tracing::warn!(webhook_id = %delivery.webhook_id, attempt = delivery.attempt, error = %e, "Dolibarr delivery failed");
                DeliveryError::from(e)
            })
        })
    }
}

/// `ocpizza-bridge doctor`: `GET /status` with the API key (the Dolibarr version), then what a payment needs: the
/// configured bank account exists and is not a cash account, the payment mode is in the dictionary.
pub async fn doctor(cfg: &DolibarrConfig) -> Result<String, DolibarrError> {
    let client = client_for(cfg)?;
    let version = match client.get("/status", &[]).await? {
        Answer::Body(v) => {
            v.pointer("/success/dolibarr_version").and_then(Value::as_str).unwrap_or("unknown version").to_owned()
        }
        Answer::NotModified => {
            return Err(DolibarrError::Unexpected {
                method: "GET",
                path: "/status".into(),
                reason: "304 on /status".into(),
            });
        }
    };
    let account = client
        .get_object(&format!("/bankaccounts/{}", cfg.bank_account_id))
        .await?
        .ok_or_else(|| DolibarrError::Config(format!("bank account {} does not exist", cfg.bank_account_id)))?;
    // Type 2 is a cash account: it refuses card payments (ErrorCashAccountAcceptsOnlyCashMoney).
    if model::int_field(&account, "type") == 2 && cfg.payment_mode != "LIQ" {
        return Err(DolibarrError::Config(format!(
            "bank account {} is a cash account; {} payments need a current account (type 1)",
            cfg.bank_account_id, cfg.payment_mode
        )));
    }
    let types = client.list("/setup/dictionary/payment_types", &[("active", "1"), ("limit", "200")]).await?;
    let mode = types
        .iter()
        .find(|t| model::str_field(t, "code") == Some(cfg.payment_mode.as_str()))
        .and_then(model::id_of)
        .ok_or_else(|| {
            DolibarrError::Config(format!("payment mode {:?} is not in the dictionary", cfg.payment_mode))
        })?;
    Ok(format!(
        "Dolibarr {version} at {}; bank account {} ({}); payment mode {} = {mode}",
        cfg.url,
        cfg.bank_account_id,
        model::str_field(&account, "label").unwrap_or("?"),
        cfg.payment_mode
    ))
}
