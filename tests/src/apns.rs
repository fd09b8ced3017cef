//! A local APNs that checks every request the way Apple documents it (see docs/reference apns.md §1 and §5).
//!
//! HTTP/2 over TLS (ALPN `h2` only) on 127.0.0.1, with a CA and a `localhost`/`127.0.0.1` certificate generated
//! at start (rcgen) and a fresh P-256 `.p8` key whose public half verifies the provider tokens. Checks: `POST
//! /3/device/<hex token>`; `authorization: bearer <JWT>` (alg ES256, kid, iss = team, ES256 signature, iat not
//! older than 1 h nor in the future, a new token less than 20 min after the previous one → 429
//! TooManyProviderTokenUpdates); `apns-topic` = bundle id; `apns-push-type`, `apns-priority`, `apns-expiration`,
//! `apns-collapse-id` (≤ 64 bytes), `apns-id` (lower-case UUID); a JSON object body of 1..=4096 bytes.
//!
//! Replies, for a well-formed request: a scripted reply for that token, else the next scripted reply, else by
//! token prefix (`0410` Unregistered, `0400` BadDeviceToken, `0413` PayloadTooLarge, `0429` TooManyRequests,
//! `0500`, `0503`), else 200 with `apns-id`. A delay and a GOAWAY after N requests can be set.
//!
//! Known differences from Apple: the GOAWAY carries no `{"reason":"Shutdown"}` debug data (the h2 crate cannot
//! send any); `apns-push-type` is required (Apple still tolerates its absence for iOS alerts); a new connection
//! is not limited to one stream before its first valid JWT.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use h2::server::SendResponse;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

pub const MAX_PAYLOAD: usize = 4096;
const MAX_TOKEN_AGE_SECS: i64 = 3600;
const MIN_REFRESH_MS: i64 = 20 * 60 * 1000;
/// Tolerated clock skew for an `iat` slightly in the future.
const IAT_SKEW_SECS: i64 = 60;

