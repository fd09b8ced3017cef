//! The APNs destination: alert pushes in French to the restaurants' iPhones (issue 4, "Out: APNs").
//!
//! Why not the a2 crate: it cannot take a custom endpoint or root certificate (so no local stand-in), leaves
//! TCP_NODELAY off (~40 ms per lone push), encodes the JWT in padded standard base64, hard-codes a non
//! single-flight 55-minute refresh without an injectable clock, and drags a second rustls/hyper-rustls stack in.
//! Its payload builder is usable on its own, but our payload is ten lines of serde; so the whole client is ours:
//! [`client`] (reqwest, HTTP/2 only, one connection, TCP_NODELAY, semaphore), [`jwt`] (ES256 with ring,
//! single-flight renewal), [`payload`] / [`messages`] (the notice and its JSON), [`store`] (per-device rows).

pub mod client;
pub mod clock;
pub mod destination;
pub mod error;
pub mod jwt;
pub mod messages;
pub mod payload;
pub mod store;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use client::{ApnsClient, ClientOptions, Push, PushResult};
pub use clock::{Clock, ManualClock, SystemClock};
pub use destination::ApnsDestination;
pub use error::ApnsError;
pub use jwt::JwtSigner;

/// Everything the destination needs; the relay's `ApnsConfig` converts into this.
#[derive(Debug, Clone)]
pub struct ApnsSettings {
    /// For devices registered as `production`: `https://api.push.apple.com`, or a local stand-in.
    pub endpoint: String,
    /// For devices registered as `sandbox` (development builds of the app): `https://api.sandbox.push.apple.com`.
    /// `None`: sandbox devices are not sent to. Each endpoint gets its own connection; one JWT signer serves both.
    pub sandbox_endpoint: Option<String>,
    /// The `.p8` key (PKCS#8 PEM) from the Apple developer account.
    pub key_file: PathBuf,
    pub key_id: String,
    pub team_id: String,
    /// `apns-topic`: the iOS app's bundle id.
    pub topic: String,
    /// An extra trusted root certificate (PEM), for a stand-in or a TLS-inspecting proxy.
    pub ca_file: Option<PathBuf>,
    /// Requests in flight on the one connection.
    pub max_in_flight: usize,
    /// Age at which the JWT is replaced (Apple: between 20 and 60 minutes).
    pub token_renew_after: Duration,
    pub request_timeout: Duration,
}

impl ApnsSettings {
    /// Production endpoint and the defaults: 100 in flight, JWT renewed at 50 minutes, 10 s per request.
    pub fn new(key_file: impl Into<PathBuf>, key_id: &str, team_id: &str, topic: &str) -> Self {
        ApnsSettings {
            endpoint: "https://api.push.apple.com".into(),
            sandbox_endpoint: Some("https://api.sandbox.push.apple.com".into()),
            key_file: key_file.into(),
            key_id: key_id.into(),
            team_id: team_id.into(),
            topic: topic.into(),
            ca_file: None,
            max_in_flight: 100,
            token_renew_after: Duration::from_secs(50 * 60),
            request_timeout: Duration::from_secs(10),
        }
    }

    /// From the service configuration (`OCPIZZA_APNS_*`), with the defaults for what it does not set.
    pub fn from_config(c: &crate::config::ApnsConfig) -> Self {
        let mut s = ApnsSettings::new(c.key_file.clone(), &c.key_id, &c.team_id, &c.topic);
        s.endpoint = c.endpoint.clone();
        s.sandbox_endpoint = Some(c.sandbox_endpoint.clone());
        s.ca_file = c.ca_file.clone();
        s.request_timeout = Duration::from_secs(c.timeout_secs.max(1));
        s
    }

    /// The one JWT signer of the team.
    pub fn signer(&self, clock: Arc<dyn Clock>) -> Result<Arc<JwtSigner>, ApnsError> {
        Ok(Arc::new(JwtSigner::from_p8_file(
            &self.key_file,
            &self.key_id,
            &self.team_id,
            self.token_renew_after,
            clock,
        )?))
    }

    /// A client of `endpoint` (no connection is opened until the first push).
    pub fn client_for(
        &self,
        endpoint: &str,
        signer: Arc<JwtSigner>,
    ) -> Result<ApnsClient, ApnsError> {
        let extra_root_pem = match &self.ca_file {
            Some(path) => Some(std::fs::read(path).map_err(|e| ApnsError::CaInvalid {
                path: path.clone(),
                reason: format!("cannot read: {e}"),
            })?),
            None => None,
        };
        ApnsClient::new(
            ClientOptions {
                endpoint: endpoint.to_owned(),
                topic: self.topic.clone(),
                extra_root_pem,
                max_in_flight: self.max_in_flight,
                request_timeout: self.request_timeout,
            },
            signer,
        )
    }
}

impl ApnsDestination {
    /// The destination on the wall clock. No connection is opened until the first push.
    pub fn new(cfg: &ApnsSettings, pool: sqlx::MySqlPool) -> Result<Self, ApnsError> {
        Self::with_clock(cfg, pool, Arc::new(SystemClock))
    }

    pub fn with_clock(
        cfg: &ApnsSettings,
        pool: sqlx::MySqlPool,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ApnsError> {
        // One token per team, shared through OCPizza_DB with the other processes and the next start.
        let signer = Arc::new(
            JwtSigner::from_p8_file(&cfg.key_file, &cfg.key_id, &cfg.team_id, cfg.token_renew_after, clock.clone())?
                .with_shared_store(pool.clone()),
        );
        let mut clients = vec![(
            "production",
            Arc::new(cfg.client_for(&cfg.endpoint, signer.clone())?),
        )];
        if let Some(sandbox) = &cfg.sandbox_endpoint {
            clients.push(("sandbox", Arc::new(cfg.client_for(sandbox, signer)?)));
        }
        Ok(ApnsDestination::from_parts(clients, pool, clock))
    }
}

/// For `ocpizza-bridge doctor`: the key is readable and signs a JWT (APNs itself is not contacted: a test push
/// needs a device token). The line names key id and team, never the key or the token.
pub async fn doctor(cfg: &ApnsSettings) -> Result<String, ApnsError> {
    let signer = JwtSigner::from_p8_file(
        &cfg.key_file,
        &cfg.key_id,
        &cfg.team_id,
        cfg.token_renew_after,
        Arc::new(SystemClock),
    )?;
    let token = signer.sign_once()?;
    // Building the clients checks the endpoints, the topic and the extra CA file too.
    let signer = Arc::new(signer);
    cfg.client_for(&cfg.endpoint, signer.clone())?;
    if let Some(sandbox) = &cfg.sandbox_endpoint {
        cfg.client_for(sandbox, signer)?;
    }
    Ok(format!(
        "APNs key {} of team {} readable, ES256 JWT signed ({} bytes); endpoint {}, topic {}",
        cfg.key_id,
        cfg.team_id,
        token.bearer.len() - "bearer ".len(),
        cfg.endpoint,
        cfg.topic
    ))
}
