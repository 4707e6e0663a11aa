//! Campaigns: create, edit, copy, status, units by kind, live progress, plans
//! with their history, validation in both languages, and access on every route.

use qingting::{
    auth::Role,
    db::{Db, OrgId},
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Api, TestApp};

fn body(title: &str) -> Value {
    json!({
        "title": title,
        "doc_number": "测工〔2019〕1号",
        "theme": "大走访、大调解、大服务",
        "notice": "各街道工会：……",
        "starts_on": "2019-10-21",
        "ends_on": "2019-11-15",
        "report_due_on": "2019-11-15",
        "kinds": ["street"],
        "target_enterprises": 20,
        "target_interviews": 100,
        "target_symposiums": 3,
        "target_problems": 10,
        "overrides": [{"org_code": "sta", "target_enterprises": 25}]
    })
}

fn unit_codes(detail: &Value) -> Vec<String> {
    detail["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap().to_string())
        .collect()
}

fn unit<'a>(detail: &'a Value, code: &str) -> &'a Value {
    detail["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == code)
        .unwrap_or_else(|| panic!("no unit {code} in {detail}"))
}

/// Creates a campaign as the district admin and returns its id.
async fn create(api: &Api, b: Value) -> i64 {
    let (status, c) = api.post("/api/v1/campaigns", b).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    c["campaign"]["id"].as_i64().unwrap()
}

