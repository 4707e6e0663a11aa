//! Work group pages (the programme's comparison of groups, a group's page, the
//! forms of a group and of its contacts, study log and leaders' visits) and
//! the API under `/api/v1/campaigns/{id}/groups` and `/api/v1/work-groups`.
//!
//! Who may do what:
//! - read: see [`store`] — readers over the host org, which includes readers
//!   over the programme's issuing org; everyone else gets 404;
//! - write (create and edit a group, add and edit its contacts, studies and
//!   visits): cadres and admins over the group's org or over the programme's
//!   issuing org; other readers get 403;
//! - contact phones are unmasked only for writers, and that view is audited.

use crate::web::{Form, Json, Path};
use askama::Template;
use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Serialize;
use utoipa::OpenApi;

use super::{
    Arrival, Contact, ContactInput, GroupInput, GroupOutputs, LeaderVisit, Member, MemberInput,
    Outputs, Study, StudyInput, VisitInput, WorkGroup, store,
};
use crate::{
    activity::Activity,
    audit::{self, Action, Entry},
    auth::{Caller, Need, Scope},
    campaign::{Campaign, CampaignKind},
    date::Day,
    db::{CampaignId, GroupContactId, GroupStudyId, GroupVisitId, OrgId, WorkGroupId},
    error::{AppError, AppResult},
    web::{
        AppState,
        page::{Chrome, render},
    },
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/campaigns/{id}/groups",
            get(programme_page).post(create_page),
        )
        .route("/campaigns/{id}/groups/new", get(new_page))
        .route("/work-groups/{id}", get(group_page))
        .route("/work-groups/{id}/edit", get(edit_page).post(update_page))
        .route("/work-groups/{id}/{kind}", post(item_add_page))
        .route(
            "/work-groups/{id}/{kind}/{item}",
            get(item_edit_page).post(item_save_page),
        )
        .route(
            "/api/v1/campaigns/{id}/groups",
            get(api_list).post(api_create),
        )
        .route("/api/v1/work-groups/{id}", get(api_get).patch(api_update))
        .route("/api/v1/work-groups/{id}/contacts", post(api_contact_add))
        .route(
            "/api/v1/work-groups/{id}/contacts/{item}",
            axum::routing::put(api_contact_put),
        )
        .route("/api/v1/work-groups/{id}/studies", post(api_study_add))
        .route(
            "/api/v1/work-groups/{id}/studies/{item}",
            axum::routing::put(api_study_put),
        )
        .route("/api/v1/work-groups/{id}/visits", post(api_visit_add))
        .route(
            "/api/v1/work-groups/{id}/visits/{item}",
            axum::routing::put(api_visit_put),
        )
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_list, api_create, api_get, api_update, api_contact_add, api_contact_put,
        api_study_add, api_study_put, api_visit_add, api_visit_put),
    components(schemas(ProgrammeOutputs, GroupOutputs, Outputs, Arrival, GroupDetail, WorkGroup,
        Member, Contact, Study, LeaderVisit, GroupInput, MemberInput, ContactInput, StudyInput,
        VisitInput)),
    tags((name = "work groups", description = "Stationing programmes (蹲点): work groups, their members and duties, contacts, study log, leaders' visits and outputs"))
)]
pub struct ApiDoc;

/// How many of a group's activities its page lists.
const RECENT: i64 = 20;

// ---- shared logic (pages and API) ----

/// The stationing programme if the caller sees it, else 404.
async fn programme(state: &AppState, caller: &Caller, id: CampaignId) -> AppResult<Campaign> {
    let c = crate::campaign::store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if c.kind != CampaignKind::Stationing {
        return Err(AppError::NotFound);
    }
    Ok(c)
}

