//! The events OCPizza_DB's outbox publishes and the bridge consumes: one definition for both sides.
//!
//! On the wire (Standard Webhooks body): `{"type": "order.created", "timestamp": "<RFC 3339 UTC>", "data": {…}}`,
//! `webhook-id` = the outbox `event_id`. The `data` shapes are the structs below.

use serde::{Deserialize, Serialize};

use crate::status::{Fulfilment, OrderStatus};

pub const ORDER_CREATED: &str = "order.created";
pub const ORDER_PAID: &str = "order.paid";
pub const ORDER_PAYMENT_FAILED: &str = "order.payment_failed";
pub const ORDER_STATUS_CHANGED: &str = "order.status_changed";
pub const STOCK_SHORTAGE: &str = "stock.shortage";
pub const ORDER_REFUNDED: &str = "order.refunded";

pub const ALL_TYPES: [&str; 6] =
    [ORDER_CREATED, ORDER_PAID, ORDER_PAYMENT_FAILED, ORDER_STATUS_CHANGED, STOCK_SHORTAGE, ORDER_REFUNDED];

/// The JSON body of a webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    #[serde(rename = "type")]
    pub event_type: String,
    /// RFC 3339, UTC, e.g. `2026-11-29T18:30:00.123456Z`.
    pub timestamp: String,
    pub data: serde_json::Value,
}

/// A typed event, parsed from an [`Envelope`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum Event {
    #[serde(rename = "order.created")]
    OrderCreated(OrderCreated),
    #[serde(rename = "order.paid")]
    OrderPaid(PaymentEvent),
    #[serde(rename = "order.payment_failed")]
    OrderPaymentFailed(PaymentEvent),
    #[serde(rename = "order.status_changed")]
    OrderStatusChanged(StatusChanged),
    #[serde(rename = "stock.shortage")]
    StockShortage(StockShortage),
    #[serde(rename = "order.refunded")]
    OrderRefunded(RefundEvent),
}

impl Event {
    /// Parses `data` according to `type`; the error says which field is wrong.
    pub fn from_envelope(env: &Envelope) -> Result<Event, serde_json::Error> {
        let tagged = serde_json::json!({ "type": env.event_type, "data": env.data });
        serde_json::from_value(tagged)
    }

    pub fn shop_order_id(&self) -> Option<i64> {
        match self {
            Event::OrderCreated(e) => Some(e.shop_order_id),
            Event::OrderPaid(e) | Event::OrderPaymentFailed(e) => Some(e.shop_order_id),
            Event::OrderStatusChanged(e) => Some(e.shop_order_id),
            Event::StockShortage(e) => e.shop_order_id,
            Event::OrderRefunded(e) => Some(e.shop_order_id),
        }
    }

