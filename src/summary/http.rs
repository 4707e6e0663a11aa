//! Summary-table pages and the API under `/api/v1/campaigns/{id}/summaries`.
//!
//! Who may do what:
//! - read a unit's table, its versions and the records behind its figures:
//!   readers over the unit, and readers of the issuing org; everyone else 404;
//! - choose main problems, override figures, submit: cadres and admins over
//!   the unit, while the campaign is active and the table a draft or returned;
//! - accept or return a submitted version: admins over the issuing org;
//! - the federation's view (completeness, roll-up, exports of all units):
//!   readers of the issuing org (403 for other readers of the campaign).
//!
//! The roll-up has two bases (`?basis=`): `submitted`, the default and the
//! official one, adds up what the units submitted (each unit's latest version
//! that waits for a decision or was accepted; a unit without one adds nothing
//! and is shown as missing, draft or returned); `live` computes every line
//! from the records now. The issuing org's own level (本级) submits nothing
//! and counts live in both.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::web::{Form, Json, Path, Query};
use askama::Template;
use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::{
    Basis, FigureKey, Override, SummaryTable,
    export::Rollup,
    store::{
        self, Choices, Decided, Drill, DrillRow, LineFigures, Lines, Record, Submitted, Version,
    },
    workflow::{self, Action as Move, LineReason, ReturnReasons, Standing, Status},
};
use crate::{
    audit::{self, Action, Entry},
    auth::{Caller, Need, Scope},
    campaign::{Campaign, CampaignStatus, Unit, percent},
    date::Day,
    db::{CampaignId, OrgId, ProblemId},
    error::{AppError, AppResult, FieldError},
    problem::Source,
    tabular::{self, Cell, Header},
    web::{
        AppState,
        page::{Chrome, render},
    },
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/{id}/summaries", get(overview_page))
        .route(
            "/campaigns/{id}/summaries/records",
            get(rollup_records_page),
        )
        .route("/campaigns/{id}/summaries/counts.csv", get(counts_csv))
        .route(
            "/campaigns/{id}/summary/{org}",
            get(unit_page).post(save_page),
        )
        .route("/campaigns/{id}/summary/{org}/accept", post(accept_page))
        .route("/campaigns/{id}/summary/{org}/return", post(return_page))
        .route(
            "/campaigns/{id}/summary/{org}/versions/{v}",
            get(version_page),
        )
        .route("/campaigns/{id}/summary/{org}/records", get(records_page))
        .route("/campaigns/{id}/summary/{org}/table.xlsx", get(unit_xlsx))
        .route("/campaigns/{id}/summary/{org}/table.pdf", get(unit_pdf))
        .route("/campaigns/{id}/summaries/rollup.xlsx", get(rollup_xlsx))
        .route("/campaigns/{id}/summaries/rollup.pdf", get(rollup_pdf))
        .route("/api/v1/campaigns/{id}/summaries", get(api_overview))
        .route(
            "/api/v1/campaigns/{id}/summaries/{org}",
            get(api_get).put(api_save),
        )
        .route(
            "/api/v1/campaigns/{id}/summaries/{org}/submit",
            post(api_submit),
        )
        .route(
            "/api/v1/campaigns/{id}/summaries/{org}/accept",
            post(api_accept),
        )
        .route(
            "/api/v1/campaigns/{id}/summaries/{org}/return",
            post(api_return),
        )
        .route(
            "/api/v1/campaigns/{id}/summaries/{org}/versions",
            get(api_versions),
        )
        .route(
            "/api/v1/campaigns/{id}/summaries/{org}/records",
            get(api_records),
        )
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_overview, api_get, api_save, api_submit, api_accept, api_return, api_versions, api_records),
    components(schemas(Overview, Completeness, UnitRow, RollupLine, UnitSummary, VersionInfo,
        Basis, Standing,
        SummaryTable, super::Head, super::Figure, FigureKey, Override, super::SourceBlock,
        super::MainItem, super::UpperItem, Record, Choices, Status, Version, ReturnReasons,
        LineReason, ChoicesInput, OverrideInput, SubmitInput, DecisionInput, ReturnInput,
        LineFigures, DrillRow, Records)),
    tags((name = "summaries", description = "Summary tables (情况汇总表): computed per unit, submitted, accepted or returned, rolled up"))
)]
pub struct ApiDoc;

/// How many candidate problems per source the picker offers.
const CANDIDATES: i64 = 300;
/// How many records a drill-down lists.
const DRILL_LIMIT: i64 = 2000;

// ---- shared logic (pages and API) ----

/// A unit's table as the caller may see and act on it.
struct Ctx {
    campaign: Campaign,
    unit: Unit,
    record: Record,
    read: Scope,
    can_edit: bool,
    can_decide: bool,
}

/// The campaign the caller sees, else 404.
async fn campaign_visible(
    state: &AppState,
    caller: &Caller,
    id: CampaignId,
) -> AppResult<Campaign> {
    crate::campaign::store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The unit's table if the caller reads the unit or the issuing org; 404 otherwise.
async fn unit_ctx(state: &AppState, caller: &Caller, id: CampaignId, org: OrgId) -> AppResult<Ctx> {
    let campaign = campaign_visible(state, caller, id).await?;
    if campaign.status == CampaignStatus::Draft {
        return Err(AppError::NotFound);
    }
    let read = caller.scope(Need::Read);
    let units = crate::campaign::store::units(&state.db, id, None).await?;
    let unit = units
        .into_iter()
        .find(|u| u.org_id == org)
        .ok_or(AppError::NotFound)?;
    if !read.contains(&state.db, org).await? && !read.contains(&state.db, campaign.org_id).await? {
        return Err(AppError::NotFound);
    }
    let record = store::record(&state.db, id, org).await?;
    let can_edit = campaign.status == CampaignStatus::Active
        && workflow::transition(record.status, &Move::Save).is_ok()
        && caller.scope(Need::Write).contains(&state.db, org).await?;
    let can_decide = record.status == Status::Submitted
        && caller
            .scope(Need::Admin)
            .contains(&state.db, campaign.org_id)
            .await?;
    Ok(Ctx {
        campaign,
        unit,
        record,
        read,
        can_edit,
        can_decide,
    })
}

/// The unit's table computed now with `choices`.
async fn compute(state: &AppState, ctx: &Ctx, choices: &Choices) -> AppResult<SummaryTable> {
    Ok(store::compute(
        &state.db,
        &ctx.read,
        &ctx.campaign,
        (ctx.unit.org_id, &ctx.unit.code, &ctx.unit.name),
        choices,
    )
    .await?)
}

/// A submitted version as listed.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = SummaryVersionInfo)]
pub struct VersionInfo {
    pub version: i64,
    pub submitter: String,
    pub submitted_at: i64,
    /// The verdict given once, at submission: never recomputed.
    pub late: bool,
    /// The report deadline the verdict was given against.
    pub due_on: Option<Day>,
    /// The campaign's deadline now, when it was moved after the submission
    /// (the verdict stands; this says that the deadline changed since).
    pub deadline_moved_to: Option<Day>,
    pub decision: Option<String>,
    pub decider: Option<String>,
    pub decided_at: Option<i64>,
    pub reasons: Option<ReturnReasons>,
    pub content_hash: String,
}

impl VersionInfo {
    /// `v` as listed, with the campaign's deadline `due_now`.
    fn of(v: &Version, due_now: Day) -> Self {
        VersionInfo {
            version: v.version,
            submitter: v.submitter.clone(),
            submitted_at: v.submitted_at,
            late: v.late,
            due_on: v.due_on,
            deadline_moved_to: moved(v.due_on, due_now),
            decision: v.decision.clone(),
            decider: v.decider.clone(),
            decided_at: v.decided_at,
            reasons: v.reasons.clone(),
            content_hash: v.content_hash.clone(),
        }
    }
}

/// The deadline now, if it differs from the one a verdict was given against.
fn moved(then: Option<Day>, now: Day) -> Option<Day> {
    then.filter(|d| *d != now).map(|_| now)
}

/// A unit's table: live figures with its choices, its status and history.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UnitSummary {
    pub record: Record,
    /// Where the unit stands (missing, draft, on time, late, returned, accepted).
    pub standing: Standing,
    /// Computed from the records now.
    pub table: SummaryTable,
    /// Every submission, oldest first.
    pub versions: Vec<VersionInfo>,
    /// The deadline's last second (epoch seconds; 23:59:59 Beijing time).
    pub deadline_end: i64,
    /// Whether the deadline has passed.
    pub past_deadline: bool,
    /// Whether the caller may edit and submit now.
    pub can_edit: bool,
    /// Whether the caller may accept or return the submitted version.
    pub can_decide: bool,
}

