//! Copies a whole deployment into an empty database of either backend
//! (`qingting move`). Nothing here knows Qingting's tables: the table list,
//! columns, primary keys and foreign keys are read from the databases
//! themselves, so a table added by a later migration is copied without
//! touching this file.
//!
//! The copy runs in one target transaction: triggers off (a copied row must
//! not fire the bookkeeping that created it on the source), tables in
//! foreign-key order, rows in primary-key order in batches of multi-row
//! INSERTs, ids kept, sequences set past the largest id, then counts and
//! checksums compared inside the same transaction. A mismatch rolls back, so
//! the target is left as empty as it was found.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::TryStreamExt;
use indicatif::ProgressBar;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, AssertSqlSafe, Row, any::AnyRow};

use super::{Backend, Db, DbError};

/// How a column's values are read, written and hashed: the kinds `sqlx::Any` decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Integer,
    Real,
    Text,
    Blob,
}

impl Kind {
    /// The kind of an SQLite declared type, by SQLite's affinity rules
    /// (datatype3 §3.1). NUMERIC affinity and untyped columns are refused:
    /// their values may be of any storage class, so no one kind reads them.
    fn of_sqlite(declared: &str) -> Option<Kind> {
        let d = declared.to_ascii_uppercase();
        if d.contains("INT") {
            Some(Kind::Integer)
        } else if d.contains("CHAR") || d.contains("CLOB") || d.contains("TEXT") {
            Some(Kind::Text)
        } else if d.contains("BLOB") {
            Some(Kind::Blob)
        } else if d.contains("REAL") || d.contains("FLOA") || d.contains("DOUB") {
            Some(Kind::Real)
        } else {
            None
        }
    }

    /// The kind of a PostgreSQL `information_schema.columns.data_type`.
    fn of_postgres(data_type: &str) -> Option<Kind> {
        match data_type {
            "bigint" | "integer" | "smallint" => Some(Kind::Integer),
            "double precision" | "real" => Some(Kind::Real),
            "text" | "character varying" | "character" => Some(Kind::Text),
            "bytea" => Some(Kind::Blob),
            _ => None,
        }
    }

    fn tag(self) -> u8 {
        match self {
            Kind::Integer => b'i',
            Kind::Real => b'r',
            Kind::Text => b't',
            Kind::Blob => b'b',
        }
    }
}

/// One column of a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
    pub nullable: bool,
}

/// One table as the database describes it.
#[derive(Clone, Debug)]
pub struct Table {
    pub name: String,
    /// Sorted by name, so both backends hash a row's values in the same order.
    pub columns: Vec<Column>,
    /// The primary key's columns, or every column when there is none: the order rows are read in.
    pub key: Vec<String>,
    /// Foreign keys: the referenced table and the referencing columns.
    pub references: Vec<(String, Vec<String>)>,
}

/// Why a copy cannot start; the messages are for the operator.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The target holds data (a freshly migrated database's seed rows do not count).
    #[error(
        "the target database is not empty: table {table} has {rows} rows; \
         move only into a new, empty database"
    )]
    TargetNotEmpty { table: String, rows: u64 },
    /// A column whose type the copy cannot read faithfully.
    #[error("column {table}.{column} has type {declared}, which the copy cannot carry")]
    UnsupportedType {
        table: String,
        column: String,
        declared: String,
    },
    /// Source and target differ in their tables or columns after migrating.
    #[error("the source and target schemas differ: {0}")]
    SchemaMismatch(String),
    /// A foreign-key cycle through a NOT NULL column: no insert order satisfies it.
    #[error("table {table} references {references} through NOT NULL column {column} in a cycle")]
    Cycle {
        table: String,
        references: String,
        column: String,
    },
}

/// A table's rows counted and hashed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSum {
    pub table: String,
    pub rows: u64,
    /// SHA-256 (hex) over the rows in key order, values rendered canonically.
    pub sha256: String,
}

/// One table compared after the copy.
#[derive(Clone, Debug)]
pub struct TableCheck {
    pub source: TableSum,
    pub target: TableSum,
}

impl TableCheck {
    /// Whether counts and checksums agree.
    pub fn matches(&self) -> bool {
        self.source.rows == self.target.rows && self.source.sha256 == self.target.sha256
    }
}