async fn activate(api: &Api, id: i64) {
    let (status, c) = api
        .post(
            &format!("/api/v1/campaigns/{id}/status"),
            json!({"status": "active"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
}

#[tokio::test]
async fn an_admin_creates_edits_issues_closes_reopens_and_copies_a_campaign() {
    let app = TestApp::spawn().await;
    let admin = app.api("district.admin").await;
    let (status, c) = admin
        .post("/api/v1/campaigns", body("关于开展大走访活动的通知"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let id = c["campaign"]["id"].as_i64().unwrap();
    assert_eq!(c["campaign"]["status"], "draft");
    assert_eq!(c["campaign"]["org_code"], "DIST");
    assert_eq!(
        unit_codes(&c),
        ["STA", "STB"],
        "every street under the district"
    );
    assert_eq!(unit(&c, "STA")["targets"]["enterprises"], 25, "override");
    assert_eq!(unit(&c, "STB")["targets"]["enterprises"], 20, "default");
    assert_eq!(unit(&c, "STB")["targets"]["problems"], 10);
    assert_eq!(c["total_targets"]["enterprises"], 45);
    assert_eq!(app.audit_count("campaign_created").await, 1);

    // A patch of the title keeps the units and their targets.
    let (status, c) = admin
        .patch(
            &format!("/api/v1/campaigns/{id}"),
            json!({"title": "新标题"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["campaign"]["title"], "新标题");
    assert_eq!(unit(&c, "STA")["targets"]["enterprises"], 25);
    // Units by kind and by code: grassroots unions plus one street.
    let (status, c) = admin
        .patch(
            &format!("/api/v1/campaigns/{id}"),
            json!({"kinds": "grassroots", "org_codes": "STB", "target_interviews": 7}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(unit_codes(&c), ["STB", "UA", "UB"]);
    assert_eq!(unit(&c, "UA")["targets"]["interviews"], 7);
    assert_eq!(unit(&c, "UA")["targets"]["enterprises"], 0);
    // The department is not strictly under itself; the district is not under itself.
    let (status, err) = admin
        .patch(
            &format!("/api/v1/campaigns/{id}"),
            json!({"kinds": ["street"], "org_codes": ["DIST"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["fields"][0]["field"], "org_codes");
    admin
        .patch(
            &format!("/api/v1/campaigns/{id}"),
            json!({"kinds": ["street"], "target_enterprises": 20, "overrides": [{"org_code": "STA", "target_enterprises": 25}]}),
        )
        .await;

    // Status: draft → closed is refused; draft → active → closed → active.
    let path = format!("/api/v1/campaigns/{id}/status");
    let (status, err) = admin.post(&path, json!({"status": "closed"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["fields"][0]["field"], "status");
    for (to, want) in [
        ("active", "active"),
        ("closed", "closed"),
        ("active", "active"),
    ] {
        let (status, c) = admin.post(&path, json!({"status": to})).await;
        assert_eq!(status, StatusCode::OK, "{c}");
        assert_eq!(c["status"], want);
    }
    let (status, _) = admin.post(&path, json!({"status": "draft"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = admin.post(&path, json!({"status": "paused"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    admin.post(&path, json!({"status": "closed"})).await;
    let (status, err) = admin
        .patch(&format!("/api/v1/campaigns/{id}"), json!({"title": "x"}))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "closed is read only"
    );
    assert_eq!(err["error"]["fields"][0]["field"], "status");

    // Copy: a new draft, same texts, units and targets, a year later, no number.
    let (status, copy) = admin
        .post(&format!("/api/v1/campaigns/{id}/copy"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{copy}");
    let k = &copy["campaign"];
    assert_ne!(k["id"], id);
    assert_eq!(k["copied_from"], id);
    assert_eq!(k["status"], "draft");
    assert_eq!(k["title"], "新标题");
    assert_eq!(k["theme"], "大走访、大调解、大服务");
    assert_eq!(k["doc_number"], Value::Null);
    assert_eq!(k["starts_on"], "2020-10-21");
    assert_eq!(k["ends_on"], "2020-11-15");
    assert_eq!(k["report_due_on"], "2020-11-15");
    assert_eq!(unit_codes(&copy), ["STA", "STB"]);
    assert_eq!(unit(&copy, "STA")["targets"]["enterprises"], 25);
    assert_eq!(app.audit_count("campaign_copied").await, 1);

    // The list: newest first, with a status filter.
    let (_, list) = admin.get("/api/v1/campaigns").await;
    let ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [k["id"].as_i64().unwrap(), id]);
    let (_, list) = admin.get("/api/v1/campaigns?status=closed").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, _) = admin.get("/api/v1/campaigns?status=nope").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_street_admin_issues_to_its_own_subtree_only() {
    let app = TestApp::spawn().await;
    let a = app.api("a.admin").await;
    let mut b = body("街道活动");
    b["issuer_code"] = json!("STA");
    b["kinds"] = json!("grassroots");
    b["overrides"] = json!([]);
    let (status, c) = a.post("/api/v1/campaigns", b.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(
        unit_codes(&c),
        ["UA"],
        "only grassroots unions under street A"
    );
    b["org_codes"] = json!("UB");
    let (status, err) = a.post("/api/v1/campaigns", b.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["fields"][0]["field"], "org_codes");
    b["issuer_code"] = json!("DIST");
    let (status, err) = a.post("/api/v1/campaigns", b).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["fields"][0]["field"], "issuer_code");
    let (status, _) = app
        .api("a.cadre")
        .await
        .post("/api/v1/campaigns", body("x"))
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a cadre cannot issue campaigns"
    );
}

async fn enterprise(db: &Db, org: OrgId, code: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO enterprises (org_id, name, credit_code, sort_key, created_at, updated_at) \
         VALUES ($1, $2, $3, $2, 0, 0) RETURNING id",
    )
    .bind(org)
    .bind(format!("企业{code}"))
    .bind(code)
    .fetch_one(db.pool())
    .await
    .unwrap()
}

#[allow(clippy::too_many_arguments)]
async fn activity(
    db: &Db,
    campaign: Option<i64>,
    org: OrgId,
    kind: &str,
    workers: i64,
    participants: i64,
    enterprises: &[i64],
    n: &str,
) {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO activities (client_id, campaign_id, org_id, kind, held_on, workers_interviewed, participants, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, '2019-10-25', $5, $6, 0, 0) RETURNING id",
    )
    .bind(n)
    .bind(campaign)
    .bind(org)
    .bind(kind)
    .bind(workers)
    .bind(participants)
    .fetch_one(db.pool())
    .await
    .unwrap();
    for e in enterprises {
        sqlx::query(
            "INSERT INTO activity_enterprises (activity_id, enterprise_id, org_id) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(*e)
        .bind(org)
        .execute(db.pool())
        .await
        .unwrap();
    }
}

async fn problem(db: &Db, campaign: Option<i64>, org: OrgId, outcome: Option<&str>, n: &str) {
    sqlx::query(
        "INSERT INTO problems (client_id, org_id, owner_org_id, campaign_id, source, topic_id, description, state, \
         outcome, outcome_on, created_at, updated_at) \
         VALUES ($1, $2, $2, $3, 'worker', (SELECT id FROM topics WHERE code = 'wages'), '工资', $4, $5, $6, 0, 0)",
    )
    .bind(n)
    .bind(org)
    .bind(campaign)
    .bind(if outcome.is_some() { "decided" } else { "open" })
    .bind(outcome)
    .bind(outcome.map(|_| "2019-11-01"))
    .execute(db.pool())
    .await
    .unwrap();
}

#[tokio::test]
async fn progress_is_computed_live_from_the_units_subtrees() {
    let app = TestApp::spawn().await;
    let admin = app.api("district.admin").await;
    let id = create(&admin, body("进度")).await;
    let other = create(&admin, body("另一个活动")).await;
    activate(&admin, id).await;
    let db = &app.db;
    let e1 = enterprise(db, app.union_a, "91310110MA1G8XXX2B").await;
    let e2 = enterprise(db, app.union_a, "91110000100000589A").await;
    let e3 = enterprise(db, app.union_b, "91440300708461136T").await;
    // Street A's subtree: two visits (one enterprise twice), one symposium.
    activity(db, Some(id), app.union_a, "visit", 7, 0, &[e1, e2], "a1").await;
    activity(db, Some(id), app.street_a, "visit", 3, 0, &[e1], "a2").await;
    activity(db, Some(id), app.union_a, "symposium", 0, 15, &[], "a3").await;
    // Not counted: another campaign, no campaign.
    activity(
        db,
        Some(other),
        app.union_a,
        "symposium",
        9,
        40,
        &[e2],
        "a4",
    )
    .await;
    activity(db, None, app.union_a, "visit", 9, 0, &[e2], "a5").await;
    // Street B: one visit.
    activity(db, Some(id), app.union_b, "visit", 4, 0, &[e3], "b1").await;
    problem(db, Some(id), app.union_a, Some("solved"), "p1").await;
    problem(db, Some(id), app.union_a, Some("in_progress"), "p2").await;
    problem(db, Some(id), app.street_a, None, "p3").await;
    problem(db, Some(other), app.union_a, Some("solved"), "p4").await;
    problem(db, Some(id), app.union_b, Some("solved"), "p5").await;

    let (status, d) = admin.get(&format!("/api/v1/campaigns/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    let a = unit(&d, "STA");
    assert_eq!(
        a["actual"],
        json!({"enterprises": 2, "interviews": 10, "symposiums": 1, "participants": 15, "problems": 3, "solved": 1})
    );
    // Targets: STA 25 enterprises, 100 interviews, 3 symposiums, 10 problems.
    assert_eq!(
        a["percent"],
        json!({"enterprises": 8, "interviews": 10, "symposiums": 33, "problems": 10})
    );
    let b = unit(&d, "STB");
    assert_eq!(
        b["actual"],
        json!({"enterprises": 1, "interviews": 4, "symposiums": 0, "participants": 0, "problems": 1, "solved": 1})
    );
    assert_eq!(
        d["total_actual"],
        json!({"enterprises": 3, "interviews": 14, "symposiums": 1, "participants": 15, "problems": 4, "solved": 2})
    );
    assert_eq!(d["plans_missing"], 2);
    // A participant sees its own row only.
    let (_, d) = app
        .api("a.cadre")
        .await
        .get(&format!("/api/v1/campaigns/{id}"))
        .await;
    assert_eq!(unit_codes(&d), ["STA"]);
    assert_eq!(d["total_actual"]["enterprises"], 2);
    assert_eq!(d["can_manage"], false);
}

#[tokio::test]
async fn a_plan_is_submitted_returned_revised_resubmitted_and_accepted_with_history() {
    let app = TestApp::spawn().await;
    let admin = app.api("district.admin").await;
    let id = create(&admin, body("方案")).await;
    let sta = app.street_a.0;
    let plan = format!("/api/v1/campaigns/{id}/plans/{sta}");
    let cadre = app.api("a.cadre").await;
    // Not before the campaign is issued (a draft is invisible to the unit).
    let (status, _) = cadre.send(Method::PUT, &plan, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    activate(&admin, id).await;
    let (status, p) = cadre.get(&plan).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["plan"]["status"], "draft");
    assert_eq!(p["plan"]["version"], 0);
    assert_eq!(p["plan"]["id"], Value::Null);
    assert_eq!(p["campaign_targets"]["enterprises"], 25);
    // Accepting a draft is refused.
    let (status, err) = admin.post(&format!("{plan}/accept"), json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["fields"][0]["field"], "status");
    let v1 = json!({"summary": "第一稿", "target_enterprises": 10, "target_interviews": 50, "target_symposiums": 2,
        "milestones": [{"title": "动员部署", "due_on": "2019-10-25"}, {"title": "", "due_on": ""}]});
    let (status, p) = cadre.send(Method::PUT, &plan, v1).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["plan"]["milestones"].as_array().unwrap().len(), 1);
    let (status, p) = cadre.post(&format!("{plan}/submit"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["plan"]["status"], "submitted");
    assert_eq!(p["plan"]["version"], 1);
    // Submitted: no edits, no second submission; the street's own admin cannot decide.
    let (status, _) = cadre
        .send(Method::PUT, &plan, json!({"summary": "x"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = cadre.post(&format!("{plan}/submit"), json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app
        .api("a.admin")
        .await
        .post(&format!("{plan}/accept"), json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Returning needs a reason.
    let (status, err) = admin
        .post(&format!("{plan}/return"), json!({"reason": "  "}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["fields"][0]["field"], "reason");
    let (status, p) = admin
        .post(
            &format!("{plan}/return"),
            json!({"reason": "走访企业数偏低"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["plan"]["status"], "returned");
    assert_eq!(p["plan"]["return_reason"], "走访企业数偏低");
    // The unit revises and resubmits.
    let v2 = json!({"summary": "第二稿", "target_enterprises": 25, "target_interviews": 100, "target_symposiums": 3,
        "milestones": [{"title": "动员部署", "due_on": "2019-10-25"}, {"title": "报送汇总表", "due_on": "2019-11-15"}]});
    let (status, p) = cadre.send(Method::PUT, &plan, v2).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["plan"]["status"], "returned", "saving keeps it returned");
    let (_, p) = cadre.post(&format!("{plan}/submit"), json!({})).await;
    assert_eq!(p["plan"]["version"], 2);
    assert_eq!(p["plan"]["return_reason"], Value::Null);
    let (status, p) = admin.post(&format!("{plan}/accept"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["plan"]["status"], "accepted");
    // An accepted plan cannot be submitted or edited again.
    let (status, err) = cadre.post(&format!("{plan}/submit"), json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        err["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("实施方案")
    );
    let (_, p) = cadre.get(&plan).await;
    let events: Vec<(String, i64)> = p["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["version"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("submitted".to_string(), 1),
            ("returned".to_string(), 1),
            ("submitted".to_string(), 2),
            ("accepted".to_string(), 2)
        ]
    );
    assert_eq!(p["events"][0]["snapshot"]["summary"], "第一稿");
    assert_eq!(p["events"][1]["reason"], "走访企业数偏低");
    assert_eq!(p["events"][2]["snapshot"]["summary"], "第二稿");
    assert_eq!(
        p["events"][2]["snapshot"]["milestones"][1]["due_on"],
        "2019-11-15"
    );
    let (_, d) = admin.get(&format!("/api/v1/campaigns/{id}")).await;
    assert_eq!(unit(&d, "STA")["plan_status"], "accepted");
    assert_eq!(unit(&d, "STA")["plan_version"], 2);
    assert_eq!(d["plans_accepted"], 1);
    assert_eq!(app.audit_count("plan_returned").await, 1);
    assert_eq!(app.audit_count("plan_submitted").await, 2);

    // The pages show the history and a returned plan's reason.
    let browser = app.browser("a.cadre").await;
    let html = browser
        .get(app.url(&format!("/campaigns/{id}/plans/{sta}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("走访企业数偏低") && html.contains("第一稿"));
}

#[tokio::test]
async fn the_plan_form_saves_submits_and_reports_bad_rows() {
    let app = TestApp::spawn().await;
    let admin = app.api("district.admin").await;
    let id = create(&admin, body("方案页面")).await;
    activate(&admin, id).await;
    let sta = app.street_a.0;
    let path = format!("/campaigns/{id}/plans/{sta}");
    let browser = app.browser("a.cadre").await;
    let res = browser
        .post(app.url(&path))
        .form(&[
            ("summary", "方案"),
            ("target_enterprises", "20"),
            ("m_title", "动员"),
            ("m_due", "2019-13-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("第 1 个时间节点的日期无效")
    );
    let res = browser
        .post(app.url(&path))
        .form(&[
            ("summary", "方案"),
            ("target_enterprises", "20"),
            ("m_title", "动员"),
            ("m_due", "2019-10-25"),
            ("m_title", ""),
            ("m_due", ""),
            ("submit", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, p) = admin
        .get(&format!("/api/v1/campaigns/{id}/plans/{sta}"))
        .await;
    assert_eq!(p["plan"]["status"], "submitted");
    assert_eq!(p["plan"]["milestones"][0]["title"], "动员");
    let admin_browser = app.browser("district.admin").await;
    let res = admin_browser
        .post(app.url(&format!("{path}/return")))
        .form(&[("reason", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("“理由”不能为空"));
    let res = admin_browser
        .post(app.url(&format!("{path}/accept")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn validation_errors_name_the_field_in_chinese_and_english() {
    let app = TestApp::spawn().await;
    let admin = app.api("district.admin").await;
    let bad = json!({"title": "", "starts_on": "2019-11-15", "ends_on": "2019-10-21", "report_due_on": "2019-02-30"});
    for (lang, title, end, due) in [
        (
            "zh-CN",
            "“标题”不能为空",
            "“结束日期”不能早于开始日期 2019-11-15",
            "“报送截止日期”不是有效的日期",
        ),
        (
            "en",
            "\"Title\" is required",
            "\"End date\" cannot be before the start date 2019-11-15",
            "\"Report deadline\"",
        ),
    ] {
        let res = admin
            .client
            .post(format!("{}/api/v1/campaigns", app.base))
            .bearer_auth(&admin.token)
            .header("Accept-Language", lang)
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let err: Value = res.json().await.unwrap();
        let fields: Vec<(&str, &str)> = err["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["field"].as_str().unwrap(), f["message"].as_str().unwrap()))
            .collect();
        assert_eq!(
            fields.iter().map(|f| f.0).collect::<Vec<_>>(),
            ["title", "report_due_on", "ends_on"],
            "{lang}"
        );
        assert!(fields[0].1.contains(title), "{lang}: {}", fields[0].1);
        assert!(fields[1].1.contains(due), "{lang}: {}", fields[1].1);
        assert!(fields[2].1.contains(end), "{lang}: {}", fields[2].1);
    }
    // The form answers 422 with the messages next to the fields.
    let browser = app.browser("district.admin").await;
    let res = browser
        .post(app.url("/campaigns"))
        .form(&[
            ("title", "x"),
            ("starts_on", "2019-11-15"),
            ("ends_on", "2019-10-21"),
            ("report_due_on", "2019-11-15"),
            ("kinds", "street"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("ends_on-error"));
}

#[tokio::test]
async fn every_route_refuses_callers_outside_and_viewers_cannot_write() {
    let app = TestApp::spawn().await;
    let other = app.org("OTHER", "外区总工会", "federation", None).await;
    app.user("outsider", other, Role::Admin).await;
    app.user("ua.cadre", app.union_a, Role::Cadre).await;
    let admin = app.api("district.admin").await;
    let mut b = body("只有甲街道参加");
    b["kinds"] = json!([]);
    b["org_codes"] = json!("STA");
    b["overrides"] = json!([]);
    let id = create(&admin, b).await;
    let draft = create(&admin, body("草稿")).await;
    activate(&admin, id).await;
    let sta = app.street_a.0;
    let stb = app.street_b.0;

    // Readers related to the unit see it: the street, and a grassroots union under it.
    for who in ["a.viewer", "a.cadre", "ua.cadre"] {
        let api = app.api(who).await;
        let (status, _) = api.get(&format!("/api/v1/campaigns/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{who}");
        let (_, list) = api.get("/api/v1/campaigns").await;
        assert_eq!(
            list.as_array().unwrap().len(),
            1,
            "{who} sees the issued one only"
        );
        let (status, _) = api
            .get(&format!("/api/v1/campaigns/{id}/plans/{sta}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{who}");
        let (status, _) = api.get(&format!("/api/v1/campaigns/{draft}")).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{who}: drafts stay with the issuer"
        );
    }

    let writes: Vec<(Method, String, Value)> = vec![
        (
            Method::PATCH,
            format!("/api/v1/campaigns/{id}"),
            json!({"title": "x"}),
        ),
        (
            Method::POST,
            format!("/api/v1/campaigns/{id}/status"),
            json!({"status": "closed"}),
        ),
        (
            Method::POST,
            format!("/api/v1/campaigns/{id}/copy"),
            json!({}),
        ),
        (
            Method::PUT,
            format!("/api/v1/campaigns/{id}/plans/{sta}"),
            json!({"summary": "x"}),
        ),
        (
            Method::POST,
            format!("/api/v1/campaigns/{id}/plans/{sta}/submit"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/campaigns/{id}/plans/{sta}/accept"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/campaigns/{id}/plans/{sta}/return"),
            json!({"reason": "x"}),
        ),
    ];
    let reads = [
        format!("/api/v1/campaigns/{id}"),
        format!("/api/v1/campaigns/{id}/plans/{sta}"),
        format!("/api/v1/campaigns/{id}/plans/{stb}"),
    ];
    // Another street's cadre and an outsider: 404 everywhere, an empty list.
    for who in ["b.cadre", "outsider"] {
        let api = app.api(who).await;
        let (_, list) = api.get("/api/v1/campaigns").await;
        assert_eq!(list, json!([]), "{who}");
        for path in &reads {
            assert_eq!(
                api.get(path).await.0,
                StatusCode::NOT_FOUND,
                "{who} GET {path}"
            );
        }
        for (m, path, body) in &writes {
            let (status, _) = api.send(m.clone(), path, body.clone()).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{who} {m} {path}");
        }
        let browser = app.browser(who).await;
        for path in [
            format!("/campaigns/{id}"),
            format!("/campaigns/{id}/edit"),
            format!("/campaigns/{id}/plans/{sta}"),
        ] {
            let res = browser.get(app.url(&path)).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{who} GET {path}");
        }
        for path in [
            format!("/campaigns/{id}/edit"),
            format!("/campaigns/{id}/copy"),
            format!("/campaigns/{id}/status"),
            format!("/campaigns/{id}/plans/{sta}"),
            format!("/campaigns/{id}/plans/{sta}/accept"),
            format!("/campaigns/{id}/plans/{sta}/return"),
        ] {
            let res = browser
                .post(app.url(&path))
                .form(&[("status", "closed"), ("reason", "x"), ("title", "x")])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{who} POST {path}");
        }
    }
    // A street that does not take part does not see the other street's plan
    // even as a participant: street A's people cannot open street B's row.
    let (status, _) = app
        .api("a.cadre")
        .await
        .get(&format!("/api/v1/campaigns/{id}/plans/{stb}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A viewer (and a grassroots cadre under the unit) may read but not write: 403.
    for who in ["a.viewer", "ua.cadre"] {
        let api = app.api(who).await;
        for (m, path, body) in &writes {
            let (status, _) = api.send(m.clone(), path, body.clone()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{who} {m} {path}");
        }
    }
    let (status, _) = app
        .api("a.viewer")
        .await
        .post("/api/v1/campaigns", body("x"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Every page renders for the issuer and for the unit.
    let admin_browser = app.browser("district.admin").await;
    for path in [
        "/campaigns".to_string(),
        "/campaigns?status=active".to_string(),
        "/campaigns/new".to_string(),
        format!("/campaigns/{id}"),
        format!("/campaigns/{id}/edit"),
        format!("/campaigns/{draft}/edit"),
        format!("/campaigns/{id}/plans/{sta}"),
    ] {
        let res = admin_browser.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "admin GET {path}");
    }
    let cadre_browser = app.browser("a.cadre").await;
    for path in [
        "/campaigns".to_string(),
        format!("/campaigns/{id}"),
        format!("/campaigns/{id}/plans/{sta}"),
    ] {
        let res = cadre_browser.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "cadre GET {path}");
    }
    let res = cadre_browser
        .get(app.url(&format!("/campaigns/{id}/edit")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // The edit form round-trips: saving it unchanged keeps units and targets.
    let res = admin_browser
        .post(app.url(&format!("/campaigns/{id}/copy")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}
