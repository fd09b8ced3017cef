//! Assembling the service: HTTP routes, the relay engine, the reconciler, the retention purge, graceful shutdown.
//!
//! [`spawn_app`] is what `serve` runs and what integration tests start on 127.0.0.1:0 with a test database and
//! injected destinations.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use ocpizza_core::webhooks::Secret;
use sqlx::MySqlPool;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::destination::Destination;
use crate::http::{admin, devices, ops, webhook};
use crate::relay::Engine;

/// How often `serve` purges old rows (see [`crate::retention`]); the first purge runs at start-up.
pub const PURGE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3600);

/// What every request handler shares.
pub struct AppState {
    pub pool: MySqlPool,
    pub config: Config,
    pub secrets: Vec<Secret>,
    pub destinations: Vec<Arc<dyn Destination>>,
    /// Every known destination and whether it is enabled, for `/readyz`.
    pub destination_status: Vec<(String, &'static str)>,
    pub notify: Arc<Notify>,
    pub engine: Engine,
}

impl AppState {
    /// Names of the enabled destinations that want events of this type.
    pub fn destinations_for(&self, event_type: &str) -> Vec<&'static str> {
        destinations_for(&self.destinations, event_type)
    }
}

fn destinations_for(dests: &[Arc<dyn Destination>], event_type: &str) -> Vec<&'static str> {
    dests.iter().filter(|d| d.accepts(event_type)).map(|d| d.name()).collect()
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("OCPIZZA_WEBHOOK_SECRETS: {0}")]
    Secret(String),
    #[error("OCPIZZA_WEBHOOK_SECRETS is required: without a secret every webhook would be refused")]
    NoSecret,
    #[error("cannot listen on {addr}: {reason}")]
    Bind { addr: SocketAddr, reason: String },
}

pub fn router(state: Arc<AppState>) -> Router {
    let max_body = state.config.webhook_max_body;
    Router::new()
        .route("/webhooks/prestashop", post(webhook::receive).layer(DefaultBodyLimit::max(max_body)))
        .route("/v1/devices", post(devices::register))
        .route("/v1/devices/{token}", delete(devices::unregister))
        .route("/admin/deliveries", get(admin::list))
        .route("/admin/deliveries/replay", post(admin::replay_all))
        .route("/admin/deliveries/{id}/replay", post(admin::replay_one))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .with_state(state)
}

/// A running bridge: its address, and the handle to stop it gracefully.
pub struct RunningApp {
    pub addr: SocketAddr,
    pub pool: MySqlPool,
    pub notify: Arc<Notify>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningApp {
    /// Stops accepting requests, lets in-flight deliveries finish (up to the grace period), releases the rest.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }

    /// Waits for SIGTERM or SIGINT, then shuts down.
    pub async fn run_until_signal(self) {
        wait_for_signal().await;
        tracing::info!("shutdown signal received: no longer accepting, finishing in-flight deliveries");
        self.shutdown().await;
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Starts the HTTP server, the relay engine over `destinations`, (if its interval is not 0) the reconciler and
/// (unless retention is 0) the hourly purge.
/// `disabled` names the known destinations left unconfigured (reported by `/readyz`).
pub async fn spawn_app(
    config: Config,
    pool: MySqlPool,
    destinations: Vec<Arc<dyn Destination>>,
    disabled: &[&str],
) -> Result<RunningApp, AppError> {
    let secrets = config
        .webhook_secrets
        .iter()
        .map(|s| Secret::parse(s.expose()).map_err(|e| AppError::Secret(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    if secrets.is_empty() {
        return Err(AppError::NoSecret);
    }
    // Accepted as the reference libraries accept it, but outside the spec's advice for a new secret.
    for (i, s) in secrets.iter().enumerate() {
        if !s.follows_advice() {
            tracing::warn!(
                secret = i + 1,
                bytes = s.len(),
                "OCPIZZA_WEBHOOK_SECRETS: this secret's key is outside the advised 24 to 64 random bytes; generate a new one at the next rotation"
            );
        }
    }
    ops::prometheus();
    let engine = Engine::new(pool.clone(), destinations.clone(), config.delivery.clone());
    let notify = engine.notifier();
    let mut destination_status: Vec<(String, &'static str)> =
        destinations.iter().map(|d| (d.name().to_owned(), "enabled")).collect();
    destination_status.extend(disabled.iter().map(|d| (d.to_string(), "disabled")));

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| AppError::Bind { addr: config.listen, reason: e.to_string() })?;
    let addr = listener.local_addr().map_err(|e| AppError::Bind { addr: config.listen, reason: e.to_string() })?;
    let reconcile = config.reconcile.clone();
    let retention = config.retention();
    let state = Arc::new(AppState {
        pool: pool.clone(),
        config,
        secrets,
        destinations: destinations.clone(),
        destination_status,
        notify: notify.clone(),
        engine: engine.clone(),
    });
    let (tx, rx) = watch::channel(false);
    let mut tasks = Vec::new();

    let mut http_rx = rx.clone();
    let app = router(state);
    tasks.push(tokio::spawn(async move {
        let stop = async move {
            let _ = http_rx.wait_for(|v| *v).await;
        };
        if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(stop).await {
            tracing::error!(error = %e, "HTTP server failed");
        }
    }));
    tasks.push(tokio::spawn(engine.run(rx.clone())));
    if let Some(older_than) = retention {
        tasks.push(tokio::spawn(crate::retention::run(pool.clone(), PURGE_INTERVAL, older_than, rx.clone())));
    }
    if !reconcile.interval.is_zero() {
        let dests = destinations.clone();
        let f: crate::reconcile::DestinationsFor = Arc::new(move |t| destinations_for(&dests, t));
        tasks.push(tokio::spawn(crate::reconcile::run(
            pool.clone(),
            reconcile.interval,
            reconcile.after,
            f,
            notify.clone(),
            rx,
        )));
    }
    tracing::info!(%addr, "ocpizza-bridge listening");
    Ok(RunningApp { addr, pool, notify, shutdown: tx, tasks })
}
