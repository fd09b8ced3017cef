//! The least-privilege roles of docs/OPERATIONS.md are enough, and are what the programs use: the GRANTs are read
//! from the document itself, given to fresh users on a fresh database, and then the order store (what the extension
//! runs inside PHP) and the real bridge binary (serve, then the retention purge) do their work under those users.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ocpizza_db::testing::TestDb;
use serde_json::json;
use sqlx::Executor;

/// The SQL of the ```sql block that starts with `CREATE USER '<user>'` in docs/OPERATIONS.md.
fn grants_of(user: &str) -> Vec<String> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/OPERATIONS.md"))
        .expect("docs/OPERATIONS.md");
    let start = doc.find(&format!("CREATE USER '{user}'")).unwrap_or_else(|| panic!("no CREATE USER '{user}'"));
    let block = &doc[start..start + doc[start..].find("```").expect("end of the sql block")];
    block
        .lines()
        .map(|l| l.split("--").next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .map(|l| l.trim_end_matches(';').to_owned())
        .collect()
}

struct Users<'a> {
    admin: &'a sqlx::MySqlPool,
    names: Vec<String>,
}

impl Drop for Users<'_> {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let names = std::mem::take(&mut self.names);
        let _ = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
                for n in names {
                    let _ = admin.execute(format!("DROP USER IF EXISTS '{n}'@'127.0.0.1'").as_str()).await;
                }
            })
        })
        .join();
    }
}

