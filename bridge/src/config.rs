//! The bridge's one typed configuration: `OCPIZZA_*` environment variables over an optional TOML file.
//!
//! The TOML file uses the same names without the prefix, in lower case, optionally grouped in tables whose name
//! is the prefix: `[dolibarr] url = "…"` is `OCPIZZA_DOLIBARR_URL`. Arrays are joined with commas
//! (`webhook_secrets = ["whsec_…", "whsec_…"]`) and the `[device_tokens]` table is `KEY=token` pairs.
//! An environment variable always wins over the file. Every error names the variable and the reason.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Every variable the bridge reads (without the `OCPIZZA_` prefix); a config file key outside it is refused.
pub const KNOWN: [&str; 48] = [
    "ADMIN_TOKEN",
    "APNS_CA_FILE",
    "APNS_ENDPOINT",
    "APNS_KEY_FILE",
    "APNS_KEY_ID",
    "APNS_SANDBOX_ENDPOINT",
    "APNS_TEAM_ID",
    "APNS_TIMEOUT_SECS",
    "APNS_TOPIC",
    "DATABASE_MAX_CONNECTIONS",
    "DATABASE_URL",
    "DELIVERY_BACKOFF_BASE_MS",
    "DELIVERY_BACKOFF_MAX_SECS",
    "DELIVERY_CONCURRENCY",
    "DELIVERY_FINISH_WINDOW_MS",
    "DELIVERY_LEASE_SECS",
    "DELIVERY_MAX_ATTEMPTS",
    "DELIVERY_POLL_MS",
    "DELIVERY_REAPER_SECS",
    "DEVICE_TOKENS",
    "DOLIBARR_API_KEY",
    "DOLIBARR_BANK_ACCOUNTS",
    "DOLIBARR_BANK_ACCOUNT_ID",
    "DOLIBARR_CA_FILE",
    "DOLIBARR_PAYMENT_MODE",
    "DOLIBARR_PAYMENT_TYPES",
    "DOLIBARR_TIMEOUT_SECS",
    "DOLIBARR_URL",
    "GEOCODING_KEY",
    "GEOCODING_URL",
    "LISTEN",
    "LOG_FORMAT",
    "PRESTASHOP_SEND_EMAIL",
    "PRESTASHOP_STATES",
    "PRESTASHOP_TIMEOUT_SECS",
    "PRESTASHOP_URL",
    "PRESTASHOP_WS_KEY",
    "RECONCILE_AFTER_SECS",
    "RECONCILE_INTERVAL_SECS",
    "RETENTION_DAYS",
    "SHUTDOWN_GRACE_SECS",
    "SINK_SECRET",
    "SINK_URL",
    "STAFF_SESSION_HOURS",
    "TIMEZONE",
    "WEBHOOK_MAX_BODY_BYTES",
    "WEBHOOK_SECRETS",
    "WEBHOOK_TOLERANCE_SECS",
];

/// Longest retention accepted (100 years): beyond it "keep forever" (0) is what is meant.
pub const MAX_RETENTION_DAYS: u32 = 36_500;

/// Why `days` is not a usable retention (0, "keep forever", is handled by the caller): more than
/// [`MAX_RETENTION_DAYS`], or not longer than the webhook tolerance, inside which a re-sent copy of a forgotten
/// webhook would pass its timestamp check and be taken for a new event.
pub fn check_retention_days(days: u32, webhook_tolerance_secs: i64) -> Result<(), String> {
    if days > MAX_RETENTION_DAYS {
        return Err(format!("must be at most {MAX_RETENTION_DAYS} days (0 keeps everything)"));
    }
    if i64::from(days) * 86_400 <= webhook_tolerance_secs {
        return Err(format!(
            "{days} days is not longer than OCPIZZA_WEBHOOK_TOLERANCE_SECS ({webhook_tolerance_secs} s): a re-sent \
             webhook could then be taken for a new event"
        ));
    }
    Ok(())
}

/// A secret value: printed as `***` by `Debug` and `Display`, so that it cannot end up in a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(s: impl Into<String>) -> Self {
        SecretString(s.into())
    }
    /// The clear value, for the one place that needs it (an HTTP header, a key derivation).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{var}: {reason}")]
    Invalid { var: String, reason: String },
    #[error("{var} is required")]
    Missing { var: String },
    #[error("config file {path}: {reason}")]
    File { path: String, reason: String },
}

fn invalid(var: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { var: var.to_owned(), reason: reason.into() }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Who a device bearer token belongs to: one restaurant (may only register devices of that restaurant) or the
/// app as a whole (any restaurant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenScope {
    Restaurant(String),
    App,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceToken {
    pub scope: TokenScope,
    pub token: SecretString,
}

/// Dolibarr REST API (`/api/index.php`), key sent as `DOLAPIKEY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DolibarrConfig {
    /// Base URL of the API, e.g. `https://erp.ocpizza.example/api/index.php` (OCPIZZA_DOLIBARR_URL).
    pub url: String,
    /// OCPIZZA_DOLIBARR_API_KEY.
    pub api_key: SecretString,
    /// Current bank account that receives card payments (OCPIZZA_DOLIBARR_BANK_ACCOUNT_ID).
    pub bank_account_id: i64,
    /// Dolibarr payment mode code for card payments (OCPIZZA_DOLIBARR_PAYMENT_MODE, default `CB`).
    pub payment_mode: String,
    /// Per-request timeout in seconds (OCPIZZA_DOLIBARR_TIMEOUT_SECS, default 30).
    pub timeout_secs: u64,
    /// Extra trusted root certificate (PEM) for a private CA or a local stand-in (OCPIZZA_DOLIBARR_CA_FILE).
    pub ca_file: Option<PathBuf>,
    /// The chain's timezone (OCPIZZA_TIMEZONE, default `Europe/Paris`): Dolibarr dates are its calendar days.
    pub timezone: chrono_tz::Tz,
    /// Payment type code per payment provider, over the defaults of [`DolibarrConfig::payment_type`]
    /// (OCPIZZA_DOLIBARR_PAYMENT_TYPES, e.g. `restaurant=CB`).
    pub payment_types: BTreeMap<String, String>,
    /// Bank account per payment provider, over `bank_account_id` (OCPIZZA_DOLIBARR_BANK_ACCOUNTS, e.g. `cash=3`).
    pub bank_accounts: BTreeMap<String, i64>,
}