/// The programme of a group the caller reached (read with the issuer's own
/// scope: a host need not be one of the programme's units).
async fn programme_of(state: &AppState, g: &WorkGroup) -> AppResult<Campaign> {
    crate::campaign::store::get(&state.db, &Scope::of(vec![g.issuer_org_id]), g.campaign_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// A closed programme is read only, like any closed campaign.
fn open(c: &Campaign) -> AppResult<()> {
    if c.status == crate::campaign::CampaignStatus::Closed {
        return Err(AppError::field("status", "err-campaign-closed"));
    }
    Ok(())
}

/// The group if the caller sees it, else 404.
async fn visible(state: &AppState, caller: &Caller, id: WorkGroupId) -> AppResult<WorkGroup> {
    store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Whether the caller may write for a group hosted by `org` in a programme
/// issued by `issuer`.
async fn may_write(
    state: &AppState,
    caller: &Caller,
    org: OrgId,
    issuer: OrgId,
) -> AppResult<bool> {
    let w = caller.scope(Need::Write);
    Ok(w.contains(&state.db, org).await? || w.contains(&state.db, issuer).await?)
}

/// The group if the caller may write for it: 404 when invisible, 403 when
/// only readable.
async fn writable(state: &AppState, caller: &Caller, id: WorkGroupId) -> AppResult<WorkGroup> {
    let g = visible(state, caller, id).await?;
    if !may_write(state, caller, g.org_id, g.issuer_org_id).await? {
        return Err(AppError::Forbidden);
    }
    Ok(g)
}

/// A group the caller may edit, with its programme: 404 when invisible, 403
/// when only readable. The one check of the edit page, its form's POST and
/// the API PATCH, so the page opens exactly when a save may succeed.
async fn editable(
    state: &AppState,
    caller: &Caller,
    id: WorkGroupId,
) -> AppResult<(WorkGroup, Campaign)> {
    let g = writable(state, caller, id).await?;
    let c = programme_of(state, &g).await?;
    Ok((g, c))
}

/// The host org named by `code`: inside the programme issuer's subtree.
async fn host(state: &AppState, issuer: OrgId, code: &str) -> AppResult<OrgId> {
    crate::org::store::get_by_code(&state.db, &Scope::of(vec![issuer]), code)
        .await?
        .map(|o| o.id)
        .ok_or_else(|| AppError::field("host_org_code", "err-host-not-under"))
}

/// Parses a group for programme `c` and resolves its host and members'
/// accounts; the caller must be a writer over the host or the issuer.
async fn resolve(
    state: &AppState,
    caller: &Caller,
    c: &Campaign,
    input: &GroupInput,
) -> AppResult<(super::GroupFields, OrgId, Vec<Option<crate::db::UserId>>)> {
    let f = input.parse((c.starts_on, c.ends_on), Day::today())?;
    let org = host(state, c.org_id, &f.host_org_code).await?;
    if !may_write(state, caller, org, c.org_id).await? {
        return Err(AppError::Forbidden);
    }
    let names: Vec<Option<String>> = f.members.iter().map(|m| m.username.clone()).collect();
    let users = store::resolve_users(&state.db, &Scope::of(vec![c.org_id]), &names).await?;
    Ok((f, org, users))
}

/// Creates a group of the programme.
async fn create(
    state: &AppState,
    caller: &Caller,
    id: CampaignId,
    input: &GroupInput,
) -> AppResult<WorkGroupId> {
    caller.require(Need::Write)?;
    let c = programme(state, caller, id).await?;
    open(&c)?;
    let (f, org, users) = resolve(state, caller, &c, input).await?;
    let mut tx = state.db.begin().await?;
    let gid = store::insert(&mut tx, id, org, &f, &users, caller.user_id).await?;
    let e = Entry::by(caller, org, Action::WorkGroupCreated)
        .target(format!("work_group:{gid}"))
        .detail(f.name.clone());
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(gid)
}

/// Rewrites a group (a PATCH merges over the group as it is).
async fn update(
    state: &AppState,
    caller: &Caller,
    id: WorkGroupId,
    input: GroupInput,
    patch: bool,
) -> AppResult<()> {
    let (g, c) = editable(state, caller, id).await?;
    open(&c)?;
    let input = if patch {
        let members = store::members(&state.db, id).await?;
        input.over(GroupInput::from_group(&g, &members))
    } else {
        input
    };
    let (f, org, users) = resolve(state, caller, &c, &input).await?;
    let mut tx = state.db.begin().await?;
    store::update(&mut tx, id, org, &f, &users).await?;
    let e = Entry::by(caller, org, Action::WorkGroupUpdated)
        .target(format!("work_group:{id}"))
        .detail(f.name.clone());
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(())
}

/// The programme's comparison of groups and its total row.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProgrammeOutputs {
    pub campaign_id: CampaignId,
    /// One row per group the caller reaches.
    pub groups: Vec<GroupOutputs>,
    /// Sums of the rows; enterprises counted once across groups.
    pub total: Outputs,
}

async fn programme_outputs(
    state: &AppState,
    caller: &Caller,
    id: CampaignId,
) -> AppResult<(Campaign, ProgrammeOutputs)> {
    let c = programme(state, caller, id).await?;
    let groups = store::group_outputs(&state.db, &caller.scope(Need::Read), id).await?;
    let total = store::total_outputs(&state.db, &groups).await?;
    Ok((
        c,
        ProgrammeOutputs {
            campaign_id: id,
            groups,
            total,
        },
    ))
}

/// A group with everything its page shows.
#[derive(Serialize, utoipa::ToSchema)]
pub struct GroupDetail {
    pub group: WorkGroup,
    /// Leader first.
    pub members: Vec<Member>,
    /// Phones masked unless `can_write`.
    pub contacts: Vec<Contact>,
    /// Latest first.
    pub studies: Vec<Study>,
    /// Latest first.
    pub visits: Vec<LeaderVisit>,
    pub outputs: Outputs,
    /// The latest activities of the group that the caller sees.
    #[schema(value_type = Vec<Object>)]
    pub recent_activities: Vec<Activity>,
    /// Whether the caller may edit the group and add to its records.
    pub can_write: bool,
}

async fn detail(state: &AppState, caller: &Caller, g: WorkGroup) -> AppResult<GroupDetail> {
    let db = &state.db;
    let can_write = may_write(state, caller, g.org_id, g.issuer_org_id).await?;
    let mut contacts = store::contacts(db, g.id).await?;
    if !can_write {
        contacts = contacts.into_iter().map(Contact::masked).collect();
    } else if contacts.iter().any(|c| c.phone.is_some()) {
        let entry = Entry::by(caller, g.org_id, Action::PersonalDataViewed)
            .target(format!("work_group:{}", g.id))
            .detail("contact_phone");
        audit::store::record(db.pool(), &entry).await?;
    }
    let read = caller.scope(Need::Read);
    let outputs = store::group_outputs(db, &read, g.campaign_id)
        .await?
        .into_iter()
        .find(|o| o.group_id == g.id)
        .map(|o| o.outputs)
        .unwrap_or_default();
    let filter = crate::activity::store::ActivityFilter {
        work_group: Some(g.id),
        ..Default::default()
    };
    let (recent_activities, _) =
        crate::activity::store::list(db, &read, &filter, RECENT, 0).await?;
    Ok(GroupDetail {
        members: store::members(db, g.id).await?,
        contacts,
        studies: store::studies(db, g.id).await?,
        visits: store::visits(db, g.id).await?,
        outputs,
        recent_activities,
        can_write,
        group: g,
    })
}

/// The three kinds of record a group keeps beside its activities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ItemKind {
    Contact,
    Study,
    Visit,
}

impl ItemKind {
    fn parse(s: &str) -> AppResult<ItemKind> {
        match s {
            "contacts" => Ok(ItemKind::Contact),
            "studies" => Ok(ItemKind::Study),
            "visits" => Ok(ItemKind::Visit),
            _ => Err(AppError::NotFound),
        }
    }

    fn path(self) -> &'static str {
        match self {
            ItemKind::Contact => "contacts",
            ItemKind::Study => "studies",
            ItemKind::Visit => "visits",
        }
    }

    fn action(self) -> Action {
        match self {
            ItemKind::Contact => Action::WorkGroupContactSaved,
            ItemKind::Study => Action::WorkGroupStudySaved,
            ItemKind::Visit => Action::WorkGroupVisitSaved,
        }
    }
}

