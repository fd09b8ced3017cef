//! `order.refunded` in Dolibarr (issue 13): a credit note against the order's invoice, validated, and the refund
//! paid back through `paymentsdistributed` on the refunded payment's bank account and type; never twice, whatever
//! fails between two steps; never guessed for an order Dolibarr never invoiced; the cancel-after-payment flag
//! cleared once everything is given back; events stored before this version backfilled.

mod dolibarr_support;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::Method;
use dolibarr_support::*;
use ocpizza_bridge::destination::{DeliveryError, Destination, Outcome};
use ocpizza_bridge::dolibarr::DolibarrDestination;
use ocpizza_core::events::{Event, LineKind, RefundEvent};
use ocpizza_core::status::{Fulfilment, OrderStatus};
use ocpizza_e2e::dolibarr::FaultKind;
use serde_json::Value;
use sqlx::Row;

fn cents(v: &Value) -> i64 {
    let s = v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
    let d: f64 = s.parse().unwrap_or_else(|_| panic!("not an amount: {v}"));
    (d * 100.0).round() as i64
}

/// Order paid by card in Dolibarr: created, invoiced and paid. Answers the invoice.
async fn paid_order(env: &Env, shop_order_id: i64, with_discount: bool) -> (Value, i64) {
    let mut ev = created(shop_order_id, shop_order_id);
    if !with_discount {
        ev.lines.retain(|l| l.kind != LineKind::Discount);
        ev.total_cents = 2540;
    }
    let total = ev.total_cents;
    done(env.deliver(Event::OrderCreated(ev)).await);
    done(env.deliver(Event::OrderPaid(paid(shop_order_id, total))).await);
    let invoice_id = env.link_i64(shop_order_id, "invoice_id").await.expect("invoiced");
    (env.fake.invoice(invoice_id).expect("invoice"), total)
}

fn credit_notes_of(env: &Env, invoice_id: &Value) -> Vec<Value> {
    env.fake.credit_notes().into_iter().filter(|c| c["fk_facture_source"] == *invoice_id).collect()
}

/// TTC per VAT rate of a credit note's lines, as (rate in hundredths of a percent, cents).
fn ttc_per_rate(doc: &Value) -> BTreeMap<i64, i64> {
    let mut m = BTreeMap::new();
    for l in doc["lines"].as_array().unwrap() {
        *m.entry(cents(&l["tva_tx"])).or_default() += cents(&l["total_ttc"]);
    }
    m
}

async fn refund_row(env: &Env, key: &str) -> sqlx::mysql::MySqlRow {
    sqlx::query("SELECT * FROM dolibarr_refunds WHERE transaction_key = ?")
        .bind(key)
        .fetch_one(&env.db.pool)
        .await
        .expect("dolibarr_refunds row")
}

async fn review(env: &Env, shop_order_id: i64) -> Option<String> {
    env.link(shop_order_id).await.try_get("needs_review").unwrap()
}

