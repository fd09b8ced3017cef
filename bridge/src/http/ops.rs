//! `GET /healthz` (alive), `GET /readyz` (database, migrations, destinations), `GET /metrics` (Prometheus).

use std::sync::{Arc, OnceLock};

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use ocpizza_db::migrate::SchemaState;

use crate::app::AppState;
use crate::queue;

static PROMETHEUS: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide Prometheus recorder (installed once; several apps in one test process share it).
pub fn prometheus() -> &'static PrometheusHandle {
    PROMETHEUS.get_or_init(|| {
        let seconds = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &seconds)
            .expect("bucket list is not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be global (a test harness); our handle still renders what we record
        // only if ours is the global one, so report it instead of failing.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics will only show queue gauges");
        }
        handle
    })
}

pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// Which dependency is not ready, in fixed words: the body is public (load balancers, anyone who can reach the
/// port), so the error text (server address, user name, SQL state) goes to the log only.
pub async fn readyz(State(app): State<Arc<AppState>>) -> Response {
    let db = sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&app.pool).await;
    let (db_ok, db_detail) = match db {
        Ok(_) => (true, "reachable"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: the database is unreachable");
            (false, "unreachable")
        }
    };
    let (mig_ok, mig_detail) = if db_ok {
        match ocpizza_db::migrate::state(&app.pool).await {
            Ok(SchemaState::Current) => (true, "current"),
            Ok(SchemaState::Behind { pending }) => {
                tracing::warn!(?pending, "readiness: migrations pending (run `ocpizza-bridge migrate`)");
                (false, "behind")
            }
            Ok(SchemaState::Ahead { unknown }) => {
                tracing::warn!(?unknown, "readiness: the database has migrations this binary does not know");
                (false, "ahead")
            }
            Err(e) => {
                tracing::warn!(error = %e, "readiness: the migration state could not be read");
                (false, "unknown")
            }
        }
    } else {
        (false, "not_checked")
    };
    let destinations: serde_json::Map<String, serde_json::Value> =
        app.destination_status.iter().map(|(n, s)| (n.to_string(), serde_json::Value::from(*s))).collect();
    let ready = db_ok && mig_ok;
    let down: Vec<&str> = [("database", db_ok), ("migrations", mig_ok)]
        .into_iter()
        .filter_map(|(name, ok)| (!ok).then_some(name))
        .collect();
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "not_ready" },
        "down": down,
        "database": db_detail,
        "migrations": mig_detail,
        "destinations": destinations,
    });
    let code = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(body)).into_response()
}

pub async fn metrics(State(app): State<Arc<AppState>>) -> Response {
    // Queue gauges are read from the database at scrape time, so they are right whichever process did the work.
    match queue::stats(&app.pool).await {
        Ok(stats) => {
            for (status, n) in &stats.by_status {
                metrics::gauge!("ocpizza_queue_depth", "status" => status.clone()).set(*n as f64);
            }
            metrics::gauge!("ocpizza_queue_oldest_pending_seconds").set(stats.oldest_pending_secs);
        }
        Err(e) => tracing::warn!(error = %e, "queue statistics unavailable for /metrics"),
    }
    let text = prometheus().render();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
