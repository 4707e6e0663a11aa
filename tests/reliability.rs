//! SIGKILL reliability (issue 5 §9): the real binary is killed with SIGKILL in
//! the middle of a burst of questionnaire submissions, restarted on the same
//! data dir, and the database is checked: every response the server
//! acknowledged is there exactly once with the id it answered, nothing it
//! refused and nothing never sent is there, no response lacks its coded copy,
//! the quota counters equal the responses they count, and SQLite finds the
//! file intact. Then every request whose fate the kill hid is sent again, as a
//! phone would, and must come back as the one stored response or a new one;
//! acknowledged ones sent again must come back as themselves (200, same id).
//!
//! A SIGKILL loses what the process held, not what the kernel held: this
//! catches an answer given before the commit and work split over two
//! transactions, not a missing fsync (that needs a power cut).
//!
//! Only the outside of the server is used: the command line to set up, the
//! JSON API to build the survey and submit, and the tables to check, so the
//! test holds whatever the submission path does inside (one transaction per
//! request today, a batching writer tomorrow).
//!
//! `QINGTING_KILL_ROUNDS` (default 20) sets the number of kills and
//! `QINGTING_KILL_SEED` the seed of the timings and answers (printed, so a
//! failing run can be replayed with the same plan; the server's timing
//! still varies).

use std::{
    collections::{HashMap, HashSet},
    hash::{Hash, Hasher},
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use qingting::db::{Db, sqlite_url};
use rand::{Rng, SeedableRng, rngs::StdRng};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tokio::task::JoinSet;

/// Concurrent submitters during a burst: enough that a kill always finds
/// several requests between arrival and answer, few enough for 2 cores.
const SUBMITTERS: usize = 48;
/// Cap of the courier quota: it fills during the run, so later courier
/// submissions are refused (409) and must leave nothing behind.
const COURIER_CAP: i64 = 400;
/// Caps that never fill: counters that must still match exactly.
const LARGE_CAP: i64 = 1_000_000;
/// Acknowledged responses sent again after each restart (they must answer 200).
const RETRY_SAMPLE: usize = 24;
const PASSWORD: &str = "reliability-password-1";

/// The server binary, started and killed as an operator's service manager would.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    // A failing assertion must not leave a server running on the machine.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Sends SIGKILL (what `Child::kill` sends on Unix) and reaps the process:
    /// no shutdown code runs, open transactions and sockets die with it.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL the server");
        self.child.wait().expect("reap the server");
    }
}

/// `qingting --data-dir DIR …` with no `QINGTING_*` setting inherited from
/// the caller's shell (a database URL there would point the test elsewhere).
fn qingting(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qingting"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("QINGTING_") {
            cmd.env_remove(k);
        }
    }
    cmd.arg("--data-dir").arg(dir);
    cmd
}

/// Runs a command of the CLI and returns its standard output.
fn cli(dir: &Path, args: &[&str]) -> String {
    let out = qingting(dir)
        .args(args)
        .env("QINGTING_PASSWORD", PASSWORD)
        .output()
        .expect("run qingting");
    assert!(
        out.status.success(),
        "qingting {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn log_path(dir: &Path) -> PathBuf {
    dir.join("serve.log")
}

/// The last lines of the servers' log, for failure messages.
fn log_tail(dir: &Path) -> String {
    let text = std::fs::read_to_string(log_path(dir)).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// Starts `qingting serve` on a port the kernel picks (no race for a "free"
/// port with other processes) and returns once it answers `/healthz`.
fn start(dir: &Path, rt: &tokio::runtime::Runtime) -> Server {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path(dir))
        .unwrap();
    let mut child = qingting(dir)
        .args(["serve", "--bind", "127.0.0.1:0"])
        // Nothing in the background writes during the test.
        .env("QINGTING_REMINDERS_SWEEP_INTERVAL_MINUTES", "0")
        .env("QINGTING_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("start qingting serve");
    // The server prints its address once bound; the thread keeps draining
    // stdout so the server never blocks on a full pipe.
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("running at http://").nth(1) {
                let _ = tx.send(rest.trim_end_matches('/').to_string());
            }
        }
    });
    let addr = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(a) => a,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server did not start:\n{}", log_tail(dir));
        }
    };
    let server = Server {
        child,
        base: format!("http://{addr}"),
    };
    let health = format!("{}/healthz", server.base);
    let ready = rt.block_on(async {
        let c = client();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = c.get(&health).send().await
                && r.status() == StatusCode::OK
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    });
    assert!(ready, "no answer on {health}:\n{}", log_tail(dir));
    server
}

