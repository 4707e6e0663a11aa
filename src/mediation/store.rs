//! Mediation case queries. A case is visible to a caller whose scope reaches
//! the org that received it (`Scope::sql("m.org_id")`); writes run the one
//! transition function inside the transaction that stores its result and the
//! timeline event.

use std::collections::HashMap;

use sqlx::AssertSqlSafe;

use super::{
    Case, CaseFields, DisputeType, Employer, Event, Intake, IntakeKind, Worker, case_number,
    lifecycle::{self, Action, CaseEventKind, CaseStatus, Clock, Columns, State, StateCode},
};
use crate::{
    auth::Scope,
    date::Day,
    db::{
        CampaignId, Db, DbError, EnterpriseId, MediationCaseId, OrgId, ProblemId, Sql, Tx, UserId,
        now,
    },
    error::AppError,
    money::Fen,
    org::store::like_pattern,
};

const SELECT: &str = "SELECT m.id, m.org_id, o.name AS org_name, m.campaign_id, c.title AS campaign_title, \
    m.problem_id, m.intake, m.applied_on, m.oral_applicant, m.oral_reasons, m.oral_recorded_at, \
    m.dispute_type, m.matter, m.claims, m.amount_fen, m.employer_enterprise_id, m.employer_name, \
    m.committee_org_id, m.committee_name, m.mediator, m.received_on, m.started_on, m.state, \
    m.concluded_on, m.outcome_reason, m.agreement_terms, m.agreed_fen, m.signed_workers, \
    m.signed_employer, m.signed_mediator, m.sealed, m.recovered_fen, m.recovered_on, \
    m.created_at, m.updated_at \
    FROM mediation_cases m JOIN orgs o ON o.id = m.org_id LEFT JOIN campaigns c ON c.id = m.campaign_id";

#[derive(sqlx::FromRow)]
struct Row {
    id: MediationCaseId,
    org_id: OrgId,
    org_name: String,
    campaign_id: Option<CampaignId>,
    campaign_title: Option<String>,
    problem_id: Option<ProblemId>,
    intake: IntakeKind,
    applied_on: Option<Day>,
    oral_applicant: Option<String>,
    oral_reasons: Option<String>,
    oral_recorded_at: Option<i64>,
    dispute_type: DisputeType,
    matter: String,
    claims: Option<String>,
    amount_fen: Fen,
    employer_enterprise_id: Option<EnterpriseId>,
    employer_name: String,
    committee_org_id: OrgId,
    committee_name: String,
    mediator: String,
    received_on: Day,
    started_on: Option<Day>,
    state: StateCode,
    concluded_on: Option<Day>,
    outcome_reason: Option<String>,
    agreement_terms: Option<String>,
    agreed_fen: Option<i64>,
    signed_workers: i64,
    signed_employer: i64,
    signed_mediator: i64,
    sealed: i64,
    recovered_fen: Option<i64>,
    recovered_on: Option<Day>,
    created_at: i64,
    updated_at: i64,
}

/// The stored state columns of a case.
fn state_of(
    state: StateCode,
    concluded_on: Option<Day>,
    outcome_reason: Option<String>,
    agreement: (Option<String>, Option<i64>),
    signed: [i64; 4],
    recovered: (Option<i64>, Option<Day>),
) -> State {
    let columns = Columns {
        state,
        concluded_on,
        outcome_reason,
        agreement_terms: agreement.0,
        agreed_fen: agreement.1,
        signed_workers: signed[0],
        signed_employer: signed[1],
        signed_mediator: signed[2],
        sealed: signed[3],
        recovered_fen: recovered.0,
        recovered_on: recovered.1,
    };
    // The CHECK constraints refuse what `from_columns` cannot read; a row
    // edited by hand past them reads as received rather than failing.
    State::from_columns(&columns).unwrap_or(State::Received)
}

