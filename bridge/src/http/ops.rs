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

pub async fn readyz(State(app): State<Arc<AppState>>) -> Response {
    let db = sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&app.pool).await;
    let (db_ok, db_detail) = match db {
        Ok(_) => (true, "reachable".to_owned()),
        Err(e) => (false, format!("unreachable: {e}")),
    };
    let (mig_ok, mig_detail) = if db_ok {
        match ocpizza_db::migrate::state(&app.pool).await {
            Ok(SchemaState::Current) => (true, "current".to_owned()),
            Ok(SchemaState::Behind { pending }) => (false, format!("behind: pending {pending:?}")),
            Ok(SchemaState::Ahead { unknown }) => (false, format!("ahead: unknown {unknown:?}")),
            Err(e) => (false, format!("unknown: {e}")),
        }
    } else {
        (false, "not checked".to_owned())
    };
    let destinations: serde_json::Map<String, serde_json::Value> =
        app.destination_status.iter().map(|(n, s)| (n.to_string(), serde_json::Value::from(*s))).collect();
    let ready = db_ok && mig_ok;
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "not_ready" },
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
