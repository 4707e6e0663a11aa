//! Problems: the lifecycle through the API, escalation along the chain,
//! visibility on the escalation path, feedback, overdue flags and inboxes.

use qingting::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Api, TestApp};

async fn problem(api: &Api, client_id: &str, description: &str) -> i64 {
    let (status, p) = api
        .post(
            "/api/v1/problems",
            json!({"client_id": client_id, "source": "worker", "topic": "wages",
                   "description": description, "raiser_contact": "13812345678"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    p["id"].as_i64().unwrap()
}

async fn act(api: &Api, id: i64, body: Value) -> (StatusCode, Value) {
    api.post(&format!("/api/v1/problems/{id}/transition"), body)
        .await
}

fn field(err: &Value) -> &str {
    err["error"]["fields"][0]["field"].as_str().unwrap_or("")
}

#[tokio::test]
async fn outcomes_need_their_dates_and_every_step_is_on_the_timeline() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let id = problem(&a, "prob-0001-abcd", "加班费计算不清楚").await;
    let (status, err) = act(
        &a,
        id,
        json!({"action": "decide", "outcome": "in_progress"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&err), "outcome_on");
    assert_eq!(
        err["error"]["fields"][0]["message"],
        "正在解决的问题必须填写完成时限。"
    );
    let (status, err) = act(
        &a,
        id,
        json!({"action": "decide", "outcome": "solved", "outcome_on": "2019-11-02"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&err), "outcome_note");
    let (status, p) = act(
        &a,
        id,
        json!({"action": "decide", "outcome": "in_progress", "outcome_on": "2099-12-31", "outcome_note": "已约企业人事部门"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["state"]["state"], "decided");
    assert_eq!(p["state"]["outcome"], "in_progress");
    assert_eq!(p["state"]["deadline"], "2099-12-31");
    assert_eq!(p["overdue"], false);
    let (status, p) = act(
        &a,
        id,
        json!({"action": "decide", "outcome": "solved", "outcome_on": "2019-11-05", "outcome_note": "企业补发加班费"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // Closing is legal once solved; closing twice is not.
    assert_eq!(
        act(&a, id, json!({"action": "close"})).await.0,
        StatusCode::OK
    );
    let (status, err) = act(&a, id, json!({"action": "close"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&err), "action");
    let (status, err) = act(&a, id, json!({"action": "reopen"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&err), "reason");
    let (_, counts) = a.get("/api/v1/problems/counts").await;
    assert_eq!(
        (counts["solved"].as_i64(), counts["closed"].as_i64()),
        (Some(1), Some(1)),
        "closed and solved are counted apart"
    );
    let (status, p2) = act(
        &a,
        id,
        json!({"action": "reopen", "reason": "职工反映仍未补足"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(p2["state"]["state"], "open");
    let kinds: Vec<&str> = p2["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["created", "decided", "decided", "closed", "reopened"]
    );
    assert_eq!(p2["events"][4]["reason"], "职工反映仍未补足");
    assert_eq!(p2["events"][4]["actor"], "用户a.cadre");
    assert_eq!(p["events"][2]["from_state"], "in_progress");
    assert_eq!(p["events"][2]["to_state"], "solved");
}

#[tokio::test]
async fn escalation_moves_ownership_up_and_the_path_keeps_read_access() {
    let app = TestApp::spawn().await;
    app.user("ua.cadre", app.union_a, Role::Cadre).await;
    let ua = app.api("ua.cadre").await;
    let a = app.api("a.cadre").await;
    let b = app.api("b.cadre").await;
    let district = app.api("district.admin").await;
    let id = problem(&ua, "prob-0002-abcd", "园区没有骑手驿站").await;

    // The grassroots union cannot skip to a non-ancestor; it escalates to its street.
    let (status, err) = act(
        &ua,
        id,
        json!({"action": "escalate", "to_org": app.street_b.0, "reason": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&err), "to_org");
    let (status, err) = act(
        &ua,
        id,
        json!({"action": "escalate", "to_org": app.street_a.0}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&err), "reason");
    let (status, p) = act(
        &ua,
        id,
        json!({"action": "escalate", "to_org": app.street_a.0, "reason": "需要街道协调场地"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["owner_org_id"], app.street_a.0);
    assert_eq!(p["can_act"], false, "the union no longer owns it");

    // The street finds it in its inbox and passes it on to the district.
    let (_, inbox) = a.get("/api/v1/problems?escalated_to_me=yes").await;
    assert_eq!(inbox["total"], 1);
    let (_, counts) = a.get("/api/v1/problems/counts").await;
    assert_eq!(counts["escalated_to_me"], 1);
    let (status, _) = act(
        &a,
        id,
        json!({"action": "escalate", "to_org": app.district.0, "reason": "涉及全区驿站规划"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Everyone on the path still reads it; only the owner acts; the neighbour sees nothing.
    for api in [&ua, &a] {
        let (status, p) = api.get(&format!("/api/v1/problems/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(p["owner_org_id"], app.district.0);
        let (status, _) = act(api, id, json!({"action": "close"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        b.get(&format!("/api/v1/problems/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        act(&b, id, json!({"action": "close"})).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, list) = b.get("/api/v1/problems").await;
    assert_eq!(list["total"], 0);
    let (_, inbox) = a.get("/api/v1/problems?escalated_to_me=yes").await;
    assert_eq!(inbox["total"], 0, "no longer waiting on the street");

    // The district returns it to the street with a reason; the street may then decide.
    let (status, p) = act(
        &district,
        id,
        json!({"action": "return", "reason": "请街道先与园区协商"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["owner_org_id"], app.street_a.0);
    let (status, p) = act(
        &a,
        id,
        json!({"action": "decide", "outcome": "planned", "outcome_on": "2019-12-01"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(p["overdue"], true, "a planned date in the past is overdue");
    let events: Vec<(&str, &str)> = p["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                e["to_org_name"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("created", "甲公司工会"),
            ("escalated", "甲街道总工会"),
            ("escalated", "测试区总工会"),
            ("returned", "甲街道总工会"),
            ("decided", "甲街道总工会"),
        ]
    );
    // The street cannot return it further: it was returned, not escalated, to the street.
    let (_, counts) = a.get("/api/v1/problems/counts").await;
    assert_eq!(counts["overdue"], 1);
    let page = app.browser("a.cadre").await;
    let html = page
        .get(app.url("/problems/overdue"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("园区没有骑手驿站"));
}

#[tokio::test]
async fn feedback_is_recorded_and_contacts_are_shown_only_to_those_who_need_them() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let id = problem(&a, "prob-0003-abcd", "食堂晚上不供餐").await;
    let (status, err) = a
        .post(
            &format!("/api/v1/problems/{id}/feedback"),
            json!({"channel": "fax", "body": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = err["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["channel", "body"]);
    let (status, p) = a
        .post(
            &format!("/api/v1/problems/{id}/feedback"),
            json!({"channel": "phone", "body": "已告知食堂将延长供餐时间", "given_on": "2019-11-03", "satisfaction": "satisfied"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["feedback"][0]["channel"], "phone");
    assert_eq!(p["feedback"][0]["satisfaction"], "satisfied");
    assert_eq!(p["raiser_contact"], "13812345678", "the cadre sees it");
    assert!(app.audit_count("personal_data_viewed").await >= 1);
    let (_, p) = app
        .api("a.viewer")
        .await
        .get(&format!("/api/v1/problems/{id}"))
        .await;
    assert_eq!(p["raiser_contact"], "138****5678");
    let (status, _) = app
        .api("a.viewer")
        .await
        .post(
            &format!("/api/v1/problems/{id}/feedback"),
            json!({"channel": "phone", "body": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .api("b.cadre")
        .await
        .post(
            &format!("/api/v1/problems/{id}/feedback"),
            json!({"channel": "phone", "body": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = a.get("/api/v1/problems?q=%E9%A3%9F%E5%A0%82").await; // 食堂
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["raiser_contact"], "138****5678");
}

#[tokio::test]
async fn main_flags_filters_and_pages() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let id = problem(&a, "prob-0004-abcd", "工资发放不及时").await;
    problem(&a, "prob-0005-abcd", "希望开展法律讲座").await;
    let (status, p) = a
        .post(
            &format!("/api/v1/problems/{id}/main"),
            json!({"main": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(p["is_main"], true);
    let (_, list) = a.get("/api/v1/problems?main=yes").await;
    assert_eq!(list["total"], 1);
    let (_, list) = a
        .get("/api/v1/problems?status=open&source=worker&topic=wages")
        .await;
    assert_eq!(list["total"], 2);
    let (status, err) = a.get("/api/v1/problems?status=maybe").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&err), "status");
    let (status, _) = app
        .api("a.viewer")
        .await
        .post(
            &format!("/api/v1/problems/{id}/main"),
            json!({"main": false}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let page = app.browser("a.cadre").await;
    for path in [
        "/problems".to_string(),
        "/problems/inbox".to_string(),
        "/problems/overdue".to_string(),
        format!("/problems/{id}"),
        "/activities".to_string(),
        "/activities/new".to_string(),
    ] {
        let res = page.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
    let other = app.browser("b.cadre").await;
    let res = other
        .get(app.url(&format!("/problems/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = other
        .post(app.url(&format!("/problems/{id}/transition")))
        .form(&[("action", "close")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // A decision through the page form.
    let res = page
        .post(app.url(&format!("/problems/{id}/transition")))
        .form(&[
            ("action", "decide"),
            ("outcome", "planned"),
            ("outcome_on", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("计划解决的问题必须填写计划时间")
    );
    let res = page
        .post(app.url(&format!("/problems/{id}/transition")))
        .form(&[("action", "decide"), ("outcome", "reference")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_retried_problem_is_recorded_once() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let body = json!({"client_id": "prob-0006-abcd", "source": "union", "topic": "organisation", "description": "建会难"});
    let (s1, p1) = a.post("/api/v1/problems", body.clone()).await;
    let (s2, p2) = a.post("/api/v1/problems", body).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(p1["id"], p2["id"]);
}

#[tokio::test]
async fn exports_read_back_with_the_callers_rows_and_neutralised_formulas() {
    use calamine::{Reader, Xlsx};
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    problem(&a, "prob-0007-abcd", "=HYPERLINK(\"http://x\")").await;
    problem(&a, "prob-0008-abcd", "夜班没有热饭").await;
    problem(&app.api("b.cadre").await, "prob-0009-abcd", "乙街道的问题").await;
    // Without credentials: the JSON error, not a redirect to the login page.
    for ext in ["xlsx", "csv"] {
        let res = app
            .anonymous()
            .get(app.url(&format!("/api/v1/problems/export.{ext}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{ext}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthenticated", "{ext}");
    }
    // A bearer token works as well as the session.
    let res = a
        .client
        .get(app.url("/api/v1/problems/export.csv"))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let page = app.browser("a.cadre").await;
    let res = page
        .get(app.url("/api/v1/problems/export.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("problems-")
    );
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 3, "a header and street A's two problems");
    assert_eq!(rows[0][7], "问题描述");
    let descriptions: Vec<&str> = rows[1..].iter().map(|r| r[7].as_str()).collect();
    assert!(descriptions.contains(&"夜班没有热饭"));
    assert!(!descriptions.contains(&"乙街道的问题"));
    assert_eq!(rows[1][15], "138****5678", "contacts are masked in exports");
    let csv = page
        .get(app.url("/api/v1/problems/export.csv?q=HYPERLINK"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert_eq!(csv.lines().count(), 2);
    assert_eq!(app.audit_count("export").await, 3);
    let xlsx = page
        .get(app.url("/api/v1/activities/export.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    let other = app.browser("b.cadre").await;
    for ext in ["xlsx", "csv"] {
        let res = other
            .get(app.url(&format!(
                "/api/v1/problems/export.{ext}?org={}",
                app.street_a.0
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{ext}");
    }
    // The list page links to the exports under /api/v1.
    let html = page
        .get(app.url("/problems"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("href=\"/api/v1/problems/export.xlsx"),
        "{html}"
    );
}

#[tokio::test]
async fn bulk_actions_change_only_what_the_caller_owns() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let b = app.api("b.cadre").await;
    let mine = problem(&a, "prob-0010-abcd", "一").await;
    let mine2 = problem(&a, "prob-0011-abcd", "二").await;
    let theirs = problem(&b, "prob-0012-abcd", "三").await;
    let (status, r) = a
        .post(
            "/api/v1/problems/bulk",
            json!({"ids": [mine, mine2, theirs], "action": "topic", "topic": "safety"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(
        (r["updated"].as_u64(), r["skipped"].as_u64()),
        (Some(2), Some(1))
    );
    let (_, p) = b.get(&format!("/api/v1/problems/{theirs}")).await;
    assert_eq!(
        p["topic_zh"], "工资收入",
        "another street's problem is untouched"
    );
    let (status, r) = a
        .post(
            "/api/v1/problems/bulk",
            json!({"ids": [mine], "action": "assign", "assignee": "b.cadre"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert_eq!(field(&r), "assignee");
    let (status, _) = a
        .post(
            "/api/v1/problems/bulk",
            json!({"ids": [mine, mine2], "action": "assign", "assignee": "a.admin"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, p) = a.get(&format!("/api/v1/problems/{mine2}")).await;
    assert_eq!(p["assignee_name"], "用户a.admin");
    let page = app.browser("a.cadre").await;
    let res = page
        .post(app.url("/problems/bulk"))
        .form(&[
            ("ids", mine.to_string().as_str()),
            ("ids", theirs.to_string().as_str()),
            ("action", "main"),
            ("back", "/problems?source=worker"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        "/problems?source=worker&updated=1&skipped=1"
    );
    let (status, _) = app
        .api("a.viewer")
        .await
        .post(
            "/api/v1/problems/bulk",
            json!({"ids": [mine], "action": "main"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_top_federation_keeps_the_topic_list() {
    let app = TestApp::spawn().await;
    let district = app.api("district.admin").await;
    let (status, t) = district
        .post(
            "/api/v1/topics",
            json!({"code": "housing", "name_zh": "住房", "name_en": "Housing", "display_order": 8}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let (status, err) = district
        .post(
            "/api/v1/topics",
            json!({"code": "Housing!", "name_zh": "", "name_en": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = err["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["code", "name_zh"]);
    let (status, _) = district
        .post(
            "/api/v1/topics",
            json!({"code": "housing", "name_zh": "住房", "name_en": "Housing"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "codes are unique");
    // A street admin reads the list but does not edit it.
    let street = app.api("a.admin").await;
    let (_, list) = street.get("/api/v1/topics").await;
    assert_eq!(list.as_array().unwrap().len(), 8);
    let (status, _) = street
        .post(
            "/api/v1/topics",
            json!({"code": "x1", "name_zh": "某", "name_en": "X"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let id = t["id"].as_i64().unwrap();
    let (status, _) = street
        .patch(&format!("/api/v1/topics/{id}"), json!({"active": false}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Used, then retired: old problems keep it, new ones cannot take it.
    let a = app.api("a.cadre").await;
    let (status, p) = a
        .post(
            "/api/v1/problems",
            json!({"client_id": "prob-0013-abcd", "source": "worker", "topic": "housing", "description": "宿舍紧张"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let (status, t) = district
        .patch(
            &format!("/api/v1/topics/{id}"),
            json!({"active": false, "name_zh": "住房保障"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (t["active"].as_bool(), t["problems"].as_i64()),
        (Some(false), Some(1))
    );
    assert_eq!(
        t["name_en"], "Housing",
        "a PATCH keeps what it does not name"
    );
    let (status, err) = a
        .post(
            "/api/v1/problems",
            json!({"client_id": "prob-0014-abcd", "source": "worker", "topic": "housing", "description": "宿舍紧张"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&err), "topic");
    let page = app.browser("a.cadre").await;
    let html = page
        .get(app.url("/topics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("住房保障") && !html.contains("form=\"topic-"));
}

#[tokio::test]
async fn the_list_sorts_by_the_nearest_deadline() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let later = problem(&a, "prob-0015-abcd", "晚").await;
    let sooner = problem(&a, "prob-0016-abcd", "早").await;
    let undated = problem(&a, "prob-0017-abcd", "无期").await;
    for (id, day) in [(later, "2099-12-01"), (sooner, "2099-01-01")] {
        let (status, _) = act(
            &a,
            id,
            json!({"action": "decide", "outcome": "planned", "outcome_on": day}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (_, list) = a.get("/api/v1/problems?sort=due").await;
    let ids: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [sooner, later, undated]);
    let (_, list) = a.get("/api/v1/problems?sort=old").await;
    assert_eq!(list["items"][0]["id"], later);
    let (status, err) = a.get("/api/v1/problems?sort=random").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&err), "sort");
}

#[tokio::test]
async fn the_document_types_the_state_and_the_exports() {
    let app = TestApp::spawn().await;
    let doc = app.openapi().await;
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["Problem"]["properties"]["state"]["$ref"],
        "#/components/schemas/ProblemState"
    );
    assert_eq!(
        schemas["ProblemState"]["properties"]["outcome"]["oneOf"][1]["$ref"],
        "#/components/schemas/OutcomeKind",
        "{}",
        schemas["ProblemState"]
    );
    assert_eq!(
        schemas["OutcomeKind"]["enum"],
        json!(["solved", "in_progress", "planned", "reference"])
    );
    for (ext, mime) in [
        (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("csv", "text/csv"),
    ] {
        let get = &doc["paths"][format!("/api/v1/problems/export.{ext}")]["get"];
        assert!(
            get["responses"]["200"]["content"][mime].is_object(),
            "{get}"
        );
        assert!(get["responses"]["401"].is_object(), "{get}");
    }
}
