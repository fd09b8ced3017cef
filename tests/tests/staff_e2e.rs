//! Issue 12's scene through the real binaries: the PIN set with `ocpizza-bridge staff set-pin` (stdin), the
//! restaurant's staff on the staff API of the real `ocpizza-bridge serve`, a cash-on-delivery order placed by the
//! module's own code on the PrestaShop stand-in, the Dolibarr and APNs stand-ins. The pizzaiolo reads the queue
//! with the recipe and marks ready (the driver's push carries the geocoded coordinates and their link), two drivers
//! take the order at once (200 and 409), cash is collected (Dolibarr records a LIQ payment) and the order is
//! delivered; the shop's order follows through the PrestaShop Webservice stand-in. Waits are bounded polls, never
//! timing assertions.

use std::time::Duration;

use ocpizza_e2e::harness::{Artefacts, Database, Flow, FlowOptions, HarnessError, staff_status};
use ocpizza_e2e::prestashop_ws::FakePrestaShop;
use serde_json::{Value, json};

trait Must<T> {
    fn must(self) -> T;
}

impl<T> Must<T> for Result<T, HarnessError> {
    fn must(self) -> T {
        self.unwrap_or_else(|e| panic!("{e}"))
    }
}

const WS_KEY: &str = "OCPZE2E0123456789ABCDEFGHIJKLMNO";

const STAFF: &[(&str, &str)] = &[
    ("emma.g", "4821"),
    ("luca.b", "7305"),
    ("karim.h", "1964"),
    ("julien.p", "5530"),
];

