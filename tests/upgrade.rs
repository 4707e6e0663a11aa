//! Upgrades: each demo database in tests/fixtures/upgrade/ was made by an
//! earlier commit (scripts/make-upgrade-fixture). This binary migrates it and
//! reads its records back through the HTTP API as a demo user.

use std::{io::Read, path::Path};

use qingting::{config::Settings, db::Db, startup::Application};
use reqwest::{Client, StatusCode, redirect::Policy};
use serde_json::Value;

fn fixtures() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upgrade");
    let mut found: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".sqlite.gz"))
        .collect();
    found.sort();
    found
}

/// Unpacks a fixture as the data dir's database and returns its facts.
fn unpack(gz: &Path, data_dir: &Path) -> Value {
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(gz).unwrap())
        .read_to_end(&mut bytes)
        .unwrap();
    std::fs::write(data_dir.join("qingting.db"), bytes).unwrap();
    let json = gz.to_string_lossy().replace(".sqlite.gz", ".json");
    serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap()
}

async fn get(client: &Client, base: &str, path: &str) -> Value {
    let res = client.get(format!("{base}{path}")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "GET {path}");
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_demo_database_of_an_earlier_commit_migrates_and_reads_back() {
    let fixtures = fixtures();
    assert!(
        !fixtures.is_empty(),
        "no fixture: run scripts/make-upgrade-fixture"
    );
    for gz in fixtures {
        let dir = tempfile::tempdir().unwrap();
        let facts = unpack(&gz, dir.path());
        let mut s = Settings {
            data_dir: dir.path().to_path_buf(),
            ..Default::default()
        };
        s.server.bind = "127.0.0.1:0".into();
        s.reminders.sweep_interval_minutes = 0;
        s.mail.poll_seconds = 0;
        s.robots.poll_seconds = 0;

        let before = Db::connect(&s.database_url(), 1).await.unwrap();
        assert_eq!(
            before.schema_version().await.unwrap(),
            facts["schema_version"].as_i64(),
            "{}",
            gz.display()
        );
        assert!(facts["schema_version"].as_i64().unwrap() < before.known_schema_version());
        before.close().await;

        let app = Application::build(s)
            .await
            .expect("the current binary migrates it");
        let db = app.db.clone();
        let base = format!("http://{}", app.addr);
        tokio::spawn(app.run());
        assert_eq!(
            db.schema_version().await.unwrap(),
            Some(db.known_schema_version())
        );
        for (table, n) in facts["counts"].as_object().unwrap() {
            let rows: i64 =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                    .fetch_one(db.pool())
                    .await
                    .unwrap();
            assert_eq!(Some(rows), n.as_i64(), "rows of {table} after migrating");
        }

        let client = Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .unwrap();
        let user = facts["user"].as_str().unwrap();
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
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{user} logs in");

        let org = &facts["org"];
        let got = get(&client, &base, &format!("/api/v1/orgs/{}", org["id"])).await;
        assert_eq!(got["code"], org["code"]);
        assert_eq!(got["name"], org["name"]);
        let campaign = &facts["campaign"];
        let got = get(
            &client,
            &base,
            &format!("/api/v1/campaigns/{}", campaign["id"]),
        )
        .await;
        assert_eq!(got["campaign"]["title"], campaign["title"]);
        let problem = &facts["problem"];
        let got = get(
            &client,
            &base,
            &format!("/api/v1/problems/{}", problem["id"]),
        )
        .await;
        assert_eq!(got["state"]["state"], problem["state"], "{got}");
        db.close().await;
    }
}
