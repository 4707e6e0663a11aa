//! Questionnaire analysis over 1,000,000 responses to a 30-question form:
//! frequencies of every question plus one cross-tab, as the analysis page
//! and `/api/v1/surveys/{id}/analysis` compute them (the coded copies scanned
//! in chunks), and the peak memory of the process while doing it.
//!
//! Run with `cargo bench --bench survey_analysis` (SQLite) or
//! `QINGTING_BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432 cargo bench
//! --bench survey_analysis` (a fresh database on that server). Options:
//! `-- --responses N --runs N`.
//!
//! The responses are generated straight into `survey_responses`
//! (deterministic, 95% valid, over 60 days, four worker groups, eight
//! provinces); their coded copies are then written by the lazy back-fill
//! (`analysis::store::backfill`), which is timed too.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use qingting::{
    auth::Scope,
    db::{Db, OrgId, SurveyId, UserId, sqlite_url},
    demo::Lcg,
    i18n::Lang,
    org::{OrgInput, store as orgs},
    survey::{
        self, SurveyInput,
        analysis::{self, AnalysisQuery, Filter, store as astore},
        form_json,
    },
};
use serde_json::{Value, json};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn list(name: &str, choices: &[&str]) -> Value {
    json!({"name": name, "choices": choices.iter().map(|c| json!({"name": c, "label": c})).collect::<Vec<_>>()})
}

/// The form: 31 questions of every analysed kind (the shape of seed 002's survey).
fn form() -> Value {
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
fn answers(r: &mut Lcg, form: &Value) -> (Value, String, String) {
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

async fn setup(db: &Db) -> (OrgId, SurveyId, i64) {
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
    let (v, _) = survey::store::save_form(&mut tx, &s, &form, "json", None, UserId(user))
        .await
        .expect("save");
    survey::store::publish(&mut tx, &s, v)
        .await
        .expect("publish");
    tx.commit().await.expect("commit");
    (org, id, v.0)
}

async fn generate(db: &Db, org: OrgId, survey: SurveyId, version: i64, n: usize) {
    let form = form();
    let mut r = Lcg::new(2019);
    let bar = ProgressBar::new(n as u64).with_style(
        ProgressStyle::with_template("responses {bar:40} {pos}/{len} {per_sec}").expect("style"),
    );
    let start = 1_790_000_000i64;
    let mut done = 0;
    while done < n {
        let mut tx = db.begin().await.expect("begin");
        for _ in 0..20 {
            let batch = 500.min(n - done);
            if batch == 0 {
                break;
            }
            let mut rows = Vec::with_capacity(batch);
            for i in 0..batch {
                let k = done + i;
                let (a, g, region) = answers(&mut r, &form);
                let valid = i64::from(r.below(20) != 0);
                let t = start + (k as i64 * 60 * 86_400) / n as i64;
                rows.push(format!(
                    "({survey}, {version}, {org}, 'bench-{k:08}', '{}', 'zh-CN', '{g}', '{region}', {t}, {valid})",
                    a.to_string().replace('\'', "''")
                ));
            }
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO survey_responses (survey_id, version_id, org_id, instance_id, answers, lang, \
                 worker_group, region, submitted_at, valid) VALUES {}",
                rows.join(",")
            )))
            .execute(&mut *tx)
            .await
            .expect("insert");
            done += batch;
            bar.inc(batch as u64);
        }
        tx.commit().await.expect("commit");
    }
    bar.finish_and_clear();
}

/// Peak resident memory of this process in MB (VmHWM).
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

async fn measure<F, Fut>(runs: usize, mut f: F) -> (Duration, Duration)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        f().await;
        times.push(t.elapsed());
    }
    times.sort();
    (times[times.len() / 2], times[times.len() - 1])
}

