//! `qingting backup [--to DIR]`, `qingting backup verify ARCHIVE` and
//! `qingting restore ARCHIVE`, with progress bars.

use std::{path::PathBuf, sync::Arc};

use indicatif::{ProgressBar, ProgressStyle};

use crate::{
    backup::{Progress, Stage, restore, store::Origin, verify},
    config::Settings,
};

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    /// Folder for the archive [default: `[backup] dir`, else DATA_DIR/backups].
    #[arg(long)]
    to: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Checks an archive: every checksum, the manifest against the entries,
    /// and (SQLite) the database's integrity and row counts.
    Verify {
        /// The archive (qingting-….zip).
        archive: PathBuf,
    },
}

#[derive(clap::Args, Debug)]
pub struct RestoreArgs {
    /// The archive (qingting-….zip) to restore into the empty data dir or database.
    archive: PathBuf,
}

/// A progress bar on the terminal (hidden when stderr is not one).
struct Bar(ProgressBar);

impl Bar {
    fn new() -> anyhow::Result<Bar> {
        let bar = ProgressBar::new(0).with_style(ProgressStyle::with_template(
            "{msg:28} {bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )?);
        Ok(Bar(bar))
    }
}

impl Progress for Bar {
    fn stage(&self, stage: Stage, total: u64) {
        self.0.set_message(match stage {
            Stage::Database => "database snapshot",
            Stage::Archive => "writing the archive",
            Stage::Verify => "verifying checksums",
            Stage::Restore => "restoring",
        });
        self.0.set_length(total);
        self.0.set_position(0);
    }

    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
}

/// `qingting backup …`.
pub async fn run(settings: Settings, args: Args) -> anyhow::Result<()> {
    match args.command {
        Some(Command::Verify { archive }) => {
            let bar = Arc::new(Bar::new()?);
            let result = verify::verify(&archive, None, bar.clone()).await;
            bar.0.finish_and_clear();
            let m = result.map_err(|e| anyhow::anyhow!("{}: {e}", archive.display()))?;
            println!(
                "{}: OK — {} {} database, schema version {}, taken {}, {} entries checked",
                archive.display(),
                m.qingting_version,
                m.backend.label(),
                m.schema_version,
                m.created_at_utc,
                m.entries.len()
            );
            Ok(())
        }
        None => backup(settings, args.to).await,
    }
}

async fn backup(mut settings: Settings, to: Option<PathBuf>) -> anyhow::Result<()> {
    if let Some(dir) = to {
        settings.backup.dir = dir.display().to_string();
    }
    let db = super::connect(&settings).await?;
    let bar = Arc::new(Bar::new()?);
    // The run is recorded like the server's, so the admin page and `/metrics`
    // see backups made here too.
    let result = crate::backup::schedule::run(&db, &settings, Origin::Cli, bar.clone()).await;
    bar.0.finish_and_clear();
    let o = result?;
    println!("{}", o.path.display());
    eprintln!(
        "backup written: {} bytes, {} entries{}",
        o.size,
        o.manifest.entries.len() + 1,
        if o.manifest.deleted_after_snapshot.is_empty() {
            String::new()
        } else {
            format!(
                ", {} attachment(s) deleted while it ran will be restored as deleted",
                o.manifest.deleted_after_snapshot.len()
            )
        }
    );
    Ok(())
}

/// `qingting restore ARCHIVE`.
pub async fn restore(settings: Settings, args: RestoreArgs) -> anyhow::Result<()> {
    let bar = Arc::new(Bar::new()?);
    let result = restore::restore(&settings, &args.archive, bar.clone()).await;
    bar.0.finish_and_clear();
    let r = result.map_err(|e| anyhow::anyhow!("{}: {e}", args.archive.display()))?;
    println!(
        "restored {} ({} database taken {}, schema version {}{}) and {} attachment files into {}",
        args.archive.display(),
        r.manifest.backend.label(),
        r.manifest.created_at_utc,
        r.manifest.schema_version,
        if r.schema_version != r.manifest.schema_version {
            format!(", migrated to {}", r.schema_version)
        } else {
            String::new()
        },
        r.files,
        settings.data_dir.display()
    );
    Ok(())
}
