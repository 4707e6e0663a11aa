//! `qingting move` and the schema-version guards. The deployment moved is the
//! upgrade fixture (an earlier commit's demo, migrated to this binary's schema)
//! with one org moved under a newer one, so a row refers to a later id.
//! With QINGTING_TEST_POSTGRES set (a server URL) the copy goes SQLite →
//! PostgreSQL → SQLite; without it, SQLite → SQLite.

use std::{io::Read, path::Path};

use indicatif::ProgressBar;
use qingting::{
    config::Settings,
    db::{Db, OrgId, copy},
    org::{OrgInput, store as orgs},
    startup::Application,
};
use reqwest::{Client, StatusCode, redirect::Policy};
use serde_json::{Value, json};

/// A new, empty PostgreSQL database's URL, if a server is configured.
async fn fresh_postgres() -> Option<String> {
    let server = std::env::var("QINGTING_TEST_POSTGRES").ok()?;
    if server.is_empty() {
        return None;
    }
    let server = server.trim_end_matches('/');
    let name = format!("qt_test_{}", qingting::auth::random_token(8).to_lowercase());
    let admin = Db::connect(&format!("{server}/postgres"), 1).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(admin.pool())
        .await
        .unwrap();
    admin.close().await;
    Some(format!("{server}/{name}"))
}

fn sqlite(dir: &Path, file: &str) -> String {
    qingting::db::sqlite_url(&dir.join(file))
}

/// The fixture, migrated, in `dir/qingting.db`; returns its facts.
async fn deployment(dir: &Path) -> (Db, Value) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upgrade");
    let mut gz: Vec<_> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".sqlite.gz"))
        .collect();
    gz.sort();
    let gz = gz.pop().expect("an upgrade fixture");
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&gz).unwrap())
        .read_to_end(&mut bytes)
        .unwrap();
    std::fs::write(dir.join("qingting.db"), bytes).unwrap();
    let facts: Value = serde_json::from_str(
        &std::fs::read_to_string(gz.to_string_lossy().replace(".sqlite.gz", ".json")).unwrap(),
    )
    .unwrap();
    let db = Db::connect(&sqlite(dir, "qingting.db"), 2).await.unwrap();
    db.migrate().await.unwrap();
    // An older org moved under a newer one: its parent_id is a later id.
    let root = OrgId(facts["org"]["id"].as_i64().unwrap());
    let f = OrgInput {
        code: Some("MOVEDUNDER".into()),
        name: Some("后建的上级".into()),
        kind: Some("street".into()),
        ..Default::default()
    }
    .parse()
    .unwrap();
    let mut tx = db.begin().await.unwrap();
    let newer = orgs::insert(&mut tx, &f, Some(root)).await.unwrap();
    let older: OrgId = sqlx::query_scalar(
        "SELECT id FROM orgs WHERE kind NOT IN ('federation', 'department') AND id < $1 \
         AND id NOT IN (SELECT parent_id FROM orgs WHERE parent_id IS NOT NULL) ORDER BY id LIMIT 1",
    )
    .bind(newer)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    orgs::move_to(&mut tx, older, newer).await.unwrap();
    tx.commit().await.unwrap();
    (db, facts)
}

fn assert_all_match(report: &copy::CopyReport) {
    assert!(report.committed);
    assert!(report.tables.len() > 40, "every table is copied");
    for t in &report.tables {
        assert!(t.matches(), "{t:?}");
    }
    assert!(report.rows() > 1000);
}

/// Starts the app on `url` with `data_dir` and returns its base URL.
async fn serve(url: &str, data_dir: &Path) -> String {
    let mut s = Settings {
        data_dir: data_dir.to_path_buf(),
        ..Default::default()
    };
    s.database.url = url.to_string();
    s.server.bind = "127.0.0.1:0".into();
    s.reminders.sweep_interval_minutes = 0;
    s.mail.poll_seconds = 0;
    s.robots.poll_seconds = 0;
    let app = Application::build(s).await.unwrap();
    let base = format!("http://{}", app.addr);
    tokio::spawn(app.run());
    base
}

