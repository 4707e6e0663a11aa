//! Questionnaire analysis: frequencies, percentages, numeric summaries and
//! cross-tabs equal what is counted by hand from known responses; filters;
//! versions matched by name; the lazy back-fill of coded copies; keywords of
//! free text; the exports read back (XLSX by calamine, CSV, PDF by
//! pdftotext); an answer turned into a problem, linked both ways, once; the
//! campaign's valid count; and every route refused outside the survey's subtree.

use std::io::Cursor;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Api, TestApp, pdf_text};
use qingting::db::CampaignId;

fn form_json() -> Value {
    json!({
        "title": "骑手调查",
        "items": [
            {"name": "worker_group", "kind": "select_one", "choices": "groups", "other": true, "required": true,
             "label": {"中文 (zh)": "您的职业", "English (en)": "Your job"}},
            {"name": "region", "kind": "select_one", "choices": "regions", "label": "地区"},
            {"name": "age", "kind": "integer", "label": "年龄"},
            {"name": "score", "kind": {"type": "range", "start": 1, "end": 5, "step": 1}, "appearance": ["rating"], "label": "满意度"},
            {"name": "topics", "kind": "select_multiple", "choices": "topics", "other": true, "label": "关心的问题"},
            {"name": "since", "kind": "date", "label": "入行时间"},
            {"name": "advice", "kind": "text", "label": "建议"}
        ],
        "choice_lists": [
            {"name": "groups", "choices": [
                {"name": "courier", "label": "快递员"}, {"name": "food_delivery", "label": "外卖配送员"},
                {"name": "truck_driver", "label": "货车司机"}]},
            {"name": "regions", "choices": [{"name": "shanghai", "label": "上海"}, {"name": "beijing", "label": "北京"}]},
            {"name": "topics", "choices": [
                {"name": "wages", "label": "工资"}, {"name": "safety", "label": "安全"}, {"name": "rest", "label": "休息"}]}
        ]
    })
}

/// The known responses: five valid, the sixth made invalid by the test.
fn responses() -> Vec<Value> {
    vec![
        json!({"worker_group": "courier", "region": "shanghai", "age": 20, "score": 5, "topics": ["wages", "safety"],
               "since": "2020-01-01", "advice": "希望多建骑手驿站"}),
        json!({"worker_group": "courier", "region": "beijing", "age": 30, "score": 4, "topics": ["wages"],
               "since": "2022-06-30", "advice": "骑手驿站太少，夏天没地方休息"}),
        json!({"worker_group": "food_delivery", "region": "shanghai", "age": 40, "score": 3, "topics": ["safety", "rest"]}),
        json!({"worker_group": "food_delivery", "region": "shanghai", "age": 50, "score": 4, "topics": ["other"],
               "topics_other": "保险"}),
        json!({"worker_group": "truck_driver", "region": "beijing", "age": 25, "topics": ["rest"], "since": "2019-05-01"}),
        json!({"worker_group": "other", "worker_group_other": "网约车司机", "region": "shanghai", "age": 35, "score": 2,
               "topics": ["wages"], "advice": "=平台抽成太高"}),
    ]
}

pub(crate) struct Fixture {
    api: Api,
    id: i64,
    code: String,
    response_ids: Vec<i64>,
}

/// A published survey of street A in a district campaign, with the six
/// responses stored through the public API and the sixth marked invalid.
async fn fixture(app: &TestApp) -> Fixture {
    let campaign = crate::activities::campaign(app, app.district).await;
    fixture_in(app, campaign).await
}

