//! Personal numbers typed into free-text answers (issue 14 §3): a viewer of
//! the survey's org sees them masked in the review list, the response, the
//! free-text answers and their keywords, the API, the exports and a report's
//! citations; a cadre there sees them in full and every such view is one
//! audit row (who, which survey or response, from which address); a report
//! never carries them; callers outside the subtree still get 404.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Api, TestApp};

/// A resident ID number with a valid check character (GB 11643's example).
const ID: &str = "11010519491231002X";
const MOBILE: &str = "13812345678";
const LANDLINE: &str = "021-12345678";

/// Digit strings of the numbers above that masking hides.
const HIDDEN: [&str; 4] = [MOBILE, "1234", "0519491231", "12345678"];

fn form_json() -> Value {
    json!({
        "title": "骑手诉求调查",
        "items": [
            {"name": "worker_group", "kind": "select_one", "choices": "groups", "required": true, "label": "您的职业"},
            {"name": "advice", "kind": "text", "label": "您的诉求"}
        ],
        "choice_lists": [
            {"name": "groups", "choices": [{"name": "courier", "label": "快递员"}, {"name": "food_delivery", "label": "外卖配送员"}]}
        ]
    })
}

struct Fx {
    cadre: Api,
    campaign: i64,
    survey: i64,
    /// With a mobile, with an ID number, without numbers, with a landline.
    responses: Vec<i64>,
}

