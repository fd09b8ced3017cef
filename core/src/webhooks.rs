//! Standard Webhooks v1 (symmetric HMAC-SHA256), the shop → bridge contract. See standard-webhooks.md §1–3.
//!
//! Signed bytes: `"{webhook-id}.{webhook-timestamp}.{raw body}"`; key: the base64-decoded `whsec_` secret;
//! header value: space-separated `v1,<base64 MAC>` entries (several during a secret rotation).

use std::fmt;

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

pub const HEADER_ID: &str = "webhook-id";
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
pub const HEADER_SIGNATURE: &str = "webhook-signature";
/// What every reference library uses; exactly this many seconds of skew still passes.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;
/// Prefix of the textual secret form.
pub const SECRET_PREFIX: &str = "whsec_";
/// What the spec advises for a secret we generate or tell an operator to generate: 24 to 64 random bytes.
/// Not a condition of [`Secret::parse`]: the reference libraries accept any non-empty key (their own tests use
/// 23- and 25-byte keys), and a peer configured with one must be able to talk to us.
pub const SECRET_MIN_BYTES: usize = 24;
pub const SECRET_MAX_BYTES: usize = 64;
/// Upper bound on `webhook-id` (the relay stores it in an indexed column; real ids are ~30 characters).
pub const MAX_MSG_ID_LEN: usize = 255;

/// The secret's base64 as the reference libraries read it: standard alphabet; `=` padding complete, partial or
/// absent (the Python library appends `==` before decoding); the unused low bits of the last character need not
/// be zero (Python's decoder ignores them: `…LaLaS` and `…LaLaSwBr` have such bits).
const SECRET_B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// A webhook signing secret (decoded key bytes). Its `Debug` output never shows the key.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Parses `whsec_<base64>` as the Standard Webhooks reference libraries do (the prefix may be omitted, `=`
    /// padding may be missing or partial). Refused, as they refuse it: an empty key, a character outside the
    /// base64 alphabet (the Python library silently drops those; the JavaScript, Go and Rust ones refuse them, and
    /// so do we: a stray character is a paste error, not a key), a length no base64 text can have.
    pub fn parse(s: &str) -> Result<Secret, WebhookError> {
        let b64 = s.strip_prefix(SECRET_PREFIX).unwrap_or(s);
        if b64.trim_end_matches('=').is_empty() {
            return Err(WebhookError::InvalidSecret("secret is empty".into()));
        }
        let key = SECRET_B64.decode(b64).map_err(|_| {
            WebhookError::InvalidSecret("secret is not valid base64 after the whsec_ prefix".into())
        })?;
        Secret::from_bytes(&key)
    }

    /// A secret from raw key bytes (any non-empty key, as HMAC and the reference libraries take it).
    pub fn from_bytes(key: &[u8]) -> Result<Secret, WebhookError> {
        if key.is_empty() {
            return Err(WebhookError::InvalidSecret("secret is empty".into()));
        }
        Ok(Secret(key.to_vec()))
    }

    /// Length of the key in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Never true (a secret is not empty); for API symmetry with [`Secret::len`].
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the key follows the spec's advice for generated secrets (24 to 64 bytes); callers may warn.
    pub fn follows_advice(&self) -> bool {
        (SECRET_MIN_BYTES..=SECRET_MAX_BYTES).contains(&self.0.len())
    }

    fn mac(&self, msg_id: &str, timestamp: &str, body: &[u8]) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC accepts keys of any length");
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<redacted, {} bytes>)", self.0.len())
    }
}

/// Why a webhook was refused. Messages name the header and never contain a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("invalid webhook secret: {0}")]
    InvalidSecret(String),
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("invalid header {0}")]
    InvalidHeader(&'static str),
    #[error("invalid header webhook-timestamp: not an integer number of seconds")]
    InvalidTimestamp,
    #[error("webhook-timestamp is too old")]
    TooOld,
    #[error("webhook-timestamp is too far in the future")]
    TooNew,
    #[error("no webhook-signature entry matches")]
    NoMatchingSignature,
}