async fn unit_summary(state: &AppState, ctx: &Ctx) -> AppResult<(UnitSummary, Vec<Version>)> {
    let table = compute(state, ctx, &ctx.record.choices).await?;
    let versions = match ctx.record.id {
        Some(id) => store::versions(&state.db, id).await?,
        None => Vec::new(),
    };
    let deadline_end = ctx.campaign.report_due_on.end_timestamp();
    let standing = Standing::of(
        ctx.record.id.map(|_| ctx.record.status),
        versions.first().map(|v| v.late),
    );
    Ok((
        UnitSummary {
            record: ctx.record.clone(),
            standing,
            table,
            versions: versions
                .iter()
                .map(|v| VersionInfo::of(v, ctx.campaign.report_due_on))
                .collect(),
            deadline_end,
            past_deadline: crate::db::now() > deadline_end,
            can_edit: ctx.can_edit,
            can_decide: ctx.can_decide,
        },
        versions,
    ))
}

/// A figure override as sent by a form or a client.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = SummaryOverrideInput)]
pub struct OverrideInput {
    /// The figure to report; empty removes the override.
    #[serde(default, deserialize_with = "crate::web::form::lenient")]
    pub value: Option<String>,
    /// Why (required with a value).
    #[serde(default)]
    pub reason: Option<String>,
}

/// What the unit chooses for its table.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ChoicesInput {
    /// Main problems per source (`worker`, `enterprise`, `union`), in order.
    /// A source left out keeps the default.
    #[serde(default)]
    pub main: BTreeMap<String, Vec<ProblemId>>,
    /// Overrides per figure (`enterprises`, `interviews`, `symposiums`,
    /// `participants`, `solved`, `escalated`).
    #[serde(default)]
    pub overrides: BTreeMap<String, OverrideInput>,
    /// Remarks printed under the table.
    #[serde(default)]
    pub remarks: Option<String>,
}

/// The longest override reason.
const REASON_MAX: usize = 500;
/// The longest remarks.
const REMARKS_MAX: usize = 2000;

/// Checks the input against the unit's problems and figures: every main
/// problem must be one the unit owns in this campaign, of that source; every
/// override needs a whole number and a reason.
async fn parse_choices(state: &AppState, ctx: &Ctx, input: &ChoicesInput) -> AppResult<Choices> {
    let mut errors = crate::web::form::Errors::default();
    let mut out = Choices {
        remarks: input.remarks.clone().unwrap_or_default().trim().to_string(),
        ..Choices::default()
    };
    if out.remarks.chars().count() > REMARKS_MAX {
        errors.push(FieldError::new("remarks", "err-too-long").arg("max", REMARKS_MAX));
    }
    for (key, ids) in &input.main {
        let Some(source) = Source::parse(key) else {
            errors.push(FieldError::new("main", "err-summary-source").arg("value", key));
            continue;
        };
        let mut seen = HashSet::new();
        let ids: Vec<ProblemId> = ids.iter().copied().filter(|i| seen.insert(*i)).collect();
        let found = store::pick(
            &state.db,
            &ctx.read,
            ctx.campaign.id,
            ctx.unit.org_id,
            source,
            &ids,
        )
        .await?;
        for id in &ids {
            if !found.contains(id) {
                errors.push(
                    FieldError::new(
                        format!("main_{}", source.as_str()),
                        "err-summary-not-candidate",
                    )
                    .arg("id", id),
                );
            }
        }
        out.main.insert(source.as_str().to_string(), ids);
    }
    for (key, o) in &input.overrides {
        let Some(fig) = FigureKey::parse(key) else {
            errors.push(FieldError::new("summary_figure", "err-summary-figure").arg("value", key));
            continue;
        };
        let raw = o.value.as_deref().map(str::trim).unwrap_or("");
        let reason = o.reason.as_deref().map(str::trim).unwrap_or("");
        if raw.is_empty() {
            continue;
        }
        let field = format!("override_{}", fig.as_str());
        let Ok(value) = raw.parse::<i64>() else {
            errors.push(FieldError::new(field, "err-not-a-number"));
            continue;
        };
        if !(0..=100_000_000).contains(&value) {
            errors.push(FieldError::new(field, "err-not-a-number"));
            continue;
        }
        if reason.is_empty() {
            errors.push(FieldError::new(
                format!("reason_{}", fig.as_str()),
                "err-summary-override-reason",
            ));
            continue;
        }
        if reason.chars().count() > REASON_MAX {
            errors.push(
                FieldError::new(format!("reason_{}", fig.as_str()), "err-too-long")
                    .arg("max", REASON_MAX),
            );
            continue;
        }
        out.overrides.insert(
            fig.as_str().to_string(),
            Override {
                value,
                reason: reason.to_string(),
            },
        );
    }
    errors.finish()?;
    // Sources the input leaves out keep what was chosen before.
    for (k, v) in &ctx.record.choices.main {
        out.main.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Ok(out)
}

/// Saves the unit's choices.
async fn save(state: &AppState, caller: &Caller, ctx: &Ctx, input: &ChoicesInput) -> AppResult<()> {
    require_editor(state, caller, ctx).await?;
    let choices = parse_choices(state, ctx, input).await?;
    let mut tx = state.db.begin().await?;
    if !store::save_choices(
        &mut tx,
        ctx.campaign.id,
        ctx.unit.org_id,
        caller.user_id,
        &choices,
    )
    .await?
    {
        return Err(workflow::WorkflowError::NotAllowed.into());
    }
    let e = Entry::by(caller, ctx.unit.org_id, Action::SummarySaved)
        .target(format!("summary:{}:{}", ctx.campaign.id, ctx.unit.org_id));
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(())
}

async fn require_editor(state: &AppState, caller: &Caller, ctx: &Ctx) -> AppResult<()> {
    if !caller
        .scope(Need::Write)
        .contains(&state.db, ctx.unit.org_id)
        .await?
    {
        return Err(AppError::Forbidden);
    }
    if ctx.campaign.status != CampaignStatus::Active {
        return Err(AppError::field("status", "err-campaign-not-active"));
    }
    Ok(())
}

/// Submits the table as it computes now; `seen` is the version the unit was
/// looking at, so a retry stores nothing twice.
async fn submit(state: &AppState, caller: &Caller, ctx: &Ctx, seen: i64) -> AppResult<Submitted> {
    require_editor(state, caller, ctx).await?;
    // The same submission again (a retry): the version it made is there and
    // not yet returned. After a return, an old version number is stale.
    if ctx.record.version == seen + 1
        && matches!(ctx.record.status, Status::Submitted | Status::Accepted)
    {
        return Ok(Submitted::AlreadyDone {
            version: ctx.record.version,
        });
    }
    workflow::transition(ctx.record.status, &Move::Submit)?;
    if seen != ctx.record.version {
        return Err(AppError::field("version", "err-summary-stale"));
    }
    let table = compute(state, ctx, &ctx.record.choices).await?;
    let mut errors = crate::web::form::Errors::default();
    for b in &table.blocks {
        for (i, item) in b.items.iter().enumerate() {
            if item.outcome.is_none() {
                errors.push(
                    FieldError::new(
                        format!("main_{}", b.source.as_str()),
                        "err-summary-undecided",
                    )
                    .arg("n", i + 1)
                    .arg("excerpt", crate::notify::excerpt(&item.description)),
                );
            }
        }
    }
    errors.finish()?;
    let mut tx = state.db.begin().await?;
    let done = store::submit(
        &mut tx,
        ctx.campaign.id,
        ctx.unit.org_id,
        seen,
        &table,
        &ctx.record.choices,
        (Some(caller.user_id), &caller.display_name, crate::db::now()),
        ctx.campaign.report_due_on,
    )
    .await?;
    match done {
        Submitted::New {
            summary,
            version,
            late,
        } => {
            notify_issuer(&mut tx, ctx, summary, version).await?;
            let event = crate::webhook::Event::SummarySubmitted;
            let record = summary_record(ctx, summary, version, Status::Submitted, Some(late), None);
            crate::webhook::ops::emit(&mut tx, event, record).await?;
            let e = Entry::by(caller, ctx.unit.org_id, Action::SummarySubmitted)
                .target(format!("summary:{}:{}", ctx.campaign.id, ctx.unit.org_id))
                .detail(format!("v{version}{}", if late { " late" } else { "" }));
            audit::store::record(&mut *tx, &e).await?;
            tx.commit().await?;
        }
        Submitted::AlreadyDone { .. } => tx.rollback().await?,
        Submitted::Stale => {
            tx.rollback().await?;
            return Err(AppError::field("version", "err-summary-stale"));
        }
    }
    Ok(done)
}

/// A table's webhook record: which table, which version, where it stands.
fn summary_record(
    ctx: &Ctx,
    summary: crate::db::SummaryId,
    version: i64,
    status: Status,
    late: Option<bool>,
    reason: Option<String>,
) -> crate::webhook::Record {
    crate::webhook::Record::Summary(crate::webhook::SummaryRecord {
        summary_id: summary,
        campaign_id: ctx.campaign.id,
        campaign_title: ctx.campaign.title.clone(),
        unit_org_id: ctx.unit.org_id,
        unit_name: ctx.unit.name.clone(),
        version,
        status,
        late,
        reason,
    })
}

/// Tells the issuing org's cadres and admins that a unit submitted, in the
/// submission's transaction (a submission rolled back tells no one); the key
/// names the summary and the version, so each version is told once.
async fn notify_issuer(
    tx: &mut crate::db::Tx,
    ctx: &Ctx,
    summary: crate::db::SummaryId,
    version: i64,
) -> AppResult<()> {
    use crate::notify::{Kind, Notice};
    let notice = Notice::new(
        Kind::SummarySubmitted,
        ctx.campaign.org_id,
        format!("/campaigns/{}/summary/{}", ctx.campaign.id, ctx.unit.org_id),
        format!("summary_submitted:summary:{summary}:v{version}"),
    )
    .arg("unit", &ctx.unit.name)
    .arg("campaign", &ctx.campaign.title)
    .arg("version", version);
    let to = crate::notify::store::recipients(tx, ctx.campaign.org_id).await?;
    crate::notify::store::notify(tx, &notice, &to).await?;
    Ok(())
}

/// The lines a return may name: the six figures, each main problem
/// (`main:<id>`), each problem passed above the unit (`upper:<id>`) and the
/// remarks. A reason on any other line is refused, naming it.
fn check_lines(t: &SummaryTable, r: &ReturnReasons) -> AppResult<()> {
    let mut known: HashSet<String> = FigureKey::ALL
        .iter()
        .map(|k| k.as_str().to_string())
        .collect();
    known.insert("remarks".into());
    for b in &t.blocks {
        known.extend(b.items.iter().map(|i| format!("main:{}", i.problem_id)));
    }
    known.extend(t.upper.iter().map(|u| format!("upper:{}", u.problem_id)));
    let mut errors = crate::web::form::Errors::default();
    for l in &r.lines {
        if !known.contains(&l.line) {
            errors.push(FieldError::new("lines", "err-summary-no-such-line").arg("line", &l.line));
        }
    }
    errors.finish()
}

/// A second decision on a decided version: 409, naming the decision made.
fn already_decided(version: i64, decision: &str) -> AppError {
    let key = if decision == "accepted" {
        "err-summary-already-accepted"
    } else {
        "err-summary-already-returned"
    };
    AppError::Conflict(vec![
        FieldError::new("version", key).arg("version", version),
    ])
}

/// Accepts or returns version `version`; admins over the issuing org only.
/// A version is decided once: a second decision on it (the same or the
/// other) is a conflict (409), never a silent success.
async fn decide(
    state: &AppState,
    caller: &Caller,
    ctx: &Ctx,
    version: i64,
    action: Move,
) -> AppResult<()> {
    if !caller
        .scope(Need::Admin)
        .contains(&state.db, ctx.campaign.org_id)
        .await?
    {
        return Err(AppError::Forbidden);
    }
    let Some(id) = ctx.record.id else {
        return Err(workflow::WorkflowError::NotAllowed.into());
    };
    let versions = store::versions(&state.db, id).await?;
    let seen = versions.iter().find(|v| v.version == version);
    if let Some(d) = seen.and_then(|v| v.decision.as_deref()) {
        return Err(already_decided(version, d));
    }
    workflow::transition(ctx.record.status, &action)?;
    let Some(seen) = seen.filter(|_| version == ctx.record.version) else {
        return Err(AppError::field("version", "err-summary-stale"));
    };
    let reasons = match &action {
        Move::Return(r) => {
            let r = r.cleaned();
            check_lines(&seen.table, &r)?;
            Some(r)
        }
        _ => None,
    };
    let mut tx = state.db.begin().await?;
    match store::decide(
        &mut tx,
        id,
        version,
        reasons.as_ref(),
        (Some(caller.user_id), &caller.display_name, crate::db::now()),
    )
    .await?
    {
        Decided::Done => {}
        Decided::Already(d) => {
            tx.rollback().await?;
            return Err(already_decided(version, &d));
        }
        Decided::Stale => {
            tx.rollback().await?;
            return Err(AppError::field("version", "err-summary-stale"));
        }
    }
    let (act, detail) = match &reasons {
        Some(r) => {
            let mut text = r.reason.clone();
            for l in &r.lines {
                text.push_str(&format!(" [{}] {}", l.line, l.reason));
            }
            crate::notify::store::on_summary_returned(
                &mut tx,
                (ctx.campaign.id, &ctx.campaign.title),
                ctx.unit.org_id,
                version,
                text.trim(),
            )
            .await?;
            (Action::SummaryReturned, text.trim().to_string())
        }
        None => (Action::SummaryAccepted, format!("v{version}")),
    };
    let (event, status, reason) = match &reasons {
        Some(_) => (
            crate::webhook::Event::SummaryReturned,
            Status::Returned,
            Some(detail.clone()),
        ),
        None => (
            crate::webhook::Event::SummaryAccepted,
            Status::Accepted,
            None,
        ),
    };
    let record = summary_record(ctx, id, version, status, None, reason);
    crate::webhook::ops::emit(&mut tx, event, record).await?;
    let e = Entry::by(caller, ctx.unit.org_id, act)
        .target(format!("summary:{}:{}", ctx.campaign.id, ctx.unit.org_id))
        .detail(detail);
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(())
}

// ---- the federation's view ----

/// Completeness and timeliness of a campaign's tables. Timeliness is each
/// unit's first submission as judged when it was made.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Completeness {
    /// Participating units.
    pub expected: i64,
    /// Units that have submitted at least once.
    pub submitted: i64,
    /// …whose first submission met the deadline in force then.
    pub on_time: i64,
    /// …whose first submission came after it.
    pub late: i64,
    /// Units that have not submitted (with or without a saved draft).
    pub missing: i64,
    /// Of the missing, units that saved a draft.
    pub draft: i64,
    /// Tables returned and not yet resubmitted.
    pub returned: i64,
    /// Tables waiting for a decision.
    pub waiting: i64,
    /// Tables accepted.
    pub accepted: i64,
    /// Submitted as a whole percentage of expected.
    pub submitted_rate: Option<i64>,
    /// On time as a whole percentage of expected.
    pub on_time_rate: Option<i64>,
}

