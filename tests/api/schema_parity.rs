//! The two migration trees (`migrations/sqlite`, `migrations/postgres`) must
//! build one schema: each is applied to a fresh database and the catalogues
//! are compared — tables, columns (name, type class, nullability), primary
//! keys, unique constraints, indexes (name, columns, unique, partial) and
//! foreign keys (columns, table, ON DELETE). Names the backends choose
//! themselves (a unique constraint's index) are compared by columns.
//!
//! Needs PostgreSQL: skipped, with a message, unless QINGTING_TEST_POSTGRES is set.

use std::collections::{BTreeMap, BTreeSet};

use qingting::db::{Backend, Db};

use crate::helpers::fresh_postgres;

/// How a column's values are stored, whatever each backend calls the type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Integer,
    Text,
    Real,
    Blob,
    Bool,
    /// A type outside the portable set (SQLite NUMERIC affinity, PostgreSQL
    /// `numeric`, `timestamp`, …): never equal to anything, so it is reported.
    Other,
}

impl Class {
    /// SQLite's affinity rules (datatype3 §3.1), with BOOLEAN told apart.
    fn of_sqlite(declared: &str) -> Class {
        let d = declared.to_ascii_uppercase();
        if d.contains("INT") {
            Class::Integer
        } else if d.contains("CHAR") || d.contains("CLOB") || d.contains("TEXT") {
            Class::Text
        } else if d.contains("BLOB") || d.is_empty() {
            Class::Blob
        } else if d.contains("REAL") || d.contains("FLOA") || d.contains("DOUB") {
            Class::Real
        } else if d.contains("BOOL") {
            Class::Bool
        } else {
            Class::Other
        }
    }

