//! Users and roles: admins manage people in their subtree only.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn an_admin_lists_only_users_of_their_subtree() {
    let app = TestApp::spawn().await;
    let api = app.api("a.admin").await;
    let (status, page) = api.get("/api/v1/users").await;
    assert_eq!(status, StatusCode::OK);
    let mut names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["a.admin", "a.cadre", "a.viewer"]);
    assert_eq!(page["total"], 3);
    assert_eq!(page["items"][0]["phone"], "139****5678");
    let b_cadre: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'b.cadre'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(
        api.get(&format!("/api/v1/users/{b_cadre}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.get(&format!("/api/v1/users/{b_cadre}/roles")).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn cadres_cannot_manage_users() {
    let app = TestApp::spawn().await;
    let api = app.api("a.cadre").await;
    assert_eq!(api.get("/api/v1/users").await.0, StatusCode::FORBIDDEN);
    let c = app.browser("a.cadre").await;
    assert_eq!(
        c.get(app.url("/users")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        c.get(app.url("/audit")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn an_admin_creates_a_user_who_can_then_log_in() {
    let app = TestApp::spawn().await;
    let api = app.api("a.admin").await;
    let (status, user) = api
        .post("/api/v1/users", json!({"username": "Zhang.San", "display_name": "张三", "org_code": "UA", "password": "long-enough-1", "role": "cadre"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert_eq!(user["username"], "zhang.san");
    assert_eq!(user["grants"][0]["role"], "cadre");
    let res = app
        .anonymous()
        .post(app.url("/login"))
        .form(&[("username", "zhang.san"), ("password", "long-enough-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.audit_count("user_created").await, 1);
    assert_eq!(app.audit_count("role_granted").await, 1);
}

#[tokio::test]
async fn a_user_cannot_be_created_or_granted_outside_the_admins_subtree() {
    let app = TestApp::spawn().await;
    let api = app.api("a.admin").await;
    let (status, body) = api
        .post("/api/v1/users", json!({"username": "li.si", "display_name": "李四", "org_code": "UB", "password": "long-enough-1"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"][0]["field"], "org_code");
    let a_cadre: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'a.cadre'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let (status, _) = api
        .post(
            &format!("/api/v1/users/{a_cadre}/roles"),
            json!({"org_code": "STB", "role": "admin"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = api
        .post(
            &format!("/api/v1/users/{a_cadre}/roles"),
            json!({"org_code": "DIST", "role": "admin"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no escalation above one's own org"
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE username = 'li.si'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn granting_and_revoking_roles_changes_what_a_user_reaches() {
    let app = TestApp::spawn().await;
    let admin = app.api("district.admin").await;
    let b_cadre: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'b.cadre'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let (status, grants) = admin
        .post(
            &format!("/api/v1/users/{b_cadre}/roles"),
            json!({"org_code": "STA", "role": "viewer"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let b = app.api("b.cadre").await;
    assert_eq!(
        b.get(&format!("/api/v1/orgs/{}", app.union_a.0)).await.0,
        StatusCode::OK
    );
    let grant = grants
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["org_code"] == "STA")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, _) = admin
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/users/{b_cadre}/roles/{grant}"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        b.get(&format!("/api/v1/orgs/{}", app.union_a.0)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.audit_count("role_revoked").await, 1);
}

#[tokio::test]
async fn the_audit_page_shows_an_admin_their_subtrees_events_only() {
    let app = TestApp::spawn().await;
    app.browser("a.cadre").await;
    app.browser("b.cadre").await;
    let c = app.browser("a.admin").await;
    let html = c
        .get(app.url("/audit?action=login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("a.cadre") && !html.contains("b.cadre"));
    let district = app.browser("district.admin").await;
    let html = district
        .get(app.url("/audit?action=login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("a.cadre") && html.contains("b.cadre"));
}

#[tokio::test]
async fn a_huge_page_is_refused_not_a_server_error() {
    let app = TestApp::spawn().await;
    let api = app.api("a.admin").await;
    let (status, body) = api.get("/api/v1/users?page=9223372036854775806").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "page");
    let (status, page) = api.get("/api/v1/users?page=1000000").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_bad_role_is_answered_with_the_role_codes() {
    let app = TestApp::spawn().await;
    let api = app.api("a.admin").await;
    let (status, body) = api
        .post("/api/v1/users", json!({"username": "li.si", "display_name": "李四", "org_code": "UA", "password": "long-enough-1", "role": "管理员"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let msg = body["error"]["fields"][0]["message"].as_str().unwrap();
    assert!(msg.contains("viewer, cadre, admin"), "{msg}");
}
