//! Union-formation pages: the pipeline board, a pipeline with its timeline
//! and steps, the founding form, members joined by group × org, applications
//! from the join pages, and the join links. Writes go through `ops`, like the
//! API's.

use askama::Template;
use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    AppParams, Application, DecisionInput, Event, FlagInput, JoinInput, LinkInput, ListParams,
    MemberGroup, MemberParams, MembersPage, Pipeline, PipelineDetail, PipelinePage, StepInput,
    lifecycle::{Stage, Wish},
    ops,
    store::{self, Link, MemberRow},
};
use crate::{
    activity::store::CampaignChoice,
    auth::{Caller, Need, random_token},
    date::Day,
    db::{EnterpriseId, OrgId},
    error::{AppError, AppResult},
    web::{
        AppState, Form, Path, Query,
        errors::urlencode,
        form::{self, submitted},
        page::{Chrome, render},
    },
};

#[derive(Template)]
#[template(path = "formation/board.html")]
struct BoardPage {
    c: Chrome,
    d: PipelinePage,
    p: ListParams,
    campaigns: Vec<CampaignChoice>,
    pages: i64,
    query: String,
    base_query: String,
}

impl BoardPage {
    fn sel(&self, v: &Option<String>, want: &str) -> bool {
        v.as_deref().map(str::trim) == Some(want)
    }

    fn stage_link(&self, stage: &str) -> String {
        if self.base_query.is_empty() {
            format!("/formation?stage={stage}")
        } else {
            format!("/formation?stage={stage}&{}", self.base_query)
        }
    }

    fn all_count(&self) -> i64 {
        self.d.stages.iter().map(|s| s.pipelines).sum()
    }

    fn all_link(&self) -> String {
        format!("/formation?{}", self.base_query)
    }

    fn pager(&self, page: i64) -> String {
        format!("/formation?page={page}&{}", self.query)
    }

    fn stage_key(&self, s: &str) -> String {
        format!("fm-stage-{s}")
    }
}

pub(super) async fn board_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let d = ops::list(&state.db, &caller, &p).await?;
    let query = p.query(true);
    render(BoardPage {
        c: Chrome::for_caller(&caller, &format!("/formation?{query}")),
        pages: (d.total + d.page_size - 1) / d.page_size,
        d,
        campaigns: crate::activity::store::campaign_choices(&state.db, &caller.scope(Need::Read))
            .await?,
        base_query: p.query(false),
        query,
        p,
    })
}

#[derive(Template)]
#[template(path = "formation/detail.html")]
struct DetailPage {
    c: Chrome,
    d: PipelineDetail,
    errors: Vec<(String, String)>,
    input: StepInput,
    wishes: Vec<Wish>,
}

impl DetailPage {
    fn stage_key(&self, s: &str) -> String {
        format!("fm-stage-{s}")
    }

    fn event_key(&self, e: &Event) -> String {
        format!("fm-event-{}", e.kind)
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    fn stage(&self) -> &'static str {
        self.d.pipeline.stage.code()
    }

    fn reason(&self) -> Option<&str> {
        match &self.d.pipeline.stage {
            Stage::Stalled { reason } | Stage::Dropped { reason } => Some(reason),
            _ => None,
        }
    }

    fn founded(&self) -> Option<(Day, OrgId)> {
        match &self.d.pipeline.stage {
            Stage::Founded { on, union_org } => Some((*on, *union_org)),
            _ => None,
        }
    }
}

async fn detail_render(
    state: &AppState,
    caller: &Caller,
    id: i64,
    input: StepInput,
    errors: Vec<(String, String)>,
) -> AppResult<DetailPage> {
    Ok(DetailPage {
        c: Chrome::for_caller(caller, &format!("/formation/{id}")),
        d: ops::detail(&state.db, caller, id).await?,
        errors,
        input,
        wishes: Wish::ALL.to_vec(),
    })
}

pub(super) async fn detail_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    render(detail_render(&state, &caller, id, StepInput::default(), Vec::new()).await?)
}

pub(super) async fn step_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(input): Form<StepInput>,
) -> AppResult<Response> {
    let r = ops::take_step(&state.db, &caller, id, &input).await;
    submitted(
        &caller,
        r,
        |()| format!("/formation/{id}"),
        |errors| detail_render(&state, &caller, id, input, errors.0),
    )
    .await
}

#[derive(Template)]
#[template(path = "formation/found.html")]
struct FoundPage {
    c: Chrome,
    p: Pipeline,
    input: StepInput,
    errors: Vec<(String, String)>,
    parents: Vec<(String, String)>,
    today: String,
}

