//! Password rules, password age, the last login shown, and the account page
//! with its second factor (TOTP and recovery codes).

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp};

#[tokio::test]
async fn new_passwords_must_be_long_uncommon_and_impersonal() {
    let app = TestApp::spawn().await;
    let api = app.api("a.admin").await;
    for (pw, message) in [
        ("short-1", "至少需要 10 个字符"),
        ("woaini1314", "太常见"),
        ("QWERTYUIOP", "太常见"),
        ("wang.wu-2024!", "不能包含用户名或姓名"),
        ("王五的工会密码很长", "至少需要 10 个字符"),
        ("王五的工会密码很长很长", "不能包含用户名或姓名"),
    ] {
        let (status, body) = api
            .post(
                "/api/v1/users",
                json!({"username": "wang.wu", "display_name": "王五", "org_code": "UA", "password": pw}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{pw}");
        let field = &body["error"]["fields"][0];
        assert_eq!(field["field"], "password", "{pw}");
        let text = field["message"].as_str().unwrap();
        assert!(
            text.contains("“密码”") && text.contains(message),
            "{pw}: {text}"
        );
    }
    let (status, _) = api
        .post(
            "/api/v1/users",
            json!({"username": "wang.wu", "display_name": "王五", "org_code": "UA", "password": "tea-garden-union"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // English callers read the rule in English.
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/users"))
        .bearer_auth(&api.token)
        .header("accept-language", "en")
        .json(&json!({"username": "zhao.liu", "display_name": "赵六", "org_code": "UA", "password": "password123"}))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("too common")
    );
}

#[tokio::test]
async fn an_admin_reset_meets_the_rules_and_a_longer_minimum_is_configurable() {
    let app = TestApp::spawn_with(|s| s.security.password_min_length = 16).await;
    let admin = app.browser("a.admin").await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'a.cadre'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let res = admin
        .post(app.url(&format!("/users/{id}/password")))
        .form(&[("password", "fifteen-chars-x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("至少需要 16 个字符"));
    let res = admin
        .post(app.url(&format!("/users/{id}/password")))
        .form(&[("password", "sixteen-chars-xx")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = admin
        .get(app.url("/users/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("至少 16 个字符"));
}

#[tokio::test]
async fn the_previous_login_is_shown_after_logging_in() {
    let app = TestApp::spawn_with(|s| s.server.trusted_proxies = "127.0.0.1".into()).await;
    let login = |ip: &'static str, pw: &'static str| {
        let c = app.anonymous();
        let url = app.url("/login");
        async move {
            let res = c
                .post(url)
                .header("x-forwarded-for", ip)
                .form(&[("username", "a.cadre"), ("password", pw)])
                .send()
                .await
                .unwrap();
            (res.status(), c)
        }
    };
    let (status, first) = login("10.7.0.1", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let home = first
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!home.contains("上次登录"), "nothing before the first login");
    login("10.7.0.2", "wrong-password").await;
    login("10.7.0.2", "wrong-password").await;
    let (_, second) = login("10.7.0.3", PASSWORD).await;
    let home = second
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("上次登录："), "{home}");
    assert!(home.contains("来自 10.7.0.1"));
    assert!(home.contains("此后有 2 次登录失败"));
    let me: serde_json::Value = app.api("a.cadre").await.get("/api/v1/me").await.1;
    assert_eq!(me["last_login"]["ip"], "10.7.0.1");
    assert_eq!(me["last_login"]["failed_attempts"], 2);
    assert_eq!(me["totp_enabled"], false);
}

#[tokio::test]
async fn an_expired_password_must_be_changed_before_anything_else() {
    let app = TestApp::spawn_with(|s| s.security.password_max_days = 90).await;
    sqlx::query("UPDATE users SET password_changed_at = password_changed_at - 91 * 86400 WHERE username = 'a.cadre'")
        .execute(app.db.pool())
        .await
        .unwrap();
    let c = app.anonymous();
    let res = c
        .post(app.url("/login"))
        .form(&[
            ("username", "a.cadre"),
            ("password", PASSWORD),
            ("next", "/problems"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/account/password");
    let res = c.get(app.url("/problems")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/account/password");
    // Tokens are for scripts and are not sent anywhere.
    assert_eq!(
        app.api("a.cadre").await.get("/api/v1/me").await.0,
        StatusCode::OK
    );
    // Others are not affected.
    let other = app.browser("a.viewer").await;
    assert_eq!(
        other
            .get(app.url("/problems"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}
