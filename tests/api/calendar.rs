//! The iCalendar feed: parsed by an independent parser (the `icalendar`
//! crate), valid lines, the caller's scope only, revocable tokens.

use icalendar::{Component, DatePerhapsTime};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Api, TestApp};

async fn problem_due(api: &Api, client_id: &str, description: &str, due: &str) -> i64 {
    let (status, p) = api
        .post(
            "/api/v1/problems",
            json!({"client_id": client_id, "source": "worker", "topic": "wages", "description": description}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let id = p["id"].as_i64().unwrap();
    let (status, p) = api
        .post(
            &format!("/api/v1/problems/{id}/transition"),
            json!({"action": "decide", "outcome": "in_progress", "outcome_on": due, "outcome_note": "跟进"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    id
}

async fn feed_url(api: &Api) -> String {
    let (status, v) = api.post("/api/v1/calendar/token", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["url"].as_str().unwrap().to_string()
}

/// Fetches a feed URL (made for the public address) from the test server.
async fn fetch(app: &TestApp, url: &str) -> (StatusCode, String, String) {
    let path = url.strip_prefix("http://127.0.0.1:8080").unwrap();
    let res = app.anonymous().get(app.url(path)).send().await.unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, res.text().await.unwrap())
}

#[tokio::test]
async fn the_feed_is_valid_icalendar_with_the_callers_deadlines_only_and_can_be_revoked() {
    let app = TestApp::spawn().await;
    let admin = app.api("district.admin").await;
    let (status, c) = admin
        .post(
            "/api/v1/campaigns",
            json!({"title": "2019年大走访活动", "starts_on": "2019-10-21", "ends_on": "2019-11-15",
                   "report_due_on": "2019-11-15", "kinds": ["street"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let campaign = c["campaign"]["id"].as_i64().unwrap();
    admin
        .post(
            &format!("/api/v1/campaigns/{campaign}/status"),
            json!({"status": "active"}),
        )
        .await;
    let a = app.api("a.cadre").await;
    let (status, p) = a
        .send(
            Method::PUT,
            &format!("/api/v1/campaigns/{campaign}/plans/{}", app.street_a.0),
            json!({"summary": "方案", "milestones": [{"title": "动员部署；召开座谈会", "due_on": "2019-10-25"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    // A long description with characters that must be escaped, and a line
    // that must be folded between whole UTF-8 characters.
    let mine = problem_due(
        &a,
        "cal-0001-abcd",
        "加班费计算不清楚, 职工反映; 需要企业人事部门\\财务部门共同核对近三个月的考勤和工资条，并向职工逐一说明",
        "2099-12-31",
    )
    .await;
    let b = app.api("b.cadre").await;
    let theirs = problem_due(&b, "cal-0002-abcd", "乙街道的问题", "2099-06-30").await;

    let url = feed_url(&a).await;
    assert!(
        url.starts_with("http://127.0.0.1:8080/api/v1/calendar/feed/") && url.ends_with(".ics")
    );
    let (status, ct, body) = fetch(&app, &url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/calendar"), "{ct}");
    // RFC 5545: CRLF line ends, at most 75 octets a line.
    assert!(body.ends_with("END:VCALENDAR\r\n"));
    for line in body.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line}", line.len());
        assert!(!line.contains('\n'));
    }
    assert!(
        body.contains("\\,") && body.contains("\\;") && body.contains("\\\\"),
        "escaped"
    );

    let cal: icalendar::Calendar = body.parse().expect("an independent parser reads it");
    let prop = |name: &str| {
        cal.properties
            .iter()
            .find(|p| p.key() == name)
            .map(|p| p.value().to_string())
    };
    assert_eq!(prop("VERSION").as_deref(), Some("2.0"));
    assert!(prop("PRODID").is_some());
    assert_eq!(prop("CALSCALE").as_deref(), Some("GREGORIAN"));
    assert!(prop("X-WR-CALNAME").unwrap().contains("用户a.cadre"));
    let events: Vec<&icalendar::Event> = cal.events().collect();
    let uids: Vec<&str> = events.iter().map(|e| e.get_uid().unwrap()).collect();
    assert_eq!(
        events.len(),
        3,
        "report deadline, milestone, own problem: {uids:?}"
    );
    let by_uid = |prefix: &str| {
        *events
            .iter()
            .find(|e| e.get_uid().unwrap().starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {uids:?}"))
    };
    let report = by_uid(&format!("campaign-{campaign}-report@"));
    assert_eq!(
        report.get_start(),
        Some(DatePerhapsTime::Date(
            chrono::NaiveDate::from_ymd_opt(2019, 11, 15).unwrap()
        ))
    );
    assert!(report.get_summary().unwrap().contains("2019年大走访活动"));
    assert!(report.get_timestamp().is_some(), "DTSTAMP");
    let milestone = by_uid("milestone-");
    assert_eq!(
        milestone.get_start(),
        Some(DatePerhapsTime::Date(
            chrono::NaiveDate::from_ymd_opt(2019, 10, 25).unwrap()
        ))
    );
    assert!(milestone.get_summary().unwrap().contains("动员部署"));
    let own = by_uid(&format!("problem-{mine}-due@"));
    assert_eq!(
        own.get_url(),
        Some(format!("http://127.0.0.1:8080/problems/{mine}").as_str())
    );
    assert!(own.get_description().unwrap().contains("共同核对近三个月"));
    assert!(
        !body.contains(&format!("problem-{theirs}-")),
        "another street's problem"
    );
    // Stable UIDs: the same feed again has the same events.
    let (_, _, again) = fetch(&app, &url).await;
    let again: icalendar::Calendar = again.parse().unwrap();
    let mut a1: Vec<_> = again
        .events()
        .map(|e| e.get_uid().unwrap().to_string())
        .collect();
    let mut a0: Vec<_> = uids.iter().map(|u| u.to_string()).collect();
    a1.sort();
    a0.sort();
    assert_eq!(a0, a1);

    // Street B's feed has its own problem and not street A's.
    let b_url = feed_url(&b).await;
    let (_, _, b_body) = fetch(&app, &b_url).await;
    assert!(b_body.contains(&format!("problem-{theirs}-due@")));
    assert!(!b_body.contains(&format!("problem-{mine}-")));
    assert!(!b_body.contains("milestone-"), "street A's plan milestones");

    // Renewing revokes the old address; revoking ends the new one.
    let renewed = feed_url(&a).await;
    assert_ne!(renewed, url);
    assert_eq!(fetch(&app, &url).await.0, StatusCode::NOT_FOUND);
    assert_eq!(fetch(&app, &renewed).await.0, StatusCode::OK);
    // The address before the feed moved under /api/v1 leads to it.
    let file = renewed.rsplit('/').next().unwrap();
    let res = app
        .anonymous()
        .get(app.url(&format!("/calendar/{file}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        res.headers()[reqwest::header::LOCATION],
        format!("/api/v1/calendar/feed/{file}").as_str()
    );
    let (status, _) = a
        .send(Method::DELETE, "/api/v1/calendar/token", json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(fetch(&app, &renewed).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.audit_count("calendar_token_created").await, 3);
    // Renewing is audited as a creation; the explicit revocation on its own.
    assert_eq!(app.audit_count("calendar_token_revoked").await, 1);
    // Guessing: unknown tokens and other names are 404.
    for path in [
        "/api/v1/calendar/feed/00ff.ics",
        "/api/v1/calendar/feed/abc",
        "/api/v1/calendar/feed/..%2f.ics",
    ] {
        let res = app.anonymous().get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn the_calendar_page_shows_the_address_once_and_revokes_it() {
    let app = TestApp::spawn().await;
    let c = app.browser("a.viewer").await;
    let html = c
        .get(app.url("/calendar"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("尚未创建订阅地址"));
    let res = c.post(app.url("/calendar/new")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let start = html
        .find("http://127.0.0.1:8080/api/v1/calendar/feed/")
        .expect("the address is shown");
    let url = &html[start..start + html[start..].find('"').unwrap()];
    assert_eq!(fetch(&app, url).await.0, StatusCode::OK);
    let html = c
        .get(app.url("/calendar"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains("/calendar/") || !html.contains(url),
        "shown only once"
    );
    let res = c.post(app.url("/calendar/revoke")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(fetch(&app, url).await.0, StatusCode::NOT_FOUND);
    // Without a login nothing is created.
    let res = app
        .anonymous()
        .post(app.url("/calendar/new"))
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), StatusCode::OK);
}
