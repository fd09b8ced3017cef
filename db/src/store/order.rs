//! `recordOrder`: one transaction writes the customer, the address, the order, its lines, the first status row,
//! the stock movements of every recipe, and the outbox events. Idempotent on `shop_order_id`.

use std::collections::BTreeMap;

use ocpizza_core::events::{self, LineKind, OrderCreated, ShortIngredient, StockShortage};
use ocpizza_core::status::OrderStatus;
use serde_json::Value;
use sqlx::{Acquire, MySql, MySqlConnection, MySqlPool, QueryBuilder};

use super::input::{NewOrder, parse_order};
use super::raw::invalid;
use super::{ER_DUP_ENTRY, RETRIES, StoreError, changes, db_time, errno, finish, is_retryable, now, outbox};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub order_id: i64,
    /// False when the order was already there: nothing was written by this call.
    pub created: bool,
}

/// Validates the raw input, then records it.
pub async fn record_order(pool: &MySqlPool, input: &Value) -> Result<Recorded, StoreError> {
    let order = parse_order(input)?;
    record_parsed(pool, &order).await
}

pub async fn record_parsed(pool: &MySqlPool, order: &NewOrder) -> Result<Recorded, StoreError> {
    // One connection for the whole call (lookup, transaction, retries): one pool acquire, not one per step.
    let mut conn = pool.acquire().await?;
    let mut attempt = 0;
    loop {
        let known = lookup(&mut conn, order).await?;
        if let Some(found) = known.existing(order)? {
            return same_order(&mut conn, order, found).await;
        }
        let restaurant_id = known.restaurant(order)?;
        let product_ids = known.product_ids(order)?;
        let tx = conn.begin().await?;
        let result = insert_in(tx, order, restaurant_id, &product_ids).await;
        match result {
            Ok(r) => return Ok(r),
            // Another process committed the same order first: the unique key refused ours, our transaction is
            // rolled back, and the order now exists.
            Err(e) if errno(&e) == Some(ER_DUP_ENTRY) => {
                return match lookup(&mut conn, order).await?.existing(order)? {
                    Some(found) => same_order(&mut conn, order, found).await,
                    None => Err(e),
                };
            }
            Err(e) if is_retryable(&e) && attempt < RETRIES => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}

/// `found` (already recorded under this shop order id) when it is this very order — same reference, customer, order
/// type and total — else a refusal naming `shop_order_id` and what differs. Never `created = false` for another
/// order: a real shop order must not be linked to a different one (e.g. a fictitious order of a demo seed).
async fn same_order(conn: &mut MySqlConnection, order: &NewOrder, found: Recorded) -> Result<Recorded, StoreError> {
    let (reference, customer, fulfilment, total): (String, i64, String, i64) = sqlx::query_as(
        "SELECT CAST(o.reference AS CHAR), c.shop_customer_id, CAST(o.fulfilment AS CHAR), o.total_cents \
         FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = ?",
    )
    .bind(found.order_id)
    .fetch_one(&mut *conn)
    .await?;
    let mut differences = Vec::new();
    if reference != order.reference {
        differences.push(format!("reference {reference:?}, not {:?}", order.reference));
    }
    if customer != order.customer.shop_customer_id {
        differences.push(format!("customer.shop_customer_id {customer}, not {}", order.customer.shop_customer_id));
    }
    if fulfilment != order.fulfilment.as_str() {
        differences.push(format!("fulfilment {fulfilment}, not {}", order.fulfilment.as_str()));
    }
    if total != order.total_cents {
        differences.push(format!("total_cents {total}, not {}", order.total_cents));
    }
    if differences.is_empty() {
        return Ok(found);
    }
    Err(invalid(
        "shop_order_id",
        format!(
            "{} is already recorded for a different order ({})",
            order.shop_order_id,
            differences.join("; ")
        ),
    ))
}

/// What the database already knows of this order, in one round trip: orders with its shop order id or its
/// reference, the restaurant, the products of its SKUs. Plain reads, outside the transaction (none of them locks).
struct Known {
    /// (id, shop_order_id) of the orders with this shop order id or this reference.
    orders: Vec<(i64, i64)>,
    /// (id, active) of the restaurant.
    restaurant: Option<(i64, bool)>,
    /// sku → (id, active).
    products: BTreeMap<String, (i64, bool)>,
}

async fn lookup(conn: &mut MySqlConnection, order: &NewOrder) -> Result<Known, StoreError> {
    let mut q: QueryBuilder<MySql> =
        QueryBuilder::new("SELECT CAST(0 AS SIGNED), id, shop_order_id, NULL FROM orders WHERE shop_order_id = ");
    q.push_bind(order.shop_order_id)
        .push(" OR reference = ")
        .push_bind(&order.reference)
        .push(" UNION ALL SELECT 1, id, active, NULL FROM restaurants WHERE code = ")
        .push_bind(&order.restaurant);
    let skus: Vec<&str> = order.lines.iter().filter_map(|l| l.sku.as_deref()).collect();
    if !skus.is_empty() {
        q.push(" UNION ALL SELECT 2, id, active, CONVERT(sku USING utf8mb4) FROM products WHERE sku IN (");
        let mut sep = q.separated(", ");
        for sku in &skus {
            sep.push_bind(*sku);
        }
        q.push(")");
    }
    let rows: Vec<(i64, i64, i64, Option<String>)> = q.build_query_as().fetch_all(&mut *conn).await?;
    let mut known = Known {
        orders: Vec::new(),
        restaurant: None,
        products: BTreeMap::new(),
    };
    for (kind, id, value, sku) in rows {
        match (kind, sku) {
            (0, _) => known.orders.push((id, value)),
            (1, _) => known.restaurant = Some((id, value != 0)),
            (_, Some(sku)) => {
                known.products.insert(sku, (id, value != 0));
            }
            (_, None) => {}
        }
    }
    Ok(known)
}

impl Known {
    /// The order already recorded under this `shop_order_id`; a refusal if its reference belongs to another one.
    fn existing(&self, order: &NewOrder) -> Result<Option<Recorded>, StoreError> {
        if let Some((id, _)) = self.orders.iter().find(|(_, shop)| *shop == order.shop_order_id) {
            return Ok(Some(Recorded {
                order_id: *id,
                created: false,
            }));
        }
        if let Some((_, other)) = self.orders.first() {
            return Err(invalid("reference", format!("is already used by shop order {other}")));
        }
        Ok(None)
    }

    fn restaurant(&self, order: &NewOrder) -> Result<i64, StoreError> {
        match self.restaurant {
            None => Err(invalid(
                "restaurant",
                format!("unknown restaurant code {:?}", order.restaurant),
            )),
            Some((_, false)) => Err(invalid("restaurant", "this restaurant is closed (inactive)")),
            Some((id, true)) => Ok(id),
        }
    }

    /// The product id of every line (None for delivery and discount lines); unknown or withdrawn SKUs are refused.
    fn product_ids(&self, order: &NewOrder) -> Result<Vec<Option<i64>>, StoreError> {
        order
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| match &line.sku {
                None => Ok(None),
                Some(sku) => match self.products.get(sku) {
                    None => Err(invalid(format!("lines[{i}].sku"), format!("unknown product {sku:?}"))),
                    Some((_, false)) => Err(invalid(format!("lines[{i}].sku"), format!("{sku} is no longer sold"))),
                    Some((id, true)) => Ok(Some(*id)),
                },
            })
            .collect()
    }
}

/// Writes the order in its own transaction, committed or rolled back before returning.
async fn insert_in(
    mut tx: sqlx::Transaction<'_, MySql>,
    order: &NewOrder,
    restaurant_id: i64,
    product_ids: &[Option<i64>],
) -> Result<Recorded, StoreError> {
    let result = write(&mut tx, order, restaurant_id, product_ids).await;
    finish(tx, result).await
}

async fn write(
    conn: &mut MySqlConnection,
    order: &NewOrder,
    restaurant_id: i64,
    product_ids: &[Option<i64>],
) -> Result<Recorded, StoreError> {
    let at = now();

    let c = &order.customer;
    let customer_id = sqlx::query(
        "INSERT INTO customers (shop_customer_id, email, first_name, last_name, phone) VALUES (?, ?, ?, ?, ?) \
         ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id), email = VALUES(email), first_name = VALUES(first_name), \
         last_name = VALUES(last_name), phone = VALUES(phone)",
    )
    .bind(c.shop_customer_id)
    .bind(&c.email)
    .bind(&c.first_name)
    .bind(&c.last_name)
    .bind(&c.phone)
    .execute(&mut *conn)
    .await?
    .last_insert_id() as i64;

    let address_id = match &order.delivery_address {
        None => None,
        Some(a) => Some(
            sqlx::query(
                "INSERT INTO customer_addresses (customer_id, line1, line2, postcode, city, country) \
                 VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)",
            )
            .bind(customer_id)
            .bind(&a.line1)
            .bind(&a.line2)
            .bind(&a.postcode)
            .bind(&a.city)
            .bind(&a.country)
            .execute(&mut *conn)
            .await?
            .last_insert_id() as i64,
        ),
    };

    let order_id = sqlx::query(
        "INSERT INTO orders (shop_order_id, reference, restaurant_id, customer_id, fulfilment, delivery_address_id, \
         payment_method, currency, total_cents, status, placed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(order.shop_order_id)
    .bind(&order.reference)
    .bind(restaurant_id)
    .bind(customer_id)
    .bind(order.fulfilment.as_str())
    .bind(address_id)
    .bind(&order.payment_method)
    .bind(&order.currency)
    .bind(order.total_cents)
    .bind(OrderStatus::INITIAL.as_str())
    .bind(db_time(order.placed_at))
    .execute(&mut *conn)
    .await?
    .last_insert_id() as i64;

    let mut lines: QueryBuilder<MySql> = QueryBuilder::new(
        "INSERT INTO order_lines (order_id, line_no, kind, product_id, name, quantity, unit_price_cents, vat_rate) ",
    );
    lines.push_values(
        order.lines.iter().zip(product_ids).enumerate(),
        |mut b, (i, (line, product))| {
            b.push_bind(order_id)
                .push_bind(i as i64 + 1)
                .push_bind(kind_str(line.kind))
                .push_bind(*product)
                .push_bind(&line.name)
                .push_bind(line.quantity)
                .push_bind(line.unit_price_cents)
                .push_bind(&line.vat_rate);
        },
    );
    lines.build().execute(&mut *conn).await?;

    sqlx::query(
        "INSERT INTO order_status_history (order_id, seq, from_status, to_status, note, changed_at) \
         VALUES (?, 1, NULL, ?, NULL, ?)",
    )
    .bind(order_id)
    .bind(OrderStatus::INITIAL.as_str())
    .bind(db_time(at))
    .execute(&mut *conn)
    .await?;

    let created = OrderCreated {
        shop_order_id: order.shop_order_id,
        reference: order.reference.clone(),
        restaurant: order.restaurant.clone(),
        placed_at: super::rfc3339(order.placed_at),
        fulfilment: order.fulfilment,
        payment_method: order.payment_method.clone(),
        currency: order.currency.clone(),
        total_cents: order.total_cents,
        status: OrderStatus::INITIAL,
        customer: order.customer.clone(),
        delivery_address: order.delivery_address.clone(),
        lines: order.lines.clone(),
    };
    outbox::append(conn, events::ORDER_CREATED, Some(order.shop_order_id), &created, at).await?;
    // Stock last: its rows are shared by every concurrent order of the restaurant and stay locked until the
    // commit, so the less work after taking them, the more orders a restaurant can take at once.
    let short = take_stock(conn, restaurant_id, order_id, order, product_ids).await?;
    if !short.is_empty() {
        let shortage = StockShortage {
            restaurant: order.restaurant.clone(),
            shop_order_id: Some(order.shop_order_id),
            reference: Some(order.reference.clone()),
            ingredients: short,
        };
        outbox::append(conn, events::STOCK_SHORTAGE, Some(order.shop_order_id), &shortage, at).await?;
    }
    // The staff app's queue changed (last: see `changes`).
    changes::touch(conn, restaurant_id, order_id).await?;
    Ok(Recorded {
        order_id,
        created: true,
    })
}

fn kind_str(kind: LineKind) -> &'static str {
    match kind {
        LineKind::Product => "product",
        LineKind::Delivery => "delivery",
        LineKind::Discount => "discount",
    }
}

struct Need {
    name: String,
    unit: String,
    needed: i64,
}

/// Takes from the restaurant's stock what the recipes need, never more than it holds; returns what was short.
/// Stock rows are locked in ingredient-id order so that concurrent orders cannot deadlock on them.
async fn take_stock(
    conn: &mut MySqlConnection,
    restaurant_id: i64,
    order_id: i64,
    order: &NewOrder,
    product_ids: &[Option<i64>],
) -> Result<Vec<ShortIngredient>, StoreError> {
    let mut per_product: BTreeMap<i64, i64> = BTreeMap::new();
    for (line, product) in order.lines.iter().zip(product_ids) {
        if let Some(p) = product {
            *per_product.entry(*p).or_default() += line.quantity;
        }
    }
    if per_product.is_empty() {
        return Ok(Vec::new());
    }
    let mut q: QueryBuilder<MySql> = QueryBuilder::new(
        "SELECT ri.product_id, ri.ingredient_id, ri.quantity, i.name, i.unit FROM recipe_ingredients ri \
         JOIN ingredients i ON i.id = ri.ingredient_id WHERE ri.product_id IN (",
    );
    let mut sep = q.separated(", ");
    for p in per_product.keys() {
        sep.push_bind(*p);
    }
    q.push(")");
    let recipe: Vec<(i64, i64, i32, String, String)> = q.build_query_as().fetch_all(&mut *conn).await?;
    let mut needs: BTreeMap<i64, Need> = BTreeMap::new();
    for (product, ingredient, qty, name, unit) in recipe {
        let n = needs.entry(ingredient).or_insert(Need { name, unit, needed: 0 });
        n.needed += i64::from(qty) * per_product[&product];
    }
    if needs.is_empty() {
        return Ok(Vec::new());
    }

    let mut q: QueryBuilder<MySql> =
        QueryBuilder::new("SELECT ingredient_id, quantity FROM stock WHERE restaurant_id = ");
    q.push_bind(restaurant_id).push(" AND ingredient_id IN (");
    let mut sep = q.separated(", ");
    for id in needs.keys() {
        sep.push_bind(*id);
    }
    q.push(") ORDER BY ingredient_id FOR UPDATE");
    let held: BTreeMap<i64, i32> = q
        .build_query_as::<(i64, i32)>()
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();

    // An ingredient the restaurant never stocked gets a stock row at 0, so that its shortage is recorded like any.
    let missing: Vec<i64> = needs.keys().filter(|id| !held.contains_key(id)).copied().collect();
    if !missing.is_empty() {
        let mut q: QueryBuilder<MySql> =
            QueryBuilder::new("INSERT INTO stock (restaurant_id, ingredient_id, quantity) ");
        q.push_values(&missing, |mut b, id| {
            b.push_bind(restaurant_id).push_bind(*id).push_bind(0);
        });
        q.push(" ON DUPLICATE KEY UPDATE quantity = quantity");
        q.build().execute(&mut *conn).await?;
    }

    let mut taken: Vec<(i64, i64, i64)> = Vec::with_capacity(needs.len()); // (ingredient, taken, shortage)
    let mut short = Vec::new();
    for (id, need) in &needs {
        let available = i64::from(held.get(id).copied().unwrap_or(0));
        let take = need.needed.min(available);
        let missing = need.needed - take;
        taken.push((*id, take, missing));
        if missing > 0 {
            short.push(ShortIngredient {
                name: need.name.clone(),
                unit: need.unit.clone(),
                needed: need.needed,
                available,
                missing,
            });
        }
    }

    if taken.iter().any(|(_, t, _)| *t > 0) {
        let mut q: QueryBuilder<MySql> = QueryBuilder::new("UPDATE stock SET quantity = quantity - CASE ingredient_id");
        for (id, t, _) in taken.iter().filter(|(_, t, _)| *t > 0) {
            q.push(" WHEN ").push_bind(*id).push(" THEN ").push_bind(*t);
        }
        q.push(" ELSE 0 END WHERE restaurant_id = ")
            .push_bind(restaurant_id)
            .push(" AND ingredient_id IN (");
        let mut sep = q.separated(", ");
        for (id, _, _) in taken.iter().filter(|(_, t, _)| *t > 0) {
            sep.push_bind(*id);
        }
        q.push(")");
        q.build().execute(&mut *conn).await?;
    }

    // delta is the change of stock (negative: taken), shortage what the recipe needed beyond the stock held.
    let mut q: QueryBuilder<MySql> = QueryBuilder::new(
        "INSERT INTO stock_movements (restaurant_id, ingredient_id, order_id, reason, delta, shortage) ",
    );
    q.push_values(&taken, |mut b, (id, t, missing)| {
        b.push_bind(restaurant_id)
            .push_bind(*id)
            .push_bind(order_id)
            .push_bind("order")
            .push_bind(-*t)
            .push_bind(*missing);
    });
    q.build().execute(&mut *conn).await?;
    Ok(short)
}
