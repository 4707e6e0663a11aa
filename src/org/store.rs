//! Org queries. The tree is a closure table (`org_tree`), so "my subtree" and
//! "counts under me" are single indexed joins at any depth. Every read takes
//! the caller's [`Scope`]; writes run inside the caller's transaction.

use sqlx::AssertSqlSafe;

use super::{KindCount, Org, OrgError, OrgFields, OrgKind, SubtreeCounts};
use crate::{
    auth::Scope,
    db::{Db, DbError, OrgId, Tx, is_unique_violation, now},
    error::AppError,
    i18n::sort_key,
};

const COLS: &str = "o.id, o.code, o.name, o.short_name, o.kind, o.parent_id, o.contact_person, \
                    o.phone, o.email, o.address, o.display_order, o.active";

#[derive(sqlx::FromRow)]
struct OrgRow {
    id: OrgId,
    code: String,
    name: String,
    short_name: Option<String>,
    kind: String,
    parent_id: Option<OrgId>,
    contact_person: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    address: Option<String>,
    display_order: i64,
    active: i64,
}

impl From<OrgRow> for Org {
    fn from(r: OrgRow) -> Self {
        Org {
            id: r.id,
            code: r.code,
            name: r.name,
            short_name: r.short_name,
            // Kinds are written only from `OrgKind`; an unknown one means a newer
            // binary wrote it, and grassroots is the least privileged reading.
            kind: OrgKind::parse(&r.kind).unwrap_or(OrgKind::Grassroots),
            parent_id: r.parent_id,
            contact_person: r.contact_person,
            phone: r.phone,
            email: r.email,
            address: r.address,
            display_order: r.display_order,
            active: r.active != 0,
        }
    }
}

/// An org with the number of its direct children, for tree views.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct OrgNode {
    #[serde(flatten)]
    pub org: Org,
    pub child_count: i64,
}

#[derive(sqlx::FromRow)]
struct NodeRow {
    #[sqlx(flatten)]
    org: OrgRow,
    child_count: i64,
}

impl From<NodeRow> for OrgNode {
    fn from(r: NodeRow) -> Self {
        OrgNode {
            org: r.org.into(),
            child_count: r.child_count,
        }
    }
}

const CHILD_COUNT: &str = "(SELECT COUNT(*) FROM orgs c WHERE c.parent_id = o.id) AS child_count";
const ORDER: &str = "o.display_order, o.sort_key, o.id";

/// One org, if the scope reaches it.
pub async fn get(db: &Db, scope: &Scope, id: OrgId) -> Result<Option<Org>, DbError> {
    let sql = format!(
        "SELECT {COLS} FROM orgs o WHERE o.id = $1 AND {}",
        scope.sql("o.id")
    );
    let row: Option<OrgRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(Org::from))
}

/// One org by its code, if the scope reaches it.
pub async fn get_by_code(db: &Db, scope: &Scope, code: &str) -> Result<Option<Org>, DbError> {
    let sql = format!(
        "SELECT {COLS} FROM orgs o WHERE o.code = $1 AND {}",
        scope.sql("o.id")
    );
    let row: Option<OrgRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(code.trim().to_ascii_uppercase())
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(Org::from))
}

/// The top orgs of a scope: its roots that do not lie under another root.
pub async fn roots(db: &Db, scope: &Scope) -> Result<Vec<OrgNode>, DbError> {
    if scope.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = scope.roots().iter().map(|r| r.0.to_string()).collect();
    let ids = ids.join(",");
    let sql = format!(
        "SELECT {COLS}, {CHILD_COUNT} FROM orgs o WHERE o.id IN ({ids}) AND NOT EXISTS \
         (SELECT 1 FROM org_tree t WHERE t.descendant_id = o.id AND t.depth > 0 AND t.ancestor_id IN ({ids})) \
         ORDER BY {ORDER}"
    );
    let rows: Vec<NodeRow> = sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(OrgNode::from).collect())
}

/// The direct children of an org, within the scope.
pub async fn children(db: &Db, scope: &Scope, parent: OrgId) -> Result<Vec<OrgNode>, DbError> {
    let sql = format!(
        "SELECT {COLS}, {CHILD_COUNT} FROM orgs o WHERE o.parent_id = $1 AND {} ORDER BY {ORDER}",
        scope.sql("o.id")
    );
    let rows: Vec<NodeRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(parent)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(OrgNode::from).collect())
}

/// The ancestors of an org that the scope reaches, top first (for breadcrumbs).
pub async fn ancestors(db: &Db, scope: &Scope, id: OrgId) -> Result<Vec<Org>, DbError> {
    let sql = format!(
        "SELECT {COLS} FROM org_tree t JOIN orgs o ON o.id = t.ancestor_id \
         WHERE t.descendant_id = $1 AND t.depth > 0 AND {} ORDER BY t.depth DESC",
        scope.sql("o.id")
    );
    let rows: Vec<OrgRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(Org::from).collect())
}

