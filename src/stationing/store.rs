//! Work group queries. A group belongs to its host org (`org_id`): readers
//! reach it through [`Scope::sql`] on that column, so the programme's issuing
//! org (an ancestor of every host) sees every group, a host province its own,
//! and anyone else nothing. Writes run inside the caller's transaction.

use std::collections::HashMap;

use sqlx::AssertSqlSafe;

use super::{
    Arrival, Contact, ContactFields, GroupFields, GroupOutputs, LeaderVisit, Member, Outputs,
    Study, StudyFields, VisitFields, WorkGroup,
};
use crate::{
    auth::Scope,
    date::Day,
    db::{
        CampaignId, Db, DbError, GroupContactId, GroupMemberId, GroupStudyId, GroupVisitId, OrgId,
        Tx, UserId, WorkGroupId, now,
    },
    error::{AppError, FieldError},
};

const SELECT: &str = "SELECT g.id, g.campaign_id, c.title AS campaign_title, c.org_id AS issuer_org_id, \
    g.org_id, o.code AS org_code, o.name AS org_name, g.name, g.region, g.arrival_due_on, g.arrived_on, \
    g.starts_on, g.ends_on, g.party_branch, g.remarks, \
    (SELECT m.name FROM work_group_members m WHERE m.work_group_id = g.id AND m.is_leader = 1) AS leader, \
    (SELECT COUNT(*) FROM work_group_members m WHERE m.work_group_id = g.id) AS member_count \
    FROM work_groups g JOIN campaigns c ON c.id = g.campaign_id JOIN orgs o ON o.id = g.org_id";

#[derive(sqlx::FromRow)]
struct Row {
    id: WorkGroupId,
    campaign_id: CampaignId,
    campaign_title: String,
    issuer_org_id: OrgId,
    org_id: OrgId,
    org_code: String,
    org_name: String,
    name: String,
    region: String,
    arrival_due_on: Day,
    arrived_on: Option<Day>,
    starts_on: Day,
    ends_on: Day,
    party_branch: i64,
    remarks: Option<String>,
    leader: Option<String>,
    member_count: i64,
}

impl From<Row> for WorkGroup {
    fn from(r: Row) -> Self {
        let due = r.arrival_due_on;
        let arrived = r.arrived_on;
        WorkGroup {
            id: r.id,
            campaign_id: r.campaign_id,
            campaign_title: r.campaign_title,
            issuer_org_id: r.issuer_org_id,
            org_id: r.org_id,
            org_code: r.org_code,
            org_name: r.org_name,
            name: r.name,
            region: r.region,
            arrival_due_on: due,
            arrived_on: arrived,
            arrival: Arrival::of(due, arrived, Day::today()),
            starts_on: r.starts_on,
            ends_on: r.ends_on,
            party_branch: r.party_branch != 0,
            remarks: r.remarks,
            leader: r.leader,
            member_count: r.member_count,
        }
    }
}

/// The hosts a writer may choose for a group of the programme issued by
/// `issuer` (code, name), by the rule a save applies (inside the issuer's
/// subtree; a writer over the host or the issuer): the orgs right under the
/// issuer that `write` reaches (all of them for a writer over the issuer),
/// the top orgs of `write` deeper in the issuer's subtree, and the edited
/// group's `current` host.
pub async fn hosts(
    db: &Db,
    write: &Scope,
    issuer: OrgId,
    current: Option<OrgId>,
) -> Result<Vec<(String, String)>, DbError> {
    let roots: Vec<String> = write
        .roots()
        .iter()
        .chain(current.as_ref())
        .map(|o| o.0.to_string())
        .collect();
    let roots = if roots.is_empty() {
        "NULL".to_string()
    } else {
        roots.join(",")
    };
    // Ids are integers read from the database (`Scope::sql` inlines them too).
    let sql = format!(
        "SELECT o.code, o.name FROM orgs o JOIN org_tree t ON t.descendant_id = o.id \
         WHERE t.ancestor_id = $1 AND t.depth >= 1 AND o.active = 1 \
         AND ((t.depth = 1 AND {}) OR o.id IN ({roots})) \
         ORDER BY t.depth, o.display_order, o.sort_key, o.id",
        write.sql("o.id")
    );
    sqlx::query_as(AssertSqlSafe(sql))
        .bind(issuer)
        .fetch_all(db.pool())
        .await
}