/// What a copy did.
#[derive(Clone, Debug)]
pub struct CopyReport {
    /// Every table, in copy order.
    pub tables: Vec<TableCheck>,
    /// `table.column` of every sequence or identity set past the copied ids.
    pub sequences: Vec<String>,
    /// False when a mismatch rolled the copy back.
    pub committed: bool,
}

impl CopyReport {
    /// Tables whose counts or checksums differ.
    pub fn mismatches(&self) -> impl Iterator<Item = &TableCheck> {
        self.tables.iter().filter(|t| !t.matches())
    }

    /// Rows copied in all.
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.source.rows).sum()
    }
}

/// The largest number of bound values in one INSERT (SQLite allows 32766, PostgreSQL 65535).
const MAX_PARAMS: usize = 30_000;
/// Rows per INSERT: enough to amortise the round trip, small enough to stream.
const MAX_BATCH_ROWS: usize = 500;

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Every table of an SQLite database but sqlx's bookkeeping and SQLite's own.
const SQLITE_TABLES: &str = "SELECT name FROM sqlite_master WHERE type = 'table' \
     AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '_sqlx_migrations' ORDER BY name";

/// Reads the schema of every table but sqlx's bookkeeping and SQLite's own, sorted by name.
pub async fn schema(db: &Db) -> anyhow::Result<Vec<Table>> {
    let mut conn = db.pool().acquire().await?;
    match db.backend() {
        Backend::Sqlite => sqlite_schema(&mut conn).await,
        Backend::Postgres => postgres_schema(&mut conn).await,
    }
}

async fn sqlite_schema(conn: &mut AnyConnection) -> anyhow::Result<Vec<Table>> {
    let names: Vec<String> = sqlx::query_scalar(SQLITE_TABLES)
        .fetch_all(&mut *conn)
        .await?;
    let mut tables = Vec::with_capacity(names.len());
    for name in names {
        let cols: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await?;
        let mut columns = Vec::with_capacity(cols.len());
        let mut key: Vec<(i64, String)> = Vec::new();
        for (col, declared, notnull, pk) in cols {
            let kind = Kind::of_sqlite(&declared).ok_or_else(|| CopyError::UnsupportedType {
                table: name.clone(),
                column: col.clone(),
                declared: declared.clone(),
            })?;
            if pk > 0 {
                key.push((pk, col.clone()));
            }
            columns.push(Column {
                name: col,
                kind,
                nullable: notnull == 0 && pk == 0,
            });
        }
        key.sort();
        let fks: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT id, \"table\", \"from\" FROM pragma_foreign_key_list($1) ORDER BY id, seq",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await?;
        tables.push(table(
            name,
            columns,
            key.into_iter().map(|(_, c)| c).collect(),
            fks,
        ));
    }
    Ok(tables)
}

async fn postgres_schema(conn: &mut AnyConnection) -> anyhow::Result<Vec<Table>> {
    let cols: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.is_nullable::text \
         FROM information_schema.columns c JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
           AND c.table_name <> '_sqlx_migrations' \
         ORDER BY c.table_name, c.ordinal_position",
    )
    .fetch_all(&mut *conn)
    .await?;
    let keys: Vec<(String, String)> = sqlx::query_as(
        "SELECT k.table_name::text, k.column_name::text \
         FROM information_schema.table_constraints c JOIN information_schema.key_column_usage k \
           ON k.constraint_schema = c.constraint_schema AND k.constraint_name = c.constraint_name \
          AND k.table_name = c.table_name \
         WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = current_schema() \
         ORDER BY k.table_name, k.ordinal_position",
    )
    .fetch_all(&mut *conn)
    .await?;
    let fks: Vec<(String, i64, String, String)> = sqlx::query_as(
        "SELECT cl.relname::text, c.oid::bigint, rf.relname::text, a.attname::text \
         FROM pg_constraint c \
         JOIN pg_class cl ON cl.oid = c.conrelid \
         JOIN pg_class rf ON rf.oid = c.confrelid \
         JOIN pg_namespace n ON n.oid = cl.relnamespace \
         CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum \
         WHERE c.contype = 'f' AND n.nspname = current_schema() \
         ORDER BY 1, 2, k.ord",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut by_table: BTreeMap<String, Vec<Column>> = BTreeMap::new();
    for (t, col, data_type, nullable) in cols {
        let kind = Kind::of_postgres(&data_type).ok_or_else(|| CopyError::UnsupportedType {
            table: t.clone(),
            column: col.clone(),
            declared: data_type.clone(),
        })?;
        by_table.entry(t).or_default().push(Column {
            name: col,
            kind,
            nullable: nullable == "YES",
        });
    }
    let mut tables = Vec::with_capacity(by_table.len());
    for (name, columns) in by_table {
        let key = keys
            .iter()
            .filter(|(t, _)| *t == name)
            .map(|(_, c)| c.clone())
            .collect();
        let own = fks
            .iter()
            .filter(|(t, ..)| *t == name)
            .map(|(_, id, r, c)| (*id, r.clone(), c.clone()))
            .collect();
        tables.push(table(name, columns, key, own));
    }
    Ok(tables)
}

