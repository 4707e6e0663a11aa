//! Supervision (督办): the grid's figures against independently counted
//! records, sorting and filtering, receipt (签收) with its notice, chases
//! (催报 / 催办) with their notices and idempotent retries, one level down for
//! a street, the XLSX read back, a unit's timeline, and refusals.

use qingting::{auth::Role, db::OrgId};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::TestApp,
    summaries::{activity, campaign, enterprise, problem},
};

fn row<'a>(grid: &'a Value, code: &str) -> &'a Value {
    grid["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == code)
        .unwrap_or_else(|| panic!("no row {code} in {grid}"))
}

fn codes(grid: &Value) -> Vec<String> {
    grid["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_string())
        .collect()
}

fn fields(err: &Value) -> Vec<String> {
    err["error"]["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["field"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn count(app: &TestApp, sql: &str, campaign: i64, org: OrgId) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(campaign)
        .bind(org)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

async fn notices(app: &TestApp, kind: &str) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT u.username, n.link FROM notifications n JOIN users u ON u.id = n.user_id \
         WHERE n.kind = $1 ORDER BY u.username, n.id",
    )
    .bind(kind)
    .fetch_all(app.db.pool())
    .await
    .unwrap()
}

/// A user at an org outside the campaign's units (the district's office).
async fn outsider(app: &TestApp) -> crate::helpers::Api {
    app.user("dept.cadre", app.dept, Role::Cadre).await;
    app.api("dept.cadre").await
}

#[tokio::test]
async fn issuing_tells_each_unit_and_receipt_is_confirmed_once() {
    let app = TestApp::spawn().await;
    let id = campaign(&app, "2099-11-15").await;
    // Cadres and admins of both streets were told, viewers not; the link opens the campaign.
    let told = notices(&app, "campaign_issued").await;
    let link = format!("/campaigns/{id}");
    assert_eq!(
        told,
        vec![
            ("a.admin".to_string(), link.clone()),
            ("a.cadre".to_string(), link.clone()),
            ("b.cadre".to_string(), link.clone()),
        ]
    );
    let issued_at: Option<i64> =
        sqlx::query_scalar("SELECT issued_at FROM campaigns WHERE id = $1")
            .bind(id)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(issued_at.is_some());

    let a = app.api("a.cadre").await;
    let path = format!("/api/v1/campaigns/{id}/receipt");
    let (status, first) = a.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["receipt"]["org_id"], app.street_a.0);
    assert_eq!(first["receipt"]["receiver"], "用户a.cadre");
    let (status, again) = a.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["created"], false);
    assert_eq!(again["receipt"], first["receipt"]);
    assert_eq!(app.audit_count("campaign_received").await, 1);
    let stored = count(
        &app,
        "SELECT COUNT(*) FROM campaign_receipts WHERE campaign_id = $1 AND org_id = $2",
        id,
        app.street_a,
    )
    .await;
    assert_eq!(stored, 1);

    // A viewer may not confirm; the district writes for both streets and must say which.
    let (status, _) = app.api("a.viewer").await.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, err) = app.api("district.admin").await.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&err), vec!["org"]);
    let (status, _) = outsider(&app).await.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The grid shows who received and who did not.
    let d = app.api("district.admin").await;
    let (status, g) = d.get(&format!("/api/v1/campaigns/{id}/supervision")).await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(row(&g, "STA")["receipt"]["receiver"], "用户a.cadre");
    assert_eq!(row(&g, "STA")["lights"]["received"], "green");
    assert!(row(&g, "STB")["receipt"].is_null());
    assert_eq!(g["totals"]["received"], 1);
    assert_eq!(g["totals"]["received_rate"], 50);
    let (_, g) = d
        .get(&format!("/api/v1/campaigns/{id}/supervision?receipt=no"))
        .await;
    assert_eq!(codes(&g), vec!["STB"]);

    // The campaign page offers street B the button, street A its receipt.
    let page = |who: &'static str| {
        let app = &app;
        async move {
            app.browser(who)
                .await
                .get(app.url(&format!("/campaigns/{id}")))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let b_page = page("b.cadre").await;
    assert!(b_page.contains(&format!("id=\"receipt-{}\"", app.street_b.0)));
    let a_page = page("a.cadre").await;
    assert!(!a_page.contains("id=\"receipt-"));
    assert!(a_page.contains("甲街道总工会已签收"));
    // The form confirms too, and the to-do list's read sees the change.
    let pending = qingting::supervision::store::pending_receipts(&app.db, &[app.street_b])
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].campaign_id.0, id);
    let res = app
        .browser("b.cadre")
        .await
        .post(app.url(&format!("/campaigns/{id}/receipt")))
        .form(&[("org", app.street_b.0.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let pending =
        qingting::supervision::store::pending_receipts(&app.db, &[app.street_a, app.street_b])
            .await
            .unwrap();
    assert!(pending.is_empty());
}

/// Street A: three activity records (one by its union, the last on 3
/// November), four problems owned in its subtree (solved, overdue in
/// progress, planned later, open) and one escalated to the district (owned
/// above, not the street's); a submitted plan. Street B: one record, one
/// solved problem, a table submitted after the deadline.
async fn seed(app: &TestApp) -> i64 {
    let id = campaign(app, "2019-11-15").await;
    let e = enterprise(app, app.street_a, "91310110MA1G8Q0X1K").await;
    activity(app, id, app.street_a, "enterprise_visit", (4, 0), &[e]).await;
    activity(app, id, app.street_a, "interview", (2, 0), &[]).await;
    let last = activity(app, id, app.union_a, "symposium", (0, 9), &[]).await;
    sqlx::query("UPDATE activities SET held_on = '2019-11-03' WHERE id = $1")
        .bind(last)
        .execute(app.db.pool())
        .await
        .unwrap();
    activity(app, id, app.street_b, "interview", (3, 0), &[]).await;
    let (a, u) = (app.street_a, app.union_a);
    problem(
        app,
        id,
        a,
        a,
        "worker",
        Some(("solved", Some("2019-11-01"))),
        "工资拖欠",
    )
    .await;
    problem(
        app,
        id,
        u,
        u,
        "worker",
        Some(("in_progress", Some("2019-11-20"))),
        "休息室",
    )
    .await;
    problem(
        app,
        id,
        u,
        u,
        "enterprise",
        Some(("planned", Some("2099-01-01"))),
        "食堂",
    )
    .await;
    problem(app, id, a, a, "union", None, "会费").await;
    problem(
        app,
        id,
        u,
        app.district,
        "worker",
        Some(("solved", Some("2019-11-01"))),
        "社保",
    )
    .await;
    problem(
        app,
        id,
        app.street_b,
        app.street_b,
        "worker",
        Some(("solved", Some("2019-11-01"))),
        "加班",
    )
    .await;
    sqlx::query(
        "INSERT INTO plans (campaign_id, org_id, status, version, summary, updated_at) \
         VALUES ($1, $2, 'submitted', 1, '方案', 0)",
    )
    .bind(id)
    .bind(app.street_a)
    .execute(app.db.pool())
    .await
    .unwrap();
    let (status, body) = app
        .api("b.cadre")
        .await
        .post(
            &format!("/api/v1/campaigns/{id}/summaries/{}/submit", app.street_b.0),
            json!({"version": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

#[tokio::test]
async fn the_grid_equals_the_records_counted_independently() {
    let app = TestApp::spawn().await;
    let id = seed(&app).await;
    let d = app.api("district.admin").await;
    let (status, g) = d.get(&format!("/api/v1/campaigns/{id}/supervision")).await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(codes(&g), vec!["STA", "STB"]);
    const SUBTREE: &str = "SELECT descendant_id FROM org_tree WHERE ancestor_id = $2";
    for org in [app.street_a, app.street_b] {
        let code = if org == app.street_a { "STA" } else { "STB" };
        let r = row(&g, code);
        let acts = count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM activities WHERE campaign_id = $1 AND org_id IN ({SUBTREE})"
            ),
            id,
            org,
        )
        .await;
        let owned = count(
            &app,
            &format!("SELECT COUNT(*) FROM problems WHERE campaign_id = $1 AND owner_org_id IN ({SUBTREE})"),
            id,
            org,
        )
        .await;
        let decided = count(
            &app,
            &format!("SELECT COUNT(*) FROM problems WHERE campaign_id = $1 AND state <> 'open' AND owner_org_id IN ({SUBTREE})"),
            id,
            org,
        )
        .await;
        let overdue = count(
            &app,
            &format!("SELECT COUNT(*) FROM problems WHERE campaign_id = $1 AND state = 'decided' \
                      AND outcome IN ('in_progress', 'planned') AND outcome_on < '2026-01-01' AND owner_org_id IN ({SUBTREE})"),
            id,
            org,
        )
        .await;
        assert_eq!(r["activities"], acts, "{code}");
        assert_eq!(r["problems"], owned, "{code}");
        assert_eq!(r["decided"], decided, "{code}");
        assert_eq!(r["overdue"], overdue, "{code}");
    }
    // And the known numbers, so the independent counts cannot both be wrong.
    let a = row(&g, "STA");
    assert_eq!(
        (
            &a["activities"],
            &a["problems"],
            &a["decided"],
            &a["overdue"]
        ),
        (&json!(3), &json!(4), &json!(3), &json!(1))
    );
    assert_eq!(a["last_activity"], "2019-11-03");
    assert_eq!(a["plan"], "submitted");
    assert_eq!(a["summary"], "missing");
    assert_eq!(a["lights"]["problems"], "red");
    assert_eq!(a["lights"]["summary"], "red", "missing after the deadline");
    assert_eq!(a["lights"]["plan"], "green");
    let b = row(&g, "STB");
    assert_eq!(
        (
            &b["activities"],
            &b["problems"],
            &b["decided"],
            &b["overdue"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(0))
    );
    assert_eq!(b["summary"], "late");
    // A late table is in: nothing is owed, the lateness is its state.
    assert_eq!(b["lights"]["summary"], "green");
    assert!(b["plan"].is_null());
    // The problems column is what the unit's summary table counts.
    let (_, table) = app
        .api("a.cadre")
        .await
        .get(&format!(
            "/api/v1/campaigns/{id}/summaries/{}",
            app.street_a.0
        ))
        .await;
    let solved = table["table"]["figures"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["key"] == "solved"))
        .map(|f| f["computed"].clone());
    assert_eq!(solved, Some(json!(1)), "{table}");
    let t = &g["totals"];
    assert_eq!(t["rows"], 2);
    assert_eq!(t["activities"], 4);
    assert_eq!(t["problems"], 5);
    assert_eq!(t["decided"], 4);
    assert_eq!(t["decided_rate"], 80);
    assert_eq!(t["overdue"], 1);
    assert_eq!(t["plans_in"], 1);
    assert_eq!(t["summaries_in"], 1);
    assert_eq!(t["summaries_on_time"], 0);
    assert_eq!(t["on_time_rate"], 0);
    assert_eq!(t["summaries_owed"], 1);

    // Sorting by any column, both ways; filtering by state.
    let get = |q: &'static str| {
        let d = &d;
        async move {
            let (status, g) = d
                .get(&format!("/api/v1/campaigns/{id}/supervision{q}"))
                .await;
            assert_eq!(status, StatusCode::OK, "{q}: {g}");
            codes(&g)
        }
    };
    assert_eq!(get("?sort=activities&dir=desc").await, vec!["STA", "STB"]);
    assert_eq!(get("?sort=activities&dir=asc").await, vec!["STB", "STA"]);
    assert_eq!(get("?sort=summary").await, vec!["STA", "STB"]);
    assert_eq!(get("?sort=summary&dir=desc").await, vec!["STB", "STA"]);
    assert_eq!(get("?sort=plan").await, vec!["STB", "STA"]);
    assert_eq!(get("?sort=overdue&dir=desc").await, vec!["STA", "STB"]);
    assert_eq!(get("?sort=unit&dir=desc").await, vec!["STB", "STA"]);
    assert_eq!(get("?summary=late").await, vec!["STB"]);
    assert_eq!(get("?summary=missing").await, vec!["STA"]);
    assert_eq!(get("?summary=accepted").await, Vec::<String>::new());
    assert_eq!(get("?overdue=1").await, vec!["STA"]);

    // The page: header links sort without JavaScript, cells carry the lights.
    let html = app
        .browser("district.admin")
        .await
        .get(app.url(&format!("/campaigns/{id}/supervision?sort=summary")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        ["&amp;", "&#38;"]
            .iter()
            .any(|amp| html.contains(&format!("href=\"?sort=summary{amp}dir=desc\""))),
        "{html}"
    );
    assert!(html.contains("sv-overdue light-red"));
    assert!(html.contains("待审核（逾期）"));
    let first = html.find("data-org=\"STA\"").unwrap();
    assert!(first < html.find("data-org=\"STB\"").unwrap());
}

#[tokio::test]
async fn chasing_records_notifies_and_a_retry_chases_no_one_twice() {
    let app = TestApp::spawn().await;
    let id = campaign(&app, "2099-11-15").await;
    let d = app.api("district.admin").await;
    let path = format!("/api/v1/campaigns/{id}/chases");
    let body = json!({"kind": "report", "message": "请于周五前报送情况汇总表",
        "org_ids": [app.street_a.0, app.street_b.0], "client_id": "batch-1"});
    let (status, r) = d.post(&path, body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["created"], 2);
    assert_eq!(r["chases"].as_array().unwrap().len(), 2);
    let told = notices(&app, "chased").await;
    let a_link = format!("/campaigns/{id}/summary/{}", app.street_a.0);
    let b_link = format!("/campaigns/{id}/summary/{}", app.street_b.0);
    assert_eq!(
        told,
        vec![
            ("a.admin".to_string(), a_link.clone()),
            ("a.cadre".to_string(), a_link),
            ("b.cadre".to_string(), b_link),
        ]
    );
    assert_eq!(app.audit_count("chased").await, 2);
    // The same action again: nothing new anywhere.
    let (status, again) = d.post(&path, body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["created"], 0);
    assert_eq!(again["chases"], r["chases"]);
    assert_eq!(notices(&app, "chased").await.len(), 3);
    assert_eq!(app.audit_count("chased").await, 2);
    let rows = count(
        &app,
        "SELECT COUNT(*) FROM chases WHERE campaign_id = $1 AND org_id <> $2",
        id,
        OrgId(0),
    )
    .await;
    assert_eq!(rows, 2);
    // A 催办 of street A alone, with its own link.
    let (status, _) = d
        .post(
            &path,
            json!({"kind": "act", "message": "请尽快报送实施方案", "org_ids": [app.street_a.0], "client_id": "batch-2"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, g) = d.get(&format!("/api/v1/campaigns/{id}/supervision")).await;
    let a = row(&g, "STA");
    assert_eq!(
        (&a["chases"]["report"], &a["chases"]["act"]),
        (&json!(1), &json!(1))
    );
    assert!(a["chases"]["last_at"].is_i64());
    assert_eq!(row(&g, "STB")["chases"]["report"], 1);
    let (_, g) = d
        .get(&format!(
            "/api/v1/campaigns/{id}/supervision?sort=chases&dir=desc"
        ))
        .await;
    assert_eq!(codes(&g), vec!["STA", "STB"]);
    let html = app
        .browser("district.admin")
        .await
        .get(app.url(&format!("/campaigns/{id}/supervision")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("催报 1 次、催办 1 次，最近"), "{html}");

    // Each bad field is named, in the user's language.
    for (bad, field) in [
        (
            json!({"kind": "report", "message": "  ", "org_ids": [app.street_a.0], "client_id": "x1"}),
            "message",
        ),
        (
            json!({"kind": "report", "message": "催".repeat(501), "org_ids": [app.street_a.0], "client_id": "x2"}),
            "message",
        ),
        (
            json!({"kind": "nag", "message": "快", "org_ids": [app.street_a.0], "client_id": "x3"}),
            "kind",
        ),
        (
            json!({"kind": "act", "message": "快", "org_ids": [], "client_id": "x4"}),
            "org_ids",
        ),
        (
            json!({"kind": "act", "message": "快", "org_ids": [app.union_a.0], "client_id": "x5"}),
            "org_ids[0]",
        ),
        (
            json!({"kind": "act", "message": "快", "org_ids": [app.street_a.0]}),
            "client_id",
        ),
    ] {
        let (status, err) = d.post(&path, bad.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(fields(&err), vec![field], "{bad}: {err}");
    }
    let (_, err) = d
        .post(&path, json!({"kind": "report", "message": "", "org_ids": [app.street_a.0], "client_id": "x6"}))
        .await;
    assert!(
        err["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("督办内容"),
        "{err}"
    );
    // The form shows the error again, with the message kept.
    let res = app
        .browser("district.admin")
        .await
        .post(app.url(&format!("/campaigns/{id}/supervision/chases")))
        .form(&[
            ("kind", "report"),
            ("message", ""),
            ("org_ids", &app.street_a.0.to_string()),
            ("client_id", "f1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("督办内容"));
    // The form chases like the API and redirects back to the grid.
    let res = app
        .browser("district.admin")
        .await
        .post(app.url(&format!("/campaigns/{id}/supervision/chases")))
        .form(&[
            ("kind", "act"),
            ("message", "请抓紧"),
            ("org_ids", &app.street_b.0.to_string()),
            ("client_id", "f2"),
            ("level", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(notices(&app, "chased").await.len(), 3 + 2 + 1);

    // Too weak or outside: 403 and 404.
    let (status, _) = app
        .api("a.cadre")
        .await
        .post(
            &path,
            json!({"kind": "act", "message": "x", "org_ids": [app.street_b.0], "client_id": "y1"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = outsider(&app)
        .await
        .post(
            &path,
            json!({"kind": "act", "message": "x", "org_ids": [app.street_b.0], "client_id": "y2"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The unit's timeline lists the chases in order.
    let (status, t) = d
        .get(&format!(
            "/api/v1/campaigns/{id}/supervision/{}/timeline",
            app.street_a.0
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    let kinds: Vec<&str> = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["chased_report", "chased_act"]);
    assert_eq!(t["events"][1]["detail"], "请尽快报送实施方案");
    let html = app
        .browser("a.cadre")
        .await
        .get(app.url(&format!("/campaigns/{id}/supervision/{}", app.street_a.0)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("请尽快报送实施方案"));
}

#[tokio::test]
async fn one_level_down_a_street_sees_and_chases_its_unions() {
    let app = TestApp::spawn().await;
    let id = campaign(&app, "2099-11-15").await;
    let ua2 = app
        .org("UA2", "丙公司工会", "grassroots", Some(app.street_a))
        .await;
    app.user("ua2.cadre", ua2, Role::Cadre).await;
    activity(&app, id, app.union_a, "interview", (2, 0), &[]).await;
    activity(&app, id, app.union_a, "interview", (1, 0), &[]).await;
    let u = app.union_a;
    problem(
        &app,
        id,
        u,
        u,
        "worker",
        Some(("in_progress", Some("2019-12-01"))),
        "夜班",
    )
    .await;

    // The street's own grid is its own row; one level down, its unions.
    let a = app.api("a.cadre").await;
    let (status, g) = a.get(&format!("/api/v1/campaigns/{id}/supervision")).await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(codes(&g), vec!["STA"]);
    assert_eq!(row(&g, "STA")["has_children"], true);
    let down = format!("/api/v1/campaigns/{id}/supervision?org={}", app.street_a.0);
    let (status, g) = a.get(&down).await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(g["level"]["org_id"], app.street_a.0);
    assert_eq!(codes(&g), vec!["UA2", "UA"], "by pinyin: 丙 before 甲");
    let ua = row(&g, "UA");
    assert_eq!(ua["is_unit"], false);
    assert!(ua["receipt"].is_null() && ua["summary"].is_null() && ua["plan"].is_null());
    assert!(ua["lights"]["received"].is_null() && ua["lights"]["summary"].is_null());
    assert_eq!((&ua["activities"], &ua["overdue"]), (&json!(2), &json!(1)));
    assert_eq!(row(&g, "UA2")["activities"], 0);
    assert_eq!(g["can_chase"], true);
    // The district drills into the same rows; street B may not.
    let (status, dg) = app.api("district.admin").await.get(&down).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(dg["rows"], g["rows"]);
    let (status, _) = app.api("b.cadre").await.get(&down).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, bg) = app
        .api("b.cadre")
        .await
        .get(&format!("/api/v1/campaigns/{id}/supervision"))
        .await;
    assert_eq!(codes(&bg), vec!["STB"]);

    // The street chases its union; the notice opens the campaign.
    let path = format!("/api/v1/campaigns/{id}/chases");
    let (status, r) = a
        .post(
            &path,
            json!({"kind": "act", "message": "请补录走访记录", "org_ids": [ua2.0],
                   "client_id": "street-1", "level": app.street_a.0}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["chases"][0]["from_org_id"], app.street_a.0);
    assert_eq!(
        notices(&app, "chased").await,
        vec![("ua2.cadre".to_string(), format!("/campaigns/{id}"))]
    );
    let (_, g) = a.get(&down).await;
    assert_eq!(row(&g, "UA2")["chases"]["act"], 1);
    // Not a row of this level; a viewer; another street.
    let (status, err) = a
        .post(
            &path,
            json!({"kind": "act", "message": "x", "org_ids": [app.union_b.0], "client_id": "street-2", "level": app.street_a.0}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&err), vec!["org_ids[0]"]);
    let (status, _) = app
        .api("a.viewer")
        .await
        .post(
            &path,
            json!({"kind": "act", "message": "x", "org_ids": [ua2.0], "client_id": "street-3", "level": app.street_a.0}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .api("b.cadre")
        .await
        .post(
            &path,
            json!({"kind": "act", "message": "x", "org_ids": [ua2.0], "client_id": "street-4", "level": app.street_a.0}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The page one level down has no receipt, plan or summary columns.
    let html = app
        .browser("a.cadre")
        .await
        .get(app.url(&format!(
            "/campaigns/{id}/supervision?org={}",
            app.street_a.0
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("丙公司工会"));
    assert!(!html.contains("sv-received") && !html.contains("sv-summary"));
    assert!(
        html.contains("name=\"level\" value=\"") && html.contains(&format!("value=\"{}\"", ua2.0))
    );
}

#[tokio::test]
async fn the_xlsx_holds_the_grid_rows_sorted_filtered_and_lit() {
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    let app = TestApp::spawn().await;
    let id = seed(&app).await;
    let (_, g) = app
        .api("district.admin")
        .await
        .get(&format!(
            "/api/v1/campaigns/{id}/supervision?sort=activities&dir=desc"
        ))
        .await;
    // The download is an API route: without credentials 401 in the JSON error shape.
    let res = app
        .anonymous()
        .get(app.url(&format!("/api/v1/campaigns/{id}/supervision.xlsx")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthenticated");
    let browser = app.browser("district.admin").await;
    let before = app.audit_count("export").await;
    let res = browser
        .get(app.url(&format!(
            "/api/v1/campaigns/{id}/supervision.xlsx?sort=activities&dir=desc"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let bytes = res.bytes().await.unwrap();
    assert_eq!(app.audit_count("export").await, before + 1);
    let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = wb.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
    assert_eq!(rows.len(), 3, "a header and two units");
    let head: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    let col = |title: &str| {
        head.iter()
            .position(|h| h == title)
            .unwrap_or_else(|| panic!("{title} in {head:?}"))
    };
    assert_eq!(rows[1][0].to_string(), "甲街道总工会");
    assert_eq!(rows[2][0].to_string(), "乙街道总工会");
    for (i, code) in [(1, "STA"), (2, "STB")] {
        let r = row(&g, code);
        for (title, key) in [
            ("走访记录", "activities"),
            ("问题", "problems"),
            ("已处理", "decided"),
            ("逾期", "overdue"),
        ] {
            assert_eq!(
                rows[i][col(title)],
                Data::Float(r[key].as_f64().unwrap()),
                "{code} {title}"
            );
        }
    }
    assert_eq!(rows[1][col("汇总表")].to_string(), "未报送");
    assert_eq!(rows[1][col("汇总表灯")].to_string(), "已逾期");
    assert_eq!(rows[2][col("汇总表")].to_string(), "待审核（逾期）");
    assert_eq!(rows[2][col("汇总表灯")].to_string(), "正常");
    assert_eq!(rows[1][col("问题灯")].to_string(), "已逾期");
    assert_eq!(rows[1][col("签收")].to_string(), "未签收");
    // The same filter as the page.
    let res = browser
        .get(app.url(&format!(
            "/api/v1/campaigns/{id}/supervision.xlsx?summary=late"
        )))
        .send()
        .await
        .unwrap();
    let mut wb: Xlsx<_> =
        open_workbook_from_rs(std::io::Cursor::new(res.bytes().await.unwrap().to_vec())).unwrap();
    let range = wb.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(range.rows().count(), 2);
    assert_eq!(range.rows().nth(1).unwrap()[0].to_string(), "乙街道总工会");
}

#[tokio::test]
async fn every_route_refuses_outsiders_and_drafts() {
    let app = TestApp::spawn().await;
    let id = campaign(&app, "2099-11-15").await;
    let out = outsider(&app).await;
    let b = app.street_a.0;
    for path in [
        format!("/api/v1/campaigns/{id}/supervision"),
        format!("/api/v1/campaigns/{id}/supervision?org={b}"),
        format!("/api/v1/campaigns/{id}/supervision/{b}/timeline"),
    ] {
        let (status, _) = out.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    for (path, body) in [
        (
            format!("/api/v1/campaigns/{id}/chases"),
            json!({"kind": "act", "message": "x", "org_ids": [b], "client_id": "o1"}),
        ),
        (format!("/api/v1/campaigns/{id}/receipt"), json!({"org": b})),
    ] {
        let (status, _) = out.post(&path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let browser = app.browser("dept.cadre").await;
    for path in [
        format!("/campaigns/{id}/supervision"),
        format!("/api/v1/campaigns/{id}/supervision.xlsx"),
        format!("/campaigns/{id}/supervision/{b}"),
    ] {
        let res = browser.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    for path in [
        format!("/campaigns/{id}/supervision/chases"),
        format!("/campaigns/{id}/receipt"),
    ] {
        let res = browser
            .post(app.url(&path))
            .form(&[
                ("kind", "act"),
                ("message", "x"),
                ("org_ids", &b.to_string()),
                ("client_id", "o2"),
                ("org", &b.to_string()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // A viewer of a unit reads its own row but may not confirm or chase.
    let viewer = app.api("a.viewer").await;
    let (status, g) = viewer
        .get(&format!("/api/v1/campaigns/{id}/supervision"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(g["can_chase"], false);
    let (status, _) = viewer
        .post(
            &format!("/api/v1/campaigns/{id}/receipt"),
            json!({"org": b}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A campaign not yet issued has no grid, even for its issuer.
    let d = app.api("district.admin").await;
    let (status, draft) = d
        .post(
            "/api/v1/campaigns",
            json!({"title": "草稿活动", "starts_on": "2026-01-05", "ends_on": "2026-03-31",
                   "report_due_on": "2026-04-10", "kinds": ["street"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let draft = draft["campaign"]["id"].as_i64().unwrap();
    let (status, _) = d
        .get(&format!("/api/v1/campaigns/{draft}/supervision"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        notices(&app, "campaign_issued").await.len() == 3,
        "a draft tells no one"
    );
}
