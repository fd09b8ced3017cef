//! What can go wrong talking to Dolibarr, and whether retrying can help.

use std::time::Duration;

use crate::destination::DeliveryError;

#[derive(Debug, thiserror::Error)]
pub enum DolibarrError {
    /// Dolibarr answered with its JSON error shape (`{"error":{"code":…,"message":…,"0":"ErrorCode"}}`).
    #[error("Dolibarr {method} {path} answered {status}: {message}{}", code.as_ref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Api {
        method: &'static str,
        path: String,
        status: u16,
        message: String,
        /// The business error code of a failed create (`error["0"]`), e.g. `ErrorProductAlreadyExists`.
        code: Option<String>,
        retry_after: Option<Duration>,
    },
    /// A non-JSON refusal, typically the WAF ("Access refused … by SQL or Script injection protection").
    #[error("Dolibarr {method} {path} answered {status} with a non-JSON body: {snippet}")]
    NotJson { method: &'static str, path: String, status: u16, snippet: String, retry_after: Option<Duration> },
    /// Connection refused, reset, TLS failure, timeout: Dolibarr could not be reached or did not answer.
    #[error("Dolibarr {method} {path} unreachable: {reason}")]
    Transport { method: &'static str, path: String, reason: String },
    /// A 2xx body that is not what the API documents.
    #[error("Dolibarr {method} {path}: unexpected answer: {reason}")]
    Unexpected { method: &'static str, path: String, reason: String },
    /// Data that cannot be sent to Dolibarr as it is (names the field).
    #[error("{field}: {reason}")]
    BadInput { field: &'static str, reason: String },
    /// The precondition of this event is not met yet (e.g. order.paid before order.created was applied).
    #[error("{0}")]
    NotYet(String),
    /// Dolibarr's state contradicts what the bridge recorded (e.g. a stored order id that no longer exists).
    #[error("{0}")]
    Inconsistent(String),
    /// Cannot be done until a person acts on something else (e.g. an earlier delivery of the order is dead).
    #[error("{0}")]
    Blocked(String),
    /// Misconfiguration (bad URL, CA file, unknown payment mode, wrong bank account type).
    #[error("Dolibarr configuration: {0}")]
    Config(String),
    #[error("bridge database: {0}")]
    Db(#[from] sqlx::Error),
}

impl DolibarrError {
    pub fn status(&self) -> Option<u16> {
        match self {
            DolibarrError::Api { status, .. } | DolibarrError::NotJson { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The business code of a 500 (`error["0"]`), if any.
    pub fn business_code(&self) -> Option<&str> {
        match self {
            DolibarrError::Api { status: 500, code: Some(c), .. } => Some(c),
            _ => None,
        }
    }

    /// Whether trying the same call later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            DolibarrError::Transport { .. } | DolibarrError::NotYet(_) | DolibarrError::Db(_) => true,
            DolibarrError::Api { status, code, .. } => match *status {
                408 | 425 | 429 | 502 | 503 | 504 => true,
                // A 500 carrying a business code (duplicate ref, duplicate code_client…) will fail again the
                // same way; a bare 500 is usually a database hiccup on Dolibarr's side.
                500 => code.is_none(),
                s => s >= 505,
            },
            DolibarrError::NotJson { status, .. } => matches!(*status, 502..=504),
            DolibarrError::Unexpected { .. }
            | DolibarrError::BadInput { .. }
            | DolibarrError::Inconsistent(_)
            | DolibarrError::Blocked(_)
            | DolibarrError::Config(_) => false,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            DolibarrError::Api { retry_after, .. } | DolibarrError::NotJson { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

impl From<DolibarrError> for DeliveryError {
    fn from(e: DolibarrError) -> Self {
        if e.is_transient() {
            DeliveryError::Retry { retry_after: e.retry_after(), reason: e.to_string() }
        } else {
            DeliveryError::Fatal { reason: e.to_string() }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, code: Option<&str>) -> DolibarrError {
        DolibarrError::Api {
            method: "POST",
            path: "/products".into(),
            status,
            message: "Internal Server Error: Error creating product".into(),
            code: code.map(str::to_owned),
            retry_after: Some(Duration::from_secs(7)),
        }
    }

    #[test]
    fn classification_follows_the_reference_table() {
        assert!(api(503, None).is_transient());
        assert!(api(500, None).is_transient());
        assert!(!api(500, Some("ErrorProductAlreadyExists")).is_transient());
        for s in [400, 401, 403, 404, 405] {
            assert!(!api(s, None).is_transient(), "{s}");
        }
        match DeliveryError::from(api(503, None)) {
            DeliveryError::Retry { retry_after, .. } => assert_eq!(retry_after, Some(Duration::from_secs(7))),
            other => panic!("{other:?}"),
        }
        match DeliveryError::from(api(500, Some("ErrorProductAlreadyExists"))) {
            DeliveryError::Fatal { reason } => assert!(reason.contains("ErrorProductAlreadyExists"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }
}
