//! `order.refunded`: a credit note (avoir) against the order's invoice, validated, and the money paid back.
//!
//! Steps, each looked up before it is done and its id stored in `dolibarr_refunds` (keyed by the refund's
//! `transaction_key`) as soon as Dolibarr answers, so that a retry after a failure between two steps resumes:
//! 1. the order's invoice: the link's, else the order's linked invoices, else by `ref_client`. None → flagged
//!    (`needs_review`), nothing guessed; see [`not_invoiced`];
//! 2. the credit note: the stored id, else found by its `ref_ext` `RF-<shop order>-<hash of the key>`, else
//!    `POST /invoices` `type` 2 with `fk_facture_source` = the invoice;
//! 3. its lines while it is a draft, only those not there yet (by position; see [`plan_lines`]);
//! 4. validated (a 304 is "already validated");
//! 5. the refund: `POST /invoices/paymentsdistributed` with the refund's amount, positive, and
//!    `accepthigherpayment`, on the payment type and bank account of the refunded payment's provider — never
//!    `POST /invoices/{id}/payments`, which books a credit note's refund as money *in*
//!    (shared/reference/dolibarr-credit-notes.md §4). Skipped when the credit note already has a payment.
//!
//! Amounts on a credit note are all negative in Dolibarr: Facture::addline() stores "quantity always positive
//! and unit price negative" (`-abs()` of the price and of every total) for `type` 2, whatever sign is sent.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sqlx::{MySqlPool, Row};

use ocpizza_core::events::RefundEvent;

use super::client::Answer;
use super::error::DolibarrError;
use super::model::{self, status};
use super::{DolibarrDestination, links, money};
use crate::destination::Outcome;

/// `Facture::TYPE_CREDIT_NOTE`.
const CREDIT_NOTE: i64 = 2;

/// What the bridge knows of one refund in Dolibarr (`dolibarr_refunds`).
#[derive(Debug, Clone, Default, PartialEq)]
struct RefundLink {
    invoice_id: Option<i64>,
    credit_note_id: Option<i64>,
    credit_note_ref: Option<String>,
    validated: bool,
    payment_id: Option<i64>,
    paid: bool,
}

/// `ref_ext` of the credit note of a refund: filter- and WAF-safe whatever the refund's key holds.
pub fn credit_note_ref_ext(shop_order_id: i64, transaction_key: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, transaction_key.as_bytes());
    let hex: String = digest.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("RF-{shop_order_id}-{hex}")
}

