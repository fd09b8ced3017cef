//! Codes: the values OCPizza_DB keeps in `ascii_bin` columns (restaurant codes, SKUs, order references,
//! currencies, countries, APNs device tokens, destination names, webhook ids, payment transaction keys).
//!
//! MariaDB refuses to compare an `ascii_bin` column with a `utf8mb4` parameter that is not ASCII (error 1267,
//! "Illegal mix of collations") and refuses to store one (1366) or an over-long one (1406): without these checks
//! a one-letter typo (`BELLÉCOUR`) surfaces as a database failure. Every boundary (bridge HTTP API and CLI, PHP
//! extension, module) checks a code with [`check`] before any query and refuses it naming the field.
//!
//! Each rule is the same as the column's `CHECK` constraint where there is one (`migrations/*.sql`), else the
//! column's length and the shape the code producing it guarantees; a test reads the migrations to keep it so.
//! This is the one definition: the bridge and the store (so the PHP extension) both call [`check`].

use crate::events::{Event, Line};

/// The kinds of code, one per `ascii_bin` column family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// `restaurants.code`: `^[A-Z0-9][A-Z0-9-]{1,15}$` (ck_restaurants_code).
    Restaurant,
    /// `products.sku`: `^[A-Z0-9][A-Z0-9_-]{0,63}$` (ck_products_sku).
    Sku,
    /// `orders.reference` (the shop's order reference): `^[A-Za-z0-9_-]{1,32}$` (ck_orders_reference).
    Reference,
    /// ISO 4217 alphabetic currency: `^[A-Z]{3}$` (ck_orders_currency).
    Currency,
    /// ISO 3166-1 alpha-2 country: `^[A-Z]{2}$` (ck_customer_addresses_country).
    Country,
    /// `devices.token`: an APNs token, 64 to 200 lower-case hex digits (Apple's are 64 today and may grow).
    DeviceToken,
    /// `deliveries.destination`: `^[a-z][a-z0-9_-]{0,31}$` (dolibarr, apns, sink).
    Destination,
    /// `inbox.webhook_id` (Standard Webhooks `webhook-id`): 1 to 255 printable ASCII characters, no `.` (it
    /// delimits the signed content) and no space.
    WebhookId,
    /// `payments.transaction_key` (no `CHECK`; `VARCHAR(190)` ascii): 1 to 190 printable ASCII characters, spaces
    /// allowed but not only spaces. The store also reads it under `parseNotification()`'s `idempotency_key` name
    /// and then names that field.
    TransactionKey,
}

impl Code {
    /// Length bounds, in characters (= bytes: every code is ASCII).
    pub const fn bounds(self) -> (usize, usize) {
        match self {
            Code::Restaurant => (2, 16),
            Code::Sku => (1, 64),
            Code::Reference => (1, 32),
            Code::Currency => (3, 3),
            Code::Country => (2, 2),
            Code::DeviceToken => (64, 200),
            Code::Destination => (1, 32),
            Code::WebhookId => (1, 255),
            Code::TransactionKey => (1, 190),
        }
    }

