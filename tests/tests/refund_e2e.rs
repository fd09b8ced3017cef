//! Issue 13's scene through the real binaries: a card order paid through the module's IPN (the module's code on the
//! PrestaShop stand-in with the real extension) is relayed to Dolibarr (order, invoice, CB payment) by the real
//! `ocpizza-bridge serve`; the restaurant's manager cancels it through the staff API, so Dolibarr's invoice is
//! flagged for a credit note; an employee then refunds it from the shop's back office (moves it to Refunded): the
//! module asks the SogeCommerce REST stand-in once, OCPizza_DB records the refund and its `order.refunded` event, the
//! bridge makes Dolibarr's credit note and pays it back, and the gateway's own CREDIT notification of that refund
//! changes nothing. Waits are bounded polls, never timing assertions.

use std::time::Duration;

use ocpizza_e2e::harness::{Artefacts, Database, Flow, FlowOptions, HarnessError};
use serde_json::{Value, json};

trait Must<T> {
    fn must(self) -> T;
}

impl<T> Must<T> for Result<T, HarnessError> {
    fn must(self) -> T {
        self.unwrap_or_else(|e| panic!("{e}"))
    }
}

/// A Dolibarr amount ("-26.30000000") in cents.
fn cents(v: &Value) -> i64 {
    let s = v
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| v.to_string());
    let d: f64 = s.parse().unwrap_or_else(|_| panic!("not an amount: {v}"));
    (d * 100.0).round() as i64
}

async fn call(req: reqwest::RequestBuilder) -> (u16, Value) {
    let r = req.timeout(Duration::from_secs(30)).send().await.unwrap();
    let code = r.status().as_u16();
    (code, r.json::<Value>().await.unwrap_or_default())
}

async fn needs_review(flow: &Flow, shop_order_id: i64) -> Option<String> {
    let (review,): (Option<String>,) = sqlx::query_as(
        "SELECT CAST(needs_review AS CHAR) FROM dolibarr_links WHERE shop_order_id = ?",
    )
    .bind(shop_order_id)
    .fetch_one(flow.pool())
    .await
    .expect("the order's dolibarr_links row");
    review
}