pub(super) async fn apply(d: &DolibarrDestination, ev: &RefundEvent) -> Result<Outcome, DolibarrError> {
    model::check_ref("reference", &ev.reference)?;
    if ev.amount_cents <= 0 {
        return Err(DolibarrError::BadInput { field: "amount_cents", reason: "must be a positive number of cents".into() });
    }
    let pool = &d.pool;
    let mut row = ensure(pool, ev).await?;
    let link = links::ensure(pool, ev.shop_order_id, &ev.reference, None).await?;
    let ref_ext = credit_note_ref_ext(ev.shop_order_id, &ev.transaction_key);
    let mut created: Vec<&'static str> = Vec::new();

    // 1. The invoice credited.
    let invoice_id = match row.invoice_id.or(link.invoice_id) {
        Some(id) => Some(id),
        None => find_invoice(d, ev, &link).await?,
    };
    let Some(invoice_id) = invoice_id else {
        return not_invoiced(d, ev, &link, None).await;
    };
    let invoice = d.client.get_object(&format!("/invoices/{invoice_id}")).await?.ok_or_else(|| {
        DolibarrError::Inconsistent(format!("invoice {invoice_id} of order {} no longer exists in Dolibarr", ev.reference))
    })?;
    if model::int_field(&invoice, "statut") == status::DRAFT {
        return not_invoiced(d, ev, &link, Some(invoice_id)).await;
    }
    if row.invoice_id.is_none() {
        set(pool, &ev.transaction_key, "invoice_id = ?", Some(invoice_id)).await?;
    }
    let socid = invoice.get("socid").and_then(model::as_id).or(link.thirdparty_id).unwrap_or_default();
    let date = money::chain_noon(&ev.occurred_at, d.timezone()).ok_or_else(|| DolibarrError::BadInput {
        field: "occurred_at",
        reason: format!("{:?} is not an RFC 3339 date", ev.occurred_at),
    })?;

    // 2. The credit note: stored, else found by ref_ext, else created (its id stored at once).
    let credit_note_id = match row.credit_note_id {
        Some(id) => id,
        None => {
            let found = d.client.search("/invoices", &model::filter_eq("ref_ext", &ref_ext)?, 5).await?;
            let found = found.iter().find(|i| model::int_field(i, "type") == CREDIT_NOTE).and_then(model::id_of);
            let id = match found {
                Some(id) => id,
                None => {
                    if let Some(review) = made_by_hand(d, ev, invoice_id).await? {
                        tracing::warn!(reference = %ev.reference, "{review}");
                        set_review(pool, &ev.transaction_key, Some(&review)).await?;
                        links::set_needs_review(pool, ev.shop_order_id, &review).await?;
                        return Ok(Outcome::Skipped(review));
                    }
                    let body = json!({
                        "socid": socid,
                        "type": CREDIT_NOTE,
                        "fk_facture_source": invoice_id,
                        "date": date,
                        "ref_client": ev.reference,
                        "ref_ext": ref_ext,
                        "note_private": note(ev),
                    });
                    let id = d.client.create("/invoices", &body).await?;
                    created.push("credit_note");
                    id
                }
            };
            set(pool, &ev.transaction_key, "credit_note_id = ?", Some(id)).await?;
            row.credit_note_id = Some(id);
            id
        }
    };
    let path = format!("/invoices/{credit_note_id}");
    let mut credit_note = d.client.get_object(&path).await?.ok_or_else(|| {
        DolibarrError::Inconsistent(format!(
            "credit note {credit_note_id} of refund {} no longer exists in Dolibarr",
            ev.transaction_key
        ))
    })?;

    // 3. and 4. Lines and validation, while it is a draft.
    let mut full_copy = false;
    if model::int_field(&credit_note, "statut") == status::DRAFT {
        let (planned, copied) = plan_lines(ev, &invoice)?;
        full_copy = copied;
        let existing = lines_of(&credit_note);
        if existing.len() > planned.len() {
            return Err(DolibarrError::Inconsistent(format!(
                "credit note {credit_note_id} has {} lines, more than the {} planned: check it by hand",
                existing.len(),
                planned.len()
            )));
        }
        // A line whose answer was lost is there already: add only the ones after it.
        for line in &planned[existing.len()..] {
            d.client.create(&format!("{path}/lines"), line).await?;
            created.push("credit_note_line");
        }
        match d.client.post(&format!("{path}/validate"), &json!({"idwarehouse": 0, "notrigger": 0})).await? {
            Answer::Body(v) if v.is_object() => {
                created.push("credit_note_validation");
                credit_note = v;
            }
            _ => credit_note = d.client.get_object(&path).await?.unwrap_or(credit_note),
        }
    }
    let credit_note_ref = model::str_field(&credit_note, "ref").unwrap_or("").to_owned();
    if !row.validated || row.credit_note_ref.as_deref() != Some(credit_note_ref.as_str()) {
        set_validated(pool, &ev.transaction_key, &credit_note_ref).await?;
    }
    // The credit note's total is −(the refund): the lines are planned so; a difference is reported, not hidden.
    let credit_total = model::cents_field(&credit_note, "total_ttc").map(|c| -c);
    let amount_mismatch = credit_total.is_some_and(|t| t != ev.amount_cents);
    if amount_mismatch {
        tracing::warn!(
            reference = %ev.reference,
            credit_note = %credit_note_ref,
            total = %credit_total.map(money::cents_str).unwrap_or_default(),
            refund = %money::cents_str(ev.amount_cents),
            "the credit note total differs from the refund"
        );
    }

    // 5. The refund payment, once.
    let (payment_id, already_paid) = if row.paid {
        (row.payment_id, true)
    } else {
        let existing = d.client.list(&format!("{path}/payments"), &[]).await?;
        if !existing.is_empty() || model::int_field(&credit_note, "paye") == 1 {
            (super::paid::existing_payment_id(d, &existing, &ev.provider).await?, true)
        } else {
            let (paymentid, code, accountid) = d.payment_for(&ev.provider).await?;
            // A positive amount with accepthigherpayment: Invoices::addPaymentDistributed() compares it with the
            // credit note's (negative) remain, then books −amount for a credit note (−1 × amount in 20/21,
            // −abs(amount) in 23): money out on both. "remain" would give +amount (money in) on 20/21.
            let mut amounts = serde_json::Map::new();
            amounts.insert(
                credit_note_id.to_string(),
                json!({"amount": money::cents_json(ev.amount_cents), "multicurrency_amount": ""}),
            );
            let body = json!({
                "arrayofamounts": amounts,
                "datepaye": date,
                "paymentid": paymentid,
                "closepaidinvoices": "yes",
                "accountid": accountid,
                "num_payment": ev.reference,
                "ref_ext": ref_ext,
                "accepthigherpayment": true,
                "comment": format!(
                    "Remboursement {} ({}) {}",
                    ev.provider,
                    code,
                    ev.transaction_id.as_deref().unwrap_or(&ev.transaction_key)
                ),
            });
            let id = d.client.create("/invoices/paymentsdistributed", &body).await?;
            created.push("refund_payment");
            (Some(id), false)
        }
    };
    set_paid(pool, &ev.transaction_key, payment_id).await?;

    // The cancel-after-payment flag (status.rs, paid.rs) asked for this: gone once everything paid is given back.
    let review_cleared = ev.full && link.cancelled && link.needs_review.is_some();
    if review_cleared {
        clear_order_review(pool, ev.shop_order_id).await?;
    }
    Ok(Outcome::Done(json!({
        "invoice_id": invoice_id,
        "credit_note_id": credit_note_id,
        "credit_note_ref": credit_note_ref,
        "lines_copied": full_copy,
        "payment_id": payment_id,
        "already_paid": already_paid,
        "amount_mismatch": amount_mismatch,
        "review_cleared": review_cleared,
        "created": created,
    })))
}