/// How the shop says a payment came in (`provider` of `order.paid`, `ocpizza_db`'s `PROVIDERS`): SogeCommerce
/// (card online), the driver's or counter's card terminal, cash, or "at the restaurant" without more detail.
pub const PAYMENT_PROVIDERS: [&str; 4] = ["sogecommerce", "card_terminal", "cash", "restaurant"];

impl DolibarrConfig {
    /// Dolibarr payment type code (`c_paiement.code`) for a provider: configured, else card payments
    /// (`sogecommerce`, `card_terminal`) → `payment_mode` (default CB), `cash` → LIQ, `restaurant` → LIQ (money
    /// taken at the counter goes to the till unless said otherwise).
    pub fn payment_type(&self, provider: &str) -> &str {
        match self.payment_types.get(provider) {
            Some(code) => code,
            None if matches!(provider, "sogecommerce" | "card_terminal") => &self.payment_mode,
            None => "LIQ",
        }
    }

    /// Bank account id for a provider: configured, else `bank_account_id`.
    pub fn bank_account(&self, provider: &str) -> i64 {
        self.bank_accounts.get(provider).copied().unwrap_or(self.bank_account_id)
    }
}

/// `provider=value` pairs, comma-separated; the provider must be one of [`PAYMENT_PROVIDERS`].
fn parse_per_provider<T>(
    var: &str,
    raw: Option<&str>,
    value: impl Fn(&str) -> Result<T, String>,
) -> Result<BTreeMap<String, T>, ConfigError> {
    let mut out = BTreeMap::new();
    for pair in raw.unwrap_or("").split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| invalid(var, format!("{pair:?} is not provider=value")))?;
        let k = k.trim();
        if !PAYMENT_PROVIDERS.contains(&k) {
            let known = PAYMENT_PROVIDERS.join(", ");
            return Err(invalid(var, format!("unknown payment provider {k:?} (one of {known})")));
        }
        let v = value(v.trim()).map_err(|r| invalid(var, format!("{k}: {r}")))?;
        out.insert(k.to_owned(), v);
    }
    Ok(out)
}

/// A `c_paiement.code`: 1–6 letters, digits or `_` (the column is varchar(6)).
fn payment_code(v: &str) -> Result<String, String> {
    if v.is_empty() || v.len() > 6 || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(format!("{v:?} is not a Dolibarr payment type code (1-6 of [A-Za-z0-9_], e.g. CB, LIQ)"));
    }
    Ok(v.to_owned())
}

/// APNs token authentication (.p8 key, ES256 JWT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApnsConfig {
    /// Production endpoint (OCPIZZA_APNS_ENDPOINT, default `https://api.push.apple.com`).
    pub endpoint: String,
    /// Endpoint for devices registered with environment `sandbox`
    /// (OCPIZZA_APNS_SANDBOX_ENDPOINT, default `https://api.sandbox.push.apple.com`).
    pub sandbox_endpoint: String,
    /// The .p8 private key file (OCPIZZA_APNS_KEY_FILE).
    pub key_file: PathBuf,
    /// 10-character key id (OCPIZZA_APNS_KEY_ID).
    pub key_id: String,
    /// 10-character team id (OCPIZZA_APNS_TEAM_ID).
    pub team_id: String,
    /// The app's bundle id, sent as `apns-topic` (OCPIZZA_APNS_TOPIC).
    pub topic: String,
    /// Extra trusted root certificate (PEM) for a local stand-in (OCPIZZA_APNS_CA_FILE).
    pub ca_file: Option<PathBuf>,
    /// Per-request timeout in seconds (OCPIZZA_APNS_TIMEOUT_SECS, default 10).
    pub timeout_secs: u64,
}

/// The test/benchmark "webhook sink" destination: POSTs every event, Standard-Webhooks-signed, to a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkConfig {
    /// OCPIZZA_SINK_URL.
    pub url: String,
    /// Optional `whsec_` secret to sign the sink requests with (OCPIZZA_SINK_SECRET).
    pub secret: Option<SecretString>,
}

/// PrestaShop Webservice (issue 12): what the restaurants record goes back to the shop's order as an
/// `order_histories` entry. Key: a webservice key with `orders` GET and `order_histories` GET/POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrestashopConfig {
    /// The shop's base URL; requests go to `{url}/webservice/dispatcher.php?url=…` (OCPIZZA_PRESTASHOP_URL).
    pub url: String,
    /// 32-character webservice key, sent as the HTTP Basic user (OCPIZZA_PRESTASHOP_WS_KEY).
    pub ws_key: SecretString,
    /// OC Pizza status (or `paid`) → PrestaShop order state id; 0 or absent = not sent
    /// (OCPIZZA_PRESTASHOP_STATES, `ready=15,paid=2`, over [`PRESTASHOP_DEFAULT_STATES`]).
    pub states: BTreeMap<String, i64>,
    /// Ask PrestaShop to e-mail the customer the state's template (`sendemail=1`) (OCPIZZA_PRESTASHOP_SEND_EMAIL,
    /// default true).
    pub send_email: bool,
    /// Per-request timeout in seconds (OCPIZZA_PRESTASHOP_TIMEOUT_SECS, default 30).
    pub timeout_secs: u64,
}