/// A contact, study or visit as submitted.
enum ItemInput {
    Contact(ContactInput),
    Study(StudyInput),
    Visit(VisitInput),
}

impl ItemInput {
    fn kind(&self) -> ItemKind {
        match self {
            ItemInput::Contact(_) => ItemKind::Contact,
            ItemInput::Study(_) => ItemKind::Study,
            ItemInput::Visit(_) => ItemKind::Visit,
        }
    }
}

/// Adds (`existing: None`) or rewrites a contact, study or visit of a group
/// the caller may write for; returns the record's id.
async fn save_item(
    state: &AppState,
    caller: &Caller,
    id: WorkGroupId,
    existing: Option<i64>,
    input: &ItemInput,
) -> AppResult<i64> {
    let g = writable(state, caller, id).await?;
    open(&programme_of(state, &g).await?)?;
    let today = Day::today();
    let mut tx = state.db.begin().await?;
    let (item, detail) = match input {
        ItemInput::Contact(i) => {
            let f = i.parse()?;
            let n = store::save_contact(&mut tx, id, g.org_id, existing.map(GroupContactId), &f)
                .await?;
            (n.0, f.name)
        }
        ItemInput::Study(i) => {
            let f = i.parse(today)?;
            let n =
                store::save_study(&mut tx, id, g.org_id, existing.map(GroupStudyId), &f).await?;
            (n.0, format!("{} {}", f.held_on, f.subject))
        }
        ItemInput::Visit(i) => {
            let f = i.parse(today)?;
            let n =
                store::save_visit(&mut tx, id, g.org_id, existing.map(GroupVisitId), &f).await?;
            (n.0, format!("{} {}", f.visited_on, f.leader_name))
        }
    };
    let e = Entry::by(caller, g.org_id, input.kind().action())
        .target(format!("work_group:{id}/{}/{item}", input.kind().path()))
        .detail(detail);
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(item)
}