fn client() -> Client {
    Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A form like a worker survey: the worker group and region the quotas
/// count on, and a few answers of other kinds for the coded copy.
fn form() -> Value {
    json!({
        "title": "新就业形态劳动者权益调查",
        "items": [
            {"name": "worker_group", "kind": "select_one", "choices": "groups", "required": true, "label": "您的职业"},
            {"name": "region", "kind": "select_one", "choices": "regions", "required": true, "label": "地区"},
            {"name": "age", "kind": "integer", "required": true, "constraint": ". >= 16 and . <= 70", "label": "年龄"},
            {"name": "hours", "kind": "decimal", "label": "每天工时"},
            {"name": "topics", "kind": "select_multiple", "choices": "topics", "label": "关心的问题"},
            {"name": "advice", "kind": "text", "label": "建议"}
        ],
        "choice_lists": [
            {"name": "groups", "choices": [
                {"name": "courier", "label": "快递员"},
                {"name": "food_delivery", "label": "外卖配送员"},
                {"name": "truck_driver", "label": "货车司机"}]},
            {"name": "regions", "choices": [
                {"name": "yangpu", "label": "杨浦"}, {"name": "hongkou", "label": "虹口"}]},
            {"name": "topics", "choices": [
                {"name": "wages", "label": "工资"}, {"name": "rest", "label": "休息"},
                {"name": "safety", "label": "安全"}]}
        ]
    })
}

/// The quotas: one that fills during the run, and large ones whose counters
/// must still equal what they count.
fn quotas() -> Value {
    json!([
        {"worker_group": "", "region": "", "max_responses": LARGE_CAP},
        {"worker_group": "courier", "region": "", "max_responses": COURIER_CAP},
        {"worker_group": "", "region": "hongkou", "max_responses": LARGE_CAP}
    ])
}

const GROUPS: [&str; 3] = ["courier", "food_delivery", "truck_driver"];
const REGIONS: [&str; 2] = ["yangpu", "hongkou"];

/// The worker group and region a submission of this instance carries.
fn group_region(instance: &str) -> (&'static str, &'static str) {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    instance.hash(&mut h);
    let n = h.finish();
    (GROUPS[(n % 3) as usize], REGIONS[((n >> 8) % 2) as usize])
}

/// The body of a submission, derived from the instance id alone so that a
/// retry sends the very same bytes, as the phone's queue does.
fn submission(instance: &str) -> Value {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    instance.hash(&mut h);
    let mut rng = StdRng::seed_from_u64(h.finish());
    let (group, region) = group_region(instance);
    let topics: Vec<&str> = ["wages", "rest", "safety"]
        .into_iter()
        .filter(|_| rng.gen_bool(0.5))
        .collect();
    let mut answers = json!({
        "worker_group": group,
        "region": region,
        "age": rng.gen_range(18..60).to_string(),
        "hours": format!("{}.5", rng.gen_range(6..13)),
        "topics": topics,
    });
    if rng.gen_bool(0.3) {
        answers["advice"] = json!("希望多建几个户外劳动者驿站，雨天有地方歇脚");
    }
    json!({
        "instance_id": instance,
        "answers": answers,
        "started_at": 1_795_000_000i64,
        "ended_at": 1_795_000_000i64 + rng.gen_range(60..900),
    })
}

/// What one submission came back with.
#[derive(Debug)]
enum Reply {
    /// 201 (stored now) or 200 (stored before) with the response's id.
    Ack { id: i64, created: bool },
    /// 409 quota_full: refused, nothing stored.
    Refused,
    /// No answer: the connection died (`in_flight`: the request had reached
    /// the server, which may or may not have stored it), or a 5xx the
    /// client would retry. Its fate is settled after the restart.
    Lost { in_flight: bool },
    /// Anything else is a bug of the server or the test.
    Unexpected(String),
}

async fn submit(c: &Client, url: &str, instance: &str) -> Reply {
    let res = match c.post(url).json(&submission(instance)).send().await {
        Ok(r) => r,
        Err(e) => {
            return Reply::Lost {
                in_flight: !e.is_connect(),
            };
        }
    };
    let status = res.status();
    // Acknowledged means the whole answer arrived: a status line without
    // its body is still "no answer".
    let body: Value = match res.json().await {
        Ok(b) => b,
        Err(_) => return Reply::Lost { in_flight: true },
    };
    match status {
        StatusCode::CREATED | StatusCode::OK if body["instance_id"] == instance => {
            match body["id"].as_i64() {
                Some(id) => Reply::Ack {
                    id,
                    created: status == StatusCode::CREATED,
                },
                None => Reply::Unexpected(format!("{status} without an id: {body}")),
            }
        }
        StatusCode::CONFLICT if body["error"]["code"] == "quota_full" => Reply::Refused,
        s if s.is_server_error() => Reply::Lost { in_flight: true },
        s => Reply::Unexpected(format!("{s}: {body}")),
    }
}

/// Everything the client knows, across rounds.
#[derive(Default)]
struct Ledger {
    /// Instance → the response id the server answered with.
    acked: HashMap<String, i64>,
    /// Instances that got a 201: a second 201 would be a second row.
    created: HashSet<String>,
    refused: HashSet<String>,
    /// Sent, no answer yet: stored or not, the database may hold them.
    unknown: HashSet<String>,
    violations: Vec<String>,
}

impl Ledger {
    fn record(&mut self, instance: &str, reply: Reply) {
        match reply {
            Reply::Ack { id, created } => {
                if let Some(&first) = self.acked.get(instance)
                    && first != id
                {
                    self.violations.push(format!(
                        "{instance} was acknowledged as response {first}, then as {id}"
                    ));
                }
                if created && !self.created.insert(instance.to_string()) {
                    self.violations
                        .push(format!("{instance} was stored twice (two 201 answers)"));
                }
                self.acked.insert(instance.to_string(), id);
                self.unknown.remove(instance);
                self.refused.remove(instance);
            }
            Reply::Refused => {
                if self.acked.contains_key(instance) {
                    self.violations
                        .push(format!("{instance} was acknowledged, then refused as new"));
                }
                self.refused.insert(instance.to_string());
                self.unknown.remove(instance);
            }
            Reply::Lost { .. } => {
                if !self.acked.contains_key(instance) {
                    self.unknown.insert(instance.to_string());
                }
            }
            Reply::Unexpected(what) => self
                .violations
                .push(format!("{instance}: unexpected answer {what}")),
        }
    }
}

/// One submitter of a burst: fresh instance ids in a loop, sometimes the
/// previous one again (a phone retrying) or one sent twice at once (a retry
/// racing the first attempt). It stops at the first request without an
/// answer, which after the kill is the next one.
async fn submitter(url: String, round: usize, task: usize, seed: u64) -> Vec<(String, Reply)> {
    let c = client();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::new();
    let mut previous: Option<String> = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    for n in 0.. {
        let roll: f64 = rng.r#gen();
        let replies = match &previous {
            Some(p) if roll < 0.15 => vec![(p.clone(), submit(&c, &url, p).await)],
            _ => {
                let instance = format!("k{round:03}-t{task:02}-{n:05}");
                let replies = if roll > 0.92 {
                    let (a, b) =
                        tokio::join!(submit(&c, &url, &instance), submit(&c, &url, &instance));
                    vec![(instance.clone(), a), (instance.clone(), b)]
                } else {
                    vec![(instance.clone(), submit(&c, &url, &instance).await)]
                };
                previous = Some(instance);
                replies
            }
        };
        let stop = replies.iter().any(|(_, r)| matches!(r, Reply::Lost { .. }));
        out.extend(replies);
        if stop || Instant::now() > deadline {
            break;
        }
    }
    out
}

/// What a round did, for its summary line.
#[derive(Default)]
struct RoundStats {
    /// Requests sent during the burst, answered or not.
    sent: usize,
    /// 201 and 200 answers; `retries_answered` of them were 200s.
    acked: usize,
    retries_answered: usize,
    refused: usize,
    /// Requests the kill caught between sending and answering.
    in_flight: usize,
    /// Instance ids left without an answer by the kill; after the restart
    /// each turned out already stored (committed, never acknowledged),
    /// was stored by its resend, or was refused by the full quota.
    unanswered: usize,
    settled_stored: usize,
    settled_new: usize,
    settled_refused: usize,
    stored: i64,
}

/// Checks the database against the ledger; every broken rule is a violation.
/// Returns the number of stored responses.
async fn check_database(dir: &Path, survey: i64, ledger: &mut Ledger) -> i64 {
    let db = Db::connect(&sqlite_url(&dir.join("qingting.db")), 1)
        .await
        .unwrap();
    let v = &mut ledger.violations;

    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(db.pool())
        .await
        .unwrap();
    if integrity != "ok" {
        v.push(format!("PRAGMA integrity_check: {integrity}"));
    }
    let dangling: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pragma_foreign_key_check")
        .fetch_one(db.pool())
        .await
        .unwrap();
    if dangling != 0 {
        v.push(format!("{dangling} rows break a foreign key"));
    }

    let rows: Vec<(String, i64, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT instance_id, id, worker_group, region FROM survey_responses WHERE survey_id = $1",
    )
    .bind(survey)
    .fetch_all(db.pool())
    .await
    .unwrap();
    let mut stored: HashMap<&str, i64> = HashMap::new();
    for (instance, id, group, region) in &rows {
        if stored.insert(instance, *id).is_some() {
            v.push(format!("{instance} is stored twice"));
        }
        if !ledger.acked.contains_key(instance) && !ledger.unknown.contains(instance) {
            v.push(format!(
                "{instance} (response {id}) is stored but was {}",
                if ledger.refused.contains(instance) {
                    "refused"
                } else {
                    "never sent or already settled as not stored"
                }
            ));
        }
        let (g, r) = group_region(instance);
        if group.as_deref() != Some(g) || region.as_deref() != Some(r) {
            v.push(format!(
                "{instance}: stored as {group:?}/{region:?}, sent as {g}/{r}"
            ));
        }
    }
    for (instance, id) in &ledger.acked {
        match stored.get(instance.as_str()) {
            None => v.push(format!(
                "{instance} was acknowledged as response {id} and is lost"
            )),
            Some(s) if s != id => v.push(format!(
                "{instance} was acknowledged as response {id} but is stored as {s}"
            )),
            Some(_) => {}
        }
    }

    // The coded copy is written in the response's transaction: a response
    // without its line (or a line without its response) is a partial write.
    let uncoded: Vec<(i64,)> = sqlx::query_as(
        "SELECT r.id FROM survey_responses r \
         LEFT JOIN survey_codes c ON c.survey_id = r.survey_id AND c.response_id = r.id \
         WHERE r.survey_id = $1 AND (c.response_id IS NULL OR c.line = '' \
            OR c.worker_group <> COALESCE(r.worker_group, '') OR c.region <> COALESCE(r.region, ''))",
    )
    .bind(survey)
    .fetch_all(db.pool())
    .await
    .unwrap();
    if !uncoded.is_empty() {
        v.push(format!(
            "{} responses lack a complete coded copy, e.g. response {}",
            uncoded.len(),
            uncoded[0].0
        ));
    }
    let orphans: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM survey_codes c WHERE c.survey_id = $1 AND NOT EXISTS \
         (SELECT 1 FROM survey_responses r WHERE r.id = c.response_id)",
    )
    .bind(survey)
    .fetch_one(db.pool())
    .await
    .unwrap();
    if orphans != 0 {
        v.push(format!("{orphans} coded lines have no response"));
    }

    // Quotas are raised in the response's transaction: each counter equals
    // the responses it matches, and none is over its cap.
    let quotas: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT worker_group, region, max_responses, filled FROM survey_quotas WHERE survey_id = $1",
    )
    .bind(survey)
    .fetch_all(db.pool())
    .await
    .unwrap();
    if quotas.len() != 3 {
        v.push(format!("{} quotas instead of 3", quotas.len()));
    }
    for (group, region, max, filled) in quotas {
        let counted = rows
            .iter()
            .filter(|(_, _, g, r)| {
                (group.is_empty() || g.as_deref() == Some(group.as_str()))
                    && (region.is_empty() || r.as_deref() == Some(region.as_str()))
            })
            .count() as i64;
        if filled != counted || filled > max {
            v.push(format!(
                "quota {group:?}/{region:?}: filled {filled} (cap {max}) but {counted} responses"
            ));
        }
    }
    db.close().await;
    rows.len() as i64
}