    /// A PostgreSQL `information_schema.columns.data_type`.
    fn of_postgres(data_type: &str) -> Class {
        match data_type {
            "bigint" | "integer" | "smallint" => Class::Integer,
            "text" | "character varying" | "character" => Class::Text,
            "double precision" | "real" => Class::Real,
            "bytea" => Class::Blob,
            "boolean" => Class::Bool,
            _ => Class::Other,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Column {
    class: Class,
    declared: String,
    nullable: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Index {
    columns: Vec<String>,
    unique: bool,
    partial: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Table {
    columns: BTreeMap<String, Column>,
    primary_key: Vec<String>,
    /// UNIQUE constraints by their columns (each backend names their index its own way).
    uniques: BTreeSet<Vec<String>>,
    /// Indexes made by CREATE INDEX, by name.
    indexes: BTreeMap<String, Index>,
    /// (columns, referenced table, ON DELETE action).
    foreign_keys: BTreeSet<(Vec<String>, String, String)>,
}

impl Table {
    /// Files an index by what made it (`pk` the primary key, `u` a UNIQUE
    /// constraint, `c` CREATE INDEX: SQLite's `origin`, which the PostgreSQL
    /// query spells the same way).
    fn add_index(
        &mut self,
        name: String,
        origin: &str,
        columns: Vec<String>,
        unique: bool,
        partial: bool,
    ) {
        match origin {
            "pk" => self.primary_key = columns,
            "u" => {
                self.uniques.insert(columns);
            }
            _ => {
                self.indexes.insert(
                    name,
                    Index {
                        columns,
                        unique,
                        partial,
                    },
                );
            }
        }
    }
}

type Schema = BTreeMap<String, Table>;

/// Stands for an indexed expression: both backends spell expressions differently.
const EXPRESSION: &str = "<expression>";

async fn describe(db: &Db) -> Schema {
    match db.backend() {
        Backend::Sqlite => describe_sqlite(db).await,
        Backend::Postgres => describe_postgres(db).await,
    }
}

async fn describe_sqlite(db: &Db) -> Schema {
    let pool = db.pool();
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for name in names {
        let mut t = Table::default();
        let cols: Vec<(String, String, i64, i64)> =
            sqlx::query_as("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1)")
                .bind(&name)
                .fetch_all(pool)
                .await
                .unwrap();
        let mut key = Vec::new();
        for (col, declared, notnull, pk) in cols {
            if pk > 0 {
                key.push((pk, col.clone()));
            }
            t.columns.insert(
                col,
                Column {
                    class: Class::of_sqlite(&declared),
                    declared,
                    // A primary key column holds no NULL on PostgreSQL; SQLite
                    // would allow one only outside INTEGER PRIMARY KEY, which we never rely on.
                    nullable: notnull == 0 && pk == 0,
                },
            );
        }
        key.sort();
        t.primary_key = key.into_iter().map(|(_, c)| c).collect();
        let indexes: Vec<(String, i64, String, i64)> = sqlx::query_as(
            "SELECT name, \"unique\", origin, partial FROM pragma_index_list($1) ORDER BY name",
        )
        .bind(&name)
        .fetch_all(pool)
        .await
        .unwrap();
        for (index, unique, origin, partial) in indexes {
            let columns: Vec<Option<String>> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&index)
                    .fetch_all(pool)
                    .await
                    .unwrap();
            let columns: Vec<String> = columns
                .into_iter()
                .map(|c| c.unwrap_or_else(|| EXPRESSION.into()))
                .collect();
            t.add_index(index, &origin, columns, unique != 0, partial != 0);
        }
        let fks: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT id, \"table\", \"from\", on_delete FROM pragma_foreign_key_list($1) ORDER BY id, seq",
        )
        .bind(&name)
        .fetch_all(pool)
        .await
        .unwrap();
        let mut grouped: BTreeMap<i64, (Vec<String>, String, String)> = BTreeMap::new();
        for (id, referenced, column, on_delete) in fks {
            grouped
                .entry(id)
                .or_insert_with(|| (Vec::new(), referenced, on_delete))
                .0
                .push(column);
        }
        t.foreign_keys = grouped.into_values().collect();
        schema.insert(name, t);
    }
    schema
}

async fn describe_postgres(db: &Db) -> Schema {
    let pool = db.pool();
    let mut schema = Schema::new();
    let cols: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.is_nullable::text \
         FROM information_schema.columns c JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
           AND c.table_name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, col, data_type, nullable) in cols {
        schema.entry(table).or_default().columns.insert(
            col,
            Column {
                class: Class::of_postgres(&data_type),
                declared: data_type,
                nullable: nullable == "YES",
            },
        );
    }
    // Every index of a table: the primary key's, a UNIQUE constraint's, or one made by CREATE INDEX.
    let indexes: Vec<(String, String, String, i64, i64, String)> = sqlx::query_as(
        "SELECT tc.relname::text, ic.relname::text, \
           CASE WHEN i.indisprimary THEN 'pk' WHEN con.contype = 'u' THEN 'u' ELSE 'c' END, \
           (CASE WHEN i.indisunique THEN 1 ELSE 0 END)::bigint, \
           (CASE WHEN i.indpred IS NULL THEN 0 ELSE 1 END)::bigint, \
           COALESCE((SELECT string_agg(COALESCE(a.attname::text, $1), ',' ORDER BY k.ord) \
             FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
              AND k.attnum > 0), '') \
         FROM pg_index i \
         JOIN pg_class ic ON ic.oid = i.indexrelid \
         JOIN pg_class tc ON tc.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = tc.relnamespace \
         LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid \
          AND con.contype IN ('p', 'u') \
         WHERE n.nspname = current_schema() AND tc.relkind = 'r' \
           AND tc.relname <> '_sqlx_migrations'",
    )
    .bind(EXPRESSION)
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, index, origin, unique, partial, columns) in indexes {
        let columns: Vec<String> = columns.split(',').map(str::to_string).collect();
        schema.entry(table).or_default().add_index(
            index,
            &origin,
            columns,
            unique != 0,
            partial != 0,
        );
    }
    let fks: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT cl.relname::text, c.conname::text, rf.relname::text, \
           CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' \
             WHEN 'r' THEN 'RESTRICT' WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END, \
           (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) \
             FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord) \
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) \
         FROM pg_constraint c \
         JOIN pg_class cl ON cl.oid = c.conrelid \
         JOIN pg_class rf ON rf.oid = c.confrelid \
         JOIN pg_namespace n ON n.oid = cl.relnamespace \
         WHERE c.contype = 'f' AND n.nspname = current_schema()",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, _, referenced, on_delete, columns) in fks {
        let columns = columns.split(',').map(str::to_string).collect();
        schema
            .entry(table)
            .or_default()
            .foreign_keys
            .insert((columns, referenced, on_delete));
    }
    schema
}

