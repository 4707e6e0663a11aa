//! Dashboards: a level's totals and lines equal the records behind them
//! (counted here by hand), the drill-downs list those records, the months
//! add up, the briefing PDF states the same figures, and nothing outside the
//! caller's subtree is shown or reachable.

use qingting::db::CampaignId;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, pdf_text},
    summaries::{activity, campaign, enterprise, problem},
};

struct Fixture {
    campaign: i64,
}

/// A street campaign of the district with:
/// - street A (via its union): a visit to enterprises 1 and 2, 3 workers;
///   a problem solved and one escalated to the district (in progress there);
///   the survey of street A with 5 valid responses of 6;
/// - street B: a visit to enterprise 1 (2 workers), a symposium of 12, an
///   open problem.
async fn fixture(app: &TestApp) -> Fixture {
    let c = campaign(app, "2019-11-15").await;
    let e1 = enterprise(app, app.street_a, "913101100000000011").await;
    let e2 = enterprise(app, app.street_a, "913101100000000022").await;
    activity(app, c, app.union_a, "enterprise_visit", (3, 0), &[e1, e2]).await;
    activity(app, c, app.street_b, "enterprise_visit", (2, 0), &[e1]).await;
    activity(app, c, app.street_b, "symposium", (0, 12), &[]).await;
    problem(
        app,
        c,
        app.union_a,
        app.street_a,
        "worker",
        Some(("solved", Some("2019-10-30"))),
        "食堂价格偏高",
    )
    .await;
    problem(
        app,
        c,
        app.union_a,
        app.district,
        "union",
        Some(("in_progress", Some("2019-12-31"))),
        "园区缺少职工之家",
    )
    .await;
    problem(
        app,
        c,
        app.street_b,
        app.street_b,
        "enterprise",
        None,
        "停车难",
    )
    .await;
    crate::survey_analysis::fixture_in(app, CampaignId(c)).await;
    // Street B mediates a case; street A's union records members joined and
    // the street a service, all for the campaign.
    let (status, m) = app
        .api("b.cadre")
        .await
        .post(
            "/api/v1/mediation/cases",
            json!({"client_id": "dash-med-0001", "intake": "written", "campaign_id": c.to_string(),
                   "applied_on": "2019-10-28", "received_on": "2019-10-28", "workers": ["张建国"],
                   "employer_name": "上海某物流有限公司", "dispute_type": "wage_arrears",
                   "matter": "公司拖欠工资", "claims": "支付拖欠工资", "amount": "8,000", "mediator": "陆建华"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    let a = app.api("a.cadre").await;
    let (status, j) = a
        .post(
            "/api/v1/formation/members",
            json!({"client_id": "dash-join-0001", "org_code": "UA", "member_group": "courier",
                   "members": 7, "joined_on": "2019-11-02", "campaign_id": c}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{j}");
    let (status, v) = a
        .post(
            "/api/v1/services",
            json!({"client_id": "dash-svc-0001", "service_kind": "hardship", "campaign_id": c.to_string(),
                   "description": "为困难职工家庭发放帮扶金", "beneficiary": "困难职工家庭",
                   "member_group": "employee", "workers": 12, "amount_yuan": "1,500", "served_on": "2019-11-01",
                   "cadres": "张三"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    Fixture { campaign: c }
}

fn line<'a>(b: &'a Value, name: &str) -> &'a Value {
    b["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no line {name}: {b}"))
}

#[tokio::test]
async fn dashboard_totals_and_lines_equal_the_records() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let (status, b) = app
        .api("district.admin")
        .await
        .get(&format!("/api/v1/campaigns/{}/dashboard", f.campaign))
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["org_id"], app.district.0, "the issuer's level by default");
    let t = &b["totals"];
    // Enterprise 1 was visited by both streets: counted once in the total.
    assert_eq!(t["enterprises_visited"], 2);
    assert_eq!(t["workers_interviewed"], 5);
    assert_eq!(t["symposiums"], 1);
    assert_eq!(t["symposium_participants"], 12);
    assert_eq!(t["valid_questionnaires"], 5);
    assert_eq!(t["problems"], 3);
    assert_eq!(
        t["outcomes"],
        serde_json::json!({"solved": 1, "in_progress": 1, "planned": 0, "reference": 0, "open": 1})
    );
    // Nothing left the district.
    assert_eq!(t["escalated"], 0);
    assert_eq!(t["mediation_cases"], 1);
    assert_eq!(t["members_joined"], 7);
    assert_eq!(t["services"], 1);
    assert_eq!(t["workers_served"], 12);
    assert_eq!(t["unions_founded"], 0);
    assert_eq!(t["special_reports"], 0);

    let a = &line(&b, "甲街道总工会")["figures"];
    assert_eq!(a["enterprises_visited"], 2);
    assert_eq!(a["workers_interviewed"], 3);
    assert_eq!(a["valid_questionnaires"], 5);
    assert_eq!(a["problems"], 1, "the escalated one is the district's now");
    assert_eq!(a["escalated"], 1);
    assert_eq!(a["members_joined"], 7);
    assert_eq!(a["services"], 1);
    assert_eq!(a["mediation_cases"], 0);
    let bb = &line(&b, "乙街道总工会")["figures"];
    assert_eq!(bb["enterprises_visited"], 1);
    assert_eq!(bb["workers_interviewed"], 2);
    assert_eq!(bb["symposium_participants"], 12);
    assert_eq!(bb["problems"], 1);
    assert_eq!(bb["outcomes"]["open"], 1);
    assert_eq!(bb["mediation_cases"], 1);
    let own = b["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["own"] == true)
        .unwrap();
    assert_eq!(own["figures"]["problems"], 1);
    assert_eq!(own["figures"]["outcomes"]["in_progress"], 1);
    // Lines add up to the total for every additive figure.
    for key in [
        "workers_interviewed",
        "symposiums",
        "symposium_participants",
        "valid_questionnaires",
        "problems",
        "mediation_cases",
        "members_joined",
        "services",
        "workers_served",
    ] {
        let sum: i64 = b["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["figures"][key].as_i64().unwrap())
            .sum();
        assert_eq!(sum, t[key].as_i64().unwrap(), "{key}");
    }
    // Months of the window, each series adding up to its records.
    assert_eq!(b["months"], serde_json::json!(["2019-10", "2019-11"]));
    let series = |key: &str| -> Vec<i64> {
        b["trends"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == key)
            .unwrap()["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect()
    };
    assert_eq!(series("activities"), [3, 0]);
    assert_eq!(series("problems").iter().sum::<i64>(), 3);
    assert_eq!(series("mediation"), [1, 0]);
    assert_eq!(series("members"), [0, 7]);
    assert_eq!(series("services"), [0, 1]);

    // A street's level is its own subtree.
    let (status, sa) = app
        .api("district.admin")
        .await
        .get(&format!(
            "/api/v1/campaigns/{}/dashboard?org={}",
            f.campaign, app.street_a.0
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{sa}");
    assert_eq!(sa["totals"]["enterprises_visited"], 2);
    assert_eq!(sa["totals"]["escalated"], 1);
    assert_eq!(sa["path"][0]["name"], "测试区总工会");
}

#[tokio::test]
async fn dashboard_drills_down_to_the_records_and_prints_a_briefing() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let client = app.browser("district.admin").await;
    let get = |path: String| {
        let client = client.clone();
        let url = app.url(&path);
        async move {
            let res = client.get(url).send().await.unwrap();
            let status = res.status();
            (status, res.text().await.unwrap())
        }
    };
    let (status, html) = get(format!("/campaigns/{}/dashboard", f.campaign)).await;
    assert_eq!(status, StatusCode::OK);
    for want in [
        "工作看板",
        "走访企业",
        "甲街道总工会",
        "dash-data",
        "/assets/dashboard.js",
        "figure=outcome:solved",
    ] {
        assert!(html.contains(want), "{want}");
    }
    let (status, html) = get(format!(
        "/campaigns/{}/dashboard/records?org={}&figure=enterprises",
        f.campaign, app.district.0
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("企业913101100000000011"));
    assert!(html.contains("企业913101100000000022"));
    assert!(html.contains(r#"<span class="muted" id="drill-figure">2</span>"#));
    let (_, html) = get(format!(
        "/campaigns/{}/dashboard/records?org={}&figure=outcome:solved",
        f.campaign, app.district.0
    ))
    .await;
    assert!(html.contains("食堂价格偏高"));
    assert!(!html.contains("停车难"));
    let (_, html) = get(format!(
        "/campaigns/{}/dashboard/records?org={}&figure=questionnaires",
        f.campaign, app.district.0
    ))
    .await;
    assert!(html.contains("骑手调查"));
    assert!(html.contains(r#"id="drill-figure">5</span>"#));
    let (status, _) = get(format!(
        "/campaigns/{}/dashboard/records?figure=nonsense",
        f.campaign
    ))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The briefing is an API route: without credentials 401 in the JSON error shape.
    let res = app
        .anonymous()
        .get(app.url(&format!(
            "/api/v1/campaigns/{}/dashboard/briefing.pdf",
            f.campaign
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthenticated");
    let res = client
        .get(app.url(&format!(
            "/api/v1/campaigns/{}/dashboard/briefing.pdf",
            f.campaign
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    if let Some(text) = pdf_text(&pdf) {
        let flat: String = text.split_whitespace().collect();
        for want in [
            "工作简报",
            "测试区总工会",
            "走访企业2家",
            "访谈职工5人次",
            "有效问卷5份",
            "收集问题和意见建议3条",
            "受理劳动争议调解案件1件",
            "发展会员7名",
            "甲街道总工会",
        ] {
            assert!(flat.contains(want), "{want} in {flat}");
        }
    }
}

#[tokio::test]
async fn dashboard_is_refused_outside_the_subtree() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let b = app.api("b.cadre").await;
    // Street B reads the campaign (it takes part) but not the district: its
    // own level by default, with only its own records.
    let (status, own) = b
        .get(&format!("/api/v1/campaigns/{}/dashboard", f.campaign))
        .await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(own["org_id"], app.street_b.0);
    assert_eq!(own["totals"]["enterprises_visited"], 1);
    assert_eq!(own["totals"]["valid_questionnaires"], 0);
    for path in [
        format!(
            "/api/v1/campaigns/{}/dashboard?org={}",
            f.campaign, app.street_a.0
        ),
        format!(
            "/api/v1/campaigns/{}/dashboard?org={}",
            f.campaign, app.district.0
        ),
        format!("/campaigns/{}/dashboard?org={}", f.campaign, app.street_a.0),
        format!(
            "/campaigns/{}/dashboard/records?org={}&figure=enterprises",
            f.campaign, app.street_a.0
        ),
        format!(
            "/api/v1/campaigns/{}/dashboard/briefing.pdf?org={}",
            f.campaign, app.street_a.0
        ),
        "/api/v1/campaigns/999999/dashboard".to_string(),
    ] {
        let (status, _) = b.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, body) = b
        .get(&format!(
            "/api/v1/campaigns/{}/dashboard?org=abc",
            f.campaign
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"][0]["field"], "org");
    // Someone of another district sees no campaign at all.
    let other = app.org("OTHER", "外区总工会", "federation", None).await;
    app.user("other.admin", other, qingting::auth::Role::Admin)
        .await;
    let (status, _) = app
        .api("other.admin")
        .await
        .get(&format!("/api/v1/campaigns/{}/dashboard", f.campaign))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
