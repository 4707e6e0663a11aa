//! The problem list over 200,000 problems (and 50,000 activities) on SQLite:
//! every filter the list page offers, for the district and for one street, the
//! count and one page of 30, as `GET /problems` runs them. Run with
//! `cargo bench --bench problems` (release profile; `-- --problems N --runs N`).
//!
//! The data is generated straight into the tables (deterministic): 24 units
//! under a district, 8 grassroots unions under each, problems spread over the
//! 216 recording orgs with every outcome, 8% escalated to the district.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use qingting::{
    auth::Scope,
    db::{Db, OrgId, sqlite_url},
    demo::Lcg,
    org::{OrgInput, store as orgs},
    problem::{
        ProblemStatus, Source,
        store::{self as problems, ProblemFilter},
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

async fn org(db: &Db, code: &str, kind: &str, parent: Option<OrgId>) -> OrgId {
    let f = OrgInput {
        code: Some(code.into()),
        name: Some(format!("{code}工会")),
        kind: Some(kind.into()),
        ..Default::default()
    }
    .parse()
    .expect("org fields");
    let mut tx = db.begin().await.expect("begin");
    let id = orgs::insert(&mut tx, &f, parent).await.expect("org");
    tx.commit().await.expect("commit");
    id
}

const TEXTS: [&str; 6] = [
    "骑手在商圈等餐时没有休息的地方",
    "加班费计算方式职工不清楚",
    "希望开展工资集体协商",
    "车间夏季高温防暑措施不够",
    "快递员工伤保险缴纳不到位",
    "希望上级工会指导建立流动工会",
];

async fn generate(db: &Db, n_problems: usize) -> (OrgId, OrgId) {
    let district = org(db, "D", "federation", None).await;
    let mut recorders = Vec::new();
    let mut street = district;
    for u in 0..24 {
        let unit = org(db, &format!("U{u:02}"), "street", Some(district)).await;
        if u == 0 {
            street = unit;
        }
        recorders.push(unit);
        for g in 0..8 {
            recorders.push(org(db, &format!("U{u:02}G{g}"), "grassroots", Some(unit)).await);
        }
    }
    let mut rng = Lcg::new(7);
    let bar = ProgressBar::new(n_problems as u64).with_style(
        ProgressStyle::with_template("generating {bar:40} {pos}/{len} problems").expect("style"),
    );
    let mut tx = db.begin().await.expect("begin");
    // 50,000 activities, a quarter of the problems' count.
    for chunk in 0..(n_problems / 4).div_ceil(500) {
        let mut sql = String::from(
            "INSERT INTO activities (client_id, org_id, kind, held_on, cadres, workers_interviewed, created_at, updated_at) VALUES ",
        );
        for k in 0..500 {
            let i = chunk * 500 + k;
            let org = recorders[rng.below(recorders.len() as u64) as usize];
            let day = 1 + rng.below(28);
            sql.push_str(&format!(
                "{}('a{i}', {org}, 'enterprise_visit', '2019-11-{day:02}', '干部', 5, {}, {})",
                if k == 0 { "" } else { "," },
                1_572_000_000 + i as i64,
                1_572_000_000 + i as i64
            ));
        }
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *tx)
            .await
            .expect("activities");
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
        let mut sql = String::from(
            "INSERT INTO problems (client_id, org_id, owner_org_id, activity_id, source, topic_id, worker_group, \
             description, state, outcome, outcome_on, outcome_note, escalated, is_main, created_at, updated_at) VALUES ",
        );
        let mut path = String::from("INSERT INTO problem_orgs (problem_id, org_id) VALUES ");
        for k in 0..500 {
            let i = chunk * 500 + k;
            if i >= n_problems {
                break;
            }
            let org = recorders[rng.below(recorders.len() as u64) as usize];
            let escalated = rng.below(100) < 8;
            let owner = if escalated { district } else { org };
            let (state, outcome, on) = if escalated {
                outcomes[0]
            } else {
                outcomes[rng.below(outcomes.len() as u64) as usize]
            };
            let source = Source::ALL[rng.below(3) as usize].as_str();
            let topic = 1 + rng.below(7);
            let group = ["'food_delivery'", "'courier'", "NULL", "NULL"][rng.below(4) as usize];
            let text = TEXTS[rng.below(TEXTS.len() as u64) as usize];
            let id = i + 1;
            let sep = if k == 0 { "" } else { "," };
            sql.push_str(&format!(
                "{sep}('p{i}', {org}, {owner}, {}, '{source}', {topic}, {group}, '{text}{i}', '{state}', {outcome}, {on}, {}, {}, {}, {}, {})",
                1 + rng.below((n_problems / 4) as u64),
                if outcome == "'solved'" { "'已解决'" } else { "NULL" },
                i64::from(escalated),
                i64::from(rng.below(10) == 0),
                1_572_000_000 + i as i64,
                1_572_000_000 + i as i64
            ));
            path.push_str(&format!("{sep}({id}, {org})"));
            if escalated {
                path.push_str(&format!(",({id}, {district})"));
            }
        }
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *tx)
            .await
            .expect("problems");
        sqlx::query(sqlx::AssertSqlSafe(path))
            .execute(&mut *tx)
            .await
            .expect("paths");
        bar.inc(500);
    }
    tx.commit().await.expect("commit");
    bar.finish_and_clear();
    sqlx::query("ANALYZE")
        .execute(db.pool())
        .await
        .expect("analyze");
    (district, street)
}

