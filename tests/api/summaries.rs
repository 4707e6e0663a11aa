//! Summary tables: computed from the subtree's records, drill-downs that add
//! up to the figures, the submission workflow with frozen snapshots, the
//! federation's completeness and roll-up, access, and the roll-up property
//! over random trees and records.

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;
use qingting::{
    auth::{Role, Scope},
    db::{CampaignId, OrgId},
    summary::{
        LineFigures,
        store::{self as summary_store, Lines},
    },
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, pdf_text};

pub(crate) async fn campaign(app: &TestApp, due: &str) -> i64 {
    let admin = app.api("district.admin").await;
    let (status, c) = admin
        .post(
            "/api/v1/campaigns",
            json!({"title": "大走访、大调解、大服务", "doc_number": "测工〔2019〕28号",
                   "starts_on": "2019-10-21", "ends_on": "2019-11-15", "report_due_on": due,
                   "kinds": ["street"]}),
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

pub(crate) async fn enterprise(app: &TestApp, org: OrgId, code: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO enterprises (org_id, name, credit_code, sort_key, created_at, updated_at) \
         VALUES ($1, $2, $3, $2, 0, 0) RETURNING id",
    )
    .bind(org)
    .bind(format!("企业{code}"))
    .bind(code)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

/// An activity of `kind` by `org`, with its counts and enterprises.
pub(crate) async fn activity(
    app: &TestApp,
    campaign: i64,
    org: OrgId,
    kind: &str,
    counts: (i64, i64),
    enterprises: &[i64],
) -> i64 {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO activities (client_id, campaign_id, org_id, kind, held_on, workers_interviewed, \
         participants, created_at, updated_at) VALUES ($1, $2, $3, $4, '2019-10-28', $5, $6, 0, 0) RETURNING id",
    )
    .bind(format!("act-{}", rand_id()))
    .bind(campaign)
    .bind(org)
    .bind(kind)
    .bind(counts.0)
    .bind(counts.1)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    for e in enterprises {
        sqlx::query(
            "INSERT INTO activity_enterprises (activity_id, enterprise_id, org_id) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(e)
        .bind(org)
        .execute(app.db.pool())
        .await
        .unwrap();
    }
    id
}

fn rand_id() -> String {
    use rand::Rng;
    format!("{:016x}", rand::thread_rng().r#gen::<u64>())
}

/// A problem recorded by `org`, owned by `owner`, with an outcome (code, date) or open.
pub(crate) async fn problem(
    app: &TestApp,
    campaign: i64,
    org: OrgId,
    owner: OrgId,
    source: &str,
    outcome: Option<(&str, Option<&str>)>,
    description: &str,
) -> i64 {
    let (state, code, on) = match outcome {
        None => ("open", None, None),
        Some((c, d)) => ("decided", Some(c), d),
    };
    let note = (code == Some("solved")).then_some("已处理");
    sqlx::query_scalar(
        "INSERT INTO problems (client_id, org_id, owner_org_id, campaign_id, source, topic_id, description, \
         state, outcome, outcome_on, outcome_note, escalated, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, (SELECT id FROM topics WHERE code = 'wages'), $6, $7, $8, $9, $10, $11, $12, $12) \
         RETURNING id",
    )
    .bind(format!("prob-{}", rand_id()))
    .bind(org)
    .bind(owner)
    .bind(campaign)
    .bind(source)
    .bind(description)
    .bind(state)
    .bind(code)
    .bind(on)
    .bind(note)
    .bind(i64::from(org != owner))
    .bind(1_572_000_000 + rand::random::<u16>() as i64)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

fn figure(t: &Value, key: &str) -> i64 {
    t["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == key)
        .map(|f| f["computed"].as_i64().unwrap())
        .unwrap()
}

fn field(err: &Value) -> Vec<String> {
    err["error"]["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["field"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Street A with a grassroots union under it: visits, a symposium, problems in
/// every outcome, one escalated to the district and solved there.
struct Seeded {
    id: i64,
    worker_solved: i64,
    worker_open: i64,
    escalated: i64,
}

async fn seed(app: &TestApp, due: &str) -> Seeded {
    let id = campaign(app, due).await;
    let e1 = enterprise(app, app.street_a, &format!("E1-{}", rand_id())).await;
    let e2 = enterprise(app, app.street_a, &format!("E2-{}", rand_id())).await;
    let e3 = enterprise(app, app.street_b, &format!("E3-{}", rand_id())).await;
    activity(
        app,
        id,
        app.street_a,
        "enterprise_visit",
        (12, 0),
        &[e1, e2],
    )
    .await;
    activity(app, id, app.union_a, "enterprise_visit", (5, 0), &[e1]).await;
    activity(app, id, app.union_a, "symposium", (0, 18), &[e2]).await;
    activity(app, id, app.street_b, "symposium", (3, 9), &[e3]).await;
    // Not in the campaign: never counted.
    sqlx::query(
        "INSERT INTO activities (client_id, org_id, kind, held_on, workers_interviewed, created_at, updated_at) \
         VALUES ($1, $2, 'interview', '2019-10-28', 99, 0, 0)",
    )
    .bind(format!("outside-{}", rand_id()))
    .bind(app.street_a)
    .execute(app.db.pool())
    .await
    .unwrap();
    let worker_solved = problem(
        app,
        id,
        app.street_a,
        app.street_a,
        "worker",
        Some(("solved", Some("2019-11-01"))),
        "骑手等餐没有休息点",
    )
    .await;
    problem(
        app,
        id,
        app.union_a,
        app.union_a,
        "worker",
        Some(("in_progress", Some("2019-12-31"))),
        "食堂用餐高峰排队太久",
    )
    .await;
    let worker_open = problem(
        app,
        id,
        app.union_a,
        app.union_a,
        "worker",
        None,
        "更衣室太小",
    )
    .await;
    problem(
        app,
        id,
        app.street_a,
        app.street_a,
        "enterprise",
        Some(("planned", Some("2020-03-01"))),
        "希望工会协调社保补贴申请",
    )
    .await;
    problem(
        app,
        id,
        app.union_a,
        app.union_a,
        "union",
        Some(("reference", None)),
        "建议增加职工书屋",
    )
    .await;
    // Escalated above the street and solved by the district: the street counts
    // it as escalated, the district's own level as solved.
    let escalated = problem(
        app,
        id,
        app.union_a,
        app.district,
        "worker",
        Some(("solved", Some("2019-11-10"))),
        "园区缺少骑手驿站，需要区里协调场地",
    )
    .await;
    problem(
        app,
        id,
        app.street_b,
        app.street_b,
        "worker",
        Some(("solved", Some("2019-11-02"))),
        "乙街道的问题",
    )
    .await;
    Seeded {
        id,
        worker_solved,
        worker_open,
        escalated,
    }
}

#[tokio::test]
async fn a_units_table_is_computed_from_its_subtree_and_every_figure_drills_down() {
    let app = TestApp::spawn().await;
    let s = seed(&app, "2099-11-15").await;
    let a = app.api("a.cadre").await;
    let path = format!("/api/v1/campaigns/{}/summaries/{}", s.id, app.street_a.0);
    let (status, got) = a.get(&path).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    let t = &got["table"];
    assert_eq!(t["head"]["org_name"], "甲街道总工会");
    assert_eq!(t["head"]["doc_number"], "测工〔2019〕28号");
    assert_eq!(figure(t, "enterprises"), 2, "e1 twice counts once");
    assert_eq!(figure(t, "interviews"), 17);
    assert_eq!(figure(t, "symposiums"), 1);
    assert_eq!(figure(t, "participants"), 18);
    assert_eq!(
        figure(t, "solved"),
        1,
        "the district's solution is not the street's"
    );
    assert_eq!(figure(t, "escalated"), 1);
    assert_eq!(t["upper"][0]["problem_id"], s.escalated);
    assert_eq!(t["upper"][0]["owner"], "测试区总工会");
    // Default main problems: the two most recent decided per source; never
    // the undecided one, never the one owned above.
    let worker: Vec<i64> = t["blocks"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["problem_id"].as_i64().unwrap())
        .collect();
    assert_eq!(worker.len(), 2);
    assert!(worker.contains(&s.worker_solved));
    assert!(!worker.contains(&s.worker_open) && !worker.contains(&s.escalated));
    assert_eq!(
        t["blocks"][0]["outcomes"],
        json!({"solved": 1, "in_progress": 1, "planned": 0, "reference": 0, "open": 1})
    );
    assert_eq!(t["blocks"][1]["items"][0]["outcome"]["outcome"], "planned");
    assert_eq!(t["blocks"][1]["items"][0]["outcome"]["on"], "2020-03-01");
    assert_eq!(
        t["blocks"][2]["items"][0]["outcome"]["outcome"], "reference",
        "the outcome reads back as the code it was written with"
    );
    // Every figure is the sum of the records it drills down to.
    for key in [
        "enterprises",
        "interviews",
        "symposiums",
        "participants",
        "solved",
        "escalated",
        "outcome:worker:solved",
        "outcome:worker:open",
    ] {
        let (status, r) = a.get(&format!("{path}/records?drill={key}")).await;
        assert_eq!(status, StatusCode::OK, "{key}: {r}");
        let sum: i64 = r["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["amount"].as_i64().unwrap())
            .sum();
        assert_eq!(r["figure"], sum, "{key}");
        if !key.starts_with("outcome") {
            assert_eq!(r["figure"], figure(t, key), "{key}");
        }
    }
    let (status, err) = a.get(&format!("{path}/records?drill=nonsense")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&err), ["drill"]);

    // The federation's live roll-up: street A, street B and the district's
    // own level; the escalated problem counts once, solved at the district.
    let d = app.api("district.admin").await;
    let (status, o) = d
        .get(&format!("/api/v1/campaigns/{}/summaries?basis=live", s.id))
        .await;
    assert_eq!(status, StatusCode::OK, "{o}");
    let lines = o["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3);
    let own = lines.iter().find(|l| l["own"] == true).unwrap();
    assert_eq!(
        own["figures"]["counts"]["solved"], 1,
        "solved at the district"
    );
    assert_eq!(
        o["totals"]["counts"],
        json!({"enterprises": 3, "interviews": 20, "symposiums": 2, "participants": 27, "solved": 3, "escalated": 1})
    );
    assert_eq!(o["completeness"]["expected"], 2);
    assert_eq!(o["completeness"]["missing"], 2);
    // A new record shows at once.
    problem(
        &app,
        s.id,
        app.street_b,
        app.street_b,
        "union",
        Some(("solved", Some("2019-11-03"))),
        "新记录",
    )
    .await;
    let (_, o) = d
        .get(&format!("/api/v1/campaigns/{}/summaries?basis=live", s.id))
        .await;
    assert_eq!(o["totals"]["counts"]["solved"], 4);
    // The CSV of the counts for the whole subtree.
    let csv = app
        .browser("district.admin")
        .await
        .get(app.url(&format!("/api/v1/campaigns/{}/summaries/counts.csv", s.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.unwrap();
    assert!(
        text.contains("甲街道总工会") && text.contains("合计"),
        "{text}"
    );
    assert!(text.contains("走访企事业单位数"));
}

#[tokio::test]
async fn submit_return_on_a_line_revise_resubmit_accept() {
    let app = TestApp::spawn().await;
    let s = seed(&app, "2099-11-15").await;
    let a = app.api("a.cadre").await;
    let d = app.api("district.admin").await;
    let path = format!("/api/v1/campaigns/{}/summaries/{}", s.id, app.street_a.0);

    // An undecided main problem cannot be submitted; the error names the block.
    let (status, got) = a
        .send(
            Method::PUT,
            &path,
            json!({"main": {"worker": [s.worker_open, s.worker_solved]}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(
        got["table"]["blocks"][0]["items"][0]["problem_id"],
        s.worker_open
    );
    let (status, err) = a
        .post(&format!("{path}/submit"), json!({"version": 0}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(field(&err), ["main.worker[0]"]);
    assert!(
        err["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("更衣室太小")
    );
    // A problem the unit does not own cannot be main; an override needs a reason.
    let (status, err) = a
        .send(
            Method::PUT,
            &path,
            json!({"main": {"worker": [s.escalated]}, "overrides": {"enterprises": {"value": 5}}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field(&err),
        ["main.worker[0]", "overrides.enterprises.reason"]
    );
    assert_eq!(
        err["error"]["fields"][1]["message"],
        "修正了数字，请填写“走访企事业单位数的修正原因”。"
    );
    let (status, got) = a
        .send(
            Method::PUT,
            &path,
            json!({"main": {"worker": [s.worker_solved]},
                   "overrides": {"enterprises": {"value": 5, "reason": "另有3家通过线上走访"}},
                   "remarks": "本表由街道办公室汇总"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    let enterprises = &got["table"]["figures"][0];
    assert_eq!(enterprises["computed"], 2);
    assert_eq!(enterprises["overridden"]["value"], 5);

    // Submit; a retry of the same submission stores nothing twice.
    let (status, got) = a
        .post(&format!("{path}/submit"), json!({"version": 0}))
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["record"]["status"], "submitted");
    assert_eq!(got["record"]["version"], 1);
    assert_eq!(got["versions"][0]["late"], false);
    let (status, again) = a
        .post(&format!("{path}/submit"), json!({"version": 0}))
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["versions"].as_array().unwrap().len(), 1);
    // Submitted: no more edits by the unit.
    let (status, _) = a.send(Method::PUT, &path, json!({"remarks": "x"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // The unit cannot decide its own table; the district must give a reason.
    assert_eq!(
        a.post(&format!("{path}/accept"), json!({"version": 1}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, err) = d
        .post(
            &format!("{path}/return"),
            json!({"version": 1, "reason": " "}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&err), ["reason"]);
    let (status, got) = d
        .post(
            &format!("{path}/return"),
            json!({"version": 1, "lines": [{"line": "enterprises", "reason": "修正后的数字请附走访记录"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["record"]["status"], "returned");
    assert_eq!(
        got["versions"][0]["reasons"]["lines"][0]["reason"],
        "修正后的数字请附走访记录"
    );
    // The unit is told.
    let (_, notes) = a.get("/api/v1/notifications").await;
    assert_eq!(notes[0]["kind"], "summary_returned", "{notes}");
    assert!(
        notes[0]["text"]
            .as_str()
            .unwrap()
            .contains("修正后的数字请附走访记录")
    );
    // The page shows the reason beside the line.
    let page = app
        .browser("a.cadre")
        .await
        .get(app.url(&format!("/campaigns/{}/summary/{}", s.id, app.street_a.0)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("修正后的数字请附走访记录") && page.contains("已退回"));

    // Revise (drop the override) and resubmit as version 2.
    let (status, _) = a
        .send(
            Method::PUT,
            &path,
            json!({"overrides": {}, "remarks": "已按意见修改"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, err) = a
        .post(&format!("{path}/submit"), json!({"version": 0}))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a stale version: {err}"
    );
    let (status, got) = a
        .post(&format!("{path}/submit"), json!({"version": 1}))
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["record"]["version"], 2);
    let (status, got) = d
        .post(&format!("{path}/accept"), json!({"version": 2}))
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["record"]["status"], "accepted");
    // A version is decided once: accepting or returning it again is a
    // conflict, never a silent success.
    let (status, err) = d
        .post(&format!("{path}/accept"), json!({"version": 2}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert_eq!(err["error"]["code"], "conflict");
    assert_eq!(field(&err), ["version"]);
    assert_eq!(
        d.post(
            &format!("{path}/return"),
            json!({"version": 2, "reason": "x"})
        )
        .await
        .0,
        StatusCode::CONFLICT
    );
    // Every version is kept and viewable.
    let (_, versions) = a.get(&format!("{path}/versions")).await;
    let versions = versions.as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["decision"], "returned");
    assert_eq!(versions[0]["table"]["figures"][0]["overridden"]["value"], 5);
    assert_eq!(versions[1]["decision"], "accepted");
    assert_eq!(versions[1]["table"]["remarks"], "已按意见修改");
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM summary_versions")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 2);
    for action in ["summary_submitted", "summary_returned", "summary_accepted"] {
        assert!(app.audit_count(action).await >= 1, "{action}");
    }
    // The federation's completeness.
    let (_, o) = d
        .get(&format!("/api/v1/campaigns/{}/summaries", s.id))
        .await;
    let k = &o["completeness"];
    assert_eq!(
        (
            k["submitted"].as_i64(),
            k["on_time"].as_i64(),
            k["missing"].as_i64(),
            k["accepted"].as_i64()
        ),
        (Some(1), Some(1), Some(1), Some(1))
    );
    assert_eq!(k["submitted_rate"], 50);
}

#[tokio::test]
async fn a_snapshot_never_changes_and_late_submissions_are_marked() {
    let app = TestApp::spawn().await;
    let s = seed(&app, "2019-11-15").await;
    let a = app.api("a.cadre").await;
    let path = format!("/api/v1/campaigns/{}/summaries/{}", s.id, app.street_a.0);
    let (status, got) = a
        .post(&format!("{path}/submit"), json!({"version": 0}))
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["versions"][0]["late"], true, "due 2019, submitted now");
    let (_, before) = a.get(&format!("{path}/versions")).await;
    // The records change: more visits, a problem decided, one deleted outright.
    activity(&app, s.id, app.street_a, "enterprise_visit", (40, 0), &[]).await;
    sqlx::query("UPDATE problems SET state = 'decided', outcome = 'solved', outcome_on = '2019-11-20', outcome_note = 'x' WHERE id = $1")
        .bind(s.worker_open)
        .execute(app.db.pool())
        .await
        .unwrap();
    let (_, after) = a.get(&format!("{path}/versions")).await;
    assert_eq!(before, after);
    let (_, live) = a.get(&path).await;
    assert_eq!(figure(&live["table"], "interviews"), 57);
    assert_eq!(figure(&after[0]["table"], "interviews"), 17);
    // The stored hash is the hash of the stored snapshot.
    let (snapshot, hash): (String, String) =
        sqlx::query_as("SELECT snapshot, content_hash FROM summary_versions")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    use sha2::Digest;
    assert_eq!(hex::encode(sha2::Sha256::digest(snapshot.as_bytes())), hash);
    assert_eq!(after[0]["content_hash"], hash);
    let (_, o) = app
        .api("district.admin")
        .await
        .get(&format!("/api/v1/campaigns/{}/summaries", s.id))
        .await;
    assert_eq!(o["completeness"]["late"], 1);
    assert_eq!(o["completeness"]["on_time"], 0);
}

#[tokio::test]
async fn outsiders_are_refused_on_every_summary_route() {
    let app = TestApp::spawn().await;
    let s = seed(&app, "2099-11-15").await;
    let other = app.org("OTHER", "外区总工会", "federation", None).await;
    app.user("other.admin", other, Role::Admin).await;
    let a_path = format!("/api/v1/campaigns/{}/summaries/{}", s.id, app.street_a.0);
    // Street B and another district cannot see street A's table at all.
    for who in ["b.cadre", "other.admin"] {
        let api = app.api(who).await;
        for p in [
            a_path.clone(),
            format!("{a_path}/versions"),
            format!("{a_path}/records?drill=solved"),
        ] {
            assert_eq!(api.get(&p).await.0, StatusCode::NOT_FOUND, "{who} {p}");
        }
        assert_eq!(
            api.send(Method::PUT, &a_path, json!({})).await.0,
            StatusCode::NOT_FOUND,
            "{who}"
        );
        assert_eq!(
            api.post(&format!("{a_path}/submit"), json!({"version": 0}))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        let browser = app.browser(who).await;
        for p in [
            format!("/campaigns/{}/summary/{}", s.id, app.street_a.0),
            format!(
                "/campaigns/{}/summary/{}/records?drill=solved",
                s.id, app.street_a.0
            ),
        ] {
            let res = browser.get(app.url(&p)).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{who} {p}");
        }
    }
    let other_api = app.api("other.admin").await;
    assert_eq!(
        other_api
            .get(&format!("/api/v1/campaigns/{}/summaries", s.id))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // A unit's people see their own table but not the federation's view.
    let a = app.api("a.cadre").await;
    assert_eq!(
        a.get(&format!("/api/v1/campaigns/{}/summaries", s.id))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let browser = app.browser("a.cadre").await;
    for p in [
        format!("/campaigns/{}/summaries", s.id),
        format!("/api/v1/campaigns/{}/summaries/counts.csv", s.id),
        format!("/campaigns/{}/summaries/records?drill=solved", s.id),
    ] {
        let res = browser.get(app.url(&p)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{p}");
    }
    // A viewer reads but cannot edit or submit.
    let v = app.api("a.viewer").await;
    assert_eq!(v.get(&a_path).await.0, StatusCode::OK);
    assert_eq!(
        v.send(Method::PUT, &a_path, json!({"remarks": "x"}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        v.post(&format!("{a_path}/submit"), json!({"version": 0}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // Street A's people cannot touch street B's table.
    let b_path = format!("/api/v1/campaigns/{}/summaries/{}", s.id, app.street_b.0);
    assert_eq!(a.get(&b_path).await.0, StatusCode::NOT_FOUND);
    // Only admins over the issuing org decide.
    let (status, _) = app
        .api("b.cadre")
        .await
        .post(&format!("{b_path}/submit"), json!({"version": 0}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.api("a.admin")
            .await
            .post(&format!("{b_path}/accept"), json!({"version": 1}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn reminders_skip_units_that_have_submitted() {
    let app = TestApp::spawn().await;
    let s = seed(&app, "2019-11-15").await;
    let (status, _) = app
        .api("a.cadre")
        .await
        .post(
            &format!(
                "/api/v1/campaigns/{}/summaries/{}/submit",
                s.id, app.street_a.0
            ),
            json!({"version": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let rules = &app.settings.reminders;
    let day = qingting::date::Day::parse_str("2019-11-13").unwrap();
    qingting::notify::sweep::run(&app.db, rules, day)
        .await
        .unwrap();
    let (_, a) = app.api("a.cadre").await.get("/api/v1/notifications").await;
    assert!(
        a.as_array()
            .unwrap()
            .iter()
            .all(|n| n["kind"] != "campaign_due"),
        "{a}"
    );
    let (_, b) = app.api("b.cadre").await.get("/api/v1/notifications").await;
    assert_eq!(b[0]["kind"], "campaign_due");
    assert_eq!(
        b[0]["link"],
        format!("/campaigns/{}/summary/{}", s.id, app.street_b.0)
    );
}

// ---- the roll-up property over random trees and records ----

/// A random org tree under the district (parent index into the earlier
/// nodes; 0 is the district), units, activities and problems.
#[derive(Clone, Debug)]
struct World {
    parents: Vec<usize>,
    units: Vec<usize>,
    /// (org, interviews, symposium participants or None, enterprises)
    activities: Vec<(usize, i64, Option<i64>, Vec<usize>)>,
    /// (recorded by, escalated this many levels up, source, outcome index 0..=4)
    problems: Vec<(usize, usize, usize, usize)>,
}

fn world() -> impl Strategy<Value = World> {
    (2usize..12)
        .prop_flat_map(|n| {
            let parents = (1..n).map(|i| 0..i).collect::<Vec<_>>();
            (
                parents,
                proptest::collection::vec(1..n, 1..5),
                proptest::collection::vec(
                    (
                        0..n,
                        0i64..20,
                        proptest::option::of(0i64..30),
                        proptest::collection::vec(0usize..6, 0..3),
                    ),
                    0..25,
                ),
                proptest::collection::vec((0..n, 0usize..3, 0usize..3, 0usize..5), 0..30),
            )
        })
        .prop_map(|(parents, units, activities, problems)| World {
            parents: std::iter::once(0).chain(parents).collect(),
            units,
            activities,
            problems,
        })
}

impl World {
    /// Node 0 and its ancestors chain: the path from `i` up to the district.
    fn path(&self, mut i: usize) -> Vec<usize> {
        let mut out = vec![i];
        while i != 0 {
            i = self.parents[i];
            out.push(i);
        }
        out
    }

    fn under(&self, node: usize, root: usize) -> bool {
        self.path(node).contains(&root)
    }

    /// The figures of the subtree of `root`, counted the slow way.
    fn naive(&self, root: usize) -> LineFigures {
        let mut f = LineFigures::default();
        let mut seen = HashSet::new();
        for (org, interviews, symposium, ents) in &self.activities {
            if !self.under(*org, root) {
                continue;
            }
            for e in ents {
                seen.insert(*e);
            }
            f.counts[1] += interviews;
            if let Some(p) = symposium {
                f.counts[2] += 1;
                f.counts[3] += p;
            }
        }
        f.counts[0] = seen.len() as i64;
        for (org, up, source, outcome) in &self.problems {
            let owner = self.owner(*org, *up);
            if self.under(owner, root) {
                f.outcomes[*source][*outcome] += 1;
                if *outcome == 0 {
                    f.counts[4] += 1;
                }
            }
            if self.under(*org, root) && !self.under(owner, root) {
                f.counts[5] += 1;
            }
        }
        f
    }

    fn owner(&self, org: usize, up: usize) -> usize {
        let path = self.path(org);
        path[up.min(path.len() - 1)]
    }
}

async fn build(app: &TestApp, w: &World, round: usize) -> (CampaignId, Vec<OrgId>) {
    let mut ids = vec![app.district];
    for (i, p) in w.parents.iter().enumerate().skip(1) {
        let id = app
            .org(
                &format!("R{round}N{i}"),
                &format!("随机{round}-{i}"),
                "grassroots",
                Some(ids[*p]),
            )
            .await;
        ids.push(id);
    }
    let campaign: i64 = sqlx::query_scalar(
        "INSERT INTO campaigns (org_id, title, starts_on, ends_on, report_due_on, status, created_at, updated_at) \
         VALUES ($1, '随机', '2019-10-01', '2019-11-01', '2019-11-15', 'active', 0, 0) RETURNING id",
    )
    .bind(app.district)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let mut ents = Vec::new();
    for e in 0..6 {
        ents.push(enterprise(app, app.district, &format!("R{round}E{e}")).await);
    }
    for (org, interviews, symposium, es) in &w.activities {
        let list: Vec<i64> = es
            .iter()
            .collect::<HashSet<_>>()
            .into_iter()
            .map(|e| ents[*e])
            .collect();
        let (kind, participants) = match symposium {
            Some(p) => ("symposium", *p),
            None => ("enterprise_visit", 0),
        };
        activity(
            app,
            campaign,
            ids[*org],
            kind,
            (*interviews, participants),
            &list,
        )
        .await;
    }
    const OUTCOMES: [Option<(&str, Option<&str>)>; 5] = [
        Some(("solved", Some("2019-11-01"))),
        Some(("in_progress", Some("2019-12-01"))),
        Some(("planned", Some("2020-01-01"))),
        Some(("reference", None)),
        None,
    ];
    for (org, up, source, outcome) in &w.problems {
        let owner = w.owner(*org, *up);
        problem(
            app,
            campaign,
            ids[*org],
            ids[owner],
            ["worker", "enterprise", "union"][*source],
            OUTCOMES[*outcome],
            "随机问题",
        )
        .await;
    }
    (CampaignId(campaign), ids)
}

#[test]
fn the_roll_up_is_the_sum_of_its_lines_for_random_trees_and_records() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(TestApp::spawn());
    let scope = Scope::of(vec![app.district]);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 24,
        ..ProptestConfig::default()
    });
    let round = std::cell::Cell::new(0usize);
    runner
        .run(&world(), |w| {
            round.set(round.get() + 1);
            rt.block_on(async {
                let (campaign, ids) = build(&app, &w, round.get()).await;
                let units: Vec<usize> = w
                    .units
                    .iter()
                    .copied()
                    .collect::<HashSet<_>>()
                    .into_iter()
                    .collect();
                let unit_ids: Vec<OrgId> = units.iter().map(|u| ids[*u]).collect();
                // Each unit's own figures, over its whole subtree.
                let per_unit = summary_store::unit_figures(&app.db, &scope, campaign, &unit_ids)
                    .await
                    .unwrap();
                for u in &units {
                    prop_assert_eq!(&per_unit[&ids[*u]], &w.naive(*u), "unit {}", u);
                }
                // The roll-up lines: units under no other unit, and the own level.
                let nested = summary_store::nested(&app.db, &unit_ids).await.unwrap();
                let top: Vec<OrgId> = unit_ids
                    .iter()
                    .copied()
                    .filter(|u| !nested.contains(u))
                    .collect();
                let lines = Lines {
                    units: top.clone(),
                    own: Some(app.district),
                };
                let figs = summary_store::figures(&app.db, &scope, campaign, &lines)
                    .await
                    .unwrap();
                let mut total = LineFigures::default();
                for l in top.iter().chain([app.district].iter()) {
                    total.add(&figs[l]);
                }
                for t in &top {
                    prop_assert_eq!(&figs[t], &per_unit[t]);
                }
                // Additive figures of the lines add up to the whole subtree;
                // each problem is counted once, where it is owned.
                let whole = w.naive(0);
                for k in [1usize, 2, 3, 4] {
                    prop_assert_eq!(total.counts[k], whole.counts[k], "figure {}", k);
                }
                prop_assert_eq!(total.outcomes, whole.outcomes);
                let problems: i64 = total.outcomes.all().total();
                prop_assert_eq!(problems, w.problems.len() as i64);
                let by_line: HashMap<OrgId, i64> =
                    figs.iter().map(|(k, v)| (*k, v.counts[5])).collect();
                prop_assert_eq!(
                    by_line.get(&app.district).copied().unwrap_or(0),
                    0,
                    "nothing above the district"
                );
                Ok(())
            })
        })
        .unwrap();
}

/// Every non-empty cell of every sheet, as text, by sheet name.
fn sheets(bytes: &[u8]) -> Vec<(String, Vec<String>)> {
    use calamine::{Reader, Xlsx, open_workbook_from_rs};
    let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let names = wb.sheet_names().to_vec();
    names
        .into_iter()
        .map(|n| {
            let range = wb.worksheet_range(&n).unwrap();
            let cells = range
                .rows()
                .flat_map(|r| r.iter().map(|c| c.to_string()))
                .filter(|c| !c.is_empty())
                .collect();
            (n, cells)
        })
        .collect()
}

#[tokio::test]
async fn exports_read_back_with_the_computed_figures_and_follow_access() {
    let app = TestApp::spawn().await;
    let s = seed(&app, "2099-11-15").await;
    let a = app.browser("a.cadre").await;
    let unit = format!("/api/v1/campaigns/{}/summaries/{}", s.id, app.street_a.0);
    let res = a
        .get(app.url(&format!("{unit}/table.xlsx")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let wb = sheets(&res.bytes().await.unwrap());
    assert_eq!(wb.len(), 1);
    let cells = &wb[0].1;
    let (_, live) = app
        .api("a.cadre")
        .await
        .get(&format!(
            "/api/v1/campaigns/{}/summaries/{}",
            s.id, app.street_a.0
        ))
        .await;
    assert!(
        cells.iter().any(|c| c.contains("甲街道总工会")),
        "{cells:?}"
    );
    for f in live["table"]["figures"].as_array().unwrap() {
        let v = f["computed"].as_i64().unwrap().to_string();
        assert!(cells.contains(&v), "figure {} = {v} in {cells:?}", f["key"]);
    }
    for item in live["table"]["blocks"][0]["items"].as_array().unwrap() {
        let d = item["description"].as_str().unwrap();
        assert!(cells.iter().any(|c| c.contains(d)), "{d}");
    }
    assert!(
        cells.iter().any(|c| c.contains("园区缺少骑手驿站")),
        "the escalated line"
    );
    assert!(
        cells
            .iter()
            .any(|c| c.starts_with("说明：1.表中对每个问题"))
    );
    // A frozen version exports as frozen.
    let (status, _) = app
        .api("a.cadre")
        .await
        .post(
            &format!(
                "/api/v1/campaigns/{}/summaries/{}/submit",
                s.id, app.street_a.0
            ),
            json!({"version": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    activity(&app, s.id, app.street_a, "enterprise_visit", (1000, 0), &[]).await;
    let res = a
        .get(app.url(&format!("{unit}/table.xlsx?version=1")))
        .send()
        .await
        .unwrap();
    let frozen = sheets(&res.bytes().await.unwrap());
    assert!(frozen[0].1.contains(&"17".to_string()) && !frozen[0].1.contains(&"1017".to_string()));
    let res = a
        .get(app.url(&format!("{unit}/table.xlsx?version=9")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // The PDF: A4 pages with the unit's text.
    let res = a
        .get(app.url(&format!("{unit}/table.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    if let Some(text) = pdf_text(&pdf) {
        assert!(
            text.contains("甲街道总工会") && text.contains("1017"),
            "{text}"
        );
    }
    // Outside the subtree: nothing; the unit cannot take the roll-up.
    let b = app.browser("b.cadre").await;
    for p in [format!("{unit}/table.xlsx"), format!("{unit}/table.pdf")] {
        assert_eq!(
            b.get(app.url(&p)).send().await.unwrap().status(),
            StatusCode::NOT_FOUND
        );
    }
    for p in ["rollup.xlsx", "rollup.pdf"] {
        let res = a
            .get(app.url(&format!("/api/v1/campaigns/{}/summaries/{p}", s.id)))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{p}");
    }
    // The live roll-up workbook: the totals sheet, one sheet per unit, the
    // district's own level.
    let d = app.browser("district.admin").await;
    let res = d
        .get(app.url(&format!(
            "/api/v1/campaigns/{}/summaries/rollup.xlsx?basis=live",
            s.id
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let wb = sheets(&res.bytes().await.unwrap());
    let names: Vec<&str> = wb.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["合计", "甲街道总工会", "乙街道总工会", "本级"]);
    let (_, o) = app
        .api("district.admin")
        .await
        .get(&format!("/api/v1/campaigns/{}/summaries?basis=live", s.id))
        .await;
    for (i, v) in o["totals"]["counts"]
        .as_object()
        .unwrap()
        .values()
        .enumerate()
    {
        let v = v.as_i64().unwrap().to_string();
        assert!(wb[0].1.contains(&v), "total {i} = {v} in {:?}", wb[0].1);
    }
    assert!(app.audit_count("export").await >= 4);
}

/// Something that can happen to the records after a table was submitted.
#[derive(Clone, Debug)]
enum Change {
    Visit(i64),
    Symposium(i64),
    Decide(usize, usize),
    Escalate(usize),
    Reopen(usize),
    NewProblem(usize, usize),
    DeleteActivities,
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (0i64..50).prop_map(Change::Visit),
        (0i64..50).prop_map(Change::Symposium),
        (0usize..8, 0usize..4).prop_map(|(p, o)| Change::Decide(p, o)),
        (0usize..8).prop_map(Change::Escalate),
        (0usize..8).prop_map(Change::Reopen),
        (0usize..3, 0usize..5).prop_map(|(s, o)| Change::NewProblem(s, o)),
        Just(Change::DeleteActivities),
    ]
}

#[test]
fn a_submitted_snapshot_never_changes_whatever_happens_to_the_records() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(TestApp::spawn());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 12,
        ..ProptestConfig::default()
    });
    runner
        .run(&proptest::collection::vec(change(), 1..12), |changes| {
            rt.block_on(async {
                let s = seed(&app, "2099-11-15").await;
                let a = app.api("a.cadre").await;
                let path = format!("/api/v1/campaigns/{}/summaries/{}", s.id, app.street_a.0);
                let (status, _) = a.post(&format!("{path}/submit"), json!({"version": 0})).await;
                prop_assert_eq!(status, StatusCode::OK);
                let (_, before) = a.get(&format!("{path}/versions")).await;
                let problems: Vec<i64> =
                    sqlx::query_scalar("SELECT id FROM problems WHERE campaign_id = $1 ORDER BY id")
                        .bind(s.id)
                        .fetch_all(app.db.pool())
                        .await
                        .unwrap();
                let outcomes = [
                    ("solved", Some("2019-11-20")),
                    ("in_progress", Some("2020-01-31")),
                    ("planned", Some("2020-05-01")),
                    ("reference", None),
                ];
                for c in &changes {
                    match c {
                        Change::Visit(n) => {
                            activity(&app, s.id, app.union_a, "enterprise_visit", (*n, 0), &[]).await;
                        }
                        Change::Symposium(n) => {
                            activity(&app, s.id, app.street_a, "symposium", (0, *n), &[]).await;
                        }
                        Change::Decide(p, o) => {
                            let (code, on) = outcomes[*o];
                            sqlx::query(
                                "UPDATE problems SET state = 'decided', outcome = $1, outcome_on = $2, \
                                 outcome_note = 'x' WHERE id = $3",
                            )
                            .bind(code)
                            .bind(on)
                            .bind(problems[p % problems.len()])
                            .execute(app.db.pool())
                            .await
                            .unwrap();
                        }
                        Change::Escalate(p) => {
                            sqlx::query("UPDATE problems SET owner_org_id = $1, escalated = 1 WHERE id = $2")
                                .bind(app.district)
                                .bind(problems[p % problems.len()])
                                .execute(app.db.pool())
                                .await
                                .unwrap();
                        }
                        Change::Reopen(p) => {
                            sqlx::query(
                                "UPDATE problems SET state = 'open', outcome = NULL, outcome_on = NULL WHERE id = $1",
                            )
                            .bind(problems[p % problems.len()])
                            .execute(app.db.pool())
                            .await
                            .unwrap();
                        }
                        Change::NewProblem(src, o) => {
                            let outcome = outcomes.get(*o).copied();
                            problem(
                                &app,
                                s.id,
                                app.union_a,
                                app.union_a,
                                ["worker", "enterprise", "union"][*src],
                                outcome,
                                "后来的问题",
                            )
                            .await;
                        }
                        Change::DeleteActivities => {
                            sqlx::query(
                                "DELETE FROM activity_enterprises WHERE activity_id IN \
                                 (SELECT id FROM activities WHERE campaign_id = $1)",
                            )
                            .bind(s.id)
                            .execute(app.db.pool())
                            .await
                            .unwrap();
                        }
                    }
                }
                let (_, after) = a.get(&format!("{path}/versions")).await;
                prop_assert_eq!(&before, &after);
                let (snapshot, hash): (String, String) = sqlx::query_as(
                    "SELECT v.snapshot, v.content_hash FROM summary_versions v \
                     JOIN summaries s ON s.id = v.summary_id WHERE s.campaign_id = $1",
                )
                .bind(s.id)
                .fetch_one(app.db.pool())
                .await
                .unwrap();
                use sha2::Digest;
                prop_assert_eq!(hex::encode(sha2::Sha256::digest(snapshot.as_bytes())), hash);
                Ok(())
            })
        })
        .unwrap();
}

// ---- issue 13 §5: the roll-up the federation reports upward ----

const LABELS: [&str; 6] = [
    "走访企事业单位数",
    "访谈职工数",
    "座谈会次数",
    "参加座谈人数",
    "解决问题数",
    "上报问题数",
];

/// Each sheet of a roll-up workbook: its name, its 单位 line and its six
/// figures, read by position (the value stands right of its label).
fn sheet_figures(bytes: &[u8]) -> Vec<(String, String, [i64; 6])> {
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let names = wb.sheet_names().to_vec();
    names
        .into_iter()
        .map(|n| {
            let range = wb.worksheet_range(&n).unwrap();
            let cell = |r: usize, c: usize| range.get((r, c)).cloned().unwrap_or(Data::Empty);
            let mut head = String::new();
            let mut figs = [i64::MIN; 6];
            for r in 0..range.height() {
                for c in 0..range.width() {
                    let text = cell(r, c).to_string();
                    if text.starts_with("单位：") {
                        head = text.clone();
                    }
                    if let Some(i) = LABELS.iter().position(|l| *l == text) {
                        figs[i] = match cell(r, c + 1) {
                            Data::Float(f) => f as i64,
                            Data::Int(v) => v,
                            other => panic!("{n}: {text} is {other:?}"),
                        };
                    }
                }
            }
            assert!(figs.iter().all(|f| *f != i64::MIN), "{n}: {figs:?}");
            (n, head, figs)
        })
        .collect()
}

fn line(o: &Value, org: OrgId) -> &Value {
    o["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["org_id"] == org.0)
        .unwrap_or_else(|| panic!("no line {org:?} in {o}"))
}

async fn download(app: &TestApp, who: &str, path: &str) -> (StatusCode, Vec<u8>) {
    let res = app
        .browser(who)
        .await
        .get(app.url(path))
        .send()
        .await
        .unwrap();
    (res.status(), res.bytes().await.unwrap().to_vec())
}

async fn page(app: &TestApp, who: &str, path: &str) -> (StatusCode, String) {
    let res = app
        .browser(who)
        .await
        .get(app.url(path))
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

#[tokio::test]
async fn the_official_roll_up_adds_up_what_was_submitted_and_the_live_view_stays_apart() {
    let app = TestApp::spawn().await;
    let s = seed(&app, "2099-11-15").await;
    let a = app.api("a.cadre").await;
    let d = app.api("district.admin").await;
    let a_path = format!("/api/v1/campaigns/{}/summaries/{}", s.id, app.street_a.0);
    let b_path = format!("/api/v1/campaigns/{}/summaries/{}", s.id, app.street_b.0);
    let rollup = format!("/api/v1/campaigns/{}/summaries", s.id);
    // Street A reports 5 enterprises (2 on record) and submits; street B only
    // saves a draft.
    let (status, got) = a
        .send(
            Method::PUT,
            &a_path,
            json!({"overrides": {"enterprises": {"value": 5, "reason": "另有3家线上走访"}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    let (status, got) = a
        .post(&format!("{a_path}/submit"), json!({"version": 0}))
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    let (status, got) = app
        .api("b.cadre")
        .await
        .send(Method::PUT, &b_path, json!({"remarks": "草稿"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    // A record changes after the submission.
    activity(&app, s.id, app.street_a, "interview", (40, 0), &[]).await;

    // The official roll-up (the default) keeps the frozen figures.
    let (status, o) = d.get(&rollup).await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(o["basis"], "submitted");
    let la = line(&o, app.street_a);
    assert_eq!(
        (la["counted"].as_bool(), la["version"].as_i64()),
        (Some(true), Some(1))
    );
    assert_eq!(la["standing"], "on_time");
    assert_eq!(counts(&la["figures"]["counts"]), [5, 17, 1, 18, 1, 1]);
    let lb = line(&o, app.street_b);
    assert_eq!(lb["standing"], "draft");
    assert_eq!(lb["counted"], false);
    assert_eq!(counts(&lb["figures"]["counts"]), [0, 0, 0, 0, 0, 0]);
    let own = o["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["own"] == true)
        .unwrap();
    assert_eq!(own["counted"], true);
    assert_eq!(
        own["figures"]["counts"]["solved"], 1,
        "the district's own solution"
    );
    // Totals: street A as submitted plus the own level; street B adds nothing.
    let mut want = [0i64; 6];
    for l in [la, own] {
        for (i, w) in want.iter_mut().enumerate() {
            *w += counts(&l["figures"]["counts"])[i];
        }
    }
    assert_eq!(counts(&o["totals"]["counts"]), want);
    assert_eq!(o["completeness"]["missing"], 1);
    assert_eq!(o["completeness"]["draft"], 1);
    let units = o["units"].as_array().unwrap();
    assert!(units.iter().any(|u| u["standing"] == "draft"));

    // The live view shows the records now: 57 interviews, 2 enterprises.
    let (status, live) = d.get(&format!("{rollup}?basis=live")).await;
    assert_eq!(status, StatusCode::OK, "{live}");
    assert_eq!(live["basis"], "live");
    let la = line(&live, app.street_a);
    assert_eq!(counts(&la["figures"]["counts"]), [2, 57, 1, 18, 1, 1]);
    assert_eq!(line(&live, app.street_b)["counted"], true);
    let (status, err) = d.get(&format!("{rollup}?basis=everything")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&err), ["basis"]);

    // The page says which basis it shows and offers the other.
    let (status, html) = page(
        &app,
        "district.admin",
        &format!("/campaigns/{}/summaries", s.id),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("汇总（报送口径）") && html.contains("?basis=live"),
        "{html}"
    );
    assert!(html.contains("不计入") && html.contains("草稿未报送"));
    let (_, html) = page(
        &app,
        "district.admin",
        &format!("/campaigns/{}/summaries?basis=live", s.id),
    )
    .await;
    assert!(html.contains("汇总（实时口径）"));

    // The workbook on the official basis: 合计, street A as submitted, 本级;
    // street B is named as left out.
    let (status, bytes) = download(
        &app,
        "district.admin",
        &format!("/api/v1/campaigns/{}/summaries/rollup.xlsx", s.id),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let wb = sheet_figures(&bytes);
    let names: Vec<&str> = wb.iter().map(|w| w.0.as_str()).collect();
    assert_eq!(names, ["合计", "甲街道总工会", "本级"]);
    assert_eq!(wb[1].2, [5, 17, 1, 18, 1, 1]);
    for (i, w) in want.iter().enumerate() {
        assert_eq!(wb[0].2[i], *w, "{}", LABELS[i]);
        assert_eq!(wb[0].2[i], wb[1].2[i] + wb[2].2[i], "{}", LABELS[i]);
    }
    let all = sheets(&bytes);
    assert!(
        all[0]
            .1
            .iter()
            .any(|c| c.contains("乙街道总工会（草稿未报送）")),
        "{:?}",
        all[0].1
    );
    // The PDF on either basis.
    for basis in ["submitted", "live"] {
        let (status, pdf) = download(
            &app,
            "district.admin",
            &format!(
                "/api/v1/campaigns/{}/summaries/rollup.pdf?basis={basis}",
                s.id
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{basis}");
        if let Some(text) = pdf_text(&pdf) {
            assert!(text.contains("单位：测试区总工会（本级）"), "{text}");
        }
    }

    // Returned: street A no longer counts until it resubmits.
    let (status, _) = d
        .post(
            &format!("{a_path}/return"),
            json!({"version": 1, "reason": "请核对"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, o) = d.get(&rollup).await;
    let la = line(&o, app.street_a);
    assert_eq!(
        (la["standing"].as_str(), la["counted"].as_bool()),
        (Some("returned"), Some(false))
    );
    assert_eq!(o["totals"]["counts"], own_counts(&o));
}

/// The six figures of a line, named in the JSON, in the order of the attachment.
fn counts(v: &Value) -> [i64; 6] {
    [
        "enterprises",
        "interviews",
        "symposiums",
        "participants",
        "solved",
        "escalated",
    ]
    .map(|k| v[k].as_i64().unwrap_or_else(|| panic!("{k} in {v}")))
}

fn own_counts(o: &Value) -> Value {
    o["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["own"] == true)
        .unwrap()["figures"]["counts"]
        .clone()
}

#[tokio::test]
async fn the_own_level_is_a_sheet_of_its_own_and_the_totals_sheet_is_the_sum_of_the_others() {
    let app = TestApp::spawn().await;
    let s = seed(&app, "2099-11-15").await;
    // Street A changes a figure: the sheets carry what it reports.
    let (status, _) = app
        .api("a.cadre")
        .await
        .send(
            Method::PUT,
            &format!("/api/v1/campaigns/{}/summaries/{}", s.id, app.street_a.0),
            json!({"overrides": {"interviews": {"value": 30, "reason": "纸质记录未录入"}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, bytes) = download(
        &app,
        "district.admin",
        &format!(
            "/api/v1/campaigns/{}/summaries/rollup.xlsx?basis=live",
            s.id
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let wb = sheet_figures(&bytes);
    let names: Vec<&str> = wb.iter().map(|w| w.0.as_str()).collect();
    assert_eq!(names, ["合计", "甲街道总工会", "乙街道总工会", "本级"]);
    assert_eq!(wb[0].1, "单位：测试区总工会（合计）");
    assert_eq!(wb[3].1, "单位：测试区总工会（本级）");
    assert_eq!(wb[1].1, "单位：甲街道总工会");
    // Every figure of 合计 is the sum of the other sheets: the district's own
    // solution is on 本级 (1), not only in the total.
    for (i, label) in LABELS.iter().enumerate() {
        let sum: i64 = wb[1..].iter().map(|w| w.2[i]).sum();
        assert_eq!(wb[0].2[i], sum, "{label}");
    }
    assert_eq!(wb[3].2[4], 1, "solved at the district");
    assert_eq!(wb[1].2[1], 30, "street A's reported interviews");
    assert_eq!(wb[0].2[4], 3);
    // The computed total stays beside the reported one.
    let all = sheets(&bytes);
    assert!(
        all[0]
            .1
            .iter()
            .any(|c| c.contains("访谈职工数：系统统计 20，填报 33")),
        "{:?}",
        all[0].1
    );
    // The problems by outcome on 合计 are the live totals'.
    let (_, o) = app
        .api("district.admin")
        .await
        .get(&format!("/api/v1/campaigns/{}/summaries?basis=live", s.id))
        .await;
    let worker_solved = o["totals"]["outcomes"]["worker"]["solved"]
        .as_i64()
        .unwrap();
    assert!(all[0].1.contains(&worker_solved.to_string()));
    assert!(!all[0].1.iter().any(|c| c.contains("合计（合计）")));
}

#[tokio::test]
async fn a_return_names_only_lines_of_the_version_and_a_version_is_decided_once() {
    let app = TestApp::spawn().await;
    let s = seed(&app, "2099-11-15").await;
    let a = app.api("a.cadre").await;
    let d = app.api("district.admin").await;
    let path = format!("/api/v1/campaigns/{}/summaries/{}", s.id, app.street_a.0);
    let (status, got) = a
        .post(&format!("{path}/submit"), json!({"version": 0}))
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    let item = got["versions"][0]["version"].as_i64().unwrap();
    assert_eq!(item, 1);
    let (_, versions) = a.get(&format!("{path}/versions")).await;
    let main = versions[0]["table"]["blocks"][0]["items"][0]["problem_id"]
        .as_i64()
        .unwrap();
    // A line the version does not have is refused, naming it.
    for bad in ["main:999999", "figure:solved", &format!("upper:{main}")] {
        let (status, err) = d
            .post(
                &format!("{path}/return"),
                json!({"version": 1, "lines": [{"line": "solved", "reason": "请核对"},
                                              {"line": bad, "reason": "这一行不存在"}]}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {err}");
        assert_eq!(field(&err), ["lines[1].line"], "{bad}");
        let message = err["error"]["fields"][0]["message"].as_str().unwrap();
        assert!(message.contains(bad), "{message}");
    }
    // Nothing was recorded by the refusals.
    let (_, got) = a.get(&path).await;
    assert_eq!(got["record"]["status"], "submitted");
    // Lines that exist: a figure, a main problem, the escalated one, the remarks.
    let (status, got) = d
        .post(
            &format!("{path}/return"),
            json!({"version": 1, "lines": [
                {"line": "solved", "reason": "请核对"},
                {"line": format!("main:{main}"), "reason": "请写明解决时间"},
                {"line": format!("upper:{}", s.escalated), "reason": "已由区里解决"},
                {"line": "remarks", "reason": "请补充说明"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    // A second return of the same version, or an accept of it: 409.
    for (action, body) in [
        ("return", json!({"version": 1, "reason": "再退一次"})),
        ("accept", json!({"version": 1})),
    ] {
        let (status, err) = d.post(&format!("{path}/{action}"), body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{action}: {err}");
        assert!(
            err["error"]["fields"][0]["message"]
                .as_str()
                .unwrap()
                .contains("第 1 版已经退回"),
            "{err}"
        );
    }
    assert_eq!(
        app.audit_count("summary_returned").await,
        1,
        "one return recorded"
    );
    // The page form answers the same way.
    let res = app
        .browser("district.admin")
        .await
        .post(app.url(&format!(
            "/campaigns/{}/summary/{}/accept",
            s.id, app.street_a.0
        )))
        .form(&[("version", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("第 1 版已经退回"));
}

#[tokio::test]
async fn lateness_is_decided_at_submission_and_a_moved_deadline_shows_both() {
    let app = TestApp::spawn().await;
    let s = seed(&app, "2019-11-15").await;
    let a_path = format!("/api/v1/campaigns/{}/summaries/{}", s.id, app.street_a.0);
    let (status, got) = app
        .api("a.cadre")
        .await
        .post(&format!("{a_path}/submit"), json!({"version": 0}))
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["versions"][0]["late"], true);
    assert_eq!(got["versions"][0]["due_on"], "2019-11-15");
    assert_eq!(got["versions"][0]["deadline_moved_to"], Value::Null);
    assert_eq!(got["standing"], "late");
    // The district moves the deadline afterwards.
    let d = app.api("district.admin").await;
    let (status, c) = d
        .patch(
            &format!("/api/v1/campaigns/{}", s.id),
            json!({"report_due_on": "2099-12-31"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    // The stored verdict stands, and the move is shown beside it.
    let (_, got) = app.api("a.cadre").await.get(&a_path).await;
    assert_eq!(got["versions"][0]["late"], true);
    assert_eq!(got["versions"][0]["due_on"], "2019-11-15");
    assert_eq!(got["versions"][0]["deadline_moved_to"], "2099-12-31");
    assert_eq!(got["standing"], "late");
    let (_, o) = d
        .get(&format!("/api/v1/campaigns/{}/summaries", s.id))
        .await;
    assert_eq!(o["completeness"]["late"], 1);
    assert_eq!(o["completeness"]["on_time"], 0);
    let row = o["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["org_id"] == app.street_a.0)
        .unwrap();
    assert_eq!(row["late"], true);
    assert_eq!(row["judged_against"], "2019-11-15");
    assert_eq!(row["deadline_moved_to"], "2099-12-31");
    assert_eq!(line(&o, app.street_a)["standing"], "late");
    let moved = "报送时的截止日期为 2019年11月15日，现已改为 2099年12月31日";
    for p in [
        format!("/campaigns/{}/summary/{}/versions/1", s.id, app.street_a.0),
        format!("/campaigns/{}/summary/{}", s.id, app.street_a.0),
        format!("/campaigns/{}/summaries", s.id),
    ] {
        let (status, html) = page(&app, "district.admin", &p).await;
        assert_eq!(status, StatusCode::OK, "{p}");
        assert!(html.contains(moved), "{p}");
        assert!(html.contains("逾期"), "{p}");
    }
    let (_, html) = page(
        &app,
        "district.admin",
        &format!("/campaigns/{}/summary/{}/versions/1", s.id, app.street_a.0),
    )
    .await;
    assert!(html.contains("报送时逾期"));
    // Street B submits after the move: on time against the deadline then.
    let (status, got) = app
        .api("b.cadre")
        .await
        .post(
            &format!(
                "/api/v1/campaigns/{}/summaries/{}/submit",
                s.id, app.street_b.0
            ),
            json!({"version": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["versions"][0]["late"], false);
    assert_eq!(got["versions"][0]["due_on"], "2099-12-31");
    assert_eq!(got["versions"][0]["deadline_moved_to"], Value::Null);
    let (_, o) = d
        .get(&format!("/api/v1/campaigns/{}/summaries", s.id))
        .await;
    assert_eq!(
        (
            o["completeness"]["late"].as_i64(),
            o["completeness"]["on_time"].as_i64()
        ),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn a_reviewer_decides_from_the_unit_page_and_undecided_problems_are_not_preselected() {
    let app = TestApp::spawn().await;
    let s = seed(&app, "2099-11-15").await;
    // An undecided problem marked main is not pre-selected; decided ones are.
    sqlx::query("UPDATE problems SET is_main = 1 WHERE id IN ($1, $2)")
        .bind(s.worker_open)
        .bind(s.worker_solved)
        .execute(app.db.pool())
        .await
        .unwrap();
    let a_path = format!("/api/v1/campaigns/{}/summaries/{}", s.id, app.street_a.0);
    let (_, got) = app.api("a.cadre").await.get(&a_path).await;
    let items: Vec<i64> = got["table"]["blocks"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["problem_id"].as_i64().unwrap())
        .collect();
    assert!(items.contains(&s.worker_solved), "{items:?}");
    assert!(!items.contains(&s.worker_open), "{items:?}");
    let unit_page = format!("/campaigns/{}/summary/{}", s.id, app.street_a.0);
    let (_, html) = page(&app, "a.cadre", &unit_page).await;
    assert!(html.contains(&format!("value=\"{}\" checked", s.worker_solved)));
    assert!(
        html.contains(&format!("value=\"{}\">", s.worker_open)),
        "offered, not ticked"
    );
    // Nothing waits yet: no actions for the district.
    let (_, html) = page(&app, "district.admin", &unit_page).await;
    assert!(!html.contains("id=\"summary-accept\""));
    let (status, _) = app
        .api("a.cadre")
        .await
        .post(&format!("{a_path}/submit"), json!({"version": 0}))
        .await;
    assert_eq!(status, StatusCode::OK);
    // The district's admin opening the unit's table sees accept and return.
    let (status, html) = page(&app, "district.admin", &unit_page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"summary-accept\"") && html.contains("id=\"summary-return\""));
    assert!(
        html.contains(&format!("{unit_page}/accept"))
            && html.contains(&format!("{unit_page}/versions/1"))
    );
    // The unit's own people and a street admin do not.
    for who in ["a.cadre", "a.admin"] {
        let (_, html) = page(&app, who, &unit_page).await;
        assert!(!html.contains("id=\"summary-accept\""), "{who}");
        let res = app
            .browser(who)
            .await
            .post(app.url(&format!("{unit_page}/accept")))
            .form(&[("version", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who}");
    }
    // Returning from the unit page with a general reason.
    let res = app
        .browser("district.admin")
        .await
        .post(app.url(&format!("{unit_page}/return")))
        .form(&[("version", "1"), ("reason", "请补充走访记录")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "on to the version page"
    );
    let (_, got) = app.api("a.cadre").await.get(&a_path).await;
    assert_eq!(got["record"]["status"], "returned");
    let (_, html) = page(&app, "district.admin", &unit_page).await;
    assert!(!html.contains("id=\"summary-accept\""), "decided");
}

#[tokio::test]
async fn submitting_tells_the_issuing_org_once_per_version() {
    let app = TestApp::spawn().await;
    let s = seed(&app, "2099-11-15").await;
    app.user("district.cadre", app.district, Role::Cadre).await;
    let a = app.api("a.cadre").await;
    let path = format!("/api/v1/campaigns/{}/summaries/{}", s.id, app.street_a.0);
    for _ in 0..2 {
        // The second is a retry of the same submission.
        let (status, _) = a
            .post(&format!("{path}/submit"), json!({"version": 0}))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let link = format!("/campaigns/{}/summary/{}", s.id, app.street_a.0);
    let told = |notes: &Value| -> Vec<Value> {
        notes
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "summary_submitted")
            .cloned()
            .collect()
    };
    let (_, notes) = app
        .api("district.cadre")
        .await
        .get("/api/v1/notifications")
        .await;
    let got = told(&notes);
    assert_eq!(got.len(), 1, "{notes}");
    assert_eq!(got[0]["link"], link);
    let text = got[0]["text"].as_str().unwrap();
    assert!(
        text.contains("甲街道总工会")
            && text.contains("大走访、大调解、大服务")
            && text.contains("第 1 版"),
        "{text}"
    );
    let (_, notes) = app
        .api("district.admin")
        .await
        .get("/api/v1/notifications")
        .await;
    assert_eq!(told(&notes).len(), 1);
    // The unit itself and another street are not told.
    for who in ["a.cadre", "b.cadre"] {
        let (_, notes) = app.api(who).await.get("/api/v1/notifications").await;
        assert!(told(&notes).is_empty(), "{who}: {notes}");
    }
    let keys: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT dedup_key FROM notifications WHERE kind = 'summary_submitted'",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].starts_with("summary_submitted:summary:") && keys[0].ends_with(":v1"));
    // Returned and resubmitted: version 2 is told too.
    let d = app.api("district.admin").await;
    let (status, _) = d
        .post(
            &format!("{path}/return"),
            json!({"version": 1, "reason": "请核对"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = a
        .post(&format!("{path}/submit"), json!({"version": 1}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, notes) = app
        .api("district.cadre")
        .await
        .get("/api/v1/notifications")
        .await;
    assert_eq!(told(&notes).len(), 2);
}

#[tokio::test]
async fn outsiders_are_refused_the_roll_up_on_either_basis() {
    let app = TestApp::spawn().await;
    let s = seed(&app, "2099-11-15").await;
    let other = app.org("OTHER", "外区总工会", "federation", None).await;
    app.user("other.admin", other, Role::Admin).await;
    for basis in ["submitted", "live"] {
        let api = format!("/api/v1/campaigns/{}/summaries?basis={basis}", s.id);
        assert_eq!(
            app.api("other.admin").await.get(&api).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.api("a.cadre").await.get(&api).await.0,
            StatusCode::FORBIDDEN
        );
        for p in [
            format!("/campaigns/{}/summaries", s.id),
            format!("/api/v1/campaigns/{}/summaries/rollup.xlsx", s.id),
            format!("/api/v1/campaigns/{}/summaries/rollup.pdf", s.id),
            format!("/api/v1/campaigns/{}/summaries/counts.csv", s.id),
        ] {
            let path = format!("{p}?basis={basis}");
            assert_eq!(
                download(&app, "a.cadre", &path).await.0,
                StatusCode::FORBIDDEN,
                "{path}"
            );
            assert_eq!(
                download(&app, "other.admin", &path).await.0,
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
    }
    // Returning or accepting another unit's table: not found for outsiders,
    // forbidden for a unit's own admin.
    let (status, _) = app
        .api("a.cadre")
        .await
        .post(
            &format!(
                "/api/v1/campaigns/{}/summaries/{}/submit",
                s.id, app.street_a.0
            ),
            json!({"version": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let a_path = format!("/api/v1/campaigns/{}/summaries/{}", s.id, app.street_a.0);
    let body = json!({"version": 1, "lines": [{"line": "nowhere", "reason": "x"}]});
    for (who, want) in [
        ("b.cadre", StatusCode::NOT_FOUND),
        ("other.admin", StatusCode::NOT_FOUND),
        ("a.admin", StatusCode::FORBIDDEN),
    ] {
        let (status, _) = app
            .api(who)
            .await
            .post(&format!("{a_path}/return"), body.clone())
            .await;
        assert_eq!(status, want, "{who}");
    }
    // The CSV follows the basis: on the official one street A has its
    // submitted figures and street B none.
    let (status, text) = page(
        &app,
        "district.admin",
        &format!("/api/v1/campaigns/{}/summaries/counts.csv", s.id),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains("报送口径") && text.contains("未报送"),
        "{text}"
    );
}

/// Every download of summary tables lives under `/api/v1`: without
/// credentials it answers 401 in the JSON error shape (not a redirect to the
/// login page), with a bearer token or a session its media type, and outside
/// the subtree 404 (403 for a unit asking for the federation's roll-up).
#[tokio::test]
async fn downloads_are_api_routes_refused_without_credentials_and_outside_the_subtree() {
    let app = TestApp::spawn().await;
    let s = seed(&app, "2099-11-15").await;
    let other = app.org("OTHER", "外区总工会", "federation", None).await;
    app.user("other.admin", other, Role::Admin).await;
    let unit = format!("/api/v1/campaigns/{}/summaries/{}", s.id, app.street_a.0);
    let rollup = format!("/api/v1/campaigns/{}/summaries", s.id);
    const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let downloads = [
        (
            format!("{unit}/table.xlsx"),
            XLSX,
            "a.cadre",
            "b.cadre",
            StatusCode::NOT_FOUND,
        ),
        (
            format!("{unit}/table.pdf"),
            "application/pdf",
            "a.cadre",
            "b.cadre",
            StatusCode::NOT_FOUND,
        ),
        (
            format!("{rollup}/rollup.xlsx"),
            XLSX,
            "district.admin",
            "a.cadre",
            StatusCode::FORBIDDEN,
        ),
        (
            format!("{rollup}/rollup.pdf"),
            "application/pdf",
            "district.admin",
            "other.admin",
            StatusCode::NOT_FOUND,
        ),
        (
            format!("{rollup}/counts.csv"),
            "text/csv",
            "district.admin",
            "other.admin",
            StatusCode::NOT_FOUND,
        ),
    ];
    for (path, mime, allowed, outsider, refused) in downloads {
        let res = app.anonymous().get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthenticated", "{path}: {body}");
        // A script's bearer token reaches it.
        let res = reqwest::Client::new()
            .get(app.url(&path))
            .bearer_auth(app.token(allowed).await)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let got = res.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_string();
        assert!(got.starts_with(mime), "{path}: {got}");
        // …and so does a browser's session, from the page's link.
        assert_eq!(
            download(&app, allowed, &path).await.0,
            StatusCode::OK,
            "{path}"
        );
        assert_eq!(
            download(&app, outsider, &path).await.0,
            refused,
            "{path} {outsider}"
        );
    }
}
