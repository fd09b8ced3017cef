//! A local stand-in of Dolibarr's REST API (versions 20–23) that reproduces what Dolibarr's own code does for every
//! behaviour the bridge relies on, quirks included, so that the bridge's Dolibarr client is tested for real over
//! HTTP. Each rule names the Dolibarr file and method it comes from (paths under `htdocs/`); the facts read in
//! /work/shared/reference/dolibarr-api.md and dolibarr-credit-notes.md (verified on 23.0.0-beta) fill the rest.
//!
//! - Base path `/api/index.php`, `DOLAPIKEY` header (also `Authorization: Bearer` and `?DOLAPIKEY=`), 401 otherwise
//!   with Restler's one JSON error shape; main.inc.php's injection check refuses `: ; " ' < > ? ( ) { } $ % #` in
//!   the path (PATH_INFO) with an HTML page.
//! - Ids and amounts are strings in bodies (`"id":"3"`, `"total_ttc":"24.64000000"`), creates return a bare integer.
//! - Lists filter with `sqlfilters` parsed as forgeSQLFromUniversalSearchCriteria() does (see [`Filter`]), and
//!   "no result" is 404 "No … found" (older versions) or `200 []` ([`EmptyList`]); thirdparties honour `mode`.
//! - Dates sent as timestamps are stored as the day they fall on in PHP's timezone ([`FakeDolibarr::set_php_timezone`],
//!   DoliDB::idate()) and read back as that day's midnight there (jdate()).
//! - Orders (commande/class/api_orders.class.php, commande.class.php): created as draft `(PROVn)` (embedded `lines`
//!   ignore `price_base_type` TTC), lines added with `POST /orders/{id}/lines` honour it, totals are the sum of lines
//!   rounded to 2 decimals each; validate gives `CO<yymm>-<nnnn>`, a second validate or close is 304 with an empty
//!   body; `PUT` writes `status` (−1 = cancelled) as Orders::put() + Commande::update() do.
//! - Products (product/class/api_products.class.php, product.class.php Product::create()): `price_ttc` for a TTC
//!   base, `ref` unique — `ErrorProductAlreadyExists` from the check, or the raw "Duplicate entry" of the insert when
//!   two creations race between check and insert. Thirdparties (societe/class/api_thirdparties.class.php): name and
//!   e-mail not unique, `code_client` unique (500 `ErrorCustomerCodeAlreadyUsed`).
//! - Invoices (compta/facture/class/api_invoices.class.php, facture.class.php): from orders dated "now", `PUT`
//!   date, validation `FA<yymm>-<nnnn>`, payments (whole remaining amount, `accountid` mandatory, a cash account
//!   refuses non-cash types, bank line linked to the payment), payments listed without their id.
//! - Credit notes (the same two files, read in a 20/21 version, and dolibarr-credit-notes.md verified on 23):
//!   `POST /invoices` `type` 2 with `fk_facture_source`; lines stored negative whatever sign is sent
//!   (Facture::addline); AV numbering at validation, 304 on a second one; `POST /invoices/{id}/payments` booking
//!   the refund as money *in* (Invoices::addPayment's `-1 × remain`); `POST /invoices/paymentsdistributed` with
//!   its remain check and `accepthigherpayment`, `-1 × amount` on a credit note, closing at a zero remain.
//!
//! Tests drive it through [`FakeDolibarr`]: fault injection (503 / business 500 / any status / "done but the answer
//! is lost" for the next N matching requests, latency, stop and restart listening, a racing product creation) and
//! inspection (counts, objects, the list of requests). `GET /_test/state` (no key) returns the same as JSON for the
//! demo.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const BASE_PATH: &str = "/api/index.php";
pub const VERSION: &str = "21.0.1";

// ---------------------------------------------------------------------------------------------------------------
// Fixed-point decimals (8 places, like Dolibarr's double(24,8) columns) so that rounding is exact and visible.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Dec(i128);

const SCALE: i128 = 100_000_000;

impl Dec {
    pub const ZERO: Dec = Dec(0);

    pub fn parse(s: &str) -> Option<Dec> {
        let s = s.trim();
        let (neg, s) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s),
        };
        let (i, f) = s.split_once('.').unwrap_or((s, ""));
        if (i.is_empty() && f.is_empty())
            || !i.bytes().all(|b| b.is_ascii_digit())
            || !f.bytes().all(|b| b.is_ascii_digit())
            || i.len() > 20
        {
            return None;
        }
        let int: i128 = if i.is_empty() { 0 } else { i.parse().ok()? };
        let mut frac: i128 = 0;
        for k in 0..8 {
            frac = frac * 10 + f.as_bytes().get(k).map(|b| i128::from(b - b'0')).unwrap_or(0);
        }
        let round_up = f.as_bytes().get(8).is_some_and(|b| *b >= b'5');
        let v = int * SCALE + frac + i128::from(round_up);
        Some(Dec(if neg { -v } else { v }))
    }

    /// A JSON number or numeric string (PHP accepts both).
    pub fn from_json(v: &Value) -> Option<Dec> {
        match v {
            Value::Number(n) => Dec::parse(&n.to_string()),
            Value::String(s) => Dec::parse(s),
            _ => None,
        }
    }

    pub fn from_int(i: i64) -> Dec {
        Dec(i128::from(i) * SCALE)
    }

    fn div_round(n: i128, d: i128) -> i128 {
        let (q, r) = (n / d, n % d);
        if 2 * r.abs() >= d.abs() { q + n.signum() * d.signum() } else { q }
    }

    pub fn times(self, o: Dec) -> Dec {
        Dec(Self::div_round(self.0 * o.0, SCALE))
    }

    pub fn over(self, o: Dec) -> Dec {
        Dec(Self::div_round(self.0 * SCALE, o.0))
    }

    pub fn plus(self, o: Dec) -> Dec {
        Dec(self.0 + o.0)
    }

    pub fn minus(self, o: Dec) -> Dec {
        Dec(self.0 - o.0)
    }

    /// Rounded to `places` decimals, half away from zero (PHP's round()).
    pub fn round(self, places: u32) -> Dec {
        let unit = 10i128.pow(8 - places);
        Dec(Self::div_round(self.0, unit) * unit)
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `"24.64000000"`, as Dolibarr prints amounts.
    pub fn to_dolibarr(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        format!("{sign}{}.{:08}", self.0.abs() / SCALE, self.0.abs() % SCALE)
    }

    pub fn cents(self) -> i64 {
        (Self::div_round(self.0, SCALE / 100)) as i64
    }
}

// ---------------------------------------------------------------------------------------------------------------
// State.

/// How an empty list search answers: 404 "No … found" (older versions) or `200 []` (after PR #27261).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmptyList {
    NotFound,
    EmptyArray,
}

/// What an injected fault does to a matching request.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// 503 database error (with `Retry-After` seconds when given), nothing done.
    Unavailable { retry_after: Option<u64> },
    /// 500 business error with `"0": code`, nothing done.
    Business { code: String },
    /// Any status with the JSON error shape, nothing done.
    Status(u16),
    /// The request is carried out, then answered 503: the caller never learns the id it created (what a crash
    /// or a timeout between "Dolibarr did it" and "the bridge stored it" looks like).
    DoneButLost,
}

#[derive(Debug, Clone)]
struct Fault {
    kind: FaultKind,
    method: Option<Method>,
    path_part: Option<String>,
    remaining: usize,
}

/// One request as the stand-in saw it (never the key).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RequestRecord {
    pub method: String,
    /// Path after `/api/index.php`, e.g. `/orders/3/validate`.
    pub path: String,
    pub query: Option<String>,
    pub status: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Counts {
    pub thirdparties: usize,
    pub products: usize,
    pub orders: usize,
    pub order_lines: usize,
    pub invoices: usize,
    pub payments: usize,
}

#[derive(Debug, Clone)]
struct LineRec {
    id: i64,
    fk_product: Option<i64>,
    desc: String,
    qty: Dec,
    subprice: Dec,
    tva_tx: Dec,
    product_type: i64,
    total_ht: Dec,
    total_tva: Dec,
    total_ttc: Dec,
    rang: i64,
}

#[derive(Debug, Clone)]
struct OrderRec {
    id: i64,
    r#ref: String,
    ref_client: String,
    ref_ext: String,
    socid: i64,
    /// `llx_commande.date_commande`, a DATE column: the day `DoliDB::idate()` printed in PHP's timezone.
    date: NaiveDate,
    statut: i64,
    billed: i64,
    note_private: String,
    note_public: String,
    lines: Vec<LineRec>,
}

#[derive(Debug, Clone)]
struct InvoiceRec {
    id: i64,
    r#ref: String,
    ref_client: String,
    ref_ext: String,
    socid: i64,
    /// `llx_facture.datef`, a DATE column (see [`OrderRec::date`]).
    date: NaiveDate,
    statut: i64,
    paye: i64,
    order_id: Option<i64>,
    lines: Vec<LineRec>,
    /// `llx_facture.type`: 0 standard, 2 credit note (Facture::TYPE_CREDIT_NOTE).
    typ: i64,
    /// The invoice a credit note corrects (`fk_facture_source`).
    fk_facture_source: Option<i64>,
    note_private: String,
}

#[derive(Debug, Clone)]
struct PaymentRec {
    id: i64,
    r#ref: String,
    invoice_id: i64,
    amount: Dec,
    code: String,
    /// `llx_paiement.datep` as sent (a timestamp) and the calendar day it is in PHP's timezone.
    date: i64,
    day: NaiveDate,
    num: String,
    accountid: i64,
    /// `llx_bank` row written by `Paiement::addPaymentToBank()`.
    bank_line: i64,
    /// The bank line's label: `(CustomerInvoicePayment)`, or `(CustomerInvoicePaymentBack)` on a credit note.
    bank_label: &'static str,
    ref_ext: String,
}

struct St {
    empty_list: EmptyList,
    latency: Duration,
    faults: Vec<Fault>,
    requests: Vec<RequestRecord>,
    next_id: i64,
    thirdparties: BTreeMap<i64, Map<String, Value>>,
    products: BTreeMap<i64, Map<String, Value>>,
    orders: BTreeMap<i64, OrderRec>,
    invoices: BTreeMap<i64, InvoiceRec>,
    payments: BTreeMap<i64, PaymentRec>,
    bank_accounts: BTreeMap<i64, Map<String, Value>>,
    /// (id, code, label)
    payment_types: Vec<(i64, &'static str, &'static str)>,
    next_line_id: i64,
    seq: BTreeMap<String, i64>,
    /// PHP's `date.timezone` on the Dolibarr server (Debian's default is UTC).
    php_tz: Tz,
    /// Time `Product::create()` spends between its "does this ref exist" SELECT and its INSERT.
    product_insert_window: Duration,
    /// `llx_bank_url` rows: (bank line, url_id, type), as `Account::add_url_line()` writes them.
    bank_urls: Vec<(i64, i64, &'static str)>,
    next_bank_line: i64,
    /// A product someone else (another Dolibarr user or client) inserts while the next `POST /products` of the
    /// same ref is between its check and its insert.
    racing_product: Option<Map<String, Value>>,
    /// `paymentsdistributed` on a credit note books `-abs(amount)` (Dolibarr 23, verified in
    /// dolibarr-credit-notes.md §4) instead of the 20/21 source's `-1 × amount`.
    distributed_abs: bool,
}

impl St {
    fn new() -> St {
        let mut bank_accounts = BTreeMap::new();
        for (id, r, label, typ) in [(1, "CCP", "Compte courant", 1), (2, "CAISSE", "Caisse", 2)] {
            let mut m = Map::new();
            m.insert("id".into(), json!(id.to_string()));
            m.insert("ref".into(), json!(r));
            m.insert("label".into(), json!(label));
            m.insert("type".into(), json!(typ.to_string()));
            m.insert("currency_code".into(), json!("EUR"));
            m.insert("clos".into(), json!("0"));
            bank_accounts.insert(id, m);
        }
        St {
            empty_list: EmptyList::NotFound,
            latency: Duration::ZERO,
            faults: Vec::new(),
            requests: Vec::new(),
            next_id: 1,
            thirdparties: BTreeMap::new(),
            products: BTreeMap::new(),
            orders: BTreeMap::new(),
            invoices: BTreeMap::new(),
            payments: BTreeMap::new(),
            bank_accounts,
            payment_types: vec![
                (2, "VIR", "Transfer"),
                (3, "PRE", "Direct debit"),
                (4, "LIQ", "Cash"),
                (6, "CB", "Bank card"),
                (7, "CHQ", "Cheque"),
            ],
            next_line_id: 1,
            seq: BTreeMap::new(),
            php_tz: Tz::UTC,
            product_insert_window: Duration::from_millis(20),
            bank_urls: Vec::new(),
            next_bank_line: 1,
            racing_product: None,
            distributed_abs: false,
        }
    }

