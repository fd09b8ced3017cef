//! The whole order flow on one machine, for the end-to-end tests, `demo` and `flow-bench`.
//!
//! [`Flow::start`] brings up, all on 127.0.0.1: a seeded OCPizza_DB (a fresh [`TestDb`], or an existing database
//! for the demo), the Dolibarr and APNs stand-ins in this process, the REAL bridge binary configured by
//! `OCPIZZA_*` variables to use them, a kitchen and a driver device registered through `POST /v1/devices`, and
//! a stand-in shop ([`Shop`]) that runs the PrestaShop module's own code with the real extension through
//! `tests/module/bin/demo-shop.php`. Waiting is always a bounded number of polls ([`Flow::wait_for`]), never a
//! duration asserted on. Everything stops by itself: the bridge is killed and the shop's database dropped on drop.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;
use sqlx::{Executor, MySqlPool};
use tokio::process::{Child, Command};

use crate::apns::{AcceptedPush, FakeApns, FakeApnsError, FakeApnsOptions};
use crate::dolibarr::FakeDolibarr;
use crate::sogecommerce::FakeSogeCommerce;
use ocpizza_db::testing::TestDb;

/// The API key the Dolibarr stand-in expects and the bridge sends.
pub const DOLIBARR_KEY: &str = "e2e-dolibarr-api-key-0001";
/// The stand-in's current (non-cash) bank account.
pub const DOLIBARR_BANK_ACCOUNT: i64 = 1;
/// The shop id (demo-shop.php's default site id) and TEST REST password the SogeCommerce REST stand-in accepts.
pub const SOGECOMMERCE_SHOP_ID: &str = "12345678";
pub const SOGECOMMERCE_REST_PASSWORD: &str = "testpassword_E2eRefundsQm4Zx8Lp2Vn";
/// How many times a wait polls, and how long it sleeps between polls (so a wait gives up after about a minute).
pub const POLL_TRIES: u32 = 1200;
pub const POLL_EVERY: Duration = Duration::from_millis(50);