/// One unit in the federation's list.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UnitRow {
    pub org_id: OrgId,
    pub code: String,
    pub name: String,
    pub status: Status,
    /// Missing, draft, on time, late, returned or accepted.
    pub standing: Standing,
    pub version: i64,
    pub first_submitted_at: Option<i64>,
    /// When the current version was submitted.
    pub submitted_at: Option<i64>,
    /// Timeliness of the first submission, as stored when it was made; None
    /// while missing.
    pub late: Option<bool>,
    /// The deadline that verdict was given against.
    pub judged_against: Option<Day>,
    /// The campaign's deadline now, when it moved after that verdict.
    pub deadline_moved_to: Option<Day>,
    /// Whether the unit overrides any figure.
    pub overridden: bool,
}

/// One line of the roll-up: a top-level unit, or the issuing org's own level.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RollupLine {
    pub org_id: OrgId,
    pub name: String,
    /// The issuing org's own level (本级): what no unit's subtree covers.
    pub own: bool,
    /// The unit's standing; none for the own level.
    pub standing: Option<Standing>,
    /// Whether the line adds to the totals: always on the live basis; on the
    /// submitted basis only with a version waiting or accepted (and the own
    /// level, which submits nothing).
    pub counted: bool,
    /// The version whose figures the line shows (submitted basis).
    pub version: Option<i64>,
    /// Zero when not counted.
    pub figures: LineFigures,
}

/// The federation's view of a campaign's summary tables.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Overview {
    pub campaign: Campaign,
    pub completeness: Completeness,
    pub units: Vec<UnitRow>,
    /// What the roll-up adds up: what was submitted (the default) or the records now.
    pub basis: Basis,
    /// The roll-up lines; the sum of the counted ones is `totals`.
    pub lines: Vec<RollupLine>,
    /// The sum of the counted lines.
    pub totals: LineFigures,
}

/// The issuing org's readers see the overview; other readers of the campaign get 403.
async fn issuer_campaign(state: &AppState, caller: &Caller, id: CampaignId) -> AppResult<Campaign> {
    let c = campaign_visible(state, caller, id).await?;
    if !caller
        .scope(Need::Read)
        .contains(&state.db, c.org_id)
        .await?
    {
        return Err(AppError::Forbidden);
    }
    Ok(c)
}

/// The roll-up lines of a campaign: the units not under another unit, and
/// the issuing org's own level.
async fn rollup_lines(state: &AppState, c: &Campaign, units: &[Unit]) -> AppResult<Lines> {
    let ids: Vec<OrgId> = units.iter().map(|u| u.org_id).collect();
    let nested = store::nested(&state.db, &ids).await?;
    Ok(Lines {
        units: ids.into_iter().filter(|u| !nested.contains(u)).collect(),
        own: Some(c.org_id),
    })
}