    /// `DoliDB::idate($ts)` (core/db/DoliDB.class.php) prints a timestamp with `dol_print_date(…, 'tzserver')`,
    /// i.e. in PHP's timezone; a DATE column keeps the day of that string.
    fn day_of(&self, ts: i64) -> NaiveDate {
        self.php_tz.timestamp_opt(ts, 0).single().map(|d| d.date_naive()).unwrap_or_default()
    }

    /// `DoliDB::jdate()` reads a DATE column back as the timestamp of its midnight in PHP's timezone.
    fn jdate(&self, day: NaiveDate) -> i64 {
        let midnight = day.and_hms_opt(0, 0, 0).expect("midnight");
        self.php_tz.from_local_datetime(&midnight).earliest().map(|d| d.timestamp()).unwrap_or_default()
    }

    /// A date field of a request body as Dolibarr stores it: a timestamp goes through `idate()`; a
    /// `"YYYY-MM-DD"` string goes through `dol_print_date()`'s legacy branch (core/lib/functions.lib.php), which
    /// builds it with `dol_mktime(…, gm=true)` (midnight UTC) and then prints it in PHP's timezone — so west of
    /// UTC such a string becomes the day before.
    fn day_from_json(&self, v: &Value) -> Option<NaiveDate> {
        match v {
            Value::String(s) if s.len() == 10 && s.as_bytes()[4] == b'-' => {
                let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
                Some(self.day_of(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp()))
            }
            v => Dec::from_json(v).map(|d| self.day_of(d.cents() / 100)),
        }
    }

    /// `dol_now()` as a day in PHP's timezone.
    fn today(&self) -> NaiveDate {
        self.day_of(chrono::Utc::now().timestamp())
    }

    /// Ids are per table in Dolibarr; one counter per object kind keeps them small and distinct enough.
    fn id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn next_ref(&mut self, prefix: &str, day: NaiveDate) -> String {
        let yymm = day.format("%y%m").to_string();
        let n = self.seq.entry(format!("{prefix}{yymm}")).or_insert(0);
        *n += 1;
        format!("{prefix}{yymm}-{:04}", n)
    }

    fn counts(&self) -> Counts {
        Counts {
            thirdparties: self.thirdparties.len(),
            products: self.products.len(),
            orders: self.orders.len(),
            order_lines: self.orders.values().map(|o| o.lines.len()).sum(),
            invoices: self.invoices.len(),
            payments: self.payments.len(),
        }
    }
}

struct Shared {
    api_key: String,
    st: Mutex<St>,
}

impl Shared {
    fn st(&self) -> MutexGuard<'_, St> {
        self.st.lock().unwrap_or_else(|p| p.into_inner())
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The handle tests hold.

pub struct FakeDolibarr {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: Mutex<Option<(oneshot::Sender<()>, JoinHandle<()>)>>,
}

impl FakeDolibarr {
    /// Starts on 127.0.0.1 with a free port.
    pub async fn start(api_key: &str) -> FakeDolibarr {
        Self::start_on("127.0.0.1:0".parse().expect("addr"), api_key).await.expect("bind 127.0.0.1")
    }

    pub async fn start_on(addr: SocketAddr, api_key: &str) -> std::io::Result<FakeDolibarr> {
        let shared = Arc::new(Shared { api_key: api_key.to_owned(), st: Mutex::new(St::new()) });
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let fake = FakeDolibarr { addr, shared, server: Mutex::new(None) };
        fake.serve(listener);
        Ok(fake)
    }

    fn serve(&self, listener: TcpListener) {
        let app = Router::new().route("/_test/state", get(test_state)).fallback(api).with_state(self.shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        *self.server.lock().unwrap_or_else(|p| p.into_inner()) = Some((tx, task));
    }

    /// Stops listening: new connections are refused (state is kept). Open keep-alive connections are closed.
    pub async fn stop(&self) {
        let s = self.server.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some((tx, task)) = s {
            let _ = tx.send(());
            task.abort();
            let _ = task.await;
        }
    }

    /// Listens again on the same port after [`stop`](Self::stop).
    pub async fn restart(&self) -> std::io::Result<()> {
        let listener = TcpListener::bind(self.addr).await?;
        self.serve(listener);
        Ok(())
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API root to configure the bridge with: `http://127.0.0.1:<port>/api/index.php`.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.addr, BASE_PATH)
    }

    pub fn set_empty_list(&self, mode: EmptyList) {
        self.shared.st().empty_list = mode;
    }

    pub fn set_latency(&self, d: Duration) {
        self.shared.st().latency = d;
    }

    /// Runs "as if Dolibarr's PHP `date.timezone` were `tz`": every date sent as a timestamp is stored as the day
    /// it falls on there, and read back as that day's midnight there.
    pub fn set_php_timezone(&self, tz: Tz) {
        self.shared.st().php_tz = tz;
    }

    /// How long `POST /products` waits between its existence check and its insert (default 20 ms): two creations
    /// of one ref inside that window both pass the check and the second insert fails on the unique key.
    pub fn set_product_insert_window(&self, d: Duration) {
        self.shared.st().product_insert_window = d;
    }

    /// Someone else creates this product (`{"ref": …, "label": …, "price_ttc": …}`) while the bridge's next
    /// `POST /products` of that ref is between its existence check and its insert: that insert then fails on the
    /// unique key exactly as Dolibarr's does.
    pub fn race_next_product_create(&self, product: Value) {
        self.shared.st().racing_product = product.as_object().cloned();
    }

    /// Answers `paymentsdistributed` on a credit note as Dolibarr 23 does (`-abs(amount)`, so "remain" pays the
    /// refund out too; verified in shared/reference/dolibarr-credit-notes.md §4) rather than as the 20/21 source.
    pub fn set_distributed_forces_negative(&self, on: bool) {
        self.shared.st().distributed_abs = on;
    }

    /// Removes a payment mode from the payment types dictionary (as deactivating it in Setup does).
    pub fn remove_payment_type(&self, code: &str) {
        self.shared.st().payment_types.retain(|(_, c, _)| *c != code);
    }

    /// The calendar day Dolibarr shows for a date it returned (its midnight in PHP's timezone).
    pub fn day_of(&self, ts: &Value) -> Option<NaiveDate> {
        let ts = Dec::from_json(ts)?.cents() / 100;
        Some(self.shared.st().day_of(ts))
    }

    /// How many `POST /products` were refused (existing ref, or the unique key hit in the race below).
    pub fn product_create_failures(&self) -> usize {
        self.shared
            .st()
            .requests
            .iter()
            .filter(|r| r.method == "POST" && r.path == "/products" && r.status == 500)
            .count()
    }

    /// The next `n` requests (any) get this fault.
    pub fn fail_next(&self, n: usize, kind: FaultKind) {
        self.fail_matching(None, None, n, kind);
    }

    /// The next `n` requests with this method and a path containing `path_part` (path after `/api/index.php`,
    /// e.g. `/orders/` for every order sub-route, `/payments`) get this fault.
    pub fn fail_matching(&self, method: Option<Method>, path_part: Option<&str>, n: usize, kind: FaultKind) {
        self.shared.st().faults.push(Fault { kind, method, path_part: path_part.map(str::to_owned), remaining: n });
    }

    pub fn clear_faults(&self) {
        self.shared.st().faults.clear();
    }

    pub fn counts(&self) -> Counts {
        self.shared.st().counts()
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.st().requests.clone()
    }

    /// How many requests had this method and a path starting with `prefix`.
    pub fn request_count(&self, method: &str, prefix: &str) -> usize {
        self.shared.st().requests.iter().filter(|r| r.method == method && r.path.starts_with(prefix)).count()
    }

    pub fn thirdparties(&self) -> Vec<Value> {
        self.shared.st().thirdparties.values().map(|m| Value::Object(m.clone())).collect()
    }

    pub fn products(&self) -> Vec<Value> {
        self.shared.st().products.values().map(|m| Value::Object(m.clone())).collect()
    }

    pub fn orders(&self) -> Vec<Value> {
        let st = self.shared.st();
        st.orders.values().map(|o| render_order(&st, o)).collect()
    }

    pub fn order_by_ref_ext(&self, ref_ext: &str) -> Vec<Value> {
        self.orders().into_iter().filter(|o| o["ref_ext"] == ref_ext).collect()
    }

    pub fn invoices(&self) -> Vec<Value> {
        let st = self.shared.st();
        st.invoices.values().map(|i| render_invoice(&st, i)).collect()
    }

    /// The credit notes (invoices of `type` 2), oldest first.
    pub fn credit_notes(&self) -> Vec<Value> {
        self.invoices().into_iter().filter(|i| i["type"] == "2").collect()
    }

    pub fn invoice(&self, id: i64) -> Option<Value> {
        let st = self.shared.st();
        st.invoices.get(&id).map(|i| render_invoice(&st, i))
    }

    /// The payments of one invoice (credit notes included), as the tests inspect them.
    pub fn payments_of(&self, invoice_id: i64) -> Vec<Value> {
        self.payments().into_iter().filter(|p| p["fk_facture"].as_str().and_then(|f| f.parse().ok()) == Some(invoice_id)).collect()
    }

    pub fn payments(&self) -> Vec<Value> {
        let st = self.shared.st();
        st.payments.values().map(render_payment).collect()
    }

    /// Inserts a thirdparty as if someone had created it by hand (e.g. with the same e-mail as a shop customer).
    pub fn insert_thirdparty(&self, fields: Value) -> i64 {
        let mut st = self.shared.st();
        let body = fields.as_object().cloned().unwrap_or_default();
        create_thirdparty(&mut st, &body).expect("valid thirdparty")
    }

    /// Deletes a thirdparty as someone would by hand in Dolibarr's back office.
    pub fn delete_thirdparty(&self, id: i64) -> bool {
        self.shared.st().thirdparties.remove(&id).is_some()
    }

