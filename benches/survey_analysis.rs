//! Questionnaire analysis over 1,000,000 responses to a 30-question form:
//! frequencies of every question plus one cross-tab, as the analysis page
//! and `/api/v1/surveys/{id}/analysis` compute them (the coded copies scanned
//! in chunks), and the peak memory of the process while doing it.
//!
//! Run with `cargo bench --bench survey_analysis` (SQLite) or
//! `QINGTING_BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432 cargo bench
//! --bench survey_analysis` (a fresh database on that server). Options:
//! `-- --responses N --runs N`.
//!
//! The responses are generated straight into `survey_responses`
//! (deterministic, 95% valid, over 60 days, four worker groups, eight
//! provinces); their coded copies are then written by the lazy back-fill
//! (`analysis::store::backfill`), which is timed too.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use qingting::{
    auth::Scope,
    db::{Db, OrgId, SurveyId},
    demo::Lcg,
    i18n::Lang,
    survey::{
        self,
        analysis::{self, AnalysisQuery, Filter, store as astore},
    },
};

#[path = "common/questionnaire.rs"]
mod questionnaire;
use questionnaire::{answers, arg, connect, form, sarg, setup};

async fn generate(db: &Db, org: OrgId, survey: SurveyId, version: i64, n: usize) {
    let form = form();
    let mut r = Lcg::new(2019);
    let bar = ProgressBar::new(n as u64).with_style(
        ProgressStyle::with_template("responses {bar:40} {pos}/{len} {per_sec}").expect("style"),
    );
    let start = 1_790_000_000i64;
    let mut done = 0;
    while done < n {
        let mut tx = db.begin().await.expect("begin");
        for _ in 0..20 {
            let batch = 500.min(n - done);
            if batch == 0 {
                break;
            }
            let mut rows = Vec::with_capacity(batch);
            for i in 0..batch {
                let k = done + i;
                let (a, g, region) = answers(&mut r, &form);
                let valid = i64::from(r.below(20) != 0);
                let t = start + (k as i64 * 60 * 86_400) / n as i64;
                rows.push(format!(
                    "({survey}, {version}, {org}, 'bench-{k:08}', '{}', 'zh-CN', '{g}', '{region}', {t}, {valid}, {valid})",
                    a.to_string().replace('\'', "''")
                ));
            }
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO survey_responses (survey_id, version_id, org_id, instance_id, answers, lang, \
                 worker_group, region, submitted_at, rules_valid, valid) VALUES {}",
                rows.join(",")
            )))
            .execute(&mut *tx)
            .await
            .expect("insert");
            done += batch;
            bar.inc(batch as u64);
        }
        tx.commit().await.expect("commit");
    }
    bar.finish_and_clear();
}

/// Peak resident memory of this process in MB (VmHWM).
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

async fn measure<F, Fut>(runs: usize, mut f: F) -> (Duration, Duration)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        f().await;
        times.push(t.elapsed());
    }
    times.sort();
    (times[times.len() / 2], times[times.len() - 1])
}

