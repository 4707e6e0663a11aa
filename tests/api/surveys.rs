//! Questionnaires: build (JSON or XLSForm), publish (frozen versions), answer
//! through the public link (retries never duplicate; every rule named in the
//! respondent's language; limits, windows, quotas, one per device), access,
//! and the weight of the filling page.

use qingting::survey::{
    form::{Form, choice_order},
    xlsform,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Api, TestApp};

/// A form with every question type, skip logic, constraints, a page group and
/// labels in Chinese and English.
fn form_json() -> Value {
    json!({
        "title": "新就业形态劳动者调查",
        "items": [
            {"name": "intro", "kind": "note", "label": {"中文 (zh)": "匿名填写", "English (en)": "Anonymous"}},
            {"item": "group", "name": "about", "appearance": ["field-list"],
             "label": {"中文 (zh)": "基本情况", "English (en)": "About you"}, "items": [
                {"name": "worker_group", "kind": "select_one", "choices": "groups", "required": true, "other": true,
                 "label": {"中文 (zh)": "您的职业", "English (en)": "Your job"}},
                {"name": "age", "kind": "integer", "required": true, "constraint": ". >= 16 and . <= 70",
                 "constraint_message": {"中文 (zh)": "年龄应在16到70岁之间", "English (en)": "Age must be 16 to 70"},
                 "label": {"中文 (zh)": "您的年龄", "English (en)": "Your age"}},
                {"name": "region", "kind": "select_one", "choices": "regions", "appearance": ["minimal"],
                 "label": {"中文 (zh)": "地区", "English (en)": "Region"}}
            ]},
            {"item": "group", "name": "work", "appearance": ["field-list"], "label": {"中文 (zh)": "工作"}, "items": [
                {"name": "platform", "kind": "text", "relevant": "${worker_group} = 'courier'",
                 "required": true, "label": {"中文 (zh)": "平台", "English (en)": "Platform"}},
                {"name": "hours", "kind": "decimal", "label": {"中文 (zh)": "每天工时", "English (en)": "Hours"}},
                {"name": "since", "kind": "date", "label": {"中文 (zh)": "入行时间", "English (en)": "Since"}},
                {"name": "topics", "kind": "select_multiple", "choices": "topics",
                 "label": {"中文 (zh)": "关心的问题", "English (en)": "Concerns"}},
                {"name": "score", "kind": {"type": "range", "start": 1, "end": 5, "step": 1},
                 "required": "count-selected(${topics}) > 0", "appearance": ["rating"],
                 "label": {"中文 (zh)": "满意度", "English (en)": "Satisfaction"}},
                {"name": "advice", "kind": "text", "label": {"中文 (zh)": "建议", "English (en)": "Advice"}}
            ]},
            {"item": "group", "name": "agree", "appearance": ["table-list"], "label": "您是否同意", "items": [
                {"name": "agree_pay", "kind": "select_one", "choices": "agree", "label": "收入稳定"},
                {"name": "agree_rest", "kind": "select_one", "choices": "agree", "label": "休息有保障"}
            ]}
        ],
        "choice_lists": [
            {"name": "groups", "choices": [
                {"name": "courier", "label": {"中文 (zh)": "快递员", "English (en)": "Courier"}},
                {"name": "food_delivery", "label": {"中文 (zh)": "外卖配送员", "English (en)": "Rider"}},
                {"name": "truck_driver", "label": {"中文 (zh)": "货车司机", "English (en)": "Truck driver"}}]},
            {"name": "regions", "choices": [
                {"name": "yangpu", "label": "杨浦"}, {"name": "hongkou", "label": "虹口"}]},
            {"name": "topics", "choices": [
                {"name": "wages", "label": "工资"}, {"name": "safety", "label": "安全"}]},
            {"name": "agree", "choices": [
                {"name": "1", "label": "同意"}, {"name": "2", "label": "一般"}, {"name": "3", "label": "不同意"}]}
        ]
    })
}

/// answers, version, group, region, started, ended, valid, device.
type StoredRow = (
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    i64,
    String,
);

/// A complete, valid set of answers.
pub(crate) fn answers() -> Value {
    json!({"worker_group": "food_delivery", "age": "30", "region": "yangpu", "hours": "10.5",
           "since": "2020-03-01", "topics": ["wages", "safety"], "score": 4, "advice": "多建驿站",
           "agree_pay": "1", "agree_rest": "3"})
}