/// Checks a `webhook-id`: non-empty, no `.` (it delimits the signed content), printable ASCII, bounded length.
pub fn validate_msg_id(msg_id: &str) -> Result<(), WebhookError> {
    if msg_id.is_empty() {
        return Err(WebhookError::MissingHeader(HEADER_ID));
    }
    if msg_id.len() > MAX_MSG_ID_LEN
        || msg_id.contains('.')
        || !msg_id.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(WebhookError::InvalidHeader(HEADER_ID));
    }
    Ok(())
}

/// The `webhook-signature` value for one secret: `v1,<base64>`.
///
/// Does not validate `msg_id` (it cannot fail); callers that take ids from outside use [`try_sign`].
pub fn sign(secret: &Secret, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let mac = secret.mac(msg_id, &timestamp.to_string(), body);
    format!("v1,{}", STANDARD.encode(mac))
}

/// [`sign`] after checking `msg_id` with [`validate_msg_id`] and that `timestamp` is not negative.
pub fn try_sign(
    secret: &Secret,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, WebhookError> {
    validate_msg_id(msg_id)?;
    if timestamp < 0 {
        return Err(WebhookError::InvalidTimestamp);
    }
    Ok(sign(secret, msg_id, timestamp, body))
}

/// Parses `webhook-timestamp`: ASCII digits only (no sign, no spaces), fits in i64.
fn parse_timestamp(header: &str) -> Result<i64, WebhookError> {
    if header.is_empty() {
        return Err(WebhookError::MissingHeader(HEADER_TIMESTAMP));
    }
    if !header.bytes().all(|b| b.is_ascii_digit()) {
        return Err(WebhookError::InvalidTimestamp);
    }
    header.parse().map_err(|_| WebhookError::InvalidTimestamp)
}

/// Any v1 entry of the space-separated `signature_header` matching any secret (rotation) passes; other versions
/// ignored; |now - timestamp| <= tolerance_secs (both directions, exactly tolerance passes). Constant-time compare.
///
/// An empty header value counts as missing. When nothing matches and some v1 entry was not valid base64 of a
/// 32-byte MAC, the error is `InvalidHeader("webhook-signature")`, else `NoMatchingSignature`.
pub fn verify(
    secrets: &[Secret],
    msg_id: &str,
    timestamp_header: &str,
    signature_header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), WebhookError> {
    validate_msg_id(msg_id)?;
    let timestamp = parse_timestamp(timestamp_header)?;
    if signature_header.trim().is_empty() {
        return Err(WebhookError::MissingHeader(HEADER_SIGNATURE));
    }
    let tolerance = tolerance_secs.max(0);
    // i128: no overflow whatever the clock or the header say.
    let skew = i128::from(now) - i128::from(timestamp);
    if skew > i128::from(tolerance) {
        return Err(WebhookError::TooOld);
    }
    if -skew > i128::from(tolerance) {
        return Err(WebhookError::TooNew);
    }

    let expected: Vec<[u8; 32]> = secrets
        .iter()
        .map(|s| s.mac(msg_id, timestamp_header, body))
        .collect();
    let mut matched = subtle::Choice::from(0);
    let mut malformed = false;
    for entry in signature_header.split(' ').filter(|e| !e.is_empty()) {
        let Some((version, sig)) = entry.split_once(',') else {
            continue;
        };
        if version != "v1" {
            continue; // v1a (ed25519) and future versions are not ours to check
        }
        match STANDARD.decode(sig) {
            Ok(given) if given.len() == 32 => {
                for e in &expected {
                    matched |= e.as_slice().ct_eq(&given);
                }
            }
            _ => malformed = true,
        }
    }
    if bool::from(matched) {
        Ok(())
    } else if malformed {
        Err(WebhookError::InvalidHeader(HEADER_SIGNATURE))
    } else {
        Err(WebhookError::NoMatchingSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_key() {
        let s = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("MfKQ"), "{dbg}");
        assert!(dbg.contains("redacted"));
    }

    #[test]
    fn timestamp_parsing() {
        assert_eq!(parse_timestamp("1614265330"), Ok(1614265330));
        assert_eq!(
            parse_timestamp(""),
            Err(WebhookError::MissingHeader(HEADER_TIMESTAMP))
        );
        for bad in ["-1", "+1", " 1", "1.5", "1e9", "99999999999999999999"] {
            assert_eq!(
                parse_timestamp(bad),
                Err(WebhookError::InvalidTimestamp),
                "{bad}"
            );
        }
    }
}