/// How many groups a campaign has (any scope).
pub async fn group_count(db: &Db, campaign: CampaignId) -> Result<i64, DbError> {
    sqlx::query_scalar("SELECT COUNT(*) FROM work_groups WHERE campaign_id = $1")
        .bind(campaign)
        .fetch_one(db.pool())
        .await
}

/// The groups of a programme the scope reaches, in the order they were created.
pub async fn list(db: &Db, scope: &Scope, campaign: CampaignId) -> Result<Vec<WorkGroup>, DbError> {
    let sql = format!(
        "{SELECT} WHERE g.campaign_id = $1 AND {} ORDER BY g.id",
        scope.sql("g.org_id")
    );
    let rows: Vec<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(campaign)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(WorkGroup::from).collect())
}

/// One group, if the scope reaches it.
pub async fn get(db: &Db, scope: &Scope, id: WorkGroupId) -> Result<Option<WorkGroup>, DbError> {
    let sql = format!("{SELECT} WHERE g.id = $1 AND {}", scope.sql("g.org_id"));
    let row: Option<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(WorkGroup::from))
}

/// A group the caller may record for, offered in the activity form.
#[derive(Clone, Debug, sqlx::FromRow, serde::Serialize)]
pub struct GroupChoice {
    pub id: WorkGroupId,
    pub campaign_id: CampaignId,
    pub campaign_title: String,
    pub name: String,
}

/// The groups of active stationing programmes inside the (write) scope.
pub async fn choices(db: &Db, scope: &Scope) -> Result<Vec<GroupChoice>, DbError> {
    let sql = format!(
        "SELECT g.id, g.campaign_id, c.title AS campaign_title, g.name FROM work_groups g \
         JOIN campaigns c ON c.id = g.campaign_id WHERE c.status = 'active' AND {} \
         ORDER BY c.starts_on DESC, c.id DESC, g.id",
        scope.sql("g.org_id")
    );
    sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await
}

/// The programme of a group and its issuing org, whatever the scope.
pub async fn programme_of(
    db: &Db,
    id: WorkGroupId,
) -> Result<Option<(CampaignId, OrgId, OrgId)>, DbError> {
    sqlx::query_as(
        "SELECT g.campaign_id, g.org_id, c.org_id FROM work_groups g JOIN campaigns c ON c.id = g.campaign_id \
         WHERE g.id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await
}

/// The members, leader first then in their order.
pub async fn members(db: &Db, id: WorkGroupId) -> Result<Vec<Member>, DbError> {
    type MemberRow = (
        GroupMemberId,
        String,
        Option<String>,
        Option<String>,
        i64,
        Option<UserId>,
        Option<String>,
    );
    let rows: Vec<MemberRow> = sqlx::query_as(
        "SELECT m.id, m.name, m.department, m.duty, m.is_leader, m.user_id, u.username \
         FROM work_group_members m LEFT JOIN users u ON u.id = m.user_id \
         WHERE m.work_group_id = $1 ORDER BY m.is_leader DESC, m.position, m.id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, name, department, duty, leader, user_id, username)| Member {
                id,
                name,
                department,
                duty,
                is_leader: leader != 0,
                user_id,
                username,
            },
        )
        .collect())
}

/// The contacts, unmasked (the caller masks them for readers who may not see phones).
pub async fn contacts(db: &Db, id: WorkGroupId) -> Result<Vec<Contact>, DbError> {
    type ContactRow = (
        GroupContactId,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<ContactRow> = sqlx::query_as(
        "SELECT id, name, job_title, org_name, phone FROM work_group_contacts WHERE work_group_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, job_title, org_name, phone)| Contact {
            id,
            name,
            job_title,
            org_name,
            phone,
        })
        .collect())
}

/// The study log, latest first.
pub async fn studies(db: &Db, id: WorkGroupId) -> Result<Vec<Study>, DbError> {
    let rows: Vec<(GroupStudyId, Day, String, i64, Option<String>)> = sqlx::query_as(
        "SELECT id, held_on, subject, attendees, remarks FROM work_group_studies WHERE work_group_id = $1 \
         ORDER BY held_on DESC, id DESC",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, held_on, subject, attendees, remarks)| Study {
            id,
            held_on,
            subject,
            attendees,
            remarks,
        })
        .collect())
}