impl Row {
    fn into_case(self, workers: Vec<Worker>, today: Day) -> Case {
        let received_on = self.received_on;
        let state = state_of(
            self.state,
            self.concluded_on,
            self.outcome_reason,
            (self.agreement_terms, self.agreed_fen),
            [
                self.signed_workers,
                self.signed_employer,
                self.signed_mediator,
                self.sealed,
            ],
            (self.recovered_fen, self.recovered_on),
        );
        let intake = match (self.intake, self.oral_recorded_at) {
            (IntakeKind::Oral, Some(recorded_at)) => Intake::Oral {
                applicant: self.oral_applicant.unwrap_or_default(),
                reasons: self.oral_reasons.unwrap_or_default(),
                recorded_at,
            },
            _ => Intake::Written {
                applied_on: self.applied_on.unwrap_or(received_on),
            },
        };
        let clock = Clock { received_on, today };
        let open = state.is_open();
        Case {
            id: self.id,
            number: case_number(self.id, received_on),
            org_id: self.org_id,
            org_name: self.org_name,
            campaign_id: self.campaign_id,
            campaign_title: self.campaign_title,
            problem_id: self.problem_id,
            intake,
            dispute_type: self.dispute_type,
            matter: self.matter,
            claims: self.claims,
            amount_fen: self.amount_fen,
            amount_yuan: self.amount_fen.yuan(),
            workers,
            employer: Employer {
                enterprise_id: self.employer_enterprise_id,
                name: self.employer_name,
            },
            committee_org_id: self.committee_org_id,
            committee_name: self.committee_name,
            mediator: self.mediator,
            received_on,
            started_on: self.started_on,
            due_on: clock.due_on(),
            days_left: open.then(|| clock.days_left()),
            overdue: open && clock.days_left() < 0,
            status: state.label(),
            agreement_valid: state.agreement().is_some_and(|a| a.is_valid()),
            state,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// The workers of the given cases, in their order.
async fn workers_of<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    ex: E,
    ids: &[MediationCaseId],
) -> Result<HashMap<MediationCaseId, Vec<Worker>>, DbError> {
    let mut out: HashMap<MediationCaseId, Vec<Worker>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let list: Vec<String> = ids.iter().map(|i| i.0.to_string()).collect();
    let sql = format!(
        "SELECT case_id, name, phone FROM mediation_parties WHERE case_id IN ({}) ORDER BY case_id, position",
        list.join(",")
    );
    let rows: Vec<(MediationCaseId, String, Option<String>)> =
        sqlx::query_as(AssertSqlSafe(sql)).fetch_all(ex).await?;
    for (id, name, phone) in rows {
        out.entry(id).or_default().push(Worker { name, phone });
    }
    Ok(out)
}

async fn cases(db: &Db, rows: Vec<Row>, today: Day) -> Result<Vec<Case>, DbError> {
    let ids: Vec<MediationCaseId> = rows.iter().map(|r| r.id).collect();
    let mut workers = workers_of(db.pool(), &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let w = workers.remove(&r.id).unwrap_or_default();
            r.into_case(w, today)
        })
        .collect())
}

/// Filters of the case list; `None` does not filter.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CaseFilter {
    pub status: Option<CaseStatus>,
    pub dispute_type: Option<DisputeType>,
    /// Open past the fifteen days.
    pub overdue: bool,
    /// Received in this org's subtree.
    pub org: Option<OrgId>,
    pub campaign: Option<CampaignId>,
    pub problem: Option<ProblemId>,
    /// Text in the matter, the employer's name or a worker's name.
    pub q: Option<String>,
}

/// The SQL of "all four signatures recorded".
const SIGNED: &str =
    "(m.signed_workers = 1 AND m.signed_employer = 1 AND m.signed_mediator = 1 AND m.sealed = 1)";

/// The SQL of "open past its fifteen days on `today`" (the last day is
/// received_on + 15, so overdue means received_on < today - 15).
fn overdue_sql(today: Day) -> String {
    format!(
        "((m.state IN ('received', 'mediating') OR (m.state = 'agreed' AND NOT {SIGNED})) AND m.received_on < '{}')",
        today.plus_days(-lifecycle::MEDIATION_DAYS).iso()
    )
}

