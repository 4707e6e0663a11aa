//! Problem queries. A problem is visible to a caller whose scope reaches any
//! org that has owned it (`problem_orgs`: the recording org and every org it
//! was escalated to), so the whole escalation path keeps read access while a
//! neighbouring street sees nothing.

use sqlx::AssertSqlSafe;

use super::{
    Event, EventKind, Feedback, FeedbackFields, Problem, ProblemFields, ProblemStatus, Source,
    Topic, TopicFields, TopicRow,
    lifecycle::{self, Action, Next, OutcomeKind, Ownership, State, StateCode},
};
use crate::{
    auth::Scope,
    date::Day,
    db::{
        ActivityId, CampaignId, Db, DbError, EnterpriseId, OrgId, ProblemId, Sql, TopicId, Tx,
        UserId, code_enum, is_unique_violation, now,
    },
    enterprise::WorkerGroup,
    error::AppError,
    org::store::like_pattern,
};

const SELECT: &str = "SELECT p.id, p.org_id, o.name AS org_name, p.owner_org_id, w.name AS owner_org_name, \
    p.campaign_id, c.title AS campaign_title, p.activity_id, p.enterprise_id, e.name AS enterprise_name, \
    p.source, p.topic_id, t.name_zh AS topic_zh, t.name_en AS topic_en, p.worker_group, p.description, \
    p.raiser_name, p.raiser_contact, p.is_main, p.state, p.outcome, p.outcome_on, p.outcome_note, \
    p.escalated, p.public_intake, p.receipt_code, p.assignee_id, asg.display_name AS assignee_name, \
    p.created_at, p.updated_at \
    FROM problems p JOIN orgs o ON o.id = p.org_id JOIN orgs w ON w.id = p.owner_org_id \
    JOIN topics t ON t.id = p.topic_id LEFT JOIN campaigns c ON c.id = p.campaign_id \
    LEFT JOIN enterprises e ON e.id = p.enterprise_id LEFT JOIN users asg ON asg.id = p.assignee_id";

