//! The org tree: create, edit, move with the subtree, refuse cycles, deactivate.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, codes};

#[tokio::test]
async fn an_admin_creates_an_org_and_it_appears_under_its_parent() {
    let app = TestApp::spawn().await;
    let api = app.api("a.admin").await;
    let (status, org) = api
        .post("/api/v1/orgs", json!({"parent_code": "sta", "code": "ua2", "name": "丙公司工会", "kind": "基层工会", "display_order": "-1"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    assert_eq!(org["code"], "UA2");
    let (_, kids) = api
        .get(&format!("/api/v1/orgs?parent={}", app.street_a.0))
        .await;
    assert_eq!(
        codes(&kids),
        ["UA2", "UA"],
        "display order first, then pinyin"
    );
}

#[tokio::test]
async fn a_duplicate_code_is_a_field_error_not_a_crash() {
    let app = TestApp::spawn().await;
    let api = app.api("district.admin").await;
    let (status, body) = api
        .post(
            "/api/v1/orgs",
            json!({"parent_code": "DIST", "code": "STA", "name": "重复", "kind": "street"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"][0]["field"], "code");
}

#[tokio::test]
async fn moving_an_org_moves_its_subtree() {
    let app = TestApp::spawn().await;
    let api = app.api("district.admin").await;
    let (status, _) = api
        .post(
            &format!("/api/v1/orgs/{}/move", app.union_a.0),
            json!({"parent_code": "STB"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, counts_b) = api
        .get(&format!("/api/v1/orgs/{}/counts", app.street_b.0))
        .await;
    assert_eq!(counts_b["orgs_total"], 3);
    let (_, counts_a) = api
        .get(&format!("/api/v1/orgs/{}/counts", app.street_a.0))
        .await;
    assert_eq!(counts_a["orgs_total"], 1);
    // Street A's cadre no longer reaches the moved union; street B's does.
    let a = app.api("a.cadre").await;
    assert_eq!(
        a.get(&format!("/api/v1/orgs/{}", app.union_a.0)).await.0,
        StatusCode::NOT_FOUND
    );
    let b = app.api("b.cadre").await;
    assert_eq!(
        b.get(&format!("/api/v1/orgs/{}", app.union_a.0)).await.0,
        StatusCode::OK
    );
    assert_eq!(app.audit_count("org_moved").await, 1);
}

#[tokio::test]
async fn an_org_cannot_move_under_its_own_descendant() {
    let app = TestApp::spawn().await;
    let api = app.api("district.admin").await;
    let (status, body) = api
        .post(
            &format!("/api/v1/orgs/{}/move", app.street_a.0),
            json!({"parent_code": "UA"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"][0]["field"], "parent_code");
    let (status, _) = api
        .post(
            &format!("/api/v1/orgs/{}/move", app.street_a.0),
            json!({"parent_code": "STA"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_department_belongs_only_to_a_federation() {
    let app = TestApp::spawn().await;
    let api = app.api("district.admin").await;
    let (status, body) = api
        .post(
            "/api/v1/orgs",
            json!({"parent_code": "STA", "code": "D2", "name": "部室", "kind": "department"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"][0]["field"], "kind");
    let (status, _) = api
        .post(
            &format!("/api/v1/orgs/{}/move", app.union_a.0),
            json!({"parent_code": "DEPT"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn an_org_with_active_children_cannot_be_deactivated_and_none_is_deleted() {
    let app = TestApp::spawn().await;
    let api = app.api("district.admin").await;
    let (status, _) = api
        .post(
            &format!("/api/v1/orgs/{}/active", app.street_a.0),
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = api
        .post(
            &format!("/api/v1/orgs/{}/active", app.union_a.0),
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, org) = api.get(&format!("/api/v1/orgs/{}", app.union_a.0)).await;
    assert_eq!(org["active"], false);
    let (status, _) = api
        .post(
            &format!("/api/v1/orgs/{}/active", app.street_a.0),
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn patch_changes_only_the_given_fields() {
    let app = TestApp::spawn().await;
    let api = app.api("a.admin").await;
    let (status, org) = api
        .patch(
            &format!("/api/v1/orgs/{}", app.union_a.0),
            json!({"short_name": "甲工会", "phone": "021-25032214"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{org}");
    assert_eq!(org["short_name"], "甲工会");
    assert_eq!(org["name"], "甲公司工会");
    let (status, body) = api
        .patch(
            &format!("/api/v1/orgs/{}", app.union_a.0),
            json!({"phone": "12"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"][0]["field"], "phone");
}

#[tokio::test]
async fn search_finds_two_character_chinese_names() {
    let app = TestApp::spawn().await;
    let api = app.api("district.admin").await;
    let (_, found) = api.get("/api/v1/orgs?q=%E8%A1%97%E9%81%93").await; // 街道
    assert_eq!(codes(&found), ["STA", "STB"]);
}

#[tokio::test]
async fn the_tree_and_org_pages_render_for_a_person() {
    let app = TestApp::spawn().await;
    let c = app.browser("district.admin").await;
    let html = c
        .get(app.url("/orgs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("甲街道总工会") && html.contains("data-children=\"/orgs/"));
    let frag = c
        .get(app.url(&format!("/orgs/{}/children", app.street_a.0)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(frag.contains("甲公司工会"));
    let html = c
        .get(app.url(&format!("/orgs/{}", app.union_a.0)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("测试区总工会") && html.contains("13800138000"),
        "breadcrumb and, for an admin, the phone"
    );
    let res = c
        .post(app.url("/orgs"))
        .form(&[
            ("parent_code", "STA"),
            ("code", ""),
            ("name", "新工会"),
            ("kind", "grassroots"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("“代码”不能为空"), "the form names the field");
    assert!(html.contains("新工会"), "what the user typed is kept");
}