    /// The shape, as a regular expression (ECMA 262 / OpenAPI `pattern`), anchored; `bridge/openapi.yaml`
    /// publishes it with `minLength`/`maxLength` = [`Code::bounds`].
    pub const fn pattern(self) -> &'static str {
        match self {
            Code::Restaurant => "^[A-Z0-9][A-Z0-9-]{1,15}$",
            Code::Sku => "^[A-Z0-9][A-Z0-9_-]{0,63}$",
            Code::Reference => "^[A-Za-z0-9_-]{1,32}$",
            Code::Currency => "^[A-Z]{3}$",
            Code::Country => "^[A-Z]{2}$",
            Code::DeviceToken => "^[0-9a-f]{64,200}$",
            Code::Destination => "^[a-z][a-z0-9_-]{0,31}$",
            Code::WebhookId => "^[!-\\-/-~]{1,255}$",
            // Not only spaces (the rule every other kind gets from its characters); the length is maxLength.
            Code::TransactionKey => "^ *[!-~][ -~]*$",
        }
    }

    /// What a valid value looks like, for error messages.
    pub const fn expected(self) -> &'static str {
        match self {
            Code::Restaurant => "2 to 16 upper-case letters, digits or -, not starting with - (e.g. BELLECOUR)",
            Code::Sku => "1 to 64 upper-case letters, digits, _ or -, not starting with _ or - (e.g. PIZZA-MARGHERITA)",
            Code::Reference => "1 to 32 letters, digits, _ or -",
            Code::Currency => "an ISO 4217 code of 3 upper-case letters (e.g. EUR)",
            Code::Country => "an ISO 3166-1 code of 2 upper-case letters (e.g. FR)",
            Code::DeviceToken => "64 to 200 lower-case hexadecimal characters",
            Code::Destination => "1 to 32 lower-case letters, digits, _ or -, starting with a letter (e.g. dolibarr)",
            Code::WebhookId => "1 to 255 printable ASCII characters without '.' or space",
            Code::TransactionKey => "1 to 190 printable ASCII characters, not only spaces",
        }
    }

    fn byte_ok(self, i: usize, b: u8) -> bool {
        let upper_digit = b.is_ascii_uppercase() || b.is_ascii_digit();
        match self {
            Code::Restaurant => upper_digit || (i > 0 && b == b'-'),
            Code::Sku => upper_digit || (i > 0 && (b == b'-' || b == b'_')),
            Code::Reference => b.is_ascii_alphanumeric() || b == b'_' || b == b'-',
            Code::Currency | Code::Country => b.is_ascii_uppercase(),
            Code::DeviceToken => matches!(b, b'0'..=b'9' | b'a'..=b'f'),
            Code::Destination => {
                b.is_ascii_lowercase() || (i > 0 && (b.is_ascii_digit() || b == b'_' || b == b'-'))
            }
            Code::WebhookId => b.is_ascii_graphic() && b != b'.',
            Code::TransactionKey => b == b' ' || b.is_ascii_graphic(),
        }
    }
}

/// What is wrong with a refused code. Shows at most one offending character, escaped (`'É'`, `U+0009`), never
/// the value: it may be anything, and the caller decides whether to echo a truncated copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Empty,
    /// Only white space (a rule of the store's, kept for every kind: `"   "` is no transaction key either).
    Blank,
    /// A control character (ASCII or Unicode `Cc`), shown as its code point: it is invisible when printed.
    Control(char),
    /// The first non-ASCII character, escaped (`'É'`, `'\u{202e}'`): usually a one-letter typo.
    NonAscii(char),
    TooLong { len: usize, max: usize },
    TooShort { len: usize, min: usize },
    /// An ASCII character the kind does not allow at this 1-based position.
    Invalid { found: char, position: usize },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Problem::Empty => write!(f, "is empty"),
            Problem::Blank => write!(f, "is blank"),
            Problem::Control(c) => write!(f, "contains a control character (U+{:04X})", u32::from(c)),
            Problem::NonAscii(c) => write!(f, "contains a non-ASCII character '{}'", c.escape_debug()),
            Problem::TooLong { len, max } => write!(f, "is {len} characters long, at most {max} allowed"),
            Problem::TooShort { len: 1, min } => write!(f, "is 1 character long, at least {min} required"),
            Problem::TooShort { len, min } => write!(f, "is {len} characters long, at least {min} required"),
            Problem::Invalid { found, position } => {
                write!(f, "has a character not allowed here ('{}' at position {position})", found.escape_debug())
            }
        }
    }
}

/// Why a code was refused: `"{field}: {reason}"`, the reason being the problem then what a valid value looks
/// like. Every boundary shows this text (bridge API and CLI as is, the store as `Validation { field, reason }`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem} (expected {expected})")]
pub struct CodeError {
    /// The field (or path, e.g. `lines[2].sku`) the error is about.
    pub field: String,
    pub problem: Problem,
    /// [`Code::expected`] of the kind checked.
    pub expected: &'static str,
}

impl CodeError {
    /// The field (or path, e.g. `lines[2].sku`) the error is about.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The message without the field: what is wrong, then what is expected.
    pub fn reason(&self) -> String {
        format!("{} (expected {})", self.problem, self.expected)
    }
}