#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("{what} not found at {path}: run `cargo build --workspace` first (make test does)")]
    NotBuilt { what: &'static str, path: PathBuf },
    #[error(
        "the ocpizza extension at {0} does not define OCPizza\\SogeCommerce (is php-ext complete and built?)"
    )]
    ExtensionIncomplete(PathBuf),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database: {0}")]
    DbConnect(#[from] ocpizza_db::DbError),
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error(transparent)]
    Apns(#[from] FakeApnsError),
    #[error("demo-shop {command}: exit status {status}; stdout: {stdout}; stderr: {stderr}")]
    Shop {
        command: String,
        status: String,
        stdout: String,
        stderr: String,
    },
    #[error("demo-shop {command}: no JSON line in its output: {stdout}")]
    ShopOutput { command: String, stdout: String },
    #[error("bridge: {reason}; last lines of its log ({log}):\n{tail}")]
    Bridge {
        reason: String,
        log: PathBuf,
        tail: String,
    },
    #[error("device registration answered {status}: {body}")]
    Device { status: u16, body: String },
    #[error("the flow has no SogeCommerce REST stand-in (FlowOptions::sogecommerce)")]
    NoSogeCommerce,
    #[error("gave up waiting for {what} after {tries} polls; last seen: {last}")]
    Timeout {
        what: String,
        tries: u32,
        last: String,
    },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> HarnessError {
    let what = what.into();
    move |source| HarnessError::Io { what, source }
}

/// `POST /v1/orders/{reference}/status` as the staff app sends it (`expected_status` when given).
pub fn staff_status(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    reference: &str,
    to: &str,
    expected: Option<&str>,
) -> reqwest::RequestBuilder {
    let mut body = serde_json::json!({ "status": to });
    if let Some(e) = expected {
        body["expected_status"] = serde_json::json!(e);
    }
    http.post(format!("{base}/v1/orders/{reference}/status")).bearer_auth(token).json(&body)
}

/// The built pieces the flow runs: the bridge binary, the PHP extension and the shop script.
#[derive(Debug, Clone)]
pub struct Artefacts {
    pub root: PathBuf,
    pub bridge: PathBuf,
    pub extension: PathBuf,
    pub shop_script: PathBuf,
}

impl Artefacts {
    /// Next to the running executable's target directory (`target/debug`, also from `target/debug/deps`), or
    /// `OCPIZZA_BRIDGE_BIN` / `OCPIZZA_EXTENSION`.
    pub fn locate() -> Result<Artefacts, HarnessError> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("tests/ has a parent")
            .to_path_buf();
        let exe = std::env::current_exe().map_err(io("locating the running executable"))?;
        let mut dir = exe
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| root.join("target/debug"));
        if dir
            .file_name()
            .is_some_and(|n| n == "deps" || n == "examples")
        {
            dir.pop();
        }
        let bridge = std::env::var_os("OCPIZZA_BRIDGE_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| dir.join("ocpizza-bridge"));
        let extension = std::env::var_os("OCPIZZA_EXTENSION")
            .map(PathBuf::from)
            .unwrap_or_else(|| dir.join("libocpizza.so"));
        let shop_script = root.join("tests/module/bin/demo-shop.php");
        for (what, path) in [
            ("the bridge binary", &bridge),
            ("the PHP extension", &extension),
            ("demo-shop.php", &shop_script),
        ] {
            if !path.is_file() {
                return Err(HarnessError::NotBuilt {
                    what,
                    path: path.clone(),
                });
            }
        }
        let extension = extension
            .canonicalize()
            .map_err(io("resolving the extension path"))?;
        Ok(Artefacts {
            root,
            bridge,
            extension,
            shop_script,
        })
    }

    /// `ocpizza-bridge staff set-pin RESTAURANT LOGIN` with the PIN on stdin, as an operator runs it; its stdout.
    pub async fn set_pin(&self, db_url: &str, restaurant: &str, login: &str, pin: &str) -> Result<String, HarnessError> {
        use tokio::io::AsyncWriteExt as _;
        let what = format!("staff set-pin {restaurant} {login}");
        let mut child = Command::new(&self.bridge)
            .args(["staff", "set-pin", restaurant, login])
            .env("OCPIZZA_DATABASE_URL", db_url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(io(what.clone()))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(format!("{pin}\n").as_bytes()).await.map_err(io(what.clone()))?;
        }
        let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .map_err(|_| HarnessError::Timeout { what: what.clone(), tries: 1, last: "still running after 60 s".into() })?
            .map_err(io(what.clone()))?;
        if !out.status.success() {
            return Err(HarnessError::Shop {
                command: what,
                status: out.status.to_string(),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }
}

/// OCPizza_DB for the run: a fresh seeded test database (dropped afterwards) or an existing one (the demo's).
pub enum Database {
    Test(TestDb),
    Existing { url: String, pool: MySqlPool },
}

impl Database {
    pub async fn seeded_test() -> Database {
        Database::Test(TestDb::seeded().await)
    }

    pub async fn existing(url: &str) -> Result<Database, HarnessError> {
        let pool = ocpizza_db::connect(url).await?;
        Ok(Database::Existing {
            url: url.to_owned(),
            pool,
        })
    }

    pub fn url(&self) -> &str {
        match self {
            Database::Test(t) => &t.url,
            Database::Existing { url, .. } => url,
        }
    }

    pub fn pool(&self) -> &MySqlPool {
        match self {
            Database::Test(t) => &t.pool,
            Database::Existing { pool, .. } => pool,
        }
    }
}

/// A free loopback port (the bridge keeps it across restarts, so the shop's configured URL stays right).
fn free_addr() -> Result<SocketAddr, HarnessError> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(io("finding a free port"))?;
    l.local_addr().map_err(io("finding a free port"))
}

fn random_hex(bytes32: usize) -> String {
    (0..bytes32)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect()
}

fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

// ---------------------------------------------------------------------------------------------------------------
// The bridge process.

/// The real `ocpizza-bridge serve`, stopped with SIGTERM like systemd does, killed if the harness is dropped.
pub struct Bridge {
    bin: PathBuf,
    env: Vec<(String, String)>,
    pub addr: SocketAddr,
    pub log: PathBuf,
    child: Option<Child>,
    http: reqwest::Client,
}

impl Bridge {
    async fn start(
        bin: PathBuf,
        env: Vec<(String, String)>,
        addr: SocketAddr,
        log: PathBuf,
    ) -> Result<Bridge, HarnessError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?;
        let mut b = Bridge {
            bin,
            env,
            addr,
            log,
            child: None,
            http,
        };
        b.spawn().await?;
        Ok(b)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    fn failure(&self, reason: impl Into<String>) -> HarnessError {
        HarnessError::Bridge {
            reason: reason.into(),
            log: self.log.clone(),
            tail: log_tail(&self.log, 25),
        }
    }

    async fn spawn(&mut self) -> Result<(), HarnessError> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(io("opening the bridge log"))?;
        let log2 = log.try_clone().map_err(io("opening the bridge log"))?;
        let mut cmd = Command::new(&self.bin);
        cmd.arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log2))
            .kill_on_drop(true);
        // Only the configuration given here: nothing inherited from the caller's OCPIZZA_* environment.
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("OCPIZZA_")) {
            cmd.env_remove(k);
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let child = cmd
            .spawn()
            .map_err(io(format!("starting {}", self.bin.display())))?;
        self.child = Some(child);
        self.wait_ready().await
    }

    /// Polls `/readyz` until it answers 200, failing early if the process exits.
    async fn wait_ready(&mut self) -> Result<(), HarnessError> {
        let url = format!("{}/readyz", self.url());
        let mut last = String::from("no answer");
        for _ in 0..POLL_TRIES {
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if let Some(status) = exited {
                self.child = None;
                return Err(self.failure(format!("exited during start-up with {status}")));
            }
            match self.http.get(&url).send().await {
                Ok(r) if r.status().is_success() => return Ok(()),
                Ok(r) => last = format!("{} {}", r.status(), r.text().await.unwrap_or_default()),
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
        Err(self.failure(format!("/readyz never answered 200 (last: {last})")))
    }

    /// SIGTERM, then waits for the graceful shutdown (bounded; killed if it does not end).
    pub async fn stop(&mut self) -> Result<(), HarnessError> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if let Some(pid) = child.id() {
            // SAFETY: plain kill(2) on the pid of our own child, which has not been reaped yet.
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGTERM);
            }
        }
        match tokio::time::timeout(Duration::from_secs(30), child.wait()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(io("waiting for the bridge to stop")(e)),
            Err(_) => {
                let _ = child.kill().await;
                Err(self.failure("did not stop within 30 s of SIGTERM (killed)"))
            }
        }
    }

    /// Starts it again with the same configuration and port.
    pub async fn restart(&mut self) -> Result<(), HarnessError> {
        self.stop().await?;
        self.spawn().await
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The stand-in shop.

/// A cart as `demo-shop.php cart` reports it.
#[derive(Debug, Clone)]
pub struct Cart {
    pub id: i64,
    /// Euros with two decimals, as the shop computes the cart total (e.g. `24.80`).
    pub total: String,
    pub problems: Vec<String>,
}

impl Cart {
    pub fn total_cents(&self) -> i64 {
        let (e, c) = self.total.split_once('.').unwrap_or((&self.total, "0"));
        e.parse::<i64>().unwrap_or(0) * 100 + format!("{c:0<2}")[..2].parse::<i64>().unwrap_or(0)
    }
}

/// The PrestaShop module's own code on the PrestaShop stand-in (not PrestaShop), with the real extension.
pub struct Shop {
    root: PathBuf,
    extension: PathBuf,
    script: PathBuf,
    pub standin_db: String,
    env: Vec<(String, String)>,
    /// State ids of the module's custom order states and PrestaShop's, by configuration key.
    pub states: Value,
}

impl Shop {
    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new("php");
        cmd.current_dir(&self.root)
            .arg("-d")
            .arg(format!("extension={}", self.extension.display()))
            .arg(&self.script)
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null());
        cmd
    }

    /// Runs one demo-shop command and returns the JSON line it printed.
    pub async fn run(&self, args: &[&str]) -> Result<Value, HarnessError> {
        let command = args.join(" ");
        let out = Command::from(self.command(args))
            .kill_on_drop(true)
            .output()
            .await
            .map_err(io(format!("running php demo-shop.php {command}")))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() {
            return Err(HarnessError::Shop {
                command,
                status: out.status.to_string(),
                stdout,
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
        }
        stdout
            .lines()
            .rev()
            .find_map(|l| {
                serde_json::from_str::<Value>(l)
                    .ok()
                    .filter(Value::is_object)
            })
            .ok_or(HarnessError::ShopOutput { command, stdout })
    }

    /// `where_`: a delivery postcode (e.g. `69002`) or `pickup:CODE`; lines: SKU and quantity.
    pub async fn cart(&self, where_: &str, lines: &[(&str, u32)]) -> Result<Cart, HarnessError> {
        let mut args = vec!["cart".to_owned(), where_.to_owned()];
        args.extend(lines.iter().map(|(sku, q)| format!("{sku}:{q}")));
        let v = self
            .run(&args.iter().map(String::as_str).collect::<Vec<_>>())
            .await?;
        Ok(Cart {
            id: v["cart_id"].as_i64().unwrap_or_default(),
            total: v["total"].as_str().unwrap_or_default().to_owned(),
            problems: v["problems"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|p| p.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    pub async fn checkout_card(&self, cart: i64) -> Result<Value, HarnessError> {
        self.run(&["checkout-card", &cart.to_string()]).await
    }

    /// The gateway's IPN for this cart, signed with the TEST key; `amount` in cents, default the cart total.
    pub async fn ipn(
        &self,
        cart: i64,
        status: &str,
        amount: Option<i64>,
    ) -> Result<Value, HarnessError> {
        let cart = cart.to_string();
        let amount = amount.map(|a| a.to_string());
        let mut args = vec!["ipn", cart.as_str(), status];
        if let Some(a) = &amount {
            args.push(a);
        }
        self.run(&args).await
    }

    /// The IPN of a DEBIT with this uuid (the gateway's transaction), answering what `ipn` answers.
    pub async fn ipn_with_uuid(
        &self,
        cart: i64,
        status: &str,
        amount: i64,
        uuid: &str,
    ) -> Result<Value, HarnessError> {
        self.run(&["ipn", &cart.to_string(), status, &amount.to_string(), uuid])
            .await
    }

    /// The gateway's CREDIT notification of a refund (its own uuid, the amount in cents).
    pub async fn ipn_credit(
        &self,
        cart: i64,
        credit_uuid: &str,
        amount: i64,
    ) -> Result<Value, HarnessError> {
        self.run(&[
            "ipn-credit",
            &cart.to_string(),
            credit_uuid,
            &amount.to_string(),
        ])
        .await
    }

    /// An employee moves the order to `PS_OS_REFUND` or `PS_OS_CANCELED` in the back office; answers the order's
    /// state and its `ocpizza_refund` rows.
    pub async fn refund(&self, order: i64, state_key: &str) -> Result<Value, HarnessError> {
        self.run(&["refund", &order.to_string(), state_key]).await
    }

    /// The order's state (`state`, `state_name`) and its `ocpizza_refund` rows (`refunds`).
    pub async fn show(&self, order: i64) -> Result<Value, HarnessError> {
        self.run(&["show", &order.to_string()]).await
    }

    pub async fn offline(&self, cart: i64, method: &str) -> Result<Value, HarnessError> {
        self.run(&["offline", &cart.to_string(), method]).await
    }

    /// Moves a shop order to the state of this configuration key (`OCPIZZA_OS_PREPARING`, `PS_OS_DELIVERED`…).
    pub async fn state(&self, order: i64, key: &str) -> Result<Value, HarnessError> {
        self.run(&["state", &order.to_string(), key]).await
    }

    pub async fn publish(&self) -> Result<Value, HarnessError> {
        self.run(&["publish"]).await
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        let _ = self
            .command(&["drop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Rows of OCPizza_DB, as the checks read them. Text columns are CAST AS CHAR: sqlx reads the ascii_bin ones
// (reference, currency, destination…) as VARBINARY and refuses to decode them into String.

/// id, shop_order_id, reference, restaurant code, fulfilment, payment method, currency, total, status.
type OrderRow = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
);

#[derive(Debug, Clone, PartialEq)]
pub struct DbOrder {
    pub id: i64,
    pub shop_order_id: i64,
    pub reference: String,
    pub restaurant: String,
    pub fulfilment: String,
    pub payment_method: String,
    pub currency: String,
    pub total_cents: i64,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DbLine {
    pub kind: String,
    pub sku: Option<String>,
    pub name: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DbPayment {
    pub provider: String,
    pub status: String,
    pub amount_cents: i64,
    pub currency: String,
    pub transaction_key: String,
}

/// One refund of OCPizza_DB, with the key of the payment it gives back.
#[derive(Debug, Clone, PartialEq)]
pub struct DbRefund {
    pub source: String,
    pub amount_cents: i64,
    pub currency: String,
    pub transaction_uuid: Option<String>,
    pub requested_by: Option<String>,
    pub reason: Option<String>,
    pub payment_key: String,
    /// The refund's own idempotency key (the gateway's CREDIT, as the module's `RefundKey` builds it).
    pub key: String,
}

/// One delivery row of the bridge, with the event it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct DbDelivery {
    pub event_type: String,
    pub destination: String,
    pub status: String,
    pub received_via: String,
    pub last_error: Option<String>,
}

// ---------------------------------------------------------------------------------------------------------------
// The flow.

#[derive(Debug, Clone)]
pub struct FlowOptions {
    /// The restaurant whose devices are registered (the orders' restaurant).
    pub restaurant: String,
    /// Keep every accepted push in the APNs stand-in (the benchmark turns it off only if it must).
    pub keep_pushes: bool,
    /// More bridge configuration (e.g. `OCPIZZA_PRESTASHOP_URL` of a Webservice stand-in the caller started).
    pub extra_env: Vec<(String, String)>,
    /// Start the SogeCommerce REST stand-in and configure the shop's REST API URL and TEST password with it, for
    /// refunds from the back office ([`Flow::pay_by_card`] makes the paid transaction known to it).
    pub sogecommerce: bool,
}

impl Default for FlowOptions {
    fn default() -> Self {
        FlowOptions {
            restaurant: "BELLECOUR".into(),
            keep_pushes: true,
            extra_env: Vec::new(),
            sogecommerce: false,
        }
    }
}

pub struct Flow {
    // Field order is drop order: the shop's database is dropped and the bridge killed before the stand-ins go.
    pub shop: Shop,
    pub bridge: Bridge,
    pub dolibarr: FakeDolibarr,
    pub apns: FakeApns,
    /// The SogeCommerce REST stand-in, when asked for ([`FlowOptions::sogecommerce`]).
    pub sogecommerce: Option<FakeSogeCommerce>,
    pub db: Database,
    pub restaurant: String,
    /// APNs tokens of the restaurant's kitchen (pizzaiolo) and driver devices.
    pub kitchen_device: String,
    pub driver_device: String,
    pub admin_token: String,
    /// The restaurant-scoped bearer token that registers devices.
    device_bearer: String,
    _dir: ScratchDir,
}

/// The run's files (APNs CA and key, bridge log), removed on drop, also when the start-up fails half-way.
struct ScratchDir(PathBuf);

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Flow {
    /// Everything up and the two devices registered; the shop installed with order and cart ids above every
    /// `shop_order_id` already in the database (so runs never collide with the seed or an earlier demo run).
    pub async fn start(db: Database, opts: FlowOptions) -> Result<Flow, HarnessError> {
        let art = Artefacts::locate()?;
        let dir = std::env::temp_dir().join(format!(
            "ocpizza-flow-{}-{}",
            std::process::id(),
            random_hex(1)
        ));
        std::fs::create_dir_all(&dir).map_err(io(format!("creating {}", dir.display())))?;
        let dir = ScratchDir(dir);
        let dir_path = dir.0.clone();
        let dir_path = dir_path.as_path();

        let dolibarr = FakeDolibarr::start(DOLIBARR_KEY).await;
        let apns = FakeApns::start(FakeApnsOptions {
            keep_accepted: opts.keep_pushes,
            ..FakeApnsOptions::default()
        })
        .await?;
        let ca = dir_path.join("apns-ca.pem");
        let key = dir_path.join("apns-key.p8");
        std::fs::write(&ca, &apns.ca_pem).map_err(io("writing the APNs CA"))?;
        std::fs::write(&key, &apns.key_p8_pem).map_err(io("writing the APNs key"))?;

        let secret = format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD
                .encode(uuid::Uuid::new_v4().as_bytes().repeat(2))
        );
        let device_token = format!("dev-{}", random_hex(1));
        let admin_token = format!("adm-{}", random_hex(1));
        let addr = free_addr()?;
        let o = apns.options();
        let env: Vec<(String, String)> = [
            ("OCPIZZA_DATABASE_URL", db.url().to_owned()),
            ("OCPIZZA_LISTEN", addr.to_string()),
            ("OCPIZZA_WEBHOOK_SECRETS", secret.clone()),
            (
                "OCPIZZA_DEVICE_TOKENS",
                format!("{}={device_token}", opts.restaurant),
            ),
            ("OCPIZZA_ADMIN_TOKEN", admin_token.clone()),
            ("OCPIZZA_DOLIBARR_URL", dolibarr.url()),
            ("OCPIZZA_DOLIBARR_API_KEY", DOLIBARR_KEY.to_owned()),
            (
                "OCPIZZA_DOLIBARR_BANK_ACCOUNT_ID",
                DOLIBARR_BANK_ACCOUNT.to_string(),
            ),
            ("OCPIZZA_APNS_ENDPOINT", apns.endpoint()),
            ("OCPIZZA_APNS_SANDBOX_ENDPOINT", apns.endpoint()),
            ("OCPIZZA_APNS_CA_FILE", ca.display().to_string()),
            ("OCPIZZA_APNS_KEY_FILE", key.display().to_string()),
            ("OCPIZZA_APNS_KEY_ID", o.key_id.clone()),
            ("OCPIZZA_APNS_TEAM_ID", o.team_id.clone()),
            ("OCPIZZA_APNS_TOPIC", o.topic.clone()),
            // Short intervals so a test sees reconciliation and retries within its bounded waits.
            ("OCPIZZA_RECONCILE_INTERVAL_SECS", "1".to_owned()),
            ("OCPIZZA_RECONCILE_AFTER_SECS", "2".to_owned()),
            ("OCPIZZA_DELIVERY_BACKOFF_BASE_MS", "200".to_owned()),
            ("OCPIZZA_DELIVERY_BACKOFF_MAX_SECS", "2".to_owned()),
            ("OCPIZZA_DELIVERY_POLL_MS", "50".to_owned()),
            ("OCPIZZA_SHUTDOWN_GRACE_SECS", "3".to_owned()),
            ("OCPIZZA_DATABASE_MAX_CONNECTIONS", "8".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .chain(opts.extra_env.iter().cloned())
        .chain(
            std::env::var("RUST_LOG")
                .ok()
                .map(|v| ("RUST_LOG".to_owned(), v)),
        )
        .collect();
        let bridge =
            Bridge::start(art.bridge.clone(), env, addr, dir_path.join("bridge.log")).await?;

        let kitchen_device = random_hex(2);
        let driver_device = random_hex(2);
        for (token, role) in [(&kitchen_device, "pizzaiolo"), (&driver_device, "driver")] {
            register_device(&bridge, &device_token, token, &opts.restaurant, role).await?;
        }

        check_extension(&art).await?;
        let sogecommerce = if opts.sogecommerce {
            let fake = FakeSogeCommerce::start(SOGECOMMERCE_SHOP_ID, SOGECOMMERCE_REST_PASSWORD)
                .await
                .map_err(io("starting the SogeCommerce REST stand-in"))?;
            // The refunds' CREDIT uuids become OCPizza_DB keys: new ones at every run (the demo's database is kept).
            fake.set_credit_base(uuid::Uuid::new_v4().as_u128() & !0xffff_ffff);
            Some(fake)
        } else {
            None
        };
        let shop = start_shop(&art, &db, &bridge, &secret, sogecommerce.as_ref()).await?;
        Ok(Flow {
            shop,
            bridge,
            dolibarr,
            apns,
            sogecommerce,
            db,
            restaurant: opts.restaurant,
            kitchen_device,
            driver_device,
            admin_token,
            device_bearer: device_token,
            _dir: dir,
        })
    }

    /// Unregisters the two devices through `DELETE /v1/devices/{token}` (the demo's database outlives the run).
    pub async fn unregister_devices(&self) -> Result<(), HarnessError> {
        for token in [&self.kitchen_device, &self.driver_device] {
            let r = self
                .bridge
                .http
                .delete(format!("{}/v1/devices/{token}", self.bridge.url()))
                .bearer_auth(&self.device_bearer)
                .send()
                .await?;
            if !r.status().is_success() {
                let status = r.status().as_u16();
                return Err(HarnessError::Device {
                    status,
                    body: r.text().await.unwrap_or_default(),
                });
            }
        }
        Ok(())
    }

    pub fn pool(&self) -> &MySqlPool {
        self.db.pool()
    }

    /// The customer pays the cart by card: the gateway's IPN (`CAPTURED`, the cart's total) with a transaction the
    /// SogeCommerce REST stand-in knows as captured for that amount, so that the back office can refund it.
    /// Answers the IPN's JSON (`order_id`, `trans_uuid`, …).
    pub async fn pay_by_card(&self, cart: &Cart) -> Result<Value, HarnessError> {
        let fake = self
            .sogecommerce
            .as_ref()
            .ok_or(HarnessError::NoSogeCommerce)?;
        let uuid = uuid::Uuid::new_v4().simple().to_string();
        let amount = cart.total_cents();
        fake.add(&uuid, amount, "EUR", true);
        self.shop
            .ipn_with_uuid(cart.id, "CAPTURED", amount, &uuid)
            .await
    }

    /// OCPizza_DB's refunds of the order, oldest first.
    pub async fn refunds(&self, shop_order_id: i64) -> Result<Vec<DbRefund>, HarnessError> {
        type Row = (
            String,
            i64,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            String,
            String,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT CAST(r.source AS CHAR), r.amount_cents, CAST(r.currency AS CHAR), CAST(r.transaction_uuid AS CHAR), \
             CAST(r.requested_by AS CHAR), CAST(r.reason AS CHAR), CAST(p.transaction_key AS CHAR), CAST(r.transaction_key AS CHAR) FROM refunds r \
             JOIN payments p ON p.id = r.payment_id JOIN orders o ON o.id = p.order_id WHERE o.shop_order_id = ? ORDER BY r.id",
        )
        .bind(shop_order_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| DbRefund {
                source: r.0,
                amount_cents: r.1,
                currency: r.2,
                transaction_uuid: r.3,
                requested_by: r.4,
                reason: r.5,
                payment_key: r.6,
                key: r.7,
            })
            .collect())
    }

    /// Polls `check` until it returns `Some` (at most [`POLL_TRIES`] times, [`POLL_EVERY`] apart); `describe`
    /// tells what was last seen when it gives up.
    pub async fn wait_for<T, F, Fut>(&self, what: &str, mut check: F) -> Result<T, HarnessError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(Option<T>, String), HarnessError>>,
    {
        let mut last = String::new();
        for _ in 0..POLL_TRIES {
            let (found, seen) = check().await?;
            if let Some(v) = found {
                return Ok(v);
            }
            last = seen;
            tokio::time::sleep(POLL_EVERY).await;
        }
        let tail = log_tail(&self.bridge.log, 15);
        Err(HarnessError::Timeout {
            what: what.to_owned(),
            tries: POLL_TRIES,
            last: format!("{last}\nlast lines of the bridge log:\n{tail}"),
        })
    }

    pub async fn order(&self, shop_order_id: i64) -> Result<Option<DbOrder>, HarnessError> {
        let row: Option<OrderRow> = sqlx::query_as(
            "SELECT o.id, o.shop_order_id, CAST(o.reference AS CHAR), CAST(r.code AS CHAR), CAST(o.fulfilment AS CHAR), \
             CAST(o.payment_method AS CHAR), CAST(o.currency AS CHAR), o.total_cents, CAST(o.status AS CHAR) FROM orders o JOIN restaurants r ON r.id = o.restaurant_id WHERE o.shop_order_id = ?",
        )
        .bind(shop_order_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| DbOrder {
            id: r.0,
            shop_order_id: r.1,
            reference: r.2,
            restaurant: r.3,
            fulfilment: r.4,
            payment_method: r.5,
            currency: r.6,
            total_cents: r.7,
            status: r.8,
        }))
    }

    pub async fn lines(&self, order_id: i64) -> Result<Vec<DbLine>, HarnessError> {
        let rows: Vec<(String, Option<String>, String, i64, i64)> = sqlx::query_as(
            "SELECT CAST(l.kind AS CHAR), CAST(p.sku AS CHAR), CAST(l.name AS CHAR), CAST(l.quantity AS SIGNED), CAST(l.unit_price_cents AS SIGNED) \
             FROM order_lines l LEFT JOIN products p ON p.id = l.product_id WHERE l.order_id = ? ORDER BY l.line_no",
        )
        .bind(order_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| DbLine {
                kind: r.0,
                sku: r.1,
                name: r.2,
                quantity: r.3,
                unit_price_cents: r.4,
            })
            .collect())
    }

    pub async fn payments(&self, order_id: i64) -> Result<Vec<DbPayment>, HarnessError> {
        let rows: Vec<(String, String, i64, String, String)> = sqlx::query_as(
            "SELECT CAST(provider AS CHAR), CAST(status AS CHAR), amount_cents, CAST(currency AS CHAR), \
             CAST(transaction_key AS CHAR) FROM payments WHERE order_id = ? ORDER BY id",
        )
        .bind(order_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| DbPayment {
                provider: r.0,
                status: r.1,
                amount_cents: r.2,
                currency: r.3,
                transaction_key: r.4,
            })
            .collect())
    }

    /// The statuses the order went through, in order.
    pub async fn history(&self, order_id: i64) -> Result<Vec<String>, HarnessError> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT CAST(to_status AS CHAR) FROM order_status_history WHERE order_id = ? ORDER BY seq")
                .bind(order_id)
                .fetch_all(self.pool())
                .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// (movements, units taken) of the order's stock movements.
    pub async fn stock_taken(&self, order_id: i64) -> Result<(i64, i64), HarnessError> {
        let (n, taken): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(-SUM(delta), 0) AS SIGNED) FROM stock_movements \
             WHERE order_id = ? AND reason = 'order'",
        )
        .bind(order_id)
        .fetch_one(self.pool())
        .await?;
        Ok((n, taken))
    }

    /// The order's outbox events: (type, published).
    pub async fn outbox(&self, shop_order_id: i64) -> Result<Vec<(String, bool)>, HarnessError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT CAST(event_type AS CHAR), CAST(published_at IS NOT NULL AS SIGNED) FROM outbox WHERE shop_order_id = ? ORDER BY id",
        )
        .bind(shop_order_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(t, p)| (t, p != 0)).collect())
    }

    /// The bridge's inbox rows for the order: (event type, received via).
    pub async fn inbox(&self, shop_order_id: i64) -> Result<Vec<(String, String)>, HarnessError> {
        Ok(sqlx::query_as("SELECT CAST(event_type AS CHAR), CAST(received_via AS CHAR) FROM inbox WHERE shop_order_id = ? ORDER BY id")
            .bind(shop_order_id)
            .fetch_all(self.pool())
            .await?)
    }

    pub async fn deliveries(&self, shop_order_id: i64) -> Result<Vec<DbDelivery>, HarnessError> {
        let rows: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT CAST(i.event_type AS CHAR), CAST(d.destination AS CHAR), CAST(d.status AS CHAR), \
             CAST(i.received_via AS CHAR), CAST(d.last_error AS CHAR) FROM deliveries d \
             JOIN inbox i ON i.id = d.inbox_id WHERE i.shop_order_id = ? ORDER BY d.id",
        )
        .bind(shop_order_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| DbDelivery {
                event_type: r.0,
                destination: r.1,
                status: r.2,
                received_via: r.3,
                last_error: r.4,
            })
            .collect())
    }

    /// Waits until the bridge holds an inbox row for every outbox event of the order and every delivery row of
    /// the order is `done`; answers the deliveries. A `dead` row ends the wait with an error at once.
    pub async fn wait_relayed(&self, shop_order_id: i64) -> Result<Vec<DbDelivery>, HarnessError> {
        self.wait_for(
            &format!("every event of shop order {shop_order_id} relayed (deliveries done)"),
            || async move {
                let outbox = self.outbox(shop_order_id).await?;
                let inbox = self.inbox(shop_order_id).await?;
                let d = self.deliveries(shop_order_id).await?;
                if let Some(dead) = d.iter().find(|d| d.status == "dead") {
                    return Err(HarnessError::Timeout {
                        what: format!("delivery of {} to {}", dead.event_type, dead.destination),
                        tries: 0,
                        last: format!("dead: {}", dead.last_error.clone().unwrap_or_default()),
                    });
                }
                let seen = format!("outbox {outbox:?}; inbox {inbox:?}; deliveries {d:?}");
                let all_in = !outbox.is_empty() && inbox.len() >= outbox.len();
                let done = !d.is_empty() && d.iter().all(|d| d.status == "done");
                Ok((if all_in && done { Some(d) } else { None }, seen))
            },
        )
        .await
    }

    /// Pushes the APNs stand-in accepted for this device and order.
    pub fn pushes(&self, device: &str, shop_order_id: i64) -> Vec<AcceptedPush> {
        self.apns
            .accepted()
            .into_iter()
            .filter(|p| {
                p.token == device && p.payload["shop_order_id"].as_i64() == Some(shop_order_id)
            })
            .collect()
    }

    /// Waits until this device has received `n` pushes for the order, and answers them.
    pub async fn wait_pushes(
        &self,
        device: &str,
        shop_order_id: i64,
        n: usize,
    ) -> Result<Vec<AcceptedPush>, HarnessError> {
        self.wait_for(
            &format!("{n} push(es) of shop order {shop_order_id} accepted for a device"),
            || async move {
                let p = self.pushes(device, shop_order_id);
                let seen = format!(
                    "{} pushes: {:?}",
                    p.len(),
                    p.iter().map(|p| &p.payload).collect::<Vec<_>>()
                );
                Ok((if p.len() >= n { Some(p) } else { None }, seen))
            },
        )
        .await
    }

    /// The Dolibarr order of a shop order (ref_ext `PS-<id>`) once `ready` holds for it.
    pub async fn wait_dolibarr_order(
        &self,
        shop_order_id: i64,
        what: &str,
        ready: impl Fn(&Value) -> bool,
    ) -> Result<Value, HarnessError> {
        let ref_ext = format!("PS-{shop_order_id}");
        let ready = &ready;
        let ref_ext = &ref_ext;
        self.wait_for(&format!("Dolibarr order {ref_ext} {what}"), || async move {
            let found = self.dolibarr.order_by_ref_ext(ref_ext);
            let seen = format!("{found:?}");
            Ok((found.into_iter().find(|o| ready(o)), seen))
        })
        .await
    }

    /// The Dolibarr invoices linked to a Dolibarr order id, and the payments of those invoices.
    pub fn dolibarr_invoices(&self, dolibarr_order_id: &str) -> (Vec<Value>, Vec<Value>) {
        let invoices: Vec<Value> = self
            .dolibarr
            .invoices()
            .into_iter()
            .filter(|i| {
                i["linkedObjectsIds"]["commande"]
                    .as_object()
                    .is_some_and(|m| m.values().any(|v| v.as_str() == Some(dolibarr_order_id)))
            })
            .collect();
        let ids: Vec<String> = invoices
            .iter()
            .filter_map(|i| i["id"].as_str().map(str::to_owned))
            .collect();
        let payments = self
            .dolibarr
            .payments()
            .into_iter()
            .filter(|p| {
                p["fk_facture"]
                    .as_str()
                    .is_some_and(|f| ids.iter().any(|i| i == f))
            })
            .collect();
        (invoices, payments)
    }

    /// Waits until the order has a validated invoice and as many payments as `payments`.
    pub async fn wait_dolibarr_paid(
        &self,
        dolibarr_order_id: &str,
    ) -> Result<(Value, Value), HarnessError> {
        self.wait_for(
            &format!("Dolibarr order {dolibarr_order_id} invoiced and paid"),
            || async move {
                let (inv, pay) = self.dolibarr_invoices(dolibarr_order_id);
                let seen = format!("invoices {inv:?}; payments {pay:?}");
                let done = inv.len() == 1 && inv[0]["statut"] != "0" && !pay.is_empty();
                Ok((
                    if done {
                        Some((inv[0].clone(), pay[0].clone()))
                    } else {
                        None
                    },
                    seen,
                ))
            },
        )
        .await
    }
}

