//! What the staff app shows: orders with their lines, the recipe of each pizza line scaled to the quantity
//! ordered, the payment still to collect, and for deliveries the address and a navigation link. Read in a fixed
//! number of queries whatever the number of orders (orders, lines, recipes, ingredients, notes).

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::Serialize;
use sqlx::{MySql, MySqlConnection, QueryBuilder};

/// Statuses an order can be in that still need someone (the default of the queue).
pub const OPEN: [&str; 5] = ["received", "accepted", "in_preparation", "ready", "out_for_delivery"];
/// What a driver picks up and carries.
pub const DELIVERY: [&str; 2] = ["ready", "out_for_delivery"];
/// The most orders one answer lists (a queue larger than this is an incident, not a list to scroll).
pub const MAX_ORDERS: i64 = 200;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OrderView {
    pub reference: String,
    pub restaurant: String,
    #[serde(rename = "type")]
    pub fulfilment: String,
    pub status: String,
    pub placed_at: String,
    pub updated_at: String,
    pub customer: Customer,
    /// The notes written with status changes, oldest first (the shop sends no free-text note with the order).
    pub notes: Vec<Note>,
    pub lines: Vec<Line>,
    pub payment: Payment,
    /// Deliveries only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
    /// The restaurant's change version at the order's last change (`orders.change_seq`): makes the `since` cursor.
    #[serde(skip)]
    pub change_seq: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Customer {
    pub first_name: String,
    /// Shown for deliveries only (the driver calls the customer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Note {
    pub status: String,
    pub note: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Line {
    pub line_no: i32,
    pub kind: String,
    pub sku: Option<String>,
    pub name: String,
    pub quantity: i32,
    /// Pizza lines with a recipe only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipe: Option<Recipe>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Recipe {
    /// For the whole line: recipe quantity × quantity ordered.
    pub ingredients: Vec<Ingredient>,
    pub steps: Vec<String>,
    pub bake_minutes: i32,
    pub oven_celsius: i32,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Ingredient {
    pub name: String,
    pub unit: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Payment {
    /// How the customer chose to pay in the shop.
    pub method: String,
    pub currency: String,
    pub total_cents: i64,
    pub paid: bool,
    /// What the restaurant still has to take: 0 when paid, or paid online (an unpaid online order is not the
    /// driver's to collect).
    pub to_collect_cents: i64,
    /// How it may be taken (`POST /v1/orders/{reference}/payments` methods); empty when nothing is to collect.
    pub collect_with: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Delivery {
    pub address: Address,
    /// `{lat, lng}` once geocoded (OCPIZZA_GEOCODING_KEY), else absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coordinates: Option<Coordinates>,
    /// Opens the phone's maps at the address (the address text; coordinates once geocoded).
    pub navigation_url: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Coordinates {
    pub lat: f64,
    pub lng: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Address {
    pub line1: String,
    pub line2: String,
    pub postcode: String,
    pub city: String,
    pub country: String,
}

impl Address {
    pub fn one_line(&self) -> String {
        let mut parts = vec![self.line1.as_str()];
        if !self.line2.trim().is_empty() {
            parts.push(self.line2.as_str());
        }
        let town = format!("{} {}", self.postcode, self.city);
        let mut s = parts.join(", ");
        s.push_str(", ");
        s.push_str(&town);
        s.push_str(", ");
        s.push_str(&self.country);
        s
    }
}

/// Google Maps' documented cross-platform URL (`maps/dir/?api=1&destination=…`), which the iPhone opens in the
/// maps app of the driver's choice: the coordinates once geocoded, else the address text.
pub fn navigation_url(address: &Address, coordinates: Option<(f64, f64)>) -> String {
    let destination = match coordinates {
        Some((lat, lng)) => format!("{lat:.6},{lng:.6}"),
        None => address.one_line(),
    };
    format!("https://www.google.com/maps/dir/?api=1&destination={}", url_encode(&destination))
}

fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// "1. Étaler. 2. Garnir. 3. Cuire." → ["Étaler.", "Garnir.", "Cuire."]; text without numbering is split on lines.
pub fn split_steps(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    // Positions where a step number starts: digits followed by ". ", at the start or after whitespace.
    let mut starts = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            let mut j = i;
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                j += 1;
            }
            if j + 1 < bytes.len() && bytes[j] == b'.' && bytes[j + 1] == b' ' {
                starts.push((i, j + 2));
                i = j + 2;
                continue;
            }
        }
        i += 1;
    }
    if starts.is_empty() {
        return text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    }
    let mut steps = Vec::new();
    let head = text[..starts[0].0].trim();
    if !head.is_empty() {
        steps.push(head.to_owned());
    }
    for (k, &(_, body)) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(text.len(), |n| n.0);
        let step = text[body..end].trim();
        if !step.is_empty() {
            steps.push(step.to_owned());
        }
    }
    steps
}

fn collect_with(method: &str) -> Vec<&'static str> {
    match method {
        "cash_on_delivery" => vec!["cash"],
        "card_on_delivery" => vec!["card_terminal"],
        "at_restaurant" => vec!["cash", "card_terminal"],
        _ => vec![],
    }
}

fn ts(t: NaiveDateTime) -> String {
    ocpizza_db::store::rfc3339(t.and_utc())
}

/// Which orders to read.
pub enum Select<'a> {
    Restaurant { restaurant_id: i64, statuses: &'a [String], delivery_only: bool },
    /// Every order of the restaurant changed after version `since`, whatever its status, the oldest change first
    /// (so that a list cut at [`MAX_ORDERS`] holds every change up to its last one).
    Changed { restaurant_id: i64, since: i64, delivery_only: bool },
    Reference(&'a str),
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: i64,
    reference: String,
    restaurant: String,
    fulfilment: String,
    status: String,
    placed_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    method: String,
    currency: String,
    total: i64,
    first_name: String,
    phone: Option<String>,
    line1: Option<String>,
    line2: Option<String>,
    postcode: Option<String>,
    city: Option<String>,
    country: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    paid: i64,
    change_seq: i64,
}

/// Reads on `conn`: the staff API reads a list in one transaction, so that the list and the version of its ETag and
/// cursor are one snapshot.
pub async fn load(conn: &mut MySqlConnection, select: Select<'_>) -> Result<Vec<OrderView>, sqlx::Error> {
    let mut q = QueryBuilder::<MySql>::new(
        "SELECT o.id, CONVERT(o.reference USING utf8mb4) AS reference, CONVERT(r.code USING utf8mb4) AS restaurant, \
         o.fulfilment, o.status, o.placed_at, o.updated_at, o.payment_method AS method, \
         CONVERT(o.currency USING utf8mb4) AS currency, o.total_cents AS total, c.first_name, c.phone, a.line1, \
         a.line2, a.postcode, a.city, CONVERT(a.country USING utf8mb4) AS country, a.latitude, a.longitude, \
         (SELECT COUNT(*) FROM payments p WHERE p.order_id = o.id AND p.status = 'paid') AS paid, o.change_seq \
         FROM orders o JOIN restaurants r ON r.id = o.restaurant_id JOIN customers c ON c.id = o.customer_id \
         LEFT JOIN customer_addresses a ON a.id = o.delivery_address_id WHERE ",
    );
    match &select {
        Select::Restaurant { restaurant_id, statuses, delivery_only } => {
            q.push("o.restaurant_id = ").push_bind(*restaurant_id);
            if *delivery_only {
                q.push(" AND o.fulfilment = 'delivery'");
            }
            q.push(" AND o.status IN (");
            let mut sep = q.separated(", ");
            for s in *statuses {
                sep.push_bind(s.as_str());
            }
            q.push(") ORDER BY o.placed_at, o.id LIMIT ").push_bind(MAX_ORDERS);
        }
        Select::Changed { restaurant_id, since, delivery_only } => {
            q.push("o.restaurant_id = ").push_bind(*restaurant_id).push(" AND o.change_seq > ").push_bind(*since);
            if *delivery_only {
                q.push(" AND o.fulfilment = 'delivery'");
            }
            q.push(" ORDER BY o.change_seq, o.id LIMIT ").push_bind(MAX_ORDERS);
        }
        Select::Reference(reference) => {
            q.push("o.reference = ").push_bind(*reference);
        }
    }
    let rows: Vec<OrderRow> = q.build_query_as().fetch_all(&mut *conn).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();

    let mut q = QueryBuilder::<MySql>::new(
        "SELECT l.order_id, CAST(l.line_no AS SIGNED), l.kind, CONVERT(p.sku USING utf8mb4), l.name, \
         CAST(l.quantity AS SIGNED), l.product_id, p.kind FROM order_lines l \
         LEFT JOIN products p ON p.id = l.product_id WHERE l.order_id IN (",
    );
    push_ids(&mut q, &ids);
    q.push(") ORDER BY l.order_id, l.line_no");
    type LineRow = (i64, i64, String, Option<String>, String, i64, Option<i64>, Option<String>);
    let lines: Vec<LineRow> = q.build_query_as().fetch_all(&mut *conn).await?;

    let pizza_ids: Vec<i64> = {
        let mut v: Vec<i64> = lines.iter().filter(|l| l.7.as_deref() == Some("pizza")).filter_map(|l| l.6).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let mut recipes: BTreeMap<i64, (String, i64, i64)> = BTreeMap::new();
    let mut ingredients: BTreeMap<i64, Vec<(String, String, i64)>> = BTreeMap::new();
    if !pizza_ids.is_empty() {
        let mut q = QueryBuilder::<MySql>::new(
            "SELECT product_id, preparation_steps, CAST(bake_minutes AS SIGNED), CAST(oven_celsius AS SIGNED) \
             FROM recipes WHERE product_id IN (",
        );
        push_ids(&mut q, &pizza_ids);
        q.push(")");
        let rows: Vec<(i64, String, i64, i64)> = q.build_query_as().fetch_all(&mut *conn).await?;
        for (id, steps, bake, oven) in rows {
            recipes.insert(id, (steps, bake, oven));
        }
        let mut q = QueryBuilder::<MySql>::new(
            "SELECT ri.product_id, i.name, i.unit, CAST(ri.quantity AS SIGNED) FROM recipe_ingredients ri \
             JOIN ingredients i ON i.id = ri.ingredient_id WHERE ri.product_id IN (",
        );
        push_ids(&mut q, &pizza_ids);
        q.push(") ORDER BY ri.product_id, i.id");
        let rows: Vec<(i64, String, String, i64)> = q.build_query_as().fetch_all(&mut *conn).await?;
        for (id, name, unit, qty) in rows {
            ingredients.entry(id).or_default().push((name, unit, qty));
        }
    }

    let mut q = QueryBuilder::<MySql>::new(
        "SELECT order_id, to_status, note, changed_at FROM order_status_history \
         WHERE note IS NOT NULL AND note <> '' AND order_id IN (",
    );
    push_ids(&mut q, &ids);
    q.push(") ORDER BY order_id, seq");
    let notes: Vec<(i64, String, String, NaiveDateTime)> = q.build_query_as().fetch_all(&mut *conn).await?;

    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let OrderRow {
            id,
            reference,
            restaurant,
            fulfilment,
            status,
            placed_at,
            updated_at,
            method,
            currency,
            total,
            change_seq,
            ..
        } = r;
        let paid = r.paid > 0;
        let to_collect = if paid || method == "card_online" { 0 } else { total };
        let is_delivery = fulfilment == "delivery";
        let delivery = match (is_delivery, r.line1, r.postcode, r.city, r.country) {
            (true, Some(line1), Some(postcode), Some(city), Some(country)) => {
                let address = Address { line1, line2: r.line2.unwrap_or_default(), postcode, city, country };
                let coords = r.latitude.zip(r.longitude);
                Some(Delivery {
                    navigation_url: navigation_url(&address, coords),
                    coordinates: coords.map(|(lat, lng)| Coordinates { lat, lng }),
                    address,
                })
            }
            _ => None,
        };
        let order_lines = lines
            .iter()
            .filter(|l| l.0 == id)
            .map(|l| {
                let recipe = match (l.6, l.7.as_deref()) {
                    (Some(pid), Some("pizza")) => recipes.get(&pid).map(|(steps, bake, oven)| Recipe {
                        ingredients: ingredients
                            .get(&pid)
                            .map(|v| {
                                v.iter()
                                    .map(|(name, unit, q)| Ingredient {
                                        name: name.clone(),
                                        unit: unit.clone(),
                                        quantity: q * l.5,
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                        steps: split_steps(steps),
                        bake_minutes: *bake as i32,
                        oven_celsius: *oven as i32,
                    }),
                    _ => None,
                };
                Line {
                    line_no: l.1 as i32,
                    kind: l.2.clone(),
                    sku: l.3.clone(),
                    name: l.4.clone(),
                    quantity: l.5 as i32,
                    recipe,
                }
            })
            .collect();
        out.push(OrderView {
            reference,
            restaurant,
            status,
            placed_at: ts(placed_at),
            updated_at: ts(updated_at),
            customer: Customer { first_name: r.first_name, phone: if is_delivery { r.phone } else { None } },
            notes: notes
                .iter()
                .filter(|n| n.0 == id)
                .map(|n| Note { status: n.1.clone(), note: n.2.clone(), at: ts(n.3) })
                .collect(),
            lines: order_lines,
            payment: Payment {
                collect_with: if to_collect > 0 { collect_with(&method) } else { vec![] },
                method,
                currency,
                total_cents: total,
                paid,
                to_collect_cents: to_collect,
            },
            delivery,
            fulfilment,
            change_seq,
        });
    }
    Ok(out)
}

fn push_ids(q: &mut QueryBuilder<'_, MySql>, ids: &[i64]) {
    let mut sep = q.separated(", ");
    for id in ids {
        sep.push_bind(*id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_split_on_their_numbers() {
        assert_eq!(
            split_steps("1. Étaler le pâton à 30 cm. 2. Napper de sauce. 10. Cuire 4 min."),
            ["Étaler le pâton à 30 cm.", "Napper de sauce.", "Cuire 4 min."]
        );
        assert_eq!(split_steps("Étaler, garnir, cuire."), ["Étaler, garnir, cuire."]);
        assert_eq!(split_steps("Étaler\n\nGarnir\n"), ["Étaler", "Garnir"]);
    }

    #[test]
    fn navigation_links_carry_the_address_text() {
        let a = Address {
            line1: "8 rue de la République".into(),
            line2: "3e étage".into(),
            postcode: "69002".into(),
            city: "Lyon".into(),
            country: "FR".into(),
        };
        assert_eq!(
            navigation_url(&a, Some((45.757814, 4.832011))),
            "https://www.google.com/maps/dir/?api=1&destination=45.757814%2C4.832011"
        );
        assert_eq!(
            navigation_url(&a, None),
            "https://www.google.com/maps/dir/?api=1&destination=8%20rue%20de%20la%20R%C3%A9publique%2C%203e%20%C3%A9tage%2C%2069002%20Lyon%2C%20FR"
        );
    }
}
