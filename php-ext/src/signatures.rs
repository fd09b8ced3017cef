//! `OCPizza\SogeCommerce` and `OCPizza\Webhooks`: static methods over `ocpizza_core`.
#![allow(non_snake_case)] // PHP parameter names ($krAnswer, $msgId) are part of the public contract.

use ext_php_rs::binary_slice::BinarySlice;
use ext_php_rs::builders::ModuleBuilder;
use ext_php_rs::exception::PhpResult;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};
use ocpizza_core::cancel_or_refund::{CancelError, CancelRequest};
use ocpizza_core::notification::{Notification, parse_notification};
use ocpizza_core::rest_notification::{RestNotification, parse_rest_notification};
use ocpizza_core::sogecommerce::{self, Algorithm, FIELD_PREFIX, Mode, SignError};
use ocpizza_core::webhooks::{self, Secret, WebhookError};

use crate::errors::{from_notification, validation};
use crate::guard::guarded;
use crate::input::{PhpString, assoc, entries, scalar_field, signing_fields};
use serde_json::json;

fn algorithm(name: PhpString) -> PhpResult<Algorithm> {
    let name = name.utf8("algorithm")?;
    name.parse().map_err(|e: SignError| validation("algorithm", strip_field(&e.to_string())))
}

fn mode(name: PhpString) -> PhpResult<Mode> {
    let name = name.utf8("mode")?;
    name.parse().map_err(|e: SignError| validation("mode", strip_field(&e.to_string())))
}

/// `SignError` messages already start with "algorithm: " / "mode: "; `validation` adds the field itself.
fn strip_field(message: &str) -> String {
    message.split_once(": ").map_or(message, |(_, reason)| reason).to_owned()
}

/// SogeCommerce (Lyra) signatures: hosted-form `vads_*` fields and REST `kr-hash`.
#[php_class]
#[php(name = "OCPizza\\SogeCommerce")]
pub struct SogeCommerce;

#[php_impl]
#[allow(non_snake_case)]
impl SogeCommerce {
    /// The signature of the `vads_*` fields of `$fields` (other keys ignored): Base64 HMAC-SHA-256 or lowercase
    /// hex SHA-1.
    #[php(defaults(algorithm = "\"HMAC-SHA-256\""))]
    pub fn sign(fields: &ZendHashTable, key: BinarySlice<u8>, algorithm: PhpString) -> PhpResult<String> {
        guarded(|| {
            let alg = self::algorithm(algorithm)?;
            let entries = entries(fields);
            let fields = signing_fields(&entries, FIELD_PREFIX)?;
            Ok(sogecommerce::sign(fields.iter().map(|(k, v)| (&**k, &**v)), &key, alg))
        })
    }

    /// True when `$fields['signature']` is the signature of the `vads_*` fields (constant-time comparison).
    #[php(defaults(algorithm = "\"HMAC-SHA-256\""))]
    pub fn verify(fields: &ZendHashTable, key: BinarySlice<u8>, algorithm: PhpString) -> PhpResult<bool> {
        guarded(|| {
            let alg = self::algorithm(algorithm)?;
            let Some(signature) = scalar_field(fields, "signature") else {
                return Ok(false);
            };
            let entries = entries(fields);
            let fields = signing_fields(&entries, FIELD_PREFIX)?;
            Ok(sogecommerce::verify(fields.iter().map(|(k, v)| (&**k, &**v)), &signature, &key, alg))
        })
    }

    /// Lowercase hex HMAC-SHA-256 of the exact `kr-answer` bytes.
    pub fn krHash(krAnswer: BinarySlice<u8>, key: BinarySlice<u8>) -> PhpResult<String> {
        guarded(|| Ok(sogecommerce::kr_hash(&krAnswer, &key)))
    }

    /// True when `$krHash` is the kr-hash of `$krAnswer` raw or with every `\/` replaced by `/`.
    pub fn verifyKrHash(krAnswer: BinarySlice<u8>, krHash: BinarySlice<u8>, key: BinarySlice<u8>) -> PhpResult<bool> {
        guarded(|| Ok(sogecommerce::verify_kr_hash(&krAnswer, &krHash, &key)))
    }

    /// Verifies, checks the mode and normalises an IPN; see the stub for the returned keys.
    #[php(defaults(algorithm = "\"HMAC-SHA-256\""))]
    pub fn parseNotification(
        post: &ZendHashTable,
        key: BinarySlice<u8>,
        mode: PhpString,
        algorithm: PhpString,
    ) -> PhpResult<Zval> {
        guarded(|| {
            let alg = self::algorithm(algorithm)?;
            let mode = self::mode(mode)?;
            let entries = entries(post);
            // All fields: the parser also checks the non-signed ones (the signature, duplicates).
            let fields = signing_fields(&entries, b"")?;
            let n = parse_notification(fields.iter().map(|(k, v)| (&**k, &**v)), &key, mode, alg)
                .map_err(from_notification)?;
            notification_array(&n)
        })
    }

