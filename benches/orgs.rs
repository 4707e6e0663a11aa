//! The org tree at national scale: about 100,000 orgs (a national federation, 31
//! provinces, 10 cities each, 10 districts each, 31 unions under each district),
//! then "my subtree" and "counts under me" as the home page and the tree page ask
//! them, at each level. Run with `cargo bench --bench orgs` (`-- --runs N`).

use std::time::{Duration, Instant};

use qingting::{
    auth::Scope,
    db::{Db, OrgId, sqlite_url},
    org::store as orgs,
};

fn runs() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(9)
}

/// Inserts the tree with its closure rows; returns (national, a province, a city, a district).
async fn generate(db: &Db) -> (OrgId, OrgId, OrgId, OrgId) {
    let mut tx = db.begin().await.expect("begin");
    // (id, parent, kind, code): ids assigned here so the closure rows can be written in bulk.
    let mut rows: Vec<(i64, Option<i64>, &str, String)> =
        vec![(1, None, "federation", "CN".into())];
    let mut next = 2;
    let mut levels: Vec<Vec<i64>> = vec![vec![1]];
    for (width, kind) in [
        (31, "federation"),
        (10, "federation"),
        (10, "federation"),
        (31, "grassroots"),
    ] {
        let mut level = Vec::new();
        for &parent in levels.last().expect("a level") {
            for _ in 0..width {
                rows.push((next, Some(parent), kind, format!("O{next}")));
                level.push(next);
                next += 1;
            }
        }
        levels.push(level);
    }
    let parent_of: std::collections::HashMap<i64, Option<i64>> =
        rows.iter().map(|(id, p, _, _)| (*id, *p)).collect();
    for chunk in rows.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO orgs (id, code, name, kind, parent_id, sort_key, created_at, updated_at) VALUES ",
        );
        let mut tree =
            String::from("INSERT INTO org_tree (ancestor_id, descendant_id, depth) VALUES ");
        let mut first_tree = true;
        for (i, (id, parent, kind, code)) in chunk.iter().enumerate() {
            let p = parent.map(|p| p.to_string()).unwrap_or("NULL".into());
            sql.push_str(&format!(
                "{}({id}, '{code}', '{code}工会', '{kind}', {p}, '{code}', 0, 0)",
                if i == 0 { "" } else { "," }
            ));
            let (mut at, mut depth) = (Some(*id), 0);
            while let Some(a) = at {
                tree.push_str(&format!(
                    "{}({a}, {id}, {depth})",
                    if first_tree { "" } else { "," }
                ));
                first_tree = false;
                at = parent_of[&a];
                depth += 1;
            }
        }
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *tx)
            .await
            .expect("orgs");
        sqlx::query(sqlx::AssertSqlSafe(tree))
            .execute(&mut *tx)
            .await
            .expect("tree");
    }
    tx.commit().await.expect("commit");
    sqlx::query("ANALYZE")
        .execute(db.pool())
        .await
        .expect("analyze");
    println!("{} orgs", rows.len());
    (
        OrgId(1),
        OrgId(levels[1][0]),
        OrgId(levels[2][0]),
        OrgId(levels[3][0]),
    )
}

#[tokio::main]
async fn main() {
    let runs = runs();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Db::connect(&sqlite_url(&dir.path().join("bench.db")), 4)
        .await
        .expect("connect");
    db.migrate().await.expect("migrate");
    let (national, province, city, district) = generate(&db).await;
    println!("\n| query | best | median | worst |\n|---|---:|---:|---:|");
    for (name, org) in [
        ("national (99,542 in its subtree)", national),
        ("province (3,211)", province),
        ("city (321)", city),
        ("district (32)", district),
    ] {
        let scope = Scope::of(vec![org]);
        let mut counts = Vec::new();
        let mut tree = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let c = orgs::counts(&db, org).await.expect("counts");
            counts.push(t.elapsed());
            assert!(c.orgs_total > 0);
            let t = Instant::now();
            let roots = orgs::roots(&db, &scope).await.expect("roots");
            let children = orgs::children(&db, &scope, org).await.expect("children");
            let inside = scope.contains(&db, OrgId(100_000)).await.expect("contains");
            tree.push(t.elapsed());
            assert_eq!(roots.len(), 1);
            let _ = (children, inside);
        }
        for (what, mut times) in [
            ("counts under me", counts),
            ("my subtree: root, children, membership", tree),
        ] {
            times.sort();
            let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
            println!(
                "| {name}: {what} | {} | {} | {} |",
                ms(times[0]),
                ms(times[times.len() / 2]),
                ms(times[times.len() - 1])
            );
        }
    }
}
