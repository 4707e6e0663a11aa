//! `qingting move --to URL`: copies this deployment's database into an empty
//! one (SQLite to PostgreSQL when outgrowing one machine; back, for tests),
//! prints counts and checksums per table, and checks the attachment files.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};

use crate::{
    config::Settings,
    db::{
        Db,
        copy::{self, CopyReport},
    },
};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The empty target database: postgres://user:password@host/db or sqlite:///path/file.db.
    #[arg(long)]
    to: String,
}

pub async fn run(settings: &Settings, args: Args) -> anyhow::Result<()> {
    let from = settings.database_url();
    if let Some(path) = sqlite_path(&from)
        && !Path::new(path).exists()
    {
        anyhow::bail!("no database at {path}: nothing to move");
    }
    let to = creatable(&args.to);
    if same_sqlite_file(&from, &to) {
        anyhow::bail!("the target is the source database itself");
    }
    let source = Db::connect(&from, 2).await?;
    let target = Db::connect(&to, 2).await?;
    eprintln!("moving {} to {}", redacted(&from), redacted(&to));
    let bar = ProgressBar::new(0).with_style(ProgressStyle::with_template(
        "{msg:24} {bar:40} {pos}/{len} rows {per_sec} eta {eta}",
    )?);
    let report = copy::copy(&source, &target, &bar).await?;
    print!("{}", table(&report));
    let missing = missing_files(&source, &settings.data_dir).await?;
    source.close().await;
    target.close().await;
    if !report.committed {
        let names: Vec<&str> = report
            .mismatches()
            .map(|t| t.source.table.as_str())
            .collect();
        anyhow::bail!(
            "counts or checksums differ in {}: nothing was committed, the target is still empty",
            names.join(", ")
        );
    }
    println!(
        "{} rows in {} tables copied and verified; {} sequences set past the copied ids.",
        report.rows(),
        report.tables.len(),
        report.sequences.len()
    );
    println!(
        "Attachment files stay in {} (they are found by their SHA-256): keep data_dir when \
         the server moves to the new database.",
        settings.data_dir.display()
    );
    if missing.is_empty() {
        println!("Every attachment's file is present.");
    } else {
        println!(
            "warning: {} attachments have no file in the data dir (they were missing before \
             the move too): {}",
            missing.len(),
            missing.join("; ")
        );
    }
    println!(
        "Next: set database.url = \"{}\" (or QINGTING_DATABASE_URL) and start the server.",
        redacted(&args.to)
    );
    Ok(())
}

/// Counts and checksums, one line per table (the first 16 hex digits of each sum).
fn table(report: &CopyReport) -> String {
    use std::fmt::Write;
    let width = report
        .tables
        .iter()
        .map(|t| t.source.table.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let mut out = format!(
        "{:width$}  {:>10}  {:>10}  {:16}  {:16}  ok\n",
        "table", "source", "target", "source sha256", "target sha256"
    );
    for t in &report.tables {
        let _ = writeln!(
            out,
            "{:width$}  {:>10}  {:>10}  {:16}  {:16}  {}",
            t.source.table,
            t.source.rows,
            t.target.rows,
            &t.source.sha256[..16],
            &t.target.sha256[..16],
            if t.matches() { "yes" } else { "NO" }
        );
    }
    out
}

/// Live attachments whose file (or thumbnail) is not in the data dir.
async fn missing_files(db: &Db, data_dir: &Path) -> anyhow::Result<Vec<String>> {
    let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT id, filename, sha256, has_thumbnail FROM attachments \
         WHERE deleted_at IS NULL ORDER BY id",
    )
    .fetch_all(db.pool())
    .await?;
    let mut missing = Vec::new();
    for (id, name, sha, thumb) in rows {
        let file = crate::attachment::store::file_path(data_dir, &sha);
        if !file.as_deref().is_some_and(Path::exists) {
            missing.push(format!("attachment {id} {name} (file {sha})"));
        } else if thumb != 0
            && !crate::attachment::store::thumb_path(data_dir, &sha)
                .as_deref()
                .is_some_and(Path::exists)
        {
            missing.push(format!("attachment {id} {name} (thumbnail {sha})"));
        }
    }
    Ok(missing)
}

fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://")?;
    Some(rest.split('?').next().unwrap_or(rest))
}

fn same_sqlite_file(a: &str, b: &str) -> bool {
    match (sqlite_path(a), sqlite_path(b)) {
        (Some(a), Some(b)) => {
            let canon = |p: &str| std::fs::canonicalize(p).unwrap_or_else(|_| p.into());
            canon(a) == canon(b)
        }
        _ => false,
    }
}

/// An SQLite target is created when missing (sqlx opens read-write only by default).
fn creatable(url: &str) -> String {
    if url.starts_with("sqlite://") && !url.contains('?') {
        format!("{url}?mode=rwc")
    } else {
        url.to_string()
    }
}

/// The URL with its password replaced and its options left out, for printing.
fn redacted(url: &str) -> String {
    let url = url.split('?').next().unwrap_or(url);
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((auth, host)) = rest.split_once('@')
        && let Some((user, _)) = auth.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_printed() {
        assert_eq!(
            redacted("postgres://qt:s3cret@db.example:5432/qingting"),
            "postgres://qt:***@db.example:5432/qingting"
        );
        assert_eq!(
            redacted("postgres://qt@db/qingting"),
            "postgres://qt@db/qingting"
        );
    }

    #[test]
    fn an_sqlite_target_is_created() {
        assert_eq!(
            creatable("sqlite:///tmp/x.db"),
            "sqlite:///tmp/x.db?mode=rwc"
        );
        assert_eq!(
            creatable("sqlite:///tmp/x.db?mode=rw"),
            "sqlite:///tmp/x.db?mode=rw"
        );
        assert_eq!(creatable("postgres://h/db"), "postgres://h/db");
    }
}
