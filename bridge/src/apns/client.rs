//! The HTTP/2 transport to APNs: one long-lived connection (reqwest, HTTP/2 only, TCP_NODELAY; replaced after a
//! 500/503 as Apple asks), a configurable endpoint and extra trusted root, a semaphore bounding the requests in
//! flight, and the JWT re-signed once after a 403 ExpiredProviderToken / InvalidProviderToken.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use tokio::sync::Semaphore;

use super::error::ApnsError;
use super::jwt::JwtSigner;

/// One push to one device.
#[derive(Debug, Clone, Copy)]
pub struct Push<'a> {
    /// Hex device token.
    pub device_token: &'a str,
    /// `apns-collapse-id` (≤ 64 bytes): the order reference, so a device shows only the latest news of an order.
    pub collapse_id: &'a str,
    pub payload: &'a [u8],
    /// `apns-expiration`, Unix seconds (0 = deliver now or never).
    pub expiration: u64,
}

/// APNs' answer to one push.
#[derive(Debug, Clone, PartialEq)]
pub enum PushResult {
    Accepted {
        apns_id: String,
    },
    /// Any non-200 answer with its reason (`timestamp` only with 410) and `Retry-After` if one was sent.
    Rejected {
        status: u16,
        reason: String,
        timestamp_ms: Option<i64>,
        retry_after: Option<Duration>,
    },
    /// No answer: connection refused or lost, GOAWAY, timeout. The push may or may not have been accepted.
    Transport {
        error: String,
    },
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    reason: Option<String>,
    timestamp: Option<i64>,
}

pub struct ClientOptions {
    pub endpoint: String,
    pub topic: String,
    /// PEM certificate(s) trusted in addition to the public roots (the local stand-in's CA in tests).
    pub extra_root_pem: Option<Vec<u8>>,
    pub max_in_flight: usize,
    pub request_timeout: Duration,
}

pub struct ApnsClient {
    /// The HTTP/2 client holding the one connection, and how many times it was replaced.
    http: std::sync::RwLock<(u64, reqwest::Client)>,
    /// What a replacement is built from (a fresh connection after 500/503, as Apple asks).
    transport: Transport,
    device_url: String,
    topic: HeaderValue,
    signer: Arc<JwtSigner>,
    permits: Semaphore,
    /// APNs lets a new token-auth connection carry one stream until a request with a valid JWT has succeeded.
    /// Until then requests go one at a time through `opening`; it also keeps the HTTP/2 pool from dialling a
    /// second connection while the first is still being set up. Reset when the connection is lost.
    proven: std::sync::atomic::AtomicBool,
    opening: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for ApnsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApnsClient")
            .field("device_url", &self.device_url)
            .finish_non_exhaustive()
    }
}

/// `e` and its sources on one line (reqwest hides the interesting part, e.g. the GOAWAY, in the sources).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(inner) = cur {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        cur = inner.source();
    }
    s
}

/// How the HTTP/2 client is built, kept to build a replacement.
struct Transport {
    /// Trusted in addition to the public roots (the local stand-in's CA in tests).
    extra_roots: Vec<reqwest::Certificate>,
    request_timeout: Duration,
}

impl Transport {
    fn build(&self) -> Result<reqwest::Client, ApnsError> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            // HTTP/2 only (ALPN h2), one connection kept for hours: APNs treats connection churn as abuse.
            .http2_prior_knowledge()
            .pool_max_idle_per_host(1)
            .pool_idle_timeout(None)
            // Nagle + delayed ACK would add ~40 ms to a lone push.
            .tcp_nodelay(true)
            // Apple: PING an idle connection about once an hour.
            .http2_keep_alive_interval(Duration::from_secs(3600))
            .http2_keep_alive_timeout(Duration::from_secs(20))
            .http2_keep_alive_while_idle(true)
            .connect_timeout(Duration::from_secs(10))
            .timeout(self.request_timeout);
        for c in &self.extra_roots {
            builder = builder.add_root_certificate(c.clone());
        }
        builder
            .build()
            .map_err(|e| ApnsError::Client(error_chain(&e)))
    }
}

impl ApnsClient {
    /// After a 500/503 on the connection of `generation`: later pushes go on a fresh connection (Apple: the
    /// server may be shutting down), once, however many in-flight pushes got the same answer. Pushes still in
    /// flight on the old one finish there; it closes when the last of them drops its handle.
    fn replace_connection(&self, generation: u64) {
        use std::sync::atomic::Ordering;
        let mut current = self.http.write().expect("never poisoned");
        if current.0 != generation {
            return;
        }
        match self.transport.build() {
            Ok(fresh) => {
                *current = (generation + 1, fresh);
                // A new connection carries one stream until its JWT is accepted.
                self.proven.store(false, Ordering::Release);
                tracing::info!("apns: 500/503 answered, later pushes go on a fresh connection");
            }
            Err(e) => tracing::warn!(error = %e, "apns: cannot build a fresh connection, keeping the current one"),
        }
    }

