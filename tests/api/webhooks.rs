//! Webhooks: admins subscribe a URL to events of their org's subtree; real
//! writes made through the API reach a receiver on loopback as JSON signed
//! with the subscription's secret (checked here with an HMAC written out from
//! RFC 2104, not the server's code); a failing receiver gets retries on the
//! configured schedule and the subscription is turned off with a notice; a
//! rolled-back write emits nothing; a subscription never receives another
//! subtree's events, and admins outside the subtree neither see nor change it.

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU16, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    body::Bytes,
    extract::{OriginalUri, State},
    http::{HeaderMap, StatusCode as AxumStatus},
    response::IntoResponse,
};
use qingting::{
    auth::Role,
    db::OrgId,
    webhook::{Wants, deliver},
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    helpers::{Api, TestApp},
    surveys::{answers, published, respond, submission},
};

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Hit {
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Hit {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn event(&self) -> String {
        self.json()["event"].as_str().unwrap().to_string()
    }
}

#[derive(Clone)]
struct SinkState {
    hits: Arc<Mutex<Vec<Hit>>>,
    status: Arc<AtomicU16>,
}

/// A receiver on a free loopback port: records every request and answers
/// with the status it is told (200 at first), and a short JSON body.
struct Sink {
    addr: SocketAddr,
    state: SinkState,
}

async fn receive(
    State(s): State<SinkState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let n = {
        let mut hits = s.hits.lock().unwrap();
        hits.push(Hit {
            path: uri.path().to_string(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
                .collect(),
            body: body.to_vec(),
        });
        hits.len()
    };
    let status = AxumStatus::from_u16(s.status.load(Ordering::SeqCst)).unwrap();
    (status, format!("{{\"received\":{n}}}"))
}

impl Sink {
    async fn start() -> Sink {
        let state = SinkState {
            hits: Arc::default(),
            status: Arc::new(AtomicU16::new(200)),
        };
        let app = Router::new().fallback(receive).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Sink { addr, state }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn answer_with(&self, status: u16) {
        self.state.status.store(status, Ordering::SeqCst);
    }

    fn hits(&self) -> Vec<Hit> {
        self.state.hits.lock().unwrap().clone()
    }

    /// Waits (up to 30 s) until the hits satisfy `done`.
    async fn wait_for(&self, what: &str, done: impl Fn(&[Hit]) -> bool) -> Vec<Hit> {
        for _ in 0..300 {
            let hits = self.hits();
            if done(&hits) {
                return hits;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let got: Vec<String> = self.hits().iter().map(Hit::event).collect();
        panic!("the receiver never got {what}; it got {got:?}");
    }
}

/// HMAC-SHA256 (RFC 2104) over sha2, independent of the server's `ring`.
fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut k = if key.len() > 64 {
        Sha256::digest(key).to_vec()
    } else {
        key.to_vec()
    };
    k.resize(64, 0);
    let pad = |byte: u8| k.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .to_vec()
}

/// Checks the headers and the signature of a delivery.
fn check_signed(hit: &Hit, secret: &str) {
    let expected = format!(
        "sha256={}",
        hex::encode(hmac_sha256(secret.as_bytes(), &hit.body))
    );
    assert_eq!(hit.header("x-qingting-signature"), expected, "{hit:?}");
    assert!(
        hit.header("content-type").starts_with("application/json"),
        "{hit:?}"
    );
    let body = hit.json();
    assert_eq!(
        hit.header("x-qingting-event"),
        body["event"].as_str().unwrap()
    );
    assert_eq!(
        hit.header("x-qingting-delivery"),
        body["id"].as_i64().unwrap().to_string()
    );
    assert!(
        chrono::DateTime::parse_from_rfc3339(body["occurred_at"].as_str().unwrap()).is_ok(),
        "{body}"
    );
    for k in ["id", "code", "name"] {
        assert!(!body["org"][k].is_null(), "{body}");
    }
}

const ALL: [&str; 10] = [
    "problem.recorded",
    "problem.decided",
    "problem.escalated",
    "problem.fed_back",
    "summary.submitted",
    "summary.returned",
    "summary.accepted",
    "survey.response_stored",
    "mediation.state_changed",
    "formation.union_founded",
];

async fn subscribe(api: &Api, org: OrgId, url: &str, events: &[&str]) -> (i64, String) {
    let (status, body) = api
        .post(
            "/api/v1/webhooks",
            json!({"org_id": org.0, "url": url, "events": events}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["active"], true);
    (
        body["id"].as_i64().unwrap(),
        body["secret"].as_str().unwrap().to_string(),
    )
}

async fn record_problem(app: &TestApp, who: &str, client_id: &str, description: &str) -> i64 {
    let (status, p) = app
        .api(who)
        .await
        .post(
            "/api/v1/problems",
            json!({"client_id": client_id, "source": "worker", "topic": "wages",
                   "description": description, "raiser_name": "王小明", "raiser_contact": "13912345678"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    p["id"].as_i64().unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

/// A logged-in browser: each request answers its status and page.
struct Browser<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
}

impl<'a> Browser<'a> {
    async fn of(app: &'a TestApp, who: &str) -> Browser<'a> {
        Browser {
            app,
            client: app.browser(who).await,
        }
    }

    async fn answer(res: reqwest::Response) -> (StatusCode, String) {
        (res.status(), res.text().await.unwrap())
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        Self::answer(self.client.get(self.app.url(path)).send().await.unwrap()).await
    }

    /// Posts a form (empty for a button).
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let req = self.client.post(self.app.url(path)).form(form);
        Self::answer(req.send().await.unwrap()).await
    }
}

/// A subscription's newest deliveries, as its admin reads them.
async fn deliveries(admin: &Api, sub: i64) -> Vec<Value> {
    let (status, page) = admin
        .get(&format!("/api/v1/webhooks/{sub}/deliveries"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// One delivery run of the worker at `at`, as `serve` runs it.
async fn run(app: &TestApp, at: i64) -> deliver::Report {
    deliver::run(&app.db, &app.settings, &Wants::default(), at)
        .await
        .unwrap()
}

/// An app whose worker runs only when the test says (and at chosen times).
async fn manual_app() -> TestApp {
    TestApp::spawn_with(|s| {
        s.webhooks.poll_seconds = 0;
        s.webhooks.retry_seconds = "60,300".into();
    })
    .await
}

#[tokio::test]
async fn events_of_real_writes_reach_the_receiver_signed() {
    let sink = Sink::start().await;
    let app = TestApp::spawn_with(|s| {
        s.server.public_url = "https://qt.example.org/".into();
        // The worker inside the server, as `serve` runs it.
        s.webhooks.poll_seconds = 1;
    })
    .await;
    let d = app.api("district.admin").await;
    let (sub, secret) = subscribe(&d, app.district, &sink.url("/hook?k=1"), &ALL).await;

    // Problems: recorded, decided, fed back; another recorded and passed up.
    let a = app.api("a.cadre").await;
    let p1 = record_problem(&app, "a.cadre", "wh-problem-0001", "食堂饭菜太贵").await;
    let (status, body) = a
        .post(
            &format!("/api/v1/problems/{p1}/transition"),
            json!({"action": "decide", "outcome": "in_progress", "outcome_on": "2099-12-31", "outcome_note": "已约企业"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = a
        .post(
            &format!("/api/v1/problems/{p1}/feedback"),
            json!({"channel": "phone", "body": "已告知食堂将调整价格"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let p2 = record_problem(&app, "a.cadre", "wh-problem-0002", "园区缺少骑手驿站").await;
    let (status, body) = a
        .post(
            &format!("/api/v1/problems/{p2}/transition"),
            json!({"action": "escalate", "to_org": app.district.0, "reason": "涉及全区规划"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A summary table submitted, returned, submitted again and accepted.
    let campaign = crate::summaries::campaign(&app, "2099-11-15").await;
    let table = format!("/api/v1/campaigns/{campaign}/summaries/{}", app.street_a.0);
    let (status, body) = a
        .post(&format!("{table}/submit"), json!({"version": 0}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = d
        .post(
            &format!("{table}/return"),
            json!({"version": 1, "reason": "请补充走访企业名单"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = a
        .post(&format!("{table}/submit"), json!({"version": 1}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = d
        .post(&format!("{table}/accept"), json!({"version": 2}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A questionnaire response from a phone.
    let (_, survey, code, _) = published(&app).await;
    let (status, body) = respond(&app, &code, submission("wh-response-0001", answers())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // A mediation case begins.
    let (status, case) = a
        .post(
            "/api/v1/mediation/cases",
            json!({"client_id": "wh-case-0001", "intake": "written",
                   "applied_on": qingting::date::Day::today().iso(), "received_on": qingting::date::Day::today().iso(),
                   "workers": ["张建国"], "worker_phones": "13812345678", "employer_name": "上海某物流有限公司",
                   "dispute_type": "wage_arrears", "matter": "拖欠工资", "amount": "1000", "mediator": "陆建华"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let case = case["id"].as_i64().unwrap();
    let (status, body) = a
        .post(
            &format!("/api/v1/mediation/cases/{case}/transition"),
            json!({"action": "begin"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A union founded from a pipeline.
    let credit = qingting::enterprise::CreditCode::with_check("91310110MA1G89001")
        .unwrap()
        .as_str()
        .to_string();
    let e = crate::activities::enterprise(&app, "a.cadre", &credit, "STA").await;
    let (status, body) = a
        .post(
            "/api/v1/formation/pipelines",
            json!({"enterprise": e, "wish": "wants_union", "client_id": "wh-flag-0001"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let pipeline = body["pipeline"]["id"].as_i64().unwrap();
    let steps = format!("/api/v1/formation/pipelines/{pipeline}/steps");
    let (status, body) = a.post(&steps, json!({"action": "prepare"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = a
        .post(
            &steps,
            json!({"action": "found", "founded_on": "2019-11-20"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let mut expected: Vec<&str> = ALL.to_vec();
    expected.extend(["problem.recorded", "summary.submitted"]);
    expected.sort();
    let hits = sink
        .wait_for("every event", |hits| hits.len() >= expected.len())
        .await;
    let mut got: Vec<String> = hits.iter().map(Hit::event).collect();
    got.sort();
    assert_eq!(got, expected);
    for hit in &hits {
        check_signed(hit, &secret);
        assert_eq!(hit.path, "/hook");
        let body = hit.json();
        assert!(
            body["link"]
                .as_str()
                .unwrap()
                .starts_with("https://qt.example.org/"),
            "{body}"
        );
    }
    let find = |event: &str| -> Value {
        hits.iter()
            .map(Hit::json)
            .find(|b| b["event"] == event)
            .unwrap()
    };
    // The problem as the API shows it, personal data masked, no receipt code.
    let decided = find("problem.decided");
    assert_eq!(decided["record"]["id"], p1);
    assert_eq!(decided["record"]["state"]["outcome"], "in_progress");
    assert_eq!(decided["record"]["raiser_contact"], "139****5678");
    assert_eq!(decided["record"]["raiser_name"], "王**");
    assert!(decided["record"]["receipt_code"].is_null());
    assert_eq!(
        decided["link"],
        format!("https://qt.example.org/problems/{p1}")
    );
    assert_eq!(decided["org"]["code"], "STA");
    assert_eq!(decided["org"]["id"], app.street_a.0);
    assert_eq!(
        find("problem.escalated")["record"]["owner_org_id"],
        app.district.0
    );
    let returned = find("summary.returned");
    assert_eq!(returned["record"]["status"], "returned");
    assert_eq!(returned["record"]["version"], 1);
    assert!(
        returned["record"]["reason"]
            .as_str()
            .unwrap()
            .contains("请补充走访企业名单")
    );
    let accepted = find("summary.accepted");
    assert_eq!(accepted["record"]["status"], "accepted");
    assert_eq!(accepted["record"]["version"], 2);
    assert_eq!(accepted["record"]["campaign_id"], campaign);
    let response = find("survey.response_stored");
    assert_eq!(response["record"]["survey_id"], survey);
    assert_eq!(response["record"]["valid"], true);
    assert!(response["record"].get("answers").is_none(), "{response}");
    let mediation = find("mediation.state_changed");
    assert_eq!(mediation["record"]["id"], case);
    assert_eq!(mediation["record"]["status"], "mediating");
    assert_eq!(mediation["record"]["workers"][0]["phone"], "138****5678");
    let founded = find("formation.union_founded");
    assert_eq!(founded["record"]["id"], pipeline);
    assert_eq!(
        founded["record"]["union_org"]["code"],
        format!("JC-{credit}")
    );

    // The delivery log tells the same: each delivered at its first attempt
    // (recorded just after the receiver answered).
    let mut page = Value::Null;
    for _ in 0..100 {
        let (status, got) = d
            .get(&format!("/api/v1/webhooks/{sub}/deliveries?per_page=100"))
            .await;
        assert_eq!(status, StatusCode::OK, "{got}");
        page = got;
        if page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] != "sending")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(page["total"], expected.len());
    for item in page["items"].as_array().unwrap() {
        assert_eq!(item["status"], "delivered", "{item}");
        assert_eq!(item["log"][0]["http_status"], 200);
        assert!(
            item["log"][0]["response"]
                .as_str()
                .unwrap()
                .contains("received")
        );
    }
    let (_, listed) = d.get("/api/v1/webhooks").await;
    assert_eq!(listed[0]["last_delivery"]["status"], "delivered");
}

#[tokio::test]
async fn a_failing_receiver_is_retried_on_the_schedule_then_turned_off_with_a_notice() {
    let sink = Sink::start().await;
    sink.answer_with(500);
    let app = manual_app().await;
    let admin = app.api("a.admin").await;
    let (sub, secret) = subscribe(
        &admin,
        app.street_a,
        &sink.url("/down"),
        &["problem.recorded"],
    )
    .await;
    for i in 0..4 {
        record_problem(&app, "a.cadre", &format!("wh-fail-{i:04}"), "更衣室太小").await;
    }
    let t0 = qingting::db::now();
    let r = run(&app, t0).await;
    assert_eq!((r.fanned_out, r.delivered, r.failed), (4, 0, 4));
    for d in deliveries(&admin, sub).await {
        assert_eq!(d["status"], "pending", "{d}");
        assert_eq!(d["attempts"], 1);
        assert_eq!(
            d["next_attempt_at"],
            t0 + 60,
            "the first wait of the schedule"
        );
        assert_eq!(d["log"][0]["http_status"], 500);
        assert_eq!(d["log"][0]["error"], "HTTP 500");
        assert!(
            d["log"][0]["response"]
                .as_str()
                .unwrap()
                .contains("received")
        );
    }
    // Not due yet: nothing is posted.
    assert_eq!(run(&app, t0 + 59).await.failed, 0);
    assert_eq!(sink.hits().len(), 4);
    let r = run(&app, t0 + 60).await;
    assert_eq!(r.failed, 4);
    for d in deliveries(&admin, sub).await {
        assert_eq!(d["attempts"], 2);
        assert_eq!(d["next_attempt_at"], t0 + 60 + 300, "the second wait");
    }
    // The third attempt is the last of this schedule; the tenth failure in
    // a row turns the subscription off.
    let r = run(&app, t0 + 360).await;
    assert_eq!((r.failed, r.turned_off), (4, 1));
    for d in deliveries(&admin, sub).await {
        assert_eq!(d["status"], "failed", "{d}");
        assert_eq!(d["attempts"], 3);
        assert_eq!(d["log"].as_array().unwrap().len(), 3);
        assert!(d["next_attempt_at"].is_null());
    }
    let (_, s) = admin.get(&format!("/api/v1/webhooks/{sub}")).await;
    assert_eq!(s["active"], false, "{s}");
    assert_eq!(s["disabled_reason"], "failures");
    assert_eq!(s["failures"], 12);
    // Whoever made it is told, once; the audit log says why.
    let (_, notices) = admin.get("/api/v1/notifications").await;
    let off: Vec<&Value> = notices
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "webhook_disabled")
        .collect();
    assert_eq!(off.len(), 1, "{notices}");
    assert_eq!(off[0]["link"], format!("/webhooks/{sub}"));
    assert!(
        off[0]["text"].as_str().unwrap().contains("甲街道总工会"),
        "{}",
        off[0]
    );
    assert!(
        !off[0]["text"]
            .as_str()
            .unwrap()
            .contains(&sink.url("/down")),
        "the address is masked"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'webhook_updated' AND detail LIKE 'disabled after%'"
        )
        .await,
        1
    );
    let page = Browser::of(&app, "a.admin")
        .await
        .get(&format!("/webhooks/{sub}"))
        .await
        .1;
    assert!(page.contains("系统已自动停用"), "the page says why");

    // Off: nothing more is posted, and new events are not even queued.
    record_problem(&app, "a.cadre", "wh-fail-0100", "停用期间的问题").await;
    let r = run(&app, t0 + 100_000).await;
    assert_eq!(r, deliver::Report::default());
    let hits = sink.hits();
    assert_eq!(hits.len(), 12);
    for hit in &hits {
        check_signed(hit, &secret);
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM webhook_outbox").await,
        4,
        "only the four events while it was on"
    );

    // Turned on again, with the receiver fixed: the count starts over.
    sink.answer_with(200);
    let (status, s) = admin
        .patch(&format!("/api/v1/webhooks/{sub}"), json!({"active": true}))
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(
        (s["active"].clone(), s["failures"].clone()),
        (json!(true), json!(0))
    );
    assert!(s["disabled_reason"].is_null());
    record_problem(&app, "a.cadre", "wh-fail-0101", "恢复后的问题").await;
    let r = run(&app, qingting::db::now()).await;
    assert_eq!((r.fanned_out, r.delivered), (1, 1));
}

#[tokio::test]
async fn a_rolled_back_write_emits_nothing() {
    let sink = Sink::start().await;
    let app = manual_app().await;
    let admin = app.api("a.admin").await;
    subscribe(
        &admin,
        app.street_a,
        &sink.url("/rb"),
        &["problem.recorded", "survey.response_stored"],
    )
    .await;

    // A problem written and rolled back: its event went with it.
    let origin = qingting::problem::store::Origin {
        org: app.street_a,
        client_id: "wh-rollback-0001".into(),
        campaign: None,
        activity: None,
        user: None,
        actor: "测试".into(),
        public: false,
    };
    let mut errs = qingting::web::form::Errors::default();
    let fields = qingting::problem::ProblemInput {
        source: Some("worker".into()),
        topic: Some("wages".into()),
        description: Some("写入后回滚".into()),
        ..Default::default()
    }
    .parse_into("", &mut errs)
    .unwrap();
    let mut tx = app.db.begin().await.unwrap();
    qingting::problem::store::insert(&mut tx, &origin, &fields)
        .await
        .unwrap()
        .unwrap();
    let inside: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_outbox")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(inside, 1, "emitted inside the write's transaction");
    tx.rollback().await.unwrap();
    assert_eq!(count(&app, "SELECT COUNT(*) FROM webhook_outbox").await, 0);
    assert_eq!(run(&app, qingting::db::now()).await.fanned_out, 0);

    // Through the API: a response refused by a full quota is undone with
    // its event; the one stored is delivered once.
    let (api, survey, code, _) = published(&app).await;
    let (status, body) = api
        .patch(
            &format!("/api/v1/surveys/{survey}"),
            json!({"quota_lines": "*, *, 1"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, first) = respond(&app, &code, submission("wh-quota-0001", answers())).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, body) = respond(&app, &code, submission("wh-quota-0002", answers())).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM survey_responses").await,
        1
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM webhook_outbox").await, 1);
    let r = run(&app, qingting::db::now()).await;
    assert_eq!((r.fanned_out, r.delivered), (1, 1));
    let hits = sink.hits();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].event(), "survey.response_stored");
    assert_eq!(hits[0].json()["record"]["survey_id"], survey);
}

#[tokio::test]
async fn responses_cost_nothing_while_nobody_subscribes_to_them() {
    let sink = Sink::start().await;
    let app = manual_app().await;
    let (_, _, code, _) = published(&app).await;
    // A subscription to other events only: a response writes no event.
    let admin = app.api("district.admin").await;
    let (sub, _) = subscribe(&admin, app.district, &sink.url("/r"), &["problem.recorded"]).await;
    let (status, _) = respond(&app, &code, submission("wh-cheap-0001", answers())).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM webhook_outbox").await, 0);
    // Wanting them switches the writer on at once (the in-memory set is read
    // again when a subscription changes)...
    let (status, body) = admin
        .patch(
            &format!("/api/v1/webhooks/{sub}"),
            json!({"events": ["problem.recorded", "survey.response_stored"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = respond(&app, &code, submission("wh-cheap-0002", answers())).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM webhook_outbox").await, 1);
    // ...and turning the subscription off switches it off again.
    let (status, _) = admin
        .patch(&format!("/api/v1/webhooks/{sub}"), json!({"active": false}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = respond(&app, &code, submission("wh-cheap-0003", answers())).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM webhook_outbox").await, 1);
}

#[tokio::test]
async fn a_subscription_sees_only_its_subtree_and_outsiders_cannot_reach_it() {
    let sink = Sink::start().await;
    let app = manual_app().await;
    app.user("b.admin", app.street_b, Role::Admin).await;
    let a = app.api("a.admin").await;
    let b = app.api("b.admin").await;
    let d = app.api("district.admin").await;
    let (sa, _) = subscribe(&a, app.street_a, &sink.url("/a"), &["problem.recorded"]).await;
    let (sb, b_secret) = subscribe(&b, app.street_b, &sink.url("/b"), &["problem.recorded"]).await;
    let (sd, _) = subscribe(&d, app.district, &sink.url("/d"), &["problem.recorded"]).await;
    let pa = record_problem(&app, "a.cadre", "wh-scope-0001", "甲街道的问题").await;
    let pb = record_problem(&app, "b.cadre", "wh-scope-0002", "乙街道的问题").await;
    let r = run(&app, qingting::db::now()).await;
    assert_eq!((r.fanned_out, r.delivered), (4, 4));
    let ids_at = |path: &str| {
        let mut ids: Vec<i64> = sink
            .hits()
            .iter()
            .filter(|h| h.path == path)
            .map(|h| h.json()["record"]["id"].as_i64().unwrap())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids_at("/a"), [pa]);
    assert_eq!(ids_at("/b"), [pb]);
    assert_eq!(ids_at("/d"), [pa, pb]);

    // Admins see the subscriptions of their own subtrees only.
    let listed = |v: &Value| -> Vec<i64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(listed(&a.get("/api/v1/webhooks").await.1), [sa]);
    let mut all = listed(&d.get("/api/v1/webhooks").await.1);
    all.sort();
    assert_eq!(all, [sa, sb, sd]);

    // Street A's admin cannot read, change or see deliveries of street B's.
    let (_, page) = b.get(&format!("/api/v1/webhooks/{sb}/deliveries")).await;
    let delivery = page["items"][0]["id"].as_i64().unwrap();
    for (method, path, body) in [
        (Method::GET, format!("/api/v1/webhooks/{sb}"), Value::Null),
        (
            Method::PATCH,
            format!("/api/v1/webhooks/{sb}"),
            json!({"active": false}),
        ),
        (
            Method::DELETE,
            format!("/api/v1/webhooks/{sb}"),
            Value::Null,
        ),
        (
            Method::POST,
            format!("/api/v1/webhooks/{sb}/secret"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/webhooks/{sb}/ping"),
            json!({}),
        ),
        (
            Method::GET,
            format!("/api/v1/webhooks/{sb}/deliveries"),
            Value::Null,
        ),
        (
            Method::POST,
            format!("/api/v1/webhooks/{sb}/deliveries/{delivery}/redeliver"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/webhooks/{sa}/deliveries/{delivery}/redeliver"),
            json!({}),
        ),
    ] {
        let (status, err) = a.send(method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {err}");
    }
    let (status, err) = a
        .post(
            "/api/v1/webhooks",
            json!({"org_id": app.street_b.0, "url": sink.url("/x"), "events": ["problem.recorded"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["fields"][0]["field"], "org_id");
    // Nothing of street B's changed: still on, same secret, nothing more posted.
    let (_, s) = b.get(&format!("/api/v1/webhooks/{sb}")).await;
    assert_eq!(s["active"], true);
    assert_eq!(sink.hits().len(), 4);
    let (status, ping) = b
        .post(&format!("/api/v1/webhooks/{sb}/ping"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{ping}");
    assert_eq!(ping["status"], "delivered");
    check_signed(sink.hits().last().unwrap(), &b_secret);

    // Non-admins are refused outright; the pages follow the same rules.
    let cadre = app.api("a.cadre").await;
    for (method, path) in [
        (Method::GET, "/api/v1/webhooks".to_string()),
        (Method::POST, "/api/v1/webhooks".to_string()),
        (Method::GET, format!("/api/v1/webhooks/{sa}")),
    ] {
        let body = json!({"url": sink.url("/c"), "events": ["problem.recorded"]});
        let (status, _) = cadre.send(method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
    }
    let viewer = Browser::of(&app, "a.viewer").await;
    let (status, _) = viewer.get("/webhooks").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let home = viewer.get("/").await.1;
    assert!(
        !home.contains("href=\"/webhooks\""),
        "no menu link for non-admins"
    );
    let browser = Browser::of(&app, "a.admin").await;
    for path in [format!("/webhooks/{sb}"), format!("/webhooks/{sb}/edit")] {
        let (status, _) = browser.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    for path in [
        format!("/webhooks/{sb}/delete"),
        format!("/webhooks/{sb}/secret"),
        format!("/webhooks/{sb}/ping"),
    ] {
        let (status, _) = browser.post(&path, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let home = browser.get("/").await.1;
    assert!(
        home.contains("href=\"/webhooks\""),
        "the menu offers the page to admins"
    );
}

#[tokio::test]
async fn bad_input_is_named_by_its_json_path_with_the_allowed_codes() {
    let app = manual_app().await;
    let admin = app.api("a.admin").await;
    let fields = |err: &Value| -> Vec<(String, String)> {
        err["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["field"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let (status, err) = admin
        .post(
            "/api/v1/webhooks",
            json!({"url": "ftp://hooks.example.org/x", "events": ["problem.recorded", "problem.deleted"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let f = fields(&err);
    assert_eq!(f[0].0, "url");
    assert!(
        f[0].1.contains("http://") && f[0].1.contains("https://"),
        "{}",
        f[0].1
    );
    assert_eq!(f[1].0, "events[1]");
    assert!(f[1].1.contains("problem.deleted"), "{}", f[1].1);
    for code in ALL {
        assert!(f[1].1.contains(code), "{code} is listed: {}", f[1].1);
    }
    let (status, err) = admin
        .post(
            "/api/v1/webhooks",
            json!({"url": "https://hooks.example.org/x", "events": []}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&err)[0].0, "events");
    // Without org_id: the caller's own org.
    let (status, s) = admin
        .post(
            "/api/v1/webhooks",
            json!({"url": "https://hooks.example.org/x", "events": ["summary.accepted"], "active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(s["org_id"], app.street_a.0);
    assert_eq!(s["active"], false);
    assert_eq!(s["disabled_reason"], "admin");
    let (status, err) = admin
        .patch(
            &format!("/api/v1/webhooks/{}", s["id"]),
            json!({"url": "hooks.example.org"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&err)[0].0, "url");
    assert_eq!(app.audit_count("webhook_created").await, 1);
    assert_eq!(app.audit_count("webhook_updated").await, 0);
}

#[tokio::test]
async fn the_pages_create_show_the_secret_once_test_redeliver_rotate_and_delete() {
    let sink = Sink::start().await;
    let app = manual_app().await;
    let browser = Browser::of(&app, "a.admin").await;
    let form = browser.get("/webhooks/new").await.1;
    assert!(
        form.contains("value=\"survey.response_stored\""),
        "a box per event"
    );
    let org = app.street_a.0.to_string();
    let (status, html) = browser
        .post(
            "/webhooks",
            &[
                ("org_id", &org),
                ("url", "not a url"),
                ("events", "problem.recorded"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("http://"));
    let url = sink.url("/pages");
    let (status, html) = browser
        .post(
            "/webhooks",
            &[
                ("org_id", &org),
                ("url", &url),
                ("events", "problem.recorded"),
                ("events", "problem.decided"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let secret_of = |html: &str| {
        regex::Regex::new(r"whsec_[0-9a-f]{64}")
            .unwrap()
            .find(html)
            .map(|m| m.as_str().to_string())
    };
    let secret = secret_of(&html).expect("the secret is shown after creation");
    let admin = app.api("a.admin").await;
    let (_, list) = admin.get("/api/v1/webhooks").await;
    let id = list[0]["id"].as_i64().unwrap();
    assert_eq!(
        list[0]["events"],
        json!(["problem.recorded", "problem.decided"])
    );
    let detail = browser.get(&format!("/webhooks/{id}")).await.1;
    assert!(secret_of(&detail).is_none(), "shown once only");
    let listing = browser.get("/webhooks").await.1;
    assert!(listing.contains(&sink.url("/pages")));

    // The test button posts a signed ping at once; the log shows it.
    let (status, _) = browser.post(&format!("/webhooks/{id}/ping"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let hits = sink.hits();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].event(), "ping");
    assert_eq!(hits[0].json()["record"]["id"], id);
    check_signed(&hits[0], &secret);
    let detail = browser.get(&format!("/webhooks/{id}")).await.1;
    assert!(
        detail.contains("测试事件") && detail.contains("HTTP 200"),
        "{detail}"
    );
    // Redeliver makes a new delivery of the same event.
    let (_, page) = admin
        .get(&format!("/api/v1/webhooks/{id}/deliveries"))
        .await;
    let first = page["items"][0]["id"].as_i64().unwrap();
    let redeliver = format!("/webhooks/{id}/deliveries/{first}/redeliver");
    let (status, _) = browser.post(&redeliver, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = admin
        .get(&format!("/api/v1/webhooks/{id}/deliveries"))
        .await;
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"][0]["redelivery_of"], first);
    assert_eq!(page["items"][0]["status"], "delivered");
    assert_ne!(sink.hits()[1].json()["id"], sink.hits()[0].json()["id"]);

    // A new secret is shown once and signs what follows.
    let (status, html) = browser.post(&format!("/webhooks/{id}/secret"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    let rotated = secret_of(&html).unwrap();
    assert_ne!(rotated, secret);
    let (status, ping) = admin
        .post(&format!("/api/v1/webhooks/{id}/ping"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{ping}");
    check_signed(sink.hits().last().unwrap(), &rotated);
    let (status, body) = admin
        .post(&format!("/api/v1/webhooks/{id}/secret"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["secret"].as_str().unwrap().starts_with("whsec_"));

    // The edit form; then delete.
    let moved = sink.url("/moved");
    let (status, _) = browser
        .post(
            &format!("/webhooks/{id}"),
            &[("url", &moved), ("events", "problem.fed_back")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, s) = admin.get(&format!("/api/v1/webhooks/{id}")).await;
    assert_eq!(s["url"], sink.url("/moved"));
    assert_eq!(s["events"], json!(["problem.fed_back"]));
    assert_eq!(s["active"], false, "the box was unticked");
    let (status, _) = browser.post(&format!("/webhooks/{id}/delete"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        admin.get(&format!("/api/v1/webhooks/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    for (action, n) in [
        ("webhook_created", 1),
        ("webhook_updated", 1),
        ("webhook_secret_rotated", 2),
        ("webhook_deleted", 1),
    ] {
        assert_eq!(app.audit_count(action).await, n, "{action}");
    }
}

#[tokio::test]
async fn the_openapi_document_types_every_webhook_route_with_prefixed_schemas() {
    let app = manual_app().await;
    let doc = app.openapi().await;
    for (path, methods) in [
        ("/api/v1/webhooks", &["get", "post"][..]),
        ("/api/v1/webhooks/{id}", &["get", "patch", "delete"][..]),
        ("/api/v1/webhooks/{id}/secret", &["post"][..]),
        ("/api/v1/webhooks/{id}/ping", &["post"][..]),
        ("/api/v1/webhooks/{id}/deliveries", &["get"][..]),
        (
            "/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver",
            &["post"][..],
        ),
    ] {
        for m in methods {
            assert!(doc["paths"][path][m].is_object(), "{m} {path}");
        }
    }
    let schemas = &doc["components"]["schemas"];
    for name in [
        "WebhookInput",
        "WebhookUpdate",
        "WebhookSubscription",
        "WebhookCreated",
        "WebhookSecret",
        "WebhookDelivery",
        "WebhookDeliveryPage",
        "WebhookAttempt",
        "WebhookEvent",
        "WebhookPayload",
    ] {
        assert!(schemas[name].is_object(), "{name}");
    }
    let codes: Vec<&str> = schemas["WebhookEvent"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(codes, ALL);
}

#[tokio::test]
async fn a_huge_delivery_page_is_refused_not_a_server_error() {
    let app = manual_app().await;
    let admin = app.api("a.admin").await;
    let (sub, _) = subscribe(
        &admin,
        app.street_a,
        "http://127.0.0.1:9/hook",
        &["problem.recorded"],
    )
    .await;
    for q in ["page=9223372036854775806", "per_page=101", "page=0"] {
        let (status, body) = admin
            .get(&format!("/api/v1/webhooks/{sub}/deliveries?{q}"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {body}");
    }
    let (status, page) = admin
        .get(&format!("/api/v1/webhooks/{sub}/deliveries?page=1000000"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
}
