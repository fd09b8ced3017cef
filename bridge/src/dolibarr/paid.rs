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
    // A payment for an order already cancelled (set back to draft) cannot be invoiced automatically: waiting for
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
    if model::int_field(&invoice, "statut") == status::DRAFT {
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

    // One payment only: a paid invoice, or one that already lists a payment, is left alone.
    let already_paid =
        model::int_field(&invoice, "paye") == 1 || model::int_field(&invoice, "statut") == status::INVOICE_PAID;
    let payment_id = if already_paid || link.paid {
        None
    } else {
        let existing = d.client.list(&format!("{path}/payments"), &[]).await?;
        if !existing.is_empty() {
            None
        } else {
            let paymentid = d.payment_type_id_for(&ev.provider).await?;
            let datepaye = money::unix(&ev.occurred_at).ok_or_else(|| DolibarrError::BadInput {
                field: "occurred_at",
                reason: format!("{:?} is not an RFC 3339 date", ev.occurred_at),
            })?;
            let body = json!({
                "datepaye": datepaye,
                "paymentid": paymentid,
                "closepaidinvoices": "yes",
                "accountid": d.bank_account_id,
                "num_payment": ev.reference,
                "comment": format!("{} {}", ev.provider, ev.transaction_id.as_deref().unwrap_or(&ev.transaction_key)),
            });
            let id = d.client.create(&format!("{path}/payments"), &body).await?;
            created.push("payment");
            Some(id)
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
        "already_paid": payment_id.is_none(),
        "amount_mismatch": amount_mismatch,
        "created": created,
    })))
}

/// An invoice with the shop reference as customer ref, preferably one linked to this order.
async fn find_by_ref_client(
    d: &DolibarrDestination,
    reference: &str,
    order_id: i64,
) -> Result<Option<i64>, DolibarrError> {
    let found: Vec<Value> = d.client.search("/invoices", &model::filter_eq("ref_client", reference)?, 10).await?;
    let linked = found.iter().find(|inv| model::linked_ids(inv, "commande").contains(&order_id));
    Ok(linked.or(found.first()).and_then(model::id_of))
}
