//! `order.created`: customer, order, lines, validation, total check.
//!
//! Lines are added one by one with `price_base_type: "TTC"` on a draft created without lines: the shop's prices
//! include VAT and Dolibarr ignores TTC inside the `lines` of `POST /orders` (reference §6.1), so each line's
//! total_ttc is exactly the shop's and only the HT/VAT split is rounded by Dolibarr.

use serde_json::{Value, json};

use ocpizza_core::events::{Customer, Line, LineKind, OrderCreated};

use super::client::Answer;
use super::error::DolibarrError;
use super::model::{self, status};
use super::{DolibarrDestination, links, money};
use crate::destination::Outcome;

/// What was done, for the delivery's result JSON.
#[derive(Default)]
struct Report {
    created: Vec<&'static str>,
    products_created: Vec<String>,
    lines_added: usize,
}

/// A line as it must exist in Dolibarr.
struct Wanted {
    fk_product: Option<i64>,
    desc: String,
    qty: i64,
    price_ttc_cents: i64,
    vat: Value,
    product_type: i64,
}

pub(super) async fn apply(d: &DolibarrDestination, ev: &OrderCreated) -> Result<Outcome, DolibarrError> {
    check(ev)?;
    let pool = &d.pool;
    let link = links::ensure(pool, ev.shop_order_id, &ev.reference, Some(ev.total_cents)).await?;
    let mut report = Report::default();

    let socid = match link.thirdparty_id {
        Some(id) => id,
        None => {
            let id = thirdparty(d, &ev.customer, ev, &mut report).await?;
            links::set_thirdparty(pool, ev.shop_order_id, id).await?;
            id
        }
    };

    let ref_ext = model::order_ref_ext(ev.shop_order_id);
    let mut order: Option<Value> = None;
    let order_id = match link.order_id {
        Some(id) => {
            let o = d.client.get_object(&format!("/orders/{id}")).await?.ok_or_else(|| {
                DolibarrError::Inconsistent(format!(
                    "order {id} recorded for shop order {} no longer exists in Dolibarr",
                    ev.shop_order_id
                ))
            })?;
            order = Some(o);
            id
        }
        None => {
            let found = d.client.search("/orders", &model::filter_eq("ref_ext", &ref_ext)?, 5).await?;
            let id = match found.first().and_then(model::id_of) {
                Some(id) => {
                    if found.len() > 1 {
                        tracing::warn!(
                            ref_ext,
                            count = found.len(),
                            "several Dolibarr orders share this ref_ext; using the oldest"
                        );
                    }
                    order = found.into_iter().next();
                    id
                }
                None => {
                    // The thirdparty id we keep may have been deleted by hand in Dolibarr since (its order
                    // create would then fail with a business 500 forever): check it, and find or create the
                    // customer again when it is gone.
                    let socid = live_thirdparty(d, socid, ev, &mut report).await?;
                    let date = money::chain_noon(&ev.placed_at, d.timezone()).ok_or_else(|| DolibarrError::BadInput {
                        field: "placed_at",
                        reason: format!("{:?} is not an RFC 3339 date", ev.placed_at),
                    })?;
                    let body = json!({
                        "socid": socid,
                        "date": date,
                        "ref_client": ev.reference,
                        "ref_ext": ref_ext,
                        "note_private": format!(
                            "Commande boutique {} ({}, {}), paiement {}. Relayée par ocpizza-bridge.",
                            ev.reference, ev.restaurant, ev.fulfilment.as_str(), ev.payment_method
                        ),
                        "caller": "ocpizzabridge",
                    });
                    let id = d.client.create("/orders", &body).await?;
                    report.created.push("order");
                    id
                }
            };
            links::set_order(pool, ev.shop_order_id, id).await?;
            id
        }
    };

    let statut = order.as_ref().map(|o| model::int_field(o, "statut")).unwrap_or(status::DRAFT);
    let order = match order {
        Some(o) if statut != status::DRAFT => o,
        _ => {
            add_lines(d, order_id, ev, &mut report).await?;
            let body = json!({"idwarehouse": 0, "notrigger": 0});
            match d.client.post(&format!("/orders/{order_id}/validate"), &body).await? {
                Answer::Body(o) if o.is_object() => {
                    report.created.push("validation");
                    o
                }
                // 304: validated in the meantime; read it back.
                _ => d.client.get_object(&format!("/orders/{order_id}")).await?.ok_or_else(|| {
                    DolibarrError::Inconsistent(format!("order {order_id} disappeared from Dolibarr during validation"))
                })?,
            }
        }
    };

    let order_ref = model::str_field(&order, "ref").unwrap_or("").to_owned();
    let total = model::cents_field(&order, "total_ttc");
    let mismatch = match total {
        Some(t) => (t - ev.total_cents).abs() > 1,
        None => true,
    };
    if mismatch {
        tracing::warn!(
            shop_order_id = ev.shop_order_id,
            reference = %ev.reference,
            dolibarr_order = %order_ref,
            dolibarr_total_ttc = %total.map(money::cents_str).unwrap_or_else(|| "unknown".into()),
            shop_total = %money::cents_str(ev.total_cents),
            "Dolibarr order total differs from the shop total by more than one cent"
        );
    }
    links::set_order_validated(pool, ev.shop_order_id, &order_ref, total, mismatch).await?;

    Ok(Outcome::Done(json!({
        "thirdparty_id": socid,
        "order_id": order_id,
        "order_ref": order_ref,
        "order_status": model::int_field(&order, "statut"),
        "dolibarr_total_ttc": total.map(money::cents_str),
        "shop_total": money::cents_str(ev.total_cents),
        "total_mismatch": mismatch,
        "created": report.created,
        "products_created": report.products_created,
        "lines_added": report.lines_added,
    })))
}