/// Leaders' visits, latest first.
pub async fn visits(db: &Db, id: WorkGroupId) -> Result<Vec<LeaderVisit>, DbError> {
    type VisitRow = (GroupVisitId, Day, String, Option<String>, Option<String>);
    let rows: Vec<VisitRow> = sqlx::query_as(
        "SELECT id, visited_on, leader_name, leader_title, remarks FROM work_group_visits \
         WHERE work_group_id = $1 ORDER BY visited_on DESC, id DESC",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, visited_on, leader_name, leader_title, remarks)| LeaderVisit {
                id,
                visited_on,
                leader_name,
                leader_title,
                remarks,
            },
        )
        .collect())
}

fn is_unique_violation(e: &DbError) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.is_unique_violation() || d.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}

/// Creates a group of `campaign` hosted by `org`, with its members (their
/// user accounts resolved by the caller). A second group of the same name
/// in the programme is a `name` field error.
pub async fn insert(
    tx: &mut Tx,
    campaign: CampaignId,
    org: OrgId,
    f: &GroupFields,
    users: &[Option<UserId>],
    by: UserId,
) -> Result<WorkGroupId, AppError> {
    let ts = now();
    let id: Result<WorkGroupId, DbError> = sqlx::query_scalar(
        "INSERT INTO work_groups (campaign_id, org_id, name, region, arrival_due_on, arrived_on, starts_on, \
         ends_on, party_branch, remarks, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
    )
    .bind(campaign)
    .bind(org)
    .bind(&f.name)
    .bind(&f.region)
    .bind(f.arrival_due_on.iso())
    .bind(f.arrived_on.map(Day::iso))
    .bind(f.starts_on.iso())
    .bind(f.ends_on.iso())
    .bind(i64::from(f.party_branch))
    .bind(&f.remarks)
    .bind(by)
    .bind(ts)
    .fetch_one(&mut **tx)
    .await;
    let id = match id {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::field("name", "err-group-name-taken"));
        }
        Err(e) => return Err(e.into()),
    };
    set_members(tx, id, org, f, users).await?;
    Ok(id)
}

/// Rewrites a group's fields and replaces its members.
pub async fn update(
    tx: &mut Tx,
    id: WorkGroupId,
    org: OrgId,
    f: &GroupFields,
    users: &[Option<UserId>],
) -> Result<(), AppError> {
    let done = sqlx::query(
        "UPDATE work_groups SET org_id = $1, name = $2, region = $3, arrival_due_on = $4, arrived_on = $5, \
         starts_on = $6, ends_on = $7, party_branch = $8, remarks = $9, updated_at = $10 WHERE id = $11",
    )
    .bind(org)
    .bind(&f.name)
    .bind(&f.region)
    .bind(f.arrival_due_on.iso())
    .bind(f.arrived_on.map(Day::iso))
    .bind(f.starts_on.iso())
    .bind(f.ends_on.iso())
    .bind(i64::from(f.party_branch))
    .bind(&f.remarks)
    .bind(now())
    .bind(id)
    .execute(&mut **tx)
    .await;
    match done {
        Ok(d) if d.rows_affected() == 0 => return Err(AppError::NotFound),
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::field("name", "err-group-name-taken"));
        }
        Err(e) => return Err(e.into()),
    }
    // Sub-records follow the group's owner.
    for table in [
        "work_group_contacts",
        "work_group_studies",
        "work_group_visits",
    ] {
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE {table} SET org_id = $1 WHERE work_group_id = $2"
        )))
        .bind(org)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    set_members(tx, id, org, f, users).await?;
    Ok(())
}

