//! The Dolibarr destination: shop orders become Dolibarr customers, orders, invoices and payments.
//!
//! | event | in Dolibarr |
//! |---|---|
//! | `order.created` | thirdparty found (ref_ext `PS-CUST-<id>`, then an unclaimed customer record with the same e-mail) or created; products found by ref = SKU or created once (lock per SKU) at the menu's TTC price; order found (ref_ext `PS-<shop_order_id>`) or created as a draft without lines, each line added with `price_base_type` TTC, order validated; `total_ttc` compared with the shop total (> 1 cent apart → flagged, not failed) |
//! | `order.paid` (status `paid`) | invoice found (order's linked invoices, then ref_client) or created from the order, dated, validated, payment recorded with the provider's payment type and bank account unless the invoice already has one (whose id is then read back); order set invoiced |
//! | `order.status_changed` → `delivered`/`picked_up` | order closed |
//! | `order.status_changed` → `cancelled` | order given Dolibarr's cancelled status (−1) with a note; if invoiced (or shipped/closed), only noted and flagged |
//! | `order.refunded` | credit note (`POST /invoices` `type` 2, `fk_facture_source` = the order's invoice, `ref_ext` `RF-<shop order>-<hash of the refund key>`) with lines: a refund of the whole invoice copies its lines (same products, quantities, VAT rates, TTC prices; discount lines, which a credit note cannot hold positive, netted into one line per VAT rate), any other amount is split over the invoice's VAT rates in proportion to its TTC per rate, cents by largest remainder so the credit note's total is the refund exactly; validated (AV numbering; 304 = already); refund paid back once with `POST /invoices/paymentsdistributed` (positive amount, `accepthigherpayment`; never `/payments`, which books it as money in) on the provider's payment type and bank account; a full refund of a cancelled order clears its `needs_review`. No invoice in Dolibarr → flagged `needs_review`, skipped (an earlier dead `order.created`/`order.paid` delivery of the order → dead too, to be replayed after it) |
//! | other events and statuses | skipped (`order.payment_failed` and `stock.shortage` get no delivery row) |
//!
//! Dates (order, invoice, payment, credit note, refund) are noon, chain time, of the chain's day
//! (`OCPIZZA_TIMEZONE`): see `money::chain_noon`.
//!
//! Every step looks up before it creates and every id is stored in `dolibarr_links` (`dolibarr_refunds` for a
//! refund's credit note and payment) as soon as Dolibarr returns it, so a retry resumes where the last attempt
//! stopped. MariaDB named locks keep bridge processes apart: one per order, one per new customer, one per SKU
//! while a product is looked up and created.

