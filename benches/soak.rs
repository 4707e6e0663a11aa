//! Soak (issue 14 §5): the real binary, `qingting serve --demo`, under ten
//! minutes of steady mixed load from load generators in other processes
//! (Debian's `wrk`, two instances): 50 questionnaire submissions a second to
//! a published survey, and 200 page and API reads a second as five people of
//! different roles and levels (district admin, street cadre, district viewer,
//! national admin, a provincial work-group leader), each with their own
//! session cookie (pages) or API token (API). The server's resident memory is
//! sampled every 5 seconds from /proc.
//!
//! Passes when no request failed (no socket error, no timeout, every answer
//! the expected status), every acknowledged submission is stored, and the
//! resident memory at the end is within 10 % of what it was halfway through.
//! Prints the figures as a line for BENCHMARKS.md.
//!
//! Not in CI (it takes the minutes it says). Run with
//! `cargo bench --bench soak` (SQLite) or
//! `QINGTING_BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432 cargo bench --bench soak`.
//! Options: `-- --minutes 10 --submit-rate 50 --read-rate 200`.

use std::{
    io::Write,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use qingting::demo::Lcg;
use reqwest::{Client, StatusCode, redirect::Policy};
use serde_json::{Value, json};

#[path = "common/questionnaire.rs"]
mod questionnaire;
use questionnaire::{answers, arg, form};

/// Who reads, and what: (username, page paths, API paths). Each path must
/// answer 200 to that person (checked before the load starts).
const READERS: &[(&str, &[&str], &[&str])] = &[
    (
        "admin",
        &[
            "/",
            "/problems",
            "/campaigns/2/supervision",
            "/activities",
            "/notifications",
        ],
        &[
            "/api/v1/todo",
            "/api/v1/problems",
            "/api/v1/campaigns/2/supervision",
            "/api/v1/orgs",
        ],
    ),
    (
        "dhl.cadre",
        &["/", "/problems", "/activities", "/enterprises"],
        &["/api/v1/todo", "/api/v1/problems", "/api/v1/enterprises"],
    ),
    (
        "district.viewer",
        &["/", "/problems", "/campaigns/2/dashboard"],
        &["/api/v1/problems", "/api/v1/activities"],
    ),
    (
        "acftu.admin",
        &["/", "/orgs", "/surveys"],
        &["/api/v1/todo", "/api/v1/surveys"],
    ),
    (
        "hunan.leader",
        &["/", "/surveys"],
        &["/api/v1/todo", "/api/v1/me"],
    ),
];

/// The demo's password for every account.
const PASSWORD: &str = "qingting2019";

fn main() {
    let minutes = arg("--minutes", 10) as u64;
    let submit_rate = arg("--submit-rate", 50);
    let read_rate = arg("--read-rate", 200);
    assert!(
        Command::new("wrk").arg("--version").output().is_ok(),
        "the load generator is Debian's wrk: apt-get install wrk"
    );
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(soak(minutes, submit_rate, read_rate));
}

/// The server under test: the release binary on a fresh data dir (and, for
/// PostgreSQL, a fresh database dropped at the end).
struct Server {
    child: Child,
    base: String,
    args: Vec<String>,
    postgres: Option<(String, String)>,
    dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut args = vec!["--data-dir".to_string(), dir.path().display().to_string()];
        let postgres = match std::env::var("QINGTING_BENCH_POSTGRES") {
            Ok(server) if !server.is_empty() => {
                let server = server.trim_end_matches('/').to_string();
                let name = format!("qt_soak_{}", std::process::id());
                psql(&server, &format!("DROP DATABASE IF EXISTS {name}"));
                psql(&server, &format!("CREATE DATABASE {name}"));
                args.extend(["--database-url".to_string(), format!("{server}/{name}")]);
                Some((server, name))
            }
            _ => None,
        };
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
            l.local_addr().expect("addr").port()
        };
        let log = std::fs::File::create(dir.path().join("serve.log")).expect("log");
        let child = Command::new(env!("CARGO_BIN_EXE_qingting"))
            .args(&args)
            .args(["serve", "--demo", "--bind", &format!("127.0.0.1:{port}")])
            .env("QINGTING_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start qingting");
        Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            args,
            postgres,
            dir,
        }
    }

    /// Resident memory of the server process, in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server is running");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }

    /// A bearer token for `username`, made with the command line as an operator would.
    fn token(&self, username: &str) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_qingting"))
            .args(&self.args)
            .args(["token", "create", username, "--name", "soak"])
            .output()
            .expect("token create");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .trim()
            .to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some((server, name)) = &self.postgres {
            psql(server, &format!("DROP DATABASE IF EXISTS {name}"));
        }
    }
}