fn conditions(q: &mut Sql, scope: &Scope, f: &CaseFilter, today: Day) {
    q.push(" WHERE ").push(&scope.sql("m.org_id"));
    match f.status {
        Some(CaseStatus::Agreed) => {
            q.push(" AND m.state = 'agreed' AND ").push(SIGNED);
        }
        Some(CaseStatus::AgreementPending) => {
            q.push(" AND m.state = 'agreed' AND NOT ").push(SIGNED);
        }
        Some(s) => {
            q.push(" AND m.state = ").bind(s.as_str().to_string());
        }
        None => {}
    }
    if let Some(t) = f.dispute_type {
        q.push(" AND m.dispute_type = ").bind(t);
    }
    if f.overdue {
        q.push(" AND ").push(&overdue_sql(today));
    }
    if let Some(org) = f.org {
        q.push(" AND m.org_id IN (SELECT descendant_id FROM org_tree WHERE ancestor_id = ")
            .bind(org)
            .push(")");
    }
    if let Some(c) = f.campaign {
        q.push(" AND m.campaign_id = ").bind(c);
    }
    if let Some(p) = f.problem {
        q.push(" AND m.problem_id = ").bind(p);
    }
    if let Some(text) = f.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pat = like_pattern(&text.to_lowercase());
        q.push(" AND (LOWER(m.matter) LIKE ")
            .bind(pat.clone())
            .push(" ESCAPE '\\' OR LOWER(m.employer_name) LIKE ")
            .bind(pat.clone())
            .push(
                " ESCAPE '\\' OR EXISTS (SELECT 1 FROM mediation_parties mp WHERE mp.case_id = m.id \
                 AND mp.name LIKE ",
            )
            .bind(pat)
            .push(" ESCAPE '\\'))");
    }
}

/// A page of visible cases matching the filter, newest receipt first, and how many match.
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &CaseFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Case>, i64), DbError> {
    let today = Day::today();
    let mut count = Sql::new("SELECT COUNT(*) FROM mediation_cases m");
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
    q.push(" ORDER BY m.received_on DESC, m.id DESC LIMIT ")
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset);
    let (sql, args) = q.build();
    let rows: Vec<Row> = sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;
    Ok((cases(db, rows, today).await?, total))
}

/// One case, if visible to the scope.
pub async fn get(db: &Db, scope: &Scope, id: MediationCaseId) -> Result<Option<Case>, DbError> {
    let sql = format!("{SELECT} WHERE m.id = $1 AND {}", scope.sql("m.org_id"));
    let row: Option<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    match row {
        Some(r) => Ok(cases(db, vec![r], Day::today()).await?.pop()),
        None => Ok(None),
    }
}

/// One case by id, read on the caller's connection (inside a write, so it
/// sees what the write changed): the record a webhook event carries.
pub async fn get_in(
    conn: &mut sqlx::AnyConnection,
    id: MediationCaseId,
) -> Result<Option<Case>, DbError> {
    let sql = format!("{SELECT} WHERE m.id = $1");
    let row: Option<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let workers = workers_of(&mut *conn, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    Ok(Some(row.into_case(workers, Day::today())))
}

/// The case made from a problem, if the scope sees it: its id, number and status.
pub async fn case_of_problem(
    db: &Db,
    scope: &Scope,
    problem: ProblemId,
) -> Result<Option<Case>, DbError> {
    let f = CaseFilter {
        problem: Some(problem),
        ..Default::default()
    };
    Ok(list(db, scope, &f, 1, 0).await?.0.pop())
}

/// Whether any case (visible or not) was made from the problem.
pub async fn problem_has_case(db: &Db, problem: ProblemId) -> Result<bool, DbError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mediation_cases WHERE problem_id = $1")
        .bind(problem)
        .fetch_one(db.pool())
        .await?;
    Ok(n > 0)
}

