//! The provider token (ES256 JWT) APNs wants in `authorization: bearer …`.
//!
//! Apple's rules: one token per team reused by every request, refreshed no more often than every 20 minutes
//! (else 429 TooManyProviderTokenUpdates) and no less often than every 60 minutes (else 403
//! ExpiredProviderToken). So the signer keeps one token, renews it once it is `renew_after` old (default 50 min),
//! and renewal is single-flight: concurrent senders that find the token stale queue on one mutex, the first signs,
//! the others find the fresh token when they get the lock. Time comes from an injectable [`Clock`].
//!
//! With a shared store ([`JwtSigner::with_shared_store`], OCPizza_DB's `apns_provider_tokens`), the token is also
//! shared between bridge processes and survives restarts: renewal takes the row lock, adopts a token another
//! process signed if it is still fresh, and signs only otherwise — so a restart or a second instance never makes
//! Apple see a new token before 20 minutes.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};

use super::clock::Clock;
use super::error::ApnsError;

/// Apple's bounds on a token's age before it is replaced.
pub const MIN_RENEW_AGE: Duration = Duration::from_secs(20 * 60);
pub const MAX_TOKEN_AGE: Duration = Duration::from_secs(60 * 60);

/// A signed token; `bearer` is the whole `authorization` header value.
#[derive(Debug)]
pub struct ProviderToken {
    pub bearer: String,
    /// `iat`, Unix seconds.
    pub issued_at: u64,
    /// 1 for the first token this signer made.
    pub serial: u64,
}

pub struct JwtSigner {
    key: EcdsaKeyPair,
    rng: SystemRandom,
    key_id: String,
    team_id: String,
    renew_after: Duration,
    clock: Arc<dyn Clock>,
    current: RwLock<Option<Arc<ProviderToken>>>,
    renewing: tokio::sync::Mutex<()>,
    signed: AtomicU64,
    serials: AtomicU64,
    shared: Option<sqlx::MySqlPool>,
}

impl std::fmt::Debug for JwtSigner {
    // Never prints the key or the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtSigner")
            .field("key_id", &self.key_id)
            .field("team_id", &self.team_id)
            .field("signed", &self.signed.load(Ordering::Relaxed))
            .finish()
    }
}

/// Reads a `.p8` file (PKCS#8 PEM, `-----BEGIN PRIVATE KEY-----`) into its DER bytes.
pub fn read_p8(path: &Path) -> Result<Vec<u8>, ApnsError> {
    let text = std::fs::read_to_string(path).map_err(|source| ApnsError::KeyRead {
        path: path.to_owned(),
        source,
    })?;
    let invalid = |reason: &str| ApnsError::KeyInvalid {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let begin = text
        .find("-----BEGIN PRIVATE KEY-----")
        .ok_or_else(|| invalid("no PKCS#8 'BEGIN PRIVATE KEY' block"))?;
    let body = &text[begin + "-----BEGIN PRIVATE KEY-----".len()..];
    let end = body
        .find("-----END PRIVATE KEY-----")
        .ok_or_else(|| invalid("no 'END PRIVATE KEY' line"))?;
    let b64: String = body[..end]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    STANDARD
        .decode(b64)
        .map_err(|_| invalid("the PEM block is not valid base64"))
}

fn check_id(field: &'static str, value: &str) -> Result<(), ApnsError> {
    // Apple's key and team ids are 10 upper-case alphanumerics; anything outside [A-Za-z0-9] is a typo.
    if value.is_empty() || value.len() > 32 || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApnsError::Config {
            field,
            reason: format!("{value:?} is not an Apple identifier (letters and digits)"),
        });
    }
    Ok(())
}