fn nullability(nullable: bool) -> &'static str {
    if nullable { "NULL" } else { "NOT NULL" }
}

fn show_index(i: &Index) -> String {
    format!(
        "{}({}){}",
        if i.unique { "UNIQUE " } else { "" },
        i.columns.join(", "),
        if i.partial { " WHERE …" } else { "" }
    )
}

/// Every difference between the two schemas, one readable line each.
fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    let names: BTreeSet<&String> = sqlite.keys().chain(postgres.keys()).collect();
    for name in names {
        let (a, b) = match (sqlite.get(name), postgres.get(name)) {
            (Some(a), Some(b)) => (a, b),
            (Some(_), None) => {
                out.push(format!("table {name}: only in SQLite"));
                continue;
            }
            (None, _) => {
                out.push(format!("table {name}: only in PostgreSQL"));
                continue;
            }
        };
        let columns: BTreeSet<&String> = a.columns.keys().chain(b.columns.keys()).collect();
        for col in columns {
            match (a.columns.get(col), b.columns.get(col)) {
                (Some(x), Some(y)) => {
                    if x.class != y.class || x.class == Class::Other {
                        out.push(format!(
                            "{name}.{col}: type {} ({:?}) in SQLite, {} ({:?}) in PostgreSQL",
                            x.declared, x.class, y.declared, y.class
                        ));
                    }
                    if x.nullable != y.nullable {
                        out.push(format!(
                            "{name}.{col}: {} in SQLite, {} in PostgreSQL",
                            nullability(x.nullable),
                            nullability(y.nullable)
                        ));
                    }
                }
                (Some(_), None) => out.push(format!("{name}.{col}: column only in SQLite")),
                (None, _) => out.push(format!("{name}.{col}: column only in PostgreSQL")),
            }
        }
        if a.primary_key != b.primary_key {
            out.push(format!(
                "{name}: primary key ({}) in SQLite, ({}) in PostgreSQL",
                a.primary_key.join(", "),
                b.primary_key.join(", ")
            ));
        }
        for u in a.uniques.difference(&b.uniques) {
            out.push(format!("{name}: UNIQUE ({}) only in SQLite", u.join(", ")));
        }
        for u in b.uniques.difference(&a.uniques) {
            out.push(format!(
                "{name}: UNIQUE ({}) only in PostgreSQL",
                u.join(", ")
            ));
        }
        let indexes: BTreeSet<&String> = a.indexes.keys().chain(b.indexes.keys()).collect();
        for index in indexes {
            match (a.indexes.get(index), b.indexes.get(index)) {
                (Some(x), Some(y)) if x != y => out.push(format!(
                    "{name}: index {index} is {} in SQLite, {} in PostgreSQL",
                    show_index(x),
                    show_index(y)
                )),
                (Some(_), Some(_)) => {}
                (Some(x), None) => out.push(format!(
                    "{name}: index {index} {} only in SQLite",
                    show_index(x)
                )),
                (None, Some(y)) => out.push(format!(
                    "{name}: index {index} {} only in PostgreSQL",
                    show_index(y)
                )),
                (None, None) => unreachable!(),
            }
        }
        for (cols, to, on_delete) in a.foreign_keys.difference(&b.foreign_keys) {
            out.push(format!(
                "{name}: foreign key ({}) → {to} ON DELETE {on_delete} only in SQLite",
                cols.join(", ")
            ));
        }
        for (cols, to, on_delete) in b.foreign_keys.difference(&a.foreign_keys) {
            out.push(format!(
                "{name}: foreign key ({}) → {to} ON DELETE {on_delete} only in PostgreSQL",
                cols.join(", ")
            ));
        }
    }
    out
}

