//! `qingting migrate`: connecting already applies pending migrations.

use crate::db::Db;

pub async fn run(db: &Db) -> anyhow::Result<()> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(db.pool())
        .await?;
    println!("database is up to date ({n} migrations applied)");
    Ok(())
}
