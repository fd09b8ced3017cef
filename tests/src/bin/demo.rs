//! `demo` (run by `make demo` through scripts/demo.sh): a customer's order through the whole chain, as a timeline.
//!
//! Uses the `ocpizza` database that demo.sh migrated and seeded (OCPIZZA_DATABASE_URL; kept afterwards), the real
//! bridge binary, the local Dolibarr and APNs stand-ins, and the PrestaShop module's own code on the PrestaShop
//! stand-in (PrestaShop itself is not part of this repository) with the real extension. Scenario 1: an order paid
//! online goes to delivered. Scenario 2: the bridge is stopped during an order and delivers it once it is back.
//! Scenario 3 (issue 12): the restaurant's staff move a cash-on-delivery order through the staff API.
//! Scenario 4 (issue 13): a card order cancelled by the restaurant's manager is refunded from the shop's back office
//! (the SogeCommerce REST stand-in gives the money back; OCPizza_DB and Dolibarr's credit note follow).
//! Bounded in time; exit 0 on success, 1 with the reason otherwise.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use ocpizza_e2e::harness::{Artefacts, Cart, Database, Flow, FlowOptions, HarnessError, staff_status};
use ocpizza_e2e::prestashop_ws::FakePrestaShop;
use serde_json::{Value, json};

const DEFAULT_DB: &str = "mysql://root@127.0.0.1:3306/ocpizza";
/// The whole demo gives up after this long (each wait inside is bounded too).
const DEMO_LIMIT: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
enum DemoError {
    #[error(transparent)]
    Harness(#[from] HarnessError),
    #[error("{0}")]
    Unexpected(String),
    #[error("the demo did not finish within {0:?}")]
    TooLong(Duration),
}

fn unexpected(what: impl Into<String>) -> DemoError {
    DemoError::Unexpected(what.into())
}

struct Timeline(Instant);

impl Timeline {
    fn say(&self, what: &str, text: impl AsRef<str>) {
        let mut lines = text.as_ref().lines();
        println!(
            "[+{:>6.2} s] {what:<11} {}",
            self.0.elapsed().as_secs_f64(),
            lines.next().unwrap_or("")
        );
        for l in lines {
            println!("{:>24}{l}", "");
        }
    }
}

fn euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{},{:02} €", (cents / 100).abs(), (cents % 100).abs())
}

/// A Dolibarr amount (`"26.30000000"`, a credit note's `"-26.30000000"`) in cents.
fn dol_cents(v: &Value) -> i64 {
    let s = v.as_str().unwrap_or_default();
    let (sign, s) = s.strip_prefix('-').map_or((1, s), |rest| (-1, rest));
    let (e, c) = s.split_once('.').unwrap_or((s, "0"));
    sign * (e.parse::<i64>().unwrap_or(0) * 100
        + format!("{c:0<2}")[..2].parse::<i64>().unwrap_or(0))
}

fn status_fr(s: &str) -> &str {
    match s {
        "received" => "Reçue",
        "accepted" => "Acceptée",
        "in_preparation" => "En préparation",
        "ready" => "Prête",
        "out_for_delivery" => "En livraison",
        "delivered" => "Livrée",
        "picked_up" => "Retirée",
        "cancelled" => "Annulée",
        other => other,
    }
}

fn dol_status(o: &Value) -> &'static str {
    match o["statut"].as_str().unwrap_or_default() {
        "0" => "brouillon",
        "1" => "validée",
        "2" => "en cours",
        "3" => "clôturée",
        "-1" => "annulée",
        _ => "?",
    }
}

/// A customer's cart delivered to 69002 Lyon, refused loudly if the shop finds a problem with it.
async fn lyon_cart(flow: &Flow, lines: &[(&str, u32)]) -> Result<Cart, DemoError> {
    let cart = flow.shop.cart("69002", lines).await?;
    if !cart.problems.is_empty() {
        return Err(unexpected(format!("the shop refused the cart: {:?}", cart.problems)));
    }
    Ok(cart)
}