    /// Adds a bank account of the given type (1 current, 2 cash) and answers its id.
    pub fn add_bank_account(&self, label: &str, typ: i64) -> i64 {
        let mut st = self.shared.st();
        let id = st.id() + 100;
        let mut m = Map::new();
        m.insert("id".into(), json!(id.to_string()));
        m.insert("ref".into(), json!(label.to_uppercase()));
        m.insert("label".into(), json!(label));
        m.insert("type".into(), json!(typ.to_string()));
        m.insert("currency_code".into(), json!("EUR"));
        m.insert("clos".into(), json!("0"));
        st.bank_accounts.insert(id, m);
        id
    }

    /// Everything, as `GET /_test/state` shows it.
    pub fn state_json(&self) -> Value {
        state_json(&self.shared.st())
    }
}

impl Drop for FakeDolibarr {
    fn drop(&mut self) {
        if let Some((tx, task)) = self.server.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = tx.send(());
            task.abort();
        }
    }
}

fn state_json(st: &St) -> Value {
    json!({
        "dolibarr_version": VERSION,
        "counts": st.counts(),
        "thirdparties": st.thirdparties.values().collect::<Vec<_>>(),
        "products": st.products.values().collect::<Vec<_>>(),
        "orders": st.orders.values().map(|o| render_order(st, o)).collect::<Vec<_>>(),
        "invoices": st.invoices.values().map(|i| render_invoice(st, i)).collect::<Vec<_>>(),
        "payments": st.payments.values().map(render_payment).collect::<Vec<_>>(),
        "requests": st.requests.len(),
    })
}

async fn test_state(State(shared): State<Arc<Shared>>) -> Response {
    let v = state_json(&shared.st());
    (StatusCode::OK, axum::Json(v)).into_response()
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering (numbers as strings, as Dolibarr's PHP objects come out).

fn s<T: ToString>(v: T) -> Value {
    Value::String(v.to_string())
}

fn render_line(l: &LineRec) -> Value {
    json!({
        "id": s(l.id), "rowid": s(l.id), "fk_product": l.fk_product.map(s), "desc": l.desc, "description": l.desc,
        "qty": s(l.qty.to_dolibarr()), "subprice": l.subprice.to_dolibarr(), "tva_tx": l.tva_tx.to_dolibarr(),
        "product_type": s(l.product_type), "total_ht": l.total_ht.to_dolibarr(), "total_tva": l.total_tva.to_dolibarr(),
        "total_ttc": l.total_ttc.to_dolibarr(), "rang": s(l.rang),
    })
}

fn totals(lines: &[LineRec]) -> (Dec, Dec, Dec) {
    lines.iter().fold((Dec::ZERO, Dec::ZERO, Dec::ZERO), |(h, t, c), l| {
        (h.plus(l.total_ht), t.plus(l.total_tva), c.plus(l.total_ttc))
    })
}

/// Linked objects as PHP serialises them: `{"<link id>": "<id>"}`, or `[]` when there is none.
fn linked(element: &str, ids: &[(i64, i64)]) -> Value {
    if ids.is_empty() {
        return json!([]);
    }
    let m: Map<String, Value> = ids.iter().map(|(link, id)| (link.to_string(), s(id))).collect();
    json!({ element: m })
}

fn render_order(st: &St, o: &OrderRec) -> Value {
    let (ht, tva, ttc) = totals(&o.lines);
    let invoices: Vec<(i64, i64)> =
        st.invoices.values().filter(|i| i.order_id == Some(o.id)).map(|i| (i.id * 10 + 1, i.id)).collect();
    json!({
        "id": s(o.id), "ref": o.r#ref, "ref_client": o.ref_client, "ref_ext": o.ref_ext, "socid": s(o.socid),
        "date": st.jdate(o.date), "date_commande": st.jdate(o.date), "statut": s(o.statut), "status": s(o.statut), "billed": s(o.billed),
        "total_ht": ht.to_dolibarr(), "total_tva": tva.to_dolibarr(), "total_ttc": ttc.to_dolibarr(),
        "multicurrency_code": "EUR", "note_private": o.note_private, "note_public": o.note_public,
        "lines": o.lines.iter().map(render_line).collect::<Vec<_>>(),
        "linkedObjectsIds": linked("facture", &invoices),
    })
}

fn render_invoice(st: &St, i: &InvoiceRec) -> Value {
    let (ht, tva, ttc) = totals(&i.lines);
    let paid: Dec = st.payments.values().filter(|p| p.invoice_id == i.id).fold(Dec::ZERO, |a, p| a.plus(p.amount));
    let orders: Vec<(i64, i64)> = i.order_id.map(|o| vec![(i.id * 10 + 1, o)]).unwrap_or_default();
    json!({
        "id": s(i.id), "ref": i.r#ref, "ref_client": i.ref_client, "ref_ext": i.ref_ext, "socid": s(i.socid),
        "type": s(i.typ), "fk_facture_source": i.fk_facture_source.map(s), "note_private": i.note_private,
        "date": st.jdate(i.date), "datef": st.jdate(i.date), "statut": s(i.statut), "status": s(i.statut), "paye": s(i.paye),
        "total_ht": ht.to_dolibarr(), "total_tva": tva.to_dolibarr(), "total_ttc": ttc.to_dolibarr(),
        "totalpaid": paid.to_dolibarr(), "remaintopay": ttc.minus(paid).to_dolibarr(),
        "multicurrency_code": "EUR",
        "lines": i.lines.iter().map(render_line).collect::<Vec<_>>(),
        "linkedObjectsIds": linked("commande", &orders),
    })
}

/// A payment as the tests inspect it (more than the API shows: see [`payment_list_entry`]).
fn render_payment(p: &PaymentRec) -> Value {
    json!({
        "id": s(p.id), "ref": p.r#ref, "fk_facture": s(p.invoice_id), "amount": p.amount.to_dolibarr(), "type": p.code,
        "date": p.date, "day": p.day.to_string(), "num": p.num, "fk_bank_account": s(p.accountid),
        "fk_bank_line": s(p.bank_line), "bank_label": p.bank_label, "ref_ext": p.ref_ext,
    })
}

/// One entry of `GET /invoices/{id}/payments`: `Invoices::getPayments()` returns
/// `CommonInvoice::getListOfPayments()` as is, `array{amount, date, num, ref, ref_ext, fk_bank_line, type}` —
/// the payment's rowid is not in it (compta/facture/class/api_invoices.class.php, core/class/commoninvoice.class.php).
fn payment_list_entry(p: &PaymentRec) -> Value {
    json!({
        "amount": p.amount.to_dolibarr(), "type": p.code, "date": p.date,
        "num": p.num, "ref": p.r#ref, "ref_ext": p.ref_ext, "fk_bank_line": s(p.bank_line),
    })
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP.

type Reply = (StatusCode, Value);

fn err(code: u16, message: &str) -> Reply {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reason = status.canonical_reason().unwrap_or("Error");
    let message = if message.is_empty() { reason.to_owned() } else { format!("{reason}: {message}") };
    (status, json!({"error": {"code": code, "message": message}}))
}

fn business(message: &str, code: &str) -> Reply {
    let mut r = err(500, message);
    r.1["error"]["0"] = json!(code);
    r
}

fn ok(v: Value) -> Reply {
    (StatusCode::OK, v)
}

const WAF_CHARS: &[char] = &[':', ';', '"', '\'', '<', '>', '?', '(', ')', '{', '}', '$', '%', '#'];

fn key_of(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    if let Some(k) = headers.get("DOLAPIKEY").and_then(|v| v.to_str().ok()) {
        return Some(k.to_owned());
    }
    if let Some(b) =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some(b.to_owned());
    }
    query_pairs(uri).into_iter().find(|(k, _)| k == "DOLAPIKEY" || k == "api_key").map(|(_, v)| v)
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    uri.query().map(form_urlencoded_pairs).unwrap_or_default()
}

/// application/x-www-form-urlencoded decoding (`+` is a space, `%XX` a byte).
fn form_urlencoded_pairs(q: &str) -> Vec<(String, String)> {
    fn dec(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < b.len() => {
                    let hex = |c: u8| (c as char).to_digit(16);
                    match (hex(b[i + 1]), hex(b[i + 2])) {
                        (Some(h), Some(l)) => {
                            out.push((h * 16 + l) as u8);
                            i += 2;
                        }
                        _ => out.push(b'%'),
                    }
                }
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (dec(k), dec(v))
        })
        .collect()
}

async fn api(State(shared): State<Arc<Shared>>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let raw_path = uri.path().to_owned();
    let latency = shared.st().latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let rel = raw_path.strip_prefix(BASE_PATH).unwrap_or(&raw_path).to_owned();
    let record = |shared: &Shared, status: u16| {
        shared.st().requests.push(RequestRecord {
            method: method.to_string(),
            path: rel.clone(),
            query: uri.query().map(str::to_owned),
            status,
        });
    };

    // The WAF runs before anything else and answers in HTML.
    if raw_path.contains(WAF_CHARS) {
        record(&shared, 403);
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/html; charset=UTF-8")],
            "<html><body>Access refused to 127.0.0.1 by SQL or Script injection protection in main.inc.php \
             - GETPOST type=0 paramkey=PATH_INFO</body></html>",
        )
            .into_response();
    }
    if !raw_path.starts_with(BASE_PATH) {
        record(&shared, 404);
        return (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/html")], "<html>Not Found</html>")
            .into_response();
    }
    if key_of(&headers, &uri).as_deref() != Some(shared.api_key.as_str()) {
        record(&shared, 401);
        return reply(err(401, "Error user not valid (not found with api key)"));
    }

    // Injected faults: the first one matching this request.
    let fault = {
        let mut st = shared.st();
        let pos = st.faults.iter().position(|f| {
            f.remaining > 0
                && f.method.as_ref().is_none_or(|m| *m == method)
                && f.path_part.as_deref().is_none_or(|p| rel.contains(p))
        });
        pos.map(|i| {
            st.faults[i].remaining -= 1;
            let k = st.faults[i].kind.clone();
            if st.faults[i].remaining == 0 {
                st.faults.remove(i);
            }
            k
        })
    };
    let mut lost = false;
    match fault {
        Some(FaultKind::Unavailable { retry_after }) => {
            record(&shared, 503);
            let mut resp = reply(err(503, "Error when retrieving data: database unavailable"));
            if let Some(s) = retry_after {
                resp.headers_mut().insert(header::RETRY_AFTER, s.to_string().parse().expect("digits"));
            }
            return resp;
        }
        Some(FaultKind::Business { code }) => {
            record(&shared, 500);
            return reply(business("Error creating object", &code));
        }
        Some(FaultKind::Status(code)) => {
            record(&shared, code);
            return reply(err(code, "injected"));
        }
        Some(FaultKind::DoneButLost) => lost = true,
        None => {}
    }

    let query: BTreeMap<String, String> = query_pairs(&uri).into_iter().collect();
    let json_body: Option<Value> =
        if body.iter().all(u8::is_ascii_whitespace) { None } else { serde_json::from_slice(&body).ok() };
    if !body.iter().all(u8::is_ascii_whitespace) && json_body.is_none() {
        record(&shared, 400);
        return reply(err(400, "Body is not valid JSON"));
    }
    let empty = Map::new();
    let b = json_body.as_ref().and_then(Value::as_object).unwrap_or(&empty);
    let segs: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
    let (status, value) = if method == Method::POST && segs == ["products"] {
        // Product::create() checks, then inserts: the gap between the two is where concurrent creations race.
        let checked = product_check(&shared.st(), b);
        match checked {
            Err(r) => r,
            Ok(()) => {
                let window = shared.st().product_insert_window;
                tokio::time::sleep(window).await;
                let mut st = shared.st();
                let same_ref = |p: &Map<String, Value>| p.get("ref") == b.get("ref");
                if let Some(other) = st.racing_product.take_if(|p| same_ref(p)) {
                    let _ = product_insert(&mut st, &other);
                }
                product_insert(&mut st, b)
            }
        }
    } else {
        let mut st = shared.st();
        route(&mut st, &method, &segs, &query, b)
    };
    if lost {
        record(&shared, 503);
        return reply(err(503, "Error when retrieving data: connection lost"));
    }
    record(&shared, status.as_u16());
    if status == StatusCode::NOT_MODIFIED {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    reply((status, value))
}

fn reply((status, v): Reply) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
}

fn id_seg(s: &str) -> Option<i64> {
    s.parse().ok().filter(|i| *i > 0)
}

fn route(st: &mut St, m: &Method, segs: &[&str], q: &BTreeMap<String, String>, b: &Map<String, Value>) -> Reply {
    match (m.as_str(), segs) {
        // api/class/api_status.class.php Status::index().
        ("GET", ["status"]) => ok(json!({"success": {"code": 200, "dolibarr_version": VERSION, "access_locked": "0"}})),

        // Thirdparties::index(): `mode` 1 adds `t.client IN (1, 3)` (customers), 2 `IN (2, 3)` (prospects), 3
        // `IN (0)`, 4 `t.fournisseur IN (1)` (societe/class/api_thirdparties.class.php).
        ("GET", ["thirdparties"]) => {
            let mode = q.get("mode").and_then(|m| m.parse::<i64>().ok()).unwrap_or(0);
            let field = |t: &Map<String, Value>, f: &str| t.get(f).and_then(Dec::from_json).map(|d| d.cents() / 100).unwrap_or(0);
            list(st, q, "thirdparties", |st| {
                st.thirdparties
                    .values()
                    .filter(|t| match mode {
                        1 => matches!(field(t, "client"), 1 | 3),
                        2 => matches!(field(t, "client"), 2 | 3),
                        3 => field(t, "client") == 0,
                        4 => field(t, "fournisseur") == 1,
                        _ => true,
                    })
                    .map(|t| Value::Object(t.clone()))
                    .collect()
            })
        }
        // Thirdparties::post() → Societe::create(): `code_client` -1 = next number; a used code is refused by
        // Societe::verify() with ErrorCustomerCodeAlreadyUsed (500).
        ("POST", ["thirdparties"]) => match create_thirdparty(st, b) {
            Ok(id) => ok(json!(id)),
            Err(r) => r,
        },
        // Unreliable by design (reference §6.4, issue #18749): 0 → 404, 1 → the object, 2+ → 200 with an empty
        // object whose id is null.
        ("GET", ["thirdparties", "email", email]) => {
            let found: Vec<&Map<String, Value>> = st
                .thirdparties
                .values()
                .filter(|t| t.get("email").and_then(Value::as_str).is_some_and(|e| e.eq_ignore_ascii_case(email)))
                .collect();
            match found.as_slice() {
                [] => err(404, "Thirdparty not found"),
                [one] => ok(Value::Object((*one).clone())),
                _ => ok(json!({"id": null, "name": null, "email": null})),
            }
        }
        ("GET", ["thirdparties", id]) => match id_seg(id).and_then(|i| st.thirdparties.get(&i)) {
            Some(t) => ok(Value::Object(t.clone())),
            None => err(404, "Thirdparty not found"),
        },
        ("PUT", ["thirdparties", id]) => match id_seg(id).and_then(|i| st.thirdparties.get_mut(&i)) {
            Some(t) => {
                for (k, v) in b {
                    if k != "id" {
                        t.insert(k.clone(), stringify(v));
                    }
                }
                ok(Value::Object(t.clone()))
            }
            None => err(404, "Thirdparty not found"),
        },

        ("GET", ["products"]) => list(st, q, "products", |st| st.products.values().map(|p| Value::Object(p.clone())).collect()),
        ("GET", ["products", "ref", r]) => match st.products.values().find(|p| p["ref"] == *r) {
            Some(p) => ok(Value::Object(p.clone())),
            None => err(404, "Product not found"),
        },
        ("GET", ["products", id]) => match id_seg(id).and_then(|i| st.products.get(&i)) {
            Some(p) => ok(Value::Object(p.clone())),
            None => err(404, "Product not found"),
        },

        ("GET", ["orders"]) => list(st, q, "orders", |st| st.orders.values().map(|o| render_order(st, o)).collect()),
        // Orders::post() → Commande::create() (date mandatory; embedded lines added as HT).
        ("POST", ["orders"]) => create_order(st, b),
        ("GET", ["orders", "ref", r]) => match st.orders.values().find(|o| o.r#ref == *r) {
            Some(o) => ok(render_order(st, o)),
            None => err(404, "Order not found"),
        },
        ("GET", ["orders", "ref_ext", r]) => match st.orders.values().find(|o| o.ref_ext == *r) {
            Some(o) => ok(render_order(st, o)),
            None => err(404, "Order not found"),
        },
        ("GET", ["orders", id]) => with_order(st, id, |st, o| ok(render_order(st, &st.orders[&o]))),
        ("PUT", ["orders", id]) => with_order(st, id, |st, o| {
            // Orders::put() copies every field but `id` onto the order, then Commande::update() writes them,
            // `fk_statut` from `status` included: a raw write, without Commande::cancel()'s checks, stock return
            // or trigger (commande/class/api_orders.class.php; verified on 23.0.0-beta, see
            // shared/reference/dolibarr-credit-notes.md).
            let date = b.get("date").and_then(|v| st.day_from_json(v));
            let rec = st.orders.get_mut(&o).expect("exists");
            for (k, v) in b {
                match k.as_str() {
                    "note_private" => rec.note_private = v.as_str().unwrap_or("").to_owned(),
                    "note_public" => rec.note_public = v.as_str().unwrap_or("").to_owned(),
                    "ref_client" => rec.ref_client = v.as_str().unwrap_or("").to_owned(),
                    "ref_ext" => rec.ref_ext = v.as_str().unwrap_or("").to_owned(),
                    "status" => {
                        if let Some(st) = Dec::from_json(v) {
                            rec.statut = st.cents() / 100;
                        }
                    }
                    _ => {}
                }
            }
            if let Some(d) = date {
                rec.date = d;
            }
            ok(render_order(st, &st.orders[&o]))
        }),
        ("DELETE", ["orders", id]) => with_order(st, id, |st, o| {
            st.orders.remove(&o);
            ok(json!({"success": {"code": 200, "message": "Order deleted"}}))
        }),
        ("GET", ["orders", id, "lines"]) => with_order(st, id, |st, o| {
            ok(Value::Array(st.orders[&o].lines.iter().map(render_line).collect()))
        }),
        // Orders::postLine() → Commande::addline() with the request's price_base_type; drafts only.
        ("POST", ["orders", id, "lines"]) => with_order(st, id, |st, o| {
            if st.orders[&o].statut != 0 {
                return err(400, "ErrorOrderStatusIsNotDraft");
            }
            let line_id = st.next_line_id;
            match parse_line(b, true, line_id) {
                Ok(mut line) => {
                    st.next_line_id += 1;
                    let rec = st.orders.get_mut(&o).expect("exists");
                    if line.rang == 0 {
                        line.rang = rec.lines.len() as i64 + 1;
                    }
                    rec.lines.push(line);
                    ok(json!(line_id))
                }
                Err(r) => r,
            }
        }),
        ("DELETE", ["orders", id, "lines", line]) => with_order(st, id, |st, o| {
            let rec = st.orders.get_mut(&o).expect("exists");
            let before = rec.lines.len();
            rec.lines.retain(|l| Some(l.id) != id_seg(line));
            if rec.lines.len() == before {
                return err(405, "Line not found");
            }
            ok(render_order(st, &st.orders[&o]))
        }),
        // Orders::validate() → Commande::valid(): 0 ("nothing done", already validated) is answered 304.
        ("POST", ["orders", id, "validate"]) => with_order(st, id, |st, o| {
            if st.orders[&o].statut != 0 {
                return (StatusCode::NOT_MODIFIED, Value::Null);
            }
            let date = st.orders[&o].date;
            let r = if st.orders[&o].r#ref.starts_with("(PROV") { st.next_ref("CO", date) } else { st.orders[&o].r#ref.clone() };
            let rec = st.orders.get_mut(&o).expect("exists");
            rec.r#ref = r;
            rec.statut = 1;
            ok(render_order(st, &st.orders[&o]))
        }),
        // Orders::close() → Commande::cloture(): 0 → 304.
        ("POST", ["orders", id, "close"]) => with_order(st, id, |st, o| match st.orders[&o].statut {
            3 => (StatusCode::NOT_MODIFIED, Value::Null),
            0 => err(500, "Error when closing Order: ErrorOrderIsDraft"),
            _ => {
                st.orders.get_mut(&o).expect("exists").statut = 3;
                ok(render_order(st, &st.orders[&o]))
            }
        }),
        // Orders::settodraft() → Commande::setDraft(): already a draft (or cancelled) → 0 → 304.
        ("POST", ["orders", id, "settodraft"]) => with_order(st, id, |st, o| {
            if st.orders[&o].statut <= 0 {
                return (StatusCode::NOT_MODIFIED, Value::Null);
            }
            st.orders.get_mut(&o).expect("exists").statut = 0;
            ok(render_order(st, &st.orders[&o]))
        }),
        ("POST", ["orders", id, "reopen"]) => with_order(st, id, |st, o| {
            if st.orders[&o].statut != 3 {
                return (StatusCode::NOT_MODIFIED, Value::Null);
            }
            st.orders.get_mut(&o).expect("exists").statut = 1;
            ok(json!(1))
        }),
        ("POST", ["orders", id, "setinvoiced"]) => with_order(st, id, |st, o| {
            st.orders.get_mut(&o).expect("exists").billed = 1;
            ok(render_order(st, &st.orders[&o]))
        }),

        ("GET", ["invoices"]) => list(st, q, "invoices", |st| st.invoices.values().map(|i| render_invoice(st, i)).collect()),
        ("GET", ["invoices", id]) => with_invoice(st, id, |st, i| ok(render_invoice(st, &st.invoices[&i]))),
        // Invoices::post() → Facture::create(): a credit note is `type` 2 with `fk_facture_source`.
        ("POST", ["invoices"]) => create_invoice(st, b),
        ("GET", ["invoices", id, "lines"]) => with_invoice(st, id, |st, i| {
            ok(Value::Array(st.invoices[&i].lines.iter().map(render_line).collect()))
        }),
        ("POST", ["invoices", id, "lines"]) => with_invoice(st, id, |st, i| add_invoice_line(st, i, b)),
        ("POST", ["invoices", "paymentsdistributed"]) => add_payment_distributed(st, b),
        // Facture::createFromOrder() dates the invoice `dol_now()`: the server's today, not the order's day.
        ("POST", ["invoices", "createfromorder", id]) => with_order(st, id, |st, o| {
            let order = st.orders[&o].clone();
            let date = st.today();
            let id = st.id();
            st.invoices.insert(
                id,
                InvoiceRec {
                    id,
                    r#ref: format!("(PROV{id})"),
                    ref_client: order.ref_client.clone(),
                    ref_ext: String::new(),
                    socid: order.socid,
                    date,
                    statut: 0,
                    paye: 0,
                    order_id: Some(o),
                    lines: order.lines.clone(),
                    typ: 0,
                    fk_facture_source: None,
                    note_private: String::new(),
                },
            );
            ok(render_invoice(st, &st.invoices[&id]))
        }),
        // Invoices::validate() → Facture::validate(): numbered from the invoice date by the numbering module
        // (mod_facture_terre: FA for invoices, AV with its own counter for credit notes); 0 ("nothing done",
        // not a draft) → 304 with an empty body.
        ("POST", ["invoices", id, "validate"]) => with_invoice(st, id, |st, i| {
            if st.invoices[&i].statut != 0 {
                return (StatusCode::NOT_MODIFIED, Value::Null);
            }
            let date = st.invoices[&i].date;
            let prefix = if st.invoices[&i].typ == CREDIT_NOTE { "AV" } else { "FA" };
            let r = st.next_ref(prefix, date);
            let rec = st.invoices.get_mut(&i).expect("exists");
            rec.r#ref = r;
            rec.statut = 1;
            ok(render_invoice(st, &st.invoices[&i]))
        }),
        // Invoices::put() copies the fields onto the invoice and Facture::update() writes `datef` with idate().
        ("PUT", ["invoices", id]) => with_invoice(st, id, |st, i| {
            let date = b.get("date").and_then(|v| st.day_from_json(v));
            let rec = st.invoices.get_mut(&i).expect("exists");
            if let Some(d) = date {
                rec.date = d;
            }
            for (k, v) in b {
                if k == "ref_ext" {
                    rec.ref_ext = v.as_str().unwrap_or("").to_owned();
                }
            }
            ok(render_invoice(st, &st.invoices[&i]))
        }),
        ("GET", ["invoices", id, "payments"]) => with_invoice(st, id, |st, i| {
            ok(Value::Array(st.payments.values().filter(|p| p.invoice_id == i).map(payment_list_entry).collect()))
        }),
        ("POST", ["invoices", id, "payments"]) => with_invoice(st, id, |st, i| add_payment(st, i, b)),

        // api/class/api_setup.class.php Setup::getPaymentTypes(): `c_paiement` rows (id, code, label, type, module).
        ("GET", ["setup", "dictionary", "payment_types"]) => ok(Value::Array(
            st.payment_types
                .iter()
                .map(|(id, code, label)| json!({"id": s(id), "code": code, "label": label, "type": "2", "module": null, "active": "1"}))
                .collect(),
        )),
        ("GET", ["bankaccounts"]) => ok(Value::Array(st.bank_accounts.values().map(|a| Value::Object(a.clone())).collect())),
        ("GET", ["bankaccounts", id]) => match id_seg(id).and_then(|i| st.bank_accounts.get(&i)) {
            Some(a) => ok(Value::Object(a.clone())),
            None => err(404, "account not found"),
        },
        // BankAccounts::getLinks(): the account must exist, then Account::get_url($line_id) lists the line's
        // `llx_bank_url` rows whatever account the line is on (compta/bank/class/api_bankaccounts.class.php).
        ("GET", ["bankaccounts", id, "lines", line, "links"]) => {
            if id_seg(id).and_then(|i| st.bank_accounts.get(&i)).is_none() {
                return err(404, "account not found");
            }
            let line = id_seg(line).unwrap_or(0);
            ok(Value::Array(
                st.bank_urls
                    .iter()
                    .filter(|(l, _, _)| *l == line)
                    .map(|(l, url_id, typ)| {
                        let url = if *typ == "payment" { "/compta/paiement/card.php?id=" } else { "/comm/card.php?socid=" };
                        let label = if *typ == "payment" { "(paiement)" } else { "" };
                        json!({"url": url, "url_id": s(url_id), "label": label, "type": typ, "fk_bank": s(l)})
                    })
                    .collect(),
            ))
        }
        ("POST", ["bankaccounts"]) => {
            for f in ["ref", "label", "type", "currency_code", "country_id"] {
                if !b.contains_key(f) {
                    return err(400, &format!("{f} field missing"));
                }
            }
            let id = st.id() + 100;
            let mut m: Map<String, Value> = b.iter().map(|(k, v)| (k.clone(), stringify(v))).collect();
            m.insert("id".into(), s(id));
            m.insert("clos".into(), json!("0"));
            st.bank_accounts.insert(id, m);
            ok(json!(id))
        }
        _ => err(404, ""),
    }
}

fn stringify(v: &Value) -> Value {
    match v {
        Value::Number(n) => Value::String(n.to_string()),
        Value::Bool(b) => Value::String(if *b { "1" } else { "0" }.into()),
        other => other.clone(),
    }
}

fn with_order(st: &mut St, id: &str, f: impl FnOnce(&mut St, i64) -> Reply) -> Reply {
    match id_seg(id).filter(|i| st.orders.contains_key(i)) {
        Some(i) => f(st, i),
        None => err(404, "Order not found"),
    }
}

fn with_invoice(st: &mut St, id: &str, f: impl FnOnce(&mut St, i64) -> Reply) -> Reply {
    match id_seg(id).filter(|i| st.invoices.contains_key(i)) {
        Some(i) => f(st, i),
        None => err(404, "Invoice not found"),
    }
}

fn create_thirdparty(st: &mut St, b: &Map<String, Value>) -> Result<i64, Reply> {
    if b.get("name").and_then(Value::as_str).is_none_or(|n| n.trim().is_empty()) {
        return Err(err(400, "name field missing"));
    }
    let code = match b.get("code_client").and_then(Value::as_str) {
        None | Some("-1") | Some("") => None,
        Some(c) => Some(c.to_owned()),
    };
    if let Some(c) = &code
        && st.thirdparties.values().any(|t| t.get("code_client").and_then(Value::as_str) == Some(c))
    {
        return Err(business("Error creating thirdparty", "ErrorCustomerCodeAlreadyUsed"));
    }
    let id = st.id();
    let mut m: Map<String, Value> = b.iter().map(|(k, v)| (k.clone(), stringify(v))).collect();
    m.insert("id".into(), s(id));
    let today = st.today();
    let code = code.unwrap_or_else(|| st.next_ref("CU", today));
    m.insert("code_client".into(), json!(code));
    for f in ["email", "ref_ext", "phone", "address", "zip", "town"] {
        m.entry(f).or_insert(Value::Null);
    }
    m.entry("client").or_insert(json!("0"));
    st.thirdparties.insert(id, m);
    Ok(id)
}

/// First half of Product::create() (product/class/product.class.php): mandatory fields (Products::_validate), then
/// `SELECT count(*) … WHERE ref = …`: an existing ref is refused with `ErrorProductAlreadyExists`, which
/// Products::post() answers as 500 "Error creating product" with the code in `error["0"]`.
fn product_check(st: &St, b: &Map<String, Value>) -> Result<(), Reply> {
    for f in ["ref", "label"] {
        if b.get(f).and_then(Value::as_str).is_none_or(|v| v.trim().is_empty()) {
            return Err(err(400, &format!("{f} field missing")));
        }
    }
    let r = b["ref"].as_str().unwrap_or_default().trim();
    if st.products.values().any(|p| p["ref"] == r) {
        return Err(business("Error creating product", "ErrorProductAlreadyExists"));
    }
    Ok(())
}

/// Second half of Product::create(), the INSERT. Two creations of one ref that both passed [`product_check`]
/// meet the unique key `uk_product_ref (ref, entity)` here: the INSERT fails, `$this->error` is
/// `$this->db->lasterror()` (MariaDB's own text, the entry being ref-entity), so the answer is 500 "Error creating
/// product" with `"0": "Duplicate entry 'REF-1' for key 'uk_product_ref'"` — not ErrorProductAlreadyExists.
///
/// Prices as Product::create() reads them: with `price_base_type` TTC only `price_ttc` counts (`price` is
/// ignored) and HT is `price_ttc / (1 + tva_tx/100)`; otherwise `price` is HT and TTC derived. Both are
/// `price2num(…, 'MU')` (5 decimals) and stored with `price2num(…, 'MT')` (2 decimals) in the INSERT.
fn product_insert(st: &mut St, b: &Map<String, Value>) -> Reply {
    let r = b["ref"].as_str().unwrap_or_default().trim().to_owned();
    if st.products.values().any(|p| p["ref"] == r.as_str()) {
        return business("Error creating product", &format!("Duplicate entry '{r}-1' for key 'uk_product_ref'"));
    }
    let tva = b.get("tva_tx").and_then(Dec::from_json).unwrap_or(Dec::ZERO);
    let price = b.get("price").and_then(Dec::from_json).unwrap_or(Dec::ZERO);
    let price_ttc = b.get("price_ttc").and_then(Dec::from_json).unwrap_or(Dec::ZERO);
    let ttc_base = b.get("price_base_type").and_then(Value::as_str) == Some("TTC");
    let one_plus = Dec::from_int(1).plus(tva.over(Dec::from_int(100)));
    let (mut ht, mut ttc) = (Dec::ZERO, Dec::ZERO);
    if ttc_base && price_ttc > Dec::ZERO {
        ttc = price_ttc.round(5);
        ht = price_ttc.over(one_plus).round(5);
    }
    if !ttc_base && price > Dec::ZERO {
        ht = price.round(5);
        ttc = price.times(one_plus).round(5);
    }
    let id = st.id();
    let mut m: Map<String, Value> = b.iter().map(|(k, v)| (k.clone(), stringify(v))).collect();
    m.insert("id".into(), s(id));
    m.insert("ref".into(), json!(r));
    m.insert("price".into(), json!(ht.round(2).to_dolibarr()));
    m.insert("price_ttc".into(), json!(ttc.round(2).to_dolibarr()));
    m.insert("price_base_type".into(), json!(if ttc_base { "TTC" } else { "HT" }));
    m.insert("tva_tx".into(), json!(tva.to_dolibarr()));
    m.entry("type").or_insert(json!("0"));
    st.products.insert(id, m);
    ok(json!(id))
}

/// A line as Dolibarr computes it: per-line rounding to 2 decimals. `honour_ttc` is false for the `lines` embedded
/// in `POST /orders`, where `price_base_type` is ignored and `subprice` always taken as HT.
fn parse_line(b: &Map<String, Value>, honour_ttc: bool, id: i64) -> Result<LineRec, Reply> {
    let qty = b.get("qty").and_then(Dec::from_json).ok_or_else(|| err(400, "qty field missing"))?;
    let price = b.get("subprice").and_then(Dec::from_json).unwrap_or(Dec::ZERO);
    let tva = b.get("tva_tx").and_then(Dec::from_json).unwrap_or(Dec::ZERO);
    let fk_product = b.get("fk_product").and_then(Dec::from_json).map(|d| d.cents() / 100).filter(|i| *i > 0);
    let product_type = match (b.get("product_type").and_then(Dec::from_json), fk_product) {
        (Some(t), _) => t.cents() / 100,
        (None, Some(_)) => 0,
        // Free lines must say what they are (PostgreSQL installs fail with an SQL error otherwise, #14528).
        (None, None) => return Err(err(400, "Error: product_type is mandatory on a free-text line")),
    };
    let desc = b.get("desc").and_then(Value::as_str).unwrap_or("").to_owned();
    let ttc_base = honour_ttc && b.get("price_base_type").and_then(Value::as_str) == Some("TTC");
    let rate = tva.over(Dec::from_int(100));
    let (subprice, total_ht, total_tva, total_ttc) = if ttc_base {
        let ttc = qty.times(price).round(2);
        let ht = ttc.over(Dec::from_int(1).plus(rate)).round(2);
        (price.over(Dec::from_int(1).plus(rate)), ht, ttc.minus(ht), ttc)
    } else {
        let raw = qty.times(price);
        let ht = raw.round(2);
        let tv = raw.times(rate).round(2);
        (price, ht, tv, ht.plus(tv))
    };
    let rang = b.get("rang").and_then(Dec::from_json).map(|d| d.cents() / 100).unwrap_or(0);
    Ok(LineRec { id, fk_product, desc, qty, subprice, tva_tx: tva, product_type, total_ht, total_tva, total_ttc, rang })
}

fn create_order(st: &mut St, b: &Map<String, Value>) -> Reply {
    for f in ["socid", "date"] {
        if !b.contains_key(f) {
            return err(400, &format!("{f} field missing"));
        }
    }
    let Some(socid) = Dec::from_json(&b["socid"]).map(|d| d.cents() / 100).filter(|i| st.thirdparties.contains_key(i))
    else {
        return business("Error creating order", "ErrorThirdPartyNotFound");
    };
    // Commande::create() writes `date_commande` with `$this->db->idate($date)`: the day in PHP's timezone.
    let Some(date) = st.day_from_json(&b["date"]) else {
        return err(400, "date field is not a date");
    };
    let id = st.id();
    let mut lines = Vec::new();
    if let Some(Value::Array(ls)) = b.get("lines") {
        for l in ls {
            let lid = st.next_line_id;
            st.next_line_id += 1;
            match parse_line(l.as_object().unwrap_or(&Map::new()), false, lid) {
                Ok(mut line) => {
                    line.rang = lines.len() as i64 + 1;
                    lines.push(line)
                }
                Err(r) => return r,
            }
        }
    }
    let text = |f: &str| b.get(f).and_then(Value::as_str).unwrap_or("").to_owned();
    st.orders.insert(
        id,
        OrderRec {
            id,
            r#ref: format!("(PROV{id})"),
            ref_client: text("ref_client"),
            ref_ext: text("ref_ext"),
            socid,
            date,
            statut: 0,
            billed: 0,
            note_private: text("note_private"),
            note_public: text("note_public"),
            lines,
        },
    );
    ok(json!(id))
}

/// `Facture::TYPE_CREDIT_NOTE` (compta/facture/class/facture.class.php).
const CREDIT_NOTE: i64 = 2;

/// Invoices::post() (compta/facture/class/api_invoices.class.php): `socid` mandatory (`_validate`, 400 "socid field
/// missing"), every other field copied onto the Facture, `date` defaulting to dol_now(), then Facture::create()
/// (500 "Error creating invoice" with the object's errors on failure). The answer is the bare new id; the draft is
/// `(PROV<id>)`. `lines` given in the body are added one by one as Facture::create() does, through addline().
fn create_invoice(st: &mut St, b: &Map<String, Value>) -> Reply {
    if !b.contains_key("socid") {
        return err(400, "socid field missing");
    }
    let Some(socid) = Dec::from_json(&b["socid"]).map(|d| d.cents() / 100).filter(|i| st.thirdparties.contains_key(i))
    else {
        return business("Error creating invoice", "ErrorThirdPartyNotFound");
    };
    let date = match b.get("date") {
        Some(v) => match st.day_from_json(v) {
            Some(d) => d,
            None => return err(400, "date field is not a date"),
        },
        None => st.today(),
    };
    let typ = b.get("type").and_then(Dec::from_json).map(|d| d.cents() / 100).unwrap_or(0);
    let fk_facture_source = b.get("fk_facture_source").and_then(Dec::from_json).map(|d| d.cents() / 100).filter(|i| *i > 0);
    let text = |f: &str| b.get(f).and_then(Value::as_str).unwrap_or("").to_owned();
    let id = st.id();
    st.invoices.insert(
        id,
        InvoiceRec {
            id,
            r#ref: format!("(PROV{id})"),
            ref_client: text("ref_client"),
            ref_ext: text("ref_ext"),
            socid,
            date,
            statut: 0,
            paye: 0,
            order_id: None,
            lines: Vec::new(),
            typ,
            fk_facture_source,
            note_private: text("note_private"),
        },
    );
    if let Some(Value::Array(lines)) = b.get("lines") {
        for l in lines {
            let (status, v) = add_invoice_line(st, id, l.as_object().unwrap_or(&Map::new()));
            if status != StatusCode::OK {
                st.invoices.remove(&id);
                return business("Error creating invoice", v["error"]["message"].as_str().unwrap_or("line"));
            }
        }
    }
    ok(json!(id))
}

/// Invoices::postLine() → Facture::addline() with the request's `price_base_type` (default HT). addline() only
/// works on a draft (else the API answers 400 "Unable to insert the new line. Check your inputs. …"). For a
/// credit note it stores "quantity always positive and unit price negative": `qty = abs(qty)`,
/// `subprice = -abs(pu_ht)` and every total `-abs(total)` — so a line cannot be positive on a credit note, and a
/// discount line copied from an invoice would count *against* the customer. Answers the line id.
fn add_invoice_line(st: &mut St, inv: i64, b: &Map<String, Value>) -> Reply {
    if st.invoices[&inv].statut != 0 {
        return err(400, "Unable to insert the new line. Check your inputs. ErrorInvoiceNotDraft");
    }
    let line_id = st.next_line_id;
    let mut line = match parse_line(b, true, line_id) {
        Ok(l) => l,
        Err((_, v)) => {
            let why = v["error"]["message"].as_str().unwrap_or("").to_owned();
            return err(400, &format!("Unable to insert the new line. Check your inputs. {why}"));
        }
    };
    st.next_line_id += 1;
    let rec = st.invoices.get_mut(&inv).expect("exists");
    if rec.typ == CREDIT_NOTE {
        let neg = |d: Dec| if d > Dec::ZERO { Dec::ZERO.minus(d) } else { d };
        if line.qty < Dec::ZERO {
            line.qty = Dec::ZERO.minus(line.qty);
        }
        line.subprice = neg(line.subprice);
        line.total_ht = neg(line.total_ht);
        line.total_tva = neg(line.total_tva);
        line.total_ttc = neg(line.total_ttc);
    }
    if line.rang <= 0 {
        line.rang = rec.lines.len() as i64 + 1;
    }
    rec.lines.push(line);
    ok(json!(line_id))
}

/// What is left to pay on an invoice: `total_ttc - getSommePaiement()` (no deposits nor credit notes used here).
/// Negative on a credit note.
fn remain_to_pay(st: &St, inv: i64) -> Dec {
    let (_, _, ttc) = totals(&st.invoices[&inv].lines);
    let paid = st.payments.values().filter(|p| p.invoice_id == inv).fold(Dec::ZERO, |a, p| a.plus(p.amount));
    ttc.minus(paid)
}

/// `datepaye` as Invoices::addPayment()/addPaymentDistributed() read it: a number is a timestamp
/// (`is_numeric`), anything else goes through dol_stringtotime() (a `YYYY-MM-DD` day is midnight UTC).
fn payment_date(st: &St, v: Option<&Value>) -> (i64, NaiveDate) {
    match v {
        Some(Value::String(s)) if Dec::parse(s).is_none() => {
            let day = st.day_from_json(&Value::String(s.clone())).unwrap_or_else(|| st.today());
            (st.jdate(day), day)
        }
        Some(v) => {
            let ts = Dec::from_json(v).map(|d| d.cents() / 100).unwrap_or(0);
            (ts, st.day_of(ts))
        }
        None => (0, st.day_of(0)),
    }
}

/// The checks both payment routes make before Paiement::create(): `accountid` mandatory with the bank module
/// (400 "Account ID is mandatory"), `paymentid` mandatory (400 "Payment ID or Payment Code is mandatory"),
/// its code read with dol_getIdFromCode(). Answers (account id, payment code).
fn payment_mode(st: &St, b: &Map<String, Value>) -> Result<(i64, &'static str), Reply> {
    let Some(accountid) = b.get("accountid").and_then(Dec::from_json).map(|d| d.cents() / 100).filter(|i| *i > 0)
    else {
        return Err(err(400, "Account ID is mandatory"));
    };
    let paymentid = b.get("paymentid").and_then(Dec::from_json).map(|d| d.cents() / 100).unwrap_or(0);
    if paymentid <= 0 {
        return Err(err(400, "Payment ID or Payment Code is mandatory"));
    }
    if !st.bank_accounts.contains_key(&accountid) {
        return Err(err(404, "Bank account not found"));
    }
    let Some(code) = st.payment_types.iter().find(|(id, _, _)| *id == paymentid).map(|(_, c, _)| *c) else {
        return Err(err(400, "Payment error: unknown payment mode"));
    };
    Ok((accountid, code))
}

/// Paiement::create() then Paiement::addPaymentToBank() for one invoice, as both payment routes end:
/// an amount of 0 is "TotalAmountEmpty" (400 "Payment error : TotalAmountEmpty"); CHQ needs `chqemetteur`;
/// Account::addline() refuses any code but LIQ on a cash account (`type` 2) with
/// ErrorCashAccountAcceptsOnlyCashMoney (400 "Add payment to bank error : …", all rolled back); with
/// `closepaidinvoices` the invoice is set paid (statut 2, paye 1) only when nothing remains to pay afterwards.
#[allow(clippy::too_many_arguments)]
fn record_payment(
    st: &mut St,
    inv: i64,
    amount: Dec,
    b: &Map<String, Value>,
    accountid: i64,
    code: &'static str,
    ref_ext: String,
) -> Reply {
    if amount.is_zero() {
        return err(400, "Payment error : TotalAmountEmpty");
    }
    if code == "CHQ" && b.get("chqemetteur").and_then(Value::as_str).is_none_or(str::is_empty) {
        return err(400, "Emetteur is mandatory when payment code is CHQ");
    }
    if st.bank_accounts[&accountid]["type"] == "2" && code != "LIQ" {
        return err(400, "Add payment to bank error : ErrorCashAccountAcceptsOnlyCashMoney");
    }
    let (date, day) = payment_date(st, b.get("datepaye"));
    let id = st.id();
    let r = st.next_ref("PAY", day);
    let bank_line = st.next_bank_line;
    st.next_bank_line += 1;
    // Paiement::addPaymentToBank(): the bank line is linked to the payment and to the customer.
    let socid = st.invoices[&inv].socid;
    st.bank_urls.push((bank_line, id, "payment"));
    st.bank_urls.push((bank_line, socid, "company"));
    let bank_label =
        if st.invoices[&inv].typ == CREDIT_NOTE { "(CustomerInvoicePaymentBack)" } else { "(CustomerInvoicePayment)" };
    st.payments.insert(
        id,
        PaymentRec {
            id,
            r#ref: r,
            invoice_id: inv,
            amount,
            code: code.to_owned(),
            date,
            day,
            num: b.get("num_payment").and_then(Value::as_str).unwrap_or("").to_owned(),
            accountid,
            bank_line,
            bank_label,
            ref_ext,
        },
    );
    if b.get("closepaidinvoices").and_then(Value::as_str) == Some("yes") && remain_to_pay(st, inv).round(2).is_zero() {
        let rec = st.invoices.get_mut(&inv).expect("exists");
        rec.statut = 2;
        rec.paye = 1;
    }
    ok(json!(id))
}

/// Invoices::addPayment(), `POST /invoices/{id}/payments` (compta/facture/class/api_invoices.class.php): pays the
/// whole remaining amount. For a credit note it takes `-1 * remain`, and the remain of a credit note is already
/// negative, so the payment is recorded *positive* — money coming in, labelled `(CustomerInvoicePaymentBack)`,
/// and the credit note stays unpaid with a doubled remain (Dolibarr's bug, verified on 23.0.0-beta: see
/// shared/reference/dolibarr-credit-notes.md §4). The bridge must never use it for a refund.
fn add_payment(st: &mut St, inv: i64, b: &Map<String, Value>) -> Reply {
    for f in ["datepaye", "paymentid", "closepaidinvoices"] {
        if !b.contains_key(f) {
            return err(400, &format!("{f} field missing"));
        }
    }
    let (accountid, code) = match payment_mode(st, b) {
        Ok(m) => m,
        Err(r) => return r,
    };
    if st.invoices[&inv].statut == 0 {
        return err(400, "Payment error : the invoice is a draft");
    }
    let remain = remain_to_pay(st, inv).round(2);
    let amount = if st.invoices[&inv].typ == CREDIT_NOTE { Dec::ZERO.minus(remain) } else { remain };
    record_payment(st, inv, amount, b, accountid, code, String::new())
}

/// Invoices::addPaymentDistributed(), `POST /invoices/paymentsdistributed`, as in the source read (Dolibarr
/// 20/21, compta/facture/class/api_invoices.class.php): `arrayofamounts` is `{"<invoice id>": {"amount": …,
/// "multicurrency_amount": …}}`; per invoice the remain is `total_ttc - paid`; `amount` "remain" pays it, a
/// number is taken as is; `amount > remain` is refused (400 "Payment amount on invoice ID … is higher than
/// remain to pay (…)") unless `accepthigherpayment`; then for a credit note `amount = -1 * amount`.
/// So on a credit note (remain negative) only a positive amount with `accepthigherpayment` is recorded as money
/// going *out*; "remain" there gives `-1 × (negative remain)`, money in. (Dolibarr 23 forces `-abs(amount)`,
/// verified in shared/reference/dolibarr-credit-notes.md §4: the positive amount + accepthigherpayment the
/// bridge sends gives −amount on both.) One invoice per payment in this stand-in.
fn add_payment_distributed(st: &mut St, b: &Map<String, Value>) -> Reply {
    let Some(amounts) = b.get("arrayofamounts").and_then(Value::as_object) else {
        return err(400, "arrayofamounts field missing");
    };
    for f in ["datepaye", "paymentid", "closepaidinvoices"] {
        if !b.contains_key(f) {
            return err(400, &format!("{f} field missing"));
        }
    }
    if amounts.keys().any(|k| id_seg(k).is_none()) || amounts.is_empty() {
        return err(
            400,
            "Invoice ID is mandatory. Fill the invoice id and amount into arrayofamounts parameter. For example: {\"1\": \"99.99\", \"2\": \"10\"}",
        );
    }
    if amounts.len() > 1 {
        return err(400, "stand-in: one invoice per distributed payment");
    }
    let (accountid, code) = match payment_mode(st, b) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let accept_higher = matches!(b.get("accepthigherpayment"), Some(Value::Bool(true)))
        || b.get("accepthigherpayment").and_then(Dec::from_json).is_some_and(|d| !d.is_zero());
    let (key, spec) = amounts.iter().next().expect("one");
    let inv = id_seg(key).expect("checked");
    if !st.invoices.contains_key(&inv) {
        return err(404, &format!("Invoice ID {inv} not found"));
    }
    let field = |f: &str| spec.get(f).cloned().unwrap_or(Value::Null);
    let is_remain = |v: &Value| v.as_str() == Some("remain");
    let positive = |v: &Value| Dec::from_json(v).is_some_and(|d| d > Dec::ZERO);
    let (amount_v, multi_v) = (field("amount"), field("multicurrency_amount"));
    if (is_remain(&amount_v) || positive(&amount_v)) && (is_remain(&multi_v) || positive(&multi_v)) {
        return err(400, &format!("Payment in both currency {inv} ( amount: {amount_v}, multicurrency_amount: {multi_v})"));
    }
    let remain = remain_to_pay(st, inv).round(2);
    let mut amount = if is_remain(&amount_v) {
        remain
    } else {
        // price2num('…', 'MT') of anything not numeric is 0.
        Dec::from_json(&amount_v).unwrap_or(Dec::ZERO).round(2)
    };
    if amount > remain && !accept_higher {
        let php = |d: Dec| {
            let t = d.round(2).to_dolibarr();
            let t = t.trim_end_matches('0').trim_end_matches('.').to_owned();
            if t == "-0" || t.is_empty() { "0".to_owned() } else { t }
        };
        return err(
            400,
            &format!("Payment amount on invoice ID {inv} ({}) is higher than remain to pay ({})", php(amount), php(remain)),
        );
    }
    if st.invoices[&inv].typ == CREDIT_NOTE {
        amount = if st.distributed_abs && amount < Dec::ZERO { amount } else { Dec::ZERO.minus(amount) };
    }
    let ref_ext = b.get("ref_ext").and_then(Value::as_str).unwrap_or("").to_owned();
    record_payment(st, inv, amount, b, accountid, code, ref_ext)
}

// ---------------------------------------------------------------------------------------------------------------
// Lists and sqlfilters.

fn list(st: &St, q: &BTreeMap<String, String>, what: &str, all: impl Fn(&St) -> Vec<Value>) -> Reply {
    let mut items = all(st);
    if let Some(f) = q.get("sqlfilters").filter(|f| !f.is_empty()) {
        let filter = match Filter::parse(f) {
            Ok(c) => c,
            Err(why) => return err(400, &format!("Error when validating parameter sqlfilters -> {why}")),
        };
        items.retain(|it| filter.matches(it));
    }
    let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(100);
    if q.get("sortorder").is_some_and(|o| o.eq_ignore_ascii_case("DESC")) {
        items.reverse();
    }
    if limit > 0 {
        items.truncate(limit);
    }
    if items.is_empty() && st.empty_list == EmptyList::NotFound {
        let noun = match what {
            "thirdparties" => "third parties",
            other => other,
        };
        return err(404, &format!("No {noun} found"));
    }
    ok(Value::Array(items))
}

// ---------------------------------------------------------------------------------------------------------------
// sqlfilters, as forgeSQLFromUniversalSearchCriteria() and dolForgeCriteriaCallback() (core/lib/functions.lib.php,
// Dolibarr 19+; read from a copy of that code, the stored Dolibarr/dolibarr copy of the file being a 2020 version)
// turn them into SQL, and as MariaDB then evaluates that SQL.
//
// - The filter is wrapped in `(…)` if it is not; parentheses must balance (dolCheckFilters), else "Filter syntax
//   error - Wrong balance of parenthesis".
// - A criterion is the regex `\(([a-zA-Z0-9_\.]+:[<>!=insotlke]+:[^\(\)]+)\)` (case-insensitive): a value can
//   hold anything but `(` and `)`. Once every criterion is replaced by `()` and `and`, `or`, `AND`, `OR` and spaces
//   are removed, anything left but parentheses is "Bad syntax of the search string".
// - In a criterion, `explode(':', …)` splits on *every* colon and only the third piece is the value: a colon inside
//   a value cuts it short (issue #29292).
// - `=` and the other comparisons: a value matching `^'(.*)'$` (greedy: quotes inside are kept) becomes a string,
//   escaped with `$db->escape()`, so a `'` inside needs no escaping from the caller; `%` and `_` are literal. An
//   unquoted value is `NULL` or cast with `(float)` (PHP: leading number, else 0), compared as a number.
// - `like` / `notlike`: the quotes are removed only when the value matches `^'([^']*)'$`; `%` and `_` are left as
//   wildcards ("We do not escape the _ and % so the LIKE will work as expected"), `\` escapes the next character.
// - `in` / `notin`: comma-separated items, each quoted or not.
// - Comparisons follow the column collation, utf8mb4_unicode_ci: case and accents are ignored.

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Str(String),
    Num(f64),
    Null,
    List(Vec<String>),
}

#[derive(Debug, Clone)]
struct Criterion {
    field: String,
    op: String,
    value: Operand,
}

#[derive(Debug)]
enum Node {
    Crit(Criterion),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
}

#[derive(Debug)]
struct Filter(Node);

#[derive(Debug)]
enum Tok {
    Open,
    Close,
    And,
    Or,
    Crit(Criterion),
}

/// Length of the criterion regex's match at `i` (which is a `(`), if any.
fn criterion_at(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    let start = j;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'.') {
        j += 1;
    }
    if j == start || b.get(j) != Some(&b':') {
        return None;
    }
    j += 1;
    let op_start = j;
    while j < b.len() && b"<>!=insotlkeINSOTLKE".contains(&b[j]) {
        j += 1;
    }
    if j == op_start || b.get(j) != Some(&b':') {
        return None;
    }
    j += 1;
    let v_start = j;
    while j < b.len() && b[j] != b'(' && b[j] != b')' {
        j += 1;
    }
    if j == v_start || b.get(j) != Some(&b')') {
        return None;
    }
    Some(j + 1 - i)
}

