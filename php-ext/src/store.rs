//! `OCPizza\Store`: the order store of `ocpizza_db::store`, over this process's pool for the URL.

#![allow(non_snake_case)] // PHP parameter names ($databaseUrl, $shopOrderId…) are part of the public contract.

use ext_php_rs::builders::ModuleBuilder;
use ext_php_rs::exception::PhpResult;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};
use ocpizza_db::connect::options;
use ocpizza_db::store;
use serde_json::json;

use crate::errors::{Kind, exception, from_store, scrub, validation};
use crate::guard::guarded;
use crate::input::{PhpString, assoc, assoc_zvals, json_to_zval, to_json};
use crate::state::{StateError, with_pool};

/// Writes orders, payments and statuses into OCPizza_DB and publishes its outbox to the bridge.
#[php_class]
#[php(name = "OCPizza\\Store")]
pub struct Store {
    url: String,
    /// The password in the URL, scrubbed from every message.
    password: Option<String>,
}

/// The password part of `scheme://user:password@host…`, as written in the URL.
fn password_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    userinfo.split_once(':').map(|(_, p)| p.to_owned()).filter(|p| !p.is_empty())
}

impl Store {
    fn secrets<'a>(&'a self, extra: &[&'a str]) -> Vec<&'a str> {
        let mut v = vec![self.url.as_str()];
        v.extend(self.password.as_deref());
        v.extend_from_slice(extra);
        v
    }

    fn run<T, F, Fut>(&self, extra_secrets: &[&str], f: F) -> PhpResult<T>
    where
        F: FnOnce(sqlx::MySqlPool) -> Fut,
        Fut: std::future::Future<Output = Result<T, store::StoreError>>,
    {
        with_pool(&self.url, f).map_err(|e| match e {
            StateError::Store(e) => from_store(e, &self.secrets(extra_secrets)),
            StateError::Runtime(e) => exception(Kind::Db, &format!("cannot start the database runtime: {e}"), None),
        })
    }
}

#[php_impl]
impl Store {
    /// Checks the URL's syntax only; the connection is opened by the first call that needs it.
    pub fn __construct(databaseUrl: PhpString) -> PhpResult<Self> {
        guarded(|| {
            let databaseUrl = databaseUrl.utf8("databaseUrl")?.to_owned();
            let password = password_of(&databaseUrl);
            if let Err(e) = options(&databaseUrl) {
                let mut secrets = vec![databaseUrl.as_str()];
                secrets.extend(password.as_deref());
                let reason = scrub(&e.to_string(), &secrets);
                let reason = reason.strip_prefix("database URL is invalid: ").unwrap_or(&reason);
                return Err(validation("databaseUrl", format!("invalid database URL: {reason}")));
            }
            Ok(Store { url: databaseUrl, password })
        })
    }

    /// Records a shop order (idempotent on `shop_order_id`): `['order_id' => int, 'created' => bool]`.
    pub fn recordOrder(&self, order: &ZendHashTable) -> PhpResult<Zval> {
        guarded(|| {
            let input = to_json(order)?;
            let r = self.run(&[], |pool| async move { store::record_order(&pool, &input).await })?;
            assoc(vec![("order_id", json!(r.order_id)), ("created", json!(r.created))])
        })
    }

    /// Records a payment (idempotent on its transaction key): `['payment_id' => int, 'created' => bool]`.
    pub fn recordPayment(&self, payment: &ZendHashTable) -> PhpResult<Zval> {
        guarded(|| {
            let input = to_json(payment)?;
            let r = self.run(&[], |pool| async move { store::record_payment(&pool, &input).await })?;
            assoc(vec![("payment_id", json!(r.payment_id)), ("created", json!(r.created))])
        })
    }