/// `php -d extension=… -r` that the extension defines the class the module needs, for a clear message when not.
async fn check_extension(art: &Artefacts) -> Result<(), HarnessError> {
    let st = Command::new("php")
        .arg("-d")
        .arg(format!("extension={}", art.extension.display()))
        .arg("-r")
        .arg("exit(class_exists('OCPizza\\\\SogeCommerce') ? 0 : 3);")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .map_err(io("running php (is php8.2-cli installed?)"))?;
    if st.success() {
        Ok(())
    } else {
        Err(HarnessError::ExtensionIncomplete(art.extension.clone()))
    }
}

async fn register_device(
    bridge: &Bridge,
    bearer: &str,
    token: &str,
    restaurant: &str,
    role: &str,
) -> Result<(), HarnessError> {
    let r = bridge
        .http
        .post(format!("{}/v1/devices", bridge.url()))
        .bearer_auth(bearer)
        .json(&serde_json::json!({"token": token, "environment": "sandbox", "restaurant": restaurant, "role": role}))
        .send()
        .await?;
    let status = r.status().as_u16();
    if status != 201 && status != 200 {
        return Err(HarnessError::Device {
            status,
            body: r.text().await.unwrap_or_default(),
        });
    }
    Ok(())
}

/// Installs the module on a new stand-in database, then moves its order and cart ids past the database's.
async fn start_shop(
    art: &Artefacts,
    db: &Database,
    bridge: &Bridge,
    secret: &str,
    sogecommerce: Option<&FakeSogeCommerce>,
) -> Result<Shop, HarnessError> {
    let standin_db = format!(
        "ocpizza_shop_{}_{}",
        std::process::id(),
        &random_hex(1)[..8]
    );
    let server = ocpizza_db::testing::server_url();
    let mut shop = Shop {
        root: art.root.clone(),
        extension: art.extension.clone(),
        script: art.shop_script.clone(),
        standin_db: standin_db.clone(),
        env: vec![
            ("OCPIZZA_STANDIN_DB".into(), standin_db.clone()),
            ("OCPIZZA_DB_URL".into(), db.url().to_owned()),
            ("OCPIZZA_BRIDGE_URL".into(), bridge.url()),
            ("OCPIZZA_WEBHOOK_SECRET".into(), secret.to_owned()),
            ("OCPIZZA_TEST_DATABASE_SERVER".into(), server.clone()),
        ],
        states: Value::Null,
    };
    if let Some(fake) = sogecommerce {
        shop.env
            .push(("OCPIZZA_SITE_ID".into(), SOGECOMMERCE_SHOP_ID.into()));
        shop.env.push(("OCPIZZA_REST_URL".into(), fake.api_url()));
        shop.env.push((
            "OCPIZZA_REST_PASSWORD".into(),
            SOGECOMMERCE_REST_PASSWORD.into(),
        ));
    }
    let setup = shop.run(&["setup"]).await?;
    shop.states = setup["states"].clone();
    // The stand-in numbers orders and carts from 1 in every new shop database, but shop_order_id is unique in
    // OCPizza_DB (an earlier demo run holds some) and the IPN's uuid comes from the cart id: start both at the next
    // thousand above the shop-range ids the database holds (the demo orders' ids, from 9000000001, are above any
    // PrestaShop id and are left out).
    let (max,): (i64,) =
        sqlx::query_as("SELECT CAST(COALESCE(MAX(shop_order_id), 0) AS SIGNED) FROM orders WHERE shop_order_id < ?")
            .bind(ocpizza_db::seed::DEMO_ID_MIN)
            .fetch_one(db.pool())
            .await?;
    let base = (max / 1000 + 1) * 1000;
    let standin = ocpizza_db::connect(&format!("{server}/{standin_db}")).await?;
    for table in ["ps_orders", "ps_cart"] {
        standin
            .execute(format!("ALTER TABLE `{table}` AUTO_INCREMENT = {base}").as_str())
            .await?;
    }
    standin.close().await;
    Ok(shop)
}
