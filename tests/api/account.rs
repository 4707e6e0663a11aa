//! Password rules, password age, the last login shown, and the account page
//! with its second factor (TOTP and recovery codes).

use qingting::account::TotpSecret;
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

/// The secret shown on the enrolment page (its hidden field).
fn secret_of(page: &str) -> String {
    let start = page.find(r#"name="secret" value=""#).expect("secret field")
        + r#"name="secret" value=""#.len();
    page[start..].split('"').next().unwrap().to_string()
}

/// The recovery codes on the page that shows them once.
fn codes_of(page: &str) -> Vec<String> {
    page.split("<li>")
        .skip(1)
        .map(|s| s.split("</li>").next().unwrap().to_string())
        .filter(|s| s.len() == 11 && s.as_bytes()[5] == b'-')
        .collect()
}

fn now() -> i64 {
    qingting::db::now()
}

/// Enrols `username` through the pages; returns the secret and the recovery codes.
async fn enrol(app: &TestApp, username: &str) -> (TotpSecret, Vec<String>) {
    let c = app.browser(username).await;
    let page = c
        .get(app.url("/account/totp"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<svg"), "a QR code is drawn");
    let secret = TotpSecret::parse(&secret_of(&page)).unwrap();
    let res = c
        .post(app.url("/account/totp"))
        .form(&[("secret", secret.as_str()), ("code", "000000")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a wrong code does not enrol"
    );
    let res = c
        .post(app.url("/account/totp"))
        .form(&[
            ("secret", secret.as_str()),
            ("code", &secret.code_at(now())),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let codes = codes_of(&res.text().await.unwrap());
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

/// Logs in with the password; returns the client and the challenge of the second step.
async fn password_step(app: &TestApp, username: &str) -> (reqwest::Client, String) {
    let c = app.anonymous();
    let res = c
        .post(app.url("/login"))
        .form(&[
            ("username", username),
            ("password", PASSWORD),
            ("next", "/problems"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "a code is asked for, no session yet"
    );
    assert!(!res.headers().contains_key("set-cookie"));
    let page = res.text().await.unwrap();
    let start =
        page.find(r#"name="challenge" value=""#).unwrap() + r#"name="challenge" value=""#.len();
    (c, page[start..].split('"').next().unwrap().to_string())
}

async fn code_step(
    app: &TestApp,
    c: &reqwest::Client,
    challenge: &str,
    code: &str,
) -> reqwest::Response {
    c.post(app.url("/login/code"))
        .form(&[
            ("challenge", challenge),
            ("code", code),
            ("next", "/problems"),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_user_with_totp_logs_in_with_a_code_once_or_a_recovery_code_once() {
    let app = TestApp::spawn().await;
    let (secret, codes) = enrol(&app, "a.cadre").await;
    assert_eq!(app.audit_count("user_updated").await, 1);
    // The stored codes are hashes.
    let stored: Vec<String> = sqlx::query_scalar("SELECT code_hash FROM recovery_codes")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(stored.len(), 10);
    assert!(!stored.contains(&codes[0]));
    // The code that confirmed enrolment cannot log in again (its time step is used).
    let used: i64 =
        sqlx::query_scalar("SELECT totp_last_step FROM users WHERE username = 'a.cadre'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    let (c, challenge) = password_step(&app, "a.cadre").await;
    let res = code_step(&app, &c, &challenge, &secret.code_at(used * 30)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.text().await.unwrap().contains("不正确或已用过"));
    // The next step's code works, once.
    let next = secret.code_at((used + 1) * 30);
    let res = code_step(&app, &c, &challenge, &next).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/problems");
    assert_eq!(
        c.get(app.url("/")).send().await.unwrap().status(),
        StatusCode::OK
    );
    let (c2, challenge2) = password_step(&app, "a.cadre").await;
    assert_eq!(
        code_step(&app, &c2, &challenge2, &next).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // A recovery code works once (any case, with or without the dash).
    let res = code_step(
        &app,
        &c2,
        &challenge2,
        &codes[3].to_uppercase().replace('-', ""),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (c3, challenge3) = password_step(&app, "a.cadre").await;
    assert_eq!(
        code_step(&app, &c3, &challenge3, &codes[3]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let details: Vec<Option<String>> =
        sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'login' ORDER BY id")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert!(
        details.contains(&Some("totp".into())) && details.contains(&Some("recovery_code".into()))
    );
    let me = app.api("a.cadre").await.get("/api/v1/me").await.1;
    assert_eq!(me["totp_enabled"], true, "tokens still work without a code");
}

#[tokio::test]
async fn wrong_codes_end_the_pending_login_and_count_towards_the_throttle() {
    let app = TestApp::spawn().await;
    let (secret, _) = enrol(&app, "a.cadre").await;
    let (c, challenge) = password_step(&app, "a.cadre").await;
    for _ in 0..4 {
        assert_eq!(
            code_step(&app, &c, &challenge, "000000").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let res = code_step(&app, &c, &challenge, "000000").await;
    assert!(res.text().await.unwrap().contains("重新输入用户名和密码"));
    let res = code_step(&app, &c, &challenge, &secret.code_at(now() + 30)).await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "the pending login is over"
    );
    // Five wrong codes from this address: retyping the password gives no fresh tries.
    let res = app
        .anonymous()
        .post(app.url("/login"))
        .form(&[("username", "a.cadre"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let failed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed' AND detail = 'second_factor'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(failed, 5);
}

#[tokio::test]
async fn turning_totp_off_needs_the_password_and_a_code() {
    let app = TestApp::spawn().await;
    let (secret, codes) = enrol(&app, "a.viewer").await;
    let (c, challenge) = password_step(&app, "a.viewer").await;
    code_step(&app, &c, &challenge, &codes[0]).await;
    let page = c
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("已启用") && page.contains("还有 9 个恢复码"),
        "{page}"
    );
    assert!(
        page.contains("/account/sessions"),
        "the sessions page is linked"
    );
    let res = c
        .post(app.url("/account/totp/disable"))
        .form(&[("password", "wrong-password"), ("code", &codes[1])])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // New recovery codes need a current code; the old ones stop working.
    let res = c
        .post(app.url("/account/recovery-codes"))
        .form(&[("code", &secret.code_at(now() + 30))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let fresh = codes_of(&res.text().await.unwrap());
    assert_eq!(fresh.len(), 10);
    let res = c
        .post(app.url("/account/totp/disable"))
        .form(&[("password", PASSWORD), ("code", &codes[1])])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "old codes were replaced"
    );
    let res = c
        .post(app.url("/account/totp/disable"))
        .form(&[("password", PASSWORD), ("code", &fresh[0])])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let details: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT detail FROM audit_log WHERE action = 'user_updated' ORDER BY id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        details,
        [
            Some("totp_enabled".into()),
            Some("recovery_codes_regenerated".into()),
            Some("totp_disabled".into())
        ]
    );
    app.browser("a.viewer").await;
}

#[tokio::test]
async fn admins_must_enrol_first_when_required() {
    let app = TestApp::spawn_with(|s| s.security.totp_required_for_admins = true).await;
    let c = app.anonymous();
    let res = c
        .post(app.url("/login"))
        .form(&[
            ("username", "a.admin"),
            ("password", PASSWORD),
            ("next", "/users"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/account/totp");
    let res = c.get(app.url("/users")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/account/totp");
    let res = c.get(app.url("/account/totp")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("要求管理员启用两步验证"));
    // A cadre is not asked; tokens are not affected.
    assert_eq!(
        app.browser("a.cadre")
            .await
            .get(app.url("/"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.api("a.admin").await.get("/api/v1/users").await.0,
        StatusCode::OK
    );
    // Once enrolled, the admin goes where they meant to.
    let (secret, _) = enrol(&app, "a.admin").await;
    let (c, challenge) = password_step(&app, "a.admin").await;
    let res = code_step(&app, &c, &challenge, &secret.code_at(now() + 30)).await;
    assert_eq!(res.headers()["location"], "/problems");
    assert_eq!(
        c.get(app.url("/users")).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_person_changes_their_own_password_under_the_rules() {
    let app = TestApp::spawn_with(|s| s.security.password_max_days = 90).await;
    sqlx::query("UPDATE users SET password_changed_at = password_changed_at - 91 * 86400 WHERE username = 'a.cadre'")
        .execute(app.db.pool())
        .await
        .unwrap();
    let c = app.anonymous();
    c.post(app.url("/login"))
        .form(&[("username", "a.cadre"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let page = c
        .get(app.url("/account/password"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("已超过有效期"));
    let change = |current: &'static str, new: &'static str, confirm: &'static str| {
        c.post(app.url("/account/password"))
            .form(&[
                ("current_password", current),
                ("new_password", new),
                ("confirm_password", confirm),
            ])
            .send()
    };
    let res = change(PASSWORD, "woaini1314", "woaini1314").await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("“新密码”太常见"));
    let res = change(PASSWORD, "tea-garden-union", "tea-garden-onion")
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains("两次输入的新密码不一致"));
    let res = change("wrong-password", "tea-garden-union", "tea-garden-union")
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains("“当前密码”不正确"));
    let res = change(PASSWORD, "tea-garden-union", "tea-garden-union")
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        c.get(app.url("/problems")).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(app.audit_count("password_changed").await, 1);
    let res = app
        .anonymous()
        .post(app.url("/login"))
        .form(&[("username", "a.cadre"), ("password", "tea-garden-union")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn account_pages_need_a_login() {
    let app = TestApp::spawn().await;
    for path in ["/account", "/account/totp", "/account/password"] {
        let res = app.anonymous().get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(
            res.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/login")
        );
    }
    let res = app
        .anonymous()
        .post(app.url("/account/totp/disable"))
        .form(&[("password", PASSWORD), ("code", "123456")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}