/// PrestaShop's own states of a fresh install (PS_OS_PREPARATION 3, PS_OS_SHIPPING 4, PS_OS_DELIVERED 5,
/// PS_OS_CANCELED 6). `accepted` and `ready` have no built-in state: map them to the module's (OCPIZZA_OS_READY…)
/// ids, which each shop gets at install. `paid` is not sent by default: "Delivered" is already a paid state in
/// PrestaShop, and posting "Payment accepted" (2) while the order is out would move it back for the customer.
pub const PRESTASHOP_DEFAULT_STATES: [(&str, i64); 5] =
    [("in_preparation", 3), ("out_for_delivery", 4), ("delivered", 5), ("picked_up", 5), ("cancelled", 6)];

fn parse_prestashop_states(raw: Option<&str>) -> Result<BTreeMap<String, i64>, ConfigError> {
    const VAR: &str = "OCPIZZA_PRESTASHOP_STATES";
    const KEYS: [&str; 8] =
        ["accepted", "in_preparation", "ready", "out_for_delivery", "delivered", "picked_up", "cancelled", "paid"];
    let mut map: BTreeMap<String, i64> = PRESTASHOP_DEFAULT_STATES.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    for pair in raw.unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let Some((k, v)) = pair.split_once('=') else {
            return Err(invalid(VAR, format!("{pair:?} is not status=state_id")));
        };
        let k = k.trim();
        if !KEYS.contains(&k) {
            return Err(invalid(VAR, format!("{k:?} is not one of {}", KEYS.join(", "))));
        }
        let id: i64 = v.trim().parse().map_err(|_| invalid(VAR, format!("{k}: expected a state id, got {v:?}")))?;
        if id < 0 {
            return Err(invalid(VAR, format!("{k}: a state id is not negative (0 = do not send)")));
        }
        map.insert(k.to_owned(), id);
    }
    map.retain(|_, id| *id > 0);
    Ok(map)
}

/// How the relay engine works its queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryConfig {
    /// A delivery goes dead after this many attempts (OCPIZZA_DELIVERY_MAX_ATTEMPTS, default 12).
    pub max_attempts: u32,
    /// How long a claimed delivery is ours before the reaper may return it (OCPIZZA_DELIVERY_LEASE_SECS, 60).
    pub lease: Duration,
    /// Fallback poll when nothing nudged the workers (OCPIZZA_DELIVERY_POLL_MS, 250).
    pub poll_interval: Duration,
    /// Deliveries in flight at once per process (OCPIZZA_DELIVERY_CONCURRENCY, 32).
    pub concurrency: usize,
    /// First retry delay; doubles each attempt, ±20 % jitter (OCPIZZA_DELIVERY_BACKOFF_BASE_MS, 5000).
    pub backoff_base: Duration,
    /// Longest retry delay, also the clamp of a remote `Retry-After` (OCPIZZA_DELIVERY_BACKOFF_MAX_SECS, 3600).
    pub backoff_max: Duration,
    /// How often the reaper returns expired leases (OCPIZZA_DELIVERY_REAPER_SECS, 10).
    pub reaper_interval: Duration,
    /// On shutdown, how long in-flight deliveries may finish before they are released
    /// (OCPIZZA_SHUTDOWN_GRACE_SECS, 10).
    pub shutdown_grace: Duration,
    /// How long the finisher gathers results before writing them in one statement (one commit)
    /// (OCPIZZA_DELIVERY_FINISH_WINDOW_MS, 20; 0 = write as they come). Fewer commits leave the redo log's fsync
    /// to the webhooks; a destination call is never slower for it, but a row stays `inflight` that much longer
    /// (the next event of the same order waits for it) and a crash in the window repeats those deliveries.
    pub finish_window: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            max_attempts: 12,
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_millis(250),
            concurrency: 32,
            backoff_base: Duration::from_millis(5000),
            backoff_max: Duration::from_secs(3600),
            reaper_interval: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
            finish_window: Duration::from_millis(20),
        }
    }
}

/// Picking up outbox rows the shop never managed to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileConfig {
    /// How often (OCPIZZA_RECONCILE_INTERVAL_SECS, default 30; 0 disables).
    pub interval: Duration,
    /// Only rows older than this, so the shop's own send is not raced (OCPIZZA_RECONCILE_AFTER_SECS, 60).
    pub after: Duration,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// OCPIZZA_DATABASE_URL (required for `serve`); secret because it carries the password.
    pub database_url: Option<SecretString>,
    /// OCPIZZA_DATABASE_MAX_CONNECTIONS (default 32).
    pub database_max_connections: u32,
    /// OCPIZZA_LISTEN (default 127.0.0.1:8080).
    pub listen: SocketAddr,
    /// OCPIZZA_WEBHOOK_SECRETS: comma-separated `whsec_` secrets; two during a rotation.
    pub webhook_secrets: Vec<SecretString>,
    /// OCPIZZA_WEBHOOK_TOLERANCE_SECS (default 300), applied both ways.
    pub webhook_tolerance_secs: i64,
    /// OCPIZZA_WEBHOOK_MAX_BODY_BYTES (default 262144).
    pub webhook_max_body: usize,
    /// OCPIZZA_DEVICE_TOKENS: `BELLECOUR=token1,app=token2`.
    pub device_tokens: Vec<DeviceToken>,
    /// OCPIZZA_ADMIN_TOKEN: bearer token of the admin API (absent: admin API answers 401 to everyone).
    pub admin_token: Option<SecretString>,
    /// OCPIZZA_LOG_FORMAT: text (default) or json.
    pub log_format: LogFormat,
    pub delivery: DeliveryConfig,
    pub reconcile: ReconcileConfig,
    /// OCPIZZA_RETENTION_DAYS (default 90; 0 keeps everything): `done` deliveries and inbox rows without any
    /// delivery row are purged once this old (see `retention`).
    pub retention_days: u32,
    pub dolibarr: Option<DolibarrConfig>,
    pub apns: Option<ApnsConfig>,
    pub sink: Option<SinkConfig>,
    pub prestashop: Option<PrestashopConfig>,
    /// OCPIZZA_GEOCODING_KEY: Google Geocoding API key (delivery addresses geocoded once); none = links use the text.
    pub geocoding_key: Option<SecretString>,
    /// OCPIZZA_GEOCODING_URL (default Google's `https://maps.googleapis.com/maps/api/geocode/json`; a stand-in in tests).
    pub geocoding_url: String,
    /// OCPIZZA_STAFF_SESSION_HOURS (default 12, 1–24): how long a staff sign-in lasts (one shift).
    pub staff_session: Duration,
}

