//! The Dolibarr stand-in itself, over raw HTTP: it must answer as the reference documents, or the other tests
//! prove nothing.

use ocpizza_e2e::dolibarr::{EmptyList, FakeDolibarr};
use serde_json::{Value, json};

const KEY: &str = "standin-key";

async fn call(fake: &FakeDolibarr, method: &str, path: &str, body: Option<Value>) -> (u16, String) {
    let http = reqwest::Client::new();
    let url = format!("{}{path}", fake.url());
    let mut req = http.request(method.parse().unwrap(), url).header("DOLAPIKEY", KEY);
    if let Some(b) = body {
        req = req.header("Content-Type", "application/json").body(b.to_string());
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn j(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

#[tokio::test]
async fn auth_waf_status_and_error_shape() {
    let fake = FakeDolibarr::start(KEY).await;
    let http = reqwest::Client::new();
    let r = http.get(format!("{}/status", fake.url())).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let v = j(&r.text().await.unwrap());
    assert_eq!(v["error"]["code"], 401);
    assert!(v["error"]["message"].as_str().unwrap().contains("api key"));
    // Bearer is accepted too.
    let r = http.get(format!("{}/status", fake.url())).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let (s, b) = call(&fake, "GET", "/status", None).await;
    assert_eq!(s, 200);
    assert_eq!(j(&b)["success"]["dolibarr_version"], "21.0.1");
    // WAF: a colon in the path gets an HTML refusal, not JSON.
    let (s, b) = call(&fake, "GET", "/orders/ref_ext/prestashop:1001", None).await;
    assert_eq!(s, 403);
    assert!(b.contains("SQL or Script injection protection") && serde_json::from_str::<Value>(&b).is_err());
}

#[tokio::test]
async fn lists_filters_and_empty_results() {
    let fake = FakeDolibarr::start(KEY).await;
    let q = "/thirdparties?sqlfilters=(t.email:=:'a@b.c')";
    let (s, b) = call(&fake, "GET", q, None).await;
    assert_eq!((s, j(&b)["error"]["message"].as_str().unwrap()), (404, "Not Found: No third parties found"));
    fake.set_empty_list(EmptyList::EmptyArray);
    assert_eq!(call(&fake, "GET", q, None).await, (200, "[]".to_owned()));
    let (s, b) = call(&fake, "GET", "/thirdparties?sqlfilters=t.email='a@b.c'", None).await;
    assert_eq!(s, 400);
    assert!(b.contains("Bad syntax of the search string"));

    // Create returns a bare id; names and e-mails are not unique; objects come back with strings.
    let tp = json!({"name": "Jean Dupont", "email": "a@b.c", "client": 1, "code_client": "-1"});
    let (s, id1) = call(&fake, "POST", "/thirdparties", Some(tp.clone())).await;
    assert_eq!(s, 200);
    let (_, id2) = call(&fake, "POST", "/thirdparties", Some(tp)).await;
    assert_ne!(id1, id2);
    let (_, b) = call(&fake, "GET", q, None).await;
    let list = j(&b);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["id"], id1.as_str());
    assert_eq!(list[0]["client"], "1");
    // The e-mail route: two matches give an empty object with a null id (issue #18749).
    let (s, b) = call(&fake, "GET", "/thirdparties/email/a@b.c", None).await;
    assert_eq!((s, j(&b)["id"].clone()), (200, Value::Null));
    // A duplicate code_client is a business 500.
    let dup = json!({"name": "X", "code_client": "CU-1"});
    assert_eq!(call(&fake, "POST", "/thirdparties", Some(dup.clone())).await.0, 200);
    let (s, b) = call(&fake, "POST", "/thirdparties", Some(dup)).await;
    assert_eq!((s, j(&b)["error"]["0"].as_str()), (500, Some("ErrorCustomerCodeAlreadyUsed")));
}

#[tokio::test]
async fn orders_lifecycle_rounding_and_304() {
    let fake = FakeDolibarr::start(KEY).await;
    let (_, soc) = call(&fake, "POST", "/thirdparties", Some(json!({"name": "C"}))).await;
    let (s, b) = call(&fake, "POST", "/orders", Some(json!({"socid": soc.parse::<i64>().unwrap()}))).await;
    assert_eq!((s, j(&b)["error"]["message"].as_str().unwrap()), (400, "Bad Request: date field missing"));
    // Embedded lines ignore TTC: 10 taken as HT at 20 % → 12.00 TTC.
    let body = json!({"socid": soc, "date": 1_795_906_800, "ref_ext": "PS-1",
        "lines": [{"desc": "x", "qty": 1, "subprice": 10, "tva_tx": 20, "price_base_type": "TTC", "product_type": 1}]});
    let (_, id) = call(&fake, "POST", "/orders", Some(body)).await;
    let (_, b) = call(&fake, "GET", &format!("/orders/{id}"), None).await;
    let o = j(&b);
    assert_eq!((o["statut"].as_str(), o["total_ttc"].as_str()), (Some("0"), Some("12.00000000")));
    assert!(o["ref"].as_str().unwrap().starts_with("(PROV"));
    // POST lines honours TTC; HT 3.333 at 20 % rounds per line to 3.33 + 0.67 = 4.00.
    let line =
        json!({"desc": "y", "qty": 1, "subprice": 10, "tva_tx": 20, "price_base_type": "TTC", "product_type": 1});
    assert_eq!(call(&fake, "POST", &format!("/orders/{id}/lines"), Some(line)).await.0, 200);
    let line = json!({"desc": "z", "qty": 1, "subprice": 3.333, "tva_tx": 20, "product_type": 1});
    call(&fake, "POST", &format!("/orders/{id}/lines"), Some(line)).await;
    let (_, b) = call(&fake, "GET", &format!("/orders/{id}"), None).await;
    assert_eq!(j(&b)["total_ttc"], "26.00000000");
    let (s, b) = call(&fake, "POST", &format!("/orders/{id}/validate"), Some(json!({"idwarehouse": 0}))).await;
    assert_eq!(s, 200);
    assert!(j(&b)["ref"].as_str().unwrap().starts_with("CO2611-"));
    assert_eq!(call(&fake, "POST", &format!("/orders/{id}/validate"), None).await, (304, String::new()));
    assert_eq!(call(&fake, "POST", &format!("/orders/{id}/close"), None).await.0, 200);
    assert_eq!(call(&fake, "POST", &format!("/orders/{id}/close"), None).await, (304, String::new()));
    assert_eq!(call(&fake, "GET", "/orders/999", None).await.0, 404);

    // Product refs are unique.
    let p = json!({"ref": "PIZZA-REINE", "label": "Reine", "price": 12, "price_base_type": "TTC", "tva_tx": 10});
    assert_eq!(call(&fake, "POST", "/products", Some(p.clone())).await.0, 200);
    let (s, b) = call(&fake, "POST", "/products", Some(p)).await;
    assert_eq!((s, j(&b)["error"]["0"].as_str()), (500, Some("ErrorProductAlreadyExists")));

    // Invoice from the order, validated, paid on a cash account → refused; on the current account → paid.
    let (_, b) = call(&fake, "POST", &format!("/invoices/createfromorder/{id}"), None).await;
    let inv = j(&b)["id"].as_str().unwrap().to_owned();
    let pay =
        |acc: i64| json!({"datepaye": 1_795_906_800, "paymentid": 6, "closepaidinvoices": "yes", "accountid": acc});
    assert_eq!(call(&fake, "POST", &format!("/invoices/{inv}/payments"), Some(pay(1))).await.0, 400, "draft invoice");
    call(&fake, "POST", &format!("/invoices/{inv}/validate"), None).await;
    let (s, b) = call(&fake, "POST", &format!("/invoices/{inv}/payments"), Some(pay(2))).await;
    assert_eq!(s, 400);
    assert!(b.contains("ErrorCashAccountAcceptsOnlyCashMoney"));
    let mut no_account = pay(1);
    no_account.as_object_mut().unwrap().remove("accountid");
    assert_eq!(call(&fake, "POST", &format!("/invoices/{inv}/payments"), Some(no_account)).await.0, 400);
    assert_eq!(call(&fake, "POST", &format!("/invoices/{inv}/payments"), Some(pay(1))).await.0, 200);
    let (_, b) = call(&fake, "GET", &format!("/invoices/{inv}"), None).await;
    let v = j(&b);
    assert_eq!(
        (v["statut"].as_str(), v["paye"].as_str(), v["remaintopay"].as_str()),
        (Some("2"), Some("1"), Some("0.00000000"))
    );
    assert_eq!(
        call(&fake, "POST", &format!("/invoices/{inv}/payments"), Some(pay(1))).await.0,
        400,
        "nothing left to pay"
    );
    let (_, b) = call(&fake, "GET", &format!("/orders/{id}"), None).await;
    assert_eq!(j(&b)["linkedObjectsIds"]["facture"].as_object().unwrap().values().next().unwrap(), &json!(inv));
    let state = fake.state_json();
    assert_eq!(state["counts"]["payments"], 1);
}

/// The Dolibarr behaviours behind issue 11, each as the stand-in reproduces Dolibarr's code.
#[tokio::test]
async fn dolibarr_rules_behind_the_accounting_fixes() {
    let fake = FakeDolibarr::start(KEY).await;
    // Product::create() with a TTC base reads price_ttc only: `price` alone gives a product at 0.
    let (_, p1) =
        call(&fake, "POST", "/products", Some(json!({"ref": "A", "label": "A", "price": 9.9, "price_base_type": "TTC", "tva_tx": 10}))).await;
    let (_, p2) = call(
        &fake,
        "POST",
        "/products",
        Some(json!({"ref": "B", "label": "B", "price_ttc": 9.9, "price_base_type": "TTC", "tva_tx": 10})),
    )
    .await;
    let (_, a) = call(&fake, "GET", &format!("/products/{p1}"), None).await;
    let (_, b) = call(&fake, "GET", &format!("/products/{p2}"), None).await;
    assert_eq!((j(&a)["price"].clone(), j(&a)["price_ttc"].clone()), (json!("0.00000000"), json!("0.00000000")));
    assert_eq!((j(&b)["price"].clone(), j(&b)["price_ttc"].clone()), (json!("9.00000000"), json!("9.90000000")));
    let (s, e) = call(&fake, "POST", "/products", Some(json!({"ref": "B", "label": "again"}))).await;
    assert_eq!((s, j(&e)["error"]["0"].clone()), (500, json!("ErrorProductAlreadyExists")));

    // A timestamp is stored as its day in PHP's timezone: Paris midnight is the day before in UTC.
    let (_, socid) = call(&fake, "POST", "/thirdparties", Some(json!({"name": "X", "client": 1}))).await;
    let paris_midnight = 1_796_598_000; // 2026-12-07T00:00+01:00
    let (_, o1) = call(&fake, "POST", "/orders", Some(json!({"socid": socid, "date": paris_midnight}))).await;
    let (_, order) = call(&fake, "GET", &format!("/orders/{o1}"), None).await;
    assert_eq!(fake.day_of(&j(&order)["date"]).unwrap().to_string(), "2026-12-06");
    // A "YYYY-MM-DD" string is midnight UTC printed in PHP's zone: the day before west of UTC.
    fake.set_php_timezone(chrono_tz::Pacific::Honolulu);
    let (_, o2) = call(&fake, "POST", "/orders", Some(json!({"socid": socid, "date": "2026-12-07"}))).await;
    let (_, order) = call(&fake, "GET", &format!("/orders/{o2}"), None).await;
    assert_eq!(fake.day_of(&j(&order)["date"]).unwrap().to_string(), "2026-12-06");

    // PUT writes the status as given: −1 is Dolibarr's cancelled.
    let (s, order) = call(&fake, "PUT", &format!("/orders/{o1}"), Some(json!({"status": -1}))).await;
    assert_eq!((s, j(&order)["statut"].clone()), (200, json!("-1")));

    // A cash account takes only LIQ; payments are listed without their id, with their bank line.
    call(&fake, "POST", &format!("/orders/{o2}/lines"), Some(json!({"desc": "x", "qty": 1, "subprice": 5, "tva_tx": 10, "product_type": 1}))).await;
    call(&fake, "POST", &format!("/orders/{o2}/validate"), Some(json!({}))).await;
    let (_, inv) = call(&fake, "POST", &format!("/invoices/createfromorder/{o2}"), Some(json!({}))).await;
    let inv = j(&inv)["id"].as_str().unwrap().to_owned();
    call(&fake, "POST", &format!("/invoices/{inv}/validate"), Some(json!({}))).await;
    let pay = |mode: i64, account: i64| json!({"datepaye": paris_midnight, "paymentid": mode, "closepaidinvoices": "yes", "accountid": account});
    let (s, e) = call(&fake, "POST", &format!("/invoices/{inv}/payments"), Some(pay(6, 2))).await;
    assert_eq!(s, 400);
    assert!(e.contains("Add payment to bank error : ErrorCashAccountAcceptsOnlyCashMoney"), "{e}");
    let (s, pid) = call(&fake, "POST", &format!("/invoices/{inv}/payments"), Some(pay(4, 2))).await;
    assert_eq!(s, 200);
    let (_, list) = call(&fake, "GET", &format!("/invoices/{inv}/payments"), None).await;
    let entry = j(&list)[0].clone();
    assert_eq!(entry["type"], "LIQ");
    assert!(entry.get("id").is_none(), "{entry}");
    let line = entry["fk_bank_line"].as_str().unwrap();
    let (_, links) = call(&fake, "GET", &format!("/bankaccounts/1/lines/{line}/links"), None).await;
    let links = j(&links);
    let payment = links.as_array().unwrap().iter().find(|l| l["type"] == "payment").unwrap();
    assert_eq!(payment["url_id"], pid);

    // Thirdparty lists: mode 1 is customers only.
    call(&fake, "POST", "/thirdparties", Some(json!({"name": "Fournisseur", "email": "f@x.fr", "client": 0, "fournisseur": 1}))).await;
    let (s, _) = call(&fake, "GET", "/thirdparties?mode=1&sqlfilters=(t.email:=:'f@x.fr')", None).await;
    assert_eq!(s, 404);
    let (s, _) = call(&fake, "GET", "/thirdparties?mode=4&sqlfilters=(t.email:=:'f@x.fr')", None).await;
    assert_eq!(s, 200);
}

/// Credit notes as api_invoices.class.php and facture.class.php make them (shared/reference/dolibarr-credit-notes.md
/// verified the same on 23.0.0-beta): positive lines stored negative, AV numbering, validate twice → 304,
/// `/payments` books the refund as money in, `paymentsdistributed` refuses more than the remain unless told.
#[tokio::test]
async fn credit_notes_and_their_refund_payments() {
    let fake = FakeDolibarr::start(KEY).await;
    let (_, tp) = call(&fake, "POST", "/thirdparties", Some(json!({"name": "Jeanne Martin", "client": 1}))).await;
    let socid: i64 = tp.parse().unwrap();
    let (s, b) = call(&fake, "POST", "/invoices", Some(json!({"type": 2}))).await;
    assert_eq!((s, j(&b)["error"]["message"].as_str().unwrap()), (400, "Bad Request: socid field missing"));
    let (s, id) = call(&fake, "POST", "/invoices", Some(json!({"socid": socid, "type": 2, "fk_facture_source": 74}))).await;
    assert_eq!(s, 200);
    let id: i64 = id.parse().expect("a bare id");
    let (_, b) = call(&fake, "GET", &format!("/invoices/{id}"), None).await;
    let draft = j(&b);
    assert_eq!((draft["ref"].as_str(), draft["type"].as_str(), draft["statut"].as_str()), (Some(&*format!("(PROV{id})")), Some("2"), Some("0")));
    assert_eq!(draft["fk_facture_source"], "74");

    // Positive qty and price in, negative amounts stored (Facture::addline for type 2); a negative price too.
    let line = json!({"desc": "Pizza Reine (refund)", "product_type": 0, "qty": 1, "subprice": 10.81818, "tva_tx": 10});
    let (s, _) = call(&fake, "POST", &format!("/invoices/{id}/lines"), Some(line)).await;
    assert_eq!(s, 200);
    let neg = json!({"desc": "Remise", "product_type": 1, "qty": -1, "subprice": -1.0, "tva_tx": 10});
    let (s, _) = call(&fake, "POST", &format!("/invoices/{id}/lines"), Some(neg)).await;
    assert_eq!(s, 200);
    let (_, b) = call(&fake, "GET", &format!("/invoices/{id}"), None).await;
    let cn = j(&b);
    let first = &cn["lines"][0];
    assert_eq!((first["subprice"].as_str(), first["total_ht"].as_str()), (Some("-10.81818000"), Some("-10.82000000")));
    assert_eq!((first["total_tva"].as_str(), first["total_ttc"].as_str()), (Some("-1.08000000"), Some("-11.90000000")));
    assert_eq!((cn["lines"][1]["qty"].as_str(), cn["lines"][1]["total_ttc"].as_str()), (Some("1.00000000"), Some("-1.10000000")));
    assert_eq!((cn["total_ttc"].as_str(), cn["remaintopay"].as_str()), (Some("-13.00000000"), Some("-13.00000000")));

    // Validated with its own numbering; twice → 304 with an empty body; no line added after that.
    let (s, b) = call(&fake, "POST", &format!("/invoices/{id}/validate"), Some(json!({"idwarehouse": 0, "notrigger": 0}))).await;
    assert_eq!(s, 200);
    assert!(j(&b)["ref"].as_str().unwrap().starts_with("AV"), "{b}");
    assert_eq!(call(&fake, "POST", &format!("/invoices/{id}/validate"), Some(json!({}))).await, (304, String::new()));
    let (s, b) = call(&fake, "POST", &format!("/invoices/{id}/lines"), Some(json!({"qty": 1, "subprice": 1, "product_type": 1}))).await;
    assert_eq!(s, 400, "{b}");

    // POST /invoices/{id}/payments on a credit note: money *in*, the credit note stays unpaid, its remain doubled.
    let pay = json!({"datepaye": 1796601600, "paymentid": 6, "closepaidinvoices": "yes", "accountid": 1, "num_payment": "X"});
    let (s, _) = call(&fake, "POST", &format!("/invoices/{id}/payments"), Some(pay)).await;
    assert_eq!(s, 200);
    let (_, b) = call(&fake, "GET", &format!("/invoices/{id}"), None).await;
    let cn = j(&b);
    assert_eq!((cn["remaintopay"].as_str(), cn["paye"].as_str(), cn["statut"].as_str()), (Some("-26.00000000"), Some("0"), Some("1")));
    assert_eq!(fake.payments_of(id)[0]["amount"], "13.00000000");
    assert_eq!(fake.payments_of(id)[0]["bank_label"], "(CustomerInvoicePaymentBack)");

    // paymentsdistributed: a positive amount is above the (negative) remain: refused unless accepthigherpayment,
    // then booked −amount, which here settles the remain and closes the credit note.
    let dist = |amount: Value, accept: bool| {
        json!({"arrayofamounts": {id.to_string(): {"amount": amount, "multicurrency_amount": ""}}, "datepaye": 1796601600,
               "paymentid": 6, "closepaidinvoices": "yes", "accountid": 1, "accepthigherpayment": accept})
    };
    let (s, b) = call(&fake, "POST", "/invoices/paymentsdistributed", Some(dist(json!(26), false))).await;
    assert_eq!(s, 400);
    assert_eq!(
        j(&b)["error"]["message"],
        format!("Bad Request: Payment amount on invoice ID {id} (26) is higher than remain to pay (-26)")
    );
    let (s, _) = call(&fake, "POST", "/invoices/paymentsdistributed", Some(dist(json!(26), true))).await;
    assert_eq!(s, 200);
    let (_, b) = call(&fake, "GET", &format!("/invoices/{id}"), None).await;
    let cn = j(&b);
    assert_eq!((cn["remaintopay"].as_str(), cn["paye"].as_str(), cn["statut"].as_str()), (Some("0.00000000"), Some("1"), Some("2")));
    assert_eq!(fake.payments_of(id)[1]["amount"], "-26.00000000");
    // "remain" on a credit note: −1 × (negative remain) in the 20/21 source, money in; −abs() in 23.
    let (_, other) = call(&fake, "POST", "/invoices", Some(json!({"socid": socid, "type": 2}))).await;
    let other: i64 = other.parse().unwrap();
    let line = json!({"desc": "x", "product_type": 1, "qty": 1, "subprice": 5, "tva_tx": 0});
    call(&fake, "POST", &format!("/invoices/{other}/lines"), Some(line)).await;
    call(&fake, "POST", &format!("/invoices/{other}/validate"), Some(json!({}))).await;
    let remain = |v: bool| {
        json!({"arrayofamounts": {other.to_string(): {"amount": "remain", "multicurrency_amount": ""}},
               "datepaye": 1796601600, "paymentid": 6, "closepaidinvoices": "yes", "accountid": 1, "accepthigherpayment": v})
    };
    assert_eq!(call(&fake, "POST", "/invoices/paymentsdistributed", Some(remain(false))).await.0, 200);
    assert_eq!(fake.payments_of(other)[0]["amount"], "5.00000000", "money in (20/21)");
    fake.set_distributed_forces_negative(true);
    assert_eq!(call(&fake, "POST", "/invoices/paymentsdistributed", Some(remain(true))).await.0, 200);
    assert_eq!(fake.payments_of(other)[1]["amount"], "-10.00000000", "-abs(remain) in 23");
    fake.set_distributed_forces_negative(false);
    // Nothing left: a further payment is an empty one.
    let (s, b) = call(&fake, "POST", "/invoices/paymentsdistributed", Some(dist(json!("remain"), false))).await;
    assert_eq!((s, j(&b)["error"]["message"].as_str().unwrap()), (400, "Bad Request: Payment error : TotalAmountEmpty"));
    // A cash account takes only cash.
    let caisse = dist(json!(1), true);
    let mut caisse = caisse.as_object().unwrap().clone();
    caisse.insert("accountid".into(), json!(2));
    let (s, b) = call(&fake, "POST", "/invoices/paymentsdistributed", Some(Value::Object(caisse))).await;
    assert_eq!(s, 400);
    assert!(b.contains("ErrorCashAccountAcceptsOnlyCashMoney"), "{b}");
}
