//! `TestApp`: spawns the app on port 0 with a fresh database and a small tree.

use std::sync::OnceLock;

use qingting::{
    auth::{Role, password, token},
    config::Settings,
    db::{Db, OrgId, UserId},
    org::{OrgInput, store as orgs},
    startup::Application,
    user::{UserInput, store as users},
};
use reqwest::{Client, StatusCode};
use serde_json::Value;

pub const PASSWORD: &str = "test-password-1";

/// A running app and the ids of its fixture tree:
/// district (federation) ─┬─ street_a ── union_a (grassroots)
///                        ├─ street_b ── union_b (grassroots)
///                        └─ dept (department)
pub struct TestApp {
    pub base: String,
    pub db: Db,
    pub district: OrgId,
    pub street_a: OrgId,
    pub street_b: OrgId,
    pub union_a: OrgId,
    pub union_b: OrgId,
    pub dept: OrgId,
    /// The settings the app runs with.
    pub settings: Settings,
    _dir: tempfile::TempDir,
}

fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| password::hash_blocking(PASSWORD).unwrap())
}

async fn fresh_database_url(dir: &std::path::Path) -> String {
    match std::env::var("QINGTING_TEST_POSTGRES") {
        Ok(server) if !server.is_empty() => fresh_postgres(&server).await,
        _ => qingting::db::sqlite_url(&dir.join("test.db")),
    }
}

/// The URL of a new, empty database on the PostgreSQL `server`.
pub async fn fresh_postgres(server: &str) -> String {
    let name = format!("qt_test_{}", qingting::auth::random_token(8));
    let admin = Db::connect(&format!("{}/postgres", server.trim_end_matches('/')), 1)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(admin.pool())
        .await
        .unwrap();
    admin.close().await;
    format!("{}/{name}", server.trim_end_matches('/'))
}

impl TestApp {
    /// Spawns the app with default settings.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns the app after letting the test adjust the settings.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Settings {
            data_dir: dir.path().to_path_buf(),
            ..Default::default()
        };
        s.server.bind = "127.0.0.1:0".into();
        s.database.url = fresh_database_url(dir.path()).await;
        s.database.max_connections = 4;
        // Tests run the reminder sweep and the outbox themselves, at chosen times.
        s.reminders.sweep_interval_minutes = 0;
        s.mail.poll_seconds = 0;
        s.robots.poll_seconds = 0;
        s.webhooks.poll_seconds = 0;
        // Backups run when a test asks for one, never at the schedule's hour.
        s.backup.enabled = false;
        adjust(&mut s);
        let settings = s.clone();
        let app = Application::build(s).await.expect("app builds");
        let base = format!("http://{}", app.addr);
        let db = app.db.clone();
        tokio::spawn(app.run());
        let mut t = TestApp {
            base,
            db,
            district: OrgId(0),
            street_a: OrgId(0),
            street_b: OrgId(0),
            union_a: OrgId(0),
            union_b: OrgId(0),
            dept: OrgId(0),
            settings,
            _dir: dir,
        };
        t.district = t.org("DIST", "测试区总工会", "federation", None).await;
        t.dept = t
            .org("DEPT", "办公室", "department", Some(t.district))
            .await;
        t.street_a = t
            .org("STA", "甲街道总工会", "street", Some(t.district))
            .await;
        t.street_b = t
            .org("STB", "乙街道总工会", "street", Some(t.district))
            .await;
        t.union_a = t
            .org("UA", "甲公司工会", "grassroots", Some(t.street_a))
            .await;
        t.union_b = t
            .org("UB", "乙公司工会", "grassroots", Some(t.street_b))
            .await;
        t.user("district.admin", t.district, Role::Admin).await;
        t.user("a.admin", t.street_a, Role::Admin).await;
        t.user("a.cadre", t.street_a, Role::Cadre).await;
        t.user("a.viewer", t.street_a, Role::Viewer).await;
        t.user("b.cadre", t.street_b, Role::Cadre).await;
        t
    }

    /// Creates an org directly in the store.
    pub async fn org(&self, code: &str, name: &str, kind: &str, parent: Option<OrgId>) -> OrgId {
        let f = OrgInput {
            code: Some(code.into()),
            name: Some(name.into()),
            kind: Some(kind.into()),
            phone: Some("13800138000".into()),
            ..Default::default()
        }
        .parse()
        .unwrap();
        let mut tx = self.db.begin().await.unwrap();
        let id = orgs::insert(&mut tx, &f, parent).await.unwrap();
        tx.commit().await.unwrap();
        id
    }

    /// Creates a user holding `role` at `org`.
    pub async fn user(&self, username: &str, org: OrgId, role: Role) -> UserId {
        let code: String = sqlx::query_scalar("SELECT code FROM orgs WHERE id = $1")
            .bind(org)
            .fetch_one(self.db.pool())
            .await
            .unwrap();
        let new = UserInput {
            username: Some(username.into()),
            display_name: Some(format!("用户{username}")),
            org_code: Some(code),
            phone: Some("13912345678".into()),
            password: Some(PASSWORD.into()),
            role: Some(role.as_str().into()),
            ..Default::default()
        }
        .parse(&password::Policy::default())
        .unwrap();
        let mut tx = self.db.begin().await.unwrap();
        let id = users::insert(&mut tx, &new, org, password_hash())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id
    }

    /// A bearer token for `username`.
    pub async fn token(&self, username: &str) -> String {
        let (id, org) = users::id_by_username(&self.db, username)
            .await
            .unwrap()
            .unwrap();
        token::create(&self.db, id, org, "test").await.unwrap().1
    }

    /// An API client authenticated as `username` by bearer token.
    pub async fn api(&self, username: &str) -> Api {
        Api {
            base: self.base.clone(),
            token: self.token(username).await,
            client: Client::new(),
        }
    }

    /// A browser-like client (cookies, no redirects followed) logged in as `username`.
    pub async fn browser(&self, username: &str) -> Client {
        let c = self.anonymous();
        let res = c
            .post(format!("{}/login", self.base))
            .form(&[
                ("username", username),
                ("password", PASSWORD),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "login of {username} failed"
        );
        c
    }

    /// A client with a cookie jar and no session.
    pub fn anonymous(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// The data dir (SQLite file, uploads).
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// The full URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The OpenAPI document, as anyone may read it.
    pub async fn openapi(&self) -> Value {
        self.anonymous()
            .get(self.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// How many audit entries of an action exist.
    pub async fn audit_count(&self, action: &str) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1")
            .bind(action)
            .fetch_one(self.db.pool())
            .await
            .unwrap()
    }
}

/// A JSON API client with a bearer token.
pub struct Api {
    pub base: String,
    pub token: String,
    pub client: Client,
}

impl Api {
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let res = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, body).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::PATCH, path, body).await
    }
}

/// The `code` fields of a JSON list of orgs.
pub fn codes(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|o| o["code"].as_str().unwrap().to_string())
        .collect()
}

/// The text of a PDF by poppler's pdftotext, when it is installed.
pub fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The keywords of a page of free-text answers as (word, answers).
pub fn keywords(text_page: &Value) -> Vec<(String, u64)> {
    text_page["keywords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["word"].as_str().unwrap().to_string(),
                k["answers"].as_u64().unwrap(),
            )
        })
        .collect()
}