/// Creates `user` as the document says, renamed `as_name`, on database `db`, host 127.0.0.1, password `pw`.
async fn create_role(admin: &sqlx::MySqlPool, user: &str, as_name: &str, db: &str, pw: &str) {
    for stmt in grants_of(user) {
        let stmt = stmt
            .replace(&format!("'{user}'@'10.0.0.%'"), &format!("'{as_name}'@'127.0.0.1'"))
            .replace(&format!("'{user}'@'127.0.0.1'"), &format!("'{as_name}'@'127.0.0.1'"))
            .replace("ON ocpizza.", &format!("ON `{db}`."))
            .replace("IDENTIFIED BY '…'", &format!("IDENTIFIED BY '{pw}'"));
        admin.execute(stmt.as_str()).await.unwrap_or_else(|e| panic!("{stmt}: {e}"));
    }
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn bridge_bin() -> std::path::PathBuf {
    let mut dir = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let bin = std::env::var_os("OCPIZZA_BRIDGE_BIN").map(Into::into).unwrap_or_else(|| dir.join("ocpizza-bridge"));
    assert!(bin.is_file(), "{} missing: run `cargo build --workspace` first (make test does)", bin.display());
    bin
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_roles_are_enough_for_the_extension_and_the_bridge() {
    let db = TestDb::seeded().await;
    let admin = ocpizza_db::connect(&format!("{}/", ocpizza_db::testing::server_url())).await.unwrap();
    let tag = &db.name[db.name.len() - 6..];
    let (shop, bridge) = (format!("ocps_{tag}"), format!("ocpb_{tag}"));
    let _users = Users { admin: &admin, names: vec![shop.clone(), bridge.clone()] };
    create_role(&admin, "ocpizza_shop", &shop, &db.name, "shop-pw-1").await;
    create_role(&admin, "ocpizza_bridge", &bridge, &db.name, "bridge-pw-1").await;
    let host = ocpizza_db::testing::server_url().replace("mysql://root@", "");

    // The extension's work, as the shop role.
    let shop_pool = ocpizza_db::connect(&format!("mysql://{shop}:shop-pw-1@{host}/{}", db.name)).await.unwrap();
    use ocpizza_db::store;
    assert!(!store::restaurants(&shop_pool).await.unwrap().is_empty());
    assert!(!store::available_products(&shop_pool, "GERLAND").await.unwrap().is_empty());
    let order = json!({
        "shop_order_id": 7001, "reference": "GRANTS01", "restaurant": "GERLAND",
        "placed_at": "2026-11-29T19:00:00Z", "fulfilment": "delivery", "payment_method": "card_online",
        "currency": "EUR", "total_cents": 1640,
        "customer": {"shop_customer_id": 7001, "email": "role@example.fr", "first_name": "R", "last_name": "Ole", "phone": null},
        "delivery_address": {"line1": "3 rue de Gerland", "line2": "", "postcode": "69007", "city": "Lyon", "country": "FR"},
        // Savoyarde at Gerland: no reblochon there, so the shortage path runs too.
        "lines": [
            {"sku": "PIZZA-SAVOYARDE", "name": "Pizza Savoyarde", "quantity": 1, "unit_price_cents": 1390, "vat_rate": "10.00"},
            {"kind": "delivery", "name": "Livraison", "quantity": 1, "unit_price_cents": 250, "vat_rate": "10.00"}
        ]
    });
    assert!(store::record_order(&shop_pool, &order).await.unwrap().created);
    let payment = json!({"shop_order_id": 7001, "transaction_key": "grants-k1", "amount_cents": 1640,
                         "currency": "EUR", "status": "paid", "raw_status": "CAPTURED"});
    assert!(store::record_payment(&shop_pool, &payment).await.unwrap().created);
    let refund = json!({"shop_order_id": 7001, "transaction_key": "grants-r1", "amount_cents": 250,
                        "currency": "EUR", "reason": "livraison offerte", "source": "shop"});
    assert!(store::record_refund(&shop_pool, &refund).await.unwrap().created);
    assert!(store::set_status(&shop_pool, 7001, "accepted", Some("ok")).await.unwrap());
    // A bridge that is down: the attempt is recorded on the outbox rows (UPDATE granted), nothing lost.
    let report = store::publish_outbox(&shop_pool, "http://127.0.0.1:1", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 10)
        .await
        .unwrap();
    assert_eq!(report.published, 0);
    // And nothing more than that: the shop role cannot touch the bridge's tables or the schema.
    for denied in ["SELECT COUNT(*) FROM deliveries", "DELETE FROM orders", "DROP TABLE outbox"] {
        assert!(sqlx::query(denied).execute(&shop_pool).await.is_err(), "shop role may not: {denied}");
    }

    // The bridge's work, as the bridge role: readiness, reconciliation of the outbox, deliveries, devices.
    let port = free_port();
    let _bridge = Killed(
        Command::new(bridge_bin())
            .arg("serve")
            .env("OCPIZZA_DATABASE_URL", format!("mysql://{bridge}:bridge-pw-1@{host}/{}", db.name))
            .env("OCPIZZA_LISTEN", format!("127.0.0.1:{port}"))
            .env("OCPIZZA_WEBHOOK_SECRETS", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .env("OCPIZZA_RECONCILE_INTERVAL_SECS", "1")
            .env("OCPIZZA_RECONCILE_AFTER_SECS", "0")
            .env("OCPIZZA_SINK_URL", "http://127.0.0.1:1/sink")
            .env("OCPIZZA_DEVICE_TOKENS", "GERLAND=gerland-device-token-1")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("start the bridge"),
    );
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut ready = false;
    for _ in 0..200 {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "the bridge became ready under its role");
    let r = http
        .post(format!("{base}/v1/devices"))
        .bearer_auth("gerland-device-token-1")
        .json(&json!({"token": "ab".repeat(32), "environment": "production", "restaurant": "GERLAND", "role": "driver"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "device registration: {}", r.status());
    let mut pending = i64::MAX;
    for _ in 0..200 {
        pending = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        if pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stuck: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT event_type, last_error FROM outbox WHERE published_at IS NULL")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(pending, 0, "the bridge reconciled the outbox under its role: {stuck:?}");
    let deliveries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries").fetch_one(&db.pool).await.unwrap();
    assert!(deliveries > 0);

    // The retention purge deletes under the role too: stop the bridge, age everything as the administrator (as if
    // delivered a year ago), then purge as the bridge.
    drop(_bridge);
    for age in [
        "UPDATE deliveries SET status = 'done', lease_owner = NULL, lease_until = NULL, \
         finished_at = NOW(6) - INTERVAL 365 DAY",
        "UPDATE inbox SET received_at = NOW(6) - INTERVAL 365 DAY",
        // An APNs send record of one of those deliveries (this test runs no APNs destination).
        "INSERT INTO devices (token, environment, restaurant_id, role) \
         SELECT REPEAT('a', 64), 'production', MIN(id), 'driver' FROM restaurants",
        "INSERT INTO push_sends (delivery_id, device_id, status, attempts, apns_id, updated_at) \
         SELECT MIN(d.id), MIN(v.id), 'sent', 1, UUID(), NOW(6) - INTERVAL 365 DAY FROM deliveries d, devices v",
    ] {
        sqlx::query(age).execute(&db.pool).await.unwrap();
    }
    let out = Command::new(bridge_bin())
        .args(["purge", "--older-than-days", "90"])
        .env("OCPIZZA_DATABASE_URL", format!("mysql://{bridge}:bridge-pw-1@{host}/{}", db.name))
        .env_remove("OCPIZZA_CONFIG")
        .output()
        .expect("run the purge");
    assert!(out.status.success(), "purge under the bridge role: {}", String::from_utf8_lossy(&out.stderr));
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM deliveries) + (SELECT COUNT(*) FROM inbox) + (SELECT COUNT(*) FROM push_sends)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(left, 0, "the purge deleted under the bridge role: {}", String::from_utf8_lossy(&out.stdout));
}