/// Checks `value` as a code of `kind`; errors name `field`. Order: empty, blank, control character, non-ASCII,
/// length, then the allowed characters, so the message says the most useful thing first (an invisible control
/// character before a visible accent).
pub fn check(kind: Code, field: &str, value: &str) -> Result<(), CodeError> {
    let refuse = |problem| Err(CodeError { field: field.to_owned(), problem, expected: kind.expected() });
    if value.is_empty() {
        return refuse(Problem::Empty);
    }
    if value.trim().is_empty() {
        return refuse(Problem::Blank);
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return refuse(Problem::Control(c));
    }
    if let Some(c) = value.chars().find(|c| !c.is_ascii()) {
        return refuse(Problem::NonAscii(c));
    }
    let (min, max) = kind.bounds();
    let len = value.len();
    if len > max {
        return refuse(Problem::TooLong { len, max });
    }
    if len < min {
        return refuse(Problem::TooShort { len, min });
    }
    if let Some((i, b)) = value.bytes().enumerate().find(|&(i, b)| !kind.byte_ok(i, b)) {
        return refuse(Problem::Invalid { found: char::from(b), position: i + 1 });
    }
    Ok(())
}

/// `true` when `value` is a valid code of `kind`.
pub fn is_valid(kind: Code, value: &str) -> bool {
    check(kind, "", value).is_ok()
}

fn check_lines(lines: &[Line]) -> Result<(), CodeError> {
    for (i, line) in lines.iter().enumerate() {
        if let Some(sku) = &line.sku {
            check(Code::Sku, &format!("data.lines[{i}].sku"), sku)?;
        }
    }
    Ok(())
}

