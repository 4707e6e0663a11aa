//! The API's one error shape: every 4xx/5xx under `/api/v1` is
//! `{"error": {"code", "message", "fields": [...]}}` with a stable `code`,
//! whether a handler, an extractor, the router or a layer refused the request.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::TestApp;

/// A request body and its content type.
type Body = Option<(&'static str, &'static str)>;

/// A request and what it must answer.
struct Case {
    what: &'static str,
    method: Method,
    path: &'static str,
    /// The body and its content type.
    body: Body,
    token: bool,
    status: StatusCode,
    code: &'static str,
    /// The fields the error must name, in order.
    fields: &'static [&'static str],
}

const JSON: &str = "application/json";

fn case(
    what: &'static str,
    method: Method,
    path: &'static str,
    body: Body,
    status: StatusCode,
    code: &'static str,
    fields: &'static [&'static str],
) -> Case {
    Case {
        what,
        method,
        path,
        body,
        token: true,
        status,
        code,
        fields,
    }
}

/// Checks the shape of an error response and returns its body.
async fn error_body(res: reqwest::Response, what: &str) -> Value {
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = res.text().await.unwrap();
    assert!(
        content_type.starts_with("application/json"),
        "{what}: {status} answered {content_type:?}: {text}"
    );
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: {e}: {text}"));
    let code = body["error"]["code"].as_str().unwrap_or_default();
    assert!(
        qingting::error::AppError::CODES.contains(&code),
        "{what}: unknown code in {body}"
    );
    assert!(
        !body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{what}: no message in {body}"
    );
    assert!(body["error"]["fields"].is_array(), "{what}: {body}");
    body
}