/// A credit note someone made by hand against the invoice (as the `needs_review` of a cancelled, invoiced order
/// asked before the bridge wrote credit notes; found by `fk_facture_source`, not one of the bridge's `RF-…`):
/// crediting again would give the money back twice in the books, so the refund is flagged instead.
async fn made_by_hand(
    d: &DolibarrDestination,
    ev: &RefundEvent,
    invoice_id: i64,
) -> Result<Option<String>, DolibarrError> {
    let filter = model::filter_eq("fk_facture_source", &invoice_id.to_string())?;
    let ours = format!("RF-{}-", ev.shop_order_id);
    let found = d.client.search("/invoices", &filter, 20).await?;
    let manual: Vec<&str> = found
        .iter()
        .filter(|i| model::int_field(i, "type") == CREDIT_NOTE)
        .filter(|i| !model::str_field(i, "ref_ext").is_some_and(|r| r.starts_with(&ours)))
        .map(|i| model::str_field(i, "ref").unwrap_or("?"))
        .collect();
    Ok((!manual.is_empty()).then(|| {
        format!(
            "refund {} of {} for order {}: invoice {invoice_id} already has credit note(s) {} made outside the \
             bridge; nothing credited again, check by hand",
            ev.transaction_key,
            money::cents_str(ev.amount_cents),
            ev.reference,
            manual.join(", ")
        )
    }))
}