impl Config {
    /// How old a row must be to be purged; `None` when retention is off (`OCPIZZA_RETENTION_DAYS=0`).
    pub fn retention(&self) -> Option<Duration> {
        (self.retention_days > 0).then(|| crate::retention::days(self.retention_days))
    }

    /// A configuration with every default, no secret and no destination (tests fill in what they need).
    pub fn defaults() -> Config {
        Config::from_map(&BTreeMap::new()).expect("defaults are valid")
    }

    /// Reads the TOML file (if any) and the process environment; the environment wins.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut map = match file {
            Some(p) => read_file(p)?,
            None => BTreeMap::new(),
        };
        for (k, v) in std::env::vars() {
            if k.starts_with("OCPIZZA_") && k != "OCPIZZA_CONFIG" {
                map.insert(k, v);
            }
        }
        Config::from_map(&map)
    }

    /// Builds the configuration from `OCPIZZA_*` names and values.
    pub fn from_map(map: &BTreeMap<String, String>) -> Result<Config, ConfigError> {
        let v = Vars(map);
        let dolibarr = if v.any_set(&["OCPIZZA_DOLIBARR_URL", "OCPIZZA_DOLIBARR_API_KEY"]) {
            Some(DolibarrConfig {
                url: v.url("OCPIZZA_DOLIBARR_URL")?,
                api_key: SecretString::new(v.required("OCPIZZA_DOLIBARR_API_KEY")?),
                bank_account_id: v.parse_required::<i64>("OCPIZZA_DOLIBARR_BANK_ACCOUNT_ID", "a positive integer")?,
                payment_mode: v.get("OCPIZZA_DOLIBARR_PAYMENT_MODE").unwrap_or("CB").to_owned(),
                timeout_secs: v.parse_or("OCPIZZA_DOLIBARR_TIMEOUT_SECS", 30u64, "a number of seconds")?,
                ca_file: v.get("OCPIZZA_DOLIBARR_CA_FILE").map(PathBuf::from),
                timezone: match v.get("OCPIZZA_TIMEZONE") {
                    None => chrono_tz::Europe::Paris,
                    Some(t) => t.parse().map_err(|_| {
                        invalid("OCPIZZA_TIMEZONE", format!("{t:?} is not an IANA timezone name (e.g. Europe/Paris)"))
                    })?,
                },
                payment_types: parse_per_provider(
                    "OCPIZZA_DOLIBARR_PAYMENT_TYPES",
                    v.get("OCPIZZA_DOLIBARR_PAYMENT_TYPES"),
                    payment_code,
                )?,
                bank_accounts: parse_per_provider(
                    "OCPIZZA_DOLIBARR_BANK_ACCOUNTS",
                    v.get("OCPIZZA_DOLIBARR_BANK_ACCOUNTS"),
                    |a| match a.parse::<i64>() {
                        Ok(n) if n > 0 => Ok(n),
                        _ => Err(format!("{a:?} is not a positive bank account id")),
                    },
                )?,
            })
        } else {
            None
        };
        if let Some(d) = &dolibarr
            && d.bank_account_id <= 0 {
                return Err(invalid("OCPIZZA_DOLIBARR_BANK_ACCOUNT_ID", "must be a positive integer"));
            }
        if let Some(d) = &dolibarr {
            payment_code(&d.payment_mode).map_err(|r| invalid("OCPIZZA_DOLIBARR_PAYMENT_MODE", r))?;
        }
        let apns = if v.any_set(&[
            "OCPIZZA_APNS_KEY_FILE",
            "OCPIZZA_APNS_KEY_ID",
            "OCPIZZA_APNS_TEAM_ID",
            "OCPIZZA_APNS_TOPIC",
        ]) {
            let key_id = v.required("OCPIZZA_APNS_KEY_ID")?.to_owned();
            let team_id = v.required("OCPIZZA_APNS_TEAM_ID")?.to_owned();
            for (var, val) in [("OCPIZZA_APNS_KEY_ID", &key_id), ("OCPIZZA_APNS_TEAM_ID", &team_id)] {
                if val.len() != 10 || !val.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(invalid(var, "must be 10 letters or digits, as shown in the Apple developer account"));
                }
            }
            Some(ApnsConfig {
                endpoint: v.url_or("OCPIZZA_APNS_ENDPOINT", "https://api.push.apple.com")?,
                sandbox_endpoint: v.url_or("OCPIZZA_APNS_SANDBOX_ENDPOINT", "https://api.sandbox.push.apple.com")?,
                key_file: PathBuf::from(v.required("OCPIZZA_APNS_KEY_FILE")?),
                key_id,
                team_id,
                topic: v.required("OCPIZZA_APNS_TOPIC")?.to_owned(),
                ca_file: v.get("OCPIZZA_APNS_CA_FILE").map(PathBuf::from),
                timeout_secs: v.parse_or("OCPIZZA_APNS_TIMEOUT_SECS", 10u64, "a number of seconds")?,
            })
        } else {
            None
        };
        let prestashop = if v.any_set(&["OCPIZZA_PRESTASHOP_URL", "OCPIZZA_PRESTASHOP_WS_KEY"]) {
            let key = v.required("OCPIZZA_PRESTASHOP_WS_KEY")?;
            if key.len() != 32 || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
                // PrestaShop refuses any other length (WebserviceRequest::authenticate, code 18).
                return Err(invalid("OCPIZZA_PRESTASHOP_WS_KEY", "must be the 32 letters or digits of a webservice key"));
            }
            Some(PrestashopConfig {
                url: v.url("OCPIZZA_PRESTASHOP_URL")?,
                ws_key: SecretString::new(key),
                states: parse_prestashop_states(v.get("OCPIZZA_PRESTASHOP_STATES"))?,
                send_email: match v.get("OCPIZZA_PRESTASHOP_SEND_EMAIL").unwrap_or("true") {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    other => return Err(invalid("OCPIZZA_PRESTASHOP_SEND_EMAIL", format!("expected true or false, got {other:?}"))),
                },
                timeout_secs: v.parse_or("OCPIZZA_PRESTASHOP_TIMEOUT_SECS", 30u64, "a number of seconds")?,
            })
        } else {
            None
        };
        let sink = match v.get("OCPIZZA_SINK_URL") {
            Some(_) => Some(SinkConfig {
                url: v.url("OCPIZZA_SINK_URL")?,
                secret: v.get("OCPIZZA_SINK_SECRET").map(SecretString::new),
            }),
            None => None,
        };

        let d = DeliveryConfig::default();
        let delivery = DeliveryConfig {
            max_attempts: v.parse_or("OCPIZZA_DELIVERY_MAX_ATTEMPTS", d.max_attempts, "a positive integer")?,
            lease: secs(v.parse_or("OCPIZZA_DELIVERY_LEASE_SECS", d.lease.as_secs(), "a number of seconds")?),
            poll_interval: ms(v.parse_or("OCPIZZA_DELIVERY_POLL_MS", 250, "a number of milliseconds")?),
            concurrency: v.parse_or("OCPIZZA_DELIVERY_CONCURRENCY", d.concurrency, "a positive integer")?,
            backoff_base: ms(v.parse_or("OCPIZZA_DELIVERY_BACKOFF_BASE_MS", 5000, "a number of milliseconds")?),
            backoff_max: secs(v.parse_or("OCPIZZA_DELIVERY_BACKOFF_MAX_SECS", 3600, "a number of seconds")?),
            reaper_interval: secs(v.parse_or("OCPIZZA_DELIVERY_REAPER_SECS", 10, "a number of seconds")?),
            shutdown_grace: secs(v.parse_or("OCPIZZA_SHUTDOWN_GRACE_SECS", 10, "a number of seconds")?),
            finish_window: ms(v.parse_or("OCPIZZA_DELIVERY_FINISH_WINDOW_MS", 20, "a number of milliseconds")?),
        };
        for (var, zero) in [
            ("OCPIZZA_DELIVERY_MAX_ATTEMPTS", delivery.max_attempts == 0),
            ("OCPIZZA_DELIVERY_LEASE_SECS", delivery.lease.is_zero()),
            ("OCPIZZA_DELIVERY_POLL_MS", delivery.poll_interval.is_zero()),
            ("OCPIZZA_DELIVERY_CONCURRENCY", delivery.concurrency == 0),
            ("OCPIZZA_DELIVERY_REAPER_SECS", delivery.reaper_interval.is_zero()),
        ] {
            if zero {
                return Err(invalid(var, "must be greater than 0"));
            }
        }
        if delivery.backoff_max < delivery.backoff_base {
            return Err(invalid("OCPIZZA_DELIVERY_BACKOFF_MAX_SECS", "must not be shorter than the backoff base"));
        }

        let log_format = match v.get("OCPIZZA_LOG_FORMAT").unwrap_or("text") {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => return Err(invalid("OCPIZZA_LOG_FORMAT", format!("expected text or json, got {other:?}"))),
        };

        let tolerance = v.parse_or("OCPIZZA_WEBHOOK_TOLERANCE_SECS", 300i64, "a number of seconds")?;
        if tolerance < 0 {
            return Err(invalid("OCPIZZA_WEBHOOK_TOLERANCE_SECS", "must not be negative"));
        }
        let retention_days = v.parse_or("OCPIZZA_RETENTION_DAYS", 90u32, "a number of days (0 keeps everything)")?;
        if retention_days > 0 {
            check_retention_days(retention_days, tolerance).map_err(|r| invalid("OCPIZZA_RETENTION_DAYS", r))?;
        }

        Ok(Config {
            database_url: v.get("OCPIZZA_DATABASE_URL").map(SecretString::new),
            database_max_connections: v.parse_or("OCPIZZA_DATABASE_MAX_CONNECTIONS", 32u32, "a positive integer")?,
            listen: v.parse_or(
                "OCPIZZA_LISTEN",
                SocketAddr::from(([127, 0, 0, 1], 8080)),
                "an address like 127.0.0.1:8080",
            )?,
            webhook_secrets: parse_secrets(v.get("OCPIZZA_WEBHOOK_SECRETS"))?,
            webhook_tolerance_secs: tolerance,
            webhook_max_body: v.parse_or("OCPIZZA_WEBHOOK_MAX_BODY_BYTES", 256 * 1024usize, "a number of bytes")?,
            device_tokens: parse_device_tokens(v.get("OCPIZZA_DEVICE_TOKENS"))?,
            admin_token: match v.get("OCPIZZA_ADMIN_TOKEN") {
                Some(t) if t.len() < 16 => {
                    return Err(invalid("OCPIZZA_ADMIN_TOKEN", "must be at least 16 characters"));
                }
                Some(t) => Some(SecretString::new(t)),
                None => None,
            },
            log_format,
            delivery,
            reconcile: ReconcileConfig {
                interval: secs(v.parse_or("OCPIZZA_RECONCILE_INTERVAL_SECS", 30, "a number of seconds")?),
                after: secs(v.parse_or("OCPIZZA_RECONCILE_AFTER_SECS", 60, "a number of seconds")?),
            },
            retention_days,
            dolibarr,
            apns,
            sink,
            prestashop,
            geocoding_key: v.get("OCPIZZA_GEOCODING_KEY").map(SecretString::new),
            geocoding_url: v.url_or("OCPIZZA_GEOCODING_URL", "https://maps.googleapis.com/maps/api/geocode/json")?,
            staff_session: {
                let hours = v.parse_or("OCPIZZA_STAFF_SESSION_HOURS", 12u64, "a number of hours")?;
                if !(1..=24).contains(&hours) {
                    return Err(invalid("OCPIZZA_STAFF_SESSION_HOURS", "must be between 1 and 24 hours (one shift)"));
                }
                Duration::from_secs(hours * 3600)
            },
        })
    }
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}
fn ms(s: u64) -> Duration {
    Duration::from_millis(s)
}

