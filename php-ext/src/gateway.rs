//! `OCPizza\SogeCommerce::cancelOrRefund`: the HTTP call of `V4/Transaction/CancelOrRefund` (request and answer
//! meaning in `ocpizza_core::cancel_or_refund`). A rare call (a merchant's refund): a current-thread runtime and a
//! client per call, no state kept between requests.

use std::time::Duration;

use ext_php_rs::exception::PhpResult;
use ocpizza_core::cancel_or_refund::{self, CancelError, CancelRequest, CancelResult};

use crate::errors::{gateway, scrub, validation};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Posts the request to `{api_url}V4/Transaction/CancelOrRefund` with HTTP Basic `shopId:password` and reads the
/// answer. Errors never carry the password.
pub fn call(api_url: &str, password: &str, req: &CancelRequest, timeout: Duration) -> PhpResult<CancelResult> {
    let base = api_url.trim_end_matches('/');
    let url = format!("{base}/{}", cancel_or_refund::PATH);
    let parsed = reqwest::Url::parse(&url).map_err(|e| validation("apiUrl", format!("invalid URL: {e}")))?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() {
        return Err(validation("apiUrl", "must be an http(s) URL with a host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(validation("apiUrl", "must not carry credentials (the REST password is a separate argument)"));
    }
    let redact = [password];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| gateway("NETWORK", &format!("cannot start the HTTP runtime: {e}")))?;
    let client = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| gateway("NETWORK", &scrub(&e.to_string(), &redact)))?;
    let answer = runtime.block_on(async {
        let resp = client
            .post(parsed)
            .basic_auth(&req.shop_id, Some(password))
            .header("Accept", "application/json")
            .json(&req.body())
            .send()
            .await?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await?;
        Ok::<_, reqwest::Error>((status, body))
    });
    let (status, body) = answer.map_err(|e| {
        let code = if e.is_timeout() { "TIMEOUT" } else { "NETWORK" };
        let what = if e.is_timeout() { "no answer from the gateway in time" } else { "the gateway could not be reached" };
        // Without the URL (reqwest's message has it): the merchant sees what happened, the log has no host details.
        gateway(code, &scrub(&format!("{what}; nothing is known to be refunded"), &redact))
    })?;
    cancel_or_refund::read_answer(status, &body, &req.uuid).map_err(|e| match e {
        CancelError::Invalid { field, reason } => validation(&field, reason),
        CancelError::Gateway { code, message } => gateway(&code, &scrub(&message, &redact)),
    })
}