/// The database: a fresh one, or the one named by `--db` (an SQLite file, or a
/// database name on the PostgreSQL server), kept between runs so the
/// measurement can be repeated without generating again.
async fn connect(keep: Option<&str>) -> (Db, &'static str, Option<tempfile::TempDir>, String) {
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

fn sarg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

#[tokio::main]
async fn main() {
    let n = arg("--responses", 1_000_000);
    let runs = arg("--runs", 7);
    let measure_only = std::env::args().any(|a| a == "--measure");
    let keep = sarg("--db");
    let (db, backend, dir, name) = connect(keep.as_deref()).await;
    if measure_only {
        measure_all(&db, runs).await;
        return;
    }
    db.migrate().await.expect("migrate");
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM survey_responses")
        .fetch_one(db.pool())
        .await
        .expect("count");
    if existing == 0 {
        let (org, id, version) = setup(&db).await;
        let t = Instant::now();
        generate(&db, org, id, version, n).await;
        println!(
            "{backend}: generated {n} responses in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let forms = astore::forms(&db, id).await.expect("forms");
        let t = Instant::now();
        let bar = ProgressBar::new(n as u64).with_style(
            ProgressStyle::with_template("coding {bar:40} {pos}/{len} {per_sec}").expect("style"),
        );
        let coded = astore::backfill(&db, id, &forms, |k| bar.set_position(k))
            .await
            .expect("backfill");
        bar.finish_and_clear();
        println!(
            "back-fill of coded copies: {coded} responses in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        if backend == "PostgreSQL" {
            sqlx::query("VACUUM ANALYZE")
                .execute(db.pool())
                .await
                .expect("vacuum");
        } else {
            sqlx::query("ANALYZE")
                .execute(db.pool())
                .await
                .expect("analyze");
        }
    } else {
        println!("{backend}: reusing {existing} responses in {name}");
    }
    db.close().await;
    // The measurement runs in a fresh process, so its peak memory is the
    // analysis's (as a server's would be), not the generator's.
    let mut child = std::process::Command::new(std::env::current_exe().expect("exe"));
    child.args(["--measure", "--db", &name, "--runs", &runs.to_string()]);
    let status = child.status().expect("measure");
    assert!(status.success());
    drop(dir);
}

/// Times the analysis the page runs, three ways, in this process.
async fn measure_all(db: &Db, runs: usize) {
    let (org, id): (i64, i64) =
        sqlx::query_as("SELECT org_id, id FROM surveys ORDER BY id LIMIT 1")
            .fetch_one(db.pool())
            .await
            .expect("survey");
    let s = survey::store::get(db, &Scope::of(vec![OrgId(org)]), SurveyId(id))
        .await
        .expect("get")
        .expect("visible");
    println!("process before measuring: RSS {:.0} MB", peak_rss_mb());
    let forms = astore::forms(db, s.id).await.expect("forms");
    let (median, _) = measure(runs, || async {
        astore::ensure_coded(db, s.id, &forms).await.expect("check");
    })
    .await;
    println!(
        "  the check that every response is coded: median {:.1} ms",
        median.as_secs_f64() * 1e3
    );

    for (what, q) in [
        (
            "every question + cross-tab income × worker group (valid only)",
            AnalysisQuery {
                row: Some("income".into()),
                by: Some("worker_group".into()),
                ..Default::default()
            },
        ),
        (
            "every question + cross-tab needs (multiple) × region (valid only)",
            AnalysisQuery {
                row: Some("needs".into()),
                by: Some("region".into()),
                ..Default::default()
            },
        ),
        (
            "every question + cross-tab income × income_change, one group, one month",
            AnalysisQuery {
                row: Some("income".into()),
                by: Some("income_change".into()),
                group: Some("courier".into()),
                from: Some("2026-09-22".into()),
                to: Some("2026-10-21".into()),
                ..Default::default()
            },
        ),
    ] {
        let f: Filter = q.filter().expect("filter");
        let responses = std::cell::Cell::new(0);
        let (median, max) = measure(runs, || async {
            let a = analysis::analyse(db, &s, &f, &q, Lang::Zh)
                .await
                .expect("analysis")
                .expect("query");
            assert!(a.crosstab.is_some());
            assert_eq!(a.questions.len(), 31);
            responses.set(a.responses);
        })
        .await;
        println!(
            "{what}: {} responses counted, median {:.0} ms, max {:.0} ms over {runs} runs; peak RSS {:.0} MB",
            responses.get(),
            median.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            peak_rss_mb(),
        );
    }
    // Where the time goes (after the runs above, whose peak memory this
    // would otherwise inflate: it keeps every chunk).
    let f = Filter::default();
    let (median, _) = measure(runs, || async {
        astore::chunks(db, s.id, &f, |_| {}).await.expect("chunks");
    })
    .await;
    println!(
        "  reading the coded lines of the valid responses (no counting): median {:.0} ms",
        median.as_secs_f64() * 1e3
    );
    let mut all = Vec::new();
    astore::chunks(db, s.id, &f, |c| all.push(c.to_string()))
        .await
        .expect("chunks");
    let book = astore::codebook(&forms);
    let (median, _) = measure(runs, || async {
        let mut t = analysis::tally::Tally::new(&book, None);
        for c in &all {
            t.add_chunk(c);
        }
        assert!(t.total > 0);
    })
    .await;
    println!(
        "  counting them in memory (every question, no cross-tab): median {:.0} ms",
        median.as_secs_f64() * 1e3
    );
    drop(all);
}
