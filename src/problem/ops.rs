//! The use cases of problems, shared by the pages and the API: recording one
//! (by a cadre or by a worker on the public page), deciding, escalating and
//! the rest of the lifecycle, feedback, main problems, bulk changes, the topic
//! list, and the reads that audit what they show. Each write owns its
//! transaction; no HTTP here: no `Form`, `Json` or `Html`.

use super::{
    BulkAction, BulkInput, BulkResult, FeedbackFields, NewProblem, Problem, ProblemDetail,
    ProblemFields, Receipt, TopicInput, bad_code,
    lifecycle::Action,
    store::{self, Actor, BulkChange, IntakeOrg, Origin, ProblemFilter, normalise_receipt},
};
use crate::{
    audit::{self, Action as AuditAction, Audited, Entry},
    auth::{Caller, Need, Scope},
    date::Day,
    db::{CampaignId, Db, ProblemId, TopicId},
    error::{AppError, AppResult, FieldError},
    i18n::Lang,
    tabular::{Cell, Header},
    web::{
        form::{self, Errors},
        list::Paging,
        ratelimit::Limiter,
    },
};

/// The page of problems a filter asks for within the caller's read scope
/// (contacts masked: the raiser's contact is shown one problem at a time,
/// audited); an `org` outside the scope is not found.
pub async fn list(
    db: &Db,
    caller: &Caller,
    filter: &ProblemFilter,
    paging: Paging,
) -> AppResult<(Vec<Problem>, i64)> {
    let scope = caller.scope(Need::Read);
    check_org(db, &scope, filter).await?;
    let (items, total) = store::list(db, &scope, filter, paging.size, paging.offset()).await?;
    Ok((items.into_iter().map(Problem::masked).collect(), total))
}

