//! Summary tables over 50,000 activities and 200,000 problems: one unit's
//! table, the district's roll-up over 200 units, and the roll-up workbook
//! (every unit's table computed and written as XLSX). Run with `cargo bench --bench summaries` (SQLite) or
//! `QINGTING_BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432 cargo bench
//! --bench summaries` (a fresh database on that server). Options:
//! `-- --problems N --units N --runs N`.
//!
//! The data is generated straight into the tables (deterministic): a district
//! with 200 participating street unions, 4 grassroots unions under each;
//! activities with 1–2 of 5,000 enterprises, a fifth of them symposiums;
//! problems over every outcome and source, 8% escalated to the district.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use indicatif::{ProgressBar, ProgressStyle};
use qingting::{
    auth::Scope,
    campaign::{self, Campaign},
    db::{CampaignId, Db, OrgId, sqlite_url},
    demo::Lcg,
    org::{OrgInput, store as orgs},
    problem::Source,
    summary::{
        LineFigures,
        store::{self as summaries, Choices, Lines},
    },
};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn org(tx: &mut qingting::db::Tx, code: &str, kind: &str, parent: Option<OrgId>) -> OrgId {
    let f = OrgInput {
        code: Some(code.into()),
        name: Some(format!("{code}工会")),
        kind: Some(kind.into()),
        ..Default::default()
    }
    .parse()
    .expect("org fields");
    orgs::insert(tx, &f, parent).await.expect("org")
}

async fn exec(tx: &mut qingting::db::Tx, sql: String) {
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut **tx)
        .await
        .expect("insert");
}

