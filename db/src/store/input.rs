//! Raw input (a PHP array as a JSON value) → typed, validated input. Everything that can be checked without
//! the database is checked here, so that a refusal never needs a rollback.

use chrono::{DateTime, Utc};
use ocpizza_core::codes::{self, Code, CodeError};
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

/// A code refused by its column's rule (`ocpizza_core::codes`, the one definition shared with the bridge) is a
/// refusal naming the field: "field: problem (expected …)", showing at most one escaped character of the value.
impl From<CodeError> for StoreError {
    fn from(e: CodeError) -> Self {
        invalid(e.field(), e.reason())
    }
}

/// A required code field of `o`, checked against the rule of its `ascii_bin` column before any query: MariaDB
/// refuses to compare such a column with a non-ASCII `utf8mb4` parameter (`1267 Illegal mix of collations`),
/// which would reach the caller as a database failure (retried forever, paged as an outage).
pub(crate) fn code(o: &Obj, name: &str, kind: Code) -> Result<String, StoreError> {
    // No length bound here: the rule says "non-ASCII" before "too long" for a long typo.
    let v = o
        .opt_str(name, usize::MAX)?
        .ok_or_else(|| invalid(o.path(name), "is required"))?;
    codes::check(kind, &o.path(name), &v)?;
    Ok(v)
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

/// RFC 3339 / ISO 8601 with an explicit offset (`Z` or `+01:00`); stored in UTC, within what a `DATETIME(6)`
/// column holds (years 1000 to 9999), so that an out-of-range date is the caller's error, not the database's.
pub fn parse_instant(o: &Obj, name: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    let Some(s) = o.opt_str(name, 64)? else {
        return Ok(None);
    };
    let t = DateTime::parse_from_rfc3339(s.trim())
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            invalid(
                o.path(name),
                "must be an ISO 8601 date-time with an offset, e.g. 2026-11-29T18:30:00+01:00",
            )
        })?;
    if !(1000..=9999).contains(&chrono::Datelike::year(&t)) {
        return Err(invalid(
            o.path(name),
            "must be between the years 1000 and 9999 (UTC)",
        ));
    }
    Ok(Some(t))
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
    let reference = code(&o, "reference", Code::Reference)?;
    let restaurant = code(&o, "restaurant", Code::Restaurant)?;
    let placed_at = parse_instant(&o, "placed_at")?.ok_or_else(|| invalid("placed_at", "is required"))?;
    let fulfilment: Fulfilment = one_of(&o, "fulfilment", &["delivery", "takeaway"])?
        .parse()
        .map_err(|_| invalid("fulfilment", "must be delivery or takeaway"))?;
    let payment_method = one_of(&o, "payment_method", &PAYMENT_METHODS)?;
    let currency = code(&o, "currency", Code::Currency)?;
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
            let country = code(&a, "country", Code::Country)?;
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
            Some(code(&l, "sku", Code::Sku)?)
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
    let transaction_key = code(&o, key_name, Code::TransactionKey)?;
    let amount_cents = o.req_int("amount_cents")?;
    if amount_cents < 0 {
        return Err(invalid("amount_cents", "must not be negative"));
    }
    let currency = code(&o, "currency", Code::Currency)?;
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

    /// A code field's refusal is the store's shape (`Validation { field, reason }`, "field: reason") with the
    /// rule's words: the path of the field, the problem, what is expected; the value itself is not repeated.
    #[test]
    fn code_refusals_name_the_path_and_say_what_is_wrong() {
        let refusal = |ptr: &str, value: &str| {
            let mut o = order();
            *o.pointer_mut(ptr).unwrap() = json!(value);
            match parse_order(&o) {
                Err(StoreError::Validation { field, reason }) => (field, reason),
                other => panic!("{ptr} = {value:?}: {other:?}"),
            }
        };
        let (field, reason) = refusal("/restaurant", "BELLÉCOUR");
        assert_eq!(field, "restaurant");
        assert!(reason.starts_with("contains a non-ASCII character 'É' (expected 2 to 16 "), "{reason}");
        let err = StoreError::from(codes::check(Code::Restaurant, "restaurant", "BELLÉCOUR").unwrap_err());
        assert_eq!(err.to_string(), format!("restaurant: {reason}"), "the same text as the bridge's");

        let (field, reason) = refusal("/lines/0/sku", "_X");
        assert_eq!(field, "lines[0].sku");
        assert!(reason.starts_with("has a character not allowed here ('_' at position 1)"), "as ck_products_sku: {reason}");
        let (field, reason) = refusal("/delivery_address/country", "F\tR");
        assert_eq!(field, "delivery_address.country");
        assert!(reason.starts_with("contains a control character (U+0009)"), "{reason}");
        // Absent and "" are both a missing field (PHP's null and ''); only white space is blank.
        assert_eq!(refusal("/currency", ""), ("currency".to_owned(), "is required".to_owned()));
        let (field, reason) = refusal("/reference", "  ");
        assert_eq!((field.as_str(), reason.starts_with("is blank")), ("reference", true), "{reason}");
        let long = "X".repeat(33);
        let (_, reason) = refusal("/reference", &long);
        assert!(reason.starts_with("is 33 characters long, at most 32 allowed") && !reason.contains(&long));

        let p = |key: &str| parse_payment(&json!({"shop_order_id": 41, key: "   ", "amount_cents": 1,
            "currency": "EUR", "status": "paid"}));
        for key in ["transaction_key", "idempotency_key"] {
            match p(key) {
                Err(StoreError::Validation { field, reason }) => {
                    assert_eq!(field, key);
                    assert!(reason.starts_with("is blank"), "{reason}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    /// Any JSON value.
    fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            any::<String>().prop_map(Value::from),
            "[A-Z0-9É_ \\x00-\\x1f-]{0,20}".prop_map(Value::from),
            "[ -~]{150,300}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Every string the order puts in an `ascii_bin` column, with its rule.
    fn codes_of(o: &NewOrder) -> Vec<(&str, Code)> {
        let mut v = vec![
            (o.reference.as_str(), Code::Reference),
            (o.restaurant.as_str(), Code::Restaurant),
            (o.currency.as_str(), Code::Currency),
        ];
        v.extend(
            o.delivery_address
                .iter()
                .map(|a| (a.country.as_str(), Code::Country)),
        );
        v.extend(
            o.lines
                .iter()
                .filter_map(|l| l.sku.as_deref())
                .map(|s| (s, Code::Sku)),
        );
        v
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config { cases: 512, failure_persistence: None,
            rng_seed: proptest::test_runner::RngSeed::Fixed(14),
            ..Default::default() })]

        /// A good order with any one field replaced by any JSON value: a refusal naming a field, or an order
        /// whose every `ascii_bin` value passes its rule (so the database never sees a value it would refuse).
        #[test]
        fn any_field_replaced_by_any_value_is_refused_by_name_or_safe(
            which in 0usize..22, value in any_json()
        ) {
            const POINTERS: [&str; 22] = ["/shop_order_id", "/reference", "/restaurant", "/placed_at", "/fulfilment",
                "/payment_method", "/currency", "/total_cents", "/customer", "/customer/email",
                "/customer/first_name", "/customer/phone", "/customer/shop_customer_id", "/delivery_address",
                "/delivery_address/country", "/delivery_address/postcode", "/lines", "/lines/0",
                "/lines/0/sku", "/lines/0/quantity", "/lines/1/kind", "/lines/2/vat_rate"];
            let mut o = order();
            *o.pointer_mut(POINTERS[which]).unwrap() = value.clone();
            match parse_order(&o) {
                Ok(parsed) => {
                    for (v, rule) in codes_of(&parsed) {
                        proptest::prop_assert!(codes::is_valid(rule, v), "{v:?} reached the database");
                    }
                    proptest::prop_assert!((1000..=9999).contains(&chrono::Datelike::year(&parsed.placed_at)));
                }
                Err(StoreError::Validation { field, reason }) => {
                    proptest::prop_assert!(!field.is_empty() && !reason.is_empty());
                }
                Err(e) => proptest::prop_assert!(false, "{e:?}"),
            }
            let p = json!({"shop_order_id": 41, "transaction_key": value.clone(), "amount_cents": 1,
                "currency": value, "status": "paid"});
            match parse_payment(&p) {
                Ok(parsed) => {
                    proptest::prop_assert!(codes::is_valid(Code::TransactionKey, &parsed.transaction_key));
                    proptest::prop_assert!(codes::is_valid(Code::Currency, &parsed.currency));
                }
                Err(StoreError::Validation { field, .. }) => {
                    proptest::prop_assert!(field == "transaction_key" || field == "currency", "{field}");
                }
                Err(e) => proptest::prop_assert!(false, "{e:?}"),
            }
        }
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