/// Orgs in the scope whose name, short name or code contains `q`.
pub async fn search(db: &Db, scope: &Scope, q: &str, limit: i64) -> Result<Vec<Org>, DbError> {
    let pattern = like_pattern(q);
    let sql = format!(
        "SELECT {COLS} FROM orgs o WHERE (o.name LIKE $1 ESCAPE '\\' OR o.short_name LIKE $1 ESCAPE '\\' \
         OR o.code LIKE $2 ESCAPE '\\') AND {} ORDER BY {ORDER} LIMIT $3",
        scope.sql("o.id")
    );
    let rows: Vec<OrgRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(&pattern)
        .bind(pattern.to_ascii_uppercase())
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(Org::from).collect())
}

/// A `LIKE` pattern matching `q` anywhere, with wildcards in `q` taken literally.
pub fn like_pattern(q: &str) -> String {
    let escaped = q
        .trim()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Every org of the scope, parents before children (for export).
pub async fn list_all(db: &Db, scope: &Scope) -> Result<Vec<(Org, Option<String>)>, DbError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        org: OrgRow,
        parent_code: Option<String>,
    }
    let sql = format!(
        "SELECT {COLS}, p.code AS parent_code FROM orgs o LEFT JOIN orgs p ON p.id = o.parent_id \
         WHERE {} ORDER BY (SELECT MAX(t.depth) FROM org_tree t WHERE t.descendant_id = o.id), {ORDER}",
        scope.sql("o.id")
    );
    let rows: Vec<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.org.into(), r.parent_code))
        .collect())
}