/// Assembles a table: columns sorted by name, foreign-key columns grouped per constraint.
fn table(
    name: String,
    mut columns: Vec<Column>,
    mut key: Vec<String>,
    fks: Vec<(i64, String, String)>,
) -> Table {
    columns.sort_by(|a, b| a.name.cmp(&b.name));
    if key.is_empty() {
        key = columns.iter().map(|c| c.name.clone()).collect();
    }
    let mut grouped: BTreeMap<i64, (String, Vec<String>)> = BTreeMap::new();
    for (id, referenced, column) in fks {
        grouped
            .entry(id)
            .or_insert_with(|| (referenced, Vec::new()))
            .1
            .push(column);
    }
    Table {
        name,
        columns,
        key,
        references: grouped.into_values().collect(),
    }
}

/// A table in copy order with the columns written only after every table is in:
/// references to a table not yet copied (itself included) are inserted as NULL
/// and set afterwards, so neither backend needs its checks disabled.
#[derive(Debug)]
struct Step<'a> {
    table: &'a Table,
    deferred: Vec<String>,
}

/// Orders tables so each follows those it references (alphabetically among
/// equals); a cycle is broken at its alphabetically first table.
fn plan(tables: &[Table]) -> Result<Vec<Step<'_>>, CopyError> {
    let names: BTreeSet<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut steps = Vec::with_capacity(tables.len());
    while steps.len() < tables.len() {
        let waiting = || tables.iter().filter(|t| !done.contains(t.name.as_str()));
        let ready = waiting().find(|t| {
            t.references.iter().all(|(r, _)| {
                r == &t.name || done.contains(r.as_str()) || !names.contains(r.as_str())
            })
        });
        let Some(table) = ready.or_else(|| waiting().next()) else {
            break;
        };
        let mut deferred = Vec::new();
        for (referenced, columns) in &table.references {
            if done.contains(referenced.as_str()) || !names.contains(referenced.as_str()) {
                continue;
            }
            for c in columns {
                let nullable = table
                    .columns
                    .iter()
                    .any(|col| &col.name == c && col.nullable);
                if !nullable {
                    return Err(CopyError::Cycle {
                        table: table.name.clone(),
                        references: referenced.clone(),
                        column: c.clone(),
                    });
                }
                if !deferred.contains(c) {
                    deferred.push(c.clone());
                }
            }
        }
        done.insert(&table.name);
        steps.push(Step { table, deferred });
    }
    Ok(steps)
}