/// Where a new case is recorded, checked by the handler.
#[derive(Clone, Debug)]
pub struct Origin {
    /// The receiving org (owns the case).
    pub org: OrgId,
    pub committee_org: OrgId,
    pub committee_name: String,
    /// The employer's name (the enterprise's, when one was chosen).
    pub employer_name: String,
    pub user: Option<UserId>,
    pub actor: String,
}

/// Records a case, its workers and the "received" event. `Ok(None)` when
/// (org, client id) already exists: the caller looks the first one up.
pub async fn insert(
    tx: &mut Tx,
    origin: &Origin,
    f: &CaseFields,
) -> Result<Option<MediationCaseId>, AppError> {
    let ts = now();
    let (applied_on, oral_applicant, oral_reasons, oral_recorded_at) = match &f.intake {
        Intake::Written { applied_on } => (Some(*applied_on), None, None, None),
        Intake::Oral {
            applicant,
            reasons,
            recorded_at,
        } => (
            None,
            Some(applicant.clone()),
            Some(reasons.clone()),
            Some(*recorded_at),
        ),
    };
    let inserted: Result<MediationCaseId, DbError> = sqlx::query_scalar(
        "INSERT INTO mediation_cases (client_id, org_id, campaign_id, problem_id, intake, applied_on, \
         oral_applicant, oral_reasons, oral_recorded_at, dispute_type, matter, claims, amount_fen, \
         employer_enterprise_id, employer_name, committee_org_id, committee_name, mediator, received_on, \
         state, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
         'received', $20, $21, $21) ON CONFLICT (org_id, client_id) DO NOTHING RETURNING id",
    )
    .bind(&f.client_id)
    .bind(origin.org)
    .bind(f.campaign)
    .bind(f.problem)
    .bind(f.intake.code())
    .bind(applied_on)
    .bind(oral_applicant)
    .bind(oral_reasons)
    .bind(oral_recorded_at)
    .bind(f.dispute_type)
    .bind(&f.matter)
    .bind(&f.claims)
    .bind(f.amount)
    .bind(f.employer_enterprise)
    .bind(&origin.employer_name)
    .bind(origin.committee_org)
    .bind(&origin.committee_name)
    .bind(&f.mediator)
    .bind(f.received_on)
    .bind(origin.user)
    .bind(ts)
    .fetch_one(&mut **tx)
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(sqlx::Error::RowNotFound) => return Ok(None),
        Err(e) if crate::db::is_unique_violation(&e) => {
            return Err(AppError::field("problem_id", "err-med-problem-has-case"));
        }
        Err(e) => return Err(e.into()),
    };
    for (i, w) in f.workers.iter().enumerate() {
        sqlx::query(
            "INSERT INTO mediation_parties (case_id, org_id, position, name, phone) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(origin.org)
        .bind(i as i64 + 1)
        .bind(&w.name)
        .bind(&w.phone)
        .execute(&mut **tx)
        .await?;
    }
    let detail = match &f.intake {
        Intake::Written { .. } => "written",
        Intake::Oral { .. } => "oral",
    };
    event(
        tx,
        id,
        origin.org,
        (origin.user, origin.actor.as_str()),
        (CaseEventKind::Received, None, CaseStatus::Received),
        Some(f.received_on),
        Some(detail.to_string()),
        ts,
    )
    .await?;
    Ok(Some(id))
}