// ---- pages ----

#[derive(Template)]
#[template(path = "stationing/programme.html")]
struct ProgrammePage {
    c: Chrome,
    k: Campaign,
    rows: Vec<GroupOutputs>,
    total: Outputs,
    can_create: bool,
}

impl ProgrammePage {
    fn members(&self) -> i64 {
        self.rows.iter().map(|r| r.members).sum()
    }

    fn on_time(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.arrival == Arrival::OnTime)
            .count()
    }
}

async fn programme_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
) -> AppResult<Response> {
    let (k, o) = programme_outputs(&state, &caller, id).await?;
    let can_create = caller
        .scope(Need::Write)
        .contains(&state.db, k.org_id)
        .await?;
    render(ProgrammePage {
        c: Chrome::for_caller(&caller, &format!("/campaigns/{id}/groups")),
        k,
        rows: o.groups,
        total: o.total,
        can_create,
    })
}

#[derive(Template)]
#[template(path = "stationing/group.html")]
struct GroupPage {
    c: Chrome,
    d: GroupDetail,
    today: String,
}

async fn group_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WorkGroupId>,
) -> AppResult<Response> {
    let g = visible(&state, &caller, id).await?;
    let d = detail(&state, &caller, g).await?;
    render(GroupPage {
        c: Chrome::for_caller(&caller, &format!("/work-groups/{id}")),
        d,
        today: Day::today().iso(),
    })
}

/// How many blank member rows the form adds after the filled ones.
const BLANK_MEMBERS: usize = 3;

#[derive(Template)]
#[template(path = "stationing/form.html")]
struct FormPage {
    c: Chrome,
    k: Campaign,
    /// The orgs right under the issuer (code, name), offered as hosts.
    hosts: Vec<(String, String)>,
    id: Option<WorkGroupId>,
    input: GroupInput,
    errors: Vec<(String, String)>,
}

impl FormPage {
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    fn rows(&self) -> Vec<usize> {
        let n = self.input.members.as_ref().map_or(0, Vec::len);
        (0..n + BLANK_MEMBERS).collect()
    }

    fn member(&self, n: &usize) -> MemberInput {
        self.input
            .members
            .as_ref()
            .and_then(|m| m.get(*n))
            .cloned()
            .unwrap_or_default()
    }

    fn merr(&self, n: &usize, field: &str) -> Option<&str> {
        self.error(&format!("m{}.{field}", n + 1))
    }

    fn is_leader(&self, n: &usize) -> bool {
        crate::web::form::flag(&self.member(n).leader) == Ok(true)
    }

    fn branch(&self) -> bool {
        crate::web::form::flag(&self.input.party_branch) == Ok(true)
    }

    fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/work-groups/{id}/edit"),
            None => format!("/campaigns/{}/groups", self.k.id),
        }
    }
}

/// Reads the submitted group form: member rows as `m1.name`, … and the
/// leader as the row number in `leader`.
fn form_input(raw: Vec<(String, String)>) -> GroupInput {
    let mut g = GroupInput::default();
    let mut members: Vec<MemberInput> = Vec::new();
    let mut leader: Option<usize> = None;
    for (k, v) in raw {
        if let Some(rest) = k.strip_prefix('m')
            && let Some((n, field)) = rest.split_once('.')
            && let Ok(n) = n.parse::<usize>()
            && (1..=super::MAX_MEMBERS + BLANK_MEMBERS).contains(&n)
        {
            if members.len() < n {
                members.resize(n, MemberInput::default());
            }
            let m = &mut members[n - 1];
            let slot = match field {
                "name" => &mut m.name,
                "department" => &mut m.department,
                "duty" => &mut m.duty,
                "username" => &mut m.username,
                _ => continue,
            };
            *slot = Some(v);
            continue;
        }
        let slot = match k.as_str() {
            "name" => &mut g.name,
            "host_org_code" => &mut g.host_org_code,
            "region" => &mut g.region,
            "arrival_due_on" => &mut g.arrival_due_on,
            "arrived_on" => &mut g.arrived_on,
            "starts_on" => &mut g.starts_on,
            "ends_on" => &mut g.ends_on,
            "party_branch" => &mut g.party_branch,
            "remarks" => &mut g.remarks,
            "leader" => {
                leader = v.trim().parse().ok();
                continue;
            }
            _ => continue,
        };
        *slot = Some(v);
    }
    for (i, m) in members.iter_mut().enumerate() {
        m.leader = Some(if leader == Some(i + 1) { "1" } else { "0" }.into());
    }
    // Trailing blank rows are the form's spares, not members.
    while members.last().is_some_and(|m| {
        [&m.name, &m.department, &m.duty, &m.username]
            .iter()
            .all(|v| crate::web::form::opt(v).is_none())
    }) {
        members.pop();
    }
    g.members = Some(members);
    g
}

