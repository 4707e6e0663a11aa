//! Services (办实事): validation naming fields, retries, the link to a service
//! activity, figures equal to the records, and scope on every route.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{activities::campaign, helpers::TestApp};

fn fields(err: &Value) -> Vec<String> {
    err["error"]["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["field"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn service(client: &str, kind: &str, workers: i64, amount: &str, on: &str) -> Value {
    json!({"client_id": client, "service_kind": kind, "description": "为困难职工家庭发放帮扶金",
        "beneficiary": "困难职工家庭", "member_group": "employee", "workers": workers,
        "amount_yuan": amount, "served_on": on, "cadres": "张三、李四"})
}

#[tokio::test]
async fn a_service_is_recorded_once_and_bad_input_names_every_field() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let body = service("svc-0001-abcd", "hardship", 12, "1,500.50", "2019-11-01");
    let (status, r) = a.post("/api/v1/services", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let (status, again) = a.post("/api/v1/services", body).await;
    assert_eq!((status, &again["id"]), (StatusCode::OK, &r["id"]));
    let (_, s) = a.get(&format!("/api/v1/services/{}", r["id"])).await;
    assert_eq!(s["amount_fen"], 150_050);
    assert_eq!(s["kind"], "hardship");
    assert_eq!(s["org_id"], app.street_a.0);

    let bad = json!({"client_id": "x", "service_kind": "party", "workers": -1, "amount_yuan": "12.345", "served_on": "2999-01-01"});
    let (status, err) = a.post("/api/v1/services", bad.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&err),
        [
            "client_id",
            "service_kind",
            "description",
            "beneficiary",
            "workers",
            "amount_yuan",
            "served_on"
        ]
    );
    assert_eq!(
        err["error"]["fields"][5]["message"],
        "“金额（元）”应为金额（元），最多两位小数。"
    );
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/services"))
        .bearer_auth(&a.token)
        .header("accept-language", "en")
        .json(&bad)
        .send()
        .await
        .unwrap();
    let err: Value = res.json().await.unwrap();
    assert_eq!(
        err["error"]["fields"][3]["message"],
        "\"For whom\" is required."
    );

    // The form page: errors shown beside the fields; a resubmission is one record.
    let b = app.browser("a.cadre").await;
    let page = b.get(app.url("/services/new")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let form = [
        ("client_id", "svc-form-0001"),
        ("service_kind", "legal_aid"),
        ("description", "法律咨询"),
        ("beneficiary", "快递员"),
        ("workers", "8"),
        ("served_on", "2019-11-02"),
    ];
    for _ in 0..2 {
        let res = b
            .post(app.url("/services"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    let res = b
        .post(app.url("/services"))
        .form(&[
            ("client_id", "svc-form-0002"),
            ("service_kind", "legal_aid"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("“服务对象”不能为空。"));
    let (_, list) = a.get("/api/v1/services").await;
    assert_eq!(list["total"], 2);
}

#[tokio::test]
async fn a_service_activity_carries_its_services_and_other_kinds_refuse_them() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let (status, act) = a
        .post(
            "/api/v1/activities",
            json!({"client_id": "act-svc-0001", "kind": "service", "held_on": "2019-11-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{act}");
    let act = act["id"].as_i64().unwrap();
    let mut body = service("svc-act-0001", "condolence", 20, "800", "2019-11-01");
    body["activity_id"] = json!(act);
    assert_eq!(
        a.post("/api/v1/services", body).await.0,
        StatusCode::CREATED
    );
    let (_, visit) = a
        .post("/api/v1/activities", json!({"client_id": "act-visit-0001", "kind": "worker_interview", "held_on": "2019-11-01"}))
        .await;
    let mut body = service("svc-act-0002", "condolence", 20, "800", "2019-11-01");
    body["activity_id"] = visit["id"].clone();
    let (status, err) = a.post("/api/v1/services", body).await;
    assert_eq!(
        (status, fields(&err)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["activity_id".to_string()]
        )
    );
    let page = app
        .browser("a.cadre")
        .await
        .get(app.url(&format!("/activities/{act}")))
        .send()
        .await
        .unwrap();
    let text = page.text().await.unwrap();
    assert!(
        text.contains("走访慰问"),
        "the activity page lists its services"
    );
    assert!(text.contains("800.00"));
}

#[tokio::test]
async fn figures_equal_the_records_and_follow_scope_campaign_and_subtree() {
    let app = TestApp::spawn().await;
    let c = campaign(&app, app.district).await;
    let a = app.api("a.cadre").await;
    let b = app.api("b.cadre").await;
    let mut s1 = service("svc-fig-0001", "hardship", 10, "1000", "2019-10-30");
    s1["campaign_id"] = json!(c.0);
    assert_eq!(a.post("/api/v1/services", s1).await.0, StatusCode::CREATED);
    let mut s2 = service("svc-fig-0002", "legal_aid", 5, "", "2019-11-03");
    s2["org_code"] = json!("UA");
    assert_eq!(a.post("/api/v1/services", s2).await.0, StatusCode::CREATED);
    let mut s3 = service("svc-fig-0003", "hardship", 7, "250.5", "2019-11-04");
    s3["campaign_id"] = json!(c.0);
    assert_eq!(b.post("/api/v1/services", s3).await.0, StatusCode::CREATED);

    let admin = app.api("district.admin").await;
    let (_, f) = admin.get("/api/v1/services/figures").await;
    assert_eq!(
        (
            f["count"].clone(),
            f["workers"].clone(),
            f["amount_fen"].clone()
        ),
        (json!(3), json!(22), json!(125_050))
    );
    let hardship = f["by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "hardship")
        .unwrap();
    assert_eq!(
        (hardship["count"].clone(), hardship["amount_fen"].clone()),
        (json!(2), json!(125_050))
    );
    assert_eq!(
        f["by_month"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["month"].as_str().unwrap(), m["count"].as_i64().unwrap()))
            .collect::<Vec<_>>(),
        [("2019-10", 1), ("2019-11", 2)]
    );
    let (_, f) = admin
        .get(&format!("/api/v1/services/figures?campaign={}", c.0))
        .await;
    assert_eq!(f["count"], 2);
    let (_, f) = admin
        .get(&format!("/api/v1/services/figures?org={}", app.street_a))
        .await;
    assert_eq!(f["count"], 2);
    // The list agrees with the figures.
    let (_, list) = admin.get("/api/v1/services").await;
    let total: i64 = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["amount_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 125_050);

    // Scope: the other street sees only its own; outsiders 404; viewers 403 on writes.
    let (_, f) = b.get("/api/v1/services/figures").await;
    assert_eq!(f["count"], 1);
    let (_, list) = a.get("/api/v1/services").await;
    let id = list["items"][0]["id"].as_i64().unwrap();
    assert_eq!(
        b.get(&format!("/api/v1/services/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        b.get(&format!("/api/v1/services/figures?org={}", app.street_a))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        b.get(&format!("/api/v1/services?org={}", app.street_a))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let mut s4 = service("svc-fig-0004", "culture", 1, "1", "2019-11-04");
    s4["org_code"] = json!("UA");
    let (status, err) = b.post("/api/v1/services", s4.clone()).await;
    assert_eq!(
        (status, fields(&err)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["org_code".to_string()]
        )
    );
    assert_eq!(
        app.api("a.viewer")
            .await
            .post("/api/v1/services", s4)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let bb = app.browser("b.cadre").await;
    assert_eq!(
        bb.get(app.url(&format!("/services/{id}")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let vb = app.browser("a.viewer").await;
    assert_eq!(
        vb.get(app.url("/services/new"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let page = admin_page(&app).await;
    assert!(
        page.contains("1,250.50"),
        "the list page shows the total in yuan"
    );
}

async fn admin_page(app: &TestApp) -> String {
    app.browser("district.admin")
        .await
        .get(app.url("/services"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}
