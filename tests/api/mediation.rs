//! Mediation cases: intake validation, the fifteen-day clock, agreement
//! validity, the agreement document, retries, scope, figures, and the link
//! with problems.

use std::io::Read;

use qingting::date::Day;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Api, TestApp};

fn days_ago(n: i64) -> String {
    Day::today().plus_days(-n).iso()
}

fn written(client_id: &str, received: i64) -> Value {
    json!({
        "client_id": client_id,
        "intake": "written",
        "applied_on": days_ago(received),
        "received_on": days_ago(received),
        "workers": ["张建国", "李秀英"],
        "worker_phones": "13812345678\n13987654321",
        "employer_name": "上海某物流有限公司",
        "dispute_type": "wage_arrears",
        "matter": "公司拖欠2019年8月至9月工资",
        "claims": "支付拖欠工资",
        "amount": "12,345.50",
        "mediator": "陆建华"
    })
}

async fn case(api: &Api, client_id: &str, received: i64) -> i64 {
    let (status, c) = api
        .post("/api/v1/mediation/cases", written(client_id, received))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    c["id"].as_i64().unwrap()
}

async fn step(api: &Api, id: i64, body: Value) -> (StatusCode, Value) {
    api.post(&format!("/api/v1/mediation/cases/{id}/transition"), body)
        .await
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

fn message(err: &Value, field: &str) -> String {
    err["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == field)
        .map(|f| f["message"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn intake_names_every_bad_field_in_chinese_and_english() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let body = json!({
        "client_id": "case-bad-0001",
        "intake": "oral",
        "received_on": "2999-01-01",
        "workers": "",
        "dispute_type": "boss",
        "amount": "12.345",
        "mediator": "陆建华"
    });
    let (status, err) = a.post("/api/v1/mediation/cases", body.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&err),
        [
            "received_on",
            "oral_applicant",
            "oral_reasons",
            "oral_recorded_at",
            "workers",
            "employer_name",
            "dispute_type",
            "matter",
            "amount"
        ]
    );
    assert_eq!(message(&err, "workers"), "请至少填写一名申请调解的职工。");
    assert_eq!(
        message(&err, "oral_applicant"),
        "“申请人基本情况”不能为空。"
    );
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/mediation/cases"))
        .bearer_auth(&a.token)
        .header("accept-language", "en")
        .json(&body)
        .send()
        .await
        .unwrap();
    let err: Value = res.json().await.unwrap();
    assert_eq!(
        message(&err, "workers"),
        "Give at least one worker applying for mediation."
    );
    assert_eq!(
        message(&err, "amount"),
        "\"Amount involved (yuan)\" must be an amount such as 12,345.50 (at most two decimals)."
    );
    // An oral application recorded on the spot is accepted with its record.
    let oral = json!({
        "client_id": "case-oral-0001",
        "intake": "oral",
        "oral_applicant": "张建国，男，42岁，仓库搬运工，电话13812345678",
        "oral_reasons": "公司以经营困难为由拖欠两个月工资",
        "oral_recorded_at": format!("{}T09:30", days_ago(1)),
        "received_on": days_ago(1),
        "workers": "张建国",
        "employer_name": "上海某物流有限公司",
        "dispute_type": "wage_arrears",
        "matter": "拖欠工资",
        "amount": "8000",
        "mediator": "陆建华"
    });
    let (status, c) = a.post("/api/v1/mediation/cases", oral).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(c["intake"]["intake"], "oral");
    assert_eq!(c["amount_fen"], 800_000);
    assert_eq!(c["status"], "received");
    assert_eq!(c["events"][0]["kind"], "received");
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mediation_cases")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 1, "nothing half-written");
}

#[tokio::test]
async fn the_fifteen_day_clock_and_the_way_to_arbitration() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let fresh = case(&a, "case-clock-0001", 3).await;
    let (_, c) = a.get(&format!("/api/v1/mediation/cases/{fresh}")).await;
    assert_eq!(c["due_on"], Day::today().plus_days(12).iso());
    assert_eq!(c["days_left"], 12);
    assert_eq!(c["overdue"], false);
    assert_eq!(c["amount_fen"], 1_234_550);
    // Within the fifteen days and not failed: arbitration is refused.
    let (status, err) = step(&a, fresh, json!({"action": "transfer"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&err), ["action"]);
    assert!(
        message(&err, "action").contains(&Day::today().plus_days(13).iso()),
        "{err}"
    );
    // After a failed mediation it is allowed at once.
    let (status, err) = step(&a, fresh, json!({"action": "fail"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&err), ["reason"]);
    let (status, c) = step(
        &a,
        fresh,
        json!({"action": "fail", "reason": "用人单位拒绝调解"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["status"], "no_agreement");
    assert_eq!(c["days_left"], Value::Null);
    let (status, c) = step(&a, fresh, json!({"action": "transfer"})).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["status"], "arbitration");

    // Received twenty days ago and still open: overdue, arbitration allowed.
    let old = case(&a, "case-clock-0002", 20).await;
    let (_, c) = step(&a, old, json!({"action": "begin", "on": days_ago(18)})).await;
    assert_eq!(c["status"], "mediating");
    assert_eq!(c["started_on"], days_ago(18));
    assert_eq!(c["overdue"], true);
    assert_eq!(c["days_left"], -5);
    let (status, _) = step(&a, old, json!({"action": "begin"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "begun once");
    let (status, err) = step(&a, old, json!({"action": "withdraw", "on": days_ago(21)})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&err), ["on"], "before receipt");
    let (status, c) = step(&a, old, json!({"action": "transfer", "on": days_ago(4)})).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    let kinds: Vec<&str> = c["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["received", "begun", "transferred"]);
    assert_eq!(app.audit_count("mediation_case_changed").await, 4);
}

fn document_text(docx: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    // The text of the runs, tags dropped.
    let mut text = String::new();
    let mut in_tag = false;
    for ch in xml.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

#[tokio::test]
async fn an_agreement_takes_effect_only_when_signed_and_sealed_and_its_document_reads_back() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let id = case(&a, "case-agree-0001", 5).await;
    let docx_url = format!("/api/v1/mediation/cases/{id}/agreement.docx");
    let (status, c) = step(
        &a,
        id,
        json!({"action": "agree", "on": days_ago(2), "amount": "10,000",
               "terms": "被申请人于十日内一次性支付拖欠工资\n申请人放弃其他请求",
               "signed_workers": true, "signed_employer": true}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["status"], "agreement_pending");
    assert_eq!(c["agreement_valid"], false);
    assert_eq!(c["state"]["amount"], 1_000_000);
    // Not valid: no document, no money recorded, and the clock still runs.
    let (status, err) = a.get(&docx_url).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&err), ["agreement"]);
    let (status, _) = step(&a, id, json!({"action": "recover", "amount": "100"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(c["days_left"], 10);
    let (status, c) = step(&a, id, json!({"action": "sign", "signed_mediator": "yes"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(c["status"], "agreement_pending", "the seal is missing");
    let (status, err) = step(&a, id, json!({"action": "sign", "signed_mediator": "yes"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&err), ["signed_workers"]);
    let (_, c) = step(&a, id, json!({"action": "sign", "sealed": "yes"})).await;
    assert_eq!(c["status"], "agreed");
    assert_eq!(c["agreement_valid"], true);
    let (status, c) = step(
        &a,
        id,
        json!({"action": "recover", "amount": "10,000.00", "on": days_ago(1)}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["state"]["recovered"]["amount"], 1_000_000);
    // A valid agreement: no other step but recording money.
    let (status, _) = step(&a, id, json!({"action": "fail", "reason": "x"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let exports = app.audit_count("export").await;
    let res = reqwest::Client::new()
        .get(app.url(&docx_url))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("wordprocessingml")
    );
    let text = document_text(&res.bytes().await.unwrap());
    for want in [
        "甲街道总工会劳动争议调解委员会",
        "调解协议书",
        "调字第",
        "申请人：张建国，联系电话13812345678",
        "申请人：李秀英",
        "被申请人：上海某物流有限公司",
        "争议事项：公司拖欠2019年8月至9月工资",
        "涉及金额：人民币12,345.50元",
        "一、被申请人于十日内一次性支付拖欠工资",
        "二、申请人放弃其他请求",
        "三、被申请人应支付申请人人民币10,000.00元（大写：壹万元整）",
        "经调解员陆建华主持调解",
        "申请人（签名）",
        "被申请人（签名或盖章）",
        "调解员（签名）",
        "甲街道总工会劳动争议调解委员会（印章）",
        &Day::today().plus_days(-2).zh(),
    ] {
        assert!(text.contains(want), "{want} not in {text}");
    }
    assert_eq!(app.audit_count("export").await, exports + 1, "audited");
    // The page links to it under /api/v1, where the session works too.
    let b = app.browser("a.cadre").await;
    let html = b
        .get(app.url(&format!("/mediation/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("href=\"{docx_url}\"")), "{html}");
    let res = b.get(app.url(&docx_url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    // Without credentials: the JSON error, not a redirect to the login page.
    let res = app
        .anonymous()
        .get(app.url(&docx_url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthenticated");
    // The old page address is gone.
    let res = b
        .get(app.url(&format!("/mediation/{id}/agreement.docx")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_retried_submission_returns_the_first_case() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let first = case(&a, "case-retry-0001", 1).await;
    let (status, again) = a
        .post("/api/v1/mediation/cases", written("case-retry-0001", 1))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["id"], first);
    // The form retried by a browser lands on the same case.
    let b = app.browser("a.cadre").await;
    let form = [
        ("client_id", "case-retry-0002"),
        ("intake", "written"),
        ("applied_on", "2019-10-24"),
        ("received_on", "2019-10-25"),
        ("workers", "王志强、刘桂兰"),
        ("employer_name", "上海某餐饮管理有限公司"),
        ("dispute_type", "dismissal"),
        ("matter", "口头通知解除劳动合同"),
        ("amount", "42,000"),
        ("mediator", "沈美玲"),
    ];
    let mut places = Vec::new();
    for _ in 0..2 {
        let res = b
            .post(app.url("/mediation/new"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        places.push(res.headers()["location"].to_str().unwrap().to_string());
    }
    assert_eq!(places[0], places[1]);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mediation_cases")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 2);
    let workers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mediation_parties")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(workers, 4);
}

#[tokio::test]
async fn outsiders_get_404_and_viewers_403_on_every_route() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let id = case(&a, "case-scope-0001", 5).await;
    step(
        &a,
        id,
        json!({"action": "agree", "amount": "1", "terms": "支付", "signed_workers": 1,
               "signed_employer": 1, "signed_mediator": 1, "sealed": 1}),
    )
    .await;
    let b = app.api("b.cadre").await;
    let viewer = app.api("a.viewer").await;
    let get = format!("/api/v1/mediation/cases/{id}");
    let docx = format!("{get}/agreement.docx");
    // Another street sees nothing.
    assert_eq!(b.get(&get).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        step(&b, id, json!({"action": "recover", "amount": "1"}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(b.get(&docx).await.0, StatusCode::NOT_FOUND);
    let (_, list) = b.get("/api/v1/mediation/cases").await;
    assert_eq!(list["total"], 0);
    let (status, _) = b
        .get(&format!("/api/v1/mediation/cases?org={}", app.street_a))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = b
        .get(&format!("/api/v1/mediation/figures?org={}", app.street_a))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, f) = b.get("/api/v1/mediation/figures").await;
    assert_eq!(f["cases"], 0);
    // b.cadre cannot record into street A, nor name its committee.
    let mut body = written("case-scope-0002", 1);
    body["org_code"] = json!("STA");
    let (status, err) = b.post("/api/v1/mediation/cases", body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&err), ["org_code"]);
    let mut body = written("case-scope-0003", 1);
    body["committee_org_id"] = json!(app.street_a.0);
    let (status, err) = b.post("/api/v1/mediation/cases", body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&err), ["committee_org_id"]);
    // A viewer of street A reads (masked) but writes nothing.
    let (status, c) = viewer.get(&get).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(c["workers"][0]["name"], "张**");
    assert_eq!(c["workers"][0]["phone"], "138****5678");
    assert_eq!(c["can_act"], false);
    assert_eq!(
        step(&viewer, id, json!({"action": "recover", "amount": "1"}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(viewer.get(&docx).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        viewer
            .post("/api/v1/mediation/cases", written("case-scope-0004", 1))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // The cadre sees the workers, and that view is audited.
    let before = app.audit_count("personal_data_viewed").await;
    let (_, c) = a.get(&get).await;
    assert_eq!(c["workers"][0]["phone"], "13812345678");
    assert_eq!(app.audit_count("personal_data_viewed").await, before + 1);
    // Lists always mask.
    let (_, list) = a.get("/api/v1/mediation/cases").await;
    assert_eq!(list["items"][0]["workers"][0]["name"], "张**");
    // The pages answer the same way.
    let outsider = app.browser("b.cadre").await;
    for path in [
        format!("/mediation/{id}"),
        format!("/api/v1/mediation/cases/{id}/agreement.docx"),
    ] {
        let res = outsider.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let res = outsider
        .post(app.url(&format!("/mediation/{id}/transition")))
        .form(&[("action", "recover"), ("amount", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let reader = app.browser("a.viewer").await;
    let res = reader.get(app.url("/mediation/new")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = reader
        .post(app.url(&format!("/mediation/{id}/transition")))
        .form(&[("action", "recover"), ("amount", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn figures_equal_the_records() {
    let app = TestApp::spawn().await;
    let campaign = crate::activities::campaign(&app, app.district).await;
    let a = app.api("a.cadre").await;
    let b = app.api("b.cadre").await;
    let all = json!({"signed_workers": 1, "signed_employer": 1, "signed_mediator": 1, "sealed": 1});
    let mut ids = Vec::new();
    for (i, (api, received)) in [(&a, 2), (&a, 20), (&a, 40), (&a, 3), (&b, 25), (&b, 1)]
        .into_iter()
        .enumerate()
    {
        let mut body = written(&format!("case-fig-{i:04}"), received);
        if i % 2 == 0 {
            body["campaign_id"] = json!(campaign.0);
        }
        let (status, c) = api.post("/api/v1/mediation/cases", body).await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        ids.push(c["id"].as_i64().unwrap());
    }
    // 0 agreed (valid, 5,000 recovered), 1 still open and overdue, 2 no
    // agreement, 3 withdrawn, 4 agreement pending (and overdue), 5 received.
    let mut agree = all.clone();
    agree["action"] = json!("agree");
    agree["terms"] = json!("支付");
    agree["amount"] = json!("8,000");
    assert_eq!(step(&a, ids[0], agree).await.0, StatusCode::OK);
    assert_eq!(
        step(&a, ids[0], json!({"action": "recover", "amount": "5,000"}))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        step(&a, ids[2], json!({"action": "fail", "reason": "差距大"}))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        step(&a, ids[3], json!({"action": "withdraw"})).await.0,
        StatusCode::OK
    );
    assert_eq!(
        step(
            &b,
            ids[4],
            json!({"action": "agree", "terms": "支付", "amount": "3,000", "signed_workers": 1})
        )
        .await
        .0,
        StatusCode::OK
    );
    let district = app.api("district.admin").await;
    let (status, f) = district.get("/api/v1/mediation/figures").await;
    assert_eq!(status, StatusCode::OK, "{f}");
    assert_eq!(f["cases"], 6);
    assert_eq!(f["agreements"], 1);
    assert_eq!(f["concluded"], 2, "agreement + no agreement");
    assert_eq!(f["success_rate"], 0.5);
    assert_eq!(f["amount_involved_fen"], 6 * 1_234_550);
    assert_eq!(f["amount_agreed_fen"], 800_000, "valid agreements only");
    assert_eq!(f["amount_recovered_fen"], 500_000);
    assert_eq!(f["overdue"], 2);
    let status_of = |f: &Value, s: &str| -> i64 {
        f["by_status"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["status"] == s)
            .unwrap()["cases"]
            .as_i64()
            .unwrap()
    };
    for (s, n) in [
        ("received", 2),
        ("mediating", 0),
        ("agreement_pending", 1),
        ("agreed", 1),
        ("no_agreement", 1),
        ("withdrawn", 1),
        ("arbitration", 0),
    ] {
        assert_eq!(status_of(&f, s), n, "{s}");
    }
    // Every figure is the count of the list behind it.
    for s in [
        "received",
        "agreement_pending",
        "agreed",
        "no_agreement",
        "withdrawn",
    ] {
        let (_, l) = district
            .get(&format!("/api/v1/mediation/cases?status={s}"))
            .await;
        assert_eq!(l["total"].as_i64().unwrap(), status_of(&f, s), "{s}");
    }
    let (_, l) = district.get("/api/v1/mediation/cases?overdue=yes").await;
    assert_eq!(l["total"], f["overdue"]);
    let months: i64 = f["monthly"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["cases"].as_i64().unwrap())
        .sum();
    assert_eq!(months, 6);
    // A campaign and an org subtree narrow it.
    let (_, fc) = district
        .get(&format!(
            "/api/v1/mediation/figures?campaign={}",
            campaign.0
        ))
        .await;
    assert_eq!(fc["cases"], 3);
    assert_eq!(fc["agreements"], 1);
    let (_, l) = district
        .get(&format!("/api/v1/mediation/cases?campaign={}", campaign.0))
        .await;
    assert_eq!(l["total"], 3);
    let (_, fa) = district
        .get(&format!("/api/v1/mediation/figures?org={}", app.street_a))
        .await;
    assert_eq!(fa["cases"], 4);
    assert_eq!(fa["overdue"], 1);
    // Street B sees only its own.
    let (_, fb) = b.get("/api/v1/mediation/figures").await;
    assert_eq!(fb["cases"], 2);
    assert_eq!(fb["success_rate"], Value::Null);
    // The store function gives the same as the API.
    let scope = qingting::auth::Scope::of(vec![app.district]);
    let direct = qingting::mediation::store::figures(&app.db, &scope, Some(campaign), None)
        .await
        .unwrap();
    assert_eq!(direct.cases, 3);
    // And the list page shows them.
    let page = app
        .browser("district.admin")
        .await
        .get(app.url("/mediation"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("调解成功率") && html.contains("50%"),
        "{html}"
    );
}

#[tokio::test]
async fn a_problem_becomes_a_case_and_each_links_to_the_other() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let (status, p) = a
        .post(
            "/api/v1/problems",
            json!({"client_id": "prob-med-0001", "source": "worker", "topic": "wages",
                   "description": "快递员9月份派件提成未结算", "raiser_name": "王志强",
                   "raiser_contact": "13912345678"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let pid = p["id"].as_i64().unwrap();
    assert_eq!(p["mediation_case"], Value::Null);
    // The problem page offers the step; the form comes pre-filled.
    let browser = app.browser("a.cadre").await;
    let html = browser
        .get(app.url(&format!("/problems/{pid}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("/mediation/new?problem={pid}")));
    let res = browser
        .get(app.url(&format!("/mediation/new?problem={pid}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("快递员9月份派件提成未结算"));
    assert!(html.contains("王志强"));
    assert!(html.contains("value=\"wage_arrears\" selected"));
    // Another street's cadre cannot make a case of it.
    let outsider = app.browser("b.cadre").await;
    let res = outsider
        .get(app.url(&format!("/mediation/new?problem={pid}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let mut body = written("case-prob-0001", 1);
    body["problem_id"] = json!(pid);
    let (status, c) = a.post("/api/v1/mediation/cases", body).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_i64().unwrap();
    assert_eq!(c["problem_id"], pid);
    let (_, p) = a.get(&format!("/api/v1/problems/{pid}")).await;
    assert_eq!(p["mediation_case"], cid);
    let html = browser
        .get(app.url(&format!("/problems/{pid}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("href=\"/mediation/{cid}\"")));
    let html = browser
        .get(app.url(&format!("/mediation/{cid}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("href=\"/problems/{pid}\"")));
    // One case per problem: a second is refused, the form goes to the first.
    let mut body = written("case-prob-0002", 1);
    body["problem_id"] = json!(pid);
    let (status, err) = a.post("/api/v1/mediation/cases", body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&err), ["problem_id"]);
    let res = browser
        .get(app.url(&format!("/mediation/new?problem={pid}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        format!("/mediation/{cid}")
    );
}

#[tokio::test]
async fn the_pages_render_in_both_languages() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let id = case(&a, "case-page-0001", 20).await;
    let b = app.browser("a.cadre").await;
    for path in ["/mediation", "/mediation/new", &format!("/mediation/{id}")] {
        let res = b.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let html = res.text().await.unwrap();
        assert!(!html.contains("med-"), "an untranslated key on {path}");
    }
    let html = b
        .get(app.url(&format!("/mediation/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("已超过十五日"));
    assert!(html.contains("转仲裁"));
    // A step refused on the page shows the field's message.
    let res = b
        .post(app.url(&format!("/mediation/{id}/transition")))
        .form(&[("action", "fail"), ("reason", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("“理由”不能为空"));
    let res = b
        .post(app.url("/lang"))
        .form(&[("lang", "en"), ("back", "/mediation")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = b
        .get(app.url(&format!("/mediation/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Past 15 days"), "{html}");
}

#[tokio::test]
async fn the_document_types_the_case_state_intake_and_figures() {
    let app = TestApp::spawn().await;
    let doc = app.openapi().await;
    let schemas = &doc["components"]["schemas"];
    let case = &schemas["Case"]["properties"];
    assert_eq!(case["state"]["$ref"], "#/components/schemas/MediationState");
    assert_eq!(
        case["intake"]["$ref"],
        "#/components/schemas/MediationIntake"
    );
    assert_eq!(case["status"]["$ref"], "#/components/schemas/CaseStatus");
    assert!(
        schemas["MediationState"]["oneOf"].as_array().unwrap().len() == 6,
        "{}",
        schemas["MediationState"]
    );
    let by_status = &schemas["MediationFigures"]["properties"]["by_status"]["items"];
    assert_eq!(
        by_status["$ref"],
        "#/components/schemas/MediationStatusCount"
    );
    let get = &doc["paths"]["/api/v1/mediation/cases/{id}/agreement.docx"]["get"];
    assert!(
        get["responses"]["200"]["content"]
            ["application/vnd.openxmlformats-officedocument.wordprocessingml.document"]
            .is_object(),
        "{get}"
    );
    assert!(get["responses"]["401"].is_object(), "{get}");
}