/// The `basis` parameter of the roll-up's page, API and downloads.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct RollupParams {
    /// `submitted` (the default: what the units submitted) or `live` (the records now).
    pub basis: Option<String>,
}

impl RollupParams {
    fn basis(&self) -> AppResult<Basis> {
        Basis::parse(self.basis.as_deref())
            .ok_or_else(|| AppError::field("basis", "err-summary-basis"))
    }
}

/// Every participating unit's standing, with the campaign's units.
struct Standings {
    units: Vec<Unit>,
    rows: Vec<UnitRow>,
    completeness: Completeness,
}

async fn standings(state: &AppState, read: &Scope, campaign: &Campaign) -> AppResult<Standings> {
    let id = campaign.id;
    let units = crate::campaign::store::units(&state.db, id, None).await?;
    let records = store::records(&state.db, id).await?;
    let facts = store::facts(&state.db, read, id).await?;
    let mut k = Completeness {
        expected: units.len() as i64,
        ..Completeness::default()
    };
    let mut rows = Vec::new();
    for u in &units {
        let r = records.get(&u.org_id);
        let f = facts.get(&u.org_id);
        let status = r.map_or(Status::Draft, |r| r.status);
        // Read, never recomputed: the verdict given when it was submitted.
        let late = f.map(|f| f.first_late);
        let standing = Standing::of(r.map(|r| r.status), late);
        match late {
            Some(true) => k.late += 1,
            Some(false) => k.on_time += 1,
            None => {
                k.missing += 1;
                if r.is_some() {
                    k.draft += 1;
                }
            }
        }
        match status {
            Status::Returned => k.returned += 1,
            Status::Submitted => k.waiting += 1,
            Status::Accepted => k.accepted += 1,
            Status::Draft => {}
        }
        let judged_against = f.and_then(|f| f.first_due_on);
        rows.push(UnitRow {
            org_id: u.org_id,
            code: u.code.clone(),
            name: u.name.clone(),
            status,
            standing,
            version: r.map_or(0, |r| r.version),
            first_submitted_at: r.and_then(|r| r.first_submitted_at),
            submitted_at: f.map(|f| f.latest_at),
            late,
            judged_against,
            deadline_moved_to: moved(judged_against, campaign.report_due_on),
            overridden: r.is_some_and(|r| !r.choices.overrides.is_empty()),
        });
    }
    k.submitted = k.on_time + k.late;
    k.submitted_rate = percent(k.submitted, k.expected);
    k.on_time_rate = percent(k.on_time, k.expected);
    Ok(Standings {
        units,
        rows,
        completeness: k,
    })
}

async fn overview(
    state: &AppState,
    caller: &Caller,
    id: CampaignId,
    basis: Basis,
) -> AppResult<Overview> {
    let campaign = issuer_campaign(state, caller, id).await?;
    let read = caller.scope(Need::Read);
    let st = standings(state, &read, &campaign).await?;
    let lines = rollup_lines(state, &campaign, &st.units).await?;
    let live = store::figures(&state.db, &read, id, &lines).await?;
    let counted = match basis {
        Basis::Submitted => store::counted_tables(&state.db, &read, id).await?,
        Basis::Live => HashMap::new(),
    };
    let by_org: HashMap<OrgId, &UnitRow> = st.rows.iter().map(|r| (r.org_id, r)).collect();
    let mut out_lines = Vec::new();
    let mut totals = LineFigures::default();
    for l in lines.units.iter().chain(lines.own.iter()) {
        let own = Some(*l) == lines.own;
        let row = by_org.get(l);
        let (figures, counted, version) = match (basis, own) {
            (Basis::Live, _) | (Basis::Submitted, true) => {
                (live.get(l).cloned().unwrap_or_default(), true, None)
            }
            (Basis::Submitted, false) => match counted.get(l) {
                Some((v, t)) => (LineFigures::reported(t), true, Some(*v)),
                None => (LineFigures::default(), false, None),
            },
        };
        if counted {
            totals.add(&figures);
        }
        out_lines.push(RollupLine {
            org_id: *l,
            name: if own {
                campaign.org_name.clone()
            } else {
                row.map(|r| r.name.clone()).unwrap_or_default()
            },
            own,
            standing: if own { None } else { row.map(|r| r.standing) },
            counted,
            version,
            figures,
        });
    }
    Ok(Overview {
        campaign,
        completeness: st.completeness,
        units: st.rows,
        basis,
        lines: out_lines,
        totals,
    })
}

// ---- drill-down ----

/// The records behind one figure, and the figure they add up to.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Records {
    /// What was drilled: a figure key or `outcome:<source>:<outcome>`.
    pub drill: String,
    /// The figure the rows add up to.
    pub figure: i64,
    /// At most 2,000 rows.
    pub rows: Vec<DrillRow>,
}

/// Query of a drill-down.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct DrillParams {
    /// `enterprises`, `interviews`, `symposiums`, `participants`, `solved`,
    /// `escalated`, or `outcome:<worker|enterprise|union>:<solved|in_progress|planned|reference|open>`.
    pub drill: Option<String>,
    /// The roll-up line (a unit, or the issuing org for its own level).
    pub line: Option<OrgId>,
}

async fn records(
    state: &AppState,
    read: &Scope,
    campaign: CampaignId,
    lines: &Lines,
    line: OrgId,
    raw: Option<&str>,
) -> AppResult<Records> {
    let drill = raw
        .and_then(Drill::parse)
        .ok_or_else(|| AppError::field("drill", "err-summary-drill"))?;
    let (rows, figure) =
        store::drill(&state.db, read, campaign, lines, line, drill, DRILL_LIMIT).await?;
    Ok(Records {
        drill: drill.as_param(),
        figure,
        rows,
    })
}

// ---- pages ----

/// The problems a unit may pick for one source, with whether each is picked.
struct Picker {
    source: Source,
    rows: Vec<(super::MainItem, Option<usize>)>,
}

#[derive(Template)]
#[template(path = "summary/unit.html")]
struct UnitPage {
    c: Chrome,
    campaign: Campaign,
    unit: Unit,
    s: UnitSummary,
    t: SummaryTable,
    /// Where the figures drill down to; None for frozen versions.
    drill: Option<String>,
    /// The reasons the latest return gave, shown beside the lines.
    reasons: Option<ReturnReasons>,
    line_inputs: bool,
    pickers: Vec<Picker>,
    errors: Vec<(String, String)>,
    /// The override inputs as sent (after a refused save) or stored.
    overrides: BTreeMap<String, (String, String)>,
    remarks: String,
    /// The version waiting for the caller's decision, when there is one: the
    /// accept and return actions are offered wherever the table is opened.
    decide_version: Option<i64>,
}

impl UnitPage {
    async fn build(
        state: &AppState,
        caller: &Caller,
        id: CampaignId,
        org: OrgId,
        input: Option<&ChoicesInput>,
        errors: Vec<(String, String)>,
    ) -> AppResult<UnitPage> {
        let ctx = unit_ctx(state, caller, id, org).await?;
        let (s, versions) = unit_summary(state, &ctx).await?;
        let reasons = if ctx.record.status == Status::Returned {
            versions.last().and_then(|v| v.reasons.clone())
        } else {
            None
        };
        let mut pickers = Vec::new();
        if ctx.can_edit {
            for b in &s.table.blocks {
                let picked: Vec<ProblemId> = match input.and_then(|i| i.main.get(b.source.as_str()))
                {
                    Some(ids) => ids.clone(),
                    None => b.items.iter().map(|i| i.problem_id).collect(),
                };
                let rows = store::candidates(&state.db, &ctx.read, id, org, b.source, CANDIDATES)
                    .await?
                    .into_iter()
                    .map(|m| {
                        let pos = picked.iter().position(|p| *p == m.problem_id);
                        (m, pos)
                    })
                    .collect();
                pickers.push(Picker {
                    source: b.source,
                    rows,
                });
            }
        }
        let overrides = match input {
            Some(i) => i
                .overrides
                .iter()
                .map(|(k, o)| {
                    (
                        k.clone(),
                        (
                            o.value.clone().unwrap_or_default(),
                            o.reason.clone().unwrap_or_default(),
                        ),
                    )
                })
                .collect(),
            None => ctx
                .record
                .choices
                .overrides
                .iter()
                .map(|(k, o)| (k.clone(), (o.value.to_string(), o.reason.clone())))
                .collect(),
        };
        let remarks = input
            .and_then(|i| i.remarks.clone())
            .unwrap_or_else(|| ctx.record.choices.remarks.clone());
        let decide_version = ctx.can_decide.then_some(ctx.record.version);
        Ok(UnitPage {
            c: Chrome::for_caller(caller, &format!("/campaigns/{id}/summary/{org}")),
            t: s.table.clone(),
            drill: Some(format!("/campaigns/{id}/summary/{org}/records")),
            campaign: ctx.campaign,
            unit: ctx.unit,
            s,
            reasons,
            line_inputs: false,
            pickers,
            errors,
            overrides,
            remarks,
            decide_version,
        })
    }