#[derive(Debug, thiserror::Error)]
pub enum FakeApnsError {
    #[error("fake APNs: certificate generation: {0}")]
    Cert(#[from] rcgen::Error),
    #[error("fake APNs: TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    #[error("fake APNs: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Clone)]
pub struct FakeApnsOptions {
    pub topic: String,
    pub team_id: String,
    pub key_id: String,
    pub max_concurrent_streams: u32,
    /// Keep every accepted push (token, headers, payload) for assertions; off for long benchmarks.
    pub keep_accepted: bool,
    /// `127.0.0.1:0` by default.
    pub listen: SocketAddr,
}

impl Default for FakeApnsOptions {
    fn default() -> Self {
        FakeApnsOptions {
            topic: "fr.ocpizza.staff".into(),
            team_id: "OCPZTEAM01".into(),
            key_id: "OCPZKEY001".into(),
            max_concurrent_streams: 1000,
            keep_accepted: true,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }
}

/// A scripted answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reply {
    pub status: u16,
    pub reason: Option<String>,
    /// Only with 410: when APNs learnt the token was invalid, Unix milliseconds.
    pub timestamp_ms: Option<i64>,
}

impl Reply {
    pub fn ok() -> Reply {
        Reply {
            status: 200,
            reason: None,
            timestamp_ms: None,
        }
    }
    pub fn error(status: u16, reason: &str) -> Reply {
        Reply {
            status,
            reason: Some(reason.into()),
            timestamp_ms: None,
        }
    }
    pub fn unregistered(timestamp_ms: i64) -> Reply {
        Reply {
            status: 410,
            reason: Some("Unregistered".into()),
            timestamp_ms: Some(timestamp_ms),
        }
    }
}

/// A push the stand-in answered 200 to.
#[derive(Debug, Clone, Serialize)]
pub struct AcceptedPush {
    pub token: String,
    pub apns_id: String,
    /// Request headers except `authorization`.
    pub headers: BTreeMap<String, String>,
    pub payload: serde_json::Value,
    pub connection: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub connections: u64,
    pub requests: u64,
    pub by_status: BTreeMap<u16, u64>,
    /// Distinct valid provider tokens accepted.
    pub distinct_jwts: usize,
    pub max_concurrent_streams: usize,
    pub accepted: u64,
}

#[derive(Default)]
struct Tokens {
    /// Verified tokens → their `iat`.
    verified: HashMap<String, i64>,
    current: Option<CurrentToken>,
}

/// The token in use, when it was first seen (stand-in clock, ms), and whether we refused it (expired): a refused
/// token may be replaced at once without 429 TooManyProviderTokenUpdates.
struct CurrentToken {
    jwt: String,
    since_ms: i64,
    refused: bool,
}

#[derive(Default)]
struct Script {
    per_token: HashMap<String, VecDeque<Reply>>,
    next: VecDeque<Reply>,
    goaway_after: Option<u64>,
    delay: Duration,
}

struct State {
    opts: FakeApnsOptions,
    public_key: Vec<u8>,
    clock_offset_ms: AtomicI64,
    connections: AtomicU64,
    requests: AtomicU64,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    accepted_count: AtomicU64,
    by_status: Mutex<BTreeMap<u16, u64>>,
    tokens: Mutex<Tokens>,
    script: Mutex<Script>,
    accepted: Mutex<Vec<AcceptedPush>>,
}

impl State {
    fn now_ms(&self) -> i64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        wall + self.clock_offset_ms.load(Ordering::SeqCst)
    }
}

pub struct FakeApns {
    pub addr: SocketAddr,
    /// The CA certificate (PEM) the client must trust.
    pub ca_pem: String,
    /// The provider key, as Apple hands it out: PKCS#8 PEM (`.p8`).
    pub key_p8_pem: String,
    state: Arc<State>,
    shutdown: watch::Sender<bool>,
}

impl Drop for FakeApns {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

impl FakeApns {
    /// Generates the certificates and the key, binds, and serves on the current tokio runtime until dropped.
    pub async fn start(opts: FakeApnsOptions) -> Result<FakeApns, FakeApnsError> {
        let provider_key = KeyPair::generate()?;
        let (ca_pem, tls) = tls_config()?;
        let listener = TcpListener::bind(opts.listen).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            public_key: provider_key.public_key_raw().to_vec(),
            opts,
            clock_offset_ms: AtomicI64::new(0),
            connections: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            accepted_count: AtomicU64::new(0),
            by_status: Mutex::default(),
            tokens: Mutex::default(),
            script: Mutex::default(),
            accepted: Mutex::default(),
        });
        let (shutdown, stop) = watch::channel(false);
        tokio::spawn(accept_loop(
            listener,
            tokio_rustls::TlsAcceptor::from(Arc::new(tls)),
            state.clone(),
            stop,
        ));
        Ok(FakeApns {
            addr,
            ca_pem,
            key_p8_pem: provider_key.serialize_pem(),
            state,
            shutdown,
        })
    }

    /// `https://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn options(&self) -> &FakeApnsOptions {
        &self.state.opts
    }

    /// Moves the stand-in's clock forward (JWT age checks), as the client's injected clock is moved.
    pub fn advance_clock(&self, by: Duration) {
        self.state
            .clock_offset_ms
            .fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }

    pub fn now_ms(&self) -> i64 {
        self.state.now_ms()
    }

    /// The next answers for this token, in order, before falling back to the other rules.
    pub fn script_token(&self, token: &str, replies: impl IntoIterator<Item = Reply>) {
        let mut s = self.state.script.lock().unwrap();
        s.per_token
            .entry(token.to_owned())
            .or_default()
            .extend(replies);
    }

    /// The next answers for any token, in order.
    pub fn script_next(&self, replies: impl IntoIterator<Item = Reply>) {
        self.state.script.lock().unwrap().next.extend(replies);
    }

    /// Sends GOAWAY on the connection that carries the `n`-th request from now (once).
    pub fn goaway_after(&self, n: u64) {
        self.state.script.lock().unwrap().goaway_after =
            Some(self.state.requests.load(Ordering::SeqCst) + n);
    }

    pub fn set_delay(&self, delay: Duration) {
        self.state.script.lock().unwrap().delay = delay;
    }

    pub fn stats(&self) -> Stats {
        Stats {
            connections: self.state.connections.load(Ordering::SeqCst),
            requests: self.state.requests.load(Ordering::SeqCst),
            by_status: self.state.by_status.lock().unwrap().clone(),
            distinct_jwts: self.state.tokens.lock().unwrap().verified.len(),
            max_concurrent_streams: self.state.max_in_flight.load(Ordering::SeqCst),
            accepted: self.state.accepted_count.load(Ordering::SeqCst),
        }
    }

    pub fn accepted(&self) -> Vec<AcceptedPush> {
        self.state.accepted.lock().unwrap().clone()
    }

    /// How many pushes this token received (200s).
    pub fn accepted_for(&self, token: &str) -> usize {
        self.state
            .accepted
            .lock()
            .unwrap()
            .iter()
            .filter(|p| p.token == token)
            .count()
    }
}