    /// Records a refund of a paid payment (idempotent on the refund's transaction key), never beyond what was
    /// paid: `['refund_id' => int, 'created' => bool, 'amount_cents' => int, 'paid_cents' => int,
    /// 'refunded_total_cents' => int, 'full' => bool]`.
    pub fn recordRefund(&self, refund: &ZendHashTable) -> PhpResult<Zval> {
        guarded(|| {
            let input = to_json(refund)?;
            let r = self.run(&[], |pool| async move { store::record_refund(&pool, &input).await })?;
            assoc(vec![
                ("refund_id", json!(r.refund_id)),
                ("created", json!(r.created)),
                ("amount_cents", json!(r.amount_cents)),
                ("paid_cents", json!(r.paid_cents)),
                ("refunded_total_cents", json!(r.refunded_total_cents)),
                ("full", json!(r.full)),
            ])
        })
    }

    /// Moves an order to `$status`: true when it moved, false when it already had that status.
    #[php(defaults(note = None))]
    pub fn setStatus(&self, shopOrderId: i64, status: PhpString, note: Option<PhpString>) -> PhpResult<bool> {
        guarded(|| {
            let status = status.utf8("status")?.to_owned();
            let note = note.map(|n| n.utf8("note").map(str::to_owned)).transpose()?;
            self.run(&[], |pool| async move { store::set_status(&pool, shopOrderId, &status, note.as_deref()).await })
        })
    }

    /// The order's OC Pizza status, or null when OCPizza_DB has no such order.
    pub fn orderStatus(&self, shopOrderId: i64) -> PhpResult<Option<String>> {
        guarded(|| self.run(&[], |pool| async move { store::order_status(&pool, shopOrderId).await }))
    }

    /// The SKUs the restaurant can make now from its stock.
    pub fn availableProducts(&self, restaurant: PhpString) -> PhpResult<Vec<String>> {
        guarded(|| {
            let restaurant = restaurant.utf8("restaurant")?.to_owned();
            self.run(&[], |pool| async move { store::available_products(&pool, &restaurant).await })
        })
    }

    /// The active restaurants: code, name, address (line1, postcode, city), phone, delivery_postcodes.
    pub fn restaurants(&self) -> PhpResult<Zval> {
        guarded(|| {
            let list = self.run(&[], |pool| async move { store::restaurants(&pool).await })?;
            let mut out = ZendHashTable::with_capacity(list.len().try_into().unwrap_or(u32::MAX));
            for r in list {
                let address = assoc(vec![
                    ("line1", json!(r.address.line1)),
                    ("postcode", json!(r.address.postcode)),
                    ("city", json!(r.address.city)),
                ])?;
                let row = assoc_zvals(vec![
                    ("code", json_to_zval(&json!(r.code))?),
                    ("name", json_to_zval(&json!(r.name))?),
                    ("address", address),
                    ("phone", json_to_zval(&json!(r.phone))?),
                    ("delivery_postcodes", json_to_zval(&json!(r.delivery_postcodes))?),
                ])?;
                out.push(row).map_err(|e| crate::guard::internal(&e.to_string()))?;
            }
            let mut zv = Zval::new();
            zv.set_hashtable(out);
            Ok(zv)
        })
    }

    /// Sends up to `$max` pending outbox events to the bridge: `['published', 'failed', 'pending']` counts.
    #[php(defaults(max = 100))]
    pub fn publishOutbox(&self, bridgeUrl: PhpString, secret: PhpString, max: i64) -> PhpResult<Zval> {
        guarded(|| {
            // Named as the store names them (its URL check says "bridge_url").
            let bridgeUrl = bridgeUrl.utf8("bridge_url")?.to_owned();
            let secret = secret.utf8("secret")?.to_owned();
            let secret_for_call = secret.clone();
            // The bridge URL may carry credentials too (http://user:pw@host): never echoed either.
            let bridge_password = password_of(&bridgeUrl).unwrap_or_default();
            let bridge_url = bridgeUrl.clone();
            let r = self.run(&[secret.as_str(), bridge_url.as_str(), bridge_password.as_str()], |pool| async move {
                store::publish_outbox(&pool, &bridgeUrl, &secret_for_call, max).await
            })?;
            assoc(vec![("published", json!(r.published)), ("failed", json!(r.failed)), ("pending", json!(r.pending))])
        })
    }
}

pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module.class::<Store>()
}

