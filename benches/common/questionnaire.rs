//! What the questionnaire benchmarks share: command-line options, the
//! 31-question form shaped like seed 002's survey, generated answers, a
//! published survey, and a fresh (or kept) database on SQLite or PostgreSQL.
//! Included by each bench with `#[path]` (benches are separate crates).

#![allow(dead_code)]

use qingting::{
    auth::Scope,
    db::{Db, OrgId, SurveyId, UserId, sqlite_url},
    demo::Lcg,
    i18n::Lang,
    org::{OrgInput, store as orgs},
    survey::{self, SurveyInput, form_json},
};
use serde_json::{Value, json};

/// A numeric option `name N`, else `default`.
pub fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A text option `name VALUE`.
pub fn sarg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn list(name: &str, choices: &[&str]) -> Value {
    json!({"name": name, "choices": choices.iter().map(|c| json!({"name": c, "label": c})).collect::<Vec<_>>()})
}

/// The form: 31 questions of every analysed kind (the shape of seed 002's survey).
pub fn form() -> Value {
    let one = |name: &str, list: &str| json!({"name": name, "kind": "select_one", "choices": list, "label": name});
    let many = |name: &str, list: &str| json!({"name": name, "kind": "select_multiple", "choices": list, "other": true, "label": name});
    let int = |name: &str| json!({"name": name, "kind": "integer", "label": name});
    let rating = |name: &str| json!({"name": name, "kind": {"type": "range", "start": 1, "end": 5, "step": 1}, "appearance": ["rating"], "label": name});
    json!({
        "title": "新就业形态劳动者调查",
        "items": [
            one("worker_group", "groups"), one("region", "regions"), one("gender", "gender"), int("age"),
            one("education", "education"), int("years"), one("platform", "platforms"),
            {"name": "hours", "kind": "decimal", "label": "hours"}, int("days_per_week"), one("income", "income"),
            one("income_change", "change"), one("contract", "contract"), many("insurance", "insurance"),
            one("injury_cover", "yesno"), int("accidents"), many("safety", "safety"), one("rest_place", "rest"),
            one("member", "yesno"), one("join", "join"), many("needs", "needs"),
            rating("sat_pay"), rating("sat_rest"), rating("sat_union"),
            one("agree_1", "agree"), one("agree_2", "agree"), one("agree_3", "agree"), one("agree_4", "agree"),
            {"name": "since", "kind": "date", "label": "since"},
            {"name": "advice", "kind": "text", "label": "advice"},
            {"name": "problem", "kind": "text", "label": "problem"},
            one("ideology", "agree")
        ],
        "choice_lists": [
            list("groups", &["truck_driver", "ride_hailing", "courier", "food_delivery"]),
            list("regions", &["上海", "北京", "广东", "江苏", "浙江", "四川", "湖北", "河南"]),
            list("gender", &["m", "f"]),
            list("education", &["primary", "middle", "high", "college", "university"]),
            list("platforms", &["p1", "p2", "p3", "p4", "p5", "p6"]),
            list("income", &["lt3k", "3-5k", "5-8k", "8-12k", "12-20k", "gt20k"]),
            list("change", &["up", "same", "down"]),
            list("contract", &["labour", "service", "none", "unknown"]),
            list("insurance", &["pension", "medical", "injury", "unemployment", "housing"]),
            list("yesno", &["yes", "no"]),
            list("safety", &["traffic", "weather", "overwork", "violence", "food", "fatigue"]),
            list("rest", &["station", "street", "home"]),
            list("join", &["yes", "maybe", "no"]),
            list("needs", &["rights", "pay", "rest", "training", "insurance", "culture", "health", "legal"]),
            list("agree", &["1", "2", "3", "4", "5"])
        ]
    })
}