fn tls_config() -> Result<(String, rustls::ServerConfig), FakeApnsError> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "OC Pizza local APNs stand-in CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate()?;
    let mut leaf_params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf = leaf_params.signed_by(&leaf_key, &issuer)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone(), ca_cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )?;
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    Ok((ca_cert.pem(), cfg))
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    state: Arc<State>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            accepted = listener.accept() => {
                let Ok((tcp, _)) = accepted else { continue };
                let _ = tcp.set_nodelay(true);
                tokio::spawn(serve_connection(tcp, acceptor.clone(), state.clone(), stop.clone()));
            }
        }
    }
}

async fn serve_connection(
    tcp: tokio::net::TcpStream,
    acceptor: tokio_rustls::TlsAcceptor,
    state: Arc<State>,
    mut stop: watch::Receiver<bool>,
) {
    let Ok(tls) = acceptor.accept(tcp).await else {
        return;
    };
    // APNs speaks HTTP/2 only.
    if tls.get_ref().1.alpn_protocol() != Some(b"h2") {
        return;
    }
    let id = state.connections.fetch_add(1, Ordering::SeqCst) + 1;
    let Ok(mut conn) = h2::server::Builder::new()
        .max_concurrent_streams(state.opts.max_concurrent_streams)
        .handshake::<_, Bytes>(tls)
        .await
    else {
        return;
    };
    let goaway = Arc::new(Notify::new());
    let mut going_away = false;
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = goaway.notified(), if !going_away => {
                // Like APNs shutting a connection down: the streams already started are answered, no new ones.
                conn.graceful_shutdown();
                going_away = true;
            }
            next = conn.accept() => match next {
                Some(Ok((req, respond))) => {
                    tokio::spawn(handle(state.clone(), id, goaway.clone(), req, respond));
                }
                _ => return,
            }
        }
    }
}

