//! PINs as Argon2id hashes (PHC strings, the `argon2` crate's defaults: m = 19 MiB, t = 2, p = 1 — OWASP's
//! recommendation). Hashing is CPU-bound for tens of milliseconds, so it runs on the blocking pool, never on the
//! async workers (the Zero to Production `authentication/password.rs` pattern).

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use super::StaffError;
use crate::config::SecretString;

/// 4 to 12 decimal digits.
pub fn check_pin(pin: &str) -> Result<(), StaffError> {
    if (4..=12).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(StaffError::Invalid { field: "pin", reason: "expected 4 to 12 digits".into() })
    }
}

fn hash_blocking(pin: &str) -> Result<String, StaffError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StaffError::Hash(e.to_string()))
}

pub async fn hash_pin(pin: SecretString) -> Result<String, StaffError> {
    tokio::task::spawn_blocking(move || hash_blocking(pin.expose()))
        .await
        .map_err(|e| StaffError::Hash(e.to_string()))?
}

/// Verified against when the login is unknown or has no PIN, so that the answer takes as long either way.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_blocking("000000000000").expect("hashing a constant PIN cannot fail"));

/// Computes the dummy hash once, before the first sign-in (serve calls it at start-up).
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

/// True when `pin` matches `stored`. `None` (unknown login, no PIN set) or an unparsable hash verifies against
/// the dummy hash and answers false, with the same work done.
pub async fn verify_pin(pin: SecretString, stored: Option<String>) -> Result<bool, StaffError> {
    tokio::task::spawn_blocking(move || {
        let (phc, real) = match stored {
            Some(s) if PasswordHash::new(&s).is_ok() => (s, true),
            _ => (DUMMY_HASH.clone(), false),
        };
        let parsed = PasswordHash::new(&phc).map_err(|e| StaffError::Hash(e.to_string()))?;
        let matched = Argon2::default().verify_password(pin.expose().as_bytes(), &parsed).is_ok();
        Ok(real && matched)
    })
    .await
    .map_err(|e| StaffError::Hash(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_4_to_12_digits() {
        for ok in ["0000", "123456", "123456789012"] {
            assert!(check_pin(ok).is_ok(), "{ok}");
        }
        for bad in ["", "123", "1234567890123", "12a4", " 1234", "١٢٣٤"] {
            assert!(check_pin(bad).is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn hash_then_verify() {
        let h = hash_pin(SecretString::new("4821")).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$"), "{h}");
        assert!(!h.contains("4821"));
        assert!(verify_pin(SecretString::new("4821"), Some(h.clone())).await.unwrap());
        assert!(!verify_pin(SecretString::new("4822"), Some(h)).await.unwrap());
        // The dummy hash's own PIN never signs anyone in.
        assert!(!verify_pin(SecretString::new("000000000000"), None).await.unwrap());
        assert!(!verify_pin(SecretString::new("000000000000"), Some("not a hash".into())).await.unwrap());
    }
}
