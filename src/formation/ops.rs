//! The use cases of union formation, shared by the pages and the API:
//! flagging an enterprise, the pipeline's steps and the founding, members
//! joined, applications from the join pages and their decisions, join links,
//! and the reads that audit what they show. Each write owns its transaction
//! and its audit entries; no HTTP here: no `Form`, `Json` or `Html`.

use super::{
    Application, ApplicationStatus, ApplyInput, DecisionInput, FlagInput, JoinInput, LinkInput,
    ListParams, MemberGroup, MemberParams, MembersPage, Pipeline, PipelineDetail, PipelinePage,
    Recorded, StageCount, StepInput, id_param,
    lifecycle::{Action, StageCode},
    parse_wish,
    store::{self, Actor, Founding, Link, MemberFilter, Opening},
};
use crate::{
    audit::{self, Action as AuditAction, Audited, Entry},
    auth::{Caller, Need},
    date::Day,
    db::{CampaignId, Db, EnterpriseId, OrgId},
    error::{AppError, AppResult, FieldError},
    org::OrgCode,
    web::{
        form::{self, Errors},
        ratelimit::Limiter,
    },
};

pub fn actor(caller: &Caller) -> Actor {
    Actor {
        user: Some(caller.user_id),
        name: caller.display_name.clone(),
    }
}

