//! Shared by the `dolibarr_*` tests: a test database, the Dolibarr stand-in and a destination wired to both,
//! and events shaped like the ones the extension emits.
#![allow(dead_code)]

use ocpizza_bridge::config::{DolibarrConfig, SecretString};
use ocpizza_bridge::destination::{Delivery, DeliveryError, Destination, Outcome};
use ocpizza_bridge::dolibarr::DolibarrDestination;
use ocpizza_core::events::{
    Address, Customer, Event, Line, LineKind, OrderCreated, PaymentEvent, RefundEvent, StatusChanged,
};
use ocpizza_core::status::{Fulfilment, OrderStatus};
use ocpizza_db::testing::TestDb;
use ocpizza_e2e::dolibarr::FakeDolibarr;
use serde_json::Value;
use sqlx::Row;

pub const KEY: &str = "test-dolibarr-key-7f3a";

pub struct Env {
    pub db: TestDb,
    pub fake: FakeDolibarr,
    pub dest: DolibarrDestination,
}

pub fn config(url: &str) -> DolibarrConfig {
    DolibarrConfig {
        url: url.to_owned(),
        api_key: SecretString::new(KEY),
        bank_account_id: 1,
        payment_mode: "CB".into(),
        timeout_secs: 5,
        ca_file: None,
        timezone: chrono_tz::Europe::Paris,
        payment_types: Default::default(),
        bank_accounts: Default::default(),
    }
}

pub async fn env() -> Env {
    let db = TestDb::new().await;
    let fake = FakeDolibarr::start(KEY).await;
    let dest = DolibarrDestination::new(&config(&fake.url()), db.pool.clone()).expect("destination");
    Env { db, fake, dest }
}

impl Env {
    /// A second destination (another bridge process) on the same database and Dolibarr.
    pub fn other_destination(&self) -> DolibarrDestination {
        DolibarrDestination::new(&config(&self.fake.url()), self.db.pool.clone()).expect("destination")
    }

    pub async fn deliver(&self, event: Event) -> Result<Outcome, DeliveryError> {
        deliver_with(&self.dest, event).await
    }

    pub async fn link(&self, shop_order_id: i64) -> sqlx::mysql::MySqlRow {
        sqlx::query("SELECT * FROM dolibarr_links WHERE shop_order_id = ?")
            .bind(shop_order_id)
            .fetch_one(&self.db.pool)
            .await
            .expect("dolibarr_links row")
    }

    pub async fn link_i64(&self, shop_order_id: i64, col: &str) -> Option<i64> {
        self.link(shop_order_id).await.try_get::<Option<i64>, _>(col).expect("column")
    }

    pub fn only_order(&self, shop_order_id: i64) -> Value {
        let mut found = self.fake.order_by_ref_ext(&format!("PS-{shop_order_id}"));
        assert_eq!(found.len(), 1, "exactly one Dolibarr order for shop order {shop_order_id}: {found:#?}");
        found.remove(0)
    }
}

pub async fn deliver_with(dest: &DolibarrDestination, event: Event) -> Result<Outcome, DeliveryError> {
    let delivery = Delivery {
        delivery_id: 1,
        inbox_id: 1,
        webhook_id: "msg_test".into(),
        timestamp: "2026-11-29T18:30:00Z".into(),
        event,
        attempt: 1,
    };
    dest.deliver(&delivery).await
}

pub fn done(r: Result<Outcome, DeliveryError>) -> Value {
    match r {
        Ok(Outcome::Done(v)) => v,
        other => panic!("expected Done, got {other:?}"),
    }
}

pub fn reference(shop_order_id: i64) -> String {
    format!("REF{shop_order_id}")
}

/// 2 × Margherita 10.00 + Cola 2.50 + delivery 2.90 − discount 1.00 = 24.40 (VAT 10 %, 5.5 %, 20 %, 10 %).
pub fn created(shop_order_id: i64, customer_id: i64) -> OrderCreated {
    OrderCreated {
        shop_order_id,
        reference: reference(shop_order_id),
        restaurant: "BELLECOUR".into(),
        placed_at: "2026-11-29T18:30:00Z".into(),
        fulfilment: Fulfilment::Delivery,
        payment_method: "card_online".into(),
        currency: "EUR".into(),
        total_cents: 2440,
        status: OrderStatus::Received,
        customer: Customer {
            shop_customer_id: customer_id,
            email: format!("client{customer_id}@example.com"),
            first_name: "Jeanne".into(),
            last_name: "Martin".into(),
            phone: Some("+33472000000".into()),
        },
        delivery_address: Some(Address {
            line1: "12 rue de la République".into(),
            line2: String::new(),
            postcode: "69002".into(),
            city: "Lyon".into(),
            country: "FR".into(),
        }),
        lines: vec![
            line(LineKind::Product, Some("PIZZA-MARGHERITA"), "Pizza Margherita", 2, 1000, "10.00"),
            line(LineKind::Product, Some("DRINK-COLA-33"), "Cola 33 cl", 1, 250, "5.5"),
            line(LineKind::Delivery, None, "Livraison", 1, 290, "20.00"),
            line(LineKind::Discount, None, "Remise fidélité", 1, -100, "10.00"),
        ],
    }
}

pub fn line(kind: LineKind, sku: Option<&str>, name: &str, quantity: i64, unit_price_cents: i64, vat: &str) -> Line {
    Line { kind, sku: sku.map(str::to_owned), name: name.into(), quantity, unit_price_cents, vat_rate: vat.into() }
}

pub fn paid(shop_order_id: i64, amount_cents: i64) -> PaymentEvent {
    PaymentEvent {
        shop_order_id,
        reference: reference(shop_order_id),
        restaurant: "BELLECOUR".into(),
        payment_method: "card_online".into(),
        provider: "sogecommerce".into(),
        transaction_key: format!("sogecommerce:{shop_order_id}:1"),
        transaction_id: Some(format!("97{shop_order_id:04}")),
        amount_cents,
        currency: "EUR".into(),
        status: "paid".into(),
        raw_status: "AUTHORISED".into(),
        occurred_at: "2026-11-29T18:31:00Z".into(),
    }
}

pub fn status(shop_order_id: i64, fulfilment: Fulfilment, from: OrderStatus, to: OrderStatus) -> StatusChanged {
    StatusChanged {
        shop_order_id,
        reference: reference(shop_order_id),
        restaurant: "BELLECOUR".into(),
        fulfilment,
        from,
        to,
        note: None,
        changed_at: "2026-11-29T19:10:00Z".into(),
        source: None,
        changed_by: None,
    }
}

/// A refund of `amount_cents` of the card payment of `paid(shop_order_id, paid_cents)`, `refunded_total_cents`
/// being every refund of the order so far, this one included.
pub fn refunded(shop_order_id: i64, key: &str, amount_cents: i64, paid_cents: i64, refunded_total_cents: i64) -> RefundEvent {
    RefundEvent {
        shop_order_id,
        reference: reference(shop_order_id),
        restaurant: "BELLECOUR".into(),
        payment_method: "card_online".into(),
        provider: "sogecommerce".into(),
        payment_transaction_key: format!("sogecommerce:{shop_order_id}:1"),
        transaction_key: key.into(),
        transaction_id: None,
        transaction_uuid: None,
        amount_cents,
        currency: "EUR".into(),
        paid_cents,
        refunded_total_cents,
        full: refunded_total_cents == paid_cents,
        reason: Some("pizza froide".into()),
        source: "shop".into(),
        requested_by: Some("Marie (back office)".into()),
        occurred_at: "2026-11-29T20:05:00Z".into(),
    }
}
