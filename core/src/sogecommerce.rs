//! SogeCommerce (Lyra platform) signatures: the hosted-form `signature` over the `vads_*` fields and the REST
//! `kr-hash` over `kr-answer`. See docs/reference sogecommerce.md §2 and §6.
//!
//! Everything works on raw bytes: PHP strings are bytes, and the gateway signs the exact bytes it posts.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Prefix of the signed fields (case-sensitive).
pub const FIELD_PREFIX: &[u8] = b"vads_";

/// Signature algorithm configured for the shop in the back office (Settings > Shop > Configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// Base64 of HMAC-SHA-256 (recommended), 44 characters.
    HmacSha256,
    /// Lowercase hex of SHA-1 (legacy), 40 characters.
    Sha1,
}

impl Algorithm {
    /// The name the back office uses: `"HMAC-SHA-256"` or `"SHA-1"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::HmacSha256 => "HMAC-SHA-256",
            Algorithm::Sha1 => "SHA-1",
        }
    }
}

impl FromStr for Algorithm {
    type Err = SignError;

    fn from_str(s: &str) -> Result<Self, SignError> {
        match s {
            "HMAC-SHA-256" => Ok(Algorithm::HmacSha256),
            "SHA-1" => Ok(Algorithm::Sha1),
            other => Err(SignError::UnknownAlgorithm(other.to_owned())),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The shop mode, which selects the key and must equal the posted `vads_ctx_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Test,
    Production,
}

impl Mode {
    /// `"TEST"` or `"PRODUCTION"`, as in `vads_ctx_mode`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Test => "TEST",
            Mode::Production => "PRODUCTION",
        }
    }
}

impl FromStr for Mode {
    type Err = SignError;

    fn from_str(s: &str) -> Result<Self, SignError> {
        match s {
            "TEST" => Ok(Mode::Test),
            "PRODUCTION" => Ok(Mode::Production),
            other => Err(SignError::UnknownMode(other.to_owned())),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Mode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Bad configuration values (never contains a key).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("algorithm: unknown value {0:?}, expected \"HMAC-SHA-256\" or \"SHA-1\"")]
    UnknownAlgorithm(String),
    #[error("mode: unknown value {0:?}, expected \"TEST\" or \"PRODUCTION\"")]
    UnknownMode(String),
}

/// The signed fields in signing order: `vads_*` names only, sorted by name in ascending byte order.
/// Equal names (impossible from a PHP array or a checked form body) are ordered by value to stay deterministic.
fn signed_fields<'a, I>(fields: I) -> Vec<(&'a [u8], &'a [u8])>
where
    I: IntoIterator<Item = (&'a [u8], &'a [u8])>,
{
    let mut v: Vec<_> = fields
        .into_iter()
        .filter(|(name, _)| name.starts_with(FIELD_PREFIX))
        .collect();
    v.sort_unstable();
    v
}

/// `S = v1+v2+…+vn+KEY`. Built in one buffer: one hash update is cheaper than two per field (measured).
fn joined(fields: &[(&[u8], &[u8])], key: &[u8]) -> Vec<u8> {
    let len = fields.iter().map(|(_, v)| v.len() + 1).sum::<usize>() + key.len();
    let mut s = Vec::with_capacity(len);
    for (_, value) in fields {
        s.extend_from_slice(value);
        s.push(b'+');
    }
    s.extend_from_slice(key);
    s
}

/// The signature bytes as the gateway posts them (Base64 for HMAC, lowercase hex for SHA-1).
fn compute(fields: &[(&[u8], &[u8])], key: &[u8], alg: Algorithm) -> String {
    match alg {
        Algorithm::HmacSha256 => {
            let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
            mac.update(&joined(fields, key));
            STANDARD.encode(mac.finalize().into_bytes())
        }
        Algorithm::Sha1 => {
            let mut h = Sha1::new();
            h.update(joined(fields, key));
            hex_lower(&h.finalize())
        }
    }
}

/// Lowercase hexadecimal.
pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0x0f) as usize] as char);
    }
    s
}

/// Signature of the vads_* fields among `fields` (others ignored, `signature` included). Values are raw bytes
/// (PHP strings are bytes); names too. Sorted by name in ascending BYTE order; empty values kept; S = v1+…+vn+KEY.
pub fn sign<'a, I>(fields: I, key: &[u8], alg: Algorithm) -> String
where
    I: IntoIterator<Item = (&'a [u8], &'a [u8])>,
{
    compute(&signed_fields(fields), key, alg)
}

/// Constant-time (subtle) comparison of `signature` against the recomputed one.
pub fn verify<'a, I>(fields: I, signature: &[u8], key: &[u8], alg: Algorithm) -> bool
where
    I: IntoIterator<Item = (&'a [u8], &'a [u8])>,
{
    let expected = sign(fields, key, alg);
    // ct_eq on slices of different lengths is false; the length itself (44 or 40) is public.
    expected.as_bytes().ct_eq(signature).into()
}

/// [`verify`] on fields already reduced to the `vads_*` ones, sorted by name, names unique.
pub(crate) fn verify_sorted(
    sorted_vads: &[(&[u8], &[u8])],
    signature: &[u8],
    key: &[u8],
    alg: Algorithm,
) -> bool {
    debug_assert!(sorted_vads.windows(2).all(|w| w[0].0 < w[1].0));
    debug_assert!(sorted_vads.iter().all(|(n, _)| n.starts_with(FIELD_PREFIX)));
    compute(sorted_vads, key, alg)
        .as_bytes()
        .ct_eq(signature)
        .into()
}

/// `kr-hash` of a REST answer: lowercase hex HMAC-SHA-256 of the exact `kr-answer` bytes.
pub fn kr_hash(answer: &[u8], key: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(answer);
    hex_lower(&mac.finalize().into_bytes())
}

/// True when `hash` is the `kr-hash` of `answer` raw, or of `answer` with every `\/` replaced by `/` (the one
/// transformation the official SDK tolerates). Both candidates are always computed and compared in constant time.
pub fn verify_kr_hash(answer: &[u8], hash: &[u8], key: &[u8]) -> bool {
    let raw = kr_hash(answer, key);
    let unescaped = kr_hash(&unescape_slashes(answer), key);
    (raw.as_bytes().ct_eq(hash) | unescaped.as_bytes().ct_eq(hash)).into()
}

/// Replaces every `\/` by `/`.
fn unescape_slashes(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' && s.get(i + 1) == Some(&b'/') {
            out.push(b'/');
            i += 2;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in [Algorithm::HmacSha256, Algorithm::Sha1] {
            assert_eq!(a.as_str().parse::<Algorithm>(), Ok(a));
        }
        for m in [Mode::Test, Mode::Production] {
            assert_eq!(m.as_str().parse::<Mode>(), Ok(m));
        }
        assert!(matches!(
            "hmac-sha-256".parse::<Algorithm>(),
            Err(SignError::UnknownAlgorithm(_))
        ));
        assert!(matches!(
            "SHA1".parse::<Algorithm>(),
            Err(SignError::UnknownAlgorithm(_))
        ));
        assert!(matches!(
            "test".parse::<Mode>(),
            Err(SignError::UnknownMode(_))
        ));
    }

    #[test]
    fn unescape() {
        assert_eq!(
            unescape_slashes(br#"{"a":"http:\/\/x\/y","b":"\\"}"#),
            br#"{"a":"http://x/y","b":"\\"}"#.to_vec()
        );
        assert_eq!(unescape_slashes(b"\\"), b"\\".to_vec());
        assert_eq!(unescape_slashes(b""), b"".to_vec());
    }

    #[test]
    fn hex() {
        assert_eq!(hex_lower(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
    }
}