struct InFlight<'a>(&'a State);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn handle(
    state: Arc<State>,
    connection: u64,
    goaway: Arc<Notify>,
    req: http::Request<h2::RecvStream>,
    respond: SendResponse<Bytes>,
) {
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let _in_flight = InFlight(&state);
    let n = state.requests.fetch_add(1, Ordering::SeqCst) + 1;
    {
        let mut s = state.script.lock().unwrap();
        if s.goaway_after.is_some_and(|at| n >= at) {
            s.goaway_after = None;
            goaway.notify_one();
        }
    }
    let (parts, mut body) = req.into_parts();
    let mut buf = Vec::new();
    while let Some(chunk) = body.data().await {
        let Ok(chunk) = chunk else { return };
        let _ = body.flow_control().release_capacity(chunk.len());
        if buf.len() <= MAX_PAYLOAD {
            buf.extend_from_slice(&chunk);
        }
    }
    let apns_id = parts
        .headers
        .get("apns-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().hyphenated().to_string());
    let reply = match check(&state, &parts, &buf) {
        Err(refusal) => refusal,
        Ok(token) => {
            let (scripted, delay) = {
                let mut s = state.script.lock().unwrap();
                let scripted = s
                    .per_token
                    .get_mut(&token)
                    .and_then(VecDeque::pop_front)
                    .or_else(|| s.next.pop_front());
                (scripted, s.delay)
            };
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let reply = scripted.unwrap_or_else(|| by_prefix(&token, state.now_ms()));
            if reply.status == 403
                && matches!(
                    reply.reason.as_deref(),
                    Some("ExpiredProviderToken" | "InvalidProviderToken")
                )
            {
                mark_current_refused(&state);
            }
            if reply.status == 200 {
                state.accepted_count.fetch_add(1, Ordering::SeqCst);
                if state.opts.keep_accepted {
                    let headers = parts
                        .headers
                        .iter()
                        .filter(|(k, _)| k.as_str() != "authorization")
                        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                        .collect();
                    let payload = serde_json::from_slice(&buf).unwrap_or(serde_json::Value::Null);
                    state.accepted.lock().unwrap().push(AcceptedPush {
                        token: token.clone(),
                        apns_id: apns_id.clone(),
                        headers,
                        payload,
                        connection,
                    });
                }
            }
            reply
        }
    };
    *state
        .by_status
        .lock()
        .unwrap()
        .entry(reply.status)
        .or_default() += 1;
    send(respond, &reply, &apns_id);
}

fn by_prefix(token: &str, now_ms: i64) -> Reply {
    match token.get(..4) {
        Some("0410") => Reply::unregistered(now_ms),
        Some("0400") => Reply::error(400, "BadDeviceToken"),
        Some("0413") => Reply::error(413, "PayloadTooLarge"),
        Some("0429") => Reply::error(429, "TooManyRequests"),
        Some("0500") => Reply::error(500, "InternalServerError"),
        Some("0503") => Reply::error(503, "ServiceUnavailable"),
        _ => Reply::ok(),
    }
}

fn send(mut respond: SendResponse<Bytes>, reply: &Reply, apns_id: &str) {
    let mut resp = http::Response::builder()
        .status(reply.status)
        .header("apns-id", apns_id);
    if reply.status == 200 {
        let _ = respond.send_response(resp.body(()).expect("valid response"), true);
        return;
    }
    resp = resp.header("content-type", "application/json");
    let mut body = serde_json::json!({ "reason": reply.reason.as_deref().unwrap_or("") });
    if let Some(ts) = reply.timestamp_ms {
        body["timestamp"] = ts.into();
    }
    if let Ok(mut stream) = respond.send_response(resp.body(()).expect("valid response"), false) {
        let _ = stream.send_data(Bytes::from(body.to_string()), true);
    }
}

/// Apple's checks, in Apple's order of concern; `Ok` carries the device token.
fn check(state: &State, parts: &http::request::Parts, body: &[u8]) -> Result<String, Reply> {
    if parts.method != http::Method::POST {
        return Err(Reply::error(405, "MethodNotAllowed"));
    }
    let token = parts
        .uri
        .path()
        .strip_prefix("/3/device/")
        .ok_or_else(|| Reply::error(404, "BadPath"))?;
    if token.is_empty() {
        return Err(Reply::error(400, "MissingDeviceToken"));
    }
    if token.len() < 64 || token.len() > 200 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Reply::error(400, "BadDeviceToken"));
    }
    let h = |name: &str| parts.headers.get_all(name).iter().collect::<Vec<_>>();
    for name in [
        "authorization",
        "apns-topic",
        "apns-push-type",
        "apns-priority",
        "apns-expiration",
        "apns-collapse-id",
        "apns-id",
    ] {
        if h(name).len() > 1 {
            return Err(Reply::error(400, "DuplicateHeaders"));
        }
    }
    let text = |name: &str| {
        parts
            .headers
            .get(name)
            .map(|v| v.to_str().unwrap_or("\u{0}"))
    };
    let bearer = text("authorization").ok_or_else(|| Reply::error(403, "MissingProviderToken"))?;
    let jwt = bearer
        .strip_prefix("bearer ")
        .ok_or_else(|| Reply::error(403, "InvalidProviderToken"))?;
    check_jwt(state, jwt)?;
    match text("apns-topic") {
        None => return Err(Reply::error(400, "MissingTopic")),
        Some(t) if t != state.opts.topic => return Err(Reply::error(400, "BadTopic")),
        _ => {}
    }
    const PUSH_TYPES: [&str; 9] = [
        "alert",
        "background",
        "location",
        "voip",
        "complication",
        "fileprovider",
        "mdm",
        "liveactivity",
        "pushtotalk",
    ];
    if !text("apns-push-type").is_some_and(|t| PUSH_TYPES.contains(&t)) {
        return Err(Reply::error(400, "InvalidPushType"));
    }
    if text("apns-priority").is_some_and(|p| !matches!(p, "1" | "5" | "10")) {
        return Err(Reply::error(400, "BadPriority"));
    }
    if text("apns-expiration").is_some_and(|e| e.parse::<u64>().is_err()) {
        return Err(Reply::error(400, "BadExpirationDate"));
    }
    if text("apns-collapse-id").is_some_and(|c| c.len() > 64) {
        return Err(Reply::error(400, "BadCollapseId"));
    }
    if let Some(id) = text("apns-id") {
        let canonical = uuid::Uuid::parse_str(id).map(|u| u.hyphenated().to_string());
        if canonical.as_deref() != Ok(id) {
            return Err(Reply::error(400, "BadMessageId"));
        }
    }
    if body.is_empty() {
        return Err(Reply::error(400, "PayloadEmpty"));
    }
    if body.len() > MAX_PAYLOAD {
        return Err(Reply::error(413, "PayloadTooLarge"));
    }
    // Apple does not document a reason for a body that is not a JSON object; this one is the stand-in's own.
    let is_object = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
        && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok();
    if !is_object {
        return Err(Reply::error(400, "BadPayload"));
    }
    Ok(token.to_owned())
}

