//! `order.paid`: invoice from the order, validated, with the payment recorded once.

use serde_json::{Value, json};

use ocpizza_core::events::PaymentEvent;

use super::client::Answer;
use super::error::DolibarrError;
use super::model::{self, status};
use super::{DolibarrDestination, links, money};
use crate::destination::Outcome;

pub(super) async fn apply(d: &DolibarrDestination, ev: &PaymentEvent) -> Result<Outcome, DolibarrError> {
    let pool = &d.pool;
    // A payment for an order already cancelled cannot be invoiced automatically: waiting for
    // the order to be validated again would only retry until dead. A person decides (refund or invoice).
    if let Some(l) = links::load(pool, ev.shop_order_id).await?.filter(|l| l.cancelled && l.invoice_id.is_none()) {
        let review = format!(
            "payment {} of {} received after the order was cancelled: refund it or invoice it by hand",
            ev.transaction_key,
            money::cents_str(ev.amount_cents)
        );
        tracing::warn!(reference = %ev.reference, "{review}");
        links::set_needs_review(pool, l.shop_order_id, &review).await?;
        return Ok(Outcome::Skipped(review));
    }
    let (link, order) = d.existing_order(ev.shop_order_id, &ev.reference, false).await?;
    let order_id = model::id_of(&order).unwrap_or_default();
    // The same, seen from Dolibarr (the bridge's own rows may have been lost): a cancelled order is not invoiced.
    if model::int_field(&order, "statut") == status::CANCELLED && link.invoice_id.is_none() {
        let review = format!(
            "payment {} of {} received for order {order_id}, cancelled in Dolibarr: refund it or invoice it by hand",
            ev.transaction_key,
            money::cents_str(ev.amount_cents)
        );
        tracing::warn!(reference = %ev.reference, "{review}");
        links::set_needs_review(pool, ev.shop_order_id, &review).await?;
        return Ok(Outcome::Skipped(review));
    }
    let mut created: Vec<&'static str> = Vec::new();

    // Look up before creating: the id we stored, the invoices linked to the order, then by customer ref.
    let invoice_id = match link.invoice_id {
        Some(id) => id,
        None => {
            let id = match model::linked_ids(&order, "facture").first() {
                Some(id) => *id,
                None => match find_by_ref_client(d, &ev.reference, order_id).await? {
                    Some(id) => id,
                    None => {
                        let inv = d.client.post(&format!("/invoices/createfromorder/{order_id}"), &json!({})).await?;
                        created.push("invoice");
                        match inv {
                            Answer::Body(v) => model::id_of(&v).or_else(|| model::as_id(&v)),
                            Answer::NotModified => None,
                        }
                        .ok_or_else(|| DolibarrError::Unexpected {
                            method: "POST",
                            path: format!("/invoices/createfromorder/{order_id}"),
                            reason: "no invoice id in the answer".into(),
                        })?
                    }
                },
            };
            links::set_invoice(pool, ev.shop_order_id, id).await?;
            id
        }
    };

    let path = format!("/invoices/{invoice_id}");
    let mut invoice = d.client.get_object(&path).await?.ok_or_else(|| {
        DolibarrError::Inconsistent(format!(
            "invoice {invoice_id} of order {} no longer exists in Dolibarr",
            ev.reference
        ))
    })?;
    // Dated the chain's day of the payment: Facture::createFromOrder() dates it `dol_now()` in Dolibarr's
    // timezone. Invoices::put() + Facture::update() write `datef` while it is a draft (it is numbered from it).
    let date = money::chain_noon(&ev.occurred_at, d.timezone()).ok_or_else(|| DolibarrError::BadInput {
        field: "occurred_at",
        reason: format!("{:?} is not an RFC 3339 date", ev.occurred_at),
    })?;
    if model::int_field(&invoice, "statut") == status::DRAFT {
        d.client.put(&path, &json!({"date": date})).await?;
        match d.client.post(&format!("{path}/validate"), &json!({"idwarehouse": 0, "notrigger": 0})).await? {
            Answer::Body(v) if v.is_object() => {
                created.push("invoice_validation");
                invoice = v;
            }
            _ => {
                invoice = d.client.get_object(&path).await?.unwrap_or(invoice);
            }
        }
    }
    let invoice_ref = model::str_field(&invoice, "ref").unwrap_or("").to_owned();
    links::set_invoice_validated(pool, ev.shop_order_id, &invoice_ref).await?;

    let invoice_total = model::cents_field(&invoice, "total_ttc");
    let amount_mismatch = invoice_total.is_some_and(|t| (t - ev.amount_cents).abs() > 1);
    if amount_mismatch {
        tracing::warn!(
            reference = %ev.reference,
            invoice = %invoice_ref,
            invoice_total = %invoice_total.map(money::cents_str).unwrap_or_default(),
            paid = %money::cents_str(ev.amount_cents),
            "the amount paid differs from the Dolibarr invoice total; the payment settles the invoice anyway"
        );
    }

    // One payment only: a paid invoice, or one that already lists a payment, is left alone (its id recorded).
    let already_paid =
        model::int_field(&invoice, "paye") == 1 || model::int_field(&invoice, "statut") == status::INVOICE_PAID;
    let (payment_id, already) = if link.paid && link.payment_id.is_some() {
        (link.payment_id, true)
    } else {
        let existing = d.client.list(&format!("{path}/payments"), &[]).await?;
        if !existing.is_empty() || already_paid || link.paid {
            // Paid before (by an earlier attempt whose answer was lost, or the bookkeeping is being rebuilt):
            // find that payment's id through its bank line.
            (existing_payment_id(d, &existing, &ev.provider).await?, true)
        } else {
            // Each method with its own payment type and bank account (a cash box can be a cash account).
            let (paymentid, code, accountid) = d.payment_for(&ev.provider).await?;
            let body = json!({
                "datepaye": date,
                "paymentid": paymentid,
                "closepaidinvoices": "yes",
                "accountid": accountid,
                "num_payment": ev.reference,
                "comment": format!(
                    "{} ({}) {}",
                    ev.provider,
                    code,
                    ev.transaction_id.as_deref().unwrap_or(&ev.transaction_key)
                ),
            });
            let id = d.client.create(&format!("{path}/payments"), &body).await?;
            created.push("payment");
            (Some(id), false)
        }
    };
    links::set_paid(pool, ev.shop_order_id, payment_id).await?;

    if model::int_field(&order, "billed") != 1 {
        d.client.post(&format!("/orders/{order_id}/setinvoiced"), &json!({})).await?;
    }

    Ok(Outcome::Done(json!({
        "order_id": order_id,
        "invoice_id": invoice_id,
        "invoice_ref": invoice_ref,
        "payment_id": payment_id,
        "already_paid": already,
        "amount_mismatch": amount_mismatch,
        "created": created,
    })))
}

