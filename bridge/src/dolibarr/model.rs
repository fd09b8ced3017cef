//! Lenient reading of Dolibarr's JSON (ids and amounts come as strings or numbers) and the few shapes we build.

use serde_json::Value;

use super::error::DolibarrError;
use super::money;

/// A JSON integer given as a number or a numeric string (`"12"`, `12`, `"12.0"` is refused).
pub fn as_id(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The `id` of an object.
pub fn id_of(v: &Value) -> Option<i64> {
    v.get("id").and_then(as_id)
}

/// An integer field (`statut`, `paye`, `billed`, `type`…), 0 when absent or null.
pub fn int_field(v: &Value, field: &str) -> i64 {
    v.get(field).and_then(as_id).unwrap_or(0)
}

pub fn str_field<'a>(v: &'a Value, field: &str) -> Option<&'a str> {
    v.get(field).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// An amount field (`"24.64000000"`, `24.64`) in cents.
pub fn cents_field(v: &Value, field: &str) -> Option<i64> {
    match v.get(field)? {
        Value::String(s) => money::parse_cents(s),
        Value::Number(n) => money::parse_cents(&n.to_string()),
        _ => None,
    }
}

/// The ids of the objects of one type linked to this one: `linkedObjectsIds.facture` is `{"<link id>": "<id>"}`,
/// `["<id>"]`, or `[]` when there is none.
pub fn linked_ids(v: &Value, element: &str) -> Vec<i64> {
    let mut ids: Vec<i64> = match v.get("linkedObjectsIds").and_then(|l| l.get(element)) {
        Some(Value::Object(m)) => m.values().filter_map(as_id).collect(),
        Some(Value::Array(a)) => a.iter().filter_map(as_id).collect(),
        Some(other) => as_id(other).into_iter().collect(),
        None => Vec::new(),
    };
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Order / invoice statuses (`statut`).
pub mod status {
    pub const DRAFT: i64 = 0;
    pub const VALIDATED: i64 = 1;
    pub const CLOSED: i64 = 3;
    pub const CANCELLED: i64 = -1;
    /// Invoice `statut` 2 = paid.
    pub const INVOICE_PAID: i64 = 2;
}

/// Characters that cannot be put inside a quoted sqlfilters value: the quote itself, `:` which breaks matching
/// (issue #29292), parentheses that end the clause, and controls.
fn filter_safe(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 255
        && !value.chars().any(|c| matches!(c, '\'' | ':' | '(' | ')' | '\\') || c.is_control())
}

/// `(t.<field>:=:'<value>')`, or an error naming the field when the value cannot be searched safely.
pub fn filter_eq(field: &'static str, value: &str) -> Result<String, DolibarrError> {
    if !filter_safe(value) {
        return Err(DolibarrError::BadInput {
            field,
            reason: format!("{value:?} cannot be used in a Dolibarr search filter"),
        });
    }
    Ok(format!("(t.{field}:=:'{value}')"))
}

/// The sqlfilters that find thirdparties by e-mail, whatever a valid address contains; `None` for an empty one.
///
/// As forgeSQLFromUniversalSearchCriteria() / dolForgeCriteriaCallback() (core/lib/functions.lib.php) read a
/// criterion: it is `(field:op:value)` with a value free of `(` and `)`, split on *every* `:` (a colon cuts the
/// value), and for `=` a value matching `^'(.*)'$` (greedy) is passed to `$db->escape()` — so `'`, `\`, `%`, `_`,
/// `+` and non-ASCII need nothing from us and match literally. An address with `(`, `)` or `:` (legal in a quoted
/// local part) cannot be written so; it is searched with `like`, those characters (and `'` and `\`, which a like
/// value cannot hold either) turned into the one-character wildcard `_`. Either way the caller keeps only exact
/// matches: a `like` finds look-alikes, and the utf8mb4_unicode_ci collation ignores case and accents.
pub fn email_filter(email: &str) -> Option<String> {
    if email.is_empty() || email.len() > 255 || email.chars().any(char::is_control) {
        return None;
    }
    if !email.contains(['(', ')', ':']) {
        return Some(format!("(t.email:=:'{email}')"));
    }
    let pattern: String =
        email.chars().map(|c| if matches!(c, '(' | ')' | ':' | '\'' | '\\') { '_' } else { c }).collect();
    Some(format!("(t.email:like:'{pattern}')"))
}

/// Refs we write must stay within `[A-Za-z0-9_-]` so that they survive the WAF and the filters.
pub fn check_ref(field: &'static str, value: &str) -> Result<(), DolibarrError> {
    if value.is_empty()
        || value.len() > 64
        || !value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(DolibarrError::BadInput { field, reason: format!("{value:?} must be 1–64 of [A-Za-z0-9_-]") });
    }
    Ok(())
}

/// `ref_ext` of the order of a shop order.
pub fn order_ref_ext(shop_order_id: i64) -> String {
    format!("PS-{shop_order_id}")
}

/// `ref_ext` of the thirdparty of a shop customer.
pub fn customer_ref_ext(shop_customer_id: i64) -> String {
    format!("PS-CUST-{shop_customer_id}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ids_and_amounts_are_read_from_strings_or_numbers() {
        assert_eq!(as_id(&json!("12")), Some(12));
        assert_eq!(as_id(&json!(12)), Some(12));
        assert_eq!(as_id(&json!(null)), None);
        assert_eq!(id_of(&json!({"id": "7"})), Some(7));
        assert_eq!(int_field(&json!({"statut": "1"}), "statut"), 1);
        assert_eq!(int_field(&json!({"statut": null}), "statut"), 0);
        assert_eq!(cents_field(&json!({"total_ttc": "24.64000000"}), "total_ttc"), Some(2464));
        assert_eq!(cents_field(&json!({"total_ttc": 24.6}), "total_ttc"), Some(2460));
    }

    #[test]
    fn linked_objects_come_in_three_shapes() {
        assert_eq!(linked_ids(&json!({"linkedObjectsIds": {"facture": {"9": "4", "3": "2"}}}), "facture"), vec![2, 4]);
        assert_eq!(linked_ids(&json!({"linkedObjectsIds": {"facture": ["5"]}}), "facture"), vec![5]);
        assert_eq!(linked_ids(&json!({"linkedObjectsIds": []}), "facture"), Vec::<i64>::new());
        assert_eq!(linked_ids(&json!({}), "facture"), Vec::<i64>::new());
    }

    #[test]
    fn filters_refuse_values_that_would_break_them() {
        assert_eq!(filter_eq("ref_ext", "PS-1001").unwrap(), "(t.ref_ext:=:'PS-1001')");
        assert_eq!(filter_eq("email", "jean.dupont@example.com").unwrap(), "(t.email:=:'jean.dupont@example.com')");
        for bad in ["o'brien@example.com", "prestashop:1001", "a)b", ""] {
            let e = filter_eq("email", bad).unwrap_err();
            assert!(e.to_string().starts_with("email:"), "{e}");
        }
        assert_eq!(email_filter("o'brien+x_y%z@exämple.fr").unwrap(), "(t.email:=:'o'brien+x_y%z@exämple.fr')");
        assert_eq!(email_filter("\"a:b(c)'\"@example.com").unwrap(), "(t.email:like:'\"a_b_c__\"@example.com')");
        assert_eq!(email_filter(""), None);
        assert_eq!(email_filter("a\nb@example.com"), None);
        assert!(check_ref("reference", "XKBKN-1_2").is_ok());
        assert!(check_ref("reference", "XK BKN").is_err());
    }
}
