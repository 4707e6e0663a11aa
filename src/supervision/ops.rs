//! The use cases of supervision, shared by the pages and the API: the grid
//! and a unit's timeline (reads), chasing and confirming receipt (writes,
//! each in one transaction with its audit entries and notices), and what a
//! campaign's issue sends. No HTTP here: no `Form`, `Json` or `Html`.
//!
//! Who may do what:
//! - the grid of a campaign's units: readers of the issuing org see every
//!   unit; a unit's readers see their own unit's row; others get 404;
//! - one level down (`?org=`): readers of that org or of the issuing org,
//!   when the org is a unit or lies under one; others 404;
//! - chase: writers over the level that chases (the issuing org for its
//!   units, a unit for its child orgs); readers who may not write get 403;
//! - receipt: writers over a participating unit; readers get 403.

use std::collections::HashSet;

use super::{
    CampaignPanel, ChaseFields, ChaseInput, ChaseKind, ChaseResult, Clock, Grid, GridQuery,
    LevelInfo, ReceiptResult, Timeline,
    store::{self, Chase, Chaser, Level},
};
use crate::{
    audit::{Action, Audited, Entry},
    auth::{Caller, Need, Scope},
    campaign::{Campaign, CampaignStatus, Unit},
    config::ReminderSettings,
    date::Day,
    db::{CampaignId, Db, DbError, OrgId, Tx},
    error::{AppError, AppResult, FieldError},
    notify::{self, Kind, Notice},
};

/// A grid the caller may open: the campaign, its rows' level and the scope
/// its figures are read with.
pub struct Ctx {
    pub campaign: Campaign,
    /// Every participating unit, in tree order.
    pub units: Vec<Unit>,
    pub level: Level,
    /// The org one level down, if any.
    pub below: Option<(OrgId, String)>,
    pub read: Scope,
}