impl FoundPage {
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

async fn found_render(
    state: &AppState,
    caller: &Caller,
    id: i64,
    input: Option<StepInput>,
    errors: Vec<(String, String)>,
) -> AppResult<FoundPage> {
    let p = store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let write = caller.require(Need::Write)?;
    if !write.contains(&state.db, p.org_id).await? {
        return Err(AppError::Forbidden);
    }
    let jurisdiction: (String, String) = sqlx::query_as(
        "SELECT o.code, o.name FROM enterprises e JOIN orgs o ON o.id = e.org_id WHERE e.id = $1",
    )
    .bind(p.enterprise_id)
    .fetch_one(state.db.pool())
    .await?;
    // The orgs the caller may write to that a union may sit under: the
    // jurisdiction first, then the tracking org, then the caller's roots.
    let mut parents: Vec<(String, String)> = Vec::new();
    let j_id = crate::org::store::id_by_code(&state.db, &jurisdiction.0).await?;
    if let Some(j) = j_id
        && write.contains(&state.db, j).await?
    {
        parents.push(jurisdiction.clone());
    }
    for o in std::iter::once(p.org_id).chain(write.roots().iter().copied()) {
        if let Some(org) = crate::org::store::get(&state.db, &write, o).await?
            && org.kind != crate::org::OrgKind::Department
            && !parents.iter().any(|(c, _)| *c == org.code)
        {
            parents.push((org.code, org.name));
        }
    }
    let input = input.unwrap_or_else(|| StepInput {
        action: Some("found".into()),
        founded_on: Some(Day::today().iso()),
        union_name: Some(format!("{}工会委员会", p.enterprise_name)),
        union_code: Some(format!("JC-{}", p.credit_code)),
        parent_code: parents.first().map(|(c, _)| c.clone()),
        ..Default::default()
    });
    Ok(FoundPage {
        c: Chrome::for_caller(caller, &format!("/formation/{id}/found")),
        p,
        input,
        errors,
        parents,
        today: Day::today().iso(),
    })
}

pub(super) async fn found_form_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    render(found_render(&state, &caller, id, None, Vec::new()).await?)
}

pub(super) async fn found_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(mut input): Form<StepInput>,
) -> AppResult<Response> {
    input.action = Some("found".into());
    let r = ops::take_step(&state.db, &caller, id, &input).await;
    submitted(
        &caller,
        r,
        |()| format!("/formation/{id}"),
        |errors| found_render(&state, &caller, id, Some(input), errors.0),
    )
    .await
}

pub(super) async fn flag_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EnterpriseId>,
    Form(mut input): Form<FlagInput>,
) -> AppResult<Response> {
    input.enterprise = Some(id.to_string());
    match ops::flag(&state.db, &caller, &input).await {
        Ok((pid, _)) => Ok(Redirect::to(&format!("/formation/{pid}")).into_response()),
        Err(AppError::Validation(fs)) => {
            let msg = fs
                .iter()
                .map(|f| f.message(caller.lang))
                .collect::<Vec<_>>()
                .join(" ");
            Ok(Redirect::to(&format!(
                "/enterprises/{id}?formation_error={}",
                urlencode(&msg)
            ))
            .into_response())
        }
        Err(e) => Err(e),
    }
}

/// What the enterprise page shows about union formation.
pub struct EnterprisePanel {
    pub pipelines: Vec<Pipeline>,
    pub wishes: Vec<Wish>,
    pub client_id: String,
    pub error: Option<String>,
}

impl EnterprisePanel {
    /// The open pipeline, if any.
    pub fn open(&self) -> Option<&Pipeline> {
        self.pipelines.iter().find(|p| p.stage.is_open())
    }
}

/// The enterprise page's union-formation panel (`templates/formation/_enterprise.html`).
pub async fn enterprise_panel(
    state: &AppState,
    caller: &Caller,
    enterprise: EnterpriseId,
    error: Option<String>,
) -> AppResult<EnterprisePanel> {
    Ok(EnterprisePanel {
        pipelines: store::of_enterprise(&state.db, &caller.scope(Need::Read), enterprise).await?,
        wishes: Wish::ALL.to_vec(),
        client_id: random_token(12),
        error,
    })
}

#[derive(Template)]
#[template(path = "formation/members.html")]
struct MembersHtml {
    c: Chrome,
    d: MembersPage,
    p: MemberParams,
    campaigns: Vec<CampaignChoice>,
    input: JoinInput,
    errors: Vec<(String, String)>,
    today: String,
    saved: bool,
}

impl MembersHtml {
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    fn sel(&self, v: &Option<String>, want: &str) -> bool {
        v.as_deref().map(str::trim) == Some(want)
    }

    /// The group columns worth a column: those with members (all when none has).
    fn cols(&self) -> Vec<(usize, MemberGroup)> {
        let all: Vec<(usize, MemberGroup)> = self.d.groups.iter().copied().enumerate().collect();
        if self.d.total == 0 {
            return all;
        }
        all.into_iter()
            .filter(|(i, _)| self.d.totals[*i] > 0)
            .collect()
    }