/// dolForgeCriteriaCallback() on the text between the criterion's parentheses.
fn forge_criterion(inner: &str) -> Criterion {
    let parts: Vec<&str> = inner.split(':').collect();
    let field: String =
        parts[0].trim().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '_').collect();
    let op: String = parts[1]
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphabetic() || matches!(c, '<' | '>' | '!' | '='))
        .collect::<String>()
        .to_uppercase();
    let op = match op.as_str() {
        "NOTLIKE" => "NOT LIKE".to_owned(),
        "ISNOT" => "IS NOT".to_owned(),
        "NOTIN" => "NOT IN".to_owned(),
        "!=" => "<>".to_owned(),
        _ => op,
    };
    let raw = parts[2];
    let quoted = |v: &str| v.len() >= 2 && v.starts_with('\'') && v.ends_with('\'');
    let value = if op == "IN" || op == "NOT IN" {
        Operand::List(
            raw.split(',')
                .map(|e| if quoted(e) { e[1..e.len() - 1].to_owned() } else { e.to_owned() })
                .collect(),
        )
    } else if op == "LIKE" || op == "NOT LIKE" {
        let inner = &raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
        Operand::Str(if quoted(raw) && !inner.contains('\'') { inner.to_string() } else { raw.to_owned() })
    } else if quoted(raw) {
        Operand::Str(raw[1..raw.len() - 1].to_owned())
    } else if raw.eq_ignore_ascii_case("NULL") {
        Operand::Null
    } else {
        Operand::Num(php_float(raw))
    };
    let field = field.rsplit('.').next().unwrap_or("").to_owned();
    Criterion { field, op, value }
}