    /// "报送时的截止日期为…，现已改为…" for a version whose deadline moved since.
    fn version_moved(&self, v: &VersionInfo) -> Option<String> {
        match (v.due_on, v.deadline_moved_to) {
            (Some(then), Some(now)) => {
                Some(
                    self.c
                        .ta2("summary-deadline-moved", "then", then.zh(), "now", now.zh()),
                )
            }
            _ => None,
        }
    }

    fn errors_for(&self, field: &str) -> Vec<&str> {
        self.errors
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect()
    }

    fn override_value(&self, key: &str) -> &str {
        self.overrides.get(key).map_or("", |o| o.0.as_str())
    }

    fn override_reason(&self, key: &str) -> &str {
        self.overrides.get(key).map_or("", |o| o.1.as_str())
    }
}

impl TableView for UnitPage {
    fn chrome(&self) -> &Chrome {
        &self.c
    }

    fn reasons(&self) -> Option<&ReturnReasons> {
        self.reasons.as_ref()
    }
}

/// What the shared table partial needs from its page.
trait TableView {
    fn chrome(&self) -> &Chrome;

    /// The tick for outcome `code` of an item.
    fn tick(&self, item: &super::MainItem, code: &str) -> &'static str {
        match &item.outcome {
            Some(o) if o.code() == code => super::export::TICK,
            _ => "",
        }
    }

    /// The date cell of an item: the deadline when in progress, the planned
    /// date when planned.
    fn item_day(&self, item: &super::MainItem) -> String {
        use crate::problem::lifecycle::Outcome;
        match &item.outcome {
            Some(Outcome::InProgress { deadline, .. }) => deadline.zh(),
            Some(Outcome::Planned { on, .. }) => on.zh(),
            _ => String::new(),
        }
    }

    /// The reasons of the latest return, shown beside the lines.
    fn reasons(&self) -> Option<&ReturnReasons>;

    /// The reason given for `line`, if any.
    fn line_reason(&self, line: &str) -> Option<String> {
        self.reasons()
            .and_then(|r| r.for_line(line))
            .map(str::to_string)
    }

    /// The line key of a main problem.
    fn main_line(&self, id: &ProblemId) -> String {
        format!("main:{id}")
    }

    /// The line key of an escalated problem.
    fn upper_line(&self, id: &ProblemId) -> String {
        format!("upper:{id}")
    }

    fn source_title(&self, source: &Source) -> String {
        self.chrome()
            .t(&format!("summary-block-{}", source.as_str()))
    }

    fn outcome_label(&self, code: &str) -> String {
        self.chrome().t(&format!("summary-outcome-{code}"))
    }
}

/// The four outcome codes in the order of the attachment.
const OUTCOMES: [&str; 4] = crate::problem::lifecycle::OUTCOME_CODES;
/// The six figures in the order of the attachment.
const FIGURES: [FigureKey; 6] = FigureKey::ALL;
/// The three sources in the order of the attachment.
const SOURCES: [Source; 3] = Source::ALL;

async fn unit_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
) -> AppResult<Response> {
    render(UnitPage::build(&state, &caller, id, org, None, Vec::new()).await?)
}

/// Reads the page's form: picked problems as repeated `main_<source>` with
/// `order_<id>`, overrides as `override_<key>` / `reason_<key>`.
fn form_input(raw: &[(String, String)]) -> (ChoicesInput, bool, i64) {
    let mut input = ChoicesInput::default();
    let mut picked: BTreeMap<String, Vec<(ProblemId, usize)>> = BTreeMap::new();
    let mut orders: HashMap<String, i64> = HashMap::new();
    let (mut submit, mut seen) = (false, 0);
    for (k, v) in raw {
        if let Some(source) = k.strip_prefix("main_") {
            if let Ok(id) = v.trim().parse::<i64>() {
                let list = picked.entry(source.to_string()).or_default();
                let n = list.len();
                list.push((ProblemId(id), n));
            }
        } else if let Some(source) = k.strip_prefix("pick_") {
            // Present for every source the page offered: none ticked is a choice too.
            let _ = v;
            picked.entry(source.to_string()).or_default();
        } else if let Some(id) = k.strip_prefix("order_") {
            if let Ok(n) = v.trim().parse::<i64>() {
                orders.insert(id.to_string(), n);
            }
        } else if let Some(key) = k.strip_prefix("override_") {
            input.overrides.entry(key.to_string()).or_default().value = Some(v.clone());
        } else if let Some(key) = k.strip_prefix("reason_") {
            input.overrides.entry(key.to_string()).or_default().reason = Some(v.clone());
        } else if k == "remarks" {
            input.remarks = Some(v.clone());
        } else if k == "submit" {
            submit = v == "1";
        } else if k == "version" {
            seen = v.trim().parse().unwrap_or(0);
        }
    }
    for (source, mut list) in picked {
        list.sort_by_key(|(id, n)| {
            (
                orders.get(&id.0.to_string()).copied().unwrap_or(i64::MAX),
                *n,
            )
        });
        input
            .main
            .insert(source, list.into_iter().map(|(id, _)| id).collect());
    }
    (input, submit, seen)
}

async fn save_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (input, submit_too, seen) = form_input(&raw);
    let here = format!("/campaigns/{id}/summary/{org}");
    let result = async {
        let ctx = unit_ctx(&state, &caller, id, org).await?;
        if ctx.can_edit || !submit_too {
            save(&state, &caller, &ctx, &input).await?;
        }
        if submit_too {
            let ctx = unit_ctx(&state, &caller, id, org).await?;
            submit(&state, &caller, &ctx, seen).await?;
        }
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(&here).into_response()),
        Err(e) => {
            let Some(errors) = crate::web::form::errors_of(&e, &caller) else {
                return Err(e);
            };
            let page = UnitPage::build(&state, &caller, id, org, Some(&input), errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "summary/version.html")]
struct VersionPage {
    c: Chrome,
    campaign: Campaign,
    unit: Unit,
    v: Version,
    t: SummaryTable,
    drill: Option<String>,
    reasons: Option<ReturnReasons>,
    /// Whether the page is the decider's return form (reason inputs per line).
    line_inputs: bool,
    /// Whether this version waits for the caller's decision.
    can_decide: bool,
    current: bool,
    errors: Vec<(String, String)>,
}

impl TableView for VersionPage {
    fn chrome(&self) -> &Chrome {
        &self.c
    }

    fn reasons(&self) -> Option<&ReturnReasons> {
        self.reasons.as_ref()
    }
}

impl VersionPage {
    /// The deadline the stored verdict was given against.
    fn judged_against(&self) -> Day {
        self.v.due_on.unwrap_or(self.campaign.report_due_on)
    }

    /// "报送时的截止日期为…，现已改为…" when the deadline moved after submission.
    fn moved_note(&self) -> Option<String> {
        moved(self.v.due_on, self.campaign.report_due_on).map(|now| {
            self.c.ta2(
                "summary-deadline-moved",
                "then",
                self.judged_against().zh(),
                "now",
                now.zh(),
            )
        })
    }

    fn errors_for(&self, field: &str) -> Vec<&str> {
        self.errors
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect()
    }

    async fn build(
        state: &AppState,
        caller: &Caller,
        id: CampaignId,
        org: OrgId,
        n: i64,
        errors: Vec<(String, String)>,
    ) -> AppResult<VersionPage> {
        let ctx = unit_ctx(state, caller, id, org).await?;
        let Some(sid) = ctx.record.id else {
            return Err(AppError::NotFound);
        };
        let v = store::versions(&state.db, sid)
            .await?
            .into_iter()
            .find(|v| v.version == n)
            .ok_or(AppError::NotFound)?;
        let current = n == ctx.record.version;
        let can_decide = current && ctx.can_decide;
        Ok(VersionPage {
            c: Chrome::for_caller(
                caller,
                &format!("/campaigns/{id}/summary/{org}/versions/{n}"),
            ),
            t: v.table.clone(),
            reasons: v.reasons.clone(),
            v,
            campaign: ctx.campaign,
            unit: ctx.unit,
            drill: None,
            line_inputs: can_decide,
            can_decide,
            current,
            errors,
        })
    }
}

async fn version_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org, n)): Path<(CampaignId, OrgId, i64)>,
) -> AppResult<Response> {
    render(VersionPage::build(&state, &caller, id, org, n, Vec::new()).await?)
}

/// The decision forms: `version`, and for a return `reason` plus `line_<key>`.
fn return_input(raw: &[(String, String)]) -> (i64, ReturnReasons) {
    let mut version = 0;
    let mut r = ReturnReasons::default();
    for (k, v) in raw {
        if k == "version" {
            version = v.trim().parse().unwrap_or(0);
        } else if k == "reason" {
            r.reason = v.clone();
        } else if let Some(line) = k.strip_prefix("line_") {
            r.lines.push(LineReason {
                line: line.to_string(),
                reason: v.clone(),
            });
        }
    }
    (version, r.cleaned())
}