    /// A cell of the table, formatted; `None` for zero.
    fn cell(&self, r: &MemberRow, i: &usize) -> Option<String> {
        let n = r.by_group.get(*i).copied().unwrap_or(0);
        (n > 0).then(|| self.c.int(n))
    }

    fn col_total(&self, i: &usize) -> String {
        self.c.int(self.d.totals.get(*i).copied().unwrap_or(0))
    }

    fn drill(&self, r: &MemberRow) -> String {
        let mut s = format!("/formation/members?org={}", r.org_id);
        if let Some(c) = form::opt(&self.p.campaign) {
            s.push_str(&format!("&campaign={}", urlencode(&c)));
        }
        s
    }
}

#[derive(Deserialize, Default)]
pub(super) struct SavedParam {
    saved: Option<String>,
    #[serde(flatten)]
    p: MemberParams,
}

async fn members_render(
    state: &AppState,
    caller: &Caller,
    p: MemberParams,
    input: Option<JoinInput>,
    errors: Vec<(String, String)>,
    saved: bool,
) -> AppResult<MembersHtml> {
    let d = ops::members(&state.db, caller, &p).await?;
    let campaigns =
        crate::activity::store::campaign_choices(&state.db, &caller.scope(Need::Read)).await?;
    let input = input.unwrap_or_else(|| JoinInput {
        client_id: Some(random_token(12)),
        joined_on: Some(Day::today().iso()),
        member_group: Some("employee".into()),
        campaign_id: campaigns.first().map(|c| c.id.to_string()),
        ..Default::default()
    });
    Ok(MembersHtml {
        c: Chrome::for_caller(caller, "/formation/members"),
        d,
        p,
        campaigns,
        input,
        errors,
        today: Day::today().iso(),
        saved,
    })
}

pub(super) async fn members_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<SavedParam>,
) -> AppResult<Response> {
    render(members_render(&state, &caller, q.p, None, Vec::new(), q.saved.is_some()).await?)
}

pub(super) async fn members_create_page(
    State(state): State<AppState>,
    caller: Caller,
    Form(input): Form<JoinInput>,
) -> AppResult<Response> {
    let r = ops::record_members(&state.db, &caller, &input).await;
    submitted(
        &caller,
        r,
        |_| "/formation/members?saved=1".to_string(),
        |errors| {
            let blank = MemberParams::default();
            members_render(&state, &caller, blank, Some(input), errors.0, false)
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "formation/applications.html")]
struct ApplicationsHtml {
    c: Chrome,
    items: Vec<(Application, bool)>,
    status: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct AppPageParams {
    status: Option<String>,
    error: Option<String>,
}

pub(super) async fn applications_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AppPageParams>,
) -> AppResult<Response> {
    let status = form::opt(&q.status);
    let asked = AppParams {
        status: status.clone(),
    }
    .parse()?;
    let items = ops::visible_applications(&state.db, &caller, asked).await?;
    render(ApplicationsHtml {
        c: Chrome::for_caller(&caller, "/formation/applications"),
        items,
        status,
        error: q.error,
    })
}

pub(super) async fn decision_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(input): Form<DecisionInput>,
) -> AppResult<Response> {
    match ops::decide(&state.db, &caller, id, &input).await {
        Ok(()) => Ok(Redirect::to("/formation/applications").into_response()),
        Err(AppError::Validation(fs)) => {
            let msg = fs
                .iter()
                .map(|f| f.message(caller.lang))
                .collect::<Vec<_>>()
                .join(" ");
            Ok(Redirect::to(&format!(
                "/formation/applications?error={}",
                urlencode(&msg)
            ))
            .into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "formation/links.html")]
struct LinksHtml {
    c: Chrome,
    links: Vec<Link>,
    errors: Vec<(String, String)>,
    input: LinkInput,
}

impl LinksHtml {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

async fn links_render(
    state: &AppState,
    caller: &Caller,
    input: LinkInput,
    errors: Vec<(String, String)>,
) -> AppResult<LinksHtml> {
    let scope = caller.require(Need::Read)?;
    Ok(LinksHtml {
        c: Chrome::for_caller(caller, "/formation/links"),
        links: store::links(&state.db, &scope).await?,
        errors,
        input,
    })
}

pub(super) async fn links_page(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Response> {
    render(links_render(&state, &caller, LinkInput::default(), Vec::new()).await?)
}

pub(super) async fn links_create_page(
    State(state): State<AppState>,
    caller: Caller,
    Form(input): Form<LinkInput>,
) -> AppResult<Response> {
    let r = ops::create_link(&state.db, &caller, &input).await;
    submitted(
        &caller,
        r,
        |link| format!("/j/{}/poster", link.code),
        |errors| links_render(&state, &caller, input, errors.0),
    )
    .await
}