    pub fn new(opts: ClientOptions, signer: Arc<JwtSigner>) -> Result<Self, ApnsError> {
        let endpoint = opts.endpoint.trim_end_matches('/');
        if !endpoint.starts_with("https://") {
            return Err(ApnsError::Config {
                field: "endpoint",
                reason: format!("{endpoint:?} is not an https:// URL"),
            });
        }
        let topic = HeaderValue::from_str(&opts.topic)
            .ok()
            .filter(|_| !opts.topic.is_empty())
            .ok_or_else(|| ApnsError::Config {
                field: "topic",
                reason: "empty or not a header value".into(),
            })?;
        if opts.max_in_flight == 0 {
            return Err(ApnsError::Config {
                field: "max_in_flight",
                reason: "must be at least 1".into(),
            });
        }
        let mut extra_roots = Vec::new();
        if let Some(pem) = &opts.extra_root_pem {
            extra_roots = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| ApnsError::Client(e.to_string()))?;
            if extra_roots.is_empty() {
                return Err(ApnsError::Client(
                    "the extra CA file holds no certificate".into(),
                ));
            }
        }
        let transport = Transport {
            extra_roots,
            request_timeout: opts.request_timeout,
        };
        let http = transport.build()?;
        Ok(ApnsClient {
            http: std::sync::RwLock::new((0, http)),
            transport,
            device_url: format!("{endpoint}/3/device/"),
            topic,
            signer,
            permits: Semaphore::new(opts.max_in_flight),
            proven: std::sync::atomic::AtomicBool::new(false),
            opening: tokio::sync::Mutex::new(()),
        })
    }

    pub fn signer(&self) -> &Arc<JwtSigner> {
        &self.signer
    }

    /// Sends one push. `Err` only when no token can be signed; every APNs answer is a [`PushResult`].
    pub async fn send(&self, push: &Push<'_>) -> Result<PushResult, ApnsError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let token = self.signer.token().await?;
        let first = self.post_gated(&token.bearer, push).await;
        match &first {
            PushResult::Rejected {
                status: 403,
                reason,
                ..
            } if matches!(
                reason.as_str(),
                "ExpiredProviderToken" | "InvalidProviderToken" | "MissingProviderToken"
            ) =>
            {
                tracing::warn!(reason = %reason, "apns: provider token refused, signing a new one and retrying once");
                let fresh = self.signer.replace_rejected(&token).await?;
                Ok(self.post(&fresh.bearer, push).await)
            }
            _ => Ok(first),
        }
    }

    /// [`Self::post`], alone on the connection until the connection has seen its JWT accepted.
    async fn post_gated(&self, bearer: &str, push: &Push<'_>) -> PushResult {
        use std::sync::atomic::Ordering;
        if self.proven.load(Ordering::Acquire) {
            let r = self.post(bearer, push).await;
            if matches!(r, PushResult::Transport { .. }) {
                self.proven.store(false, Ordering::Release);
            }
            return r;
        }
        let _alone = self.opening.lock().await;
        let r = self.post(bearer, push).await;
        // Any answer but a token refusal means APNs accepted the JWT on this connection; after a 500/503 the
        // connection was replaced (`replace_connection`) and the new one has proven nothing yet.
        let unproven = match &r {
            PushResult::Rejected { status, .. } => matches!(status, 403 | 500 | 503),
            PushResult::Transport { .. } => true,
            PushResult::Accepted { .. } => false,
        };
        self.proven.store(!unproven, Ordering::Release);
        r
    }

    async fn post(&self, bearer: &str, push: &Push<'_>) -> PushResult {
        let apns_id = uuid::Uuid::new_v4().hyphenated().to_string();
        let mut headers = HeaderMap::with_capacity(7);
        let Ok(auth) = HeaderValue::from_str(bearer) else {
            return PushResult::Transport {
                error: "provider token is not a header value".into(),
            };
        };
        let Ok(collapse) = HeaderValue::from_str(push.collapse_id) else {
            return PushResult::Rejected {
                status: 400,
                reason: "BadCollapseId".into(),
                timestamp_ms: None,
                retry_after: None,
            };
        };
        headers.insert("authorization", auth);
        headers.insert("apns-topic", self.topic.clone());
        headers.insert("apns-push-type", HeaderValue::from_static("alert"));
        headers.insert("apns-priority", HeaderValue::from_static("10"));
        headers.insert("apns-expiration", HeaderValue::from(push.expiration));
        headers.insert("apns-collapse-id", collapse);
        headers.insert(
            "apns-id",
            HeaderValue::from_str(&apns_id).expect("a UUID is a header value"),
        );
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        let url = format!("{}{}", self.device_url, push.device_token);
        let (generation, http) = {
            let current = self.http.read().expect("never poisoned");
            (current.0, current.1.clone())
        };
        let resp = match http
            .post(url)
            .headers(headers)
            .body(push.payload.to_vec())
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => {
                return PushResult::Transport {
                    // Without the URL: it carries the device token.
                    error: error_chain(&e.without_url()),
                };
            }
        };
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        if status == 200 {
            return PushResult::Accepted {
                apns_id: header("apns-id").unwrap_or(apns_id),
            };
        }
        if status == 500 || status == 503 {
            self.replace_connection(generation);
        }
        let retry_after = header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => {
                return PushResult::Transport {
                    // Without the URL: it carries the device token.
                    error: error_chain(&e.without_url()),
                };
            }
        };
        let parsed: Option<ErrorBody> = serde_json::from_slice(&body).ok();
        let (reason, timestamp_ms) = match parsed {
            Some(b) => (b.reason.unwrap_or_default(), b.timestamp),
            None => (String::new(), None),
        };
        // Bounded: a reason is a short identifier, never a place for a remote to stuff our logs.
        let reason: String = reason.chars().take(64).collect();
        PushResult::Rejected {
            status,
            reason,
            timestamp_ms,
            retry_after,
        }
    }
}
