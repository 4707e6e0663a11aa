//! Logging in and out, throttling, sessions and tokens.

use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp};

#[tokio::test]
async fn the_login_page_is_chinese_by_default_and_english_on_request() {
    let app = TestApp::spawn().await;
    let c = app.anonymous();
    let html = c
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"zh-CN\">"));
    assert!(html.contains("登录"));
    let res = c
        .post(app.url("/lang"))
        .form(&[("lang", "en"), ("back", "/login")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = c
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Log in"));
}

#[tokio::test]
async fn pages_redirect_to_login_and_back_after_it() {
    let app = TestApp::spawn().await;
    let c = app.anonymous();
    let res = c.get(app.url("/orgs?q=x")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login?next=/orgs%3Fq%3Dx");
    let res = c
        .post(app.url("/login"))
        .form(&[
            ("username", "a.cadre"),
            ("password", PASSWORD),
            ("next", "/orgs"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/orgs");
    let res = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("甲街道总工会"));
}

/// `next` and `back` values as the handlers receive them (form-decoded): each
/// would send a browser to another site, or cannot be put in a header at all.
const HOSTILE: [&str; 11] = [
    "//evil.example/",
    "/\t/evil.example",
    "/\\evil.example",
    "/%5Cevil.example",
    "/%2F%2Fevil",
    "///evil.example",
    "https://evil.example",
    "/a\nb",
    "/a\rb",
    "/a\r\nSet-Cookie: x=1",
    "javascript:alert(1)",
];

#[tokio::test]
async fn a_login_never_redirects_to_another_site() {
    let app = TestApp::spawn().await;
    for next in HOSTILE {
        let res = app
            .anonymous()
            .post(app.url("/login"))
            .form(&[
                ("username", "a.cadre"),
                ("password", PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(res.headers()["location"], "/", "{next:?}");
        assert!(res.headers().contains_key("set-cookie"), "{next:?}");
    }
    assert_eq!(app.audit_count("login").await, HOSTILE.len() as i64);
    // The page never carries a hostile `next` into its form either.
    for query in [
        "next=/%09/evil.example",
        "next=/%5Cevil.example",
        "next=/a%0Ab",
    ] {
        let res = app
            .anonymous()
            .get(app.url(&format!("/login?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{query}");
        let html = res.text().await.unwrap();
        assert!(html.contains(r#"name="next" value="/""#), "{query}");
        assert!(!html.contains("evil"), "{query}");
    }
    // A path on this site with a query string is kept.
    let res = app
        .anonymous()
        .post(app.url("/login"))
        .form(&[
            ("username", "a.cadre"),
            ("password", PASSWORD),
            ("next", "/problems?status=open&org=3"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/problems?status=open&org=3");
}

#[tokio::test]
async fn switching_the_language_never_leaves_the_site() {
    let app = TestApp::spawn().await;
    let c = app.anonymous();
    for back in HOSTILE {
        let res = c
            .post(app.url("/lang"))
            .form(&[("lang", "en"), ("back", back)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{back:?}");
        assert_eq!(res.headers()["location"], "/", "{back:?}");
    }
    let res = c
        .post(app.url("/lang"))
        .form(&[("lang", "zh-CN"), ("back", "/problems?status=open&org=3")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/problems?status=open&org=3");
}

#[tokio::test]
async fn the_session_cookie_is_httponly_and_samesite() {
    let app = TestApp::spawn().await;
    let res = app
        .anonymous()
        .post(app.url("/login"))
        .form(&[("username", "a.cadre"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("qt_session="));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
}

#[tokio::test]
async fn each_login_starts_a_new_session_and_logout_ends_it() {
    let app = TestApp::spawn().await;
    let first = app.browser("a.cadre").await;
    let second = app.browser("a.cadre").await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 2, "every login rotates to a fresh session token");
    first.post(app.url("/logout")).send().await.unwrap();
    assert_eq!(
        first.get(app.url("/")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        second.get(app.url("/")).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_idle_session_expires() {
    let app = TestApp::spawn().await;
    let c = app.browser("a.cadre").await;
    sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - 3 * 3600")
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(
        c.get(app.url("/")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
}

/// A login attempt from `ip` (the app trusts 127.0.0.1 as its proxy): the
/// status and the page with the typed name taken out, so answers for
/// different names can be compared.
async fn login_from(
    app: &TestApp,
    ip: &str,
    username: &str,
    password: &str,
) -> (StatusCode, String) {
    let res = app
        .anonymous()
        .post(app.url("/login"))
        .header("x-forwarded-for", ip)
        .form(&[
            ("username", username),
            ("password", password),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body = res.text().await.unwrap().replace(username, "NAME");
    // Waits are whole seconds since each address's own last failure, so two
    // held-back answers may straddle a second; the wording must not differ.
    let body = body
        .split(|c: char| c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("N");
    (status, body)
}

async fn behind_proxy() -> TestApp {
    TestApp::spawn_with(|s| s.server.trusted_proxies = "127.0.0.1".into()).await
}

#[tokio::test]
async fn unknown_names_wrong_passwords_and_held_back_attempts_answer_alike() {
    let app = behind_proxy().await;
    let unknown = login_from(&app, "10.0.0.1", "nobody", "wrong-password").await;
    let known = login_from(&app, "10.0.0.2", "a.cadre", "wrong-password").await;
    assert_eq!(unknown.0, StatusCode::UNAUTHORIZED);
    assert!(unknown.1.contains("用户名或密码不正确"));
    assert_eq!(
        unknown, known,
        "an unknown name answers like a wrong password"
    );
    // Both names hammered alike from their own address: held back alike.
    let mut answers = (Vec::new(), Vec::new());
    for _ in 0..6 {
        answers
            .0
            .push(login_from(&app, "10.0.0.1", "nobody", "wrong-password").await);
        answers
            .1
            .push(login_from(&app, "10.0.0.2", "a.cadre", "wrong-password").await);
    }
    assert_eq!(answers.0, answers.1);
    let last = answers.0.last().unwrap();
    assert_eq!(last.0, StatusCode::TOO_MANY_REQUESTS);
    assert!(last.1.contains("秒后再试"), "{}", last.1);
    // Held back, even the right password gets the same answer as a stranger's guess.
    let right = login_from(&app, "10.0.0.2", "a.cadre", PASSWORD).await;
    let guess = login_from(&app, "10.0.0.1", "nobody", PASSWORD).await;
    assert_eq!(right, guess);
    assert_eq!(right.0, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn one_address_spraying_many_accounts_is_stopped() {
    let app = behind_proxy().await;
    let accounts = [
        "a.cadre",
        "a.viewer",
        "b.cadre",
        "a.admin",
        "district.admin",
    ];
    let mut statuses = Vec::new();
    for i in 0..20 {
        let (status, _) = login_from(&app, "10.0.0.9", accounts[i % 5], "wrong-password").await;
        statuses.push(status);
    }
    assert!(
        statuses[..10]
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert!(
        statuses[10..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert_eq!(
        app.audit_count("login_failed").await,
        10,
        "only 10 passwords were tried"
    );
    assert_eq!(app.audit_count("login_locked").await, 10);
    // The address waits even with a right password; others are not affected.
    assert_eq!(
        login_from(&app, "10.0.0.9", "a.cadre", PASSWORD).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login_from(&app, "10.0.0.10", "a.cadre", PASSWORD).await.0,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_stranger_hammering_an_account_cannot_keep_the_real_user_out() {
    let app = behind_proxy().await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(
            login_from(&app, "10.9.9.9", "a.cadre", "wrong-password")
                .await
                .0,
        );
    }
    assert_eq!(statuses[4], StatusCode::UNAUTHORIZED, "{statuses:?}");
    assert_eq!(statuses[5], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    assert_eq!(
        login_from(&app, "10.1.1.1", "a.cadre", PASSWORD).await.0,
        StatusCode::SEE_OTHER
    );
    // The real user's login does not give the stranger fresh tries.
    assert_eq!(
        login_from(&app, "10.9.9.9", "a.cadre", "wrong-password")
            .await
            .0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn an_attack_from_many_addresses_holds_back_only_addresses_that_failed() {
    let app = behind_proxy().await;
    for i in 1..=25 {
        let (status, _) =
            login_from(&app, &format!("10.2.0.{i}"), "a.admin", "wrong-password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // The account's own count now holds back addresses that failed...
    assert_eq!(
        login_from(&app, "10.2.0.1", "a.admin", PASSWORD).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // ...the admin sees it and can lift it...
    let admin = app.api("district.admin").await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'a.admin'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let (_, user) = admin.get(&format!("/api/v1/users/{id}")).await;
    assert!(user["throttled_until"].is_i64(), "{user}");
    // ...while the real user at an address without failures gets in.
    assert_eq!(
        login_from(&app, "10.3.0.1", "a.admin", PASSWORD).await.0,
        StatusCode::SEE_OTHER
    );
    let (_, user) = admin.get(&format!("/api/v1/users/{id}")).await;
    assert!(
        user["throttled_until"].is_null(),
        "a login forgets the account's count"
    );
}

#[tokio::test]
async fn an_admin_lifts_an_account_throttle() {
    let app = behind_proxy().await;
    for i in 1..=21 {
        login_from(&app, &format!("10.5.0.{i}"), "a.cadre", "wrong-password").await;
    }
    assert_eq!(
        login_from(&app, "10.5.0.1", "a.cadre", PASSWORD).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'a.cadre'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let admin = app.browser("a.admin").await;
    let res = admin
        .post(app.url(&format!("/users/{id}/active")))
        .form(&[("action", "unlock")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        login_from(&app, "10.5.0.1", "a.cadre", PASSWORD).await.0,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn every_login_audit_row_carries_the_client_address() {
    let app = behind_proxy().await;
    login_from(&app, "10.4.4.4", "a.cadre", PASSWORD).await;
    for _ in 0..11 {
        login_from(&app, "10.4.4.4", "nobody", "wrong-password").await;
    }
    let rows: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT action, ip FROM audit_log WHERE action LIKE 'login%' ORDER BY id")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert!(
        actions.contains(&"login")
            && actions.contains(&"login_failed")
            && actions.contains(&"login_locked")
    );
    assert!(
        rows.iter().all(|r| r.1.as_deref() == Some("10.4.4.4")),
        "{rows:?}"
    );
    // Without a trusted proxy the peer's address is recorded.
    let direct = TestApp::spawn().await;
    direct.browser("a.cadre").await;
    let ip: Option<String> = sqlx::query_scalar("SELECT ip FROM audit_log WHERE action = 'login'")
        .fetch_one(direct.db.pool())
        .await
        .unwrap();
    assert_eq!(ip.as_deref(), Some("127.0.0.1"));
}

#[tokio::test]
async fn a_revoked_token_no_longer_works() {
    let app = TestApp::spawn().await;
    let api = app.api("a.cadre").await;
    assert_eq!(api.get("/api/v1/me").await.0, StatusCode::OK);
    let id: i64 = sqlx::query_scalar("SELECT id FROM api_tokens")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert!(
        qingting::auth::token::revoke(&app.db, qingting::db::TokenId(id))
            .await
            .unwrap()
    );
    let (status, body) = api.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthenticated");
}

#[tokio::test]
async fn tokens_are_stored_only_as_hashes() {
    let app = TestApp::spawn().await;
    let secret = app.token("a.cadre").await;
    assert!(secret.starts_with("qt_"));
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM api_tokens")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_ne!(stored, secret);
    assert_eq!(stored, qingting::auth::hash_token(&secret));
}
