//! Special reports: a report's figures equal the analysis and the problem
//! list they cite, and every link leads to its records; versions freeze the
//! figures; the submission workflow with its refusals and retries; the
//! issuing org reads what was submitted to it; every route refuses callers
//! outside the author's subtree (404) and viewers' writes (403); DOCX and PDF
//! read back.

use std::io::Read;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Api, TestApp};

fn form_json() -> Value {
    json!({
        "title": "骑手收入调查",
        "items": [
            {"name": "worker_group", "kind": "select_one", "choices": "groups", "required": true, "label": "您的职业"},
            {"name": "region", "kind": "select_one", "choices": "regions", "label": "地区"},
            {"name": "income", "kind": "select_one", "choices": "change", "label": "收入变化"},
            {"name": "age", "kind": "integer", "label": "年龄"},
            {"name": "advice", "kind": "text", "label": "建议"}
        ],
        "choice_lists": [
            {"name": "groups", "choices": [{"name": "courier", "label": "快递员"}, {"name": "food_delivery", "label": "外卖配送员"}]},
            {"name": "regions", "choices": [{"name": "shanghai", "label": "上海"}, {"name": "beijing", "label": "北京"}]},
            {"name": "change", "choices": [{"name": "up", "label": "增加了"}, {"name": "same", "label": "差不多"}, {"name": "down", "label": "减少了"}]}
        ]
    })
}

fn answers() -> Vec<Value> {
    vec![
        json!({"worker_group": "courier", "region": "shanghai", "income": "up", "age": 22, "advice": "希望多建骑手驿站"}),
        json!({"worker_group": "courier", "region": "beijing", "income": "down", "age": 31, "advice": "平台抽成太高，收入在下降"}),
        json!({"worker_group": "courier", "region": "shanghai", "income": "down", "age": 40}),
        json!({"worker_group": "food_delivery", "region": "shanghai", "income": "same", "age": 28, "advice": "等餐没有地方休息"}),
        json!({"worker_group": "food_delivery", "region": "beijing", "income": "up", "age": 35}),
    ]
}

struct Fx {
    api: Api,
    campaign: i64,
    survey: i64,
    code: String,
    responses: Vec<i64>,
    activity: i64,
}