async fn call(req: reqwest::RequestBuilder) -> (u16, Value) {
    let r = req.timeout(Duration::from_secs(30)).send().await.unwrap();
    let code = r.status().as_u16();
    (code, r.json::<Value>().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restaurant_staff_take_a_cash_order_to_the_doorstep_through_the_real_bridge() {
    // The shop's Webservice (stand-in), with the module's « Prête » state (15, as in bridge/tests/staff_chain.rs).
    let ws = FakePrestaShop::start(WS_KEY).await;
    ws.add_state(15);
    let opts = FlowOptions {
        extra_env: vec![
            ("OCPIZZA_PRESTASHOP_URL".into(), ws.url()),
            ("OCPIZZA_PRESTASHOP_WS_KEY".into(), WS_KEY.into()),
            ("OCPIZZA_PRESTASHOP_STATES".into(), "ready=15".into()),
        ],
        ..FlowOptions::default()
    };
    let flow = Flow::start(Database::seeded_test().await, opts)
        .await
        .must();
    let db_url = flow.db.url().to_owned();
    for (login, pin) in STAFF {
        let said = Artefacts::locate().must().set_pin(&db_url, "BELLECOUR", login, pin).await.must();
        assert!(
            said.contains(&format!("PIN set for {login} of BELLECOUR")),
            "{said}"
        );
    }

    let cart = flow
        .shop
        .cart("69002", &[("PIZZA-MARGHERITA", 2), ("DRINK-COLA-33", 1)])
        .await
        .must();
    assert!(cart.problems.is_empty(), "{:?}", cart.problems);
    let r = flow.shop.offline(cart.id, "cash_on_delivery").await.must();
    let id = r["order_id"]
        .as_i64()
        .filter(|i| *i > 0)
        .unwrap_or_else(|| panic!("no order: {r}"));
    let order = flow
        .order(id)
        .await
        .must()
        .expect("the order is in OCPizza_DB");
    let reference = order.reference.clone();
    // The Webservice knows this shop order, awaiting cash on delivery (built-in state 10).
    ws.add_order(id, 10);
    let dol = flow
        .wait_dolibarr_order(id, "validated", |o| o["statut"] == "1")
        .await
        .must();
    let dol_id = dol["id"].as_str().unwrap().to_owned();
    // As if OCPIZZA_GEOCODING_KEY had geocoded the address (staff_geocoding.rs tests that part against Google's
    // stand-in): the driver's push must use these coordinates.
    let updated = sqlx::query(
        "UPDATE customer_addresses a JOIN orders o ON o.delivery_address_id = a.id \
         SET a.latitude = 45.757814, a.longitude = 4.832011, a.geocode_status = 'OK', a.geocoded_at = NOW(6) \
         WHERE o.shop_order_id = ?",
    )
    .bind(id)
    .execute(flow.pool())
    .await
    .unwrap();
    assert_eq!(updated.rows_affected(), 1);

    let http = reqwest::Client::new();
    let base = flow.bridge.url();
    // A wrong PIN is refused by the real binary too.
    let (code, b) = call(
        http.post(format!("{base}/v1/staff/sessions"))
            .json(&json!({"restaurant": "BELLECOUR", "login": "luca.b", "pin": "0000"})),
    )
    .await;
    assert_eq!(
        (code, b["reason"].as_str()),
        (401, Some("invalid_credentials")),
        "{b}"
    );
    let mut tokens = std::collections::HashMap::new();
    for (login, pin) in STAFF {
        let (code, b) = call(
            http.post(format!("{base}/v1/staff/sessions"))
                .json(&json!({"restaurant": "BELLECOUR", "login": login, "pin": pin})),
        )
        .await;
        assert_eq!(code, 201, "{login}: {b}");
        tokens.insert(*login, b["token"].as_str().unwrap().to_owned());
    }
    let status = |login: &str, to: &str, expected: Option<&str>| {
        staff_status(&http, &base, &tokens[login], &reference, to, expected)
    };
    // The module accepts a cash-on-delivery order itself: the cashier's accept is then a no-op.
    let (code, b) = call(status("emma.g", "accepted", None)).await;
    assert_eq!(code, 200, "{b}");

    let (code, queue) = call(
        http.get(format!("{base}/v1/restaurants/BELLECOUR/orders"))
            .bearer_auth(&tokens["luca.b"]),
    )
    .await;
    assert_eq!(code, 200, "{queue}");
    let mine = queue["orders"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["reference"] == reference.as_str()))
        .unwrap_or_else(|| panic!("{reference} not in the queue: {queue}"))
        .clone();
    let pizza = mine["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| {
            l["recipe"]["steps"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
        })
        .unwrap_or_else(|| panic!("no line with a recipe: {mine}"));
    assert_eq!(pizza["quantity"], 2, "{pizza}");
    assert_eq!(call(status("luca.b", "in_preparation", None)).await.0, 200);
    assert_eq!(call(status("luca.b", "ready", None)).await.0, 200);

    let push = flow.wait_pushes(&flow.driver_device, id, 1).await.must();
    let p = &push[0].payload;
    assert_eq!(
        p["aps"]["alert"]["title"],
        format!("Commande {reference} prête")
    );
    assert_eq!(
        p["navigation_url"],
        "https://www.google.com/maps/dir/?api=1&destination=45.757814%2C4.832011",
        "{p}"
    );
    assert_eq!(
        p["coordinates"],
        json!({"lat": 45.757814, "lng": 4.832011}),
        "{p}"
    );

    let (a, b) = tokio::join!(
        call(status("karim.h", "out_for_delivery", Some("ready"))),
        call(status("julien.p", "out_for_delivery", Some("ready")))
    );
    let mut codes = [a.0, b.0];
    codes.sort();
    assert_eq!(codes, [200, 409], "{a:?} {b:?}");
    let driver = if a.0 == 200 { "karim.h" } else { "julien.p" };
    let (code, paid) = call(
        http.post(format!("{base}/v1/orders/{reference}/payments"))
            .bearer_auth(&tokens[driver])
            .header("idempotency-key", format!("e2e-cash-{id}"))
            .json(&json!({"method": "cash", "amount_cents": order.total_cents})),
    )
    .await;
    assert_eq!(code, 201, "{paid}");
    assert_eq!(
        call(status(driver, "delivered", Some("out_for_delivery")))
            .await
            .0,
        200
    );

    let (invoice, payment) = flow.wait_dolibarr_paid(&dol_id).await.must();
    assert_eq!(invoice["paye"], "1", "{invoice}");
    assert_eq!(payment["type"], "LIQ", "{payment}");
    let total = order.total_cents;
    assert_eq!(
        payment["amount"]
            .as_str()
            .map(|s| s.parse::<f64>().unwrap()),
        Some(total as f64 / 100.0),
        "{payment}"
    );
    assert_eq!(
        flow.dolibarr
            .payments()
            .iter()
            .filter(|p| p["type"] == "LIQ")
            .count(),
        1,
        "one cash payment"
    );
    flow.wait_relayed(id).await.must();
    let history: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT h.to_status, CONVERT(s.login USING utf8mb4) FROM order_status_history h \
         JOIN orders o ON o.id = h.order_id LEFT JOIN staff s ON s.id = h.changed_by_staff_id \
         WHERE o.shop_order_id = ? ORDER BY h.seq",
    )
    .bind(id)
    .fetch_all(flow.pool())
    .await
    .unwrap();
    let staff_steps: Vec<(&str, Option<&str>)> = history
        .iter()
        .skip_while(|(s, _)| s != "in_preparation")
        .map(|(s, by)| (s.as_str(), by.as_deref()))
        .collect();
    assert_eq!(
        staff_steps,
        [
            ("in_preparation", Some("luca.b")),
            ("ready", Some("luca.b")),
            ("out_for_delivery", Some(driver)),
            ("delivered", Some(driver)),
        ]
    );
    // The shop's order followed each state the staff set (wait_relayed above: every delivery is done), in order.
    let shop_states: Vec<i64> = ws.history(id).iter().map(|h| h.id_order_state).collect();
    assert_eq!(shop_states, [3, 15, 4, 5]);
    flow.wait_dolibarr_order(id, "closed", |o| o["statut"] == "3")
        .await
        .must();
}
