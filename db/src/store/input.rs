//! Raw input (a PHP array as a JSON value) → typed, validated input. Everything that can be checked without
//! the database is checked here, so that a refusal never needs a rollback.

use chrono::{DateTime, Utc};
use ocpizza_core::events::{Address, Customer, Line, LineKind};
use ocpizza_core::status::Fulfilment;
use serde_json::Value;

use super::StoreError;
use super::raw::{Obj, invalid, item};

pub const PAYMENT_METHODS: [&str; 4] = ["card_online", "card_on_delivery", "cash_on_delivery", "at_restaurant"];
pub const PROVIDERS: [&str; 4] = ["sogecommerce", "card_terminal", "cash", "restaurant"];
pub const PAYMENT_STATUSES: [&str; 5] = ["paid", "pending", "to_validate", "cancelled", "failed"];
/// More lines than any real pizza order; bounds the work one call can ask for.
pub const MAX_LINES: usize = 200;
pub const MAX_QUANTITY: i64 = 1000;

#[derive(Debug, Clone, PartialEq)]
pub struct NewOrder {
    pub shop_order_id: i64,
    pub reference: String,
    pub restaurant: String,
    pub placed_at: DateTime<Utc>,
    pub fulfilment: Fulfilment,
    pub payment_method: String,
    pub currency: String,
    pub total_cents: i64,
    pub customer: Customer,
    /// Always set for delivery orders; ignored (None) for takeaway.
    pub delivery_address: Option<Address>,
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewPayment {
    pub shop_order_id: i64,
    pub provider: String,
    pub transaction_key: String,
    pub amount_cents: i64,
    pub currency: String,
    pub status: String,
    pub raw_status: String,
    pub transaction_id: Option<String>,
    pub transaction_uuid: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
}

fn matches(s: &str, min: usize, max: usize, ok: impl Fn(u8) -> bool) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(ok)
}

fn is_reference_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The same rule as the `ck_customers_email` constraint: `x@y.z` without blanks.
fn plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let ok = |p: &str| !p.is_empty() && !p.contains('@') && !p.chars().any(char::is_whitespace);
    ok(local)
        && ok(domain)
        && domain
            .rsplit_once('.')
            .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
}

fn phone(o: &Obj, name: &str, allowed: &str) -> Result<Option<String>, StoreError> {
    let Some(p) = o.opt_str(name, 20)? else { return Ok(None) };
    let ok = p.len() >= 6
        && p.chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || allowed.contains(c) || (i == 0 && c == '+'));
    if !ok {
        return Err(invalid(
            o.path(name),
            "must be 6 to 20 digits, spaces or . ( ) -, optionally after a leading +",
        ));
    }
    Ok(Some(p))
}

/// RFC 3339 / ISO 8601 with an explicit offset (`Z` or `+01:00`); stored in UTC.
pub fn parse_instant(o: &Obj, name: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    let Some(s) = o.opt_str(name, 64)? else { return Ok(None) };
    DateTime::parse_from_rfc3339(s.trim())
        .map(|d| Some(d.with_timezone(&Utc)))
        .map_err(|_| {
            invalid(
                o.path(name),
                "must be an ISO 8601 date-time with an offset, e.g. 2026-11-29T18:30:00+01:00",
            )
        })
}

fn currency(o: &Obj, name: &str) -> Result<String, StoreError> {
    let c = o.req_str(name, 3)?;
    if !matches(&c, 3, 3, |b| b.is_ascii_uppercase()) {
        return Err(invalid(o.path(name), "must be an ISO 4217 alphabetic code such as EUR"));
    }
    Ok(c)
}

