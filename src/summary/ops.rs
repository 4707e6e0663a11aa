//! The use cases of summary tables, shared by the pages and the API: the
//! writes (save the unit's choices, submit, accept, return — each in one
//! transaction with its audit entry, notices and webhook event) and the reads
//! both show (a unit's table, the federation's overview, drill-downs, the
//! tables an export prints). No HTTP here: no `Form`, `Json` or `Html`.
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

use std::collections::{HashMap, HashSet};

use super::{
    Basis, ChoicesInput, Completeness, FigureKey, LineFigures, Override, Overview, Records,
    RollupLine, SummaryTable, UnitRow, UnitSummary, VersionInfo,
    export::Rollup,
    moved,
    store::{self, Choices, Decided, Drill, Lines, Record, Submitted, Version},
    sum_tables,
    workflow::{self, Action as Move, Decision, Standing, Status},
};
use crate::{
    audit::{self, Action, Audited, Entry},
    auth::{Caller, Need, Scope},
    campaign::{Campaign, CampaignStatus, Unit, percent},
    db::{CampaignId, Db, OrgId, ProblemId, SummaryId},
    error::{AppError, AppResult, FieldError},
    problem::Source,
    web::form::Errors,
};

/// How many records a drill-down lists.
const DRILL_LIMIT: i64 = 2000;
/// The longest override reason.
const REASON_MAX: usize = 500;
/// The longest remarks.
const REMARKS_MAX: usize = 2000;
/// The largest figure a unit may report.
const FIGURE_MAX: i64 = 100_000_000;

/// A unit's table as the caller may see and act on it.
pub struct Ctx {
    pub campaign: Campaign,
    pub unit: Unit,
    pub record: Record,
    pub read: Scope,
    pub can_edit: bool,
    pub can_decide: bool,
}

