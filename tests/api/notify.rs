//! Reminders: escalations and returned plans notify the right people in the
//! app and by e-mail (through a real SMTP sink on loopback), the sweep counts
//! Chinese working days and never fires twice, the outbox retries and sends
//! each message once, and nobody reaches another user's notifications.

use std::time::Duration;

use qingting::{
    config::{Settings, TlsMode},
    date::Day,
    notify::{mail, sweep},
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    helpers::{Api, TestApp},
    smtp::Sink,
};

fn mail_to(s: &mut Settings, sink: &Sink) {
    s.mail.enabled = true;
    s.mail.host = "127.0.0.1".into();
    s.mail.port = sink.addr.port();
    s.mail.tls = TlsMode::None;
    s.mail.username = "qingting".into();
    s.mail.password = "smtp-secret".into();
    s.mail.from = "倾听 <qingting@example.org>".into();
    s.mail.timeout_seconds = 5;
}

async fn set_email(app: &TestApp, username: &str, email: &str) {
    sqlx::query("UPDATE users SET email = $1 WHERE username = $2")
        .bind(email)
        .bind(username)
        .execute(app.db.pool())
        .await
        .unwrap();
}

async fn problem(api: &Api, client_id: &str, description: &str) -> i64 {
    let (status, p) = api
        .post(
            "/api/v1/problems",
            json!({"client_id": client_id, "source": "worker", "topic": "wages", "description": description}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    p["id"].as_i64().unwrap()
}

async fn notices(api: &Api) -> Vec<Value> {
    let (status, v) = api.get("/api/v1/notifications").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v.as_array().unwrap().clone()
}

fn kinds(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|n| n["kind"].as_str().unwrap().to_string())
        .collect()
}

async fn outbox(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM outbox WHERE {sql}"
    )))
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn an_escalation_notifies_the_target_orgs_cadres_in_the_app_and_by_mail_once() {
    let sink = Sink::start().await;
    let app = TestApp::spawn_with(|s| mail_to(s, &sink)).await;
    set_email(&app, "district.admin", "admin@district.example.org").await;
    set_email(&app, "a.cadre", "cadre@a.example.org").await;
    let a = app.api("a.cadre").await;
    let district = app.api("district.admin").await;
    let id = problem(&a, "notify-0001-abcd", "园区没有骑手驿站，夏天无处休息").await;
    let (status, body) = a
        .post(
            &format!("/api/v1/problems/{id}/transition"),
            json!({"action": "escalate", "to_org": app.district.0, "reason": "涉及全区驿站规划"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // In the app: the district admin, nobody else.
    let list = notices(&district).await;
    assert_eq!(kinds(&list), ["escalated"]);
    let text = list[0]["text"].as_str().unwrap();
    assert!(
        text.contains("园区没有骑手驿站")
            && text.contains("甲街道总工会")
            && text.contains("涉及全区驿站规划"),
        "{text}"
    );
    assert_eq!(list[0]["link"], format!("/problems/{id}"));
    assert_eq!(list[0]["read_at"], Value::Null);
    assert!(
        notices(&a).await.is_empty(),
        "the street that passed it up is not told"
    );
    assert!(notices(&app.api("b.cadre").await).await.is_empty());
    // English readers get the English text.
    let (_, en) = district
        .client
        .get(format!("{}/api/v1/notifications", app.base))
        .bearer_auth(&district.token)
        .header("Accept-Language", "en")
        .send()
        .await
        .map(|r| (r.status(), r))
        .unwrap();
    let en: Value = en.json().await.unwrap();
    assert!(
        en[0]["text"].as_str().unwrap().starts_with("Problem #"),
        "{en}"
    );

    // By mail: exactly one message to the district admin, sent once.
    assert_eq!(outbox(&app, "status = 'pending'").await, 1);
    let now = qingting::db::now();
    let r = mail::deliver_pending(&app.db, &app.settings, now)
        .await
        .unwrap();
    assert_eq!((r.sent, r.failed), (1, 0));
    let r = mail::deliver_pending(&app.db, &app.settings, now + 3600)
        .await
        .unwrap();
    assert_eq!((r.sent, r.failed), (0, 0), "nothing is sent twice");
    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert_eq!(m.to, ["admin@district.example.org"]);
    assert_eq!(m.from, "qingting@example.org");
    let subject = m.subject();
    assert!(
        subject.contains("甲街道总工会上报问题") && subject.contains(&format!("#{id}")),
        "{subject}"
    );
    let body = m.body();
    assert!(
        body.contains(&format!("http://127.0.0.1:8080/problems/{id}")),
        "{body}"
    );
    assert!(body.contains("涉及全区驿站规划"), "{body}");
    assert!(m.header("Message-ID").unwrap().starts_with("<outbox-"));
    assert_eq!(
        outbox(
            &app,
            "status = 'sent' AND attempts = 1 AND sent_at IS NOT NULL"
        )
        .await,
        1
    );

    // Marking read: one, then the badge count; another user's id is not found.
    let nid = list[0]["id"].as_i64().unwrap();
    let (status, _) = a
        .post(&format!("/api/v1/notifications/{nid}/read"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not a's notification");
    let (_, unread) = district.get("/api/v1/notifications/unread").await;
    assert_eq!(unread["unread"], 1);
    let (status, r) = district
        .post(&format!("/api/v1/notifications/{nid}/read"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["unread"], 0);
    let (_, unread) = district.get("/api/v1/notifications?unread=yes").await;
    assert_eq!(unread.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_refusing_or_absent_server_leaves_the_message_pending_and_a_later_run_sends_it() {
    let sink = Sink::start().await;
    let app = TestApp::spawn_with(|s| mail_to(s, &sink)).await;
    set_email(&app, "district.admin", "admin@district.example.org").await;
    let a = app.api("a.cadre").await;
    let id = problem(&a, "notify-0002-abcd", "食堂饭菜价格上涨").await;
    a.post(
        &format!("/api/v1/problems/{id}/transition"),
        json!({"action": "escalate", "to_org": app.district.0, "reason": "需要区里协调"}),
    )
    .await;

    // A server that answers 451.
    sink.refuse(true);
    let now = qingting::db::now();
    let r = mail::deliver_pending(&app.db, &app.settings, now)
        .await
        .unwrap();
    assert_eq!((r.sent, r.failed), (0, 1));
    assert_eq!(
        outbox(
            &app,
            "status = 'pending' AND attempts = 1 AND last_error LIKE '%451%'"
        )
        .await,
        1
    );
    // Not again before the backoff.
    let r = mail::deliver_pending(&app.db, &app.settings, now + 10)
        .await
        .unwrap();
    assert_eq!((r.sent, r.failed), (0, 0));

    // No server listening at all.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut gone = app.settings.clone();
    gone.mail.port = closed;
    let r = mail::deliver_pending(&app.db, &gone, now + 61)
        .await
        .unwrap();
    assert_eq!((r.sent, r.failed), (0, 1));
    assert_eq!(outbox(&app, "status = 'pending' AND attempts = 2").await, 1);

    // The server is back: the later run sends it, once.
    sink.refuse(false);
    let r = mail::deliver_pending(&app.db, &app.settings, now + 1000)
        .await
        .unwrap();
    assert_eq!((r.sent, r.failed), (1, 0));
    let r = mail::deliver_pending(&app.db, &app.settings, now + 100_000)
        .await
        .unwrap();
    assert_eq!((r.sent, r.failed), (0, 0));
    assert_eq!(sink.mails().len(), 1);
    assert_eq!(outbox(&app, "status = 'sent' AND attempts = 3").await, 1);
}

#[tokio::test]
async fn a_message_that_keeps_failing_is_given_up_after_max_attempts() {
    let sink = Sink::start().await;
    let app = TestApp::spawn_with(|s| {
        mail_to(s, &sink);
        s.mail.max_attempts = 2;
    })
    .await;
    set_email(&app, "district.admin", "admin@district.example.org").await;
    let a = app.api("a.cadre").await;
    let id = problem(&a, "notify-0003-abcd", "夜班没有班车").await;
    a.post(
        &format!("/api/v1/problems/{id}/transition"),
        json!({"action": "escalate", "to_org": app.district.0, "reason": "跨街道"}),
    )
    .await;
    sink.refuse(true);
    let now = qingting::db::now();
    mail::deliver_pending(&app.db, &app.settings, now)
        .await
        .unwrap();
    mail::deliver_pending(&app.db, &app.settings, now + 7200)
        .await
        .unwrap();
    assert_eq!(outbox(&app, "status = 'failed' AND attempts = 2").await, 1);
    sink.refuse(false);
    let r = mail::deliver_pending(&app.db, &app.settings, now + 100_000)
        .await
        .unwrap();
    assert_eq!(r.sent, 0);
    assert!(sink.mails().is_empty());
}

#[tokio::test]
async fn the_server_sends_the_outbox_by_itself() {
    let sink = Sink::start().await;
    let app = TestApp::spawn_with(|s| {
        mail_to(s, &sink);
        s.mail.poll_seconds = 1;
    })
    .await;
    set_email(&app, "district.admin", "admin@district.example.org").await;
    let a = app.api("a.cadre").await;
    let id = problem(&a, "notify-0004-abcd", "快递员午休无处可去").await;
    a.post(
        &format!("/api/v1/problems/{id}/transition"),
        json!({"action": "escalate", "to_org": app.district.0, "reason": "需要统筹"}),
    )
    .await;
    for _ in 0..100 {
        if !sink.mails().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(sink.mails().len(), 1, "the background worker sent it");
}

fn campaign_body() -> Value {
    json!({
        "title": "2019年大走访活动",
        "doc_number": "测工〔2019〕1号",
        "starts_on": "2019-10-21",
        "ends_on": "2019-11-15",
        "report_due_on": "2019-11-15",
        "kinds": ["street"],
        "target_enterprises": 20
    })
}

/// An active campaign for both streets, street A's plan submitted with a
/// milestone on Wednesday 13 November 2019.
async fn campaign_with_plan(app: &TestApp) -> (i64, String) {
    let admin = app.api("district.admin").await;
    let (status, c) = admin.post("/api/v1/campaigns", campaign_body()).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let id = c["campaign"]["id"].as_i64().unwrap();
    let (status, _) = admin
        .post(
            &format!("/api/v1/campaigns/{id}/status"),
            json!({"status": "active"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Issuing tells each unit to confirm receipt (签收, tested in
    // supervision.rs); these tests follow the plan and deadline notices.
    for sql in [
        "DELETE FROM outbox WHERE notification_id IN (SELECT id FROM notifications WHERE kind = 'campaign_issued')",
        "DELETE FROM notifications WHERE kind = 'campaign_issued'",
    ] {
        sqlx::query(sql).execute(app.db.pool()).await.unwrap();
    }
    let plan = format!("/api/v1/campaigns/{id}/plans/{}", app.street_a.0);
    let cadre = app.api("a.cadre").await;
    let (status, p) = cadre
        .send(
            Method::PUT,
            &plan,
            json!({"summary": "方案", "target_enterprises": 20, "target_interviews": 50, "target_symposiums": 2,
                   "milestones": [{"title": "完成走访，汇总问题", "due_on": "2019-11-13"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let (status, _) = cadre.post(&format!("{plan}/submit"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    (id, plan)
}

#[tokio::test]
async fn a_returned_plan_notifies_the_units_cadres_and_admins() {
    let app = TestApp::spawn().await;
    let (id, plan) = campaign_with_plan(&app).await;
    let admin = app.api("district.admin").await;
    let (status, p) = admin
        .post(
            &format!("{plan}/return"),
            json!({"reason": "走访企业数偏低"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    for who in ["a.cadre", "a.admin"] {
        let list = notices(&app.api(who).await).await;
        assert_eq!(kinds(&list), ["plan_returned"], "{who}");
        let text = list[0]["text"].as_str().unwrap();
        assert!(
            text.contains("2019年大走访活动") && text.contains("走访企业数偏低"),
            "{text}"
        );
        assert_eq!(
            list[0]["link"],
            format!("/campaigns/{id}/plans/{}", app.street_a.0)
        );
    }
    for who in ["a.viewer", "b.cadre", "district.admin"] {
        assert!(notices(&app.api(who).await).await.is_empty(), "{who}");
    }
    // No e-mail address, no outbox row.
    assert_eq!(outbox(&app, "1 = 1").await, 0);
}

#[tokio::test]
async fn the_sweep_counts_chinese_working_days_and_never_fires_twice() {
    let app = TestApp::spawn().await;
    set_email(&app, "a.cadre", "cadre@a.example.org").await;
    let a = app.api("a.cadre").await;
    let id = problem(&a, "notify-0005-abcd", "加班费计算不清楚").await;
    let (status, body) = a
        .post(
            &format!("/api/v1/problems/{id}/transition"),
            json!({"action": "decide", "outcome": "in_progress", "outcome_on": "2099-12-31", "outcome_note": "已约企业"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The deadline: Tuesday 8 October 2019, the first working day after National Day.
    sqlx::query("UPDATE problems SET outcome_on = '2019-10-08' WHERE id = $1")
        .bind(id)
        .execute(app.db.pool())
        .await
        .unwrap();
    let rules = &app.settings.reminders;
    assert_eq!(rules.days_before, 3);
    let day = |s: &str| Day::from_db(s).unwrap();

    // Thursday 26 September: three working days ahead is Monday 30 September
    // (Sunday 29th is a make-up working day): too early.
    let r = sweep::run(&app.db, rules, day("2019-09-26")).await.unwrap();
    assert_eq!(r.created, 0);
    // Sunday 29 September (worked): 30 Sep, 8 Oct, 9 Oct — 8 October is within
    // three working days although it is nine calendar days away.
    let r = sweep::run(&app.db, rules, day("2019-09-29")).await.unwrap();
    assert_eq!(r.created, 2, "a.cadre and a.admin");
    let r = sweep::run(&app.db, rules, day("2019-09-30")).await.unwrap();
    assert_eq!(r.created, 0, "the same deadline is not reminded twice");
    let list = notices(&a).await;
    assert_eq!(kinds(&list), ["problem_due"]);
    assert!(list[0]["text"].as_str().unwrap().contains("2019-10-08"));
    assert!(notices(&app.api("b.cadre").await).await.is_empty());

    // Overdue on 9 October, once.
    let r = sweep::run(&app.db, rules, day("2019-10-09")).await.unwrap();
    assert_eq!(r.created, 2);
    let r = sweep::run(&app.db, rules, day("2019-10-10")).await.unwrap();
    assert_eq!(r.created, 0);
    assert_eq!(
        kinds(&notices(&a).await),
        ["problem_overdue", "problem_due"]
    );
    // Each went to the outbox once for the cadre with an address.
    assert_eq!(outbox(&app, "to_address = 'cadre@a.example.org'").await, 2);

    // A solved problem is not reminded of.
    a.post(
        &format!("/api/v1/problems/{id}/transition"),
        json!({"action": "decide", "outcome": "solved", "outcome_on": "2019-10-10", "outcome_note": "已补发"}),
    )
    .await;
    let r = sweep::run(&app.db, rules, day("2019-10-11")).await.unwrap();
    assert_eq!(r.created, 0);
}

#[tokio::test]
async fn the_sweep_reminds_units_of_report_deadlines_and_plan_milestones() {
    let app = TestApp::spawn().await;
    let (id, _) = campaign_with_plan(&app).await;
    let rules = &app.settings.reminders;
    let day = |s: &str| Day::from_db(s).unwrap();
    // Friday 8 November: three working days reach Wednesday 13th (the milestone), not Friday 15th.
    let r = sweep::run(&app.db, rules, day("2019-11-08")).await.unwrap();
    assert_eq!(r.created, 2, "the milestone, to a.cadre and a.admin");
    // Tuesday 12 November: the report deadline too, for both streets.
    let r = sweep::run(&app.db, rules, day("2019-11-12")).await.unwrap();
    assert_eq!(r.created, 3, "a.cadre, a.admin, b.cadre");
    let r = sweep::run(&app.db, rules, day("2019-11-13")).await.unwrap();
    assert_eq!(r.created, 0);
    let a = notices(&app.api("a.cadre").await).await;
    assert_eq!(kinds(&a), ["campaign_due", "milestone_due"]);
    assert!(
        a[1]["text"]
            .as_str()
            .unwrap()
            .contains("完成走访，汇总问题")
    );
    let b = notices(&app.api("b.cadre").await).await;
    assert_eq!(kinds(&b), ["campaign_due"]);
    assert_eq!(
        b[0]["link"],
        format!("/campaigns/{id}/summary/{}", app.street_b.0)
    );
    assert!(notices(&app.api("district.admin").await).await.is_empty());
}

#[tokio::test]
async fn the_notifications_page_lists_opens_and_marks_read_for_its_owner_only() {
    let app = TestApp::spawn().await;
    let (_, plan) = campaign_with_plan(&app).await;
    app.api("district.admin")
        .await
        .post(
            &format!("{plan}/return"),
            json!({"reason": "请补充时间节点"}),
        )
        .await;
    let a = app.browser("a.cadre").await;
    let page = a.get(app.url("/notifications")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("请补充时间节点") && html.contains("全部标为已读"),
        "{html}"
    );
    let nid: i64 = sqlx::query_scalar(
        "SELECT n.id FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = 'a.cadre'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    // Another user can neither open nor mark it.
    let b = app.browser("b.cadre").await;
    for path in [
        format!("/notifications/{nid}/open"),
        format!("/notifications/{nid}/read"),
    ] {
        let res = b.post(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let b_page = b
        .get(app.url("/notifications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!b_page.contains("请补充时间节点"));
    // Opening marks it read and goes to the plan.
    let res = a
        .post(app.url(&format!("/notifications/{nid}/open")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        format!(
            "/campaigns/{}/plans/{}",
            plan.split('/').nth(4).unwrap(),
            app.street_a.0
        )
        .as_str()
    );
    let (_, unread) = app
        .api("a.cadre")
        .await
        .get("/api/v1/notifications/unread")
        .await;
    assert_eq!(unread["unread"], 0);
    let res = a
        .post(app.url("/notifications/read-all"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Without a login: the page sends to the login, the API answers 401.
    let anon = app.anonymous();
    let res = anon.get(app.url("/notifications")).send().await.unwrap();
    assert!(
        matches!(
            res.status(),
            StatusCode::SEE_OTHER | StatusCode::UNAUTHORIZED
        ),
        "{}",
        res.status()
    );
    let res = anon
        .get(app.url("/api/v1/notifications"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Every page still renders with the menu link and badge placeholder.
    let home = a
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("href=\"/notifications\"") && home.contains("data-unread"));
}
