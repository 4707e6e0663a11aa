//! Service pages: the list with its filters and figures, the record form,
//! the detail. Writes go through `ops`, like the API's.

use askama::Template;
use axum::{
    Form,
    extract::{Path, Query, State},
    response::Response,
};
use serde::Deserialize;

use super::{ListParams, Service, ServiceInput, ServiceKind, ServicePage, ops, store};
use crate::{
    activity::store::CampaignChoice,
    auth::{Caller, Need, random_token},
    date::Day,
    db::ActivityId,
    error::{AppError, AppResult},
    formation::MemberGroup,
    web::{
        AppState,
        form::{self, FieldMessages, submitted},
        list::{Pager, Paging},
        page::{Chrome, render},
    },
};

#[derive(Template)]
#[template(path = "service/list.html")]
struct ListPage {
    c: Chrome,
    d: ServicePage,
    fig: store::Figures,
    p: ListParams,
    kinds: Vec<ServiceKind>,
    campaigns: Vec<CampaignChoice>,
    pager: Pager,
}

impl ListPage {
    fn sel(&self, v: &Option<String>, want: &str) -> bool {
        v.as_deref().map(str::trim) == Some(want)
    }
}

/// `GET /services`: the list, with the figures of what the filter shows.
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let (d, f) = ops::list(&state.db, &caller, &p).await?;
    let scope = caller.scope(Need::Read);
    // The figures of what the filter shows, kind aside (the table is by kind).
    let fig = store::figures(&state.db, &scope, f.campaign, f.org).await?;
    let query = p.query();
    let pager = Paging {
        page: d.page,
        size: d.page_size,
    }
    .pager(d.total, "/services", &query);
    render(ListPage {
        c: Chrome::for_caller(&caller, &format!("/services?{query}")),
        d,
        fig,
        kinds: ServiceKind::ALL.to_vec(),
        campaigns: crate::activity::store::campaign_choices(&state.db, &scope).await?,
        p,
        pager,
    })
}

#[derive(Template)]
#[template(path = "service/form.html")]
struct FormPage {
    c: Chrome,
    input: ServiceInput,
    errors: FieldMessages,
    kinds: Vec<ServiceKind>,
    groups: Vec<MemberGroup>,
    campaigns: Vec<CampaignChoice>,
    today: String,
}

impl FormPage {
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    /// The form with `input` and the messages of its refused fields.
    async fn build(
        state: &AppState,
        caller: &Caller,
        input: ServiceInput,
        errors: FieldMessages,
    ) -> AppResult<FormPage> {
        Ok(FormPage {
            c: Chrome::for_caller(caller, "/services/new"),
            input,
            errors,
            kinds: ServiceKind::ALL.to_vec(),
            groups: MemberGroup::ALL.to_vec(),
            campaigns: crate::activity::store::campaign_choices(
                &state.db,
                &caller.scope(Need::Read),
            )
            .await?,
            today: Day::today().iso(),
        })
    }
}

#[derive(Deserialize, Default)]
pub(super) struct NewParams {
    activity: Option<String>,
    campaign: Option<String>,
}

/// `GET /services/new`: an empty form, or one filled from a service activity.
pub(super) async fn new(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<NewParams>,
) -> AppResult<Response> {
    caller.require(Need::Write)?;
    let campaigns =
        crate::activity::store::campaign_choices(&state.db, &caller.scope(Need::Read)).await?;
    // From a service activity: its campaign, date and cadres.
    let activity = match form::opt(&q.activity).and_then(|a| a.parse::<i64>().ok()) {
        Some(a) => {
            crate::activity::store::get(&state.db, &caller.scope(Need::Read), ActivityId(a)).await?
        }
        None => None,
    };
    let input = ServiceInput {
        client_id: Some(random_token(12)),
        service_kind: Some(ServiceKind::Hardship.as_str().into()),
        served_on: Some(
            activity
                .as_ref()
                .map_or_else(Day::today, |a| a.held_on)
                .iso(),
        ),
        cadres: Some(
            activity
                .as_ref()
                .map_or_else(|| caller.display_name.clone(), |a| a.cadres.clone()),
        ),
        activity_id: activity.as_ref().map(|a| a.id.to_string()),
        campaign_id: activity
            .as_ref()
            .and_then(|a| a.campaign_id)
            .map(|c| c.to_string())
            .or(q.campaign)
            .or_else(|| campaigns.first().map(|c| c.id.to_string())),
        ..Default::default()
    };
    render(FormPage::build(&state, &caller, input, FieldMessages::default()).await?)
}

/// `POST /services`: records through the same use case as the API, then
/// shows the record, or the form again with its errors.
pub(super) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Form(input): Form<ServiceInput>,
) -> AppResult<Response> {
    caller.require(Need::Write)?;
    let saved = match input.parse(Day::today()) {
        Ok(f) => ops::record(&state.db, &caller, &f).await,
        Err(e) => Err(e),
    };
    submitted(
        &caller,
        saved,
        |s| format!("/services/{}", s.id),
        |errors| FormPage::build(&state, &caller, input, errors),
    )
    .await
}

#[derive(Template)]
#[template(path = "service/detail.html")]
struct DetailPage {
    c: Chrome,
    s: Service,
}

/// `GET /services/{id}`.
pub(super) async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let s = store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)?;
    render(DetailPage {
        c: Chrome::for_caller(&caller, &format!("/services/{id}")),
        s,
    })
}
