//! Health, assets, CSRF, the OpenAPI document, the audit log's integrity.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;

#[tokio::test]
async fn health_and_assets_are_served_by_the_binary() {
    let app = TestApp::spawn().await;
    let c = app.anonymous();
    assert_eq!(
        c.get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
    // Metrics need a token or their own address (tests/api/metrics.rs).
    assert_eq!(
        c.get(app.url("/metrics")).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    for asset in ["app.css", "app.js", "favicon.svg"] {
        let res = c
            .get(app.url(&format!("/assets/{asset}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{asset}");
    }
    let res = c.get(app.url("/login")).send().await.unwrap();
    assert!(res.headers().contains_key("x-request-id"));
    let html = res.text().await.unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "pages load nothing from elsewhere"
    );
}

#[tokio::test]
async fn a_cross_site_form_post_is_refused() {
    let app = TestApp::spawn().await;
    let c = app.browser("district.admin").await;
    let res = c
        .post(app.url("/orgs"))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[
            ("parent_code", "DIST"),
            ("code", "X1"),
            ("name", "x"),
            ("kind", "street"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orgs WHERE code = 'X1'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn the_openapi_document_is_openapi_3_and_lists_the_api() {
    let app = TestApp::spawn().await;
    let doc = app.openapi().await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/orgs",
        "/api/v1/orgs/{id}",
        "/api/v1/users",
        "/api/v1/me",
    ] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn the_audit_log_refuses_edits_at_the_database() {
    let app = TestApp::spawn().await;
    app.browser("a.cadre").await;
    assert!(
        sqlx::query("UPDATE audit_log SET action = 'x'")
            .execute(app.db.pool())
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM audit_log")
            .execute(app.db.pool())
            .await
            .is_err()
    );
    assert_eq!(app.audit_count("login").await, 1);
}

#[tokio::test]
async fn api_errors_name_the_field_in_the_callers_language() {
    let app = TestApp::spawn().await;
    let api = app.api("district.admin").await;
    let body = serde_json::json!({"parent_code": "DIST", "code": "bad code", "name": "", "kind": "street"});
    let (status, zh) = api.post("/api/v1/orgs", body.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(zh["error"]["code"], "validation");
    let fields: Vec<&str> = zh["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["code", "name"]);
    assert!(
        zh["error"]["fields"][1]["message"]
            .as_str()
            .unwrap()
            .contains("名称")
    );
    let res = api
        .client
        .post(format!("{}/api/v1/orgs", api.base))
        .bearer_auth(&api.token)
        .header("accept-language", "en-US,en;q=0.9")
        .json(&body)
        .send()
        .await
        .unwrap();
    let en: Value = res.json().await.unwrap();
    assert_eq!(en["error"]["fields"][1]["message"], "\"Name\" is required.");
}
