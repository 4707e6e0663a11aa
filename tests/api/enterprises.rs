//! Enterprises: credit codes checked, scoped reads and writes.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

fn body(code: &str, org: &str) -> serde_json::Value {
    json!({"name": "上海速达物流有限公司", "credit_code": code, "org_code": org, "new_form_groups": "货车司机、courier", "contact_phone": "13800138000"})
}

#[tokio::test]
async fn a_cadre_records_an_enterprise_and_another_street_cannot_see_it() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let (status, e) = a
        .post("/api/v1/enterprises", body("91310110MA1G8XXX2B", "STA"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    assert_eq!(e["groups"], json!(["truck_driver", "courier"]));
    let id = e["id"].as_i64().unwrap();
    let b = app.api("b.cadre").await;
    assert_eq!(
        b.get(&format!("/api/v1/enterprises/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, list) = b.get("/api/v1/enterprises?q=%E9%80%9F%E8%BE%BE").await; // 速达
    assert_eq!(list["total"], 0);
    let (status, _) = b
        .patch(
            &format!("/api/v1/enterprises/{id}"),
            json!({"name": "改名"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = a.get("/api/v1/enterprises?q=%E9%80%9F%E8%BE%BE").await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["contact_phone"], "138****8000");
    let viewer = app.api("a.viewer").await;
    let (status, _) = viewer
        .patch(
            &format!("/api/v1/enterprises/{id}"),
            json!({"name": "改名"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = viewer
        .post("/api/v1/enterprises", body("91110000100000589A", "STA"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_bad_credit_code_is_refused_naming_the_rule() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let (status, err) = a
        .post("/api/v1/enterprises", body("91310110MA1G8XXX2A", "STA"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["fields"][0]["field"], "credit_code");
    assert!(
        err["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("“B”")
    );
    let (status, _) = a
        .post("/api/v1/enterprises", body("91310110MA1G8XXX2B", "STB"))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "another street's jurisdiction is out of reach"
    );
    a.post("/api/v1/enterprises", body("91310110MA1G8XXX2B", "STA"))
        .await;
    let (status, err) = a
        .post("/api/v1/enterprises", body("91310110MA1G8XXX2B", "UA"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        err["error"]["fields"][0]["field"], "credit_code",
        "a duplicate code is a field error"
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM enterprises")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn a_huge_page_is_refused_not_a_server_error() {
    let app = TestApp::spawn().await;
    let api = app.api("a.cadre").await;
    let (status, body) = api
        .get("/api/v1/enterprises?page=9223372036854775806")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "page");
    let (status, page) = api.get("/api/v1/enterprises?page=1000000").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
}