async fn decide_page(
    state: AppState,
    caller: Caller,
    (id, org): (CampaignId, OrgId),
    version: i64,
    action: Move,
) -> AppResult<Response> {
    let ctx = unit_ctx(&state, &caller, id, org).await?;
    match decide(&state, &caller, &ctx, version, action).await {
        Ok(()) => Ok(
            Redirect::to(&format!("/campaigns/{id}/summary/{org}/versions/{version}"))
                .into_response(),
        ),
        Err(e) => {
            let Some(errors) = crate::web::form::errors_of(&e, &caller) else {
                return Err(e);
            };
            let page = VersionPage::build(&state, &caller, id, org, version, errors).await?;
            Ok((e.status(), Html(page.render()?)).into_response())
        }
    }
}

async fn accept_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (version, _) = return_input(&raw);
    decide_page(state, caller, (id, org), version, Move::Accept).await
}

async fn return_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (version, reasons) = return_input(&raw);
    decide_page(state, caller, (id, org), version, Move::Return(reasons)).await
}

#[derive(Template)]
#[template(path = "summary/records.html")]
struct RecordsPage {
    c: Chrome,
    campaign: Campaign,
    /// The line's name.
    name: String,
    back: String,
    label: String,
    r: Records,
}

fn drill_label(c: &Chrome, drill: &str) -> String {
    match Drill::parse(drill) {
        Some(Drill::Figure(k)) => c.t(&k.label_key()),
        Some(Drill::Outcome(s, i)) => format!(
            "{} · {}",
            c.t(&format!("summary-block-{}", s.as_str())),
            c.t(&format!(
                "summary-outcome-{}",
                OUTCOMES.get(i).copied().unwrap_or("open")
            ))
        ),
        None => drill.to_string(),
    }
}

async fn records_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Query(q): Query<DrillParams>,
) -> AppResult<Response> {
    let ctx = unit_ctx(&state, &caller, id, org).await?;
    let r = records(
        &state,
        &ctx.read,
        id,
        &Lines::unit(org),
        org,
        q.drill.as_deref(),
    )
    .await?;
    let c = Chrome::for_caller(&caller, &format!("/campaigns/{id}/summary/{org}/records"));
    render(RecordsPage {
        label: drill_label(&c, &r.drill),
        c,
        name: ctx.unit.name.clone(),
        back: format!("/campaigns/{id}/summary/{org}"),
        campaign: ctx.campaign,
        r,
    })
}

async fn rollup_records_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(q): Query<DrillParams>,
) -> AppResult<Response> {
    let campaign = issuer_campaign(&state, &caller, id).await?;
    let units = crate::campaign::store::units(&state.db, id, None).await?;
    let lines = rollup_lines(&state, &campaign, &units).await?;
    let line = q.line.unwrap_or(campaign.org_id);
    if !lines.units.contains(&line) && lines.own != Some(line) {
        return Err(AppError::NotFound);
    }
    let read = caller.scope(Need::Read);
    let r = records(&state, &read, id, &lines, line, q.drill.as_deref()).await?;
    let name = if lines.own == Some(line) {
        format!(
            "{} · {}",
            campaign.org_name,
            Chrome::for_caller(&caller, "").t("summary-own-level")
        )
    } else {
        units
            .iter()
            .find(|u| u.org_id == line)
            .map(|u| u.name.clone())
            .unwrap_or_default()
    };
    let c = Chrome::for_caller(&caller, &format!("/campaigns/{id}/summaries/records"));
    render(RecordsPage {
        label: drill_label(&c, &r.drill),
        c,
        name,
        back: format!("/campaigns/{id}/summaries"),
        campaign,
        r,
    })
}

#[derive(Template)]
#[template(path = "summary/overview.html")]
struct OverviewPage {
    c: Chrome,
    o: Overview,
}

impl OverviewPage {
    fn rate(&self, r: &Option<i64>) -> String {
        r.map_or_else(|| "—".to_string(), |r| format!("{r}%"))
    }

    fn outcome_sum(&self, f: &LineFigures, i: &usize) -> i64 {
        f.outcomes.iter().map(|row| row[*i]).sum()
    }

    /// The query that keeps the page's basis on its downloads.
    fn basis_query(&self) -> String {
        format!("?basis={}", self.o.basis.as_str())
    }

    fn live(&self) -> bool {
        self.o.basis == Basis::Live
    }

    /// "报送时的截止日期为…，现已改为…" when the deadline moved after the verdict.
    fn moved_note(&self, u: &UnitRow) -> Option<String> {
        match (u.judged_against, u.deadline_moved_to) {
            (Some(then), Some(now)) => {
                Some(
                    self.c
                        .ta2("summary-deadline-moved", "then", then.zh(), "now", now.zh()),
                )
            }
            _ => None,
        }
    }
}

async fn overview_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(q): Query<RollupParams>,
) -> AppResult<Response> {
    let o = overview(&state, &caller, id, q.basis()?).await?;
    render(OverviewPage {
        c: Chrome::for_caller(&caller, &format!("/campaigns/{id}/summaries")),
        o,
    })
}

/// The counts of every participating unit (its whole subtree), the issuing
/// org's own level and the total, as CSV for the whole subtree, on the
/// chosen basis: on the submitted one a unit that adds nothing has no figures.
async fn counts_csv(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(q): Query<RollupParams>,
) -> AppResult<Response> {
    let basis = q.basis()?;
    let o = overview(&state, &caller, id, basis).await?;
    let read = caller.scope(Need::Read);
    let per_unit: HashMap<OrgId, LineFigures> = match basis {
        Basis::Live => {
            store::unit_figures(
                &state.db,
                &read,
                id,
                &o.units.iter().map(|u| u.org_id).collect::<Vec<_>>(),
            )
            .await?
        }
        Basis::Submitted => store::counted_tables(&state.db, &read, id)
            .await?
            .into_iter()
            .map(|(org, (_, t))| (org, LineFigures::reported(&t)))
            .collect(),
    };
    let lang = caller.lang;
    let mut heads = vec![
        Header {
            title: lang.t("field-code"),
            width: 14.0,
            text: true,
        },
        Header {
            title: lang.t("summary-unit"),
            width: 24.0,
            text: false,
        },
        Header {
            title: lang.t("summary-status"),
            width: 10.0,
            text: false,
        },
        Header {
            title: lang.t("summary-submitted-at"),
            width: 18.0,
            text: false,
        },
        Header {
            title: lang.t("summary-timeliness"),
            width: 8.0,
            text: false,
        },
    ];
    for k in FigureKey::ALL {
        heads.push(Header {
            title: k.official_label().to_string(),
            width: 10.0,
            text: false,
        });
    }
    for s in Source::ALL {
        for code in OUTCOMES.iter().chain(["open"].iter()) {
            heads.push(Header {
                title: format!(
                    "{}·{}",
                    lang.t(&format!("source-{}", s.as_str())),
                    lang.t(&format!("summary-outcome-{code}"))
                ),
                width: 10.0,
                text: false,
            });
        }
    }
    let figure_cells = |f: Option<&LineFigures>| -> Vec<Cell> {
        let Some(f) = f else {
            return vec![Cell::Empty; 6 + 15];
        };
        let mut v: Vec<Cell> = f.counts.iter().map(|n| Cell::Int(*n)).collect();
        for row in f.outcomes {
            v.extend(row.iter().map(|n| Cell::Int(*n)));
        }
        v
    };
    let mut rows = Vec::new();
    for u in &o.units {
        let mut row = vec![
            Cell::Text(u.code.clone()),
            Cell::Text(u.name.clone()),
            Cell::Text(lang.t(&u.standing.label_key())),
            Cell::opt(u.first_submitted_at.map(|t| lang.datetime(t)).as_deref()),
            Cell::Text(match u.late {
                Some(true) => lang.t("summary-late"),
                Some(false) => lang.t("summary-on-time"),
                None => lang.t("summary-missing"),
            }),
        ];
        row.extend(figure_cells(per_unit.get(&u.org_id)));
        rows.push(row);
    }
    if let Some(own) = o.lines.iter().find(|l| l.own) {
        let mut row = vec![
            Cell::Text(String::new()),
            Cell::Text(format!("{}（{}）", own.name, lang.t("summary-own-level"))),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
        ];
        row.extend(figure_cells(Some(&own.figures)));
        rows.push(row);
    }
    let mut total = vec![
        Cell::Text(String::new()),
        Cell::Text(format!(
            "{}（{}）",
            lang.t("summary-total"),
            lang.t(&basis.label_key())
        )),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
    ];
    total.extend(figure_cells(Some(&o.totals)));
    rows.push(total);
    crate::web::download::send_table(
        &state,
        &caller,
        &format!("summary-counts-{id}-{}", basis.as_str()),
        tabular::Format::Csv,
        ("counts", &heads, &rows),
        format!("campaign {id}: {} units", o.units.len()),
    )
    .await
}