/// A VAT rate as a decimal string with at most two decimals, between 0 and 30 (`ck_*_vat`).
fn vat_rate(o: &Obj, name: &str) -> Result<String, StoreError> {
    let v = o.req_str(name, 8)?;
    let (int, frac) = v.split_once('.').unwrap_or((&v, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || int.len() > 2 || frac.len() > 2 || !digits(int) || !digits(frac) {
        return Err(invalid(o.path(name), "must be a decimal such as 10.00 or 5.5"));
    }
    let value: f64 = v
        .parse()
        .map_err(|_| invalid(o.path(name), "must be a decimal such as 10.00"))?;
    if !(0.0..=30.0).contains(&value) {
        return Err(invalid(o.path(name), "must be between 0 and 30"));
    }
    Ok(v)
}

fn one_of(o: &Obj, name: &str, allowed: &[&str]) -> Result<String, StoreError> {
    let v = o.req_str(name, 32)?;
    if !allowed.contains(&v.as_str()) {
        return Err(invalid(o.path(name), format!("must be one of {}", allowed.join(", "))));
    }
    Ok(v)
}

fn positive(o: &Obj, name: &str) -> Result<i64, StoreError> {
    let v = o.req_int(name)?;
    if v <= 0 {
        return Err(invalid(o.path(name), "must be a positive integer"));
    }
    Ok(v)
}

pub fn parse_order(input: &Value) -> Result<NewOrder, StoreError> {
    let o = Obj::top(input)?;
    let shop_order_id = positive(&o, "shop_order_id")?;
    let reference = o.req_str("reference", 32)?;
    if !matches(&reference, 1, 32, is_reference_byte) {
        return Err(invalid("reference", "must be 1 to 32 letters, digits, _ or -"));
    }
    let restaurant = o.req_str("restaurant", 16)?;
    let placed_at = parse_instant(&o, "placed_at")?.ok_or_else(|| invalid("placed_at", "is required"))?;
    let fulfilment: Fulfilment = one_of(&o, "fulfilment", &["delivery", "takeaway"])?
        .parse()
        .map_err(|_| invalid("fulfilment", "must be delivery or takeaway"))?;
    let payment_method = one_of(&o, "payment_method", &PAYMENT_METHODS)?;
    let currency = currency(&o, "currency")?;
    let total_cents = o.req_int("total_cents")?;
    if total_cents < 0 {
        return Err(invalid("total_cents", "must not be negative"));
    }

    let c = o
        .opt_obj("customer")?
        .ok_or_else(|| invalid("customer", "is required"))?;
    let email = c.req_str("email", 190)?;
    if !plausible_email(&email) {
        return Err(invalid(c.path("email"), "is not an e-mail address"));
    }
    let customer = Customer {
        shop_customer_id: positive(&c, "shop_customer_id")?,
        email,
        first_name: c.req_str("first_name", 60)?,
        last_name: c.req_str("last_name", 60)?,
        phone: phone(&c, "phone", " .()-")?,
    };

    let delivery_address = match fulfilment {
        Fulfilment::Takeaway => None,
        Fulfilment::Delivery => {
            let a = o
                .opt_obj("delivery_address")?
                .ok_or_else(|| invalid("delivery_address", "is required for a delivery order"))?;
            let country = a.req_str("country", 2)?;
            if !matches(&country, 2, 2, |b| b.is_ascii_uppercase()) {
                return Err(invalid(
                    a.path("country"),
                    "must be an ISO 3166-1 alpha-2 code such as FR",
                ));
            }
            Some(Address {
                line1: a.req_str("line1", 160)?,
                line2: a.opt_str("line2", 160)?.unwrap_or_default(),
                postcode: a.req_str("postcode", 10)?,
                city: a.req_str("city", 80)?,
                country,
            })
        }
    };

    let raw_lines = o.list("lines")?;
    if raw_lines.is_empty() {
        return Err(invalid("lines", "must contain at least one line"));
    }
    if raw_lines.len() > MAX_LINES {
        return Err(invalid(
            "lines",
            format!("must not contain more than {MAX_LINES} lines"),
        ));
    }
    let mut lines = Vec::with_capacity(raw_lines.len());
    let mut sum: i64 = 0;
    for (i, v) in raw_lines.into_iter().enumerate() {
        let line = parse_line(format!("lines[{i}]"), v)?;
        sum = line
            .quantity
            .checked_mul(line.unit_price_cents)
            .and_then(|x| sum.checked_add(x))
            .ok_or_else(|| invalid(format!("lines[{i}]"), "amount is out of range"))?;
        lines.push(line);
    }
    if sum != total_cents {
        return Err(invalid(
            "total_cents",
            format!("is {total_cents} but the lines add up to {sum}"),
        ));
    }
    Ok(NewOrder {
        shop_order_id,
        reference,
        restaurant,
        placed_at,
        fulfilment,
        payment_method,
        currency,
        total_cents,
        customer,
        delivery_address,
        lines,
    })
}

fn parse_line(path: String, v: &Value) -> Result<Line, StoreError> {
    let l = item(path, v)?;
    let kind = match l.opt_str("kind", 16)?.as_deref() {
        None | Some("product") => LineKind::Product,
        Some("delivery") => LineKind::Delivery,
        Some("discount") => LineKind::Discount,
        Some(_) => return Err(invalid(l.path("kind"), "must be product, delivery or discount")),
    };
    let sku = match kind {
        LineKind::Product => {
            let sku = l.req_str("sku", 64)?;
            if !matches(&sku, 1, 64, |b| {
                b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
            }) {
                return Err(invalid(l.path("sku"), "is not a product SKU (A-Z, 0-9, _ and -)"));
            }
            Some(sku)
        }
        _ if l.has("sku") => return Err(invalid(l.path("sku"), "is only allowed on product lines")),
        _ => None,
    };
    let quantity = l.req_int("quantity")?;
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        return Err(invalid(
            l.path("quantity"),
            format!("must be between 1 and {MAX_QUANTITY}"),
        ));
    }
    let unit_price_cents = l.req_int("unit_price_cents")?;
    let price_ok = match kind {
        LineKind::Discount => (-(i32::MAX as i64)..=0).contains(&unit_price_cents),
        _ => (0..=i32::MAX as i64).contains(&unit_price_cents),
    };
    if !price_ok {
        let why = if kind == LineKind::Discount {
            "must be zero or negative on a discount line"
        } else {
            "must not be negative"
        };
        return Err(invalid(l.path("unit_price_cents"), why));
    }
    Ok(Line {
        kind,
        sku,
        name: l.req_str("name", 160)?,
        quantity,
        unit_price_cents,
        vat_rate: vat_rate(&l, "vat_rate")?,
    })
}

/// The first of several accepted names that is present (the canonical name first, then aliases).
fn pick<'n>(o: &Obj, names: &[&'n str]) -> &'n str {
    names.iter().copied().find(|n| o.has(n)).unwrap_or(names[0])
}