/// A value as read from either backend.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    fn read(row: &AnyRow, i: usize, kind: Kind) -> Result<Value, DbError> {
        Ok(match kind {
            Kind::Integer => row
                .try_get::<Option<i64>, _>(i)?
                .map_or(Value::Null, Value::Integer),
            Kind::Real => row
                .try_get::<Option<f64>, _>(i)?
                .map_or(Value::Null, Value::Real),
            Kind::Text => row
                .try_get::<Option<String>, _>(i)?
                .map_or(Value::Null, Value::Text),
            Kind::Blob => row
                .try_get::<Option<Vec<u8>>, _>(i)?
                .map_or(Value::Null, Value::Blob),
        })
    }

    /// Binds the value; a NULL is typed by the column's kind, as PostgreSQL
    /// refuses an untyped one for a BIGINT column.
    fn bind(&self, kind: Kind, args: &mut sqlx::any::AnyArguments) {
        use sqlx::Arguments;
        // Encoding into the Any buffer only copies the value; it cannot fail.
        let _ = match (self, kind) {
            (Value::Integer(v), _) => args.add(*v),
            (Value::Real(v), _) => args.add(*v),
            (Value::Text(v), _) => args.add(v.clone()),
            (Value::Blob(v), _) => args.add(v.clone()),
            (Value::Null, Kind::Integer) => args.add(None::<i64>),
            (Value::Null, Kind::Real) => args.add(None::<f64>),
            (Value::Null, Kind::Text) => args.add(None::<String>),
            (Value::Null, Kind::Blob) => args.add(None::<Vec<u8>>),
        };
    }

    /// Feeds the canonical rendering: a tag byte, then fixed-width big-endian
    /// numbers or length-prefixed bytes, so no two different rows hash alike
    /// and both backends hash a value the same way.
    fn hash(&self, h: &mut Sha256) {
        match self {
            Value::Null => h.update([0u8]),
            Value::Integer(v) => {
                h.update([1u8]);
                h.update(v.to_be_bytes());
            }
            Value::Real(v) => {
                h.update([2u8]);
                h.update(v.to_bits().to_be_bytes());
            }
            Value::Text(v) => {
                h.update([3u8]);
                h.update((v.len() as u64).to_be_bytes());
                h.update(v.as_bytes());
            }
            Value::Blob(v) => {
                h.update([4u8]);
                h.update((v.len() as u64).to_be_bytes());
                h.update(v);
            }
        }
    }
}

/// The running checksum of one table.
struct Hasher {
    sha: Sha256,
    rows: u64,
}

impl Hasher {
    /// Starts with the column names and kinds, so a schema difference shows too.
    fn new(table: &Table) -> Hasher {
        let mut sha = Sha256::new();
        for c in &table.columns {
            sha.update((c.name.len() as u64).to_be_bytes());
            sha.update(c.name.as_bytes());
            sha.update([c.kind.tag()]);
        }
        Hasher { sha, rows: 0 }
    }

    fn row(&mut self, values: &[Value]) {
        for v in values {
            v.hash(&mut self.sha);
        }
        self.rows += 1;
    }

    fn finish(self, table: &Table) -> TableSum {
        TableSum {
            table: table.name.clone(),
            rows: self.rows,
            sha256: hex::encode(self.sha.finalize()),
        }
    }
}

/// `SELECT` of every column in name order, rows in key order. Text keys sort
/// bytewise on both sides: SQLite's BINARY collation is memcmp, PostgreSQL's
/// "C" collation is too, whatever the database's locale.
fn select_sql(table: &Table, backend: Backend) -> String {
    let cols: Vec<String> = table.columns.iter().map(|c| quote(&c.name)).collect();
    let order: Vec<String> = table
        .key
        .iter()
        .map(|k| {
            let text = table
                .columns
                .iter()
                .any(|c| &c.name == k && c.kind == Kind::Text);
            if text && backend == Backend::Postgres {
                format!("{} COLLATE \"C\" NULLS FIRST", quote(k))
            } else {
                format!("{} NULLS FIRST", quote(k))
            }
        })
        .collect();
    format!(
        "SELECT {} FROM {} ORDER BY {}",
        cols.join(", "),
        quote(&table.name),
        order.join(", ")
    )
}

/// Counts and hashes one table, reading it in key order.
async fn sum(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &Table,
) -> Result<TableSum, DbError> {
    let mut h = Hasher::new(table);
    let mut rows = sqlx::query(AssertSqlSafe(select_sql(table, backend))).fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        h.row(&read_row(&row, table)?);
    }
    Ok(h.finish(table))
}

fn read_row(row: &AnyRow, table: &Table) -> Result<Vec<Value>, DbError> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| Value::read(row, i, c.kind))
        .collect()
}