async fn check_org(db: &Db, scope: &Scope, filter: &ProblemFilter) -> AppResult<()> {
    if let Some(org) = filter.org {
        crate::org::store::get(db, scope, org)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    Ok(())
}

/// Records a problem outside an activity; a retry (same org and client id)
/// finds the first one and writes nothing. The id, and whether it is new.
pub async fn record(db: &Db, caller: &Caller, input: &NewProblem) -> AppResult<(ProblemId, bool)> {
    caller.require(Need::Write)?;
    let mut errs = Errors::default();
    if !crate::activity::valid_client_id(input.client_id.trim()) {
        errs.push(FieldError::new("client_id", "err-client-id"));
    }
    let fields = input.problem.parse_into("", &mut errs);
    errs.finish()?;
    let fields = fields.ok_or(AppError::BadRequest("unparsed problem"))?;
    let code = input
        .org_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let org = caller.recording_org(db, code).await?;
    let campaign = input.campaign_id.map(CampaignId);
    if let Some(c) = campaign
        && !crate::activity::store::campaign_open_to(db, c, org).await?
    {
        return Err(AppError::field("campaign_id", "err-campaign-not-open"));
    }
    if let Some(e) = fields.enterprise_id
        && crate::enterprise::store::get(db, &caller.scope(Need::Read), e)
            .await?
            .is_none()
    {
        return Err(AppError::Validation(vec![
            FieldError::new("enterprise_id", "err-enterprise-unknown").arg("value", e),
        ]));
    }
    let origin = Origin {
        org,
        client_id: input.client_id.trim().to_string(),
        campaign,
        activity: None,
        user: Some(caller.user_id),
        actor: caller.display_name.clone(),
        public: false,
    };
    insert_once(db, &origin, &fields, || Ok(())).await
}

/// Inserts a problem unless (org, client id) exists; `allow` is asked only
/// for a new one (the public page's rate limit), after the retry check.
async fn insert_once(
    db: &Db,
    origin: &Origin,
    fields: &ProblemFields,
    allow: impl FnOnce() -> AppResult<()>,
) -> AppResult<(ProblemId, bool)> {
    let mut tx = Audited::begin(db).await?;
    if let Some(id) = store::id_by_client(&mut tx, origin.org, &origin.client_id).await? {
        return Ok((id, false));
    }
    allow()?;
    match store::insert(&mut tx, origin, fields).await? {
        Some(id) => {
            tx.commit(None).await?;
            Ok((id, true))
        }
        None => {
            let id = store::id_by_client(&mut tx, origin.org, &origin.client_id)
                .await?
                .ok_or(AppError::NotFound)?;
            Ok((id, false))
        }
    }
}

/// Records what a worker raised on an org's public page: a retry of the same
/// form finds the first record before it counts against `limiter` (keyed by
/// the client's address). The id of the problem.
pub async fn record_public(
    db: &Db,
    org: &IntakeOrg,
    client_id: String,
    fields: &ProblemFields,
    lang: Lang,
    (limiter, client): (&Limiter, &str),
) -> AppResult<ProblemId> {
    let origin = Origin {
        org: org.id,
        client_id,
        campaign: store::campaign_for(db, org.id).await?,
        activity: None,
        user: None,
        actor: lang.t("public-actor"),
        public: true,
    };
    let allow = || limiter.hit(&format!("intake:{client}"));
    Ok(insert_once(db, &origin, fields, allow).await?.0)
}

/// Finds the receipt a worker typed; repeated misses from one client are
/// refused (429), so codes cannot be guessed by trying.
pub async fn receipt(
    db: &Db,
    raw: &str,
    (limiter, client): (&Limiter, &str),
) -> AppResult<Receipt> {
    let miss = || match limiter.hit(&format!("receipt-miss:{client}")) {
        Ok(()) => AppError::NotFound,
        Err(refused) => refused,
    };
    let Some(code) = normalise_receipt(raw) else {
        return Err(miss());
    };
    let Some(p) = store::by_receipt(db, &code).await? else {
        return Err(miss());
    };
    let feedback = store::feedback(db, p.id).await?;
    Ok(Receipt::of(code, p, feedback))
}

/// Loads a problem for the caller: 404 outside their reach; the raiser's
/// contact unmasked (and the view audited) only for cadres over its orgs.
pub async fn detail(db: &Db, caller: &Caller, id: ProblemId) -> AppResult<ProblemDetail> {
    let read = caller.scope(Need::Read);
    let p = store::get(db, &read, id).await?.ok_or(AppError::NotFound)?;
    let write = caller.scope(Need::Write);
    let can_act = write.contains(db, p.owner_org_id).await?;
    let sees_contact = can_act || write.contains(db, p.org_id).await?;
    let p = if sees_contact {
        if p.raiser_contact.is_some() || p.raiser_name.is_some() {
            let entry = Entry::by(caller, p.org_id, AuditAction::PersonalDataViewed)
                .target(format!("problem:{id}"))
                .detail("raiser");
            audit::store::record(db.pool(), &entry).await?;
        }
        p
    } else {
        p.masked()
    };
    Ok(ProblemDetail {
        events: store::events(db, id).await?,
        feedback: store::feedback(db, id).await?,
        problem: p,
        can_act,
        survey_response: crate::survey::analysis::store::source_of_problem(db, id).await?,
        mediation_case: crate::mediation::store::case_of_problem(db, &read, id)
            .await?
            .map(|m| m.id),
    })
}

/// Checks the caller may act on the problem now: 404 when they cannot see it,
/// 403 when they see it but its owner is outside their write scope.
async fn may_act(db: &Db, caller: &Caller, id: ProblemId) -> AppResult<Problem> {
    let p = store::get(db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !caller
        .scope(Need::Write)
        .contains(db, p.owner_org_id)
        .await?
    {
        return Err(AppError::Forbidden);
    }
    Ok(p)
}

fn actor(caller: &Caller) -> Actor {
    Actor {
        user: Some(caller.user_id),
        name: caller.display_name.clone(),
    }
}

/// Decides, escalates, returns, reopens or closes a problem.
pub async fn transition(db: &Db, caller: &Caller, id: ProblemId, action: Action) -> AppResult<()> {
    may_act(db, caller, id).await?;
    let mut tx = Audited::begin(db).await?;
    store::transition(&mut tx, id, action, &actor(caller)).await?;
    tx.commit(None).await?;
    Ok(())
}

/// Records feedback given to whoever raised the problem: by whoever may act
/// on it, or by the recording org (which usually talks to the raiser).
pub async fn give_feedback(
    db: &Db,
    caller: &Caller,
    id: ProblemId,
    f: &FeedbackFields,
) -> AppResult<()> {
    let p = store::get(db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let write = caller.scope(Need::Write);
    let org = if write.contains(db, p.owner_org_id).await? {
        p.owner_org_id
    } else if write.contains(db, p.org_id).await? {
        p.org_id
    } else {
        return Err(AppError::Forbidden);
    };
    let mut tx = Audited::begin(db).await?;
    store::add_feedback(&mut tx, id, org, &actor(caller), f).await?;
    tx.commit(None).await?;
    Ok(())
}

/// Marks or unmarks one of the unit's main problems.
pub async fn set_main(db: &Db, caller: &Caller, id: ProblemId, main: bool) -> AppResult<()> {
    may_act(db, caller, id).await?;
    let mut tx = Audited::begin(db).await?;
    store::set_main(&mut tx, id, main).await?;
    tx.commit(None).await?;
    Ok(())
}

/// Changes many problems at once; those the caller does not own are skipped.
pub async fn bulk(db: &Db, caller: &Caller, input: &BulkInput) -> AppResult<BulkResult> {
    let write = caller.require(Need::Write)?;
    let mut ids: Vec<ProblemId> = input.ids.iter().map(|&i| ProblemId(i)).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Err(AppError::field("ids", "err-bulk-none"));
    }
    if ids.len() > 1000 {
        return Err(AppError::Validation(vec![
            FieldError::new("ids", "err-too-many").arg("max", 1000),
        ]));
    }
    let action = match form::opt(&input.action) {
        None => return Err(AppError::field("action", "err-required")),
        Some(a) => BulkAction::from_code(&a).ok_or_else(|| {
            AppError::Validation(vec![bad_code("action", "err-action", &BulkAction::CODES)])
        })?,
    };
    let change = match action {
        BulkAction::Main => BulkChange::Main(true),
        BulkAction::Unmain => BulkChange::Main(false),
        BulkAction::Topic => {
            let code =
                form::opt(&input.topic).ok_or_else(|| AppError::field("topic", "err-required"))?;
            BulkChange::Topic(
                store::topic_id(db, &code)
                    .await?
                    .ok_or_else(|| AppError::field("topic", "err-topic"))?,
            )
        }
        BulkAction::Assign => {
            let name = form::opt(&input.assignee)
                .ok_or_else(|| AppError::field("assignee", "err-required"))?;
            let user = crate::user::store::id_by_username(db, &name).await?;
            // Only people of the caller's own subtree can be given work.
            match user {
                Some((id, org)) if write.contains(db, org).await? => BulkChange::Assign(id),
                _ => return Err(AppError::field("assignee", "err-assignee")),
            }
        }
    };
    let mut tx = Audited::begin(db).await?;
    let updated = store::bulk(&mut tx, &write, &ids, &change).await?;
    tx.commit(None).await?;
    Ok(BulkResult {
        updated,
        skipped: ids.len() as u64 - updated,
    })
}

/// At most this many rows in one export; narrow the filters for more.
const EXPORT_LIMIT: i64 = 200_000;

/// The export of what a filter shows, contacts masked: the column heads and
/// the rows, in the caller's language.
pub async fn export_table(
    db: &Db,
    caller: &Caller,
    filter: &ProblemFilter,
) -> AppResult<(Vec<Header>, Vec<Vec<Cell>>)> {
    let scope = caller.require(Need::Read)?;
    check_org(db, &scope, filter).await?;
    let items = store::list_all(db, &scope, filter, EXPORT_LIMIT).await?;
    let lang = caller.lang;
    let t = |k: &str| lang.t(k);
    let col = |k: &str, width: f64| Header {
        title: t(k),
        width,
        text: false,
    };
    let heads = vec![
        col("export-id", 8.0),
        col("prob-recorded", 24.0),
        col("prob-owner", 24.0),
        col("field-campaign_id", 24.0),
        col("field-source", 12.0),
        col("field-topic", 12.0),
        col("field-worker_group", 12.0),
        col("field-description", 60.0),
        col("ent-one", 28.0),
        col("field-is_main", 8.0),
        col("field-status", 14.0),
        col("field-outcome_on", 12.0),
        col("field-outcome_note", 40.0),
        col("prob-escalated", 8.0),
        col("prob-overdue", 8.0),
        col("field-raiser_contact", 16.0),
        col("export-created", 18.0),
    ];
    let yes_no = |b: bool| Cell::Text(if b { t("yes") } else { t("no") });
    let rows: Vec<Vec<Cell>> = items
        .into_iter()
        .map(Problem::masked)
        .map(|p| {
            let outcome = p.state.outcome();
            vec![
                Cell::Int(p.id.0),
                Cell::Text(p.org_name.clone()),
                Cell::Text(p.owner_org_name.clone()),
                Cell::opt(p.campaign_title.as_deref()),
                Cell::Text(t(p.source.label_key())),
                Cell::Text(p.topic(lang).to_string()),
                p.worker_group
                    .map(|g| Cell::Text(t(&g.label_key())))
                    .unwrap_or(Cell::Empty),
                Cell::Text(p.description.clone()),
                Cell::opt(p.enterprise_name.as_deref()),
                yes_no(p.is_main),
                Cell::Text(t(p.state.label().label_key())),
                Cell::opt(outcome.and_then(|o| o.day()).map(Day::iso).as_deref()),
                Cell::opt(outcome.and_then(|o| o.note())),
                yes_no(p.escalated),
                yes_no(p.overdue),
                Cell::opt(p.raiser_contact.as_deref()),
                Cell::Text(lang.datetime(p.created_at)),
            ]
        })
        .collect();
    Ok((heads, rows))
}

/// Whether the caller administers a top-level federation: the topic list is
/// shared by all, and only they edit it.
pub async fn may_edit_topics(db: &Db, caller: &Caller) -> AppResult<bool> {
    let admin = caller.scope(Need::Admin);
    Ok(store::top_level_among(db, admin.roots()).await? > 0)
}

/// Adds a topic.
pub async fn create_topic(db: &Db, caller: &Caller, input: &TopicInput) -> AppResult<TopicId> {
    if !may_edit_topics(db, caller).await? {
        return Err(AppError::Forbidden);
    }
    let mut errs = Errors::default();
    let code = input.code(&mut errs);
    let fields = input.parse(&mut errs);
    errs.finish()?;
    let (Some(code), Some(fields)) = (code, fields) else {
        return Err(AppError::BadRequest("unparsed topic"));
    };
    let mut tx = Audited::begin(db).await?;
    let id = store::insert_topic(&mut tx, &code, &fields).await?;
    tx.commit(None).await?;
    Ok(id)
}

/// Renames, reorders, retires or restores a topic.
pub async fn change_topic(
    db: &Db,
    caller: &Caller,
    id: TopicId,
    input: &TopicInput,
) -> AppResult<()> {
    if !may_edit_topics(db, caller).await? {
        return Err(AppError::Forbidden);
    }
    let mut errs = Errors::default();
    let fields = input.parse(&mut errs);
    errs.finish()?;
    let fields = fields.ok_or(AppError::BadRequest("unparsed topic"))?;
    let mut tx = Audited::begin(db).await?;
    store::update_topic(&mut tx, id, &fields).await?;
    tx.commit(None).await?;
    Ok(())
}