#[tokio::test]
async fn every_kind_of_bad_request_answers_the_one_json_error_with_its_code() {
    let app = TestApp::spawn_with(|s| {
        // The body limit is this plus 64 KiB: a 200 KiB body is too large.
        s.import.max_upload_bytes = 16 * 1024;
        s.security.public_intake_per_hour = 2;
    })
    .await;
    let token = app.token("a.admin").await;
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(200 * 1024));
    let big: &'static str = Box::leak(big.into_boxed_str());
    use Method as M;
    use StatusCode as S;
    #[rustfmt::skip]
    let mut cases = vec![
        case("malformed JSON", M::POST, "/api/v1/orgs", Some(("{\"code\": ", JSON)), S::BAD_REQUEST, "malformed_json", &[]),
        case("trailing text after the JSON", M::POST, "/api/v1/orgs", Some(("{} {}", JSON)), S::BAD_REQUEST, "malformed_json", &[]),
        case("empty JSON body", M::POST, "/api/v1/problems/bulk", Some(("", JSON)), S::BAD_REQUEST, "malformed_json", &[]),
        case("JSON sent as text", M::POST, "/api/v1/orgs", Some(("{}", "text/plain")), S::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", &[]),
        case("JSON sent as a form", M::POST, "/api/v1/orgs", Some(("code=X", "application/x-www-form-urlencoded")), S::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", &[]),
        case("a required field missing", M::POST, "/api/v1/problems/bulk", Some(("{\"action\": \"close\"}", JSON)), S::UNPROCESSABLE_ENTITY, "validation", &["ids"]),
        case("a list item of the wrong type", M::POST, "/api/v1/problems/bulk", Some(("{\"ids\": [1, \"two\"]}", JSON)), S::UNPROCESSABLE_ENTITY, "validation", &["ids[1]"]),
        case("a number where text belongs", M::POST, "/api/v1/campaigns/1/summaries/1/return", Some(("{\"version\": 1, \"reason\": 7}", JSON)), S::UNPROCESSABLE_ENTITY, "validation", &["reason"]),
        case("a nested field missing", M::POST, "/api/v1/campaigns/1/summaries/1/return", Some(( "{\"version\": 1, \"lines\": [{\"line\": \"enterprises\"}]}", JSON, )), S::UNPROCESSABLE_ENTITY, "validation", &["lines[0].reason"]),
        case("a map entry of the wrong type", M::PUT, "/api/v1/campaigns/1/summaries/1", Some(("{\"main\": {\"worker\": [\"x\"]}}", JSON)), S::UNPROCESSABLE_ENTITY, "validation", &["main.worker[0]"]),
        case("a body of the wrong shape", M::POST, "/api/v1/problems/bulk", Some(("\"all\"", JSON)), S::UNPROCESSABLE_ENTITY, "validation", &[""]),
        case("a query parameter of the wrong type", M::GET, "/api/v1/audit?page=first", None, S::BAD_REQUEST, "invalid_query", &["page"]),
        case("a path id that is not a number", M::GET, "/api/v1/orgs/abc", None, S::BAD_REQUEST, "invalid_path", &["id"]),
        case("the second path id not a number", M::GET, "/api/v1/campaigns/1/summaries/abc", None, S::BAD_REQUEST, "invalid_path", &["org"]),
        case("an unknown route", M::GET, "/api/v1/no-such-thing", None, S::NOT_FOUND, "not_found", &[]),
        case("an unknown route under a known one", M::GET, "/api/v1/orgs/1/nothing/here", None, S::NOT_FOUND, "not_found", &[]),
        case("a method the route does not take", M::DELETE, "/api/v1/orgs", None, S::METHOD_NOT_ALLOWED, "method_not_allowed", &[]),
        case("PUT on a read-only route", M::PUT, "/api/v1/todo", Some(("{}", JSON)), S::METHOD_NOT_ALLOWED, "method_not_allowed", &[]),
        case("a body over the limit", M::POST, "/api/v1/orgs", Some((big, JSON)), S::PAYLOAD_TOO_LARGE, "too_large", &[]),
        case("a record outside the caller's reach", M::GET, "/api/v1/orgs/999999", None, S::NOT_FOUND, "not_found", &[]),
        case("a domain validation", M::POST, "/api/v1/orgs", Some(("{}", JSON)), S::UNPROCESSABLE_ENTITY, "validation", &[]),
    ];
    let mut anonymous = case(
        "no credentials",
        M::GET,
        "/api/v1/orgs",
        None,
        S::UNAUTHORIZED,
        "unauthenticated",
        &[],
    );
    anonymous.token = false;
    cases.push(anonymous);
    let c = reqwest::Client::new();
    for k in &cases {
        let mut req = c.request(k.method.clone(), app.url(k.path));
        if k.token {
            req = req.bearer_auth(&token);
        }
        if let Some((body, content_type)) = k.body {
            req = req.header("content-type", content_type).body(body);
        }
        let res = req.send().await.unwrap();
        assert_eq!(
            res.status(),
            k.status,
            "{}: {} {}",
            k.what,
            k.method,
            k.path
        );
        let allow = res.headers().get("allow").cloned();
        let body = error_body(res, k.what).await;
        assert_eq!(body["error"]["code"], k.code, "{}: {body}", k.what);
        if !k.fields.is_empty() {
            let named: Vec<&str> = body["error"]["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["field"].as_str().unwrap())
                .collect();
            assert_eq!(named, k.fields, "{}: {body}", k.what);
            assert!(
                body["error"]["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|f| !f["message"]
                        .as_str()
                        .unwrap()
                        .contains("Unknown localization")),
                "{}: {body}",
                k.what
            );
        }
        if k.status == S::METHOD_NOT_ALLOWED {
            assert!(allow.is_some(), "{}: 405 keeps its Allow header", k.what);
        }
    }

    // Rate limits: a receipt code guessed too often.
    let mut last = None;
    for _ in 0..4 {
        last = Some(
            c.get(app.url("/api/v1/receipts/ABCD-EFGH"))
                .send()
                .await
                .unwrap(),
        );
    }
    let res = last.unwrap();
    assert_eq!(res.status(), S::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in whole seconds");
    assert!((1..=3600).contains(&wait), "Retry-After {wait}");
    let body = error_body(res, "rate limit").await;
    assert_eq!(body["error"]["code"], "too_many_requests");

    // A cross-site request carrying cookies is refused by the CSRF layer, in JSON too.
    let browser = app.browser("a.admin").await;
    let res = browser
        .post(app.url("/api/v1/orgs"))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), S::FORBIDDEN);
    let body = error_body(res, "cross-site").await;
    assert_eq!(body["error"]["code"], "forbidden");
}

#[tokio::test]
async fn extractor_errors_follow_accept_language_and_name_the_field() {
    let app = TestApp::spawn().await;
    let token = app.token("a.admin").await;
    let c = reqwest::Client::new();
    let mut messages = Vec::new();
    for lang in ["zh-CN", "en"] {
        let res = c
            .post(app.url("/api/v1/problems/bulk"))
            .bearer_auth(&token)
            .header("accept-language", lang)
            .json(&serde_json::json!({"ids": "all"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = error_body(res, lang).await;
        let field = &body["error"]["fields"][0];
        assert_eq!(field["field"], "ids");
        messages.push((
            body["error"]["message"].as_str().unwrap().to_string(),
            field["message"].as_str().unwrap().to_string(),
        ));
    }
    assert_ne!(messages[0], messages[1], "each language has its own words");
    assert!(messages[0].1.contains("类型"), "{:?}", messages[0]);
    assert!(messages[1].1.contains("wrong type"), "{:?}", messages[1]);
    // An unknown route in English.
    let res = c
        .get(app.url("/api/v1/nowhere"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let body = error_body(res, "404 in English").await;
    assert_eq!(body["error"]["message"], "Not found, or not yours to see.");
}

/// Replaces each `{param}` of a documented path.
fn fill(path: &str, with: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap() + start;
        out.push_str(with);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn no_api_error_is_text_whatever_the_route_and_the_mistake() {
    let app = TestApp::spawn().await;
    let viewer = app.token("a.viewer").await;
    let c = reqwest::Client::new();
    let doc: Value = c
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() > 100, "documented paths: {}", paths.len());
    let mut errors = 0;
    let mut codes = BTreeSet::new();
    for (path, item) in paths {
        let documented: Vec<Method> = item
            .as_object()
            .unwrap()
            .keys()
            .filter_map(|m| m.to_uppercase().parse().ok())
            .collect();
        // (method, path, with a token, body)
        let mut tries: Vec<(Method, String, bool, Body)> = Vec::new();
        for m in &documented {
            let body = (*m != Method::GET && *m != Method::DELETE).then_some(("{\"x\": ", JSON));
            // No credentials; a path parameter that is no id; ids that do not exist,
            // with a body that is not JSON; a body of the wrong type.
            tries.push((m.clone(), fill(path, "1"), false, body));
            tries.push((m.clone(), fill(path, "no-such"), true, body));
            tries.push((m.clone(), fill(path, "999999"), true, body));
            tries.push((
                m.clone(),
                fill(path, "999999"),
                true,
                Some(("[]", "text/plain")),
            ));
        }
        for m in [Method::PUT, Method::PATCH, Method::DELETE] {
            if !documented.contains(&m) {
                tries.push((m, fill(path, "1"), true, None));
            }
        }
        for (method, url, token, body) in tries {
            let mut req = c.request(method.clone(), app.url(&url));
            if token {
                req = req.bearer_auth(&viewer);
            }
            if let Some((b, t)) = body {
                req = req.header("content-type", t).body(b);
            }
            let res = req.send().await.unwrap();
            let status = res.status();
            if status.is_client_error() || status.is_server_error() {
                let what = format!("{method} {url} (token: {token})");
                assert!(
                    !status.is_server_error(),
                    "{what}: {status} {}",
                    res.text().await.unwrap_or_default()
                );
                let body = error_body(res, &what).await;
                codes.insert(body["error"]["code"].as_str().unwrap().to_string());
                errors += 1;
            }
        }
    }
    assert!(errors > 400, "error responses checked: {errors}");
    for code in [
        "unauthenticated",
        "not_found",
        "invalid_path",
        "malformed_json",
        "unsupported_media_type",
        "method_not_allowed",
    ] {
        assert!(codes.contains(code), "{code} never answered: {codes:?}");
    }
}
