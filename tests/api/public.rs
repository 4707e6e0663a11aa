//! The public intake page and receipt codes: no login, no personal data
//! required, a code that shows its own problem and nothing else, rate limits.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Raises a problem on the public page of `org`; returns the receipt code.
async fn raise(app: &TestApp, org: &str, client_id: &str, text: &str) -> String {
    let res = app
        .anonymous()
        .post(app.url(&format!("/p/{org}")))
        .form(&[
            ("client_id", client_id),
            ("source", "worker"),
            ("topic", "safety"),
            ("worker_group", "food_delivery"),
            ("description", text),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let loc = res.headers()["location"].to_str().unwrap().to_string();
    let code = loc
        .strip_prefix("/receipt/")
        .and_then(|r| r.strip_suffix("?new=1"))
        .expect("redirects to the receipt")
        .to_string();
    assert_eq!(code.len(), 9);
    code
}

async fn receipt(app: &TestApp, code: &str) -> (StatusCode, Value) {
    let res = reqwest::get(app.url(&format!("/api/v1/receipts/{code}")))
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_worker_raises_a_problem_without_logging_in_and_follows_it_by_code() {
    let app = TestApp::spawn().await;
    let page = app.anonymous().get(app.url("/p/sta")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("甲街道总工会"));
    for org in ["DEPT", "NOPE"] {
        let res = app
            .anonymous()
            .get(app.url(&format!("/p/{org}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{org}");
    }
    let code = raise(
        &app,
        "STA",
        "public-0001-abcd",
        "商场不让骑手进去取餐，只能在门口淋雨等",
    )
    .await;
    let again = raise(
        &app,
        "STA",
        "public-0001-abcd",
        "商场不让骑手进去取餐，只能在门口淋雨等",
    )
    .await;
    assert_eq!(code, again, "a retried submission is one problem");
    let other = raise(&app, "STA", "public-0002-abcd", "站点没有饮水机").await;
    assert_ne!(code, other);

    // The street sees it (masked contact, public flag); the other street does not.
    let a = app.api("a.cadre").await;
    let (_, list) = a.get("/api/v1/problems").await;
    assert_eq!(list["total"], 2);
    let p = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["receipt_code"] == code.as_str())
        .unwrap()
        .clone();
    assert_eq!(p["public_intake"], true);
    assert_eq!(p["owner_org_id"], app.street_a.0);
    let (_, list) = app.api("b.cadre").await.get("/api/v1/problems").await;
    assert_eq!(list["total"], 0);

    let (status, r) = receipt(&app, &code.to_lowercase().replace('-', " ")).await;
    assert_eq!(status, StatusCode::OK, "codes forgive case and spacing");
    assert_eq!(r["status"], "open");
    assert_eq!(r["description"], "商场不让骑手进去取餐，只能在门口淋雨等");
    assert_eq!(r["feedback"], json!([]));

    // The street decides it and tells the worker; the receipt shows both and nothing internal.
    let id = p["id"].as_i64().unwrap();
    let (status, _) = a
        .post(
            &format!("/api/v1/problems/{id}/transition"),
            json!({"action": "decide", "outcome": "solved", "outcome_on": "2019-11-06", "outcome_note": "已与商场协商开放骑手等候区"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = a
        .post(
            &format!("/api/v1/problems/{id}/feedback"),
            json!({"channel": "wechat", "body": "商场一楼已设骑手等候区，欢迎使用", "given_on": "2019-11-07"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, r) = receipt(&app, &code).await;
    assert_eq!(r["status"], "solved");
    assert_eq!(r["outcome_on"], "2019-11-06");
    assert_eq!(r["outcome_note"], "已与商场协商开放骑手等候区");
    assert_eq!(r["feedback"][0]["body"], "商场一楼已设骑手等候区，欢迎使用");
    assert_eq!(r["feedback"][0]["actor"], "", "who answered stays internal");
    let (_, r2) = receipt(&app, &other).await;
    assert_eq!(
        r2["description"], "站点没有饮水机",
        "each code shows its own problem"
    );
    assert_eq!(r2["feedback"], json!([]));
    let html = reqwest::get(app.url(&format!("/receipt/{code}")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("商场一楼已设骑手等候区"));
    assert!(!html.contains("用户a.cadre"));
}

#[tokio::test]
async fn the_public_page_needs_a_description_and_no_personal_data() {
    let app = TestApp::spawn().await;
    let res = app
        .anonymous()
        .post(app.url("/p/STA"))
        .form(&[("client_id", "public-0003-abcd"), ("source", "worker")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("“问题描述”不能为空"));
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM problems")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn submissions_and_guesses_are_rate_limited() {
    let app = TestApp::spawn_with(|s| s.security.public_intake_per_hour = 2).await;
    raise(&app, "STA", "public-0004-abcd", "一").await;
    raise(&app, "STA", "public-0005-abcd", "二").await;
    // A retry of an accepted submission does not count.
    raise(&app, "STA", "public-0005-abcd", "二").await;
    let res = app
        .anonymous()
        .post(app.url("/p/STA"))
        .form(&[
            ("client_id", "public-0006-abcd"),
            ("source", "worker"),
            ("description", "三"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // Wrong codes: a few misses answer 404, then the address is refused.
    let mut statuses = Vec::new();
    for guess in ["AAAA-AAAA", "BBBB-BBBB", "CCCC-CCCC", "0000-0000"] {
        statuses.push(receipt(&app, guess).await.0);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::NOT_FOUND,
            StatusCode::NOT_FOUND,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_worker_has_their_own_limit() {
    let app = TestApp::spawn_with(|s| {
        s.security.public_intake_per_hour = 1;
        s.server.trusted_proxies = "127.0.0.1".into();
    })
    .await;
    let send = |client_id: &'static str, worker: &'static str| {
        let c = app.anonymous();
        let url = app.url("/p/STA");
        async move {
            c.post(url)
                .header("x-forwarded-for", worker)
                .form(&[
                    ("client_id", client_id),
                    ("source", "worker"),
                    ("description", "车棚没有充电桩"),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        send("proxy-0001-abcd", "10.1.1.1").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        send("proxy-0002-abcd", "10.1.1.2").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        send("proxy-0003-abcd", "10.1.1.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn each_public_page_has_a_qr_code_and_a_printable_poster() {
    let app = TestApp::spawn().await;
    let c = app.anonymous();
    let poster = c.get(app.url("/p/STA/poster")).send().await.unwrap();
    assert_eq!(poster.status(), StatusCode::OK);
    let html = poster.text().await.unwrap();
    assert!(html.contains("甲街道总工会") && html.contains("<svg"));
    assert!(
        html.contains("/p/STA"),
        "the address is printed under the code"
    );
    let svg = c.get(app.url("/p/STA/qr.svg")).send().await.unwrap();
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    let png = c.get(app.url("/p/STA/qr.png")).send().await.unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    let img = image::load_from_memory(&png.bytes().await.unwrap()).unwrap();
    assert_eq!(img.width(), img.height());
    assert!(
        img.width() >= 25 * 12,
        "at least a version-2 code at 12 px a module"
    );
    for path in ["/p/DEPT/poster", "/p/DEPT/qr.png", "/p/NOPE/qr.svg"] {
        assert_eq!(
            c.get(app.url(path)).send().await.unwrap().status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}