/// The customer orders and pays online; answers the shop order id.
async fn place_paid_order(flow: &Flow, t: &Timeline) -> Result<i64, DemoError> {
    let cart = lyon_cart(flow, &[("PIZZA-MARGHERITA", 2), ("DRINK-COLA-33", 1)]).await?;
    t.say(
        "Boutique",
        format!(
            "panier n°{} : 2 × Pizza Margherita, 1 × Cola 33 cl, livraison 69002 Lyon — {}",
            cart.id,
            euros(cart.total_cents())
        ),
    );
    let form = flow.shop.checkout_card(cart.id).await?;
    let f = &form["fields"];
    if f["vads_amount"].as_str() != Some(cart.total_cents().to_string().as_str()) {
        return Err(unexpected(format!(
            "hosted form amount {} for a cart of {}",
            f["vads_amount"], cart.total
        )));
    }
    t.say(
        "SogeCommerce",
        format!(
            "formulaire signé (HMAC-SHA-256) : vads_amount={} vads_currency={} vads_trans_id={} signature={}…",
            f["vads_amount"].as_str().unwrap_or("?"),
            f["vads_currency"].as_str().unwrap_or("?"),
            f["vads_trans_id"].as_str().unwrap_or("?"),
            f["signature"].as_str().unwrap_or("?").chars().take(12).collect::<String>()
        ),
    );
    let ipn = flow.shop.ipn(cart.id, "AUTHORISED", None).await?;
    let id = ipn["order_id"]
        .as_i64()
        .filter(|_| ipn["http_status"] == 200)
        .ok_or_else(|| unexpected(format!("IPN refused: {ipn}")))?;
    t.say(
        "IPN",
        format!(
            "AUTHORISED, signée comme la passerelle → HTTP {} « {} » → commande boutique n°{id}",
            ipn["http_status"],
            ipn["body"].as_str().unwrap_or("")
        ),
    );
    Ok(id)
}

/// What OCPizza_DB holds for the order.
async fn show_db(flow: &Flow, t: &Timeline, id: i64) -> Result<String, DemoError> {
    let o = flow
        .order(id)
        .await?
        .ok_or_else(|| unexpected(format!("order {id} is not in OCPizza_DB")))?;
    let mut text = format!(
        "commande {} — {}, {}, {}, statut « {} », total {}",
        o.reference,
        o.restaurant,
        o.fulfilment,
        o.payment_method,
        status_fr(&o.status),
        euros(o.total_cents)
    );
    for l in flow.lines(o.id).await? {
        text.push_str(&format!(
            "\n  {} × {} à {}",
            l.quantity,
            l.name,
            euros(l.unit_price_cents)
        ));
    }
    let (moves, taken) = flow.stock_taken(o.id).await?;
    text.push_str(&format!(
        "\n  stock de {} : {moves} mouvements, {taken} unités d'ingrédients prises",
        o.restaurant
    ));
    for p in flow.payments(o.id).await? {
        text.push_str(&format!(
            "\n  paiement {} {} {}",
            p.provider,
            p.status,
            euros(p.amount_cents)
        ));
    }
    let outbox = flow.outbox(id).await?;
    let ev: Vec<String> = outbox
        .iter()
        .map(|(e, p)| format!("{e} ({})", if *p { "publié" } else { "en attente" }))
        .collect();
    text.push_str(&format!("\n  outbox : {}", ev.join(", ")));
    t.say("OCPizza_DB", text);
    Ok(o.reference)
}

