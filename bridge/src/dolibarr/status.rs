//! `order.status_changed`: delivered / picked up → order closed; cancelled → back to draft with a note.
//!
//! Dolibarr's REST API (versions 20–23) has no cancel route for customer orders (`Commande::cancel()` is only in
//! the web UI), and `PUT /orders/{id}` does not change the status. What the API allows and keeps the history:
//! `POST /orders/{id}/settodraft` (a draft counts in no turnover or statistics) plus a private note saying the
//! order was cancelled in the shop. An order that already has an invoice is not touched: its cancellation is an
//! accounting act (a credit note), so it is only noted and flagged in `dolibarr_links.needs_review`.

use serde_json::json;

use ocpizza_core::events::StatusChanged;
use ocpizza_core::status::OrderStatus;

use super::client::Answer;
use super::error::DolibarrError;
use super::model::{self, status};
use super::{DolibarrDestination, links};
use crate::destination::Outcome;

pub(super) async fn apply(d: &DolibarrDestination, ev: &StatusChanged) -> Result<Outcome, DolibarrError> {
    match ev.to {
        OrderStatus::Delivered | OrderStatus::PickedUp => close(d, ev).await,
        OrderStatus::Cancelled => cancel(d, ev).await,
        other => Ok(Outcome::Skipped(format!("status {other} is not relayed to Dolibarr"))),
    }
}

async fn close(d: &DolibarrDestination, ev: &StatusChanged) -> Result<Outcome, DolibarrError> {
    let (_, order) = d.existing_order(ev.shop_order_id, &ev.reference, false).await?;
    let id = model::id_of(&order).unwrap_or_default();
    let already = model::int_field(&order, "statut") == status::CLOSED
        || d.client.post(&format!("/orders/{id}/close"), &json!({"notrigger": 0})).await? == Answer::NotModified;
    links::set_closed(&d.pool, ev.shop_order_id).await?;
    Ok(Outcome::Done(json!({"order_id": id, "closed": true, "already_closed": already, "status": ev.to.as_str()})))
}

async fn cancel(d: &DolibarrDestination, ev: &StatusChanged) -> Result<Outcome, DolibarrError> {
    // A draft is fine here: it is what an earlier attempt of this very cancellation leaves.
    let (link, order) = d.existing_order(ev.shop_order_id, &ev.reference, true).await?;
    let id = model::id_of(&order).unwrap_or_default();
    let mut note = format!("ANNULÉE dans la boutique le {}.", ev.changed_at);
    if let Some(n) = ev.note.as_deref().filter(|n| !n.trim().is_empty()) {
        note.push_str(&format!(" Motif : {}", n.trim()));
    }
    let invoices = {
        let mut ids = model::linked_ids(&order, "facture");
        ids.extend(link.invoice_id);
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let review = if invoices.is_empty() {
        let statut = model::int_field(&order, "statut");
        if statut != status::DRAFT && statut != status::CANCELLED {
            // 304 = already a draft.
            d.client.post(&format!("/orders/{id}/settodraft"), &json!({"idwarehouse": -1})).await?;
        }
        None
    } else {
        let review = format!(
            "order cancelled in the shop but invoiced in Dolibarr (invoice ids {invoices:?}): issue a credit note"
        );
        tracing::warn!(reference = %ev.reference, order_id = id, "{review}");
        Some(review)
    };
    // The note replaces the bridge's own note: setting it again on a retry changes nothing.
    let prior = model::str_field(&order, "note_private").unwrap_or("");
    if !prior.contains("ANNULÉE dans la boutique") {
        let text = if prior.is_empty() { note.clone() } else { format!("{prior}\n{note}") };
        d.client.put(&format!("/orders/{id}"), &json!({"note_private": text})).await?;
    }
    links::set_cancelled(&d.pool, ev.shop_order_id, review.as_deref()).await?;
    Ok(Outcome::Done(json!({
        "order_id": id,
        "cancelled": true,
        "set_to_draft": invoices.is_empty(),
        "needs_review": review,
    })))
}
