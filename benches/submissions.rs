//! The public submission endpoint under load: 64 connections posting fresh
//! responses to the 31-question form as fast as they are answered, against
//! two servers of this build side by side in one run — one storing durably
//! (SQLite `synchronous = FULL`, concurrent commits batched by
//! `survey::intake`), one answering the same POSTs without storing
//! (`Application::discarding_responses`). Reports requests per second,
//! latency percentiles and the ratio of the two rates, then checks that every
//! acknowledged response is stored exactly once.
//!
//! Run with `cargo bench --bench submissions` (SQLite) or
//! `QINGTING_BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432 cargo bench
//! --bench submissions`. Options: `-- --connections N --seconds N --rounds N`.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use qingting::{
    auth::Scope,
    config::Settings,
    db::{Db, sqlite_url},
    demo::Lcg,
    startup::Application,
    survey,
};

#[path = "common/questionnaire.rs"]
mod questionnaire;
use questionnaire::{answers, arg, connect, form, setup};

/// A running server and its survey's submission URL.
struct Server {
    url: String,
    db: Db,
    survey: i64,
    _dirs: (Option<tempfile::TempDir>, tempfile::TempDir),
}

/// Starts a server of this build on a fresh database with the survey published.
async fn server(discard: bool) -> Server {
    let (db, _, dir, name) = connect(None).await;
    db.migrate().await.expect("migrate");
    let (org, id, _) = setup(&db).await;
    let s = survey::store::get(&db, &Scope::of(vec![org]), id)
        .await
        .expect("get")
        .expect("visible");
    db.close().await;
    let data = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings {
        data_dir: data.path().to_path_buf(),
        ..Default::default()
    };
    settings.server.bind = "127.0.0.1:0".into();
    settings.database.url = match std::env::var("QINGTING_BENCH_POSTGRES") {
        Ok(server) if !server.is_empty() => format!("{}/{name}", server.trim_end_matches('/')),
        _ => sqlite_url(std::path::Path::new(&name)),
    };
    settings.reminders.sweep_interval_minutes = 0;
    settings.mail.poll_seconds = 0;
    let mut app = Application::build(settings).await.expect("app");
    if discard {
        app = app.discarding_responses();
    }
    let url = format!("http://{}/api/v1/s/{}/responses", app.addr, s.code);
    let db = app.db.clone();
    tokio::spawn(app.run());
    Server {
        url,
        db,
        survey: id.0,
        _dirs: (dir, data),
    }
}

/// What one load run saw.
struct Run {
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    acknowledged: Vec<String>,
}

impl Run {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> f64 {
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[i].as_secs_f64() * 1e3
    }
}

/// `connections` tasks posting for `seconds`, each response with a fresh
/// instance id (`tag` keeps runs apart).
async fn load(
    url: &str,
    bodies: &Arc<Vec<String>>,
    connections: usize,
    seconds: u64,
    tag: &str,
) -> Run {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .build()
        .expect("client");
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..connections {
        let (client, url, bodies, tag) = (
            client.clone(),
            url.to_string(),
            bodies.clone(),
            tag.to_string(),
        );
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut acknowledged = Vec::new();
            let mut k = 0usize;
            while Instant::now() < until {
                let instance = format!("{tag}-{c:03}-{k:07}");
                let answers = &bodies[(c * 7919 + k) % bodies.len()];
                let body = format!(
                    r#"{{"instance_id":"{instance}","answers":{answers},"started_at":1795000000,"ended_at":1795000400}}"#
                );
                let t = Instant::now();
                let res = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .expect("send");
                let status = res.status();
                let answer = res.bytes().await.expect("body");
                latencies.push(t.elapsed());
                assert_eq!(
                    status.as_u16(),
                    201,
                    "every response is stored: {}",
                    String::from_utf8_lossy(&answer)
                );
                acknowledged.push(instance);
                k += 1;
            }
            (latencies, acknowledged)
        });
    }
    let mut run = Run {
        requests: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
        acknowledged: Vec::new(),
    };
    while let Some(done) = tasks.join_next().await {
        let (l, a) = done.expect("task");
        run.latencies.extend(l);
        run.acknowledged.extend(a);
    }
    run.elapsed = started.elapsed();
    run.requests = run.latencies.len();
    run.latencies.sort();
    run
}

fn report(what: &str, r: &Run) {
    println!(
        "  {what:<28} {:>7.0} req/s  p50 {:>5.1} ms  p99 {:>5.1} ms  max {:>6.1} ms  ({} requests in {:.1} s)",
        r.rate(),
        r.percentile(0.50),
        r.percentile(0.99),
        r.latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
        r.requests,
        r.elapsed.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let connections = arg("--connections", 64);
    let seconds = arg("--seconds", 10) as u64;
    let rounds = arg("--rounds", 2);
    let backend = if std::env::var("QINGTING_BENCH_POSTGRES").is_ok_and(|v| !v.is_empty()) {
        "PostgreSQL"
    } else {
        "SQLite (synchronous = FULL)"
    };
    let form = form();
    let mut r = Lcg::new(7);
    let bodies: Arc<Vec<String>> = Arc::new(
        (0..2000)
            .map(|_| answers(&mut r, &form).0.to_string())
            .collect(),
    );
    let baseline = server(true).await;
    let durable = server(false).await;
    println!(
        "{backend}: {connections} connections, {seconds} s per run, {rounds} rounds, \
         answers of {} bytes on average",
        bodies.iter().map(String::len).sum::<usize>() / bodies.len()
    );
    // Warm both up (connections, caches) before measuring.
    load(&baseline.url, &bodies, connections, 1, "warm-a").await;
    load(&durable.url, &bodies, connections, 1, "warm-b").await;
    let (mut base_rates, mut stored_rates, mut p99s) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=rounds {
        println!("round {round}:");
        let a = load(
            &baseline.url,
            &bodies,
            connections,
            seconds,
            &format!("a{round}"),
        )
        .await;
        report("answered, not stored", &a);
        let b = load(
            &durable.url,
            &bodies,
            connections,
            seconds,
            &format!("b{round}"),
        )
        .await;
        report("stored durably", &b);
        base_rates.push(a.rate());
        stored_rates.push(b.rate());
        p99s.push(b.percentile(0.99));
        // Every acknowledged response of this round is stored, exactly once.
        let found: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM survey_responses WHERE survey_id = {} AND instance_id LIKE 'b{round}-%'",
            durable.survey
        )))
        .fetch_one(durable.db.pool())
        .await
        .expect("count");
        assert_eq!(
            found as usize,
            b.acknowledged.len(),
            "acknowledged = stored"
        );
    }
    let base = base_rates.iter().sum::<f64>() / base_rates.len() as f64;
    let stored = stored_rates.iter().sum::<f64>() / stored_rates.len() as f64;
    let worst_p99 = p99s.iter().cloned().fold(0.0, f64::max);
    println!(
        "summary: stored {stored:.0} req/s vs {base:.0} req/s not stored = {:.0}% of the baseline \
         (target ≥ 50%); worst p99 while storing {worst_p99:.1} ms (target < 50 ms)",
        100.0 * stored / base
    );
}