/// The page of pipelines a query asks for within the caller's read scope,
/// with the count at each stage; an `org` outside the scope is not found.
pub async fn list(db: &Db, caller: &Caller, p: &ListParams) -> AppResult<PipelinePage> {
    let scope = caller.require(Need::Read)?;
    let (f, paging) = p.parse()?;
    if let Some(org) = f.org {
        crate::org::store::get(db, &scope, org)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    let (items, total) = store::list(db, &scope, &f, paging.size, paging.offset()).await?;
    let stages = store::stage_counts(db, &scope, &f)
        .await?
        .into_iter()
        .filter_map(|(s, n)| {
            Some(StageCount {
                stage: StageCode::from_code(s)?,
                pipelines: n,
            })
        })
        .collect();
    Ok(PipelinePage {
        items,
        total,
        page: paging.page,
        page_size: paging.size,
        stages,
    })
}

pub async fn detail(db: &Db, caller: &Caller, id: i64) -> AppResult<PipelineDetail> {
    let pipeline = store::get(db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let can_act = caller
        .scope(Need::Write)
        .contains(db, pipeline.org_id)
        .await?;
    Ok(PipelineDetail {
        events: store::events(db, id).await?,
        pipeline,
        can_act,
    })
}

/// Resolves an enterprise named by id or credit code within the read scope.
pub async fn find_enterprise(
    db: &Db,
    caller: &Caller,
    field: &str,
    key: &str,
) -> AppResult<crate::enterprise::Enterprise> {
    let read = caller.scope(Need::Read);
    let key = key.trim();
    let id = match key.parse::<i64>() {
        Ok(id) if key.len() < 18 => Some(EnterpriseId(id)),
        _ => {
            crate::enterprise::store::id_by_credit_code(db, &read, &key.to_ascii_uppercase())
                .await?
        }
    };
    let found = match id {
        Some(id) => crate::enterprise::store::get(db, &read, id).await?,
        None => None,
    };
    found.ok_or_else(|| {
        AppError::Validation(vec![
            FieldError::new(field, "err-enterprise-unknown").arg("value", key),
        ])
    })
}

/// Flags an enterprise: opens its pipeline (or answers with the open one).
pub async fn flag(db: &Db, caller: &Caller, input: &FlagInput) -> AppResult<(i64, bool)> {
    let write = caller.require(Need::Write)?;
    let mut errs = Errors::default();
    let wish = parse_wish(&mut errs, "wish", &input.wish);
    let campaign = id_param(&mut errs, "campaign_id", &input.campaign_id).map(CampaignId);
    let client_id = form::opt(&input.client_id);
    if let Some(c) = &client_id
        && !crate::activity::valid_client_id(c)
    {
        errs.push(FieldError::new("client_id", "err-client-id"));
    }
    let enterprise = match form::opt(&input.enterprise) {
        None => {
            errs.push(FieldError::new("enterprise", "err-required"));
            None
        }
        Some(key) => match find_enterprise(db, caller, "enterprise", &key).await {
            Ok(e) => Some(e),
            Err(AppError::Validation(fs)) => {
                errs.0.extend(fs);
                None
            }
            Err(e) => return Err(e),
        },
    };
    errs.finish()?;
    let (Some(e), Some(wish)) = (enterprise, wish) else {
        return Err(AppError::BadRequest("unparsed flag"));
    };
    let org = match form::opt(&input.org_code) {
        Some(code) => crate::org::store::get_by_code(db, &write, &code)
            .await?
            .map(|o| o.id)
            .ok_or_else(|| AppError::field("org_code", "err-org-out-of-scope"))?,
        None if write.contains(db, e.org_id).await? => e.org_id,
        None => caller.recording_org(db, None).await?,
    };
    if let Some(c) = campaign
        && !crate::activity::store::campaign_open_to(db, c, org).await?
    {
        return Err(AppError::field("campaign_id", "err-campaign-not-open"));
    }
    let mut tx = Audited::begin(db).await?;
    let opening = Opening {
        org,
        enterprise: e.id,
        campaign,
        activity: None,
        client_id,
        wish,
        on: Day::today(),
    };
    let (id, created) = store::open(&mut tx, &opening, &actor(caller)).await?;
    let entry = created.then(|| {
        Entry::by(caller, org, AuditAction::FormationFlagged)
            .target(format!("formation:{id}"))
            .detail(format!("enterprise:{} {}", e.id, wish.as_str()))
    });
    tx.commit(entry).await?;
    Ok((id, created))
}

/// Takes one step on a pipeline the caller may write to.
pub async fn take_step(db: &Db, caller: &Caller, id: i64, input: &StepInput) -> AppResult<()> {
    let p = store::get(db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let write = caller.require(Need::Write)?;
    if !write.contains(db, p.org_id).await? {
        return Err(AppError::Forbidden);
    }
    let reason = || form::opt(&input.reason).unwrap_or_default();
    let action = match form::opt(&input.action).as_deref() {
        Some("prepare" | "resume") => Action::Prepare,
        Some("stall") => Action::Stall { reason: reason() },
        Some("drop") => Action::Drop { reason: reason() },
        Some("flag") => {
            let mut errs = Errors::default();
            let wish = parse_wish(&mut errs, "wish", &input.wish);
            errs.finish()?;
            Action::Flag(wish.ok_or(AppError::BadRequest("unparsed wish"))?)
        }
        Some("found") => return found(db, caller, &p, input).await,
        None => return Err(AppError::field("action", "err-required")),
        Some(_) => return Err(AppError::field("action", "err-fm-action")),
    };
    if let Some(r) = action.reason()
        && r.chars().count() > 500
    {
        return Err(AppError::Validation(vec![
            FieldError::new("reason", "err-too-long").arg("max", 500),
        ]));
    }
    let mut tx = Audited::begin(db).await?;
    let next = store::step(&mut tx, id, action, &actor(caller)).await?;
    let entry = Entry::by(caller, p.org_id, AuditAction::FormationStep)
        .target(format!("formation:{id}"))
        .detail(next.code());
    tx.commit(Some(entry)).await?;
    Ok(())
}

/// The founding step: the new union's fields, its parent (write scope), then
/// one transaction through `store::found`.
pub async fn found(db: &Db, caller: &Caller, p: &Pipeline, input: &StepInput) -> AppResult<()> {
    let write = caller.require(Need::Write)?;
    let mut errs = Errors::default();
    let on = errs.take(Day::parse_req("founded_on", &input.founded_on));
    if let Some(d) = on
        && d > Day::today()
    {
        errs.push(FieldError::new("founded_on", "err-future-date"));
    }
    let name = match form::opt(&input.union_name) {
        None => Some(format!("{}工会委员会", p.enterprise_name)),
        Some(_) => errs.take(form::required("union_name", &input.union_name, 100)),
    };
    let code_raw = form::opt(&input.union_code).unwrap_or_else(|| format!("JC-{}", p.credit_code));
    let code = errs.take(OrgCode::parse("union_code", &code_raw));
    let parent = match form::opt(&input.parent_code) {
        Some(c) => match crate::org::store::get_by_code(db, &write, &c).await? {
            Some(o) => Some(o.id),
            None => {
                errs.push(FieldError::new("parent_code", "err-org-out-of-scope"));
                None
            }
        },
        None => {
            let jurisdiction: OrgId =
                sqlx::query_scalar("SELECT org_id FROM enterprises WHERE id = $1")
                    .bind(p.enterprise_id)
                    .fetch_one(db.pool())
                    .await?;
            if write.contains(db, jurisdiction).await? {
                Some(jurisdiction)
            } else {
                errs.push(FieldError::new("parent_code", "err-required"));
                None
            }
        }
    };
    errs.finish()?;
    let (Some(on), Some(name), Some(code), Some(parent)) = (on, name, code, parent) else {
        return Err(AppError::BadRequest("unparsed founding"));
    };
    let f = Founding {
        on,
        parent,
        name: name.clone(),
        code,
    };
    let mut tx = Audited::begin(db).await?;
    let union = store::found(&mut tx, p.id, &f, &actor(caller))
        .await
        .map_err(|e| match e {
            AppError::Validation(fs) => AppError::Validation(
                fs.into_iter()
                    .map(|fe| FieldError {
                        field: match fe.field.as_str() {
                            "code" => "union_code".into(),
                            "kind" => "parent_code".into(),
                            "name" => "union_name".into(),
                            _ => fe.field,
                        },
                        ..fe
                    })
                    .collect(),
            ),
            other => other,
        })?;
    let created = Entry::by(caller, union, AuditAction::OrgCreated)
        .target(format!("org:{union}"))
        .detail(&name);
    let entry = Entry::by(caller, p.org_id, AuditAction::UnionFounded)
        .target(format!("formation:{}", p.id))
        .detail(format!("org:{union} {name}"));
    tx.commit([created, entry]).await?;
    Ok(())
}

pub async fn members(db: &Db, caller: &Caller, p: &MemberParams) -> AppResult<MembersPage> {
    let scope = caller.require(Need::Read)?;
    let mut errs = Errors::default();
    let campaign = id_param(&mut errs, "campaign", &p.campaign).map(CampaignId);
    let org = id_param(&mut errs, "org", &p.org).map(OrgId);
    let enterprise = id_param(&mut errs, "enterprise", &p.enterprise).map(EnterpriseId);
    errs.finish()?;
    let root = match org {
        Some(o) => o,
        None if scope.contains(db, caller.home_org).await? => caller.home_org,
        None => scope.roots()[0],
    };
    let org = crate::org::store::get(db, &scope, root)
        .await?
        .ok_or(AppError::NotFound)?;
    let f = MemberFilter {
        campaign,
        org: Some(root),
        enterprise,
    };
    let rows = store::member_table(db, &scope, root, &f).await?;
    let mut totals = vec![0; MemberGroup::ALL.len()];
    for r in &rows {
        for (t, n) in totals.iter_mut().zip(&r.by_group) {
            *t += n;
        }
    }
    Ok(MembersPage {
        org_id: org.id,
        org_name: org.name,
        groups: MemberGroup::ALL.to_vec(),
        total: totals.iter().sum(),
        totals,
        rows,
        recent: store::joins(db, &scope, &f, 30).await?,
    })
}

pub async fn record_members(db: &Db, caller: &Caller, input: &JoinInput) -> AppResult<Recorded> {
    let write = caller.require(Need::Write)?;
    let f = input.parse(Day::today())?;
    let enterprise = match &f.enterprise {
        Some(key) => Some(find_enterprise(db, caller, "enterprise", key).await?),
        None => None,
    };
    let org = match &f.org_code {
        Some(code) => crate::org::store::get_by_code(db, &write, code)
            .await?
            .map(|o| o.id)
            .ok_or_else(|| AppError::field("org_code", "err-org-out-of-scope"))?,
        None => match enterprise.as_ref().and_then(|e| e.union_org_id) {
            Some(u) if write.contains(db, u).await? => u,
            _ => caller.recording_org(db, None).await?,
        },
    };
    if let Some(c) = f.campaign
        && !crate::activity::store::campaign_open_to(db, c, org).await?
    {
        return Err(AppError::field("campaign_id", "err-campaign-not-open"));
    }
    let mut tx = Audited::begin(db).await?;
    let (id, created) = store::insert_join(
        &mut tx,
        org,
        enterprise.map(|e| e.id),
        &f,
        Some(caller.user_id),
    )
    .await?;
    let entry = created.then(|| {
        Entry::by(caller, org, AuditAction::MembersRecorded)
            .target(format!("member_joins:{id}"))
            .detail(format!("{} {}", f.group.as_str(), f.members))
    });
    tx.commit(entry).await?;
    Ok(Recorded { id, created })
}

/// Applications readable by the caller, names and phones shown to those who
/// may act on them (the view audited) and masked for the rest.
pub async fn visible_applications(
    db: &Db,
    caller: &Caller,
    status: Option<ApplicationStatus>,
) -> AppResult<Vec<(Application, bool)>> {
    let scope = caller.require(Need::Read)?;
    let items = store::applications(db, &scope, status, 500).await?;
    let write = caller.scope(Need::Write);
    let mut out = Vec::with_capacity(items.len());
    let mut shown = 0;
    for a in items {
        let can = write.contains(db, a.org_id).await?;
        if can {
            shown += 1;
            out.push((a, true));
        } else {
            out.push((a.masked(), false));
        }
    }
    if shown > 0 {
        let entry = Entry::by(caller, caller.home_org, AuditAction::PersonalDataViewed)
            .target("join_applications")
            .detail(format!("{shown} applicants"));
        audit::store::record(db.pool(), &entry).await?;
    }
    Ok(out)
}

pub async fn decide(db: &Db, caller: &Caller, id: i64, input: &DecisionInput) -> AppResult<()> {
    let a = store::application(db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let write = caller.require(Need::Write)?;
    if !write.contains(db, a.org_id).await? {
        return Err(AppError::Forbidden);
    }
    let confirm = match form::opt(&input.decision).as_deref() {
        Some("confirm") => true,
        Some("decline") => false,
        None => return Err(AppError::field("decision", "err-required")),
        Some(_) => return Err(AppError::field("decision", "err-fm-decision")),
    };
    let mut errs = Errors::default();
    let reason = errs
        .take(form::optional("reason", &input.reason, 200))
        .flatten();
    errs.finish()?;
    let mut tx = Audited::begin(db).await?;
    store::decide(&mut tx, id, confirm, reason, caller.user_id).await?;
    let entry = Entry::by(caller, a.org_id, AuditAction::JoinApplicationDecided)
        .target(format!("join_application:{id}"))
        .detail(if confirm { "confirmed" } else { "declined" });
    tx.commit(Some(entry)).await?;
    Ok(())
}

pub async fn create_link(db: &Db, caller: &Caller, input: &LinkInput) -> AppResult<Link> {
    let write = caller.require(Need::Write)?;
    let code =
        form::opt(&input.org_code).ok_or_else(|| AppError::field("org_code", "err-required"))?;
    let org = crate::org::store::get_by_code(db, &write, &code)
        .await?
        .ok_or_else(|| AppError::field("org_code", "err-org-out-of-scope"))?;
    if org.kind == crate::org::OrgKind::Department {
        return Err(AppError::field("org_code", "err-fm-department"));
    }
    let mut tx = Audited::begin(db).await?;
    let link = store::ensure_link(&mut tx, org.id, Some(caller.user_id)).await?;
    let entry =
        Entry::by(caller, org.id, AuditAction::JoinLinkCreated).target(format!("org:{}", org.id));
    tx.commit(Some(entry)).await?;
    store::link_by_code(db, &link)
        .await?
        .ok_or(AppError::NotFound)
}

/// Checks and stores an application from a union's join page: a retry of the
/// same form (same client id) finds the first before it counts against
/// `limiter` (keyed by the client's address). The receipt code, and whether
/// this request stored it.
pub async fn apply(
    db: &Db,
    link: &Link,
    input: &ApplyInput,
    (limiter, client): (&Limiter, &str),
) -> AppResult<(String, bool)> {
    let f = input.parse()?;
    let mut tx = Audited::begin(db).await?;
    if let Some(receipt) = store::receipt_of(&mut tx, link.org_id, &f.client_id).await? {
        return Ok((receipt, false));
    }
    limiter.hit(&format!("join:{client}"))?;
    let (receipt, created) = store::submit_application(&mut tx, link.org_id, &f).await?;
    tx.commit(None).await?;
    Ok((receipt, created))
}
