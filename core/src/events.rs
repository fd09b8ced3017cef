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

pub const ALL_TYPES: [&str; 5] = [ORDER_CREATED, ORDER_PAID, ORDER_PAYMENT_FAILED, ORDER_STATUS_CHANGED, STOCK_SHORTAGE];

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
        }
    }

    pub fn restaurant(&self) -> &str {
        match self {
            Event::OrderCreated(e) => &e.restaurant,
            Event::OrderPaid(e) | Event::OrderPaymentFailed(e) => &e.restaurant,
            Event::OrderStatusChanged(e) => &e.restaurant,
            Event::StockShortage(e) => &e.restaurant,
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
}