fn parse_secrets(raw: Option<&str>) -> Result<Vec<SecretString>, ConfigError> {
    const VAR: &str = "OCPIZZA_WEBHOOK_SECRETS";
    let Some(raw) = raw else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for (i, s) in raw.split(',').map(str::trim).filter(|s| !s.is_empty()).enumerate() {
        if !s.starts_with("whsec_") {
            // Never echo the value: it may be a real secret pasted without its prefix.
            return Err(invalid(VAR, format!("secret #{} does not start with whsec_", i + 1)));
        }
        if let Err(e) = ocpizza_core::webhooks::Secret::parse(s) {
            return Err(invalid(VAR, format!("secret #{}: {e}", i + 1)));
        }
        out.push(SecretString::new(s));
    }
    Ok(out)
}

fn parse_device_tokens(raw: Option<&str>) -> Result<Vec<DeviceToken>, ConfigError> {
    const VAR: &str = "OCPIZZA_DEVICE_TOKENS";
    let Some(raw) = raw else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for (i, pair) in raw.split(',').map(str::trim).filter(|s| !s.is_empty()).enumerate() {
        let Some((scope, token)) = pair.split_once('=') else {
            return Err(invalid(VAR, format!("entry #{} is not SCOPE=token (SCOPE: a restaurant code or app)", i + 1)));
        };
        let (scope, token) = (scope.trim(), token.trim());
        if token.len() < 16 {
            return Err(invalid(VAR, format!("token of {scope:?} must be at least 16 characters")));
        }
        let scope = if scope.eq_ignore_ascii_case("app") {
            TokenScope::App
        } else if !scope.is_empty() && scope.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-') {
            TokenScope::Restaurant(scope.to_owned())
        } else {
            return Err(invalid(VAR, format!("scope {scope:?} is neither app nor a restaurant code (A-Z, 0-9, -)")));
        };
        out.push(DeviceToken { scope, token: SecretString::new(token) });
    }
    Ok(out)
}