/// PHP's `(float)` of a string: its leading number, 0 when there is none.
fn php_float(s: &str) -> f64 {
    let s = s.trim_start();
    let mut end = 0;
    let b = s.as_bytes();
    if end < b.len() && (b[end] == b'-' || b[end] == b'+') {
        end += 1;
    }
    while end < b.len() && (b[end].is_ascii_digit() || b[end] == b'.') {
        end += 1;
    }
    s[..end].parse().unwrap_or(0.0)
}

/// utf8mb4_unicode_ci, near enough: case and accents ignored.
fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfd().filter(|c| !('\u{300}'..='\u{36f}').contains(c)).collect::<String>().to_lowercase()
}

/// [`fold`], and trailing spaces ignored as `=` does under PAD SPACE (LIKE does not).
fn collate(s: &str) -> String {
    fold(s).trim_end().to_owned()
}

/// SQL LIKE with `%`, `_` and `\` as escape.
fn sql_like(have: &str, pattern: &str) -> bool {
    fn go(h: &[char], p: &[char]) -> bool {
        match p.first() {
            None => h.is_empty(),
            Some('%') => (0..=h.len()).any(|k| go(&h[k..], &p[1..])),
            Some('_') => !h.is_empty() && go(&h[1..], &p[1..]),
            Some('\\') if p.len() > 1 => h.first() == Some(&p[1]) && go(&h[1..], &p[2..]),
            Some(c) => h.first() == Some(c) && go(&h[1..], &p[1..]),
        }
    }
    let h: Vec<char> = fold(have).chars().collect();
    // Wildcards and escapes stay as they are; every other character is folded like the column.
    let p: Vec<char> = pattern
        .chars()
        .flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec![c] } else { fold(&c.to_string()).chars().collect() })
        .collect();
    go(&h, &p)
}

