//! Enterprise queries; every read takes the caller's scope.

use sqlx::AssertSqlSafe;

use super::{Enterprise, EnterpriseFields, WorkerGroup};
use crate::{
    auth::Scope,
    db::{Db, DbError, EnterpriseId, OrgId, Sql, Tx, is_unique_violation, now},
    error::AppError,
    i18n::sort_key,
    org::store::like_pattern,
};

const FROM: &str = "SELECT e.id, e.org_id, o.name AS org_name, o.code AS org_code, e.name, e.credit_code, e.industry, \
    e.address, e.employee_count, e.new_form_groups, e.has_union, e.union_org_id, u.name AS union_org_name, \
    u.code AS union_org_code, e.contact_person, e.contact_phone \
    FROM enterprises e JOIN orgs o ON o.id = e.org_id LEFT JOIN orgs u ON u.id = e.union_org_id";

#[derive(sqlx::FromRow)]
struct Row {
    id: EnterpriseId,
    org_id: OrgId,
    org_name: String,
    org_code: String,
    name: String,
    credit_code: String,
    industry: Option<String>,
    address: Option<String>,
    employee_count: Option<i64>,
    new_form_groups: String,
    has_union: i64,
    union_org_id: Option<OrgId>,
    union_org_name: Option<String>,
    union_org_code: Option<String>,
    contact_person: Option<String>,
    contact_phone: Option<String>,
}

impl From<Row> for Enterprise {
    fn from(r: Row) -> Self {
        let groups: Vec<WorkerGroup> = r
            .new_form_groups
            .split(',')
            .filter_map(WorkerGroup::parse)
            .collect();
        Enterprise {
            id: r.id,
            org_id: r.org_id,
            org_name: r.org_name,
            org_code: r.org_code,
            name: r.name,
            credit_code: r.credit_code,
            industry: r.industry,
            address: r.address,
            employee_count: r.employee_count,
            has_new_forms: !groups.is_empty(),
            groups,
            has_union: r.has_union != 0,
            union_org_id: r.union_org_id,
            union_org_name: r.union_org_name,
            union_org_code: r.union_org_code,
            contact_person: r.contact_person,
            contact_phone: r.contact_phone,
        }
    }
}

/// Filters of the enterprise list.
#[derive(Clone, Debug, Default)]
pub struct EnterpriseFilter {
    /// Part of the name, or the start of the credit code.
    pub q: Option<String>,
    /// Only this org's subtree (already checked to be in scope).
    pub org: Option<OrgId>,
    pub union: Option<bool>,
    pub new_forms: Option<bool>,
    pub group: Option<WorkerGroup>,
    pub industry: Option<String>,
}

fn conditions(q: &mut Sql, scope: &Scope, f: &EnterpriseFilter) {
    q.push(" WHERE ").push(&scope.sql("e.org_id"));
    if let Some(text) = f.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        q.push(" AND (e.name LIKE ")
            .bind(like_pattern(text))
            .push(" ESCAPE '\\'");
        q.push(" OR e.credit_code LIKE ")
            .bind(format!(
                "{}%",
                text.to_ascii_uppercase().replace(['%', '_'], "")
            ))
            .push(")");
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
            .bind(format!("%,{},%", g.as_str()));
    }
    if let Some(i) = f.industry.as_deref().filter(|i| !i.is_empty()) {
        q.push(" AND e.industry = ").bind(i.to_string());
    }
}

/// A page of enterprises in the scope matching the filter, and the total.
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &EnterpriseFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Enterprise>, i64), DbError> {
    let mut count = Sql::new("SELECT COUNT(*) FROM enterprises e");
    conditions(&mut count, scope, f);
    let (sql, args) = count.build();
    let total: i64 = sqlx::query_scalar_with(sql, args)
        .fetch_one(db.pool())
        .await?;
    let mut q = Sql::new(FROM);
    conditions(&mut q, scope, f);
    q.push(" ORDER BY e.sort_key, e.id LIMIT ")
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset);
    let (sql, args) = q.build();
    let rows: Vec<Row> = sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;
    Ok((rows.into_iter().map(Enterprise::from).collect(), total))
}

/// Every enterprise in the scope (export).
pub async fn list_all(db: &Db, scope: &Scope) -> Result<Vec<Enterprise>, DbError> {
    let sql = format!(
        "{FROM} WHERE {} ORDER BY o.display_order, o.sort_key, e.sort_key",
        scope.sql("e.org_id")
    );
    let rows: Vec<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(Enterprise::from).collect())
}

/// One enterprise, if the scope reaches it.
pub async fn get(db: &Db, scope: &Scope, id: EnterpriseId) -> Result<Option<Enterprise>, DbError> {
    let sql = format!("{FROM} WHERE e.id = $1 AND {}", scope.sql("e.org_id"));
    let row: Option<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(Enterprise::from))
}

/// The distinct industries in the scope, for the filter menu.
pub async fn industries(db: &Db, scope: &Scope) -> Result<Vec<String>, DbError> {
    let sql = format!(
        "SELECT DISTINCT e.industry FROM enterprises e WHERE e.industry IS NOT NULL AND {} ORDER BY e.industry",
        scope.sql("e.org_id")
    );
    sqlx::query_scalar(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await
}

fn groups_text(f: &EnterpriseFields) -> String {
    f.groups
        .iter()
        .map(|g| g.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn taken(e: DbError) -> AppError {
    if is_unique_violation(&e) {
        AppError::field("credit_code", "err-credit-taken")
    } else {
        e.into()
    }
}

/// Creates an enterprise in `org`'s jurisdiction.
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
    .bind(groups_text(f))
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

/// Rewrites an enterprise.
pub async fn update(
    tx: &mut Tx,
    id: EnterpriseId,
    f: &EnterpriseFields,
    org: OrgId,
    union: Option<OrgId>,
) -> Result<(), AppError> {
    sqlx::query(
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
    .bind(groups_text(f))
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
    Ok(())
}