/// Accepts the keys of `SogeCommerce::parseNotification()`'s result as aliases: `idempotency_key` for
/// `transaction_key`, `outcome` for `status`, `transaction_date` for `occurred_at`; `provider` defaults to
/// `sogecommerce`.
pub fn parse_payment(input: &Value) -> Result<NewPayment, StoreError> {
    let o = Obj::top(input)?;
    let shop_order_id = positive(&o, "shop_order_id")?;
    let provider = if o.has("provider") {
        one_of(&o, "provider", &PROVIDERS)?
    } else {
        "sogecommerce".to_owned()
    };
    let key_name = pick(&o, &["transaction_key", "idempotency_key"]);
    let transaction_key = o.req_str(key_name, 190)?;
    if !transaction_key.is_ascii() || transaction_key.bytes().any(|b| b.is_ascii_control()) {
        return Err(invalid(key_name, "must be printable ASCII"));
    }
    let amount_cents = o.req_int("amount_cents")?;
    if amount_cents < 0 {
        return Err(invalid("amount_cents", "must not be negative"));
    }
    let currency = currency(&o, "currency")?;
    let status = one_of(&o, pick(&o, &["status", "outcome"]), &PAYMENT_STATUSES)?;
    let raw_status = o.opt_str("raw_status", 64)?.unwrap_or_else(|| status.clone());
    let occurred_at = parse_instant(&o, pick(&o, &["occurred_at", "transaction_date"]))?;
    Ok(NewPayment {
        shop_order_id,
        provider,
        transaction_key,
        amount_cents,
        currency,
        status,
        raw_status,
        transaction_id: o.opt_str("transaction_id", 64)?,
        transaction_uuid: o.opt_str("transaction_uuid", 64)?,
        occurred_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order() -> Value {
        json!({
            "shop_order_id": 41, "reference": "XKBKNABJK", "restaurant": "BELLECOUR",
            "placed_at": "2026-11-29T19:30:00+01:00", "fulfilment": "delivery", "payment_method": "card_online",
            "currency": "EUR", "total_cents": 2790,
            "customer": {"shop_customer_id": "7", "email": "a@b.fr", "first_name": "Ana", "last_name": "Lo", "phone": null},
            "delivery_address": {"line1": "1 rue X", "postcode": "69002", "city": "Lyon", "country": "FR"},
            "lines": [
                {"sku": "PIZZA-REINE", "name": "Reine", "quantity": 2, "unit_price_cents": 1200, "vat_rate": "10.00"},
                {"kind": "delivery", "name": "Livraison", "quantity": 1, "unit_price_cents": 590, "vat_rate": 20},
                {"kind": "discount", "name": "Bon", "quantity": "1", "unit_price_cents": -200, "vat_rate": "10"}
            ]
        })
    }

    fn field_of(r: Result<NewOrder, StoreError>) -> String {
        match r {
            Err(StoreError::Validation { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_good_order_parses_with_coercions() {
        let o = parse_order(&order()).unwrap();
        assert_eq!(o.customer.shop_customer_id, 7);
        assert_eq!(o.placed_at.to_rfc3339(), "2026-11-29T18:30:00+00:00");
        assert_eq!(o.lines[1].vat_rate, "20");
        assert_eq!(o.lines[2].kind, LineKind::Discount);
        assert_eq!(o.delivery_address.unwrap().line2, "");
    }

    #[test]
    fn every_refusal_names_the_field() {
        let cases: Vec<(&str, Value)> = vec![
            ("/lines/1/quantity", json!(0)),
            ("/lines/2/unit_price_cents", json!(200)),
            ("/lines/0/sku", json!("pizza reine")),
            ("/lines/0/vat_rate", json!("31")),
            ("/customer/email", json!("nobody")),
            ("/customer/first_name", json!(["x"])),
            ("/delivery_address/country", json!("France")),
            ("/total_cents", json!(2791)),
            ("/reference", json!("a b")),
            ("/placed_at", json!("2026-11-29 19:30:00")),
            ("/shop_order_id", json!(1.5)),
        ];
        for (ptr, value) in cases {
            let mut o = order();
            *o.pointer_mut(ptr).unwrap() = value;
            let expected = ptr.trim_start_matches('/').replace('/', ".");
            let expected = expected
                .replace("lines.0", "lines[0]")
                .replace("lines.1", "lines[1]")
                .replace("lines.2", "lines[2]");
            assert_eq!(field_of(parse_order(&o)), expected, "{ptr}");
        }
        let mut o = order();
        o.as_object_mut().unwrap().remove("delivery_address");
        assert_eq!(field_of(parse_order(&o)), "delivery_address");
        o["fulfilment"] = json!("takeaway");
        assert!(parse_order(&o).is_ok());
    }

    #[test]
    fn payment_accepts_parse_notification_keys() {
        let p = parse_payment(&json!({
            "shop_order_id": 41, "idempotency_key": "abc", "outcome": "paid", "raw_status": "CAPTURED",
            "transaction_date": "2026-11-29T18:31:00Z", "amount_cents": 2790, "currency": "EUR",
            "currency_numeric": "978", "site_id": "12345678"
        }))
        .unwrap();
        assert_eq!(
            (p.provider.as_str(), p.transaction_key.as_str(), p.status.as_str()),
            ("sogecommerce", "abc", "paid")
        );
        assert!(p.occurred_at.is_some());
        let err = parse_payment(&json!({"shop_order_id": 41, "transaction_key": "k", "amount_cents": 1,
            "currency": "EUR", "status": "refunded"}))
        .unwrap_err();
        assert!(
            matches!(err, StoreError::Validation { ref field, .. } if field == "status"),
            "{err:?}"
        );
    }
}
