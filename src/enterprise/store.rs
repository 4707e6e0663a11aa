//! Enterprise queries. Every read takes the caller's [`Scope`] and filters in
//! SQL on the owning org; writes run inside the caller's transaction.

use sqlx::AssertSqlSafe;

use super::{Enterprise, EnterpriseFields, WorkerGroup, groups_code};
use crate::{
    auth::Scope,
    db::{Db, DbError, EnterpriseId, OrgId, Sql, Tx, is_unique_violation, now},
    error::AppError,
    i18n::sort_key,
    org::store::like_pattern,
};

const SELECT: &str = "SELECT e.id, e.org_id, o.code AS org_code, o.name AS org_name, e.name, e.credit_code, \
    e.industry, e.address, e.employee_count, e.new_form_groups, e.has_union, e.union_org_id, \
    u.code AS union_org_code, u.name AS union_org_name, e.contact_person, e.contact_phone, \
    e.created_at, e.updated_at \
    FROM enterprises e JOIN orgs o ON o.id = e.org_id LEFT JOIN orgs u ON u.id = e.union_org_id";

#[derive(sqlx::FromRow)]
struct Row {
    id: EnterpriseId,
    org_id: OrgId,
    org_code: String,
    org_name: String,
    name: String,
    credit_code: String,
    industry: Option<String>,
    address: Option<String>,
    employee_count: Option<i64>,
    new_form_groups: String,
    has_union: i64,
    union_org_id: Option<OrgId>,
    union_org_code: Option<String>,
    union_org_name: Option<String>,
    contact_person: Option<String>,
    contact_phone: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl From<Row> for Enterprise {
    fn from(r: Row) -> Self {
        // Groups are written only from `WorkerGroup`; an unknown code (from a newer
        // binary) is skipped rather than failing the read.
        let groups: Vec<WorkerGroup> = r
            .new_form_groups
            .split(',')
            .filter_map(WorkerGroup::parse)
            .collect();
        Enterprise {
            id: r.id,
            org_id: r.org_id,
            org_code: r.org_code,
            org_name: r.org_name,
            name: r.name,
            credit_code: r.credit_code,
            industry: r.industry,
            address: r.address,
            employee_count: r.employee_count,
            has_new_forms: !groups.is_empty(),
            groups,
            has_union: r.has_union != 0,
            union_org_id: r.union_org_id,
            union_org_code: r.union_org_code,
            union_org_name: r.union_org_name,
            contact_person: r.contact_person,
            contact_phone: r.contact_phone,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Filters of the enterprise list; `None` does not filter.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EnterpriseFilter {
    /// Part of the name (any length, e.g. two Chinese characters), or the start
    /// of the credit code.
    pub q: Option<String>,
    /// Only this org's subtree. The result stays inside the scope either way;
    /// callers answer 404 when the org itself is out of scope.
    pub org: Option<OrgId>,
    /// With (true) or without (false) a union.
    pub union: Option<bool>,
    /// With (true) or without (false) new-employment-form workers.
    pub new_forms: Option<bool>,
    /// Employing this group.
    pub group: Option<WorkerGroup>,
    /// Exactly this industry.
    pub industry: Option<String>,
}

/// How many enterprises match a filter, and how many of them lack a union or
/// employ new-employment-form workers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct EnterpriseCounts {
    pub total: i64,
    pub without_union: i64,
    pub with_new_forms: i64,
}

/// Appends ` WHERE …` for the scope and the filter.
fn conditions(q: &mut Sql, scope: &Scope, f: &EnterpriseFilter) {
    q.push(" WHERE ").push(&scope.sql("e.org_id"));
    if let Some(text) = f.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        // LOWER on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's does not.
        q.push(" AND (LOWER(e.name) LIKE ")
            .bind(like_pattern(&text.to_ascii_lowercase()))
            .push(" ESCAPE '\\'");
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if !compact.is_empty()
            && compact.len() <= 18
            && compact.chars().all(|c| c.is_ascii_alphanumeric())
        {
            q.push(" OR e.credit_code LIKE ")
                .bind(format!("{}%", compact.to_ascii_uppercase()));
        }
        q.push(")");
    }
    if let Some(org) = f.org {
        q.push(" AND e.org_id IN (SELECT descendant_id FROM org_tree WHERE ancestor_id = ")
            .bind(org)
            .push(")");
    }
    if let Some(u) = f.union {
        q.push(" AND e.has_union = ").bind(i64::from(u));
    }
    match f.new_forms {
        Some(true) => {
            q.push(" AND e.new_form_groups <> ''");
        }
        Some(false) => {
            q.push(" AND e.new_form_groups = ''");
        }
        None => {}
    }
    if let Some(g) = f.group {
        q.push(" AND (',' || e.new_form_groups || ',') LIKE ")
            .bind(like_pattern(&format!(",{},", g.as_str())))
            .push(" ESCAPE '\\'");
    }
    if let Some(i) = f
        .industry
        .as_deref()
        .map(str::trim)
        .filter(|i| !i.is_empty())
    {
        q.push(" AND e.industry = ").bind(i.to_string());
    }
}

/// The counts of the enterprises in the scope that match the filter.
pub async fn counts(
    db: &Db,
    scope: &Scope,
    f: &EnterpriseFilter,
) -> Result<EnterpriseCounts, DbError> {
    let mut q = Sql::new(
        "SELECT COUNT(*), \
         COALESCE(SUM(CASE WHEN e.has_union = 0 THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN e.new_form_groups <> '' THEN 1 ELSE 0 END), 0) \
         FROM enterprises e",
    );
    conditions(&mut q, scope, f);
    let (sql, args) = q.build();
    let (total, without_union, with_new_forms): (i64, i64, i64) =
        sqlx::query_as_with(sql, args).fetch_one(db.pool()).await?;
    Ok(EnterpriseCounts {
        total,
        without_union,
        with_new_forms,
    })
}

/// One page of the matching enterprises, by name (pinyin order).
async fn page(
    db: &Db,
    scope: &Scope,
    f: &EnterpriseFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<Enterprise>, DbError> {
    let mut q = Sql::new(SELECT);
    conditions(&mut q, scope, f);
    q.push(" ORDER BY e.sort_key, e.id LIMIT ")
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset);
    let (sql, args) = q.build();
    let rows: Vec<Row> = sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;
    Ok(rows.into_iter().map(Enterprise::from).collect())
}

/// A page of the enterprises in the scope matching the filter, and how many match.
/// Phones are as stored: callers mask them.
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &EnterpriseFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Enterprise>, i64), DbError> {
    let (items, counts) = list_with_counts(db, scope, f, limit, offset).await?;
    Ok((items, counts.total))
}

/// Like [`list`], with the union and new-form counts of the whole match.
pub async fn list_with_counts(
    db: &Db,
    scope: &Scope,
    f: &EnterpriseFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Enterprise>, EnterpriseCounts), DbError> {
    let counts = counts(db, scope, f).await?;
    if counts.total == 0 || offset >= counts.total {
        return Ok((Vec::new(), counts));
    }
    Ok((page(db, scope, f, limit, offset).await?, counts))
}

/// Every enterprise in the scope, jurisdiction by jurisdiction (for export).
pub async fn list_all(db: &Db, scope: &Scope) -> Result<Vec<Enterprise>, DbError> {
    let sql = format!(
        "{SELECT} WHERE {} ORDER BY o.display_order, o.sort_key, e.sort_key, e.id",
        scope.sql("e.org_id")
    );
    let rows: Vec<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(Enterprise::from).collect())
}