#[allow(clippy::too_many_arguments)]
async fn event(
    tx: &mut Tx,
    id: MediationCaseId,
    org: OrgId,
    actor: (Option<UserId>, &str),
    step: (CaseEventKind, Option<CaseStatus>, CaseStatus),
    on: Option<Day>,
    detail: Option<String>,
    ts: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO mediation_events (case_id, org_id, user_id, actor, kind, from_state, to_state, \
         on_day, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(org)
    .bind(actor.0)
    .bind(actor.1)
    .bind(step.0)
    .bind(step.1)
    .bind(step.2)
    .bind(on)
    .bind(detail)
    .bind(ts)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The id of the case an org recorded under a client id, outside a transaction.
pub async fn find_by_client(
    db: &Db,
    org: OrgId,
    client_id: &str,
) -> Result<Option<MediationCaseId>, DbError> {
    sqlx::query_scalar("SELECT id FROM mediation_cases WHERE org_id = $1 AND client_id = $2")
        .bind(org)
        .bind(client_id)
        .fetch_optional(db.pool())
        .await
}

/// The id of the case an org recorded under a client id.
pub async fn id_by_client(
    tx: &mut Tx,
    org: OrgId,
    client_id: &str,
) -> Result<Option<MediationCaseId>, DbError> {
    sqlx::query_scalar("SELECT id FROM mediation_cases WHERE org_id = $1 AND client_id = $2")
        .bind(org)
        .bind(client_id)
        .fetch_optional(&mut **tx)
        .await
}

type StateRow = (
    OrgId,
    Day,
    StateCode,
    Option<Day>,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<Day>,
);

/// Runs one step inside `tx`: reads the state, asks the transition function,
/// writes the new columns and the timeline event. The caller checked the
/// right to write on the case's org.
pub async fn transition(
    tx: &mut Tx,
    id: MediationCaseId,
    action: Action,
    actor: (Option<UserId>, &str),
    today: Day,
) -> Result<State, AppError> {
    let row: Option<StateRow> = sqlx::query_as(
        "SELECT org_id, received_on, state, concluded_on, outcome_reason, agreement_terms, agreed_fen, \
         signed_workers, signed_employer, signed_mediator, sealed, recovered_fen, recovered_on \
         FROM mediation_cases WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let (org, received_on, st, concluded_on, reason, terms, agreed, w, e, m, s, rf, ro) =
        row.ok_or(AppError::NotFound)?;
    let before = state_of(
        st,
        concluded_on,
        reason,
        (terms, agreed),
        [w, e, m, s],
        (rf, ro),
    );
    let clock = Clock { received_on, today };
    let next = lifecycle::transition(&before, clock, action.clone()).map_err(super::refusal)?;
    let c = next.columns();
    let ts = now();
    let started = match action {
        Action::Begin { on } => Some(on),
        _ => None,
    };
    sqlx::query(
        "UPDATE mediation_cases SET state = $1, concluded_on = $2, outcome_reason = $3, agreement_terms = $4, \
         agreed_fen = $5, signed_workers = $6, signed_employer = $7, signed_mediator = $8, sealed = $9, \
         recovered_fen = $10, recovered_on = $11, started_on = COALESCE($12, started_on), updated_at = $13 \
         WHERE id = $14",
    )
    .bind(c.state)
    .bind(c.concluded_on)
    .bind(c.outcome_reason)
    .bind(c.agreement_terms)
    .bind(c.agreed_fen)
    .bind(c.signed_workers)
    .bind(c.signed_employer)
    .bind(c.signed_mediator)
    .bind(c.sealed)
    .bind(c.recovered_fen)
    .bind(c.recovered_on)
    .bind(started)
    .bind(ts)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    event(
        tx,
        id,
        org,
        actor,
        (action.kind(), Some(before.label()), next.label()),
        action.day(),
        detail(&action),
        ts,
    )
    .await?;
    let record = crate::webhook::Record::MediationCase { id, org };
    crate::webhook::ops::emit(tx, crate::webhook::Event::MediationStateChanged, record).await?;
    Ok(next)
}

/// What the timeline says about a step besides its kind and day.
fn detail(action: &Action) -> Option<String> {
    match action {
        Action::Begin { .. } => None,
        Action::Agree { terms, amount, .. } => Some(format!("{terms}\n¥{}", amount.yuan())),
        Action::Sign(s) => {
            let names: Vec<&str> = [
                (s.workers, "workers"),
                (s.employer, "employer"),
                (s.mediator, "mediator"),
                (s.seal, "seal"),
            ]
            .into_iter()
            .filter(|(b, _)| *b)
            .map(|(_, n)| n)
            .collect();
            Some(names.join(","))
        }
        Action::Fail { reason, .. } => Some(reason.clone()),
        Action::Withdraw { reason, .. } | Action::Transfer { reason, .. } => reason.clone(),
        Action::Recover(r) => Some(format!("¥{}", r.amount.yuan())),
    }
}

/// The timeline, oldest first.
pub async fn events(db: &Db, id: MediationCaseId) -> Result<Vec<Event>, DbError> {
    sqlx::query_as(
        "SELECT kind, actor, from_state, to_state, on_day, detail, created_at FROM mediation_events \
         WHERE case_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await
}

/// The figures of the cases a scope sees, for campaign pages and dashboards.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = MediationFigures)]
pub struct Figures {
    /// Every case counted.
    pub cases: i64,
    /// Cases per status, every status present, in lifecycle order.
    pub by_status: Vec<StatusCount>,
    /// Cases per dispute type, every type present.
    pub by_type: Vec<TypeCount>,
    /// Valid agreements (both parties, the mediator and the seal recorded).
    pub agreements: i64,
    /// Cases mediated to an end: valid agreements, no agreement, and transfers
    /// to arbitration. Withdrawn applications are not mediation results and
    /// are left out; so are cases still open (an unsigned agreement is open).
    pub concluded: i64,
    /// agreements / concluded (调解成功率), `None` while nothing is concluded.
    pub success_rate: Option<f64>,
    /// Sum of the amounts involved, in fen.
    pub amount_involved_fen: i64,
    /// Sum of the amounts agreed in valid agreements, in fen.
    pub amount_agreed_fen: i64,
    /// Sum of the money recovered, in fen.
    pub amount_recovered_fen: i64,
    /// Open past their fifteen days.
    pub overdue: i64,
    /// Cases per month of receipt (`received_on`), oldest first.
    pub monthly: Vec<MonthCount>,
}

/// How many cases have one status.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = MediationStatusCount)]
pub struct StatusCount {
    pub status: CaseStatus,
    pub cases: i64,
}

/// How many cases are of one dispute type.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = MediationTypeCount)]
pub struct TypeCount {
    pub dispute_type: DisputeType,
    pub cases: i64,
}

/// How many cases were received in one month.
#[derive(Clone, Debug, PartialEq, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(as = MediationMonthCount)]
pub struct MonthCount {
    /// `YYYY-MM`.
    #[schema(example = "2019-11")]
    pub month: String,
    pub cases: i64,
}

/// Computes [`Figures`] over the scope, optionally for one campaign and one
/// org's subtree; overdue is judged on `today`.
pub async fn figures(
    db: &Db,
    scope: &Scope,
    campaign: Option<CampaignId>,
    under: Option<OrgId>,
) -> Result<Figures, DbError> {
    figures_on(db, scope, campaign, under, Day::today()).await
}

/// Per receiving org: cases, signed agreements and concluded cases, counted
/// as [`figures`] counts them (an unsigned agreement is still pending).
pub async fn outcomes_by_org(
    db: &Db,
    scope: &Scope,
    campaign: Option<CampaignId>,
    under: Option<OrgId>,
) -> Result<Vec<(OrgId, i64, i64, i64)>, DbError> {
    let filter = CaseFilter {
        campaign,
        org: under,
        ..Default::default()
    };
    let mut q = Sql::new(&format!(
        "SELECT m.org_id, COUNT(*), \
         CAST(COALESCE(SUM(CASE WHEN m.state = 'agreed' AND {SIGNED} THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN (m.state = 'agreed' AND {SIGNED}) \
         OR m.state IN ('no_agreement', 'arbitration') THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM mediation_cases m"
    ));
    conditions(&mut q, scope, &filter, Day::today());
    q.push(" GROUP BY m.org_id");
    let (sql, args) = q.build();
    sqlx::query_as_with(sql, args).fetch_all(db.pool()).await
}

/// [`figures`] judged on a chosen day.
pub async fn figures_on(
    db: &Db,
    scope: &Scope,
    campaign: Option<CampaignId>,
    under: Option<OrgId>,
    today: Day,
) -> Result<Figures, DbError> {
    let filter = CaseFilter {
        campaign,
        org: under,
        ..Default::default()
    };
    let mut q = Sql::new(&format!(
        "SELECT m.state, CAST(CASE WHEN {SIGNED} THEN 1 ELSE 0 END AS BIGINT) AS valid, m.dispute_type, COUNT(*), \
         CAST(COALESCE(SUM(m.amount_fen), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN {SIGNED} THEN m.agreed_fen ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(m.recovered_fen), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM mediation_cases m",
        overdue_sql(today)
    ));
    conditions(&mut q, scope, &filter, today);
    q.push(" GROUP BY 1, 2, 3");
    let (sql, args) = q.build();
    type Group = (StateCode, i64, DisputeType, i64, i64, i64, i64, i64);
    let groups: Vec<Group> = sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;
    let mut f = Figures::default();
    let mut status: Vec<StatusCount> = CaseStatus::ALL
        .into_iter()
        .map(|status| StatusCount { status, cases: 0 })
        .collect();
    let mut types: Vec<TypeCount> = DisputeType::ALL
        .into_iter()
        .map(|dispute_type| TypeCount {
            dispute_type,
            cases: 0,
        })
        .collect();
    for (state, valid, kind, n, involved, agreed, recovered, overdue) in groups {
        let label = match (state, valid) {
            (StateCode::Agreed, 1) => CaseStatus::Agreed,
            (StateCode::Agreed, _) => CaseStatus::AgreementPending,
            (StateCode::Received, _) => CaseStatus::Received,
            (StateCode::Mediating, _) => CaseStatus::Mediating,
            (StateCode::NoAgreement, _) => CaseStatus::NoAgreement,
            (StateCode::Withdrawn, _) => CaseStatus::Withdrawn,
            (StateCode::Arbitration, _) => CaseStatus::Arbitration,
        };
        if let Some(e) = status.iter_mut().find(|e| e.status == label) {
            e.cases += n;
        }
        if let Some(e) = types.iter_mut().find(|e| e.dispute_type == kind) {
            e.cases += n;
        }
        f.cases += n;
        if label == CaseStatus::Agreed {
            f.agreements += n;
        }
        if matches!(
            label,
            CaseStatus::Agreed | CaseStatus::NoAgreement | CaseStatus::Arbitration
        ) {
            f.concluded += n;
        }
        f.amount_involved_fen += involved;
        f.amount_agreed_fen += agreed;
        f.amount_recovered_fen += recovered;
        f.overdue += overdue;
    }
    f.success_rate = (f.concluded > 0).then(|| f.agreements as f64 / f.concluded as f64);
    f.by_status = status;
    f.by_type = types;
    let mut q = Sql::new(
        "SELECT SUBSTR(m.received_on, 1, 7) AS month, COUNT(*) AS cases FROM mediation_cases m",
    );
    conditions(&mut q, scope, &filter, today);
    q.push(" GROUP BY SUBSTR(m.received_on, 1, 7) ORDER BY 1");
    let (sql, args) = q.build();
    f.monthly = sqlx::query_as_with(sql, args).fetch_all(db.pool()).await?;
    Ok(f)
}

/// The name of an org (the committee's default name starts with it).
pub async fn org_name(db: &Db, org: OrgId) -> Result<String, DbError> {
    sqlx::query_scalar("SELECT name FROM orgs WHERE id = $1")
        .bind(org)
        .fetch_one(db.pool())
        .await
}

/// The orgs in the write scope a committee may be chosen from: the receiving
/// org and those above it that the caller reaches, nearest first.
pub async fn committee_choices(
    db: &Db,
    write: &Scope,
    org: OrgId,
) -> Result<Vec<(OrgId, String)>, DbError> {
    let sql = format!(
        "SELECT o.id, o.name FROM org_tree t JOIN orgs o ON o.id = t.ancestor_id \
         WHERE t.descendant_id = $1 AND {} ORDER BY t.depth",
        write.sql("o.id")
    );
    sqlx::query_as(AssertSqlSafe(sql))
        .bind(org)
        .fetch_all(db.pool())
        .await
}
