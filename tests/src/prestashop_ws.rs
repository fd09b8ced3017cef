//! A local stand-in of the PrestaShop Webservice, for the bridge's `prestashop` destination: only what changing an
//! order's state from outside the shop touches (`orders/{id}` GET, `order_histories` POST, `order_states/{id}` GET).
//!
//! Each behaviour reproduces PrestaShop's own code (read in PrestaShop/PrestaShop, 8.x line — the stored
//! `classes/webservice/WebserviceRequest.php` at commit 017c1cf, `classes/order/OrderHistory.php` at 00b8167) and
//! what /work/shared/reference/prestashop-webservice.md recorded against a real 8.2 shop:
//! - the entry point without URL rewriting, `webservice/dispatcher.php?url=<resource>[/<id>]` (`.htaccess` only
//!   maps `/api/…` there);
//! - the key as the HTTP Basic user (or `ws_key=`); no key at all: 401 with `WWW-Authenticate` and the plain text
//!   body `401 Unauthorized` (`webservice/dispatcher.php`); a key of another length than 32: 401 code 18, an
//!   unknown key: 401 codes 20 and 21 (`WebserviceRequest::authenticate`);
//! - a resource the key lacks: 401 code 26 (`WebserviceRequest::checkResource`), an unknown resource 400 code 27;
//!   a method the key lacks: 405 code 25 (`WebserviceRequest::checkHTTPMethod`);
//! - XML output unless `output_format`/`io_format=JSON` or the `Output-Format`/`Io-Format` header
//!   (`WebserviceRequest::getOutputObject`); errors as `{"errors":[{"code","message"}]}` or
//!   `<prestashop><errors><error><code/><message/>`;
//! - request bodies are always XML (`WebserviceRequest::saveEntityFromXml` feeds them to SimpleXMLElement): else
//!   500 code 127; `<id>` in a POST: 400 code 91; a required field missing: 400 code 41; a non-numeric id: 400
//!   code 85 (`ObjectModel::validateField` with `isUnsignedId`);
//! - `OrderHistory::addWs`: `changeIdOrderState` then `add()`, or `addWithemail()` with `sendemail=1`; an unknown
//!   order or state throws inside `changeIdOrderState` ("Invalid new order status"), which a production shop
//!   answers 500 with an empty body, nothing written; with `sendemail=1` and a failing mailer the state and the
//!   history row ARE saved and the answer is 500 code 46 "Unable to save resource" (`addWithemail` returns false);
//!   the same state posted twice is written twice (no deduplication);
//! - `GET orders/<unknown id>`: 404 with an empty body.
//!
//! Never copied code: the behaviours above, re-implemented.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// PrestaShop's built-in order states of a fresh install (`install/data/xml/order_state.xml` order): the ids the
/// bridge's defaults use; tests add the module's own states.
pub const PS_OS_PAYMENT: i64 = 2;
pub const PS_OS_PREPARATION: i64 = 3;
pub const PS_OS_SHIPPING: i64 = 4;
pub const PS_OS_DELIVERED: i64 = 5;
pub const PS_OS_CANCELED: i64 = 6;

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub id: i64,
    pub id_order: i64,
    pub id_order_state: i64,
    /// Whether `sendemail=1` was asked (the customer gets the state's e-mail when it has one).
    pub sendemail: bool,
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub url_param: String,
    pub query: BTreeMap<String, String>,
}

struct St {
    key: String,
    /// resource → methods granted to the key.
    permissions: BTreeMap<String, Vec<String>>,
    /// id_order → current_state.
    orders: BTreeMap<i64, i64>,
    states: Vec<i64>,
    history: Vec<HistoryRow>,
    next_id: i64,
    mailer_fails: bool,
    requests: Vec<Recorded>,
    /// Called like the module's `actionOrderStatusPostUpdate` hook: (id_order, new state) before the row is saved.
    post_update_hook: Option<Arc<dyn Fn(i64, i64) + Send + Sync>>,
}

pub struct FakePrestaShop {
    addr: SocketAddr,
    st: Arc<Mutex<St>>,
    task: JoinHandle<()>,
}