#[derive(sqlx::FromRow)]
struct Row {
    id: ProblemId,
    org_id: OrgId,
    org_name: String,
    owner_org_id: OrgId,
    owner_org_name: String,
    campaign_id: Option<CampaignId>,
    campaign_title: Option<String>,
    activity_id: Option<ActivityId>,
    enterprise_id: Option<EnterpriseId>,
    enterprise_name: Option<String>,
    source: Source,
    topic_id: TopicId,
    topic_zh: String,
    topic_en: String,
    worker_group: Option<String>,
    description: String,
    raiser_name: Option<String>,
    raiser_contact: Option<String>,
    is_main: i64,
    state: StateCode,
    outcome: Option<OutcomeKind>,
    outcome_on: Option<Day>,
    outcome_note: Option<String>,
    escalated: i64,
    public_intake: i64,
    receipt_code: Option<String>,
    assignee_id: Option<UserId>,
    assignee_name: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl Row {
    fn into_problem(self, today: Day) -> Problem {
        // Rows are written only through `State::columns`; a combination this
        // code never writes (a hand-edited row) reads as open rather than failing.
        let state =
            State::from_columns(self.state, self.outcome, self.outcome_on, self.outcome_note)
                .unwrap_or(State::Open);
        Problem {
            id: self.id,
            org_id: self.org_id,
            org_name: self.org_name,
            owner_org_id: self.owner_org_id,
            owner_org_name: self.owner_org_name,
            campaign_id: self.campaign_id,
            campaign_title: self.campaign_title,
            activity_id: self.activity_id,
            enterprise_id: self.enterprise_id,
            enterprise_name: self.enterprise_name,
            source: self.source,
            topic_id: self.topic_id,
            topic_zh: self.topic_zh,
            topic_en: self.topic_en,
            worker_group: self.worker_group.as_deref().and_then(WorkerGroup::parse),
            description: self.description,
            raiser_name: self.raiser_name,
            raiser_contact: self.raiser_contact,
            is_main: self.is_main != 0,
            overdue: state.is_overdue(today),
            state,
            escalated: self.escalated != 0,
            public_intake: self.public_intake != 0,
            receipt_code: self.receipt_code,
            assignee_id: self.assignee_id,
            assignee_name: self.assignee_name,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// The SQL condition that a problem (alias `p`) is visible to `scope`: some
/// org that has owned it lies in the scope. Escalation only moves a problem to
/// ancestors of the org that recorded it, so for a problem that was never
/// escalated the recording org decides alone — the cheap, indexable test that
/// answers for almost every row; the path is consulted only for escalated ones
/// (which also keeps the path's read access after an org moves in the tree).
pub fn visible(scope: &Scope) -> String {
    format!(
        "({} OR (p.escalated = 1 AND EXISTS (SELECT 1 FROM problem_orgs po WHERE po.problem_id = p.id AND {})))",
        scope.sql("p.org_id"),
        scope.sql("po.org_id")
    )
}

/// The active topics, in display order.
pub async fn topics(db: &Db) -> Result<Vec<Topic>, DbError> {
    sqlx::query_as(
        "SELECT id, code, name_zh, name_en, active FROM topics WHERE active = 1 \
         ORDER BY display_order, id",
    )
    .fetch_all(db.pool())
    .await
}

/// Filters of the problem list; `None` does not filter.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProblemFilter {
    pub campaign: Option<CampaignId>,
    /// Recorded in this org's subtree.
    pub org: Option<OrgId>,
    pub source: Option<Source>,
    pub topic: Option<String>,
    pub group: Option<WorkerGroup>,
    pub status: Option<ProblemStatus>,
    pub overdue: bool,
    /// Escalated to (and now owned by) one of these orgs.
    pub escalated_to: Option<Vec<OrgId>>,
    /// Only problems whose owner lies in the scope (that the caller must act on).
    pub owned_in_scope: bool,
    /// Only main problems.
    pub main: bool,
    pub activity: Option<ActivityId>,
    /// Text in the description or the raiser's name.
    pub q: Option<String>,
    pub sort: Sort,
}

code_enum! {
    /// The orders the problem list offers.
    #[derive(Default)]
    pub enum Sort: "sort" {
        /// Newest first.
        #[default]
        Newest = "new",
        /// Oldest first.
        Oldest = "old",
        /// Nearest deadline or planned date first (undated last).
        Due = "due",
        /// Most recently changed first.
        Updated = "updated",
    }
}

impl Sort {
    fn sql(self) -> &'static str {
        match self {
            Sort::Newest => " ORDER BY p.created_at DESC, p.id DESC",
            Sort::Oldest => " ORDER BY p.created_at, p.id",
            // Dated outcomes (text dates sort as dates) before undated ones.
            Sort::Due => {
                " ORDER BY CASE WHEN p.outcome_on IS NULL THEN 1 ELSE 0 END, p.outcome_on, p.id"
            }
            Sort::Updated => " ORDER BY p.updated_at DESC, p.id DESC",
        }
    }
}

fn conditions(q: &mut Sql, scope: &Scope, f: &ProblemFilter, today: Day) {
    q.push(" WHERE ").push(&visible(scope));
    if let Some(c) = f.campaign {
        q.push(" AND p.campaign_id = ").bind(c);
    }
    if let Some(org) = f.org {
        q.push(" AND p.org_id IN (SELECT descendant_id FROM org_tree WHERE ancestor_id = ")
            .bind(org)
            .push(")");
    }
    if let Some(s) = f.source {
        q.push(" AND p.source = ").bind(s);
    }
    if let Some(t) = &f.topic {
        q.push(" AND p.topic_id = (SELECT tc.id FROM topics tc WHERE tc.code = ")
            .bind(t.clone())
            .push(")");
    }
    if let Some(g) = f.group {
        q.push(" AND p.worker_group = ")
            .bind(g.as_str().to_string());
    }
    match f.status {
        Some(ProblemStatus::Open) => {
            q.push(" AND p.state = 'open'");
        }
        Some(ProblemStatus::Closed) => {
            q.push(" AND p.state = 'closed'");
        }
        Some(o) => {
            q.push(" AND p.state = 'decided' AND p.outcome = ")
                .bind(o.as_str().to_string());
        }
        None => {}
    }
    if f.overdue {
        q.push(" AND p.state = 'decided' AND p.outcome IN ('in_progress', 'planned') AND p.outcome_on < ")
            .bind(today.iso());
    }
    if let Some(orgs) = &f.escalated_to {
        let ids: Vec<String> = orgs.iter().map(|o| o.0.to_string()).collect();
        q.push(&format!(
            " AND p.escalated = 1 AND p.owner_org_id <> p.org_id AND p.owner_org_id IN ({})",
            if ids.is_empty() {
                "0".into()
            } else {
                ids.join(",")
            }
        ));
    }
    if f.owned_in_scope {
        q.push(" AND ").push(&scope.sql("p.owner_org_id"));
    }
    if f.main {
        q.push(" AND p.is_main = 1");
    }
    if let Some(a) = f.activity {
        q.push(" AND p.activity_id = ").bind(a);
    }
    if let Some(text) = f.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pat = like_pattern(&text.to_lowercase());
        // LOWER costs a pass over every description; Chinese text has no case.
        let (desc, name) = if text.chars().any(|c| c.is_ascii_alphabetic()) {
            ("LOWER(p.description)", "LOWER(e.name)")
        } else {
            ("p.description", "e.name")
        };
        q.push(&format!(" AND ({desc} LIKE "))
            .bind(pat.clone())
            .push(&format!(
                " ESCAPE '\\' OR (p.enterprise_id IS NOT NULL AND EXISTS (SELECT 1 FROM enterprises e \
                 WHERE e.id = p.enterprise_id AND {name} LIKE "
            ))
            .bind(pat)
            .push(" ESCAPE '\\')))");
    }
}

/// A page of visible problems matching the filter, newest first, and how many match.
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &ProblemFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Problem>, i64), DbError> {
    let today = Day::today();
    let mut count = Sql::new("SELECT COUNT(*) FROM problems p");
    conditions(&mut count, scope, f, today);
    let (sql, args) = count.build();
    let total: i64 = sqlx::query_scalar_with(sql, args)
        .fetch_one(db.pool())
        .await?;
    if total == 0 || offset >= total {
        return Ok((Vec::new(), total));
    }
    let mut q = Sql::new(SELECT);
    conditions(&mut q, scope, f, today);
    q.push(f.sort.sql())
        .push(" LIMIT ")
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset);
    let (sql, args) = q.build();
    let rows: Vec<Row> = sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;
    Ok((
        rows.into_iter().map(|r| r.into_problem(today)).collect(),
        total,
    ))
}