#[tokio::test]
async fn the_sqlite_and_postgresql_migrations_build_the_same_schema() {
    let Some(server) = std::env::var("QINGTING_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        eprintln!(
            "skipped: schema parity needs PostgreSQL; set QINGTING_TEST_POSTGRES \
             (e.g. postgres://postgres@127.0.0.1:5432), as scripts/test does"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Db::connect(&qingting::db::sqlite_url(&dir.path().join("parity.db")), 1)
        .await
        .unwrap();
    sqlite.migrate().await.unwrap();
    let postgres = Db::connect(&fresh_postgres(&server).await, 1)
        .await
        .unwrap();
    postgres.migrate().await.unwrap();
    let (a, b) = (describe(&sqlite).await, describe(&postgres).await);
    // The reading itself must have found the schema, or an empty pair would pass.
    let count = |s: &Schema, f: fn(&Table) -> usize| s.values().map(f).sum::<usize>();
    for s in [&a, &b] {
        assert!(s.len() > 50, "tables read: {}", s.len());
        assert!(count(s, |t| t.columns.len()) > 500);
        assert!(count(s, |t| t.indexes.len()) > 50);
        assert!(count(s, |t| t.uniques.len()) > 20);
        assert!(count(s, |t| t.foreign_keys.len()) > 100);
        assert!(
            s.values()
                .all(|t| !t.primary_key.is_empty() || t.columns.is_empty())
        );
    }
    let diffs = differences(&a, &b);
    assert!(
        diffs.is_empty(),
        "the SQLite and PostgreSQL migrations build different schemas ({} differences); \
         add a migration pair that brings them together:\n  {}",
        diffs.len(),
        diffs.join("\n  ")
    );
    sqlite.close().await;
    postgres.close().await;
}

#[test]
fn every_kind_of_difference_is_reported_by_name() {
    let column = |class, nullable| Column {
        class,
        declared: String::new(),
        nullable,
    };
    let mut t = Table::default();
    t.columns.insert("id".into(), column(Class::Integer, false));
    t.columns.insert("state".into(), column(Class::Text, false));
    t.primary_key = vec!["id".into()];
    t.uniques.insert(vec!["state".into()]);
    t.indexes.insert(
        "problems_state".into(),
        Index {
            columns: vec!["state".into()],
            unique: false,
            partial: false,
        },
    );
    t.foreign_keys
        .insert((vec!["id".into()], "orgs".into(), "CASCADE".into()));
    let a = Schema::from([("problems".to_string(), t.clone())]);
    assert!(differences(&a, &a.clone()).is_empty());

    let mut u = t.clone();
    u.columns
        .insert("state".into(), column(Class::Integer, true));
    u.columns.insert("extra".into(), column(Class::Text, true));
    u.primary_key = vec!["state".into()];
    u.uniques.clear();
    u.indexes.get_mut("problems_state").unwrap().partial = true;
    u.foreign_keys.clear();
    let b = Schema::from([
        ("problems".to_string(), u),
        ("webhooks".to_string(), Table::default()),
    ]);
    let d = differences(&a, &b);
    for expected in [
        "problems.extra: column only in PostgreSQL",
        "problems.state: type  (Text) in SQLite,  (Integer) in PostgreSQL",
        "problems.state: NOT NULL in SQLite, NULL in PostgreSQL",
        "problems: primary key (id) in SQLite, (state) in PostgreSQL",
        "problems: UNIQUE (state) only in SQLite",
        "problems: index problems_state is (state) in SQLite, (state) WHERE … in PostgreSQL",
        "problems: foreign key (id) → orgs ON DELETE CASCADE only in SQLite",
        "table webhooks: only in PostgreSQL",
    ] {
        assert!(
            d.iter().any(|l| l == expected),
            "{expected:?} not in {d:#?}"
        );
    }
    assert_eq!(d.len(), 8, "{d:#?}");
}