/// Street A's published survey in a district campaign with four responses.
async fn fixture(app: &TestApp) -> Fx {
    let campaign = crate::activities::campaign(app, app.district).await;
    sqlx::query("INSERT INTO campaign_units (campaign_id, org_id) VALUES ($1, $2)")
        .bind(campaign)
        .bind(app.street_a)
        .execute(app.db.pool())
        .await
        .unwrap();
    let cadre = app.api("a.cadre").await;
    let (status, body) = cadre
        .post(
            "/api/v1/surveys",
            json!({"title": "骑手诉求调查", "campaign_id": campaign.0.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let survey = body["survey"]["id"].as_i64().unwrap();
    let code = body["survey"]["code"].as_str().unwrap().to_string();
    let (status, body) = cadre
        .send(
            Method::PUT,
            &format!("/api/v1/surveys/{survey}/form"),
            form_json(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = cadre
        .post(&format!("/api/v1/surveys/{survey}/publish"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let advice = [
        "工资拖欠三个月，请联系我 138 1234 5678".to_string(),
        format!("身份证{ID}，社保一直没有缴纳"),
        "希望多建骑手驿站".to_string(),
        format!("站点座机{LANDLINE}打不通"),
    ];
    let mut responses = Vec::new();
    for (i, a) in advice.iter().enumerate() {
        let res = reqwest::Client::new()
            .post(app.url(&format!("/api/v1/s/{code}/responses")))
            .json(&json!({"instance_id": format!("privacy-{i:04}"),
                "answers": {"worker_group": "courier", "advice": a}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        responses.push(res.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    Fx {
        cadre,
        campaign: campaign.0,
        survey,
        responses,
    }
}

/// Whether a text shows none of the hidden digits.
fn masked(text: &str) -> bool {
    !HIDDEN.iter().any(|h| text.contains(h))
}

/// Whether a text shows the numbers in full.
fn full(text: &str) -> bool {
    text.contains("138 1234 5678") && text.contains(ID) && text.contains(LANDLINE)
}

async fn page(app: &TestApp, user: &str, path: &str) -> (StatusCode, String) {
    let res = app
        .browser(user)
        .await
        .get(app.url(path))
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
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

/// The text cells of every sheet of a workbook.
fn xlsx_text(bytes: &[u8]) -> String {
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut out = String::new();
    for n in book.sheet_names().to_vec() {
        for row in book.worksheet_range(&n).unwrap().rows() {
            for c in row {
                out.push_str(&c.to_string());
                out.push('\t');
            }
            out.push('\n');
        }
    }
    out
}

async fn personal_views(app: &TestApp) -> i64 {
    app.audit_count("personal_data_viewed").await
}

/// The newest audit row of an action: (username, target, detail, ip).
async fn last_audit(app: &TestApp, action: &str) -> (String, String, String, Option<String>) {
    sqlx::query_as(
        "SELECT username, target, detail, ip FROM audit_log WHERE action = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(action)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

/// The report citing the answers with numbers; returns its id.
async fn report(f: &Fx) -> i64 {
    let (status, body) = f
        .cadre
        .post(
            "/api/v1/reports",
            json!({
                "client_id": "privacy-report-1", "campaign_id": f.campaign, "title": "快递员诉求专题报告",
                "worker_group": "courier",
                "sections": [{"heading": "一、职工原话", "text": "", "elements": [
                    {"kind": "survey_quotes", "survey_id": f.survey, "question": "advice",
                     "response_ids": [f.responses[0], f.responses[1], f.responses[3]]}
                ]}]
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["report"]["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_viewer_sees_personal_numbers_in_answers_masked_everywhere() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let s = f.survey;
    let viewer = app.api("a.viewer").await;
    // An attention check on the text question: its reasons quote the answers.
    let (status, v) = f
        .cadre
        .send(
            Method::PUT,
            &format!("/api/v1/surveys/{s}/validity"),
            json!({"attention_checks": [{"question": "advice", "expected": "好"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let views = personal_views(&app).await;

    // The review list, API and page.
    let (status, list) = viewer.get(&format!("/api/v1/surveys/{s}/responses")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let body = list.to_string();
    assert!(masked(&body), "{body}");
    assert!(
        body.contains("138****5678")
            && body.contains("1101**********002X")
            && body.contains("021****5678"),
        "{body}"
    );
    assert!(
        body.contains("希望多建骑手驿站"),
        "text without numbers is kept"
    );
    let (status, html) = page(&app, "a.viewer", &format!("/surveys/{s}/responses")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(masked(&html) && html.contains("138****5678"), "{html}");

    // One response, API and page.
    for r in [f.responses[0], f.responses[1]] {
        let (status, d) = viewer
            .get(&format!("/api/v1/surveys/{s}/responses/{r}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{d}");
        assert!(masked(&d.to_string()), "{d}");
        let (status, html) = page(&app, "a.viewer", &format!("/surveys/{s}/responses/{r}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(masked(&html), "{html}");
    }

    // The free-text answers and their keywords, API and page.
    let (status, t) = viewer
        .get(&format!(
            "/api/v1/surveys/{s}/analysis/text/advice?valid=all"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert!(masked(&t.to_string()), "{t}");
    assert_eq!(t["answers"].as_array().unwrap().len(), 4);
    let keywords = crate::helpers::keywords(&t);
    assert!(
        keywords
            .iter()
            .all(|(w, _)| !w.chars().any(|c| c.is_ascii_digit())),
        "no part of a number is a keyword: {keywords:?}"
    );
    assert!(keywords.iter().any(|(w, _)| w == "驿站"), "{keywords:?}");
    let (status, html) = page(
        &app,
        "a.viewer",
        &format!("/surveys/{s}/analysis/text/advice?valid=all"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(masked(&html) && html.contains("021****5678"), "{html}");

    // Exports: CSV and XLSX, audited as exports with the numbers masked.
    let exports = app.audit_count("export").await;
    let (status, csv) = download(
        &app,
        &viewer,
        &format!("/api/v1/surveys/{s}/responses/export?format=csv&valid=all"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    assert!(masked(&csv) && csv.contains("138****5678"), "{csv}");
    let (status, xlsx) = download(
        &app,
        &viewer,
        &format!("/api/v1/surveys/{s}/responses/export?format=xlsx&values=labels&valid=all"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let cells = xlsx_text(&xlsx);
    assert!(
        masked(&cells) && cells.contains("1101**********002X"),
        "{cells}"
    );
    assert_eq!(app.audit_count("export").await, exports + 2);
    let (user, target, detail, _) = last_audit(&app, "export").await;
    assert_eq!(user, "a.viewer");
    assert_eq!(target, format!("survey:{s}"));
    assert!(
        detail.contains("personal numbers masked in 3 responses"),
        "{detail}"
    );

    // A report citing the answers.
    let id = report(&f).await;
    let (status, d) = viewer.get(&format!("/api/v1/reports/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    let quotes = d["live"]["sections"][0]["figures"][0]["quotes"].to_string();
    assert!(
        masked(&quotes) && quotes.contains("138****5678"),
        "{quotes}"
    );
    let (status, html) = page(&app, "a.viewer", &format!("/reports/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        masked(&html) && html.contains("1101**********002X"),
        "{html}"
    );

    // Masked views are not personal-data views.
    assert_eq!(personal_views(&app).await, views);
}

#[tokio::test]
async fn a_cadre_sees_them_in_full_and_every_view_is_one_audit_row() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let s = f.survey;
    let [r0, r1, r2, r3] = f.responses[..] else {
        panic!()
    };
    let mut views = personal_views(&app).await;

    // The review list: one row naming the survey and the three responses.
    let (_, list) = f.cadre.get(&format!("/api/v1/surveys/{s}/responses")).await;
    assert!(full(&list.to_string()), "{list}");
    views += 1;
    assert_eq!(personal_views(&app).await, views);
    let (user, target, detail, ip) = last_audit(&app, "personal_data_viewed").await;
    assert_eq!(user, "a.cadre");
    assert_eq!(target, format!("survey:{s}"));
    assert!(
        detail.contains(&r0.to_string())
            && detail.contains(&r1.to_string())
            && detail.contains(&r3.to_string())
            && !detail.contains(&r2.to_string()),
        "{detail}"
    );
    assert!(ip.is_some_and(|ip| !ip.is_empty()), "the address is kept");
    let (status, html) = page(&app, "a.cadre", &format!("/surveys/{s}/responses")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("138 1234 5678"), "{html}");
    views += 1;
    assert_eq!(personal_views(&app).await, views);

    // One response: API and page, each a row naming the response.
    let (_, d) = f
        .cadre
        .get(&format!("/api/v1/surveys/{s}/responses/{r1}"))
        .await;
    assert!(d.to_string().contains(ID), "{d}");
    views += 1;
    assert_eq!(personal_views(&app).await, views);
    let (_, target, _, _) = last_audit(&app, "personal_data_viewed").await;
    assert_eq!(target, format!("survey:{s}/response:{r1}"));
    let (_, html) = page(&app, "a.cadre", &format!("/surveys/{s}/responses/{r1}")).await;
    assert!(html.contains(ID), "{html}");
    views += 1;
    assert_eq!(personal_views(&app).await, views);
    // A response without numbers is no personal-data view.
    let (status, _) = f
        .cadre
        .get(&format!("/api/v1/surveys/{s}/responses/{r2}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(personal_views(&app).await, views);

    // The free-text answers: API and page.
    let (_, t) = f
        .cadre
        .get(&format!(
            "/api/v1/surveys/{s}/analysis/text/advice?valid=all"
        ))
        .await;
    assert!(full(&t.to_string()), "{t}");
    views += 1;
    assert_eq!(personal_views(&app).await, views);
    let (_, html) = page(
        &app,
        "a.cadre",
        &format!("/surveys/{s}/analysis/text/advice?valid=all"),
    )
    .await;
    assert!(html.contains(LANDLINE), "{html}");
    views += 1;
    assert_eq!(personal_views(&app).await, views);

    // An export: its one audit row says the numbers left in full.
    let (status, csv) = download(
        &app,
        &f.cadre,
        &format!("/api/v1/surveys/{s}/responses/export?format=csv&valid=all"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(full(&String::from_utf8(csv).unwrap()));
    let (user, _, detail, _) = last_audit(&app, "export").await;
    assert_eq!(user, "a.cadre");
    assert!(
        detail.contains("personal numbers in full in 3 responses"),
        "{detail}"
    );

    // The district's admin needs them too.
    let admin = app.api("district.admin").await;
    let (_, d) = admin
        .get(&format!("/api/v1/surveys/{s}/responses/{r0}"))
        .await;
    assert!(d.to_string().contains("138 1234 5678"), "{d}");
    views += 1;
    assert_eq!(personal_views(&app).await, views);
    let (user, _, _, _) = last_audit(&app, "personal_data_viewed").await;
    assert_eq!(user, "district.admin");

    // A report circulates beyond the survey's org: masked even for its author,
    // in the live figures, a frozen version, the candidates and their search.
    let id = report(&f).await;
    let (_, d) = f.cadre.get(&format!("/api/v1/reports/{id}")).await;
    let quotes = d["live"]["sections"][0]["figures"][0]["quotes"].to_string();
    assert!(
        masked(&quotes) && quotes.contains("021****5678"),
        "{quotes}"
    );
    let (status, v) = f
        .cadre
        .post(
            &format!("/api/v1/reports/{id}/versions"),
            json!({"name": "初稿"}),
        )
        .await;
    assert!(status.is_success(), "{v}");
    let (_, v1) = f
        .cadre
        .get(&format!("/api/v1/reports/{id}/versions/1"))
        .await;
    assert!(masked(&v1.to_string()), "{v1}");
    let candidates = |q: &str| {
        format!(
            "/api/v1/reports/{id}/candidates?source=survey&survey={s}&question=advice&q={}",
            qingting::web::errors::urlencode(q)
        )
    };
    let (status, c) = f.cadre.get(&candidates("")).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["answers"].as_array().unwrap().len(), 4);
    assert!(masked(&c.to_string()), "{c}");
    let (_, c) = f.cadre.get(&candidates("5678")).await;
    assert_eq!(c["answers"].as_array().unwrap().len(), 2, "{c}");
    let (_, c) = f.cadre.get(&candidates("1234 5678")).await;
    assert_eq!(
        c["answers"].as_array().unwrap().len(),
        0,
        "a search cannot probe hidden digits: {c}"
    );

    // A problem made from an answer is read by the org's viewers: masked.
    let (status, made) = f
        .cadre
        .post(
            &format!("/api/v1/surveys/{s}/responses/{r1}/problem"),
            json!({"question": "advice"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let (_, p) = app
        .api("a.viewer")
        .await
        .get(&format!("/api/v1/problems/{}", made["problem_id"]))
        .await;
    let text = p["description"].as_str().unwrap();
    assert_eq!(text, "身份证1101**********002X，社保一直没有缴纳");

    // A reviewer's verdict answers with the response: a view too.
    let (status, item) = f
        .cadre
        .post(
            &format!("/api/v1/surveys/{s}/responses/{r0}/validity"),
            json!({"valid": false, "note": "重复填写"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{item}");
    assert!(item.to_string().contains("138 1234 5678"));
    views += 1;
    assert_eq!(personal_views(&app).await, views);
}

#[tokio::test]
async fn answers_stay_404_outside_the_subtree() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let s = f.survey;
    let r = f.responses[0];
    let views = personal_views(&app).await;
    let outsider = app.api("b.cadre").await;
    for path in [
        format!("/api/v1/surveys/{s}/responses"),
        format!("/api/v1/surveys/{s}/responses/{r}"),
        format!("/api/v1/surveys/{s}/analysis/text/advice"),
        format!("/api/v1/surveys/{s}/responses/export?format=csv"),
    ] {
        let (status, _) = outsider.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    for path in [
        format!("/surveys/{s}/responses"),
        format!("/surveys/{s}/responses/{r}"),
        format!("/surveys/{s}/analysis/text/advice"),
    ] {
        let (status, html) = page(&app, "b.cadre", &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!html.contains("5678"), "{html}");
    }
    assert_eq!(personal_views(&app).await, views);
}
