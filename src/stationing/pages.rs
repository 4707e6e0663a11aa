//! Work group pages: the programme's comparison of groups, a group's page,
//! the forms of a group and of its contacts, study log and leaders' visits.
//! Writes go through `ops`, like the API's; a refused form is drawn again
//! by `web::form::submitted`.

use askama::Template;
use axum::{extract::State, response::Response};

use super::{
    Arrival, ContactInput, GroupDetail, GroupInput, GroupOutputs, ItemInput, ItemKind, MemberInput,
    Outputs, StudyInput, VisitInput, WorkGroup, ops, store,
};
use crate::{
    auth::{Caller, Need},
    campaign::Campaign,
    date::Day,
    db::{CampaignId, OrgId, WorkGroupId},
    error::{AppError, AppResult},
    web::{
        AppState, Form, Path,
        form::{FieldMessages, submitted},
        page::{Chrome, render},
    },
};

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

pub(super) async fn programme(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
) -> AppResult<Response> {
    let (k, o) = ops::programme_outputs(&state.db, &caller, id).await?;
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

pub(super) async fn group(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WorkGroupId>,
) -> AppResult<Response> {
    let d = ops::detail_of(&state.db, &caller, id).await?;
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
    errors: FieldMessages,
}

impl FormPage {
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
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
        self.error(&super::member_field(*n, field))
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

/// The group form of programme `k` (`id`: the edited group, `host` its
/// host) with `input` and the messages of its refused fields.
async fn form_page(
    state: &AppState,
    caller: &Caller,
    k: Campaign,
    id: Option<WorkGroupId>,
    host: Option<OrgId>,
    input: GroupInput,
    errors: FieldMessages,
) -> AppResult<FormPage> {
    Ok(FormPage {
        c: Chrome::for_caller(caller, &state_path(&k, id)),
        hosts: hosts(state, caller, &k, host).await?,
        k,
        id,
        input,
        errors,
    })
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
    Ok(store::hosts(&state.db, &caller.scope(Need::Write), k.org_id, current).await?)
}

fn state_path(k: &Campaign, id: Option<WorkGroupId>) -> String {
    match id {
        Some(id) => format!("/work-groups/{id}/edit"),
        None => format!("/campaigns/{}/groups/new", k.id),
    }
}

pub(super) async fn new(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
) -> AppResult<Response> {
    caller.require(Need::Write)?;
    let k = ops::programme(&state.db, &caller, id).await?;
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
        errors: FieldMessages::default(),
    })
}

pub(super) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let input = form_input(raw);
    let (state, caller) = (&state, &caller);
    let made = ops::create(&state.db, caller, id, &input).await;
    submitted(
        caller,
        made,
        |g| format!("/work-groups/{g}"),
        |errors| async move {
            let k = ops::programme(&state.db, caller, id).await?;
            form_page(state, caller, k, None, None, input, errors).await
        },
    )
    .await
}

pub(super) async fn edit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WorkGroupId>,
) -> AppResult<Response> {
    let (g, k) = ops::editable(&state.db, &caller, id).await?;
    let members = store::members(&state.db, id).await?;
    render(FormPage {
        c: Chrome::for_caller(&caller, &state_path(&k, Some(id))),
        hosts: hosts(&state, &caller, &k, Some(g.org_id)).await?,
        input: GroupInput::from_group(&g, &members),
        k,
        id: Some(id),
        errors: FieldMessages::default(),
    })
}

pub(super) async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WorkGroupId>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let input = form_input(raw);
    let (state, caller) = (&state, &caller);
    let saved = ops::update(&state.db, caller, id, input.clone(), false).await;
    submitted(
        caller,
        saved,
        |()| format!("/work-groups/{id}?saved=group"),
        |errors| async move {
            let (g, k) = ops::editable(&state.db, caller, id).await?;
            form_page(state, caller, k, Some(id), Some(g.org_id), input, errors).await
        },
    )
    .await
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
    errors: FieldMessages,
    today: String,
}

impl ItemPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
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
    errors: FieldMessages,
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
    let saved = ops::save_item(&state.db, caller, id, item, &input).await;
    submitted(
        caller,
        saved,
        |_| format!("/work-groups/{id}?saved={}#{}", kind.path(), kind.path()),
        |errors| async move {
            let g = ops::visible(&state.db, caller, id).await?;
            Ok(item_page(caller, g, item, &input, errors))
        },
    )
    .await
}

pub(super) async fn item_add(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, kind)): Path<(WorkGroupId, String)>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let kind = ItemKind::parse(&kind)?;
    save_item_page(&state, &caller, id, None, kind, raw).await
}

pub(super) async fn item_save(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, kind, item)): Path<(WorkGroupId, String, i64)>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let kind = ItemKind::parse(&kind)?;
    save_item_page(&state, &caller, id, Some(item), kind, raw).await
}

pub(super) async fn item_edit(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, kind, item)): Path<(WorkGroupId, String, i64)>,
) -> AppResult<Response> {
    let kind = ItemKind::parse(&kind)?;
    let (g, input) = ops::item_input(&state.db, &caller, id, kind, item).await?;
    render(item_page(
        &caller,
        g,
        Some(item),
        &input,
        FieldMessages::default(),
    ))
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
