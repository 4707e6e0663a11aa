//! The audit log: append-only at the database on both backends, with deletion
//! only below the retention the database records; the daily purge; the
//! export of the filtered view (itself audited) and the API, scope-enforced.

use std::io::Cursor;

use qingting::{
    audit::retention,
    auth::Role,
    config::Settings,
    db::{Backend, now},
    startup::Application,
};
use reqwest::StatusCode;

use crate::helpers::TestApp;

const DAY: i64 = 86_400;

/// Waits for the purge `serve` runs at start, so it cannot race the test's own rows.
async fn after_startup_purge(app: &TestApp) {
    for _ in 0..200 {
        let updated: i64 = sqlx::query_scalar("SELECT updated_at FROM audit_policy")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        if updated > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the purge did not run at start");
}

/// Appends an entry dated `days_ago` for `org`, straight into the table (INSERT is allowed).
async fn entry(app: &TestApp, org: i64, username: &str, days_ago: i64) {
    sqlx::query(
        "INSERT INTO audit_log (org_id, username, action, created_at) VALUES ($1, $2, 'login', $3)",
    )
    .bind(org)
    .bind(username)
    .bind(now() - days_ago * DAY)
    .execute(app.db.pool())
    .await
    .unwrap();
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

async fn refused(app: &TestApp, sql: &str) -> bool {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(app.db.pool())
        .await
        .is_err()
}

#[tokio::test]
async fn the_database_refuses_edits_and_deleting_entries_younger_than_its_retention() {
    let app = TestApp::spawn().await;
    after_startup_purge(&app).await;
    entry(&app, app.street_a.0, "recent", 10).await;
    entry(&app, app.street_a.0, "half-year", 179).await;
    entry(&app, app.street_a.0, "old", 200).await;
    assert!(refused(&app, "UPDATE audit_log SET action = 'x'").await);
    assert!(
        refused(
            &app,
            "UPDATE audit_log SET created_at = 0 WHERE username = 'recent'"
        )
        .await
    );
    assert!(
        refused(&app, "DELETE FROM audit_log").await,
        "a DELETE touching a recent row fails whole"
    );
    assert!(refused(&app, "DELETE FROM audit_log WHERE username = 'half-year'").await);
    if app.db.backend() == Backend::Postgres {
        assert!(refused(&app, "TRUNCATE audit_log").await);
        assert!(refused(&app, "TRUNCATE audit_policy").await);
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_log").await, 3);

    // The retention cannot go below six months, nor disappear.
    assert!(refused(&app, "UPDATE audit_policy SET keep_days = 30").await);
    assert!(refused(&app, "DELETE FROM audit_policy").await);
    assert!(
        refused(
            &app,
            "INSERT INTO audit_policy (id, keep_days, updated_at) VALUES (2, 30, 0)"
        )
        .await
    );
    assert_eq!(retention::recorded_keep_days(&app.db).await.unwrap(), 180);

    // A longer retention protects older rows too.
    sqlx::query("UPDATE audit_policy SET keep_days = 365")
        .execute(app.db.pool())
        .await
        .unwrap();
    assert!(refused(&app, "DELETE FROM audit_log WHERE username = 'old'").await);
    // Below the recorded retention, deletion is what the purge does.
    sqlx::query("UPDATE audit_policy SET keep_days = 180")
        .execute(app.db.pool())
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_log WHERE username = 'old'")
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_log").await, 2);
}

#[tokio::test]
async fn the_purge_deletes_only_what_is_older_than_the_retention_and_says_so() {
    let app = TestApp::spawn().await;
    after_startup_purge(&app).await;
    entry(&app, app.street_a.0, "d10", 10).await;
    entry(&app, app.street_a.0, "d179", 179).await;
    entry(&app, app.street_b.0, "d181", 181).await;
    entry(&app, app.street_b.0, "d400", 400).await;

    assert_eq!(retention::purge(&app.db, 365).await.unwrap(), 1);
    assert_eq!(retention::recorded_keep_days(&app.db).await.unwrap(), 365);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE username = 'd400'"
        )
        .await,
        0
    );
    assert_eq!(retention::purge(&app.db, 180).await.unwrap(), 1);
    let left: Vec<String> = sqlx::query_scalar(
        "SELECT username FROM audit_log WHERE username IS NOT NULL ORDER BY created_at",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(left, ["d179", "d10"]);
    // Each purge that removed something is itself an entry the district's admins read.
    let purged: Vec<(i64, String)> = sqlx::query_as(
        "SELECT org_id, detail FROM audit_log WHERE action = 'audit_purged' ORDER BY id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        purged,
        [
            (app.district.0, "1 entries older than 365 days".to_string()),
            (app.district.0, "1 entries older than 180 days".to_string())
        ]
    );
    // Nothing to purge: no entry.
    assert_eq!(retention::purge(&app.db, 180).await.unwrap(), 0);
    assert_eq!(app.audit_count("audit_purged").await, 2);
    // Less than six months is refused by the database and changes nothing.
    assert!(retention::purge(&app.db, 90).await.is_err());
    assert_eq!(retention::recorded_keep_days(&app.db).await.unwrap(), 180);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE username = 'd179'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_retention_below_six_months_is_refused_at_start() {
    let mut s = Settings::default();
    s.audit.keep_days = 90;
    let err = match Application::build(s).await {
        Ok(_) => panic!("started with keep_days = 90"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("[audit] keep_days must be at least 180"),
        "{err}"
    );
}

#[tokio::test]
async fn the_api_shows_only_the_callers_subtrees_page_by_page() {
    let app = TestApp::spawn().await;
    app.user("b.admin", app.street_b, Role::Admin).await;
    entry(&app, app.street_a.0, "in-a", 1).await;
    entry(&app, app.union_a.0, "in-union-a", 1).await;
    entry(&app, app.street_b.0, "in-b", 1).await;

    let names = |v: &serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["username"].as_str().map(str::to_string))
            .collect()
    };
    let a = app.api("a.admin").await;
    let (status, page) = a.get("/api/v1/audit?action=login").await;
    assert_eq!(status, StatusCode::OK);
    let mut got = names(&page);
    got.sort();
    assert_eq!(
        got,
        ["in-a", "in-union-a"],
        "street B's entries are not there"
    );
    let (_, b_page) = app
        .api("b.admin")
        .await
        .get("/api/v1/audit?action=login")
        .await;
    assert_eq!(names(&b_page), ["in-b"]);
    let (_, all) = app
        .api("district.admin")
        .await
        .get("/api/v1/audit?action=login")
        .await;
    assert_eq!(all["total"], 3);

    let (_, first) = a.get("/api/v1/audit?action=login&per_page=1").await;
    let (_, second) = a.get("/api/v1/audit?action=login&per_page=1&page=2").await;
    assert_eq!(
        (first["total"].as_i64(), first["per_page"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(names(&first).len() + names(&second).len(), 2);
    assert_ne!(names(&first), names(&second));
    let (_, by_user) = a.get("/api/v1/audit?username=IN-A").await;
    assert_eq!(names(&by_user), ["in-a"]);

    let (status, body) = a.get("/api/v1/audit?from=2019-02-30").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"][0]["field"], "from");
    assert_eq!(
        app.api("a.cadre").await.get("/api/v1/audit").await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_export_is_the_filtered_view_of_the_subtree_and_is_audited() {
    let app = TestApp::spawn().await;
    after_startup_purge(&app).await;
    entry(&app, app.street_a.0, "in-a", 1).await;
    entry(&app, app.street_b.0, "in-b", 1).await;
    sqlx::query(
        "INSERT INTO audit_log (org_id, username, action, detail, created_at) VALUES ($1, 'in-a', 'export', '=HYPERLINK(\"x\")', $2)",
    )
    .bind(app.street_a.0)
    .bind(now())
    .execute(app.db.pool())
    .await
    .unwrap();
    let c = app.browser("a.admin").await;
    let before = app.audit_count("export").await;

    let res = c
        .get(app.url("/api/v1/audit/export.csv?action=login&username=&from=&to="))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("audit-")
    );
    let csv = res.text().await.unwrap();
    assert!(csv.contains("in-a"), "{csv}");
    assert!(
        !csv.contains("in-b"),
        "another subtree's entry leaked: {csv}"
    );
    assert!(
        csv.contains("a.admin"),
        "the admin's own login is in their street: {csv}"
    );
    assert!(!csv.contains("HYPERLINK"), "the action filter holds: {csv}");
    assert!(csv.contains("甲街道总工会"));

    // Everything, as XLSX: the formula-looking detail stays text.
    let res = c
        .get(app.url("/api/v1/audit/export.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap();
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let cells: Vec<String> = sheet.rows().flatten().map(|c| c.to_string()).collect();
    assert!(cells.iter().any(|c| c == "in-a"));
    assert!(!cells.iter().any(|c| c == "in-b"));
    assert!(cells.iter().any(|c| c == "=HYPERLINK(\"x\")"));

    // Both exports are in the log, with what they held.
    assert_eq!(app.audit_count("export").await, before + 2);
    let detail: String = sqlx::query_scalar(
        "SELECT detail FROM audit_log WHERE action = 'export' AND target = 'export:audit.csv'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(detail, "2 rows; action=login");

    // The page links both with the current filter; a cadre gets neither.
    let html = c
        .get(app.url("/audit?action=login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("/api/v1/audit/export.xlsx?action=login&#38;username="),
        "{html}"
    );
    let cadre = app.browser("a.cadre").await;
    assert_eq!(
        cadre
            .get(app.url("/api/v1/audit/export.csv"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    // Without credentials: 401 with the JSON error, for both formats.
    for path in ["/api/v1/audit/export.csv", "/api/v1/audit/export.xlsx"] {
        let res = app.anonymous().get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthenticated", "{path}");
    }
    // With a token: the XLSX with its type.
    let res = app
        .anonymous()
        .get(app.url("/api/v1/audit/export.xlsx"))
        .bearer_auth(app.token("a.admin").await)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    // The old addresses are gone.
    assert_eq!(
        c.get(app.url("/audit/export.csv"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
}
