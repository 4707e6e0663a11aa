//! Group robots (WeCom, DingTalk) and grouped notifications: robots are
//! configured per org through the API (masked, audited, refused to outsiders),
//! every notice for the org is posted once per robot to a real HTTP sink on
//! loopback with the platform's exact body and DingTalk's signature, failures
//! are retried with backoff and given up, every attempt is logged, and a
//! rolled-back write queues nothing. The notification page and the API group
//! notices per kind and day; the bell draws no empty badge.

use std::{
    collections::VecDeque,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{OriginalUri, State},
    http::{Method as AxumMethod, StatusCode as AxumStatus},
    response::IntoResponse,
};
use base64::Engine;
use qingting::{
    date::Day,
    db::OrgId,
    notify::{Kind, Notice, robot, store as notify_store},
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Api, TestApp};

/// One request the sink received.
#[derive(Clone, Debug)]
pub struct Post {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub content_type: String,
    pub body: Value,
}

#[derive(Clone, Default)]
struct SinkState {
    posts: Arc<Mutex<Vec<Post>>>,
    /// Answers to give next (status, body); empty: 200 with errcode 0.
    answers: Arc<Mutex<VecDeque<(u16, String)>>>,
}

/// A tiny HTTP server that records every request and answers as told.
#[derive(Clone)]
pub struct RobotSink {
    pub addr: SocketAddr,
    state: SinkState,
}

