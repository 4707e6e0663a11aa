//! The to-do home (工作台): each person sees what waits for the orgs they act
//! for, coloured by the one traffic light, most urgent first; doing the work
//! takes the item off; nobody sees another subtree's work.

use qingting::{date::Day, workday::Workdays};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Api, TestApp};

/// An active campaign for both streets whose report is due `due`.
async fn campaign(app: &TestApp, due: Day) -> i64 {
    let admin = app.api("district.admin").await;
    let today = Day::today();
    let (status, c) = admin
        .post(
            "/api/v1/campaigns",
            json!({"title": "大走访、大调解、大服务", "doc_number": "测工〔2026〕9号",
                   "starts_on": today.plus_days(-30).iso(), "ends_on": due.iso(),
                   "report_due_on": due.iso(), "kinds": ["street"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let id = c["campaign"]["id"].as_i64().unwrap();
    let (status, _) = admin
        .post(
            &format!("/api/v1/campaigns/{id}/status"),
            json!({"status": "active"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    id
}

async fn todo(api: &Api) -> Value {
    let (status, v) = api.get("/api/v1/todo").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

fn items(v: &Value) -> Vec<Value> {
    v["items"].as_array().unwrap().clone()
}

/// (kind, light) of every item, in order.
fn shape(v: &Value) -> Vec<(String, String)> {
    items(v)
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap().to_string(),
                i["light"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn of_kind(v: &Value, kind: &str) -> Vec<Value> {
    items(v).into_iter().filter(|i| i["kind"] == kind).collect()
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

#[tokio::test]
async fn each_person_sees_the_work_of_their_own_units_coloured_and_most_urgent_first() {
    let app = TestApp::spawn().await;
    let days = Workdays::built_in();
    let today = Day::today();
    // Due in two working days: within the three-day horizon, so yellow.
    let due = days.add(today, 2);
    let id = campaign(&app, due).await;
    let a = app.api("a.cadre").await;
    let b = app.api("b.cadre").await;
    let district = app.api("district.admin").await;

    // Both streets must confirm receipt and submit; the district waits on two units.
    let list = todo(&a).await;
    let submit = of_kind(&list, "summary_to_submit");
    assert_eq!(submit.len(), 1, "{list}");
    assert_eq!(submit[0]["light"], "yellow");
    assert_eq!(submit[0]["due"], due.iso());
    assert_eq!(submit[0]["org_id"], app.street_a.0);
    assert_eq!(
        submit[0]["link"],
        format!("/campaigns/{id}/summary/{}", app.street_a.0)
    );
    assert_eq!(
        submit[0]["working_days"],
        i64::from(days.working_days_between(today, due))
    );
    assert!(
        submit[0]["text"]
            .as_str()
            .unwrap()
            .contains("测工〔2026〕9号")
    );
    assert_eq!(of_kind(&list, "receipt_pending").len(), 1);
    let missing = of_kind(&todo(&district).await, "units_missing");
    assert_eq!(missing.len(), 1);
    assert_eq!(
        (missing[0]["count"].as_i64(), missing[0]["light"].as_str()),
        (Some(2), Some("yellow"))
    );

    // Street A confirms receipt and submits: its items go, the district reviews.
    sqlx::query(
        "INSERT INTO campaign_receipts (campaign_id, org_id, receiver, received_at) VALUES ($1, $2, '甲街道干部', 0)",
    )
    .bind(id)
    .bind(app.street_a)
    .execute(app.db.pool())
    .await
    .unwrap();
    let (status, body) = a
        .post(
            &format!("/api/v1/campaigns/{id}/summaries/{}/submit", app.street_a.0),
            json!({"version": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let list = todo(&a).await;
    assert!(of_kind(&list, "summary_to_submit").is_empty(), "{list}");
    assert!(of_kind(&list, "receipt_pending").is_empty(), "{list}");
    let d = todo(&district).await;
    let review = of_kind(&d, "summary_to_review");
    assert_eq!(review.len(), 1, "{d}");
    assert_eq!(review[0]["org_name"], "甲街道总工会");
    assert_eq!(review[0]["light"], "yellow", "answer within the horizon");
    assert_eq!(of_kind(&d, "units_missing")[0]["count"], 1);
    // Street B still has both.
    let list_b = todo(&b).await;
    assert_eq!(of_kind(&list_b, "summary_to_submit").len(), 1);
    assert_eq!(of_kind(&list_b, "receipt_pending").len(), 1);

    // A problem escalated to the district waits there, not at the street.
    let p = problem(&a, "todo-0001-abcd", "园区没有骑手驿站").await;
    let (status, body) = a
        .post(
            &format!("/api/v1/problems/{p}/transition"),
            json!({"action": "escalate", "to_org": app.district.0, "reason": "涉及全区规划"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let esc = of_kind(&todo(&district).await, "problem_escalated");
    assert_eq!(esc.len(), 1);
    assert_eq!(esc[0]["link"], format!("/problems/{p}"));
    assert!(of_kind(&todo(&a).await, "problem_escalated").is_empty());

    // Street B's problem in progress whose deadline passed yesterday is red.
    let q = problem(&b, "todo-0002-abcd", "食堂饭菜太贵").await;
    let yesterday = today.plus_days(-1);
    let (status, body) = b
        .post(
            &format!("/api/v1/problems/{q}/transition"),
            json!({"action": "decide", "outcome": "in_progress", "outcome_on": yesterday.iso(), "outcome_note": "跟进"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let list_b = todo(&b).await;
    let due_b = of_kind(&list_b, "problem_due");
    assert_eq!(due_b.len(), 1, "{list_b}");
    assert_eq!(due_b[0]["light"], "red");
    assert!(due_b[0]["working_days"].as_i64().unwrap() < 0);
    // Red before yellow before green.
    let rank = |l: &str| {
        ["red", "yellow", "green"]
            .iter()
            .position(|x| *x == l)
            .unwrap()
    };
    let lights: Vec<usize> = shape(&list_b).iter().map(|(_, l)| rank(l)).collect();
    assert!(lights.windows(2).all(|w| w[0] <= w[1]), "{list_b}");
    assert_eq!(lights[0], 0);

    // A chase from the district leads street B's list, with its words.
    sqlx::query(
        "INSERT INTO chases (campaign_id, org_id, from_org_id, kind, message, batch, sender, created_at) \
         VALUES ($1, $2, $3, 'report', '请于明日前报送', 'batch-1', '区总工会', $4)",
    )
    .bind(id)
    .bind(app.street_b)
    .bind(app.district)
    .bind(qingting::db::now())
    .execute(app.db.pool())
    .await
    .unwrap();
    let list_b = todo(&b).await;
    let first = &items(&list_b)[0];
    assert_eq!(
        (first["kind"].as_str(), first["light"].as_str()),
        (Some("chased"), Some("red"))
    );
    assert_eq!(first["message"], "请于明日前报送");
    assert_eq!(first["from"], "测试区总工会");
    assert_eq!(
        list_b["red"], 2,
        "the chase and the problem; the receipt was issued today: {list_b}"
    );
    // Submitting answers the chase.
    let (status, _) = b
        .post(
            &format!("/api/v1/campaigns/{id}/summaries/{}/submit", app.street_b.0),
            json!({"version": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let list_b = todo(&b).await;
    assert!(of_kind(&list_b, "chased").is_empty(), "{list_b}");
    assert!(of_kind(&todo(&district).await, "units_missing").is_empty());

    // Nobody sees another subtree's work; a viewer acts for nothing.
    for (api, other) in [(&a, app.street_b.0), (&b, app.street_a.0)] {
        let list = todo(api).await;
        assert!(items(&list).iter().all(|i| i["org_id"] != other), "{list}");
    }
    assert!(items(&todo(&app.api("a.viewer").await).await).is_empty());
}

#[tokio::test]
async fn a_past_deadline_is_red_and_the_home_page_lists_the_items_above_the_figures() {
    let app = TestApp::spawn().await;
    let today = Day::today();
    let id = campaign(&app, today.plus_days(-1)).await;
    let a = app.api("a.cadre").await;
    let list = todo(&a).await;
    assert_eq!(of_kind(&list, "summary_to_submit")[0]["light"], "red");
    assert!(
        of_kind(&list, "summary_to_submit")[0]["working_days"]
            .as_i64()
            .unwrap()
            <= -1
    );

    let page = app.browser("a.cadre").await;
    let html = page
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let todo_at = html.find("todo-list").expect("the list is drawn");
    let figures_at = html.find("todo-figures-h").expect("the figures stay");
    assert!(todo_at < figures_at, "the list comes before the figures");
    assert!(html.contains(&format!(
        "href=\"/campaigns/{id}/summary/{}\"",
        app.street_a.0
    )));
    assert!(html.contains("light light-red"));
    assert!(html.contains("逾期"));

    // Not logged in: refused.
    let (status, _) = {
        let r = app
            .anonymous()
            .get(app.url("/api/v1/todo"))
            .send()
            .await
            .unwrap();
        (r.status(), ())
    };
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_submitted_plan_waits_for_the_issuer_and_a_returned_one_for_the_unit() {
    let app = TestApp::spawn().await;
    let days = Workdays::built_in();
    let id = campaign(&app, days.add(Day::today(), 20)).await;
    let plan = format!("/api/v1/campaigns/{id}/plans/{}", app.street_a.0);
    let a = app.api("a.cadre").await;
    let district = app.api("district.admin").await;
    let (status, p) = a
        .send(
            reqwest::Method::PUT,
            &plan,
            json!({"summary": "方案", "target_enterprises": 20, "target_interviews": 50, "target_symposiums": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let (status, _) = a.post(&format!("{plan}/submit"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let review = of_kind(&todo(&district).await, "plan_to_review");
    assert_eq!(review.len(), 1);
    assert_eq!(
        review[0]["link"],
        format!("/campaigns/{id}/plans/{}", app.street_a.0)
    );
    assert_eq!(
        review[0]["light"], "yellow",
        "answer within three working days"
    );
    assert!(of_kind(&todo(&a).await, "plan_to_review").is_empty());

    let (status, body) = district
        .post(&format!("{plan}/return"), json!({"reason": "目标偏低"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(of_kind(&todo(&district).await, "plan_to_review").is_empty());
    let returned = of_kind(&todo(&a).await, "plan_returned");
    assert_eq!(returned.len(), 1);
    assert!(of_kind(&todo(&app.api("b.cadre").await).await, "plan_returned").is_empty());
}
