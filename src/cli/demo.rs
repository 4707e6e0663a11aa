//! `qingting demo`: loads the demo district into an empty database.

use crate::db::Db;

pub async fn run(db: &Db) -> anyhow::Result<()> {
    let summary = crate::demo::load(db).await?;
    print!("{summary}");
    Ok(())
}