/// The order's standard invoice in Dolibarr when the bridge has none recorded: the order's linked invoices, then
/// an invoice with the shop reference as `ref_client` (credit notes carry it too: only `type` 0 counts).
async fn find_invoice(
    d: &DolibarrDestination,
    ev: &RefundEvent,
    link: &links::Link,
) -> Result<Option<i64>, DolibarrError> {
    let order = match link.order_id {
        Some(id) => d.client.get_object(&format!("/orders/{id}")).await?,
        None => {
            let filter = model::filter_eq("ref_ext", &model::order_ref_ext(ev.shop_order_id))?;
            d.client.search("/orders", &filter, 5).await?.into_iter().next()
        }
    };
    let order_id = order.as_ref().and_then(model::id_of);
    if let Some(id) = order.as_ref().and_then(|o| model::linked_ids(o, "facture").first().copied()) {
        links::set_invoice(&d.pool, ev.shop_order_id, id).await?;
        return Ok(Some(id));
    }
    let found = d.client.search("/invoices", &model::filter_eq("ref_client", &ev.reference)?, 10).await?;
    let standard: Vec<&Value> = found.iter().filter(|i| model::int_field(i, "type") != CREDIT_NOTE).collect();
    let pick = standard
        .iter()
        .find(|inv| order_id.is_some_and(|o| model::linked_ids(inv, "commande").contains(&o)))
        .or(standard.first())
        .and_then(|inv| model::id_of(inv));
    if let Some(id) = pick {
        links::set_invoice(&d.pool, ev.shop_order_id, id).await?;
    }
    Ok(pick)
}

/// A refund of an order with no (validated) invoice in Dolibarr. Nothing is guessed:
/// - an earlier Dolibarr delivery of the order (`order.created` / `order.paid`) is dead → this one fails too
///   (dead, naming it): replaying the dead deliveries puts them back in order, the invoice first;
/// - the order was cancelled and its payment never reached Dolibarr (paid.rs flagged "refund it or invoice it by
///   hand") and this refund gives everything back → nothing to credit, the flag is cleared;
/// - otherwise → flagged in `dolibarr_links.needs_review` and in `dolibarr_refunds`, the delivery done (skipped).
///
/// An `order.paid` still pending cannot be waited for here: the events of one order reach Dolibarr in arrival
/// order (queue.rs), so a payment still pending arrived *after* this refund and waits behind it; retrying would
/// only hold both until this one died.
async fn not_invoiced(
    d: &DolibarrDestination,
    ev: &RefundEvent,
    link: &links::Link,
    draft: Option<i64>,
) -> Result<Outcome, DolibarrError> {
    let dead: Option<(i64, String)> = sqlx::query_as(
        "SELECT d.id, i.event_type FROM deliveries d JOIN inbox i ON i.id = d.inbox_id \
         WHERE d.destination = 'dolibarr' AND d.status = 'dead' AND i.shop_order_id = ? \
         AND i.event_type IN ('order.created', 'order.paid') ORDER BY d.id LIMIT 1",
    )
    .bind(ev.shop_order_id)
    .fetch_optional(&d.pool)
    .await?;
    if let Some((id, event_type)) = dead {
        return Err(DolibarrError::Blocked(format!(
            "order {} is not invoiced in Dolibarr because its {event_type} delivery {id} is dead: replay the dead \
             deliveries (that one first), this refund after it",
            ev.reference
        )));
    }
    if draft.is_none() && link.cancelled && ev.full {
        if link.needs_review.is_some() {
            clear_order_review(&d.pool, ev.shop_order_id).await?;
        }
        let why = format!(
            "order {} was cancelled and never invoiced in Dolibarr: the payment refunded was never booked there, \
             nothing to credit",
            ev.reference
        );
        set_review(&d.pool, &ev.transaction_key, None).await?;
        return Ok(Outcome::Skipped(why));
    }
    let review = match draft {
        Some(id) => format!(
            "refund {} of {} for order {}: its invoice {id} is still a draft in Dolibarr; nothing credited, make \
             the credit note by hand once the invoice is validated",
            ev.transaction_key,
            money::cents_str(ev.amount_cents),
            ev.reference
        ),
        None => format!(
            "refund {} of {} for order {}, which is not invoiced in Dolibarr: nothing credited; if an invoice \
             appears later, make the credit note by hand",
            ev.transaction_key,
            money::cents_str(ev.amount_cents),
            ev.reference
        ),
    };
    tracing::warn!(reference = %ev.reference, "{review}");
    set_review(&d.pool, &ev.transaction_key, Some(&review)).await?;
    links::set_needs_review(&d.pool, ev.shop_order_id, &review).await?;
    Ok(Outcome::Skipped(review))
}