/// Checks every code an event carries (restaurant, reference, currency, SKUs, country, transaction key), with
/// paths relative to the envelope (`data.restaurant`). Events OCPizza_DB publishes always pass: its `CHECK`
/// constraints are the same rules.
pub fn check_event(event: &Event) -> Result<(), CodeError> {
    check(Code::Restaurant, "data.restaurant", event.restaurant())?;
    match event {
        Event::OrderCreated(e) => {
            check(Code::Reference, "data.reference", &e.reference)?;
            check(Code::Currency, "data.currency", &e.currency)?;
            if let Some(a) = &e.delivery_address {
                check(Code::Country, "data.delivery_address.country", &a.country)?;
            }
            check_lines(&e.lines)
        }
        Event::OrderPaid(e) | Event::OrderPaymentFailed(e) => {
            check(Code::Reference, "data.reference", &e.reference)?;
            check(Code::Currency, "data.currency", &e.currency)?;
            check(Code::TransactionKey, "data.transaction_key", &e.transaction_key)
        }
        Event::OrderStatusChanged(e) => check(Code::Reference, "data.reference", &e.reference),
        Event::StockShortage(e) => match &e.reference {
            Some(r) => check(Code::Reference, "data.reference", r),
            None => Ok(()),
        },
        Event::OrderRefunded(e) => {
            check(Code::Reference, "data.reference", &e.reference)?;
            check(Code::Currency, "data.currency", &e.currency)?;
            check(Code::TransactionKey, "data.payment_transaction_key", &e.payment_transaction_key)?;
            check(Code::TransactionKey, "data.transaction_key", &e.transaction_key)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Code; 9] = [
        Code::Restaurant,
        Code::Sku,
        Code::Reference,
        Code::Currency,
        Code::Country,
        Code::DeviceToken,
        Code::Destination,
        Code::WebhookId,
        Code::TransactionKey,
    ];

    fn valid_example(kind: Code) -> String {
        match kind {
            Code::Restaurant => "PART-DIEU".into(),
            Code::Sku => "PIZZA-MARGHERITA_L".into(),
            Code::Reference => "XKBKNABJK".into(),
            Code::Currency => "EUR".into(),
            Code::Country => "FR".into(),
            Code::DeviceToken => "ab01".repeat(16),
            Code::Destination => "dolibarr".into(),
            Code::WebhookId => "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W".into(),
            Code::TransactionKey => "sc:12345678:u0e8c:AUTHORISED 1".into(),
        }
    }

    #[test]
    fn valid_values_pass() {
        for kind in ALL {
            assert_eq!(check(kind, "f", &valid_example(kind)), Ok(()), "{kind:?}");
        }
        for ok in ["BELLECOUR", "PART-DIEU", "B2", "A123456789012345"] {
            assert!(is_valid(Code::Restaurant, ok), "{ok}");
        }
        assert!(is_valid(Code::DeviceToken, &"f".repeat(200)));
        assert!(is_valid(Code::WebhookId, &"a".repeat(255)));
        assert!(is_valid(Code::Sku, "X"));
    }

    #[test]
    fn every_kind_refuses_empty_non_ascii_control_and_over_long_naming_the_field() {
        for kind in ALL {
            let good = valid_example(kind);
            let (_, max) = kind.bounds();
            let e = check(kind, "restaurant", "").unwrap_err();
            assert_eq!(e.problem, Problem::Empty, "{kind:?} {e}");
            assert!(e.to_string().starts_with("restaurant: is empty"), "{e}");

            for blank in [" ", "   ", "\u{3000}"] {
                let e = check(kind, "f", blank).unwrap_err();
                assert_eq!(e.problem, Problem::Blank, "{kind:?} {blank:?} {e}");
            }

            let mut accented = good.clone();
            accented.replace_range(1..2, "É");
            let e = check(kind, "x.y", &accented).unwrap_err();
            assert_eq!(e.problem, Problem::NonAscii('É'), "{kind:?} {e}");
            assert_eq!(e.field(), "x.y");

            for ctl in ["\0", "\n", "\t", "\x7f", "\r"] {
                let e = check(kind, "f", &format!("{good}{ctl}")).unwrap_err();
                assert_eq!(e.problem, Problem::Control(ctl.chars().next().unwrap()), "{kind:?} {ctl:?} {e}");
            }

            let long: String = std::iter::repeat_n(good.as_bytes()[0] as char, max + 1).collect();
            let e = check(kind, "f", &long).unwrap_err();
            assert_eq!(e.problem, Problem::TooLong { len: max + 1, max }, "{kind:?} {e}");
            assert!(e.to_string().contains(&format!("at most {max}")), "{e}");
        }
    }

    #[test]
    fn the_issue_examples_are_refused_as_input() {
        let e = check(Code::Restaurant, "restaurant", "BELLÉCOUR").unwrap_err();
        assert_eq!(
            e.to_string(),
            "restaurant: contains a non-ASCII character 'É' (expected 2 to 16 upper-case letters, digits or -, not \
             starting with - (e.g. BELLECOUR))"
        );
        assert_eq!(e.field(), "restaurant");
        assert_eq!(e.reason(), &e.to_string()["restaurant: ".len()..]);
        assert!(check(Code::Destination, "destination", "é…").is_err());
    }

    /// What each refusal says, in the order the checks run: the first problem found is the one reported.
    #[test]
    fn refusals_say_what_is_wrong_first_things_first() {
        let problem = |v: &str| check(Code::Restaurant, "restaurant", v).unwrap_err().problem;
        assert_eq!(problem(""), Problem::Empty);
        assert_eq!(problem("  "), Problem::Blank);
        assert_eq!(problem("\t"), Problem::Blank, "white space only, control or not");
        assert_eq!(problem("BELL\tCOUR"), Problem::Control('\t'));
        assert_eq!(problem("BÉLL\u{0}"), Problem::Control('\0'), "the invisible problem first");
        assert_eq!(problem("BELL\u{85}"), Problem::Control('\u{85}'), "a Unicode control is a control");
        assert_eq!(problem(&"É".repeat(17)), Problem::NonAscii('É'), "non-ASCII before too long");
        assert_eq!(problem(&"b".repeat(17)), Problem::TooLong { len: 17, max: 16 });
        assert_eq!(problem("b"), Problem::TooShort { len: 1, min: 2 });
        assert_eq!(problem("BELLE COUR"), Problem::Invalid { found: ' ', position: 6 });
        assert_eq!(problem("-BELLECOUR"), Problem::Invalid { found: '-', position: 1 });

        let text = |v: &str| check(Code::Restaurant, "restaurant", v).unwrap_err().reason();
        assert!(text("BELL\tCOUR").starts_with("contains a control character (U+0009) (expected "));
        assert!(text("BELL\u{202e}").starts_with("contains a non-ASCII character '\\u{202e}' (expected "));
        assert!(text("bellecour").starts_with("has a character not allowed here ('b' at position 1) (expected "));
        assert!(text("B").starts_with("is 1 character long, at least 2 required (expected "));
        assert!(check(Code::DeviceToken, "t", "ab").unwrap_err().reason().starts_with("is 2 characters long, at least 64"));
        // A blank transaction key is refused although spaces are allowed inside one.
        assert_eq!(check(Code::TransactionKey, "k", "   ").unwrap_err().problem, Problem::Blank);
        assert!(is_valid(Code::TransactionKey, " a "));
    }

    /// The rules and the schema side by side: where a column has a `CHECK` constraint, [`Code::pattern`] is its
    /// regular expression, letter for letter; where it has none, the column is `ascii` and as long as the bound.
    #[test]
    fn rules_are_the_check_constraints_of_the_migrations() {
        let schema = [
            include_str!("../../migrations/20261129000001_chain.sql"),
            include_str!("../../migrations/20261129000002_orders.sql"),
            include_str!("../../migrations/20261129000003_bridge.sql"),
        ]
        .concat();
        for (kind, column) in [
            (Code::Restaurant, "code"),
            (Code::Sku, "sku"),
            (Code::Reference, "reference"),
            (Code::Currency, "currency"),
            (Code::Country, "country"),
            (Code::DeviceToken, "token"),
        ] {
            let constraint = format!("CHECK ({column} REGEXP '{}')", kind.pattern());
            assert!(schema.contains(&constraint), "{kind:?}: the schema has no {constraint}");
        }
        // Every column, with or without a CHECK, is ascii and exactly as long as the bound.
        let declarations: Vec<String> =
            schema.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
        for (kind, column, sql_type) in [
            (Code::Restaurant, "code", "VARCHAR"),
            (Code::Sku, "sku", "VARCHAR"),
            (Code::Reference, "reference", "VARCHAR"),
            (Code::Currency, "currency", "CHAR"),
            (Code::Country, "country", "CHAR"),
            (Code::DeviceToken, "token", "VARCHAR"),
            (Code::Destination, "destination", "VARCHAR"),
            (Code::WebhookId, "webhook_id", "VARCHAR"),
            (Code::TransactionKey, "transaction_key", "VARCHAR"),
        ] {
            let declaration = format!("{column} {sql_type}({}) CHARACTER SET ascii", kind.bounds().1);
            assert!(declarations.iter().any(|l| l.starts_with(&declaration)), "{kind:?}: the schema has no {declaration}");
        }
    }

    #[test]
    fn shapes_follow_the_database_constraints() {
        for bad in ["bellecour", "-BELLECOUR", "B", "BELLE COUR", "BELLE_COUR", "A1234567890123456"] {
            assert!(!is_valid(Code::Restaurant, bad), "{bad}");
        }
        for bad in ["-PIZZA", "_PIZZA", "pizza", "PIZZA MARGHERITA"] {
            assert!(!is_valid(Code::Sku, bad), "{bad}");
        }
        for bad in ["a b", "R.1", "R/1"] {
            assert!(!is_valid(Code::Reference, bad), "{bad}");
        }
        for bad in ["eur", "EURO", "E1R"] {
            assert!(!is_valid(Code::Currency, bad), "{bad}");
        }
        for bad in ["ABCDEF".repeat(11), "0".repeat(63)] {
            assert!(!is_valid(Code::DeviceToken, &bad), "{bad}");
        }
        for bad in ["Dolibarr", "1sink", "a b", "_x"] {
            assert!(!is_valid(Code::Destination, bad), "{bad}");
        }
        for bad in ["a.b", "a b"] {
            assert!(!is_valid(Code::WebhookId, bad), "{bad}");
        }
        assert!(is_valid(Code::TransactionKey, "a b"));
    }

    #[test]
    fn check_event_names_the_field_of_the_event() {
        let env: crate::events::Envelope = serde_json::from_value(serde_json::json!({
            "type": "order.status_changed", "timestamp": "2026-11-29T18:00:00Z",
            "data": {"shop_order_id": 7, "reference": "ABC", "restaurant": "BELLECOUR", "fulfilment": "delivery",
                     "from": "ready", "to": "out_for_delivery", "note": null, "changed_at": "2026-11-29T18:00:00Z"}
        }))
        .unwrap();
        assert_eq!(check_event(&Event::from_envelope(&env).unwrap()), Ok(()));
        let mut bad = env.clone();
        bad.data["restaurant"] = "BELLÉCOUR".into();
        let e = check_event(&Event::from_envelope(&bad).unwrap()).unwrap_err();
        assert_eq!(e.field(), "data.restaurant");
        let mut bad = env;
        bad.data["reference"] = "".into();
        let e = check_event(&Event::from_envelope(&bad).unwrap()).unwrap_err();
        assert_eq!(e.field(), "data.reference");
    }

    /// The `pattern()` strings are what openapi.yaml publishes: check them against the byte rules on every
    /// ASCII character in every position that matters, with a tiny matcher for these simple patterns.
    #[test]
    fn patterns_agree_with_the_rules() {
        // Every pattern is ^<first class>?<class>{a,b}$ ; a brute-force check of single characters in first
        // and later positions is enough to catch a pattern that drifted from byte_ok.
        fn class_contains(class: &str, b: u8) -> bool {
            let cs: Vec<char> = class.chars().collect();
            let mut i = 0;
            let c = b as char;
            while i < cs.len() {
                let lo = if cs[i] == '\\' {
                    i += 1;
                    cs[i]
                } else {
                    cs[i]
                };
                if i + 2 < cs.len() && cs[i + 1] == '-' {
                    let mut j = i + 2;
                    let hi = if cs[j] == '\\' {
                        j += 1;
                        cs[j]
                    } else {
                        cs[j]
                    };
                    if (lo..=hi).contains(&c) {
                        return true;
                    }
                    i = j + 1;
                } else {
                    if lo == c {
                        return true;
                    }
                    i += 1;
                }
            }
            false
        }
        for kind in ALL.into_iter().filter(|k| *k != Code::TransactionKey) {
            let p = kind.pattern();
            let classes: Vec<&str> = p.split('[').skip(1).map(|s| s.split(']').next().unwrap()).collect();
            let (first, rest) = if classes.len() == 2 { (classes[0], classes[1]) } else { (classes[0], classes[0]) };
            for b in 0x20u8..0x7f {
                assert_eq!(class_contains(first, b), kind.byte_ok(0, b), "{kind:?} first {:?}", b as char);
                assert_eq!(class_contains(rest, b), kind.byte_ok(1, b), "{kind:?} rest {:?}", b as char);
            }
            let (min, max) = kind.bounds();
            let quant = if classes.len() == 2 { format!("{{{},{}}}$", min - 1, max - 1) } else if min == max {
                format!("{{{min}}}$")
            } else {
                format!("{{{min},{max}}}$")
            };
            assert!(p.ends_with(&quant), "{kind:?}: {p} should end with {quant}");
        }
    }
    /// The transaction key's pattern is the other shape (spaces, but not only spaces): its meaning, by example.
    #[test]
    fn transaction_key_pattern_means_not_only_spaces() {
        assert_eq!(Code::TransactionKey.pattern(), "^ *[!-~][ -~]*$");
        for ok in ["k", " k", "k ", "sc:1:u x:CAPTURED", "~"] {
            assert!(is_valid(Code::TransactionKey, ok), "{ok:?}");
        }
        for bad in [" ", "   ", "k\u{7f}"] {
            assert!(!is_valid(Code::TransactionKey, bad), "{bad:?}");
        }
    }

    /// `bridge/openapi.yaml` publishes each rule: the pattern and the bounds, so that a client generated from it
    /// sends what the server accepts.
    #[test]
    fn the_openapi_document_publishes_the_rules() {
        let spec = include_str!("../../bridge/openapi.yaml");
        for (kind, schema) in [
            (Code::Restaurant, "RestaurantCode"),
            (Code::DeviceToken, "DeviceToken"),
            (Code::Destination, "DestinationName"),
            (Code::Reference, "Reference"),
            (Code::Sku, "Sku"),
            (Code::Currency, "Currency"),
            (Code::Country, "Country"),
            (Code::TransactionKey, "TransactionKey"),
        ] {
            // The schema: its line under `components.schemas` (indented 4) and the lines indented more.
            let indent = |l: &str| l.len() - l.trim_start().len();
            let body: String = spec
                .lines()
                .skip_while(|l| !(indent(l) == 4 && l.trim_start().starts_with(&format!("{schema}:"))))
                .enumerate()
                .take_while(|(i, l)| *i == 0 || indent(l) > 4)
                .map(|(_, l)| format!("{l}\n"))
                .collect();
            assert!(!body.is_empty(), "no schema {schema}");
            let (min, max) = kind.bounds();
            for needle in [
                format!("pattern: '{}'", kind.pattern()),
                format!("minLength: {min}"),
                format!("maxLength: {max}"),
            ] {
                assert!(body.contains(&needle), "{schema}: {needle} missing in {body}");
            }
        }
        let (min, max) = Code::WebhookId.bounds();
        let header = format!("minLength: {min}, maxLength: {max}, pattern: '{}'", Code::WebhookId.pattern());
        assert!(spec.contains(&header), "webhook-id: {header}");
    }
}