/// Visible problems matching the filter, counted by topic code and status
/// (`open`, `closed`, or the outcome of a decided one): the list's own
/// conditions, so each count is the length of the list filtered by that topic
/// and status (special reports cite these counts).
pub async fn count_by_topic_status(
    db: &Db,
    scope: &Scope,
    f: &ProblemFilter,
) -> Result<Vec<(String, String, i64)>, DbError> {
    const STATUS: &str = "CASE WHEN p.state = 'decided' THEN p.outcome ELSE p.state END";
    let mut q = Sql::new(&format!(
        "SELECT tc0.code, {STATUS}, COUNT(*) FROM problems p JOIN topics tc0 ON tc0.id = p.topic_id"
    ));
    conditions(&mut q, scope, f, Day::today());
    q.push(&format!(" GROUP BY tc0.code, {STATUS}"));
    let (sql, args) = q.build();
    sqlx::query_as_with(sql, args).fetch_all(db.pool()).await
}

/// One problem, if visible to the scope.
pub async fn get(db: &Db, scope: &Scope, id: ProblemId) -> Result<Option<Problem>, DbError> {
    let sql = format!("{SELECT} WHERE p.id = $1 AND {}", visible(scope));
    let row: Option<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| r.into_problem(Day::today())))
}

/// One problem by id, whoever asks (for the public receipt page and inside writes).
async fn get_any(db: &Db, id: ProblemId) -> Result<Option<Problem>, DbError> {
    let sql = format!("{SELECT} WHERE p.id = $1");
    let row: Option<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| r.into_problem(Day::today())))
}

/// One problem by id, read on the caller's connection (inside a write, so
/// it sees what the write changed): the record a webhook event carries.
pub async fn get_in(
    conn: &mut sqlx::AnyConnection,
    id: ProblemId,
) -> Result<Option<Problem>, DbError> {
    let sql = format!("{SELECT} WHERE p.id = $1");
    let row: Option<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.into_problem(Day::today())))
}