#[tokio::main]
async fn main() {
    let n = arg("--responses", 1_000_000);
    let runs = arg("--runs", 7);
    let measure_only = std::env::args().any(|a| a == "--measure");
    let keep = sarg("--db");
    let (db, backend, dir, name) = connect(keep.as_deref()).await;
    if measure_only {
        measure_all(&db, runs).await;
        return;
    }
    db.migrate().await.expect("migrate");
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM survey_responses")
        .fetch_one(db.pool())
        .await
        .expect("count");
    if existing == 0 {
        let (org, id, version) = setup(&db).await;
        let t = Instant::now();
        generate(&db, org, id, version, n).await;
        println!(
            "{backend}: generated {n} responses in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let forms = astore::forms(&db, id).await.expect("forms");
        let t = Instant::now();
        let bar = ProgressBar::new(n as u64).with_style(
            ProgressStyle::with_template("coding {bar:40} {pos}/{len} {per_sec}").expect("style"),
        );
        let coded = astore::backfill(&db, id, &forms, |k| bar.set_position(k))
            .await
            .expect("backfill");
        bar.finish_and_clear();
        println!(
            "back-fill of coded copies: {coded} responses in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        if backend == "PostgreSQL" {
            sqlx::query("VACUUM ANALYZE")
                .execute(db.pool())
                .await
                .expect("vacuum");
        } else {
            sqlx::query("ANALYZE")
                .execute(db.pool())
                .await
                .expect("analyze");
        }
    } else {
        println!("{backend}: reusing {existing} responses in {name}");
    }
    db.close().await;
    // The measurement runs in a fresh process, so its peak memory is the
    // analysis's (as a server's would be), not the generator's.
    let mut child = std::process::Command::new(std::env::current_exe().expect("exe"));
    child.args(["--measure", "--db", &name, "--runs", &runs.to_string()]);
    let status = child.status().expect("measure");
    assert!(status.success());
    drop(dir);
}

/// Times the analysis the page runs, three ways, in this process.
async fn measure_all(db: &Db, runs: usize) {
    let (org, id): (i64, i64) =
        sqlx::query_as("SELECT org_id, id FROM surveys ORDER BY id LIMIT 1")
            .fetch_one(db.pool())
            .await
            .expect("survey");
    let s = survey::store::get(db, &Scope::of(vec![OrgId(org)]), SurveyId(id))
        .await
        .expect("get")
        .expect("visible");
    println!("process before measuring: RSS {:.0} MB", peak_rss_mb());
    let forms = astore::forms(db, s.id).await.expect("forms");
    let (median, _) = measure(runs, || async {
        astore::ensure_coded(db, s.id, &forms).await.expect("check");
    })
    .await;
    println!(
        "  the check that every response is coded: median {:.1} ms",
        median.as_secs_f64() * 1e3
    );

    for (what, q) in [
        (
            "every question + cross-tab income × worker group (valid only)",
            AnalysisQuery {
                row: Some("income".into()),
                by: Some("worker_group".into()),
                ..Default::default()
            },
        ),
        (
            "every question + cross-tab needs (multiple) × region (valid only)",
            AnalysisQuery {
                row: Some("needs".into()),
                by: Some("region".into()),
                ..Default::default()
            },
        ),
        (
            "every question + cross-tab income × income_change, one group, one month",
            AnalysisQuery {
                row: Some("income".into()),
                by: Some("income_change".into()),
                group: Some("courier".into()),
                from: Some("2026-09-22".into()),
                to: Some("2026-10-21".into()),
                ..Default::default()
            },
        ),
    ] {
        let f: Filter = q.filter().expect("filter");
        let responses = std::cell::Cell::new(0);
        let (median, max) = measure(runs, || async {
            let a = analysis::analyse(db, &s, &f, &q, Lang::Zh)
                .await
                .expect("analysis")
                .expect("query");
            assert!(a.crosstab.is_some());
            assert_eq!(a.questions.len(), 31);
            responses.set(a.responses);
        })
        .await;
        println!(
            "{what}: {} responses counted, median {:.0} ms, max {:.0} ms over {runs} runs; peak RSS {:.0} MB",
            responses.get(),
            median.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            peak_rss_mb(),
        );
    }
    // Where the time goes (after the runs above, whose peak memory this
    // would otherwise inflate: it keeps every chunk).
    let f = Filter::default();
    let (median, _) = measure(runs, || async {
        astore::chunks(db, s.id, &f, |_| {}).await.expect("chunks");
    })
    .await;
    println!(
        "  reading the coded lines of the valid responses (no counting): median {:.0} ms",
        median.as_secs_f64() * 1e3
    );
    let mut all = Vec::new();
    astore::chunks(db, s.id, &f, |c| all.push(c.to_string()))
        .await
        .expect("chunks");
    let book = astore::codebook(&forms);
    let (median, _) = measure(runs, || async {
        let mut t = analysis::tally::Tally::new(&book, None);
        for c in &all {
            t.add_chunk(c);
        }
        assert!(t.total > 0);
    })
    .await;
    println!(
        "  counting them in memory (every question, no cross-tab): median {:.0} ms",
        median.as_secs_f64() * 1e3
    );
    drop(all);
}
