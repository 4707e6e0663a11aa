//! The `qingting` command line: one file per subcommand, all over the library.

mod backup;
mod config;
mod demo;
mod migrate;
mod move_db;
mod org;
mod serve;
mod survey;
mod token;
mod user;

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};

use crate::{config::Settings, db::Db};

/// 倾听 Qingting: trade-union outreach campaigns.
#[derive(Parser, Debug)]
#[command(name = "qingting", version, about)]
pub struct Cli {
    /// TOML configuration file (see `qingting config example`).
    #[arg(long, global = true, env = "QINGTING_CONFIG")]
    config: Option<PathBuf>,
    /// Folder for the SQLite database and uploads [default: ./data].
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite://… or postgres://… [default: SQLite in the data dir].
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the web server (creates and migrates the database first).
    Serve(serve::Args),
    /// Apply database migrations and exit.
    Migrate,
    /// Copy the whole database into an empty one (SQLite to PostgreSQL), verified.
    Move(move_db::Args),
    /// Load the demo district into an empty database.
    Demo,
    /// Manage users and their roles.
    #[command(subcommand)]
    User(user::Command),
    /// Manage API tokens for scripts.
    #[command(subcommand)]
    Token(token::Command),
    /// Create organisations (the first federation of a new install).
    #[command(subcommand)]
    Org(org::Command),
    /// Configuration helpers.
    #[command(subcommand)]
    Config(config::Command),
    /// Questionnaires: export responses with a progress bar.
    #[command(subcommand)]
    Survey(survey::Command),
    /// Back up the database and attachments into one archive while the
    /// server runs (`backup verify ARCHIVE` checks one).
    Backup(backup::Args),
    /// Restore an archive into an empty data dir (SQLite) or empty database (PostgreSQL).
    Restore(backup::RestoreArgs),
}

/// Parses the command line, runs the command and maps failure to exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Config(c) = &cli.command {
        return config::run(c);
    }
    let settings = settings(&cli)?;
    init_logging(&settings);
    tracing::debug!(?settings, "settings loaded");
    match cli.command {
        Command::Serve(args) => serve::run(settings, args).await,
        Command::Migrate => migrate::run(&connect(&settings).await?).await,
        // Not `connect`: the source must not be migrated behind the operator's back.
        Command::Move(args) => move_db::run(&settings, args).await,
        Command::Demo => demo::run(&connect(&settings).await?).await,
        Command::User(c) => user::run(&connect(&settings).await?, &settings.security, c).await,
        Command::Token(c) => token::run(&connect(&settings).await?, c).await,
        Command::Org(c) => org::run(&connect(&settings).await?, c).await,
        Command::Survey(c) => survey::run(&connect(&settings).await?, c).await,
        Command::Backup(args) => backup::run(settings, args).await,
        Command::Restore(args) => backup::restore(settings, args).await,
        Command::Config(_) => Ok(()),
    }
}

/// Settings from defaults, the file, the environment, then the flags.
fn settings(cli: &Cli) -> anyhow::Result<Settings> {
    let mut s = Settings::load(cli.config.as_deref(), std::env::vars())?;
    if let Some(d) = &cli.data_dir {
        s.data_dir = d.clone();
    }
    if let Some(u) = &cli.database_url {
        s.database.url = u.clone();
    }
    Ok(s)
}

/// Connects and migrates, so every subcommand works on a new data dir.
async fn connect(s: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&s.database_url(), s.database.max_connections).await?;
    db.migrate().await?;
    Ok(db)
}

fn init_logging(s: &Settings) {
    use tracing_subscriber::{EnvFilter, fmt};
    let filter =
        EnvFilter::try_from_env("QINGTING_LOG").unwrap_or_else(|_| EnvFilter::new(&s.log.level));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if s.log.format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