/// The form again with its errors; `host` is the edited group's host.
async fn form_again(
    state: &AppState,
    caller: &Caller,
    k: Campaign,
    id: Option<WorkGroupId>,
    host: Option<OrgId>,
    input: GroupInput,
    e: AppError,
) -> AppResult<Response> {
    let Some(errors) = crate::web::form::errors_of(&e, caller) else {
        return Err(e);
    };
    let page = FormPage {
        c: Chrome::for_caller(caller, &state_path(&k, id)),
        hosts: hosts(state, caller, &k, host).await?,
        k,
        id,
        input,
        errors,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

/// The hosts the caller may choose (code, name), by the rule a save applies
/// (inside the issuer's subtree; a writer over the host or the issuer): the
/// orgs right under the issuer that the caller writes for (all of them for a
/// writer over the issuer), the top orgs of the caller's write scope deeper
/// in the issuer's subtree, and the edited group's `current` host.
async fn hosts(
    state: &AppState,
    caller: &Caller,
    k: &Campaign,
    current: Option<OrgId>,
) -> AppResult<Vec<(String, String)>> {
    let write = caller.scope(Need::Write);
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
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(k.org_id)
        .fetch_all(state.db.pool())
        .await?)
}

fn state_path(k: &Campaign, id: Option<WorkGroupId>) -> String {
    match id {
        Some(id) => format!("/work-groups/{id}/edit"),
        None => format!("/campaigns/{}/groups/new", k.id),
    }
}

async fn new_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
) -> AppResult<Response> {
    caller.require(Need::Write)?;
    let k = programme(&state, &caller, id).await?;
    // No host to choose: every save would be refused.
    let hosts = hosts(&state, &caller, &k, None).await?;
    if hosts.is_empty() {
        return Err(AppError::Forbidden);
    }
    let input = GroupInput {
        arrival_due_on: Some(k.starts_on.iso()),
        starts_on: Some(k.starts_on.iso()),
        ends_on: Some(k.ends_on.iso()),
        party_branch: Some("1".into()),
        ..Default::default()
    };
    render(FormPage {
        c: Chrome::for_caller(&caller, &state_path(&k, None)),
        hosts,
        k,
        id: None,
        input,
        errors: Vec::new(),
    })
}

async fn create_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let input = form_input(raw);
    match create(&state, &caller, id, &input).await {
        Ok(g) => Ok(Redirect::to(&format!("/work-groups/{g}")).into_response()),
        Err(e) => {
            let k = programme(&state, &caller, id).await?;
            form_again(&state, &caller, k, None, None, input, e).await
        }
    }
}

async fn edit_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WorkGroupId>,
) -> AppResult<Response> {
    let (g, k) = editable(&state, &caller, id).await?;
    let members = store::members(&state.db, id).await?;
    render(FormPage {
        c: Chrome::for_caller(&caller, &state_path(&k, Some(id))),
        hosts: hosts(&state, &caller, &k, Some(g.org_id)).await?,
        input: GroupInput::from_group(&g, &members),
        k,
        id: Some(id),
        errors: Vec::new(),
    })
}

async fn update_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WorkGroupId>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let input = form_input(raw);
    match update(&state, &caller, id, input.clone(), false).await {
        Ok(()) => Ok(Redirect::to(&format!("/work-groups/{id}?saved=group")).into_response()),
        Err(e) => {
            let (g, k) = editable(&state, &caller, id).await?;
            form_again(&state, &caller, k, Some(id), Some(g.org_id), input, e).await
        }
    }
}

/// One field of the record form.
struct ItemField {
    name: &'static str,
    /// The catalogue key of its label.
    label: String,
    /// `text`, `date`, `number`, `tel` or `textarea`.
    kind: &'static str,
    value: String,
    required: bool,
}