/// The problem a receipt code (normalised by [`normalise_receipt`]) belongs to.
pub async fn by_receipt(db: &Db, code: &str) -> Result<Option<Problem>, DbError> {
    let id: Option<ProblemId> =
        sqlx::query_scalar("SELECT id FROM problems WHERE receipt_code = $1")
            .bind(code)
            .fetch_optional(db.pool())
            .await?;
    match id {
        Some(id) => get_any(db, id).await,
        None => Ok(None),
    }
}

/// The problems recorded with an activity, visible to the scope.
pub async fn of_activity(
    db: &Db,
    scope: &Scope,
    activity: ActivityId,
) -> Result<Vec<Problem>, DbError> {
    let f = ProblemFilter {
        activity: Some(activity),
        ..Default::default()
    };
    Ok(list(db, scope, &f, 500, 0).await?.0)
}

/// Where a new problem comes from.
#[derive(Clone, Debug)]
pub struct Origin {
    /// The org that records it (and first owns it).
    pub org: OrgId,
    /// A client-generated id: a retried save hits the unique key.
    pub client_id: String,
    pub campaign: Option<CampaignId>,
    pub activity: Option<ActivityId>,
    pub user: Option<UserId>,
    /// Who recorded it, for the timeline.
    pub actor: String,
    /// Raised by a worker through the public page (not recorded by a cadre).
    pub public: bool,
}

/// The characters of receipt codes: no 0/O, 1/I/L or 2/Z to misread on a phone.
const RECEIPT_ALPHABET: &[u8] = b"3456789ABCDEFGHJKMNPQRSTUVWXY";

/// A new receipt code such as `K7M4-Q9XP`: about 5 × 10^11 possibilities.
pub fn receipt_code() -> String {
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    let mut s = String::with_capacity(9);
    for i in 0..8 {
        if i == 4 {
            s.push('-');
        }
        s.push(RECEIPT_ALPHABET[rng.gen_range(0..RECEIPT_ALPHABET.len())] as char);
    }
    s
}

/// Normalises what a worker types as a receipt code (case, spaces, a missing dash).
pub fn normalise_receipt(raw: &str) -> Option<String> {
    let chars: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if chars.len() != 8 || !chars.bytes().all(|b| RECEIPT_ALPHABET.contains(&b)) {
        return None;
    }
    Some(format!("{}-{}", &chars[..4], &chars[4..]))
}

/// Records a problem, its first owner and the "created" event. `Ok(None)` when
/// (org, client id) already exists: the caller looks the first one up.
pub async fn insert(
    tx: &mut Tx,
    origin: &Origin,
    f: &ProblemFields,
) -> Result<Option<ProblemId>, AppError> {
    let topic: Option<TopicId> =
        sqlx::query_scalar("SELECT id FROM topics WHERE code = $1 AND active = 1")
            .bind(&f.topic_code)
            .fetch_optional(&mut **tx)
            .await?;
    let topic = topic.ok_or_else(|| AppError::field("topic", "err-topic"))?;
    let ts = now();
    let inserted: Result<ProblemId, DbError> = sqlx::query_scalar(
        "INSERT INTO problems (client_id, org_id, owner_org_id, campaign_id, activity_id, enterprise_id, \
         source, topic_id, worker_group, description, raiser_name, raiser_contact, is_main, state, \
         receipt_code, public_intake, created_by, created_at, updated_at) \
         VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'open', $13, $14, $15, $16, $16) \
         ON CONFLICT (org_id, client_id) DO NOTHING RETURNING id",
    )
    .bind(&origin.client_id)
    .bind(origin.org)
    .bind(origin.campaign)
    .bind(origin.activity)
    .bind(f.enterprise_id)
    .bind(f.source)
    .bind(topic)
    .bind(f.worker_group.map(WorkerGroup::as_str))
    .bind(&f.description)
    .bind(&f.raiser_name)
    .bind(&f.raiser_contact)
    .bind(i64::from(f.is_main))
    .bind(receipt_code())
    .bind(i64::from(origin.public))
    .bind(origin.user)
    .bind(ts)
    .fetch_one(&mut **tx)
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(sqlx::Error::RowNotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    sqlx::query("INSERT INTO problem_orgs (problem_id, org_id) VALUES ($1, $2)")
        .bind(id)
        .bind(origin.org)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO problem_events (problem_id, org_id, user_id, actor, kind, to_state, to_org_id, created_at) \
         VALUES ($1, $2, $3, $4, 'created', 'open', $2, $5)",
    )
    .bind(id)
    .bind(origin.org)
    .bind(origin.user)
    .bind(&origin.actor)
    .bind(ts)
    .execute(&mut **tx)
    .await?;
    let event = crate::webhook::Event::ProblemRecorded;
    crate::webhook::ops::emit(tx, event, crate::webhook::Record::Problem(id)).await?;
    Ok(Some(id))
}