impl Drop for FakePrestaShop {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakePrestaShop {
    /// Starts on 127.0.0.1 with a free port; the key gets `orders` GET, `order_histories` GET/POST and
    /// `order_states` GET, the shop has PrestaShop's built-in states 1–14.
    pub async fn start(key: &str) -> FakePrestaShop {
        let mut permissions = BTreeMap::new();
        permissions.insert("orders".to_owned(), vec!["GET".to_owned()]);
        permissions.insert("order_histories".to_owned(), vec!["GET".to_owned(), "POST".to_owned()]);
        permissions.insert("order_states".to_owned(), vec!["GET".to_owned()]);
        let st = Arc::new(Mutex::new(St {
            key: key.to_owned(),
            permissions,
            orders: BTreeMap::new(),
            states: (1..=14).collect(),
            history: Vec::new(),
            next_id: 100,
            mailer_fails: false,
            requests: Vec::new(),
            post_update_hook: None,
        }));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("addr");
        let app =
            Router::new().route("/webservice/dispatcher.php", axum::routing::any(dispatch)).with_state(st.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakePrestaShop { addr, st, task }
    }

    fn st(&self) -> MutexGuard<'_, St> {
        self.st.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The shop's base URL (what OCPIZZA_PRESTASHOP_URL is set to).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn add_order(&self, id_order: i64, current_state: i64) {
        self.st().orders.insert(id_order, current_state);
    }
    pub fn add_state(&self, id: i64) {
        self.st().states.push(id);
    }
    pub fn current_state(&self, id_order: i64) -> Option<i64> {
        self.st().orders.get(&id_order).copied()
    }
    pub fn history(&self, id_order: i64) -> Vec<HistoryRow> {
        self.st().history.iter().filter(|h| h.id_order == id_order).cloned().collect()
    }
    pub fn set_mailer_fails(&self, fails: bool) {
        self.st().mailer_fails = fails;
    }
    pub fn revoke(&self, resource: &str, method: &str) {
        if let Some(m) = self.st().permissions.get_mut(resource) {
            m.retain(|x| x != method);
        }
    }
    pub fn requests(&self) -> Vec<Recorded> {
        self.st().requests.clone()
    }
    pub fn on_post_update(&self, hook: Arc<dyn Fn(i64, i64) + Send + Sync>) {
        self.st().post_update_hook = Some(hook);
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Xml,
    Json,
}

fn errors(format: Format, status: u16, list: &[(i64, &str)]) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match format {
        Format::Json => {
            let errs: Vec<Value> = list.iter().map(|(c, m)| json!({"code": c, "message": m})).collect();
            (status, [(header::CONTENT_TYPE, "application/json")], json!({ "errors": errs }).to_string())
                .into_response()
        }
        Format::Xml => {
            let mut body = String::from(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prestashop xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n<errors>\n",
            );
            for (c, m) in list {
                body.push_str(&format!(
                    "<error>\n<code><![CDATA[{c}]]></code>\n<message><![CDATA[{m}]]></message>\n</error>\n"
                ));
            }
            body.push_str("</errors>\n</prestashop>\n");
            (status, [(header::CONTENT_TYPE, "text/xml;charset=utf-8")], body).into_response()
        }
    }
}

/// An empty 404/500 as PrestaShop sends them (empty body, empty Content-Type).
fn empty(status: StatusCode) -> Response {
    (status, [(header::CONTENT_TYPE, "")], "").into_response()
}

fn key_of(headers: &HeaderMap, query: &BTreeMap<String, String>) -> Option<String> {
    if let Some(auth) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
        && let Some(b64) = auth.strip_prefix("Basic ")
        && let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64.trim())
    {
        let s = String::from_utf8_lossy(&raw).to_string();
        return Some(s.split(':').next().unwrap_or("").to_owned());
    }
    query.get("ws_key").cloned()
}

/// The text of `<tag>…</tag>` (CDATA unwrapped), if present once.
fn xml_field(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = body.find(&open)? + open.len();
    let end = start + body[start..].find(&close)?;
    let v = body[start..end].trim();
    let v = v.strip_prefix("<![CDATA[").and_then(|x| x.strip_suffix("]]>")).unwrap_or(v);
    Some(v.trim().to_owned())
}