/// How many enterprises the scope holds.
pub async fn count(db: &Db, scope: &Scope) -> Result<i64, DbError> {
    let sql = format!(
        "SELECT COUNT(*) FROM enterprises e WHERE {}",
        scope.sql("e.org_id")
    );
    sqlx::query_scalar(AssertSqlSafe(sql))
        .fetch_one(db.pool())
        .await
}

/// One enterprise, if the scope reaches it.
pub async fn get(db: &Db, scope: &Scope, id: EnterpriseId) -> Result<Option<Enterprise>, DbError> {
    let sql = format!("{SELECT} WHERE e.id = $1 AND {}", scope.sql("e.org_id"));
    let row: Option<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(Enterprise::from))
}

/// The id of the enterprise with a credit code, if the scope reaches it.
pub async fn id_by_credit_code(
    db: &Db,
    scope: &Scope,
    code: &str,
) -> Result<Option<EnterpriseId>, DbError> {
    let sql = format!(
        "SELECT e.id FROM enterprises e WHERE e.credit_code = $1 AND {}",
        scope.sql("e.org_id")
    );
    sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(code.trim().to_ascii_uppercase())
        .fetch_optional(db.pool())
        .await
}

/// The distinct industries in the scope, for the filter menu.
pub async fn industries(db: &Db, scope: &Scope) -> Result<Vec<String>, DbError> {
    let sql = format!(
        "SELECT DISTINCT e.industry FROM enterprises e \
         WHERE e.industry IS NOT NULL AND e.industry <> '' AND {} ORDER BY e.industry",
        scope.sql("e.org_id")
    );
    sqlx::query_scalar(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await
}

/// An org offered in a picker: id, code and name.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OrgChoice {
    pub id: OrgId,
    pub code: String,
    pub name: String,
}

