//! OCPizza\SogeCommerce::cancelOrRefund through the real extension (php loading target/debug/libocpizza.so), over
//! loopback against the SogeCommerce REST stand-in (tests/src/sogecommerce.rs).

use std::path::PathBuf;

use ocpizza_e2e::sogecommerce::FakeSogeCommerce;
use serde_json::{Value, json};

const SHOP: &str = "12345678";
const PASSWORD: &str = "testpassword_Xq7WnB0cPzT1Lr4Ks9Vd";
const CAPTURED: &str = "0b7f3a2c9d8e4f1a8b6c5d4e3f2a1b0c";
const AUTHORISED: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";

fn extension() -> PathBuf {
    if let Some(p) = std::env::var_os("OCPIZZA_EXTENSION") {
        return p.into();
    }
    let mut dir = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let so = dir.join("libocpizza.so");
    assert!(so.is_file(), "{} missing: run `cargo build --workspace` first", so.display());
    so
}

/// Calls cancelOrRefund in PHP with `args` (JSON list) and prints the result or the exception as JSON.
async fn call(args: Value) -> Value {
    let script = r#"
        $args = json_decode($argv[1], true);
        try {
            echo json_encode(['ok' => OCPizza\SogeCommerce::cancelOrRefund(...$args)]);
        } catch (OCPizza\GatewayException $e) {
            echo json_encode(['gateway' => $e->errorCode, 'message' => $e->getMessage(),
                              'is_ocpizza' => $e instanceof OCPizza\Exception]);
        } catch (OCPizza\ValidationException $e) {
            echo json_encode(['validation' => $e->field, 'message' => $e->getMessage()]);
        }
    "#;
    let out = tokio::process::Command::new("php")
        .arg("-d")
        .arg(format!("extension={}", extension().display()))
        .arg("-r")
        .arg(script)
        .arg(args.to_string())
        .kill_on_drop(true)
        .output()
        .await
        .expect("php runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "php failed: {stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn args(api: &str, password: &str, uuid: &str, amount: i64) -> Value {
    json!([api, SHOP, password, uuid, amount, "EUR"])
}

#[tokio::test]
async fn a_captured_payment_is_refunded_and_only_what_the_gateway_confirms_is_returned() {
    let gw = FakeSogeCommerce::start(SHOP, PASSWORD).await.unwrap();
    gw.add(CAPTURED, 1640, "EUR", true);
    let r = call(args(&gw.api_url(), PASSWORD, CAPTURED, 640)).await;
    let ok = &r["ok"];
    assert_eq!(ok["resolution"], "refund", "{r}");
    assert_eq!((ok["operation_type"].as_str(), ok["outcome"].as_str()), (Some("CREDIT"), Some("refunded")));
    assert_eq!((ok["amount_cents"].as_i64(), ok["confirmed"].as_bool()), (Some(640), Some(true)));
    assert_ne!(ok["uuid"], CAPTURED, "a refund is a transaction of its own");
    assert_eq!(
        gw.requests()[0],
        json!({"uuid": CAPTURED, "amount": 640, "currency": "EUR", "resolutionMode": "AUTO"}),
        "amount in minor units"
    );
    assert_eq!(gw.transaction(CAPTURED).unwrap().refunded, 640);

    // More than is left: the gateway's refusal, with its code and reason, and nothing refunded.
    let r = call(args(&gw.api_url(), PASSWORD, CAPTURED, 1001)).await;
    assert_eq!(r["gateway"], "STANDIN_AMOUNT", "{r}");
    assert!(r["message"].as_str().unwrap().contains("at most 1000"), "{r}");
    assert_eq!(r["is_ocpizza"], true);
    assert_eq!(gw.transaction(CAPTURED).unwrap().refunded, 640);
}

#[tokio::test]
async fn a_payment_not_captured_yet_is_cancelled_fully_or_partly() {
    let gw = FakeSogeCommerce::start(SHOP, PASSWORD).await.unwrap();
    gw.add(AUTHORISED, 1640, "EUR", false);
    let r = call(args(&gw.api_url(), PASSWORD, AUTHORISED, 640)).await;
    assert_eq!((r["ok"]["resolution"].as_str(), r["ok"]["amount_cents"].as_i64()), (Some("partial_cancellation"), Some(1000)));
    let r = call(args(&gw.api_url(), PASSWORD, AUTHORISED, 1000)).await;
    assert_eq!((r["ok"]["resolution"].as_str(), r["ok"]["outcome"].as_str()), (Some("cancellation"), Some("cancelled")));
    assert!(gw.transaction(AUTHORISED).unwrap().cancelled);
    let r = call(json!([gw.api_url(), SHOP, PASSWORD, AUTHORISED, 1, "EUR", "REFUND_ONLY"])).await;
    assert_eq!(r["gateway"], "STANDIN_CANCELLED", "{r}");
}

#[tokio::test]
async fn refusals_timeouts_and_bad_input_are_named_and_never_leak_the_password() {
    let gw = FakeSogeCommerce::start(SHOP, PASSWORD).await.unwrap();
    gw.add(CAPTURED, 1640, "EUR", true);
    gw.add(AUTHORISED, 1640, "EUR", true);
    gw.stall(AUTHORISED);

    let mut seen = Vec::new();
    let r = call(args(&gw.api_url(), "wrong-password", CAPTURED, 100)).await;
    assert_eq!(r["gateway"], "STANDIN_AUTH", "{r}");
    assert!(r["message"].as_str().unwrap().contains("invalid credentials"), "{r}");
    let r = call(json!([gw.api_url(), SHOP, PASSWORD, AUTHORISED, 100, "EUR", "AUTO", 300])).await;
    assert_eq!(r["gateway"], "TIMEOUT", "{r}");
    seen.push(r);
    // A closed port: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let r = call(args(&format!("http://127.0.0.1:{closed}/api-payment/"), PASSWORD, CAPTURED, 100)).await;
    assert_eq!(r["gateway"], "NETWORK", "{r}");
    seen.push(r);
    let r = call(args(&gw.api_url(), PASSWORD, "f".repeat(32).as_str(), 100)).await;
    assert_eq!(r["gateway"], "STANDIN_UNKNOWN_TRANSACTION", "{r}");
    seen.push(r);
    for r in &seen {
        assert!(!r.to_string().contains(PASSWORD), "{r}");
    }

    for (a, field) in [
        (json!([gw.api_url(), "1234", PASSWORD, CAPTURED, 100, "EUR"]), "shopId"),
        (json!([gw.api_url(), SHOP, PASSWORD, "nope", 100, "EUR"]), "uuid"),
        (json!([gw.api_url(), SHOP, PASSWORD, CAPTURED, 0, "EUR"]), "amountCents"),
        (json!([gw.api_url(), SHOP, PASSWORD, CAPTURED, 100, "eur"]), "currency"),
        (json!([gw.api_url(), SHOP, PASSWORD, CAPTURED, 100, "EUR", "REFUND"]), "resolutionMode"),
        (json!([gw.api_url(), SHOP, "", CAPTURED, 100, "EUR"]), "restPassword"),
        (json!(["ftp://example/", SHOP, PASSWORD, CAPTURED, 100, "EUR"]), "apiUrl"),
        (json!([format!("http://u:p@{}/", gw.addr), SHOP, PASSWORD, CAPTURED, 100, "EUR"]), "apiUrl"),
        (json!([gw.api_url(), SHOP, PASSWORD, CAPTURED, 100, "EUR", "AUTO", 0]), "timeoutMs"),
    ] {
        let r = call(a.clone()).await;
        assert_eq!(r["validation"], field, "{a}: {r}");
    }
    // Bad input never reached the gateway: only the timed-out and the unknown-transaction calls were read by it
    // (the wrong password is refused before the body is).
    assert_eq!(gw.requests().len(), 2);
    assert_eq!(gw.transaction(CAPTURED).unwrap().refunded, 0);
}