/// A survey of street A (created by its cadre) with the form saved; returns (api, id, code).
async fn draft(app: &TestApp) -> (Api, i64, String) {
    let api = app.api("a.cadre").await;
    let (status, body) = api
        .post(
            "/api/v1/surveys",
            json!({"title": "骑手调查", "intro": "了解骑手的工作"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["survey"]["org_id"], app.street_a.0);
    assert_eq!(body["survey"]["status"], "draft");
    let id = body["survey"]["id"].as_i64().unwrap();
    let code = body["survey"]["code"].as_str().unwrap().to_string();
    let (status, body) = api
        .send(
            Method::PUT,
            &format!("/api/v1/surveys/{id}/form"),
            form_json(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["created"], true);
    (api, id, code)
}

/// A published survey; returns (api, id, code, live version id).
pub(crate) async fn published(app: &TestApp) -> (Api, i64, String, i64) {
    let (api, id, code) = draft(app).await;
    let (status, body) = api
        .post(&format!("/api/v1/surveys/{id}/publish"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v = body["survey"]["live_version_id"].as_i64().unwrap();
    (api, id, code, v)
}

/// Posts a response as the page does; returns the status and body.
pub(crate) async fn respond(app: &TestApp, code: &str, body: Value) -> (StatusCode, Value) {
    respond_lang(app, code, body, "zh-CN").await
}

async fn respond_lang(app: &TestApp, code: &str, body: Value, lang: &str) -> (StatusCode, Value) {
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/s/{code}/responses")))
        .header("accept-language", lang)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

pub(crate) fn submission(instance: &str, answers: Value) -> Value {
    json!({"instance_id": instance, "answers": answers, "started_at": 1_795_000_000i64, "ended_at": 1_795_000_300i64})
}

async fn count(app: &TestApp, survey: i64) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM survey_responses WHERE survey_id = $1")
        .bind(survey)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_survey_is_built_published_and_answered_once_per_instance() {
    let app = TestApp::spawn().await;
    let (api, id, code) = draft(&app).await;
    // Not published yet: the link does not exist for the public.
    let res = app
        .anonymous()
        .get(app.url(&format!("/s/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (status, form) = api.get(&format!("/api/v1/surveys/{id}/form")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        form["items"][1]["items"][1]["constraint"]["k"], "bin",
        "stored as a tree"
    );
    let (status, body) = api
        .post(&format!("/api/v1/surveys/{id}/publish"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["survey"]["status"], "published");
    assert_eq!(body["versions"][0]["question_count"], 11);
    assert!(
        body["link"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/s/{code}"))
    );
    let v = body["survey"]["live_version_id"].as_i64().unwrap();

    let page = app
        .anonymous()
        .get(app.url(&format!("/s/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("骑手调查") && html.contains("您的年龄") && html.contains("qt-config"));
    assert!(
        html.contains("group matrix") && html.contains("4★"),
        "a matrix and a rating scale"
    );
    let en = app
        .anonymous()
        .get(app.url(&format!("/s/{code}?lang=en")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("Your age") && en.contains("lang=\"en\""));

    // The answer to a question hidden by skip logic (platform: couriers only) is dropped.
    let mut a = answers();
    a["platform"] = json!("美团");
    let mut body = submission("inst-0001-aaaa", a);
    body["version_id"] = json!(v);
    body["device_id"] = json!("device-0001");
    let (status, first) = respond(&app, &code, body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["duplicate"], false);
    // A retry (the phone never saw the answer) is the same response, not a second one.
    for _ in 0..3 {
        let (status, again) = respond(&app, &code, body.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(again["id"], first["id"]);
        assert_eq!(again["duplicate"], true);
    }
    assert_eq!(count(&app, id).await, 1);
    let row: StoredRow = sqlx::query_as(
        "SELECT answers, version_id, worker_group, region, started_at, ended_at, valid, device_id FROM survey_responses WHERE survey_id = $1",
    )
    .bind(id)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let stored: Value = serde_json::from_str(&row.0).unwrap();
    assert_eq!(stored["topics"], "wages safety");
    assert_eq!(stored["score"], "4");
    assert!(
        stored.get("platform").is_none(),
        "hidden by skip logic: dropped"
    );
    assert_eq!(row.1, v);
    assert_eq!(row.2.as_deref(), Some("food_delivery"));
    assert_eq!(row.3.as_deref(), Some("yangpu"));
    assert_eq!(
        (row.4, row.5),
        (Some(1_795_000_000), Some(1_795_000_300)),
        "completion time"
    );
    assert_eq!(row.6, 1, "valid until validity rules say otherwise");
    assert_eq!(row.7, "device-0001");

    let (_, d) = api.get(&format!("/api/v1/surveys/{id}")).await;
    assert_eq!(d["survey"]["response_count"], 1);
    assert_eq!(d["versions"][0]["response_count"], 1);
    for action in ["survey_created", "survey_form_saved", "survey_published"] {
        assert_eq!(app.audit_count(action).await, 1, "{action}");
    }
}

/// 1,000 concurrent requests: ten retries each of 100 instance ids, all at
/// once (as phones on a flaky network re-send). Each instance id makes
/// exactly one row; every answer for it carries that row's id, and exactly
/// one of its ten answers is the 201 that created it.
#[tokio::test]
async fn a_thousand_concurrent_retries_make_one_row_per_instance() {
    let app = TestApp::spawn().await;
    let (_, id, code, _) = published(&app).await;
    let client = reqwest::Client::new();
    let url = app.url(&format!("/api/v1/s/{code}/responses"));
    let mut tasks = tokio::task::JoinSet::new();
    for retry in 0..10 {
        for instance in 0..100 {
            let (client, url) = (client.clone(), url.clone());
            tasks.spawn(async move {
                let instance_id = format!("retried-instance-{instance:03}");
                let res = client
                    .post(url)
                    .json(&submission(&instance_id, answers()))
                    .send()
                    .await
                    .unwrap();
                let status = res.status();
                let body: Value = res.json().await.unwrap();
                assert_eq!(body["instance_id"], instance_id.as_str(), "retry {retry}");
                (instance_id, status, body["id"].as_i64().unwrap())
            });
        }
    }
    let mut seen: std::collections::BTreeMap<String, (usize, std::collections::BTreeSet<i64>)> =
        Default::default();
    while let Some(done) = tasks.join_next().await {
        let (instance, status, rid) = done.unwrap();
        assert!(
            status == StatusCode::CREATED || status == StatusCode::OK,
            "{status}"
        );
        let e = seen.entry(instance).or_default();
        e.0 += usize::from(status == StatusCode::CREATED);
        e.1.insert(rid);
    }
    assert_eq!(seen.len(), 100);
    for (instance, (created, ids)) in &seen {
        assert_eq!(*created, 1, "{instance} created once");
        assert_eq!(ids.len(), 1, "{instance} answered with one id");
    }
    assert_eq!(count(&app, id).await, 100);
    let distinct: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT instance_id) FROM survey_responses WHERE survey_id = $1",
    )
    .bind(id)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(distinct, 100);
    // And each has its coded copy for the analysis, written with it.
    let coded: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM survey_codes WHERE survey_id = $1 AND line <> ''")
            .bind(id)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(coded, 100);
}

#[tokio::test]
async fn a_published_version_is_frozen_and_edits_make_a_new_one() {
    let app = TestApp::spawn().await;
    let (api, id, code, v1) = published(&app).await;
    let mut changed = form_json();
    changed["items"][0]["label"] = json!("第二版");
    let (status, saved) = api
        .send(
            Method::PUT,
            &format!("/api/v1/surveys/{id}/form"),
            changed.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["created"], true, "a new draft version");
    let v2 = saved["version_id"].as_i64().unwrap();
    assert_ne!(v1, v2);
    // Saving again edits that draft in place.
    let (_, again) = api
        .send(Method::PUT, &format!("/api/v1/surveys/{id}/form"), changed)
        .await;
    assert_eq!(
        (again["version_id"].as_i64(), again["created"].as_bool()),
        (Some(v2), Some(false))
    );
    let (_, old) = api
        .get(&format!("/api/v1/surveys/{id}/form?version={v1}"))
        .await;
    assert_eq!(
        old["items"][0]["label"]["中文 (zh)"], "匿名填写",
        "version 1 unchanged"
    );
    // The database refuses to change or delete a published version.
    let upd = sqlx::query("UPDATE survey_versions SET form = '{}' WHERE id = $1")
        .bind(v1)
        .execute(app.db.pool())
        .await;
    assert!(upd.is_err(), "published versions are immutable");
    let del = sqlx::query("DELETE FROM survey_versions WHERE id = $1")
        .bind(v1)
        .execute(app.db.pool())
        .await;
    assert!(del.is_err());
    // The live version stays 1 until the draft is published; then 2.
    let (_, d) = api.get(&format!("/api/v1/surveys/{id}")).await;
    assert_eq!(d["survey"]["live_version_id"], v1);
    let (status, d) = api
        .post(&format!("/api/v1/surveys/{id}/publish"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(d["survey"]["live_version_id"], v2);
    let (status, body) = api
        .post(&format!("/api/v1/surveys/{id}/publish"), json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "nothing left to publish: {body}"
    );
    // A phone that queued a response on version 1 still gets it stored, as version 1.
    let mut old_phone = submission("queued-on-v1", answers());
    old_phone["version_id"] = json!(v1);
    let (status, stored) = respond(&app, &code, old_phone).await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    let (_, new_phone) = respond(&app, &code, submission("fresh-on-v2", answers())).await;
    let versions: Vec<i64> = sqlx::query_scalar(
        "SELECT version_id FROM survey_responses WHERE survey_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(versions, [v1, v2], "{new_phone}");
    // A version that was never published takes nothing.
    let (_, saved) = api
        .send(
            Method::PUT,
            &format!("/api/v1/surveys/{id}/form"),
            form_json(),
        )
        .await;
    let mut draft_phone = submission("on-a-draft-1", answers());
    draft_phone["version_id"] = saved["version_id"].clone();
    assert_eq!(
        respond(&app, &code, draft_phone).await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn an_xlsform_imports_exports_and_refusals_name_the_cell() {
    let app = TestApp::spawn().await;
    let (api, id, _) = draft(&app).await;
    let (_, form) = api.get(&format!("/api/v1/surveys/{id}/form")).await;
    let form: Form = serde_json::from_value(form).unwrap();
    let bytes = xlsform::export(&form).unwrap();
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/surveys/{id}/xlsform")))
        .bearer_auth(&api.token)
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let saved: Value = res.json().await.unwrap();
    let v = saved["version_id"].as_i64().unwrap();
    // Export it back: importing the export gives the same form.
    let res = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/surveys/{id}/versions/{v}/xlsform")))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".xlsx")
    );
    let back = xlsform::import(&res.bytes().await.unwrap()).unwrap();
    assert_eq!(back.items, form.items);
    assert_eq!(app.audit_count("export").await, 1);
    // Not a workbook: refused with a message, nothing saved.
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/surveys/{id}/xlsform")))
        .bearer_auth(&api.token)
        .body("not a workbook")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["fields"][0]["field"], "file");
    // The page's upload works the same way.
    let c = app.browser("a.cadre").await;
    let part =
        reqwest::multipart::Part::bytes(xlsform::export(&form).unwrap()).file_name("问卷.xlsx");
    let res = c
        .post(app.url(&format!("/surveys/{id}/xlsform")))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // A form posted as JSON that breaks a rule is refused, naming the item.
    let mut bad = form_json();
    bad["items"][1]["items"][1]["relevant"] = json!("${nowhere} = 1");
    let (status, body) = api
        .send(Method::PUT, &format!("/api/v1/surveys/{id}/form"), bad)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("age"),
        "{body}"
    );
    let mut bad = form_json();
    bad["items"][1]["items"][1]["constraint"] = json!(". >=");
    let (status, body) = api
        .send(Method::PUT, &format!("/api/v1/surveys/{id}/form"), bad)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let res = reqwest::Client::new()
        .put(app.url(&format!("/api/v1/surveys/{id}/form")))
        .bearer_auth(&api.token)
        .header("content-type", "application/json")
        .body("{\"items\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

/// The rule and message of the only error of a 422 body.
fn the_error(status: StatusCode, body: &Value) -> (String, String, String) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let f = &body["error"]["fields"];
    assert_eq!(f.as_array().map(Vec::len), Some(1), "{body}");
    (
        f[0]["field"].as_str().unwrap().to_string(),
        f[0]["rule"].as_str().unwrap().to_string(),
        f[0]["message"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn every_broken_rule_is_a_422_naming_the_question_in_the_respondents_language() {
    let app = TestApp::spawn().await;
    let (api, id, code, _) = published(&app).await;
    let mut other = answers();
    other["worker_group"] = json!("other");
    other["worker_group_other"] = json!("保安");
    let (status, body) = respond(&app, &code, submission("other-specified", other)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    api.patch(
        &format!("/api/v1/surveys/{id}"),
        json!({"target_groups": "courier,food_delivery"}),
    )
    .await;
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("required", json!({"age": null}), "age", "required"),
        ("integer", json!({"age": "thirty"}), "age", "integer"),
        ("constraint", json!({"age": 12}), "age", "constraint"),
        ("decimal", json!({"hours": "ten"}), "hours", "decimal"),
        ("date", json!({"since": "2020-02-30"}), "since", "date"),
        ("choice", json!({"region": "pudong"}), "region", "choice"),
        (
            "multiple",
            json!({"topics": ["wages", "nope"]}),
            "topics",
            "choice",
        ),
        ("range", json!({"score": 9}), "score", "range"),
        (
            "matrix row",
            json!({"agree_pay": "4"}),
            "agree_pay",
            "choice",
        ),
        ("required when", json!({"score": null}), "score", "required"),
        (
            "other",
            json!({"worker_group": "other"}),
            "worker_group",
            "other",
        ),
        ("unknown", json!({"salary": "5000"}), "salary", "unknown"),
        (
            "too long",
            json!({"advice": "长".repeat(5001)}),
            "advice",
            "too_long",
        ),
        (
            "skip logic shows a required question",
            json!({"worker_group": "courier"}),
            "platform",
            "required",
        ),
        (
            "target groups",
            json!({"worker_group": "truck_driver"}),
            "worker_group",
            "target",
        ),
    ];
    for (i, (what, change, field, rule)) in cases.into_iter().enumerate() {
        let mut a = answers();
        for (k, v) in change.as_object().unwrap() {
            a[k] = v.clone();
        }
        let (status, body) =
            respond(&app, &code, submission(&format!("rule-case-{i:04}"), a)).await;
        let (f, r, _) = the_error(status, &body);
        assert_eq!((f.as_str(), r.as_str()), (field, rule), "{what}: {body}");
    }
    // Messages: the form's own words, in the respondent's language, naming the label.
    let mut a = answers();
    a["age"] = json!(12);
    let (status, body) = respond_lang(
        &app,
        &code,
        submission("lang-case-en1", a.clone()),
        "en-US,en;q=0.8",
    )
    .await;
    assert_eq!(
        the_error(status, &body).2,
        "“Your age”: Age must be 16 to 70"
    );
    let (status, body) = respond(&app, &code, submission("lang-case-zh1", a.clone())).await;
    assert_eq!(
        the_error(status, &body).2,
        "“您的年龄”：年龄应在16到70岁之间"
    );
    let mut en = submission("lang-case-en2", a);
    en["lang"] = json!("en");
    en["answers"]["hours"] = json!("x");
    let (status, body) = respond(&app, &code, en).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["error"]["fields"][1]["message"],
        "“Hours”: enter a number."
    );
    assert_eq!(count(&app, id).await, 1, "nothing invalid was stored");
}

#[tokio::test]
async fn oversized_and_malformed_bodies_are_refused_cleanly() {
    let app = TestApp::spawn().await;
    let (_, id, code, _) = published(&app).await;
    let url = app.url(&format!("/api/v1/s/{code}/responses"));
    let c = reqwest::Client::new();
    let big = json!({"instance_id": "too-big-0001", "answers": {"advice": "x".repeat(600 * 1024)}});
    let res = c.post(&url).json(&big).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_large");
    for bad in [
        "{".to_string(),
        "[]".to_string(),
        json!({"answers": {}}).to_string(),
        json!({"instance_id": "short", "answers": {}}).to_string(),
        json!({"instance_id": "no spaces allowed", "answers": {}}).to_string(),
        json!({"instance_id": "nested-answer-1", "answers": {"age": {"v": 1}}}).to_string(),
    ] {
        let res = c
            .post(&url)
            .header("content-type", "application/json")
            .body(bad.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "bad_request");
    }
    let res = c
        .post(app.url("/api/v1/s/zzzzzzzzzzzz/responses"))
        .json(&submission("unknown-code-1", answers()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(count(&app, id).await, 0);
}

#[tokio::test]
async fn open_and_close_times_and_closing_by_hand() {
    let app = TestApp::spawn().await;
    let (api, id, code, _) = published(&app).await;
    let now = chrono::Utc::now().timestamp();
    let (status, body) = api
        .patch(
            &format!("/api/v1/surveys/{id}"),
            json!({"opens_at": now + 3600}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = respond(&app, &code, submission("early-bird-1", answers())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "survey_not_open");
    let page = app
        .anonymous()
        .get(app.url(&format!("/s/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(page.text().await.unwrap().contains("尚未开始"));
    let (status, _) = api
        .patch(
            &format!("/api/v1/surveys/{id}"),
            json!({"opens_at": now - 7200, "closes_at": now - 3600}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = respond(&app, &code, submission("late-comer-1", answers())).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::GONE, Some("survey_closed"))
    );
    let (status, body) = api
        .patch(
            &format!("/api/v1/surveys/{id}"),
            json!({"opens_at": now + 10, "closes_at": now}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "closing before opening: {body}"
    );
    api.patch(
        &format!("/api/v1/surveys/{id}"),
        json!({"opens_at": "", "closes_at": ""}),
    )
    .await;
    assert_eq!(
        respond(&app, &code, submission("in-time-0001", answers()))
            .await
            .0,
        StatusCode::CREATED
    );
    // Closed by hand, then reopened.
    let (status, _) = api
        .post(
            &format!("/api/v1/surveys/{id}/status"),
            json!({"status": "closed"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        respond(&app, &code, submission("after-close-1", answers()))
            .await
            .0,
        StatusCode::GONE
    );
    let page = app
        .anonymous()
        .get(app.url(&format!("/s/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::GONE);
    // A retry of a response stored before closing still gets its answer.
    assert_eq!(
        respond(&app, &code, submission("in-time-0001", answers()))
            .await
            .0,
        StatusCode::OK
    );
    let (status, _) = api
        .post(
            &format!("/api/v1/surveys/{id}/status"),
            json!({"status": "draft"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = api
        .post(
            &format!("/api/v1/surveys/{id}/status"),
            json!({"status": "published"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        respond(&app, &code, submission("after-reopen", answers()))
            .await
            .0,
        StatusCode::CREATED
    );
    assert_eq!(app.audit_count("survey_status_changed").await, 2);
}

#[tokio::test]
async fn quotas_per_group_and_region_turn_respondents_away_politely() {
    let app = TestApp::spawn().await;
    let (api, id, code, _) = published(&app).await;
    let (status, body) = api
        .patch(
            &format!("/api/v1/surveys/{id}"),
            json!({"quota_lines": "外卖配送员, *, 1\n*, hongkou, 1\n*, *, 3"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["quotas"].as_array().unwrap().len(), 3);
    let with = |group: &str, region: &str| {
        let mut a = answers();
        a["worker_group"] = json!(group);
        a["region"] = json!(region);
        if group == "courier" {
            a["platform"] = json!("顺丰");
        }
        a
    };
    assert_eq!(
        respond(
            &app,
            &code,
            submission("quota-0001", with("food_delivery", "yangpu"))
        )
        .await
        .0,
        StatusCode::CREATED
    );
    let (status, body) = respond(
        &app,
        &code,
        submission("quota-0002", with("food_delivery", "yangpu")),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("quota_full"))
    );
    assert!(
        body["error"]["message"].as_str().unwrap().contains("谢谢"),
        "polite: {body}"
    );
    assert_eq!(
        respond(
            &app,
            &code,
            submission("quota-0003", with("courier", "hongkou"))
        )
        .await
        .0,
        StatusCode::CREATED
    );
    assert_eq!(
        respond(
            &app,
            &code,
            submission("quota-0004", with("courier", "hongkou"))
        )
        .await
        .0,
        StatusCode::CONFLICT
    );
    assert_eq!(
        respond(
            &app,
            &code,
            submission("quota-0005", with("courier", "yangpu"))
        )
        .await
        .0,
        StatusCode::CREATED
    );
    // Three in all: the total is full, and the page says so before anyone starts.
    assert_eq!(
        respond(
            &app,
            &code,
            submission("quota-0006", with("truck_driver", "yangpu"))
        )
        .await
        .0,
        StatusCode::CONFLICT
    );
    let page = app
        .anonymous()
        .get(app.url(&format!("/s/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::CONFLICT);
    assert!(page.text().await.unwrap().contains("收满"));
    assert_eq!(count(&app, id).await, 3);
    let (_, d) = api.get(&format!("/api/v1/surveys/{id}")).await;
    let filled: Vec<i64> = d["quotas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["filled"].as_i64().unwrap())
        .collect();
    assert_eq!(filled, [3, 1, 1], "total, hongkou, food_delivery");
    // A quota added later counts the responses already in.
    let (_, d) = api
        .patch(
            &format!("/api/v1/surveys/{id}"),
            json!({"quotas": [{"worker_group": "courier", "max_responses": 5}]}),
        )
        .await;
    assert_eq!(d["quotas"][0]["filled"], 2);
}

/// Forty phones at once against a quota of 7: the submissions are committed
/// together, and the ones over the quota are undone alone — exactly seven
/// rows, seven coded copies and a counter of seven, the rest turned away.
#[tokio::test]
async fn a_quota_holds_under_concurrent_submissions() {
    let app = TestApp::spawn().await;
    let (api, id, code, _) = published(&app).await;
    let (status, body) = api
        .patch(
            &format!("/api/v1/surveys/{id}"),
            json!({"quota_lines": "*, *, 7"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let url = app.url(&format!("/api/v1/s/{code}/responses"));
        tasks.spawn(async move {
            let res = reqwest::Client::new()
                .post(url)
                .json(&submission(&format!("quota-race-{i:03}"), answers()))
                .send()
                .await
                .unwrap();
            let status = res.status();
            let body: Value = res.json().await.unwrap();
            (status, body)
        });
    }
    let (mut stored, mut full) = (0, 0);
    while let Some(done) = tasks.join_next().await {
        let (status, body) = done.unwrap();
        match status {
            StatusCode::CREATED => stored += 1,
            StatusCode::CONFLICT => {
                assert_eq!(body["error"]["code"], "quota_full");
                full += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!((stored, full), (7, 33));
    assert_eq!(count(&app, id).await, 7);
    let coded: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM survey_codes WHERE survey_id = $1")
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(coded, 7, "no coded copy of a refused response");
    let (_, d) = api.get(&format!("/api/v1/surveys/{id}")).await;
    assert_eq!(d["quotas"][0]["filled"], 7);
}

#[tokio::test]
async fn one_response_per_device() {
    let app = TestApp::spawn().await;
    let (api, id, code, _) = published(&app).await;
    let (status, _) = api
        .patch(
            &format!("/api/v1/surveys/{id}"),
            json!({"one_per_device": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let on = |instance: &str, device: Option<&str>| {
        let mut s = submission(instance, answers());
        if let Some(d) = device {
            s["device_id"] = json!(d);
        }
        s
    };
    assert_eq!(
        respond(&app, &code, on("device-run-1", Some("phone-aaaa-1")))
            .await
            .0,
        StatusCode::CREATED
    );
    let (status, body) = respond(&app, &code, on("device-run-2", Some("phone-aaaa-1"))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("device_limit"))
    );
    assert_eq!(
        respond(&app, &code, on("device-run-1", Some("phone-aaaa-1")))
            .await
            .0,
        StatusCode::OK,
        "a retry is fine"
    );
    assert_eq!(
        respond(&app, &code, on("device-run-3", Some("phone-bbbb-2")))
            .await
            .0,
        StatusCode::CREATED
    );
    assert_eq!(
        respond(&app, &code, on("device-run-4", None)).await.0,
        StatusCode::BAD_REQUEST
    );
    // The page: the cookie it sets identifies the phone on its next visit.
    let phone = app.anonymous();
    let first = phone
        .get(app.url(&format!("/s/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let res = phone
        .post(app.url(&format!("/s/{code}")))
        .form(&[
            ("_instance", "no-js-post-0001"),
            ("worker_group", "food_delivery"),
            ("age", "41"),
            ("topics", "wages"),
            ("topics", "safety"),
            ("score", "3"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("已提交"));
    let again = phone
        .get(app.url(&format!("/s/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again.text().await.unwrap().contains("已经填写过"));
    assert_eq!(count(&app, id).await, 3);
    let topics: String = sqlx::query_scalar(
        "SELECT answers FROM survey_responses WHERE instance_id = 'no-js-post-0001'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert!(topics.contains("\"wages safety\""), "{topics}");
    // Turning it off and on again after responses is refused: old rows carry no device key.
    api.patch(
        &format!("/api/v1/surveys/{id}"),
        json!({"one_per_device": false}),
    )
    .await;
    let (status, _) = api
        .patch(
            &format!("/api/v1/surveys/{id}"),
            json!({"one_per_device": true}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// The choices of one question on a filling page, in the order shown.
fn shown_choices(html: &str, question: &str) -> Vec<String> {
    let start = html
        .find(&format!("data-item=\"{question}\""))
        .expect("the question is on the page");
    let rest = &html[start..];
    let end = rest.find("data-error").unwrap_or(rest.len());
    rest[..end]
        .split("data-choice=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .collect()
}

fn instance_of(html: &str) -> String {
    let at = html.find("name=\"_instance\" value=\"").unwrap() + 24;
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn a_shuffled_question_saves_publishes_and_takes_answers_in_any_order() {
    let app = TestApp::spawn().await;
    let api = app.api("a.cadre").await;
    let (status, body) = api
        .post("/api/v1/surveys", json!({"title": "关心的问题"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["survey"]["id"].as_i64().unwrap();
    let code = body["survey"]["code"].as_str().unwrap().to_string();
    let names: Vec<String> = (1..=8).map(|i| format!("t{i}")).collect();
    let form = json!({
        "title": "关心的问题",
        "items": [
            {"name": "topics", "kind": "select_multiple", "choices": "topics", "required": true,
             "other": true, "shuffle": true, "label": "您最关心的问题"},
            {"name": "job", "kind": "select_one", "choices": "topics", "label": "不随机"}
        ],
        "choice_lists": [{"name": "topics", "choices": names.iter().map(|n| json!({"name": n, "label": n})).collect::<Vec<_>>()}]
    });
    let (status, body) = api
        .send(Method::PUT, &format!("/api/v1/surveys/{id}/form"), form)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, stored) = api.get(&format!("/api/v1/surveys/{id}/form")).await;
    assert_eq!(stored["items"][0]["shuffle"], true);
    assert_eq!(stored["items"][1]["shuffle"], false);
    // A shuffled row of a matrix is refused, naming the row and the property.
    let (status, body) = api
        .send(
            Method::PUT,
            &format!("/api/v1/surveys/{id}/form"),
            json!({"items": [{"item": "group", "name": "m", "appearance": ["table-list"], "items": [
                {"name": "r", "kind": "select_one", "choices": "yn", "shuffle": true}]}],
              "choice_lists": [{"name": "yn", "choices": [{"name": "y"}]}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"][0]["item"], "r", "{body}");
    let (status, body) = api
        .post(&format!("/api/v1/surveys/{id}/publish"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The page draws the shuffled choices in the order of its instance id,
    // "other" last; the other question keeps the list's order.
    let mut orders = std::collections::BTreeSet::new();
    for _ in 0..3 {
        let html = app
            .anonymous()
            .get(app.url(&format!("/s/{code}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let instance = instance_of(&html);
        let mut expected: Vec<String> = choice_order(&instance, "topics", 8)
            .into_iter()
            .map(|i| names[i].clone())
            .collect();
        expected.push("other".into());
        assert_eq!(shown_choices(&html, "topics"), expected, "{instance}");
        assert_eq!(shown_choices(&html, "job"), names);
        assert!(html.contains("\"shuffle\":true"), "the script is told");
        orders.insert(shown_choices(&html, "topics"));
    }
    assert!(orders.len() > 1, "respondents get different orders");

    // Answers are checked whatever the order they come in.
    let (status, body) = respond(
        &app,
        &code,
        submission(
            "shuffled-0001",
            json!({"topics": ["t8", "t1", "other"], "topics_other": "停车", "job": "t3"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = respond(
        &app,
        &code,
        submission("shuffled-0002", json!({"topics": "t5 t2 t7"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(count(&app, id).await, 2);

    // Without JavaScript: the page shown again with its errors keeps the order.
    let res = app
        .anonymous()
        .post(app.url(&format!("/s/{code}")))
        .form(&[("_instance", "no-js-shuffle-01"), ("job", "t1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    let mut expected: Vec<String> = choice_order("no-js-shuffle-01", "topics", 8)
        .into_iter()
        .map(|i| names[i].clone())
        .collect();
    expected.push("other".into());
    assert_eq!(shown_choices(&html, "topics"), expected);
}

#[tokio::test]
async fn the_page_without_javascript_shows_errors_in_place() {
    let app = TestApp::spawn().await;
    let (_, id, code, _) = published(&app).await;
    let res = app
        .anonymous()
        .post(app.url(&format!("/s/{code}")))
        .form(&[
            ("_instance", "no-js-bad-0001"),
            ("worker_group", "courier"),
            ("age", "9"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("年龄应在16到70岁之间"),
        "the constraint message"
    );
    assert!(
        html.contains("此题为必答题"),
        "platform is shown for couriers and required"
    );
    assert!(html.contains("value=\"9\""), "answers kept");
    assert!(html.contains("no-js-bad-0001"), "the same instance id");
    assert_eq!(count(&app, id).await, 0);
}

#[tokio::test]
async fn only_readers_of_the_owning_subtree_reach_a_survey() {
    let app = TestApp::spawn().await;
    let (_, id, code, v) = published(&app).await;
    let outsider = app.api("b.cadre").await;
    let (_, list) = outsider.get("/api/v1/surveys").await;
    assert_eq!(list, json!([]));
    let paths = [
        format!("/api/v1/surveys/{id}"),
        format!("/api/v1/surveys/{id}/form"),
        format!("/api/v1/surveys/{id}/versions/{v}/xlsform"),
    ];
    for p in &paths {
        assert_eq!(outsider.get(p).await.0, StatusCode::NOT_FOUND, "{p}");
    }
    let writes = [
        (
            Method::PATCH,
            format!("/api/v1/surveys/{id}"),
            json!({"title": "x"}),
        ),
        (
            Method::PUT,
            format!("/api/v1/surveys/{id}/form"),
            form_json(),
        ),
        (
            Method::POST,
            format!("/api/v1/surveys/{id}/publish"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/surveys/{id}/status"),
            json!({"status": "closed"}),
        ),
        (
            Method::POST,
            format!("/api/v1/surveys/{id}/xlsform"),
            json!({}),
        ),
    ];
    for (m, p, b) in &writes {
        assert_eq!(
            outsider.send(m.clone(), p, b.clone()).await.0,
            StatusCode::NOT_FOUND,
            "{m} {p}"
        );
    }
    let (status, _) = outsider
        .post(
            "/api/v1/surveys",
            json!({"title": "越权", "org_code": "STA"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "another street's org is out of reach"
    );
    let browser = app.browser("b.cadre").await;
    for p in [
        format!("/surveys/{id}"),
        format!("/surveys/{id}/edit"),
        format!("/surveys/{id}/preview"),
    ] {
        let res = browser.get(app.url(&p)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{p}");
    }
    for p in ["publish", "status", "edit"] {
        let res = browser
            .post(app.url(&format!("/surveys/{id}/{p}")))
            .form(&[("status", "closed"), ("title", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{p}");
    }
    // Readers above and viewers inside read; only cadres and admins over the org write.
    let district = app.api("district.admin").await;
    assert_eq!(
        district.get(&format!("/api/v1/surveys/{id}")).await.0,
        StatusCode::OK
    );
    let viewer = app.api("a.viewer").await;
    assert_eq!(
        viewer.get(&format!("/api/v1/surveys/{id}")).await.0,
        StatusCode::OK
    );
    for (m, p, b) in &writes {
        assert_eq!(
            viewer.send(m.clone(), p, b.clone()).await.0,
            StatusCode::FORBIDDEN,
            "{m} {p}"
        );
    }
    assert_eq!(
        viewer
            .post("/api/v1/surveys", json!({"title": "x"}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // Respondents see the published form and nothing of the management side.
    let anon = reqwest::Client::new();
    for p in &paths {
        let res = anon.get(app.url(p)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{p}");
    }
    let res = anon.get(app.url("/api/v1/surveys")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let public: Value = anon
        .get(app.url(&format!("/api/v1/s/{code}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(public["version_id"], v);
    assert_eq!(public["open"], true);
    assert!(public.get("survey").is_none() && public.get("quotas").is_none());
    assert!(!public.to_string().contains("response_count"));
    let page = app
        .anonymous()
        .get(app.url(&format!("/surveys/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER, "to the login page");
    for p in ["qr.svg", "qr.png", "poster"] {
        let res = anon
            .get(app.url(&format!("/s/{code}/{p}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{p}");
    }
}

#[tokio::test]
async fn management_pages_render_for_the_owner() {
    let app = TestApp::spawn().await;
    let (_, id, code, _) = published(&app).await;
    let c = app.browser("a.cadre").await;
    for (p, needle) in [
        ("/surveys".to_string(), "骑手调查"),
        (format!("/surveys/{id}"), &format!("/s/{code}") as &str),
        (format!("/surveys/{id}/edit"), "quota_lines"),
        (format!("/surveys/{id}/preview"), "preview"),
        (format!("/s/{code}/poster"), "<svg"),
    ] {
        let res = c.get(app.url(&p)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{p}");
        let html = res.text().await.unwrap();
        assert!(html.contains(needle), "{p} shows {needle}");
    }
    // Creating and editing through the pages.
    let res = c
        .post(app.url("/surveys"))
        .form(&[
            ("title", "食堂满意度"),
            ("org_code", "UA"),
            ("campaign_id", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = c
        .post(app.url("/surveys"))
        .form(&[("title", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = c
        .post(app.url(&format!("/surveys/{id}/edit")))
        .form(&[
            ("title", "骑手调查（第二轮）"),
            ("target_group", "courier"),
            ("one_per_device", "1"),
            ("quota_lines", "courier, *, 200"),
            ("opens_at", "2026-01-01T08:00"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let api = app.api("a.cadre").await;
    let (_, d) = api.get(&format!("/api/v1/surveys/{id}")).await;
    assert_eq!(d["survey"]["title"], "骑手调查（第二轮）");
    assert_eq!(d["survey"]["target_groups"], json!(["courier"]));
    assert_eq!(d["survey"]["one_per_device"], true);
    assert_eq!(d["survey"]["opens_at"], 1_767_225_600i64);
    assert_eq!(d["quotas"][0]["max_responses"], 200);
    let res = c
        .post(app.url(&format!("/surveys/{id}/edit")))
        .form(&[("title", "x"), ("quota_lines", "courier 200")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("配额第 1 行"));
}

/// Bytes as served to a browser that accepts gzip.
async fn gzip_size(app: &TestApp, path: &str) -> usize {
    let res = reqwest::Client::new()
        .get(app.url(path))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let gz = res
        .headers()
        .get("content-encoding")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = res.bytes().await.unwrap();
    assert_eq!(gz.as_deref(), Some("gzip"), "{path} is compressed");
    assert_eq!(&bytes[..2], &[0x1f, 0x8b], "{path}: gzip magic");
    bytes.len()
}

#[tokio::test]
async fn the_filling_page_weighs_under_100_kb_before_the_first_question() {
    let app = TestApp::spawn().await;
    let (_, _, code, _) = published(&app).await;
    let path = format!("/s/{code}");
    let html = reqwest::get(app.url(&path))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut total = gzip_size(&app, &path).await;
    let mut parts = vec![(path.clone(), total)];
    // Every stylesheet and script the page loads.
    for attr in ["href=\"", "src=\""] {
        for piece in html.split(attr).skip(1) {
            let url = piece.split('"').next().unwrap();
            if url.starts_with("/assets/") && (url.ends_with(".css") || url.ends_with(".js")) {
                let n = gzip_size(&app, url).await;
                parts.push((url.to_string(), n));
                total += n;
            }
        }
    }
    println!("filling page, gzip as served: {parts:?} = {total} bytes");
    assert!(parts.len() >= 4, "html, css and two scripts: {parts:?}");
    assert!(total < 100 * 1024, "{total} bytes");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing from elsewhere"
    );
    assert!(!html.contains("type=\"module\""), "no ES modules");
}

#[tokio::test]
async fn the_openapi_document_lists_the_survey_routes() {
    let app = TestApp::spawn().await;
    let doc = app.openapi().await;
    for p in [
        "/api/v1/surveys",
        "/api/v1/surveys/{id}",
        "/api/v1/surveys/{id}/form",
        "/api/v1/surveys/{id}/xlsform",
        "/api/v1/surveys/{id}/publish",
        "/api/v1/surveys/{id}/status",
        "/api/v1/surveys/{id}/versions/{version}/xlsform",
        "/api/v1/s/{code}",
        "/api/v1/s/{code}/responses",
        "/api/v1/surveys/{id}/validity",
        "/api/v1/surveys/{id}/responses",
        "/api/v1/surveys/{id}/responses/{response}/validity",
        "/api/v1/surveys/expression",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p}");
    }
}

// ---- validity (有效问卷) ----

/// A submission from a device, with the phone's start and end `secs` apart.
fn timed(instance: &str, device: &str, secs: i64, answers: Value) -> Value {
    json!({"instance_id": instance, "answers": answers, "device_id": device,
           "started_at": 1_795_000_000i64, "ended_at": 1_795_000_000i64 + secs})
}

/// The reason codes of every response, by instance order of `ids`.
async fn reasons_of(api: &Api, id: i64) -> std::collections::BTreeMap<i64, (bool, Vec<String>)> {
    let (status, page) = api.get(&format!("/api/v1/surveys/{id}/responses")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_i64().unwrap(),
                (
                    r["valid"].as_bool().unwrap(),
                    r["reasons"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x["code"].as_str().unwrap().to_string())
                        .collect(),
                ),
            )
        })
        .collect()
}

#[tokio::test]
async fn each_validity_rule_marks_a_response_invalid_with_its_reason() {
    let app = TestApp::spawn().await;
    let (api, id, code, _) = published(&app).await;
    // A check naming a question the form does not have is refused, naming the field.
    let (status, body) = api
        .send(
            Method::PUT,
            &format!("/api/v1/surveys/{id}/validity"),
            json!({"attention_checks": [{"question": "nope", "expected": "1"}], "min_seconds": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["min_seconds", "attention_checks"]);
    let (status, body) = api
        .send(
            Method::PUT,
            &format!("/api/v1/surveys/{id}/validity"),
            json!({"min_seconds": 60, "straight_lining_rows": 2, "max_per_device": 1,
                   "attention_checks": [{"question": "score", "expected": "4"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["rules"]["min_seconds"], 60);
    assert_eq!(body["recompute"], Value::Null);

    let mut same = answers();
    same["agree_pay"] = json!("2");
    same["agree_rest"] = json!("2");
    let mut careless = answers();
    careless["score"] = json!(2);
    // (submission, the reasons it must get)
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            timed("valid-000001", "phone-a-0001", 300, answers()),
            vec![],
        ),
        (
            timed("fast-0000001", "phone-b-0001", 30, answers()),
            vec!["too_fast"],
        ),
        (
            timed("line-0000001", "phone-c-0001", 300, same),
            vec!["straight_lining"],
        ),
        (
            timed("attn-0000001", "phone-d-0001", 300, careless),
            vec!["attention_check"],
        ),
        (
            timed("again-000001", "phone-a-0001", 300, answers()),
            vec!["device_repeat"],
        ),
        // Clocks: no start time, or set back while answering, is not "too fast".
        (
            json!({"instance_id": "nostart-0001", "answers": answers(), "ended_at": 1_795_000_000i64}),
            vec![],
        ),
        (
            timed("back-0000001", "phone-e-0001", -600, answers()),
            vec![],
        ),
    ];
    let mut want = std::collections::BTreeMap::new();
    for (sub, reasons) in &cases {
        let (status, body) = respond(&app, &code, sub.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        want.insert(
            body["id"].as_i64().unwrap(),
            (
                reasons.is_empty(),
                reasons.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            ),
        );
    }
    assert_eq!(reasons_of(&api, id).await, want);
    // The reasons read in the reviewer's language, with the figures.
    let (_, page) = api
        .get(&format!("/api/v1/surveys/{id}/responses?validity=invalid"))
        .await;
    assert_eq!(page["total"], 4);
    let fast = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reasons"][0]["code"] == "too_fast")
        .unwrap();
    assert_eq!(fast["reasons"][0]["seconds"], 30);
    assert_eq!(fast["duration_seconds"], 30);
    assert!(
        fast["reasons"][0]["message"]
            .as_str()
            .unwrap()
            .contains("30"),
        "{fast}"
    );
    // Every count of valid questionnaires uses the valid ones.
    let (_, d) = api.get(&format!("/api/v1/surveys/{id}")).await;
    assert_eq!(
        (
            d["survey"]["response_count"].as_i64(),
            d["valid_count"].as_i64()
        ),
        (Some(7), Some(3))
    );
    let (_, v) = api.get(&format!("/api/v1/surveys/{id}/validity")).await;
    assert_eq!(
        v["counts"],
        json!({"total": 7, "valid": 3, "invalid": 4, "overridden": 0})
    );
    assert_eq!(app.audit_count("survey_validity_changed").await, 1);
}

#[tokio::test]
async fn rule_changes_judge_every_response_again_and_overrides_survive() {
    let app = TestApp::spawn().await;
    let (api, id, code, _) = published(&app).await;
    let mut ids = Vec::new();
    for (i, secs) in [100, 200, 300, 400].iter().enumerate() {
        let (status, body) = respond(
            &app,
            &code,
            timed(
                &format!("rejudge-{i:04}"),
                &format!("phone-{i:04}"),
                *secs,
                answers(),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        ids.push(body["id"].as_i64().unwrap());
    }
    let valid = |v: &Value| v["counts"]["valid"].as_i64().unwrap();
    let put = |rules: Value| {
        let api = &api;
        async move {
            let (status, body) = api
                .send(
                    Method::PUT,
                    &format!("/api/v1/surveys/{id}/validity"),
                    rules,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body
        }
    };
    assert_eq!(valid(&put(json!({"min_seconds": 250})).await), 2);
    // Overrides: a note is required, naming the field; the verdict must be a flag.
    let path = |r: i64| format!("/api/v1/surveys/{id}/responses/{r}/validity");
    let (status, body) = api.post(&path(ids[0]), json!({"valid": true})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"][0]["field"], "note");
    let (status, body) = api
        .post(&path(ids[0]), json!({"valid": "maybe", "note": " "}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["note", "valid"]);
    let (status, body) = api
        .post(
            &path(ids[0]),
            json!({"valid": true, "note": "纸质问卷补录，用时按纸面计"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["valid"].as_bool(), body["rules_valid"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(body["overridden"]["by"], "a.cadre");
    assert_eq!(
        body["reasons"][0]["code"], "too_fast",
        "the rules' reasons stay visible"
    );
    let (status, _) = api
        .post(
            &path(ids[3]),
            json!({"valid": false, "note": "同一人重复填写"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // A response of another survey, or none, is not found.
    assert_eq!(
        api.post(&path(999_999), json!({"valid": true, "note": "x"}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // The rules change: overrides win over the new verdicts.
    let v = put(json!({"min_seconds": 150})).await;
    assert_eq!(
        v["counts"],
        json!({"total": 4, "valid": 3, "invalid": 1, "overridden": 2})
    );
    let v = put(json!({})).await;
    assert_eq!(v["counts"]["valid"], 3, "ids[3] stays invalid by override");
    let got = reasons_of(&api, id).await;
    assert_eq!(got[&ids[3]], (false, vec![]));
    assert_eq!(got[&ids[1]], (true, vec![]));
    let (_, over) = api
        .get(&format!(
            "/api/v1/surveys/{id}/responses?validity=overridden"
        ))
        .await;
    assert_eq!(over["total"], 2);
    // Removing an override goes back to the rules' verdict.
    let (status, body) = api
        .post(&path(ids[3]), json!({"valid": null, "note": "复核后撤销"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["valid"].as_bool(), &body["overridden"]),
        (Some(true), &Value::Null)
    );
    assert_eq!(app.audit_count("survey_response_overridden").await, 3);
    assert_eq!(app.audit_count("survey_validity_changed").await, 3);
}

#[tokio::test]
async fn recomputation_walks_a_large_survey_in_steps_counting_devices_across_them() {
    let app = TestApp::spawn().await;
    let (api, id, _, v) = published(&app).await;
    // 4,500 stored responses (more than two recomputation steps), 1,000
    // phones: phones 0–499 sent five each, 500–999 four each.
    let org: i64 = sqlx::query_scalar("SELECT org_id FROM surveys WHERE id = $1")
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let mut tx = app.db.begin().await.unwrap();
    for i in 0..4500 {
        sqlx::query(
            "INSERT INTO survey_responses (survey_id, version_id, org_id, instance_id, answers, device_id, \
             started_at, ended_at, submitted_at) VALUES ($1, $2, $3, $4, '{}', $5, 0, 600, $6)",
        )
        .bind(id)
        .bind(v)
        .bind(org)
        .bind(format!("bulk-{i:06}"))
        .bind(format!("phone-{:04}", i % 1000))
        .bind(1_795_000_000i64 + i)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let (status, body) = api
        .send(
            Method::PUT,
            &format!("/api/v1/surveys/{id}/validity"),
            json!({"max_per_device": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Small enough to finish before the answer; otherwise follow the progress.
    let mut state = body;
    for _ in 0..100 {
        if state["recompute"].is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        state = api.get(&format!("/api/v1/surveys/{id}/validity")).await.1;
    }
    assert_eq!(state["recompute"], Value::Null, "{state}");
    assert_eq!(
        state["counts"],
        json!({"total": 4500, "valid": 2000, "invalid": 2500, "overridden": 0})
    );
    let (_, page) = api
        .get(&format!(
            "/api/v1/surveys/{id}/responses?validity=invalid&page=2"
        ))
        .await;
    assert_eq!(
        (page["page"].as_i64(), page["pages"].as_i64()),
        (Some(2), Some(50))
    );
    assert_eq!(page["items"].as_array().unwrap().len(), 50);
    assert_eq!(page["items"][0]["reasons"][0]["code"], "device_repeat");
}

#[tokio::test]
async fn validity_routes_are_for_the_owning_subtree_and_overrides_for_its_writers() {
    let app = TestApp::spawn().await;
    let (api, id, code, _) = published(&app).await;
    let (_, body) = respond(
        &app,
        &code,
        timed("access-00001", "phone-x-0001", 300, answers()),
    )
    .await;
    let rid = body["id"].as_i64().unwrap();
    let reads = [
        format!("/api/v1/surveys/{id}/validity"),
        format!("/api/v1/surveys/{id}/responses"),
    ];
    let writes = [
        (
            Method::PUT,
            format!("/api/v1/surveys/{id}/validity"),
            json!({"min_seconds": 10}),
        ),
        (
            Method::POST,
            format!("/api/v1/surveys/{id}/responses/{rid}/validity"),
            json!({"valid": false, "note": "x"}),
        ),
    ];
    let outsider = app.api("b.cadre").await;
    for p in &reads {
        assert_eq!(outsider.get(p).await.0, StatusCode::NOT_FOUND, "{p}");
    }
    for (m, p, b) in &writes {
        assert_eq!(
            outsider.send(m.clone(), p, b.clone()).await.0,
            StatusCode::NOT_FOUND,
            "{m} {p}"
        );
    }
    let browser = app.browser("b.cadre").await;
    for p in [
        format!("/surveys/{id}/validity"),
        format!("/surveys/{id}/responses"),
    ] {
        assert_eq!(
            browser.get(app.url(&p)).send().await.unwrap().status(),
            StatusCode::NOT_FOUND,
            "{p}"
        );
    }
    for p in [
        format!("/surveys/{id}/validity"),
        format!("/surveys/{id}/responses/{rid}/validity"),
    ] {
        let res = browser
            .post(app.url(&p))
            .form(&[("valid", "0"), ("note", "x"), ("min_seconds", "5")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{p}");
    }
    // A viewer of the owning org reads but neither changes rules nor overrides.
    let viewer = app.api("a.viewer").await;
    for p in &reads {
        assert_eq!(viewer.get(p).await.0, StatusCode::OK, "{p}");
    }
    for (m, p, b) in &writes {
        assert_eq!(
            viewer.send(m.clone(), p, b.clone()).await.0,
            StatusCode::FORBIDDEN,
            "{m} {p}"
        );
    }
    // Even without a note the viewer is refused for the role, not the field.
    assert_eq!(
        viewer
            .post(
                &format!("/api/v1/surveys/{id}/responses/{rid}/validity"),
                json!({"valid": false})
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // A reader above (the district) sees; anonymous callers are not let in.
    assert_eq!(
        app.api("district.admin").await.get(&reads[1]).await.0,
        StatusCode::OK
    );
    for p in &reads {
        assert_eq!(
            reqwest::get(app.url(p)).await.unwrap().status(),
            StatusCode::UNAUTHORIZED,
            "{p}"
        );
    }
    // Nothing changed.
    let (_, v) = api.get(&reads[0]).await;
    assert_eq!(v["counts"]["overridden"], 0);
    assert_eq!(v["rules"]["min_seconds"], Value::Null);
}

#[tokio::test]
async fn validity_and_review_pages_work_for_the_owner() {
    let app = TestApp::spawn().await;
    let (_, id, code, _) = published(&app).await;
    let (_, body) = respond(
        &app,
        &code,
        timed("page-0000001", "phone-p-0001", 20, answers()),
    )
    .await;
    let rid = body["id"].as_i64().unwrap();
    let c = app.browser("a.cadre").await;
    let res = c
        .post(app.url(&format!("/surveys/{id}/validity")))
        .form(&[("min_seconds", "x"), ("attention_lines", "score 4")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("甄别题第 1 行"), "the line is named");
    let res = c
        .post(app.url(&format!("/surveys/{id}/validity")))
        .form(&[
            ("min_seconds", "60"),
            ("attention_lines", "score = 4"),
            ("straight_lining_rows", ""),
            ("max_per_device", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = c
        .get(app.url(&format!("/surveys/{id}/validity")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("score = 4") && html.contains("value=\"60\""));
    let html = c
        .get(app.url(&format!("/surveys/{id}/responses?validity=invalid")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("too_fast") && html.contains("答题用时 20 秒"),
        "reasons shown"
    );
    // An override without a note is shown again with the message beside the note.
    let res = c
        .post(app.url(&format!("/surveys/{id}/responses/{rid}/validity")))
        .form(&[("valid", "1"), ("note", ""), ("back_validity", "invalid")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("“说明”"));
    let res = c
        .post(app.url(&format!("/surveys/{id}/responses/{rid}/validity")))
        .form(&[
            ("valid", "1"),
            ("note", "现场核实"),
            ("back_validity", "invalid"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = c
        .get(app.url(&format!("/surveys/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("有效问卷"));
    let html = c
        .get(app.url(&format!("/surveys/{id}/responses?validity=overridden")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("现场核实") && html.contains("经人工复核计为有效"));
}

/// The builder's data as the page embeds it (`#qt-builder-config`).
fn builder_config(html: &str) -> Value {
    let start = html
        .find(r#"id="qt-builder-config">"#)
        .expect("the builder's data")
        + r#"id="qt-builder-config">"#.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

#[tokio::test]
async fn the_builder_is_for_those_who_may_edit_the_form_and_saves_through_the_api() {
    let app = TestApp::spawn().await;
    let (_, id, _, v) = published(&app).await;
    // The survey's cadre: the page, linked from the survey, with the newest
    // version as the JSON `PUT …/form` takes (expressions as text).
    let cadre = app.browser("a.cadre").await;
    let detail = cadre
        .get(app.url(&format!("/surveys/{id}")))
        .send()
        .await
        .unwrap();
    assert!(
        detail
            .text()
            .await
            .unwrap()
            .contains(&format!("/surveys/{id}/build"))
    );
    let res = cadre
        .get(app.url(&format!("/surveys/{id}/build")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("/assets/survey-builder.js"));
    let cfg = builder_config(&html);
    assert_eq!(cfg["version"], v);
    assert_eq!(cfg["save"], format!("/api/v1/surveys/{id}/form"));
    let platform = &cfg["form"]["items"][2]["items"][0];
    assert_eq!(platform["relevant"], "${worker_group} = 'courier'");
    assert_eq!(
        cfg["form"]["items"][2]["items"][4]["required"],
        "count-selected(${topics}) > 0"
    );
    assert!(cfg["msg"]["add-question"].is_string());
    // The builder frames the phone preview; no other page may be framed.
    let frame = |res: &reqwest::Response| {
        let h = |n: &str| res.headers().get(n).unwrap().to_str().unwrap().to_string();
        (h("x-frame-options"), h("content-security-policy"))
    };
    let preview = cadre
        .get(app.url(&format!("/surveys/{id}/preview?version={v}")))
        .send()
        .await
        .unwrap();
    let (xfo, csp) = frame(&preview);
    assert_eq!(xfo, "SAMEORIGIN");
    assert!(csp.contains("frame-ancestors 'self'"), "{csp}");
    let build = cadre
        .get(app.url(&format!("/surveys/{id}/build")))
        .send()
        .await
        .unwrap();
    let (xfo, csp) = frame(&build);
    assert_eq!(xfo, "DENY");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");

    // Outside the owning subtree: 404; a viewer inside it: 403 — as the
    // settings page and every form write answer them.
    let outsider = app.browser("b.cadre").await;
    let viewer = app.browser("a.viewer").await;
    for (who, status) in [
        (&outsider, StatusCode::NOT_FOUND),
        (&viewer, StatusCode::FORBIDDEN),
    ] {
        for p in ["build", "edit"] {
            let res = who
                .get(app.url(&format!("/surveys/{id}/{p}")))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), status, "{p}");
        }
    }

    // Saving as the page does: the editable form back through the API with
    // the session, from the same origin. A published version stays as it is:
    // the save starts version 2 as a draft.
    let put = |who: &reqwest::Client, site: &'static str, body: Value| {
        who.put(app.url(&format!("/api/v1/surveys/{id}/form")))
            .header("sec-fetch-site", site)
            .json(&body)
            .send()
    };
    let form = cfg["form"].clone();
    for (who, status) in [
        (&outsider, StatusCode::NOT_FOUND),
        (&viewer, StatusCode::FORBIDDEN),
    ] {
        let res = put(who, "same-origin", form.clone()).await.unwrap();
        assert_eq!(res.status(), status);
    }
    let res = put(&cadre, "cross-site", form.clone()).await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "no writes from other sites"
    );
    let res = put(&cadre, "same-origin", form.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["created"], true);
    let api = app.api("a.cadre").await;
    let (_, first) = api
        .get(&format!("/api/v1/surveys/{id}/form?version={v}"))
        .await;
    let (_, second) = api.get(&format!("/api/v1/surveys/{id}/form")).await;
    assert_eq!(
        first, second,
        "the editable shape reads back as the same form"
    );

    // Refusals name the question and the property, so the page shows each
    // one at its question, in the user's language.
    let mut bad = form.clone();
    bad["items"][2]["items"][0]["relevant"] = json!("${worker_group} = ");
    bad["items"][2]["items"][1]["constraint"] = json!(". > ${nowhere}");
    let res = put(&cadre, "same-origin", bad).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    let fields = body["error"]["fields"].as_array().unwrap();
    assert_eq!(fields[0]["item"], "platform");
    assert_eq!(fields[0]["column"], "relevant");
    assert!(fields[0]["message"].as_str().unwrap().contains("第"));
    let mut bad = form;
    bad["items"][2]["items"][1]["constraint"] = json!(". > ${nowhere}");
    let res = put(&cadre, "same-origin", bad).await.unwrap();
    let body: Value = res.json().await.unwrap();
    let f = &body["error"]["fields"][0];
    assert_eq!(
        (f["item"].as_str(), f["column"].as_str()),
        (Some("hours"), Some("constraint"))
    );
    assert!(f["message"].as_str().unwrap().contains("nowhere"));
}

#[tokio::test]
async fn expressions_are_checked_by_the_servers_parser_as_they_are_typed() {
    let app = TestApp::spawn().await;
    let api = app.api("a.viewer").await;
    let (status, ok) = api
        .post(
            "/api/v1/surveys/expression",
            json!({"expr": "${age}>=16 and selected( ${topics}, 'wages')"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ok["ok"], true);
    assert_eq!(
        ok["canonical"],
        "${age} >= 16 and selected(${topics}, 'wages')"
    );
    assert_eq!(ok["references"], json!(["age", "topics"]));
    let (_, bad) = api
        .post(
            "/api/v1/surveys/expression",
            json!({"expr": "${age} >= 16 and"}),
        )
        .await;
    assert_eq!(bad["ok"], false);
    assert_eq!(bad["pos"], 16);
    assert!(
        bad["message"].as_str().unwrap().starts_with("第 17 个字符"),
        "{bad}"
    );
    let (_, empty) = api
        .post("/api/v1/surveys/expression", json!({"expr": "  "}))
        .await;
    assert_eq!(empty["ok"], true, "no condition");
    let res = app
        .anonymous()
        .post(app.url("/api/v1/surveys/expression"))
        .json(&json!({"expr": "1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