/// The campaign the caller sees, else 404.
async fn campaign_visible(db: &Db, caller: &Caller, id: CampaignId) -> AppResult<Campaign> {
    crate::campaign::store::get(db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The unit's table if the caller reads the unit or the issuing org; 404 otherwise.
pub async fn unit_ctx(db: &Db, caller: &Caller, id: CampaignId, org: OrgId) -> AppResult<Ctx> {
    let campaign = campaign_visible(db, caller, id).await?;
    if campaign.status == CampaignStatus::Draft {
        return Err(AppError::NotFound);
    }
    let read = caller.scope(Need::Read);
    let units = crate::campaign::store::units(db, id, None).await?;
    let unit = units
        .into_iter()
        .find(|u| u.org_id == org)
        .ok_or(AppError::NotFound)?;
    if !read.contains(db, org).await? && !read.contains(db, campaign.org_id).await? {
        return Err(AppError::NotFound);
    }
    let record = store::record(db, id, org).await?;
    let can_edit = campaign.status == CampaignStatus::Active
        && workflow::transition(record.status, &Move::Save).is_ok()
        && caller.scope(Need::Write).contains(db, org).await?;
    let can_decide = record.status == Status::Submitted
        && caller
            .scope(Need::Admin)
            .contains(db, campaign.org_id)
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
pub async fn compute(db: &Db, ctx: &Ctx, choices: &Choices) -> AppResult<SummaryTable> {
    Ok(store::compute(
        db,
        &ctx.read,
        &ctx.campaign,
        (ctx.unit.org_id, &ctx.unit.code, &ctx.unit.name),
        choices,
    )
    .await?)
}

/// The unit's table as it computes now, its standing and its versions.
pub async fn unit_summary(db: &Db, ctx: &Ctx) -> AppResult<(UnitSummary, Vec<Version>)> {
    let table = compute(db, ctx, &ctx.record.choices).await?;
    let versions = match ctx.record.id {
        Some(id) => store::versions(db, id).await?,
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

/// The unit's table read again after a write, as the API answers it.
pub async fn reread(
    db: &Db,
    caller: &Caller,
    id: CampaignId,
    org: OrgId,
) -> AppResult<UnitSummary> {
    let ctx = unit_ctx(db, caller, id, org).await?;
    Ok(unit_summary(db, &ctx).await?.0)
}

/// Every submitted version of the unit's table, oldest first.
pub async fn versions(db: &Db, ctx: &Ctx) -> AppResult<Vec<Version>> {
    Ok(match ctx.record.id {
        Some(sid) => store::versions(db, sid).await?,
        None => Vec::new(),
    })
}

/// Version `n` of the unit's table, else 404.
pub async fn version(db: &Db, ctx: &Ctx, n: i64) -> AppResult<Version> {
    versions(db, ctx)
        .await?
        .into_iter()
        .find(|v| v.version == n)
        .ok_or(AppError::NotFound)
}

/// Checks the input against the unit's problems and figures: every main
/// problem must be one the unit owns in this campaign, of that source; every
/// override needs a whole number and a reason. Errors name the JSON path of
/// the body (`main.worker[0]`, `overrides.enterprises.reason`).
async fn parse_choices(db: &Db, ctx: &Ctx, input: &ChoicesInput) -> AppResult<Choices> {
    let mut errors = Errors::default();
    let mut out = Choices {
        remarks: input.remarks.clone().unwrap_or_default().trim().to_string(),
        ..Choices::default()
    };
    if out.remarks.chars().count() > REMARKS_MAX {
        errors.push(FieldError::new("remarks", "err-too-long").arg("max", REMARKS_MAX));
    }
    for (key, ids) in &input.main {
        let Some(source) = Source::ALL.into_iter().find(|s| s.as_str() == key) else {
            errors.push(
                FieldError::new(format!("main.{key}"), "err-summary-source").arg("value", key),
            );
            continue;
        };
        let mut seen = HashSet::new();
        let ids: Vec<ProblemId> = ids.iter().copied().filter(|i| seen.insert(*i)).collect();
        let found = store::pick(
            db,
            &ctx.read,
            ctx.campaign.id,
            ctx.unit.org_id,
            source,
            &ids,
        )
        .await?;
        for (i, id) in ids.iter().enumerate() {
            if !found.contains(id) {
                errors.push(
                    FieldError::new(
                        format!("main.{}[{i}]", source.as_str()),
                        "err-summary-not-candidate",
                    )
                    .arg("id", id),
                );
            }
        }
        out.main.insert(source.as_str().to_string(), ids);
    }
    for (fig, o) in &input.overrides {
        let raw = o.value.as_deref().map(str::trim).unwrap_or("");
        let reason = o.reason.as_deref().map(str::trim).unwrap_or("");
        if raw.is_empty() {
            continue;
        }
        let at = |name: &str| format!("overrides.{}.{name}", fig.as_str());
        let value = match raw.parse::<i64>() {
            Ok(v) if (0..=FIGURE_MAX).contains(&v) => v,
            Ok(_) => {
                errors.push(
                    FieldError::new(at("value"), "err-out-of-range")
                        .arg("min", 0)
                        .arg("max", FIGURE_MAX),
                );
                continue;
            }
            Err(_) => {
                errors.push(FieldError::new(at("value"), "err-not-a-number"));
                continue;
            }
        };
        if reason.is_empty() {
            errors.push(FieldError::new(at("reason"), "err-summary-override-reason"));
            continue;
        }
        if reason.chars().count() > REASON_MAX {
            errors.push(FieldError::new(at("reason"), "err-too-long").arg("max", REASON_MAX));
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

fn target(ctx: &Ctx) -> String {
    format!("summary:{}:{}", ctx.campaign.id, ctx.unit.org_id)
}

/// Saves the unit's choices.
pub async fn save(db: &Db, caller: &Caller, ctx: &Ctx, input: &ChoicesInput) -> AppResult<()> {
    require_editor(db, caller, ctx).await?;
    let choices = parse_choices(db, ctx, input).await?;
    let mut tx = Audited::begin(db).await?;
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
    let e = Entry::by(caller, ctx.unit.org_id, Action::SummarySaved).target(target(ctx));
    tx.commit([e]).await?;
    Ok(())
}

async fn require_editor(db: &Db, caller: &Caller, ctx: &Ctx) -> AppResult<()> {
    if !caller
        .scope(Need::Write)
        .contains(db, ctx.unit.org_id)
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
pub async fn submit(db: &Db, caller: &Caller, ctx: &Ctx, seen: i64) -> AppResult<Submitted> {
    require_editor(db, caller, ctx).await?;
    // The same submission again (a retry): the version it made is there and
    // not yet returned. After a return, an old version number is stale.
    if seen.checked_add(1) == Some(ctx.record.version)
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
    let table = compute(db, ctx, &ctx.record.choices).await?;
    let mut errors = Errors::default();
    for b in &table.blocks {
        for (i, item) in b.items.iter().enumerate() {
            if item.outcome.is_none() {
                errors.push(
                    FieldError::new(
                        format!("main.{}[{i}]", b.source.as_str()),
                        "err-summary-undecided",
                    )
                    .arg("n", i + 1)
                    .arg("excerpt", crate::notify::excerpt(&item.description)),
                );
            }
        }
    }
    errors.finish()?;
    let mut tx = Audited::begin(db).await?;
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
                .target(target(ctx))
                .detail(format!("v{version}{}", if late { " late" } else { "" }));
            tx.commit([e]).await?;
        }
        // Dropping the transaction rolls it back.
        Submitted::AlreadyDone { .. } => {}
        Submitted::Stale => return Err(AppError::field("version", "err-summary-stale")),
    }
    Ok(done)
}

/// A table's webhook record: which table, which version, where it stands.
fn summary_record(
    ctx: &Ctx,
    summary: SummaryId,
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
    summary: SummaryId,
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

/// A second decision on a decided version: 409, naming the decision made.
fn already_decided(version: i64, decision: Decision) -> AppError {
    let key = match decision {
        Decision::Accepted => "err-summary-already-accepted",
        Decision::Returned => "err-summary-already-returned",
    };
    AppError::Conflict(vec![
        FieldError::new("version", key).arg("version", version),
    ])
}

/// Accepts or returns version `version`; admins over the issuing org only.
/// A version is decided once: a second decision on it (the same or the
/// other) is a conflict (409), never a silent success.
pub async fn decide(
    db: &Db,
    caller: &Caller,
    ctx: &Ctx,
    version: i64,
    action: Move,
) -> AppResult<()> {
    if !caller
        .scope(Need::Admin)
        .contains(db, ctx.campaign.org_id)
        .await?
    {
        return Err(AppError::Forbidden);
    }
    let Some(id) = ctx.record.id else {
        return Err(workflow::WorkflowError::NotAllowed.into());
    };
    let versions = store::versions(db, id).await?;
    let seen = versions.iter().find(|v| v.version == version);
    if let Some(d) = seen.and_then(|v| v.decision) {
        return Err(already_decided(version, d));
    }
    workflow::transition(ctx.record.status, &action)?;
    let Some(seen) = seen.filter(|_| version == ctx.record.version) else {
        return Err(AppError::field("version", "err-summary-stale"));
    };
    let reasons = match &action {
        Move::Return(r) => {
            let r = r.cleaned();
            super::check_lines(&seen.table, &r)?;
            Some(r)
        }
        _ => None,
    };
    let mut tx = Audited::begin(db).await?;
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
        Decided::Already(d) => return Err(already_decided(version, d)),
        Decided::Stale => return Err(AppError::field("version", "err-summary-stale")),
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
        .target(target(ctx))
        .detail(detail);
    tx.commit([e]).await?;
    Ok(())
}

// ---- the federation's view ----

/// The issuing org's readers see the overview; other readers of the campaign get 403.
pub async fn issuer_campaign(db: &Db, caller: &Caller, id: CampaignId) -> AppResult<Campaign> {
    let c = campaign_visible(db, caller, id).await?;
    if !caller.scope(Need::Read).contains(db, c.org_id).await? {
        return Err(AppError::Forbidden);
    }
    Ok(c)
}

/// The roll-up lines of a campaign: the units not under another unit, and
/// the issuing org's own level.
pub async fn rollup_lines(db: &Db, c: &Campaign, units: &[Unit]) -> AppResult<Lines> {
    let ids: Vec<OrgId> = units.iter().map(|u| u.org_id).collect();
    let nested = store::nested(db, &ids).await?;
    Ok(Lines {
        units: ids.into_iter().filter(|u| !nested.contains(u)).collect(),
        own: Some(c.org_id),
    })
}

/// Every participating unit's standing, with the campaign's units.
struct Standings {
    units: Vec<Unit>,
    rows: Vec<UnitRow>,
    completeness: Completeness,
}

async fn standings(db: &Db, read: &Scope, campaign: &Campaign) -> AppResult<Standings> {
    let id = campaign.id;
    let units = crate::campaign::store::units(db, id, None).await?;
    let records = store::records(db, id).await?;
    let facts = store::facts(db, read, id).await?;
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

/// The federation's view of a campaign's tables on `basis`.
pub async fn overview(
    db: &Db,
    caller: &Caller,
    id: CampaignId,
    basis: Basis,
) -> AppResult<Overview> {
    let campaign = issuer_campaign(db, caller, id).await?;
    let read = caller.scope(Need::Read);
    let st = standings(db, &read, &campaign).await?;
    let lines = rollup_lines(db, &campaign, &st.units).await?;
    let live = store::figures(db, &read, id, &lines).await?;
    let counted = match basis {
        Basis::Submitted => store::counted_tables(db, &read, id).await?,
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

/// The figures of every participating unit (its whole subtree) on `basis`:
/// on the submitted one a unit that adds nothing has none.
pub async fn unit_figures(
    db: &Db,
    caller: &Caller,
    o: &Overview,
) -> AppResult<HashMap<OrgId, LineFigures>> {
    let read = caller.scope(Need::Read);
    let id = o.campaign.id;
    Ok(match o.basis {
        Basis::Live => {
            let units: Vec<OrgId> = o.units.iter().map(|u| u.org_id).collect();
            store::unit_figures(db, &read, id, &units).await?
        }
        Basis::Submitted => store::counted_tables(db, &read, id)
            .await?
            .into_iter()
            .map(|(org, (_, t))| (org, LineFigures::reported(&t)))
            .collect(),
    })
}

// ---- drill-down ----

/// The drill-down a parameter names; anything else is refused with the
/// spellings it may take.
fn drill_of(raw: Option<&str>) -> AppResult<Drill> {
    raw.and_then(Drill::parse).ok_or_else(|| {
        let mut allowed: Vec<String> = FigureKey::CODES.iter().map(|c| c.to_string()).collect();
        allowed.push(
            "outcome:<worker|enterprise|union>:<solved|in_progress|planned|reference|open>".into(),
        );
        AppError::Validation(vec![
            FieldError::new("drill", "err-summary-drill").arg("allowed", allowed.join(", ")),
        ])
    })
}

async fn records(
    db: &Db,
    read: &Scope,
    campaign: CampaignId,
    lines: &Lines,
    line: OrgId,
    raw: Option<&str>,
) -> AppResult<Records> {
    let drill = drill_of(raw)?;
    let (rows, figure) = store::drill(db, read, campaign, lines, line, drill, DRILL_LIMIT).await?;
    Ok(Records {
        drill: drill.as_param(),
        figure,
        rows,
    })
}

/// The records behind one figure of a unit's table.
pub async fn unit_records(db: &Db, ctx: &Ctx, raw: Option<&str>) -> AppResult<Records> {
    let org = ctx.unit.org_id;
    records(db, &ctx.read, ctx.campaign.id, &Lines::unit(org), org, raw).await
}

/// The records behind one figure of a roll-up line (a unit, or the issuing
/// org's own level when `line` is none), with the campaign and the line's
/// name (none for the own level).
pub async fn rollup_records(
    db: &Db,
    caller: &Caller,
    id: CampaignId,
    line: Option<OrgId>,
    raw: Option<&str>,
) -> AppResult<(Campaign, Option<String>, Records)> {
    let campaign = issuer_campaign(db, caller, id).await?;
    let units = crate::campaign::store::units(db, id, None).await?;
    let lines = rollup_lines(db, &campaign, &units).await?;
    let line = line.unwrap_or(campaign.org_id);
    if !lines.units.contains(&line) && lines.own != Some(line) {
        return Err(AppError::NotFound);
    }
    let read = caller.scope(Need::Read);
    let r = records(db, &read, id, &lines, line, raw).await?;
    let name = (lines.own != Some(line)).then(|| {
        units
            .iter()
            .find(|u| u.org_id == line)
            .map(|u| u.name.clone())
            .unwrap_or_default()
    });
    Ok((campaign, name, r))
}

// ---- the tables the exports print ----

/// The unit's table for an export: a frozen version, or computed now; with
/// the export's name for it (`live` or `v<n>`).
pub async fn export_table(
    db: &Db,
    caller: &Caller,
    id: CampaignId,
    org: OrgId,
    version: Option<i64>,
) -> AppResult<(SummaryTable, String)> {
    let ctx = unit_ctx(db, caller, id, org).await?;
    match version {
        None => Ok((compute(db, &ctx, &ctx.record.choices).await?, "live".into())),
        Some(n) => {
            ctx.record.id.ok_or(AppError::NotFound)?;
            Ok((self::version(db, &ctx, n).await?.table, format!("v{n}")))
        }
    }
}

/// A roll-up for the exports on `basis`: each top-level unit's table (computed
/// now, or its counted version as frozen), the issuing org's own level
/// (本级, always computed now) and the 合计, the sum of those tables: each
/// figure as the tables report it, with the computed sum noted beside it
/// where units changed figures.
pub async fn rollup(
    db: &Db,
    caller: &Caller,
    id: CampaignId,
    basis: Basis,
) -> AppResult<(Rollup, Campaign)> {
    let campaign = issuer_campaign(db, caller, id).await?;
    let read = caller.scope(Need::Read);
    let st = standings(db, &read, &campaign).await?;
    let lines = rollup_lines(db, &campaign, &st.units).await?;
    let top: Vec<&Unit> = st
        .units
        .iter()
        .filter(|u| lines.units.contains(&u.org_id))
        .collect();
    let mut notes = Vec::new();
    let units: Vec<SummaryTable> = match basis {
        Basis::Live => {
            let records = store::records(db, id).await?;
            let choices: HashMap<OrgId, Choices> = records
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
            store::tables(db, &read, &campaign, &refs, &choices).await?
        }
        Basis::Submitted => {
            let mut counted = store::counted_tables(db, &read, id).await?;
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
                        crate::i18n::Lang::Zh.t(standing
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
    let own_figs = store::figures(db, &read, id, &lines)
        .await?
        .remove(&campaign.org_id)
        .unwrap_or_default();
    let head = || {
        store::head(
            &campaign,
            campaign.org_id,
            &campaign.org_code,
            &campaign.org_name,
        )
    };
    let own = store::totals_table(head(), &own_figs);
    let totals = sum_tables(
        head(),
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

/// Writes a download of `bytes` bytes named `name` to the audit log, as the
/// export of `org`'s data.
pub async fn record_export(
    db: &Db,
    caller: &Caller,
    org: OrgId,
    name: &str,
    bytes: usize,
) -> AppResult<()> {
    let e = Entry::by(caller, org, Action::Export)
        .target(format!("export:{name}"))
        .detail(format!("{bytes} bytes"));
    audit::store::record(db.pool(), &e).await?;
    Ok(())
}