/// Active orgs of the scope that hold enterprises in their jurisdiction
/// (federations, industry, street and direct unions) or, with `grassroots`,
/// the grassroots unions that may cover one; at most `limit`, in tree order.
pub async fn org_choices(
    db: &Db,
    scope: &Scope,
    grassroots: bool,
    limit: i64,
) -> Result<Vec<OrgChoice>, DbError> {
    let kinds = if grassroots {
        "'grassroots'"
    } else {
        "'federation', 'industry', 'street', 'direct'"
    };
    let sql = format!(
        "SELECT o.id, o.code, o.name FROM orgs o WHERE o.active = 1 AND o.kind IN ({kinds}) AND {} \
         ORDER BY o.display_order, o.sort_key, o.id LIMIT $1",
        scope.sql("o.id")
    );
    sqlx::query_as(AssertSqlSafe(sql))
        .bind(limit)
        .fetch_all(db.pool())
        .await
}

/// A unique violation on the credit code becomes a field error.
fn taken(e: DbError) -> AppError {
    if is_unique_violation(&e) {
        AppError::field("credit_code", "err-credit-taken")
    } else {
        e.into()
    }
}

/// Creates an enterprise in `org`'s jurisdiction, covered by `union` when given
/// (both resolved and checked by the caller, e.g. with [`super::resolve_orgs`]).
/// A credit code already registered is `AppError::field("credit_code", "err-credit-taken")`.
pub async fn insert(
    tx: &mut Tx,
    f: &EnterpriseFields,
    org: OrgId,
    union: Option<OrgId>,
) -> Result<EnterpriseId, AppError> {
    sqlx::query_scalar(
        "INSERT INTO enterprises (org_id, name, credit_code, industry, address, employee_count, new_form_groups, \
         has_union, union_org_id, contact_person, contact_phone, sort_key, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
    )
    .bind(org)
    .bind(&f.name)
    .bind(f.credit_code.as_str())
    .bind(&f.industry)
    .bind(&f.address)
    .bind(f.employee_count)
    .bind(groups_code(&f.groups))
    .bind(i64::from(f.has_union || union.is_some()))
    .bind(union)
    .bind(&f.contact_person)
    .bind(f.contact_phone.as_ref().map(|p| p.as_str().to_string()))
    .bind(sort_key(&f.name))
    .bind(now())
    .fetch_one(&mut **tx)
    .await
    .map_err(taken)
}

/// Rewrites an enterprise, including its jurisdiction and union.
pub async fn update(
    tx: &mut Tx,
    id: EnterpriseId,
    f: &EnterpriseFields,
    org: OrgId,
    union: Option<OrgId>,
) -> Result<(), AppError> {
    let done = sqlx::query(
        "UPDATE enterprises SET org_id = $1, name = $2, credit_code = $3, industry = $4, address = $5, \
         employee_count = $6, new_form_groups = $7, has_union = $8, union_org_id = $9, contact_person = $10, \
         contact_phone = $11, sort_key = $12, updated_at = $13 WHERE id = $14",
    )
    .bind(org)
    .bind(&f.name)
    .bind(f.credit_code.as_str())
    .bind(&f.industry)
    .bind(&f.address)
    .bind(f.employee_count)
    .bind(groups_code(&f.groups))
    .bind(i64::from(f.has_union || union.is_some()))
    .bind(union)
    .bind(&f.contact_person)
    .bind(f.contact_phone.as_ref().map(|p| p.as_str().to_string()))
    .bind(sort_key(&f.name))
    .bind(now())
    .bind(id)
    .execute(&mut **tx)
    .await
    .map_err(taken)?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}