// ---- exports in the official layout ----

/// Which version an export is of: absent for the table as it computes now.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ExportParams {
    pub version: Option<i64>,
}

/// The unit's table for an export: a frozen version, or computed now.
async fn export_table(
    state: &AppState,
    caller: &Caller,
    id: CampaignId,
    org: OrgId,
    version: Option<i64>,
) -> AppResult<(SummaryTable, String)> {
    let ctx = unit_ctx(state, caller, id, org).await?;
    match version {
        None => Ok((
            compute(state, &ctx, &ctx.record.choices).await?,
            "live".into(),
        )),
        Some(n) => {
            let sid = ctx.record.id.ok_or(AppError::NotFound)?;
            let v = store::versions(&state.db, sid)
                .await?
                .into_iter()
                .find(|v| v.version == n)
                .ok_or(AppError::NotFound)?;
            Ok((v.table, format!("v{n}")))
        }
    }
}

/// A roll-up for the exports on `basis`: each top-level unit's table (computed
/// now, or its counted version as frozen), the issuing org's own level
/// (本级, always computed now) and the 合计, the sum of those tables: each
/// figure as the tables report it, with the computed sum noted beside it
/// where units changed figures.
async fn rollup(
    state: &AppState,
    caller: &Caller,
    id: CampaignId,
    basis: Basis,
) -> AppResult<(Rollup, Campaign)> {
    let campaign = issuer_campaign(state, caller, id).await?;
    let read = caller.scope(Need::Read);
    let st = standings(state, &read, &campaign).await?;
    let lines = rollup_lines(state, &campaign, &st.units).await?;
    let top: Vec<&Unit> = st
        .units
        .iter()
        .filter(|u| lines.units.contains(&u.org_id))
        .collect();
    let mut notes = Vec::new();
    let units: Vec<SummaryTable> = match basis {
        Basis::Live => {
            let records = store::records(&state.db, id).await?;
            let choices: HashMap<OrgId, store::Choices> = records
                .into_iter()
                .map(|(org, r)| (org, r.choices))
                .collect();
            let refs: Vec<store::UnitRef> = top
                .iter()
                .map(|u| (u.org_id, u.code.as_str(), u.name.as_str()))
                .collect();
            notes.push(
                "本表按实时口径汇总：各单位数字为导出时按记录统计的数字，不是各单位报送的数字。"
                    .to_string(),
            );
            store::tables(&state.db, &read, &campaign, &refs, &choices).await?
        }
        Basis::Submitted => {
            let mut counted = store::counted_tables(&state.db, &read, id).await?;
            let standing: HashMap<OrgId, Standing> =
                st.rows.iter().map(|r| (r.org_id, r.standing)).collect();
            let mut tables = Vec::new();
            let mut left_out = Vec::new();
            for u in &top {
                match counted.remove(&u.org_id) {
                    Some((_, t)) => tables.push(t),
                    None => left_out.push(format!(
                        "{}（{}）",
                        u.name,
                        crate::i18n::Lang::Zh.t(&standing
                            .get(&u.org_id)
                            .copied()
                            .unwrap_or(Standing::Missing)
                            .label_key())
                    )),
                }
            }
            notes.push(
                "本表按报送口径汇总：各单位最新报送（待审核或已接收）版本的数字；本级按记录实时统计。"
                    .to_string(),
            );
            if !left_out.is_empty() {
                notes.push(format!(
                    "以下{}个单位尚无可汇总的报送版本，未计入本表：{}。",
                    left_out.len(),
                    left_out.join("、")
                ));
            }
            tables
        }
    };
    let own_figs = store::figures(
        &state.db,
        &read,
        id,
        &Lines {
            units: lines.units.clone(),
            own: lines.own,
        },
    )
    .await?
    .remove(&campaign.org_id)
    .unwrap_or_default();
    let own = store::totals_table(
        store::head(
            &campaign,
            campaign.org_id,
            &campaign.org_code,
            &campaign.org_name,
        ),
        &own_figs,
    );
    let totals = sum_tables(
        store::head(
            &campaign,
            campaign.org_id,
            &campaign.org_code,
            &campaign.org_name,
        ),
        units.iter().chain(std::iter::once(&own)),
        &caller.lang.t("summary-totals-overridden"),
    );
    Ok((
        Rollup {
            totals,
            units,
            own: Some(own),
            notes,
        },
        campaign,
    ))
}

/// The 合计 of `tables`: every figure summed as reported, the computed sum
/// kept beside it (as an override with `reason`) where they differ; the
/// problems by source and outcome summed.
fn sum_tables<'a>(
    head: super::Head,
    tables: impl Iterator<Item = &'a SummaryTable>,
    reason: &str,
) -> SummaryTable {
    let (mut computed, mut reported) = (LineFigures::default(), LineFigures::default());
    for t in tables {
        reported.add(&LineFigures::reported(t));
        let mut c = LineFigures::default();
        for k in FigureKey::ALL {
            c.counts[k as usize] = t.figure(k).computed;
        }
        computed.add(&c);
    }
    computed.outcomes = reported.outcomes;
    let mut totals = store::totals_table(head, &computed);
    for f in totals.figures.iter_mut() {
        let value = reported.get(f.key);
        if value != f.computed {
            f.overridden = Some(Override {
                value,
                reason: reason.to_string(),
            });
        }
    }
    totals
}

fn export_err(e: crate::pdf::ExportError) -> AppError {
    AppError::Internal(anyhow::anyhow!(e))
}