/// Counts and checksums of every table of a database, read in one snapshot
/// (the same rendering the copy verifies with; tests compare databases with it).
pub async fn checksums(db: &Db) -> anyhow::Result<Vec<TableSum>> {
    let tables = schema(db).await?;
    let mut tx = begin_snapshot(db).await?;
    let mut out = Vec::with_capacity(tables.len());
    for t in &tables {
        out.push(sum(&mut tx, db.backend(), t).await?);
    }
    tx.rollback().await?;
    Ok(out)
}

/// A read transaction seeing one state of the whole database.
async fn begin_snapshot(db: &Db) -> Result<super::Tx, DbError> {
    match db.backend() {
        // SQLite (WAL) fixes the snapshot at the first read of a deferred transaction.
        Backend::Sqlite => db.pool().begin_with("BEGIN").await,
        Backend::Postgres => {
            db.pool()
                .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .await
        }
    }
}

async fn count(conn: &mut AnyConnection, table: &str) -> Result<u64, DbError> {
    let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM {}",
        quote(table)
    )))
    .fetch_one(&mut *conn)
    .await?;
    Ok(n.max(0) as u64)
}

/// Refuses a target holding anything but what its migrations seed (the topic
/// list): each table must be empty or hash exactly like a freshly migrated one.
/// Runs before the target is migrated, so a foreign database is never touched.
pub async fn ensure_empty(target: &Db) -> anyhow::Result<()> {
    let mut conn = target.pool().acquire().await?;
    let names: Vec<String> = sqlx::query_scalar(match target.backend() {
        Backend::Sqlite => SQLITE_TABLES,
        Backend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
             AND table_name <> '_sqlx_migrations' ORDER BY 1"
        }
    })
    .fetch_all(&mut *conn)
    .await?;
    let mut occupied = Vec::new();
    for name in names {
        let rows = count(&mut conn, &name).await?;
        if rows > 0 {
            occupied.push((name, rows));
        }
    }
    drop(conn);
    if occupied.is_empty() {
        return Ok(());
    }
    // Only now read the schema: a foreign database with rows was refused
    // above by name, before its column types could puzzle anyone.
    let tables = schema(target).await?;
    let fresh = Db::connect("sqlite::memory:", 1).await?;
    fresh.migrate().await?;
    let seeds = checksums(&fresh).await?;
    fresh.close().await;
    let mut conn = target.pool().acquire().await?;
    for (name, rows) in occupied {
        let seeded = seeds.iter().find(|s| s.table == name);
        let table = tables.iter().find(|t| t.name == name);
        let same = match (seeded, table) {
            (Some(s), Some(t)) if s.rows == rows => {
                sum(&mut conn, target.backend(), t).await?.sha256 == s.sha256
            }
            _ => false,
        };
        if !same {
            return Err(CopyError::TargetNotEmpty { table: name, rows }.into());
        }
    }
    Ok(())
}

/// Checks that both sides have the same tables with the same columns.
fn compare(source: &[Table], target: &[Table]) -> Result<(), CopyError> {
    let names = |ts: &[Table]| -> BTreeSet<String> { ts.iter().map(|t| t.name.clone()).collect() };
    let (s, t) = (names(source), names(target));
    if let Some(missing) = s.difference(&t).next() {
        return Err(CopyError::SchemaMismatch(format!(
            "table {missing} is missing in the target"
        )));
    }
    if let Some(extra) = t.difference(&s).next() {
        return Err(CopyError::SchemaMismatch(format!(
            "table {extra} exists only in the target"
        )));
    }
    for st in source {
        let Some(tt) = target.iter().find(|t| t.name == st.name) else {
            continue;
        };
        let cols = |t: &Table| -> Vec<(String, Kind)> {
            t.columns.iter().map(|c| (c.name.clone(), c.kind)).collect()
        };
        if cols(st) != cols(tt) {
            return Err(CopyError::SchemaMismatch(format!(
                "table {} has columns {:?} in the source but {:?} in the target",
                st.name,
                cols(st),
                cols(tt)
            )));
        }
    }
    Ok(())
}

