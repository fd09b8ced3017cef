//! Shared by the staff API tests: a seeded database with PINs, a running bridge, signed-in sessions, orders of
//! BELLECOUR recorded through the real order store.
#![allow(dead_code)]

use std::sync::Arc;

use ocpizza_bridge::app::{RunningApp, spawn_app};
use ocpizza_bridge::config::{Config, SecretString};
use ocpizza_bridge::destination::Destination;
use ocpizza_db::testing::TestDb;
use serde_json::{Value, json};

/// (restaurant, login, PIN, role) of the seeded staff the tests sign in as.
pub const STAFF: [(&str, &str, &str, &str); 7] = [
    ("BELLECOUR", "claire.m", "1001", "manager"),
    ("BELLECOUR", "luca.b", "1002", "pizzaiolo"),
    ("BELLECOUR", "karim.h", "1003", "driver"),
    ("BELLECOUR", "julien.p", "1004", "driver"),
    ("BELLECOUR", "emma.g", "1005", "cashier"),
    ("GERLAND", "samir.k", "2001", "driver"),
    ("GERLAND", "olivier.r", "2002", "manager"),
];

pub struct Staffed {
    pub db: TestDb,
    pub app: RunningApp,
    pub client: reqwest::Client,
}

pub async fn start(config: Config, destinations: Vec<Arc<dyn Destination>>) -> Staffed {
    let db = TestDb::seeded().await;
    for (restaurant, login, pin, _) in STAFF {
        ocpizza_bridge::staff::set_pin(&db.pool, restaurant, login, SecretString::new(pin)).await.unwrap();
    }
    let app = spawn_app(config, db.pool.clone(), destinations, &[]).await.unwrap();
    Staffed { db, app, client: reqwest::Client::new() }
}

impl Staffed {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.app.addr)
    }

    /// Signs in as `login` (one of [`STAFF`]) and returns the session token.
    pub async fn session(&self, login: &str) -> String {
        let (restaurant, _, pin, _) = STAFF.iter().find(|s| s.1 == login).expect("a test staff member");
        let r = self
            .client
            .post(self.url("/v1/staff/sessions"))
            .json(&json!({"restaurant": restaurant, "login": login, "pin": pin}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let r = self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, token: &str, path: &str, body: Value, key: Option<&str>) -> (u16, Value) {
        let mut req = self.client.post(self.url(path)).bearer_auth(token).json(&body);
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        let r = req.send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }
}

/// A BELLECOUR order recorded through the order store: `pizzas` Margheritas, a cola, and for a delivery the fee.
pub fn order_input(shop_order_id: i64, fulfilment: &str, payment_method: &str, pizzas: i64) -> Value {
    let mut lines = vec![
        json!({"sku": "PIZZA-MARGHERITA", "name": "Pizza Margherita", "quantity": pizzas, "unit_price_cents": 990, "vat_rate": "10.00"}),
    ];
    let mut total = 990 * pizzas;
    if fulfilment == "delivery" {
        lines.push(json!({"kind": "delivery", "name": "Livraison", "quantity": 1, "unit_price_cents": 350, "vat_rate": "20.00"}));
        total += 350;
    }
    let mut order = json!({
        "shop_order_id": shop_order_id,
        "reference": format!("STAFF{shop_order_id}"),
        "restaurant": "BELLECOUR",
        "placed_at": format!("2026-12-07T19:{:02}:00+01:00", shop_order_id % 60),
        "fulfilment": fulfilment,
        "payment_method": payment_method,
        "currency": "EUR",
        "total_cents": total,
        "customer": {"shop_customer_id": 900 + shop_order_id, "email": format!("client{shop_order_id}@example.fr"),
                     "first_name": "Lucie", "last_name": "Durand", "phone": "+33 6 98 76 54 32"},
        "lines": lines,
    });
    if fulfilment == "delivery" {
        order["delivery_address"] = json!({"line1": "8 rue de la République", "line2": "3e étage",
                                           "postcode": "69002", "city": "Lyon", "country": "FR"});
    }
    order
}

pub async fn record(pool: &sqlx::MySqlPool, shop_order_id: i64, fulfilment: &str, method: &str, pizzas: i64) -> String {
    let input = order_input(shop_order_id, fulfilment, method, pizzas);
    ocpizza_db::store::record_order(pool, &input).await.unwrap();
    input["reference"].as_str().unwrap().to_owned()
}

pub async fn advance(pool: &sqlx::MySqlPool, shop_order_id: i64, statuses: &[&str]) {
    for s in statuses {
        ocpizza_db::store::set_status(pool, shop_order_id, s, None).await.unwrap();
    }
}