/// Refuses, with the field and the reason, what Dolibarr could not take.
fn check(ev: &OrderCreated) -> Result<(), DolibarrError> {
    let bad = |field: &'static str, reason: String| Err(DolibarrError::BadInput { field, reason });
    model::check_ref("reference", &ev.reference)?;
    if ev.currency != "EUR" {
        return bad("currency", format!("{:?}: Dolibarr is kept in EUR (multicurrency off)", ev.currency));
    }
    if ev.total_cents < 0 {
        return bad("total_cents", "must not be negative".into());
    }
    if ev.lines.is_empty() {
        return bad("lines", "an order needs at least one line".into());
    }
    for (i, l) in ev.lines.iter().enumerate() {
        if l.quantity <= 0 {
            return bad("lines.quantity", format!("line {}: {} is not a positive quantity", i + 1, l.quantity));
        }
        if l.name.trim().is_empty() {
            return bad("lines.name", format!("line {}: empty", i + 1));
        }
        if money::rate_json(&l.vat_rate).is_none() {
            return bad("lines.vat_rate", format!("line {}: {:?} is not a rate between 0 and 100", i + 1, l.vat_rate));
        }
        match (l.kind, &l.sku) {
            (LineKind::Product, Some(sku)) => model::check_ref("lines.sku", sku)?,
            (LineKind::Product, None) => {
                return bad("lines.sku", format!("line {}: a product line needs its SKU", i + 1));
            }
            _ => {}
        }
    }
    Ok(())
}

/// `socid` when it still exists in Dolibarr, else the customer's thirdparty found or created again (the stale
/// mapping is forgotten first).
async fn live_thirdparty(
    d: &DolibarrDestination,
    socid: i64,
    ev: &OrderCreated,
    report: &mut Report,
) -> Result<i64, DolibarrError> {
    if d.client.get_object(&format!("/thirdparties/{socid}")).await?.is_some() {
        return Ok(socid);
    }
    tracing::warn!(
        shop_customer_id = ev.customer.shop_customer_id,
        thirdparty_id = socid,
        "the Dolibarr thirdparty kept for this customer no longer exists; finding or creating it again"
    );
    links::forget_customer(&d.pool, ev.customer.shop_customer_id, socid).await?;
    let id = thirdparty(d, &ev.customer, ev, report).await?;
    links::set_thirdparty(&d.pool, ev.shop_order_id, id).await?;
    Ok(id)
}

/// Finds the customer's thirdparty by ref_ext, then by e-mail (claiming it with our ref_ext), or creates it.
async fn thirdparty(
    d: &DolibarrDestination,
    c: &Customer,
    ev: &OrderCreated,
    report: &mut Report,
) -> Result<i64, DolibarrError> {
    if let Some(id) = links::customer(&d.pool, c.shop_customer_id).await? {
        return Ok(id);
    }
    // Two orders of a new customer may be relayed at once: one finds or creates, the other then finds.
    let Some(lock) =
        links::NamedLock::acquire(&d.pool, links::LockKind::Customer, c.shop_customer_id, super::LOCK_WAIT_SECS)
            .await?
    else {
        return Err(DolibarrError::NotYet(format!(
            "customer {} is being created by another worker",
            c.shop_customer_id
        )));
    };
    let result = find_or_create_thirdparty(d, c, ev, report).await;
    lock.release().await;
    result
}

