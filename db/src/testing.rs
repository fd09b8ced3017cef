//! A fresh, uniquely named, migrated database per test, dropped when the handle goes out of scope.
//!
//! The server is `OCPIZZA_TEST_DATABASE_SERVER` (default `mysql://root@127.0.0.1:3306`), the local MariaDB that
//! `make test` starts.

use std::sync::atomic::{AtomicU32, Ordering};

use rand::Rng;
use sqlx::{Executor, MySqlPool};

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub fn server_url() -> String {
    std::env::var("OCPIZZA_TEST_DATABASE_SERVER").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_owned())
}

pub struct TestDb {
    pub name: String,
    pub url: String,
    pub pool: MySqlPool,
}

impl TestDb {
    /// Creates and migrates a new database.
    pub async fn new() -> TestDb {
        let db = TestDb::empty().await;
        crate::migrate::run(&db.pool).await.expect("migrations apply to an empty database");
        db
    }

    /// Migrated and seeded with the chain and its demo customers and orders (`seed --demo-orders`).
    pub async fn seeded() -> TestDb {
        let db = TestDb::new().await;
        crate::seed::load_demo_orders(&db.pool).await.expect("seed loads");
        db
    }

    /// Creates a new database without any table.
    pub async fn empty() -> TestDb {
        let name = format!(
            "ocpizza_test_{}_{}_{:06x}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            rand::thread_rng().gen_range(0..0xFF_FFFF)
        );
        let server = server_url();
        let admin = crate::connect(&format!("{server}/")).await.expect("test MariaDB server reachable");
        admin
            .execute(format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci").as_str())
            .await
            .expect("create test database");
        admin.close().await;
        let url = format!("{server}/{name}");
        let pool = crate::connect(&url).await.expect("connect to test database");
        TestDb { name, url, pool }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Drop may run inside the test's runtime, which is blocked here: do the cleanup on a thread with a runtime
        // of its own, and never await the test's pool (its connections belong to the blocked runtime).
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(drop_database(&name));
        })
        .join();
    }
}

/// Kills the sessions still using the database (a leaked transaction would otherwise make DROP DATABASE wait
/// for its metadata lock forever), then drops it.
async fn drop_database(name: &str) {
    let Ok(admin) = crate::connect(&format!("{}/", server_url())).await else { return };
    let ids: Vec<(u64,)> = sqlx::query_as(
        "SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()",
    )
    .bind(name)
    .fetch_all(&admin)
    .await
    .unwrap_or_default();
    for (id,) in ids {
        let _ = admin.execute(format!("KILL CONNECTION {id}").as_str()).await;
    }
    let _ = admin.execute(format!("DROP DATABASE IF EXISTS `{name}`").as_str()).await;
    admin.close().await;
}