struct Vars<'a>(&'a BTreeMap<String, String>);

impl Vars<'_> {
    fn get(&self, var: &str) -> Option<&str> {
        self.0.get(var).map(|s| s.trim()).filter(|s| !s.is_empty())
    }
    fn any_set(&self, vars: &[&str]) -> bool {
        vars.iter().any(|v| self.get(v).is_some())
    }
    fn required(&self, var: &str) -> Result<&str, ConfigError> {
        self.get(var).ok_or_else(|| ConfigError::Missing { var: var.to_owned() })
    }
    fn parse_or<T: std::str::FromStr>(&self, var: &str, default: T, what: &str) -> Result<T, ConfigError> {
        match self.get(var) {
            None => Ok(default),
            Some(s) => s.parse().map_err(|_| invalid(var, format!("expected {what}, got {s:?}"))),
        }
    }
    fn parse_required<T: std::str::FromStr>(&self, var: &str, what: &str) -> Result<T, ConfigError> {
        let s = self.required(var)?;
        s.parse().map_err(|_| invalid(var, format!("expected {what}, got {s:?}")))
    }
    fn url(&self, var: &str) -> Result<String, ConfigError> {
        check_url(var, self.required(var)?)
    }
    fn url_or(&self, var: &str, default: &str) -> Result<String, ConfigError> {
        check_url(var, self.get(var).unwrap_or(default))
    }
}

fn check_url(var: &str, s: &str) -> Result<String, ConfigError> {
    if !(s.starts_with("http://") || s.starts_with("https://")) || s.len() < "http://x".len() {
        return Err(invalid(var, format!("expected an http:// or https:// URL, got {s:?}")));
    }
    Ok(s.trim_end_matches('/').to_owned())
}

