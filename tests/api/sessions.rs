//! Sessions a person sees and ends, an admin ending another user's inside
//! their subtree only, the idle timeout, the purge, and what a session records.

use qingting::{auth::Role, auth::session, db::now};
use reqwest::{Client, StatusCode};
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp};

const WINDOWS_EDGE: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0";
const WECHAT_ANDROID: &str = "Mozilla/5.0 (Linux; Android 13; V2183A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 MicroMessenger/8.0.47.2560(0x28002F30) NetType/WIFI Language/zh_CN";

/// A browser with its own cookie jar and user agent, logged in as `username`.
async fn login_as(app: &TestApp, username: &str, agent: &str) -> Client {
    let c = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(agent)
        .build()
        .unwrap();
    let res = c
        .post(app.url("/login"))
        .form(&[
            ("username", username),
            ("password", PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "login of {username}");
    c
}

async fn get_json(c: &Client, url: String) -> (StatusCode, Value) {
    let res = c.get(url).send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn user_id(app: &TestApp, username: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

/// Whether a browser is still logged in (the API answers it).
async fn logged_in(app: &TestApp, c: &Client) -> bool {
    let status = c.get(app.url("/api/v1/me")).send().await.unwrap().status();
    assert!(
        status == StatusCode::OK || status == StatusCode::UNAUTHORIZED,
        "{status}"
    );
    status == StatusCode::OK
}

#[tokio::test]
async fn a_person_sees_their_sessions_and_ends_one_at_once() {
    let app = TestApp::spawn().await;
    let pc = login_as(&app, "a.cadre", WINDOWS_EDGE).await;
    let phone = login_as(&app, "a.cadre", WECHAT_ANDROID).await;
    let _other_user = login_as(&app, "b.cadre", WINDOWS_EDGE).await;

    let (status, list) = get_json(&pc, app.url("/api/v1/me/sessions")).await;
    assert_eq!(status, StatusCode::OK);
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 2, "only a.cadre's own sessions: {list:?}");
    let current: Vec<&Value> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["browser"], "edge");
    assert_eq!(current[0]["os"], "windows");
    assert_eq!(current[0]["last_ip"], "127.0.0.1");
    let on_phone = list.iter().find(|s| s["current"] == false).unwrap();
    assert_eq!(on_phone["browser"], "wechat");
    assert_eq!(on_phone["os"], "android");
    for s in &list {
        let keys: Vec<&String> = s.as_object().unwrap().keys().collect();
        assert!(
            !keys.iter().any(|k| k.contains("token")),
            "the token hash never leaves the server: {keys:?}"
        );
    }

    // The page lists both, the current one marked, in Chinese by default.
    let html = pc
        .get(app.url("/account/sessions"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("当前"), "{html}");
    assert!(html.contains("微信 · 安卓") && html.contains("Edge · Windows"));

    let phone_id = on_phone["id"].as_i64().unwrap();
    assert!(logged_in(&app, &phone).await);
    let res = pc
        .delete(app.url(&format!("/api/v1/me/sessions/{phone_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(!logged_in(&app, &phone).await, "ended at once");
    assert!(logged_in(&app, &pc).await);
    assert_eq!(app.audit_count("session_ended").await, 1);

    // Someone else's session id is not found among one's own.
    let b_session: i64 = sqlx::query_scalar(
        "SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'b.cadre'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let res = pc
        .delete(app.url(&format!("/api/v1/me/sessions/{b_session}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.audit_count("session_ended").await,
        1,
        "nothing ended, nothing audited"
    );
}

#[tokio::test]
async fn ending_all_others_keeps_the_current_session() {
    let app = TestApp::spawn().await;
    let a = login_as(&app, "a.cadre", WINDOWS_EDGE).await;
    let b = login_as(&app, "a.cadre", WECHAT_ANDROID).await;
    let c = login_as(&app, "a.cadre", "curl/8.5.0").await;
    let res = a
        .post(app.url("/account/sessions/end-others"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(logged_in(&app, &a).await);
    assert!(!logged_in(&app, &b).await);
    assert!(!logged_in(&app, &c).await);
    let detail: String =
        sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'session_ended'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(detail, "all other sessions (2)");

    // A script's token is not a session: "all others" is then every session.
    let api = app.api("a.cadre").await;
    let (status, _) = api
        .send(reqwest::Method::DELETE, "/api/v1/me/sessions", Value::Null)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(!logged_in(&app, &a).await);
}

#[tokio::test]
async fn an_admin_ends_a_users_sessions_only_inside_their_subtree() {
    let app = TestApp::spawn().await;
    app.user("b.admin", app.street_b, Role::Admin).await;
    let cadre = login_as(&app, "a.cadre", WINDOWS_EDGE).await;
    let cadre_id = user_id(&app, "a.cadre").await;

    // An admin of another subtree sees nothing and ends nothing.
    let outsider = app.api("b.admin").await;
    assert_eq!(
        outsider
            .get(&format!("/api/v1/users/{cadre_id}/sessions"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (status, _) = outsider
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/users/{cadre_id}/sessions"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let sid: i64 = sqlx::query_scalar("SELECT id FROM sessions WHERE user_id = $1")
        .bind(cadre_id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let (status, _) = outsider
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/users/{cadre_id}/sessions/{sid}"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let outsider_page = app.browser("b.admin").await;
    let res = outsider_page
        .post(app.url(&format!("/users/{cadre_id}/sessions/end-all")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // A cadre is no admin at all.
    assert_eq!(
        app.api("a.viewer")
            .await
            .get(&format!("/api/v1/users/{cadre_id}/sessions"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert!(logged_in(&app, &cadre).await);
    assert_eq!(app.audit_count("session_ended").await, 0);

    // The admin of the cadre's street sees the session on the user's page and ends it.
    let admin = app.api("a.admin").await;
    let (status, list) = admin
        .get(&format!("/api/v1/users/{cadre_id}/sessions"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], sid);
    assert_eq!(list[0]["current"], false);
    let admin_page = app.browser("a.admin").await;
    let html = admin_page
        .get(app.url(&format!("/users/{cadre_id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("/users/{cadre_id}/sessions/{sid}/end")),
        "{html}"
    );
    let res = admin_page
        .post(app.url(&format!("/users/{cadre_id}/sessions/{sid}/end")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(!logged_in(&app, &cadre).await);
    let (org, target): (i64, String) =
        sqlx::query_as("SELECT org_id, target FROM audit_log WHERE action = 'session_ended'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!((org, target), (app.street_a.0, format!("user:{cadre_id}")));

    // The district's admin ends every session of the user at once.
    let one = login_as(&app, "a.cadre", WINDOWS_EDGE).await;
    let two = login_as(&app, "a.cadre", WECHAT_ANDROID).await;
    let (status, _) = app
        .api("district.admin")
        .await
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/users/{cadre_id}/sessions"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(!logged_in(&app, &one).await && !logged_in(&app, &two).await);
}

#[tokio::test]
async fn an_idle_session_ends_and_expired_ones_are_purged() {
    let app = TestApp::spawn_with(|s| s.security.session_idle_minutes = 5).await;
    let c = login_as(&app, "a.cadre", WINDOWS_EDGE).await;
    let other = login_as(&app, "a.viewer", WINDOWS_EDGE).await;
    assert!(logged_in(&app, &c).await);
    let cadre_id = user_id(&app, "a.cadre").await;
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE user_id = $2")
        .bind(now() - 5 * 60 - 5)
        .bind(cadre_id)
        .execute(app.db.pool())
        .await
        .unwrap();
    assert!(!logged_in(&app, &c).await, "idle longer than the setting");
    // A page sends the idle person to the login page.
    let res = c.get(app.url("/account/sessions")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // The purge removes sessions past their age or idle, and no live one.
    let viewer_id = user_id(&app, "a.viewer").await;
    let c2 = login_as(&app, "a.cadre", WINDOWS_EDGE).await;
    sqlx::query("UPDATE sessions SET expires_at = $1 WHERE user_id = $2")
        .bind(now() - 1)
        .bind(cadre_id)
        .execute(app.db.pool())
        .await
        .unwrap();
    let purged = session::purge_expired(&app.db, &app.settings.security)
        .await
        .unwrap();
    assert_eq!(purged, 1);
    let left: Vec<i64> = sqlx::query_scalar("SELECT user_id FROM sessions")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(left, vec![viewer_id]);
    assert!(logged_in(&app, &other).await);
    assert!(!logged_in(&app, &c2).await);
}

#[tokio::test]
async fn a_session_records_the_address_and_agent_at_login_and_when_last_seen() {
    let app = TestApp::spawn_with(|s| s.server.trusted_proxies = "127.0.0.1".into()).await;
    let c = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(WINDOWS_EDGE)
        .build()
        .unwrap();
    let res = c
        .post(app.url("/login"))
        .header("x-forwarded-for", "203.0.113.7")
        .form(&[
            ("username", "a.cadre"),
            ("password", PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    type Row = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        i64,
    );
    let read = || async {
        let row: Row = sqlx::query_as(
            "SELECT created_ip, created_agent, last_ip, last_agent, last_seen_at FROM sessions",
        )
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        row
    };
    let (cip, cagent, lip, _, seen) = read().await;
    assert_eq!(cip.as_deref(), Some("203.0.113.7"));
    assert_eq!(cagent.as_deref(), Some(WINDOWS_EDGE));
    assert_eq!(lip.as_deref(), Some("203.0.113.7"));

    // Within the minute nothing is written; after it, the clock, address and agent are.
    let me = |ip: &'static str| {
        c.get(app.url("/api/v1/me"))
            .header("x-forwarded-for", ip)
            .header("user-agent", WECHAT_ANDROID)
            .send()
    };
    assert_eq!(me("198.51.100.1").await.unwrap().status(), StatusCode::OK);
    assert_eq!(read().await.2.as_deref(), Some("203.0.113.7"));
    sqlx::query("UPDATE sessions SET last_seen_at = $1")
        .bind(seen - 120)
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(me("198.51.100.2").await.unwrap().status(), StatusCode::OK);
    let (cip, _, lip, lagent, seen2) = read().await;
    assert_eq!(
        cip.as_deref(),
        Some("203.0.113.7"),
        "the login address stays"
    );
    assert_eq!(lip.as_deref(), Some("198.51.100.2"));
    assert_eq!(lagent.as_deref(), Some(WECHAT_ANDROID));
    assert!(seen2 >= seen);
}

#[tokio::test]
async fn the_session_and_audit_paths_are_in_the_openapi_document() {
    let app = TestApp::spawn().await;
    let doc = app.openapi().await;
    for (path, method) in [
        ("/api/v1/me/sessions", "get"),
        ("/api/v1/me/sessions", "delete"),
        ("/api/v1/me/sessions/{sid}", "delete"),
        ("/api/v1/users/{id}/sessions", "get"),
        ("/api/v1/users/{id}/sessions", "delete"),
        ("/api/v1/users/{id}/sessions/{sid}", "delete"),
        ("/api/v1/audit", "get"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "missing {method} {path}"
        );
    }
    let params: Vec<&str> = doc["paths"]["/api/v1/audit"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        params,
        ["action", "username", "from", "to", "page", "per_page"]
    );
}