impl Criterion {
    fn matches(&self, item: &Value) -> bool {
        let have: Option<String> = match item.get(&self.field) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::Bool(b)) => Some(if *b { "1" } else { "0" }.to_owned()),
            Some(Value::Null) | None => None,
            Some(other) => Some(other.to_string()),
        };
        match (&self.value, self.op.as_str()) {
            (Operand::Null, "IS") => have.is_none(),
            (Operand::Null, "IS NOT") => have.is_some(),
            (_, _) if have.is_none() => false,
            (Operand::List(items), op) => {
                let h = collate(have.as_deref().unwrap_or(""));
                let found = items.iter().any(|i| collate(i.trim()) == h);
                if op == "IN" { found } else { !found }
            }
            (Operand::Str(v), "LIKE") => sql_like(have.as_deref().unwrap_or(""), v),
            (Operand::Str(v), "NOT LIKE") => !sql_like(have.as_deref().unwrap_or(""), v),
            (Operand::Str(v), op) => {
                let (h, v) = (collate(have.as_deref().unwrap_or("")), collate(v));
                cmp(op, h.cmp(&v))
            }
            // A string column compared with a number: MariaDB converts the string to a number.
            (Operand::Num(n), op) => {
                let h = php_float(have.as_deref().unwrap_or(""));
                h.partial_cmp(n).is_some_and(|o| cmp(op, o))
            }
            (Operand::Null, _) => false,
        }
    }
}