/// The private note of a credit note: what the refund was, for the accountant.
fn note(ev: &RefundEvent) -> String {
    let mut n = format!(
        "Remboursement {} de la commande {} ({}, demandé par {}{}), transaction {}.",
        money::cents_str(ev.amount_cents),
        ev.reference,
        if ev.full { "total" } else { "partiel" },
        ev.source,
        ev.requested_by.as_deref().map(|r| format!(" : {r}")).unwrap_or_default(),
        ev.transaction_id.as_deref().unwrap_or(&ev.transaction_key),
    );
    if let Some(r) = ev.reason.as_deref().filter(|r| !r.trim().is_empty()) {
        n.push_str(&format!(" Motif : {}", r.trim()));
    }
    n
}

/// The lines of an invoice object (`lines`), `[]` when absent.
fn lines_of(invoice: &Value) -> Vec<Value> {
    invoice.get("lines").and_then(Value::as_array).cloned().unwrap_or_default()
}

/// A VAT rate as hundredths of a percent (`"5.50000000"` → 550), the key lines are grouped by.
fn rate_key(line: &Value) -> i64 {
    model::cents_field(line, "tva_tx").unwrap_or(0)
}

/// The lines of the credit note, and whether they are the invoice's own lines.
///
/// - Everything the invoice took is refunded at once (the refund is the invoice's total and the first refund):
///   the invoice's lines are copied — same products, quantities, VAT rates and prices (tax included, so each
///   line's total is the invoice line's exactly). A line with a negative amount (a discount) cannot be written
///   on a credit note through the API (Facture::addline() makes every credit-note amount −abs), so the lines of
///   a VAT rate that has a discount become one line per rate, "Remboursement … (TVA x %)", of the rate's net.
/// - Any other amount (partial refunds, the rest after partial refunds): split over the invoice's VAT rates in
///   proportion to its net TTC per rate (rates whose net is not positive left out), cents by the largest
///   remainder (ties to the higher rate), so that the lines add up to the refund exactly; one line per rate.
fn plan_lines(ev: &RefundEvent, invoice: &Value) -> Result<(Vec<Value>, bool), DolibarrError> {
    let lines = lines_of(invoice);
    let mut per_rate: BTreeMap<i64, i64> = BTreeMap::new();
    let mut discounted: Vec<i64> = Vec::new();
    for l in &lines {
        let ttc = model::cents_field(l, "total_ttc").unwrap_or(0);
        *per_rate.entry(rate_key(l)).or_default() += ttc;
        if ttc < 0 {
            discounted.push(rate_key(l));
        }
    }
    let invoice_total = model::cents_field(invoice, "total_ttc").unwrap_or(0);
    let rate_line = |rate: i64, cents: i64, what: &str| {
        json!({
            "desc": format!("{what} de la commande {} (TVA {} %)", ev.reference, rate_str(rate)),
            "product_type": 1,
            "qty": 1,
            "subprice": money::cents_json(cents),
            "price_base_type": "TTC",
            "tva_tx": money::cents_json(rate),
        })
    };
    let whole = ev.amount_cents == invoice_total && ev.refunded_total_cents == ev.amount_cents;
    if whole && per_rate.values().all(|v| *v >= 0) {
        let mut out = Vec::new();
        let mut folded: Vec<i64> = Vec::new();
        for l in &lines {
            let rate = rate_key(l);
            if discounted.contains(&rate) {
                if !folded.contains(&rate) && per_rate[&rate] > 0 {
                    out.push(rate_line(rate, per_rate[&rate], "Remboursement"));
                }
                folded.push(rate);
                continue;
            }
            let ttc = model::cents_field(l, "total_ttc").unwrap_or(0);
            if ttc == 0 {
                continue;
            }
            out.push(copy_line(l, ttc));
        }
        return Ok((out, true));
    }
    let shares: Vec<(i64, i64)> = per_rate.into_iter().filter(|(_, v)| *v > 0).collect();
    let base: i64 = shares.iter().map(|(_, v)| v).sum();
    if base <= 0 {
        return Err(DolibarrError::Inconsistent(format!(
            "invoice {} has no positive amount to credit the refund {} against",
            model::str_field(invoice, "ref").unwrap_or("?"),
            ev.transaction_key
        )));
    }
    let split = split_cents(ev.amount_cents, &shares);
    let what = if ev.full && !whole { "Remboursement (solde)" } else { "Remboursement partiel" };
    Ok((split.into_iter().filter(|(_, c)| *c > 0).map(|(r, c)| rate_line(r, c, what)).collect(), false))
}