/// The id of the problem an org recorded under a client id.
pub async fn id_by_client(
    tx: &mut Tx,
    org: OrgId,
    client_id: &str,
) -> Result<Option<ProblemId>, DbError> {
    sqlx::query_scalar("SELECT id FROM problems WHERE org_id = $1 AND client_id = $2")
        .bind(org)
        .bind(client_id)
        .fetch_optional(&mut **tx)
        .await
}

/// Owner and lifecycle columns of one problem.
type OwnerRow = (
    OrgId,
    StateCode,
    Option<OutcomeKind>,
    Option<Day>,
    Option<String>,
);

/// The owner, the owner's ancestors and the org that passed it up. Writers read
/// it inside their transaction (`&mut *conn`) so the transition sees what it
/// changes; pages read it on a pooled connection, without the write lock.
pub async fn ownership(
    conn: &mut sqlx::AnyConnection,
    id: ProblemId,
) -> Result<Option<(State, Ownership)>, DbError> {
    let row: Option<OwnerRow> = sqlx::query_as(
        "SELECT owner_org_id, state, outcome, outcome_on, outcome_note FROM problems WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((owner, state, outcome, on, note)) = row else {
        return Ok(None);
    };
    let state = State::from_columns(state, outcome, on, note).unwrap_or(State::Open);
    let ancestors: Vec<OrgId> = sqlx::query_scalar(
        "SELECT ancestor_id FROM org_tree WHERE descendant_id = $1 AND depth > 0 ORDER BY depth",
    )
    .bind(owner)
    .fetch_all(&mut *conn)
    .await?;
    // The latest move into the current owner tells whether it came up from below.
    let last_in: Option<(EventKind, Option<OrgId>)> = sqlx::query_as(
        "SELECT kind, from_org_id FROM problem_events WHERE problem_id = $1 AND to_org_id = $2 \
         AND kind IN ('created', 'escalated', 'returned') ORDER BY id DESC LIMIT 1",
    )
    .bind(id)
    .bind(owner)
    .fetch_optional(&mut *conn)
    .await?;
    let escalated_from = match last_in {
        Some((EventKind::Escalated, from)) => from,
        _ => None,
    };
    Ok(Some((
        state,
        Ownership {
            owner,
            ancestors,
            escalated_from,
        },
    )))
}

/// Who acted, for the timeline.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user: Option<UserId>,
    pub name: String,
}