/// After a restart: sends again every request the kill left unanswered and a
/// sample of acknowledged ones, as phones do when the network returns.
async fn settle(
    base: &str,
    code: &str,
    ledger: &mut Ledger,
    rng: &mut StdRng,
    st: &mut RoundStats,
) {
    let url = format!("{base}/api/v1/s/{code}/responses");
    let mut unknown: Vec<String> = ledger.unknown.iter().cloned().collect();
    unknown.sort();
    let mut acked: Vec<String> = ledger.acked.keys().cloned().collect();
    acked.sort();
    let sample: Vec<String> = (0..RETRY_SAMPLE.min(acked.len()))
        .map(|_| acked[rng.gen_range(0..acked.len())].clone())
        .collect();
    let c = client();
    let mut set = JoinSet::new();
    for instance in unknown.iter().chain(&sample).cloned() {
        let (c, url) = (c.clone(), url.clone());
        set.spawn(async move {
            let r = submit(&c, &url, &instance).await;
            (instance, r)
        });
    }
    while let Some(done) = set.join_next().await {
        let (instance, reply) = done.unwrap();
        let was_unknown = ledger.unknown.contains(&instance);
        match &reply {
            Reply::Ack { created: true, .. } if !was_unknown => ledger.violations.push(format!(
                "{instance} was acknowledged before the kill and stored anew after it"
            )),
            Reply::Ack { created: true, .. } => st.settled_new += 1,
            Reply::Ack { created: false, .. } if was_unknown => st.settled_stored += 1,
            Reply::Ack { .. } => {}
            Reply::Refused if was_unknown => st.settled_refused += 1,
            Reply::Refused => {}
            // The server is up and nobody kills it now: every request gets an answer.
            Reply::Lost { .. } | Reply::Unexpected(_) => ledger.violations.push(format!(
                "{instance}: no answer after the restart: {reply:?}"
            )),
        }
        ledger.record(&instance, reply);
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn acknowledged_responses_survive_sigkill_exactly_once() {
    let rounds = env_number("QINGTING_KILL_ROUNDS", 20) as usize;
    let seed = env_number("QINGTING_KILL_SEED", 0x51_4B_49_4C_4C);
    println!("SIGKILL reliability: {rounds} rounds, QINGTING_KILL_SEED={seed}");
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut tmp = tempfile::tempdir().unwrap();
    let dir = &tmp.path().to_path_buf();
    // Stops the test at the first round with a broken rule, keeping the data
    // dir (database and server log) for a look.
    let mut fail_on_violations = |round: usize, ledger: &Ledger| {
        if ledger.violations.is_empty() {
            return;
        }
        tmp.disable_cleanup(true);
        panic!(
            "round {round}: {} broken rules (data dir kept: {}):\n{}\n--- server log ---\n{}",
            ledger.violations.len(),
            dir.display(),
            ledger.violations[..ledger.violations.len().min(20)].join("\n"),
            log_tail(dir)
        );
    };

    // A new install, set up with the CLI as an operator would.
    cli(dir, &["migrate"]);
    cli(
        dir,
        &["org", "add", "--code", "KTEST", "--name", "测试区总工会"],
    );
    cli(
        dir,
        &[
            "user",
            "add",
            "kt.admin",
            "--org",
            "KTEST",
            "--name",
            "管理员",
            "--role",
            "admin",
        ],
    );
    let token = cli(
        dir,
        &["token", "create", "kt.admin", "--name", "reliability"],
    )
    .trim()
    .to_string();

    let mut server = start(dir, &rt);
    let (survey, code) = rt.block_on(async {
        let c = client();
        let post = |path: &str, body: Value| {
            c.post(format!("{}{path}", server.base))
                .bearer_auth(&token)
                .json(&body)
        };
        let res = post(
            "/api/v1/surveys",
            json!({"title": "权益调查", "quotas": quotas()}),
        )
        .send()
        .await
        .unwrap();
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = body["survey"]["id"].as_i64().unwrap();
        let code = body["survey"]["code"].as_str().unwrap().to_string();
        let res = c
            .put(format!("{}/api/v1/surveys/{id}/form", server.base))
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
        let res = post(&format!("/api/v1/surveys/{id}/publish"), json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{}",
            res.text().await.unwrap()
        );
        (id, code)
    });

    let mut ledger = Ledger::default();
    let mut plan = StdRng::seed_from_u64(seed);
    let mut total_in_flight = 0;
    for round in 1..=rounds {
        let mut st = RoundStats::default();
        // Kills land anywhere from the first connections to well into the burst.
        let delay = Duration::from_millis(plan.gen_range(5..700));
        let url = format!("{}/api/v1/s/{code}/responses", server.base);
        let tasks: Vec<_> = (0..SUBMITTERS)
            .map(|t| rt.spawn(submitter(url.clone(), round, t, plan.r#gen())))
            .collect();
        std::thread::sleep(delay);
        server.kill();
        let replies: Vec<(String, Reply)> = rt.block_on(async {
            let mut all = Vec::new();
            for t in tasks {
                all.extend(t.await.unwrap());
            }
            all
        });
        for (instance, reply) in replies {
            st.sent += 1;
            match &reply {
                Reply::Ack { created, .. } => {
                    st.acked += 1;
                    if !created {
                        st.retries_answered += 1;
                    }
                }
                Reply::Refused => st.refused += 1,
                Reply::Lost { in_flight: true } => st.in_flight += 1,
                _ => {}
            }
            ledger.record(&instance, reply);
        }
        total_in_flight += st.in_flight;

        st.unanswered = ledger.unknown.len();

        server = start(dir, &rt);
        rt.block_on(check_database(dir, survey, &mut ledger));
        fail_on_violations(round, &ledger);
        rt.block_on(settle(&server.base, &code, &mut ledger, &mut plan, &mut st));
        // Every request now has its answer: the stored set is exactly the
        // acknowledged one.
        if !ledger.unknown.is_empty() {
            ledger.violations.push(format!(
                "{} requests still unanswered after the restart",
                ledger.unknown.len()
            ));
        }
        st.stored = rt.block_on(check_database(dir, survey, &mut ledger));
        if st.stored != ledger.acked.len() as i64 {
            ledger.violations.push(format!(
                "{} responses stored, {} acknowledged",
                st.stored,
                ledger.acked.len()
            ));
        }
        println!(
            "round {round:2}/{rounds}: SIGKILL after {:3} ms: {:4} sent, {:4} acknowledged ({:2} of them retries), \
             {:3} refused, {:2} in flight; after restart the {:2} unanswered were {} stored, {:2} stored on resend, \
             {:2} refused; {:4} responses stored",
            delay.as_millis(),
            st.sent,
            st.acked,
            st.retries_answered,
            st.refused,
            st.in_flight,
            st.unanswered,
            st.settled_stored,
            st.settled_new,
            st.settled_refused,
            st.stored,
        );
        fail_on_violations(round, &ledger);
    }
    drop(server);
    println!(
        "{rounds} kills, {} responses acknowledged and found, {} refused by the quota, {total_in_flight} \
         requests in flight at a kill; {:.1} s",
        ledger.acked.len(),
        ledger.refused.len(),
        started.elapsed().as_secs_f64()
    );
    // A run where no kill caught a request would have proved nothing.
    assert!(
        rounds == 0 || total_in_flight > 0,
        "no kill landed during a request"
    );
}
