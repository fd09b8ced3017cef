//! A local stand-in of SogeCommerce's REST API, `POST /api-payment/V4/Transaction/CancelOrRefund` only, for the
//! extension's `SogeCommerce::cancelOrRefund` over loopback.
//!
//! SogeCommerce (Lyra) is not open source: there is no server code to read. What this reproduces, and from where:
//! - HTTP Basic `shopId:REST password`, JSON body POSTed under `…/api-payment/V4/…`: shared/reference/sogecommerce.md
//!   §6 (and Lyra's `lyra/rest-php-sdk` `Client::post`, which every official module uses).
//! - The answer envelope `{"webService", "version", "status": "SUCCESS"|"ERROR", "answer", "mode", "_type"}`, and an
//!   ERROR's `answer.errorCode` / `errorMessage` / `detailedErrorCode` / `detailedErrorMessage`: read that way by
//!   Lyra's PayZen plugins (`Lyranetwork_Payzen_Helper_Rest::checkResult`, Magento 1 plugin, the version stored in
//!   the search index) and by the Systempay Laravel client's tests (a CANCELLATION_ONLY answer `{uuid, status
//!   UNPAID, detailedStatus CANCELLED}`).
//! - The request `{uuid, amount (minor units), currency, resolutionMode AUTO|REFUND_ONLY|CANCELLATION_ONLY}` and the
//!   semantics "a transaction not yet captured is cancelled (partially: its amount is reduced), a captured one is
//!   refunded by a new CREDIT transaction": sogecommerce.md §6 and issue 13.
//! NOT verified against the real service (a guess, kept simple and said here): the exact error codes (the stand-in
//! uses its own `STANDIN_*` codes; the client passes any code through), and that a bad Basic password is HTTP 401
//! with an ERROR envelope (the client treats any non-2xx the same way).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use base64::Engine;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// A transaction the stand-in knows.
#[derive(Debug, Clone, PartialEq)]
pub struct Transaction {
    pub amount: i64,
    pub currency: String,
    pub captured: bool,
    pub cancelled: bool,
    /// Sum of the CREDITs made on it.
    pub refunded: i64,
}

#[derive(Default)]
struct Inner {
    transactions: HashMap<String, Transaction>,
    /// Every request body received, in order.
    requests: Vec<Value>,
    /// Transactions whose requests are never answered (to exercise the client's timeout).
    stall: Vec<String>,
    credits: u64,
    /// The CREDITs' uuids are this plus their number (0xc0ffee0000 unless set: tests name the first one).
    credit_base: Option<u128>,
}

#[derive(Clone)]
struct App {
    shop_id: String,
    password: String,
    inner: Arc<Mutex<Inner>>,
}

