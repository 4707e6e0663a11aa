//! Stationing programmes and their work groups: creation with members and
//! the rules (one leader, 3–6 months, arrival), outputs equal to the records
//! behind them, activities tied to a group of their own campaign, and every
//! new route closed to callers outside the subtree.

use qingting::{auth::Role, db::OrgId};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// The field names of a 422 body.
fn fields(v: &Value) -> Vec<String> {
    v["error"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no field errors in {v}"))
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect()
}

/// An issued stationing programme of the district with both streets as units.
pub(crate) async fn programme(app: &TestApp) -> i64 {
    let a = app.api("district.admin").await;
    let (status, c) = a
        .post(
            "/api/v1/campaigns",
            json!({"kind": "stationing", "title": "机关干部赴基层蹲点活动", "issuer_code": "DIST",
                   "starts_on": "2021-05-18", "ends_on": "2021-11-17", "report_due_on": "2021-11-30",
                   "org_codes": ["STA", "STB"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(c["campaign"]["kind"], "stationing");
    let id = c["campaign"]["id"].as_i64().unwrap();
    let (status, _) = a
        .post(
            &format!("/api/v1/campaigns/{id}/status"),
            json!({"status": "active"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    id
}

pub(crate) fn group_body(name: &str, host: &str, region: &str) -> Value {
    json!({
        "name": name, "host_org_code": host, "region": region,
        "arrival_due_on": "2021-05-18", "arrived_on": "2021-05-17",
        "starts_on": "2021-05-18", "ends_on": "2021-11-17", "party_branch": true,
        "members": [
            {"name": "张建国", "department": "组织部", "duty": "组长，全面负责", "leader": true, "username": "a.cadre"},
            {"name": "李丽华", "department": "宣传教育部", "duty": "宣传信息"},
            {"name": "王志强", "department": "研究室", "duty": "专题调研"}
        ]
    })
}

/// Creates a group as `user`; returns its id.
pub(crate) async fn group(app: &TestApp, user: &str, programme: i64, body: Value) -> i64 {
    let (status, g) = app
        .api(user)
        .await
        .post(&format!("/api/v1/campaigns/{programme}/groups"), body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    g["group"]["id"].as_i64().unwrap()
}

/// An enterprise with a valid credit code made from the first 17 characters.
async fn enterprise(app: &TestApp, user: &str, first17: &str, org: &str) -> i64 {
    let code = qingting::enterprise::CreditCode::with_check(first17).unwrap();
    crate::activities::enterprise(app, user, code.as_str(), org).await
}

/// A survey of the programme with responses of the given (region, valid) pairs.
async fn survey(app: &TestApp, org: OrgId, campaign: i64, responses: &[(&str, bool)]) {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO surveys (org_id, campaign_id, title, code, status, created_at, updated_at) \
         VALUES ($1, $2, '专题调查', $3, 'draft', 0, 0) RETURNING id",
    )
    .bind(org)
    .bind(campaign)
    .bind(format!("sv{campaign}"))
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let version: i64 = sqlx::query_scalar(
        "INSERT INTO survey_versions (survey_id, org_id, number, form, source, created_at, updated_at) \
         VALUES ($1, $2, 1, '{}', 'json', 0, 0) RETURNING id",
    )
    .bind(id)
    .bind(org)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    for (i, (region, valid)) in responses.iter().enumerate() {
        sqlx::query(
            "INSERT INTO survey_responses (survey_id, version_id, org_id, instance_id, answers, region, \
             submitted_at, rules_valid, valid) VALUES ($1, $2, $3, $4, '{}', $5, 0, $6, $6)",
        )
        .bind(id)
        .bind(version)
        .bind(org)
        .bind(format!("r{i}"))
        .bind(*region)
        .bind(i64::from(*valid))
        .execute(app.db.pool())
        .await
        .unwrap();
    }
}

fn activity(
    client_id: &str,
    campaign: i64,
    group: i64,
    kind: &str,
    enterprises: Value,
    workers: i64,
    problems: usize,
) -> Value {
    let problems: Vec<Value> = (0..problems)
        .map(|i| {
            json!({"source": "worker", "topic": "wages", "worker_group": "courier",
                        "description": format!("快递员反映收入不稳定（{client_id}-{i}）")})
        })
        .collect();
    json!({
        "client_id": client_id, "campaign_id": campaign, "work_group_id": group, "kind": kind,
        "held_on": "2021-06-01", "enterprises": enterprises, "workers_interviewed": workers,
        "participants": if kind == "symposium" { 12 } else { 0 },
        "problems": problems
    })
}

#[tokio::test]
async fn a_programme_compares_its_groups_with_the_sums_of_their_records() {
    let app = TestApp::spawn().await;
    let p = programme(&app).await;
    let ga = group(
        &app,
        "district.admin",
        p,
        group_body("甲工作组", "STA", "甲"),
    )
    .await;
    let gb = group(&app, "b.cadre", p, {
        let mut b = group_body("乙工作组", "STB", "乙");
        b["members"][0]["username"] = json!("b.cadre");
        b["arrived_on"] = json!("2021-05-19");
        b
    })
    .await;
    let e1 = enterprise(&app, "a.cadre", "91310110MA1G8XXX2", "STA").await;
    let e2 = enterprise(&app, "a.cadre", "91310110MA1G8XXX4", "STA").await;
    let e3 = enterprise(&app, "b.cadre", "91310110MA1G8XXX7", "STB").await;
    let a = app.api("a.cadre").await;
    for body in [
        activity(
            "sta-visit-0001",
            p,
            ga,
            "enterprise_visit",
            json!([e1]),
            0,
            1,
        ),
        activity(
            "sta-intv-0001",
            p,
            ga,
            "worker_interview",
            json!([e1]),
            7,
            1,
        ),
        activity(
            "sta-intv-0002",
            p,
            ga,
            "worker_interview",
            json!([e2]),
            5,
            0,
        ),
        activity("sta-symp-0001", p, ga, "symposium", json!([e1, e2]), 0, 2),
    ] {
        let (status, r) = a.post("/api/v1/activities", body).await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
    }
    // An activity of the campaign without a group counts for no group.
    let (status, _) = a
        .post(
            "/api/v1/activities",
            json!({"client_id": "sta-nogroup-01", "campaign_id": p, "kind": "worker_interview",
                   "held_on": "2021-06-02", "workers_interviewed": 30}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, r) = app
        .api("b.cadre")
        .await
        .post(
            "/api/v1/activities",
            activity(
                "stb-intv-0001",
                p,
                gb,
                "worker_interview",
                json!([e3]),
                9,
                1,
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    survey(
        &app,
        app.district,
        p,
        &[
            ("甲", true),
            ("甲", false),
            ("甲", true),
            ("乙", true),
            ("丙", true),
        ],
    )
    .await;

    let (status, o) = app
        .api("district.admin")
        .await
        .get(&format!("/api/v1/campaigns/{p}/groups"))
        .await;
    assert_eq!(status, StatusCode::OK, "{o}");
    let rows = o["groups"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let (ra, rb) = (&rows[0], &rows[1]);
    assert_eq!(ra["name"], "甲工作组");
    assert_eq!(ra["leader"], "张建国");
    assert_eq!(ra["members"], 3);
    assert_eq!(ra["arrival"], "on_time");
    assert_eq!(rb["arrival"], "late");
    // The figures are the sums of the records: each equals a count over the tables.
    let count = |sql: &'static str, g: i64| {
        let db = app.db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .bind(g)
                .fetch_one(db.pool())
                .await
                .unwrap()
        }
    };
    for (row, g) in [(ra, ga), (rb, gb)] {
        let interviews = count(
            "SELECT CAST(COALESCE(SUM(workers_interviewed), 0) AS BIGINT) FROM activities WHERE work_group_id = $1",
            g,
        )
        .await;
        let enterprises = count(
            "SELECT COUNT(DISTINCT ae.enterprise_id) FROM activity_enterprises ae JOIN activities a ON a.id = ae.activity_id WHERE a.work_group_id = $1",
            g,
        )
        .await;
        let problems = count(
            "SELECT COUNT(*) FROM problems p JOIN activities a ON a.id = p.activity_id WHERE a.work_group_id = $1",
            g,
        )
        .await;
        assert_eq!(row["interviews"], interviews);
        assert_eq!(row["enterprises"], enterprises);
        assert_eq!(row["problems"], problems);
    }
    assert_eq!(
        (
            &ra["enterprises"],
            &ra["interviews"],
            &ra["symposiums"],
            &ra["problems"]
        ),
        (&json!(2), &json!(12), &json!(1), &json!(4))
    );
    assert_eq!(
        (&ra["questionnaires_collected"], &ra["questionnaires_valid"]),
        (&json!(3), &json!(2))
    );
    assert_eq!(
        (
            &rb["enterprises"],
            &rb["interviews"],
            &rb["questionnaires_valid"]
        ),
        (&json!(1), &json!(9), &json!(1))
    );
    let t = &o["total"];
    assert_eq!(t["enterprises"], 3);
    assert_eq!(t["interviews"], 21);
    assert_eq!(t["symposiums"], 1);
    assert_eq!(t["problems"], 5);
    assert_eq!(t["questionnaires_collected"], 4);
    assert_eq!(t["questionnaires_valid"], 3);

    // A host sees its own group only; its page shows its outputs and activities.
    let (_, mine) = app
        .api("a.cadre")
        .await
        .get(&format!("/api/v1/campaigns/{p}/groups"))
        .await;
    let names: Vec<&str> = mine["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["甲工作组"]);
    let (status, d) = app
        .api("a.cadre")
        .await
        .get(&format!("/api/v1/work-groups/{ga}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["outputs"]["interviews"], 12);
    assert_eq!(d["recent_activities"].as_array().unwrap().len(), 4);
    assert_eq!(d["members"][0]["is_leader"], true);
    assert_eq!(d["members"][0]["username"], "a.cadre");
    assert_eq!(d["group"]["party_branch"], true);
}

#[tokio::test]
async fn bad_groups_are_refused_with_the_field_named() {
    let app = TestApp::spawn().await;
    let p = programme(&app).await;
    let a = app.api("district.admin").await;
    let path = format!("/api/v1/campaigns/{p}/groups");
    let cases: Vec<(Value, &str)> = vec![
        (
            {
                let mut b = group_body("甲", "STA", "甲");
                b["members"][1]["leader"] = json!(true);
                b
            },
            "members",
        ),
        (
            {
                let mut b = group_body("甲", "STA", "甲");
                b["members"][0]["leader"] = json!(false);
                b
            },
            "members",
        ),
        (
            {
                let mut b = group_body("甲", "STA", "甲");
                b["ends_on"] = json!("2021-07-31");
                b
            },
            "ends_on",
        ),
        (
            {
                let mut b = group_body("甲", "STA", "甲");
                b["starts_on"] = json!("2021-01-04");
                b["ends_on"] = json!("2021-06-30");
                b
            },
            "starts_on",
        ),
        (
            {
                let mut b = group_body("甲", "STA", "甲");
                b["arrival_due_on"] = json!("2021-12-01");
                b
            },
            "arrival_due_on",
        ),
        (
            {
                let mut b = group_body("甲", "STA", "甲");
                b["arrived_on"] = json!("2099-01-01");
                b
            },
            "arrived_on",
        ),
        (
            {
                let mut b = group_body("甲", "STA", "甲");
                b["members"][1]["name"] = json!("");
                b
            },
            "members[1].name",
        ),
        (
            {
                let mut b = group_body("甲", "STA", "甲");
                b["members"][2]["username"] = json!("nobody");
                b
            },
            "members[2].username",
        ),
        (group_body("甲", "NOPE", "甲"), "host_org_code"),
    ];
    for (body, field) in cases {
        let (status, e) = a.post(&path, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {e}");
        assert_eq!(fields(&e), [field], "{e}");
    }
    // A second group of the same name; a PATCH keeps the rules.
    let g = group(
        &app,
        "district.admin",
        p,
        group_body("甲工作组", "STA", "甲"),
    )
    .await;
    let (status, e) = a.post(&path, group_body("甲工作组", "STB", "乙")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&e), ["name"]);
    let (status, e) = a
        .patch(
            &format!("/api/v1/work-groups/{g}"),
            json!({"ends_on": "2021-06-30"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&e), ["ends_on"]);
    let (status, d) = a
        .patch(
            &format!("/api/v1/work-groups/{g}"),
            json!({"arrived_on": "2021-05-20", "members": [{"name": "赵敏", "leader": true}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["group"]["arrival"], "late");
    assert_eq!(d["group"]["leader"], "赵敏");
    assert_eq!(d["members"].as_array().unwrap().len(), 1);
    // A campaign of the other kind has no groups; a programme with groups keeps its kind.
    let c = crate::activities::campaign(&app, app.district).await;
    let (status, _) = a
        .post(
            &format!("/api/v1/campaigns/{}/groups", c.0),
            group_body("甲", "STA", "甲"),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, e) = a
        .patch(
            &format!("/api/v1/campaigns/{p}"),
            json!({"kind": "campaign"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(fields(&e), ["kind"]);
    let (status, e) = a
        .patch(
            &format!("/api/v1/campaigns/{p}"),
            json!({"kind": "retreat"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&e), ["kind"]);
    // A closed programme is read only.
    let (status, _) = a
        .post(
            &format!("/api/v1/campaigns/{p}/status"),
            json!({"status": "closed"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, e) = a
        .post(
            &format!("/api/v1/work-groups/{g}/studies"),
            json!({"subject": "学习"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&e), ["status"]);
    let (status, e) = a
        .patch(&format!("/api/v1/work-groups/{g}"), json!({"name": "新名"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&e), ["status"]);
    let (status, e) = a.post(&path, group_body("丙工作组", "STB", "乙")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&e), ["status"]);
    // Every route is in the OpenAPI document.
    let (_, doc) = a.get("/api/v1/openapi.json").await;
    for path in [
        "/api/v1/campaigns/{id}/groups",
        "/api/v1/work-groups/{id}",
        "/api/v1/work-groups/{id}/contacts/{item}",
        "/api/v1/work-groups/{id}/studies/{item}",
        "/api/v1/work-groups/{id}/visits/{item}",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} in the OpenAPI document"
        );
    }
}

#[tokio::test]
async fn contacts_studies_and_visits_are_kept_and_phones_masked_for_readers() {
    let app = TestApp::spawn().await;
    let p = programme(&app).await;
    let g = group(&app, "a.cadre", p, group_body("甲工作组", "STA", "甲")).await;
    let a = app.api("a.cadre").await;
    let (status, c) = a
        .post(
            &format!("/api/v1/work-groups/{g}/contacts"),
            json!({"name": "周红梅", "job_title": "副主席", "org_name": "长沙县总工会", "phone": "13912345678"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_i64().unwrap();
    let (status, e) = a
        .post(
            &format!("/api/v1/work-groups/{g}/contacts"),
            json!({"name": "x", "phone": "12"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&e), ["phone"]);
    let (status, c) = a
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/work-groups/{g}/contacts/{cid}"),
            json!({"name": "周红梅", "job_title": "主席", "phone": "13912345678"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["job_title"], "主席");
    let (status, s) = a
        .post(
            &format!("/api/v1/work-groups/{g}/studies"),
            json!({"held_on": "2021-05-25", "subject": "周二夜学", "attendees": 3}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    let (status, e) = a
        .post(
            &format!("/api/v1/work-groups/{g}/studies"),
            json!({"held_on": "2099-01-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&e), ["held_on", "subject"]);
    let (status, v) = a
        .post(
            &format!("/api/v1/work-groups/{g}/visits"),
            json!({"visited_on": "2021-06-09", "leader_name": "蔡振华", "leader_title": "全总领导"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");

    // The writer sees the phone (audited); a viewer sees it masked and may not write.
    let before = app.audit_count("personal_data_viewed").await;
    let (_, d) = a.get(&format!("/api/v1/work-groups/{g}")).await;
    assert_eq!(d["contacts"][0]["phone"], "13912345678");
    assert_eq!(app.audit_count("personal_data_viewed").await, before + 1);
    assert_eq!(d["studies"][0]["subject"], "周二夜学");
    assert_eq!(d["visits"][0]["leader_name"], "蔡振华");
    let viewer = app.api("a.viewer").await;
    let (status, d) = viewer.get(&format!("/api/v1/work-groups/{g}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(d["contacts"][0]["phone"], "139****5678");
    assert_eq!(d["can_write"], false);
    let (status, _) = viewer
        .post(
            &format!("/api/v1/work-groups/{g}/studies"),
            json!({"subject": "学习"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.audit_count("work_group_study_saved").await, 1);
    assert_eq!(app.audit_count("work_group_created").await, 1);

    // Pages: the programme, the group, and a study session recorded by form.
    let b = app.browser("a.cadre").await;
    let page = b
        .get(app.url(&format!("/campaigns/{p}/groups")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("甲工作组"));
    let res = b
        .post(app.url(&format!("/work-groups/{g}/studies")))
        .header("Origin", &app.base)
        .form(&[
            ("held_on", "2021-06-01"),
            ("subject", "临时党支部学习"),
            ("attendees", "3"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = b
        .get(app.url(&format!("/work-groups/{g}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("临时党支部学习") && page.contains("周二夜学"));
    let res = b
        .post(app.url(&format!("/work-groups/{g}/studies")))
        .header("Origin", &app.base)
        .form(&[("held_on", "2021-06-01")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = b
        .post(app.url(&format!("/work-groups/{g}/edit")))
        .header("Origin", &app.base)
        .form(&[
            ("name", "甲工作组"),
            ("host_org_code", "STA"),
            ("region", "甲"),
            ("arrival_due_on", "2021-05-18"),
            ("starts_on", "2021-05-18"),
            ("ends_on", "2021-11-17"),
            ("m1.name", "张建国"),
            ("m2.name", "李丽华"),
            ("leader", "2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, d) = a.get(&format!("/api/v1/work-groups/{g}")).await;
    assert_eq!(d["group"]["leader"], "李丽华");
}

#[tokio::test]
async fn outsiders_are_refused_on_every_route() {
    let app = TestApp::spawn().await;
    let p = programme(&app).await;
    let g = group(
        &app,
        "district.admin",
        p,
        group_body("甲工作组", "STA", "甲"),
    )
    .await;
    let a = app.api("a.cadre").await;
    let (_, c) = a
        .post(
            &format!("/api/v1/work-groups/{g}/contacts"),
            json!({"name": "周红梅", "phone": "13912345678"}),
        )
        .await;
    let (_, s) = a
        .post(
            &format!("/api/v1/work-groups/{g}/studies"),
            json!({"subject": "学习"}),
        )
        .await;
    let (_, v) = a
        .post(
            &format!("/api/v1/work-groups/{g}/visits"),
            json!({"leader_name": "领导"}),
        )
        .await;
    let (cid, sid, vid) = (&c["id"], &s["id"], &v["id"]);
    // Another federation entirely, and a cadre of the other street.
    let other = app.org("OTHER", "外区总工会", "federation", None).await;
    app.user("other.admin", other, Role::Admin).await;
    for user in ["other.admin", "b.cadre"] {
        let x = app.api(user).await;
        let routes: Vec<(reqwest::Method, String, Value)> = vec![
            (
                reqwest::Method::GET,
                format!("/api/v1/work-groups/{g}"),
                Value::Null,
            ),
            (
                reqwest::Method::PATCH,
                format!("/api/v1/work-groups/{g}"),
                json!({"name": "x"}),
            ),
            (
                reqwest::Method::POST,
                format!("/api/v1/work-groups/{g}/contacts"),
                json!({"name": "x"}),
            ),
            (
                reqwest::Method::PUT,
                format!("/api/v1/work-groups/{g}/contacts/{cid}"),
                json!({"name": "x"}),
            ),
            (
                reqwest::Method::POST,
                format!("/api/v1/work-groups/{g}/studies"),
                json!({"subject": "x"}),
            ),
            (
                reqwest::Method::PUT,
                format!("/api/v1/work-groups/{g}/studies/{sid}"),
                json!({"subject": "x"}),
            ),
            (
                reqwest::Method::POST,
                format!("/api/v1/work-groups/{g}/visits"),
                json!({"leader_name": "x"}),
            ),
            (
                reqwest::Method::PUT,
                format!("/api/v1/work-groups/{g}/visits/{vid}"),
                json!({"leader_name": "x"}),
            ),
        ];
        for (method, path, body) in routes {
            let (status, _) = x.send(method.clone(), &path, body).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{user} {method} {path}");
        }
        let b = app.browser(user).await;
        for path in [
            format!("/work-groups/{g}"),
            format!("/work-groups/{g}/edit"),
            format!("/work-groups/{g}/contacts/{cid}"),
        ] {
            let res = b.get(app.url(&path)).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{user} {path}");
        }
        let res = b
            .post(app.url(&format!("/work-groups/{g}/studies")))
            .header("Origin", &app.base)
            .form(&[("subject", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{user} study form");
    }
    // The outside federation does not see the programme at all.
    let x = app.api("other.admin").await;
    let (status, _) = x.get(&format!("/api/v1/campaigns/{p}/groups")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = x
        .post(
            &format!("/api/v1/campaigns/{p}/groups"),
            group_body("外", "OTHER", "外"),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let b = app.browser("other.admin").await;
    for path in [
        format!("/campaigns/{p}/groups"),
        format!("/campaigns/{p}/groups/new"),
    ] {
        let res = b.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // b.cadre sees the programme (its street takes part) but not 甲's group,
    // and may not create a group hosted by 甲.
    let (status, o) = app
        .api("b.cadre")
        .await
        .get(&format!("/api/v1/campaigns/{p}/groups"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(o["groups"].as_array().unwrap().len(), 0);
    let (status, _) = app
        .api("b.cadre")
        .await
        .post(
            &format!("/api/v1/campaigns/{p}/groups"),
            group_body("甲二组", "STA", "甲"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_activity_names_a_group_of_its_own_campaign_that_the_caller_records_for() {
    let app = TestApp::spawn().await;
    let p = programme(&app).await;
    let g = group(
        &app,
        "district.admin",
        p,
        group_body("甲工作组", "STA", "甲"),
    )
    .await;
    let other = crate::activities::campaign(&app, app.district).await;
    let a = app.api("a.cadre").await;
    let mut body = activity(
        "wrong-camp-01",
        other.0,
        g,
        "worker_interview",
        json!([]),
        3,
        0,
    );
    let (status, e) = a.post("/api/v1/activities", body.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(fields(&e), ["work_group_id"]);
    body["campaign_id"] = Value::Null;
    let (status, e) = a.post("/api/v1/activities", body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&e), ["work_group_id"]);
    // b.cadre is not a writer over 甲's group.
    let (status, e) = app
        .api("b.cadre")
        .await
        .post(
            "/api/v1/activities",
            activity("b-for-a-0001", p, g, "worker_interview", json!([]), 3, 0),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&e), ["work_group_id"]);
    // The right campaign and a writer: saved, and the activity names its group.
    let (status, r) = a
        .post(
            "/api/v1/activities",
            activity("right-one-01", p, g, "worker_interview", json!([]), 3, 0),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let (_, act) = a.get(&format!("/api/v1/activities/{}", r["id"])).await;
    assert_eq!(act["work_group_id"], g);
    assert_eq!(act["work_group_name"], "甲工作组");
    // The form offers the programme and the group to 甲's cadre, not to 乙's.
    let page = app
        .browser("a.cadre")
        .await
        .get(app.url(&format!("/activities/new?campaign={p}&group={g}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!(
        "<option value=\"{g}\" data-campaign=\"{p}\" selected"
    )));
    let page = app
        .browser("b.cadre")
        .await
        .get(app.url("/activities/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("机关干部赴基层蹲点活动"),
        "b.cadre records for no group"
    );
}
