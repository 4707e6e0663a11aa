//! The database handle. One code path serves SQLite and PostgreSQL through
//! `sqlx::Any`: queries use `$n` placeholders (both backends accept them),
//! integers for ids, flags and UTC epoch-second timestamps, and text for the
//! rest, so no backend-specific type ever crosses this boundary.

mod codes;
pub mod copy;
mod ids;

use std::{path::Path, str::FromStr, time::Duration};

pub use codes::CodeError;
pub(crate) use codes::code_enum;
pub use ids::*;
use sqlx::{
    Any, AnyPool, Executor, Transaction,
    any::{AnyConnectOptions, AnyPoolOptions},
    migrate::Migrator,
};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Why a database's schema cannot be used by this binary.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The database was migrated by a newer Qingting: running older code on it
    /// could misread or damage what the newer migrations changed.
    #[error(
        "the database is at schema version {database} (applied by a newer Qingting); \
         this binary {binary} knows up to {known}: use the newer binary or restore a backup"
    )]
    Newer {
        database: i64,
        known: i64,
        binary: &'static str,
    },
    /// The database has not had this binary's migrations applied yet.
    #[error(
        "the database is at schema version {database} but this binary {binary} expects {known}: \
         run `qingting migrate` on it first"
    )]
    Older {
        database: i64,
        known: i64,
        binary: &'static str,
    },
}

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

    /// Applies every pending migration of this backend, refusing a database
    /// that a newer binary has migrated further than this one knows.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        if let Some(database) = self.schema_version().await?
            && database > self.known_schema_version()
        {
            return Err(SchemaError::Newer {
                database,
                known: self.known_schema_version(),
                binary: env!("CARGO_PKG_VERSION"),
            }
            .into());
        }
        self.migrator().run(&self.pool).await?;
        Ok(())
    }

    /// Refuses a database that is not at exactly this binary's schema version.
    pub async fn require_current_schema(&self) -> anyhow::Result<()> {
        let database = self.schema_version().await?.unwrap_or(0);
        let known = self.known_schema_version();
        let binary = env!("CARGO_PKG_VERSION");
        if database > known {
            return Err(SchemaError::Newer {
                database,
                known,
                binary,
            }
            .into());
        }
        if database < known {
            return Err(SchemaError::Older {
                database,
                known,
                binary,
            }
            .into());
        }
        Ok(())
    }

    fn migrator(&self) -> &'static Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// The newest migration this binary carries for this backend.
    pub fn known_schema_version(&self) -> i64 {
        self.migrator().iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// The newest migration applied to the database, `None` before the first.
    pub async fn schema_version(&self) -> Result<Option<i64>, DbError> {
        let exists_sql = match self.backend {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
            }
        };
        let exists: i64 = sqlx::query_scalar(exists_sql).fetch_one(&self.pool).await?;
        if exists == 0 {
            return Ok(None);
        }
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&self.pool)
            .await
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