async fn record(
    State(s): State<SinkState>,
    method: AxumMethod,
    OriginalUri(uri): OriginalUri,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    s.posts.lock().unwrap().push(Post {
        method: method.to_string(),
        path: uri.path().to_string(),
        query: uri.query().map(str::to_string),
        content_type: headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    let next = s.answers.lock().unwrap().pop_front();
    match next {
        Some((status, body)) => (
            AxumStatus::from_u16(status).unwrap(),
            [("content-type", "application/json")],
            body,
        )
            .into_response(),
        None => Json(json!({"errcode": 0, "errmsg": "ok"})).into_response(),
    }
}

impl RobotSink {
    /// Starts a sink on a free loopback port; it runs until the test ends.
    pub async fn start() -> RobotSink {
        let state = SinkState::default();
        let app = Router::new().fallback(record).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        RobotSink { addr, state }
    }

    /// The URL of a path on the sink.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Every request so far.
    pub fn posts(&self) -> Vec<Post> {
        self.state.posts.lock().unwrap().clone()
    }

    /// Answers the next requests with these (status, body) pairs, in order.
    pub fn answer(&self, answers: &[(u16, &str)]) {
        let mut q = self.state.answers.lock().unwrap();
        for (s, b) in answers {
            q.push_back((*s, b.to_string()));
        }
    }
}

const SECRET: &str = "SEC6a1f0c3b9e4d7a2f5c8b1e4d7a0f3c6b9e2d5a8f1c4b7e0d3a6f9c2b5e8d1";
const PUBLIC: &str = "https://qt.example.org";

async fn app_with_robots_of(sink: &RobotSink, org_of: impl Fn(&TestApp) -> OrgId) -> TestApp {
    let app = TestApp::spawn_with(|s| {
        s.server.public_url = format!("{PUBLIC}/");
        s.robots.max_attempts = 3;
        s.robots.timeout_seconds = 5;
    })
    .await;
    let org = org_of(&app);
    let (status, body) = app
        .api("district.admin")
        .await
        .send(
            Method::PUT,
            &format!("/api/v1/orgs/{}/robots", org.0),
            json!({
                "wecom_webhook": sink.url("/wecom/wecom-key-0123456789"),
                "dingtalk_webhook": sink.url("/dingtalk/send?access_token=ding-token-0123456789"),
                "dingtalk_secret": SECRET,
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app
}

async fn escalated_problem(app: &TestApp, client_id: &str, description: &str) -> i64 {
    let a = app.api("a.cadre").await;
    let (status, p) = a
        .post(
            "/api/v1/problems",
            json!({"client_id": client_id, "source": "worker", "topic": "wages", "description": description}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let id = p["id"].as_i64().unwrap();
    let (status, body) = a
        .post(
            &format!("/api/v1/problems/{id}/transition"),
            json!({"action": "escalate", "to_org": app.district.0, "reason": "涉及全区驿站规划"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

async fn deliveries(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM robot_deliveries WHERE {sql}"
    )))
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

/// Recomputes DingTalk's signature of `timestamp` and checks `sign` against it.
fn check_signature(query: &str) {
    let get = |name: &str| {
        query
            .split('&')
            .find_map(|p| p.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} missing in {query}"))
            .to_string()
    };
    let timestamp = get("timestamp");
    let ms: i64 = timestamp.parse().unwrap();
    let now_ms = qingting::db::now() * 1000;
    assert!(
        (now_ms - ms).abs() < 120_000,
        "timestamp {ms} is not now ({now_ms})"
    );
    let sign = get("sign");
    assert!(
        !sign.contains(['+', '/', '=']),
        "sign not URL-encoded: {sign}"
    );
    let decoded = sign
        .replace("%2B", "+")
        .replace("%2F", "/")
        .replace("%3D", "=");
    let mac = base64::engine::general_purpose::STANDARD
        .decode(decoded)
        .unwrap();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET.as_bytes());
    ring::hmac::verify(&key, format!("{timestamp}\n{SECRET}").as_bytes(), &mac)
        .expect("the signature is HMAC-SHA256 of timestamp\\nsecret keyed by the secret");
}

#[tokio::test]
async fn a_notice_is_posted_once_to_each_robot_of_its_org_with_the_exact_bodies() {
    let sink = RobotSink::start().await;
    let app = app_with_robots_of(&sink, |a| a.district).await;
    let id = escalated_problem(&app, "robots-0001-abcd", "园区没有骑手驿站，夏天无处休息").await;
    assert_eq!(deliveries(&app, "status = 'pending'").await, 2);

    let now = qingting::db::now();
    let r = robot::deliver_pending(&app.db, &app.settings, now)
        .await
        .unwrap();
    assert_eq!((r.sent, r.failed), (2, 0));
    // Running again, even much later, posts nothing more.
    let r = robot::deliver_pending(&app.db, &app.settings, now + 86_400)
        .await
        .unwrap();
    assert_eq!((r.sent, r.failed), (0, 0));
    let posts = sink.posts();
    assert_eq!(posts.len(), 2, "{posts:?}");

    let (_, list) = app
        .api("district.admin")
        .await
        .get("/api/v1/notifications")
        .await;
    let text = list[0]["text"].as_str().unwrap().to_string();
    let subject = format!("【倾听】甲街道总工会上报问题 #{id}：园区没有骑手驿站，夏天无处休息");
    let content = format!("### {subject}\n{text}\n\n[打开倾听查看]({PUBLIC}/problems/{id})");
    assert!(text.contains("涉及全区驿站规划"), "{text}");

    let wecom = posts.iter().find(|p| p.path.starts_with("/wecom")).unwrap();
    assert_eq!(wecom.method, "POST");
    assert_eq!(wecom.path, "/wecom/wecom-key-0123456789");
    assert_eq!(wecom.query, None);
    assert!(wecom.content_type.starts_with("application/json"));
    assert_eq!(
        wecom.body,
        json!({"msgtype": "markdown", "markdown": {"content": content}})
    );

    let ding = posts
        .iter()
        .find(|p| p.path.starts_with("/dingtalk"))
        .unwrap();
    assert_eq!(ding.method, "POST");
    assert_eq!(ding.path, "/dingtalk/send");
    let query = ding.query.clone().unwrap();
    assert!(
        query.starts_with("access_token=ding-token-0123456789&timestamp="),
        "{query}"
    );
    check_signature(&query);
    assert_eq!(
        ding.body,
        json!({"msgtype": "markdown", "markdown": {"title": subject, "text": content}})
    );

    // The same notice written again (a retried hook, a sweep run twice) queues nothing.
    let mut tx = app.db.begin().await.unwrap();
    notify_store::on_escalated(&mut tx, qingting::db::ProblemId(id), app.district)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(deliveries(&app, "1 = 1").await, 2);

    // The street's robots are not the district's: a street with none gets nothing.
    assert_eq!(
        deliveries(&app, &format!("org_id = {}", app.street_a.0)).await,
        0
    );

    // The robot page lists both deliveries with their one successful attempt.
    let (status, v) = app
        .api("district.admin")
        .await
        .get(&format!("/api/v1/orgs/{}/robots", app.district.0))
        .await;
    assert_eq!(status, StatusCode::OK);
    let ds = v["deliveries"].as_array().unwrap();
    assert_eq!(ds.len(), 2);
    for d in ds {
        assert_eq!(d["status"], "sent");
        assert_eq!(d["kind"], "escalated");
        assert_eq!(d["log"].as_array().unwrap().len(), 1);
        assert_eq!(d["log"][0]["http_status"], 200);
        assert_eq!(d["log"][0]["errcode"], 0);
        assert_eq!(d["log"][0]["error"], Value::Null);
    }
}

#[tokio::test]
async fn failed_posts_are_retried_with_backoff_each_attempt_logged_then_given_up() {
    let sink = RobotSink::start().await;
    let app = TestApp::spawn_with(|s| {
        s.robots.max_attempts = 3;
        s.robots.timeout_seconds = 5;
    })
    .await;
    let admin = app.api("district.admin").await;
    let (status, _) = admin
        .send(
            Method::PUT,
            &format!("/api/v1/orgs/{}/robots", app.district.0),
            json!({"wecom_webhook": sink.url("/wecom/k-0123456789ab")}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    escalated_problem(&app, "robots-0002-abcd", "加班费计算不清").await;
    sink.answer(&[
        (500, "internal error"),
        (200, r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#),
        (502, r#"{"errcode":-1,"errmsg":"system busy"}"#),
    ]);
    let t0 = qingting::db::now();
    let run = |at: i64| robot::deliver_pending(&app.db, &app.settings, at);

    let r = run(t0).await.unwrap();
    assert_eq!((r.sent, r.failed), (0, 1), "a 500 is a failure");
    let r = run(t0 + 29).await.unwrap();
    assert_eq!((r.sent, r.failed), (0, 0), "the first retry waits 30 s");
    let r = run(t0 + 30).await.unwrap();
    assert_eq!((r.sent, r.failed), (0, 1), "errcode != 0 is a failure");
    let r = run(t0 + 30 + 59).await.unwrap();
    assert_eq!((r.sent, r.failed), (0, 0), "the second retry waits 60 s");
    let r = run(t0 + 30 + 60).await.unwrap();
    assert_eq!((r.sent, r.failed), (0, 1));
    // Three attempts were the most: given up.
    let r = run(t0 + 100_000).await.unwrap();
    assert_eq!((r.sent, r.failed), (0, 0));
    assert_eq!(sink.posts().len(), 3);

    let (_, v) = admin
        .get(&format!("/api/v1/orgs/{}/robots", app.district.0))
        .await;
    let d = &v["deliveries"][0];
    assert_eq!(d["status"], "failed");
    assert_eq!(d["attempts"], 3);
    let log = d["log"].as_array().unwrap();
    let seen: Vec<(Value, Value, Value)> = log
        .iter()
        .map(|a| {
            (
                a["attempt"].clone(),
                a["http_status"].clone(),
                a["errcode"].clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (json!(1), json!(500), Value::Null),
            (json!(2), json!(200), json!(93000)),
            (json!(3), json!(502), json!(-1)),
        ]
    );
    assert_eq!(log[0]["error"], "HTTP 500");
    assert_eq!(log[1]["error"], "errcode 93000: invalid webhook url");
    assert_eq!(log[2]["error"], "HTTP 502: system busy");
    for a in log {
        assert!(a["duration_ms"].as_i64().unwrap() >= 0);
    }
    assert_eq!(d["last_error"], "HTTP 502: system busy");

    // A post that fails once and then succeeds is sent, with two attempts.
    escalated_problem(&app, "robots-0003-abcd", "食堂价格偏高").await;
    sink.answer(&[(503, "")]);
    let t1 = qingting::db::now();
    assert_eq!(run(t1).await.unwrap().failed, 1);
    assert_eq!(run(t1 + 30).await.unwrap().sent, 1);
    let (_, v) = admin
        .get(&format!("/api/v1/orgs/{}/robots", app.district.0))
        .await;
    assert_eq!(v["deliveries"][0]["status"], "sent");
    assert_eq!(v["deliveries"][0]["log"].as_array().unwrap().len(), 2);

    // A connection that fails (nothing listens) is logged without an HTTP status,
    // and the error never shows the address (it carries the robot's key).
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    admin
        .send(
            Method::PUT,
            &format!("/api/v1/orgs/{}/robots", app.district.0),
            json!({"wecom_webhook": format!("http://127.0.0.1:{closed}/wecom/secret-key-xyz")}),
        )
        .await;
    escalated_problem(&app, "robots-0004-abcd", "通勤班车太少").await;
    let t2 = qingting::db::now();
    assert_eq!(run(t2).await.unwrap().failed, 1);
    let (_, v) = admin
        .get(&format!("/api/v1/orgs/{}/robots", app.district.0))
        .await;
    let a = &v["deliveries"][0]["log"][0];
    assert_eq!(a["http_status"], Value::Null);
    let e = a["error"].as_str().unwrap();
    assert!(e.starts_with("connect"), "{e}");
    assert!(!v.to_string().contains("secret-key-xyz"), "{v}");
}

#[tokio::test]
async fn a_rolled_back_write_queues_nothing_and_a_committed_one_queues_once() {
    let sink = RobotSink::start().await;
    let app = app_with_robots_of(&sink, |a| a.street_b).await;
    let notice = Notice::new(
        Kind::Chased,
        app.street_b,
        "/campaigns/1".into(),
        "chase:test:1".into(),
    )
    .arg("from", "测试区总工会")
    .arg("campaign", "大走访")
    .arg("message", "请于周五前报送");
    let mut tx = app.db.begin().await.unwrap();
    let to = notify_store::recipients(&mut tx, app.street_b)
        .await
        .unwrap();
    notify_store::notify(&mut tx, &notice, &to).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(deliveries(&app, "1 = 1").await, 0);

    for _ in 0..2 {
        let mut tx = app.db.begin().await.unwrap();
        notify_store::notify(&mut tx, &notice, &to).await.unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(deliveries(&app, "1 = 1").await, 2, "one per robot");
    assert_eq!(deliveries(&app, "kind = 'chased'").await, 2);

    // A disabled robot gets nothing new, and what waits for it is not posted.
    let admin = app.api("district.admin").await;
    admin
        .send(
            Method::PUT,
            &format!("/api/v1/orgs/{}/robots", app.street_b.0),
            json!({"wecom_enabled": false}),
        )
        .await;
    let r = robot::deliver_pending(&app.db, &app.settings, qingting::db::now())
        .await
        .unwrap();
    assert_eq!((r.sent, r.failed), (1, 0), "only DingTalk posted");
    assert!(sink.posts()[0].path.starts_with("/dingtalk"));
    let mut tx = app.db.begin().await.unwrap();
    notify_store::notify(
        &mut tx,
        &Notice::new(
            Kind::Chased,
            app.street_b,
            "/".into(),
            "chase:test:2".into(),
        ),
        &to,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(deliveries(&app, "dedup_key = 'chase:test:2'").await, 1);
}

#[tokio::test]
async fn robots_are_masked_audited_and_refused_to_outsiders_on_every_route() {
    let sink = RobotSink::start().await;
    let app = app_with_robots_of(&sink, |a| a.street_a).await;
    let path = format!("/api/v1/orgs/{}/robots", app.street_a.0);
    assert_eq!(app.audit_count("robots_updated").await, 1);

    // Readers of the org see it masked: neither the key, the token nor the secret.
    for user in ["a.admin", "a.cadre", "a.viewer", "district.admin"] {
        let (status, v) = app.api(user).await.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{user}");
        let text = v.to_string();
        for secret in [
            "wecom-key-0123456789",
            "ding-token-0123456789",
            &SECRET[4..],
        ] {
            assert!(!text.contains(secret), "{user} sees {secret}: {text}");
        }
        assert_eq!(v["robots"][0]["platform"], "wecom");
        assert_eq!(v["robots"][0]["configured"], true);
        assert_eq!(v["robots"][0]["enabled"], true);
        assert_eq!(
            v["robots"][0]["webhook"],
            sink.url("/wecom/weco****").as_str()
        );
        assert_eq!(v["robots"][1]["secret"], "SEC6****");
    }

    // Sending the masked values back changes nothing (no audit entry), and the
    // secret kept still signs.
    let admin = app.api("a.admin").await;
    let (_, v) = admin.get(&path).await;
    let (status, _) = admin
        .send(
            Method::PUT,
            &path,
            json!({
                "wecom_webhook": v["robots"][0]["webhook"],
                "dingtalk_webhook": v["robots"][1]["webhook"],
                "dingtalk_secret": v["robots"][1]["secret"],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.audit_count("robots_updated").await, 1);
    let (status, d) = admin
        .post(&format!("{path}/test"), json!({"platform": "dingtalk"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["status"], "sent");
    assert_eq!(d["kind"], "test");
    assert_eq!(app.audit_count("robot_tested").await, 1);
    let post = sink.posts().pop().unwrap();
    check_signature(post.query.as_deref().unwrap());
    assert!(
        post.body["markdown"]["text"]
            .as_str()
            .unwrap()
            .contains("甲街道总工会的群机器人已接通")
    );

    // Bad input names the field, in the reader's language.
    let (status, v) = admin
        .send(
            Method::PUT,
            &path,
            json!({"wecom_webhook": "qyapi.weixin.qq.com/cgi-bin/webhook", "dingtalk_secret": "SEC has spaces"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let fields: Vec<&str> = v["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["wecom_webhook", "dingtalk_secret"]);
    assert!(
        v["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("企业微信 Webhook 地址"),
        "{v}"
    );

    // Removing a robot: an empty address.
    let (status, v) = admin
        .send(Method::PUT, &path, json!({"wecom_webhook": ""}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["robots"][0]["configured"], false);
    assert_eq!(v["robots"][0]["enabled"], false);
    assert_eq!(app.audit_count("robots_updated").await, 2);
    let (status, _) = admin
        .post(&format!("{path}/test"), json!({"platform": "wecom"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Outsiders: 404 on every route; readers who are not admins: 403 on writes.
    let outsider = app.api("b.cadre").await;
    assert_eq!(outsider.get(&path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        outsider.send(Method::PUT, &path, json!({})).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        outsider
            .post(&format!("{path}/test"), json!({"platform": "dingtalk"}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    for user in ["a.cadre", "a.viewer"] {
        let api = app.api(user).await;
        assert_eq!(
            api.send(Method::PUT, &path, json!({"wecom_enabled": false}))
                .await
                .0,
            StatusCode::FORBIDDEN,
            "{user}"
        );
        assert_eq!(
            api.post(&format!("{path}/test"), json!({"platform": "dingtalk"}))
                .await
                .0,
            StatusCode::FORBIDDEN,
            "{user}"
        );
    }
    let page = format!("/orgs/{}/robots", app.street_a.0);
    let b = app.browser("b.cadre").await;
    assert_eq!(
        b.get(app.url(&page)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    for (route, form) in [
        (page.clone(), vec![("wecom_webhook", "")]),
        (format!("{page}/test"), vec![("platform", "dingtalk")]),
    ] {
        let res = b.post(app.url(&route)).form(&form).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{route}");
        let res = app
            .browser("a.cadre")
            .await
            .post(app.url(&route))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{route}");
    }
    assert_eq!(app.audit_count("robots_updated").await, 2);

    // The page: readers see the robots masked and the deliveries; only admins get the form.
    let viewer = app.browser("a.viewer").await;
    let html = viewer
        .get(app.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("钉钉群机器人") && html.contains("测试消息"),
        "{html}"
    );
    assert!(!html.contains("name=\"dingtalk_webhook\""));
    assert!(!html.contains("ding-token-0123456789") && !html.contains(&SECRET[4..]));
    let a_admin = app.browser("a.admin").await;
    let html = a_admin
        .get(app.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("name=\"dingtalk_webhook\""), "{html}");
    assert!(!html.contains("ding-token-0123456789") && !html.contains(&SECRET[4..]));
    // A bad address through the form: 422 with the field named.
    let res = a_admin
        .post(app.url(&page))
        .form(&[("wecom_webhook", "not a url"), ("wecom_enabled", "on")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("企业微信 Webhook 地址"));
    // The org page links to the robot page.
    let org_page = a_admin
        .get(app.url(&format!("/orgs/{}", app.street_a.0)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(org_page.contains(&format!("href=\"{page}\"")));
}

async fn groups(api: &Api) -> Vec<Value> {
    let (status, v) = api.get("/api/v1/notifications?group=day").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (_, same) = api.get("/api/v1/notifications/groups").await;
    assert_eq!(v, same);
    v.as_array().unwrap().clone()
}

fn bell(html: &str) -> &str {
    let start = html.find("class=\"nav-notify\"").expect("the bell");
    let end = start + html[start..].find("</a>").unwrap();
    &html[start..end]
}

#[tokio::test]
async fn notices_of_one_kind_on_one_day_are_one_group_that_opens_its_list() {
    let app = TestApp::spawn().await;
    let district = app.api("district.admin").await;
    let browser = app.browser("district.admin").await;
    // No notices: no badge in the HTML at all.
    let home = browser
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!bell(&home).contains("badge"), "{}", bell(&home));
    assert!(groups(&district).await.is_empty());

    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(escalated_problem(&app, &format!("group-000{i}-abcd"), &format!("问题{i}")).await);
    }
    // One of them happened yesterday (Beijing time).
    let yesterday_id: i64 = sqlx::query_scalar(
        "SELECT n.id FROM notifications n JOIN users u ON u.id = n.user_id \
         WHERE u.username = 'district.admin' ORDER BY n.id LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    sqlx::query("UPDATE notifications SET created_at = created_at - 86400 WHERE id = $1")
        .bind(yesterday_id)
        .execute(app.db.pool())
        .await
        .unwrap();

    let gs = groups(&district).await;
    assert_eq!(gs.len(), 2, "{gs:?}");
    let today = Day::today();
    assert_eq!(gs[0]["kind"], "escalated");
    assert_eq!(gs[0]["day"], today.iso());
    assert_eq!(gs[0]["count"], 3);
    assert_eq!(gs[0]["unread"], 3);
    assert_eq!(gs[0]["text"], "今天有 3 个问题上报到本单位");
    let list_link = format!("/notifications?kind=escalated&day={}", today.iso());
    assert_eq!(gs[0]["link"], list_link.as_str());
    // A group of one is that notice: its own text, its record.
    assert_eq!(gs[1]["count"], 1);
    assert_eq!(gs[1]["day"], today.plus_days(-1).iso());
    assert_eq!(gs[1]["link"], format!("/problems/{}", ids[0]).as_str());
    assert!(gs[1]["text"].as_str().unwrap().contains("问题0"));
    assert_eq!(gs[1]["notification_id"], yesterday_id);
    // English.
    let en: Value = district
        .client
        .get(format!("{}/api/v1/notifications/groups", app.base))
        .bearer_auth(&district.token)
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(en[0]["text"], "Problems passed up to us today: 3");
    // The individual notices are still there, and the group's list holds its three.
    let (_, all) = district.get("/api/v1/notifications").await;
    assert_eq!(all.as_array().unwrap().len(), 4);
    let (_, members) = district
        .get(&format!(
            "/api/v1/notifications?kind=escalated&day={}",
            today.iso()
        ))
        .await;
    let links: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["link"].as_str().unwrap())
        .collect();
    assert_eq!(
        links,
        [3, 2, 1]
            .map(|i| format!("/problems/{}", ids[i]))
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    let (status, _) = district.get("/api/v1/notifications?kind=escalated").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The page: one card per group with its count, newest first; the group's list.
    let html = browser
        .get(app.url("/notifications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches("data-group-count=").count(), 2, "{html}");
    assert!(html.contains("今天有 3 个问题上报到本单位"));
    assert!(html.contains("data-group-count=\"3\""));
    let at_3 = html.find("今天有 3 个").unwrap();
    let at_1 = html.find("问题0").unwrap();
    assert!(at_3 < at_1, "newest first");
    let href = html
        .split("href=\"")
        .find(|h| h.contains("kind=escalated"))
        .map(|h| &h[..h.find('"').unwrap()])
        .unwrap_or_else(|| panic!("{html}"));
    assert_eq!(href.replace("&amp;", "&").replace("&#38;", "&"), list_link);
    let page = browser
        .get(app.url(&list_link))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for i in 1..4 {
        assert!(page.contains(&format!("问题{i}")), "{page}");
    }
    assert!(!page.contains("问题0"));
    // The bell counts unread groups; its badge is drawn by script, never empty in the HTML.
    let (_, unread) = district.get("/api/v1/notifications/unread").await;
    assert_eq!(unread, json!({"unread": 4, "groups": 2}));
    let home = browser
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(bell(&home).contains("data-unread") && !bell(&home).contains("badge"));

    // Someone else marking "that group" marks only their own (nothing).
    let (status, r) = app
        .api("b.cadre")
        .await
        .post(
            "/api/v1/notifications/groups/read",
            json!({"kind": "escalated", "day": today.iso()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["marked"], 0);
    // Marking the group read marks its three members, not yesterday's.
    let (status, r) = district
        .post(
            "/api/v1/notifications/groups/read",
            json!({"kind": "escalated", "day": today.iso()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r, json!({"marked": 3, "unread": 1}));
    let (_, unread) = district.get("/api/v1/notifications/unread").await;
    assert_eq!(unread, json!({"unread": 1, "groups": 1}));
    let gs = groups(&district).await;
    assert_eq!(
        (gs[0]["unread"].clone(), gs[1]["unread"].clone()),
        (json!(0), json!(1))
    );
    // And through the page's form.
    let res = browser
        .post(app.url("/notifications/groups/read"))
        .form(&[
            ("kind", "escalated"),
            ("day", today.plus_days(-1).iso().as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, unread) = district.get("/api/v1/notifications/unread").await;
    assert_eq!(unread, json!({"unread": 0, "groups": 0}));
    let (status, _) = district
        .post(
            "/api/v1/notifications/groups/read",
            json!({"kind": "escalated", "day": "not a day"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}