pub struct FakeSogeCommerce {
    pub addr: SocketAddr,
    app: App,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeSogeCommerce {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeSogeCommerce {
    /// Listens on 127.0.0.1 (a free port); accepts `shop_id:password` only.
    pub async fn start(shop_id: &str, password: &str) -> std::io::Result<FakeSogeCommerce> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = App { shop_id: shop_id.into(), password: password.into(), inner: Arc::default() };
        let router = Router::new()
            .route("/api-payment/V4/Transaction/CancelOrRefund", post(cancel_or_refund))
            // Not SogeCommerce: what the stand-in received, for tests driving it as a process (fake-sogecommerce).
            .route("/_test/requests", get(requests))
            .with_state(app.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(FakeSogeCommerce { addr, app, task })
    }

    /// The REST API base URL, as the module configures it.
    pub fn api_url(&self) -> String {
        format!("http://{}/api-payment/", self.addr)
    }

    pub fn add(&self, uuid: &str, amount: i64, currency: &str, captured: bool) {
        let t = Transaction { amount, currency: currency.into(), captured, cancelled: false, refunded: 0 };
        self.app.inner.lock().unwrap().transactions.insert(uuid.into(), t);
    }

    /// Numbers this run's CREDIT uuids from `base` (the demo's kept OCPizza_DB must never see a uuid twice).
    pub fn set_credit_base(&self, base: u128) {
        self.app.inner.lock().unwrap().credit_base = Some(base);
    }

    pub fn stall(&self, uuid: &str) {
        self.app.inner.lock().unwrap().stall.push(uuid.into());
    }

    pub fn transaction(&self, uuid: &str) -> Option<Transaction> {
        self.app.inner.lock().unwrap().transactions.get(uuid).cloned()
    }

    pub fn requests(&self) -> Vec<Value> {
        self.app.inner.lock().unwrap().requests.clone()
    }
}

async fn requests(State(app): State<App>) -> axum::Json<Value> {
    let inner = app.inner.lock().unwrap();
    axum::Json(json!({"requests": inner.requests, "transactions": inner.transactions.iter().map(|(uuid, t)| {
        (uuid.clone(), json!({"amount": t.amount, "currency": t.currency, "captured": t.captured, "cancelled": t.cancelled, "refunded": t.refunded}))
    }).collect::<serde_json::Map<String, Value>>()}))
}

fn envelope(status: &str, answer: Value) -> Value {
    json!({"webService": "Transaction/CancelOrRefund", "version": "V4", "applicationVersion": "stand-in",
           "status": status, "answer": answer, "mode": "TEST", "_type": "V4/WebService/Response"})
}

fn error(code: &str, message: &str, detail: Option<&str>) -> (StatusCode, axum::Json<Value>) {
    let answer = json!({"errorCode": code, "errorMessage": message, "detailedErrorCode": null,
                        "detailedErrorMessage": detail, "_type": "V4/WebService/WebServiceError"});
    (StatusCode::OK, axum::Json(envelope("ERROR", answer)))
}

fn transaction(uuid: &str, op: &str, status: &str, detailed: &str, amount: i64, currency: &str) -> Value {
    json!({"shopId": null, "uuid": uuid, "amount": amount, "currency": currency, "paymentMethodType": "CARD",
           "status": status, "detailedStatus": detailed, "operationType": op, "_type": "V4/PaymentTransaction"})
}

fn authorised(app: &App, headers: &HeaderMap) -> bool {
    let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else { return false };
    let Some(b64) = value.strip_prefix("Basic ") else { return false };
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64) else { return false };
    raw == format!("{}:{}", app.shop_id, app.password).into_bytes()
}

async fn cancel_or_refund(State(app): State<App>, headers: HeaderMap, body: Bytes) -> (StatusCode, axum::Json<Value>) {
    if !authorised(&app, &headers) {
        let (_, json) = error("STANDIN_AUTH", "invalid credentials", None);
        return (StatusCode::UNAUTHORIZED, json);
    }
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return error("STANDIN_BAD_REQUEST", "the body is not JSON", None);
    };
    let uuid = req["uuid"].as_str().unwrap_or_default().to_owned();
    let stall = {
        let mut inner = app.inner.lock().unwrap();
        inner.requests.push(req.clone());
        inner.stall.contains(&uuid)
    };
    if stall {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    let (Some(amount), Some(currency)) = (req["amount"].as_i64(), req["currency"].as_str()) else {
        return error("STANDIN_BAD_REQUEST", "amount and currency are required", None);
    };
    let mode = req["resolutionMode"].as_str().unwrap_or("AUTO");
    let mut inner = app.inner.lock().unwrap();
    let credit_no = inner.credits + 1;
    let credit_base = inner.credit_base.unwrap_or(0xc0_ffee_0000);
    let Some(t) = inner.transactions.get_mut(&uuid) else {
        return error("STANDIN_UNKNOWN_TRANSACTION", "transaction not found", Some(&uuid));
    };
    if currency != t.currency {
        return error("STANDIN_CURRENCY", "currency mismatch", Some(&format!("the transaction is in {}", t.currency)));
    }
    if t.cancelled {
        return error("STANDIN_CANCELLED", "the transaction is cancelled", None);
    }
    let left = t.amount - t.refunded;
    if amount <= 0 || amount > left {
        return error("STANDIN_AMOUNT", "invalid amount", Some(&format!("at most {left} can be given back")));
    }
    if !t.captured {
        if mode == "REFUND_ONLY" {
            return error("STANDIN_NOT_CAPTURED", "the transaction is not captured yet", None);
        }
        // Not captured: cancelled, or authorised for less.
        if amount == t.amount {
            t.cancelled = true;
            let answer = transaction(&uuid, "DEBIT", "UNPAID", "CANCELLED", t.amount, &t.currency);
            return (StatusCode::OK, axum::Json(envelope("SUCCESS", answer)));
        }
        t.amount -= amount;
        let answer = transaction(&uuid, "DEBIT", "PAID", "AUTHORISED", t.amount, &t.currency);
        return (StatusCode::OK, axum::Json(envelope("SUCCESS", answer)));
    }
    if mode == "CANCELLATION_ONLY" {
        return error("STANDIN_CAPTURED", "the transaction is captured: it can only be refunded", None);
    }
    t.refunded += amount;
    let currency = t.currency.clone();
    inner.credits = credit_no;
    let credit_uuid = format!("{:032x}", credit_base.wrapping_add(u128::from(credit_no)));
    let answer = transaction(&credit_uuid, "CREDIT", "PAID", "AUTHORISED", amount, &currency);
    (StatusCode::OK, axum::Json(envelope("SUCCESS", answer)))
}