/// Writes a legal transition: the new state and owner, the escalation path,
/// and the timeline event (who, when, why, from, to).
pub async fn apply(
    tx: &mut Tx,
    id: ProblemId,
    before: (&State, OrgId),
    next: &Next,
    action: &Action,
    actor: &Actor,
) -> Result<(), DbError> {
    let (state, outcome, on, note) = next.state.columns();
    let escalated = matches!(action, Action::Escalate { .. });
    let ts = now();
    sqlx::query(
        "UPDATE problems SET state = $1, outcome = $2, outcome_on = $3, outcome_note = $4, \
         owner_org_id = $5, escalated = CASE WHEN $6 = 1 THEN 1 ELSE escalated END, updated_at = $7 \
         WHERE id = $8",
    )
    .bind(state)
    .bind(outcome)
    .bind(on)
    .bind(note)
    .bind(next.owner)
    .bind(i64::from(escalated))
    .bind(ts)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if next.owner != before.1 {
        sqlx::query(
            "INSERT INTO problem_orgs (problem_id, org_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(next.owner)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query(
        "INSERT INTO problem_events (problem_id, org_id, user_id, actor, kind, from_state, to_state, \
         from_org_id, to_org_id, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(id)
    .bind(next.owner)
    .bind(actor.user)
    .bind(&actor.name)
    .bind(action.kind())
    .bind(before.0.label())
    .bind(next.state.label())
    .bind(before.1)
    .bind(next.owner)
    .bind(action.reason().map(str::to_string))
    .bind(ts)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Runs one lifecycle action inside `tx`: reads the state, asks the transition
/// function, writes the result. The caller checked the right to act on the owner.
pub async fn transition(
    tx: &mut Tx,
    id: ProblemId,
    action: Action,
    actor: &Actor,
) -> Result<Next, AppError> {
    let (state, own) = ownership(tx, id).await?.ok_or(AppError::NotFound)?;
    let next = lifecycle::transition(&state, &own, action.clone()).map_err(super::refusal)?;
    apply(tx, id, (&state, own.owner), &next, &action, actor).await?;
    if matches!(action, Action::Escalate { .. }) {
        crate::notify::store::on_escalated(tx, id, next.owner).await?;
    }
    let event = match action {
        Action::Decide(_) => Some(crate::webhook::Event::ProblemDecided),
        Action::Escalate { .. } => Some(crate::webhook::Event::ProblemEscalated),
        _ => None,
    };
    if let Some(event) = event {
        crate::webhook::ops::emit(tx, event, crate::webhook::Record::Problem(id)).await?;
    }
    Ok(next)
}

/// The timeline, oldest first.
pub async fn events(db: &Db, id: ProblemId) -> Result<Vec<Event>, DbError> {
    sqlx::query_as(
        "SELECT ev.kind, ev.actor, ev.from_state, ev.to_state, fo.name AS from_org_name, \
         tor.name AS to_org_name, ev.reason, ev.created_at FROM problem_events ev \
         LEFT JOIN orgs fo ON fo.id = ev.from_org_id LEFT JOIN orgs tor ON tor.id = ev.to_org_id \
         WHERE ev.problem_id = $1 ORDER BY ev.id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await
}

/// Records feedback given to the raiser.
pub async fn add_feedback(
    tx: &mut Tx,
    id: ProblemId,
    org: OrgId,
    actor: &Actor,
    f: &FeedbackFields,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO problem_feedback (problem_id, org_id, user_id, actor, channel, body, given_on, \
         satisfaction, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(org)
    .bind(actor.user)
    .bind(&actor.name)
    .bind(f.channel)
    .bind(&f.body)
    .bind(f.given_on)
    .bind(f.satisfaction)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    let event = crate::webhook::Event::ProblemFedBack;
    crate::webhook::ops::emit(tx, event, crate::webhook::Record::Problem(id)).await?;
    Ok(())
}

/// The feedback given, oldest first.
pub async fn feedback(db: &Db, id: ProblemId) -> Result<Vec<Feedback>, DbError> {
    sqlx::query_as(
        "SELECT actor, channel, body, given_on, satisfaction, created_at FROM problem_feedback \
         WHERE problem_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await
}

/// Marks or unmarks a main problem.
pub async fn set_main(tx: &mut Tx, id: ProblemId, main: bool) -> Result<(), DbError> {
    sqlx::query("UPDATE problems SET is_main = $1, updated_at = $2 WHERE id = $3")
        .bind(i64::from(main))
        .bind(now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The ancestors of an org, nearest first: where its problems may be escalated.
pub async fn escalation_targets(db: &Db, org: OrgId) -> Result<Vec<(OrgId, String)>, DbError> {
    sqlx::query_as(
        "SELECT o.id, o.name FROM org_tree t JOIN orgs o ON o.id = t.ancestor_id \
         WHERE t.descendant_id = $1 AND t.depth > 0 ORDER BY t.depth",
    )
    .bind(org)
    .fetch_all(db.pool())
    .await
}

/// Counts for the caller's home page and inboxes.
#[derive(Clone, Copy, Debug, Default, serde::Serialize, utoipa::ToSchema)]
pub struct ProblemCounts {
    pub total: i64,
    pub open: i64,
    pub overdue: i64,
    pub escalated_to_me: i64,
    /// Actually solved or adopted (whether closed yet or not).
    pub solved: i64,
    /// Closed after feedback (solved or kept for reference): counted apart from solved.
    pub closed: i64,
}

/// How many visible problems there are, how many are open, how many of those
/// the caller's orgs own are overdue, and how many wait in the caller's inbox.
pub async fn counts(db: &Db, scope: &Scope) -> Result<ProblemCounts, DbError> {
    let today = Day::today().iso();
    let roots: Vec<String> = scope.roots().iter().map(|r| r.0.to_string()).collect();
    let roots = if roots.is_empty() {
        "0".to_string()
    } else {
        roots.join(",")
    };
    let sql = format!(
        "SELECT COUNT(*), \
         COALESCE(SUM(CASE WHEN p.state = 'open' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN p.state = 'decided' AND p.outcome IN ('in_progress', 'planned') \
           AND p.outcome_on < $1 AND {owned} THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN p.escalated = 1 AND p.owner_org_id <> p.org_id AND p.state = 'open' \
           AND p.owner_org_id IN ({roots}) THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN p.outcome = 'solved' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN p.state = 'closed' THEN 1 ELSE 0 END), 0) \
         FROM problems p WHERE {}",
        visible(scope),
        owned = scope.sql("p.owner_org_id"),
    );
    let (total, open, overdue, escalated_to_me, solved, closed): (i64, i64, i64, i64, i64, i64) =
        sqlx::query_as(AssertSqlSafe(sql))
            .bind(today)
            .fetch_one(db.pool())
            .await?;
    Ok(ProblemCounts {
        total,
        open,
        overdue,
        escalated_to_me,
        solved,
        closed,
    })
}

/// A change applied to many problems at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BulkChange {
    /// Set the topic (by id).
    Topic(TopicId),
    /// Mark (true) or unmark as main problems.
    Main(bool),
    /// Assign a cadre to follow them up.
    Assign(UserId),
}

/// Applies a change to those of `ids` whose owner lies in `write` (the rest are
/// left alone); returns how many changed.
pub async fn bulk(
    tx: &mut Tx,
    write: &Scope,
    ids: &[ProblemId],
    change: &BulkChange,
) -> Result<u64, DbError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let list: Vec<String> = ids.iter().map(|i| i.0.to_string()).collect();
    let (column, value) = match change {
        BulkChange::Topic(t) => ("topic_id", t.0),
        BulkChange::Main(m) => ("is_main", i64::from(*m)),
        BulkChange::Assign(u) => ("assignee_id", u.0),
    };
    let sql = format!(
        "UPDATE problems SET {column} = $1, updated_at = $2 WHERE id IN ({}) AND {}",
        list.join(","),
        write.sql("owner_org_id")
    );
    let done = sqlx::query(AssertSqlSafe(sql))
        .bind(value)
        .bind(now())
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

/// The id of an active topic by code.
pub async fn topic_id(db: &Db, code: &str) -> Result<Option<TopicId>, DbError> {
    sqlx::query_scalar("SELECT id FROM topics WHERE code = $1 AND active = 1")
        .bind(code.trim())
        .fetch_optional(db.pool())
        .await
}

/// Every visible problem matching the filter, newest first, up to `limit` (exports).
pub async fn list_all(
    db: &Db,
    scope: &Scope,
    f: &ProblemFilter,
    limit: i64,
) -> Result<Vec<Problem>, DbError> {
    let today = Day::today();
    let mut q = Sql::new(SELECT);
    conditions(&mut q, scope, f, today);
    q.push(" ORDER BY p.created_at DESC, p.id DESC LIMIT ")
        .bind(limit);
    let (sql, args) = q.build();
    let rows: Vec<Row> = sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;
    Ok(rows.into_iter().map(|r| r.into_problem(today)).collect())
}

/// Every topic, active ones first, with their use counts.
pub async fn topic_rows(db: &Db) -> Result<Vec<TopicRow>, DbError> {
    sqlx::query_as(
        "SELECT t.id, t.code, t.name_zh, t.name_en, t.display_order, t.active, \
         (SELECT COUNT(*) FROM problems p WHERE p.topic_id = t.id) AS problems \
         FROM topics t ORDER BY t.active DESC, t.display_order, t.id",
    )
    .fetch_all(db.pool())
    .await
}

/// One topic as an editor sees it.
pub async fn topic_row(db: &Db, id: TopicId) -> Result<Option<TopicRow>, DbError> {
    Ok(topic_rows(db).await?.into_iter().find(|t| t.id == id))
}

/// How many of `orgs` are top-level federations.
pub async fn top_level_among(db: &Db, orgs: &[OrgId]) -> Result<i64, DbError> {
    if orgs.is_empty() {
        return Ok(0);
    }
    let ids: Vec<String> = orgs.iter().map(|r| r.0.to_string()).collect();
    sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM orgs WHERE parent_id IS NULL AND id IN ({})",
        ids.join(",")
    )))
    .fetch_one(db.pool())
    .await
}

/// Adds a topic; a taken code is refused on `code`.
pub async fn insert_topic(tx: &mut Tx, code: &str, f: &TopicFields) -> Result<TopicId, AppError> {
    sqlx::query_scalar(
        "INSERT INTO topics (code, name_zh, name_en, display_order, active) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(code)
    .bind(&f.name_zh)
    .bind(&f.name_en)
    .bind(f.display_order)
    .bind(i64::from(f.active))
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::field("code", "err-topic-taken")
        } else {
            e.into()
        }
    })
}

/// Renames, reorders, retires or restores a topic; 404 when there is none.
pub async fn update_topic(tx: &mut Tx, id: TopicId, f: &TopicFields) -> Result<(), AppError> {
    let done = sqlx::query(
        "UPDATE topics SET name_zh = $1, name_en = $2, display_order = $3, active = $4 WHERE id = $5",
    )
    .bind(&f.name_zh)
    .bind(&f.name_en)
    .bind(f.display_order)
    .bind(i64::from(f.active))
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// An org that takes problems from the public: active, and not a federation's
/// internal department.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct IntakeOrg {
    pub id: OrgId,
    pub code: String,
    pub name: String,
}

/// The org whose public page has `code`, if it takes problems from the public.
pub async fn intake_org(db: &Db, code: &str) -> Result<Option<IntakeOrg>, DbError> {
    sqlx::query_as(
        "SELECT id, code, name FROM orgs WHERE code = $1 AND active = 1 AND kind <> 'department'",
    )
    .bind(code.trim().to_ascii_uppercase())
    .fetch_optional(db.pool())
    .await
}

/// The newest active campaign issued at or above the org, which public problems join.
pub async fn campaign_for(db: &Db, org: OrgId) -> Result<Option<CampaignId>, DbError> {
    sqlx::query_scalar(
        "SELECT c.id FROM campaigns c JOIN org_tree t ON t.ancestor_id = c.org_id \
         WHERE t.descendant_id = $1 AND c.status = 'active' ORDER BY c.starts_on DESC, c.id DESC LIMIT 1",
    )
    .bind(org)
    .fetch_optional(db.pool())
    .await
}

/// The receipt code of a problem.
pub async fn receipt_code_of(db: &Db, id: ProblemId) -> Result<Option<String>, DbError> {
    Ok(
        sqlx::query_scalar::<_, Option<String>>("SELECT receipt_code FROM problems WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?
            .flatten(),
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn new_codes_are_normal_and_distinct() {
        let a = receipt_code();
        assert_eq!(normalise_receipt(&a).as_deref(), Some(a.as_str()));
        assert_ne!(a, receipt_code());
    }

    proptest! {
        #[test]
        fn what_workers_type_normalises_to_the_code(idx in proptest::collection::vec(0..RECEIPT_ALPHABET.len(), 8), sep in "[ -]{0,2}") {
            let chars: String = idx.iter().map(|&i| RECEIPT_ALPHABET[i] as char).collect();
            let code = format!("{}-{}", &chars[..4], &chars[4..]);
            let typed = format!(" {}{sep}{} ", chars[..4].to_lowercase(), &chars[4..]);
            prop_assert_eq!(normalise_receipt(&typed), Some(code));
        }

        #[test]
        fn anything_else_is_refused(s in "\\PC{0,12}") {
            if let Some(c) = normalise_receipt(&s) {
                prop_assert_eq!(c.len(), 9);
                prop_assert!(c.bytes().filter(|b| *b != b'-').all(|b| RECEIPT_ALPHABET.contains(&b)));
            }
        }
    }
}