#[tokio::main]
async fn main() {
    let n = arg("--problems", 200_000);
    let runs = arg("--runs", 5);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Db::connect(&sqlite_url(&dir.path().join("bench.db")), 4)
        .await
        .expect("connect");
    db.migrate().await.expect("migrate");
    let t = Instant::now();
    let (district, street) = generate(&db, n).await;
    println!(
        "generated {n} problems and {} activities in {:.1} s",
        n / 4,
        t.elapsed().as_secs_f64()
    );
    let district_scope = Scope::of(vec![district]);
    let street_scope = Scope::of(vec![street]);
    let cases: Vec<(&str, &Scope, ProblemFilter, i64)> = vec![
        (
            "district, everything, page 1",
            &district_scope,
            ProblemFilter::default(),
            0,
        ),
        (
            "district, everything, page 1,000",
            &district_scope,
            ProblemFilter::default(),
            30 * 999,
        ),
        (
            "street, everything, page 1",
            &street_scope,
            ProblemFilter::default(),
            0,
        ),
        (
            "district, open",
            &district_scope,
            ProblemFilter {
                status: Some(ProblemStatus::Open),
                ..Default::default()
            },
            0,
        ),
        (
            "district, worker + wages + riders",
            &district_scope,
            ProblemFilter {
                source: Some(Source::Worker),
                topic: Some("wages".into()),
                group: qingting::enterprise::WorkerGroup::parse("food_delivery"),
                ..Default::default()
            },
            0,
        ),
        (
            "district, in progress, overdue",
            &district_scope,
            ProblemFilter {
                status: Some(ProblemStatus::InProgress),
                overdue: true,
                ..Default::default()
            },
            0,
        ),
        (
            "district, escalated to us",
            &district_scope,
            ProblemFilter {
                escalated_to: Some(vec![district]),
                status: Some(ProblemStatus::Open),
                ..Default::default()
            },
            0,
        ),
        (
            "street, main problems",
            &street_scope,
            ProblemFilter {
                main: true,
                ..Default::default()
            },
            0,
        ),
        (
            "district, one street's subtree",
            &district_scope,
            ProblemFilter {
                org: Some(street),
                ..Default::default()
            },
            0,
        ),
        (
            "district, text 骑手 (two characters)",
            &district_scope,
            ProblemFilter {
                q: Some("骑手".into()),
                ..Default::default()
            },
            0,
        ),
        (
            "street, text 工资",
            &street_scope,
            ProblemFilter {
                q: Some("工资".into()),
                ..Default::default()
            },
            0,
        ),
    ];
    println!(
        "\n| query (count + one page of 30) | matches | best | median | worst |\n|---|---:|---:|---:|---:|"
    );
    for (name, scope, filter, offset) in cases {
        let mut times: Vec<Duration> = Vec::new();
        let mut total = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let (items, n) = problems::list(&db, scope, &filter, 30, offset)
                .await
                .expect("list");
            times.push(t.elapsed());
            total = n;
            assert!(items.len() <= 30);
        }
        times.sort();
        let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
        println!(
            "| {name} | {total} | {} | {} | {} |",
            ms(times[0]),
            ms(times[times.len() / 2]),
            ms(times[times.len() - 1])
        );
    }
}
