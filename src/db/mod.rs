//! The database handle. One code path serves SQLite and PostgreSQL through
//! `sqlx::Any`: queries use `$n` placeholders (both backends accept them),
//! integers for ids, flags and UTC epoch-second timestamps, and text for the
//! rest, so no backend-specific type ever crosses this boundary.

mod ids;

use std::{path::Path, str::FromStr, time::Duration};

pub use ids::*;
use sqlx::{
    Any, AnyPool, Executor, Transaction,
    any::{AnyConnectOptions, AnyPoolOptions},
};

/// Which engine sits behind a [`Db`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A pooled connection to either backend.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    instance: u64,
}

/// A write transaction; dropped without `commit` it rolls back.
pub type Tx = Transaction<'static, Any>;

/// Errors of the storage layer; callers map constraint names to field errors.
pub type DbError = sqlx::Error;

/// The URL of an SQLite file, created if missing.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

impl Db {
    /// Connects to `url` (`sqlite://…` or `postgres://…`), creating the SQLite file's folder.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            anyhow::bail!("unsupported database URL (use sqlite:// or postgres://)");
        };
        if backend == Backend::Sqlite
            && let Some(path) = url
                .strip_prefix("sqlite://")
                .map(|p| p.split('?').next().unwrap_or(p))
            && let Some(parent) = Path::new(path).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)?;
        }
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the writer; the busy timeout makes
                        // concurrent writers wait instead of failing at once.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        // FULL: a commit returns once the WAL is on disk, so an
                        // acknowledged response survives a power cut (NORMAL
                        // could lose the last commits). The cost, a flush per
                        // commit, is shared by batching (survey::intake).
                        conn.execute("PRAGMA synchronous = FULL").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let instance = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(Db {
            pool,
            backend,
            instance,
        })
    }

    /// Applies every pending migration of this backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.pool).await?,
            Backend::Postgres => {
                sqlx::migrate!("migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    /// The pool, for reads.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A number telling this handle's database apart from others connected
    /// in the same process (tests run many), for per-database process state.
    pub fn instance(&self) -> u64 {
        self.instance
    }

    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a write transaction. On SQLite it takes the write lock up front so two
    /// writers queue on the busy timeout instead of deadlocking on lock upgrade.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Seconds since the Unix epoch, UTC: how every timestamp is stored.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The name of the unique or foreign-key constraint a database error violated, if any.
pub fn constraint_of(err: &DbError) -> Option<String> {
    let db = err.as_database_error()?;
    if let Some(c) = db.constraint() {
        return Some(c.to_string());
    }
    // SQLite reports "UNIQUE constraint failed: table.column" without a name.
    let msg = db.message();
    msg.strip_prefix("UNIQUE constraint failed: ")
        .map(|cols| cols.replace(['.', ','], "_").replace(' ', ""))
}

/// Whether a database error is a unique-constraint violation.
pub fn is_unique_violation(err: &DbError) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

/// Builds SQL with numbered `$n` placeholders for queries whose conditions vary
/// (filters); sqlx's own builder writes `?`, which PostgreSQL does not accept.
#[derive(Default)]
pub struct Sql {
    text: String,
    args: sqlx::any::AnyArguments,
    n: usize,
}

impl Sql {
    /// Starts with a fixed piece of SQL.
    pub fn new(text: &str) -> Self {
        Sql {
            text: text.to_string(),
            ..Default::default()
        }
    }

    /// Appends SQL text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: for<'q> sqlx::Encode<'q, Any> + sqlx::Type<Any>,
    {
        use sqlx::Arguments;
        self.n += 1;
        self.text.push('$');
        self.text.push_str(&self.n.to_string());
        // Encoding into the Any buffer only copies the value; it cannot fail.
        let _ = self.args.add(value);
        self
    }

    /// The text and arguments, for `sqlx::query_with` and friends.
    pub fn build(self) -> (sqlx::AssertSqlSafe<String>, sqlx::any::AnyArguments) {
        (sqlx::AssertSqlSafe(self.text), self.args)
    }

    /// The text so far (for a count query sharing the same conditions).
    pub fn text(&self) -> &str {
        &self.text
    }
}