    pub fn restaurant(&self) -> &str {
        match self {
            Event::OrderCreated(e) => &e.restaurant,
            Event::OrderPaid(e) | Event::OrderPaymentFailed(e) => &e.restaurant,
            Event::OrderStatusChanged(e) => &e.restaurant,
            Event::StockShortage(e) => &e.restaurant,
            Event::OrderRefunded(e) => &e.restaurant,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub shop_customer_id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Address {
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    pub postcode: String,
    pub city: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Product,
    Delivery,
    Discount,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub kind: LineKind,
    /// Set for product lines only.
    pub sku: Option<String>,
    pub name: String,
    pub quantity: i64,
    /// Tax included, negative only on a discount line.
    pub unit_price_cents: i64,
    /// Decimal string, e.g. `"10.00"`, `"5.5"`.
    pub vat_rate: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderCreated {
    pub shop_order_id: i64,
    pub reference: String,
    pub restaurant: String,
    /// RFC 3339 UTC.
    pub placed_at: String,
    pub fulfilment: Fulfilment,
    pub payment_method: String,
    pub currency: String,
    pub total_cents: i64,
    pub status: OrderStatus,
    pub customer: Customer,
    pub delivery_address: Option<Address>,
    pub lines: Vec<Line>,
}

/// `order.paid` and `order.payment_failed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentEvent {
    pub shop_order_id: i64,
    pub reference: String,
    pub restaurant: String,
    pub payment_method: String,
    /// `sogecommerce`, `card_terminal`, `cash`, `restaurant`.
    pub provider: String,
    pub transaction_key: String,
    pub transaction_id: Option<String>,
    pub amount_cents: i64,
    pub currency: String,
    /// `paid`, `pending`, `to_validate`, `cancelled`, `failed`.
    pub status: String,
    pub raw_status: String,
    /// RFC 3339 UTC.
    pub occurred_at: String,
}

/// `order.refunded`: money given back on a paid payment (one `refunds` row of OCPizza_DB). Carries what a credit
/// note needs without a lookup: the refunded payment's key, the amount, and whether the order is now fully refunded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefundEvent {
    pub shop_order_id: i64,
    pub reference: String,
    pub restaurant: String,
    pub payment_method: String,
    /// The refunded payment's provider (`sogecommerce`, `card_terminal`, `cash`, `restaurant`).
    pub provider: String,
    /// `transaction_key` of the refunded payment (an `order.paid` event carried the same key).
    pub payment_transaction_key: String,
    /// This refund's own idempotency key (`refunds.transaction_key`).
    pub transaction_key: String,
    /// The gateway's id of the refund transaction, when there is one.
    pub transaction_id: Option<String>,
    pub transaction_uuid: Option<String>,
    /// This refund, in minor units (positive).
    pub amount_cents: i64,
    pub currency: String,
    /// What the refunded payment took.
    pub paid_cents: i64,
    /// All refunds of the order so far, this one included.
    pub refunded_total_cents: i64,
    /// `true` when `refunded_total_cents == paid_cents` (nothing left to refund), else a partial refund.
    pub full: bool,
    pub reason: Option<String>,
    /// Who asked: `shop` (PrestaShop back office), `gateway` (the gateway's back office, learnt by notification),
    /// `restaurant`, `support`.
    pub source: String,
    /// Free text: the employee or process that asked.
    pub requested_by: Option<String>,
    /// RFC 3339 UTC.
    pub occurred_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusChanged {
    pub shop_order_id: i64,
    pub reference: String,
    pub restaurant: String,
    pub fulfilment: Fulfilment,
    pub from: OrderStatus,
    pub to: OrderStatus,
    pub note: Option<String>,
    /// RFC 3339 UTC.
    pub changed_at: String,
    /// Where the change was made: absent = the shop (back office, payment flow); `restaurant` = a staff member
    /// through the bridge's staff API. Optional with a default so that events written before it still parse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ChangeSource>,
    /// The staff member who made a restaurant's change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<StaffRef>,
}

impl StatusChanged {
    /// Made in a restaurant (staff API), not in the shop: what the bridge's `prestashop` destination carries back.
    pub fn from_restaurant(&self) -> bool {
        self.source == Some(ChangeSource::Restaurant)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeSource {
    Shop,
    Restaurant,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffRef {
    pub staff_id: i64,
    pub name: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShortIngredient {
    pub name: String,
    pub unit: String,
    pub needed: i64,
    pub available: i64,
    pub missing: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockShortage {
    pub restaurant: String,
    pub shop_order_id: Option<i64>,
    pub reference: Option<String>,
    pub ingredients: Vec<ShortIngredient>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_parses_into_typed_event_and_names_bad_fields() {
        let env: Envelope = serde_json::from_str(
            r#"{"type":"order.status_changed","timestamp":"2026-11-29T18:00:00Z","data":{
                "shop_order_id":7,"reference":"ABC","restaurant":"BELLECOUR","fulfilment":"delivery",
                "from":"ready","to":"out_for_delivery","note":null,"changed_at":"2026-11-29T18:00:00Z"}}"#,
        )
        .unwrap();
        let ev = Event::from_envelope(&env).unwrap();
        assert_eq!(ev.shop_order_id(), Some(7));
        assert_eq!(ev.restaurant(), "BELLECOUR");

        let bad = Envelope { data: serde_json::json!({"shop_order_id": "x"}), ..env };
        let err = Event::from_envelope(&bad).unwrap_err().to_string();
        assert!(err.contains("shop_order_id") || err.contains("invalid type"), "{err}");

        let unknown = Envelope { event_type: "order.exploded".into(), ..bad };
        assert!(Event::from_envelope(&unknown).is_err());
    }

    #[test]
    fn a_status_change_says_who_made_it_and_older_events_still_parse() {
        let old = serde_json::json!({"shop_order_id": 7, "reference": "ABC", "restaurant": "BELLECOUR",
            "fulfilment": "delivery", "from": "ready", "to": "out_for_delivery", "note": null,
            "changed_at": "2026-11-29T18:00:00Z"});
        let parsed: StatusChanged = serde_json::from_value(old.clone()).unwrap();
        assert_eq!((parsed.source, parsed.changed_by.as_ref()), (None, None));
        assert!(!parsed.from_restaurant());
        // Written back unchanged: no new keys on a shop's event.
        assert_eq!(serde_json::to_value(&parsed).unwrap(), old);

        let mut staff = old.clone();
        staff["source"] = serde_json::json!("restaurant");
        staff["changed_by"] = serde_json::json!({"staff_id": 3, "name": "Karim H.", "role": "driver"});
        let parsed: StatusChanged = serde_json::from_value(staff.clone()).unwrap();
        assert!(parsed.from_restaurant());
        assert_eq!(parsed.changed_by, Some(StaffRef { staff_id: 3, name: "Karim H.".into(), role: "driver".into() }));
        assert_eq!(serde_json::to_value(&parsed).unwrap(), staff);

        let mut bad = old;
        bad["source"] = serde_json::json!("kitchen");
        let err = serde_json::from_value::<StatusChanged>(bad).unwrap_err().to_string();
        assert!(err.contains("kitchen"), "{err}");
    }

    #[test]
    fn a_refund_event_round_trips_and_a_missing_field_is_named() {
        let data = serde_json::json!({
            "shop_order_id": 9, "reference": "REF9", "restaurant": "BELLECOUR", "payment_method": "card_online",
            "provider": "sogecommerce", "payment_transaction_key": "sc:1:u:DEBIT:1:CAPTURED",
            "transaction_key": "sc:1:r:CREDIT:1:CAPTURED", "transaction_id": null, "transaction_uuid": "r",
            "amount_cents": 500, "currency": "EUR", "paid_cents": 1650, "refunded_total_cents": 500, "full": false,
            "reason": "cold pizza", "source": "shop", "requested_by": null,
            "occurred_at": "2026-11-29T20:00:00.000000Z"});
        let env = Envelope { event_type: ORDER_REFUNDED.into(), timestamp: "2026-11-29T20:00:00Z".into(), data };
        let ev = Event::from_envelope(&env).unwrap();
        let Event::OrderRefunded(r) = &ev else { panic!("{ev:?}") };
        assert_eq!((r.amount_cents, r.full), (500, false));
        assert_eq!((ev.shop_order_id(), ev.restaurant()), (Some(9), "BELLECOUR"));
        assert!(ALL_TYPES.contains(&ORDER_REFUNDED));
        assert_eq!(serde_json::to_value(&ev).unwrap()["data"], env.data);

        let mut data = env.data.clone();
        data.as_object_mut().unwrap().remove("payment_transaction_key");
        let err = Event::from_envelope(&Envelope { data, ..env }).unwrap_err().to_string();
        assert!(err.contains("payment_transaction_key"), "{err}");
    }
}
