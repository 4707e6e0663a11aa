//! Logging in and out, lockout, sessions and tokens.

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

#[tokio::test]
async fn repeated_failures_lock_the_account_for_a_limited_time() {
    let app = TestApp::spawn().await;
    let c = app.anonymous();
    for _ in 0..3 {
        let res = c
            .post(app.url("/login"))
            .form(&[("username", "a.cadre"), ("password", "wrong-password")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // Locked: even the right password is refused, and the page says for how long.
    let res = c
        .post(app.url("/login"))
        .form(&[("username", "a.cadre"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.text().await.unwrap().contains("锁定"));
    assert_eq!(app.audit_count("login_failed").await, 3);
    assert_eq!(app.audit_count("login_locked").await, 1);
    // The lock runs out by itself.
    sqlx::query("UPDATE users SET locked_until = locked_until - 3600")
        .execute(app.db.pool())
        .await
        .unwrap();
    app.browser("a.cadre").await;
    assert_eq!(app.audit_count("login").await, 1);
}

#[tokio::test]
async fn an_unknown_user_is_refused_like_a_wrong_password() {
    let app = TestApp::spawn().await;
    let res = app
        .anonymous()
        .post(app.url("/login"))
        .form(&[("username", "nobody"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.text().await.unwrap().contains("用户名或密码不正确"));
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