/// The campaign if the caller sees it and it was issued; else 404.
async fn issued(db: &Db, caller: &Caller, id: CampaignId) -> AppResult<Campaign> {
    let c = crate::campaign::store::get(db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if c.status == CampaignStatus::Draft {
        return Err(AppError::NotFound);
    }
    Ok(c)
}

/// Whether `org` is a unit of the campaign or lies under one.
async fn under_units(db: &Db, units: &[Unit], org: OrgId) -> AppResult<bool> {
    let ids: Vec<OrgId> = units.iter().map(|u| u.org_id).collect();
    Ok(store::under_any(db, &ids, org).await?)
}

/// Whether the caller reads `org` directly or as a reader of the issuing org.
async fn reads(db: &Db, read: &Scope, c: &Campaign, org: OrgId) -> AppResult<bool> {
    Ok(read.contains(db, c.org_id).await? || read.contains(db, org).await?)
}

/// The grid the caller may open: the units, or one level `below` a unit.
pub async fn ctx(db: &Db, caller: &Caller, id: CampaignId, below: Option<OrgId>) -> AppResult<Ctx> {
    let campaign = issued(db, caller, id).await?;
    let read = caller.scope(Need::Read);
    let units = crate::campaign::store::units(db, id, None).await?;
    let (level, below) = match below {
        Some(org) => {
            if !under_units(db, &units, org).await? || !reads(db, &read, &campaign, org).await? {
                return Err(AppError::NotFound);
            }
            let name = store::org_name(db, org).await?;
            (Level::Children(org), Some((org, name)))
        }
        None => {
            let rows = if read.contains(db, campaign.org_id).await? {
                units.clone()
            } else {
                let mut mine = Vec::new();
                for u in &units {
                    if read.contains(db, u.org_id).await? {
                        mine.push(u.clone());
                    }
                }
                mine
            };
            if rows.is_empty() {
                return Err(AppError::NotFound);
            }
            (Level::Units(rows), None)
        }
    };
    Ok(Ctx {
        campaign,
        units,
        level,
        below,
        read,
    })
}

/// The org that chases at this level: the issuing org, or the org one level down.
fn chasing_org(ctx: &Ctx) -> (OrgId, String) {
    match &ctx.below {
        Some(b) => b.clone(),
        None => (ctx.campaign.org_id, ctx.campaign.org_name.clone()),
    }
}

/// The grid a query asks for (the level it names, then its sort and filters).
pub async fn grid(
    db: &Db,
    reminders: &ReminderSettings,
    caller: &Caller,
    id: CampaignId,
    q: &GridQuery,
) -> AppResult<(Grid, Ctx)> {
    let ctx = ctx(db, caller, id, q.org()?).await?;
    let g = grid_of(db, reminders, caller, &ctx, q).await?;
    Ok((g, ctx))
}

async fn grid_of(
    db: &Db,
    reminders: &ReminderSettings,
    caller: &Caller,
    ctx: &Ctx,
    q: &GridQuery,
) -> AppResult<Grid> {
    let c = &ctx.campaign;
    let today = Day::today();
    let days = crate::workday::store::workdays(db).await?;
    let issued_on = store::issued_on(db, c).await?;
    let clock = Clock {
        days: &days,
        today,
        issued: issued_on,
        window_end: c.ends_on,
        report_due: c.report_due_on,
        horizon: reminders.days_before,
        plan_days: reminders.open_days,
    };
    let mut rows = store::grid(db, &ctx.read, c, &ctx.level, today).await?;
    for r in &mut rows {
        r.lights = super::lights(r, &clock);
    }
    let on_time = store::on_time(db, &ctx.read, c.id).await?;
    let totals = super::totals(&rows, &|o| on_time.get(&o).copied().unwrap_or(true));
    let filter = q.filter();
    rows.retain(|r| filter.keeps(r));
    let (sort, desc) = (q.column(), q.desc());
    super::sort(&mut rows, sort, desc);
    let chaser = chasing_org(ctx).0;
    let can_chase = c.status == CampaignStatus::Active
        && caller.scope(Need::Write).contains(db, chaser).await?;
    Ok(Grid {
        campaign_id: c.id,
        title: c.title.clone(),
        level: ctx.below.as_ref().map(|(org_id, name)| LevelInfo {
            org_id: *org_id,
            name: name.clone(),
        }),
        today,
        issued_on,
        report_due_on: c.report_due_on,
        totals,
        rows,
        sort,
        desc,
        can_chase,
    })
}

/// Chases units (or, with `level`, that unit's child orgs) in one action:
/// each new chase gets an audit entry and a notice to the org's cadres and
/// admins, in one transaction. A retried action (same client id) chases no
/// one again.
pub async fn chase(
    db: &Db,
    caller: &Caller,
    id: CampaignId,
    input: &ChaseInput,
) -> AppResult<ChaseResult> {
    let ctx = ctx(db, caller, id, input.level).await?;
    let (from, from_name) = chasing_org(&ctx);
    if !caller.scope(Need::Write).contains(db, from).await? {
        return Err(AppError::Forbidden);
    }
    if ctx.campaign.status != CampaignStatus::Active {
        return Err(AppError::field("status", "err-sv-not-active"));
    }
    let f = input.parse()?;
    let rows: HashSet<OrgId> = match &ctx.level {
        Level::Units(_) => ctx.units.iter().map(|u| u.org_id).collect(),
        Level::Children(org) => store::children(db, *org)
            .await?
            .into_iter()
            .map(|c| c.0)
            .collect(),
    };
    if let Some((i, bad)) = f
        .org_ids
        .iter()
        .enumerate()
        .find(|(_, o)| !rows.contains(o))
    {
        return Err(AppError::Validation(vec![
            FieldError::new(format!("org_ids[{i}]"), "err-chase-not-row").arg("id", bad),
        ]));
    }
    let units: HashSet<OrgId> = ctx.units.iter().map(|u| u.org_id).collect();
    let who = Chaser {
        from: (from, &from_name),
        user: Some(caller.user_id),
        username: Some(&caller.username),
        display_name: &caller.display_name,
        ip: caller.ip.as_deref(),
    };
    let mut tx = Audited::begin(db).await?;
    let (chases, created) = record_chases(&mut tx, &ctx.campaign, &units, &who, &f).await?;
    tx.commit([]).await?;
    Ok(ChaseResult { created, chases })
}

/// Records one chase of each org of `f` inside `tx`, each new one with its
/// audit entry and a [`Kind::Chased`] notice to the org's cadres and admins;
/// `units` are the campaign's units (a chase to report opens a unit's own
/// table). The chases of the action, and how many are new.
pub async fn record_chases(
    tx: &mut Tx,
    c: &Campaign,
    units: &HashSet<OrgId>,
    who: &Chaser<'_>,
    f: &ChaseFields,
) -> Result<(Vec<Chase>, u64), DbError> {
    let (chases, created) = store::chase(tx, c, who, f).await?;
    for (org, chase_id) in &created {
        let e = Entry {
            org_id: Some(*org),
            user_id: who.user,
            username: who.username.map(str::to_string),
            action: Action::Chased,
            target: Some(format!("chase:{chase_id}")),
            detail: Some(format!("campaign:{} {} {}", c.id, f.kind, f.message)),
            ip: who.ip.map(str::to_string),
        };
        crate::audit::store::record(&mut **tx, &e).await?;
        // 催报 opens the unit's own summary table; a child org below the
        // units has none, so it, like 催办, opens the campaign.
        let link = if f.kind == ChaseKind::Report && units.contains(org) {
            format!("/campaigns/{}/summary/{org}", c.id)
        } else {
            format!("/campaigns/{}", c.id)
        };
        let notice = Notice::new(Kind::Chased, *org, link, format!("chase:{chase_id}"))
            .arg("from", who.from.1)
            .arg("campaign", &c.title)
            .arg("message", &f.message);
        let to = notify::store::recipients(tx, *org).await?;
        notify::store::notify(tx, &notice, &to).await?;
    }
    Ok((chases, created.len() as u64))
}

/// One org's timeline in the campaign.
pub async fn timeline(db: &Db, caller: &Caller, id: CampaignId, org: OrgId) -> AppResult<Timeline> {
    let c = issued(db, caller, id).await?;
    let read = caller.scope(Need::Read);
    let units = crate::campaign::store::units(db, id, None).await?;
    if !under_units(db, &units, org).await? || !reads(db, &read, &c, org).await? {
        return Err(AppError::NotFound);
    }
    let name = store::org_name(db, org).await?;
    let events = store::timeline(db, &read, id, org).await?;
    Ok(Timeline {
        campaign_id: id,
        title: c.title,
        org_id: org,
        name,
        is_unit: units.iter().any(|u| u.org_id == org),
        events,
    })
}

/// Confirms receipt (签收) of campaign `id` for `org`, or the one unit the
/// caller writes for; a second confirmation changes nothing.
pub async fn receive(
    db: &Db,
    caller: &Caller,
    id: CampaignId,
    org: Option<OrgId>,
) -> AppResult<ReceiptResult> {
    let c = issued(db, caller, id).await?;
    let read = caller.scope(Need::Read);
    let write = caller.scope(Need::Write);
    let units = crate::campaign::store::units(db, id, None).await?;
    let unit = match org {
        Some(org) => {
            if !units.iter().any(|u| u.org_id == org) || !reads(db, &read, &c, org).await? {
                return Err(AppError::NotFound);
            }
            if !write.contains(db, org).await? {
                return Err(AppError::Forbidden);
            }
            org
        }
        None => {
            let mut mine = Vec::new();
            for u in &units {
                if write.contains(db, u.org_id).await? {
                    mine.push(u.org_id);
                }
            }
            match mine.as_slice() {
                [] => return Err(AppError::Forbidden),
                [one] => *one,
                _ => return Err(AppError::field("org", "err-receipt-which")),
            }
        }
    };
    if c.status != CampaignStatus::Active {
        return Err(AppError::field("status", "err-sv-not-active"));
    }
    let mut tx = Audited::begin(db).await?;
    let (receipt, created) = store::confirm(
        &mut tx,
        id,
        unit,
        (Some(caller.user_id), &caller.display_name),
    )
    .await?;
    let entry = created.then(|| {
        Entry::by(caller, unit, Action::CampaignReceived)
            .target(format!("campaign:{id}"))
            .detail(c.title.clone())
    });
    tx.commit(entry).await?;
    Ok(ReceiptResult { receipt, created })
}

/// The campaign became active: records when it was first issued and tells
/// each participating unit's cadres and admins to confirm receipt (签收), in
/// the issuing write's transaction. Called again (reopened, units added) it
/// notifies only units not told yet: the dedup key names the campaign and
/// the unit.
pub async fn on_issued(tx: &mut Tx, campaign: &Campaign) -> Result<u64, DbError> {
    store::mark_issued(tx, campaign.id).await?;
    let mut created = 0;
    for unit in store::unit_ids(tx, campaign.id).await? {
        let notice = Notice::new(
            Kind::CampaignIssued,
            unit,
            format!("/campaigns/{}", campaign.id),
            format!("campaign_issued:{}:unit:{unit}", campaign.id),
        )
        .arg("from", &campaign.org_name)
        .arg("campaign", &campaign.title)
        .arg("due", campaign.report_due_on.iso());
        let to = notify::store::recipients(tx, unit).await?;
        created += notify::store::notify(tx, &notice, &to).await?;
    }
    Ok(created)
}

/// The panel of `c` for `caller` on the campaign page (empty for a draft).
pub async fn campaign_panel(db: &Db, caller: &Caller, c: &Campaign) -> AppResult<CampaignPanel> {
    let mut p = CampaignPanel::default();
    if c.status == CampaignStatus::Draft {
        return Ok(p);
    }
    let read = caller.scope(Need::Read);
    let write = caller.scope(Need::Write);
    let issuer_reader = read.contains(db, c.org_id).await?;
    let issuer_writer = write.contains(db, c.org_id).await?;
    p.grid = issuer_reader;
    for u in crate::campaign::store::units(db, c.id, None).await? {
        // The issuing office does not confirm its own notice; a unit does.
        if issuer_writer || !read.contains(db, u.org_id).await? {
            continue;
        }
        p.grid = true;
        match store::receipt(db, &read, c.id, u.org_id).await? {
            Some(r) => p.confirmed.push((u.name.clone(), r)),
            None if c.status == CampaignStatus::Active && write.contains(db, u.org_id).await? => {
                p.to_confirm.push((u.org_id, u.name.clone()));
            }
            None => {}
        }
    }
    Ok(p)
}

/// Writes a download of the grid to the audit log, as an export of `owner`'s data.
pub async fn record_export(
    db: &Db,
    caller: &Caller,
    owner: OrgId,
    name: &str,
    bytes: usize,
) -> AppResult<()> {
    let e = Entry::by(caller, owner, Action::Export)
        .target(format!("export:{name}"))
        .detail(format!("{bytes} bytes"));
    crate::audit::store::record(db.pool(), &e).await?;
    Ok(())
}
