//! The per-restaurant change counter of the staff app's polling (migration `20261207000030_staff_polling`): every
//! write that changes what the staff app shows of an order calls [`touch`] in its own transaction, as its last
//! statement (the counter row is shared by all the restaurant's orders and stays locked until the commit, so the
//! less work after it, the less the restaurant's writers wait on each other; taken last, it is never held while
//! waiting for another lock of the store, so it adds no deadlock).

use sqlx::MySqlConnection;

/// Bumps the restaurant's version and stamps the order with it (`orders.change_seq`). Returns the new version.
pub async fn touch(conn: &mut MySqlConnection, restaurant_id: i64, order_id: i64) -> Result<i64, sqlx::Error> {
    touch_orders(conn, restaurant_id, &[order_id]).await
}

/// [`touch`] for several orders of one restaurant changed together (one geocoded address used by several orders).
pub async fn touch_orders(
    conn: &mut MySqlConnection,
    restaurant_id: i64,
    order_ids: &[i64],
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO restaurant_changes (restaurant_id, version) VALUES (?, 1) \
         ON DUPLICATE KEY UPDATE version = version + 1",
    )
    .bind(restaurant_id)
    .execute(&mut *conn)
    .await?;
    let (version,): (i64,) = sqlx::query_as("SELECT version FROM restaurant_changes WHERE restaurant_id = ?")
        .bind(restaurant_id)
        .fetch_one(&mut *conn)
        .await?;
    if !order_ids.is_empty() {
        let mut q = sqlx::QueryBuilder::<sqlx::MySql>::new("UPDATE orders SET change_seq = ");
        q.push_bind(version).push(" WHERE restaurant_id = ").push_bind(restaurant_id).push(" AND id IN (");
        let mut sep = q.separated(", ");
        for id in order_ids {
            sep.push_bind(*id);
        }
        q.push(")");
        q.build().execute(&mut *conn).await?;
    }
    Ok(version)
}

/// The restaurant's current version (0 before its first change): what the staff API's ETag and cursor are made of.
pub async fn version(conn: &mut MySqlConnection, restaurant_id: i64) -> Result<i64, sqlx::Error> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT version FROM restaurant_changes WHERE restaurant_id = ?")
        .bind(restaurant_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map_or(0, |(v,)| v))
}
