//! What an accountant reads in Dolibarr (issue 11): the dates of orders, invoices and payments whatever timezone
//! Dolibarr's PHP runs in, products at the menu's price, each payment with its method's type and bank account,
//! customers found whatever their e-mail contains (and only customers claimed), rebuilt bookkeeping with every
//! id, cancelled orders visibly cancelled, products created once however many orders race for them.

mod dolibarr_support;

use std::time::Duration;

use chrono::NaiveDate;
use dolibarr_support::*;
use ocpizza_core::events::{Event, LineKind};
use ocpizza_core::status::{Fulfilment, OrderStatus};
use serde_json::{Value, json};
use sqlx::Row;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The invoices of a Dolibarr order and the payments of the first one.
fn invoice_and_payment(env: &Env, order: &Value) -> (Value, Value) {
    let order_id = order["id"].as_str().unwrap();
    let invoices: Vec<Value> = env
        .fake
        .invoices()
        .into_iter()
        .filter(|i| i["linkedObjectsIds"]["commande"].as_object().is_some_and(|m| m.values().any(|v| v == order_id)))
        .collect();
    assert_eq!(invoices.len(), 1, "one invoice for order {order_id}");
    let inv = invoices[0].clone();
    let pays: Vec<Value> = env.fake.payments().into_iter().filter(|p| p["fk_facture"] == inv["id"]).collect();
    assert_eq!(pays.len(), 1, "one payment for invoice {}", inv["id"]);
    (inv, pays[0].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_are_the_chain_day_whatever_timezone_dolibarr_runs_in() {
    let env = env().await;
    // (instant of the order and of its payment, its calendar day in Europe/Paris)
    let cases = [
        ("2026-12-07T20:30:00Z", "2026-12-07"), // 21:30 in Paris: the reported order dated the day before
        ("2026-12-07T23:30:00Z", "2026-12-08"), // 00:30 in Paris, still the 7th in UTC
        ("2026-07-14T22:30:00Z", "2026-07-15"), // 00:30 CEST
        ("2026-03-29T00:30:00Z", "2026-03-29"), // the night Paris moves to summer time (01:30 CET)
        ("2026-10-25T22:59:00Z", "2026-10-25"), // 23:59 CET on the day it moves back
    ];
    let mut id = 5000;
    for tz in [
        chrono_tz::UTC,
        chrono_tz::Europe::Paris,
        chrono_tz::Asia::Vladivostok, // UTC+10
        chrono_tz::Pacific::Honolulu, // UTC−10
    ] {
        env.fake.set_php_timezone(tz);
        for (at, want) in cases {
            id += 1;
            let mut ev = created(id, id);
            ev.placed_at = at.into();
            done(env.deliver(Event::OrderCreated(ev)).await);
            let mut p = paid(id, 2440);
            p.occurred_at = at.into();
            done(env.deliver(Event::OrderPaid(p)).await);

            let order = env.only_order(id);
            let (inv, pay) = invoice_and_payment(&env, &order);
            let what = format!("PHP in {tz}, event at {at}");
            assert_eq!(env.fake.day_of(&order["date"]), Some(day(want)), "order date, {what}");
            assert_eq!(env.fake.day_of(&inv["date"]), Some(day(want)), "invoice date, {what}");
            assert_eq!(pay["day"], want, "payment date, {what}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn products_are_created_with_the_menu_price_tax_included_and_its_vat() {
    let env = env().await;
    done(env.deliver(Event::OrderCreated(created(5101, 1))).await);
    let products = env.fake.products();
    let get = |r: &str| products.iter().find(|p| p["ref"] == r).cloned().unwrap_or_else(|| panic!("{r}: {products:#?}"));
    let pizza = get("PIZZA-MARGHERITA");
    assert_eq!(
        (&pizza["price_ttc"], &pizza["price"], &pizza["tva_tx"], &pizza["price_base_type"]),
        (&json!("10.00000000"), &json!("9.09000000"), &json!("10.00000000"), &json!("TTC")),
        "{pizza}"
    );
    let cola = get("DRINK-COLA-33");
    assert_eq!((&cola["price_ttc"], &cola["price"]), (&json!("2.50000000"), &json!("2.37000000")), "{cola}");
    assert_eq!(cola["label"], "Cola 33 cl");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_payment_is_recorded_with_its_method_payment_type() {
    let env = env().await;
    // (order payment method, provider of the payment, Dolibarr type expected with the default settings)
    let cases = [
        ("card_online", "sogecommerce", "CB"),
        ("card_on_delivery", "card_terminal", "CB"),
        ("cash_on_delivery", "cash", "LIQ"),
        ("at_restaurant", "restaurant", "LIQ"),
    ];
    for (i, (method, provider, want)) in cases.into_iter().enumerate() {
        let id = 5150 + i as i64;
        let mut ev = created(id, 3);
        ev.payment_method = method.into();
        done(env.deliver(Event::OrderCreated(ev)).await);
        let mut p = paid(id, 2440);
        p.payment_method = method.into();
        p.provider = provider.into();
        p.transaction_id = None;
        p.transaction_key = format!("{provider}:{id}");
        done(env.deliver(Event::OrderPaid(p)).await);
        let (_, pay) = invoice_and_payment(&env, &env.only_order(id));
        assert_eq!(pay["type"], want, "{method} paid by {provider}: {pay}");
        assert_eq!(pay["fk_bank_account"], "1", "{pay}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_are_found_whatever_their_email_contains() {
    let env = env().await;
    // Older records a wildcard, an accent-insensitive collation or a truncated value would take for them.
    let decoys = ["axb@example.com", "jose@exemple.fr", "o@example.com", "zzz@example.com"];
    for e in decoys {
        env.fake.insert_thirdparty(json!({"name": format!("Leurre {e}"), "email": e, "client": 1}));
    }
    let emails = [
        "o'brien@example.com",
        "jean+pizza@example.com",
        "100%pizza@example.com",
        "a_b@example.com",
        "josé@exemple.fr",
        "Zoë.O'Neil+x_y%z@exämple.fr",
        "back\\slash@example.com",
        "\"a:b(c)\"@example.com",
    ];
    let mut by_hand = Vec::new();
    for e in emails {
        by_hand.push(env.fake.insert_thirdparty(json!({"name": format!("Saisi {e}"), "email": e, "client": 1})));
    }
    for (i, e) in emails.iter().enumerate() {
        let (id, customer) = (5200 + i as i64, 700 + i as i64);
        let mut ev = created(id, customer);
        ev.customer.email = (*e).into();
        let out = done(env.deliver(Event::OrderCreated(ev)).await);
        assert_eq!(out["thirdparty_id"], by_hand[i], "{e}: {out}");
        let t = env.fake.thirdparties().into_iter().find(|t| t["id"].as_str() == Some(by_hand[i].to_string().as_str())).unwrap();
        assert_eq!(t["ref_ext"], format!("PS-CUST-{customer}"), "{e} claimed");
    }
    assert_eq!(env.fake.counts().thirdparties, decoys.len() + emails.len(), "nobody duplicated");
    for t in env.fake.thirdparties().iter().filter(|t| t["name"].as_str().unwrap().starts_with("Leurre")) {
        assert_eq!(t["ref_ext"], Value::Null, "decoy left alone: {t}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_claims_only_an_unclaimed_customer_never_a_supplier_or_prospect() {
    let env = env().await;
    let email = "contact@moulin-du-rhone.fr";
    let supplier =
        env.fake.insert_thirdparty(json!({"name": "Moulin du Rhône", "email": email, "client": 0, "fournisseur": 1}));
    let prospect = env.fake.insert_thirdparty(json!({"name": "Prospect", "email": email, "client": 2}));
    let both = env.fake.insert_thirdparty(
        json!({"name": "Client et fournisseur", "email": email, "client": 1, "fournisseur": 1}),
    );
    let mut ev = created(5250, 800);
    ev.customer.email = email.into();
    let out = done(env.deliver(Event::OrderCreated(ev)).await);
    let id = out["thirdparty_id"].as_i64().unwrap();
    assert!(![supplier, prospect, both].contains(&id), "a new thirdparty, not {id}");
    assert_eq!(env.fake.counts().thirdparties, 4);
    for t in env.fake.thirdparties() {
        let mine = t["id"].as_str() == Some(id.to_string().as_str());
        assert_eq!(t["ref_ext"] == "PS-CUST-800", mine, "{t}");
    }
    // A customer record (client 3 = customer and prospect) nobody claimed is taken.
    let free = env.fake.insert_thirdparty(json!({"name": "Client", "email": "libre@example.com", "client": 3}));
    let mut ev = created(5251, 801);
    ev.customer.email = "libre@example.com".into();
    assert_eq!(done(env.deliver(Event::OrderCreated(ev)).await)["thirdparty_id"], free);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuilt_link_rows_get_every_id_back_the_payment_included() {
    let env = env().await;
    done(env.deliver(Event::OrderCreated(created(5300, 30))).await);
    done(env.deliver(Event::OrderPaid(paid(5300, 2440))).await);
    let cols = ["thirdparty_id", "order_id", "invoice_id", "payment_id"];
    let mut before = Vec::new();
    for c in cols {
        before.push(env.link_i64(5300, c).await);
    }
    let payment: i64 = env.fake.payments()[0]["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(before[3], Some(payment));

    // The bridge's bookkeeping is lost; the paid event is replayed.
    sqlx::query("DELETE FROM dolibarr_links WHERE shop_order_id = 5300").execute(&env.db.pool).await.unwrap();
    let out = done(env.deliver(Event::OrderPaid(paid(5300, 2440))).await);
    assert_eq!(out["already_paid"], true, "{out}");
    for (c, want) in cols.iter().zip(&before) {
        assert_eq!(&env.link_i64(5300, c).await, want, "{c} rebuilt");
    }
    let link = env.link(5300).await;
    assert!(link.get::<Option<chrono::NaiveDateTime>, _>("paid_at").is_some());
    assert_eq!(env.fake.counts().payments, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_order_is_cancelled_in_dolibarr() {
    let env = env().await;
    done(env.deliver(Event::OrderCreated(created(5350, 35))).await);
    let ev = status(5350, Fulfilment::Delivery, OrderStatus::Accepted, OrderStatus::Cancelled);
    let out = done(env.deliver(Event::OrderStatusChanged(ev.clone())).await);
    let order = env.only_order(5350);
    assert_eq!(order["statut"], "-1", "Dolibarr's cancelled status: {order}");
    assert!(order["ref"].as_str().unwrap().starts_with("CO"), "keeps its validated ref: {order}");
    assert_eq!(out["cancelled_in_dolibarr"], true, "{out}");
    // A replay changes nothing, and a late order.created does not validate it again.
    let puts = env.fake.request_count("PUT", "/orders");
    let posts = env.fake.request_count("POST", "/orders");
    done(env.deliver(Event::OrderStatusChanged(ev)).await);
    done(env.deliver(Event::OrderCreated(created(5350, 35))).await);
    assert_eq!(env.fake.request_count("PUT", "/orders"), puts);
    assert_eq!(env.fake.request_count("POST", "/orders"), posts, "no line added, nothing validated");
    assert_eq!(env.only_order(5350)["statut"], "-1");
}

fn dessert_order(shop_order_id: i64, customer: i64) -> ocpizza_core::events::OrderCreated {
    let mut ev = created(shop_order_id, customer);
    ev.lines = vec![
        line(LineKind::Product, Some("DESSERT-FONDANT"), "Fondant au chocolat", 1, 650, "10.00"),
        line(LineKind::Product, Some("PIZZA-REINE"), "Pizza Reine", 1, 1190, "10.00"),
    ];
    ev.total_cents = 1840;
    ev
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_orders_in_two_bridge_processes_create_each_product_once() {
    let env = env().await;
    // Dolibarr spends a while between "does this ref exist?" and its insert: every creation races.
    env.fake.set_product_insert_window(Duration::from_millis(300));
    let other = env.other_destination();
    let (a, b, c, d) = tokio::join!(
        deliver_with(&env.dest, Event::OrderCreated(dessert_order(5401, 41))),
        deliver_with(&other, Event::OrderCreated(dessert_order(5402, 42))),
        deliver_with(&env.dest, Event::OrderCreated(dessert_order(5403, 43))),
        deliver_with(&other, Event::OrderCreated(dessert_order(5404, 44))),
    );
    for (i, r) in [a, b, c, d].into_iter().enumerate() {
        let out = done(r);
        assert_eq!(out["order_status"], 1, "order {} validated: {out}", 5401 + i);
    }
    let refs: Vec<String> = env.fake.products().iter().map(|p| p["ref"].as_str().unwrap().to_owned()).collect();
    assert_eq!(refs.len(), 2, "each product created once: {refs:?}");
    assert_eq!(env.fake.product_create_failures(), 0, "no creation lost the race");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_ref_refusal_is_looked_up_again_not_dead() {
    let env = env().await;
    // Someone creates the product by hand while the bridge's creation is between Dolibarr's check and insert:
    // Dolibarr answers 500 "Duplicate entry 'PIZZA-MARGHERITA-1' for key 'uk_product_ref'".
    env.fake.race_next_product_create(
        json!({"ref": "PIZZA-MARGHERITA", "label": "Margherita (saisie)", "price_ttc": 10, "price_base_type": "TTC", "tva_tx": 10}),
    );
    let out = done(env.deliver(Event::OrderCreated(created(5450, 45))).await);
    assert_eq!(out["order_status"], 1, "{out}");
    assert_eq!(env.fake.product_create_failures(), 1, "the race happened");
    assert_eq!(env.fake.counts().products, 2);
    let pizza = env.fake.products().into_iter().find(|p| p["ref"] == "PIZZA-MARGHERITA").unwrap();
    let line = &env.only_order(5450)["lines"][0];
    assert_eq!(line["fk_product"], pizza["id"], "the line names the product that won");
    assert_eq!(env.link(5450).await.get::<Option<String>, _>("order_ref").map(|r| r.starts_with("CO")), Some(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_payment_goes_to_its_method_bank_account_and_type_as_configured() {
    let env = env().await;
    // The restaurant's cash box is a cash account (type 2); counter payments are recorded as card here.
    let till = env.fake.add_bank_account("Caisse Bellecour", 2);
    let mut cfg = config(&env.fake.url());
    cfg.bank_accounts.insert("cash".into(), till);
    cfg.payment_types.insert("restaurant".into(), "CB".into());
    let dest = ocpizza_bridge::dolibarr::DolibarrDestination::new(&cfg, env.db.pool.clone()).unwrap();
    for (i, (provider, want_type, want_account)) in
        [("cash", "LIQ", till), ("restaurant", "CB", 1), ("card_terminal", "CB", 1)].into_iter().enumerate()
    {
        let id = 5600 + i as i64;
        done(deliver_with(&dest, Event::OrderCreated(created(id, 56))).await);
        let mut p = paid(id, 2440);
        p.provider = provider.into();
        done(deliver_with(&dest, Event::OrderPaid(p)).await);
        let (_, pay) = invoice_and_payment(&env, &env.only_order(id));
        assert_eq!(pay["type"], want_type, "{provider}: {pay}");
        assert_eq!(pay["fk_bank_account"], want_account.to_string(), "{provider}: {pay}");
        assert_eq!(env.link_i64(id, "payment_id").await, pay["id"].as_str().unwrap().parse().ok());
    }
    // Card money on the till is what Dolibarr refuses: a misconfiguration, fatal with Dolibarr's reason.
    cfg.bank_accounts.insert("card_terminal".into(), till);
    let wrong = ocpizza_bridge::dolibarr::DolibarrDestination::new(&cfg, env.db.pool.clone()).unwrap();
    done(deliver_with(&wrong, Event::OrderCreated(created(5610, 56))).await);
    let mut p = paid(5610, 2440);
    p.provider = "card_terminal".into();
    match deliver_with(&wrong, Event::OrderPaid(p)).await {
        Err(ocpizza_bridge::destination::DeliveryError::Fatal { reason }) => {
            assert!(reason.contains("ErrorCashAccountAcceptsOnlyCashMoney"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}
