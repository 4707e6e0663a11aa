//! Enterprise pages: the list with search and filters, the detail, the new
//! and edit forms. Writes go through `ops`, like the API's.

use askama::Template;
use axum::{extract::State, response::Response};
use serde::Deserialize;

use super::{
    Enterprise, EnterpriseInput, ListParams, WorkerGroup, ops,
    store::{self, EnterpriseCounts, OrgChoice},
};
use crate::{
    auth::{Caller, Need},
    db::{EnterpriseId, OrgId},
    error::AppResult,
    web::{
        AppState, Form, Path, Query,
        form::{self, FieldMessages, submitted},
        list::{Pager, Paging},
        page::{Chrome, render},
    },
};

#[derive(Template)]
#[template(path = "enterprise/list.html")]
struct ListPage {
    c: Chrome,
    items: Vec<Enterprise>,
    counts: EnterpriseCounts,
    pager: Pager,
    p: ListParams,
    /// The selected value of the group menu (a group, `any` or `none`).
    group: String,
    groups: Vec<WorkerGroup>,
    orgs: Vec<OrgChoice>,
    industries: Vec<String>,
    /// The filters as a query string (empty when nothing filters).
    query: String,
}

impl ListPage {
    fn sel(&self, v: &Option<String>, want: &str) -> bool {
        v.as_deref().map(str::trim) == Some(want)
    }

    fn org_selected(&self, id: &OrgId) -> bool {
        self.sel(&self.p.org, &id.to_string())
    }
}

/// `GET /enterprises`.
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let (d, _) = ops::list(&state.db, &caller, &p).await?;
    let scope = caller.scope(Need::Read);
    let mut orgs = store::org_choices(&state.db, &scope, false, 300).await?;
    // A filter set from an org page may name an org the menu does not offer (a
    // grassroots union, say): offer it too, so the menu shows what is filtered.
    if let Some(id) = form::opt(&p.org).and_then(|o| o.parse::<i64>().ok())
        && !orgs.iter().any(|o| o.id.0 == id)
        && let Some(o) = crate::org::store::get(&state.db, &scope, OrgId(id)).await?
    {
        orgs.insert(
            0,
            OrgChoice {
                id: o.id,
                code: o.code,
                name: o.name,
            },
        );
    }
    let group = match (
        form::opt(&p.group),
        form::opt(&p.new_forms).map(|_| form::flag(&p.new_forms)),
    ) {
        (Some(g), _) => g,
        (None, Some(Ok(true))) => "any".into(),
        (None, Some(Ok(false))) => "none".into(),
        _ => String::new(),
    };
    let query = p.query();
    let path = if query.is_empty() {
        "/enterprises".to_string()
    } else {
        format!("/enterprises?{query}")
    };
    let pager = Paging {
        page: d.page,
        size: d.per_page,
    }
    .pager(d.total, "/enterprises", &query);
    let filters = query.clone();
    render(ListPage {
        c: Chrome::for_caller(&caller, &path),
        counts: EnterpriseCounts {
            total: d.total,
            without_union: d.without_union,
            with_new_forms: d.with_new_forms,
        },
        items: d.items,
        pager,
        group,
        groups: WorkerGroup::ALL.to_vec(),
        orgs,
        industries: industry_menu(store::industries(&state.db, &scope).await?),
        p,
        query: filters,
    })
}

/// The industries of the filter menu: the usual ones in their usual order, then the rest.
fn industry_menu(mut found: Vec<String>) -> Vec<String> {
    found.sort_by_key(|i| {
        (
            super::INDUSTRIES
                .iter()
                .position(|k| k == i)
                .unwrap_or(usize::MAX),
            crate::i18n::sort_key(i),
        )
    });
    found
}

#[derive(Template)]
#[template(path = "enterprise/detail.html")]
struct DetailPage {
    c: Chrome,
    e: Enterprise,
    can_write: bool,
    /// Union formation: the enterprise's pipelines and the flag action.
    formation: crate::formation::pages::EnterprisePanel,
}

#[derive(Deserialize, Default)]
pub(super) struct DetailParams {
    formation_error: Option<String>,
}

/// `GET /enterprises/{id}`.
pub(super) async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EnterpriseId>,
    Query(q): Query<DetailParams>,
) -> AppResult<Response> {
    let (e, can_write) = ops::shown(&state.db, &caller, id).await?;
    let formation =
        crate::formation::pages::enterprise_panel(&state, &caller, id, q.formation_error).await?;
    render(DetailPage {
        c: Chrome::for_caller(&caller, &format!("/enterprises/{id}")),
        e,
        can_write,
        formation,
    })
}

