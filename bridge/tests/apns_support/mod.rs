//! Shared by the `apns_*` tests: a test database, the local APNs stand-in, and the destination wired to both.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use ocpizza_bridge::apns::{ApnsDestination, ApnsSettings, ManualClock};
use ocpizza_bridge::destination::{Delivery, DeliveryError, Destination, Outcome};
use ocpizza_core::events::{Address, Customer, Event, Line, LineKind, OrderCreated, StatusChanged};
use ocpizza_core::status::{Fulfilment, OrderStatus};
use ocpizza_db::testing::TestDb;
use ocpizza_e2e::apns::{FakeApns, FakeApnsOptions};
use sqlx::MySqlPool;

static DIRS: AtomicU32 = AtomicU32::new(0);

pub struct Rig {
    pub db: TestDb,
    pub fake: FakeApns,
    pub clock: Arc<ManualClock>,
    pub settings: ApnsSettings,
    pub dest: ApnsDestination,
    pub restaurant_id: i64,
    dir: PathBuf,
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Rig {
    /// Provider tokens (JWTs) the production client has signed so far.
    pub fn jwts_signed(&self) -> u64 {
        self.dest.client("production").expect("production client").signer().signed_count()
    }

    pub async fn new() -> Rig {
        Rig::with(FakeApnsOptions::default(), |_| {}).await
    }

    /// A rig whose settings can be adjusted (topic, in-flight limit…) before the destination is built.
    pub async fn with(opts: FakeApnsOptions, tweak: impl FnOnce(&mut ApnsSettings)) -> Rig {
        let db = TestDb::new().await;
        let fake = FakeApns::start(opts).await.expect("stand-in starts");
        let dir = std::env::temp_dir().join(format!(
            "ocpizza-apns-{}-{}",
            std::process::id(),
            DIRS.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("key.p8"), &fake.key_p8_pem).unwrap();
        std::fs::write(dir.join("ca.pem"), &fake.ca_pem).unwrap();
        let o = fake.options();
        let mut settings = ApnsSettings::new(dir.join("key.p8"), &o.key_id, &o.team_id, &o.topic);
        settings.endpoint = fake.endpoint();
        settings.sandbox_endpoint = None;
        settings.ca_file = Some(dir.join("ca.pem"));
        tweak(&mut settings);
        let clock = Arc::new(ManualClock::new());
        let dest = ApnsDestination::with_clock(&settings, db.pool.clone(), clock.clone())
            .expect("destination");
        let restaurant_id = insert_restaurant(&db.pool, "BELLECOUR").await;
        Rig {
            db,
            fake,
            clock,
            settings,
            dest,
            restaurant_id,
            dir,
        }
    }

    pub fn pool(&self) -> &MySqlPool {
        &self.db.pool
    }

    pub async fn device(&self, token: &str, role: &str) -> i64 {
        add_device(self.pool(), self.restaurant_id, token, role, "production").await
    }

    pub async fn deliver(
        &self,
        delivery_id: i64,
        event: Event,
        attempt: u32,
    ) -> Result<Outcome, DeliveryError> {
        self.dest
            .deliver(&delivery(delivery_id, event, attempt))
            .await
    }

    /// Moves both clocks: the client's (JWT age) and the stand-in's (JWT checks).
    pub fn advance(&self, by: std::time::Duration) {
        self.clock.advance(by);
        self.fake.advance_clock(by);
    }

    pub async fn send_status(&self, delivery_id: i64, device_id: i64) -> String {
        sqlx::query_scalar("SELECT status FROM push_sends WHERE delivery_id = ? AND device_id = ?")
            .bind(delivery_id)
            .bind(device_id)
            .fetch_one(self.pool())
            .await
            .unwrap()
    }

    pub async fn is_unregistered(&self, device_id: i64) -> bool {
        let at: Option<chrono::NaiveDateTime> =
            sqlx::query_scalar("SELECT unregistered_at FROM devices WHERE id = ?")
                .bind(device_id)
                .fetch_one(self.pool())
                .await
                .unwrap();
        at.is_some()
    }
}

pub async fn insert_restaurant(pool: &MySqlPool, code: &str) -> i64 {
    sqlx::query(
        "INSERT INTO restaurants (code, name, address_line1, postcode, city, phone) \
         VALUES (?, ?, '1 place Bellecour', '69002', 'Lyon', '04 72 00 00 00')",
    )
    .bind(code)
    .bind(format!("OC Pizza {code}"))
    .execute(pool)
    .await
    .unwrap()
    .last_insert_id() as i64
}

pub async fn add_device(
    pool: &MySqlPool,
    restaurant_id: i64,
    token: &str,
    role: &str,
    environment: &str,
) -> i64 {
    sqlx::query("INSERT INTO devices (token, environment, restaurant_id, role) VALUES (?, ?, ?, ?)")
        .bind(token)
        .bind(environment)
        .bind(restaurant_id)
        .bind(role)
        .execute(pool)
        .await
        .unwrap()
        .last_insert_id() as i64
}

/// A 64-hex-digit device token starting with `prefix` (the stand-in answers some prefixes specially).
pub fn token(prefix: &str, n: u64) -> String {
    format!("{prefix}{n:0>width$x}", width = 64 - prefix.len())
}

pub fn delivery(delivery_id: i64, event: Event, attempt: u32) -> Delivery {
    Delivery {
        delivery_id,
        inbox_id: delivery_id,
        webhook_id: format!("evt_{delivery_id}"),
        timestamp: "2026-11-29T18:30:00Z".into(),
        event,
        attempt,
    }
}

pub fn order_created(shop_order_id: i64, reference: &str, fulfilment: Fulfilment) -> Event {
    let line = |sku: &str, q: i64| Line {
        kind: LineKind::Product,
        sku: Some(sku.into()),
        name: sku.into(),
        quantity: q,
        unit_price_cents: 1200,
        vat_rate: "10.00".into(),
    };
    Event::OrderCreated(OrderCreated {
        shop_order_id,
        reference: reference.into(),
        restaurant: "BELLECOUR".into(),
        placed_at: "2026-11-29T18:30:00Z".into(),
        fulfilment,
        payment_method: "card_online".into(),
        currency: "EUR".into(),
        total_cents: 2700,
        status: OrderStatus::Received,
        customer: Customer {
            shop_customer_id: 7,
            email: "lea.martin@example.fr".into(),
            first_name: "Léa".into(),
            last_name: "Martin".into(),
            phone: None,
        },
        delivery_address: (fulfilment == Fulfilment::Delivery).then(|| Address {
            line1: "12 rue de la République".into(),
            line2: String::new(),
            postcode: "69002".into(),
            city: "Lyon".into(),
            country: "FR".into(),
        }),
        lines: vec![
            line("PIZZA-MARGHERITA", 1),
            line("PIZZA-REINE", 1),
            line("DRINK-COLA-33", 1),
        ],
    })
}

pub fn status_changed(
    shop_order_id: i64,
    reference: &str,
    f: Fulfilment,
    from: OrderStatus,
    to: OrderStatus,
) -> Event {
    Event::OrderStatusChanged(StatusChanged {
        shop_order_id,
        reference: reference.into(),
        restaurant: "BELLECOUR".into(),
        fulfilment: f,
        from,
        to,
        note: None,
        changed_at: "2026-11-29T18:45:00Z".into(),
        source: None,
        changed_by: None,
    })
}

/// An order in OCPizza_DB with its delivery address (status events do not carry it).
pub async fn insert_delivery_order(
    pool: &MySqlPool,
    restaurant_id: i64,
    shop_order_id: i64,
    reference: &str,
) {
    let customer = sqlx::query(
        "INSERT INTO customers (shop_customer_id, email, first_name, last_name) VALUES (?, 'lea.martin@example.fr', 'Léa', 'Martin')",
    )
    .bind(shop_order_id)
    .execute(pool)
    .await
    .unwrap()
    .last_insert_id();
    let address = sqlx::query(
        "INSERT INTO customer_addresses (customer_id, line1, line2, postcode, city, country) \
         VALUES (?, '12 rue de la République', '3e étage', '69002', 'Lyon', 'FR')",
    )
    .bind(customer)
    .execute(pool)
    .await
    .unwrap()
    .last_insert_id();
    sqlx::query(
        "INSERT INTO orders (shop_order_id, reference, restaurant_id, customer_id, fulfilment, delivery_address_id, \
         payment_method, currency, total_cents, placed_at) \
         VALUES (?, ?, ?, ?, 'delivery', ?, 'card_online', 'EUR', 2700, UTC_TIMESTAMP(6))",
    )
    .bind(shop_order_id)
    .bind(reference)
    .bind(restaurant_id)
    .bind(customer)
    .bind(address)
    .execute(pool)
    .await
    .unwrap();
}

pub fn done(outcome: Result<Outcome, DeliveryError>) -> serde_json::Value {
    match outcome {
        Ok(Outcome::Done(v)) => v,
        other => panic!("expected Done, got {other:?}"),
    }
}
