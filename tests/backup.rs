//! Backups taken while the server takes writes (issue 14 §1), through the real
//! binary: `qingting serve` runs on a fresh install while questionnaire
//! submissions and attachment uploads (and deletions) go on concurrently;
//! `qingting backup` runs in the middle of it and the writes go on; then the
//! archive is verified and restored into a fresh data dir (and database) and
//! checked: SQLite's `integrity_check` is ok, every response acknowledged
//! before the backup began is there with its id, every attachment uploaded
//! before it is there, and every live attachment row has its file with the
//! right SHA-256. A tampered and a truncated archive fail `backup verify`
//! naming the problem, and `restore` refuses a non-empty target and a
//! damaged archive.
//!
//! The PostgreSQL run needs `QINGTING_TEST_POSTGRES` (a server URL, as for the
//! API tests) and the client tools (`postgresql-client`); without the
//! variable it is skipped with a note.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader, Cursor},
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
        mpsc,
    },
    time::{Duration, Instant},
};

use qingting::db::{Db, sqlite_url};
use reqwest::{
    Client, StatusCode,
    multipart::{Form, Part},
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const PASSWORD: &str = "backup-password-1";
const SUBMITTERS: usize = 6;
const UPLOADERS: usize = 2;

/// Where an install keeps its data: a data dir and, on PostgreSQL, a database.
#[derive(Clone)]
struct Target {
    dir: PathBuf,
    url: Option<String>,
}

impl Target {
    fn database_url(&self) -> String {
        self.url
            .clone()
            .unwrap_or_else(|| sqlite_url(&self.dir.join("qingting.db")))
    }
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `qingting` for a target, with no `QINGTING_*` setting from the caller's shell.
fn qingting(t: &Target) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qingting"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("QINGTING_") {
            cmd.env_remove(k);
        }
    }
    cmd.arg("--data-dir").arg(&t.dir);
    if let Some(u) = &t.url {
        cmd.arg("--database-url").arg(u);
    }
    cmd
}

fn run(t: &Target, args: &[&str]) -> Output {
    qingting(t)
        .args(args)
        .env("QINGTING_PASSWORD", PASSWORD)
        .output()
        .expect("run qingting")
}

