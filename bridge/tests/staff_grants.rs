//! The bridge role of docs/OPERATIONS.md is enough for the staff API (issue 12): the GRANTs are read from the
//! document, given to a fresh user on a fresh seeded database, and `staff set-pin`, sign-in (with a failure),
//! the queue, a status change and a payment run under that user.

mod common;
mod staff_support;

use common::config;
use ocpizza_bridge::config::SecretString;
use ocpizza_db::testing::TestDb;
use serde_json::{Value, json};
use sqlx::Executor;

/// The statements of the ```sql block that starts with `CREATE USER 'ocpizza_bridge'`.
fn bridge_grants() -> Vec<String> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/OPERATIONS.md")).unwrap();
    let start = doc.find("CREATE USER 'ocpizza_bridge'").expect("the bridge role block");
    let block = &doc[start..start + doc[start..].find("```").unwrap()];
    block
        .lines()
        .map(|l| l.split("--").next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .map(|l| l.trim_end_matches(';').to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_bridge_role_runs_the_staff_api() {
    let db = TestDb::seeded().await;
    let reference = staff_support::record(&db.pool, 51, "delivery", "cash_on_delivery", 1).await;
    let admin = ocpizza_db::connect(&format!("{}/", ocpizza_db::testing::server_url())).await.unwrap();
    let user = format!("ocst_{}", &db.name[db.name.len() - 6..]);
    for stmt in bridge_grants() {
        let stmt = stmt
            .replace("'ocpizza_bridge'@'127.0.0.1'", &format!("'{user}'@'127.0.0.1'"))
            .replace("ON ocpizza.", &format!("ON `{}`.", db.name))
            .replace("IDENTIFIED BY '…'", "IDENTIFIED BY 'staff-pw-1'");
        admin.execute(stmt.as_str()).await.unwrap_or_else(|e| panic!("{stmt}: {e}"));
    }
    let host = ocpizza_db::testing::server_url().replace("mysql://root@", "");
    let pool = ocpizza_db::connect(&format!("mysql://{user}:staff-pw-1@{host}/{}", db.name)).await.unwrap();
    let result = async {
        for (login, pin) in [("luca.b", "1002"), ("karim.h", "1003")] {
            ocpizza_bridge::staff::set_pin(&pool, "BELLECOUR", login, SecretString::new(pin)).await.unwrap();
        }
        let app = ocpizza_bridge::app::spawn_app(config(&[]), pool.clone(), Vec::new(), &[]).await.unwrap();
        let client = reqwest::Client::new();
        let url = |p: &str| format!("http://{}{p}", app.addr);
        let sign_in = |login: &str, pin: &str| {
            client
                .post(url("/v1/staff/sessions"))
                .json(&json!({"restaurant": "BELLECOUR", "login": login, "pin": pin}))
                .send()
        };
        assert_eq!(sign_in("luca.b", "0000").await.unwrap().status().as_u16(), 401);
        let luca: Value = sign_in("luca.b", "1002").await.unwrap().json().await.unwrap();
        let luca = luca["token"].as_str().unwrap().to_owned();
        let karim: Value = sign_in("karim.h", "1003").await.unwrap().json().await.unwrap();
        let karim = karim["token"].as_str().unwrap().to_owned();
        let q = client.get(url("/v1/restaurants/BELLECOUR/orders")).bearer_auth(&luca).send().await.unwrap();
        assert_eq!(q.status().as_u16(), 200);
        for (token, to) in [(&luca, "in_preparation"), (&luca, "ready"), (&karim, "out_for_delivery")] {
            let r = client
                .post(url(&format!("/v1/orders/{reference}/status")))
                .bearer_auth(token)
                .json(&json!({"status": to}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200, "{to}: {}", r.text().await.unwrap());
        }
        let r = client
            .post(url(&format!("/v1/orders/{reference}/payments")))
            .bearer_auth(&karim)
            .header("idempotency-key", "grants-pay")
            .json(&json!({"method": "cash", "amount_cents": 1340}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
        let r = client.delete(url("/v1/staff/sessions/current")).bearer_auth(&luca).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 204);
        app.shutdown().await;
    };
    // The order must be accepted before the kitchen starts (the cashier's move, done here as the shop would).
    ocpizza_db::store::set_status(&db.pool, 51, "accepted", None).await.unwrap();
    result.await;
    let _ = admin.execute(format!("DROP USER IF EXISTS '{user}'@'127.0.0.1'").as_str()).await;
}