#[derive(Template)]
#[template(path = "stationing/item.html")]
struct ItemPage {
    c: Chrome,
    g: WorkGroup,
    kind: &'static str,
    item: Option<i64>,
    fields: Vec<ItemField>,
    errors: Vec<(String, String)>,
    today: String,
}

impl ItemPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    fn title_key(&self) -> String {
        format!("stationing-item-{}", self.kind)
    }

    fn action(&self) -> String {
        match self.item {
            Some(i) => format!("/work-groups/{}/{}/{i}", self.g.id, self.kind),
            None => format!("/work-groups/{}/{}", self.g.id, self.kind),
        }
    }
}

fn item_fields(input: &ItemInput) -> Vec<ItemField> {
    let f =
        |name: &'static str, kind: &'static str, v: &Option<String>, required: bool| ItemField {
            name,
            // A contact is a person: 姓名, not the 名称 of an org.
            label: if name == "name" {
                "field-member-name".to_string()
            } else {
                format!("field-{name}")
            },
            kind,
            value: v.clone().unwrap_or_default(),
            required,
        };
    match input {
        ItemInput::Contact(i) => vec![
            f("name", "text", &i.name, true),
            f("job_title", "text", &i.job_title, false),
            f("org_name", "text", &i.org_name, false),
            f("phone", "tel", &i.phone, false),
        ],
        ItemInput::Study(i) => vec![
            f("held_on", "date", &i.held_on, true),
            f("subject", "text", &i.subject, true),
            f("attendees", "number", &i.attendees, false),
            f("remarks", "textarea", &i.remarks, false),
        ],
        ItemInput::Visit(i) => vec![
            f("visited_on", "date", &i.visited_on, true),
            f("leader_name", "text", &i.leader_name, true),
            f("leader_title", "text", &i.leader_title, false),
            f("remarks", "textarea", &i.remarks, false),
        ],
    }
}

fn item_input(kind: ItemKind, raw: &[(String, String)]) -> ItemInput {
    let get = |k: &str| raw.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    match kind {
        ItemKind::Contact => ItemInput::Contact(ContactInput {
            name: get("name"),
            job_title: get("job_title"),
            org_name: get("org_name"),
            phone: get("phone"),
        }),
        ItemKind::Study => ItemInput::Study(StudyInput {
            held_on: get("held_on"),
            subject: get("subject"),
            attendees: get("attendees"),
            remarks: get("remarks"),
        }),
        ItemKind::Visit => ItemInput::Visit(VisitInput {
            visited_on: get("visited_on"),
            leader_name: get("leader_name"),
            leader_title: get("leader_title"),
            remarks: get("remarks"),
        }),
    }
}

fn item_page(
    caller: &Caller,
    g: WorkGroup,
    item: Option<i64>,
    input: &ItemInput,
    errors: Vec<(String, String)>,
) -> ItemPage {
    let kind = input.kind().path();
    let path = match item {
        Some(i) => format!("/work-groups/{}/{kind}/{i}", g.id),
        None => format!("/work-groups/{}/{kind}", g.id),
    };
    ItemPage {
        c: Chrome::for_caller(caller, &path),
        g,
        kind,
        item,
        fields: item_fields(input),
        errors,
        today: Day::today().iso(),
    }
}

async fn save_item_page(
    state: &AppState,
    caller: &Caller,
    id: WorkGroupId,
    item: Option<i64>,
    kind: ItemKind,
    raw: Vec<(String, String)>,
) -> AppResult<Response> {
    let input = item_input(kind, &raw);
    match save_item(state, caller, id, item, &input).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/work-groups/{id}?saved={}#{}",
            kind.path(),
            kind.path()
        ))
        .into_response()),
        Err(e) => {
            let Some(errors) = crate::web::form::errors_of(&e, caller) else {
                return Err(e);
            };
            let g = visible(state, caller, id).await?;
            let page = item_page(caller, g, item, &input, errors);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

async fn item_add_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, kind)): Path<(WorkGroupId, String)>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let kind = ItemKind::parse(&kind)?;
    save_item_page(&state, &caller, id, None, kind, raw).await
}

async fn item_save_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, kind, item)): Path<(WorkGroupId, String, i64)>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let kind = ItemKind::parse(&kind)?;
    save_item_page(&state, &caller, id, Some(item), kind, raw).await
}