/// Flattens the TOML file into `OCPIZZA_*` names.
fn read_file(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let file_err = |reason: String| ConfigError::File { path: path.display().to_string(), reason };
    let text = std::fs::read_to_string(path).map_err(|e| file_err(e.to_string()))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| file_err(e.message().to_owned()))?;
    let mut out = BTreeMap::new();
    flatten("OCPIZZA", &table, &mut out).map_err(file_err)?;
    // A misspelt key would otherwise be ignored silently.
    if let Some(k) = out.keys().find(|k| !KNOWN.iter().any(|n| k.strip_prefix("OCPIZZA_") == Some(*n))) {
        return Err(file_err(format!("unknown setting {k} (see ocpizza-bridge.example.toml)")));
    }
    Ok(out)
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut BTreeMap<String, String>) -> Result<(), String> {
    for (k, v) in table {
        let name = format!("{prefix}_{}", k.to_ascii_uppercase());
        let scalar = |v: &toml::Value| -> Result<String, String> {
            match v {
                toml::Value::String(s) => Ok(s.clone()),
                toml::Value::Integer(i) => Ok(i.to_string()),
                toml::Value::Float(f) => Ok(f.to_string()),
                toml::Value::Boolean(b) => Ok(b.to_string()),
                _ => Err(format!("{k}: expected a string, a number or a boolean")),
            }
        };
        match v {
            toml::Value::Table(t)
                if matches!(
                    name.as_str(),
                    "OCPIZZA_DEVICE_TOKENS" | "OCPIZZA_DOLIBARR_PAYMENT_TYPES" | "OCPIZZA_DOLIBARR_BANK_ACCOUNTS"
                ) =>
            {
                let pairs: Result<Vec<String>, String> =
                    t.iter().map(|(scope, tok)| Ok(format!("{scope}={}", scalar(tok)?))).collect();
                out.insert(name, pairs?.join(","));
            }
            toml::Value::Table(t) => flatten(&name, t, out)?,
            toml::Value::Array(items) => {
                let items: Result<Vec<String>, String> = items.iter().map(scalar).collect();
                out.insert(name, items?.join(","));
            }
            other => {
                out.insert(name, scalar(other)?);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_and_disabled_destinations() {
        let c = Config::defaults();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.webhook_tolerance_secs, 300);
        assert!(c.dolibarr.is_none() && c.apns.is_none() && c.sink.is_none());
    }

    #[test]
    fn errors_name_the_variable_and_secrets_do_not_print() {
        let e = Config::from_map(&map(&[("OCPIZZA_LISTEN", "nowhere")])).unwrap_err();
        assert!(e.to_string().starts_with("OCPIZZA_LISTEN:"), "{e}");
        let e = Config::from_map(&map(&[("OCPIZZA_WEBHOOK_SECRETS", "notasecret")])).unwrap_err();
        assert!(e.to_string().contains("OCPIZZA_WEBHOOK_SECRETS") && !e.to_string().contains("notasecret"), "{e}");
        let e = Config::from_map(&map(&[("OCPIZZA_DOLIBARR_URL", "https://erp.example/api/index.php")])).unwrap_err();
        assert_eq!(e, ConfigError::Missing { var: "OCPIZZA_DOLIBARR_API_KEY".into() });
        let c = Config::from_map(&map(&[
            ("OCPIZZA_DOLIBARR_URL", "https://erp.example/api/index.php/"),
            ("OCPIZZA_DOLIBARR_API_KEY", "k3y-very-secret"),
            ("OCPIZZA_DOLIBARR_BANK_ACCOUNT_ID", "1"),
            ("OCPIZZA_DEVICE_TOKENS", "BELLECOUR=aaaaaaaaaaaaaaaaaaaa, app=bbbbbbbbbbbbbbbbbbbb"),
        ]))
        .unwrap();
        let printed = format!("{c:?}");
        assert!(!printed.contains("k3y-very-secret") && !printed.contains("aaaaaaaa"), "{printed}");
        assert_eq!(c.dolibarr.unwrap().url, "https://erp.example/api/index.php");
        assert_eq!(c.device_tokens[0].scope, TokenScope::Restaurant("BELLECOUR".into()));
        assert_eq!(c.device_tokens[1].scope, TokenScope::App);
    }

    #[test]
    fn dolibarr_timezone_payment_types_and_accounts_per_provider() {
        let base = [
            ("OCPIZZA_DOLIBARR_URL", "https://erp.example/api/index.php"),
            ("OCPIZZA_DOLIBARR_API_KEY", "k3y-very-secret"),
            ("OCPIZZA_DOLIBARR_BANK_ACCOUNT_ID", "1"),
        ];
        let d = Config::from_map(&map(&base)).unwrap().dolibarr.unwrap();
        assert_eq!(d.timezone, chrono_tz::Europe::Paris);
        let defaults: Vec<(&str, i64)> =
            PAYMENT_PROVIDERS.iter().map(|p| (d.payment_type(p), d.bank_account(p))).collect();
        assert_eq!(defaults, [("CB", 1), ("CB", 1), ("LIQ", 1), ("LIQ", 1)]);

        let mut vars = base.to_vec();
        vars.extend([
            ("OCPIZZA_TIMEZONE", "Pacific/Noumea"),
            ("OCPIZZA_DOLIBARR_PAYMENT_TYPES", "restaurant=CB, card_terminal=CBT"),
            ("OCPIZZA_DOLIBARR_BANK_ACCOUNTS", "cash=3,restaurant=4"),
        ]);
        let d = Config::from_map(&map(&vars)).unwrap().dolibarr.unwrap();
        assert_eq!(d.timezone, chrono_tz::Pacific::Noumea);
        assert_eq!((d.payment_type("restaurant"), d.bank_account("restaurant")), ("CB", 4));
        assert_eq!((d.payment_type("card_terminal"), d.bank_account("card_terminal")), ("CBT", 1));
        assert_eq!((d.payment_type("cash"), d.bank_account("cash")), ("LIQ", 3));

        for (var, value, needle) in [
            ("OCPIZZA_TIMEZONE", "Paris", "IANA"),
            ("OCPIZZA_DOLIBARR_PAYMENT_TYPES", "bitcoin=BTC", "unknown payment provider"),
            ("OCPIZZA_DOLIBARR_PAYMENT_TYPES", "cash", "provider=value"),
            ("OCPIZZA_DOLIBARR_PAYMENT_TYPES", "cash=LIQUIDE", "payment type code"),
            ("OCPIZZA_DOLIBARR_BANK_ACCOUNTS", "cash=0", "positive"),
            ("OCPIZZA_DOLIBARR_PAYMENT_MODE", "C B", "payment type code"),
        ] {
            let mut vars = base.to_vec();
            vars.push((var, value));
            let e = Config::from_map(&map(&vars)).unwrap_err().to_string();
            assert!(e.starts_with(var) && e.contains(needle), "{var}={value}: {e}");
        }
    }

    #[test]
    fn retention_defaults_to_90_days_and_is_validated() {
        assert_eq!(Config::defaults().retention(), Some(Duration::from_secs(90 * 86_400)));
        let c = Config::from_map(&map(&[("OCPIZZA_RETENTION_DAYS", "0")])).unwrap();
        assert_eq!(c.retention(), None);
        let c = Config::from_map(&map(&[("OCPIZZA_RETENTION_DAYS", "7")])).unwrap();
        assert_eq!(c.retention(), Some(Duration::from_secs(7 * 86_400)));
        for (vars, needle) in [
            (&[("OCPIZZA_RETENTION_DAYS", "-1")][..], "expected a number of days"),
            (&[("OCPIZZA_RETENTION_DAYS", "ninety")][..], "expected a number of days"),
            (&[("OCPIZZA_RETENTION_DAYS", "36501")][..], "at most 36500 days"),
            (
                &[("OCPIZZA_RETENTION_DAYS", "1"), ("OCPIZZA_WEBHOOK_TOLERANCE_SECS", "86400")][..],
                "not longer than OCPIZZA_WEBHOOK_TOLERANCE_SECS",
            ),
        ] {
            let e = Config::from_map(&map(vars)).unwrap_err().to_string();
            assert!(e.starts_with("OCPIZZA_RETENTION_DAYS:") && e.contains(needle), "{e}");
        }
        // Keeping everything is compatible with any tolerance.
        let c = map(&[("OCPIZZA_RETENTION_DAYS", "0"), ("OCPIZZA_WEBHOOK_TOLERANCE_SECS", "999999")]);
        assert!(Config::from_map(&c).is_ok());
    }

    #[test]
    fn toml_file_is_flattened_and_env_names_match() {
        let dir = std::env::temp_dir().join(format!("ocpizza-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bridge.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9999\"\nwebhook_tolerance_secs = 120\n[delivery]\nmax_attempts = 3\n\
             [device_tokens]\nGERLAND = \"cccccccccccccccccccc\"\n",
        )
        .unwrap();
        let m = read_file(&path).unwrap();
        assert_eq!(m["OCPIZZA_DELIVERY_MAX_ATTEMPTS"], "3");
        let c = Config::from_map(&m).unwrap();
        assert_eq!(c.listen.port(), 9999);
        assert_eq!(c.webhook_tolerance_secs, 120);
        assert_eq!(c.delivery.max_attempts, 3);
        assert_eq!(c.device_tokens[0].scope, TokenScope::Restaurant("GERLAND".into()));
        std::fs::write(&path, "[delivery]\nmax_attemps = 3\n").unwrap();
        let e = read_file(&path).unwrap_err().to_string();
        assert!(e.contains("unknown setting OCPIZZA_DELIVERY_MAX_ATTEMPS"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[cfg(test)]
mod example_file {
    #[test]
    fn the_shipped_example_file_is_valid() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ocpizza-bridge.example.toml");
        let map = super::read_file(&path).unwrap();
        let c = super::Config::from_map(&map).unwrap();
        assert!(c.dolibarr.is_some() && c.apns.is_some());
        assert_eq!(c.delivery.max_attempts, 12);
        assert_eq!(c.delivery.shutdown_grace.as_secs(), 10);
        assert_eq!(c.delivery.finish_window, std::time::Duration::from_millis(20));
        assert_eq!(c.reconcile.interval.as_secs(), 30);
        assert_eq!(c.retention_days, 90);
    }

    #[test]
    fn prestashop_settings_are_checked_and_states_default_to_prestashops_own() {
        let m = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let key = "ABCDEFGHIJKLMNOPQRSTUVWXYZ123456";
        let c = super::Config::from_map(&m(&[
            ("OCPIZZA_PRESTASHOP_URL", "https://shop.example/"),
            ("OCPIZZA_PRESTASHOP_WS_KEY", key),
            ("OCPIZZA_PRESTASHOP_STATES", "ready=15, cancelled=0"),
        ]))
        .unwrap();
        let p = c.prestashop.unwrap();
        assert_eq!(p.url, "https://shop.example");
        assert_eq!((p.states.get("ready"), p.states.get("delivered"), p.states.get("paid")), (Some(&15), Some(&5), None));
        assert_eq!(p.states.len(), 5);
        assert!(p.send_email);
        assert!(!format!("{:?}", p.ws_key).contains(key));
        for (pairs, needle) in [
            (vec![("OCPIZZA_PRESTASHOP_URL", "https://shop.example")], "OCPIZZA_PRESTASHOP_WS_KEY is required"),
            (vec![("OCPIZZA_PRESTASHOP_WS_KEY", "short")], "OCPIZZA_PRESTASHOP_WS_KEY: must be the 32"),
            (vec![("OCPIZZA_PRESTASHOP_WS_KEY", key)], "OCPIZZA_PRESTASHOP_URL is required"),
            (
                vec![("OCPIZZA_PRESTASHOP_URL", "https://s.example"), ("OCPIZZA_PRESTASHOP_WS_KEY", key), ("OCPIZZA_PRESTASHOP_STATES", "baking=3")],
                "OCPIZZA_PRESTASHOP_STATES: \"baking\" is not one of",
            ),
        ] {
            let e = super::Config::from_map(&m(&pairs)).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
    }

    #[test]
    fn staff_session_hours_default_to_one_shift_and_are_bounded() {
        let c = super::Config::defaults();
        assert_eq!(c.staff_session, std::time::Duration::from_secs(12 * 3600));
        for bad in ["0", "25", "x"] {
            let m = [("OCPIZZA_STAFF_SESSION_HOURS".to_string(), bad.to_string())].into_iter().collect();
            let e = super::Config::from_map(&m).unwrap_err().to_string();
            assert!(e.starts_with("OCPIZZA_STAFF_SESSION_HOURS:"), "{e}");
        }
    }
}