fn cmp(op: &str, o: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        "=" => o == Equal,
        "<>" => o != Equal,
        "<" => o == Less,
        ">" => o == Greater,
        "<=" => o != Greater,
        ">=" => o != Less,
        _ => false,
    }
}

impl Filter {
    fn parse(f: &str) -> Result<Filter, String> {
        let f = if f.starts_with('(') && f.ends_with(')') { f.to_owned() } else { format!("({f})") };
        // dolCheckFilters(): balance of parentheses.
        let mut depth = 0i64;
        for c in f.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth < 0 {
                return Err(format!("Wrong balance of parenthesis in sqlfilters={f}"));
            }
        }
        if depth != 0 {
            return Err(format!("Wrong balance of parenthesis in sqlfilters={f}"));
        }
        // Criteria replaced, the only things allowed are parentheses, and/or (lower or upper case) and spaces.
        let b = f.as_bytes();
        let mut toks = Vec::new();
        let mut dummy = String::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'('
                && let Some(n) = criterion_at(b, i)
            {
                toks.push(Tok::Crit(forge_criterion(&f[i + 1..i + n - 1])));
                dummy.push_str("()");
                i += n;
                continue;
            }
            dummy.push(f[i..].chars().next().unwrap_or(' '));
            i += f[i..].chars().next().map(char::len_utf8).unwrap_or(1);
        }
        let stripped = dummy.replace("and", "").replace("or", "").replace("AND", "").replace("OR", "").replace(' ', "");
        if stripped.chars().any(|c| c != '(' && c != ')') {
            return Err(format!("Bad syntax of the search string: {f}"));
        }
        // The SQL MariaDB then evaluates: tokens between criteria.
        let mut out = Vec::new();
        let mut crit = toks.into_iter();
        let d = dummy.as_bytes();
        let mut k = 0;
        while k < d.len() {
            if d[k..].starts_with(b"()") {
                // A criterion (an empty `()` cannot be written otherwise: the regex needs a value).
                out.push(crit.next().ok_or("criterion")?);
                k += 2;
            } else if d[k] == b'(' {
                out.push(Tok::Open);
                k += 1;
            } else if d[k] == b')' {
                out.push(Tok::Close);
                k += 1;
            } else if d.len() >= k + 3 && d[k..k + 3].eq_ignore_ascii_case(b"and") {
                out.push(Tok::And);
                k += 3;
            } else if d.len() >= k + 2 && d[k..k + 2].eq_ignore_ascii_case(b"or") {
                out.push(Tok::Or);
                k += 2;
            } else {
                k += 1;
            }
        }
        let mut pos = 0;
        let node = parse_or(&mut out, &mut pos).ok_or_else(|| format!("Bad syntax of the search string: {f}"))?;
        if pos != out.len() {
            return Err(format!("Bad syntax of the search string: {f}"));
        }
        Ok(Filter(node))
    }

    fn matches(&self, item: &Value) -> bool {
        fn eval(n: &Node, item: &Value) -> bool {
            match n {
                Node::Crit(c) => c.matches(item),
                Node::And(a, b) => eval(a, item) && eval(b, item),
                Node::Or(a, b) => eval(a, item) || eval(b, item),
            }
        }
        eval(&self.0, item)
    }
}