async fn set_members(
    tx: &mut Tx,
    id: WorkGroupId,
    org: OrgId,
    f: &GroupFields,
    users: &[Option<UserId>],
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM work_group_members WHERE work_group_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for (i, m) in f.members.iter().enumerate() {
        sqlx::query(
            "INSERT INTO work_group_members (work_group_id, org_id, position, name, department, duty, is_leader, user_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(org)
        .bind(i as i64)
        .bind(&m.name)
        .bind(&m.department)
        .bind(&m.duty)
        .bind(i64::from(m.is_leader))
        .bind(users.get(i).copied().flatten())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Adds a contact (`existing: None`) or rewrites one of the group's.
pub async fn save_contact(
    tx: &mut Tx,
    group: WorkGroupId,
    org: OrgId,
    existing: Option<GroupContactId>,
    f: &ContactFields,
) -> Result<GroupContactId, AppError> {
    let phone = f.phone.as_ref().map(|p| p.as_str().to_string());
    match existing {
        None => Ok(sqlx::query_scalar(
            "INSERT INTO work_group_contacts (work_group_id, org_id, name, job_title, org_name, phone, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(group)
        .bind(org)
        .bind(&f.name)
        .bind(&f.job_title)
        .bind(&f.org_name)
        .bind(phone)
        .bind(now())
        .fetch_one(&mut **tx)
        .await?),
        Some(id) => {
            let done = sqlx::query(
                "UPDATE work_group_contacts SET name = $1, job_title = $2, org_name = $3, phone = $4 \
                 WHERE id = $5 AND work_group_id = $6",
            )
            .bind(&f.name)
            .bind(&f.job_title)
            .bind(&f.org_name)
            .bind(phone)
            .bind(id)
            .bind(group)
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(AppError::NotFound);
            }
            Ok(id)
        }
    }
}

/// Adds a study session or rewrites one of the group's.
pub async fn save_study(
    tx: &mut Tx,
    group: WorkGroupId,
    org: OrgId,
    existing: Option<GroupStudyId>,
    f: &StudyFields,
) -> Result<GroupStudyId, AppError> {
    match existing {
        None => Ok(sqlx::query_scalar(
            "INSERT INTO work_group_studies (work_group_id, org_id, held_on, subject, attendees, remarks, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(group)
        .bind(org)
        .bind(f.held_on.iso())
        .bind(&f.subject)
        .bind(f.attendees)
        .bind(&f.remarks)
        .bind(now())
        .fetch_one(&mut **tx)
        .await?),
        Some(id) => {
            let done = sqlx::query(
                "UPDATE work_group_studies SET held_on = $1, subject = $2, attendees = $3, remarks = $4 \
                 WHERE id = $5 AND work_group_id = $6",
            )
            .bind(f.held_on.iso())
            .bind(&f.subject)
            .bind(f.attendees)
            .bind(&f.remarks)
            .bind(id)
            .bind(group)
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(AppError::NotFound);
            }
            Ok(id)
        }
    }
}

/// Adds a leader's visit or rewrites one of the group's.
pub async fn save_visit(
    tx: &mut Tx,
    group: WorkGroupId,
    org: OrgId,
    existing: Option<GroupVisitId>,
    f: &VisitFields,
) -> Result<GroupVisitId, AppError> {
    match existing {
        None => Ok(sqlx::query_scalar(
            "INSERT INTO work_group_visits (work_group_id, org_id, visited_on, leader_name, leader_title, remarks, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(group)
        .bind(org)
        .bind(f.visited_on.iso())
        .bind(&f.leader_name)
        .bind(&f.leader_title)
        .bind(&f.remarks)
        .bind(now())
        .fetch_one(&mut **tx)
        .await?),
        Some(id) => {
            let done = sqlx::query(
                "UPDATE work_group_visits SET visited_on = $1, leader_name = $2, leader_title = $3, remarks = $4 \
                 WHERE id = $5 AND work_group_id = $6",
            )
            .bind(f.visited_on.iso())
            .bind(&f.leader_name)
            .bind(&f.leader_title)
            .bind(&f.remarks)
            .bind(id)
            .bind(group)
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(AppError::NotFound);
            }
            Ok(id)
        }
    }
}

/// The user id of each username (`None` for no account); an unknown
/// username, or one outside `scope`, is a field error on `members[n].username`.
pub async fn resolve_users(
    db: &Db,
    scope: &Scope,
    usernames: &[Option<String>],
) -> Result<Vec<Option<UserId>>, AppError> {
    let mut out = Vec::new();
    let mut errs = crate::web::form::Errors::default();
    for (i, u) in usernames.iter().enumerate() {
        let Some(name) = u else {
            out.push(None);
            continue;
        };
        let sql = format!(
            "SELECT u.id FROM users u WHERE u.username = $1 AND {}",
            scope.sql("u.org_id")
        );
        let id: Option<UserId> = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(name.trim().to_lowercase())
            .fetch_optional(db.pool())
            .await?;
        if id.is_none() {
            errs.push(
                FieldError::new(super::member_field(i, "username"), "err-user-unknown")
                    .arg("value", name.clone()),
            );
        }
        out.push(id);
    }
    errs.finish()?;
    Ok(out)
}

/// The figures of every group of `programme` that `scope` reaches, in the
/// order the groups were created:
///
/// - `enterprises`: distinct enterprises of the activities with the group's
///   `work_group_id`;
/// - `interviews`: `workers_interviewed` summed over those activities;
/// - `symposiums`: those of kind symposium; `activities`: all of them;
/// - `problems`: problems recorded on those activities;
/// - `questionnaires_collected` / `questionnaires_valid`: responses to the
///   surveys linked to the programme (`surveys.campaign_id`) whose `region`
///   equals the group's region, all / valid ([`crate::survey::store::valid_sql`]).
///
/// Activities count for the group whoever recorded them (an activity names
/// its group explicitly); a scope that does not reach a group leaves its row
/// out. The dashboards of issue 6 read this.
pub async fn group_outputs(
    db: &Db,
    scope: &Scope,
    programme: CampaignId,
) -> Result<Vec<GroupOutputs>, DbError> {
    let groups = list(db, scope, programme).await?;
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = groups.iter().map(|g| g.id.0.to_string()).collect();
    let ids = ids.join(",");
    let mut figures: HashMap<WorkGroupId, Outputs> = HashMap::new();
    let acts: Vec<(WorkGroupId, i64, i64, i64)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT a.work_group_id, COUNT(*), CAST(COALESCE(SUM(a.workers_interviewed), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN a.kind = 'symposium' THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM activities a WHERE a.work_group_id IN ({ids}) GROUP BY a.work_group_id"
    )))
    .fetch_all(db.pool())
    .await?;
    for (g, n, interviews, symposiums) in acts {
        let o = figures.entry(g).or_default();
        o.activities = n;
        o.interviews = interviews;
        o.symposiums = symposiums;
    }
    let ents: Vec<(WorkGroupId, i64)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT a.work_group_id, COUNT(DISTINCT ae.enterprise_id) FROM activities a \
         JOIN activity_enterprises ae ON ae.activity_id = a.id WHERE a.work_group_id IN ({ids}) \
         GROUP BY a.work_group_id"
    )))
    .fetch_all(db.pool())
    .await?;
    for (g, n) in ents {
        figures.entry(g).or_default().enterprises = n;
    }
    let probs: Vec<(WorkGroupId, i64)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT a.work_group_id, COUNT(*) FROM problems p JOIN activities a ON a.id = p.activity_id \
         WHERE a.work_group_id IN ({ids}) GROUP BY a.work_group_id"
    )))
    .fetch_all(db.pool())
    .await?;
    for (g, n) in probs {
        figures.entry(g).or_default().problems = n;
    }
    let valid = crate::survey::store::valid_sql("r");
    let answers: Vec<(WorkGroupId, i64, i64)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT g.id, COUNT(r.id), CAST(COALESCE(SUM(CASE WHEN {valid} THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM work_groups g JOIN surveys s ON s.campaign_id = g.campaign_id \
         JOIN survey_responses r ON r.survey_id = s.id AND r.region = g.region \
         WHERE g.id IN ({ids}) GROUP BY g.id"
    )))
    .fetch_all(db.pool())
    .await?;
    for (g, collected, valid) in answers {
        let o = figures.entry(g).or_default();
        o.questionnaires_collected = collected;
        o.questionnaires_valid = valid;
    }
    for g in &groups {
        let r = crate::report::store::counts(db, scope, Some(programme), Some(g.org_id)).await?;
        figures.entry(g.id).or_default().reports = r.on_time + r.late;
    }
    Ok(groups
        .into_iter()
        .map(|g| GroupOutputs {
            outputs: figures.remove(&g.id).unwrap_or_default(),
            group_id: g.id,
            name: g.name,
            host_org_id: g.org_id,
            host_org_name: g.org_name,
            region: g.region,
            leader: g.leader,
            members: g.member_count,
            arrival_due_on: g.arrival_due_on,
            arrived_on: g.arrived_on,
            arrival: g.arrival,
            party_branch: g.party_branch,
        })
        .collect())
}

/// The totals of `rows` (as returned by [`group_outputs`]): sums, except
/// enterprises, counted once however many groups visited one.
pub async fn total_outputs(db: &Db, rows: &[GroupOutputs]) -> Result<Outputs, DbError> {
    let mut total = Outputs::default();
    for r in rows {
        total.add(&r.outputs);
    }
    if rows.is_empty() {
        return Ok(total);
    }
    let ids: Vec<String> = rows.iter().map(|r| r.group_id.0.to_string()).collect();
    total.enterprises = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT COUNT(DISTINCT ae.enterprise_id) FROM activities a \
         JOIN activity_enterprises ae ON ae.activity_id = a.id WHERE a.work_group_id IN ({})",
        ids.join(",")
    )))
    .fetch_one(db.pool())
    .await?;
    Ok(total)
}