async fn respond(app: &TestApp, code: &str, i: usize, answers: Value) -> i64 {
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/s/{code}/responses")))
        .json(
            &json!({"instance_id": format!("report-{i:04}"), "answers": answers,
                      "started_at": 1_795_000_000i64, "ended_at": 1_795_000_200i64 + i as i64}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

/// A campaign of the district; street A's survey in it with five responses;
/// a visit of street A with notes and two problems.
async fn fixture(app: &TestApp) -> Fx {
    let campaign = crate::activities::campaign(app, app.district).await;
    for unit in [app.street_a, app.street_b] {
        sqlx::query("INSERT INTO campaign_units (campaign_id, org_id) VALUES ($1, $2)")
            .bind(campaign)
            .bind(unit)
            .execute(app.db.pool())
            .await
            .unwrap();
    }
    let api = app.api("a.cadre").await;
    let (status, body) = api
        .post(
            "/api/v1/surveys",
            json!({"title": "骑手收入调查", "campaign_id": campaign.0.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let survey = body["survey"]["id"].as_i64().unwrap();
    let code = body["survey"]["code"].as_str().unwrap().to_string();
    let (status, body) = api
        .send(
            Method::PUT,
            &format!("/api/v1/surveys/{survey}/form"),
            form_json(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = api
        .post(&format!("/api/v1/surveys/{survey}/publish"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut responses = Vec::new();
    for (i, a) in answers().into_iter().enumerate() {
        responses.push(respond(app, &code, i, a).await);
    }
    let e = crate::activities::enterprise(app, "a.cadre", "91310110MA1G8XXX2B", "STA").await;
    let (status, visit) = api
        .post(
            "/api/v1/activities",
            crate::activities::visit("report-visit-1", Some(campaign), json!([e])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{visit}");
    Fx {
        api,
        campaign: campaign.0,
        survey,
        code,
        responses,
        activity: visit["id"].as_i64().unwrap(),
    }
}

fn report_json(f: &Fx, client_id: &str) -> Value {
    json!({
        "client_id": client_id,
        "campaign_id": f.campaign,
        "title": "快递员群体专题调研报告",
        "worker_group": "courier",
        "sections": [
            {"heading": "一、收入情况", "text": "快递员的收入变化如下。\n第二段。", "elements": [
                {"kind": "analysis", "survey_id": f.survey, "question": "income", "display": "chart", "group": "courier"},
                {"kind": "analysis", "survey_id": f.survey, "question": "income", "display": "table", "by": "region"}
            ]},
            {"heading": "二、反映的问题", "text": "问题办理情况和职工原话。", "elements": [
                {"kind": "problems"},
                {"kind": "survey_quotes", "survey_id": f.survey, "question": "advice",
                 "response_ids": [f.responses[0], f.responses[1]]},
                {"kind": "activity_quotes", "activity_ids": [f.activity]}
            ]}
        ]
    })
}

async fn create(f: &Fx) -> i64 {
    let (status, body) = f
        .api
        .post("/api/v1/reports", report_json(f, "rep-0001"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["report"]["id"].as_i64().unwrap()
}

fn figure(detail: &Value, section: usize, i: usize) -> &Value {
    &detail["live"]["sections"][section]["figures"][i]
}

fn counts(fig: &Value) -> Vec<Vec<Option<i64>>> {
    fig["table"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|c| c["count"].as_i64())
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn report_figures_equal_the_analysis_and_problem_list_they_cite() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let id = create(&f).await;
    // A retried create finds the first report.
    let (status, again) = f
        .api
        .post("/api/v1/reports", report_json(&f, "rep-0001"))
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["report"]["id"].as_i64(), Some(id));
    assert_eq!(again["created"], false);

    let (status, d) = f.api.get(&format!("/api/v1/reports/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{d}");

    // The chart: the analysis of the same question with the same filter.
    let (_, a) = f
        .api
        .get(&format!(
            "/api/v1/surveys/{}/analysis?group=courier",
            f.survey
        ))
        .await;
    let q = a["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "income")
        .unwrap();
    let fig = figure(&d, 0, 0);
    assert_eq!(fig["kind"], "chart");
    let rows = counts(fig);
    for (i, c) in q["choices"].as_array().unwrap().iter().enumerate() {
        assert_eq!(rows[i][1], c["count"].as_i64(), "choice {i}");
        let bar = fig["chart"]["series"][0]["values"][i].as_f64().unwrap();
        assert!((bar - c["percent"].as_f64().unwrap()).abs() < 1e-9);
    }
    assert_eq!(rows.last().unwrap()[1], q["answered"].as_i64());
    assert_eq!(q["answered"], 3, "three couriers");

    // The cross-tab: the analysis's cross-tab of the question by region.
    let (_, x) = f
        .api
        .get(&format!(
            "/api/v1/surveys/{}/analysis?row=income&by=region",
            f.survey
        ))
        .await;
    let cells = x["crosstab"]["cells"].as_array().unwrap();
    let rows = counts(figure(&d, 0, 1));
    for (r, row) in cells.iter().enumerate() {
        for (c, n) in row.as_array().unwrap().iter().enumerate() {
            assert_eq!(rows[r][c + 1], n.as_i64(), "cell {r},{c}");
        }
    }

    // The problem summary: each cell equals the problem list filtered by its link.
    let fig = figure(&d, 1, 0);
    assert_eq!(fig["kind"], "problems");
    let mut seen = 0;
    for row in fig["table"]["rows"].as_array().unwrap() {
        for cell in row.as_array().unwrap().iter().skip(1) {
            let link = cell["link"].as_str().unwrap();
            let api_path = link.replacen("/problems", "/api/v1/problems", 1);
            let (status, list) = f.api.get(&api_path).await;
            assert_eq!(status, StatusCode::OK, "{api_path}");
            assert_eq!(list["total"].as_i64(), cell["count"].as_i64(), "{link}");
            seen += 1;
        }
    }
    assert!(seen >= 14);
    let total = fig["table"]["rows"].as_array().unwrap().last().unwrap();
    assert_eq!(total.as_array().unwrap().last().unwrap()["count"], 2);

    // Quotes: the chosen answers and the visit's notes, linked to their records.
    let quotes = figure(&d, 1, 1)["quotes"].as_array().unwrap();
    assert_eq!(quotes.len(), 2);
    assert_eq!(quotes[0]["text"], "希望多建骑手驿站");
    let notes = figure(&d, 1, 2)["quotes"].as_array().unwrap();
    assert_eq!(notes[0]["text"], "与外卖骑手座谈，了解用餐和休息情况");

    // Every evidence link opens its page for a reader of the report.
    let browser = app.browser("a.cadre").await;
    let mut links: Vec<String> = Vec::new();
    for s in d["live"]["sections"].as_array().unwrap() {
        for fig in s["figures"].as_array().unwrap() {
            if let Some(l) = fig["link"].as_str() {
                links.push(l.into());
            }
            for q in fig["quotes"].as_array().into_iter().flatten() {
                links.push(q["link"].as_str().unwrap().into());
            }
        }
    }
    assert!(links.len() >= 6, "{links:?}");
    for l in &links {
        let res = browser.get(app.url(l)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{l}");
    }
    // The report's own page shows the figures and links them.
    let page = browser
        .get(app.url(&format!("/reports/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<svg class=\"report-chart\""));
    assert!(page.contains("希望多建骑手驿站"));
    assert!(page.contains(&format!("/surveys/{}/analysis?group=courier", f.survey)));
    let edit = browser
        .get(app.url(&format!("/reports/{id}/edit")))
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status(), StatusCode::OK);
    let (status, list) = f
        .api
        .get(&format!("/api/v1/reports?campaign={}", f.campaign))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let list_page = browser.get(app.url("/reports")).send().await.unwrap();
    assert_eq!(list_page.status(), StatusCode::OK);
}

#[tokio::test]
async fn report_versions_freeze_the_figures() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let id = create(&f).await;
    let (status, v) = f
        .api
        .post(
            &format!("/api/v1/reports/{id}/versions"),
            json!({"name": "初稿", "seen": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["number"], 1);
    // A retry of the same save stores nothing new.
    let (status, again) = f
        .api
        .post(
            &format!("/api/v1/reports/{id}/versions"),
            json!({"name": "初稿", "seen": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["number"], 1);

    let up = |d: &Value| counts(&d["sections"][0]["figures"][0])[0][1];
    let (_, v1) = f.api.get(&format!("/api/v1/reports/{id}/versions/1")).await;
    assert_eq!(up(&v1["snapshot"]), Some(1));
    // A new courier whose income went up: the live report changes, the version does not.
    respond(
        &app,
        &f.code,
        50,
        json!({"worker_group": "courier", "region": "beijing", "income": "up", "age": 26}),
    )
    .await;
    let (_, d) = f.api.get(&format!("/api/v1/reports/{id}")).await;
    assert_eq!(up(&d["live"]), Some(2));
    let (_, v1) = f.api.get(&format!("/api/v1/reports/{id}/versions/1")).await;
    assert_eq!(up(&v1["snapshot"]), Some(1));
    let (_, versions) = f.api.get(&format!("/api/v1/reports/{id}/versions")).await;
    assert_eq!(versions.as_array().unwrap().len(), 1);
    // The version's page and its downloads.
    let browser = app.browser("a.cadre").await;
    let page = browser
        .get(app.url(&format!("/reports/{id}/versions/1")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(app.audit_count("report_version_saved").await, 1);
}

#[tokio::test]
async fn report_submission_workflow_and_its_refusals() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let id = create(&f).await;
    let viewer = app.api("a.viewer").await;
    let admin = app.api("district.admin").await;

    // Viewers read but may not write.
    let (status, _) = viewer.get(&format!("/api/v1/reports/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    for (m, path, body) in [
        (
            Method::PUT,
            format!("/api/v1/reports/{id}"),
            report_json(&f, "x"),
        ),
        (
            Method::POST,
            format!("/api/v1/reports/{id}/submit"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/reports/{id}/versions"),
            json!({}),
        ),
    ] {
        let (status, _) = viewer.send(m, &path, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    // Nothing to decide on a draft.
    let (status, _) = admin
        .post(&format!("/api/v1/reports/{id}/accept"), json!({}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (status, s1) = f
        .api
        .post(&format!("/api/v1/reports/{id}/submit"), json!({"seen": 0}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s1}");
    assert_eq!(s1["kind"], "submitted");
    assert_eq!(s1["late"], true, "the 2019 deadline has passed");
    let (status, retry) = f
        .api
        .post(&format!("/api/v1/reports/{id}/submit"), json!({"seen": 0}))
        .await;
    assert_eq!(status, StatusCode::OK, "{retry}");
    assert_eq!(retry["number"], s1["number"]);

    // Submitted: no edits; the author's street cannot decide; the district can.
    let (status, _) = f
        .api
        .send(
            Method::PUT,
            &format!("/api/v1/reports/{id}"),
            report_json(&f, "x"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = f
        .api
        .post(&format!("/api/v1/reports/{id}/accept"), json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = admin
        .post(
            &format!("/api/v1/reports/{id}/return"),
            json!({"reason": "  "}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, r) = admin
        .post(
            &format!("/api/v1/reports/{id}/return"),
            json!({"reason": "请补充典型案例"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "returned");

    // Returned: editable again, resubmitted, accepted, final.
    let mut changed = report_json(&f, "x");
    changed["title"] = json!("快递员群体专题调研报告（修改稿）");
    let (status, r) = f
        .api
        .send(Method::PUT, &format!("/api/v1/reports/{id}"), changed)
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let (status, s2) = f
        .api
        .post(&format!("/api/v1/reports/{id}/submit"), json!({"seen": 1}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s2}");
    assert_eq!(s2["number"], 2);
    let (status, r) = admin
        .post(&format!("/api/v1/reports/{id}/accept"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "accepted");
    let (status, _) = admin
        .post(&format!("/api/v1/reports/{id}/accept"), json!({}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (_, d) = f.api.get(&format!("/api/v1/reports/{id}")).await;
    let kinds: Vec<&str> = d["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "submitted",
            "returned",
            "saved",
            "submitted",
            "accepted"
        ]
    );
    assert_eq!(d["timeline"][2]["reason"], "请补充典型案例");
    assert_eq!(app.audit_count("report_submitted").await, 2);
    assert_eq!(app.audit_count("report_returned").await, 1);
    assert_eq!(app.audit_count("report_accepted").await, 1);

    // The dashboards' figures.
    let (status, c) = admin
        .get(&format!("/api/v1/reports/counts?campaign={}", f.campaign))
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["counts"]["total"], 1);
    assert_eq!(c["counts"]["accepted"], 1);
    assert_eq!(c["counts"]["late"], 1);
    assert_eq!(c["counts"]["on_time"], 0);
    assert_eq!(c["monthly"].as_array().unwrap().len(), 1);
    let (_, c) = admin
        .get(&format!("/api/v1/reports/counts?org={}", app.street_b.0))
        .await;
    assert_eq!(c["counts"]["total"], 0);
}

#[tokio::test]
async fn report_routes_are_refused_outside_the_subtree_and_the_issuer_reads_once_submitted() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let id = create(&f).await;
    let outsider = app.api("b.cadre").await;
    let routes: Vec<(Method, String, Value)> = vec![
        (Method::GET, format!("/api/v1/reports/{id}"), Value::Null),
        (
            Method::PUT,
            format!("/api/v1/reports/{id}"),
            report_json(&f, "x"),
        ),
        (
            Method::POST,
            format!("/api/v1/reports/{id}/preview"),
            json!({"element": {"kind": "problems"}}),
        ),
        (
            Method::GET,
            format!("/api/v1/reports/{id}/sources"),
            Value::Null,
        ),
        (
            Method::GET,
            format!("/api/v1/reports/{id}/candidates?source=activities"),
            Value::Null,
        ),
        (
            Method::GET,
            format!("/api/v1/reports/{id}/versions"),
            Value::Null,
        ),
        (
            Method::POST,
            format!("/api/v1/reports/{id}/versions"),
            json!({}),
        ),
        (
            Method::GET,
            format!("/api/v1/reports/{id}/versions/1"),
            Value::Null,
        ),
        (
            Method::POST,
            format!("/api/v1/reports/{id}/submit"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/reports/{id}/accept"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/reports/{id}/return"),
            json!({"reason": "x"}),
        ),
        (
            Method::GET,
            format!("/api/v1/reports/{id}/export?format=pdf"),
            Value::Null,
        ),
    ];
    for (m, path, body) in &routes {
        let (status, _) = outsider.send(m.clone(), path, body.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{m} {path}");
    }
    let b = app.browser("b.cadre").await;
    for path in [
        format!("/reports/{id}"),
        format!("/reports/{id}/edit"),
        format!("/api/v1/reports/{id}/report.docx"),
        format!("/reports/{id}/versions/1"),
    ] {
        let res = b.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let (_, list) = outsider.get("/api/v1/reports").await;
    assert_eq!(list.as_array().unwrap().len(), 0);
    // A report may not be made for an org outside the caller's reach, nor cite
    // a survey the caller cannot read.
    let mut other = report_json(&f, "rep-b");
    other["org_id"] = json!(app.street_a.0);
    let (status, _) = outsider.post("/api/v1/reports", other).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let b_campaign = crate::activities::campaign(&app, app.street_b).await;
    let mut cites = report_json(&f, "rep-b2");
    cites["campaign_id"] = json!(b_campaign.0);
    let (status, body) = outsider.post("/api/v1/reports", cites).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // A campaign issued by street B with street A taking part: B reads A's
    // report once it is submitted, and decides on it.
    let c: i64 = sqlx::query_scalar(
        "INSERT INTO campaigns (org_id, title, doc_number, starts_on, ends_on, report_due_on, status, \
         created_at, updated_at) VALUES ($1, '乙街道专题调研', NULL, '2026-01-01', '2026-12-31', '2099-12-31', 'active', 0, 0) RETURNING id",
    )
    .bind(app.street_b)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    sqlx::query("INSERT INTO campaign_units (campaign_id, org_id) VALUES ($1, $2)")
        .bind(c)
        .bind(app.street_a)
        .execute(app.db.pool())
        .await
        .unwrap();
    let (status, made) = f
        .api
        .post(
            "/api/v1/reports",
            json!({"client_id": "rep-c", "campaign_id": c, "title": "外卖配送员专题", "topic": "safety",
                   "sections": [{"heading": "一、情况", "text": "正文", "elements": [{"kind": "problems"}]}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let rid = made["report"]["id"].as_i64().unwrap();
    let (status, _) = outsider.get(&format!("/api/v1/reports/{rid}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a draft is the author's own");
    let (status, s) = f
        .api
        .post(&format!("/api/v1/reports/{rid}/submit"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(s["late"], false);
    let (status, d) = outsider.get(&format!("/api/v1/reports/{rid}")).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["can_edit"], false);
    assert_eq!(d["can_decide"], true);
    let (status, _) = outsider
        .send(
            Method::PUT,
            &format!("/api/v1/reports/{rid}"),
            json!({"title": "x", "topic": "safety"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, r) = outsider
        .post(&format!("/api/v1/reports/{rid}/accept"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
}

/// The text of a PDF by poppler's pdftotext.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn download(app: &TestApp, api: &Api, path: &str) -> (StatusCode, Vec<u8>) {
    let res = app
        .anonymous()
        .get(app.url(path))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    (res.status(), res.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn report_exports_read_back_as_docx_and_pdf() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let id = create(&f).await;
    let (_, d) = f.api.get(&format!("/api/v1/reports/{id}")).await;
    // The percentage of couriers whose income went down, as the figure prints it.
    let pct = figure(&d, 0, 0)["table"]["rows"][2][2]
        .as_str()
        .or_else(|| figure(&d, 0, 0)["table"]["rows"][2][2]["text"].as_str())
        .unwrap()
        .to_string();
    assert_eq!(pct, "66.7%");

    let (status, docx) = download(
        &app,
        &f.api,
        &format!("/api/v1/reports/{id}/export?format=docx"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // QT_REPORT_DUMP=dir keeps the files to look at.
    let dump = std::env::var("QT_REPORT_DUMP").ok();
    if let Some(dir) = &dump {
        std::fs::write(format!("{dir}/report.docx"), &docx).unwrap();
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    for want in [
        "快递员群体专题调研报告",
        "一、收入情况",
        "收入变化",
        &pct,
        "希望多建骑手驿站",
        "与外卖骑手座谈",
    ] {
        assert!(xml.contains(want), "DOCX lacks {want}");
    }
    let images = (0..zip.len())
        .filter(|i| {
            zip.by_index(*i)
                .unwrap()
                .name()
                .unwrap_or_default()
                .starts_with("word/media/")
        })
        .count();
    assert!(images >= 1, "the chart is embedded as a picture");

    let (status, pdf) = download(
        &app,
        &f.api,
        &format!("/api/v1/reports/{id}/export?format=pdf"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf.starts_with(b"%PDF"));
    if let Some(dir) = &dump {
        std::fs::write(format!("{dir}/report.pdf"), &pdf).unwrap();
    }
    let text = pdf_text(&pdf);
    let flat: String = text.split_whitespace().collect();
    for want in [
        "快递员群体专题调研报告",
        "一、收入情况",
        "收入变化",
        &pct,
        "希望多建骑手驿站",
        "与外卖骑手座谈",
    ] {
        assert!(flat.contains(want), "PDF lacks {want}: {text}");
    }
    // A stored version exports too, and unknown formats are refused.
    let (status, _) = f
        .api
        .post(&format!("/api/v1/reports/{id}/versions"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, pdf) = download(
        &app,
        &f.api,
        &format!("/api/v1/reports/{id}/export?format=pdf&version=1"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let text: String = pdf_text(&pdf).split_whitespace().collect();
    assert!(text.contains("第1版"), "{text}");
    let (status, _) = download(
        &app,
        &f.api,
        &format!("/api/v1/reports/{id}/export?format=odt"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.audit_count("export").await, 3);
}

/// The elements citing each source kind of the fixture: analysis chart,
/// cross-tab, survey quotes, activity-note quotes.
fn cited(f: &Fx) -> Vec<Value> {
    vec![
        json!({"kind": "analysis", "survey_id": f.survey, "question": "income", "display": "chart"}),
        json!({"kind": "analysis", "survey_id": f.survey, "question": "income", "display": "table", "by": "region"}),
        json!({"kind": "survey_quotes", "survey_id": f.survey, "question": "advice",
               "response_ids": [f.responses[0], f.responses[1]]}),
        json!({"kind": "activity_quotes", "activity_ids": [f.activity]}),
    ]
}

/// Refused from candidates (404), preview and save (422 naming the element),
/// and the sources list leaves the survey out.
async fn refused_citations(api: &Api, f: &Fx, id: i64) {
    let (status, body) = api
        .get(&format!(
            "/api/v1/reports/{id}/candidates?source=survey&survey={}&question=advice",
            f.survey
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, notes) = api
        .get(&format!(
            "/api/v1/reports/{id}/candidates?source=activities"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(notes["notes"].as_array().unwrap().len(), 0, "{notes}");
    for e in cited(f) {
        let (status, body) = api
            .post(
                &format!("/api/v1/reports/{id}/preview"),
                json!({"element": e}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}: {body}");
        assert_eq!(
            body["error"]["fields"][0]["field"], "sections[0].elements[0]",
            "{body}"
        );
        let (status, body) = api
            .send(
                Method::PUT,
                &format!("/api/v1/reports/{id}"),
                json!({"title": "引用", "worker_group": "courier", "sections": [{"heading": "一", "text": "", "elements": [{"kind": "problems"}, e]}]}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}: {body}");
        assert_eq!(
            body["error"]["fields"][0]["field"],
            "sections[0].elements[1]"
        );
    }
    let (status, sources) = api.get(&format!("/api/v1/reports/{id}/sources")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !sources
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"].as_i64() == Some(f.survey)),
        "{sources}"
    );
}

#[tokio::test]
async fn report_citations_are_read_with_the_callers_own_scope() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;

    // Inside: street A's cadre previews every kind and lists the answers.
    let own = create(&f).await;
    let (status, c) = f
        .api
        .get(&format!(
            "/api/v1/reports/{own}/candidates?source=survey&survey={}&question=advice",
            f.survey
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["answers"].as_array().unwrap().len(), 3);
    for e in cited(&f) {
        let (status, p) = f
            .api
            .post(
                &format!("/api/v1/reports/{own}/preview"),
                json!({"element": e}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{e}: {p}");
        assert_ne!(p["figure"]["kind"], "unavailable", "{e}: {p}");
    }

    // Street B takes part in the same campaign but cannot read street A's
    // survey (which belongs to the campaign) nor its visit.
    let b = app.api("b.cadre").await;
    let (status, _) = b.get(&format!("/api/v1/surveys/{}", f.survey)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, made) = b
        .post(
            "/api/v1/reports",
            json!({"client_id": "rep-b", "campaign_id": f.campaign, "title": "乙街道报告", "worker_group": "courier",
                   "sections": [{"heading": "一", "text": "", "elements": [{"kind": "problems"}]}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let bid = made["report"]["id"].as_i64().unwrap();
    refused_citations(&b, &f, bid).await;

    // A survey of the district in its campaign (as a national survey in a
    // national campaign): street A's cadre cannot cite it any more.
    sqlx::query("UPDATE surveys SET org_id = $1 WHERE id = $2")
        .bind(app.district)
        .bind(f.survey)
        .execute(app.db.pool())
        .await
        .unwrap();
    let (status, _) = f.api.get(&format!("/api/v1/surveys/{}", f.survey)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, fresh) = f
        .api
        .post(
            "/api/v1/reports",
            json!({"client_id": "rep-a2", "campaign_id": f.campaign, "title": "甲街道报告", "worker_group": "courier",
                   "sections": [{"heading": "一", "text": "", "elements": [{"kind": "problems"}]}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{fresh}");
    let aid = fresh["report"]["id"].as_i64().unwrap();
    for e in cited(&f).into_iter().take(3) {
        let (status, body) = f
            .api
            .post(
                &format!("/api/v1/reports/{aid}/preview"),
                json!({"element": e}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}: {body}");
    }
    let (status, _) = f
        .api
        .get(&format!(
            "/api/v1/reports/{aid}/candidates?source=survey&survey={}&question=advice",
            f.survey
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Its earlier report, saved when it could: the live figures are now
    // unavailable to it, and the district (which reads the survey) sees them.
    let (status, d) = f.api.get(&format!("/api/v1/reports/{own}")).await;
    assert_eq!(status, StatusCode::OK);
    for (s, i) in [(0, 0), (0, 1), (1, 1)] {
        assert_eq!(figure(&d, s, i)["kind"], "unavailable", "{s}.{i}");
    }
    let admin = app.api("district.admin").await;
    let (_, d) = admin.get(&format!("/api/v1/reports/{own}")).await;
    assert_eq!(figure(&d, 0, 0)["kind"], "chart");
    assert_eq!(figure(&d, 1, 1)["quotes"].as_array().unwrap().len(), 2);
    sqlx::query("UPDATE surveys SET org_id = $1 WHERE id = $2")
        .bind(app.street_a)
        .bind(f.survey)
        .execute(app.db.pool())
        .await
        .unwrap();

    // Save + view: street A's report with every kind, submitted to a campaign
    // street B issued. B reads the report, but the live figures only through
    // its own scope: no survey, problem or visit note of street A.
    let c: i64 = sqlx::query_scalar(
        "INSERT INTO campaigns (org_id, title, doc_number, starts_on, ends_on, report_due_on, status, \
         created_at, updated_at) VALUES ($1, '乙街道专题调研', NULL, '2026-01-01', '2026-12-31', '2099-12-31', 'active', 0, 0) RETURNING id",
    )
    .bind(app.street_b)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    sqlx::query("INSERT INTO campaign_units (campaign_id, org_id) VALUES ($1, $2)")
        .bind(c)
        .bind(app.street_a)
        .execute(app.db.pool())
        .await
        .unwrap();
    let mut body = report_json(&f, "rep-c");
    body["campaign_id"] = json!(c);
    let (status, made) = f.api.post("/api/v1/reports", body).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let rid = made["report"]["id"].as_i64().unwrap();
    let (status, d) = f.api.get(&format!("/api/v1/reports/{rid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(figure(&d, 1, 1)["quotes"].as_array().unwrap().len(), 2);
    let (status, s) = f
        .api
        .post(&format!("/api/v1/reports/{rid}/submit"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    let (status, d) = b.get(&format!("/api/v1/reports/{rid}")).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    for (s, i) in [(0, 0), (0, 1), (1, 1)] {
        assert_eq!(figure(&d, s, i)["kind"], "unavailable", "{s}.{i}");
    }
    let problems = counts(figure(&d, 1, 0));
    assert!(
        problems.iter().flatten().all(|n| n.unwrap_or(0) == 0),
        "{problems:?}"
    );
    assert_eq!(figure(&d, 1, 2)["quotes"].as_array().map_or(0, Vec::len), 0);
    let text = d.to_string();
    assert!(!text.contains("希望多建骑手驿站"), "{text}");
    assert!(!text.contains("与外卖骑手座谈"), "{text}");
    let (status, pdf) = download(
        &app,
        &b,
        &format!("/api/v1/reports/{rid}/export?format=pdf"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let pdf = pdf_text(&pdf);
    assert!(!pdf.contains("希望多建骑手驿站"), "{pdf}");
    // The submitted version stays as its author computed it.
    let (status, v) = b.get(&format!("/api/v1/reports/{rid}/versions/1")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        v["snapshot"]["sections"][1]["figures"][1]["quotes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn report_downloads_are_under_the_api_with_their_media_types_and_refused_outside() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let id = create(&f).await;
    let docx = format!("/api/v1/reports/{id}/report.docx");
    let pdf = format!("/api/v1/reports/{id}/report.pdf");
    for (path, mime) in [
        (
            &docx,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (&pdf, "application/pdf"),
    ] {
        // Without credentials: 401 in the JSON error shape, not a redirect to /login.
        let res = app.anonymous().get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "unauthenticated", "{path}");
        // The author (bearer token) and a page session both download it.
        let res = app
            .anonymous()
            .get(app.url(path))
            .bearer_auth(&f.api.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()["content-type"], mime);
        let res = app
            .browser("a.cadre")
            .await
            .get(app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        // Another street reads nothing of it.
        let other = app.api("b.cadre").await;
        let (status, _) = download(&app, &other, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    // The old page addresses are gone.
    let res = app
        .browser("a.cadre")
        .await
        .get(app.url(&format!("/reports/{id}/report.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