#[derive(Template)]
#[template(path = "enterprise/form.html")]
struct FormPage {
    c: Chrome,
    /// `None` when creating.
    id: Option<EnterpriseId>,
    input: EnterpriseInput,
    groups: Vec<WorkerGroup>,
    /// Jurisdictions and grassroots unions of the caller's write scope, offered as suggestions.
    orgs: Vec<OrgChoice>,
    unions: Vec<OrgChoice>,
    industries: &'static [&'static str],
    errors: FieldMessages,
}

impl FormPage {
    async fn new(
        state: &AppState,
        caller: &Caller,
        id: Option<EnterpriseId>,
        input: EnterpriseInput,
        errors: FieldMessages,
    ) -> AppResult<FormPage> {
        let scope = caller.scope(Need::Write);
        let path = match id {
            Some(i) => format!("/enterprises/{i}/edit"),
            None => "/enterprises/new".to_string(),
        };
        Ok(FormPage {
            c: Chrome::for_caller(caller, &path),
            id,
            input,
            groups: WorkerGroup::ALL.to_vec(),
            orgs: store::org_choices(&state.db, &scope, false, 500).await?,
            unions: store::org_choices(&state.db, &scope, true, 1000).await?,
            industries: &super::INDUSTRIES,
            errors,
        })
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    /// The submitted (or current) text of a field.
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn has_group(&self, g: &WorkerGroup) -> bool {
        super::parse_groups("new_form_groups", self.value(&self.input.new_form_groups))
            .is_ok_and(|gs| gs.contains(g))
    }

    fn union_checked(&self) -> bool {
        form::flag(&self.input.has_union).unwrap_or(true)
            || form::opt(&self.input.union_org_code).is_some()
    }
}

/// Reads a submitted form: one `new_form_groups` value per ticked box.
fn form_input(raw: Vec<(String, String)>) -> EnterpriseInput {
    let mut input = EnterpriseInput::default();
    let mut groups: Vec<String> = Vec::new();
    for (k, v) in raw {
        let slot = match k.as_str() {
            "name" => &mut input.name,
            "credit_code" => &mut input.credit_code,
            "industry" => &mut input.industry,
            "address" => &mut input.address,
            "employee_count" => &mut input.employee_count,
            "has_union" => &mut input.has_union,
            "union_org_code" => &mut input.union_org_code,
            "org_code" => &mut input.org_code,
            "contact_person" => &mut input.contact_person,
            "contact_phone" => &mut input.contact_phone,
            "new_form_groups" => {
                groups.push(v);
                continue;
            }
            _ => continue,
        };
        *slot = Some(v);
    }
    input.new_form_groups = Some(groups.join(","));
    input
}

/// `GET /enterprises/new`.
pub(super) async fn new(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    let scope = caller.require(Need::Write)?;
    // Suggest the caller's own org as the jurisdiction when they may write there.
    let home = crate::org::store::get(&state.db, &scope, caller.home_org).await?;
    let input = EnterpriseInput {
        org_code: home.map(|o| o.code),
        has_union: Some("0".into()),
        ..Default::default()
    };
    render(FormPage::new(&state, &caller, None, input, FieldMessages::default()).await?)
}

/// `POST /enterprises`.
pub(super) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let input = form_input(raw);
    let created = ops::create(&state.db, &caller, &input).await;
    submitted(
        &caller,
        created,
        |id| format!("/enterprises/{id}"),
        |errors| FormPage::new(&state, &caller, None, input, errors),
    )
    .await
}

/// `GET /enterprises/{id}/edit`.
pub(super) async fn edit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EnterpriseId>,
) -> AppResult<Response> {
    caller.require(Need::Write)?;
    ops::writable(&state.db, &caller, id).await?;
    // The form shows the phone in full, so it is read (and audited) as on the detail page.
    let (e, _) = ops::shown(&state.db, &caller, id).await?;
    let input = EnterpriseInput::from_enterprise(&e);
    render(FormPage::new(&state, &caller, Some(id), input, FieldMessages::default()).await?)
}

/// `POST /enterprises/{id}/edit`.
pub(super) async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<EnterpriseId>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let input = form_input(raw);
    let updated = ops::update(&state.db, &caller, id, &input).await;
    submitted(
        &caller,
        updated,
        |()| format!("/enterprises/{id}"),
        |errors| FormPage::new(&state, &caller, Some(id), input, errors),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_with_ticked_boxes_becomes_an_input() {
        let input = form_input(vec![
            ("name".into(), "甲".into()),
            ("new_form_groups".into(), "courier".into()),
            ("new_form_groups".into(), "food_delivery".into()),
            ("has_union".into(), "1".into()),
            ("unknown".into(), "x".into()),
        ]);
        assert_eq!(input.name.as_deref(), Some("甲"));
        assert_eq!(
            input.new_form_groups.as_deref(),
            Some("courier,food_delivery")
        );
        assert_eq!(input.has_union.as_deref(), Some("1"));
        assert_eq!(form_input(Vec::new()).new_form_groups.as_deref(), Some(""));
    }
}