/// The bridge's inbox and deliveries, Dolibarr's order, invoice and payment, and the kitchen's push.
async fn show_relayed(flow: &Flow, t: &Timeline, id: i64) -> Result<(), DemoError> {
    let d = flow.wait_relayed(id).await?;
    let inbox = flow.inbox(id).await?;
    t.say(
        "Bridge",
        format!(
            "{} événements reçus ({}) ; {} livraisons faites : {}",
            inbox.len(),
            inbox
                .iter()
                .map(|(_, via)| via.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            d.len(),
            d.iter()
                .map(|d| format!("{} → {}", d.event_type, d.destination))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    let dol = flow
        .wait_dolibarr_order(id, "validated", |o| o["statut"] == "1")
        .await?;
    let dol_id = dol["id"].as_str().unwrap_or_default().to_owned();
    let (invoice, payment) = flow.wait_dolibarr_paid(&dol_id).await?;
    let tp = flow
        .dolibarr
        .thirdparties()
        .into_iter()
        .find(|tp| tp["id"] == dol["socid"])
        .unwrap_or_default();
    t.say(
        "Dolibarr",
        format!(
            "tiers « {} » ; commande {} {} ({} lignes, {} TTC, réf. client {})\nfacture {} validée, {} TTC, payée : {} ; paiement {} {} ({}, compte bancaire {})",
            tp["name"].as_str().unwrap_or("?"),
            dol["ref"].as_str().unwrap_or("?"),
            dol_status(&dol),
            dol["lines"].as_array().map(Vec::len).unwrap_or(0),
            euros(dol_cents(&dol["total_ttc"])),
            dol["ref_client"].as_str().unwrap_or("?"),
            invoice["ref"].as_str().unwrap_or("?"),
            euros(dol_cents(&invoice["total_ttc"])),
            if invoice["paye"] == "1" { "oui" } else { "non" },
            payment["ref"].as_str().unwrap_or("?"),
            euros(dol_cents(&payment["amount"])),
            payment["type"].as_str().unwrap_or("?"),
            payment["fk_bank_account"].as_str().unwrap_or("?"),
        ),
    );
    let pushes = flow.wait_pushes(&flow.kitchen_device, id, 1).await?;
    show_push(t, "iPhone cuisine", &pushes[0]);
    Ok(())
}

fn show_push(t: &Timeline, device: &str, p: &ocpizza_e2e::apns::AcceptedPush) {
    t.say(
        "APNs",
        format!(
            "push accepté sur l'{device} : « {} » — « {} » (collapse-id {})",
            p.payload["aps"]["alert"]["title"].as_str().unwrap_or(""),
            p.payload["aps"]["alert"]["body"].as_str().unwrap_or(""),
            p.headers
                .get("apns-collapse-id")
                .map(String::as_str)
                .unwrap_or("-")
        ),
    );
}

/// The kitchen and the driver move the order on, with what each step causes.
async fn run_statuses(flow: &Flow, t: &Timeline, id: i64) -> Result<(), DemoError> {
    for (state, label) in [
        ("OCPIZZA_OS_PREPARING", "En préparation"),
        ("OCPIZZA_OS_READY", "Prête"),
        ("OCPIZZA_OS_DELIVERING", "En livraison"),
        ("PS_OS_DELIVERED", "Livrée"),
    ] {
        flow.shop.state(id, state).await?;
        flow.wait_relayed(id).await?;
        let o = flow
            .order(id)
            .await?
            .ok_or_else(|| unexpected("order vanished"))?;
        t.say(
            "Statut",
            format!(
                "« {label} » dans la boutique → OCPizza_DB « {} », relayé par le bridge",
                status_fr(&o.status)
            ),
        );
        match state {
            "OCPIZZA_OS_READY" => {
                let p = flow.wait_pushes(&flow.driver_device, id, 1).await?;
                show_push(t, "iPhone livreur", &p[0]);
            }
            "PS_OS_DELIVERED" => {
                let dol = flow
                    .wait_dolibarr_order(id, "closed", |o| o["statut"] == "3")
                    .await?;
                t.say(
                    "Dolibarr",
                    format!(
                        "commande {} {}",
                        dol["ref"].as_str().unwrap_or("?"),
                        dol_status(&dol)
                    ),
                );
            }
            _ => {}
        }
    }
    Ok(())
}

/// The Dolibarr stand-in starts empty at every run, while the bridge's memory of Dolibarr (customer and order ids in
/// `dolibarr_customers`, `dolibarr_links`, `dolibarr_refunds`) stays in the kept `ocpizza` database: forget the
/// previous run's ids, or the bridge would point new orders at a thirdparty this Dolibarr never had.
async fn forget_previous_dolibarr(db: &Database) -> Result<(), DemoError> {
    for table in ["dolibarr_refunds", "dolibarr_links", "dolibarr_customers"] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(db.pool())
            .await
            .map_err(HarnessError::from)?;
    }
    Ok(())
}

/// The shop's Webservice key (32 characters), its state « Prête » (a state the module adds) and PrestaShop's
/// « En attente de paiement à la livraison » (built-in 10, as in bridge/tests/staff_chain.rs).
const WS_KEY: &str = "OCPZDEMO0123456789ABCDEFGHIJKLMN";
const READY_STATE: i64 = 15;
const COD_STATE: i64 = 10;

/// PrestaShop's names of the states the bridge's default mapping uses, plus the module's « Prête ».
fn ps_state(id: i64) -> String {
    let name = match id {
        2 => "Paiement accepté",
        3 => "Préparation en cours",
        4 => "Expédié",
        5 => "Livré",
        6 => "Annulé",
        READY_STATE => "Prête",
        _ => "?",
    };
    format!("{id} « {name} »")
}

/// The demo's staff of BELLECOUR (db/seed/chain.sql) and the PIN an operator sets for each.
const STAFF: &[(&str, &str)] = &[
    ("emma.g", "4821"),
    ("luca.b", "7305"),
    ("karim.h", "1964"),
    ("julien.p", "5530"),
];

/// One call of the staff API: (HTTP status, JSON body).
async fn staff_call(req: reqwest::RequestBuilder) -> Result<(u16, Value), DemoError> {
    let r = req
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .map_err(|e| unexpected(format!("staff API: {e}")))?;
    let code = r.status().as_u16();
    Ok((code, r.json::<Value>().await.unwrap_or_default()))
}

/// Scenario 3: cashier accepts, pizzaiolo cooks from the recipe, two drivers race, cash collected, delivered.
async fn staff_scene(flow: &Flow, db_url: &str, ws: &FakePrestaShop) -> Result<(), DemoError> {
    println!(
        "\n-- Scénario 3 : l'équipe du restaurant avec l'application iPhone (API staff du bridge)"
    );
    let t = Timeline(Instant::now());
    for (login, pin) in STAFF {
        let said = Artefacts::locate()?.set_pin(db_url, "BELLECOUR", login, pin).await?;
        t.say(
            "Opérateur",
            format!("ocpizza-bridge staff set-pin BELLECOUR {login} → {said}"),
        );
    }
    let cart = lyon_cart(flow, &[("PIZZA-MARGHERITA", 2), ("DRINK-COLA-33", 1)]).await?;
    let r = flow.shop.offline(cart.id, "cash_on_delivery").await?;
    let id = r["order_id"]
        .as_i64()
        .filter(|i| *i > 0)
        .ok_or_else(|| unexpected(format!("no order: {r}")))?;
    t.say(
        "Boutique",
        format!(
            "commande n°{id} à payer en espèces à la livraison — {}",
            euros(cart.total_cents())
        ),
    );
    let reference = show_db(flow, &t, id).await?;
    // The Webservice stand-in knows the shop's orders it is given: this one, awaiting cash on delivery.
    ws.add_order(id, COD_STATE);
    let dol = flow
        .wait_dolibarr_order(id, "validated", |o| o["statut"] == "1")
        .await?;
    let dol_id = dol["id"].as_str().unwrap_or_default().to_owned();
    t.say(
        "Dolibarr",
        format!(
            "commande {} {}",
            dol["ref"].as_str().unwrap_or("?"),
            dol_status(&dol)
        ),
    );

    let http = reqwest::Client::new();
    let base = flow.bridge.url();
    let mut tokens = std::collections::HashMap::new();
    for (login, pin) in STAFF {
        let (code, b) = staff_call(
            http.post(format!("{base}/v1/staff/sessions"))
                .json(&json!({"restaurant": "BELLECOUR", "login": login, "pin": pin})),
        )
        .await?;
        let token = b["token"]
            .as_str()
            .filter(|_| code == 201)
            .ok_or_else(|| unexpected(format!("sign-in of {login}: {code} {b}")))?;
        t.say(
            "iPhone",
            format!(
                "{} ({}) se connecte : HTTP {code}, session jusqu'à {}",
                b["staff"]["name"].as_str().unwrap_or(login),
                b["staff"]["role"].as_str().unwrap_or("?"),
                b["expires_at"].as_str().unwrap_or("?")
            ),
        );
        tokens.insert(*login, token.to_owned());
    }
    let status = |login: &str, to: &str, expected: Option<&str>| {
        staff_status(&http, &base, &tokens[login], &reference, to, expected)
    };
    let (code, b) = staff_call(status("emma.g", "accepted", None)).await?;
    t.say(
        "Caisse",
        format!(
            "Emma accepte {reference} : HTTP {code}{}",
            if b["changed"] == false {
                " (déjà acceptée par la boutique : rien ne change)"
            } else {
                ""
            }
        ),
    );

    let (code, queue) = staff_call(
        http.get(format!("{base}/v1/restaurants/BELLECOUR/orders"))
            .bearer_auth(&tokens["luca.b"]),
    )
    .await?;
    let mine = queue["orders"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["reference"] == reference.as_str()))
        .ok_or_else(|| unexpected(format!("{reference} not in the queue: {code} {queue}")))?;
    let mut text = format!("Luca lit la file (HTTP {code}) : {reference}");
    for l in mine["lines"].as_array().into_iter().flatten() {
        text.push_str(&format!(
            "\n  {} × {}",
            l["quantity"],
            l["name"].as_str().unwrap_or("?")
        ));
        if let Some(steps) = l["recipe"]["steps"].as_array() {
            for (i, s) in steps.iter().enumerate() {
                let s = s
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| s.to_string());
                text.push_str(&format!("\n     {}. {s}", i + 1));
            }
        }
    }
    t.say("Cuisine", text);
    for to in ["in_preparation", "ready"] {
        let (code, _) = staff_call(status("luca.b", to, None)).await?;
        t.say(
            "Cuisine",
            format!("Luca → « {} » : HTTP {code}", status_fr(to)),
        );
    }
    let p = flow.wait_pushes(&flow.driver_device, id, 1).await?;
    show_push(&t, "iPhone livreur", &p[0]);
    if let Some(link) = p[0].payload["navigation_url"].as_str() {
        t.say("APNs", format!("lien de navigation dans le push : {link}"));
    }

    let (a, b) = tokio::join!(
        staff_call(status("karim.h", "out_for_delivery", Some("ready"))),
        staff_call(status("julien.p", "out_for_delivery", Some("ready")))
    );
    let (a, b) = (a?, b?);
    let mut codes = [a.0, b.0];
    codes.sort();
    if codes != [200, 409] {
        return Err(unexpected(format!(
            "two drivers taking one order: {a:?} {b:?}"
        )));
    }
    let (driver, name) = if a.0 == 200 {
        ("karim.h", "Karim")
    } else {
        ("julien.p", "Julien")
    };
    let loser = if a.0 == 200 { &b.1 } else { &a.1 };
    t.say(
        "Livreurs",
        format!(
            "Karim et Julien prennent la commande en même temps : {name} l'obtient (200), l'autre reçoit 409 « {} »",
            loser["error"].as_str().unwrap_or("")
        ),
    );
    let o = flow
        .order(id)
        .await?
        .ok_or_else(|| unexpected("order vanished"))?;
    let (code, paid) = staff_call(
        http.post(format!("{base}/v1/orders/{reference}/payments"))
            .bearer_auth(&tokens[driver])
            .header("idempotency-key", format!("demo-cash-{id}"))
            .json(&json!({"method": "cash", "amount_cents": o.total_cents})),
    )
    .await?;
    if code != 201 {
        return Err(unexpected(format!("cash payment: {code} {paid}")));
    }
    t.say(
        "Livreur",
        format!(
            "{name} encaisse {} en espèces : HTTP {code}",
            euros(o.total_cents)
        ),
    );
    let (code, _) = staff_call(status(driver, "delivered", Some("out_for_delivery"))).await?;
    t.say("Livreur", format!("{name} → « Livrée » : HTTP {code}"));

    let (invoice, payment) = flow.wait_dolibarr_paid(&dol_id).await?;
    t.say(
        "Dolibarr",
        format!(
            "facture {} payée : {} ; paiement {} {} type {}",
            invoice["ref"].as_str().unwrap_or("?"),
            if invoice["paye"] == "1" { "oui" } else { "non" },
            payment["ref"].as_str().unwrap_or("?"),
            euros(dol_cents(&payment["amount"])),
            payment["type"].as_str().unwrap_or("?"),
        ),
    );
    flow.wait_relayed(id).await?;
    let o = flow
        .order(id)
        .await?
        .ok_or_else(|| unexpected("order vanished"))?;
    let history: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT h.to_status, CONVERT(s.login USING utf8mb4) FROM order_status_history h \
         JOIN orders o ON o.id = h.order_id LEFT JOIN staff s ON s.id = h.changed_by_staff_id \
         WHERE o.shop_order_id = ? ORDER BY h.id",
    )
    .bind(id)
    .fetch_all(flow.pool())
    .await
    .map_err(HarnessError::from)?;
    t.say(
        "OCPizza_DB",
        format!(
            "statut « {} » ; historique : {}",
            status_fr(&o.status),
            history
                .iter()
                .map(|(s, by)| format!(
                    "{}{}",
                    status_fr(s),
                    by.as_deref().map(|b| format!(" ({b})")).unwrap_or_default()
                ))
                .collect::<Vec<_>>()
                .join(" → ")
        ),
    );
    let shop_states: Vec<String> = ws
        .history(id)
        .iter()
        .map(|h| ps_state(h.id_order_state))
        .collect();
    t.say(
        "PrestaShop",
        format!(
            "Webservice : la commande n°{id} passe par les états {} ; état actuel {}",
            shop_states.join(" → "),
            ws.current_state(id)
                .map(ps_state)
                .unwrap_or_else(|| "?".into())
        ),
    );
    // The demo's database outlives the run: the sessions end as a staff member signing out would end them.
    for (login, token) in &tokens {
        let (code, _) = staff_call(
            http.delete(format!("{base}/v1/staff/sessions/current"))
                .bearer_auth(token),
        )
        .await?;
        if !(200..300).contains(&code) {
            return Err(unexpected(format!("sign-out of {login}: HTTP {code}")));
        }
    }
    t.say(
        "iPhone",
        "les quatre se déconnectent (DELETE /v1/staff/sessions/current)",
    );
    Ok(())
}

