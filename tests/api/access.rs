//! A role at an org reaches its subtree and nothing else, through pages and API.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, codes};

#[tokio::test]
async fn a_street_cadre_sees_only_its_own_subtree() {
    let app = TestApp::spawn().await;
    let api = app.api("a.cadre").await;
    let (_, roots) = api.get("/api/v1/orgs").await;
    assert_eq!(codes(&roots), ["STA"]);
    let (_, found) = api.get("/api/v1/orgs?q=%E5%B7%A5%E4%BC%9A").await; // 工会
    assert_eq!(
        codes(&found),
        ["UA", "STA"],
        "甲公司 (jia gong) sorts before 甲街道 (jia jie)"
    );
    for id in [app.street_b, app.union_b, app.district, app.dept] {
        assert_eq!(
            api.get(&format!("/api/v1/orgs/{}", id.0)).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            api.get(&format!("/api/v1/orgs/{}/counts", id.0)).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            api.get(&format!("/api/v1/orgs/{}/children", id.0)).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            api.get(&format!("/api/v1/orgs?parent={}", id.0)).await.0,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn a_street_admin_cannot_edit_move_or_create_in_another_street() {
    let app = TestApp::spawn().await;
    let api = app.api("a.admin").await;
    let (status, _) = api
        .patch(
            &format!("/api/v1/orgs/{}", app.union_b.0),
            json!({"name": "改名"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api
        .post(
            &format!("/api/v1/orgs/{}/move", app.union_b.0),
            json!({"parent_code": "STA"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = api
        .post(
            &format!("/api/v1/orgs/{}/move", app.union_a.0),
            json!({"parent_code": "STB"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the target parent is out of reach"
    );
    assert_eq!(body["error"]["fields"][0]["field"], "parent_code");
    let (status, _) = api
        .post(
            "/api/v1/orgs",
            json!({"parent_code": "STB", "code": "N1", "name": "x", "kind": "grassroots"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = api
        .post(
            &format!("/api/v1/orgs/{}/active", app.union_b.0),
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // An admin cannot move the org their own grant sits at.
    let (status, _) = api
        .post(
            &format!("/api/v1/orgs/{}/move", app.street_a.0),
            json!({"parent_code": "UA"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, name): (_, String) = (
        0,
        sqlx::query_scalar("SELECT name FROM orgs WHERE code = 'UB'")
            .fetch_one(app.db.pool())
            .await
            .unwrap(),
    );
    assert_eq!(name, "乙公司工会");
}

#[tokio::test]
async fn viewers_and_cadres_cannot_change_the_tree() {
    let app = TestApp::spawn().await;
    for who in ["a.viewer", "a.cadre"] {
        let api = app.api(who).await;
        let (status, _) = api
            .patch(
                &format!("/api/v1/orgs/{}", app.union_a.0),
                json!({"name": "改名"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
        let (status, _) = api
            .post(
                "/api/v1/orgs",
                json!({"parent_code": "STA", "code": "N1", "name": "x", "kind": "grassroots"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
    }
    let c = app.browser("a.viewer").await;
    let res = c
        .get(app.url(&format!("/orgs/{}/edit", app.union_a.0)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = c
        .post(app.url(&format!("/orgs/{}/active", app.union_a.0)))
        .form(&[("active", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn pages_of_another_street_are_not_found() {
    let app = TestApp::spawn().await;
    let c = app.browser("a.cadre").await;
    for path in [
        format!("/orgs/{}", app.street_b.0),
        format!("/orgs/{}/children", app.street_b.0),
    ] {
        assert_eq!(
            c.get(app.url(&path)).send().await.unwrap().status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let html = c
        .get(app.url("/orgs?q=%E4%B9%99"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap(); // 乙
    assert!(
        !html.contains("乙街道"),
        "search does not leak other streets"
    );
    let home = c
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!home.contains("乙街道") && !home.contains("测试区总工会"));
}

#[tokio::test]
async fn a_viewer_sees_phone_numbers_masked() {
    let app = TestApp::spawn().await;
    let viewer = app.api("a.viewer").await;
    let (_, org) = viewer.get(&format!("/api/v1/orgs/{}", app.union_a.0)).await;
    assert_eq!(org["phone"], "138****8000");
    let cadre = app.api("a.cadre").await;
    let (_, org) = cadre.get(&format!("/api/v1/orgs/{}", app.union_a.0)).await;
    assert_eq!(org["phone"], "13800138000");
    assert_eq!(
        app.audit_count("personal_data_viewed").await,
        1,
        "only the unmasked view is audited"
    );
    let (_, list) = cadre
        .get(&format!("/api/v1/orgs?parent={}", app.street_a.0))
        .await;
    assert_eq!(list[0]["phone"], "138****8000", "lists always mask");
}

#[tokio::test]
async fn a_caller_without_any_role_reaches_nothing() {
    let app = TestApp::spawn().await;
    let id = app
        .user("nobody", app.street_a, qingting::auth::Role::Viewer)
        .await;
    sqlx::query("DELETE FROM role_grants WHERE user_id = $1")
        .bind(id)
        .execute(app.db.pool())
        .await
        .unwrap();
    let api = app.api("nobody").await;
    let (_, roots) = api.get("/api/v1/orgs").await;
    assert_eq!(roots.as_array().unwrap().len(), 0);
    assert_eq!(api.get("/api/v1/users").await.0, StatusCode::FORBIDDEN);
}