/// No credit note is ever paid through `POST /invoices/{id}/payments` (it books the refund as money in).
fn never_paid_through_payments_route(env: &Env) {
    for c in env.fake.credit_notes() {
        let path = format!("/invoices/{}/payments", c["id"].as_str().unwrap());
        let posts = env.fake.requests().iter().filter(|r| r.method == "POST" && r.path == path).count();
        assert_eq!(posts, 0, "{path} used for a credit note");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_refund_copies_the_invoice_lines_and_pays_the_money_back_once() {
    let env = env().await;
    let (invoice, total) = paid_order(&env, 7001, false).await;
    let ev = refunded(7001, "shop-refund-7001", total, total, total);
    let out = done(env.deliver(Event::OrderRefunded(ev.clone())).await);

    let notes = credit_notes_of(&env, &invoice["id"]);
    assert_eq!(notes.len(), 1, "{notes:#?}");
    let cn = &notes[0];
    assert_eq!(out["credit_note_id"], cn["id"].as_str().unwrap().parse::<i64>().unwrap());
    assert_eq!(out["lines_copied"], true);
    assert!(cn["ref"].as_str().unwrap().starts_with("AV"), "credit notes have their own numbering: {}", cn["ref"]);
    assert_eq!((cn["statut"].as_str(), cn["paye"].as_str()), (Some("2"), Some("1")), "validated and paid back");
    assert_eq!(cents(&cn["total_ttc"]), -total);
    assert_eq!(cn["socid"], invoice["socid"]);
    // The invoice's lines, one for one: same products, quantities, VAT rates, totals (negative on a credit note).
    let (inv_lines, cn_lines) = (invoice["lines"].as_array().unwrap(), cn["lines"].as_array().unwrap());
    assert_eq!(inv_lines.len(), cn_lines.len());
    for (i, c) in inv_lines.iter().zip(cn_lines) {
        assert_eq!((&c["fk_product"], &c["product_type"], &c["desc"]), (&i["fk_product"], &i["product_type"], &i["desc"]));
        assert_eq!((cents(&c["qty"]), cents(&c["tva_tx"])), (cents(&i["qty"]), cents(&i["tva_tx"])));
        assert_eq!(cents(&c["total_ttc"]), -cents(&i["total_ttc"]), "{c}");
        assert_eq!(cents(&c["total_ht"]), -cents(&i["total_ht"]), "{c}");
    }
    // The money went out once, by card on the card account, labelled as a refund.
    let pays = env.fake.payments_of(cn["id"].as_str().unwrap().parse().unwrap());
    assert_eq!(pays.len(), 1, "{pays:#?}");
    assert_eq!(cents(&pays[0]["amount"]), -total);
    assert_eq!((pays[0]["type"].as_str(), pays[0]["fk_bank_account"].as_str()), (Some("CB"), Some("1")));
    assert_eq!(pays[0]["bank_label"], "(CustomerInvoicePaymentBack)");
    never_paid_through_payments_route(&env);
    // The source invoice is untouched (a credit note of a paid invoice does not reopen it).
    let after = env.fake.invoice(invoice["id"].as_str().unwrap().parse().unwrap()).unwrap();
    assert_eq!((after["statut"].as_str(), after["paye"].as_str()), (Some("2"), Some("1")));
    assert_eq!(env.fake.payments_of(invoice["id"].as_str().unwrap().parse().unwrap()).len(), 1);
    // Every id kept.
    let row = refund_row(&env, "shop-refund-7001").await;
    assert_eq!(row.try_get::<Option<i64>, _>("credit_note_id").unwrap(), out["credit_note_id"].as_i64());
    assert_eq!(row.try_get::<Option<i64>, _>("payment_id").unwrap(), out["payment_id"].as_i64());
    assert_eq!(row.try_get::<Option<String>, _>("credit_note_ref").unwrap().as_deref(), cn["ref"].as_str());

    // The same event again (a replay, a lease lost): nothing new in Dolibarr.
    let (before, requests) = (env.fake.counts(), env.fake.request_count("POST", "/"));
    let again = done(env.deliver(Event::OrderRefunded(ev)).await);
    assert_eq!(again["already_paid"], true);
    assert_eq!(again["created"], serde_json::json!([]));
    assert_eq!(env.fake.counts(), before);
    assert_eq!(env.fake.request_count("POST", "/"), requests, "no write at all");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discount_line_is_netted_per_vat_rate_on_a_full_refund() {
    let env = env().await;
    // 2 × 10.00 + Cola 2.50 + delivery 2.90 − discount 1.00 at 10 %.
    let (invoice, total) = paid_order(&env, 7002, true).await;
    assert_eq!(total, 2440);
    done(env.deliver(Event::OrderRefunded(refunded(7002, "r-7002", total, total, total))).await);
    let notes = credit_notes_of(&env, &invoice["id"]);
    assert_eq!(notes.len(), 1);
    let cn = &notes[0];
    assert_eq!(cents(&cn["total_ttc"]), -2440);
    // A credit note's lines are all negative (Facture::addline): the 10 % rate's pizza and discount become one
    // line of their net, the other lines are copied.
    assert_eq!(ttc_per_rate(cn), BTreeMap::from([(550, -250), (1000, -1900), (2000, -290)]));
    let lines = cn["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(lines.iter().all(|l| cents(&l["total_ttc"]) < 0));
    let cola = lines.iter().find(|l| cents(&l["tva_tx"]) == 550).unwrap();
    let inv_cola = invoice["lines"].as_array().unwrap().iter().find(|l| cents(&l["tva_tx"]) == 550).unwrap();
    assert_eq!(cola["fk_product"], inv_cola["fk_product"]);
    let folded = lines.iter().find(|l| cents(&l["tva_tx"]) == 1000).unwrap();
    assert!(folded["desc"].as_str().unwrap().contains("TVA 10 %"), "{folded}");
    assert_eq!(cents(&env.fake.payments_of(cn["id"].as_str().unwrap().parse().unwrap())[0]["amount"]), -2440);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_refunds_then_the_rest_are_split_over_vat_rates_to_the_cent() {
    let env = env().await;
    let (invoice, total) = paid_order(&env, 7003, true).await;
    let mut so_far = 0;
    let mut expected_rates = Vec::new();
    for (i, amount) in [500, 700, 1240].into_iter().enumerate() {
        so_far += amount;
        let ev = refunded(7003, &format!("r-7003-{i}"), amount, total, so_far);
        assert_eq!(ev.full, i == 2);
        let out = done(env.deliver(Event::OrderRefunded(ev)).await);
        assert_eq!(out["lines_copied"], false, "a part of the invoice is not its lines");
        let cn = env.fake.invoice(out["credit_note_id"].as_i64().unwrap()).unwrap();
        assert_eq!(cents(&cn["total_ttc"]), -amount, "the credit note is the refund exactly");
        assert_eq!((cn["statut"].as_str(), cn["paye"].as_str()), (Some("2"), Some("1")));
        let pays = env.fake.payments_of(out["credit_note_id"].as_i64().unwrap());
        assert_eq!(pays.len(), 1);
        assert_eq!(cents(&pays[0]["amount"]), -amount);
        expected_rates.push(ttc_per_rate(&cn));
    }
    // Invoice TTC per rate: 10 % 19.00, 5.5 % 2.50, 20 % 2.90 (of 24.40). 5.00 → 3.89 / 0.51 / 0.60 (largest
    // remainder gives the last cent to 20 %).
    assert_eq!(expected_rates[0], BTreeMap::from([(550, -51), (1000, -389), (2000, -60)]));
    assert_eq!(expected_rates[1], BTreeMap::from([(550, -72), (1000, -545), (2000, -83)]));
    let notes = credit_notes_of(&env, &invoice["id"]);
    assert_eq!(notes.len(), 3);
    assert_eq!(notes.iter().map(|n| cents(&n["total_ttc"])).sum::<i64>(), -total, "everything given back");
    // Over the three, each rate gets back within a cent per credit note of what it was invoiced.
    let mut per_rate: BTreeMap<i64, i64> = BTreeMap::new();
    for n in &notes {
        for (r, c) in ttc_per_rate(n) {
            *per_rate.entry(r).or_default() += c;
        }
    }
    for (r, invoiced) in [(550, 250), (1000, 1900), (2000, 290)] {
        assert!((per_rate[&r] + invoiced).abs() <= 3, "rate {r}: {per_rate:?}");
    }
    never_paid_through_payments_route(&env);
}

/// Delivers until done, answering the number of attempts; every failure must be one a retry can help.
async fn deliver_until_done(env: &Env, ev: &RefundEvent) -> (Value, usize) {
    for attempt in 1..=10 {
        match env.deliver(Event::OrderRefunded(ev.clone())).await {
            Ok(Outcome::Done(v)) => return (v, attempt),
            Err(DeliveryError::Retry { .. }) => continue,
            other => panic!("attempt {attempt}: {other:?}"),
        }
    }
    panic!("not done after 10 attempts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_between_any_two_steps_resumes_without_a_second_credit_note_or_payment() {
    let env = env().await;
    let (invoice, total) = paid_order(&env, 7004, true).await;
    // Each attempt dies at the next step: the credit note made but its id lost, then a line added but its answer
    // lost, then the validation refused (503), then the refund paid but its answer lost.
    env.fake.fail_matching(Some(Method::POST), Some("/invoices"), 1, FaultKind::DoneButLost);
    env.fake.fail_matching(Some(Method::POST), Some("/lines"), 1, FaultKind::DoneButLost);
    env.fake.fail_matching(Some(Method::POST), Some("/validate"), 1, FaultKind::Unavailable { retry_after: None });
    env.fake.fail_matching(Some(Method::POST), Some("/paymentsdistributed"), 1, FaultKind::DoneButLost);
    let ev = refunded(7004, "r-7004", total, total, total);
    let (out, attempts) = deliver_until_done(&env, &ev).await;
    assert_eq!(attempts, 5);
    assert_eq!(out["already_paid"], true, "the last attempt found the payment made by the one before");

    let notes = credit_notes_of(&env, &invoice["id"]);
    assert_eq!(notes.len(), 1, "one credit note: {notes:#?}");
    let cn = &notes[0];
    assert_eq!(cn["lines"].as_array().unwrap().len(), 3, "no line twice: {cn:#}");
    assert_eq!(cents(&cn["total_ttc"]), -total);
    let id: i64 = cn["id"].as_str().unwrap().parse().unwrap();
    let pays = env.fake.payments_of(id);
    assert_eq!(pays.len(), 1, "one refund payment: {pays:#?}");
    assert_eq!(cents(&pays[0]["amount"]), -total);
    assert_eq!((cn["statut"].as_str(), cn["paye"].as_str()), (Some("2"), Some("1")));
    // The payment id lost with its answer is read back from its bank line.
    let row = refund_row(&env, "r-7004").await;
    assert_eq!(row.try_get::<Option<i64>, _>("payment_id").unwrap(), pays[0]["id"].as_str().unwrap().parse().ok());
    assert_eq!(row.try_get::<Option<i64>, _>("credit_note_id").unwrap(), Some(id));

    // The bridge's own rows lost too (a restored backup): found again by ref_ext, nothing made twice.
    sqlx::query("DELETE FROM dolibarr_refunds").execute(&env.db.pool).await.unwrap();
    let before = env.fake.counts();
    let out = done(env.deliver(Event::OrderRefunded(ev)).await);
    assert_eq!((out["credit_note_id"].as_i64(), out["already_paid"].as_bool()), (Some(id), Some(true)));
    assert_eq!(env.fake.counts(), before);
    never_paid_through_payments_route(&env);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_of_an_order_never_invoiced_is_flagged_not_guessed() {
    let env = env().await;
    // In Dolibarr, but never paid there (its order.paid never came, or came after the refund).
    done(env.deliver(Event::OrderCreated(created(7005, 7005))).await);
    let ev = refunded(7005, "r-7005", 1000, 2440, 1000);
    let why = match env.deliver(Event::OrderRefunded(ev.clone())).await {
        Ok(Outcome::Skipped(why)) => why,
        other => panic!("{other:?}"),
    };
    assert!(why.contains("not invoiced in Dolibarr") && why.contains("r-7005") && why.contains("10.00"), "{why}");
    assert_eq!(review(&env, 7005).await.as_deref(), Some(why.as_str()));
    let row = refund_row(&env, "r-7005").await;
    assert_eq!(row.try_get::<Option<String>, _>("needs_review").unwrap().as_deref(), Some(why.as_str()));
    assert!(env.fake.credit_notes().is_empty());
    assert_eq!(env.fake.request_count("POST", "/invoices"), 0, "nothing written in Dolibarr");

    // Not in Dolibarr at all: the same.
    match env.deliver(Event::OrderRefunded(refunded(7006, "r-7006", 500, 500, 500))).await {
        Ok(Outcome::Skipped(why)) => assert!(why.contains("not invoiced"), "{why}"),
        other => panic!("{other:?}"),
    }

    // Its order.paid delivery is dead (Dolibarr refused it): the refund waits for a person too, dead, naming it,
    // so that replaying the dead deliveries brings the invoice first, then the credit note.
    let inbox: i64 = sqlx::query(
        "INSERT INTO inbox (source, webhook_id, event_type, event_time, shop_order_id, body, received_via) \
         VALUES ('prestashop', 'msg_dead_paid', 'order.paid', '2026-11-29T18:31:00Z', 7005, '{}', 'webhook')",
    )
    .execute(&env.db.pool)
    .await
    .unwrap()
    .last_insert_id() as i64;
    sqlx::query(
        "INSERT INTO deliveries (inbox_id, destination, partition_key, status, attempt, last_error, finished_at) \
         VALUES (?, 'dolibarr', 'order:7005', 'dead', 3, 'Dolibarr refused it', NOW(6))",
    )
    .bind(inbox)
    .execute(&env.db.pool)
    .await
    .unwrap();
    match env.deliver(Event::OrderRefunded(ev)).await {
        Err(DeliveryError::Fatal { reason }) => {
            assert!(reason.contains("order.paid delivery") && reason.contains("dead"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cancel_after_payment_flag_goes_once_everything_paid_is_given_back() {
    let env = env().await;
    // Invoiced and paid, then cancelled by the restaurant: flagged for a credit note.
    let (_, total) = paid_order(&env, 7007, true).await;
    let cancel = status(7007, Fulfilment::Delivery, OrderStatus::InPreparation, OrderStatus::Cancelled);
    done(env.deliver(Event::OrderStatusChanged(cancel)).await);
    assert!(review(&env, 7007).await.unwrap().contains("issue a credit note"));
    // A partial refund leaves it: money is still held.
    let out = done(env.deliver(Event::OrderRefunded(refunded(7007, "r-7007-a", 1000, total, 1000))).await);
    assert_eq!(out["review_cleared"], false);
    assert!(review(&env, 7007).await.is_some());
    // The rest clears it.
    let out = done(env.deliver(Event::OrderRefunded(refunded(7007, "r-7007-b", total - 1000, total, total))).await);
    assert_eq!(out["review_cleared"], true);
    assert_eq!(review(&env, 7007).await, None);

    // Paid after it was cancelled (never invoiced: flagged "refund it or invoice it by hand"), then refunded in
    // full: the payment never reached Dolibarr's books, so nothing is credited and the flag goes.
    let notes_before = env.fake.credit_notes().len();
    done(env.deliver(Event::OrderCreated(created(7008, 7008))).await);
    let cancel = status(7008, Fulfilment::Delivery, OrderStatus::Received, OrderStatus::Cancelled);
    done(env.deliver(Event::OrderStatusChanged(cancel)).await);
    match env.deliver(Event::OrderPaid(paid(7008, 2440))).await {
        Ok(Outcome::Skipped(_)) => {}
        other => panic!("{other:?}"),
    }
    assert!(review(&env, 7008).await.unwrap().contains("after the order was cancelled"));
    match env.deliver(Event::OrderRefunded(refunded(7008, "r-7008", 2440, 2440, 2440))).await {
        Ok(Outcome::Skipped(why)) => assert!(why.contains("nothing to credit"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(review(&env, 7008).await, None);
    assert_eq!(env.fake.credit_notes().len(), notes_before, "nothing credited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credit_note_made_by_hand_is_not_made_again() {
    let env = env().await;
    let (invoice, total) = paid_order(&env, 7009, true).await;
    // Someone followed the old needs_review and credited the invoice by hand in Dolibarr.
    let http = reqwest::Client::new();
    let body = serde_json::json!({"socid": invoice["socid"], "type": 2, "fk_facture_source": invoice["id"]});
    let r = http
        .post(format!("{}/invoices", env.fake.url()))
        .header("DOLAPIKEY", KEY)
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    match env.deliver(Event::OrderRefunded(refunded(7009, "r-7009", total, total, total))).await {
        Ok(Outcome::Skipped(why)) => assert!(why.contains("made outside the bridge"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(credit_notes_of(&env, &invoice["id"]).len(), 1, "only the one made by hand");
    assert!(review(&env, 7009).await.unwrap().contains("r-7009"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_provider_is_refunded_with_its_payment_type_on_its_bank_account() {
    let env = env().await;
    // Cash goes to the till (a cash account, LIQ only); cards to the current account.
    let till = env.fake.add_bank_account("Caisse Bellecour", 2);
    let mut cfg = config(&env.fake.url());
    cfg.bank_accounts.insert("cash".into(), till);
    let dest = DolibarrDestination::new(&cfg, env.db.pool.clone()).unwrap();
    let mut total = 0;
    for (id, provider) in [(7010, "sogecommerce"), (7011, "cash")] {
        let ev = created(id, id);
        total = ev.total_cents;
        done(deliver_with(&dest, Event::OrderCreated(ev)).await);
        let mut p = paid(id, total);
        p.provider = provider.into();
        done(deliver_with(&dest, Event::OrderPaid(p)).await);
        let mut r = refunded(id, &format!("r-{id}"), 1000, total, 1000);
        r.provider = provider.into();
        let out = done(deliver_with(&dest, Event::OrderRefunded(r)).await);
        let pays = env.fake.payments_of(out["credit_note_id"].as_i64().unwrap());
        assert_eq!(pays.len(), 1);
        let (want_type, want_account) = if provider == "cash" { ("LIQ", till) } else { ("CB", 1) };
        assert_eq!(pays[0]["type"], want_type, "{provider}");
        assert_eq!(pays[0]["fk_bank_account"], want_account.to_string(), "{provider}");
        assert_eq!(cents(&pays[0]["amount"]), -1000);
    }
    assert!(total > 0);
    never_paid_through_payments_route(&env);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_stored_before_this_version_are_backfilled_and_relayed() {
    use ocpizza_bridge::{backfill, ingest, queue};
    let env = env().await;
    let (invoice, total) = paid_order(&env, 7012, true).await;
    // What the previous version did with order.refunded: stored in the inbox, no destination, no delivery row.
    let ev = refunded(7012, "r-7012", total, total, total);
    let body = serde_json::json!({"type": "order.refunded", "timestamp": "2026-11-29T20:05:00Z", "data": ev}).to_string();
    let (envelope, event) = ingest::parse_body(body.as_bytes()).unwrap();
    let mut tx = env.db.pool.begin().await.unwrap();
    let stored =
        ingest::store(&mut tx, "msg_old_refund", body.as_bytes(), &envelope, &event, &[], ingest::Via::Webhook)
            .await
            .unwrap();
    tx.commit().await.unwrap();
    let inbox_id = match stored {
        ingest::Stored::Accepted { inbox_id, deliveries: 0 } => inbox_id,
        other => panic!("{other:?}"),
    };
    let dest: Arc<dyn Destination> =
        Arc::new(DolibarrDestination::new(&config(&env.fake.url()), env.db.pool.clone()).unwrap());
    let dests = vec![dest.clone()];

    // A dry run lists it and makes nothing.
    let report = backfill::run(&env.db.pool, &dests, "order.refunded", true).await.unwrap();
    assert_eq!(report.rows.len(), 1);
    assert_eq!((report.rows[0].inbox_id, report.rows[0].destination), (inbox_id, "dolibarr"));
    let rows = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM deliveries WHERE inbox_id = ?")
            .bind(inbox_id)
            .fetch_one(&env.db.pool)
            .await
            .unwrap()
    };
    assert_eq!(rows().await, 0);
    // For real: one pending row in the order's partition; a second run makes nothing more.
    assert_eq!(backfill::run(&env.db.pool, &dests, "order.refunded", false).await.unwrap().rows.len(), 1);
    assert_eq!(backfill::run(&env.db.pool, &dests, "order.refunded", false).await.unwrap().rows.len(), 0);
    assert_eq!(rows().await, 1);
    // Types nobody takes, and unknown types, are refused with the reason.
    let e = backfill::run(&env.db.pool, &dests, "stock.shortage", false).await.unwrap_err();
    assert!(e.to_string().contains("no enabled destination takes stock.shortage"), "{e}");
    let e = backfill::run(&env.db.pool, &dests, "order.exploded", false).await.unwrap_err();
    assert!(e.to_string().contains("--event-type"), "{e}");

    // The queue hands it out like any delivery, and the credit note is made.
    let claimed = queue::claim(&env.db.pool, "test-owner", &["dolibarr"], 10, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let (_, event) = ingest::parse_body(&claimed[0].body).unwrap();
    let out = done(deliver_with(&env.dest, event).await);
    assert!(out["credit_note_ref"].as_str().unwrap().starts_with("AV"));
    assert_eq!(credit_notes_of(&env, &invoice["id"]).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backfill_command_lists_then_queues_the_stored_refunds() {
    use ocpizza_bridge::ingest;
    let env = env().await;
    let ev = refunded(7013, "r-7013", 500, 2440, 500);
    let body = serde_json::json!({"type": "order.refunded", "timestamp": "2026-11-29T20:05:00Z", "data": ev}).to_string();
    let (envelope, event) = ingest::parse_body(body.as_bytes()).unwrap();
    let mut tx = env.db.pool.begin().await.unwrap();
    ingest::store(&mut tx, "msg_cli_refund", body.as_bytes(), &envelope, &event, &[], ingest::Via::Reconcile)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let run = |args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ocpizza-bridge"));
        cmd.arg("backfill").args(args);
        for k in ["OCPIZZA_CONFIG", "OCPIZZA_APNS_KEY_FILE", "OCPIZZA_PRESTASHOP_URL", "OCPIZZA_SINK_URL"] {
            cmd.env_remove(k);
        }
        cmd.env("OCPIZZA_DATABASE_URL", &env.db.url)
            .env("OCPIZZA_DOLIBARR_URL", env.fake.url())
            .env("OCPIZZA_DOLIBARR_API_KEY", KEY)
            .env("OCPIZZA_DOLIBARR_BANK_ACCOUNT_ID", "1");
        let out = cmd.output().expect("binary runs");
        (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
    };
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM deliveries WHERE destination = 'dolibarr'")
            .fetch_one(&env.db.pool)
            .await
            .unwrap()
    };
    let (ok, text) = run(&["--event-type", "order.refunded", "--dry-run"]);
    assert!(ok, "{text}");
    assert!(text.contains("would queue inbox") && text.contains("msg_cli_refund") && text.contains("shop order 7013"), "{text}");
    assert!(text.contains("Would make 1 delivery row(s) for order.refunded."), "{text}");
    assert_eq!(count().await, 0);
    let (ok, text) = run(&["--event-type", "order.refunded"]);
    assert!(ok && text.contains("Made 1 delivery row(s)"), "{text}");
    assert_eq!(count().await, 1);
    let (ok, text) = run(&["--event-type", "order.refunded"]);
    assert!(ok && text.contains("Made 0 delivery row(s)"), "{text}");
    let (ok, text) = run(&["--event-type", "order.nope"]);
    assert!(!ok && text.contains("unknown event type"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refund_payment_goes_out_on_dolibarr_20_21_and_23_alike() {
    // 20/21 (the source read): −1 × amount; 23 (verified): −abs(amount). The positive amount with
    // accepthigherpayment the bridge sends is −amount on both; "remain" would be money in on 20/21.
    for (id, abs) in [(7014, false), (7015, true)] {
        let env = env().await;
        env.fake.set_distributed_forces_negative(abs);
        let (_, total) = paid_order(&env, id, true).await;
        let out = done(env.deliver(Event::OrderRefunded(refunded(id, &format!("r-{id}"), 300, total, 300))).await);
        let cn_id = out["credit_note_id"].as_i64().unwrap();
        let pays = env.fake.payments_of(cn_id);
        assert_eq!(pays.len(), 1);
        assert_eq!(cents(&pays[0]["amount"]), -300, "abs = {abs}");
        let cn = env.fake.invoice(cn_id).unwrap();
        assert_eq!((cn["remaintopay"].as_str(), cn["paye"].as_str()), (Some("0.00000000"), Some("1")));
    }
}