/// The id of a payment Dolibarr already has for an invoice. `GET /invoices/{id}/payments` lists payments without
/// their id (CommonInvoice::getListOfPayments() gives amount, type, date, num, ref, ref_ext, fk_bank_line), so it
/// is read from the payment's bank line: `GET /bankaccounts/{account}/lines/{line}/links` (Account::get_url())
/// has the `payment` link whose `url_id` is the payment. `None` (logged) when Dolibarr gives no bank line.
pub(super) async fn existing_payment_id(
    d: &DolibarrDestination,
    payments: &[Value],
    provider: &str,
) -> Result<Option<i64>, DolibarrError> {
    // Any existing account does: get_url() reads the line's links whatever account it is on.
    let account = d.cfg.bank_account(provider);
    for p in payments {
        let Some(line) = p.get("fk_bank_line").and_then(model::as_id).filter(|l| *l > 0) else {
            continue;
        };
        let links = d.client.list(&format!("/bankaccounts/{account}/lines/{line}/links"), &[]).await?;
        let payment = links.iter().find(|l| model::str_field(l, "type") == Some("payment"));
        if let Some(id) = payment.and_then(|l| l.get("url_id")).and_then(model::as_id) {
            return Ok(Some(id));
        }
    }
    tracing::warn!(count = payments.len(), "invoice already paid but its payment id cannot be read back from Dolibarr");
    Ok(None)
}

/// An invoice with the shop reference as customer ref, preferably one linked to this order.
async fn find_by_ref_client(
    d: &DolibarrDestination,
    reference: &str,
    order_id: i64,
) -> Result<Option<i64>, DolibarrError> {
    let found: Vec<Value> = d.client.search("/invoices", &model::filter_eq("ref_client", reference)?, 10).await?;
    // Credit notes of the order's refunds carry the same ref_client: never the order's invoice.
    let found: Vec<Value> = found.into_iter().filter(|inv| model::int_field(inv, "type") != 2).collect();
    let linked = found.iter().find(|inv| model::linked_ids(inv, "commande").contains(&order_id));
    Ok(linked.or(found.first()).and_then(model::id_of))
}