async fn item_edit_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, kind, item)): Path<(WorkGroupId, String, i64)>,
) -> AppResult<Response> {
    let kind = ItemKind::parse(&kind)?;
    let g = writable(&state, &caller, id).await?;
    let db = &state.db;
    let input = match kind {
        ItemKind::Contact => {
            let c = store::contacts(db, id)
                .await?
                .into_iter()
                .find(|c| c.id.0 == item)
                .ok_or(AppError::NotFound)?;
            ItemInput::Contact(ContactInput {
                name: Some(c.name),
                job_title: c.job_title,
                org_name: c.org_name,
                phone: c.phone,
            })
        }
        ItemKind::Study => {
            let s = store::studies(db, id)
                .await?
                .into_iter()
                .find(|s| s.id.0 == item)
                .ok_or(AppError::NotFound)?;
            ItemInput::Study(StudyInput {
                held_on: Some(s.held_on.iso()),
                subject: Some(s.subject),
                attendees: Some(s.attendees.to_string()),
                remarks: s.remarks,
            })
        }
        ItemKind::Visit => {
            let v = store::visits(db, id)
                .await?
                .into_iter()
                .find(|v| v.id.0 == item)
                .ok_or(AppError::NotFound)?;
            ItemInput::Visit(VisitInput {
                visited_on: Some(v.visited_on.iso()),
                leader_name: Some(v.leader_name),
                leader_title: v.leader_title,
                remarks: v.remarks,
            })
        }
    };
    if kind == ItemKind::Contact {
        let entry = Entry::by(&caller, g.org_id, Action::PersonalDataViewed)
            .target(format!("work_group:{id}/contacts/{item}"))
            .detail("contact_phone");
        audit::store::record(state.db.pool(), &entry).await?;
    }
    render(item_page(&caller, g, Some(item), &input, Vec::new()))
}

// ---- API ----

