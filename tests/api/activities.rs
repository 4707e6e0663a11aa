//! Activities: one save records the visit and its problems; retries never
//! duplicate; access stays inside the subtree.

use qingting::db::{CampaignId, OrgId};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// An active campaign issued by `org` (inserted directly: the campaign module
/// has its own tests).
pub async fn campaign(app: &TestApp, org: OrgId) -> CampaignId {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO campaigns (org_id, title, doc_number, starts_on, ends_on, report_due_on, status, \
         created_at, updated_at) VALUES ($1, '大走访', '杨工〔2019〕28号', '2019-10-21', '2019-11-15', \
         '2019-11-15', 'active', 0, 0) RETURNING id",
    )
    .bind(org)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    CampaignId(id)
}

/// An enterprise in `org_code`'s jurisdiction, by API as `user`.
pub async fn enterprise(app: &TestApp, user: &str, code: &str, org_code: &str) -> i64 {
    let (status, e) = app
        .api(user)
        .await
        .post(
            "/api/v1/enterprises",
            json!({"name": format!("企业{code}"), "credit_code": code, "org_code": org_code}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    e["id"].as_i64().unwrap()
}

pub fn visit(client_id: &str, campaign: Option<CampaignId>, enterprises: Value) -> Value {
    json!({
        "client_id": client_id,
        "campaign_id": campaign.map(|c| c.0),
        "kind": "enterprise_visit",
        "held_on": "2019-10-28",
        "enterprises": enterprises,
        "workers_interviewed": 12,
        "notes": "与外卖骑手座谈，了解用餐和休息情况",
        "problems": [
            {"source": "worker", "topic": "safety", "worker_group": "food_delivery",
             "description": "骑手在商场等餐没有休息的地方", "raiser_name": "王小明", "raiser_contact": "13912345678"},
            {"source": "enterprise", "topic": "wages", "description": "企业希望工会协调社保补贴申请", "is_main": true}
        ]
    })
}

#[tokio::test]
async fn a_visit_with_two_problems_is_saved_once_however_often_it_is_retried() {
    let app = TestApp::spawn().await;
    let c = campaign(&app, app.district).await;
    let e = enterprise(&app, "a.cadre", "91310110MA1G8XXX2B", "STA").await;
    let a = app.api("a.cadre").await;
    let body = visit("visit-0001-abcd", Some(c), json!([e]));
    let (status, first) = a.post("/api/v1/activities", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["created"], true);
    assert_eq!(first["problems"].as_array().unwrap().len(), 2);
    for _ in 0..3 {
        let (status, again) = a.post("/api/v1/activities", body.clone()).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "a retry answers with the first record"
        );
        assert_eq!(again["id"], first["id"]);
        assert_eq!(again["created"], false);
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM activities")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let p: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM problems")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!((n, p), (1, 2));

    let id = first["id"].as_i64().unwrap();
    let (status, detail) = a.get(&format!("/api/v1/activities/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["enterprises"][0]["id"], e);
    assert_eq!(detail["campaign_title"], "大走访");
    assert_eq!(detail["problems"].as_array().unwrap().len(), 2);
    // Lists mask the raiser; the problem takes the activity's enterprise.
    let worker = detail["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["source"] == "worker")
        .unwrap();
    assert_eq!(worker["raiser_contact"], "139****5678");
    assert_eq!(worker["raiser_name"], "王**");
    assert_eq!(worker["enterprise_id"], e);
    assert_eq!(worker["campaign_id"], c.0);
}

#[tokio::test]
async fn the_form_saves_with_its_client_id_and_a_resubmission_lands_on_the_same_record() {
    let app = TestApp::spawn().await;
    let browser = app.browser("a.cadre").await;
    let page = browser
        .get(app.url("/activities/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let client_id = page
        .split("name=\"client_id\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the form carries a client id")
        .to_string();
    let form = [
        ("client_id", client_id.as_str()),
        ("kind", "symposium"),
        ("held_on", "2019-11-01"),
        ("participants", "15"),
        ("frontline_workers", "0"),
        ("enterprise_side", "3"),
        ("p1.description", "快递员希望增设夜间充电点"),
        ("p1.source", "worker"),
        ("p1.topic", "safety"),
        ("p2.description", ""),
        ("p2.source", "worker"),
    ];
    let mut locations = Vec::new();
    for _ in 0..2 {
        let res = browser
            .post(app.url("/activities"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        locations.push(res.headers()["location"].to_str().unwrap().to_string());
    }
    assert_eq!(locations[0], locations[1]);
    let detail = browser
        .get(app.url(&locations[0]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(detail.contains("快递员希望增设夜间充电点"));
    assert!(
        detail.contains("没有一线职工参加"),
        "a symposium without frontline workers is flagged"
    );
    assert!(detail.contains(&format!("data-saved=\"{client_id}\"")));
}

#[tokio::test]
async fn bad_input_names_every_field_in_the_users_language() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let body = json!({
        "client_id": "abc",
        "kind": "symposium",
        "held_on": "2999-01-01",
        "participants": 5,
        "women_workers": 6,
        "problems": [{"description": "缺少来源"}]
    });
    let (status, err) = a.post("/api/v1/activities", body.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = err["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "client_id",
            "held_on",
            "women_workers",
            "problems[0].source"
        ]
    );
    assert_eq!(
        err["error"]["fields"][2]["message"],
        "“女职工”不能多于参加座谈人数。"
    );
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/activities"))
        .bearer_auth(&a.token)
        .header("accept-language", "en")
        .json(&body)
        .send()
        .await
        .unwrap();
    let err: Value = res.json().await.unwrap();
    assert_eq!(
        err["error"]["fields"][1]["message"],
        "\"Date\" cannot be later than today."
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM activities")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing half-written");
}

#[tokio::test]
async fn another_street_cannot_read_list_or_record_into_a_street() {
    let app = TestApp::spawn().await;
    let e_b = enterprise(&app, "b.cadre", "91110000100000589A", "STB").await;
    let a = app.api("a.cadre").await;
    let (_, first) = a
        .post(
            "/api/v1/activities",
            visit("visit-0002-abcd", None, json!([])),
        )
        .await;
    let id = first["id"].as_i64().unwrap();
    let b = app.api("b.cadre").await;
    assert_eq!(
        b.get(&format!("/api/v1/activities/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, list) = b.get("/api/v1/activities").await;
    assert_eq!(list["total"], 0);
    let (_, list) = b.get("/api/v1/problems").await;
    assert_eq!(list["total"], 0);
    let (status, _) = b
        .get(&format!("/api/v1/activities?org={}", app.street_a.0))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Recording into street A, or naming street B's enterprise from street A, is refused.
    let mut body = visit("visit-0003-abcd", None, json!([]));
    body["org_code"] = json!("STA");
    let (status, err) = b.post("/api/v1/activities", body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["fields"][0]["field"], "org_code");
    let (status, err) = a
        .post(
            "/api/v1/activities",
            visit("visit-0004-abcd", None, json!([e_b])),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["fields"][0]["field"], "enterprises");
    // A viewer records nothing; the district sees street A's record.
    let (status, _) = app
        .api("a.viewer")
        .await
        .post(
            "/api/v1/activities",
            visit("visit-0005-abcd", None, json!([])),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, list) = app
        .api("district.admin")
        .await
        .get("/api/v1/activities")
        .await;
    assert_eq!(list["total"], 1);
    // Pages too.
    let page = app.browser("b.cadre").await;
    let res = page
        .get(app.url(&format!("/activities/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_campaign_outside_the_recording_orgs_tree_is_refused() {
    let app = TestApp::spawn().await;
    let c = campaign(&app, app.street_b).await;
    let (status, err) = app
        .api("a.cadre")
        .await
        .post(
            "/api/v1/activities",
            visit("visit-0006-abcd", Some(c), json!([])),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["fields"][0]["field"], "campaign_id");
}

#[tokio::test]
async fn an_enterprise_met_on_the_spot_is_created_with_the_visit() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let mut body = visit("visit-0007-abcd", None, json!([]));
    body["new_enterprise_name"] = json!("上海新开物流有限公司");
    body["new_enterprise_credit_code"] = json!("91310110MA1G8XXX2A");
    let (status, err) = a.post("/api/v1/activities", body.clone()).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a bad check digit"
    );
    assert_eq!(
        err["error"]["fields"][0]["field"],
        "new_enterprise_credit_code"
    );
    body["new_enterprise_credit_code"] = json!("91310110MA1G8XXX2B");
    let (status, r) = a.post("/api/v1/activities", body).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let (_, d) = a.get(&format!("/api/v1/activities/{}", r["id"])).await;
    assert_eq!(d["enterprises"][0]["name"], "上海新开物流有限公司");
}

#[tokio::test]
async fn a_problem_cannot_name_an_enterprise_out_of_reach() {
    let app = TestApp::spawn().await;
    let e_b = enterprise(&app, "b.cadre", "91110000100000589A", "STB").await;
    let mut body = visit("visit-0008-abcd", None, json!([]));
    body["problems"][0]["enterprise_id"] = json!(e_b);
    let (status, err) = app
        .api("a.cadre")
        .await
        .post("/api/v1/activities", body)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        err["error"]["fields"][0]["field"],
        "problems[0].enterprise_id"
    );
}

#[tokio::test]
async fn a_record_with_more_problems_than_allowed_is_refused_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let e = enterprise(&app, "a.cadre", "91310110MA1G8XXX2B", "STA").await;
    let a = app.api("a.cadre").await;
    let mut body = visit("visit-many-abcd", None, json!([e]));
    let one = json!({"source": "worker", "topic": "wages", "description": "加班费未按时发放"});
    body["problems"] = Value::Array(vec![one; qingting::activity::MAX_PROBLEMS + 1]);
    let (status, err) = a.post("/api/v1/activities", body.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["fields"][0]["field"], "problems");
    assert!(
        err["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("100"),
        "{err}"
    );
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM problems")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(stored, 0);
    // At the limit it is saved.
    body["problems"] = Value::Array(body["problems"].as_array().unwrap()[..100].to_vec());
    let (status, saved) = a.post("/api/v1/activities", body).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["problems"].as_array().unwrap().len(), 100);
}

#[tokio::test]
async fn activity_exports_are_under_the_api_with_their_media_types_and_refused_outside() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let (status, saved) = a
        .post(
            "/api/v1/activities",
            visit("visit-0101-abcd", None, json!([])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    for (path, mime) in [
        (
            "/api/v1/activities/export.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("/api/v1/activities/export.csv", "text/csv"),
    ] {
        // Without credentials: 401 in the JSON error shape, not a redirect to /login.
        let res = app.anonymous().get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "unauthenticated");
        // A bearer token and a page session both work.
        let res = app
            .anonymous()
            .get(app.url(path))
            .bearer_auth(&a.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let ct = res.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with(mime), "{path}: {ct}");
        let res = app
            .browser("a.cadre")
            .await
            .get(app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        // Another street cannot export this street's subtree.
        let res = app
            .anonymous()
            .get(app.url(&format!("{path}?org={}", app.street_a.0)))
            .bearer_auth(app.token("b.cadre").await)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // The old page addresses are gone.
    let res = app
        .browser("a.cadre")
        .await
        .get(app.url("/activities/export.xlsx"))
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), StatusCode::OK);
}