async fn login(base: &str, user: &str) -> Client {
    let client = Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap();
    let res = client
        .post(format!("{base}/login"))
        .form(&[
            ("username", user),
            ("password", qingting::demo::DEMO_PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    client
}

#[tokio::test]
async fn a_deployment_moves_and_comes_back_with_the_same_checksums() {
    let dir = tempfile::tempdir().unwrap();
    let (source, facts) = deployment(dir.path()).await;
    let original = copy::checksums(&source).await.unwrap();
    let bar = ProgressBar::hidden();

    let target_url = match fresh_postgres().await {
        Some(url) => url,
        None => sqlite(dir.path(), "moved.db"),
    };
    let target = Db::connect(&target_url, 2).await.unwrap();
    // A target already migrated holds the seeded topic list: still empty.
    target.migrate().await.unwrap();
    let report = copy::copy(&source, &target, &bar).await.unwrap();
    assert_all_match(&report);
    if target.backend() == qingting::db::Backend::Postgres {
        assert!(
            report.sequences.iter().any(|s| s == "orgs.id"),
            "{:?}",
            report.sequences
        );
    }
    assert_eq!(copy::checksums(&target).await.unwrap(), original);

    // And back into a new SQLite file, through the same code.
    let back = Db::connect(&sqlite(dir.path(), "back.db"), 2)
        .await
        .unwrap();
    let report = copy::copy(&target, &back, &bar).await.unwrap();
    assert_all_match(&report);
    assert_eq!(copy::checksums(&back).await.unwrap(), original);
    back.close().await;
    target.close().await;

    // The app runs on the target: records read back, and a new record takes
    // an id past the copied ones.
    let base = serve(&target_url, dir.path()).await;
    let client = login(&base, facts["user"].as_str().unwrap()).await;
    let org = &facts["org"];
    let res = client
        .get(format!("{base}/api/v1/orgs/{}", org["id"]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let got: Value = res.json().await.unwrap();
    assert_eq!(got["name"], org["name"]);
    let res = client
        .get(format!("{base}/api/v1/problems/{}", facts["problem"]["id"]))
        .send()
        .await
        .unwrap();
    let got: Value = res.json().await.unwrap();
    assert_eq!(got["state"]["state"], facts["problem"]["state"], "{got}");
    let max: i64 = sqlx::query_scalar("SELECT MAX(id) FROM orgs")
        .fetch_one(source.pool())
        .await
        .unwrap();
    let res = client
        .post(format!("{base}/api/v1/orgs"))
        .header("origin", &base)
        .json(&json!({"parent_code": org["code"], "code": "AFTERMOVE", "name": "搬家后新建", "kind": "street"}))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let created: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(created["id"].as_i64().unwrap() > max, "{created}");
    source.close().await;
}

#[tokio::test]
async fn a_target_with_data_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let (source, _) = deployment(dir.path()).await;
    let target_url = match fresh_postgres().await {
        Some(url) => url,
        None => sqlite(dir.path(), "busy.db"),
    };
    let target = Db::connect(&target_url, 2).await.unwrap();
    target.migrate().await.unwrap();
    let mut tx = target.begin().await.unwrap();
    let f = OrgInput {
        code: Some("THERE".into()),
        name: Some("已有数据".into()),
        kind: Some("federation".into()),
        ..Default::default()
    }
    .parse()
    .unwrap();
    orgs::insert(&mut tx, &f, None).await.unwrap();
    tx.commit().await.unwrap();
    let err = copy::copy(&source, &target, &ProgressBar::hidden())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("not empty: table org"), "{err}");

    // An edited seed row counts as data too.
    let other = Db::connect(&sqlite(dir.path(), "edited.db"), 1)
        .await
        .unwrap();
    other.migrate().await.unwrap();
    sqlx::query("UPDATE topics SET name_en = 'Wages (edited)' WHERE id = 1")
        .execute(other.pool())
        .await
        .unwrap();
    let err = copy::copy(&source, &other, &ProgressBar::hidden())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("table topics"), "{err}");
}

#[tokio::test]
async fn a_source_behind_this_binary_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let source = Db::connect(&sqlite(dir.path(), "old.db"), 1).await.unwrap();
    source.migrate().await.unwrap();
    let known = source.known_schema_version();
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = $1")
        .bind(known)
        .execute(source.pool())
        .await
        .unwrap();
    let target = Db::connect(&sqlite(dir.path(), "new.db"), 1).await.unwrap();
    let err = copy::copy(&source, &target, &ProgressBar::hidden())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("run `qingting migrate`"), "{err}");
    assert!(err.contains(&format!("version {}", known - 1)), "{err}");
}

#[tokio::test]
async fn a_database_from_a_newer_binary_is_refused_naming_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    let url = match fresh_postgres().await {
        Some(url) => url,
        None => sqlite(dir.path(), "future.db"),
    };
    let db = Db::connect(&url, 1).await.unwrap();
    db.migrate().await.unwrap();
    let known = db.known_schema_version();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ($1, 'from the future', $2, $3, 0)",
    )
    .bind(known + 4)
    .bind(true)
    .bind(vec![0u8; 48])
    .execute(db.pool())
    .await
    .unwrap();
    let err = db.migrate().await.unwrap_err().to_string();
    assert!(
        err.contains(&format!(
            "schema version {} (applied by a newer Qingting)",
            known + 4
        )),
        "{err}"
    );
    assert!(err.contains(&format!("knows up to {known}")), "{err}");
    assert!(err.contains(env!("CARGO_PKG_VERSION")), "{err}");
    db.close().await;

    let mut s = Settings {
        data_dir: dir.path().to_path_buf(),
        ..Default::default()
    };
    s.database.url = url;
    s.server.bind = "127.0.0.1:0".into();
    let err = Application::build(s)
        .await
        .err()
        .expect("the server refuses to start");
    assert!(err.to_string().contains("newer Qingting"), "{err}");
}

#[test]
fn the_command_copies_prints_the_table_and_refuses_a_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (db, facts) = deployment(dir.path()).await;
        // An attachment whose file never reached the data dir is reported.
        sqlx::query(
            "INSERT INTO attachments (org_id, owner_kind, owner_id, filename, mime, size_bytes, \
             sha256, created_at) VALUES ($1, 'campaign', 1, 'lost.pdf', 'application/pdf', 3, $2, 0)",
        )
        .bind(facts["org"]["id"].as_i64())
        .bind("ab".repeat(32))
        .execute(db.pool())
        .await
        .unwrap();
        db.close().await;
    });
    let to = format!("sqlite://{}", dir.path().join("cli.db").display());
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_qingting"))
            .env_remove("QINGTING_DATABASE_URL")
            .env_remove("QINGTING_CONFIG")
            .arg("--data-dir")
            .arg(dir.path())
            .args(["move", "--to", &to])
            .output()
            .unwrap()
    };
    let out = run();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("survey_responses"), "{stdout}");
    assert!(stdout.contains("copied and verified"), "{stdout}");
    assert!(!stdout.contains(" NO\n"), "{stdout}");
    assert!(
        stdout.contains("warning: 1 attachments have no file") && stdout.contains("lost"),
        "{stdout}"
    );
    let out = run();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not empty: table"), "{stderr}");
}
