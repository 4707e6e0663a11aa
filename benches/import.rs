//! Importing 5,000 enterprises from an XLSX, through the same functions the
//! upload page and `POST /import/{id}/commit` use. Run with
//! `cargo bench --bench import` (release profile; `-- --rows N --runs N` to vary).
//!
//! Each run gets a fresh SQLite database in a temp dir (migrated, with a
//! federation, a street union and a grassroots union under it), then times:
//! parse (read the XLSX, map the header), validate (every row against the
//! database, nothing written), insert (one transaction, audited), and the whole
//! commit as the web handler runs it (parse + validate + insert again, on a
//! second fresh database). A GBK CSV of the same rows is parsed too.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use qingting::{
    auth::{Caller, Role},
    db::{Db, OrgId, sqlite_url},
    enterprise::CreditCode,
    i18n::Lang,
    import::{self, ImportKind, Outcome, ops::headers, store},
    org::{OrgInput, store as orgs},
    tabular::{self, Cell},
    user::{UserInput, store as users},
};

struct Setup {
    db: Db,
    caller: Caller,
    _dir: tempfile::TempDir,
}

async fn org(db: &Db, code: &str, name: &str, kind: &str, parent: Option<OrgId>) -> OrgId {
    let f = OrgInput {
        code: Some(code.into()),
        name: Some(name.into()),
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

async fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Db::connect(&sqlite_url(&dir.path().join("bench.db")), 4)
        .await
        .expect("connect");
    db.migrate().await.expect("migrate");
    let fed = org(&db, "BENCH", "上海市杨浦区总工会", "federation", None).await;
    let street = org(&db, "BENCH-ST", "定海路街道工会", "street", Some(fed)).await;
    org(
        &db,
        "BENCH-G",
        "定海路街道联合基层工会",
        "grassroots",
        Some(street),
    )
    .await;
    let new = UserInput {
        username: Some("bench".into()),
        display_name: Some("基准测试".into()),
        org_code: Some("BENCH".into()),
        password: Some("bench-password-1".into()),
        role: Some("admin".into()),
        ..Default::default()
    }
    .parse(&qingting::auth::password::Policy::default())
    .expect("user fields");
    let mut tx = db.begin().await.expect("begin");
    // The password is never checked here, so any hash will do.
    let user = users::insert(&mut tx, &new, fed, "x").await.expect("user");
    tx.commit().await.expect("commit");
    let caller = Caller {
        user_id: user,
        username: "bench".into(),
        display_name: "基准测试".into(),
        home_org: fed,
        grants: vec![(fed, Role::Admin)],
        top_admin: Some(fed),
        lang: Lang::Zh,
        ip: None,
        session: None,
    };
    Setup {
        db,
        caller,
        _dir: dir,
    }
}

const NAMES: [&str; 8] = [
    "华信", "申城", "东方", "滨江", "新江", "复兴", "杨树", "长江",
];
const TRADES: [&str; 6] = ["物流", "科技", "快递", "餐饮", "建设", "信息"];
const GROUPS: [&str; 4] = ["", "快递员", "外卖配送员、网约车司机", "货车司机"];

/// `n` valid enterprise rows in the export column order.
fn rows(n: usize) -> Vec<Vec<Cell>> {
    let bar = ProgressBar::new(n as u64).with_style(
        ProgressStyle::with_template("  generating {bar:30} {pos}/{len} rows")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let out = (0..n)
        .map(|i| {
            bar.inc(1);
            let code = CreditCode::with_check(&format!("91310110MA{i:07}")).expect("credit code");
            let union = i % 3 == 0;
            vec![
                Cell::Text(format!(
                    "上海{}{}有限公司第{i}分公司",
                    NAMES[i % NAMES.len()],
                    TRADES[i % TRADES.len()]
                )),
                Cell::Text(code.as_str().to_string()),
                Cell::Text(TRADES[i % TRADES.len()].to_string()),
                Cell::Text(format!("杨浦区平凉路{}号", i + 1)),
                Cell::Int((i % 500) as i64 + 3),
                Cell::opt(Some(GROUPS[i % GROUPS.len()])),
                Cell::Text(if union { "是" } else { "否" }.into()),
                if union {
                    Cell::Text("BENCH-G".into())
                } else {
                    Cell::Empty
                },
                Cell::Text("BENCH-ST".into()),
                Cell::Text("张三".into()),
                Cell::Text(format!("138{:08}", i)),
            ]
        })
        .collect();
    bar.finish_and_clear();
    out
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> String {
    format!("{:>8.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let n = arg("--rows", 5_000);
    let runs = arg("--runs", 3);
    let max_rows = 100_000;
    println!("import bench: {n} enterprises, {runs} runs, release build\n");
    let data = rows(n);
    let heads = headers(ImportKind::Enterprises, Lang::Zh);
    let started = Instant::now();
    let xlsx = tabular::write_xlsx("企事业单位", &heads, &data).expect("xlsx");
    let write_xlsx = started.elapsed();
    let csv = tabular::write_csv(&heads, &data);
    let csv_text = String::from_utf8(csv[3..].to_vec()).expect("utf-8");
    let (gbk, _, _) = encoding_rs::GBK.encode(&csv_text);
    println!(
        "file: {} bytes XLSX (written in {}), {} bytes GBK CSV\n",
        xlsx.len(),
        ms(write_xlsx).trim(),
        gbk.len()
    );

    let bar = ProgressBar::new(runs as u64).with_style(
        ProgressStyle::with_template("  run {pos}/{len} {bar:30} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut table = Vec::new();
    for _ in 0..runs {
        // Steps one by one, as the preview and the commit run them.
        bar.set_message("parse + validate + insert");
        let s = setup().await;
        let t = Instant::now();
        let sheet = import::read_sheet(ImportKind::Enterprises, "bench.xlsx", &xlsx, max_rows)
            .expect("parse");
        let parse = t.elapsed();
        let t = Instant::now();
        let analysis = import::validate(
            &s.db,
            &s.caller,
            ImportKind::Enterprises,
            "bench.xlsx",
            sheet,
        )
        .await
        .expect("validate");
        let validate = t.elapsed();
        assert!(
            analysis.is_clean(),
            "{:?}",
            &analysis.preview.errors[..3.min(analysis.preview.errors.len())]
        );
        let t = Instant::now();
        let Outcome::Done(done) = import::apply(&s.db, &s.caller, analysis, None)
            .await
            .expect("insert")
        else {
            panic!("rejected")
        };
        let insert = t.elapsed();
        assert_eq!(done.created, n);

        let t = Instant::now();
        import::read_sheet(ImportKind::Enterprises, "bench.csv", &gbk, max_rows).expect("csv");
        let parse_csv = t.elapsed();

        // The whole web path on a second fresh database: upload = parse +
        // validate + stage; commit = parse + validate + insert again.
        bar.set_message("upload + commit (web path)");
        let s = setup().await;
        let t = Instant::now();
        let a = import::analyse(
            &s.db,
            &s.caller,
            ImportKind::Enterprises,
            "bench.xlsx",
            &xlsx,
            max_rows,
        )
        .await
        .expect("analyse");
        assert!(a.is_clean());
        let id = store::stage(
            &s.db,
            &s.caller,
            ImportKind::Enterprises,
            "bench.xlsx",
            &xlsx,
        )
        .await
        .expect("stage");
        let upload = t.elapsed();
        let t = Instant::now();
        let Outcome::Done(done) = import::commit(&s.db, &s.caller, id, max_rows)
            .await
            .expect("commit")
        else {
            panic!("rejected")
        };
        let commit = t.elapsed();
        assert_eq!(done.created, n);
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM enterprises")
            .fetch_one(s.db.pool())
            .await
            .expect("count");
        assert_eq!(count as usize, n);
        table.push([parse, parse_csv, validate, insert, upload, commit]);
        bar.inc(1);
    }
    bar.finish_and_clear();

    let labels = [
        "parse XLSX (read + map header)",
        "parse GBK CSV",
        "validate (every row, no writes)",
        "insert (one transaction)",
        "upload page: parse+validate+stage",
        "commit page: parse+validate+insert",
    ];
    println!(
        "{:<38} {:>11} {:>11} {:>11}",
        "step", "best", "median", "worst"
    );
    for (i, label) in labels.iter().enumerate() {
        let mut v: Vec<Duration> = table.iter().map(|r| r[i]).collect();
        v.sort();
        println!(
            "{label:<38} {} {} {}",
            ms(v[0]),
            ms(v[v.len() / 2]),
            ms(v[v.len() - 1])
        );
    }
}