/// One generated response's answers and its group and region.
pub fn answers(r: &mut Lcg, form: &Value) -> (Value, String, String) {
    let lists: std::collections::HashMap<String, Vec<String>> = form["choice_lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["name"].as_str().unwrap().to_string(),
                l["choices"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["name"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    let mut out = serde_json::Map::new();
    for q in form["items"].as_array().unwrap() {
        let name = q["name"].as_str().unwrap();
        // About 4% of answers are skipped.
        if r.below(25) == 0 && name != "worker_group" && name != "region" {
            continue;
        }
        let v = match &q["kind"] {
            Value::String(k) if k == "select_one" => {
                let l = &lists[q["choices"].as_str().unwrap()];
                // Skewed towards the first choices, like real answers.
                let i = (r.below(l.len() as u64) + r.below(l.len() as u64)) as usize / 2;
                l[i].clone()
            }
            Value::String(k) if k == "select_multiple" => {
                let l = &lists[q["choices"].as_str().unwrap()];
                let mut picked: Vec<String> =
                    l.iter().filter(|_| r.below(3) == 0).cloned().collect();
                if r.below(20) == 0 {
                    picked.push("other".into());
                    // "Other" takes its "please specify" text.
                    out.insert(format!("{name}_other"), Value::String("网约车".into()));
                }
                if picked.is_empty() {
                    picked.push(l[0].clone());
                }
                picked.join(" ")
            }
            Value::String(k) if k == "integer" => (16 + r.below(45)).to_string(),
            Value::String(k) if k == "decimal" => format!("{}.{}", 4 + r.below(10), r.below(10)),
            Value::String(k) if k == "date" => format!(
                "20{:02}-{:02}-{:02}",
                10 + r.below(16),
                1 + r.below(12),
                1 + r.below(28)
            ),
            Value::String(k) if k == "text" => (*r.pick(&[
                "希望多建骑手驿站",
                "社保缴费太贵",
                "",
                "平台抽成太高",
                "夏天太热，需要休息的地方",
            ]))
            .to_string(),
            _ => (1 + r.below(5)).to_string(),
        };
        if !v.is_empty() {
            out.insert(name.to_string(), Value::String(v));
        }
    }
    let g = out["worker_group"].as_str().unwrap().to_string();
    let region = out["region"].as_str().unwrap().to_string();
    (Value::Object(out), g, region)
}

/// A federation, a user and the form published as a survey: (org, survey, version).
pub async fn setup(db: &Db) -> (OrgId, SurveyId, i64) {
    let f = OrgInput {
        code: Some("ACFTU".into()),
        name: Some("全国总工会".into()),
        kind: Some("federation".into()),
        ..Default::default()
    }
    .parse()
    .expect("org fields");
    let mut tx = db.begin().await.expect("begin");
    let org = orgs::insert(&mut tx, &f, None).await.expect("org");
    let user: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, password_hash, org_id, created_at, updated_at) \
         VALUES ('bench', 'bench', 'x', $1, 0, 0) RETURNING id",
    )
    .bind(org)
    .fetch_one(&mut *tx)
    .await
    .expect("user");
    let fields = SurveyInput {
        title: Some("新就业形态劳动者调查".into()),
        ..Default::default()
    }
    .parse()
    .expect("survey fields");
    let id = survey::store::insert(&mut tx, org, &fields, UserId(user))
        .await
        .expect("survey");
    tx.commit().await.expect("commit");
    let s = survey::store::get(db, &Scope::of(vec![org]), id)
        .await
        .expect("get")
        .expect("visible");
    let form = form_json::parse(form().to_string().as_bytes(), Lang::Zh).expect("form");
    let mut tx = db.begin().await.expect("begin");
    let (v, _) = survey::store::save_form(
        &mut tx,
        &s,
        &form,
        survey::FormSource::Json,
        None,
        UserId(user),
    )
    .await
    .expect("save");
    survey::store::publish(&mut tx, &s, v)
        .await
        .expect("publish");
    tx.commit().await.expect("commit");
    (org, id, v.0)
}

/// The database: a fresh one, or the one named by `--db` (an SQLite file, or a
/// database name on the PostgreSQL server), kept between runs so the
/// measurement can be repeated without generating again.
pub async fn connect(keep: Option<&str>) -> (Db, &'static str, Option<tempfile::TempDir>, String) {
    match std::env::var("QINGTING_BENCH_POSTGRES") {
        Ok(server) if !server.is_empty() => {
            let server = server.trim_end_matches('/').to_string();
            let name = keep
                .map(String::from)
                .unwrap_or_else(|| format!("qt_bench_{}", qingting::auth::random_token(6)));
            let admin = Db::connect(&format!("{server}/postgres"), 1)
                .await
                .expect("connect");
            // Fails harmlessly when a kept database exists.
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(admin.pool())
                .await;
            admin.close().await;
            let url = format!("{server}/{name}");
            let db = Db::connect(&url, 4).await.expect("connect");
            (db, "PostgreSQL", None, name)
        }
        _ => {
            let (dir, path) = match keep {
                Some(p) => (None, std::path::PathBuf::from(p)),
                None => {
                    let dir = tempfile::tempdir().expect("temp dir");
                    let path = dir.path().join("bench.db");
                    (Some(dir), path)
                }
            };
            let db = Db::connect(&sqlite_url(&path), 4).await.expect("connect");
            (db, "SQLite", dir, path.display().to_string())
        }
    }
}