/// What lies under `id` (the org itself included). The caller checks `id` is in scope.
pub async fn counts(db: &Db, id: OrgId) -> Result<SubtreeCounts, DbError> {
    let by_kind: Vec<(String, i64)> = sqlx::query_as(
        "SELECT o.kind, COUNT(*) FROM org_tree t JOIN orgs o ON o.id = t.descendant_id \
         WHERE t.ancestor_id = $1 AND o.active = 1 GROUP BY o.kind",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let (enterprises, without_union, with_new_forms): (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), \
                COALESCE(SUM(CASE WHEN e.has_union = 0 THEN 1 ELSE 0 END), 0), \
                COALESCE(SUM(CASE WHEN e.new_form_groups <> '' THEN 1 ELSE 0 END), 0) \
         FROM org_tree t JOIN enterprises e ON e.org_id = t.descendant_id WHERE t.ancestor_id = $1",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    let users: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM org_tree t JOIN users u ON u.org_id = t.descendant_id \
         WHERE t.ancestor_id = $1 AND u.active = 1",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    let mut orgs_by_kind: Vec<KindCount> = OrgKind::ALL
        .into_iter()
        .filter_map(|kind| {
            by_kind
                .iter()
                .find(|(k, _)| k == kind.as_str())
                .map(|(_, count)| KindCount {
                    kind,
                    count: *count,
                })
        })
        .collect();
    orgs_by_kind.retain(|k| k.count > 0);
    Ok(SubtreeCounts {
        orgs_total: orgs_by_kind.iter().map(|k| k.count).sum(),
        orgs_by_kind,
        enterprises,
        enterprises_without_union: without_union,
        enterprises_with_new_forms: with_new_forms,
        users,
    })
}

async fn kind_of(tx: &mut Tx, id: OrgId) -> Result<Option<OrgKind>, DbError> {
    let kind: Option<String> = sqlx::query_scalar("SELECT kind FROM orgs WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(kind.as_deref().and_then(OrgKind::parse))
}

/// Creates an org under `parent` (or a root when `None`) with its closure rows.
pub async fn insert(tx: &mut Tx, f: &OrgFields, parent: Option<OrgId>) -> Result<OrgId, AppError> {
    let parent_kind = match parent {
        Some(p) => Some(kind_of(tx, p).await?.ok_or(OrgError::ParentNotFound)?),
        None => None,
    };
    if !f.kind.may_sit_under(parent_kind) {
        return Err(OrgError::KindUnderParent.into());
    }
    let t = now();
    let id: OrgId = sqlx::query_scalar(
        "INSERT INTO orgs (code, name, short_name, kind, parent_id, contact_person, phone, email, address, \
         display_order, sort_key, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $12) RETURNING id",
    )
    .bind(f.code.as_str())
    .bind(&f.name)
    .bind(&f.short_name)
    .bind(f.kind.as_str())
    .bind(parent)
    .bind(&f.contact_person)
    .bind(f.phone.as_ref().map(|p| p.as_str().to_string()))
    .bind(&f.email)
    .bind(&f.address)
    .bind(f.display_order)
    .bind(sort_key(&f.name))
    .bind(t)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| if is_unique_violation(&e) { OrgError::CodeTaken.into() } else { AppError::from(e) })?;
    sqlx::query(
        "INSERT INTO org_tree (ancestor_id, descendant_id, depth) \
         SELECT ancestor_id, $1, depth + 1 FROM org_tree WHERE descendant_id = $2 \
         UNION ALL SELECT $1, $1, 0",
    )
    .bind(id)
    .bind(parent.unwrap_or(OrgId(-1)))
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Rewrites an org's fields (not its parent).
pub async fn update(tx: &mut Tx, id: OrgId, f: &OrgFields) -> Result<(), AppError> {
    let parent: Option<OrgId> = sqlx::query_scalar("SELECT parent_id FROM orgs WHERE id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let parent_kind = match parent {
        Some(p) => kind_of(tx, p).await?,
        None => None,
    };
    if !f.kind.may_sit_under(parent_kind) {
        return Err(OrgError::KindUnderParent.into());
    }
    sqlx::query(
        "UPDATE orgs SET code = $1, name = $2, short_name = $3, kind = $4, contact_person = $5, phone = $6, \
         email = $7, address = $8, display_order = $9, sort_key = $10, updated_at = $11 WHERE id = $12",
    )
    .bind(f.code.as_str())
    .bind(&f.name)
    .bind(&f.short_name)
    .bind(f.kind.as_str())
    .bind(&f.contact_person)
    .bind(f.phone.as_ref().map(|p| p.as_str().to_string()))
    .bind(&f.email)
    .bind(&f.address)
    .bind(f.display_order)
    .bind(sort_key(&f.name))
    .bind(now())
    .bind(id)
    .execute(&mut **tx)
    .await
    .map_err(|e| if is_unique_violation(&e) { OrgError::CodeTaken.into() } else { AppError::from(e) })?;
    Ok(())
}

/// Moves an org and its whole subtree under `new_parent`; refuses cycles.
pub async fn move_to(tx: &mut Tx, id: OrgId, new_parent: OrgId) -> Result<(), AppError> {
    let inside: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM org_tree WHERE ancestor_id = $1 AND descendant_id = $2",
    )
    .bind(id)
    .bind(new_parent)
    .fetch_one(&mut **tx)
    .await?;
    if inside > 0 {
        return Err(OrgError::Cycle.into());
    }
    let kind = kind_of(tx, id).await?.ok_or(AppError::NotFound)?;
    let parent_kind = kind_of(tx, new_parent)
        .await?
        .ok_or(OrgError::ParentNotFound)?;
    if !kind.may_sit_under(Some(parent_kind)) {
        return Err(OrgError::KindUnderParent.into());
    }
    // Detach the subtree from its old ancestors, then attach it to the new parent's.
    sqlx::query(
        "DELETE FROM org_tree WHERE descendant_id IN (SELECT descendant_id FROM org_tree WHERE ancestor_id = $1) \
         AND ancestor_id IN (SELECT ancestor_id FROM org_tree WHERE descendant_id = $1 AND ancestor_id <> $1)",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO org_tree (ancestor_id, descendant_id, depth) \
         SELECT up.ancestor_id, down.descendant_id, up.depth + down.depth + 1 \
         FROM org_tree up CROSS JOIN org_tree down WHERE up.descendant_id = $1 AND down.ancestor_id = $2",
    )
    .bind(new_parent)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE orgs SET parent_id = $1, updated_at = $2 WHERE id = $3")
        .bind(new_parent)
        .bind(now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Deactivates or reactivates an org. Orgs are never deleted: records refer to them.
pub async fn set_active(tx: &mut Tx, id: OrgId, active: bool) -> Result<(), AppError> {
    if !active {
        let live_children: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM orgs WHERE parent_id = $1 AND active = 1")
                .bind(id)
                .fetch_one(&mut **tx)
                .await?;
        if live_children > 0 {
            return Err(OrgError::ActiveChildren.into());
        }
    }
    sqlx::query("UPDATE orgs SET active = $1, updated_at = $2 WHERE id = $3")
        .bind(i64::from(active))
        .bind(now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The id of an org by code, ignoring scope (CLI and import resolution inside a checked scope).
pub async fn id_by_code(db: &Db, code: &str) -> Result<Option<OrgId>, DbError> {
    sqlx::query_scalar("SELECT id FROM orgs WHERE code = $1")
        .bind(code.trim().to_ascii_uppercase())
        .fetch_optional(db.pool())
        .await
}

/// The code of an org, whoever asks (the caller has already reached the org).
pub async fn code_of(db: &Db, id: OrgId) -> Result<Option<String>, DbError> {
    sqlx::query_scalar("SELECT code FROM orgs WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await
}