/// Copies every row of `source` into the empty `target`, migrating the target
/// first. The source must be at this binary's schema version. Progress goes to
/// `bar` (rows copied, then rows verified). On a count or checksum mismatch
/// the target transaction is rolled back and the report says so.
pub async fn copy(source: &Db, target: &Db, bar: &ProgressBar) -> anyhow::Result<CopyReport> {
    source.require_current_schema().await?;
    ensure_empty(target).await?;
    target.migrate().await?;
    let tables = schema(source).await?;
    compare(&tables, &schema(target).await?)?;
    let steps = plan(&tables)?;

    let mut src = begin_snapshot(source).await?;
    let mut total = 0;
    for s in &steps {
        total += count(&mut src, &s.table.name).await?;
    }
    bar.set_length(total);
    bar.set_position(0);

    let mut dst = target.begin().await?;
    let restore = disable_triggers(&mut dst, target.backend()).await?;
    // The seed rows a migration put there (checked by ensure_empty) make way
    // for the source's own, ids and edits included.
    for s in steps.iter().rev() {
        if count(&mut dst, &s.table.name).await? > 0 {
            sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM {}",
                quote(&s.table.name)
            )))
            .execute(&mut *dst)
            .await?;
        }
    }
    let mut sums = Vec::with_capacity(steps.len());
    let mut patches = Vec::new();
    for s in &steps {
        bar.set_message(s.table.name.clone());
        let (sum, patch) = copy_table(&mut src, source.backend(), &mut dst, s, bar).await?;
        sums.push(sum);
        patches.push(patch);
    }
    src.rollback().await?;
    for (s, patch) in steps.iter().zip(patches) {
        apply_patch(&mut dst, s, patch).await?;
    }
    for sql in restore {
        sqlx::query(AssertSqlSafe(sql)).execute(&mut *dst).await?;
    }
    let sequences = set_sequences(&mut dst, target.backend()).await?;

    bar.set_position(0);
    let mut checks = Vec::with_capacity(steps.len());
    for (s, source_sum) in steps.iter().zip(sums) {
        bar.set_message(format!("verify {}", s.table.name));
        let target_sum = sum(&mut dst, target.backend(), s.table).await?;
        bar.inc(target_sum.rows);
        checks.push(TableCheck {
            source: source_sum,
            target: target_sum,
        });
    }
    let committed = checks.iter().all(TableCheck::matches);
    if committed {
        dst.commit().await?;
    } else {
        dst.rollback().await?;
    }
    bar.finish_and_clear();
    Ok(CopyReport {
        tables: checks,
        sequences,
        committed,
    })
}

/// Rows whose deferred columns must be set once every table is in: the key
/// values, then the deferred values.
type Patch = Vec<(Vec<Value>, Vec<Value>)>;

/// Copies one table in batches, hashing each row as it goes.
async fn copy_table(
    src: &mut AnyConnection,
    backend: Backend,
    dst: &mut AnyConnection,
    step: &Step<'_>,
    bar: &ProgressBar,
) -> anyhow::Result<(TableSum, Patch)> {
    let table = step.table;
    let batch_rows = (MAX_PARAMS / table.columns.len().max(1)).clamp(1, MAX_BATCH_ROWS);
    let key_at: Vec<usize> = table.key.iter().map(|k| position(table, k)).collect();
    let deferred_at: Vec<usize> = step.deferred.iter().map(|d| position(table, d)).collect();
    let mut hasher = Hasher::new(table);
    let mut patch = Vec::new();
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(batch_rows);

    let sql = select_sql(table, backend);
    let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(&mut *src);
    while let Some(row) = rows.try_next().await? {
        let mut values = read_row(&row, table)?;
        hasher.row(&values);
        if deferred_at.iter().any(|&i| values[i] != Value::Null) {
            let key = key_at.iter().map(|&i| values[i].clone()).collect();
            let later = deferred_at
                .iter()
                .map(|&i| std::mem::replace(&mut values[i], Value::Null))
                .collect();
            patch.push((key, later));
        }
        batch.push(values);
        if batch.len() == batch_rows {
            insert(dst, table, &batch).await?;
            bar.inc(batch.len() as u64);
            batch.clear();
        }
    }
    if !batch.is_empty() {
        insert(dst, table, &batch).await?;
        bar.inc(batch.len() as u64);
    }
    Ok((hasher.finish(table), patch))
}