async fn dispatch(
    State(st): State<Arc<Mutex<St>>>,
    method: Method,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
    body: Bytes,
) -> Response {
    let url_param = query.get("url").cloned().unwrap_or_default();
    let format = {
        let h = headers.get("output-format").or_else(|| headers.get("io-format")).and_then(|v| v.to_str().ok());
        let q = query.get("output_format").or_else(|| query.get("io_format")).map(String::as_str);
        if h.or(q).is_some_and(|f| f.eq_ignore_ascii_case("JSON")) { Format::Json } else { Format::Xml }
    };
    let mut s = st.lock().unwrap_or_else(|p| p.into_inner());
    s.requests.push(Recorded { method: method.to_string(), url_param: url_param.clone(), query: query.clone() });

    // dispatcher.php: no credentials at all.
    let Some(key) = key_of(&headers, &query) else {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic realm=\"Welcome to PrestaShop Webservice, please enter the authentication key as the login. No password required.\"")],
            "401 Unauthorized",
        )
            .into_response();
    };
    // WebserviceRequest::authenticate.
    if key.is_empty() {
        return errors(format, 401, &[(17, "Authentication key is empty")]);
    }
    if key.len() != 32 {
        return errors(format, 401, &[(18, "Invalid authentication key format")]);
    }
    if key != s.key {
        return errors(
            format,
            401,
            &[(20, "Authentification key is not active"), (21, "No permission for this authentication key")],
        );
    }
    let mut segments = url_param.splitn(2, '/');
    let resource = segments.next().unwrap_or("").to_owned();
    let id = segments.next().map(str::to_owned);
    // WebserviceRequest::checkResource.
    const KNOWN: [&str; 4] = ["orders", "order_histories", "order_states", "customers"];
    if !KNOWN.contains(&resource.as_str()) {
        return errors(format, 400, &[(27, &format!("Resource of type \"{resource}\" does not exists"))]);
    }
    let Some(granted) = s.permissions.get(&resource).cloned() else {
        return errors(
            format,
            401,
            &[(26, &format!("Resource of type \"{resource}\" is not allowed with this authentication key"))],
        );
    };
    // WebserviceRequest::checkHTTPMethod.
    if !granted.iter().any(|m| m == method.as_str()) {
        return errors(
            format,
            405,
            &[(
                25,
                &format!("Method {method} is not allowed for the resource {resource} with this authentication key"),
            )],
        );
    }

    match (method.as_str(), resource.as_str(), id) {
        ("GET", "orders", Some(id)) => {
            let Some(state) = id.parse::<i64>().ok().and_then(|i| s.orders.get(&i).copied()) else {
                return empty(StatusCode::NOT_FOUND);
            };
            let id: i64 = id.parse().unwrap_or(0);
            match format {
                Format::Json => (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/json")],
                    json!({"order": {"id": id, "current_state": state.to_string(), "module": "ocpizza"}}).to_string(),
                )
                    .into_response(),
                Format::Xml => (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "text/xml;charset=utf-8")],
                    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prestashop xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n<order>\n<id><![CDATA[{id}]]></id>\n<current_state><![CDATA[{state}]]></current_state>\n</order>\n</prestashop>\n"),
                )
                    .into_response(),
            }
        }
        ("GET", "order_states", Some(id)) => {
            let Some(id) = id.parse::<i64>().ok().filter(|i| s.states.contains(i)) else {
                return empty(StatusCode::NOT_FOUND);
            };
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                json!({"order_state": {"id": id, "send_email": "1"}}).to_string(),
            )
                .into_response()
        }
        ("POST", "order_histories", None) => {
            // WebserviceRequest::saveEntityFromXml: the body is parsed as XML whatever the output format.
            let text = String::from_utf8_lossy(&body).to_string();
            if !text.trim_start().starts_with('<') || !text.contains("<prestashop") {
                return errors(
                    format,
                    500,
                    &[(
                        127,
                        &format!(
                            "XML error : String could not be parsed as XML\nXML length : {}\nOriginal XML : {text}",
                            text.len()
                        ),
                    )],
                );
            }
            if xml_field(&text, "id").is_some() {
                return errors(format, 400, &[(91, "id is forbidden when adding a new resource")]);
            }
            let mut values = Vec::new();
            for f in ["id_order", "id_order_state"] {
                let Some(v) = xml_field(&text, f).filter(|v| !v.is_empty()) else {
                    return errors(format, 400, &[(41, &format!("parameter \"{f}\" required"))]);
                };
                let Ok(n) = v.parse::<i64>() else {
                    return errors(
                        format,
                        400,
                        &[(85, &format!("Validation error: \"Property OrderHistory->{f} is not valid\""))],
                    );
                };
                values.push(n);
            }
            let (id_order, id_state) = (values[0], values[1]);
            // OrderHistory::changeIdOrderState throws on an unknown order or state: production answers 500, empty.
            if !s.orders.contains_key(&id_order) || !s.states.contains(&id_state) {
                return empty(StatusCode::INTERNAL_SERVER_ERROR);
            }
            // actionOrderStatusPostUpdate fires inside changeIdOrderState, before the row and current_state are
            // written (OrderHistory::changeIdOrderState, then add()).
            if let Some(hook) = s.post_update_hook.clone() {
                drop(s);
                hook(id_order, id_state);
                s = st.lock().unwrap_or_else(|p| p.into_inner());
            }
            let sendemail = query.get("sendemail").is_some_and(|v| v != "0" && !v.is_empty());
            s.orders.insert(id_order, id_state);
            s.next_id += 1;
            let id = s.next_id;
            s.history.push(HistoryRow { id, id_order, id_order_state: id_state, sendemail });
            if sendemail && s.mailer_fails {
                // addWithemail() returns false when Mail::Send fails; the row is already saved.
                return errors(format, 500, &[(46, "Unable to save resource")]);
            }
            match format {
                Format::Json => (
                    StatusCode::CREATED,
                    [(header::CONTENT_TYPE, "application/json")],
                    json!({"order_history": {"id": id, "id_employee": "", "id_order_state": id_state, "id_order": id_order.to_string()}}).to_string(),
                )
                    .into_response(),
                Format::Xml => (
                    StatusCode::CREATED,
                    [(header::CONTENT_TYPE, "text/xml;charset=utf-8")],
                    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prestashop xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n<order_history>\n<id><![CDATA[{id}]]></id>\n<id_order_state><![CDATA[{id_state}]]></id_order_state>\n<id_order><![CDATA[{id_order}]]></id_order>\n</order_history>\n</prestashop>\n"),
                )
                    .into_response(),
            }
        }
        _ => errors(format, 405, &[(23, &format!("Method {method} is not valid"))]),
    }
}