fn mark_current_refused(state: &State) {
    if let Some(cur) = state.tokens.lock().unwrap().current.as_mut() {
        cur.refused = true;
    }
}

fn check_jwt(state: &State, jwt: &str) -> Result<(), Reply> {
    let now_ms = state.now_ms();
    let now = now_ms / 1000;
    let invalid = || Reply::error(403, "InvalidProviderToken");
    let mut tokens = state.tokens.lock().unwrap();
    let iat = match tokens.verified.get(jwt) {
        Some(iat) => *iat,
        None => {
            let iat = verify_jwt(state, jwt).ok_or_else(invalid)?;
            if now - iat > MAX_TOKEN_AGE_SECS || iat > now + IAT_SKEW_SECS {
                // Checked below; an unusable token is not counted as an update.
            } else if let Some(cur) = &tokens.current
                && !cur.refused
                && now_ms - cur.since_ms < MIN_REFRESH_MS
            {
                return Err(Reply::error(429, "TooManyProviderTokenUpdates"));
            }
            iat
        }
    };
    if now - iat > MAX_TOKEN_AGE_SECS {
        if let Some(cur) = tokens.current.as_mut().filter(|c| c.jwt == jwt) {
            cur.refused = true;
        }
        return Err(Reply::error(403, "ExpiredProviderToken"));
    }
    if iat > now + IAT_SKEW_SECS {
        return Err(invalid());
    }
    if !tokens.verified.contains_key(jwt) {
        tokens.verified.insert(jwt.to_owned(), iat);
        tokens.current = Some(CurrentToken {
            jwt: jwt.to_owned(),
            since_ms: now_ms,
            refused: false,
        });
    }
    Ok(())
}

/// Strict JWT: three base64url (unpadded) segments, header {alg: ES256, kid}, claims {iss, iat}, valid signature.
/// Returns `iat`.
fn verify_jwt(state: &State, jwt: &str) -> Option<i64> {
    let mut parts = jwt.split('.');
    let (h, c, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?;
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(c).ok()?).ok()?;
    let sig = URL_SAFE_NO_PAD.decode(s).ok()?;
    if header["alg"] != "ES256"
        || header["kid"] != state.opts.key_id.as_str()
        || claims["iss"] != state.opts.team_id.as_str()
    {
        return None;
    }
    let iat = claims["iat"].as_i64()?;
    let signed = &jwt[..h.len() + 1 + c.len()];
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &state.public_key)
        .verify(signed.as_bytes(), &sig)
        .ok()?;
    Some(iat)
}