fn psql(server: &str, sql: &str) {
    let ok = Command::new("psql")
        .args([&format!("{server}/postgres"), "-qc", sql])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "psql failed: {sql}");
}

/// Logs in through the login form and returns the session cookie.
async fn session_cookie(base: &str, username: &str) -> String {
    let client = Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client");
    let res = client
        .post(format!("{base}/login"))
        .form(&[
            ("username", username),
            ("password", PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("login");
    assert!(
        res.status().is_redirection(),
        "login of {username}: {}",
        res.status()
    );
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(qingting::auth::SESSION_COOKIE))
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_string()
}

/// Creates and publishes the 31-question survey as the district admin; returns its id and link code.
async fn publish_survey(base: &str, token: &str) -> (i64, String) {
    let client = Client::new();
    let call = |method: reqwest::Method, path: &str, body: Value| {
        client
            .request(method, format!("{base}{path}"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let res = call(
        reqwest::Method::POST,
        "/api/v1/surveys",
        json!({"title": "骑手工作与权益调查（压力测试）"}),
    )
    .await
    .expect("create");
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.expect("json");
    let id = body["survey"]["id"].as_i64().expect("id");
    let code = body["survey"]["code"].as_str().expect("code").to_string();
    let res = call(
        reqwest::Method::PUT,
        &format!("/api/v1/surveys/{id}/form"),
        form(),
    )
    .await
    .expect("form");
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let res = call(
        reqwest::Method::POST,
        &format!("/api/v1/surveys/{id}/publish"),
        json!({}),
    )
    .await
    .expect("publish");
    assert_eq!(res.status(), StatusCode::OK);
    (id, code)
}

/// What one wrk instance reported through its `done` hook.
#[derive(Debug, serde::Deserialize)]
struct WrkReport {
    requests: u64,
    seconds: f64,
    connect: u64,
    read: u64,
    write: u64,
    timeout: u64,
    unexpected: u64,
    p50_us: u64,
    p99_us: u64,
    max_us: u64,
}

impl WrkReport {
    fn errors(&self) -> u64 {
        self.connect + self.read + self.write + self.timeout + self.unexpected
    }
    fn rate(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

/// Shared by both scripts: per-thread counts of answers with an unexpected
/// status, and a `done` hook printing one JSON line.
const WRK_COMMON: &str = r#"
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
unexpected = 0
function response(status, headers, body)
  if status ~= expected then
    unexpected = unexpected + 1
    if unexpected <= 3 then io.stderr:write("unexpected " .. status .. ": " .. string.sub(body, 1, 200) .. "\n") end
  end
end
-- An open schedule, as a real crowd offers load: the thread's k-th request
-- is due at start + k * interval whatever the answers' own times (LuaJIT's
-- ffi reads the monotonic clock in ms), and a connection whose slot has
-- passed goes at once. A fixed pause per request would offer less than the
-- rate by the answers' own time.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } qt_timespec;
int clock_gettime(int clk_id, qt_timespec *tp);
]]
local ts = ffi.new("qt_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end
local start, slots = nil, 0
function delay()
  local now = now_ms()
  if start == nil then start = now end
  slots = slots + 1
  local wait = start + slots * interval - now
  if wait < 1 then return 0 end
  return math.floor(wait)
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("unexpected") end
  local e = summary.errors
  io.write(string.format('QTJSON {"requests":%d,"seconds":%f,"connect":%d,"read":%d,"write":%d,"timeout":%d,"unexpected":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration / 1e6, e.connect, e.read, e.write, e.timeout, bad,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"#;

/// Posts a fresh response each time: bodies from a file, a unique instance id
/// per request (`tag-thread-counter`), so none is a retry of another.
const SUBMIT_LUA: &str = r#"
local bodies = {}
local n = 0
function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  tag = args[2]
  interval = tonumber(args[3])
  expected = 201
end
function request()
  n = n + 1
  local body = string.format('{"instance_id":"%s-%d-%d","answers":%s,"started_at":1795000000,"ended_at":1795000400}',
    tag, id, n, bodies[(n % #bodies) + 1])
  return wrk.format("POST", wrk.path, {["Content-Type"] = "application/json"}, body)
end
"#;

/// Cycles through (path, header name, header value) lines: pages with a
/// session cookie, the API with a bearer token.
const READ_LUA: &str = r#"
local reqs = {}
local n = 0
function init(args)
  for line in io.lines(args[1]) do
    local p, h, v = line:match("([^\t]+)\t([^\t]+)\t(.+)")
    reqs[#reqs + 1] = wrk.format("GET", p, {[h] = v})
  end
  interval = tonumber(args[2])
  expected = 200
  n = id * 7
end
function request()
  n = n + 1
  return reqs[(n % #reqs) + 1]
end
"#;

/// Starts wrk for `seconds` with `connections`, running `script` with `args`.
fn wrk(
    dir: &Path,
    name: &str,
    script: &str,
    url: &str,
    connections: usize,
    seconds: u64,
    args: &[String],
) -> Child {
    let path = dir.join(format!("{name}.lua"));
    std::fs::write(&path, format!("{WRK_COMMON}\n{script}")).expect("lua");
    Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--timeout",
            "10s",
            "-s",
        ])
        .arg(&path)
        .arg(url)
        .arg("--")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start wrk")
}

fn report(child: Child) -> WrkReport {
    let out = child.wait_with_output().expect("wrk");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("QTJSON "))
        .unwrap_or_else(|| panic!("wrk printed no report:\n{text}"));
    serde_json::from_str(line).expect("report")
}

async fn soak(minutes: u64, submit_rate: usize, read_rate: usize) {
    let backend = if std::env::var("QINGTING_BENCH_POSTGRES").is_ok_and(|v| !v.is_empty()) {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("soak: {backend}, {minutes} min, {submit_rate} submissions/s + {read_rate} reads/s");
    let server = Server::start();
    let started = Instant::now();
    let http = Client::new();
    loop {
        if http
            .get(format!("{}/healthz", server.base))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(900),
            "the demo did not come up"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    println!(
        "demo loaded and serving in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    // What the readers ask for, each as themselves; every line must answer 200.
    let mut lines = Vec::new();
    let mut admin_token = String::new();
    for (user, pages, apis) in READERS {
        let cookie = session_cookie(&server.base, user).await;
        let token = server.token(user);
        if *user == "admin" {
            admin_token = token.clone();
        }
        for p in *pages {
            lines.push((p.to_string(), "Cookie".to_string(), cookie.clone()));
        }
        for p in *apis {
            lines.push((
                p.to_string(),
                "Authorization".to_string(),
                format!("Bearer {token}"),
            ));
        }
    }
    let client = Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client");
    for (path, h, v) in &lines {
        let res = client
            .get(format!("{}{path}", server.base))
            .header(h.as_str(), v.as_str())
            .send()
            .await
            .expect("read");
        assert_eq!(res.status(), StatusCode::OK, "{path} as {h}: {v}");
    }
    let reads_file = server.dir.path().join("reads.tsv");
    let mut f = std::fs::File::create(&reads_file).expect("reads");
    for (p, h, v) in &lines {
        writeln!(f, "{p}\t{h}\t{v}").expect("write");
    }
    drop(f);

    let (survey, code) = publish_survey(&server.base, &admin_token).await;
    let shape = form();
    let mut r = Lcg::new(14);
    let bodies_file = server.dir.path().join("bodies.jsonl");
    let mut f = std::fs::File::create(&bodies_file).expect("bodies");
    for _ in 0..2000 {
        writeln!(f, "{}", answers(&mut r, &shape).0).expect("write");
    }
    drop(f);

    // wrk's one thread schedules its requests every 1000/R ms (see `delay`
    // in WRK_COMMON); the connections are how many may be in flight at once.
    let (submit_conns, read_conns) = (20, 50);
    let submit_interval = 1000.0 / submit_rate.max(1) as f64;
    let read_interval = 1000.0 / read_rate.max(1) as f64;
    let seconds = minutes * 60;
    let tag = format!("soak{}", std::process::id());
    let rss_start = server.rss_kib();
    let submit = wrk(
        server.dir.path(),
        "submit",
        SUBMIT_LUA,
        &format!("{}/api/v1/s/{code}/responses", server.base),
        submit_conns,
        seconds,
        &[
            bodies_file.display().to_string(),
            tag.clone(),
            submit_interval.to_string(),
        ],
    );
    let reads = wrk(
        server.dir.path(),
        "reads",
        READ_LUA,
        &server.base,
        read_conns,
        seconds,
        &[reads_file.display().to_string(), read_interval.to_string()],
    );
    let t0 = Instant::now();
    let mut samples = Vec::new();
    while t0.elapsed() < Duration::from_secs(seconds) {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let kib = server.rss_kib();
        samples.push((t0.elapsed().as_secs(), kib));
        if samples.len() % 12 == 0 {
            println!(
                "{:>4} s  RSS {:.1} MiB",
                t0.elapsed().as_secs(),
                kib as f64 / 1024.0
            );
        }
    }
    let submitted = report(submit);
    let read = report(reads);

    // Every acknowledged submission is stored.
    let res = client
        .get(format!("{}/api/v1/surveys/{survey}", server.base))
        .bearer_auth(&admin_token)
        .send()
        .await
        .expect("survey");
    let body: Value = res.json().await.expect("json");
    let stored = body["survey"]["response_count"]
        .as_i64()
        .or(body["response_count"].as_i64());

    let half = seconds / 2;
    let at_half = samples
        .iter()
        .find(|(t, _)| *t >= half)
        .map(|s| s.1)
        .unwrap_or(rss_start);
    let late_max = samples
        .iter()
        .filter(|(t, _)| *t >= half)
        .map(|s| s.1)
        .max()
        .unwrap_or(at_half);
    let end = samples.last().map(|s| s.1).unwrap_or(at_half);
    let growth = (late_max as f64 - at_half as f64) / at_half as f64 * 100.0;
    let mib = |k: u64| k as f64 / 1024.0;
    for (what, r) in [("submissions", &submitted), ("reads", &read)] {
        println!(
            "{what}: {} in {:.0} s ({:.1}/s), errors {}, latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            r.requests,
            r.seconds,
            r.rate(),
            r.errors(),
            r.p50_us as f64 / 1000.0,
            r.p99_us as f64 / 1000.0,
            r.max_us as f64 / 1000.0
        );
    }
    println!(
        "RSS: start {:.1} MiB, at {half} s {:.1} MiB, highest after {:.1} MiB, end {:.1} MiB ({growth:+.1} %)",
        mib(rss_start),
        mib(at_half),
        mib(late_max),
        mib(end)
    );
    println!(
        "| {backend} | {:.1}/s, p99 {:.1} ms | {:.1}/s, p99 {:.1} ms | {} | {:.0} → {:.0} → {:.0} MiB ({growth:+.1} %) |",
        submitted.rate(),
        submitted.p99_us as f64 / 1000.0,
        read.rate(),
        read.p99_us as f64 / 1000.0,
        submitted.errors() + read.errors(),
        mib(rss_start),
        mib(at_half),
        mib(end),
    );
    let mut failed = Vec::new();
    if submitted.errors() + read.errors() > 0 {
        failed.push(format!("{} errors", submitted.errors() + read.errors()));
    }
    // A closed-loop generator slows down with the server, so a server that
    // cannot keep up shows as a rate short of the one asked for.
    for (what, r, target) in [
        ("submissions", &submitted, submit_rate),
        ("reads", &read, read_rate),
    ] {
        if r.rate() < 0.9 * target as f64 {
            failed.push(format!(
                "{what} reached {:.1}/s, short of the {target}/s asked for",
                r.rate()
            ));
        }
    }
    if growth > 10.0 {
        failed.push(format!("memory grew {growth:.1} % over the second half"));
    }
    match stored {
        Some(n) if n as u64 >= submitted.requests - submitted.errors() => {}
        other => failed.push(format!(
            "stored responses {other:?} < acknowledged {}",
            submitted.requests - submitted.errors()
        )),
    }
    if !failed.is_empty() {
        eprintln!(
            "server log: {}",
            server.dir.path().join("serve.log").display()
        );
        let log = std::fs::read_to_string(server.dir.path().join("serve.log")).unwrap_or_default();
        eprintln!(
            "{}",
            log.lines().rev().take(30).collect::<Vec<_>>().join("\n")
        );
        panic!("soak failed: {}", failed.join("; "));
    }
    println!("soak passed");
}