fn position(table: &Table, column: &str) -> usize {
    table
        .columns
        .iter()
        .position(|c| c.name == column)
        .unwrap_or_default()
}

async fn insert(
    dst: &mut AnyConnection,
    table: &Table,
    rows: &[Vec<Value>],
) -> Result<(), DbError> {
    let cols: Vec<String> = table.columns.iter().map(|c| quote(&c.name)).collect();
    let mut sql = format!(
        "INSERT INTO {} ({}) VALUES ",
        quote(&table.name),
        cols.join(", ")
    );
    let mut args = sqlx::any::AnyArguments::default();
    let mut n = 0;
    for (r, row) in rows.iter().enumerate() {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for (i, (v, c)) in row.iter().zip(&table.columns).enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            n += 1;
            sql.push('$');
            sql.push_str(&n.to_string());
            v.bind(c.kind, &mut args);
        }
        sql.push(')');
    }
    sqlx::query_with(AssertSqlSafe(sql), args)
        .execute(&mut *dst)
        .await?;
    Ok(())
}

/// Sets the deferred columns of one table, row by row.
async fn apply_patch(
    dst: &mut AnyConnection,
    step: &Step<'_>,
    patch: Patch,
) -> Result<(), DbError> {
    if patch.is_empty() {
        return Ok(());
    }
    let table = step.table;
    let kind = |name: &str| table.columns[position(table, name)].kind;
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    let sets: Vec<String> = step
        .deferred
        .iter()
        .map(|d| format!("{} = {}", quote(d), next()))
        .collect();
    let wheres: Vec<String> = table
        .key
        .iter()
        .map(|k| format!("{} = {}", quote(k), next()))
        .collect();
    let sql = format!(
        "UPDATE {} SET {} WHERE {}",
        quote(&table.name),
        sets.join(", "),
        wheres.join(" AND ")
    );
    for (key, later) in patch {
        let mut args = sqlx::any::AnyArguments::default();
        for (v, d) in later.iter().zip(&step.deferred) {
            v.bind(kind(d), &mut args);
        }
        for (v, k) in key.iter().zip(&table.key) {
            v.bind(kind(k), &mut args);
        }
        sqlx::query_with(AssertSqlSafe(sql.clone()), args)
            .execute(&mut *dst)
            .await?;
    }
    Ok(())
}

/// Turns the target's own triggers off for the copy (a copied response must
/// not insert its coded copy a second time; the audit log's append-only guard
/// must not stop the seed cleanup) and returns the statements that restore
/// them. Both are DDL inside the transaction, so a failure restores them too.
async fn disable_triggers(
    dst: &mut AnyConnection,
    backend: Backend,
) -> Result<Vec<String>, DbError> {
    let mut restore = Vec::new();
    match backend {
        Backend::Sqlite => {
            let triggers: Vec<(String, String)> = sqlx::query_as(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name",
            )
            .fetch_all(&mut *dst)
            .await?;
            for (name, sql) in triggers {
                sqlx::query(AssertSqlSafe(format!("DROP TRIGGER {}", quote(&name))))
                    .execute(&mut *dst)
                    .await?;
                restore.push(sql);
            }
        }
        Backend::Postgres => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT DISTINCT event_object_table::text FROM information_schema.triggers \
                 WHERE trigger_schema = current_schema() ORDER BY 1",
            )
            .fetch_all(&mut *dst)
            .await?;
            for t in tables {
                // USER: the table's own triggers, not the foreign-key checks.
                sqlx::query(AssertSqlSafe(format!(
                    "ALTER TABLE {} DISABLE TRIGGER USER",
                    quote(&t)
                )))
                .execute(&mut *dst)
                .await?;
                restore.push(format!("ALTER TABLE {} ENABLE TRIGGER USER", quote(&t)));
            }
        }
    }
    Ok(restore)
}