/// One invoice line on the credit note: its product, VAT rate and quantity, the unit price tax included. When the
/// line total is not a whole number of cents per unit, one unit of the whole total ("3 × …") keeps it exact.
fn copy_line(l: &Value, ttc: i64) -> Value {
    let desc = model::str_field(l, "desc")
        .or_else(|| model::str_field(l, "description"))
        .or_else(|| model::str_field(l, "label"))
        .unwrap_or("Ligne")
        .to_owned();
    let qty_cents = model::cents_field(l, "qty").unwrap_or(100);
    let (qty, unit, desc) = if qty_cents > 0 && qty_cents % 100 == 0 && ttc % (qty_cents / 100) == 0 {
        (qty_cents / 100, ttc / (qty_cents / 100), desc)
    } else {
        (1, ttc, format!("{} × {desc}", money::cents_str(qty_cents).trim_end_matches(".00")))
    };
    let mut line = json!({
        "desc": desc,
        "product_type": model::int_field(l, "product_type"),
        "qty": qty,
        "subprice": money::cents_json(unit),
        "price_base_type": "TTC",
        "tva_tx": money::cents_json(rate_key(l)),
    });
    if let Some(p) = l.get("fk_product").and_then(model::as_id).filter(|p| *p > 0) {
        line["fk_product"] = json!(p);
    }
    line
}

/// `amount` split in proportion to `shares` (key, weight > 0), in whole cents adding up to `amount`: floors
/// first, then one cent each to the largest remainders (ties: the later key, i.e. the higher VAT rate).
pub fn split_cents(amount: i64, shares: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let total: i128 = shares.iter().map(|(_, w)| i128::from(*w)).sum();
    if total <= 0 {
        return Vec::new();
    }
    let mut parts: Vec<(i64, i64, i128)> = shares
        .iter()
        .map(|(k, w)| {
            let exact = i128::from(amount) * i128::from(*w);
            (*k, (exact / total) as i64, exact % total)
        })
        .collect();
    let mut left = amount - parts.iter().map(|p| p.1).sum::<i64>();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|a, b| parts[*b].2.cmp(&parts[*a].2).then(b.cmp(a)));
    for i in order {
        if left == 0 {
            break;
        }
        parts[i].1 += 1;
        left -= 1;
    }
    parts.into_iter().map(|(k, c, _)| (k, c)).collect()
}

/// 1000 → "10", 550 → "5.5", 210 → "2.1".
fn rate_str(rate: i64) -> String {
    money::cents_str(rate).trim_end_matches('0').trim_end_matches('.').to_owned()
}

// ---------------------------------------------------------------------------------------------------------------
// `dolibarr_refunds`.

/// The row of this refund, created if missing. The same key for another order is refused naming the field.
async fn ensure(pool: &MySqlPool, ev: &RefundEvent) -> Result<RefundLink, DolibarrError> {
    sqlx::query(
        "INSERT INTO dolibarr_refunds (transaction_key, shop_order_id, amount_cents) VALUES (?, ?, ?) \
         ON DUPLICATE KEY UPDATE transaction_key = transaction_key",
    )
    .bind(&ev.transaction_key)
    .bind(ev.shop_order_id)
    .bind(ev.amount_cents)
    .execute(pool)
    .await?;
    let row = sqlx::query(
        "SELECT shop_order_id, amount_cents, invoice_id, credit_note_id, credit_note_ref, \
         validated_at IS NOT NULL AS validated, payment_id, paid_at IS NOT NULL AS paid \
         FROM dolibarr_refunds WHERE transaction_key = ?",
    )
    .bind(&ev.transaction_key)
    .fetch_one(pool)
    .await?;
    let (order, amount): (i64, i64) = (row.try_get("shop_order_id")?, row.try_get("amount_cents")?);
    if order != ev.shop_order_id || amount != ev.amount_cents {
        return Err(DolibarrError::BadInput {
            field: "transaction_key",
            reason: format!(
                "{:?} was already relayed for a refund of {} on shop order {order}",
                ev.transaction_key,
                money::cents_str(amount)
            ),
        });
    }
    Ok(RefundLink {
        invoice_id: row.try_get("invoice_id")?,
        credit_note_id: row.try_get("credit_note_id")?,
        credit_note_ref: row.try_get("credit_note_ref")?,
        validated: row.try_get::<i64, _>("validated")? != 0,
        payment_id: row.try_get("payment_id")?,
        paid: row.try_get::<i64, _>("paid")? != 0,
    })
}