impl JwtSigner {
    pub fn from_p8_file(
        path: &Path,
        key_id: &str,
        team_id: &str,
        renew_after: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ApnsError> {
        let der = read_p8(path)?;
        Self::from_pkcs8_der(&der, key_id, team_id, renew_after, clock).map_err(|e| match e {
            ApnsError::KeyInvalid { reason, .. } => ApnsError::KeyInvalid {
                path: path.to_owned(),
                reason,
            },
            other => other,
        })
    }

    pub fn from_pkcs8_der(
        der: &[u8],
        key_id: &str,
        team_id: &str,
        renew_after: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ApnsError> {
        check_id("key_id", key_id)?;
        check_id("team_id", team_id)?;
        if renew_after < MIN_RENEW_AGE || renew_after >= MAX_TOKEN_AGE {
            return Err(ApnsError::Config {
                field: "token_renew_after",
                reason: format!(
                    "{}s is outside Apple's 20 to 60 minutes",
                    renew_after.as_secs()
                ),
            });
        }
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng).map_err(
            |_| ApnsError::KeyInvalid {
                path: Default::default(),
                reason: "not a P-256 (ES256) PKCS#8 private key".into(),
            },
        )?;
        Ok(JwtSigner {
            key,
            rng,
            key_id: key_id.to_owned(),
            team_id: team_id.to_owned(),
            renew_after,
            clock,
            current: RwLock::new(None),
            renewing: tokio::sync::Mutex::new(()),
            signed: AtomicU64::new(0),
            serials: AtomicU64::new(0),
            shared: None,
        })
    }

    /// Shares the token through OCPizza_DB with the other bridge processes of the team (and the next start).
    pub fn with_shared_store(mut self, pool: sqlx::MySqlPool) -> Self {
        self.shared = Some(pool);
        self
    }

    /// How many tokens were signed so far (tests and metrics).
    pub fn signed_count(&self) -> u64 {
        self.signed.load(Ordering::SeqCst)
    }

    /// The token to use now: the cached one while younger than `renew_after`, else one new token for everybody.
    pub async fn token(&self) -> Result<Arc<ProviderToken>, ApnsError> {
        if let Some(t) = self.fresh() {
            return Ok(t);
        }
        let _guard = self.renewing.lock().await;
        // Whoever held the lock before us may have renewed it already.
        if let Some(t) = self.fresh() {
            return Ok(t);
        }
        match &self.shared {
            Some(pool) => self.renew_shared(pool, None).await,
            None => self.sign_and_store(),
        }
    }

    /// APNs refused `rejected` (403 ExpiredProviderToken / InvalidProviderToken): replace it, once, whatever its
    /// age — a refused token is useless and Apple says to re-sign. Concurrent callers that saw the same refused
    /// token get the one replacement.
    pub async fn replace_rejected(
        &self,
        rejected: &ProviderToken,
    ) -> Result<Arc<ProviderToken>, ApnsError> {
        let _guard = self.renewing.lock().await;
        if let Some(t) = self.current()
            && t.serial != rejected.serial
        {
            return Ok(t);
        }
        match &self.shared {
            Some(pool) => self.renew_shared(pool, Some(&rejected.bearer)).await,
            None => self.sign_and_store(),
        }
    }

    /// Under the shared row's lock: adopt the stored token when it is fresh (and not the one APNs refused), else
    /// sign one and store it. The row lock makes renewal single-flight across processes too.
    async fn renew_shared(
        &self,
        pool: &sqlx::MySqlPool,
        rejected: Option<&str>,
    ) -> Result<Arc<ProviderToken>, ApnsError> {
        let mut tx = pool.begin().await?;
        // The placeholder row gives FOR UPDATE something to lock on the very first start.
        sqlx::query(
            "INSERT IGNORE INTO apns_provider_tokens (team_id, key_id, bearer, issued_at) VALUES (?, ?, '', 0)",
        )
        .bind(&self.team_id)
        .bind(&self.key_id)
        .execute(&mut *tx)
        .await?;
        let (bearer, issued_at): (String, i64) = sqlx::query_as(
            "SELECT bearer, issued_at FROM apns_provider_tokens WHERE team_id = ? AND key_id = ? FOR UPDATE",
        )
        .bind(&self.team_id)
        .bind(&self.key_id)
        .fetch_one(&mut *tx)
        .await?;
        let now = self.clock.unix_secs();
        let issued_at = u64::try_from(issued_at).unwrap_or(0);
        let usable = !bearer.is_empty()
            && rejected != Some(bearer.as_str())
            && issued_at <= now
            && now - issued_at < self.renew_after.as_secs();
        let token = if usable {
            let t = ProviderToken {
                bearer,
                issued_at,
                serial: self.serials.fetch_add(1, Ordering::SeqCst) + 1,
            };
            tx.commit().await?;
            tracing::debug!(key_id = %self.key_id, "apns: provider token adopted from the shared store");
            Arc::new(t)
        } else {
            let t = self.sign(now)?;
            sqlx::query("UPDATE apns_provider_tokens SET bearer = ?, issued_at = ? WHERE team_id = ? AND key_id = ?")
                .bind(&t.bearer)
                .bind(t.issued_at as i64)
                .bind(&self.team_id)
                .bind(&self.key_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::info!(key_id = %self.key_id, serial = t.serial, "apns: new provider token signed (shared)");
            Arc::new(t)
        };
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(token.clone());
        Ok(token)
    }

    /// A token signed now, not cached (for `doctor`).
    pub fn sign_once(&self) -> Result<ProviderToken, ApnsError> {
        self.sign(self.clock.unix_secs())
    }

    fn current(&self) -> Option<Arc<ProviderToken>> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn fresh(&self) -> Option<Arc<ProviderToken>> {
        let t = self.current()?;
        let age = self.clock.unix_secs().saturating_sub(t.issued_at);
        (age < self.renew_after.as_secs()).then_some(t)
    }

    fn sign_and_store(&self) -> Result<Arc<ProviderToken>, ApnsError> {
        let t = Arc::new(self.sign(self.clock.unix_secs())?);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(t.clone());
        tracing::info!(key_id = %self.key_id, serial = t.serial, "apns: new provider token signed");
        Ok(t)
    }

    fn sign(&self, iat: u64) -> Result<ProviderToken, ApnsError> {
        // No `typ`: Apple documents only alg and kid, and one report says `typ` was refused.
        let header = serde_json::json!({ "alg": "ES256", "kid": self.key_id });
        let claims = serde_json::json!({ "iss": self.team_id, "iat": iat });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = self
            .key
            .sign(&self.rng, signing_input.as_bytes())
            .map_err(|_| ApnsError::Sign)?;
        self.signed.fetch_add(1, Ordering::SeqCst);
        let serial = self.serials.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(ProviderToken {
            bearer: format!(
                "bearer {signing_input}.{}",
                URL_SAFE_NO_PAD.encode(sig.as_ref())
            ),
            issued_at: iat,
            serial,
        })
    }
}