async fn audited_download(
    state: &AppState,
    caller: &Caller,
    org: OrgId,
    body: Vec<u8>,
    name: &str,
    mime: &'static str,
) -> AppResult<Response> {
    let e = Entry::by(caller, org, Action::Export)
        .target(format!("export:{name}"))
        .detail(format!("{} bytes", body.len()));
    audit::store::record(state.db.pool(), &e).await?;
    Ok(crate::web::download::attachment(body, name, mime))
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn unit_xlsx(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Query(q): Query<ExportParams>,
) -> AppResult<Response> {
    let (t, which) = export_table(&state, &caller, id, org, q.version).await?;
    let code = t.head.org_code.clone();
    let body = tokio::task::spawn_blocking(move || super::export::xlsx::unit_workbook(&t))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(export_err)?;
    let name = format!("summary-{id}-{code}-{which}.xlsx");
    audited_download(&state, &caller, org, body, &name, XLSX).await
}

async fn unit_pdf(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Query(q): Query<ExportParams>,
) -> AppResult<Response> {
    let (t, which) = export_table(&state, &caller, id, org, q.version).await?;
    let code = t.head.org_code.clone();
    let settings = state.settings.clone();
    let body = tokio::task::spawn_blocking(move || {
        let fonts = crate::pdf::PdfFonts::load(&settings)?;
        super::export::pdf::render(std::slice::from_ref(&t), &fonts)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(export_err)?;
    let name = format!("summary-{id}-{code}-{which}.pdf");
    audited_download(&state, &caller, org, body, &name, "application/pdf").await
}

async fn rollup_xlsx(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(q): Query<RollupParams>,
) -> AppResult<Response> {
    let basis = q.basis()?;
    let (r, campaign) = rollup(&state, &caller, id, basis).await?;
    let body = tokio::task::spawn_blocking(move || super::export::xlsx::rollup_workbook(&r))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(export_err)?;
    let name = format!(
        "summary-{id}-rollup-{}-{}.xlsx",
        basis.as_str(),
        crate::web::download::stamp()
    );
    audited_download(&state, &caller, campaign.org_id, body, &name, XLSX).await
}

async fn rollup_pdf(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(q): Query<RollupParams>,
) -> AppResult<Response> {
    let basis = q.basis()?;
    let (r, campaign) = rollup(&state, &caller, id, basis).await?;
    let settings = state.settings.clone();
    let body = tokio::task::spawn_blocking(move || {
        let fonts = crate::pdf::PdfFonts::load(&settings)?;
        super::export::pdf::render_rollup(&r, &fonts)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(export_err)?;
    let name = format!(
        "summary-{id}-rollup-{}-{}.pdf",
        basis.as_str(),
        crate::web::download::stamp()
    );
    audited_download(
        &state,
        &caller,
        campaign.org_id,
        body,
        &name,
        "application/pdf",
    )
    .await
}

// ---- JSON API ----

/// The version a submission or decision is about.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = SummarySubmitInput)]
pub struct SubmitInput {
    /// The version the unit was looking at (0 before the first submission):
    /// a retry with the same number stores nothing twice.
    pub version: i64,
}

/// Accept a version.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = SummaryDecisionInput)]
pub struct DecisionInput {
    /// The submitted version being accepted.
    pub version: i64,
}

/// Return a version with reasons.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = SummaryReturnInput)]
pub struct ReturnInput {
    /// The submitted version being returned.
    pub version: i64,
    /// About the whole table.
    #[serde(default)]
    pub reason: String,
    /// About given lines (`enterprises`…, `main:<problem id>`, `upper:<problem id>`, `remarks`).
    #[serde(default)]
    pub lines: Vec<LineReason>,
}

/// Completeness, each unit's standing and the roll-up of a campaign's tables:
/// by default (`basis=submitted`) the sum of what the units submitted, each
/// unit's latest version that waits for a decision or was accepted (a unit
/// without one adds nothing: `counted` is false); `basis=live` computes every
/// line from the records now. The issuing org's own level counts live in both.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/summaries", tag = "summaries",
    params(("id" = i64, Path), RollupParams),
    responses((status = 200, body = Overview), (status = 403, body = crate::web::errors::ErrorBody),
        (status = 404, body = crate::web::errors::ErrorBody),
        (status = 422, description = "an unknown basis", body = crate::web::errors::ErrorBody)))]
pub async fn api_overview(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(q): Query<RollupParams>,
) -> AppResult<Json<Overview>> {
    Ok(Json(overview(&state, &caller, id, q.basis()?).await?))
}

/// A unit's table computed now, with its status and versions.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/summaries/{org}", tag = "summaries",
    params(("id" = i64, Path), ("org" = i64, Path)),
    responses((status = 200, body = UnitSummary), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
) -> AppResult<Json<UnitSummary>> {
    let ctx = unit_ctx(&state, &caller, id, org).await?;
    Ok(Json(unit_summary(&state, &ctx).await?.0))
}

/// Saves the unit's choices: main problems and their order, overrides with reasons, remarks.
#[utoipa::path(put, path = "/api/v1/campaigns/{id}/summaries/{org}", tag = "summaries",
    params(("id" = i64, Path), ("org" = i64, Path)), request_body = ChoicesInput,
    responses((status = 200, body = UnitSummary), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_save(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Json(input): Json<ChoicesInput>,
) -> AppResult<Json<UnitSummary>> {
    let ctx = unit_ctx(&state, &caller, id, org).await?;
    save(&state, &caller, &ctx, &input).await?;
    let ctx = unit_ctx(&state, &caller, id, org).await?;
    Ok(Json(unit_summary(&state, &ctx).await?.0))
}

/// Submits the table as it computes now (a frozen snapshot with its hash).
/// Late submissions are accepted and marked late; a retry stores nothing twice.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/summaries/{org}/submit", tag = "summaries",
    params(("id" = i64, Path), ("org" = i64, Path)), request_body = SubmitInput,
    responses((status = 200, body = UnitSummary), (status = 422, description = "not submittable now, stale version, or an undecided main problem", body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_submit(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Json(input): Json<SubmitInput>,
) -> AppResult<Json<UnitSummary>> {
    let ctx = unit_ctx(&state, &caller, id, org).await?;
    submit(&state, &caller, &ctx, input.version).await?;
    let ctx = unit_ctx(&state, &caller, id, org).await?;
    Ok(Json(unit_summary(&state, &ctx).await?.0))
}

/// Accepts the submitted version; admins over the issuing org. A version is
/// decided once: accepting a version already accepted or returned answers 409.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/summaries/{org}/accept", tag = "summaries",
    params(("id" = i64, Path), ("org" = i64, Path)), request_body = DecisionInput,
    responses((status = 200, body = UnitSummary),
        (status = 409, description = "the version was already accepted or returned", body = crate::web::errors::ErrorBody),
        (status = 422, description = "not a submitted version (a draft, or a stale version number)", body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_accept(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Json(input): Json<DecisionInput>,
) -> AppResult<Json<UnitSummary>> {
    let ctx = unit_ctx(&state, &caller, id, org).await?;
    decide(&state, &caller, &ctx, input.version, Move::Accept).await?;
    let ctx = unit_ctx(&state, &caller, id, org).await?;
    Ok(Json(unit_summary(&state, &ctx).await?.0))
}

/// Returns the submitted version with a reason for the whole table and/or for
/// given lines. A line must be one of the version's: a reason on any other is
/// refused (422, naming it). A version is decided once: returning a version
/// already returned or accepted answers 409.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/summaries/{org}/return", tag = "summaries",
    params(("id" = i64, Path), ("org" = i64, Path)), request_body = ReturnInput,
    responses((status = 200, body = UnitSummary),
        (status = 409, description = "the version was already returned or accepted", body = crate::web::errors::ErrorBody),
        (status = 422, description = "no reason at all, a reason on a line the version does not have, or not a submitted version", body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_return(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Json(input): Json<ReturnInput>,
) -> AppResult<Json<UnitSummary>> {
    let ctx = unit_ctx(&state, &caller, id, org).await?;
    let reasons = ReturnReasons {
        reason: input.reason,
        lines: input.lines,
    };
    decide(&state, &caller, &ctx, input.version, Move::Return(reasons)).await?;
    let ctx = unit_ctx(&state, &caller, id, org).await?;
    Ok(Json(unit_summary(&state, &ctx).await?.0))
}

/// Every submitted version of the unit's table, frozen, oldest first.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/summaries/{org}/versions", tag = "summaries",
    params(("id" = i64, Path), ("org" = i64, Path)),
    responses((status = 200, body = Vec<Version>), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_versions(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
) -> AppResult<Json<Vec<Version>>> {
    let ctx = unit_ctx(&state, &caller, id, org).await?;
    Ok(Json(match ctx.record.id {
        Some(sid) => store::versions(&state.db, sid).await?,
        None => Vec::new(),
    }))
}

/// The records behind one figure of the unit's table.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/summaries/{org}/records", tag = "summaries",
    params(("id" = i64, Path), ("org" = i64, Path), DrillParams),
    responses((status = 200, body = Records), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_records(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Query(q): Query<DrillParams>,
) -> AppResult<Json<Records>> {
    let ctx = unit_ctx(&state, &caller, id, org).await?;
    Ok(Json(
        records(
            &state,
            &ctx.read,
            id,
            &Lines::unit(org),
            org,
            q.drill.as_deref(),
        )
        .await?,
    ))
}

/// Today's date in Beijing, for the deadline hint.
pub fn days_left(due: Day) -> i64 {
    Day::today().days_until(due)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_orders_picked_problems_and_keeps_empty_picks() {
        let raw: Vec<(String, String)> = [
            ("pick_worker", "1"),
            ("main_worker", "7"),
            ("main_worker", "9"),
            ("order_9", "1"),
            ("order_7", "2"),
            ("pick_union", "1"),
            ("override_enterprises", "12"),
            ("reason_enterprises", "含线上走访"),
            ("remarks", "无"),
            ("version", "2"),
            ("submit", "1"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let (input, submit, seen) = form_input(&raw);
        assert!(submit);
        assert_eq!(seen, 2);
        assert_eq!(input.main["worker"], vec![ProblemId(9), ProblemId(7)]);
        assert_eq!(input.main["union"], Vec::<ProblemId>::new());
        assert!(!input.main.contains_key("enterprise"));
        assert_eq!(input.overrides["enterprises"].value.as_deref(), Some("12"));
        assert_eq!(input.remarks.as_deref(), Some("无"));
    }

    #[test]
    fn return_forms_drop_blank_line_reasons() {
        let raw: Vec<(String, String)> = [
            ("version", "3"),
            ("reason", " "),
            ("line_enterprises", "数字与走访记录不符"),
            ("line_remarks", ""),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let (v, r) = return_input(&raw);
        assert_eq!(v, 3);
        assert_eq!(r.lines.len(), 1);
        assert_eq!(r.for_line("enterprises"), Some("数字与走访记录不符"));
        assert!(!r.is_empty());
    }

    #[test]
    fn the_api_document_describes_the_summary_paths() {
        let doc = ApiDoc::openapi();
        let json = serde_json::to_value(&doc).unwrap();
        let paths = json["paths"].as_object().unwrap();
        for p in [
            "/api/v1/campaigns/{id}/summaries",
            "/api/v1/campaigns/{id}/summaries/{org}",
            "/api/v1/campaigns/{id}/summaries/{org}/submit",
            "/api/v1/campaigns/{id}/summaries/{org}/return",
        ] {
            assert!(paths.contains_key(p), "{p}");
        }
        // A second decision is a documented conflict, not a silent success.
        for p in [
            "/api/v1/campaigns/{id}/summaries/{org}/accept",
            "/api/v1/campaigns/{id}/summaries/{org}/return",
        ] {
            assert!(
                paths[p]["post"]["responses"]
                    .as_object()
                    .unwrap()
                    .contains_key("409"),
                "{p}"
            );
        }
        let params = &paths["/api/v1/campaigns/{id}/summaries"]["get"]["parameters"];
        assert!(
            params
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "basis"),
            "{params}"
        );
    }
}