    /// Asks the gateway to give money back on transaction `$uuid` (`V4/Transaction/CancelOrRefund`): cancelled if
    /// not captured yet, refunded otherwise (`AUTO`). Returns only what the gateway confirmed; a refusal, an answer
    /// that cannot be read, a timeout or a network failure is a `GatewayException` with `$errorCode`.
    #[php(defaults(resolutionMode = "\"AUTO\"", timeoutMs = 20000))]
    #[allow(clippy::too_many_arguments)] // the PHP signature is the contract
    pub fn cancelOrRefund(
        apiUrl: PhpString,
        shopId: PhpString,
        restPassword: PhpString,
        uuid: PhpString,
        amountCents: i64,
        currency: PhpString,
        resolutionMode: PhpString,
        timeoutMs: i64,
    ) -> PhpResult<Zval> {
        guarded(|| {
            let (apiUrl, shopId, restPassword) =
                (apiUrl.utf8("apiUrl")?, shopId.utf8("shopId")?, restPassword.utf8("restPassword")?);
            let (uuid, currency, resolutionMode) =
                (uuid.utf8("uuid")?, currency.utf8("currency")?, resolutionMode.utf8("resolutionMode")?);
            if restPassword.is_empty() {
                return Err(validation("restPassword", "is required (the mode's REST API password)"));
            }
            if !(1..=120_000).contains(&timeoutMs) {
                return Err(validation("timeoutMs", "must be between 1 and 120000"));
            }
            let req = CancelRequest::new(shopId, uuid, amountCents, currency, resolutionMode).map_err(|e| match e {
                CancelError::Invalid { field, reason } => validation(&field, reason),
                CancelError::Gateway { code, message } => crate::errors::gateway(&code, &message),
            })?;
            let r = crate::gateway::call(apiUrl, restPassword, &req, std::time::Duration::from_millis(timeoutMs as u64))?;
            assoc(vec![
                ("resolution", json!(r.resolution)),
                ("uuid", json!(r.uuid)),
                ("operation_type", json!(r.operation_type)),
                ("status", json!(r.status)),
                ("detailed_status", json!(r.detailed_status)),
                ("amount_cents", json!(r.amount_cents)),
                ("currency", json!(r.currency)),
                ("outcome", json!(r.outcome)),
                ("confirmed", json!(r.confirmed)),
            ])
        })
    }

    /// Verifies (kr-hash on the exact posted `kr-answer` bytes) and normalises a REST notification; `$hmacKey = ''`
    /// refuses browser-return (`kr-hash-key=sha256_hmac`) messages. See the stub for the returned keys.
    pub fn parseRestNotification(
        post: &ZendHashTable,
        restPassword: BinarySlice<u8>,
        hmacKey: BinarySlice<u8>,
        mode: PhpString,
    ) -> PhpResult<Zval> {
        guarded(|| {
            let mode = self::mode(mode)?;
            let entries = entries(post);
            // Only the kr-* fields are read (other posted fields, whatever their type, are not ours).
            let fields = signing_fields(&entries, b"kr-")?;
            let n = parse_rest_notification(fields.iter().map(|(k, v)| (&**k, &**v)), &restPassword, &hmacKey, mode)
                .map_err(from_notification)?;
            rest_notification_array(&n)
        })
    }
}

/// The keys `parseNotification()` and `parseRestNotification()` share, with the same meanings, in one order.
macro_rules! notification_keys {
    ($n:expr, $trigger:expr) => {
        vec![
            ("order_id", json!($n.order_id)),
            ("transaction_id", json!($n.transaction_id)),
            ("transaction_uuid", json!($n.transaction_uuid)),
            ("transaction_date", json!($n.transaction_date)),
            ("amount_cents", json!($n.amount_cents)),
            ("currency_numeric", json!($n.currency_numeric)),
            ("currency", json!($n.currency)),
            ("raw_status", json!($n.raw_status)),
            ("outcome", json!($n.outcome.as_str())),
            ("operation_type", json!($n.operation_type)),
            ("trigger", json!($trigger)),
            ("sequence_number", json!($n.sequence_number)),
            ("idempotency_key", json!($n.idempotency_key)),
            ("mode", json!($n.mode.as_str())),
            ("site_id", json!($n.site_id)),
        ]
    };
}

/// The keys of `parseNotification()`'s result (a REST message has no trigger), then the REST-only ones.
fn rest_notification_array(n: &RestNotification) -> PhpResult<Zval> {
    let mut keys = notification_keys!(n, Option::<String>::None);
    keys.extend([
        ("order_status", json!(n.order_status)),
        ("order_cycle", json!(n.order_cycle)),
        ("answer_type", json!(n.answer_type)),
        ("hash_key", json!(n.hash_key.as_str())),
    ]);
    assoc(keys)
}

/// The notification with the snake_case keys of `Notification` (absent optional values as null).
fn notification_array(n: &Notification) -> PhpResult<Zval> {
    assoc(notification_keys!(n, n.trigger))
}

/// Standard Webhooks signing, for code that posts to the bridge itself.
#[php_class]
#[php(name = "OCPizza\\Webhooks")]
pub struct Webhooks;

#[php_impl]
#[allow(non_snake_case)]
impl Webhooks {
    /// The `webhook-signature` header value `v1,<base64>` for a `whsec_` secret.
    pub fn sign(secret: PhpString, msgId: PhpString, timestamp: i64, body: BinarySlice<u8>) -> PhpResult<String> {
        guarded(|| {
            let (secret, msgId) = (secret.utf8("secret")?, msgId.utf8("msgId")?);
            // The secret's own error text never contains the secret.
            let secret = Secret::parse(secret).map_err(|e| validation("secret", e))?;
            webhooks::try_sign(&secret, msgId, timestamp, &body).map_err(|e| match e {
                WebhookError::InvalidTimestamp => validation("timestamp", "must not be negative"),
                _ => validation("msgId", "must be 1 to 255 printable ASCII characters without '.'"),
            })
        })
    }
}

pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module.class::<SogeCommerce>().class::<Webhooks>()
}