/// Generates the data; the district, its units and the campaign.
async fn generate(db: &Db, n_problems: usize, n_units: usize) -> (OrgId, Vec<OrgId>, CampaignId) {
    let mut tx = db.begin().await.expect("begin");
    let district = org(&mut tx, "D", "federation", None).await;
    let mut units = Vec::new();
    let mut recorders = Vec::new();
    let bar = ProgressBar::new(n_units as u64).with_style(
        ProgressStyle::with_template("orgs {bar:40} {pos}/{len} units").expect("style"),
    );
    for u in 0..n_units {
        let unit = org(&mut tx, &format!("U{u:03}"), "street", Some(district)).await;
        units.push(unit);
        recorders.push(unit);
        for g in 0..4 {
            recorders.push(org(&mut tx, &format!("U{u:03}G{g}"), "grassroots", Some(unit)).await);
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let campaign: i64 = sqlx::query_scalar(
        "INSERT INTO campaigns (org_id, title, doc_number, starts_on, ends_on, report_due_on, status, created_at, updated_at) \
         VALUES ($1, '大走访、大调解、大服务', '杨工〔2019〕28号', '2019-10-21', '2019-11-15', '2019-11-15', 'active', 0, 0) RETURNING id",
    )
    .bind(district)
    .fetch_one(&mut *tx)
    .await
    .expect("campaign");
    for chunk in units.chunks(500) {
        let values: Vec<String> = chunk.iter().map(|u| format!("({campaign}, {u})")).collect();
        exec(
            &mut tx,
            format!(
                "INSERT INTO campaign_units (campaign_id, org_id) VALUES {}",
                values.join(",")
            ),
        )
        .await;
    }
    for chunk in 0..10 {
        let values: Vec<String> = (0..500)
            .map(|k| {
                let i = chunk * 500 + k;
                format!("({district}, '企业{i}', 'C{i:017}', 'e{i}', 0, 0)")
            })
            .collect();
        exec(
            &mut tx,
            format!(
                "INSERT INTO enterprises (org_id, name, credit_code, sort_key, created_at, updated_at) VALUES {}",
                values.join(",")
            ),
        )
        .await;
    }
    let first_enterprise: i64 = sqlx::query_scalar("SELECT MIN(id) FROM enterprises")
        .fetch_one(&mut *tx)
        .await
        .expect("enterprises");
    let mut rng = Lcg::new(11);
    let n_activities = n_problems / 4;
    let bar = ProgressBar::new((n_activities + n_problems) as u64)
        .with_style(ProgressStyle::with_template("records {bar:40} {pos}/{len}").expect("style"));
    for chunk in 0..n_activities.div_ceil(500) {
        let mut acts = Vec::new();
        let mut links = Vec::new();
        for k in 0..500 {
            let i = chunk * 500 + k;
            if i >= n_activities {
                break;
            }
            let org = recorders[rng.below(recorders.len() as u64) as usize];
            let symposium = rng.below(5) == 0;
            let (kind, participants) = if symposium {
                ("symposium", 8 + rng.below(20))
            } else {
                ("enterprise_visit", 0)
            };
            acts.push(format!(
                "('a{i}', {campaign}, {org}, '{kind}', '2019-11-{:02}', {}, {participants}, 0, 0)",
                1 + rng.below(15),
                rng.below(12)
            ));
            let e = first_enterprise + rng.below(5000) as i64;
            links.push(format!("({}, {e}, {org})", i + 1));
            if rng.below(3) == 0 {
                let e2 = first_enterprise + rng.below(5000) as i64;
                if e2 != e {
                    links.push(format!("({}, {e2}, {org})", i + 1));
                }
            }
        }
        exec(
            &mut tx,
            format!(
                "INSERT INTO activities (client_id, campaign_id, org_id, kind, held_on, workers_interviewed, participants, created_at, updated_at) VALUES {}",
                acts.join(",")
            ),
        )
        .await;
        exec(
            &mut tx,
            format!(
                "INSERT INTO activity_enterprises (activity_id, enterprise_id, org_id) VALUES {}",
                links.join(",")
            ),
        )
        .await;
        bar.inc(acts.len() as u64);
    }
    let outcomes = [
        ("open", "NULL", "NULL"),
        ("decided", "'solved'", "'2019-11-10'"),
        ("decided", "'in_progress'", "'2019-12-31'"),
        ("decided", "'planned'", "'2030-06-30'"),
        ("decided", "'reference'", "NULL"),
        ("closed", "'solved'", "'2019-11-12'"),
    ];
    for chunk in 0..n_problems.div_ceil(500) {
        let mut rows = Vec::new();
        for k in 0..500 {
            let i = chunk * 500 + k;
            if i >= n_problems {
                break;
            }
            let org = recorders[rng.below(recorders.len() as u64) as usize];
            let escalated = rng.below(100) < 8;
            let owner = if escalated { district } else { org };
            let (state, outcome, on) = outcomes[rng.below(outcomes.len() as u64) as usize];
            let source = Source::ALL[rng.below(3) as usize].as_str();
            rows.push(format!(
                "('p{i}', {org}, {owner}, {campaign}, {}, '{source}', {}, '问题{i}', '{state}', {outcome}, {on}, {}, {}, {}, {}, {})",
                1 + rng.below(n_activities as u64),
                1 + rng.below(7),
                if outcome == "'solved'" { "'已解决'" } else { "NULL" },
                i64::from(escalated),
                i64::from(rng.below(20) == 0),
                1_572_000_000 + i as i64,
                1_572_000_000 + i as i64
            ));
        }
        exec(
            &mut tx,
            format!(
                "INSERT INTO problems (client_id, org_id, owner_org_id, campaign_id, activity_id, source, topic_id, \
                 description, state, outcome, outcome_on, outcome_note, escalated, is_main, created_at, updated_at) VALUES {}",
                rows.join(",")
            ),
        )
        .await;
        bar.inc(rows.len() as u64);
    }
    tx.commit().await.expect("commit");
    bar.finish_and_clear();
    sqlx::query("ANALYZE")
        .execute(db.pool())
        .await
        .expect("analyze");
    (district, units, CampaignId(campaign))
}

/// Median and slowest of `runs` timings of `f`.
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

async fn connect() -> (Db, &'static str, Option<tempfile::TempDir>) {
    match std::env::var("QINGTING_BENCH_POSTGRES") {
        Ok(server) if !server.is_empty() => {
            let server = server.trim_end_matches('/').to_string();
            let name = format!("qt_bench_{}", qingting::auth::random_token(6));
            let admin = Db::connect(&format!("{server}/postgres"), 1)
                .await
                .expect("connect");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(admin.pool())
                .await
                .expect("create database");
            admin.close().await;
            let db = Db::connect(&format!("{server}/{name}"), 4)
                .await
                .expect("connect");
            (db, "PostgreSQL", None)
        }
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            // QINGTING_BENCH_KEEP=DIR keeps the database there for a closer look.
            let path = match std::env::var("QINGTING_BENCH_KEEP") {
                Ok(keep) if !keep.is_empty() => std::path::PathBuf::from(keep).join("bench.db"),
                _ => dir.path().join("bench.db"),
            };
            let db = Db::connect(&sqlite_url(&path), 4).await.expect("connect");
            (db, "SQLite", Some(dir))
        }
    }
}

#[tokio::main]
async fn main() {
    let n = arg("--problems", 200_000);
    let n_units = arg("--units", 200);
    let runs = arg("--runs", 7);
    let (db, backend, _dir) = connect().await;
    db.migrate().await.expect("migrate");
    let t = Instant::now();
    let (district, units, id) = generate(&db, n, n_units).await;
    println!(
        "{backend}: generated {n} problems and {} activities over {} units in {:.1} s",
        n / 4,
        units.len(),
        t.elapsed().as_secs_f64()
    );
    let scope = Scope::of(vec![district]);
    let c: Campaign = campaign::store::get(&db, &scope, id)
        .await
        .expect("campaign")
        .expect("visible");
    let unit_rows = campaign::store::units(&db, id, None).await.expect("units");
    let one = unit_rows[0].clone();

    let (median, max) = measure(runs, || async {
        let t = summaries::compute(
            &db,
            &scope,
            &c,
            (one.org_id, &one.code, &one.name),
            &Choices::default(),
        )
        .await
        .expect("table");
        assert!(t.figures[1].computed > 0);
    })
    .await;
    println!(
        "one unit's table (6 figures, main problems, escalated lines): median {:.1} ms, max {:.1} ms",
        median.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    );

    let (median, max) = measure(runs, || async {
        let ids: Vec<OrgId> = unit_rows.iter().map(|u| u.org_id).collect();
        let nested = summaries::nested(&db, &ids).await.expect("nested");
        let lines = Lines {
            units: ids.into_iter().filter(|u| !nested.contains(u)).collect(),
            own: Some(district),
        };
        let figs = summaries::figures(&db, &scope, id, &lines)
            .await
            .expect("figures");
        let records = summaries::records(&db, id).await.expect("records");
        assert_eq!(figs.len(), unit_rows.len() + 1);
        let _ = records;
    })
    .await;
    println!(
        "district roll-up over {} units (completeness and live figures): median {:.1} ms, max {:.1} ms",
        unit_rows.len(),
        median.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    );

    let (median, max) = measure(runs.min(3), || async {
        let refs: Vec<summaries::UnitRef> = unit_rows
            .iter()
            .map(|u| (u.org_id, u.code.as_str(), u.name.as_str()))
            .collect();
        let tables = summaries::tables(&db, &scope, &c, &refs, &HashMap::new())
            .await
            .expect("tables");
        let ids: Vec<OrgId> = unit_rows.iter().map(|u| u.org_id).collect();
        let figs = summaries::unit_figures(&db, &scope, id, &ids)
            .await
            .expect("figures");
        assert_eq!(tables.len(), unit_rows.len());
        let mut total = LineFigures::default();
        for f in figs.values() {
            total.add(f);
        }
        let totals =
            summaries::totals_table(summaries::head(&c, district, "D", "区总工会"), &total);
        let book =
            qingting::summary::export::xlsx::rollup_workbook(&qingting::summary::export::Rollup {
                totals,
                units: tables,
                own: None,
                notes: Vec::new(),
            })
            .expect("workbook");
        assert!(book.len() > 10_000);
    })
    .await;
    println!(
        "the roll-up workbook ({} unit tables computed, plus totals, written as XLSX): median {:.0} ms, max {:.0} ms",
        unit_rows.len(),
        median.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    );
    db.close().await;
}