/// One column update; `assignment` is always one of our own constants, never input.
async fn set(pool: &MySqlPool, key: &str, assignment: &str, value: Option<i64>) -> Result<(), DolibarrError> {
    sqlx::query(&format!("UPDATE dolibarr_refunds SET {assignment} WHERE transaction_key = ?"))
        .bind(value)
        .bind(key)
        .execute(pool)
        .await?;
    Ok(())
}

async fn set_validated(pool: &MySqlPool, key: &str, credit_note_ref: &str) -> Result<(), DolibarrError> {
    sqlx::query(
        "UPDATE dolibarr_refunds SET credit_note_ref = ?, validated_at = COALESCE(validated_at, CURRENT_TIMESTAMP(6)) \
         WHERE transaction_key = ?",
    )
    .bind(credit_note_ref)
    .bind(key)
    .execute(pool)
    .await?;
    Ok(())
}

async fn set_paid(pool: &MySqlPool, key: &str, payment_id: Option<i64>) -> Result<(), DolibarrError> {
    sqlx::query(
        "UPDATE dolibarr_refunds SET payment_id = COALESCE(?, payment_id), \
         paid_at = COALESCE(paid_at, CURRENT_TIMESTAMP(6)), needs_review = NULL WHERE transaction_key = ?",
    )
    .bind(payment_id)
    .bind(key)
    .execute(pool)
    .await?;
    Ok(())
}

async fn set_review(pool: &MySqlPool, key: &str, review: Option<&str>) -> Result<(), DolibarrError> {
    sqlx::query("UPDATE dolibarr_refunds SET needs_review = ? WHERE transaction_key = ?")
        .bind(review)
        .bind(key)
        .execute(pool)
        .await?;
    Ok(())
}

async fn clear_order_review(pool: &MySqlPool, shop_order_id: i64) -> Result<(), DolibarrError> {
    sqlx::query("UPDATE dolibarr_links SET needs_review = NULL WHERE shop_order_id = ?")
        .bind(shop_order_id)
        .execute(pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_adds_up_to_the_amount_in_proportion() {
        // 24.40 invoiced: 19.00 at 10 %, 2.50 at 5.5 %, 2.90 at 20 %; 5.00 refunded.
        let shares = [(550, 250), (1000, 1900), (2000, 290)];
        let split = split_cents(500, &shares);
        assert_eq!(split.iter().map(|(_, c)| c).sum::<i64>(), 500);
        assert_eq!(split, vec![(550, 51), (1000, 389), (2000, 60)]);
        // Equal remainders: the higher rate gets the cent.
        assert_eq!(split_cents(1, &[(550, 1), (2000, 1)]), vec![(550, 0), (2000, 1)]);
        assert_eq!(split_cents(100, &[(1000, 3)]), vec![(1000, 100)]);
        assert!(split_cents(100, &[]).is_empty());
    }

    #[test]
    fn refs_and_rates_are_safe_and_readable() {
        let r = credit_note_ref_ext(42, "sc:1:u:CAPTURED refund");
        assert!(model::check_ref("ref_ext", &r).is_ok(), "{r}");
        assert!(r.starts_with("RF-42-") && r.len() == "RF-42-".len() + 16, "{r}");
        assert_ne!(r, credit_note_ref_ext(42, "other"));
        assert_eq!((rate_str(1000), rate_str(550), rate_str(0)), ("10".into(), "5.5".into(), "0".into()));
    }
}