/// The programme's groups compared: one row per group the caller reaches
/// (host, leader, members, arrival, enterprises visited, interviews,
/// symposiums, questionnaires collected and valid, problems) and the total.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/groups", tag = "work groups",
    params(("id" = i64, Path, description = "a campaign of kind stationing")),
    responses((status = 200, body = ProgrammeOutputs), (status = 404, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
) -> AppResult<Json<ProgrammeOutputs>> {
    Ok(Json(programme_outputs(&state, &caller, id).await?.1))
}

/// Creates a work group of a stationing programme, with its members
/// (exactly one leader) and a stay of 3–6 months inside the programme.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/groups", tag = "work groups",
    params(("id" = i64, Path)), request_body = GroupInput,
    responses((status = 201, body = GroupDetail), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Json(input): Json<GroupInput>,
) -> AppResult<Response> {
    let gid = create(&state, &caller, id, &input).await?;
    let g = visible(&state, &caller, gid).await?;
    Ok((StatusCode::CREATED, Json(detail(&state, &caller, g).await?)).into_response())
}

/// A group with its members, contacts (phones masked unless the caller may
/// write for it; an unmasked view is audited), study log, leaders' visits,
/// outputs and latest activities.
#[utoipa::path(get, path = "/api/v1/work-groups/{id}", tag = "work groups",
    params(("id" = i64, Path)),
    responses((status = 200, body = GroupDetail), (status = 404, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WorkGroupId>,
) -> AppResult<Json<GroupDetail>> {
    let g = visible(&state, &caller, id).await?;
    Ok(Json(detail(&state, &caller, g).await?))
}

/// Changes a group: the fields given replace the group's; `members`, when
/// given, replaces the whole list.
#[utoipa::path(patch, path = "/api/v1/work-groups/{id}", tag = "work groups",
    params(("id" = i64, Path)), request_body = GroupInput,
    responses((status = 200, body = GroupDetail), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
async fn api_update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WorkGroupId>,
    Json(input): Json<GroupInput>,
) -> AppResult<Json<GroupDetail>> {
    update(&state, &caller, id, input, true).await?;
    let g = visible(&state, &caller, id).await?;
    Ok(Json(detail(&state, &caller, g).await?))
}

async fn saved_contact(state: &AppState, id: WorkGroupId, item: i64) -> AppResult<Contact> {
    store::contacts(&state.db, id)
        .await?
        .into_iter()
        .find(|c| c.id.0 == item)
        .ok_or(AppError::NotFound)
}

async fn saved_study(state: &AppState, id: WorkGroupId, item: i64) -> AppResult<Study> {
    store::studies(&state.db, id)
        .await?
        .into_iter()
        .find(|c| c.id.0 == item)
        .ok_or(AppError::NotFound)
}

async fn saved_visit(state: &AppState, id: WorkGroupId, item: i64) -> AppResult<LeaderVisit> {
    store::visits(&state.db, id)
        .await?
        .into_iter()
        .find(|c| c.id.0 == item)
        .ok_or(AppError::NotFound)
}

/// Adds a contact at a local union.
#[utoipa::path(post, path = "/api/v1/work-groups/{id}/contacts", tag = "work groups",
    params(("id" = i64, Path)), request_body = ContactInput,
    responses((status = 201, body = Contact), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
async fn api_contact_add(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WorkGroupId>,
    Json(input): Json<ContactInput>,
) -> AppResult<Response> {
    let item = save_item(&state, &caller, id, None, &ItemInput::Contact(input)).await?;
    let c = saved_contact(&state, id, item).await?;
    Ok((StatusCode::CREATED, Json(c)).into_response())
}

/// Rewrites a contact.
#[utoipa::path(put, path = "/api/v1/work-groups/{id}/contacts/{item}", tag = "work groups",
    params(("id" = i64, Path), ("item" = i64, Path)), request_body = ContactInput,
    responses((status = 200, body = Contact), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
async fn api_contact_put(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, item)): Path<(WorkGroupId, i64)>,
    Json(input): Json<ContactInput>,
) -> AppResult<Json<Contact>> {
    save_item(&state, &caller, id, Some(item), &ItemInput::Contact(input)).await?;
    Ok(Json(saved_contact(&state, id, item).await?))
}

/// Adds a study session to the log.
#[utoipa::path(post, path = "/api/v1/work-groups/{id}/studies", tag = "work groups",
    params(("id" = i64, Path)), request_body = StudyInput,
    responses((status = 201, body = Study), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
async fn api_study_add(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WorkGroupId>,
    Json(input): Json<StudyInput>,
) -> AppResult<Response> {
    let item = save_item(&state, &caller, id, None, &ItemInput::Study(input)).await?;
    let s = saved_study(&state, id, item).await?;
    Ok((StatusCode::CREATED, Json(s)).into_response())
}

/// Rewrites a study session.
#[utoipa::path(put, path = "/api/v1/work-groups/{id}/studies/{item}", tag = "work groups",
    params(("id" = i64, Path), ("item" = i64, Path)), request_body = StudyInput,
    responses((status = 200, body = Study), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
async fn api_study_put(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, item)): Path<(WorkGroupId, i64)>,
    Json(input): Json<StudyInput>,
) -> AppResult<Json<Study>> {
    save_item(&state, &caller, id, Some(item), &ItemInput::Study(input)).await?;
    Ok(Json(saved_study(&state, id, item).await?))
}

/// Records a leader's visit to the group.
#[utoipa::path(post, path = "/api/v1/work-groups/{id}/visits", tag = "work groups",
    params(("id" = i64, Path)), request_body = VisitInput,
    responses((status = 201, body = LeaderVisit), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
async fn api_visit_add(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WorkGroupId>,
    Json(input): Json<VisitInput>,
) -> AppResult<Response> {
    let item = save_item(&state, &caller, id, None, &ItemInput::Visit(input)).await?;
    let v = saved_visit(&state, id, item).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// Rewrites a leader's visit.
#[utoipa::path(put, path = "/api/v1/work-groups/{id}/visits/{item}", tag = "work groups",
    params(("id" = i64, Path), ("item" = i64, Path)), request_body = VisitInput,
    responses((status = 200, body = LeaderVisit), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)),
    security(("bearer" = [])))]
async fn api_visit_put(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, item)): Path<(WorkGroupId, i64)>,
    Json(input): Json<VisitInput>,
) -> AppResult<Json<LeaderVisit>> {
    save_item(&state, &caller, id, Some(item), &ItemInput::Visit(input)).await?;
    Ok(Json(saved_visit(&state, id, item).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_reads_member_rows_and_the_leader() {
        let raw = vec![
            ("name".into(), "湖南工作组".into()),
            ("m1.name".into(), "张三".into()),
            ("m1.duty".into(), "组长".into()),
            ("m2.name".into(), "李四".into()),
            ("m3.name".into(), "".into()),
            ("leader".into(), "2".into()),
            ("m99.name".into(), "ignored".into()),
        ];
        let g = form_input(raw);
        let m = g.members.unwrap();
        assert_eq!(m.len(), 2, "the spare rows are dropped");
        assert_eq!(m[0].leader.as_deref(), Some("0"));
        assert_eq!(m[1].leader.as_deref(), Some("1"));
        assert_eq!(m[0].duty.as_deref(), Some("组长"));
    }
}