/// Whether an existing thirdparty found by e-mail may become this shop customer's: the same address (case aside),
/// a customer record (`client` 1 customer or 3 customer and prospect; not a prospect, not a supplier: PrestaShop
/// does not verify addresses, so signing up with a supplier's would otherwise get its orders invoiced to that
/// company), and no other shop customer's (`ref_ext` empty).
fn claimable(t: &Value, email: &str) -> bool {
    let same = model::str_field(t, "email").is_some_and(|e| e.to_lowercase() == email.to_lowercase());
    let customer = matches!(model::int_field(t, "client"), 1 | 3);
    let supplier = model::int_field(t, "fournisseur") == 1;
    let free = matches!(model::str_field(t, "ref_ext"), None | Some(""));
    same && customer && !supplier && free
}

async fn find_or_create_thirdparty(
    d: &DolibarrDestination,
    c: &Customer,
    ev: &OrderCreated,
    report: &mut Report,
) -> Result<i64, DolibarrError> {
    if let Some(id) = links::customer(&d.pool, c.shop_customer_id).await? {
        return Ok(id);
    }
    let ref_ext = model::customer_ref_ext(c.shop_customer_id);
    let found = d.client.search("/thirdparties", &model::filter_eq("ref_ext", &ref_ext)?, 5).await?;
    let mut id = found.first().and_then(model::id_of);
    if id.is_none()
        && let Some(filter) = model::email_filter(&c.email)
    {
        // `mode=1` is Dolibarr's own "customers only" (`t.client IN (1, 3)`, Thirdparties::index()); the same is
        // checked here again, with the exact address (the filter may be a LIKE, the collation ignores accents).
        let by_email =
            d.client.search_with("/thirdparties", &filter, 50, &[("mode", "1")]).await?;
        // Several records may share an address: take the oldest customer record nobody claimed.
        let free = by_email.iter().find(|t| claimable(t, &c.email));
        if let Some(tid) = free.and_then(model::id_of) {
            d.client.put(&format!("/thirdparties/{tid}"), &json!({"ref_ext": ref_ext})).await?;
            report.created.push("thirdparty_claimed");
            id = Some(tid);
        }
    }
    let id = match id {
        Some(id) => id,
        None => {
            let name = format!("{} {}", c.first_name.trim(), c.last_name.trim()).trim().to_owned();
            if name.is_empty() {
                return Err(DolibarrError::BadInput {
                    field: "customer.last_name",
                    reason: "no name to give Dolibarr".into(),
                });
            }
            let mut body = json!({
                "name": name,
                "email": c.email,
                "phone": c.phone,
                "client": 1,
                "code_client": "-1",
                "ref_ext": ref_ext,
            });
            if let Some(a) = &ev.delivery_address {
                let address =
                    if a.line2.trim().is_empty() { a.line1.clone() } else { format!("{}\n{}", a.line1, a.line2) };
                body["address"] = json!(address);
                body["zip"] = json!(a.postcode);
                body["town"] = json!(a.city);
                body["country_code"] = json!(a.country);
            }
            let id = d.client.create("/thirdparties", &body).await?;
            report.created.push("thirdparty");
            id
        }
    };
    links::set_customer(&d.pool, c.shop_customer_id, id).await?;
    Ok(id)
}

/// Product by ref = SKU, created if missing, once: a MariaDB named lock per SKU keeps bridge processes from
/// creating it side by side (Dolibarr's own check-then-insert lets two creations race), and a refused creation is
/// looked up again — Dolibarr answers `ErrorProductAlreadyExists`, or a raw 500 "Duplicate entry 'SKU-1' for key
/// 'uk_product_ref'" when its insert lost that race against another client.
async fn product(d: &DolibarrDestination, l: &Line, sku: &str, report: &mut Report) -> Result<i64, DolibarrError> {
    if let Some(id) = d.cached_product(sku) {
        return Ok(id);
    }
    let Some(lock) = links::NamedLock::acquire_key(&d.pool, links::LockKind::Product, sku, super::LOCK_WAIT_SECS).await?
    else {
        return Err(DolibarrError::NotYet(format!("product {sku} is being created by another worker")));
    };
    let result = find_or_create_product(d, l, sku, report).await;
    lock.release().await;
    let id = result?;
    d.cache_product(sku, id);
    Ok(id)
}