/// BELLECOUR's manager (db/seed/chain.sql) and the PIN the demo sets for her.
const MANAGER: (&str, &str) = ("claire.m", "2718");

/// Scenario 4: paid by card, cancelled by the restaurant's manager, refunded from the shop's back office; what
/// PrestaShop, OCPizza_DB, Dolibarr and the gateway show at the end.
async fn refund_scene(flow: &Flow, db_url: &str, ws: &FakePrestaShop) -> Result<(), DemoError> {
    println!(
        "\n-- Scénario 4 : commande payée par carte, annulée par le restaurant, remboursée depuis le back office"
    );
    let t = Timeline(Instant::now());
    let fake = flow
        .sogecommerce
        .as_ref()
        .ok_or_else(|| unexpected("no SogeCommerce REST stand-in"))?;
    let cart = lyon_cart(flow, &[("PIZZA-REINE", 2), ("DRINK-COLA-33", 1)]).await?;
    let total = cart.total_cents();
    let ipn = flow.pay_by_card(&cart).await?;
    let id = ipn["order_id"]
        .as_i64()
        .filter(|i| *i > 0 && ipn["http_status"] == 200)
        .ok_or_else(|| unexpected(format!("IPN refused: {ipn}")))?;
    let paid_uuid = ipn["trans_uuid"].as_str().unwrap_or_default().to_owned();
    t.say(
        "IPN",
        format!(
            "carte CAPTURED {} (transaction {paid_uuid}) → « {} » → commande boutique n°{id}, 2 × Pizza Reine, 1 × Cola 33 cl",
            euros(total),
            ipn["body"].as_str().unwrap_or("")
        ),
    );
    // The Webservice stand-in knows the shop's order, payment accepted: the staff's cancel goes back to it.
    ws.add_order(id, 2);
    let o = flow
        .order(id)
        .await?
        .ok_or_else(|| unexpected(format!("order {id} is not in OCPizza_DB")))?;
    let dol = flow
        .wait_dolibarr_order(id, "validated", |o| o["statut"] == "1")
        .await?;
    let (invoice, payment) = flow
        .wait_dolibarr_paid(dol["id"].as_str().unwrap_or_default())
        .await?;
    if payment["type"] != "CB" || dol_cents(&payment["amount"]) != total {
        return Err(unexpected(format!(
            "the card payment in Dolibarr: {payment}"
        )));
    }
    t.say(
        "Dolibarr",
        format!(
            "commande {} {} ; facture {} payée par carte : {} (type {})",
            dol["ref"].as_str().unwrap_or("?"),
            dol_status(&dol),
            invoice["ref"].as_str().unwrap_or("?"),
            euros(dol_cents(&payment["amount"])),
            payment["type"].as_str().unwrap_or("?")
        ),
    );

    let said = Artefacts::locate()?.set_pin(db_url, "BELLECOUR", MANAGER.0, MANAGER.1).await?;
    t.say(
        "Opérateur",
        format!(
            "ocpizza-bridge staff set-pin BELLECOUR {} → {said}",
            MANAGER.0
        ),
    );
    let http = reqwest::Client::new();
    let base = flow.bridge.url();
    let (code, session) = staff_call(
        http.post(format!("{base}/v1/staff/sessions"))
            .json(&json!({"restaurant": "BELLECOUR", "login": MANAGER.0, "pin": MANAGER.1})),
    )
    .await?;
    let token = session["token"]
        .as_str()
        .filter(|_| code == 201)
        .ok_or_else(|| unexpected(format!("sign-in of {}: {code} {session}", MANAGER.0)))?
        .to_owned();
    let (code, b) = staff_call(
        http.post(format!("{base}/v1/orders/{}/status", o.reference))
            .bearer_auth(&token)
            .json(&json!({"status": "cancelled"})),
    )
    .await?;
    if code != 200 {
        return Err(unexpected(format!("the manager's cancel: {code} {b}")));
    }
    t.say(
        "iPhone",
        format!("Claire (gérante) annule {} : HTTP {code}", o.reference),
    );
    flow.wait_relayed(id).await?;
    let review = needs_review(flow, id).await?.ok_or_else(|| {
        unexpected("Dolibarr: a paid order cancelled is not flagged for a credit note")
    })?;
    t.say("Dolibarr", format!("à revoir : {review}"));
    t.say(
        "PrestaShop",
        format!(
            "Webservice : état {} ; la passerelle n'a rien reçu ({} demande)",
            ws.current_state(id)
                .map(ps_state)
                .unwrap_or_else(|| "?".into()),
            fake.requests().len()
        ),
    );
    let _ = staff_call(
        http.delete(format!("{base}/v1/staff/sessions/current"))
            .bearer_auth(&token),
    )
    .await?;
    // The shop follows the Webservice (two stand-ins here: the Webservice's and the module's shop); a change made
    // without an employee asks the gateway nothing.
    flow.shop.state(id, "PS_OS_CANCELED").await?;
    let shown = flow.shop.show(id).await?;
    if !fake.requests().is_empty() || shown["refunds"].as_array().is_some_and(|r| !r.is_empty()) {
        return Err(unexpected(format!(
            "a cancel without an employee asked a refund: {shown}"
        )));
    }
    t.say(
        "PrestaShop",
        format!(
            "boutique : commande n°{id} « {} » (sans employé : rien n'est demandé à la passerelle)",
            shown["state_name"].as_str().unwrap_or("?")
        ),
    );

    let r = flow.shop.refund(id, "PS_OS_REFUND").await?;
    let rows = r["refunds"].as_array().cloned().unwrap_or_default();
    if rows.len() != 1
        || rows[0]["state"] != "recorded"
        || rows[0]["amount_cents"].as_i64() != Some(total)
    {
        return Err(unexpected(format!("the back-office refund: {r}")));
    }
    let credit_uuid = rows[0]["answer_uuid"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    t.say(
        "Back office",
        format!(
            "Lucie Garnier passe la commande n°{id} en « {} » → remboursement {} : {} {}",
            r["state_name"].as_str().unwrap_or("?"),
            rows[0]["key"].as_str().unwrap_or("?"),
            rows[0]["state"].as_str().unwrap_or("?"),
            euros(total)
        ),
    );
    let asked = fake.requests();
    if asked.len() != 1
        || asked[0]["uuid"] != paid_uuid.as_str()
        || asked[0]["amount"].as_i64() != Some(total)
    {
        return Err(unexpected(format!("what the gateway was asked: {asked:?}")));
    }
    t.say(
        "SogeCommerce",
        format!(
            "V4/Transaction/CancelOrRefund {{uuid {paid_uuid}, amount {}, currency {}}} → CREDIT {credit_uuid}",
            asked[0]["amount"], asked[0]["currency"].as_str().unwrap_or("?")
        ),
    );
    let refunds = flow.refunds(id).await?;
    if refunds.len() != 1 || refunds[0].source != "shop" || refunds[0].amount_cents != total {
        return Err(unexpected(format!("OCPizza_DB refunds: {refunds:?}")));
    }
    flow.shop.publish().await?;
    flow.wait_relayed(id).await?;
    let notes: Vec<Value> = flow
        .dolibarr
        .credit_notes()
        .into_iter()
        .filter(|c| c["fk_facture_source"] == invoice["id"])
        .collect();
    let [cn] = notes.as_slice() else {
        return Err(unexpected(format!(
            "Dolibarr credit notes of the invoice: {notes:?}"
        )));
    };
    let back = flow
        .dolibarr
        .payments_of(cn["id"].as_str().unwrap_or_default().parse().unwrap_or(0));
    if cn["statut"] != "2"
        || cn["paye"] != "1"
        || dol_cents(&cn["total_ttc"]) != -total
        || back.len() != 1
    {
        return Err(unexpected(format!(
            "the credit note: {cn}; its payments: {back:?}"
        )));
    }
    if let Some(still) = needs_review(flow, id).await? {
        return Err(unexpected(format!(
            "Dolibarr still flagged after the refund: {still}"
        )));
    }

    // The gateway notifies its CREDIT: already there, nothing more anywhere.
    let credit = flow.shop.ipn_credit(cart.id, &credit_uuid, total).await?;
    if credit["body"] != "OK-Refund already registered" {
        return Err(unexpected(format!("the CREDIT notification: {credit}")));
    }
    t.say(
        "IPN",
        format!(
            "notification CREDIT {credit_uuid} de la passerelle → « {} »",
            credit["body"].as_str().unwrap_or("")
        ),
    );
    flow.shop.publish().await?;
    flow.wait_relayed(id).await?;
    let events = flow
        .outbox(id)
        .await?
        .iter()
        .filter(|(e, _)| e == "order.refunded")
        .count();
    let notes_after = flow
        .dolibarr
        .credit_notes()
        .into_iter()
        .filter(|c| c["fk_facture_source"] == invoice["id"])
        .count();
    if flow.refunds(id).await? != refunds
        || events != 1
        || notes_after != 1
        || fake.requests().len() != 1
    {
        return Err(unexpected(format!(
            "after the CREDIT notification: {} refunds, {events} events, {notes_after} credit notes, {} gateway requests",
            flow.refunds(id).await?.len(),
            fake.requests().len()
        )));
    }

    let shown = flow.shop.show(id).await?;
    t.say(
        "PrestaShop",
        format!(
            "commande n°{id} : état « {} » ; remboursement {} {} ({})",
            shown["state_name"].as_str().unwrap_or("?"),
            euros(total),
            shown["refunds"][0]["state"].as_str().unwrap_or("?"),
            shown["refunds"][0]["requested_by"].as_str().unwrap_or("?")
        ),
    );
    let o = flow
        .order(id)
        .await?
        .ok_or_else(|| unexpected("order vanished"))?;
    let rf = &refunds[0];
    t.say(
        "OCPizza_DB",
        format!(
            "commande {} « {} » ; remboursement {} source {} par « {} », transaction {} ; {events} événement order.refunded",
            o.reference,
            status_fr(&o.status),
            euros(rf.amount_cents),
            rf.source,
            rf.requested_by.as_deref().unwrap_or("?"),
            rf.transaction_uuid.as_deref().unwrap_or("?")
        ),
    );
    t.say(
        "Dolibarr",
        format!(
            "avoir {} sur la facture {}, validé, {} TTC, remboursé : {} ; paiement {} {} type {} (compte bancaire {}) ; plus rien à revoir",
            cn["ref"].as_str().unwrap_or("?"),
            invoice["ref"].as_str().unwrap_or("?"),
            euros(dol_cents(&cn["total_ttc"])),
            if cn["paye"] == "1" { "oui" } else { "non" },
            back[0]["ref"].as_str().unwrap_or("?"),
            euros(dol_cents(&back[0]["amount"])),
            back[0]["type"].as_str().unwrap_or("?"),
            back[0]["fk_bank_account"].as_str().unwrap_or("?"),
        ),
    );
    Ok(())
}

/// What Dolibarr's side of the bridge says a person must do for the order (`dolibarr_links.needs_review`).
async fn needs_review(flow: &Flow, id: i64) -> Result<Option<String>, DemoError> {
    let row: Option<(Option<String>,)> = sqlx::query_as(
        "SELECT CAST(needs_review AS CHAR) FROM dolibarr_links WHERE shop_order_id = ?",
    )
    .bind(id)
    .fetch_optional(flow.pool())
    .await
    .map_err(HarnessError::from)?;
    Ok(row.and_then(|r| r.0))
}

/// Scenario 1 (paid online, to delivered) and scenario 2 (bridge stopped during an order).
async fn scenarios(flow: &mut Flow, db_url: &str, ws: &FakePrestaShop) -> Result<(), DemoError> {
    println!("-- Scénario 1 : commande payée en ligne, jusqu'à la livraison");
    let t = Timeline(Instant::now());
    let id = place_paid_order(flow, &t).await?;
    show_db(flow, &t, id).await?;
    show_relayed(flow, &t, id).await?;
    run_statuses(flow, &t, id).await?;

    println!("\n-- Scénario 2 : le bridge est arrêté pendant une commande");
    let t = Timeline(Instant::now());
    flow.bridge.stop().await?;
    t.say("Bridge", "arrêté (SIGTERM)");
    let id = place_paid_order(flow, &t).await?;
    show_db(flow, &t, id).await?;
    let dol_before = flow.dolibarr.order_by_ref_ext(&format!("PS-{id}")).len();
    t.say(
        "Dolibarr",
        format!(
            "{dol_before} commande pour l'instant ; {} push",
            flow.pushes(&flow.kitchen_device, id).len()
        ),
    );
    // APNs refuses a new provider token less than 20 min after the previous one (429 TooManyProviderTokenUpdates):
    // the restarted process reuses the token its predecessor stored in OCPizza_DB (apns_provider_tokens).
    flow.bridge.restart().await?;
    t.say(
        "Bridge",
        "redémarré : la réconciliation reprend les événements en attente de l'outbox",
    );
    show_relayed(flow, &t, id).await?;
    let orders = flow.dolibarr.order_by_ref_ext(&format!("PS-{id}")).len();
    let pushes = flow.pushes(&flow.kitchen_device, id).len();
    if orders != 1 || pushes != 1 {
        return Err(unexpected(format!(
            "expected exactly one Dolibarr order and one kitchen push, got {orders} and {pushes}"
        )));
    }
    show_db(flow, &t, id).await?;
    run_statuses(flow, &t, id).await?;
    t.say(
        "Résultat",
        format!("livrée une seule fois : {orders} commande Dolibarr, {pushes} push cuisine"),
    );
    staff_scene(flow, db_url, ws).await?;
    refund_scene(flow, db_url, ws).await?;
    Ok(())
}

async fn demo() -> Result<(), DemoError> {
    let url = std::env::var("OCPIZZA_DATABASE_URL").unwrap_or_else(|_| DEFAULT_DB.to_owned());
    let db = Database::existing(&url).await?;
    forget_previous_dolibarr(&db).await?;
    println!(
        "== OC Pizza : une commande de bout en bout (boutique de démonstration, services locaux)"
    );
    // The shop's Webservice (stand-in): the staff's statuses go back to the shop's order. The shop's own changes
    // (scenes 1 and 2) are skipped by the bridge without calling it.
    let ws = FakePrestaShop::start(WS_KEY).await;
    ws.add_state(READY_STATE);
    let opts = FlowOptions {
        extra_env: vec![
            ("OCPIZZA_PRESTASHOP_URL".into(), ws.url()),
            ("OCPIZZA_PRESTASHOP_WS_KEY".into(), WS_KEY.into()),
            (
                "OCPIZZA_PRESTASHOP_STATES".into(),
                format!("ready={READY_STATE}"),
            ),
        ],
        sogecommerce: true,
        ..FlowOptions::default()
    };
    let mut flow = Flow::start(db, opts).await?;
    println!(
        "   bridge {} (binaire réel) · Dolibarr simulé {} · APNs simulé {} · appareils de {} : cuisine …{}, livreur …{}",
        flow.bridge.url(),
        flow.dolibarr.url(),
        flow.apns.endpoint(),
        flow.restaurant,
        &flow.kitchen_device[60..],
        &flow.driver_device[60..]
    );
    println!(
        "   boutique : le code du module ocpizza sur un simulateur de PrestaShop (PrestaShop n'est pas dans ce dépôt) ; Webservice PrestaShop simulé {} ; API REST SogeCommerce simulée {}\n",
        ws.url(),
        flow.sogecommerce
            .as_ref()
            .map(|f| f.api_url())
            .unwrap_or_default()
    );

    let result = scenarios(&mut flow, &url, &ws).await;
    // The demo's database outlives the run: its devices go (also after a failure, when the bridge still runs).
    if flow.bridge.is_running() {
        let unregistered = flow.unregister_devices().await;
        flow.bridge.stop().await?;
        unregistered?;
    }
    result?;
    // The database the run used (DEMO_DB picks another than `ocpizza`), named without the URL's credentials.
    let name = url.rsplit('/').next().unwrap_or("ocpizza");
    println!("\nDémonstration terminée. La base `{name}` garde ces commandes (`ocpizza-bridge summary` les compte).");
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    match tokio::time::timeout(DEMO_LIMIT, demo())
        .await
        .unwrap_or(Err(DemoError::TooLong(DEMO_LIMIT)))
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\ndemo failed: {e}");
            ExitCode::FAILURE
        }
    }
}
