//! The provider token (ES256 JWT) APNs wants in `authorization: bearer …`.
//!
//! Apple's rules: one token per team reused by every request, refreshed no more often than every 20 minutes
//! (else 429 TooManyProviderTokenUpdates) and no less often than every 60 minutes (else 403
//! ExpiredProviderToken). So the signer keeps one token, renews it once it is `renew_after` old (default 50 min),
//! and renewal is single-flight: concurrent senders that find the token stale queue on one mutex, the first signs,
//! the others find the fresh token when they get the lock. Time comes from an injectable [`Clock`].

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
        })
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
        self.sign_and_store()
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
        self.sign_and_store()
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
        let serial = self.signed.fetch_add(1, Ordering::SeqCst) + 1;
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