// SQL precedence: AND binds tighter than OR.
fn parse_or(t: &mut Vec<Tok>, pos: &mut usize) -> Option<Node> {
    let mut left = parse_and(t, pos)?;
    while matches!(t.get(*pos), Some(Tok::Or)) {
        *pos += 1;
        let right = parse_and(t, pos)?;
        left = Node::Or(Box::new(left), Box::new(right));
    }
    Some(left)
}

fn parse_and(t: &mut Vec<Tok>, pos: &mut usize) -> Option<Node> {
    let mut left = parse_atom(t, pos)?;
    while matches!(t.get(*pos), Some(Tok::And)) {
        *pos += 1;
        let right = parse_atom(t, pos)?;
        left = Node::And(Box::new(left), Box::new(right));
    }
    Some(left)
}

fn parse_atom(t: &mut Vec<Tok>, pos: &mut usize) -> Option<Node> {
    match t.get(*pos)? {
        Tok::Open => {
            *pos += 1;
            let n = parse_or(t, pos)?;
            if !matches!(t.get(*pos), Some(Tok::Close)) {
                return None;
            }
            *pos += 1;
            Some(n)
        }
        Tok::Crit(c) => {
            let c = c.clone();
            *pos += 1;
            Some(Node::Crit(c))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_line_rounding_and_ttc_handling_follow_the_reference() {
        // HT 3.333 at 20 %: total_ht 3.33, VAT 0.67, TTC 4.00.
        let l = parse_line(
            json!({"qty": 1, "subprice": 3.333, "tva_tx": 20, "product_type": 1}).as_object().unwrap(),
            true,
            1,
        )
        .unwrap();
        assert_eq!(
            (l.total_ht.to_dolibarr(), l.total_tva.to_dolibarr(), l.total_ttc.to_dolibarr()),
            ("3.33000000".into(), "0.67000000".into(), "4.00000000".into())
        );
        // TTC honoured on POST lines: 2 × 10.00 TTC at 10 % → 20.00 TTC exactly.
        let body = json!({"qty": 2, "subprice": 10, "tva_tx": 10, "price_base_type": "TTC", "product_type": 0});
        let l = parse_line(body.as_object().unwrap(), true, 1).unwrap();
        assert_eq!(l.total_ttc.to_dolibarr(), "20.00000000");
        assert_eq!(l.total_ht.to_dolibarr(), "18.18000000");
        // …and ignored in embedded lines: 10.00 taken as HT.
        let l = parse_line(body.as_object().unwrap(), false, 1).unwrap();
        assert_eq!(l.total_ttc.to_dolibarr(), "22.00000000");
        // Free line without product_type.
        assert!(parse_line(json!({"qty": 1, "subprice": 2}).as_object().unwrap(), true, 1).is_err());
    }

    fn hits(filter: &str, item: Value) -> bool {
        Filter::parse(filter).unwrap_or_else(|e| panic!("{filter}: {e}")).matches(&item)
    }

    #[test]
    fn sqlfilters_parse_and_match_as_dolibarr_forges_them() {
        assert!(hits("(t.ref_ext:=:'PS-1001')", json!({"ref_ext": "PS-1001"})));
        // `in` items are split on commas and unquoted one by one: `'1,3'` is not a list of two.
        assert!(hits("(t.email:=:'a@b.c') and (t.client:in:1,3)", json!({"email": "A@B.C", "client": "3"})));
        assert!(!hits("(t.email:=:'a@b.c') and (t.client:in:1,3)", json!({"email": "a@b.c", "client": "0"})));
        assert!(!hits("(t.client:in:'1,3')", json!({"client": "3"})));
        assert!(hits("(t.client:=:2) or (t.client:=:3)", json!({"client": "3"})), "or is an SQL OR");
        assert!(hits("((t.client:=:2) or (t.client:=:3)) and (t.ref:like:'C%')", json!({"client": "2", "ref": "CU1"})));
        // A quote inside a quoted value: `^'(.*)'$` is greedy and the inside goes through $db->escape().
        assert!(hits("(t.email:=:'o'brien@example.com')", json!({"email": "o'brien@example.com"})));
        // % and _ are literal with `=`, wildcards with like.
        assert!(!hits("(t.email:=:'a_c@x')", json!({"email": "abc@x"})));
        assert!(hits("(t.email:like:'a_c@x')", json!({"email": "abc@x"})));
        // utf8mb4_unicode_ci: accents and case ignored.
        assert!(hits("(t.email:=:'josé@x.fr')", json!({"email": "JOSE@x.fr"})));
        // A colon cuts the value (explode on every ':'): "'a" is not quoted, (float)"'a" = 0, and a string column
        // compared with 0 matches every value that does not start with a number.
        assert!(hits("(t.email:=:'a:b@x')", json!({"email": "zzz@x"})));
        for bad in [
            "(t.ref:=:'x'",
            "(t.ref:=:'x') (t.a:=:'b')",
            "(t.ref:==x)",
            "(ref:=:'a(b')",
            "(t.ref:=:'x') And (t.a:=:'b')",
        ] {
            assert!(Filter::parse(bad).is_err(), "{bad}");
        }
        assert!(sql_like("pizza-reine", "pizza-%"));
        assert!(!sql_like("drink-cola", "pizza-%"));
        assert!(sql_like("a%b", "a\\%b"));
        assert!(!sql_like("axb", "a\\%b"));
    }

    #[test]
    fn decimals_round_half_away_from_zero() {
        assert_eq!(Dec::parse("0.005").unwrap().round(2).to_dolibarr(), "0.01000000");
        assert_eq!(Dec::parse("-0.005").unwrap().round(2).to_dolibarr(), "-0.01000000");
        assert_eq!(Dec::parse("24.64").unwrap().cents(), 2464);
        assert_eq!(Dec::parse("10").unwrap().over(Dec::parse("1.1").unwrap()).to_dolibarr(), "9.09090909");
        assert_eq!(
            form_urlencoded_pairs("sqlfilters=%28t.ref%3A%3D%3A%27A+B%27%29&limit=2"),
            vec![("sqlfilters".into(), "(t.ref:=:'A B')".into()), ("limit".into(), "2".into())]
        );
    }
}