async fn refund_events(flow: &Flow, shop_order_id: i64) -> usize {
    flow.outbox(shop_order_id)
        .await
        .must()
        .iter()
        .filter(|(t, _)| t == "order.refunded")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_order_cancelled_by_the_restaurant_is_refunded_from_the_back_office_everywhere_once()
{
    let opts = FlowOptions {
        sogecommerce: true,
        ..FlowOptions::default()
    };
    let flow = Flow::start(Database::seeded_test().await, opts)
        .await
        .must();
    let fake = flow.sogecommerce.as_ref().expect("the REST stand-in runs");
    Artefacts::locate().must().set_pin(flow.db.url(), "BELLECOUR", "claire.m", "2718").await.must();

    // The customer pays by card: the IPN creates the order (Payment accepted) with the gateway's uuid.
    let cart = flow
        .shop
        .cart("69002", &[("PIZZA-REINE", 2), ("DRINK-COLA-33", 1)])
        .await
        .must();
    assert!(cart.problems.is_empty(), "{:?}", cart.problems);
    let total = cart.total_cents();
    assert!(total > 0, "{cart:?}");
    let ipn = flow.pay_by_card(&cart).await.must();
    assert_eq!(ipn["http_status"], 200, "{ipn}");
    let id = ipn["order_id"]
        .as_i64()
        .filter(|i| *i > 0)
        .unwrap_or_else(|| panic!("no order: {ipn}"));
    let paid_uuid = ipn["trans_uuid"].as_str().unwrap().to_owned();
    let order = flow
        .order(id)
        .await
        .must()
        .expect("the order is in OCPizza_DB");
    assert_eq!(
        (order.payment_method.as_str(), order.total_cents),
        ("card_online", total),
        "{order:?}"
    );
    let payments = flow.payments(order.id).await.must();
    assert_eq!(payments.len(), 1, "{payments:?}");
    assert_eq!(
        (payments[0].status.as_str(), payments[0].amount_cents),
        ("paid", total)
    );

    // Relayed: Dolibarr has the validated order, its invoice, paid by card.
    let dol = flow
        .wait_dolibarr_order(id, "validated", |o| o["statut"] == "1")
        .await
        .must();
    let (invoice, payment) = flow
        .wait_dolibarr_paid(dol["id"].as_str().unwrap())
        .await
        .must();
    assert_eq!(invoice["paye"], "1", "{invoice}");
    assert_eq!(
        (payment["type"].as_str(), cents(&payment["amount"])),
        (Some("CB"), total),
        "{payment}"
    );
    flow.wait_relayed(id).await.must();

    // The manager cancels it from the restaurant's iPhone: Dolibarr's invoice now wants a credit note.
    let http = reqwest::Client::new();
    let base = flow.bridge.url();
    let (code, session) = call(
        http.post(format!("{base}/v1/staff/sessions"))
            .json(&json!({"restaurant": "BELLECOUR", "login": "claire.m", "pin": "2718"})),
    )
    .await;
    assert_eq!(code, 201, "{session}");
    let token = session["token"].as_str().unwrap().to_owned();
    let (code, b) = call(
        http.post(format!("{base}/v1/orders/{}/status", order.reference))
            .bearer_auth(&token)
            .json(&json!({"status": "cancelled"})),
    )
    .await;
    assert_eq!(code, 200, "{b}");
    assert_eq!(flow.order(id).await.must().unwrap().status, "cancelled");
    flow.wait_relayed(id).await.must();
    let review = needs_review(&flow, id)
        .await
        .unwrap_or_else(|| panic!("cancel after payment is flagged"));
    assert!(review.contains("credit note"), "{review}");
    assert!(
        fake.requests().is_empty(),
        "nobody asked the gateway anything yet"
    );
    // In a real shop the bridge's `prestashop` destination posts that cancel to the Webservice (not configured here):
    // the shop's order moves to Cancelled without an employee, which asks the gateway nothing.
    flow.shop.state(id, "PS_OS_CANCELED").await.must();
    let shown = flow.shop.show(id).await.must();
    assert_eq!(
        (
            shown["state_name"].as_str(),
            shown["refunds"].as_array().map(Vec::len)
        ),
        (Some("Annulé"), Some(0)),
        "{shown}"
    );
    assert!(
        fake.requests().is_empty(),
        "a state change without an employee asks nothing"
    );

    // The shop's employee refunds it from the back office: moved to Refunded.
    let r = flow.shop.refund(id, "PS_OS_REFUND").await.must();
    let rows = r["refunds"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{r}");
    assert_eq!(
        (
            rows[0]["state"].as_str(),
            rows[0]["amount_cents"].as_i64(),
            rows[0]["payment_uuid"].as_str()
        ),
        (Some("recorded"), Some(total), Some(paid_uuid.as_str())),
        "{r}"
    );
    assert_eq!(rows[0]["resolution"], "refund", "{r}");
    let credit_uuid = rows[0]["answer_uuid"].as_str().unwrap().to_owned();
    assert_eq!(
        r["state"],
        flow.shop
            .states
            .get("PS_OS_REFUND")
            .cloned()
            .unwrap_or(json!(7)),
        "{r}"
    );
    assert_eq!(r["state_name"], "Remboursé", "{r}");

    // The gateway was asked once, for everything, on the paid transaction.
    let asked = fake.requests();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(
        (
            asked[0]["uuid"].as_str(),
            asked[0]["amount"].as_i64(),
            asked[0]["currency"].as_str()
        ),
        (Some(paid_uuid.as_str()), Some(total), Some("EUR")),
        "{asked:?}"
    );
    assert_eq!(fake.transaction(&paid_uuid).unwrap().refunded, total);

    // OCPizza_DB: one refund of the paid payment, from the shop, and one order.refunded event.
    let refunds = flow.refunds(id).await.must();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    let rf = &refunds[0];
    assert_eq!(
        (rf.source.as_str(), rf.amount_cents, rf.currency.as_str()),
        ("shop", total, "EUR"),
        "{rf:?}"
    );
    assert_eq!(
        rf.transaction_uuid.as_deref(),
        Some(credit_uuid.as_str()),
        "{rf:?}"
    );
    assert_eq!(
        rf.requested_by.as_deref(),
        Some("employee 1 Lucie Garnier"),
        "{rf:?}"
    );
    assert_eq!(
        rf.payment_key, payments[0].transaction_key,
        "it gives back the card payment"
    );
    assert_eq!(
        rows[0]["transaction_key"].as_str(),
        Some(rf.key.as_str()),
        "the shop's ledger names OCPizza_DB's row"
    );
    assert_eq!(refund_events(&flow, id).await, 1);

    // Dolibarr, once relayed: a validated credit note against the invoice for everything, paid back by card on
    // the card account, and the flag gone.
    flow.shop.publish().await.must();
    flow.wait_relayed(id).await.must();
    let notes: Vec<Value> = flow
        .dolibarr
        .credit_notes()
        .into_iter()
        .filter(|c| c["fk_facture_source"] == invoice["id"])
        .collect();
    assert_eq!(notes.len(), 1, "{notes:#?}");
    let cn = &notes[0];
    assert!(cn["ref"].as_str().unwrap().starts_with("AV"), "{cn}");
    assert_eq!(
        (cn["statut"].as_str(), cn["paye"].as_str()),
        (Some("2"), Some("1")),
        "validated, paid back: {cn}"
    );
    assert_eq!(cents(&cn["total_ttc"]), -total, "{cn}");
    let back = flow
        .dolibarr
        .payments_of(cn["id"].as_str().unwrap().parse().unwrap());
    assert_eq!(back.len(), 1, "{back:#?}");
    assert_eq!(
        cents(&back[0]["amount"]),
        -total,
        "money goes out: {back:?}"
    );
    assert_eq!(
        (
            back[0]["type"].as_str(),
            back[0]["fk_bank_account"].as_str()
        ),
        (Some("CB"), Some("1")),
        "{back:?}"
    );
    assert_eq!(
        needs_review(&flow, id).await,
        None,
        "the refund went through: nothing left to do by hand"
    );
    let (credit_note_ref,): (Option<String>,) = sqlx::query_as(
        "SELECT CAST(credit_note_ref AS CHAR) FROM dolibarr_refunds WHERE shop_order_id = ?",
    )
    .bind(id)
    .fetch_one(flow.pool())
    .await
    .unwrap();
    assert_eq!(credit_note_ref.as_deref(), cn["ref"].as_str());

    // The gateway's CREDIT notification of the same refund: already there, nothing added anywhere.
    let (dol_counts, dol_posts) = (
        flow.dolibarr.counts(),
        flow.dolibarr.request_count("POST", "/"),
    );
    let credit = flow
        .shop
        .ipn_credit(cart.id, &credit_uuid, total)
        .await
        .must();
    assert_eq!(
        (credit["http_status"].as_i64(), credit["body"].as_str()),
        (Some(200), Some("OK-Refund already registered")),
        "{credit}"
    );
    flow.shop.publish().await.must();
    flow.wait_relayed(id).await.must();
    assert_eq!(
        fake.requests().len(),
        1,
        "the notification asked the gateway nothing"
    );
    assert_eq!(flow.refunds(id).await.must(), refunds);
    assert_eq!(refund_events(&flow, id).await, 1);
    let shown = flow.shop.show(id).await.must();
    assert_eq!(
        (
            shown["state"].clone(),
            shown["refunds"].as_array().map(Vec::len)
        ),
        (r["state"].clone(), Some(1)),
        "{shown}"
    );
    assert_eq!(flow.dolibarr.counts(), dol_counts);
    assert_eq!(
        flow.dolibarr.request_count("POST", "/"),
        dol_posts,
        "no write in Dolibarr"
    );
    assert_eq!(flow.order(id).await.must().unwrap().status, "cancelled");
}
