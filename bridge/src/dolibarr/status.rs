//! `order.status_changed`: delivered / picked up → order closed; cancelled → Dolibarr's cancelled status.
//!
//! Dolibarr's REST API (20–23) has no cancel route for customer orders: `Commande::cancel()` (validated → −1,
//! stock put back, ORDER_CANCEL trigger) is only reachable from the web UI. `PUT /orders/{id}` with
//! `"status": -1` writes the same status (Orders::put() copies the field, Commande::update() writes `fk_statut`;
//! verified on 23.0.0-beta, shared/reference/dolibarr-credit-notes.md) without `cancel()`'s checks, stock return
//! and trigger. The bridge uses it, only where those do not matter: a draft or a validated order, never invoiced —
//! the bridge validates with `idwarehouse` 0, so no stock was taken — and the order then shows as "Cancelled" in
//! every list and is no longer offered for validation, shipping or invoicing. A private note says when and why.
//! An invoiced order is not touched: its cancellation is an accounting act (a credit note), so it is noted and
//! flagged in `dolibarr_links.needs_review`; so is one already shipped or closed in Dolibarr. The flag goes when
//! the order is refunded in full (`order.refunded`, refund.rs makes the credit note).

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
    // A draft is fine here: an order never validated, or set back to draft by an older bridge.
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
    let statut = model::int_field(&order, "statut");
    let mut body = serde_json::Map::new();
    let review = if !invoices.is_empty() {
        Some(format!(
            "order cancelled in the shop but invoiced in Dolibarr (invoice ids {invoices:?}): issue a credit note"
        ))
    } else if statut == status::DRAFT || statut == status::VALIDATED {
        // Dolibarr's own cancelled status, written as Orders::put() allows (see the module comment).
        body.insert("status".into(), json!(status::CANCELLED));
        None
    } else if statut == status::CANCELLED {
        None
    } else {
        Some(format!(
            "order cancelled in the shop but already shipped or closed in Dolibarr (status {statut}): check it by hand"
        ))
    };
    if let Some(r) = &review {
        tracing::warn!(reference = %ev.reference, order_id = id, "{r}");
    }
    // The note is appended once: a retry finds it and adds nothing.
    let prior = model::str_field(&order, "note_private").unwrap_or("");
    if !prior.contains("ANNULÉE dans la boutique") {
        let text = if prior.is_empty() { note.clone() } else { format!("{prior}\n{note}") };
        body.insert("note_private".into(), json!(text));
    }
    if !body.is_empty() {
        d.client.put(&format!("/orders/{id}"), &serde_json::Value::Object(body)).await?;
    }
    links::set_cancelled(&d.pool, ev.shop_order_id, review.as_deref()).await?;
    Ok(Outcome::Done(json!({
        "order_id": id,
        "cancelled": true,
        "cancelled_in_dolibarr": review.is_none(),
        "needs_review": review,
    })))
}