async fn find_or_create_product(
    d: &DolibarrDestination,
    l: &Line,
    sku: &str,
    report: &mut Report,
) -> Result<i64, DolibarrError> {
    let filter = model::filter_eq("ref", sku)?;
    let lookup = || async {
        Ok::<_, DolibarrError>(d.client.search("/products", &filter, 2).await?.first().and_then(model::id_of))
    };
    if let Some(id) = lookup().await? {
        return Ok(id);
    }
    // Product::create() reads `price_ttc` when `price_base_type` is TTC (`price` is then ignored) and derives
    // HT with `tva_tx`: the menu's VAT-included price is stored as is.
    let body = json!({
        "ref": sku,
        "label": l.name,
        "type": 0,
        "price_ttc": money::cents_json(l.unit_price_cents),
        "price_base_type": "TTC",
        "tva_tx": money::rate_json(&l.vat_rate),
        "status": 1,
        "status_buy": 0,
    });
    match d.client.create("/products", &body).await {
        Ok(id) => {
            report.products_created.push(sku.to_owned());
            Ok(id)
        }
        Err(e @ DolibarrError::Api { status: 500, .. }) => match lookup().await? {
            Some(id) => {
                tracing::info!(sku, error = %e, "product created meanwhile by someone else; using it");
                Ok(id)
            }
            // A refusal that names a duplicate while the product cannot be seen yet: the other insert is not
            // committed yet; retry later. Any other 500 stays what it is.
            None if e.business_code().is_some_and(|c| c == "ErrorProductAlreadyExists" || c.contains("Duplicate")) => {
                Err(DolibarrError::NotYet(format!(
                    "product {sku} exists according to Dolibarr but cannot be found yet: {e}"
                )))
            }
            None => Err(e),
        },
        Err(e) => Err(e),
    }
}

async fn wanted_lines(
    d: &DolibarrDestination,
    ev: &OrderCreated,
    report: &mut Report,
) -> Result<Vec<Wanted>, DolibarrError> {
    let mut out = Vec::with_capacity(ev.lines.len());
    for l in &ev.lines {
        let fk_product = match (&l.kind, &l.sku) {
            (LineKind::Product, Some(sku)) => Some(product(d, l, sku, report).await?),
            _ => None,
        };
        out.push(Wanted {
            fk_product,
            desc: l.name.clone(),
            qty: l.quantity,
            price_ttc_cents: l.unit_price_cents,
            vat: money::rate_json(&l.vat_rate).unwrap_or(Value::Null),
            // Free lines (delivery fee, discount) are services; Dolibarr requires product_type on them.
            product_type: if fk_product.is_some() { 0 } else { 1 },
        });
    }
    Ok(out)
}

fn same_line(have: &Value, want: &Wanted) -> bool {
    let fk = have.get("fk_product").and_then(model::as_id).filter(|id| *id > 0);
    let qty = have.get("qty").and_then(|q| match q {
        Value::String(s) => money::parse_cents(s).map(|c| c / 100),
        Value::Number(n) => n.as_f64().map(|f| f as i64),
        _ => None,
    });
    let desc = model::str_field(have, "desc").or_else(|| model::str_field(have, "description")).unwrap_or("");
    fk == want.fk_product && qty == Some(want.qty) && (want.fk_product.is_some() || desc == want.desc)
}

/// Adds the lines the draft does not have yet. Lines are added in order, so what an interrupted attempt left is a
/// prefix of the wanted lines; anything else means the draft was edited by hand and is not ours to change.
async fn add_lines(
    d: &DolibarrDestination,
    order_id: i64,
    ev: &OrderCreated,
    report: &mut Report,
) -> Result<(), DolibarrError> {
    let wanted = wanted_lines(d, ev, report).await?;
    let have = d.client.list(&format!("/orders/{order_id}/lines"), &[]).await?;
    let prefix_ok = have.len() <= wanted.len() && have.iter().zip(&wanted).all(|(h, w)| same_line(h, w));
    if !prefix_ok {
        return Err(DolibarrError::Inconsistent(format!(
            "draft order {order_id} in Dolibarr has lines that differ from shop order {} ({} there, {} wanted): \
             fix or delete the draft in Dolibarr, then replay the delivery",
            ev.reference,
            have.len(),
            wanted.len()
        )));
    }
    for (i, w) in wanted.iter().enumerate().skip(have.len()) {
        let mut body = json!({
            "desc": w.desc,
            "qty": w.qty,
            "subprice": money::cents_json(w.price_ttc_cents),
            "price_base_type": "TTC",
            "tva_tx": w.vat,
            "product_type": w.product_type,
            "rang": i + 1,
        });
        if let Some(p) = w.fk_product {
            body["fk_product"] = json!(p);
        }
        d.client.create(&format!("/orders/{order_id}/lines"), &body).await?;
        report.lines_added += 1;
    }
    Ok(())
}
