//! Union formation (建会) and membership (入会): the pipeline's steps and
//! refusals, founding into the org tree, visit flags that open one pipeline
//! however often they are retried, the public join page, decisions on
//! applications, figures equal to the records, and scope on every route.

use qingting::enterprise::CreditCode;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    activities::{campaign, enterprise},
    helpers::{Api, TestApp},
};

fn code(n: u32) -> String {
    CreditCode::with_check(&format!("91310110MA1G8{n:04}"))
        .unwrap()
        .as_str()
        .to_string()
}

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

async fn step(api: &Api, id: i64, body: Value) -> (StatusCode, Value) {
    api.post(&format!("/api/v1/formation/pipelines/{id}/steps"), body)
        .await
}

#[tokio::test]
async fn a_pipeline_moves_from_flagged_to_founded_and_the_new_union_joins_the_tree() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let e = enterprise(&app, "a.cadre", &code(1), "STA").await;
    let (status, d) = a
        .post(
            "/api/v1/formation/pipelines",
            json!({"enterprise": e, "wish": "wants_union", "client_id": "flag-0001-abcd"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    let id = d["pipeline"]["id"].as_i64().unwrap();
    assert_eq!(d["pipeline"]["stage"]["stage"], "flagged");
    assert_eq!(
        d["pipeline"]["org_id"], app.street_a.0,
        "tracked by the jurisdiction"
    );
    // A retry, and a second flag without a client id, find the open pipeline.
    for body in [
        json!({"enterprise": e, "wish": "wants_union", "client_id": "flag-0001-abcd"}),
        json!({"enterprise": code(1), "wish": "wants_union"}),
    ] {
        let (status, again) = a.post("/api/v1/formation/pipelines", body).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(again["pipeline"]["id"], id);
    }

    // Refusals name the field at fault.
    let (status, err) = step(
        &a,
        id,
        json!({"action": "found", "founded_on": "2019-11-20"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&err), ["action"]);
    let (status, err) = step(&a, id, json!({"action": "stall", "reason": "x"})).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "flagged cannot stall"
    );
    assert_eq!(fields(&err), ["action"]);
    let (status, err) = step(&a, id, json!({"action": "fly"})).await;
    assert_eq!(
        (status, fields(&err)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["action".to_string()])
    );

    let (status, d) = step(&a, id, json!({"action": "prepare"})).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["pipeline"]["stage"]["stage"], "preparing");
    let (status, err) = step(&a, id, json!({"action": "stall", "reason": "  "})).await;
    assert_eq!(
        (status, fields(&err)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["reason".to_string()])
    );
    let (_, d) = step(
        &a,
        id,
        json!({"action": "stall", "reason": "企业负责人出差"}),
    )
    .await;
    assert_eq!(
        d["pipeline"]["stage"],
        json!({"stage": "stalled", "reason": "企业负责人出差"})
    );
    let (status, _) = step(
        &a,
        id,
        json!({"action": "found", "founded_on": "2019-11-20"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "stalled cannot be founded"
    );
    let (_, d) = step(&a, id, json!({"action": "resume"})).await;
    assert_eq!(d["pipeline"]["stage"]["stage"], "preparing");
    let (status, err) = step(
        &a,
        id,
        json!({"action": "found", "founded_on": "2999-01-01"}),
    )
    .await;
    assert_eq!(
        (status, fields(&err)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["founded_on".to_string()]
        )
    );
    let (status, err) = step(
        &a,
        id,
        json!({"action": "found", "founded_on": "2019-11-20", "parent_code": "STB"}),
    )
    .await;
    assert_eq!(
        (status, fields(&err)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["parent_code".to_string()]
        )
    );
    let (status, err) = step(
        &a,
        id,
        json!({"action": "found", "founded_on": "2019-11-20", "union_code": "UA"}),
    )
    .await;
    assert_eq!(
        (status, fields(&err)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["union_code".to_string()]
        ),
        "{err}"
    );
    let orgs_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orgs")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(orgs_before, 6, "refused foundings leave no org behind");

    let (status, d) = step(
        &a,
        id,
        json!({"action": "found", "founded_on": "2019-11-20"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    let stage = &d["pipeline"]["stage"];
    assert_eq!(stage["stage"], "founded");
    assert_eq!(stage["on"], "2019-11-20");
    let union = stage["union_org"].as_i64().unwrap();
    assert_eq!(
        d["pipeline"]["union_org_name"],
        format!("企业{}工会委员会", code(1))
    );
    let kinds: Vec<&str> = d["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["flagged", "preparing", "stalled", "preparing", "founded"]
    );

    // The union is in the tree under the street (closure rows included) …
    let (status, org) = a.get(&format!("/api/v1/orgs/{union}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(org["kind"], "grassroots");
    assert_eq!(org["parent_id"], app.street_a.0);
    assert_eq!(org["code"], format!("JC-{}", code(1)));
    let depth: i64 = sqlx::query_scalar(
        "SELECT depth FROM org_tree WHERE ancestor_id = $1 AND descendant_id = $2",
    )
    .bind(app.district)
    .bind(union)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(depth, 2);
    // … the enterprise has it …
    let (_, ent) = a.get(&format!("/api/v1/enterprises/{e}")).await;
    assert_eq!(ent["has_union"], true);
    assert_eq!(ent["union_org_id"], union);
    // … and it has a join page.
    let (_, links) = a.get("/api/v1/formation/links").await;
    assert_eq!(links[0]["org_id"], union);
    assert_eq!(app.audit_count("union_founded").await, 1);

    // Nothing more happens to a founded pipeline; the enterprise cannot be flagged again.
    let (status, _) = step(&a, id, json!({"action": "drop", "reason": "x"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, err) = a
        .post(
            "/api/v1/formation/pipelines",
            json!({"enterprise": e, "wish": "no_union"}),
        )
        .await;
    assert_eq!(
        (status, fields(&err)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["enterprise".to_string()]
        )
    );

    let (_, f) = a.get("/api/v1/formation/figures").await;
    assert_eq!(f["enterprises_flagged"], 1);
    assert_eq!(f["founded"], 1);
    assert_eq!(f["wants_union"], 1);
    assert_eq!(
        f["founded_by_month"],
        json!([{"month": "2019-11", "total": 1}])
    );

    // The pages show it.
    let b = app.browser("a.cadre").await;
    let page = b
        .get(app.url(&format!("/formation/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("已成立"));
    let page = b
        .get(app.url("/formation?stage=founded"))
        .send()
        .await
        .unwrap();
    assert!(
        page.text()
            .await
            .unwrap()
            .contains(&format!("企业{}", code(1)))
    );
    let page = b
        .get(app.url(&format!("/enterprises/{e}")))
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains("建会情况"));
}

#[tokio::test]
async fn the_founding_form_and_the_enterprise_flag_work_from_the_pages() {
    let app = TestApp::spawn().await;
    let e = enterprise(&app, "a.cadre", &code(2), "STA").await;
    let b = app.browser("a.cadre").await;
    let res = b
        .post(app.url(&format!("/enterprises/{e}/formation")))
        .form(&[("wish", "no_union"), ("client_id", "page-flag-0001")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let loc = res.headers()["location"].to_str().unwrap().to_string();
    let id: i64 = loc.trim_start_matches("/formation/").parse().unwrap();
    let res = b
        .post(app.url(&format!("/formation/{id}/step")))
        .form(&[("action", "prepare")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let form = b
        .get(app.url(&format!("/formation/{id}/found")))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    assert!(form.text().await.unwrap().contains("甲街道总工会"));
    let res = b
        .post(app.url(&format!("/formation/{id}/found")))
        .form(&[
            ("founded_on", ""),
            ("union_name", "新工会"),
            ("union_code", "NEW-1"),
            ("parent_code", "STA"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("“成立日期”不能为空"));
    let res = b
        .post(app.url(&format!("/formation/{id}/found")))
        .form(&[
            ("founded_on", "2019-11-01"),
            ("union_name", "新工会"),
            ("union_code", "NEW-1"),
            ("parent_code", "STA"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let parent: i64 = sqlx::query_scalar("SELECT parent_id FROM orgs WHERE code = 'NEW-1'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(parent, app.street_a.0);
}

#[tokio::test]
async fn a_visit_flag_opens_exactly_one_pipeline_however_often_it_is_retried() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let c = campaign(&app, app.district).await;
    let e1 = enterprise(&app, "a.cadre", &code(11), "STA").await;
    let e2 = enterprise(&app, "a.cadre", &code(12), "STA").await;
    let visit = |client: &str, flags: Value| {
        json!({"client_id": client, "campaign_id": c.0, "kind": "enterprise_visit", "held_on": "2019-10-28",
            "enterprises": format!("{e1},{}", code(12)), "union_flags": flags})
    };
    let body = visit(
        "visit-flag-0001",
        json!([{"enterprise": code(11), "wish": "no_union"}]),
    );
    let (status, r) = a.post("/api/v1/activities", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let activity = r["id"].as_i64().unwrap();
    for _ in 0..3 {
        let (status, again) = a.post("/api/v1/activities", body.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(again["id"], activity);
    }
    let (_, list) = a.get("/api/v1/formation/pipelines").await;
    assert_eq!(list["total"], 1);
    let p = &list["items"][0];
    assert_eq!(p["enterprise_id"], e1);
    assert_eq!(p["activity_id"], activity);
    assert_eq!(p["campaign_id"], c.0);
    assert_eq!(p["flagged_on"], "2019-10-28");

    // A later visit flags every visited enterprise without a union: e1's open
    // pipeline records the new finding, e2 gets its own.
    let (status, _) = a
        .post(
            "/api/v1/activities",
            visit("visit-flag-0002", json!([{"wish": "wants_union"}])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, list) = a.get("/api/v1/formation/pipelines").await;
    assert_eq!(list["total"], 2);
    let wishes: Vec<(i64, String)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["enterprise_id"].as_i64().unwrap(),
                p["wish"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(wishes.contains(&(e1, "wants_union".into())), "{wishes:?}");
    assert!(wishes.contains(&(e2, "wants_union".into())), "{wishes:?}");
    let open: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM formation_pipelines WHERE enterprise_id = $1")
            .bind(e1)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(open, 1);

    // Refusals: a flag outside an enterprise visit, an enterprise not visited.
    let mut bad = visit("visit-flag-0003", json!([{"wish": "no_union"}]));
    bad["kind"] = json!("worker_interview");
    let (status, err) = a.post("/api/v1/activities", bad).await;
    assert_eq!(
        (status, fields(&err)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["uf1.wish".to_string()]
        )
    );
    let other = enterprise(&app, "a.cadre", &code(13), "STA").await;
    let (status, err) = a
        .post(
            "/api/v1/activities",
            visit(
                "visit-flag-0004",
                json!([{}, {"enterprise": other, "wish": "no_union"}]),
            ),
        )
        .await;
    assert_eq!(
        (status, fields(&err)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["uf2.enterprise".to_string()]
        )
    );
    assert_eq!(
        err["error"]["fields"][0]["message"],
        format!("“{other}”不是本次走访的企业。")
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM activities")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 2, "refused visits store nothing");

    // The record form carries the flags (uf1.enterprise / uf1.wish).
    let e3 = enterprise(&app, "a.cadre", &code(14), "STA").await;
    let b = app.browser("a.cadre").await;
    let form = b
        .get(app.url("/activities/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("uf1.wish"));
    let fields_form = [
        ("client_id", "visit-form-0001"),
        ("kind", "enterprise_visit"),
        ("held_on", "2019-10-29"),
        ("enterprises", &e3.to_string()),
        ("uf1.enterprise", ""),
        ("uf1.wish", "no_union"),
    ];
    for _ in 0..2 {
        let res = b
            .post(app.url("/activities"))
            .form(&fields_form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    let (_, list) = a
        .get(&format!("/api/v1/formation/pipelines?q={}", code(14)))
        .await;
    assert_eq!(list["total"], 1);
}

async fn link(app: &TestApp, org: &str) -> String {
    let (status, l) = app
        .api("a.cadre")
        .await
        .post("/api/v1/formation/links", json!({"org_code": org}))
        .await;
    assert_eq!(status, StatusCode::OK, "{l}");
    l["code"].as_str().unwrap().to_string()
}

async fn join(
    app: &TestApp,
    code: &str,
    client: &str,
    name: &str,
    group: &str,
) -> reqwest::Response {
    app.anonymous()
        .post(app.url(&format!("/j/{code}")))
        .form(&[
            ("client_id", client),
            ("applicant_name", name),
            ("applicant_phone", "13912345678"),
            ("member_group", group),
            ("employer", "美团外卖杨浦站"),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn workers_join_on_the_public_page_without_logging_in() {
    let app = TestApp::spawn_with(|s| s.security.public_intake_per_hour = 3).await;
    let code = link(&app, "UA").await;
    assert_eq!(code, link(&app, "UA").await, "one page per union");
    let page = app
        .anonymous()
        .get(app.url(&format!("/j/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("甲公司工会"));
    for path in ["/j/nonexistent0", "/j/abc"] {
        let res = app.anonymous().get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    for p in ["qr.svg", "qr.png", "poster"] {
        let res = app
            .anonymous()
            .get(app.url(&format!("/j/{code}/{p}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{p}");
    }

    // Every bad field is named, in Chinese by default and in English on request.
    let res = app
        .anonymous()
        .post(app.url(&format!("/j/{code}")))
        .form(&[
            ("client_id", "join-0001-abcd"),
            ("applicant_phone", "12345"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = res.text().await.unwrap();
    for msg in [
        "“姓名”不能为空。",
        "“手机号”应为 11 位手机号码。",
        "“职工群体”不能为空。",
        "“工作单位”不能为空。",
    ] {
        assert!(text.contains(msg), "{msg}");
    }
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/join/{code}")))
        .header("accept-language", "en")
        .json(&json!({"client_id": "join-0001-abcd", "applicant_name": "王小明", "applicant_phone": "13912345678", "member_group": "pilot", "employer": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err: Value = res.json().await.unwrap();
    assert_eq!(fields(&err), ["member_group"]);
    assert_eq!(
        err["error"]["fields"][0]["message"],
        "\"Worker group\": \"pilot\" is not a known worker group."
    );

    // A valid application, retried, is one application with one receipt.
    let res = join(&app, &code, "join-0001-abcd", "王小明", "food_delivery").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let loc = res.headers()["location"].to_str().unwrap().to_string();
    let again = join(&app, &code, "join-0001-abcd", "王小明", "food_delivery").await;
    assert_eq!(again.headers()["location"].to_str().unwrap(), loc);
    let receipt = loc
        .split("/receipt/")
        .nth(1)
        .and_then(|r| r.strip_suffix("?new=1"))
        .unwrap()
        .to_string();
    let page = app.anonymous().get(app.url(&loc)).send().await.unwrap();
    let text = page.text().await.unwrap();
    assert!(text.contains("王**"), "the receipt masks the name");
    assert!(text.contains("待确认"));
    assert!(!text.contains("13912345678"));
    // The receipt belongs to its union's page only.
    let other = link(&app, "STA").await;
    let res = app
        .anonymous()
        .get(app.url(&format!("/j/{other}/receipt/{receipt}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // The JSON API: a retry answers 200 with the first receipt.
    let body = json!({"client_id": "join-0002-abcd", "applicant_name": "李四", "applicant_phone": "13800001111", "member_group": "courier", "employer": "顺丰"});
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/join/{code}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let first: Value = res.json().await.unwrap();
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/join/{code}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let second: Value = res.json().await.unwrap();
    assert_eq!(first["receipt_code"], second["receipt_code"]);

    // The limit (3 an hour here): the third new one passes, the fourth is refused; retries still answer.
    assert_eq!(
        join(&app, &code, "join-0003-abcd", "张三", "courier")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        join(&app, &code, "join-0004-abcd", "赵六", "courier")
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        join(&app, &code, "join-0001-abcd", "王小明", "food_delivery")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM join_applications")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 3);
}

#[tokio::test]
async fn cadres_confirm_or_decline_applications_and_confirmed_ones_are_members() {
    let app = TestApp::spawn().await;
    let code = link(&app, "UA").await;
    for (client, name, group) in [
        ("join-1001-abcd", "王小明", "food_delivery"),
        ("join-1002-abcd", "李秀英", "courier"),
    ] {
        assert_eq!(
            join(&app, &code, client, name, group).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    let a = app.api("a.cadre").await;
    let before = app.audit_count("personal_data_viewed").await;
    let (_, list) = a.get("/api/v1/formation/applications?status=pending").await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[1]["name"], "王小明", "the cadre sees the name");
    assert_eq!(list[1]["phone"], "13912345678");
    assert_eq!(
        app.audit_count("personal_data_viewed").await,
        before + 1,
        "and it is audited"
    );
    let (_, masked) = app
        .api("a.viewer")
        .await
        .get("/api/v1/formation/applications")
        .await;
    assert_eq!(masked[1]["name"], "王**");
    assert_eq!(masked[1]["phone"], "139****5678");
    let first = list[1]["id"].as_i64().unwrap();
    let second = list[0]["id"].as_i64().unwrap();

    let path = |id: i64| format!("/api/v1/formation/applications/{id}/decision");
    assert_eq!(
        app.api("b.cadre")
            .await
            .post(&path(first), json!({"decision": "confirm"}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api("a.viewer")
            .await
            .post(&path(first), json!({"decision": "confirm"}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, err) = a.post(&path(first), json!({"decision": "maybe"})).await;
    assert_eq!(
        (status, fields(&err)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["decision".to_string()]
        )
    );
    assert_eq!(
        a.post(&path(first), json!({"decision": "confirm"})).await.0,
        StatusCode::NO_CONTENT
    );
    let (status, err) = a.post(&path(first), json!({"decision": "decline"})).await;
    assert_eq!(
        (status, fields(&err)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["decision".to_string()]
        ),
        "decided once"
    );
    assert_eq!(
        a.post(
            &path(second),
            json!({"decision": "decline", "reason": "非本单位职工"})
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );

    let (_, f) = a.get("/api/v1/formation/figures").await;
    assert_eq!(f["members_joined"], 1);
    assert_eq!(f["new_form_members"], 1);
    let food = f["members_by_group"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == "food_delivery")
        .unwrap();
    assert_eq!(food["members"], 1);
    let (_, m) = a.get("/api/v1/formation/members").await;
    assert_eq!(m["recent"][0]["source"], "qr");
    assert_eq!(m["recent"][0]["org_id"], app.union_a.0);
    let page = app
        .browser("a.cadre")
        .await
        .get(app.url("/formation/applications"))
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains("已确认"));
}

#[tokio::test]
async fn members_recorded_by_cadres_count_by_group_and_org_and_figures_equal_the_records() {
    let app = TestApp::spawn().await;
    let c = campaign(&app, app.district).await;
    let a = app.api("a.cadre").await;
    let b = app.api("b.cadre").await;
    let rec = |client: &str,
               org: Option<&str>,
               group: &str,
               n: i64,
               on: &str,
               camp: Option<i64>| {
        json!({"client_id": client, "org_code": org, "member_group": group, "members": n, "joined_on": on, "campaign_id": camp})
    };
    let body = rec(
        "join-rec-0001",
        Some("UA"),
        "courier",
        12,
        "2019-10-30",
        Some(c.0),
    );
    let (status, r) = a.post("/api/v1/formation/members", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let (status, again) = a.post("/api/v1/formation/members", body).await;
    assert_eq!((status, &again["id"]), (StatusCode::OK, &r["id"]));
    assert_eq!(
        a.post(
            "/api/v1/formation/members",
            rec("join-rec-0002", None, "employee", 5, "2019-11-02", None)
        )
        .await
        .0,
        StatusCode::CREATED
    );
    assert_eq!(
        b.post(
            "/api/v1/formation/members",
            rec(
                "join-rec-0003",
                Some("UB"),
                "truck_driver",
                7,
                "2019-11-05",
                Some(c.0)
            )
        )
        .await
        .0,
        StatusCode::CREATED
    );
    // Refusals: out of scope, a viewer, bad fields.
    let (status, err) = b
        .post(
            "/api/v1/formation/members",
            rec(
                "join-rec-0004",
                Some("UA"),
                "courier",
                1,
                "2019-11-05",
                None,
            ),
        )
        .await;
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
            .post(
                "/api/v1/formation/members",
                rec("join-rec-0005", None, "courier", 1, "2019-11-05", None)
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, err) = a
        .post(
            "/api/v1/formation/members",
            json!({"client_id": "join-rec-0006", "member_group": "x", "members": 0}),
        )
        .await;
    assert_eq!(
        (status, fields(&err)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["member_group".to_string(), "members".to_string()]
        )
    );

    let admin = app.api("district.admin").await;
    let (_, f) = admin.get("/api/v1/formation/figures").await;
    assert_eq!(f["members_joined"], 24);
    assert_eq!(f["new_form_members"], 19);
    assert_eq!(
        f["members_by_month"],
        json!([{"month": "2019-10", "total": 12}, {"month": "2019-11", "total": 12}])
    );
    let (_, f) = admin
        .get(&format!("/api/v1/formation/figures?org={}", app.street_a))
        .await;
    assert_eq!(f["members_joined"], 17);
    let (_, f) = admin
        .get(&format!("/api/v1/formation/figures?campaign={}", c.0))
        .await;
    assert_eq!(f["members_joined"], 19);
    let (_, f) = b.get("/api/v1/formation/figures").await;
    assert_eq!(
        f["members_joined"], 7,
        "another street's members are not counted"
    );

    // The table: one row per street (its subtree), totals per group equal the records.
    let (_, m) = admin.get("/api/v1/formation/members").await;
    assert_eq!(m["org_id"], app.district.0);
    assert_eq!(m["total"], 24);
    let rows = m["rows"].as_array().unwrap();
    let sta = rows.iter().find(|r| r["org_id"] == app.street_a.0).unwrap();
    assert_eq!(sta["total"], 17);
    let groups = m["groups"].as_array().unwrap();
    let col = groups.iter().position(|g| g == "courier").unwrap();
    assert_eq!(sta["by_group"][col], 12);
    assert_eq!(m["totals"][col], 12);
    let (status, _) = b
        .get(&format!("/api/v1/formation/members?org={}", app.street_a))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let page = app
        .browser("district.admin")
        .await
        .get(app.url("/formation/members"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("甲街道总工会"));
}

#[tokio::test]
async fn every_formation_route_refuses_callers_outside_the_subtree_and_viewers_writing() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let e = enterprise(&app, "a.cadre", &code(21), "STA").await;
    let (_, d) = a
        .post(
            "/api/v1/formation/pipelines",
            json!({"enterprise": e, "wish": "no_union"}),
        )
        .await;
    let id = d["pipeline"]["id"].as_i64().unwrap();
    let b = app.api("b.cadre").await;
    let viewer = app.api("a.viewer").await;
    assert_eq!(
        b.get(&format!("/api/v1/formation/pipelines/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        step(&b, id, json!({"action": "prepare"})).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        viewer
            .get(&format!("/api/v1/formation/pipelines/{id}"))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        step(&viewer, id, json!({"action": "prepare"})).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        viewer
            .post(
                "/api/v1/formation/pipelines",
                json!({"enterprise": e, "wish": "no_union"})
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (_, list) = b.get("/api/v1/formation/pipelines").await;
    assert_eq!(list["total"], 0);
    let (status, err) = b
        .post(
            "/api/v1/formation/pipelines",
            json!({"enterprise": e, "wish": "no_union"}),
        )
        .await;
    assert_eq!(
        (status, fields(&err)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["enterprise".to_string()]
        )
    );
    let (_, f) = b.get("/api/v1/formation/figures").await;
    assert_eq!(f["enterprises_flagged"], 0);
    assert_eq!(
        b.get(&format!("/api/v1/formation/figures?org={}", app.street_a))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        b.get(&format!("/api/v1/formation/pipelines?org={}", app.street_a))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // Join pages: only unions the caller may write to.
    assert_eq!(
        viewer
            .post("/api/v1/formation/links", json!({"org_code": "UA"}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, err) = b
        .post("/api/v1/formation/links", json!({"org_code": "UA"}))
        .await;
    assert_eq!(
        (status, fields(&err)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["org_code".to_string()]
        )
    );
    let (_, links) = b.get("/api/v1/formation/links").await;
    assert_eq!(links, json!([]));
    // Pages follow the same rules.
    let bb = app.browser("b.cadre").await;
    for path in [format!("/formation/{id}"), format!("/formation/{id}/found")] {
        let res = bb.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let res = bb
        .post(app.url(&format!("/formation/{id}/step")))
        .form(&[("action", "prepare")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let vb = app.browser("a.viewer").await;
    let res = vb
        .post(app.url(&format!("/formation/{id}/step")))
        .form(&[("action", "prepare")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    for path in [
        "/formation",
        "/formation/members",
        "/formation/applications",
        "/formation/links",
    ] {
        let res = bb.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(
            !res.text()
                .await
                .unwrap()
                .contains(&format!("企业{}", code(21))),
            "{path}"
        );
    }
    // Without a login, nothing.
    let res = reqwest::get(app.url("/api/v1/formation/pipelines"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