/// Runs a command that must succeed and returns its standard output.
fn cli(t: &Target, args: &[&str]) -> String {
    let out = run(t, args);
    assert!(
        out.status.success(),
        "qingting {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail and returns its error output.
fn cli_fails(t: &Target, args: &[&str]) -> String {
    let out = run(t, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "qingting {args:?} should have failed; it printed {}",
        String::from_utf8_lossy(&out.stdout)
    );
    stderr
}

fn start(t: &Target, rt: &tokio::runtime::Runtime) -> Server {
    let log = std::fs::File::create(t.dir.join("serve.log")).unwrap();
    let mut child = qingting(t)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("QINGTING_REMINDERS_SWEEP_INTERVAL_MINUTES", "0")
        .env("QINGTING_BACKUP_ENABLED", "false")
        .env("QINGTING_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("start qingting serve");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("running at http://").nth(1) {
                let _ = tx.send(rest.trim_end_matches('/').to_string());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server starts");
    let server = Server {
        child,
        base: format!("http://{addr}"),
    };
    let health = format!("{}/healthz", server.base);
    rt.block_on(async {
        for _ in 0..300 {
            if let Ok(r) = client().get(&health).send().await
                && r.status() == StatusCode::OK
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no answer on {health}");
    });
    server
}

fn client() -> Client {
    Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn form() -> Value {
    json!({
        "title": "新就业形态劳动者权益调查",
        "items": [
            {"name": "worker_group", "kind": "select_one", "choices": "groups", "required": true, "label": "您的职业"},
            {"name": "age", "kind": "integer", "required": true, "label": "年龄"},
            {"name": "advice", "kind": "text", "label": "建议"}
        ],
        "choice_lists": [
            {"name": "groups", "choices": [
                {"name": "courier", "label": "快递员"},
                {"name": "food_delivery", "label": "外卖配送员"}]}
        ]
    })
}

fn photo(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8, y as u8, seed]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What the writers were told, with when.
#[derive(Default)]
struct Ledger {
    /// Instance id → (response id, when acknowledged).
    responses: HashMap<String, (i64, Instant)>,
    /// Attachment id → (sha256, when acknowledged).
    uploads: HashMap<i64, (String, Instant)>,
    /// Attachment id → when its deletion was acknowledged.
    deletions: HashMap<i64, Instant>,
    errors: Vec<String>,
}

async fn submitter(url: String, task: usize, stop: Arc<AtomicBool>, ledger: Arc<Mutex<Ledger>>) {
    let c = client();
    let mut n: u32 = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let instance = format!("b-{task:02}-{n:05}");
        let body = json!({
            "instance_id": instance,
            "answers": {"worker_group": if n.is_multiple_of(2) { "courier" } else { "food_delivery" },
                        "age": (20 + n % 40).to_string(), "advice": "希望多建户外劳动者驿站"},
            "started_at": 1_795_000_000i64,
            "ended_at": 1_795_000_300i64,
        });
        let res = c.post(&url).json(&body).send().await;
        let mut l = ledger.lock().unwrap();
        match res {
            Ok(r) if r.status() == StatusCode::CREATED => {
                drop(l);
                let v: Value = r.json().await.unwrap();
                let mut l = ledger.lock().unwrap();
                l.responses
                    .insert(instance, (v["id"].as_i64().unwrap(), Instant::now()));
            }
            Ok(r) => l
                .errors
                .push(format!("submission {instance}: {}", r.status())),
            Err(e) => l.errors.push(format!("submission {instance}: {e}")),
        }
    }
}

async fn uploader(
    base: String,
    token: String,
    activity: i64,
    task: usize,
    stop: Arc<AtomicBool>,
    ledger: Arc<Mutex<Ledger>>,
) {
    let c = client();
    let mut mine: Vec<i64> = Vec::new();
    let mut n = 0u32;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        // Photos (with thumbnails) and text documents; every fourth round
        // deletes an earlier upload, so files disappear while the backup runs.
        if n.is_multiple_of(4) && !mine.is_empty() {
            let id = mine.remove(0);
            let res = c
                .delete(format!("{base}/api/v1/attachments/{id}"))
                .bearer_auth(&token)
                .send()
                .await;
            let mut l = ledger.lock().unwrap();
            match res {
                Ok(r) if r.status().is_success() => {
                    l.deletions.insert(id, Instant::now());
                }
                Ok(r) => l.errors.push(format!("delete {id}: {}", r.status())),
                Err(e) => l.errors.push(format!("delete {id}: {e}")),
            }
            continue;
        }
        let (name, bytes) = if n.is_multiple_of(3) {
            (
                format!("现场{task}-{n}.png"),
                photo((task * 50 + n as usize) as u8),
            )
        } else {
            (
                format!("记录{task}-{n}.txt"),
                format!("走访记录 {task} {n}\n职工反映食堂排队时间太长。\n").into_bytes(),
            )
        };
        let digest = sha256(&bytes);
        let form = Form::new()
            .text("owner_kind", "activity")
            .text("owner_id", activity.to_string())
            .part("file", Part::bytes(bytes).file_name(name.clone()));
        let res = c
            .post(format!("{base}/api/v1/attachments"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await;
        match res {
            Ok(r) if r.status() == StatusCode::CREATED => {
                let v: Value = r.json().await.unwrap();
                let id = v["items"][0]["id"]
                    .as_i64()
                    .unwrap_or_else(|| panic!("upload answer without an id: {v}"));
                mine.push(id);
                ledger
                    .lock()
                    .unwrap()
                    .uploads
                    .insert(id, (digest, Instant::now()));
            }
            Ok(r) => {
                let s = r.status();
                let body = r.text().await.unwrap_or_default();
                ledger
                    .lock()
                    .unwrap()
                    .errors
                    .push(format!("upload {name}: {s} {body}"));
            }
            Err(e) => ledger
                .lock()
                .unwrap()
                .errors
                .push(format!("upload {name}: {e}")),
        }
    }
}

/// A new empty PostgreSQL database on the test server.
async fn fresh_pg(server: &str) -> String {
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

/// The one archive in `dir`, checking nothing half-written is left beside it.
fn only_archive(dir: &Path) -> PathBuf {
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "one archive and nothing else: {names:?}");
    assert!(
        names[0].starts_with("qingting-") && names[0].ends_with("Z.zip"),
        "{names:?}"
    );
    dir.join(&names[0])
}

fn burst_backup_restore(pg_server: Option<&str>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let fresh_url = |rt: &tokio::runtime::Runtime| pg_server.map(|s| rt.block_on(fresh_pg(s)));
    let live = Target {
        dir: tmp.path().join("live"),
        url: fresh_url(&rt),
    };
    std::fs::create_dir_all(&live.dir).unwrap();
    cli(&live, &["migrate"]);
    cli(
        &live,
        &["org", "add", "--code", "BTEST", "--name", "测试区总工会"],
    );
    cli(
        &live,
        &[
            "user",
            "add",
            "bt.admin",
            "--org",
            "BTEST",
            "--name",
            "管理员",
            "--role",
            "admin",
        ],
    );
    let token = cli(&live, &["token", "create", "bt.admin", "--name", "backup"])
        .trim()
        .to_string();
    let server = start(&live, &rt);
    let base = server.base.clone();

    let (survey, code, activity) = rt.block_on(async {
        let c = client();
        let res = c
            .post(format!("{base}/api/v1/surveys"))
            .bearer_auth(&token)
            .json(&json!({"title": "权益调查"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.unwrap();
        let id = body["survey"]["id"].as_i64().unwrap();
        let code = body["survey"]["code"].as_str().unwrap().to_string();
        let res = c
            .put(format!("{base}/api/v1/surveys/{id}/form"))
            .bearer_auth(&token)
            .json(&form())
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{}",
            res.text().await.unwrap()
        );
        let res = c
            .post(format!("{base}/api/v1/surveys/{id}/publish"))
            .bearer_auth(&token)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{}",
            res.text().await.unwrap()
        );
        let res = c
            .post(format!("{base}/api/v1/activities"))
            .bearer_auth(&token)
            .json(
                &json!({"client_id": "backup-burst", "kind": "worker_interview",
                "held_on": "2019-10-28", "workers_interviewed": 3, "notes": "访谈快递员"}),
            )
            .send()
            .await
            .unwrap();
        let status = res.status();
        let a: Value = res.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{a}");
        (id, code, a["id"].as_i64().unwrap())
    });

    // The burst.
    let stop = Arc::new(AtomicBool::new(false));
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let url = format!("{base}/api/v1/s/{code}/responses");
    let mut tasks = Vec::new();
    for t in 0..SUBMITTERS {
        tasks.push(rt.spawn(submitter(url.clone(), t, stop.clone(), ledger.clone())));
    }
    for t in 0..UPLOADERS {
        tasks.push(rt.spawn(uploader(
            base.clone(),
            token.clone(),
            activity,
            t,
            stop.clone(),
            ledger.clone(),
        )));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let backups = tmp.path().join("backups");
    let began = Instant::now();
    let out = run(&live, &["backup", "--to", backups.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "backup failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Writes go on after the backup, as they would.
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    rt.block_on(async {
        for t in tasks {
            t.await.unwrap();
        }
    });
    drop(server);
    let ledger = Arc::try_unwrap(ledger).ok().unwrap().into_inner().unwrap();
    assert!(
        ledger.errors.is_empty(),
        "{:?}",
        &ledger.errors[..ledger.errors.len().min(10)]
    );
    let before: Vec<(&String, &i64)> = ledger
        .responses
        .iter()
        .filter(|(_, (_, at))| *at < began)
        .map(|(k, (id, _))| (k, id))
        .collect();
    let uploads_before: Vec<i64> = ledger
        .uploads
        .iter()
        .filter(|(_, (_, at))| *at < began)
        .map(|(id, _)| *id)
        .collect();
    let after = ledger.responses.len() - before.len();
    println!(
        "burst: {} responses before the backup, {after} during or after; {} uploads, {} deletions",
        before.len(),
        ledger.uploads.len(),
        ledger.deletions.len()
    );
    assert!(
        before.len() > 20 && after > 0,
        "the backup ran inside the burst"
    );
    assert!(
        !uploads_before.is_empty(),
        "files were uploaded before the backup"
    );

    let archive = only_archive(&backups);
    let archive_s = archive.to_str().unwrap();
    let ok = cli(&live, &["backup", "verify", archive_s]);
    assert!(ok.contains("OK"), "{ok}");

    // Restore into a fresh install and look at what came back.
    let restored = Target {
        dir: tmp.path().join("restored"),
        url: fresh_url(&rt),
    };
    let said = cli(&restored, &["restore", archive_s]);
    assert!(said.contains("restored"), "{said}");
    rt.block_on(async {
        let db = Db::connect(&restored.database_url(), 2).await.unwrap();
        if pg_server.is_none() {
            let check: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_all(db.pool())
                .await
                .unwrap();
            assert_eq!(check, ["ok"]);
        }
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT instance_id, id FROM survey_responses WHERE survey_id = $1")
                .bind(survey)
                .fetch_all(db.pool())
                .await
                .unwrap();
        let stored: HashMap<String, i64> = rows.into_iter().collect();
        let missing: Vec<_> = before
            .iter()
            .filter(|(k, id)| stored.get(*k) != Some(id))
            .collect();
        assert!(
            missing.is_empty(),
            "{} responses acknowledged before the backup are missing, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(5)]
        );
        let rows: Vec<(i64, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, sha256, has_thumbnail, deleted_at FROM attachments ORDER BY id",
        )
        .fetch_all(db.pool())
        .await
        .unwrap();
        let ids: HashMap<i64, Option<i64>> = rows.iter().map(|r| (r.0, r.3)).collect();
        for id in &uploads_before {
            assert!(
                ids.contains_key(id),
                "attachment {id} uploaded before the backup is missing"
            );
        }
        let mut live_rows = 0;
        for (id, sha, thumb, deleted) in &rows {
            if deleted.is_some() {
                continue;
            }
            live_rows += 1;
            let path = restored.dir.join("files").join(&sha[..2]).join(&sha[2..]);
            let bytes = std::fs::read(&path)
                .unwrap_or_else(|e| panic!("attachment {id}: {}: {e}", path.display()));
            assert_eq!(&sha256(&bytes), sha, "attachment {id}");
            if *thumb != 0 {
                let t = restored.dir.join("thumbs").join(&sha[..2]).join(&sha[2..]);
                assert!(t.is_file(), "thumbnail of attachment {id}");
            }
            if let Some((digest, _)) = ledger.uploads.get(id) {
                assert_eq!(digest, sha, "attachment {id} is the uploaded content");
            }
        }
        assert!(live_rows > 0);
        db.close().await;
    });

    // A non-empty target is refused, saying what is in it.
    let err = cli_fails(&restored, &["restore", archive_s]);
    assert!(err.contains("not empty"), "{err}");
    if pg_server.is_some() {
        assert!(err.contains("table"), "{err}");
    } else {
        assert!(err.contains("qingting.db"), "{err}");
    }

    // A byte flipped inside the database entry: verify names it, restore refuses.
    let bytes = std::fs::read(&archive).unwrap();
    let entry = if pg_server.is_some() {
        "database/qingting.pgdump"
    } else {
        "database/qingting.db"
    };
    let offset = {
        let mut zip = zip::ZipArchive::new(Cursor::new(&bytes)).unwrap();
        let e = zip.by_name(entry).unwrap();
        e.data_start().unwrap() + e.compressed_size() / 2
    } as usize;
    let mut tampered = bytes.clone();
    tampered[offset] ^= 0x5a;
    let tampered_path = tmp.path().join("tampered.zip");
    std::fs::write(&tampered_path, &tampered).unwrap();
    let err = cli_fails(
        &live,
        &["backup", "verify", tampered_path.to_str().unwrap()],
    );
    assert!(err.contains(entry) && err.contains("damaged"), "{err}");
    let empty = Target {
        dir: tmp.path().join("empty"),
        url: fresh_url(&rt),
    };
    let err = cli_fails(&empty, &["restore", tampered_path.to_str().unwrap()]);
    assert!(err.contains(entry), "{err}");
    assert!(
        !empty.dir.join("qingting.db").exists(),
        "nothing restored from a damaged archive"
    );

    // A truncated archive (a copy cut short).
    let truncated = tmp.path().join("truncated.zip");
    std::fs::write(&truncated, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let err = cli_fails(&live, &["backup", "verify", truncated.to_str().unwrap()]);
    assert!(err.contains("not a complete backup archive"), "{err}");

    // An archive restores onto its own kind of database only.
    let other = Target {
        dir: tmp.path().join("other"),
        url: match pg_server {
            Some(_) => None,
            None => Some("postgres://nobody@127.0.0.1:1/none".into()),
        },
    };
    let err = cli_fails(&other, &["restore", archive_s]);
    assert!(err.contains("qingting move"), "{err}");
}

#[test]
fn an_sqlite_backup_taken_during_a_burst_restores_whole() {
    burst_backup_restore(None);
}

#[test]
fn a_postgres_backup_taken_during_a_burst_restores_whole() {
    match std::env::var("QINGTING_TEST_POSTGRES") {
        Ok(server) if !server.is_empty() => burst_backup_restore(Some(&server)),
        _ => println!("QINGTING_TEST_POSTGRES not set: PostgreSQL backup test skipped"),
    }
}