/// The same survey, in `campaign`.
pub(crate) async fn fixture_in(app: &TestApp, campaign: CampaignId) -> Fixture {
    let api = app.api("a.cadre").await;
    let (status, body) = api
        .post(
            "/api/v1/surveys",
            json!({"title": "骑手调查", "campaign_id": campaign.0.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
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
    let (status, body) = api
        .post(&format!("/api/v1/surveys/{id}/publish"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut response_ids = Vec::new();
    for (i, answers) in responses().into_iter().enumerate() {
        let res = reqwest::Client::new()
            .post(app.url(&format!("/api/v1/s/{code}/responses")))
            .json(
                &json!({"instance_id": format!("analysis-{i:04}"), "answers": answers,
                          "started_at": 1_795_000_000i64, "ended_at": 1_795_000_100i64 + i as i64}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.unwrap();
        response_ids.push(body["id"].as_i64().unwrap());
    }
    // A reviewer's override marks it invalid; the coded copy follows.
    let (status, body) = api
        .post(
            &format!(
                "/api/v1/surveys/{id}/responses/{}/validity",
                response_ids[5]
            ),
            json!({"valid": false, "note": "抽成问题重复填写"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    Fixture {
        api,
        id,
        code,
        response_ids,
    }
}

fn question<'a>(a: &'a Value, name: &str) -> &'a Value {
    a["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == name)
        .unwrap_or_else(|| panic!("no question {name}"))
}

/// (label, count, percent) of a choice question.
fn choices(a: &Value, name: &str) -> Vec<(String, u64, f64)> {
    question(a, name)["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["label"].as_str().unwrap().to_string(),
                c["count"].as_u64().unwrap(),
                c["percent"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[tokio::test]
async fn survey_analysis_counts_what_is_counted_by_hand() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let (status, a) = f
        .api
        .get(&format!("/api/v1/surveys/{}/analysis", f.id))
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["responses"], 5, "valid responses only by default");
    // Single choice: percent of those who answered.
    assert_eq!(
        choices(&a, "worker_group"),
        [
            ("快递员".to_string(), 2, 40.0),
            ("外卖配送员".to_string(), 2, 40.0),
            ("货车司机".to_string(), 1, 20.0),
            ("其他".to_string(), 0, 0.0)
        ]
    );
    assert_eq!(
        choices(&a, "region"),
        [("上海".to_string(), 3, 60.0), ("北京".to_string(), 2, 40.0)]
    );
    // Multiple choice: each choice over the five respondents.
    assert_eq!(question(&a, "topics")["answered"], 5);
    assert_eq!(
        choices(&a, "topics"),
        [
            ("工资".to_string(), 2, 40.0),
            ("安全".to_string(), 2, 40.0),
            ("休息".to_string(), 2, 40.0),
            ("其他".to_string(), 1, 20.0)
        ]
    );
    // age 20 30 40 50 25 → sorted 20 25 30 40 50.
    let age = &question(&a, "age")["summary"];
    assert_eq!(age["n"], 5);
    for (k, v) in [
        ("mean", 33.0),
        ("median", 30.0),
        ("min", 20.0),
        ("max", 50.0),
        ("q1", 25.0),
        ("q3", 40.0),
    ] {
        assert!(close(age[k].as_f64().unwrap(), v), "age {k}: {age}");
    }
    // score 5 4 3 4 → sorted 3 4 4 5: quartiles interpolate.
    let score = question(&a, "score");
    assert_eq!(score["missing"], 1);
    let s = &score["summary"];
    for (k, v) in [("mean", 4.0), ("median", 4.0), ("q1", 3.75), ("q3", 4.25)] {
        assert!(close(s[k].as_f64().unwrap(), v), "score {k}: {s}");
    }
    assert_eq!(
        score["distribution"],
        json!([
            {"value": 3.0, "count": 1},
            {"value": 4.0, "count": 2},
            {"value": 5.0, "count": 1}
        ])
    );
    let since = &question(&a, "since")["dates"];
    assert_eq!(
        (&since["n"], &since["min"], &since["median"], &since["max"]),
        (
            &json!(3),
            &json!("2019-05-01"),
            &json!("2020-01-01"),
            &json!("2022-06-30")
        )
    );
    assert_eq!(question(&a, "advice")["answered"], 2);

    // Default cross-tab: the first choice question other than the worker
    // group's (region) by worker group.
    let x = &a["crosstab"];
    assert_eq!(x["row"], "region");
    assert_eq!(x["by"], "worker_group");

    // Question × question, with row percentages.
    let (_, a) = f
        .api
        .get(&format!(
            "/api/v1/surveys/{}/analysis?row=worker_group&by=region",
            f.id
        ))
        .await;
    let x = &a["crosstab"];
    assert_eq!(
        x["rows"],
        json!(["快递员", "外卖配送员", "货车司机", "其他"])
    );
    assert_eq!(x["columns"], json!(["上海", "北京"]));
    assert_eq!(x["cells"], json!([[1, 1], [2, 0], [0, 1], [0, 0]]));
    assert_eq!(x["row_totals"], json!([2, 2, 1, 0]));
    assert_eq!(x["column_totals"], json!([3, 2]));
    assert_eq!(x["row_percent"][0], json!([50.0, 50.0]));
    assert_eq!(x["row_percent"][1], json!([100.0, 0.0]));

    // A multiple choice by worker group (the response's stored group).
    let (_, a) = f
        .api
        .get(&format!(
            "/api/v1/surveys/{}/analysis?row=topics&by=worker_group",
            f.id
        ))
        .await;
    let x = &a["crosstab"];
    // Columns in the order of the worker group list, not of appearance.
    assert_eq!(x["columns"], json!(["货车司机", "快递员", "外卖配送员"]));
    // wages: 2 couriers; safety: courier, rider; rest: rider, truck; other: rider.
    assert_eq!(
        x["cells"],
        json!([[0, 2, 0], [0, 1, 1], [1, 0, 1], [0, 0, 1]])
    );
    assert_eq!(x["row_totals"], json!([2, 2, 2, 1]));
    assert_eq!(x["row_percent"][1], json!([0.0, 50.0, 50.0]));

    // A numeric question cannot be a cross-tab's row.
    let (status, body) = f
        .api
        .get(&format!("/api/v1/surveys/{}/analysis?row=age", f.id))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn survey_analysis_filters_validity_dates_groups_and_regions() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let get = |q: &str| {
        let path = format!("/api/v1/surveys/{}/analysis?{q}", f.id);
        let api = &f.api;
        async move { api.get(&path).await }
    };
    let (_, all) = get("valid=all").await;
    assert_eq!(all["responses"], 6);
    assert_eq!(
        choices(&all, "worker_group")[3].1,
        1,
        "the invalid one is other"
    );
    let (_, invalid) = get("valid=invalid").await;
    assert_eq!(invalid["responses"], 1);
    assert_eq!(question(&invalid, "age")["summary"]["mean"], 35.0);
    let (_, courier) = get("group=快递员").await;
    assert_eq!(courier["responses"], 2);
    assert_eq!(
        choices(&courier, "topics")[0],
        ("工资".to_string(), 2, 100.0)
    );
    let (_, shanghai) = get("region=shanghai").await;
    assert_eq!(shanghai["responses"], 3);
    let today = qingting::date::Day::today();
    let (_, now) = get(&format!("from={}&to={}", today.iso(), today.iso())).await;
    assert_eq!(now["responses"], 5);
    let (_, later) = get(&format!("from={}", today.plus_days(1).iso())).await;
    assert_eq!(later["responses"], 0);
    assert_eq!(question(&later, "age")["summary"], Value::Null);
    let (_, earlier) = get(&format!("to={}", today.plus_days(-1).iso())).await;
    assert_eq!(earlier["responses"], 0);
    for bad in [
        "valid=maybe",
        "from=2026-12-01&to=2026-11-01",
        "from=someday",
        "by=nothing",
    ] {
        let (status, body) = get(bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
    // The override withdrawn, it is valid again: the trigger keeps the coded
    // copy's validity in step.
    let (status, body) = f
        .api
        .post(
            &format!(
                "/api/v1/surveys/{}/responses/{}/validity",
                f.id, f.response_ids[5]
            ),
            json!({"valid": null, "note": "复核后撤销"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, valid) = get("").await;
    assert_eq!(valid["responses"], 6);
}

#[tokio::test]
async fn survey_analysis_codes_old_responses_lazily_and_matches_versions_by_name() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let (_, before) = f
        .api
        .get(&format!("/api/v1/surveys/{}/analysis?valid=all", f.id))
        .await;
    // Responses stored before the analysis existed (migration 0008 gives them
    // an empty line) or by a path that does not code: the first analysis codes them.
    sqlx::query(
        "UPDATE survey_codes SET line = '', worker_group = '', region = '' WHERE survey_id = $1",
    )
    .bind(f.id)
    .execute(app.db.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO survey_responses (survey_id, version_id, org_id, instance_id, answers, worker_group, submitted_at) \
         SELECT survey_id, version_id, org_id, 'inserted-directly', '{\"age\": \"60\"}', 'courier', submitted_at \
         FROM survey_responses WHERE id = $1",
    )
    .bind(f.response_ids[0])
    .execute(app.db.pool())
    .await
    .unwrap();
    let (_, after) = f
        .api
        .get(&format!("/api/v1/surveys/{}/analysis?valid=all", f.id))
        .await;
    assert_eq!(after["responses"], 7);
    assert_eq!(question(&after, "age")["summary"]["max"], 60.0);
    assert_eq!(
        before["questions"][0]["choices"], after["questions"][0]["choices"],
        "the group is unchanged"
    );
    let uncoded: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM survey_codes WHERE survey_id = $1 AND line = ''")
            .bind(f.id)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(uncoded, 0);
    sqlx::query("DELETE FROM survey_responses WHERE instance_id = 'inserted-directly'")
        .execute(app.db.pool())
        .await
        .unwrap();

    // Version 2: a new group first in the list, `age` gone, `hours` new.
    let mut form = form_json();
    form["choice_lists"][0]["choices"]
        .as_array_mut()
        .unwrap()
        .insert(0, json!({"name": "ride_hailing", "label": "网约车司机"}));
    form["items"][2] = json!({"name": "hours", "kind": "decimal", "label": "工时"});
    let (status, body) = f
        .api
        .send(Method::PUT, &format!("/api/v1/surveys/{}/form", f.id), form)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = f
        .api
        .post(&format!("/api/v1/surveys/{}/publish", f.id), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/s/{}/responses", f.code)))
        .json(&json!({"instance_id": "analysis-v2-0001", "answers":
            {"worker_group": "ride_hailing", "region": "beijing", "hours": "9.5", "topics": ["wages"]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let (_, a) = f
        .api
        .get(&format!("/api/v1/surveys/{}/analysis", f.id))
        .await;
    assert_eq!(a["responses"], 6);
    let names: Vec<&str> = a["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "worker_group",
            "region",
            "hours",
            "score",
            "topics",
            "since",
            "advice",
            "age"
        ],
        "the newest version's order, then questions only older versions ask"
    );
    assert_eq!(
        choices(&a, "worker_group"),
        [
            ("网约车司机".to_string(), 1, 100.0 / 6.0),
            ("快递员".to_string(), 2, 100.0 / 3.0),
            ("外卖配送员".to_string(), 2, 100.0 / 3.0),
            ("货车司机".to_string(), 1, 100.0 / 6.0),
            ("其他".to_string(), 0, 0.0)
        ]
    );
    assert_eq!(question(&a, "age")["answered"], 5);
    assert_eq!(question(&a, "age")["missing"], 1);
    assert_eq!(question(&a, "hours")["summary"]["mean"], 9.5);
    assert_eq!(choices(&a, "topics")[0].1, 3);
}

#[tokio::test]
async fn survey_analysis_free_text_keywords_and_pages() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let (status, t) = f
        .api
        .get(&format!(
            "/api/v1/surveys/{}/analysis/text/advice?valid=all",
            f.id
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    let texts: Vec<&str> = t["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "=平台抽成太高",
            "骑手驿站太少，夏天没地方休息",
            "希望多建骑手驿站"
        ],
        "newest first"
    );
    let kw = crate::helpers::keywords(&t);
    assert_eq!(kw[0].1, 2, "{kw:?}");
    assert!(
        kw.contains(&("驿站".into(), 2)) && kw.contains(&("骑手".into(), 2)),
        "{kw:?}"
    );
    assert!(!kw.iter().any(|(w, _)| w == "希望" || w == "，"), "{kw:?}");
    assert_eq!(t["has_next"], false);
    // Valid only: the invalid response's answer is not listed.
    let (_, t) = f
        .api
        .get(&format!("/api/v1/surveys/{}/analysis/text/advice", f.id))
        .await;
    assert_eq!(t["answers"].as_array().unwrap().len(), 2);
    // Only text questions have a text page.
    let (status, _) = f
        .api
        .get(&format!("/api/v1/surveys/{}/analysis/text/age", f.id))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The page shows the answers and their keywords.
    let client = app.browser("a.viewer").await;
    let html = client
        .get(app.url(&format!("/surveys/{}/analysis/text/advice", f.id)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("骑手驿站太少") && html.contains("驿站"),
        "{html}"
    );
    assert!(!html.contains("转为问题"), "a viewer cannot make problems");
}

/// Reads every sheet of a workbook as text cells.
fn sheets(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let names = book.sheet_names().to_vec();
    names
        .into_iter()
        .map(|n| {
            let range = book.worksheet_range(&n).unwrap();
            let rows = range
                .rows()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect();
            (n, rows)
        })
        .collect()
}

async fn download(app: &TestApp, api: &Api, path: &str) -> (StatusCode, String, Vec<u8>) {
    let res = app
        .anonymous()
        .get(app.url(path))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let ctype = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ctype, res.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn survey_analysis_exports_read_back() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let audits = app.audit_count("export").await;
    let (_, a) = f
        .api
        .get(&format!(
            "/api/v1/surveys/{}/analysis?row=worker_group&by=region",
            f.id
        ))
        .await;

    // Results workbook: every frequency cell equals the analysis.
    let (status, ctype, bytes) = download(
        &app,
        &f.api,
        &format!(
            "/api/v1/surveys/{}/analysis/export?format=xlsx&row=worker_group&by=region",
            f.id
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.contains("spreadsheetml"), "{ctype}");
    let book = sheets(&bytes);
    let qs = a["questions"].as_array().unwrap();
    assert_eq!(
        book.len(),
        1 + qs.len() + 1,
        "overview, one per question, cross-tab"
    );
    for (i, q) in qs.iter().enumerate() {
        let (name, rows) = &book[1 + i];
        assert!(name.contains(q["name"].as_str().unwrap()), "{name}");
        if let Some(cs) = q["choices"].as_array().filter(|c| !c.is_empty()) {
            for (k, c) in cs.iter().enumerate() {
                let row = &rows[4 + k];
                assert_eq!(row[0], c["label"].as_str().unwrap());
                assert_eq!(row[1], c["count"].to_string(), "{name} {row:?}");
                let p: f64 = row[2].parse().unwrap();
                assert!(
                    (p - c["percent"].as_f64().unwrap()).abs() < 0.051,
                    "{name} {row:?}"
                );
            }
            assert_eq!(rows[4 + cs.len()][1], q["missing"].to_string());
        }
    }
    let age = &book[1 + 2].1;
    assert_eq!(age[4][1], "5");
    assert_eq!(age[5][1], "33");
    let (xname, x) = book.last().unwrap();
    assert_eq!(xname, "交叉分析");
    assert_eq!(x[3][1..], ["上海", "北京", "合计"]);
    assert_eq!(x[4][..4], ["快递员", "1", "1", "2"]);
    assert_eq!(x[5][..4], ["外卖配送员", "2", "0", "2"]);

    // Results PDF: A4 with the labels and figures as text.
    let (pdf_status, ctype, pdf) = download(
        &app,
        &f.api,
        &format!("/api/v1/surveys/{}/analysis/export?format=pdf", f.id),
    )
    .await;
    if pdf_status == StatusCode::OK {
        assert_eq!(ctype, "application/pdf");
        assert!(pdf.starts_with(b"%PDF"));
        if let Some(text) = pdf_text(&pdf) {
            for want in ["骑手调查", "外卖配送员", "40.0%", "有效问卷", "平均值"] {
                assert!(text.contains(want), "{want} in {text}");
            }
        }
    } else {
        // No Chinese font on this machine: the error says which to install.
        assert_eq!(pdf_status, StatusCode::INTERNAL_SERVER_ERROR);
    }

    // Responses as CSV with codes: one 0/1 column per choice of topics.
    let (status, ctype, csv) = download(
        &app,
        &f.api,
        &format!(
            "/api/v1/surveys/{}/responses/export?format=csv&valid=all",
            f.id
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("text/csv"));
    let text = String::from_utf8(csv).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a BOM for Excel");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    for col in [
        "response_id",
        "resp_worker_group",
        "resp_region",
        "worker_group",
        "region",
        "valid",
        "age",
        "topics_wages",
        "topics_safety",
        "topics_rest",
        "topics_other",
        "topics_other_text",
        "worker_group_other_text",
        "advice",
    ] {
        assert!(header.iter().any(|h| h == col), "{col} in {header:?}");
    }
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    assert_eq!(rows.len(), 6);
    // Response 1: courier (code 1 of the list), wages and safety ticked.
    let first = &rows[0];
    assert_eq!(first[at("worker_group")], "1");
    assert_eq!(first[at("resp_worker_group")], "courier");
    assert_eq!(
        [
            &first[at("topics_wages")],
            &first[at("topics_safety")],
            &first[at("topics_rest")],
            &first[at("topics_other")]
        ],
        ["1", "1", "0", "0"]
    );
    assert_eq!(rows[3][at("topics_other")], "1");
    assert_eq!(rows[3][at("topics_other_text")], "保险");
    assert_eq!(rows[4][at("advice")], "", "no answer");
    assert_eq!(rows[5][at("valid")], "0");
    assert_eq!(
        rows[5][at("worker_group")],
        "4",
        "other is after the three groups"
    );
    assert_eq!(rows[5][at("worker_group_other_text")], "网约车司机");
    assert_eq!(
        rows[5][at("advice")],
        "'=平台抽成太高",
        "no formula in a spreadsheet"
    );
    assert_eq!(rows[1][at("seconds")], "101");

    // Responses as XLSX with labels, and the codebook sheet.
    let (status, _, bytes) = download(
        &app,
        &f.api,
        &format!(
            "/api/v1/surveys/{}/responses/export?format=xlsx&values=labels",
            f.id
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let book = sheets(&bytes);
    assert_eq!(book.len(), 2);
    let (_, rows) = &book[0];
    assert_eq!(rows.len(), 1 + 5, "valid only");
    let h = &rows[0];
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    assert_eq!(rows[1][col("worker_group")], "快递员");
    assert_eq!(rows[1][col("topics_wages")], "工资");
    assert_eq!(rows[1][col("topics_rest")], "");
    let (cb_name, cb) = &book[1];
    assert_eq!(cb_name, "编码表");
    let wg_row = cb
        .iter()
        .position(|r| r[0] == "worker_group" && r[1] == "您的职业")
        .unwrap();
    assert_eq!(cb[wg_row + 1][2..], ["1", "快递员"]);
    assert_eq!(cb[wg_row + 4][2..], ["4", "其他"]);

    // The codebook as CSV.
    let (status, _, cb) = download(
        &app,
        &f.api,
        &format!(
            "/api/v1/surveys/{}/responses/export?format=csv&codebook=1",
            f.id
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8(cb).unwrap().contains("topics_wages"));

    // Every export was audited; bad parameters are refused.
    let pdf_made = i64::from(pdf_status == StatusCode::OK);
    assert_eq!(app.audit_count("export").await, audits + 4 + pdf_made);
    let (status, _, _) = download(
        &app,
        &f.api,
        &format!("/api/v1/surveys/{}/responses/export?format=sav", f.id),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // The page's progress cookie comes back with the file.
    let res = app
        .anonymous()
        .get(app.url(&format!(
            "/api/v1/surveys/{}/responses/export?format=csv&dl=abc123",
            f.id
        )))
        .bearer_auth(&f.api.token)
        .send()
        .await
        .unwrap();
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.starts_with("qt_download=abc123"), "{cookie}");
}

#[tokio::test]
async fn survey_analysis_turns_an_answer_into_one_problem_linked_both_ways() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let rid = f.response_ids[1];
    let path = format!("/api/v1/surveys/{}/responses/{rid}/problem", f.id);
    let (status, made) = f
        .api
        .post(&path, json!({"question": "advice", "topic": "safety"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let pid = made["problem_id"].as_i64().unwrap();
    // A second click: the same problem, nothing new.
    let (status, again) = f
        .api
        .post(&path, json!({"question": "advice", "topic": "safety"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["problem_id"], pid);
    assert_eq!(again["created"], false);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM survey_response_problems")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 1);
    // The problem: the survey's org, a worker's, the answer's text, the campaign.
    let (status, p) = f.api.get(&format!("/api/v1/problems/{pid}")).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["org_id"], app.street_a.0);
    assert_eq!(p["source"], "worker");
    assert_eq!(p["worker_group"], "courier");
    assert_eq!(p["description"], "骑手驿站太少，夏天没地方休息");
    assert!(p["campaign_id"].as_i64().is_some());
    assert_eq!(p["survey_response"]["response_id"], rid);
    assert_eq!(p["survey_response"]["question"], "advice");
    // And back: the response and the text list name the problem.
    let (_, r) = f
        .api
        .get(&format!("/api/v1/surveys/{}/responses/{rid}", f.id))
        .await;
    assert_eq!(
        r["problems"],
        json!([{"question": "advice", "problem_id": pid}])
    );
    let (_, t) = f
        .api
        .get(&format!("/api/v1/surveys/{}/analysis/text/advice", f.id))
        .await;
    assert_eq!(t["answers"][0]["problem_id"], pid);
    // Both pages link to each other.
    let client = app.browser("a.cadre").await;
    let page = |p: String| {
        let client = client.clone();
        let url = app.url(&p);
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let html = page(format!("/problems/{pid}")).await;
    assert!(
        html.contains(&format!("/surveys/{}/responses/{rid}", f.id))
            && html.contains(&format!("答卷 #{rid}")),
        "{html}"
    );
    let html = page(format!("/surveys/{}/responses/{rid}", f.id)).await;
    assert!(html.contains(&format!("/problems/{pid}")), "{html}");
    // The page's button for another answer: a redirect to the new problem.
    let res = client
        .post(app.url(&format!(
            "/surveys/{}/responses/{}/problem",
            f.id, f.response_ids[0]
        )))
        .form(&[("question", "advice"), ("topic", "other")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap();
    assert!(
        to.starts_with("/problems/") && to != format!("/problems/{pid}"),
        "{to}"
    );
    // Refusals: no answer, not a text question, a viewer, another street.
    let (status, _) = f
        .api
        .post(
            &format!(
                "/api/v1/surveys/{}/responses/{}/problem",
                f.id, f.response_ids[2]
            ),
            json!({"question": "advice"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = f.api.post(&path, json!({"question": "region"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app
        .api("a.viewer")
        .await
        .post(&path, json!({"question": "advice"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .api("b.cadre")
        .await
        .post(&path, json!({"question": "advice"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn survey_analysis_counts_in_the_campaign_and_pages_render() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let campaign: i64 = sqlx::query_scalar("SELECT campaign_id FROM surveys WHERE id = $1")
        .bind(f.id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let (status, c) = app
        .api("district.admin")
        .await
        .get(&format!("/api/v1/campaigns/{campaign}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["surveys"][0]["valid_responses"], 5);
    assert_eq!(c["surveys"][0]["responses"], 6);
    let client = app.browser("a.viewer").await;
    let html = client
        .get(app.url(&format!("/surveys/{}/analysis?row=topics&by=region", f.id)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for want in [
        "共 5 份问卷",
        "外卖配送员",
        "40.0%",
        "analysis-charts",
        "/assets/vendor/echarts/echarts.simple.min.js",
        "下四分位数",
    ] {
        assert!(html.contains(want), "{want}");
    }
    // ECharts is served with a long cache, and never by the filling page.
    let res = app
        .anonymous()
        .get(app.url("/assets/vendor/echarts/echarts.simple.min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=31536000")
    );
    let fill = app
        .anonymous()
        .get(app.url(&format!("/s/{}", f.code)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!fill.contains("echarts"));
}

#[tokio::test]
async fn survey_analysis_routes_are_refused_outside_the_subtree() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let rid = f.response_ids[0];
    let id = f.id;
    let gets = [
        format!("/api/v1/surveys/{id}/analysis"),
        format!("/api/v1/surveys/{id}/analysis/text/advice"),
        format!("/api/v1/surveys/{id}/analysis/export?format=xlsx"),
        format!("/api/v1/surveys/{id}/analysis/export?format=pdf"),
        format!("/api/v1/surveys/{id}/responses/export?format=csv"),
        format!("/api/v1/surveys/{id}/responses/export?format=xlsx"),
        format!("/api/v1/surveys/{id}/responses/{rid}"),
        format!("/surveys/{id}/analysis"),
        format!("/surveys/{id}/analysis/text/advice"),
        format!("/surveys/{id}/responses/{rid}"),
    ];
    let other = app.api("b.cadre").await;
    let other_page = app.browser("b.cadre").await;
    let anonymous = app.anonymous();
    let exports = app.audit_count("export").await;
    for p in &gets {
        let (status, _, _) = download(&app, &other, p).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{p}");
        let res = other_page.get(app.url(p)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{p}");
        let res = anonymous.get(app.url(p)).send().await.unwrap();
        let to_login = res
            .headers()
            .get("location")
            .is_some_and(|l| l.to_str().unwrap().starts_with("/login"));
        assert!(
            res.status() == StatusCode::UNAUTHORIZED || to_login,
            "{p}: {}",
            res.status()
        );
    }
    assert_eq!(app.audit_count("export").await, exports, "nothing exported");
    // The problem button, as a page form.
    let res = other_page
        .post(app.url(&format!("/surveys/{id}/responses/{rid}/problem")))
        .form(&[("question", "advice")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // A response of another survey is not found through this one.
    let (status, _) = f
        .api
        .get(&format!("/api/v1/surveys/{}/responses/{rid}", id + 1000))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The district reads its subtree.
    let (status, _) = app
        .api("district.admin")
        .await
        .get(&format!("/api/v1/surveys/{id}/analysis"))
        .await;
    assert_eq!(status, StatusCode::OK);
}

/// Every download of the survey domain is under `/api/v1`: without
/// credentials 401 in the JSON error shape (not a redirect to the login
/// page); with a token or a session the file in its media type; outside the
/// survey's subtree 404.
#[tokio::test]
async fn survey_downloads_answer_401_json_their_media_type_and_404_outside() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let id = f.id;
    let (_, d) = f.api.get(&format!("/api/v1/surveys/{id}")).await;
    let v = d["versions"][0]["id"].as_i64().unwrap();
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let csv = "text/csv; charset=utf-8";
    let downloads = [
        (format!("/api/v1/surveys/{id}/versions/{v}/xlsform"), xlsx),
        (
            format!("/api/v1/surveys/{id}/analysis/export?format=xlsx"),
            xlsx,
        ),
        (
            format!("/api/v1/surveys/{id}/analysis/export?format=pdf"),
            "application/pdf",
        ),
        (
            format!("/api/v1/surveys/{id}/responses/export?format=csv"),
            csv,
        ),
        (
            format!("/api/v1/surveys/{id}/responses/export?format=xlsx"),
            xlsx,
        ),
        (
            format!("/api/v1/surveys/{id}/responses/export?format=csv&codebook=1"),
            csv,
        ),
    ];
    let session = app.browser("a.cadre").await;
    let other = app.api("b.cadre").await;
    for (p, ctype) in &downloads {
        let res = app.anonymous().get(app.url(p)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{p}");
        let got = res.headers()["content-type"].to_str().unwrap().to_string();
        assert!(got.starts_with("application/json"), "{p}: {got}");
        let body: Value = res.json().await.unwrap();
        assert!(body["error"]["code"].is_string(), "{p}: {body}");
        let (status, got, _) = download(&app, &f.api, p).await;
        if status == StatusCode::INTERNAL_SERVER_ERROR && p.contains("format=pdf") {
            // No Chinese font on this machine: the PDF cannot be drawn.
            continue;
        }
        assert_eq!((status, got.as_str()), (StatusCode::OK, *ctype), "{p}");
        let res = session.get(app.url(p)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{p} with a session");
        assert_eq!(res.headers()["content-type"].to_str().unwrap(), *ctype);
        let (status, _, _) = download(&app, &other, p).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{p}");
    }
}