/// Moves every sequence or identity of the target past the largest copied
/// value. SQLite needs nothing: a rowid key continues from the largest row,
/// and AUTOINCREMENT's sqlite_sequence follows explicit ids by itself.
async fn set_sequences(dst: &mut AnyConnection, backend: Backend) -> Result<Vec<String>, DbError> {
    if backend == Backend::Sqlite {
        return Ok(Vec::new());
    }
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() \
           AND (is_identity = 'YES' OR column_default LIKE 'nextval(%') \
         ORDER BY 1, 2",
    )
    .fetch_all(&mut *dst)
    .await?;
    let mut set = Vec::with_capacity(columns.len());
    for (table, column) in columns {
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence($1, $2), \
             (SELECT COALESCE(MAX({c}), 0) + 1 FROM {t}), false)",
            c = quote(&column),
            t = quote(&table)
        );
        let _: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(quote(&table))
            .bind(&column)
            .fetch_one(&mut *dst)
            .await?;
        set.push(format!("{table}.{column}"));
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, refs: &[(&str, &str)], nullable: bool) -> Table {
        let mut columns = vec![Column {
            name: "id".into(),
            kind: Kind::Integer,
            nullable: false,
        }];
        for (_, c) in refs {
            columns.push(Column {
                name: (*c).into(),
                kind: Kind::Integer,
                nullable,
            });
        }
        Table {
            name: name.into(),
            columns,
            key: vec!["id".into()],
            references: refs
                .iter()
                .map(|(r, c)| ((*r).to_string(), vec![(*c).to_string()]))
                .collect(),
        }
    }

    #[test]
    fn tables_follow_what_they_reference_and_self_references_wait() {
        let tables = vec![
            t("a_child", &[("orgs", "org_id")], false),
            t("orgs", &[("orgs", "parent_id")], true),
            t("z_grandchild", &[("a_child", "child_id")], false),
        ];
        let steps = plan(&tables).unwrap();
        let order: Vec<&str> = steps.iter().map(|s| s.table.name.as_str()).collect();
        assert_eq!(order, ["orgs", "a_child", "z_grandchild"]);
        assert_eq!(steps[0].deferred, ["parent_id"]);
        assert!(steps[1].deferred.is_empty());
    }

    #[test]
    fn a_cycle_is_broken_at_a_nullable_column_and_refused_through_not_null() {
        let tables = vec![
            t("a", &[("b", "b_id")], true),
            t("b", &[("a", "a_id")], false),
        ];
        let steps = plan(&tables).unwrap();
        assert_eq!(steps[0].table.name, "a");
        assert_eq!(steps[0].deferred, ["b_id"]);
        let tables = vec![
            t("a", &[("b", "b_id")], false),
            t("b", &[("a", "a_id")], false),
        ];
        assert!(matches!(plan(&tables), Err(CopyError::Cycle { .. })));
    }

    #[test]
    fn kinds_follow_the_affinity_rules_and_refuse_what_they_cannot_carry() {
        assert_eq!(Kind::of_sqlite("INTEGER"), Some(Kind::Integer));
        assert_eq!(Kind::of_sqlite("varchar(20)"), Some(Kind::Text));
        assert_eq!(Kind::of_sqlite("BLOB"), Some(Kind::Blob));
        assert_eq!(Kind::of_sqlite("DOUBLE"), Some(Kind::Real));
        assert_eq!(Kind::of_sqlite("NUMERIC"), None);
        assert_eq!(Kind::of_sqlite(""), None);
        assert_eq!(Kind::of_postgres("bigint"), Some(Kind::Integer));
        assert_eq!(Kind::of_postgres("jsonb"), None);
    }

    #[test]
    fn the_rendering_tells_apart_what_a_loose_one_would_confuse() {
        let digest = |vals: &[Value]| {
            let mut h = Sha256::new();
            for v in vals {
                v.hash(&mut h);
            }
            hex::encode(h.finalize())
        };
        let pairs = [
            (vec![Value::Null], vec![Value::Text(String::new())]),
            (vec![Value::Integer(1)], vec![Value::Text("1".into())]),
            (vec![Value::Integer(1)], vec![Value::Real(1.0)]),
            (
                vec![Value::Text("ab".into()), Value::Text("c".into())],
                vec![Value::Text("a".into()), Value::Text("bc".into())],
            ),
            (
                vec![Value::Text("x".into())],
                vec![Value::Blob(b"x".to_vec())],
            ),
        ];
        for (a, b) in pairs {
            assert_ne!(digest(&a), digest(&b), "{a:?} vs {b:?}");
        }
    }
}
