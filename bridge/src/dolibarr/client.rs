//! The HTTP layer: `DOLAPIKEY`, JSON in and out, Dolibarr's status codes turned into types.
//!
//! Quirks handled here, once: 304 has no body (→ [`Answer::NotModified`]), an empty list is 404 in some versions
//! and `200 []` in others (→ empty `Vec`), create returns a bare id (integer or string), errors have one JSON shape
//! with an optional business code in `error["0"]`, and a WAF refuses some path characters with an HTML page.

use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::error::DolibarrError;
use super::model;

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Body(Value),
    /// 304: "nothing done", e.g. the order was already validated or closed.
    NotModified,
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    key: HeaderValue,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("base", &self.base).field("key", &"***").finish()
    }
}

/// Characters Dolibarr's WAF refuses in a URL path (reference §6.5); our paths must never contain them.
const WAF_CHARS: &[char] = &[':', ';', '"', '\'', '<', '>', '?', '(', ')', '{', '}', '$', '%', '#'];

impl Client {
    /// `base` is the API root, e.g. `https://erp.example/api/index.php`.
    pub fn new(base: &str, api_key: &str, timeout: Duration, ca_pem: Option<&[u8]>) -> Result<Client, DolibarrError> {
        let base = base.trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&base)
            .map_err(|e| DolibarrError::Config(format!("url {base:?} is not a valid URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(DolibarrError::Config(format!("url {base:?} must be http(s)")));
        }
        let mut key = HeaderValue::from_str(api_key)
            .map_err(|_| DolibarrError::Config("api key contains characters not allowed in an HTTP header".into()))?;
        key.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .tcp_nodelay(true)
            .user_agent(concat!("ocpizza-bridge/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = ca_pem {
            let cert = reqwest::Certificate::from_pem(pem)
                .map_err(|e| DolibarrError::Config(format!("CA file is not a PEM certificate: {e}")))?;
            builder = builder.add_root_certificate(cert);
        }
        let http = builder.build().map_err(|e| DolibarrError::Config(format!("HTTP client: {e}")))?;
        Ok(Client { http, base, key })
    }

    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Answer, DolibarrError> {
        self.call(Method::GET, path, query, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Answer, DolibarrError> {
        self.call(Method::POST, path, &[], Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Result<Answer, DolibarrError> {
        self.call(Method::PUT, path, &[], Some(body)).await
    }

    /// GET of one object; `None` when Dolibarr says 404.
    pub async fn get_object(&self, path: &str) -> Result<Option<Value>, DolibarrError> {
        match self.get(path, &[]).await {
            Ok(Answer::Body(v)) if v.is_object() => Ok(Some(v)),
            Ok(other) => Err(unexpected("GET", path, format!("expected an object, got {other:?}"))),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A list search with `sqlfilters`, oldest first; 404 and `200 []` both mean "none".
    pub async fn search(&self, path: &str, sqlfilters: &str, limit: u32) -> Result<Vec<Value>, DolibarrError> {
        self.search_with(path, sqlfilters, limit, &[]).await
    }

    /// [`search`](Self::search) with more query parameters of the list route (e.g. `mode`).
    pub async fn search_with(
        &self,
        path: &str,
        sqlfilters: &str,
        limit: u32,
        extra: &[(&str, &str)],
    ) -> Result<Vec<Value>, DolibarrError> {
        let limit = limit.to_string();
        let mut query =
            vec![("sqlfilters", sqlfilters), ("limit", limit.as_str()), ("sortfield", "t.rowid"), ("sortorder", "ASC")];
        query.extend_from_slice(extra);
        match self.get(path, &query).await {
            Ok(Answer::Body(Value::Array(items))) => Ok(items),
            // Some versions answer an empty object for "nothing".
            Ok(Answer::Body(Value::Object(m))) if m.is_empty() => Ok(Vec::new()),
            Ok(other) => Err(unexpected("GET", path, format!("expected a list, got {}", short(&other)))),
            Err(e) if e.status() == Some(404) && matches!(e, DolibarrError::Api { .. }) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// A list without filter (e.g. the payment-types dictionary); 404 means empty.
    pub async fn list(&self, path: &str, query: &[(&str, &str)]) -> Result<Vec<Value>, DolibarrError> {
        match self.get(path, query).await {
            Ok(Answer::Body(Value::Array(items))) => Ok(items),
            Ok(other) => Err(unexpected("GET", path, format!("expected a list, got {}", short(&other)))),
            Err(e) if e.status() == Some(404) && matches!(e, DolibarrError::Api { .. }) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// POST that creates an object and answers its id (a bare integer, sometimes as a string).
    pub async fn create(&self, path: &str, body: &Value) -> Result<i64, DolibarrError> {
        match self.post(path, body).await? {
            Answer::Body(v) => model::as_id(&v)
                .or_else(|| model::id_of(&v))
                .ok_or_else(|| unexpected("POST", path, format!("expected an id, got {}", short(&Answer::Body(v))))),
            Answer::NotModified => Err(unexpected("POST", path, "304 on a create".into())),
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Answer, DolibarrError> {
        let m = method_name(&method);
        if let Some(c) = path.chars().find(|c| WAF_CHARS.contains(c)) {
            return Err(DolibarrError::BadInput {
                field: "path",
                reason: format!("{path:?} contains {c:?}, which Dolibarr's WAF refuses"),
            });
        }
        let url = format!("{}{}", self.base, path);
        let mut req = self.http.request(method, &url).header("DOLAPIKEY", self.key.clone());
        if !query.is_empty() {
            req = req.query(query);
        }
        if let Some(b) = body {
            req = req.header(CONTENT_TYPE, "application/json").body(b.to_string());
        }
        let resp = req.send().await.map_err(|e| transport(m, path, &e))?;
        let status = resp.status();
        let retry_after = resp.headers().get(RETRY_AFTER).and_then(parse_retry_after);
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Answer::NotModified);
        }
        let bytes = resp.bytes().await.map_err(|e| transport(m, path, &e))?;
        if status.is_success() {
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(Answer::Body(Value::Null));
            }
            return serde_json::from_slice(&bytes)
                .map(Answer::Body)
                .map_err(|e| unexpected(m, path, format!("body is not JSON: {e}")));
        }
        Err(error_from(m, path, status.as_u16(), &bytes, retry_after))
    }
}

fn error_from(m: &'static str, path: &str, status: u16, bytes: &[u8], retry_after: Option<Duration>) -> DolibarrError {
    let path = path.to_owned();
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) if v.get("error").is_some() => {
            let err = &v["error"];
            let message = err.get("message").and_then(Value::as_str).unwrap_or("").to_owned();
            // Business codes come as positional keys "0", "1", …: the first non-empty one names the refusal.
            let code = (0..8)
                .filter_map(|i| err.get(i.to_string()).and_then(Value::as_str))
                .find(|s| !s.trim().is_empty())
                .map(str::to_owned);
            DolibarrError::Api { method: m, path, status, message, code, retry_after }
        }
        _ => {
            let text = String::from_utf8_lossy(bytes);
            let snippet: String = text.chars().filter(|c| !c.is_control()).take(160).collect();
            DolibarrError::NotJson { method: m, path, status, snippet, retry_after }
        }
    }
}

fn transport(m: &'static str, path: &str, e: &reqwest::Error) -> DolibarrError {
    let reason = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        format!("cannot connect ({})", root_cause(e))
    } else {
        root_cause(e)
    };
    DolibarrError::Transport { method: m, path: path.to_owned(), reason }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

fn unexpected(m: &'static str, path: &str, reason: String) -> DolibarrError {
    DolibarrError::Unexpected { method: m, path: path.to_owned(), reason }
}

fn short(a: &Answer) -> String {
    let s = format!("{a:?}");
    s.chars().take(120).collect()
}

fn method_name(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        _ => "HTTP",
    }
}

/// `Retry-After` as delta-seconds or an HTTP date; clamped to one hour.
fn parse_retry_after(v: &HeaderValue) -> Option<Duration> {
    let s = v.to_str().ok()?.trim();
    let secs = match s.parse::<u64>() {
        Ok(n) => n,
        Err(_) => {
            let at = chrono::DateTime::parse_from_rfc2822(s).ok()?;
            let delta = at.timestamp() - chrono::Utc::now().timestamp();
            delta.max(0) as u64
        }
    };
    Some(Duration::from_secs(secs.min(3600)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_shape_gives_message_and_business_code() {
        let body = br#"{"error":{"code":500,"message":"Internal Server Error: Error creating product","0":"ErrorProductAlreadyExists"}}"#;
        let e = error_from("POST", "/products", 500, body, None);
        assert_eq!(e.business_code(), Some("ErrorProductAlreadyExists"));
        assert!(!e.is_transient());
        let e = error_from(
            "GET",
            "/orders/9",
            404,
            br#"{"error":{"code":404,"message":"Not Found: Order not found"}}"#,
            None,
        );
        assert_eq!(e.status(), Some(404));
        assert!(e.to_string().contains("Order not found"), "{e}");
        let e =
            error_from("GET", "/x", 403, b"<html>Access refused by SQL or Script injection protection</html>", None);
        assert!(matches!(e, DolibarrError::NotJson { status: 403, .. }), "{e:?}");
        assert!(!e.is_transient());
    }

    #[test]
    fn retry_after_accepts_seconds_and_dates() {
        assert_eq!(parse_retry_after(&HeaderValue::from_static("12")), Some(Duration::from_secs(12)));
        assert_eq!(parse_retry_after(&HeaderValue::from_static("999999")), Some(Duration::from_secs(3600)));
        assert_eq!(parse_retry_after(&HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT")), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(&HeaderValue::from_static("soon")), None);
    }

    #[test]
    fn paths_with_waf_characters_are_refused_before_sending() {
        let c = Client::new("http://127.0.0.1:9/api/index.php", "k", Duration::from_secs(1), None).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let e = rt.block_on(c.get("/orders/ref_ext/prestashop:1001", &[])).unwrap_err();
        assert!(matches!(e, DolibarrError::BadInput { field: "path", .. }), "{e:?}");
    }
}