mod client;
mod created;
mod error;
mod links;
mod model;
mod money;
mod paid;
mod refund;
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
    /// Timezone, payment types and bank accounts per payment provider.
    cfg: DolibarrConfig,
    /// Payment types dictionary (`c_paiement` code → row id), read once.
    payment_types: OnceCell<HashMap<String, i64>>,
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
        if let Some((p, a)) = cfg.bank_accounts.iter().find(|(_, a)| **a <= 0) {
            return Err(DolibarrError::Config(format!("bank account {a} of {p} must be a positive integer")));
        }
        Ok(DolibarrDestination {
            client: client_for(cfg)?,
            pool,
            cfg: cfg.clone(),
            payment_types: OnceCell::new(),
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
            Event::OrderRefunded(e) => refund::apply(self, e).await,
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
            Event::OrderRefunded(_) => true,
        }
    }

    /// The payment type (dictionary row id and code) and bank account a payment of this provider is recorded with.
    pub(crate) async fn payment_for(&self, provider: &str) -> Result<(i64, String, i64), DolibarrError> {
        let code = self.cfg.payment_type(provider).to_owned();
        let types = self
            .payment_types
            .get_or_try_init(|| async { payment_types(&self.client).await })
            .await?;
        let id = types.get(&code).copied().ok_or_else(|| {
            DolibarrError::Config(format!(
                "payment mode {code:?} (for {provider} payments) is not in Dolibarr's payment types dictionary"
            ))
        })?;
        Ok((id, code, self.cfg.bank_account(provider)))
    }

    /// The chain's timezone (Dolibarr dates are its days).
    pub(crate) fn timezone(&self) -> chrono_tz::Tz {
        self.cfg.timezone
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
        // A link row rebuilt from Dolibarr (the bridge's own was lost) gets the customer back from the order.
        if link.thirdparty_id.is_none()
            && let Some(socid) = order.get("socid").and_then(model::as_id).filter(|id| *id > 0)
        {
            links::set_thirdparty(&self.pool, shop_order_id, socid).await?;
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

/// `GET /setup/dictionary/payment_types` (active rows), code → id.
async fn payment_types(client: &Client) -> Result<HashMap<String, i64>, DolibarrError> {
    let types = client.list("/setup/dictionary/payment_types", &[("active", "1"), ("limit", "500")]).await?;
    Ok(types
        .iter()
        .filter_map(|t| Some((model::str_field(t, "code")?.to_owned(), model::id_of(t)?)))
        .collect())
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
        matches!(
            event_type,
            events::ORDER_CREATED | events::ORDER_PAID | events::ORDER_STATUS_CHANGED | events::ORDER_REFUNDED
        )
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

/// `ocpizza-bridge doctor`: `GET /status` with the API key (the Dolibarr version), then what each payment provider's
/// payments need: its payment type is in the dictionary, its bank account exists, is open and takes that type (a
/// cash account, `type` 2, takes only LIQ: `Account::addline()` refuses anything else with
/// ErrorCashAccountAcceptsOnlyCashMoney, compta/bank/class/account.class.php).
pub async fn doctor(cfg: &DolibarrConfig) -> Result<String, DolibarrError> {
    let client = client_for(cfg)?;
    let version = match client.get("/status", &[]).await.map_err(|e| url_hint(cfg, e))? {
        Answer::Body(v) => match v.pointer("/success/dolibarr_version").and_then(Value::as_str) {
            Some(v) => v.to_owned(),
            None => return Err(url_hint(cfg, DolibarrError::Unexpected {
                method: "GET",
                path: "/status".into(),
                reason: format!(
                    "no success.dolibarr_version in {}",
                    v.to_string().chars().take(120).collect::<String>()
                ),
            })),
        },
        Answer::NotModified => {
            return Err(DolibarrError::Unexpected {
                method: "GET",
                path: "/status".into(),
                reason: "304 on /status".into(),
            });
        }
    };
    let types = payment_types(&client).await?;
    let mut accounts: HashMap<i64, Value> = HashMap::new();
    let mut seen = Vec::new();
    for provider in crate::config::PAYMENT_PROVIDERS {
        let (code, account_id) = (cfg.payment_type(provider), cfg.bank_account(provider));
        // Invoices::addPayment() refuses CHQ without `chqemetteur`, which the shop cannot give.
        if code == "CHQ" {
            return Err(DolibarrError::Config(format!(
                "payment mode CHQ ({provider} payments) needs the cheque issuer's name, which the shop does not send"
            )));
        }
        let type_id = types.get(code).ok_or_else(|| {
            DolibarrError::Config(format!(
                "payment mode {code:?} ({provider} payments) is not in the dictionary of active payment types"
            ))
        })?;
        let account = match accounts.get(&account_id) {
            Some(a) => a.clone(),
            None => {
                let a = client.get_object(&format!("/bankaccounts/{account_id}")).await?.ok_or_else(|| {
                    DolibarrError::Config(format!("bank account {account_id} ({provider} payments) does not exist"))
                })?;
                accounts.insert(account_id, a.clone());
                a
            }
        };
        if model::int_field(&account, "clos") != 0 {
            return Err(DolibarrError::Config(format!("bank account {account_id} ({provider} payments) is closed")));
        }
        if model::int_field(&account, "type") == 2 && code != "LIQ" {
            return Err(DolibarrError::Config(format!(
                "bank account {account_id} is a cash account: it takes only LIQ, not {code} ({provider} payments); \
                 use a current account (type 1) or set the {provider} payment type to LIQ"
            )));
        }
        seen.push(format!(
            "{provider} {code} = {type_id} on account {account_id} ({})",
            model::str_field(&account, "label").unwrap_or("?")
        ));
    }
    Ok(format!("Dolibarr {version} at {}; payments: {}", cfg.url, seen.join(", ")))
}

/// A Dolibarr URL must be the API root, `…/api/index.php`: anything else answers HTML (the login page, a 404),
/// which would otherwise read only as "body is not JSON".
fn url_hint(cfg: &DolibarrConfig, e: DolibarrError) -> DolibarrError {
    let not_api = matches!(e, DolibarrError::NotJson { .. } | DolibarrError::Unexpected { .. })
        || (e.status() == Some(404));
    if not_api && !cfg.url.trim_end_matches('/').ends_with("/api/index.php") {
        return DolibarrError::Config(format!(
            "{e}; the URL must be Dolibarr's API root, ending in /api/index.php (e.g. {}/api/index.php)",
            cfg.url.trim_end_matches('/')
        ));
    }
    e
}
